//! Quotes from the cache, kept by events alone, equal the chain's own quoter after every block:
//! real Uniswap V3 pools of three fee tiers with dozens of positions over different ranges
//! (swaps cross many initialized ticks) against `QuoterV2`, and real V2 pairs against their
//! reserves; 200 blocks of random swaps, mints and burns.

use std::{collections::BTreeMap, sync::Arc};

use alloy_primitives::{Address, U256, aliases::U160};
use alloy_provider::Provider;
use mev_chain::{Counted, ProviderChain};
use mev_devnet::{Devnet, QuoterV2, SQRT_PRICE_1_1, UniswapV2Pair, UniswapV3Pool};
use mev_event_decoder::{Decoder, Protocol, Registry};
use mev_reserve_cache::{
    PoolKey, PoolState, PriceAfter, QuoteError, ReserveCache, ReserveSource, RpcReserveSource,
    SwapSide,
};
use mev_swap_math::{SwapError, V2Fee, get_amount_in, get_amount_out};

use crate::rng::{Rng, e18};

const BLOCKS: u64 = 200;
const QUOTES_PER_POOL_PER_BLOCK: usize = 20;

impl Rng {
    /// From 1 wei to ~1e30 (beyond any pool's liquidity here), log-uniform.
    fn amount(&mut self) -> U256 {
        let digits = self.below(31);
        U256::from(1 + self.below(9)) * U256::from(10u64).pow(U256::from(digits))
    }
}

/// What the Uniswap devnet workloads (this file's and `execution.rs`) run on: three tokens,
/// V2 pairs of 1M/2M and 30k/60k, V3 pools of fees 500, 3000 and 10000 at price 1 with a
/// full-range position and 30 more over random ranges each; the deployer holds the rest of
/// the tokens and has approved the router and the position manager.
pub(crate) struct Uniswap {
    pub(crate) devnet: Devnet,
    pub(crate) v2: Vec<UniswapV2Pair>,
    pub(crate) v3: Vec<UniswapV3Pool>,
    pub(crate) quoter: QuoterV2,
    /// `(pool, token id, liquidity left)` of the random positions, for burns.
    positions: Vec<(Address, U256, u128)>,
}

impl Uniswap {
    pub(crate) async fn deploy(devnet: &Devnet, rng: &mut Rng) -> Self {
        devnet.deploy_multicall3().await.unwrap();
        let me = devnet.deployer();
        let mut tokens = Vec::new();
        for _ in 0..3 {
            tokens.push(devnet.deploy_erc20(e18(1_000_000_000_000)).await.unwrap());
        }
        let v2f = devnet.deploy_uniswap_v2().await.unwrap();
        let v3f = devnet.deploy_uniswap_v3().await.unwrap();
        let quoter = v3f.deploy_quoter_v2().await.unwrap();

        let mut v2: Vec<UniswapV2Pair> = Vec::new();
        for (a, b, size) in [(0, 1, 1_000_000), (1, 2, 30_000)] {
            let pair = v2f.create_pair(tokens[a], tokens[b]).await.unwrap();
            pair.add_liquidity(me, e18(size), e18(size * 2)).await.unwrap();
            v2.push(pair);
        }
        let mut v3: Vec<UniswapV3Pool> = Vec::new();
        let mut positions = Vec::new();
        for (a, b, fee) in [(0, 1, 500), (1, 2, 3_000), (0, 2, 10_000)] {
            let pool = v3f.create_pool(tokens[a], tokens[b], fee, SQRT_PRICE_1_1).await.unwrap();
            for t in [pool.token0(), pool.token1()] {
                devnet.approve(t, me, v3f.swap_router(), U256::MAX).await.unwrap();
                devnet.approve(t, me, v3f.position_manager(), U256::MAX).await.unwrap();
            }
            let (lo, hi) = pool.full_range();
            pool.mint_position(me, lo, hi, e18(10_000), e18(10_000)).await.unwrap();
            let s = pool.tick_spacing();
            // Dozens of positions over different ranges around the price.
            for _ in 0..30 {
                let lower = -s * (1 + rng.below(60) as i32);
                let upper = s * (1 + rng.below(60) as i32);
                let size = e18(100 + rng.below(20_000));
                let p = pool.mint_position(me, lower, upper, size, size).await.unwrap();
                positions.push((pool.address(), p.token_id, p.liquidity));
            }
            v3.push(pool);
        }
        Self { devnet: devnet.clone(), v2, v3, quoter, positions }
    }

