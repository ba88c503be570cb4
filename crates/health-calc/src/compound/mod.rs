//! Compound v2 family: Compound v2 and forks such as Moonwell (timestamp accrual), Sonne,
//! Iron Bank.

mod account;
mod exp;
mod interest;
mod liquidation;

pub use account::{
    CompoundAccount, CompoundAccountLiquidity, CompoundMarket, apply_compound_prices,
};
pub use interest::{AccrualClock, CompoundMarketState, borrow_balance_stored};
pub use liquidation::{
    COMPOUND_PROTOCOL_SEIZE_SHARE, CompoundLiquidationConfig, CompoundLiquidationPlan, seize_tokens,
};
