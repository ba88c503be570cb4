//! The `mev-bot` command line.
// Doc comments in this file are clap help text shown in a terminal, not rustdoc.
#![allow(clippy::doc_markdown)]

use std::{
    fs::File,
    io::{self, BufReader, BufWriter, Write},
    path::PathBuf,
    process::ExitCode,
    sync::Arc,
};

use alloy_primitives::Address;
use clap::{Args, Parser, Subcommand, ValueEnum, error::ErrorKind};
use mev_bot::{
    BlockReport, BotConfig, BotError, Market, Opportunity, Pipeline, RECORDING_FORMAT, Recording,
    RecordingReader, Result, RpcChain, RunSummary, aave_health, decode_stream, rebuild, replay,
};
use mev_event_decoder::{Decoder, Protocol, Registry};
use mev_health_calc::AaveVersion;
use mev_position_cache::{
    FailoverPositionStore, InMemoryPositionStore, PositionStore, RedisConfig, RedisPositionStore,
    StoreError,
};
use mev_rebuild::{
    AaveV3Config, ChainReader, CompoundV2Config, RebuildConfig, RebuildError, RpcChainReader,
};
use serde::Serialize;

/// State caches for EVM MEV bots: decode logs, track pools and lending positions.
#[derive(Debug, Parser)]
#[command(name = "mev-bot", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Decode logs into typed events, one JSON object per log.
    ///
    /// Reads an eth_getLogs JSON array (or a JSON-RPC response holding one, or one log object
    /// per line) from FILE, or from standard input when FILE is absent or "-". Writes one line
    /// per log: {"address", "block_number", "transaction_hash", "log_index", "removed",
    /// "protocol", "event", "fields"}.
    Decode {
        /// The logs to decode; standard input when absent or "-".
        file: Option<PathBuf>,
        /// Register an emitter as a protocol (ADDRESS=PROTOCOL, e.g.
        /// 0x39AA39c021dfbaE8faC545936693aC917d5E7563=compound-v2); settles topic collisions
        /// such as cToken vs ERC-20 Transfer. Repeatable.
        #[arg(long = "emitter", value_name = "ADDRESS=PROTOCOL")]
        emitters: Vec<String>,
        /// Decode only registered emitters; others give "event": null.
        #[arg(long, requires = "emitters")]
        watched_only: bool,
    },
    /// Print one user's health factor, computed locally from per-reserve chain data.
    ///
    /// Reads the user's balances in every reserve (AaveProtocolDataProvider.getUserReserveData),
    /// the reserves' configuration and indexes, the oracle prices and the user's eMode through
    /// Multicall3 at one block, and computes the figures Pool.getUserAccountData would report
    /// with mev-health-calc. Prints one line: {"health_factor": "<WAD integer>",
    /// "total_collateral_base": "...", "total_debt_base": "...", "liquidatable": true|false};
    /// without debt the health factor is 2^256-1. Needs Multicall3 at its canonical address.
    Health {
        #[command(flatten)]
        chain: ChainArgs,
        #[command(flatten)]
        aave: AaveArgs,
        /// The user (borrower) to evaluate.
        #[arg(long, value_name = "ADDRESS")]
        user: Address,
        /// Block number to read at; the latest block when absent.
        #[arg(long, value_name = "N")]
        block: Option<u64>,
    },
    /// Rebuild a position cache from chain and print the report.
    ///
    /// Scans the market's Borrow logs from --from-block (or the store's checkpoint, if later) to
    /// --to-block, reads every borrower's position at --to-block with Multicall3 batches and
    /// writes those with debt to the store: in memory (the run's figures only), or Redis with
    /// --redis-url (resumable: a rerun continues from the checkpoint). Prints one line:
    /// {"protocol", "head_block", "blocks_scanned", "users_found", "positions_written",
    /// "positions_removed", "requests", "log_requests", "duration_ms"}.
    Rebuild {
        #[command(flatten)]
        chain: ChainArgs,
        #[command(flatten)]
        aave: AaveArgs,
        /// Compound v2 family: the Comptroller (Unitroller proxy).
        #[arg(long, value_name = "ADDRESS")]
        comptroller: Option<Address>,
        /// First block to scan (the market's deployment block); 0 when absent.
        #[arg(long, value_name = "N")]
        from_block: Option<u64>,
        /// Last block to scan and the block positions are read at; the latest when absent.
        #[arg(long, value_name = "N")]
        to_block: Option<u64>,
        /// Write to Redis at URL (redis://host:port[/db]) instead of an in-memory store.
        #[arg(long, value_name = "URL")]
        redis_url: Option<String>,
    },
    /// Run the pipeline live: follow new blocks and print opportunities.
    ///
    /// Bootstraps at the latest block (discovers every configured market's borrowers, reads
    /// their positions and every pool), then for each new block: fetches its logs, decodes them,
    /// updates the reserve cache, refreshes the touched positions, recomputes health and prints
    /// each Opportunity (a position unhealthy for the confirmation count) as one JSON line.
    /// ws:// URLs follow newHeads; http:// URLs poll. Missed blocks are back-filled; reorgs roll
    /// the caches back. Ctrl-C finishes the block in flight and exits 0.
    Run {
        /// JSON-RPC endpoint: http(s):// (polling) or ws(s):// (newHeads subscription).
        #[arg(long, value_name = "URL")]
        rpc_url: String,
        /// TOML file naming the markets, pools and price feeds to watch (see docs/operations.md).
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// Keep positions in Redis at URL (redis://, rediss://, redis-cluster://) instead of
        /// in memory.
        #[arg(long, value_name = "URL")]
        redis_url: Option<String>,
        /// Stop after this many blocks (default: run until Ctrl-C).
        #[arg(long, value_name = "N")]
        blocks: Option<u64>,
        /// Polling interval for http(s) endpoints, milliseconds.
        #[arg(long, value_name = "MS", default_value_t = 1000)]
        poll_ms: u64,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Replay a recording offline through the same pipeline (no node needed).
    ///
    /// Prints one progress line per block and a summary on stderr (blocks, logs decoded, pools
    /// tracked and reserve-cache hit rate, positions and their health factors, opportunities)
    /// and the opportunities as JSON lines on stdout (or --output).
    Replay {
        /// The recording (JSON, written by `mev-bot record`).
        file: PathBuf,
        /// Keep positions in Redis at URL instead of in memory.
        #[arg(long, value_name = "URL")]
        redis_url: Option<String>,
        /// Fail (exit 1) unless the replay emits exactly the opportunities the recorded live run
        /// emitted.
        #[arg(long)]
        check: bool,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Run the pipeline live and write a recording that `replay` processes offline.
    ///
    /// Records the configuration, every block and reorg processed, every chain response read
    /// and the opportunities emitted, until --blocks new blocks were processed or Ctrl-C.
    Record {
        /// JSON-RPC endpoint, as for `run`.
        #[arg(long, value_name = "URL")]
        rpc_url: String,
        /// TOML file naming the markets, pools and price feeds to watch.
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// Where to write the recording (JSON).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Stop after this many blocks (default: until Ctrl-C).
        #[arg(long, value_name = "N")]
        blocks: Option<u64>,
        /// Polling interval for http(s) endpoints, milliseconds.
        #[arg(long, value_name = "MS", default_value_t = 1000)]
        poll_ms: u64,
        /// Text stored in the recording describing the scenario.
        #[arg(long, default_value = "")]
        description: String,
    },
}

/// Where results go.
#[derive(Debug, Args)]
struct OutputArgs {
    /// Write opportunities (JSON lines) to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Serve Prometheus metrics on ADDR (e.g. 127.0.0.1:9100).
    #[arg(long, value_name = "ADDR")]
    metrics_addr: Option<std::net::SocketAddr>,
}

/// Where the chain is and which protocol family to read.
#[derive(Debug, Args)]
struct ChainArgs {
    /// JSON-RPC endpoint, http:// or https://.
    #[arg(long, value_name = "URL")]
    rpc_url: String,
    /// The lending protocol family.
    #[arg(long, value_enum)]
    protocol: ProtocolArg,
}

/// An Aave V3 family market.
#[derive(Debug, Args)]
struct AaveArgs {
    /// Aave V3 family: the Pool proxy.
    #[arg(long, value_name = "ADDRESS")]
    pool: Option<Address>,
    /// Aave V3 family: the AaveProtocolDataProvider.
    #[arg(long, value_name = "ADDRESS")]
    data_provider: Option<Address>,
    /// Aave V3 family: the pool's release, which selects the arithmetic.
    #[arg(long, value_enum, default_value = "3.0", value_name = "VERSION")]
    aave_version: VersionArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ProtocolArg {
    /// Aave V3 family (Aave 3.0-3.5, Seamless, Spark); needs --pool and --data-provider.
    AaveV3,
    /// Compound v2 family (Compound, Moonwell); needs --comptroller. Rebuild only.
    CompoundV2,
}

impl ProtocolArg {
    const fn as_str(self) -> &'static str {
        match self {
            Self::AaveV3 => "aave-v3",
            Self::CompoundV2 => "compound-v2",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum VersionArg {
    #[value(name = "3.0")]
    V3_0,
    #[value(name = "3.1")]
    V3_1,
    #[value(name = "3.2")]
    V3_2,
    #[value(name = "3.3")]
    V3_3,
    #[value(name = "3.4")]
    V3_4,
    #[value(name = "3.5")]
    V3_5,
}

impl From<VersionArg> for AaveVersion {
    fn from(v: VersionArg) -> Self {
        match v {
            VersionArg::V3_0 => Self::V3_0,
            VersionArg::V3_1 => Self::V3_1,
            VersionArg::V3_2 => Self::V3_2,
            VersionArg::V3_3 => Self::V3_3,
            VersionArg::V3_4 => Self::V3_4,
            VersionArg::V3_5 => Self::V3_5,
        }
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            e.exit()
        }
        Err(e) => {
            eprintln!("mev-bot: error: {}", one_line(&e));
            return ExitCode::from(2);
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mev-bot: error: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Run { rpc_url, config, redis_url, blocks, poll_ms, output } => {
            let config = BotConfig::load(&config)?;
            runtime()?.block_on(async {
                init_tracing("info");
                serve_metrics(&output)?;
                let mut sink = OpportunitySink::open(output.output.as_deref())?;
                let chain = rpc_chain(&rpc_url).await?;
                let store = failover_store(redis_url).await?;
                let reader: Arc<dyn ChainReader> = chain.reader();
                let mut pipeline =
                    Pipeline::from_config(&config, reader.clone(), store, &chain).await?;
                let mut all = Vec::new();
                follow(
                    &mut pipeline,
                    &chain,
                    blocks,
                    poll_ms,
                    |_| {},
                    |r| {
                        progress(r);
                        all.extend(r.opportunities.iter().cloned());
                        sink.write(&r.opportunities)
                    },
                )
                .await?;
                print_summary(&RunSummary::of(&pipeline, all, reader.requests()));
                Ok(())
            })
        }
        Command::Record { rpc_url, config, out, blocks, poll_ms, description } => {
            let config = BotConfig::load(&config)?;
            runtime()?.block_on(async {
                init_tracing("info");
                let chain = rpc_chain(&rpc_url).await?;
                let recorder = Arc::new(RecordingReader::new(chain.reader()));
                let store: Arc<dyn PositionStore> = Arc::new(InMemoryPositionStore::new());
                let mut pipeline =
                    Pipeline::from_config(&config, recorder.clone(), store, &chain).await?;
                let start = pipeline.head().ok_or(BotError::Config {
                    reason: "the pipeline has no head after bootstrap".into(),
                })?;
                let mut events = Vec::new();
                let mut opportunities = Vec::new();
                follow(
                    &mut pipeline,
                    &chain,
                    blocks,
                    poll_ms,
                    |e| events.push(e.clone()),
                    |r| {
                        progress(r);
                        opportunities.extend(r.opportunities.iter().cloned());
                        Ok(())
                    },
                )
                .await?;
                let (calls, log_queries) = recorder.take();
                let recording = Recording {
                    format: RECORDING_FORMAT,
                    description,
                    config,
                    start,
                    events,
                    calls,
                    log_queries,
                    opportunities,
                };
                recording.save(&out)?;
                eprintln!(
                    "recorded {} events, {} calls, {} opportunities to {}",
                    recording.events.len(),
                    recording.calls.len(),
                    recording.opportunities.len(),
                    out.display()
                );
                Ok(())
            })
        }
        Command::Replay { file, redis_url, check, output } => {
            let recording = Recording::load(&file)?;
            let mismatch = runtime()?.block_on(async {
                init_tracing("warn");
                serve_metrics(&output)?;
                let mut sink = OpportunitySink::open(output.output.as_deref())?;
                let store = open_store(redis_url).await?;
                eprintln!(
                    "replaying {}: {} events from block {}{}",
                    file.display(),
                    recording.events.len(),
                    recording.start.number,
                    if recording.description.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", recording.description)
                    }
                );
                let mut write_err = None;
                let (pipeline, opportunities, requests) = replay(&recording, store, |r| {
                    progress(r);
                    if let Err(e) = sink.write(&r.opportunities) {
                        write_err.get_or_insert(e);
                    }
                })
                .await?;
                if let Some(e) = write_err {
                    return Err(e);
                }
                print_summary(&RunSummary::of(&pipeline, opportunities.clone(), requests));
                Ok(opportunities != recording.opportunities)
            })?;
            if check && mismatch {
                return Err(BotError::Recording {
                    path: file.display().to_string(),
                    reason: "the replay's opportunities differ from the recorded live run's".into(),
                });
            }
            if mismatch {
                eprintln!("note: the opportunities differ from the recorded live run's");
            } else {
                eprintln!("the opportunities equal the recorded live run's");
            }
            Ok(())
        }
        Command::Decode { file, emitters, watched_only } => {
            let registry = parse_emitters(&emitters)?;
            let decoder = Decoder::with_registry(registry).watched_only(watched_only);
            let stdout = io::stdout().lock();
            let out = BufWriter::new(stdout);
            match file.filter(|f| f.as_os_str() != "-") {
                Some(path) => {
                    let f = File::open(&path).map_err(|source| BotError::Io {
                        context: format!("opening {}", path.display()),
                        source,
                    })?;
                    decode_stream(&decoder, BufReader::new(f), out)?;
                }
                None => {
                    decode_stream(&decoder, io::stdin().lock(), out)?;
                }
            }
            Ok(())
        }
        Command::Health { chain, aave, user, block } => {
            if chain.protocol != ProtocolArg::AaveV3 {
                return Err(BotError::UnsupportedProtocol {
                    command: "health",
                    protocol: chain.protocol.as_str(),
                    supported: "aave-v3",
                });
            }
            let reader = chain_reader(&chain.rpc_url)?;
            let config = aave_config(&aave, None)?;
            let health = runtime()?.block_on(aave_health(&reader, config, user, block))?;
            print_json(&health)
        }
        Command::Rebuild { chain, aave, comptroller, from_block, to_block, redis_url } => {
            let reader: Arc<dyn ChainReader> = Arc::new(chain_reader(&chain.rpc_url)?);
            let start_block = from_block.unwrap_or(0);
            let market = match chain.protocol {
                ProtocolArg::AaveV3 => {
                    if comptroller.is_some() {
                        return Err(not_for("--comptroller", ProtocolArg::AaveV3));
                    }
                    Market::AaveV3(aave_config(&aave, Some(start_block))?)
                }
                ProtocolArg::CompoundV2 => {
                    if aave.pool.is_some() {
                        return Err(not_for("--pool", ProtocolArg::CompoundV2));
                    }
                    if aave.data_provider.is_some() {
                        return Err(not_for("--data-provider", ProtocolArg::CompoundV2));
                    }
                    let comptroller = comptroller.ok_or(BotError::MissingArgument {
                        what: "--comptroller",
                        protocol: "compound-v2",
                    })?;
                    Market::CompoundV2(CompoundV2Config {
                        comptroller,
                        start_block,
                        ..CompoundV2Config::default()
                    })
                }
            };
            if let (Some(from), Some(to)) = (from_block, to_block)
                && from > to
            {
                return Err(BotError::InvalidArgument {
                    what: "--to-block",
                    reason: format!("{to} is below --from-block {from}"),
                });
            }
            let config = RebuildConfig { to_block, ..RebuildConfig::default() };
            let summary = runtime()?.block_on(async {
                let store: Box<dyn PositionStore> = match redis_url {
                    Some(url) => Box::new(redis_store(url).await?),
                    None => Box::new(InMemoryPositionStore::new()),
                };
                rebuild(reader, market, config, &*store).await
            })?;
            print_json(&summary)
        }
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

fn not_for(what: &'static str, protocol: ProtocolArg) -> BotError {
    BotError::InvalidArgument {
        what,
        reason: format!("does not apply to --protocol {}", protocol.as_str()),
    }
}

fn aave_config(aave: &AaveArgs, start_block: Option<u64>) -> Result<AaveV3Config> {
    let missing = |what| BotError::MissingArgument { what, protocol: "aave-v3" };
    Ok(AaveV3Config {
        pool: aave.pool.ok_or(missing("--pool"))?,
        data_provider: aave.data_provider.ok_or(missing("--data-provider"))?,
        version: aave.aave_version.into(),
        start_block: start_block.unwrap_or(0),
        ..AaveV3Config::default()
    })
}

fn chain_reader(url: &str) -> Result<RpcChainReader> {
    let invalid = |reason: String| BotError::InvalidArgument { what: "--rpc-url", reason };
    let scheme = url.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
    if !matches!(scheme.as_deref(), Some("http" | "https")) {
        return Err(invalid(format!("{url:?} is not an http:// or https:// URL")));
    }
    RpcChainReader::http(url).map_err(|e| match e {
        RebuildError::Config { reason, .. } => invalid(reason),
        other => BotError::Chain { context: "connecting".into(), source: other.into() },
    })
}

fn check_redis_scheme(url: &str) -> Result<()> {
    let scheme = url.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
    if !matches!(
        scheme.as_deref(),
        Some("redis" | "rediss" | "redis-cluster" | "rediss-cluster" | "redis-sentinel")
    ) {
        return Err(BotError::InvalidArgument {
            what: "--redis-url",
            reason: format!("{url:?} is not a redis:// (or rediss://, redis-cluster://) URL"),
        });
    }
    Ok(())
}

async fn redis_store(url: String) -> Result<RedisPositionStore> {
    check_redis_scheme(&url)?;
    RedisPositionStore::connect(RedisConfig::new(url.clone()))
        .await
        .map_err(|e| redis_error(&url, e))
}

/// A Redis connection error: a bad URL is an argument error, anything else a store error.
fn redis_error(url: &str, e: StoreError) -> BotError {
    match e {
        StoreError::Config { reason, .. } => {
            BotError::InvalidArgument { what: "--redis-url", reason: format!("{url:?}: {reason}") }
        }
        source => BotError::Store {
            context: format!("connecting to Redis (--redis-url {url})"),
            source: source.into(),
        },
    }
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|source| BotError::Io { context: "starting the async runtime".into(), source })
}

fn print_json<T: Serialize>(value: &T) -> Result<()> {
    let io_err = |source| BotError::Io { context: "writing output".into(), source };
    let mut line = serde_json::to_vec(value).map_err(|e| io_err(e.into()))?;
    line.push(b'\n');
    let mut stdout = io::stdout().lock();
    stdout.write_all(&line).and_then(|()| stdout.flush()).map_err(io_err)
}

fn parse_emitters(specs: &[String]) -> Result<Registry> {
    let mut registry = Registry::new();
    for spec in specs {
        let invalid = |reason: String| BotError::InvalidArgument { what: "--emitter", reason };
        let (addr, proto) = spec
            .split_once('=')
            .ok_or_else(|| invalid(format!("{spec:?} is not ADDRESS=PROTOCOL")))?;
        let address: Address =
            addr.parse().map_err(|e| invalid(format!("{addr:?} is not an address: {e}")))?;
        let protocol: Protocol = proto.parse().map_err(|e| invalid(format!("{e}")))?;
        registry.insert(address, protocol);
    }
    Ok(registry)
}

async fn rpc_chain(url: &str) -> Result<RpcChain> {
    let scheme = url.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
    if !matches!(scheme.as_deref(), Some("http" | "https" | "ws" | "wss")) {
        return Err(BotError::InvalidArgument {
            what: "--rpc-url",
            reason: format!("{url:?} is not an http(s):// or ws(s):// URL"),
        });
    }
    RpcChain::connect(url).await.map_err(|e| match e {
        RebuildError::Config { reason, .. } => {
            BotError::InvalidArgument { what: "--rpc-url", reason }
        }
        other => BotError::Chain { context: "connecting".into(), source: other.into() },
    })
}

/// Redis behind a failover to memory (`run`): an outage never stops the pipeline, and what
/// changed meanwhile is written back on reconnect.
async fn failover_store(redis_url: Option<String>) -> Result<Arc<dyn PositionStore>> {
    let Some(url) = redis_url else {
        return Ok(Arc::new(InMemoryPositionStore::new()));
    };
    check_redis_scheme(&url)?;
    let store = FailoverPositionStore::connect(RedisConfig::new(url.clone()))
        .await
        .map_err(|e| redis_error(&url, e))?;
    if let Err(e) = store.primary().ping().await {
        tracing::warn!(error = %e, "Redis does not answer; positions stay in memory until it does");
    }
    Ok(Arc::new(store))
}

async fn open_store(redis_url: Option<String>) -> Result<Arc<dyn PositionStore>> {
    Ok(match redis_url {
        Some(url) => Arc::new(redis_store(url).await?),
        None => Arc::new(InMemoryPositionStore::new()),
    })
}

fn init_tracing(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(io::stderr).try_init();
}

fn serve_metrics(output: &OutputArgs) -> Result<()> {
    if let Some(addr) = output.metrics_addr {
        mev_bot::telemetry::serve_prometheus(addr)?;
        tracing::info!(%addr, "serving Prometheus metrics");
    }
    Ok(())
}

/// Follows the chain: processes every block past the pipeline's head, then waits for the
/// next; stops after `limit` blocks or at Ctrl-C (after the block in flight).
async fn follow(
    pipeline: &mut Pipeline,
    chain: &RpcChain,
    limit: Option<u64>,
    poll_ms: u64,
    mut on_event: impl FnMut(&mev_bot::ChainEvent),
    mut on_report: impl FnMut(&BlockReport) -> Result<()>,
) -> Result<()> {
    // Ctrl-C sets the flag (checked between blocks) and wakes the wait for the next head; a
    // `Notify` permit is kept if nobody is waiting yet, so the signal is never missed.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let wake = Arc::new(tokio::sync::Notify::new());
    let (flag, waker) = (stop.clone(), wake.clone());
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            flag.store(true, std::sync::atomic::Ordering::SeqCst);
            waker.notify_one();
        }
    });
    let poll = std::time::Duration::from_millis(poll_ms.max(1));
    let mut blocks = 0u64;
    loop {
        if stop.load(std::sync::atomic::Ordering::SeqCst) || limit.is_some_and(|l| blocks >= l) {
            break;
        }
        match pipeline.sync_step(chain, &mut on_event).await? {
            Some(report) => {
                if !report.reorg {
                    blocks += 1;
                }
                on_report(&report)?;
            }
            None => {
                tokio::select! {
                    () = chain.wait_for_head(poll) => {}
                    () = wake.notified() => {}
                }
            }
        }
    }
    tracing::info!(blocks, "stopped; every write of the last block is in the store");
    Ok(())
}

fn progress(r: &BlockReport) {
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
        let users: Vec<String> =
            r.opportunities.iter().map(|o| format!("{}:{}", o.protocol, o.user)).collect();
        format!("  OPPORTUNITY {}", users.join(", "))
    };
    eprintln!(
        "block {:>6}: {:>3} logs, {:>3} decoded, pools {:>2} updated {:>2} read, positions {:>3} refreshed {:>3} repriced {:>2} removed, {:>6} us (+{} reconciled after){opportunities}",
        r.block,
        r.logs,
        r.decoded,
        r.pools_updated,
        r.pools_fetched,
        r.positions_refreshed,
        r.positions_repriced,
        r.positions_removed,
        r.micros,
        r.positions_reconciled,
    );
}

