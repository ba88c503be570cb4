//! [`Pipeline`]: one block's path through the caches — decode, pools, prices, positions,
//! health, opportunities — with reorg rollback and rolling reconciliation.

use std::{
    collections::{BTreeMap, HashMap, HashSet, VecDeque},
    ops::Bound,
    sync::Arc,
    time::Instant,
};

use alloy_primitives::{Address, U256};
use futures::future::join_all;
use mev_event_decoder::{Decoder, Protocol, Registry, StateChange};
use mev_health_calc::{HealthFactor, PositionHealth};
use mev_position_cache::{Position, PositionStore};
use mev_rebuild::{
    AaveV3Protocol, ChainPosition, ChainReader, CompoundV2Protocol, HealthInputs, LendingProtocol,
};
use mev_reserve_cache::{
    Applied, PoolKey, PoolKind, ReserveCache, ReserveCacheConfig, RpcReserveSource,
};
use serde::{Deserialize, Serialize};

use crate::{
    BotError, Result,
    chain::{BlockData, BlockHeader, BlockSource, ChainEvent, LogFilter, ReaderCall},
    config::{BotConfig, PipelineConfig},
    telemetry,
};

/// A position that stayed liquidatable for the configured number of consecutive blocks.
///
/// Emitted once per unhealthy streak, at the block where `blocks_unhealthy` reaches
/// [`PipelineConfig::confirmations`]. Integers are decimal strings in JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Opportunity {
    /// The block at which the streak reached the confirmation count, block number.
    pub block: u64,
    /// The market's name (`"aave-v3"`, `"moonwell"`, …).
    pub protocol: String,
    /// The borrower.
    pub user: Address,
    /// Health factor at `block`, WAD (`1e18` = 1.0).
    #[serde(with = "crate::decimal")]
    pub health_factor: U256,
    /// Consecutive unhealthy blocks (equals the confirmation count).
    pub blocks_unhealthy: u64,
    /// Collateral value in the market's base unit (Aave: base currency, 1e8 = 1 USD; Compound:
    /// USD × 1e18, risk-adjusted).
    #[serde(with = "crate::decimal")]
    pub collateral_value: U256,
    /// Debt value in the same unit.
    #[serde(with = "crate::decimal")]
    pub debt_value: U256,
    /// The most profitable single `liquidationCall` (Aave family), sized as the contract
    /// would; `None` for Compound-family markets.
    pub liquidation: Option<LiquidationHint>,
}

/// One `liquidationCall` sized exactly as the pool would execute it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiquidationHint {
    /// Collateral to seize.
    pub collateral_asset: Address,
    /// Debt to repay.
    pub debt_asset: Address,
    /// Debt repaid, the debt asset's smallest unit.
    #[serde(with = "crate::decimal")]
    pub debt_to_cover: U256,
    /// Collateral received by the liquidator, the collateral asset's smallest unit.
    #[serde(with = "crate::decimal")]
    pub collateral_to_liquidator: U256,
    /// Collateral received minus debt repaid, base currency units (before gas and swaps).
    #[serde(with = "crate::decimal")]
    pub gross_profit_base: U256,
}

/// What one [`ChainEvent`] did to the caches.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BlockReport {
    /// The block processed (the ancestor for a reorg), block number.
    pub block: u64,
    /// Whether this was a reorg rollback rather than a block.
    pub reorg: bool,
    /// Logs received.
    pub logs: usize,
    /// Logs decoded into known events.
    pub decoded: usize,
    /// Pools updated in place from events.
    pub pools_updated: usize,
    /// Pools read from chain (invalidated by an event, or first seen).
    pub pools_fetched: usize,
    /// Positions re-read from chain.
    pub positions_refreshed: usize,
    /// Positions re-evaluated locally at new prices.
    pub positions_repriced: usize,
    /// Positions re-read by the rolling reconciliation after the block
    /// ([`Pipeline::reconcile`]).
    pub positions_reconciled: usize,
    /// Positions removed (repaid, fully liquidated) — or restored, for a reorg.
    pub positions_removed: usize,
    /// Opportunities emitted.
    pub opportunities: Vec<Opportunity>,
    /// Wall time of [`Pipeline::handle`], microseconds (varies run to run: tests compare the
    /// other fields).
    #[serde(skip)]
    pub micros: u64,
}

/// One lending market the pipeline watches: the adapter and the Chainlink aggregators that
/// move its prices.
#[derive(Debug, Clone)]
pub struct MarketSpec {
    /// The market's adapter.
    pub protocol: Arc<dyn LendingProtocol>,
    /// The event family of the market's contracts: [`Protocol::AaveV3`] or
    /// [`Protocol::CompoundV2`].
    pub family: Protocol,
    /// Aggregators whose `AnswerUpdated` moves this market's prices.
    pub feeds: Vec<Address>,
}

/// A position the pipeline follows, with the inputs its health was computed from.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Tracked {
    chain: ChainPosition,
    blocks_unhealthy: u64,
}

impl Tracked {
    fn stored(&self, block: u64) -> Position {
        let mut p = self.chain.position.clone();
        p.last_update_block = block;
        p.health_factor = Some(self.chain.health.health_factor.wad());
        p.blocks_unhealthy = self.blocks_unhealthy;
        p
    }
}

#[derive(Debug)]
struct Market {
    protocol: Arc<dyn LendingProtocol>,
    name: String,
    prices: Vec<(Address, U256)>,
    tracked: BTreeMap<Address, Tracked>,
    cursor: Option<Address>,
    /// Positions whose health verdict was recorded at the head block.
    checked: HashSet<Address>,
    /// Price moves whose holders' repricing was deferred past the block.
    deferred: Vec<Vec<(Address, U256)>>,
    /// Every tracked position by health factor (WAD): the watch list and the price candidates
    /// are range queries, not scans.
    by_health: std::collections::BTreeSet<(U256, Address)>,
    /// Tracked positions with a nonzero unhealthy streak.
    unhealthy: HashSet<Address>,
}

