//! Blocks as the pipeline sees them: [`BlockData`], [`ChainEvent`] and the [`LogFilter`] of
//! the watched contracts.

use alloy_primitives::{Address, B256};
use alloy_rpc_types_eth::{Filter, Log};
use mev_chain::BlockHeader;
use serde::{Deserialize, Serialize};

/// One block: its header and the logs of the watched contracts, in log-index order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlockData {
    /// The header.
    pub header: BlockHeader,
    /// The block's logs emitted by the watched addresses (see [`LogFilter`]).
    pub logs: Vec<Log>,
}

/// One step of the chain as a follower observed it. A recording is a list of these, so a
/// replay drives the pipeline through exactly the same steps, reorgs included.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChainEvent {
    /// A new block on top of the pipeline's head.
    Block(BlockData),
    /// The chain reorganised: every block above `ancestor` (a block number) is gone and the
    /// caches roll back to it before the new branch's blocks follow.
    Reorg {
        /// The highest block both branches share, block number.
        ancestor: u64,
    },
}

/// The addresses and topic0s whose logs the pipeline wants: the `eth_getLogs` filter of each
/// block.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogFilter {
    /// Emitters (pools, lending markets, oracles, feeds).
    pub addresses: Vec<Address>,
    /// Event signatures (topic0); empty = any.
    pub topics: Vec<B256>,
}

impl LogFilter {
    /// The `eth_getLogs` filter for the block with hash `hash`.
    pub fn at_block_hash(&self, hash: B256) -> Filter {
        let mut f = Filter::new().at_block_hash(hash).address(self.addresses.clone());
        if !self.topics.is_empty() {
            f = f.event_signature(self.topics.clone());
        }
        f
    }
}
