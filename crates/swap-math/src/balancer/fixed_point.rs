//! Balancer's `FixedPoint` library (`pkg/solidity-utils/contracts/math/FixedPoint.sol`): 18-decimal
//! fixed-point arithmetic with explicit rounding, bit for bit.
//!
//! Every value is a WAD (`1e18` = 1.0). Each function fails where the library `_require`s, with
//! the matching [`BalancerError`].

use alloy_primitives::U256;

use super::{BalancerError, log_exp_math};

/// 1.0 in 18-decimal fixed point (`FixedPoint.ONE`).
pub const ONE: U256 = U256::from_limbs([1_000_000_000_000_000_000, 0, 0, 0]);
const TWO: U256 = U256::from_limbs([2_000_000_000_000_000_000, 0, 0, 0]);
const FOUR: U256 = U256::from_limbs([4_000_000_000_000_000_000, 0, 0, 0]);
/// The relative error `pow_down`/`pow_up` allow for `LogExpMath.pow`: 1e-14
/// (`MAX_POW_RELATIVE_ERROR`).
pub const MAX_POW_RELATIVE_ERROR: U256 = U256::from_limbs([10_000, 0, 0, 0]);

const ONE_U128: u128 = 1_000_000_000_000_000_000;

/// `x` as a `u128` when it fits.
#[inline]
pub(crate) const fn small(x: U256) -> Option<u128> {
    let l = x.as_limbs();
    if l[2] == 0 && l[3] == 0 { Some(((l[1] as u128) << 64) | l[0] as u128) } else { None }
}

/// `a · b` in native arithmetic when both and their product fit 128 bits: the fast path of the
/// multiplications and divisions below, which then give the same results as in 256 bits.
#[inline]
fn small_product(a: U256, b: U256) -> Option<u128> {
    small(a)?.checked_mul(small(b)?)
}

/// `a + b` (`FixedPoint.add`).
///
/// # Errors
/// [`BalancerError::AddOverflow`].
#[inline]
pub fn add(a: U256, b: U256) -> Result<U256, BalancerError> {
    a.checked_add(b).ok_or(BalancerError::AddOverflow)
}

/// `a - b` (`FixedPoint.sub`).
///
/// # Errors
/// [`BalancerError::SubOverflow`] when `b > a`.
#[inline]
pub fn sub(a: U256, b: U256) -> Result<U256, BalancerError> {
    a.checked_sub(b).ok_or(BalancerError::SubOverflow)
}

/// `a · b / 1e18`, rounded down (`FixedPoint.mulDown`).
///
/// # Errors
/// [`BalancerError::MulOverflow`] when `a · b` leaves `uint256`.
#[inline]
pub fn mul_down(a: U256, b: U256) -> Result<U256, BalancerError> {
    if let Some(product) = small_product(a, b) {
        return Ok(U256::from(product / ONE_U128));
    }
    Ok(a.checked_mul(b).ok_or(BalancerError::MulOverflow)? / ONE)
}

/// `a · b / 1e18`, rounded up (`FixedPoint.mulUp`).
///
/// # Errors
/// [`BalancerError::MulOverflow`] when `a · b` leaves `uint256`.
#[inline]
pub fn mul_up(a: U256, b: U256) -> Result<U256, BalancerError> {
    if let Some(product) = small_product(a, b) {
        return Ok(U256::from(if product == 0 { 0 } else { (product - 1) / ONE_U128 + 1 }));
    }
    let product = a.checked_mul(b).ok_or(BalancerError::MulOverflow)?;
    Ok(if product.is_zero() { U256::ZERO } else { (product - U256::from(1)) / ONE + U256::from(1) })
}

/// `a · 1e18 / b`, rounded down (`FixedPoint.divDown`).
///
/// # Errors
/// [`BalancerError::ZeroDivision`] when `b` is zero, [`BalancerError::DivInternal`] when
/// `a · 1e18` leaves `uint256`.
#[inline]
pub fn div_down(a: U256, b: U256) -> Result<U256, BalancerError> {
    if b.is_zero() {
        return Err(BalancerError::ZeroDivision);
    }
    if let (Some(inflated), Some(b)) = (small_product(a, ONE), small(b)) {
        return Ok(U256::from(inflated / b));
    }
    Ok(a.checked_mul(ONE).ok_or(BalancerError::DivInternal)? / b)
}

/// `a · 1e18 / b`, rounded up (`FixedPoint.divUp`).
///
/// # Errors
/// As [`div_down`].
#[inline]
pub fn div_up(a: U256, b: U256) -> Result<U256, BalancerError> {
    if b.is_zero() {
        return Err(BalancerError::ZeroDivision);
    }
    if let (Some(inflated), Some(b)) = (small_product(a, ONE), small(b)) {
        return Ok(U256::from(if inflated == 0 { 0 } else { (inflated - 1) / b + 1 }));
    }
    let inflated = a.checked_mul(ONE).ok_or(BalancerError::DivInternal)?;
    Ok(if inflated.is_zero() { U256::ZERO } else { (inflated - U256::from(1)) / b + U256::from(1) })
}

