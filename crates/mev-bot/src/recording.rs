//! Offline replay: a [`Recording`] holds the chain events a live run saw and every chain
//! response it read; [`ReplayChain`] answers the same requests from it, so [`replay`] drives the
//! same [`Pipeline`] to the same result without a node.

use std::{
    collections::HashMap,
    path::Path,
    sync::{Arc, Mutex},
};

use alloy_primitives::{Address, Bytes};
use alloy_rpc_types_eth::{Filter, Log};
use async_trait::async_trait;
use mev_chain::{BlockHeader, ChainError, ChainReader, Counted};
use mev_position_cache::PositionStore;
use serde::{Deserialize, Serialize};

use crate::{
    BotError, ChainEvent, Opportunity, Result,
    config::BotConfig,
    pipeline::{BlockReport, Pipeline},
};

/// Format version written into new recordings.
pub const RECORDING_FORMAT: u32 = 1;

/// A live run, written down: configuration, the block it started at, every chain event in the
/// order processed, every chain read's response, and the opportunities the live run emitted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recording {
    /// [`RECORDING_FORMAT`].
    pub format: u32,
    /// Free text: what scenario was recorded.
    pub description: String,
    /// What the run watched.
    pub config: BotConfig,
    /// The block the pipeline bootstrapped at.
    pub start: BlockHeader,
    /// Blocks and reorgs, in processing order.
    pub events: Vec<ChainEvent>,
    /// `eth_call` responses.
    pub calls: Vec<RecordedCall>,
    /// `eth_getLogs` responses (borrower discovery).
    pub log_queries: Vec<RecordedLogs>,
    /// What the live run emitted, in order.
    pub opportunities: Vec<Opportunity>,
}

/// One `eth_call` and its return data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedCall {
    /// Callee.
    pub to: Address,
    /// Block number the call ran at.
    pub block: u64,
    /// Calldata.
    pub data: Bytes,
    /// Return data.
    pub result: Bytes,
}

/// One `eth_getLogs` and its logs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedLogs {
    /// The filter as JSON-RPC parameters.
    pub filter: serde_json::Value,
    /// The logs returned.
    pub logs: Vec<Log>,
}

