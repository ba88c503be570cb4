//! Per-reserve inputs of an Aave position, shaped after what the chain returns.

use alloy_primitives::{Address, U256};
use serde::{Deserialize, Serialize};

use super::{AaveVersion, ReserveIndexState};
use crate::error::{HealthError, Result};
use crate::math;

/// A reserve's risk configuration.
///
/// Read it with [`AaveReserveConfig::from_bitmap`] from `Pool.getConfiguration(asset)` (or the
/// `configuration` field of `Pool.getReserveData`), or with
/// [`AaveReserveConfig::from_data_provider`] from `AaveProtocolDataProvider` getters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AaveReserveConfig {
    /// Token decimals; `10^decimals` is the asset unit. At most 77.
    pub decimals: u8,
    /// Loan to value, bps (`8000` = 80 %).
    pub ltv: u16,
    /// Liquidation threshold, bps (`8250` = 82.5 %). Zero means "not collateral".
    pub liquidation_threshold: u16,
    /// Liquidation bonus, bps including the principal (`10500` = 5 % bonus).
    pub liquidation_bonus: u16,
    /// Liquidation protocol fee, bps of the bonus (`1000` = 10 % of the bonus).
    pub liquidation_protocol_fee: u16,
    /// The asset's eMode category (v3.0/3.1 only; ignored from v3.2, where the bits are unused).
    pub emode_category: u8,
}

impl AaveReserveConfig {
    /// Decodes a `ReserveConfigurationMap` word: LTV bits 0–15, liquidation threshold 16–31,
    /// bonus 32–47, decimals 48–55, protocol fee 152–167, eMode category 168–175.
    pub fn from_bitmap(configuration: U256) -> Self {
        let field = |start: usize, bits: usize| -> u64 {
            let mask = (U256::from(1u8) << bits) - U256::from(1u8);
            ((configuration >> start) & mask).saturating_to::<u64>()
        };
        Self {
            ltv: field(0, 16) as u16,
            liquidation_threshold: field(16, 16) as u16,
            liquidation_bonus: field(32, 16) as u16,
            decimals: field(48, 8) as u8,
            liquidation_protocol_fee: field(152, 16) as u16,
            emode_category: field(168, 8) as u8,
        }
    }

    /// Builds the configuration from `AaveProtocolDataProvider` values, which are all `uint256`:
    /// `getReserveConfigurationData(asset)` gives `decimals, ltv, liquidationThreshold,
    /// liquidationBonus`; `getLiquidationProtocolFee(asset)` the fee; and, on v3.0/3.1,
    /// `getReserveEModeCategory(asset)` the category (pass zero on v3.2+).
    ///
    /// Fails with [`HealthError::ValueOutOfRange`] or [`HealthError::DecimalsOutOfRange`] when a
    /// value does not fit its field.
    pub fn from_data_provider(
        asset: Address,
        decimals: U256,
        ltv: U256,
        liquidation_threshold: U256,
        liquidation_bonus: U256,
        liquidation_protocol_fee: U256,
        emode_category: U256,
    ) -> Result<Self> {
        let bps = |field: &'static str, value: U256| -> Result<u16> {
            u16::try_from(value).map_err(|_| HealthError::ValueOutOfRange {
                asset,
                field,
                value,
                max: u64::from(u16::MAX),
            })
        };
        let decimals = match u8::try_from(decimals) {
            Ok(d) if d <= math::MAX_DECIMALS => d,
            _ => {
                return Err(HealthError::DecimalsOutOfRange {
                    asset,
                    decimals: decimals.saturating_to::<u64>(),
                    max: math::MAX_DECIMALS,
                });
            }
        };
        let emode_category =
            u8::try_from(emode_category).map_err(|_| HealthError::ValueOutOfRange {
                asset,
                field: "eModeCategory",
                value: emode_category,
                max: u64::from(u8::MAX),
            })?;
        Ok(Self {
            decimals,
            ltv: bps("ltv", ltv)?,
            liquidation_threshold: bps("liquidationThreshold", liquidation_threshold)?,
            liquidation_bonus: bps("liquidationBonus", liquidation_bonus)?,
            liquidation_protocol_fee: bps("liquidationProtocolFee", liquidation_protocol_fee)?,
            emode_category,
        })
    }
}

