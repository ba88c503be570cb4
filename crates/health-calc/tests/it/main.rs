//! Integration tests of `mev-health-calc` through its public API.

mod aave;
mod common;
mod compound;
mod differential;
mod properties;
mod vectors;
mod view;
