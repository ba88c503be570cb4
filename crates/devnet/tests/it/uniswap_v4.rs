//! Uniswap V4: the real `PoolManager`, liquidity and swaps through v4-core's test routers,
//! `V4Quoter` quotes equal to executed swaps to the wei, `StateView` reads, protocol fee, a
//! dynamic-fee hook and hooks that change swap amounts.

use alloy_primitives::{Address, B256, I256, U256, aliases::U160};
use alloy_sol_types::SolError;
use mev_devnet::{
    Devnet, SQRT_PRICE_1_1, UniswapV4, UniswapV4Pool, V4SwapOutcome, receipt_events,
    uniswap_v4_bindings::{IPoolManager, IV4Quoter},
};

use crate::{Failure, TestResult, devnet, e18, ensure};

/// `n · 10^18` as a `u128`.
fn e18u(n: u64) -> u128 {
    u128::from(n) * 1_000_000_000_000_000_000
}

/// `-amount` / `+amount` in V4's sign (negative: exact input).
fn exact_in(amount: u128) -> I256 {
    -I256::try_from(amount).unwrap_or_default()
}

fn exact_out(amount: u128) -> I256 {
    I256::try_from(amount).unwrap_or_default()
}

/// Two test tokens with 10^6 each minted to the deployer.
async fn tokens(devnet: &Devnet) -> Result<(Address, Address), Failure> {
    Ok((devnet.deploy_erc20(e18(1_000_000)).await?, devnet.deploy_erc20(e18(1_000_000)).await?))
}

/// The pool's single `Swap` event in a swap's receipt.
fn swap_event(
    v4: &UniswapV4,
    pool: &UniswapV4Pool,
    outcome: &V4SwapOutcome,
) -> Result<IPoolManager::Swap, Failure> {
    let swaps = receipt_events::<IPoolManager::Swap>(&outcome.receipt, v4.pool_manager())?;
    match swaps.as_slice() {
        [swap] if swap.id == pool.id() => Ok(swap.clone()),
        _ => Err(Failure(format!("expected one Swap of {}, got {swaps:?}", pool.id()))),
    }
}

/// Quotes a swap with `V4Quoter`, executes it, and checks the quote equals the executed balance
/// change to the wei (the input of an exact output, the output of an exact input) and that the
/// specified side moved by exactly the specified amount.
async fn quote_then_swap(
    v4: &UniswapV4,
    pool: &UniswapV4Pool,
    from: Address,
    zero_for_one: bool,
    exact_input: bool,
    amount: u128,
) -> Result<V4SwapOutcome, Failure> {
    let quote = if exact_input {
        v4.quote_exact_input_single(pool, zero_for_one, amount).await?
    } else {
        v4.quote_exact_output_single(pool, zero_for_one, amount).await?
    };
    let specified = if exact_input { exact_in(amount) } else { exact_out(amount) };
    let outcome = pool.swap(from, zero_for_one, specified, U160::ZERO).await?;
    let (quoted_side, specified_side) = if exact_input {
        (outcome.amount_out(), outcome.amount_in())
    } else {
        (outcome.amount_in(), outcome.amount_out())
    };
    ensure(quote.amount == quoted_side && specified_side == U256::from(amount), || {
        format!(
            "fee {} zero_for_one {zero_for_one} exact_input {exact_input} amount {amount}: quote \
             {quote:?}, executed {} / {}",
            pool.fee(),
            outcome.amount0,
            outcome.amount1
        )
    })?;
    ensure(quote.gas_estimate > U256::ZERO, || "zero gas estimate".into())?;
    Ok(outcome)
}

