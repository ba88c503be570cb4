//! The protocol-neutral view, the confirmation tracker and the oracle guard together.

use mev_health_calc::{
    AavePosition, AaveVersion, Confirmation, ConfirmationTracker, HealthError, HealthModel,
    OracleGuard, OracleGuardConfig, PositionHealth,
};
use rust_decimal::Decimal;

use crate::common::{addr, borrowed, e, supplied, usdc, weth};

#[test]
fn aave_position_health_drives_the_tracker() {
    let mut tracker = ConfirmationTracker::default();
    let guard = OracleGuard::new(OracleGuardConfig::default());
    let mut previous_price = None;
    // ETH drifts down block by block; HF crosses 1 at block 3.
    let prices = [2_200u128, 2_150, 2_080, 2_040, 2_000, 1_990];
    let mut confirmed_at = None;
    for (block, usd) in (1u64..).zip(prices) {
        let price = guard.check(addr(1), e(usd, 8), Some(e(usd, 8)), previous_price).unwrap();
        previous_price = Some(price);
        let mut coll = supplied(weth(), e(1, 18));
        coll.price = price;
        let reserves = [coll, borrowed(usdc(), e(1_700, 6))];
        let health = AavePosition {
            version: AaveVersion::V3_0,
            timestamp: 0,
            emode: None,
            reserves: &reserves,
        }
        .health()
        .unwrap();
        assert_eq!(health.model, HealthModel::AaveV3(AaveVersion::V3_0));
        assert_eq!(health.liquidatable, health.health_factor.is_liquidatable());
        if tracker.observe_health(block, &health).is_confirmed() && confirmed_at.is_none() {
            confirmed_at = Some(block);
        }
    }
    // 2080 × 0.825 = 1716 > 1700 (healthy); 2040 × 0.825 = 1683 < 1700 at block 4, confirmed at 5.
    assert_eq!(confirmed_at, Some(5));
    assert_eq!(tracker.status(), Confirmation::Confirmed { streak: 3 });
    // A 40 % crash in one block is rejected before it reaches the math.
    assert!(matches!(
        guard.check(addr(1), e(1_190, 8), None, previous_price),
        Err(HealthError::PriceMoved { .. })
    ));
}

#[test]
fn display_value() {
    let reserves = [supplied(weth(), e(1, 18)), borrowed(usdc(), e(1_700, 6))];
    let data =
        AavePosition { version: AaveVersion::V3_5, timestamp: 0, emode: None, reserves: &reserves }
            .account_data()
            .unwrap();
    let health = PositionHealth::from_aave(AaveVersion::V3_5, &data);
    assert_eq!(health.health_factor_decimal(), "0.970588235294117647".parse::<Decimal>().unwrap());
    assert_eq!(health.debt_value, e(1_700, 8));
    assert_eq!(health.collateral_value, e(2_000, 8));
}
