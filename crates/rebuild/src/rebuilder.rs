//! [`Rebuilder`]: discovery, batched reads, writes and checkpoints; the cache's
//! [`RebuildHook`].

use std::{
    collections::{BTreeMap, BTreeSet},
    fmt,
    sync::{Arc, atomic::AtomicUsize},
    time::{Duration, Instant},
};

use alloy_primitives::Address;
use async_trait::async_trait;
use mev_position_cache::{PositionStore, RebuildHook, StoreError};
use serde::{Deserialize, Serialize};

use crate::{
    config::RebuildConfig, discovery::discover_borrowers, error::Result, protocol::LendingProtocol,
};
use mev_chain::{ChainReader, Counted};

/// Rebuilds a [`PositionStore`] from chain for one or more lending protocols, resuming from
/// each protocol's checkpoint, and reconciles the cache with the chain
/// ([`reconcile`](Self::reconcile)).
///
/// Per protocol, a run scans `max(checkpoint + 1, start_block)..=head` in windows of
/// [`RebuildConfig::checkpoint_blocks`]; for each window it reads the positions of the
/// borrowers found (not yet read in this run) at `head`, writes those with debt through
/// [`PositionStore::upsert_many`], removes cached ones without debt, then records the window's
/// last block with [`PositionStore::set_checkpoint`]. Re-running is idempotent.
pub struct Rebuilder {
    /// The caller's reader, wrapped to count what each run costs.
    pub(crate) reader: Counted<Arc<dyn ChainReader>>,
    pub(crate) protocols: Vec<Arc<dyn LendingProtocol>>,
    pub(crate) config: RebuildConfig,
    /// Where the rolling reconciliation sample continues.
    pub(crate) sample_cursor: AtomicUsize,
}

impl fmt::Debug for Rebuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rebuilder")
            .field("reader", self.reader.inner())
            .field("protocols", &self.protocols.iter().map(|p| p.name()).collect::<Vec<_>>())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// What one rebuild run did, summed over protocols.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RebuildReport {
    /// The block positions were read at (the head when the run started), block number.
    pub head_block: u64,
    /// Blocks whose logs were scanned (not counting blocks skipped thanks to a checkpoint).
    pub blocks_scanned: u64,
    /// Distinct borrowers named by the scanned logs.
    pub users_found: usize,
    /// Positions with debt written to the store.
    pub positions_written: usize,
    /// Cached positions removed because the user no longer owes anything.
    pub positions_removed: usize,
    /// JSON-RPC requests made (log scan and reads), counted by a [`Counted`] around the reader.
    pub requests: u64,
    /// Of which `eth_getLogs` (retries and splits included).
    pub log_requests: u64,
    /// Wall time of the run.
    pub duration: Duration,
}

impl Rebuilder {
    /// A rebuilder over `reader` for `protocols`.
    ///
    /// Fails with [`RebuildError::Config`](crate::RebuildError::Config) when `config` is invalid.
    pub fn new(
        reader: Arc<dyn ChainReader>,
        protocols: Vec<Arc<dyn LendingProtocol>>,
        config: RebuildConfig,
    ) -> Result<Self> {
        config.validate()?;
        Ok(Self {
            reader: Counted::new(reader),
            protocols,
            config,
            sample_cursor: AtomicUsize::new(0),
        })
    }

    /// The configuration.
    pub const fn config(&self) -> &RebuildConfig {
        &self.config
    }

    /// The chain reader.
    pub const fn reader(&self) -> &Arc<dyn ChainReader> {
        self.reader.inner()
    }

    /// The protocols rebuilt.
    pub fn protocols(&self) -> &[Arc<dyn LendingProtocol>] {
        &self.protocols
    }

    /// Runs a rebuild into `store`, resuming each protocol from its checkpoint.
    ///
    /// A checkpoint vouches for the positions written before it only while they live: positions
    /// expire with the store's TTL, checkpoints do not. A protocol that has a checkpoint but no
    /// live position in the store (an interrupted run resumed after the TTL, a store that lost
    /// its data) is therefore rebuilt from its start block. When the store's contents cannot be
    /// trusted at all, use [`run_full`](Self::run_full).
    pub async fn run(&self, store: &dyn PositionStore) -> Result<RebuildReport> {
        self.run_with(store, false).await
    }

