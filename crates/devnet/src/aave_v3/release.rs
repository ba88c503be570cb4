//! [`AaveRelease`]: which Aave V3 code a devnet market runs, and where its artifacts are.

use serde::{Deserialize, Serialize};

/// The Aave V3 release an [`AaveV3`](crate::AaveV3) market runs, from
/// [`AaveV3::release`](crate::AaveV3::release).
///
/// Both expose the same user operations on the handle. What differs on chain: v3.6 has no stable
/// debt (the stable-debt token addresses of the handle are zero), one interest-rate strategy for
/// the whole pool with per-reserve parameters, the v3.2+ eMode model (per-category collateral,
/// borrowable and LTV-zero asset bitmaps instead of one category per asset), custom errors
/// instead of numeric string codes, and v3.3+ liquidation rules (full close factor below HF 0.95
/// or for positions under $2 000, no dust below $1 000 left, bad debt written off as a deficit).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum AaveRelease {
    /// Aave V3.0.x from the Hardhat artifacts of `@aave/core-v3` 1.19.3 (`POOL_REVISION` 1),
    /// deployed by [`Devnet::deploy_aave_v3`](crate::Devnet::deploy_aave_v3).
    V3_0,
    /// Aave v3.6 compiled at setup from the Solidity sources of `@aave-dao/aave-v3-origin` 3.6.0
    /// (`POOL_REVISION` 10), deployed by
    /// [`Devnet::deploy_aave_v3_6`](crate::Devnet::deploy_aave_v3_6).
    V3_6,
}

impl AaveRelease {
    /// The `Pool`'s `POOL_REVISION()` in this release.
    pub const fn pool_revision(self) -> u64 {
        match self {
            Self::V3_0 => 1,
            Self::V3_6 => 10,
        }
    }

    /// The folder, under `node_modules`, holding this release's artifacts by source path
    /// (`<path>.sol/<Contract>.json`).
    pub const fn artifact_root(self) -> &'static str {
        match self {
            Self::V3_0 => "@aave/core-v3/artifacts/contracts/",
            Self::V3_6 => ".mev-devnet/aave-v3-origin/",
        }
    }

    /// The path under `node_modules` of this release's artifact at `relative`, e.g.
    /// `misc/AaveOracle.sol/AaveOracle.json`.
    pub fn artifact(self, relative: &str) -> String {
        format!("{}{relative}", self.artifact_root())
    }
}
