#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod decode;
mod error;

pub use decode::{DecodeSummary, decode_stream};
pub use error::{BotError, Result};
