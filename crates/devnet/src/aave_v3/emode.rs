//! eMode on an [`AaveV3`] market: entering a category, and reading a v3.6 category back.

use alloy_primitives::Address;
use alloy_rpc_types_eth::TransactionReceipt;

use super::{AaveRelease, AaveV3};
use crate::{
    DevnetError, Result,
    bindings::{IPool, IPoolV3_6},
};

/// An eMode category as a v3.6 pool holds it ([`AaveV3::emode_category`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AaveEModeCategory {
    /// Category id (1–255).
    pub id: u8,
    /// Loan-to-value in basis points (0: the category does not exist).
    pub ltv: u16,
    /// Liquidation threshold in basis points.
    pub liquidation_threshold: u16,
    /// Liquidation bonus in basis points (10 100 = 1 % bonus).
    pub liquidation_bonus: u16,
    /// `getEModeCategoryLabel`.
    pub label: String,
    /// Collateral assets, bit `i` = the reserve with id `i` ([`AaveReserve::id`]).
    ///
    /// [`AaveReserve::id`]: crate::AaveReserve::id
    pub collateral_bitmap: u128,
    /// Assets a user in the category may borrow, same bits.
    pub borrowable_bitmap: u128,
    /// Collateral assets whose LTV is zero inside the category, same bits.
    pub ltvzero_bitmap: u128,
}

impl AaveEModeCategory {
    /// Whether the reserve with id `reserve_id` has its bit set in `bitmap` (one of this
    /// category's bitmaps).
    pub const fn has(bitmap: u128, reserve_id: u16) -> bool {
        reserve_id < 128 && (bitmap >> reserve_id) & 1 == 1
    }
}

impl AaveV3 {
    /// `setUserEMode(category_id)` sent by `user` (0 leaves eMode). On v3.6, every asset the
    /// user borrows must be borrowable in the category and every collateral must have a non-zero
    /// LTV there; the health factor must stay at or above 1.
    ///
    /// # Errors
    /// As [`Devnet::send`](crate::Devnet::send) (e.g. v3.6's
    /// `InvalidCollateralInEmode(reserve, categoryId)`).
    pub async fn set_user_emode(
        &self,
        user: Address,
        category_id: u8,
    ) -> Result<TransactionReceipt> {
        self.devnet
            .send(user, self.pool(), &IPool::setUserEModeCall { categoryId: category_id })
            .await
    }

    /// `getUserEMode(user)`: the user's eMode category id (0 = none).
    ///
    /// # Errors
    /// As [`Devnet::call`](crate::Devnet::call); [`DevnetError::InvalidInput`] if the pool
    /// answers an id above 255.
    pub async fn user_emode(&self, user: Address) -> Result<u8> {
        let id = self.devnet.call(self.pool(), &IPool::getUserEModeCall { user }).await?;
        u8::try_from(id).map_err(|_| DevnetError::InvalidInput {
            what: "AaveV3::user_emode",
            reason: format!("getUserEMode returned {id}, not a category id"),
        })
    }

    /// Reads eMode category `id` of a v3.6 market: `getEModeCategoryCollateralConfig`,
    /// `getEModeCategoryLabel` and the collateral, borrowable and LTV-zero bitmaps. A category
    /// that was never set reads as all zeros.
    ///
    /// # Errors
    /// [`DevnetError::InvalidInput`] on a v3.0 market (its eMode has no bitmaps); as
    /// [`Devnet::call`](crate::Devnet::call).
    pub async fn emode_category(&self, id: u8) -> Result<AaveEModeCategory> {
        if self.release != AaveRelease::V3_6 {
            return Err(DevnetError::InvalidInput {
                what: "AaveV3::emode_category",
                reason: format!(
                    "{:?} has one eMode category per asset, not the v3.2+ bitmaps this reads",
                    self.release
                ),
            });
        }
        let (d, pool) = (&self.devnet, self.pool());
        let config = d.call(pool, &IPoolV3_6::getEModeCategoryCollateralConfigCall { id }).await?;
        Ok(AaveEModeCategory {
            id,
            ltv: config.ltv,
            liquidation_threshold: config.liquidationThreshold,
            liquidation_bonus: config.liquidationBonus,
            label: d.call(pool, &IPoolV3_6::getEModeCategoryLabelCall { id }).await?,
            collateral_bitmap: d
                .call(pool, &IPoolV3_6::getEModeCategoryCollateralBitmapCall { id })
                .await?,
            borrowable_bitmap: d
                .call(pool, &IPoolV3_6::getEModeCategoryBorrowableBitmapCall { id })
                .await?,
            ltvzero_bitmap: d
                .call(pool, &IPoolV3_6::getEModeCategoryLtvzeroBitmapCall { id })
                .await?,
        })
    }
}
