//! What loading a V3 pool's full tick state costs, and what keeping it exact costs per block:
//! real Uniswap V3 pools of tick spacings 1, 10, 60 and 200 with 100 to 2,000 initialized ticks
//! spread over wide ranges, each loaded through `RpcReserveSource` (Multicall3, the default 500
//! calls per `aggregate3`) over a reader that counts requests, `aggregate3` sub-calls and the
//! ABI bytes sent and received. The counts must be exactly what the source's three rounds
//! imply: `1 + ⌈W/500⌉ + ⌈T/500⌉` requests and `6 + W + T` sub-calls for `W` bitmap words and
//! `T` initialized ticks. Then 20 blocks of random swaps, mints and burns on those pools, the
//! cache fed each block's logs: one `eth_getLogs` per block and no state read, the cache equal
//! to a fresh full read after every block.

use std::{
    collections::BTreeSet,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering::Relaxed},
    },
    time::Duration,
};

use alloy_primitives::{Address, Bytes, U256};
use alloy_rpc_types_eth::{Filter, Log};
use alloy_sol_types::SolCall;
use async_trait::async_trait;
use mev_chain::{BlockHeader, ChainReader, Counted, IMulticall3, ProviderChain};
use mev_devnet::{Devnet, SQRT_PRICE_1_1, UniswapV3Pool};
use mev_event_decoder::{Decoder, Protocol, Registry};
use mev_reserve_cache::{
    DEFAULT_TICK_WORDS, PoolKey, PoolState, ReserveCache, ReserveCacheConfig, ReserveSource,
    RpcReserveSource,
};
use mev_swap_math::{MAX_TICK, MIN_TICK};

use crate::rng::{Rng, e18};

const UPKEEP_BLOCKS: u64 = 20;
/// `RpcReserveSource`'s default calls per `aggregate3`.
const BATCH: u64 = 500;
/// Tick words either side wide enough to cover every spacing's whole range (the source clamps
/// to the lowest and highest word).
const ALL_WORDS: u16 = 8_000;

/// Counts what goes through it on top of [`Counted`]: `eth_call`s, the sub-calls of the
/// `aggregate3` ones, and the ABI bytes of their call data and return data (JSON-RPC sends
/// them hex-encoded, about twice that, plus the envelope).
#[derive(Debug)]
struct Metered<R> {
    inner: Counted<R>,
    calls: AtomicU64,
    sub_calls: AtomicU64,
    bytes_sent: AtomicU64,
    bytes_received: AtomicU64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Meter {
    requests: u64,
    log_requests: u64,
    calls: u64,
    sub_calls: u64,
    bytes_sent: u64,
    bytes_received: u64,
}

impl std::ops::Sub for Meter {
    type Output = Self;
    fn sub(self, o: Self) -> Self {
        Self {
            requests: self.requests - o.requests,
            log_requests: self.log_requests - o.log_requests,
            calls: self.calls - o.calls,
            sub_calls: self.sub_calls - o.sub_calls,
            bytes_sent: self.bytes_sent - o.bytes_sent,
            bytes_received: self.bytes_received - o.bytes_received,
        }
    }
}

impl<R> Metered<R> {
    fn new(inner: R) -> Self {
        Self {
            inner: Counted::new(inner),
            calls: AtomicU64::new(0),
            sub_calls: AtomicU64::new(0),
            bytes_sent: AtomicU64::new(0),
            bytes_received: AtomicU64::new(0),
        }
    }

    fn meter(&self) -> Meter {
        Meter {
            requests: self.inner.requests(),
            log_requests: self.inner.log_requests(),
            calls: self.calls.load(Relaxed),
            sub_calls: self.sub_calls.load(Relaxed),
            bytes_sent: self.bytes_sent.load(Relaxed),
            bytes_received: self.bytes_received.load(Relaxed),
        }
    }
}

#[async_trait]
impl<R: ChainReader> ChainReader for Metered<R> {
    async fn block_number(&self) -> mev_chain::Result<u64> {
        self.inner.block_number().await
    }

