//! Metrics (through the `metrics` facade) and, with feature `prometheus`, an endpoint serving
//! them.
//!
//! | metric | kind | labels |
//! |---|---|---|
//! | `mev_bot_block_lag_blocks` | gauge | |
//! | `mev_bot_head_block` | gauge | |
//! | `mev_bot_block_seconds` | histogram | |
//! | `mev_bot_stage_seconds` | histogram | `stage` = decode, pools, arbitrage, prices, refresh, health, sweep |
//! | `mev_bot_blocks_total`, `mev_bot_reorgs_total`, `mev_bot_logs_total` | counter | |
//! | `mev_bot_opportunities_total` | counter | | (both kinds)
//! | `mev_bot_arbitrage_cycles_evaluated_total`, `mev_bot_arbitrage_opportunities_total` | counter | |
//! | `mev_bot_arbitrage_net_profit` | histogram | `base` = the base token (values in its smallest unit) |
//! | `mev_bot_positions` | gauge | `bucket` = `lt_1.00`, `1.00_1.05`, `1.05_1.10`, `1.10_1.50`, `ge_1.50` |
//! | `mev_bot_sweep_diverged_total` | counter | `market`: positions the sweep re-read that differed from the pipeline's copy by more than 10 bps |
//! | `mev_bot_reserve_cache_hit_ratio` | gauge | |
//! | `mev_bot_reserve_cache_entries` | gauge | |
//!
//! The caches' own counters (`reserve_cache_*`, `position_cache_*`) and, when the reader is
//! wrapped in [`mev_chain::Metered`], the chain's (`chain_*`) appear on the same endpoint.

#[cfg(feature = "prometheus")]
use std::net::SocketAddr;
use std::time::Duration;

use mev_health_calc::HealthFactor;
use mev_reserve_cache::CacheStats;

use crate::pipeline::BlockReport;

const BUCKETS: [&str; 5] = ["lt_1.00", "1.00_1.05", "1.05_1.10", "1.10_1.50", "ge_1.50"];

/// Serves every metric in the Prometheus text format at `http://{addr}/metrics` (any path
/// answers), from a task on the current tokio runtime. Latency histograms have buckets from
/// 50 µs to 10 s.
#[cfg(feature = "prometheus")]
pub fn serve_prometheus(addr: SocketAddr) -> crate::Result<()> {
    use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};
    let buckets = [
        0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
        0.5, 1.0, 2.5, 10.0,
    ];
    PrometheusBuilder::new()
        .with_http_listener(addr)
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &buckets)
        .and_then(|b| {
            // Decades of the base token's smallest unit (1e9 … 1e24: gwei to millions of an
            // 18-decimals token).
            let profit: Vec<f64> = (9..=24).map(|e| 10f64.powi(e)).collect();
            b.set_buckets_for_metric(Matcher::Full("mev_bot_arbitrage_net_profit".into()), &profit)
        })
        .and_then(|b| b.install())
        .map_err(|e| crate::BotError::Io {
            context: format!("serving metrics on {addr}"),
            source: std::io::Error::other(e.to_string()),
        })?;
    zero_series();
    Ok(())
}

/// The unlabelled counters and gauges that count rare events, at 0 from the start: a rate or
/// an increase over them then reads 0, not "no data", before the first event (the dashboard
/// and the alert rules in `deploy/` rely on it).
#[cfg(feature = "prometheus")]
fn zero_series() {
    for counter in [
        "mev_bot_blocks_total",
        "mev_bot_logs_total",
        "mev_bot_reorgs_total",
        "mev_bot_opportunities_total",
        "mev_bot_step_errors_total",
        "mev_bot_stalls_total",
    ] {
        metrics::counter!(counter).increment(0);
    }
    metrics::gauge!("mev_bot_head_stalled").set(0.0);
}

pub(crate) fn stage(name: &'static str, elapsed: Duration) {
    metrics::histogram!("mev_bot_stage_seconds", "stage" => name).record(elapsed.as_secs_f64());
}

