//! The cache itself.

use std::{
    sync::{
        Arc, Weak,
        atomic::{AtomicU64, Ordering::SeqCst},
    },
    time::{Duration, Instant},
};

use alloy_primitives::{Address, I256, U256, aliases::U160, map::FbBuildHasher};
use dashmap::{DashMap, mapref::entry::Entry as MapEntry};
use futures::{
    FutureExt,
    future::{BoxFuture, Shared},
};
use mev_event_decoder::{
    BalancerV2Event, DecodedLog, Event, StateChange, UniswapV2Event, UniswapV3Event, UniswapV4Event,
};
use mev_swap_math::V3State;
use std::collections::BTreeMap;

use crate::{
    PoolKey, PoolSnapshot, PoolState, Quote, QuoteError, ReserveError, ReserveSource, Result,
    SwapSide,
    state::tick_i32,
    stats::{CacheStats, Counters},
};

/// How the cache behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReserveCacheConfig {
    /// How long an entry stays valid after it was fetched or last updated by an event.
    /// Default 45 s, the Go arbitrage bot's figure.
    pub ttl: Duration,
    /// The longest a fetch may take before it fails. Must be below `ttl` (an invalidation's
    /// tombstone lives one TTL, which is what makes a slow fetch unable to write stale data).
    /// Default 10 s.
    pub fetch_timeout: Duration,
    /// How often the background sweeper drops expired entries. Default 5 s.
    pub sweep_interval: Duration,
}

impl Default for ReserveCacheConfig {
    fn default() -> Self {
        Self {
            ttl: Duration::from_secs(45),
            fetch_timeout: Duration::from_secs(10),
            sweep_interval: Duration::from_secs(5),
        }
    }
}

/// What [`ReserveCache::apply`] did with a log.
///
/// Balancer V2 Vault events: a `Swap` is [`Applied::Updated`] (balances moved by its amounts)
/// when the cached state computes its amounts, else [`Applied::Invalidated`]; a
/// `PoolBalanceChanged` is [`Applied::Updated`] (balances moved by `delta − protocolFeeAmount`);
/// both are [`Applied::Invalidated`] for a block-bound entry (see [`ReserveCache`]) when the log
/// is of a later block than its state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The cached state was updated in place from the event's own fields.
    Updated,
    /// The event changes the pool in a way it does not spell out (or the log was removed by a
    /// reorg): the entry was dropped and the next read fetches.
    Invalidated,
    /// The event does not change cached state (a V2 `Swap`, whose `Sync` carries the reserves;
    /// a V3 `Collect`; a V3 `Mint` for a pool not cached; a log older than the cached state;
    /// a non-pool event).
    Unchanged,
}

/// A cache of DEX pool state, fed by decoded logs.
///
/// - Reads ([`ReserveCache::get`]) hit when the pool has an entry younger than the TTL; a miss
///   fetches from the [`ReserveSource`] at the block asked for. Concurrent misses on one pool and
///   block share one fetch (single-flight).
/// - [`ReserveCache::apply`] updates state in place where an event carries it (Uniswap V2
///   `Sync`; V3 `Swap` and `Initialize`; V3 `Mint`/`Burn` by the pool's own rule — liquidity
///   changes only when `tickLower ≤ tick < tickUpper`; Balancer V2 Vault `Swap` and
///   `PoolBalanceChanged`, as the Vault moves the balances) and invalidates where it does not
///   (Curve), or when the log was removed by a reorg.
/// - Balancer V2 pools change without a Vault event too: a new swap fee, an amplification
///   change, a rate cache refreshed by `updateTokenRateCache`, managed balances are events of
///   the pool or the asset manager, which the decoder does not decode. The cache sees them when
///   it reads the pool again (within one TTL), or at the pool's next `Swap`, whose amounts the
///   stale state does not compute: that `Swap` invalidates the entry.
/// - Time-dependent state ([`PoolState::valid_for`]: a Balancer composable stable pool during
///   an amplification ramp, or whose rate cache expires within one TTL of its block, or has
///   expired) is block-bound: [`ReserveCache::get`] at a later block reads it again, and a later
///   block's event invalidates it instead of updating it. [`ReserveCache::peek`],
///   [`ReserveCache::cached`] and [`ReserveCache::quote`] still answer with it, as the state at
///   its block ([`PoolSnapshot::block`]). An entry whose rate cache expires later than one TTL
///   after its block is updated by events but lives one TTL from its read, not from the last
///   event, so it is read again before the cache expires.
/// - No stale write: every invalidation or update bumps a generation; a fetch that started
///   before it does not store its (older) result. A result for an older block than the cached
///   state is never stored either.
///
/// Cloning is cheap and shares the cache.
#[derive(Debug, Clone)]
pub struct ReserveCache {
    inner: Arc<Inner>,
}

