//! `SqrtPriceMath` of v3-core 1.0.1: prices after an amount, amounts between two prices.
//!
//! Sqrt prices are Q64.96 values that fit 160 bits (`uint160` in the contract), liquidity is the
//! pool's `uint128`, amounts are token amounts in their smallest unit.

use alloy_primitives::U256;

use super::full_math::{div_rem, div_rounding_up, mul_div, mul_div_q96, mul_div_rounding_up};
use crate::{Result, SwapError, wide};

/// `2^96`, `FixedPoint96.Q96`.
const Q96: U256 = U256::from_limbs([0, 1 << 32, 0, 0]);

/// `SqrtPriceMath.getNextSqrtPriceFromAmount0RoundingUp`: the sqrt price after adding
/// (`add`) or removing `amount` of token0 at `liquidity`, rounded up.
///
/// # Errors
/// [`SwapError::PriceExhausted`] when removing `amount` leaves no price;
/// [`SwapError::Overflow`] (`toUint160`) and [`SwapError::DivisionByZero`] where the contract
/// reverts.
#[inline]
pub fn get_next_sqrt_price_from_amount0_rounding_up(
    sqrt_price_x96: U256,
    liquidity: u128,
    amount: U256,
    add: bool,
) -> Result<U256> {
    // Short circuit: otherwise the result is not guaranteed to equal the input price.
    if amount.is_zero() {
        return Ok(sqrt_price_x96);
    }
    let numerator1 = U256::from(liquidity) << 96_usize;
    let product = wide::checked_mul(amount, sqrt_price_x96);
    if add {
        if let Some(product) = product
            && let Some(denominator) = numerator1.checked_add(product)
        {
            // Always fits 160 bits: denominator ≥ numerator1. The contract casts with
            // `uint160(…)`; truncate the same way.
            return mul_div_rounding_up(numerator1, sqrt_price_x96, denominator).map(truncate_160);
        }
        if sqrt_price_x96.is_zero() {
            return Err(SwapError::DivisionByZero {
                operation: "getNextSqrtPriceFromAmount0RoundingUp",
            });
        }
        let quotient = div_rem(numerator1, sqrt_price_x96)
            .0
            .checked_add(amount)
            .ok_or(SwapError::overflow("getNextSqrtPriceFromAmount0RoundingUp"))?;
        return Ok(truncate_160(div_rounding_up(numerator1, quotient)));
    }
    // If the product overflows, the denominator underflows.
    let product = product
        .filter(|&p| numerator1 > p)
        .ok_or(SwapError::PriceExhausted { operation: "getNextSqrtPriceFromAmount0RoundingUp" })?;
    let next = mul_div_rounding_up(numerator1, sqrt_price_x96, numerator1 - product)?;
    to_uint160(next)
}

/// `SqrtPriceMath.getNextSqrtPriceFromAmount1RoundingDown`: the sqrt price after adding
/// (`add`) or removing `amount` of token1 at `liquidity`, rounded down.
///
/// # Errors
/// [`SwapError::PriceExhausted`] when removing `amount` passes price zero;
/// [`SwapError::Overflow`], [`SwapError::DivisionByZero`] where the contract reverts.
#[inline]
pub fn get_next_sqrt_price_from_amount1_rounding_down(
    sqrt_price_x96: U256,
    liquidity: u128,
    amount: U256,
    add: bool,
) -> Result<U256> {
    let liquidity = U256::from(liquidity);
    let fits_160 = amount.bit_len() <= 160;
    if add {
        let quotient = if fits_160 {
            if liquidity.is_zero() {
                return Err(SwapError::DivisionByZero {
                    operation: "getNextSqrtPriceFromAmount1RoundingDown",
                });
            }
            div_rem(amount << 96_usize, liquidity).0
        } else {
            mul_div(amount, Q96, liquidity)?
        };
        let next = sqrt_price_x96
            .checked_add(quotient)
            .ok_or(SwapError::overflow("getNextSqrtPriceFromAmount1RoundingDown"))?;
        return to_uint160(next);
    }
    let quotient = if fits_160 {
        div_rounding_up(amount << 96, liquidity)
    } else {
        mul_div_rounding_up(amount, Q96, liquidity)?
    };
    if sqrt_price_x96 <= quotient {
        return Err(SwapError::PriceExhausted {
            operation: "getNextSqrtPriceFromAmount1RoundingDown",
        });
    }
    Ok(truncate_160(sqrt_price_x96 - quotient))
}

