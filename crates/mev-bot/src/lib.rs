#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod arbitrage_config;
mod config;
pub mod decimal;
mod error;
mod events;
mod follow_config;
mod market;
mod opportunity;
mod pipeline;
mod recording;
#[cfg(feature = "rpc")]
mod rpc;
pub mod telemetry;
#[cfg(any(test, feature = "test-utils"))]
#[cfg_attr(docsrs, doc(cfg(feature = "test-utils")))]
pub mod testing;

pub use arbitrage_config::{ArbitrageConfig, BaseToken};
pub use config::{BalancerPoolTypeConfig, BotConfig, PipelineConfig, PoolConfig, PriceFeedConfig};
pub use error::{BotError, Result};
pub use events::{BlockData, ChainEvent, LogFilter};
pub use follow_config::FollowConfig;
pub use market::Market;
pub use mev_chain::BlockHeader;
pub use opportunity::{
    ArbitrageHop, ArbitrageOpportunity, LiquidationHint, LiquidationOpportunity, Opportunity,
};
pub use pipeline::{BlockReport, Pipeline, PipelineBuilder, Totals};
pub use recording::{
    PositionLine, RECORDING_FORMAT, RecordedCall, RecordedLogs, Recording, RecordingReader,
    ReplayChain, RunSummary, replay,
};
#[cfg(feature = "rpc")]
#[cfg_attr(docsrs, doc(cfg(feature = "rpc")))]
pub use rpc::RpcChain;
