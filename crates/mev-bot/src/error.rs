//! The bot's error type.

/// The result type of this crate.
pub type Result<T, E = BotError> = std::result::Result<T, E>;

/// What stopped a `mev-bot` command.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BotError {
    /// The input is not JSON.
    #[error("input is not JSON: {source}")]
    NotJson {
        /// The parser's complaint, with line and column.
        #[source]
        source: serde_json::Error,
    },
    /// The input is JSON but an item is not an `eth_getLogs` log object.
    #[error("item {index} of the input is not a log object: {source}")]
    NotALog {
        /// Zero-based position of the item in the input.
        index: usize,
        /// What was wrong with it.
        #[source]
        source: serde_json::Error,
    },
    /// Reading input or writing output failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being read or written.
        context: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A command-line value is invalid.
    #[error("invalid {what}: {reason}")]
    InvalidArgument {
        /// Which argument.
        what: &'static str,
        /// Why it was rejected.
        reason: String,
    },
    /// A command-line argument the chosen protocol needs is absent.
    #[error("{protocol} needs {what}")]
    MissingArgument {
        /// Which argument.
        what: &'static str,
        /// The protocol that needs it.
        protocol: &'static str,
    },
    /// The command does not support the chosen protocol.
    #[error("`{command}` does not support --protocol {protocol}; supported: {supported}")]
    UnsupportedProtocol {
        /// The subcommand.
        command: &'static str,
        /// The protocol asked for.
        protocol: &'static str,
        /// The protocols the command supports, comma-separated.
        supported: &'static str,
    },
    /// Reading the chain or rebuilding the cache failed.
    #[error("{context}: {source}")]
    Chain {
        /// What was being done.
        context: String,
        /// The error from mev-rebuild (boxed: it is large).
        #[source]
        source: Box<mev_rebuild::RebuildError>,
    },
    /// mev-health-calc rejected a position read from chain.
    #[error("health computation for {user} failed: {source}")]
    Health {
        /// The user whose position was evaluated.
        user: alloy_primitives::Address,
        /// The calculator's error (boxed: it is large).
        #[source]
        source: Box<mev_health_calc::HealthError>,
    },
    /// Connecting to or using the position store failed.
    #[error("{context}: {source}")]
    Store {
        /// What was being done.
        context: String,
        /// The store's error (boxed: it is large).
        #[source]
        source: Box<mev_position_cache::StoreError>,
    },
    /// The configuration file is invalid.
    #[error("invalid configuration: {reason}")]
    Config {
        /// What is wrong, naming the key.
        reason: String,
    },
    /// The chain reorganised deeper than the pipeline keeps history for.
    #[error(
        "reorg deeper than the {kept} blocks kept: no common ancestor at or above block {oldest}; rebuild the caches"
    )]
    ReorgTooDeep {
        /// Blocks of history kept (`pipeline.max_reorg_depth`).
        kept: usize,
        /// The oldest block still kept, block number.
        oldest: u64,
    },
    /// A block does not extend the pipeline's head.
    #[error(
        "block {number} does not follow block {head} (hash {head_hash}); expected a reorg first"
    )]
    NotChild {
        /// The block offered, block number.
        number: u64,
        /// The pipeline's head, block number.
        head: u64,
        /// The head's hash.
        head_hash: alloy_primitives::B256,
    },
    /// A recording file is unreadable or inconsistent.
    #[error("recording {path}: {reason}")]
    Recording {
        /// The file.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
}
