//! [`Pipeline`]: one block's path through the caches. The files follow a block in order:
//! [`follow`] (the next event), [`decode`] (logs → routed events), [`pools`], [`arbitrage`]
//! (the cycles through the pools the block changed), [`prices`],
//! [`refresh`] (re-reads), [`health`] (verdicts and opportunities), then [`sweep`] after the
//! block; [`rollback`] undoes blocks from the [`journal`] on a reorg. [`state`] holds the typed
//! per-market state, [`builder`] and [`bootstrap`] make a pipeline.

mod arbitrage;
mod bootstrap;
mod builder;
mod decode;
mod follow;
mod health;
mod journal;
mod pools;
mod prices;
mod refresh;
mod report;
mod rollback;
mod state;
mod sweep;
#[cfg(test)]
mod tests;

use std::{collections::HashSet, fmt, sync::Arc, time::Instant};

use alloy_primitives::Address;
use mev_chain::{BlockHeader, ChainReader};
use mev_health_calc::PositionHealth;
use mev_position_cache::{Position, PositionStore};
use mev_reserve_cache::{PoolKey, ReserveCache};
use tracing::Instrument;

use self::{
    arbitrage::ArbitrageStage,
    decode::Routes,
    journal::{BlockEntry, Journal},
    state::{MarketId, MarketState},
};
pub use self::{
    builder::PipelineBuilder,
    report::{BlockReport, Totals},
};
use crate::{BlockData, BotError, ChainEvent, LogFilter, PipelineConfig, Result, telemetry};

/// What stages 3–5 did over every market.
#[derive(Debug, Default)]
struct MarketsDone {
    repriced: usize,
    refreshed: usize,
    removed: usize,
    opportunities: Vec<crate::Opportunity>,
    changes: Vec<journal::Change>,
}

/// The wired pipeline: for each block, decode its logs, apply them to the reserve cache,
/// read new prices where a feed or oracle moved, re-read the touched and near-liquidation
/// positions in one batch, recompute health with mev-health-calc, record each verdict with
/// [`PositionStore::update_health`] (the one unhealthy streak), and emit an
/// [`Opportunity`](crate::Opportunity) once a position has been unhealthy for
/// [`confirmations`](PipelineConfig::confirmations) blocks.
///
/// Built by [`Pipeline::builder`] (bootstrapped at a block, or it does not exist) and driven
/// by [`apply`](Self::apply), one [`ChainEvent`] at a time; [`next_event`](Self::next_event)
/// finds the next event on a chain. It talks to the chain only through a [`ChainReader`], to
/// markets only through [`LendingProtocol`](mev_rebuild::LendingProtocol), to pools through
/// [`ReserveCache`], and to positions through [`PositionStore`].
///
/// Per block, a tracked position is *re-read from chain* (exact at that block) when an event
/// touched it, when it is on the watch list (health factor below
/// [`watch_health_factor`](PipelineConfig::watch_health_factor) or unhealthy last block), when
/// new prices bring it below the watch line, or when the sweep reaches it; every other position
/// holding an asset whose price moved is *re-evaluated locally* at the new prices. Verdicts
/// near the liquidation line therefore always come from a fresh read.
pub struct Pipeline {
    reader: Arc<dyn ChainReader>,
    store: Arc<dyn PositionStore>,
    reserves: Arc<ReserveCache>,
    routes: Routes,
    markets: Vec<MarketState>,
    config: PipelineConfig,
    journal: Journal,
    /// Pools to read at the next block (a failed read, a rollback).
    needs_fetch: HashSet<Address>,
    totals: Totals,
    /// Chain time (seconds) up to which the sweep has run.
    swept_at: u64,
    /// The arbitrage stage, when base tokens are configured.
    arbitrage: Option<ArbitrageStage>,
}

impl fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pipeline")
            .field("head", &self.journal.head())
            .field("markets", &self.markets.iter().map(|m| &m.name).collect::<Vec<_>>())
            .field("positions", &self.positions())
            .field("pools", &self.routes.pools.len())
            .field("totals", &self.totals)
            .finish_non_exhaustive()
    }
}

impl Pipeline {
    /// A [`PipelineBuilder`] reading the chain through `reader` and keeping positions in
    /// `store`.
    pub fn builder(reader: Arc<dyn ChainReader>, store: Arc<dyn PositionStore>) -> PipelineBuilder {
        PipelineBuilder::new(reader, store)
    }

