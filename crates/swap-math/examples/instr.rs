//! Instruction counts for the quote bench's operations under callgrind: runs one operation
//! `N` times; the per-operation count is the difference of two runs over the difference of
//! their `N`s (start-up and set-up cancel out).
//!
//! ```sh
//! cargo build --release -p mev-swap-math --example instr
//! for n in 1000 11000; do
//!   valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/examples/instr v3_one_tick $n 2>&1 | grep refs
//! done
//! ```
//!
//! Operations: `v2`, `v3_one_tick`, `v3_10_ticks`, `v3_one_tick_amounts`, `v3_10_ticks_amounts`
//! (the amounts-only quote), `tick_at_sqrt_ratio`, `sqrt_ratio_at_tick`
//! (tick -123457), `sqrt_ratio_at_positive_tick` (123457), `mul_div_512`.

use std::{collections::BTreeMap, hint::black_box};

use alloy_primitives::{U256, aliases::U160};
use mev_swap_math::{
    MAX_TICK, MIN_TICK, V2Fee, V3State, get_amount_out, get_sqrt_ratio_at_tick,
    get_tick_at_sqrt_ratio, mul_div,
};

/// The quote bench's pool: 0.3 %, price 1, 40 nested positions `[-60k, 60k]`.
fn pool() -> V3State {
    let mut ticks = BTreeMap::new();
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

fn main() {
    let mut args = std::env::args().skip(1);
    let op = args.next().expect("operation");
    let n: u64 = args.next().expect("iterations").parse().expect("a count");
    let state = pool();
    let e18 = U256::from(10u64).pow(U256::from(18));
    // The bench's 10-tick input (its `amount_crossing(&state, 10)`).
    let ten_ticks = U256::from(135_735_347_656_184_847_197_u128);
    let small = U256::from(10u64).pow(U256::from(15));
    let (r_in, r_out) = (U256::from(1_234_567) * e18, U256::from(987_654_321) * e18);
    let price = get_sqrt_ratio_at_tick(-123_457).unwrap() + U256::from(12_345);
    let (a, b, d) =
        (U256::MAX / U256::from(3), U256::MAX / U256::from(7), U256::MAX / U256::from(5));
    for _ in 0..n {
        match op.as_str() {
            "v2" => {
                black_box(
                    get_amount_out(
                        black_box(e18),
                        black_box(r_in),
                        black_box(r_out),
                        V2Fee::UNISWAP,
                    )
                    .ok(),
                );
            }
            "v3_one_tick" => {
                black_box(black_box(&state).quote_exact_in(black_box(true), black_box(small)).ok());
            }
            "v3_one_tick_amounts" => {
                black_box(
                    black_box(&state)
                        .quote_exact_in_amounts(black_box(true), black_box(small))
                        .ok(),
                );
            }
            "v3_10_ticks_amounts" => {
                black_box(
                    black_box(&state)
                        .quote_exact_in_amounts(black_box(true), black_box(ten_ticks))
                        .ok(),
                );
            }
            "v3_10_ticks" => {
                black_box(
                    black_box(&state).quote_exact_in(black_box(true), black_box(ten_ticks)).ok(),
                );
            }
            "tick_at_sqrt_ratio" => {
                black_box(get_tick_at_sqrt_ratio(black_box(price)).ok());
            }
            "sqrt_ratio_at_tick" => {
                black_box(get_sqrt_ratio_at_tick(black_box(-123_457)).ok());
            }
            "sqrt_ratio_at_positive_tick" => {
                black_box(get_sqrt_ratio_at_tick(black_box(123_457)).ok());
            }
            "mul_div_512" => {
                black_box(mul_div(black_box(a), black_box(b), black_box(d)).ok());
            }
            _ => panic!("unknown operation {op}"),
        }
    }
}
