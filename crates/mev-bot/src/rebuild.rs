//! `mev-bot rebuild`: a position-cache rebuild from chain for one lending market.

use std::sync::Arc;

use mev_position_cache::PositionStore;
use mev_rebuild::{
    AaveV3Config, AaveV3Protocol, ChainReader, CompoundV2Config, CompoundV2Protocol,
    LendingProtocol, RebuildConfig, RebuildReport, Rebuilder,
};
use serde::Serialize;

use crate::{BotError, Result};

/// The lending market a rebuild reads.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Market {
    /// An Aave V3 family market (Aave 3.0–3.5, Seamless, Spark).
    AaveV3(AaveV3Config),
    /// A Compound v2 family market (Compound, Moonwell, …).
    CompoundV2(CompoundV2Config),
}

impl Market {
    /// The protocol id positions and checkpoints are stored under.
    pub fn name(&self) -> &str {
        match self {
            Self::AaveV3(c) => &c.name,
            Self::CompoundV2(c) => &c.name,
        }
    }
}

/// What `mev-bot rebuild` prints: the [`RebuildReport`] with the wall time in milliseconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RebuildSummary {
    /// The protocol id rebuilt (`"aave-v3"`, `"compound-v2"`).
    pub protocol: String,
    /// The block positions were read at, block number.
    pub head_block: u64,
    /// Blocks whose logs were scanned (blocks below the store's checkpoint are skipped).
    pub blocks_scanned: u64,
    /// Distinct borrowers named by the scanned logs.
    pub users_found: usize,
    /// Positions with debt written to the store.
    pub positions_written: usize,
    /// Cached positions removed because the user no longer owes anything.
    pub positions_removed: usize,
    /// JSON-RPC requests made, including the one or two that read the market's reserves.
    pub requests: u64,
    /// Of which `eth_getLogs` (retries and splits included).
    pub log_requests: u64,
    /// Wall time of the rebuild, milliseconds.
    pub duration_ms: u64,
}

impl RebuildSummary {
    /// The summary of `report` for `protocol`, with `requests` counted by the caller.
    pub fn new(protocol: impl Into<String>, report: &RebuildReport, requests: u64) -> Self {
        Self {
            protocol: protocol.into(),
            head_block: report.head_block,
            blocks_scanned: report.blocks_scanned,
            users_found: report.users_found,
            positions_written: report.positions_written,
            positions_removed: report.positions_removed,
            requests,
            log_requests: report.log_requests,
            duration_ms: u64::try_from(report.duration.as_millis()).unwrap_or(u64::MAX),
        }
    }
}

/// Rebuilds `store` from chain for `market`: scans the market's borrow logs from its start
/// block (or the store's checkpoint, whichever is later) to `config.to_block` (the latest
/// block when `None`) and writes every borrower's position read at that block.
pub async fn rebuild(
    reader: Arc<dyn ChainReader>,
    market: Market,
    mut config: RebuildConfig,
    store: &dyn PositionStore,
) -> Result<RebuildSummary> {
    let requests_before = reader.requests();
    let head = match config.to_block {
        Some(b) => b,
        None => reader.block_number().await.map_err(|source| BotError::Chain {
            context: "reading the latest block number".into(),
            source: source.into(),
        })?,
    };
    // Read positions at the same block the market was read at.
    config.to_block = Some(head);
    let name = market.name().to_owned();
    let protocol: Arc<dyn LendingProtocol> = match market {
        Market::AaveV3(c) => {
            let pool = c.pool;
            Arc::new(AaveV3Protocol::connect(&*reader, c, head).await.map_err(|source| {
                BotError::Chain {
                    context: format!("reading the Aave market of pool {pool} at block {head}"),
                    source: source.into(),
                }
            })?)
        }
        Market::CompoundV2(c) => {
            let comptroller = c.comptroller;
            Arc::new(CompoundV2Protocol::connect(&*reader, c, head).await.map_err(|source| {
                BotError::Chain {
                    context: format!(
                        "reading the markets of comptroller {comptroller} at block {head}"
                    ),
                    source: source.into(),
                }
            })?)
        }
    };
    let rebuilder = Rebuilder::new(reader.clone(), vec![protocol], config).map_err(|source| {
        BotError::Chain { context: "configuring the rebuild".into(), source: source.into() }
    })?;
    let report = rebuilder.run(store).await.map_err(|source| BotError::Chain {
        context: format!("rebuilding {name}"),
        source: source.into(),
    })?;
    let requests = reader.requests().saturating_sub(requests_before);
    Ok(RebuildSummary::new(name, &report, requests))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn summary_reports_duration_in_ms() {
        let report = RebuildReport {
            head_block: 90,
            blocks_scanned: 41,
            users_found: 7,
            positions_written: 6,
            positions_removed: 0,
            requests: 5,
            log_requests: 1,
            duration: Duration::from_micros(12_345),
        };
        let json = serde_json::to_value(RebuildSummary::new("aave-v3", &report, 7)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "protocol": "aave-v3", "head_block": 90, "blocks_scanned": 41, "users_found": 7,
                "positions_written": 6, "positions_removed": 0, "requests": 7,
                "log_requests": 1, "duration_ms": 12
            })
        );
    }
}
