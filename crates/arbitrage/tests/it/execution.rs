//! Sizing equals execution, on real contracts: Uniswap V2 pairs, V3 pools of two fee tiers, V4
//! pools and Balancer weighted pools over five tokens (two of them base tokens), kept by a
//! [`ReserveCache`] that follows each block's logs. Every block a trader swaps at random (mean
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

use alloy_primitives::{Address, B256, Bytes, I256, U256, aliases::U160};
use alloy_provider::Provider;
use alloy_sol_types::sol;
use mev_arbitrage::{Arbitrage, Cycle, CycleId, CycleIndex, SizingConfig, size_cycle};
use mev_chain::{Counted, ProviderChain};
use mev_devnet::{
    BalancerPool, BalancerSwapKind, Devnet, QuerySwapOutcome, QuoterV2, SQRT_PRICE_1_1, TxBatch,
    UniswapV2Pair, UniswapV3Pool, UniswapV4, UniswapV4Pool, bindings::IERC20, receipt_events,
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

sol! {
    /// Balancer V2 `Vault.swap` (for batching; the devnet's helper sends one transaction).
    interface IVault {
        enum SwapKind { GIVEN_IN, GIVEN_OUT }
        struct SingleSwap {
            bytes32 poolId;
            SwapKind kind;
            address assetIn;
            address assetOut;
            uint256 amount;
            bytes userData;
        }
        struct FundManagement {
            address sender;
            bool fromInternalBalance;
            address recipient;
            bool toInternalBalance;
        }
        function swap(SingleSwap singleSwap, FundManagement funds, uint256 limit, uint256 deadline)
            external payable returns (uint256 amountCalculated);
    }
}

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

fn l18(n: u64) -> u128 {
    u128::from(n) * 1_000_000_000_000_000_000
}

#[derive(Clone)]
enum Venue {
    V2(UniswapV2Pair),
    V3(UniswapV3Pool),
    V4(UniswapV4Pool),
    Balancer(BalancerPool),
}

impl Venue {
    fn kind(&self) -> &'static str {
        match self {
            Self::V2(_) => "V2",
            Self::V3(_) => "V3",
            Self::V4(_) => "V4",
            Self::Balancer(_) => "Balancer",
        }
    }
}

struct World {
    devnet: Devnet,
    vault: Address,
    v4: UniswapV4,
    quoter: QuoterV2,
    venues: BTreeMap<Address, Venue>,
    keys: Vec<PoolKey>,
    tokens: Vec<Address>,
    trader: Address,
    arbitrageur: Address,
}

type Snapshots = HashMap<Address, Arc<PoolSnapshot>>;

/// Queues an exact-input swap of `amount_in` through `venue` from `from` (to itself).
/// `amount_out` is what a V2 pair is asked for (it computes nothing); other venues compute it.
fn push_swap(
    world: &World,
    batch: &mut TxBatch,
    venue: &Venue,
    from: Address,
    (token_in, token_out): (Address, Address),
    amount_in: U256,
    amount_out: U256,
) {
    match venue {
        Venue::V2(pair) => {
            pair.push_swap(batch, from, token_in == pair.token0(), amount_in, amount_out);
        }
        Venue::V3(pool) => pool.push_swap(batch, from, token_in == pool.token0(), amount_in),
        Venue::V4(pool) => pool.push_swap(
            batch,
            from,
            token_in == pool.currency0(),
            -I256::from_raw(amount_in),
            U160::ZERO,
        ),
        Venue::Balancer(pool) => {
            let call = IVault::swapCall {
                singleSwap: IVault::SingleSwap {
                    poolId: pool.id(),
                    kind: IVault::SwapKind::GIVEN_IN,
                    assetIn: token_in,
                    assetOut: token_out,
                    amount: amount_in,
                    userData: Bytes::new(),
                },
                funds: IVault::FundManagement {
                    sender: from,
                    fromInternalBalance: false,
                    recipient: from,
                    toInternalBalance: false,
                },
                // No minimum: a shortfall shows as a number, not a revert.
                limit: U256::ZERO,
                deadline: U256::MAX,
            };
            batch.push(from, world.vault, &call);
        }
    }
}

