//! Pipeline latency: `Pipeline::handle` of one 500-log block with 10,000 cached Aave V3
//! positions, with the in-memory store and with Redis (issue #7: p99 ≤ 5 ms in memory).
//!
//! `cargo bench -p mev-bot --bench pipeline`. The chain is an in-process synthetic node (a
//! [`ChainReader`] answering Multicall3 `aggregate3` batches from a deterministic state that
//! each block mutates), so a real node's latency is excluded by design; the synthetic node's
//! own work (decoding the batches, encoding the answers) is timed separately and reported.
//! The Redis run starts its own `redis-server` on a free loopback port.
//!
//! Each block holds 500 logs: 260 Uniswap V2 `Swap`+`Sync` (130 swaps over 30 pairs), 99 V3
//! `Swap`s over 20 pools, 140 Aave Pool events (70 `Supply`/`Withdraw`/`Borrow`/`Repay`, each
//! with its `ReserveDataUpdated`, touching 50 distinct users) and one `AssetSourceUpdated` from
//! the `AaveOracle` moving WETH, held by ~70 % of the positions. The "no price move" phase
//! replaces that log with a 100th V3 `Swap`.
//!
//! Environment: `POSITIONS` (default 10000), `BLOCKS` measured per phase (default 300),
//! `WARMUP` blocks per phase (default 70, so the reorg history is full before measuring),
//! `STORE` = `memory` | `redis` | `both` (default), `REORG_DEPTH` (the pipeline's
//! `max_reorg_depth`, default 64), `BLOCK_SECONDS` (default 2, Base), `PROFILE=1` (memory
//! store, price-move blocks only, one summary line — for `perf record`).

use std::{
    collections::HashMap,
    fmt,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering::Relaxed},
    },
    time::{Duration, Instant},
};

use alloy_primitives::{
    Address, B256, Bytes, I256, Log as PrimitiveLog, U256, address,
    aliases::{I24, U40, U112, U160},
    keccak256,
};
use alloy_rpc_types_eth::{Filter, Log};
use alloy_sol_types::{SolCall, SolEvent};
use async_trait::async_trait;
use metrics::{Counter, Gauge, Histogram, HistogramFn, Key, KeyName, Metadata, SharedString, Unit};
use mev_bot::{
    BlockData, BlockHeader, BlockReport, ChainEvent, MarketSpec, Pipeline, PipelineConfig,
    ReaderCall,
};
use mev_event_decoder::{
    Protocol,
    events::{aave_v3, uniswap_v2, uniswap_v3},
};
use mev_position_cache::{
    InMemoryPositionStore, PositionStore, RedisConfig, RedisPositionStore, test_utils::RedisServer,
};
use mev_rebuild::{
    AaveV3Config, AaveV3Protocol, ChainReader, MULTICALL3_ADDRESS, RebuildError, RpcErrorKind,
};
use mev_reserve_cache::{PoolKey, ReserveCache, ReserveCacheConfig, RpcReserveSource};

type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

use mev_devnet::bindings::{
    IAaveOracle, IAaveProtocolDataProvider,
    IMulticall3::{self, Result3, aggregate3Call},
    IPool, IPoolAddressesProvider, IUniswapV2Pair, IUniswapV3Pool,
};

// Aave V3 Ethereum addresses (only used as identities).
const POOL: Address = address!("0x87870Bca3F3fD6335C3F4ce8392D69350B4fA4E2");
const DATA_PROVIDER: Address = address!("0x7B4EB56E7CD4b454BA8ff71E4518426369a138a3");
const ADDRESSES_PROVIDER: Address = address!("0x2f39d218133AFaB8F2B819B1066c7E434Ad94E9e");
const ORACLE: Address = address!("0x54586bE62E3c3580375aE3723C145253060Ca0C2");
const HEAD0: u64 = 20_000_000;
const T0: u64 = 1_700_000_000;
/// Seconds per block (`BLOCK_SECONDS`, default 2: Base, the example configuration's chain).
static BLOCK_SECONDS: std::sync::OnceLock<u64> = std::sync::OnceLock::new();

