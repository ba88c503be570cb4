//! Blocks as the pipeline sees them: [`BlockHeader`], [`BlockData`], [`ChainEvent`], the
//! [`BlockSource`] trait a follower reads them from, and [`RpcChain`], its JSON-RPC
//! implementation (HTTP polling or a WebSocket `newHeads` subscription).

use std::{fmt, sync::Arc};

use alloy_primitives::{Address, B256, Bytes};
use alloy_provider::{Provider, RootProvider};
use alloy_rpc_types_eth::{BlockNumberOrTag, Filter, Log};
use async_trait::async_trait;
use mev_rebuild::{ChainReader, RebuildError, RpcChainReader, RpcErrorKind};
use mev_reserve_cache::EthCall;
use serde::{Deserialize, Serialize};

/// What the pipeline needs of a block's header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BlockHeader {
    /// Block number.
    pub number: u64,
    /// Block hash.
    pub hash: B256,
    /// The parent's hash: how a reorg is noticed.
    pub parent_hash: B256,
    /// Block timestamp, seconds since the Unix epoch.
    pub timestamp: u64,
}

/// One block: its header and the logs of the watched contracts, in log-index order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlockData {
    /// The header.
    pub header: BlockHeader,
    /// The block's logs emitted by the watched addresses (see [`LogFilter`]).
    pub logs: Vec<Log>,
}

/// One step of the chain as a follower observed it. A recording is a list of these, so a
/// replay drives the pipeline through exactly the same steps, reorgs included.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChainEvent {
    /// A new block on top of the pipeline's head.
    Block(BlockData),
    /// The chain reorganised: every block above `ancestor` (a block number) is gone and the
    /// caches roll back to it before the new branch's blocks follow.
    Reorg {
        /// The highest block both branches share, block number.
        ancestor: u64,
    },
}

/// The addresses and topic0s whose logs the pipeline wants: the `eth_getLogs` filter of each
/// block.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogFilter {
    /// Emitters (pools, lending markets, oracles, feeds).
    pub addresses: Vec<Address>,
    /// Event signatures (topic0); empty = any.
    pub topics: Vec<B256>,
}

impl LogFilter {
    /// The `eth_getLogs` filter for the block with hash `hash`.
    pub fn at_block_hash(&self, hash: B256) -> Filter {
        let mut f = Filter::new().at_block_hash(hash).address(self.addresses.clone());
        if !self.topics.is_empty() {
            f = f.event_signature(self.topics.clone());
        }
        f
    }
}

/// Where blocks come from: the chain's head, headers by number and one block's logs.
///
/// Implemented by [`RpcChain`] (a node) and by replays of a recording. Errors are
/// [`RebuildError`]s (with [`RpcErrorKind`] classification), like [`ChainReader`]'s.
#[async_trait]
pub trait BlockSource: Send + Sync + fmt::Debug {
    /// The latest block number.
    async fn latest_block(&self) -> Result<u64, RebuildError>;

    /// The header of block `number`, `None` when the node does not have it yet.
    async fn header(&self, number: u64) -> Result<Option<BlockHeader>, RebuildError>;

    /// The logs of block `header` matching `filter`.
    async fn block_logs(
        &self,
        header: &BlockHeader,
        filter: &LogFilter,
    ) -> Result<Vec<Log>, RebuildError>;
}

/// A node over JSON-RPC: both the [`ChainReader`] the caches read through and the
/// [`BlockSource`] the follower reads blocks from. `http(s)://` URLs poll; `ws(s)://` URLs
/// also subscribe to `newHeads` (see [`RpcChain::wait_for_head`]).
#[derive(Debug, Clone)]
pub struct RpcChain {
    provider: RootProvider,
    reader: Arc<RpcChainReader>,
    websocket: bool,
    heads: Arc<tokio::sync::Mutex<Option<HeadSubscription>>>,
}

type HeadSubscription = alloy_pubsub::Subscription<alloy_rpc_types_eth::Header>;

