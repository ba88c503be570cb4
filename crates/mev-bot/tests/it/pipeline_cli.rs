//! `mev-bot replay`, `record` and `run`: the bundled recording, a recording made on the devnet
//! replayed offline, live runs with a block limit and with Ctrl-C, and argument errors.

use std::{
    path::PathBuf,
    process::{Child, Command, Output, Stdio},
    time::{Duration, Instant},
};

use alloy_primitives::U256;
use mev_bot::{BotConfig, Opportunity, Recording};

use crate::market::{DevnetMarket, free_port, mev_bot, scrape};

fn bundled() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("recordings/devnet-liquidation.json")
}

pub(crate) fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mev-bot-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn opportunities(stdout: &[u8]) -> Vec<Opportunity> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("an opportunity per line"))
        .collect()
}

#[tokio::test]
async fn bundled_recording_replays_to_the_live_runs_opportunities() {
    let recording = Recording::load(&bundled()).expect("bundled recording");
    assert!(!recording.opportunities.is_empty(), "the scenario flags positions");
    assert!(
        recording.opportunities.iter().any(|o| o.as_arbitrage().is_some()),
        "the bundled run shows an arbitrage next to the liquidations"
    );
    let out =
        mev_bot(vec!["replay".into(), bundled().display().to_string(), "--check".into()]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(opportunities(&out.stdout), recording.opportunities);
    let err = stderr(&out);
    for needle in [
        "block ",
        "OPPORTUNITY",
        "summary",
        "blocks processed",
        "reserve cache hit rate",
        "positions",
        "HF ",
        "the opportunities equal the recorded live run's",
    ] {
        assert!(err.contains(needle), "{needle:?} missing from:\n{err}");
    }

    // The library replay agrees, and flags each position exactly once.
    let store = std::sync::Arc::new(mev_position_cache::InMemoryPositionStore::new());
    let (pipeline, got, _) = mev_bot::replay(&recording, store, |_| {}).await.expect("replay");
    assert_eq!(got, recording.opportunities);
    // Rolling reconciliation: devnet blocks are at least a second apart, so with the default
    // 30 s period every position was re-read within the last 30 blocks.
    let head = pipeline.head().number;
    for (_, p, _) in pipeline.tracked() {
        assert!(
            head - p.last_update_block <= 30,
            "{} last read at {}",
            p.user,
            p.last_update_block
        );
    }
    let liquidations: Vec<_> = got.iter().filter_map(Opportunity::as_liquidation).collect();
    let mut users: Vec<_> = liquidations.iter().map(|o| o.user).collect();
    users.dedup();
    assert_eq!(users.len(), liquidations.len(), "one liquidation per unhealthy streak");
}

#[tokio::test]
async fn replay_check_fails_when_the_recording_was_tampered_with() {
    let mut recording = Recording::load(&bundled()).expect("bundled recording");
    recording.opportunities.pop();
    let dir = temp_dir("tampered");
    let path = dir.join("rec.json");
    recording.save(&path).expect("save");
    let out = mev_bot(vec!["replay".into(), path.display().to_string(), "--check".into()]).await;
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.lines().any(|l| l.starts_with("mev-bot: error: recording")), "{err}");
}

#[tokio::test]
async fn argument_and_file_errors_are_one_line() {
    let dir = temp_dir("errors");
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "[pipeline]\nconfirmation = 2\n").unwrap();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (vec!["replay".into(), dir.join("nope.json").display().to_string()], "reading recording"),
        (
            vec![
                "run".into(),
                "--rpc-url".into(),
                "http://127.0.0.1:1".into(),
                "--config".into(),
                bad.display().to_string(),
            ],
            "invalid configuration: line 2, column 1, key `confirmation`: unknown field `confirmation`",
        ),
        (
            vec![
                "run".into(),
                "--rpc-url".into(),
                "ftp://x".into(),
                "--config".into(),
                dir.join("missing.toml").display().to_string(),
            ],
            "reading config",
        ),
        (vec!["record".into(), "--rpc-url".into(), "http://x".into()], "--config"),
    ];
    for (args, needle) in cases {
        let out = mev_bot(args.clone()).await;
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("mev-bot: error: ") && err.contains(needle), "{args:?}: {err}");
    }
}

pub(crate) fn write_config(market: &DevnetMarket, dir: &std::path::Path) -> PathBuf {
    let config = BotConfig { aave_v3: vec![market.aave_config()], ..BotConfig::default() };
    let path = dir.join("bot.toml");
    std::fs::write(&path, toml::to_string(&config).unwrap()).unwrap();
    path
}

/// Starts `mev-bot ARGS` with its standard error going to `log`.
pub(crate) fn spawn(args: &[String], log: &std::path::Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_mev-bot"))
        .args(args)
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(log).expect("log file"))
        .spawn()
        .expect("spawn mev-bot")
}

pub(crate) fn log_has(log: &std::path::Path, needle: &str) -> bool {
    std::fs::read_to_string(log).is_ok_and(|s| s.contains(needle))
}

