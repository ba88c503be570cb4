//! The test vectors of the reference (§5), through the public API, in both rounding generations.

use alloy_primitives::U256;
use mev_health_calc::{
    AaveBalances, AavePosition, AaveUserReserve, AaveVersion, CompoundAccount, EModeCategory,
    HealthFactor, RAY, ReserveIndexState, WAD,
};

use crate::common::{borrowed, e, market, reserve, supplied};

const LEGACY: [AaveVersion; 5] =
    [AaveVersion::V3_0, AaveVersion::V3_1, AaveVersion::V3_2, AaveVersion::V3_3, AaveVersion::V3_4];

fn position(version: AaveVersion, reserves: &[AaveUserReserve]) -> AavePosition<'_> {
    AavePosition { version, timestamp: 0, emode: None, reserves }
}

/// aave-utilities `pool-math.test.ts`: collateral 1e17, debt 5e16 / 3e16 / 0, LT 50 %.
/// Tokens with 18 decimals priced 1e18 make base-currency values equal to the amounts.
#[test]
fn aave_utilities_pool_math() {
    let coll = supplied(reserve(1, 18, WAD, 5_000, 5_000, 10_500, 0), e(1, 17));
    let debt = |amount| borrowed(reserve(2, 18, WAD, 0, 0, 10_500, 0), amount);

    for v in AaveVersion::ALL {
        let r = [coll, debt(e(5, 16))];
        assert_eq!(position(v, &r).health_factor().unwrap(), WAD, "{v}");

        let r = [coll, debt(e(3, 16))];
        let hf = position(v, &r).health_factor().unwrap();
        // aave-utilities says 1.66666666666666666667; on chain it is 1666666666666666667
        // (half-up wadDiv) before 3.5 and 1666666666666666666 (floor) from 3.5.
        let expected =
            if v.rounds_v3_5() { 1_666_666_666_666_666_666u64 } else { 1_666_666_666_666_666_667 };
        assert_eq!(hf, U256::from(expected), "{v}");

        // No debt: uint256 max (aave-utilities returns -1).
        let r = [coll];
        let data = position(v, &r).account_data().unwrap();
        assert_eq!(data.health_factor, U256::MAX);
        assert!(HealthFactor::from_wad(data.health_factor).is_infinite());
    }
}

/// aave-utilities `generate-raw-user-summary.test.ts`: two reserves (6 and 18 decimals), each
/// 200 supplied and 100 borrowed at 10 reference units (18-decimal reference currency), LTV 50 %,
/// LT 60 %; eMode category 1 has LTV 60 %, LT 70 %. Health factor 1.2, in eMode 1.4.
///
/// Balances are given scaled with indexes updated at the evaluation timestamp while the rates
/// are nonzero: the stored indexes must be used as they are.
#[test]
fn aave_utilities_raw_user_summary() {
    let indexes = ReserveIndexState {
        liquidity_index: RAY,
        variable_borrow_index: RAY,
        liquidity_rate: RAY,
        variable_borrow_rate: RAY * U256::from(3u8),
        last_update_timestamp: 1,
    };
    let mk = |asset: u8, decimals: u8| {
        let mut r = reserve(asset, decimals, e(10, 18), 5_000, 6_000, 0, 0);
        r.config.emode_category = 1;
        r.usage_as_collateral_enabled = true;
        r.balances = AaveBalances::Scaled {
            scaled_a_token: e(200, u32::from(decimals)),
            scaled_variable_debt: e(100, u32::from(decimals)),
            stable_debt: U256::ZERO,
            indexes,
        };
        r
    };
    let reserves = [mk(1, 6), mk(2, 18)];

    for v in AaveVersion::ALL {
        let plain = AavePosition { version: v, timestamp: 1, emode: None, reserves: &reserves };
        let data = plain.account_data().unwrap();
        assert_eq!(data.total_collateral_base, e(4_000, 18));
        assert_eq!(data.total_debt_base, e(2_000, 18));
        assert_eq!(data.ltv, U256::from(5_000u16));
        assert_eq!(data.current_liquidation_threshold, U256::from(6_000u16));
        assert_eq!(data.health_factor, e(12, 17), "{v}");

        let category = EModeCategory {
            id: 1,
            ltv: 6_000,
            liquidation_threshold: 7_000,
            liquidation_bonus: 10_100,
            price: U256::ZERO,
            // v3.2+: both reserve ids (1 and 2) are eMode collateral.
            collateral_bitmap: 0b110,
            ltvzero_bitmap: 0,
        };
        let emode = AavePosition { emode: Some(category), ..plain };
        let data = emode.account_data().unwrap();
        assert_eq!(data.ltv, U256::from(6_000u16));
        assert_eq!(data.current_liquidation_threshold, U256::from(7_000u16));
        assert_eq!(data.health_factor, e(14, 17), "{v}");
    }
}

