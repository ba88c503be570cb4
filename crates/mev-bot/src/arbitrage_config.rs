//! [`ArbitrageConfig`]: which cycles of the watched pools the arbitrage stage evaluates, and
//! what an opportunity must pay.

use alloy_primitives::{Address, U256};
use mev_arbitrage::SizingConfig;
use serde::{Deserialize, Serialize};

use crate::{BotError, Result};

/// The arbitrage stage: every 2- and 3-pool cycle of the watched pools that starts and ends in
/// one of the [`base`](Self::base) tokens, re-sized whenever a block touches one of its pools.
/// No base token (the default): no arbitrage stage.
///
/// ```toml
/// [arbitrage]
/// max_hops = 3
///
/// [[arbitrage.base]]
/// token = "0x4200000000000000000000000000000000000006"   # WETH
/// gas_cost = "30000000000000"                            # 0.00003 WETH per cycle
/// max_input = "100000000000000000000"                    # at most 100 WETH
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ArbitrageConfig {
    /// The tokens cycles start and end in, in order of preference (a loop through several is
    /// evaluated from the first).
    pub base: Vec<BaseToken>,
    /// Pools per cycle, 2 or 3. Default 3.
    pub max_hops: usize,
    /// The search stops when the optimum is bracketed within `input / 2^relative_step`.
    /// Default 16; at most 64.
    pub relative_step: u32,
}

impl Default for ArbitrageConfig {
    fn default() -> Self {
        Self { base: Vec::new(), max_hops: 3, relative_step: 16 }
    }
}

/// One base token and what a cycle through it must pay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaseToken {
    /// The token.
    pub token: Address,
    /// The cost of executing one cycle (gas × gas price, converted), in the token's smallest
    /// unit: only a gross profit above it is an opportunity. Default 0.
    #[serde(default, with = "crate::decimal")]
    pub gas_cost: U256,
    /// The largest input (what the bot can fund), the token's smallest unit. Default 2^128 − 1.
    #[serde(default = "default_max_input", with = "crate::decimal")]
    pub max_input: U256,
    /// The first input tried, the token's smallest unit: well above rounding dust, well below
    /// a useful trade. Default `10^9`.
    #[serde(default = "default_probe", with = "crate::decimal")]
    pub probe: U256,
}

fn default_max_input() -> U256 {
    SizingConfig::default().max_input
}

fn default_probe() -> U256 {
    SizingConfig::default().probe
}

impl BaseToken {
    /// A base token with the default gas cost (0), maximum input and probe.
    pub fn new(token: Address) -> Self {
        Self { token, gas_cost: U256::ZERO, max_input: default_max_input(), probe: default_probe() }
    }
}

impl ArbitrageConfig {
    pub(crate) fn is_default(&self) -> bool {
        *self == Self::default()
    }

    /// Whether the stage runs: at least one base token.
    pub fn enabled(&self) -> bool {
        !self.base.is_empty()
    }

    /// The base tokens, in order.
    pub fn base_tokens(&self) -> Vec<Address> {
        self.base.iter().map(|b| b.token).collect()
    }

    /// The sizing of cycles from `base` (the defaults for a token not configured).
    pub fn sizing(&self, base: &Address) -> SizingConfig {
        let b = self.base.iter().find(|b| b.token == *base);
        let d = SizingConfig::default();
        SizingConfig {
            probe: b.map_or(d.probe, |b| b.probe),
            max_input: b.map_or(d.max_input, |b| b.max_input),
            relative_step: self.relative_step,
            gas_cost: b.map_or(U256::ZERO, |b| b.gas_cost),
        }
    }

    /// Fails with [`BotError::Config`] naming the field: hops outside 2–3, a step of 0 or
    /// above 64, a base token listed twice or zero, a probe of 0 or above the maximum input.
    pub fn validate(&self) -> Result<()> {
        let bad = |reason: String| Err(BotError::Config { reason });
        if !(2..=mev_arbitrage::MAX_HOPS).contains(&self.max_hops) {
            return bad(format!("arbitrage.max_hops {} is not 2 or 3", self.max_hops));
        }
        if !(1..=64).contains(&self.relative_step) {
            return bad(format!(
                "arbitrage.relative_step {} is not within 1–64",
                self.relative_step
            ));
        }
        for (i, b) in self.base.iter().enumerate() {
            if b.token.is_zero() {
                return bad("arbitrage.base: token 0x0 is not a token".into());
            }
            if self.base[..i].iter().any(|o| o.token == b.token) {
                return bad(format!("arbitrage.base: token {} is listed twice", b.token));
            }
            if b.probe.is_zero() || b.probe > b.max_input {
                return bad(format!(
                    "arbitrage.base {}: probe {} must be at least 1 and at most max_input {}",
                    b.token, b.probe, b.max_input
                ));
            }
        }
        Ok(())
    }
}

#[cfg(all(test, feature = "toml"))]
mod tests {
    use super::*;
    use crate::BotConfig;

    #[test]
    fn parses_defaults_and_rejects_bad_values() {
        let c = BotConfig::from_toml(
            "[[arbitrage.base]]\ntoken = \"0x4200000000000000000000000000000000000006\"\n\
             gas_cost = \"30000000000000\"\n",
        )
        .unwrap();
        let weth: Address = "0x4200000000000000000000000000000000000006".parse().unwrap();
        assert!(c.arbitrage.enabled());
        let s = c.arbitrage.sizing(&weth);
        assert_eq!(s.gas_cost, U256::from(30_000_000_000_000u64));
        assert_eq!(
            (s.probe, s.max_input, s.relative_step),
            (default_probe(), default_max_input(), 16)
        );
        assert!(!BotConfig::default().arbitrage.enabled());
        for (text, needle) in [
            ("[arbitrage]\nmax_hops = 4\n", "arbitrage.max_hops 4"),
            ("[arbitrage]\nrelative_step = 0\n", "arbitrage.relative_step 0"),
            ("[arbitrage]\nhops = 2\n", "unknown field `hops`"),
            (
                "[[arbitrage.base]]\ntoken = \"0x4200000000000000000000000000000000000006\"\n\
                 [[arbitrage.base]]\ntoken = \"0x4200000000000000000000000000000000000006\"\n",
                "listed twice",
            ),
            (
                "[[arbitrage.base]]\ntoken = \"0x4200000000000000000000000000000000000006\"\n\
                 probe = 10\nmax_input = 5\n",
                "probe 10 must be at least 1 and at most max_input 5",
            ),
            ("[[arbitrage.base]]\ngas_cost = 1\n", "missing field `token`"),
        ] {
            let e = BotConfig::from_toml(text).unwrap_err().to_string();
            assert!(e.contains(needle), "{text}: {e}");
        }
    }
}
