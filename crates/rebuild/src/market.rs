//! [`MarketConfig`]: a configured lending market of either family, and the one place that
//! connects it.

use std::sync::Arc;

use mev_chain::ChainReader;
use serde::{Deserialize, Serialize};

use crate::{
    AaveV3Config, AaveV3Protocol, CompoundV2Config, CompoundV2Protocol, LendingProtocol, Result,
};

/// A lending market to watch or rebuild, by family.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "family", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum MarketConfig {
    /// An Aave V3 family market (Aave 3.0–3.5, Seamless, Spark).
    AaveV3(AaveV3Config),
    /// A Compound v2 family market (Compound, Moonwell, Venus).
    CompoundV2(CompoundV2Config),
}

impl MarketConfig {
    /// The protocol id positions and checkpoints are stored under (`"aave-v3"`, `"moonwell"`).
    pub fn name(&self) -> &str {
        match self {
            Self::AaveV3(c) => &c.name,
            Self::CompoundV2(c) => &c.name,
        }
    }

    /// Connects the market at block `block`: reads its reserve (or cToken) list, oracle and
    /// configuration through `reader`, and returns the adapter.
    ///
    /// Fails with the adapter's error when the contracts do not answer as the family's do.
    pub async fn connect(
        &self,
        reader: &dyn ChainReader,
        block: u64,
    ) -> Result<Arc<dyn LendingProtocol>> {
        Ok(match self {
            Self::AaveV3(c) => Arc::new(AaveV3Protocol::connect(reader, c.clone(), block).await?),
            Self::CompoundV2(c) => {
                Arc::new(CompoundV2Protocol::connect(reader, c.clone(), block).await?)
            }
        })
    }

    /// What a connection failure should say: `"the Aave market of pool 0x…"`.
    pub fn describe(&self) -> String {
        match self {
            Self::AaveV3(c) => format!("the Aave market of pool {}", c.pool),
            Self::CompoundV2(c) => format!("the markets of comptroller {}", c.comptroller),
        }
    }
}

impl From<AaveV3Config> for MarketConfig {
    fn from(c: AaveV3Config) -> Self {
        Self::AaveV3(c)
    }
}

impl From<CompoundV2Config> for MarketConfig {
    fn from(c: CompoundV2Config) -> Self {
        Self::CompoundV2(c)
    }
}
