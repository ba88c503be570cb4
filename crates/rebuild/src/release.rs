//! Which Aave V3 release a pool runs, read from the pool itself: [`detect_aave_release`].
//!
//! The arithmetic differs between releases (eMode model, rounding, close factor; see
//! [`AaveVersion`]), and choosing it wrongly is silent and large: a 3.3 pool evaluated as 3.0
//! gives eMode users a health factor 19 % low. So the release is detected at connect time, and a
//! configured one is an override that warns when the pool says otherwise.

use alloy_primitives::{Address, U256};
use alloy_sol_types::SolCall;
use mev_chain::{Call3, Call3Result, ChainReader};
use mev_health_calc::AaveVersion;
use serde::{Deserialize, Serialize};

use crate::{
    bindings::{IAavePoolEModeV32, IAavePoolEModeV36, IAavePoolRelease},
    error::{RebuildError, Result},
    multicall::{aggregate3, call3},
};

/// `POOL_REVISION` of the first Aave 3.5 implementation in aave-v3-origin's numbering (3.4 is
/// revision 7, 3.6 is revision 10). 3.5 adds no view function, so its rounding is told from
/// 3.4's only by the revision.
pub const FIRST_V3_5_REVISION: u64 = 8;

/// What [`detect_aave_release`] read from a pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AaveRelease {
    /// The release whose arithmetic the pool runs.
    pub version: AaveVersion,
    /// The implementation's `POOL_REVISION()`, when it answers (every Aave release does; forks
    /// may number their own way).
    pub revision: Option<u64>,
    /// The release-specific views the pool answers.
    pub features: AaveFeatures,
}

/// The release-specific views a pool answers, oldest first. Each is called with a zero argument
/// (an unlisted asset, eMode category 0), which every release that has the function answers
/// without reverting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[allow(clippy::struct_excessive_bools)]
pub struct AaveFeatures {
    /// 3.1+: `getLiquidationGracePeriod(address)`.
    pub liquidation_grace_period: bool,
    /// 3.2+: `getEModeCategoryCollateralBitmap(uint8)` (eMode by category bitmaps).
    pub emode_collateral_bitmap: bool,
    /// 3.3+: `getReserveDeficit(address)` (deficit accounting, new close factor and dust rule).
    pub reserve_deficit: bool,
    /// 3.4+: `RESERVE_INTEREST_RATE_STRATEGY()` (one rate strategy per pool).
    pub pool_rate_strategy: bool,
    /// 3.6+: `getEModeCategoryLtvzeroBitmap(uint8)` (eMode decoupled from the reserve's LTV).
    pub emode_ltvzero_bitmap: bool,
}

impl AaveFeatures {
    /// The release these features and the revision identify: the newest feature present
    /// decides, and among pools with the 3.4 features, a revision of at least
    /// [`FIRST_V3_5_REVISION`] means 3.5.
    pub const fn version(self, revision: Option<u64>) -> AaveVersion {
        if self.emode_ltvzero_bitmap {
            AaveVersion::V3_6
        } else if self.pool_rate_strategy {
            match revision {
                Some(r) if r >= FIRST_V3_5_REVISION => AaveVersion::V3_5,
                _ => AaveVersion::V3_4,
            }
        } else if self.reserve_deficit {
            AaveVersion::V3_3
        } else if self.emode_collateral_bitmap {
            AaveVersion::V3_2
        } else if self.liquidation_grace_period {
            AaveVersion::V3_1
        } else {
            AaveVersion::V3_0
        }
    }
}

/// Reads which release the Aave V3 pool at `pool` runs at `block`, in one Multicall3 request:
/// `POOL_REVISION()` and one view per release that introduced it (see [`AaveFeatures`]).
///
/// # Errors
/// [`RebuildError::Chain`] when the request fails (with
/// [`ChainError::NoContract`](mev_chain::ChainError::NoContract) naming the Multicall3 address
/// when nothing is deployed there); [`RebuildError::Call`] when `pool` answers none of the calls
/// with data (no contract, or not an Aave pool).
pub async fn detect_aave_release(
    reader: &dyn ChainReader,
    pool: Address,
    multicall: Address,
    block: u64,
) -> Result<AaveRelease> {
    let out = aggregate3(reader, multicall, probe_calls(pool), block).await?;
    release_from(pool, &out)
}

