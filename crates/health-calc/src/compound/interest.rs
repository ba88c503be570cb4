//! `CToken.accrueInterest`, `exchangeRateStored` and `borrowBalanceStored`.

use alloy_primitives::{Address, U256};
use serde::{Deserialize, Serialize};

use super::CompoundMarket;
use super::exp::{mul_scalar_truncate, mul_scalar_truncate_add};
use crate::error::{HealthError, Result};
use crate::math::{self, WAD};

/// What the market's accrual point counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum AccrualClock {
    /// Compound v2: `accrualBlockNumber`, rates per block.
    #[default]
    BlockNumber,
    /// Moonwell: `accrualBlockTimestamp`, rates per second.
    Timestamp,
}

/// A market's stored state, from the `CToken` / `MToken` getters or its `AccrueInterest` event
/// plus `Mint`/`Redeem`/`Borrow`/`RepayBorrow` deltas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CompoundMarketState {
    /// The market.
    pub market: Address,
    /// Blocks (Compound) or seconds (Moonwell).
    pub clock: AccrualClock,
    /// `accrualBlockNumber` (blocks) or `accrualBlockTimestamp` (seconds).
    pub accrual_point: u64,
    /// `getCash()`, underlying wei.
    pub cash: U256,
    /// `totalBorrows`, underlying wei.
    pub total_borrows: U256,
    /// `totalReserves`, underlying wei.
    pub total_reserves: U256,
    /// `totalSupply`, cToken units.
    pub total_supply: U256,
    /// `borrowIndex`, mantissa (starts at 1e18).
    pub borrow_index: U256,
    /// `reserveFactorMantissa`, mantissa.
    pub reserve_factor: U256,
    /// `borrowRatePerBlock()` / `borrowRatePerTimestamp()` for the current cash, borrows and
    /// reserves, mantissa per block or per second.
    pub borrow_rate: U256,
    /// `initialExchangeRateMantissa`, used while `total_supply` is zero.
    pub initial_exchange_rate: U256,
}

impl CompoundMarketState {
    /// `accrueInterest()` at `now` (a block number or timestamp, per [`clock`](Self::clock)):
    /// returns the state the market would store. Cash, supply and the rate are unchanged; the
    /// rate for a *later* accrual must be re-read (the interest rate model is not modelled).
    ///
    /// `simpleInterestFactor = rate × Δ`, `interest = factor × totalBorrows / 1e18`,
    /// `totalReserves += reserveFactor × interest / 1e18`,
    /// `borrowIndex += factor × borrowIndex / 1e18`, all truncating.
    pub fn accrue(&self, now: u64) -> Result<Self> {
        if now == self.accrual_point {
            return Ok(*self);
        }
        let delta =
            now.checked_sub(self.accrual_point).ok_or(HealthError::TimeBeforeLastUpdate {
                asset: self.market,
                now,
                last_update: self.accrual_point,
            })?;
        let factor = math::mul(self.borrow_rate, U256::from(delta), "simpleInterestFactor")?;
        let interest = mul_scalar_truncate(factor, self.total_borrows, "interestAccumulated")?;
        Ok(Self {
            accrual_point: now,
            total_borrows: math::add(interest, self.total_borrows, "totalBorrowsNew")?,
            total_reserves: mul_scalar_truncate_add(
                self.reserve_factor,
                interest,
                self.total_reserves,
                "totalReservesNew",
            )?,
            borrow_index: mul_scalar_truncate_add(
                factor,
                self.borrow_index,
                self.borrow_index,
                "borrowIndexNew",
            )?,
            ..*self
        })
    }

    /// `exchangeRateStored()`: `(cash + totalBorrows − totalReserves) × 1e18 / totalSupply`, or
    /// the initial rate while the supply is zero. Mantissa.
    pub fn exchange_rate(&self) -> Result<U256> {
        if self.total_supply.is_zero() {
            return Ok(self.initial_exchange_rate);
        }
        let underlying = math::sub(
            math::add(self.cash, self.total_borrows, "exchangeRateStored")?,
            self.total_reserves,
            "exchangeRateStored",
        )?;
        math::mul_div(underlying, WAD, self.total_supply, "exchangeRateStored")
    }

