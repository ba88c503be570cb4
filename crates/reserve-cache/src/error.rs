//! The reserve cache's error type.

use alloy_primitives::Address;
use mev_chain::ChainError;

/// The result type of this crate.
pub type Result<T, E = ReserveError> = std::result::Result<T, E>;

/// Why pool state could not be had.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ReserveError {
    /// Reading the chain failed; the [`ChainError`] says how (rate limit, timeout, transport,
    /// node error, no contract), so a caller can back off or retry.
    #[error("fetching pool {pool} at block {block}: {source}")]
    Chain {
        /// The pool.
        pool: Address,
        /// The block asked for.
        block: u64,
        /// The chain error.
        #[source]
        source: ChainError,
    },
    /// No answer within the cache's fetch timeout.
    #[error("fetching pool {pool} at block {block}: no answer within {} ms", after.as_millis())]
    Timeout {
        /// The pool.
        pool: Address,
        /// The block asked for.
        block: u64,
        /// How long the cache waited.
        after: std::time::Duration,
    },
    /// A source other than the chain failed (a custom [`ReserveSource`](crate::ReserveSource)).
    #[error("fetching pool {pool} at block {block}: {message}")]
    Source {
        /// The pool.
        pool: Address,
        /// The block asked for.
        block: u64,
        /// What the source reported.
        message: String,
    },
    /// The chain answered, but not with what a pool of this kind returns (the address is not
    /// such a pool, or the call reverted).
    #[error("pool {pool} answered unexpectedly: {message}")]
    BadResponse {
        /// The pool.
        pool: Address,
        /// What was wrong.
        message: String,
    },
    /// The pool key is invalid (for example a Curve pool with no coins).
    #[error("invalid pool {pool}: {message}")]
    InvalidPool {
        /// The pool.
        pool: Address,
        /// What was wrong.
        message: String,
    },
}
