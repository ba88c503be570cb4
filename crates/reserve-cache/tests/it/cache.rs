//! The cache's rules, against a source the test controls.

use std::{sync::Arc, time::Duration};

use alloy_primitives::{
    Address, B256, I256, U256,
    aliases::{I24, U112, U160},
};
use alloy_sol_types::SolEvent;
use mev_event_decoder::{
    DecodedLog, Decoder, LogMeta,
    events::{balancer_v2, uniswap_v2, uniswap_v3},
};
use std::collections::BTreeMap;

use mev_reserve_cache::{
    Applied, BalancerV2Pool, BalancerV2State, ComposableStableState, PoolKey, PoolSnapshot,
    PoolState, PriceAfter, QuoteError, ReserveCache, ReserveCacheConfig, SwapSide, V3Pool,
    read_pool,
};
use mev_swap_math::{
    V2Fee, V3State,
    balancer::{StablePoolState, WeightedPoolState},
    get_sqrt_ratio_at_tick,
};

use crate::gated::{GatedSource, POOL, TOKEN0, TOKEN1, v2};

fn decoded(address: Address, block: u64, event: impl SolEvent) -> DecodedLog {
    let log = alloy_primitives::Log { address, data: event.encode_log_data() };
    let mut d = Decoder::new().decode(&log).unwrap();
    d.meta = LogMeta { block_number: Some(block), ..d.meta };
    d
}

fn sync(block: u64, r0: u64, r1: u64) -> DecodedLog {
    decoded(POOL, block, uniswap_v2::Sync { reserve0: U112::from(r0), reserve1: U112::from(r1) })
}

async fn settle() {
    for _ in 0..20 {
        tokio::task::yield_now().await;
    }
}

#[tokio::test]
async fn miss_then_hit() {
    let source = GatedSource::new(7, 9);
    let cache = ReserveCache::new(source.clone());
    let key = PoolKey::uniswap_v2(POOL);
    let a = cache.get(&key, 5).await.unwrap();
    let b = cache.get(&key, 6).await.unwrap();
    assert_eq!(a.state, v2(7, 9));
    assert!(Arc::ptr_eq(&a, &b));
    assert_eq!(source.fetches(), 1);
    let stats = cache.stats();
    assert_eq!((stats.hits, stats.misses, stats.fetches), (1, 1, 1));
    assert_eq!(stats.hit_rate_bps(), 5_000);
    // Asking about a block older than the cached state is a miss, and does not overwrite.
    let older = cache.get(&key, 4).await.unwrap();
    assert_eq!(older.block, 4);
    assert_eq!(cache.peek(&POOL).unwrap().block, 5);
}

/// The race the Go arbitrage bot leaves open: a fetch that started before an invalidation
/// answers, after it, with the old state. It must not be stored.
#[tokio::test]
async fn fetch_answering_after_invalidation_does_not_write_stale_state() {
    let source = GatedSource::new(100, 100); // the old state
    let cache = ReserveCache::new(source.clone());
    let key = PoolKey::uniswap_v2(POOL);

    source.hold();
    let first = tokio::spawn({
        let (cache, key) = (cache.clone(), key.clone());
        async move { cache.get(&key, 10).await }
    });
    settle().await;
    assert_eq!(source.fetches(), 1);

    // A swap lands: the pool changes on chain and the cache is told.
    source.answer_with(200, 50);
    cache.invalidate(&POOL);

    // A read after the invalidation must not join the old fetch: it starts its own.
    let second = tokio::spawn({
        let (cache, key) = (cache.clone(), key.clone());
        async move { cache.get(&key, 10).await }
    });
    settle().await;
    assert_eq!(source.fetches(), 2);

    source.release();
    let old = first.await.unwrap().unwrap();
    let new = second.await.unwrap().unwrap();
    assert_eq!(old.state, v2(100, 100), "the first caller gets what it fetched");
    assert_eq!(new.state, v2(200, 50));
    // Whatever order the two fetches finished in, the cache holds the new state only.
    assert_eq!(cache.peek(&POOL).unwrap().state, v2(200, 50));
    assert_eq!(cache.stats().stale_writes_prevented, 1);
}

