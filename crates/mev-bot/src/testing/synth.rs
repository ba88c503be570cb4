//! The synthetic node ([`SynthChain`]): an in-process Aave V3 market and Uniswap pools behind
//! [`ChainReader`], deterministic, with no network.
// Test data is generated with floats (log-uniform sizes, V3 prices); the pipeline under test
// computes everything in integers.
#![allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]

use std::{
    collections::HashMap,
    fmt,
    sync::{
        Mutex,
        atomic::{AtomicU64, Ordering::Relaxed},
    },
    time::{Duration, Instant},
};

use alloy_primitives::{
    Address, B256, Bytes, Log as PrimitiveLog, U256, address,
    aliases::{I24, U40, U112, U160},
    keccak256,
};
use alloy_rpc_types_eth::{Filter, Log};
use alloy_sol_types::{SolCall, SolEvent};
use async_trait::async_trait;
use mev_chain::{
    BlockHeader, Call3Result, ChainError, ChainReader, IMulticall3, IMulticall3::aggregate3Call,
    MULTICALL3_ADDRESS,
};
use mev_event_decoder::events::aave_v3;
use mev_rebuild::bindings::{IAaveDataProvider, IAaveOracle, IAavePool, IPoolAddressesProvider};

// Aave V3 Ethereum addresses (only used as identities).
/// The synthetic Aave `Pool`.
pub const POOL: Address = address!("0x87870Bca3F3fD6335C3F4ce8392D69350B4fA4E2");
/// The synthetic `AaveProtocolDataProvider`.
pub const DATA_PROVIDER: Address = address!("0x7B4EB56E7CD4b454BA8ff71E4518426369a138a3");
/// The synthetic `PoolAddressesProvider`.
pub const ADDRESSES_PROVIDER: Address = address!("0x2f39d218133AFaB8F2B819B1066c7E434Ad94E9e");
/// The synthetic `AaveOracle`.
pub const ORACLE: Address = address!("0x54586bE62E3c3580375aE3723C145253060Ca0C2");
/// The block the synthetic chain starts at.
pub const HEAD0: u64 = 20_000_000;
/// The timestamp of block 0, seconds.
pub const T0: u64 = 1_700_000_000;
/// Seconds per block: 2 (Base, the example configuration's chain).
pub const BLOCK_SECONDS: u64 = 2;

/// The timestamp of block `block`, seconds.
pub const fn ts(block: u64) -> u64 {
    T0 + BLOCK_SECONDS * block
}
/// The two tokens every synthetic pool trades.
const SYNTH_TOKEN0: Address = Address::repeat_byte(0x70);
const SYNTH_TOKEN1: Address = Address::repeat_byte(0x71);

pub(crate) const RAY: u128 = 1_000_000_000_000_000_000_000_000_000;

/// One listed reserve: asset, decimals, LTV, liquidation threshold and bonus (bps), base
/// price (USD × 1e8).
#[derive(Debug, Clone, Copy)]
pub struct ReserveSpec {
    /// The asset.
    pub asset: Address,
    /// Decimals.
    pub decimals: u8,
    /// LTV, bps.
    pub ltv: u16,
    /// Liquidation threshold, bps.
    pub lt: u16,
    /// Liquidation bonus, bps (10500 = 5 %).
    pub bonus: u16,
    /// Price, USD × 1e8.
    pub price: u64,
}

/// WETH's index in [`RESERVES`].
pub const WETH: usize = 0;
pub(crate) const E8: u64 = 100_000_000;
/// The listed reserves: WETH, USDC, WBTC, DAI.
pub const RESERVES: [ReserveSpec; 4] = [
    ReserveSpec {
        asset: address!("0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2"),
        decimals: 18,
        ltv: 8000,
        lt: 8250,
        bonus: 10500,
        price: 3_000 * E8,
    },
    ReserveSpec {
        asset: address!("0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"),
        decimals: 6,
        ltv: 7700,
        lt: 8000,
        bonus: 10450,
        price: E8,
    },
    ReserveSpec {
        asset: address!("0x2260FAC5E5542a773Aa44fBCfeDf7C193bc2C599"),
        decimals: 8,
        ltv: 7300,
        lt: 7800,
        bonus: 10500,
        price: 60_000 * E8,
    },
    ReserveSpec {
        asset: address!("0x6B175474E89094C44Da98b954EedeAC495271d0F"),
        decimals: 18,
        ltv: 6300,
        lt: 7700,
        bonus: 10500,
        price: E8,
    },
];

