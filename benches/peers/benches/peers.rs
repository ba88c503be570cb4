//! Peer anchors for mev-swap-math's V3 quote: the same pool state quoted by
//! `uniswap-v3-sdk` 7 (`Pool::get_output_amount` over a `TickListDataProvider`) and by
//! amms-rs 0.7.4 (`UniswapV3Pool::simulate_swap` over its tick bitmap and tick map). The setup
//! asserts that both give our amount out, wei for wei, for every benched input.

use std::{
    collections::{BTreeMap, HashMap},
    future::Future,
    hint::black_box,
    pin::pin,
    task::{Context, Poll, Waker},
};

use alloy_primitives::{Address, U256, address, aliases::U160};
use amms::amms::{
    Token as AmmsToken,
    amm::AutomatedMarketMaker,
    uniswap_v3::{Info, UniswapV3Pool},
};
use criterion::{Criterion, criterion_group, criterion_main};
use mev_swap_math::{MAX_TICK, MIN_TICK, V3State};
use uniswap_v3_sdk::prelude::{
    FeeAmount, Pool, Tick, TickListDataProvider,
    sdk_core::prelude::{BaseCurrency, CurrencyAmount, FractionBase, FromBig, ToBig, Token},
};

const TOKEN0: Address = address!("1000000000000000000000000000000000000001");
const TOKEN1: Address = address!("2000000000000000000000000000000000000002");

/// The pool of `crates/swap-math/benches/quote.rs`: 0.3 %, price 1, 40 nested positions
/// `[-60k, 60k]` (k = 1..=40).
fn ours() -> V3State {
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

/// `liquidityGross` of each tick: every tick here is the end of exactly one position.
fn gross(net: i128) -> u128 {
    net.unsigned_abs()
}

type SdkPool = Pool<TickListDataProvider>;

fn sdk_pool(state: &V3State) -> SdkPool {
    let ticks = state.ticks.iter().map(|(&t, &net)| Tick::new(t, gross(net), net)).collect();
    let provider = TickListDataProvider::new(ticks, state.tick_spacing);
    let t0 = Token::new(1, TOKEN0, 18, None, None, 0, 0);
    let t1 = Token::new(1, TOKEN1, 18, None, None, 0, 0);
    let pool = Pool::new_with_tick_data_provider(
        t0,
        t1,
        FeeAmount::MEDIUM,
        state.sqrt_price_x96,
        state.liquidity,
        provider,
    )
    .expect("sdk pool");
    assert_eq!(pool.tick_current, state.tick);
    pool
}

fn amms_pool(state: &V3State) -> UniswapV3Pool {
    let mut tick_bitmap: HashMap<i16, U256> = HashMap::new();
    let mut ticks = HashMap::new();
    for (&t, &net) in &state.ticks {
        let compressed = t.div_euclid(state.tick_spacing);
        let word = (compressed >> 8) as i16;
        let bit = compressed.rem_euclid(256) as usize;
        *tick_bitmap.entry(word).or_default() |= U256::from(1) << bit;
        ticks.insert(t, Info::new(gross(net), net, true));
    }
    UniswapV3Pool {
        address: Address::ZERO,
        token_a: AmmsToken::new_with_decimals(TOKEN0, 18),
        token_b: AmmsToken::new_with_decimals(TOKEN1, 18),
        liquidity: state.liquidity,
        sqrt_price: U256::from(state.sqrt_price_x96),
        fee: state.fee,
        tick: state.tick,
        tick_spacing: state.tick_spacing,
        tick_bitmap,
        ticks,
    }
}

/// Polls a future that never waits (the SDK's tick data provider here is in memory).
fn now<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(out) => out,
        Poll::Pending => panic!("the in-memory tick provider never waits"),
    }
}

fn sdk_quote(pool: &SdkPool, input: &CurrencyAmount<Token>) -> U256 {
    let out = now(pool.get_output_amount(input, None)).expect("sdk quote");
    U256::from_big_int(out.quotient())
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

fn bench(c: &mut Criterion) {
    let state = ours();
    let sdk = sdk_pool(&state);
    let amms = amms_pool(&state);
    let cases = [
        ("v3_quote_within_one_tick", U256::from(10u64).pow(U256::from(15))),
        ("v3_quote_10_ticks", amount_crossing(&state, 10)),
    ];
    for (name, amount) in cases {
        let ours = state.quote_exact_in(true, amount).expect("our quote");
        let input = CurrencyAmount::from_raw_amount(sdk.token0.clone(), amount.to_big_int())
            .expect("sdk amount");
        assert!(input.currency.equals(&sdk.token0));
        assert_eq!(sdk_quote(&sdk, &input), ours.amount_out, "{name}: uniswap-v3-sdk differs");
        assert_eq!(
            amms.simulate_swap(TOKEN0, TOKEN1, amount).expect("amms quote"),
            ours.amount_out,
            "{name}: amms-rs differs"
        );
        eprintln!(
            "{name}: amount in {amount}, out {} (all three agree), {} ticks crossed",
            ours.amount_out, ours.ticks_crossed
        );

        let mut g = c.benchmark_group(name);
        g.bench_function("mev_swap_math", |b| {
            b.iter(|| black_box(&state).quote_exact_in(black_box(true), black_box(amount)))
        });
        g.bench_function("uniswap_v3_sdk", |b| {
            b.iter(|| sdk_quote(black_box(&sdk), black_box(&input)))
        });
        g.bench_function("amms_rs", |b| {
            b.iter(|| black_box(&amms).simulate_swap(TOKEN0, TOKEN1, black_box(amount)))
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
