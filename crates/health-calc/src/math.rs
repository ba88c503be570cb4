//! Aave's `WadRayMath`, `PercentageMath` and `MathUtils.mulDivCeil`, with the contracts' exact
//! rounding, on [`U256`] with checked arithmetic.
//!
//! Each function fails exactly where the Solidity version reverts: on a zero divisor and when the
//! intermediate product (plus the rounding term) leaves the `uint256` range. The overflow
//! conditions in the assembly (`a <= (type(uint256).max - HALF) / b`) are equivalent to "the
//! checked product plus the rounding term fits", which is what is implemented here.

use alloy_primitives::U256;

use crate::error::{HealthError, Result};

/// `1e18`, the WAD unit (health factors, Compound mantissas).
pub const WAD: U256 = u256(1_000_000_000_000_000_000);
/// `0.5e18`.
pub const HALF_WAD: U256 = u256(500_000_000_000_000_000);
/// `1e27`, the RAY unit (Aave indexes and rates).
pub const RAY: U256 = u256(1_000_000_000_000_000_000_000_000_000);
/// `0.5e27`.
pub const HALF_RAY: U256 = u256(500_000_000_000_000_000_000_000_000);
/// `1e9`, RAY / WAD.
pub const WAD_RAY_RATIO: U256 = u256(1_000_000_000);
/// `1e4` = 100.00 %, the unit of Aave percentages (bps).
pub const PERCENTAGE_FACTOR: U256 = u256(10_000);
/// `0.5e4`.
pub const HALF_PERCENTAGE_FACTOR: U256 = u256(5_000);
/// `365 days` in seconds (`MathUtils.SECONDS_PER_YEAR`, leap years ignored).
pub const SECONDS_PER_YEAR: U256 = u256(31_536_000);

/// A `U256` from a `u128`, usable in constants.
pub(crate) const fn u256(value: u128) -> U256 {
    U256::from_limbs([value as u64, (value >> 64) as u64, 0, 0])
}

/// `a * b` checked.
#[inline]
pub(crate) fn mul(a: U256, b: U256, operation: &'static str) -> Result<U256> {
    a.checked_mul(b).ok_or(HealthError::overflow(operation))
}

/// `a + b` checked.
#[inline]
pub(crate) fn add(a: U256, b: U256, operation: &'static str) -> Result<U256> {
    a.checked_add(b).ok_or(HealthError::overflow(operation))
}

/// `a - b` checked.
#[inline]
pub(crate) fn sub(a: U256, b: U256, operation: &'static str) -> Result<U256> {
    a.checked_sub(b).ok_or(HealthError::overflow(operation))
}

/// `x` as a `u128` when it fits.
#[inline(always)]
fn small(x: U256) -> Option<u128> {
    let l = x.as_limbs();
    if l[2] | l[3] == 0 { Some(u128::from(l[0]) | (u128::from(l[1]) << 64)) } else { None }
}

/// `a / b`, floor, failing on a zero divisor.
#[inline(always)]
pub(crate) fn div(a: U256, b: U256, operation: &'static str) -> Result<U256> {
    if b.is_zero() {
        return Err(HealthError::DivisionByZero { operation });
    }
    if let (Some(x), Some(y)) = (small(a), small(b)) {
        return Ok(U256::from(x / y));
    }
    Ok(a / b)
}

/// `floor((a * b + addend) / c)` with a checked product and sum, failing on a zero divisor.
///
/// Every rounding helper reduces to this; when all values fit in 128 bits it runs on native
/// `u128` arithmetic (same result, several times faster than 256-bit division).
#[inline(always)]
pub(crate) fn mul_add_div(
    a: U256,
    b: U256,
    addend: U256,
    c: U256,
    operation: &'static str,
) -> Result<U256> {
    if let (Some(x), Some(y), Some(z), Some(w)) = (small(a), small(b), small(addend), small(c))
        && w != 0
        && let Some(n) = x.checked_mul(y).and_then(|p| p.checked_add(z))
    {
        return Ok(U256::from(n / w));
    }
    mul_add_div_wide(a, b, addend, c, operation)
}

