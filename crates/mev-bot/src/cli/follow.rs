//! Following the chain live (`run`, `record`): connecting to `--rpc-url`, and the loop that
//! applies every event past the pipeline's head, waits for the next head, and stops after
//! `--blocks` blocks or at Ctrl-C (after the block in flight).

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use mev_bot::{BlockReport, BotError, ChainEvent, Pipeline, RpcChain};
use mev_chain::{ChainReader, Counted, Metered, redact};
use tokio::sync::Notify;

use super::error::{CliError, Result};

/// The live chain: requests counted (for the summary) and metered (for Prometheus).
pub(super) type LiveChain = Counted<Metered<RpcChain>>;

/// Connects to `url`: `http(s)://` (polling) or `ws(s)://` (`newHeads` subscription).
pub(super) async fn connect(url: &str) -> Result<Arc<LiveChain>> {
    let invalid = |reason: String| CliError::InvalidArgument { what: "--rpc-url", reason };
    let scheme = url.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
    if !matches!(scheme.as_deref(), Some("http" | "https" | "ws" | "wss")) {
        return Err(invalid(format!("{:?} is not an http(s):// or ws(s):// URL", redact(url))));
    }
    let chain = RpcChain::connect(url).await.map_err(|e| match e {
        BotError::Url { url, reason, .. } => invalid(format!("{url:?} is not a URL: {reason}")),
        BotError::Chain { source, .. } => {
            invalid(format!("cannot connect to {}: {source}", redact(url)))
        }
        other => other.into(),
    })?;
    Ok(Arc::new(Counted::new(Metered::new(chain))))
}

/// Follows `chain`: applies every event past the pipeline's head (`on_event` sees it first),
/// then waits for the next head; stops after `limit` blocks or at Ctrl-C, after the block in
/// flight.
pub(super) async fn follow(
    pipeline: &mut Pipeline,
    chain: &dyn ChainReader,
    limit: Option<u64>,
    poll_ms: u64,
    mut on_event: impl FnMut(&ChainEvent),
    mut on_report: impl FnMut(&BlockReport) -> Result<()>,
) -> Result<()> {
    // Ctrl-C sets the flag (checked between blocks) and wakes the wait for the next head; a
    // `Notify` permit is kept if nobody is waiting yet, so the signal is never missed.
    let stop = Arc::new(AtomicBool::new(false));
    let wake = Arc::new(Notify::new());
    let (flag, waker) = (stop.clone(), wake.clone());
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            flag.store(true, Ordering::SeqCst);
            waker.notify_one();
        }
    });
    let poll = Duration::from_millis(poll_ms.max(1));
    let mut blocks = 0u64;
    loop {
        if stop.load(Ordering::SeqCst) || limit.is_some_and(|l| blocks >= l) {
            break;
        }
        match pipeline.next_event(chain).await? {
            Some(event) => {
                on_event(&event);
                let report = pipeline.apply(event).await?;
                if !report.reorg {
                    blocks += 1;
                }
                on_report(&report)?;
            }
            None => {
                tokio::select! {
                    () = chain.wait_for_head(poll) => {}
                    () = wake.notified() => {}
                }
            }
        }
    }
    tracing::info!(blocks, "stopped; every write of the last block is in the store");
    Ok(())
}
