//! Integration tests against real `redis-server` processes (see `mev_position_cache::test_utils`).

mod auth;
mod cluster;
mod concurrency;
mod corrupt;
mod format;
mod model;
mod outage;
mod suite;
#[cfg(feature = "tls")]
mod tls;

use std::{sync::Arc, time::Duration};

use alloy_primitives::{Address, U256};
use mev_position_cache::{
    Position, PositionStore, RedisConfig, RedisPositionStore,
    test_utils::{shared_redis_url, unique_namespace},
};
use rust_decimal::Decimal;

/// A position of `user` (an index) on `protocol` with two collateral legs and one debt leg
/// (about 400 bytes of JSON).
pub(crate) fn position(user: u64, protocol: &str, block: u64) -> Position {
    Position::new(protocol, user_address(user))
        .with_collateral(
            Address::repeat_byte(0x42),
            U256::from(user) * U256::from(10).pow(U256::from(18)) + U256::from(block),
            Decimal::new(80, 2),
        )
        .with_collateral(Address::repeat_byte(0x43), U256::from(7_u64), Decimal::new(825, 3))
        .with_debt(Address::repeat_byte(0x83), U256::from(1_500_000_000_u64 + block))
        .with_health_factor(U256::from(1_050_000_000_000_000_000_u64))
        .at_block(block)
}

pub(crate) fn user_address(user: u64) -> Address {
    let mut bytes = [0u8; 20];
    bytes[12..].copy_from_slice(&user.to_be_bytes());
    bytes[0] = 0xAA;
    Address::from(bytes)
}

/// Redis settings for `url` in a fresh namespace.
pub(crate) fn redis_config(url: &str, label: &str, ttl_secs: u64) -> RedisConfig {
    let mut config = RedisConfig::new(url);
    config.store.namespace = unique_namespace(label);
    config.store.ttl_secs = ttl_secs;
    config
}

/// A store on the shared test Redis (127.0.0.1:6379 when it answers, else a spawned server) in
/// a fresh namespace.
pub(crate) async fn shared_store(label: &str, ttl_secs: u64) -> RedisPositionStore {
    let url = shared_redis_url().expect("a Redis for tests (redis-server installed?)");
    RedisPositionStore::connect(redis_config(&url, label, ttl_secs))
        .await
        .expect("connect to the test Redis")
}

pub(crate) fn arc(store: impl PositionStore + 'static) -> Arc<dyn PositionStore> {
    Arc::new(store)
}

/// Polls `cond` every 20 ms until it holds, failing the test after `secs` seconds.
pub(crate) async fn eventually(what: &str, secs: u64, cond: impl FnMut() -> bool) {
    mev_position_cache::test_utils::eventually(what, Duration::from_secs(secs), cond)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}
