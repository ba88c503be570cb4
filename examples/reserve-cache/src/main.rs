//! Runs the reserve cache against an RPC URL (a local devnet by default) and prints the hit
//! rate and the RPC calls it saved. See this example's README.

use std::{sync::Arc, time::Duration};

use alloy_primitives::{Address, U256};
use alloy_provider::{Provider, ProviderBuilder};
use clap::Parser;
use mev_chain::{Counted, ProviderChain};
use mev_devnet::{Devnet, SQRT_PRICE_1_1, v2_amount_out};
use mev_event_decoder::{Decoder, Protocol, Registry};
use mev_reserve_cache::{PoolKey, ReserveCache, RpcReserveSource};

/// Reserve cache demo: hit rate and RPC calls saved.
#[derive(Debug, Parser)]
struct Args {
    /// JSON-RPC URL to follow; without it a local devnet is started and traded on.
    #[arg(long)]
    rpc_url: Option<String>,
    /// Uniswap V2 pairs to watch (with --rpc-url).
    #[arg(long = "v2")]
    v2: Vec<Address>,
    /// Uniswap V3 pools to watch (with --rpc-url).
    #[arg(long = "v3")]
    v3: Vec<Address>,
    /// Blocks to process.
    #[arg(long, default_value_t = 50)]
    blocks: u64,
    /// Reads of every pool per block.
    #[arg(long, default_value_t = 10)]
    reads: u64,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let (url, keys, devnet) = match &args.rpc_url {
        Some(url) => {
            let keys: Vec<PoolKey> = args
                .v2
                .iter()
                .map(|a| PoolKey::uniswap_v2(*a))
                .chain(args.v3.iter().map(|a| PoolKey::uniswap_v3(*a)))
                .collect();
            if keys.is_empty() {
                return Err("give at least one --v2 or --v3 pool with --rpc-url".into());
            }
            (url.clone(), keys, None)
        }
        None => {
            let (devnet, keys) = start_devnet().await?;
            (devnet.0.rpc_url().to_owned(), keys, Some(devnet))
        }
    };
    let provider = ProviderBuilder::new().connect_http(url.parse()?);
    let registry: Registry = keys
        .iter()
        .map(|k| {
            let p = if matches!(k.kind, mev_reserve_cache::PoolKind::UniswapV2 { .. }) {
                Protocol::UniswapV2
            } else {
                Protocol::UniswapV3
            };
            (k.address, p)
        })
        .collect();
    let decoder = Decoder::with_registry(registry.clone());
    let source =
        Arc::new(RpcReserveSource::new(Counted::new(ProviderChain::new(provider.clone()))));
    let cache = ReserveCache::new(source.clone());

    let mut last = provider.get_block_number().await?;
    let mut processed = 0;
    let mut logs_applied = 0usize;
    while processed < args.blocks {
        if let Some((devnet, swaps)) = &devnet {
            swaps.trade(devnet, processed).await?;
        } else {
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        let head = provider.get_block_number().await?;
        if head == last {
            continue;
        }
        let logs =
            provider.get_logs(&registry.filter().from_block(last + 1).to_block(head)).await?;
        for log in &logs {
            if let Ok(decoded) = decoder.decode(log) {
                cache.apply(&decoded);
                logs_applied += 1;
            }
        }
        for key in &keys {
            for _ in 0..args.reads {
                cache.get(key, head).await?;
            }
        }
        processed += head - last;
        last = head;
        println!(
            "block {head}: {} logs, {} requests so far",
            logs.len(),
            source.reader().requests()
        );
    }

    let stats = cache.stats();
    let reads = stats.hits + stats.misses;
    let used = source.reader().requests();
    println!(
        "\n{processed} blocks, {} pools, {logs_applied} logs applied, {reads} reads\n\
         hit rate {}.{:02}%\n\
         RPC requests: {used} with the cache, {reads} without (one per read): {} saved",
        keys.len(),
        stats.hit_rate_bps() / 100,
        stats.hit_rate_bps() % 100,
        reads.saturating_sub(used),
    );
    Ok(())
}

/// The default chain: a devnet with one Uniswap V2 pair and one V3 pool, and a trader.
struct Trader {
    pair: mev_devnet::UniswapV2Pair,
    pool: mev_devnet::UniswapV3Pool,
}

impl Trader {
    /// One block with a swap on each pool, alternating direction.
    async fn trade(&self, devnet: &Devnet, n: u64) -> Result<(), Box<dyn std::error::Error>> {
        let me = devnet.deployer();
        let amount = U256::from(1_000 + n * 37) * U256::from(10u64).pow(U256::from(15));
        let zero_for_one = n.is_multiple_of(2);
        let r = self.pair.reserves().await?;
        let (rin, rout) = if zero_for_one {
            (r.reserve0.to(), r.reserve1.to())
        } else {
            (r.reserve1.to(), r.reserve0.to())
        };
        let mut batch = devnet.batch();
        self.pair.push_swap(&mut batch, me, zero_for_one, amount, v2_amount_out(amount, rin, rout));
        self.pool.push_swap(&mut batch, me, !zero_for_one, amount);
        batch.execute().await?;
        Ok(())
    }
}

async fn start_devnet() -> Result<((Devnet, Trader), Vec<PoolKey>), Box<dyn std::error::Error>> {
    println!("starting a local devnet (anvil + Uniswap V2/V3 from npm)…");
    let devnet = Devnet::start().await?;
    devnet.deploy_multicall3().await?;
    let me = devnet.deployer();
    let supply = U256::from(10u64).pow(U256::from(30));
    let (a, b) = (devnet.deploy_erc20(supply).await?, devnet.deploy_erc20(supply).await?);
    let deep = U256::from(10u64).pow(U256::from(24));
    let pair = devnet.deploy_uniswap_v2().await?.create_pair(a, b).await?;
    pair.add_liquidity(me, deep, deep).await?;
    let v3 = devnet.deploy_uniswap_v3().await?;
    let pool = v3.create_pool(a, b, 3000, SQRT_PRICE_1_1).await?;
    let (lo, hi) = pool.full_range();
    pool.mint_position(me, lo, hi, deep, deep).await?;
    for t in [a, b] {
        devnet.approve(t, me, v3.swap_router(), U256::MAX).await?;
    }
    let keys = vec![PoolKey::uniswap_v2(pair.address()), PoolKey::uniswap_v3(pool.address())];
    Ok(((devnet, Trader { pair, pool }), keys))
}
