//! Builders shared by the integration tests.

use alloy_primitives::{Address, U256};
use mev_health_calc::{AaveBalances, AaveReserveConfig, AaveUserReserve, CompoundMarket};

/// `m × 10^x`.
pub(crate) fn e(m: u128, x: u32) -> U256 {
    U256::from(m) * U256::from(10u8).pow(U256::from(x))
}

pub(crate) fn addr(n: u8) -> Address {
    Address::repeat_byte(n)
}

pub(crate) const WETH: u8 = 1;
pub(crate) const USDC: u8 = 2;
pub(crate) const DAI: u8 = 3;

/// A reserve with zero balances.
pub(crate) fn reserve(
    asset: u8,
    decimals: u8,
    price: U256,
    ltv: u16,
    lt: u16,
    bonus: u16,
    fee: u16,
) -> AaveUserReserve {
    AaveUserReserve {
        asset: addr(asset),
        reserve_id: u16::from(asset),
        config: AaveReserveConfig {
            decimals,
            ltv,
            liquidation_threshold: lt,
            liquidation_bonus: bonus,
            liquidation_protocol_fee: fee,
            emode_category: 0,
        },
        price,
        usage_as_collateral_enabled: false,
        balances: AaveBalances::default(),
    }
}

/// WETH: 18 decimals, $2000 (8-decimal base), LTV 80 %, LT 82.5 %, bonus 5 %, fee 10 %.
pub(crate) fn weth() -> AaveUserReserve {
    reserve(WETH, 18, e(2_000, 8), 8_000, 8_250, 10_500, 1_000)
}

/// USDC: 6 decimals, $1, LTV 77 %, LT 80 %, bonus 4.5 %, fee 10 %.
pub(crate) fn usdc() -> AaveUserReserve {
    reserve(USDC, 6, e(1, 8), 7_700, 8_000, 10_450, 1_000)
}

/// DAI: 18 decimals, $1, LTV 75 %, LT 77 %, bonus 5 %, fee 10 %.
pub(crate) fn dai() -> AaveUserReserve {
    reserve(DAI, 18, e(1, 8), 7_500, 7_700, 10_500, 1_000)
}

/// Sets the aToken balance and enables the reserve as collateral.
pub(crate) fn supplied(mut r: AaveUserReserve, amount: U256) -> AaveUserReserve {
    r.usage_as_collateral_enabled = true;
    r.balances = match r.balances {
        AaveBalances::Current { variable_debt, stable_debt, .. } => {
            AaveBalances::Current { a_token: amount, variable_debt, stable_debt }
        }
        other => other,
    };
    r
}

/// Sets the variable debt balance.
pub(crate) fn borrowed(mut r: AaveUserReserve, amount: U256) -> AaveUserReserve {
    r.balances = match r.balances {
        AaveBalances::Current { a_token, stable_debt, .. } => {
            AaveBalances::Current { a_token, variable_debt: amount, stable_debt }
        }
        other => other,
    };
    r
}

/// A Compound market entered by the account.
pub(crate) fn market(
    n: u8,
    c_tokens: U256,
    borrow: U256,
    exchange_rate: U256,
    cf: U256,
    price: U256,
) -> CompoundMarket {
    CompoundMarket {
        market: addr(n),
        entered: true,
        c_token_balance: c_tokens,
        borrow_balance: borrow,
        exchange_rate,
        collateral_factor: cf,
        price,
    }
}
