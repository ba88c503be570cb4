//! [`Opportunity`]: what the pipeline emits — a liquidation or an arbitrage.

use alloy_primitives::{Address, U256};
use mev_rebuild::Liquidation;
use serde::{Deserialize, Serialize};

/// Something worth acting on at a block, as one JSON line with its `kind`:
/// `{"kind":"liquidation",…}` or `{"kind":"arbitrage",…}`. Integers are decimal strings in JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Opportunity {
    /// A position that stayed liquidatable for the confirmation count.
    Liquidation(LiquidationOpportunity),
    /// A cycle of watched pools that pays more than its gas cost.
    Arbitrage(ArbitrageOpportunity),
}

impl Opportunity {
    /// The block the opportunity was found at, block number.
    pub const fn block(&self) -> u64 {
        match self {
            Self::Liquidation(l) => l.block,
            Self::Arbitrage(a) => a.block,
        }
    }

    /// The liquidation, if this is one.
    pub const fn as_liquidation(&self) -> Option<&LiquidationOpportunity> {
        match self {
            Self::Liquidation(l) => Some(l),
            Self::Arbitrage(_) => None,
        }
    }

    /// The arbitrage, if this is one.
    pub const fn as_arbitrage(&self) -> Option<&ArbitrageOpportunity> {
        match self {
            Self::Arbitrage(a) => Some(a),
            Self::Liquidation(_) => None,
        }
    }

    /// A short label for logs: `aave-v3:0xabc…` or `arbitrage:0xbase…+profit`.
    pub fn label(&self) -> String {
        match self {
            Self::Liquidation(l) => format!("{}:{}", l.protocol, l.user),
            Self::Arbitrage(a) => {
                format!("arbitrage:{}:{}hops:+{}", a.base, a.hops.len(), a.net_profit)
            }
        }
    }
}

impl From<LiquidationOpportunity> for Opportunity {
    fn from(l: LiquidationOpportunity) -> Self {
        Self::Liquidation(l)
    }
}

impl From<ArbitrageOpportunity> for Opportunity {
    fn from(a: ArbitrageOpportunity) -> Self {
        Self::Arbitrage(a)
    }
}

/// A position that stayed liquidatable for the configured number of consecutive blocks.
///
/// Emitted once per unhealthy streak, at the block where `blocks_unhealthy` reaches
/// [`PipelineConfig::confirmations`](crate::PipelineConfig::confirmations).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiquidationOpportunity {
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

/// A cycle of watched pools that, at `block`'s state, returns more of its base token than it
/// takes, by more than the configured gas cost: swap `amount_in` through the hops in order,
/// each hop's output the next one's input.
///
/// Sized by [`mev_arbitrage::size_cycle`] from the reserve cache's exact quotes: executed alone
/// on the state after `block`, each hop pays exactly its `amount_out`, so the base token
/// balance rises by exactly `gross_profit`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArbitrageOpportunity {
    /// The block whose state the cycle was sized on, block number.
    pub block: u64,
    /// The token the cycle starts and ends in.
    pub base: Address,
    /// Paid into the first hop, the base token's smallest unit.
    #[serde(with = "crate::decimal")]
    pub amount_in: U256,
    /// Received from the last hop, same unit.
    #[serde(with = "crate::decimal")]
    pub amount_out: U256,
    /// `amount_out − amount_in`, same unit.
    #[serde(with = "crate::decimal")]
    pub gross_profit: U256,
    /// `gross_profit` less the configured gas cost of the base token, same unit; positive.
    #[serde(with = "crate::decimal")]
    pub net_profit: U256,
    /// The search's tolerance: a better input can only lie within this distance of
    /// `amount_in`, same unit.
    #[serde(with = "crate::decimal")]
    pub step: U256,
    /// The hops, in order.
    pub hops: Vec<ArbitrageHop>,
}

/// One swap of an [`ArbitrageOpportunity`], exact input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArbitrageHop {
    /// The pool (a Uniswap V4 pool: the first 20 bytes of its `PoolId`; a Balancer pool: its
    /// address).
    pub pool: Address,
    /// The token paid in.
    pub token_in: Address,
    /// The token received.
    pub token_out: Address,
    /// Paid in, `token_in`'s smallest unit.
    #[serde(with = "crate::decimal")]
    pub amount_in: U256,
    /// Received, `token_out`'s smallest unit.
    #[serde(with = "crate::decimal")]
    pub amount_out: U256,
}

impl ArbitrageOpportunity {
    /// The opportunity of a sized cycle at `block`.
    pub fn new(block: u64, arb: &mev_arbitrage::Arbitrage) -> Self {
        Self {
            block,
            base: arb.base,
            amount_in: arb.amount_in,
            amount_out: arb.amount_out,
            gross_profit: arb.gross_profit,
            net_profit: arb.net_profit,
            step: arb.step,
            hops: arb
                .hops
                .iter()
                .map(|h| ArbitrageHop {
                    pool: h.pool,
                    token_in: h.token_in,
                    token_out: h.token_out,
                    amount_in: h.amount_in,
                    amount_out: h.amount_out,
                })
                .collect(),
        }
    }
}
