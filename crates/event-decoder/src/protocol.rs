//! The protocol families the decoder knows.

use std::{fmt, str::FromStr};

use alloy_primitives::B256;
use serde::{Deserialize, Serialize};

use crate::{
    AaveV3Event, BalancerV2Event, ChainlinkEvent, CompoundV2Event, CurveEvent, UniswapV2Event,
    UniswapV3Event, UniswapV4Event,
};

/// A protocol family: the original protocol and every fork with the same event ABI.
///
/// Its string form (`Display`, `FromStr`, serde) is the kebab-case name used in JSON output and
/// configuration: `uniswap-v2`, `uniswap-v3`, `balancer-v2`, `curve`, `aave-v3`, `compound-v2`,
/// `chainlink`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Protocol {
    /// Uniswap V2 pairs and forks.
    UniswapV2,
    /// Uniswap V3 pools and forks.
    UniswapV3,
    /// The Uniswap V4 `PoolManager` singleton (every V4 pool's events).
    UniswapV4,
    /// The Balancer V2 Vault.
    BalancerV2,
    /// Curve StableSwap pools (original, factory and NG).
    Curve,
    /// Aave V3 pools and forks (Seamless).
    AaveV3,
    /// Compound v2 cTokens and Comptrollers, and forks (Moonwell).
    CompoundV2,
    /// Chainlink aggregators.
    Chainlink,
}

impl Protocol {
    /// Every protocol, in declaration order.
    pub const ALL: [Self; 8] = [
        Self::UniswapV2,
        Self::UniswapV3,
        Self::UniswapV4,
        Self::BalancerV2,
        Self::Curve,
        Self::AaveV3,
        Self::CompoundV2,
        Self::Chainlink,
    ];

    /// The kebab-case name, e.g. `"uniswap-v2"`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::UniswapV2 => "uniswap-v2",
            Self::UniswapV3 => "uniswap-v3",
            Self::UniswapV4 => "uniswap-v4",
            Self::BalancerV2 => "balancer-v2",
            Self::Curve => "curve",
            Self::AaveV3 => "aave-v3",
            Self::CompoundV2 => "compound-v2",
            Self::Chainlink => "chainlink",
        }
    }

    /// The topic0 of every event this protocol's contracts emit that the decoder knows; the
    /// topic filter for `eth_getLogs`.
    #[must_use]
    pub const fn topics(self) -> &'static [B256] {
        match self {
            Self::UniswapV2 => UniswapV2Event::TOPICS,
            Self::UniswapV3 => UniswapV3Event::TOPICS,
            Self::UniswapV4 => UniswapV4Event::TOPICS,
            Self::BalancerV2 => BalancerV2Event::TOPICS,
            Self::Curve => CurveEvent::TOPICS,
            Self::AaveV3 => AaveV3Event::TOPICS,
            Self::CompoundV2 => CompoundV2Event::TOPICS,
            Self::Chainlink => ChainlinkEvent::TOPICS,
        }
    }

    /// Whether this protocol's events describe DEX pool state.
    #[must_use]
    pub const fn is_dex(self) -> bool {
        matches!(
            self,
            Self::UniswapV2 | Self::UniswapV3 | Self::UniswapV4 | Self::BalancerV2 | Self::Curve
        )
    }

    /// Whether this protocol's events describe lending positions.
    #[must_use]
    pub const fn is_lending(self) -> bool {
        matches!(self, Self::AaveV3 | Self::CompoundV2)
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Protocol {
    type Err = UnknownProtocol;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| UnknownProtocol { name: s.to_owned() })
    }
}

/// The error returned when parsing a [`Protocol`] from a name it does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown protocol {name:?}: expected one of uniswap-v2, uniswap-v3, uniswap-v4, balancer-v2, curve, \
     aave-v3, compound-v2, chainlink"
)]
pub struct UnknownProtocol {
    /// The name that was given.
    pub name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for p in Protocol::ALL {
            assert_eq!(p.as_str().parse::<Protocol>(), Ok(p));
            assert_eq!(serde_json::to_string(&p).unwrap(), format!("\"{p}\""));
        }
        assert!("uniswap".parse::<Protocol>().is_err());
    }

    #[test]
    fn every_protocol_has_topics() {
        for p in Protocol::ALL {
            assert!(!p.topics().is_empty(), "{p}");
        }
    }
}
