//! Pool discovery: the pools factories, the Balancer Vault and the Uniswap V4 `PoolManager`
//! created in a block range, as [`PoolKey`]s, filtered by their tokens and by their liquidity
//! at the range's last block.
//!
//! [`discover_pools`] reads, for each [`PoolSource`], its creation events with `eth_getLogs`
//! in chunks of at most [`DiscoveryOptions::max_block_range`] blocks (a chunk the node refuses
//! as too large, [`ChainErrorKind::RangeTooLarge`], is halved and retried down to single
//! blocks):
//!
//! | Source | Event | The pool's key |
//! |---|---|---|
//! | Uniswap V2 factory (or fork) | `PairCreated(token0, token1, pair, n)` | [`PoolKey::uniswap_v2_fork`] with the source's fee |
//! | Uniswap V3 factory (or fork) | `PoolCreated(token0, token1, fee, tickSpacing, pool)` | [`PoolKey::uniswap_v3_with_ticks`] |
//! | Uniswap V4 `PoolManager` | `Initialize(id, currency0, currency1, fee, tickSpacing, hooks, …)` | [`PoolKey::uniswap_v4_with_ticks`] with the source's `StateView` |
//! | Balancer V2 Vault | `PoolRegistered(poolId, pool, specialization)` | [`PoolKey::balancer_v2_of_type`] |
//!
//! A Balancer pool's type is not on chain in a standard way: it is the type of the factory that
//! created it, from the `PoolCreated(address indexed pool)` events of the factories the source
//! names as weighted or composable stable ([`BalancerPoolType::Other`] for any other pool). Its
//! tokens are read with `Vault.getPoolTokens` at the last block.
//!
//! Then the [`DiscoveryFilter`] applies: first the token allow-list (on the tokens the events
//! name), then one [`RpcReserveSource::fetch_many`] at the last block (one Multicall3 batch)
//! reads the Balancer pools' tokens and balances and, when a [`MinLiquidity`] is set, the state
//! of every other pool still in, and the allow-list (Balancer) and the minimum liquidity apply.
//! The [`Discovery`] lists the pools kept, in creation order, and counts those dropped and why.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

use alloy_primitives::{Address, U256};
use alloy_rpc_types_eth::{Filter, Log};
use alloy_sol_types::{SolEvent, sol};
use mev_chain::{ChainError, ChainErrorKind, ChainReader, MULTICALL3_ADDRESS};
use mev_event_decoder::events::uniswap_v4::Initialize;
use mev_swap_math::V2Fee;

use crate::{
    BalancerPoolType, DEFAULT_TICK_WORDS, PoolKey, PoolKind, PoolState, ReserveError,
    ReserveSource, RpcReserveSource, V4PoolKey, state::tick_i32,
};

sol! {
    /// Uniswap V2 `UniswapV2Factory` (and forks).
    interface IUniswapV2Factory {
        event PairCreated(address indexed token0, address indexed token1, address pair, uint256 allPairsLength);
    }

    /// Uniswap V3 `UniswapV3Factory` (and forks).
    interface IUniswapV3Factory {
        event PoolCreated(
            address indexed token0,
            address indexed token1,
            uint24 indexed fee,
            int24 tickSpacing,
            address pool
        );
    }

    /// The Balancer V2 Vault.
    interface IBalancerVault {
        event PoolRegistered(bytes32 indexed poolId, address indexed poolAddress, uint8 specialization);
    }

    /// A Balancer V2 pool factory (`BasePoolFactory`).
    interface IBalancerPoolFactory {
        event PoolCreated(address indexed pool);
    }
}

/// Blocks per `eth_getLogs` request [`DiscoveryOptions::default`] asks for: what most
/// providers accept for a filter on a few addresses.
pub const DEFAULT_MAX_BLOCK_RANGE: u64 = 10_000;

