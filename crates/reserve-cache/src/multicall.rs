//! [`RpcReserveSource`]: pool state over `eth_call` through any [`ChainReader`], many pools
//! per Multicall3 request.

use std::fmt;

use std::collections::BTreeMap;

use alloy_primitives::{Address, Bytes, U256, aliases::I24};
use alloy_sol_types::SolCall;
use async_trait::async_trait;
use mev_chain::{Call3, ChainError, ChainReader, MULTICALL3_ADDRESS};

use mev_swap_math::{MAX_TICK, MIN_TICK, V3State};

use crate::{
    PoolKey, PoolKind, PoolSnapshot, PoolState, ReserveError, ReserveSource, Result, V3Pool,
    bindings::{
        balancesCall, feeCall, getPoolTokensCall, getReservesCall, liquidityCall, slot0Call,
        tickBitmapCall, tickSpacingCall, ticksCall, token0Call, token1Call,
    },
    state::tick_i32,
};

/// Reads pool state with `eth_call` through a [`ChainReader`] — any alloy provider wrapped in
/// [`mev_chain::ProviderChain`], a recording, or a reader with your own wrappers — packing the
/// calls of many pools into one Multicall3 `aggregate3` request (up to `max_calls` calls each).
///
/// A V2 pair costs three calls (the tokens, `getReserves`); a V3 pool six (`slot0`,
/// `liquidity`, `fee`, `tickSpacing`, the tokens), then one per bitmap word loaded and one per
/// initialized tick found, in two more rounds shared by every V3 pool of the batch; a Balancer
/// pool one (`getPoolTokens` on the Vault), a Curve pool one per coin (`balances(i)`). Wrap the
/// reader in [`mev_chain::Counted`] to count the requests a cache saves.
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
        PoolKind::BalancerV2 { vault, pool_id } => {
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
        })
        .collect()
}

/// A pool read from its first round: done, or a V3 pool whose ticks are still to read.
enum Parsed {
    Done(PoolState),
    V3 { pool: Box<V3Pool>, words: std::ops::RangeInclusive<i16> },
}

/// Builds a pool's state (or, for V3, all but its ticks) from its first round.
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
            let word = word_of(tick, tick_spacing);
            let (lowest, highest) =
                (word_of(MIN_TICK, tick_spacing), word_of(MAX_TICK, tick_spacing));
            let words = word.saturating_sub(*tick_words as i16).max(lowest)
                ..=word.saturating_add(*tick_words as i16).min(highest);
            let loaded_range = (
                (i32::from(*words.start()) * 256 * tick_spacing).max(MIN_TICK),
                ((i32::from(*words.end()) * 256 + 255) * tick_spacing).min(MAX_TICK),
            );
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
            return Ok(Parsed::V3 { pool: Box::new(v3), words });
        }
        (PoolKind::BalancerV2 { .. }, [r]) => {
            let r = getPoolTokensCall::abi_decode_returns(r).map_err(|e| bad(e.to_string()))?;
            if r.tokens.len() != r.balances.len() {
                return Err(bad("getPoolTokens: tokens and balances differ in length".into()));
            }
            PoolState::BalancerV2 { tokens: r.tokens, balances: r.balances }
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

    /// One round of calls for every pool; V3 pools then take two more rounds, shared by all of
    /// them: their bitmap words, then their initialized ticks.
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

        // Round 2: the bitmap words of every V3 pool.
        let mut words = Vec::new();
        let mut word_calls = Vec::new();
        for (i, p) in parsed.iter().enumerate() {
            if let Ok(Parsed::V3 { words: range, .. }) = p {
                for w in range.clone() {
                    words.push((i, w));
                    word_calls.push(call(
                        pools[i].address,
                        tickBitmapCall { wordPosition: w }.abi_encode(),
                    ));
                }
            }
        }
        let word_results = self.run(word_calls, block).await;
        let mut tick_reads: Vec<(usize, i32)> = Vec::new();
        for (&(i, w), r) in words.iter().zip(&word_results) {
            let Ok(Parsed::V3 { pool: v3, .. }) = &parsed[i] else { continue };
            let spacing = v3.state.tick_spacing;
            let decoded = returns(&pools[i], block, std::slice::from_ref(r)).and_then(|raw| {
                tickBitmapCall::abi_decode_returns(raw[0]).map_err(|e| ReserveError::BadResponse {
                    pool: pools[i].address,
                    message: format!("tickBitmap({w}): {e}"),
                })
            });
            match decoded {
                Ok(bitmap) => tick_reads.extend(ticks_in_word(w, bitmap, spacing).map(|t| (i, t))),
                Err(e) => parsed[i] = Err(e),
            }
        }

        // Round 3: every initialized tick found.
        let tick_calls = tick_reads
            .iter()
            .map(|&(i, t)| {
                call(
                    pools[i].address,
                    ticksCall { tick: I24::try_from(t).unwrap_or_default() }.abi_encode(),
                )
            })
            .collect();
        let tick_results = self.run(tick_calls, block).await;
        for (&(i, t), r) in tick_reads.iter().zip(&tick_results) {
            let decoded = returns(&pools[i], block, std::slice::from_ref(r)).and_then(|raw| {
                ticksCall::abi_decode_returns(raw[0]).map_err(|e| ReserveError::BadResponse {
                    pool: pools[i].address,
                    message: format!("ticks({t}): {e}"),
                })
            });
            let Ok(Parsed::V3 { pool: v3, .. }) = &mut parsed[i] else { continue };
            match decoded {
                Ok(info) if info.liquidityGross > 0 => {
                    v3.state.ticks.insert(t, info.liquidityNet);
                    v3.liquidity_gross.insert(t, info.liquidityGross);
                }
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

        pools
            .iter()
            .zip(parsed)
            .map(|(pool, p)| {
                let state = match p? {
                    Parsed::Done(state) => state,
                    Parsed::V3 { pool: v3, .. } => PoolState::UniswapV3(v3),
                };
                Ok(PoolSnapshot { pool: pool.address, block, state })
            })
            .collect()
    }
}
