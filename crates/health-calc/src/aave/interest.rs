//! Aave interest: `MathUtils.calculateLinearInterest`, `calculateCompoundedInterest` and
//! `ReserveLogic.getNormalizedIncome` / `getNormalizedDebt`.

use alloy_primitives::{Address, U256};
use serde::{Deserialize, Serialize};

use super::AaveVersion;
use crate::error::{HealthError, Result};
use crate::math::{self, RAY, SECONDS_PER_YEAR};

/// A reserve's stored interest state, as `AaveProtocolDataProvider.getReserveData(asset)` (or
/// `Pool.getReserveData(asset)`, or the last `ReserveDataUpdated` event plus the block timestamp)
/// reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ReserveIndexState {
    /// `liquidityIndex`, RAY.
    pub liquidity_index: U256,
    /// `variableBorrowIndex`, RAY.
    pub variable_borrow_index: U256,
    /// `currentLiquidityRate` (`liquidityRate`), RAY per year.
    pub liquidity_rate: U256,
    /// `currentVariableBorrowRate` (`variableBorrowRate`), RAY per year.
    pub variable_borrow_rate: U256,
    /// `lastUpdateTimestamp`, seconds.
    pub last_update_timestamp: u64,
}

impl ReserveIndexState {
    /// `ReserveLogic.getNormalizedIncome()` at `now` (block timestamp, seconds): the stored
    /// index when updated in the same block, else
    /// `calculateLinearInterest(rate, last).rayMul(liquidityIndex)`. RAY.
    pub fn normalized_income(&self, now: u64) -> Result<U256> {
        if now == self.last_update_timestamp {
            return Ok(self.liquidity_index);
        }
        math::ray_mul(
            linear_interest(self.liquidity_rate, self.last_update_timestamp, now)?,
            self.liquidity_index,
        )
    }

    /// The state as seen at `now`: both indexes replaced by their normalized values and the
    /// last update set to `now`, rates kept. Normalizing it at `now` returns those values
    /// unchanged (the contract's same-block rule), so a cache can roll every reserve forward
    /// once per block and let each position skip the interest math.
    ///
    /// Only valid for evaluating at `now`: compounding from the rolled state to a later time
    /// differs from compounding from the stored one.
    pub fn at(&self, now: u64, version: AaveVersion) -> Result<Self> {
        Ok(Self {
            liquidity_index: self.normalized_income(now)?,
            variable_borrow_index: self.normalized_debt(now, version)?,
            last_update_timestamp: now,
            ..*self
        })
    }

    /// `ReserveLogic.getNormalizedDebt()` at `now` (block timestamp, seconds): the stored index
    /// when updated in the same block, else
    /// `calculateCompoundedInterest(rate, last, now).rayMul(variableBorrowIndex)`, with the
    /// compounding formula of `version`. RAY.
    pub fn normalized_debt(&self, now: u64, version: AaveVersion) -> Result<U256> {
        if now == self.last_update_timestamp {
            return Ok(self.variable_borrow_index);
        }
        math::ray_mul(
            compounded_interest(
                self.variable_borrow_rate,
                self.last_update_timestamp,
                now,
                version,
            )?,
            self.variable_borrow_index,
        )
    }
}

/// `MathUtils.calculateLinearInterest`: `RAY + rate · (now − last) / SECONDS_PER_YEAR`.
///
/// `rate` is RAY per year, times are seconds; the result is RAY. Fails with
/// [`HealthError::TimeBeforeLastUpdate`] when `now < last_update` (the contract underflows).
pub fn linear_interest(rate: U256, last_update: u64, now: u64) -> Result<U256> {
    let dt = elapsed(last_update, now)?;
    let accrued = math::mul_div(rate, dt, SECONDS_PER_YEAR, "calculateLinearInterest")?;
    math::add(RAY, accrued, "calculateLinearInterest")
}

