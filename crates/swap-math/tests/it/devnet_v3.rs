//! V3 against the real contracts on anvil: v3-core 1.0.1 pools of four fee tiers (500/10,
//! 3000/60, 10000/200 and 100/1, whose bitmap words are only 256 ticks wide) with dozens of
//! positions over random ranges, random swaps through the periphery's `SwapRouter`, and quotes
//! compared with the periphery's `QuoterV2` to the wei.
//!
//! What is compared, per quote: `QuoterV2`'s `amountOut` (exact in) or `amountIn` (exact out),
//! `sqrtPriceX96After`, and `initializedTicksCrossed` against
//! `V3State::quoter_v2_ticks_crossed` at our tick after (`QuoterV2` counts bitmap positions with
//! a truncating division, not the ticks the pool crossed, so our own `SwapResult::ticks_crossed`
//! is checked through the pool instead: every real swap's `Swap` event, amounts, price, tick and
//! liquidity, and the pool's state after must equal `V3State::swap`'s). A quote `QuoterV2`
//! refuses (a revert) must be an error here too, and the other way round.
//!
//! The pools also get initialized ticks whose `liquidityNet` is 0 (two adjacent positions of
//! equal liquidity), swaps that stop exactly on an initialized tick (a router swap whose price
//! limit is that tick's price: the pool's tick is then one below it going down), and quotes with
//! explicit price limits.

use std::collections::{BTreeMap, BTreeSet};

use alloy_primitives::{Address, I256, U256, aliases::U160};
use mev_devnet::{
    Devnet, QuoterV2, SQRT_PRICE_1_1, UniswapV3, UniswapV3Pool,
    bindings::{ISwapRouter, IUniswapV3Pool},
    receipt_events,
};
use mev_swap_math::{
    MAX_TICK, MIN_TICK, SwapError, SwapResult, V3State, default_price_limit, get_sqrt_ratio_at_tick,
};
use rand::{Rng, SeedableRng, rngs::StdRng};

use crate::common::{e18, log_uniform, seed};

const POSITIONS_PER_POOL: usize = 30;
/// Pairs of adjacent positions of equal liquidity, whose shared tick has a zero net.
const ZERO_NET_TICKS_PER_POOL: usize = 2;
const ROUNDS: usize = 7;
/// Per pool and round, for each of the four kinds (direction × exact in/out).
const QUOTES_PER_KIND: usize = 6;
/// Per pool and round, quotes with an explicit price limit.
const LIMIT_QUOTES: usize = 4;
const SWAPS_PER_ROUND: usize = 2;

/// One pool under test: its handle and the ticks its positions use.
struct Pool {
    pool: UniswapV3Pool,
    ticks: BTreeSet<i32>,
}

