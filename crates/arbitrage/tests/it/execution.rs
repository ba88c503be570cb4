//! Sizing equals execution, on real contracts: Uniswap V2 pairs, V3 pools of two fee tiers, V4
//! pools and Balancer weighted pools over five tokens (two of them base tokens; the devnet's
//! [`DexMarket`]), kept by a [`ReserveCache`] that follows each block's logs. Every block a trader swaps at random (mean
//! reverting around price 1, some swaps large enough to open dislocations beyond the fees); the
//! cycles the block touched are sized with [`size_cycle`], and each arbitrage it emits is
//! executed from a chain snapshot by an arbitrageur alone in the next block — every hop an exact
//! input of the hop's quoted `amount_in` through the pool's own router — and must pay the quoted
//! gross profit and each hop's quoted output to the wei; the snapshot is then reverted.
//!
//! Completeness, every [`CHECK_EVERY`]th block: each cycle (touched or not) is sized again (it
//! must equal what the index-driven sizing kept) and brute-forced over a geometric grid of
//! inputs refined around its best point, on the cache's quotes; a few points of a few cycles
//! per such block are cross-checked against the chain's own quoters (pair reserves, `QuoterV2`,
//! `V4Quoter`, `BalancerQueries`). The brute force may beat an emitted arbitrage only by the
//! search's step tolerance: with `a` the emitted input, `s` its `step` and `P` the profit, the
//! optimum lies in `[a − s, a + s]` and the profit is concave, so `P(x*) − P(a) ≤ max(P(a) −
//! P(a − s), P(a) − P(a + s), 0)` (+ [`ROUNDING`] wei for the contracts' integer rounding).

use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    sync::Arc,
    time::{Duration, Instant},
};

use alloy_primitives::{Address, I256, U256, aliases::U160};
use alloy_provider::Provider;
use mev_arbitrage::{Arbitrage, Cycle, CycleId, CycleIndex, SizingConfig, size_cycle};
use mev_chain::{Counted, ProviderChain};
use mev_devnet::{
    BalancerSwapKind, DevRng, Devnet, DexMarket, QuerySwapOutcome, SwapHop, UniswapV4, Venue,
};
use mev_event_decoder::{Decoder, Protocol, Registry, StateChange};
use mev_reserve_cache::{
    PoolKey, PoolSnapshot, ReserveCache, ReserveCacheConfig, RpcReserveSource, SwapSide, V4PoolKey,
};
use mev_swap_math::{V2Fee, get_amount_out};

const BLOCKS: u64 = 200;
/// Completeness is checked on blocks `≡ 0 (mod CHECK_EVERY)`.
const CHECK_EVERY: u64 = 4;
/// Cycles per checked block whose points are also quoted by the chain's quoters.
const CHAIN_CYCLES: usize = 2;
/// Slack for integer rounding in the concavity bound, wei.
const ROUNDING: u64 = 1_000;

fn e18(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18))
}

type Snapshots = HashMap<Address, Arc<PoolSnapshot>>;

/// The market's pools as reserve-cache keys, every tick of the V3 and V4 pools loaded.
fn pool_keys(market: &DexMarket) -> Vec<PoolKey> {
    market
        .venues
        .values()
        .map(|venue| match venue {
            Venue::UniswapV2(pair) => PoolKey::uniswap_v2(pair.address()),
            Venue::UniswapV3(pool) => PoolKey::uniswap_v3_with_ticks(pool.address(), 400),
            Venue::UniswapV4(pool) => {
                let key = V4PoolKey {
                    currency0: pool.currency0(),
                    currency1: pool.currency1(),
                    fee: pool.fee(),
                    tick_spacing: pool.tick_spacing(),
                    hooks: pool.hooks(),
                };
                let words = u16::try_from(UniswapV4::MAX_TICK / pool.tick_spacing() / 256 + 2)
                    .unwrap_or(u16::MAX);
                PoolKey::uniswap_v4_with_ticks(
                    market.v4.pool_manager(),
                    market.v4.state_view(),
                    key,
                    words,
                )
            }
            Venue::Balancer(pool, _) => {
                PoolKey::balancer_v2_weighted(market.balancer.vault(), pool.id())
            }
        })
        .collect()
}