async fn deploy(devnet: &Devnet, rng: &mut Rng) -> World {
    devnet.deploy_multicall3().await.unwrap();
    let me = devnet.deployer();
    let (trader, arbitrageur) = (devnet.accounts()[1], devnet.accounts()[2]);
    let mut tokens = Vec::new();
    for _ in 0..5 {
        tokens.push(devnet.deploy_erc20(e18(1_000_000_000_000)).await.unwrap());
    }
    let v2f = devnet.deploy_uniswap_v2().await.unwrap();
    let v3f = devnet.deploy_uniswap_v3().await.unwrap();
    let quoter = v3f.deploy_quoter_v2().await.unwrap();
    let v4 = devnet.deploy_uniswap_v4().await.unwrap();
    let bal = devnet.deploy_balancer_v2().await.unwrap();
    let vault = bal.vault();
    let mut batch = devnet.batch();
    for &t in &tokens {
        for who in [trader, arbitrageur] {
            batch.push(me, t, &IERC20::transferCall { to: who, value: e18(1_000_000_000) });
        }
        for who in [me, trader, arbitrageur] {
            for spender in [v3f.swap_router(), v3f.position_manager(), vault] {
                batch.push(who, t, &IERC20::approveCall { spender, value: U256::MAX });
            }
        }
    }
    batch.execute().await.unwrap();

    let mut venues = BTreeMap::new();
    let mut keys = Vec::new();
    for (a, b, size) in [(0, 1, 300_000), (0, 2, 200_000), (1, 2, 100_000), (1, 3, 150_000)]
        .into_iter()
        .chain([(0, 4, 100_000), (2, 3, 200_000)])
    {
        let pair = v2f.create_pair(tokens[a], tokens[b]).await.unwrap();
        pair.add_liquidity(me, e18(size), e18(size)).await.unwrap();
        keys.push(PoolKey::uniswap_v2(pair.address()));
        venues.insert(pair.address(), Venue::V2(pair));
    }
    for (a, b, fee) in [(0, 1, 500), (0, 1, 3_000), (0, 2, 3_000), (1, 3, 500), (2, 4, 3_000)]
        .into_iter()
        .chain([(3, 4, 500)])
    {
        let pool = v3f.create_pool(tokens[a], tokens[b], fee, SQRT_PRICE_1_1).await.unwrap();
        let (lo, hi) = pool.full_range();
        let mut batch = devnet.batch();
        pool.push_mint_position(&mut batch, me, lo, hi, e18(30_000), e18(30_000)).unwrap();
        let s = pool.tick_spacing();
        for _ in 0..6 {
            let lower = -s * (1 + rng.below(60) as i32);
            let upper = s * (1 + rng.below(60) as i32);
            let size = e18(1_000 + rng.below(20_000));
            pool.push_mint_position(&mut batch, me, lower, upper, size, size).unwrap();
        }
        batch.execute().await.unwrap();
        keys.push(PoolKey::uniswap_v3_with_ticks(pool.address(), 400));
        venues.insert(pool.address(), Venue::V3(pool));
    }
    for (a, b, fee, spacing) in [(0, 1, 3_000, 60), (0, 3, 500, 10), (1, 4, 10_000, 200)]
        .into_iter()
        .chain([(2, 3, 500, 10)])
    {
        let pool = v4
            .initialize_pool(tokens[a], tokens[b], fee, spacing, Address::ZERO, SQRT_PRICE_1_1)
            .await
            .unwrap();
        for who in [me, trader, arbitrageur] {
            pool.approve_routers(who).await.unwrap();
        }
        let mut batch = devnet.batch();
        let (lo, hi) = pool.full_range();
        let mut salt = 0u64;
        let mut add = |batch: &mut TxBatch, lo: i32, hi: i32, l: u128| {
            salt += 1;
            let salt = B256::from(U256::from(salt));
            pool.push_modify_liquidity(batch, me, lo, hi, i128::try_from(l).unwrap(), salt)
                .unwrap();
        };
        add(&mut batch, lo, hi, l18(30_000));
        for _ in 0..6 {
            let lower = -spacing * (1 + rng.below(60) as i32);
            let upper = spacing * (1 + rng.below(60) as i32);
            add(&mut batch, lower, upper, l18(1_000 + rng.below(20_000)));
        }
        batch.execute().await.unwrap();
        let key = V4PoolKey {
            currency0: pool.currency0(),
            currency1: pool.currency1(),
            fee,
            tick_spacing: spacing,
            hooks: Address::ZERO,
        };
        let words = u16::try_from(UniswapV4::MAX_TICK / spacing / 256 + 2).unwrap();
        let key = PoolKey::uniswap_v4_with_ticks(v4.pool_manager(), v4.state_view(), key, words);
        venues.insert(key.address, Venue::V4(pool));
        keys.push(key);
    }
    // Weighted pools at price 1: balances in the weights' ratio.
    let wad = |milli: u64| U256::from(milli) * U256::from(1_000_000_000_000_000u64);
    for (members, fee) in
        [(vec![(0, 500), (2, 250), (3, 250)], wad(3)), (vec![(1, 800), (4, 200)], wad(1))]
    {
        let weights: Vec<(Address, U256)> =
            members.iter().map(|&(t, w)| (tokens[t], wad(w))).collect();
        let pool = bal.create_weighted_pool(&weights, fee).await.unwrap();
        let amounts: Vec<U256> = pool
            .tokens()
            .iter()
            .map(|t| {
                let &(_, w) = members.iter().find(|(i, _)| tokens[*i] == *t).unwrap();
                e18(w * 400)
            })
            .collect();
        pool.initialize(me, &amounts).await.unwrap();
        let key = PoolKey::balancer_v2_weighted(vault, pool.id());
        venues.insert(key.address, Venue::Balancer(pool));
        keys.push(key);
    }
    World { devnet: devnet.clone(), vault, v4, quoter, venues, keys, tokens, trader, arbitrageur }
}