/// Tallies over the whole run.
#[derive(Debug, Default)]
struct Tally {
    quotes: usize,
    limit_quotes: usize,
    refused_by_both: usize,
    partial_fills: usize,
    swaps: usize,
    swaps_ending_on_a_tick: usize,
    most_ticks_crossed: u32,
    quoter_count_differs: usize,
    zero_net_ticks: usize,
    restricted_answered: usize,
    restricted_refused: usize,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quotes_equal_quoter_v2_and_swaps_equal_the_pool() {
    let mut rng = StdRng::seed_from_u64(seed(0x5eed_0003));
    let devnet = Devnet::start().await.expect("devnet (run: bash scripts/devnet-setup)");
    let me = devnet.deployer();
    let supply = U256::from(10u64).pow(U256::from(40));
    let token_a = devnet.deploy_erc20(supply).await.unwrap();
    let token_b = devnet.deploy_erc20(supply).await.unwrap();
    let v3 = devnet.deploy_uniswap_v3().await.unwrap();
    v3.enable_fee_amount(100, 1).await.unwrap();
    let quoter = v3.deploy_quoter_v2().await.unwrap();
    for token in [token_a, token_b] {
        devnet.approve(token, me, v3.position_manager(), U256::MAX).await.unwrap();
        devnet.approve(token, me, v3.swap_router(), U256::MAX).await.unwrap();
    }

    let mut pools = Vec::new();
    for fee in [500, 3000, 10_000, 100] {
        let pool = v3.create_pool(token_a, token_b, fee, SQRT_PRICE_1_1).await.unwrap();
        pools.push(populate(&devnet, pool, &mut rng).await);
    }

    let mut tally = Tally::default();
    for round in 0..ROUNDS {
        for p in &pools {
            for _ in 0..SWAPS_PER_ROUND {
                real_swap(&devnet, &v3, p, &mut rng, &mut tally).await;
            }
            let state = read_state(p).await;
            tally.zero_net_ticks += state.ticks.values().filter(|&&net| net == 0).count();
            for zero_for_one in [true, false] {
                // The most the pool can give in this direction, from a quote past all liquidity.
                let max_out = state
                    .quote_exact_in(zero_for_one, U256::from(1) << 200)
                    .map(|r| r.amount_out)
                    .unwrap_or_default();
                for exact_in in [true, false] {
                    for k in 0..QUOTES_PER_KIND {
                        let amount = match k {
                            0 => U256::from(1),
                            1 if !exact_in && !max_out.is_zero() => max_out,
                            2 => U256::from(1) << rng.random_range(90..200),
                            _ => log_uniform(&mut rng, 90),
                        };
                        let quote = Quote { zero_for_one, exact_in, amount, limit: None };
                        compare_quote(&quoter, p, &state, quote, &mut rng, &mut tally).await;
                    }
                }
            }
            for _ in 0..LIMIT_QUOTES {
                let zero_for_one = rng.random_bool(0.5);
                let limit = random_limit(&state, zero_for_one, &mut rng);
                let exact_in = rng.random_bool(0.5);
                let amount = log_uniform(&mut rng, 90);
                let quote = Quote { zero_for_one, exact_in, amount, limit: Some(limit) };
                compare_quote(&quoter, p, &state, quote, &mut rng, &mut tally).await;
                tally.limit_quotes += 1;
            }
        }
        println!("round {round}: {tally:?}");
    }

    println!("{tally:#?}");
    let per_pool = tally.quotes / pools.len();
    assert!(per_pool >= 20 * ROUNDS, "only {per_pool} quotes per pool");
    assert!(tally.most_ticks_crossed >= 5, "no swap crossed 5 initialized ticks: {tally:?}");
    assert!(tally.partial_fills > 0 && tally.refused_by_both > 0, "{tally:?}");
    assert!(tally.restricted_answered > 0 && tally.restricted_refused > 0, "{tally:?}");
    assert!(tally.zero_net_ticks > 0 && tally.swaps_ending_on_a_tick > 0, "{tally:?}");
}

/// Mints the random positions of one pool, and the pairs of adjacent positions of equal
/// liquidity (the larger one burnt down to the smaller's).
async fn populate(devnet: &Devnet, pool: UniswapV3Pool, rng: &mut StdRng) -> Pool {
    let me = devnet.deployer();
    let s = pool.tick_spacing();
    // Keep the 100/1 pool's ticks near the price too: its words are 256 ticks.
    let (reach, width) = if s == 1 { (2_000, 600) } else { (640, 400) };
    let mut ticks = BTreeSet::new();
    let mut batch = devnet.batch();
    for _ in 0..POSITIONS_PER_POOL {
        // Ranges up to ~1.5 bitmap words wide, within ±2.5 words of the start price, so swaps
        // cross initialized ticks and word boundaries alike.
        let lower = rng.random_range(-reach..reach - 40) * s;
        let upper = lower + rng.random_range(1..=width) * s;
        let amount0 = log_uniform(rng, 70).max(e18(1));
        let amount1 = log_uniform(rng, 70).max(e18(1));
        pool.push_mint_position(&mut batch, me, lower, upper, amount0, amount1).unwrap();
        ticks.extend([lower, upper]);
    }
    batch.execute().await.unwrap();
    for _ in 0..ZERO_NET_TICKS_PER_POOL {
        let middle = rng.random_range(-reach / 2..reach / 2) * s;
        let (lower, upper) =
            (middle - rng.random_range(1..50) * s, middle + rng.random_range(1..50) * s);
        let big = e18(1_000_000);
        let a = pool.mint_position(me, lower, middle, big, big).await.unwrap();
        let b = pool.mint_position(me, middle, upper, big, big).await.unwrap();
        let (larger, excess) = if a.liquidity > b.liquidity {
            (a.token_id, a.liquidity - b.liquidity)
        } else {
            (b.token_id, b.liquidity - a.liquidity)
        };
        if excess > 0 {
            pool.burn_position(me, larger, excess).await.unwrap();
        }
        ticks.extend([lower, middle, upper]);
    }
    Pool { pool, ticks }
}

/// A price limit for a quote: mostly the price of a tick at most a few words away in the swap
/// direction (sometimes an initialized one, sometimes one off), sometimes on the wrong side.
fn random_limit(state: &V3State, zero_for_one: bool, rng: &mut StdRng) -> U160 {
    let s = state.tick_spacing;
    let span = 600 * s;
    let tick = if rng.random_bool(0.5) {
        let near: Vec<i32> = if zero_for_one {
            state.ticks.range(state.tick - span..=state.tick).map(|(&t, _)| t).collect()
        } else {
            state.ticks.range(state.tick + 1..=state.tick + span).map(|(&t, _)| t).collect()
        };
        near.get(rng.random_range(0..near.len().max(1))).copied().unwrap_or(state.tick)
    } else {
        let d = rng.random_range(-span / 10..span);
        if zero_for_one { state.tick - d } else { state.tick + d }
    };
    let price = get_sqrt_ratio_at_tick(tick.clamp(MIN_TICK + 1, MAX_TICK - 1)).unwrap();
    let price = price + U256::from(rng.random_range(0u8..2));
    U160::from_limbs([price.as_limbs()[0], price.as_limbs()[1], price.as_limbs()[2]])
}

/// One random swap through the `SwapRouter`, simulated first; the pool's `Swap` event and its
/// state after must equal the simulation. A third of them stop exactly on the next initialized
/// tick (their price limit); the others have none and stay clear of the default limit.
async fn real_swap(devnet: &Devnet, v3: &UniswapV3, p: &Pool, rng: &mut StdRng, tally: &mut Tally) {
    let state = read_state(p).await;
    let zero_for_one = rng.random_bool(0.5);
    // The next initialized tick strictly beyond the price (going up from a tick left one below
    // an initialized tick by a downward swap, that tick's price is the current one).
    let price = U256::from(state.sqrt_price_x96);
    let on_tick = if zero_for_one {
        state.ticks.range(..state.tick).next_back()
    } else {
        state
            .ticks
            .range(state.tick + 1..)
            .find(|&(&t, _)| get_sqrt_ratio_at_tick(t).unwrap() > price)
    };
    let (amount, limit, sim) = match on_tick {
        Some((&tick, _)) if rng.random_bool(0.33) => {
            let price = get_sqrt_ratio_at_tick(tick).unwrap();
            let limit =
                U160::from_limbs([price.as_limbs()[0], price.as_limbs()[1], price.as_limbs()[2]]);
            let amount = U256::from(1) << 120;
            let sim = state.swap(zero_for_one, I256::try_from(amount).unwrap(), limit).unwrap();
            assert_eq!(sim.sqrt_price_after, limit);
            tally.swaps_ending_on_a_tick += 1;
            (amount, limit, sim)
        }
        _ => {
            let limit = default_price_limit(zero_for_one);
            // Shrink the amount until the swap stays clear of the price limit, so the pools
            // keep liquidity in range.
            let mut amount = log_uniform(rng, 80);
            let sim = loop {
                match state.swap(zero_for_one, I256::try_from(amount).unwrap(), limit) {
                    Ok(r) if r.sqrt_price_after != limit && !r.amount_out.is_zero() => break r,
                    _ if amount > U256::from(1_000_000) => amount /= U256::from(16),
                    // A tiny amount that gives nothing: skip this swap.
                    _ => return,
                }
            };
            assert_eq!(sim.amount_in, amount, "the whole input is used");
            (amount, U160::ZERO, sim)
        }
    };
    let (token_in, token_out) = if zero_for_one {
        (p.pool.token0(), p.pool.token1())
    } else {
        (p.pool.token1(), p.pool.token0())
    };
    let me = devnet.deployer();
    let call = router_swap(token_in, token_out, p.pool.fee().to(), me, amount, limit);
    let receipt = devnet.send(me, v3.swap_router(), &call).await.unwrap();
    let event = receipt_events::<IUniswapV3Pool::Swap>(&receipt, p.pool.address())
        .unwrap()
        .pop()
        .expect("the swap emitted a Swap event");
    let what = format!(
        "swap of {amount} zero_for_one={zero_for_one} limit {limit} in fee {}",
        p.pool.fee()
    );
    assert_eq!((event.amount0, event.amount1), (sim.amount0, sim.amount1), "{what}");
    assert_eq!(event.sqrtPriceX96, sim.sqrt_price_after, "{what}");
    assert_eq!(i32::try_from(event.tick).unwrap(), sim.tick_after, "{what}");
    assert_eq!(event.liquidity, sim.liquidity_after, "{what}");
    let mut expected = state.clone();
    expected.apply(&sim);
    assert_eq!(read_state(p).await, expected, "{what}: state after");
    tally.swaps += 1;
    tally.most_ticks_crossed = tally.most_ticks_crossed.max(sim.ticks_crossed);
}

fn router_swap(
    token_in: Address,
    token_out: Address,
    fee: u32,
    recipient: Address,
    amount_in: U256,
    sqrt_price_limit_x96: U160,
) -> ISwapRouter::exactInputSingleCall {
    ISwapRouter::exactInputSingleCall {
        params: ISwapRouter::ExactInputSingleParams {
            tokenIn: token_in,
            tokenOut: token_out,
            fee: fee.try_into().unwrap(),
            recipient,
            deadline: U256::MAX,
            amountIn: amount_in,
            amountOutMinimum: U256::ZERO,
            sqrtPriceLimitX96: sqrt_price_limit_x96,
        },
    }
}

/// A quote to compare: `limit` `None` is `QuoterV2`'s default (its price limit 0).
#[derive(Clone, Copy, Debug)]
struct Quote {
    zero_for_one: bool,
    exact_in: bool,
    amount: U256,
    limit: Option<U160>,
}

impl Quote {
    /// Ours, as `QuoterV2` would answer it: with a limit, a swap and its refusal of an empty one.
    fn ours(&self, state: &V3State) -> Result<SwapResult, SwapError> {
        let Self { zero_for_one, exact_in, amount, limit } = *self;
        match (limit, exact_in) {
            (None, true) => state.quote_exact_in(zero_for_one, amount),
            (None, false) => state.quote_exact_out(zero_for_one, amount),
            (Some(limit), _) => {
                let amount = I256::try_from(amount).unwrap();
                let specified = if exact_in { amount } else { -amount };
                let r = state.swap(zero_for_one, specified, limit)?;
                if r.amount0.is_zero() && r.amount1.is_zero() {
                    return Err(SwapError::EmptySwap);
                }
                Ok(r)
            }
        }
    }
}

/// One quote, ours against `QuoterV2`'s, plus the same quote from a state that knows only a
/// window of ticks around the price (which must answer the same or refuse).
async fn compare_quote(
    quoter: &QuoterV2,
    p: &Pool,
    state: &V3State,
    quote: Quote,
    rng: &mut StdRng,
    tally: &mut Tally,
) {
    let Quote { zero_for_one, exact_in, amount, limit } = quote;
    let ours = quote.ours(state);
    let quoter_limit = limit.unwrap_or(U160::ZERO);
    let theirs = if exact_in {
        quoter.quote_exact_input_single(&p.pool, zero_for_one, amount, quoter_limit).await
    } else {
        quoter.quote_exact_output_single(&p.pool, zero_for_one, amount, quoter_limit).await
    };
    let what = format!("{quote:?} in fee {} from tick {}", p.pool.fee(), state.tick);
    tally.quotes += 1;
    let ours = match (ours, theirs) {
        (Ok(ours), Ok(theirs)) => {
            let amount_ours = if exact_in { ours.amount_out } else { ours.amount_in };
            assert_eq!(amount_ours, theirs.amount, "{what}: amount");
            assert_eq!(ours.sqrt_price_after, theirs.sqrt_price_x96_after, "{what}: price after");
            let count = state.quoter_v2_ticks_crossed(ours.tick_after).unwrap();
            assert_eq!(count, theirs.initialized_ticks_crossed, "{what}: ticks crossed");
            tally.quoter_count_differs += usize::from(count != ours.ticks_crossed);
            let specified_left = if exact_in { ours.amount_in } else { ours.amount_out };
            tally.partial_fills += usize::from(specified_left < amount);
            tally.most_ticks_crossed = tally.most_ticks_crossed.max(ours.ticks_crossed);
            ours
        }
        (Err(ours), Err(_)) => {
            assert!(
                matches!(
                    ours,
                    SwapError::ExactOutputNotFilled { .. }
                        | SwapError::EmptySwap
                        | SwapError::InvalidPriceLimit { .. }
                ),
                "{what}: unexpected refusal {ours}"
            );
            tally.refused_by_both += 1;
            return;
        }
        (ours, theirs) => panic!("{what}: ours {ours:?}, QuoterV2 {theirs:?}"),
    };
    // The same quote knowing only the ticks within a random window around the price.
    let s = state.tick_spacing;
    let window =
        (state.tick - rng.random_range(0..800) * s, state.tick + rng.random_range(0..800) * s);
    let restricted = V3State {
        ticks: state.ticks.range(window.0..=window.1).map(|(&t, &n)| (t, n)).collect(),
        loaded_range: window,
        ..state.clone()
    };
    match quote.ours(&restricted) {
        Ok(r) => {
            assert_eq!(r, ours, "{what}: within {window:?}");
            tally.restricted_answered += 1;
        }
        Err(SwapError::LeavesLoadedRange { .. }) => tally.restricted_refused += 1,
        Err(e) => panic!("{what}: within {window:?}: {e}"),
    }
}

/// The pool's state from the chain: `slot0`, `liquidity`, and `ticks(t)` of every tick a
/// position uses (the only ones that can be initialized), so the map is complete.
async fn read_state(p: &Pool) -> V3State {
    let slot0 = p.pool.slot0().await.unwrap();
    let mut ticks = BTreeMap::new();
    for &t in &p.ticks {
        let info = p.pool.tick_info(t).await.unwrap();
        if info.initialized {
            ticks.insert(t, info.liquidityNet);
        }
    }
    V3State {
        sqrt_price_x96: slot0.sqrtPriceX96,
        tick: i32::try_from(slot0.tick).unwrap(),
        liquidity: p.pool.liquidity().await.unwrap(),
        fee: p.pool.fee().to(),
        tick_spacing: p.pool.tick_spacing(),
        ticks,
        loaded_range: (MIN_TICK, MAX_TICK),
    }
}
