//! `mev-bot quote` against real Uniswap contracts on the devnet: every V3 quote (both
//! directions, exact in and exact out, amounts that cross several initialized ticks) equals
//! `QuoterV2`, every V2 quote equals `getAmountOut`/`getAmountIn` on the pair's reserves and the
//! pair accepts the quoted swap (and refuses one wei more); `--block` answers for that block;
//! refusals and failures are one error line with exit code 2.

use std::process::{Command, Output};

use alloy_primitives::{Address, B256, I256, U256, aliases::U160};
use mev_devnet::{
    BalancerPool, BalancerSwapKind, Devnet, QuerySwapOutcome, QuoterV2, SQRT_PRICE_1_1,
    UniswapV2Pair, UniswapV3Pool, UniswapV4, bindings,
};
use mev_swap_math::{V2Fee, get_amount_in, get_amount_out};
use serde_json::Value;

use crate::market::{json_line, mev_bot};

fn e18(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18))
}

/// `mev-bot quote --rpc-url … --pool … --token-in … --amount …` and `extra`.
fn quote_args(devnet: &Devnet, pool: Address, token_in: Address, amount: U256) -> Vec<String> {
    [
        "quote",
        "--rpc-url",
        devnet.rpc_url(),
        "--pool",
        &pool.to_string(),
        "--token-in",
        &token_in.to_string(),
        "--amount",
        &amount.to_string(),
    ]
    .map(str::to_owned)
    .to_vec()
}

async fn quote(
    devnet: &Devnet,
    pool: Address,
    token_in: Address,
    amount: U256,
    extra: &[&str],
) -> Output {
    let mut args = quote_args(devnet, pool, token_in, amount);
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    mev_bot(args).await
}

fn u256(v: &Value) -> U256 {
    v.as_str().unwrap_or_else(|| panic!("{v} is not a string")).parse().expect("decimal")
}

/// The one `mev-bot: error: …` line of a failed run (exit code 2, nothing on stdout).
fn error_line(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(out.stdout.is_empty(), "{out:?}");
    let stderr = String::from_utf8(out.stderr.clone()).expect("UTF-8");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("mev-bot: error: "), "{stderr}");
    stderr
}

struct Market {
    devnet: Devnet,
    me: Address,
    pair: UniswapV2Pair,
    pool: UniswapV3Pool,
    quoter: QuoterV2,
}

