//! Differential test: the crate against an independent reference written here on a tiny
//! arbitrary-precision integer (`Big`, base 2^32 limbs, schoolbook multiplication, bitwise long
//! division). The reference re-derives every formula from the Solidity sources and tracks the
//! `uint256` range itself, so an overflow in the crate must be an overflow in the reference.

use alloy_primitives::U256;
use mev_health_calc::{
    AaveBalances, AavePosition, AaveReserveConfig, AaveUserReserve, AaveVersion, CompoundAccount,
    CompoundMarket, HealthError, ReserveIndexState,
};
use std::cell::Cell;

use proptest::prelude::*;
use proptest::test_runner::TestRunner;

use crate::common::addr;

// ---------------------------------------------------------------------------------------------
// A minimal unsigned big integer.

#[derive(Clone, Debug, PartialEq, Eq)]
struct Big(Vec<u32>); // little endian, no trailing zero limbs

impl Big {
    fn zero() -> Self {
        Self(Vec::new())
    }

    fn from_u128(mut v: u128) -> Self {
        let mut limbs = Vec::new();
        while v != 0 {
            limbs.push(v as u32);
            v >>= 32;
        }
        Self(limbs)
    }

    fn from_u256(v: U256) -> Self {
        let mut limbs = Vec::new();
        for limb in v.as_limbs() {
            limbs.push(*limb as u32);
            limbs.push((*limb >> 32) as u32);
        }
        Self(limbs).trim()
    }

    fn to_u256(&self) -> Option<U256> {
        if self.0.len() > 8 {
            return None;
        }
        let mut limbs = [0u64; 4];
        for (i, l) in self.0.iter().enumerate() {
            limbs[i / 2] |= u64::from(*l) << (32 * (i % 2));
        }
        Some(U256::from_limbs(limbs))
    }

    fn trim(mut self) -> Self {
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
        self
    }

    fn is_zero(&self) -> bool {
        self.0.is_empty()
    }

    fn bits(&self) -> usize {
        match self.0.last() {
            None => 0,
            Some(top) => 32 * (self.0.len() - 1) + (32 - top.leading_zeros() as usize),
        }
    }

    fn bit(&self, i: usize) -> bool {
        self.0.get(i / 32).is_some_and(|l| (l >> (i % 32)) & 1 == 1)
    }

    fn add(&self, o: &Self) -> Self {
        let mut out = Vec::with_capacity(self.0.len().max(o.0.len()) + 1);
        let mut carry = 0u64;
        for i in 0..self.0.len().max(o.0.len()) {
            let s = u64::from(*self.0.get(i).unwrap_or(&0))
                + u64::from(*o.0.get(i).unwrap_or(&0))
                + carry;
            out.push(s as u32);
            carry = s >> 32;
        }
        out.push(carry as u32);
        Self(out).trim()
    }

    /// `self - o`, requires `self >= o`.
    fn sub(&self, o: &Self) -> Self {
        assert!(self.ge(o));
        let mut out = Vec::with_capacity(self.0.len());
        let mut borrow = 0i64;
        for i in 0..self.0.len() {
            let mut d = i64::from(self.0[i]) - i64::from(*o.0.get(i).unwrap_or(&0)) - borrow;
            borrow = 0;
            if d < 0 {
                d += 1 << 32;
                borrow = 1;
            }
            out.push(d as u32);
        }
        Self(out).trim()
    }

    fn mul(&self, o: &Self) -> Self {
        let mut out = vec![0u64; self.0.len() + o.0.len() + 1];
        for (i, a) in self.0.iter().enumerate() {
            let mut carry = 0u64;
            for (j, b) in o.0.iter().enumerate() {
                let t = out[i + j] + u64::from(*a) * u64::from(*b) + carry;
                out[i + j] = t & 0xffff_ffff;
                carry = t >> 32;
            }
            let mut k = i + o.0.len();
            while carry != 0 {
                let t = out[k] + carry;
                out[k] = t & 0xffff_ffff;
                carry = t >> 32;
                k += 1;
            }
        }
        Self(out.into_iter().map(|l| l as u32).collect()).trim()
    }