/// Polls `done` until it holds; panics if the child exits first or after 60 s (killing it).
pub(crate) async fn wait_for(child: &mut Child, what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("mev-bot exited ({status}) before {what}");
        }
        if start.elapsed() > Duration::from_secs(60) {
            // No orphan mev-bot outlives the failed test.
            let _ = child.kill();
            panic!("timed out waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub(crate) async fn finish(child: Child) -> Output {
    tokio::task::spawn_blocking(move || child.wait_with_output().expect("wait")).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn record_on_the_devnet_then_replay_offline() {
    let market = DevnetMarket::start().await;
    let dir = temp_dir("record");
    let config = write_config(&market, &dir);
    let out = dir.join("rec.json");
    let log = dir.join("record.log");
    let mut child = spawn(
        &[
            "record".into(),
            "--rpc-url".into(),
            market.devnet.rpc_url().into(),
            "--config".into(),
            config.display().to_string(),
            "--out".into(),
            out.display().to_string(),
            "--blocks".into(),
            "3".into(),
            "--poll-ms".into(),
            "20".into(),
        ],
        &log,
    );
    // Once it has bootstrapped at the current head, move the chain: the price drop takes two
    // blocks (new aggregator, setAssetSources), then one more block.
    let head = market.devnet.block_number().await.unwrap();
    wait_for(&mut child, "the bootstrap", || log_has(&log, "bootstrapped")).await;
    market.drop_weth().await;
    market.devnet.mine(1).await.unwrap();
    let output = finish(child).await;
    assert!(output.status.success(), "{}", std::fs::read_to_string(&log).unwrap_or_default());
    let recording = Recording::load(&out).expect("recording written");
    assert_eq!(recording.start.number, head);
    assert_eq!(recording.events.len(), 3, "{:?}", recording.events);
    // Borrowers 3 and 4 fall below 1 at the price drop and are flagged one block later.
    let b = &market.borrowers;
    let flagged: Vec<_> = recording
        .opportunities
        .iter()
        .filter_map(|o| o.as_liquidation().map(|l| (l.block, l.user)))
        .collect();
    assert_eq!(flagged, vec![(head + 3, b[2]), (head + 3, b[3])]);
    let replayed =
        mev_bot(vec!["replay".into(), out.display().to_string(), "--check".into()]).await;
    assert!(replayed.status.success(), "{}", stderr(&replayed));
    assert_eq!(opportunities(&replayed.stdout), recording.opportunities);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_follows_blocks_serves_metrics_and_stops_cleanly_on_ctrl_c() {
    let market = DevnetMarket::start().await;
    let dir = temp_dir("run");
    let config = write_config(&market, &dir);
    let opportunities_file = dir.join("opportunities.jsonl");
    let log = dir.join("run.log");
    let metrics_addr: std::net::SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    // anvil serves WebSocket on the same port: this run follows a newHeads subscription (the
    // 60 s poll fallback would time the test out).
    let ws_url = market.devnet.rpc_url().replace("http://", "ws://");
    let mut child = spawn(
        &[
            "run".into(),
            "--rpc-url".into(),
            ws_url,
            "--config".into(),
            config.display().to_string(),
            "--poll-ms".into(),
            "60000".into(),
            "--output".into(),
            opportunities_file.display().to_string(),
            "--metrics-addr".into(),
            metrics_addr.to_string(),
        ],
        &log,
    );
    let scrape = move || scrape(metrics_addr);
    wait_for(&mut child, "the bootstrap", || log_has(&log, "bootstrapped")).await;
    assert!(scrape().is_some(), "metrics endpoint up");
    market.drop_weth().await;
    market.devnet.mine(2).await.unwrap();
    wait_for(&mut child, "the opportunities", || {
        std::fs::read_to_string(&opportunities_file).is_ok_and(|s| s.lines().count() >= 2)
    })
    .await;
    let body = scrape().expect("metrics");
    assert!(body.contains("mev_bot_opportunities_total 2"), "{body}");
    assert!(body.contains("mev_bot_positions{bucket=\"lt_1.00\"} 2"), "{body}");

    // Ctrl-C: the block in flight finishes and the process exits 0.
    let pid = child.id().to_string();
    let status = Command::new("kill").args(["-INT", &pid]).status().expect("kill");
    assert!(status.success());
    let output = finish(child).await;
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(output.status.success(), "{:?}: {text}", output.status);
    assert!(text.contains("summary") && text.contains("stopped"), "{text}");
    let flagged: Vec<_> = opportunities(&std::fs::read(&opportunities_file).unwrap())
        .into_iter()
        .filter_map(|o| o.as_liquidation().cloned())
        .collect();
    let b = &market.borrowers;
    assert_eq!(flagged.iter().map(|o| o.user).collect::<Vec<_>>(), vec![b[2], b[3]]);
    assert!(flagged.iter().all(|o| o.health_factor < U256::from(10u64).pow(U256::from(18))));
}
