//! The cache against real Uniswap V2 and V3 contracts on anvil: a random workload of swaps,
//! mints and burns, the cache fed each block's decoded logs, compared with the chain after every
//! block, in three modes (no cache, invalidate-only as the Go arbitrage bot does, apply-in-place).

use std::{collections::BTreeSet, sync::Arc};

use alloy_primitives::{Address, U256};
use alloy_provider::Provider;
use mev_chain::{Counted, ProviderChain};
use mev_devnet::{Devnet, SQRT_PRICE_1_1, UniswapV2Pair, UniswapV3Pool, v2_amount_out};
use mev_event_decoder::{Decoder, Protocol, Registry, StateChange};
use mev_reserve_cache::{PoolKey, PoolState, ReserveCache, RpcReserveSource, read_pool};
use mev_swap_math::V2Fee;

use crate::rng::{Rng, e18};

const BLOCKS: u64 = 200;
const READS_PER_POOL_PER_BLOCK: usize = 3;

/// Checks `state` (what the cache or the source holds for `pool`) against the chain, read
/// through the contracts' own getters: reserves and tokens; price, tick, liquidity, fee,
/// spacing, and `ticks(t)` of every tick a position was ever opened at (`ticks`).
async fn check_against_chain(
    v2: &[UniswapV2Pair],
    v3: &[UniswapV3Pool],
    ticks: &BTreeSet<(Address, i32)>,
    pool: Address,
    state: &PoolState,
) {
    if let Some(pair) = v2.iter().find(|p| p.address() == pool) {
        let r = pair.reserves().await.unwrap();
        let want = PoolState::UniswapV2 {
            token0: pair.token0(),
            token1: pair.token1(),
            reserve0: r.reserve0.to(),
            reserve1: r.reserve1.to(),
            fee: V2Fee::UNISWAP,
        };
        assert_eq!(state, &want, "pair {pool}");
        return;
    }
    let p = v3.iter().find(|p| p.address() == pool).unwrap();
    let PoolState::UniswapV3(got) = state else { panic!("{state:?}") };
    let slot0 = p.slot0().await.unwrap();
    assert_eq!(got.state.sqrt_price_x96, slot0.sqrtPriceX96, "price of {pool}");
    assert_eq!(got.state.tick, i32::try_from(slot0.tick).unwrap(), "tick of {pool}");
    assert_eq!(got.state.liquidity, p.liquidity().await.unwrap(), "liquidity of {pool}");
    assert_eq!((got.token0, got.token1), (p.token0(), p.token1()));
    assert_eq!(got.state.fee, p.fee().to::<u32>());
    assert_eq!(got.state.tick_spacing, p.tick_spacing());
    let (lo, hi) = got.state.loaded_range;
    for &(_, t) in ticks.iter().filter(|(a, t)| *a == pool && (lo..=hi).contains(t)) {
        let info = p.tick_info(t).await.unwrap();
        let want = (info.liquidityGross > 0).then_some((info.liquidityGross, info.liquidityNet));
        let have = got.liquidity_gross.get(&t).copied().zip(got.state.ticks.get(&t).copied());
        assert_eq!(have, want, "tick {t} of {pool}");
    }
    assert!(
        got.state.ticks.keys().all(|t| ticks.contains(&(pool, *t))),
        "no tick without a position"
    );
}

