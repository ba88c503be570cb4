//! `mev-bot run`: the pipeline live, opportunities as JSON lines, a summary at the end.

use std::{path::PathBuf, time::Duration};

use clap::Args;
use mev_bot::{BotConfig, Pipeline, RunSummary};

use super::{
    args::OutputArgs,
    error::Result,
    follow::{Limits, connect, follow},
    health_endpoint, init_tracing,
    output::{OpportunitySink, print_summary, progress, serve_metrics},
    runtime,
    store::failover_store,
};

#[derive(Debug, Args)]
pub(super) struct RunArgs {
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
    /// Keep positions in Redis at URL (redis://, rediss://, redis-cluster://) instead of
    /// in memory. Also MEV_BOT_REDIS_URL.
    #[arg(long, value_name = "URL", env = "MEV_BOT_REDIS_URL", hide_env_values = true)]
    redis_url: Option<String>,
    /// Stop after this many blocks (default: run until Ctrl-C).
    #[arg(long, value_name = "N")]
    blocks: Option<u64>,
    /// Polling interval for http(s) endpoints, milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    poll_ms: u64,
    /// Serve GET /readyz (200 once bootstrapped) and GET /healthz (503 while the head is
    /// stalled or Redis is unreachable) on ADDR (e.g. 127.0.0.1:9101).
    #[arg(long, value_name = "ADDR")]
    health_addr: Option<std::net::SocketAddr>,
    #[command(flatten)]
    output: OutputArgs,
}

pub(super) fn run(args: RunArgs) -> Result<()> {
    let RunArgs { rpc_urls, config, redis_url, blocks, poll_ms, health_addr, output } = args;
    let config = BotConfig::load(&config)?;
    let urls: Vec<String> = rpc_urls.into_iter().chain(config.rpc_urls.iter().cloned()).collect();
    runtime()?.block_on(async {
        init_tracing("info");
        serve_metrics(&output)?;
        if let Some(addr) = health_addr {
            health_endpoint::serve(addr).await?;
        }
        let mut sink = OpportunitySink::open(output.output.as_deref())?;
        let reader = connect(&urls, &config.follow).await?;
        let store = failover_store(redis_url).await?;
        let mut pipeline = Pipeline::builder(reader.clone(), store)
            .bot_config(&config)
            .bootstrap_at_latest()
            .await?;
        health_endpoint::set_ready();
        let mut all = Vec::new();
        let limits = Limits { blocks, poll: Duration::from_millis(poll_ms.max(1)) };
        follow(
            &mut pipeline,
            &*reader,
            limits,
            &config.follow,
            false,
            |_| {},
            |r| {
                progress(r);
                all.extend(r.opportunities.iter().cloned());
                sink.write(&r.opportunities)
            },
        )
        .await?;
        print_summary(&RunSummary::of(&pipeline, all, reader.requests()));
        Ok(())
    })
}
