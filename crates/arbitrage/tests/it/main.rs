//! Integration tests of mev-arbitrage on the devnet.

mod execution;
