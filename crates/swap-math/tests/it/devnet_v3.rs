//! V3 against the real contracts on anvil: v3-core 1.0.1 pools of three fee tiers with dozens
//! of positions over random ranges, random swaps through the periphery's `SwapRouter`, and
//! quotes compared with the periphery's `QuoterV2` to the wei.
//!
//! What is compared, per quote: `QuoterV2`'s `amountOut` (exact in) or `amountIn` (exact out),
//! `sqrtPriceX96After`, and `initializedTicksCrossed` against
//! `V3State::quoter_v2_ticks_crossed` at our tick after (`QuoterV2` counts bitmap positions with
//! a truncating division, not the ticks the pool crossed, so our own `SwapResult::ticks_crossed`
//! is checked through the pool instead: every real swap's `Swap` event, amounts, price, tick and
//! liquidity, and the pool's state after must equal `V3State::swap`'s). A quote `QuoterV2` refuses
//! (a revert) must be an error here too, and the other way round.

use std::collections::{BTreeMap, BTreeSet};

use alloy_primitives::{I256, U256, aliases::U160};
use mev_devnet::{
    Devnet, QuoterV2, SQRT_PRICE_1_1, UniswapV3Pool, bindings::IUniswapV3Pool, receipt_events,
};
use mev_swap_math::{MAX_TICK, MIN_TICK, SwapError, V3State, default_price_limit};
use rand::{Rng, SeedableRng, rngs::StdRng};

use crate::common::{e18, log_uniform, seed};

const POSITIONS_PER_POOL: usize = 30;
const ROUNDS: usize = 8;
/// Per pool and round, for each of the four kinds (direction × exact in/out).
const QUOTES_PER_KIND: usize = 6;
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
    refused_by_both: usize,
    partial_fills: usize,
    swaps: usize,
    most_ticks_crossed: u32,
    quoter_count_differs: usize,
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
    let quoter = v3.deploy_quoter_v2().await.unwrap();
    for token in [token_a, token_b] {
        devnet.approve(token, me, v3.position_manager(), U256::MAX).await.unwrap();
        devnet.approve(token, me, v3.swap_router(), U256::MAX).await.unwrap();
    }

    let mut pools = Vec::new();
    for fee in [500, 3000, 10_000] {
        let pool = v3.create_pool(token_a, token_b, fee, SQRT_PRICE_1_1).await.unwrap();
        let s = pool.tick_spacing();
        let mut ticks = BTreeSet::new();
        let mut batch = devnet.batch();
        for _ in 0..POSITIONS_PER_POOL {
            // Ranges up to ~1.5 bitmap words wide, within ±2.5 words of the start price, so
            // swaps cross initialized ticks and word boundaries alike.
            let lower = rng.random_range(-640..600) * s;
            let upper = lower + rng.random_range(1..=400) * s;
            let amount0 = log_uniform(&mut rng, 70).max(e18(1));
            let amount1 = log_uniform(&mut rng, 70).max(e18(1));
            pool.push_mint_position(&mut batch, me, lower, upper, amount0, amount1).unwrap();
            ticks.extend([lower, upper]);
        }
        batch.execute().await.unwrap();
        pools.push(Pool { pool, ticks });
    }

    let mut tally = Tally::default();
    for round in 0..ROUNDS {
        for p in &pools {
            for _ in 0..SWAPS_PER_ROUND {
                real_swap(&devnet, p, &mut rng, &mut tally).await;
            }
            let state = read_state(p).await;
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
                        compare_quote(
                            &quoter,
                            p,
                            &state,
                            zero_for_one,
                            exact_in,
                            amount,
                            &mut rng,
                            &mut tally,
                        )
                        .await;
                    }
                }
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
}