type InFlight = Shared<BoxFuture<'static, Result<Arc<PoolSnapshot>>>>;

#[derive(Debug)]
struct Inner {
    config: ReserveCacheConfig,
    source: Arc<dyn ReserveSource>,
    entries: DashMap<Address, Entry, FbBuildHasher<20>>,
    inflight: DashMap<(Address, u64), InFlight>,
    generation: AtomicU64,
    counters: Counters,
}

#[derive(Debug)]
struct Entry {
    /// `None` after an invalidation (a tombstone, kept one TTL so in-flight fetches see it).
    snapshot: Option<Arc<PoolSnapshot>>,
    expires_at: Instant,
    /// The global generation of the last invalidation or in-place update.
    generation: u64,
    /// How time bounds the snapshot.
    timing: Timing,
}

/// How time bounds an entry's state ([`PoolState::valid_for`] against the TTL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Timing {
    /// Time alone does not change the state: events keep the entry alive.
    Free,
    /// The state holds for longer than one TTL after its block: events update it but do not
    /// extend the entry's life past one TTL from its read.
    Bounded,
    /// The state holds at its block only: read again for a later block, invalidated by a
    /// later block's event.
    BlockBound,
}

impl Timing {
    fn of(state: &PoolState, ttl: Duration) -> Self {
        match state.valid_for() {
            None => Self::Free,
            Some(secs) if Duration::from_secs(secs) <= ttl => Self::BlockBound,
            Some(_) => Self::Bounded,
        }
    }
}

impl ReserveCache {
    /// A cache over `source` with the default configuration.
    #[must_use]
    pub fn new(source: Arc<dyn ReserveSource>) -> Self {
        Self::with_config(source, ReserveCacheConfig::default())
    }

    /// A cache over `source` with `config`.
    #[must_use]
    pub fn with_config(source: Arc<dyn ReserveSource>, config: ReserveCacheConfig) -> Self {
        Self {
            inner: Arc::new(Inner {
                config,
                source,
                entries: DashMap::default(),
                inflight: DashMap::new(),
                generation: AtomicU64::new(0),
                counters: Counters::new(),
            }),
        }
    }

    /// The configuration in use.
    #[must_use]
    pub fn config(&self) -> &ReserveCacheConfig {
        &self.inner.config
    }

    /// The source misses go to.
    #[must_use]
    pub fn source(&self) -> &Arc<dyn ReserveSource> {
        &self.inner.source
    }

    /// The cached state of `pool` if it is fresh, counting a hit or a miss. Never fetches.
    #[must_use]
    pub fn cached(&self, pool: &Address) -> Option<Arc<PoolSnapshot>> {
        let hit = self.peek(pool);
        let counter =
            if hit.is_some() { &self.inner.counters.hits } else { &self.inner.counters.misses };
        counter.inc();
        hit
    }

