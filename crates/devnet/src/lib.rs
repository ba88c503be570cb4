#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod aave_v3;
mod artifact;
mod balancer_v2;
mod batch;
pub mod bindings;
mod devnet;
mod dex;
mod error;
mod fault_proxy;
mod multicall3;
mod node;
mod tcp_relay;
mod uniswap_v2;
mod uniswap_v3;
mod uniswap_v4;

pub use self::{
    aave_v3::{
        AaveAssetConfig, AaveEModeCategory, AaveEModeConfig, AavePosition, AaveRelease,
        AaveReserve, AaveV3, AaveV3Addresses, AaveV3Config, BASE_CURRENCY_UNIT,
    },
    artifact::Artifact,
    balancer_v2::{
        BalancerAmplification, BalancerPool, BalancerPoolKind, BalancerSwap, BalancerSwapKind,
        BalancerV2, BalancerV2Addresses, QuerySwapOutcome,
    },
    batch::{DEFAULT_BATCH_BLOCK_SIZE, DEFAULT_BATCH_GAS, TxBatch},
    devnet::{Devnet, SnapshotId, receipt_events, tx_request},
    dex::{DevRng, DexMarket, Execution, SwapHop, Venue},
    error::{DevnetError, Result, SETUP_COMMAND},
    fault_proxy::{Fault, FaultProxy, FaultStats},
    multicall3::Multicall3,
    node::{
        DEFAULT_BLOCK_GAS_LIMIT, DEFAULT_BLOCK_TIME, DEFAULT_CHAIN_ID, DEFAULT_GENESIS_TIMESTAMP,
        DEFAULT_TX_GAS, DevnetBuilder, NODE_MODULES_ENV,
    },
    tcp_relay::{RelayStats, TcpRelay},
    uniswap_v2::{UniswapV2, UniswapV2Pair, V2Reserves, v2_amount_out},
    uniswap_v3::{QuoterV2, SQRT_PRICE_1_1, UniswapV3, UniswapV3Pool, V3Burn, V3Position, V3Quote},
    uniswap_v4::{
        UniswapV4, UniswapV4Addresses, UniswapV4Pool, V4ModifyLiquidityOutcome, V4Quote, V4Slot0,
        V4SwapOutcome, V4TickLiquidity, bindings as uniswap_v4_bindings,
    },
};