/// One block of 2–6 random exact-input swaps by the trader: a random pool and pair, the
/// direction that moves the pool back towards price 1 three times in four, log-uniform sizes
/// from 1 to 900 tokens (capped at a twentieth of a Balancer balance: its ratio limits); at most one per V2 pair
/// (its output is computed from the reserves at the block's start).
async fn random_block(world: &World, snaps: &Snapshots, rng: &mut Rng) -> usize {
    let mut batch = world.devnet.batch().block_size(usize::MAX);
    let addresses: Vec<Address> = world.venues.keys().copied().collect();
    let mut used = BTreeSet::new();
    let probe = U256::from(10u64).pow(U256::from(15));
    for _ in 0..2 + rng.below(5) {
        let pool = addresses[rng.below(addresses.len() as u64) as usize];
        let venue = &world.venues[&pool];
        let snap = &snaps[&pool];
        let tokens = snap.state.swap_tokens();
        let i = rng.below(tokens.len() as u64) as usize;
        let j = (i + 1 + rng.below(tokens.len() as u64 - 1) as usize) % tokens.len();
        let (a, b) = (tokens[i], tokens[j]);
        let out = |x: Address, y: Address| {
            snap.quote_to(x, y, probe, SwapSide::ExactIn).map_or(U256::ZERO, |q| q.amount_out)
        };
        // Selling the dearer token moves the pool towards 1.
        let towards = if out(a, b) >= out(b, a) { (a, b) } else { (b, a) };
        let (token_in, token_out) =
            if rng.below(4) == 0 { (towards.1, towards.0) } else { towards };
        let digits = rng.below(3);
        let mut amount = e18((1 + rng.below(9)) * 10u64.pow(digits as u32));
        if let Venue::Balancer(p) = venue {
            let k = p.tokens().iter().position(|t| *t == token_in).unwrap();
            let balances = p.balances().await.unwrap();
            amount = amount.min(balances[k] / U256::from(20));
        }
        let amount_out = match venue {
            Venue::V2(_) => {
                if !used.insert(pool) {
                    continue;
                }
                let q = snap.quote_to(token_in, token_out, amount, SwapSide::ExactIn).unwrap();
                q.amount_out
            }
            _ => U256::ZERO,
        };
        push_swap(
            world,
            &mut batch,
            venue,
            world.trader,
            (token_in, token_out),
            amount,
            amount_out,
        );
    }
    let n = batch.len();
    if batch.is_empty() {
        world.devnet.mine(1).await.unwrap();
    } else {
        batch.execute().await.unwrap();
    }
    n
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
async fn chain_quote(world: &World, venue: &Venue, hop: &mev_arbitrage::Hop, x: U256) -> U256 {
    match venue {
        Venue::V2(pair) => {
            let r = pair.reserves().await.unwrap();
            let (rin, rout) = if hop.token_in == pair.token0() {
                (U256::from(r.reserve0), U256::from(r.reserve1))
            } else {
                (U256::from(r.reserve1), U256::from(r.reserve0))
            };
            get_amount_out(x, rin, rout, V2Fee::UNISWAP).unwrap()
        }
        Venue::V3(pool) => {
            let zfo = hop.token_in == pool.token0();
            world.quoter.quote_exact_input_single(pool, zfo, x, U160::ZERO).await.unwrap().amount
        }
        Venue::V4(pool) => {
            let zfo = hop.token_in == pool.currency0();
            world.v4.quote_exact_input_single(pool, zfo, x.to()).await.unwrap().amount
        }
        Venue::Balancer(pool) => {
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

/// `owner`'s balances of `tokens`.
async fn balances(devnet: &Devnet, owner: Address, tokens: &[Address]) -> Vec<U256> {
    let mut out = Vec::new();
    for &t in tokens {
        out.push(devnet.balance_of(t, owner).await.unwrap());
    }
    out
}

/// Executes `arb` from a snapshot alone in block `head + 1` by the arbitrageur and checks every
/// hop paid its quoted input and received its quoted output, and the base token's balance rose
/// by the gross profit (the other tokens' did not move); reverts to `head`.
async fn execute_and_check(world: &World, arb: &Arbitrage, head: u64) {
    let devnet = &world.devnet;
    let me = world.arbitrageur;
    let snapshot = devnet.snapshot().await.unwrap();
    let tokens: Vec<Address> = arb.hops.iter().map(|h| h.token_in).collect();
    let before = balances(devnet, me, &tokens).await;
    let mut batch = devnet.batch().block_size(usize::MAX);
    let mut spans = Vec::new();
    for hop in &arb.hops {
        let start = batch.len();
        let venue = &world.venues[&hop.pool];
        let pair = (hop.token_in, hop.token_out);
        push_swap(world, &mut batch, venue, me, pair, hop.amount_in, hop.amount_out);
        spans.push(start..batch.len());
    }
    let txs = batch.len();
    let context = || {
        let kinds: Vec<&str> = arb.hops.iter().map(|h| world.venues[&h.pool].kind()).collect();
        format!("{kinds:?} {arb:?} at block {head}")
    };
    let receipts =
        batch.execute().await.unwrap_or_else(|e| panic!("execution failed: {e}: {}", context()));
    let mined = devnet.block_number().await.unwrap();
    assert_eq!(mined, head + 1, "one block: {}", context());
    let block = devnet.provider().get_block_by_number(mined.into()).await.unwrap().unwrap();
    assert_eq!(block.transactions.len(), txs, "nothing else in the block: {}", context());
    for (hop, span) in arb.hops.iter().zip(spans) {
        let (mut paid, mut received) = (U256::ZERO, U256::ZERO);
        for r in &receipts[span] {
            for t in receipt_events::<IERC20::Transfer>(r, hop.token_in).unwrap() {
                if t.from == me {
                    paid += t.value;
                }
            }
            for t in receipt_events::<IERC20::Transfer>(r, hop.token_out).unwrap() {
                if t.to == me {
                    received += t.value;
                }
            }
        }
        assert_eq!(paid, hop.amount_in, "hop input {hop:?}: {}", context());
        assert_eq!(received, hop.amount_out, "hop output {hop:?}: {}", context());
    }
    let after = balances(devnet, me, &tokens).await;
    assert_eq!(after[0] - before[0], arb.gross_profit, "realized profit: {}", context());
    assert_eq!(&after[1..], &before[1..], "intermediate tokens: {}", context());
    devnet.revert(snapshot).await.unwrap();
    assert_eq!(devnet.block_number().await.unwrap(), head, "reverted");
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
    let mut rng = Rng(0xa7b1_7a6e_5eed_0001);
    let world = deploy(&devnet, &mut rng).await;
    let provider = devnet.provider().clone();
    let base = [world.tokens[0], world.tokens[1]];

    let registry: Registry = world
        .venues
        .iter()
        .filter_map(|(a, v)| match v {
            Venue::V2(_) => Some((*a, Protocol::UniswapV2)),
            Venue::V3(_) => Some((*a, Protocol::UniswapV3)),
            _ => None,
        })
        .chain([
            (world.v4.pool_manager(), Protocol::UniswapV4),
            (world.vault, Protocol::BalancerV2),
        ])
        .collect();
    let decoder = Decoder::with_registry(registry.clone());
    let source =
        Arc::new(RpcReserveSource::new(Counted::new(ProviderChain::new(provider.clone()))));
    let config = ReserveCacheConfig { ttl: Duration::from_secs(3_600), ..Default::default() };
    let cache = ReserveCache::with_config(source.clone(), config);
    let mut last = devnet.block_number().await.unwrap();
    let mut snaps: Snapshots = HashMap::new();
    for r in cache.warm(&world.keys, last).await {
        let s = r.unwrap();
        snaps.insert(s.pool, s);
    }
    let warm_requests = source.reader().requests();
    let pools: Vec<(Address, Vec<Address>)> =
        world.keys.iter().map(|k| (k.address, snaps[&k.address].state.swap_tokens())).collect();
    let index = CycleIndex::new(&pools, &base, 3);
    let two_hop = index.iter().filter(|(_, c)| c.hops().len() == 2).count();
    // Gas: 0.05 tokens, so dust dislocations are not opportunities.
    let gas_cost = U256::from(50_000_000_000_000_000u64);
    let sizing = SizingConfig { max_input: e18(100_000), gas_cost, ..SizingConfig::default() };
    let setup = started.elapsed();
    println!(
        "{} pools ({} V2, {} V3, {} V4, {} Balancer), {} cycles ({two_hop} of 2 hops); setup \
         {setup:.1?}, warm-up {warm_requests} requests",
        world.keys.len(),
        world.venues.values().filter(|v| matches!(v, Venue::V2(_))).count(),
        world.venues.values().filter(|v| matches!(v, Venue::V3(_))).count(),
        world.venues.values().filter(|v| matches!(v, Venue::V4(_))).count(),
        world.venues.values().filter(|v| matches!(v, Venue::Balancer(_))).count(),
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
        trades += random_block(&world, &snaps, &mut rng).await;
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
        for key in &world.keys {
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
            execute_and_check(&world, arb, head).await;
            emitted += 1;
            executed += 1;
            let kinds: Vec<&str> = arb.hops.iter().map(|h| world.venues[&h.pool].kind()).collect();
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
                            let kinds: Vec<&str> =
                                cycle.hops().iter().map(|h| world.venues[&h.pool].kind()).collect();
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
                        let chain = chain_quote(&world, &world.venues[&hop.pool], hop, input).await;
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
