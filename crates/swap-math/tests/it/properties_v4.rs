//! Properties of the Uniswap V4 simulator on generated pools (the V3 pools of `properties.rs`
//! with V4 fees: an LP fee up to 100 %, a protocol fee per direction, hooks): nothing panics,
//! quotes are monotone in the amount, exact in and exact out are inverse within the pool's
//! rounding, and pools whose hooks may change a swap are always refused.

use alloy_primitives::{Address, I256, U256};
use mev_swap_math::{
    DYNAMIC_FEE_FLAG, SwapError, V3State, V4State, default_price_limit, hook_flags,
};
use proptest::prelude::*;

use crate::properties::{arb_amount, arb_pool, u160};

/// A hooks address with `flags` in its lowest 14 bits.
fn hooks(flags: u16) -> Address {
    let mut a = [0x11u8; 20];
    a[18] = (flags >> 8) as u8 & 0x3f;
    a[19] = flags as u8;
    Address::from(a)
}

/// A V4 pool over a generated V3 pool: LP fee, protocol fees, and hooks that leave swaps alone
/// (none, afterSwap only, beforeSwap on a static fee).
fn arb_v4() -> impl Strategy<Value = V4State> {
    (
        arb_pool(),
        prop_oneof![0u32..20_000, Just(0), Just(1_000_000), 0u32..=1_000_000],
        0u32..=1000,
        0u32..=1000,
        prop::sample::select(vec![0u16, hook_flags::AFTER_SWAP, hook_flags::BEFORE_SWAP]),
    )
        .prop_map(|(pool, lp_fee, p01, p10, flags)| V4State {
            pool: V3State { fee: lp_fee, ..pool },
            protocol_fee: p01 | (p10 << 12),
            key_fee: lp_fee,
            hooks: if flags == 0 { Address::ZERO } else { hooks(flags) },
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    /// The amounts-only quote is the full quote's amounts, or its error, for every input.
    #[test]
    fn v4_amounts_only_quotes_are_the_full_quotes_amounts(
        state in arb_v4(),
        zero_for_one: bool,
        amount in arb_amount(),
    ) {
        let full = state.quote_exact_in(zero_for_one, amount);
        let amounts = state.quote_exact_in_amounts(zero_for_one, amount);
        prop_assert_eq!(amounts, full.map(|r| r.amounts()));
    }


    /// Any state, amount and limit: an answer or an error, never a panic.
    #[test]
    fn v4_never_panics(
        state in arb_v4(),
        garbage_fee in any::<u32>(),
        garbage_protocol in any::<u32>(),
        use_garbage: bool,
        zero_for_one: bool,
        amount in any::<[u64; 4]>(),
        limit in any::<[u64; 3]>(),
        flags in any::<u16>(),
    ) {
        let mut state = state;
        if use_garbage {
            state.pool.fee = garbage_fee;
            state.protocol_fee = garbage_protocol;
            state.key_fee = garbage_fee;
            state.hooks = hooks(flags);
        }
        let amount = I256::from_raw(U256::from_limbs(amount));
        let _ = state.swap(zero_for_one, amount, u160(limit));
        let _ = state.swap(zero_for_one, amount, default_price_limit(zero_for_one));
        let _ = state.quote_exact_in(zero_for_one, amount.unsigned_abs());
        let _ = state.quote_exact_out(zero_for_one, amount.unsigned_abs());
        let _ = state.swap_fee(zero_for_one);
    }

    /// More in never gives less out; more out never costs less.
    #[test]
    fn v4_quotes_are_monotone_in_the_amount(
        state in arb_v4(),
        zero_for_one: bool,
        a in arb_amount(),
        b in arb_amount(),
    ) {
        let (small, large) = if a <= b { (a, b) } else { (b, a) };
        if let (Ok(s), Ok(l)) =
            (state.quote_exact_in(zero_for_one, small), state.quote_exact_in(zero_for_one, large))
        {
            prop_assert!(s.amount_out <= l.amount_out);
        }
        if let (Ok(s), Ok(l)) =
            (state.quote_exact_out(zero_for_one, small), state.quote_exact_out(zero_for_one, large))
        {
            prop_assert!(s.amount_in <= l.amount_in);
        }
    }

    /// The input an exact-out quote asks for buys at least that output; buying what an
    /// exact-in quote gives never costs more than was paid.
    #[test]
    fn v4_exact_in_and_exact_out_are_inverse_within_rounding(
        state in arb_v4(),
        zero_for_one: bool,
        amount in arb_amount(),
    ) {
        if let Ok(out) = state.quote_exact_out(zero_for_one, amount) {
            let back = state.quote_exact_in(zero_for_one, out.amount_in);
            prop_assert!(back.is_ok(), "{back:?}");
            prop_assert!(back.unwrap().amount_out >= amount);
        }
        if let Ok(r#in) = state.quote_exact_in(zero_for_one, amount)
            && r#in.amount_out > U256::ZERO
            && state.swap_fee(zero_for_one) < 1_000_000
        {
            let back = state.quote_exact_out(zero_for_one, r#in.amount_out);
            prop_assert!(back.is_ok(), "{back:?}");
            prop_assert!(back.unwrap().amount_in <= r#in.amount_in);
        }
    }

    /// Hooks that may change a swap are refused, whatever the amount; a 100 % fee pays nothing.
    #[test]
    fn v4_refusals(
        state in arb_v4(),
        zero_for_one: bool,
        amount in arb_amount(),
        extra in prop::sample::select(vec![
            hook_flags::BEFORE_SWAP_RETURNS_DELTA,
            hook_flags::AFTER_SWAP_RETURNS_DELTA,
        ]),
    ) {
        let returns_delta = V4State { hooks: hooks(extra | hook_flags::BEFORE_SWAP), ..state.clone() };
        let refused = matches!(
            returns_delta.quote_exact_in(zero_for_one, amount),
            Err(SwapError::HooksChangeSwap { .. })
        );
        prop_assert!(refused);
        let dynamic = V4State {
            key_fee: DYNAMIC_FEE_FLAG,
            hooks: hooks(hook_flags::BEFORE_SWAP),
            ..state.clone()
        };
        let refused = matches!(
            dynamic.quote_exact_out(zero_for_one, amount),
            Err(SwapError::HooksChangeSwap { .. })
        );
        prop_assert!(refused);
        if state.swap_fee(zero_for_one) == 1_000_000
            && let Ok(r) = state.quote_exact_in(zero_for_one, amount)
        {
            prop_assert_eq!(r.amount_out, U256::ZERO);
        }
    }
}
