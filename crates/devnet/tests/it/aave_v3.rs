//! Aave V3.0.x: a real market; supply, borrow, price drop, liquidation; many users at once.

use alloy_primitives::{Address, Bytes, U256};
use alloy_sol_types::SolCall;
use mev_devnet::{
    AavePosition, AaveRelease, AaveV3Config, BASE_CURRENCY_UNIT,
    bindings::{IMulticall3, IPool},
    receipt_events,
};

use crate::{Failure, TestResult, devnet, ensure};

/// `x / 1e18` as a float, for messages only.
fn wad(x: U256) -> f64 {
    f64::from(x) / 1e18
}

/// Whether a health factor (WAD) lies in `[lo, hi]` thousandths.
fn hf_between(hf: U256, lo_milli: u64, hi_milli: u64) -> bool {
    let milli = U256::from(10u64).pow(U256::from(15));
    hf >= U256::from(lo_milli) * milli && hf <= U256::from(hi_milli) * milli
}

fn usd(dollars: u64) -> U256 {
    U256::from(dollars) * U256::from(BASE_CURRENCY_UNIT)
}

#[tokio::test]
async fn price_drop_makes_hf_below_one_and_liquidation_succeeds() -> TestResult {
    let devnet = devnet().await?;
    let aave = devnet.deploy_aave_v3(&AaveV3Config::default()).await?;
    ensure(aave.reserves().len() == 4, || "4 reserves".into())?;
    let (weth, usdc) = (aave.asset("WETH")?, aave.asset("USDC")?);
    let config = aave.reserve_configuration_data(weth).await?;
    ensure(
        config.decimals == U256::from(18)
            && config.ltv == U256::from(8_000)
            && config.liquidationThreshold == U256::from(8_250)
            && config.liquidationBonus == U256::from(10_500)
            && config.borrowingEnabled
            && config.usageAsCollateralEnabled
            && config.isActive,
        || format!("{config:?}"),
    )?;
    ensure(aave.asset_price(weth).await? == usd(2_000), || "WETH price".into())?;

    let (borrower, lender) = (devnet.accounts()[1], devnet.accounts()[2]);
    aave.mint(usdc, lender, aave.units(usdc, 200_000)?).await?;
    aave.approve(lender, usdc).await?;
    aave.supply(lender, usdc, aave.units(usdc, 100_000)?).await?;
    aave.mint(weth, borrower, aave.units(weth, 10)?).await?;
    aave.approve(borrower, weth).await?;
    aave.supply(borrower, weth, aave.units(weth, 10)?).await?;
    aave.borrow(borrower, usdc, aave.units(usdc, 15_000)?).await?;

    // $20 000 collateral × 82.5 % / $15 000 debt = 1.10.
    let account = aave.user_account_data(borrower).await?;
    ensure(account.totalCollateralBase == usd(20_000), || format!("{account:?}"))?;
    ensure(hf_between(account.healthFactor, 1_095, 1_101), || {
        format!("HF after borrow {}", wad(account.healthFactor))
    })?;
    let debt = aave.user_reserve_data(usdc, borrower).await?.currentVariableDebt;
    ensure(debt >= aave.units(usdc, 15_000)?, || format!("debt {debt}"))?;
    let reserve = aave.reserve_data(usdc).await?;
    ensure(reserve.totalVariableDebt == debt, || format!("{reserve:?}"))?;
    let raw = aave.pool_reserve_data(usdc).await?;
    ensure(
        raw.variableDebtTokenAddress
            == aave.reserve("USDC").map(|r| r.variable_debt_token).unwrap_or_default(),
        || "variable debt token".into(),
    )?;

    // WETH to $1 500: 15 000 × 82.5 % / 15 000 = 0.825.
    aave.set_price(weth, usd(1_500)).await?;
    ensure(aave.asset_price(weth).await? == usd(1_500), || "price did not move".into())?;
    let hf = aave.user_account_data(borrower).await?.healthFactor;
    ensure(hf_between(hf, 820, 826), || format!("HF after drop {}", wad(hf)))?;

    let cover = aave.units(usdc, 7_500)?;
    let receipt = aave.liquidation_call(lender, weth, usdc, borrower, cover, false).await?;
    let events = receipt_events::<IPool::LiquidationCall>(&receipt, aave.pool())?;
    let [event] = events.as_slice() else {
        return Err(Failure(format!("{} LiquidationCall events", events.len())));
    };
    ensure(
        event.user == borrower
            && event.debtToCover == cover
            && event.collateralAsset == weth
            && event.liquidator == lender,
        || format!("{event:?}"),
    )?;
    // 7 500 USDC at $1 buys $7 500 of WETH at $1 500 plus the 5 % bonus: 5.25 WETH.
    let seized = aave.units(weth, 525)? / U256::from(100);
    ensure(event.liquidatedCollateralAmount == seized, || format!("{event:?}"))?;
    let after = aave.user_account_data(borrower).await?;
    ensure(after.totalCollateralBase == usd(7_125), || format!("{after:?}"))?;
    ensure(after.totalDebtBase >= usd(7_500) && after.totalDebtBase < usd(7_501), || {
        format!("{after:?}")
    })?;
    // Below HF 1 / (LT × bonus) a liquidation lowers HF further: 0.825 → 0.784.
    ensure(hf_between(after.healthFactor, 780, 790), || format!("HF {}", wad(after.healthFactor)))
}

