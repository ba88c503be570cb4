//! Aave V3: eMode, interest, stable debt, liquidation sizing and input errors.

use alloy_primitives::U256;
use mev_health_calc::{
    AaveBalances, AaveLiquidationPlan, AavePosition, AaveUserReserve, AaveVersion, EModeCategory,
    HealthError, RAY, ReserveIndexState,
};

use crate::common::{DAI, USDC, WETH, addr, borrowed, dai, e, supplied, usdc, weth};

fn at(version: AaveVersion, reserves: &[AaveUserReserve]) -> AavePosition<'_> {
    AavePosition { version, timestamp: 0, emode: None, reserves }
}

fn plan(
    version: AaveVersion,
    reserves: &[AaveUserReserve],
    coll: u8,
    debt: u8,
    cover: U256,
) -> AaveLiquidationPlan {
    at(version, reserves).plan_liquidation(addr(coll), addr(debt), cover).unwrap()
}

// ---------------------------------------------------------------------------------------------
// eMode

/// Stablecoin eMode: DAI collateral (oracle $1.01), USDC debt (oracle $0.99), category LT 94 %,
/// price source at $1.00. v3.0/3.1 price both at the category price; v3.2+ use the oracle.
#[test]
fn emode_price_source_and_bitmap() {
    let mut dai = supplied(dai(), e(1_000, 18));
    dai.price = e(101, 6);
    let mut usdc = borrowed(usdc(), e(950, 6));
    usdc.price = e(99, 6);
    dai.config.emode_category = 1;
    usdc.config.emode_category = 1;
    let reserves = [dai, usdc];
    let category = EModeCategory {
        id: 1,
        ltv: 9_300,
        liquidation_threshold: 9_400,
        liquidation_bonus: 10_100,
        price: e(1, 8),
        collateral_bitmap: 1 << DAI,
        ltvzero_bitmap: 0,
    };
    for v in [AaveVersion::V3_0, AaveVersion::V3_1] {
        let p = AavePosition { emode: Some(category), ..at(v, &reserves) };
        let data = p.account_data().unwrap();
        assert_eq!(data.total_collateral_base, e(1_000, 8));
        assert_eq!(data.total_debt_base, e(950, 8));
        // 940 / 950, half up.
        assert_eq!(data.health_factor, U256::from(989_473_684_210_526_316u64));

        // Liquidation: HF > 0.95 -> 50 %; both prices from the category; eMode bonus 1 %.
        let plan = p.plan_liquidation(addr(DAI), addr(USDC), U256::MAX).unwrap();
        assert_eq!(plan.close_factor_bps, 5_000);
        assert_eq!(plan.liquidation_bonus, 10_100);
        assert_eq!((plan.collateral_price, plan.debt_price), (e(1, 8), e(1, 8)));
        assert_eq!(plan.debt_to_cover, e(475, 6));
        assert_eq!(plan.collateral_to_liquidator, U256::from(479_275_000_000_000_000_000u128));
        assert_eq!(plan.protocol_fee, U256::from(475_000_000_000_000_000u128));
    }
    for v in [AaveVersion::V3_2, AaveVersion::V3_3, AaveVersion::V3_4] {
        let p = AavePosition { emode: Some(category), ..at(v, &reserves) };
        let data = p.account_data().unwrap();
        assert_eq!(data.total_collateral_base, e(1_010, 8));
        assert_eq!(data.total_debt_base, U256::from(94_050_000_000u64));
        assert_eq!(data.current_liquidation_threshold, U256::from(9_400u16));
        assert_eq!(data.health_factor, U256::from(1_009_463_051_568_314_726u64));
        // Not in the bitmap: the reserve's own LT (77 %) applies.
        let off = EModeCategory { collateral_bitmap: 1 << USDC, ..category };
        let data = AavePosition { emode: Some(off), ..p }.account_data().unwrap();
        assert_eq!(data.current_liquidation_threshold, U256::from(7_700u16));
    }
    // v3.0: an asset outside the category keeps its own LT and price.
    let mut other = reserves;
    other[0].config.emode_category = 2;
    let data = AavePosition { emode: Some(category), ..at(AaveVersion::V3_0, &other) }
        .account_data()
        .unwrap();
    assert_eq!(data.total_collateral_base, e(1_010, 8));
    assert_eq!(data.current_liquidation_threshold, U256::from(7_700u16));
}

