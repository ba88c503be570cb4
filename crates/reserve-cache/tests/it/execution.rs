//! Quotes from the cache, executed on chain, pay exactly what they said: during random devnet
//! workloads (the ones of `quotes.rs` and `balancer.rs`), swaps are quoted from the cache at a
//! block, then executed alone in the next block from a chain snapshot — V2 pairs through the
//! pair's `swap`, V3 pools through the `SwapRouter` (`exactInputSingle`, `exactOutputSingle`),
//! Balancer weighted and composable stable pools through `Vault.swap` (`GIVEN_IN`, `GIVEN_OUT`)
//! — and the swapper's balance changes of both tokens must equal the quote to the wei. The
//! snapshot is then reverted, so the workload continues as if nothing had been executed.
//!
//! A V2 pair computes nothing (it checks its invariant), so there the quote must also be the
//! best the pair accepts: one wei more out (exact in), or one wei less in (exact out), reverts.

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use alloy_primitives::{Address, U256};
use alloy_provider::Provider;
use mev_chain::ProviderChain;
use mev_devnet::{BalancerSwapKind, Devnet};
use mev_event_decoder::{Decoder, Protocol, Registry};
use mev_reserve_cache::{
    PoolKey, PriceAfter, Quote, ReserveCache, ReserveCacheConfig, RpcReserveSource, SwapSide,
};

use crate::{
    balancer::{Subject, Tally, push_operation, stable, units, wad, weighted},
    quotes::Uniswap,
    rng::{Rng, e18},
};

const UNISWAP_BLOCKS: u64 = 30;
const BALANCER_BLOCKS: u64 = 15;

/// Executions of one kind.
#[derive(Debug, Default)]
struct Kind {
    /// Executed, every balance change equal to the quote.
    equal: usize,
    /// Quotes the cache refused (e.g. exact out beyond the liquidity), not executed.
    refused: usize,
    /// V2: quotes one wei better for the swapper that the pair rejected.
    tight: usize,
    /// V3: most initialized ticks one executed swap crossed, and executions crossing ≥ 3.
    max_ticks_crossed: u32,
    crossing_3: usize,
}

fn cache_over(provider: &alloy_provider::RootProvider) -> ReserveCache {
    let source = RpcReserveSource::new(ProviderChain::new(provider.clone()));
    // A TTL longer than the run: every entry is kept by events alone.
    let config = ReserveCacheConfig { ttl: Duration::from_secs(3_600), ..Default::default() };
    ReserveCache::with_config(Arc::new(source), config)
}

/// Feeds the cache the logs of blocks `from..=to`.
async fn feed(devnet: &Devnet, cache: &ReserveCache, registry: &Registry, from: u64, to: u64) {
    let decoder = Decoder::with_registry(registry.clone());
    let filter = registry.filter().from_block(from).to_block(to);
    for log in devnet.provider().get_logs(&filter).await.unwrap() {
        cache.apply(&decoder.decode(&log).unwrap());
    }
}

/// `owner`'s balances of `tokens`.
async fn balances(devnet: &Devnet, owner: Address, tokens: [Address; 2]) -> [U256; 2] {
    [
        devnet.balance_of(tokens[0], owner).await.unwrap(),
        devnet.balance_of(tokens[1], owner).await.unwrap(),
    ]
}

/// Runs `execute` alone on top of block `head` from a snapshot, checks it was mined in the
/// block(s) right after `head` and that the swapper paid `q.amount_in` of the token in and got
/// `q.amount_out` of the token out, then reverts to `head`. `execute` returns whatever else the
/// caller checks (read before the revert).
async fn execute_and_revert<T, F>(devnet: &Devnet, q: &Quote, head: u64, execute: F) -> T
where
    F: AsyncFnOnce() -> T,
{
    let me = devnet.deployer();
    let snapshot = devnet.snapshot().await.unwrap();
    let before = balances(devnet, me, [q.token_in, q.token_out]).await;
    let out = execute().await;
    let after = balances(devnet, me, [q.token_in, q.token_out]).await;
    let mined = devnet.block_number().await.unwrap();
    assert_eq!(mined, head + 1, "executed alone in the next block");
    let context = || format!("{q:?} at block {head}");
    assert_eq!(before[0] - after[0], q.amount_in, "paid in: {}", context());
    assert_eq!(after[1] - before[1], q.amount_out, "received: {}", context());
    devnet.revert(snapshot).await.unwrap();
    assert_eq!(devnet.block_number().await.unwrap(), head, "reverted");
    out
}

