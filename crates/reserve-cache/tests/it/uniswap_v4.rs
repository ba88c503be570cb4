//! Uniswap V4 quotes from the cache, kept by the `PoolManager`'s events alone, equal the chain's
//! `V4Quoter` after every block, and pay exactly what they said when executed.
//!
//! Five quotable pools of the real v4-core `PoolManager`: fee tiers 500/10, 3000/60 (with a
//! protocol fee, changed mid-run) and 10000/200 (no full-range position, so exact inputs can
//! run out of liquidity too), an odd pool of fee 2500 and spacing 7 (its ticks loaded over part
//! of the range only, so `LeavesLoadedRange` shows up and is counted) and a dynamic-fee pool whose
//! `DynamicFeesTestHook` has `afterInitialize` only (no `beforeSwap`: the fee in `slot0` is the
//! fee a swap pays); and three pools whose hooks change swaps (`DeltaReturningHook`,
//! `FeeTakingHook`, `DynamicFeesTestHook` with `beforeSwap`), which the cache keeps exact but
//! refuses to quote. 200 blocks of random swaps (both directions, exact in and out) and
//! liquidity adds and removes over dozens of positions each; after every block random quotes of
//! every size against `V4Quoter`, with no node request; every 20 blocks every pool's cached
//! state against a fresh read; and some quotes executed alone in the next block from a snapshot.

use std::{
    collections::BTreeMap,
    sync::Arc,
    time::{Duration, Instant},
};

use alloy_primitives::{Address, B256, I256, U256, aliases::U160};
use alloy_provider::{Provider, ext::AnvilApi};
use alloy_rpc_types_eth::BlockNumberOrTag;
use alloy_sol_types::SolError;
use mev_chain::{Counted, ProviderChain};
use mev_devnet::{
    Devnet, DevnetError, SQRT_PRICE_1_1, UniswapV4, UniswapV4Pool,
    uniswap_v4_bindings::{IDynamicFeesTestHook, IV4Quoter},
};
use mev_event_decoder::{Decoder, Event, Protocol, Registry, UniswapV4Event};
use mev_reserve_cache::{
    Applied, PoolKey, PoolSnapshot, PoolState, PriceAfter, Quote, QuoteError, ReserveCache,
    ReserveCacheConfig, ReserveSource, RpcReserveSource, SwapSide, V4Pool, V4PoolKey,
};
use mev_swap_math::SwapError;

use crate::rng::{Rng, e18};

const BLOCKS: u64 = 200;
const QUOTES_PER_POOL_PER_BLOCK: usize = 20;
const HOOK_QUOTES_PER_POOL_PER_BLOCK: usize = 4;
/// Every pool's cached state is compared with a fresh read this often (and after the last block).
const CHECK_EVERY: u64 = 20;
/// Executions: on blocks `≡ 1 (mod EXECUTE_EVERY)`, one exact-in and one exact-out quote.
const EXECUTE_EVERY: u64 = 3;
/// Fees a dynamic-fee pool's hook is switched between (hundredths of a bip).
const DYNAMIC_FEES: [u32; 7] = [100, 500, 2_500, 3_000, 8_000, 10_000, 30_000];

/// `n · 10^18` liquidity units.
fn l18(n: u64) -> u128 {
    u128::from(n) * 1_000_000_000_000_000_000
}

/// From 1 wei to ~9·10^30 (beyond any pool's liquidity here), log-uniform.
fn quote_amount(rng: &mut Rng) -> U256 {
    let digits = rng.below(31);
    U256::from(1 + rng.below(9)) * U256::from(10u64).pow(U256::from(digits))
}

/// Bitmap words either side of the current one that cover the whole tick range at `spacing`
/// from wherever the price goes here.
fn full_words(spacing: i32) -> u16 {
    u16::try_from(UniswapV4::MAX_TICK / spacing / 256 + 2).unwrap()
}

/// How a pool takes part.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    /// Quoted against `V4Quoter` and executed.
    Quotable,
    /// Hooks change its swaps: the cache keeps it and refuses its quotes.
    Hooked,
}

/// Quote outcomes of one pool.
#[derive(Debug, Default)]
struct Tally {
    /// Cache and quoter gave the same amount.
    equal: usize,
    /// Both refused (`NotEnoughLiquidity` on chain, `Exact…NotFilled` here, …).
    both_refused: usize,
    /// The cache refused with `LeavesLoadedRange` while the quoter answered / refused too.
    leaves_range_chain_answered: usize,
    leaves_range_chain_refused: usize,
    /// Hook pools: `HooksChangeSwap` here while the quoter answered / refused.
    hook_refused_chain_answered: usize,
    hook_refused_chain_refused: usize,
    /// Most initialized ticks an equal quote crossed, and equal quotes crossing ≥ 5.
    max_ticks_crossed: u32,
    crossing_5: usize,
    /// Quotes executed on chain, balance changes equal to the quote.
    executed: usize,
    /// Execution candidates the cache refused (not executed).
    execution_refused: usize,
}

