//! Uniswap V2 and its forks: `UniswapV2Library.getAmountOut` / `getAmountIn`.

use alloy_primitives::U256;

use crate::{
    Result, SwapError,
    v3::full_math::low_u128,
    wide::{checked_mul, div_rem},
};

/// The swap fee of a V2-style pair as the fraction of the input that counts after the fee:
/// `amountIn * numerator / denominator`.
///
/// Uniswap V2 and Sushiswap charge 0.3 % (`997/1000`), PancakeSwap V2 0.25 % (`9975/10000`).
/// Forks that hard-code another pair of constants in their library use those.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct V2Fee {
    /// Share of the input that counts after the fee (997 for Uniswap).
    pub numerator: u32,
    /// Its denominator (1000 for Uniswap).
    pub denominator: u32,
}

impl V2Fee {
    /// Uniswap V2: 0.3 %, `997/1000`.
    pub const UNISWAP: Self = Self { numerator: 997, denominator: 1000 };
    /// Sushiswap: the same 0.3 % as Uniswap V2.
    pub const SUSHISWAP: Self = Self::UNISWAP;
    /// PancakeSwap V2: 0.25 %, `9975/10000`.
    pub const PANCAKESWAP: Self = Self { numerator: 9975, denominator: 10_000 };

    /// A fee of `numerator/denominator`.
    ///
    /// # Errors
    /// [`SwapError::InvalidV2Fee`] for a zero denominator or a numerator above it.
    pub const fn new(numerator: u32, denominator: u32) -> Result<Self> {
        if denominator == 0 || numerator > denominator {
            return Err(SwapError::InvalidV2Fee { numerator, denominator });
        }
        Ok(Self { numerator, denominator })
    }

    const fn check(self) -> Result<Self> {
        Self::new(self.numerator, self.denominator)
    }
}

impl Default for V2Fee {
    /// [`V2Fee::UNISWAP`].
    fn default() -> Self {
        Self::UNISWAP
    }
}

/// The output of swapping exactly `amount_in` against reserves `reserve_in`/`reserve_out`
/// (smallest units of each token), as `UniswapV2Library.getAmountOut` computes it with
/// `fee`: `amountIn·n·reserveOut / (reserveIn·d + amountIn·n)`, rounded down.
///
/// This is the largest output the pair's `K` check accepts for that input.
///
/// # Errors
/// [`SwapError::ZeroAmount`] (`INSUFFICIENT_INPUT_AMOUNT`), [`SwapError::ZeroReserves`]
/// (`INSUFFICIENT_LIQUIDITY`), [`SwapError::Overflow`] (`SafeMath`), [`SwapError::InvalidV2Fee`].
pub fn get_amount_out(
    amount_in: U256,
    reserve_in: U256,
    reserve_out: U256,
    fee: V2Fee,
) -> Result<U256> {
    let fee = fee.check()?;
    if amount_in.is_zero() {
        return Err(SwapError::ZeroAmount { what: "amount_in" });
    }
    if reserve_in.is_zero() || reserve_out.is_zero() {
        return Err(SwapError::ZeroReserves { reserve_in, reserve_out });
    }
    let overflow = || SwapError::overflow("getAmountOut");
    if let (Some(a), Some(r_in), Some(r_out)) =
        (low_u128(amount_in), low_u128(reserve_in), low_u128(reserve_out))
    {
        // Every pair's reserves are uint112: the same formula on fixed-size limbs.
        return amount_out_128(a, r_in, r_out, fee).ok_or_else(overflow);
    }
    let amount_in_with_fee =
        checked_mul(amount_in, U256::from(fee.numerator)).ok_or_else(overflow)?;
    let numerator = checked_mul(amount_in_with_fee, reserve_out).ok_or_else(overflow)?;
    let denominator = checked_mul(reserve_in, U256::from(fee.denominator))
        .and_then(|r| r.checked_add(amount_in_with_fee))
        .ok_or_else(overflow)?;
    // Nonzero: reserve_in and the fee denominator are.
    if denominator.is_zero() {
        return Err(SwapError::DivisionByZero { operation: "getAmountOut" });
    }
    Ok(div_rem(numerator, denominator).0)
}

/// [`get_amount_out`]'s formula for operands below 2^128 (nonzero reserves and input, a
/// checked fee); `None` where it overflows 256 bits (the library's `SafeMath` reverts).
#[inline]
fn amount_out_128(
    amount_in: u128,
    reserve_in: u128,
    reserve_out: u128,
    fee: V2Fee,
) -> Option<U256> {
    // amountIn · n < 2^160 and reserveIn · d + amountIn · n < 2^161: three limbs each.
    let with_fee = mul_128_by_32(amount_in, fee.numerator);
    let scaled_reserve = mul_128_by_32(reserve_in, fee.denominator);
    let mut denominator = [0u64; 4];
    let mut carry = false;
    for i in 0..3 {
        let (sum, c1) = scaled_reserve[i].overflowing_add(with_fee[i]);
        let (sum, c2) = sum.overflowing_add(u64::from(carry));
        denominator[i] = sum;
        carry = c1 | c2;
    }
    denominator[3] = u64::from(carry);
    // numerator = amountIn · n · reserveOut: 3 × 2 limbs, must fit 4.
    let numerator = mul_3x2(&with_fee, reserve_out);
    if numerator[4] != 0 {
        return None;
    }
    let numerator = U256::from_limbs([numerator[0], numerator[1], numerator[2], numerator[3]]);
    Some(div_rem(numerator, U256::from_limbs(denominator)).0)
}