/// `out − in` of `cycle` at `amount` on the cache's snapshots, as `size_cycle` evaluates it
/// (`None` when a hop cannot fill the whole input), with each hop's output.
fn cycle_profit(cycle: &Cycle, snaps: &Snapshots, amount: U256) -> Option<(I256, Vec<U256>)> {
    let mut x = amount;
    let mut outs = Vec::new();
    for hop in cycle.hops() {
        let q =
            snaps[&hop.pool].quote_to(hop.token_in, hop.token_out, x, SwapSide::ExactIn).ok()?;
        if q.amount_in != x {
            return None;
        }
        x = q.amount_out;
        outs.push(x);
    }
    Some((I256::from_raw(x) - I256::from_raw(amount), outs))
}

fn profit(cycle: &Cycle, snaps: &Snapshots, amount: U256) -> Option<I256> {
    cycle_profit(cycle, snaps, amount).map(|(p, _)| p)
}

/// The best input of a grid: geometric from `probe` to `max` (×1.75 a point), then four
/// rounds of 64 equal steps over the best point's neighbours. Returns `(input, profit)` and
/// the points evaluated.
fn brute_force(cycle: &Cycle, snaps: &Snapshots, config: &SizingConfig) -> (U256, I256, usize) {
    let mut grid = vec![config.probe];
    while let Some(&last) = grid.last() {
        let next = last * U256::from(7) / U256::from(4);
        if next >= config.max_input {
            grid.push(config.max_input);
            break;
        }
        grid.push(next);
    }
    let mut evaluated = 0;
    let mut best = (config.probe, I256::MIN);
    let mut best_k = 0;
    for (k, &x) in grid.iter().enumerate() {
        evaluated += 1;
        if let Some(p) = profit(cycle, snaps, x)
            && p > best.1
        {
            best = (x, p);
            best_k = k;
        }
    }
    if best.1 <= I256::ZERO {
        return (best.0, best.1, evaluated);
    }
    let mut lo = grid[best_k.saturating_sub(1)];
    let mut hi = grid[(best_k + 1).min(grid.len() - 1)];
    for _ in 0..4 {
        let width = hi - lo;
        let step = (width / U256::from(64)).max(U256::from(1));
        let mut x = lo;
        while x <= hi {
            evaluated += 1;
            if let Some(p) = profit(cycle, snaps, x)
                && p > best.1
            {
                best = (x, p);
            }
            x += step;
        }
        lo = best.0.saturating_sub(step).max(config.probe);
        hi = (best.0 + step).min(config.max_input);
        if step == U256::from(1) {
            break;
        }
    }
    (best.0, best.1, evaluated)
}

/// The chain's own quote of `amount` through one hop: pair reserves, `QuoterV2`, `V4Quoter`,
/// `BalancerQueries.querySwap`.
async fn chain_quote(market: &DexMarket, hop: &mev_arbitrage::Hop, x: U256) -> U256 {
    match &market.venues[&hop.pool] {
        Venue::UniswapV2(pair) => {
            let r = pair.reserves().await.unwrap();
            let (rin, rout) = if hop.token_in == pair.token0() {
                (U256::from(r.reserve0), U256::from(r.reserve1))
            } else {
                (U256::from(r.reserve1), U256::from(r.reserve0))
            };
            get_amount_out(x, rin, rout, V2Fee::UNISWAP).unwrap()
        }
        Venue::UniswapV3(pool) => {
            let zfo = hop.token_in == pool.token0();
            market.quoter.quote_exact_input_single(pool, zfo, x, U160::ZERO).await.unwrap().amount
        }
        Venue::UniswapV4(pool) => {
            let zfo = hop.token_in == pool.currency0();
            market.v4.quote_exact_input_single(pool, zfo, x.to()).await.unwrap().amount
        }
        Venue::Balancer(pool, _) => {
            match pool
                .query_swap(BalancerSwapKind::GivenIn, hop.token_in, hop.token_out, x)
                .await
                .unwrap()
            {
                QuerySwapOutcome::Amount(a) => a,
                QuerySwapOutcome::Reverted { reason } => panic!("querySwap reverted: {reason}"),
            }
        }
    }
}

