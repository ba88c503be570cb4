//! [`LendingProtocol`]: what a rebuild needs from one lending market, and what a batched read
//! yields ([`ChainPosition`], [`HealthInputs`]).

use std::fmt;

use alloy_primitives::{Address, U256};
use alloy_rpc_types_eth::{Filter, Log};
use async_trait::async_trait;
use mev_event_decoder::Protocol;
use mev_health_calc::{
    AaveAccountData, AavePosition, AaveUserReserve, AaveVersion, CompoundAccount,
    CompoundAccountLiquidity, CompoundMarket, EModeCategory, PositionHealth,
};
use mev_position_cache::Position;

use mev_chain::ChainReader;

use crate::error::Result;

/// One lending market a rebuild can discover borrowers of and read positions from.
///
/// Implementations: [`AaveV3Protocol`](crate::AaveV3Protocol) (Aave V3 family, e.g. Seamless)
/// and [`CompoundV2Protocol`](crate::CompoundV2Protocol) (Compound v2 family, e.g. Moonwell).
/// Held as `Arc<dyn LendingProtocol>`.
#[async_trait]
pub trait LendingProtocol: Send + Sync + fmt::Debug {
    /// The protocol id written into [`Position::protocol`] and used as the checkpoint key
    /// (`"aave-v3"`, `"moonwell"`, …).
    fn name(&self) -> &str;

    /// The first block worth scanning (the market's deployment block).
    fn start_block(&self) -> u64;

    /// The `eth_getLogs` filter (emitters and topic0s, no block range) whose logs name every
    /// borrower.
    fn log_filter(&self) -> Filter;

    /// The borrower a log of [`log_filter`](Self::log_filter) names, if any.
    fn borrower(&self, log: &Log) -> Option<Address>;

    /// The contracts whose logs change a user's position in this market (the Aave `Pool`; the
    /// cTokens and the comptroller for Compound): what a block follower subscribes to.
    fn emitters(&self) -> Vec<Address>;

    /// The price oracle the health math reads (`AaveOracle`, the comptroller's oracle).
    fn price_oracle(&self) -> Address;

    /// The event family of [`emitters`](Self::emitters) and
    /// [`price_sources`](Self::price_sources): how a decoder reads their logs
    /// ([`Protocol::AaveV3`], [`Protocol::CompoundV2`]).
    fn family(&self) -> Protocol;

    /// Contracts of the market itself whose events change its prices without a Chainlink
    /// `AnswerUpdated` (Aave: the `AaveOracle`, whose `AssetSourceUpdated` swaps a feed).
    /// Default none.
    fn price_sources(&self) -> Vec<Address> {
        Vec::new()
    }

    /// The most profitable single liquidation of `position`, sized exactly as the protocol's
    /// liquidation would execute it, or `None` when the position cannot be liquidated or the
    /// adapter does not size liquidations (the Compound family, for now).
    fn best_liquidation(&self, position: &ChainPosition) -> Option<Liquidation> {
        let _ = position;
        None
    }

    /// Reads the oracle price of every asset of the market at block `block` in one request:
    /// `(asset, price)` with the asset and unit the [`HealthInputs`] use (Aave: reserve asset,
    /// base-currency units per whole token; Compound: the cToken, USD × 1e18 per underlying
    /// wei-unit as `getUnderlyingPrice` returns it).
    async fn read_prices(
        &self,
        reader: &dyn ChainReader,
        block: u64,
    ) -> Result<Vec<(Address, U256)>>;

    /// Reads the positions of `users` at block `block` (a block number) in as few requests as
    /// possible (Multicall3 batches), one [`ChainPosition`] per user in the order given. Users
    /// without supplies or debt get an empty position.
    async fn read_positions(
        &self,
        reader: &dyn ChainReader,
        users: &[Address],
        block: u64,
    ) -> Result<Vec<ChainPosition>>;
}

/// One liquidation call sized as the protocol executes it (Aave: `liquidationCall`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Liquidation {
    /// The collateral seized.
    pub collateral_asset: Address,
    /// The debt repaid.
    pub debt_asset: Address,
    /// Debt repaid, the debt asset's smallest unit.
    pub debt_to_cover: U256,
    /// Collateral received by the liquidator (after the protocol fee), the collateral asset's
    /// smallest unit.
    pub collateral_to_liquidator: U256,
    /// Value of the collateral received minus the debt repaid, in the market's base unit (Aave:
    /// base currency, 1e8 = 1 USD), before gas and swaps.
    pub gross_profit_base: U256,
    /// Collateral sent to the protocol's treasury (Aave: `liquidationProtocolFeeAmount`), the
    /// collateral asset's smallest unit.
    pub protocol_fee: U256,
    /// The debt amount to pass to the liquidation call so that it does exactly this, the debt
    /// asset's smallest unit (see
    /// [`AaveLiquidationPlan::debt_to_pass`](mev_health_calc::AaveLiquidationPlan::debt_to_pass)).
    pub debt_to_pass: U256,
}

