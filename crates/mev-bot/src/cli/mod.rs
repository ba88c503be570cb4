//! The `mev-bot` command line: the clap definitions, and a dispatch to one module per
//! subcommand. Every error is printed as one line, `mev-bot: error: …`, with exit code 2.

mod args;
mod decode;
mod discover;
mod error;
mod follow;
mod health;
mod health_endpoint;
mod output;
mod quote;
mod rebuild;
mod record;
mod replay;
mod run;
mod store;

use std::{io, process::ExitCode};

use clap::{Parser, Subcommand, error::ErrorKind};

use self::error::{CliError, Result};

/// State caches for EVM MEV bots: decode logs, track pools and lending positions.
#[derive(Debug, Parser)]
#[command(name = "mev-bot", version, about, long_about = None)]
struct Cli {
    /// Log lines on stderr: text (coloured only on a terminal) or json (one object per line).
    #[arg(long, global = true, value_enum, default_value = "text", env = "MEV_BOT_LOG_FORMAT")]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

static LOG_FORMAT: std::sync::OnceLock<LogFormat> = std::sync::OnceLock::new();

#[derive(Debug, Subcommand)]
enum Command {
    /// Decode logs into typed events, one JSON object per log.
    ///
    /// Reads an eth_getLogs JSON array (or a JSON-RPC response holding one, or one log object
    /// per line) from FILE, or from standard input when FILE is absent or "-". Writes one line
    /// per log: {"address", "block_number", "transaction_hash", "log_index", "removed",
    /// "protocol", "event", "fields"}.
    Decode(decode::DecodeArgs),
    /// Discover the pools factories created in a block range and write them as [[pools]]
    /// entries of a configuration.
    ///
    /// Reads the creation events from --from-block to --to-block (default: the latest) with
    /// eth_getLogs in ranges of --max-block-range blocks (halved when the node refuses one):
    /// Uniswap V2 PairCreated, V3 PoolCreated, V4 Initialize, Balancer V2 PoolRegistered
    /// (typed weighted or composable-stable by the PoolCreated events of the factories named,
    /// else other). Keeps the pools whose tokens are all (--any-token: one) in the --token
    /// list, and with --min-reserve / --min-liquidity those with that much at --to-block (one
    /// Multicall3 batch at its canonical address). Writes the entries as TOML to standard
    /// output or --output, and a one-line summary to standard error.
    Discover(discover::DiscoverArgs),
    /// Print one user's health factor, computed locally from per-reserve chain data.
    ///
    /// Reads the user's balances in every reserve (AaveProtocolDataProvider.getUserReserveData),
    /// the reserves' configuration and indexes, the oracle prices and the user's eMode through
    /// Multicall3 at one block, and computes the figures Pool.getUserAccountData would report
    /// with mev-health-calc. Prints one line: {"health_factor": "<WAD integer>",
    /// "total_collateral_base": "...", "total_debt_base": "...", "liquidatable": true|false};
    /// without debt the health factor is 2^256-1. Needs Multicall3 at its canonical address.
    Health(health::HealthArgs),
    /// Quote a swap through one pool (Uniswap V2 and forks, V3, V4; Balancer V2 weighted and
    /// composable stable), computed locally.
    ///
    /// Reads the pool's state at --block (default: the latest) through Multicall3 at its
    /// canonical address into a reserve cache — a V3 or V4 pool's initialized ticks within
    /// --tick-words bitmap words either side of the price — and computes the swap with the
    /// pool's own integer math (mev-swap-math); no quoter contract is called. A Balancer pool's
    /// Vault and id are read from the pool (getVault, getPoolId); a V4 pool's key from its
    /// Initialize event (eth_getLogs on the PoolManager, from block 0). Without --kind the pool
    /// is read as uniswap-v3, then as uniswap-v2 (Balancer and V4 pools need --kind). Prints
    /// one line: {"pool", "kind", "pool_id" (V4 and Balancer), "block", "token_in",
    /// "token_out", "amount_in", "amount_out"} and the state after the swap:
    /// "sqrt_price_x96_after", "tick_after", "liquidity_after", "ticks_crossed" (V3, V4),
    /// "reserve0_after", "reserve1_after" (V2) or "balance_in_after", "balance_out_after"
    /// (Balancer).
    Quote(quote::QuoteArgs),
    /// Rebuild a position cache from chain and print the report.
    ///
    /// Scans the market's Borrow logs from --from-block (or the store's checkpoint, if later) to
    /// --to-block, reads every borrower's position at --to-block with Multicall3 batches and
    /// writes those with debt to the store: in memory (the run's figures only), or Redis with
    /// --redis-url (resumable: a rerun continues from the checkpoint). Prints one line:
    /// {"protocol", "head_block", "blocks_scanned", "users_found", "positions_written",
    /// "positions_removed", "requests", "log_requests", "duration_ms"}.
    Rebuild(rebuild::RebuildArgs),
    /// Run the pipeline live: follow new blocks and print opportunities.
    ///
    /// Bootstraps at the latest block (discovers every configured market's borrowers, reads
    /// their positions and every pool), then for each new block: fetches its logs, decodes them,
    /// updates the reserve cache, refreshes the touched positions, recomputes health and prints
    /// each Opportunity (a position unhealthy for the confirmation count) as one JSON line.
    /// ws:// URLs follow newHeads; http:// URLs poll. Missed blocks are back-filled; reorgs roll
    /// the caches back. Ctrl-C finishes the block in flight and exits 0.
    Run(run::RunArgs),
    /// Replay a recording offline through the same pipeline (no node needed).
    ///
    /// Prints one progress line per block and a summary on stderr (blocks, logs decoded, pools
    /// tracked and reserve-cache hit rate, positions and their health factors, opportunities)
    /// and the opportunities as JSON lines on stdout (or --output).
    Replay(replay::ReplayArgs),
    /// Run the pipeline live and write a recording that `replay` processes offline.
    ///
    /// Records the configuration, every block and reorg processed, every chain response read
    /// and the opportunities emitted, until --blocks new blocks were processed or Ctrl-C.
    Record(record::RecordArgs),
}

/// Parses the command line, runs the command and turns any error into one line on stderr
/// and exit code 2.
pub(crate) fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => {
            let _ = LOG_FORMAT.set(cli.log_format);
            cli
        }
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            e.exit()
        }
        Err(e) => {
            eprintln!("mev-bot: error: {}", one_line(&e));
            return ExitCode::from(2);
        }
    };
    match dispatch(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mev-bot: error: {e}");
            ExitCode::from(2)
        }
    }
}