/// `SqrtPriceMath.getNextSqrtPriceFromInput`: the sqrt price after swapping in `amount_in` of
/// token0 (`zero_for_one`) or token1, rounded so it does not pass the target.
///
/// # Errors
/// [`SwapError::PriceExhausted`] for a zero price or liquidity; as the two functions above.
#[inline]
pub fn get_next_sqrt_price_from_input(
    sqrt_price_x96: U256,
    liquidity: u128,
    amount_in: U256,
    zero_for_one: bool,
) -> Result<U256> {
    if sqrt_price_x96.is_zero() || liquidity == 0 {
        return Err(SwapError::PriceExhausted { operation: "getNextSqrtPriceFromInput" });
    }
    if zero_for_one {
        get_next_sqrt_price_from_amount0_rounding_up(sqrt_price_x96, liquidity, amount_in, true)
    } else {
        get_next_sqrt_price_from_amount1_rounding_down(sqrt_price_x96, liquidity, amount_in, true)
    }
}

/// `SqrtPriceMath.getNextSqrtPriceFromOutput`: the sqrt price after swapping out `amount_out`
/// of token1 (`zero_for_one`) or token0, rounded so it passes the target.
///
/// # Errors
/// [`SwapError::PriceExhausted`] for a zero price or liquidity; as the two functions above.
#[inline]
pub fn get_next_sqrt_price_from_output(
    sqrt_price_x96: U256,
    liquidity: u128,
    amount_out: U256,
    zero_for_one: bool,
) -> Result<U256> {
    if sqrt_price_x96.is_zero() || liquidity == 0 {
        return Err(SwapError::PriceExhausted { operation: "getNextSqrtPriceFromOutput" });
    }
    if zero_for_one {
        get_next_sqrt_price_from_amount1_rounding_down(sqrt_price_x96, liquidity, amount_out, false)
    } else {
        get_next_sqrt_price_from_amount0_rounding_up(sqrt_price_x96, liquidity, amount_out, false)
    }
}

/// `SqrtPriceMath.getAmount0Delta`: token0 between two sqrt prices (either order) at
/// `liquidity`: `liquidity · (√B − √A) / (√A · √B)` in token0 units, rounded up or down.
///
/// # Errors
/// [`SwapError::PriceExhausted`] when the lower price is zero; [`SwapError::Overflow`].
#[inline]
pub fn get_amount0_delta(
    sqrt_ratio_a_x96: U256,
    sqrt_ratio_b_x96: U256,
    liquidity: u128,
    round_up: bool,
) -> Result<U256> {
    let (a, b) = if sqrt_ratio_a_x96 > sqrt_ratio_b_x96 {
        (sqrt_ratio_b_x96, sqrt_ratio_a_x96)
    } else {
        (sqrt_ratio_a_x96, sqrt_ratio_b_x96)
    };
    if a.is_zero() {
        return Err(SwapError::PriceExhausted { operation: "getAmount0Delta" });
    }
    let numerator2 = b - a;
    if numerator2.is_zero() || liquidity == 0 {
        // Both of the contract's quotients are 0.
        return Ok(U256::ZERO);
    }
    if let Some(ab) = wide::checked_mul(a, b) {
        // One division instead of two: ⌊⌊n/b⌋/a⌋ = ⌊n/(a·b)⌋, and ⌈⌈n/b⌉/a⌉ = ⌈n/(a·b)⌉,
        // for n = liquidity · 2^96 · (b − a). Neither of the contract's steps can revert:
        // n/b < liquidity · 2^96 < 2^224 since b − a < b.
        let (q, inexact) = wide::mul_q96_div(liquidity, numerator2, ab);
        return Ok(if round_up && inexact { q + U256::from(1) } else { q });
    }
    let numerator1 = U256::from(liquidity) << 96_usize;
    if round_up {
        Ok(div_rounding_up(mul_div_rounding_up(numerator1, numerator2, b)?, a))
    } else {
        Ok(div_rem(mul_div(numerator1, numerator2, b)?, a).0)
    }
}

/// `SqrtPriceMath.getAmount1Delta`: token1 between two sqrt prices (either order) at
/// `liquidity`: `liquidity · (√B − √A)` in token1 units, rounded up or down.
///
/// # Errors
/// [`SwapError::Overflow`] (cannot happen for 160-bit prices).
#[inline]
pub fn get_amount1_delta(
    sqrt_ratio_a_x96: U256,
    sqrt_ratio_b_x96: U256,
    liquidity: u128,
    round_up: bool,
) -> Result<U256> {
    let difference = if sqrt_ratio_a_x96 > sqrt_ratio_b_x96 {
        sqrt_ratio_a_x96 - sqrt_ratio_b_x96
    } else {
        sqrt_ratio_b_x96 - sqrt_ratio_a_x96
    };
    mul_div_q96(U256::from(liquidity), difference, round_up)
}

