//! Property tests: monotonicity, the documented difference between Aave rounding generations,
//! liquidation bounds, and Compound's liquidity identity.

use alloy_primitives::{I256, U256, U512};
use mev_health_calc::{
    AaveBalances, AavePosition, AaveReserveConfig, AaveUserReserve, AaveVersion, CompoundAccount,
    CompoundLiquidationConfig, CompoundMarket, Confirmation, ConfirmationConfig,
    ConfirmationTracker, HealthError, WAD,
};
use proptest::prelude::*;

use crate::common::addr;

fn u(v: u128) -> U256 {
    U256::from(v)
}

fn pow10(d: u8) -> U256 {
    U256::from(10u8).pow(U256::from(d))
}

prop_compose! {
    /// A reserve with realistic parameters and a current-balance position.
    fn reserve_strategy(asset: u8)(
        decimals in prop::sample::select(vec![0u8, 6, 8, 18, 24]),
        price in 1u64..=1_000_000_000_000,
        lt in 1u16..=9_800,
        ltv_gap in 0u16..=500,
        bonus in 10_000u16..=11_500,
        fee in prop::sample::select(vec![0u16, 500, 1_000, 2_000]),
        supply_units in 0u64..=10_000_000,
        supply_frac in 0u64..1_000_000,
        debt_units in 0u64..=10_000_000,
        debt_frac in 0u64..1_000_000,
        enabled in any::<bool>(),
    ) -> AaveUserReserve {
        let unit = pow10(decimals);
        let amount = |units: u64, frac: u64| U256::from(units) * unit + U256::from(frac) * unit / U256::from(1_000_000u64);
        AaveUserReserve {
            asset: addr(asset),
            reserve_id: u16::from(asset),
            config: AaveReserveConfig {
                decimals,
                ltv: lt.saturating_sub(ltv_gap),
                liquidation_threshold: lt,
                liquidation_bonus: bonus,
                liquidation_protocol_fee: fee,
                emode_category: 0,
            },
            price: U256::from(price),
            usage_as_collateral_enabled: enabled,
            balances: AaveBalances::Current {
                a_token: amount(supply_units, supply_frac),
                variable_debt: amount(debt_units, debt_frac),
                stable_debt: U256::ZERO,
            },
        }
    }
}

fn reserves_strategy() -> impl Strategy<Value = Vec<AaveUserReserve>> {
    (reserve_strategy(1), reserve_strategy(2), reserve_strategy(3))
        .prop_map(|(a, b, c)| vec![a, b, c])
}

fn version_strategy() -> impl Strategy<Value = AaveVersion> {
    prop::sample::select(AaveVersion::ALL.to_vec())
}

fn at(version: AaveVersion, reserves: &[AaveUserReserve]) -> AavePosition<'_> {
    AavePosition { version, timestamp: 0, emode: None, reserves }
}

fn with_debt(mut r: AaveUserReserve, f: impl Fn(U256) -> U256) -> AaveUserReserve {
    if let AaveBalances::Current { variable_debt, .. } = &mut r.balances {
        *variable_debt = f(*variable_debt);
    }
    r
}