pub(crate) fn config_bitmap(r: &ReserveSpec) -> U256 {
    U256::from(r.ltv)
        | U256::from(r.lt) << 16
        | U256::from(r.bonus) << 32
        | U256::from(r.decimals) << 48
        | U256::from(1u8) << 56 // active
        | U256::from(1u8) << 58 // borrowing enabled
        | U256::from(1000u16) << 152 // liquidation protocol fee 10 %
}

/// `SplitMix64`: deterministic, no dependency.
#[derive(Debug, Clone)]
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) const fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub(crate) fn f64(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A user's balances in one reserve.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Leg {
    pub(crate) a_token: U256,
    pub(crate) debt: U256,
    pub(crate) collateral: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct ChainState {
    pub(crate) head: u64,
    pub(crate) prices: [U256; 4],
    pub(crate) users: Vec<[Leg; 4]>,
    pub(crate) index: HashMap<Address, usize>,
    pub(crate) v2: HashMap<Address, (u128, u128)>,
    pub(crate) v3: HashMap<Address, (U160, I24, u128)>,
}

/// The synthetic node: an Aave V3 market (the four [`RESERVES`]) with `positions` borrowers
/// and Uniswap V2/V3 pools, answering Multicall3 `aggregate3` batches from a deterministic
/// state that each [`Generator`](crate::testing::Generator) block mutates. It answers at its
/// head block only (an older block is a node error, as for a pruned node), keeps each block's
/// state for a rollback ([`rewind`](Self::rewind)), and times its own work.
pub struct SynthChain {
    state: Mutex<ChainState>,
    /// States by block, for rewinds: at most `keep` of them (0 by default: a 10,000-position
    /// state is about a megabyte, and a benchmark should not copy one per block).
    history: Mutex<Vec<(BlockHeader, ChainState)>>,
    keep: AtomicU64,
    discovery: Vec<Log>,
    busy_ns: AtomicU64,
    inner_calls: AtomicU64,
    /// When each `eth_call` started and how long it took.
    calls: Mutex<Vec<(Instant, Duration)>>,
}

impl fmt::Debug for SynthChain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SynthChain").field("inner_calls", &self.inner_calls).finish_non_exhaustive()
    }
}

pub(crate) fn tokens(usd: f64, r: &ReserveSpec, price: f64) -> U256 {
    let units = usd / price * 10f64.powi(i32::from(r.decimals));
    U256::from(units as u128)
}

/// The address of synthetic user `i`.
pub fn user_address(i: usize) -> Address {
    Address::from_word(keccak256((i as u64).to_be_bytes()))
}

/// 10,000 positions: 1–2 collateral legs (WETH primary for 60 %), one debt leg; health
/// factors ~0.2 % in [0.97, 1.0), ~3 % in [1.0, 1.05), the rest uniform in [1.05, 3.0].
pub(crate) fn make_users(n: usize, rng: &mut Rng) -> Vec<[Leg; 4]> {
    let base: Vec<f64> = RESERVES.iter().map(|r| r.price as f64 / 1e8).collect();
    (0..n)
        .map(|_| {
            let mut legs = [Leg::default(); 4];
            let r = rng.f64();
            let hf = if r < 0.002 {
                0.97 + 0.03 * rng.f64()
            } else if r < 0.032 {
                1.0 + 0.05 * rng.f64()
            } else {
                1.05 + 1.95 * rng.f64()
            };
            let p = rng.f64();
            let primary = if p < 0.6 {
                WETH
            } else if p < 0.8 {
                2
            } else if p < 0.92 {
                1
            } else {
                3
            };
            let value = 500.0 * (4000f64).powf(rng.f64()); // $500 – $2M, log-uniform
            let mut coll = vec![(primary, value)];
            if rng.f64() < 0.4 {
                let second = (primary + 1 + rng.below(3)) % 4;
                coll = vec![(primary, value * 0.7), (second, value * 0.3)];
            }
            let debt_asset = if primary == 1 || primary == 3 {
                if rng.f64() < 0.7 { WETH } else { 2 }
            } else if rng.f64() < 0.65 {
                1
            } else {
                3
            };
            let mut weighted = 0.0;
            for &(a, usd) in &coll {
                legs[a].a_token = tokens(usd, &RESERVES[a], base[a]);
                legs[a].collateral = true;
                weighted += usd * f64::from(RESERVES[a].lt) / 1e4;
            }
            legs[debt_asset].debt = tokens(weighted / hf, &RESERVES[debt_asset], base[debt_asset]);
            legs
        })
        .collect()
}