/// The 256-bit path of [`mul_add_div`].
#[inline(never)]
fn mul_add_div_wide(
    a: U256,
    b: U256,
    addend: U256,
    c: U256,
    operation: &'static str,
) -> Result<U256> {
    if c.is_zero() {
        return Err(HealthError::DivisionByZero { operation });
    }
    let n = add(mul(a, b, operation)?, addend, operation)?;
    Ok(if c == RAY {
        div_pow10(n, 27)
    } else if c == WAD {
        div_pow10(n, 18)
    } else {
        n / c
    })
}

/// `floor(n / 10^k)` as `floor(floor(n / 2^k) / 5^k)` (exact), for `k ≤ 27` where `5^k` fits in
/// a limb: a shift plus a native or single-limb division instead of a multi-limb one.
#[inline]
fn div_pow10(n: U256, k: usize) -> U256 {
    let five = POW5[k];
    let shifted = n >> k;
    match small(shifted) {
        Some(x) => U256::from(x / u128::from(five)),
        None => shifted / U256::from(five),
    }
}

/// `5^0 ..= 5^27`.
const POW5: [u64; 28] = {
    let mut table = [1u64; 28];
    let mut i = 1;
    while i < 28 {
        table[i] = table[i - 1] * 5;
        i += 1;
    }
    table
};

/// `ceil(a * b / c)` with a checked product, failing on a zero divisor.
#[inline(always)]
fn mul_div_round_up(a: U256, b: U256, c: U256, operation: &'static str) -> Result<U256> {
    if let (Some(x), Some(y), Some(w)) = (small(a), small(b), small(c))
        && w != 0
        && let Some(n) = x.checked_mul(y)
    {
        return Ok(U256::from(n / w + u128::from(n % w != 0)));
    }
    mul_div_round_up_wide(a, b, c, operation)
}

/// The 256-bit path of [`mul_div_round_up`].
#[inline(never)]
fn mul_div_round_up_wide(a: U256, b: U256, c: U256, operation: &'static str) -> Result<U256> {
    if c.is_zero() {
        return Err(HealthError::DivisionByZero { operation });
    }
    let (q, r) = mul(a, b, operation)?.div_rem(c);
    Ok(if r.is_zero() { q } else { q + U256::from(1u8) })
}

/// `WadRayMath.wadMul`: `(a * b + HALF_WAD) / WAD`, half up.
#[inline]
pub fn wad_mul(a: U256, b: U256) -> Result<U256> {
    mul_add_div(a, b, HALF_WAD, WAD, "wadMul")
}

/// `WadRayMath.wadDiv`: `(a * WAD + b / 2) / b`, half up; fails when `b == 0`.
#[inline]
pub fn wad_div(a: U256, b: U256) -> Result<U256> {
    mul_add_div(a, WAD, b >> 1, b, "wadDiv")
}

/// `WadRayMath.rayMul`: `(a * b + HALF_RAY) / RAY`, half up.
#[inline]
pub fn ray_mul(a: U256, b: U256) -> Result<U256> {
    mul_add_div(a, b, HALF_RAY, RAY, "rayMul")
}

/// `WadRayMath.rayMulFloor` (v3.5+): `a * b / RAY`, rounded down.
#[inline]
pub fn ray_mul_floor(a: U256, b: U256) -> Result<U256> {
    mul_add_div(a, b, U256::ZERO, RAY, "rayMulFloor")
}

/// `WadRayMath.rayMulCeil` (v3.5+): `a * b / RAY`, rounded up.
#[inline]
pub fn ray_mul_ceil(a: U256, b: U256) -> Result<U256> {
    mul_div_round_up(a, b, RAY, "rayMulCeil")
}