impl Market {
    /// Tracks `t` for `user`, replacing (and returning) what was tracked; keeps the indexes.
    fn track(&mut self, user: Address, t: Tracked) -> Option<Tracked> {
        self.by_health.insert((t.chain.health.health_factor.wad(), user));
        self.set_streak(user, t.blocks_unhealthy);
        let before = self.tracked.insert(user, t);
        if let Some(b) = &before {
            let (old, new) = (
                b.chain.health.health_factor.wad(),
                self.tracked[&user].chain.health.health_factor.wad(),
            );
            if old != new {
                self.by_health.remove(&(old, user));
            }
        }
        before
    }

    /// Stops tracking `user`; keeps the indexes.
    fn untrack(&mut self, user: Address) -> Option<Tracked> {
        let before = self.tracked.remove(&user)?;
        self.by_health.remove(&(before.chain.health.health_factor.wad(), user));
        self.unhealthy.remove(&user);
        Some(before)
    }

    /// Records `user`'s unhealthy streak.
    fn set_streak(&mut self, user: Address, count: u64) {
        if count > 0 {
            self.unhealthy.insert(user);
        } else {
            self.unhealthy.remove(&user);
        }
        if let Some(t) = self.tracked.get_mut(&user) {
            t.blocks_unhealthy = count;
        }
    }

    /// Tracked users with health factor below `wad`, in health-factor order.
    fn below(&self, wad: U256) -> impl Iterator<Item = Address> + '_ {
        self.by_health.range(..(wad, Address::ZERO)).map(|(_, u)| *u)
    }
}

/// What to undo when a block is rolled back.
#[derive(Debug)]
enum Undo {
    Position { market: usize, user: Address, before: Option<Box<Tracked>> },
    Prices { market: usize, before: Vec<(Address, U256)> },
}

#[derive(Debug)]
struct Processed {
    header: BlockHeader,
    undo: Vec<Undo>,
    pools: Vec<Address>,
}

/// Running totals since the pipeline started.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Blocks processed.
    pub blocks: u64,
    /// Reorgs rolled back.
    pub reorgs: u64,
    /// Logs received.
    pub logs: u64,
    /// Logs decoded.
    pub decoded: u64,
    /// Positions re-read from chain.
    pub positions_refreshed: u64,
    /// Opportunities emitted.
    pub opportunities: u64,
}

/// The wired pipeline: for each block, decode its logs, apply them to the reserve cache,
/// refresh the touched positions in one batch, apply price changes, recompute health with
/// mev-health-calc, record it with [`PositionStore::update_health`], and emit an
/// [`Opportunity`] once a position has been unhealthy for
/// [`confirmations`](PipelineConfig::confirmations) blocks.
///
/// It talks to the chain only through [`ChainReader`] (and a [`BlockSource`] in
/// [`sync`](Self::sync)), to markets only through [`LendingProtocol`], to pools through
/// [`ReserveCache`], and to positions through [`PositionStore`].
///
/// Per block, a tracked position is *re-read from chain* (exact at that block) when an event
/// touched it, when it is on the watch list (health factor below
/// [`watch_health_factor`](PipelineConfig::watch_health_factor) or unhealthy last block),
/// when new prices bring it below the watch line, or when the rolling reconciliation reaches
/// it; every other position holding an asset whose price moved is *re-evaluated locally* at
/// the new prices. Verdicts near the liquidation line therefore always come from a fresh read.
///
/// ```no_run
/// use std::sync::Arc;
/// use mev_bot::{BotConfig, Pipeline, RpcChain};
/// use mev_position_cache::InMemoryPositionStore;
///
/// # async fn run() -> mev_bot::Result<()> {
/// let chain = RpcChain::connect("http://127.0.0.1:8545").await.expect("url");
/// let config = BotConfig::load("bot.toml".as_ref())?;
/// let store = Arc::new(InMemoryPositionStore::new());
/// let mut pipeline = Pipeline::from_config(&config, chain.reader(), store, &chain).await?;
/// loop {
///     for report in pipeline.sync(&chain).await? {
///         for o in &report.opportunities {
///             println!("{}", serde_json::to_string(o).unwrap());
///         }
///     }
///     chain.wait_for_head(std::time::Duration::from_secs(1)).await;
/// }
/// # }
/// ```
#[derive(Debug)]
pub struct Pipeline {
    reader: Arc<dyn ChainReader>,
    store: Arc<dyn PositionStore>,
    reserves: Arc<ReserveCache>,
    pools: HashMap<Address, PoolKey>,
    decoder: Decoder,
    filter: LogFilter,
    markets: Vec<Market>,
    emitter_market: HashMap<Address, usize>,
    feed_market: HashMap<Address, Vec<usize>>,
    oracle_market: HashMap<Address, Vec<usize>>,
    config: PipelineConfig,
    history: VecDeque<Processed>,
    needs_fetch: HashSet<Address>,
    totals: Totals,
    /// Chain time (seconds) up to which the reconciliation has run.
    reconciled_at: u64,
    late: Vec<Opportunity>,
}

impl Pipeline {
    /// Builds the pipeline from a [`BotConfig`]: connects every configured market at the
    /// source's latest block (reserve lists and oracles read through `reader`), creates a
    /// [`ReserveCache`] reading pools through `reader`, and [bootstraps](Self::bootstrap) at
    /// that block.
    pub async fn from_config(
        config: &BotConfig,
        reader: Arc<dyn ChainReader>,
        store: Arc<dyn PositionStore>,
        blocks: &dyn BlockSource,
    ) -> Result<Self> {
        config.validate()?;
        let head_number = blocks.latest_block().await.map_err(chain("reading the head"))?;
        let head =
            blocks.header(head_number).await.map_err(chain("reading the head block"))?.ok_or_else(
                || BotError::Chain {
                    context: format!("reading block {head_number}"),
                    source: Box::new(mev_rebuild::RebuildError::Decode {
                        what: "block",
                        reason: "the node does not have its latest block".into(),
                    }),
                },
            )?;
        Self::from_config_at(config, reader, store, head).await
    }

