#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod change;
mod decoder;
mod error;
mod event;
pub mod events;
mod fields;
mod protocol;
mod registry;

pub use change::{StateChange, StateChanges};
pub use decoder::{Decoder, RawLog};
pub use error::{DecodeError, Result};
pub use event::{DecodedLog, Event, LogMeta};
pub use events::{
    aave_v3::AaveV3Event, balancer_v2::BalancerV2Event, chainlink::ChainlinkEvent,
    compound_v2::CompoundV2Event, curve::CurveEvent, erc20::Erc20Event, uniswap_v2::UniswapV2Event,
    uniswap_v3::UniswapV3Event, uniswap_v4::UniswapV4Event,
};
pub use fields::{Field, FieldValue};
pub use protocol::{Protocol, UnknownProtocol};
pub use registry::Registry;
