//! Pool discovery against real factories on anvil: Uniswap V2 and V3 factories, the V4
//! `PoolManager` and Balancer V2's Vault with its weighted and composable stable factories.
//! Pools are created before the scanned range (never found) and in it: pools of allowed tokens
//! with liquidity, pools with a token outside the allow-list, pools with dust or no liquidity.
//! Discovery must find exactly the pools created in the range, typed and keyed as their
//! factories made them, drop by the filters exactly those that fail them, and find the same
//! with one block per `eth_getLogs` and behind a node that refuses ranges of more than three
//! blocks.

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
};

use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_rpc_types_eth::{Filter, Log};
use async_trait::async_trait;
use mev_chain::{BlockHeader, ChainError, ChainReader, ProviderChain};
use mev_devnet::{BalancerV2, Devnet, SQRT_PRICE_1_1, UniswapV2, UniswapV3, UniswapV4};
use mev_reserve_cache::{
    BalancerPoolType, DiscoveryError, DiscoveryFilter, DiscoveryOptions, MinLiquidity, PoolKey,
    PoolKind, PoolSource, TokenMatch, V4PoolKey, discover_pools, discover_pools_with,
};
use mev_swap_math::V2Fee;

use crate::rng::e18;

/// What a pool created in the range should do under the filter of allowed tokens
/// ([`World::allowed`], all of them) and a minimum of one whole token per reserve / one unit of
/// in-range liquidity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    Kept,
    /// A token outside the allow-list.
    Tokens,
    /// Dust or no liquidity.
    Liquidity,
}

struct World {
    devnet: Devnet,
    sources: Vec<PoolSource>,
    /// Every pool created in the range with its tokens, creation block and fate.
    created: Vec<(PoolKey, Vec<Address>, u64, Fate)>,
    /// Pools created before the range.
    before: Vec<PoolKey>,
    allowed: BTreeSet<Address>,
    outsider: Address,
    from_block: u64,
    to_block: u64,
}

/// The fee the V2 source says its pairs take (a fork's, to see it carried into the keys).
const FORK_FEE: V2Fee = V2Fee::PANCAKESWAP;

