//! Argument groups shared by several subcommands ([`RpcArgs`], [`ChainArgs`], [`AaveArgs`],
//! [`OutputArgs`]) and their value enums, with the checks that turn them into library
//! configuration.

use std::{net::SocketAddr, path::PathBuf};

use alloy_primitives::Address;
use alloy_provider::RootProvider;
use clap::{Args, ValueEnum};
use mev_chain::{ProviderChain, redact};
use mev_health_calc::AaveVersion;
use mev_rebuild::AaveV3Config;

use super::error::{CliError, Result};

/// Where results go.
#[derive(Debug, Args)]
pub(super) struct OutputArgs {
    /// Write opportunities (JSON lines) to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub(super) output: Option<PathBuf>,
    /// Serve Prometheus metrics on ADDR (e.g. 127.0.0.1:9100).
    #[arg(long, value_name = "ADDR")]
    pub(super) metrics_addr: Option<SocketAddr>,
}

/// Where the chain is and which protocol family to read.
#[derive(Debug, Args)]
pub(super) struct ChainArgs {
    #[command(flatten)]
    pub(super) rpc: RpcArgs,
    /// The lending protocol family.
    #[arg(long, value_enum)]
    pub(super) protocol: ProtocolArg,
}

impl ChainArgs {
    /// A reader of `--rpc-url` ([`RpcArgs::http_reader`]).
    pub(super) fn http_reader(&self) -> Result<HttpChain> {
        self.rpc.http_reader()
    }
}

/// One JSON-RPC endpoint read over HTTP (`health`, `rebuild`, `quote`).
#[derive(Debug, Args)]
pub(super) struct RpcArgs {
    /// JSON-RPC endpoint, http:// or https://. Also MEV_BOT_RPC_URL.
    #[arg(long, value_name = "URL", env = "MEV_BOT_RPC_URL", hide_env_values = true)]
    pub(super) rpc_url: String,
}

/// A chain read over HTTP (`health`, `rebuild`, `quote`).
pub(super) type HttpChain = ProviderChain<RootProvider>;

impl RpcArgs {
    /// A reader of `--rpc-url`, which must be an `http://` or `https://` URL. Errors show the
    /// URL [redacted](redact): scheme and host only.
    pub(super) fn http_reader(&self) -> Result<HttpChain> {
        let invalid = |reason: String| CliError::InvalidArgument { what: "--rpc-url", reason };
        let shown = redact(&self.rpc_url);
        let scheme = self.rpc_url.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
        if !matches!(scheme.as_deref(), Some("http" | "https")) {
            return Err(invalid(format!("{shown:?} is not an http:// or https:// URL")));
        }
        let url =
            self.rpc_url.parse().map_err(|e| invalid(format!("{shown:?} is not a URL: {e}")))?;
        Ok(ProviderChain::new(RootProvider::new_http(url)))
    }
}

/// An Aave V3 family market.
#[derive(Debug, Args)]
pub(super) struct AaveArgs {
    /// Aave V3 family: the Pool proxy.
    #[arg(long, value_name = "ADDRESS")]
    pub(super) pool: Option<Address>,
    /// Aave V3 family: the AaveProtocolDataProvider.
    #[arg(long, value_name = "ADDRESS")]
    pub(super) data_provider: Option<Address>,
    /// Aave V3 family: the pool's release, which selects the arithmetic. Detected from the
    /// pool when omitted; when given, it overrides the detected release (with a warning when
    /// they differ).
    #[arg(long, value_enum, value_name = "VERSION")]
    pub(super) aave_version: Option<VersionArg>,
}

impl AaveArgs {
    /// The market's configuration; `--pool` and `--data-provider` are required.
    pub(super) fn config(&self, start_block: Option<u64>) -> Result<AaveV3Config> {
        let missing = |what| CliError::MissingArgument { what, protocol: "aave-v3" };
        Ok(AaveV3Config {
            pool: self.pool.ok_or(missing("--pool"))?,
            data_provider: self.data_provider.ok_or(missing("--data-provider"))?,
            version: self.aave_version.map(Into::into),
            start_block: start_block.unwrap_or(0),
            ..AaveV3Config::default()
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(super) enum ProtocolArg {
    /// Aave V3 family (Aave 3.0-3.6, Seamless, Spark); needs --pool and --data-provider.
    AaveV3,
    /// Compound v2 family (Compound, Moonwell); needs --comptroller. Rebuild only.
    CompoundV2,
}

impl ProtocolArg {
    pub(super) const fn as_str(self) -> &'static str {
        match self {
            Self::AaveV3 => "aave-v3",
            Self::CompoundV2 => "compound-v2",
        }
    }

    /// The error for an argument `what` given with this protocol, which does not use it.
    pub(super) fn not_for(self, what: &'static str) -> CliError {
        CliError::InvalidArgument {
            what,
            reason: format!("does not apply to --protocol {}", self.as_str()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(super) enum VersionArg {
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
    #[value(name = "3.6")]
    V3_6,
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
            VersionArg::V3_6 => Self::V3_6,
        }
    }
}