/// `state` as comparable with `truth`: a V3 pool's ticks are loaded around the price of the
/// block it was read at, so a cached state may cover another range than a fresh read. Both must
/// agree on the ticks of the overlap; outside it `truth`'s are taken.
fn comparable(state: &PoolState, truth: &PoolState) -> PoolState {
    let (PoolState::UniswapV3(a), PoolState::UniswapV3(t)) = (state, truth) else {
        return state.clone();
    };
    let (lo, hi) = (
        a.state.loaded_range.0.max(t.state.loaded_range.0),
        a.state.loaded_range.1.min(t.state.loaded_range.1),
    );
    let inside = |k: &i32| (lo..=hi).contains(k);
    let mut out = t.clone();
    out.state.ticks.retain(|k, _| !inside(k));
    out.liquidity_gross.retain(|k, _| !inside(k));
    out.state.ticks.extend(a.state.ticks.iter().filter(|(k, _)| inside(k)));
    out.liquidity_gross.extend(a.liquidity_gross.iter().filter(|(k, _)| inside(k)));
    let mut out = *out;
    out.state.sqrt_price_x96 = a.state.sqrt_price_x96;
    out.state.tick = a.state.tick;
    out.state.liquidity = a.state.liquidity;
    PoolState::UniswapV3(Box::new(out))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_workload_cache_equals_chain_every_block() {
    let devnet = Devnet::start().await.expect("devnet (run: bash scripts/devnet-setup)");
    devnet.deploy_multicall3().await.unwrap();
    let me = devnet.deployer();
    let tokens: Vec<Address> = {
        let mut t = Vec::new();
        for _ in 0..3 {
            t.push(devnet.deploy_erc20(e18(1_000_000_000)).await.unwrap());
        }
        t
    };
    let v2f = devnet.deploy_uniswap_v2().await.unwrap();
    let v3f = devnet.deploy_uniswap_v3().await.unwrap();
    let mut v2 = Vec::new();
    for (a, b) in [(0, 1), (1, 2), (0, 2)] {
        let pair = v2f.create_pair(tokens[a], tokens[b]).await.unwrap();
        pair.add_liquidity(me, e18(1_000_000), e18(1_000_000)).await.unwrap();
        v2.push(pair);
    }
    let mut v3 = Vec::new();
    let mut positions = Vec::new();
    let mut ticks = BTreeSet::new();
    for (a, b, fee) in [(0, 1, 3000), (1, 2, 500)] {
        let pool = v3f.create_pool(tokens[a], tokens[b], fee, SQRT_PRICE_1_1).await.unwrap();
        let (lo, hi) = pool.full_range();
        pool.mint_position(me, lo, hi, e18(1_000_000), e18(1_000_000)).await.unwrap();
        ticks.extend([(pool.address(), lo), (pool.address(), hi)]);
        let s = pool.tick_spacing();
        for k in 1..=4 {
            let p = pool.mint_position(me, -k * 10 * s, k * 10 * s, e18(50_000), e18(50_000));
            let p = p.await.unwrap();
            positions.push((pool.address(), p.token_id, p.liquidity));
            ticks.extend([(pool.address(), -k * 10 * s), (pool.address(), k * 10 * s)]);
        }
        for t in [pool.token0(), pool.token1()] {
            devnet.approve(t, me, v3f.swap_router(), U256::MAX).await.unwrap();
            devnet.approve(t, me, v3f.position_manager(), U256::MAX).await.unwrap();
        }
        v3.push(pool);
    }

    let registry: Registry = v2
        .iter()
        .map(|p| (p.address(), Protocol::UniswapV2))
        .chain(v3.iter().map(|p| (p.address(), Protocol::UniswapV3)))
        .collect();
    let decoder = Decoder::with_registry(registry.clone());
    let keys: Vec<PoolKey> = v2
        .iter()
        .map(|p| PoolKey::uniswap_v2(p.address()))
        .chain(v3.iter().map(|p| PoolKey::uniswap_v3(p.address())))
        .collect();

    let provider = devnet.provider().clone();
    let reader = || Counted::new(ProviderChain::new(provider.clone()));
    let no_cache = RpcReserveSource::new(reader());
    let inval_source = Arc::new(RpcReserveSource::new(reader()));
    let apply_source = Arc::new(RpcReserveSource::new(reader()));
    let invalidate_only = ReserveCache::new(inval_source.clone());
    let apply_in_place = ReserveCache::new(apply_source.clone());

    let mut rng = Rng(0x5eed_cafe_f00d_0001);
    let mut last = devnet.block_number().await.unwrap();
    let (mut logs_seen, mut applied_ops, mut reads) = (0usize, 0usize, 0usize);

    for _ in 0..BLOCKS {
        // 1–4 operations, at most one per V2 pair (its swap amount is priced off the reserves
        // at the start of the block).
        let mut batch = devnet.batch();
        let mut used_pairs = [false; 3];
        for _ in 0..=rng.below(4) {
            match rng.below(6) {
                0 | 1 => {
                    let i = rng.below(3) as usize;
                    if std::mem::replace(&mut used_pairs[i], true) {
                        continue;
                    }
                    let pair = &v2[i];
                    let r = pair.reserves().await.unwrap();
                    let zero_for_one = rng.below(2) == 0;
                    let amount_in = e18(1 + rng.below(2_000));
                    let (rin, rout) = if zero_for_one {
                        (r.reserve0.to(), r.reserve1.to())
                    } else {
                        (r.reserve1.to(), r.reserve0.to())
                    };
                    let out = v2_amount_out(amount_in, rin, rout);
                    pair.push_swap(&mut batch, me, zero_for_one, amount_in, out);
                }
                2 => {
                    let i = rng.below(3) as usize;
                    if std::mem::replace(&mut used_pairs[i], true) {
                        continue;
                    }
                    let pair = &v2[i];
                    if rng.below(2) == 0 {
                        let r = pair.reserves().await.unwrap();
                        // Add in the pool's ratio (plus a little dust on one side).
                        let a0 = e18(1 + rng.below(500));
                        let a1 = a0 * U256::from(r.reserve1) / U256::from(r.reserve0)
                            + U256::from(rng.below(1_000));
                        pair.push_add_liquidity(&mut batch, me, a0, a1);
                    } else {
                        let lp = pair.lp_balance(me).await.unwrap();
                        pair.push_remove_liquidity(&mut batch, me, lp / U256::from(200));
                    }
                }
                3 | 4 => {
                    let pool = &v3[rng.below(2) as usize];
                    pool.push_swap(&mut batch, me, rng.below(2) == 0, e18(1 + rng.below(20_000)));
                }
                _ => {
                    if rng.below(2) == 0 {
                        let pool = &v3[rng.below(2) as usize];
                        let s = pool.tick_spacing();
                        let tick = i32::try_from(pool.slot0().await.unwrap().tick).unwrap();
                        let centre = tick.div_euclid(s) * s;
                        let lo = centre - s * (1 + rng.below(20) as i32);
                        let hi = centre + s * (1 + rng.below(20) as i32);
                        pool.push_mint_position(&mut batch, me, lo, hi, e18(1_000), e18(1_000))
                            .unwrap();
                        ticks.extend([(pool.address(), lo), (pool.address(), hi)]);
                    } else {
                        let k = rng.below(positions.len() as u64) as usize;
                        let (pool_address, token_id, liquidity) = positions[k];
                        let burn = liquidity / 10;
                        if burn == 0 {
                            continue;
                        }
                        positions[k].2 -= burn;
                        let pool = v3.iter().find(|p| p.address() == pool_address).unwrap();
                        pool.push_burn_position(&mut batch, me, token_id, burn);
                    }
                }
            }
            applied_ops += 1;
        }
        if batch.is_empty() {
            devnet.mine(1).await.unwrap();
        } else {
            batch.execute().await.unwrap();
        }
        let head = devnet.block_number().await.unwrap();

        // Feed every new block's logs, in chain order.
        let filter = registry.filter().from_block(last + 1).to_block(head);
        let logs = provider.get_logs(&filter).await.unwrap();
        logs_seen += logs.len();
        for log in &logs {
            let decoded = decoder.decode(log).unwrap();
            apply_in_place.apply(&decoded);
            // The reference behaviour: drop the entry on every pool event.
            for change in decoded.state_changes() {
                if let StateChange::Pool { pool, .. } = change {
                    invalidate_only.invalidate(&pool);
                }
            }
        }
        last = head;

        // The bot reads each pool a few times per block; every answer must equal the chain.
        for key in &keys {
            let truth = read_pool(None, &no_cache, key, head).await.unwrap();
            check_against_chain(&v2, &v3, &ticks, key.address, &truth.state).await;
            reads += 1;
            for _ in 0..READS_PER_POOL_PER_BLOCK {
                let a = apply_in_place.get(key, head).await.unwrap();
                let b = invalidate_only.get(key, head).await.unwrap();
                let a = comparable(&a.state, &truth.state);
                let b = comparable(&b.state, &truth.state);
                assert_eq!(a, truth.state, "apply-in-place stale at block {head} for {key:?}");
                assert_eq!(b, truth.state, "invalidate-only stale at block {head} for {key:?}");
            }
        }
    }

    // The source read every pool once per block for the check; a bot without a cache reads
    // each pool READS_PER_POOL_PER_BLOCK times, as the caches were read.
    let uncached_once = no_cache.reader().requests();
    let (none, inval, apply) = (
        uncached_once * READS_PER_POOL_PER_BLOCK as u64,
        inval_source.reader().requests(),
        apply_source.reader().requests(),
    );
    let stats = apply_in_place.stats();
    println!(
        "blocks {BLOCKS}, operations {applied_ops}, logs {logs_seen}, pools {}, reads {reads}; \
         RPC requests: no cache {none}, invalidate-only {inval} ({:.1}% fewer), \
         apply-in-place {apply} ({:.2}% fewer); apply-in-place hit rate {:.2}%, \
         invalidate-only hit rate {:.2}%",
        keys.len(),
        100.0 * (1.0 - inval as f64 / none as f64),
        100.0 * (1.0 - apply as f64 / none as f64),
        stats.hit_rate_bps() as f64 / 100.0,
        invalidate_only.stats().hit_rate_bps() as f64 / 100.0,
    );
    // One request per V2 read, three per V3 read (state, bitmap words, ticks).
    assert_eq!(uncached_once as usize, reads / keys.len() * (v2.len() + 3 * v3.len()));
    assert!(apply * 100 <= none, "apply-in-place must make ≥ 99% fewer calls: {apply} vs {none}");
    assert!(inval < none);
    assert!(logs_seen > BLOCKS as usize, "the workload produced events");
    assert_eq!(stats.stale_writes_prevented, 0);
}