    async fn header(&self, number: u64) -> mev_chain::Result<Option<BlockHeader>> {
        self.inner.header(number).await
    }

    async fn call(&self, to: Address, data: Bytes, block: u64) -> mev_chain::Result<Bytes> {
        self.calls.fetch_add(1, Relaxed);
        self.bytes_sent.fetch_add(data.len() as u64, Relaxed);
        if let Ok(a) = IMulticall3::aggregate3Call::abi_decode(&data) {
            self.sub_calls.fetch_add(a.calls.len() as u64, Relaxed);
        }
        let out = self.inner.call(to, data, block).await?;
        self.bytes_received.fetch_add(out.len() as u64, Relaxed);
        Ok(out)
    }

    async fn logs(&self, filter: &Filter) -> mev_chain::Result<Vec<Log>> {
        self.inner.logs(filter).await
    }

    async fn wait_for_head(&self, poll: Duration) {
        self.inner.wait_for_head(poll).await;
    }
}

/// The bitmap word of `tick` (`TickBitmap.position`).
const fn word_of(tick: i32, spacing: i32) -> i32 {
    tick.div_euclid(spacing) >> 8
}

/// The words and ticks a load of `pool` with `tick_words` either side of the word of `tick`
/// covers: the words' count and the ticks of `ticks` in them.
fn covered(tick: i32, spacing: i32, tick_words: u16, ticks: &BTreeSet<i32>) -> (u64, u64) {
    let w = word_of(tick, spacing);
    let lo = (w - i32::from(tick_words)).max(word_of(MIN_TICK, spacing));
    let hi = (w + i32::from(tick_words)).min(word_of(MAX_TICK, spacing));
    let n = ticks.iter().filter(|t| (lo..=hi).contains(&word_of(**t, spacing))).count();
    ((hi - lo + 1) as u64, n as u64)
}

struct Subject {
    pool: UniswapV3Pool,
    /// Every initialized tick.
    ticks: BTreeSet<i32>,
    /// `(token id, liquidity left)` of its positions.
    positions: Vec<(U256, u128)>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v3_full_tick_load_costs_what_the_batching_implies() {
    let devnet = Devnet::start().await.expect("devnet (run: bash scripts/devnet-setup)");
    devnet.deploy_multicall3().await.unwrap();
    let me = devnet.deployer();
    let t0 = devnet.deploy_erc20(e18(1_000_000_000_000)).await.unwrap();
    let t1 = devnet.deploy_erc20(e18(1_000_000_000_000)).await.unwrap();
    let v3f = devnet.deploy_uniswap_v3().await.unwrap();
    v3f.enable_fee_amount(100, 1).await.unwrap();
    for t in [t0, t1] {
        devnet.approve(t, me, v3f.swap_router(), U256::MAX).await.unwrap();
        devnet.approve(t, me, v3f.position_manager(), U256::MAX).await.unwrap();
    }
    let mut rng = Rng(0x71c4_10ad_5eed_0001);

    // (fee, initialized ticks, half-width of their range in ticks): nested positions
    // (-a, +b) with distinct ends, so each position initializes two ticks.
    let plan =
        [(100, 100, 20_000), (500, 100, 30_000), (3_000, 500, 300_000), (10_000, 2_000, 887_200)];
    let mut subjects = Vec::new();
    for (fee, n, half) in plan {
        let pool = v3f.create_pool(t0, t1, fee, SQRT_PRICE_1_1).await.unwrap();
        let s = pool.tick_spacing();
        let most = half / s;
        let mut side = || {
            let mut ks = BTreeSet::new();
            while ks.len() < n / 2 {
                ks.insert(1 + rng.below(most as u64) as i32);
            }
            ks.into_iter().map(|k| k * s).collect::<Vec<_>>()
        };
        let (lows, highs) = (side(), side());
        let mut batch = devnet.batch();
        for (lo, hi) in lows.iter().zip(&highs) {
            pool.push_mint_position(&mut batch, me, -lo, *hi, e18(10), e18(10)).unwrap();
        }
        let receipts = batch.execute().await.unwrap();
        let positions = receipts
            .iter()
            .map(|r| {
                let e = mev_devnet::receipt_events::<
                    mev_devnet::bindings::INonfungiblePositionManager::IncreaseLiquidity,
                >(r, v3f.position_manager())
                .unwrap()
                .pop()
                .unwrap();
                (e.tokenId, e.liquidity)
            })
            .collect();
        let ticks: BTreeSet<i32> = lows.iter().map(|t| -t).chain(highs.iter().copied()).collect();
        assert_eq!(ticks.len(), n);
        subjects.push(Subject { pool, ticks, positions });
    }
    let head = devnet.block_number().await.unwrap();
    let provider = devnet.provider().clone();

    // The load of each pool alone, for the whole range and for the default range.
    println!(
        "| pool | initialized ticks (loaded) | tick words | requests | aggregate3 sub-calls | \
         bytes sent / received | per 1,000 ticks: requests, sub-calls, KiB received |"
    );
    println!("|---|---|---|---|---|---|---|");
    for s in &subjects {
        for tick_words in [ALL_WORDS, DEFAULT_TICK_WORDS] {
            let source = RpcReserveSource::new(Metered::new(ProviderChain::new(provider.clone())));
            let key = PoolKey::uniswap_v3_with_ticks(s.pool.address(), tick_words);
            let snapshot = source.fetch(&key, head).await.unwrap();
            let PoolState::UniswapV3(p) = &snapshot.state else { unreachable!() };
            let spacing = s.pool.tick_spacing();
            let (words, ticks) = covered(0, spacing, tick_words, &s.ticks);
            let loaded: BTreeSet<i32> = p.state.ticks.keys().copied().collect();
            let want_ticks: BTreeSet<i32> = s
                .ticks
                .iter()
                .copied()
                .filter(|t| (p.state.loaded_range.0..=p.state.loaded_range.1).contains(t))
                .collect();
            assert_eq!(loaded, want_ticks, "the loaded ticks are the initialized ones");
            assert_eq!(loaded.len() as u64, ticks);
            if tick_words == ALL_WORDS {
                assert_eq!(loaded, s.ticks, "the whole range holds every tick");
            }
            let m = source.reader().meter();
            // Round 1: the six reads of the pool; round 2: its W words; round 3: its T ticks;
            // each round ⌈calls/500⌉ aggregate3 requests (none when it has no call).
            let want = 1 + words.div_ceil(BATCH) + ticks.div_ceil(BATCH);
            assert_eq!(
                (m.requests, m.calls),
                (want, want),
                "requests, {words} words {ticks} ticks"
            );
            assert_eq!(m.sub_calls, 6 + words + ticks, "sub-calls");
            let per = |x: u64| x as f64 * 1_000.0 / ticks.max(1) as f64;
            println!(
                "| spacing {spacing} (fee {}) | {} ({ticks}) | {words} ({}) | {} | {} | \
                 {} / {} | {:.1}, {:.0}, {:.0} |",
                s.pool.fee(),
                s.ticks.len(),
                if tick_words == ALL_WORDS { "all".to_owned() } else { format!("±{tick_words}") },
                m.requests,
                m.sub_calls,
                m.bytes_sent,
                m.bytes_received,
                per(m.requests),
                per(m.sub_calls),
                per(m.bytes_received) / 1_024.0,
            );
        }
    }

    // All four pools in one fetch: the rounds are shared.
    let metered =
        Arc::new(RpcReserveSource::new(Metered::new(ProviderChain::new(provider.clone()))));
    let keys: Vec<PoolKey> = subjects
        .iter()
        .map(|s| PoolKey::uniswap_v3_with_ticks(s.pool.address(), ALL_WORDS))
        .collect();
    let config = ReserveCacheConfig { ttl: Duration::from_secs(3_600), ..Default::default() };
    let cache = ReserveCache::with_config(metered.clone(), config);
    for r in cache.warm(&keys, head).await {
        r.unwrap();
    }
    let warm = metered.reader().meter();
    let (words, ticks): (u64, u64) = subjects
        .iter()
        .map(|s| covered(0, s.pool.tick_spacing(), ALL_WORDS, &s.ticks))
        .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    assert_eq!(
        warm.requests,
        (6 * keys.len() as u64).div_ceil(BATCH) + words.div_ceil(BATCH) + ticks.div_ceil(BATCH)
    );
    assert_eq!(warm.sub_calls, 6 * keys.len() as u64 + words + ticks);
    println!(
        "all {} pools in one warm-up: {} requests, {} sub-calls ({words} words, {ticks} ticks), \
         {} / {} bytes",
        keys.len(),
        warm.requests,
        warm.sub_calls,
        warm.bytes_sent,
        warm.bytes_received
    );

    // Keeping them exact: each block's logs through the same reader, no state read.
    let registry: Registry =
        subjects.iter().map(|s| (s.pool.address(), Protocol::UniswapV3)).collect();
    let decoder = Decoder::with_registry(registry.clone());
    let fresh = RpcReserveSource::new(ProviderChain::new(provider.clone()));
    let mut last = head;
    let mut logs_seen = 0;
    for _ in 0..UPKEEP_BLOCKS {
        // Swaps may cross dozens of ticks: more gas than a batch's default.
        let mut batch = devnet.batch().gas(20_000_000);
        for _ in 0..=rng.below(5) {
            let s = &mut subjects[rng.below(4) as usize];
            let spacing = s.pool.tick_spacing();
            match rng.below(6) {
                0..=2 => {
                    // Up to ~5 % of a pool's tokens (10 of each per position).
                    let amount = e18(1 + rng.below(30)) * U256::from(1 + rng.below(4));
                    s.pool.push_swap(&mut batch, me, rng.below(2) == 0, amount);
                }
                3 | 4 => {
                    let lo = -spacing * (1 + rng.below(2_000) as i32);
                    let hi = spacing * (1 + rng.below(2_000) as i32);
                    let (lo, hi) = (lo.max(s.pool.full_range().0), hi.min(s.pool.full_range().1));
                    s.pool.push_mint_position(&mut batch, me, lo, hi, e18(5), e18(5)).unwrap();
                    s.ticks.extend([lo, hi]);
                }
                _ => {
                    let k = rng.below(s.positions.len() as u64) as usize;
                    let (id, liquidity) = s.positions[k];
                    if liquidity == 0 {
                        continue;
                    }
                    // Whole positions: their ticks become uninitialized.
                    s.positions[k].1 = 0;
                    s.pool.push_burn_position(&mut batch, me, id, liquidity);
                }
            }
        }
        if batch.is_empty() {
            devnet.mine(1).await.unwrap();
        } else {
            batch.execute().await.unwrap();
        }
        let block = devnet.block_number().await.unwrap();
        let filter = registry.filter().from_block(last + 1).to_block(block);
        let logs = metered.reader().logs(&filter).await.unwrap();
        logs_seen += logs.len();
        for log in &logs {
            cache.apply(&decoder.decode(log).unwrap());
        }
        last = block;
        for key in &keys {
            let cached = cache.cached(&key.address).expect("kept");
            let truth = fresh.fetch(key, block).await.unwrap();
            assert_eq!(cached.state, truth.state, "{key:?} at block {block}");
        }
    }
    let upkeep = metered.reader().meter() - warm;
    println!(
        "kept exact over {UPKEEP_BLOCKS} blocks ({logs_seen} logs): {} requests ({} eth_getLogs), \
         {} eth_call, {:.2} requests per block",
        upkeep.requests,
        upkeep.log_requests,
        upkeep.calls,
        upkeep.requests as f64 / UPKEEP_BLOCKS as f64
    );
    assert_eq!(upkeep.calls, 0, "no state read after the load");
    assert_eq!(upkeep.requests, UPKEEP_BLOCKS, "one eth_getLogs per block");
    assert_eq!(upkeep.log_requests, UPKEEP_BLOCKS);
    assert!(logs_seen > UPKEEP_BLOCKS as usize);
}