    /// Quotes a swap through `pool` on its cached state ([`PoolSnapshot::quote`]): no I/O,
    /// the amounts the pool would compute. `amount` is in `token_in`'s smallest unit for
    /// [`SwapSide::ExactIn`], in the other token's for [`SwapSide::ExactOut`].
    ///
    /// # Errors
    /// [`QuoteError::NotCached`] when the pool has no live entry; otherwise as
    /// [`PoolSnapshot::quote`].
    pub fn quote(
        &self,
        pool: &Address,
        token_in: Address,
        amount: U256,
        side: SwapSide,
    ) -> std::result::Result<Quote, QuoteError> {
        let snapshot = self.cached(pool).ok_or(QuoteError::NotCached { pool: *pool })?;
        snapshot.quote(token_in, amount, side)
    }

    /// Quotes a swap of `token_in` for `token_out` through `pool` on its cached state
    /// ([`PoolSnapshot::quote_to`]): the way to quote a Balancer pool of three or more tokens.
    ///
    /// # Errors
    /// As [`ReserveCache::quote`].
    pub fn quote_to(
        &self,
        pool: &Address,
        token_in: Address,
        token_out: Address,
        amount: U256,
        side: SwapSide,
    ) -> std::result::Result<Quote, QuoteError> {
        let snapshot = self.cached(pool).ok_or(QuoteError::NotCached { pool: *pool })?;
        snapshot.quote_to(token_in, token_out, amount, side)
    }

    /// The cached state of `pool` if it can answer a caller at `block`.
    fn fresh_at(&self, pool: &Address, block: u64) -> Option<Arc<PoolSnapshot>> {
        let entry = self.inner.entries.get(pool)?;
        let snapshot = entry.snapshot.as_ref()?;
        let usable = entry.expires_at > Instant::now()
            && snapshot.block <= block
            && (entry.timing != Timing::BlockBound || snapshot.block == block);
        usable.then(|| Arc::clone(snapshot))
    }

    /// The cached state of `pool` if it is fresh, without counting.
    #[must_use]
    pub fn peek(&self, pool: &Address) -> Option<Arc<PoolSnapshot>> {
        let entry = self.inner.entries.get(pool)?;
        let snapshot = entry.snapshot.as_ref()?;
        (entry.expires_at > Instant::now()).then(|| Arc::clone(snapshot))
    }

    /// The state of `pool` for a caller at `block`: the cached state when fresh (and not newer
    /// than `block`; of `block` itself when the entry is block-bound), else fetched at `block`
    /// — once for all concurrent callers — and stored unless the pool changed while the fetch
    /// was in flight.
    pub async fn get(&self, pool: &PoolKey, block: u64) -> Result<Arc<PoolSnapshot>> {
        if let Some(hit) = self.fresh_at(&pool.address, block) {
            self.inner.counters.hits.inc();
            return Ok(hit);
        }
        self.inner.counters.misses.inc();
        self.fetch_shared(pool, block).await
    }

    /// Fetches `pools` at `block` in one batch from the source and stores what it returns;
    /// one result per pool.
    pub async fn warm(&self, pools: &[PoolKey], block: u64) -> Vec<Result<Arc<PoolSnapshot>>> {
        let start = self.inner.generation.load(SeqCst);
        for _ in pools {
            self.inner.counters.fetches.inc();
        }
        let fetched = tokio::time::timeout(
            self.inner.config.fetch_timeout,
            self.inner.source.fetch_many(pools, block),
        )
        .await;
        match fetched {
            Ok(results) => results
                .into_iter()
                .map(|r| match r {
                    Ok(s) => {
                        let s = Arc::new(s);
                        self.inner.store_fetched(&s, start);
                        Ok(s)
                    }
                    Err(e) => {
                        self.inner.counters.fetch_errors.inc();
                        Err(e)
                    }
                })
                .collect(),
            Err(_) => pools
                .iter()
                .map(|p| {
                    self.inner.counters.fetch_errors.inc();
                    Err(timeout_error(p, block, self.inner.config.fetch_timeout))
                })
                .collect(),
        }
    }

    /// Drops `pool`'s entry: the next read fetches. Fetches in flight for it will not store
    /// their result.
    pub fn invalidate(&self, pool: &Address) {
        self.inner.invalidate(pool);
    }

