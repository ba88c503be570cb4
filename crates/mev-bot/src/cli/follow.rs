//! Following the chain live (`run`, `record`): the node stack behind `--rpc-url` (timeouts,
//! retries, fallback between endpoints), and the loop that applies every event past the
//! pipeline's head, rides out transient failures, reports stalls, and stops after `--blocks`
//! blocks or at SIGINT, SIGTERM or SIGHUP.

use std::{
    path::PathBuf,
    sync::Arc,
    time::{Duration, Instant},
};

use clap::Args;
use mev_bot::{BlockReport, BotConfig, BotError, ChainEvent, FollowConfig, Pipeline, RpcChain};
use mev_chain::{ChainReader, Counted, Fallback, Metered, Retry, Timeout, redact};
use tokio::sync::watch;

use super::error::{CliError, Result};

/// What `run` and `record` share: where the chain is, what to watch, when to stop.
#[derive(Debug, Args)]
pub(super) struct LiveArgs {
    /// JSON-RPC endpoint: http(s):// (polling) or ws(s):// (newHeads subscription).
    /// Repeatable (or comma-separated in MEV_BOT_RPC_URL): later ones are fallbacks, after the
    /// configuration's rpc_urls are added.
    #[arg(
        long = "rpc-url",
        value_name = "URL",
        env = "MEV_BOT_RPC_URL",
        hide_env_values = true,
        value_delimiter = ','
    )]
    rpc_urls: Vec<String>,
    /// TOML file naming the markets, pools and price feeds to watch (see docs/operations.md).
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// Stop after this many blocks (default: run until Ctrl-C).
    #[arg(long, value_name = "N")]
    blocks: Option<u64>,
    /// Polling interval for http(s) endpoints, milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    poll_ms: u64,
}

impl LiveArgs {
    /// The configuration (its `rpc_urls` moved out: URLs carry API keys and stay out of
    /// recordings), every endpoint (flags first), and the loop's limits.
    pub(super) fn load(self) -> Result<(BotConfig, Vec<String>, Limits)> {
        let mut config = BotConfig::load(&self.config)?;
        if config.aave_v3.is_empty() && config.compound_v2.is_empty() && config.pools.is_empty() {
            return Err(CliError::InvalidArgument {
                what: "--config",
                reason: format!(
                    "{} configures no market ([[aave_v3]], [[compound_v2]]) and no [[pools]]: \
                     nothing to follow",
                    self.config.display()
                ),
            });
        }
        let urls = self.rpc_urls.into_iter().chain(std::mem::take(&mut config.rpc_urls)).collect();
        let limits =
            Limits { blocks: self.blocks, poll: Duration::from_millis(self.poll_ms.max(1)) };
        Ok((config, urls, limits))
    }
}

/// The live chain: every endpoint bounded by the request timeout, transient errors retried over
/// the endpoints in turn, requests counted (for the summary) and metered (for Prometheus).
pub(super) type LiveChain = Counted<Metered<Retry<Fallback>>>;

/// Connects to every URL of `urls` (`http(s)://` polling, `ws(s)://` with a `newHeads`
/// subscription), in order of preference.
pub(super) async fn connect(urls: &[String], follow: &FollowConfig) -> Result<Arc<LiveChain>> {
    let invalid = |reason: String| CliError::InvalidArgument { what: "--rpc-url", reason };
    let mut endpoints: Vec<Arc<dyn ChainReader>> = Vec::with_capacity(urls.len());
    for url in urls {
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
        let timeout = Duration::from_millis(follow.request_timeout_ms);
        endpoints.push(Arc::new(Timeout::new(chain, timeout)));
    }
    let fallback = Fallback::new(endpoints).ok_or_else(|| {
        invalid("give at least one (--rpc-url, or rpc_urls in the configuration)".into())
    })?;
    Ok(Arc::new(Counted::new(Metered::new(Retry::new(fallback, follow.retry)))))
}

/// SIGINT, SIGTERM and SIGHUP, as a flag that can be awaited.
#[derive(Debug, Clone)]
pub(super) struct Shutdown(watch::Receiver<bool>);

impl Shutdown {
    /// Listens for the signals from now on.
    pub(super) fn install() -> Self {
        let (tx, rx) = watch::channel(false);
        tokio::spawn(async move {
            let name = wait_for_signal().await;
            tracing::info!(signal = name, "shutting down");
            let _ = tx.send(true);
        });
        Self(rx)
    }

    pub(super) fn requested(&self) -> bool {
        *self.0.borrow()
    }

    /// Returns once a signal arrived.
    pub(super) async fn wait(&self) {
        let mut rx = self.0.clone();
        let _ = rx.wait_for(|stop| *stop).await;
    }
}

#[cfg(unix)]
async fn wait_for_signal() -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut hup)) =
        (signal(SignalKind::terminate()), signal(SignalKind::hangup()))
    else {
        let _ = tokio::signal::ctrl_c().await;
        return "SIGINT";
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => "SIGINT",
        _ = term.recv() => "SIGTERM",
        _ = hup.recv() => "SIGHUP",
    }
}