/// v3.2+: the eMode liquidation bonus applies only when the *collateral* is in the category's
/// bitmap.
#[test]
fn emode_bonus_follows_collateral_bitmap() {
    let reserves = [supplied(weth(), e(1, 18)), borrowed(usdc(), e(1_800, 6))];
    let category = EModeCategory {
        id: 7,
        ltv: 8_000,
        liquidation_threshold: 8_250,
        liquidation_bonus: 10_200,
        price: U256::ZERO,
        collateral_bitmap: 1 << WETH,
        ltvzero_bitmap: 0,
    };
    for v in [AaveVersion::V3_2, AaveVersion::V3_5] {
        let p = AavePosition { emode: Some(category), ..at(v, &reserves) };
        let plan = p.plan_liquidation(addr(WETH), addr(USDC), U256::MAX).unwrap();
        assert_eq!(plan.liquidation_bonus, 10_200);
        // 0.9 WETH of debt value × 1.02.
        assert_eq!(
            plan.collateral_to_liquidator + plan.protocol_fee,
            U256::from(918_000_000_000_000_000u64)
        );
        let off = EModeCategory { collateral_bitmap: 1 << USDC, ..category };
        let p = AavePosition { emode: Some(off), ..at(v, &reserves) };
        assert_eq!(
            p.plan_liquidation(addr(WETH), addr(USDC), U256::MAX).unwrap().liquidation_bonus,
            10_500
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Balances

/// Stable debt is part of the debt on 3.0/3.1 only.
#[test]
fn stable_debt_only_before_v3_2() {
    let mut debt = usdc();
    debt.balances = AaveBalances::Current {
        a_token: U256::ZERO,
        variable_debt: e(500, 6),
        stable_debt: e(500, 6),
    };
    let reserves = [supplied(weth(), e(1, 18)), debt];
    for v in AaveVersion::ALL {
        let data = at(v, &reserves).account_data().unwrap();
        let expected = if v.counts_stable_debt() { e(1_000, 8) } else { e(500, 8) };
        assert_eq!(data.total_debt_base, expected, "{v}");
    }
}

/// Scaled balances normalized by the crate equal `balanceOf` computed by hand, with half-up
/// rounding before 3.5 and floor/ceil from 3.5.
#[test]
fn scaled_balances_follow_token_rounding() {
    let indexes = ReserveIndexState {
        liquidity_index: RAY + RAY / U256::from(3u8), // 1.333..
        variable_borrow_index: RAY + RAY / U256::from(7u8), // 1.142857..
        liquidity_rate: U256::ZERO,
        variable_borrow_rate: U256::ZERO,
        last_update_timestamp: 100,
    };
    let scaled = U256::from(1_000_000_001u64);
    let mut r = weth();
    r.usage_as_collateral_enabled = true;
    r.price = e(1, 8);
    r.config.decimals = 0;
    r.balances = AaveBalances::Scaled {
        scaled_a_token: scaled,
        scaled_variable_debt: scaled,
        stable_debt: U256::ZERO,
        indexes,
    };
    let reserves = [r];
    let half = RAY / U256::from(2u8);
    let a = scaled * indexes.liquidity_index;
    let d = scaled * indexes.variable_borrow_index;
    for v in AaveVersion::ALL {
        let p = AavePosition { timestamp: 100, ..at(v, &reserves) };
        let data = p.account_data().unwrap();
        let (coll, debt) = if v.rounds_v3_5() {
            (a / RAY, (d + RAY - U256::from(1u8)) / RAY)
        } else {
            ((a + half) / RAY, (d + half) / RAY)
        };
        // Price 1e8 per whole token and 0 decimals: value = balance × 1e8.
        assert_eq!(data.total_collateral_base, coll * e(1, 8), "{v}");
        assert_eq!(data.total_debt_base, debt * e(1, 8), "{v}");
    }
}

/// Interest accrues from the last update to the position's timestamp.
#[test]
fn scaled_balances_accrue_interest() {
    let year = 31_536_000u64;
    let indexes = ReserveIndexState {
        liquidity_index: RAY,
        variable_borrow_index: RAY,
        liquidity_rate: RAY / U256::from(20u8),       // 5 %
        variable_borrow_rate: RAY / U256::from(10u8), // 10 %
        last_update_timestamp: 0,
    };
    let mut r = usdc();
    r.usage_as_collateral_enabled = true;
    r.balances = AaveBalances::Scaled {
        scaled_a_token: e(1_000, 6),
        scaled_variable_debt: e(500, 6),
        stable_debt: U256::ZERO,
        indexes,
    };
    let reserves = [r];
    let legacy = AavePosition { timestamp: year, ..at(AaveVersion::V3_0, &reserves) }
        .account_data()
        .unwrap();
    // Linear 5 %: 1050 USDC. Legacy compounded 10 %: 1.105162042.. -> 552.581021 USDC.
    assert_eq!(legacy.total_collateral_base, e(1_050, 8));
    assert_eq!(legacy.total_debt_base, U256::from(55_258_102_100u64));
    let horner = AavePosition { timestamp: year, ..at(AaveVersion::V3_4, &reserves) }
        .account_data()
        .unwrap();
    // Horner 10 %: 1.10516666.. -> 552.583333 USDC.
    assert_eq!(horner.total_debt_base, U256::from(55_258_333_300u64));
    // Before the last update: rejected, naming the asset.
    let stale = AavePosition { timestamp: 0, ..at(AaveVersion::V3_0, &reserves) };
    let mut later = reserves;
    if let AaveBalances::Scaled { indexes, .. } = &mut later[0].balances {
        indexes.last_update_timestamp = 10;
    }
    let err = AavePosition { reserves: &later, ..stale }.account_data().unwrap_err();
    assert_eq!(
        err,
        HealthError::TimeBeforeLastUpdate { asset: addr(USDC), now: 0, last_update: 10 }
    );
}

// ---------------------------------------------------------------------------------------------
// Liquidation sizing

/// HF ≤ 0.95: the whole debt; collateral = debt value × bonus; fee = 10 % of the bonus.
#[test]
fn full_close_factor_below_095() {
    let reserves = [supplied(weth(), e(1, 18)), borrowed(usdc(), e(1_800, 6))];
    for v in AaveVersion::ALL {
        let p = plan(v, &reserves, WETH, USDC, U256::MAX);
        let hf = if v.rounds_v3_5() { 916_666_666_666_666_666u64 } else { 916_666_666_666_666_667 };
        assert_eq!(p.health_factor, U256::from(hf));
        assert_eq!(p.close_factor_bps, 10_000);
        assert_eq!(p.debt_to_cover, e(1_800, 6));
        assert_eq!(p.collateral_to_liquidator, U256::from(940_500_000_000_000_000u64));
        assert_eq!(p.protocol_fee, U256::from(4_500_000_000_000_000u64));
        assert_eq!(p.collateral_to_liquidator_base, U256::from(188_100_000_000u64));
        assert_eq!(p.gross_profit_base(), e(81, 8));
    }
}

/// Not enough collateral for debt × bonus: all collateral is taken and the debt repaid shrinks
/// to `value / bonus` (half up before 3.5, ceil from 3.5).
#[test]
fn collateral_cap() {
    let reserves = [supplied(weth(), e(1, 18)), borrowed(usdc(), e(2_000, 6))];
    for v in AaveVersion::ALL {
        let p = plan(v, &reserves, WETH, USDC, U256::MAX);
        assert_eq!(p.debt_to_cover, U256::from(1_904_761_905u64));
        assert_eq!(p.collateral_to_liquidator + p.protocol_fee, e(1, 18));
        assert_eq!(p.protocol_fee, U256::from(4_761_904_761_904_762u64));
        assert_eq!(p.leaves_no_collateral, v.liquidation_v3_3());
    }
    // A price where half-up and ceil disagree.
    let mut cheap = supplied(weth(), e(1, 18));
    cheap.price = U256::from(199_902_000_000u64);
    let reserves = [cheap, borrowed(usdc(), e(2_500, 6))];
    assert_eq!(
        plan(AaveVersion::V3_4, &reserves, WETH, USDC, U256::MAX).debt_to_cover,
        U256::from(1_903_828_571u64)
    );
    assert_eq!(
        plan(AaveVersion::V3_5, &reserves, WETH, USDC, U256::MAX).debt_to_cover,
        U256::from(1_903_828_572u64)
    );
}

/// HF in (0.95, 1): 50 % before 3.3; from 3.3 a position under 2000 base units is closed fully.
#[test]
fn close_factor_generations() {
    let reserves = [supplied(weth(), e(1, 18)), borrowed(usdc(), e(1_700, 6))];
    for v in [AaveVersion::V3_0, AaveVersion::V3_1, AaveVersion::V3_2] {
        let p = plan(v, &reserves, WETH, USDC, U256::MAX);
        assert_eq!((p.close_factor_bps, p.debt_to_cover), (5_000, e(850, 6)));
        assert_eq!(p.collateral_to_liquidator, U256::from(444_125_000_000_000_000u64));
    }
    for v in [AaveVersion::V3_3, AaveVersion::V3_4, AaveVersion::V3_5] {
        let p = plan(v, &reserves, WETH, USDC, U256::MAX);
        assert_eq!((p.close_factor_bps, p.debt_to_cover), (10_000, e(1_700, 6)));
        assert_eq!(p.collateral_to_liquidator, U256::from(888_250_000_000_000_000u64));
        assert_eq!(p.protocol_fee, U256::from(4_250_000_000_000_000u64));
    }
    // A smaller request is honoured as is.
    let p = plan(AaveVersion::V3_0, &reserves, WETH, USDC, e(100, 6));
    assert_eq!(p.debt_to_cover, e(100, 6));
}

/// v3.3+: large positions keep the 50 % rule, measured on the *total* debt, and partial
/// liquidations must leave at least 1000 base units of debt and collateral.
#[test]
fn v3_3_half_of_total_debt_and_dust() {
    let reserves =
        [supplied(weth(), e(10, 18)), borrowed(usdc(), e(8_000, 6)), borrowed(dai(), e(9_000, 18))];
    for v in [AaveVersion::V3_3, AaveVersion::V3_4, AaveVersion::V3_5] {
        // USDC (8000) is under half the total (8500): it can be repaid fully.
        let p = plan(v, &reserves, WETH, USDC, U256::MAX);
        assert_eq!(
            (p.close_factor_bps, p.max_liquidatable_debt, p.debt_to_cover),
            (5_000, e(8_000, 6), e(8_000, 6))
        );
        assert_eq!(p.collateral_to_liquidator, U256::from(4_180_000_000_000_000_000u64));
        // Repaying 7500 would leave 500 USDC: dust.
        let err =
            at(v, &reserves).plan_liquidation(addr(WETH), addr(USDC), e(7_500, 6)).unwrap_err();
        assert_eq!(
            err,
            HealthError::LeavesDust {
                debt_left_base: e(500, 8),
                collateral_left_base: e(12_125, 8)
            }
        );
        // DAI (9000) is capped at half the total debt, 8500, leaving 500: dust even at max.
        let err = at(v, &reserves).plan_liquidation(addr(WETH), addr(DAI), U256::MAX).unwrap_err();
        assert!(
            matches!(err, HealthError::LeavesDust { debt_left_base, .. } if debt_left_base == e(500, 8))
        );
        // Leaving enough is fine.
        let p = plan(v, &reserves, WETH, DAI, e(7_000, 18));
        assert_eq!(p.debt_to_cover, e(7_000, 18));
    }
    // Before 3.3: 50 % of the reserve's own debt, no dust rule.
    let p = plan(AaveVersion::V3_0, &reserves, WETH, DAI, U256::MAX);
    assert_eq!(p.debt_to_cover, e(4_500, 18));
    assert_eq!(p.collateral_to_liquidator, U256::from(2_351_250_000_000_000_000u64));
}

#[test]
fn liquidation_rejections() {
    let healthy = [supplied(weth(), e(1, 18)), borrowed(usdc(), e(1_000, 6))];
    for v in AaveVersion::ALL {
        let err = at(v, &healthy).plan_liquidation(addr(WETH), addr(USDC), U256::MAX).unwrap_err();
        assert!(matches!(err, HealthError::NotLiquidatable { .. }), "{v}");
    }
    let reserves = [supplied(weth(), e(1, 18)), borrowed(usdc(), e(1_800, 6)), dai()];
    let p = at(AaveVersion::V3_0, &reserves);
    assert_eq!(
        p.plan_liquidation(addr(USDC), addr(USDC), U256::MAX).unwrap_err(),
        HealthError::CollateralNotEligible { asset: addr(USDC) }
    );
    assert_eq!(
        p.plan_liquidation(addr(WETH), addr(DAI), U256::MAX).unwrap_err(),
        HealthError::NoDebtToCover { asset: addr(DAI) }
    );
    assert_eq!(
        p.plan_liquidation(addr(WETH), addr(9), U256::MAX).unwrap_err(),
        HealthError::AssetNotFound { asset: addr(9) }
    );
    assert_eq!(
        p.plan_liquidation(addr(WETH), addr(USDC), U256::ZERO).unwrap_err(),
        HealthError::NoDebtToCover { asset: addr(USDC) }
    );
}

// ---------------------------------------------------------------------------------------------
// Input errors

#[test]
fn input_errors() {
    let mut zero = borrowed(usdc(), e(1, 6));
    zero.price = U256::ZERO;
    let reserves = [supplied(weth(), e(1, 18)), zero];
    assert_eq!(
        at(AaveVersion::V3_0, &reserves).account_data().unwrap_err(),
        HealthError::ZeroPrice { asset: addr(USDC) }
    );
    // A zero price on an empty reserve is harmless.
    let mut empty = usdc();
    empty.price = U256::ZERO;
    assert!(at(AaveVersion::V3_0, &[supplied(weth(), e(1, 18)), empty]).account_data().is_ok());

    let mut odd = supplied(weth(), e(1, 18));
    odd.config.decimals = 78;
    assert!(matches!(
        at(AaveVersion::V3_0, &[odd]).account_data().unwrap_err(),
        HealthError::DecimalsOutOfRange { decimals: 78, max: 77, .. }
    ));

    let mut far = supplied(weth(), e(1, 18));
    far.reserve_id = 200;
    let emode = EModeCategory { id: 1, collateral_bitmap: 1, ..Default::default() };
    let far = [far];
    let p = AavePosition { emode: Some(emode), ..at(AaveVersion::V3_2, &far) };
    assert!(matches!(
        p.account_data().unwrap_err(),
        HealthError::ReserveIdOutOfRange { reserve_id: 200, .. }
    ));

    let mut huge = supplied(weth(), U256::MAX);
    huge.price = U256::from(2u8);
    assert!(matches!(
        at(AaveVersion::V3_0, &[huge]).account_data().unwrap_err(),
        HealthError::Overflow { .. }
    ));
}

/// The legacy generation floors the average LT, so adding value to a low-LT collateral can
/// lower the health factor; v3.5+ cannot.
#[test]
fn legacy_health_factor_is_not_monotone_in_low_lt_collateral() {
    let unit = |asset: u8, lt: u16| crate::common::reserve(asset, 8, e(1, 8), lt, lt, 10_500, 0);
    let debt = borrowed(unit(3, 0), e(1_000_000, 8));
    let with = |low: u128| {
        [supplied(unit(1, 5_000), e(10_000_000, 8)), supplied(unit(2, 1), U256::from(low)), debt]
    };
    let before = with(0);
    let after = with(1_000_000_000);
    let hf = |v, r: &[AaveUserReserve]| at(v, r).health_factor().unwrap();
    assert!(hf(AaveVersion::V3_4, &after) < hf(AaveVersion::V3_4, &before));
    assert!(hf(AaveVersion::V3_5, &after) >= hf(AaveVersion::V3_5, &before));
}
