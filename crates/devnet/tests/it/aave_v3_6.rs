//! Aave v3.6 (compiled from `@aave-dao/aave-v3-origin` 3.6.0): the test market's eMode,
//! LTV-zero, isolation and fees on chain; positions, a price move and two liquidations.

use alloy_primitives::{Address, U256, hex};
use alloy_sol_types::{SolError, sol};
use mev_devnet::{
    AaveEModeCategory, AavePosition, AaveRelease, AaveV3, AaveV3Config, BASE_CURRENCY_UNIT,
    DevnetError,
    bindings::{IDefaultInterestRateStrategyV2, IERC20, IPool},
    receipt_events,
};

use crate::{Failure, TestResult, devnet, ensure};

sol! {
    /// v3.6 custom errors the test expects (`protocol/libraries/helpers/Errors.sol`).
    error AssetNotBorrowableInIsolation();
    error UserInIsolationModeOrLtvZero();
    error HealthFactorNotBelowThreshold();
}

/// `x / 1e18` as a float, for messages only.
fn wad(x: U256) -> f64 {
    f64::from(x) / 1e18
}

/// Whether a health factor (WAD) lies in `[lo, hi]` thousandths.
fn hf_between(hf: U256, lo_milli: u64, hi_milli: u64) -> bool {
    let milli = U256::from(10u64).pow(U256::from(15));
    hf >= U256::from(lo_milli) * milli && hf <= U256::from(hi_milli) * milli
}

/// Whole dollars in base-currency units.
fn usd(dollars: u64) -> U256 {
    U256::from(dollars) * U256::from(BASE_CURRENCY_UNIT)
}

/// Whether `base` lies in `[dollars, dollars + 1)` — the position's value plus at most $1 of
/// interest accrued over the test's few blocks.
fn about_usd(base: U256, dollars: u64) -> bool {
    base >= usd(dollars) && base < usd(dollars + 1)
}

/// Whether a transaction failed with the custom error `E` in its revert reason.
fn reverted_with<E: SolError>(result: &Result<impl Sized, DevnetError>) -> bool {
    let selector = hex::encode(E::SELECTOR);
    matches!(result, Err(e) if e.to_string().contains(&selector))
}

/// The reserve id of a symbol, for bitmap checks.
fn reserve_id(aave: &AaveV3, symbol: &str) -> Result<u16, Failure> {
    aave.reserve(symbol).map(|r| r.id).ok_or_else(|| Failure(format!("no reserve {symbol}")))
}

/// Mints `units` whole tokens of `asset` to `user` and approves the pool.
async fn fund(aave: &AaveV3, asset: Address, user: Address, units: u64) -> TestResult {
    aave.mint(asset, user, aave.units(asset, units)?).await?;
    aave.approve(user, asset).await?;
    Ok(())
}

