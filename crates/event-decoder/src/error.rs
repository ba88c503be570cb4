//! The decoder's error type.

use alloy_primitives::{Address, B256};

/// The result type of this crate.
pub type Result<T, E = DecodeError> = std::result::Result<T, E>;

/// Why a log could not be decoded. Every variant names the emitter, so a caller can log and skip.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The log has no topics (an anonymous event): nothing to dispatch on.
    #[error("log from {address} has no topics (anonymous event)")]
    NoTopics {
        /// The emitter.
        address: Address,
    },
    /// No known event has this topic0.
    #[error("unknown topic0 {topic0} in log from {address}")]
    UnknownTopic {
        /// The emitter.
        address: Address,
        /// The log's first topic.
        topic0: B256,
    },
    /// The topic0 is known, but the log has a different number of topics than the event has
    /// indexed parameters (plus one for topic0).
    #[error("{signature} has {expected} topics, but the log from {address} has {actual}")]
    WrongTopicCount {
        /// The emitter.
        address: Address,
        /// The event the topic0 names, as its canonical signature.
        signature: &'static str,
        /// Topics the event has, topic0 included.
        expected: usize,
        /// Topics the log has.
        actual: usize,
    },
    /// The topics or data do not ABI-decode as the event (short data, a value out of range for
    /// its type, a bad offset or length).
    #[error("malformed {signature} log from {address}: {source}")]
    MalformedData {
        /// The emitter.
        address: Address,
        /// The event the topic0 names, as its canonical signature.
        signature: &'static str,
        /// What the ABI decoder rejected (boxed: it is large, and this path is cold).
        #[source]
        source: Box<alloy_sol_types::Error>,
    },
    /// The decoder only decodes registered emitters and this one is not registered.
    #[error("log from unwatched emitter {address}")]
    UnwatchedEmitter {
        /// The emitter.
        address: Address,
    },
}

impl DecodeError {
    /// The emitter of the log that failed to decode.
    #[must_use]
    pub const fn address(&self) -> Address {
        match self {
            Self::NoTopics { address }
            | Self::UnknownTopic { address, .. }
            | Self::WrongTopicCount { address, .. }
            | Self::MalformedData { address, .. }
            | Self::UnwatchedEmitter { address } => *address,
        }
    }

    /// `true` when the log is simply not one the decoder knows or watches (unknown topic, no
    /// topics, unwatched emitter), as opposed to a known event that is malformed.
    #[must_use]
    pub const fn is_unknown(&self) -> bool {
        matches!(
            self,
            Self::NoTopics { .. } | Self::UnknownTopic { .. } | Self::UnwatchedEmitter { .. }
        )
    }
}
