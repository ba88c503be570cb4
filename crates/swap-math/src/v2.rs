//! Uniswap V2 and its forks: `UniswapV2Library.getAmountOut` / `getAmountIn`.

use alloy_primitives::U256;

use crate::{Result, SwapError};

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
    let amount_in_with_fee =
        amount_in.checked_mul(U256::from(fee.numerator)).ok_or_else(overflow)?;
    let numerator = amount_in_with_fee.checked_mul(reserve_out).ok_or_else(overflow)?;
    let denominator = reserve_in
        .checked_mul(U256::from(fee.denominator))
        .and_then(|r| r.checked_add(amount_in_with_fee))
        .ok_or_else(overflow)?;
    // Nonzero: reserve_in and the fee denominator are.
    numerator
        .checked_div(denominator)
        .ok_or(SwapError::DivisionByZero { operation: "getAmountOut" })
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
    let numerator = reserve_in
        .checked_mul(amount_out)
        .and_then(|n| n.checked_mul(U256::from(fee.denominator)))
        .ok_or_else(overflow)?;
    let denominator =
        (reserve_out - amount_out).checked_mul(U256::from(fee.numerator)).ok_or_else(overflow)?;
    numerator
        .checked_div(denominator)
        .ok_or(SwapError::DivisionByZero { operation: "getAmountIn" })?
        .checked_add(U256::from(1))
        .ok_or_else(overflow)
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