/// Executes `arb` from a snapshot alone in block `head + 1` by the arbitrageur and checks every
/// hop paid its quoted input and received its quoted output, and the base token's balance rose
/// by the gross profit (the other tokens' did not move); the chain is back at `head` after.
async fn execute_and_check(market: &DexMarket, arb: &Arbitrage, head: u64) {
    let hops: Vec<SwapHop> = arb
        .hops
        .iter()
        .map(|h| SwapHop {
            pool: h.pool,
            token_in: h.token_in,
            token_out: h.token_out,
            amount_in: h.amount_in,
            amount_out: h.amount_out,
        })
        .collect();
    let context = || {
        let kinds: Vec<&str> = arb.hops.iter().map(|h| market.venues[&h.pool].kind()).collect();
        format!("{kinds:?} {arb:?} at block {head}")
    };
    let x = market
        .execute(&hops)
        .await
        .unwrap_or_else(|e| panic!("execution failed: {e}: {}", context()));
    assert_eq!(x.block, head + 1, "one block: {}", context());
    assert_eq!(x.block_transactions, x.sent, "nothing else in the block: {}", context());
    for (hop, &(paid, received)) in arb.hops.iter().zip(&x.hops) {
        assert_eq!(paid, hop.amount_in, "hop input {hop:?}: {}", context());
        assert_eq!(received, hop.amount_out, "hop output {hop:?}: {}", context());
    }
    assert_eq!(
        x.first_token_change,
        I256::from_raw(arb.gross_profit),
        "realized profit: {}",
        context()
    );
    assert!(x.others_unchanged, "intermediate tokens: {}", context());
    assert_eq!(market.devnet.block_number().await.unwrap(), head, "reverted");
}

