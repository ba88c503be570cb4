//! Several `mev-bot run` on one store: an HA pair on one Redis keeps the streaks of a single
//! bot, and a streak stored before a restart continues after it. Real Aave V3 market on anvil,
//! real Redis servers, the real binary.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    process::{Child, Command},
};

use alloy_primitives::Address;
use mev_bot::Opportunity;
use mev_position_cache::{PositionStore, test_utils::RedisServer};

use crate::{
    faults::processed,
    market::{DevnetMarket, free_port, scrape},
    pipeline_cli::{finish, log_has, spawn, temp_dir, wait_for, write_config},
};

/// One running bot: its log and its opportunities file.
struct Bot {
    child: Child,
    log: PathBuf,
    output: PathBuf,
}

impl Bot {
    fn start(
        dir: &Path,
        name: &str,
        config: &Path,
        rpc: &str,
        redis: &str,
        extra: &[String],
    ) -> Self {
        let log = dir.join(format!("{name}.log"));
        let output = dir.join(format!("{name}.jsonl"));
        let mut args: Vec<String> = vec![
            "run".into(),
            "--rpc-url".into(),
            rpc.into(),
            "--config".into(),
            config.display().to_string(),
            "--redis-url".into(),
            redis.into(),
            "--poll-ms".into(),
            "20".into(),
            "--output".into(),
            output.display().to_string(),
        ];
        args.extend(extra.iter().cloned());
        Self { child: spawn(&args, &log), log, output }
    }

    fn text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    async fn wait_bootstrapped(&mut self) {
        let log = self.log.clone();
        wait_for(&mut self.child, "the bootstrap", || log_has(&log, "bootstrapped")).await;
    }

    async fn wait_block(&mut self, block: u64) {
        let log = self.log.clone();
        wait_for(&mut self.child, &format!("block {block}"), || {
            processed(&std::fs::read_to_string(&log).unwrap_or_default()).last() >= Some(&block)
        })
        .await;
    }

    /// `(block, user)` of every opportunity emitted so far.
    fn flagged(&self) -> Vec<(u64, Address)> {
        std::fs::read_to_string(&self.output)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str::<Opportunity>(l).expect("an opportunity per line"))
            .filter_map(|o| o.as_liquidation().map(|l| (l.block, l.user)))
            .collect()
    }

    /// SIGTERM, then the exit: 0 with the summary.
    async fn stop(self) -> String {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill").args(["-TERM", &pid]).status().expect("kill").success());
        let out = finish(self.child).await;
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        assert!(out.status.success() && text.contains("summary"), "{:?}: {text}", out.status);
        text
    }
}

/// `user → (blocks_unhealthy, last_health_block)` of every position stored at `url`.
async fn streaks(url: &str) -> BTreeMap<Address, (u64, u64)> {
    let store = crate::market::inspect_redis(url).await;
    let all = store.get_all().await.unwrap();
    all.into_iter().map(|p| (p.user, (p.blocks_unhealthy, p.last_health_block))).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_bots_on_one_redis_keep_the_streaks_of_one() {
    let market = DevnetMarket::start().await;
    let d = &market.devnet;
    let (shared, single) = tokio::task::spawn_blocking(|| {
        (RedisServer::start().expect("redis-server"), RedisServer::start().expect("redis-server"))
    })
    .await
    .unwrap();
    let dir = temp_dir("ha-pair");
    let config = write_config(&market, &dir);
    let rpc = d.rpc_url().to_owned();
    // An HA pair on one Redis, and a single bot on its own Redis as the reference.
    let mut a = Bot::start(&dir, "a", &config, &rpc, &shared.url(), &[]);
    let mut b = Bot::start(&dir, "b", &config, &rpc, &shared.url(), &[]);
    let mut one = Bot::start(&dir, "one", &config, &rpc, &single.url(), &[]);
    for bot in [&mut a, &mut b, &mut one] {
        bot.wait_bootstrapped().await;
    }

    // The price drop (two blocks), then four more blocks, each processed by all three before
    // the next: the pair reports every block to Redis twice, concurrently.
    market.drop_weth().await;
    let drop = d.block_number().await.unwrap();
    let mut head = drop;
    for _ in 0..5 {
        for bot in [&mut a, &mut b, &mut one] {
            bot.wait_block(head).await;
        }
        d.mine(1).await.unwrap();
        head += 1;
    }
    for bot in [&mut a, &mut b, &mut one] {
        bot.wait_block(head).await;
    }

    let reference = one.flagged();
    let bs = &market.borrowers;
    assert_eq!(
        reference.iter().map(|(_, u)| *u).collect::<Vec<_>>(),
        vec![bs[2], bs[3]],
        "the two borrowers below 1 are confirmed: {}",
        one.text()
    );
    assert_eq!(a.flagged(), reference, "bot a confirms at the single bot's blocks");
    assert_eq!(b.flagged(), reference, "bot b confirms at the single bot's blocks");
    let (pair, alone) = (streaks(&shared.url()).await, streaks(&single.url()).await);
    assert_eq!(pair, alone, "the pair's stored streaks equal a single bot's");
    // Unhealthy since the drop's second block: one count per block, not two.
    assert_eq!(pair[&bs[2]], (head - drop + 1, head), "{pair:?}");
    assert_eq!(reference, vec![(drop + 1, bs[2]), (drop + 1, bs[3])]);
    for bot in [a, b, one] {
        bot.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streak_stored_before_a_restart_continues_after_it() {
    let market = DevnetMarket::start().await;
    let d = &market.devnet;
    let redis =
        tokio::task::spawn_blocking(|| RedisServer::start().expect("redis-server")).await.unwrap();
    let dir = temp_dir("restart-streak");
    let config = write_config(&market, &dir);
    let rpc = d.rpc_url().to_owned();
    let bs = &market.borrowers;

    // First run: the drop makes borrowers 3 and 4 unhealthy for one block; with confirmations
    // 2 nothing is flagged yet.
    let mut first = Bot::start(&dir, "first", &config, &rpc, &redis.url(), &[]);
    first.wait_bootstrapped().await;
    market.drop_weth().await;
    let drop = d.block_number().await.unwrap();
    first.wait_block(drop).await;
    assert!(first.flagged().is_empty(), "{}", first.text());
    first.stop().await;
    let stored = streaks(&redis.url()).await;
    assert_eq!((stored[&bs[2]], stored[&bs[3]]), ((1, drop), (1, drop)), "{stored:?}");

    // Second run on the same, healthy Redis: no failover, and the first unhealthy block after
    // the restart confirms them.
    let metrics: std::net::SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let extra = ["--metrics-addr".to_owned(), metrics.to_string()];
    let mut second = Bot::start(&dir, "second", &config, &rpc, &redis.url(), &extra);
    second.wait_bootstrapped().await;
    d.mine(1).await.unwrap();
    second.wait_block(drop + 1).await;
    assert_eq!(second.flagged(), vec![(drop + 1, bs[2]), (drop + 1, bs[3])], "{}", second.text());
    let body =
        tokio::task::spawn_blocking(move || scrape(metrics)).await.unwrap().expect("metrics");
    let failovers: Vec<&str> =
        body.lines().filter(|l| l.starts_with("position_cache_failover_total")).collect();
    assert!(failovers.iter().all(|l| l.ends_with(" 0")), "{failovers:?}");
    let text = second.stop().await;
    assert!(!text.contains("in memory"), "no failover: {text}");
    let stored = streaks(&redis.url()).await;
    assert_eq!(stored[&bs[2]], (2, drop + 1), "{stored:?}");
}
