//! [`RpcReserveSource`]: pool state over `eth_call` through any [`ChainReader`], many pools
//! per Multicall3 request.

mod balancer;

use std::{collections::BTreeMap, fmt};

use alloy_primitives::{Address, Bytes, U256, aliases::I24};
use alloy_sol_types::SolCall;
use async_trait::async_trait;
use mev_chain::{Call3, ChainError, ChainReader, IMulticall3, MULTICALL3_ADDRESS};

use mev_swap_math::{MAX_TICK, MAX_TICK_SPACING_V4, MIN_TICK, V3State, V4State};

use self::balancer::{Detailed, Pending};
use crate::{
    BalancerPoolType, BalancerV2Pool, BalancerV2State, PoolKey, PoolKind, PoolSnapshot, PoolState,
    ReserveError, ReserveSource, Result, V3Pool, V4Pool,
    bindings::{
        IStateView, balancesCall, feeCall, getPoolTokensCall, getReservesCall, liquidityCall,
        slot0Call, tickBitmapCall, tickSpacingCall, ticksCall, token0Call, token1Call,
    },
    state::tick_i32,
};

/// Reads pool state with `eth_call` through a [`ChainReader`] — any alloy provider wrapped in
/// [`mev_chain::ProviderChain`], a recording, or a reader with your own wrappers — packing the
/// calls of many pools into one Multicall3 `aggregate3` request (up to `max_calls` calls each).
///
/// A V2 pair costs three calls (the tokens, `getReserves`); a V3 pool six (`slot0`,
/// `liquidity`, `fee`, `tickSpacing`, the tokens), then one per bitmap word loaded and one per
/// initialized tick found, in two more rounds shared by every V3 pool of the batch; a V4 pool
/// two calls to its `StateView` (`getSlot0`, `getLiquidity`), then, as a V3 pool, one per bitmap
/// word (`getTickBitmap`) and one per initialized tick (`getTickLiquidity`); a Curve pool one
/// per coin (`balances(i)`).
///
/// A Balancer pool costs `getPoolTokens` on the Vault in the first round; then, in the second
/// round, a weighted pool three calls (`getScalingFactors`, `getSwapFeePercentage`,
/// `getNormalizedWeights`) and a composable stable pool five (`getScalingFactors`,
/// `getSwapFeePercentage`, `getAmplificationParameter`, `getBptIndex`, `getRateProviders`) plus
/// `getTokenRateCache` per token, with the block's timestamp read once for the batch
/// (Multicall3's `getCurrentBlockTimestamp`, or the block header without Multicall3); in the
/// third round, `getRate()` of each provider whose cache has expired at the block, whose rate the
/// pool's next swap applies (see [`crate::TokenRate::effective`]). A pool of
/// [`BalancerPoolType::Other`] is read in the first round only. Wrap the reader in
/// [`mev_chain::Counted`] to count the requests a cache saves.
///
/// ```no_run
/// use std::sync::Arc;
/// use alloy_provider::ProviderBuilder;
/// use mev_chain::ProviderChain;
/// use mev_reserve_cache::{ReserveCache, RpcReserveSource};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let provider = ProviderBuilder::new().connect_http("http://127.0.0.1:8545".parse()?);
/// let source = RpcReserveSource::new(ProviderChain::new(provider));
/// let cache = ReserveCache::new(Arc::new(source));
/// # Ok(()) }
/// ```
pub struct RpcReserveSource<R> {
    reader: R,
    multicall: Option<Address>,
    max_calls: usize,
}

impl<R> fmt::Debug for RpcReserveSource<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RpcReserveSource")
            .field("multicall", &self.multicall)
            .field("max_calls", &self.max_calls)
            .finish_non_exhaustive()
    }
}

/// Why one call of a batch gave no data.
#[derive(Debug, Clone)]
enum CallError {
    /// The call reverted inside `aggregate3`.
    Reverted,
    /// The request carrying it failed.
    Chain(ChainError),
    /// It answered what it should not (what was wrong).
    Malformed(String),
}

