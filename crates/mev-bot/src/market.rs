//! [`Market`]: one lending market the pipeline watches.

use std::{fmt, sync::Arc};

use alloy_primitives::Address;
use mev_rebuild::LendingProtocol;

/// One lending market the pipeline watches: its adapter (which knows the market's emitters,
/// event family, price sources and liquidation sizing) and the Chainlink aggregators whose
/// `AnswerUpdated` moves its prices.
#[derive(Clone)]
pub struct Market {
    /// The market's adapter.
    pub protocol: Arc<dyn LendingProtocol>,
    /// Aggregators whose `AnswerUpdated` moves this market's prices.
    pub feeds: Vec<Address>,
}

impl Market {
    /// A market without price feeds (prices move only through its own
    /// [`price_sources`](LendingProtocol::price_sources)).
    pub fn new(protocol: Arc<dyn LendingProtocol>) -> Self {
        Self { protocol, feeds: Vec::new() }
    }

    /// With the aggregators `feeds`.
    #[must_use]
    pub fn feeds(mut self, feeds: Vec<Address>) -> Self {
        self.feeds = feeds;
        self
    }

    /// The market's name (the protocol id positions are stored under).
    pub fn name(&self) -> &str {
        self.protocol.name()
    }
}

impl fmt::Debug for Market {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Market")
            .field("name", &self.protocol.name())
            .field("feeds", &self.feeds)
            .finish()
    }
}
