//! One behavioural suite for the `PositionStore` role, run against every backend.

use std::{collections::BTreeSet, sync::Arc, time::Duration};

use alloy_primitives::U256;
use futures::TryStreamExt;
use mev_position_cache::{
    FailoverPositionStore, InMemoryPositionStore, PositionStore, RedisPositionStore, ScanCursor,
    StoreError,
};

use crate::{arc, position, redis_config, shared_store, user_address};

/// Everything but expiry. `store` must be empty and use a TTL of at least 60 s; `connected` is
/// what its stats must report.
pub(crate) async fn behaves(store: Arc<dyn PositionStore>, connected: bool) {
    let user = user_address(1);

    // Absent things.
    assert_eq!(store.get("aave-v3", user).await.unwrap(), None);
    assert_eq!(store.update_health("aave-v3", user, false, 10).await.unwrap(), None);
    assert!(!store.remove("aave-v3", user).await.unwrap());
    assert_eq!(store.checkpoint("aave-v3").await.unwrap(), None);
    assert!(store.get_all().await.unwrap().is_empty());

    // A new position takes the given counter.
    let p = position(1, "aave-v3", 100).with_blocks_unhealthy(5);
    store.upsert(&p).await.unwrap();
    assert_eq!(store.get("aave-v3", user).await.unwrap(), Some(p.clone()));
    assert_eq!(store.get("moonwell", user).await.unwrap(), None, "protocol is part of the key");

    // Health updates count consecutive unhealthy blocks and move the block.
    assert_eq!(store.update_health("aave-v3", user, false, 101).await.unwrap(), Some(6));
    assert_eq!(store.update_health("aave-v3", user, false, 102).await.unwrap(), Some(7));
    let got = store.get("aave-v3", user).await.unwrap().unwrap();
    assert_eq!((got.blocks_unhealthy, got.last_update_block), (7, 102));
    assert_eq!(got.collateral, p.collateral, "health updates keep the legs");

    // Upsert keeps the stored counter, replaces everything else.
    let mut changed = position(1, "aave-v3", 103);
    changed.debt[0].amount = U256::MAX;
    store.upsert(&changed).await.unwrap();
    let got = store.get("aave-v3", user).await.unwrap().unwrap();
    assert_eq!(got.blocks_unhealthy, 7);
    assert_eq!(got.debt[0].amount, U256::MAX);
    assert_eq!(got.last_update_block, 103);

    // Healthy resets.
    assert_eq!(store.update_health("aave-v3", user, true, 104).await.unwrap(), Some(0));

    // Each block counts once (two bots sharing the store): a repeated block does not count
    // twice, an older one is ignored, a skipped one restarts the streak.
    assert_eq!(store.update_health("aave-v3", user, false, 105).await.unwrap(), Some(1));
    assert_eq!(store.update_health("aave-v3", user, false, 105).await.unwrap(), Some(1));
    assert_eq!(store.update_health("aave-v3", user, false, 106).await.unwrap(), Some(2));
    assert_eq!(store.update_health("aave-v3", user, false, 106).await.unwrap(), Some(2));
    assert_eq!(store.update_health("aave-v3", user, false, 104).await.unwrap(), Some(2));
    assert_eq!(store.update_health("aave-v3", user, true, 103).await.unwrap(), Some(2));
    let got = store.get("aave-v3", user).await.unwrap().unwrap();
    assert_eq!((got.last_health_block, got.blocks_unhealthy), (106, 2));
    // An upsert keeps the streak, whatever the written one says.
    store
        .upsert(&changed.clone().with_blocks_unhealthy(0).with_last_health_block(1))
        .await
        .unwrap();
    assert_eq!(store.update_health("aave-v3", user, false, 107).await.unwrap(), Some(3));
    assert_eq!(store.update_health("aave-v3", user, false, 109).await.unwrap(), Some(1));
    let got = store.get("aave-v3", user).await.unwrap().unwrap();
    assert_eq!((got.last_update_block, got.last_health_block, got.blocks_unhealthy), (109, 109, 1));

    // Restore writes the counter as given.
    store.restore_many(&[changed.clone().with_blocks_unhealthy(9)]).await.unwrap();
    assert_eq!(store.get("aave-v3", user).await.unwrap().unwrap().blocks_unhealthy, 9);

    // Bulk upserts, across protocols; the existing one keeps its counter.
    let many: Vec<_> = (0..250)
        .map(|i| position(i, if i % 3 == 0 { "moonwell" } else { "aave-v3" }, 1_000 + i))
        .collect();
    store.upsert_many(&many).await.unwrap();
    assert_eq!(store.get("aave-v3", user).await.unwrap().unwrap().blocks_unhealthy, 9);
    let mut expected: Vec<_> = many.clone();
    expected[1].blocks_unhealthy = 9;
    expected.sort_by_key(|p| (p.user, p.protocol.clone()));

    let mut all = store.get_all().await.unwrap();
    all.sort_by_key(|p| (p.user, p.protocol.clone()));
    assert_eq!(all, expected);

    // Paged and streamed scans see each position once.
    let mut paged = Vec::new();
    let mut cursor = ScanCursor::start();
    loop {
        let page = store.scan_page(cursor, 32).await.unwrap();
        paged.extend(page.positions);
        match page.next {
            Some(next) => cursor = next,
            None => break,
        }
    }
    let keys: BTreeSet<_> = paged.iter().map(|p| (p.user, p.protocol.clone())).collect();
    assert_eq!(keys.len(), 250);
    let streamed: Vec<_> = store.stream(50).try_collect().await.unwrap();
    let streamed_keys: BTreeSet<_> =
        streamed.iter().map(|p| (p.user, p.protocol.clone())).collect();
    assert_eq!(streamed_keys, keys);

    let stats = store.stats().await.unwrap();
    assert_eq!(stats.total, 250);
    assert_eq!(stats.per_protocol.get("moonwell"), Some(&84));
    assert_eq!(stats.per_protocol.get("aave-v3"), Some(&166));
    assert_eq!(stats.current_block, 1_249);
    assert_eq!(stats.connected, connected);
    assert_eq!(stats.corrupt, 0);

    // Removal.
    assert!(store.remove("aave-v3", user).await.unwrap());
    assert_eq!(store.get("aave-v3", user).await.unwrap(), None);
    assert!(!store.remove("aave-v3", user).await.unwrap());
    assert_eq!(store.stats().await.unwrap().total, 249);

    // Checkpoints.
    store.set_checkpoint("aave-v3", 12_345).await.unwrap();
    store.set_checkpoint("aave-v3", 12_346).await.unwrap();
    assert_eq!(store.checkpoint("aave-v3").await.unwrap(), Some(12_346));
    assert_eq!(store.checkpoint("moonwell").await.unwrap(), None);

    // A bulk load (several pipeline batches and script calls)
    // over existing and new positions: existing ones keep their counters.
    assert_eq!(
        store.update_health("aave-v3", user_address(5), false, 1_300).await.unwrap(),
        Some(1)
    );
    let bulk: Vec<_> =
        (0..4_500).map(|i| position(i, "aave-v3", 5_000 + i).with_blocks_unhealthy(2)).collect();
    store.upsert_many(&bulk).await.unwrap();
    let kept = store.get("aave-v3", user_address(5)).await.unwrap().unwrap();
    assert_eq!((kept.blocks_unhealthy, kept.last_update_block), (1, 5_005));
    assert_eq!(store.get("aave-v3", user_address(2)).await.unwrap().unwrap().blocks_unhealthy, 0);
    assert_eq!(store.get("aave-v3", user_address(1)).await.unwrap().unwrap().blocks_unhealthy, 2);
    assert_eq!(store.get("aave-v3", user_address(4_499)).await.unwrap(), Some(bulk[4_499].clone()));
    let stats = store.stats().await.unwrap();
    assert_eq!(stats.per_protocol.get("aave-v3"), Some(&4_500));
    assert_eq!(stats.total, 4_584);

    // Bad input is rejected before any backend work.
    let bad = position(2, "", 1);
    assert!(matches!(store.upsert(&bad).await, Err(StoreError::InvalidInput { .. })));
    assert!(matches!(store.upsert_many(&[bad]).await, Err(StoreError::InvalidInput { .. })));
    assert!(store.ping().await.is_ok());
}