/// Where pools are created.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PoolSource {
    /// A Uniswap V2 factory (or a fork's): its `PairCreated` events. Its pairs swap with `fee`.
    UniswapV2 {
        /// The factory.
        factory: Address,
        /// The fork's swap fee (Uniswap's 997/1000, PancakeSwap's 9975/10000).
        fee: V2Fee,
    },
    /// A Uniswap V3 factory (or a fork's): its `PoolCreated` events.
    UniswapV3 {
        /// The factory.
        factory: Address,
    },
    /// A Uniswap V4 `PoolManager`: its `Initialize` events, the pools read through `state_view`.
    UniswapV4 {
        /// The `PoolManager`.
        pool_manager: Address,
        /// The periphery's `StateView` of that manager.
        state_view: Address,
    },
    /// A Balancer V2 Vault: its `PoolRegistered` events, typed by the factories that created
    /// the pools (their `PoolCreated` events).
    BalancerV2 {
        /// The Vault.
        vault: Address,
        /// Factories whose pools are `WeightedPool`s.
        weighted_factories: Vec<Address>,
        /// Factories whose pools are `ComposableStablePool`s.
        composable_stable_factories: Vec<Address>,
    },
}

impl PoolSource {
    /// A Uniswap V2 factory whose pairs take Uniswap's 0.3 %.
    #[must_use]
    pub const fn uniswap_v2(factory: Address) -> Self {
        Self::UniswapV2 { factory, fee: V2Fee::UNISWAP }
    }

    /// A Uniswap V2 fork's factory whose pairs take `fee`.
    #[must_use]
    pub const fn uniswap_v2_fork(factory: Address, fee: V2Fee) -> Self {
        Self::UniswapV2 { factory, fee }
    }

    /// A Uniswap V3 factory.
    #[must_use]
    pub const fn uniswap_v3(factory: Address) -> Self {
        Self::UniswapV3 { factory }
    }

    /// A Uniswap V4 `PoolManager` and its `StateView`.
    #[must_use]
    pub const fn uniswap_v4(pool_manager: Address, state_view: Address) -> Self {
        Self::UniswapV4 { pool_manager, state_view }
    }

    /// A Balancer V2 Vault; every pool of type [`BalancerPoolType::Other`] until factories are
    /// named with [`PoolSource::weighted_factory`] and
    /// [`PoolSource::composable_stable_factory`].
    #[must_use]
    pub const fn balancer_v2(vault: Address) -> Self {
        Self::BalancerV2 {
            vault,
            weighted_factories: Vec::new(),
            composable_stable_factories: Vec::new(),
        }
    }

    /// Adds a weighted pool factory to a Balancer source (no effect on other sources).
    #[must_use]
    pub fn weighted_factory(mut self, factory: Address) -> Self {
        if let Self::BalancerV2 { weighted_factories, .. } = &mut self {
            weighted_factories.push(factory);
        }
        self
    }

    /// Adds a composable stable pool factory to a Balancer source (no effect on other sources).
    #[must_use]
    pub fn composable_stable_factory(mut self, factory: Address) -> Self {
        if let Self::BalancerV2 { composable_stable_factories, .. } = &mut self {
            composable_stable_factories.push(factory);
        }
        self
    }

    /// The contract whose creation events are read: the factory, the `PoolManager` or the
    /// Vault.
    #[must_use]
    pub const fn address(&self) -> Address {
        match self {
            Self::UniswapV2 { factory, .. } | Self::UniswapV3 { factory } => *factory,
            Self::UniswapV4 { pool_manager, .. } => *pool_manager,
            Self::BalancerV2 { vault, .. } => *vault,
        }
    }

