//! `FullMath` and `UnsafeMath`: multiply then divide with a 512-bit intermediate.

use alloy_primitives::{U256, U512};

use crate::{Result, SwapError, wide};

/// `FullMath.mulDiv`: `⌊a·b / denominator⌋` with the product held in 512 bits.
///
/// # Errors
/// [`SwapError::DivisionByZero`] for a zero denominator; [`SwapError::Overflow`] when the
/// quotient does not fit 256 bits (the contract's `require(denominator > prod1)`).
#[inline]
pub fn mul_div(a: U256, b: U256, denominator: U256) -> Result<U256> {
    mul_div_rem(a, b, denominator).map(|(q, _)| q)
}

/// `FullMath.mulDivRoundingUp`: `⌈a·b / denominator⌉` with the product held in 512 bits.
///
/// # Errors
/// As [`mul_div`], and [`SwapError::Overflow`] when rounding up passes `U256::MAX`.
#[inline]
pub fn mul_div_rounding_up(a: U256, b: U256, denominator: U256) -> Result<U256> {
    let (q, rem) = mul_div_rem(a, b, denominator)?;
    if rem.is_zero() {
        Ok(q)
    } else {
        q.checked_add(U256::from(1)).ok_or(SwapError::overflow("mulDivRoundingUp"))
    }
}

/// `UnsafeMath.divRoundingUp`: `⌈x / y⌉`, and 0 when `y` is 0 (the EVM's `div` and `mod`).
#[inline]
pub fn div_rounding_up(x: U256, y: U256) -> U256 {
    if y.is_zero() {
        return U256::ZERO;
    }
    let (q, r) = div_rem(x, y);
    // q ≤ x / 1 and r > 0 only when y > 1, so q < U256::MAX and the add cannot wrap.
    if r.is_zero() { q } else { q + U256::from(1) }
}

/// `mulDiv(a, b, 2^96)` or `mulDivRoundingUp(a, b, 2^96)` as a shift: the same result, since
/// the denominator is a power of two (`FixedPoint96.Q96`).
///
/// # Errors
/// As [`mul_div`] and [`mul_div_rounding_up`].
#[inline]
pub(crate) fn mul_div_q96(a: U256, b: U256, round_up: bool) -> Result<U256> {
    const LOW_96: U256 = U256::from_limbs([u64::MAX, u64::MAX >> 32, 0, 0]);
    let (q, inexact) = match a.checked_mul(b) {
        Some(product) => (product >> 96_usize, !(product & LOW_96).is_zero()),
        None => {
            let product: U512 = a.widening_mul(b);
            let l = product.as_limbs();
            // The quotient fits 256 bits when the product is below 2^352.
            if l[6] != 0 || l[7] != 0 || l[5] >> 32 != 0 {
                return Err(SwapError::overflow("mulDiv"));
            }
            let low = U256::from_limbs([l[0], l[1], l[2], l[3]]);
            let high = U256::from_limbs([l[4], l[5], 0, 0]);
            ((low >> 96_usize) | (high << 160_usize), !(low & LOW_96).is_zero())
        }
    };
    if round_up && inexact {
        q.checked_add(U256::from(1)).ok_or(SwapError::overflow("mulDivRoundingUp"))
    } else {
        Ok(q)
    }
}

/// Quotient and remainder of `a·b / denominator`.
#[inline]
fn mul_div_rem(a: U256, b: U256, denominator: U256) -> Result<(U256, U256)> {
    if denominator.is_zero() {
        return Err(SwapError::DivisionByZero { operation: "mulDiv" });
    }
    if let (Some(a), Some(b), Some(d)) = (low_u128(a), low_u128(b), low_u128(denominator))
        && let Some(product) = a.checked_mul(b)
    {
        let q = product / d;
        return Ok((U256::from(q), U256::from(product - q * d)));
    }
    wide::mul_div_rem(a, b, denominator).ok_or(SwapError::overflow("mulDiv"))
}

/// `x.div_rem(y)` for a nonzero `y`, in native 128-bit arithmetic when both fit.
#[inline]
pub(crate) fn div_rem(x: U256, y: U256) -> (U256, U256) {
    match (low_u128(x), low_u128(y)) {
        (Some(x), Some(y)) => {
            let q = x / y;
            (U256::from(q), U256::from(x - q * y))
        }
        _ => wide::div_rem(x, y),
    }
}