    /// As [`from_config`](Self::from_config), at a given block.
    pub async fn from_config_at(
        config: &BotConfig,
        reader: Arc<dyn ChainReader>,
        store: Arc<dyn PositionStore>,
        head: BlockHeader,
    ) -> Result<Self> {
        config.validate()?;
        let mut markets = Vec::new();
        for c in &config.aave_v3 {
            let pool = c.pool;
            let p = AaveV3Protocol::connect(&*reader, c.clone(), head.number)
                .await
                .map_err(chain(format!("reading the Aave market of pool {pool}")))?;
            markets.push(MarketSpec {
                protocol: Arc::new(p),
                family: Protocol::AaveV3,
                feeds: feeds(config, &c.name),
            });
        }
        for c in &config.compound_v2 {
            let comptroller = c.comptroller;
            let p = CompoundV2Protocol::connect(&*reader, c.clone(), head.number)
                .await
                .map_err(chain(format!("reading the markets of comptroller {comptroller}")))?;
            markets.push(MarketSpec {
                protocol: Arc::new(p),
                family: Protocol::CompoundV2,
                feeds: feeds(config, &c.name),
            });
        }
        let source =
            RpcReserveSource::new(ReaderCall(reader.clone())).multicall(Some(config.multicall));
        let reserves =
            Arc::new(ReserveCache::with_config(Arc::new(source), ReserveCacheConfig::default()));
        let pools = config.pools.iter().map(|p| (p.emitter(), p.key())).collect();
        let mut pipeline =
            Self::new(reader, store, reserves, pools, markets, config.pipeline.clone())?;
        pipeline.bootstrap(head).await?;
        Ok(pipeline)
    }

    /// A pipeline over parts built by the caller. `pools` pairs each pool with the contract
    /// that emits its events (the pool itself; the Vault for Balancer). Call
    /// [`bootstrap`](Self::bootstrap) before the first block.
    pub fn new(
        reader: Arc<dyn ChainReader>,
        store: Arc<dyn PositionStore>,
        reserves: Arc<ReserveCache>,
        pools: Vec<(Address, PoolKey)>,
        markets: Vec<MarketSpec>,
        config: PipelineConfig,
    ) -> Result<Self> {
        config.validate()?;
        let mut registry = Registry::new();
        let mut addresses = Vec::new();
        let mut pool_map = HashMap::new();
        for (emitter, key) in pools {
            let protocol = match key.kind {
                PoolKind::UniswapV2 => Protocol::UniswapV2,
                PoolKind::UniswapV3 => Protocol::UniswapV3,
                PoolKind::BalancerV2 { .. } => Protocol::BalancerV2,
                _ => Protocol::Curve,
            };
            registry.insert(emitter, protocol);
            addresses.push(emitter);
            pool_map.insert(key.address, key);
        }
        let mut emitter_market = HashMap::new();
        let mut feed_market: HashMap<Address, Vec<usize>> = HashMap::new();
        let mut oracle_market: HashMap<Address, Vec<usize>> = HashMap::new();
        let mut out = Vec::with_capacity(markets.len());
        for (i, spec) in markets.into_iter().enumerate() {
            let name = spec.protocol.name().to_owned();
            let family = spec.family;
            for e in spec.protocol.emitters() {
                registry.insert(e, family);
                addresses.push(e);
                emitter_market.insert(e, i);
            }
            let oracle = spec.protocol.price_oracle();
            if family == Protocol::AaveV3 {
                registry.insert(oracle, Protocol::AaveV3);
                addresses.push(oracle);
                oracle_market.entry(oracle).or_default().push(i);
            }
            for f in spec.feeds {
                registry.insert(f, Protocol::Chainlink);
                addresses.push(f);
                feed_market.entry(f).or_default().push(i);
            }
            out.push(Market {
                protocol: spec.protocol,
                name,
                prices: Vec::new(),
                tracked: BTreeMap::new(),
                cursor: None,
                checked: HashSet::new(),
                deferred: Vec::new(),
                by_health: std::collections::BTreeSet::new(),
                unhealthy: HashSet::new(),
            });
        }
        addresses.sort_unstable();
        addresses.dedup();
        let topics = registry.topics();
        Ok(Self {
            reader,
            store,
            reserves,
            pools: pool_map,
            decoder: Decoder::with_registry(registry),
            filter: LogFilter { addresses, topics },
            markets: out,
            emitter_market,
            feed_market,
            oracle_market,
            config,
            history: VecDeque::new(),
            needs_fetch: HashSet::new(),
            totals: Totals::default(),
            reconciled_at: 0,
            late: Vec::new(),
        })
    }

    /// Loads the starting state at block `head`: discovers every market's borrowers from its
    /// logs (plus those already in the store), reads their positions in batches, writes the
    /// ones with debt to the store (removing the rest), reads prices, and reads every pool.
    pub async fn bootstrap(&mut self, head: BlockHeader) -> Result<()> {
        let started = Instant::now();
        let stored = self.store.get_all().await.map_err(store("reading the store"))?;
        for m in &mut self.markets {
            let protocol = m.protocol.clone();
            // Stored counters by user: streaks survive a restart.
            let stored_counters: HashMap<Address, u64> = stored
                .iter()
                .filter(|p| p.protocol == m.name)
                .map(|p| (p.user, p.blocks_unhealthy))
                .collect();
            let mut users: Vec<Address> = stored_counters.keys().copied().collect();
            let mut from = protocol.start_block();
            while from <= head.number {
                let to = head.number.min(from.saturating_add(self.config.log_range - 1));
                let filter = protocol.log_filter().from_block(from).to_block(to);
                let logs = self
                    .reader
                    .logs(&filter)
                    .await
                    .map_err(chain(format!("discovering {} borrowers", m.name)))?;
                users.extend(logs.iter().filter_map(|l| protocol.borrower(l)));
                from = to + 1;
            }
            users.sort_unstable();
            users.dedup();
            let read = if users.is_empty() {
                Vec::new()
            } else {
                protocol
                    .read_positions(&*self.reader, &users, head.number)
                    .await
                    .map_err(chain(format!("reading {} positions", m.name)))?
            };
            let mut writes = Vec::new();
            for cp in read {
                let user = cp.position.user;
                if cp.has_debt() {
                    let before = stored_counters.get(&user).copied().unwrap_or(0);
                    let t = Tracked { chain: cp, blocks_unhealthy: before };
                    writes.push(t.stored(head.number));
                    m.track(user, t);
                } else if stored_counters.contains_key(&user) {
                    self.store
                        .remove(&m.name, user)
                        .await
                        .map_err(store("removing a closed position"))?;
                }
            }
            self.store.upsert_many(&writes).await.map_err(store("writing positions"))?;
            m.prices = protocol
                .read_prices(&*self.reader, head.number)
                .await
                .map_err(chain(format!("reading {} prices", m.name)))?;
        }
        // Sorted: the same pools give the same requests (a replay answers them by content).
        let mut pools: Vec<PoolKey> = self.pools.values().cloned().collect();
        pools.sort_unstable_by_key(|k| k.address);
        for r in self.reserves.warm(&pools, head.number).await {
            r.map_err(|e| BotError::Chain {
                context: format!("reading pools at block {}", head.number),
                source: Box::new(mev_rebuild::RebuildError::Decode {
                    what: "pool",
                    reason: e.to_string(),
                }),
            })?;
        }
        self.history.clear();
        self.history.push_back(Processed { header: head, undo: Vec::new(), pools: Vec::new() });
        self.reconciled_at = head.timestamp;
        tracing::info!(
            block = head.number,
            positions = self.positions(),
            pools = self.pools.len(),
            ms = started.elapsed().as_millis() as u64,
            "bootstrapped"
        );
        telemetry::record_positions(self);
        Ok(())
    }

