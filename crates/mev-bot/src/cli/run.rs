//! `mev-bot run`: the pipeline live, opportunities as JSON lines, a summary at the end.

use clap::Args;
use mev_bot::{Pipeline, RunSummary};

use super::{
    args::OutputArgs,
    error::Result,
    follow::{LiveArgs, connect, follow},
    health_endpoint, init_tracing,
    output::{OpportunitySink, print_summary, progress, serve_metrics},
    runtime,
    store::failover_store,
};

#[derive(Debug, Args)]
pub(super) struct RunArgs {
    #[command(flatten)]
    live: LiveArgs,
    /// Keep positions in Redis at URL (redis://, rediss://, redis-cluster://) instead of
    /// in memory. Also MEV_BOT_REDIS_URL.
    #[arg(long, value_name = "URL", env = "MEV_BOT_REDIS_URL", hide_env_values = true)]
    redis_url: Option<String>,
    /// Serve GET /readyz (200 once bootstrapped) and GET /healthz (503 while the head is
    /// stalled or Redis is unreachable) on ADDR (e.g. 127.0.0.1:9101).
    #[arg(long, value_name = "ADDR")]
    health_addr: Option<std::net::SocketAddr>,
    #[command(flatten)]
    output: OutputArgs,
}

pub(super) fn run(args: RunArgs) -> Result<()> {
    let RunArgs { live, redis_url, health_addr, output } = args;
    let (config, urls, limits) = live.load()?;
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