/// The user's balances in one reserve, in the asset's smallest unit (wei of the underlying).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AaveBalances {
    /// Balances as `balanceOf` returns them at the evaluation block:
    /// `getUserReserveData(asset, user)` → `currentATokenBalance`, `currentVariableDebt`,
    /// `currentStableDebt`.
    Current {
        /// aToken balance, wei.
        a_token: U256,
        /// Variable debt token balance, wei.
        variable_debt: U256,
        /// Stable debt token balance, wei (counted on v3.0/3.1 only).
        stable_debt: U256,
    },
    /// Scaled balances plus the reserve's interest state; the crate normalizes them at the
    /// position's timestamp exactly as the tokens' `balanceOf` does.
    Scaled {
        /// `aToken.scaledBalanceOf(user)`, wei.
        scaled_a_token: U256,
        /// `variableDebtToken.scaledBalanceOf(user)` (`getUserReserveData().scaledVariableDebt`).
        scaled_variable_debt: U256,
        /// Current stable debt balance, wei (v3.0/3.1 only; see
        /// [`stable_debt_balance`](crate::stable_debt_balance)).
        stable_debt: U256,
        /// The reserve's indexes, rates and last update.
        indexes: ReserveIndexState,
    },
}

impl Default for AaveBalances {
    fn default() -> Self {
        Self::Current { a_token: U256::ZERO, variable_debt: U256::ZERO, stable_debt: U256::ZERO }
    }
}

/// One reserve of an Aave position: configuration, price, the user's collateral flag and
/// balances.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AaveUserReserve {
    /// The underlying asset.
    pub asset: Address,
    /// The reserve's index in the pool's reserve list (`Pool.getReserveData(asset).id`); used by
    /// v3.2+ eMode collateral bitmaps.
    pub reserve_id: u16,
    /// Risk configuration.
    pub config: AaveReserveConfig,
    /// `AaveOracle.getAssetPrice(asset)`: base currency units per whole token (1e8 = $1 on USD
    /// markets).
    pub price: U256,
    /// The user's "use as collateral" flag (`getUserReserveData().usageAsCollateralEnabled`).
    pub usage_as_collateral_enabled: bool,
    /// The user's balances.
    pub balances: AaveBalances,
}

impl AaveUserReserve {
    /// `10^decimals`, or [`HealthError::DecimalsOutOfRange`].
    #[inline]
    pub(crate) fn unit(&self) -> Result<U256> {
        math::pow10(self.config.decimals).ok_or_else(|| self.decimals_error())
    }

    /// The error for decimals above [`math::MAX_DECIMALS`].
    #[cold]
    pub(crate) fn decimals_error(&self) -> HealthError {
        HealthError::DecimalsOutOfRange {
            asset: self.asset,
            decimals: u64::from(self.config.decimals),
            max: math::MAX_DECIMALS,
        }
    }

    /// Whether the contract counts this reserve as collateral: the user flag is set and the
    /// liquidation threshold is nonzero.
    #[inline]
    pub(crate) const fn counts_as_collateral(&self) -> bool {
        self.usage_as_collateral_enabled && self.config.liquidation_threshold != 0
    }

    /// `aToken.balanceOf(user)` at `now`: `scaled.rayMul(normalizedIncome)`, floor on v3.5+.
    #[inline(always)]
    pub(crate) fn a_token_balance(&self, now: u64, version: AaveVersion) -> Result<U256> {
        match self.balances {
            AaveBalances::Current { a_token, .. } => Ok(a_token),
            AaveBalances::Scaled { scaled_a_token, indexes, .. } => {
                if scaled_a_token.is_zero() {
                    return Ok(U256::ZERO);
                }
                let income = if now == indexes.last_update_timestamp {
                    indexes.liquidity_index
                } else {
                    indexes.normalized_income(now).map_err(|e| e.for_asset(self.asset))?
                };
                if version.rounds_v3_5() {
                    math::ray_mul_floor(scaled_a_token, income)
                } else {
                    math::ray_mul(scaled_a_token, income)
                }
            }
        }
    }