    /// Drops the entries of all `pools`.
    pub fn invalidate_many<'a>(&self, pools: impl IntoIterator<Item = &'a Address>) {
        for pool in pools {
            self.inner.invalidate(pool);
        }
    }

    /// Applies one decoded log to the cache (see [`Applied`] for the outcomes). Logs must be
    /// applied in chain order; a log older than the cached state is ignored.
    pub fn apply(&self, log: &DecodedLog) -> Applied {
        let mut outcome = Applied::Unchanged;
        for change in log.state_changes() {
            let StateChange::Pool { pool, .. } = change else { continue };
            let this = self.inner.apply_to(pool, log);
            outcome = match (outcome, this) {
                (Applied::Invalidated, _) | (_, Applied::Invalidated) => Applied::Invalidated,
                (Applied::Updated, _) | (_, Applied::Updated) => Applied::Updated,
                _ => Applied::Unchanged,
            };
        }
        outcome
    }

    /// Applies every log of a block, in order.
    pub fn apply_all<'a>(&self, logs: impl IntoIterator<Item = &'a DecodedLog>) {
        for log in logs {
            self.apply(log);
        }
    }

    /// Drops entries (and tombstones) older than the TTL; returns how many were dropped.
    pub fn sweep(&self) -> usize {
        let now = Instant::now();
        let before = self.inner.entries.len();
        self.inner.entries.retain(|_, e| e.expires_at > now);
        before.saturating_sub(self.inner.entries.len())
    }

    /// Starts a background task on the current tokio runtime that sweeps every
    /// `sweep_interval`. It stops by itself once every handle to the cache is dropped.
    pub fn spawn_sweeper(&self) -> tokio::task::JoinHandle<()> {
        let weak: Weak<Inner> = Arc::downgrade(&self.inner);
        let period = self.inner.config.sweep_interval;
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            tick.tick().await;
            loop {
                tick.tick().await;
                let Some(inner) = weak.upgrade() else { break };
                Self { inner }.sweep();
            }
        })
    }

    /// Number of entries held (tombstones included).
    #[must_use]
    pub fn len(&self) -> usize {
        self.inner.entries.len()
    }

    /// `true` when nothing is cached.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.inner.entries.is_empty()
    }

    /// The counters so far.
    #[must_use]
    pub fn stats(&self) -> CacheStats {
        self.inner.counters.snapshot(self.inner.entries.len() as u64)
    }

    async fn fetch_shared(&self, pool: &PoolKey, block: u64) -> Result<Arc<PoolSnapshot>> {
        let key = (pool.address, block);
        let fut = match self.inner.inflight.entry(key) {
            MapEntry::Occupied(e) => e.get().clone(),
            MapEntry::Vacant(v) => {
                let inner = Arc::clone(&self.inner);
                let pool = pool.clone();
                let start = inner.generation.load(SeqCst);
                let fut =
                    async move { inner.fetch_and_store(pool, block, start).await }.boxed().shared();
                v.insert(fut.clone());
                fut
            }
        };
        let result = fut.clone().await;
        self.inner.inflight.remove_if(&key, |_, f| f.ptr_eq(&fut));
        result
    }
}

impl Inner {
    async fn fetch_and_store(
        &self,
        pool: PoolKey,
        block: u64,
        start: u64,
    ) -> Result<Arc<PoolSnapshot>> {
        self.counters.fetches.inc();
        let fetched =
            tokio::time::timeout(self.config.fetch_timeout, self.source.fetch(&pool, block)).await;
        let snapshot = match fetched {
            Ok(Ok(s)) => Arc::new(s),
            Ok(Err(e)) => {
                self.counters.fetch_errors.inc();
                return Err(e);
            }
            Err(_) => {
                self.counters.fetch_errors.inc();
                return Err(timeout_error(&pool, block, self.config.fetch_timeout));
            }
        };
        self.store_fetched(&snapshot, start);
        Ok(snapshot)
    }