/// A pool to set up.
struct Spec {
    name: &'static str,
    /// Indices of its two tokens.
    tokens: (usize, usize),
    fee: u32,
    spacing: i32,
    hooks: Address,
    role: Role,
    /// With a full-range position (else exact inputs can run out of liquidity).
    full_range: bool,
    /// Bitmap words loaded either side (default: the whole range, [`full_words`]).
    tick_words: Option<u16>,
    /// The largest workload swap, whole tokens.
    max_swap: u64,
}

struct Subject {
    name: &'static str,
    pool: UniswapV4Pool,
    key: PoolKey,
    role: Role,
    /// A dynamic-fee pool: block-bound in the cache.
    dynamic: bool,
    /// The largest workload swap, whole tokens.
    max_swap: u64,
    tally: Tally,
}

impl Subject {
    fn address(&self) -> Address {
        self.key.address
    }

    fn token(&self, zero_for_one: bool) -> Address {
        if zero_for_one { self.pool.currency0() } else { self.pool.currency1() }
    }
}

/// A position made through the `PoolModifyLiquidityTest` router, for removals.
struct Position {
    subject: usize,
    lower: i32,
    upper: i32,
    salt: B256,
    liquidity: u128,
}

struct World {
    devnet: Devnet,
    v4: UniswapV4,
    subjects: Vec<Subject>,
    positions: Vec<Position>,
    salts: u64,
}

impl World {
    fn next_salt(&mut self) -> B256 {
        self.salts += 1;
        B256::from(U256::from(self.salts))
    }

    /// Queues a position of `liquidity` over `[lower, upper)` on subject `s`.
    fn push_position(
        &mut self,
        batch: &mut mev_devnet::TxBatch,
        s: usize,
        lower: i32,
        upper: i32,
        liquidity: u128,
    ) {
        let salt = self.next_salt();
        let me = self.devnet.deployer();
        let delta = i128::try_from(liquidity).unwrap();
        self.subjects[s].pool.push_modify_liquidity(batch, me, lower, upper, delta, salt).unwrap();
        self.positions.push(Position { subject: s, lower, upper, salt, liquidity });
    }

    /// Random ranges around the current price: `(lower, upper)` within 60 spacings either side.
    async fn random_range(&self, s: usize, rng: &mut Rng) -> (i32, i32) {
        let pool = &self.subjects[s].pool;
        let spacing = pool.tick_spacing();
        let tick = pool.slot0().await.unwrap().tick;
        let centre = tick.div_euclid(spacing) * spacing;
        let lower = centre - spacing * (1 + rng.below(60) as i32);
        let upper = centre + spacing * (1 + rng.below(60) as i32);
        (lower, upper)
    }

    /// Mines one block of 2–6 random operations: swaps of every kind on every pool, adds over
    /// new ranges, removals (a quarter or all) of earlier positions.
    async fn random_block(&mut self, rng: &mut Rng) -> usize {
        let me = self.devnet.deployer();
        let mut batch = self.devnet.batch().block_size(usize::MAX);
        let mut ops = Vec::new();
        for _ in 0..2 + rng.below(5) {
            match rng.below(10) {
                0..=5 => {
                    let s = &self.subjects[rng.below(self.subjects.len() as u64) as usize];
                    let whole = 1 + rng.below(s.max_swap);
                    let amount = e18(whole) / U256::from(1 + rng.below(10));
                    let amount = I256::from_raw(amount);
                    let specified = if rng.below(2) == 0 { -amount } else { amount };
                    let zfo = rng.below(2) == 0;
                    ops.push(format!("swap {} zfo {zfo} {specified}", s.name));
                    s.pool.push_swap(&mut batch, me, zfo, specified, U160::ZERO);
                }
                6..=7 => {
                    let s = rng.below(self.subjects.len() as u64) as usize;
                    let (lower, upper) = self.random_range(s, rng).await;
                    let liquidity = l18(100 + rng.below(20_000));
                    ops.push(format!("add {s} {lower} {upper} {liquidity}"));
                    self.push_position(&mut batch, s, lower, upper, liquidity);
                }
                _ => {
                    let k = rng.below(self.positions.len() as u64) as usize;
                    let p = &mut self.positions[k];
                    let remove = if rng.below(3) == 0 { p.liquidity } else { p.liquidity / 4 };
                    if remove == 0 {
                        continue;
                    }
                    p.liquidity -= remove;
                    let delta = -i128::try_from(remove).unwrap();
                    ops.push(format!("remove {} {} {} {delta}", p.subject, p.lower, p.upper));
                    self.subjects[p.subject]
                        .pool
                        .push_modify_liquidity(&mut batch, me, p.lower, p.upper, delta, p.salt)
                        .unwrap();
                }
            }
        }
        let n = batch.len();
        if batch.is_empty() {
            self.devnet.mine(1).await.unwrap();
        } else {
            let before = self.devnet.block_number().await.unwrap();
            if let Err(e) = batch.execute().await {
                let after = self.devnet.block_number().await.unwrap();
                for b in before + 1..=after {
                    let block = self.devnet.provider().get_block_by_number(b.into()).await;
                    let txs = block.ok().flatten().map(|b| b.transactions.len());
                    println!("block {b}: {txs:?} transactions");
                }
                // Say which nonce the missing transaction got against the account's.
                let mut nonces = String::new();
                if let DevnetError::NoReceipt { tx_hash, .. } = &e {
                    let p = self.devnet.provider();
                    let tx = p.get_transaction_by_hash(*tx_hash).await;
                    let count = p.get_transaction_count(me).await;
                    nonces = format!("; the transaction {tx:?}; the account's nonce {count:?}");
                }
                panic!("{e:?}: {ops:#?}{nonces}");
            }
        }
        n
    }
}

