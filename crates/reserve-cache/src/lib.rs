#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod bindings;
mod cache;
mod error;
mod multicall;
mod source;
mod state;
mod stats;

pub use cache::{Applied, ReserveCache, ReserveCacheConfig, read_pool};
pub use error::{ReserveError, Result};
pub use multicall::RpcReserveSource;
pub use source::ReserveSource;
pub use state::{PoolKey, PoolKind, PoolSnapshot, PoolState};
pub use stats::CacheStats;
