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
            // Same height: a reorg that replaced the head shows as a changed hash.
            let same = chain
                .header(head.number)
                .await
                .map_err(BotError::chain(format!("reading block {}", head.number)))?;
            if same.is_some_and(|h| h.hash != head.hash) && head.number == latest {
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
