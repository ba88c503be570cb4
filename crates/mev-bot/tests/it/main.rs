//! Integration tests of the `mev-bot` binary.

mod decode_cli;
mod health_cli;
mod market;
mod pipeline;
mod rebuild_cli;
