#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(clippy::float_arithmetic)]

mod cycles;
mod estimate;
mod sizing;
mod view;

pub use cycles::{Cycle, CycleId, CycleIndex, Hop, MAX_HOPS};
pub use sizing::{Arbitrage, HopAmounts, SizingConfig, SizingError, size_cycle};
pub use view::BlockView;