impl World {
    async fn start() -> Self {
        let devnet = Devnet::start().await.expect("devnet (run: bash scripts/devnet-setup)");
        devnet.deploy_multicall3().await.unwrap();
        let me = devnet.deployer();
        let mut tokens = Vec::new();
        for _ in 0..4 {
            tokens.push(devnet.deploy_erc20(e18(1_000_000_000)).await.unwrap());
        }
        let (a, b, c, x) = (tokens[0], tokens[1], tokens[2], tokens[3]);
        let v2 = devnet.deploy_uniswap_v2().await.unwrap();
        let v3 = devnet.deploy_uniswap_v3().await.unwrap();
        let v4 = devnet.deploy_uniswap_v4().await.unwrap();
        let bal = devnet.deploy_balancer_v2().await.unwrap();
        let sources = vec![
            PoolSource::uniswap_v2_fork(v2.factory(), FORK_FEE),
            PoolSource::uniswap_v3(v3.factory()),
            PoolSource::uniswap_v4(v4.pool_manager(), v4.state_view()),
            PoolSource::balancer_v2(bal.vault())
                .weighted_factory(bal.addresses().weighted_pool_factory)
                .composable_stable_factory(bal.addresses().composable_stable_pool_factory),
        ];

        // Before the range: one pool of every kind, all good, never found.
        let mut before = Vec::new();
        let mut created = Vec::new();
        let mut push = |key: PoolKey, tokens: Vec<Address>, block: u64, fate: Fate| {
            created.push((key, tokens, block, fate));
        };
        before.push(v2_pool(&v2, me, a, c, e18(1_000)).await.0);
        before.push(v3_pool(&v3, me, a, b, 3000, true).await.0);
        before.push(v4_pool(&v4, a, b, 3000, 60, true).await.0);
        before.push(weighted(&bal, &[a, b], e18(1_000)).await.0);
        let from_block = devnet.block_number().await.unwrap() + 1;

        // In the range.
        let block = || async { devnet.block_number().await.unwrap() };
        let at = block().await + 1;
        let (k, t) = v2_pool(&v2, me, a, b, e18(1_000)).await;
        push(k, t, at, Fate::Kept);
        let at = block().await + 1;
        let (k, t) = v2_pool(&v2, me, b, c, U256::from(100_000)).await;
        push(k, t, at, Fate::Liquidity);
        let at = block().await + 1;
        let (k, t) = v2_pool(&v2, me, a, x, e18(1_000)).await;
        push(k, t, at, Fate::Tokens);
        for (t0, t1, fee, liquid, fate) in [
            (a, b, 500, true, Fate::Kept),
            (a, c, 10_000, true, Fate::Kept),
            (b, c, 3000, false, Fate::Liquidity),
            (a, x, 3000, true, Fate::Tokens),
        ] {
            let at = block().await + 1;
            let (k, t) = v3_pool(&v3, me, t0, t1, fee, liquid).await;
            push(k, t, at, fate);
        }
        for (t0, t1, fee, spacing, liquid, fate) in [
            (a, c, 500, 10, true, Fate::Kept),
            (a, b, 100, 1, true, Fate::Kept),
            (b, c, 3000, 60, false, Fate::Liquidity),
            (b, x, 3000, 60, true, Fate::Tokens),
        ] {
            let at = block().await + 1;
            let (k, t) = v4_pool(&v4, t0, t1, fee, spacing, liquid).await;
            push(k, t, at, fate);
        }
        let at = block().await + 1;
        let (k, t) = weighted(&bal, &[a, b, c], e18(1_000)).await;
        push(k, t, at, Fate::Kept);
        let at = block().await + 1;
        let (k, t) = weighted(&bal, &[b, c], U256::from(1_000_000_000_000u64)).await;
        push(k, t, at, Fate::Liquidity);
        let at = block().await + 1;
        let (k, t) = weighted(&bal, &[a, x], e18(1_000)).await;
        push(k, t, at, Fate::Tokens);
        let at = block().await + 1;
        let (k, t) = stable(&bal, &[a, b, c], e18(1_000)).await;
        push(k, t, at, Fate::Kept);
        let at = block().await + 1;
        let (k, t) = stable(&bal, &[b, x], e18(1_000)).await;
        push(k, t, at, Fate::Tokens);
        let to_block = devnet.block_number().await.unwrap();
        // A pool after the range: not found either.
        v2_pool(&v2, me, c, x, e18(1)).await;
        Self {
            devnet,
            sources,
            created,
            before,
            allowed: [a, b, c].into(),
            outsider: x,
            from_block,
            to_block,
        }
    }

    fn reader(&self) -> ProviderChain<alloy_provider::RootProvider> {
        ProviderChain::new(self.devnet.provider().clone())
    }

    fn keys_where(&self, keep: impl Fn(Fate) -> bool) -> BTreeSet<String> {
        self.created.iter().filter(|c| keep(c.3)).map(|c| format!("{:?}", c.0)).collect()
    }

    fn filter(&self) -> DiscoveryFilter {
        DiscoveryFilter {
            tokens: self.allowed.clone(),
            token_match: TokenMatch::All,
            min_liquidity: Some(MinLiquidity {
                per_token: BTreeMap::new(),
                default_reserve: e18(1),
                in_range: 1,
            }),
        }
    }
}

fn keys(pools: &[mev_reserve_cache::DiscoveredPool]) -> BTreeSet<String> {
    pools.iter().map(|p| format!("{:?}", p.key)).collect()
}

async fn v2_pool(
    v2: &UniswapV2,
    me: Address,
    a: Address,
    b: Address,
    amount: U256,
) -> (PoolKey, Vec<Address>) {
    let pair = v2.create_pair(a, b).await.unwrap();
    pair.add_liquidity(me, amount, amount).await.unwrap();
    (PoolKey::uniswap_v2_fork(pair.address(), FORK_FEE), vec![pair.token0(), pair.token1()])
}

async fn v3_pool(
    v3: &UniswapV3,
    me: Address,
    a: Address,
    b: Address,
    fee: u32,
    liquid: bool,
) -> (PoolKey, Vec<Address>) {
    let pool = v3.create_pool(a, b, fee, SQRT_PRICE_1_1).await.unwrap();
    if liquid {
        let (lo, hi) = pool.full_range();
        pool.mint_position(me, lo, hi, e18(1_000), e18(1_000)).await.unwrap();
    }
    (PoolKey::uniswap_v3(pool.address()), vec![pool.token0(), pool.token1()])
}