/// `WadRayMath.rayDiv`: `(a * RAY + b / 2) / b`, half up; fails when `b == 0`.
#[inline]
pub fn ray_div(a: U256, b: U256) -> Result<U256> {
    mul_add_div(a, RAY, b >> 1, b, "rayDiv")
}

/// `WadRayMath.rayDivFloor` (v3.5+): `a * RAY / b`, rounded down.
#[inline]
pub fn ray_div_floor(a: U256, b: U256) -> Result<U256> {
    mul_add_div(a, RAY, U256::ZERO, b, "rayDivFloor")
}

/// `WadRayMath.rayDivCeil` (v3.5+): `a * RAY / b`, rounded up.
#[inline]
pub fn ray_div_ceil(a: U256, b: U256) -> Result<U256> {
    mul_div_round_up(a, RAY, b, "rayDivCeil")
}

/// `WadRayMath.rayToWad`: `a / 1e9`, half up. Never fails.
#[inline]
pub fn ray_to_wad(a: U256) -> U256 {
    let (q, r) = a.div_rem(WAD_RAY_RATIO);
    if r >= WAD_RAY_RATIO >> 1 { q + U256::from(1) } else { q }
}

/// `WadRayMath.wadToRay`: `a * 1e9`, checked.
#[inline]
pub fn wad_to_ray(a: U256) -> Result<U256> {
    mul(a, WAD_RAY_RATIO, "wadToRay")
}

/// `PercentageMath.percentMul`: `(value * percentage + 0.5e4) / 1e4`, half up. `percentage` is
/// in bps (`1e4` = 100 %). A zero percentage gives zero.
#[inline]
pub fn percent_mul(value: U256, percentage: U256) -> Result<U256> {
    mul_add_div(value, percentage, HALF_PERCENTAGE_FACTOR, PERCENTAGE_FACTOR, "percentMul")
}

/// `PercentageMath.percentMulCeil`: `value * percentage / 1e4`, rounded up.
#[inline]
pub fn percent_mul_ceil(value: U256, percentage: U256) -> Result<U256> {
    mul_div_round_up(value, percentage, PERCENTAGE_FACTOR, "percentMulCeil")
}

/// `PercentageMath.percentDiv`: `(value * 1e4 + percentage / 2) / percentage`, half up; fails
/// when `percentage == 0`.
#[inline]
pub fn percent_div(value: U256, percentage: U256) -> Result<U256> {
    mul_add_div(value, PERCENTAGE_FACTOR, percentage >> 1, percentage, "percentDiv")
}

/// `PercentageMath.percentDivCeil` (v3.5+): `value * 1e4 / percentage`, rounded up.
#[inline]
pub fn percent_div_ceil(value: U256, percentage: U256) -> Result<U256> {
    mul_div_round_up(value, PERCENTAGE_FACTOR, percentage, "percentDivCeil")
}

/// `a * b / c`, rounded down, with a checked product (Solidity `a * b / c`).
#[inline]
pub fn mul_div_floor(a: U256, b: U256, c: U256) -> Result<U256> {
    mul_add_div(a, b, U256::ZERO, c, "mulDiv")
}

/// `MathUtils.mulDivCeil` (v3.5+): `a * b / c`, rounded up, with a checked product.
#[inline]
pub fn mul_div_ceil(a: U256, b: U256, c: U256) -> Result<U256> {
    mul_div_round_up(a, b, c, "mulDivCeil")
}

/// `a * b / c`, floor, naming the operation in errors.
#[inline]
pub(crate) fn mul_div(a: U256, b: U256, c: U256, operation: &'static str) -> Result<U256> {
    mul_add_div(a, b, U256::ZERO, c, operation)
}