    /// `uniswap-v2`, `uniswap-v3`, `uniswap-v4` or `balancer-v2`.
    #[must_use]
    pub const fn kind(&self) -> &'static str {
        match self {
            Self::UniswapV2 { .. } => "uniswap-v2",
            Self::UniswapV3 { .. } => "uniswap-v3",
            Self::UniswapV4 { .. } => "uniswap-v4",
            Self::BalancerV2 { .. } => "balancer-v2",
        }
    }

    /// The `eth_getLogs` filter of the source's events, without a block range.
    fn filter(&self) -> Filter {
        match self {
            Self::UniswapV2 { factory, .. } => Filter::new()
                .address(*factory)
                .event_signature(IUniswapV2Factory::PairCreated::SIGNATURE_HASH),
            Self::UniswapV3 { factory } => Filter::new()
                .address(*factory)
                .event_signature(IUniswapV3Factory::PoolCreated::SIGNATURE_HASH),
            Self::UniswapV4 { pool_manager, .. } => {
                Filter::new().address(*pool_manager).event_signature(Initialize::SIGNATURE_HASH)
            }
            Self::BalancerV2 { vault, weighted_factories, composable_stable_factories } => {
                let mut addresses = vec![*vault];
                addresses.extend(weighted_factories.iter().chain(composable_stable_factories));
                let topics = if addresses.len() == 1 {
                    vec![IBalancerVault::PoolRegistered::SIGNATURE_HASH]
                } else {
                    vec![
                        IBalancerVault::PoolRegistered::SIGNATURE_HASH,
                        IBalancerPoolFactory::PoolCreated::SIGNATURE_HASH,
                    ]
                };
                Filter::new().address(addresses).event_signature(topics)
            }
        }
    }
}

/// Whether a pool must have all its tokens in the allow-list or at least one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum TokenMatch {
    /// Every token of the pool is in the list (the default).
    #[default]
    All,
    /// At least one token of the pool is in the list.
    Any,
}

/// The least liquidity a pool must have at the range's last block to be kept.
///
/// * A Uniswap V2 pair and a Balancer pool: **every** token's reserve (Balancer: the Vault's
///   balance, cash plus managed; a composable stable pool's own BPT not counted) at least that
///   token's minimum in [`MinLiquidity::per_token`], or else [`MinLiquidity::default_reserve`],
///   in the token's smallest units. A pool that is dust on one side is dropped: its price says
///   nothing and any trade through it moves it.
/// * A Uniswap V3 or V4 pool: its in-range liquidity (`liquidity()`, `getLiquidity`) at least
///   [`MinLiquidity::in_range`]. (Token balances say little of a concentrated pool: its tokens
///   may sit in ranges far from the price.)
///
/// The default (all zero) keeps every pool whose state reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MinLiquidity {
    /// Minimum reserve by token, smallest units.
    pub per_token: BTreeMap<Address, U256>,
    /// Minimum reserve of a token not in `per_token`, smallest units.
    pub default_reserve: U256,
    /// Minimum in-range liquidity of a V3 or V4 pool.
    pub in_range: u128,
}

impl MinLiquidity {
    /// The minimum reserve of `token`.
    #[must_use]
    pub fn reserve_of(&self, token: Address) -> U256 {
        self.per_token.get(&token).copied().unwrap_or(self.default_reserve)
    }

    /// Whether `state` has the liquidity asked for (a Curve pool always has).
    #[must_use]
    pub fn passes(&self, pool: Address, state: &PoolState) -> bool {
        match state {
            PoolState::UniswapV2 { token0, token1, reserve0, reserve1, .. } => {
                *reserve0 >= self.reserve_of(*token0) && *reserve1 >= self.reserve_of(*token1)
            }
            PoolState::UniswapV3(v3) => v3.state.liquidity >= self.in_range,
            PoolState::UniswapV4(v4) => v4.state.pool.liquidity >= self.in_range,
            PoolState::BalancerV2(b) => b
                .tokens
                .iter()
                .zip(b.balances())
                .filter(|(t, _)| **t != pool)
                .all(|(t, balance)| *balance >= self.reserve_of(*t)),
            PoolState::Curve { .. } => true,
        }
    }
}

/// Which discovered pools to keep.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiscoveryFilter {
    /// The token allow-list; empty: any token.
    pub tokens: BTreeSet<Address>,
    /// Whether all of a pool's tokens must be in [`DiscoveryFilter::tokens`] or one.
    pub token_match: TokenMatch,
    /// The least liquidity at the last block; `None`: no minimum (and no state read but the
    /// Balancer pools' tokens).
    pub min_liquidity: Option<MinLiquidity>,
}

