//! Balancer's `LogExpMath` library (`pkg/solidity-utils/contracts/math/LogExpMath.sol`, by
//! Fernando Martinelli, Sergio Yuhjtman and Daniel Fernandez, MIT): `x^y`, `e^x` and `ln(x)` for
//! 18-decimal fixed-point numbers, with the library's constants and evaluation order, bit for bit.
//!
//! The library is compiled with Solidity 0.7 and does its intermediate arithmetic unchecked; within
//! the domain its `_require`s enforce nothing wraps, and this port checks every step anyway so no
//! input can make it panic (a step that would wrap returns [`BalancerError::MulOverflow`] and
//! friends, which a pool never reaches).

use alloy_primitives::{I256, U256, uint};

use super::BalancerError;

const fn int(value: U256) -> I256 {
    I256::from_raw(value)
}

const fn neg(value: U256) -> I256 {
    I256::from_raw(U256::ZERO.wrapping_sub(value))
}

const ONE_18: I256 = int(uint!(1000000000000000000_U256));
const ONE_20: I256 = int(uint!(100000000000000000000_U256));
const ONE_36: I256 = int(uint!(1000000000000000000000000000000000000_U256));

/// The largest argument of [`exp`]: 130.0 (18 decimals).
pub const MAX_NATURAL_EXPONENT: I256 = int(uint!(130000000000000000000_U256));
/// The smallest argument of [`exp`]: -41.0 (18 decimals).
pub const MIN_NATURAL_EXPONENT: I256 = neg(uint!(41000000000000000000_U256));

// Bounds of `ln_36`'s argument: 0.9 and 1.1.
const LN_36_LOWER_BOUND: I256 = int(uint!(900000000000000000_U256));
const LN_36_UPPER_BOUND: I256 = int(uint!(1100000000000000000_U256));

/// `2^254 / 1e20`: `pow`'s exponent must be below it.
const MILD_EXPONENT_BOUND: U256 =
    uint!(289480223093290488558927462521719769633174961664101410098_U256);

// 18-decimal constants: x_n = 2^(7-n) and a_n = e^(x_n), the first two without decimals.
const X0: I256 = int(uint!(128000000000000000000_U256)); // 2^7
const A0: I256 = int(uint!(38877084059945950922200000000000000000000000000000000000_U256)); // e^(x0)
const X1: I256 = int(uint!(64000000000000000000_U256)); // 2^6
const A1: I256 = int(uint!(6235149080811616882910000000_U256)); // e^(x1)

// 20-decimal constants.
const X2: I256 = int(uint!(3200000000000000000000_U256)); // 2^5
const A2: I256 = int(uint!(7896296018268069516100000000000000_U256)); // e^(x2)
const X3: I256 = int(uint!(1600000000000000000000_U256)); // 2^4
const A3: I256 = int(uint!(888611052050787263676000000_U256)); // e^(x3)
const X4: I256 = int(uint!(800000000000000000000_U256)); // 2^3
const A4: I256 = int(uint!(298095798704172827474000_U256)); // e^(x4)
const X5: I256 = int(uint!(400000000000000000000_U256)); // 2^2
const A5: I256 = int(uint!(5459815003314423907810_U256)); // e^(x5)
const X6: I256 = int(uint!(200000000000000000000_U256)); // 2^1
const A6: I256 = int(uint!(738905609893065022723_U256)); // e^(x6)
const X7: I256 = int(uint!(100000000000000000000_U256)); // 2^0
const A7: I256 = int(uint!(271828182845904523536_U256)); // e^(x7)
const X8: I256 = int(uint!(50000000000000000000_U256)); // 2^-1
const A8: I256 = int(uint!(164872127070012814685_U256)); // e^(x8)
const X9: I256 = int(uint!(25000000000000000000_U256)); // 2^-2
const A9: I256 = int(uint!(128402541668774148407_U256)); // e^(x9)
const X10: I256 = int(uint!(12500000000000000000_U256)); // 2^-3
const A10: I256 = int(uint!(113314845306682631683_U256)); // e^(x10)
const X11: I256 = int(uint!(6250000000000000000_U256)); // 2^-4
const A11: I256 = int(uint!(106449445891785942956_U256)); // e^(x11)

/// `(x_n, a_n)` for n = 2..=9, the terms `exp` decomposes its argument into.
const EXP_TERMS: [(I256, I256); 8] =
    [(X2, A2), (X3, A3), (X4, A4), (X5, A5), (X6, A6), (X7, A7), (X8, A8), (X9, A9)];