    /// Mines one block of 1–4 random operations: V3 swaps of every size, mints and burns over
    /// new ranges, V2 swaps (at most one per pair); an empty block when all were skipped.
    pub(crate) async fn random_block(&mut self, rng: &mut Rng) {
        let (devnet, v2, v3) = (&self.devnet, &self.v2, &self.v3);
        let positions = &mut self.positions;
        let me = devnet.deployer();
        let mut batch = devnet.batch();
        let mut used_pairs = [false; 2];
        for _ in 0..=rng.below(4) {
            match rng.below(8) {
                0..=3 => {
                    let pool = &v3[rng.below(3) as usize];
                    let amount = e18(1 + rng.below(3_000)) * U256::from(1 + rng.below(10));
                    pool.push_swap(&mut batch, me, rng.below(2) == 0, amount);
                }
                4 => {
                    let pool = &v3[rng.below(3) as usize];
                    let s = pool.tick_spacing();
                    let tick = i32::try_from(pool.slot0().await.unwrap().tick).unwrap();
                    let centre = tick.div_euclid(s) * s;
                    let lo = centre - s * (1 + rng.below(40) as i32);
                    let hi = centre + s * (1 + rng.below(40) as i32);
                    let size = e18(1 + rng.below(2_000));
                    pool.push_mint_position(&mut batch, me, lo, hi, size, size).unwrap();
                }
                5 => {
                    let k = rng.below(positions.len() as u64) as usize;
                    let (address, token_id, liquidity) = positions[k];
                    // Burn all of it sometimes: its ticks may become uninitialized.
                    let burn = if rng.below(3) == 0 { liquidity } else { liquidity / 4 };
                    if burn == 0 {
                        continue;
                    }
                    positions[k].2 -= burn;
                    let pool = v3.iter().find(|p| p.address() == address).unwrap();
                    pool.push_burn_position(&mut batch, me, token_id, burn);
                }
                _ => {
                    let i = rng.below(2) as usize;
                    if std::mem::replace(&mut used_pairs[i], true) {
                        continue;
                    }
                    let pair = &v2[i];
                    let r = pair.reserves().await.unwrap();
                    let zero_for_one = rng.below(2) == 0;
                    let (rin, rout) = if zero_for_one {
                        (U256::from(r.reserve0), U256::from(r.reserve1))
                    } else {
                        (U256::from(r.reserve1), U256::from(r.reserve0))
                    };
                    let amount_in = e18(1 + rng.below(500));
                    let out = get_amount_out(amount_in, rin, rout, V2Fee::UNISWAP).unwrap();
                    pair.push_swap(&mut batch, me, zero_for_one, amount_in, out);
                }
            }
        }
        if batch.is_empty() {
            devnet.mine(1).await.unwrap();
        } else {
            batch.execute().await.unwrap();
        }
    }
}

