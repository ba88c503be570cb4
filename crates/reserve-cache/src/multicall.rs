//! [`RpcReserveSource`]: pool state over `eth_call` through any [`ChainReader`], many pools
//! per Multicall3 request.

use std::fmt;

use alloy_primitives::{Address, Bytes, U256};
use alloy_sol_types::SolCall;
use async_trait::async_trait;
use mev_chain::{Call3, ChainError, ChainReader, MULTICALL3_ADDRESS};

use crate::{
    PoolKey, PoolKind, PoolSnapshot, PoolState, ReserveError, ReserveSource, Result,
    bindings::{balancesCall, getPoolTokensCall, getReservesCall, liquidityCall, slot0Call},
    state::tick_i32,
};

/// Reads pool state with `eth_call` through a [`ChainReader`] — any alloy provider wrapped in
/// [`mev_chain::ProviderChain`], a recording, or a reader with your own wrappers — packing the
/// calls of many pools into one Multicall3 `aggregate3` request (up to `max_calls` calls each).
///
/// A V2 pair costs one call (`getReserves`), a V3 pool two (`slot0`, `liquidity`), a Balancer
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

/// The calls that read one pool.
fn calls_for(pool: &PoolKey) -> Result<Vec<Call3>> {
    let call = |target, data: Vec<u8>| Call3 { target, allowFailure: true, callData: data.into() };
    Ok(match &pool.kind {
        PoolKind::UniswapV2 => vec![call(pool.address, getReservesCall {}.abi_encode())],
        PoolKind::UniswapV3 => vec![
            call(pool.address, slot0Call {}.abi_encode()),
            call(pool.address, liquidityCall {}.abi_encode()),
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

/// Builds a pool's state from the results of its calls.
fn parse(pool: &PoolKey, block: u64, results: &[Result<Bytes, CallError>]) -> Result<PoolSnapshot> {
    let bad = |message: String| ReserveError::BadResponse { pool: pool.address, message };
    let mut raw = Vec::with_capacity(results.len());
    for r in results {
        match r {
            Ok(b) => raw.push(b),
            Err(CallError::Reverted) => return Err(bad("call reverted".into())),
            Err(CallError::Chain(source)) => {
                return Err(ReserveError::Chain {
                    pool: pool.address,
                    block,
                    source: source.clone(),
                });
            }
        }
    }
    let state = match (&pool.kind, raw.as_slice()) {
        (PoolKind::UniswapV2, [r]) => {
            let r = getReservesCall::abi_decode_returns(r).map_err(|e| bad(e.to_string()))?;
            PoolState::UniswapV2 { reserve0: r.reserve0.to(), reserve1: r.reserve1.to() }
        }
        (PoolKind::UniswapV3, [s, l]) => {
            let s = slot0Call::abi_decode_returns(s).map_err(|e| bad(e.to_string()))?;
            let l = liquidityCall::abi_decode_returns(l).map_err(|e| bad(e.to_string()))?;
            PoolState::UniswapV3 {
                sqrt_price_x96: s.sqrtPriceX96,
                tick: tick_i32(s.tick),
                liquidity: l,
            }
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
    Ok(PoolSnapshot { pool: pool.address, block, state })
}

#[async_trait]
impl<R: ChainReader> ReserveSource for RpcReserveSource<R> {
    async fn fetch(&self, pool: &PoolKey, block: u64) -> Result<PoolSnapshot> {
        let mut results = self.fetch_many(std::slice::from_ref(pool), block).await;
        results.pop().unwrap_or_else(|| {
            Err(ReserveError::BadResponse { pool: pool.address, message: "no result".into() })
        })
    }

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
        pools
            .iter()
            .zip(plans)
            .map(|(pool, plan)| {
                let range = plan?;
                let slice = results.get(range).unwrap_or_default();
                parse(pool, block, slice)
            })
            .collect()
    }
}
