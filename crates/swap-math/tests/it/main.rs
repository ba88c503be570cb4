//! Integration tests of mev-swap-math: properties of the V3 simulator, and exactness against the
//! real Uniswap V2 and V3 contracts on anvil.

mod balancer;
mod common;
mod devnet_v2;
mod devnet_v3;
mod properties;
mod properties_v4;
