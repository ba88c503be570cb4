//! Uniswap V2: pair creation, liquidity, swaps and burns against the real core contracts.

use alloy_primitives::U256;
use mev_devnet::{bindings::IUniswapV2Pair as Pair, receipt_events, v2_amount_out};

use crate::{TestResult, devnet, e18, ensure};

#[tokio::test]
async fn swap_then_reserves_equal_the_last_sync() -> TestResult {
    let devnet = devnet().await?;
    let me = devnet.deployer();
    let v2 = devnet.deploy_uniswap_v2().await?;
    let a = devnet.deploy_erc20(e18(1_000_000)).await?;
    let b = devnet.deploy_erc20(e18(1_000_000)).await?;
    let pair = v2.create_pair(a, b).await?;
    ensure(pair.token0() < pair.token1(), || "tokens not sorted".into())?;

    let mint = pair.add_liquidity(me, e18(100), e18(400)).await?;
    let minted = receipt_events::<Pair::Mint>(&mint, pair.address())?;
    ensure(minted.len() == 1 && minted[0].amount0 == e18(100), || format!("{minted:?}"))?;

    for (zero_for_one, amount_in) in [(true, e18(1)), (false, e18(3)), (true, e18(10))] {
        let before = pair.reserves().await?;
        let (r_in, r_out) = if zero_for_one {
            (U256::from(before.reserve0), U256::from(before.reserve1))
        } else {
            (U256::from(before.reserve1), U256::from(before.reserve0))
        };
        let receipt = pair.swap_exact_in(me, zero_for_one, amount_in).await?;
        let swaps = receipt_events::<Pair::Swap>(&receipt, pair.address())?;
        let expected_out = v2_amount_out(amount_in, r_in, r_out);
        let (got_in, got_out) = match swaps.as_slice() {
            [s] if zero_for_one => (s.amount0In, s.amount1Out),
            [s] => (s.amount1In, s.amount0Out),
            _ => return Err(crate::Failure(format!("{} Swap events", swaps.len()))),
        };
        ensure(got_in == amount_in && got_out == expected_out, || format!("{swaps:?}"))?;
        let sync = receipt_events::<Pair::Sync>(&receipt, pair.address())?;
        let last = sync.last().ok_or_else(|| crate::Failure("no Sync".into()))?;
        let reserves = pair.reserves().await?;
        ensure(last.reserve0 == reserves.reserve0 && last.reserve1 == reserves.reserve1, || {
            format!("Sync {last:?} vs getReserves {reserves:?}")
        })?;
    }

    // Burn half the LP tokens: Burn event, and reserves again equal the last Sync.
    let lp = pair.lp_balance(me).await?;
    let burn = pair.remove_liquidity(me, lp / U256::from(2)).await?;
    let burns = receipt_events::<Pair::Burn>(&burn, pair.address())?;
    ensure(burns.len() == 1 && burns[0].to == me, || format!("{burns:?}"))?;
    let sync = receipt_events::<Pair::Sync>(&burn, pair.address())?;
    let reserves = pair.reserves().await?;
    ensure(
        sync.last().map(|s| (s.reserve0, s.reserve1))
            == Some((reserves.reserve0, reserves.reserve1)),
        || "burn Sync vs getReserves".into(),
    )
}

#[tokio::test]
async fn batched_swaps_share_a_block() -> TestResult {
    let devnet = devnet().await?;
    let me = devnet.deployer();
    let v2 = devnet.deploy_uniswap_v2().await?;
    let a = devnet.deploy_erc20(e18(1_000_000)).await?;
    let b = devnet.deploy_erc20(e18(1_000_000)).await?;
    let pair = v2.create_pair(a, b).await?;
    pair.add_liquidity(me, e18(1_000), e18(1_000)).await?;

    let r = pair.reserves().await?;
    let (mut r0, mut r1) = (U256::from(r.reserve0), U256::from(r.reserve1));
    let mut batch = devnet.batch();
    for i in 0..5u64 {
        let amount_in = e18(1 + i);
        let out = v2_amount_out(amount_in, r0, r1);
        pair.push_swap(&mut batch, me, true, amount_in, out);
        r0 += amount_in;
        r1 -= out;
    }
    let receipts = batch.execute().await?;
    ensure(receipts.iter().all(|x| x.block_number == receipts[0].block_number), || {
        "swaps in several blocks".into()
    })?;
    let after = pair.reserves().await?;
    ensure(U256::from(after.reserve0) == r0 && U256::from(after.reserve1) == r1, || {
        format!("reserves {after:?}, expected {r0}/{r1}")
    })
}
