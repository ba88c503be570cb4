//! [`Journal`]: the blocks the caches reflect, each with the undo of every change it made, so
//! a reorg rolls back exactly.

use std::collections::VecDeque;

use alloy_primitives::{Address, U256};
use mev_chain::BlockHeader;

use super::state::{MarketId, Tracked};
use crate::{BotError, Result};

/// The undo of one forward change, produced by the change itself
/// ([`MarketState::replace`](super::state::MarketState::replace),
/// [`MarketState::set_prices`](super::state::MarketState::set_prices)).
#[derive(Debug)]
pub(crate) enum Change {
    /// A position was set or removed; `before` is what was tracked (`None`: nothing).
    Position { market: MarketId, user: Address, before: Option<Box<Tracked>> },
    /// A market's prices were replaced; `before` are the old ones.
    Prices { market: MarketId, before: Vec<(Address, U256)> },
}

/// One processed block: its header, the undo of its changes (in the order made) and the pools
/// its events touched.
#[derive(Debug)]
pub(crate) struct BlockEntry {
    pub(crate) header: BlockHeader,
    pub(crate) changes: Vec<Change>,
    pub(crate) pools: Vec<Address>,
}

/// The processed blocks, oldest first; never empty (it starts at the bootstrap block).
#[derive(Debug)]
pub(crate) struct Journal {
    entries: VecDeque<BlockEntry>,
}

/// What a rollback has to undo: every change of the blocks above the ancestor, newest first,
/// and the pools they touched.
#[derive(Debug, Default)]
pub(crate) struct Unwound {
    pub(crate) changes: Vec<Change>,
    pub(crate) pools: Vec<Address>,
}

impl Journal {
    /// A journal at the bootstrap block.
    pub(crate) fn new(header: BlockHeader) -> Self {
        let mut entries = VecDeque::new();
        entries.push_back(BlockEntry { header, changes: Vec::new(), pools: Vec::new() });
        Self { entries }
    }

    /// The block the caches reflect.
    pub(crate) fn head(&self) -> BlockHeader {
        // Never empty: `new` pushes one entry and `unwind_to` keeps the ancestor.
        self.entries.back().map_or_else(unreachable_head, |e| e.header)
    }

    /// Headers kept, newest first.
    pub(crate) fn headers(&self) -> impl Iterator<Item = &BlockHeader> {
        self.entries.iter().rev().map(|e| &e.header)
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn oldest(&self) -> u64 {
        self.entries.front().map_or(0, |e| e.header.number)
    }

    /// Appends a processed block.
    pub(crate) fn push(&mut self, entry: BlockEntry) {
        self.entries.push_back(entry);
    }

    /// Adds changes made after the head block was processed (the sweep) to the head's entry.
    pub(crate) fn record(&mut self, changes: Vec<Change>) {
        if let Some(e) = self.entries.back_mut() {
            e.changes.extend(changes);
        }
    }

    /// Drops the oldest entries beyond `keep` (at least one is kept).
    pub(crate) fn trim(&mut self, keep: usize) {
        while self.entries.len() > keep.max(1) {
            self.entries.pop_front();
        }
    }

    /// Removes every block above `ancestor` and returns what they changed, newest first.
    ///
    /// Fails with [`BotError::ReorgTooDeep`] (changing nothing) when `ancestor` is older than
    /// every block kept.
    pub(crate) fn unwind_to(&mut self, ancestor: u64) -> Result<Unwound> {
        if self.entries.front().is_none_or(|e| e.header.number > ancestor) {
            return Err(BotError::ReorgTooDeep { kept: self.len(), oldest: self.oldest() });
        }
        let mut out = Unwound::default();
        while self.entries.back().is_some_and(|e| e.header.number > ancestor) {
            let Some(e) = self.entries.pop_back() else { break };
            out.pools.extend(e.pools);
            out.changes.extend(e.changes.into_iter().rev());
        }
        Ok(out)
    }
}

#[cold]
fn unreachable_head() -> BlockHeader {
    // Not reachable (see `head`); a zero header makes the next block a reorg, not a panic.
    BlockHeader {
        number: 0,
        hash: alloy_primitives::B256::ZERO,
        parent_hash: alloy_primitives::B256::ZERO,
        timestamp: 0,
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::B256;

    use super::*;

    fn header(n: u64) -> BlockHeader {
        BlockHeader {
            number: n,
            hash: B256::with_last_byte(n as u8),
            parent_hash: B256::with_last_byte(n as u8 - 1),
            timestamp: n,
        }
    }

    fn prices(market: usize, p: u64) -> Change {
        Change::Prices { market: MarketId(market), before: vec![(Address::ZERO, U256::from(p))] }
    }

    #[test]
    fn unwinds_newest_first_and_refuses_too_deep() {
        let mut j = Journal::new(header(10));
        for n in 11..=13 {
            j.push(BlockEntry {
                header: header(n),
                changes: vec![prices(0, n), prices(1, n)],
                pools: vec![Address::with_last_byte(n as u8)],
            });
        }
        assert_eq!(j.head().number, 13);
        assert!(matches!(j.unwind_to(9), Err(BotError::ReorgTooDeep { kept: 4, oldest: 10 })));
        assert_eq!(j.len(), 4, "a refused rollback changes nothing");
        let u = j.unwind_to(11).unwrap();
        assert_eq!(j.head().number, 11);
        let order: Vec<(usize, u64)> = u
            .changes
            .iter()
            .map(|c| match c {
                Change::Prices { market, before } => (market.0, before[0].1.to::<u64>()),
                Change::Position { .. } => unreachable!(),
            })
            .collect();
        assert_eq!(order, [(1, 13), (0, 13), (1, 12), (0, 12)]);
        assert_eq!(u.pools.len(), 2);
        j.trim(1);
        assert_eq!((j.len(), j.head().number), (1, 11));
        j.trim(0);
        assert_eq!(j.len(), 1, "the head is always kept");
    }
}
