//! Pipeline latency: the critical path of one 500-log block with 10,000 cached Aave V3
//! positions (`Pipeline::apply`, minus the sweep it runs after the block), with the in-memory
//! store and with Redis (issue #7: p99 ≤ 5 ms in memory).
//!
//! `cargo bench -p mev-bot --features test-utils --bench pipeline`. The chain is the
//! in-process synthetic node of `mev_bot::testing` (a `ChainReader` answering Multicall3
//! `aggregate3` batches from a deterministic state that each block mutates), so a real node's
//! latency is excluded by design; the synthetic node's own work (decoding the batches,
//! encoding the answers) is timed separately and reported. The Redis run starts its own
//! `redis-server` on a free loopback port.
//!
//! Each block holds 500 logs: 260 Uniswap V2 `Swap`+`Sync` (130 swaps over 30 pairs), 99 V3
//! `Swap`s over 20 pools, 140 Aave Pool events (70 `Supply`/`Withdraw`/`Borrow`/`Repay`, each
//! with its `ReserveDataUpdated`, touching 50 distinct users) and one `AssetSourceUpdated` from
//! the `AaveOracle` moving WETH, held by ~70 % of the positions. The "no price move" phase
//! replaces that log with a 100th V3 `Swap`.
//!
//! Environment: `POSITIONS` (default 10000), `BLOCKS` measured per phase (default 300),
//! `WARMUP` blocks per phase (default 70, so the reorg history is full before measuring),
//! `STORE` = `memory` | `redis` | `both` (default), `REORG_DEPTH` (the pipeline's
//! `max_reorg_depth`, default 64), `PROFILE=1` (memory store, price-move blocks only, one
//! summary line — for `perf record`).

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering::Relaxed},
    },
    time::{Duration, Instant},
};

use metrics::{Counter, Gauge, Histogram, HistogramFn, Key, KeyName, Metadata, SharedString, Unit};
use mev_bot::{BlockReport, ChainEvent, Pipeline, PipelineConfig, testing::Synthetic};
use mev_position_cache::{
    InMemoryPositionStore, PositionStore, RedisConfig, RedisPositionStore, test_utils::RedisServer,
};

type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

// Per-stage time, from the pipeline's `mev_bot_stage_seconds` histogram.
const STAGES: [&str; 5] = ["decode", "pools", "prices", "refresh", "health"];
static STAGE_NS: [AtomicU64; 5] =
    [AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)];

#[derive(Debug)]
struct StageSink(usize);

impl HistogramFn for StageSink {
    fn record(&self, value: f64) {
        STAGE_NS[self.0].fetch_add((value * 1e9) as u64, Relaxed);
    }
}

/// A `metrics` recorder keeping only the stage histogram.
#[derive(Debug)]
struct StageRecorder;

impl metrics::Recorder for StageRecorder {
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn register_counter(&self, _: &Key, _: &Metadata<'_>) -> Counter {
        Counter::noop()
    }
    fn register_gauge(&self, _: &Key, _: &Metadata<'_>) -> Gauge {
        Gauge::noop()
    }
    fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
        if key.name() != "mev_bot_stage_seconds" {
            return Histogram::noop();
        }
        key.labels()
            .find(|l| l.key() == "stage")
            .and_then(|l| STAGES.iter().position(|s| *s == l.value()))
            .map_or_else(Histogram::noop, |i| Histogram::from_arc(Arc::new(StageSink(i))))
    }
}

fn stage_snapshot() -> [u64; 5] {
    std::array::from_fn(|i| STAGE_NS[i].load(Relaxed))
}

/// One measured block.
#[derive(Debug, Clone)]
struct Sample {
    wall: Duration,
    chain: Duration,
    requests: u64,
    inner_calls: u64,
    stages: [u64; 5],
    report: BlockReport,
    /// The sweep after the block (off the critical path), and what it re-read.
    reconcile: Duration,
    reconciled: usize,
}

struct Setup {
    s: Synthetic,
    pipeline: Pipeline,
}

async fn setup(positions: usize, store: Arc<dyn PositionStore>) -> BenchResult<Setup> {
    let s = Synthetic::new(positions);
    let config = PipelineConfig {
        max_reorg_depth: env("REORG_DEPTH", PipelineConfig::default().max_reorg_depth),
        ..PipelineConfig::default()
    };
    let started = Instant::now();
    let pipeline = s.pipeline_with(store, config).await?;
    eprintln!(
        "bootstrapped {} positions, {} pools in {:.2} s",
        pipeline.positions(),
        pipeline.pools().count(),
        started.elapsed().as_secs_f64()
    );
    Ok(Setup { s, pipeline })
}