/// `(x_n, a_n)` for n = 2..=11, the terms `_ln` decomposes its argument into.
const LN_TERMS: [(I256, I256); 10] = [
    (X2, A2),
    (X3, A3),
    (X4, A4),
    (X5, A5),
    (X6, A6),
    (X7, A7),
    (X8, A8),
    (X9, A9),
    (X10, A10),
    (X11, A11),
];

/// `x^y` for an unsigned 18-decimal base and exponent, as `exp(y · ln(x))` (`LogExpMath.pow`);
/// `0^0 = 1`.
///
/// # Errors
/// [`BalancerError::PowBaseOutOfBounds`] when `x ≥ 2^255`,
/// [`BalancerError::PowExponentOutOfBounds`] when `y ≥ 2^254 / 1e20`,
/// [`BalancerError::PowProductOutOfBounds`] when `ln(x)·y` is outside `[-41, 130]`.
pub fn pow(x: U256, y: U256) -> Result<U256, BalancerError> {
    if y.is_zero() {
        return Ok(ONE_18.into_raw());
    }
    if x.is_zero() {
        return Ok(U256::ZERO);
    }
    if x >> 255 != U256::ZERO {
        return Err(BalancerError::PowBaseOutOfBounds { base: x });
    }
    let x_int = int(x);
    if y >= MILD_EXPONENT_BOUND {
        return Err(BalancerError::PowExponentOutOfBounds { exponent: y });
    }
    let y_int = int(y);

    let logx_times_y = if LN_36_LOWER_BOUND < x_int && x_int < LN_36_UPPER_BOUND {
        let ln_36_x = ln_36(x_int)?;
        // ln_36_x has 36 decimals: multiply its top and bottom 18 decimals separately.
        add(mul(div(ln_36_x, ONE_18)?, y_int)?, div(mul(rem(ln_36_x, ONE_18)?, y_int)?, ONE_18)?)?
    } else {
        mul(ln_internal(x_int)?, y_int)?
    };
    let logx_times_y = div(logx_times_y, ONE_18)?;

    if !(MIN_NATURAL_EXPONENT <= logx_times_y && logx_times_y <= MAX_NATURAL_EXPONENT) {
        return Err(BalancerError::PowProductOutOfBounds { product: logx_times_y });
    }
    Ok(exp(logx_times_y)?.into_raw())
}

/// `e^x` for a signed 18-decimal exponent (`LogExpMath.exp`).
///
/// # Errors
/// [`BalancerError::ExpArgumentOutOfBounds`] when `x` is outside `[-41, 130]`.
pub fn exp(x: I256) -> Result<I256, BalancerError> {
    if !(MIN_NATURAL_EXPONENT <= x && x <= MAX_NATURAL_EXPONENT) {
        return Err(BalancerError::ExpArgumentOutOfBounds { x });
    }
    if x.is_negative() {
        // e^(-x) = 1 / e^x.
        return div(mul(ONE_18, ONE_18)?, exp(neg_checked(x)?)?);
    }

    let mut x = x;
    // The first two terms have no decimals, and at most one of them applies.
    let first_an = if x >= X0 {
        x = sub(x, X0)?;
        A0
    } else if x >= X1 {
        x = sub(x, X1)?;
        A1
    } else {
        I256::ONE
    };

    // 20 decimals from here on.
    x = mul(x, int(U256::from(100)))?;
    let mut product = ONE_20;
    for (xn, an) in EXP_TERMS {
        if x >= xn {
            x = sub(x, xn)?;
            product = div(mul(product, an)?, ONE_20)?;
        }
    }

    // Taylor series of e^x for the small remainder, 12 terms.
    let mut series_sum = add(ONE_20, x)?;
    let mut term = x;
    for n in 2..=12u64 {
        term = div(div(mul(term, x)?, ONE_20)?, int(U256::from(n)))?;
        series_sum = add(series_sum, term)?;
    }

    div(mul(div(mul(product, series_sum)?, ONE_20)?, first_an)?, int(U256::from(100)))
}

/// `ln(a)` for a signed 18-decimal argument (`LogExpMath.ln`), with 36-decimal precision near 1.
///
/// # Errors
/// [`BalancerError::LnArgumentOutOfBounds`] when `a ≤ 0`.
pub fn ln(a: I256) -> Result<I256, BalancerError> {
    if a <= I256::ZERO {
        return Err(BalancerError::LnArgumentOutOfBounds { a });
    }
    if LN_36_LOWER_BOUND < a && a < LN_36_UPPER_BOUND {
        div(ln_36(a)?, ONE_18)
    } else {
        ln_internal(a)
    }
}