    /// Stores a fetch result unless the pool changed since the fetch started, or the cache
    /// already holds a newer block.
    fn store_fetched(&self, snapshot: &Arc<PoolSnapshot>, start: u64) {
        let expires_at = Instant::now() + self.config.ttl;
        match self.entries.entry(snapshot.pool) {
            MapEntry::Occupied(mut e) => {
                let entry = e.get_mut();
                if entry.generation > start {
                    self.counters.stale_writes_prevented.inc();
                    return;
                }
                if entry.snapshot.as_ref().is_some_and(|s| s.block > snapshot.block) {
                    return;
                }
                entry.snapshot = Some(Arc::clone(snapshot));
                entry.expires_at = expires_at;
                entry.timing = Timing::of(&snapshot.state, self.config.ttl);
            }
            MapEntry::Vacant(v) => {
                v.insert(Entry {
                    snapshot: Some(Arc::clone(snapshot)),
                    expires_at,
                    generation: 0,
                    timing: Timing::of(&snapshot.state, self.config.ttl),
                });
            }
        }
    }

    fn next_generation(&self) -> u64 {
        self.generation.fetch_add(1, SeqCst) + 1
    }

    fn invalidate(&self, pool: &Address) {
        let generation = self.next_generation();
        let expires_at = Instant::now() + self.config.ttl;
        self.entries
            .insert(*pool, Entry { snapshot: None, expires_at, generation, timing: Timing::Free });
        self.inflight.retain(|(p, _), _| p != pool);
        self.counters.invalidations.inc();
    }

    fn apply_to(&self, pool: Address, log: &DecodedLog) -> Applied {
        let Some(block) = log.meta.block_number.filter(|_| !log.meta.removed) else {
            // A removed log, or one with no block to tag state with: drop the entry.
            self.invalidate(&pool);
            return Applied::Invalidated;
        };
        let edit = match &log.event {
            // 112-bit reserves always fit in 256 bits.
            Event::UniswapV2(UniswapV2Event::Sync(s)) => {
                Edit::V2Sync { reserve0: s.reserve0.to(), reserve1: s.reserve1.to() }
            }
            Event::UniswapV2(_) => return Applied::Unchanged,
            Event::UniswapV3(UniswapV3Event::Swap(s)) => Edit::V3Swap {
                sqrt_price_x96: s.sqrtPriceX96,
                tick: tick_i32(s.tick),
                liquidity: s.liquidity,
            },
            Event::UniswapV3(UniswapV3Event::Initialize(s)) => {
                Edit::V3Initialize { sqrt_price_x96: s.sqrtPriceX96, tick: tick_i32(s.tick) }
            }
            Event::UniswapV3(UniswapV3Event::Mint(m)) => Edit::V3Liquidity {
                lower: tick_i32(m.tickLower),
                upper: tick_i32(m.tickUpper),
                delta: i128::try_from(m.amount).ok(),
            },
            Event::UniswapV3(UniswapV3Event::Burn(b)) => Edit::V3Liquidity {
                lower: tick_i32(b.tickLower),
                upper: tick_i32(b.tickUpper),
                delta: i128::try_from(b.amount).ok().map(|d| -d),
            },
            Event::UniswapV3(_) => return Applied::Unchanged,
            Event::UniswapV4(UniswapV4Event::Swap(s)) => Edit::V3Swap {
                sqrt_price_x96: s.sqrtPriceX96,
                tick: tick_i32(s.tick),
                liquidity: s.liquidity,
            },
            Event::UniswapV4(UniswapV4Event::ModifyLiquidity(m)) => Edit::V3Liquidity {
                lower: tick_i32(m.tickLower),
                upper: tick_i32(m.tickUpper),
                delta: i128::try_from(m.liquidityDelta).ok(),
            },
            Event::UniswapV4(UniswapV4Event::ProtocolFeeUpdated(f)) => {
                Edit::V4ProtocolFee { protocol_fee: f.protocolFee.to() }
            }
            // Fees to liquidity providers: price and liquidity stay.
            Event::UniswapV4(UniswapV4Event::Donate(_)) => return Applied::Unchanged,
            Event::BalancerV2(BalancerV2Event::Swap(s)) => Edit::BalancerSwap {
                token_in: s.tokenIn,
                token_out: s.tokenOut,
                amount_in: s.amountIn,
                amount_out: s.amountOut,
            },
            Event::BalancerV2(BalancerV2Event::PoolBalanceChanged(c)) => Edit::BalancerBalances {
                tokens: c.tokens.clone(),
                deltas: c.deltas.clone(),
                fees: c.protocolFeeAmounts.clone(),
            },
            _ => {
                self.invalidate(&pool);
                return Applied::Invalidated;
            }
        };
        self.edit(pool, block, edit)
    }

