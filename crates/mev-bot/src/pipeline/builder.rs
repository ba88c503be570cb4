//! [`PipelineBuilder`]: the only way to a [`Pipeline`], which exists bootstrapped or not at
//! all.

use std::{collections::HashSet, fmt, sync::Arc};

use alloy_primitives::Address;
use mev_chain::{BlockHeader, ChainReader, MULTICALL3_ADDRESS};
use mev_position_cache::PositionStore;
use mev_rebuild::MarketConfig;
use mev_reserve_cache::{PoolKey, ReserveCache, ReserveCacheConfig, RpcReserveSource};

use super::{
    Pipeline,
    arbitrage::ArbitrageStage,
    decode::Routes,
    journal::Journal,
    report::Totals,
    state::{MarketId, MarketState},
};
use crate::{ArbitrageConfig, BotConfig, BotError, Market, PipelineConfig, Result};

/// Builds a [`Pipeline`]: what it watches (markets, pools), how (its [`PipelineConfig`]), and
/// through what (a [`ChainReader`], a [`PositionStore`], optionally your own
/// [`ReserveCache`]). [`bootstrap`](Self::bootstrap) loads the state at a block and returns
/// the pipeline, so an unbootstrapped pipeline cannot be driven: it does not exist.
///
/// ```no_run
/// use std::sync::Arc;
/// use alloy_provider::ProviderBuilder;
/// use mev_bot::{BotConfig, Pipeline};
/// use mev_chain::{ChainReader, ProviderChain};
/// use mev_position_cache::InMemoryPositionStore;
///
/// # async fn run(config: BotConfig) -> Result<(), Box<dyn std::error::Error>> {
/// // Any alloy provider, layered as you like.
/// let provider = ProviderBuilder::new().connect_http("http://127.0.0.1:8545".parse()?);
/// let chain: Arc<dyn ChainReader> = Arc::new(ProviderChain::new(provider));
/// let mut pipeline = Pipeline::builder(chain.clone(), Arc::new(InMemoryPositionStore::new()))
///     .bot_config(&config)
///     .bootstrap_at_latest()
///     .await?;
/// loop {
///     while let Some(event) = pipeline.next_event(&*chain).await? {
///         for o in pipeline.apply(event).await?.opportunities {
///             println!("{}", serde_json::to_string(&o)?);
///         }
///     }
///     chain.wait_for_head(std::time::Duration::from_secs(1)).await;
/// }
/// # }
/// ```
#[must_use]
pub struct PipelineBuilder {
    reader: Arc<dyn ChainReader>,
    store: Arc<dyn PositionStore>,
    config: PipelineConfig,
    markets: Vec<Market>,
    to_connect: Vec<(MarketConfig, Vec<Address>)>,
    pools: Vec<PoolKey>,
    reserves: Option<Arc<ReserveCache>>,
    multicall: Address,
    arbitrage: ArbitrageConfig,
    invalid: Option<BotError>,
}

impl fmt::Debug for PipelineBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PipelineBuilder")
            .field("config", &self.config)
            .field("markets", &self.markets)
            .field("to_connect", &self.to_connect)
            .field("pools", &self.pools.len())
            .finish_non_exhaustive()
    }
}

impl PipelineBuilder {
    pub(crate) fn new(reader: Arc<dyn ChainReader>, store: Arc<dyn PositionStore>) -> Self {
        Self {
            reader,
            store,
            config: PipelineConfig::default(),
            markets: Vec::new(),
            to_connect: Vec::new(),
            pools: Vec::new(),
            reserves: None,
            multicall: MULTICALL3_ADDRESS,
            arbitrage: ArbitrageConfig::default(),
            invalid: None,
        }
    }

    /// Everything a [`BotConfig`] names: its markets (connected at the bootstrap block), pools,
    /// price feeds, Multicall3 and pipeline tuning. The configuration is validated at
    /// [`bootstrap`](Self::bootstrap).
    pub fn bot_config(mut self, config: &BotConfig) -> Self {
        if let Err(e) = config.validate() {
            self.invalid.get_or_insert(e);
        }
        self.to_connect.extend(config.markets());
        self.pools.extend(config.pools.iter().map(|p| p.key()));
        self.multicall = config.multicall;
        self.config = config.pipeline.clone();
        self.arbitrage = config.arbitrage.clone();
        self
    }