/// One user's position read from chain: the cache record, its health, and the exact inputs
/// mev-health-calc used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainPosition {
    /// The record to cache: legs in the assets' smallest units, health factor (WAD), block.
    pub position: Position,
    /// Protocol-neutral health (WAD health factor, collateral and debt values).
    pub health: PositionHealth,
    /// What the health was computed from.
    pub inputs: HealthInputs,
}

impl ChainPosition {
    /// Whether the user owes anything (the position is worth caching).
    pub fn has_debt(&self) -> bool {
        !self.position.debt.is_empty()
    }
}

/// The mev-health-calc inputs behind a [`ChainPosition`], per protocol family.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HealthInputs {
    /// Aave V3 family.
    Aave(AaveInputs),
    /// Compound v2 family.
    Compound(CompoundInputs),
}

impl HealthInputs {
    /// Replaces the prices of the assets named in `prices` (`(asset, price)` as
    /// [`LendingProtocol::read_prices`] returns them) and recomputes the health from the same
    /// balances. Returns whether any price changed. The balances stay those of the block they
    /// were read at, so the result is exact for that block's balances at the new prices.
    ///
    /// Fails when the health math fails on the new prices (see [`mev_health_calc::HealthError`]).
    pub fn reprice(
        &mut self,
        prices: &[(Address, U256)],
    ) -> Result<Option<PositionHealth>, mev_health_calc::HealthError> {
        let price_of = |asset: Address| prices.iter().find(|(a, _)| *a == asset).map(|p| p.1);
        match self {
            Self::Aave(a) => {
                let mut changed = false;
                for r in &mut a.reserves {
                    if let Some(p) = price_of(r.asset).filter(|p| *p != r.price) {
                        r.price = p;
                        changed = true;
                    }
                }
                if !changed {
                    return Ok(None);
                }
                a.account = a.position().account_data()?;
                Ok(Some(PositionHealth::from_aave(a.version, &a.account)))
            }
            Self::Compound(c) => {
                let mut changed = false;
                for m in &mut c.markets {
                    if let Some(p) = price_of(m.market).filter(|p| *p != m.price) {
                        m.price = p;
                        changed = true;
                    }
                }
                if !changed {
                    return Ok(None);
                }
                c.liquidity = c.account().liquidity()?;
                Ok(Some(PositionHealth::from_compound(&c.liquidity)))
            }
        }
    }

    /// Whether the position holds any asset of `prices` (`(asset, price)` pairs).
    pub fn holds_any(&self, prices: &[(Address, U256)]) -> bool {
        prices.iter().any(|(a, _)| self.holds(*a))
    }

    /// Whether the position holds `asset` as collateral or debt (a nonzero balance).
    pub fn holds(&self, asset: Address) -> bool {
        match self {
            Self::Aave(a) => a.reserves.iter().any(|r| {
                r.asset == asset && {
                    let mev_health_calc::AaveBalances::Current {
                        a_token,
                        variable_debt,
                        stable_debt,
                    } = r.balances
                    else {
                        return true;
                    };
                    !(a_token.is_zero() && variable_debt.is_zero() && stable_debt.is_zero())
                }
            }),
            Self::Compound(c) => c.markets.iter().any(|m| {
                m.market == asset && !(m.c_token_balance.is_zero() && m.borrow_balance.is_zero())
            }),
        }
    }
}

/// An Aave user's inputs at one block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AaveInputs {
    /// The pool's release.
    pub version: AaveVersion,
    /// The block's timestamp, seconds (as the EVM saw it in the read).
    pub timestamp: u64,
    /// The user's eMode category, `None` outside eMode.
    pub emode: Option<EModeCategory>,
    /// Every listed reserve with the user's current balances (wei), price (base currency
    /// units) and configuration.
    pub reserves: Vec<AaveUserReserve>,
    /// What `Pool.getUserAccountData` reports, computed locally from the above.
    pub account: AaveAccountData,
}

impl AaveInputs {
    /// The borrowed [`AavePosition`] view for further evaluation (liquidation sizing, other
    /// prices).
    pub fn position(&self) -> AavePosition<'_> {
        AavePosition {
            version: self.version,
            timestamp: self.timestamp,
            emode: self.emode,
            reserves: &self.reserves,
        }
    }
}

/// A Compound v2 account's inputs at one block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompoundInputs {
    /// Every market of the comptroller with the account's snapshot, collateral factor and
    /// price; `entered` from `getAssetsIn`.
    pub markets: Vec<CompoundMarket>,
    /// What `Comptroller.getAccountLiquidity` reports, computed locally (USD × 1e18).
    pub liquidity: CompoundAccountLiquidity,
}

impl CompoundInputs {
    /// The borrowed [`CompoundAccount`] view.
    pub fn account(&self) -> CompoundAccount<'_> {
        CompoundAccount { markets: &self.markets }
    }
}