impl DiscoveryFilter {
    /// Keeps every pool.
    #[must_use]
    pub fn any() -> Self {
        Self::default()
    }

    /// Whether a pool of `tokens` passes the allow-list.
    #[must_use]
    pub fn tokens_pass(&self, tokens: &[Address]) -> bool {
        if self.tokens.is_empty() {
            return true;
        }
        match self.token_match {
            TokenMatch::All => tokens.iter().all(|t| self.tokens.contains(t)),
            TokenMatch::Any => tokens.iter().any(|t| self.tokens.contains(t)),
        }
    }
}

/// How discovery reads the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiscoveryOptions {
    /// Blocks per `eth_getLogs` request (at least 1). Default [`DEFAULT_MAX_BLOCK_RANGE`].
    pub max_block_range: u64,
    /// The Multicall3 the state reads batch through (`None`: one `eth_call` per call).
    /// Default the canonical address.
    pub multicall: Option<Address>,
    /// Bitmap words either side of the price the V3 and V4 keys returned load (the reads for
    /// the liquidity filter load the current word only). Default [`DEFAULT_TICK_WORDS`].
    pub tick_words: u16,
}

impl Default for DiscoveryOptions {
    fn default() -> Self {
        Self {
            max_block_range: DEFAULT_MAX_BLOCK_RANGE,
            multicall: Some(MULTICALL3_ADDRESS),
            tick_words: DEFAULT_TICK_WORDS,
        }
    }
}

/// One pool found and kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveredPool {
    /// The reserve cache's key for it.
    pub key: PoolKey,
    /// The tokens it swaps between: a Uniswap pool's two (V4: its currencies, `Address::ZERO`
    /// for native ether), a Balancer pool's registered tokens less its own BPT.
    pub tokens: Vec<Address>,
    /// The block of its creation event.
    pub created_block: u64,
    /// The factory, `PoolManager` or Vault whose event announced it ([`PoolSource::address`]).
    pub source: Address,
    /// Its state at the last block, when it was read: every Balancer pool (read as
    /// [`BalancerPoolType::Other`]: tokens and balances only) and, with a
    /// [`MinLiquidity`], every pool.
    pub state: Option<PoolState>,
}

/// How many pools were dropped, by reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Dropped {
    /// Not through the token allow-list.
    pub tokens: usize,
    /// Below the minimum liquidity.
    pub liquidity: usize,
    /// Their state did not read as a pool of their kind (a call reverted or answered
    /// unexpectedly), or a Balancer pool with fewer than two tokens registered.
    pub unreadable: usize,
    /// Announced twice (the same source given twice, or two sources sharing a contract).
    pub duplicates: usize,
}

impl Dropped {
    /// All dropped pools.
    #[must_use]
    pub const fn total(&self) -> usize {
        self.tokens + self.liquidity + self.unreadable + self.duplicates
    }
}

/// What [`discover_pools`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discovery {
    /// The pools kept, by creation (block, then log index).
    pub pools: Vec<DiscoveredPool>,
    /// Pools announced in the range, kept or not.
    pub found: usize,
    /// Those dropped, by reason (`found = pools.len() + dropped.total()`).
    pub dropped: Dropped,
    /// The first block scanned.
    pub from_block: u64,
    /// The last block scanned, at which states were read.
    pub to_block: u64,
    /// `eth_getLogs` requests made (retries of halved ranges included).
    pub log_requests: usize,
}

