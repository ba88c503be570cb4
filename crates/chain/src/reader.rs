//! [`ChainReader`]: reading the chain at a block, the one trait every cache, rebuild and
//! pipeline of the workspace reads through.

use std::{fmt, sync::Arc, time::Duration};

use alloy_primitives::{Address, B256, Bytes};
use alloy_rpc_types_eth::{Filter, Log};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::Result;

/// What a follower needs of a block's header.
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

/// Read access to a chain at a given block: `eth_blockNumber`, headers, `eth_call` and
/// `eth_getLogs`.
///
/// Implemented for any alloy provider of any network by
/// [`ProviderChain`](crate::ProviderChain), and by recordings and replays. Cross-cutting
/// concerns are wrappers implementing the same trait ([`Counted`](crate::Counted),
/// [`Metered`](crate::Metered)), so an implementation only talks to its chain. Each method is
/// one JSON-RPC request; errors are classified [`ChainError`](crate::ChainError)s.
///
/// Held as `Arc<dyn ChainReader>`; `&T`, `Arc<T>` and `Box<T>` of a reader are readers.
#[async_trait]
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a `mev_chain::ChainReader`",
    label = "a chain reader is needed here",
    note = "an alloy provider becomes one with `mev_chain::ProviderChain::new(provider)` (any \
            provider, any network); `mev_bot::RpcChain::connect(url)` (feature `rpc`) connects \
            by URL"
)]
pub trait ChainReader: Send + Sync + fmt::Debug {
    /// `eth_blockNumber`: the latest block number.
    async fn block_number(&self) -> Result<u64>;

    /// `eth_getBlockByNumber` without transactions: the header of block `number`, `None` when
    /// the node does not have it (yet).
    async fn header(&self, number: u64) -> Result<Option<BlockHeader>>;

    /// `eth_call` of `data` to `to` at block `block` (a block number): the return data.
    async fn call(&self, to: Address, data: Bytes, block: u64) -> Result<Bytes>;

    /// `eth_getLogs` with `filter` (which carries its block range or block hash).
    async fn logs(&self, filter: &Filter) -> Result<Vec<Log>>;

    /// Waits until the chain may have a new head or `poll` has passed, whichever is first. The
    /// default sleeps `poll`; a reader with a head subscription (WebSocket `newHeads`) returns
    /// as soon as a head arrives.
    async fn wait_for_head(&self, poll: Duration) {
        tokio::time::sleep(poll).await;
    }
}

macro_rules! forward {
    ($($ty:ty),*) => {$(
        #[async_trait]
        impl<R: ChainReader + ?Sized> ChainReader for $ty {
            async fn block_number(&self) -> Result<u64> {
                (**self).block_number().await
            }
            async fn header(&self, number: u64) -> Result<Option<BlockHeader>> {
                (**self).header(number).await
            }
            async fn call(&self, to: Address, data: Bytes, block: u64) -> Result<Bytes> {
                (**self).call(to, data, block).await
            }
            async fn logs(&self, filter: &Filter) -> Result<Vec<Log>> {
                (**self).logs(filter).await
            }
            async fn wait_for_head(&self, poll: Duration) {
                (**self).wait_for_head(poll).await
            }
        }
    )*};
}

forward!(&R, Arc<R>, Box<R>);
