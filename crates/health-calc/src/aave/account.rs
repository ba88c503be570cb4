//! `GenericLogic.calculateUserAccountData`: total collateral and debt in base currency, average
//! LTV and liquidation threshold, health factor.

use alloy_primitives::U256;
use serde::{Deserialize, Serialize};

use super::emode::category;
use super::{AaveUserReserve, AaveVersion, EModeCategory, HEALTH_FACTOR_LIQUIDATION_THRESHOLD};
use crate::error::{HealthError, Result};
use crate::math::{self, PERCENTAGE_FACTOR};

/// An Aave user position at one block: everything `calculateUserAccountData` reads.
///
/// Borrowing the reserves keeps evaluation allocation-free: a cache can keep its own
/// `Vec<AaveUserReserve>` per user and evaluate it every block.
#[derive(Debug, Clone, Copy)]
pub struct AavePosition<'a> {
    /// The pool's release; selects eMode, interest and rounding rules.
    pub version: AaveVersion,
    /// The evaluation block's timestamp, seconds. Used to normalize
    /// [`Scaled`](super::AaveBalances::Scaled) balances; ignored for current balances.
    pub timestamp: u64,
    /// The user's eMode category; `None` (or id 0) when not in eMode.
    pub emode: Option<EModeCategory>,
    /// The reserves the user supplies or borrows (others may be included; zero balances
    /// contribute nothing). Order does not matter.
    pub reserves: &'a [AaveUserReserve],
}

/// What `Pool.getUserAccountData(user)` reports, less `availableBorrowsBase`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AaveAccountData {
    /// `totalCollateralBase`: Σ floor(balance · price / unit) over collateral reserves, base
    /// currency units.
    pub total_collateral_base: U256,
    /// `totalDebtBase`: Σ debt · price / unit (floor, or ceil on v3.5+), base currency units.
    pub total_debt_base: U256,
    /// `currentLiquidationThreshold`: the collateral-weighted average LT, floored, bps.
    pub current_liquidation_threshold: U256,
    /// `ltv`: the collateral-weighted average LTV, floored, bps.
    pub ltv: U256,
    /// `healthFactor`, WAD; `U256::MAX` without debt.
    pub health_factor: U256,
    /// Whether some collateral has an LTV of zero (restricts withdrawals on chain).
    pub has_zero_ltv_collateral: bool,
}

impl AaveAccountData {
    /// Whether `liquidationCall` accepts the position: health factor strictly below `1e18`.
    pub fn is_liquidatable(&self) -> bool {
        self.health_factor < HEALTH_FACTOR_LIQUIDATION_THRESHOLD
    }
}

/// Running sums of `calculateUserAccountData`.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Totals {
    pub(crate) total_collateral: U256,
    pub(crate) total_debt: U256,
    /// Σ collateral value · LT, base currency units · bps.
    pub(crate) weighted_threshold: U256,
    /// Σ collateral value · LTV, base currency units · bps.
    pub(crate) weighted_ltv: U256,
    pub(crate) has_zero_ltv: bool,
}

impl AavePosition<'_> {
    /// The account data the pool would report at this block, in this release's arithmetic.
    pub fn account_data(&self) -> Result<AaveAccountData> {
        let t = self.totals()?;
        let average = |sum: U256| {
            if t.total_collateral.is_zero() {
                Ok(U256::ZERO)
            } else {
                math::div(sum, t.total_collateral, "average")
            }
        };
        let current_liquidation_threshold = average(t.weighted_threshold)?;
        let health_factor = health_factor_with_average(
            self.version,
            t.total_collateral,
            t.weighted_threshold,
            current_liquidation_threshold,
            t.total_debt,
        )?;
        Ok(AaveAccountData {
            total_collateral_base: t.total_collateral,
            total_debt_base: t.total_debt,
            current_liquidation_threshold,
            ltv: average(t.weighted_ltv)?,
            health_factor,
            has_zero_ltv_collateral: t.has_zero_ltv,
        })
    }

    /// The health factor alone, WAD; `U256::MAX` without debt.
    pub fn health_factor(&self) -> Result<U256> {
        let totals = self.totals()?;
        health_factor_from_totals(
            self.version,
            totals.total_collateral,
            totals.weighted_threshold,
            totals.total_debt,
        )
    }

    /// The loop of `calculateUserAccountData`.
    pub(crate) fn totals(&self) -> Result<Totals> {
        let version = self.version;
        let emode = category(self.emode.as_ref());
        let mut t = Totals::default();
        for reserve in self.reserves {
            let counts = reserve.counts_as_collateral();
            let debt = reserve.debt_balance(self.timestamp, version)?;
            if !counts && debt.is_zero() {
                continue;
            }
            let collateral =
                if counts { reserve.a_token_balance(self.timestamp, version)? } else { U256::ZERO };
            let decimals = reserve.config.decimals;
            let price = emode.price_for(version, reserve);
            if price.is_zero() && !(collateral.is_zero() && debt.is_zero()) {
                return Err(HealthError::ZeroPrice { asset: reserve.asset });
            }
            if counts {
                let value = math::to_base_floor(collateral, price, decimals, "collateral value")
                    .ok_or_else(|| reserve.decimals_error())??;
                t.total_collateral = math::add(t.total_collateral, value, "total collateral")?;
                let in_emode = emode.applies_to(version, reserve)?;
                let threshold = if in_emode {
                    emode.liquidation_threshold
                } else {
                    reserve.config.liquidation_threshold
                };
                let ltv = emode.ltv_for(version, reserve, in_emode);
                if ltv != 0 {
                    let weighted = math::mul(value, U256::from(ltv), "average ltv")?;
                    t.weighted_ltv = math::add(t.weighted_ltv, weighted, "average ltv")?;
                } else {
                    t.has_zero_ltv = true;
                }
                let weighted = math::mul(value, U256::from(threshold), "average threshold")?;
                t.weighted_threshold =
                    math::add(t.weighted_threshold, weighted, "average threshold")?;
            }
            if !debt.is_zero() {
                let value = if version.rounds_v3_5() {
                    math::to_base_ceil(debt, price, decimals)
                } else {
                    math::to_base_floor(debt, price, decimals, "debt value")
                }
                .ok_or_else(|| reserve.decimals_error())??;
                t.total_debt = math::add(t.total_debt, value, "total debt")?;
            }
        }
        Ok(t)
    }
}

