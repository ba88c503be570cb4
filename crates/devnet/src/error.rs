//! The crate's error type.

use std::{path::PathBuf, time::Duration};

use alloy_primitives::{Address, B256};
use alloy_provider::transport::TransportError;

/// The command that installs the devnet's pinned npm packages (anvil and the contract artifacts).
pub const SETUP_COMMAND: &str = "bash scripts/devnet-setup";

/// A `Result` whose error defaults to [`DevnetError`].
pub type Result<T, E = DevnetError> = std::result::Result<T, E>;

/// Everything that can go wrong while starting the devnet, deploying contracts or driving them.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DevnetError {
    /// The anvil binary is not where the pinned npm package puts it.
    #[error(
        "anvil binary not found at {}: install the devnet's pinned npm packages with \
         `{SETUP_COMMAND}` (runs `npm ci` in devnet/), or point `DevnetBuilder::anvil` at an \
         anvil 1.7.x binary",
        path.display()
    )]
    AnvilNotInstalled {
        /// Where the binary was expected.
        path: PathBuf,
    },
    /// A contract artifact (or viem's Multicall3 constants) is missing from `node_modules`.
    #[error(
        "contract artifact not found at {}: install the devnet's pinned npm packages with \
         `{SETUP_COMMAND}` (runs `npm ci` in devnet/)",
        path.display()
    )]
    ArtifactNotFound {
        /// The file that was expected.
        path: PathBuf,
    },
    /// A file could not be read.
    #[error("could not read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// An artifact exists but does not have the shape this crate expects.
    #[error("artifact {} is not usable: {reason}", path.display())]
    InvalidArtifact {
        /// The artifact file.
        path: PathBuf,
        /// What was wrong with it.
        reason: String,
    },
    /// An artifact references a library for which no address was supplied.
    #[error("artifact {} needs library `{library}` but no address was given for it", path.display())]
    MissingLibrary {
        /// The artifact file.
        path: PathBuf,
        /// The library's contract name.
        library: String,
    },
    /// No free loopback port could be reserved for anvil.
    #[error("could not reserve a free loopback port for anvil: {source}")]
    Port {
        /// The I/O error from binding `127.0.0.1:0`.
        source: std::io::Error,
    },
    /// The fault proxy could not listen.
    #[error("fault proxy: {source}")]
    Proxy {
        /// The I/O error.
        source: std::io::Error,
    },
    /// The anvil process could not be spawned.
    #[error("could not spawn anvil at {}: {source}", path.display())]
    Spawn {
        /// The binary that was run.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// anvil exited before it answered RPC requests.
    #[error("anvil exited before answering on {url} ({status}); its stderr: {stderr}")]
    AnvilExited {
        /// The URL anvil was meant to serve.
        url: String,
        /// How it exited.
        status: String,
        /// What it printed on stderr (truncated).
        stderr: String,
    },
    /// anvil did not answer within the startup timeout.
    #[error("anvil did not answer on {url} within {waited:?}")]
    StartupTimeout {
        /// The URL anvil was meant to serve.
        url: String,
        /// How long the harness waited.
        waited: Duration,
    },
    /// A JSON-RPC request failed (for a transaction: usually the revert reason from gas estimation).
    #[error("RPC `{what}` failed: {source}")]
    Rpc {
        /// The request or contract call that failed, e.g. `supply(address,uint256,address,uint16)`.
        what: String,
        /// The transport or JSON-RPC error.
        source: TransportError,
    },
    /// A transaction was mined but reverted (status 0).
    #[error("transaction {tx_hash} (`{what}`) reverted in block {block:?}: {reason}")]
    Reverted {
        /// The call that reverted.
        what: String,
        /// The transaction hash.
        tx_hash: B256,
        /// The block it was mined in.
        block: Option<u64>,
        /// The revert reason from replaying the call on the parent block's state (for a
        /// transaction that shared its block with earlier ones, the replay may differ).
        reason: String,
    },
    /// A transaction was sent but no receipt appeared in time.
    #[error("no receipt for transaction {tx_hash} (`{what}`) after {waited:?}")]
    NoReceipt {
        /// The call that was sent.
        what: String,
        /// The transaction hash.
        tx_hash: B256,
        /// How long the harness waited.
        waited: Duration,
    },
    /// A contract creation's receipt carried no contract address.
    #[error("deployment `{what}` in transaction {tx_hash} returned no contract address")]
    NoContractAddress {
        /// What was deployed.
        what: String,
        /// The transaction hash.
        tx_hash: B256,
    },
    /// A call's return data or an event could not be ABI-decoded.
    #[error("could not decode `{what}`: {source}")]
    Decode {
        /// The call or event.
        what: String,
        /// The ABI error.
        source: alloy_sol_types::Error,
    },
    /// `evm_revert` refused a snapshot id (unknown or already reverted).
    #[error("anvil could not revert to snapshot {id}")]
    SnapshotRevert {
        /// The snapshot id.
        id: String,
    },
    /// An asset is not one of the Aave market's reserves.
    #[error("{asset} is not a reserve of this Aave market")]
    UnknownReserve {
        /// The asset address.
        asset: Address,
    },
    /// An argument was out of range or inconsistent.
    #[error("invalid input for {what}: {reason}")]
    InvalidInput {
        /// The operation.
        what: &'static str,
        /// What was wrong.
        reason: String,
    },
}

impl DevnetError {
    /// Wraps a transport error with the name of the request that failed.
    pub(crate) fn rpc(what: impl Into<String>, source: TransportError) -> Self {
        Self::Rpc { what: what.into(), source }
    }

    /// The revert data of a call that reverted: the JSON-RPC error's `data` of an
    /// [`DevnetError::Rpc`] (e.g. from [`Devnet::call`](crate::Devnet::call)), ABI-encoded
    /// (a custom error's selector and arguments, or `Error(string)`). `None` for other errors
    /// and for reverts without data ([`DevnetError::Reverted`] only keeps the reason text).
    pub fn revert_data(&self) -> Option<alloy_primitives::Bytes> {
        match self {
            Self::Rpc { source, .. } => {
                source.as_error_resp().and_then(|payload| payload.as_revert_data())
            }
            _ => None,
        }
    }
}
