//! `Comptroller.liquidateBorrowAllowed` / `liquidateCalculateSeizeTokens` and
//! `CToken.seizeInternal`: how much can be repaid and how many cTokens are seized.

use alloy_primitives::{Address, U256};
use serde::{Deserialize, Serialize};

use super::CompoundAccount;
use super::exp::{div_exp, mul_exp, mul_scalar_truncate};
use crate::error::{HealthError, Result};
use crate::math::{self, WAD, u256};

/// Compound's hard-coded `protocolSeizeShareMantissa` = 2.8e16 (2.8 %). Moonwell stores it per
/// market; read `protocolSeizeShareMantissa()`.
pub const COMPOUND_PROTOCOL_SEIZE_SHARE: U256 = u256(28_000_000_000_000_000);

/// Comptroller and market parameters of a liquidation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CompoundLiquidationConfig {
    /// `closeFactorMantissa()`, mantissa (0.5e18 = 50 %).
    pub close_factor: U256,
    /// `liquidationIncentiveMantissa()`, mantissa including the principal (1.08e18 = 8 %).
    pub liquidation_incentive: U256,
    /// The collateral market's `protocolSeizeShareMantissa`, mantissa.
    pub protocol_seize_share: U256,
    /// Compound only: the borrowed market is deprecated (collateral factor 0, borrows paused,
    /// reserve factor 100 %), which allows liquidation without shortfall and up to the whole
    /// borrow. Always `false` for Moonwell, which has no such bypass.
    pub borrowed_market_deprecated: bool,
}

/// The outcome of `liquidateBorrow(borrower, repayAmount, collateral)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CompoundLiquidationPlan {
    /// The market whose borrow is repaid.
    pub borrowed_market: Address,
    /// The market whose cTokens are seized.
    pub collateral_market: Address,
    /// The account's shortfall before, USD × 1e18.
    pub shortfall: U256,
    /// `closeFactor × borrowBalanceStored` (or the whole borrow when deprecated), underlying wei.
    pub max_repay: U256,
    /// The repay amount to send: the request capped by `max_repay` and by the borrower's
    /// collateral, underlying wei of the borrowed asset.
    pub repay_amount: U256,
    /// cTokens taken from the borrower, cToken units.
    pub seize_tokens: U256,
    /// cTokens the liquidator receives (`seize − protocol`), cToken units.
    pub liquidator_seize_tokens: U256,
    /// cTokens kept by the protocol (`seize × protocolSeizeShare`), cToken units.
    pub protocol_seize_tokens: U256,
    /// Underlying added to reserves (`exchangeRate × protocolSeizeTokens`), underlying wei.
    pub protocol_seize_amount: U256,
    /// The liquidator's cTokens in underlying (`exchangeRate × liquidatorSeizeTokens`),
    /// collateral underlying wei.
    pub liquidator_seize_underlying: U256,
    /// Whether the borrower's collateral balance, not the close factor, limited the repay.
    pub limited_by_collateral: bool,
}

/// `liquidateCalculateSeizeTokens`: cTokens seized for repaying `repay_amount` (underlying wei)
/// of the borrowed asset.
///
/// `seize = repay × (incentive × priceBorrowed) / (priceCollateral × exchangeRate)`, each `Exp`
/// product and the quotient truncated as in `ExponentialNoError`. Prices are oracle values
/// (USD × 1e36 per wei), `exchange_rate` the collateral market's `exchangeRateStored`.
pub fn seize_tokens(
    repay_amount: U256,
    price_borrowed: U256,
    price_collateral: U256,
    exchange_rate_collateral: U256,
    liquidation_incentive: U256,
) -> Result<U256> {
    let ratio = seize_ratio(
        price_borrowed,
        price_collateral,
        exchange_rate_collateral,
        liquidation_incentive,
    )?;
    mul_scalar_truncate(ratio, repay_amount, "seizeTokens")
}

