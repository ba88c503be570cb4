//! [`ChainReader`]: the three JSON-RPC methods a rebuild needs, and [`RpcChainReader`], its
//! HTTP implementation with a request counter.

use std::{
    fmt,
    sync::atomic::{AtomicU64, Ordering},
};

use alloy_primitives::{Address, Bytes};
use alloy_provider::{Provider, RootProvider};
use alloy_rpc_types_eth::{BlockId, Filter, Log, TransactionInput, TransactionRequest};
use async_trait::async_trait;

use crate::error::{RebuildError, Result, RpcErrorKind};

/// Read access to a chain: what discovery, batched reads and reconciliation call.
///
/// Implemented by [`RpcChainReader`]; tests wrap it to inject provider errors. Every method is
/// one JSON-RPC request, so [`requests`](Self::requests) counts what a rebuild costs.
#[async_trait]
pub trait ChainReader: Send + Sync + fmt::Debug {
    /// `eth_blockNumber`.
    async fn block_number(&self) -> Result<u64>;

    /// `eth_call` of `data` to `to` at block `block` (a block number).
    async fn call(&self, to: Address, data: Bytes, block: u64) -> Result<Bytes>;

    /// `eth_getLogs` with `filter` (which carries its block range).
    async fn logs(&self, filter: &Filter) -> Result<Vec<Log>>;

    /// Requests sent so far (successful or not).
    fn requests(&self) -> u64;
}

/// A [`ChainReader`] over an alloy HTTP provider. Classifies provider errors into
/// [`RpcErrorKind`]s and counts requests.
#[derive(Debug)]
pub struct RpcChainReader {
    provider: RootProvider,
    requests: AtomicU64,
}

impl RpcChainReader {
    /// A reader over an existing provider.
    pub const fn new(provider: RootProvider) -> Self {
        Self { provider, requests: AtomicU64::new(0) }
    }

    /// A reader over HTTP(S) at `url`.
    ///
    /// Fails with [`RebuildError::Config`] when `url` does not parse.
    pub fn http(url: &str) -> Result<Self> {
        let url = url
            .parse()
            .map_err(|e| RebuildError::config("rpc_url", format!("{url:?} is not a URL: {e}")))?;
        Ok(Self::new(RootProvider::new_http(url)))
    }

    fn count(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }
}

#[async_trait]
impl ChainReader for RpcChainReader {
    async fn block_number(&self) -> Result<u64> {
        self.count();
        self.provider.get_block_number().await.map_err(|e| transport("eth_blockNumber", &e))
    }

    async fn call(&self, to: Address, data: Bytes, block: u64) -> Result<Bytes> {
        self.count();
        let tx = TransactionRequest::default().to(to).input(TransactionInput::new(data));
        self.provider
            .call(tx)
            .block(BlockId::number(block))
            .await
            .map_err(|e| transport("eth_call", &e))
    }

    async fn logs(&self, filter: &Filter) -> Result<Vec<Log>> {
        self.count();
        self.provider.get_logs(filter).await.map_err(|e| transport("eth_getLogs", &e))
    }

    fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
}

fn transport(method: &'static str, e: &alloy_provider::transport::TransportError) -> RebuildError {
    let code = e.as_error_resp().map(|p| p.code);
    let message = e.to_string();
    RebuildError::rpc(method, RpcErrorKind::classify(code, &message), message)
}