/// The health factor from the sums `calculateUserAccountData` accumulates, WAD.
///
/// * `total_collateral_base`: Σ collateral value, base currency units.
/// * `weighted_threshold_sum`: Σ collateral value · LT, base currency units · bps.
/// * `total_debt_base`: Σ debt value, base currency units.
///
/// v3.0–3.4: `percentMul(total, floor(weighted / total)).wadDiv(debt)`; v3.5+:
/// `weighted.wadDiv(debt) / 1e4`. Zero debt gives `U256::MAX`.
pub fn health_factor_from_totals(
    version: AaveVersion,
    total_collateral_base: U256,
    weighted_threshold_sum: U256,
    total_debt_base: U256,
) -> Result<U256> {
    let average_threshold = if total_collateral_base.is_zero() || version.rounds_v3_5() {
        U256::ZERO
    } else {
        math::div(weighted_threshold_sum, total_collateral_base, "average threshold")?
    };
    health_factor_with_average(
        version,
        total_collateral_base,
        weighted_threshold_sum,
        average_threshold,
        total_debt_base,
    )
}

/// [`health_factor_from_totals`] with the floored average threshold already computed.
#[inline]
fn health_factor_with_average(
    version: AaveVersion,
    total_collateral_base: U256,
    weighted_threshold_sum: U256,
    average_threshold: U256,
    total_debt_base: U256,
) -> Result<U256> {
    if total_debt_base.is_zero() {
        return Ok(U256::MAX);
    }
    if version.rounds_v3_5() {
        let hf = math::wad_div(weighted_threshold_sum, total_debt_base)?;
        return math::div(hf, PERCENTAGE_FACTOR, "healthFactor");
    }
    math::wad_div(math::percent_mul(total_collateral_base, average_threshold)?, total_debt_base)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(v: u128) -> U256 {
        U256::from(v)
    }

    #[test]
    fn aave_utilities_pool_math_vectors() {
        // pool-math.test.ts: collateral 1e17, debt 5e16, LT 5000 -> 1.
        for v in AaveVersion::ALL {
            let hf = health_factor_from_totals(
                v,
                u(100_000_000_000_000_000),
                u(100_000_000_000_000_000) * u(5000),
                u(50_000_000_000_000_000),
            );
            assert_eq!(hf.unwrap(), u(1_000_000_000_000_000_000));
        }
        // Debt 3e16: 1.666.. -> half up before 3.5, floor after.
        let legacy = health_factor_from_totals(
            AaveVersion::V3_0,
            u(100_000_000_000_000_000),
            u(500_000_000_000_000_000_000),
            u(30_000_000_000_000_000),
        );
        assert_eq!(legacy.unwrap(), u(1_666_666_666_666_666_667));
        let v35 = health_factor_from_totals(
            AaveVersion::V3_5,
            u(100_000_000_000_000_000),
            u(500_000_000_000_000_000_000),
            u(30_000_000_000_000_000),
        );
        assert_eq!(v35.unwrap(), u(1_666_666_666_666_666_666));
        // No debt: uint256 max (aave-utilities returns -1).
        assert_eq!(
            health_factor_from_totals(AaveVersion::V3_0, u(1), u(1), U256::ZERO).unwrap(),
            U256::MAX
        );
    }

    #[test]
    fn vector_b_totals() {
        let coll = u(100_000_000_000) + u(33_333_333_333);
        let weighted = u(100_000_000_000) * u(8250) + u(33_333_333_333) * u(7000);
        let debt = u(100_000_000_000);
        assert_eq!(weighted / coll, u(7937));
        let legacy = health_factor_from_totals(AaveVersion::V3_4, coll, weighted, debt).unwrap();
        assert_eq!(legacy, u(1_058_266_666_660_000_000));
        let v35 = health_factor_from_totals(AaveVersion::V3_5, coll, weighted, debt).unwrap();
        assert_eq!(v35, u(1_058_333_333_331_000_000));
    }
}
