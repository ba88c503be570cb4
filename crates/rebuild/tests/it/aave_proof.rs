//! The on-chain proof for mev-health-calc: for ≥ 200 users with several collaterals each, at
//! every price step, the health computed locally from per-reserve chain data equals
//! `Pool.getUserAccountData` exactly, from current balances and from scaled balances plus
//! reserve indexes (interest accrued over days to weeks between steps). On the Aave v3.0
//! bytecode and on v3.6 (eMode users with collateral outside their category, switched-off
//! collateral, isolated positions), each with the release detected from the pool, never
//! configured.

use alloy_primitives::{Address, Bytes, U256};
use alloy_rpc_types_eth::BlockId;
use alloy_sol_types::{SolCall, sol};
use mev_devnet::bindings::{IMulticall3, IPool};
use mev_health_calc::{AaveBalances, AavePosition, AaveVersion, ReserveIndexState};
use mev_rebuild::{HealthInputs, LendingProtocol};
use rand::{Rng, SeedableRng, rngs::StdRng};

use crate::common::Market;

sol! {
    interface IScaledBalanceToken {
        function scaledBalanceOf(address user) external view returns (uint256);
    }
}

fn c3<C: SolCall>(target: Address, call: &C) -> IMulticall3::Call3 {
    IMulticall3::Call3 { target, allowFailure: false, callData: Bytes::from(call.abi_encode()) }
}

async fn multicall(m: &Market, calls: Vec<IMulticall3::Call3>, block: u64) -> Vec<Bytes> {
    m.devnet
        .call_at(
            mev_devnet::Multicall3::ADDRESS,
            &IMulticall3::aggregate3Call { calls },
            BlockId::number(block),
        )
        .await
        .expect("aggregate3")
        .into_iter()
        .map(|r| r.returnData)
        .collect()
}

