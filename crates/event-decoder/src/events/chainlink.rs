//! Chainlink aggregator events. `AnswerUpdated` is emitted by the aggregator behind a feed's
//! proxy, so register the aggregator's address, not the proxy's.

use alloy_sol_types::sol;

use super::macros::protocol_events;

sol! {
    /// `AnswerUpdated(int256 indexed current, uint256 indexed roundId, uint256 updatedAt)`:
    /// the new answer (in the feed's decimals), its round and its Unix time in seconds.
    #[derive(Debug, PartialEq, Eq, Hash)]
    event AnswerUpdated(int256 indexed current, uint256 indexed roundId, uint256 updatedAt);
}

protocol_events! {
    /// An event emitted by a Chainlink aggregator.
    pub enum ChainlinkEvent => Chainlink {
        /// A new price answer.
        AnswerUpdated(AnswerUpdated) { current, roundId, updatedAt },
    }
}