    fn cmp(&self, o: &Self) -> core::cmp::Ordering {
        self.0.len().cmp(&o.0.len()).then_with(|| self.0.iter().rev().cmp(o.0.iter().rev()))
    }

    fn ge(&self, o: &Self) -> bool {
        self.cmp(o) != core::cmp::Ordering::Less
    }

    fn shl1_or(&self, bit: bool) -> Self {
        let mut out = Vec::with_capacity(self.0.len() + 1);
        let mut carry = u32::from(bit);
        for l in &self.0 {
            out.push((l << 1) | carry);
            carry = l >> 31;
        }
        out.push(carry);
        Self(out).trim()
    }

    /// `(self / d, self % d)`, bit by bit.
    fn divmod(&self, d: &Self) -> (Self, Self) {
        assert!(!d.is_zero());
        let n = self.bits();
        let mut q = vec![0u32; self.0.len()];
        let mut r = Self::zero();
        for i in (0..n).rev() {
            r = r.shl1_or(self.bit(i));
            if r.ge(d) {
                r = r.sub(d);
                q[i / 32] |= 1 << (i % 32);
            }
        }
        (Self(q).trim(), r)
    }

    fn div(&self, d: &Self) -> Self {
        self.divmod(d).0
    }

    fn div_ceil(&self, d: &Self) -> Self {
        let (q, r) = self.divmod(d);
        if r.is_zero() { q } else { q.add(&Self::from_u128(1)) }
    }

    fn pow10(e: u32) -> Self {
        (0..e).fold(Self::from_u128(1), |acc, _| acc.mul(&Self::from_u128(10)))
    }
}

/// `None` once a value the contract checks leaves the `uint256` range.
fn fit(v: Big) -> Option<Big> {
    (v.bits() <= 256).then_some(v)
}

fn n(v: u128) -> Big {
    Big::from_u128(v)
}

fn ray() -> Big {
    Big::pow10(27)
}

fn wad() -> Big {
    Big::pow10(18)
}

/// Solidity `rayMul`: reverts iff `a·b + HALF_RAY` overflows.
fn ray_mul(a: &Big, b: &Big) -> Option<Big> {
    Some(fit(a.mul(b).add(&ray().div(&n(2))))?.div(&ray()))
}

// ---------------------------------------------------------------------------------------------
// Reference Aave account computation.

fn linear(rate: &Big, dt: u64) -> Option<Big> {
    let spy = n(31_536_000);
    fit(ray().add(&fit(rate.mul(&n(u128::from(dt))))?.div(&spy)))
}

fn compounded(rate: &Big, dt: u64, horner: bool) -> Option<Big> {
    if dt == 0 {
        return Some(ray());
    }
    let spy = n(31_536_000);
    let exp = n(u128::from(dt));
    if horner {
        let x = fit(rate.mul(&exp))?.div(&spy);
        let inner = fit(x.div(&n(2)).add(&ray_mul(&x, &x.div(&n(6)))?))?;
        return fit(ray().add(&x).add(&ray_mul(&x, &inner)?));
    }
    let em1 = exp.sub(&n(1));
    let em2 = if dt > 2 { exp.sub(&n(2)) } else { Big::zero() };
    let b2 = ray_mul(rate, rate)?.div(&spy.mul(&spy));
    let b3 = ray_mul(&b2, rate)?.div(&spy);
    let second = fit(fit(exp.mul(&em1))?.mul(&b2))?.div(&n(2));
    let third = fit(fit(fit(exp.mul(&em1))?.mul(&em2))?.mul(&b3))?.div(&n(6));
    let first = fit(rate.mul(&exp))?.div(&spy);
    fit(ray().add(&first).add(&second).add(&third))
}

