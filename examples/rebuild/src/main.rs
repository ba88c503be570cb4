//! Rebuilds an Aave V3 position cache from an RPC URL into the in-memory store and prints the
//! report.
//!
//! ```text
//! cargo run -p example-rebuild -- RPC_URL POOL DATA_PROVIDER [START_BLOCK]
//! ```
//!
//! Arguments fall back to the environment: `RPC_URL`, `AAVE_POOL`, `AAVE_DATA_PROVIDER`,
//! `START_BLOCK`. For the devnet, run
//! `MEV_REBUILD_HOLD=1 cargo bench -p mev-rebuild --bench rebuild`: it deploys real Aave V3 with
//! 1,000 borrowers on anvil, keeps it running and prints the exact command line to use here.

use std::{process::ExitCode, sync::Arc};

use alloy_primitives::Address;
use alloy_provider::ProviderBuilder;
use mev_chain::{ChainReader, ProviderChain};
use mev_position_cache::{InMemoryPositionStore, PositionStore};
use mev_rebuild::{AaveV3Config, AaveV3Protocol, LendingProtocol, RebuildConfig, Rebuilder};

fn arg(args: &[String], i: usize, env: &str) -> Option<String> {
    args.get(i).cloned().or_else(|| std::env::var(env).ok())
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("example-rebuild: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: example-rebuild RPC_URL POOL DATA_PROVIDER [START_BLOCK]";
    let url = arg(&args, 0, "RPC_URL").ok_or(usage)?;
    let pool: Address = arg(&args, 1, "AAVE_POOL").ok_or(usage)?.parse()?;
    let data_provider: Address = arg(&args, 2, "AAVE_DATA_PROVIDER").ok_or(usage)?.parse()?;
    let start_block: u64 =
        arg(&args, 3, "START_BLOCK").map(|s| s.parse()).transpose()?.unwrap_or(0);

    let provider = ProviderBuilder::new().connect_http(url.parse()?);
    let reader: Arc<dyn ChainReader> = Arc::new(ProviderChain::new(provider));
    let head = reader.block_number().await?;
    let config = AaveV3Config { pool, data_provider, start_block, ..AaveV3Config::default() };
    let protocol: Arc<dyn LendingProtocol> =
        Arc::new(AaveV3Protocol::connect(&*reader, config, head).await?);
    let store = InMemoryPositionStore::new();
    let rebuilder = Rebuilder::new(reader, vec![protocol], RebuildConfig::default())?;
    let report = rebuilder.run(&store).await?;
    println!("{report:#?}");
    let liquidatable = store
        .get_all()
        .await?
        .iter()
        .filter(|p| {
            p.health_factor.is_some_and(|hf| {
                hf < alloy_primitives::U256::from(10u64).pow(alloy_primitives::U256::from(18u8))
            })
        })
        .count();
    println!("{} positions cached, {liquidatable} liquidatable", store.len());
    Ok(())
}