/// `LogExpMath._ln`: ln of a positive 18-decimal number.
fn ln_internal(a: I256) -> Result<I256, BalancerError> {
    if a < ONE_18 {
        // ln(a) = -ln(1/a); 1/a > 1, so this recurses once.
        return neg_checked(ln_internal(div(mul(ONE_18, ONE_18)?, a)?)?);
    }

    let mut a = a;
    let mut sum = I256::ZERO;
    if a >= mul(A0, ONE_18)? {
        a = div(a, A0)?;
        sum = add(sum, X0)?;
    }
    if a >= mul(A1, ONE_18)? {
        a = div(a, A1)?;
        sum = add(sum, X1)?;
    }

    // 20 decimals from here on.
    let hundred = int(U256::from(100));
    sum = mul(sum, hundred)?;
    a = mul(a, hundred)?;
    for (xn, an) in LN_TERMS {
        if a >= an {
            a = div(mul(a, ONE_20)?, an)?;
            sum = add(sum, xn)?;
        }
    }

    // ln(a) = 2·(z + z^3/3 + z^5/5 + …) with z = (a - 1)/(a + 1), 6 terms.
    let z = div(mul(sub(a, ONE_20)?, ONE_20)?, add(a, ONE_20)?)?;
    let z_squared = div(mul(z, z)?, ONE_20)?;
    let mut num = z;
    let mut series_sum = num;
    for d in [3u64, 5, 7, 9, 11] {
        num = div(mul(num, z_squared)?, ONE_20)?;
        series_sum = add(series_sum, div(num, int(U256::from(d)))?)?;
    }
    series_sum = mul(series_sum, int(U256::from(2)))?;

    div(add(sum, series_sum)?, hundred)
}

/// `LogExpMath._ln_36`: ln of an 18-decimal number near 1, as a 36-decimal number.
fn ln_36(x: I256) -> Result<I256, BalancerError> {
    let x = mul(x, ONE_18)?;
    let z = div(mul(sub(x, ONE_36)?, ONE_36)?, add(x, ONE_36)?)?;
    let z_squared = div(mul(z, z)?, ONE_36)?;
    let mut num = z;
    let mut series_sum = num;
    for d in [3u64, 5, 7, 9, 11, 13, 15] {
        num = div(mul(num, z_squared)?, ONE_36)?;
        series_sum = add(series_sum, div(num, int(U256::from(d)))?)?;
    }
    mul(series_sum, int(U256::from(2)))
}

#[inline]
fn add(a: I256, b: I256) -> Result<I256, BalancerError> {
    a.checked_add(b).ok_or(BalancerError::AddOverflow)
}

#[inline]
fn sub(a: I256, b: I256) -> Result<I256, BalancerError> {
    a.checked_sub(b).ok_or(BalancerError::SubOverflow)
}

#[inline]
fn mul(a: I256, b: I256) -> Result<I256, BalancerError> {
    // Native arithmetic when it is exact: the same value as in 256 bits.
    if let (Some(x), Some(y)) = (narrow(a), narrow(b))
        && let Some(p) = x.checked_mul(y)
    {
        return Ok(widen(p));
    }
    a.checked_mul(b).ok_or(BalancerError::MulOverflow)
}

/// `x` as an `i128` when it fits.
#[inline]
const fn narrow(x: I256) -> Option<i128> {
    let l = x.into_raw();
    let l = l.as_limbs();
    let low = ((l[1] as u128) << 64 | l[0] as u128) as i128;
    let ext = if low < 0 { u64::MAX } else { 0 };
    if l[2] == ext && l[3] == ext { Some(low) } else { None }
}

/// An `i128` as an `int256`.
#[inline]
const fn widen(x: i128) -> I256 {
    let ext = if x < 0 { u64::MAX } else { 0 };
    I256::from_raw(U256::from_limbs([x as u64, (x >> 64) as u64, ext, ext]))
}

/// Division truncating toward zero, as the EVM's `sdiv`.
#[inline]
fn div(a: I256, b: I256) -> Result<I256, BalancerError> {
    if let (Some(x), Some(y)) = (narrow(a), narrow(b))
        && let Some(q) = x.checked_div(y)
    {
        return Ok(widen(q));
    }
    a.checked_div(b).ok_or(BalancerError::ZeroDivision)
}

/// Remainder with the dividend's sign, as the EVM's `smod`.
#[inline]
fn rem(a: I256, b: I256) -> Result<I256, BalancerError> {
    if let (Some(x), Some(y)) = (narrow(a), narrow(b))
        && let Some(r) = x.checked_rem(y)
    {
        return Ok(widen(r));
    }
    a.checked_rem(b).ok_or(BalancerError::ZeroDivision)
}