    /// The user's debt in this reserve at `now`: variable (`scaled.rayMul(normalizedDebt)`, ceil
    /// on v3.5+) plus, on v3.0/3.1, stable.
    #[inline(always)]
    pub(crate) fn debt_balance(&self, now: u64, version: AaveVersion) -> Result<U256> {
        let (variable, stable) = match self.balances {
            AaveBalances::Current { variable_debt, stable_debt, .. } => {
                (variable_debt, stable_debt)
            }
            AaveBalances::Scaled { scaled_variable_debt, stable_debt, indexes, .. } => {
                let variable = if scaled_variable_debt.is_zero() {
                    U256::ZERO
                } else {
                    let index = if now == indexes.last_update_timestamp {
                        indexes.variable_borrow_index
                    } else {
                        indexes
                            .normalized_debt(now, version)
                            .map_err(|e| e.for_asset(self.asset))?
                    };
                    if version.rounds_v3_5() {
                        math::ray_mul_ceil(scaled_variable_debt, index)?
                    } else {
                        math::ray_mul(scaled_variable_debt, index)?
                    }
                };
                (variable, stable_debt)
            }
        };
        if version.counts_stable_debt() {
            math::add(variable, stable, "user total debt")
        } else {
            Ok(variable)
        }
    }
}

/// Sets `reserves[i].price = prices[i]`, e.g. from one `AaveOracle.getAssetsPrices(assets)` call
/// per block. Fails with [`HealthError::MismatchedLengths`] unless both have the same length.
pub fn apply_aave_prices(reserves: &mut [AaveUserReserve], prices: &[U256]) -> Result<()> {
    if reserves.len() != prices.len() {
        return Err(HealthError::MismatchedLengths {
            what: "reserves vs prices",
            left: reserves.len(),
            right: prices.len(),
        });
    }
    for (reserve, price) in reserves.iter_mut().zip(prices) {
        reserve.price = *price;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_configuration_bitmap() {
        // ltv 8000, lt 8250, bonus 10500, decimals 18, active, fee 1000, eMode 1.
        let word = U256::from(8000u64)
            | (U256::from(8250u64) << 16)
            | (U256::from(10500u64) << 32)
            | (U256::from(18u64) << 48)
            | (U256::from(1u64) << 56)
            | (U256::from(1000u64) << 152)
            | (U256::from(1u64) << 168)
            | (U256::from(0xFFFFu64) << 64);
        let cfg = AaveReserveConfig::from_bitmap(word);
        assert_eq!(
            cfg,
            AaveReserveConfig {
                decimals: 18,
                ltv: 8000,
                liquidation_threshold: 8250,
                liquidation_bonus: 10500,
                liquidation_protocol_fee: 1000,
                emode_category: 1,
            }
        );
    }

    #[test]
    fn data_provider_ranges() {
        let a = Address::repeat_byte(1);
        let u = U256::from;
        let ok = AaveReserveConfig::from_data_provider(
            a,
            u(6),
            u(7500),
            u(8000),
            u(10500),
            u(1000),
            u(0),
        );
        assert_eq!(ok.unwrap().decimals, 6);
        assert!(matches!(
            AaveReserveConfig::from_data_provider(a, u(78), u(0), u(0), u(0), u(0), u(0)),
            Err(HealthError::DecimalsOutOfRange { decimals: 78, .. })
        ));
        assert!(matches!(
            AaveReserveConfig::from_data_provider(a, u(18), u(70_000), u(0), u(0), u(0), u(0)),
            Err(HealthError::ValueOutOfRange { field: "ltv", .. })
        ));
    }

    #[test]
    fn apply_aave_prices_checks_lengths() {
        let mut reserves = [AaveUserReserve::default(); 2];
        assert!(apply_aave_prices(&mut reserves, &[U256::from(1u8)]).is_err());
        apply_aave_prices(&mut reserves, &[U256::from(1u8), U256::from(2u8)]).unwrap();
        assert_eq!(reserves[1].price, U256::from(2u8));
    }
}
