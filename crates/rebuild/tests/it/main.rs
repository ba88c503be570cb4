//! Integration tests of mev-rebuild against real Aave V3 on the devnet (anvil).

mod aave_proof;
mod common;
mod faults;
mod liquidation;
mod outage;
mod rebuild;
mod release;
