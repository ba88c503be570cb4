//! One health evaluation: a 2-collateral / 1-debt Aave position (target ≤ 200 ns) and a
//! 2-market Compound account.

use std::hint::black_box;

use alloy_primitives::{Address, U256};
use criterion::{Criterion, criterion_group, criterion_main};
use mev_health_calc::{
    AaveBalances, AavePosition, AaveReserveConfig, AaveUserReserve, AaveVersion, CompoundAccount,
    CompoundMarket, RAY, ReserveIndexState,
};

fn e(m: u128, x: u32) -> U256 {
    U256::from(m) * U256::from(10u8).pow(U256::from(x))
}

fn reserve(
    n: u8,
    decimals: u8,
    price: U256,
    lt: u16,
    balances: AaveBalances,
    collateral: bool,
) -> AaveUserReserve {
    AaveUserReserve {
        asset: Address::repeat_byte(n),
        reserve_id: u16::from(n),
        config: AaveReserveConfig {
            decimals,
            ltv: lt - 300,
            liquidation_threshold: lt,
            liquidation_bonus: 10_500,
            liquidation_protocol_fee: 1_000,
            emode_category: 0,
        },
        price,
        usage_as_collateral_enabled: collateral,
        balances,
    }
}

fn current(a_token: U256, variable_debt: U256) -> AaveBalances {
    AaveBalances::Current { a_token, variable_debt, stable_debt: U256::ZERO }
}

/// WETH and WBTC collateral, USDC debt, as `balanceOf` values.
fn current_position() -> [AaveUserReserve; 3] {
    [
        reserve(1, 18, e(2_000, 8), 8_250, current(e(3, 18), U256::ZERO), true),
        reserve(2, 8, e(60_000, 8), 7_800, current(e(5, 7), U256::ZERO), true),
        reserve(3, 6, e(1, 8), 8_000, current(U256::ZERO, e(7_500, 6)), false),
    ]
}

/// The same position as scaled balances, normalized 1 hour after the last index update.
fn scaled_position() -> [AaveUserReserve; 3] {
    let indexes = ReserveIndexState {
        liquidity_index: RAY + RAY / U256::from(20u8),
        variable_borrow_index: RAY + RAY / U256::from(10u8),
        liquidity_rate: RAY / U256::from(50u8),
        variable_borrow_rate: RAY / U256::from(20u8),
        last_update_timestamp: 1_700_000_000,
    };
    let scaled = |a: U256, d: U256| AaveBalances::Scaled {
        scaled_a_token: a,
        scaled_variable_debt: d,
        stable_debt: U256::ZERO,
        indexes,
    };
    [
        reserve(1, 18, e(2_000, 8), 8_250, scaled(e(3, 18), U256::ZERO), true),
        reserve(2, 8, e(60_000, 8), 7_800, scaled(e(5, 7), U256::ZERO), true),
        reserve(3, 6, e(1, 8), 8_000, scaled(U256::ZERO, e(7_500, 6)), false),
    ]
}

/// The scaled position with every reserve rolled forward to the evaluation time once (what a
/// cache does once per block), so positions skip the interest math.
fn rolled(version: AaveVersion) -> [AaveUserReserve; 3] {
    let mut reserves = scaled_position();
    for r in &mut reserves {
        if let AaveBalances::Scaled { indexes, .. } = &mut r.balances {
            *indexes = indexes.at(1_700_003_600, version).expect("valid indexes");
        }
    }
    reserves
}

fn bench(c: &mut Criterion) {
    let current = current_position();
    let scaled = scaled_position();
    for (name, version, reserves, timestamp) in [
        ("aave_2c1d_current_v3_0", AaveVersion::V3_0, &current, 0),
        ("aave_2c1d_current_v3_5", AaveVersion::V3_5, &current, 0),
        ("aave_2c1d_scaled_v3_0", AaveVersion::V3_0, &scaled, 1_700_003_600),
        ("aave_2c1d_scaled_v3_5", AaveVersion::V3_5, &scaled, 1_700_003_600),
        (
            "aave_2c1d_scaled_rolled_v3_0",
            AaveVersion::V3_0,
            &rolled(AaveVersion::V3_0),
            1_700_003_600,
        ),
        (
            "aave_2c1d_scaled_rolled_v3_5",
            AaveVersion::V3_5,
            &rolled(AaveVersion::V3_5),
            1_700_003_600,
        ),
    ] {
        c.bench_function(name, |b| {
            b.iter(|| {
                let position = AavePosition {
                    version,
                    timestamp,
                    emode: None,
                    reserves: black_box(&reserves[..]),
                };
                black_box(position.account_data())
            });
        });
    }

    // WETH at $1300 and WBTC at $9000: HF ≈ 0.90, so the plan is computed in full.
    let liquidatable = {
        let mut r = current_position();
        r[0].price = e(1_300, 8);
        r[1].price = e(9_000, 8);
        r
    };
    let plan = AavePosition {
        version: AaveVersion::V3_3,
        timestamp: 0,
        emode: None,
        reserves: &liquidatable,
    }
    .plan_liquidation(Address::repeat_byte(1), Address::repeat_byte(3), U256::MAX);
    assert!(plan.is_ok(), "{plan:?}");
    c.bench_function("aave_2c1d_liquidation_plan_v3_3", |b| {
        b.iter(|| {
            let position = AavePosition {
                version: AaveVersion::V3_3,
                timestamp: 0,
                emode: None,
                reserves: black_box(&liquidatable[..]),
            };
            black_box(position.plan_liquidation(
                Address::repeat_byte(1),
                Address::repeat_byte(3),
                U256::MAX,
            ))
        });
    });

    let markets = [
        CompoundMarket {
            market: Address::repeat_byte(1),
            entered: true,
            c_token_balance: e(50, 8),
            borrow_balance: U256::ZERO,
            exchange_rate: e(2, 26),
            collateral_factor: e(8, 17),
            price: e(3_000, 18),
        },
        CompoundMarket {
            market: Address::repeat_byte(2),
            entered: true,
            c_token_balance: U256::ZERO,
            borrow_balance: e(2_000, 6),
            exchange_rate: e(2, 14),
            collateral_factor: e(85, 16),
            price: e(1, 30),
        },
    ];
    c.bench_function("compound_2_markets", |b| {
        b.iter(|| black_box(CompoundAccount { markets: black_box(&markets[..]) }.liquidity()));
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
