//! `mev-bot health`: one Aave user's health factor, computed locally from per-reserve chain data.

use alloy_primitives::{Address, U256};
use mev_health_calc::AaveAccountData;
use mev_rebuild::{AaveV3Config, AaveV3Protocol, ChainReader, HealthInputs, LendingProtocol};
use serde::Serialize;

use crate::{BotError, Result};

/// One user's Aave account figures, as `mev-bot health` prints them (one JSON object whose
/// integers are decimal strings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AaveHealth {
    /// Health factor, WAD (`1e18` = 1.0); `U256::MAX` when the user has no debt.
    #[serde(serialize_with = "crate::decimal::serialize")]
    pub health_factor: U256,
    /// Collateral value, base currency units (the oracle's unit, 1e8 = 1 USD on most markets).
    #[serde(serialize_with = "crate::decimal::serialize")]
    pub total_collateral_base: U256,
    /// Debt value, base currency units.
    #[serde(serialize_with = "crate::decimal::serialize")]
    pub total_debt_base: U256,
    /// Whether `liquidationCall` accepts the position: health factor below `1e18`.
    pub liquidatable: bool,
}

impl From<&AaveAccountData> for AaveHealth {
    fn from(a: &AaveAccountData) -> Self {
        Self {
            health_factor: a.health_factor,
            total_collateral_base: a.total_collateral_base,
            total_debt_base: a.total_debt_base,
            liquidatable: a.is_liquidatable(),
        }
    }
}

/// Reads `user`'s per-reserve data on the Aave V3 family market `config` at `block` (the
/// reader's latest block when `None`) and computes the account figures with mev-health-calc.
///
/// The market's reserve list and oracle (from the pool's addresses provider unless
/// `config.oracle` is set) are read at the same block; everything is read through Multicall3
/// at `config.multicall`. Nothing is taken from `Pool.getUserAccountData`.
pub async fn aave_health(
    reader: &dyn ChainReader,
    config: AaveV3Config,
    user: Address,
    block: Option<u64>,
) -> Result<AaveHealth> {
    let block = match block {
        Some(b) => b,
        None => reader.block_number().await.map_err(|source| BotError::Chain {
            context: "reading the latest block number".into(),
            source: source.into(),
        })?,
    };
    let pool = config.pool;
    let protocol =
        AaveV3Protocol::connect(reader, config, block).await.map_err(|source| BotError::Chain {
            context: format!("reading the Aave market of pool {pool} at block {block}"),
            source: source.into(),
        })?;
    let positions = protocol.read_positions(reader, &[user], block).await.map_err(|source| {
        BotError::Chain {
            context: format!("reading the reserves of {user} at block {block}"),
            source: source.into(),
        }
    })?;
    let Some(HealthInputs::Aave(inputs)) = positions.into_iter().next().map(|p| p.inputs) else {
        return Err(BotError::Chain {
            context: format!("reading the reserves of {user} at block {block}"),
            source: Box::new(mev_rebuild::RebuildError::Decode {
                what: "Aave position",
                reason: "the adapter returned no Aave inputs".into(),
            }),
        });
    };
    // Recompute from the per-reserve inputs, so what is printed is mev-health-calc's result
    // over exactly the data read.
    let account = inputs
        .position()
        .account_data()
        .map_err(|source| BotError::Health { user, source: source.into() })?;
    Ok(AaveHealth::from(&account))
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
        };
        let json = serde_json::to_string(&h).unwrap();
        assert_eq!(
            json,
            format!(
                r#"{{"health_factor":"{}","total_collateral_base":"123450000","total_debt_base":"0","liquidatable":false}}"#,
                U256::MAX
            )
        );
    }
}