/// `MathUtils.calculateCompoundedInterest`: `(1 + rate/year)^dt` by a 3-term binomial expansion,
/// RAY, with `rate` in RAY per year and times in seconds. Returns `RAY` when `dt == 0`.
///
/// * v3.0–3.3: `RAY + rate·dt/SPY + dt·(dt−1)·b2/2 + dt·(dt−1)·(dt−2)·b3/6` with
///   `b2 = rate.rayMul(rate)/SPY²` and `b3 = b2.rayMul(rate)/SPY`.
/// * v3.4+: `x = rate·dt/SPY; RAY + x + x.rayMul(x/2 + x.rayMul(x/6))`.
///
/// All arithmetic is checked; where 3.4+ runs `unchecked` (it cannot overflow for rates below
/// 2^128 and 40-bit times) an overflow is reported instead of wrapping.
pub fn compounded_interest(
    rate: U256,
    last_update: u64,
    now: u64,
    version: AaveVersion,
) -> Result<U256> {
    const OP: &str = "calculateCompoundedInterest";
    let exp = elapsed(last_update, now)?;
    if exp.is_zero() {
        return Ok(RAY);
    }
    if version.compounding_v3_4() {
        let x = math::mul_div(rate, exp, SECONDS_PER_YEAR, OP)?;
        let sixth = math::ray_mul(x, x / U256::from(6u8))?;
        let inner = math::add(x >> 1, sixth, OP)?;
        let tail = math::ray_mul(x, inner)?;
        return math::add(math::add(RAY, x, OP)?, tail, OP);
    }
    let one = U256::from(1u8);
    let two = U256::from(2u8);
    let exp_minus_one = exp - one;
    let exp_minus_two = if exp > two { exp - two } else { U256::ZERO };
    let spy2 = SECONDS_PER_YEAR * SECONDS_PER_YEAR;
    let base_power_two = math::ray_mul(rate, rate)? / spy2;
    let base_power_three = math::ray_mul(base_power_two, rate)? / SECONDS_PER_YEAR;
    let second_term = math::mul(math::mul(exp, exp_minus_one, OP)?, base_power_two, OP)? / two;
    let third_term = math::mul(
        math::mul(math::mul(exp, exp_minus_one, OP)?, exp_minus_two, OP)?,
        base_power_three,
        OP,
    )? / U256::from(6u8);
    let first_term = math::mul_div(rate, exp, SECONDS_PER_YEAR, OP)?;
    math::add(math::add(math::add(RAY, first_term, OP)?, second_term, OP)?, third_term, OP)
}

/// `StableDebtToken.balanceOf` (v3.0/3.1): `principal.rayMul(calculateCompoundedInterest(
/// userStableRate, userLastUpdate, now))`, zero when the principal is zero. Amounts in the
/// asset's smallest unit, rate RAY per year, times seconds.
///
/// Inputs come from `getUserReserveData`: `principalStableDebt`, `stableBorrowRate`,
/// `stableRateLastUpdated`.
pub fn stable_debt_balance(
    principal: U256,
    stable_rate: U256,
    last_update: u64,
    now: u64,
    version: AaveVersion,
) -> Result<U256> {
    if principal.is_zero() {
        return Ok(U256::ZERO);
    }
    math::ray_mul(principal, compounded_interest(stable_rate, last_update, now, version)?)
}

