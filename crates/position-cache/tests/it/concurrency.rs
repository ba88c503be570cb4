//! Concurrent health updates from separate connections — bots of an HA group reporting the same
//! blocks — count each block exactly once: no increment lost, none doubled.

use std::sync::Arc;

use mev_position_cache::{PositionStore, RedisPositionStore, test_utils::shared_redis_url};

use crate::{position, redis_config};

const TASKS: u64 = 16;
const CALLS: u64 = 1_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_clients_reporting_a_thousand_blocks_count_each_once() {
    let url = shared_redis_url().expect("a Redis for tests");
    let mut config = redis_config(&url, "concurrency", 60);
    config.pool_size = 1;
    // Generous: 16k script calls queue up on one shared Redis.
    config.command_timeout_ms = 5_000;

    let setup = RedisPositionStore::connect(config.clone()).await.unwrap();
    let p = position(7, "aave-v3", 1);
    setup.upsert(&p).await.unwrap();

    let mut tasks = Vec::new();
    for t in 0..TASKS {
        // A separate client (its own connection) per task, like separate bot processes.
        let store = Arc::new(RedisPositionStore::connect(config.clone()).await.unwrap());
        tasks.push(tokio::spawn(async move {
            let mut last = 0;
            for block in 1..=CALLS {
                let n = store.update_health("aave-v3", p.user, false, block).await.unwrap();
                let n = n.expect("position exists");
                // Applied: the streak is the block; ignored (another client is ahead): the
                // stored streak, further on. Never lower than this client's own last answer.
                assert!(n >= block && n <= CALLS && n >= last, "client {t} block {block}: {n}");
                last = n;
            }
            last
        }));
    }
    // Meanwhile another client keeps rewriting the position's data; upserts keep the counter.
    let writer = {
        let store = RedisPositionStore::connect(config.clone()).await.unwrap();
        tokio::spawn(async move {
            for block in 0..200 {
                store.upsert(&position(7, "aave-v3", block)).await.unwrap();
            }
        })
    };
    for task in tasks {
        let last = task.await.unwrap();
        assert_eq!(last, CALLS);
    }
    writer.await.unwrap();

    let stored = setup.get("aave-v3", p.user).await.unwrap().unwrap();
    assert_eq!((stored.blocks_unhealthy, stored.last_health_block), (CALLS, CALLS));
    setup.purge().await.unwrap();
}
