//! What the commands print: the progress line per block and the run summary (stderr), the
//! opportunities as JSON lines ([`OpportunitySink`]), one-line JSON results ([`print_json`]),
//! and the Prometheus endpoint.

use std::{
    fs::File,
    io::{self, BufWriter, Write},
    path::Path,
};

use alloy_primitives::U256;
use mev_bot::{BlockReport, Opportunity, RunSummary};
use serde::Serialize;

use super::{
    args::OutputArgs,
    error::{CliError, Result},
};

/// Serves Prometheus metrics on `--metrics-addr`, when given.
pub(super) fn serve_metrics(output: &OutputArgs) -> Result<()> {
    if let Some(addr) = output.metrics_addr {
        mev_bot::telemetry::serve_prometheus(addr)?;
        tracing::info!(%addr, "serving Prometheus metrics");
    }
    Ok(())
}

/// One line on stderr per block (or reorg) processed.
pub(super) fn progress(r: &BlockReport) {
    if r.reorg {
        eprintln!(
            "reorg: rolled back to block {} ({} positions restored)",
            r.block,
            r.positions_refreshed + r.positions_removed
        );
        return;
    }
    let opportunities = if r.opportunities.is_empty() {
        String::new()
    } else {
        let users: Vec<String> = r.opportunities.iter().map(mev_bot::Opportunity::label).collect();
        format!("  OPPORTUNITY {}", users.join(", "))
    };
    eprintln!(
        "block {:>6}: {:>3} logs, {:>3} decoded, pools {:>2} updated {:>2} read, {:>4} cycles, positions {:>3} refreshed {:>3} repriced {:>2} removed, {:>6} us (+{} swept after{}){opportunities}",
        r.block,
        r.logs,
        r.decoded,
        r.pools_updated,
        r.pools_fetched,
        r.cycles_evaluated,
        r.positions_refreshed,
        r.positions_repriced,
        r.positions_removed,
        r.micros,
        r.positions_swept,
        if r.positions_diverged > 0 {
            format!(", {} DIVERGED from the chain", r.positions_diverged)
        } else {
            String::new()
        },
    );
}

/// A WAD health factor with four decimals, `inf` without debt.
fn health_factor(hf: U256) -> String {
    if hf == U256::MAX {
        return "inf".to_owned();
    }
    let wad = U256::from(1_000_000_000_000_000_000u64);
    let int = hf / wad;
    let frac = (hf % wad) / U256::from(100_000_000_000_000u64);
    format!("{int}.{frac:04}")
}

/// The end-of-run summary on stderr.
pub(super) fn print_summary(s: &RunSummary) {
    eprintln!("\nsummary");
    eprintln!("  blocks processed     {} ({} reorgs)", s.blocks, s.reorgs);
    eprintln!("  logs                 {} received, {} decoded", s.logs, s.logs_decoded);
    eprintln!(
        "  pools tracked        {} (reserve cache hit rate {}.{:02} %)",
        s.pools_tracked,
        s.reserve_hit_rate_bps / 100,
        s.reserve_hit_rate_bps % 100
    );
    eprintln!("  chain requests       {}", s.chain_requests);
    eprintln!("  positions            {}", s.positions.len());
    for p in &s.positions {
        eprintln!(
            "    {} {}  HF {}  unhealthy {} blocks",
            p.protocol,
            p.user,
            health_factor(p.health_factor),
            p.blocks_unhealthy
        );
    }
    eprintln!("  opportunities        {}", s.opportunities.len());
    for o in &s.opportunities {
        eprintln!("    block {} {}", o.block(), o.label());
    }
}

/// Writes `value` to stdout as one JSON line.
pub(super) fn print_json<T: Serialize>(value: &T) -> Result<()> {
    let io_err = |source| CliError::Io { context: "writing output".into(), source };
    let mut line = serde_json::to_vec(value).map_err(|e| io_err(e.into()))?;
    line.push(b'\n');
    let mut stdout = io::stdout().lock();
    stdout.write_all(&line).and_then(|()| stdout.flush()).map_err(io_err)
}

/// Opportunities as JSON lines, to stdout or a file.
pub(super) struct OpportunitySink {
    out: Box<dyn Write>,
}

impl OpportunitySink {
    /// Writes to `path` (created or truncated), or to stdout when `None`.
    pub(super) fn open(path: Option<&Path>) -> Result<Self> {
        let out: Box<dyn Write> = match path {
            Some(p) => Box::new(BufWriter::new(
                File::create(p).map_err(CliError::io(format!("creating {}", p.display())))?,
            )),
            None => Box::new(io::stdout()),
        };
        Ok(Self { out })
    }

    /// Writes one line per opportunity and flushes, so each block's are visible at once.
    pub(super) fn write(&mut self, opportunities: &[Opportunity]) -> Result<()> {
        let io_err = |source| CliError::Io { context: "writing opportunities".into(), source };
        for o in opportunities {
            let mut line = serde_json::to_vec(o).map_err(|e| io_err(e.into()))?;
            line.push(b'\n');
            self.out.write_all(&line).map_err(io_err)?;
        }
        self.out.flush().map_err(io_err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_factor_has_four_decimals_and_inf_without_debt() {
        assert_eq!(health_factor(U256::MAX), "inf");
        assert_eq!(health_factor(U256::from(1_234_567_000_000_000_000u64)), "1.2345");
        assert_eq!(health_factor(U256::from(5_000_000_000_000_000u64)), "0.0050");
    }
}
