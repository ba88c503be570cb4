//! Compound v2 / Moonwell: liquidation sizing, seize tokens, interest accrual.

use alloy_primitives::U256;
use mev_health_calc::{
    AccrualClock, COMPOUND_PROTOCOL_SEIZE_SHARE, CompoundAccount, CompoundLiquidationConfig,
    CompoundMarket, CompoundMarketState, HealthError, WAD, seize_tokens,
};

use crate::common::{addr, e, market};

const ETH: u8 = 1;
const USDC: u8 = 2;

fn config() -> CompoundLiquidationConfig {
    CompoundLiquidationConfig {
        close_factor: e(5, 17),
        liquidation_incentive: e(108, 16),
        protocol_seize_share: COMPOUND_PROTOCOL_SEIZE_SHARE,
        borrowed_market_deprecated: false,
    }
}

/// 50 mTokens of ETH (1 ETH at $3000, CF 0.8) against `borrow` USDC.
fn account(c_tokens: U256, borrow: U256) -> [CompoundMarket; 2] {
    [
        market(ETH, c_tokens, U256::ZERO, e(2, 26), e(8, 17), e(3_000, 18)),
        market(USDC, U256::ZERO, borrow, e(2, 14), e(85, 16), e(1, 30)),
    ]
}

#[test]
fn liquidation_by_close_factor() {
    let markets = account(e(50, 8), e(2_500, 6));
    let a = CompoundAccount { markets: &markets };
    let l = a.liquidity().unwrap();
    assert_eq!(
        (l.sum_collateral, l.sum_borrow, l.shortfall),
        (e(2_400, 18), e(2_500, 18), e(100, 18))
    );
    assert!(a.health().unwrap().liquidatable);

    let p = a.plan_liquidation(addr(USDC), addr(ETH), U256::MAX, &config()).unwrap();
    assert_eq!(p.shortfall, e(100, 18));
    assert_eq!(p.max_repay, e(1_250, 6));
    assert_eq!(p.repay_amount, e(1_250, 6));
    // $1250 × 1.08 = $1350 = 0.45 ETH = 22.5 mTokens.
    assert_eq!(p.seize_tokens, e(2_250, 6));
    assert_eq!(p.protocol_seize_tokens, e(63, 6));
    assert_eq!(p.liquidator_seize_tokens, e(2_187, 6));
    assert_eq!(p.protocol_seize_amount, e(126, 14));
    assert_eq!(p.liquidator_seize_underlying, e(4_374, 14));
    assert!(!p.limited_by_collateral);
    assert_eq!(
        seize_tokens(e(1_250, 6), e(1, 30), e(3_000, 18), e(2, 26), e(108, 16)).unwrap(),
        e(2_250, 6)
    );
    // A smaller repay is kept.
    let p = a.plan_liquidation(addr(USDC), addr(ETH), e(100, 6), &config()).unwrap();
    assert_eq!((p.repay_amount, p.seize_tokens), (e(100, 6), e(180, 6)));
}

#[test]
fn liquidation_limited_by_collateral() {
    // 10 mTokens = 0.2 ETH: seizing for $1250 would need 22.5 mTokens.
    let markets = account(e(10, 8), e(2_500, 6));
    let a = CompoundAccount { markets: &markets };
    let p = a.plan_liquidation(addr(USDC), addr(ETH), U256::MAX, &config()).unwrap();
    assert!(p.limited_by_collateral);
    assert_eq!(p.repay_amount, U256::from(555_555_556u64));
    assert_eq!(p.seize_tokens, e(1, 9));
    // One more wei of repay would seize more than the balance.
    let ratio_seize = seize_tokens(
        p.repay_amount + U256::from(1u8),
        e(1, 30),
        e(3_000, 18),
        e(2, 26),
        e(108, 16),
    );
    assert!(ratio_seize.unwrap() > e(1, 9));
}

#[test]
fn liquidation_rejections_and_deprecated_markets() {
    let healthy = account(e(50, 8), e(2_000, 6));
    let a = CompoundAccount { markets: &healthy };
    assert_eq!(
        a.plan_liquidation(addr(USDC), addr(ETH), U256::MAX, &config()).unwrap_err(),
        HealthError::NoShortfall { liquidity: e(400, 18) }
    );
    // Compound's deprecated-market bypass: no shortfall needed, up to the whole borrow.
    let deprecated = CompoundLiquidationConfig { borrowed_market_deprecated: true, ..config() };
    let p = a.plan_liquidation(addr(USDC), addr(ETH), U256::MAX, &deprecated).unwrap();
    assert_eq!((p.max_repay, p.repay_amount), (e(2_000, 6), e(2_000, 6)));
    assert_eq!(p.seize_tokens, e(3_600, 6));

    let underwater = account(e(50, 8), e(2_500, 6));
    let a = CompoundAccount { markets: &underwater };
    assert_eq!(
        a.plan_liquidation(addr(ETH), addr(ETH), U256::MAX, &config()).unwrap_err(),
        HealthError::NoDebtToCover { asset: addr(ETH) }
    );
    assert_eq!(
        a.plan_liquidation(addr(USDC), addr(7), U256::MAX, &config()).unwrap_err(),
        HealthError::AssetNotFound { asset: addr(7) }
    );
}

/// Moonwell accrues per second, Compound per block; the arithmetic is the same. One day at
/// 1e-8 per second turns a $1 surplus into a $0.728 shortfall.
#[test]
fn accrual_turns_account_liquidatable() {
    for (clock, start, now) in [
        (AccrualClock::Timestamp, 1_700_000_000u64, 1_700_086_400u64),
        (AccrualClock::BlockNumber, 100, 86_500),
    ] {
        let usdc = CompoundMarketState {
            market: addr(USDC),
            clock,
            accrual_point: start,
            cash: e(1, 12),
            total_borrows: e(1, 12),
            total_reserves: U256::ZERO,
            total_supply: e(1, 19),
            borrow_index: WAD,
            reserve_factor: e(1, 17),
            borrow_rate: e(1, 10),
            initial_exchange_rate: e(2, 14),
        };
        let collateral = market(ETH, e(50, 8), U256::ZERO, e(2, 26), e(667, 15), e(3_000, 18));
        let price = e(1, 30);
        let before = usdc.market_for(true, U256::ZERO, e(2_000, 6), WAD, e(85, 16), price).unwrap();
        let l = CompoundAccount { markets: &[collateral, before] }.liquidity().unwrap();
        assert_eq!((l.sum_collateral, l.liquidity), (e(2_001, 18), e(1, 18)));

        let accrued = usdc.accrue(now).unwrap();
        assert_eq!(accrued.borrow_index, e(1_000_864, 12));
        assert_eq!(accrued.total_borrows, e(1, 12) + e(864, 6));
        assert_eq!(accrued.total_reserves, U256::from(86_400_000u64));
        let after =
            accrued.market_for(true, U256::ZERO, e(2_000, 6), WAD, e(85, 16), price).unwrap();
        assert_eq!(after.borrow_balance, U256::from(2_001_728_000u64));
        let l = CompoundAccount { markets: &[collateral, after] }.liquidity().unwrap();
        assert_eq!(l.shortfall, e(728, 15));
        // Exchange rate: (1e12 + 1.000864e12 − 8.64e7) × 1e18 / 1e19.
        assert_eq!(accrued.exchange_rate().unwrap(), U256::from(200_077_760_000u64));
    }
}