/// `x^y` rounded down: never above the true value (`FixedPoint.powDown`). Exponents 1, 2 and 4
/// are computed by multiplication; others through [`log_exp_math::pow`] minus its maximum error
/// (floored at zero).
///
/// # Errors
/// Those of [`log_exp_math::pow`] and the multiplications.
pub fn pow_down(x: U256, y: U256) -> Result<U256, BalancerError> {
    if y == ONE {
        Ok(x)
    } else if y == TWO {
        mul_down(x, x)
    } else if y == FOUR {
        let square = mul_down(x, x)?;
        mul_down(square, square)
    } else {
        let raw = log_exp_math::pow(x, y)?;
        let max_error = add(mul_up(raw, MAX_POW_RELATIVE_ERROR)?, U256::from(1))?;
        Ok(raw.checked_sub(max_error).unwrap_or(U256::ZERO))
    }
}

/// `x^y` rounded up: never below the true value (`FixedPoint.powUp`). Exponents 1, 2 and 4 are
/// computed by multiplication; others through [`log_exp_math::pow`] plus its maximum error.
///
/// # Errors
/// Those of [`log_exp_math::pow`] and the multiplications.
pub fn pow_up(x: U256, y: U256) -> Result<U256, BalancerError> {
    if y == ONE {
        Ok(x)
    } else if y == TWO {
        mul_up(x, x)
    } else if y == FOUR {
        let square = mul_up(x, x)?;
        mul_up(square, square)
    } else {
        let raw = log_exp_math::pow(x, y)?;
        let max_error = add(mul_up(raw, MAX_POW_RELATIVE_ERROR)?, U256::from(1))?;
        add(raw, max_error)
    }
}

/// `1 - x`, or zero when `x ≥ 1` (`FixedPoint.complement`).
#[inline]
pub fn complement(x: U256) -> U256 {
    if x < ONE { ONE - x } else { U256::ZERO }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wad(milli: u64) -> U256 {
        U256::from(milli) * U256::from(1_000_000_000_000_000u64)
    }

    #[test]
    fn rounding_directions() {
        let third = div_down(ONE, U256::from(3) * ONE).unwrap();
        assert_eq!(third, U256::from(333_333_333_333_333_333u64));
        assert_eq!(div_up(ONE, U256::from(3) * ONE).unwrap(), third + U256::from(1));
        assert_eq!(mul_down(U256::from(1), U256::from(1)).unwrap(), U256::ZERO);
        assert_eq!(mul_up(U256::from(1), U256::from(1)).unwrap(), U256::from(1));
        assert_eq!(mul_up(U256::ZERO, U256::MAX).unwrap(), U256::ZERO);
        assert_eq!(div_up(U256::ZERO, U256::from(7)).unwrap(), U256::ZERO);
        assert_eq!(complement(wad(300)), wad(700));
        assert_eq!(complement(wad(1500)), U256::ZERO);
    }

    #[test]
    fn failures_carry_the_library_codes() {
        assert_eq!(mul_down(U256::MAX, U256::from(2)), Err(BalancerError::MulOverflow));
        assert_eq!(div_down(ONE, U256::ZERO), Err(BalancerError::ZeroDivision));
        assert_eq!(div_up(U256::MAX, ONE), Err(BalancerError::DivInternal));
        assert_eq!(sub(U256::ZERO, U256::from(1)), Err(BalancerError::SubOverflow));
        assert_eq!(add(U256::MAX, U256::from(1)), Err(BalancerError::AddOverflow));
    }

    #[test]
    fn the_128_bit_paths_are_the_256_bit_ones() {
        let values = [
            U256::ZERO,
            U256::from(1),
            U256::from(999_999_999_999_999_999u64),
            ONE,
            ONE + U256::from(1),
            U256::from(u64::MAX),
            U256::from(u128::MAX / 1_000_000_000_000_000_000),
            U256::from(u128::MAX / 1_000_000_000_000_000_000 + 1),
            U256::from(u128::MAX),
            U256::from(u128::MAX) + U256::from(1),
            U256::MAX,
        ];
        for &a in &values {
            for &b in &values {
                let product = a.checked_mul(b);
                let want_down = product.map(|p| p / ONE);
                let want_up = product.map(|p| {
                    if p.is_zero() { p } else { (p - U256::from(1)) / ONE + U256::from(1) }
                });
                assert_eq!(mul_down(a, b).ok(), want_down, "{a} {b}");
                assert_eq!(mul_up(a, b).ok(), want_up, "{a} {b}");
                if !b.is_zero() {
                    let inflated = a.checked_mul(ONE);
                    assert_eq!(div_down(a, b).ok(), inflated.map(|i| i / b), "{a} {b}");
                    let want = inflated.map(|i| {
                        if i.is_zero() { i } else { (i - U256::from(1)) / b + U256::from(1) }
                    });
                    assert_eq!(div_up(a, b).ok(), want, "{a} {b}");
                }
            }
        }
    }

    #[test]
    fn pow_brackets_the_true_value() {
        // 2^0.5 = 1.41421356237309504880…
        let sqrt2 = U256::from(1_414_213_562_373_095_048u64);
        let down = pow_down(wad(2000), wad(500)).unwrap();
        let up = pow_up(wad(2000), wad(500)).unwrap();
        assert!(down <= sqrt2 && sqrt2 <= up, "{down} {up}");
        assert!(up - down < U256::from(100_000u64));
        // The integer exponents take the multiplication paths.
        assert_eq!(pow_down(wad(1500), TWO).unwrap(), wad(2250));
        assert_eq!(pow_up(wad(1500), FOUR).unwrap(), U256::from(5_062_500_000_000_000_000u64));
        assert_eq!(pow_up(wad(1500), ONE).unwrap(), wad(1500));
    }
}