impl Setup {
    async fn run(&mut self, blocks: usize, price_move: bool) -> BenchResult<Vec<Sample>> {
        let mut out = Vec::with_capacity(blocks);
        for _ in 0..blocks {
            let block = self.s.next_block(price_move);
            let chain = &self.s.chain;
            chain.take_calls();
            let (requests, inner) = (0, chain.inner_calls());
            let stages = stage_snapshot();
            let started = Instant::now();
            let report = self.pipeline.apply(ChainEvent::Block(block)).await?;
            let after = stage_snapshot();
            // The critical path ends `micros` after the start; the sweep follows.
            let wall = Duration::from_micros(report.micros);
            let end = started + wall;
            let calls = chain.take_calls();
            let node: Duration = calls.iter().filter(|(t, _)| *t < end).map(|(_, d)| *d).sum();
            let requests = requests + calls.iter().filter(|(t, _)| *t < end).count() as u64;
            out.push(Sample {
                wall,
                chain: node,
                requests,
                inner_calls: chain.inner_calls() - inner,
                stages: std::array::from_fn(|i| after[i] - stages[i]),
                reconcile: Duration::from_micros(report.sweep_micros),
                reconciled: report.positions_swept,
                report,
            });
        }
        Ok(out)
    }
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    let i = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

fn quantiles(mut v: Vec<f64>) -> [f64; 4] {
    v.sort_by(f64::total_cmp);
    [percentile(&v, 0.5), percentile(&v, 0.9), percentile(&v, 0.99), v[v.len() - 1]]
}

fn mean(v: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = v.fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    sum / n.max(1) as f64
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn summarize(store: &str, phase: &str, samples: &[Sample]) {
    let wall = quantiles(samples.iter().map(|s| ms(s.wall)).collect());
    let own = quantiles(samples.iter().map(|s| ms(s.wall.saturating_sub(s.chain))).collect());
    let chain = quantiles(samples.iter().map(|s| ms(s.chain)).collect());
    println!(
        "| {store} | {phase} | critical path (wall) | {:.2} | {:.2} | {:.2} | {:.2} |",
        wall[0], wall[1], wall[2], wall[3]
    );
    println!(
        "| {store} | {phase} | minus synthetic node | {:.2} | {:.2} | {:.2} | {:.2} |",
        own[0], own[1], own[2], own[3]
    );
    println!(
        "| {store} | {phase} | synthetic node alone | {:.2} | {:.2} | {:.2} | {:.2} |",
        chain[0], chain[1], chain[2], chain[3]
    );
    let rec = quantiles(samples.iter().map(|s| ms(s.reconcile)).collect());
    println!(
        "| {store} | {phase} | sweep after the block (off the critical path, {:.0} positions) | {:.2} | {:.2} | {:.2} | {:.2} |",
        mean(samples.iter().map(|s| s.reconciled as f64)),
        rec[0],
        rec[1],
        rec[2],
        rec[3]
    );
}

fn details(store: &str, phase: &str, samples: &[Sample]) {
    let m = |f: &dyn Fn(&Sample) -> f64| mean(samples.iter().map(f));
    let stages: Vec<String> = STAGES
        .iter()
        .enumerate()
        .map(|(i, name)| format!("{name} {:.2}", m(&|s| s.stages[i] as f64 / 1e6)))
        .collect();
    let other = |s: &Sample| ms(s.wall) - s.stages.iter().sum::<u64>() as f64 / 1e6;
    println!(
        "| {store} | {phase} | {}, outside stages {:.2} | {:.2} | {:.0} | {:.0} | {:.0} | {:.0} | {:.1} / {:.0} |",
        stages.join(", "),
        m(&other),
        m(&|s| ms(s.chain)),
        m(&|s| s.report.decoded as f64),
        m(&|s| s.report.pools_updated as f64),
        m(&|s| s.report.positions_refreshed as f64),
        m(&|s| s.report.positions_repriced as f64),
        m(&|s| s.requests as f64),
        m(&|s| s.inner_calls as f64),
    );
}

/// Resident set size of this process, MiB (Linux; 0 elsewhere).
fn rss_mib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix("VmRSS:")?.trim().strip_suffix("kB")?.trim().parse::<u64>().ok()
            })
        })
        .map_or(0, |kb| kb / 1024)
}

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() -> BenchResult<()> {
    metrics::set_global_recorder(StageRecorder).map_err(|e| e.to_string())?;
    let positions = env("POSITIONS", 10_000);
    let blocks = env("BLOCKS", 300);
    let warmup = env("WARMUP", 70);
    let which = std::env::var("STORE").unwrap_or_else(|_| "both".into());
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;

    if std::env::var_os("PROFILE").is_some() {
        return rt.block_on(async {
            let mut s = setup(positions, Arc::new(InMemoryPositionStore::new())).await?;
            let samples = s.run(blocks, true).await?;
            summarize("memory", "price move", &samples);
            Ok(())
        });
    }

    let mut results: Vec<(&str, &str, Vec<Sample>)> = Vec::new();
    let mut server = None;
    for store_name in ["memory", "redis"] {
        if which != "both" && which != store_name {
            continue;
        }
        let store: Arc<dyn PositionStore> = if store_name == "memory" {
            Arc::new(InMemoryPositionStore::new())
        } else {
            let s = RedisServer::start()?;
            let url = s.url();
            server = Some(s);
            Arc::new(rt.block_on(RedisPositionStore::connect(RedisConfig::new(url)))?)
        };
        let mut s = rt.block_on(setup(positions, store))?;
        for (phase, price_move) in [("price move", true), ("no price move", false)] {
            rt.block_on(s.run(warmup, price_move))?;
            let samples = rt.block_on(s.run(blocks, price_move))?;
            eprintln!("{store_name}, {phase}: {blocks} blocks measured");
            results.push((store_name, phase, samples));
        }
        eprintln!("{store_name}: process RSS {} MiB after the run", rss_mib());
    }
    drop(server);

    println!(
        "\n{positions} positions, 500-log blocks, {blocks} blocks per row after {warmup} warm-up; \
         ms\n"
    );
    println!("| store | block | time | p50 | p90 | p99 | max |");
    println!("|---|---|---|---|---|---|---|");
    for (store, phase, samples) in &results {
        summarize(store, phase, samples);
    }
    println!(
        "\nMeans per block (ms; counts): stages; synthetic node; logs decoded; pools updated; \
         positions re-read; positions repriced; aggregate3 requests / inner calls\n"
    );
    println!(
        "| store | block | stages | node | decoded | pools | re-read | repriced | requests / calls |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for (store, phase, samples) in &results {
        details(store, phase, samples);
    }
    Ok(())
}
