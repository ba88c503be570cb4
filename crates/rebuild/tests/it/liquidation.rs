//! Liquidation sizing equals execution: for every liquidatable position of a devnet market, every
//! (collateral, debt) pair the plan accepts is executed with `liquidationCall` on a snapshot, at
//! the same timestamp as the state read (no interest in between), with the plan's
//! `debt_to_pass`; the `LiquidationCall` event, the liquidator's balance changes and the
//! treasury's fee equal the plan to the wei, and no pair pays more than the one
//! `best_liquidation` chose. Pairs the plan refuses for dust are refused by the pool too. The
//! one exception: where the whole collateral is seized, v3.6 may send the treasury 1 wei less
//! fee than planned (it caps the fee at the borrower's remaining scaled balance).
//! On the Aave v3.0 bytecode and on v3.6, each with its release detected.

use alloy_primitives::{Address, U256};
use alloy_sol_types::sol;
use mev_devnet::{bindings::IPool, receipt_events};
use mev_health_calc::{AaveVersion, HealthError, MAX_LIQUIDATION_CLOSE_FACTOR};
use mev_rebuild::{HealthInputs, LendingProtocol};
use rand::{Rng, SeedableRng, rngs::StdRng};

use crate::common::Market;

sol! {
    event Transfer(address indexed from, address indexed to, uint256 value);
}

const USERS: usize = 120;
/// Liquidatable positions executed per step, at most (each pair on its own snapshot).
const PER_STEP: usize = 30;