    /// Applies one chain event: a block on top of the head — its critical path (decode, pools,
    /// prices, re-reads, verdicts, opportunities), then the sweep after it — or a reorg
    /// rollback. This is how the pipeline is driven, live ([`next_event`](Self::next_event)) or
    /// from a recording.
    ///
    /// Fails with [`BotError::NotChild`] for a block that does not extend the head,
    /// [`BotError::ReorgTooDeep`] for an ancestor older than the kept history, and with the
    /// chain's, a market's or the store's error when a read or write fails.
    pub async fn apply(&mut self, event: ChainEvent) -> Result<BlockReport> {
        let started = Instant::now();
        let mut report = match event {
            ChainEvent::Block(block) => {
                let span = tracing::info_span!("block", number = block.header.number);
                self.process_block(block).instrument(span).await?
            }
            ChainEvent::Reorg { ancestor } => {
                let span = tracing::info_span!("reorg", ancestor);
                self.rollback(ancestor).instrument(span).await?
            }
        };
        report.micros = report::micros(started.elapsed());
        telemetry::block_done(&report, started.elapsed());
        telemetry::reserve_stats(&self.reserves.stats());
        if !report.reorg {
            let started = Instant::now();
            let span = tracing::debug_span!("sweep", block = report.block);
            let swept = self.sweep().instrument(span).await;
            report.positions_swept = swept.positions;
            report.positions_diverged = swept.diverged;
            report.opportunities.extend(swept.opportunities);
            report.sweep_micros = report::micros(started.elapsed());
        }
        Ok(report)
    }

    /// The block the caches reflect.
    pub fn head(&self) -> BlockHeader {
        self.journal.head()
    }

    /// The `eth_getLogs` filter of each block: every watched emitter and known topic.
    pub const fn log_filter(&self) -> &LogFilter {
        &self.routes.filter
    }

    /// The reserve cache.
    pub const fn reserves(&self) -> &Arc<ReserveCache> {
        &self.reserves
    }

    /// The position store.
    pub const fn store(&self) -> &Arc<dyn PositionStore> {
        &self.store
    }

    /// The chain reader.
    pub const fn reader(&self) -> &Arc<dyn ChainReader> {
        &self.reader
    }

    /// The configuration.
    pub const fn config(&self) -> &PipelineConfig {
        &self.config
    }

    /// The watched pools.
    pub fn pools(&self) -> impl Iterator<Item = &PoolKey> {
        self.routes.pools.values()
    }

    /// The watched markets' names, in configuration order.
    pub fn markets(&self) -> impl Iterator<Item = &str> {
        self.markets.iter().map(|m| m.name.as_str())
    }

    /// Positions tracked across all markets.
    pub fn positions(&self) -> usize {
        self.markets.iter().map(MarketState::len).sum()
    }

    /// Every tracked position as the pipeline last evaluated it: `(market, position, health)`.
    pub fn tracked(&self) -> impl Iterator<Item = (&str, &Position, &PositionHealth)> {
        self.markets.iter().flat_map(|m| {
            m.iter().map(move |(_, t)| (m.name.as_str(), &t.chain.position, &t.chain.health))
        })
    }

    /// The unhealthy streak of every tracked position, `(market, user, consecutive unhealthy
    /// blocks)`, as the store last counted it.
    pub fn streaks(&self) -> impl Iterator<Item = (&str, Address, u64)> {
        self.markets
            .iter()
            .flat_map(|m| m.iter().map(move |(u, t)| (m.name.as_str(), *u, t.blocks_unhealthy)))
    }

    /// The arbitrage cycles of the watched pools (`None` without base tokens configured).
    pub fn cycles(&self) -> Option<&mev_arbitrage::CycleIndex> {
        self.arbitrage.as_ref().map(ArbitrageStage::index)
    }

    /// Totals since start.
    pub const fn totals(&self) -> &Totals {
        &self.totals
    }