#[tokio::test]
async fn quotes_equal_swaps_and_state_view_follows() -> TestResult {
    let devnet = devnet().await?;
    let me = devnet.deployer();
    let v4 = devnet.deploy_uniswap_v4().await?;
    let (a, b) = tokens(&devnet).await?;

    let medium = v4.initialize_pool(a, b, 3_000, 60, Address::ZERO, SQRT_PRICE_1_1).await?;
    let low = v4.initialize_pool(b, a, 500, 10, Address::ZERO, SQRT_PRICE_1_1).await?;
    ensure(
        medium.currency0() < medium.currency1() && low.currency0() == medium.currency0(),
        || "currencies not sorted".into(),
    )?;
    ensure(medium.id() != low.id(), || "same id for two keys".into())?;
    for pool in [&medium, &low] {
        let slot0 = pool.slot0().await?;
        ensure(
            slot0.sqrt_price_x96 == SQRT_PRICE_1_1
                && slot0.tick == 0
                && slot0.lp_fee == pool.fee()
                && slot0.protocol_fee == 0,
            || {
                format!(
                    "slot0 of fee {}: {slot0:?} (is the id keccak256(abi.encode(key))?)",
                    pool.fee()
                )
            },
        )?;
        ensure(pool.liquidity().await? == 0, || "liquidity before any position".into())?;
    }
    let again = v4.initialize_pool(a, b, 3_000, 60, Address::ZERO, SQRT_PRICE_1_1).await;
    ensure(again.is_err(), || "a second initialize succeeded".into())?;

    // Liquidity in several ranges of the 0.3 % pool: full range, around the price, above, below.
    let salt = B256::ZERO;
    let (lo, hi) = medium.full_range();
    let full = e18u(1_000);
    let added = medium.modify_liquidity(me, lo, hi, i128::try_from(full)?, salt).await?;
    ensure(added.amount0.is_negative() && added.amount1.is_negative(), || format!("{added:?}"))?;
    let events =
        receipt_events::<IPoolManager::ModifyLiquidity>(&added.receipt, v4.pool_manager())?;
    ensure(
        events.len() == 1
            && events[0].id == medium.id()
            && events[0].sender == v4.modify_liquidity_router()
            && events[0].liquidityDelta == I256::try_from(full)?,
        || format!("{events:?}"),
    )?;
    let around = e18u(500);
    medium.modify_liquidity(me, -600, 600, i128::try_from(around)?, salt).await?;
    let above = e18u(300);
    let only1 = medium.modify_liquidity(me, 120, 1_200, i128::try_from(above)?, salt).await?;
    ensure(only1.amount1.is_zero() && only1.amount0.is_negative(), || {
        format!("a range above the price takes only currency0: {only1:?}")
    })?;
    let below = e18u(200);
    medium.modify_liquidity(me, -1_800, -60, i128::try_from(below)?, salt).await?;
    ensure(medium.liquidity().await? == full + around, || "in-range liquidity".into())?;
    ensure(medium.position_liquidity(-600, 600, salt).await? == around, || "position".into())?;
    let t600 = medium.tick_liquidity(600).await?;
    let t_600 = medium.tick_liquidity(-600).await?;
    ensure(
        t600.liquidity_gross == around
            && t600.liquidity_net == -i128::try_from(around)?
            && t_600.liquidity_net == i128::try_from(around)?,
        || format!("ticks ±600: {t600:?} {t_600:?}"),
    )?;
    // Tick 600 is compressed tick 10 (word 0, bit 10); -600 is -10 (word -1, bit 246).
    let word0 = medium.tick_bitmap(0).await?;
    let word_1 = medium.tick_bitmap(-1).await?;
    ensure(word0.bit(10) && word0.bit(2) && word0.bit(20) && word_1.bit(246), || {
        format!("bitmap words {word0:#x} {word_1:#x}")
    })?;

    // Exact in and exact out, both directions; the last two cross into the side ranges. After
    // each swap the in-range liquidity is the sum of the positions around the new tick.
    let ranges = [(lo, hi, full), (-600, 600, around), (120, 1_200, above), (-1_800, -60, below)];
    let in_range = |tick: i32| -> u128 {
        ranges.iter().filter(|(l, u, _)| *l <= tick && tick < *u).map(|r| r.2).sum()
    };
    let mut seen = std::collections::BTreeSet::new();
    for (zero_for_one, exact_input, amount) in [
        (true, true, e18u(1)),
        (false, true, e18u(3)),
        (true, false, e18u(2)),
        (false, false, e18u(5)),
        (true, true, e18u(80)),
        (false, false, e18u(150)),
    ] {
        let before = medium.slot0().await?;
        let outcome = quote_then_swap(&v4, &medium, me, zero_for_one, exact_input, amount).await?;
        let slot0 = medium.slot0().await?;
        let swap = swap_event(&v4, &medium, &outcome)?;
        let liquidity = medium.liquidity().await?;
        seen.insert(liquidity);
        ensure(
            (slot0.sqrt_price_x96 < before.sqrt_price_x96) == zero_for_one
                && swap.sqrtPriceX96 == slot0.sqrt_price_x96
                && swap.tick.as_i32() == slot0.tick
                && swap.liquidity == liquidity
                && liquidity == in_range(slot0.tick)
                && I256::try_from(swap.amount0)? == outcome.amount0
                && I256::try_from(swap.amount1)? == outcome.amount1
                && swap.fee.to::<u32>() == 3_000,
            || format!("Swap {swap:?}, slot0 {before:?} -> {slot0:?}, liquidity {liquidity}"),
        )?;
    }
    let slot0 = medium.slot0().await?;
    ensure(slot0.tick > 120 && seen.len() >= 3, || {
        format!("the swaps should visit both side ranges: {slot0:?}, liquidities {seen:?}")
    })?;

    // Removing liquidity pays the tokens (and the position's fees) back.
    let removed = medium.modify_liquidity(me, -600, 600, -i128::try_from(around)?, salt).await?;
    ensure(!removed.amount0.is_negative() && removed.amount1.is_positive(), || {
        format!("{removed:?}")
    })?;
    ensure(medium.position_liquidity(-600, 600, salt).await? == 0, || "removed".into())?;
    ensure(medium.tick_liquidity(600).await?.liquidity_gross == 0, || "tick 600 cleared".into())?;

    // The 0.05 % pool, liquidity only in [-100, 100).
    let narrow = e18u(10_000);
    low.modify_liquidity(me, -100, 100, i128::try_from(narrow)?, B256::with_last_byte(7)).await?;
    for (zero_for_one, exact_input, amount) in [
        (true, true, e18u(2)),
        (false, false, e18u(7)),
        (false, true, e18u(1)),
        (true, false, e18u(1)),
    ] {
        quote_then_swap(&v4, &low, me, zero_for_one, exact_input, amount).await?;
    }
    // More output than the range holds: the quoter refuses with NotEnoughLiquidity(poolId).
    let impossible = v4.quote_exact_output_single(&low, true, e18u(100_000)).await;
    let Err(error) = impossible else {
        return Err(Failure(format!("quoted an impossible swap: {impossible:?}")));
    };
    let reason = UniswapV4::quote_revert(&error).ok_or_else(|| Failure(format!("{error}")))?;
    let decoded = IV4Quoter::NotEnoughLiquidity::abi_decode(&reason)
        .map_err(|e| Failure(format!("{e}: revert {reason}")))?;
    ensure(decoded.poolId == low.id(), || format!("{decoded:?}"))?;
    // Executed, the same exact output fills partly: the swap stops at the price limit.
    let partial = low.swap(me, true, exact_out(e18u(100_000)), U160::ZERO).await?;
    ensure(partial.amount_out() < U256::from(e18u(100_000)), || format!("{partial:?}"))?;
    Ok(())
}

