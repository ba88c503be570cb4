//! The crate's error type.

use alloy_primitives::Address;

/// Errors of chain reads, rebuilds and reconciliation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RebuildError {
    /// A JSON-RPC request failed. [`RpcErrorKind`] says whether splitting the range or backing
    /// off can help.
    #[error("{method} failed ({kind:?}): {message}")]
    Rpc {
        /// The JSON-RPC method (`eth_call`, `eth_getLogs`, `eth_blockNumber`).
        method: &'static str,
        /// What kind of failure it was.
        kind: RpcErrorKind,
        /// The provider's message.
        message: String,
    },
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

/// How a failed JSON-RPC request should be handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RpcErrorKind {
    /// The provider refused the block range or result size (`query returned more than 10000
    /// results`, `block range too large`, `-32005`): split the range and retry.
    RangeTooLarge,
    /// The provider throttled the client (HTTP 429, `rate limit`, `-32029`): back off and retry.
    RateLimited,
    /// Anything else (transport failure, revert, malformed request).
    Other,
}

impl RpcErrorKind {
    /// Classifies a provider error from its JSON-RPC code (if any) and message, using the
    /// phrases the common providers (geth, erigon, Alchemy, Infura, `QuickNode`, Ankr, public
    /// Base/Optimism endpoints) use.
    pub fn classify(code: Option<i64>, message: &str) -> Self {
        let m = message.to_ascii_lowercase();
        const RATE: [&str; 6] = [
            "rate limit",
            "too many requests",
            "429",
            "exceeded its compute units",
            "throttl",
            "capacity",
        ];
        const RANGE: [&str; 9] = [
            "more than",
            "block range",
            "range too",
            "too large",
            "too many results",
            "limit exceeded",
            "response size",
            "exceed maximum block range",
            "range is too",
        ];
        if code == Some(-32029) || RATE.iter().any(|p| m.contains(p)) {
            Self::RateLimited
        } else if code == Some(-32005) || RANGE.iter().any(|p| m.contains(p)) {
            Self::RangeTooLarge
        } else {
            Self::Other
        }
    }
}

impl RebuildError {
    /// An RPC error of the given kind.
    pub fn rpc(method: &'static str, kind: RpcErrorKind, message: impl Into<String>) -> Self {
        Self::Rpc { method, kind, message: message.into() }
    }

    /// The [`RpcErrorKind`] of an [`RebuildError::Rpc`], `None` for other errors.
    pub const fn rpc_kind(&self) -> Option<RpcErrorKind> {
        match self {
            Self::Rpc { kind, .. } => Some(*kind),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_provider_messages() {
        let c = RpcErrorKind::classify;
        assert_eq!(
            c(Some(-32005), "query returned more than 10000 results"),
            RpcErrorKind::RangeTooLarge
        );
        assert_eq!(
            c(None, "eth_getLogs block range too large, max 2000"),
            RpcErrorKind::RangeTooLarge
        );
        assert_eq!(
            c(None, "HTTP error 429 with body: Too Many Requests"),
            RpcErrorKind::RateLimited
        );
        assert_eq!(c(Some(-32029), "slow down"), RpcErrorKind::RateLimited);
        assert_eq!(c(Some(3), "execution reverted"), RpcErrorKind::Other);
    }
}