/// `now - last_update` in seconds; the error names no asset (callers fill it in).
fn elapsed(last_update: u64, now: u64) -> Result<U256> {
    now.checked_sub(last_update).map(U256::from).ok_or(HealthError::TimeBeforeLastUpdate {
        asset: Address::ZERO,
        now,
        last_update,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const YEAR: u64 = 31_536_000;

    fn ray_percent(p: u128) -> U256 {
        RAY * U256::from(p) / U256::from(100u8)
    }

    #[test]
    fn same_timestamp_returns_stored_index() {
        let state = ReserveIndexState {
            liquidity_index: RAY + U256::from(123u16),
            variable_borrow_index: RAY + U256::from(456u16),
            liquidity_rate: RAY,
            variable_borrow_rate: RAY * U256::from(3u8),
            last_update_timestamp: 1_000,
        };
        assert_eq!(state.normalized_income(1_000).unwrap(), state.liquidity_index);
        for v in AaveVersion::ALL {
            assert_eq!(state.normalized_debt(1_000, v).unwrap(), state.variable_borrow_index);
        }
    }

    #[test]
    fn rolled_state_normalizes_to_the_same_indexes() {
        let state = ReserveIndexState {
            liquidity_index: RAY + U256::from(10u64).pow(U256::from(25u8)),
            variable_borrow_index: RAY + U256::from(10u64).pow(U256::from(26u8)),
            liquidity_rate: ray_percent(3),
            variable_borrow_rate: ray_percent(8),
            last_update_timestamp: 1_000,
        };
        for v in AaveVersion::ALL {
            let rolled = state.at(90_000, v).unwrap();
            assert_eq!(
                rolled.normalized_income(90_000).unwrap(),
                state.normalized_income(90_000).unwrap()
            );
            assert_eq!(
                rolled.normalized_debt(90_000, v).unwrap(),
                state.normalized_debt(90_000, v).unwrap()
            );
            assert_eq!(rolled.last_update_timestamp, 90_000);
        }
    }

    #[test]
    fn linear_interest_one_year() {
        // 5 % for one year -> 1.05 RAY exactly.
        assert_eq!(linear_interest(ray_percent(5), 0, YEAR).unwrap(), ray_percent(105));
        assert!(matches!(
            linear_interest(RAY, 10, 9),
            Err(HealthError::TimeBeforeLastUpdate { .. })
        ));
    }

    #[test]
    fn compounded_interest_formulas() {
        // 10 % for one year: 1 + 0.1 + 0.005 + 0.000166.. ≈ 1.1051667. The legacy form floors
        // `basePowerThree` to an integer number of RAY-wei per second³ (31 instead of 31.9), so
        // its cubic term is visibly short; 3.4's Horner form keeps the precision.
        let legacy = compounded_interest(ray_percent(10), 0, YEAR, AaveVersion::V3_0).unwrap();
        let horner = compounded_interest(ray_percent(10), 0, YEAR, AaveVersion::V3_4).unwrap();
        assert_eq!(legacy, U256::from(1_105_162_042_821_782_412_575_504_000u128));
        let lo = RAY * U256::from(1_105_166u32) / U256::from(1_000_000u32);
        let hi = RAY * U256::from(1_105_167u32) / U256::from(1_000_000u32);
        assert!(horner > lo && horner < hi, "{horner}");
        // dt = 1: only the linear term survives in the legacy form.
        let one_second = compounded_interest(ray_percent(10), 0, 1, AaveVersion::V3_0).unwrap();
        assert_eq!(one_second, RAY + ray_percent(10) / SECONDS_PER_YEAR);
        assert_eq!(compounded_interest(RAY, 5, 5, AaveVersion::V3_5).unwrap(), RAY);
    }

    #[test]
    fn compounded_interest_v3_4_horner_value() {
        // x = rate*dt/SPY; RAY + x + x.rayMul(x/2 + x.rayMul(x/6)) recomputed by hand.
        let rate = ray_percent(7);
        let dt = 86_400u64;
        let x = rate * U256::from(dt) / SECONDS_PER_YEAR;
        let half = U256::from(5u8) * RAY / U256::from(10u8);
        let rm = |a: U256, b: U256| (a * b + half) / RAY;
        let expected = RAY + x + rm(x, x / U256::from(2u8) + rm(x, x / U256::from(6u8)));
        assert_eq!(compounded_interest(rate, 0, dt, AaveVersion::V3_5).unwrap(), expected);
    }

    #[test]
    fn stable_debt_zero_principal() {
        assert_eq!(
            stable_debt_balance(U256::ZERO, RAY, 0, YEAR, AaveVersion::V3_0).unwrap(),
            U256::ZERO
        );
        let bal = stable_debt_balance(
            U256::from(1_000_000u32),
            ray_percent(10),
            0,
            YEAR,
            AaveVersion::V3_0,
        )
        .unwrap();
        // 1e6 × 1.105162042.. (legacy 3-term binomial).
        assert_eq!(bal, U256::from(1_105_162u32));
    }
}