impl<R: ChainReader> RpcReserveSource<R> {
    /// A source batching through Multicall3 at its canonical address, 500 calls per request.
    pub const fn new(reader: R) -> Self {
        Self { reader, multicall: Some(MULTICALL3_ADDRESS), max_calls: 500 }
    }

    /// Uses the Multicall3 deployed at `address`, or none (`None`: one `eth_call` per call).
    #[must_use]
    pub const fn multicall(mut self, address: Option<Address>) -> Self {
        self.multicall = address;
        self
    }

    /// At most `max_calls` calls per `aggregate3` request (at least 1).
    #[must_use]
    pub const fn max_calls(mut self, max_calls: usize) -> Self {
        self.max_calls = if max_calls == 0 { 1 } else { max_calls };
        self
    }

    /// The reader.
    pub const fn reader(&self) -> &R {
        &self.reader
    }

    /// The timestamp of `block` from its header (without Multicall3, whose
    /// `getCurrentBlockTimestamp` answers it otherwise).
    async fn block_timestamp(&self, block: u64) -> Result<u64, CallError> {
        match self.reader.header(block).await {
            Ok(Some(header)) => Ok(header.timestamp),
            Ok(None) => Err(CallError::Malformed(format!("no header for block {block}"))),
            Err(e) => Err(CallError::Chain(e)),
        }
    }

    /// Runs `calls` at `block`, through Multicall3 in chunks or one by one; one result per
    /// call.
    async fn run(&self, calls: Vec<Call3>, block: u64) -> Vec<Result<Bytes, CallError>> {
        let Some(multicall) = self.multicall else {
            let mut out = Vec::with_capacity(calls.len());
            for c in calls {
                out.push(
                    self.reader.call(c.target, c.callData, block).await.map_err(CallError::Chain),
                );
            }
            return out;
        };
        let mut out = Vec::with_capacity(calls.len());
        let mut calls = calls.into_iter().peekable();
        while calls.peek().is_some() {
            let chunk: Vec<Call3> = calls.by_ref().take(self.max_calls).collect();
            let n = chunk.len();
            match mev_chain::aggregate3(&self.reader, multicall, chunk, block).await {
                Ok(results) => {
                    out.extend(results.into_iter().map(|r| {
                        if r.success { Ok(r.returnData) } else { Err(CallError::Reverted) }
                    }))
                }
                Err(e) => out.extend((0..n).map(|_| Err(CallError::Chain(e.clone())))),
            }
        }
        out
    }
}

/// The calls that read one pool (for a V3 pool, its first round: price, liquidity, immutables).
fn calls_for(pool: &PoolKey) -> Result<Vec<Call3>> {
    Ok(match &pool.kind {
        PoolKind::UniswapV2 { .. } => vec![
            call(pool.address, token0Call {}.abi_encode()),
            call(pool.address, token1Call {}.abi_encode()),
            call(pool.address, getReservesCall {}.abi_encode()),
        ],
        PoolKind::UniswapV3 { .. } => vec![
            call(pool.address, slot0Call {}.abi_encode()),
            call(pool.address, liquidityCall {}.abi_encode()),
            call(pool.address, feeCall {}.abi_encode()),
            call(pool.address, tickSpacingCall {}.abi_encode()),
            call(pool.address, token0Call {}.abi_encode()),
            call(pool.address, token1Call {}.abi_encode()),
        ],
        PoolKind::UniswapV4 { state_view, key, .. } => {
            let pool_id = key.id();
            vec![
                call(*state_view, IStateView::getSlot0Call { poolId: pool_id }.abi_encode()),
                call(*state_view, IStateView::getLiquidityCall { poolId: pool_id }.abi_encode()),
            ]
        }
        PoolKind::BalancerV2 { vault, pool_id, .. } => {
            vec![call(*vault, getPoolTokensCall { poolId: *pool_id }.abi_encode())]
        }
        PoolKind::Curve { n_coins } => {
            if !(2..=8).contains(n_coins) {
                return Err(ReserveError::InvalidPool {
                    pool: pool.address,
                    message: format!("a Curve pool has 2 to 8 coins, not {n_coins}"),
                });
            }
            (0..*n_coins)
                .map(|i| call(pool.address, balancesCall { i: U256::from(i) }.abi_encode()))
                .collect()
        }
    })
}