/// Two tokens, their V2 pair (1M : 2M) and their 0.3 % V3 pool at price 1 with a full-range
/// position and six more over different ranges (three around the price, two below it, one
/// above), thin enough that a few hundred tokens cross several initialized ticks, then one V3
/// swap so the price is off a tick.
async fn market() -> Market {
    let devnet = Devnet::start().await.expect("anvil must start (run `bash scripts/devnet-setup`)");
    devnet.deploy_multicall3().await.expect("deploy Multicall3");
    let me = devnet.deployer();
    let a = devnet.deploy_erc20(e18(1_000_000_000)).await.unwrap();
    let b = devnet.deploy_erc20(e18(1_000_000_000)).await.unwrap();
    let v2 = devnet.deploy_uniswap_v2().await.unwrap();
    let pair = v2.create_pair(a, b).await.unwrap();
    pair.add_liquidity(me, e18(1_000_000), e18(2_000_000)).await.unwrap();
    let v3 = devnet.deploy_uniswap_v3().await.unwrap();
    let quoter = v3.deploy_quoter_v2().await.unwrap();
    let pool = v3.create_pool(a, b, 3_000, SQRT_PRICE_1_1).await.unwrap();
    let (lo, hi) = pool.full_range();
    pool.mint_position(me, lo, hi, e18(1_000), e18(1_000)).await.unwrap();
    for (lower, upper, size) in [
        (-60, 60, 30),
        (-600, 600, 300),
        (-1_800, -120, 400),
        (180, 2_400, 400),
        (-6_000, 6_000, 500),
        (-12_000, -3_000, 300),
    ] {
        pool.mint_position(me, lower, upper, e18(size), e18(size)).await.unwrap();
    }
    pool.swap_exact_in(me, true, e18(7)).await.unwrap();
    Market { devnet, me, pair, pool, quoter }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quotes_equal_quoter_v2_and_the_pair() {
    let m = market().await;
    let (d, pool, pair) = (&m.devnet, &m.pool, &m.pair);

    // V3: both directions, exact in and exact out, from dust to amounts crossing several
    // initialized ticks; --kind given for every other quote, detected for the rest.
    let amounts = [1_000u64, 1_000_000_000_000_000]
        .map(U256::from)
        .into_iter()
        .chain([1, 37, 180, 450, 900].map(e18));
    let amounts: Vec<U256> = amounts.collect();
    let (mut v3_quotes, mut crossing, mut max_crossed) = (0, 0, 0);
    for zero_for_one in [true, false] {
        let (token_in, token_out) = if zero_for_one {
            (pool.token0(), pool.token1())
        } else {
            (pool.token1(), pool.token0())
        };
        for exact_out in [false, true] {
            for &amount in &amounts {
                let mut extra = Vec::new();
                if exact_out {
                    extra.push("--exact-out");
                }
                if v3_quotes % 2 == 0 {
                    extra.extend(["--kind", "uniswap-v3"]);
                }
                let got = json_line(&quote(d, pool.address(), token_in, amount, &extra).await);
                let theirs = if exact_out {
                    m.quoter.quote_exact_output_single(pool, zero_for_one, amount, U160::ZERO).await
                } else {
                    m.quoter.quote_exact_input_single(pool, zero_for_one, amount, U160::ZERO).await
                }
                .unwrap();
                let what = format!("zero_for_one {zero_for_one}, exact_out {exact_out}, {amount}");
                assert_eq!(got["kind"], "uniswap-v3", "{what}: {got}");
                assert_eq!(got["pool"], pool.address().to_checksum(None), "{what}");
                assert_eq!(got["token_in"], token_in.to_checksum(None), "{what}");
                assert_eq!(got["token_out"], token_out.to_checksum(None), "{what}");
                let (ours, fixed) = if exact_out {
                    (u256(&got["amount_in"]), u256(&got["amount_out"]))
                } else {
                    (u256(&got["amount_out"]), u256(&got["amount_in"]))
                };
                assert_eq!(fixed, amount, "{what}: {got}");
                assert_eq!(ours, theirs.amount, "{what}: {got}");
                assert_eq!(
                    u256(&got["sqrt_price_x96_after"]),
                    U256::from(theirs.sqrt_price_x96_after),
                    "{what}: {got}"
                );
                // QuoterV2's count (its PoolTicksCounter) can differ from the ticks crossed on
                // a word or tick boundary; on these quotes it does not.
                let crossed = got["ticks_crossed"].as_u64().unwrap();
                assert_eq!(crossed, u64::from(theirs.initialized_ticks_crossed), "{what}: {got}");
                crossing += usize::from(crossed > 0);
                max_crossed = max_crossed.max(crossed);
                v3_quotes += 1;
            }
        }
    }
    assert_eq!(v3_quotes, 28);
    assert!(
        crossing >= 8 && max_crossed >= 3,
        "{crossing} quotes crossed ticks, at most {max_crossed}"
    );
    eprintln!(
        "quote_cli: {v3_quotes} V3 quotes equal QuoterV2 (amount, price after, ticks crossed; \
         {crossing} crossing ticks, up to {max_crossed})"
    );

    // V2, on the pair's reserves.
    let r = pair.reserves().await.unwrap();
    let (r0, r1) = (U256::from(r.reserve0), U256::from(r.reserve1));
    let mut v2_quotes = 0;
    for zero_for_one in [true, false] {
        let (token_in, r_in, r_out) =
            if zero_for_one { (pair.token0(), r0, r1) } else { (pair.token1(), r1, r0) };
        for exact_out in [false, true] {
            for &amount in &amounts {
                let mut extra = Vec::new();
                if exact_out {
                    extra.push("--exact-out");
                }
                if v2_quotes % 2 == 1 {
                    extra.extend(["--kind", "uniswap-v2"]);
                }
                let got = json_line(&quote(d, pair.address(), token_in, amount, &extra).await);
                let what = format!("zero_for_one {zero_for_one}, exact_out {exact_out}, {amount}");
                assert_eq!(got["kind"], "uniswap-v2", "{what}: {got}");
                let (amount_in, amount_out) = if exact_out {
                    (get_amount_in(amount, r_in, r_out, V2Fee::UNISWAP).unwrap(), amount)
                } else {
                    (amount, get_amount_out(amount, r_in, r_out, V2Fee::UNISWAP).unwrap())
                };
                assert_eq!(u256(&got["amount_in"]), amount_in, "{what}: {got}");
                assert_eq!(u256(&got["amount_out"]), amount_out, "{what}: {got}");
                let (after_in, after_out) = (r_in + amount_in, r_out - amount_out);
                let (after0, after1) =
                    if zero_for_one { (after_in, after_out) } else { (after_out, after_in) };
                assert_eq!(u256(&got["reserve0_after"]), after0, "{what}: {got}");
                assert_eq!(u256(&got["reserve1_after"]), after1, "{what}: {got}");
                v2_quotes += 1;
            }
        }
    }
    eprintln!("quote_cli: {v2_quotes} V2 quotes equal getAmountOut/getAmountIn on the reserves");

    // The same line with and without --kind.
    for (address, token, kind) in [
        (pool.address(), pool.token0(), "uniswap-v3"),
        (pair.address(), pair.token1(), "uniswap-v2"),
    ] {
        let detected = json_line(&quote(d, address, token, e18(3), &[]).await);
        let given = json_line(&quote(d, address, token, e18(3), &["--kind", kind]).await);
        assert_eq!(detected, given);
    }

    // The state at this block, to ask for again later with --block.
    let old_block = d.block_number().await.unwrap();
    let old_v2 = json_line(&quote(d, pair.address(), pair.token0(), e18(250), &[]).await);
    let old_v3 = json_line(&quote(d, pool.address(), pool.token1(), e18(900), &[]).await);
    assert_eq!(old_v2["block"], old_block);
    assert_eq!(old_v3["block"], old_block);

    // The pair takes the quoted output, and not one wei more: exact in (token0 in)...
    let amount_in = e18(250);
    let out = u256(&old_v2["amount_out"]);
    d.transfer(pair.token0(), m.me, pair.address(), amount_in).await.unwrap();
    let swap = |amount0_out, amount1_out| bindings::IUniswapV2Pair::swapCall {
        amount0Out: amount0_out,
        amount1Out: amount1_out,
        to: m.me,
        data: Default::default(),
    };
    let refused = d.send(m.me, pair.address(), &swap(U256::ZERO, out + U256::from(1))).await;
    assert!(refused.is_err(), "the pair paid one wei more than the quote");
    d.send(m.me, pair.address(), &swap(U256::ZERO, out)).await.unwrap();
    let r = pair.reserves().await.unwrap();
    assert_eq!(U256::from(r.reserve0), u256(&old_v2["reserve0_after"]));
    assert_eq!(U256::from(r.reserve1), u256(&old_v2["reserve1_after"]));
    // ...and exact out (token0 out): the quoted input buys it, one wei less does not.
    let want = e18(1_234);
    let q = json_line(&quote(d, pair.address(), pair.token1(), want, &["--exact-out"]).await);
    let pay = u256(&q["amount_in"]);
    d.transfer(pair.token1(), m.me, pair.address(), pay - U256::from(1)).await.unwrap();
    assert!(d.send(m.me, pair.address(), &swap(want, U256::ZERO)).await.is_err());
    d.transfer(pair.token1(), m.me, pair.address(), U256::from(1)).await.unwrap();
    d.send(m.me, pair.address(), &swap(want, U256::ZERO)).await.unwrap();
    let r = pair.reserves().await.unwrap();
    assert_eq!(U256::from(r.reserve0), u256(&q["reserve0_after"]));
    assert_eq!(U256::from(r.reserve1), u256(&q["reserve1_after"]));

    // A V3 swap moves the pool; --block still answers for the old block.
    pool.swap_exact_in(m.me, false, e18(3_000)).await.unwrap();
    let block = old_block.to_string();
    for (old, address, token, amount) in [
        (&old_v2, pair.address(), pair.token0(), e18(250)),
        (&old_v3, pool.address(), pool.token1(), e18(900)),
    ] {
        let now = json_line(&quote(d, address, token, amount, &[]).await);
        assert_ne!(now["amount_out"], old["amount_out"], "{now}");
        let then = json_line(&quote(d, address, token, amount, &["--block", &block]).await);
        assert_eq!(&then, old);
    }

    // Refusals: one error line, exit code 2.
    let stranger = Address::repeat_byte(0x77);
    for address in [pool.address(), pair.address()] {
        let e = error_line(&quote(d, address, stranger, e18(1), &[]).await);
        assert!(e.contains(&format!("token {stranger} is not a token of pool {address}")), "{e}");
    }
    // V2 exact out of the whole reserve: getAmountIn reverts.
    let r = pair.reserves().await.unwrap();
    let e = error_line(
        &quote(d, pair.address(), pair.token0(), U256::from(r.reserve1), &["--exact-out"]).await,
    );
    assert!(e.contains("is not below reserve_out"), "{e}");
    // A V3 swap far past the loaded ticks, then the same with every tick loaded.
    let huge = e18(100_000_000);
    let e =
        error_line(&quote(d, pool.address(), pool.token0(), huge, &["--tick-words", "0"]).await);
    assert!(e.contains("--tick-words 0") && e.ends_with("raise --tick-words\n"), "{e}");
    let all =
        json_line(&quote(d, pool.address(), pool.token0(), huge, &["--tick-words", "60"]).await);
    let theirs = m.quoter.quote_exact_input_single(pool, true, huge, U160::ZERO).await.unwrap();
    assert_eq!(u256(&all["amount_out"]), theirs.amount, "{all}");
    assert_eq!(u256(&all["sqrt_price_x96_after"]), U256::from(theirs.sqrt_price_x96_after));
    assert!(all["ticks_crossed"].as_u64().unwrap() >= 5, "{all}");
    // V3 exact out of more than the pool holds (every tick loaded): QuoterV2 reverts too.
    let e = error_line(
        &quote(d, pool.address(), pool.token0(), huge, &["--exact-out", "--tick-words", "60"])
            .await,
    );
    assert!(e.contains("can only be filled up to"), "{e}");
    assert!(m.quoter.quote_exact_output_single(pool, true, huge, U160::ZERO).await.is_err());
    // Not a pool: a token read as neither kind, both reasons named.
    let token = pool.token0();
    let e = error_line(&quote(d, token, pool.token1(), e18(1), &[]).await);
    assert!(
        e.contains(&format!("pool {token} at block"))
            && e.contains("read as uniswap-v3: call reverted")
            && e.contains("read as uniswap-v2: call reverted"),
        "{e}"
    );
    let e = error_line(
        &quote(d, pair.address(), pair.token0(), e18(1), &["--kind", "uniswap-v3"]).await,
    );
    assert!(e.contains("reading the pool as uniswap-v3") && e.contains("call reverted"), "{e}");
    // A block the node does not have.
    let future = (d.block_number().await.unwrap() + 1_000).to_string();
    let e =
        error_line(&quote(d, pair.address(), pair.token0(), e18(1), &["--block", &future]).await);
    assert!(e.contains("reading the pool as uniswap-v3"), "{e}");
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mev-bot"))
}

const ADDR: &str = "0x0000000000000000000000000000000000000001";
const POOL_ID: &str = "0x1111111111111111111111111111111111111111111111111111111111111111";

fn error_of(args: &[&str]) -> String {
    error_line(&bin().args(args).output().unwrap())
}

#[test]
fn bad_arguments_and_an_unreachable_node_exit_2_with_one_error_line() {
    let with = |rest: &[&'static str]| -> Vec<&'static str> {
        let mut v = vec!["quote", "--rpc-url", "http://127.0.0.1:9", "--pool", ADDR];
        v.extend(rest);
        v
    };
    for (args, mentions) in [
        (with(&["--token-in", ADDR]), "--amount"),
        (with(&["--token-in", "0x12", "--amount", "1"]), "--token-in"),
        (with(&["--token-in", ADDR, "--amount", "1.5"]), "--amount"),
        (with(&["--token-in", ADDR, "--amount", "1e18"]), "--amount"),
        (with(&["--token-in", ADDR, "--amount", "1", "--kind", "curve"]), "--kind"),
        (with(&["--token-in", ADDR, "--amount", "1", "--tick-words", "70000"]), "--tick-words"),
        (
            with(&[
                "--token-in",
                ADDR,
                "--amount",
                "1",
                "--kind",
                "uniswap-v2",
                "--tick-words",
                "3",
            ]),
            "--tick-words",
        ),
        (with(&["--token-in", ADDR, "--amount", "1", "--v2-fee", "997"]), "--v2-fee"),
        (with(&["--token-in", ADDR, "--amount", "1", "--v2-fee", "a/1000"]), "--v2-fee"),
        (with(&["--token-in", ADDR, "--amount", "1", "--v2-fee", "1001/1000"]), "--v2-fee"),
        (with(&["--token-in", ADDR, "--amount", "1", "--v2-fee", "1/0"]), "--v2-fee"),
        (
            with(&[
                "--token-in",
                ADDR,
                "--amount",
                "1",
                "--v2-fee",
                "9975/10000",
                "--kind",
                "uniswap-v3",
            ]),
            "--v2-fee",
        ),
        (
            with(&[
                "--token-in",
                ADDR,
                "--amount",
                "1",
                "--kind",
                "balancer-v2-weighted",
                "--v2-fee",
                "9975/10000",
            ]),
            "--v2-fee",
        ),
        (with(&["--token-in", ADDR, "--amount", "1", "--token-out", "0x12"]), "--token-out"),
        (
            with(&[
                "--token-in",
                ADDR,
                "--amount",
                "1",
                "--kind",
                "balancer-v2-weighted",
                "--tick-words",
                "1",
            ]),
            "--tick-words",
        ),
        // --pool-id without --kind uniswap-v4, alone or with --pool.
        (
            vec![
                "quote",
                "--rpc-url",
                "http://127.0.0.1:9",
                "--pool-id",
                POOL_ID,
                "--pool-manager",
                ADDR,
                "--state-view",
                ADDR,
                "--token-in",
                ADDR,
                "--amount",
                "1",
            ],
            "--pool-id",
        ),
        (with(&["--token-in", ADDR, "--amount", "1", "--pool-id", POOL_ID]), "--pool-id"),
        // --kind uniswap-v4: --pool-id is needed, with --pool-manager and --state-view, and is
        // 32 bytes.
        (with(&["--token-in", ADDR, "--amount", "1", "--kind", "uniswap-v4"]), "--pool-id"),
        (
            vec![
                "quote",
                "--rpc-url",
                "http://127.0.0.1:9",
                "--kind",
                "uniswap-v4",
                "--pool-id",
                POOL_ID,
                "--token-in",
                ADDR,
                "--amount",
                "1",
            ],
            "--pool-manager",
        ),
        (
            vec![
                "quote",
                "--rpc-url",
                "http://127.0.0.1:9",
                "--kind",
                "uniswap-v4",
                "--pool-id",
                "0x1234",
                "--pool-manager",
                ADDR,
                "--state-view",
                ADDR,
                "--token-in",
                ADDR,
                "--amount",
                "1",
            ],
            "--pool-id",
        ),
        (
            vec![
                "quote",
                "--rpc-url",
                "ws://127.0.0.1:9",
                "--pool",
                ADDR,
                "--token-in",
                ADDR,
                "--amount",
                "1",
            ],
            "--rpc-url",
        ),
    ] {
        let e = error_of(&args);
        assert!(e.contains(mentions), "{args:?}: {e} should mention {mentions}");
    }

    // A closed port: the request fails, on one line, the URL's path and query never shown.
    let secret = "http://127.0.0.1:9/v3/SECRET-KEY?token=HUNTER2";
    let base =
        ["quote", "--rpc-url", secret, "--pool", ADDR, "--token-in", ADDR, "--amount", "0x10"];
    let e = error_of(&base);
    assert!(e.contains("eth_blockNumber"), "{e}");
    let mut at_block = base.to_vec();
    at_block.extend(["--block", "5"]);
    let e2 = error_of(&at_block);
    assert!(e2.contains("reading the pool as uniswap-v3") && e2.contains("127.0.0.1:9"), "{e2}");
    for e in [e, e2] {
        assert!(!e.contains("SECRET") && !e.contains("HUNTER2") && !e.contains("/v3"), "{e}");
    }
}

/// `mev-bot quote` of a Uniswap V4 pool: `--kind uniswap-v4 --pool-id … --pool-manager …
/// --state-view …` and `extra`.
async fn quote_v4(
    v4: &UniswapV4,
    pool_id: B256,
    token_in: Address,
    amount: U256,
    extra: &[&str],
) -> Output {
    let mut args: Vec<String> = [
        "quote",
        "--rpc-url",
        v4.devnet().rpc_url(),
        "--kind",
        "uniswap-v4",
        "--pool-id",
        &pool_id.to_string(),
        "--pool-manager",
        &v4.pool_manager().to_string(),
        "--state-view",
        &v4.state_view().to_string(),
        "--token-in",
        &token_in.to_string(),
        "--amount",
        &amount.to_string(),
    ]
    .map(str::to_owned)
    .to_vec();
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    mev_bot(args).await
}

fn units(n: u64, decimals: u8) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(decimals))
}