/// `floor(amount * price / 10^decimals)` (a token amount in base currency), with a checked
/// product; `None` for decimals above [`MAX_DECIMALS`]. Native `u128` when everything fits.
#[inline(always)]
pub(crate) fn to_base_floor(
    amount: U256,
    price: U256,
    decimals: u8,
    operation: &'static str,
) -> Option<Result<U256>> {
    if let (Some(x), Some(y), Some(unit)) =
        (small(amount), small(price), POW10_U128.get(usize::from(decimals)))
        && let Some(n) = x.checked_mul(y)
    {
        return Some(Ok(U256::from(n / *unit)));
    }
    Some(mul_div(amount, price, pow10(decimals)?, operation))
}

/// `ceil(amount * price / 10^decimals)` (`MathUtils.mulDivCeil`), like [`to_base_floor`].
#[inline(always)]
pub(crate) fn to_base_ceil(amount: U256, price: U256, decimals: u8) -> Option<Result<U256>> {
    if let (Some(x), Some(y), Some(unit)) =
        (small(amount), small(price), POW10_U128.get(usize::from(decimals)))
        && let Some(n) = x.checked_mul(y)
    {
        return Some(Ok(U256::from(n / *unit + u128::from(n % *unit != 0))));
    }
    Some(mul_div_ceil(amount, price, pow10(decimals)?))
}

/// `10^decimals` for the decimals a token can have (`0..=77`); `None` above 77.
#[inline(always)]
pub(crate) fn pow10(decimals: u8) -> Option<U256> {
    if let Some(p) = POW10_U128.get(usize::from(decimals)) {
        Some(u256(*p))
    } else if decimals <= MAX_DECIMALS {
        Some(U256::from(10u8).pow(U256::from(decimals)))
    } else {
        None
    }
}

/// The largest decimals for which `10^decimals` fits in a `uint256`.
pub const MAX_DECIMALS: u8 = 77;

/// `10^0 ..= 10^38`, every power of ten that fits in a `u128`.
const POW10_U128: [u128; 39] = {
    let mut table = [1u128; 39];
    let mut i = 1;
    while i < 39 {
        table[i] = table[i - 1] * 10;
        i += 1;
    }
    table
};

#[cfg(test)]
mod tests {
    use super::*;

    fn u(v: u128) -> U256 {
        U256::from(v)
    }

    #[test]
    fn constants() {
        assert_eq!(WAD, U256::from(10u8).pow(U256::from(18)));
        assert_eq!(RAY, U256::from(10u8).pow(U256::from(27)));
        assert_eq!(HALF_RAY * U256::from(2), RAY);
        assert_eq!(SECONDS_PER_YEAR, u(365 * 24 * 3600));
    }

    #[test]
    fn half_up_rounding() {
        // 1.5 wei rounds up, 1.4999 rounds down.
        assert_eq!(wad_mul(u(3), HALF_WAD).unwrap(), u(2));
        assert_eq!(wad_mul(u(1), HALF_WAD - u(1)).unwrap(), u(0));
        assert_eq!(wad_div(u(1), u(2) * WAD).unwrap(), u(1)); // 0.5 -> 1
        assert_eq!(wad_div(u(1), u(3) * WAD).unwrap(), u(0)); // 0.33 -> 0
        assert_eq!(ray_mul(u(1), HALF_RAY).unwrap(), u(1));
        assert_eq!(ray_mul_floor(u(1), HALF_RAY).unwrap(), u(0));
        assert_eq!(ray_mul_ceil(u(1), u(1)).unwrap(), u(1));
        assert_eq!(ray_mul_ceil(u(2), RAY).unwrap(), u(2));
        assert_eq!(ray_div(u(1), u(2) * RAY).unwrap(), u(1));
        assert_eq!(ray_div_floor(u(1), u(2) * RAY).unwrap(), u(0));
        assert_eq!(ray_div_ceil(u(1), u(3) * RAY).unwrap(), u(1));
        assert_eq!(percent_mul(u(1), u(5_000)).unwrap(), u(1));
        assert_eq!(percent_mul(u(1), u(4_999)).unwrap(), u(0));
        assert_eq!(percent_mul_ceil(u(1), u(1)).unwrap(), u(1));
        assert_eq!(percent_div(u(1), u(20_000)).unwrap(), u(1));
        assert_eq!(percent_div_ceil(u(1), u(3)).unwrap(), u(3_334));
        assert_eq!(percent_div(u(1), u(3)).unwrap(), u(3_333));
        assert_eq!(mul_div_ceil(u(1), u(1), u(3)).unwrap(), u(1));
        assert_eq!(mul_div_floor(u(2), u(1), u(3)).unwrap(), u(0));
        assert_eq!(ray_to_wad(u(1_499_999_999)), u(1));
        assert_eq!(ray_to_wad(u(500_000_000)), u(1));
        assert_eq!(ray_to_wad(u(499_999_999)), u(0));
    }

