//! [`Counted`]: a [`ChainReader`] wrapper that counts requests.

use std::{
    sync::atomic::{AtomicU64, Ordering::Relaxed},
    time::Duration,
};

use alloy_primitives::{Address, Bytes};
use alloy_rpc_types_eth::{Filter, Log};
use async_trait::async_trait;

use crate::{BlockHeader, ChainReader, Result};

/// Counts the requests sent through the reader it wraps (successful or not), in total and of
/// `eth_getLogs`: what a rebuild or a block costs in node calls.
#[derive(Debug)]
pub struct Counted<R> {
    inner: R,
    requests: AtomicU64,
    log_requests: AtomicU64,
}

impl<R> Counted<R> {
    /// Counts the requests sent through `inner`.
    pub const fn new(inner: R) -> Self {
        Self { inner, requests: AtomicU64::new(0), log_requests: AtomicU64::new(0) }
    }

    /// Requests sent so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Relaxed)
    }

    /// Of which `eth_getLogs`.
    pub fn log_requests(&self) -> u64 {
        self.log_requests.load(Relaxed)
    }

    /// The wrapped reader.
    pub const fn inner(&self) -> &R {
        &self.inner
    }

    fn count(&self) {
        self.requests.fetch_add(1, Relaxed);
    }
}

#[async_trait]
impl<R: ChainReader> ChainReader for Counted<R> {
    async fn block_number(&self) -> Result<u64> {
        self.count();
        self.inner.block_number().await
    }

    async fn header(&self, number: u64) -> Result<Option<BlockHeader>> {
        self.count();
        self.inner.header(number).await
    }

    async fn call(&self, to: Address, data: Bytes, block: u64) -> Result<Bytes> {
        self.count();
        self.inner.call(to, data, block).await
    }

    async fn logs(&self, filter: &Filter) -> Result<Vec<Log>> {
        self.count();
        self.log_requests.fetch_add(1, Relaxed);
        self.inner.logs(filter).await
    }

    async fn wait_for_head(&self, poll: Duration) {
        self.inner.wait_for_head(poll).await;
    }
}
