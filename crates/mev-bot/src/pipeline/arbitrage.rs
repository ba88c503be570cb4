//! Stage 2b, arbitrage: after the pools are current, every cycle through a pool the block
//! changed is sized on the reserve cache's snapshots (no I/O), and the ones that pay more than
//! their base token's gas cost become [`ArbitrageOpportunity`]s.

use std::sync::Arc;

use alloy_primitives::{Address, map::AddressHashMap};
use mev_arbitrage::{BlockView, CycleIndex, SizingConfig};
use mev_reserve_cache::{PoolKey, PoolSnapshot, ReserveCache};

use crate::{ArbitrageConfig, ArbitrageOpportunity};

/// The cycles of the watched pools and how each base token's are sized.
#[derive(Debug)]
pub(crate) struct ArbitrageStage {
    index: CycleIndex,
    sizing: AddressHashMap<SizingConfig>,
    /// Size every cycle at the next block (after the bootstrap or a rollback).
    all_next: bool,
}

/// What the stage did at one block.
#[derive(Debug, Default)]
pub(crate) struct ArbitrageDone {
    /// Cycles sized.
    pub(crate) evaluated: usize,
    /// Cycles skipped because a pool had no usable state.
    pub(crate) skipped: usize,
    /// The paying cycles, most net profit first.
    pub(crate) opportunities: Vec<ArbitrageOpportunity>,
}

impl ArbitrageStage {
    /// The cycles of `pools` whose state (and so tokens) `reserves` holds; `None` when the
    /// configuration has no base token. A pool without state is left out, with a warning.
    pub(crate) fn new(
        config: &ArbitrageConfig,
        reserves: &ReserveCache,
        pools: &[PoolKey],
    ) -> Option<Self> {
        if !config.enabled() {
            return None;
        }
        let mut graph = Vec::with_capacity(pools.len());
        for key in pools {
            match reserves.peek(&key.address) {
                Some(s) => graph.push((key.address, s.state.swap_tokens())),
                None => tracing::warn!(pool = %key.address, "no state: left out of the cycles"),
            }
        }
        let base = config.base_tokens();
        let index = CycleIndex::new(&graph, &base, config.max_hops);
        let sizing = base.iter().map(|b| (*b, config.sizing(b))).collect();
        tracing::info!(cycles = index.len(), pools = graph.len(), "arbitrage cycles indexed");
        Some(Self { index, sizing, all_next: true })
    }

    /// The cycle index.
    pub(crate) const fn index(&self) -> &CycleIndex {
        &self.index
    }

    /// Sizes every cycle at the next block.
    pub(crate) fn reset(&mut self) {
        self.all_next = true;
    }

    /// Sizes the cycles through `changed` (every cycle after a reset) on the snapshots of
    /// `reserves` at `block`.
    pub(crate) fn run(
        &mut self,
        reserves: &ReserveCache,
        changed: &[Address],
        block: u64,
    ) -> ArbitrageDone {
        let ids = if std::mem::take(&mut self.all_next) {
            self.index.iter().map(|(id, _)| id).collect()
        } else {
            self.index.touched(changed)
        };
        let mut done = ArbitrageDone::default();
        if ids.is_empty() {
            return done;
        }
        // One consistent snapshot per pool for the whole block, looked up once, shared by
        // every cycle through it.
        let mut view = BlockView::new(&self.index, |a: &Address| usable(reserves, a, block));
        for id in ids {
            let Some(cycle) = self.index.get(id) else { continue };
            let Some(sizing) = self.sizing.get(&cycle.base()) else { continue };
            match view.size(id, sizing) {
                Ok(found) => {
                    done.evaluated += 1;
                    if let Some(arb) = found {
                        done.opportunities.push(ArbitrageOpportunity::new(block, &arb));
                    }
                }
                Err(_) => done.skipped += 1,
            }
        }
        let path = |o: &ArbitrageOpportunity| -> Vec<(Address, Address)> {
            o.hops.iter().map(|h| (h.pool, h.token_in)).collect()
        };
        done.opportunities
            .sort_by(|a, b| b.net_profit.cmp(&a.net_profit).then_with(|| path(a).cmp(&path(b))));
        done
    }
}

/// `pool`'s cached state if it holds at `block`: a block-bound one (a dynamic fee, an amp
/// ramp) only when read at `block`.
fn usable(reserves: &ReserveCache, pool: &Address, block: u64) -> Option<Arc<PoolSnapshot>> {
    let s = reserves.peek(pool)?;
    (s.state.valid_for() != Some(0) || s.block == block).then_some(s)
}
