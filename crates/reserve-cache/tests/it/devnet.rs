//! The cache against real Uniswap V2 and V3 contracts on anvil: a random workload of swaps,
//! mints and burns, the cache fed each block's decoded logs, compared with the chain after every
//! block, in three modes (no cache, invalidate-only as the reference bot does, apply-in-place).

use std::sync::Arc;

use alloy_primitives::{Address, U256};
use alloy_provider::Provider;
use mev_chain::{Counted, ProviderChain};
use mev_devnet::{Devnet, SQRT_PRICE_1_1, UniswapV2Pair, UniswapV3Pool, v2_amount_out};
use mev_event_decoder::{Decoder, Protocol, Registry, StateChange};
use mev_reserve_cache::{PoolKey, PoolState, ReserveCache, RpcReserveSource, read_pool};

const BLOCKS: u64 = 200;
const READS_PER_POOL_PER_BLOCK: usize = 3;

/// A small deterministic generator (xorshift64*), so a failing run can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn e18(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18))
}

async fn chain_state(v2: &[UniswapV2Pair], v3: &[UniswapV3Pool], pool: Address) -> PoolState {
    if let Some(pair) = v2.iter().find(|p| p.address() == pool) {
        let r = pair.reserves().await.unwrap();
        return PoolState::UniswapV2 { reserve0: r.reserve0.to(), reserve1: r.reserve1.to() };
    }
    let p = v3.iter().find(|p| p.address() == pool).unwrap();
    let slot0 = p.slot0().await.unwrap();
    let tick = i32::try_from(slot0.tick).unwrap();
    PoolState::UniswapV3 {
        sqrt_price_x96: slot0.sqrtPriceX96,
        tick,
        liquidity: p.liquidity().await.unwrap(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_workload_cache_equals_chain_every_block() {
    let devnet = Devnet::start().await.expect("devnet (run: bash scripts/devnet-setup)");
    devnet.deploy_multicall3().await.unwrap();
    let me = devnet.deployer();
    let tokens: Vec<Address> = {
        let mut t = Vec::new();
        for _ in 0..3 {
            t.push(devnet.deploy_erc20(e18(1_000_000_000)).await.unwrap());
        }
        t
    };
    let v2f = devnet.deploy_uniswap_v2().await.unwrap();
    let v3f = devnet.deploy_uniswap_v3().await.unwrap();
    let mut v2 = Vec::new();
    for (a, b) in [(0, 1), (1, 2), (0, 2)] {
        let pair = v2f.create_pair(tokens[a], tokens[b]).await.unwrap();
        pair.add_liquidity(me, e18(1_000_000), e18(1_000_000)).await.unwrap();
        v2.push(pair);
    }
    let mut v3 = Vec::new();
    let mut positions = Vec::new();
    for (a, b, fee) in [(0, 1, 3000), (1, 2, 500)] {
        let pool = v3f.create_pool(tokens[a], tokens[b], fee, SQRT_PRICE_1_1).await.unwrap();
        let (lo, hi) = pool.full_range();
        pool.mint_position(me, lo, hi, e18(1_000_000), e18(1_000_000)).await.unwrap();
        let s = pool.tick_spacing();
        for k in 1..=4 {
            let p = pool.mint_position(me, -k * 10 * s, k * 10 * s, e18(50_000), e18(50_000));
            let p = p.await.unwrap();
            positions.push((pool.address(), p.token_id, p.liquidity));
        }
        for t in [pool.token0(), pool.token1()] {
            devnet.approve(t, me, v3f.swap_router(), U256::MAX).await.unwrap();
            devnet.approve(t, me, v3f.position_manager(), U256::MAX).await.unwrap();
        }
        v3.push(pool);
    }

    let registry: Registry = v2
        .iter()
        .map(|p| (p.address(), Protocol::UniswapV2))
        .chain(v3.iter().map(|p| (p.address(), Protocol::UniswapV3)))
        .collect();
    let decoder = Decoder::with_registry(registry.clone());
    let keys: Vec<PoolKey> = v2
        .iter()
        .map(|p| PoolKey::uniswap_v2(p.address()))
        .chain(v3.iter().map(|p| PoolKey::uniswap_v3(p.address())))
        .collect();

    let provider = devnet.provider().clone();
    let reader = || Counted::new(ProviderChain::new(provider.clone()));
    let no_cache = RpcReserveSource::new(reader());
    let inval_source = Arc::new(RpcReserveSource::new(reader()));
    let apply_source = Arc::new(RpcReserveSource::new(reader()));
    let invalidate_only = ReserveCache::new(inval_source.clone());
    let apply_in_place = ReserveCache::new(apply_source.clone());

    let mut rng = Rng(0x5eed_cafe_f00d_0001);
    let mut last = devnet.block_number().await.unwrap();
    let (mut logs_seen, mut applied_ops, mut reads) = (0usize, 0usize, 0usize);

    for _ in 0..BLOCKS {
        // 1–4 operations, at most one per V2 pair (its swap amount is priced off the reserves
        // at the start of the block).
        let mut batch = devnet.batch();
        let mut used_pairs = [false; 3];
        for _ in 0..=rng.below(4) {
            match rng.below(6) {
                0 | 1 => {
                    let i = rng.below(3) as usize;
                    if std::mem::replace(&mut used_pairs[i], true) {
                        continue;
                    }
                    let pair = &v2[i];
                    let r = pair.reserves().await.unwrap();
                    let zero_for_one = rng.below(2) == 0;
                    let amount_in = e18(1 + rng.below(2_000));
                    let (rin, rout) = if zero_for_one {
                        (r.reserve0.to(), r.reserve1.to())
                    } else {
                        (r.reserve1.to(), r.reserve0.to())
                    };
                    let out = v2_amount_out(amount_in, rin, rout);
                    pair.push_swap(&mut batch, me, zero_for_one, amount_in, out);
                }
                2 => {
                    let i = rng.below(3) as usize;
                    if std::mem::replace(&mut used_pairs[i], true) {
                        continue;
                    }
                    let pair = &v2[i];
                    if rng.below(2) == 0 {
                        let r = pair.reserves().await.unwrap();
                        // Add in the pool's ratio (plus a little dust on one side).
                        let a0 = e18(1 + rng.below(500));
                        let a1 = a0 * U256::from(r.reserve1) / U256::from(r.reserve0)
                            + U256::from(rng.below(1_000));
                        pair.push_add_liquidity(&mut batch, me, a0, a1);
                    } else {
                        let lp = pair.lp_balance(me).await.unwrap();
                        pair.push_remove_liquidity(&mut batch, me, lp / U256::from(200));
                    }
                }
                3 | 4 => {
                    let pool = &v3[rng.below(2) as usize];
                    pool.push_swap(&mut batch, me, rng.below(2) == 0, e18(1 + rng.below(20_000)));
                }
                _ => {
                    if rng.below(2) == 0 {
                        let pool = &v3[rng.below(2) as usize];
                        let s = pool.tick_spacing();
                        let tick = i32::try_from(pool.slot0().await.unwrap().tick).unwrap();
                        let centre = tick.div_euclid(s) * s;
                        let lo = centre - s * (1 + rng.below(20) as i32);
                        let hi = centre + s * (1 + rng.below(20) as i32);
                        pool.push_mint_position(&mut batch, me, lo, hi, e18(1_000), e18(1_000))
                            .unwrap();
                    } else {
                        let k = rng.below(positions.len() as u64) as usize;
                        let (pool_address, token_id, liquidity) = positions[k];
                        let burn = liquidity / 10;
                        if burn == 0 {
                            continue;
                        }
                        positions[k].2 -= burn;
                        let pool = v3.iter().find(|p| p.address() == pool_address).unwrap();
                        pool.push_burn_position(&mut batch, me, token_id, burn);
                    }
                }
            }
            applied_ops += 1;
        }
        if batch.is_empty() {
            devnet.mine(1).await.unwrap();
        } else {
            batch.execute().await.unwrap();
        }
        let head = devnet.block_number().await.unwrap();

        // Feed every new block's logs, in chain order.
        let filter = registry.filter().from_block(last + 1).to_block(head);
        let logs = provider.get_logs(&filter).await.unwrap();
        logs_seen += logs.len();
        for log in &logs {
            let decoded = decoder.decode(log).unwrap();
            apply_in_place.apply(&decoded);
            // The reference behaviour: drop the entry on every pool event.
            for change in decoded.state_changes() {
                if let StateChange::Pool { pool, .. } = change {
                    invalidate_only.invalidate(&pool);
                }
            }
        }
        last = head;

        // The bot reads each pool a few times per block; every answer must equal the chain.
        for key in &keys {
            let truth = chain_state(&v2, &v3, key.address).await;
            for _ in 0..READS_PER_POOL_PER_BLOCK {
                let a = apply_in_place.get(key, head).await.unwrap();
                let b = invalidate_only.get(key, head).await.unwrap();
                let c = read_pool(None, &no_cache, key, head).await.unwrap();
                assert_eq!(a.state, truth, "apply-in-place stale at block {head} for {key:?}");
                assert_eq!(b.state, truth, "invalidate-only stale at block {head} for {key:?}");
                assert_eq!(c.state, truth, "the source itself disagrees at block {head}");
                reads += 1;
            }
        }
    }

    let (none, inval, apply) = (
        no_cache.reader().requests(),
        inval_source.reader().requests(),
        apply_source.reader().requests(),
    );
    let stats = apply_in_place.stats();
    println!(
        "blocks {BLOCKS}, operations {applied_ops}, logs {logs_seen}, pools {}, reads {reads}; \
         RPC requests: no cache {none}, invalidate-only {inval} ({:.1}% fewer), \
         apply-in-place {apply} ({:.2}% fewer); apply-in-place hit rate {:.2}%, \
         invalidate-only hit rate {:.2}%",
        keys.len(),
        100.0 * (1.0 - inval as f64 / none as f64),
        100.0 * (1.0 - apply as f64 / none as f64),
        stats.hit_rate_bps() as f64 / 100.0,
        invalidate_only.stats().hit_rate_bps() as f64 / 100.0,
    );
    assert_eq!(none as usize, reads, "one request per uncached read");
    assert!(apply * 100 <= none, "apply-in-place must make ≥ 99% fewer calls: {apply} vs {none}");
    assert!(inval < none);
    assert!(logs_seen > BLOCKS as usize, "the workload produced events");
    assert_eq!(stats.stale_writes_prevented, 0);
}
