//! Rebuilds on the devnet: exact positions from an empty store, the same result behind a
//! flaky provider, resume from a checkpoint, reconciliation and the cache's rebuild hook.

use std::{
    sync::{Arc, atomic::Ordering},
    time::Duration,
};

use alloy_primitives::U256;
use mev_position_cache::{InMemoryPositionStore, Position, PositionStore, RebuildHook};
use mev_rebuild::{LendingProtocol, RebuildConfig, Rebuilder};

use crate::{
    common::Market,
    faults::{DyingReader, FlakyReader},
};

const USERS: usize = 250;

async fn sorted(store: &dyn PositionStore) -> Vec<Position> {
    let mut all = store.get_all().await.unwrap();
    all.sort_by_key(|p| p.user);
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rebuild_is_exact_cheap_and_survives_a_flaky_provider() {
    let m = Market::start(USERS, 11).await;
    let reader = m.reader();
    let protocol: Arc<dyn LendingProtocol> = Arc::new(m.protocol(&*reader).await);
    let head = m.devnet.block_number().await.unwrap();
    let config = RebuildConfig { to_block: Some(head), ..RebuildConfig::default() };

    // Clean run into an empty store.
    let rebuilder = Rebuilder::new(reader.clone(), vec![protocol.clone()], config.clone()).unwrap();
    let store = InMemoryPositionStore::new();
    let report = rebuilder.run(&store).await.unwrap();
    println!("clean rebuild: {report:?}");
    assert_eq!(report.users_found, USERS);
    assert_eq!(report.positions_written, USERS);
    assert_eq!(report.blocks_scanned, head - m.deploy_block + 1);
    let reads = report.requests - report.log_requests;
    assert!(reads <= USERS.div_ceil(100) as u64, "{reads} read requests for {USERS} positions");
    assert_eq!(store.checkpoint("aave-v3").await.unwrap(), Some(head));

    // Exact: every stored position is what the chain says at the head, with the pool's HF.
    let stored = sorted(&store).await;
    let mut users = m.users.clone();
    users.sort();
    assert_eq!(stored.iter().map(|p| p.user).collect::<Vec<_>>(), users);
    let chain = protocol.read_positions(&*reader, &users, head).await.unwrap();
    for (s, c) in stored.iter().zip(&chain) {
        assert_eq!(s, &c.position);
        assert_eq!(s.last_update_block, head);
    }
    for &user in users.iter().step_by(25) {
        let data = m.aave.user_account_data(user).await.unwrap();
        let p = store.get("aave-v3", user).await.unwrap().unwrap();
        assert_eq!(p.health_factor, Some(data.healthFactor), "{user}");
    }

    // Idempotent: a second run scans nothing and changes nothing.
    let again = rebuilder.run(&store).await.unwrap();
    assert_eq!((again.blocks_scanned, again.users_found, again.requests), (0, 0, 0));
    assert_eq!(sorted(&store).await, stored);

    // Behind a provider that rejects ranges over 7 blocks and rate-limits 25 % of requests.
    let flaky = Arc::new(FlakyReader::new(crate::common::http(m.devnet.rpc_url()), 7, 25, 5));
    let fast =
        RebuildConfig { initial_backoff_ms: 1, max_backoff_ms: 20, max_retries: 30, ..config };
    let flaky_rebuilder = Rebuilder::new(flaky.clone(), vec![protocol.clone()], fast).unwrap();
    let flaky_store = InMemoryPositionStore::new();
    let flaky_report = flaky_rebuilder.run(&flaky_store).await.unwrap();
    println!(
        "flaky rebuild: {flaky_report:?}, {} ranges rejected, {} rate limited",
        flaky.rejected_ranges.load(Ordering::Relaxed),
        flaky.rate_limited.load(Ordering::Relaxed)
    );
    assert!(flaky.rejected_ranges.load(Ordering::Relaxed) > 0);
    assert!(flaky.rate_limited.load(Ordering::Relaxed) > 0);
    assert_eq!(flaky_report.users_found, USERS);
    assert_eq!(sorted(&flaky_store).await, stored);

    // The cache's rebuild hook fills a store the same way.
    let hooked = InMemoryPositionStore::new();
    let hook: &dyn RebuildHook = &rebuilder;
    hook.rebuild(&hooked).await.unwrap();
    assert_eq!(sorted(&hooked).await, stored);
}

/// Positions expire with the store's TTL, checkpoints do not: a checkpoint whose protocol has no
/// live position left must not make the next run skip the blocks it covers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checkpoint_without_live_positions_does_not_skip_its_blocks() {
    let m = Market::start(30, 31).await;
    let reader = m.reader();
    let protocol: Arc<dyn LendingProtocol> = Arc::new(m.protocol(&*reader).await);
    let head = m.devnet.block_number().await.unwrap();
    let config = RebuildConfig { to_block: Some(head), ..RebuildConfig::default() };
    let rebuilder = Rebuilder::new(reader, vec![protocol.clone()], config).unwrap();
    let store = InMemoryPositionStore::builder().ttl(Duration::from_secs(1)).build().unwrap();

    let first = rebuilder.run(&store).await.unwrap();
    assert_eq!(first.positions_written, 30);
    assert_eq!(store.checkpoint(protocol.name()).await.unwrap(), Some(head));

    tokio::time::sleep(Duration::from_millis(1_200)).await;
    assert_eq!(store.stats().await.unwrap().total, 0, "positions expired");
    assert_eq!(store.checkpoint(protocol.name()).await.unwrap(), Some(head));

    let second = rebuilder.run(&store).await.unwrap();
    assert_eq!(second.blocks_scanned, first.blocks_scanned, "rescanned from the start block");
    assert_eq!(second.positions_written, 30);
    assert_eq!(store.stats().await.unwrap().total, 30);

    // With live positions the checkpoint is trusted again: nothing to scan.
    let third = rebuilder.run(&store).await.unwrap();
    assert_eq!((third.blocks_scanned, third.positions_written), (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interrupted_rebuild_resumes_and_reconciliation_measures_divergence() {
    let m = Market::start(USERS, 23).await;
    let reader = m.reader();
    let protocol: Arc<dyn LendingProtocol> = Arc::new(m.protocol(&*reader).await);
    let head = m.devnet.block_number().await.unwrap();
    let config = RebuildConfig {
        to_block: Some(head),
        chunk_blocks: 4,
        checkpoint_blocks: 8,
        max_concurrent_requests: 1,
        ..RebuildConfig::default()
    };
    let total_blocks = head - m.deploy_block + 1;

    // Reference: a clean full rebuild.
    let full_store = InMemoryPositionStore::new();
    Rebuilder::new(reader.clone(), vec![protocol.clone()], config.clone())
        .unwrap()
        .run(&full_store)
        .await
        .unwrap();
    let full = sorted(&full_store).await;
    assert_eq!(full.len(), USERS);

    // Dies after scanning ~70 % of the range.
    let chunks = total_blocks.div_ceil(4);
    let dying = Arc::new(DyingReader {
        inner: crate::common::http(m.devnet.rpc_url()),
        ok_logs: chunks * 7 / 10,
        seen: Default::default(),
    });
    let store = InMemoryPositionStore::new();
    let err = Rebuilder::new(dying, vec![protocol.clone()], config.clone())
        .unwrap()
        .run(&store)
        .await
        .unwrap_err();
    println!("interrupted: {err}");
    let checkpoint = store.checkpoint("aave-v3").await.unwrap().expect("a checkpoint");
    assert!(checkpoint >= m.deploy_block && checkpoint < head, "checkpoint {checkpoint}");

    let rebuilder = Rebuilder::new(reader.clone(), vec![protocol.clone()], config.clone()).unwrap();
    let resumed = rebuilder.run(&store).await.unwrap();
    println!("resumed from {checkpoint}: {resumed:?}");
    assert_eq!(resumed.blocks_scanned, head - checkpoint);
    assert!(resumed.blocks_scanned < total_blocks);
    assert_eq!(sorted(&store).await, full);

    // Reconciliation: clean, then one injected divergence of +2.5 % debt = 250 bps.
    let clean = rebuilder.reconcile(&store).await.unwrap();
    assert_eq!((clean.checked, clean.max_divergence_bps, clean.diverged), (USERS, 0, false));
    assert!(clean.requests <= USERS.div_ceil(100) as u64);
    let mut bad = full[17].clone();
    bad.debt[0].amount = bad.debt[0].amount * U256::from(1_025u64) / U256::from(1_000u64);
    store.restore_many(&[bad.clone()]).await.unwrap();
    let report = rebuilder.reconcile(&store).await.unwrap();
    println!("reconcile: {:?}", report.divergences);
    assert!(report.diverged);
    assert_eq!(report.divergences.len(), 1);
    assert_eq!(report.divergences[0].user, bad.user);
    assert_eq!(report.divergences[0].divergence_bps, 250);
    assert_eq!(report.max_divergence_bps, 250);

    // A 5 bps divergence stays under the default 10 bps threshold.
    let mut small = full[17].clone();
    small.debt[0].amount = small.debt[0].amount * U256::from(10_005u64) / U256::from(10_000u64);
    store.restore_many(&[small]).await.unwrap();
    let report = rebuilder.reconcile(&store).await.unwrap();
    assert_eq!(report.max_divergence_bps, 5);
    assert!(!report.diverged);

    // Rolling sample: 100 per run, wrapping around the cache.
    let sampled = Rebuilder::new(
        reader.clone(),
        vec![protocol],
        RebuildConfig { reconcile_sample: Some(100), ..config },
    )
    .unwrap();
    let mut checked = 0;
    for _ in 0..3 {
        checked += sampled.reconcile(&store).await.unwrap().checked;
    }
    assert_eq!(checked, 300);
    let _ = reader.requests();
}