/// `x` as a `u128` when it fits.
#[inline]
pub(crate) const fn low_u128(x: U256) -> Option<u128> {
    let l = x.as_limbs();
    if l[2] == 0 && l[3] == 0 { Some(((l[1] as u128) << 64) | l[0] as u128) } else { None }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const Q128: U256 = U256::from_limbs([0, 0, 1, 0]);

    #[test]
    fn vectors_of_the_v3_core_tests() {
        // FullMath.spec.ts.
        assert_eq!(
            mul_div(Q128, Q128, U256::ZERO),
            Err(SwapError::DivisionByZero { operation: "mulDiv" })
        );
        assert_eq!(mul_div(Q128, Q128, U256::from(1)), Err(SwapError::overflow("mulDiv")));
        assert!(mul_div(U256::MAX, U256::MAX, U256::MAX - U256::from(1)).is_err());
        assert_eq!(mul_div(U256::MAX, U256::MAX, U256::MAX), Ok(U256::MAX));
        assert_eq!(
            mul_div(
                Q128,
                U256::from(50) * Q128 / U256::from(100),
                U256::from(150) * Q128 / U256::from(100)
            ),
            Ok(Q128 / U256::from(3))
        );
        assert_eq!(
            mul_div(Q128, U256::from(35) * Q128, U256::from(8) * Q128),
            Ok(U256::from(4375) * Q128 / U256::from(1000))
        );
        assert_eq!(
            mul_div(Q128, U256::from(1000) * Q128, U256::from(3000) * Q128),
            Ok(Q128 / U256::from(3))
        );
        assert_eq!(
            mul_div_rounding_up(Q128, U256::from(1000) * Q128, U256::from(3000) * Q128),
            Ok(Q128 / U256::from(3) + U256::from(1))
        );
        // mulDivRoundingUp reverts when the rounded result passes uint256.
        let a = U256::from_str_radix("535006138814359", 10).unwrap();
        let b = U256::from_str_radix(
            "432862656469423142931042426214547535783388063929571229938474969",
            10,
        )
        .unwrap();
        assert_eq!(
            mul_div_rounding_up(a, b, U256::from(2)),
            Err(SwapError::overflow("mulDivRoundingUp"))
        );
        assert_eq!(div_rounding_up(U256::from(7), U256::ZERO), U256::ZERO);
        assert_eq!(div_rounding_up(U256::from(7), U256::from(2)), U256::from(4));
        assert_eq!(div_rounding_up(U256::MAX, U256::from(1)), U256::MAX);
    }

    proptest! {
        #[test]
        fn the_q96_shift_is_mul_div(a in any::<[u64; 4]>(), b in any::<[u64; 4]>(), shift in 0usize..256) {
            let q96 = U256::from(1) << 96_usize;
            let (a, b) = (U256::from_limbs(a) >> shift, U256::from_limbs(b));
            prop_assert_eq!(mul_div_q96(a, b, false), mul_div(a, b, q96));
            prop_assert_eq!(mul_div_q96(a, b, true), mul_div_rounding_up(a, b, q96));
        }

        #[test]
        fn agrees_with_u512_arithmetic(
            a in any::<[u64; 4]>(),
            b in any::<[u64; 4]>(),
            d in any::<[u64; 4]>(),
            small in 1u64..,
        ) {
            let (a, b) = (U256::from_limbs(a), U256::from_limbs(b));
            for d in [U256::from_limbs(d), U256::from(small)] {
                let wide = U512::from(a) * U512::from(b);
                let want = wide / U512::from(d);
                let round_up = !(wide % U512::from(d)).is_zero();
                match mul_div(a, b, d) {
                    Ok(q) => prop_assert_eq!(U512::from(q), want),
                    Err(_) => prop_assert!(want > U512::from(U256::MAX)),
                }
                match mul_div_rounding_up(a, b, d) {
                    Ok(q) => prop_assert_eq!(U512::from(q), want + U512::from(u8::from(round_up))),
                    Err(_) => prop_assert!(want + U512::from(u8::from(round_up)) > U512::from(U256::MAX)),
                }
            }
        }
    }
}
