//! Integration tests of the `mev-bot` binary.

mod arbitrage;
mod architecture;
mod config_cli;
mod dashboard;
mod decode_cli;
mod discover_cli;
mod faults;
mod ha;
mod health_cli;
mod market;
mod pipeline;
mod pipeline_cli;
mod quote_cli;
mod readmes;
mod rebuild_cli;