/// Why discovery failed.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum DiscoveryError {
    /// `from_block` is after `to_block`.
    #[error("invalid block range: from block {from} is after to block {to}")]
    InvalidRange {
        /// The first block asked for.
        from: u64,
        /// The last block asked for.
        to: u64,
    },
    /// `eth_getLogs` failed for a source's range (for a range the node refuses as too large,
    /// only once it is a single block).
    #[error("reading the {kind} events of {address} in blocks {from}..={to}: {source}")]
    Logs {
        /// The source's kind ([`PoolSource::kind`]).
        kind: &'static str,
        /// The factory, `PoolManager` or Vault.
        address: Address,
        /// The range's first block.
        from: u64,
        /// The range's last block.
        to: u64,
        /// The chain error (redacted).
        #[source]
        source: ChainError,
    },
    /// A log of the source does not decode as its creation event: the address is not a
    /// contract of the source's kind.
    #[error("a {kind} event of {address} at block {block} does not decode: {message}")]
    Decode {
        /// The source's kind.
        kind: &'static str,
        /// The contract that emitted it.
        address: Address,
        /// Its block.
        block: u64,
        /// What was wrong.
        message: String,
    },
    /// Reading the discovered pools' state at the last block failed at the node (rate limit,
    /// timeout, transport): retry.
    #[error("reading the state of the discovered pools at block {block}: {source}")]
    State {
        /// The block read at.
        block: u64,
        /// The reserve source's error (its chain errors are redacted).
        #[source]
        source: ReserveError,
    },
}

/// A pool announced by an event, not yet filtered.
#[derive(Debug, Clone)]
struct Candidate {
    key: PoolKey,
    /// Known from the event (Uniswap), or read later (Balancer: empty until then).
    tokens: Vec<Address>,
    block: u64,
    log_index: u64,
    source: Address,
    state: Option<PoolState>,
}

/// The pools `sources` created from `from_block` to `to_block` (both included) that pass
/// `filter`, with [`DiscoveryOptions::default`]: chunks of [`DEFAULT_MAX_BLOCK_RANGE`]
/// blocks, Multicall3 at its canonical address. See the crate documentation's "Discovery"
/// section.
///
/// # Errors
/// As [`discover_pools_with`].
pub async fn discover_pools<R: ChainReader + ?Sized>(
    reader: &R,
    sources: &[PoolSource],
    from_block: u64,
    to_block: u64,
    filter: &DiscoveryFilter,
) -> Result<Discovery, DiscoveryError> {
    discover_pools_with(reader, sources, from_block, to_block, filter, &DiscoveryOptions::default())
        .await
}

