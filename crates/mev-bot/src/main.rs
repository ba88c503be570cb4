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
use mev_bot::{BotError, Market, Result, aave_health, decode_stream, rebuild};
use mev_event_decoder::{Decoder, Protocol, Registry};
use mev_health_calc::AaveVersion;
use mev_position_cache::{
    InMemoryPositionStore, PositionStore, RedisConfig, RedisPositionStore, StoreError,
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

async fn redis_store(url: String) -> Result<RedisPositionStore> {
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
    RedisPositionStore::connect(RedisConfig::new(url.clone())).await.map_err(|e| match e {
        StoreError::Config { reason, .. } => {
            BotError::InvalidArgument { what: "--redis-url", reason: format!("{url:?}: {reason}") }
        }
        source => BotError::Store {
            context: format!("connecting to Redis (--redis-url {url})"),
            source: source.into(),
        },
    })
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
