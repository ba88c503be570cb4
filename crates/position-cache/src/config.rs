//! Settings every backend shares, and the key layout they imply.

use std::time::Duration;

use alloy_primitives::Address;
use serde::{Deserialize, Serialize};

use crate::error::{Result, StoreError};

/// Default time-to-live of a position, in seconds.
pub const DEFAULT_TTL_SECS: u64 = 60;

/// Settings shared by every backend: key namespace and time-to-live.
///
/// Keys are `{namespace}position:{protocol}:{user}` with `user` as lowercase `0x` hex, and
/// `{namespace}checkpoint:{protocol}` for rebuild checkpoints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StoreConfig {
    /// Prefix of every key, e.g. `"bot1:"`. Default: empty (the Python bot's layout).
    pub namespace: String,
    /// Time-to-live of a position in seconds, refreshed on every write. Default: 60.
    pub ttl_secs: u64,
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self { namespace: String::new(), ttl_secs: DEFAULT_TTL_SECS }
    }
}

impl StoreConfig {
    /// Checks the values: `ttl_secs` must be at least 1.
    pub fn validate(&self) -> Result<()> {
        if self.ttl_secs == 0 {
            return Err(StoreError::Config {
                field: "ttl_secs",
                reason: "must be at least 1 second".into(),
            });
        }
        Ok(())
    }

    /// The time-to-live as a [`Duration`].
    pub const fn ttl(&self) -> Duration {
        Duration::from_secs(self.ttl_secs)
    }

    /// The key holding `user`'s position on `protocol`.
    pub fn position_key(&self, protocol: &str, user: Address) -> String {
        format!("{}position:{protocol}:{user:#x}", self.namespace)
    }

    /// The key holding `protocol`'s rebuild checkpoint (a block number).
    pub fn checkpoint_key(&self, protocol: &str) -> String {
        format!("{}checkpoint:{protocol}", self.namespace)
    }

    /// The `SCAN MATCH` pattern selecting every position under the namespace, with glob
    /// characters in the namespace escaped.
    pub fn scan_pattern(&self) -> String {
        let mut pattern = String::with_capacity(self.namespace.len() + 10);
        for c in self.namespace.chars() {
            if matches!(c, '*' | '?' | '[' | ']' | '\\') {
                pattern.push('\\');
            }
            pattern.push(c);
        }
        pattern.push_str("position:*");
        pattern
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_layout_matches_reference() {
        let c = StoreConfig::default();
        let user: Address = "0xAbCdEf1234567890123456789012345678901234".parse().unwrap();
        assert_eq!(
            c.position_key("moonwell", user),
            "position:moonwell:0xabcdef1234567890123456789012345678901234"
        );
        assert_eq!(c.checkpoint_key("moonwell"), "checkpoint:moonwell");
        assert_eq!(c.scan_pattern(), "position:*");
        let ns = StoreConfig { namespace: "t*[1]:".into(), ..StoreConfig::default() };
        assert_eq!(ns.scan_pattern(), r"t\*\[1\]:position:*");
        assert_eq!(ns.ttl(), Duration::from_secs(60));
    }

    #[test]
    fn zero_ttl_is_rejected_and_serde_fills_defaults() {
        assert!(StoreConfig { ttl_secs: 0, ..StoreConfig::default() }.validate().is_err());
        let c: StoreConfig = serde_json::from_str(r#"{"namespace":"a:"}"#).unwrap();
        assert_eq!(c, StoreConfig { namespace: "a:".into(), ttl_secs: 60 });
    }
}
