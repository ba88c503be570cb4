//! [`Metered`]: a [`ChainReader`] wrapper that reports every request to the `metrics` facade.

use std::time::{Duration, Instant};

use alloy_primitives::{Address, Bytes};
use alloy_rpc_types_eth::{Filter, Log};
use async_trait::async_trait;

use crate::{BlockHeader, ChainReader, Result};

/// Records, for every request through the reader it wraps:
///
/// | metric | kind | labels |
/// |---|---|---|
/// | `chain_requests_total` | counter | `method` |
/// | `chain_errors_total` | counter | `method`, `kind` ([`ChainErrorKind::as_str`](crate::ChainErrorKind::as_str)) |
/// | `chain_request_seconds` | histogram | `method` |
#[derive(Debug, Clone)]
pub struct Metered<R> {
    inner: R,
}

impl<R> Metered<R> {
    /// Meters the requests sent through `inner`.
    pub const fn new(inner: R) -> Self {
        Self { inner }
    }

    /// The wrapped reader.
    pub const fn inner(&self) -> &R {
        &self.inner
    }
}

fn record<T>(method: &'static str, started: Instant, result: &Result<T>) {
    metrics::counter!("chain_requests_total", "method" => method).increment(1);
    metrics::histogram!("chain_request_seconds", "method" => method)
        .record(started.elapsed().as_secs_f64());
    if let Err(e) = result {
        metrics::counter!("chain_errors_total", "method" => method, "kind" => e.kind().as_str())
            .increment(1);
    }
}

#[async_trait]
impl<R: ChainReader> ChainReader for Metered<R> {
    async fn block_number(&self) -> Result<u64> {
        let t = Instant::now();
        let r = self.inner.block_number().await;
        record("eth_blockNumber", t, &r);
        r
    }

    async fn header(&self, number: u64) -> Result<Option<BlockHeader>> {
        let t = Instant::now();
        let r = self.inner.header(number).await;
        record("eth_getBlockByNumber", t, &r);
        r
    }

    async fn call(&self, to: Address, data: Bytes, block: u64) -> Result<Bytes> {
        let t = Instant::now();
        let r = self.inner.call(to, data, block).await;
        record("eth_call", t, &r);
        r
    }

    async fn logs(&self, filter: &Filter) -> Result<Vec<Log>> {
        let t = Instant::now();
        let r = self.inner.logs(filter).await;
        record("eth_getLogs", t, &r);
        r
    }

    async fn wait_for_head(&self, poll: Duration) {
        self.inner.wait_for_head(poll).await;
    }
}
