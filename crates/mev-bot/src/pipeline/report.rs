//! What the pipeline reports: [`BlockReport`] per event, [`Totals`] since start.

use serde::Serialize;

use crate::{ArbitrageOpportunity, LiquidationOpportunity, Opportunity};

/// What one [`ChainEvent`](crate::ChainEvent) did to the caches.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BlockReport {
    /// The block processed (the ancestor for a reorg), block number.
    pub block: u64,
    /// Whether this was a reorg rollback rather than a block.
    pub reorg: bool,
    /// Logs received.
    pub logs: usize,
    /// Logs decoded into known events.
    pub decoded: usize,
    /// Pools updated in place from events.
    pub pools_updated: usize,
    /// Pools read from chain (invalidated by an event, or first seen).
    pub pools_fetched: usize,
    /// Positions re-read from chain on the block's critical path (restored, for a reorg).
    pub positions_refreshed: usize,
    /// Positions re-evaluated locally at new prices.
    pub positions_repriced: usize,
    /// Positions re-read by the sweep after the block (the rolling re-read that reaches every
    /// position within [`sweep_seconds`](crate::PipelineConfig::sweep_seconds)).
    pub positions_swept: usize,
    /// Of those, positions whose re-read differed from the pipeline's copy by more than 10 bps
    /// (a leg or the health factor): a missed event or an unwatched price feed; each is
    /// logged, and counted in `mev_bot_sweep_diverged_total{market}`.
    pub positions_diverged: usize,
    /// Positions removed (repaid, fully liquidated) — or restored, for a reorg.
    pub positions_removed: usize,
    /// Arbitrage cycles sized (those through a pool the block changed; every cycle after a
    /// bootstrap or a reorg).
    pub cycles_evaluated: usize,
    /// Opportunities emitted: liquidations (by market and user), then arbitrages (most net
    /// profit first).
    pub opportunities: Vec<Opportunity>,
    /// Wall time of the block's critical path (decode to opportunities), microseconds; varies
    /// run to run, so tests compare the other fields.
    #[serde(skip)]
    pub micros: u64,
    /// Wall time of the sweep after the block, microseconds.
    #[serde(skip)]
    pub sweep_micros: u64,
}

impl BlockReport {
    /// The liquidation opportunities emitted.
    pub fn liquidations(&self) -> impl Iterator<Item = &LiquidationOpportunity> {
        self.opportunities.iter().filter_map(Opportunity::as_liquidation)
    }

    /// The arbitrage opportunities emitted, most net profit first.
    pub fn arbitrages(&self) -> impl Iterator<Item = &ArbitrageOpportunity> {
        self.opportunities.iter().filter_map(Opportunity::as_arbitrage)
    }
}

/// Running totals since the pipeline started.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Blocks processed.
    pub blocks: u64,
    /// Reorgs rolled back.
    pub reorgs: u64,
    /// Logs received.
    pub logs: u64,
    /// Logs decoded.
    pub decoded: u64,
    /// Positions re-read from chain on the critical path.
    pub positions_refreshed: u64,
    /// Arbitrage cycles sized.
    pub cycles_evaluated: u64,
    /// Opportunities emitted (both kinds).
    pub opportunities: u64,
}

pub(crate) fn micros(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}