const USERS: usize = 220;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_health_equals_get_user_account_data_for_every_user_at_every_step() {
    prove(Market::start(USERS, 7).await, AaveVersion::V3_0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v3_6_local_health_equals_get_user_account_data_for_every_user_at_every_step() {
    prove(Market::start_v3_6(USERS, 36).await, AaveVersion::V3_6).await;
}

/// Six steps (the first at the positions as opened), each after days to two weeks of interest
/// and a move of every price; `release` is what detection must find.
async fn prove(m: Market, release: AaveVersion) {
    let reader = m.reader();
    let protocol = m.protocol(&*reader).await;
    assert_eq!(protocol.reserves().len(), 4);
    assert_eq!(protocol.version(), release, "detected {:?}", protocol.detected_release());
    assert_eq!(protocol.version_mismatch(), None);
    let (mut in_emode, mut single_collateral) = (0usize, 0usize);
    let reserves = m.aave.reserves().to_vec();
    let mut rng = StdRng::seed_from_u64(99);
    let (mut liquidatable, mut healthy, mut compared) = (0usize, 0usize, 0usize);

    for step in 0..6 {
        if step > 0 {
            // Days pass (interest accrues), then every price moves by −40 %…+25 %.
            let now = m.devnet.provider_timestamp().await;
            m.devnet.set_next_timestamp(now + rng.random_range(86_400..14 * 86_400)).await.unwrap();
            m.devnet.mine(1).await.unwrap();
            let mut moves = vec![];
            for r in &reserves {
                let price = m.aave.asset_price(r.asset).await.unwrap();
                let pct = if step == 3 { 60 } else { rng.random_range(60u64..125) };
                moves.push((r.asset, price * U256::from(pct) / U256::from(100u8)));
            }
            m.aave.set_prices(&moves).await.unwrap();
        }
        let block = m.devnet.block_number().await.unwrap();

        let before = reader.requests();
        let positions = protocol.read_positions(&*reader, &m.users, block).await.unwrap();
        let used = reader.requests() - before;
        assert!(
            used <= USERS.div_ceil(100) as u64,
            "{used} requests for {USERS} positions at step {step}"
        );
        assert_eq!(positions.len(), USERS);

        // The chain's own verdict, and the raw scaled balances, at the same block.
        let mut calls = vec![c3(
            mev_devnet::Multicall3::ADDRESS,
            &IMulticall3::getCurrentBlockTimestampCall {},
        )];
        for r in &reserves {
            calls.push(c3(m.aave.pool(), &IPool::getReserveDataCall { asset: r.asset }));
        }
        for &user in &m.users {
            calls.push(c3(m.aave.pool(), &IPool::getUserAccountDataCall { user }));
            for r in &reserves {
                calls.push(c3(r.a_token, &IScaledBalanceToken::scaledBalanceOfCall { user }));
                calls.push(c3(
                    r.variable_debt_token,
                    &IScaledBalanceToken::scaledBalanceOfCall { user },
                ));
            }
        }
        let out = multicall(&m, calls, block).await;
        let timestamp = IMulticall3::getCurrentBlockTimestampCall::abi_decode_returns(&out[0])
            .unwrap()
            .to::<u64>();
        let indexes: Vec<ReserveIndexState> = (0..reserves.len())
            .map(|i| {
                let d = IPool::getReserveDataCall::abi_decode_returns(&out[1 + i]).unwrap();
                ReserveIndexState {
                    liquidity_index: U256::from(d.liquidityIndex),
                    variable_borrow_index: U256::from(d.variableBorrowIndex),
                    liquidity_rate: U256::from(d.currentLiquidityRate),
                    variable_borrow_rate: U256::from(d.currentVariableBorrowRate),
                    last_update_timestamp: d.lastUpdateTimestamp.to::<u64>(),
                }
            })
            .collect();
        let per_user = 1 + 2 * reserves.len();
        for (u, (p, user)) in positions.iter().zip(&m.users).enumerate() {
            let base = 1 + reserves.len() + u * per_user;
            let chain = IPool::getUserAccountDataCall::abi_decode_returns(&out[base]).unwrap();
            let HealthInputs::Aave(inputs) = &p.inputs else { panic!("not an Aave position") };
            assert_eq!(p.position.user, *user);
            assert_eq!(inputs.timestamp, timestamp, "step {step}");
            let local = &inputs.account;
            let ctx = format!("user {user} step {step} block {block}");
            assert_eq!(local.total_collateral_base, chain.totalCollateralBase, "{ctx}");
            assert_eq!(local.total_debt_base, chain.totalDebtBase, "{ctx}");
            assert_eq!(local.health_factor, chain.healthFactor, "{ctx}");
            assert_eq!(
                local.current_liquidation_threshold, chain.currentLiquidationThreshold,
                "{ctx}"
            );
            assert_eq!(local.ltv, chain.ltv, "{ctx}");
            assert_eq!(p.position.health_factor, Some(chain.healthFactor));

            // Same from scaled balances and the stored indexes, interest computed locally.
            let mut scaled = inputs.reserves.clone();
            for (i, r) in scaled.iter_mut().enumerate() {
                let a = IScaledBalanceToken::scaledBalanceOfCall::abi_decode_returns(
                    &out[base + 1 + 2 * i],
                )
                .unwrap();
                let d = IScaledBalanceToken::scaledBalanceOfCall::abi_decode_returns(
                    &out[base + 2 + 2 * i],
                )
                .unwrap();
                r.balances = AaveBalances::Scaled {
                    scaled_a_token: a,
                    scaled_variable_debt: d,
                    stable_debt: U256::ZERO,
                    indexes: indexes[i],
                };
            }
            let view = AavePosition { reserves: &scaled, ..inputs.position() };
            let from_scaled = view.account_data().unwrap();
            assert_eq!(
                from_scaled.total_collateral_base, chain.totalCollateralBase,
                "scaled {ctx}"
            );
            assert_eq!(from_scaled.total_debt_base, chain.totalDebtBase, "scaled {ctx}");
            assert_eq!(from_scaled.health_factor, chain.healthFactor, "scaled {ctx}");

            assert!(p.has_debt(), "{ctx}");
            assert!(!p.position.collateral.is_empty(), "{ctx}");
            if release == AaveVersion::V3_0 {
                assert!(p.position.collateral.len() >= 2, "{ctx}");
            }
            in_emode += usize::from(inputs.emode.is_some_and(|c| c.id != 0));
            single_collateral += usize::from(p.position.collateral.len() == 1);
            if local.is_liquidatable() {
                liquidatable += 1
            } else {
                healthy += 1
            }
            compared += 1;
        }
    }
    assert_eq!(compared, USERS * 6);
    assert!(liquidatable > 0 && healthy > 0, "{liquidatable} liquidatable, {healthy} healthy");
    if release == AaveVersion::V3_6 {
        // A quarter of the users in eMode, a quarter isolated (one collateral), every step.
        assert_eq!(in_emode, USERS / 4 * 6, "eMode positions");
        assert!(single_collateral >= USERS / 4 * 6, "{single_collateral} single-collateral");
    }
    println!(
        "{release}: compared {compared} (user, step) pairs: {liquidatable} liquidatable, \
         {healthy} healthy, {in_emode} in eMode"
    );
}

/// `provider_timestamp`: the latest block's timestamp, seconds.
trait Timestamp {
    async fn provider_timestamp(&self) -> u64;
}

impl Timestamp for mev_devnet::Devnet {
    async fn provider_timestamp(&self) -> u64 {
        use alloy_provider::Provider;
        let block = self
            .provider()
            .get_block_by_number(alloy_rpc_types_eth::BlockNumberOrTag::Latest)
            .await
            .unwrap()
            .expect("latest block");
        block.header.timestamp
    }
}