async fn v4_pool(
    v4: &UniswapV4,
    a: Address,
    b: Address,
    fee: u32,
    spacing: i32,
    liquid: bool,
) -> (PoolKey, Vec<Address>) {
    let pool = v4.initialize_pool(a, b, fee, spacing, Address::ZERO, SQRT_PRICE_1_1).await.unwrap();
    if liquid {
        let me = v4.devnet().deployer();
        pool.approve_routers(me).await.unwrap();
        let (lo, hi) = pool.full_range();
        pool.modify_liquidity(me, lo, hi, 1_000_000_000_000_000_000_000, B256::ZERO).await.unwrap();
    }
    let key = V4PoolKey {
        currency0: pool.currency0(),
        currency1: pool.currency1(),
        fee,
        tick_spacing: spacing,
        hooks: Address::ZERO,
    };
    (
        PoolKey::uniswap_v4(v4.pool_manager(), v4.state_view(), key),
        vec![pool.currency0(), pool.currency1()],
    )
}

async fn weighted(bal: &BalancerV2, tokens: &[Address], amount: U256) -> (PoolKey, Vec<Address>) {
    let n = tokens.len() as u64;
    let mut weights: Vec<(Address, U256)> =
        tokens.iter().map(|&t| (t, U256::from(1_000_000_000_000_000_000 / n))).collect();
    let rest = U256::from(1_000_000_000_000_000_000 % n);
    weights[0].1 += rest;
    let pool =
        bal.create_weighted_pool(&weights, U256::from(3_000_000_000_000_000u64)).await.unwrap();
    let amounts = vec![amount; pool.tokens().len()];
    pool.initialize(bal.devnet().deployer(), &amounts).await.unwrap();
    (PoolKey::balancer_v2_weighted(bal.vault(), pool.id()), pool.tokens().to_vec())
}

async fn stable(bal: &BalancerV2, tokens: &[Address], amount: U256) -> (PoolKey, Vec<Address>) {
    let with_rates: Vec<(Address, Option<Address>)> = tokens.iter().map(|&t| (t, None)).collect();
    let pool = bal
        .create_composable_stable_pool(
            &with_rates,
            U256::from(200),
            U256::from(1_000_000_000_000_000u64),
            U256::from(3600),
        )
        .await
        .unwrap();
    let bpt = pool.bpt_index().unwrap();
    let amounts: Vec<U256> =
        (0..pool.tokens().len()).map(|i| if i == bpt { U256::ZERO } else { amount }).collect();
    pool.initialize(bal.devnet().deployer(), &amounts).await.unwrap();
    let swap_tokens = pool.tokens().iter().copied().filter(|t| *t != pool.address()).collect();
    (PoolKey::balancer_v2_composable_stable(bal.vault(), pool.id()), swap_tokens)
}

/// A reader that refuses `eth_getLogs` over more than `max` blocks as a provider does
/// ([`ChainError::RangeTooLarge`]), counting the refusals.
#[derive(Debug)]
struct Picky<R> {
    inner: R,
    max: u64,
    refused: AtomicUsize,
}

#[async_trait]
impl<R: ChainReader> ChainReader for Picky<R> {
    async fn block_number(&self) -> mev_chain::Result<u64> {
        self.inner.block_number().await
    }
    async fn header(&self, number: u64) -> mev_chain::Result<Option<BlockHeader>> {
        self.inner.header(number).await
    }
    async fn call(&self, to: Address, data: Bytes, block: u64) -> mev_chain::Result<Bytes> {
        self.inner.call(to, data, block).await
    }
    async fn logs(&self, filter: &Filter) -> mev_chain::Result<Vec<Log>> {
        let (from, to) = (filter.get_from_block().unwrap(), filter.get_to_block().unwrap());
        if to - from + 1 > self.max {
            self.refused.fetch_add(1, Ordering::Relaxed);
            return Err(ChainError::RangeTooLarge {
                method: "eth_getLogs",
                message: format!("block range {from}..={to} exceeds {}", self.max),
            });
        }
        self.inner.logs(filter).await
    }
}

/// A reader whose `eth_getLogs` always fails at the node.
#[derive(Debug)]
struct Broken<R>(R);