impl SynthChain {
    /// A chain at [`HEAD0`] with `positions` borrowers (health factors ~0.2 % in [0.97, 1.0),
    /// ~3 % in [1.0, 1.05), the rest in [1.05, 3.0]) and the pools `v2` and `v3`.
    pub fn new(positions: usize, v2: &[Address], v3: &[Address]) -> Self {
        let mut rng = Rng(7);
        let users = make_users(positions, &mut rng);
        let index = (0..positions).map(|i| (user_address(i), i)).collect();
        let discovery = (0..positions)
            .map(|i| {
                let u = user_address(i);
                let ev = aave_v3::Borrow {
                    reserve: RESERVES[1].asset,
                    user: u,
                    onBehalfOf: u,
                    amount: U256::from(1u8),
                    interestRateMode: 2,
                    borrowRate: U256::ZERO,
                    referralCode: 0,
                };
                rpc_log(POOL, ev.encode_log_data(), HEAD0 - 1 - i as u64 % 1000, 0, 0)
            })
            .collect();
        let v2 = v2
            .iter()
            .enumerate()
            .map(|(i, a)| {
                (*a, (1_000_000u128 * 10u128.pow(18) + i as u128, 3_000u128 * 10u128.pow(18)))
            })
            .collect();
        let sqrt = U160::from(79_228_162_514_264_337_593_543_950_336u128); // 1.0
        let v3 = v3.iter().map(|a| (*a, (sqrt, I24::ZERO, 10u128.pow(22)))).collect();
        let state = ChainState {
            head: HEAD0,
            prices: RESERVES.map(|r| U256::from(r.price)),
            users,
            index,
            v2,
            v3,
        };
        Self {
            history: Mutex::new(Vec::new()),
            keep: AtomicU64::new(0),
            state: Mutex::new(state),
            discovery,
            busy_ns: AtomicU64::new(0),
            inner_calls: AtomicU64::new(0),
            calls: Mutex::new(Vec::new()),
        }
    }