    #[test]
    fn zero_operands() {
        assert_eq!(percent_mul(U256::MAX, U256::ZERO).unwrap(), U256::ZERO);
        assert_eq!(wad_mul(U256::MAX, U256::ZERO).unwrap(), U256::ZERO);
        assert!(matches!(wad_div(u(1), U256::ZERO), Err(HealthError::DivisionByZero { .. })));
        assert!(matches!(percent_div(u(1), U256::ZERO), Err(HealthError::DivisionByZero { .. })));
        assert!(matches!(
            mul_div_ceil(u(1), u(1), U256::ZERO),
            Err(HealthError::DivisionByZero { .. })
        ));
    }

    #[test]
    fn overflow_boundaries_match_solidity() {
        // wadMul reverts iff a > (MAX - HALF_WAD) / b.
        let b = u(3);
        let limit = (U256::MAX - HALF_WAD) / b;
        assert!(wad_mul(limit, b).is_ok());
        assert!(matches!(wad_mul(limit + u(1), b), Err(HealthError::Overflow { .. })));
        // wadDiv reverts iff a > (MAX - b/2) / WAD.
        let b = u(7);
        let limit = (U256::MAX - (b >> 1)) / WAD;
        assert!(wad_div(limit, b).is_ok());
        assert!(wad_div(limit + u(1), b).is_err());
        // percentMul reverts iff value > (MAX - HALF_PERCENTAGE) / percentage.
        let p = u(8_250);
        let limit = (U256::MAX - HALF_PERCENTAGE_FACTOR) / p;
        assert!(percent_mul(limit, p).is_ok());
        assert!(percent_mul(limit + u(1), p).is_err());
        // rayMulFloor reverts iff a > MAX / b.
        let limit = U256::MAX / RAY;
        assert!(ray_mul_floor(limit, RAY).is_ok());
        assert!(ray_mul_floor(limit + u(1), RAY).is_err());
    }

    #[test]
    fn division_by_wad_and_ray_via_shift() {
        for n in [
            U256::ZERO,
            U256::from(1u8),
            RAY - U256::from(1u8),
            RAY,
            U256::MAX,
            U256::MAX - RAY,
            U256::from(u128::MAX) * RAY + HALF_RAY,
            U256::from(123_456_789u64).pow(U256::from(7u8)),
        ] {
            assert_eq!(div_pow10(n, 27), n / RAY, "{n}");
            assert_eq!(div_pow10(n, 18), n / WAD, "{n}");
        }
        assert_eq!(u256(u128::from(POW5[27])) << 27, RAY);
        assert_eq!(u256(u128::from(POW5[18])) << 18, WAD);
    }

    #[test]
    fn powers_of_ten() {
        assert_eq!(pow10(0), Some(u(1)));
        assert_eq!(pow10(18), Some(WAD));
        assert_eq!(pow10(38), Some(U256::from(10u8).pow(U256::from(38))));
        assert_eq!(pow10(39), Some(U256::from(10u8).pow(U256::from(39))));
        assert_eq!(pow10(77), Some(U256::from(10u8).pow(U256::from(77))));
        assert_eq!(pow10(78), None);
    }
}
