#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[macro_use]
mod telemetry;

mod codec;
mod config;
mod error;
mod failover;
mod memory;
mod position;
#[cfg(feature = "redis")]
mod redis;
mod store;
#[cfg(feature = "test-utils")]
#[cfg_attr(docsrs, doc(cfg(feature = "test-utils")))]
pub mod test_utils;
mod wire;

pub use config::{DEFAULT_TTL_SECS, StoreConfig};
pub use error::{Result, StoreError};
pub use failover::{FailoverConfig, FailoverPositionStore, FailoverPositionStoreBuilder};
pub use memory::{InMemoryConfig, InMemoryPositionStore, InMemoryPositionStoreBuilder};
pub use position::{CollateralLeg, DebtLeg, Position};
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use redis::{RedisConfig, RedisPositionStore, RedisPositionStoreBuilder, RedisTlsConfig};
pub use store::{DEFAULT_PAGE_SIZE, PositionStore, RebuildHook, ScanCursor, ScanPage, StoreStats};