    /// The block the caches reflect.
    pub fn head(&self) -> Option<BlockHeader> {
        self.history.back().map(|p| p.header)
    }

    /// The `eth_getLogs` filter of each block: every watched emitter and known topic.
    pub const fn log_filter(&self) -> &LogFilter {
        &self.filter
    }

    /// The reserve cache.
    pub const fn reserves(&self) -> &Arc<ReserveCache> {
        &self.reserves
    }

    /// The position store.
    pub const fn store(&self) -> &Arc<dyn PositionStore> {
        &self.store
    }

    /// The configured pools.
    pub fn pools(&self) -> impl Iterator<Item = &PoolKey> {
        self.pools.values()
    }

    /// Positions tracked across all markets.
    pub fn positions(&self) -> usize {
        self.markets.iter().map(|m| m.tracked.len()).sum()
    }

    /// Every tracked position as the pipeline last evaluated it: `(market, position, health)`.
    pub fn tracked(&self) -> impl Iterator<Item = (&str, &Position, &PositionHealth)> {
        self.markets.iter().flat_map(|m| {
            m.tracked.values().map(move |t| (m.name.as_str(), &t.chain.position, &t.chain.health))
        })
    }

    /// The consecutive unhealthy blocks of every tracked position, `(market, user, count)`.
    pub fn unhealthy_counts(&self) -> impl Iterator<Item = (&str, Address, u64)> {
        self.markets.iter().flat_map(|m| {
            m.tracked.iter().map(move |(u, t)| (m.name.as_str(), *u, t.blocks_unhealthy))
        })
    }

    /// Totals since start.
    pub const fn totals(&self) -> &Totals {
        &self.totals
    }

    /// Processes everything the source has beyond the pipeline's head: back-fills every
    /// missing block, detects reorgs by parent hash (walking back to the common ancestor and
    /// rolling back), and returns one report per event. `on_event` sees each event before it
    /// is applied (a recorder writes it down).
    pub async fn sync_with(
        &mut self,
        source: &dyn BlockSource,
        mut on_event: impl FnMut(&ChainEvent),
    ) -> Result<Vec<BlockReport>> {
        let mut reports = Vec::new();
        while let Some(r) = self.sync_step(source, &mut on_event).await? {
            reports.push(r);
        }
        Ok(reports)
    }

    /// Applies the next event past the pipeline's head — the next block, or a reorg rollback
    /// when the next block's parent is not the head — or returns `None` when the pipeline is
    /// at the source's latest block.
    pub async fn sync_step(
        &mut self,
        source: &dyn BlockSource,
        mut on_event: impl FnMut(&ChainEvent),
    ) -> Result<Option<BlockReport>> {
        let Some(head) = self.head() else {
            return Err(BotError::Config { reason: "the pipeline was not bootstrapped".into() });
        };
        let latest = source.latest_block().await.map_err(chain("reading the head"))?;
        telemetry::block_lag(latest, head.number);
        if head.number >= latest {
            // Same height: a reorg that replaced the head shows as a changed hash.
            let same = source
                .header(head.number)
                .await
                .map_err(chain(format!("reading block {}", head.number)))?;
            if same.is_some_and(|h| h.hash != head.hash) && head.number == latest {
                let event = ChainEvent::Reorg { ancestor: self.find_ancestor(source).await? };
                on_event(&event);
                return self.step(event).await.map(Some);
            }
            return Ok(None);
        }
        let next = head.number + 1;
        let Some(header) =
            source.header(next).await.map_err(chain(format!("reading block {next}")))?
        else {
            return Ok(None);
        };
        let event = if header.parent_hash == head.hash {
            let logs = source
                .block_logs(&header, &self.filter)
                .await
                .map_err(chain(format!("reading the logs of block {next}")))?;
            if logs.iter().any(|l| l.removed) {
                // The node is mid-reorg; the next pass sees the new branch.
                return Ok(None);
            }
            ChainEvent::Block(BlockData { header, logs })
        } else {
            ChainEvent::Reorg { ancestor: self.find_ancestor(source).await? }
        };
        on_event(&event);
        self.step(event).await.map(Some)
    }

    /// [`sync_with`](Self::sync_with) without an observer.
    pub async fn sync(&mut self, source: &dyn BlockSource) -> Result<Vec<BlockReport>> {
        self.sync_with(source, |_| {}).await
    }

    async fn find_ancestor(&self, source: &dyn BlockSource) -> Result<u64> {
        for kept in self.history.iter().rev() {
            let n = kept.header.number;
            let theirs =
                source.header(n).await.map_err(chain(format!("reading block {n} for a reorg")))?;
            if theirs.is_some_and(|h| h.hash == kept.header.hash) {
                return Ok(n);
            }
        }
        Err(BotError::ReorgTooDeep {
            kept: self.history.len(),
            oldest: self.history.front().map_or(0, |p| p.header.number),
        })
    }

