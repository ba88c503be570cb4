//! A protocol-neutral view of a position's health for the rest of the workspace.

use alloy_primitives::{U256, U512};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::aave::{AaveAccountData, AavePosition, AaveVersion};
use crate::compound::{CompoundAccount, CompoundAccountLiquidity};
use crate::error::Result;
use crate::math::WAD;

/// A health factor, WAD (`1e18` = 1.0). Below `1e18` the position can be liquidated;
/// `U256::MAX` means "no debt".
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct HealthFactor(U256);

impl HealthFactor {
    /// No debt: `U256::MAX`.
    pub const INFINITE: Self = Self(U256::MAX);
    /// Exactly 1.0, the liquidation threshold.
    pub const ONE: Self = Self(WAD);

    /// Wraps a WAD value.
    pub const fn from_wad(wad: U256) -> Self {
        Self(wad)
    }

    /// The WAD value.
    pub const fn wad(self) -> U256 {
        self.0
    }

    /// Whether the position can be liquidated: strictly below 1.0.
    pub fn is_liquidatable(self) -> bool {
        self.0 < WAD
    }

    /// Whether this is the no-debt value.
    pub fn is_infinite(self) -> bool {
        self.0 == U256::MAX
    }

    /// The value as a `Decimal`, for display and logs only (never for decisions): exact up to
    /// about 7.9e10, digits beyond `Decimal`'s 96-bit mantissa truncated, and
    /// `Decimal::MAX` for the no-debt value.
    pub fn to_decimal(self) -> Decimal {
        wad_to_decimal(self.0)
    }
}

impl core::fmt::Display for HealthFactor {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        if self.is_infinite() { f.write_str("∞") } else { self.to_decimal().normalize().fmt(f) }
    }
}

/// Which lending math a [`PositionHealth`] was computed with (the event family of an emitter is
/// `mev_event_decoder::Protocol`; this is the health model).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum HealthModel {
    /// Aave V3 (or a fork) at the given release.
    AaveV3(AaveVersion),
    /// Compound v2 or a fork (Moonwell).
    CompoundV2,
}

/// The health of one position, whatever the protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PositionHealth {
    /// Where the numbers come from.
    pub model: HealthModel,
    /// The health factor. Aave: the pool's own value. Compound: `sumCollateral / sumBorrow`
    /// (collateral already weighted by collateral factors), floored, WAD.
    pub health_factor: HealthFactor,
    /// Aave: total collateral, base currency units (not weighted). Compound: `sumCollateral`,
    /// weighted by collateral factors, USD × 1e18.
    pub collateral_value: U256,
    /// Aave: total debt, base currency units. Compound: `sumBorrow`, USD × 1e18.
    pub debt_value: U256,
    /// The protocol's own verdict: Aave HF < 1e18; Compound shortfall > 0. Both agree with
    /// `health_factor.is_liquidatable()`.
    pub liquidatable: bool,
}

impl PositionHealth {
    /// From Aave account data.
    pub fn from_aave(version: AaveVersion, data: &AaveAccountData) -> Self {
        Self {
            model: HealthModel::AaveV3(version),
            health_factor: HealthFactor(data.health_factor),
            collateral_value: data.total_collateral_base,
            debt_value: data.total_debt_base,
            liquidatable: data.is_liquidatable(),
        }
    }

    /// From Compound account liquidity.
    pub fn from_compound(liquidity: &CompoundAccountLiquidity) -> Self {
        let health_factor = if liquidity.sum_borrow.is_zero() {
            HealthFactor::INFINITE
        } else {
            let q = U512::from(liquidity.sum_collateral) * U512::from(WAD)
                / U512::from(liquidity.sum_borrow);
            HealthFactor(U256::saturating_from(q))
        };
        Self {
            model: HealthModel::CompoundV2,
            health_factor,
            collateral_value: liquidity.sum_collateral,
            debt_value: liquidity.sum_borrow,
            liquidatable: liquidity.is_liquidatable(),
        }
    }

    /// The health factor as a `Decimal`, for display.
    pub fn health_factor_decimal(&self) -> Decimal {
        self.health_factor.to_decimal()
    }
}

impl AavePosition<'_> {
    /// The protocol-neutral health of this position.
    pub fn health(&self) -> Result<PositionHealth> {
        Ok(PositionHealth::from_aave(self.version, &self.account_data()?))
    }
}

impl CompoundAccount<'_> {
    /// The protocol-neutral health of this account.
    pub fn health(&self) -> Result<PositionHealth> {
        Ok(PositionHealth::from_compound(&self.liquidity()?))
    }
}

/// A WAD value (18 decimals) as a `Decimal`, for display: truncated to fit `Decimal`'s 96-bit
/// mantissa, `Decimal::MAX` when even the integer part does not fit.
pub fn wad_to_decimal(wad: U256) -> Decimal {
    const MAX_MANTISSA: u128 = (1u128 << 96) - 1;
    let mut mantissa = wad;
    let mut scale = 18u32;
    while mantissa > U256::from(MAX_MANTISSA) && scale > 0 {
        mantissa /= U256::from(10u8);
        scale -= 1;
    }
    if mantissa > U256::from(MAX_MANTISSA) {
        return Decimal::MAX;
    }
    let mantissa = mantissa.saturating_to::<i128>();
    Decimal::try_from_i128_with_scale(mantissa, scale).unwrap_or(Decimal::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::str::FromStr;

    #[test]
    fn decimal_display() {
        let hf = HealthFactor::from_wad(U256::from(1_058_266_666_660_000_000u64));
        assert_eq!(hf.to_decimal(), Decimal::from_str("1.05826666666").unwrap());
        assert_eq!(hf.to_string(), "1.05826666666");
        assert_eq!(HealthFactor::INFINITE.to_string(), "∞");
        assert_eq!(HealthFactor::INFINITE.to_decimal(), Decimal::MAX);
        assert_eq!(HealthFactor::ONE.to_decimal(), Decimal::ONE);
        assert!(!HealthFactor::ONE.is_liquidatable());
        assert!(HealthFactor::from_wad(WAD - U256::from(1u8)).is_liquidatable());
        // Large but finite: integer part kept.
        let big = HealthFactor::from_wad(U256::from(10u8).pow(U256::from(40)));
        assert_eq!(big.to_decimal(), Decimal::from_str("10000000000000000000000").unwrap());
    }

    #[test]
    fn compound_health_factor() {
        let l = CompoundAccountLiquidity {
            sum_collateral: U256::from(3u8),
            sum_borrow: U256::from(4u8),
            liquidity: U256::ZERO,
            shortfall: U256::from(1u8),
        };
        let h = PositionHealth::from_compound(&l);
        assert_eq!(h.health_factor.wad(), U256::from(750_000_000_000_000_000u64));
        assert!(h.liquidatable && h.health_factor.is_liquidatable());
        let none = CompoundAccountLiquidity { sum_borrow: U256::ZERO, ..l };
        assert!(PositionHealth::from_compound(&none).health_factor.is_infinite());
        let huge = CompoundAccountLiquidity {
            sum_collateral: U256::MAX,
            sum_borrow: U256::from(1u8),
            ..l
        };
        assert!(PositionHealth::from_compound(&huge).health_factor.is_infinite());
    }
}