#[tokio::test]
async fn protocol_fee_shows_in_slot0_and_swaps() -> TestResult {
    let devnet = devnet().await?;
    let me = devnet.deployer();
    let v4 = devnet.deploy_uniswap_v4().await?;
    let (a, b) = tokens(&devnet).await?;
    let pool = v4.initialize_pool(a, b, 3_000, 60, Address::ZERO, SQRT_PRICE_1_1).await?;
    let (lo, hi) = pool.full_range();
    pool.modify_liquidity(me, lo, hi, i128::try_from(e18u(1_000))?, B256::ZERO).await?;

    let fee = 500 | (300 << 12);
    v4.set_protocol_fee(&pool, fee).await?;
    let slot0 = pool.slot0().await?;
    ensure(slot0.protocol_fee == fee && slot0.lp_fee == 3_000, || format!("{slot0:?}"))?;
    let too_large = v4.set_protocol_fee(&pool, 1_001).await;
    ensure(too_large.is_err(), || "a protocol fee above 0.1 % was accepted".into())?;

    for (zero_for_one, exact_input, protocol) in
        [(true, true, 500u32), (false, true, 300), (true, false, 500), (false, false, 300)]
    {
        let outcome = quote_then_swap(&v4, &pool, me, zero_for_one, exact_input, e18u(4)).await?;
        let swap = swap_event(&v4, &pool, &outcome)?;
        let expected = protocol + 3_000 - protocol * 3_000 / 1_000_000;
        ensure(swap.fee.to::<u32>() == expected, || format!("fee {} != {expected}", swap.fee))?;
    }
    let accrued0 = devnet
        .call(
            v4.pool_manager(),
            &IPoolManager::protocolFeesAccruedCall { currency: pool.currency0() },
        )
        .await?;
    ensure(accrued0 > U256::ZERO, || "no protocol fee accrued".into())
}

