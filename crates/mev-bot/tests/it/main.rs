//! Integration tests of the `mev-bot` binary.

mod decode_cli;