#[tokio::test]
async fn v3_6_market_emode_isolation_price_drop_and_liquidations() -> TestResult {
    let devnet = devnet().await?;
    let aave = devnet.deploy_aave_v3_6(&AaveV3Config::v3_6_market()).await?;
    let (weth, usdc, wbtc, dai) =
        (aave.asset("WETH")?, aave.asset("USDC")?, aave.asset("WBTC")?, aave.asset("DAI")?);

    // The deployment: v3.6 code, no stable debt, the config's parameters on chain.
    ensure(aave.release() == AaveRelease::V3_6, || format!("{:?}", aave.release()))?;
    let revision = aave.pool_revision().await?;
    ensure(revision == U256::from(10), || format!("POOL_REVISION {revision}"))?;
    ensure(aave.reserves().len() == 4, || "4 reserves".into())?;
    ensure(
        aave.reserves().iter().all(|r| r.stable_debt_token == Address::ZERO)
            && aave.addresses().stable_debt_token_implementation == Address::ZERO,
        || "v3.6 has no stable debt token".into(),
    )?;
    let ids: Vec<u16> = aave.reserves().iter().map(|r| r.id).collect();
    ensure(ids == [0, 1, 2, 3], || format!("reserve ids {ids:?}"))?;
    let config = aave.reserve_configuration_data(weth).await?;
    ensure(
        config.decimals == U256::from(18)
            && config.ltv == U256::from(8_000)
            && config.liquidationThreshold == U256::from(8_250)
            && config.liquidationBonus == U256::from(10_500)
            && config.reserveFactor == U256::from(1_000)
            && config.borrowingEnabled
            && config.usageAsCollateralEnabled
            && !config.stableBorrowRateEnabled
            && config.isActive,
        || format!("{config:?}"),
    )?;
    for reserve in aave.reserves() {
        let fee = aave.liquidation_protocol_fee(reserve.asset).await?;
        ensure(fee == U256::from(1_000), || format!("{} protocol fee {fee}", reserve.symbol))?;
    }
    let ceiling = aave.debt_ceiling(wbtc).await?;
    ensure(ceiling == U256::from(100_000_000u64), || format!("WBTC debt ceiling {ceiling}"))?;
    ensure(aave.debt_ceiling(weth).await?.is_zero(), || "WETH is not isolated".into())?;
    let rates = devnet
        .call(
            aave.addresses().interest_rate_strategy,
            &IDefaultInterestRateStrategyV2::getInterestRateDataBpsCall { reserve: usdc },
        )
        .await?;
    ensure(
        rates.optimalUsageRatio == 8_000
            && rates.variableRateSlope1 == 400
            && rates.variableRateSlope2 == 7_500,
        || format!("{rates:?}"),
    )?;

    // eMode 1: USDC and DAI as collateral and borrowable, DAI LTV-zero.
    let (usdc_id, dai_id) = (reserve_id(&aave, "USDC")?, reserve_id(&aave, "DAI")?);
    let stables = (1u128 << usdc_id) | (1u128 << dai_id);
    let category = aave.emode_category(1).await?;
    ensure(
        category
            == AaveEModeCategory {
                id: 1,
                ltv: 9_300,
                liquidation_threshold: 9_500,
                liquidation_bonus: 10_100,
                label: "Stablecoins".into(),
                collateral_bitmap: stables,
                borrowable_bitmap: stables,
                ltvzero_bitmap: 1 << dai_id,
            },
        || format!("{category:?}"),
    )?;
    ensure(
        AaveEModeCategory::has(category.ltvzero_bitmap, dai_id)
            && !AaveEModeCategory::has(category.ltvzero_bitmap, usdc_id),
        || "ltvzero bitmap holds DAI only".into(),
    )?;
    ensure(aave.emode_category(2).await?.ltv == 0, || "category 2 was never set".into())?;

    // Positions. The lender provides liquidity; alice has two collaterals; bob one.
    let (lender, alice, bob) =
        (Address::repeat_byte(0xee), Address::repeat_byte(0xa1), Address::repeat_byte(0xb0));
    let positions = [
        AavePosition {
            user: lender,
            supplies: vec![
                (usdc, aave.units(usdc, 1_000_000)?),
                (dai, aave.units(dai, 1_000_000)?),
                (weth, aave.units(weth, 1_000)?),
            ],
            borrows: vec![],
        },
        AavePosition {
            user: alice,
            supplies: vec![(weth, aave.units(weth, 5)?), (dai, aave.units(dai, 10_000)?)],
            borrows: vec![(usdc, aave.units(usdc, 12_000)?)],
        },
        AavePosition {
            user: bob,
            supplies: vec![(weth, aave.units(weth, 10)?)],
            borrows: vec![(usdc, aave.units(usdc, 15_000)?)],
        },
    ];
    aave.open_positions(&positions).await?;

    // carol: eMode 1, USDC collateral at 93 % LTV, borrows DAI (beyond USDC's own 77 % LTV).
    let accounts = devnet.accounts();
    let (liquidator, carol, dave, erin) = (accounts[2], accounts[6], accounts[7], accounts[8]);
    fund(&aave, usdc, carol, 10_000).await?;
    aave.supply(carol, usdc, aave.units(usdc, 10_000)?).await?;
    let receipt = aave.set_user_emode(carol, 1).await?;
    let set = receipt_events::<IPool::UserEModeSet>(&receipt, aave.pool())?;
    ensure(set.len() == 1 && set[0].categoryId == 1, || format!("{set:?}"))?;
    ensure(aave.user_emode(carol).await? == 1, || "carol in eMode 1".into())?;
    aave.borrow(carol, dai, aave.units(dai, 9_000)?).await?;

    // dave: WBTC is isolated, so not collateral on supply; enabled by hand, it may back only
    // assets borrowable in isolation, up to the debt ceiling.
    fund(&aave, wbtc, dave, 1).await?;
    aave.supply(dave, wbtc, aave.units(wbtc, 1)?).await?;
    let before = aave.user_reserve_data(wbtc, dave).await?;
    ensure(!before.usageAsCollateralEnabled, || "isolated WBTC enabled on supply".into())?;
    aave.set_use_as_collateral(dave, wbtc, true).await?;
    ensure(aave.user_reserve_data(wbtc, dave).await?.usageAsCollateralEnabled, || {
        "WBTC collateral after setUserUseReserveAsCollateral".into()
    })?;
    let refused = aave.borrow(dave, weth, aave.units(weth, 1)?).await;
    ensure(reverted_with::<AssetNotBorrowableInIsolation>(&refused), || {
        format!("WETH borrow in isolation: {refused:?}")
    })?;
    let receipt = aave.borrow(dave, usdc, aave.units(usdc, 10_000)?).await?;
    let isolated = receipt_events::<IPool::IsolationModeTotalDebtUpdated>(&receipt, aave.pool())?;
    // $10 000 of debt in the ceiling's unit (2 decimals).
    ensure(isolated.len() == 1 && isolated[0].totalDebt == U256::from(1_000_000), || {
        format!("{isolated:?}")
    })?;
    let wbtc_reserve = aave.pool_reserve_data(wbtc).await?;
    ensure(wbtc_reserve.isolationModeTotalDebt == 1_000_000, || format!("{wbtc_reserve:?}"))?;

    // erin: in eMode 1 DAI has LTV zero, so a DAI supply is not collateral and cannot be made so.
    fund(&aave, dai, erin, 1_000).await?;
    aave.set_user_emode(erin, 1).await?;
    aave.supply(erin, dai, aave.units(dai, 1_000)?).await?;
    ensure(!aave.user_reserve_data(dai, erin).await?.usageAsCollateralEnabled, || {
        "LTV-zero DAI enabled as collateral in eMode".into()
    })?;
    let refused = aave.set_use_as_collateral(erin, dai, true).await;
    ensure(reverted_with::<UserInIsolationModeOrLtvZero>(&refused), || {
        format!("enable LTV-zero DAI: {refused:?}")
    })?;

    // getUserAccountData before the price move.
    let a = aave.user_account_data(alice).await?;
    // $20 000 of collateral; LT (10 000·8250 + 10 000·8000) / 20 000 = 8125 and LTV 7750 (one
    // less when DAI's accrued interest tips the weighted average under); HF 20 000 × 0.8125 /
    // 12 000 = 1.354.
    ensure(
        about_usd(a.totalCollateralBase, 20_000)
            && about_usd(a.totalDebtBase, 12_000)
            && (U256::from(8_124)..=U256::from(8_125)).contains(&a.currentLiquidationThreshold)
            && (U256::from(7_749)..=U256::from(7_750)).contains(&a.ltv)
            && hf_between(a.healthFactor, 1_352, 1_355),
        || format!("alice {a:?}, HF {}", wad(a.healthFactor)),
    )?;
    // Borrowing power: collateral × LTV (rounded down) less the debt.
    let available = a.totalCollateralBase * a.ltv / U256::from(10_000) - a.totalDebtBase;
    ensure(a.availableBorrowsBase == available, || format!("alice {a:?}"))?;
    let b = aave.user_account_data(bob).await?;
    ensure(
        about_usd(b.totalCollateralBase, 20_000) && hf_between(b.healthFactor, 1_098, 1_101),
        || format!("bob {b:?}, HF {}", wad(b.healthFactor)),
    )?;
    // The eMode parameters replace USDC's own (7700 / 8000): HF 10 000 × 0.95 / 9 000 = 1.056.
    let c = aave.user_account_data(carol).await?;
    ensure(
        about_usd(c.totalCollateralBase, 10_000)
            && c.ltv == U256::from(9_300)
            && c.currentLiquidationThreshold == U256::from(9_500)
            && hf_between(c.healthFactor, 1_054, 1_056),
        || format!("carol {c:?}, HF {}", wad(c.healthFactor)),
    )?;
    let d = aave.user_account_data(dave).await?;
    ensure(
        d.totalCollateralBase == usd(60_000)
            && d.ltv == U256::from(7_300)
            && hf_between(d.healthFactor, 4_679, 4_681),
        || format!("dave {d:?}, HF {}", wad(d.healthFactor)),
    )?;

    // WETH to $1 500 and DAI to $1.10 in one block.
    aave.set_prices(&[(weth, usd(1_500)), (dai, usd(11) / U256::from(10))]).await?;
    let a2 = aave.user_account_data(alice).await?;
    // 7 500·0.825 + 11 000·0.80 = 14 987.5 over 12 000 = 1.249.
    ensure(
        a2.healthFactor < a.healthFactor
            && about_usd(a2.totalCollateralBase, 18_500)
            && hf_between(a2.healthFactor, 1_247, 1_250),
        || format!("alice after {a2:?}, HF {}", wad(a2.healthFactor)),
    )?;
    let b2 = aave.user_account_data(bob).await?;
    ensure(b2.healthFactor < b.healthFactor && hf_between(b2.healthFactor, 820, 826), || {
        format!("bob after HF {}", wad(b2.healthFactor))
    })?;
    // 10 000 × 0.95 / (9 000 × 1.10) = 0.9596: liquidatable, but above 0.95 (50 % close factor).
    let c2 = aave.user_account_data(carol).await?;
    ensure(c2.healthFactor < c.healthFactor && hf_between(c2.healthFactor, 958, 960), || {
        format!("carol after HF {}", wad(c2.healthFactor))
    })?;

    // Liquidate bob: 7 500 USDC buys $7 500 of WETH at $1 500 plus the 5 % bonus = 5.25 WETH,
    // of which the treasury takes 10 % of the 0.25 bonus: 5.225 WETH to the liquidator.
    fund(&aave, usdc, liquidator, 7_500).await?;
    let cover = aave.units(usdc, 7_500)?;
    let receipt = aave.liquidation_call(liquidator, weth, usdc, bob, cover, false).await?;
    let events = receipt_events::<IPool::LiquidationCall>(&receipt, aave.pool())?;
    let [event] = events.as_slice() else {
        return Err(Failure(format!("{} LiquidationCall events", events.len())));
    };
    let to_liquidator = aave.units(weth, 5_225)? / U256::from(1_000);
    ensure(
        event.user == bob
            && event.collateralAsset == weth
            && event.debtAsset == usdc
            && event.debtToCover == cover
            && event.liquidatedCollateralAmount == to_liquidator
            && event.liquidator == liquidator
            && !event.receiveAToken,
        || format!("{event:?}"),
    )?;
    ensure(devnet.balance_of(weth, liquidator).await? == to_liquidator, || "WETH seized".into())?;
    let a_weth = aave.reserve("WETH").map(|r| r.a_token).unwrap_or_default();
    let fee = devnet.call(a_weth, &IERC20::balanceOfCall { owner: devnet.deployer() }).await?;
    let expected_fee = aave.units(weth, 25)? / U256::from(1_000);
    ensure(fee.abs_diff(expected_fee) <= U256::from(1), || format!("treasury aWETH {fee}"))?;
    let b3 = aave.user_account_data(bob).await?;
    // 4.75 WETH = $7 125 left against ~$7 500 of debt.
    ensure(about_usd(b3.totalCollateralBase, 7_125) && about_usd(b3.totalDebtBase, 7_500), || {
        format!("bob after liquidation {b3:?}")
    })?;

    // Liquidate carol in eMode: the category's 1 % bonus applies, not USDC's 4.5 %.
    // 4 000 DAI at $1.10 = 4 400 USDC, × 1.01 = 4 444, less 10 % of the 44 bonus = 4 439.6.
    fund(&aave, dai, liquidator, 4_000).await?;
    let cover = aave.units(dai, 4_000)?;
    let receipt = aave.liquidation_call(liquidator, usdc, dai, carol, cover, false).await?;
    let events = receipt_events::<IPool::LiquidationCall>(&receipt, aave.pool())?;
    ensure(
        events.len() == 1
            && events[0].debtToCover == cover
            && events[0].liquidatedCollateralAmount == U256::from(4_439_600_000u64),
        || format!("{events:?}"),
    )?;
    let c3 = aave.user_account_data(carol).await?;
    ensure(c3.healthFactor > c2.healthFactor, || {
        format!("carol HF {} → {}", wad(c2.healthFactor), wad(c3.healthFactor))
    })?;

    // alice is still healthy: a liquidation is refused.
    fund(&aave, usdc, liquidator, 1_000).await?;
    let refused =
        aave.liquidation_call(liquidator, weth, usdc, alice, aave.units(usdc, 1_000)?, false).await;
    ensure(reverted_with::<HealthFactorNotBelowThreshold>(&refused), || {
        format!("liquidating a healthy user: {refused:?}")
    })
}
