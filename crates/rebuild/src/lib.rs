#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(clippy::float_arithmetic)]

mod aave;
pub mod bindings;
mod compound;
mod config;
mod discovery;
mod error;
mod market;
mod multicall;
mod protocol;
mod rebuilder;
mod reconcile;
mod release;
mod split;

pub use aave::{AaveReserveState, AaveV3Config, AaveV3Protocol};
pub use compound::{CompoundV2Config, CompoundV2Protocol};
pub use config::RebuildConfig;
pub use discovery::discover_borrowers;
pub use error::{RebuildError, Result};
pub use market::MarketConfig;
pub use multicall::{DEFAULT_MAX_CALLS_PER_REQUEST, READ_RETRIES};
pub use protocol::{
    AaveInputs, ChainPosition, CompoundInputs, HealthInputs, LendingProtocol, Liquidation,
};
pub use rebuilder::{RebuildReport, Rebuilder};
pub use reconcile::{
    FULL_DIVERGENCE_BPS, PositionDivergence, ReconcileReport, divergence, relative_bps,
};
pub use release::{AaveFeatures, AaveRelease, FIRST_V3_5_REVISION, detect_aave_release};
