//! A walk through `mev-position-cache`: in memory by default, Redis when `REDIS_URL` is set
//! (e.g. `REDIS_URL=redis://127.0.0.1:6379 cargo run -p example-position-cache`).
//!
//! Set `RUST_LOG=debug` to see the store's tracing spans.

use std::{error::Error, sync::Arc, time::Instant};

use alloy_primitives::{Address, U256};
use futures::TryStreamExt;
use mev_position_cache::{
    InMemoryPositionStore, Position, PositionStore, RedisPositionStore, StoreConfig,
};
use rust_decimal::Decimal;

/// The reference bot's single-asset record.
const REFERENCE: &str = r#"{"protocol":"moonwell","user":"0xAbCdEf1234567890123456789012345678901234","collateral_asset":"0x4200000000000000000000000000000000000006","collateral_amount":1000000000000000000,"debt_asset":"0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913","debt_amount":1500000000,"liquidation_threshold":"0.80","last_update_block":1000,"blocks_unhealthy":0}"#;

const NAMESPACE: &str = "example-position-cache:";

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();

    let mut redis = None;
    let store: Arc<dyn PositionStore> = match std::env::var("REDIS_URL") {
        Ok(url) => {
            println!("backend: Redis at {url} (namespace {NAMESPACE:?})");
            let store =
                RedisPositionStore::builder().url(url).namespace(NAMESPACE).connect().await?;
            println!("  cluster: {}", store.is_clustered());
            redis = Some(store.clone());
            Arc::new(store)
        }
        Err(_) => {
            println!("backend: in memory (set REDIS_URL to use Redis)");
            Arc::new(InMemoryPositionStore::new())
        }
    };
    println!(
        "keys look like {}",
        StoreConfig { namespace: NAMESPACE.into(), ..StoreConfig::default() }
            .position_key("aave-v3", Address::repeat_byte(0xab))
    );

    // 1. A multi-leg position.
    let weth = Address::repeat_byte(0x42);
    let usdc = Address::repeat_byte(0x83);
    let cbeth = Address::repeat_byte(0x2a);
    let user = Address::repeat_byte(0xab);
    let position = Position::new("aave-v3", user)
        .with_collateral(
            weth,
            U256::from(2) * U256::from(10).pow(U256::from(18)),
            Decimal::new(83, 2),
        )
        .with_collateral(cbeth, U256::from(10).pow(U256::from(18)), Decimal::new(79, 2))
        .with_debt(usdc, U256::from(3_000_000_000_u64))
        .with_health_factor(U256::from(1_040_000_000_000_000_000_u64))
        .at_block(20_000_000);
    store.upsert(&position).await?;
    println!("\nupserted {} bytes of JSON:\n  {}", position.to_json()?.len(), position.to_json()?);

    // 2. The reference bot's format reads as one collateral leg and one debt leg.
    let legacy = Position::from_json(REFERENCE.as_bytes())?;
    println!(
        "\nreference record: {} on {}: {} wei of {} at LT {}, debt {} of {}",
        legacy.user,
        legacy.protocol,
        legacy.collateral[0].amount,
        legacy.collateral[0].asset,
        legacy.collateral[0].liquidation_threshold,
        legacy.debt[0].amount,
        legacy.debt[0].asset
    );
    store.upsert(&legacy).await?;

    // 3. Health checks count consecutive unhealthy blocks; an upsert keeps the count.
    for block in 20_000_001..20_000_004 {
        let n = store.update_health("aave-v3", user, false, block).await?;
        println!("block {block}: unhealthy for {n:?} blocks");
    }
    store.upsert(&position.clone().at_block(20_000_004)).await?;
    let kept = store.get("aave-v3", user).await?.map(|p| p.blocks_unhealthy);
    println!("after an upsert the counter is still {kept:?}");
    let n = store.update_health("aave-v3", user, true, 20_000_005).await?;
    println!("healthy again: {n:?}");

    // 4. Bulk load, then read everything back.
    let many: Vec<Position> = (0..10_000_u64)
        .map(|i| {
            let mut who = [0u8; 20];
            who[12..].copy_from_slice(&i.to_be_bytes());
            Position::new(if i % 2 == 0 { "aave-v3" } else { "moonwell" }, Address::from(who))
                .with_collateral(weth, U256::from(i), Decimal::new(80, 2))
                .with_debt(usdc, U256::from(i / 2))
                .at_block(20_000_000 + i % 100)
        })
        .collect();
    let started = Instant::now();
    store.upsert_many(&many).await?;
    println!("\nupsert_many of {} positions took {:?}", many.len(), started.elapsed());
    let started = Instant::now();
    let all = store.get_all().await?;
    println!("get_all returned {} positions in {:?}", all.len(), started.elapsed());
    let streamed = store.stream(500).try_fold(0_usize, |n, _| async move { Ok(n + 1) }).await?;
    println!("streaming in pages of 500 saw {streamed} positions");

    let stats = store.stats().await?;
    println!(
        "stats: backend {}, total {}, per protocol {:?}, connected {}, current block {}, corrupt {}",
        stats.backend,
        stats.total,
        stats.per_protocol,
        stats.connected,
        stats.current_block,
        stats.corrupt
    );

    // 5. Rebuild checkpoints.
    store.set_checkpoint("aave-v3", 20_000_005).await?;
    println!("checkpoint for aave-v3: {:?}", store.checkpoint("aave-v3").await?);

    // Clean up what this example wrote (positions would expire after 60 s; checkpoints do not).
    store.remove("aave-v3", user).await?;
    if let Some(redis) = redis {
        println!("\npurged {} keys under {NAMESPACE:?}", redis.purge().await?);
    } else {
        store.remove("moonwell", legacy.user).await?;
        for p in &many {
            store.remove(&p.protocol, p.user).await?;
        }
    }
    println!("{} positions left", store.stats().await?.total);
    Ok(())
}