/// [`discover_pools`] with `options`.
///
/// Requests go through `reader` as they are; wrap it in [`mev_chain::Retry`] to retry rate
/// limits and transient failures.
///
/// # Errors
/// [`DiscoveryError::InvalidRange`]; [`DiscoveryError::Logs`] naming the source and the block
/// range whose logs could not be read; [`DiscoveryError::Decode`] for a log that is not the
/// source's event; [`DiscoveryError::State`] when the state reads fail at the node. A pool
/// whose state does not read is dropped, not an error ([`Dropped::unreadable`]).
pub async fn discover_pools_with<R: ChainReader + ?Sized>(
    reader: &R,
    sources: &[PoolSource],
    from_block: u64,
    to_block: u64,
    filter: &DiscoveryFilter,
    options: &DiscoveryOptions,
) -> Result<Discovery, DiscoveryError> {
    if from_block > to_block {
        return Err(DiscoveryError::InvalidRange { from: from_block, to: to_block });
    }
    let mut log_requests = 0;
    let mut candidates = Vec::new();
    for source in sources {
        let logs = scan(reader, source, from_block, to_block, options, &mut log_requests).await?;
        candidates.extend(decode(source, &logs, options.tick_words)?);
    }
    candidates.sort_by_key(|c| (c.block, c.log_index));
    let found = candidates.len();
    let mut dropped = Dropped::default();

    // Duplicates, then the allow-list on the tokens the events name.
    let mut seen = HashSet::new();
    candidates.retain(|c| {
        let new = seen.insert(c.key.clone());
        dropped.duplicates += usize::from(!new);
        new
    });
    candidates.retain(|c| {
        let keep = c.tokens.is_empty() || filter.tokens_pass(&c.tokens);
        dropped.tokens += usize::from(!keep);
        keep
    });

    // One batch: the Balancer pools' tokens and balances, and with a minimum liquidity every
    // other pool's state (V3 and V4 with the current bitmap word only).
    let to_read: Vec<usize> = candidates
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            matches!(c.key.kind, PoolKind::BalancerV2 { .. }) || filter.min_liquidity.is_some()
        })
        .map(|(i, _)| i)
        .collect();
    let mut unreadable = HashSet::new();
    if !to_read.is_empty() {
        let keys: Vec<PoolKey> = to_read.iter().map(|&i| read_key(&candidates[i].key)).collect();
        let source = RpcReserveSource::new(reader).multicall(options.multicall);
        let results = source.fetch_many(&keys, to_block).await;
        for (&i, result) in to_read.iter().zip(results) {
            match result {
                Ok(snapshot) => {
                    let c = &mut candidates[i];
                    if let PoolState::BalancerV2(b) = &snapshot.state {
                        c.tokens =
                            b.tokens.iter().copied().filter(|t| *t != c.key.address).collect();
                        if c.tokens.len() < 2 {
                            unreadable.insert(i);
                        }
                    }
                    c.state = Some(snapshot.state);
                }
                Err(
                    e @ (ReserveError::Chain { .. }
                    | ReserveError::Timeout { .. }
                    | ReserveError::Source { .. }),
                ) => {
                    return Err(DiscoveryError::State { block: to_block, source: e });
                }
                Err(e) => {
                    tracing::debug!(pool = %candidates[i].key.address, error = %e, "discovered pool does not read");
                    unreadable.insert(i);
                }
            }
        }
    }

    let mut pools = Vec::with_capacity(candidates.len());
    for (i, c) in candidates.into_iter().enumerate() {
        if unreadable.contains(&i) {
            dropped.unreadable += 1;
            continue;
        }
        if !filter.tokens_pass(&c.tokens) {
            dropped.tokens += 1;
            continue;
        }
        if let (Some(min), Some(state)) = (&filter.min_liquidity, &c.state)
            && !min.passes(c.key.address, state)
        {
            dropped.liquidity += 1;
            continue;
        }
        pools.push(DiscoveredPool {
            key: c.key,
            tokens: c.tokens,
            created_block: c.block,
            source: c.source,
            state: c.state,
        });
    }
    Ok(Discovery { pools, found, dropped, from_block, to_block, log_requests })
}

/// The key a candidate is read with: a Balancer pool as [`BalancerPoolType::Other`] (tokens
/// and balances only), a V3 or V4 pool with the current bitmap word only.
fn read_key(key: &PoolKey) -> PoolKey {
    match &key.kind {
        PoolKind::BalancerV2 { vault, pool_id, .. } => PoolKey::balancer_v2(*vault, *pool_id),
        PoolKind::UniswapV3 { .. } => PoolKey::uniswap_v3_with_ticks(key.address, 0),
        PoolKind::UniswapV4 { pool_manager, state_view, key: v4, .. } => {
            PoolKey::uniswap_v4_with_ticks(*pool_manager, *state_view, *v4, 0)
        }
        _ => key.clone(),
    }
}

/// The source's logs from `from` to `to` in chunks of `options.max_block_range` blocks, a
/// chunk refused as too large halved until it passes or is one block; removed logs left out.
async fn scan<R: ChainReader + ?Sized>(
    reader: &R,
    source: &PoolSource,
    from: u64,
    to: u64,
    options: &DiscoveryOptions,
    requests: &mut usize,
) -> Result<Vec<Log>, DiscoveryError> {
    let step = options.max_block_range.max(1);
    let base = source.filter();
    let mut ranges = VecDeque::new();
    let mut start = from;
    loop {
        let end = start.saturating_add(step - 1).min(to);
        ranges.push_back((start, end));
        if end >= to {
            break;
        }
        start = end + 1;
    }
    let mut out = Vec::new();
    while let Some((a, b)) = ranges.pop_front() {
        *requests += 1;
        match reader.logs(&base.clone().from_block(a).to_block(b)).await {
            Ok(logs) => out.extend(logs.into_iter().filter(|l| !l.removed)),
            Err(e) if e.kind() == ChainErrorKind::RangeTooLarge && a < b => {
                let mid = a + (b - a) / 2;
                tracing::debug!(from = a, to = b, "log range refused as too large, halving");
                ranges.push_front((mid + 1, b));
                ranges.push_front((a, mid));
            }
            Err(source_error) => {
                return Err(DiscoveryError::Logs {
                    kind: source.kind(),
                    address: source.address(),
                    from: a,
                    to: b,
                    source: source_error,
                });
            }
        }
    }
    Ok(out)
}

