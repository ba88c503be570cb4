//! `mev-bot record`: the pipeline live, written down as a [`Recording`] that `replay` runs
//! offline.

use std::{path::PathBuf, sync::Arc};

use clap::Args;
use mev_bot::{Pipeline, RECORDING_FORMAT, Recording, RecordingReader};
use mev_position_cache::{InMemoryPositionStore, PositionStore};

use super::{
    error::Result,
    follow::{LiveArgs, connect, follow},
    init_tracing,
    output::progress,
    runtime,
};

#[derive(Debug, Args)]
pub(super) struct RecordArgs {
    #[command(flatten)]
    live: LiveArgs,
    /// Where to write the recording (JSON).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Text stored in the recording describing the scenario.
    #[arg(long, default_value = "")]
    description: String,
}

pub(super) fn record(args: RecordArgs) -> Result<()> {
    let RecordArgs { live, out, description } = args;
    let (config, urls, limits) = live.load()?;
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