#[tokio::test]
async fn dynamic_fee_hook_pool_is_quotable() -> TestResult {
    let devnet = devnet().await?;
    let me = devnet.deployer();
    let v4 = devnet.deploy_uniswap_v4().await?;
    let (a, b) = tokens(&devnet).await?;
    let hook = v4.deploy_dynamic_fee_hook(3_000).await?;
    let flags = UniswapV4::AFTER_INITIALIZE_FLAG | UniswapV4::BEFORE_SWAP_FLAG;
    ensure(u16::from_be_bytes([hook[18], hook[19]]) & UniswapV4::ALL_HOOK_MASK == flags, || {
        format!("hook address {hook}")
    })?;
    let pool =
        v4.initialize_pool(a, b, UniswapV4::DYNAMIC_FEE_FLAG, 60, hook, SQRT_PRICE_1_1).await?;
    ensure(pool.is_dynamic_fee(), || "key fee".into())?;
    ensure(pool.slot0().await?.lp_fee == 3_000, || "afterInitialize set the fee".into())?;
    let (lo, hi) = pool.full_range();
    pool.modify_liquidity(me, lo, hi, i128::try_from(e18u(1_000))?, B256::ZERO).await?;

    let first = quote_then_swap(&v4, &pool, me, true, true, e18u(10)).await?;
    ensure(swap_event(&v4, &pool, &first)?.fee.to::<u32>() == 3_000, || "fee 0.3 %".into())?;
    v4.update_dynamic_lp_fee(&pool, 10_000).await?;
    ensure(pool.slot0().await?.lp_fee == 10_000, || "updated fee in slot0".into())?;
    for (zero_for_one, exact_input) in [(false, true), (true, false), (false, false)] {
        let outcome = quote_then_swap(&v4, &pool, me, zero_for_one, exact_input, e18u(10)).await?;
        ensure(swap_event(&v4, &pool, &outcome)?.fee.to::<u32>() == 10_000, || "fee 1 %".into())?;
    }
    // A static-fee pool refuses dynamic fee updates.
    let plain = v4.initialize_pool(a, b, 3_000, 60, hook, SQRT_PRICE_1_1).await;
    ensure(plain.is_err(), || "afterInitialize on a static pool should revert".into())
}

