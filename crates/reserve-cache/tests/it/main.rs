//! Integration tests of mev-reserve-cache.

mod cache;
mod devnet;
mod gated;
mod quotes;