/// Number of calls [`probe_calls`] makes.
pub(crate) const PROBE_CALLS: usize = 6;

/// The calls [`detect_aave_release`] makes, to batch with others.
pub(crate) fn probe_calls(pool: Address) -> Vec<Call3> {
    vec![
        call3(pool, &IAavePoolRelease::POOL_REVISIONCall {}),
        call3(pool, &IAavePoolRelease::getLiquidationGracePeriodCall { asset: Address::ZERO }),
        call3(pool, &IAavePoolEModeV32::getEModeCategoryCollateralBitmapCall { id: 0 }),
        call3(pool, &IAavePoolRelease::getReserveDeficitCall { asset: Address::ZERO }),
        call3(pool, &IAavePoolRelease::RESERVE_INTEREST_RATE_STRATEGYCall {}),
        call3(pool, &IAavePoolEModeV36::getEModeCategoryLtvzeroBitmapCall { id: 0 }),
    ]
}

/// The release from the results of [`probe_calls`], in order.
pub(crate) fn release_from(pool: Address, out: &[Call3Result]) -> Result<AaveRelease> {
    let [revision, grace, bitmap, deficit, strategy, ltvzero] = out else {
        return Err(RebuildError::Decode {
            what: "aggregate3 result",
            reason: format!("{} release probes, expected {PROBE_CALLS}", out.len()),
        });
    };
    let Some(revision) = answers::<IAavePoolRelease::POOL_REVISIONCall>(revision)
        .map(|r: U256| r.saturating_to::<u64>())
    else {
        return Err(RebuildError::call(
            IAavePoolRelease::POOL_REVISIONCall::SIGNATURE,
            pool,
            "no answer: nothing deployed at the pool address at this block, or not an Aave V3 \
             pool",
        ));
    };
    let features = AaveFeatures {
        liquidation_grace_period: answers::<IAavePoolRelease::getLiquidationGracePeriodCall>(grace)
            .is_some(),
        emode_collateral_bitmap:
            answers::<IAavePoolEModeV32::getEModeCategoryCollateralBitmapCall>(bitmap).is_some(),
        reserve_deficit: answers::<IAavePoolRelease::getReserveDeficitCall>(deficit).is_some(),
        pool_rate_strategy: answers::<IAavePoolRelease::RESERVE_INTEREST_RATE_STRATEGYCall>(
            strategy,
        )
        .is_some(),
        emode_ltvzero_bitmap: answers::<IAavePoolEModeV36::getEModeCategoryLtvzeroBitmapCall>(
            ltvzero,
        )
        .is_some(),
    };
    Ok(AaveRelease {
        version: features.version(Some(revision)),
        revision: Some(revision),
        features,
    })
}

/// The decoded answer of a probe call: `None` when it reverted or returned no well-formed value
/// (a call to an address without code "succeeds" with empty data, which does not decode).
fn answers<C: SolCall>(result: &Call3Result) -> Option<C::Return> {
    if !result.success {
        return None;
    }
    C::abi_decode_returns(&result.returnData).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_feature_decides() {
        let none = AaveFeatures::default();
        assert_eq!(none.version(Some(1)), AaveVersion::V3_0);
        let v31 = AaveFeatures { liquidation_grace_period: true, ..none };
        assert_eq!(v31.version(Some(4)), AaveVersion::V3_1);
        let v32 = AaveFeatures { emode_collateral_bitmap: true, ..v31 };
        assert_eq!(v32.version(Some(5)), AaveVersion::V3_2);
        let v33 = AaveFeatures { reserve_deficit: true, ..v32 };
        assert_eq!(v33.version(Some(6)), AaveVersion::V3_3);
        let v34 = AaveFeatures { pool_rate_strategy: true, ..v33 };
        assert_eq!(v34.version(Some(7)), AaveVersion::V3_4);
        assert_eq!(v34.version(None), AaveVersion::V3_4);
        assert_eq!(v34.version(Some(FIRST_V3_5_REVISION)), AaveVersion::V3_5);
        let v36 = AaveFeatures { emode_ltvzero_bitmap: true, ..v34 };
        assert_eq!(v36.version(Some(10)), AaveVersion::V3_6);
        // A fork numbering its revisions its own way still gets the features' release.
        assert_eq!(v33.version(Some(100)), AaveVersion::V3_3);
    }
}
