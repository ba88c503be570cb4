//! Position store throughput and latency against `redis-benchmark` on the same server, in the
//! same run, with the same value size (~400 bytes).
//!
//! `cargo bench -p mev-position-cache --all-features --bench position_store`. Starts its own
//! `redis-server` on a free loopback port and runs `redis-benchmark` against it.
//!
//! Environment: `POSITIONS` (default 100000); `ROUNDS` (paired anchor/store rounds, default 5);
//! `MEMORY_ONLY=1` (in-memory figures only); `PROFILE_REDIS=upsert|existing|get_all` (repeat one
//! Redis path, for `perf record`);
//! `POOL`, `SCAN_COUNT`, `IN_FLIGHT` override the `RedisConfig` defaults.

use std::{
    hint::black_box,
    process::Command,
    sync::Arc,
    time::{Duration, Instant},
};

use alloy_primitives::{Address, U256};
use mev_position_cache::{
    InMemoryPositionStore, Position, PositionStore, RedisConfig, RedisPositionStore,
    test_utils::RedisServer,
};
use rust_decimal::Decimal;
use tokio::runtime::{Builder, Runtime};

type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

fn main() -> BenchResult<()> {
    let n: usize = std::env::var("POSITIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let positions: Vec<Position> = (0..n as u64).map(sample).collect();
    if std::env::var_os("PROFILE_REDIS").is_some() {
        return profile_redis(&positions);
    }
    // In memory first, while the process is fresh (RSS growth is then the store's): all `n`
    // positions (random keys, so mostly cache misses), then a hot set of 1,000.
    let (mem_get_ns, mem_upsert_ns, mem_bytes) = memory_figures(&positions)?;
    let hot: Vec<Position> = positions.iter().take(1_000).cloned().collect();
    let (hot_get_ns, hot_upsert_ns, _) = memory_figures(&hot)?;
    let clone_floor_ns = clone_at_random(&positions);
    println!(
        "in memory, {n} positions: get {mem_get_ns:.0} ns, upsert {mem_upsert_ns:.0} ns, \
         {mem_bytes:.0} B/position (RSS); 1,000 positions: get {hot_get_ns:.0} ns, upsert \
         {hot_upsert_ns:.0} ns; Position::clone at a random index of {n}: {clone_floor_ns:.0} ns"
    );
    if std::env::var_os("MEMORY_ONLY").is_some() {
        return Ok(());
    }

    let server = RedisServer::start()?;
    let port = server.port();
    println!(
        "redis-server {} on 127.0.0.1:{port}, {n} positions",
        server
            .cli(&["INFO", "server"])?
            .lines()
            .find_map(|l| l.strip_prefix("redis_version:"))
            .unwrap_or("?")
    );

    let json_bytes: usize = positions.iter().map(|p| p.to_json().map_or(0, |j| j.len())).sum();
    let json_avg = json_bytes as f64 / n as f64;
    println!("JSON per position: {json_avg:.0} bytes (avg)");
    let value_size = json_avg.round() as usize;

    let rounds: usize = std::env::var("ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(5);
    let value = "x".repeat(value_size);
    // Informative: the command shape upserts actually need (position key length, `EX`).
    let key = format!("bench0:position:aave-v3:0x5e{}__rand_int__", "0".repeat(26));
    let set_ex_rps = redis_benchmark(
        port,
        &["-P", "64", "-n", "1000000", "-r", "100000", "SET", &key, &value, "EX", "60"],
        value_size,
    )?
    .0;

    let rt = Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let url = server.url();

    // Each round runs the anchors, then the store on an emptied server, so that every ratio
    // compares runs a few seconds apart (rates on this shared machine drift by tens of percent
    // within minutes). The verdict is on the median ratio.
    let mut upsert = Vec::new(); // (store, anchor) pairs
    let mut existing = Vec::new();
    let mut get_all = Vec::new();
    let mut redis_bytes = 0.0;
    let mut last_store = None;
    for round in 0..rounds {
        server.cli(&["FLUSHALL"])?;
        let anchor = ["-P", "64", "-n", "1000000", "-r", "100000"];
        let set_rps = redis_benchmark(port, &[&anchor[..], &["-t", "set"]].concat(), value_size)?.0;
        let get_rps = redis_benchmark(port, &[&anchor[..], &["-t", "get"]].concat(), value_size)?.0;
        server.cli(&["FLUSHALL"])?;
        let mem_before = used_memory(&server)?;

        let store = rt.block_on(connect(&url, &format!("bench{round}")))?;
        let started = Instant::now();
        rt.block_on(store.upsert_many(&positions))?;
        upsert.push((n as f64 / started.elapsed().as_secs_f64(), set_rps));
        if round == 0 {
            redis_bytes = (used_memory(&server)? - mem_before) as f64 / n as f64;
        }

        // Again over the same keys (existing positions: counters are kept).
        let started = Instant::now();
        rt.block_on(store.upsert_many(&positions))?;
        existing.push((n as f64 / started.elapsed().as_secs_f64(), set_rps));

        let started = Instant::now();
        let all = rt.block_on(store.get_all())?;
        get_all.push((n as f64 / started.elapsed().as_secs_f64(), get_rps));
        assert_eq!(all.len(), n, "get_all returned every position");
        println!(
            "round {round}: upsert_many new {:.0}/s ({:.2}), existing {:.0}/s ({:.2}), get_all {:.0}/s ({:.2})",
            upsert[round].0,
            ratio(upsert[round]),
            existing[round].0,
            ratio(existing[round]),
            get_all[round].0,
            ratio(get_all[round]),
        );
        last_store = Some(store);
    }
    let store = last_store.ok_or("no rounds")?;

    // Single-key latency on one connection, current-thread runtime, alternating with
    // `redis-benchmark -c 1` runs over the same keys.
    let latency_rt = Builder::new_current_thread().enable_all().build()?;
    let single = latency_rt.block_on(async {
        let mut config = store.config().clone();
        config.pool_size = 1;
        RedisPositionStore::connect(config).await
    })?;
    let mut get_p50 = Vec::new(); // (store µs, anchor µs)
    for _ in 0..3 {
        let anchor_ms = redis_benchmark(
            port,
            &["-c", "1", "-t", "get", "-n", "20000", "-r", "100000"],
            value_size,
        )?
        .1;
        let store_us = latency_p50(&latency_rt, 10_000, |i| {
            let single = single.clone();
            let p = &positions[(i * 7_919) % n];
            let (protocol, user) = (p.protocol.clone(), p.user);
            async move {
                black_box(single.get(&protocol, user).await.ok());
            }
        });
        get_p50.push((store_us, anchor_ms * 1_000.0));
    }
    let health_p50_us = latency_p50(&latency_rt, 5_000, |i| {
        let single = single.clone();
        let p = &positions[(i * 7_919) % n];
        let (protocol, user) = (p.protocol.clone(), p.user);
        async move {
            black_box(single.update_health(&protocol, user, false, 1).await.ok());
        }
    });
    drop(single);
    drop(store);

    let ratios = |pairs: &[(f64, f64)]| pairs.iter().map(|&p| ratio(p)).collect::<Vec<_>>();
    let spread = |pairs: &[(f64, f64)]| {
        let r = ratios(pairs);
        let lo = r.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = r.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        format!("{lo:.2}–{hi:.2}")
    };
    let firsts = |pairs: &[(f64, f64)]| pairs.iter().map(|p| p.0).collect::<Vec<_>>();
    let seconds = |pairs: &[(f64, f64)]| pairs.iter().map(|p| p.1).collect::<Vec<_>>();
    let ratio_upsert = median(&ratios(&upsert));
    let ratio_get_all = median(&ratios(&get_all));
    let ratio_p50 = median(&ratios(&get_p50));
    println!();
    println!(
        "Medians of {rounds} rounds (3 for latency); a ratio divides the store's figure by the anchor's of the same round."
    );
    println!("| measure | position store | redis-benchmark | ratio (median, range) | target |");
    println!("|---|---|---|---|---|");
    println!(
        "| upsert_many {n} new (positions/s) | {:.0} | SET -P 64: {:.0} req/s | {ratio_upsert:.2} ({}) | >= 0.40 {} |",
        median(&firsts(&upsert)),
        median(&seconds(&upsert)),
        spread(&upsert),
        verdict(ratio_upsert >= 0.4)
    );
    println!(
        "| upsert_many {n} new (positions/s) | {:.0} | SET <position key> EX 60 -P 64: {set_ex_rps:.0} req/s (once) | {:.2} | (info) |",
        median(&firsts(&upsert)),
        median(&firsts(&upsert)) / set_ex_rps
    );
    println!(
        "| upsert_many {n} existing (positions/s) | {:.0} | SET -P 64: {:.0} req/s | {:.2} ({}) | (info) |",
        median(&firsts(&existing)),
        median(&seconds(&existing)),
        median(&ratios(&existing)),
        spread(&existing)
    );
    println!(
        "| get_all {n} (positions/s) | {:.0} | GET -P 64: {:.0} req/s | {ratio_get_all:.2} ({}) | >= 0.40 {} |",
        median(&firsts(&get_all)),
        median(&seconds(&get_all)),
        spread(&get_all),
        verdict(ratio_get_all >= 0.4)
    );
    println!(
        "| get p50 (us) | {:.1} | GET -c 1 p50: {:.1} us | {ratio_p50:.2} ({}) | <= 1.50 {} |",
        median(&firsts(&get_p50)),
        median(&seconds(&get_p50)),
        spread(&get_p50),
        verdict(ratio_p50 <= 1.5)
    );
    println!("| update_health p50 (us) | {health_p50_us:.1} | | | (info) |");
    println!(
        "| in-memory get median, 1k hot positions (ns) | {hot_get_ns:.0} | | | <= 150 {} |",
        verdict(hot_get_ns <= 150.0)
    );
    println!(
        "| in-memory upsert median, 1k hot positions (ns) | {hot_upsert_ns:.0} | | | <= 1000 {} |",
        verdict(hot_upsert_ns <= 1_000.0)
    );
    println!(
        "| in-memory get median, {n} random (ns, memory-latency bound) | {mem_get_ns:.0} | | | (info) |"
    );
    println!(
        "| in-memory upsert median, {n} random (ns) | {mem_upsert_ns:.0} | | | <= 1000 {} |",
        verdict(mem_upsert_ns <= 1_000.0)
    );
    println!(
        "| Position::clone at a random index of {n} (ns, memory-latency floor) | {clone_floor_ns:.0} | | | |"
    );
    println!("| bytes per position: JSON | {json_avg:.0} | | | |");
    println!("| bytes per position: Redis used_memory | {redis_bytes:.0} | | | |");
    println!("| bytes per position: in-memory RSS | {mem_bytes:.0} | | | |");
    println!();
    Ok(())
}

/// Only one Redis bulk path (`PROFILE_REDIS=upsert|get_all`), for `perf record`.
fn profile_redis(positions: &[Position]) -> BenchResult<()> {
    let op = std::env::var("PROFILE_REDIS").unwrap_or_default();
    let server = RedisServer::start()?;
    let rt = Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let n = positions.len() as f64;
    let loaded = rt.block_on(connect(&server.url(), "profile-loaded"))?;
    rt.block_on(loaded.upsert_many(positions))?;
    for round in 0..5 {
        let started = Instant::now();
        if op == "get_all" {
            black_box(rt.block_on(loaded.get_all())?);
        } else if op == "existing" {
            rt.block_on(loaded.upsert_many(positions))?;
        } else {
            let store = rt.block_on(connect(&server.url(), &format!("profile{round}")))?;
            rt.block_on(store.upsert_many(positions))?;
        }
        println!("{op}: {:.0}/s", n / started.elapsed().as_secs_f64());
    }
    Ok(())
}

/// About 400 bytes of JSON: two collateral legs, one debt leg.
fn sample(i: u64) -> Position {
    let mut user = [0u8; 20];
    user[12..].copy_from_slice(&i.to_be_bytes());
    user[0] = 0x5e;
    Position::new(if i.is_multiple_of(3) { "moonwell" } else { "aave-v3" }, Address::from(user))
        .with_collateral(
            Address::repeat_byte(0x42),
            U256::from(i + 1) * U256::from(10).pow(U256::from(18)),
            Decimal::new(825, 3),
        )
        .with_collateral(Address::repeat_byte(0x2a), U256::from(i * 31 + 7), Decimal::new(80, 2))
        .with_debt(Address::repeat_byte(0x83), U256::from(1_500_000_000_u64 + i))
        .at_block(20_000_000 + i % 1_000)
}

async fn connect(url: &str, label: &str) -> mev_position_cache::Result<RedisPositionStore> {
    let mut config = RedisConfig::new(url);
    config.store.namespace = format!("{label}:");
    if let Some(v) = std::env::var("SCAN_COUNT").ok().and_then(|v| v.parse().ok()) {
        config.scan_count = v;
    }
    if let Some(v) = std::env::var("IN_FLIGHT").ok().and_then(|v| v.parse().ok()) {
        config.max_in_flight = v;
    }
    if let Some(v) = std::env::var("POOL").ok().and_then(|v| v.parse().ok()) {
        config.pool_size = v;
    }
    config.command_timeout_ms = 10_000;
    RedisPositionStore::connect(config).await
}

/// Requests per second and p50 latency (ms) from `redis-benchmark -q`.
fn redis_benchmark(port: u16, args: &[&str], value_size: usize) -> BenchResult<(f64, f64)> {
    let out = Command::new("redis-benchmark")
        .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-q", "-d", &value_size.to_string()])
        .args(args)
        .output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let last = text
        .split(['\r', '\n'])
        .rfind(|l| l.contains("requests per second"))
        .ok_or_else(|| format!("redis-benchmark {args:?} printed no result: {text}"))?;
    let rps = last
        .split_whitespace()
        .find_map(|w| w.parse::<f64>().ok())
        .ok_or_else(|| format!("no rate in {last:?}"))?;
    let p50 = last
        .split("p50=")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|s| s.parse::<f64>().ok())
        .ok_or_else(|| format!("no p50 in {last:?}"))?;
    let shown: Vec<String> = args
        .iter()
        .map(|a| if a.len() > 64 { format!("<{} bytes>", a.len()) } else { (*a).to_owned() })
        .collect();
    println!("redis-benchmark -d {value_size} {}: {rps:.0} req/s, p50 {p50} ms", shown.join(" "));
    Ok((rps, p50))
}

fn used_memory(server: &RedisServer) -> BenchResult<i64> {
    let info = server.cli(&["INFO", "memory"])?;
    Ok(info
        .lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
        .ok_or("no used_memory")?)
}

/// p50 in microseconds of `count` sequential calls.
fn latency_p50<F, Fut>(rt: &Runtime, count: usize, call: F) -> f64
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut samples: Vec<Duration> = Vec::with_capacity(count);
    rt.block_on(async {
        for i in 0..count / 10 {
            call(i).await; // warm-up
        }
        for i in 0..count {
            let started = Instant::now();
            call(i).await;
            samples.push(started.elapsed());
        }
    });
    samples.sort();
    samples[samples.len() / 2].as_secs_f64() * 1e6
}

