//! The behavioural suite and the model check against a 3-primary Redis Cluster.

use mev_position_cache::{RedisPositionStore, test_utils::RedisCluster};

use crate::{arc, model, redis_config, suite};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_store_behaves_expires_and_matches_model() {
    let cluster = tokio::task::spawn_blocking(|| RedisCluster::start(3))
        .await
        .unwrap()
        .expect("start a 3-primary Redis Cluster (redis-server and redis-cli installed?)");
    let url = cluster.url();

    // The suite checks behaviour, not latency: its 4,500-position bulk load on a three-node
    // cluster in a debug build can pass the production 500 ms command timeout on a loaded
    // 2-vCPU machine.
    let mut config = redis_config(&url, "cluster", 60);
    config.command_timeout_ms = 10_000;
    let store = RedisPositionStore::connect(config).await.unwrap();
    assert!(store.is_clustered());
    suite::behaves(arc(store.clone()), true).await;

    // Keys spread over every primary, and the scans above visited all of them.
    for node in cluster.nodes() {
        let keys: u64 = node.cli(&["DBSIZE"]).unwrap().parse().unwrap();
        assert!(keys > 20, "node {} holds {keys} keys", node.port());
    }
    store.purge().await.unwrap();

    let short = RedisPositionStore::connect(redis_config(&url, "cluster-ttl", 2)).await.unwrap();
    suite::expires(arc(short)).await;

    let url2 = url.clone();
    model::check_backend(move || {
        let url = url2.clone();
        async move {
            let store =
                RedisPositionStore::connect(redis_config(&url, "cluster-model", 60)).await.unwrap();
            (arc(store.clone()), Some(store))
        }
    })
    .await;
}