fn dispatch(command: Command) -> Result<()> {
    match command {
        Command::Decode(args) => decode::decode(args),
        Command::Discover(args) => discover::discover(args),
        Command::Health(args) => health::health(args),
        Command::Quote(args) => quote::quote(args),
        Command::Rebuild(args) => rebuild::rebuild(args),
        Command::Run(args) => run::run(args),
        Command::Replay(args) => replay::replay(args),
        Command::Record(args) => record::record(args),
    }
}

/// Clap's message on one line: the first line without its `error: ` prefix, followed by any
/// indented detail lines (missing arguments), without the usage and `--help` hints.
fn one_line(e: &clap::Error) -> String {
    let rendered = e.render().to_string();
    let mut parts = Vec::new();
    for line in rendered.lines() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if line.starts_with("Usage:") || line.starts_with("For more information") {
            break;
        }
        parts.push(line.strip_prefix("error: ").unwrap_or(line));
    }
    parts.join(" ")
}

/// The single-threaded runtime every async command runs on.
fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(CliError::io("starting the async runtime"))
}

/// Logs to stderr, filtered by `RUST_LOG` or else `default`.
fn init_tracing(default: &str) {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(io::stderr);
    let _ = match LOG_FORMAT.get().copied().unwrap_or(LogFormat::Text) {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.with_ansi(io::stderr().is_terminal()).try_init(),
    };
}
