//! `mev-bot health`: one Aave user's health factor, computed locally from per-reserve chain
//! data.

use alloy_primitives::{Address, U256};
use clap::Args;
use mev_chain::ChainReader;
use mev_health_calc::{AaveAccountData, AaveVersion};
use mev_rebuild::{AaveV3Config, AaveV3Protocol, HealthInputs, LendingProtocol, RebuildError};
use serde::Serialize;

use super::{
    args::{AaveArgs, ChainArgs, ProtocolArg},
    error::{CliError, Result},
    output::print_json,
    runtime,
};

#[derive(Debug, Args)]
pub(super) struct HealthArgs {
    #[command(flatten)]
    chain: ChainArgs,
    #[command(flatten)]
    aave: AaveArgs,
    /// The user (borrower) to evaluate.
    #[arg(long, value_name = "ADDRESS")]
    user: Address,
    /// Block number to read at; the latest block when absent.
    #[arg(long, value_name = "N")]
    block: Option<u64>,
}

pub(super) fn health(args: HealthArgs) -> Result<()> {
    if args.chain.protocol != ProtocolArg::AaveV3 {
        return Err(CliError::UnsupportedProtocol {
            command: "health",
            protocol: args.chain.protocol.as_str(),
            supported: "aave-v3",
        });
    }
    let reader = args.chain.http_reader()?;
    let config = args.aave.config(None)?;
    let health = runtime()?.block_on(aave_health(&reader, config, args.user, args.block))?;
    print_json(&health)
}

/// One user's Aave account figures, as printed (one JSON object whose integers are decimal
/// strings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
struct AaveHealth {
    /// Health factor, WAD (`1e18` = 1.0); `U256::MAX` when the user has no debt.
    #[serde(serialize_with = "mev_bot::decimal::serialize")]
    health_factor: U256,
    /// Collateral value, base currency units (the oracle's unit, 1e8 = 1 USD on most markets).
    #[serde(serialize_with = "mev_bot::decimal::serialize")]
    total_collateral_base: U256,
    /// Debt value, base currency units.
    #[serde(serialize_with = "mev_bot::decimal::serialize")]
    total_debt_base: U256,
    /// Whether `liquidationCall` accepts the position: health factor below `1e18`.
    liquidatable: bool,
    /// The release whose arithmetic was used (`"3.0"` … `"3.6"`): detected from the pool, or
    /// `--aave-version` (a disagreement with the pool is logged as a warning).
    #[serde(serialize_with = "serialize_display")]
    release: AaveVersion,
    /// For a liquidatable user: the most profitable `liquidationCall` over every (collateral,
    /// debt) pair, sized as the pool executes it. Absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    liquidation: Option<LiquidationJson>,
}

/// The best liquidation of a position, as printed: addresses checksummed, amounts decimal
/// strings in the assets' smallest units, profit in base currency units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
struct LiquidationJson {
    #[serde(serialize_with = "checksummed")]
    collateral_asset: Address,
    #[serde(serialize_with = "checksummed")]
    debt_asset: Address,
    /// Debt `liquidationCall` takes.
    #[serde(serialize_with = "mev_bot::decimal::serialize")]
    debt_to_cover: U256,
    /// Collateral the liquidator receives (fee deducted).
    #[serde(serialize_with = "mev_bot::decimal::serialize")]
    collateral_to_liquidator: U256,
    /// Collateral sent to the treasury.
    #[serde(serialize_with = "mev_bot::decimal::serialize")]
    protocol_fee: U256,
    /// Collateral received minus debt repaid, base currency units.
    #[serde(serialize_with = "mev_bot::decimal::serialize")]
    gross_profit_base: U256,
    /// The `debtToCover` argument that makes `liquidationCall` do exactly this.
    #[serde(serialize_with = "mev_bot::decimal::serialize")]
    debt_to_pass: U256,
}

impl From<mev_rebuild::Liquidation> for LiquidationJson {
    fn from(l: mev_rebuild::Liquidation) -> Self {
        Self {
            collateral_asset: l.collateral_asset,
            debt_asset: l.debt_asset,
            debt_to_cover: l.debt_to_cover,
            collateral_to_liquidator: l.collateral_to_liquidator,
            protocol_fee: l.protocol_fee,
            gross_profit_base: l.gross_profit_base,
            debt_to_pass: l.debt_to_pass,
        }
    }
}

fn checksummed<S: serde::Serializer>(a: &Address, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.collect_str(&a.to_checksum(None))
}

fn serialize_display<S: serde::Serializer>(
    v: &AaveVersion,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    s.collect_str(v)
}

impl AaveHealth {
    fn new(
        a: &AaveAccountData,
        release: AaveVersion,
        liquidation: Option<mev_rebuild::Liquidation>,
    ) -> Self {
        Self {
            health_factor: a.health_factor,
            total_collateral_base: a.total_collateral_base,
            total_debt_base: a.total_debt_base,
            liquidatable: a.is_liquidatable(),
            release,
            liquidation: liquidation.filter(|_| a.is_liquidatable()).map(Into::into),
        }
    }
}

/// Reads `user`'s per-reserve data on the Aave V3 family market `config` at `block` (the
/// reader's latest block when `None`) and computes the account figures with mev-health-calc.
///
/// The market's reserve list and oracle (from the pool's addresses provider unless
/// `config.oracle` is set) are read at the same block; everything is read through Multicall3
/// at `config.multicall`. Nothing is taken from `Pool.getUserAccountData`.
async fn aave_health(
    reader: &dyn ChainReader,
    config: AaveV3Config,
    user: Address,
    block: Option<u64>,
) -> Result<AaveHealth> {
    let block = match block {
        Some(b) => b,
        None => reader
            .block_number()
            .await
            .map_err(CliError::chain("reading the latest block number"))?,
    };
    let pool = config.pool;
    let protocol = AaveV3Protocol::connect(reader, config, block).await.map_err(
        CliError::rebuild(format!("reading the Aave market of pool {pool} at block {block}")),
    )?;
    let context = format!("reading the reserves of {user} at block {block}");
    let positions = protocol
        .read_positions(reader, &[user], block)
        .await
        .map_err(CliError::rebuild(context.clone()))?;
    let liquidation = positions.first().and_then(|p| protocol.best_liquidation(p));
    let Some(HealthInputs::Aave(inputs)) = positions.into_iter().next().map(|p| p.inputs) else {
        return Err(CliError::rebuild(context)(RebuildError::Decode {
            what: "Aave position",
            reason: "the adapter returned no Aave inputs".into(),
        }));
    };
    // Recompute from the per-reserve inputs, so what is printed is mev-health-calc's result
    // over exactly the data read.
    let account = inputs
        .position()
        .account_data()
        .map_err(|source| CliError::Health { user, source: Box::new(source) })?;
    Ok(AaveHealth::new(&account, protocol.version(), liquidation))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_integers_as_decimal_strings_and_max_without_debt() {
        let h = AaveHealth {
            health_factor: U256::MAX,
            total_collateral_base: U256::from(123_450_000u64),
            total_debt_base: U256::ZERO,
            liquidatable: false,
            release: AaveVersion::V3_6,
            liquidation: None,
        };
        let json = serde_json::to_string(&h).unwrap();
        assert_eq!(
            json,
            format!(
                r#"{{"health_factor":"{}","total_collateral_base":"123450000","total_debt_base":"0","liquidatable":false,"release":"3.6"}}"#,
                U256::MAX
            )
        );
    }
}