/// The same race against an event for a pool not cached yet: the fetch in flight (older than
/// the event) is not stored; the next read fetches again.
#[tokio::test]
async fn fetch_answering_after_apply_does_not_overwrite_the_event_state() {
    let source = GatedSource::new(100, 100);
    let cache = ReserveCache::new(source.clone());
    source.hold();
    let pending = tokio::spawn({
        let cache = cache.clone();
        async move { cache.get(&PoolKey::uniswap_v2(POOL), 10).await }
    });
    settle().await;
    assert_eq!(cache.apply(&sync(10, 300, 30)), Applied::Invalidated);
    source.release();
    assert_eq!(pending.await.unwrap().unwrap().state, v2(100, 100));
    assert!(cache.peek(&POOL).is_none(), "the older fetch is not stored");
    assert_eq!(cache.stats().stale_writes_prevented, 1);
    // Without a fetch in flight, an event for a pool not cached changes nothing.
    let other = decoded(
        Address::repeat_byte(0x77),
        11,
        uniswap_v2::Sync { reserve0: U112::from(1u64), reserve1: U112::from(1u64) },
    );
    assert_eq!(cache.apply(&other), Applied::Unchanged);
    assert!(cache.peek(&Address::repeat_byte(0x77)).is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_concurrent_misses_make_one_fetch() {
    let source = GatedSource::new(1, 2);
    let cache = ReserveCache::new(source.clone());
    source.hold();
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let cache = cache.clone();
            tokio::spawn(async move { cache.get(&PoolKey::uniswap_v2(POOL), 42).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(50)).await;
    source.release();
    let results: Vec<Arc<PoolSnapshot>> =
        futures::future::join_all(tasks).await.into_iter().map(|r| r.unwrap().unwrap()).collect();
    assert_eq!(source.fetches(), 1);
    assert!(results.iter().all(|r| Arc::ptr_eq(r, &results[0])));
    assert_eq!(cache.stats().misses, 100);
}

#[tokio::test]
async fn fetch_errors_are_returned_and_not_cached() {
    let source = GatedSource::new(1, 2);
    source.fail(true);
    let cache = ReserveCache::new(source.clone());
    let key = PoolKey::uniswap_v2(POOL);
    let err = cache.get(&key, 1).await.unwrap_err();
    assert!(err.to_string().contains("rate limited"), "{err}");
    assert!(cache.peek(&POOL).is_none());
    source.fail(false);
    assert_eq!(cache.get(&key, 1).await.unwrap().state, v2(1, 2));
    assert_eq!(cache.stats().fetch_errors, 1);
}

#[tokio::test]
async fn ttl_expiry_and_sweeper() {
    let source = GatedSource::new(1, 2);
    let config = ReserveCacheConfig {
        ttl: Duration::from_millis(150),
        fetch_timeout: Duration::from_millis(100),
        sweep_interval: Duration::from_millis(50),
    };
    let cache = ReserveCache::with_config(source.clone(), config);
    let key = PoolKey::uniswap_v2(POOL);
    cache.get(&key, 1).await.unwrap();
    assert!(cache.peek(&POOL).is_some());
    let sweeper = cache.spawn_sweeper();
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(cache.peek(&POOL).is_none(), "expired");
    assert!(cache.is_empty(), "swept");
    cache.get(&key, 2).await.unwrap();
    assert_eq!(source.fetches(), 2);
    // The sweeper stops once the cache is gone.
    drop(cache);
    tokio::time::timeout(Duration::from_secs(2), sweeper).await.unwrap().unwrap();
}

#[tokio::test]
async fn fetch_timeout_is_an_error() {
    let source = GatedSource::new(1, 2);
    let config =
        ReserveCacheConfig { fetch_timeout: Duration::from_millis(50), ..Default::default() };
    let cache = ReserveCache::with_config(source.clone(), config);
    source.hold();
    let err = cache.get(&PoolKey::uniswap_v2(POOL), 1).await.unwrap_err();
    assert!(err.to_string().contains("no answer within 50 ms"), "{err}");
}

#[tokio::test]
async fn v2_sync_applies_in_place_swap_does_not_and_old_logs_are_ignored() {
    let cache = ReserveCache::new(GatedSource::new(0, 0));
    cache.get(&PoolKey::uniswap_v2(POOL), 4).await.unwrap();
    assert_eq!(cache.apply(&sync(5, 10, 20)), Applied::Updated);
    assert_eq!(cache.peek(&POOL).unwrap().state, v2(10, 20));
    assert_eq!(cache.peek(&POOL).unwrap().block, 5);
    let swap = decoded(
        POOL,
        6,
        uniswap_v2::Swap {
            sender: Address::ZERO,
            amount0In: U256::from(1),
            amount1In: U256::ZERO,
            amount0Out: U256::ZERO,
            amount1Out: U256::from(1),
            to: Address::ZERO,
        },
    );
    assert_eq!(cache.apply(&swap), Applied::Unchanged);
    assert_eq!(cache.apply(&sync(4, 1, 1)), Applied::Unchanged, "older than the cached state");
    assert_eq!(cache.peek(&POOL).unwrap().state, v2(10, 20));
    // A removed (reorged-out) log invalidates.
    let mut removed = sync(5, 10, 20);
    removed.meta.removed = true;
    assert_eq!(cache.apply(&removed), Applied::Invalidated);
    assert!(cache.peek(&POOL).is_none());
}

fn v3_pool(cache: &ReserveCache) -> V3Pool {
    match &cache.peek(&POOL).unwrap().state {
        PoolState::UniswapV3(v3) => (**v3).clone(),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn v3_swap_mint_burn_follow_the_pool_rules() {
    let source = GatedSource::new(0, 0);
    source.answer_state(PoolState::UniswapV3(Box::new(V3Pool {
        token0: TOKEN0,
        token1: TOKEN1,
        state: V3State {
            sqrt_price_x96: get_sqrt_ratio_at_tick(0).unwrap().to(),
            tick: 0,
            liquidity: 0,
            fee: 3_000,
            tick_spacing: 20,
            ticks: BTreeMap::new(),
            loaded_range: (-5_000, 5_000),
        },
        liquidity_gross: BTreeMap::new(),
    })));
    let cache = ReserveCache::new(source.clone());
    cache.get(&PoolKey::uniswap_v3(POOL), 0).await.unwrap();
    let swap = uniswap_v3::Swap {
        sender: Address::ZERO,
        recipient: Address::ZERO,
        amount0: I256::ONE,
        amount1: I256::MINUS_ONE,
        sqrtPriceX96: U160::from(1u64 << 40),
        liquidity: 1_000,
        tick: I24::try_from(-100).unwrap(),
    };
    assert_eq!(cache.apply(&decoded(POOL, 1, swap)), Applied::Updated);
    let p = v3_pool(&cache);
    assert_eq!(
        (p.state.sqrt_price_x96, p.state.tick, p.state.liquidity),
        (U160::from(1u64 << 40), -100, 1_000)
    );
    let mint = |lower: i32, upper: i32, amount: u128| uniswap_v3::Mint {
        sender: Address::ZERO,
        owner: Address::ZERO,
        tickLower: I24::try_from(lower).unwrap(),
        tickUpper: I24::try_from(upper).unwrap(),
        amount,
        amount0: U256::ZERO,
        amount1: U256::ZERO,
    };
    // In range (lower ≤ tick < upper): liquidity grows; both ticks are initialized.
    assert_eq!(cache.apply(&decoded(POOL, 2, mint(-120, 60, 500))), Applied::Updated);
    let p = v3_pool(&cache);
    assert_eq!(p.state.liquidity, 1_500);
    assert_eq!(p.state.ticks, BTreeMap::from([(-120, 500), (60, -500)]));
    assert_eq!(p.liquidity_gross, BTreeMap::from([(-120, 500), (60, 500)]));
    // tick == upper is out of range; tick == lower is in range. Ticks shared add up.
    cache.apply(&decoded(POOL, 2, mint(-160, -100, 7)));
    assert_eq!(v3_pool(&cache).state.liquidity, 1_500);
    cache.apply(&decoded(POOL, 2, mint(-100, 60, 7)));
    let p = v3_pool(&cache);
    assert_eq!(p.state.liquidity, 1_507);
    assert_eq!(p.state.ticks, BTreeMap::from([(-160, 7), (-120, 500), (-100, 0), (60, -507)]));
    assert_eq!(p.liquidity_gross[&-100], 14, "a tick with net 0 stays initialized");
    // Outside the loaded range: the in-range liquidity moves, the unknown ticks are not recorded.
    cache.apply(&decoded(POOL, 2, mint(-6_000, 6_000, 3)));
    let p = v3_pool(&cache);
    assert_eq!(p.state.liquidity, 1_510);
    assert!(!p.state.ticks.contains_key(&-6_000) && !p.state.ticks.contains_key(&6_000));
    let burn = uniswap_v3::Burn {
        owner: Address::ZERO,
        tickLower: I24::try_from(-120).unwrap(),
        tickUpper: I24::try_from(60).unwrap(),
        amount: 500,
        amount0: U256::ZERO,
        amount1: U256::ZERO,
    };
    cache.apply(&decoded(POOL, 3, burn.clone()));
    let p = v3_pool(&cache);
    assert_eq!(p.state.liquidity, 1_010);
    assert!(!p.state.ticks.contains_key(&-120), "gross 0: cleared");
    assert_eq!(p.state.ticks[&60], -7);
    // A burn of more than a tick holds means the cache is wrong: it drops the entry.
    let too_much = uniswap_v3::Burn { amount: 5_000, ..burn };
    assert_eq!(cache.apply(&decoded(POOL, 4, too_much)), Applied::Invalidated);
    assert!(cache.peek(&POOL).is_none());
}

#[tokio::test]
async fn quotes_come_from_the_cached_state() {
    let cache = ReserveCache::new(GatedSource::new(1_000_000, 2_000_000));
    let one = U256::from(1_000u64);
    assert_eq!(
        cache.quote(&POOL, TOKEN0, one, SwapSide::ExactIn),
        Err(QuoteError::NotCached { pool: POOL })
    );
    cache.get(&PoolKey::uniswap_v2(POOL), 1).await.unwrap();
    let q = cache.quote(&POOL, TOKEN0, one, SwapSide::ExactIn).unwrap();
    let out = mev_swap_math::get_amount_out(
        one,
        U256::from(1_000_000u64),
        U256::from(2_000_000u64),
        V2Fee::UNISWAP,
    )
    .unwrap();
    assert_eq!((q.token_out, q.amount_in, q.amount_out), (TOKEN1, one, out));
    assert_eq!(
        q.after,
        PriceAfter::UniswapV2 {
            reserve0: U256::from(1_001_000u64),
            reserve1: U256::from(2_000_000u64) - out
        }
    );
    let back = cache.quote(&POOL, TOKEN0, out, SwapSide::ExactOut).unwrap();
    assert_eq!(back.token_out, TOKEN1);
    assert!(back.amount_in <= one, "exact out of what exact in gave costs at most as much");
    assert!(matches!(
        cache.quote(&POOL, Address::repeat_byte(0x55), one, SwapSide::ExactIn),
        Err(QuoteError::UnknownToken { .. })
    ));
    assert!(matches!(
        cache.quote(&POOL, TOKEN0, U256::from(2_000_000u64), SwapSide::ExactOut),
        Err(QuoteError::Swap { .. })
    ));
}

fn balancer_pool_id() -> B256 {
    let mut id = [0u8; 32];
    id[..20].copy_from_slice(POOL.as_slice());
    id.into()
}

const VAULT: Address = Address::repeat_byte(0xba);

fn wad(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18))
}

/// A 50/50 weighted pool of TOKEN0 and TOKEN1, 0.1 % fee.
fn weighted_state() -> PoolState {
    PoolState::BalancerV2(Box::new(BalancerV2Pool {
        tokens: vec![TOKEN0, TOKEN1],
        state: BalancerV2State::Weighted(WeightedPoolState {
            balances: vec![wad(1_000), wad(2_000)],
            scaling_factors: vec![wad(1), wad(1)],
            normalized_weights: vec![wad(1) / U256::from(2), wad(1) / U256::from(2)],
            swap_fee: wad(1) / U256::from(1_000),
        }),
    }))
}

fn balancer_swap(block: u64, amount_in: U256, amount_out: U256) -> DecodedLog {
    let swap = balancer_v2::Swap {
        poolId: balancer_pool_id(),
        tokenIn: TOKEN0,
        tokenOut: TOKEN1,
        amountIn: amount_in,
        amountOut: amount_out,
    };
    decoded(VAULT, block, swap)
}

#[tokio::test]
async fn balancer_vault_events_update_the_pool_named_by_the_pool_id_in_place() {
    let source = GatedSource::new(0, 0);
    source.answer_state(weighted_state());
    let cache = ReserveCache::new(source.clone());
    let key = PoolKey::balancer_v2_weighted(VAULT, balancer_pool_id());
    assert_eq!(key.address, POOL);
    cache.get(&key, 1).await.unwrap();
    let q = cache.quote(&POOL, TOKEN0, wad(10), SwapSide::ExactIn).unwrap();
    assert_eq!(q.token_out, TOKEN1);

    // The swap the state computes: balances move by its amounts.
    assert_eq!(cache.apply(&balancer_swap(2, wad(10), q.amount_out)), Applied::Updated);
    let PoolState::BalancerV2(b) = &cache.peek(&POOL).unwrap().state else { panic!() };
    assert_eq!(b.balances(), [wad(1_010), wad(2_000) - q.amount_out]);
    assert_eq!(
        q.after,
        PriceAfter::BalancerV2 { balance_in: wad(1_010), balance_out: wad(2_000) - q.amount_out }
    );

    // A join net of its protocol fee.
    let join = balancer_v2::PoolBalanceChanged {
        poolId: balancer_pool_id(),
        liquidityProvider: Address::repeat_byte(0x77),
        tokens: vec![TOKEN0, TOKEN1],
        deltas: vec![I256::try_from(wad(5)).unwrap(), I256::ZERO],
        protocolFeeAmounts: vec![U256::from(1), U256::ZERO],
    };
    assert_eq!(cache.apply(&decoded(VAULT, 3, join)), Applied::Updated);
    let PoolState::BalancerV2(b) = &cache.peek(&POOL).unwrap().state else { panic!() };
    assert_eq!(b.balances()[0], wad(1_015) - U256::from(1));
    assert_eq!(source.fetches(), 1);

    // A swap whose amounts the state does not compute (the fee changed unseen): re-read.
    assert_eq!(cache.apply(&balancer_swap(4, wad(10), wad(1))), Applied::Invalidated);
    assert!(cache.peek(&POOL).is_none());
    cache.get(&key, 4).await.unwrap();
    // A removed log undoes nothing in place: it invalidates.
    let mut removed = balancer_swap(4, wad(10), wad(1));
    removed.meta.removed = true;
    assert_eq!(cache.apply(&removed), Applied::Invalidated);
    assert_eq!(cache.stats().invalidations, 2);
}

#[tokio::test]
async fn balancer_pools_of_no_given_type_keep_balances_but_do_not_quote() {
    let source = GatedSource::new(0, 0);
    let PoolState::BalancerV2(mut b) = weighted_state() else { unreachable!() };
    b.state = BalancerV2State::Other { balances: b.balances().to_vec() };
    source.answer_state(PoolState::BalancerV2(b));
    let cache = ReserveCache::new(source);
    cache.get(&PoolKey::balancer_v2(VAULT, balancer_pool_id()), 1).await.unwrap();
    assert!(matches!(
        cache.quote(&POOL, TOKEN0, wad(1), SwapSide::ExactIn),
        Err(QuoteError::NotQuotable { kind: "balancer-v2", .. })
    ));
    assert_eq!(cache.apply(&balancer_swap(2, wad(10), wad(3))), Applied::Updated);
    let PoolState::BalancerV2(b) = &cache.peek(&POOL).unwrap().state else { panic!() };
    assert_eq!(b.balances(), [wad(1_010), wad(1_997)]);
}

/// A composable stable pool during an amplification ramp is exact at its block only: a read
/// for a later block fetches again, a later block's event invalidates it, an event of its own
/// block updates it.
#[tokio::test]
async fn time_dependent_balancer_state_is_block_bound() {
    let bpt = POOL;
    let stable = |amp_is_updating| {
        PoolState::BalancerV2(Box::new(BalancerV2Pool {
            tokens: vec![TOKEN0, TOKEN1, bpt],
            state: BalancerV2State::ComposableStable(ComposableStableState {
                math: StablePoolState {
                    balances: vec![wad(1_000), wad(1_000), wad(1_000_000)],
                    scaling_factors: vec![wad(1), wad(1), wad(1)],
                    amp: U256::from(200_000),
                    swap_fee: wad(1) / U256::from(10_000),
                    bpt_index: Some(2),
                },
                amp_is_updating,
                timestamp: 1_000,
                rates: vec![None, None, None],
            }),
        }))
    };
    let source = GatedSource::new(0, 0);
    source.answer_state(stable(true));
    let cache = ReserveCache::new(source.clone());
    let key = PoolKey::balancer_v2_composable_stable(VAULT, balancer_pool_id());
    cache.get(&key, 5).await.unwrap();
    assert_eq!(cache.peek(&POOL).unwrap().state.valid_for(), Some(0));
    cache.get(&key, 5).await.unwrap();
    assert_eq!(source.fetches(), 1, "same block: a hit");
    cache.get(&key, 6).await.unwrap();
    assert_eq!(source.fetches(), 2, "a later block: read again");
    assert!(matches!(
        cache.quote_to(&POOL, TOKEN0, bpt, wad(1), SwapSide::ExactIn),
        Err(QuoteError::BptSwap { .. })
    ));
    let q = cache.quote(&POOL, TOKEN0, wad(1), SwapSide::ExactIn).unwrap();
    assert_eq!((q.token_out, q.block), (TOKEN1, 6), "the BPT is not a token out");
    assert_eq!(cache.apply(&balancer_swap(6, wad(1), q.amount_out)), Applied::Updated);
    assert_eq!(cache.apply(&balancer_swap(7, wad(1), q.amount_out)), Applied::Invalidated);

    // Without the ramp (and without rate providers) the state is not bound in time.
    source.answer_state(stable(false));
    cache.get(&key, 7).await.unwrap();
    cache.get(&key, 9).await.unwrap();
    assert_eq!(source.fetches(), 3);
}

#[tokio::test]
async fn works_without_a_cache() {
    let source = GatedSource::new(5, 6);
    let key = PoolKey::uniswap_v2(POOL);
    let direct = read_pool(None, source.as_ref(), &key, 3).await.unwrap();
    let cache = ReserveCache::new(source.clone());
    let cached = read_pool(Some(&cache), source.as_ref(), &key, 3).await.unwrap();
    assert_eq!(direct.state, cached.state);
    assert_eq!(source.fetches(), 2);
}

#[tokio::test]
async fn warm_fetches_in_one_batch_and_respects_later_updates() {
    let source = GatedSource::new(8, 9);
    let cache = ReserveCache::new(source.clone());
    let keys: Vec<PoolKey> =
        (1..=3u8).map(|n| PoolKey::uniswap_v2(Address::repeat_byte(n))).collect();
    let results = cache.warm(&keys, 7).await;
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(cache.len(), 3);
    for k in &keys {
        assert_eq!(cache.peek(&k.address).unwrap().state, v2(8, 9));
    }
}
