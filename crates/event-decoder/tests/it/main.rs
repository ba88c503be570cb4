//! Integration tests of mev-event-decoder.

mod robustness;
mod vectors;
