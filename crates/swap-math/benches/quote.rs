//! A Uniswap V3 exact-in quote crossing 10 initialized ticks, against the same swap loop built
//! from the `uniswap_v3_math` crate's functions (a peer port, over a word bitmap as the pool
//! keeps it) on identical input; a V2 quote; and the `TickMath` primitives of both.

use std::{collections::HashMap, hint::black_box};

use alloy_primitives::{I256, U256, aliases::U160};
use criterion::{Criterion, criterion_group, criterion_main};
use mev_swap_math::{
    MAX_TICK, MIN_TICK, V2Fee, V3State, default_price_limit, get_amount_out,
    get_sqrt_ratio_at_tick, get_tick_at_sqrt_ratio, mul_div,
};

/// A 0.3 % pool at price 1 with 40 nested positions `[-60k, 60k]` ticks wide (k = 1..=40).
fn pool() -> V3State {
    let mut ticks = std::collections::BTreeMap::new();
    let mut liquidity = 0u128;
    for k in 1..=40i32 {
        let l = 10u128.pow(20) + u128::from(k.unsigned_abs()) * 10u128.pow(18);
        *ticks.entry(-60 * k).or_insert(0i128) += l as i128;
        *ticks.entry(60 * k).or_insert(0i128) -= l as i128;
        liquidity += l;
    }
    V3State {
        sqrt_price_x96: U160::from(1u8) << 96,
        tick: 0,
        liquidity,
        fee: 3000,
        tick_spacing: 60,
        ticks,
        loaded_range: (MIN_TICK, MAX_TICK),
    }
}

/// The input that takes the pool across exactly `crossings` initialized ticks (and a bit).
fn amount_crossing(state: &V3State, crossings: u32) -> U256 {
    let mut amount = U256::from(10u64).pow(U256::from(15));
    loop {
        let r = state.quote_exact_in(true, amount).expect("quote");
        if r.ticks_crossed >= crossings {
            return amount;
        }
        amount = amount * U256::from(11) / U256::from(10);
    }
}

/// `UniswapV3Pool.swap`'s loop written with `uniswap_v3_math` (as amms-rs does): returns
/// `(amount_out, sqrt_price_after, tick_after, liquidity_after)`.
fn anchor_swap(
    bitmap: &HashMap<i16, U256>,
    nets: &HashMap<i32, i128>,
    state: &V3State,
    zero_for_one: bool,
    amount_in: U256,
) -> (U256, U256, i32, u128) {
    use uniswap_v3_math as m;
    let limit = U256::from(default_price_limit(zero_for_one));
    let mut remaining = I256::try_from(amount_in).unwrap();
    let mut calculated = I256::ZERO;
    let mut price = U256::from(state.sqrt_price_x96);
    let mut tick = state.tick;
    let mut liquidity = state.liquidity;
    while !remaining.is_zero() && price != limit {
        let start = price;
        let (next, initialized) = m::tick_bitmap::next_initialized_tick_within_one_word(
            bitmap,
            tick,
            state.tick_spacing,
            zero_for_one,
        )
        .unwrap();
        let next = next.clamp(m::tick_math::MIN_TICK, m::tick_math::MAX_TICK);
        let next_price = m::tick_math::get_sqrt_ratio_at_tick(next).unwrap();
        let target =
            if (zero_for_one && next_price < limit) || (!zero_for_one && next_price > limit) {
                limit
            } else {
                next_price
            };
        let (p, amount_in, amount_out, fee) =
            m::swap_math::compute_swap_step(price, target, liquidity, remaining, state.fee)
                .unwrap();
        price = p;
        remaining -= I256::try_from(amount_in + fee).unwrap();
        calculated -= I256::try_from(amount_out).unwrap();
        if price == next_price {
            if initialized {
                let net = nets[&next];
                let net = if zero_for_one { -net } else { net };
                liquidity = m::liquidity_math::add_delta(liquidity, net).unwrap();
            }
            tick = if zero_for_one { next - 1 } else { next };
        } else if price != start {
            tick = m::tick_math::get_tick_at_sqrt_ratio(price).unwrap();
        }
    }
    (calculated.unsigned_abs(), price, tick, liquidity)
}

