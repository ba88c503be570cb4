//! `U256` as a decimal string in JSON and TOML, the form of every integer the pipeline emits
//! (`#[serde(with = "mev_bot::decimal")]`); reads a decimal string or a small integer (TOML
//! integers stop at `i64`).

use alloy_primitives::U256;
use serde::{Deserialize, Deserializer, Serializer};

/// Writes `value` as a decimal string.
pub fn serialize<S: Serializer>(value: &U256, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(value)
}

/// Reads a decimal string or an integer.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<U256, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Int(u64),
        Str(String),
    }
    match Raw::deserialize(d)? {
        Raw::Int(i) => Ok(U256::from(i)),
        Raw::Str(s) => s.parse().map_err(serde::de::Error::custom),
    }
}