fn call(target: Address, data: Vec<u8>) -> Call3 {
    Call3 { target, allowFailure: true, callData: data.into() }
}

/// The return data of every call of one pool, or why one gave none.
fn returns<'a>(
    pool: &PoolKey,
    block: u64,
    results: &'a [Result<Bytes, CallError>],
) -> Result<Vec<&'a Bytes>> {
    results
        .iter()
        .map(|r| match r {
            Ok(b) => Ok(b),
            Err(CallError::Reverted) => Err(ReserveError::BadResponse {
                pool: pool.address,
                message: "call reverted".into(),
            }),
            Err(CallError::Chain(source)) => {
                Err(ReserveError::Chain { pool: pool.address, block, source: source.clone() })
            }
            Err(CallError::Malformed(message)) => {
                Err(ReserveError::BadResponse { pool: pool.address, message: message.clone() })
            }
        })
        .collect()
}

/// A pool read from its first round: done, a V3 or V4 pool whose ticks are still to read, or
/// a Balancer pool whose getters (round 2) or providers' rates (round 3) are.
enum Parsed {
    Done(PoolState),
    Ticks { pool: Ticked, words: std::ops::RangeInclusive<i16> },
    Balancer(Pending),
    BalancerRates { pool: BalancerV2Pool, expired: Vec<usize> },
}

/// A pool whose state includes a tick bitmap and ticks: Uniswap V3 or V4.
enum Ticked {
    V3(Box<V3Pool>),
    V4(Box<V4Pool>),
}

impl Ticked {
    const fn state(&self) -> &V3State {
        match self {
            Self::V3(p) => &p.state,
            Self::V4(p) => &p.state.pool,
        }
    }

    /// Records an initialized tick.
    fn insert(&mut self, tick: i32, gross: u128, net: i128) {
        let (ticks, grosses) = match self {
            Self::V3(p) => (&mut p.state.ticks, &mut p.liquidity_gross),
            Self::V4(p) => (&mut p.state.pool.ticks, &mut p.liquidity_gross),
        };
        ticks.insert(tick, net);
        grosses.insert(tick, gross);
    }

    /// The call reading bitmap word `word`.
    fn bitmap_call(&self, key: &PoolKey, word: i16) -> Call3 {
        match (self, &key.kind) {
            (Self::V4(p), PoolKind::UniswapV4 { state_view, .. }) => call(
                *state_view,
                IStateView::getTickBitmapCall { poolId: p.id, tick: word }.abi_encode(),
            ),
            _ => call(key.address, tickBitmapCall { wordPosition: word }.abi_encode()),
        }
    }

    fn decode_bitmap(&self, raw: &[u8]) -> Result<U256, String> {
        match self {
            Self::V3(_) => tickBitmapCall::abi_decode_returns(raw).map_err(|e| e.to_string()),
            Self::V4(_) => {
                IStateView::getTickBitmapCall::abi_decode_returns(raw).map_err(|e| e.to_string())
            }
        }
    }

    /// The call reading initialized tick `tick`'s liquidity.
    fn tick_call(&self, key: &PoolKey, tick: i32) -> Call3 {
        let tick = I24::try_from(tick).unwrap_or_default();
        match (self, &key.kind) {
            (Self::V4(p), PoolKind::UniswapV4 { state_view, .. }) => call(
                *state_view,
                IStateView::getTickLiquidityCall { poolId: p.id, tick }.abi_encode(),
            ),
            _ => call(key.address, ticksCall { tick }.abi_encode()),
        }
    }