    /// The account's [`CompoundMarket`] from this (already accrued) state: exchange rate and
    /// `borrowBalanceStored` computed here, the rest passed through.
    ///
    /// `principal` and `interest_index` are the account's `accountBorrows` snapshot (from the
    /// last `Borrow`/`RepayBorrow` event: `accountBorrows` and the market's `borrowIndex` then).
    pub fn market_for(
        &self,
        entered: bool,
        c_token_balance: U256,
        principal: U256,
        interest_index: U256,
        collateral_factor: U256,
        price: U256,
    ) -> Result<CompoundMarket> {
        Ok(CompoundMarket {
            market: self.market,
            entered,
            c_token_balance,
            borrow_balance: borrow_balance_stored(principal, interest_index, self.borrow_index)
                .map_err(|e| e.for_asset(self.market))?,
            exchange_rate: self.exchange_rate()?,
            collateral_factor,
            price,
        })
    }
}

/// `borrowBalanceStoredInternal`: `principal × borrowIndex / interestIndex`, zero when the
/// principal is zero. Underlying wei.
pub fn borrow_balance_stored(
    principal: U256,
    interest_index: U256,
    borrow_index: U256,
) -> Result<U256> {
    if principal.is_zero() {
        return Ok(U256::ZERO);
    }
    math::div(
        math::mul(principal, borrow_index, "borrowBalanceStored")?,
        interest_index,
        "borrowBalanceStored",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accrue_matches_ctoken() {
        let s = CompoundMarketState {
            market: Address::repeat_byte(9),
            clock: AccrualClock::BlockNumber,
            accrual_point: 100,
            cash: U256::from(1_000_000u64),
            total_borrows: U256::from(5_000_000u64),
            total_reserves: U256::from(10_000u64),
            total_supply: U256::from(50_000_000u64),
            borrow_index: WAD,
            reserve_factor: U256::from(100_000_000_000_000_000u64), // 10 %
            borrow_rate: U256::from(1_000_000_000u64),              // 1e-9 per block
            initial_exchange_rate: U256::from(200_000_000_000_000u64),
        };
        let a = s.accrue(110).unwrap();
        // factor = 1e10; interest = 1e10 * 5e6 / 1e18 = 0 (truncated).
        assert_eq!(a.total_borrows, s.total_borrows);
        assert_eq!(a.borrow_index, WAD + U256::from(10_000_000_000u64));
        assert_eq!(a.accrual_point, 110);
        let big = CompoundMarketState { total_borrows: U256::from(10u128.pow(24)), ..s };
        let a = big.accrue(110).unwrap();
        assert_eq!(a.total_borrows, U256::from(10u128.pow(24) + 10u128.pow(16)));
        assert_eq!(a.total_reserves, U256::from(10_000u128 + 10u128.pow(15)));
        assert_eq!(s.accrue(100).unwrap(), s);
        assert!(matches!(s.accrue(99), Err(HealthError::TimeBeforeLastUpdate { now: 99, .. })));
    }

    #[test]
    fn exchange_rate_and_borrow_balance() {
        let s = CompoundMarketState {
            cash: U256::from(900u64),
            total_borrows: U256::from(200u64),
            total_reserves: U256::from(100u64),
            total_supply: U256::from(5_000u64),
            initial_exchange_rate: U256::from(7u64),
            ..Default::default()
        };
        assert_eq!(s.exchange_rate().unwrap(), U256::from(200_000_000_000_000_000u64));
        let empty = CompoundMarketState { total_supply: U256::ZERO, ..s };
        assert_eq!(empty.exchange_rate().unwrap(), U256::from(7u64));
        assert_eq!(
            borrow_balance_stored(U256::from(100u64), WAD, WAD + WAD / U256::from(3u8)).unwrap(),
            U256::from(133u64)
        );
        assert_eq!(borrow_balance_stored(U256::ZERO, U256::ZERO, WAD).unwrap(), U256::ZERO);
        assert!(borrow_balance_stored(U256::from(1u8), U256::ZERO, WAD).is_err());
    }
}
