//! Quotes a path of three pools — Uniswap V3 A → B at 0.05 %, V3 B → C at 0.3 %, Uniswap V4
//! C → D at 0.3 % in the `PoolManager` — from the reserve cache (no node request while quoting)
//! and prints each hop next to what the chain's own quoter says (`QuoterV2`, `V4Quoter`), before
//! and after a block of swaps that the cache follows by its events.
//!
//! ```sh
//! bash scripts/devnet-setup   # once: anvil and the contracts' npm packages
//! cargo run -p example-quotes
//! ```

use std::{process::ExitCode, sync::Arc};

use alloy_primitives::{Address, B256, I256, U256, aliases::U160};
use alloy_provider::Provider;
use mev_chain::{Counted, ProviderChain};
use mev_devnet::{Devnet, QuoterV2, SQRT_PRICE_1_1, UniswapV3Pool, UniswapV4, UniswapV4Pool};
use mev_event_decoder::{Decoder, Protocol, Registry};
use mev_reserve_cache::{PoolKey, PriceAfter, ReserveCache, RpcReserveSource, SwapSide, V4PoolKey};

/// One hop of the path: a pool and the quoter that answers for it on chain.
enum Hop<'a> {
    V3(&'a UniswapV3Pool, &'a QuoterV2),
    V4(&'a UniswapV4Pool, &'a UniswapV4),
}

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
    let [a, b, c, d] = [
        devnet.deploy_erc20(e18(1_000_000_000)).await?,
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
    // The V4 hop: a pool in the PoolManager singleton, liquidity in nested ranges.
    let v4 = devnet.deploy_uniswap_v4().await?;
    let v4_pool = v4.initialize_pool(c, d, 3_000, 60, Address::ZERO, SQRT_PRICE_1_1).await?;
    for k in 1..=6 {
        let liquidity = 10i128.pow(23);
        v4_pool.modify_liquidity(me, -k * 1_200, k * 1_200, liquidity, B256::ZERO).await?;
    }
    let v4_key = V4PoolKey {
        currency0: v4_pool.currency0(),
        currency1: v4_pool.currency1(),
        fee: v4_pool.fee(),
        tick_spacing: v4_pool.tick_spacing(),
        hooks: v4_pool.hooks(),
    };

    // The cache reads through a counted reader: quoting must not add a request.
    let provider = devnet.provider().clone();
    let source =
        Arc::new(RpcReserveSource::new(Counted::new(ProviderChain::new(provider.clone()))));
    let cache = ReserveCache::new(source.clone());
    let mut keys: Vec<PoolKey> = pools.iter().map(|p| PoolKey::uniswap_v3(p.address())).collect();
    keys.push(PoolKey::uniswap_v4(v4.pool_manager(), v4.state_view(), v4_key));
    let head = devnet.block_number().await?;
    for r in cache.warm(&keys, head).await {
        r?;
    }
    let path = [
        (a, keys[0].address, Hop::V3(&pools[0], &quoter)),
        (b, keys[1].address, Hop::V3(&pools[1], &quoter)),
        (c, keys[2].address, Hop::V4(&v4_pool, &v4)),
    ];
    let amount = e18(50_000);
    let before = source.reader().requests();
    quote_path(&cache, &path, amount).await?;
    assert_no_request(before, source.reader().requests())?;

    // A block of swaps; the cache follows it from the pools' logs alone.
    let mut batch = devnet.batch();
    pools[0].push_swap(&mut batch, me, pools[0].token0() == a, e18(30_000));
    pools[1].push_swap(&mut batch, me, pools[1].token0() != b, e18(10_000));
    let exact_in = -I256::try_from(e18(20_000))?;
    v4_pool.push_swap(&mut batch, me, v4_pool.currency0() == d, exact_in, U160::ZERO);
    batch.execute().await?;
    let now = devnet.block_number().await?;
    let registry: Registry = pools
        .iter()
        .map(|p| (p.address(), Protocol::UniswapV3))
        .chain([(v4.pool_manager(), Protocol::UniswapV4)])
        .collect();
    let decoder = Decoder::with_registry(registry.clone());
    for log in provider.get_logs(&registry.filter().from_block(head + 1).to_block(now)).await? {
        cache.apply(&decoder.decode(&log)?);
    }
    println!("after block {now} (followed by events):");
    let before = source.reader().requests();
    quote_path(&cache, &path, amount).await?;
    assert_no_request(before, source.reader().requests())
}

fn assert_no_request(before: u64, after: u64) -> Result<(), Error> {
    if after != before {
        return Err(format!("quoting made {} node requests", after - before).into());
    }
    println!("  node requests while quoting: 0");
    Ok(())
}

/// Quotes `amount` along `path` (token in, pool's cache address, hop) hop by hop from the
/// cache, prints each hop next to the chain quoter's answer.
async fn quote_path(
    cache: &ReserveCache,
    path: &[(Address, Address, Hop<'_>)],
    amount: U256,
) -> Result<(), Error> {
    let mut amount_in = amount;
    for (token_in, pool, hop) in path {
        let q = cache.quote(pool, *token_in, amount_in, SwapSide::ExactIn)?;
        let (name, chain, ticks_crossed) = match (hop, q.after) {
            (Hop::V3(p, quoter), PriceAfter::UniswapV3 { ticks_crossed, .. }) => {
                let zero_for_one = *token_in == p.token0();
                let chain =
                    quoter.quote_exact_input_single(p, zero_for_one, amount_in, U160::ZERO).await?;
                (format!("V3 {} (fee {})", p.address(), p.fee()), chain.amount, ticks_crossed)
            }
            (Hop::V4(p, v4), PriceAfter::UniswapV4 { ticks_crossed, .. }) => {
                let zero_for_one = *token_in == p.currency0();
                let amount = u128::try_from(amount_in)?;
                let chain = v4.quote_exact_input_single(p, zero_for_one, amount).await?;
                (format!("V4 {} (fee {})", p.id(), p.fee()), chain.amount, ticks_crossed)
            }
            _ => return Err(format!("pool {pool}: the quote is not of the hop's kind").into()),
        };
        let verdict = if q.amount_out == chain { "equal" } else { "DIFFERENT" };
        println!(
            "  {name}: {amount_in} in → cache {} out ({ticks_crossed} ticks crossed), \
             chain quoter {chain} out — {verdict}",
            q.amount_out,
        );
        if q.amount_out != chain {
            return Err(format!("the cache's quote differs from the chain's on {name}").into());
        }
        amount_in = q.amount_out;
    }
    println!("  path: {amount} in → {amount_in} out");
    Ok(())
}
