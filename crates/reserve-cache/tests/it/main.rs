//! Integration tests of mev-reserve-cache.

mod balancer;
mod cache;
mod devnet;
mod gated;
mod quotes;
mod rng;
