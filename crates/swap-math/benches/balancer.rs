//! Balancer V2 quotes: weighted pools of 2 and 3 tokens (weights that take `LogExpMath.pow`,
//! and a 50/50 pool whose exponent 1 short-circuits it) and a composable stable pool of 3 tokens
//! plus its BPT, exact in and exact out.

use std::hint::black_box;

use alloy_primitives::U256;
use criterion::{Criterion, criterion_group, criterion_main};
use mev_swap_math::balancer::{StablePoolState, WeightedPoolState};

fn e(n: u64, decimals: u32) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(decimals))
}

/// A 60/40 pool of an 18-decimal token and a 6-decimal token, 0.3 % fee.
fn weighted_2() -> WeightedPoolState {
    WeightedPoolState {
        balances: vec![e(1_234, 18) + U256::from(987_654_321u64), e(2_468_013, 6)],
        scaling_factors: vec![e(1, 18), e(1, 30)],
        normalized_weights: vec![e(6, 17), e(4, 17)],
        swap_fee: e(3, 15),
    }
}

/// A 50/50 pool: the exponent `wI / wO` is 1 and `pow` is skipped.
fn weighted_2_even() -> WeightedPoolState {
    WeightedPoolState { normalized_weights: vec![e(5, 17), e(5, 17)], ..weighted_2() }
}

/// A 40/30/30 pool of 18-, 6- and 8-decimal tokens, 0.25 % fee.
fn weighted_3() -> WeightedPoolState {
    WeightedPoolState {
        balances: vec![e(4_000, 18), e(3_000_000, 6), e(15, 8)],
        scaling_factors: vec![e(1, 18), e(1, 30), e(1, 28)],
        normalized_weights: vec![e(4, 17), e(3, 17), e(3, 17)],
        swap_fee: e(25, 14),
    }
}

/// A composable stable pool of three stable coins (18, 6, 6 decimals; one with a rate) and its
/// BPT at index 0, A = 200, 0.04 % fee.
fn stable_3() -> StablePoolState {
    StablePoolState {
        balances: vec![
            e(2_596_148_429_267_413, 18),
            e(10_523_117, 18) + U256::from(123_456_789u64),
            e(9_871_334, 6),
            e(11_002_345, 6),
        ],
        scaling_factors: vec![e(1, 18), e(1, 18), e(1, 30), e(1_012, 27)],
        amp: U256::from(200_000),
        swap_fee: e(4, 14),
        bpt_index: Some(0),
    }
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("balancer_weighted");
    let (two, even, three) = (weighted_2(), weighted_2_even(), weighted_3());
    let amount = e(3, 18);
    assert!(two.quote_exact_in(0, 1, amount).is_ok());
    assert!(even.quote_exact_in(0, 1, amount).is_ok());
    assert!(three.quote_exact_in(0, 2, amount).is_ok());
    let out = e(1_000, 6);
    assert!(two.quote_exact_out(0, 1, out).is_ok());
    g.bench_function("2_tokens_60_40/exact_in", |b| {
        b.iter(|| black_box(&two).quote_exact_in(0, 1, black_box(amount)))
    });
    g.bench_function("2_tokens_60_40/exact_out", |b| {
        b.iter(|| black_box(&two).quote_exact_out(0, 1, black_box(out)))
    });
    g.bench_function("2_tokens_50_50/exact_in", |b| {
        b.iter(|| black_box(&even).quote_exact_in(0, 1, black_box(amount)))
    });
    g.bench_function("3_tokens_40_30_30/exact_in", |b| {
        b.iter(|| black_box(&three).quote_exact_in(0, 2, black_box(amount)))
    });
    g.finish();

    let mut g = c.benchmark_group("balancer_stable");
    let stable = stable_3();
    let amount = e(25_000, 18);
    let out = e(25_000, 6);
    assert!(stable.quote_exact_in(1, 2, amount).is_ok());
    assert!(stable.quote_exact_out(1, 3, out).is_ok());
    g.bench_function("3_tokens_and_bpt/exact_in", |b| {
        b.iter(|| black_box(&stable).quote_exact_in(1, 2, black_box(amount)))
    });
    g.bench_function("3_tokens_and_bpt/exact_out", |b| {
        b.iter(|| black_box(&stable).quote_exact_out(1, 3, black_box(out)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