/// Expiry. `store` must be empty and use a 2 s TTL.
pub(crate) async fn expires(store: Arc<dyn PositionStore>) {
    let (a, b) = (user_address(1), user_address(2));
    store.upsert(&position(1, "aave-v3", 1)).await.unwrap();
    store.upsert_many(&[position(2, "aave-v3", 1)]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    // Every write refreshes the TTL: `a` now lives until ~t+3 s, `b` until ~t+2 s.
    assert_eq!(store.update_health("aave-v3", a, false, 2).await.unwrap(), Some(1));
    tokio::time::sleep(Duration::from_millis(1_600)).await;
    assert!(store.get("aave-v3", a).await.unwrap().is_some(), "refreshed by update_health");
    assert_eq!(store.get("aave-v3", b).await.unwrap(), None, "expired after 2 s");
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(store.get("aave-v3", a).await.unwrap(), None);
    assert!(store.get_all().await.unwrap().is_empty());
    assert_eq!(store.stats().await.unwrap().total, 0);
    assert_eq!(store.update_health("aave-v3", a, false, 3).await.unwrap(), None);
}

fn memory(ttl: u64) -> InMemoryPositionStore {
    InMemoryPositionStore::builder()
        .ttl(Duration::from_secs(ttl))
        .sweep_interval(Duration::from_millis(200))
        .build()
        .unwrap()
}

async fn failover(ttl: u64) -> (FailoverPositionStore, RedisPositionStore) {
    let redis = shared_store("failover", ttl).await;
    let store = FailoverPositionStore::builder(redis.clone()).memory(memory(ttl)).build().unwrap();
    (store, redis)
}

#[tokio::test]
async fn memory_store_behaves() {
    behaves(arc(memory(60)), true).await;
}

#[tokio::test]
async fn memory_store_expires() {
    expires(arc(memory(2))).await;
}

#[tokio::test]
async fn redis_store_behaves() {
    let store = shared_store("suite", 60).await;
    behaves(arc(store.clone()), true).await;
    store.purge().await.unwrap();
}

#[tokio::test]
async fn redis_store_expires() {
    let store = shared_store("ttl", 2).await;
    expires(arc(store.clone())).await;
    store.purge().await.unwrap();
}

#[tokio::test]
async fn failover_store_behaves() {
    let (store, redis) = failover(60).await;
    behaves(arc(store.clone()), true).await;
    assert!(store.is_online());
    assert_eq!(store.outages(), 0);
    // Everything went to Redis.
    assert_eq!(redis.stats().await.unwrap().total, 4_584);
    redis.purge().await.unwrap();
}

#[tokio::test]
async fn failover_store_expires() {
    let (store, redis) = failover(2).await;
    expires(arc(store)).await;
    redis.purge().await.unwrap();
}

/// With Redis unreachable from the start, the failover store behaves like memory.
#[tokio::test]
async fn failover_store_behaves_while_redis_is_down() {
    let dead = redis_config("redis://127.0.0.1:1", "dead", 60);
    let store = FailoverPositionStore::connect(dead).await.unwrap();
    behaves(arc(store.clone()), false).await;
    assert!(!store.is_online());
    assert_eq!(store.outages(), 1);
    assert!(store.pending_writes() > 0, "changes are remembered for the write-back");
}
