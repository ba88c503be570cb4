//! Arbitrage on the devnet, from discovery to opportunities.
//!
//! Starts anvil with real Uniswap V2, V3, V4 and Balancer V2 contracts
//! ([`mev_devnet::DexMarket`]: five tokens, eighteen pools between them), **discovers** the
//! pools from the factories' creation events ([`discover_pools_with`]), watches them in a
//! [`Pipeline`] with two base tokens, prints the **cycles** it indexed, then for a few blocks
//! lets a trader swap at random and prints each block's **arbitrage opportunities** as the JSON
//! lines `mev-bot run` writes. It fails when discovery misses a pool the market created or
//! finds one it did not, and when no block had an opportunity.
//!
//! ```sh
//! bash scripts/devnet-setup                      # once: anvil and the contracts
//! cargo run -p example-arbitrage                 # 5 blocks
//! cargo run -p example-arbitrage -- 20           # 20 blocks
//! ```
//!
//! Amounts are in the tokens' smallest units (all five tokens have 18 decimals).

use std::{
    collections::{BTreeMap, BTreeSet},
    process::ExitCode,
    sync::Arc,
};

use alloy_primitives::{Address, U256};
use mev_bot::{ArbitrageConfig, BaseToken, Opportunity, Pipeline, RpcChain};
use mev_chain::ChainReader;
use mev_devnet::{DevRng, Devnet, DexMarket};
use mev_position_cache::InMemoryPositionStore;
use mev_reserve_cache::{DiscoveryFilter, DiscoveryOptions, PoolSource, discover_pools_with};

type Error = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("example-arbitrage: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Error> {
    let blocks: u64 = match std::env::args().nth(1) {
        Some(n) => n.parse().map_err(|e| format!("blocks to follow: {n:?}: {e}"))?,
        None => 5,
    };
    let devnet = Devnet::start().await?;
    let mut rng = DevRng(0x5eed_a7b1_7a6e_0015);
    let market = DexMarket::deploy(&devnet, &mut rng).await?;
    let chain = RpcChain::connect(devnet.rpc_url()).await?;

    // Discovery: every pool the factories, the PoolManager and the Vault announced, kept when
    // all its tokens are among the market's five.
    let sources = [
        PoolSource::uniswap_v2(market.v2.factory()),
        PoolSource::uniswap_v3(market.v3.factory()),
        PoolSource::uniswap_v4(market.v4.pool_manager(), market.v4.state_view()),
        PoolSource::balancer_v2(market.balancer.vault())
            .weighted_factory(market.balancer.addresses().weighted_pool_factory),
    ];
    let filter =
        DiscoveryFilter { tokens: market.tokens.iter().copied().collect(), ..Default::default() };
    // The devnet's positions are wide: load 400 bitmap words either side of the price.
    let options = DiscoveryOptions { tick_words: 400, ..DiscoveryOptions::default() };
    let head = chain.block_number().await?;
    let discovery = discover_pools_with(&chain, &sources, 0, head, &filter, &options).await?;
    let name: BTreeMap<Address, String> =
        market.tokens.iter().enumerate().map(|(i, t)| (*t, format!("t{i}"))).collect();
    let token = |t: &Address| name.get(t).cloned().unwrap_or_else(|| t.to_string());
    let kind = |pool: &Address| market.venues.get(pool).map_or("unknown", |v| v.kind());
    println!("discovered {} pools in blocks 0..={head}:", discovery.pools.len());
    for pool in &discovery.pools {
        let tokens: Vec<String> = pool.tokens.iter().map(token).collect();
        let address = pool.key.address;
        println!(
            "  {} {address} ({}), created at block {}",
            kind(&address),
            tokens.join("/"),
            pool.created_block
        );
    }
    let found: BTreeSet<Address> = discovery.pools.iter().map(|p| p.key.address).collect();
    let created: BTreeSet<Address> = market.venues.keys().copied().collect();
    if found != created {
        return Err(format!(
            "discovery found {} pools, the market created {}: missing {:?}, unexpected {:?}",
            found.len(),
            created.len(),
            created.difference(&found).collect::<Vec<_>>(),
            found.difference(&created).collect::<Vec<_>>()
        )
        .into());
    }

    // The pipeline: the discovered pools, arbitrage from t0 and t1 with a gas cost of 0.05
    // token per cycle and at most 100,000 tokens in.
    let e18 = U256::from(10u64).pow(U256::from(18));
    let base = |t: Address| BaseToken {
        gas_cost: e18 / U256::from(20),
        max_input: U256::from(100_000) * e18,
        ..BaseToken::new(t)
    };
    let arbitrage = ArbitrageConfig {
        base: vec![base(market.tokens[0]), base(market.tokens[1])],
        ..ArbitrageConfig::default()
    };
    let mut builder =
        Pipeline::builder(Arc::new(chain.clone()), Arc::new(InMemoryPositionStore::new()))
            .arbitrage(arbitrage);
    for pool in &discovery.pools {
        builder = builder.pool(pool.key.clone());
    }
    let mut pipeline = builder.bootstrap_at_latest().await?;
    let cycles = pipeline.cycles().ok_or("no base token configured")?;
    println!("{} cycles from t0 and t1:", cycles.len());
    for (id, cycle) in cycles.iter() {
        let mut path = token(&cycle.base());
        for hop in cycle.hops() {
            path += &format!(" -[{} {}]-> {}", kind(&hop.pool), hop.pool, token(&hop.token_out));
        }
        println!("  cycle {}: {path}", id.0);
    }

    // A few blocks of random trades; the pipeline follows each from the node.
    let mut total = 0usize;
    for _ in 0..blocks {
        let swaps = market.random_block(&mut rng).await?;
        while let Some(event) = pipeline.next_event(&chain).await? {
            let report = pipeline.apply(event).await?;
            let arbitrages: Vec<_> = report.arbitrages().collect();
            println!(
                "block {}: {swaps} trader swaps, {} cycles sized, {} arbitrages",
                report.block,
                report.cycles_evaluated,
                arbitrages.len()
            );
            for arb in &arbitrages {
                println!("{}", serde_json::to_string(&Opportunity::from((*arb).clone()))?);
            }
            total += arbitrages.len();
        }
    }
    println!("{total} arbitrage opportunities in {blocks} blocks");
    if total == 0 && blocks > 0 {
        return Err(format!("no arbitrage in {blocks} blocks of random trades").into());
    }
    Ok(())
}
