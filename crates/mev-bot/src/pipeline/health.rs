//! Stage 5, health and opportunities: re-read positions replace the tracked ones (each change
//! journaled), are written to the store, verdicts recorded where the streak can change, and a
//! position whose streak reaches the confirmation count becomes an [`Opportunity`].

use alloy_primitives::Address;
use futures::future::join_all;
use mev_position_cache::{Position, PositionStore};
use mev_rebuild::ChainPosition;

use super::{
    journal::Change,
    state::{MarketState, Tracked},
};
use crate::{BotError, Opportunity, Result};

/// What recording one batch of re-read positions did.
#[derive(Debug, Default)]
pub(crate) struct Recorded {
    pub(crate) changes: Vec<Change>,
    pub(crate) refreshed: usize,
    pub(crate) removed: usize,
    pub(crate) opportunities: Vec<Opportunity>,
    /// Re-read positions that differed from the pipeline's copy by more than
    /// [`DIVERGENCE_BPS`] (counted by the sweep only).
    pub(crate) diverged: usize,
}

/// How far (bps, [`mev_rebuild::divergence`]) a position the sweep re-reads may be from the
/// pipeline's copy before it counts as diverged: `mev-bot rebuild`'s reconciliation threshold
/// ([`mev_rebuild::RebuildConfig`]'s default). A copy kept by events differs by interest only
/// (a few bps a day at most between re-reads 30 s apart: nothing).
pub(crate) const DIVERGENCE_BPS: u64 = 10;

/// The positions of `users` (re-read as `read`, in order) that differ from `m`'s copies by more
/// than [`DIVERGENCE_BPS`]: a missed event, an unwatched price feed, a bug. Each is logged.
pub(crate) fn diverged(m: &MarketState, users: &[Address], read: &[ChainPosition]) -> usize {
    let mut n = 0;
    for (user, chain) in users.iter().zip(read) {
        let Some(tracked) = m.get(user) else { continue };
        let (bps, field) = mev_rebuild::divergence(&tracked.chain.position, &chain.position);
        if bps > DIVERGENCE_BPS {
            n += 1;
            tracing::warn!(
                market = %m.name, user = %user, bps, field,
                "the sweep found a position that differs from the pipeline's copy"
            );
        }
    }
    n
}

/// Applies `read` (positions of `m` read at block `block`) to the tracked state and the store.
///
/// Every re-read position is written (the write refreshes its TTL); a position without debt is
/// removed. A verdict goes to [`PositionStore::update_health`] — the one unhealthy streak —
/// where it can change the streak (unhealthy now, or unhealthy before), once per block. A
/// streak reaching `confirmations` is an opportunity (and so is every longer one when
/// `every_block`).
pub(crate) async fn record(
    m: &mut MarketState,
    store: &dyn PositionStore,
    read: Vec<ChainPosition>,
    block: u64,
    confirmations: u64,
    every_block: bool,
) -> Result<Recorded> {
    let mut out = Recorded { refreshed: read.len(), ..Recorded::default() };
    let mut writes: Vec<Position> = Vec::with_capacity(read.len());
    let mut verdicts: Vec<(Address, bool)> = Vec::new();
    let mut removed = Vec::new();
    for cp in read {
        let user = cp.position.user;
        let streak = m.get(&user).map(|t| t.blocks_unhealthy);
        if cp.has_debt() {
            let blocks_unhealthy = streak.unwrap_or(0);
            let healthy = !cp.health.liquidatable;
            let next = Tracked { chain: cp, blocks_unhealthy };
            writes.push(next.stored(block));
            if (!healthy || blocks_unhealthy > 0) && m.checked.insert(user) {
                verdicts.push((user, healthy));
            }
            out.changes.push(m.replace(user, Some(next)));
        } else if streak.is_some() {
            removed.push(user);
            out.changes.push(m.replace(user, None));
        }
        // Never tracked and still without debt: nothing to do or undo.
    }
    for u in &removed {
        store.remove(&m.name, *u).await.map_err(BotError::store("removing a closed position"))?;
    }
    out.removed = removed.len();
    if !writes.is_empty() {
        store.upsert_many(&writes).await.map_err(BotError::store("writing positions"))?;
    }
    let name = &m.name;
    let counts = join_all(verdicts.iter().map(|&(user, healthy)| async move {
        (user, store.update_health(name, user, healthy, block).await)
    }))
    .await;
    for (user, result) in counts {
        let count = result.map_err(BotError::store("recording health"))?.unwrap_or(0);
        m.set_streak(user, count);
        if (count == confirmations || (every_block && count > confirmations))
            && let Some(t) = m.get(&user)
        {
            out.opportunities.push(opportunity(m, block, t));
        }
    }
    Ok(out)
}

fn opportunity(m: &MarketState, block: u64, t: &Tracked) -> Opportunity {
    let health = &t.chain.health;
    Opportunity::Liquidation(crate::LiquidationOpportunity {
        block,
        protocol: m.name.clone(),
        user: t.chain.position.user,
        health_factor: health.health_factor.wad(),
        blocks_unhealthy: t.blocks_unhealthy,
        collateral_value: health.collateral_value,
        debt_value: health.debt_value,
        liquidation: m.protocol.best_liquidation(&t.chain).map(Into::into),
    })
}