/// The candidates of a source's logs.
fn decode(
    source: &PoolSource,
    logs: &[Log],
    tick_words: u16,
) -> Result<Vec<Candidate>, DiscoveryError> {
    let kind = source.kind();
    let mut out = Vec::new();
    // Balancer: the factories' pools first, to type the Vault's registrations.
    let mut types = HashMap::new();
    if let PoolSource::BalancerV2 { weighted_factories, composable_stable_factories, .. } = source {
        for log in logs
            .iter()
            .filter(|l| l.topic0() == Some(&IBalancerPoolFactory::PoolCreated::SIGNATURE_HASH))
        {
            let emitter = log.address();
            let pool_type = if weighted_factories.contains(&emitter) {
                BalancerPoolType::Weighted
            } else if composable_stable_factories.contains(&emitter) {
                BalancerPoolType::ComposableStable
            } else {
                continue;
            };
            let e = decode_event::<IBalancerPoolFactory::PoolCreated>(kind, log)?;
            types.insert(e.pool, pool_type);
        }
    }
    for log in logs {
        let (block, log_index) =
            (log.block_number.unwrap_or_default(), log.log_index.unwrap_or_default());
        let candidate = |key: PoolKey, tokens: Vec<Address>| Candidate {
            key,
            tokens,
            block,
            log_index,
            source: source.address(),
            state: None,
        };
        match source {
            PoolSource::UniswapV2 { factory, fee } if log.address() == *factory => {
                let e = decode_event::<IUniswapV2Factory::PairCreated>(kind, log)?;
                out.push(candidate(
                    PoolKey::uniswap_v2_fork(e.pair, *fee),
                    vec![e.token0, e.token1],
                ));
            }
            PoolSource::UniswapV3 { factory } if log.address() == *factory => {
                let e = decode_event::<IUniswapV3Factory::PoolCreated>(kind, log)?;
                out.push(candidate(
                    PoolKey::uniswap_v3_with_ticks(e.pool, tick_words),
                    vec![e.token0, e.token1],
                ));
            }
            PoolSource::UniswapV4 { pool_manager, state_view }
                if log.address() == *pool_manager =>
            {
                let e = decode_event::<Initialize>(kind, log)?;
                let key = V4PoolKey {
                    currency0: e.currency0,
                    currency1: e.currency1,
                    fee: e.fee.to::<u32>(),
                    tick_spacing: tick_i32(e.tickSpacing),
                    hooks: e.hooks,
                };
                if key.id() != e.id {
                    return Err(decode_error(
                        kind,
                        log,
                        format!("the key of pool {} hashes to {}", e.id, key.id()),
                    ));
                }
                out.push(candidate(
                    PoolKey::uniswap_v4_with_ticks(*pool_manager, *state_view, key, tick_words),
                    vec![e.currency0, e.currency1],
                ));
            }
            PoolSource::BalancerV2 { vault, .. }
                if log.address() == *vault
                    && log.topic0() == Some(&IBalancerVault::PoolRegistered::SIGNATURE_HASH) =>
            {
                let e = decode_event::<IBalancerVault::PoolRegistered>(kind, log)?;
                let pool_type =
                    types.get(&e.poolAddress).copied().unwrap_or(BalancerPoolType::Other);
                let key = PoolKey::balancer_v2_of_type(*vault, e.poolId, pool_type);
                if key.address != e.poolAddress {
                    return Err(decode_error(
                        kind,
                        log,
                        format!(
                            "pool id {} does not begin with the pool's address {}",
                            e.poolId, e.poolAddress
                        ),
                    ));
                }
                out.push(candidate(key, Vec::new()));
            }
            _ => {}
        }
    }
    Ok(out)
}

