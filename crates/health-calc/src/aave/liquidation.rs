//! `LiquidationLogic.executeLiquidationCall` sizing: close factor, collateral with bonus and the
//! balance cap, debt actually repaid, protocol fee, and the v3.3+ dust rule.

use alloy_primitives::{Address, U256};
use serde::{Deserialize, Serialize};

use super::emode::category;
use super::{
    AavePosition, AaveUserReserve, HEALTH_FACTOR_LIQUIDATION_THRESHOLD, health_factor_from_totals,
};
use crate::error::{HealthError, Result};
use crate::math::{self, u256};

/// `CLOSE_FACTOR_HF_THRESHOLD` = 0.95e18 (WAD): at or below it the whole debt can be liquidated.
pub const CLOSE_FACTOR_HF_THRESHOLD: U256 = u256(950_000_000_000_000_000);
/// `DEFAULT_LIQUIDATION_CLOSE_FACTOR` = 50.00 %, bps.
pub const DEFAULT_LIQUIDATION_CLOSE_FACTOR: u16 = 5_000;
/// `MAX_LIQUIDATION_CLOSE_FACTOR` = 100.00 %, bps.
pub const MAX_LIQUIDATION_CLOSE_FACTOR: u16 = 10_000;
/// v3.3+ `MIN_BASE_MAX_CLOSE_FACTOR_THRESHOLD` = 2000e8 base currency units ($2000 on 8-decimal
/// USD markets; the contract uses the same constant on every market).
pub const MIN_BASE_MAX_CLOSE_FACTOR_THRESHOLD: U256 = u256(200_000_000_000);
/// v3.3+ `MIN_LEFTOVER_BASE` = 1000e8 base currency units.
pub const MIN_LEFTOVER_BASE: U256 = u256(100_000_000_000);

/// The outcome of a `liquidationCall(collateral, debt, user, debtToCover, receiveAToken)`, as the
/// contract would compute it at this block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AaveLiquidationPlan {
    /// The collateral asset seized.
    pub collateral_asset: Address,
    /// The debt asset repaid.
    pub debt_asset: Address,
    /// The borrower's health factor before the liquidation, WAD.
    pub health_factor: U256,
    /// The close factor rule in force, bps: `5000` when at most half can be repaid (v3.0–3.2:
    /// HF > 0.95; v3.3+: HF > 0.95 and the reserve's collateral and debt are both ≥ 2000e8), else
    /// `10000`.
    pub close_factor_bps: u16,
    /// The most debt this liquidation may repay, debt asset wei.
    pub max_liquidatable_debt: U256,
    /// Debt actually repaid (`actualDebtToLiquidate`, the `debtToCover` of the
    /// `LiquidationCall` event), debt asset wei.
    pub debt_to_cover: U256,
    /// Collateral the liquidator receives, fee deducted (`liquidatedCollateralAmount`),
    /// collateral asset wei.
    pub collateral_to_liquidator: U256,
    /// Collateral sent to the treasury (`liquidationProtocolFeeAmount`), collateral asset wei.
    ///
    /// Where the whole collateral is seized ([`collateral_capped`](Self::collateral_capped)),
    /// the pool caps the fee at the borrower's remaining scaled aToken balance, which can send
    /// 1 wei less (measured on v3.6: 219 of 486 executed liquidations; the liquidator's amounts
    /// are unaffected). Seeing it needs the scaled balance, which a plan from current balances
    /// does not have.
    pub protocol_fee: U256,
    /// The liquidation bonus applied (eMode or reserve), bps including the principal.
    pub liquidation_bonus: u16,
    /// The collateral price used, base currency units.
    pub collateral_price: U256,
    /// The debt price used, base currency units.
    pub debt_price: U256,
    /// The borrower's collateral balance before, collateral asset wei.
    pub borrower_collateral_balance: U256,
    /// The borrower's debt in the debt reserve before, debt asset wei.
    pub borrower_debt_balance: U256,
    /// `collateral_to_liquidator` in base currency units, floor.
    pub collateral_to_liquidator_base: U256,
    /// `debt_to_cover` in base currency units, floor.
    pub debt_to_cover_base: U256,
    /// v3.3+: the liquidation takes all the borrower's collateral value, so the remaining debt
    /// is burned as deficit (`hasNoCollateralLeft`). Always false before v3.3.
    pub leaves_no_collateral: bool,
    /// The borrower's whole collateral balance is seized: the bonus-inclusive value of the
    /// requested debt exceeds it, so `debt_to_cover` was recomputed from the collateral.
    pub collateral_capped: bool,
}

