//! [`FollowConfig`]: how a live follower treats its node — timeouts, retries, stalls,
//! shutdown.

use mev_chain::RetryConfig;
use serde::{Deserialize, Serialize};

use crate::{BotError, Result};

/// How `mev-bot run` and `record` follow the chain (the `[follow]` table). Every field has a
/// default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FollowConfig {
    /// Longest wait for one JSON-RPC answer, milliseconds; then the call fails as a timeout
    /// (and is retried). Default 10,000.
    pub request_timeout_ms: u64,
    /// Retries of transient node errors (rate limits, 5xx, timeouts, dropped connections,
    /// truncated answers, "header not found").
    pub retry: RetryConfig,
    /// The chain's block time, milliseconds (Base and Optimism 2,000; Arbitrum 250; Ethereum
    /// 12,000). Default 2,000.
    pub block_time_ms: u64,
    /// A head that has not advanced for this many block times is a stall: logged and exported
    /// (`mev_bot_head_stalled` = 1) until it advances. Default 10.
    pub stall_blocks: u64,
    /// After SIGINT, SIGTERM or SIGHUP, how long the block in flight may take before it is
    /// abandoned, milliseconds. Default 10,000.
    pub shutdown_grace_ms: u64,
}

impl Default for FollowConfig {
    fn default() -> Self {
        Self {
            request_timeout_ms: 10_000,
            retry: RetryConfig::default(),
            block_time_ms: 2_000,
            stall_blocks: 10,
            shutdown_grace_ms: 10_000,
        }
    }
}

/// One hour, milliseconds: the longest any configured wait may be.
const MAX_MS: u64 = 3_600_000;

impl FollowConfig {
    /// Fails with [`BotError::Config`] naming a value out of range: waits of 1 ms to an hour,
    /// 1 to 100 attempts, a stall multiple of 1 to 10,000 blocks.
    pub fn validate(&self) -> Result<()> {
        let range = |what: &str, v: u64, lo: u64, hi: u64| {
            if (lo..=hi).contains(&v) {
                Ok(())
            } else {
                Err(BotError::Config {
                    reason: format!("follow.{what} = {v} is not in {lo}..={hi}"),
                })
            }
        };
        range("request_timeout_ms", self.request_timeout_ms, 1, MAX_MS)?;
        range("block_time_ms", self.block_time_ms, 1, MAX_MS)?;
        range("stall_blocks", self.stall_blocks, 1, 10_000)?;
        range("shutdown_grace_ms", self.shutdown_grace_ms, 0, MAX_MS)?;
        range("retry.max_attempts", u64::from(self.retry.max_attempts), 1, 100)?;
        range("retry.initial_backoff_ms", self.retry.initial_backoff_ms, 1, MAX_MS)?;
        range("retry.max_backoff_ms", self.retry.max_backoff_ms, 1, MAX_MS)?;
        Ok(())
    }

    /// How long the head may stand still before it is a stall.
    pub fn stall_after(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.block_time_ms.saturating_mul(self.stall_blocks))
    }
}
