//! `mev-bot record`: the pipeline live, written down as a [`Recording`] that `replay` runs
//! offline.

use std::{path::PathBuf, sync::Arc, time::Duration};

use clap::Args;
use mev_bot::{BotConfig, Pipeline, RECORDING_FORMAT, Recording, RecordingReader};
use mev_position_cache::{InMemoryPositionStore, PositionStore};

use super::{
    error::Result,
    follow::{Limits, connect, follow},
    init_tracing,
    output::progress,
    runtime,
};

#[derive(Debug, Args)]
pub(super) struct RecordArgs {
    /// JSON-RPC endpoint, as for `run` (repeatable; MEV_BOT_RPC_URL).
    #[arg(
        long = "rpc-url",
        value_name = "URL",
        env = "MEV_BOT_RPC_URL",
        hide_env_values = true,
        value_delimiter = ','
    )]
    rpc_urls: Vec<String>,
    /// TOML file naming the markets, pools and price feeds to watch.
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// Where to write the recording (JSON).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Stop after this many blocks (default: until Ctrl-C).
    #[arg(long, value_name = "N")]
    blocks: Option<u64>,
    /// Polling interval for http(s) endpoints, milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    poll_ms: u64,
    /// Text stored in the recording describing the scenario.
    #[arg(long, default_value = "")]
    description: String,
}

pub(super) fn record(args: RecordArgs) -> Result<()> {
    let RecordArgs { rpc_urls, config, out, blocks, poll_ms, description } = args;
    let mut config = BotConfig::load(&config)?;
    let urls: Vec<String> = rpc_urls.into_iter().chain(config.rpc_urls.iter().cloned()).collect();
    // URLs carry API keys: they stay out of the recording.
    config.rpc_urls.clear();
    runtime()?.block_on(async {
        init_tracing("info");
        let reader = connect(&urls, &config.follow).await?;
        // The pipeline's reads are recorded; following the chain (headers, block logs) is
        // not: the events carry it.
        let recorder = Arc::new(RecordingReader::new(reader.clone()));
        let store: Arc<dyn PositionStore> = Arc::new(InMemoryPositionStore::new());
        let mut pipeline = Pipeline::builder(recorder.clone(), store)
            .bot_config(&config)
            .bootstrap_at_latest()
            .await?;
        let start = pipeline.head();
        let mut events = Vec::new();
        let mut opportunities = Vec::new();
        let limits = Limits { blocks, poll: Duration::from_millis(poll_ms.max(1)) };
        follow(
            &mut pipeline,
            &*reader,
            limits,
            &config.follow,
            true,
            |e| events.push(e),
            |r| {
                progress(r);
                opportunities.extend(r.opportunities.iter().cloned());
                Ok(())
            },
        )
        .await?;
        let (calls, log_queries) = recorder.take();
        let recording = Recording {
            format: RECORDING_FORMAT,
            description,
            config,
            start,
            events,
            calls,
            log_queries,
            opportunities,
        };
        recording.save(&out)?;
        eprintln!(
            "recorded {} events, {} calls, {} opportunities to {}",
            recording.events.len(),
            recording.calls.len(),
            recording.opportunities.len(),
            out.display()
        );
        Ok(())
    })
}
