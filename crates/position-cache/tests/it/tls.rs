//! TLS (`rediss://`) against a real `redis-server` serving TLS with a throwaway CA and required
//! client certificates.

use mev_position_cache::{
    PositionStore, RedisConfig, RedisPositionStore, StoreError,
    test_utils::{RedisServer, RedisServerOptions, TestCertificates},
};

use crate::position;

async fn tls_server() -> (RedisServer, TestCertificates) {
    tokio::task::spawn_blocking(|| {
        let certs = TestCertificates::generate().expect("generate certificates with openssl");
        let server = RedisServer::start_with(RedisServerOptions {
            tls: Some(certs.clone()),
            ..Default::default()
        })
        .expect("start redis-server with TLS");
        (server, certs)
    })
    .await
    .unwrap()
}

fn config(server: &RedisServer) -> RedisConfig {
    let mut config = RedisConfig::new(server.tls_url().expect("TLS port"));
    config.connect_timeout_ms = 3_000;
    config
}

#[tokio::test]
async fn rediss_with_private_ca_and_client_certificate_round_trips() {
    let (server, certs) = tls_server().await;
    let store = RedisPositionStore::builder()
        .url(server.tls_url().unwrap())
        .tls_ca_file(certs.ca())
        .tls_client_cert(certs.client_cert(), certs.client_key())
        .connect()
        .await
        .expect("TLS connection with the test CA and a client certificate");

    let mut p = position(7, "aave-v3", 3);
    store.upsert(&p).await.unwrap();
    assert_eq!(store.update_health("aave-v3", p.user, false, 11).await.unwrap(), Some(1));
    p.blocks_unhealthy = 1;
    p.last_update_block = 11;
    p.last_health_block = 11;
    assert_eq!(store.get("aave-v3", p.user).await.unwrap(), Some(p.clone()));
    store.upsert_many(&[position(8, "moonwell", 1), position(9, "moonwell", 2)]).await.unwrap();
    assert_eq!(store.get_all().await.unwrap().len(), 3);
    assert!(store.remove("aave-v3", p.user).await.unwrap());

    // The same data through the server's plain port: it is one server.
    let plain = RedisPositionStore::connect(RedisConfig::new(server.url())).await.unwrap();
    assert_eq!(plain.get_all().await.unwrap().len(), 2);
}

#[tokio::test]
async fn rediss_refuses_an_unknown_ca_and_a_missing_client_certificate() {
    let (server, certs) = tls_server().await;

    // System roots do not know the test CA: the server certificate is rejected.
    let mut untrusted = config(&server);
    untrusted.tls.cert_file = Some(certs.client_cert());
    untrusted.tls.key_file = Some(certs.client_key());
    let err = RedisPositionStore::connect(untrusted).await.expect_err("unknown CA refused");
    assert!(matches!(err, StoreError::Unavailable { .. }), "{err}");
    assert!(err.to_string().contains("UnknownIssuer"), "{err}");

    // The server requires a client certificate (`tls-auth-clients yes`, Redis's default).
    let mut anonymous = config(&server);
    anonymous.tls.ca_file = Some(certs.ca());
    let result = async {
        let store = RedisPositionStore::connect(anonymous).await?;
        store.get("aave-v3", position(1, "aave-v3", 1).user).await
    }
    .await;
    let err = result.expect_err("a client without a certificate must not be served");
    assert!(err.to_string().contains("CertificateRequired"), "{err}");
}

#[tokio::test]
async fn unreadable_tls_files_are_config_errors_naming_the_field() {
    let (server, certs) = tls_server().await;
    let mut missing = config(&server);
    missing.tls.ca_file = Some(certs.ca().with_file_name("absent.crt"));
    let err = RedisPositionStore::connect(missing).await.expect_err("missing CA file");
    assert!(matches!(err, StoreError::Config { field: "tls.ca_file", .. }), "{err}");
    assert!(err.to_string().contains("absent.crt"), "{err}");

    let mut not_pem = config(&server);
    not_pem.tls.ca_file = Some(certs.ca());
    not_pem.tls.cert_file = Some(certs.client_key()); // a key where a certificate belongs
    not_pem.tls.key_file = Some(certs.client_key());
    let err = RedisPositionStore::connect(not_pem).await.expect_err("no certificate in file");
    assert!(matches!(err, StoreError::Config { field: "tls.cert_file", .. }), "{err}");
}
