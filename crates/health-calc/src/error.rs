//! The crate's error type.

use alloy_primitives::{Address, U256};

/// A `Result` whose error defaults to [`HealthError`].
pub type Result<T, E = HealthError> = core::result::Result<T, E>;

/// Everything that can go wrong while evaluating a position.
///
/// Every variant says which input was wrong and why. Where the contract would revert (an
/// overflow in checked arithmetic, a division by zero, a liquidation that is not allowed), the
/// crate returns the matching variant instead; it never panics.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HealthError {
    /// A checked multiplication, addition or subtraction left the `uint256` range.
    ///
    /// `operation` names the contract operation (`"wadDiv"`, `"percentMul"`, `"collateral
    /// value"`…). The contract reverts in the same place, or, where it runs `unchecked`, would
    /// wrap; this crate refuses instead.
    #[error("arithmetic overflow in {operation}")]
    Overflow {
        /// The operation that overflowed.
        operation: &'static str,
    },

    /// A division by zero (the contract reverts).
    #[error("division by zero in {operation}")]
    DivisionByZero {
        /// The operation that divided by zero.
        operation: &'static str,
    },

    /// An asset that holds a balance that counts has an oracle price of zero.
    #[error("oracle price of {asset} is zero")]
    ZeroPrice {
        /// The asset (Aave underlying, or Compound cToken/mToken market).
        asset: Address,
    },

    /// An asset's decimals are too large for `10^decimals` to fit in a `uint256`.
    #[error("decimals {decimals} of {asset} are out of range (at most {max})")]
    DecimalsOutOfRange {
        /// The asset.
        asset: Address,
        /// The decimals given.
        decimals: u64,
        /// The largest accepted value.
        max: u8,
    },

    /// A configuration value read from chain does not fit its field.
    #[error("{field} of {asset} is {value}, above the maximum {max}")]
    ValueOutOfRange {
        /// The asset the value belongs to.
        asset: Address,
        /// The field (`"ltv"`, `"liquidationThreshold"`, `"eModeCategory"`…).
        field: &'static str,
        /// The value given.
        value: U256,
        /// The largest accepted value.
        max: u64,
    },

    /// Two lists that must be index-aligned have different lengths.
    #[error("mismatched lengths: {what} has {left} entries but {right} were given")]
    MismatchedLengths {
        /// What was being matched (`"reserves vs prices"`…).
        what: &'static str,
        /// Length of the first list.
        left: usize,
        /// Length of the second list.
        right: usize,
    },

    /// The evaluation time is before the time (or block) the reserve or market was last updated.
    #[error("evaluation point {now} of {asset} is before its last update {last_update}")]
    TimeBeforeLastUpdate {
        /// The asset or market.
        asset: Address,
        /// The evaluation timestamp (seconds) or block number.
        now: u64,
        /// The last update timestamp (seconds) or block number.
        last_update: u64,
    },

    /// A reserve id does not fit the 128-bit eMode collateral bitmap (v3.2+).
    #[error("reserve id {reserve_id} of {asset} does not fit the 128-bit eMode bitmap")]
    ReserveIdOutOfRange {
        /// The asset.
        asset: Address,
        /// The reserve id given.
        reserve_id: u16,
    },

    /// The asset named for a liquidation is not part of the position.
    #[error("asset {asset} is not part of the position")]
    AssetNotFound {
        /// The asset.
        asset: Address,
    },

    /// An Aave position's health factor is at or above 1 (WAD), so `liquidationCall` reverts.
    #[error("health factor {health_factor} (WAD) is not below 1e18; not liquidatable")]
    NotLiquidatable {
        /// The health factor, WAD.
        health_factor: U256,
    },

    /// A Compound v2 account has no shortfall, so `liquidateBorrow` fails with
    /// `INSUFFICIENT_SHORTFALL`.
    #[error("account has no shortfall (liquidity {liquidity}); not liquidatable")]
    NoShortfall {
        /// The account liquidity, USD × 1e18.
        liquidity: U256,
    },

    /// The chosen collateral cannot be seized: its liquidation threshold is zero or the user
    /// does not use it as collateral.
    #[error("{asset} is not enabled as collateral with a nonzero liquidation threshold")]
    CollateralNotEligible {
        /// The collateral asset.
        asset: Address,
    },

    /// The user has no debt in the chosen debt asset, or the amount to repay is zero.
    #[error("no debt to cover in {asset}")]
    NoDebtToCover {
        /// The debt asset or market.
        asset: Address,
    },

    /// Aave v3.3+: the liquidation would leave less than `MIN_LEFTOVER_BASE` of debt or
    /// collateral while clearing neither, so it reverts with `MustNotLeaveDust`.
    #[error(
        "liquidation leaves dust: debt left {debt_left_base}, collateral left \
         {collateral_left_base}, minimum 1000e8 each (base currency units)"
    )]
    LeavesDust {
        /// Debt left in the debt reserve, base currency units.
        debt_left_base: U256,
        /// Collateral left in the collateral reserve, base currency units.
        collateral_left_base: U256,
    },

    /// The primary and secondary price sources disagree by more than allowed.
    #[error(
        "price of {asset} rejected: primary {primary} and secondary {secondary} diverge by more \
         than {max_bps} bps"
    )]
    PriceDiverged {
        /// The asset.
        asset: Address,
        /// The primary price.
        primary: U256,
        /// The secondary price.
        secondary: U256,
        /// The configured maximum, bps (see [`price_divergence_bps`](crate::price_divergence_bps)
        /// for the measured value).
        max_bps: u32,
    },

    /// The price moved more than allowed since the previous block.
    #[error(
        "price of {asset} rejected: moved from {previous} to {current}, more than {max_bps} bps \
         in one block"
    )]
    PriceMoved {
        /// The asset.
        asset: Address,
        /// The previous block's accepted price.
        previous: U256,
        /// The new price.
        current: U256,
        /// The configured maximum, bps (see [`price_move_bps`](crate::price_move_bps) for the
        /// measured value).
        max_bps: u32,
    },

    /// A configuration value is unusable.
    #[error("invalid configuration: {field} {reason}")]
    InvalidConfig {
        /// The field.
        field: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
}

