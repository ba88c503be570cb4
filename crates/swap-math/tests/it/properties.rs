//! Properties of the V3 simulator on generated pools: a partial tick map answers as the full one
//! or refuses, the ticks crossed are the ones between the ticks before and after, nothing
//! panics, and splitting a step (as word boundaries do) can change the result.

use std::collections::BTreeMap;

use alloy_primitives::{I256, U256, aliases::U160};
use mev_swap_math::{
    MAX_TICK, MIN_TICK, SwapError, V3State, compute_swap_step, default_price_limit,
    get_sqrt_ratio_at_tick,
};
use proptest::prelude::*;

/// A pool built from positions, so its in-range liquidity agrees with its ticks.
fn pool(
    spacing: i32,
    fee: u32,
    positions: &[(i32, i32, u128)],
    tick: i32,
    price_frac: u64,
) -> V3State {
    let mut ticks = BTreeMap::<i32, i128>::new();
    let mut liquidity = 0u128;
    let tick = tick.clamp(MIN_TICK + 1, MAX_TICK - 2);
    for &(lower, width, l) in positions {
        let lower = (lower * spacing)
            .clamp(-MAX_TICK / spacing * spacing, MAX_TICK / spacing * spacing - spacing);
        let upper = (lower + width * spacing).min(MAX_TICK / spacing * spacing);
        *ticks.entry(lower).or_default() += l as i128;
        *ticks.entry(upper).or_default() -= l as i128;
        if lower <= tick && tick < upper {
            liquidity += l;
        }
    }
    let low = get_sqrt_ratio_at_tick(tick).unwrap();
    let high = get_sqrt_ratio_at_tick(tick + 1).unwrap();
    let price = low + (high - low - U256::from(1)) * U256::from(price_frac) / U256::from(u64::MAX);
    V3State {
        sqrt_price_x96: U160::from_limbs([
            price.as_limbs()[0],
            price.as_limbs()[1],
            price.as_limbs()[2],
        ]),
        tick,
        liquidity,
        fee,
        tick_spacing: spacing,
        ticks,
        loaded_range: (MIN_TICK, MAX_TICK),
    }
}

/// A `U160` from three limbs, the top one cut to 32 bits.
pub(crate) fn u160(l: [u64; 3]) -> U160 {
    U160::from_limbs([l[0], l[1], l[2] & 0xffff_ffff])
}

pub(crate) fn arb_pool() -> impl Strategy<Value = V3State> {
    (
        prop::sample::select(vec![(1, 100), (10, 500), (60, 3000), (200, 10_000)]),
        prop::collection::vec((-600i32..600, 1i32..400, 1u128..(1u128 << 90)), 1..25),
        -30_000i32..30_000,
        any::<u64>(),
    )
        .prop_map(|((spacing, fee), positions, tick, frac)| {
            pool(spacing, fee, &positions, tick, frac)
        })
}

