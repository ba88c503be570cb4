//! Aave V3 family: Aave 3.0–3.6, and forks such as Seamless (Aave 3.0.x).

mod account;
mod emode;
mod interest;
mod liquidation;
mod reserve;

pub use account::{AaveAccountData, AavePosition, health_factor_from_totals};
pub use emode::EModeCategory;
pub use interest::{ReserveIndexState, compounded_interest, linear_interest, stable_debt_balance};
pub use liquidation::{
    AaveLiquidationPlan, CLOSE_FACTOR_HF_THRESHOLD, DEFAULT_LIQUIDATION_CLOSE_FACTOR,
    MAX_LIQUIDATION_CLOSE_FACTOR, MIN_BASE_MAX_CLOSE_FACTOR_THRESHOLD, MIN_LEFTOVER_BASE,
};
pub use reserve::{AaveBalances, AaveReserveConfig, AaveUserReserve, apply_aave_prices};

use serde::{Deserialize, Serialize};

/// `HEALTH_FACTOR_LIQUIDATION_THRESHOLD`: a position is liquidatable iff its health factor is
/// strictly below `1e18` (WAD).
pub const HEALTH_FACTOR_LIQUIDATION_THRESHOLD: alloy_primitives::U256 = crate::math::WAD;

/// The Aave V3 release whose arithmetic to reproduce. Chosen by the caller (from the pool's
/// deployment), never guessed.
///
/// What changes between releases, as far as this crate computes:
///
/// | | 3.0 | 3.1 | 3.2 | 3.3 | 3.4 | 3.5, 3.6 |
/// |---|---|---|---|---|---|---|
/// | eMode | category id, LT/LTV replace, price source | same | collateral bitmap, no price source | bitmap | bitmap | bitmap |
/// | stable debt counted | yes | yes | no | no | no | no |
/// | variable debt index | 3-term binomial | same | same | same | Horner form `x + x·(x/2 + x·x/6)` | Horner |
/// | token balances | `rayMul` half up | same | same | same | same | aToken `rayMulFloor`, debt `rayMulCeil` |
/// | debt in base currency | floor | floor | floor | floor | floor | `mulDivCeil` |
/// | health factor | `percentMul(total, floor(avgLT)).wadDiv(debt)` | same | same | same | same | `Σ(coll·LT).wadDiv(debt) / 1e4` |
/// | close factor | 50 % if HF > 0.95 else 100 % | same | same | 100 % unless reserve coll and debt ≥ 2000e8 and HF > 0.95, plus dust rule | same | same, ceil rounding |
///
/// 3.6 keeps the 3.5 arithmetic and decouples eMode from the reserve's own configuration: in a
/// category, a collateral's LTV is the category's (zero when the asset is in the category's
/// `ltvzeroBitmap`), whatever the reserve's LTV outside eMode.
///
/// # How the two rounding generations differ
///
/// For the same inputs (balances given as current `balanceOf` values), let `T` be the total
/// collateral, `S = Σ coll_i · LT_i`, `D₀ = Σ floor(debt·price/unit)` and
/// `D₁ = Σ ceil(debt·price/unit)` (`D₀ ≤ D₁ ≤ D₀ + number of debt reserves`), all in base currency
/// units, and `W = 1e18`. Then
///
/// * v3.0–3.4: `HF = round(round(T · floor(S / T) / 1e4) · W / D₀)`, within
///   `[ (S − T)/1e4 − 1/2, S/1e4 + 1/2 ] · W / D₀ ± 1`;
/// * v3.5+: `HF = floor(round(S · W / D₁) / 1e4)`, within `S · W / (1e4 · D₁) − 2 … + 1`.
///
/// So the legacy value can be lower by up to `T · W / (1e4 · D)` (the floored average LT) and
/// higher by up to `W / (2 · D)` (percentMul's half-up), plus the debt rounding and a few wei.
/// When every division is exact both agree exactly. Because of the floored average, the legacy
/// health factor is *not* monotone in the price of a low-LT collateral when several collaterals
/// with different thresholds are held; v3.5+ is monotone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum AaveVersion {
    /// Aave 3.0.x (aave-v3-core up to v1.19; Seamless, Spark's first deployments).
    V3_0,
    /// Aave 3.1 (aave-v3-origin 3.1).
    V3_1,
    /// Aave 3.2: liquid eModes, stable debt removed.
    V3_2,
    /// Aave 3.3: new close factor rule, dust rule, deficit.
    V3_3,
    /// Aave 3.4: compounded-interest formula rearranged (more accurate).
    V3_4,
    /// Aave 3.5: floor/ceil rounding everywhere.
    V3_5,
    /// Aave 3.6 (aave-v3-origin 3.6): the 3.5 arithmetic; eMode LTV decoupled from the reserve's,
    /// with a per-category `ltvzeroBitmap`. Verified on the devnet against the 3.6.0 bytecode
    /// compiled from its npm sources. Later releases (3.7 isolated eModes and liquidation
    /// rounding) are not modelled separately; see the crate README.
    V3_6,
}

impl AaveVersion {
    /// Every release, oldest first.
    pub const ALL: [Self; 7] =
        [Self::V3_0, Self::V3_1, Self::V3_2, Self::V3_3, Self::V3_4, Self::V3_5, Self::V3_6];

    /// Whether this release uses the v3.5 rounding generation (floor collateral, ceil debt,
    /// HF from `Σ coll·LT` without averaging).
    pub const fn rounds_v3_5(self) -> bool {
        matches!(self, Self::V3_5 | Self::V3_6)
    }

    /// Whether eMode is per-asset category with an optional price source (3.0/3.1) rather than
    /// a per-category collateral bitmap (3.2+).
    pub const fn emode_by_asset_category(self) -> bool {
        matches!(self, Self::V3_0 | Self::V3_1)
    }

    /// Whether stable-rate debt is part of the user's debt (3.0/3.1).
    pub const fn counts_stable_debt(self) -> bool {
        matches!(self, Self::V3_0 | Self::V3_1)
    }

    /// Whether liquidations follow the 3.3+ rules (position-size close factor, dust rule).
    pub const fn liquidation_v3_3(self) -> bool {
        matches!(self, Self::V3_3 | Self::V3_4 | Self::V3_5 | Self::V3_6)
    }

    /// Whether a collateral's LTV inside an eMode category ignores the reserve's own LTV and
    /// follows the category's `ltvzeroBitmap` (3.6+).
    pub const fn emode_ltv_decoupled(self) -> bool {
        matches!(self, Self::V3_6)
    }

    /// Whether `calculateCompoundedInterest` uses the 3.4+ Horner form.
    pub const fn compounding_v3_4(self) -> bool {
        matches!(self, Self::V3_4 | Self::V3_5 | Self::V3_6)
    }
}

impl core::fmt::Display for AaveVersion {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::V3_0 => "3.0",
            Self::V3_1 => "3.1",
            Self::V3_2 => "3.2",
            Self::V3_3 => "3.3",
            Self::V3_4 => "3.4",
            Self::V3_5 => "3.5",
            Self::V3_6 => "3.6",
        })
    }
}