#[derive(Debug, Default)]
struct Tally {
    equal: usize,
    both_refused: usize,
    leaves_range: usize,
    max_ticks_crossed: u32,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cached_quotes_equal_quoter_v2_and_the_pairs_every_block() {
    let devnet = Devnet::start().await.expect("devnet (run: bash scripts/devnet-setup)");
    let mut rng = Rng(0x0bad_5eed_1234_5679);
    let mut u = Uniswap::deploy(&devnet, &mut rng).await;
    let (v2, v3, quoter) = (u.v2.clone(), u.v3.clone(), u.quoter.clone());

    let registry: Registry = v2
        .iter()
        .map(|p| (p.address(), Protocol::UniswapV2))
        .chain(v3.iter().map(|p| (p.address(), Protocol::UniswapV3)))
        .collect();
    let decoder = Decoder::with_registry(registry.clone());
    // The whole tick range loaded: every quote is answerable.
    let keys: Vec<PoolKey> = v2
        .iter()
        .map(|p| PoolKey::uniswap_v2(p.address()))
        .chain(v3.iter().map(|p| PoolKey::uniswap_v3_with_ticks(p.address(), 400)))
        .collect();
    let provider = devnet.provider().clone();
    let mut last = devnet.block_number().await.unwrap();
    // What loading one V3 pool's full tick state costs, pool by pool.
    for key in keys.iter().skip(v2.len()) {
        let alone = RpcReserveSource::new(Counted::new(ProviderChain::new(provider.clone())));
        let snapshot = alone.fetch(key, last).await.unwrap();
        let PoolState::UniswapV3(p) = &snapshot.state else { unreachable!("a V3 key") };
        let words =
            (p.state.loaded_range.1 - p.state.loaded_range.0) / (256 * p.state.tick_spacing) + 1;
        let ticks = p.state.ticks.len();
        let requests = alone.reader().requests();
        println!(
            "loading V3 pool {} (fee {}): {requests} requests for {ticks} initialized ticks over \
             {words} bitmap words",
            key.address, p.state.fee,
        );
        // One round for the state, then the words and the ticks, 500 calls per aggregate3.
        let want = 1 + (words as u64).div_ceil(500) + (ticks as u64).div_ceil(500);
        assert_eq!(requests, want);
    }
    let source =
        Arc::new(RpcReserveSource::new(Counted::new(ProviderChain::new(provider.clone()))));
    let cache = ReserveCache::new(source.clone());
    for r in cache.warm(&keys, last).await {
        r.unwrap();
    }
    let requests_at_warm = source.reader().requests();

    let mut tally: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut fetches_after_warm = None;
    for _ in 0..BLOCKS {
        u.random_block(&mut rng).await;
        let head = devnet.block_number().await.unwrap();
        let filter = registry.filter().from_block(last + 1).to_block(head);
        for log in provider.get_logs(&filter).await.unwrap() {
            cache.apply(&decoder.decode(&log).unwrap());
        }
        last = head;
        // Every pool stays cached: its state comes from the events alone.
        for key in &keys {
            assert!(cache.cached(&key.address).is_some(), "{key:?} dropped at block {head}");
        }
        fetches_after_warm.get_or_insert(cache.stats().fetches);
        let requests_before_quoting = source.reader().requests();

        for pool in &v3 {
            for i in 0..QUOTES_PER_POOL_PER_BLOCK {
                let zero_for_one = rng.below(2) == 0;
                let amount = rng.amount();
                let side = if i % 2 == 0 { SwapSide::ExactIn } else { SwapSide::ExactOut };
                let token_in = if zero_for_one { pool.token0() } else { pool.token1() };
                let ours = cache.quote(&pool.address(), token_in, amount, side);
                // The amounts-only path (what arbitrage sizing calls) agrees with the quote.
                let snapshot = cache.cached(&pool.address()).expect("cached");
                let token_out = if zero_for_one { pool.token1() } else { pool.token0() };
                assert_eq!(
                    snapshot
                        .amounts_to(token_in, token_out, amount, side)
                        .map(|a| (a.amount_in, a.amount_out)),
                    ours.clone().map(|q| (q.amount_in, q.amount_out)),
                    "amounts_to, {side:?} {amount} at block {head}"
                );
                let theirs = match side {
                    SwapSide::ExactIn => {
                        quoter
                            .quote_exact_input_single(pool, zero_for_one, amount, U160::ZERO)
                            .await
                    }
                    SwapSide::ExactOut => {
                        quoter
                            .quote_exact_output_single(pool, zero_for_one, amount, U160::ZERO)
                            .await
                    }
                };
                let t = tally.entry("uniswap-v3").or_default();
                match (ours, theirs) {
                    (Ok(q), Ok(chain)) => {
                        let got =
                            if side == SwapSide::ExactIn { q.amount_out } else { q.amount_in };
                        assert_eq!(
                            got,
                            chain.amount,
                            "{side:?} {amount} at block {head} on {}",
                            pool.fee()
                        );
                        let PriceAfter::UniswapV3 { sqrt_price_x96, ticks_crossed, .. } = q.after
                        else {
                            panic!("{q:?}")
                        };
                        assert_eq!(sqrt_price_x96, chain.sqrt_price_x96_after, "price after");
                        t.max_ticks_crossed = t.max_ticks_crossed.max(ticks_crossed);
                        t.equal += 1;
                    }
                    (
                        Err(QuoteError::Swap {
                            source: SwapError::LeavesLoadedRange { .. }, ..
                        }),
                        _,
                    ) => {
                        t.leaves_range += 1;
                    }
                    (Err(_), Err(_)) => t.both_refused += 1,
                    (ours, theirs) => {
                        panic!(
                            "{side:?} {amount} at block {head}: ours {ours:?}, QuoterV2 {theirs:?}"
                        )
                    }
                }
            }
        }
        assert_eq!(source.reader().requests(), requests_before_quoting, "quoting is local");
        for pair in &v2 {
            let r = pair.reserves().await.unwrap();
            let (r0, r1) = (U256::from(r.reserve0), U256::from(r.reserve1));
            for i in 0..QUOTES_PER_POOL_PER_BLOCK {
                let zero_for_one = rng.below(2) == 0;
                let amount = rng.amount();
                let (token_in, rin, rout) =
                    if zero_for_one { (pair.token0(), r0, r1) } else { (pair.token1(), r1, r0) };
                let t = tally.entry("uniswap-v2").or_default();
                let (ours, chain) = if i % 2 == 0 {
                    (
                        cache
                            .quote(&pair.address(), token_in, amount, SwapSide::ExactIn)
                            .map(|q| q.amount_out),
                        get_amount_out(amount, rin, rout, V2Fee::UNISWAP),
                    )
                } else {
                    (
                        cache
                            .quote(&pair.address(), token_in, amount, SwapSide::ExactOut)
                            .map(|q| q.amount_in),
                        get_amount_in(amount, rin, rout, V2Fee::UNISWAP),
                    )
                };
                match (ours, chain) {
                    (Ok(a), Ok(b)) => {
                        assert_eq!(a, b, "V2 at block {head}");
                        t.equal += 1;
                    }
                    (Err(_), Err(_)) => t.both_refused += 1,
                    (ours, chain) => panic!("V2 at block {head}: ours {ours:?}, chain {chain:?}"),
                }
            }
        }
    }
    let stats = cache.stats();
    assert_eq!(source.reader().requests(), requests_at_warm, "no node request after the warm-up");
    println!(
        "{BLOCKS} blocks, {} V3 pools, {} V2 pairs: {tally:?}; fetches after the warm-up {}",
        v3.len(),
        v2.len(),
        stats.fetches - fetches_after_warm.unwrap_or(0)
    );
    let v3_tally = &tally["uniswap-v3"];
    assert!(v3_tally.equal >= BLOCKS as usize * 3 * QUOTES_PER_POOL_PER_BLOCK / 2, "{tally:?}");
    assert_eq!(v3_tally.leaves_range, 0, "the whole range is loaded: {tally:?}");
    assert!(v3_tally.max_ticks_crossed >= 5, "swaps cross ≥ 5 initialized ticks: {tally:?}");
    assert!(tally["uniswap-v2"].equal > 0);
}
