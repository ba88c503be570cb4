//! Quotes a path of two Uniswap V3 pools (A → B at 0.05 %, B → C at 0.3 %) from the reserve
//! cache — no node request while quoting — and prints each hop next to what the chain's own
//! `QuoterV2` says, before and after a block of swaps that the cache follows by its events.
//!
//! ```sh
//! bash scripts/devnet-setup   # once: anvil and the contracts' npm packages
//! cargo run -p example-quotes
//! ```

use std::{process::ExitCode, sync::Arc};

use alloy_primitives::{Address, U256, aliases::U160};
use alloy_provider::Provider;
use mev_chain::{Counted, ProviderChain};
use mev_devnet::{Devnet, QuoterV2, SQRT_PRICE_1_1, UniswapV3Pool};
use mev_event_decoder::{Decoder, Protocol, Registry};
use mev_reserve_cache::{PoolKey, PriceAfter, ReserveCache, RpcReserveSource, SwapSide};

type Error = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("example-quotes: {e}");
            ExitCode::FAILURE
        }
    }
}

fn e18(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18u64))
}

async fn run() -> Result<(), Error> {
    let devnet = Devnet::start().await?;
    devnet.deploy_multicall3().await?;
    let me = devnet.deployer();
    let [a, b, c] = [
        devnet.deploy_erc20(e18(1_000_000_000)).await?,
        devnet.deploy_erc20(e18(1_000_000_000)).await?,
        devnet.deploy_erc20(e18(1_000_000_000)).await?,
    ];
    let v3 = devnet.deploy_uniswap_v3().await?;
    let quoter = v3.deploy_quoter_v2().await?;
    let mut pools = Vec::new();
    for (x, y, fee) in [(a, b, 500), (b, c, 3_000)] {
        let pool = v3.create_pool(x, y, fee, SQRT_PRICE_1_1).await?;
        for t in [pool.token0(), pool.token1()] {
            devnet.approve(t, me, v3.swap_router(), U256::MAX).await?;
            devnet.approve(t, me, v3.position_manager(), U256::MAX).await?;
        }
        let s = pool.tick_spacing();
        // Liquidity in several ranges, so a large swap crosses initialized ticks.
        for k in 1..=6 {
            pool.mint_position(me, -k * 20 * s, k * 20 * s, e18(20_000), e18(20_000)).await?;
        }
        pools.push(pool);
    }

    // The cache reads through a counted reader: quoting must not add a request.
    let provider = devnet.provider().clone();
    let source =
        Arc::new(RpcReserveSource::new(Counted::new(ProviderChain::new(provider.clone()))));
    let cache = ReserveCache::new(source.clone());
    let keys: Vec<PoolKey> = pools.iter().map(|p| PoolKey::uniswap_v3(p.address())).collect();
    let head = devnet.block_number().await?;
    for r in cache.warm(&keys, head).await {
        r?;
    }
    let path = [(a, &pools[0]), (b, &pools[1])];
    let amount = e18(50_000);
    let before = source.reader().requests();
    quote_path(&cache, &quoter, &path, amount).await?;
    assert_no_request(before, source.reader().requests())?;

    // A block of swaps; the cache follows it from the pools' logs alone.
    let mut batch = devnet.batch();
    pools[0].push_swap(&mut batch, me, pools[0].token0() == a, e18(30_000));
    pools[1].push_swap(&mut batch, me, pools[1].token0() != b, e18(10_000));
    batch.execute().await?;
    let now = devnet.block_number().await?;
    let registry: Registry = pools.iter().map(|p| (p.address(), Protocol::UniswapV3)).collect();
    let decoder = Decoder::with_registry(registry.clone());
    for log in provider.get_logs(&registry.filter().from_block(head + 1).to_block(now)).await? {
        cache.apply(&decoder.decode(&log)?);
    }
    println!("after block {now} (followed by events):");
    let before = source.reader().requests();
    quote_path(&cache, &quoter, &path, amount).await?;
    assert_no_request(before, source.reader().requests())
}

fn assert_no_request(before: u64, after: u64) -> Result<(), Error> {
    if after != before {
        return Err(format!("quoting made {} node requests", after - before).into());
    }
    println!("  node requests while quoting: 0");
    Ok(())
}

/// Quotes `amount` along `path` (token in, pool) hop by hop from the cache, prints each hop
/// next to `QuoterV2`'s answer.
async fn quote_path(
    cache: &ReserveCache,
    quoter: &QuoterV2,
    path: &[(Address, &UniswapV3Pool)],
    amount: U256,
) -> Result<(), Error> {
    let mut amount_in = amount;
    for (token_in, pool) in path {
        let q = cache.quote(&pool.address(), *token_in, amount_in, SwapSide::ExactIn)?;
        let zero_for_one = *token_in == pool.token0();
        let chain =
            quoter.quote_exact_input_single(pool, zero_for_one, amount_in, U160::ZERO).await?;
        let PriceAfter::UniswapV3 { ticks_crossed, .. } = q.after else { unreachable!("V3") };
        println!(
            "  pool {} (fee {}): {} in → cache {} out ({} ticks crossed), QuoterV2 {} out{}",
            pool.address(),
            pool.fee(),
            amount_in,
            q.amount_out,
            ticks_crossed,
            chain.amount,
            if q.amount_out == chain.amount { " — equal" } else { " — DIFFERENT" },
        );
        if q.amount_out != chain.amount {
            return Err(
                format!("the cache's quote differs from QuoterV2 on {}", pool.address()).into()
            );
        }
        amount_in = q.amount_out;
    }
    println!("  path: {amount} in → {amount_in} out");
    Ok(())
}