/// `x · y` as three limbs.
#[inline]
fn mul_128_by_32(x: u128, y: u32) -> [u64; 3] {
    let low = u128::from(x as u64) * u128::from(y);
    let high = (x >> 64) * u128::from(y) + (low >> 64);
    [low as u64, high as u64, (high >> 64) as u64]
}

/// `x · y` as five limbs.
#[inline]
fn mul_3x2(x: &[u64; 3], y: u128) -> [u64; 5] {
    let y = [y as u64, (y >> 64) as u64];
    let mut r = [0u64; 5];
    for (i, &a) in x.iter().enumerate() {
        let mut carry = 0u64;
        for (j, &b) in y.iter().enumerate() {
            let t = u128::from(a) * u128::from(b) + u128::from(r[i + j]) + u128::from(carry);
            r[i + j] = t as u64;
            carry = (t >> 64) as u64;
        }
        r[i + 2] = carry;
    }
    r
}

/// The input needed to receive exactly `amount_out` from reserves `reserve_in`/`reserve_out`
/// (smallest units), as `UniswapV2Library.getAmountIn` computes it with `fee`:
/// `reserveIn·amountOut·d / ((reserveOut − amountOut)·n) + 1`.
///
/// Like the library this rounds down and adds one, so when the division is exact the result
/// is one more than the least input the pair accepts.
///
/// # Errors
/// [`SwapError::ZeroAmount`] (`INSUFFICIENT_OUTPUT_AMOUNT`), [`SwapError::ZeroReserves`],
/// [`SwapError::InsufficientReserve`] when `amount_out >= reserve_out` (the library reverts),
/// [`SwapError::Overflow`], [`SwapError::InvalidV2Fee`].
pub fn get_amount_in(
    amount_out: U256,
    reserve_in: U256,
    reserve_out: U256,
    fee: V2Fee,
) -> Result<U256> {
    let fee = fee.check()?;
    if amount_out.is_zero() {
        return Err(SwapError::ZeroAmount { what: "amount_out" });
    }
    if reserve_in.is_zero() || reserve_out.is_zero() {
        return Err(SwapError::ZeroReserves { reserve_in, reserve_out });
    }
    if amount_out >= reserve_out {
        return Err(SwapError::InsufficientReserve { amount_out, reserve_out });
    }
    let overflow = || SwapError::overflow("getAmountIn");
    let numerator = checked_mul(reserve_in, amount_out)
        .and_then(|n| checked_mul(n, U256::from(fee.denominator)))
        .ok_or_else(overflow)?;
    let denominator =
        checked_mul(reserve_out - amount_out, U256::from(fee.numerator)).ok_or_else(overflow)?;
    if denominator.is_zero() {
        return Err(SwapError::DivisionByZero { operation: "getAmountIn" });
    }
    div_rem(numerator, denominator).0.checked_add(U256::from(1)).ok_or_else(overflow)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn e18(x: u64) -> U256 {
        U256::from(x) * U256::from(10u64).pow(U256::from(18))
    }

    #[test]
    fn uniswap_vectors() {
        // 1 in against 100/400: 1e18·997·400e18 / (100e18·1000 + 1e18·997) = 3.9486…e18.
        assert_eq!(
            get_amount_out(e18(1), e18(100), e18(400), V2Fee::UNISWAP),
            Ok(U256::from(3_948_632_137_588_245_195u64))
        );
        // The v2-periphery test: 2 in, 100/100 reserves → 1.
        assert_eq!(
            get_amount_out(U256::from(2), U256::from(100), U256::from(100), V2Fee::default()),
            Ok(U256::from(1))
        );
        // ... and 1 out of 100/100 needs 2 in.
        assert_eq!(
            get_amount_in(U256::from(1), U256::from(100), U256::from(100), V2Fee::default()),
            Ok(U256::from(2))
        );
        // 1000 out of 1e6/1e6: 1e6·1000·1000 / (999000·997) = 1004.01… → 1005.
        assert_eq!(
            get_amount_in(
                U256::from(1000),
                U256::from(1_000_000),
                U256::from(1_000_000),
                V2Fee::UNISWAP
            ),
            Ok(U256::from(1005))
        );
    }

    #[test]
    fn pancake_vector() {
        // 1e18 in against 100e18/400e18 at 9975/10000: 1e18·9975·400e18 / (100e18·10000 +
        // 1e18·9975) = 3.950495…e18.
        let out = get_amount_out(e18(1), e18(100), e18(400), V2Fee::PANCAKESWAP).unwrap();
        let n = e18(1) * U256::from(9975) * e18(400);
        let d = e18(100) * U256::from(10_000) + e18(1) * U256::from(9975);
        assert_eq!(out, n / d);
        assert!(out > get_amount_out(e18(1), e18(100), e18(400), V2Fee::UNISWAP).unwrap());
    }

    #[test]
    fn errors_where_the_library_reverts() {
        let r = U256::from(1000);
        assert_eq!(
            get_amount_out(U256::ZERO, r, r, V2Fee::UNISWAP),
            Err(SwapError::ZeroAmount { what: "amount_in" })
        );
        assert_eq!(
            get_amount_out(U256::from(1), U256::ZERO, r, V2Fee::UNISWAP),
            Err(SwapError::ZeroReserves { reserve_in: U256::ZERO, reserve_out: r })
        );
        assert_eq!(
            get_amount_in(r, r, r, V2Fee::UNISWAP),
            Err(SwapError::InsufficientReserve { amount_out: r, reserve_out: r })
        );
        assert_eq!(
            get_amount_out(U256::MAX, r, r, V2Fee::UNISWAP),
            Err(SwapError::overflow("getAmountOut"))
        );
        assert_eq!(
            get_amount_in(U256::from(1), U256::MAX, U256::MAX, V2Fee::UNISWAP),
            Err(SwapError::overflow("getAmountIn"))
        );
        assert_eq!(
            V2Fee::new(1001, 1000),
            Err(SwapError::InvalidV2Fee { numerator: 1001, denominator: 1000 })
        );
        assert!(
            get_amount_out(U256::from(1), r, r, V2Fee { numerator: 1, denominator: 0 }).is_err()
        );
    }

    /// The pair's `K` check with the Uniswap fee: does `(amount_in, amount_out)` keep
    /// `(rIn·1000 − in·3)·(rOut − out)·1000 ≥ rIn·rOut·1000²` (balances after the swap)?
    fn k_holds(amount_in: U256, amount_out: U256, reserve_in: U256, reserve_out: U256) -> bool {
        let balance_in = reserve_in + amount_in;
        let balance_out = reserve_out - amount_out;
        let adjusted_in = balance_in * U256::from(1000) - amount_in * U256::from(3);
        let adjusted_out = balance_out * U256::from(1000);
        adjusted_in * adjusted_out >= reserve_in * reserve_out * U256::from(1_000_000)
    }

    /// `getAmountOut` in plain 256-bit arithmetic, the library's formula.
    fn reference_amount_out(
        amount_in: U256,
        reserve_in: U256,
        reserve_out: U256,
        fee: V2Fee,
    ) -> Option<U256> {
        let with_fee = amount_in.checked_mul(U256::from(fee.numerator))?;
        let numerator = with_fee.checked_mul(reserve_out)?;
        let denominator =
            reserve_in.checked_mul(U256::from(fee.denominator))?.checked_add(with_fee)?;
        Some(numerator / denominator)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(10_000))]

        /// The 128-bit path and the general one give the library's 256-bit result, for
        /// operands of any size and any fee.
        #[test]
        fn amount_out_is_the_256_bit_formula(
            a: [u64; 4], r_in: [u64; 4], r_out: [u64; 4],
            bits in (1usize..=256, 1usize..=256, 1usize..=256),
            numerator: u32, extra: u32,
        ) {
            let size = |l: [u64; 4], b: usize| (U256::from_limbs(l) >> (256 - b)) | U256::from(1);
            let (a, r_in, r_out) = (size(a, bits.0), size(r_in, bits.1), size(r_out, bits.2));
            let Ok(fee) = V2Fee::new(numerator, numerator.saturating_add(extra)) else {
                return Ok(());
            };
            prop_assert_eq!(get_amount_out(a, r_in, r_out, fee).ok(), reference_amount_out(a, r_in, r_out, fee));
        }
    }

    proptest! {
        /// get_amount_out is the largest output K accepts, and get_amount_in at most one more
        /// than the least input K accepts.
        #[test]
        fn amounts_sit_on_the_k_boundary(
            reserve_in in 1_000u128..(1u128 << 112),
            reserve_out in 1_000u128..(1u128 << 112),
            amount in 1u128..(1u128 << 100),
        ) {
            let (r_in, r_out, amount) = (U256::from(reserve_in), U256::from(reserve_out), U256::from(amount));
            let out = get_amount_out(amount, r_in, r_out, V2Fee::UNISWAP).unwrap();
            prop_assert!(out < r_out);
            prop_assert!(k_holds(amount, out, r_in, r_out));
            if out + U256::from(1) < r_out {
                prop_assert!(!k_holds(amount, out + U256::from(1), r_in, r_out));
            }
            let want = amount % r_out;
            if !want.is_zero() {
                let need = get_amount_in(want, r_in, r_out, V2Fee::UNISWAP).unwrap();
                prop_assert!(k_holds(need, want, r_in, r_out));
                let two = U256::from(2);
                prop_assert!(need < two || !k_holds(need - two, want, r_in, r_out));
            }
        }
    }
}
