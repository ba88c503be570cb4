//! The rebuild after a Redis outage, end to end: a `FailoverPositionStore` over a real
//! `redis-server` with the `Rebuilder` as its hook, on a real Aave V3 market.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use alloy_primitives::U256;
use async_trait::async_trait;
use mev_position_cache::{
    FailoverPositionStore, InMemoryPositionStore, Position, PositionStore, RebuildHook,
    RedisConfig, RedisPositionStore,
    test_utils::{RedisServer, RedisServerOptions, eventually},
};
use mev_rebuild::{LendingProtocol, RebuildConfig, Rebuilder};

use crate::common::Market;

/// Positions' TTL in this test: short, so that the outage outlasts it.
const TTL: Duration = Duration::from_secs(3);

async fn sorted(store: &dyn PositionStore) -> Vec<Position> {
    let mut all = store.get_all().await.unwrap();
    all.sort_by_key(|p| p.user);
    all
}

/// The `Rebuilder`'s own hook, counting the runs that finished (the failover store counts the
/// ones it started).
#[derive(Debug)]
struct Finished {
    rebuilder: Arc<Rebuilder>,
    ok: AtomicU64,
}

#[async_trait]
impl RebuildHook for Finished {
    async fn rebuild(&self, store: &dyn PositionStore) -> mev_position_cache::Result<()> {
        self.rebuilder.rebuild(store).await?;
        self.ok.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

/// Redis (with an append-only file) is killed for longer than the positions' TTL while a
/// borrower repays and the bot writes one position to memory. It comes back with its checkpoint
/// but without the expired positions; after the write-back and the rebuild hook it holds exactly
/// the chain's positions, the ones nobody touched during the outage too. (A rebuild resuming from
/// the checkpoint would have left only the position written back.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn positions_lost_in_a_redis_outage_are_rebuilt_from_chain_by_the_failover_hook() {
    let m = Market::start(40, 47).await;
    let reader = m.reader();
    let protocol: Arc<dyn LendingProtocol> = Arc::new(m.protocol(&*reader).await);
    let name = protocol.name().to_owned();
    let rebuilder = Arc::new(
        Rebuilder::new(reader.clone(), vec![protocol.clone()], RebuildConfig::default()).unwrap(),
    );

    let mut server = tokio::task::spawn_blocking(|| {
        RedisServer::start_with(RedisServerOptions { append_only: true, ..Default::default() })
    })
    .await
    .unwrap()
    .expect("start redis-server (installed?)");
    let mut config = RedisConfig::new(server.url());
    config.store.namespace = "outage-rebuild:".into();
    config.store.ttl_secs = TTL.as_secs();
    config.command_timeout_ms = 300;
    config.reconnect_delay_ms = 50;
    let redis = RedisPositionStore::connect(config.clone()).await.unwrap();
    let hook = Arc::new(Finished { rebuilder: rebuilder.clone(), ok: AtomicU64::new(0) });
    let store = FailoverPositionStore::builder(redis)
        .memory(InMemoryPositionStore::builder().ttl(TTL).build().unwrap())
        .rebuild_hook(hook.clone())
        .probe_interval(Duration::from_millis(100))
        .call_timeout(Duration::from_millis(600))
        .build()
        .unwrap();

    let first = rebuilder.run(&store).await.unwrap();
    assert_eq!(first.positions_written, 40);
    let before = sorted(&store).await;
    assert_eq!(before.len(), 40);
    let written = tokio::time::Instant::now();

    server = server.killed().await.unwrap();

    // During the outage: borrower 0 repays everything on chain, and the bot (through the
    // failover store, now in memory) writes a stale copy of borrower 1's position.
    let quitter = m.users[0];
    for reserve in m.aave.reserves().to_vec() {
        let debt = m.aave.user_reserve_data(reserve.asset, quitter).await.unwrap();
        if debt.currentVariableDebt.is_zero() {
            continue;
        }
        let extra = debt.currentVariableDebt * U256::from(2);
        m.aave.mint(reserve.asset, quitter, extra).await.unwrap();
        m.aave.approve(quitter, reserve.asset).await.unwrap();
        m.aave.repay(quitter, reserve.asset, U256::MAX).await.unwrap();
    }
    // Past the TTL of everything written before the outage.
    tokio::time::sleep_until(written + TTL + Duration::from_millis(300)).await;
    let mut stale = before.iter().find(|p| p.user == m.users[1]).unwrap().clone();
    stale.debt[0].amount += U256::from(12_345);
    store.upsert(&stale).await.unwrap();
    assert!(!store.is_online(), "the write went to memory");
    assert!(store.pending_writes() > 0);

    // Redis comes back from its append-only file: the checkpoint, no live position.
    server = server.restarted().await.unwrap();
    eventually("reconnect, write-back and rebuild", Duration::from_secs(60), || {
        store.is_online() && hook.ok.load(Ordering::SeqCst) == 1
    })
    .await
    .unwrap();

    // Redis alone (a fresh client, within the TTL of the rebuild's writes) against the chain
    // now, read by a rebuild into memory.
    let check = RedisPositionStore::connect(config).await.unwrap();
    let in_redis = sorted(&check).await;
    let truth = InMemoryPositionStore::new();
    rebuilder.run_full(&truth).await.unwrap();
    let truth = sorted(&truth).await;
    assert_eq!(truth.len(), 39, "the quitter owes nothing");
    assert!(truth.iter().all(|p| p.user != quitter));
    assert_eq!(in_redis, truth);
    assert!(check.checkpoint(&name).await.unwrap().is_some(), "the rebuild rewrote the checkpoint");
    assert_eq!(store.rebuilds(), 1);
    assert_eq!(store.outages(), 1);
    assert_eq!(store.pending_writes(), 0);
    drop(server);
}