fn ts(block: u64) -> u64 {
    T0 + BLOCK_SECONDS.get().copied().unwrap_or(2) * block
}
const RAY: u128 = 1_000_000_000_000_000_000_000_000_000;

/// One listed reserve: asset, decimals, LTV, liquidation threshold and bonus (bps), base
/// price (USD × 1e8).
#[derive(Debug, Clone, Copy)]
struct ReserveSpec {
    asset: Address,
    decimals: u8,
    ltv: u16,
    lt: u16,
    bonus: u16,
    price: u64,
}

const WETH: usize = 0;
const E8: u64 = 100_000_000;
const RESERVES: [ReserveSpec; 4] = [
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

fn config_bitmap(r: &ReserveSpec) -> U256 {
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
struct Rng(u64);

impl Rng {
    const fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn f64(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A user's balances in one reserve.
#[derive(Debug, Clone, Copy, Default)]
struct Leg {
    a_token: U256,
    debt: U256,
    collateral: bool,
}

#[derive(Debug)]
struct ChainState {
    head: u64,
    prices: [U256; 4],
    users: Vec<[Leg; 4]>,
    index: HashMap<Address, usize>,
    v2: HashMap<Address, (u128, u128)>,
    v3: HashMap<Address, (U160, I24, u128)>,
}

/// The synthetic node: answers `aggregate3` batches from [`ChainState`], and times itself.
struct SynthChain {
    state: Mutex<ChainState>,
    discovery: Vec<Log>,
    busy_ns: AtomicU64,
    requests: AtomicU64,
    inner_calls: AtomicU64,
}

impl fmt::Debug for SynthChain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SynthChain").field("requests", &self.requests).finish_non_exhaustive()
    }
}

fn tokens(usd: f64, r: &ReserveSpec, price: f64) -> U256 {
    let units = usd / price * 10f64.powi(i32::from(r.decimals));
    U256::from(units as u128)
}

fn user_address(i: usize) -> Address {
    Address::from_word(keccak256((i as u64).to_be_bytes()))
}

/// 10,000 positions: 1–2 collateral legs (WETH primary for 60 %), one debt leg; health
/// factors ~0.2 % in [0.97, 1.0), ~3 % in [1.0, 1.05), the rest uniform in [1.05, 3.0].
fn make_users(n: usize, rng: &mut Rng) -> Vec<[Leg; 4]> {
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
    fn new(positions: usize, v2: &[Address], v3: &[Address]) -> Self {
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
        Self {
            state: Mutex::new(ChainState {
                head: HEAD0,
                prices: RESERVES.map(|r| U256::from(r.price)),
                users,
                index,
                v2,
                v3,
            }),
            discovery,
            busy_ns: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            inner_calls: AtomicU64::new(0),
        }
    }

    fn answer(s: &ChainState, block: u64, c: &IMulticall3::Call3) -> Option<Vec<u8>> {
        use IAaveProtocolDataProvider::{getUserReserveDataCall, getUserReserveDataReturn};
        use IPool::{
            ADDRESSES_PROVIDERCall, ReserveConfigurationMap, ReserveData, getReserveDataCall,
            getReservesListCall, getUserEModeCall,
        };
        use IUniswapV2Pair::{getReservesCall, getReservesReturn};
        use IUniswapV3Pool::{liquidityCall, slot0Call, slot0Return};
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
    async fn block_number(&self) -> Result<u64, RebuildError> {
        self.requests.fetch_add(1, Relaxed);
        Ok(self.state.lock().map_err(|_| poisoned())?.head)
    }

    async fn call(&self, to: Address, data: Bytes, block: u64) -> Result<Bytes, RebuildError> {
        let started = Instant::now();
        self.requests.fetch_add(1, Relaxed);
        if to != MULTICALL3_ADDRESS {
            return Err(RebuildError::rpc("eth_call", RpcErrorKind::Other, "not Multicall3"));
        }
        let calls = aggregate3Call::abi_decode(&data)
            .map_err(|e| RebuildError::rpc("eth_call", RpcErrorKind::Other, e.to_string()))?
            .calls;
        self.inner_calls.fetch_add(calls.len() as u64, Relaxed);
        let out = {
            let s = self.state.lock().map_err(|_| poisoned())?;
            if block != s.head {
                return Err(RebuildError::rpc(
                    "eth_call",
                    RpcErrorKind::Other,
                    format!("block {block} is not the head {}", s.head),
                ));
            }
            let results: Vec<Result3> = calls
                .iter()
                .map(|c| match Self::answer(&s, block, c) {
                    Some(r) => Result3 { success: true, returnData: r.into() },
                    None => Result3 { success: false, returnData: Bytes::new() },
                })
                .collect();
            aggregate3Call::abi_encode_returns(&results)
        };
        self.busy_ns.fetch_add(started.elapsed().as_nanos() as u64, Relaxed);
        Ok(out.into())
    }

    async fn logs(&self, _filter: &Filter) -> Result<Vec<Log>, RebuildError> {
        self.requests.fetch_add(1, Relaxed);
        Ok(self.discovery.clone())
    }

    fn requests(&self) -> u64 {
        self.requests.load(Relaxed)
    }
}

fn poisoned() -> RebuildError {
    RebuildError::rpc("eth_call", RpcErrorKind::Other, "state lock poisoned")
}

fn block_hash(n: u64) -> B256 {
    keccak256(n.to_be_bytes())
}

fn header(n: u64) -> BlockHeader {
    BlockHeader { number: n, hash: block_hash(n), parent_hash: block_hash(n - 1), timestamp: ts(n) }
}

fn rpc_log(
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

/// Builds each block's logs and applies the same changes to the synthetic chain.
#[derive(Debug)]
struct Generator {
    rng: Rng,
    v2: Vec<Address>,
    v3: Vec<Address>,
    /// V3 pools' √price as a float (for ticks).
    v3_price: Vec<f64>,
    users: usize,
    toggles: Vec<u8>,
}

impl Generator {
    fn new(v2: Vec<Address>, v3: Vec<Address>, users: usize) -> Self {
        let v3_price = vec![1.0; v3.len()];
        Self { rng: Rng(42), v2, v3, v3_price, users, toggles: vec![0; users] }
    }

    /// WETH's price at block `n`: a ±0.4 % zig-zag around the base price, different from the
    /// previous block's.
    fn weth_price(n: u64) -> U256 {
        let offsets = [0i64, 2, 4, 2, 0, -2, -4, -2];
        let bps = offsets[(n % 8) as usize];
        let base = RESERVES[WETH].price as i64;
        U256::from((base + base * bps / 1000) as u64)
    }

    fn block(&mut self, chain: &SynthChain, n: u64, price_move: bool) -> BlockData {
        let mut s = chain.state.lock().expect("chain state");
        s.head = n;
        let mut groups: Vec<Vec<(Address, alloy_primitives::LogData)>> = Vec::new();
        let trader = Address::repeat_byte(0x77);
        // 130 V2 swaps: Swap + Sync.
        for _ in 0..130 {
            let pool = self.v2[self.rng.below(self.v2.len())];
            let (r0, r1) = s.v2[&pool];
            let zero_for_one = self.rng.next() & 1 == 0;
            let frac = 1 + self.rng.below(50) as u128; // 0.01–0.5 % of the input reserve
            let (a0_in, a1_in, a0_out, a1_out, n0, n1) = if zero_for_one {
                let dx = r0 / 10_000 * frac;
                let dy = r1 * dx / (r0 + dx) * 997 / 1000;
                (dx, 0, 0, dy, r0 + dx, r1 - dy)
            } else {
                let dy = r1 / 10_000 * frac;
                let dx = r0 * dy / (r1 + dy) * 997 / 1000;
                (0, dy, dx, 0, r0 - dx, r1 + dy)
            };
            s.v2.insert(pool, (n0, n1));
            let swap = uniswap_v2::Swap {
                sender: trader,
                amount0In: U256::from(a0_in),
                amount1In: U256::from(a1_in),
                amount0Out: U256::from(a0_out),
                amount1Out: U256::from(a1_out),
                to: trader,
            };
            let sync = uniswap_v2::Sync { reserve0: U112::from(n0), reserve1: U112::from(n1) };
            groups.push(vec![(pool, sync.encode_log_data()), (pool, swap.encode_log_data())]);
        }
        // 99 (100 without a price move) V3 swaps.
        for _ in 0..(if price_move { 99 } else { 100 }) {
            let i = self.rng.below(self.v3.len());
            let pool = self.v3[i];
            let step = 1.0 + (self.rng.f64() - 0.5) * 0.002;
            self.v3_price[i] = (self.v3_price[i] * step).clamp(0.5, 2.0);
            let sqrt = self.v3_price[i];
            let tick = (2.0 * sqrt.ln() / 1.0001f64.ln()).floor() as i32;
            let sqrt_x96 = U160::from((sqrt * 2f64.powi(96)) as u128);
            let tick24 = I24::try_from(tick).expect("tick fits");
            let liquidity = s.v3[&pool].2;
            s.v3.insert(pool, (sqrt_x96, tick24, liquidity));
            let swap = uniswap_v3::Swap {
                sender: trader,
                recipient: trader,
                amount0: I256::try_from(1_000_000_000_000_000i64).expect("i256"),
                amount1: I256::try_from(-999_000_000_000_000i64).expect("i256"),
                sqrtPriceX96: sqrt_x96,
                liquidity,
                tick: tick24,
            };
            groups.push(vec![(pool, swap.encode_log_data())]);
        }
        // 70 Aave actions over 50 distinct users (20 act twice), each with its
        // ReserveDataUpdated.
        let mut picked: Vec<usize> = Vec::with_capacity(50);
        while picked.len() < 50 {
            let u = self.rng.below(self.users);
            if !picked.contains(&u) {
                picked.push(u);
            }
        }
        let actors: Vec<usize> = picked.iter().chain(&picked[..20]).copied().collect();
        for u in actors {
            let user = user_address(u);
            let legs = &mut s.users[u];
            let toggle = self.toggles[u];
            self.toggles[u] = (toggle + 1) % 4;
            let coll = legs.iter().position(|l| l.collateral).unwrap_or(0);
            let debt = legs.iter().position(|l| !l.debt.is_zero()).unwrap_or(1);
            // Borrow, then Repay, then Supply, then Withdraw: 2 % of the leg each, so a
            // user's health factor stays where it was.
            let (reserve, log) = match toggle {
                0 => {
                    let amount = legs[debt].debt / U256::from(50u8);
                    legs[debt].debt += amount;
                    let ev = aave_v3::Borrow {
                        reserve: RESERVES[debt].asset,
                        user,
                        onBehalfOf: user,
                        amount,
                        interestRateMode: 2,
                        borrowRate: U256::from(RAY / 20),
                        referralCode: 0,
                    };
                    (debt, ev.encode_log_data())
                }
                1 => {
                    let amount = legs[debt].debt / U256::from(51u8);
                    legs[debt].debt -= amount;
                    let ev = aave_v3::Repay {
                        reserve: RESERVES[debt].asset,
                        user,
                        repayer: user,
                        amount,
                        useATokens: false,
                    };
                    (debt, ev.encode_log_data())
                }
                2 => {
                    let amount = legs[coll].a_token / U256::from(50u8);
                    legs[coll].a_token += amount;
                    let ev = aave_v3::Supply {
                        reserve: RESERVES[coll].asset,
                        user,
                        onBehalfOf: user,
                        amount,
                        referralCode: 0,
                    };
                    (coll, ev.encode_log_data())
                }
                _ => {
                    let amount = legs[coll].a_token / U256::from(51u8);
                    legs[coll].a_token -= amount;
                    let ev =
                        aave_v3::Withdraw { reserve: RESERVES[coll].asset, user, to: user, amount };
                    (coll, ev.encode_log_data())
                }
            };
            let updated = aave_v3::ReserveDataUpdated {
                reserve: RESERVES[reserve].asset,
                liquidityRate: U256::from(RAY / 40),
                stableBorrowRate: U256::ZERO,
                variableBorrowRate: U256::from(RAY / 20),
                liquidityIndex: U256::from(RAY + RAY / 20),
                variableBorrowIndex: U256::from(RAY + RAY / 12),
            };
            groups.push(vec![(POOL, updated.encode_log_data()), (POOL, log)]);
        }
        if price_move {
            s.prices[WETH] = Self::weth_price(n);
            let ev = aave_v3::AssetSourceUpdated {
                asset: RESERVES[WETH].asset,
                source: Address::from_word(keccak256(n.to_be_bytes())),
            };
            groups.push(vec![(ORACLE, ev.encode_log_data())]);
        }
        drop(s);
        // Transactions in a random order.
        for i in (1..groups.len()).rev() {
            let j = self.rng.below(i + 1);
            groups.swap(i, j);
        }
        let mut logs = Vec::with_capacity(500);
        for (tx, group) in groups.into_iter().enumerate() {
            for (address, data) in group {
                let index = logs.len() as u64;
                logs.push(rpc_log(address, data, n, tx as u64, index));
            }
        }
        BlockData { header: header(n), logs }
    }
}

// Per-stage time, from the pipeline's `mev_bot_stage_seconds` histogram.
const STAGES: [&str; 5] = ["decode", "reserves", "prices", "refresh", "health"];
static STAGE_NS: [AtomicU64; 5] =
    [AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)];

#[derive(Debug)]
struct StageSink(usize);

impl HistogramFn for StageSink {
    fn record(&self, value: f64) {
        STAGE_NS[self.0].fetch_add((value * 1e9) as u64, Relaxed);
    }
}

/// A `metrics` recorder keeping only the stage histogram.
#[derive(Debug)]
struct StageRecorder;

impl metrics::Recorder for StageRecorder {
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn register_counter(&self, _: &Key, _: &Metadata<'_>) -> Counter {
        Counter::noop()
    }
    fn register_gauge(&self, _: &Key, _: &Metadata<'_>) -> Gauge {
        Gauge::noop()
    }
    fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
        if key.name() != "mev_bot_stage_seconds" {
            return Histogram::noop();
        }
        key.labels()
            .find(|l| l.key() == "stage")
            .and_then(|l| STAGES.iter().position(|s| *s == l.value()))
            .map_or_else(Histogram::noop, |i| Histogram::from_arc(Arc::new(StageSink(i))))
    }
}

fn stage_snapshot() -> [u64; 5] {
    std::array::from_fn(|i| STAGE_NS[i].load(Relaxed))
}

/// One measured block.
#[derive(Debug, Clone)]
struct Sample {
    wall: Duration,
    chain: Duration,
    requests: u64,
    inner_calls: u64,
    stages: [u64; 5],
    report: BlockReport,
    /// `Pipeline::reconcile` after the block (off the critical path), and what it re-read.
    reconcile: Duration,
    reconciled: usize,
}

struct Setup {
    chain: Arc<SynthChain>,
    generator: Generator,
    pipeline: Pipeline,
    next: u64,
}

async fn setup(positions: usize, store: Arc<dyn PositionStore>) -> BenchResult<Setup> {
    let v2: Vec<Address> = (0..30u64)
        .map(|i| Address::from_word(keccak256([b"v2".as_slice(), &i.to_be_bytes()].concat())))
        .collect();
    let v3: Vec<Address> = (0..20u64)
        .map(|i| Address::from_word(keccak256([b"v3".as_slice(), &i.to_be_bytes()].concat())))
        .collect();
    let chain = Arc::new(SynthChain::new(positions, &v2, &v3));
    let reader: Arc<dyn ChainReader> = chain.clone();
    let config = AaveV3Config {
        pool: POOL,
        data_provider: DATA_PROVIDER,
        start_block: HEAD0,
        ..AaveV3Config::default()
    };
    let protocol = AaveV3Protocol::connect(&*reader, config, HEAD0).await?;
    let source =
        RpcReserveSource::new(ReaderCall(reader.clone())).multicall(Some(MULTICALL3_ADDRESS));
    let reserves =
        Arc::new(ReserveCache::with_config(Arc::new(source), ReserveCacheConfig::default()));
    let pools = v2
        .iter()
        .map(|a| (*a, PoolKey::uniswap_v2(*a)))
        .chain(v3.iter().map(|a| (*a, PoolKey::uniswap_v3(*a))))
        .collect();
    let markets =
        vec![MarketSpec { protocol: Arc::new(protocol), family: Protocol::AaveV3, feeds: vec![] }];
    let config = PipelineConfig {
        max_reorg_depth: env("REORG_DEPTH", PipelineConfig::default().max_reorg_depth),
        ..PipelineConfig::default()
    };
    let mut pipeline = Pipeline::new(reader, store, reserves, pools, markets, config)?;
    let started = Instant::now();
    pipeline.bootstrap(header(HEAD0)).await?;
    eprintln!(
        "bootstrapped {} positions, {} pools in {:.2} s",
        pipeline.positions(),
        pipeline.pools().count(),
        started.elapsed().as_secs_f64()
    );
    Ok(Setup { chain, generator: Generator::new(v2, v3, positions), pipeline, next: HEAD0 + 1 })
}

impl Setup {
    async fn run(&mut self, blocks: usize, price_move: bool) -> BenchResult<Vec<Sample>> {
        let mut out = Vec::with_capacity(blocks);
        for _ in 0..blocks {
            let n = self.next;
            self.next += 1;
            let block = self.generator.block(&self.chain, n, price_move);
            let (busy, requests, inner) = (
                self.chain.busy_ns.load(Relaxed),
                self.chain.requests.load(Relaxed),
                self.chain.inner_calls.load(Relaxed),
            );
            let stages = stage_snapshot();
            let started = Instant::now();
            let report = self.pipeline.handle(ChainEvent::Block(block)).await?;
            let wall = started.elapsed();
            let after = stage_snapshot();
            let chain = Duration::from_nanos(self.chain.busy_ns.load(Relaxed) - busy);
            let (requests, inner_calls) = (
                self.chain.requests.load(Relaxed) - requests,
                self.chain.inner_calls.load(Relaxed) - inner,
            );
            let started = Instant::now();
            let reconciled = self.pipeline.reconcile().await?;
            let reconcile = started.elapsed();
            out.push(Sample {
                wall,
                chain,
                requests,
                inner_calls,
                stages: std::array::from_fn(|i| after[i] - stages[i]),
                report,
                reconcile,
                reconciled,
            });
        }
        Ok(out)
    }
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    let i = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

fn quantiles(mut v: Vec<f64>) -> [f64; 4] {
    v.sort_by(f64::total_cmp);
    [percentile(&v, 0.5), percentile(&v, 0.9), percentile(&v, 0.99), v[v.len() - 1]]
}

fn mean(v: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = v.fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    sum / n.max(1) as f64
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn summarize(store: &str, phase: &str, samples: &[Sample]) {
    let wall = quantiles(samples.iter().map(|s| ms(s.wall)).collect());
    let own = quantiles(samples.iter().map(|s| ms(s.wall.saturating_sub(s.chain))).collect());
    let chain = quantiles(samples.iter().map(|s| ms(s.chain)).collect());
    println!(
        "| {store} | {phase} | handle (wall) | {:.2} | {:.2} | {:.2} | {:.2} |",
        wall[0], wall[1], wall[2], wall[3]
    );
    println!(
        "| {store} | {phase} | minus synthetic node | {:.2} | {:.2} | {:.2} | {:.2} |",
        own[0], own[1], own[2], own[3]
    );
    println!(
        "| {store} | {phase} | synthetic node alone | {:.2} | {:.2} | {:.2} | {:.2} |",
        chain[0], chain[1], chain[2], chain[3]
    );
    let rec = quantiles(samples.iter().map(|s| ms(s.reconcile)).collect());
    println!(
        "| {store} | {phase} | reconcile after the block (off the critical path, {:.0} positions) | {:.2} | {:.2} | {:.2} | {:.2} |",
        mean(samples.iter().map(|s| s.reconciled as f64)),
        rec[0],
        rec[1],
        rec[2],
        rec[3]
    );
}

fn details(store: &str, phase: &str, samples: &[Sample]) {
    let m = |f: &dyn Fn(&Sample) -> f64| mean(samples.iter().map(f));
    let stages: Vec<String> = STAGES
        .iter()
        .enumerate()
        .map(|(i, name)| format!("{name} {:.2}", m(&|s| s.stages[i] as f64 / 1e6)))
        .collect();
    let other = |s: &Sample| ms(s.wall) - s.stages.iter().sum::<u64>() as f64 / 1e6;
    println!(
        "| {store} | {phase} | {}, outside stages {:.2} | {:.2} | {:.0} | {:.0} | {:.0} | {:.0} | {:.1} / {:.0} |",
        stages.join(", "),
        m(&other),
        m(&|s| ms(s.chain)),
        m(&|s| s.report.decoded as f64),
        m(&|s| s.report.pools_updated as f64),
        m(&|s| s.report.positions_refreshed as f64),
        m(&|s| s.report.positions_repriced as f64),
        m(&|s| s.requests as f64),
        m(&|s| s.inner_calls as f64),
    );
}

/// Resident set size of this process, MiB (Linux; 0 elsewhere).
fn rss_mib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix("VmRSS:")?.trim().strip_suffix("kB")?.trim().parse::<u64>().ok()
            })
        })
        .map_or(0, |kb| kb / 1024)
}

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() -> BenchResult<()> {
    metrics::set_global_recorder(StageRecorder).map_err(|e| e.to_string())?;
    let positions = env("POSITIONS", 10_000);
    let blocks = env("BLOCKS", 300);
    let warmup = env("WARMUP", 70);
    let block_seconds = env("BLOCK_SECONDS", 2) as u64;
    BLOCK_SECONDS.set(block_seconds).map_err(|_| "block time set twice")?;
    let which = std::env::var("STORE").unwrap_or_else(|_| "both".into());
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;

    if std::env::var_os("PROFILE").is_some() {
        return rt.block_on(async {
            let mut s = setup(positions, Arc::new(InMemoryPositionStore::new())).await?;
            let samples = s.run(blocks, true).await?;
            summarize("memory", "price move", &samples);
            Ok(())
        });
    }

    let mut results: Vec<(&str, &str, Vec<Sample>)> = Vec::new();
    let mut server = None;
    for store_name in ["memory", "redis"] {
        if which != "both" && which != store_name {
            continue;
        }
        let store: Arc<dyn PositionStore> = if store_name == "memory" {
            Arc::new(InMemoryPositionStore::new())
        } else {
            let s = RedisServer::start()?;
            let url = s.url();
            server = Some(s);
            Arc::new(rt.block_on(RedisPositionStore::connect(RedisConfig::new(url)))?)
        };
        let mut s = rt.block_on(setup(positions, store))?;
        for (phase, price_move) in [("price move", true), ("no price move", false)] {
            rt.block_on(s.run(warmup, price_move))?;
            let samples = rt.block_on(s.run(blocks, price_move))?;
            eprintln!("{store_name}, {phase}: {blocks} blocks measured");
            results.push((store_name, phase, samples));
        }
        eprintln!("{store_name}: process RSS {} MiB after the run", rss_mib());
    }
    drop(server);

    println!(
        "\n{positions} positions, 500-log blocks, {blocks} blocks per row after {warmup} warm-up; \
         ms\n"
    );
    println!("| store | block | time | p50 | p90 | p99 | max |");
    println!("|---|---|---|---|---|---|---|");
    for (store, phase, samples) in &results {
        summarize(store, phase, samples);
    }
    println!(
        "\nMeans per block (ms; counts): stages; synthetic node; logs decoded; pools updated; \
         positions re-read; positions repriced; aggregate3 requests / inner calls\n"
    );
    println!(
        "| store | block | stages | node | decoded | pools | re-read | repriced | requests / calls |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for (store, phase, samples) in &results {
        details(store, phase, samples);
    }
    Ok(())
}
