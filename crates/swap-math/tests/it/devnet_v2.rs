//! V2 against real v2-core 1.0.1 pairs on anvil.
//!
//! The devnet has no v2 router, so the pair itself judges: after the input is transferred in,
//! `swap` for [`get_amount_out`]'s output passes the pair's `K` check and one wei more fails it
//! (the output is the largest the pair gives); [`get_amount_in`]'s input buys the output and the
//! least input the pair accepts is one below it, or two when the library's `⌊n/d⌋ + 1` overshoots
//! an exact division. Only the Uniswap fee (997/1000) can be checked this way: it is the pair's.

use alloy_primitives::{Address, U256};
use mev_devnet::{Devnet, UniswapV2Pair, bindings::IUniswapV2Pair};
use mev_swap_math::{V2Fee, get_amount_in, get_amount_out};
use rand::{Rng, SeedableRng, rngs::StdRng};

use crate::common::{log_uniform, seed};

const ROUNDS_PER_PAIR: usize = 15;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn amounts_sit_on_the_pairs_k_boundary() {
    let mut rng = StdRng::seed_from_u64(seed(0x5eed_0002));
    let devnet = Devnet::start().await.expect("devnet (run: bash scripts/devnet-setup)");
    let me = devnet.deployer();
    let supply = U256::MAX >> 8;
    let v2 = devnet.deploy_uniswap_v2().await.unwrap();
    let (mut outs, mut ins, mut exact_divisions) = (0, 0, 0);
    // Reserves of very different sizes and ratios (up to uint112).
    for (bits0, bits1) in [(60, 60), (80, 110), (100, 40)] {
        let a = devnet.deploy_erc20(supply).await.unwrap();
        let b = devnet.deploy_erc20(supply).await.unwrap();
        let pair = v2.create_pair(a, b).await.unwrap();
        pair.add_liquidity(me, log_uniform(&mut rng, bits0), log_uniform(&mut rng, bits1))
            .await
            .unwrap();
        for _ in 0..ROUNDS_PER_PAIR {
            let zero_for_one = rng.random_bool(0.5);
            let (reserve_in, reserve_out) = reserves(&pair, zero_for_one).await;

            // Exact in: up to twice the input reserve, keeping the balance within uint112.
            let room = (U256::from(1) << 112) - U256::from(1) - reserve_in;
            let amount_in =
                log_uniform(&mut rng, reserve_in.bit_len() + 1).min(room / U256::from(2));
            let out = get_amount_out(amount_in, reserve_in, reserve_out, V2Fee::UNISWAP).unwrap();
            transfer_in(&devnet, &pair, zero_for_one, amount_in).await;
            if !out.is_zero() {
                assert!(swap_passes(&devnet, &pair, zero_for_one, out).await, "out {out}");
            }
            let more = out + U256::from(1);
            if more < reserve_out {
                assert!(!swap_passes(&devnet, &pair, zero_for_one, more).await, "out {more}");
            }
            settle(&devnet, &pair, zero_for_one, out).await;
            outs += 1;

            // Exact out: below the output reserve.
            let (reserve_in, reserve_out) = reserves(&pair, zero_for_one).await;
            let amount_out = log_uniform(&mut rng, reserve_out.bit_len()) % reserve_out;
            if amount_out.is_zero() {
                continue;
            }
            let need = get_amount_in(amount_out, reserve_in, reserve_out, V2Fee::UNISWAP).unwrap();
            let n = reserve_in * amount_out * U256::from(1000);
            let d = (reserve_out - amount_out) * U256::from(997);
            let overshoot = if (n % d).is_zero() { U256::from(2) } else { U256::from(1) };
            exact_divisions += usize::from(overshoot == U256::from(2));
            // The least accepted input, less one, is refused...
            transfer_in(&devnet, &pair, zero_for_one, need - overshoot).await;
            assert!(!swap_passes(&devnet, &pair, zero_for_one, amount_out).await, "in {need}");
            // ... one more passes, and so does the library's input.
            transfer_in(&devnet, &pair, zero_for_one, U256::from(1)).await;
            assert!(swap_passes(&devnet, &pair, zero_for_one, amount_out).await, "in {need}");
            transfer_in(&devnet, &pair, zero_for_one, overshoot - U256::from(1)).await;
            settle(&devnet, &pair, zero_for_one, amount_out).await;
            ins += 1;
        }
    }
    println!("{outs} get_amount_out and {ins} get_amount_in checked ({exact_divisions} exact)");
    assert!(outs >= 40 && ins >= 30, "{outs} / {ins}");
}

async fn reserves(pair: &UniswapV2Pair, zero_for_one: bool) -> (U256, U256) {
    let r = pair.reserves().await.unwrap();
    let (r0, r1) = (U256::from(r.reserve0), U256::from(r.reserve1));
    if zero_for_one { (r0, r1) } else { (r1, r0) }
}

async fn transfer_in(devnet: &Devnet, pair: &UniswapV2Pair, zero_for_one: bool, amount: U256) {
    if amount.is_zero() {
        return;
    }
    let token = if zero_for_one { pair.token0() } else { pair.token1() };
    devnet.transfer(token, devnet.deployer(), pair.address(), amount).await.unwrap();
}

fn swap_call(zero_for_one: bool, out: U256, to: Address) -> IUniswapV2Pair::swapCall {
    let (amount0_out, amount1_out) =
        if zero_for_one { (U256::ZERO, out) } else { (out, U256::ZERO) };
    IUniswapV2Pair::swapCall {
        amount0Out: amount0_out,
        amount1Out: amount1_out,
        to,
        data: Default::default(),
    }
}

/// Would `swap` for `out` pass now (an `eth_call`)? A revert must be the `K` check's (or, with
/// nothing transferred in, the input check's).
async fn swap_passes(devnet: &Devnet, pair: &UniswapV2Pair, zero_for_one: bool, out: U256) -> bool {
    match devnet.call(pair.address(), &swap_call(zero_for_one, out, devnet.deployer())).await {
        Ok(_) => true,
        Err(e) => {
            let e = e.to_string();
            assert!(
                e.contains("UniswapV2: K") || e.contains("UniswapV2: INSUFFICIENT_INPUT_AMOUNT"),
                "unexpected revert: {e}"
            );
            false
        }
    }
}

/// Executes the swap for `out` (or, when it is zero, `sync`s the input into the reserves) so
/// the next round starts from moved reserves.
async fn settle(devnet: &Devnet, pair: &UniswapV2Pair, zero_for_one: bool, out: U256) {
    let me = devnet.deployer();
    if out.is_zero() {
        devnet.send(me, pair.address(), &IUniswapV2Pair::syncCall {}).await.unwrap();
    } else {
        devnet.send(me, pair.address(), &swap_call(zero_for_one, out, me)).await.unwrap();
    }
}
