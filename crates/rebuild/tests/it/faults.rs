//! Provider wrappers for error paths a real node does not produce on demand.

use std::sync::{
    Mutex,
    atomic::{AtomicU64, Ordering},
};

use alloy_primitives::{Address, Bytes};
use alloy_rpc_types_eth::{Filter, Log};
use async_trait::async_trait;
use mev_chain::{BlockHeader, ChainError, ChainReader, Result};
use rand::{Rng, SeedableRng, rngs::StdRng};

/// Rejects `eth_getLogs` ranges wider than `max_range` blocks and answers a random share of
/// requests with a rate-limit error; passes everything else to the real node.
#[derive(Debug)]
pub(crate) struct FlakyReader<R> {
    pub(crate) inner: R,
    pub(crate) max_range: u64,
    pub(crate) rate_limit_percent: u32,
    pub(crate) rng: Mutex<StdRng>,
    pub(crate) rejected_ranges: AtomicU64,
    pub(crate) rate_limited: AtomicU64,
}

impl<R> FlakyReader<R> {
    pub(crate) fn new(inner: R, max_range: u64, rate_limit_percent: u32, seed: u64) -> Self {
        Self {
            inner,
            max_range,
            rate_limit_percent,
            rng: Mutex::new(StdRng::seed_from_u64(seed)),
            rejected_ranges: AtomicU64::new(0),
            rate_limited: AtomicU64::new(0),
        }
    }

    fn throttle(&self, method: &'static str) -> Result<()> {
        let roll = self.rng.lock().unwrap().random_range(0..100);
        if roll < self.rate_limit_percent {
            self.rate_limited.fetch_add(1, Ordering::Relaxed);
            return Err(ChainError::RateLimited {
                method,
                retry_after: None,
                message: "HTTP 429 Too Many Requests".into(),
            });
        }
        Ok(())
    }
}

#[async_trait]
impl<R: ChainReader> ChainReader for FlakyReader<R> {
    async fn block_number(&self) -> Result<u64> {
        self.inner.block_number().await
    }

    async fn header(&self, number: u64) -> Result<Option<BlockHeader>> {
        self.inner.header(number).await
    }

    async fn call(&self, to: Address, data: Bytes, block: u64) -> Result<Bytes> {
        self.throttle("eth_call")?;
        self.inner.call(to, data, block).await
    }

    async fn logs(&self, filter: &Filter) -> Result<Vec<Log>> {
        self.throttle("eth_getLogs")?;
        let from = filter.get_from_block().unwrap_or(0);
        let to = filter.get_to_block().unwrap_or(u64::MAX);
        if to - from + 1 > self.max_range {
            self.rejected_ranges.fetch_add(1, Ordering::Relaxed);
            return Err(ChainError::node(
                "eth_getLogs",
                -32005,
                format!("block range too large: {} > {}", to - from + 1, self.max_range),
            ));
        }
        self.inner.logs(filter).await
    }
}

/// Fails every `eth_getLogs` after the first `ok_logs` with a non-retryable error: an
/// interrupted rebuild.
#[derive(Debug)]
pub(crate) struct DyingReader<R> {
    pub(crate) inner: R,
    pub(crate) ok_logs: u64,
    pub(crate) seen: AtomicU64,
}

#[async_trait]
impl<R: ChainReader> ChainReader for DyingReader<R> {
    async fn block_number(&self) -> Result<u64> {
        self.inner.block_number().await
    }

    async fn header(&self, number: u64) -> Result<Option<BlockHeader>> {
        self.inner.header(number).await
    }

    async fn call(&self, to: Address, data: Bytes, block: u64) -> Result<Bytes> {
        self.inner.call(to, data, block).await
    }

    async fn logs(&self, filter: &Filter) -> Result<Vec<Log>> {
        if self.seen.fetch_add(1, Ordering::Relaxed) >= self.ok_logs {
            return Err(ChainError::transport("eth_getLogs", "connection reset"));
        }
        self.inner.logs(filter).await
    }
}
