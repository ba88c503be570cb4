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
}