impl Recording {
    /// Reads a recording from a JSON file.
    pub fn load(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|source| BotError::Io {
            context: format!("reading recording {}", path.display()),
            source,
        })?;
        let r: Self = serde_json::from_slice(&bytes).map_err(|e| BotError::Recording {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        if r.format != RECORDING_FORMAT {
            return Err(BotError::Recording {
                path: path.display().to_string(),
                reason: format!("format {} is not {RECORDING_FORMAT}", r.format),
            });
        }
        Ok(r)
    }

    /// Writes the recording as JSON.
    pub fn save(&self, path: &Path) -> Result<()> {
        let json = serde_json::to_vec(self).map_err(|e| BotError::Recording {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        std::fs::write(path, json).map_err(|source| BotError::Io {
            context: format!("writing recording {}", path.display()),
            source,
        })
    }
}

/// A [`ChainReader`] that passes every request to another and writes down each successful
/// response, for a [`Recording`].
#[derive(Debug)]
pub struct RecordingReader {
    inner: Arc<dyn ChainReader>,
    tape: Mutex<Tape>,
}

#[derive(Debug, Default)]
struct Tape {
    calls: Vec<RecordedCall>,
    seen: HashMap<(Address, u64, Bytes), usize>,
    logs: Vec<RecordedLogs>,
}

impl RecordingReader {
    /// Records what `inner` answers.
    pub fn new(inner: Arc<dyn ChainReader>) -> Self {
        Self { inner, tape: Mutex::new(Tape::default()) }
    }

    /// The responses recorded so far: `(calls, log queries)`.
    pub fn take(&self) -> (Vec<RecordedCall>, Vec<RecordedLogs>) {
        let mut tape = self.tape.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        tape.seen.clear();
        (std::mem::take(&mut tape.calls), std::mem::take(&mut tape.logs))
    }

    fn with_tape<T>(&self, f: impl FnOnce(&mut Tape) -> T) -> T {
        f(&mut self.tape.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
    }
}

#[async_trait]
impl ChainReader for RecordingReader {
    async fn block_number(&self) -> mev_chain::Result<u64> {
        self.inner.block_number().await
    }

    async fn header(&self, number: u64) -> mev_chain::Result<Option<BlockHeader>> {
        self.inner.header(number).await
    }

    async fn call(&self, to: Address, data: Bytes, block: u64) -> mev_chain::Result<Bytes> {
        let result = self.inner.call(to, data.clone(), block).await?;
        self.with_tape(|t| {
            let key = (to, block, data.clone());
            if !t.seen.contains_key(&key) {
                t.seen.insert(key, t.calls.len());
                t.calls.push(RecordedCall { to, block, data, result: result.clone() });
            }
        });
        Ok(result)
    }

    async fn logs(&self, filter: &Filter) -> mev_chain::Result<Vec<Log>> {
        let logs = self.inner.logs(filter).await?;
        let key = filter_key(filter);
        self.with_tape(|t| t.logs.push(RecordedLogs { filter: key, logs: logs.clone() }));
        Ok(logs)
    }

    async fn wait_for_head(&self, poll: std::time::Duration) {
        self.inner.wait_for_head(poll).await;
    }
}

fn filter_key(filter: &Filter) -> serde_json::Value {
    serde_json::to_value(filter).unwrap_or(serde_json::Value::Null)
}

/// A [`ChainReader`] answering from a [`Recording`]; a request the live run did not make
/// fails with a [`ChainError::Node`] naming it.
#[derive(Debug)]
pub struct ReplayChain {
    calls: HashMap<(Address, u64, Bytes), Bytes>,
    logs: Vec<RecordedLogs>,
    headers: HashMap<u64, BlockHeader>,
    head: u64,
}

impl ReplayChain {
    /// The chain of `recording`.
    pub fn new(recording: &Recording) -> Self {
        let calls = recording
            .calls
            .iter()
            .map(|c| ((c.to, c.block, c.data.clone()), c.result.clone()))
            .collect();
        // The last header seen at each height: the chain as the live run left it.
        let mut headers = HashMap::from([(recording.start.number, recording.start)]);
        for e in &recording.events {
            if let ChainEvent::Block(b) = e {
                headers.insert(b.header.number, b.header);
            }
        }
        let head = headers.keys().copied().max().unwrap_or(recording.start.number);
        Self { calls, logs: recording.log_queries.clone(), headers, head }
    }
}

/// What a replay answers for a request the live run did not make.
fn not_recorded(method: &'static str, what: String) -> ChainError {
    ChainError::Node { method, code: -32000, message: format!("the recording has no {what}") }
}

#[async_trait]
impl ChainReader for ReplayChain {
    async fn block_number(&self) -> mev_chain::Result<u64> {
        Ok(self.head)
    }

    async fn header(&self, number: u64) -> mev_chain::Result<Option<BlockHeader>> {
        Ok(self.headers.get(&number).copied())
    }

    async fn call(&self, to: Address, data: Bytes, block: u64) -> mev_chain::Result<Bytes> {
        self.calls.get(&(to, block, data)).cloned().ok_or_else(|| {
            not_recorded("eth_call", format!("eth_call to {to} at block {block} with this data"))
        })
    }

    async fn logs(&self, filter: &Filter) -> mev_chain::Result<Vec<Log>> {
        let key = filter_key(filter);
        self.logs
            .iter()
            .find(|l| l.filter == key)
            .map(|l| l.logs.clone())
            .ok_or_else(|| not_recorded("eth_getLogs", format!("eth_getLogs with filter {key}")))
    }
}

/// What a run processed, as `mev-bot replay` and `run` print it at the end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunSummary {
    /// Blocks processed.
    pub blocks: u64,
    /// Reorgs rolled back.
    pub reorgs: u64,
    /// Logs received.
    pub logs: u64,
    /// Logs decoded into known events.
    pub logs_decoded: u64,
    /// Pools configured.
    pub pools_tracked: usize,
    /// Pool reads served from the reserve cache, basis points of all pool reads.
    pub reserve_hit_rate_bps: u64,
    /// Chain requests the run made (replay: requests answered from the recording).
    pub chain_requests: u64,
    /// Every tracked position at the end.
    pub positions: Vec<PositionLine>,
    /// Opportunities emitted, in order.
    pub opportunities: Vec<Opportunity>,
}

/// One position in a [`RunSummary`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PositionLine {
    /// Market name.
    pub protocol: String,
    /// Borrower.
    pub user: Address,
    /// Health factor, WAD; `U256::MAX` without debt.
    #[serde(serialize_with = "crate::decimal::serialize")]
    pub health_factor: alloy_primitives::U256,
    /// Consecutive unhealthy blocks.
    pub blocks_unhealthy: u64,
}

impl RunSummary {
    /// The summary of `pipeline` after a run that emitted `opportunities`.
    pub fn of(pipeline: &Pipeline, opportunities: Vec<Opportunity>, chain_requests: u64) -> Self {
        let counts: HashMap<(&str, Address), u64> =
            pipeline.streaks().map(|(m, u, c)| ((m, u), c)).collect();
        let mut positions: Vec<PositionLine> = pipeline
            .tracked()
            .map(|(m, p, h)| PositionLine {
                protocol: m.to_owned(),
                user: p.user,
                health_factor: h.health_factor.wad(),
                blocks_unhealthy: counts.get(&(m, p.user)).copied().unwrap_or(0),
            })
            .collect();
        positions.sort_by(|a, b| (&a.protocol, a.user).cmp(&(&b.protocol, b.user)));
        let t = pipeline.totals();
        Self {
            blocks: t.blocks,
            reorgs: t.reorgs,
            logs: t.logs,
            logs_decoded: t.decoded,
            pools_tracked: pipeline.pools().count(),
            reserve_hit_rate_bps: pipeline.reserves().stats().hit_rate_bps(),
            chain_requests,
            positions,
            opportunities,
        }
    }
}

/// Replays `recording` into a fresh pipeline over `store`, calling `on_report` after each
/// event. Returns the pipeline (for inspection), the opportunities in order and the chain
/// requests answered from the recording.
pub async fn replay(
    recording: &Recording,
    store: Arc<dyn PositionStore>,
    mut on_report: impl FnMut(&BlockReport),
) -> Result<(Pipeline, Vec<Opportunity>, u64)> {
    let chain = Arc::new(Counted::new(ReplayChain::new(recording)));
    let mut pipeline = Pipeline::builder(chain.clone(), store)
        .bot_config(&recording.config)
        .bootstrap(recording.start)
        .await?;
    let mut opportunities = Vec::new();
    for event in &recording.events {
        let report = pipeline.apply(event.clone()).await?;
        opportunities.extend(report.opportunities.iter().cloned());
        on_report(&report);
    }
    Ok((pipeline, opportunities, chain.requests()))
}
