//! The dashboard and the alert rules of `deploy/` against a real Prometheus scraping a real
//! `mev-bot run`: an Aave V3 market and the DEX market (Uniswap V2/V3/V4, Balancer) on one
//! devnet, a Redis of the test's own, a WETH price drop (liquidations) and random trades
//! (arbitrages). Prometheus loads the rule file (its rules must parse and evaluate), and every
//! query of every panel of `deploy/grafana/mev-bot.json` must return data.

use std::{
    io::{Read, Write},
    net::SocketAddr,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use alloy_primitives::U256;
use mev_bot::{ArbitrageConfig, BaseToken, BotConfig};
use mev_devnet::{DevRng, DexMarket};
use mev_position_cache::test_utils::RedisServer;

use crate::{
    arbitrage::pool_configs,
    market::{DevnetMarket, free_port, scrape},
    pipeline_cli::{log_has, spawn, temp_dir, wait_for},
};

/// `deploy/` of the workspace.
fn deploy_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy")
}

/// A Prometheus process, killed on drop.
struct Prometheus {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Prometheus {
    /// Starts Debian's `prometheus` scraping `target` every second as job `mev-bot`, with the
    /// workspace's alert rules. Panics (the test fails) when it is not installed.
    fn start(target: SocketAddr, dir: &Path) -> Self {
        let rules = deploy_dir().join("prometheus/mev-bot.rules.yml");
        let config = dir.join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files:\n  - \
                 {}\nscrape_configs:\n  - job_name: mev-bot\n    static_configs:\n      - \
                 targets: ['{target}']\n",
                rules.display()
            ),
        )
        .unwrap();
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
        let log = std::fs::File::create(dir.join("prometheus.log")).unwrap();
        let child = Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", dir.join("tsdb").display()))
            .arg(format!("--web.listen-address={addr}"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect(
                "prometheus must be installed (Debian: apt-get install prometheus; .ci/run does)",
            );
        Self { child, addr }
    }

    /// `GET /api/v1/PATH?query=…`'s JSON body (HTTP/1.0: no chunked body); `None` until it
    /// answers.
    fn api(&self, path: &str, query: Option<&str>) -> Option<serde_json::Value> {
        let target = match query {
            Some(q) => format!("/api/v1/{path}?query={}", percent_encode(q)),
            None => format!("/api/v1/{path}"),
        };
        let mut s = std::net::TcpStream::connect(self.addr).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
        write!(s, "GET {target} HTTP/1.0\r\nHost: x\r\n\r\n").ok()?;
        let mut response = String::new();
        s.read_to_string(&mut response).ok()?;
        let (_, body) = response.split_once("\r\n\r\n")?;
        serde_json::from_str(body).ok()
    }

    /// The result vector of an instant query.
    fn query(&self, q: &str) -> Vec<serde_json::Value> {
        let answer = self.api("query", Some(q)).unwrap_or_else(|| panic!("no answer to {q}"));
        assert_eq!(answer["status"], "success", "{q}: {answer}");
        answer["data"]["result"].as_array().cloned().unwrap_or_default()
    }
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Every panel query of the dashboard, with Grafana's variables as a test sets them.
fn dashboard_queries() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(deploy_dir().join("grafana/mev-bot.json")).unwrap();
    let dashboard: serde_json::Value = serde_json::from_str(&text).expect("the dashboard is JSON");
    let mut out = Vec::new();
    for panel in dashboard["panels"].as_array().expect("panels") {
        for target in panel["targets"].as_array().expect("targets") {
            let expr = target["expr"].as_str().expect("expr");
            let expr = expr.replace("$instance", ".*").replace("$__rate_interval", "15s");
            out.push((panel["title"].as_str().unwrap_or_default().to_owned(), expr));
        }
    }
    out
}

fn e18(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_dashboard_panel_has_data_from_a_live_run_and_the_rules_load() {
    let market = DevnetMarket::start().await;
    let mut rng = DevRng(0xda5b_0a2d);
    let dex = DexMarket::deploy(&market.devnet, &mut rng).await.expect("the DEX market");
    let redis = RedisServer::start().expect("redis-server");
    let dir = temp_dir("dashboard");
    let base = |t| BaseToken {
        gas_cost: U256::from(10u64).pow(U256::from(16)),
        max_input: e18(100_000),
        ..BaseToken::new(t)
    };
    let config = BotConfig {
        aave_v3: vec![market.aave_config()],
        pools: pool_configs(&dex),
        arbitrage: ArbitrageConfig {
            base: vec![base(dex.tokens[0]), base(dex.tokens[1])],
            ..ArbitrageConfig::default()
        },
        ..BotConfig::default()
    };
    let config_path = dir.join("bot.toml");
    std::fs::write(&config_path, toml::to_string(&config).unwrap()).unwrap();
    let metrics_addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let log = dir.join("run.log");
    let mut child = spawn(
        &[
            "run".into(),
            "--rpc-url".into(),
            market.devnet.rpc_url().replace("http://", "ws://"),
            "--config".into(),
            config_path.display().to_string(),
            "--redis-url".into(),
            redis.url(),
            "--poll-ms".into(),
            "60000".into(),
            "--output".into(),
            dir.join("opportunities.jsonl").display().to_string(),
            "--metrics-addr".into(),
            metrics_addr.to_string(),
        ],
        &log,
    );
    wait_for(&mut child, "the bootstrap", || log_has(&log, "bootstrapped")).await;
    assert!(scrape(metrics_addr).is_some(), "metrics endpoint up");
    let prometheus = Prometheus::start(metrics_addr, &dir);

    // Liquidations (two borrowers fall below 1) and arbitrages, over ~20 s of scrapes.
    market.drop_weth().await;
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(20) {
        dex.random_block(&mut rng).await.expect("random trades");
        tokio::time::sleep(Duration::from_millis(500)).await;
        if let Ok(Some(status)) = child.try_wait() {
            panic!("mev-bot exited ({status}): {}", std::fs::read_to_string(&log).unwrap());
        }
    }
    // Prometheus has scraped the bot (and evaluated the rules) by now.
    let up = prometheus.query("up{job=\"mev-bot\"}");
    assert_eq!(up.first().map(|s| s["value"][1].clone()), Some("1".into()), "{up:?}");
    let rules = prometheus.api("rules", None).expect("rules");
    let loaded: Vec<&str> = rules["data"]["groups"][0]["rules"]
        .as_array()
        .map(|r| r.iter().filter_map(|r| r["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(loaded.len(), 6, "{rules}");
    assert!(
        rules["data"]["groups"][0]["rules"]
            .as_array()
            .is_some_and(|r| r.iter().all(|r| r["health"] == "ok")),
        "every rule evaluates: {rules}"
    );

    let mut empty = Vec::new();
    let queries = dashboard_queries();
    assert!(queries.len() >= 20, "{} queries", queries.len());
    for (title, expr) in &queries {
        if prometheus.query(expr).is_empty() {
            empty.push(format!("{title}: {expr}"));
        }
    }
    assert!(empty.is_empty(), "panels without data:\n{}", empty.join("\n"));
    // And the data is the run's: two positions below 1, arbitrages found.
    let low = prometheus.query("mev_bot_positions{bucket=\"lt_1.00\"}");
    assert_eq!(low.first().map(|s| s["value"][1].clone()), Some("2".into()), "{low:?}");
    let arbs = prometheus.query("mev_bot_arbitrage_opportunities_total");
    let n: f64 = arbs.first().and_then(|s| s["value"][1].as_str()?.parse().ok()).unwrap_or(0.0);
    assert!(n >= 1.0, "{arbs:?}");
    let _ = child.kill();
    let _ = child.wait();
}
