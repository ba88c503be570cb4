#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod balancer;
pub mod bindings;
mod cache;
mod discover;
mod error;
mod multicall;
mod quote;
mod source;
mod state;
mod stats;

pub use balancer::{
    BalancerPoolType, BalancerV2Pool, BalancerV2State, ComposableStableState, TokenRate,
};
pub use cache::{Applied, ReserveCache, ReserveCacheConfig, read_pool};
pub use discover::{
    DEFAULT_MAX_BLOCK_RANGE, DiscoveredPool, Discovery, DiscoveryError, DiscoveryFilter,
    DiscoveryOptions, Dropped, MinLiquidity, PoolSource, TokenMatch, discover_pools,
    discover_pools_with,
};
pub use error::{ReserveError, Result};
pub use multicall::RpcReserveSource;
pub use quote::{PriceAfter, Quote, QuoteError, SwapSide};
pub use source::ReserveSource;
pub use state::{
    DEFAULT_TICK_WORDS, PoolKey, PoolKind, PoolSnapshot, PoolState, V3Pool, V4Pool, V4PoolKey,
};
pub use stats::CacheStats;
