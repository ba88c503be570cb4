//! [`ChainError`]: why a read from the chain failed, classified so that callers can split a
//! range, back off, retry or give up.

use std::time::Duration;

use alloy_primitives::Address;
use alloy_transport::{TransportError, TransportErrorKind};

/// The result type of this crate.
pub type Result<T, E = ChainError> = std::result::Result<T, E>;

/// A failed read from the chain. Every variant names the JSON-RPC method; [`kind`](Self::kind)
/// gives the class without the details, and [`is_retryable`](Self::is_retryable) whether
/// asking again later can succeed.
///
/// Messages never carry a URL's path or query (where providers put API keys): they are
/// [redacted](redact) when the error is built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChainError {
    /// The node throttled the client (HTTP 429, JSON-RPC -32029 or -32005 with a rate-limit
    /// message, "exceeded its compute units"): back off and retry.
    #[error("{method} was rate limited{}: {message}", retry_after_text(*.retry_after))]
    RateLimited {
        /// The JSON-RPC method.
        method: &'static str,
        /// The delay the node asked for (`Retry-After`), when it gave one.
        retry_after: Option<Duration>,
        /// The node's message.
        message: String,
    },
    /// The node refused the block range or the size of the answer (`query returned more than
    /// 10000 results`, `block range too large`): split the range and retry.
    #[error("{method} range too large: {message}")]
    RangeTooLarge {
        /// The JSON-RPC method.
        method: &'static str,
        /// The node's message.
        message: String,
    },
    /// No answer in time.
    #[error("{method} timed out{}", after.map(|d| format!(" after {} ms", d.as_millis())).unwrap_or_default())]
    Timeout {
        /// The JSON-RPC method.
        method: &'static str,
        /// How long the caller waited, when known.
        after: Option<Duration>,
    },
    /// The request did not get through or the connection failed (refused, reset, dropped,
    /// HTTP 5xx, WebSocket backend gone).
    #[error("{method} transport error: {message}")]
    Transport {
        /// The JSON-RPC method.
        method: &'static str,
        /// HTTP status, when the failure was an HTTP error answer.
        status: Option<u16>,
        /// What failed.
        message: String,
    },
    /// The node answered with a JSON-RPC error object (a revert, an unknown block, a bad
    /// parameter).
    #[error("{method} failed with node error {code}: {message}")]
    Node {
        /// The JSON-RPC method.
        method: &'static str,
        /// The JSON-RPC error code (`3` = execution reverted, `-32602` = invalid params, …).
        code: i64,
        /// The node's message.
        message: String,
    },
    /// The node answered with something that is not what the method returns (truncated or
    /// invalid JSON, a null result, return data that does not decode).
    #[error("{method} answer is malformed: {message}")]
    Malformed {
        /// The JSON-RPC method, or the contract call whose return data did not decode.
        method: &'static str,
        /// What was wrong.
        message: String,
    },
    /// An `eth_call` went to an address without code at that block (it returned no data where
    /// the function returns some): the contract is not deployed there, or not yet.
    #[error("no contract at {address} at block {block} ({method})")]
    NoContract {
        /// The call (`aggregate3`, …).
        method: &'static str,
        /// The address called.
        address: Address,
        /// The block number of the call.
        block: u64,
    },
}

/// The class of a [`ChainError`], without its details.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ChainErrorKind {
    /// [`ChainError::RateLimited`].
    RateLimited,
    /// [`ChainError::RangeTooLarge`].
    RangeTooLarge,
    /// [`ChainError::Timeout`].
    Timeout,
    /// [`ChainError::Transport`].
    Transport,
    /// [`ChainError::Node`].
    Node,
    /// [`ChainError::Malformed`].
    Malformed,
    /// [`ChainError::NoContract`].
    NoContract,
}

impl ChainErrorKind {
    /// The kind as a metric label: `rate_limited`, `range_too_large`, `timeout`, `transport`,
    /// `node`, `malformed`, `no_contract`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::RateLimited => "rate_limited",
            Self::RangeTooLarge => "range_too_large",
            Self::Timeout => "timeout",
            Self::Transport => "transport",
            Self::Node => "node",
            Self::Malformed => "malformed",
            Self::NoContract => "no_contract",
        }
    }
}

