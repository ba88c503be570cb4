//! A reorg: every block above the common ancestor is undone from the journal — positions,
//! streaks and prices restored exactly, in memory and in the store; the pools the orphaned
//! blocks touched re-read.

use std::collections::{HashMap, HashSet};

use alloy_primitives::Address;
use mev_position_cache::Position;

use super::{
    Pipeline,
    journal::Change,
    report::BlockReport,
    state::{MarketId, Tracked},
};
use crate::{BotError, Result};

impl Pipeline {
    /// Rolls every cache back to block `ancestor` (a reorg).
    pub(crate) async fn rollback(&mut self, ancestor: u64) -> Result<BlockReport> {
        let report = self.unwind(ancestor).await?;
        self.totals.reorgs += 1;
        tracing::warn!(ancestor, "reorg: caches rolled back");
        Ok(report)
    }

    /// Undoes every journaled block above `ancestor`: a reorg's rollback, or a block whose
    /// processing failed half-way.
    pub(crate) async fn unwind(&mut self, ancestor: u64) -> Result<BlockReport> {
        let mut report = BlockReport { block: ancestor, reorg: true, ..BlockReport::default() };
        let unwound = self.journal.unwind_to(ancestor)?;
        // Newest first: the last write per position is its state at the ancestor.
        let mut restore: HashMap<(MarketId, Address), Option<Box<Tracked>>> = HashMap::new();
        // Assets whose price changed at some point in the undone blocks, per market.
        let mut moved: HashMap<MarketId, HashSet<Address>> = HashMap::new();
        for change in unwound.changes {
            match change {
                Change::Position { market, user, before } => {
                    restore.insert((market, user), before);
                }
                Change::Prices { market, before } => {
                    if let Some(m) = self.markets.get_mut(market.0) {
                        let set = moved.entry(market).or_default();
                        set.extend(before.iter().filter(|p| !m.prices.contains(p)).map(|p| p.0));
                        set.extend(m.prices.iter().filter(|p| !before.contains(p)).map(|p| p.0));
                        m.prices = before;
                    }
                }
            }
        }
        // In memory first: positions as they were, then the holders of every asset whose price
        // moved repriced at the ancestor's prices (a position restored from an entry made after
        // a local repricing carries the intermediate prices).
        let mut restored: Vec<(MarketId, Address, bool)> = Vec::with_capacity(restore.len());
        for ((market, user), before) in restore {
            let Some(m) = self.markets.get_mut(market.0) else { continue };
            restored.push((market, user, before.is_some()));
            m.undo_position(user, before.map(|t| *t));
        }
        for (id, assets) in moved {
            let m = &mut self.markets[id.0];
            m.deferred.clear();
            let prices: Vec<(Address, alloy_primitives::U256)> =
                m.prices.iter().filter(|(a, _)| assets.contains(a)).copied().collect();
            let holders = m.holders(&prices);
            m.reprice(&holders, &prices, alloy_primitives::U256::ZERO);
        }
        // Then the store, from the restored state.
        let mut writes: Vec<Vec<Position>> = vec![Vec::new(); self.markets.len()];
        for (market, user, kept) in restored {
            let m = &self.markets[market.0];
            match m.get(&user) {
                Some(t) if kept => {
                    writes[market.0].push(t.stored(t.chain.position.last_update_block));
                }
                _ => {
                    self.store
                        .remove(&m.name, user)
                        .await
                        .map_err(BotError::store("rolling back a position"))?;
                    report.positions_removed += 1;
                }
            }
        }
        for (i, w) in writes.iter().enumerate() {
            if !w.is_empty() {
                report.positions_refreshed += w.len();
                self.store
                    .restore_many(w)
                    .await
                    .map_err(BotError::store("rolling back positions"))?;
                tracing::debug!(market = self.markets[i].name, n = w.len(), "restored");
            }
        }
        for m in &mut self.markets {
            m.checked.clear();
        }
        if let Some(a) = &mut self.arbitrage {
            // Every cycle again at the next block: the pools are re-read at it.
            a.reset();
        }
        self.reserves.invalidate_many(unwound.pools.iter());
        self.needs_fetch.extend(unwound.pools);
        Ok(report)
    }
}
