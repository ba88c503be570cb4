//! Uniswap V3: pools, positions through the real position manager, swaps through the router.

use alloy_primitives::U256;
use mev_devnet::{SQRT_PRICE_1_1, bindings::IUniswapV3Pool as Pool, receipt_events};

use crate::{Failure, TestResult, devnet, e18, ensure};

#[tokio::test]
async fn swap_event_equals_slot0_and_liquidity() -> TestResult {
    let devnet = devnet().await?;
    let me = devnet.deployer();
    let v3 = devnet.deploy_uniswap_v3().await?;
    let a = devnet.deploy_erc20(e18(1_000_000)).await?;
    let b = devnet.deploy_erc20(e18(1_000_000)).await?;
    let pool = v3.create_pool(a, b, 3_000, SQRT_PRICE_1_1).await?;
    ensure(pool.tick_spacing() == 60, || format!("spacing {}", pool.tick_spacing()))?;
    let same = v3.pool_at(pool.address()).await?;
    ensure(
        (same.token0(), same.token1(), same.fee(), same.tick_spacing())
            == (pool.token0(), pool.token1(), pool.fee(), 60),
        || format!("pool_at {same:?}"),
    )?;
    ensure(pool.slot0().await?.sqrtPriceX96 == SQRT_PRICE_1_1, || "initial price".into())?;

    let (lower, upper) = pool.full_range();
    let wide = pool.mint_position(me, lower, upper, e18(100), e18(100)).await?;
    let narrow = pool.mint_position(me, -600, 600, e18(50), e18(50)).await?;
    let mints = receipt_events::<Pool::Mint>(&wide.receipt, pool.address())?;
    ensure(mints.len() == 1 && mints[0].amount == wide.liquidity, || format!("{mints:?}"))?;
    let in_range = wide.liquidity + narrow.liquidity;
    ensure(pool.liquidity().await? == in_range, || "liquidity after mints".into())?;

    // Swaps both ways, some leaving the narrow range: the Swap event is the pool's new state.
    for (zero_for_one, amount_in) in
        [(true, e18(1)), (false, e18(3)), (true, e18(40)), (false, e18(2))]
    {
        let receipt = pool.swap_exact_in(me, zero_for_one, amount_in).await?;
        let swaps = receipt_events::<Pool::Swap>(&receipt, pool.address())?;
        let [swap] = swaps.as_slice() else {
            return Err(Failure(format!("{} Swap events", swaps.len())));
        };
        let slot0 = pool.slot0().await?;
        let liquidity = pool.liquidity().await?;
        ensure(
            swap.sqrtPriceX96 == slot0.sqrtPriceX96
                && swap.tick == slot0.tick
                && swap.liquidity == liquidity,
            || format!("Swap {swap:?} vs slot0 {slot0:?}, liquidity {liquidity}"),
        )?;
    }

    // Burn half of the wide position and collect.
    let half = wide.liquidity / 2;
    let before = pool.liquidity().await?;
    let burn = pool.burn_position(me, wide.token_id, half).await?;
    let burns = receipt_events::<Pool::Burn>(&burn.decrease_receipt, pool.address())?;
    ensure(burns.len() == 1 && burns[0].amount == half, || format!("{burns:?}"))?;
    ensure(pool.liquidity().await? == before - half, || "liquidity after burn".into())?;
    ensure(burn.amount0 > U256::ZERO && burn.amount1 > U256::ZERO, || format!("collected {burn:?}"))
}

#[tokio::test]
async fn batched_swaps_end_at_the_last_swap_event() -> TestResult {
    let devnet = devnet().await?;
    let me = devnet.deployer();
    let v3 = devnet.deploy_uniswap_v3().await?;
    let a = devnet.deploy_erc20(e18(1_000_000)).await?;
    let b = devnet.deploy_erc20(e18(1_000_000)).await?;
    let pool = v3.create_pool(a, b, 500, SQRT_PRICE_1_1).await?;
    let (lower, upper) = pool.full_range();
    pool.mint_position(me, lower, upper, e18(1_000), e18(1_000)).await?;
    // Approve the router for both tokens once.
    pool.swap_exact_in(me, true, e18(1)).await?;
    pool.swap_exact_in(me, false, e18(1)).await?;

    let mut batch = devnet.batch();
    for i in 0..6u64 {
        pool.push_swap(&mut batch, me, i % 2 == 0, e18(1 + i));
    }
    let receipts = batch.execute().await?;
    let last = receipts.last().ok_or_else(|| Failure("no receipts".into()))?;
    let swap = receipt_events::<Pool::Swap>(last, pool.address())?
        .pop()
        .ok_or_else(|| Failure("no Swap".into()))?;
    let slot0 = pool.slot0().await?;
    ensure(swap.sqrtPriceX96 == slot0.sqrtPriceX96 && swap.tick == slot0.tick, || {
        format!("{swap:?} vs {slot0:?}")
    })
}
