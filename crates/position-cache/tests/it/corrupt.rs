//! Values under the namespace that do not parse are skipped and counted, never fatal.

use mev_position_cache::{PositionStore, StoreError};

use crate::{position, shared_store, user_address};

#[tokio::test]
async fn planted_corrupt_values_are_skipped_and_counted() {
    let store = shared_store("corrupt", 60).await;
    let valid: Vec<_> = (0..20).map(|i| position(i, "aave-v3", 10 + i)).collect();
    store.upsert_many(&valid).await.unwrap();

    let url = store.config().url.clone();
    let port: u16 = url.rsplit(':').next().unwrap().parse().unwrap();
    let cli = |args: &[&str]| mev_position_cache::test_utils::redis_cli(port, args).unwrap();
    let (b1, b4) = (user_address(0xb1), user_address(0xb4));
    let bad_json = store.position_key("aave-v3", b1);
    let bad_user = store.position_key("aave-v3", user_address(0xb2));
    let bad_amount = store.position_key("aave-v3", user_address(0xb3));
    let wrong_type = store.position_key("aave-v3", b4);
    cli(&["SET", &bad_json, "{not json", "EX", "60"]);
    cli(&["SET", &bad_user, r#"{"protocol":"aave-v3","user":"nobody"}"#, "EX", "60"]);
    cli(&[
        "SET",
        &bad_amount,
        r#"{"protocol":"aave-v3","user":"0x00000000000000000000000000000000000000b3","debt":[{"asset":"0x00000000000000000000000000000000000000b3","amount":-5}]}"#,
        "EX",
        "60",
    ]);
    cli(&["HSET", &wrong_type, "field", "value"]);
    cli(&["EXPIRE", &wrong_type, "60"]);

    let mut all = store.get_all().await.unwrap();
    all.sort_by_key(|p| p.user);
    assert_eq!(all, valid);

    let stats = store.stats().await.unwrap();
    assert_eq!(stats.total, 20);
    assert_eq!(stats.corrupt, 4);
    // get_all skipped 4, stats skipped 4 more.
    assert_eq!(stats.corrupt_skipped_total, 8);

    // Single-key reads and health updates name the bad key instead of guessing.
    let user = user_address(0);
    assert!(matches!(store.get("aave-v3", b1).await, Err(StoreError::Corrupt { .. })));
    assert!(matches!(store.get("aave-v3", b4).await, Err(StoreError::Corrupt { .. })));
    assert!(matches!(
        store.update_health("aave-v3", b1, false, 1).await,
        Err(StoreError::Corrupt { .. })
    ));
    assert!(matches!(
        store.update_health("aave-v3", b4, false, 1).await,
        Err(StoreError::Corrupt { .. })
    ));
    assert_eq!(store.update_health("aave-v3", user, false, 11).await.unwrap(), Some(1));

    // An upsert repairs a corrupt key.
    for user in [0xb1, 0xb4] {
        let repaired = position(user, "aave-v3", 5);
        store.upsert(&repaired).await.unwrap();
        assert_eq!(store.get("aave-v3", repaired.user).await.unwrap(), Some(repaired));
    }
    assert_eq!(store.stats().await.unwrap().corrupt, 2);
    store.purge().await.unwrap();
}