pub(crate) fn arb_amount() -> impl Strategy<Value = U256> {
    (1usize..120, any::<[u64; 2]>()).prop_map(|(bits, l)| {
        let raw: U256 = U256::from_limbs([l[0], l[1], 0, 0]) | (U256::from(1) << 119_usize);
        (raw >> (120 - bits)).max(U256::from(1))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Knowing only a window of ticks gives the same result or `LeavesLoadedRange`, never a
    /// different answer.
    #[test]
    fn a_partial_tick_map_answers_the_same_or_refuses(
        state in arb_pool(),
        zero_for_one: bool,
        exact_in: bool,
        amount in arb_amount(),
        below in 0i32..1500,
        above in 0i32..1500,
    ) {
        let quote = |s: &V3State| if exact_in {
            s.quote_exact_in(zero_for_one, amount)
        } else {
            s.quote_exact_out(zero_for_one, amount)
        };
        let full = quote(&state);
        let s = state.tick_spacing;
        let window = (state.tick - below * s, state.tick + above * s);
        let partial = V3State {
            ticks: state.ticks.range(window.0..=window.1).map(|(&t, &n)| (t, n)).collect(),
            loaded_range: window,
            ..state
        };
        match quote(&partial) {
            Err(SwapError::LeavesLoadedRange { .. }) => {}
            other => prop_assert_eq!(other, full),
        }
    }

    /// The ticks crossed are exactly the initialized ticks between the ticks before and after,
    /// and the liquidity after is the sum of their nets.
    #[test]
    fn ticks_crossed_are_the_ticks_passed(
        state in arb_pool(),
        zero_for_one: bool,
        amount in arb_amount(),
    ) {
        let Ok(r) = state.swap(zero_for_one, I256::try_from(amount).unwrap(), default_price_limit(zero_for_one)) else {
            return Ok(());
        };
        let (from, to) = if zero_for_one { (r.tick_after, state.tick) } else { (state.tick, r.tick_after) };
        prop_assert!(from <= to);
        let passed: Vec<(i32, i128)> =
            state.ticks.iter().filter(|&(&t, _)| from < t && t <= to).map(|(&t, &n)| (t, n)).collect();
        prop_assert_eq!(r.ticks_crossed as usize, passed.len());
        let net: i128 = passed.iter().map(|&(_, n)| n).sum();
        let expected = if zero_for_one { state.liquidity as i128 - net } else { state.liquidity as i128 + net };
        prop_assert_eq!(r.liquidity_after as i128, expected);
        prop_assert!(r.amount_in > U256::ZERO || r.amount_out.is_zero());
        prop_assert!(r.fee_amount <= r.amount_in);
    }

    /// The amounts-only quote is the full quote's amounts, or its error, for every input.
    #[test]
    fn amounts_only_quotes_are_the_full_quotes_amounts(
        state in arb_pool(),
        zero_for_one: bool,
        amount in arb_amount(),
    ) {
        let full = state.quote_exact_in(zero_for_one, amount);
        let amounts = state.quote_exact_in_amounts(zero_for_one, amount);
        prop_assert_eq!(amounts, full.map(|r| r.amounts()));
    }

    /// Any state and any input: an answer or an error, never a panic.
    #[test]
    fn never_panics(
        price in any::<[u64; 3]>(),
        tick in any::<i32>(),
        liquidity in any::<u128>(),
        fee in any::<u32>(),
        spacing in any::<i32>(),
        ticks in prop::collection::btree_map(any::<i32>(), any::<i128>(), 0..8),
        range in any::<(i32, i32)>(),
        zero_for_one: bool,
        amount in any::<[u64; 4]>(),
        limit in any::<[u64; 3]>(),
    ) {
        let state = V3State {
            sqrt_price_x96: u160(price),
            tick,
            liquidity,
            fee,
            tick_spacing: spacing,
            ticks,
            loaded_range: range,
        };
        let amount = I256::from_raw(U256::from_limbs(amount));
        let _ = state.swap(zero_for_one, amount, u160(limit));
        let _ = state.quote_exact_in(zero_for_one, amount.unsigned_abs());
        let _ = state.quote_exact_out(zero_for_one, amount.unsigned_abs());
        let _ = state.quoter_v2_ticks_crossed(tick);
    }

    /// Same thing on valid pools with garbage amounts and limits.
    #[test]
    fn never_panics_on_valid_pools(
        state in arb_pool(),
        zero_for_one: bool,
        amount in any::<[u64; 4]>(),
        limit in any::<[u64; 3]>(),
    ) {
        let amount = I256::from_raw(U256::from_limbs(amount));
        let _ = state.swap(zero_for_one, amount, u160(limit));
        let _ = state.swap(zero_for_one, amount, default_price_limit(zero_for_one));
    }
}

/// Why the simulator must split steps where the pool does: one step from A to C and two steps
/// A → B → C with the same input can end at different prices or amounts.
#[test]
fn splitting_a_step_can_change_the_result() {
    let mut differ = 0;
    for i in 0u64..2_000 {
        let (a, b, c) = (0, 1 + (i % 97) as i32, 200 + (i % 13) as i32);
        let (pa, pb, pc) = (
            get_sqrt_ratio_at_tick(a).unwrap(),
            get_sqrt_ratio_at_tick(b).unwrap(),
            get_sqrt_ratio_at_tick(c).unwrap(),
        );
        let liquidity = 1_000_003u128 + u128::from(i) * 7_919;
        let amount = I256::try_from(1_000_000_000u64 + i * 104_729).unwrap();
        let one = compute_swap_step(pa, pc, liquidity, amount, 3000).unwrap();
        let first = compute_swap_step(pa, pb, liquidity, amount, 3000).unwrap();
        let left = amount - I256::try_from(first.amount_in + first.fee_amount).unwrap();
        let (price, out) = if left.is_zero() {
            (first.sqrt_ratio_next_x96, first.amount_out)
        } else {
            let second = compute_swap_step(pb, pc, liquidity, left, 3000).unwrap();
            (second.sqrt_ratio_next_x96, first.amount_out + second.amount_out)
        };
        differ += usize::from(price != one.sqrt_ratio_next_x96 || out != one.amount_out);
    }
    assert!(differ > 0, "splitting never changed a result");
}

#[test]
fn refuses_what_the_pool_refuses() {
    let state = pool(60, 3000, &[(-10, 20, 10u128.pow(20))], 0, 0);
    let limit = default_price_limit(true);
    assert_eq!(
        state.swap(true, I256::ZERO, limit),
        Err(SwapError::ZeroAmount { what: "amount_specified" })
    );
    // A limit on the wrong side (SPL).
    assert!(matches!(
        state.swap(false, I256::ONE, limit),
        Err(SwapError::InvalidPriceLimit { zero_for_one: false, .. })
    ));
    assert!(matches!(
        state.swap(true, I256::ONE, U160::from(4_295_128_739u64)),
        Err(SwapError::InvalidPriceLimit { .. })
    ));
    let bad_fee = V3State { fee: 1_000_000, ..state.clone() };
    assert_eq!(bad_fee.swap(true, I256::ONE, limit), Err(SwapError::InvalidFee { fee: 1_000_000 }));
    let bad_spacing = V3State { tick_spacing: 0, ..state.clone() };
    assert!(matches!(
        bad_spacing.swap(true, I256::ONE, limit),
        Err(SwapError::InvalidTickSpacing { .. })
    ));
    assert_eq!(
        state.quote_exact_in(true, U256::MAX),
        Err(SwapError::Overflow { operation: "toInt256" })
    );
    // Asking for more than the position holds.
    assert!(matches!(
        state.quote_exact_out(true, U256::from(10u128.pow(30))),
        Err(SwapError::ExactOutputNotFilled { .. })
    ));
    // A pool with no liquidity at all in one direction.
    let empty = pool(60, 3000, &[(10, 20, 10u128.pow(20))], 0, 0);
    assert_eq!(empty.quote_exact_in(true, U256::from(1000)), Err(SwapError::EmptySwap));
}

#[test]
fn a_tick_with_zero_net_still_ends_a_step() {
    // Positions [-600, 0] and [0, 600] with equal liquidity: tick 0 is initialized with net 0.
    let l = 10u128.pow(20);
    let with = pool(60, 3000, &[(-10, 10, l), (0, 10, l)], 120, 0);
    assert_eq!(with.ticks.get(&0), Some(&0));
    let mut without = with.clone();
    without.ticks.remove(&0);
    let a = with.quote_exact_in(true, U256::from(10u128.pow(19))).unwrap();
    let b = without.quote_exact_in(true, U256::from(10u128.pow(19))).unwrap();
    assert_eq!(a.ticks_crossed, b.ticks_crossed + 1);
    assert_eq!(a.liquidity_after, b.liquidity_after);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// More in never gives less out, and an exact-out quote never costs less for more.
    #[test]
    fn v3_quotes_are_monotone_in_the_amount(
        state in arb_pool(),
        zero_for_one in any::<bool>(),
        a in arb_amount(),
        b in arb_amount(),
    ) {
        let (small, large) = if a <= b { (a, b) } else { (b, a) };
        if let (Ok(s), Ok(l)) =
            (state.quote_exact_in(zero_for_one, small), state.quote_exact_in(zero_for_one, large))
        {
            prop_assert!(s.amount_out <= l.amount_out, "exact in {small} → {}, {large} → {}", s.amount_out, l.amount_out);
        }
        if let (Ok(s), Ok(l)) =
            (state.quote_exact_out(zero_for_one, small), state.quote_exact_out(zero_for_one, large))
        {
            prop_assert!(s.amount_in <= l.amount_in, "exact out {small} ← {}, {large} ← {}", s.amount_in, l.amount_in);
        }
    }

    /// Exact in and exact out are inverse within the pool's rounding, which always favours the
    /// pool: the input an exact-out quote asks for buys at least that output, and buying what an
    /// exact-in quote gives never costs more than was paid.
    #[test]
    fn v3_exact_in_and_exact_out_are_inverse_within_rounding(
        state in arb_pool(),
        zero_for_one in any::<bool>(),
        amount in arb_amount(),
    ) {
        if let Ok(out) = state.quote_exact_out(zero_for_one, amount) {
            let back = state.quote_exact_in(zero_for_one, out.amount_in);
            prop_assert!(back.is_ok(), "{back:?}");
            prop_assert!(back.unwrap().amount_out >= amount);
        }
        if let Ok(r#in) = state.quote_exact_in(zero_for_one, amount) {
            // A swap that hit the price limit spent less than `amount`: only the filled part counts.
            if r#in.amount_out > U256::ZERO {
                let back = state.quote_exact_out(zero_for_one, r#in.amount_out);
                prop_assert!(back.is_ok(), "{back:?}");
                prop_assert!(back.unwrap().amount_in <= r#in.amount_in);
            }
        }
    }

    /// The same two properties for Uniswap V2 (and forks' fees).
    #[test]
    fn v2_quotes_are_monotone_and_inverse_within_rounding(
        r0 in 1_000u128..(1u128 << 112),
        r1 in 1_000u128..(1u128 << 112),
        a in 1u128..(1u128 << 100),
        b in 1u128..(1u128 << 100),
        pancake in any::<bool>(),
    ) {
        use mev_swap_math::{V2Fee, get_amount_in, get_amount_out};
        let fee = if pancake { V2Fee::PANCAKESWAP } else { V2Fee::UNISWAP };
        let (r0, r1) = (U256::from(r0), U256::from(r1));
        let (small, large) = (U256::from(a.min(b)), U256::from(a.max(b)));
        let out = |x| get_amount_out(x, r0, r1, fee);
        prop_assert!(out(small)? <= out(large)?);
        let y = out(large)?;
        if y > U256::ZERO {
            let x = get_amount_in(y, r0, r1, fee)?;
            prop_assert!(x <= large, "buying {y} costs {x} > {large}");
            prop_assert!(out(x)? >= y);
        }
    }
}
