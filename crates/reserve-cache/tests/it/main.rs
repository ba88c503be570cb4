//! Integration tests of mev-reserve-cache.

mod balancer;
mod cache;
mod devnet;
mod discover;
mod execution;
mod gated;
mod quotes;
mod rng;
mod tick_load;
mod uniswap_v4;
