//! The pipeline's arbitrage stage on real contracts: Uniswap V2 pairs, V3 and V4 pools and
//! Balancer weighted pools sharing five tokens ([`DexMarket`]), watched through a `BotConfig`
//! with two base tokens. For 200 blocks a trader swaps at random (opening dislocations); the
//! pipeline follows each block from the node, and every arbitrage it emits is executed alone in
//! the next block from a chain snapshot — its hops in order, exact inputs, by one account — and
//! must pay every hop's `amount_out` and a profit equal to `gross_profit`, to the wei.

use std::{collections::BTreeMap, sync::Arc, time::Instant};

use alloy_primitives::{I256, U256};
use mev_bot::{ArbitrageConfig, BaseToken, BotConfig, Pipeline, PoolConfig, RpcChain};
use mev_devnet::{DevRng, Devnet, DexMarket, SwapHop, UniswapV4, Venue};
use mev_position_cache::InMemoryPositionStore;

const BLOCKS: u64 = 200;

fn e18(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18))
}

/// The market's pools as configuration, every tick of the V3 and V4 pools loaded.
pub(crate) fn pool_configs(market: &DexMarket) -> Vec<PoolConfig> {
    market
        .venues
        .values()
        .map(|v| match v {
            Venue::UniswapV2(p) => PoolConfig::UniswapV2 { address: p.address(), fee: None },
            Venue::UniswapV3(p) => {
                PoolConfig::UniswapV3 { address: p.address(), tick_words: Some(400) }
            }
            Venue::UniswapV4(p) => PoolConfig::UniswapV4 {
                pool_manager: market.v4.pool_manager(),
                state_view: market.v4.state_view(),
                currency0: p.currency0(),
                currency1: p.currency1(),
                fee: p.fee(),
                tick_spacing: p.tick_spacing(),
                hooks: p.hooks(),
                tick_words: u16::try_from(UniswapV4::MAX_TICK / p.tick_spacing() / 256 + 2).ok(),
            },
            Venue::Balancer(p, _) => PoolConfig::BalancerV2 {
                vault: market.balancer.vault(),
                pool_id: p.id(),
                pool_type: mev_bot::BalancerPoolTypeConfig::Weighted,
            },
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_emitted_arbitrage_executes_for_exactly_its_gross_profit() {
    let started = Instant::now();
    let devnet = Devnet::start().await.expect("devnet (run: bash scripts/devnet-setup)");
    let mut rng = DevRng(0x5eed_a7b1_7a6e_0015);
    let market = DexMarket::deploy(&devnet, &mut rng).await.expect("the DEX market");
    // Gas: 0.05 tokens per cycle, so dust dislocations are not opportunities.
    let gas_cost = U256::from(50_000_000_000_000_000u64);
    let base = |i: usize| BaseToken {
        gas_cost,
        max_input: e18(100_000),
        ..BaseToken::new(market.tokens[i])
    };
    let config = BotConfig {
        pools: pool_configs(&market),
        arbitrage: ArbitrageConfig { base: vec![base(0), base(1)], ..ArbitrageConfig::default() },
        ..BotConfig::default()
    };
    let chain = RpcChain::connect(devnet.rpc_url()).await.expect("connect");
    let mut pipeline =
        Pipeline::builder(Arc::new(chain.clone()), Arc::new(InMemoryPositionStore::new()))
            .bot_config(&config)
            .bootstrap_at_latest()
            .await
            .expect("bootstrap");
    let cycles = pipeline.cycles().expect("base tokens configured").len();
    assert!(cycles >= 100, "{cycles} cycles");
    let setup = started.elapsed();

    let (mut trades, mut evaluated, mut emitted) = (0usize, 0usize, 0usize);
    let mut by_path: BTreeMap<String, usize> = BTreeMap::new();
    let mut max_profit = U256::ZERO;
    for _ in 0..BLOCKS {
        trades += market.random_block(&mut rng).await.expect("random trades");
        let mut found = Vec::new();
        while let Some(event) = pipeline.next_event(&chain).await.expect("next event") {
            let report = pipeline.apply(event).await.expect("apply");
            evaluated += report.cycles_evaluated;
            found.extend(report.arbitrages().cloned());
        }
        let head = pipeline.head().number;
        assert_eq!(head, devnet.block_number().await.unwrap(), "the pipeline is at the head");
        for arb in &found {
            assert_eq!(arb.block, head);
            assert!(arb.net_profit > U256::ZERO && arb.gross_profit == arb.net_profit + gas_cost);
            assert_eq!(arb.amount_out, arb.amount_in + arb.gross_profit);
            assert_eq!(arb.hops.first().map(|h| h.token_in), Some(arb.base));
            assert_eq!(arb.hops.last().map(|h| h.token_out), Some(arb.base));
            let hops: Vec<SwapHop> = arb
                .hops
                .iter()
                .map(|h| SwapHop {
                    pool: h.pool,
                    token_in: h.token_in,
                    token_out: h.token_out,
                    amount_in: h.amount_in,
                    amount_out: h.amount_out,
                })
                .collect();
            let kinds: Vec<&str> = hops.iter().map(|h| market.venues[&h.pool].kind()).collect();
            let x =
                market.execute(&hops).await.unwrap_or_else(|e| panic!("{kinds:?} {arb:?}: {e}"));
            assert_eq!(x.block, head + 1, "the next block");
            assert_eq!(x.block_transactions, x.sent, "nothing else in the block: {arb:?}");
            for (hop, (paid, received)) in arb.hops.iter().zip(&x.hops) {
                assert_eq!(
                    (*paid, *received),
                    (hop.amount_in, hop.amount_out),
                    "{kinds:?} {arb:?}"
                );
            }
            assert_eq!(
                x.first_token_change,
                I256::from_raw(arb.gross_profit),
                "realized profit: {kinds:?} {arb:?}"
            );
            assert!(x.others_unchanged, "intermediate tokens: {arb:?}");
            assert_eq!(devnet.block_number().await.unwrap(), head, "reverted");
            emitted += 1;
            *by_path.entry(kinds.join("→")).or_default() += 1;
            max_profit = max_profit.max(arb.gross_profit);
        }
    }
    println!(
        "mev-bot arbitrage stage on the devnet: {} pools, {cycles} cycles, {BLOCKS} blocks, \
         {trades} trader swaps, {evaluated} cycle sizings, {emitted} arbitrages emitted and \
         executed with every hop and the profit equal to the wei (max {max_profit} wei); by \
         pools {by_path:?}; setup {setup:.1?}, total {:.1?}",
        config.pools.len(),
        started.elapsed()
    );
    assert!(emitted >= 24, "{emitted} arbitrages");
    for kind in ["V2", "V3", "V4", "Balancer"] {
        assert!(by_path.keys().any(|p| p.contains(kind)), "a {kind} hop executed: {by_path:?}");
    }
}