#[async_trait]
impl<R: ChainReader> ChainReader for Broken<R> {
    async fn block_number(&self) -> mev_chain::Result<u64> {
        self.0.block_number().await
    }
    async fn header(&self, number: u64) -> mev_chain::Result<Option<BlockHeader>> {
        self.0.header(number).await
    }
    async fn call(&self, to: Address, data: Bytes, block: u64) -> mev_chain::Result<Bytes> {
        self.0.call(to, data, block).await
    }
    async fn logs(&self, _: &Filter) -> mev_chain::Result<Vec<Log>> {
        Err(ChainError::Node { method: "eth_getLogs", code: -32000, message: "boom".into() })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovers_exactly_the_pools_created_in_range_and_filters_them() {
    let w = World::start().await;
    let reader = w.reader();
    let all = w.keys_where(|_| true);
    assert_eq!(all.len(), 16);

    // No filter: every pool created in the range, none before it or after it.
    let d = discover_pools(&reader, &w.sources, w.from_block, w.to_block, &DiscoveryFilter::any())
        .await
        .unwrap();
    assert_eq!(keys(&d.pools), all);
    assert_eq!((d.found, d.dropped.total()), (16, 0));
    assert_eq!(d.log_requests, w.sources.len());
    for before in &w.before {
        assert!(d.pools.iter().all(|p| p.key != *before), "{before:?} is before the range");
    }
    for (key, tokens, block, _) in &w.created {
        let p = d.pools.iter().find(|p| p.key == *key).unwrap();
        assert_eq!(&p.tokens, tokens, "{key:?}");
        assert_eq!(p.created_block, *block, "{key:?}");
    }
    assert!(d.pools.windows(2).all(|p| p[0].created_block <= p[1].created_block));
    let types: Vec<BalancerPoolType> = d
        .pools
        .iter()
        .filter_map(|p| match p.key.kind {
            PoolKind::BalancerV2 { pool_type, .. } => Some(pool_type),
            _ => None,
        })
        .collect();
    assert_eq!(
        types,
        [
            BalancerPoolType::Weighted,
            BalancerPoolType::Weighted,
            BalancerPoolType::Weighted,
            BalancerPoolType::ComposableStable,
            BalancerPoolType::ComposableStable,
        ]
    );
    // Only the Balancer pools were read (for their tokens).
    assert!(
        d.pools
            .iter()
            .all(|p| { p.state.is_some() == matches!(p.key.kind, PoolKind::BalancerV2 { .. }) })
    );

    // Without the factories, the Balancer pools are of type Other.
    let vault_only: Vec<PoolSource> = w
        .sources
        .iter()
        .map(|s| match s {
            PoolSource::BalancerV2 { vault, .. } => PoolSource::balancer_v2(*vault),
            s => s.clone(),
        })
        .collect();
    let d = discover_pools(&reader, &vault_only, w.from_block, w.to_block, &DiscoveryFilter::any())
        .await
        .unwrap();
    assert_eq!(d.pools.len(), 16);
    assert!(d.pools.iter().all(|p| match p.key.kind {
        PoolKind::BalancerV2 { pool_type, .. } => pool_type == BalancerPoolType::Other,
        _ => true,
    }));

    // The allow-list and the minimum liquidity: exactly the pools meant to pass.
    let d =
        discover_pools(&reader, &w.sources, w.from_block, w.to_block, &w.filter()).await.unwrap();
    assert_eq!(keys(&d.pools), w.keys_where(|f| f == Fate::Kept));
    assert_eq!(d.found, 16);
    assert_eq!((d.dropped.tokens, d.dropped.liquidity, d.dropped.unreadable), (5, 4, 0));
    assert!(d.pools.iter().all(|p| p.state.is_some()));

    // The allow-list alone, all tokens: the dust pools stay.
    let tokens_only = DiscoveryFilter { min_liquidity: None, ..w.filter() };
    let d =
        discover_pools(&reader, &w.sources, w.from_block, w.to_block, &tokens_only).await.unwrap();
    assert_eq!(keys(&d.pools), w.keys_where(|f| f != Fate::Tokens));

    // Any token of the list: only the outsider's pools for a list of the outsider.
    let any = DiscoveryFilter {
        tokens: [w.outsider].into(),
        token_match: TokenMatch::Any,
        min_liquidity: None,
    };
    let d = discover_pools(&reader, &w.sources, w.from_block, w.to_block, &any).await.unwrap();
    assert_eq!(keys(&d.pools), w.keys_where(|f| f == Fate::Tokens));
    assert!(d.pools.iter().all(|p| p.tokens.contains(&w.outsider)));

    // A minimum of one unit: the dust pools pass, the V3 and V4 pools without liquidity not.
    let min = |per_token: BTreeMap<Address, U256>, default_reserve: u64, in_range: u128| {
        let min =
            MinLiquidity { per_token, default_reserve: U256::from(default_reserve), in_range };
        DiscoveryFilter { min_liquidity: Some(min), ..DiscoveryFilter::any() }
    };
    let d =
        discover_pools(&reader, &w.sources, w.from_block, w.to_block, &min(BTreeMap::new(), 1, 1))
            .await
            .unwrap();
    assert_eq!(d.dropped.liquidity, 2, "the empty V3 and V4 pools");
    // A minimum for the dust pools' two tokens only: those two pools dropped,
    // the V3 and V4 pools never (no in-range minimum).
    let b = w.created[1].1[0].min(w.created[1].1[1]);
    let c = w.created[1].1[0].max(w.created[1].1[1]);
    let per_token = BTreeMap::from([(b, e18(1)), (c, e18(1))]);
    let d = discover_pools(&reader, &w.sources, w.from_block, w.to_block, &min(per_token, 0, 0))
        .await
        .unwrap();
    let dust: BTreeSet<String> =
        [&w.created[1].0, &w.created[12].0].iter().map(|k| format!("{k:?}")).collect();
    assert_eq!(keys(&d.pools), &all - &dust);
    assert_eq!(d.dropped.liquidity, 2);

    // A range ending before the last pools: those are not found.
    let half = w.created[8].2;
    let d = discover_pools(&reader, &w.sources, w.from_block, half, &DiscoveryFilter::any())
        .await
        .unwrap();
    let want: BTreeSet<String> =
        w.created.iter().filter(|c| c.2 <= half).map(|c| format!("{:?}", c.0)).collect();
    assert_eq!(keys(&d.pools), want);
    assert!(want.len() < 16);

    // Errors name the source and the range.
    let err = discover_pools(
        &Broken(w.reader()),
        &w.sources[1..2],
        w.from_block,
        w.to_block,
        &DiscoveryFilter::any(),
    )
    .await
    .unwrap_err();
    match &err {
        DiscoveryError::Logs { kind, address, from, to, .. } => {
            assert_eq!((*kind, *address), ("uniswap-v3", w.sources[1].address()));
            assert_eq!((*from, *to), (w.from_block, w.to_block));
        }
        e => panic!("{e}"),
    }
    assert!(err.to_string().contains(&w.sources[1].address().to_string()), "{err}");
    let err =
        discover_pools(&reader, &w.sources, 10, 9, &DiscoveryFilter::any()).await.unwrap_err();
    assert!(matches!(err, DiscoveryError::InvalidRange { from: 10, to: 9 }), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tiny_chunks_and_refused_ranges_still_find_every_pool() {
    let w = World::start().await;
    let want = w.keys_where(|f| f == Fate::Kept);
    let blocks = (w.to_block - w.from_block + 1) as usize;

    // One block per request.
    let one = DiscoveryOptions { max_block_range: 1, ..DiscoveryOptions::default() };
    let d =
        discover_pools_with(&w.reader(), &w.sources, w.from_block, w.to_block, &w.filter(), &one)
            .await
            .unwrap();
    assert_eq!(keys(&d.pools), want);
    assert_eq!(d.log_requests, blocks * w.sources.len());

    // A node refusing more than three blocks: every chunk halved until it passes.
    let picky = Picky { inner: w.reader(), max: 3, refused: AtomicUsize::new(0) };
    let d =
        discover_pools(&picky, &w.sources, w.from_block, w.to_block, &w.filter()).await.unwrap();
    assert_eq!(keys(&d.pools), want);
    assert_eq!((d.found, d.dropped.total()), (16, 16 - want.len()));
    let refused = picky.refused.load(Ordering::Relaxed);
    assert!(refused >= w.sources.len(), "{refused}");
    assert!(d.log_requests > refused, "{}", d.log_requests);

    // A node refusing every range, even one block: an error naming the single block.
    let none = Picky { inner: w.reader(), max: 0, refused: AtomicUsize::new(0) };
    let err = discover_pools(
        &Arc::new(none),
        &w.sources[..1],
        w.from_block,
        w.from_block + 1,
        &w.filter(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, DiscoveryError::Logs { from, to, .. } if from == to && from == w.from_block),
        "{err}"
    );
}