    /// Applies `edit` at `block` to the cached state in place (copying it only when a reader
    /// still holds the previous snapshot). A pool not cached stays so, unless a fetch of it is in
    /// flight: then the entry is invalidated so that the fetch cannot store state older than
    /// this event. An edit the cached state cannot take (another pool kind, arithmetic a pool
    /// would revert on, a Balancer swap the state does not compute) drops the entry, and so does
    /// any edit of a later block to a block-bound entry.
    fn edit(&self, pool: Address, block: u64, edit: Edit) -> Applied {
        let Some(mut e) = self.entries.get_mut(&pool) else {
            if self.inflight.iter().any(|f| f.key().0 == pool) {
                self.invalidate(&pool);
                return Applied::Invalidated;
            }
            return Applied::Unchanged;
        };
        let timing = e.timing;
        let Some(current) = e.snapshot.as_mut() else { return Applied::Unchanged };
        if current.block > block {
            return Applied::Unchanged;
        }
        if timing == Timing::BlockBound && block > current.block {
            drop(e);
            self.invalidate(&pool);
            return Applied::Invalidated;
        }
        let snapshot = Arc::make_mut(current);
        let applied = match (&mut snapshot.state, edit) {
            (
                PoolState::UniswapV2 { reserve0, reserve1, .. },
                Edit::V2Sync { reserve0: r0, reserve1: r1 },
            ) => {
                (*reserve0, *reserve1) = (r0, r1);
                true
            }
            // A price beyond the loaded ticks: re-read around it rather than keep a state
            // that can quote nothing.
            (PoolState::UniswapV3(v3), Edit::V3Swap { sqrt_price_x96, tick, liquidity }) => {
                v3.state.sqrt_price_x96 = sqrt_price_x96;
                v3.state.tick = tick;
                v3.state.liquidity = liquidity;
                let (lo, hi) = v3.state.loaded_range;
                (lo..=hi).contains(&tick)
            }
            (PoolState::UniswapV3(v3), Edit::V3Initialize { sqrt_price_x96, tick }) => {
                v3.state.sqrt_price_x96 = sqrt_price_x96;
                v3.state.tick = tick;
                true
            }
            (PoolState::UniswapV3(v3), Edit::V3Liquidity { lower, upper, delta: Some(delta) }) => {
                modify_position(&mut v3.state, &mut v3.liquidity_gross, lower, upper, delta)
            }
            (PoolState::UniswapV4(v4), Edit::V3Swap { sqrt_price_x96, tick, liquidity }) => {
                let state = &mut v4.state.pool;
                state.sqrt_price_x96 = sqrt_price_x96;
                state.tick = tick;
                state.liquidity = liquidity;
                let (lo, hi) = state.loaded_range;
                (lo..=hi).contains(&tick)
            }
            (PoolState::UniswapV4(v4), Edit::V3Liquidity { lower, upper, delta: Some(delta) }) => {
                modify_position(&mut v4.state.pool, &mut v4.liquidity_gross, lower, upper, delta)
            }
            (PoolState::UniswapV4(v4), Edit::V4ProtocolFee { protocol_fee }) => {
                v4.state.protocol_fee = protocol_fee;
                true
            }
            (
                PoolState::BalancerV2(b),
                Edit::BalancerSwap { token_in, token_out, amount_in, amount_out },
            ) => b.apply_swap(token_in, token_out, amount_in, amount_out),
            (PoolState::BalancerV2(b), Edit::BalancerBalances { tokens, deltas, fees }) => {
                b.apply_balance_change(&tokens, &deltas, &fees)
            }
            _ => false,
        };
        if !applied {
            drop(e);
            self.invalidate(&pool);
            return Applied::Invalidated;
        }
        snapshot.block = block;
        e.generation = self.next_generation();
        if timing == Timing::Free {
            e.expires_at = Instant::now() + self.config.ttl;
        }
        self.counters.applied.inc();
        Applied::Updated
    }
}

