//! Records written by the Python bot are read exactly and updated in place without loss.

use alloy_primitives::{U256, address};
use mev_position_cache::{PositionStore, test_utils::redis_cli};
use rust_decimal::Decimal;

use crate::shared_store;

/// Verbatim from the issue.
const REFERENCE: &str = r#"{"protocol":"moonwell","user":"0xAbCdEf1234567890123456789012345678901234","collateral_asset":"0x4200000000000000000000000000000000000006","collateral_amount":1000000000000000000,"debt_asset":"0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913","debt_amount":1500000000,"liquidation_threshold":"0.80","last_update_block":1000,"blocks_unhealthy":0}"#;

#[tokio::test]
async fn reference_records_read_exactly_and_update_in_place() {
    let store = shared_store("format", 60).await;
    let port: u16 = store.config().url.rsplit(':').next().unwrap().parse().unwrap();
    let user = address!("AbCdEf1234567890123456789012345678901234");
    let key = store.position_key("moonwell", user);
    redis_cli(port, &["SET", &key, REFERENCE, "EX", "60"]).unwrap();

    let p = store.get("moonwell", user).await.unwrap().unwrap();
    assert_eq!(p.user, user);
    assert_eq!(p.collateral[0].asset, address!("4200000000000000000000000000000000000006"));
    assert_eq!(p.collateral[0].amount, U256::from(1_000_000_000_000_000_000_u64));
    assert_eq!(p.collateral[0].liquidation_threshold, Decimal::new(80, 2));
    assert_eq!(p.debt[0].asset, address!("833589fCD6eDb6E08f4c7C32D4f71b54bdA02913"));
    assert_eq!(p.debt[0].amount, U256::from(1_500_000_000_u64));
    assert_eq!((p.last_update_block, p.blocks_unhealthy), (1000, 0));

    // The script patches only the trailing fields (adding the verdict block); everything else
    // stays byte for byte.
    assert_eq!(store.update_health("moonwell", user, false, 1001).await.unwrap(), Some(1));
    let raw = redis_cli(port, &["GET", &key]).unwrap();
    assert_eq!(
        raw,
        REFERENCE.replace(
            r#""last_update_block":1000,"blocks_unhealthy":0"#,
            r#""last_update_block":1001,"last_health_block":1001,"blocks_unhealthy":1"#
        )
    );
    // The same block again does not count twice; the next one does.
    assert_eq!(store.update_health("moonwell", user, false, 1001).await.unwrap(), Some(1));
    assert_eq!(store.update_health("moonwell", user, false, 1002).await.unwrap(), Some(2));
    let ttl: i64 = redis_cli(port, &["TTL", &key]).unwrap().parse().unwrap();
    assert!(ttl > 50, "TTL refreshed, got {ttl}");

    // Python's spaced output, fields in another order, an amount beyond 2^64 as a number: the
    // slow path patches fields where they are and never rounds the amount through a double.
    let big = "123456789012345678901234567890";
    let spaced = format!(
        r#"{{"blocks_unhealthy": 4, "protocol": "moonwell", "user": "0xabcdef1234567890123456789012345678901234", "collateral_asset": "0x4200000000000000000000000000000000000006", "collateral_amount": {big}, "debt_asset": "0x833589fcd6edb6e08f4c7c32d4f71b54bda02913", "debt_amount": 7, "liquidation_threshold": "0.825", "last_update_block": 5}}"#
    );
    redis_cli(port, &["SET", &key, &spaced, "EX", "60"]).unwrap();
    assert_eq!(store.update_health("moonwell", user, false, 6).await.unwrap(), Some(5));
    let p = store.get("moonwell", user).await.unwrap().unwrap();
    assert_eq!(p.collateral[0].amount, U256::from_str_radix(big, 10).unwrap());
    assert_eq!((p.last_update_block, p.last_health_block, p.blocks_unhealthy), (6, 6, 5));
    // Repeated and older blocks change nothing, on the slow path too.
    assert_eq!(store.update_health("moonwell", user, false, 6).await.unwrap(), Some(5));
    assert_eq!(store.update_health("moonwell", user, true, 5).await.unwrap(), Some(5));
    assert_eq!(store.update_health("moonwell", user, true, 7).await.unwrap(), Some(0));

    // An upsert over a reference record keeps its counter and rewrites it in the new format.
    redis_cli(
        port,
        &[
            "SET",
            &key,
            &REFERENCE.replace(r#""blocks_unhealthy":0"#, r#""blocks_unhealthy":3"#),
            "EX",
            "60",
        ],
    )
    .unwrap();
    let mut next = p.clone();
    next.last_update_block = 2000;
    next.last_health_block = 1999;
    next.blocks_unhealthy = 0;
    store.upsert(&next).await.unwrap();
    let stored = store.get("moonwell", user).await.unwrap().unwrap();
    assert_eq!((stored.blocks_unhealthy, stored.last_health_block), (3, 0), "the stored streak");
    assert_eq!(stored.last_update_block, 2000);
    // The upgraded record then counts per block like any other.
    assert_eq!(store.update_health("moonwell", user, false, 2001).await.unwrap(), Some(4));
    assert_eq!(store.update_health("moonwell", user, false, 2003).await.unwrap(), Some(1));
    assert!(redis_cli(port, &["GET", &key]).unwrap().contains(r#""collateral":[{"#));
    store.purge().await.unwrap();
}
