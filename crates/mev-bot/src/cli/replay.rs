//! `mev-bot replay`: a recording through the same pipeline, offline, with the option to
//! fail unless it emits the recorded live run's opportunities.

use std::path::PathBuf;

use clap::Args;
use mev_bot::{BotError, Recording, RunSummary};

use super::{
    args::OutputArgs,
    error::Result,
    init_tracing,
    output::{OpportunitySink, print_summary, progress, serve_metrics},
    runtime,
    store::open_store,
};

#[derive(Debug, Args)]
pub(super) struct ReplayArgs {
    /// The recording (JSON, written by `mev-bot record`).
    file: PathBuf,
    /// Keep positions in Redis at URL instead of in memory.
    #[arg(long, value_name = "URL")]
    redis_url: Option<String>,
    /// Fail (exit 2) unless the replay emits exactly the opportunities the recorded live run
    /// emitted.
    #[arg(long)]
    check: bool,
    #[command(flatten)]
    output: OutputArgs,
}

pub(super) fn replay(args: ReplayArgs) -> Result<()> {
    let ReplayArgs { file, redis_url, check, output } = args;
    let recording = Recording::load(&file)?;
    let mismatch = runtime()?.block_on(async {
        init_tracing("warn");
        serve_metrics(&output)?;
        let mut sink = OpportunitySink::open(output.output.as_deref())?;
        let store = open_store(redis_url).await?;
        let description = if recording.description.is_empty() {
            String::new()
        } else {
            format!(" ({})", recording.description)
        };
        eprintln!(
            "replaying {}: {} events from block {}{description}",
            file.display(),
            recording.events.len(),
            recording.start.number,
        );
        let mut write_err = None;
        let (pipeline, opportunities, requests) = mev_bot::replay(&recording, store, |r| {
            progress(r);
            if let Err(e) = sink.write(&r.opportunities) {
                write_err.get_or_insert(e);
            }
        })
        .await?;
        if let Some(e) = write_err {
            return Err(e);
        }
        print_summary(&RunSummary::of(&pipeline, opportunities.clone(), requests));
        Ok(opportunities != recording.opportunities)
    })?;
    if check && mismatch {
        return Err(BotError::Recording {
            path: file.display().to_string(),
            reason: "the replay's opportunities differ from the recorded live run's".into(),
        }
        .into());
    }
    if mismatch {
        eprintln!("note: the opportunities differ from the recorded live run's");
    } else {
        eprintln!("the opportunities equal the recorded live run's");
    }
    Ok(())
}
