//! Computes the health factor and a liquidation plan for a sample Aave V3.0 position (a
//! Seamless-style WETH and `cbETH` collateral / `USDbC` debt position on Base) and a sample
//! Moonwell account, and prints both.
//!
//! Run with `cargo run -p example-health-factor`.

use alloy_primitives::{Address, U256, address};
use mev_health_calc::{
    AaveBalances, AavePosition, AaveReserveConfig, AaveUserReserve, AaveVersion, AccrualClock,
    CompoundAccount, CompoundLiquidationConfig, CompoundMarket, CompoundMarketState,
    ConfirmationTracker, HealthError, HealthFactor, PositionHealth, RAY, ReserveIndexState,
};

const WETH: Address = address!("4200000000000000000000000000000000000006");
const CBETH: Address = address!("2Ae3F1Ec7F1F5012CFEab0185bfc7aa3cf0DEc22");
const USDBC: Address = address!("d9aAEc86B65D86f6A7B5B1b0c42FFA531710b6CA");
const MOONWELL_WETH: Address = address!("628ff693426583D9a7FB391E54366292F509D457");
const MOONWELL_USDC: Address = address!("EdC817A28E8B93B03976FBd4a3dDBc9f7D176c22");

fn main() -> Result<(), HealthError> {
    aave()?;
    println!();
    moonwell()
}

/// `m × 10^x`.
fn e(m: u128, x: u32) -> U256 {
    U256::from(m) * U256::from(10u8).pow(U256::from(x))
}

/// `value / 10^decimals` with all digits, no floating point.
fn units(value: U256, decimals: u32) -> String {
    let unit = U256::from(10u8).pow(U256::from(decimals));
    let frac = (value % unit).to_string();
    let frac = format!("{frac:0>width$}", width = decimals as usize);
    let frac = frac.trim_end_matches('0');
    if frac.is_empty() { (value / unit).to_string() } else { format!("{}.{frac}", value / unit) }
}

fn reserve(
    asset: Address,
    id: u16,
    decimals: u8,
    price_usd_e8: U256,
    lt: u16,
    bonus: u16,
) -> AaveUserReserve {
    AaveUserReserve {
        asset,
        reserve_id: id,
        config: AaveReserveConfig {
            decimals,
            ltv: lt.saturating_sub(500),
            liquidation_threshold: lt,
            liquidation_bonus: bonus,
            liquidation_protocol_fee: 1_000,
            emode_category: 0,
        },
        price: price_usd_e8,
        usage_as_collateral_enabled: false,
        balances: AaveBalances::default(),
    }
}

fn aave() -> Result<(), HealthError> {
    // Reserve state one hour after the last update: supply and debt indexes move.
    let timestamp = 1_700_003_600;
    let indexes = |li: U256, vi: U256, lr: U256, vr: U256| ReserveIndexState {
        liquidity_index: li,
        variable_borrow_index: vi,
        liquidity_rate: lr,
        variable_borrow_rate: vr,
        last_update_timestamp: 1_700_000_000,
    };
    let percent = |p: u128| RAY * U256::from(p) / U256::from(100u8);

    let mut weth = reserve(WETH, 0, 18, e(1_650, 8), 8_000, 10_500);
    weth.usage_as_collateral_enabled = true;
    weth.balances = AaveBalances::Scaled {
        scaled_a_token: e(4, 18),
        scaled_variable_debt: U256::ZERO,
        stable_debt: U256::ZERO,
        indexes: indexes(RAY + percent(2), RAY + percent(5), percent(2), percent(3)),
    };
    let mut cbeth = reserve(CBETH, 2, 18, e(1_720, 8), 7_500, 10_750);
    cbeth.usage_as_collateral_enabled = true;
    cbeth.balances = AaveBalances::Current {
        a_token: e(15, 17),
        variable_debt: U256::ZERO,
        stable_debt: U256::ZERO,
    };
    let mut usdbc = reserve(USDBC, 1, 6, e(1, 8), 8_000, 10_500);
    usdbc.balances = AaveBalances::Scaled {
        scaled_a_token: U256::ZERO,
        scaled_variable_debt: e(6_950, 6),
        stable_debt: U256::ZERO,
        indexes: indexes(RAY + percent(3), RAY + percent(6), percent(4), percent(7)),
    };
    let reserves = [weth, cbeth, usdbc];

    let position =
        AavePosition { version: AaveVersion::V3_0, timestamp, emode: None, reserves: &reserves };
    let data = position.account_data()?;
    println!("Aave V3.0 position (Seamless-style, Base)");
    println!("  total collateral   ${}", units(data.total_collateral_base, 8));
    println!("  total debt         ${}", units(data.total_debt_base, 8));
    println!("  avg liq. threshold {} bps", data.current_liquidation_threshold);
    println!(
        "  health factor      {} (WAD {})",
        HealthFactor::from_wad(data.health_factor),
        data.health_factor
    );
    let v35 = AavePosition { version: AaveVersion::V3_5, ..position }.account_data()?;
    println!(
        "  same inputs, v3.5  {} (WAD {})",
        HealthFactor::from_wad(v35.health_factor),
        v35.health_factor
    );
    println!("  liquidatable       {}", data.is_liquidatable());

    let plan = position.plan_liquidation(WETH, USDBC, U256::MAX)?;
    println!("  liquidation plan: repay USDbC, seize WETH");
    println!("    close factor          {} bps", plan.close_factor_bps);
    println!("    debt to cover         {} USDbC", units(plan.debt_to_cover, 6));
    println!("    collateral received   {} WETH", units(plan.collateral_to_liquidator, 18));
    println!("    protocol fee          {} WETH", units(plan.protocol_fee, 18));
    println!("    liquidation bonus     {} bps", plan.liquidation_bonus);
    println!("    gross profit          ${}", units(plan.gross_profit_base(), 8));

    // Act only after two consecutive unhealthy blocks.
    let mut tracker = ConfirmationTracker::default();
    let health = position.health()?;
    for block in [18_000_000u64, 18_000_001] {
        println!("  block {block}: {:?}", tracker.observe_health(block, &health));
    }
    Ok(())
}