#[cfg(not(unix))]
async fn wait_for_signal() -> &'static str {
    let _ = tokio::signal::ctrl_c().await;
    "SIGINT"
}

/// When the loop stops.
#[derive(Debug, Clone, Copy)]
pub(super) struct Limits {
    /// Stop after this many blocks.
    pub(super) blocks: Option<u64>,
    /// Polling interval (HTTP endpoints).
    pub(super) poll: Duration,
}

/// Follows `chain`: applies every event past the pipeline's head (`on_event` sees each one
/// applied, in order, when `keep_events`), then waits for the next head. A transient failure (the node, the store) is logged and the
/// block tried again after a backoff — the pipeline undid what the failed attempt changed, so
/// every block is applied exactly once. A head that stands still for
/// [`FollowConfig::stall_after`] is logged and exported as `mev_bot_head_stalled`. Stops after
/// `limits.blocks` blocks or at a signal: the block in flight gets
/// [`FollowConfig::shutdown_grace_ms`] to finish, then is abandoned.
pub(super) async fn follow(
    pipeline: &mut Pipeline,
    chain: &dyn ChainReader,
    limits: Limits,
    config: &FollowConfig,
    keep_events: bool,
    mut on_event: impl FnMut(ChainEvent),
    mut on_report: impl FnMut(&BlockReport) -> Result<()>,
) -> Result<()> {
    let shutdown = Shutdown::install();
    let grace = Duration::from_millis(config.shutdown_grace_ms);
    let mut stall = Stall::new(config.stall_after());
    let mut backoff = Backoff::new();
    let mut blocks = 0u64;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        if shutdown.requested() || limits.blocks.is_some_and(|l| blocks >= l) {
            break;
        }
        let step = async {
            match pipeline.next_event(chain).await? {
                Some(event) => {
                    let kept = keep_events.then(|| event.clone());
                    let report = pipeline.apply(event).await?;
                    Ok::<_, BotError>(Some((report, kept)))
                }
                None => Ok(None),
            }
        };
        tokio::pin!(step);
        let outcome = loop {
            tokio::select! {
                r = &mut step => break Some(r),
                () = shutdown.wait() => {
                    break match tokio::time::timeout(grace, &mut step).await {
                        Ok(r) => Some(r),
                        Err(_) => {
                            tracing::warn!(grace_ms = config.shutdown_grace_ms, "abandoned the block in flight");
                            None
                        }
                    };
                }
                _ = tick.tick() => stall.check(),
            }
        };
        let Some(outcome) = outcome else { break };
        match outcome {
            Ok(Some((report, kept))) => {
                if let Some(event) = kept {
                    on_event(event);
                }
                if !report.reorg {
                    blocks += 1;
                }
                stall.advanced();
                backoff.reset();
                on_report(&report)?;
            }
            Ok(None) => {
                stall.check();
                tokio::select! {
                    () = chain.wait_for_head(limits.poll) => {}
                    () = shutdown.wait() => {}
                }
            }
            Err(e) if e.is_transient() => {
                stall.check();
                let delay = backoff.next();
                metrics::counter!("mev_bot_step_errors_total").increment(1);
                tracing::warn!(error = %e, retry_in_ms = delay.as_millis() as u64, "block not processed; trying again");
                tokio::select! {
                    () = tokio::time::sleep(delay) => {}
                    () = shutdown.wait() => {}
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    tracing::info!(blocks, "stopped; every write of the last block is in the store");
    Ok(())
}

/// Notices a head that does not advance.
#[derive(Debug)]
struct Stall {
    after: Duration,
    since: Instant,
    stalled: bool,
}

impl Stall {
    fn new(after: Duration) -> Self {
        metrics::gauge!("mev_bot_head_stalled").set(0.0);
        Self { after, since: Instant::now(), stalled: false }
    }

    fn advanced(&mut self) {
        if self.stalled {
            tracing::info!(
                stalled_ms = self.since.elapsed().as_millis() as u64,
                "head advancing again"
            );
            metrics::gauge!("mev_bot_head_stalled").set(0.0);
            super::health_endpoint::set_stalled(false);
        }
        self.since = Instant::now();
        self.stalled = false;
    }

    fn check(&mut self) {
        if !self.stalled && self.since.elapsed() >= self.after {
            self.stalled = true;
            metrics::gauge!("mev_bot_head_stalled").set(1.0);
            super::health_endpoint::set_stalled(true);
            metrics::counter!("mev_bot_stalls_total").increment(1);
            tracing::warn!(
                no_new_block_ms = self.since.elapsed().as_millis() as u64,
                "head stalled: no new block processed"
            );
        }
    }
}

/// 250 ms, doubling to 10 s, between attempts at a block that failed transiently.
#[derive(Debug)]
struct Backoff(Duration);

impl Backoff {
    const FIRST: Duration = Duration::from_millis(250);
    const MAX: Duration = Duration::from_secs(10);

    const fn new() -> Self {
        Self(Self::FIRST)
    }

    fn next(&mut self) -> Duration {
        let d = self.0;
        self.0 = (self.0 * 2).min(Self::MAX);
        d
    }

    const fn reset(&mut self) {
        self.0 = Self::FIRST;
    }
}