    /// The critical path of one block.
    async fn process_block(&mut self, block: BlockData) -> Result<BlockReport> {
        let BlockData { header, logs } = block;
        let n = header.number;
        let head = self.head();
        if header.parent_hash != head.hash || n != head.number + 1 {
            return Err(BotError::NotChild { number: n, head: head.number, head_hash: head.hash });
        }
        let mut report = BlockReport { block: n, logs: logs.len(), ..BlockReport::default() };
        for m in &mut self.markets {
            m.checked.clear();
        }

        // 1. Decode.
        let t = Instant::now();
        let mut routed = {
            let _span = tracing::debug_span!("decode").entered();
            self.routes.route(&logs, self.markets.len())
        };
        report.decoded = routed.decoded.len();
        telemetry::stage("decode", t.elapsed());

        // 2. Pools.
        let t = Instant::now();
        let pools = pools::update(&self.reserves, &self.routes, &mut self.needs_fetch, &routed, n)
            .instrument(tracing::debug_span!("pools"))
            .await;
        report.pools_updated = pools.updated;
        report.pools_fetched = pools.fetched;
        telemetry::stage("pools", t.elapsed());

        // 2b. Arbitrage: the cycles through every pool the block changed or re-read.
        let mut arbitrages = Vec::new();
        if let Some(stage) = &mut self.arbitrage {
            let t = Instant::now();
            let done = {
                let _span = tracing::debug_span!("arbitrage").entered();
                stage.run(&self.reserves, &pools.changed, n)
            };
            report.cycles_evaluated = done.evaluated;
            telemetry::arbitrage(&done.opportunities, done.evaluated, t.elapsed());
            if done.skipped > 0 {
                tracing::debug!(skipped = done.skipped, "cycles without usable pool state");
            }
            arbitrages = done.opportunities;
        }

        // 3–5. Per market: prices, re-reads, health and opportunities.
        let watch = self.config.watch_health_factor;
        for m in &mut self.markets {
            // Normally done by the sweep; here when the caller's last block had none.
            prices::finish_deferred(m, watch);
        }
        let changes = match self.process_markets(n, &mut routed).await {
            Ok(done) => {
                report.positions_repriced = done.repriced;
                report.positions_refreshed = done.refreshed;
                report.positions_removed = done.removed;
                report.opportunities = done.opportunities;
                report.opportunities.sort_by(|a, b| {
                    let key = |o: &crate::Opportunity| {
                        o.as_liquidation().map(|l| (l.protocol.clone(), l.user))
                    };
                    key(a).cmp(&key(b))
                });
                report.opportunities.extend(arbitrages.into_iter().map(crate::Opportunity::from));
                done.changes
            }
            Err((e, changes)) => {
                // Half a block is not a state: undo what the markets processed so far did
                // (positions and streaks in memory and in the store, prices) and drop the pools
                // the block touched, so that the block can be applied again from the head.
                self.journal.push(BlockEntry { header, changes, pools: pools.touched });
                if let Err(undo) = self.unwind(head.number).await {
                    tracing::error!(error = %undo, "undoing a failed block failed");
                }
                return Err(e);
            }
        };

        self.totals.blocks += 1;

        self.totals.logs += report.logs as u64;
        self.totals.decoded += report.decoded as u64;
        self.totals.positions_refreshed += report.positions_refreshed as u64;
        self.totals.cycles_evaluated += report.cycles_evaluated as u64;
        self.totals.opportunities += report.opportunities.len() as u64;
        self.journal.push(BlockEntry { header, changes, pools: pools.touched });
        // Trimming (freeing the oldest block's journal) is the sweep's, off the critical path;
        // here only as a bound.
        self.journal.trim(self.config.max_reorg_depth.saturating_mul(2).saturating_add(1));
        Ok(report)
    }

    /// Stages 3–5 for every market at block `block`. On failure, the error and the undo of
    /// what was changed before it.
    async fn process_markets(
        &mut self,
        block: u64,
        routed: &mut decode::Routed,
    ) -> std::result::Result<MarketsDone, (BotError, Vec<journal::Change>)> {
        let n = block;
        let watch = self.config.watch_health_factor;
        let mut done = MarketsDone::default();
        for i in 0..self.markets.len() {
            let t = Instant::now();
            let touched = std::mem::take(&mut routed.touched[i]);
            let moved = routed.price_moved[i];
            let m = &mut self.markets[i];
            let span = tracing::debug_span!("prices", market = %m.name);
            let done_prices =
                prices::update(m, &*self.reader, n, touched, moved, watch).instrument(span).await;
            let done_prices = match done_prices {
                Ok(d) => d,
                Err(e) => return Err((e, done.changes)),
            };
            done.repriced += done_prices.repriced;
            done.changes.extend(done_prices.change);
            telemetry::stage("prices", t.elapsed());
            let mut users: Vec<Address> = done_prices.refresh.into_iter().collect();
            users.sort_unstable();
            let recorded = match self.reread_and_record(MarketId(i), n, &users, true).await {
                Ok(r) => r,
                Err(e) => return Err((e, done.changes)),
            };
            done.refreshed += recorded.refreshed;
            done.removed += recorded.removed;
            done.opportunities.extend(recorded.opportunities);
            done.changes.extend(recorded.changes);
        }
        Ok(done)
    }

    /// Stages 4 and 5 for `users` of market `id` at block `block`; `critical` records their
    /// stage latencies (the sweep records its own).
    async fn reread_and_record(
        &mut self,
        id: MarketId,
        block: u64,
        users: &[Address],
        critical: bool,
    ) -> Result<health::Recorded> {
        if users.is_empty() {
            return Ok(health::Recorded::default());
        }
        let m = &mut self.markets[id.0];
        let t = Instant::now();
        let read = refresh::reread(m, &*self.reader, users, block)
            .instrument(tracing::debug_span!("refresh", market = %m.name, users = users.len()))
            .await?;
        if critical {
            telemetry::stage("refresh", t.elapsed());
        }
        let t = Instant::now();
        let span = tracing::debug_span!("health", market = %m.name);
        let (confirmations, every) =
            (self.config.confirmations, self.config.opportunity_every_block);
        let diverged = if critical { 0 } else { health::diverged(m, users, &read) };
        let mut recorded = health::record(m, &*self.store, read, block, confirmations, every)
            .instrument(span)
            .await?;
        recorded.diverged = diverged;
        if critical {
            telemetry::stage("health", t.elapsed());
        }
        Ok(recorded)
    }
}