fn wad_milli(milli: u64) -> U256 {
    U256::from(milli) * U256::from(10u64).pow(U256::from(15))
}

/// Every Balancer quote of `pool` between each ordered pair of its tradable tokens (named with
/// `--token-out`), exact in and exact out, against `BalancerQueries.querySwap`; the balances
/// after are the Vault's balances moved by the quoted amounts. Returns the quotes compared.
async fn balancer_quotes_equal_query_swap(
    d: &Devnet,
    pool: &BalancerPool,
    kind: &str,
    decimals: &[(Address, u8)],
) -> usize {
    let balances = pool.balances().await.unwrap();
    let tradable: Vec<usize> =
        (0..pool.tokens().len()).filter(|&i| Some(i) != pool.bpt_index()).collect();
    let decimals_of = |t: Address| decimals.iter().find(|(a, _)| *a == t).unwrap().1;
    let mut compared = 0;
    for &i in &tradable {
        for &j in tradable.iter().filter(|&&j| j != i) {
            let (token_in, token_out) = (pool.tokens()[i], pool.tokens()[j]);
            for exact_out in [false, true] {
                let fixed_decimals = decimals_of(if exact_out { token_out } else { token_in });
                for n in [1, 1_000, 50_000] {
                    let amount = units(n, fixed_decimals);
                    let out = token_out.to_string();
                    let mut extra = vec!["--kind", kind, "--token-out", &out];
                    if exact_out {
                        extra.push("--exact-out");
                    }
                    let got = json_line(&quote(d, pool.address(), token_in, amount, &extra).await);
                    let what = format!("{kind} {token_in} → {token_out}, exact_out {exact_out}");
                    let swap_kind = if exact_out {
                        BalancerSwapKind::GivenOut
                    } else {
                        BalancerSwapKind::GivenIn
                    };
                    let theirs = match pool.query_swap(swap_kind, token_in, token_out, amount).await
                    {
                        Ok(QuerySwapOutcome::Amount(a)) => a,
                        other => panic!("{what}, {amount}: querySwap {other:?}"),
                    };
                    assert_eq!(got["kind"], kind, "{what}: {got}");
                    assert_eq!(got["pool"], pool.address().to_checksum(None), "{what}");
                    assert_eq!(got["pool_id"], pool.id().to_string(), "{what}");
                    assert_eq!(got["token_out"], token_out.to_checksum(None), "{what}");
                    let (amount_in, amount_out) =
                        (u256(&got["amount_in"]), u256(&got["amount_out"]));
                    let (ours, fixed) =
                        if exact_out { (amount_in, amount_out) } else { (amount_out, amount_in) };
                    assert_eq!(fixed, amount, "{what}: {got}");
                    assert_eq!(ours, theirs, "{what}, {amount}: {got}");
                    assert_eq!(u256(&got["balance_in_after"]), balances[i] + amount_in, "{got}");
                    assert_eq!(u256(&got["balance_out_after"]), balances[j] - amount_out, "{got}");
                    compared += 1;
                }
            }
        }
    }
    compared
}

