//! [`ProviderChain`]: a [`ChainReader`] over any alloy [`Provider`] of any [`Network`].

use std::{fmt, marker::PhantomData};

use alloy_consensus::BlockHeader as _;
use alloy_network::{BlockResponse, Network, TransactionBuilder};
use alloy_network_primitives::HeaderResponse;
use alloy_primitives::{Address, Bytes};
use alloy_provider::Provider;
use alloy_rpc_types_eth::{BlockId, BlockNumberOrTag, Filter, Log};
use async_trait::async_trait;

use crate::{BlockHeader, ChainError, ChainReader, Result};

/// Reads the chain through an alloy [`Provider`]: a `RootProvider`, a provider built with
/// `ProviderBuilder` and any layers and fillers (retry, call batching, caching), or a custom
/// `Provider` implementation, of any network — `Ethereum`, `AnyNetwork`, op-alloy's `Optimism`
/// for Base.
///
/// Transport and node errors are classified into [`ChainError`]s.
///
/// ```no_run
/// use std::sync::Arc;
/// use alloy_provider::{ProviderBuilder, network::AnyNetwork};
/// use mev_chain::{ChainReader, ProviderChain};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let provider = ProviderBuilder::new()
///     .network::<AnyNetwork>()
///     .connect_http("https://mainnet.base.org".parse()?);
/// let chain: Arc<dyn ChainReader> = Arc::new(ProviderChain::new(provider));
/// println!("head {}", chain.block_number().await?);
/// # Ok(()) }
/// ```
pub struct ProviderChain<P, N = alloy_network::Ethereum> {
    provider: P,
    _network: PhantomData<fn() -> N>,
}

impl<P, N> ProviderChain<P, N> {
    /// A reader over `provider`.
    pub const fn new(provider: P) -> Self {
        Self { provider, _network: PhantomData }
    }

    /// The provider.
    pub const fn provider(&self) -> &P {
        &self.provider
    }

    /// The provider, taken back.
    pub fn into_inner(self) -> P {
        self.provider
    }
}

impl<P: Clone, N> Clone for ProviderChain<P, N> {
    fn clone(&self) -> Self {
        Self::new(self.provider.clone())
    }
}

impl<P, N> fmt::Debug for ProviderChain<P, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderChain")
            .field("network", &std::any::type_name::<N>())
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl<P, N> ChainReader for ProviderChain<P, N>
where
    P: Provider<N> + Send + Sync,
    N: Network,
{
    async fn block_number(&self) -> Result<u64> {
        self.provider
            .get_block_number()
            .await
            .map_err(|e| ChainError::from_transport("eth_blockNumber", &e))
    }

    async fn header(&self, number: u64) -> Result<Option<BlockHeader>> {
        let block = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Number(number))
            .await
            .map_err(|e| ChainError::from_transport("eth_getBlockByNumber", &e))?;
        Ok(block.map(|b| {
            let h = b.header();
            BlockHeader {
                number: h.number(),
                hash: h.hash(),
                parent_hash: h.parent_hash(),
                timestamp: h.timestamp(),
            }
        }))
    }

    async fn call(&self, to: Address, data: Bytes, block: u64) -> Result<Bytes> {
        let tx = N::TransactionRequest::default().with_to(to).with_input(data);
        self.provider
            .call(tx)
            .block(BlockId::number(block))
            .await
            .map_err(|e| ChainError::from_transport("eth_call", &e))
    }

    async fn logs(&self, filter: &Filter) -> Result<Vec<Log>> {
        self.provider
            .get_logs(filter)
            .await
            .map_err(|e| ChainError::from_transport("eth_getLogs", &e))
    }
}