#[tokio::test]
async fn repay_and_withdraw_close_a_position() -> TestResult {
    let devnet = devnet().await?;
    let aave = devnet.deploy_aave_v3(&AaveV3Config::default()).await?;
    let (wbtc, dai) = (aave.asset("WBTC")?, aave.asset("DAI")?);
    let (user, lender) = (devnet.accounts()[3], devnet.accounts()[4]);
    aave.mint(dai, lender, aave.units(dai, 1_000_000)?).await?;
    aave.approve(lender, dai).await?;
    aave.supply(lender, dai, aave.units(dai, 1_000_000)?).await?;
    aave.mint(wbtc, user, aave.units(wbtc, 1)?).await?;
    aave.approve(user, wbtc).await?;
    aave.supply(user, wbtc, aave.units(wbtc, 1)?).await?;
    aave.borrow(user, dai, aave.units(dai, 30_000)?).await?;
    // Pay back everything, interest included.
    aave.mint(dai, user, aave.units(dai, 1_000)?).await?;
    aave.approve(user, dai).await?;
    aave.repay(user, dai, U256::MAX).await?;
    aave.withdraw(user, wbtc, U256::MAX).await?;
    let account = aave.user_account_data(user).await?;
    ensure(account.totalCollateralBase.is_zero() && account.totalDebtBase.is_zero(), || {
        format!("{account:?}")
    })?;
    ensure(devnet.balance_of(wbtc, user).await? == aave.units(wbtc, 1)?, || "WBTC back".into())
}