impl RpcChain {
    /// Connects to `url` (`http://`, `https://`, `ws://`, `wss://`).
    ///
    /// Fails with [`RebuildError::Config`] when the URL is malformed or the WebSocket
    /// handshake fails.
    pub async fn connect(url: &str) -> Result<Self, RebuildError> {
        let websocket = url.starts_with("ws://") || url.starts_with("wss://");
        let provider = if websocket {
            RootProvider::connect(url).await.map_err(|e| {
                RebuildError::config("rpc_url", format!("cannot connect to {url}: {e}"))
            })?
        } else {
            let parsed = url.parse().map_err(|e| {
                RebuildError::config("rpc_url", format!("{url:?} is not a URL: {e}"))
            })?;
            RootProvider::new_http(parsed)
        };
        let reader = Arc::new(RpcChainReader::new(provider.clone()));
        // Subscribe now, so no head announced from here on is missed.
        let heads = if websocket { provider.subscribe_blocks().await.ok() } else { None };
        Ok(Self { provider, reader, websocket, heads: Arc::new(tokio::sync::Mutex::new(heads)) })
    }

    /// The [`ChainReader`] over the same connection (shares its request counter).
    pub fn reader(&self) -> Arc<RpcChainReader> {
        self.reader.clone()
    }

    /// Whether the connection is a WebSocket (blocks are pushed rather than polled).
    pub const fn is_websocket(&self) -> bool {
        self.websocket
    }

    /// Waits until the node announces a new head (WebSocket: the `newHeads` subscription opened
    /// at connect, so a head announced while the caller was busy is not missed) or `poll` has
    /// passed (HTTP, or when the subscription is down; it is reopened on the next call).
    pub async fn wait_for_head(&self, poll: std::time::Duration) {
        if self.websocket {
            let mut heads = self.heads.lock().await;
            if heads.is_none() {
                *heads = self.provider.subscribe_blocks().await.ok();
            }
            if let Some(sub) = heads.as_mut() {
                match tokio::time::timeout(poll, sub.recv()).await {
                    Ok(Ok(_)) | Err(_) => {
                        // Drain what queued meanwhile: the follower reads blocks by number.
                        while sub.try_recv().is_ok() {}
                        return;
                    }
                    Ok(Err(e)) => {
                        tracing::warn!(error = %e, "newHeads subscription lost; polling");
                        *heads = None;
                    }
                }
            }
        }
        tokio::time::sleep(poll).await;
    }
}

fn rpc_error(method: &'static str, e: &alloy_provider::transport::TransportError) -> RebuildError {
    let code = e.as_error_resp().map(|p| p.code);
    let message = e.to_string();
    RebuildError::rpc(method, RpcErrorKind::classify(code, &message), message)
}

#[async_trait]
impl BlockSource for RpcChain {
    async fn latest_block(&self) -> Result<u64, RebuildError> {
        self.reader.block_number().await
    }

    async fn header(&self, number: u64) -> Result<Option<BlockHeader>, RebuildError> {
        let block = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Number(number))
            .await
            .map_err(|e| rpc_error("eth_getBlockByNumber", &e))?;
        Ok(block.map(|b| BlockHeader {
            number: b.header.number,
            hash: b.header.hash,
            parent_hash: b.header.parent_hash,
            timestamp: b.header.timestamp,
        }))
    }

    async fn block_logs(
        &self,
        header: &BlockHeader,
        filter: &LogFilter,
    ) -> Result<Vec<Log>, RebuildError> {
        if filter.addresses.is_empty() {
            return Ok(Vec::new());
        }
        self.reader.logs(&filter.at_block_hash(header.hash)).await
    }
}

/// Adapts a [`ChainReader`] to the reserve cache's [`EthCall`], so pools and positions are
/// read through one connection (and one recording).
#[derive(Debug, Clone)]
pub struct ReaderCall(pub Arc<dyn ChainReader>);

#[async_trait]
impl EthCall for ReaderCall {
    async fn eth_call(&self, to: Address, input: Bytes, block: u64) -> Result<Bytes, String> {
        self.0.call(to, input, block).await.map_err(|e| e.to_string())
    }
}
