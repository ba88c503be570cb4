//! Reserve cache: hit latency, apply latency, and hit throughput on 2 threads.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use alloy_primitives::{
    Address, I256, U256,
    aliases::{I24, U112, U160},
};
use alloy_sol_types::SolEvent;
use async_trait::async_trait;
use criterion::{Criterion, criterion_group, criterion_main};
use mev_event_decoder::{
    DecodedLog, Decoder,
    events::{uniswap_v2, uniswap_v3},
};
use mev_reserve_cache::{
    PoolKey, PoolKind, PoolSnapshot, PoolState, ReserveCache, ReserveSource, Result, SwapSide,
    V3Pool,
};
use mev_swap_math::{V2Fee, V3State};

#[derive(Debug)]
struct Fixed;

#[async_trait]
impl ReserveSource for Fixed {
    async fn fetch(&self, pool: &PoolKey, block: u64) -> Result<PoolSnapshot> {
        let state = match pool.kind {
            PoolKind::UniswapV3 { .. } => PoolState::UniswapV3(Box::new(V3Pool {
                token0: Address::repeat_byte(1),
                token1: Address::repeat_byte(2),
                state: V3State {
                    sqrt_price_x96: U160::from(1u128 << 96),
                    tick: 0,
                    liquidity: 1_000_000,
                    fee: 3_000,
                    tick_spacing: 60,
                    // 40 initialized ticks, as a busy pool has near its price.
                    ticks: (-20..20).map(|i| (i * 600, 1_000)).collect(),
                    loaded_range: (-887_272, 887_272),
                },
                liquidity_gross: (-20..20).map(|i| (i * 600, 1_000)).collect(),
            })),
            _ => PoolState::UniswapV2 {
                token0: Address::repeat_byte(1),
                token1: Address::repeat_byte(2),
                reserve0: U256::from(1_000_000u64),
                reserve1: U256::from(1_000_000u64),
                fee: V2Fee::UNISWAP,
            },
        };
        Ok(PoolSnapshot { pool: pool.address, block, state })
    }
}

fn decoded(address: Address, block: u64, event: impl SolEvent) -> DecodedLog {
    let mut d = Decoder::new()
        .decode(&alloy_primitives::Log { address, data: event.encode_log_data() })
        .expect("decodes");
    d.meta.block_number = Some(block);
    d
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let cache = ReserveCache::new(Arc::new(Fixed));
    let pools: Vec<Address> = (0..1_000u32)
        .map(|n| {
            let mut a = [0u8; 20];
            a[..4].copy_from_slice(&n.to_be_bytes());
            a[19] = 1;
            Address::from(a)
        })
        .collect();
    // Every pool cached (pool 8 a V3 pool), then each given its Sync.
    let keys: Vec<PoolKey> = pools
        .iter()
        .enumerate()
        .map(|(i, p)| if i == 8 { PoolKey::uniswap_v3(*p) } else { PoolKey::uniswap_v2(*p) })
        .collect();
    rt.block_on(cache.warm(&keys, 1));
    for (i, p) in pools.iter().enumerate().filter(|(i, _)| *i != 8) {
        cache.apply(&decoded(
            *p,
            1,
            uniswap_v2::Sync { reserve0: U112::from(i + 1), reserve1: U112::from(i + 2) },
        ));
    }
    let key = PoolKey::uniswap_v2(pools[500]);

    c.bench_function("hit_cached_sync", |b| {
        b.iter(|| cache.cached(std::hint::black_box(&pools[500])))
    });
    c.bench_function("hit_get_async", |b| {
        b.iter(|| rt.block_on(cache.get(std::hint::black_box(&key), 2)))
    });

    let sync = decoded(
        pools[7],
        2,
        uniswap_v2::Sync { reserve0: U112::from(5u64), reserve1: U112::from(6u64) },
    );
    c.bench_function("apply_v2_sync", |b| b.iter(|| cache.apply(std::hint::black_box(&sync))));
    let v3 = pools[8];
    let swap = decoded(
        v3,
        2,
        uniswap_v3::Swap {
            sender: Address::ZERO,
            recipient: Address::ZERO,
            amount0: I256::ONE,
            amount1: I256::MINUS_ONE,
            sqrtPriceX96: U160::from(79_228_162_514_264_337_593_543_950_336u128),
            liquidity: 1_000_000,
            tick: I24::ZERO,
        },
    );
    c.bench_function("apply_v3_swap", |b| b.iter(|| cache.apply(std::hint::black_box(&swap))));

    // Quotes on cached state (no I/O): a V3 swap crossing about 10 initialized ticks, one that
    // stays within a tick, a V2 quote; and, as the anchor, the same V3 swap on a V3State held by
    // the caller (what the cache adds: the lookup and the snapshot's reference count).
    let (t0, big, small) = (Address::repeat_byte(1), U256::from(400_000u64), U256::from(1_000u64));
    let held = match &cache.cached(&v3).expect("cached").state {
        PoolState::UniswapV3(p) => p.state.clone(),
        _ => unreachable!("pool 8 is V3"),
    };
    let crossed = cache.quote(&v3, t0, big, SwapSide::ExactIn).expect("quote");
    println!("quote_v3_cached_10_ticks crosses: {:?}", crossed.after);
    c.bench_function("quote_v3_cached_10_ticks", |b| {
        b.iter(|| cache.quote(&v3, t0, std::hint::black_box(big), SwapSide::ExactIn))
    });
    c.bench_function("quote_v3_held_state_10_ticks", |b| {
        b.iter(|| held.quote_exact_in(true, std::hint::black_box(big)))
    });
    c.bench_function("quote_v3_cached_in_tick", |b| {
        b.iter(|| cache.quote(&v3, t0, std::hint::black_box(small), SwapSide::ExactIn))
    });
    c.bench_function("quote_v2_cached", |b| {
        b.iter(|| cache.quote(&pools[9], t0, std::hint::black_box(small), SwapSide::ExactIn))
    });

    // Hit throughput with 2 threads reading random-ish pools.
    c.bench_function("hit_throughput_2_threads_per_op", |b| {
        b.iter_custom(|iters| {
            let per_thread = iters / 2 + 1;
            let start = Instant::now();
            std::thread::scope(|s| {
                for t in 0..2u64 {
                    let (cache, pools) = (&cache, &pools);
                    s.spawn(move || {
                        let mut i = t * 7919;
                        for _ in 0..per_thread {
                            i = (i + 104_729) % 1_000;
                            std::hint::black_box(cache.cached(&pools[i as usize]));
                        }
                    });
                }
            });
            let elapsed: Duration = start.elapsed();
            // Time per operation across both threads: elapsed / total ops × iters.
            elapsed.mul_f64(iters as f64 / (2 * per_thread) as f64)
        });
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