    /// `(liquidityGross, liquidityNet)` of a tick.
    fn decode_tick(&self, raw: &[u8]) -> Result<(u128, i128), String> {
        match self {
            Self::V3(_) => ticksCall::abi_decode_returns(raw)
                .map(|t| (t.liquidityGross, t.liquidityNet))
                .map_err(|e| e.to_string()),
            Self::V4(_) => IStateView::getTickLiquidityCall::abi_decode_returns(raw)
                .map(|t| (t.liquidityGross, t.liquidityNet))
                .map_err(|e| e.to_string()),
        }
    }

    fn into_state(self) -> PoolState {
        match self {
            Self::V3(p) => PoolState::UniswapV3(p),
            Self::V4(p) => PoolState::UniswapV4(p),
        }
    }
}

/// The bitmap words `tick_words` either side of `tick`'s, within the tick bounds, and the
/// inclusive tick range they cover.
fn words_around(
    tick: i32,
    tick_spacing: i32,
    tick_words: u16,
) -> (std::ops::RangeInclusive<i16>, (i32, i32)) {
    let word = word_of(tick, tick_spacing);
    let (lowest, highest) = (word_of(MIN_TICK, tick_spacing), word_of(MAX_TICK, tick_spacing));
    let reach = i16::try_from(tick_words).unwrap_or(i16::MAX);
    let words = word.saturating_sub(reach).max(lowest)..=word.saturating_add(reach).min(highest);
    let loaded_range = (
        (i32::from(*words.start()) * 256 * tick_spacing).max(MIN_TICK),
        ((i32::from(*words.end()) * 256 + 255) * tick_spacing).min(MAX_TICK),
    );
    (words, loaded_range)
}

