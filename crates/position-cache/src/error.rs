//! The crate's error type.

use std::error::Error as StdError;

/// Errors returned by every [`PositionStore`](crate::PositionStore) backend.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// An argument was rejected before any backend was touched (for example an empty protocol
    /// name).
    #[error("invalid {what}: {reason}")]
    InvalidInput {
        /// Which argument was wrong (`"protocol"`, `"position"`, …).
        what: &'static str,
        /// Why it was rejected.
        reason: String,
    },
    /// A configuration value is out of range or malformed.
    #[error("invalid configuration `{field}`: {reason}")]
    Config {
        /// The configuration field, named as in the config struct.
        field: &'static str,
        /// Why it was rejected.
        reason: String,
    },
    /// A JSON document is not a position in either the multi-leg or the reference single-asset
    /// format.
    #[error("malformed position JSON: {reason}")]
    Decode {
        /// What was wrong with the document.
        reason: String,
    },
    /// A value stored under the namespace could not be parsed. Bulk reads skip such values and
    /// count them in [`StoreStats`](crate::StoreStats) instead of returning this error.
    #[error("corrupt value at `{key}`: {reason}")]
    Corrupt {
        /// The backend key holding the value.
        key: String,
        /// What was wrong with the value.
        reason: String,
    },
    /// The backend cannot be reached (connection refused or closed, command timed out, server
    /// loading). [`FailoverPositionStore`](crate::FailoverPositionStore) answers from memory on
    /// these.
    #[error("{backend} unavailable during {op}: {reason}")]
    Unavailable {
        /// The backend that failed (`"redis"`, …).
        backend: &'static str,
        /// The store operation that was running.
        op: &'static str,
        /// The underlying cause.
        reason: String,
    },
    /// A Redis command failed for a reason other than reachability (wrong type, script error,
    /// bad URL, …).
    #[cfg(feature = "redis")]
    #[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
    #[error("redis {op} failed: {source}")]
    Redis {
        /// The store operation that was running.
        op: &'static str,
        /// The client error.
        #[source]
        source: fred::error::Error,
    },
    /// A [`RebuildHook`](crate::RebuildHook) failed; implementors wrap their own error here.
    #[error("rebuild hook failed: {source}")]
    Rebuild {
        /// The hook's error.
        #[source]
        source: Box<dyn StdError + Send + Sync>,
    },
}

impl StoreError {
    /// Whether the error means the backend is unreachable rather than that the request or the
    /// data was wrong. [`FailoverPositionStore`](crate::FailoverPositionStore) falls back to memory
    /// exactly when this returns `true`.
    pub const fn is_unavailable(&self) -> bool {
        matches!(self, Self::Unavailable { .. })
    }

    /// Wraps any error from a [`RebuildHook`](crate::RebuildHook) implementation.
    pub fn rebuild(source: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        Self::Rebuild { source: source.into() }
    }

    pub(crate) fn invalid(what: &'static str, reason: impl Into<String>) -> Self {
        Self::InvalidInput { what, reason: reason.into() }
    }

    pub(crate) fn decode(reason: impl Into<String>) -> Self {
        Self::Decode { reason: reason.into() }
    }
}

/// `Result` with [`StoreError`] as the default error.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_unavailable_triggers_failover() {
        let down =
            StoreError::Unavailable { backend: "redis", op: "get", reason: "refused".into() };
        assert!(down.is_unavailable());
        assert!(!StoreError::invalid("protocol", "empty").is_unavailable());
        assert!(!StoreError::decode("x").is_unavailable());
        let hook = StoreError::rebuild("chain unreachable");
        assert_eq!(hook.to_string(), "rebuild hook failed: chain unreachable");
    }
}
