//! Aave efficiency mode (eMode): which reserves get the category's parameters, and at which
//! price.

use alloy_primitives::U256;
use serde::{Deserialize, Serialize};

use super::{AaveUserReserve, AaveVersion};
use crate::error::{HealthError, Result};

/// The eMode category the user is in (`Pool.getUserEMode(user)`), with its parameters.
///
/// * v3.0/3.1: `Pool.getEModeCategoryData(id)` gives `ltv, liquidationThreshold,
///   liquidationBonus, priceSource`; set [`price`](Self::price) to
///   `AaveOracle.getAssetPrice(priceSource)` when `priceSource != address(0)`, else zero. An
///   asset is in the category when its [`emode_category`](super::AaveReserveConfig) equals `id`.
/// * v3.2+: `getEModeCategoryCollateralConfig(id)` gives `ltv, liquidationThreshold,
///   liquidationBonus`; `getEModeCategoryCollateralBitmap(id)` gives
///   [`collateral_bitmap`](Self::collateral_bitmap). A reserve gets the category's LT/LTV/bonus
///   when bit `reserve_id` is set. There is no price source.
/// * v3.6+: also `getEModeCategoryLtvzeroBitmap(id)` gives
///   [`ltvzero_bitmap`](Self::ltvzero_bitmap): a collateral of the category whose bit is set has
///   LTV zero inside the category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct EModeCategory {
    /// The category id; `0` means "no eMode" and disables everything below.
    pub id: u8,
    /// Category loan to value, bps.
    pub ltv: u16,
    /// Category liquidation threshold, bps.
    pub liquidation_threshold: u16,
    /// Category liquidation bonus, bps including the principal.
    pub liquidation_bonus: u16,
    /// v3.0/3.1: price of the category's price source, base currency units; zero when the
    /// category has no price source. Ignored from v3.2.
    pub price: U256,
    /// v3.2+: the category's collateral bitmap (bit `i` = reserve id `i`). Ignored before v3.2.
    pub collateral_bitmap: u128,
    /// v3.6+: the category's LTV-zero bitmap (bit `i` = reserve id `i`). Ignored before v3.6.
    #[serde(default)]
    pub ltvzero_bitmap: u128,
}

impl EModeCategory {
    /// Whether the category's LT, LTV and liquidation bonus apply to `reserve`
    /// (`EModeLogic.isInEModeCategory` on v3.0/3.1, `isReserveEnabledOnBitmap` on v3.2+).
    #[inline]
    pub(crate) fn applies_to(
        &self,
        version: AaveVersion,
        reserve: &AaveUserReserve,
    ) -> Result<bool> {
        if self.id == 0 {
            return Ok(false);
        }
        if version.emode_by_asset_category() {
            return Ok(reserve.config.emode_category == self.id);
        }
        if reserve.reserve_id >= 128 {
            return Err(HealthError::ReserveIdOutOfRange {
                asset: reserve.asset,
                reserve_id: reserve.reserve_id,
            });
        }
        Ok((self.collateral_bitmap >> reserve.reserve_id) & 1 == 1)
    }

    /// The LTV (bps) the pool gives `reserve` as collateral of this user, and whether the
    /// reserve counts as an LTV-zero collateral (`ValidationLogic.getUserReserveLtv` on 3.6;
    /// before 3.6 a reserve whose own LTV is zero is LTV-zero in every category).
    #[inline]
    pub(crate) fn ltv_for(
        &self,
        version: AaveVersion,
        reserve: &AaveUserReserve,
        in_category: bool,
    ) -> u16 {
        if !in_category {
            return reserve.config.ltv;
        }
        if version.emode_ltv_decoupled() {
            // `in_category` on 3.6 means the reserve id is below 128 (checked by applies_to).
            if (self.ltvzero_bitmap >> reserve.reserve_id) & 1 == 1 { 0 } else { self.ltv }
        } else if reserve.config.ltv == 0 {
            0
        } else {
            self.ltv
        }
    }

    /// The price the health factor uses for `reserve`: the category price on v3.0/3.1 when the
    /// category has a price source and the asset is in the category, else the asset's own price.
    #[inline]
    pub(crate) fn price_for(&self, version: AaveVersion, reserve: &AaveUserReserve) -> U256 {
        if version.emode_by_asset_category()
            && self.id != 0
            && !self.price.is_zero()
            && reserve.config.emode_category == self.id
        {
            self.price
        } else {
            reserve.price
        }
    }

