//! [`RebuildConfig`]: how a rebuild scans and checkpoints.

use serde::{Deserialize, Serialize};

use crate::error::{RebuildError, Result};

/// How a [`Rebuilder`](crate::Rebuilder) scans logs, checkpoints and reconciles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RebuildConfig {
    /// Blocks per `eth_getLogs` request before any split. Default 2,000 (public RPCs accept
    /// 1,000–10,000); rejected ranges are halved until accepted.
    pub chunk_blocks: u64,
    /// Blocks scanned between checkpoints: the borrowers found in each window are read and
    /// written, then the window's last block is recorded. Default 100,000.
    pub checkpoint_blocks: u64,
    /// Most log requests in flight at once. Default 4.
    pub max_concurrent_requests: usize,
    /// Retries of one log range after rate-limit errors. Default 8.
    pub max_retries: u32,
    /// First backoff after a rate-limit error, milliseconds; doubles per retry. Default 200.
    pub initial_backoff_ms: u64,
    /// Longest backoff, milliseconds. Default 10,000.
    pub max_backoff_ms: u64,
    /// Last block to scan and the block positions are read at; `None` = the chain head when
    /// the run starts.
    pub to_block: Option<u64>,
    /// Reconciliation: a position whose largest leg or health-factor difference exceeds this
    /// many basis points marks the run diverged. Default 10.
    pub divergence_threshold_bps: u64,
    /// Reconciliation: positions compared per run (a rolling sample through the cache);
    /// `None` = all. Default `None`.
    pub reconcile_sample: Option<usize>,
}

impl Default for RebuildConfig {
    fn default() -> Self {
        Self {
            chunk_blocks: 2_000,
            checkpoint_blocks: 100_000,
            max_concurrent_requests: 4,
            max_retries: 8,
            initial_backoff_ms: 200,
            max_backoff_ms: 10_000,
            to_block: None,
            divergence_threshold_bps: 10,
            reconcile_sample: None,
        }
    }
}

impl RebuildConfig {
    /// Checks the values: block counts and concurrency at least 1.
    pub fn validate(&self) -> Result<()> {
        if self.chunk_blocks == 0 {
            return Err(RebuildError::config("chunk_blocks", "must be at least 1"));
        }
        if self.checkpoint_blocks == 0 {
            return Err(RebuildError::config("checkpoint_blocks", "must be at least 1"));
        }
        if self.max_concurrent_requests == 0 {
            return Err(RebuildError::config("max_concurrent_requests", "must be at least 1"));
        }
        if self.reconcile_sample == Some(0) {
            return Err(RebuildError::config("reconcile_sample", "must be at least 1"));
        }
        Ok(())
    }
}