struct RefAccount {
    total_collateral: Big,
    total_debt: Big,
    health_factor: Big,
}

fn reference_account(
    version: AaveVersion,
    now: u64,
    reserves: &[AaveUserReserve],
) -> Option<RefAccount> {
    let v35 = matches!(version, AaveVersion::V3_5 | AaveVersion::V3_6);
    let horner = matches!(version, AaveVersion::V3_4 | AaveVersion::V3_5 | AaveVersion::V3_6);
    let stable = matches!(version, AaveVersion::V3_0 | AaveVersion::V3_1);
    let (mut t, mut d, mut s) = (Big::zero(), Big::zero(), Big::zero());
    for r in reserves {
        let counts = r.usage_as_collateral_enabled && r.config.liquidation_threshold != 0;
        let (a_token, debt) = match r.balances {
            AaveBalances::Current { a_token, variable_debt, stable_debt } => {
                let mut debt = Big::from_u256(variable_debt);
                if stable {
                    debt = fit(debt.add(&Big::from_u256(stable_debt)))?;
                }
                (Big::from_u256(a_token), debt)
            }
            AaveBalances::Scaled { scaled_a_token, scaled_variable_debt, stable_debt, indexes } => {
                let dt = now - indexes.last_update_timestamp;
                let scaled_a = Big::from_u256(scaled_a_token);
                let scaled_d = Big::from_u256(scaled_variable_debt);
                let a_token = if scaled_a.is_zero() || !counts {
                    Big::zero()
                } else {
                    let income = if dt == 0 {
                        Big::from_u256(indexes.liquidity_index)
                    } else {
                        ray_mul(
                            &linear(&Big::from_u256(indexes.liquidity_rate), dt)?,
                            &Big::from_u256(indexes.liquidity_index),
                        )?
                    };
                    if v35 {
                        fit(scaled_a.mul(&income))?.div(&ray())
                    } else {
                        ray_mul(&scaled_a, &income)?
                    }
                };
                let mut debt = if scaled_d.is_zero() {
                    Big::zero()
                } else {
                    let index = if dt == 0 {
                        Big::from_u256(indexes.variable_borrow_index)
                    } else {
                        ray_mul(
                            &compounded(&Big::from_u256(indexes.variable_borrow_rate), dt, horner)?,
                            &Big::from_u256(indexes.variable_borrow_index),
                        )?
                    };
                    if v35 {
                        fit(scaled_d.mul(&index))?.div_ceil(&ray())
                    } else {
                        ray_mul(&scaled_d, &index)?
                    }
                };
                if stable {
                    debt = fit(debt.add(&Big::from_u256(stable_debt)))?;
                }
                (a_token, debt)
            }
        };
        if !counts && debt.is_zero() {
            continue;
        }
        let unit = Big::pow10(u32::from(r.config.decimals));
        let price = Big::from_u256(r.price);
        if counts {
            let value = fit(a_token.mul(&price))?.div(&unit);
            t = fit(t.add(&value))?;
            s = fit(s.add(&fit(value.mul(&n(u128::from(r.config.liquidation_threshold))))?))?;
        }
        if !debt.is_zero() {
            let product = fit(debt.mul(&price))?;
            let value = if v35 { product.div_ceil(&unit) } else { product.div(&unit) };
            d = fit(d.add(&value))?;
        }
    }
    let health_factor = if d.is_zero() {
        Big::from_u256(U256::MAX)
    } else if v35 {
        fit(s.mul(&wad()).add(&d.div(&n(2))))?.div(&d).div(&n(10_000))
    } else {
        let average = if t.is_zero() { Big::zero() } else { s.div(&t) };
        let p = fit(t.mul(&average).add(&n(5_000)))?.div(&n(10_000));
        fit(p.mul(&wad()).add(&d.div(&n(2))))?.div(&d)
    };
    Some(RefAccount { total_collateral: t, total_debt: d, health_factor })
}

