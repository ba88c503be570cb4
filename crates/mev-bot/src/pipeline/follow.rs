//! Following the chain: the next [`ChainEvent`] past the pipeline's head — the next block with
//! its logs, or a reorg found from parent hashes.

use mev_chain::ChainReader;

use super::Pipeline;
use crate::{BlockData, BotError, ChainEvent, Result, telemetry};

impl Pipeline {
    /// The next event past the pipeline's head on `chain`: the next block (its header and the
    /// watched contracts' logs), or a reorg rollback when the next block's parent — or the
    /// block at the head's height — is not the head; `None` when the pipeline is at the chain's
    /// latest block (or the node is mid-reorg). Reads only: [`apply`](Self::apply) the event.
    pub async fn next_event(&self, chain: &dyn ChainReader) -> Result<Option<ChainEvent>> {
        let head = self.head();
        let latest = chain.block_number().await.map_err(BotError::chain("reading the head"))?;
        telemetry::block_lag(latest, head.number);
        if head.number >= latest {
            // At or above the chain's head: a reorg shows as a changed hash at the chain's
            // height — the head replaced at the same height, or a shorter branch whose head
            // is not the block we hold at that height. (A node that merely lags behind reports
            // a lower number with the same hash there: nothing to do.)
            let ours = self.journal.headers().find(|h| h.number == latest).map(|h| h.hash);
            let theirs = chain
                .header(latest)
                .await
                .map_err(BotError::chain(format!("reading block {latest}")))?;
            if let (Some(theirs), Some(ours)) = (theirs, ours)
                && theirs.hash != ours
            {
                return Ok(Some(ChainEvent::Reorg { ancestor: self.find_ancestor(chain).await? }));
            }
            return Ok(None);
        }
        let next = head.number + 1;
        let Some(header) =
            chain.header(next).await.map_err(BotError::chain(format!("reading block {next}")))?
        else {
            return Ok(None);
        };
        if header.parent_hash != head.hash {
            return Ok(Some(ChainEvent::Reorg { ancestor: self.find_ancestor(chain).await? }));
        }
        let filter = self.log_filter();
        let logs = if filter.addresses.is_empty() {
            Vec::new()
        } else {
            chain
                .logs(&filter.at_block_hash(header.hash))
                .await
                .map_err(BotError::chain(format!("reading the logs of block {next}")))?
        };
        if logs.iter().any(|l| l.removed) {
            // The node is mid-reorg; the next call sees the new branch.
            return Ok(None);
        }
        Ok(Some(ChainEvent::Block(BlockData { header, logs })))
    }

    /// The newest kept block whose hash the chain still has.
    async fn find_ancestor(&self, chain: &dyn ChainReader) -> Result<u64> {
        for kept in self.journal.headers() {
            let n = kept.number;
            let theirs = chain
                .header(n)
                .await
                .map_err(BotError::chain(format!("reading block {n} for a reorg")))?;
            if theirs.is_some_and(|h| h.hash == kept.hash) {
                return Ok(n);
            }
        }
        Err(BotError::ReorgTooDeep { kept: self.journal.len(), oldest: self.journal.oldest() })
    }
}
