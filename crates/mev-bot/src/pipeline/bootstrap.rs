//! The starting state at one block: every market's borrowers (mev-rebuild's discovery plus the
//! store's), their positions, the prices, every pool.

use std::{collections::HashMap, time::Instant};

use alloy_primitives::Address;
use mev_chain::BlockHeader;
use mev_rebuild::{RebuildConfig, discover_borrowers};
use mev_reserve_cache::PoolKey;

use super::{
    Pipeline,
    journal::Journal,
    state::{MarketState, Tracked},
};
use crate::{BotError, Result, telemetry};

impl Pipeline {
    /// Loads the starting state at block `head`: discovers every market's borrowers from its
    /// logs (ranges split and backed off by mev-rebuild, `log_range` blocks per request) plus
    /// those already in the store, reads their positions in batches, writes the ones with debt
    /// to the store (removing the rest) keeping stored streaks, reads prices, and reads every
    /// pool.
    pub(crate) async fn bootstrap(&mut self, head: BlockHeader) -> Result<()> {
        let started = Instant::now();
        let stored = self.store.get_all().await.map_err(BotError::store("reading the store"))?;
        let discovery =
            RebuildConfig { chunk_blocks: self.config.log_range, ..RebuildConfig::default() };
        for m in &mut self.markets {
            // Stored streaks by user: they survive a restart.
            let streaks: HashMap<Address, u64> = stored
                .iter()
                .filter(|p| p.protocol == m.name)
                .map(|p| (p.user, p.blocks_unhealthy))
                .collect();
            let mut users = discover_borrowers(
                &*self.reader,
                &*m.protocol,
                m.protocol.start_block(),
                head.number,
                &discovery,
            )
            .await
            .map_err(BotError::market(format!("discovering {} borrowers", m.name)))?;
            users.extend(streaks.keys().copied());
            let users: Vec<Address> = users.into_iter().collect();
            load_market(m, &*self.reader, &*self.store, &users, &streaks, head.number).await?;
        }
        // Sorted: the same pools give the same requests (a replay answers them by content).
        let mut pools: Vec<PoolKey> = self.routes.pools.values().cloned().collect();
        pools.sort_unstable_by_key(|k| k.address);
        for (key, r) in pools.iter().zip(self.reserves.warm(&pools, head.number).await) {
            r.map_err(|source| BotError::Pool {
                context: format!("reading pool {} at block {}", key.address, head.number),
                source,
            })?;
        }
        self.journal = Journal::new(head);
        self.swept_at = head.timestamp;
        tracing::info!(
            block = head.number,
            positions = self.positions(),
            pools = self.routes.pools.len(),
            ms = started.elapsed().as_millis() as u64,
            "bootstrapped"
        );
        telemetry::record_positions(self.tracked().map(|(_, _, h)| h.health_factor));
        Ok(())
    }
}

/// Reads `users` of `m` at `block`, tracks and stores those with debt (with their stored
/// streak), removes stored ones without, and reads the prices.
async fn load_market(
    m: &mut MarketState,
    reader: &dyn mev_chain::ChainReader,
    store: &dyn mev_position_cache::PositionStore,
    users: &[Address],
    streaks: &HashMap<Address, u64>,
    block: u64,
) -> Result<()> {
    let read = if users.is_empty() {
        Vec::new()
    } else {
        m.protocol
            .read_positions(reader, users, block)
            .await
            .map_err(BotError::market(format!("reading {} positions", m.name)))?
    };
    let mut writes = Vec::new();
    for cp in read {
        let user = cp.position.user;
        if cp.has_debt() {
            let t =
                Tracked { chain: cp, blocks_unhealthy: streaks.get(&user).copied().unwrap_or(0) };
            writes.push(t.stored(block));
            m.replace(user, Some(t));
        } else if streaks.contains_key(&user) {
            store
                .remove(&m.name, user)
                .await
                .map_err(BotError::store("removing a closed position"))?;
        }
    }
    store.upsert_many(&writes).await.map_err(BotError::store("writing positions"))?;
    m.prices = m
        .protocol
        .read_prices(reader, block)
        .await
        .map_err(BotError::market(format!("reading {} prices", m.name)))?;
    Ok(())
}