#[derive(Debug, Default)]
struct Seen {
    executed: usize,
    positions: usize,
    half_close: usize,
    full_close: usize,
    /// v3.3+: 100 % close factor although HF > 0.95, because the reserve's collateral or debt
    /// is below 2000e8 base units.
    small_position: usize,
    capped: usize,
    dust_refused: usize,
    with_fee: usize,
    fee_exact: usize,
    fee_one_wei_short: usize,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v3_0_liquidations_equal_their_plans() {
    let seen = prove(Market::start(USERS, 17).await, AaveVersion::V3_0).await;
    assert!(seen.half_close > 0 && seen.full_close > 0, "{seen:?}");
    assert!(seen.capped > 0, "{seen:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v3_6_liquidations_equal_their_plans() {
    let seen = prove(Market::start_v3_6(USERS, 63).await, AaveVersion::V3_6).await;
    assert!(seen.half_close > 0 && seen.full_close > 0, "{seen:?}");
    assert!(seen.capped > 0, "{seen:?}");
    assert!(seen.with_fee > 0 && seen.fee_exact > 0, "{seen:?}");
    // Not reached by these random moves yet (counted, printed): the v3.3+ small-position close
    // factor (HF > 0.95 with a reserve under 2000e8) and the dust refusal.
}

async fn prove(m: Market, release: AaveVersion) -> Seen {
    let reader = m.reader();
    let protocol = m.protocol(&*reader).await;
    assert_eq!(protocol.version(), release);
    let reserves = m.aave.reserves().to_vec();
    let treasury = m.devnet.deployer();

    // One liquidator holding plenty of every asset, the pool approved.
    let liquidator = Address::repeat_byte(0x4c);
    m.devnet.set_balance(liquidator, U256::from(10u128.pow(21))).await.unwrap();
    for r in &reserves {
        let amount = m.aave.units(r.asset, 1_000_000_000).unwrap();
        m.aave.mint(r.asset, liquidator, amount).await.unwrap();
        m.aave.approve(liquidator, r.asset).await.unwrap();
    }

    let mut rng = StdRng::seed_from_u64(5);
    let mut seen = Seen::default();
    for step in 0..8 {
        // Prices move by −50 %…+50 %, independently (a week passes first).
        let now = m.devnet.block_timestamp().await.unwrap();
        m.devnet.set_next_timestamp(now + 7 * 86_400).await.unwrap();
        let mut moves = vec![];
        for r in &reserves {
            let price = m.aave.asset_price(r.asset).await.unwrap();
            let pct = rng.random_range(50u64..150);
            moves.push((r.asset, price * U256::from(pct) / U256::from(100u8)));
        }
        m.aave.set_prices(&moves).await.unwrap();
        let block = m.devnet.block_number().await.unwrap();
        let timestamp = m.devnet.block_timestamp().await.unwrap();
        let positions = protocol.read_positions(&*reader, &m.users, block).await.unwrap();

        let liquidatable: Vec<_> = positions
            .iter()
            .filter(|p| matches!(&p.inputs, HealthInputs::Aave(a) if a.account.is_liquidatable()))
            .take(PER_STEP)
            .collect();
        for p in liquidatable {
            let HealthInputs::Aave(inputs) = &p.inputs else { unreachable!() };
            let user = p.position.user;
            let view = inputs.position();
            let best = protocol.best_liquidation(p);
            let mut best_realized: Option<(Address, Address, U256)> = None;
            let mut realized_max = U256::ZERO;
            for c in &inputs.reserves {
                for d in &inputs.reserves {
                    let plan = match view.plan_liquidation(c.asset, d.asset, U256::MAX) {
                        Ok(plan) => plan,
                        Err(HealthError::LeavesDust { .. }) => {
                            // The pool refuses the same call.
                            let snapshot = m.devnet.snapshot().await.unwrap();
                            m.devnet.set_next_timestamp(timestamp).await.unwrap();
                            let refused = m
                                .aave
                                .liquidation_call(
                                    liquidator,
                                    c.asset,
                                    d.asset,
                                    user,
                                    U256::MAX,
                                    false,
                                )
                                .await;
                            m.devnet.revert(snapshot).await.unwrap();
                            assert!(
                                refused.is_err(),
                                "{user}: the pool accepted a dust liquidation"
                            );
                            seen.dust_refused += 1;
                            continue;
                        }
                        Err(_) => continue,
                    };
                    let ctx = format!(
                        "{release} step {step} user {user} collateral {} debt {}",
                        c.asset, d.asset
                    );
                    let (c_token, d_token) = (c.asset, d.asset);
                    let a_token = reserves.iter().find(|r| r.asset == c_token).unwrap().a_token;
                    let snapshot = m.devnet.snapshot().await.unwrap();
                    let c_before = m.devnet.balance_of(c_token, liquidator).await.unwrap();
                    let d_before = m.devnet.balance_of(d_token, liquidator).await.unwrap();
                    m.devnet.set_next_timestamp(timestamp).await.unwrap();
                    let receipt = m
                        .aave
                        .liquidation_call(
                            liquidator,
                            c_token,
                            d_token,
                            user,
                            plan.debt_to_pass(),
                            false,
                        )
                        .await
                        .unwrap_or_else(|e| panic!("{ctx}: {e}"));
                    let c_after = m.devnet.balance_of(c_token, liquidator).await.unwrap();
                    let d_after = m.devnet.balance_of(d_token, liquidator).await.unwrap();
                    m.devnet.revert(snapshot).await.unwrap();

                    let events =
                        receipt_events::<IPool::LiquidationCall>(&receipt, m.aave.pool()).unwrap();
                    assert_eq!(events.len(), 1, "{ctx}");
                    assert_eq!(events[0].debtToCover, plan.debt_to_cover, "{ctx}");
                    assert_eq!(
                        events[0].liquidatedCollateralAmount, plan.collateral_to_liquidator,
                        "{ctx}"
                    );
                    // Received and paid; one balance when collateral and debt are one asset.
                    let (received, paid) = if c_token == d_token {
                        assert_eq!(
                            c_after + plan.debt_to_cover,
                            c_before + plan.collateral_to_liquidator,
                            "{ctx}"
                        );
                        (plan.collateral_to_liquidator, plan.debt_to_cover)
                    } else {
                        (c_after - c_before, d_before - d_after)
                    };
                    assert_eq!(received, plan.collateral_to_liquidator, "{ctx}");
                    assert_eq!(paid, plan.debt_to_cover, "{ctx}");
                    let fee: U256 = receipt_events::<Transfer>(&receipt, a_token)
                        .unwrap()
                        .iter()
                        .filter(|t| t.from == user && t.to == treasury)
                        .map(|t| t.value)
                        .sum();
                    if fee == plan.protocol_fee {
                        seen.fee_exact += usize::from(!fee.is_zero());
                    } else {
                        // Where the whole collateral is seized, the pool caps the fee at the
                        // borrower's remaining scaled balance: 1 wei less at most, which a plan
                        // from current balances cannot see (see AaveLiquidationPlan::protocol_fee).
                        assert!(plan.collateral_capped, "{ctx}: treasury fee {fee}, plan {plan:?}");
                        assert_eq!(fee + U256::from(1u8), plan.protocol_fee, "{ctx}: treasury fee");
                        seen.fee_one_wei_short += 1;
                    }

                    // What the liquidator realized, valued like the plan.
                    let realized = value(received, plan.collateral_price, c).saturating_sub(value(
                        paid,
                        plan.debt_price,
                        d,
                    ));
                    if best_realized.is_none() || realized > realized_max {
                        realized_max = realized;
                        best_realized = Some((c_token, d_token, realized));
                    }
                    if Some((c_token, d_token)) == best.map(|b| (b.collateral_asset, b.debt_asset))
                    {
                        let b = best.unwrap();
                        assert_eq!(b.gross_profit_base, realized, "{ctx}: best's profit");
                        assert_eq!(b.debt_to_pass, plan.debt_to_pass(), "{ctx}");
                        assert_eq!(b.protocol_fee, plan.protocol_fee, "{ctx}");
                    }
                    seen.executed += 1;
                    seen.with_fee += usize::from(!plan.protocol_fee.is_zero());
                    seen.capped += usize::from(plan.collateral_capped);
                    if plan.close_factor_bps == MAX_LIQUIDATION_CLOSE_FACTOR {
                        seen.full_close += 1;
                        seen.small_position += usize::from(
                            release.liquidation_v3_3()
                                && plan.health_factor > mev_health_calc::CLOSE_FACTOR_HF_THRESHOLD,
                        );
                    } else {
                        seen.half_close += 1;
                    }
                }
            }
            if let Some((_, _, top)) = best_realized {
                let b = best.expect("a pair executed, so best_liquidation found one");
                assert_eq!(
                    b.gross_profit_base, top,
                    "{release} step {step} user {user}: another pair paid more than the chosen"
                );
                seen.positions += 1;
            }
        }
    }
    assert!(seen.positions >= 20, "{seen:?}");
    println!("{release}: {seen:?}");
    seen
}

/// `amount` of `reserve`'s asset in base currency units at `price`, floor.
fn value(amount: U256, price: U256, reserve: &mev_health_calc::AaveUserReserve) -> U256 {
    amount * price / U256::from(10u8).pow(U256::from(reserve.config.decimals))
}
