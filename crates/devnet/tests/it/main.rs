//! Integration tests: every deployment exercised for real on its own anvil.
//!
//! They need the pinned npm packages (`bash scripts/devnet-setup`); without them every test fails
//! with that instruction, none is skipped.

mod aave_v3;
mod aave_v3_6;
mod chain;
mod multicall3;
mod uniswap_v2;
mod uniswap_v3;
mod uniswap_v4;

use std::fmt;

use alloy_primitives::U256;
use mev_devnet::Devnet;

/// A test failure that prints the error's message (which names the fix) rather than its `Debug`.
pub(crate) struct Failure(String);

impl<E: std::error::Error> From<E> for Failure {
    fn from(error: E) -> Self {
        let mut message = error.to_string();
        let mut source = error.source();
        while let Some(s) = source {
            message.push_str(&format!("\n  caused by: {s}"));
            source = s.source();
        }
        Self(message)
    }
}

impl fmt::Debug for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Fails the test with `message` unless `condition` holds.
pub(crate) fn ensure(condition: bool, message: impl FnOnce() -> String) -> Result<(), Failure> {
    if condition { Ok(()) } else { Err(Failure(message())) }
}

pub(crate) type TestResult = Result<(), Failure>;

/// A fresh devnet for one test.
pub(crate) async fn devnet() -> Result<Devnet, Failure> {
    Ok(Devnet::start().await?)
}

/// `n · 10^18`.
pub(crate) fn e18(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18))
}