// ---------------------------------------------------------------------------------------------
// Strategies.

prop_compose! {
    fn index_state()(
        li_extra in 0u128..=10u128.pow(27),
        vi_extra in 0u128..=10u128.pow(27),
        lr in 0u128..=5 * 10u128.pow(26),
        vr in 0u128..=3 * 10u128.pow(27),
        last in 1_600_000_000u64..=1_700_000_000,
    ) -> ReserveIndexState {
        ReserveIndexState {
            liquidity_index: U256::from(10u128.pow(27) + li_extra),
            variable_borrow_index: U256::from(10u128.pow(27) + vi_extra),
            liquidity_rate: U256::from(lr),
            variable_borrow_rate: U256::from(vr),
            last_update_timestamp: last,
        }
    }
}

prop_compose! {
    fn any_reserve(asset: u8)(
        decimals in 0u8..=30,
        price in prop_oneof![1u128..=10u128.pow(12), 1u128..=u128::MAX],
        lt in 0u16..=10_000,
        enabled in any::<bool>(),
        a in prop_oneof![0u128..=10u128.pow(30), any::<u128>()],
        v in prop_oneof![Just(0u128), 0u128..=10u128.pow(30), any::<u128>()],
        st in prop_oneof![Just(0u128), 0u128..=10u128.pow(24)],
        scaled in any::<bool>(),
        indexes in index_state(),
    ) -> AaveUserReserve {
        let balances = if scaled {
            AaveBalances::Scaled { scaled_a_token: U256::from(a), scaled_variable_debt: U256::from(v), stable_debt: U256::from(st), indexes }
        } else {
            AaveBalances::Current { a_token: U256::from(a), variable_debt: U256::from(v), stable_debt: U256::from(st) }
        };
        AaveUserReserve {
            asset: addr(asset),
            reserve_id: u16::from(asset),
            config: AaveReserveConfig { decimals, ltv: lt, liquidation_threshold: lt, liquidation_bonus: 10_500, liquidation_protocol_fee: 0, emode_category: 0 },
            price: U256::from(price),
            usage_as_collateral_enabled: enabled,
            balances,
        }
    }
}

fn runner() -> TestRunner {
    TestRunner::new(ProptestConfig { cases: 1_024, ..ProptestConfig::default() })
}

/// Aave account data: crate == reference for every release, including overflow parity. At
/// least a third of the cases must compare actual values (not just agree on an overflow).
#[test]
fn aave_matches_reference() {
    let compared = Cell::new(0usize);
    let strategy = (
        (any_reserve(1), any_reserve(2), any_reserve(3)).prop_map(|(a, b, c)| vec![a, b, c]),
        prop_oneof![Just(0u64), 0u64..=86_400, 0u64..=5 * 31_536_000],
    );
    runner()
        .run(&strategy, |(reserves, elapsed)| {
            let now = reserves
                .iter()
                .filter_map(|r| match r.balances {
                    AaveBalances::Scaled { indexes, .. } => Some(indexes.last_update_timestamp),
                    AaveBalances::Current { .. } => None,
                })
                .max()
                .unwrap_or(1_700_000_000)
                + elapsed;
            for version in AaveVersion::ALL {
                let position =
                    AavePosition { version, timestamp: now, emode: None, reserves: &reserves };
                match (position.account_data(), reference_account(version, now, &reserves)) {
                    (Ok(data), Some(reference)) => {
                        compared.set(compared.get() + 1);
                        prop_assert_eq!(
                            Some(data.total_collateral_base),
                            reference.total_collateral.to_u256(),
                            "{}",
                            version
                        );
                        prop_assert_eq!(
                            Some(data.total_debt_base),
                            reference.total_debt.to_u256(),
                            "{}",
                            version
                        );
                        prop_assert_eq!(
                            Some(data.health_factor),
                            reference.health_factor.to_u256(),
                            "{}",
                            version
                        );
                    }
                    (Err(HealthError::Overflow { .. }), None) => {}
                    (got, want) => {
                        prop_assert!(
                            false,
                            "{version}: crate {got:?}, reference overflowed: {}",
                            want.is_none()
                        )
                    }
                }
            }
            Ok(())
        })
        .unwrap();
    assert!(compared.get() >= 1_024 * 6 / 3, "only {} comparisons", compared.get());
}