    /// [`handle`](Self::handle) followed, for a block, by [`reconcile`](Self::reconcile): what
    /// the follower and the replay run for each event. The report's latency (`micros`) is the
    /// block's alone.
    pub async fn step(&mut self, event: ChainEvent) -> Result<BlockReport> {
        let is_block = matches!(event, ChainEvent::Block(_));
        let mut report = self.handle(event).await?;
        if is_block {
            report.positions_reconciled = self.reconcile().await?;
            report.opportunities.extend(self.take_reconciled_opportunities());
        }
        Ok(report)
    }

    /// Applies one chain event — a block on top of the head, or a reorg rollback — on the
    /// critical path: decode, pools, prices, the touched and watched positions, verdicts and
    /// opportunities. The rolling reconciliation is separate ([`reconcile`](Self::reconcile)).
    pub async fn handle(&mut self, event: ChainEvent) -> Result<BlockReport> {
        let started = Instant::now();
        let mut report = match event {
            ChainEvent::Block(block) => self.process_block(block).await?,
            ChainEvent::Reorg { ancestor } => self.rollback(ancestor).await?,
        };
        report.micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        telemetry::block_done(&report, started.elapsed());
        telemetry::reserve_stats(&self.reserves.stats());
        Ok(report)
    }

    async fn process_block(&mut self, block: BlockData) -> Result<BlockReport> {
        let BlockData { header, logs } = block;
        let n = header.number;
        if let Some(head) = self.head()
            && (header.parent_hash != head.hash || n != head.number + 1)
        {
            return Err(BotError::NotChild { number: n, head: head.number, head_hash: head.hash });
        }
        let mut report = BlockReport { block: n, logs: logs.len(), ..BlockReport::default() };
        let mut undo = Vec::new();
        for m in &mut self.markets {
            m.checked.clear();
        }

        // 1. Decode.
        let t = Instant::now();
        let decoded: Vec<_> = logs.iter().filter_map(|l| self.decoder.decode(l).ok()).collect();
        report.decoded = decoded.len();
        telemetry::stage("decode", t.elapsed());

        // 2. Pools, and what the events touched.
        let t = Instant::now();
        let mut touched: Vec<HashSet<Address>> = vec![HashSet::new(); self.markets.len()];
        let mut price_moved = vec![false; self.markets.len()];
        let mut touched_pools = Vec::new();
        for log in &decoded {
            for change in log.state_changes() {
                match change {
                    StateChange::Pool { pool, .. } if self.pools.contains_key(&pool) => {
                        touched_pools.push(pool);
                        match self.reserves.apply(log) {
                            Applied::Updated => report.pools_updated += 1,
                            Applied::Invalidated => {
                                self.needs_fetch.insert(pool);
                            }
                            Applied::Unchanged => {}
                        }
                    }
                    StateChange::Position { market, user, .. } => {
                        if let Some(&i) = self.emitter_market.get(&market) {
                            touched[i].insert(user);
                        }
                    }
                    StateChange::Price { feed, .. } => {
                        for &i in self.feed_market.get(&feed).into_iter().flatten() {
                            price_moved[i] = true;
                        }
                    }
                    StateChange::PriceSource { oracle, .. } => {
                        for &i in self.oracle_market.get(&oracle).into_iter().flatten() {
                            price_moved[i] = true;
                        }
                    }
                    _ => {}
                }
            }
        }
        touched_pools.sort_unstable();
        touched_pools.dedup();
        // Read every pool this block changed, and every configured pool the cache no longer
        // holds (invalidated, expired, rolled back): a hit when the events kept it current,
        // else one batched read at this block, after its events.
        for p in &touched_pools {
            if self.reserves.cached(p).is_none() {
                self.needs_fetch.insert(*p);
            }
        }
        for p in self.pools.keys() {
            if !self.needs_fetch.contains(p) && self.reserves.peek(p).is_none() {
                self.needs_fetch.insert(*p);
            }
        }
        if !self.needs_fetch.is_empty() {
            let mut keys: Vec<PoolKey> =
                self.needs_fetch.iter().filter_map(|a| self.pools.get(a).cloned()).collect();
            keys.sort_unstable_by_key(|k| k.address);
            for r in self.reserves.warm(&keys, n).await {
                match r {
                    Ok(_) => report.pools_fetched += 1,
                    Err(e) => {
                        tracing::warn!(block = n, error = %e, "pool read failed; retried next block");
                    }
                }
            }
            self.needs_fetch.retain(|a| self.reserves.peek(a).is_none());
        }
        telemetry::stage("reserves", t.elapsed());

        // 3. Prices, refresh, health, per market.
        for i in 0..self.markets.len() {
            let touched = std::mem::take(&mut touched[i]);
            self.process_market(i, &header, touched, price_moved[i], &mut report, &mut undo)
                .await?;
        }

        self.totals.blocks += 1;
        self.totals.logs += report.logs as u64;
        self.totals.decoded += report.decoded as u64;
        self.totals.positions_refreshed += report.positions_refreshed as u64;
        self.totals.opportunities += report.opportunities.len() as u64;
        self.history.push_back(Processed { header, undo, pools: touched_pools });
        // Trimming (freeing the oldest block's journal) is done by `reconcile`, off the
        // critical path; here only as a bound when the caller never reconciles.
        while self.history.len() > 2 * self.config.max_reorg_depth + 1 {
            self.history.pop_front();
        }
        Ok(report)
    }