fn bench(c: &mut Criterion) {
    let state = pool();
    let amount = amount_crossing(&state, 10);
    let ours = state.quote_exact_in(true, amount).unwrap();
    assert_eq!(ours.ticks_crossed, 10);

    // The same pool as a word bitmap for the anchor.
    let mut bitmap = HashMap::new();
    let mut nets = HashMap::new();
    for (&t, &net) in &state.ticks {
        uniswap_v3_math::tick_bitmap::flip_tick(&mut bitmap, t, state.tick_spacing).unwrap();
        nets.insert(t, net);
    }
    let anchor = anchor_swap(&bitmap, &nets, &state, true, amount);
    assert_eq!(
        anchor,
        (ours.amount_out, U256::from(ours.sqrt_price_after), ours.tick_after, ours.liquidity_after),
        "the anchor computes the same swap"
    );

    let mut g = c.benchmark_group("v3_quote_10_ticks");
    g.bench_function("mev_swap_math", |b| {
        b.iter(|| black_box(&state).quote_exact_in(black_box(true), black_box(amount)))
    });
    g.bench_function("uniswap_v3_math_anchor", |b| {
        b.iter(|| {
            anchor_swap(&bitmap, &nets, black_box(&state), black_box(true), black_box(amount))
        })
    });
    // The amounts alone (what a search evaluating many inputs calls).
    g.bench_function("mev_swap_math_amounts", |b| {
        b.iter(|| black_box(&state).quote_exact_in_amounts(black_box(true), black_box(amount)))
    });
    g.finish();

    let mut g = c.benchmark_group("v3_quote_within_one_tick");
    let small = U256::from(10u64).pow(U256::from(15));
    g.bench_function("mev_swap_math", |b| {
        b.iter(|| black_box(&state).quote_exact_in(black_box(true), black_box(small)))
    });
    g.bench_function("uniswap_v3_math_anchor", |b| {
        b.iter(|| anchor_swap(&bitmap, &nets, black_box(&state), black_box(true), black_box(small)))
    });
    g.bench_function("mev_swap_math_amounts", |b| {
        b.iter(|| black_box(&state).quote_exact_in_amounts(black_box(true), black_box(small)))
    });
    g.finish();

    let e18 = U256::from(10u64).pow(U256::from(18));
    let (r_in, r_out) = (U256::from(1_234_567) * e18, U256::from(987_654_321) * e18);
    c.bench_function("v2_get_amount_out", |b| {
        b.iter(|| get_amount_out(black_box(e18), black_box(r_in), black_box(r_out), V2Fee::UNISWAP))
    });

    let mut g = c.benchmark_group("tick_math");
    g.bench_function("get_sqrt_ratio_at_tick/mev_swap_math", |b| {
        b.iter(|| get_sqrt_ratio_at_tick(black_box(-123_457)))
    });
    g.bench_function("get_sqrt_ratio_at_tick/uniswap_v3_math", |b| {
        b.iter(|| uniswap_v3_math::tick_math::get_sqrt_ratio_at_tick(black_box(-123_457)))
    });
    let price = get_sqrt_ratio_at_tick(-123_457).unwrap() + U256::from(12_345);
    g.bench_function("get_tick_at_sqrt_ratio/mev_swap_math", |b| {
        b.iter(|| get_tick_at_sqrt_ratio(black_box(price)))
    });
    g.bench_function("get_tick_at_sqrt_ratio/uniswap_v3_math", |b| {
        b.iter(|| uniswap_v3_math::tick_math::get_tick_at_sqrt_ratio(black_box(price)))
    });
    let (a, bb, d) =
        (U256::MAX / U256::from(3), U256::MAX / U256::from(7), U256::MAX / U256::from(5));
    g.bench_function("mul_div_512/mev_swap_math", |b| {
        b.iter(|| mul_div(black_box(a), black_box(bb), black_box(d)))
    });
    g.bench_function("mul_div_512/uniswap_v3_math", |b| {
        b.iter(|| uniswap_v3_math::full_math::mul_div(black_box(a), black_box(bb), black_box(d)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