fn neg_checked(a: I256) -> Result<I256, BalancerError> {
    a.checked_neg().ok_or(BalancerError::SubOverflow)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wad(milli: i64) -> I256 {
        I256::try_from(milli).unwrap() * I256::try_from(1_000_000_000_000_000i64).unwrap()
    }

    fn close(a: I256, b: I256, tolerance: u64) -> bool {
        (a - b).unsigned_abs() <= U256::from(tolerance)
    }

    #[test]
    fn exp_and_ln_of_known_values() {
        let e = I256::try_from(2_718_281_828_459_045_235i64).unwrap();
        assert!(close(exp(ONE_18).unwrap(), e, 10), "{}", exp(ONE_18).unwrap());
        assert_eq!(exp(I256::ZERO).unwrap(), ONE_18);
        assert!(close(ln(e).unwrap(), ONE_18, 10));
        assert_eq!(ln(ONE_18).unwrap(), I256::ZERO);
        // ln(0.5) = -0.693147180559945309…
        let ln_half = I256::try_from(-693_147_180_559_945_309i64).unwrap();
        assert!(close(ln(wad(500)).unwrap(), ln_half, 10));
        // exp(-1) = 0.367879441171442321…
        let inv_e = I256::try_from(367_879_441_171_442_321i64).unwrap();
        assert!(close(exp(wad(-1000)).unwrap(), inv_e, 10));
        // Near 1 the 36-decimal path is used: ln(1.05) = 0.048790164169432003…
        assert!(close(
            ln(wad(1050)).unwrap(),
            I256::try_from(48_790_164_169_432_003i64).unwrap(),
            2
        ));
    }

    #[test]
    fn the_narrow_paths_are_the_256_bit_ones() {
        let big = I256::from_raw(U256::from(1) << 200);
        let values = [
            I256::ZERO,
            I256::ONE,
            I256::MINUS_ONE,
            ONE_18,
            ONE_36,
            neg(ONE_36.into_raw()),
            widen(i128::MAX),
            widen(i128::MIN),
            widen(i128::MIN + 1),
            widen(-7),
            widen(3_000_000_000_000_000_000_000_000_007),
            big,
            -big,
        ];
        for &a in &values {
            assert_eq!(narrow(a).map(widen), i128::try_from(a).ok().map(widen));
            for &b in &values {
                assert_eq!(mul(a, b).ok(), a.checked_mul(b), "{a} * {b}");
                assert_eq!(div(a, b).ok(), a.checked_div(b), "{a} / {b}");
                assert_eq!(rem(a, b).ok(), a.checked_rem(b), "{a} % {b}");
            }
        }
    }

    #[test]
    fn pow_of_known_values() {
        let p = pow(U256::from(2) * ONE_18.into_raw(), U256::from(500_000_000_000_000_000u64));
        let sqrt2 = I256::try_from(1_414_213_562_373_095_048i64).unwrap();
        assert!(close(int(p.unwrap()), sqrt2, 100));
        assert_eq!(pow(U256::from(5), U256::ZERO).unwrap(), ONE_18.into_raw());
        assert_eq!(pow(U256::ZERO, U256::from(5)).unwrap(), U256::ZERO);
    }

    #[test]
    fn domain_errors() {
        assert!(matches!(
            exp(MAX_NATURAL_EXPONENT + I256::ONE),
            Err(BalancerError::ExpArgumentOutOfBounds { .. })
        ));
        assert!(exp(MAX_NATURAL_EXPONENT).is_ok());
        assert!(exp(MIN_NATURAL_EXPONENT).is_ok());
        assert!(matches!(ln(I256::ZERO), Err(BalancerError::LnArgumentOutOfBounds { .. })));
        assert!(matches!(
            pow(U256::MAX, ONE_18.into_raw()),
            Err(BalancerError::PowBaseOutOfBounds { .. })
        ));
        assert!(matches!(
            pow(ONE_18.into_raw(), MILD_EXPONENT_BOUND),
            Err(BalancerError::PowExponentOutOfBounds { .. })
        ));
        // 1e30^200 is far beyond e^130.
        assert!(matches!(
            pow(U256::from(10).pow(U256::from(30)), U256::from(200) * ONE_18.into_raw()),
            Err(BalancerError::PowProductOutOfBounds { .. })
        ));
        // The largest base and exponent pow accepts never panic.
        let _ = pow(U256::MAX >> 1, MILD_EXPONENT_BOUND - U256::from(1));
        let _ = pow(U256::from(1), MILD_EXPONENT_BOUND - U256::from(1));
    }

    #[test]
    fn mild_exponent_bound_is_2_pow_254_over_1e20() {
        assert_eq!(MILD_EXPONENT_BOUND, (U256::from(1) << 254) / ONE_20.into_raw());
        assert_eq!(MIN_NATURAL_EXPONENT, wad(-41_000));
    }
}