    async fn process_market(
        &mut self,
        i: usize,
        header: &BlockHeader,
        touched: HashSet<Address>,
        price_moved: bool,
        report: &mut BlockReport,
        undo: &mut Vec<Undo>,
    ) -> Result<()> {
        let n = header.number;
        let watch = self.config.watch_health_factor;
        let protocol = self.markets[i].protocol.clone();
        let name = self.markets[i].name.clone();

        // Prices: one read when a watched feed or the oracle moved.
        let t = Instant::now();
        // Finish any repricing deferred by an earlier block (normally done by `reconcile`).
        self.finish_repricing();
        let mut refresh: HashSet<Address> = touched;
        // The watch list (near the line, or unhealthy last block) is re-read. After a price
        // move, a position can lose at most the move's factor `F` (every moved asset taken in
        // its worst direction), so only holders with health factor below `watch / F` (plus
        // rounding slack) are repriced now; the rest after the block (`reconcile`), off the
        // critical path.
        let mut moved: Vec<(Address, U256)> = Vec::new();
        let mut bound = U256::ZERO;
        if price_moved {
            let prices = protocol
                .read_prices(&*self.reader, n)
                .await
                .map_err(chain(format!("reading {name} prices at block {n}")))?;
            let m = &mut self.markets[i];
            moved = prices.iter().filter(|p| !m.prices.contains(p)).copied().collect();
            if !moved.is_empty() {
                bound = reprice_bound(&m.prices, &moved, watch);
                let before = std::mem::replace(&mut m.prices, prices);
                undo.push(Undo::Prices { market: i, before });
            }
        }
        let m = &mut self.markets[i];
        refresh.extend(m.below(watch));
        refresh.extend(m.unhealthy.iter().copied());
        let now: Vec<Address> = m
            .below(bound)
            .filter(|u| !refresh.contains(u) && m.tracked[u].chain.inputs.holds_any(&moved))
            .collect();
        if !moved.is_empty() {
            report.positions_repriced += reprice_users(m, &now, &moved, watch, &mut refresh);
            // Everyone else holding a moved asset: after the block. (Repricing a position
            // already at these prices is a no-op.)
            m.deferred.push(moved.clone());
        }
        telemetry::stage("prices", t.elapsed());
        let mut users: Vec<Address> = refresh.into_iter().collect();
        users.sort_unstable();
        self.read_and_record(i, n, &users, report, undo).await
    }

    /// Re-reads `users` of market `i` at block `n` in one batch, updates the tracked state and
    /// the store, records health verdicts and collects opportunities.
    async fn read_and_record(
        &mut self,
        i: usize,
        n: u64,
        users: &[Address],
        report: &mut BlockReport,
        undo: &mut Vec<Undo>,
    ) -> Result<()> {
        if users.is_empty() {
            return Ok(());
        }
        let protocol = self.markets[i].protocol.clone();
        let name = self.markets[i].name.clone();
        let t = Instant::now();
        let read = protocol
            .read_positions(&*self.reader, users, n)
            .await
            .map_err(chain(format!("reading {} {name} positions at block {n}", users.len())))?;
        report.positions_refreshed += read.len();
        telemetry::stage("refresh", t.elapsed());

        // Every re-read position is written (the write refreshes its TTL); a verdict is
        // recorded where it can change the streak: unhealthy now, or unhealthy before.
        let t = Instant::now();
        let m = &mut self.markets[i];
        let mut writes: Vec<Position> = Vec::with_capacity(read.len());
        let mut verdicts: Vec<(Address, bool)> = Vec::new();
        let mut removed = Vec::new();
        for cp in read {
            let user = cp.position.user;
            let before = m.untrack(user);
            if cp.has_debt() {
                let blocks_unhealthy = before.as_ref().map_or(0, |b| b.blocks_unhealthy);
                let healthy = !cp.health.liquidatable;
                let next = Tracked { chain: cp, blocks_unhealthy };
                writes.push(next.stored(n));
                if (!healthy || blocks_unhealthy > 0) && m.checked.insert(user) {
                    verdicts.push((user, healthy));
                }
                m.track(user, next);
            } else if before.is_some() {
                removed.push(user);
            } else {
                continue; // never tracked, still without debt: nothing to undo
            }
            undo.push(Undo::Position { market: i, user, before: before.map(Box::new) });
        }
        for u in &removed {
            self.store.remove(&name, *u).await.map_err(store("removing a closed position"))?;
        }
        report.positions_removed += removed.len();
        if !writes.is_empty() {
            self.store.upsert_many(&writes).await.map_err(store("writing positions"))?;
        }
        let shared = &self.store;
        let counts = join_all(verdicts.iter().map(|&(user, healthy)| {
            let name = &name;
            async move { (user, shared.update_health(name, user, healthy, n).await) }
        }))
        .await;
        let m = &mut self.markets[i];
        for (user, result) in counts {
            let count = result.map_err(store("recording health"))?.unwrap_or(0);
            if !m.tracked.contains_key(&user) {
                continue;
            }
            m.set_streak(user, count);
            if count == self.config.confirmations {
                report.opportunities.push(opportunity(&name, n, &m.tracked[&user]));
            }
        }
        report.opportunities.sort_by(|a, b| (&a.protocol, a.user).cmp(&(&b.protocol, b.user)));
        telemetry::stage("health", t.elapsed());
        Ok(())
    }

