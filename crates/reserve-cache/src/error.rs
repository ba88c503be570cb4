//! The reserve cache's error type.

use alloy_primitives::Address;

/// The result type of this crate.
pub type Result<T, E = ReserveError> = std::result::Result<T, E>;

/// Why pool state could not be had.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ReserveError {
    /// The source could not reach the chain (transport, rate limit, node error).
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
