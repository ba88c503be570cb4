#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod decode;
mod error;
mod health;
mod rebuild;

pub use decode::{DecodeSummary, decode_stream};
pub use error::{BotError, Result};
pub use health::{AaveHealth, aave_health};
pub use rebuild::{Market, RebuildSummary, rebuild};