/// Builds a pool's state (or, for V3 and V4, all but its ticks) from its first round.
fn parse(pool: &PoolKey, block: u64, results: &[Result<Bytes, CallError>]) -> Result<Parsed> {
    let bad = |message: String| ReserveError::BadResponse { pool: pool.address, message };
    let raw = returns(pool, block, results)?;
    let state = match (&pool.kind, raw.as_slice()) {
        (PoolKind::UniswapV2 { fee }, [t0, t1, r]) => {
            let r = getReservesCall::abi_decode_returns(r).map_err(|e| bad(e.to_string()))?;
            PoolState::UniswapV2 {
                token0: token0Call::abi_decode_returns(t0).map_err(|e| bad(e.to_string()))?,
                token1: token1Call::abi_decode_returns(t1).map_err(|e| bad(e.to_string()))?,
                reserve0: r.reserve0.to(),
                reserve1: r.reserve1.to(),
                fee: *fee,
            }
        }
        (PoolKind::UniswapV3 { tick_words }, [s, l, f, ts, t0, t1]) => {
            let s = slot0Call::abi_decode_returns(s).map_err(|e| bad(e.to_string()))?;
            let tick_spacing =
                tick_i32(tickSpacingCall::abi_decode_returns(ts).map_err(|e| bad(e.to_string()))?);
            if !(1..16_384).contains(&tick_spacing) {
                return Err(bad(format!("tickSpacing {tick_spacing} is not in 1..16384")));
            }
            let tick = tick_i32(s.tick);
            let (words, loaded_range) = words_around(tick, tick_spacing, *tick_words);
            let state = V3State {
                sqrt_price_x96: s.sqrtPriceX96,
                tick,
                liquidity: liquidityCall::abi_decode_returns(l).map_err(|e| bad(e.to_string()))?,
                fee: feeCall::abi_decode_returns(f).map_err(|e| bad(e.to_string()))?.to(),
                tick_spacing,
                ticks: BTreeMap::new(),
                loaded_range,
            };
            let v3 = V3Pool {
                token0: token0Call::abi_decode_returns(t0).map_err(|e| bad(e.to_string()))?,
                token1: token1Call::abi_decode_returns(t1).map_err(|e| bad(e.to_string()))?,
                state,
                liquidity_gross: BTreeMap::new(),
            };
            return Ok(Parsed::Ticks { pool: Ticked::V3(Box::new(v3)), words });
        }
        (PoolKind::UniswapV4 { key, tick_words, .. }, [s, l]) => {
            let s = IStateView::getSlot0Call::abi_decode_returns(s)
                .map_err(|e| bad(format!("getSlot0: {e}")))?;
            if s.sqrtPriceX96.is_zero() {
                return Err(bad(format!(
                    "V4 pool {} is not initialized (getSlot0 is empty: wrong key or StateView?)",
                    key.id()
                )));
            }
            if !(1..=MAX_TICK_SPACING_V4).contains(&key.tick_spacing) {
                return Err(ReserveError::InvalidPool {
                    pool: pool.address,
                    message: format!("tick spacing {} is not in 1..=32767", key.tick_spacing),
                });
            }
            let liquidity = IStateView::getLiquidityCall::abi_decode_returns(l)
                .map_err(|e| bad(format!("getLiquidity: {e}")))?;
            let tick = tick_i32(s.tick);
            let (words, loaded_range) = words_around(tick, key.tick_spacing, *tick_words);
            let state = V4State {
                pool: V3State {
                    sqrt_price_x96: s.sqrtPriceX96,
                    tick,
                    liquidity,
                    fee: s.lpFee.to(),
                    tick_spacing: key.tick_spacing,
                    ticks: BTreeMap::new(),
                    loaded_range,
                },
                protocol_fee: s.protocolFee.to(),
                key_fee: key.fee,
                hooks: key.hooks,
            };
            let v4 = V4Pool {
                id: key.id(),
                currency0: key.currency0,
                currency1: key.currency1,
                state,
                liquidity_gross: BTreeMap::new(),
            };
            return Ok(Parsed::Ticks { pool: Ticked::V4(Box::new(v4)), words });
        }
        (PoolKind::BalancerV2 { pool_type, .. }, [r]) => {
            let r = getPoolTokensCall::abi_decode_returns(r).map_err(|e| bad(e.to_string()))?;
            if r.tokens.len() != r.balances.len() {
                return Err(bad("getPoolTokens: tokens and balances differ in length".into()));
            }
            if r.tokens.len() < 2 {
                return Err(bad(format!(
                    "getPoolTokens: {} tokens (not registered?)",
                    r.tokens.len()
                )));
            }
            if *pool_type == BalancerPoolType::Other {
                let state = BalancerV2State::Other { balances: r.balances };
                PoolState::BalancerV2(Box::new(BalancerV2Pool { tokens: r.tokens, state }))
            } else {
                let pending =
                    Pending { tokens: r.tokens, balances: r.balances, pool_type: *pool_type };
                return Ok(Parsed::Balancer(pending));
            }
        }
        (PoolKind::Curve { .. }, coins) => PoolState::Curve {
            balances: coins
                .iter()
                .map(|r| balancesCall::abi_decode_returns(r).map_err(|e| bad(e.to_string())))
                .collect::<Result<_>>()?,
        },
        _ => return Err(bad("unexpected number of call results".into())),
    };
    Ok(Parsed::Done(state))
}

/// What stands in a pool's slot while its parsed state is moved out and back.
const fn placeholder() -> PoolState {
    PoolState::Curve { balances: Vec::new() }
}

/// The bitmap word holding `tick`: `int16((tick / spacing) >> 8)`, rounding toward −∞ as
/// `TickBitmap.position` does.
const fn word_of(tick: i32, spacing: i32) -> i16 {
    (tick.div_euclid(spacing) >> 8) as i16
}

/// The initialized ticks of bitmap word `word` (bit `b` set: tick `(word·256 + b)·spacing`).
fn ticks_in_word(word: i16, bitmap: U256, spacing: i32) -> impl Iterator<Item = i32> {
    (0..256_usize)
        .filter(move |b| bitmap.bit(*b))
        .map(move |b| (i32::from(word) * 256 + b as i32) * spacing)
}

