//! [`BalancerError`]: why a Balancer V2 quote has no answer.

use alloy_primitives::{I256, U256};

/// Everything that makes a Balancer V2 swap quote fail.
///
/// Each condition the contracts revert on has its own variant, and [`BalancerError::code`] gives
/// the `BAL#` code the Vault, pool or math library reverts with for it, so a quote that fails
/// here is a `querySwap` that reverts on chain with that code. The remaining variants are inputs
/// this crate refuses before any contract would see them (an index out of range, a state whose
/// arrays differ in length, a swap with a composable pool's own BPT).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BalancerError {
    /// An addition left `uint256` (`FixedPoint.add`, `Math.add`: `BAL#000`).
    #[error("addition overflow (BAL#000)")]
    AddOverflow,
    /// A subtraction went below zero (`FixedPoint.sub`, `Math.sub`: `BAL#001`), e.g. an exact
    /// output at or above a stable pool's balance.
    #[error("subtraction underflow (BAL#001)")]
    SubOverflow,
    /// A multiplication left `uint256` (`FixedPoint.mulDown`/`mulUp`, `Math.mul`: `BAL#003`),
    /// e.g. an amount so large that multiplying it by the swap fee or scaling factor overflows.
    #[error("multiplication overflow (BAL#003)")]
    MulOverflow,
    /// A division by zero (`FixedPoint.divDown`/`divUp`, `Math.divDown`/`divUp`: `BAL#004`),
    /// e.g. a zero weight, scaling factor or balance.
    #[error("division by zero (BAL#004)")]
    ZeroDivision,
    /// A fixed-point division's numerator times 1e18 left `uint256` (`BAL#005`).
    #[error("fixed-point division numerator overflow (BAL#005)")]
    DivInternal,
    /// `LogExpMath.pow`'s base does not fit `int256` (`X_OUT_OF_BOUNDS`, `BAL#006`).
    #[error("pow base {base} does not fit int256 (BAL#006)")]
    PowBaseOutOfBounds {
        /// The base, 18-decimal fixed point.
        base: U256,
    },
    /// `LogExpMath.pow`'s exponent is not below `2^254 / 1e20` (`Y_OUT_OF_BOUNDS`, `BAL#007`).
    #[error("pow exponent {exponent} is not below 2^254 / 1e20 (BAL#007)")]
    PowExponentOutOfBounds {
        /// The exponent, 18-decimal fixed point.
        exponent: U256,
    },
    /// `ln(x)·y` in `LogExpMath.pow` is outside `[-41, 130]` (`PRODUCT_OUT_OF_BOUNDS`,
    /// `BAL#008`).
    #[error("ln(base)·exponent {product} is outside [-41e18, 130e18] (BAL#008)")]
    PowProductOutOfBounds {
        /// `ln(x)·y`, 18-decimal fixed point.
        product: I256,
    },
    /// `LogExpMath.exp`'s argument is outside `[-41, 130]` (`INVALID_EXPONENT`, `BAL#009`).
    #[error("exp argument {x} is outside [-41e18, 130e18] (BAL#009)")]
    ExpArgumentOutOfBounds {
        /// The argument, 18-decimal fixed point.
        x: I256,
    },
    /// `LogExpMath.ln` of zero or a negative number (`OUT_OF_BOUNDS`, `BAL#100`).
    #[error("ln argument {a} is not positive (BAL#100)")]
    LnArgumentOutOfBounds {
        /// The argument, 18-decimal fixed point.
        a: I256,
    },
    /// A weighted pool's exact input is above 30 % of the balance in (`MAX_IN_RATIO`,
    /// `BAL#304`). Both amounts are upscaled (18 decimals, rate applied) and after the fee.
    #[error("amount in {amount_in} is above 30 % of the balance in, {max} (upscaled; BAL#304)")]
    MaxInRatio {
        /// The upscaled input after the swap fee.
        amount_in: U256,
        /// `balanceIn · 0.3`, upscaled.
        max: U256,
    },
    /// A weighted pool's exact output is above 30 % of the balance out (`MAX_OUT_RATIO`,
    /// `BAL#305`). Both amounts are upscaled.
    #[error("amount out {amount_out} is above 30 % of the balance out, {max} (upscaled; BAL#305)")]
    MaxOutRatio {
        /// The upscaled output asked for.
        amount_out: U256,
        /// `balanceOut · 0.3`, upscaled.
        max: U256,
    },
    /// The stable invariant's Newton iteration did not converge in 255 steps
    /// (`STABLE_INVARIANT_DIDNT_CONVERGE`, `BAL#321`).
    #[error("stable invariant did not converge (BAL#321)")]
    InvariantDidNotConverge,
    /// The stable balance-given-invariant iteration did not converge in 255 steps
    /// (`STABLE_GET_BALANCE_DIDNT_CONVERGE`, `BAL#322`).
    #[error("stable token balance did not converge (BAL#322)")]
    BalanceDidNotConverge,
    /// Token in and token out are the same (`CANNOT_SWAP_SAME_TOKEN`, `BAL#509`).
    #[error("token in and token out are both index {index} (BAL#509)")]
    SameToken {
        /// The index given for both.
        index: usize,
    },
    /// The given amount is zero, which the Vault refuses (`UNKNOWN_AMOUNT_IN_FIRST_SWAP`,
    /// `BAL#510`).
    #[error("the given amount is zero (BAL#510)")]
    ZeroAmount,
    /// The swap would take a token's pool balance to `2^112` or more, which the Vault's packed
    /// balances cannot hold (`BALANCE_TOTAL_OVERFLOW`, `BAL#526`).
    #[error("balance of token {index} would become {new_balance}, not below 2^112 (BAL#526)")]
    BalanceTotalOverflow {
        /// The token whose balance grows.
        index: usize,
        /// Its balance after the swap, in its smallest unit.
        new_balance: U256,
    },
    /// The swap would pay out more than the pool holds of a token (the Vault's
    /// `decreaseCash` underflows: `BAL#001`).
    #[error(
        "amount out {amount_out} of token {index} is above its pool balance {balance} (BAL#001)"
    )]
    InsufficientBalance {
        /// The token paid out.
        index: usize,
        /// Its pool balance, in its smallest unit.
        balance: U256,
        /// The amount out, in its smallest unit.
        amount_out: U256,
    },
    /// A token index is not below the number of tokens in the state.
    #[error("token index {index} is out of range for a pool of {tokens} tokens")]
    TokenIndex {
        /// The index given.
        index: usize,
        /// The number of tokens in the state (BPT included for a composable pool).
        tokens: usize,
    },
    /// A swap into or out of a composable stable pool's own BPT: on chain that is a single-token
    /// join or exit (with protocol fees paid in BPT first), which this crate does not model.
    #[error("token index {index} is the pool's BPT: BPT swaps (joins and exits) are not modelled")]
    BptSwap {
        /// The BPT's index.
        index: usize,
    },
    /// The state's arrays do not line up (each must have one entry per token), or it has fewer
    /// than two tokens besides the BPT.
    #[error("pool state: {field} has {found} entries, expected {expected}")]
    StateLength {
        /// The field (`"scaling_factors"`, `"normalized_weights"`, `"balances"`).
        field: &'static str,
        /// The entries expected.
        expected: usize,
        /// The entries found.
        found: usize,
    },
}

