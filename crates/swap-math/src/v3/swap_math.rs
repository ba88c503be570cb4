//! `SwapMath.computeSwapStep` of v3-core 1.0.1: one step of a swap within one tick range.

use alloy_primitives::{I256, U256};

use super::{
    full_math::{mul_div, mul_div_rounding_up},
    sqrt_price_math::{
        get_amount0_delta, get_amount1_delta, get_next_sqrt_price_from_input,
        get_next_sqrt_price_from_output,
    },
};
use crate::{Result, SwapError};

/// `1e6`: fees are in hundredths of a bip.
const FEE_DENOMINATOR: u32 = 1_000_000;

/// The outcome of [`compute_swap_step`]. Amounts in the tokens' smallest units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SwapStep {
    /// The sqrt price (Q64.96) the step ends at: the target, or short of it when the amount
    /// runs out.
    pub sqrt_ratio_next_x96: U256,
    /// Input taken by the step, fee excluded.
    pub amount_in: U256,
    /// Output given by the step.
    pub amount_out: U256,
    /// Fee taken by the step, in the input token.
    pub fee_amount: U256,
}

/// `SwapMath.computeSwapStep`: swaps from `sqrt_ratio_current_x96` toward
/// `sqrt_ratio_target_x96` (Q64.96; the direction follows from their order) at `liquidity`,
/// with `amount_remaining` left to swap (positive: exact input, negative: exact output) and a
/// fee of `fee_pips` hundredths of a bip.
///
/// # Errors
/// [`SwapError::InvalidFee`] for `fee_pips >= 1_000_000` (the factory never enables one); the
/// errors of [`mul_div`] and the `SqrtPriceMath` functions where the contract reverts.
#[inline]
pub fn compute_swap_step(
    sqrt_ratio_current_x96: U256,
    sqrt_ratio_target_x96: U256,
    liquidity: u128,
    amount_remaining: I256,
    fee_pips: u32,
) -> Result<SwapStep> {
    if fee_pips >= FEE_DENOMINATOR {
        return Err(SwapError::InvalidFee { fee: fee_pips });
    }
    let (current, target) = (sqrt_ratio_current_x96, sqrt_ratio_target_x96);
    if current == target && !current.is_zero() {
        // A step of no length (a swap starting exactly on the tick it searched from): the
        // contract's amounts are all zero and it ends at the target, whatever the direction
        // and the amount. (A zero price reverts in getAmount0Delta: left to the general path.)
        return Ok(SwapStep {
            sqrt_ratio_next_x96: target,
            amount_in: U256::ZERO,
            amount_out: U256::ZERO,
            fee_amount: U256::ZERO,
        });
    }
    let zero_for_one = current >= target;
    let exact_in = !amount_remaining.is_negative();
    // uint256(amountRemaining) / uint256(-amountRemaining) (2^255 for int256's minimum).
    let remaining = amount_remaining.unsigned_abs();
    let fee = U256::from(fee_pips);
    let one_less_fee = U256::from(FEE_DENOMINATOR - fee_pips);

    let mut amount_in = U256::ZERO;
    let mut amount_out = U256::ZERO;
    let next = if exact_in {
        let remaining_less_fee = mul_div(remaining, one_less_fee, U256::from(FEE_DENOMINATOR))?;
        amount_in = if zero_for_one {
            get_amount0_delta(target, current, liquidity, true)?
        } else {
            get_amount1_delta(current, target, liquidity, true)?
        };
        if remaining_less_fee >= amount_in {
            target
        } else {
            get_next_sqrt_price_from_input(current, liquidity, remaining_less_fee, zero_for_one)?
        }
    } else {
        amount_out = if zero_for_one {
            get_amount1_delta(target, current, liquidity, false)?
        } else {
            get_amount0_delta(current, target, liquidity, false)?
        };
        if remaining >= amount_out {
            target
        } else {
            get_next_sqrt_price_from_output(current, liquidity, remaining, zero_for_one)?
        }
    };

    let max = target == next;
    if zero_for_one {
        if !max || !exact_in {
            amount_in = get_amount0_delta(next, current, liquidity, true)?;
        }
        if !max || exact_in {
            amount_out = get_amount1_delta(next, current, liquidity, false)?;
        }
    } else {
        if !max || !exact_in {
            amount_in = get_amount1_delta(current, next, liquidity, true)?;
        }
        if !max || exact_in {
            amount_out = get_amount0_delta(current, next, liquidity, false)?;
        }
    }

    // Cap the output to what remains to be taken out.
    if !exact_in && amount_out > remaining {
        amount_out = remaining;
    }

    let fee_amount = if exact_in && next != target {
        // The target was not reached: the rest of the input is the fee.
        remaining.checked_sub(amount_in).ok_or(SwapError::overflow("computeSwapStep fee"))?
    } else {
        mul_div_rounding_up(amount_in, fee, one_less_fee)?
    };
    Ok(SwapStep { sqrt_ratio_next_x96: next, amount_in, amount_out, fee_amount })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::v3::tick_math::{MAX_SQRT_RATIO, MIN_SQRT_RATIO};

    fn dec(s: &str) -> U256 {
        U256::from_str_radix(s, 10).unwrap()
    }

    fn e18(x: u64) -> U256 {
        U256::from(x) * U256::from(10u64).pow(U256::from(18))
    }

    fn int(x: U256) -> I256 {
        I256::try_from(x).unwrap()
    }

    /// Vectors from v3-core's `SwapMath.spec.ts`.
    #[test]
    fn v3_core_vectors() {
        let price = U256::from(1) << 96;
        // exact amount in that gets capped at price target in one for zero
        let target = dec("79623317895830914510639640423"); // encodePriceSqrt(101, 100)
        let step = compute_swap_step(price, target, 2 * 10u128.pow(18), int(e18(1)), 600).unwrap();
        assert_eq!(step.amount_in, dec("9975124224178055"));
        assert_eq!(step.fee_amount, dec("5988667735148"));
        assert_eq!(step.amount_out, dec("9925619580021728"));
        assert_eq!(step.sqrt_ratio_next_x96, target);
        // exact amount out that gets capped at price target in one for zero
        let step = compute_swap_step(price, target, 2 * 10u128.pow(18), -int(e18(1)), 600).unwrap();
        assert_eq!(step.amount_in, dec("9975124224178055"));
        assert_eq!(step.fee_amount, dec("5988667735148"));
        assert_eq!(step.amount_out, dec("9925619580021728"));
        assert_eq!(step.sqrt_ratio_next_x96, target);
        // exact amount in that is fully spent in one for zero
        let target = dec("250541448375047931186413801569"); // encodePriceSqrt(1000, 100)
        let step = compute_swap_step(price, target, 2 * 10u128.pow(18), int(e18(1)), 600).unwrap();
        assert_eq!(step.amount_in, dec("999400000000000000"));
        assert_eq!(step.fee_amount, dec("600000000000000"));
        assert_eq!(step.amount_out, dec("666399946655997866"));
        assert_eq!(step.amount_in + step.fee_amount, e18(1));
        // exact amount out that is fully received in one for zero
        let target = dec("250541448375047931186413801569");
        let step = compute_swap_step(price, target, 2 * 10u128.pow(18), -int(e18(1)), 600).unwrap();
        assert_eq!(step.amount_in, dec("2000000000000000000"));
        assert_eq!(step.fee_amount, dec("1200720432259356"));
        assert_eq!(step.amount_out, e18(1));
        // amount out is capped at the desired amount out
        let step = compute_swap_step(
            dec("417332158212080721273783715441582"),
            dec("1452870262520218020823638996"),
            159_344_665_391_607_089_467_575_320_103,
            I256::try_from(-1).unwrap(),
            1,
        )
        .unwrap();
        assert_eq!(step.amount_in, dec("1"));
        assert_eq!(step.fee_amount, dec("1"));
        assert_eq!(step.amount_out, dec("1"));
        assert_eq!(step.sqrt_ratio_next_x96, dec("417332158212080721273783715441581"));
        // target price of 1 uses partial input amount
        let step = compute_swap_step(
            U256::from(2),
            U256::from(1),
            1,
            int(dec("3915081100057732413702495386755767")),
            1,
        )
        .unwrap();
        assert_eq!(step.amount_in, dec("39614081257132168796771975168"));
        assert_eq!(step.fee_amount, dec("39614120871253040049813"));
        assert!(step.amount_in + step.fee_amount <= dec("3915081100057732413702495386755767"));
        assert_eq!(step.amount_out, U256::ZERO);
        assert_eq!(step.sqrt_ratio_next_x96, U256::from(1));
        // entire input amount taken as fee
        let step = compute_swap_step(
            dec("2413"),
            dec("79887613182836312"),
            1_985_041_575_832_132_834_610_021_537_970,
            I256::try_from(10).unwrap(),
            1872,
        )
        .unwrap();
        assert_eq!(step.amount_in, U256::ZERO);
        assert_eq!(step.fee_amount, U256::from(10));
        assert_eq!(step.amount_out, U256::ZERO);
        assert_eq!(step.sqrt_ratio_next_x96, dec("2413"));
        // handles intermediate insufficient liquidity in zero for one exact output case
        let step = compute_swap_step(
            dec("20282409603651670423947251286016"),
            dec("22310650564016837466341976414617"),
            1024,
            I256::try_from(-4).unwrap(),
            3000,
        )
        .unwrap();
        assert_eq!(step.amount_out, U256::ZERO);
        assert_eq!(step.sqrt_ratio_next_x96, dec("22310650564016837466341976414617"));
        assert_eq!(step.amount_in, U256::from(26215));
        assert_eq!(step.fee_amount, U256::from(79));
        // handles intermediate insufficient liquidity in one for zero exact output case
        let step = compute_swap_step(
            dec("20282409603651670423947251286016"),
            dec("18254168643286503381552526157414"),
            1024,
            I256::try_from(-263_000).unwrap(),
            3000,
        )
        .unwrap();
        assert_eq!(step.amount_out, U256::from(26214));
        assert_eq!(step.sqrt_ratio_next_x96, dec("18254168643286503381552526157414"));
        assert_eq!(step.amount_in, U256::from(1));
        assert_eq!(step.fee_amount, U256::from(1));
    }

    #[test]
    fn rejects_a_fee_of_100_percent() {
        assert_eq!(
            compute_swap_step(U256::from(1) << 96, U256::from(1) << 95, 1, I256::ONE, 1_000_000),
            Err(SwapError::InvalidFee { fee: 1_000_000 })
        );
    }

    /// A step of no length gives zeros at the target: the contract's getAmount0Delta and
    /// getAmount1Delta of equal prices are 0 (rounded either way), so are the fee's
    /// mulDivRoundingUp(0, …) and the fee of a reached target.
    #[test]
    fn a_step_of_no_length_is_zero() {
        for price in [MIN_SQRT_RATIO, U256::from(1) << 96, MAX_SQRT_RATIO - U256::from(1)] {
            for round_up in [false, true] {
                for liquidity in [0, 1, u128::MAX] {
                    assert_eq!(
                        get_amount0_delta(price, price, liquidity, round_up),
                        Ok(U256::ZERO)
                    );
                    assert_eq!(
                        get_amount1_delta(price, price, liquidity, round_up),
                        Ok(U256::ZERO)
                    );
                }
            }
            assert_eq!(
                mul_div_rounding_up(U256::ZERO, U256::from(3000), U256::from(997_000)),
                Ok(U256::ZERO)
            );
            for remaining in [I256::ONE, -I256::ONE, I256::MAX, I256::MIN + I256::ONE] {
                for (liquidity, fee) in
                    [(1u128, 0u32), (u128::MAX, 999_999), (10u128.pow(20), 3000)]
                {
                    let step = compute_swap_step(price, price, liquidity, remaining, fee).unwrap();
                    assert_eq!(
                        step,
                        SwapStep {
                            sqrt_ratio_next_x96: price,
                            amount_in: U256::ZERO,
                            amount_out: U256::ZERO,
                            fee_amount: U256::ZERO
                        }
                    );
                }
            }
        }
        assert!(compute_swap_step(U256::ZERO, U256::ZERO, 1, I256::ONE, 3000).is_err());
    }

    proptest! {
        /// The invariants v3-core's SwapMath fuzz test checks.
        #[test]
        fn step_invariants(
            current in any::<[u64; 3]>(),
            target in any::<[u64; 3]>(),
            liquidity in any::<u128>(),
            remaining in any::<[u64; 4]>(),
            fee in 0u32..1_000_000,
        ) {
            let p = |l: [u64; 3]| U256::from_limbs([l[0], l[1], l[2] & 0xffff_ffff, 0]);
            let (current, target) = (p(current), p(target));
            prop_assume!(current >= MIN_SQRT_RATIO && current < MAX_SQRT_RATIO);
            prop_assume!(target >= MIN_SQRT_RATIO && target < MAX_SQRT_RATIO);
            let remaining = I256::from_raw(U256::from_limbs(remaining));
            prop_assume!(!remaining.is_zero() && remaining != I256::MIN);
            let Ok(step) = compute_swap_step(current, target, liquidity, remaining, fee) else {
                return Ok(());
            };
            let abs = remaining.unsigned_abs();
            if remaining.is_negative() {
                prop_assert!(step.amount_out <= abs);
            } else {
                prop_assert!(step.amount_in.checked_add(step.fee_amount).is_some_and(|t| t <= abs));
            }
            if current == target {
                prop_assert_eq!(step.sqrt_ratio_next_x96, target);
            }
            // The price moves toward the target and never past it.
            if current >= target {
                prop_assert!(step.sqrt_ratio_next_x96 <= current && step.sqrt_ratio_next_x96 >= target);
            } else {
                prop_assert!(step.sqrt_ratio_next_x96 >= current && step.sqrt_ratio_next_x96 <= target);
            }
            // Not reaching the target means the whole amount was used.
            if step.sqrt_ratio_next_x96 != target {
                if remaining.is_negative() {
                    prop_assert_eq!(step.amount_out, abs);
                } else {
                    prop_assert_eq!(step.amount_in + step.fee_amount, abs);
                }
            }
        }
    }
}
