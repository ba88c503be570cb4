//! [`Retry`]: a [`ChainReader`] wrapper that retries transient failures with exponential
//! backoff and jitter.

use std::{
    future::Future,
    sync::atomic::{AtomicU64, Ordering::Relaxed},
    time::Duration,
};

use alloy_primitives::{Address, Bytes};
use alloy_rpc_types_eth::{Filter, Log};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::{BlockHeader, ChainReader, Result};

/// How [`Retry`] retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetryConfig {
    /// Attempts per call, the first included (at least 1). Default 8.
    pub max_attempts: u32,
    /// Backoff before the first retry, milliseconds; doubles per retry. Default 100.
    pub initial_backoff_ms: u64,
    /// Longest backoff, milliseconds (also caps a node's `Retry-After`). Default 5,000.
    pub max_backoff_ms: u64,
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self { max_attempts: 8, initial_backoff_ms: 100, max_backoff_ms: 5_000 }
    }
}

/// Retries the calls of the reader it wraps that fail with a
/// [retryable](crate::ChainError::is_retryable) error — rate limits (after the node's
/// `Retry-After` when it gives one), timeouts, transport failures, truncated answers, node
/// hiccups such as "header not found" — up to [`RetryConfig::max_attempts`] times, sleeping an
/// exponentially growing, jittered backoff between attempts. Each retry is logged and counted
/// (`chain_retries_total{method, kind}`); other errors (a revert, a range too large) return at
/// once.
#[derive(Debug)]
pub struct Retry<R> {
    inner: R,
    config: RetryConfig,
    retries: AtomicU64,
    seed: AtomicU64,
}

impl<R> Retry<R> {
    /// Retries calls through `inner` as `config` says.
    pub fn new(inner: R, config: RetryConfig) -> Self {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0x9E37_79B9_7F4A_7C15, |d| d.as_nanos() as u64)
            | 1;
        Self { inner, config, retries: AtomicU64::new(0), seed: AtomicU64::new(seed) }
    }

    /// Retries made so far.
    pub fn retries(&self) -> u64 {
        self.retries.load(Relaxed)
    }

    /// The wrapped reader.
    pub const fn inner(&self) -> &R {
        &self.inner
    }

    /// A uniform random fraction in [0.5, 1.0) of `d` ("equal jitter"), from a xorshift
    /// generator: retries of many callers do not fall in step.
    fn jitter(&self, d: Duration) -> Duration {
        let mut x = self.seed.load(Relaxed);
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.seed.store(x, Relaxed);
        let frac = 0.5 + (x >> 11) as f64 / (1u64 << 53) as f64 / 2.0;
        d.mul_f64(frac)
    }

    async fn run<T, F, Fut>(&self, method: &'static str, mut call: F) -> Result<T>
    where
        F: FnMut() -> Fut + Send,
        Fut: Future<Output = Result<T>> + Send,
    {
        let max = Duration::from_millis(self.config.max_backoff_ms);
        let mut backoff = Duration::from_millis(self.config.initial_backoff_ms).min(max);
        let mut attempt = 1;
        loop {
            match call().await {
                Ok(v) => return Ok(v),
                Err(e) if e.is_retryable() && attempt < self.config.max_attempts.max(1) => {
                    let delay =
                        e.retry_after().map_or_else(|| self.jitter(backoff), |d| d.min(max));
                    self.retries.fetch_add(1, Relaxed);
                    metrics::counter!("chain_retries_total", "method" => method, "kind" => e.kind().as_str())
                        .increment(1);
                    tracing::warn!(
                        method,
                        attempt,
                        delay_ms = delay.as_millis() as u64,
                        error = %e,
                        "transient node error; retrying"
                    );
                    tokio::time::sleep(delay).await;
                    backoff = (backoff * 2).min(max);
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }
}

#[async_trait]
impl<R: ChainReader> ChainReader for Retry<R> {
    async fn block_number(&self) -> Result<u64> {
        self.run("eth_blockNumber", || self.inner.block_number()).await
    }

    async fn header(&self, number: u64) -> Result<Option<BlockHeader>> {
        self.run("eth_getBlockByNumber", || self.inner.header(number)).await
    }

    async fn call(&self, to: Address, data: Bytes, block: u64) -> Result<Bytes> {
        self.run("eth_call", || self.inner.call(to, data.clone(), block)).await
    }

    async fn logs(&self, filter: &Filter) -> Result<Vec<Log>> {
        self.run("eth_getLogs", || self.inner.logs(filter)).await
    }

    async fn wait_for_head(&self, poll: Duration) {
        self.inner.wait_for_head(poll).await;
    }
}
