//! [`RpcReserveSource`]: pool state over `eth_call` ([`EthCall`]: an alloy provider, or any
//! transport of the caller's), many pools per request.

use std::{
    fmt,
    sync::atomic::{AtomicU64, Ordering::Relaxed},
};

use alloy_primitives::{Address, Bytes, U256, address};
use alloy_sol_types::{SolCall, sol};
use async_trait::async_trait;

use crate::{
    PoolKey, PoolKind, PoolSnapshot, PoolState, ReserveError, ReserveSource, Result,
    state::tick_i32,
};

/// The canonical Multicall3 address, the same on nearly every EVM chain.
pub const MULTICALL3: Address = address!("0xcA11bde05977b3631167028862bE2a173976CA11");

sol! {
    struct Call3 { address target; bool allowFailure; bytes callData; }
    struct Result3 { bool success; bytes returnData; }
    function aggregate3(Call3[] calldata calls) external payable returns (Result3[] memory returnData);

    function getReserves() external view returns (uint112 reserve0, uint112 reserve1, uint32 blockTimestampLast);
    function slot0() external view returns (
        uint160 sqrtPriceX96, int24 tick, uint16 observationIndex, uint16 observationCardinality,
        uint16 observationCardinalityNext, uint8 feeProtocol, bool unlocked
    );
    function liquidity() external view returns (uint128);
    function getPoolTokens(bytes32 poolId) external view returns (address[] tokens, uint256[] balances, uint256 lastChangeBlock);
    function balances(uint256 i) external view returns (uint256);
}

/// One `eth_call`: what [`RpcReserveSource`] needs from a chain connection.
///
/// Implemented for every alloy `Provider` (feature `rpc`); implement it to read pools through
/// another transport (a recorded chain, a client with its own retry policy).
#[async_trait]
pub trait EthCall: Send + Sync {
    /// `eth_call` of `input` to `to` at block `block` (a block number): the call's return data,
    /// or the transport's or node's error as text.
    async fn eth_call(&self, to: Address, input: Bytes, block: u64) -> Result<Bytes, String>;
}

#[cfg(feature = "rpc")]
#[async_trait]
impl<P: alloy_provider::Provider + Send + Sync> EthCall for P {
    async fn eth_call(&self, to: Address, input: Bytes, block: u64) -> Result<Bytes, String> {
        use alloy_rpc_types_eth::{BlockId, TransactionInput, TransactionRequest};
        let tx = TransactionRequest::default().to(to).input(TransactionInput::new(input));
        self.call(tx).block(BlockId::number(block)).await.map_err(|e| e.to_string())
    }
}

/// Reads pool state with `eth_call` through an [`EthCall`] (an alloy `Provider` with feature
/// `rpc`), packing the calls of many
/// pools into one Multicall3 `aggregate3` request (up to `max_calls` calls each).
///
/// A V2 pair costs one call (`getReserves`), a V3 pool two (`slot0`, `liquidity`), a Balancer
/// pool one (`getPoolTokens` on the Vault), a Curve pool one per coin (`balances(i)`).
/// [`RpcReserveSource::requests`] counts the RPC requests made, for measuring what a cache
/// saves.
///
/// ```no_run
/// use std::sync::Arc;
/// use alloy_provider::ProviderBuilder;
/// use mev_reserve_cache::{ReserveCache, RpcReserveSource};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let provider = ProviderBuilder::new().connect_http("http://127.0.0.1:8545".parse()?);
/// let cache = ReserveCache::new(Arc::new(RpcReserveSource::new(provider)));
/// # Ok(()) }
/// ```
pub struct RpcReserveSource<P> {
    provider: P,
    multicall: Option<Address>,
    max_calls: usize,
    requests: AtomicU64,
}

impl<P> fmt::Debug for RpcReserveSource<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RpcReserveSource")
            .field("multicall", &self.multicall)
            .field("max_calls", &self.max_calls)
            .field("requests", &self.requests.load(Relaxed))
            .finish_non_exhaustive()
    }
}

impl<P: EthCall> RpcReserveSource<P> {
    /// A source batching through Multicall3 at its canonical address, 500 calls per request.
    pub const fn new(provider: P) -> Self {
        Self { provider, multicall: Some(MULTICALL3), max_calls: 500, requests: AtomicU64::new(0) }
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

    /// RPC requests made so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Relaxed)
    }

    /// The provider.
    pub const fn provider(&self) -> &P {
        &self.provider
    }

    async fn eth_call(&self, to: Address, input: Vec<u8>, block: u64) -> Result<Bytes, String> {
        self.requests.fetch_add(1, Relaxed);
        self.provider.eth_call(to, input.into(), block).await
    }

    /// Runs `calls` at `block`, through Multicall3 in chunks or one by one; one result per
    /// call, `Err` for a call that reverted or a request that failed.
    async fn run(&self, calls: Vec<Call3>, block: u64) -> Vec<Result<Bytes, String>> {
        let Some(multicall) = self.multicall else {
            let mut out = Vec::with_capacity(calls.len());
            for c in calls {
                out.push(self.eth_call(c.target, c.callData.to_vec(), block).await);
            }
            return out;
        };
        let mut out = Vec::with_capacity(calls.len());
        let mut calls = calls.into_iter().peekable();
        while calls.peek().is_some() {
            let chunk: Vec<Call3> = calls.by_ref().take(self.max_calls).collect();
            let n = chunk.len();
            let input = aggregate3Call { calls: chunk }.abi_encode();
            match self.eth_call(multicall, input, block).await {
                Ok(raw) => match aggregate3Call::abi_decode_returns(&raw) {
                    Ok(results) if results.len() == n => {
                        out.extend(results.into_iter().map(|r| {
                            if r.success { Ok(r.returnData) } else { Err("call reverted".into()) }
                        }));
                    }
                    Ok(results) => out.extend((0..n).map(|_| {
                        Err(format!("aggregate3 returned {} results for {n} calls", results.len()))
                    })),
                    Err(e) => out.extend((0..n).map(|_| Err(format!("aggregate3 result: {e}")))),
                },
                Err(e) => out.extend((0..n).map(|_| Err(e.clone()))),
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
fn parse(pool: &PoolKey, block: u64, results: &[Result<Bytes, String>]) -> Result<PoolSnapshot> {
    let bad = |message: String| ReserveError::BadResponse { pool: pool.address, message };
    let mut raw = Vec::with_capacity(results.len());
    for r in results {
        match r {
            Ok(b) => raw.push(b),
            Err(e) if e == "call reverted" => return Err(bad(e.clone())),
            Err(e) => {
                return Err(ReserveError::Source { pool: pool.address, block, message: e.clone() });
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
impl<P: EthCall> ReserveSource for RpcReserveSource<P> {
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