#[derive(Debug, Default)]
struct Completeness {
    blocks: usize,
    cycles_checked: usize,
    grid_points: usize,
    emitted_checked: usize,
    /// Emitted cycles where the brute force found a better input than `size_cycle`, and by how
    /// much at most (wei), and the most the tolerance allowed.
    brute_better: usize,
    max_excess: I256,
    max_tolerance: I256,
    /// Cycles `size_cycle` found nothing in whose brute-force best still paid (must be 0), and
    /// the best such profit (≤ 0).
    missed: usize,
    best_unemitted: I256,
    chain_points: usize,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sized_cycles_execute_on_chain_for_exactly_the_quoted_profit() {
    let started = Instant::now();
    let devnet = Devnet::start().await.expect("devnet (run: bash scripts/devnet-setup)");
    let mut rng = DevRng(0xa7b1_7a6e_5eed_0001);
    let market = DexMarket::deploy(&devnet, &mut rng).await.expect("the DEX market");
    let keys = pool_keys(&market);
    let provider = devnet.provider().clone();
    let base = [market.tokens[0], market.tokens[1]];

    let registry: Registry = market
        .venues
        .iter()
        .filter_map(|(a, v)| match v {
            Venue::UniswapV2(_) => Some((*a, Protocol::UniswapV2)),
            Venue::UniswapV3(_) => Some((*a, Protocol::UniswapV3)),
            _ => None,
        })
        .chain([
            (market.v4.pool_manager(), Protocol::UniswapV4),
            (market.balancer.vault(), Protocol::BalancerV2),
        ])
        .collect();
    let decoder = Decoder::with_registry(registry.clone());
    let source =
        Arc::new(RpcReserveSource::new(Counted::new(ProviderChain::new(provider.clone()))));
    let config = ReserveCacheConfig { ttl: Duration::from_secs(3_600), ..Default::default() };
    let cache = ReserveCache::with_config(source.clone(), config);
    let mut last = devnet.block_number().await.unwrap();
    let mut snaps: Snapshots = HashMap::new();
    for r in cache.warm(&keys, last).await {
        let s = r.unwrap();
        snaps.insert(s.pool, s);
    }
    let warm_requests = source.reader().requests();
    let pools: Vec<(Address, Vec<Address>)> =
        keys.iter().map(|k| (k.address, snaps[&k.address].state.swap_tokens())).collect();
    let index = CycleIndex::new(&pools, &base, 3);
    let two_hop = index.iter().filter(|(_, c)| c.hops().len() == 2).count();
    // Gas: 0.05 tokens, so dust dislocations are not opportunities.
    let gas_cost = U256::from(50_000_000_000_000_000u64);
    let sizing = SizingConfig { max_input: e18(100_000), gas_cost, ..SizingConfig::default() };
    let setup = started.elapsed();
    println!(
        "{} pools ({} V2, {} V3, {} V4, {} Balancer), {} cycles ({two_hop} of 2 hops); setup \
         {setup:.1?}, warm-up {warm_requests} requests",
        keys.len(),
        market.venues.values().filter(|v| matches!(v, Venue::UniswapV2(_))).count(),
        market.venues.values().filter(|v| matches!(v, Venue::UniswapV3(_))).count(),
        market.venues.values().filter(|v| matches!(v, Venue::UniswapV4(_))).count(),
        market.venues.values().filter(|v| matches!(v, Venue::Balancer(..))).count(),
        index.len(),
    );
    assert!(index.len() >= 100, "{} cycles", index.len());

    let mut latest: BTreeMap<CycleId, Option<Arbitrage>> = BTreeMap::new();
    let (mut trades, mut sized, mut emitted, mut executed) = (0usize, 0usize, 0usize, 0usize);
    let mut by_kind: BTreeMap<String, usize> = BTreeMap::new();
    let mut max_profit = U256::ZERO;
    let mut total_profit = U256::ZERO;
    let mut evaluations = 0u64;
    let mut c = Completeness { best_unemitted: I256::MIN, ..Default::default() };
    let (mut exec_time, mut check_time) = (Duration::ZERO, Duration::ZERO);
    for block in 0..BLOCKS {
        trades += market.random_block(&mut rng).await.expect("random trades");
        let head = devnet.block_number().await.unwrap();
        let fetches = cache.stats().fetches;
        let mut touched = BTreeSet::new();
        let filter = registry.filter().from_block(last + 1).to_block(head);
        for log in provider.get_logs(&filter).await.unwrap() {
            let decoded = decoder.decode(&log).unwrap();
            cache.apply(&decoded);
            for change in decoded.state_changes() {
                if let StateChange::Pool { pool, .. } = change {
                    touched.insert(pool);
                }
            }
        }
        last = head;
        for key in &keys {
            snaps.insert(key.address, cache.get(key, head).await.unwrap());
        }
        assert_eq!(cache.stats().fetches, fetches, "kept by events alone");

        let ids: Vec<CycleId> = if block == 0 {
            index.iter().map(|(id, _)| id).collect()
        } else {
            index.touched(&touched)
        };
        let lookup = |a: &Address| snaps.get(a).map(AsRef::as_ref);
        let mut found = Vec::new();
        for id in ids {
            let r = size_cycle(id, index.get(id).unwrap(), lookup, &sizing).unwrap();
            sized += 1;
            if let Some(arb) = &r {
                evaluations += u64::from(arb.evaluations);
                found.push(arb.clone());
            }
            latest.insert(id, r);
        }
        let t = Instant::now();
        for arb in &found {
            execute_and_check(&market, arb, head).await;
            emitted += 1;
            executed += 1;
            let kinds: Vec<&str> = arb.hops.iter().map(|h| market.venues[&h.pool].kind()).collect();
            *by_kind.entry(kinds.join("→")).or_default() += 1;
            max_profit = max_profit.max(arb.gross_profit);
            total_profit += arb.gross_profit;
        }
        exec_time += t.elapsed();

        if block % CHECK_EVERY == 0 {
            let t = Instant::now();
            c.blocks += 1;
            let mut chain_candidates = Vec::new();
            for (id, cycle) in index.iter() {
                let fresh = size_cycle(id, cycle, lookup, &sizing).unwrap();
                assert_eq!(
                    fresh.as_ref(),
                    latest.get(&id).and_then(Option::as_ref),
                    "the touched-index sizing kept cycle {id:?} current at block {head}"
                );
                let (x, best, points) = brute_force(cycle, &snaps, &sizing);
                c.cycles_checked += 1;
                c.grid_points += points;
                match &fresh {
                    Some(arb) => {
                        c.emitted_checked += 1;
                        let at = I256::from_raw(arb.gross_profit);
                        // A side some hop cannot fill bounds nothing (the optimum is not there).
                        let sides = [
                            arb.amount_in.saturating_sub(arb.step).max(sizing.probe),
                            (arb.amount_in + arb.step).min(sizing.max_input),
                        ];
                        let tolerance = sides
                            .iter()
                            .filter_map(|&x| profit(cycle, &snaps, x))
                            .map(|p| at - p)
                            .fold(I256::ZERO, I256::max)
                            + I256::try_from(ROUNDING).unwrap();
                        c.max_tolerance = c.max_tolerance.max(tolerance);
                        if best > at {
                            c.brute_better += 1;
                            c.max_excess = c.max_excess.max(best - at);
                        }
                        assert!(
                            best <= at + tolerance,
                            "cycle {id:?} at block {head}: brute force {best} at {x} beats \
                             {arb:?} by more than {tolerance}"
                        );
                        chain_candidates.push((id, arb.amount_in, arb.step, x));
                    }
                    None => {
                        c.best_unemitted = c.best_unemitted.max(best);
                        if best > I256::try_from(sizing.gas_cost).unwrap() {
                            c.missed += 1;
                            let kinds: Vec<&str> = cycle
                                .hops()
                                .iter()
                                .map(|h| market.venues[&h.pool].kind())
                                .collect();
                            let mut probes = Vec::new();
                            let mut a = sizing.probe;
                            while a <= sizing.max_input {
                                probes.push(profit(cycle, &snaps, a));
                                a *= U256::from(16);
                            }
                            println!(
                                "MISSED cycle {id:?} {kinds:?} at block {head}: {best} at {x}; \
                                 profit from the probe ×16: {probes:?}; {:?}",
                                cycle.hops().iter().map(|h| &snaps[&h.pool]).collect::<Vec<_>>()
                            );
                        }
                    }
                }
            }
            // Chain quoters on a few cycles: emitted ones first, else random ones.
            while chain_candidates.len() < CHAIN_CYCLES {
                let id = CycleId(rng.below(index.len() as u64) as u32);
                chain_candidates.push((
                    id,
                    sizing.probe,
                    U256::ZERO,
                    sizing.probe * U256::from(1_000_000),
                ));
            }
            for &(id, a, step, x) in chain_candidates.iter().take(CHAIN_CYCLES) {
                let cycle = index.get(id).unwrap();
                let points = [
                    a,
                    a.saturating_sub(step).max(sizing.probe),
                    a + step,
                    x,
                    x * U256::from(3),
                    x / U256::from(7),
                ];
                for amount in points {
                    let Some((_, outs)) = cycle_profit(cycle, &snaps, amount) else { continue };
                    let mut input = amount;
                    for (hop, &out) in cycle.hops().iter().zip(&outs) {
                        let chain = chain_quote(&market, hop, input).await;
                        assert_eq!(
                            chain, out,
                            "chain quoter vs cache, {hop:?} of {input} at block {head}"
                        );
                        input = out;
                    }
                    c.chain_points += 1;
                }
            }
            check_time += t.elapsed();
        }
    }
    assert_eq!(source.reader().requests(), warm_requests, "no read after warm-up");
    let run = started.elapsed();
    println!(
        "mev-arbitrage devnet: {BLOCKS} blocks, {trades} trader txs, {} cycles, {sized} cycle \
         sizings, {emitted} arbitrages emitted, {executed} executed with profit and every hop \
         equal to the quote to the wei; by pools {by_kind:?}; max gross profit {max_profit} wei, \
         total {total_profit}; {evaluations} cycle quotes in emitted sizings; completeness \
         {c:?}; setup {setup:.1?}, executions {exec_time:.1?}, checks {check_time:.1?}, total \
         {run:.1?}",
        index.len()
    );
    assert_eq!(c.missed, 0, "paying cycles size_cycle missed");
    assert!(c.blocks >= 50);
    assert!(emitted >= 24, "{emitted} arbitrages");
}