impl BalancerError {
    /// The `BAL#` code the contracts revert with for this condition (`BAL#304` → `Some(304)`), or
    /// `None` for an input this crate refuses before a contract would see it.
    pub const fn code(&self) -> Option<u16> {
        Some(match self {
            Self::AddOverflow => 0,
            Self::SubOverflow | Self::InsufficientBalance { .. } => 1,
            Self::MulOverflow => 3,
            Self::ZeroDivision => 4,
            Self::DivInternal => 5,
            Self::PowBaseOutOfBounds { .. } => 6,
            Self::PowExponentOutOfBounds { .. } => 7,
            Self::PowProductOutOfBounds { .. } => 8,
            Self::ExpArgumentOutOfBounds { .. } => 9,
            Self::LnArgumentOutOfBounds { .. } => 100,
            Self::MaxInRatio { .. } => 304,
            Self::MaxOutRatio { .. } => 305,
            Self::InvariantDidNotConverge => 321,
            Self::BalanceDidNotConverge => 322,
            Self::SameToken { .. } => 509,
            Self::ZeroAmount => 510,
            Self::BalanceTotalOverflow { .. } => 526,
            Self::TokenIndex { .. } | Self::BptSwap { .. } | Self::StateLength { .. } => {
                return None;
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_the_revert_strings() {
        let e = BalancerError::MaxInRatio { amount_in: U256::from(4), max: U256::from(3) };
        assert_eq!(e.code(), Some(304));
        assert!(e.to_string().contains("BAL#304"), "{e}");
        assert_eq!(BalancerError::AddOverflow.code(), Some(0));
        assert_eq!(BalancerError::BptSwap { index: 1 }.code(), None);
    }

    #[test]
    fn error_stays_small() {
        assert!(core::mem::size_of::<BalancerError>() <= 80);
    }
}
