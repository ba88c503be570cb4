//! [`Timeout`]: a [`ChainReader`] wrapper that bounds every call and reports calls that hang.

use std::{future::Future, time::Duration};

use alloy_primitives::{Address, Bytes};
use alloy_rpc_types_eth::{Filter, Log};
use async_trait::async_trait;

use crate::{BlockHeader, ChainError, ChainReader, Result};

/// Fails every call of the reader it wraps that has not answered within `after` with
/// [`ChainError::Timeout`], and logs a warning (and raises the `chain_stalled_calls` gauge)
/// for a call still unanswered after `warn_after`, so a silent node is noticed within seconds
/// even when the timeout is long.
#[derive(Debug, Clone)]
pub struct Timeout<R> {
    inner: R,
    after: Duration,
    warn_after: Duration,
}

impl<R> Timeout<R> {
    /// Bounds every call through `inner` by `after`; warns after `min(after / 2, 5 s)`.
    pub fn new(inner: R, after: Duration) -> Self {
        Self { inner, after, warn_after: (after / 2).min(Duration::from_secs(5)) }
    }

    /// Warns about a call still unanswered after `warn_after`.
    #[must_use]
    pub const fn warn_after(mut self, warn_after: Duration) -> Self {
        self.warn_after = warn_after;
        self
    }

    /// The wrapped reader.
    pub const fn inner(&self) -> &R {
        &self.inner
    }

    async fn bound<T>(
        &self,
        method: &'static str,
        call: impl Future<Output = Result<T>>,
    ) -> Result<T> {
        tokio::pin!(call);
        let warn = tokio::time::sleep(self.warn_after.min(self.after));
        tokio::pin!(warn);
        let deadline = tokio::time::sleep(self.after);
        tokio::pin!(deadline);
        let mut warned = false;
        let out = loop {
            tokio::select! {
                r = &mut call => break r,
                () = &mut warn, if !warned => {
                    warned = true;
                    metrics::gauge!("chain_stalled_calls").increment(1.0);
                    tracing::warn!(
                        method,
                        waited_ms = self.warn_after.as_millis() as u64,
                        "node has not answered; still waiting"
                    );
                }
                () = &mut deadline => break Err(ChainError::Timeout { method, after: Some(self.after) }),
            }
        };
        if warned {
            metrics::gauge!("chain_stalled_calls").decrement(1.0);
        }
        out
    }
}

#[async_trait]
impl<R: ChainReader> ChainReader for Timeout<R> {
    async fn block_number(&self) -> Result<u64> {
        self.bound("eth_blockNumber", self.inner.block_number()).await
    }

    async fn header(&self, number: u64) -> Result<Option<BlockHeader>> {
        self.bound("eth_getBlockByNumber", self.inner.header(number)).await
    }

    async fn call(&self, to: Address, data: Bytes, block: u64) -> Result<Bytes> {
        self.bound("eth_call", self.inner.call(to, data, block)).await
    }

    async fn logs(&self, filter: &Filter) -> Result<Vec<Log>> {
        self.bound("eth_getLogs", self.inner.logs(filter)).await
    }

    async fn wait_for_head(&self, poll: Duration) {
        // Waiting is not a call: bounded by `poll`, not by the timeout.
        let _ = tokio::time::timeout(
            poll.max(Duration::from_millis(1)),
            self.inner.wait_for_head(poll),
        )
        .await;
    }
}
