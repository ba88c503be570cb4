//! The [`PositionStore`] role, its paging and statistics types, and the [`RebuildHook`] role.

use std::{collections::BTreeMap, fmt};

use alloy_primitives::Address;
use async_trait::async_trait;
use auto_impl::auto_impl;
use futures::stream::{self, BoxStream, StreamExt};

use crate::{error::Result, position::Position};

/// Default number of positions a [`PositionStore::get_all`] page asks for.
pub const DEFAULT_PAGE_SIZE: usize = 1_000;

/// A cache of open lending positions shared by a liquidation bot's processes.
///
/// Implementations: [`InMemoryPositionStore`](crate::InMemoryPositionStore) (embedded default),
/// `RedisPositionStore` and `FailoverPositionStore` (feature `redis`). Held as
/// `Arc<dyn PositionStore>`.
///
/// Every write refreshes the position's time-to-live; expired positions are never returned.
/// Positions are addressed by `(protocol, user)`.
#[async_trait]
#[auto_impl(&, Arc, Box)]
pub trait PositionStore: Send + Sync + fmt::Debug {
    /// Short backend name used in logs, metrics labels and [`StoreStats::backend`]
    /// (`"memory"`, `"redis"`, `"failover"`).
    fn backend(&self) -> &'static str;

    /// Checks that the backend answers (Redis: `PING`).
    async fn ping(&self) -> Result<()>;

    /// The live position of `user` on `protocol`, if any.
    async fn get(&self, protocol: &str, user: Address) -> Result<Option<Position>>;

    /// One page of a full scan. Start with [`ScanCursor::start`] and pass each returned
    /// [`ScanPage::next`] back until it is `None`. Like Redis `SCAN`, `count` is a hint: a page may
    /// hold fewer (even zero) or more positions; every position live for the whole scan is
    /// returned at least once. Values that fail to parse are skipped and counted.
    async fn scan_page(&self, cursor: ScanCursor, count: usize) -> Result<ScanPage>;

    /// Every live position. Values that fail to parse are skipped, counted in
    /// [`StoreStats::corrupt_skipped_total`] and logged; they never fail the call.
    async fn get_all(&self) -> Result<Vec<Position>> {
        let mut out = Vec::new();
        let mut cursor = ScanCursor::start();
        loop {
            let page = self.scan_page(cursor, DEFAULT_PAGE_SIZE).await?;
            out.extend(page.positions);
            match page.next {
                Some(next) => cursor = next,
                None => return Ok(out),
            }
        }
    }

    /// Writes `position`, keeping the stored streak ([`Position::blocks_unhealthy`] and
    /// [`Position::last_health_block`]) when the position already exists (the given values are
    /// used only for a new position). Refreshes the TTL.
    async fn upsert(&self, position: &Position) -> Result<()>;

    /// [`upsert`](Self::upsert) for many positions, batched (pipelined on Redis). Not atomic as
    /// a whole; each position is.
    async fn upsert_many(&self, positions: &[Position]) -> Result<()> {
        for position in positions {
            self.upsert(position).await?;
        }
        Ok(())
    }

    /// Writes positions exactly as given, `blocks_unhealthy` included, replacing whatever is
    /// stored. Used to write state back after an outage and to restore snapshots.
    async fn restore_many(&self, positions: &[Position]) -> Result<()>;

    /// Records one health verdict of `user`'s position at `block` (a block number), atomically,
    /// counting each block once by the rule of [`Position::record_health`]: healthy resets
    /// `blocks_unhealthy` to 0; unhealthy at the block after `last_health_block` adds one; the
    /// same block again does not count twice; an older block is ignored; after a skipped block
    /// the streak restarts at 1. Sets `last_health_block`, moves `last_update_block` up to
    /// `block` and refreshes the TTL. Several processes reporting the same blocks therefore keep
    /// one process's streak. Returns the resulting `blocks_unhealthy` (the stored one when the
    /// verdict is ignored), or `None` when no such position is stored.
    async fn update_health(
        &self,
        protocol: &str,
        user: Address,
        is_healthy: bool,
        block: u64,
    ) -> Result<Option<u64>>;

    /// Deletes a position. Returns whether one was stored.
    async fn remove(&self, protocol: &str, user: Address) -> Result<bool>;

