//! The pipeline's error type.

use alloy_primitives::B256;
use mev_chain::ChainError;
use mev_position_cache::StoreError;
use mev_rebuild::RebuildError;
use mev_reserve_cache::ReserveError;

/// The result type of this crate.
pub type Result<T, E = BotError> = std::result::Result<T, E>;

/// What stopped the pipeline, a replay or a recording.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BotError {
    /// A chain read failed (the follower's head, header and log reads).
    #[error("{context}: {source}")]
    Chain {
        /// What was being read.
        context: String,
        /// The classified chain error.
        #[source]
        source: ChainError,
    },
    /// A lending market could not be connected or read (reserve lists, prices, positions,
    /// borrower discovery).
    #[error("{context}: {source}")]
    Market {
        /// What was being done, naming the market.
        context: String,
        /// mev-rebuild's error (boxed: it is large).
        #[source]
        source: Box<RebuildError>,
    },
    /// A pool could not be read at bootstrap.
    #[error("{context}: {source}")]
    Pool {
        /// What was being done.
        context: String,
        /// The reserve cache's error.
        #[source]
        source: ReserveError,
    },
    /// The position store failed.
    #[error("{context}: {source}")]
    Store {
        /// What was being done.
        context: String,
        /// The store's error (boxed: it is large).
        #[source]
        source: Box<StoreError>,
    },
    /// The node does not have a block the pipeline needs (its latest, at start).
    #[error("the node does not have block {number}")]
    MissingBlock {
        /// The block number.
        number: u64,
    },
    /// The configuration is invalid.
    #[error("invalid configuration: {reason}")]
    Config {
        /// What is wrong, naming the key.
        reason: String,
    },
    /// An endpoint URL is unusable.
    #[error("invalid {what} URL {url}: {reason}")]
    Url {
        /// Which endpoint (`"RPC"`).
        what: &'static str,
        /// The URL, with its path and credentials redacted.
        url: String,
        /// Why.
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
        head_hash: B256,
    },
    /// Reading or writing a file failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being read or written.
        context: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
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

impl BotError {
    /// Whether the same step can succeed if tried again later: a chain read that failed with a
    /// [retryable](ChainError::is_retryable) error (directly, or inside a market's or a pool's
    /// read), or a store that is unreachable. A follower backs off and tries the block again;
    /// the pipeline is left as it was before the block.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Chain { source, .. } => source.is_retryable(),
            Self::Market { source, .. } => match &**source {
                RebuildError::Chain(e) => e.is_retryable(),
                RebuildError::LogRange { .. } => true,
                RebuildError::Store(e) => e.is_unavailable(),
                _ => false,
            },
            Self::Pool { source, .. } => match source {
                ReserveError::Chain { source, .. } => source.is_retryable(),
                ReserveError::Timeout { .. } => true,
                _ => false,
            },
            Self::Store { source, .. } => source.is_unavailable(),
            Self::MissingBlock { .. } => true,
            _ => false,
        }
    }

    pub(crate) fn chain(context: impl Into<String>) -> impl FnOnce(ChainError) -> Self {
        let context = context.into();
        move |source| Self::Chain { context, source }
    }

    pub(crate) fn market(context: impl Into<String>) -> impl FnOnce(RebuildError) -> Self {
        let context = context.into();
        move |source| Self::Market { context, source: Box::new(source) }
    }

    pub(crate) fn store(context: &'static str) -> impl FnOnce(StoreError) -> Self {
        move |source| Self::Store { context: context.into(), source: Box::new(source) }
    }
}