/// Compound liquidity: crate == reference, with the same overflow parity and coverage check.
#[test]
fn compound_matches_reference() {
    let compared = Cell::new(0usize);
    let strategy = prop::collection::vec(
        (
            prop_oneof![0u128..=10u128.pow(20), any::<u128>()],
            prop_oneof![0u128..=10u128.pow(30), any::<u128>()],
            1u128..=10u128.pow(30),
            0u128..=10u128.pow(18),
            1u128..=10u128.pow(36),
            any::<bool>(),
        ),
        1..5,
    );
    runner()
        .run(&strategy, |markets| {
            let markets: Vec<CompoundMarket> = markets
                .iter()
                .enumerate()
                .map(|(i, m)| CompoundMarket {
                    market: addr(i as u8 + 1),
                    entered: m.5,
                    c_token_balance: U256::from(m.0),
                    borrow_balance: U256::from(m.1),
                    exchange_rate: U256::from(m.2),
                    collateral_factor: U256::from(m.3),
                    price: U256::from(m.4),
                })
                .collect();
            let mut reference = Some((Big::zero(), Big::zero()));
            for m in markets.iter().filter(|m| m.entered) {
                reference = reference.and_then(|(c, b)| {
                    let e = wad();
                    let cf_x =
                        fit(Big::from_u256(m.collateral_factor)
                            .mul(&Big::from_u256(m.exchange_rate)))?
                        .div(&e);
                    let denom = fit(cf_x.mul(&Big::from_u256(m.price)))?.div(&e);
                    let c =
                        fit(fit(denom.mul(&Big::from_u256(m.c_token_balance)))?.div(&e).add(&c))?;
                    let b =
                        fit(fit(Big::from_u256(m.price).mul(&Big::from_u256(m.borrow_balance)))?
                            .div(&e)
                            .add(&b))?;
                    Some((c, b))
                });
            }
            match (CompoundAccount { markets: &markets }.liquidity(), reference) {
                (Ok(l), Some((c, b))) => {
                    compared.set(compared.get() + 1);
                    prop_assert_eq!(Some(l.sum_collateral), c.to_u256());
                    prop_assert_eq!(Some(l.sum_borrow), b.to_u256());
                    let (liq, short) = if c.cmp(&b).is_gt() {
                        (c.sub(&b), Big::zero())
                    } else {
                        (Big::zero(), b.sub(&c))
                    };
                    prop_assert_eq!(Some(l.liquidity), liq.to_u256());
                    prop_assert_eq!(Some(l.shortfall), short.to_u256());
                }
                (Err(HealthError::Overflow { .. }), None) => {}
                (got, want) => {
                    prop_assert!(false, "crate {got:?}, reference overflowed: {}", want.is_none())
                }
            }
            Ok(())
        })
        .unwrap();
    assert!(compared.get() >= 1_024 / 3, "only {} comparisons", compared.get());
}

#[test]
fn big_integer_sanity() {
    let a = Big::from_u256(U256::MAX);
    let b = n(u128::MAX);
    let (q, r) = a.mul(&b).add(&n(12_345)).divmod(&b);
    assert_eq!(q, a);
    assert_eq!(r, n(12_345));
    assert_eq!(Big::pow10(27).to_u256(), Some(U256::from(10u128.pow(27))));
    assert_eq!(a.add(&n(1)).to_u256(), None);
    assert_eq!(n(7).div_ceil(&n(2)), n(4));
}