    /// Rolling reconciliation, off the block's critical path: re-reads, at the head block, the
    /// share of each market's positions that the chain time since the last call covers
    /// (`positions × seconds / reconcile_seconds`, round-robin), so every position is re-read
    /// from chain and rewritten — refreshing its TTL — within
    /// [`reconcile_seconds`](PipelineConfig::reconcile_seconds). Positions already evaluated
    /// at the head are skipped. [`sync_step`](Self::sync_step) and [`replay`](crate::replay)
    /// call it after every block; call it after [`handle`](Self::handle) when driving the
    /// pipeline yourself. Returns the positions re-read.
    pub async fn reconcile(&mut self) -> Result<usize> {
        let Some(head) = self.head() else { return Ok(0) };
        self.finish_repricing();
        while self.history.len() > self.config.max_reorg_depth + 1 {
            self.history.pop_front();
        }
        telemetry::record_positions(self);
        let step = head.timestamp.saturating_sub(self.reconciled_at);
        self.reconciled_at = self.reconciled_at.max(head.timestamp);
        if step == 0 {
            return Ok(0);
        }
        let period = self.config.reconcile_seconds.max(1);
        let started = Instant::now();
        let mut report = BlockReport { block: head.number, ..BlockReport::default() };
        let mut undo = Vec::new();
        for i in 0..self.markets.len() {
            let m = &mut self.markets[i];
            let share = (m.tracked.len() as u128 * u128::from(step)).div_ceil(u128::from(period));
            let slice = usize::try_from(share).unwrap_or(usize::MAX).min(m.tracked.len());
            let start = m.cursor.map_or(Bound::Unbounded, Bound::Excluded);
            let mut picked: Vec<Address> = m
                .tracked
                .range((start, Bound::Unbounded))
                .map(|(u, _)| *u)
                .chain(m.tracked.keys().copied())
                .take(slice)
                .collect();
            m.cursor = picked.last().copied().or(m.cursor);
            picked.retain(|u| !m.checked.contains(u));
            picked.sort_unstable();
            picked.dedup();
            self.read_and_record(i, head.number, &picked, &mut report, &mut undo).await?;
        }
        if let Some(p) = self.history.back_mut() {
            p.undo.extend(undo);
        }
        if !report.opportunities.is_empty() {
            // Rare: a position found unhealthy by reconciliation reaches the count here only
            // with confirmations = 1.
            self.late.extend(report.opportunities);
        }
        telemetry::stage("reconcile", started.elapsed());
        Ok(report.positions_refreshed)
    }

    /// Reprices the holders whose repricing a price move deferred past its block. They are
    /// far enough above the watch line that the move cannot bring them below it.
    fn finish_repricing(&mut self) {
        let watch = self.config.watch_health_factor;
        for m in &mut self.markets {
            for moved in std::mem::take(&mut m.deferred) {
                let users: Vec<Address> = m
                    .tracked
                    .iter()
                    .filter(|(_, t)| t.chain.inputs.holds_any(&moved))
                    .map(|(u, _)| *u)
                    .collect();
                let mut below = HashSet::new();
                reprice_users(m, &users, &moved, watch, &mut below);
                // The bound guarantees none fell below the line; should one have (a bug),
                // the next block's watch list re-reads it.
                if !below.is_empty() {
                    tracing::warn!(n = below.len(), "deferred repricing fell below the watch line");
                }
            }
        }
    }

    /// Opportunities found by [`reconcile`](Self::reconcile) (possible with
    /// `confirmations = 1`), taken.
    pub fn take_reconciled_opportunities(&mut self) -> Vec<Opportunity> {
        std::mem::take(&mut self.late)
    }

    async fn rollback(&mut self, ancestor: u64) -> Result<BlockReport> {
        let mut report = BlockReport { block: ancestor, reorg: true, ..BlockReport::default() };
        if self.history.front().is_none_or(|p| p.header.number > ancestor) {
            return Err(BotError::ReorgTooDeep {
                kept: self.history.len(),
                oldest: self.history.front().map_or(0, |p| p.header.number),
            });
        }
        let mut restore: HashMap<(usize, Address), Option<Box<Tracked>>> = HashMap::new();
        let mut repriced_markets = HashSet::new();
        let mut pools = HashSet::new();
        while self.history.back().is_some_and(|p| p.header.number > ancestor) {
            let Some(p) = self.history.pop_back() else { break };
            pools.extend(p.pools);
            for u in p.undo.into_iter().rev() {
                match u {
                    Undo::Position { market, user, before } => {
                        restore.insert((market, user), before);
                    }
                    Undo::Prices { market, before } => {
                        self.markets[market].prices = before;
                        repriced_markets.insert(market);
                    }
                }
            }
        }
        let mut writes: Vec<Vec<Position>> = vec![Vec::new(); self.markets.len()];
        for ((market, user), before) in restore {
            let m = &mut self.markets[market];
            match before {
                Some(t) => {
                    let block = t.chain.position.last_update_block;
                    writes[market].push(t.stored(block));
                    m.track(user, *t);
                }
                None => {
                    m.untrack(user);
                    self.store
                        .remove(&m.name, user)
                        .await
                        .map_err(store("rolling back a position"))?;
                    report.positions_removed += 1;
                }
            }
        }
        for (market, w) in writes.iter().enumerate() {
            if !w.is_empty() {
                report.positions_refreshed += w.len();
                self.store.restore_many(w).await.map_err(store("rolling back positions"))?;
                tracing::debug!(market = self.markets[market].name, n = w.len(), "restored");
            }
        }
        // Positions repriced in the rolled-back blocks go back to the ancestor's prices.
        for i in repriced_markets {
            let prices = self.markets[i].prices.clone();
            self.markets[i].deferred.clear();
            reprice_all(&mut self.markets[i], &prices);
        }
        for m in &mut self.markets {
            m.checked.clear();
        }
        self.reserves.invalidate_many(pools.iter());
        self.needs_fetch.extend(pools);
        self.totals.reorgs += 1;
        tracing::warn!(ancestor, "reorg: caches rolled back");
        Ok(report)
    }
}

/// Reprices, in place, the tracked positions `users` of `m` at the `moved` prices; positions
/// that land below `watch` (or fail) go to `refresh`. Returns how many were repriced.
fn reprice_users(
    m: &mut Market,
    users: &[Address],
    moved: &[(Address, U256)],
    watch: U256,
    refresh: &mut HashSet<Address>,
) -> usize {
    let mut n = 0;
    for user in users {
        let Some(t) = m.tracked.get_mut(user) else { continue };
        match t.chain.inputs.reprice(moved) {
            Ok(Some(health)) => {
                n += 1;
                m.by_health.remove(&(t.chain.health.health_factor.wad(), *user));
                m.by_health.insert((health.health_factor.wad(), *user));
                t.chain.health = health;
                t.chain.position.health_factor = Some(health.health_factor.wad());
                if health.health_factor.wad() < watch {
                    refresh.insert(*user);
                }
            }
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(user = %user, error = %e, "repricing failed; re-reading");
                refresh.insert(*user);
            }
        }
    }
    n
}

/// Reprices every tracked position of `m` at `prices` (after a rollback).
fn reprice_all(m: &mut Market, prices: &[(Address, U256)]) {
    let users: Vec<Address> = m.tracked.keys().copied().collect();
    let mut ignored = HashSet::new();
    reprice_users(m, &users, prices, U256::ZERO, &mut ignored);
}