#[tokio::test]
async fn two_hundred_users_in_one_batch() -> TestResult {
    let devnet = devnet().await?;
    let aave = devnet.deploy_aave_v3(&AaveV3Config::default()).await?;
    let multicall = devnet.deploy_multicall3().await?;
    let (weth, usdc, wbtc) = (aave.asset("WETH")?, aave.asset("USDC")?, aave.asset("WBTC")?);

    let whale = Address::repeat_byte(0xee);
    let mut positions = vec![AavePosition {
        user: whale,
        supplies: vec![(usdc, aave.units(usdc, 10_000_000)?)],
        borrows: vec![],
    }];
    let users: Vec<Address> =
        (1..=200u64).map(|i| Address::left_padding_from(&(0x1000 + i).to_be_bytes())).collect();
    for (i, &user) in users.iter().enumerate() {
        let mut supplies = vec![(weth, aave.units(weth, 1)?)];
        if i % 2 == 0 {
            supplies.push((wbtc, aave.units(wbtc, 1)? / U256::from(10)));
        }
        let borrow = aave.units(usdc, 1_000 + 2 * i as u64)?;
        positions.push(AavePosition { user, supplies, borrows: vec![(usdc, borrow)] });
    }
    let receipts = aave.open_positions(&positions).await?;
    let blocks: std::collections::BTreeSet<_> = receipts.iter().map(|r| r.block_number).collect();
    ensure(blocks.len() == receipts.len().div_ceil(100), || {
        format!("{} receipts over {} blocks", receipts.len(), blocks.len())
    })?;

    // Read all 200 accounts in one eth_call.
    let calls = users
        .iter()
        .map(|&user| IMulticall3::Call3 {
            target: aave.pool(),
            allowFailure: false,
            callData: Bytes::from(IPool::getUserAccountDataCall { user }.abi_encode()),
        })
        .collect();
    let results = multicall.aggregate3(calls).await?;
    for (i, result) in results.iter().enumerate() {
        let data = IPool::getUserAccountDataCall::abi_decode_returns(&result.returnData)?;
        let collateral = if i % 2 == 0 { 2_000 + 6_000 } else { 2_000 };
        let debt = 1_000 + 2 * i as u64;
        ensure(data.totalCollateralBase == usd(collateral), || format!("user {i}: {data:?}"))?;
        ensure(
            data.totalDebtBase >= usd(debt)
                && data.healthFactor > U256::from(10u64).pow(U256::from(18)),
            || format!("user {i}: {data:?}"),
        )?;
    }
    let supplies = receipts
        .iter()
        .map(|r| receipt_events::<IPool::Supply>(r, aave.pool()).map(|e| e.len()))
        .sum::<Result<usize, _>>()?;
    ensure(supplies == 1 + 200 + 100, || format!("{supplies} Supply events"))
}

#[tokio::test]
async fn v3_0_release_rejects_v3_2_emode_and_applies_isolation_and_fees() -> TestResult {
    let devnet = devnet().await?;
    // v3.0 has one eMode category per asset: the v3.2+ categories of the v3.6 market are refused.
    let refused = devnet.deploy_aave_v3(&AaveV3Config::v3_6_market()).await;
    ensure(matches!(refused, Err(mev_devnet::DevnetError::InvalidInput { .. })), || {
        format!("{refused:?}")
    })?;
    // Without them, the reserve factors, protocol fees and isolation deploy on v3.0 too.
    let config = AaveV3Config { emode_categories: vec![], ..AaveV3Config::v3_6_market() };
    let aave = devnet.deploy_aave_v3(&config).await?;
    ensure(aave.release() == AaveRelease::V3_0, || format!("{:?}", aave.release()))?;
    ensure(aave.pool_revision().await? == U256::from(1), || "POOL_REVISION 1".into())?;
    ensure(aave.emode_category(1).await.is_err(), || "v3.0 has no eMode bitmaps".into())?;
    let (weth, usdc, wbtc) = (aave.asset("WETH")?, aave.asset("USDC")?, aave.asset("WBTC")?);
    ensure(aave.liquidation_protocol_fee(weth).await? == U256::from(1_000), || "fee".into())?;
    ensure(aave.debt_ceiling(wbtc).await? == U256::from(100_000_000u64), || "ceiling".into())?;
    let reserve_factor = aave.reserve_configuration_data(usdc).await?.reserveFactor;
    ensure(reserve_factor == U256::from(1_000), || format!("reserve factor {reserve_factor}"))?;

    // setUserUseReserveAsCollateral and setUserEMode(0) on v3.0.
    let user = devnet.accounts()[5];
    for (asset, units) in [(weth, 1), (usdc, 1_000)] {
        aave.mint(asset, user, aave.units(asset, units)?).await?;
        aave.approve(user, asset).await?;
        aave.supply(user, asset, aave.units(asset, units)?).await?;
    }
    ensure(aave.user_account_data(user).await?.totalCollateralBase == usd(3_000), || {
        "WETH and USDC collateral".into()
    })?;
    aave.set_use_as_collateral(user, usdc, false).await?;
    let account = aave.user_account_data(user).await?;
    ensure(account.totalCollateralBase == usd(2_000), || format!("{account:?}"))?;
    aave.set_user_emode(user, 0).await?;
    ensure(aave.user_emode(user).await? == 0, || "no eMode".into())
}
