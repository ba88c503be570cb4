//! `mev-bot rebuild`: a position-cache rebuild from chain for one lending market, printed as
//! one JSON line.

use std::sync::Arc;

use alloy_primitives::Address;
use clap::Args;
use mev_chain::{ChainReader, Counted};
use mev_position_cache::{InMemoryPositionStore, PositionStore};
use mev_rebuild::{CompoundV2Config, MarketConfig, RebuildConfig, RebuildReport, Rebuilder};
use serde::Serialize;

use super::{
    args::{AaveArgs, ChainArgs, ProtocolArg},
    error::{CliError, Result},
    output::print_json,
    runtime,
    store::redis_store,
};

#[derive(Debug, Args)]
pub(super) struct RebuildArgs {
    #[command(flatten)]
    chain: ChainArgs,
    #[command(flatten)]
    aave: AaveArgs,
    /// Compound v2 family: the Comptroller (Unitroller proxy).
    #[arg(long, value_name = "ADDRESS")]
    comptroller: Option<Address>,
    /// First block to scan (the market's deployment block); 0 when absent.
    #[arg(long, value_name = "N")]
    from_block: Option<u64>,
    /// Last block to scan and the block positions are read at; the latest when absent.
    #[arg(long, value_name = "N")]
    to_block: Option<u64>,
    /// Write to Redis at URL (redis://host:port[/db]) instead of an in-memory store. Also
    /// MEV_BOT_REDIS_URL.
    #[arg(long, value_name = "URL", env = "MEV_BOT_REDIS_URL", hide_env_values = true)]
    redis_url: Option<String>,
}

pub(super) fn rebuild(args: RebuildArgs) -> Result<()> {
    let RebuildArgs { chain, aave, comptroller, from_block, to_block, redis_url } = args;
    let reader = Arc::new(Counted::new(chain.http_reader()?));
    let start_block = from_block.unwrap_or(0);
    let market = match chain.protocol {
        ProtocolArg::AaveV3 => {
            if comptroller.is_some() {
                return Err(ProtocolArg::AaveV3.not_for("--comptroller"));
            }
            MarketConfig::AaveV3(aave.config(Some(start_block))?)
        }
        ProtocolArg::CompoundV2 => {
            if aave.pool.is_some() {
                return Err(ProtocolArg::CompoundV2.not_for("--pool"));
            }
            if aave.data_provider.is_some() {
                return Err(ProtocolArg::CompoundV2.not_for("--data-provider"));
            }
            let comptroller = comptroller.ok_or(CliError::MissingArgument {
                what: "--comptroller",
                protocol: "compound-v2",
            })?;
            MarketConfig::CompoundV2(CompoundV2Config {
                comptroller,
                start_block,
                ..CompoundV2Config::default()
            })
        }
    };
    if let (Some(from), Some(to)) = (from_block, to_block)
        && from > to
    {
        return Err(CliError::InvalidArgument {
            what: "--to-block",
            reason: format!("{to} is below --from-block {from}"),
        });
    }
    let config = RebuildConfig { to_block, ..RebuildConfig::default() };
    let summary = runtime()?.block_on(async {
        let store: Box<dyn PositionStore> = match redis_url {
            Some(url) => Box::new(redis_store(url).await?),
            None => Box::new(InMemoryPositionStore::new()),
        };
        run(reader, market, config, &*store).await
    })?;
    print_json(&summary)
}

/// Rebuilds `store` from chain for `market`: scans the market's borrow logs from its start
/// block (or the store's checkpoint, whichever is later) to `config.to_block` (the latest
/// block when `None`) and writes every borrower's position read at that block. The summary's
/// `requests` are every request `reader` sent, connecting the market included.
async fn run<R: ChainReader + 'static>(
    reader: Arc<Counted<R>>,
    market: MarketConfig,
    mut config: RebuildConfig,
    store: &dyn PositionStore,
) -> Result<RebuildSummary> {
    let requests_before = reader.requests();
    let head = match config.to_block {
        Some(b) => b,
        None => reader
            .block_number()
            .await
            .map_err(CliError::chain("reading the latest block number"))?,
    };
    // Read positions at the same block the market was read at.
    config.to_block = Some(head);
    let name = market.name().to_owned();
    let protocol = market
        .connect(&*reader, head)
        .await
        .map_err(CliError::rebuild(format!("reading {} at block {head}", market.describe())))?;
    let rebuilder = Rebuilder::new(reader.clone(), vec![protocol], config)
        .map_err(CliError::rebuild("configuring the rebuild"))?;
    let report =
        rebuilder.run(store).await.map_err(CliError::rebuild(format!("rebuilding {name}")))?;
    let requests = reader.requests().saturating_sub(requests_before);
    Ok(RebuildSummary::new(name, &report, requests))
}

/// What `mev-bot rebuild` prints: the [`RebuildReport`] with the wall time in milliseconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
struct RebuildSummary {
    /// The protocol id rebuilt (`"aave-v3"`, `"compound-v2"`).
    protocol: String,
    /// The block positions were read at, block number.
    head_block: u64,
    /// Blocks whose logs were scanned (blocks below the store's checkpoint are skipped).
    blocks_scanned: u64,
    /// Distinct borrowers named by the scanned logs.
    users_found: usize,
    /// Positions with debt written to the store.
    positions_written: usize,
    /// Cached positions removed because the user no longer owes anything.
    positions_removed: usize,
    /// JSON-RPC requests made, including the one or two that read the market's reserves.
    requests: u64,
    /// Of which `eth_getLogs` (retries and splits included).
    log_requests: u64,
    /// Wall time of the rebuild, milliseconds.
    duration_ms: u64,
}

impl RebuildSummary {
    /// The summary of `report` for `protocol`, with `requests` counted by the caller.
    fn new(protocol: impl Into<String>, report: &RebuildReport, requests: u64) -> Self {
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
