#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(clippy::float_arithmetic)]

mod aave;
mod compound;
mod confirm;
mod error;
mod math;
mod oracle;
mod view;

pub use aave::{
    AaveAccountData, AaveBalances, AaveLiquidationPlan, AavePosition, AaveReserveConfig,
    AaveUserReserve, AaveVersion, CLOSE_FACTOR_HF_THRESHOLD, DEFAULT_LIQUIDATION_CLOSE_FACTOR,
    EModeCategory, HEALTH_FACTOR_LIQUIDATION_THRESHOLD, MAX_LIQUIDATION_CLOSE_FACTOR,
    MIN_BASE_MAX_CLOSE_FACTOR_THRESHOLD, MIN_LEFTOVER_BASE, ReserveIndexState, apply_aave_prices,
    compounded_interest, health_factor_from_totals, linear_interest, stable_debt_balance,
};
pub use compound::{
    AccrualClock, COMPOUND_PROTOCOL_SEIZE_SHARE, CompoundAccount, CompoundAccountLiquidity,
    CompoundLiquidationConfig, CompoundLiquidationPlan, CompoundMarket, CompoundMarketState,
    apply_compound_prices, borrow_balance_stored, seize_tokens,
};
pub use confirm::{Confirmation, ConfirmationConfig, ConfirmationTracker};
pub use error::{HealthError, Result};
pub use math::{
    HALF_PERCENTAGE_FACTOR, HALF_RAY, HALF_WAD, MAX_DECIMALS, PERCENTAGE_FACTOR, RAY,
    SECONDS_PER_YEAR, WAD, WAD_RAY_RATIO, mul_div_ceil, mul_div_floor, percent_div,
    percent_div_ceil, percent_mul, percent_mul_ceil, ray_div, ray_div_ceil, ray_div_floor, ray_mul,
    ray_mul_ceil, ray_mul_floor, ray_to_wad, wad_div, wad_mul, wad_to_ray,
};
pub use oracle::{OracleGuard, OracleGuardConfig, price_divergence_bps, price_move_bps};
pub use view::{HealthFactor, HealthModel, PositionHealth, wad_to_decimal};
