//! Test support (feature `test-utils`): an in-process synthetic chain for tests and benchmarks
//! of the pipeline and of code built on it, with no node and no network.
//!
//! [`SynthChain`] is an Aave V3 market (WETH, USDC, WBTC, DAI, configuration bitmaps as the
//! Pool returns them) with thousands of borrowers, plus Uniswap V2 and V3 pools, answering the
//! Multicall3 batches the adapters send; [`Generator`] makes 500-log blocks (swaps, Aave
//! actions, price moves) and applies them to the chain, so a block read back from the chain
//! agrees with its logs. [`Synthetic`] wires both to a [`Pipeline`].
//!
//! ```
//! use std::sync::Arc;
//! use mev_bot::{ChainEvent, testing::Synthetic};
//! use mev_position_cache::InMemoryPositionStore;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> mev_bot::Result<()> {
//! let mut s = Synthetic::new(200);
//! let mut pipeline = s.pipeline(Arc::new(InMemoryPositionStore::new())).await?;
//! let block = s.next_block(true);
//! let report = pipeline.apply(ChainEvent::Block(block)).await?;
//! assert_eq!(report.logs, 500);
//! # Ok(()) }
//! ```

mod blocks;
mod synth;

use std::sync::Arc;

use alloy_primitives::{Address, keccak256};
use mev_position_cache::PositionStore;
use mev_rebuild::{AaveV3Config, MarketConfig};
use mev_reserve_cache::PoolKey;

pub use self::{
    blocks::Generator,
    synth::{
        ADDRESSES_PROVIDER, BLOCK_SECONDS, DATA_PROVIDER, HEAD0, ORACLE, POOL, RESERVES,
        ReserveSpec, SynthChain, T0, WETH, block_hash, header, ts, user_address,
    },
};
use crate::{BlockData, Pipeline, PipelineConfig, Result};

/// A [`SynthChain`] with 30 Uniswap V2 and 20 V3 pools, its [`Generator`], and the next block
/// number.
#[derive(Debug)]
pub struct Synthetic {
    /// The chain.
    pub chain: Arc<SynthChain>,
    /// The block generator.
    pub generator: Generator,
    /// The V2 pairs.
    pub v2: Vec<Address>,
    /// The V3 pools.
    pub v3: Vec<Address>,
    /// The next block number.
    pub next: u64,
}

impl Synthetic {
    /// A chain with `positions` borrowers at [`HEAD0`].
    pub fn new(positions: usize) -> Self {
        let pools = |tag: &[u8], n: u64| -> Vec<Address> {
            (0..n)
                .map(|i| Address::from_word(keccak256([tag, &i.to_be_bytes()].concat())))
                .collect()
        };
        let (v2, v3) = (pools(b"v2", 30), pools(b"v3", 20));
        let chain = Arc::new(SynthChain::new(positions, &v2, &v3));
        let generator = Generator::new(v2.clone(), v3.clone(), positions);
        Self { chain, generator, v2, v3, next: HEAD0 + 1 }
    }

    /// The Aave market's configuration (discovery from [`HEAD0`]).
    pub fn aave_config() -> AaveV3Config {
        AaveV3Config {
            pool: POOL,
            data_provider: DATA_PROVIDER,
            start_block: HEAD0,
            // The synthetic chain answers the market's reads, not release detection.
            version: Some(mev_health_calc::AaveVersion::V3_0),
            ..AaveV3Config::default()
        }
    }

    /// Every pool's key.
    pub fn pool_keys(&self) -> Vec<PoolKey> {
        self.v2
            .iter()
            .map(|a| PoolKey::uniswap_v2(*a))
            .chain(self.v3.iter().map(|a| PoolKey::uniswap_v3(*a)))
            .collect()
    }

    /// A pipeline over the chain and `store`, bootstrapped at the chain's head.
    pub async fn pipeline(&self, store: Arc<dyn PositionStore>) -> Result<Pipeline> {
        self.pipeline_with(store, PipelineConfig::default()).await
    }

    /// [`pipeline`](Self::pipeline) with `config`.
    pub async fn pipeline_with(
        &self,
        store: Arc<dyn PositionStore>,
        config: PipelineConfig,
    ) -> Result<Pipeline> {
        let mut builder = Pipeline::builder(self.chain.clone(), store)
            .config(config)
            .market_config(MarketConfig::AaveV3(Self::aave_config()), Vec::new());
        for key in self.pool_keys() {
            builder = builder.pool(key);
        }
        builder.bootstrap(self.chain.head_header()).await
    }

    /// Generates the next block (with a WETH price move when `price_move`) and applies it to
    /// the chain.
    pub fn next_block(&mut self, price_move: bool) -> BlockData {
        let n = self.next;
        self.next += 1;
        self.generator.block(&self.chain, n, price_move)
    }
}
