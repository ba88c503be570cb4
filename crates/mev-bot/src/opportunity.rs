//! [`Opportunity`]: what the pipeline emits.

use alloy_primitives::{Address, U256};
use mev_rebuild::Liquidation;
use serde::{Deserialize, Serialize};

/// A position that stayed liquidatable for the configured number of consecutive blocks.
///
/// Emitted once per unhealthy streak, at the block where `blocks_unhealthy` reaches
/// [`PipelineConfig::confirmations`](crate::PipelineConfig::confirmations). Integers are
/// decimal strings in JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Opportunity {
    /// The block at which the streak reached the confirmation count, block number.
    pub block: u64,
    /// The market's name (`"aave-v3"`, `"moonwell"`, …).
    pub protocol: String,
    /// The borrower.
    pub user: Address,
    /// Health factor at `block`, WAD (`1e18` = 1.0).
    #[serde(with = "crate::decimal")]
    pub health_factor: U256,
    /// Consecutive unhealthy blocks (equals the confirmation count).
    pub blocks_unhealthy: u64,
    /// Collateral value in the market's base unit (Aave: base currency, 1e8 = 1 USD; Compound:
    /// USD × 1e18, risk-adjusted).
    #[serde(with = "crate::decimal")]
    pub collateral_value: U256,
    /// Debt value in the same unit.
    #[serde(with = "crate::decimal")]
    pub debt_value: U256,
    /// The most profitable single liquidation, sized as the protocol would execute it
    /// ([`LendingProtocol::best_liquidation`](mev_rebuild::LendingProtocol::best_liquidation));
    /// `None` where the adapter does not size liquidations (the Compound family).
    pub liquidation: Option<LiquidationHint>,
}

/// One `liquidationCall` sized exactly as the pool would execute it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiquidationHint {
    /// Collateral to seize.
    pub collateral_asset: Address,
    /// Debt to repay.
    pub debt_asset: Address,
    /// Debt repaid, the debt asset's smallest unit.
    #[serde(with = "crate::decimal")]
    pub debt_to_cover: U256,
    /// Collateral received by the liquidator, the collateral asset's smallest unit.
    #[serde(with = "crate::decimal")]
    pub collateral_to_liquidator: U256,
    /// Collateral received minus debt repaid, base currency units (before gas and swaps).
    #[serde(with = "crate::decimal")]
    pub gross_profit_base: U256,
}

impl From<Liquidation> for LiquidationHint {
    fn from(l: Liquidation) -> Self {
        Self {
            collateral_asset: l.collateral_asset,
            debt_asset: l.debt_asset,
            debt_to_cover: l.debt_to_cover,
            collateral_to_liquidator: l.collateral_to_liquidator,
            gross_profit_base: l.gross_profit_base,
        }
    }
}