/// The kinds beyond Uniswap V2/V3 against their chain quoters: a 3-token weighted and a
/// 2-token composable stable Balancer V2 pool against `BalancerQueries.querySwap`, a Uniswap
/// V4 pool against `V4Quoter` (and one real swap against the price after), a V2 pair quoted
/// with PancakeSwap's fee against `get_amount_out`/`get_amount_in` with `V2Fee::PANCAKESWAP`;
/// then the refusals of each (one error line, exit code 2).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn balancer_v4_and_v2_fork_quotes_equal_their_quoters() {
    let d = &Devnet::start().await.expect("anvil must start (run `bash scripts/devnet-setup`)");
    d.deploy_multicall3().await.expect("deploy Multicall3");
    let me = d.deployer();

    // --v2-fee: a normal pair quoted as a PancakeSwap pair.
    let a = d.deploy_erc20(e18(1_000_000_000)).await.unwrap();
    let b = d.deploy_erc20(e18(1_000_000_000)).await.unwrap();
    let pair = d.deploy_uniswap_v2().await.unwrap().create_pair(a, b).await.unwrap();
    pair.add_liquidity(me, e18(1_000_000), e18(3_000_000)).await.unwrap();
    let r = pair.reserves().await.unwrap();
    let (r0, r1) = (U256::from(r.reserve0), U256::from(r.reserve1));
    let pancake = V2Fee::PANCAKESWAP;
    for (zero_for_one, exact_out, amount) in [
        (true, false, e18(250)),
        (false, false, e18(7)),
        (true, true, e18(99)),
        (false, true, U256::from(12_345)),
    ] {
        let (token_in, r_in, r_out) =
            if zero_for_one { (pair.token0(), r0, r1) } else { (pair.token1(), r1, r0) };
        let mut extra = vec!["--v2-fee", "9975/10000"];
        if exact_out {
            extra.push("--exact-out");
        }
        let got = json_line(&quote(d, pair.address(), token_in, amount, &extra).await);
        extra.extend(["--kind", "uniswap-v2"]);
        assert_eq!(json_line(&quote(d, pair.address(), token_in, amount, &extra).await), got);
        let (amount_in, amount_out) = if exact_out {
            (get_amount_in(amount, r_in, r_out, pancake).unwrap(), amount)
        } else {
            (amount, get_amount_out(amount, r_in, r_out, pancake).unwrap())
        };
        assert_eq!(got["kind"], "uniswap-v2", "{got}");
        assert_eq!(u256(&got["amount_in"]), amount_in, "{got}");
        assert_eq!(u256(&got["amount_out"]), amount_out, "{got}");
        let uniswap = json_line(&quote(d, pair.address(), token_in, amount, &extra[2..]).await);
        let computed = if exact_out { "amount_in" } else { "amount_out" };
        assert_ne!(uniswap[computed], got[computed], "the fee made no difference: {got}");
        let (after_in, after_out) = (r_in + amount_in, r_out - amount_out);
        let (after0, after1) =
            if zero_for_one { (after_in, after_out) } else { (after_out, after_in) };
        assert_eq!(u256(&got["reserve0_after"]), after0, "{got}");
        assert_eq!(u256(&got["reserve1_after"]), after1, "{got}");
    }
    // --token-out is checked on a pair too.
    let out = pair.token1().to_string();
    let with_out = json_line(
        &quote(
            d,
            pair.address(),
            pair.token0(),
            e18(5),
            &["--v2-fee", "9975/10000", "--token-out", &out],
        )
        .await,
    );
    assert_eq!(u256(&with_out["amount_out"]), get_amount_out(e18(5), r0, r1, pancake).unwrap());
    let stranger = Address::repeat_byte(0x77).to_string();
    let e = error_line(
        &quote(d, pair.address(), pair.token0(), e18(5), &["--token-out", &stranger]).await,
    );
    assert!(e.contains("is not a token of pool"), "{e}");
    eprintln!(
        "quote_cli: V2 quotes with --v2-fee 9975/10000 equal get_amount_out/in with PANCAKESWAP"
    );

    // Balancer V2: a 3-token 50/30/20 weighted pool (1 % fee) and a 2-token composable stable
    // pool (A = 200, 0.04 %, a rate provider at 1.05 on one token), tokens of 18, 6 and 8 decimals.
    let bal = d.deploy_balancer_v2().await.unwrap();
    let vault = bal.vault();
    let mut decimals = Vec::new();
    for (symbol, dec) in [("WAD", 18u8), ("USD", 6), ("BTC", 8)] {
        let token = bal.deploy_token(symbol, dec).await.unwrap();
        bal.mint(token, me, units(1 << 40, dec)).await.unwrap();
        d.approve(token, me, vault, U256::MAX).await.unwrap();
        decimals.push((token, dec));
    }
    let [t18, t6, t8] = [decimals[0].0, decimals[1].0, decimals[2].0];
    let weights = [(t18, wad_milli(500)), (t6, wad_milli(300)), (t8, wad_milli(200))];
    let weighted = bal.create_weighted_pool(&weights, wad_milli(10)).await.unwrap();
    let amounts: Vec<U256> = weighted
        .tokens()
        .iter()
        .map(|t| {
            let (w, dec) = [(t18, 500, 18), (t6, 300, 6), (t8, 200, 8)]
                .into_iter()
                .find_map(|(a, w, dec)| (a == *t).then_some((w, dec)))
                .unwrap();
            units(w * 5_000, dec)
        })
        .collect();
    weighted.initialize(me, &amounts).await.unwrap();
    let rate = bal.deploy_rate_provider(wad_milli(1_050)).await.unwrap();
    let stable = bal
        .create_composable_stable_pool(
            &[(t18, Some(rate)), (t6, None)],
            U256::from(200),
            U256::from(400_000_000_000_000u64),
            U256::from(365 * 24 * 3_600),
        )
        .await
        .unwrap();
    let amounts: Vec<U256> = stable
        .tokens()
        .iter()
        .map(|&t| match t {
            _ if t == t18 => units(1_000_000, 18),
            _ if t == t6 => units(1_000_000, 6),
            _ => U256::ZERO, // the BPT
        })
        .collect();
    stable.initialize(me, &amounts).await.unwrap();
    let weighted_quotes =
        balancer_quotes_equal_query_swap(d, &weighted, "balancer-v2-weighted", &decimals).await;
    let stable_quotes =
        balancer_quotes_equal_query_swap(d, &stable, "balancer-v2-composable-stable", &decimals)
            .await;
    assert_eq!((weighted_quotes, stable_quotes), (36, 12));
    // A 2-token pool needs no --token-out: the same line without it.
    let kind = ["--kind", "balancer-v2-composable-stable"];
    let out = t6.to_string();
    let named = [kind[0], kind[1], "--token-out", &out];
    assert_eq!(
        json_line(&quote(d, stable.address(), t18, e18(3), &kind).await),
        json_line(&quote(d, stable.address(), t18, e18(3), &named).await)
    );
    eprintln!(
        "quote_cli: {weighted_quotes} weighted (3 tokens, --token-out) and {stable_quotes} \
         composable stable Balancer quotes equal querySwap"
    );
    // Refusals: 3 tokens without --token-out, the stable pool's own BPT, a pair read as
    // Balancer.
    let e = error_line(
        &quote(d, weighted.address(), t18, e18(1), &["--kind", "balancer-v2-weighted"]).await,
    );
    assert!(e.contains("trades 3 tokens") && e.contains("--token-out"), "{e}");
    let bpt = stable.address().to_string();
    let e = error_line(
        &quote(d, stable.address(), t18, e18(1), &[kind[0], kind[1], "--token-out", &bpt]).await,
    );
    assert!(e.contains("BPT"), "{e}");
    let e =
        error_line(&quote(d, pair.address(), a, e18(1), &["--kind", "balancer-v2-weighted"]).await);
    assert!(
        e.contains(&format!("pool {} at block", pair.address()))
            && e.contains("is not a Balancer V2 pool: getPoolId() reverted"),
        "{e}"
    );

    // Uniswap V4: a 0.3 % pool at price 1, six nested ranges, one swap so the price is off a
    // tick.
    let v4 = d.deploy_uniswap_v4().await.unwrap();
    let v4_a = d.deploy_erc20(e18(1_000_000_000)).await.unwrap();
    let v4_b = d.deploy_erc20(e18(1_000_000_000)).await.unwrap();
    let pool =
        v4.initialize_pool(v4_a, v4_b, 3_000, 60, Address::ZERO, SQRT_PRICE_1_1).await.unwrap();
    for k in 1..=6 {
        pool.modify_liquidity(me, -k * 1_200, k * 1_200, 10i128.pow(22), B256::ZERO).await.unwrap();
    }
    pool.swap(me, true, -I256::try_from(e18(7)).unwrap(), U160::ZERO).await.unwrap();
    let amounts = [U256::from(1_000u64), e18(1), e18(500), e18(2_500), e18(9_000)];
    let (mut v4_quotes, mut max_crossed, mut ticks) = (0, 0, Vec::new());
    for zero_for_one in [true, false] {
        let (token_in, token_out) = if zero_for_one {
            (pool.currency0(), pool.currency1())
        } else {
            (pool.currency1(), pool.currency0())
        };
        for exact_out in [false, true] {
            for &amount in &amounts {
                let out = token_out.to_string();
                let mut extra = vec![];
                if exact_out {
                    extra.push("--exact-out");
                }
                if v4_quotes % 2 == 1 {
                    extra.extend(["--token-out", &out]);
                }
                let got = json_line(&quote_v4(&v4, pool.id(), token_in, amount, &extra).await);
                let raw = amount.to::<u128>();
                let theirs = if exact_out {
                    v4.quote_exact_output_single(&pool, zero_for_one, raw).await
                } else {
                    v4.quote_exact_input_single(&pool, zero_for_one, raw).await
                }
                .unwrap();
                let what = format!("zero_for_one {zero_for_one}, exact_out {exact_out}, {amount}");
                assert_eq!(got["kind"], "uniswap-v4", "{what}: {got}");
                assert_eq!(got["pool_id"], pool.id().to_string(), "{what}");
                let cache_address = Address::from_slice(&pool.id()[..20]);
                assert_eq!(got["pool"], cache_address.to_checksum(None), "{what}");
                assert_eq!(got["token_in"], token_in.to_checksum(None), "{what}");
                assert_eq!(got["token_out"], token_out.to_checksum(None), "{what}");
                let (ours, fixed) = if exact_out {
                    (u256(&got["amount_in"]), u256(&got["amount_out"]))
                } else {
                    (u256(&got["amount_out"]), u256(&got["amount_in"]))
                };
                assert_eq!(fixed, amount, "{what}: {got}");
                assert_eq!(ours, theirs.amount, "{what}: {got}");
                for field in ["sqrt_price_x96_after", "liquidity_after"] {
                    u256(&got[field]);
                }
                assert!(got["tick_after"].is_i64(), "{got}");
                max_crossed = max_crossed.max(got["ticks_crossed"].as_u64().unwrap());
                ticks.push((got["tick_after"].clone(), got["ticks_crossed"].clone()));
                v4_quotes += 1;
            }
        }
    }
    assert!(max_crossed >= 3, "at most {max_crossed} ticks crossed: {ticks:?}");
    // The pool takes the quoted swap: its amounts, and the price and tick after.
    let q = json_line(&quote_v4(&v4, pool.id(), pool.currency1(), e18(2_500), &[]).await);
    let swapped =
        pool.swap(me, false, -I256::try_from(e18(2_500)).unwrap(), U160::ZERO).await.unwrap();
    assert_eq!(swapped.amount_in(), e18(2_500));
    assert_eq!(swapped.amount_out(), u256(&q["amount_out"]), "{q}");
    let slot0 = pool.slot0().await.unwrap();
    assert_eq!(U256::from(slot0.sqrt_price_x96), u256(&q["sqrt_price_x96_after"]), "{q}");
    assert_eq!(i64::from(slot0.tick), q["tick_after"].as_i64().unwrap(), "{q}");
    assert_eq!(U256::from(pool.liquidity().await.unwrap()), u256(&q["liquidity_after"]), "{q}");
    eprintln!(
        "quote_cli: {v4_quotes} V4 quotes equal V4Quoter (up to {max_crossed} ticks crossed); \
         a swap lands on the quoted price"
    );

    // V4 refusals: hooks that may change a swap, an id never initialized, a stranger token.
    let hook = v4.deploy_fee_taking_hook().await.unwrap();
    let hooked = v4.initialize_pool(v4_a, v4_b, 3_000, 60, hook, SQRT_PRICE_1_1).await.unwrap();
    hooked.modify_liquidity(me, -1_200, 1_200, 10i128.pow(21), B256::ZERO).await.unwrap();
    let err = error_line(&quote_v4(&v4, hooked.id(), v4_a, e18(1), &[]).await);
    assert!(
        err.contains(&format!("cannot quote Uniswap V4 pool {}", hooked.id()))
            && err.contains(&format!("hooks {hook}"))
            && err.contains("may change swaps"),
        "{err}"
    );
    let unknown = B256::repeat_byte(0x42);
    let err = error_line(&quote_v4(&v4, unknown, v4_a, e18(1), &[]).await);
    assert!(
        err.contains(&format!("--pool-id {unknown}"))
            && err.contains(&format!("PoolManager {}", v4.pool_manager()))
            && err.contains("no Initialize event"),
        "{err}"
    );
    let err = error_line(&quote_v4(&v4, pool.id(), a, e18(1), &[]).await);
    assert!(err.contains(&format!("token {a} is not a token of pool")), "{err}");
    // A block before the pool was initialized: no such pool yet.
    let err = error_line(&quote_v4(&v4, pool.id(), v4_a, e18(1), &["--block", "1"]).await);
    assert!(err.contains("no Initialize event"), "{err}");
}