    /// The `eth_call`s answered since the last call of this method: when each started and how
    /// long the synthetic node took (to split a block's node time between phases).
    pub fn take_calls(&self) -> Vec<(Instant, Duration)> {
        std::mem::take(&mut *self.calls.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    /// Time spent answering calls so far.
    pub fn busy(&self) -> Duration {
        Duration::from_nanos(self.busy_ns.load(Relaxed))
    }

    /// Calls answered inside `aggregate3` batches so far.
    pub fn inner_calls(&self) -> u64 {
        self.inner_calls.load(Relaxed)
    }

    /// The head block number.
    pub fn head(&self) -> u64 {
        self.lock().head
    }

    /// The header of the head block.
    pub fn head_header(&self) -> BlockHeader {
        header(self.head())
    }

    /// Sets WETH's oracle price (USD × 1e8) at the head.
    pub fn set_weth_price(&self, price: U256) {
        self.lock().prices[WETH] = price;
        self.snapshot();
    }

    /// Raises the debt of user `i` ([`user_address`]) by `bps` basis points at the head, with
    /// no event: a change only a re-read finds (what the sweep's divergence count is for).
    /// Does nothing for a user that does not exist.
    pub fn scale_debt(&self, i: usize, bps: u64) {
        let mut s = self.lock();
        if let Some(legs) = s.users.get_mut(i) {
            for leg in legs.iter_mut() {
                leg.debt += leg.debt * U256::from(bps) / U256::from(10_000u64);
            }
        }
        drop(s);
        self.snapshot();
    }

    /// Mines an empty block (no logs) on top of the head and returns it.
    pub fn empty_block(&self) -> crate::BlockData {
        let n = {
            let mut s = self.lock();
            s.head += 1;
            s.head
        };
        self.snapshot();
        crate::BlockData { header: header(n), logs: Vec::new() }
    }

    /// Keeps the state of the last `blocks` blocks (from now on, the current one included), so
    /// that [`rewind`](Self::rewind) can return to them.
    pub fn keep_history(&self, blocks: usize) {
        self.keep.store(blocks as u64, Relaxed);
        self.snapshot();
    }

    /// Rolls the chain back to block `block` (its state then; blocks above are forgotten), as
    /// a reorg followed by a shorter branch would leave it. Needs
    /// [`keep_history`](Self::keep_history) to have covered `block`; otherwise nothing changes.
    pub fn rewind(&self, block: u64) {
        let mut history = self.history.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        history.retain(|(h, _)| h.number <= block);
        if let Some((_, s)) = history.last() {
            *self.lock() = s.clone();
        }
    }

    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, ChainState> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Records the head's state (after a block was generated).
    pub(crate) fn snapshot(&self) {
        let keep = usize::try_from(self.keep.load(Relaxed)).unwrap_or(usize::MAX);
        if keep == 0 {
            return;
        }
        let s = self.lock().clone();
        let mut history = self.history.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        history.retain(|(h, _)| h.number < s.head);
        history.push((header(s.head), s));
        let drop = history.len().saturating_sub(keep);
        history.drain(..drop);
    }

    fn answer(s: &ChainState, block: u64, c: &IMulticall3::Call3) -> Option<Vec<u8>> {
        use IAaveDataProvider::{getUserReserveDataCall, getUserReserveDataReturn};
        use IAavePool::{
            ADDRESSES_PROVIDERCall, ReserveConfigurationMap, ReserveData, getReserveDataCall,
            getReservesListCall, getUserEModeCall,
        };
        use mev_reserve_cache::bindings::{
            feeCall, getReservesCall, getReservesReturn, liquidityCall, slot0Call, slot0Return,
            tickBitmapCall, tickSpacingCall, token0Call, token1Call,
        };
        let data = &c.callData[..];
        let selector: [u8; 4] = data.get(..4)?.try_into().ok()?;
        let to = c.target;
        let reserve = |asset: Address| RESERVES.iter().position(|r| r.asset == asset);
        Some(if to == DATA_PROVIDER && selector == getUserReserveDataCall::SELECTOR {
            let call = getUserReserveDataCall::abi_decode(data).ok()?;
            let leg = s.users.get(*s.index.get(&call.user)?)?[reserve(call.asset)?];
            getUserReserveDataCall::abi_encode_returns(&getUserReserveDataReturn {
                currentATokenBalance: leg.a_token,
                currentStableDebt: U256::ZERO,
                currentVariableDebt: leg.debt,
                principalStableDebt: U256::ZERO,
                scaledVariableDebt: leg.debt * U256::from(RAY) / U256::from(RAY + RAY / 12),
                stableBorrowRate: U256::ZERO,
                liquidityRate: U256::from(RAY / 40),
                stableRateLastUpdated: U40::ZERO,
                usageAsCollateralEnabled: leg.collateral,
            })
        } else if to == POOL && selector == getUserEModeCall::SELECTOR {
            getUserEModeCall::abi_encode_returns(&U256::ZERO)
        } else if to == ORACLE && selector == IAaveOracle::getAssetPriceCall::SELECTOR {
            let call = IAaveOracle::getAssetPriceCall::abi_decode(data).ok()?;
            IAaveOracle::getAssetPriceCall::abi_encode_returns(&s.prices[reserve(call.asset)?])
        } else if to == POOL && selector == getReserveDataCall::SELECTOR {
            let call = getReserveDataCall::abi_decode(data).ok()?;
            let i = reserve(call.asset)?;
            let token = |k: u8| Address::repeat_byte(0x10 * (i as u8 + 1) + k);
            getReserveDataCall::abi_encode_returns(&ReserveData {
                configuration: ReserveConfigurationMap { data: config_bitmap(&RESERVES[i]) },
                liquidityIndex: RAY + RAY / 20,
                currentLiquidityRate: RAY / 40,
                variableBorrowIndex: RAY + RAY / 12,
                currentVariableBorrowRate: RAY / 20,
                currentStableBorrowRate: 0,
                lastUpdateTimestamp: U40::from(ts(block)),
                id: i as u16,
                aTokenAddress: token(1),
                stableDebtTokenAddress: token(2),
                variableDebtTokenAddress: token(3),
                interestRateStrategyAddress: token(4),
                accruedToTreasury: 0,
                unbacked: 0,
                isolationModeTotalDebt: 0,
            })
        } else if to == MULTICALL3_ADDRESS
            && selector == IMulticall3::getCurrentBlockTimestampCall::SELECTOR
        {
            IMulticall3::getCurrentBlockTimestampCall::abi_encode_returns(&U256::from(ts(block)))
        } else if selector == getReservesCall::SELECTOR {
            let &(r0, r1) = s.v2.get(&to)?;
            getReservesCall::abi_encode_returns(&getReservesReturn {
                reserve0: U112::from(r0),
                reserve1: U112::from(r1),
                blockTimestampLast: (ts(block)) as u32,
            })
        } else if selector == slot0Call::SELECTOR {
            let &(sqrt, tick, _) = s.v3.get(&to)?;
            slot0Call::abi_encode_returns(&slot0Return {
                sqrtPriceX96: sqrt,
                tick,
                observationIndex: 0,
                observationCardinality: 1,
                observationCardinalityNext: 1,
                feeProtocol: 0,
                unlocked: true,
            })
        } else if selector == liquidityCall::SELECTOR {
            liquidityCall::abi_encode_returns(&s.v3.get(&to)?.2)
        } else if selector == token0Call::SELECTOR || selector == token1Call::SELECTOR {
            // Every synthetic pool trades the same two tokens; no tick is initialized.
            (s.v2.contains_key(&to) || s.v3.contains_key(&to)).then_some(())?;
            let token = if selector == token0Call::SELECTOR { SYNTH_TOKEN0 } else { SYNTH_TOKEN1 };
            token0Call::abi_encode_returns(&token)
        } else if selector == feeCall::SELECTOR {
            s.v3.contains_key(&to).then_some(())?;
            feeCall::abi_encode_returns(&alloy_primitives::aliases::U24::from(3_000u32))
        } else if selector == tickSpacingCall::SELECTOR {
            s.v3.contains_key(&to).then_some(())?;
            tickSpacingCall::abi_encode_returns(&I24::try_from(60).ok()?)
        } else if selector == tickBitmapCall::SELECTOR {
            s.v3.contains_key(&to).then_some(())?;
            tickBitmapCall::abi_encode_returns(&U256::ZERO)
        } else if to == POOL && selector == getReservesListCall::SELECTOR {
            getReservesListCall::abi_encode_returns(&RESERVES.iter().map(|r| r.asset).collect())
        } else if to == POOL && selector == ADDRESSES_PROVIDERCall::SELECTOR {
            ADDRESSES_PROVIDERCall::abi_encode_returns(&ADDRESSES_PROVIDER)
        } else if to == ADDRESSES_PROVIDER
            && selector == IPoolAddressesProvider::getPriceOracleCall::SELECTOR
        {
            IPoolAddressesProvider::getPriceOracleCall::abi_encode_returns(&ORACLE)
        } else {
            return None;
        })
    }
}

#[async_trait]
impl ChainReader for SynthChain {
    async fn block_number(&self) -> mev_chain::Result<u64> {
        Ok(self.lock().head)
    }

    async fn header(&self, number: u64) -> mev_chain::Result<Option<BlockHeader>> {
        Ok((number <= self.lock().head).then(|| header(number)))
    }

    async fn call(&self, to: Address, data: Bytes, block: u64) -> mev_chain::Result<Bytes> {
        let started = Instant::now();
        if to != MULTICALL3_ADDRESS {
            return Err(ChainError::node("eth_call", -32000, "not Multicall3"));
        }
        let calls = aggregate3Call::abi_decode(&data)
            .map_err(|e| ChainError::node("eth_call", -32602, e.to_string()))?
            .calls;
        self.inner_calls.fetch_add(calls.len() as u64, Relaxed);
        let out = {
            let s = self.lock();
            if block != s.head {
                return Err(ChainError::node(
                    "eth_call",
                    -32000,
                    format!("block {block} is not the head {}", s.head),
                ));
            }
            let results: Vec<Call3Result> = calls
                .iter()
                .map(|c| match Self::answer(&s, block, c) {
                    Some(r) => Call3Result { success: true, returnData: r.into() },
                    None => Call3Result { success: false, returnData: Bytes::new() },
                })
                .collect();
            aggregate3Call::abi_encode_returns(&results)
        };
        let took = started.elapsed();
        self.busy_ns.fetch_add(took.as_nanos() as u64, Relaxed);
        self.calls.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push((started, took));
        Ok(out.into())
    }

    async fn logs(&self, _filter: &Filter) -> mev_chain::Result<Vec<Log>> {
        Ok(self.discovery.clone())
    }
}

/// The synthetic hash of block `n`.
pub fn block_hash(n: u64) -> B256 {
    keccak256(n.to_be_bytes())
}

/// The synthetic header of block `n`.
pub fn header(n: u64) -> BlockHeader {
    BlockHeader { number: n, hash: block_hash(n), parent_hash: block_hash(n - 1), timestamp: ts(n) }
}

pub(crate) fn rpc_log(
    address: Address,
    data: alloy_primitives::LogData,
    block: u64,
    tx: u64,
    index: u64,
) -> Log {
    Log {
        inner: PrimitiveLog { address, data },
        block_hash: Some(block_hash(block)),
        block_number: Some(block),
        block_timestamp: Some(ts(block)),
        transaction_hash: Some(keccak256([block.to_be_bytes(), tx.to_be_bytes()].concat())),
        transaction_index: Some(tx),
        log_index: Some(index),
        removed: false,
    }
}
