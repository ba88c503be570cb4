//! Rebuild benchmark on the devnet: 1,000+ borrowers on real Aave V3, wall time and requests of
//! a rebuild into an empty in-memory store, against an anchor measured in the same run (one
//! `getUserAccountData` `eth_call` per borrower, as bots that poll users one by one do).
//!
//! `cargo bench -p mev-rebuild --bench rebuild` (`MEV_REBUILD_USERS` sets the count;
//! `MEV_REBUILD_HOLD=1` keeps the devnet running afterwards and prints an `example-rebuild`
//! command line for it).

#[allow(dead_code, unreachable_pub)]
#[path = "../tests/it/common.rs"]
mod common;

use std::{sync::Arc, time::Instant};

use alloy_primitives::Bytes;
use alloy_sol_types::{SolCall, sol};
use mev_chain::ChainReader;
use mev_position_cache::{InMemoryPositionStore, PositionStore};
use mev_rebuild::{LendingProtocol, RebuildConfig, Rebuilder};

sol! {
    interface IPoolAccount {
        function getUserAccountData(address user) external view returns (uint256, uint256, uint256, uint256, uint256, uint256);
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let users: usize =
        std::env::var("MEV_REBUILD_USERS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000);
    let setup = Instant::now();
    let m = common::Market::start(users, 1).await;
    println!("setup: {users} borrowers on devnet Aave V3 in {:.1?}", setup.elapsed());

    let reader = m.reader();
    let protocol: Arc<dyn LendingProtocol> = Arc::new(m.protocol(&*reader).await);
    let rebuilder =
        Rebuilder::new(reader.clone(), vec![protocol], RebuildConfig::default()).expect("config");
    let store = InMemoryPositionStore::new();
    let report = rebuilder.run(&store).await.expect("rebuild");
    let stored = store.stats().await.expect("stats").total;
    assert_eq!(stored, users as u64);
    let reads = report.requests - report.log_requests;
    println!(
        "rebuild: {} positions, {} blocks, {} requests ({} eth_getLogs + {} aggregate3 = {:.2} \
         reads per 100 positions), {:.1?}",
        report.positions_written,
        report.blocks_scanned,
        report.requests,
        report.log_requests,
        reads,
        reads as f64 * 100.0 / report.positions_written as f64,
        report.duration
    );

    // Anchor: one getUserAccountData eth_call per borrower.
    let head = report.head_block;
    let before = reader.requests();
    let started = Instant::now();
    for &user in &m.users {
        let data = Bytes::from(IPoolAccount::getUserAccountDataCall { user }.abi_encode());
        reader.call(m.aave.pool(), data, head).await.expect("getUserAccountData");
    }
    let anchor = started.elapsed();
    let anchor_requests = reader.requests() - before;
    println!(
        "anchor (getUserAccountData per user): {anchor_requests} requests, {anchor:.1?}; \
         rebuild/anchor: requests {:.3}, time {:.3}",
        report.requests as f64 / anchor_requests as f64,
        report.duration.as_secs_f64() / anchor.as_secs_f64()
    );

    if std::env::var_os("MEV_REBUILD_HOLD").is_some() {
        println!(
            "devnet kept running; in another shell:\n  cargo run -p example-rebuild -- {} {} {} {}",
            m.devnet.rpc_url(),
            m.aave.pool(),
            m.aave.data_provider(),
            m.deploy_block
        );
        let _ = tokio::signal::ctrl_c().await;
    }
}