/// Vector B: $1000 at LT 82.5 % plus $333.33333333 at LT 70 %, debt $1000 (8-decimal base).
/// The average LT floors to 7937, so the legacy health factor is not Σ(coll·LT)/debt.
#[test]
fn vector_b() {
    let unit_priced = |asset: u8, lt: u16| reserve(asset, 8, e(1, 8), lt, lt, 10_500, 0);
    let reserves = [
        supplied(unit_priced(1, 8_250), U256::from(100_000_000_000u64)),
        supplied(unit_priced(2, 7_000), U256::from(33_333_333_333u64)),
        borrowed(unit_priced(3, 0), U256::from(100_000_000_000u64)),
    ];
    for v in LEGACY {
        let data = position(v, &reserves).account_data().unwrap();
        assert_eq!(data.current_liquidation_threshold, U256::from(7_937u16));
        assert_eq!(data.health_factor, U256::from(1_058_266_666_660_000_000u64), "{v}");
    }
    let data = position(AaveVersion::V3_5, &reserves).account_data().unwrap();
    assert_eq!(data.current_liquidation_threshold, U256::from(7_937u16));
    assert_eq!(data.health_factor, U256::from(1_058_333_333_331_000_000u64));
}

/// v3.5 `Pool.Rounding.t.sol` `test_debtBalanceInBaseCurrencyShouldRoundUp`: 1 wei of debt is
/// worth 1 base unit from 3.5 (ceil) and 0 before (floor).
#[test]
fn one_wei_debt_rounds_up_from_v3_5() {
    let reserves = [
        supplied(reserve(1, 18, e(2_000, 8), 8_000, 8_250, 10_500, 0), e(1, 18)),
        borrowed(reserve(2, 18, e(2_000, 8), 8_000, 8_250, 10_500, 0), U256::from(1u8)),
    ];
    for v in LEGACY {
        let data = position(v, &reserves).account_data().unwrap();
        assert_eq!(data.total_debt_base, U256::ZERO);
        assert_eq!(data.health_factor, U256::MAX);
    }
    let data = position(AaveVersion::V3_5, &reserves).account_data().unwrap();
    assert_eq!(data.total_debt_base, U256::from(1u8));
    // (2000e8 · 8250).wadDiv(1) / 1e4
    assert_eq!(data.health_factor, e(2_000 * 8_250, 8 + 18 - 4));
}

/// The Compound vector: 50 mTokens (8 decimals) at exchange rate 2e26 with collateral factor
/// 0.8 and ETH at 3000e18; 2000 USDC borrowed at 1e30. Liquidity $400.
#[test]
fn compound_vector() {
    let markets = [
        market(1, e(50, 8), U256::ZERO, e(2, 26), e(8, 17), e(3_000, 18)),
        market(2, U256::ZERO, e(2_000, 6), e(2, 14), e(85, 16), e(1, 30)),
    ];
    let account = CompoundAccount { markets: &markets };
    let l = account.liquidity().unwrap();
    assert_eq!(l.sum_collateral, e(24, 20));
    assert_eq!(l.sum_borrow, e(2, 21));
    assert_eq!(l.liquidity, e(4, 20));
    assert_eq!(l.shortfall, U256::ZERO);
    let h = account.health().unwrap();
    assert_eq!(h.health_factor.wad(), e(12, 17));
    assert!(!h.liquidatable);
}