impl HealthError {
    /// Shorthand for [`HealthError::Overflow`].
    pub(crate) const fn overflow(operation: &'static str) -> Self {
        Self::Overflow { operation }
    }

    /// Names `asset` in a [`HealthError::TimeBeforeLastUpdate`] raised by asset-agnostic math.
    pub(crate) fn for_asset(self, asset: Address) -> Self {
        match self {
            Self::TimeBeforeLastUpdate { asset: a, now, last_update } if a.is_zero() => {
                Self::TimeBeforeLastUpdate { asset, now, last_update }
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_stays_small() {
        // Every `Result` on the hot path carries this type; keep it under clippy's 128-byte
        // `result_large_err` limit.
        assert!(
            core::mem::size_of::<HealthError>() <= 96,
            "{}",
            core::mem::size_of::<HealthError>()
        );
    }

    #[test]
    fn messages_name_the_input() {
        let asset = Address::repeat_byte(0x11);
        let msg = HealthError::ZeroPrice { asset }.to_string();
        assert!(msg.contains("0x1111111111111111111111111111111111111111"), "{msg}");
        let msg = HealthError::DecimalsOutOfRange { asset, decimals: 80, max: 77 }.to_string();
        assert!(msg.contains("80") && msg.contains("77"), "{msg}");
        assert_eq!(
            HealthError::MismatchedLengths { what: "reserves vs prices", left: 3, right: 2 }
                .to_string(),
            "mismatched lengths: reserves vs prices has 3 entries but 2 were given"
        );
    }
}