    /// The arbitrage stage's base tokens and sizing (default none: no arbitrage stage). Its
    /// cycles are those of the watched pools, indexed at the bootstrap.
    pub fn arbitrage(mut self, config: ArbitrageConfig) -> Self {
        self.arbitrage = config;
        self
    }

    /// The pipeline's tuning (default [`PipelineConfig::default`]).
    pub fn config(mut self, config: PipelineConfig) -> Self {
        self.config = config;
        self
    }

    /// Watches a connected market.
    pub fn market(mut self, market: Market) -> Self {
        self.markets.push(market);
        self
    }

    /// Watches a market connected at the bootstrap block, with the aggregators `feeds`.
    pub fn market_config(mut self, market: MarketConfig, feeds: Vec<Address>) -> Self {
        self.to_connect.push((market, feeds));
        self
    }

    /// Keeps `pool`'s state in the reserve cache, updated by its events.
    pub fn pool(mut self, pool: PoolKey) -> Self {
        self.pools.push(pool);
        self
    }

    /// The reserve cache to keep pools in (default: one reading through the chain reader with
    /// Multicall3, [`ReserveCacheConfig::default`]).
    pub fn reserves(mut self, reserves: Arc<ReserveCache>) -> Self {
        self.reserves = Some(reserves);
        self
    }

    /// The Multicall3 the default reserve cache batches through (default the canonical one).
    pub const fn multicall(mut self, address: Address) -> Self {
        self.multicall = address;
        self
    }

    /// Connects the configured markets at `head`, loads every position, price and pool at that
    /// block, and returns the pipeline with `head` as its head.
    ///
    /// Fails with [`BotError::Config`] on an invalid configuration or a market name used twice,
    /// [`BotError::Market`] when a market cannot be read, [`BotError::Pool`] when a pool cannot,
    /// and [`BotError::Store`] when the store fails.
    pub async fn bootstrap(self, head: BlockHeader) -> Result<Pipeline> {
        if let Some(e) = self.invalid {
            return Err(e);
        }
        self.config.validate()?;
        self.arbitrage.validate()?;
        let mut markets = self.markets;
        for (config, feeds) in &self.to_connect {
            let protocol = config
                .connect(&*self.reader, head.number)
                .await
                .map_err(BotError::market(format!("reading {}", config.describe())))?;
            markets.push(Market::new(protocol).feeds(feeds.clone()));
        }
        for m in &markets {
            if m.protocol.start_block() > head.number {
                return Err(BotError::Config {
                    reason: format!(
                        "market {:?}: start_block {} is beyond the head, block {}",
                        m.name(),
                        m.protocol.start_block(),
                        head.number
                    ),
                });
            }
        }
        let mut names = HashSet::new();
        for m in &markets {
            if !names.insert(m.name().to_owned()) {
                return Err(BotError::Config {
                    reason: format!("market name {:?} is used twice", m.name()),
                });
            }
        }
        let reserves = self.reserves.unwrap_or_else(|| {
            let source = RpcReserveSource::new(self.reader.clone()).multicall(Some(self.multicall));
            Arc::new(ReserveCache::with_config(Arc::new(source), ReserveCacheConfig::default()))
        });
        let routes = Routes::new(&self.pools, &markets);
        let states = markets
            .into_iter()
            .enumerate()
            .map(|(i, m)| MarketState::new(MarketId(i), m.protocol))
            .collect();
        let mut pipeline = Pipeline {
            reader: self.reader,
            store: self.store,
            reserves,
            routes,
            markets: states,
            config: self.config,
            journal: Journal::new(head),
            needs_fetch: HashSet::new(),
            totals: Totals::default(),
            swept_at: head.timestamp,
            arbitrage: None,
        };
        pipeline.bootstrap(head).await?;
        pipeline.arbitrage = ArbitrageStage::new(&self.arbitrage, &pipeline.reserves, &self.pools);
        Ok(pipeline)
    }

    /// [`bootstrap`](Self::bootstrap) at the reader's latest block.
    pub async fn bootstrap_at_latest(self) -> Result<Pipeline> {
        let number =
            self.reader.block_number().await.map_err(BotError::chain("reading the head"))?;
        let head = self
            .reader
            .header(number)
            .await
            .map_err(BotError::chain(format!("reading block {number}")))?
            .ok_or(BotError::MissingBlock { number })?;
        self.bootstrap(head).await
    }
}
