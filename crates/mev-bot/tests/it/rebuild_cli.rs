//! `mev-bot rebuild` against real Aave V3 on the devnet, into memory and into a real
//! `redis-server`.

use std::process::Command;

use alloy_primitives::U256;
use mev_position_cache::{PositionStore, test_utils::RedisServer};

use crate::market::{DevnetMarket, json_line, mev_bot};

fn rebuild_args(m: &DevnetMarket, extra: &[String]) -> Vec<String> {
    let mut args = vec!["rebuild".to_owned()];
    args.extend(m.market_args());
    args.extend(["--from-block".into(), m.deploy_block.to_string()]);
    args.extend(extra.iter().cloned());
    args
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rebuild_finds_every_borrower_in_memory_and_in_redis() {
    let m = DevnetMarket::start().await;
    m.drop_weth().await;
    let head = m.devnet.block_number().await.unwrap();
    let borrowers = m.borrowers.len();

    // In memory, to the latest block.
    let report = json_line(&mev_bot(rebuild_args(&m, &[])).await);
    assert_eq!(report["protocol"], "aave-v3");
    assert_eq!(report["head_block"], head);
    assert_eq!(report["blocks_scanned"], head - m.deploy_block + 1);
    assert_eq!(report["users_found"], borrowers);
    assert_eq!(report["positions_written"], borrowers);
    assert_eq!(report["positions_removed"], 0);
    assert!(report["requests"].as_u64().unwrap() >= 3, "{report}");
    assert!(report["log_requests"].as_u64().unwrap() >= 1, "{report}");
    assert!(report["duration_ms"].is_u64(), "{report}");

    // Up to the block before any borrow: nothing found.
    let early = json_line(
        &mev_bot(rebuild_args(&m, &["--to-block".into(), m.empty_block.to_string()])).await,
    );
    assert_eq!(early["head_block"], m.empty_block);
    assert_eq!(early["blocks_scanned"], m.empty_block - m.deploy_block + 1);
    assert_eq!(early["users_found"], 0);

    // Into Redis: exact health factors, then a rerun resumes from the checkpoint.
    let redis = RedisServer::start().expect("redis-server must start");
    let redis_args = ["--redis-url".to_owned(), redis.url()];
    let report = json_line(&mev_bot(rebuild_args(&m, &redis_args)).await);
    assert_eq!(report["users_found"], borrowers);
    assert_eq!(report["positions_written"], borrowers);
    let store = crate::market::inspect_redis(&redis.url()).await;
    assert_eq!(store.get_all().await.unwrap().len(), borrowers);
    assert_eq!(store.checkpoint("aave-v3").await.unwrap(), Some(head));
    let mut liquidatable = 0;
    for &user in &m.borrowers {
        let p = store.get("aave-v3", user).await.unwrap().expect("cached");
        let data = m.aave.user_account_data(user).await.unwrap();
        assert_eq!(p.health_factor, Some(data.healthFactor), "{user}");
        assert_eq!(p.last_update_block, head);
        liquidatable += usize::from(data.healthFactor < U256::from(10u64).pow(U256::from(18)));
    }
    assert_eq!(liquidatable, 2);
    let again = json_line(&mev_bot(rebuild_args(&m, &redis_args)).await);
    assert_eq!(again["blocks_scanned"], 0);
    assert_eq!(again["users_found"], 0);
    assert_eq!(store.get_all().await.unwrap().len(), borrowers);
}

fn one_error_line(args: &[&str], mentions: &str) {
    let out = Command::new(env!("CARGO_BIN_EXE_mev-bot")).args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{args:?}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains(mentions), "{stderr} should mention {mentions}");
}

#[test]
fn bad_rebuild_arguments_exit_2_with_one_error_line() {
    const A: &str = "0x0000000000000000000000000000000000000001";
    let rpc = ["rebuild", "--rpc-url", "http://127.0.0.1:9"];
    let aave = [&rpc[..], &["--protocol", "aave-v3", "--pool", A, "--data-provider", A]].concat();
    one_error_line(&[&aave[..], &["--redis-url", "nope://x"]].concat(), "--redis-url");
    one_error_line(&[&aave[..], &["--redis-url", "redis://[::1"]].concat(), "--redis-url");
    one_error_line(&[&aave[..], &["--from-block", "9", "--to-block", "3"]].concat(), "--to-block");
    one_error_line(&[&aave[..], &["--comptroller", A]].concat(), "--comptroller");
    one_error_line(&[&rpc[..], &["--protocol", "aave-v3", "--pool", "0xzz"]].concat(), "--pool");
    one_error_line(&[&rpc[..], &["--protocol", "compound-v2"]].concat(), "--comptroller");
    one_error_line(&[&rpc[..], &["--protocol", "maker"]].concat(), "aave-v3");
    one_error_line(
        &["rebuild", "--rpc-url", "127.0.0.1:8545", "--protocol", "compound-v2"],
        "--rpc-url",
    );
}