/// Median ns per in-memory get and upsert (through `Arc<dyn PositionStore>`), and RSS bytes
/// per position. Keys are visited in a shuffled order from a sequential list and upserts reuse a
/// hot input position, so the caller's own data does not add cache misses; the store's do.
fn memory_figures(positions: &[Position]) -> BenchResult<(f64, f64, f64)> {
    // A worker thread runs the store's clock task; the measuring loop runs on this thread.
    let rt = Builder::new_multi_thread().worker_threads(1).enable_all().build()?;
    let rss_before = rss_bytes()?;
    let store = rt.block_on(async { InMemoryPositionStore::new() });
    std::thread::sleep(Duration::from_millis(50));
    rt.block_on(store.upsert_many(positions))?;
    let rss_after = rss_bytes()?;
    let per_position = (rss_after - rss_before) as f64 / positions.len() as f64;

    let n = positions.len();
    let keys: Vec<(&'static str, Address)> = (0..n)
        .map(|i| {
            let p = &positions[(i * 7_919) % n];
            (if p.protocol == "moonwell" { "moonwell" } else { "aave-v3" }, p.user)
        })
        .collect();
    let mut templates = [positions[0].clone(), positions[1].clone()];
    let store: Arc<dyn PositionStore> = Arc::new(store);
    const BATCH: usize = 1_000;
    let rounds = 300;
    let mut get_ns = Vec::new();
    let mut upsert_ns = Vec::new();
    rt.block_on(async {
        for round in 0..rounds {
            let started = Instant::now();
            for i in 0..BATCH {
                let (protocol, user) = keys[(round * BATCH + i) % n];
                black_box(store.get(protocol, user).await.ok());
            }
            get_ns.push(started.elapsed().as_nanos() as f64 / BATCH as f64);
        }
        for round in 0..rounds {
            let started = Instant::now();
            for i in 0..BATCH {
                let (protocol, user) = keys[(round * BATCH + i) % n];
                let template = &mut templates[usize::from(protocol == "moonwell")];
                template.user = user;
                black_box(store.upsert(template).await.ok());
            }
            upsert_ns.push(started.elapsed().as_nanos() as f64 / BATCH as f64);
        }
    });
    Ok((median(&get_ns), median(&upsert_ns), per_position))
}

/// ns to clone a position picked at random from `positions`: what any design that returns an
/// owned position pays in cache misses alone.
fn clone_at_random(positions: &[Position]) -> f64 {
    let n = positions.len();
    let started = Instant::now();
    for i in 0..300_000 {
        black_box(positions[(i * 7_919) % n].clone());
    }
    started.elapsed().as_nanos() as f64 / 300_000.0
}

fn rss_bytes() -> BenchResult<i64> {
    let statm = std::fs::read_to_string("/proc/self/statm")?;
    let pages: i64 = statm.split_whitespace().nth(1).ok_or("bad statm")?.parse()?;
    Ok(pages * 4_096)
}

fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

/// The store's figure over the anchor's.
fn ratio((store, anchor): (f64, f64)) -> f64 {
    store / anchor
}

const fn verdict(ok: bool) -> &'static str {
    if ok { "ok" } else { "MISSED" }
}