#[tokio::test]
async fn hooks_that_change_amounts() -> TestResult {
    let devnet = devnet().await?;
    let me = devnet.deployer();
    let v4 = devnet.deploy_uniswap_v4().await?;
    let (a, b) = tokens(&devnet).await?;
    let liquidity = i128::try_from(e18u(1_000))?;

    // DeltaReturningHook: the hook takes `cut` of the output after every swap.
    let hook = v4.deploy_delta_returning_hook().await?;
    let delta_pool = v4.initialize_pool(a, b, 3_000, 60, hook, SQRT_PRICE_1_1).await?;
    let (lo, hi) = delta_pool.full_range();
    delta_pool.modify_liquidity(me, lo, hi, liquidity, B256::ZERO).await?;
    let plain = v4.initialize_pool(a, b, 3_000, 60, Address::ZERO, SQRT_PRICE_1_1).await?;
    plain.modify_liquidity(me, lo, hi, liquidity, B256::ZERO).await?;

    // With zero deltas the hook pool quotes like the plain one.
    let same = v4.quote_exact_input_single(&delta_pool, true, e18u(5)).await?;
    let reference = v4.quote_exact_input_single(&plain, true, e18u(5)).await?;
    ensure(same.amount == reference.amount, || format!("{same:?} vs {reference:?}"))?;

    let cut = 1_000_000_000_000_000i128; // 0.001 tokens
    v4.set_hook_deltas(hook, 0, 0, cut).await?;
    let reference = v4.quote_exact_input_single(&plain, true, e18u(5)).await?;
    let outcome = quote_then_swap(&v4, &delta_pool, me, true, true, e18u(5)).await?;
    let swap = swap_event(&v4, &delta_pool, &outcome)?;
    ensure(
        outcome.amount_out() + U256::from(cut) == reference.amount
            && I256::try_from(swap.amount1)? == outcome.amount1 + I256::try_from(cut)?,
        || format!("hook cut: {outcome:?} vs plain {reference:?}, event {swap:?}"),
    )?;

    // A specified delta: the hook takes part of the input, the pool swaps the rest.
    let taken = e18u(1);
    v4.set_hook_deltas(hook, i128::try_from(taken)?, 0, 0).await?;
    let outcome = quote_then_swap(&v4, &delta_pool, me, false, true, e18u(4)).await?;
    let swap = swap_event(&v4, &delta_pool, &outcome)?;
    ensure(
        I256::try_from(swap.amount1)? == exact_in(e18u(4) - taken)
            && outcome.amount1 == exact_in(e18u(4)),
        || format!("pool swapped {} of the 4 paid: {outcome:?}", swap.amount1),
    )?;
    v4.set_hook_deltas(hook, 0, 0, 0).await?;

    // FeeTakingHook: 1.23 % of the unspecified side.
    let fee_hook = v4.deploy_fee_taking_hook().await?;
    let fee_pool = v4.initialize_pool(a, b, 3_000, 60, fee_hook, SQRT_PRICE_1_1).await?;
    fee_pool.modify_liquidity(me, lo, hi, liquidity, B256::ZERO).await?;
    let outcome = quote_then_swap(&v4, &fee_pool, me, true, true, e18u(10)).await?;
    let swap = swap_event(&v4, &fee_pool, &outcome)?;
    let pool_out = U256::from(u128::try_from(swap.amount1)?);
    ensure(
        outcome.amount_out() == pool_out - pool_out * U256::from(123) / U256::from(10_000),
        || format!("fee-taking hook: {outcome:?}, pool paid {pool_out}"),
    )?;
    let outcome = quote_then_swap(&v4, &fee_pool, me, false, false, e18u(10)).await?;
    let swap = swap_event(&v4, &fee_pool, &outcome)?;
    let pool_in = U256::from(u128::try_from(-swap.amount1)?);
    ensure(
        outcome.amount_in() == pool_in + pool_in * U256::from(123) / U256::from(10_000),
        || format!("fee-taking hook, exact out: {outcome:?}, pool took {pool_in}"),
    )?;

    // A hook flag for a callback the hook lacks: the swap reverts (HookNotImplemented).
    let wrong = v4
        .deploy_hook(
            UniswapV4::FEE_TAKING_HOOK,
            &alloy_sol_types::SolValue::abi_encode_params(&(v4.pool_manager(),)),
            UniswapV4::BEFORE_SWAP_FLAG,
        )
        .await?;
    let bad = v4.initialize_pool(a, b, 3_000, 60, wrong, SQRT_PRICE_1_1).await?;
    ensure(bad.swap(me, true, exact_in(e18u(1)), U160::ZERO).await.is_err(), || {
        "a swap through an unimplemented hook succeeded".into()
    })
}

#[tokio::test]
async fn batched_swaps_end_at_the_last_swap_event() -> TestResult {
    let devnet = devnet().await?;
    let me = devnet.deployer();
    let v4 = devnet.deploy_uniswap_v4().await?;
    let (a, b) = tokens(&devnet).await?;
    let pool = v4.initialize_pool(a, b, 500, 10, Address::ZERO, SQRT_PRICE_1_1).await?;
    pool.approve_routers(me).await?;
    let mut batch = devnet.batch();
    let (lo, hi) = pool.full_range();
    pool.push_modify_liquidity(&mut batch, me, lo, hi, i128::try_from(e18u(1_000))?, B256::ZERO)?;
    for i in 0..6u64 {
        let amount = e18u(1 + i);
        let specified = if i % 3 == 0 { exact_out(amount) } else { exact_in(amount) };
        pool.push_swap(&mut batch, me, i % 2 == 0, specified, U160::ZERO);
    }
    let receipts = batch.block_size(usize::MAX).execute().await?;
    ensure(receipts.len() == 7, || format!("{} receipts", receipts.len()))?;
    let last = receipts.last().ok_or_else(|| Failure("no receipts".into()))?;
    let swap = receipt_events::<IPoolManager::Swap>(last, v4.pool_manager())?
        .pop()
        .ok_or_else(|| Failure("no Swap".into()))?;
    let slot0 = pool.slot0().await?;
    ensure(swap.sqrtPriceX96 == slot0.sqrt_price_x96 && swap.tick.as_i32() == slot0.tick, || {
        format!("{swap:?} vs {slot0:?}")
    })
}