/// One random swap through the `SwapRouter`, simulated first; the pool's `Swap` event and its
/// state after must equal the simulation.
async fn real_swap(devnet: &Devnet, p: &Pool, rng: &mut StdRng, tally: &mut Tally) {
    let state = read_state(p).await;
    let zero_for_one = rng.random_bool(0.5);
    let limit = default_price_limit(zero_for_one);
    // Shrink the amount until the swap stays clear of the price limit, so the pools keep
    // liquidity in range.
    let mut amount = log_uniform(rng, 80);
    let sim = loop {
        match state.swap(zero_for_one, I256::try_from(amount).unwrap(), limit) {
            Ok(r) if r.sqrt_price_after != limit && !r.amount_out.is_zero() => break r,
            _ if amount > U256::from(1_000_000) => amount /= U256::from(16),
            // A tiny amount that gives nothing: skip this swap.
            _ => return,
        }
    };
    let receipt = p.pool.swap_exact_in(devnet.deployer(), zero_for_one, amount).await.unwrap();
    let event = receipt_events::<IUniswapV3Pool::Swap>(&receipt, p.pool.address())
        .unwrap()
        .pop()
        .expect("the swap emitted a Swap event");
    let what = format!("swap of {amount} zero_for_one={zero_for_one} in fee {}", p.pool.fee());
    assert_eq!((event.amount0, event.amount1), (sim.amount0, sim.amount1), "{what}");
    assert_eq!(event.sqrtPriceX96, sim.sqrt_price_after, "{what}");
    assert_eq!(i32::try_from(event.tick).unwrap(), sim.tick_after, "{what}");
    assert_eq!(event.liquidity, sim.liquidity_after, "{what}");
    let mut expected = state.clone();
    expected.apply(&sim);
    assert_eq!(read_state(p).await, expected, "{what}: state after");
    assert_eq!(sim.amount_in, amount, "{what}: the whole input is used");
    tally.swaps += 1;
    tally.most_ticks_crossed = tally.most_ticks_crossed.max(sim.ticks_crossed);
}

/// One quote, ours against `QuoterV2`'s, plus the same quote from a state that knows only a
/// window of ticks around the price (which must answer the same or refuse).
#[allow(clippy::too_many_arguments)]
async fn compare_quote(
    quoter: &QuoterV2,
    p: &Pool,
    state: &V3State,
    zero_for_one: bool,
    exact_in: bool,
    amount: U256,
    rng: &mut StdRng,
    tally: &mut Tally,
) {
    let ours = if exact_in {
        state.quote_exact_in(zero_for_one, amount)
    } else {
        state.quote_exact_out(zero_for_one, amount)
    };
    let theirs = if exact_in {
        quoter.quote_exact_input_single(&p.pool, zero_for_one, amount, U160::ZERO).await
    } else {
        quoter.quote_exact_output_single(&p.pool, zero_for_one, amount, U160::ZERO).await
    };
    let what = format!(
        "quote exact_{} of {amount} zero_for_one={zero_for_one} in fee {} from tick {}",
        if exact_in { "in" } else { "out" },
        p.pool.fee(),
        state.tick
    );
    tally.quotes += 1;
    let ours = match (ours, theirs) {
        (Ok(ours), Ok(theirs)) => {
            let amount_ours = if exact_in { ours.amount_out } else { ours.amount_in };
            assert_eq!(amount_ours, theirs.amount, "{what}: amount");
            assert_eq!(ours.sqrt_price_after, theirs.sqrt_price_x96_after, "{what}: price after");
            let count = state.quoter_v2_ticks_crossed(ours.tick_after).unwrap();
            assert_eq!(count, theirs.initialized_ticks_crossed, "{what}: ticks crossed");
            tally.quoter_count_differs += usize::from(count != ours.ticks_crossed);
            tally.partial_fills += usize::from(exact_in && ours.amount_in < amount);
            tally.most_ticks_crossed = tally.most_ticks_crossed.max(ours.ticks_crossed);
            ours
        }
        (Err(ours), Err(_)) => {
            assert!(
                matches!(ours, SwapError::ExactOutputNotFilled { .. } | SwapError::EmptySwap),
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
    let again = if exact_in {
        restricted.quote_exact_in(zero_for_one, amount)
    } else {
        restricted.quote_exact_out(zero_for_one, amount)
    };
    match again {
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
