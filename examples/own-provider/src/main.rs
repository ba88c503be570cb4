//! Bring your own alloy provider: a transport with alloy's retry layer, a provider for
//! `AnyNetwork` (what a Base or Arbitrum bot uses when it does not want op-alloy's types), and
//! every cache of the workspace reading the chain through it — the reserve cache, a rebuild and
//! the `Pipeline` — on a devnet with the real Uniswap V2 and Aave V3 contracts.
//!
//! ```sh
//! bash scripts/devnet-setup   # once: anvil and the contracts' npm packages
//! cargo run -p example-own-provider
//! ```

use std::{process::ExitCode, sync::Arc, time::Duration};

use alloy_primitives::{Address, U256};
use alloy_provider::{ProviderBuilder, network::AnyNetwork};
use alloy_rpc_client::ClientBuilder;
use alloy_transport::layers::RetryBackoffLayer;
use mev_bot::{BotConfig, Pipeline, PoolConfig};
use mev_chain::{ChainReader, Counted, ProviderChain};
use mev_devnet::{AavePosition, AaveV3Config as DevnetAave, Devnet};
use mev_position_cache::{InMemoryPositionStore, PositionStore};
use mev_rebuild::{AaveV3Config, MarketConfig, RebuildConfig, Rebuilder};
use mev_reserve_cache::{PoolKey, PoolState, ReserveCache, RpcReserveSource};

type Error = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("example-own-provider: {e}");
            ExitCode::FAILURE
        }
    }
}

fn e18(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18u64))
}

async fn run() -> Result<(), Error> {
    // A devnet: Multicall3, a Uniswap V2 pair, an Aave V3 market with two borrowers.
    let devnet = Devnet::start().await?;
    devnet.deploy_multicall3().await?;
    let deploy_block = devnet.block_number().await?;
    let aave = devnet.deploy_aave_v3(&DevnetAave::default()).await?;
    let (weth, usdc) = (aave.asset("WETH")?, aave.asset("USDC")?);
    let whale = Address::repeat_byte(0xee);
    let (alice, bob) = (Address::repeat_byte(0xa1), Address::repeat_byte(0xb0));
    aave.open_positions(&[
        AavePosition {
            user: whale,
            supplies: vec![(usdc, aave.units(usdc, 1_000_000)?)],
            borrows: vec![],
        },
        AavePosition {
            user: alice,
            supplies: vec![(weth, aave.units(weth, 10)?)],
            borrows: vec![(usdc, aave.units(usdc, 15_000)?)],
        },
        AavePosition {
            user: bob,
            supplies: vec![(weth, aave.units(weth, 10)?)],
            borrows: vec![(usdc, aave.units(usdc, 4_000)?)],
        },
    ])
    .await?;
    let me = devnet.deployer();
    let (t0, t1) = (
        devnet.deploy_erc20(e18(1_000_000_000)).await?,
        devnet.deploy_erc20(e18(1_000_000_000)).await?,
    );
    let pair = devnet.deploy_uniswap_v2().await?.create_pair(t0, t1).await?;
    pair.add_liquidity(me, e18(1_000_000), e18(2_000_000)).await?;

    // Your stack: alloy's retry layer on the transport, an AnyNetwork provider with the
    // recommended fillers. mev-chain reads through it unchanged.
    let client = ClientBuilder::default()
        .layer(RetryBackoffLayer::new(10, 200, 10_000))
        .http(devnet.rpc_url().parse()?);
    let provider = ProviderBuilder::new().network::<AnyNetwork>().connect_client(client);
    let chain = Arc::new(Counted::new(ProviderChain::<_, AnyNetwork>::new(provider)));
    let reader: Arc<dyn ChainReader> = chain.clone();
    let head = reader.block_number().await?;
    println!("connected through a retrying AnyNetwork provider; head {head}");

    // 1. The reserve cache.
    let reserves = ReserveCache::new(Arc::new(RpcReserveSource::new(reader.clone())));
    let snapshot = reserves.get(&PoolKey::uniswap_v2(pair.address()), head).await?;
    let r = pair.reserves().await?;
    let PoolState::UniswapV2 { reserve0, reserve1, .. } = snapshot.state else {
        return Err("not a V2 state".into());
    };
    assert_eq!((reserve0, reserve1), (U256::from(r.reserve0), U256::from(r.reserve1)));
    println!(
        "reserve cache: pair {} reserves {reserve0} / {reserve1} (equal to the chain)",
        pair.address()
    );

    // 2. A rebuild.
    let market = AaveV3Config {
        pool: aave.pool(),
        data_provider: aave.data_provider(),
        start_block: deploy_block,
        ..AaveV3Config::default()
    };
    let protocol = MarketConfig::AaveV3(market.clone()).connect(&*reader, head).await?;
    let store = InMemoryPositionStore::new();
    let report = Rebuilder::new(reader.clone(), vec![protocol], RebuildConfig::default())?
        .run(&store)
        .await?;
    println!(
        "rebuild: {} positions written in {} requests",
        report.positions_written, report.requests
    );
    assert_eq!(store.get_all().await?.len(), 2, "alice and bob");

    // 3. The pipeline, then a WETH crash: alice is flagged at her second unhealthy block.
    let config = BotConfig {
        aave_v3: vec![market],
        pools: vec![PoolConfig::UniswapV2 { address: pair.address(), fee: None }],
        ..BotConfig::default()
    };
    let mut pipeline = Pipeline::builder(reader.clone(), Arc::new(InMemoryPositionStore::new()))
        .bot_config(&config)
        .bootstrap_at_latest()
        .await?;
    println!(
        "pipeline: {} positions, {} pools at block {}",
        pipeline.positions(),
        pipeline.pools().count(),
        pipeline.head().number
    );
    pair.swap_exact_in(me, true, e18(1_000)).await?;
    aave.set_price(weth, U256::from(1_700u64 * 100_000_000)).await?;
    devnet.mine(2).await?;
    let mut opportunities = Vec::new();
    while let Some(event) = pipeline.next_event(&*reader).await? {
        let report = pipeline.apply(event).await?;
        println!(
            "block {}: {} logs, {} pools updated, {} positions re-read",
            report.block, report.logs, report.pools_updated, report.positions_refreshed
        );
        opportunities.extend(report.opportunities);
    }
    let liquidations: Vec<_> =
        opportunities.iter().filter_map(mev_bot::Opportunity::as_liquidation).collect();
    for o in &liquidations {
        println!("opportunity: {}", serde_json_line(o));
    }
    assert_eq!(liquidations.iter().map(|o| o.user).collect::<Vec<_>>(), vec![alice]);
    reader.wait_for_head(Duration::from_millis(1)).await;
    println!("{} chain requests in all, every one through the retry layer", chain.requests());
    Ok(())
}

fn serde_json_line(o: &mev_bot::LiquidationOpportunity) -> String {
    format!(
        "block {} {} health factor {} (WAD), debt to cover {:?}",
        o.block,
        o.user,
        o.health_factor,
        o.liquidation.as_ref().map(|l| l.debt_to_cover)
    )
}