    /// The price a liquidation uses for the *debt* asset on v3.0/3.1: the category price
    /// whenever the user is in a category with a price source ("debt is always in the
    /// category"), else the asset's own price.
    pub(crate) fn debt_price_for_liquidation(
        &self,
        version: AaveVersion,
        reserve: &AaveUserReserve,
    ) -> U256 {
        if version.emode_by_asset_category() && self.id != 0 && !self.price.is_zero() {
            self.price
        } else {
            reserve.price
        }
    }
}

/// The eMode of a position, where `None` and `Some(category with id 0)` both mean "no eMode".
pub(crate) fn category(emode: Option<&EModeCategory>) -> EModeCategory {
    emode.copied().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AaveReserveConfig;

    fn reserve(id: u16, category: u8) -> AaveUserReserve {
        AaveUserReserve {
            reserve_id: id,
            price: U256::from(100u8),
            config: AaveReserveConfig { emode_category: category, ..Default::default() },
            ..Default::default()
        }
    }

    #[test]
    fn asset_category_v3_0() {
        let cat = EModeCategory {
            id: 1,
            price: U256::from(7u8),
            collateral_bitmap: 0,
            ..Default::default()
        };
        assert!(cat.applies_to(AaveVersion::V3_0, &reserve(5, 1)).unwrap());
        assert!(!cat.applies_to(AaveVersion::V3_1, &reserve(5, 2)).unwrap());
        assert_eq!(cat.price_for(AaveVersion::V3_0, &reserve(0, 1)), U256::from(7u8));
        assert_eq!(cat.price_for(AaveVersion::V3_0, &reserve(0, 2)), U256::from(100u8));
        assert_eq!(
            cat.debt_price_for_liquidation(AaveVersion::V3_0, &reserve(0, 2)),
            U256::from(7u8)
        );
        // No price source: own price.
        let no_source = EModeCategory { price: U256::ZERO, ..cat };
        assert_eq!(no_source.price_for(AaveVersion::V3_0, &reserve(0, 1)), U256::from(100u8));
    }

    #[test]
    fn bitmap_v3_2() {
        let cat = EModeCategory {
            id: 3,
            collateral_bitmap: 0b100,
            price: U256::from(7u8),
            ..Default::default()
        };
        assert!(cat.applies_to(AaveVersion::V3_2, &reserve(2, 0)).unwrap());
        assert!(!cat.applies_to(AaveVersion::V3_5, &reserve(1, 3)).unwrap());
        // Price sources are gone from v3.2.
        assert_eq!(cat.price_for(AaveVersion::V3_2, &reserve(2, 3)), U256::from(100u8));
        assert!(matches!(
            cat.applies_to(AaveVersion::V3_3, &reserve(128, 0)),
            Err(HealthError::ReserveIdOutOfRange { reserve_id: 128, .. })
        ));
        // Category 0 never applies.
        let none = EModeCategory { id: 0, collateral_bitmap: u128::MAX, ..Default::default() };
        assert!(!none.applies_to(AaveVersion::V3_2, &reserve(2, 0)).unwrap());
    }

    #[test]
    fn ltv_in_category() {
        let cat = EModeCategory {
            id: 1,
            ltv: 9_000,
            collateral_bitmap: 0b110,
            ltvzero_bitmap: 0b100,
            ..Default::default()
        };
        let mut own_zero = reserve(1, 0);
        own_zero.config.ltv = 0;
        let mut flagged = reserve(2, 0);
        flagged.config.ltv = 7_000;
        // 3.5: the reserve's own zero LTV wins inside the category; the bitmap is ignored.
        assert_eq!(cat.ltv_for(AaveVersion::V3_5, &own_zero, true), 0);
        assert_eq!(cat.ltv_for(AaveVersion::V3_5, &flagged, true), 9_000);
        // 3.6: the category decides: its LTV, or zero where the ltvzero bit is set.
        assert_eq!(cat.ltv_for(AaveVersion::V3_6, &own_zero, true), 9_000);
        assert_eq!(cat.ltv_for(AaveVersion::V3_6, &flagged, true), 0);
        // Outside the category the reserve's own LTV, on every release.
        assert_eq!(cat.ltv_for(AaveVersion::V3_6, &flagged, false), 7_000);
    }
}