fn seize_ratio(
    price_borrowed: U256,
    price_collateral: U256,
    exchange_rate_collateral: U256,
    liquidation_incentive: U256,
) -> Result<U256> {
    let numerator = mul_exp(liquidation_incentive, price_borrowed, "seize numerator")?;
    let denominator = mul_exp(price_collateral, exchange_rate_collateral, "seize denominator")?;
    div_exp(numerator, denominator, "seize ratio")
}

impl CompoundAccount<'_> {
    /// Sizes `liquidateBorrow` for repaying up to `repay_amount` (pass `U256::MAX` for "as much
    /// as allowed") of `borrowed_market` and seizing `collateral_market`.
    ///
    /// Where the contract would reject an over-large repay (`TOO_MUCH_REPAY`,
    /// `LIQUIDATE_SEIZE_TOO_MUCH`), the plan caps it instead: the returned `repay_amount` is the
    /// largest one that succeeds. The markets must be accrued to the liquidation block
    /// (`liquidateBorrow` accrues both markets first; see [`super::CompoundMarketState::accrue`]).
    ///
    /// Fails with [`HealthError::NoShortfall`], [`HealthError::NoDebtToCover`],
    /// [`HealthError::AssetNotFound`], [`HealthError::ZeroPrice`] or on overflow.
    pub fn plan_liquidation(
        &self,
        borrowed_market: Address,
        collateral_market: Address,
        repay_amount: U256,
        config: &CompoundLiquidationConfig,
    ) -> Result<CompoundLiquidationPlan> {
        let liquidity = self.liquidity()?;
        let borrowed = self.find(borrowed_market)?;
        let collateral = self.find(collateral_market)?;
        let max_repay = if config.borrowed_market_deprecated {
            borrowed.borrow_balance
        } else {
            if !liquidity.is_liquidatable() {
                return Err(HealthError::NoShortfall { liquidity: liquidity.liquidity });
            }
            mul_scalar_truncate(config.close_factor, borrowed.borrow_balance, "maxClose")?
        };
        for m in [borrowed, collateral] {
            if m.price.is_zero() {
                return Err(HealthError::ZeroPrice { asset: m.market });
            }
        }
        let mut repay = repay_amount.min(max_repay);
        let ratio = seize_ratio(
            borrowed.price,
            collateral.price,
            collateral.exchange_rate,
            config.liquidation_incentive,
        )?;
        let mut seize = mul_scalar_truncate(ratio, repay, "seizeTokens")?;
        let limited_by_collateral = seize > collateral.c_token_balance;
        if limited_by_collateral {
            // Largest r with floor(ratio × r / 1e18) ≤ balance: r ≤ ((balance + 1)·1e18 − 1) / ratio.
            let bound = math::sub(
                math::mul(
                    math::add(collateral.c_token_balance, U256::from(1u8), "repay cap")?,
                    WAD,
                    "repay cap",
                )?,
                U256::from(1u8),
                "repay cap",
            )?;
            repay = repay.min(math::div(bound, ratio, "repay cap")?);
            seize = mul_scalar_truncate(ratio, repay, "seizeTokens")?;
        }
        if repay.is_zero() {
            return Err(HealthError::NoDebtToCover { asset: borrowed_market });
        }
        let protocol_seize_tokens =
            mul_scalar_truncate(seize, config.protocol_seize_share, "protocolSeizeTokens")?;
        let liquidator_seize_tokens =
            math::sub(seize, protocol_seize_tokens, "liquidatorSeizeTokens")?;
        Ok(CompoundLiquidationPlan {
            borrowed_market,
            collateral_market,
            shortfall: liquidity.shortfall,
            max_repay,
            repay_amount: repay,
            seize_tokens: seize,
            liquidator_seize_tokens,
            protocol_seize_tokens,
            protocol_seize_amount: mul_scalar_truncate(
                collateral.exchange_rate,
                protocol_seize_tokens,
                "protocolSeizeAmount",
            )?,
            liquidator_seize_underlying: mul_scalar_truncate(
                collateral.exchange_rate,
                liquidator_seize_tokens,
                "liquidatorSeizeUnderlying",
            )?,
            limited_by_collateral,
        })
    }
}