/// `n` positions of `market` found diverged by a sweep (the series exists from the first
/// sweep on, at 0).
pub(crate) fn sweep_diverged(market: &str, n: usize) {
    metrics::counter!("mev_bot_sweep_diverged_total", "market" => market.to_owned())
        .increment(n as u64);
}

pub(crate) fn arbitrage(
    found: &[crate::ArbitrageOpportunity],
    evaluated: usize,
    elapsed: Duration,
) {
    stage("arbitrage", elapsed);
    metrics::counter!("mev_bot_arbitrage_cycles_evaluated_total").increment(evaluated as u64);
    metrics::counter!("mev_bot_arbitrage_opportunities_total").increment(found.len() as u64);
    for o in found {
        // Smallest units of the base token (its decimals are not known here).
        let net = f64::from(o.net_profit);
        metrics::histogram!("mev_bot_arbitrage_net_profit", "base" => o.base.to_string())
            .record(net);
    }
}

pub(crate) fn block_lag(latest: u64, head: u64) {
    metrics::gauge!("mev_bot_block_lag_blocks").set(latest.saturating_sub(head) as f64);
}

pub(crate) fn block_done(report: &BlockReport, elapsed: Duration) {
    if report.reorg {
        metrics::counter!("mev_bot_reorgs_total").increment(1);
        return;
    }
    metrics::histogram!("mev_bot_block_seconds").record(elapsed.as_secs_f64());
    metrics::gauge!("mev_bot_head_block").set(report.block as f64);
    metrics::counter!("mev_bot_blocks_total").increment(1);
    metrics::counter!("mev_bot_logs_total").increment(report.logs as u64);
    metrics::counter!("mev_bot_opportunities_total").increment(report.opportunities.len() as u64);
}

pub(crate) fn record_positions(health_factors: impl Iterator<Item = HealthFactor>) {
    let mut counts = [0u64; BUCKETS.len()];
    for hf in health_factors {
        let b = bucket(hf);
        if let Some(i) = BUCKETS.iter().position(|x| *x == b) {
            counts[i] += 1;
        }
    }
    for (label, n) in BUCKETS.iter().zip(counts) {
        metrics::gauge!("mev_bot_positions", "bucket" => *label).set(n as f64);
    }
}

pub(crate) fn reserve_stats(stats: &CacheStats) {
    metrics::gauge!("mev_bot_reserve_cache_hit_ratio").set(stats.hit_rate_bps() as f64 / 10_000.0);
    metrics::gauge!("mev_bot_reserve_cache_entries").set(stats.entries as f64);
}

/// Health factor bucket label for metrics and summaries.
pub(crate) fn bucket(hf: HealthFactor) -> &'static str {
    use alloy_primitives::U256;
    const MILLI: u64 = 1_000_000_000_000_000;
    const EDGES: [(U256, &str); 4] = [
        (U256::from_limbs([1000 * MILLI, 0, 0, 0]), "lt_1.00"),
        (U256::from_limbs([1050 * MILLI, 0, 0, 0]), "1.00_1.05"),
        (U256::from_limbs([1100 * MILLI, 0, 0, 0]), "1.05_1.10"),
        (U256::from_limbs([1500 * MILLI, 0, 0, 0]), "1.10_1.50"),
    ];
    let wad = hf.wad();
    EDGES.iter().find(|(edge, _)| wad < *edge).map_or("ge_1.50", |(_, label)| label)
}

#[cfg(test)]
mod tests {
    use alloy_primitives::U256;

    use super::*;

    const WAD: u64 = 1_000_000_000_000_000_000;

    #[test]
    fn health_buckets() {
        let hf = |milli: u64| HealthFactor::from_wad(U256::from(milli) * U256::from(WAD / 1000));
        assert_eq!(bucket(hf(999)), "lt_1.00");
        assert_eq!(bucket(hf(1000)), "1.00_1.05");
        assert_eq!(bucket(hf(1099)), "1.05_1.10");
        assert_eq!(bucket(hf(1499)), "1.10_1.50");
        assert_eq!(bucket(HealthFactor::INFINITE), "ge_1.50");
    }
}
