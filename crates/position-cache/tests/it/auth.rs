//! Credentials travel in the URL.

use mev_position_cache::{
    PositionStore, RedisConfig, RedisPositionStore,
    test_utils::{RedisServer, RedisServerOptions},
};

use crate::position;

#[tokio::test]
async fn password_in_the_url_authenticates_and_a_wrong_one_is_refused() {
    let server = tokio::task::spawn_blocking(|| {
        RedisServer::start_with(RedisServerOptions {
            extra_args: vec!["--requirepass".into(), "s3cret".into()],
            ..Default::default()
        })
    })
    .await
    .unwrap()
    .expect("start redis-server with a password");
    let port = server.port();

    let store =
        RedisPositionStore::connect(RedisConfig::new(format!("redis://:s3cret@127.0.0.1:{port}")))
            .await
            .expect("AUTH through the URL");
    let p = position(1, "aave-v3", 1);
    store.upsert(&p).await.unwrap();
    assert_eq!(store.get("aave-v3", p.user).await.unwrap(), Some(p));

    let wrong =
        RedisPositionStore::connect(RedisConfig::new(format!("redis://:nope@127.0.0.1:{port}")))
            .await;
    assert!(wrong.is_err(), "a wrong password must not connect");
    drop(server);
}