/// Transactions of `devnet.deployer()` waiting in anvil's pool: after `evm_revert` anvil may put
/// the reverted block's transactions back (seen here as a swap executed twice or a batch whose
/// nonces clash); drops them and returns how many there were.
async fn drop_pending(devnet: &Devnet) -> u64 {
    let p = devnet.provider();
    let me = devnet.deployer();
    let mut dropped = 0;
    for _ in 0..100 {
        let latest = p.get_transaction_count(me).block_id(BlockNumberOrTag::Latest.into());
        let pending = p.get_transaction_count(me).block_id(BlockNumberOrTag::Pending.into());
        let (latest, pending) = (latest.await.unwrap(), pending.await.unwrap());
        if latest == pending {
            return dropped;
        }
        dropped += pending - latest;
        p.anvil_drop_all_transactions().await.unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("transactions keep coming back to the pool");
}

/// Deploys `DynamicFeesTestHook` at an address with `flags` and sets its manager and fee.
async fn dynamic_fees_hook(v4: &UniswapV4, flags: u16, fee: u32) -> Address {
    let d = v4.devnet();
    let hook = v4.deploy_hook(UniswapV4::DYNAMIC_FEES_TEST_HOOK, &[], flags).await.unwrap();
    let manager = v4.pool_manager();
    d.send(d.deployer(), hook, &IDynamicFeesTestHook::setManagerCall { manager }).await.unwrap();
    let fee = fee.try_into().unwrap();
    d.send(d.deployer(), hook, &IDynamicFeesTestHook::setFeeCall { fee }).await.unwrap();
    hook
}

async fn deploy(devnet: &Devnet, rng: &mut Rng) -> World {
    devnet.deploy_multicall3().await.unwrap();
    let me = devnet.deployer();
    let v4 = devnet.deploy_uniswap_v4().await.unwrap();
    let mut tokens = Vec::new();
    for _ in 0..3 {
        tokens.push(devnet.deploy_erc20(e18(1_000_000_000_000)).await.unwrap());
    }
    let delta_hook = v4.deploy_delta_returning_hook().await.unwrap();
    // The hook takes 0.001 tokens of every swap's unspecified side after the swap.
    v4.set_hook_deltas(delta_hook, 0, 0, 1_000_000_000_000_000).await.unwrap();
    let fee_hook = v4.deploy_fee_taking_hook().await.unwrap();
    // afterInitialize only: the fee is what slot0 says until the hook is told otherwise.
    let quiet_dynamic = dynamic_fees_hook(&v4, UniswapV4::AFTER_INITIALIZE_FLAG, 3_000).await;
    let swap_time_dynamic = dynamic_fees_hook(
        &v4,
        UniswapV4::AFTER_INITIALIZE_FLAG | UniswapV4::BEFORE_SWAP_FLAG,
        5_000,
    )
    .await;
    let dynamic = UniswapV4::DYNAMIC_FEE_FLAG;
    let spec = |name, tokens, fee, spacing, hooks, role| Spec {
        name,
        tokens,
        fee,
        spacing,
        hooks,
        role,
        full_range: true,
        tick_words: None,
        max_swap: 2_000,
    };
    let specs = [
        spec("fee 500/10", (0, 1), 500, 10, Address::ZERO, Role::Quotable),
        spec("fee 3000/60 +protocol fee", (1, 2), 3_000, 60, Address::ZERO, Role::Quotable),
        Spec {
            full_range: false,
            max_swap: 400,
            ..spec(
                "fee 10000/200 no full range",
                (0, 2),
                10_000,
                200,
                Address::ZERO,
                Role::Quotable,
            )
        },
        Spec {
            tick_words: Some(150),
            ..spec("fee 2500/7 part-loaded", (0, 1), 2_500, 7, Address::ZERO, Role::Quotable)
        },
        spec("dynamic afterInitialize", (1, 2), dynamic, 60, quiet_dynamic, Role::Quotable),
        spec("DeltaReturningHook", (0, 1), 3_000, 60, delta_hook, Role::Hooked),
        spec("FeeTakingHook", (1, 2), 3_000, 60, fee_hook, Role::Hooked),
        spec("dynamic beforeSwap", (0, 2), dynamic, 60, swap_time_dynamic, Role::Hooked),
    ];
    let mut subjects = Vec::new();
    for sp in &specs {
        let (a, b) = sp.tokens;
        let pool = v4
            .initialize_pool(tokens[a], tokens[b], sp.fee, sp.spacing, sp.hooks, SQRT_PRICE_1_1)
            .await
            .unwrap();
        pool.approve_routers(me).await.unwrap();
        let key = V4PoolKey {
            currency0: pool.currency0(),
            currency1: pool.currency1(),
            fee: sp.fee,
            tick_spacing: sp.spacing,
            hooks: sp.hooks,
        };
        let words = sp.tick_words.unwrap_or_else(|| full_words(sp.spacing));
        let key = PoolKey::uniswap_v4_with_ticks(v4.pool_manager(), v4.state_view(), key, words);
        assert_eq!(key.address, Address::from_slice(&pool.id()[..20]), "{}", sp.name);
        subjects.push(Subject {
            name: sp.name,
            pool,
            key,
            role: sp.role,
            dynamic: sp.fee == dynamic,
            max_swap: sp.max_swap,
            tally: Tally::default(),
        });
    }
    let mut world = World { devnet: devnet.clone(), v4, subjects, positions: Vec::new(), salts: 0 };
    let mut batch = devnet.batch();
    for (s, sp) in specs.iter().enumerate() {
        if sp.full_range {
            let (lo, hi) = world.subjects[s].pool.full_range();
            world.push_position(&mut batch, s, lo, hi, l18(100_000));
        }
        // Dozens of positions over different ranges around the price (fewer on hook pools).
        let count = if sp.role == Role::Quotable { 30 } else { 10 };
        for _ in 0..count {
            let spacing = sp.spacing;
            let lower = -spacing * (1 + rng.below(60) as i32);
            let upper = spacing * (1 + rng.below(60) as i32);
            let liquidity = l18(100 + rng.below(20_000));
            world.push_position(&mut batch, s, lower, upper, liquidity);
        }
    }
    batch.execute().await.unwrap();
    // The 3000/60 pool pays a protocol fee from the start: 0.05 % zero-for-one, 0.03 % back.
    world.v4.set_protocol_fee(&world.subjects[1].pool, 500 | (300 << 12)).await.unwrap();
    world
}

alloy_sol_types::sol! {
    /// v4-core's `SafeCast` revert: an amount beyond `int128` (a swap whose input would exceed it).
    error SafeCastOverflow();
}

/// Why the quoter refused: the error's name when it is one of `V4Quoter`'s, else its selector.
fn quoter_reason(error: &DevnetError) -> String {
    match UniswapV4::quote_revert(error) {
        Some(data) if IV4Quoter::NotEnoughLiquidity::abi_decode(&data).is_ok() => {
            "NotEnoughLiquidity".into()
        }
        Some(data) if SafeCastOverflow::abi_decode(&data).is_ok() => "SafeCastOverflow".into(),
        Some(data) if data.len() >= 4 => {
            format!("revert 0x{}", alloy_primitives::hex::encode(&data[..4]))
        }
        Some(_) => "revert (no data)".into(),
        None => format!("{error}"),
    }
}

/// The variant's name of a quote error (`ExactOutputNotFilled`, …).
fn our_reason(error: &QuoteError) -> String {
    let text = match error {
        QuoteError::Swap { source, .. } => format!("{source:?}"),
        other => format!("{other:?}"),
    };
    text.split([' ', '{', '(']).next().unwrap_or_default().to_owned()
}

fn v4_state(snapshot: &PoolSnapshot) -> &V4Pool {
    match &snapshot.state {
        PoolState::UniswapV4(p) => p,
        other => panic!("not a V4 state: {other:?}"),
    }
}

/// A one-line description of a cached V4 pool, for failure messages.
fn describe(snapshot: &PoolSnapshot) -> String {
    let p = v4_state(snapshot);
    let s = &p.state;
    format!(
        "block {} sqrtPriceX96 {} tick {} liquidity {} lpFee {} protocolFee {:#x} keyFee {:#x} \
         spacing {} hooks {} loaded {:?} ({} ticks)",
        snapshot.block,
        s.pool.sqrt_price_x96,
        s.pool.tick,
        s.pool.liquidity,
        s.pool.fee,
        s.protocol_fee,
        s.key_fee,
        s.pool.tick_spacing,
        s.hooks,
        s.pool.loaded_range,
        s.pool.ticks.len()
    )
}

/// Asserts the cached state equals a fresh read: price, tick, liquidity, fees, key, and the
/// ticks (`liquidityNet` and `liquidityGross`) where both loaded ranges overlap. Returns how
/// many initialized ticks were compared.
fn assert_same_state(name: &str, head: u64, cached: &PoolSnapshot, fresh: &PoolSnapshot) -> usize {
    let (a, b) = (v4_state(cached), v4_state(fresh));
    let context = || {
        format!("{name} at block {head}: cached {}, fresh {}", describe(cached), describe(fresh))
    };
    assert_eq!((a.id, a.currency0, a.currency1), (b.id, b.currency0, b.currency1), "{}", context());
    let (sa, sb) = (&a.state, &b.state);
    assert_eq!(
        (
            sa.pool.sqrt_price_x96,
            sa.pool.tick,
            sa.pool.liquidity,
            sa.pool.fee,
            sa.pool.tick_spacing
        ),
        (
            sb.pool.sqrt_price_x96,
            sb.pool.tick,
            sb.pool.liquidity,
            sb.pool.fee,
            sb.pool.tick_spacing
        ),
        "price, tick, liquidity, LP fee, spacing: {}",
        context()
    );
    assert_eq!(
        (sa.protocol_fee, sa.key_fee, sa.hooks),
        (sb.protocol_fee, sb.key_fee, sb.hooks),
        "fees and hooks: {}",
        context()
    );
    let lo = sa.pool.loaded_range.0.max(sb.pool.loaded_range.0);
    let hi = sa.pool.loaded_range.1.min(sb.pool.loaded_range.1);
    assert!(lo <= sa.pool.tick && sa.pool.tick <= hi, "the price is in both ranges: {}", context());
    let within = |m: &BTreeMap<i32, i128>| -> Vec<(i32, i128)> {
        m.range(lo..=hi).map(|(t, n)| (*t, *n)).collect()
    };
    let gross = |m: &BTreeMap<i32, u128>| -> Vec<(i32, u128)> {
        m.range(lo..=hi).map(|(t, g)| (*t, *g)).collect()
    };
    let ticks = within(&sa.pool.ticks);
    assert_eq!(ticks, within(&sb.pool.ticks), "liquidityNet in [{lo}, {hi}]: {}", context());
    assert_eq!(
        gross(&a.liquidity_gross),
        gross(&b.liquidity_gross),
        "liquidityGross in [{lo}, {hi}]: {}",
        context()
    );
    ticks.len()
}

/// One quote (direction, side, amount) against the quoter, tallied; panics on a mismatch with everything needed to
/// replay it.
async fn compare_quote(
    v4: &UniswapV4,
    cache: &ReserveCache,
    s: &mut Subject,
    head: u64,
    (zero_for_one, side, amount): (bool, SwapSide, U256),
    refusals: &mut BTreeMap<String, usize>,
) {
    let ours = cache.quote(&s.address(), s.token(zero_for_one), amount, side);
    let exact = amount.to::<u128>();
    let theirs = match side {
        SwapSide::ExactIn => v4.quote_exact_input_single(&s.pool, zero_for_one, exact).await,
        SwapSide::ExactOut => v4.quote_exact_output_single(&s.pool, zero_for_one, exact).await,
    };
    let (name, address, pool_hooks, role) = (s.name, s.address(), s.pool.hooks(), s.role);
    let t = &mut s.tally;
    let mismatch = |ours: &dyn std::fmt::Debug, theirs: &dyn std::fmt::Debug| -> String {
        let state = cache.peek(&address).map_or_else(|| "not cached".into(), |p| describe(&p));
        format!(
            "{name} at block {head}: {side:?} {amount} zero_for_one {zero_for_one}: ours \
             {ours:?}, V4Quoter {theirs:?}; cached state {state}"
        )
    };
    if role == Role::Hooked {
        match &ours {
            Err(QuoteError::Swap { source: SwapError::HooksChangeSwap { hooks, .. }, .. })
                if *hooks == pool_hooks => {}
            _ => panic!("hooks must refuse: {}", mismatch(&ours, &theirs)),
        }
        match theirs {
            Ok(_) => t.hook_refused_chain_answered += 1,
            Err(_) => t.hook_refused_chain_refused += 1,
        }
        return;
    }
    match (ours, theirs) {
        (Ok(q), Ok(chain)) => {
            let (got, specified) = match side {
                SwapSide::ExactIn => (q.amount_out, q.amount_in),
                SwapSide::ExactOut => (q.amount_in, q.amount_out),
            };
            assert_eq!(specified, amount, "the specified side: {}", mismatch(&q, &chain));
            assert_eq!(got, chain.amount, "{}", mismatch(&q, &chain));
            let PriceAfter::UniswapV4 { ticks_crossed, .. } = q.after else { panic!("{q:?}") };
            t.max_ticks_crossed = t.max_ticks_crossed.max(ticks_crossed);
            t.crossing_5 += usize::from(ticks_crossed >= 5);
            t.equal += 1;
        }
        (Err(QuoteError::Swap { source: SwapError::LeavesLoadedRange { .. }, .. }), chain) => {
            if chain.is_ok() {
                t.leaves_range_chain_answered += 1;
            } else {
                t.leaves_range_chain_refused += 1;
            }
        }
        (Err(ours), Err(theirs)) => {
            t.both_refused += 1;
            let key = format!("{} / {}", our_reason(&ours), quoter_reason(&theirs));
            *refusals.entry(key).or_default() += 1;
        }
        (ours, theirs) => panic!("{}", mismatch(&ours, &theirs)),
    }
}

/// Executes quote `q` (of subject `s`, at block `head`) alone in the next block from a
/// snapshot through `PoolSwapTest`, checks the swapper's balance changes and the pool's state
/// after equal the quote, and reverts.
async fn execute_and_revert(devnet: &Devnet, s: &Subject, q: &Quote, side: SwapSide, head: u64) {
    let me = devnet.deployer();
    let zero_for_one = q.token_in == s.pool.currency0();
    let snapshot = devnet.snapshot().await.unwrap();
    let specified = match side {
        SwapSide::ExactIn => -I256::from_raw(q.amount_in),
        SwapSide::ExactOut => I256::from_raw(q.amount_out),
    };
    let outcome = s.pool.swap(me, zero_for_one, specified, U160::ZERO).await.unwrap();
    let alone = devnet.provider().get_block_by_number(head.saturating_add(1).into()).await;
    let alone = alone.unwrap().map(|b| b.transactions.len());
    let slot0 = s.pool.slot0().await.unwrap();
    let liquidity = s.pool.liquidity().await.unwrap();
    let mined = devnet.block_number().await.unwrap();
    devnet.revert(snapshot).await.unwrap();
    assert_eq!((mined, alone), (head + 1, Some(1)), "executed alone in the next block");
    assert_eq!(devnet.block_number().await.unwrap(), head, "reverted");
    let context = || format!("{} {side:?}: {q:?}, executed {outcome:?}", s.name);
    assert_eq!(outcome.amount_in(), q.amount_in, "paid in: {}", context());
    assert_eq!(outcome.amount_out(), q.amount_out, "received: {}", context());
    let PriceAfter::UniswapV4 { sqrt_price_x96, tick, liquidity: l_after, .. } = q.after else {
        panic!("{q:?}")
    };
    assert_eq!(
        (slot0.sqrt_price_x96, slot0.tick, liquidity),
        (sqrt_price_x96, tick, l_after),
        "price, tick, liquidity after: {}",
        context()
    );
}

/// What the cache did with the logs, by event and kind of entry.
type EventTally = BTreeMap<(&'static str, &'static str, &'static str), usize>;

fn event_name(event: &Event) -> &'static str {
    match event {
        Event::UniswapV4(UniswapV4Event::Swap(_)) => "Swap",
        Event::UniswapV4(UniswapV4Event::ModifyLiquidity(_)) => "ModifyLiquidity",
        Event::UniswapV4(UniswapV4Event::ProtocolFeeUpdated(_)) => "ProtocolFeeUpdated",
        Event::UniswapV4(UniswapV4Event::Initialize(_)) => "Initialize",
        Event::UniswapV4(UniswapV4Event::Donate(_)) => "Donate",
        _ => "other",
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cached_v4_quotes_equal_v4_quoter_every_block_and_execute_exactly() {
    let started = Instant::now();
    let devnet = Devnet::start().await.expect("devnet (run: bash scripts/devnet-setup)");
    let mut rng = Rng(0x0045_5eed_0000_0001);
    let mut world = deploy(&devnet, &mut rng).await;
    let v4 = world.v4.clone();
    let provider = devnet.provider().clone();

    let registry: Registry = [(v4.pool_manager(), Protocol::UniswapV4)].into_iter().collect();
    let decoder = Decoder::with_registry(registry.clone());
    let keys: Vec<PoolKey> = world.subjects.iter().map(|s| s.key.clone()).collect();
    let by_address: BTreeMap<Address, usize> =
        world.subjects.iter().enumerate().map(|(i, s)| (s.address(), i)).collect();
    let source =
        Arc::new(RpcReserveSource::new(Counted::new(ProviderChain::new(provider.clone()))));
    let fresh = RpcReserveSource::new(ProviderChain::new(provider.clone()));
    // A TTL longer than the run: entries live by events alone.
    let config = ReserveCacheConfig { ttl: Duration::from_secs(3_600), ..Default::default() };
    let cache = ReserveCache::with_config(source.clone(), config);
    let mut last = devnet.block_number().await.unwrap();
    for (r, s) in cache.warm(&keys, last).await.into_iter().zip(&world.subjects) {
        let snapshot = r.unwrap();
        let p = v4_state(&snapshot);
        println!(
            "{}: {} initialized ticks loaded over {:?}, lpFee {}, protocolFee {:#x}",
            s.name,
            p.state.pool.ticks.len(),
            p.state.pool.loaded_range,
            p.state.pool.fee,
            p.state.protocol_fee
        );
        assert_eq!(snapshot.state.valid_for(), s.dynamic.then_some(0), "{}", s.name);
    }
    let setup = started.elapsed();
    let requests_at_warm = source.reader().requests();

    let mut events: EventTally = BTreeMap::new();
    let mut refusals: BTreeMap<String, usize> = BTreeMap::new();
    let mut dynamic_rereads = 0usize;
    let mut static_rereads = 0usize;
    let mut fee_changes = 0usize;
    let mut fee_changes_seen = 0usize;
    let mut protocol_fee_updates = 0usize;
    let mut state_checks = 0usize;
    let mut ticks_compared = 0usize;
    let mut txs = 0usize;
    let mut quoting_requests = 0u64;
    let mut stale_pending = 0u64;
    let mut stale_after_revert = 0u64;
    for block in 0..BLOCKS {
        stale_pending += drop_pending(&devnet).await;
        txs += world.random_block(&mut rng).await;
        // The quotable dynamic-fee pool's hook changes the fee (no event), now and then the
        // swap-time one's stored fee too.
        let mut new_fee = None;
        if block % 10 == 7 {
            let fee = DYNAMIC_FEES[rng.below(DYNAMIC_FEES.len() as u64) as usize];
            v4.update_dynamic_lp_fee(&world.subjects[4].pool, fee).await.unwrap();
            new_fee = Some(fee);
            fee_changes += 1;
        }
        if block % 25 == 3 {
            let fee = DYNAMIC_FEES[rng.below(DYNAMIC_FEES.len() as u64) as usize];
            v4.update_dynamic_lp_fee(&world.subjects[7].pool, fee).await.unwrap();
        }
        // Protocol fees: the 3000/60 pool's changes mid-run, the odd pool gets one.
        let mut protocol_fee = None;
        if block == BLOCKS / 2 {
            let fee = 1_000 | (150 << 12);
            v4.set_protocol_fee(&world.subjects[1].pool, fee).await.unwrap();
            protocol_fee = Some((1, fee));
        }
        if block == BLOCKS / 3 {
            let fee = 250 | (1_000 << 12);
            v4.set_protocol_fee(&world.subjects[3].pool, fee).await.unwrap();
            protocol_fee = Some((3, fee));
        }

        let head = devnet.block_number().await.unwrap();
        let fetches_before = cache.stats().fetches;
        let filter = registry.filter().from_block(last + 1).to_block(head);
        for log in provider.get_logs(&filter).await.unwrap() {
            let decoded = decoder.decode(&log).unwrap();
            let Event::UniswapV4(e) = &decoded.event else { panic!("{decoded:?}") };
            let pool = Address::from_slice(&e.pool_id()[..20]);
            let Some(&s) = by_address.get(&pool) else { continue };
            let kind = if world.subjects[s].dynamic { "block-bound" } else { "static" };
            let outcome = match cache.apply(&decoded) {
                Applied::Updated => "updated",
                Applied::Invalidated => "invalidated",
                Applied::Unchanged => "unchanged",
            };
            *events.entry((event_name(&decoded.event), kind, outcome)).or_default() += 1;
        }
        last = head;
        assert_eq!(cache.stats().fetches, fetches_before, "events are applied without reads");
        if let Some((s, fee)) = protocol_fee {
            let snapshot = cache.cached(&world.subjects[s].address()).expect("updated in place");
            assert_eq!(v4_state(&snapshot).state.protocol_fee, fee, "ProtocolFeeUpdated applied");
            assert_eq!(snapshot.block, head);
            protocol_fee_updates += 1;
        }
        // Static pools stay cached from their events (a price beyond the loaded ticks would
        // invalidate: read again, counted); block-bound ones are read again at the new block.
        for s in &world.subjects {
            let before = cache.stats().fetches;
            if !s.dynamic && cache.peek(&s.address()).is_none() {
                static_rereads += 1;
            }
            let snapshot = cache.get(&s.key, head).await.unwrap();
            let fetched = cache.stats().fetches - before;
            if s.dynamic {
                assert_eq!((fetched, snapshot.block), (1, head), "{} read again", s.name);
                dynamic_rereads += 1;
            }
        }
        if let Some(fee) = new_fee {
            let snapshot = cache.cached(&world.subjects[4].address()).unwrap();
            assert_eq!(v4_state(&snapshot).state.pool.fee, fee, "the new dynamic fee");
            fee_changes_seen += 1;
        }

        // Quotes: no node request from here.
        let requests_before = source.reader().requests();
        for s in &mut world.subjects {
            let n = match s.role {
                Role::Quotable => QUOTES_PER_POOL_PER_BLOCK,
                Role::Hooked => HOOK_QUOTES_PER_POOL_PER_BLOCK,
            };
            for i in 0..n {
                let zero_for_one = rng.below(2) == 0;
                let side = if i % 2 == 0 { SwapSide::ExactIn } else { SwapSide::ExactOut };
                let amount = quote_amount(&mut rng);
                compare_quote(&v4, &cache, s, head, (zero_for_one, side, amount), &mut refusals)
                    .await;
            }
        }
        quoting_requests += source.reader().requests() - requests_before;
        assert_eq!(source.reader().requests(), requests_before, "quoting is local");

        if block % CHECK_EVERY == CHECK_EVERY - 1 || block == BLOCKS - 1 {
            for s in &world.subjects {
                let cached = cache.get(&s.key, head).await.unwrap();
                let read = fresh.fetch(&s.key, head).await.unwrap();
                ticks_compared += assert_same_state(s.name, head, &cached, &read);
                state_checks += 1;
            }
        }

        if block % EXECUTE_EVERY == 1 {
            for side in [SwapSide::ExactIn, SwapSide::ExactOut] {
                let quotable: Vec<usize> = (0..world.subjects.len())
                    .filter(|&i| world.subjects[i].role == Role::Quotable)
                    .collect();
                let s = quotable[rng.below(quotable.len() as u64) as usize];
                let zero_for_one = rng.below(2) == 0;
                // 0.001 to 9·10^4 tokens: small swaps to ones crossing many positions.
                let digits = U256::from(15 + rng.below(8));
                let amount = U256::from(1 + rng.below(9)) * U256::from(10u64).pow(digits);
                let subject = &world.subjects[s];
                let token_in = subject.token(zero_for_one);
                let quote = cache.quote(&subject.address(), token_in, amount, side);
                // The amounts-only path (what arbitrage sizing calls) agrees with the quote.
                let snapshot = cache.cached(&subject.address()).expect("cached");
                let token_out = subject.token(!zero_for_one);
                assert_eq!(
                    snapshot
                        .amounts_to(token_in, token_out, amount, side)
                        .map(|a| (a.amount_in, a.amount_out)),
                    quote.clone().map(|q| (q.amount_in, q.amount_out)),
                    "amounts_to, {side:?} {amount} at block {head}"
                );
                let Ok(q) = quote else {
                    world.subjects[s].tally.execution_refused += 1;
                    continue;
                };
                stale_pending += drop_pending(&devnet).await;
                execute_and_revert(&devnet, subject, &q, side, head).await;
                stale_after_revert += drop_pending(&devnet).await;
                world.subjects[s].tally.executed += 1;
            }
        }
    }

    let run = started.elapsed() - setup;
    let requests_after_warm = source.reader().requests() - requests_at_warm;
    let sum = |f: fn(&Tally) -> usize| world.subjects.iter().map(|s| f(&s.tally)).sum::<usize>();
    let equal = sum(|t| t.equal);
    let both_refused = sum(|t| t.both_refused);
    let leaves_answered = sum(|t| t.leaves_range_chain_answered);
    let leaves_refused = sum(|t| t.leaves_range_chain_refused);
    let hook_answered = sum(|t| t.hook_refused_chain_answered);
    let hook_refused = sum(|t| t.hook_refused_chain_refused);
    let executed = sum(|t| t.executed);
    let crossing_5 = sum(|t| t.crossing_5);
    let max_crossed = world.subjects.iter().map(|s| s.tally.max_ticks_crossed).max().unwrap_or(0);
    for s in &world.subjects {
        println!("{}: {:?}", s.name, s.tally);
    }
    println!("refused by both (ours / V4Quoter): {refusals:?}");
    println!("events applied: {events:?}");
    println!(
        "transactions found pending in anvil's pool and dropped: {stale_after_revert} right after \
         an evm_revert, {stale_pending} at other times"
    );
    println!(
        "uniswap-v4 {BLOCKS} blocks ({txs} txs): quotes equal {equal}, refused by both \
         {both_refused}, leaves-range {} (chain answered {leaves_answered}, refused \
         {leaves_refused}), hook refusals {} (quoter answered {hook_answered}, reverted \
         {hook_refused}), executions {executed}, max ticks crossed {max_crossed} ({crossing_5} \
         quotes ≥ 5), requests while quoting {quoting_requests}, dynamic-fee changes \
         {fee_changes} (seen {fee_changes_seen}), block-bound re-reads {dynamic_rereads} \
         ({requests_after_warm} requests), static re-reads {static_rereads}, protocol-fee \
         updates in place {protocol_fee_updates}, state checks {state_checks} ({ticks_compared} ticks); setup {setup:.1?}, run {run:.1?}",
        leaves_answered + leaves_refused,
        hook_answered + hook_refused,
    );

    assert_eq!(quoting_requests, 0);
    for s in &world.subjects {
        let t = &s.tally;
        match s.role {
            Role::Quotable => {
                let quotes = BLOCKS as usize * QUOTES_PER_POOL_PER_BLOCK;
                assert!(t.equal >= quotes / 2, "{}: {t:?}", s.name);
                // Refusals on both sides: beyond the liquidity (on the part-loaded pool the walk
                // leaves the loaded ticks first, counted apart).
                let refused = t.both_refused + t.leaves_range_chain_refused;
                assert!(refused > 0, "{}: {t:?}", s.name);
            }
            Role::Hooked => assert!(t.hook_refused_chain_answered > 0, "{}: {t:?}", s.name),
        }
    }
    assert!(max_crossed >= 5 && crossing_5 > 0, "swaps cross ≥ 5 initialized ticks");
    assert!(executed >= 40, "{executed} executions");
    // Only the part-loaded pool leaves its ticks, and only beyond ~10^28 wei.
    let quotable_quotes = 5 * BLOCKS as usize * QUOTES_PER_POOL_PER_BLOCK;
    assert!(leaves_answered + leaves_refused < quotable_quotes / 20, "leaves-range is rare");
    assert!(leaves_answered > 0, "a swap beyond the loaded ticks that the chain fills");
    assert_eq!(static_rereads, 0, "static pools are kept by events alone");
    assert_eq!(fee_changes_seen, fee_changes);
    assert_eq!(protocol_fee_updates, 2);
    assert_eq!(dynamic_rereads, 2 * BLOCKS as usize);
    // Each read of a whole-range spacing-60 pool: state, bitmap words, ticks.
    assert_eq!(requests_after_warm, 3 * dynamic_rereads as u64, "only the block-bound reads");
    let in_place = events
        .iter()
        .filter(|((e, k, o), _)| *e == "ProtocolFeeUpdated" && *k == "static" && *o == "updated")
        .map(|(_, n)| n)
        .sum::<usize>();
    assert_eq!(in_place, 2, "ProtocolFeeUpdated applied in place: {events:?}");
    assert!(state_checks >= 8 * (BLOCKS / CHECK_EVERY) as usize);
}