#[async_trait]
impl<R: ChainReader> ReserveSource for RpcReserveSource<R> {
    async fn fetch(&self, pool: &PoolKey, block: u64) -> Result<PoolSnapshot> {
        let mut results = self.fetch_many(std::slice::from_ref(pool), block).await;
        results.pop().unwrap_or_else(|| {
            Err(ReserveError::BadResponse { pool: pool.address, message: "no result".into() })
        })
    }

    /// One round of calls for every pool; V3 and typed Balancer pools then take up to two more
    /// rounds, shared by all of them: V3 bitmap words and Balancer getters, then V3
    /// initialized ticks and the rates of expired Balancer rate caches.
    async fn fetch_many(&self, pools: &[PoolKey], block: u64) -> Vec<Result<PoolSnapshot>> {
        // Plan every pool's calls; pools with an invalid key fail alone.
        let mut plans = Vec::with_capacity(pools.len());
        let mut calls = Vec::new();
        for pool in pools {
            match calls_for(pool) {
                Ok(c) => {
                    plans.push(Ok(calls.len()..calls.len() + c.len()));
                    calls.extend(c);
                }
                Err(e) => plans.push(Err(e)),
            }
        }
        let results = self.run(calls, block).await;
        let mut parsed: Vec<Result<Parsed>> = pools
            .iter()
            .zip(plans)
            .map(|(pool, plan)| parse(pool, block, results.get(plan?).unwrap_or_default()))
            .collect();

        // Round 2: the bitmap words of every V3 and V4 pool, the getters of every typed Balancer pool
        // (and the block's timestamp, once, for the composable stable ones).
        let mut round2 = Vec::new();
        let mut timestamp = None;
        let mut timestamp_slot = None;
        let needs_timestamp = parsed
            .iter()
            .any(|p| matches!(p, Ok(Parsed::Balancer(pending)) if pending.needs_timestamp()));
        if needs_timestamp {
            match self.multicall {
                Some(multicall) => {
                    timestamp_slot = Some(round2.len());
                    let c = IMulticall3::getCurrentBlockTimestampCall {};
                    round2.push(call(multicall, c.abi_encode()));
                }
                None => timestamp = Some(self.block_timestamp(block).await),
            }
        }
        let mut words = Vec::new();
        let mut balancer_plans = Vec::new();
        for (i, p) in parsed.iter().enumerate() {
            match p {
                Ok(Parsed::Ticks { pool, words: range }) => {
                    for w in range.clone() {
                        words.push((i, w, round2.len()));
                        round2.push(pool.bitmap_call(&pools[i], w));
                    }
                }
                Ok(Parsed::Balancer(pending)) => {
                    let c = pending.calls(&pools[i]);
                    balancer_plans.push((i, round2.len()..round2.len() + c.len()));
                    round2.extend(c);
                }
                _ => {}
            }
        }
        let round2_results = self.run(round2, block).await;
        if let Some(slot) = timestamp_slot {
            timestamp = Some(
                round2_results.get(slot).cloned().unwrap_or(Err(CallError::Reverted)).and_then(
                    |raw| {
                        IMulticall3::getCurrentBlockTimestampCall::abi_decode_returns(&raw)
                            .map(|t| t.saturating_to::<u64>())
                            .map_err(|e| {
                                CallError::Malformed(format!("getCurrentBlockTimestamp: {e}"))
                            })
                    },
                ),
            );
        }
        let mut tick_reads: Vec<(usize, i32)> = Vec::new();
        for &(i, w, slot) in &words {
            let Ok(Parsed::Ticks { pool: ticked, .. }) = &parsed[i] else { continue };
            let spacing = ticked.state().tick_spacing;
            let r = round2_results.get(slot).cloned().unwrap_or(Err(CallError::Reverted));
            let decoded = returns(&pools[i], block, std::slice::from_ref(&r)).and_then(|raw| {
                ticked.decode_bitmap(raw[0]).map_err(|e| ReserveError::BadResponse {
                    pool: pools[i].address,
                    message: format!("tick bitmap word {w}: {e}"),
                })
            });
            match decoded {
                Ok(bitmap) => tick_reads.extend(ticks_in_word(w, bitmap, spacing).map(|t| (i, t))),
                Err(e) => parsed[i] = Err(e),
            }
        }
        for (i, range) in balancer_plans {
            let results = round2_results.get(range).unwrap_or_default();
            parsed[i] = match std::mem::replace(&mut parsed[i], Ok(Parsed::Done(placeholder()))) {
                Ok(Parsed::Balancer(pending)) => {
                    pending.parse(&pools[i], block, results, timestamp.as_ref()).map(|d| match d {
                        Detailed::Done(pool) => Parsed::Done(PoolState::BalancerV2(Box::new(pool))),
                        Detailed::Rates { pool, expired } => {
                            Parsed::BalancerRates { pool, expired }
                        }
                    })
                }
                other => other,
            };
        }

        // Round 3: every initialized tick found; the rate of every expired Balancer rate cache.
        // A pool whose later bitmap word failed reads no ticks.
        tick_reads.retain(|&(i, _)| matches!(parsed[i], Ok(Parsed::Ticks { .. })));
        let mut round3: Vec<Call3> = tick_reads
            .iter()
            .filter_map(|&(i, t)| match &parsed[i] {
                Ok(Parsed::Ticks { pool, .. }) => Some(pool.tick_call(&pools[i], t)),
                _ => None,
            })
            .collect();
        let mut rate_plans = Vec::new();
        for (i, p) in parsed.iter().enumerate() {
            if let Ok(Parsed::BalancerRates { pool, expired }) = p {
                let c = balancer::rate_calls(pool, expired);
                rate_plans.push((i, round3.len()..round3.len() + c.len()));
                round3.extend(c);
            }
        }
        let round3_results = self.run(round3, block).await;
        for (&(i, t), r) in tick_reads.iter().zip(&round3_results) {
            let Ok(Parsed::Ticks { pool: ticked, .. }) = &mut parsed[i] else { continue };
            let decoded = returns(&pools[i], block, std::slice::from_ref(r)).and_then(|raw| {
                ticked.decode_tick(raw[0]).map_err(|e| ReserveError::BadResponse {
                    pool: pools[i].address,
                    message: format!("tick {t}: {e}"),
                })
            });
            match decoded {
                Ok((gross, net)) if gross > 0 => ticked.insert(t, gross, net),
                // A bit set for a tick without liquidity cannot happen in a pool.
                Ok(_) => {
                    parsed[i] = Err(ReserveError::BadResponse {
                        pool: pools[i].address,
                        message: format!("tick {t} is in the bitmap but has no liquidity"),
                    });
                }
                Err(e) => parsed[i] = Err(e),
            }
        }
        for (i, range) in rate_plans {
            let results = round3_results.get(range).unwrap_or_default();
            parsed[i] = match std::mem::replace(&mut parsed[i], Ok(Parsed::Done(placeholder()))) {
                Ok(Parsed::BalancerRates { pool, expired }) => {
                    balancer::apply_rates(&pools[i], block, pool, &expired, results)
                        .map(|pool| Parsed::Done(PoolState::BalancerV2(Box::new(pool))))
                }
                other => other,
            };
        }

        pools
            .iter()
            .zip(parsed)
            .map(|(pool, p)| {
                let state = match p? {
                    Parsed::Done(state) => state,
                    Parsed::Ticks { pool: ticked, .. } => ticked.into_state(),
                    Parsed::Balancer(_) | Parsed::BalancerRates { .. } => {
                        return Err(ReserveError::BadResponse {
                            pool: pool.address,
                            message: "Balancer pool left half read".into(),
                        });
                    }
                };
                Ok(PoolSnapshot { pool: pool.address, block, state })
            })
            .collect()
    }
}