    /// Counts over the live positions (a full scan on Redis).
    async fn stats(&self) -> Result<StoreStats>;

    /// The last block a rebuild scanned for `protocol`, if one was recorded. Checkpoints do not
    /// expire.
    async fn checkpoint(&self, protocol: &str) -> Result<Option<u64>>;

    /// Records the last block a rebuild scanned for `protocol`.
    async fn set_checkpoint(&self, protocol: &str, block: u64) -> Result<()>;

    /// Every live position as a stream of `page_size`-hinted pages flattened, for sets too large
    /// to hold at once.
    fn stream(&self, page_size: usize) -> BoxStream<'_, Result<Position>> {
        let pages = stream::unfold(Some(ScanCursor::start()), move |cursor| async move {
            let cursor = cursor?;
            match self.scan_page(cursor, page_size).await {
                Ok(page) => {
                    let items = page.positions.into_iter().map(Ok).collect::<Vec<_>>();
                    Some((stream::iter(items), page.next))
                }
                Err(e) => Some((stream::iter(vec![Err(e)]), None)),
            }
        });
        pages.flatten().boxed()
    }
}

/// Rebuilds a cache from chain after the cache lost data; called by
/// `FailoverPositionStore` once per reconnect, after its outage write-back. The rebuild crate
/// implements it.
#[async_trait]
#[auto_impl(&, Arc, Box)]
pub trait RebuildHook: Send + Sync + fmt::Debug {
    /// Repopulates `store` (for example from each protocol's [`PositionStore::checkpoint`]
    /// onwards). Errors are logged and counted by the caller; wrap foreign errors with
    /// [`StoreError::rebuild`](crate::StoreError::rebuild).
    async fn rebuild(&self, store: &dyn PositionStore) -> Result<()>;
}

/// Where a [`PositionStore::scan_page`] scan stands. Opaque; valid only for the store that
/// returned it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ScanCursor(pub(crate) CursorState);

#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub(crate) enum CursorState {
    #[default]
    Start,
    /// Redis: `SCAN` cursor on the `node`-th primary (sorted by address).
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    Node { node: usize, cursor: u64 },
    /// Memory: last `(user, protocol)` returned.
    After { user: Address, protocol: String },
}

impl ScanCursor {
    /// The cursor that starts a scan.
    pub const fn start() -> Self {
        Self(CursorState::Start)
    }

    /// Whether this cursor starts a scan.
    pub const fn is_start(&self) -> bool {
        matches!(self.0, CursorState::Start)
    }
}

/// One page of a [`PositionStore::scan_page`] scan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScanPage {
    /// Positions in this page (possibly none).
    pub positions: Vec<Position>,
    /// Cursor for the next page; `None` when the scan is complete.
    pub next: Option<ScanCursor>,
}

/// Counts returned by [`PositionStore::stats`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoreStats {
    /// The backend that answered (`"memory"`, `"redis"`, `"failover"`).
    pub backend: &'static str,
    /// Live positions.
    pub total: u64,
    /// Live positions per protocol.
    pub per_protocol: BTreeMap<String, u64>,
    /// Whether the primary backend (Redis) is reachable; always `true` for memory.
    pub connected: bool,
    /// Highest `last_update_block` among live positions (block number; 0 when empty).
    pub current_block: u64,
    /// Values under the namespace that failed to parse in this stats scan.
    pub corrupt: u64,
    /// Values skipped as unparsable by reads since this store was created.
    pub corrupt_skipped_total: u64,
    /// Changes made during an outage not yet written back to the primary (failover only).
    pub pending_writes: u64,
}

impl StoreStats {
    /// Empty statistics for `backend`, for implementors outside this crate.
    pub const fn new(backend: &'static str, connected: bool) -> Self {
        Self {
            backend,
            total: 0,
            per_protocol: BTreeMap::new(),
            connected,
            current_block: 0,
            corrupt: 0,
            corrupt_skipped_total: 0,
            pending_writes: 0,
        }
    }

    /// Counts one live position.
    pub fn record(&mut self, position: &Position) {
        self.total += 1;
        self.current_block = self.current_block.max(position.last_update_block);
        if let Some(n) = self.per_protocol.get_mut(&position.protocol) {
            *n += 1;
        } else {
            self.per_protocol.insert(position.protocol.clone(), 1);
        }
    }
}