/// Whether `push` (transactions of one block) reverts on top of block `head`; reverted either
/// way.
async fn reverts(devnet: &Devnet, push: impl FnOnce(&mut mev_devnet::TxBatch)) -> bool {
    let snapshot = devnet.snapshot().await.unwrap();
    let mut batch = devnet.batch().block_size(usize::MAX);
    push(&mut batch);
    let failed = batch.execute().await.is_err();
    devnet.revert(snapshot).await.unwrap();
    failed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quoted_uniswap_swaps_executed_on_chain_pay_exactly_the_quote() {
    let devnet = Devnet::start().await.expect("devnet (run: bash scripts/devnet-setup)");
    let mut rng = Rng(0xe7ec_0000_5eed_0001);
    let mut u = Uniswap::deploy(&devnet, &mut rng).await;
    let (v2, v3) = (u.v2.clone(), u.v3.clone());
    let me = devnet.deployer();
    let registry: Registry = v2
        .iter()
        .map(|p| (p.address(), Protocol::UniswapV2))
        .chain(v3.iter().map(|p| (p.address(), Protocol::UniswapV3)))
        .collect();
    let keys: Vec<PoolKey> = v2
        .iter()
        .map(|p| PoolKey::uniswap_v2(p.address()))
        .chain(v3.iter().map(|p| PoolKey::uniswap_v3_with_ticks(p.address(), 400)))
        .collect();
    let cache = cache_over(devnet.provider());
    let mut last = devnet.block_number().await.unwrap();
    for r in cache.warm(&keys, last).await {
        r.unwrap();
    }
    let fetches_at_warm = cache.stats().fetches;

    let mut kinds: BTreeMap<&str, Kind> = BTreeMap::new();
    for block in 0..UNISWAP_BLOCKS {
        u.random_block(&mut rng).await;
        let head = devnet.block_number().await.unwrap();
        feed(&devnet, &cache, &registry, last + 1, head).await;
        last = head;

        // Each V2 pair: one swap, exact in on even blocks, exact out on odd ones.
        for pair in &v2 {
            let zero_for_one = rng.below(2) == 0;
            let token_in = if zero_for_one { pair.token0() } else { pair.token1() };
            let amount = e18(1 + rng.below(2_000)) / U256::from(1 + rng.below(4));
            let side = if block % 2 == 0 { SwapSide::ExactIn } else { SwapSide::ExactOut };
            let name = if side == SwapSide::ExactIn { "V2 exact in" } else { "V2 exact out" };
            let k = kinds.entry(name).or_default();
            let Ok(q) = cache.quote(&pair.address(), token_in, amount, side) else {
                k.refused += 1;
                continue;
            };
            let (amount_in, amount_out) = (q.amount_in, q.amount_out);
            match side {
                SwapSide::ExactIn => {
                    execute_and_revert(&devnet, &q, head, async || {
                        let mut batch = devnet.batch().block_size(usize::MAX);
                        pair.push_swap(&mut batch, me, zero_for_one, amount_in, amount_out);
                        batch.execute().await.unwrap();
                    })
                    .await;
                    let one_more = amount_out + U256::from(1);
                    assert!(
                        reverts(&devnet, |b| {
                            pair.push_swap(b, me, zero_for_one, amount_in, one_more);
                        })
                        .await,
                        "the pair pays one wei more than {q:?}"
                    );
                }
                SwapSide::ExactOut => {
                    let paid = execute_and_revert(&devnet, &q, head, async || {
                        pair.swap_exact_out(me, zero_for_one, amount_out).await.unwrap().0
                    })
                    .await;
                    assert_eq!(paid, amount_in, "the periphery's getAmountIn");
                    let one_less = amount_in - U256::from(1);
                    assert!(
                        reverts(&devnet, |b| {
                            pair.push_swap(b, me, zero_for_one, one_less, amount_out);
                        })
                        .await,
                        "the pair accepts one wei less than {q:?}"
                    );
                }
            }
            k.equal += 1;
            k.tight += 1;
        }

        // Each V3 pool: one exact-in and one exact-out swap through the SwapRouter, random
        // direction and size.
        for pool in &v3 {
            for side in [SwapSide::ExactIn, SwapSide::ExactOut] {
                let zero_for_one = rng.below(2) == 0;
                let token_in = if zero_for_one { pool.token0() } else { pool.token1() };
                // Log-uniform from 0.001 to 9·10^5 tokens: the larger ones move the price
                // across many positions' ticks (or, exact out, ask more than the pool holds).
                let digits = U256::from(15 + rng.below(9));
                let amount = U256::from(1 + rng.below(9)) * U256::from(10u64).pow(digits);
                let name = if side == SwapSide::ExactIn { "V3 exact in" } else { "V3 exact out" };
                let k = kinds.entry(name).or_default();
                let Ok(q) = cache.quote(&pool.address(), token_in, amount, side) else {
                    k.refused += 1;
                    continue;
                };
                let PriceAfter::UniswapV3 { sqrt_price_x96, tick, liquidity, ticks_crossed } =
                    q.after
                else {
                    panic!("{q:?}")
                };
                let (slot0, in_range) = execute_and_revert(&devnet, &q, head, async || {
                    match side {
                        SwapSide::ExactIn => {
                            pool.swap_exact_in(me, zero_for_one, q.amount_in).await.unwrap();
                        }
                        // At most the quoted input: the router reverts past it.
                        SwapSide::ExactOut => {
                            pool.swap_exact_out(me, zero_for_one, q.amount_out, q.amount_in)
                                .await
                                .unwrap();
                        }
                    }
                    (pool.slot0().await.unwrap(), pool.liquidity().await.unwrap())
                })
                .await;
                assert_eq!(slot0.sqrtPriceX96, sqrt_price_x96, "price after {q:?}");
                assert_eq!(i32::try_from(slot0.tick).unwrap(), tick, "tick after {q:?}");
                assert_eq!(in_range, liquidity, "liquidity after {q:?}");
                k.equal += 1;
                k.max_ticks_crossed = k.max_ticks_crossed.max(ticks_crossed);
                k.crossing_3 += usize::from(ticks_crossed >= 3);
            }
        }
    }
    assert_eq!(cache.stats().fetches, fetches_at_warm, "kept by events alone");
    let total: usize = kinds.values().map(|k| k.equal).sum();
    println!(
        "executed on chain, {UNISWAP_BLOCKS} blocks: {total} swaps, every one paid and received \
         exactly the cached quote; {kinds:?}"
    );
    for name in ["V2 exact in", "V2 exact out"] {
        assert!(kinds[name].equal >= 25, "{name}: {kinds:?}");
    }
    for name in ["V3 exact in", "V3 exact out"] {
        let k = &kinds[name];
        assert!(k.equal >= 50 && k.crossing_3 >= 5 && k.max_ticks_crossed >= 5, "{name}: {k:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quoted_balancer_swaps_executed_through_the_vault_pay_exactly_the_quote() {
    let devnet = Devnet::start().await.expect("devnet (run: bash scripts/devnet-setup)");
    devnet.deploy_multicall3().await.unwrap();
    let me = devnet.deployer();
    let bal = devnet.deploy_balancer_v2().await.unwrap();
    let vault = bal.vault();
    let mut rng = Rng(0xe7ec_ba1a_5eed_0001);
    let mut tokens = Vec::new();
    for (symbol, decimals) in [("WAD", 18u8), ("USD", 6), ("BTC", 8)] {
        let token = bal.deploy_token(symbol, decimals).await.unwrap();
        bal.mint(token, me, units(1, decimals) * U256::from(1u64 << 40)).await.unwrap();
        devnet.approve(token, me, vault, U256::MAX).await.unwrap();
        tokens.push(token);
    }
    let [t18, t6, t8] = [tokens[0], tokens[1], tokens[2]];
    let weighted_2 = weighted(&bal, &[(t18, 800, 18), (t6, 200, 6)], wad(3)).await;
    let weighted_3 = weighted(&bal, &[(t18, 500, 18), (t6, 300, 6), (t8, 200, 8)], wad(10)).await;
    // Rates cached for a year: the quote at one block holds at the next.
    let (steady, _) = stable(&bal, [t18, t6, t8], 365 * 24 * 3_600).await;
    let subject = |name, pool: mev_devnet::BalancerPool, stable: bool| {
        let key = if stable {
            PoolKey::balancer_v2_composable_stable(vault, pool.id())
        } else {
            PoolKey::balancer_v2_weighted(vault, pool.id())
        };
        Subject {
            name,
            pool,
            key,
            moving_rates: Vec::new(),
            balances: Vec::new(),
            tally: Tally::default(),
        }
    };
    let mut subjects = vec![
        subject("weighted 80/20", weighted_2, false),
        subject("weighted 50/30/20", weighted_3, false),
        subject("composable stable", steady, true),
    ];
    for s in &mut subjects {
        devnet.approve(s.pool.address(), me, vault, U256::MAX).await.unwrap();
        s.balances = s.pool.balances().await.unwrap();
    }
    bal.set_protocol_swap_fee(wad(500)).await.unwrap();
    for s in &subjects {
        s.pool.update_protocol_fee_cache().await.unwrap();
    }

    let registry: Registry = [(vault, Protocol::BalancerV2)].into_iter().collect();
    let cache = cache_over(devnet.provider());
    let mut last = devnet.block_number().await.unwrap();
    let keys: Vec<PoolKey> = subjects.iter().map(|s| s.key.clone()).collect();
    for r in cache.warm(&keys, last).await {
        r.unwrap();
    }

    let mut kinds: BTreeMap<String, Kind> = BTreeMap::new();
    for _ in 0..BALANCER_BLOCKS {
        let mut batch = devnet.batch();
        for _ in 0..=rng.below(3) {
            let s = &subjects[rng.below(subjects.len() as u64) as usize];
            push_operation(&mut batch, &devnet, vault, s, &mut rng).await;
        }
        if batch.is_empty() {
            devnet.mine(1).await.unwrap();
        } else {
            batch.execute().await.unwrap();
        }
        let head = devnet.block_number().await.unwrap();
        feed(&devnet, &cache, &registry, last + 1, head).await;
        last = head;

        for s in &mut subjects {
            s.balances = s.pool.balances().await.unwrap();
            let tokens = s.pool.tokens().to_vec();
            for (side, kind) in [
                (SwapSide::ExactIn, BalancerSwapKind::GivenIn),
                (SwapSide::ExactOut, BalancerSwapKind::GivenOut),
            ] {
                for _ in 0..2 {
                    let (i, o) = s.pair(&mut rng);
                    let reference = s.balances[if side == SwapSide::ExactIn { i } else { o }];
                    let amount = reference / U256::from(20 + rng.below(5_000)) + U256::from(1);
                    let name = format!("{} {kind:?}", s.name);
                    let k = kinds.entry(name).or_default();
                    let Ok(q) =
                        cache.quote_to(&s.pool.address(), tokens[i], tokens[o], amount, side)
                    else {
                        k.refused += 1;
                        continue;
                    };
                    // The limit is the quote itself: at least its output, at most its input.
                    let limit = if side == SwapSide::ExactIn { q.amount_out } else { q.amount_in };
                    let pool = &s.pool;
                    let swap = execute_and_revert(&devnet, &q, head, async || {
                        pool.swap(me, kind, tokens[i], tokens[o], amount, limit).await.unwrap()
                    })
                    .await;
                    assert_eq!((swap.amount_in, swap.amount_out), (q.amount_in, q.amount_out));
                    k.equal += 1;
                }
            }
        }
    }
    let total: usize = kinds.values().map(|k| k.equal).sum();
    println!(
        "executed through the Vault, {BALANCER_BLOCKS} blocks: {total} swaps, every one paid \
         and received exactly the cached quote; {:?}",
        kinds.iter().map(|(n, k)| (n, k.equal, k.refused)).collect::<Vec<_>>()
    );
    for (name, k) in &kinds {
        assert!(k.equal >= 2 * BALANCER_BLOCKS as usize - 3, "{name}: {k:?}");
    }
}
