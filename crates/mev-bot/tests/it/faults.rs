//! `mev-bot run` through a fault-injecting proxy in front of anvil running the real Aave V3
//! market, with live borrows and a price drop, a real Redis behind it: single faults of every
//! kind, then random faults, then a node that hangs. The run stays alive, processes every
//! block exactly once, ends on SIGTERM with its summary, and leaves the store equal to the
//! chain.

use std::{
    collections::BTreeMap,
    process::Command,
    sync::Arc,
    time::{Duration, Instant},
};

use alloy_primitives::{Address, U256};
use mev_bot::{BotConfig, FollowConfig};
use mev_chain::{ChainReader, ProviderChain, RetryConfig};
use mev_devnet::{Fault, FaultProxy};
use mev_position_cache::{PositionStore, test_utils::RedisServer};
use mev_rebuild::{AaveV3Protocol, LendingProtocol};

use crate::{
    market::{DevnetMarket, free_port},
    pipeline_cli::{finish, log_has, spawn, temp_dir, wait_for},
};

/// `GET path` on `addr`: the status line and the body.
fn get(addr: std::net::SocketAddr, path: &str) -> (String, String) {
    use std::io::{Read, Write};
    let Ok(mut conn) = std::net::TcpStream::connect(addr) else {
        return (String::new(), String::new());
    };
    let _ = write!(conn, "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    let mut text = String::new();
    let _ = conn.read_to_string(&mut text);
    let status = text.lines().next().unwrap_or_default().to_owned();
    let body = text.split("\r\n\r\n").nth(1).unwrap_or_default().to_owned();
    (status, body)
}

/// The block numbers of the run's progress lines (`block N: …`), in order.
pub(crate) fn processed(log: &str) -> Vec<u64> {
    log.lines()
        .filter_map(|l| l.strip_prefix("block "))
        .filter_map(|l| l.split(':').next()?.trim().parse().ok())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_rides_out_node_faults_and_leaves_the_store_equal_to_the_chain() {
    let market = DevnetMarket::start().await;
    let d = &market.devnet;
    let proxy = FaultProxy::start(d.rpc_url()).await.expect("fault proxy");
    let redis = RedisServer::start().expect("redis-server");
    let dir = temp_dir("faults");
    let config = BotConfig {
        aave_v3: vec![market.aave_config()],
        follow: FollowConfig {
            request_timeout_ms: 1_000,
            retry: RetryConfig { max_attempts: 4, initial_backoff_ms: 20, max_backoff_ms: 200 },
            block_time_ms: 250,
            stall_blocks: 8,
            shutdown_grace_ms: 5_000,
        },
        ..BotConfig::default()
    };
    let config_path = dir.join("bot.toml");
    std::fs::write(&config_path, toml::to_string(&config).unwrap()).unwrap();
    let log = dir.join("run.log");
    let health: std::net::SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let metrics: std::net::SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let mut child = spawn(
        &[
            "run".into(),
            "--rpc-url".into(),
            // A provider-style API key in the path: it must reach no output.
            format!("{}/v2/SECRET-API-KEY", proxy.url()),
            "--config".into(),
            config_path.display().to_string(),
            "--redis-url".into(),
            redis.url(),
            "--poll-ms".into(),
            "50".into(),
            "--health-addr".into(),
            health.to_string(),
            "--metrics-addr".into(),
            metrics.to_string(),
        ],
        &log,
    );
    wait_for(&mut child, "the bootstrap", || log_has(&log, "bootstrapped")).await;
    wait_for(&mut child, "readiness", || get(health, "/readyz").0.contains("200")).await;
    assert!(get(health, "/healthz").0.contains("200"), "{:?}", get(health, "/healthz"));
    let start = d.block_number().await.unwrap();
    let b = &market.borrowers;
    let usdc = market.aave.asset("USDC").unwrap();
    let ten = market.aave.units(usdc, 10).unwrap();

    // 20 single faults, four of each kind, each with a new block to follow.
    for i in 0..20 {
        proxy.inject([Fault::quick(i)]);
        market.aave.borrow(b[i % 2], usdc, ten).await.expect("borrow");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    // 60 s of 20 % random faults while borrowers borrow and, halfway, WETH drops; how far the
    // run falls behind the head is sampled.
    let text = || std::fs::read_to_string(&log).unwrap_or_default();
    proxy.random(20, 0x5eed);
    let random = Instant::now();
    let (mut dropped, mut behind, mut i) = (false, 0, 0);
    while random.elapsed() < Duration::from_secs(60) {
        if !dropped && random.elapsed() > Duration::from_secs(30) {
            market.drop_weth().await;
            dropped = true;
        } else {
            market.aave.borrow(b[i % 2], usdc, ten).await.expect("borrow");
            i += 1;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
        let at = processed(&text()).last().copied().unwrap_or(start);
        behind = behind.max(d.block_number().await.unwrap().saturating_sub(at));
    }
    proxy.random(0, 0);
    // Recovery: the time from the faults' end to the head's block processed.
    let stopped = Instant::now();
    let head = d.block_number().await.unwrap();
    wait_for(&mut child, "the head after the faults", || processed(&text()).last() >= Some(&head))
        .await;
    let recovered = stopped.elapsed();
    // A node that hangs for 3 s (12 block times): the stall is reported, the run recovers.
    proxy.hang(Some(Duration::from_secs(3)));
    d.mine(1).await.unwrap();
    wait_for(&mut child, "the stall warning", || text().contains("head stalled")).await;
    let (status, body) = get(health, "/healthz");
    assert!(status.contains("503") && body.contains(r#""head_stalled":true"#), "{status} {body}");
    proxy.hang(None);
    d.mine(1).await.unwrap();
    let head = d.block_number().await.unwrap();
    wait_for(&mut child, "the last block", || processed(&text()).last() == Some(&head)).await;
    let (status, body) = get(health, "/healthz");
    assert!(status.contains("200"), "healthy again: {status} {body}");

    // The figures of this run (for docs and the issue's note).
    let body = tokio::task::spawn_blocking(move || crate::market::scrape(metrics)).await.unwrap();
    let body = body.expect("metrics");
    let retries: f64 = body
        .lines()
        .filter(|l| l.starts_with("chain_retries_total"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    eprintln!(
        "faults: {} injected, {retries} retries, at worst {behind} blocks behind, \
         recovered {recovered:?} after the random faults stopped",
        proxy.stats().faults
    );
    assert!(retries >= 20.0, "every fault is retried: {body}");

    // SIGTERM: exit 0 with the summary.
    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().expect("kill").success());
    let output = finish(child).await;
    let text = text();
    assert!(output.status.success(), "{:?}: {text}", output.status);
    assert!(text.contains("summary"), "{text}");
    assert!(proxy.stats().faults >= 20, "{:?}", proxy.stats());
    assert!(text.contains("transport error") && !text.contains("SECRET-API-KEY"), "{text}");

    // Every block exactly once, in order.
    let blocks = processed(&text);
    assert_eq!(blocks, (start + 1..=head).collect::<Vec<_>>(), "{text}");

    // The store equals the chain: every borrower, nothing else, exact at its block.
    assert_store_equals_chain(&market, &redis.url(), head).await;
    let store = crate::market::inspect_redis(&redis.url()).await;
    let wad = U256::from(10u64).pow(U256::from(18));
    let stored = store.get_all().await.unwrap();
    assert!(stored.iter().any(|p| p.health_factor < Some(wad)), "the WETH drop shows");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_redis_password_stops_the_run_and_a_healthy_redis_never_fails_over() {
    use mev_position_cache::test_utils::RedisServerOptions;
    let market = DevnetMarket::start().await;
    let redis = tokio::task::spawn_blocking(|| {
        RedisServer::start_with(RedisServerOptions {
            extra_args: vec!["--requirepass".into(), "s3cret".into()],
            ..Default::default()
        })
    })
    .await
    .unwrap()
    .expect("redis-server with a password");
    let dir = temp_dir("redis-auth");
    let config = crate::pipeline_cli::write_config(&market, &dir);
    let url = |password: &str| format!("redis://:{password}@127.0.0.1:{}", redis.port());
    let args = |password: &str| -> Vec<String> {
        vec![
            "run".into(),
            "--rpc-url".into(),
            market.devnet.rpc_url().into(),
            "--config".into(),
            config.display().to_string(),
            "--redis-url".into(),
            url(password),
            "--blocks".into(),
            "1".into(),
            "--poll-ms".into(),
            "20".into(),
        ]
    };

    // The wrong password: exit 2 naming the cause, the password nowhere.
    let log = dir.join("wrong.log");
    let child = spawn(&args("hunter2"), &log);
    let out = finish(child).await;
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("WRONGPASS") || text.contains("NOAUTH") || text.contains("auth"),
        "{text}"
    );
    assert!(!text.contains("hunter2"), "{text}");

    // The right one: Redis from the first call, no failover, positions stored there.
    let log = dir.join("right.log");
    let metrics: std::net::SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let mut a = args("s3cret");
    a.extend(["--metrics-addr".into(), metrics.to_string()]);
    let mut child = spawn(&a, &log);
    wait_for(&mut child, "the bootstrap", || log_has(&log, "bootstrapped")).await;
    let body = tokio::task::spawn_blocking(move || crate::market::scrape(metrics)).await.unwrap();
    let body = body.expect("metrics");
    assert!(
        !body.lines().any(|l| l.starts_with("position_cache_failover_total") && !l.ends_with(" 0")),
        "{body}"
    );
    market.devnet.mine(1).await.unwrap();
    let out = finish(child).await;
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(out.status.success(), "{text}");
    assert!(text.contains("Redis connected") && !text.contains("s3cret"), "{text}");
    assert!(!text.contains("in memory"), "no failover at start: {text}");
    let store = crate::market::inspect_redis(&url("s3cret")).await;
    assert_eq!(store.get_all().await.unwrap().len(), market.borrowers.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_down_past_the_ttl_and_back_empty_is_refilled_within_a_sweep_window() {
    let market = DevnetMarket::start().await;
    let d = &market.devnet;
    let mut redis = RedisServer::start().expect("redis-server");
    let dir = temp_dir("redis-outage");
    let config = crate::pipeline_cli::write_config(&market, &dir);
    let log = dir.join("run.log");
    let mut child = spawn(
        &[
            "run".into(),
            "--rpc-url".into(),
            d.rpc_url().into(),
            "--config".into(),
            config.display().to_string(),
            "--redis-url".into(),
            redis.url(),
            "--poll-ms".into(),
            "50".into(),
        ],
        &log,
    );
    wait_for(&mut child, "the bootstrap", || log_has(&log, "bootstrapped")).await;
    let b = &market.borrowers;
    let usdc = market.aave.asset("USDC").unwrap();
    let ten = market.aave.units(usdc, 10).unwrap();

    // Redis dies for 70 s — longer than the 60 s TTL — while borrowers keep borrowing, then
    // comes back empty (it keeps nothing on disk).
    redis.kill().expect("kill redis");
    let outage = std::time::Instant::now();
    let mut i = 0;
    while outage.elapsed() < Duration::from_secs(70) {
        market.aave.borrow(b[i % 2], usdc, ten).await.expect("borrow");
        i += 1;
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert!(child.try_wait().expect("child").is_none(), "mev-bot exited during the outage");
    }
    redis.restart().expect("restart redis");
    // One sweep window (30 s of chain time, a block a second) later, Redis holds the chain.
    for _ in 0..33 {
        d.mine(1).await.unwrap();
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let head = d.block_number().await.unwrap();
    let text = || std::fs::read_to_string(&log).unwrap_or_default();
    wait_for(&mut child, "the last block", || processed(&text()).last() == Some(&head)).await;
    assert_store_equals_chain(&market, &redis.url(), head).await;
    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().expect("kill").success());
    let output = finish(child).await;
    assert!(output.status.success(), "{}", text());
}

/// Redis at `url` holds exactly the market's borrowers with debt at `head`, each equal to the
/// chain at the block it was read at.
async fn assert_store_equals_chain(market: &DevnetMarket, url: &str, head: u64) {
    let store = crate::market::inspect_redis(url).await;
    let stored: BTreeMap<Address, _> =
        store.get_all().await.unwrap().into_iter().map(|p| (p.user, p)).collect();
    let chain: Arc<dyn ChainReader> =
        Arc::new(ProviderChain::new(market.devnet.provider().clone()));
    let protocol = AaveV3Protocol::connect(&*chain, market.aave_config(), head).await.unwrap();
    let now = protocol.read_positions(&*chain, &market.borrowers, head).await.unwrap();
    let with_debt: Vec<Address> =
        now.iter().filter(|p| p.has_debt()).map(|p| p.position.user).collect();
    assert_eq!(stored.keys().copied().collect::<Vec<_>>(), with_debt);
    for (user, p) in &stored {
        let at = p.last_update_block;
        let read = protocol.read_positions(&*chain, &[*user], at).await.unwrap().remove(0);
        assert_eq!((&read.position.collateral, &read.position.debt), (&p.collateral, &p.debt));
        assert_eq!(Some(read.health.health_factor.wad()), p.health_factor, "{user} at {at}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_twenty_second_hang_is_noticed_and_sigterm_during_a_hang_exits_cleanly() {
    let market = DevnetMarket::start().await;
    let d = &market.devnet;
    let proxy = FaultProxy::start(d.rpc_url()).await.expect("fault proxy");
    let dir = temp_dir("hang");
    // The default follow settings (10 s call timeout, 2 s blocks, stall after 10 blocks), but a
    // grace period of 8 s so that "within 10 s" has a margin.
    let config = BotConfig {
        aave_v3: vec![market.aave_config()],
        follow: FollowConfig { shutdown_grace_ms: 8_000, ..FollowConfig::default() },
        ..BotConfig::default()
    };
    let config_path = dir.join("bot.toml");
    std::fs::write(&config_path, toml::to_string(&config).unwrap()).unwrap();
    let log = dir.join("run.log");
    let args: Vec<String> = vec![
        "run".into(),
        "--rpc-url".into(),
        proxy.url().to_owned(),
        "--config".into(),
        config_path.display().to_string(),
        "--poll-ms".into(),
        "50".into(),
    ];
    let mut child = spawn(&args, &log);
    wait_for(&mut child, "the bootstrap", || log_has(&log, "bootstrapped")).await;
    let start = d.block_number().await.unwrap();
    let text = || std::fs::read_to_string(&log).unwrap_or_default();

    // Every request waits 20 s: the unanswered call is logged within 15 s.
    proxy.hang(Some(Duration::from_secs(20)));
    d.mine(1).await.unwrap();
    let hung = Instant::now();
    while !text().contains("node has not answered") {
        assert!(hung.elapsed() < Duration::from_secs(15), "no stall logged in 15 s: {}", text());
        assert!(child.try_wait().unwrap().is_none(), "exited during the hang: {}", text());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let noticed = hung.elapsed();
    // The node answers again after 20 s: the run catches up by itself.
    tokio::time::sleep(Duration::from_secs(20).saturating_sub(hung.elapsed())).await;
    proxy.hang(None);
    d.mine(1).await.unwrap();
    let head = d.block_number().await.unwrap();
    wait_for(&mut child, "the head after the hang", || processed(&text()).last() == Some(&head))
        .await;
    let caught_up = hung.elapsed();
    assert_eq!(processed(&text()), (start + 1..=head).collect::<Vec<_>>(), "{}", text());

    // Hung again, SIGTERM: exit 0 with the summary within 10 s.
    proxy.hang(Some(Duration::from_secs(60)));
    d.mine(1).await.unwrap();
    // The run polls every 50 ms: within a second it waits on the hung node.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let pid = child.id().to_string();
    let term = Instant::now();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().expect("kill").success());
    let output = finish(child).await;
    let exited = term.elapsed();
    let text = text();
    assert!(output.status.success(), "{:?}: {text}", output.status);
    assert!(text.contains("summary"), "{text}");
    assert!(exited < Duration::from_secs(10), "SIGTERM took {exited:?}: {text}");
    eprintln!(
        "hang: noticed after {noticed:?}, caught up {caught_up:?} after the hang began, \
         SIGTERM during a hang exited after {exited:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websocket_cut_is_reconnected_and_no_block_is_missed() {
    let market = DevnetMarket::start().await;
    let d = &market.devnet;
    let relay = mev_devnet::TcpRelay::start(d.rpc_url()).await.expect("relay");
    let dir = temp_dir("ws-cut");
    let config = crate::pipeline_cli::write_config(&market, &dir);
    let log = dir.join("run.log");
    // Polling only once a minute: blocks are seen through newHeads, so the run keeps up only if
    // the subscription comes back after each cut.
    let mut child = spawn(
        &[
            "run".into(),
            "--rpc-url".into(),
            relay.url("ws"),
            "--config".into(),
            config.display().to_string(),
            "--poll-ms".into(),
            "60000".into(),
        ],
        &log,
    );
    wait_for(&mut child, "the bootstrap", || log_has(&log, "bootstrapped")).await;
    let start = d.block_number().await.unwrap();
    let text = || std::fs::read_to_string(&log).unwrap_or_default();
    for round in 0..3 {
        relay.cut();
        tokio::time::sleep(Duration::from_millis(200)).await;
        if round == 1 {
            market.drop_weth().await;
        } else {
            d.mine(1).await.unwrap();
        }
        let head = d.block_number().await.unwrap();
        wait_for(&mut child, "the block after a cut", || processed(&text()).last() == Some(&head))
            .await;
    }
    let head = d.block_number().await.unwrap();
    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().expect("kill").success());
    let output = finish(child).await;
    let text = text();
    assert!(output.status.success() && text.contains("summary"), "{text}");
    assert_eq!(processed(&text), (start + 1..=head).collect::<Vec<_>>(), "{text}");
    assert!(relay.stats().cut >= 3, "{:?}", relay.stats());
    assert!(relay.stats().connections >= 4, "reconnected after each cut: {:?}", relay.stats());
}