impl ChainError {
    /// The error's class.
    pub const fn kind(&self) -> ChainErrorKind {
        match self {
            Self::RateLimited { .. } => ChainErrorKind::RateLimited,
            Self::RangeTooLarge { .. } => ChainErrorKind::RangeTooLarge,
            Self::Timeout { .. } => ChainErrorKind::Timeout,
            Self::Transport { .. } => ChainErrorKind::Transport,
            Self::Node { .. } => ChainErrorKind::Node,
            Self::Malformed { .. } => ChainErrorKind::Malformed,
            Self::NoContract { .. } => ChainErrorKind::NoContract,
        }
    }

    /// The JSON-RPC method (or call) that failed.
    pub const fn method(&self) -> &'static str {
        match self {
            Self::RateLimited { method, .. }
            | Self::RangeTooLarge { method, .. }
            | Self::Timeout { method, .. }
            | Self::Transport { method, .. }
            | Self::Node { method, .. }
            | Self::Malformed { method, .. }
            | Self::NoContract { method, .. } => method,
        }
    }

    /// Whether the same request can succeed if sent again later: rate limits, timeouts,
    /// transport failures, malformed (truncated) answers, and the node hiccups of load-balanced
    /// providers ("header not found", "unknown block" for a block another backend just
    /// announced). A range error needs a smaller range instead; other node errors (a revert, a
    /// bad parameter) and missing contracts are answers.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::RateLimited { .. }
            | Self::Timeout { .. }
            | Self::Transport { .. }
            | Self::Malformed { .. } => true,
            // Load-balanced nodes answer a block they have not seen yet this way.
            Self::Node { message, .. } => {
                let m = message.to_ascii_lowercase();
                HICCUP_PHRASES.iter().any(|p| m.contains(p))
            }
            Self::RangeTooLarge { .. } | Self::NoContract { .. } => false,
        }
    }

    /// The delay the node asked for before a retry, if it gave one.
    pub const fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// A [`ChainError::Node`] for `method`, or the rate-limit or range class its code and
    /// message say it is (the phrases geth, erigon, reth, Alchemy, Infura, `QuickNode`, Ankr and
    /// the public Base and Optimism endpoints use).
    pub fn node(method: &'static str, code: i64, message: impl Into<String>) -> Self {
        let message = redact(&message.into());
        let m = message.to_ascii_lowercase();
        if code == -32029 || RATE_PHRASES.iter().any(|p| m.contains(p)) {
            Self::RateLimited { method, retry_after: None, message }
        } else if code == -32005 || RANGE_PHRASES.iter().any(|p| m.contains(p)) {
            Self::RangeTooLarge { method, message }
        } else {
            Self::Node { method, code, message }
        }
    }

    /// A [`ChainError::Transport`] with a redacted message.
    pub fn transport(method: &'static str, message: impl Into<String>) -> Self {
        Self::Transport { method, status: None, message: redact(&message.into()) }
    }

    /// A [`ChainError::Malformed`] with a redacted message.
    pub fn malformed(method: &'static str, message: impl Into<String>) -> Self {
        Self::Malformed { method, message: redact(&message.into()) }
    }

    /// Classifies an alloy transport error of `method`.
    pub fn from_transport(method: &'static str, e: &TransportError) -> Self {
        use alloy_transport::RpcError;
        match e {
            RpcError::ErrorResp(payload) => Self::node(method, payload.code, &*payload.message),
            RpcError::NullResp => Self::malformed(method, "null result"),
            RpcError::DeserError { err, .. } => Self::malformed(method, err.to_string()),
            RpcError::SerError(err) => Self::malformed(method, format!("request: {err}")),
            RpcError::Transport(kind) => Self::from_transport_kind(method, kind),
            other => Self::transport(method, other.to_string()),
        }
    }

    fn from_transport_kind(method: &'static str, kind: &TransportErrorKind) -> Self {
        let http = |status: u16, body: &str, retry_after: Option<Duration>| {
            let message = redact(&format!("HTTP {status}: {}", truncate(body, 200)));
            if status == 429 {
                Self::RateLimited { method, retry_after, message }
            } else {
                Self::Transport { method, status: Some(status), message }
            }
        };
        match kind {
            TransportErrorKind::HttpError(h) => http(h.status, &h.body, None),
            TransportErrorKind::HttpErrorWithRetryAfter { error, retry_after } => {
                http(error.status, &error.body, Some(*retry_after))
            }
            other => {
                let message = other.to_string();
                let m = message.to_ascii_lowercase();
                if m.contains("timed out") || m.contains("timeout") {
                    Self::Timeout { method, after: None }
                } else {
                    Self::transport(method, message)
                }
            }
        }
    }
}