/// Solidity's unchecked `uint160(x)`: the low 160 bits.
#[inline]
fn truncate_160(x: U256) -> U256 {
    let l = x.as_limbs();
    U256::from_limbs([l[0], l[1], l[2] & 0xffff_ffff, 0])
}

/// `SafeCast.toUint160`: reverts when `x` does not fit.
#[inline]
fn to_uint160(x: U256) -> Result<U256> {
    if x.bit_len() <= 160 { Ok(x) } else { Err(SwapError::overflow("toUint160")) }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::v3::tick_math::{MAX_SQRT_RATIO, MIN_SQRT_RATIO};

    fn e18(x: u64) -> U256 {
        U256::from(x) * U256::from(10u64).pow(U256::from(18))
    }

    /// `encodePriceSqrt(reserve1, reserve0)` of the v3-core tests for the few prices used.
    fn price_1_1() -> U256 {
        Q96
    }

    fn price_121_100() -> U256 {
        U256::from_str_radix("87150978765690771352898345369", 10).unwrap()
    }

    /// Vectors from v3-core's `SqrtPriceMath.spec.ts`.
    #[test]
    fn v3_core_vectors() {
        let l1 = 10u128.pow(18);
        // getNextSqrtPriceFromInput
        assert!(
            get_next_sqrt_price_from_input(U256::ZERO, 0, e18(1) / U256::from(10), false).is_err()
        );
        assert!(
            get_next_sqrt_price_from_input(U256::from(1), 0, e18(1) / U256::from(10), true)
                .is_err()
        );
        let max_160 = (U256::from(1) << 160) - U256::from(1);
        assert!(get_next_sqrt_price_from_input(max_160, 1024, U256::from(1024), false).is_err());
        // any input amount cannot underflow the price
        assert_eq!(
            get_next_sqrt_price_from_input(U256::from(1), 1, U256::from(1) << 255, true),
            Ok(U256::from(1))
        );
        assert_eq!(
            get_next_sqrt_price_from_input(price_1_1(), l1, U256::ZERO, true),
            Ok(price_1_1())
        );
        assert_eq!(
            get_next_sqrt_price_from_input(price_1_1(), l1, U256::ZERO, false),
            Ok(price_1_1())
        );
        // returns the minimum price for max inputs
        let max_input = U256::MAX - (U256::from(u128::MAX) << 96) / max_160;
        assert_eq!(
            get_next_sqrt_price_from_input(max_160, u128::MAX, max_input, true),
            Ok(U256::from(1))
        );
        assert_eq!(
            get_next_sqrt_price_from_input(price_1_1(), l1, e18(1) / U256::from(10), false),
            Ok(U256::from_str_radix("87150978765690771352898345369", 10).unwrap())
        );
        assert_eq!(
            get_next_sqrt_price_from_input(price_1_1(), l1, e18(1) / U256::from(10), true),
            Ok(U256::from_str_radix("72025602285694852357767227579", 10).unwrap())
        );
        assert_eq!(
            get_next_sqrt_price_from_input(price_1_1(), 10u128.pow(19), U256::from(1) << 100, true),
            Ok(U256::from_str_radix("624999999995069620", 10).unwrap())
        );
        assert_eq!(
            get_next_sqrt_price_from_input(price_1_1(), 1, U256::MAX / U256::from(2), true),
            Ok(U256::from(1))
        );
        // getNextSqrtPriceFromOutput
        assert!(
            get_next_sqrt_price_from_output(
                U256::from_str_radix("20282409603651670423947251286016", 10).unwrap(),
                1024,
                U256::from(4),
                false
            )
            .is_err()
        );
        assert!(
            get_next_sqrt_price_from_output(
                U256::from_str_radix("20282409603651670423947251286016", 10).unwrap(),
                1024,
                U256::from(262_144),
                true
            )
            .is_err()
        );
        assert_eq!(
            get_next_sqrt_price_from_output(
                U256::from_str_radix("20282409603651670423947251286016", 10).unwrap(),
                1024,
                U256::from(262_143),
                true
            ),
            Ok(U256::from_str_radix("77371252455336267181195264", 10).unwrap())
        );
        assert_eq!(
            get_next_sqrt_price_from_output(price_1_1(), l1, e18(1) / U256::from(10), false),
            Ok(U256::from_str_radix("88031291682515930659493278152", 10).unwrap())
        );
        assert_eq!(
            get_next_sqrt_price_from_output(price_1_1(), l1, e18(1) / U256::from(10), true),
            Ok(U256::from_str_radix("71305346262837903834189555302", 10).unwrap())
        );
        assert!(get_next_sqrt_price_from_output(price_1_1(), 1, U256::MAX, true).is_err());
        assert!(get_next_sqrt_price_from_output(price_1_1(), 1, U256::MAX, false).is_err());
        // getAmount0Delta / getAmount1Delta
        assert_eq!(get_amount0_delta(price_1_1(), price_1_1(), 0, true), Ok(U256::ZERO));
        assert_eq!(get_amount0_delta(price_1_1(), price_121_100(), 0, true), Ok(U256::ZERO));
        assert_eq!(
            get_amount0_delta(price_1_1(), price_121_100(), l1, true),
            Ok(U256::from(90_909_090_909_090_910u64))
        );
        assert_eq!(
            get_amount0_delta(price_1_1(), price_121_100(), l1, false),
            Ok(U256::from(90_909_090_909_090_909u64))
        );
        assert_eq!(
            get_amount1_delta(price_1_1(), price_121_100(), l1, true),
            Ok(U256::from(100_000_000_000_000_000u64))
        );
        assert_eq!(
            get_amount1_delta(price_1_1(), price_121_100(), l1, false),
            Ok(U256::from(99_999_999_999_999_999u64))
        );
        // works for prices that overflow (2^90 and 2^96 · 2^90 / 2^96…).
        let p1 = U256::from_str_radix("2787593149816327892691964784081045188247552", 10).unwrap();
        let p2 = U256::from_str_radix("22300745198530623141535718272648361505980416", 10).unwrap();
        let up = get_amount0_delta(p1, p2, l1, true).unwrap();
        let down = get_amount0_delta(p1, p2, l1, false).unwrap();
        assert_eq!(up, down + U256::from(1));
    }

    /// `getAmount0Delta` as the contract computes it: two 512-bit divisions.
    fn reference_amount0_delta(a: U256, b: U256, liquidity: u128, round_up: bool) -> Option<U256> {
        use alloy_primitives::U512;
        let (a, b) = if a > b { (b, a) } else { (a, b) };
        if a.is_zero() {
            return None;
        }
        let n = (U512::from(liquidity) << 96usize) * U512::from(b - a);
        let (q, r) = n.div_rem(U512::from(b));
        let q = if round_up && !r.is_zero() { q + U512::from(1u8) } else { q };
        let (q2, r2) = q.div_rem(U512::from(a));
        let q2 = if round_up && !r2.is_zero() { q2 + U512::from(1u8) } else { q2 };
        Some(U256::from(q2))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(5_000))]

        /// The one-division `getAmount0Delta` equals the contract's two divisions, for prices
        /// of any size (products above 2^256 take the two-division path).
        #[test]
        fn amount0_delta_is_the_two_division_one(
            a: [u64; 4],
            b: [u64; 4],
            a_bits in 1usize..=256,
            b_bits in 1usize..=256,
            liquidity: u128,
            round_up: bool,
        ) {
            let (a, b) = (U256::from_limbs(a) >> (256 - a_bits), U256::from_limbs(b) >> (256 - b_bits));
            let want = reference_amount0_delta(a, b, liquidity, round_up);
            prop_assert_eq!(get_amount0_delta(a, b, liquidity, round_up).ok(), want);
        }
    }

    proptest! {
        /// Swapping in exactly what get_amount*_delta says a move costs lands at or before the
        /// target, never past it; amounts are monotone in the far price.
        #[test]
        fn input_never_passes_the_target(
            price in 1u128..,
            target_shift in 1u32..64,
            liquidity in 1u128..,
        ) {
            let p = U256::from(price) << 32;
            prop_assume!(p >= MIN_SQRT_RATIO && p < MAX_SQRT_RATIO);
            let down = p - (p >> target_shift);
            prop_assume!(down >= MIN_SQRT_RATIO && down < p);
            let amount0 = get_amount0_delta(down, p, liquidity, true).unwrap();
            let next = get_next_sqrt_price_from_input(p, liquidity, amount0, true).unwrap();
            prop_assert!(next <= p);
            if !amount0.is_zero() {
                let short = get_next_sqrt_price_from_input(p, liquidity, amount0 - U256::from(1), true).unwrap();
                prop_assert!(short >= down);
            }
            let up = p + (p >> target_shift);
            prop_assume!(up < MAX_SQRT_RATIO);
            let amount1 = get_amount1_delta(p, up, liquidity, true).unwrap();
            if !amount1.is_zero() {
                let short = get_next_sqrt_price_from_input(p, liquidity, amount1 - U256::from(1), false).unwrap();
                prop_assert!(short <= up);
            }
            prop_assert!(get_amount1_delta(p, up, liquidity, false).unwrap() <= amount1);
        }
    }
}
