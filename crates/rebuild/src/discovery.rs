//! Borrower discovery: `eth_getLogs` over a block range in chunks, split on range errors,
//! backed off on rate limits, with bounded concurrency.

use std::{collections::BTreeSet, time::Duration};

use alloy_primitives::Address;
use futures::{StreamExt, TryStreamExt, future::BoxFuture, stream};

use crate::{
    config::RebuildConfig,
    error::{RebuildError, Result},
    protocol::LendingProtocol,
};
use mev_chain::{ChainErrorKind, ChainReader};

/// Every borrower named by `protocol`'s logs in blocks `from..=to`, scanned in ranges of
/// [`RebuildConfig::chunk_blocks`] with at most
/// [`RebuildConfig::max_concurrent_requests`] in flight; a range the node rejects as too large
/// is halved until it is accepted (down to single blocks), a rate-limited one is retried after
/// an exponential backoff (or the node's `Retry-After`) up to [`RebuildConfig::max_retries`]
/// times. Removed (reorged) logs are ignored.
///
/// Fails with [`RebuildError::LogRange`] naming the range that kept failing.
pub async fn discover_borrowers(
    reader: &dyn ChainReader,
    protocol: &dyn LendingProtocol,
    from: u64,
    to: u64,
    config: &RebuildConfig,
) -> Result<BTreeSet<Address>> {
    let chunk = config.chunk_blocks.max(1);
    let ranges = (from..=to)
        .step_by(usize::try_from(chunk).unwrap_or(usize::MAX))
        .map(move |a| (a, a.saturating_add(chunk - 1).min(to)));
    let sets: Vec<BTreeSet<Address>> = stream::iter(ranges)
        .map(|(a, b)| scan_range(reader, protocol, a, b, config))
        .buffer_unordered(config.max_concurrent_requests.max(1))
        .try_collect()
        .await?;
    Ok(sets.into_iter().flatten().collect())
}

/// One range: retried with exponential backoff on rate limits and transient errors, halved on
/// range errors until single blocks.
fn scan_range<'a>(
    reader: &'a dyn ChainReader,
    protocol: &'a dyn LendingProtocol,
    from: u64,
    to: u64,
    config: &'a RebuildConfig,
) -> BoxFuture<'a, Result<BTreeSet<Address>>> {
    Box::pin(async move {
        let filter = protocol.log_filter().from_block(from).to_block(to);
        let mut attempts = 0u32;
        let mut backoff = Duration::from_millis(config.initial_backoff_ms);
        loop {
            attempts += 1;
            match reader.logs(&filter).await {
                Ok(logs) => {
                    return Ok(logs
                        .iter()
                        .filter(|l| !l.removed)
                        .filter_map(|l| protocol.borrower(l))
                        .collect());
                }
                Err(e) => match e.kind() {
                    ChainErrorKind::RangeTooLarge if from < to => {
                        let mid = from + (to - from) / 2;
                        tracing::debug!(from, to, "log range rejected, splitting");
                        let (a, b) = futures::try_join!(
                            scan_range(reader, protocol, from, mid, config),
                            scan_range(reader, protocol, mid + 1, to, config),
                        )?;
                        return Ok(a.into_iter().chain(b).collect());
                    }
                    ChainErrorKind::RateLimited if attempts <= config.max_retries => {
                        tracing::debug!(from, to, attempts, "rate limited, backing off");
                        tokio::time::sleep(e.retry_after().unwrap_or(backoff)).await;
                        backoff = (backoff * 2).min(Duration::from_millis(config.max_backoff_ms));
                    }
                    _ => {
                        return Err(RebuildError::LogRange {
                            from,
                            to,
                            attempts,
                            reason: e.to_string(),
                        });
                    }
                },
            }
        }
    })
}
