//! `Comptroller.getHypotheticalAccountLiquidityInternal` with no hypothetical action: account
//! liquidity and shortfall.

use alloy_primitives::{Address, U256};
use serde::{Deserialize, Serialize};

use super::exp::{mul_exp, mul_scalar_truncate_add};
use crate::error::{HealthError, Result};

/// One market of a Compound v2 / Moonwell account, as the Comptroller reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CompoundMarket {
    /// The cToken / mToken market.
    pub market: Address,
    /// Whether the account entered the market (`getAssetsIn(account)` / `checkMembership`);
    /// only entered markets count toward liquidity.
    pub entered: bool,
    /// `getAccountSnapshot(account).1`: cToken balance, cToken units (8 decimals).
    pub c_token_balance: U256,
    /// `getAccountSnapshot(account).2`: `borrowBalanceStored`, underlying wei.
    pub borrow_balance: U256,
    /// `getAccountSnapshot(account).3`: `exchangeRateStored`, mantissa (underlying wei per
    /// cToken unit × 1e18).
    pub exchange_rate: U256,
    /// `Comptroller.markets(market).collateralFactorMantissa`, mantissa (1e18 = 100 %).
    pub collateral_factor: U256,
    /// `oracle.getUnderlyingPrice(market)`: USD × 1e18 per whole underlying token, scaled by
    /// `1e(18 − decimals)`, i.e. USD per underlying wei × 1e36.
    pub price: U256,
}

/// `Comptroller.getAccountLiquidity(account)` plus the two sums behind it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CompoundAccountLiquidity {
    /// Σ collateralFactor·exchangeRate·price·cTokens (truncating), USD × 1e18.
    pub sum_collateral: U256,
    /// Σ price·borrowBalance (truncating), USD × 1e18.
    pub sum_borrow: U256,
    /// `sum_collateral − sum_borrow` when positive, else zero; USD × 1e18.
    pub liquidity: U256,
    /// `sum_borrow − sum_collateral` when positive, else zero; USD × 1e18.
    pub shortfall: U256,
}

impl CompoundAccountLiquidity {
    /// Whether `liquidateBorrow` accepts the account: shortfall strictly positive.
    pub fn is_liquidatable(&self) -> bool {
        !self.shortfall.is_zero()
    }
}

/// A Compound v2 / Moonwell account at one block.
#[derive(Debug, Clone, Copy)]
pub struct CompoundAccount<'a> {
    /// The account's markets; entries with `entered == false` are skipped for liquidity but can
    /// be named as the collateral or borrowed market of a liquidation.
    pub markets: &'a [CompoundMarket],
}

impl CompoundAccount<'_> {
    /// Liquidity and shortfall exactly as the Comptroller computes them.
    ///
    /// Fails with [`HealthError::ZeroPrice`] when an entered market's price is zero (the
    /// Comptroller returns `PRICE_ERROR`, even for empty markets), or on overflow.
    pub fn liquidity(&self) -> Result<CompoundAccountLiquidity> {
        let mut sum_collateral = U256::ZERO;
        let mut sum_borrow = U256::ZERO;
        for m in self.markets.iter().filter(|m| m.entered) {
            if m.price.is_zero() {
                return Err(HealthError::ZeroPrice { asset: m.market });
            }
            let tokens_to_denom = mul_exp(
                mul_exp(m.collateral_factor, m.exchange_rate, "tokensToDenom")?,
                m.price,
                "tokensToDenom",
            )?;
            sum_collateral = mul_scalar_truncate_add(
                tokens_to_denom,
                m.c_token_balance,
                sum_collateral,
                "sumCollateral",
            )?;
            sum_borrow = mul_scalar_truncate_add(
                m.price,
                m.borrow_balance,
                sum_borrow,
                "sumBorrowPlusEffects",
            )?;
        }
        let (liquidity, shortfall) = if sum_collateral > sum_borrow {
            (sum_collateral - sum_borrow, U256::ZERO)
        } else {
            (U256::ZERO, sum_borrow - sum_collateral)
        };
        Ok(CompoundAccountLiquidity { sum_collateral, sum_borrow, liquidity, shortfall })
    }

    pub(crate) fn find(&self, market: Address) -> Result<&CompoundMarket> {
        self.markets
            .iter()
            .find(|m| m.market == market)
            .ok_or(HealthError::AssetNotFound { asset: market })
    }
}

/// Sets `markets[i].price = prices[i]` (e.g. one multicall of `getUnderlyingPrice` per block).
/// Fails with [`HealthError::MismatchedLengths`] unless both have the same length.
pub fn apply_compound_prices(markets: &mut [CompoundMarket], prices: &[U256]) -> Result<()> {
    if markets.len() != prices.len() {
        return Err(HealthError::MismatchedLengths {
            what: "markets vs prices",
            left: markets.len(),
            right: prices.len(),
        });
    }
    for (market, price) in markets.iter_mut().zip(prices) {
        market.price = *price;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(mantissa: u128, exp: u32) -> U256 {
        U256::from(mantissa) * U256::from(10u8).pow(U256::from(exp))
    }

    #[test]
    fn reference_vector() {
        // 50 mTokens (8 dec) at exchange rate 2e26, CF 0.8, ETH 3000e18; 2000 USDC at 1e30.
        let eth = CompoundMarket {
            market: Address::repeat_byte(1),
            entered: true,
            c_token_balance: e(50, 8),
            borrow_balance: U256::ZERO,
            exchange_rate: e(2, 26),
            collateral_factor: e(8, 17),
            price: e(3000, 18),
        };
        let usdc = CompoundMarket {
            market: Address::repeat_byte(2),
            entered: true,
            c_token_balance: U256::ZERO,
            borrow_balance: e(2000, 6),
            exchange_rate: e(2, 14),
            collateral_factor: e(85, 16),
            price: e(1, 30),
        };
        let l = CompoundAccount { markets: &[eth, usdc] }.liquidity().unwrap();
        assert_eq!(l.sum_collateral, e(24, 20));
        assert_eq!(l.sum_borrow, e(2, 21));
        assert_eq!(l.liquidity, e(4, 20));
        assert_eq!(l.shortfall, U256::ZERO);
        assert!(!l.is_liquidatable());
        // Not entered: ignored, even with a zero price.
        let out = CompoundMarket { entered: false, price: U256::ZERO, ..eth };
        let l2 = CompoundAccount { markets: &[out, usdc] }.liquidity().unwrap();
        assert_eq!(l2.shortfall, e(2, 21));
        // Entered with zero price: PRICE_ERROR.
        let zero = CompoundMarket { price: U256::ZERO, c_token_balance: U256::ZERO, ..eth };
        assert!(matches!(
            CompoundAccount { markets: &[zero] }.liquidity(),
            Err(HealthError::ZeroPrice { .. })
        ));
    }

    #[test]
    fn apply_compound_prices_checks_lengths() {
        let mut markets = [CompoundMarket::default(); 2];
        assert_eq!(
            apply_compound_prices(&mut markets, &[U256::from(1u8)]),
            Err(HealthError::MismatchedLengths { what: "markets vs prices", left: 2, right: 1 })
        );
        apply_compound_prices(&mut markets, &[U256::from(1u8), U256::from(2u8)]).unwrap();
        assert_eq!(markets[1].price, U256::from(2u8));
    }
}