/// `UniswapV3Pool._modifyPosition` (and V4's `Pool.modifyLiquidity`) on the cached state: both
/// ticks' `liquidityGross` and `liquidityNet` (a tick whose gross liquidity falls to 0 is
/// cleared, one that rises from 0 is initialized), within the loaded range; the in-range
/// liquidity when `tickLower ≤ tick < tickUpper`. `false` when the pool would revert on it (its
/// state here cannot be right).
fn modify_position(
    state: &mut V3State,
    liquidity_gross: &mut BTreeMap<i32, u128>,
    lower: i32,
    upper: i32,
    delta: i128,
) -> bool {
    if lower >= upper || delta == 0 {
        return lower < upper;
    }
    let (lo, hi) = state.loaded_range;
    for (tick, is_upper) in [(lower, false), (upper, true)] {
        if tick < lo || tick > hi {
            continue;
        }
        let gross = liquidity_gross.get(&tick).copied().unwrap_or(0);
        let Some(gross_after) = gross.checked_add_signed(delta) else { return false };
        let net = state.ticks.get(&tick).copied().unwrap_or(0);
        let net_after = if is_upper { net.checked_sub(delta) } else { net.checked_add(delta) };
        let Some(net_after) = net_after else { return false };
        if gross_after == 0 {
            liquidity_gross.remove(&tick);
            state.ticks.remove(&tick);
        } else {
            liquidity_gross.insert(tick, gross_after);
            state.ticks.insert(tick, net_after);
        }
    }
    if lower <= state.tick && state.tick < upper {
        match state.liquidity.checked_add_signed(delta) {
            Some(l) => state.liquidity = l,
            None => return false,
        }
    }
    true
}

/// How one event changes a pool's cached state.
enum Edit {
    V2Sync {
        reserve0: U256,
        reserve1: U256,
    },
    /// A V3 or V4 `Swap`.
    V3Swap {
        sqrt_price_x96: U160,
        tick: i32,
        liquidity: u128,
    },
    V3Initialize {
        sqrt_price_x96: U160,
        tick: i32,
    },
    /// A V3 `Mint`/`Burn` or V4 `ModifyLiquidity`. `delta`: `None` when the amount does not
    /// fit in `int128` (no pool emits that).
    V3Liquidity {
        lower: i32,
        upper: i32,
        delta: Option<i128>,
    },
    /// A V4 `ProtocolFeeUpdated`.
    V4ProtocolFee {
        protocol_fee: u32,
    },
    /// A Vault `Swap`.
    BalancerSwap {
        token_in: Address,
        token_out: Address,
        amount_in: U256,
        amount_out: U256,
    },
    /// A Vault `PoolBalanceChanged`: per token, the join's (positive) or exit's (negative)
    /// amount and the protocol fee paid out of the balance.
    BalancerBalances {
        tokens: Vec<Address>,
        deltas: Vec<I256>,
        fees: Vec<U256>,
    },
}

fn timeout_error(pool: &PoolKey, block: u64, after: Duration) -> ReserveError {
    ReserveError::Timeout { pool: pool.address, block, after }
}

/// Reads a pool through the cache when there is one, straight from `source` when not, so code
/// that takes an optional cache works both ways.
pub async fn read_pool(
    cache: Option<&ReserveCache>,
    source: &dyn ReserveSource,
    pool: &PoolKey,
    block: u64,
) -> Result<Arc<PoolSnapshot>> {
    match cache {
        Some(cache) => cache.get(pool, block).await,
        None => source.fetch(pool, block).await.map(Arc::new),
    }
}