proptest! {
    /// More debt, or a pricier debt asset, never raises the health factor (every release).
    #[test]
    fn health_factor_monotone_in_debt(
        reserves in reserves_strategy(),
        version in version_strategy(),
        which in 0usize..3,
        extra in 1u64..=1_000_000_000_000,
        price_up in 1u64..=1_000_000,
    ) {
        let before = at(version, &reserves).health_factor().unwrap();
        let mut more = reserves.clone();
        more[which] = with_debt(more[which], |d| d + U256::from(extra));
        prop_assert!(at(version, &more).health_factor().unwrap() <= before);
        let mut pricier = reserves;
        if !pricier[which].usage_as_collateral_enabled {
            pricier[which].price += U256::from(price_up);
            prop_assert!(at(version, &pricier).health_factor().unwrap() <= before);
        }
    }

    /// A higher collateral price never lowers the health factor: always from v3.5; before 3.5
    /// when the position has a single collateral (the floored average LT breaks it otherwise,
    /// see `legacy_health_factor_is_not_monotone_in_low_lt_collateral`).
    #[test]
    fn health_factor_monotone_in_collateral_price(
        reserves in reserves_strategy(),
        version in version_strategy(),
        which in 0usize..3,
        price_up in 1u64..=1_000_000_000,
    ) {
        let mut base = reserves;
        if !version.rounds_v3_5() {
            for (i, r) in base.iter_mut().enumerate() {
                r.usage_as_collateral_enabled = i == which;
            }
        }
        // Only the collateral side of that reserve may move with its price.
        base[which] = with_debt(base[which], |_| U256::ZERO);
        let mut up = base.clone();
        up[which].price += U256::from(price_up);
        prop_assert!(at(version, &up).health_factor().unwrap() >= at(version, &base).health_factor().unwrap());
    }

    /// The two generations differ only by the documented rounding (see `AaveVersion` docs):
    /// same total collateral; debt rounded up by at most one base unit per debt reserve; each
    /// health factor within its documented distance of the exact quotient.
    #[test]
    fn generations_differ_only_by_documented_rounding(reserves in reserves_strategy()) {
        let old = at(AaveVersion::V3_4, &reserves).account_data().unwrap();
        let new = at(AaveVersion::V3_5, &reserves).account_data().unwrap();
        prop_assert_eq!(old.total_collateral_base, new.total_collateral_base);
        let debt_reserves = reserves.iter().filter(|r| match r.balances {
            AaveBalances::Current { variable_debt, .. } => !variable_debt.is_zero(),
            AaveBalances::Scaled { .. } => false,
        }).count();
        prop_assert!(old.total_debt_base <= new.total_debt_base);
        prop_assert!(new.total_debt_base <= old.total_debt_base + U256::from(debt_reserves));
        if old.total_debt_base.is_zero() {
            prop_assert_eq!(old.health_factor, U256::MAX);
        }
        if new.total_debt_base.is_zero() {
            return Ok(());
        }
        // S = Σ value·LT, recomputed here.
        let mut s = U512::ZERO;
        for r in &reserves {
            if r.usage_as_collateral_enabled
                && let AaveBalances::Current { a_token, .. } = r.balances
            {
                let value = a_token * r.price / pow10(r.config.decimals);
                s += U512::from(value) * U512::from(r.config.liquidation_threshold);
            }
        }
        let w = U512::from(WAD);
        let t = U512::from(old.total_collateral_base);
        let bps = U512::from(10_000u64);
        // v3.5+: S·W − 2e4·D₁ ≤ 1e4·D₁·HF₁ ≤ S·W + 1e4·D₁.
        let d1 = U512::from(new.total_debt_base);
        let hf1 = U512::from(new.health_factor) * bps * d1;
        prop_assert!(hf1 + U512::from(2u8) * bps * d1 >= s * w);
        prop_assert!(hf1 <= s * w + bps * d1);
        if !old.total_debt_base.is_zero() {
            // Legacy: (2(S − T) − 1e4)·W − 2e4·D₀ ≤ 2e4·D₀·HF₀ ≤ (2S + 1e4)·W + 2e4·D₀.
            let d0 = U512::from(old.total_debt_base);
            let two = U512::from(2u8);
            let hf0 = two * bps * d0 * U512::from(old.health_factor);
            prop_assert!(hf0 <= (two * s + bps) * w + two * bps * d0);
            let low = (two * s).saturating_sub(two * t + bps) * w;
            prop_assert!(hf0 + two * bps * d0 >= low);
        }
    }

    /// When every division is exact (one collateral whose value is a multiple of 1e4·debt), both
    /// generations agree to the wei: HF = q · LT · 1e18.
    #[test]
    fn generations_agree_when_exact(q in 1u64..=1_000, debt in 1u64..=u64::MAX, lt in 1u16..=10_000) {
        let mk = |asset: u8, lt: u16, coll: U256, debt: U256| AaveUserReserve {
            asset: addr(asset),
            reserve_id: 0,
            config: AaveReserveConfig { decimals: 0, ltv: lt, liquidation_threshold: lt, liquidation_bonus: 10_500, liquidation_protocol_fee: 0, emode_category: 0 },
            price: U256::from(1u8),
            usage_as_collateral_enabled: !coll.is_zero(),
            balances: AaveBalances::Current { a_token: coll, variable_debt: debt, stable_debt: U256::ZERO },
        };
        let d = U256::from(debt);
        let reserves = [mk(1, lt, U256::from(q) * d * U256::from(10_000u64), U256::ZERO), mk(2, 0, U256::ZERO, d)];
        let expected = U256::from(q) * U256::from(lt) * WAD;
        for v in AaveVersion::ALL {
            prop_assert_eq!(at(v, &reserves).health_factor().unwrap(), expected);
        }
    }

    /// Liquidation sizing never seizes more than the borrower's collateral nor repays more than
    /// the close factor allows (nor more than the debt).
    #[test]
    fn aave_liquidation_bounds(
        reserves in reserves_strategy(),
        version in version_strategy(),
        coll in 0usize..3,
        debt in 0usize..3,
        cover in prop_oneof![Just(U256::MAX), (1u128..=u128::MAX).prop_map(U256::from)],
    ) {
        let p = at(version, &reserves);
        let data = p.account_data().unwrap();
        match p.plan_liquidation(addr(coll as u8 + 1), addr(debt as u8 + 1), cover) {
            Ok(plan) => {
                prop_assert!(data.is_liquidatable());
                prop_assert!(plan.collateral_to_liquidator + plan.protocol_fee <= plan.borrower_collateral_balance);
                prop_assert!(plan.debt_to_cover <= plan.max_liquidatable_debt);
                prop_assert!(plan.max_liquidatable_debt <= plan.borrower_debt_balance);
                prop_assert!(plan.debt_to_cover <= cover);
                if !version.liquidation_v3_3() {
                    let half = (plan.borrower_debt_balance * u(5_000) + u(5_000)) / u(10_000);
                    if plan.health_factor > mev_health_calc::CLOSE_FACTOR_HF_THRESHOLD {
                        prop_assert!(plan.debt_to_cover <= half);
                    }
                } else if plan.close_factor_bps == 5_000 && plan.max_liquidatable_debt < plan.borrower_debt_balance {
                    // At most half the total debt, in base currency.
                    let unit = pow10(reserves[debt].config.decimals);
                    let repaid_base = plan.debt_to_cover * plan.debt_price / unit;
                    prop_assert!(repaid_base <= (data.total_debt_base * u(5_000) + u(5_000)) / u(10_000));
                }
            }
            Err(HealthError::NotLiquidatable { .. }) => prop_assert!(!data.is_liquidatable()),
            Err(HealthError::CollateralNotEligible { .. } | HealthError::NoDebtToCover { .. } | HealthError::LeavesDust { .. }) => {}
            Err(other) => prop_assert!(false, "unexpected error {other}"),
        }
    }

    /// Compound: liquidity − shortfall = sumCollateral − sumBorrow exactly, and liquidation never
    /// seizes more than the balance nor repays more than closeFactor × borrow.
    #[test]
    fn compound_identity_and_liquidation_bounds(
        markets in prop::collection::vec(
            (1u128..=u128::MAX >> 40, 0u128..=u128::MAX >> 40, 10u128.pow(8)..=10u128.pow(30), 0u128..=9 * 10u128.pow(17), 10u128.pow(18)..=10u128.pow(33), any::<bool>()),
            1..4,
        ),
        close_factor in 5u128 * 10u128.pow(16)..=10u128.pow(18),
        incentive in 10u128.pow(18)..=12 * 10u128.pow(17),
        repay in prop_oneof![Just(U256::MAX), (1u128..=u128::MAX).prop_map(U256::from)],
        b in 0usize..4,
        c in 0usize..4,
    ) {
        let markets: Vec<CompoundMarket> = markets.iter().enumerate().map(|(i, m)| CompoundMarket {
            market: addr(i as u8 + 1),
            entered: m.5 || i == 0,
            c_token_balance: u(m.0),
            borrow_balance: u(m.1),
            exchange_rate: u(m.2),
            collateral_factor: u(m.3),
            price: u(m.4),
        }).collect();
        let account = CompoundAccount { markets: &markets };
        let l = account.liquidity().unwrap();
        let signed = |x: U256| I256::try_from(x).unwrap();
        prop_assert_eq!(signed(l.liquidity) - signed(l.shortfall), signed(l.sum_collateral) - signed(l.sum_borrow));
        prop_assert!(l.liquidity.is_zero() || l.shortfall.is_zero());
        let config = CompoundLiquidationConfig {
            close_factor: u(close_factor),
            liquidation_incentive: u(incentive),
            protocol_seize_share: mev_health_calc::COMPOUND_PROTOCOL_SEIZE_SHARE,
            borrowed_market_deprecated: false,
        };
        let b = b.min(markets.len() - 1);
        let c = c.min(markets.len() - 1);
        match account.plan_liquidation(addr(b as u8 + 1), addr(c as u8 + 1), repay, &config) {
            Ok(plan) => {
                prop_assert!(plan.seize_tokens <= markets[c].c_token_balance);
                prop_assert!(plan.repay_amount <= u(close_factor) * markets[b].borrow_balance / WAD);
                prop_assert!(plan.repay_amount <= repay);
                prop_assert_eq!(plan.liquidator_seize_tokens + plan.protocol_seize_tokens, plan.seize_tokens);
            }
            Err(HealthError::NoShortfall { .. }) => prop_assert!(l.shortfall.is_zero()),
            Err(HealthError::NoDebtToCover { .. }) => {}
            Err(other) => prop_assert!(false, "unexpected error {other}"),
        }
    }

    /// The tracker agrees with a naive model: the streak is the number of consecutive unhealthy
    /// verdicts (latest per block) over observed blocks with no gap, ending at the latest block.
    #[test]
    fn confirmation_tracker_matches_model(steps in prop::collection::vec((0u64..4, any::<bool>()), 1..60)) {
        let mut tracker = ConfirmationTracker::new(ConfirmationConfig { required_blocks: 3, max_gap_blocks: 0 }).unwrap();
        let mut seen: std::collections::BTreeMap<u64, bool> = std::collections::BTreeMap::new();
        let mut block = 1_000u64;
        for (i, (delta, unhealthy)) in steps.into_iter().enumerate() {
            // delta 0: same block; 1: next; 2: skip one; 3: an older block.
            let target = match delta {
                0 if i > 0 => block,
                3 if i > 0 => block - 1,
                0 | 3 => block,
                d => block + d,
            };
            let out = tracker.observe(target, unhealthy);
            if target < block && i > 0 {
                prop_assert_eq!(out, Confirmation::Stale { last_block: block });
                continue;
            }
            block = target;
            seen.insert(block, unhealthy);
            let mut streak = 0u32;
            let mut b = block;
            while seen.get(&b) == Some(&true) {
                streak += 1;
                if b == 0 { break; }
                b -= 1;
            }
            prop_assert_eq!(tracker.streak(), streak);
            prop_assert_eq!(out.is_confirmed(), streak >= 3);
        }
    }
}
