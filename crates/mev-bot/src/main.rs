//! The `mev-bot` command line.
// Doc comments in this file are clap help text shown in a terminal, not rustdoc.
#![allow(clippy::doc_markdown)]

use std::{
    fs::File,
    io::{self, BufReader, BufWriter},
    path::PathBuf,
    process::ExitCode,
};

use alloy_primitives::Address;
use clap::{Parser, Subcommand};
use mev_bot::{BotError, Result, decode_stream};
use mev_event_decoder::{Decoder, Protocol, Registry};

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
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
    }
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