fn decode_event<E: SolEvent>(kind: &'static str, log: &Log) -> Result<E, DiscoveryError> {
    E::decode_log_data(log.data())
        .map_err(|e| decode_error(kind, log, format!("{}: {e}", E::SIGNATURE)))
}

fn decode_error(kind: &'static str, log: &Log, message: String) -> DiscoveryError {
    DiscoveryError::Decode {
        kind,
        address: log.address(),
        block: log.block_number.unwrap_or_default(),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{B256, Bytes, LogData};
    use alloy_sol_types::SolEvent;

    fn log_of<E: SolEvent>(address: Address, event: &E, block: u64, index: u64) -> Log {
        Log {
            inner: alloy_primitives::Log { address, data: event.encode_log_data() },
            block_number: Some(block),
            log_index: Some(index),
            ..Log::default()
        }
    }

    #[test]
    fn decodes_every_source_kind() {
        let factory = Address::repeat_byte(0xf1);
        let (t0, t1) = (Address::repeat_byte(1), Address::repeat_byte(2));
        let pair = Address::repeat_byte(3);
        let e = IUniswapV2Factory::PairCreated {
            token0: t0,
            token1: t1,
            pair,
            allPairsLength: U256::from(1),
        };
        let fee = V2Fee::PANCAKESWAP;
        let got =
            decode(&PoolSource::uniswap_v2_fork(factory, fee), &[log_of(factory, &e, 7, 0)], 2)
                .unwrap();
        assert_eq!(got[0].key, PoolKey::uniswap_v2_fork(pair, fee));
        assert_eq!((got[0].tokens.clone(), got[0].block), (vec![t0, t1], 7));

        let vault = Address::repeat_byte(0xba);
        let weighted = Address::repeat_byte(0xee);
        let pool = Address::repeat_byte(9);
        let mut id = B256::repeat_byte(0);
        id[..20].copy_from_slice(pool.as_slice());
        let logs = [
            log_of(weighted, &IBalancerPoolFactory::PoolCreated { pool }, 5, 0),
            log_of(
                vault,
                &IBalancerVault::PoolRegistered {
                    poolId: id,
                    poolAddress: pool,
                    specialization: 2,
                },
                5,
                1,
            ),
        ];
        let source = PoolSource::balancer_v2(vault).weighted_factory(weighted);
        let got = decode(&source, &logs, 2).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].key, PoolKey::balancer_v2_weighted(vault, id));
        let got = decode(&PoolSource::balancer_v2(vault), &logs[1..], 2).unwrap();
        assert_eq!(got[0].key, PoolKey::balancer_v2(vault, id));

        // A log of another shape at the address: an error naming it and the block.
        let bad = Log {
            inner: alloy_primitives::Log {
                address: factory,
                data: LogData::new_unchecked(
                    vec![IUniswapV2Factory::PairCreated::SIGNATURE_HASH],
                    Bytes::new(),
                ),
            },
            block_number: Some(11),
            ..Log::default()
        };
        let err = decode(&PoolSource::uniswap_v2(factory), &[bad], 2).unwrap_err();
        assert!(
            matches!(err, DiscoveryError::Decode { address, block: 11, .. } if address == factory),
            "{err}"
        );
    }

    #[test]
    fn token_filter() {
        let (a, b, c) = (Address::repeat_byte(1), Address::repeat_byte(2), Address::repeat_byte(3));
        let mut f = DiscoveryFilter::any();
        assert!(f.tokens_pass(&[a, c]));
        f.tokens = [a, b].into();
        assert!(f.tokens_pass(&[a, b]));
        assert!(!f.tokens_pass(&[a, c]));
        f.token_match = TokenMatch::Any;
        assert!(f.tokens_pass(&[a, c]));
        assert!(!f.tokens_pass(&[c]));
    }
}
