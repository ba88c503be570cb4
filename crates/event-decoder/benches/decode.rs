//! Decode throughput on a mixed batch of logs, one core.

use alloy_primitives::{
    Address, B256, I256, Log, U256,
    aliases::{I24, U112, U160},
};
use alloy_sol_types::SolEvent;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mev_event_decoder::{
    Decoder, Protocol, Registry,
    events::{aave_v3, balancer_v2, chainlink, compound_v2, curve, uniswap_v2, uniswap_v3},
};

/// A batch in rough proportion to a busy block on an L2: mostly swaps and syncs, some lending
/// and oracle events, a few array-carrying Curve and Balancer events.
fn mixed_batch() -> (Vec<Log>, Registry) {
    let a = |n: u8| Address::repeat_byte(n);
    let amt = |n: u64| U256::from(n) * U256::from(1_000_000_007u64);
    let mut registry = Registry::new();
    let mut logs = Vec::new();
    for k in 0..100u64 {
        let pair = a(1 + (k % 8) as u8);
        let v3 = a(20 + (k % 8) as u8);
        let aave = a(40);
        let ctoken = a(41);
        let feed = a(42);
        let curve_pool = a(43);
        let vault = a(44);
        registry.extend([
            (pair, Protocol::UniswapV2),
            (v3, Protocol::UniswapV3),
            (aave, Protocol::AaveV3),
            (ctoken, Protocol::CompoundV2),
            (feed, Protocol::Chainlink),
            (curve_pool, Protocol::Curve),
            (vault, Protocol::BalancerV2),
        ]);
        let mut push = |address, data| logs.push(Log { address, data });
        push(
            pair,
            uniswap_v2::Sync { reserve0: U112::from(k * 7 + 1), reserve1: U112::from(k * 13 + 1) }
                .encode_log_data(),
        );
        push(
            pair,
            uniswap_v2::Swap {
                sender: a(90),
                amount0In: amt(k),
                amount1In: U256::ZERO,
                amount0Out: U256::ZERO,
                amount1Out: amt(k + 1),
                to: a(91),
            }
            .encode_log_data(),
        );
        push(
            v3,
            uniswap_v3::Swap {
                sender: a(90),
                recipient: a(91),
                amount0: I256::try_from(-(k as i64) - 1).unwrap_or_default(),
                amount1: I256::try_from(k as i64 + 5).unwrap_or_default(),
                sqrtPriceX96: U160::from(79_228_162_514_264_337_593_543_950_336u128),
                liquidity: 1_000_000 + u128::from(k),
                tick: I24::try_from(-(k as i32)).unwrap_or_default(),
            }
            .encode_log_data(),
        );
        push(
            v3,
            uniswap_v3::Swap {
                sender: a(92),
                recipient: a(93),
                amount0: I256::try_from(k as i64 + 9).unwrap_or_default(),
                amount1: I256::try_from(-(k as i64) - 2).unwrap_or_default(),
                sqrtPriceX96: U160::from(79_228_162_514_264_337_593_543_950_000u128),
                liquidity: 2_000_000,
                tick: I24::try_from(k as i32).unwrap_or_default(),
            }
            .encode_log_data(),
        );
        if k % 2 == 0 {
            push(
                aave,
                aave_v3::ReserveDataUpdated {
                    reserve: a(60),
                    liquidityRate: amt(1),
                    stableBorrowRate: U256::ZERO,
                    variableBorrowRate: amt(2),
                    liquidityIndex: amt(3),
                    variableBorrowIndex: amt(4),
                }
                .encode_log_data(),
            );
            push(
                aave,
                aave_v3::Borrow {
                    reserve: a(60),
                    user: a(61),
                    onBehalfOf: a(61),
                    amount: amt(k),
                    interestRateMode: 2,
                    borrowRate: amt(5),
                    referralCode: 0,
                }
                .encode_log_data(),
            );
        } else {
            push(
                ctoken,
                compound_v2::AccrueInterest {
                    cashPrior: amt(1),
                    interestAccumulated: amt(2),
                    borrowIndex: amt(3),
                    totalBorrows: amt(4),
                }
                .encode_log_data(),
            );
            push(
                ctoken,
                compound_v2::Mint { minter: a(62), mintAmount: amt(k), mintTokens: amt(k + 3) }
                    .encode_log_data(),
            );
        }
        if k % 4 == 0 {
            push(
                feed,
                chainlink::AnswerUpdated {
                    current: I256::try_from(300_000_000_000i64).unwrap_or_default(),
                    roundId: U256::from(k),
                    updatedAt: U256::from(1_700_000_000u64),
                }
                .encode_log_data(),
            );
            push(
                curve_pool,
                curve::TokenExchange {
                    buyer: a(70),
                    sold_id: 0,
                    tokens_sold: amt(k),
                    bought_id: 1,
                    tokens_bought: amt(k),
                }
                .encode_log_data(),
            );
        }
        if k % 10 == 0 {
            push(
                curve_pool,
                curve::ng::AddLiquidity {
                    provider: a(70),
                    token_amounts: vec![amt(1), amt(2)],
                    fees: vec![amt(3), amt(4)],
                    invariant: amt(5),
                    token_supply: amt(6),
                }
                .encode_log_data(),
            );
            push(
                vault,
                balancer_v2::Swap {
                    poolId: B256::repeat_byte(7),
                    tokenIn: a(80),
                    tokenOut: a(81),
                    amountIn: amt(k),
                    amountOut: amt(k),
                }
                .encode_log_data(),
            );
        }
    }
    (logs, registry)
}

fn bench_decode(c: &mut Criterion) {
    let (logs, registry) = mixed_batch();
    let open = Decoder::new();
    let watched = Decoder::with_registry(registry);
    assert!(logs.iter().all(|l| open.decode(l).is_ok() && watched.decode(l).is_ok()));

    let mut group = c.benchmark_group("decode_mixed_batch");
    group.throughput(Throughput::Elements(logs.len() as u64));
    group.bench_function(format!("open_{}_logs", logs.len()), |b| {
        b.iter(|| {
            let mut ok = 0usize;
            for log in &logs {
                ok += usize::from(open.decode(std::hint::black_box(log)).is_ok());
            }
            ok
        });
    });
    group.bench_function(format!("registry_{}_logs", logs.len()), |b| {
        b.iter(|| {
            let mut ok = 0usize;
            for log in &logs {
                ok += usize::from(watched.decode(std::hint::black_box(log)).is_ok());
            }
            ok
        });
    });
    group.finish();

    let sync = &logs[0];
    c.bench_function("decode_one_v2_sync", |b| b.iter(|| open.decode(std::hint::black_box(sync))));
    let v3 = &logs[2];
    c.bench_function("decode_one_v3_swap", |b| b.iter(|| open.decode(std::hint::black_box(v3))));
}

criterion_group!(benches, bench_decode);
criterion_main!(benches);
