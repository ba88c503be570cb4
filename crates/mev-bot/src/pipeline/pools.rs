//! Stage 2, pools: events applied to the reserve cache in place; pools an event invalidated (or
//! the cache no longer holds) read in one batch at the block, after its events.

use std::collections::HashSet;

use alloy_primitives::Address;
use mev_reserve_cache::{Applied, PoolKey, ReserveCache};

use super::decode::{Routed, Routes};

/// What the pool stage did.
#[derive(Debug, Default)]
pub(crate) struct PoolsDone {
    pub(crate) updated: usize,
    pub(crate) fetched: usize,
    /// Pools the block's events touched, sorted (what a rollback invalidates).
    pub(crate) touched: Vec<Address>,
    /// Pools whose state this block may have changed: the touched ones and every one read,
    /// sorted.
    pub(crate) changed: Vec<Address>,
}

/// Applies the block's pool events and reads what needs reading at block `block`.
/// `needs_fetch` carries pools whose read failed (or that were rolled back) to later blocks.
pub(crate) async fn update(
    reserves: &ReserveCache,
    routes: &Routes,
    needs_fetch: &mut HashSet<Address>,
    routed: &Routed,
    block: u64,
) -> PoolsDone {
    let mut done = PoolsDone::default();
    for &(i, pool) in &routed.pool_events {
        done.touched.push(pool);
        match reserves.apply(&routed.decoded[i]) {
            Applied::Updated => done.updated += 1,
            Applied::Invalidated => {
                needs_fetch.insert(pool);
            }
            Applied::Unchanged => {}
        }
    }
    done.touched.sort_unstable();
    done.touched.dedup();
    // Read every pool this block changed, and every watched pool the cache no longer holds
    // (invalidated, expired, rolled back): a hit when the events kept it current, else one
    // batched read at this block, after its events.
    for p in &done.touched {
        if reserves.cached(p).is_none() {
            needs_fetch.insert(*p);
        }
    }
    for p in routes.pools.keys() {
        if !needs_fetch.contains(p) && reserves.peek(p).is_none() {
            needs_fetch.insert(*p);
        }
    }
    if !needs_fetch.is_empty() {
        let mut keys: Vec<PoolKey> =
            needs_fetch.iter().filter_map(|a| routes.pools.get(a).cloned()).collect();
        keys.sort_unstable_by_key(|k| k.address);
        done.changed.extend(keys.iter().map(|k| k.address));
        for r in reserves.warm(&keys, block).await {
            match r {
                Ok(_) => done.fetched += 1,
                Err(e) => {
                    tracing::warn!(block, error = %e, "pool read failed; retried next block");
                }
            }
        }
        needs_fetch.retain(|a| reserves.peek(a).is_none());
    }
    done.changed.extend(done.touched.iter().copied());
    done.changed.sort_unstable();
    done.changed.dedup();
    done
}
