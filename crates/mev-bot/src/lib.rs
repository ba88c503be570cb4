#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod chain;
mod config;
mod decimal;
mod decode;
mod error;
mod health;
mod pipeline;
mod rebuild;
mod recording;
pub mod telemetry;

pub use chain::{BlockData, BlockHeader, BlockSource, ChainEvent, LogFilter, ReaderCall, RpcChain};
pub use config::{BotConfig, PipelineConfig, PoolConfig, PriceFeedConfig};
pub use decode::{DecodeSummary, decode_stream};
pub use error::{BotError, Result};
pub use health::{AaveHealth, aave_health};
pub use pipeline::{BlockReport, LiquidationHint, MarketSpec, Opportunity, Pipeline, Totals};
pub use rebuild::{Market, RebuildSummary, rebuild};
pub use recording::{
    PositionLine, RECORDING_FORMAT, RecordedCall, RecordedLogs, Recording, RecordingReader,
    ReplayChain, RunSummary, replay,
};
