//! The crate's error type.

use alloy_primitives::Address;
use mev_chain::{ChainError, ChainErrorKind};

/// Errors of chain reads, rebuilds and reconciliation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RebuildError {
    /// A chain read failed; [`ChainError::kind`] says whether splitting the range or backing
    /// off can help.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// A call inside a Multicall3 `aggregate3` reverted or returned data that does not decode.
    #[error("call {call} to {target} failed: {reason}")]
    Call {
        /// The function called (`getUserReserveData`, …).
        call: &'static str,
        /// The contract called.
        target: Address,
        /// The revert or decode problem.
        reason: String,
    },
    /// Return data of a whole request did not decode.
    #[error("malformed {what}: {reason}")]
    Decode {
        /// What was being decoded.
        what: &'static str,
        /// What was wrong.
        reason: String,
    },
    /// A log range kept failing after every split and retry.
    #[error("eth_getLogs for blocks {from}..={to} gave up after {attempts} attempts: {reason}")]
    LogRange {
        /// First block of the range.
        from: u64,
        /// Last block of the range.
        to: u64,
        /// Attempts made on the narrowest range.
        attempts: u32,
        /// The last error.
        reason: String,
    },
    /// mev-health-calc rejected the inputs read from chain.
    #[error("health computation for {user} failed: {source}")]
    Health {
        /// The user whose position was evaluated.
        user: Address,
        /// The calculator's error.
        #[source]
        source: mev_health_calc::HealthError,
    },
    /// The position store failed.
    #[error("position store: {0}")]
    Store(#[from] mev_position_cache::StoreError),
    /// A configuration value is out of range.
    #[error("invalid configuration `{field}`: {reason}")]
    Config {
        /// The configuration field.
        field: &'static str,
        /// Why it was rejected.
        reason: String,
    },
}

impl RebuildError {
    /// The [`ChainErrorKind`] of a [`RebuildError::Chain`], `None` for other errors.
    pub const fn chain_kind(&self) -> Option<ChainErrorKind> {
        match self {
            Self::Chain(e) => Some(e.kind()),
            _ => None,
        }
    }

    pub(crate) fn call(call: &'static str, target: Address, reason: impl Into<String>) -> Self {
        Self::Call { call, target, reason: reason.into() }
    }

    /// A [`RebuildError::Config`] naming the setting `field` and why it was rejected.
    pub fn config(field: &'static str, reason: impl Into<String>) -> Self {
        Self::Config { field, reason: reason.into() }
    }
}

/// `Result` with [`RebuildError`] as the default error.
pub type Result<T, E = RebuildError> = core::result::Result<T, E>;