/// The health factor (WAD) below which a holder of a moved asset may fall under `watch` at the
/// new prices: `watch / F × (1 + 0.2 %)`, where `F` = the product over moved assets of
/// `min(new/old, old/new)` — every asset taken in its worst direction (a collateral falling, a
/// debt rising scale the health factor by at most that ratio). The 0.2 % slack covers the
/// contracts' rounding (the floored average liquidation threshold before v3.5 moves a health
/// factor by at most ~0.0125 %). Unknown old prices give `U256::MAX` (reprice everyone now).
fn reprice_bound(before: &[(Address, U256)], moved: &[(Address, U256)], watch: U256) -> U256 {
    let mut bound = watch.saturating_mul(U256::from(1002u64)) / U256::from(1000u64);
    for (asset, new) in moved {
        let Some((_, old)) = before.iter().find(|(a, _)| a == asset) else {
            return U256::MAX;
        };
        if old.is_zero() || new.is_zero() {
            return U256::MAX;
        }
        // bound /= min(new/old, old/new)  ==  bound * max(new, old) / min(new, old), rounded up.
        let (hi, lo) = if new > old { (*new, *old) } else { (*old, *new) };
        bound = bound.saturating_mul(hi).div_ceil(lo);
    }
    bound
}

fn opportunity(name: &str, block: u64, t: &Tracked) -> Opportunity {
    let health = &t.chain.health;
    let liquidation = match &t.chain.inputs {
        HealthInputs::Aave(a) => {
            let view = a.position();
            let mut best: Option<LiquidationHint> = None;
            for c in &a.reserves {
                for d in &a.reserves {
                    let Ok(plan) = view.plan_liquidation(c.asset, d.asset, U256::MAX) else {
                        continue;
                    };
                    let hint = LiquidationHint {
                        collateral_asset: c.asset,
                        debt_asset: d.asset,
                        debt_to_cover: plan.debt_to_cover,
                        collateral_to_liquidator: plan.collateral_to_liquidator,
                        gross_profit_base: plan.gross_profit_base(),
                    };
                    if best.as_ref().is_none_or(|b| hint.gross_profit_base > b.gross_profit_base) {
                        best = Some(hint);
                    }
                }
            }
            best
        }
        _ => None,
    };
    Opportunity {
        block,
        protocol: name.to_owned(),
        user: t.chain.position.user,
        health_factor: health.health_factor.wad(),
        blocks_unhealthy: t.blocks_unhealthy,
        collateral_value: health.collateral_value,
        debt_value: health.debt_value,
        liquidation,
    }
}

fn feeds(config: &BotConfig, market: &str) -> Vec<Address> {
    config.price_feeds.iter().filter(|f| f.market == market).map(|f| f.feed).collect()
}

fn chain(context: impl Into<String>) -> impl FnOnce(mev_rebuild::RebuildError) -> BotError {
    let context = context.into();
    move |source| BotError::Chain { context, source: Box::new(source) }
}

fn store(context: &'static str) -> impl FnOnce(mev_position_cache::StoreError) -> BotError {
    move |source| BotError::Store { context: context.into(), source: Box::new(source) }
}

/// Health factor bucket label for metrics and summaries.
pub(crate) fn bucket(hf: HealthFactor) -> &'static str {
    const MILLI: u64 = 1_000_000_000_000_000;
    const EDGES: [(U256, &str); 4] = [
        (U256::from_limbs([1000 * MILLI, 0, 0, 0]), "lt_1.00"),
        (U256::from_limbs([1050 * MILLI, 0, 0, 0]), "1.00_1.05"),
        (U256::from_limbs([1100 * MILLI, 0, 0, 0]), "1.05_1.10"),
        (U256::from_limbs([1500 * MILLI, 0, 0, 0]), "1.10_1.50"),
    ];
    let wad = hf.wad();
    EDGES.iter().find(|(edge, _)| wad < *edge).map_or("ge_1.50", |(_, label)| label)
}

#[cfg(test)]
mod tests {
    use super::*;

    const WAD: u64 = 1_000_000_000_000_000_000;

    #[test]
    fn reprice_bound_takes_each_move_in_its_worst_direction() {
        let (a, b) = (Address::repeat_byte(1), Address::repeat_byte(2));
        let watch = U256::from(WAD);
        // A 1 % drop of one asset: watch × 1.002 / 0.99.
        let before = [(a, U256::from(100u64))];
        let bound = reprice_bound(&before, &[(a, U256::from(99u64))], watch);
        assert_eq!(
            bound,
            (U256::from(1_002u64 * (WAD / 1000)) * U256::from(100u64)).div_ceil(U256::from(99u64))
        );
        // A rise counts the same as a fall (it hurts as a debt), and moves multiply.
        let up = reprice_bound(&before, &[(a, U256::from(101u64))], watch);
        assert!(
            up > U256::from(1_011u64 * (WAD / 1000)) && up < U256::from(1_013u64 * (WAD / 1000))
        );
        let before2 = [(a, U256::from(100u64)), (b, U256::from(50u64))];
        let both =
            reprice_bound(&before2, &[(a, U256::from(99u64)), (b, U256::from(51u64))], watch);
        assert!(both > bound);
        // Unknown or zero prices: everyone is repriced at once.
        assert_eq!(reprice_bound(&[], &[(a, U256::from(1u64))], watch), U256::MAX);
        assert_eq!(reprice_bound(&before, &[(a, U256::ZERO)], watch), U256::MAX);
    }

    #[test]
    fn health_buckets() {
        let hf = |milli: u64| HealthFactor::from_wad(U256::from(milli) * U256::from(WAD / 1000));
        assert_eq!(bucket(hf(999)), "lt_1.00");
        assert_eq!(bucket(hf(1000)), "1.00_1.05");
        assert_eq!(bucket(hf(1099)), "1.05_1.10");
        assert_eq!(bucket(hf(1499)), "1.10_1.50");
        assert_eq!(bucket(HealthFactor::INFINITE), "ge_1.50");
    }
}
