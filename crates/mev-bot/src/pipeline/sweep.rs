//! After the block, off its critical path: deferred repricing, journal trimming, gauges, and
//! the sweep — the rolling re-read that reaches every tracked position within
//! [`sweep_seconds`](crate::PipelineConfig::sweep_seconds) of chain time.

use std::time::Instant;

use alloy_primitives::Address;

use super::{Pipeline, journal::Change, prices, state::MarketId};
use crate::{Opportunity, telemetry};

/// What the sweep did.
#[derive(Debug, Default)]
pub(crate) struct Swept {
    pub(crate) positions: usize,
    /// Re-read positions that differed from the pipeline's copy (see `health::diverged`).
    pub(crate) diverged: usize,
    pub(crate) opportunities: Vec<Opportunity>,
}

impl Pipeline {
    /// Runs after each block: re-reads, at the head block, the share of each market's positions
    /// that the chain time since the last sweep covers (`positions × seconds / sweep_seconds`,
    /// rounded up, round-robin), so every position is re-read from chain and rewritten —
    /// refreshing its TTL — within `sweep_seconds`. Positions already evaluated at the head are
    /// skipped. A failed read ends the sweep early (logged; what it re-read so far is kept) and
    /// leaves the time it was to cover to the next sweep: it is upkeep, never a reason to fail
    /// the block.
    pub(crate) async fn sweep(&mut self) -> Swept {
        let head = self.journal.head();
        let watch = self.config.watch_health_factor;
        for m in &mut self.markets {
            prices::finish_deferred(m, watch);
        }
        self.journal.trim(self.config.max_reorg_depth.saturating_add(1));
        telemetry::record_positions(self.tracked().map(|(_, _, h)| h.health_factor));
        let step = head.timestamp.saturating_sub(self.swept_at);
        if step == 0 {
            return Swept::default();
        }
        let period = self.config.sweep_seconds.max(1);
        let started = Instant::now();
        let mut swept = Swept::default();
        let mut changes: Vec<Change> = Vec::new();
        for i in 0..self.markets.len() {
            let m = &mut self.markets[i];
            let share = (m.len() as u128 * u128::from(step)).div_ceil(u128::from(period));
            let slice = usize::try_from(share).unwrap_or(usize::MAX).min(m.len());
            let mut picked: Vec<Address> = m.next_round(slice);
            let cursor = m.cursor;
            m.cursor = picked.last().copied().or(m.cursor);
            picked.retain(|u| !m.checked.contains(u));
            picked.sort_unstable();
            picked.dedup();
            let recorded = match self
                .reread_and_record(MarketId(i), head.number, &picked, false)
                .await
            {
                Ok(r) => r,
                Err(e) => {
                    self.markets[i].cursor = cursor;
                    tracing::warn!(block = head.number, error = %e, "sweep stopped; resumed next block");
                    self.journal.record(changes);
                    return swept;
                }
            };
            swept.positions += recorded.refreshed;
            swept.diverged += recorded.diverged;
            telemetry::sweep_diverged(&self.markets[i].name, recorded.diverged);
            changes.extend(recorded.changes);
            // Rare: a position found unhealthy by the sweep reaches the count here only with
            // confirmations = 1.
            swept.opportunities.extend(recorded.opportunities);
        }
        self.journal.record(changes);
        self.swept_at = self.swept_at.max(head.timestamp);
        telemetry::stage("sweep", started.elapsed());
        swept
    }
}