fn print_summary(s: &RunSummary) {
    let wad = alloy_primitives::U256::from(1_000_000_000_000_000_000u64);
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
        let hf = if p.health_factor == alloy_primitives::U256::MAX {
            "inf".to_owned()
        } else {
            let int = p.health_factor / wad;
            let frac =
                (p.health_factor % wad) / alloy_primitives::U256::from(100_000_000_000_000u64);
            format!("{int}.{frac:04}")
        };
        eprintln!(
            "    {} {}  HF {hf}  unhealthy {} blocks",
            p.protocol, p.user, p.blocks_unhealthy
        );
    }
    eprintln!("  opportunities        {}", s.opportunities.len());
    for o in &s.opportunities {
        eprintln!("    block {} {} {}", o.block, o.protocol, o.user);
    }
}

/// Opportunities as JSON lines, to stdout or a file.
struct OpportunitySink {
    out: Box<dyn Write>,
}

impl OpportunitySink {
    fn open(path: Option<&std::path::Path>) -> Result<Self> {
        let out: Box<dyn Write> = match path {
            Some(p) => Box::new(BufWriter::new(File::create(p).map_err(|source| {
                BotError::Io { context: format!("creating {}", p.display()), source }
            })?)),
            None => Box::new(io::stdout()),
        };
        Ok(Self { out })
    }

    fn write(&mut self, opportunities: &[Opportunity]) -> Result<()> {
        let io_err = |source| BotError::Io { context: "writing opportunities".into(), source };
        for o in opportunities {
            let mut line = serde_json::to_vec(o).map_err(|e| io_err(e.into()))?;
            line.push(b'\n');
            self.out.write_all(&line).map_err(io_err)?;
        }
        self.out.flush().map_err(io_err)
    }
}