impl AaveLiquidationPlan {
    /// Value received minus value repaid, base currency units, zero when negative. Gas and swap
    /// costs are not included.
    pub fn gross_profit_base(&self) -> U256 {
        self.collateral_to_liquidator_base.saturating_sub(self.debt_to_cover_base)
    }

    /// The `debtToCover` to give `liquidationCall` so that it does exactly this plan, debt asset
    /// wei: [`debt_to_cover`](Self::debt_to_cover), except where the collateral cap binds. There
    /// the pool sized the debt from the collateral; passing that smaller debt back would make it
    /// size the collateral from the debt again (rounding down: 1 wei less seized on v3.0) or,
    /// on v3.3+, refuse to leave dust (`MustNotLeaveDust`), so the amount to pass is the most the
    /// pool accepts, [`max_liquidatable_debt`](Self::max_liquidatable_debt), of which it takes
    /// `debt_to_cover`.
    pub const fn debt_to_pass(&self) -> U256 {
        if self.collateral_capped { self.max_liquidatable_debt } else { self.debt_to_cover }
    }
}

impl AavePosition<'_> {
    /// Sizes `liquidationCall(collateral_asset, debt_asset, user, debt_to_cover, _)` at this
    /// block. Pass `U256::MAX` as `debt_to_cover` for "as much as allowed", like bots do on chain.
    ///
    /// Fails where the contract reverts: [`HealthError::NotLiquidatable`] (HF ≥ 1),
    /// [`HealthError::CollateralNotEligible`], [`HealthError::NoDebtToCover`],
    /// [`HealthError::LeavesDust`] (v3.3+), and arithmetic errors.
    ///
    /// Not modelled: the L2 `PriceOracleSentinel` grace period (it only matters for
    /// HF ≥ 0.95 right after a sequencer outage), v3.1+ per-reserve liquidation grace periods,
    /// paused/inactive reserves, and v3.4's self-liquidation ban. Before v3.3 the contract may
    /// transfer 1 wei less protocol fee when the borrower's remaining scaled balance is short;
    /// `collateral_to_liquidator` is unaffected.
    pub fn plan_liquidation(
        &self,
        collateral_asset: Address,
        debt_asset: Address,
        debt_to_cover: U256,
    ) -> Result<AaveLiquidationPlan> {
        let version = self.version;
        let now = self.timestamp;
        let emode = category(self.emode.as_ref());
        let totals = self.totals()?;
        let health_factor = health_factor_from_totals(
            version,
            totals.total_collateral,
            totals.weighted_threshold,
            totals.total_debt,
        )?;
        if health_factor >= HEALTH_FACTOR_LIQUIDATION_THRESHOLD {
            return Err(HealthError::NotLiquidatable { health_factor });
        }
        let collateral = self.find(collateral_asset)?;
        let debt = self.find(debt_asset)?;
        if !collateral.counts_as_collateral() {
            return Err(HealthError::CollateralNotEligible { asset: collateral_asset });
        }
        let borrower_debt = debt.debt_balance(now, version)?;
        if borrower_debt.is_zero() {
            return Err(HealthError::NoDebtToCover { asset: debt_asset });
        }
        let borrower_collateral = collateral.a_token_balance(now, version)?;

        let liquidation_bonus = if emode.applies_to(version, collateral)? {
            emode.liquidation_bonus
        } else {
            collateral.config.liquidation_bonus
        };
        let collateral_price = emode.price_for(version, collateral);
        let debt_price = emode.debt_price_for_liquidation(version, debt);
        for (asset, price) in [(collateral_asset, collateral_price), (debt_asset, debt_price)] {
            if price.is_zero() {
                return Err(HealthError::ZeroPrice { asset });
            }
        }
        let collateral_unit = collateral.unit()?;
        let debt_unit = debt.unit()?;
        let debt_base = |amount: U256| -> Result<U256> {
            if version.rounds_v3_5() {
                math::mul_div_ceil(amount, debt_price, debt_unit)
            } else {
                math::mul_div(amount, debt_price, debt_unit, "debt value")
            }
        };
        let collateral_base = |amount: U256| -> Result<U256> {
            math::mul_div(amount, collateral_price, collateral_unit, "collateral value")
        };

        // Close factor.
        let (close_factor_bps, max_liquidatable_debt) = if version.liquidation_v3_3() {
            let reserve_debt_base = debt_base(borrower_debt)?;
            let reserve_collateral_base = collateral_base(borrower_collateral)?;
            if reserve_collateral_base >= MIN_BASE_MAX_CLOSE_FACTOR_THRESHOLD
                && reserve_debt_base >= MIN_BASE_MAX_CLOSE_FACTOR_THRESHOLD
                && health_factor > CLOSE_FACTOR_HF_THRESHOLD
            {
                let half_total = math::percent_mul(
                    totals.total_debt,
                    U256::from(DEFAULT_LIQUIDATION_CLOSE_FACTOR),
                )?;
                let max = if reserve_debt_base > half_total {
                    math::mul_div(half_total, debt_unit, debt_price, "max liquidatable debt")?
                } else {
                    borrower_debt
                };
                (DEFAULT_LIQUIDATION_CLOSE_FACTOR, max)
            } else {
                (MAX_LIQUIDATION_CLOSE_FACTOR, borrower_debt)
            }
        } else {
            let close_factor = if health_factor > CLOSE_FACTOR_HF_THRESHOLD {
                DEFAULT_LIQUIDATION_CLOSE_FACTOR
            } else {
                MAX_LIQUIDATION_CLOSE_FACTOR
            };
            (close_factor, math::percent_mul(borrower_debt, U256::from(close_factor))?)
        };
        let requested = debt_to_cover.min(max_liquidatable_debt);
        if requested.is_zero() {
            return Err(HealthError::NoDebtToCover { asset: debt_asset });
        }

        // _calculateAvailableCollateralToLiquidate.
        let bonus = U256::from(liquidation_bonus);
        let base_collateral = math::div(
            math::mul(
                math::mul(debt_price, requested, "base collateral")?,
                collateral_unit,
                "base collateral",
            )?,
            math::mul(collateral_price, debt_unit, "base collateral")?,
            "base collateral",
        )?;
        let max_collateral = math::percent_mul(base_collateral, bonus)?;
        let collateral_capped = max_collateral > borrower_collateral;
        let (mut collateral_amount, debt_needed) = if collateral_capped {
            let debt_equivalent = math::div(
                math::mul(
                    math::mul(collateral_price, borrower_collateral, "debt amount needed")?,
                    debt_unit,
                    "debt amount needed",
                )?,
                math::mul(debt_price, collateral_unit, "debt amount needed")?,
                "debt amount needed",
            )?;
            let needed = if version.rounds_v3_5() {
                math::percent_div_ceil(debt_equivalent, bonus)?
            } else {
                math::percent_div(debt_equivalent, bonus)?
            };
            (borrower_collateral, needed)
        } else {
            (max_collateral, requested)
        };
        if debt_needed.is_zero() {
            // Nothing to seize (e.g. an enabled collateral with a zero balance): a no-op on chain.
            return Err(HealthError::NoDebtToCover { asset: debt_asset });
        }
        let collateral_to_liquidate_base = collateral_base(collateral_amount)?;
        let fee_share = collateral.config.liquidation_protocol_fee;
        let protocol_fee = if fee_share == 0 {
            U256::ZERO
        } else {
            let bonus_collateral = math::sub(
                collateral_amount,
                math::percent_div(collateral_amount, bonus)?,
                "bonus collateral",
            )?;
            let fee = math::percent_mul(bonus_collateral, U256::from(fee_share))?;
            collateral_amount = math::sub(collateral_amount, fee, "protocol fee")?;
            fee
        };

        // v3.3+ dust rule.
        let seized = math::add(collateral_amount, protocol_fee, "seized collateral")?;
        if version.liquidation_v3_3() && debt_needed < borrower_debt && seized < borrower_collateral
        {
            let debt_left_base = debt_base(borrower_debt - debt_needed)?;
            let collateral_left_base = collateral_base(borrower_collateral - seized)?;
            if debt_left_base < MIN_LEFTOVER_BASE || collateral_left_base < MIN_LEFTOVER_BASE {
                return Err(HealthError::LeavesDust { debt_left_base, collateral_left_base });
            }
        }

        Ok(AaveLiquidationPlan {
            collateral_asset,
            debt_asset,
            health_factor,
            close_factor_bps,
            max_liquidatable_debt,
            debt_to_cover: debt_needed,
            collateral_to_liquidator: collateral_amount,
            protocol_fee,
            liquidation_bonus,
            collateral_price,
            debt_price,
            borrower_collateral_balance: borrower_collateral,
            borrower_debt_balance: borrower_debt,
            collateral_to_liquidator_base: collateral_base(collateral_amount)?,
            debt_to_cover_base: math::mul_div(debt_needed, debt_price, debt_unit, "debt value")?,
            leaves_no_collateral: version.liquidation_v3_3()
                && totals.total_collateral == collateral_to_liquidate_base,
            collateral_capped,
        })
    }

    fn find(&self, asset: Address) -> Result<&AaveUserReserve> {
        self.reserves.iter().find(|r| r.asset == asset).ok_or(HealthError::AssetNotFound { asset })
    }
}