    /// Runs a rebuild of every protocol from its start block, ignoring checkpoints (and
    /// rewriting them as it goes). This is what [`RebuildHook::rebuild`] does after an outage
    /// of the store, when positions written before a checkpoint may be gone.
    pub async fn run_full(&self, store: &dyn PositionStore) -> Result<RebuildReport> {
        self.run_with(store, true).await
    }

    async fn run_with(&self, store: &dyn PositionStore, full: bool) -> Result<RebuildReport> {
        let started = Instant::now();
        let requests_before = self.reader.requests();
        let head = match self.config.to_block {
            Some(b) => b,
            None => self.reader.block_number().await?,
        };
        let mut report = RebuildReport { head_block: head, ..RebuildReport::default() };
        // Live positions per protocol, read (one store scan) for the first checkpoint met.
        let mut live = None;
        for protocol in &self.protocols {
            self.run_protocol(protocol.as_ref(), store, head, full, &mut live, &mut report).await?;
        }
        report.requests = self.reader.requests() - requests_before;
        report.duration = started.elapsed();
        tracing::info!(?report, "rebuild finished");
        Ok(report)
    }

    async fn run_protocol(
        &self,
        protocol: &dyn LendingProtocol,
        store: &dyn PositionStore,
        head: u64,
        full: bool,
        live: &mut Option<BTreeMap<String, u64>>,
        report: &mut RebuildReport,
    ) -> Result<()> {
        let name = protocol.name();
        let checkpoint = if full { None } else { store.checkpoint(name).await? };
        let resume = match checkpoint {
            Some(block) => {
                let per_protocol = match live {
                    Some(counts) => counts,
                    None => live.insert(store.stats().await?.per_protocol),
                };
                if per_protocol.get(name).copied().unwrap_or(0) == 0 {
                    tracing::warn!(
                        protocol = name,
                        checkpoint = block,
                        "checkpoint without live positions in the store: rebuilding from the start block"
                    );
                    None
                } else {
                    Some(block.saturating_add(1))
                }
            }
            None => None,
        };
        let start = resume.unwrap_or(0).max(protocol.start_block());
        if start > head {
            return Ok(());
        }
        let mut seen = BTreeSet::<Address>::new();
        let mut window_start = start;
        while window_start <= head {
            let window_end =
                window_start.saturating_add(self.config.checkpoint_blocks - 1).min(head);
            let before = self.reader.log_requests();
            let found =
                discover_borrowers(&self.reader, protocol, window_start, window_end, &self.config)
                    .await?;
            report.log_requests += self.reader.log_requests() - before;
            report.blocks_scanned += window_end - window_start + 1;
            let new: Vec<Address> = found.into_iter().filter(|u| seen.insert(*u)).collect();
            if !new.is_empty() {
                let positions = protocol.read_positions(&self.reader, &new, head).await?;
                let (with_debt, without): (Vec<_>, Vec<_>) =
                    positions.into_iter().partition(|p| p.has_debt());
                let records: Vec<_> = with_debt.into_iter().map(|p| p.position).collect();
                store.upsert_many(&records).await?;
                report.positions_written += records.len();
                for p in without {
                    if store.remove(name, p.position.user).await? {
                        report.positions_removed += 1;
                    }
                }
            }
            store.set_checkpoint(name, window_end).await?;
            if window_end == u64::MAX {
                break;
            }
            window_start = window_end + 1;
        }
        report.users_found += seen.len();
        Ok(())
    }
}

#[async_trait]
impl RebuildHook for Rebuilder {
    /// A full rebuild ([`Rebuilder::run_full`]): after an outage the store may have lost
    /// positions its checkpoints vouch for.
    async fn rebuild(&self, store: &dyn PositionStore) -> mev_position_cache::Result<()> {
        self.run_full(store).await.map(|_| ()).map_err(StoreError::rebuild)
    }
}
