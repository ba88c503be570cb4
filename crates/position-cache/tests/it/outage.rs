//! A writer keeps going through `FailoverPositionStore` while its redis-server is killed and
//! restarted; afterwards Redis holds every last write and the rebuild hook ran once.

use std::{
    collections::HashMap,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::Duration,
};

use alloy_primitives::Address;
use async_trait::async_trait;
use mev_position_cache::{
    FailoverPositionStore, InMemoryPositionStore, Position, PositionStore, RebuildHook,
    RedisPositionStore,
    test_utils::{RedisServer, RedisServerOptions},
};

use crate::{eventually, position, redis_config, user_address};

#[derive(Debug, Default)]
struct CountingHook {
    calls: AtomicU64,
    saw_online: AtomicBool,
}

#[async_trait]
impl RebuildHook for CountingHook {
    async fn rebuild(&self, store: &dyn PositionStore) -> mev_position_cache::Result<()> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let stats = store.stats().await?;
        self.saw_online.store(stats.connected, Ordering::SeqCst);
        Ok(())
    }
}

type Model = HashMap<(String, Address), Position>;

/// Step `i` of the writer: mostly upserts, some health updates, a few removals, over 40 users.
async fn step(
    store: &FailoverPositionStore,
    model: &mut Model,
    i: u64,
) -> mev_position_cache::Result<()> {
    let user = i % 40;
    let key = ("aave-v3".to_owned(), user_address(user));
    if i % 7 == 3 {
        let got = store.update_health("aave-v3", key.1, false, i).await?;
        let want = model.get_mut(&key).map(|p| {
            p.record_health(false, i);
            p.blocks_unhealthy
        });
        assert_eq!(got, want, "update_health at step {i}");
    } else if i % 97 == 50 {
        let got = store.remove("aave-v3", key.1).await?;
        assert_eq!(got, model.remove(&key).is_some(), "remove at step {i}");
    } else {
        let mut p = position(user, "aave-v3", i);
        store.upsert(&p).await?;
        if let Some(old) = model.get(&key) {
            p.blocks_unhealthy = old.blocks_unhealthy;
            p.last_health_block = old.last_health_block;
        }
        model.insert(key, p);
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_survive_a_redis_restart_and_rebuild_runs_once() {
    let mut server = tokio::task::spawn_blocking(|| {
        RedisServer::start_with(RedisServerOptions { append_only: true, ..Default::default() })
    })
    .await
    .unwrap()
    .expect("start redis-server (installed?)");
    let mut config = redis_config(&server.url(), "outage", 60);
    config.command_timeout_ms = 300;
    config.reconnect_delay_ms = 50;
    let redis = RedisPositionStore::connect(config.clone()).await.unwrap();
    let hook = Arc::new(CountingHook::default());
    let store = FailoverPositionStore::builder(redis)
        .memory(InMemoryPositionStore::new())
        .rebuild_hook(hook.clone())
        .probe_interval(Duration::from_millis(100))
        .call_timeout(Duration::from_millis(600))
        .build()
        .unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let steps = Arc::new(AtomicU64::new(0));
    let writer = {
        let (store, stop, steps) = (store.clone(), stop.clone(), steps.clone());
        tokio::spawn(async move {
            let mut model = Model::new();
            let mut i = 0;
            while !stop.load(Ordering::SeqCst) {
                step(&store, &mut model, i)
                    .await
                    .unwrap_or_else(|e| panic!("step {i} failed: {e}"));
                i += 1;
                steps.store(i, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            model
        })
    };

    let at = |n: u64| {
        let steps = steps.clone();
        move || steps.load(Ordering::SeqCst) >= n
    };
    eventually("writes before the outage", 20, at(150)).await;
    server = server.killed().await.unwrap();
    eventually("the failover store to notice", 10, || !store.is_online()).await;
    let during = steps.load(Ordering::SeqCst);
    eventually("writes during the outage", 20, at(during + 300)).await;
    assert!(!store.is_online());
    assert!(store.pending_writes() > 0);

    server = server.restarted().await.unwrap();
    eventually("reconnect and rebuild", 30, || {
        store.is_online() && hook.calls.load(Ordering::SeqCst) == 1
    })
    .await;
    let after = steps.load(Ordering::SeqCst);
    eventually("writes after the outage", 20, at(after + 150)).await;
    stop.store(true, Ordering::SeqCst);
    let model = writer.await.unwrap();

    // Redis alone (a fresh client) holds every last write.
    let check = RedisPositionStore::connect(config).await.unwrap();
    let mut stored = check.get_all().await.unwrap();
    stored.sort_by_key(|p| p.user);
    let mut expected: Vec<_> = model.into_values().collect();
    expected.sort_by_key(|p| p.user);
    assert!(!expected.is_empty());
    assert_eq!(stored, expected);

    assert_eq!(hook.calls.load(Ordering::SeqCst), 1, "rebuild hook fired once");
    assert!(hook.saw_online.load(Ordering::SeqCst), "hook ran after switching back");
    assert_eq!(store.rebuilds(), 1);
    assert_eq!(store.outages(), 1);
    assert_eq!(store.pending_writes(), 0);
    drop(server);
}