fn moonwell() -> Result<(), HealthError> {
    // Moonwell accrues per second. The USDC market was last accrued 10 minutes ago.
    let usdc_state = CompoundMarketState {
        market: MOONWELL_USDC,
        clock: AccrualClock::Timestamp,
        accrual_point: 1_700_000_000,
        cash: e(12_000_000, 6),
        total_borrows: e(30_000_000, 6),
        total_reserves: e(400_000, 6),
        total_supply: e(2_000_000_000, 8),
        borrow_index: e(1_050, 15),
        reserve_factor: e(15, 16),
        borrow_rate: U256::from(2_219_685_438u64), // ≈ 7 % a year
        initial_exchange_rate: e(2, 14),
    }
    .accrue(1_700_000_600)?;
    let usdc =
        usdc_state.market_for(true, U256::ZERO, e(2_960, 6), e(1_040, 15), e(85, 16), e(1, 30))?;
    let weth = CompoundMarket {
        market: MOONWELL_WETH,
        entered: true,
        c_token_balance: e(100, 8),
        borrow_balance: U256::ZERO,
        exchange_rate: e(2_010, 23),
        collateral_factor: e(81, 16),
        price: e(1_800, 18),
    };
    let markets = [weth, usdc];
    let account = CompoundAccount { markets: &markets };
    let liquidity = account.liquidity()?;
    let health = PositionHealth::from_compound(&liquidity);
    println!("Moonwell account (Base)");
    println!("  USDC borrow        {} USDC (accrued)", units(usdc.borrow_balance, 6));
    println!("  weighted collateral ${}", units(liquidity.sum_collateral, 18));
    println!("  borrow             ${}", units(liquidity.sum_borrow, 18));
    println!("  liquidity          ${}", units(liquidity.liquidity, 18));
    println!("  shortfall          ${}", units(liquidity.shortfall, 18));
    println!("  health factor      {}", health.health_factor);

    let config = CompoundLiquidationConfig {
        close_factor: e(5, 17),
        liquidation_incentive: e(110, 16),
        protocol_seize_share: e(3, 16),
        borrowed_market_deprecated: false,
    };
    match account.plan_liquidation(MOONWELL_USDC, MOONWELL_WETH, U256::MAX, &config) {
        Ok(plan) => {
            println!("  liquidation plan: repay USDC, seize mWETH");
            println!("    max repay             {} USDC", units(plan.max_repay, 6));
            println!("    repay                 {} USDC", units(plan.repay_amount, 6));
            println!("    mWETH seized          {}", units(plan.seize_tokens, 8));
            println!(
                "    to liquidator         {} mWETH = {} WETH",
                units(plan.liquidator_seize_tokens, 8),
                units(plan.liquidator_seize_underlying, 18)
            );
            println!("    to protocol           {} mWETH", units(plan.protocol_seize_tokens, 8));
        }
        Err(err) => println!("  no liquidation: {err}"),
    }
    Ok(())
}