const RATE_PHRASES: [&str; 6] =
    ["rate limit", "too many requests", "429", "exceeded its compute units", "throttl", "capacity"];

const RANGE_PHRASES: [&str; 9] = [
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

const HICCUP_PHRASES: [&str; 5] =
    ["header not found", "unknown block", "block not found", "not yet available", "try again"];

fn retry_after_text(d: Option<Duration>) -> String {
    d.map(|d| format!(" (retry after {} ms)", d.as_millis())).unwrap_or_default()
}

fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// `text` with every URL reduced to its scheme and host: `https://base.g.alchemy.com/v2/KEY`
/// becomes `https://base.g.alchemy.com/…`, and `user:password@` is dropped. Providers put API
/// keys in the path or query, and transport errors quote the URL they failed on.
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        out.push_str(&rest[..i + 3]);
        let after = &rest[i + 3..];
        let end = after
            .find(|c: char| c.is_whitespace() || matches!(c, ')' | '"' | '\'' | '>' | ','))
            .unwrap_or(after.len());
        let url = &after[..end];
        let authority_end = url.find(['/', '?', '#']).unwrap_or(url.len());
        let authority = &url[..authority_end];
        let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        out.push_str(host);
        if authority_end < url.len() {
            out.push_str("/…");
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_node_errors_by_code_and_phrase() {
        let c = |code, msg| ChainError::node("eth_getLogs", code, msg).kind();
        assert_eq!(
            c(-32005, "query returned more than 10000 results"),
            ChainErrorKind::RangeTooLarge
        );
        assert_eq!(
            c(-32000, "eth_getLogs block range too large, max 2000"),
            ChainErrorKind::RangeTooLarge
        );
        assert_eq!(c(-32000, "Too Many Requests"), ChainErrorKind::RateLimited);
        assert_eq!(c(-32029, "slow down"), ChainErrorKind::RateLimited);
        assert_eq!(
            c(-32005, "daily request count exceeded, request rate limited"),
            ChainErrorKind::RateLimited
        );
        let e = ChainError::node("eth_call", 3, "execution reverted");
        assert_eq!(
            e,
            ChainError::Node { method: "eth_call", code: 3, message: "execution reverted".into() }
        );
        assert!(!e.is_retryable());
    }

    #[test]
    fn classifies_transport_errors() {
        let http = |status| {
            TransportErrorKind::HttpError(alloy_transport::HttpError { status, body: "x".into() })
                .into()
        };
        let e = ChainError::from_transport("eth_call", &http(429));
        assert_eq!(e.kind(), ChainErrorKind::RateLimited);
        assert!(e.is_retryable());
        let e = ChainError::from_transport("eth_call", &http(502));
        assert!(matches!(e, ChainError::Transport { status: Some(502), .. }));
        let retry = TransportErrorKind::HttpErrorWithRetryAfter {
            error: alloy_transport::HttpError { status: 429, body: String::new() },
            retry_after: Duration::from_secs(3),
        };
        let e = ChainError::from_transport("eth_call", &retry.into());
        assert_eq!(e.retry_after(), Some(Duration::from_secs(3)));
        let e =
            ChainError::from_transport("eth_blockNumber", &TransportErrorKind::BackendGone.into());
        assert_eq!(e.kind(), ChainErrorKind::Transport);
        let e = ChainError::from_transport("eth_call", &alloy_transport::RpcError::NullResp);
        assert_eq!(e.kind(), ChainErrorKind::Malformed);
    }

    #[test]
    fn redacts_url_paths_and_credentials() {
        assert_eq!(
            redact("error sending request for url (https://base.g.alchemy.com/v2/SECRETKEY)"),
            "error sending request for url (https://base.g.alchemy.com/…)"
        );
        assert_eq!(
            redact("redis://user:hunter2@10.0.0.1:6379/0 down"),
            "redis://10.0.0.1:6379/… down"
        );
        assert_eq!(redact("wss://node.example?apikey=abc"), "wss://node.example/…");
        assert_eq!(redact("no url here"), "no url here");
        let e = ChainError::transport("eth_call", "connect to http://h:8545/key failed");
        assert!(!e.to_string().contains("key"), "{e}");
    }
}
