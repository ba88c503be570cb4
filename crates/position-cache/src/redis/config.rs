//! [`RedisConfig`] and the builder of [`RedisPositionStore`].

use std::{path::PathBuf, time::Duration};

use serde::{Deserialize, Serialize};

use super::RedisPositionStore;
use crate::{
    config::StoreConfig,
    error::{Result, StoreError},
};

/// Settings of a [`RedisPositionStore`].
///
/// The URL carries the topology, credentials and TLS, as fred reads it:
/// `redis://[[user:]password@]host[:port][/db]` for one node,
/// `redis-cluster://host:port?node=host2:port2` for a cluster (any node; the rest is
/// discovered), `rediss://…` / `rediss-cluster://…` for TLS (feature `tls`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RedisConfig {
    /// Server URL. Default: `redis://127.0.0.1:6379`.
    pub url: String,
    /// Key namespace and TTL.
    #[serde(flatten)]
    pub store: StoreConfig,
    /// Connections (fred clients) commands are spread over. Default: 2.
    pub pool_size: usize,
    /// Per-command (or per-pipeline) timeout in milliseconds; a call not answered by then fails
    /// with [`StoreError::Unavailable`]. Commands are sent at most once: never retried after a
    /// reconnect, and failed at once while disconnected. Default: 500.
    pub command_timeout_ms: u64,
    /// Timeout of the initial connection in milliseconds. Default: 2000.
    pub connect_timeout_ms: u64,
    /// Delay between reconnection attempts in milliseconds. Default: 100.
    pub reconnect_delay_ms: u64,
    /// `SCAN … COUNT` hint per page (keys). Default: 1000.
    pub scan_count: u32,
    /// Commands per pipeline in bulk writes. Default: 1000.
    pub batch_size: usize,
    /// Pipelines or bulk reads in flight at once. Default: 4.
    pub max_in_flight: usize,
    /// Certificates for a `rediss://` URL (feature `tls`). Default: none (system roots, no
    /// client certificate).
    pub tls: RedisTlsConfig,
}

/// PEM files for TLS connections (`rediss://`, feature `tls`), as `redis-cli --tls` takes them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RedisTlsConfig {
    /// CA certificates that sign the server's certificate, trusted instead of the system's roots
    /// (`--cacert`).
    pub ca_file: Option<PathBuf>,
    /// Client certificate chain, for servers that require one (`tls-auth-clients yes`, Redis's
    /// default) (`--cert`).
    pub cert_file: Option<PathBuf>,
    /// Private key of [`cert_file`](Self::cert_file) (`--key`).
    pub key_file: Option<PathBuf>,
}

impl RedisTlsConfig {
    /// Whether any file is set.
    pub const fn is_set(&self) -> bool {
        self.ca_file.is_some() || self.cert_file.is_some() || self.key_file.is_some()
    }
}

impl Default for RedisConfig {
    fn default() -> Self {
        Self {
            url: "redis://127.0.0.1:6379".into(),
            store: StoreConfig::default(),
            pool_size: 2,
            command_timeout_ms: 500,
            connect_timeout_ms: 2_000,
            reconnect_delay_ms: 100,
            scan_count: 1_000,
            batch_size: 1_000,
            max_in_flight: 4,
            tls: RedisTlsConfig::default(),
        }
    }
}

impl RedisConfig {
    /// Default settings for `url`.
    pub fn new(url: impl Into<String>) -> Self {
        Self { url: url.into(), ..Self::default() }
    }

    /// Checks the values: sizes and timeouts must be at least 1; TLS files need a `rediss://`
    /// URL, the `tls` feature, and a client certificate comes with its key.
    pub fn validate(&self) -> Result<()> {
        self.store.validate()?;
        let positive: [(&'static str, u64); 7] = [
            ("pool_size", self.pool_size as u64),
            ("command_timeout_ms", self.command_timeout_ms),
            ("connect_timeout_ms", self.connect_timeout_ms),
            ("reconnect_delay_ms", self.reconnect_delay_ms),
            ("scan_count", u64::from(self.scan_count)),
            ("batch_size", self.batch_size as u64),
            ("max_in_flight", self.max_in_flight as u64),
        ];
        for (field, value) in positive {
            if value == 0 {
                return Err(StoreError::Config { field, reason: "must be at least 1".into() });
            }
        }
        if u32::try_from(self.reconnect_delay_ms).is_err() {
            return Err(StoreError::Config {
                field: "reconnect_delay_ms",
                reason: "must fit in 32 bits".into(),
            });
        }
        self.validate_tls()
    }

    /// Whether the URL asks for TLS (`rediss://`, `rediss-cluster://`, …).
    pub fn uses_tls(&self) -> bool {
        self.url.split_once("://").is_some_and(|(scheme, _)| scheme.starts_with("rediss"))
    }

    fn validate_tls(&self) -> Result<()> {
        let tls = &self.tls;
        if !tls.is_set() {
            return Ok(());
        }
        let field = if tls.ca_file.is_some() { "tls.ca_file" } else { "tls.cert_file" };
        if !cfg!(feature = "tls") {
            return Err(StoreError::Config {
                field,
                reason: "TLS needs the crate feature `tls`".into(),
            });
        }
        if !self.uses_tls() {
            return Err(StoreError::Config {
                field,
                reason: format!("set, but the url {:?} is not rediss://", redact(&self.url)),
            });
        }
        match (&tls.cert_file, &tls.key_file) {
            (Some(_), None) => Err(StoreError::Config {
                field: "tls.key_file",
                reason: "tls.cert_file is set without its key".into(),
            }),
            (None, Some(_)) => Err(StoreError::Config {
                field: "tls.cert_file",
                reason: "tls.key_file is set without a certificate".into(),
            }),
            _ => Ok(()),
        }
    }

    /// The per-command timeout as a [`Duration`].
    pub const fn command_timeout(&self) -> Duration {
        Duration::from_millis(self.command_timeout_ms)
    }
}

/// `url` with any password replaced by `***`, for error messages.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    match rest.split_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
            None => format!("{scheme}://***@{host}"),
        },
        None => url.to_owned(),
    }
}

/// Builder for [`RedisPositionStore`]; setters are named after [`RedisConfig`]'s fields.
#[derive(Debug, Clone, Default)]
pub struct RedisPositionStoreBuilder {
    config: RedisConfig,
}

impl RedisPositionStoreBuilder {
    /// Starts from `config`.
    pub const fn from_config(config: RedisConfig) -> Self {
        Self { config }
    }

    /// Server URL (see [`RedisConfig`]).
    #[must_use]
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.config.url = url.into();
        self
    }

    /// Key prefix, e.g. `"bot1:"`.
    #[must_use]
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.config.store.namespace = namespace.into();
        self
    }

    /// Time-to-live of a position (whole seconds, at least 1).
    #[must_use]
    pub const fn ttl(mut self, ttl: Duration) -> Self {
        self.config.store.ttl_secs = ttl.as_secs();
        self
    }

    /// Number of connections.
    #[must_use]
    pub const fn pool_size(mut self, pool_size: usize) -> Self {
        self.config.pool_size = pool_size;
        self
    }

    /// Per-command timeout.
    #[must_use]
    pub const fn command_timeout(mut self, timeout: Duration) -> Self {
        self.config.command_timeout_ms = timeout.as_millis() as u64;
        self
    }

    /// Initial connection timeout.
    #[must_use]
    pub const fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.config.connect_timeout_ms = timeout.as_millis() as u64;
        self
    }

    /// Delay between reconnection attempts.
    #[must_use]
    pub const fn reconnect_delay(mut self, delay: Duration) -> Self {
        self.config.reconnect_delay_ms = delay.as_millis() as u64;
        self
    }

    /// `SCAN` `COUNT` hint.
    #[must_use]
    pub const fn scan_count(mut self, count: u32) -> Self {
        self.config.scan_count = count;
        self
    }

    /// Commands per pipeline in bulk writes.
    #[must_use]
    pub const fn batch_size(mut self, batch_size: usize) -> Self {
        self.config.batch_size = batch_size;
        self
    }

    /// Pipelines in flight at once.
    #[must_use]
    pub const fn max_in_flight(mut self, max_in_flight: usize) -> Self {
        self.config.max_in_flight = max_in_flight;
        self
    }

    /// Trusts the CA certificates in this PEM file instead of the system's roots (TLS URLs).
    #[must_use]
    pub fn tls_ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.config.tls.ca_file = Some(path.into());
        self
    }

    /// Presents this client certificate chain and private key (PEM files) on TLS connections.
    #[must_use]
    pub fn tls_client_cert(mut self, cert: impl Into<PathBuf>, key: impl Into<PathBuf>) -> Self {
        self.config.tls.cert_file = Some(cert.into());
        self.config.tls.key_file = Some(key.into());
        self
    }

    /// The settings so far.
    pub const fn config(&self) -> &RedisConfig {
        &self.config
    }

    /// Validates, connects and waits for the connection (see [`RedisPositionStore::connect`]).
    pub async fn connect(self) -> Result<RedisPositionStore> {
        RedisPositionStore::connect(self.config).await
    }

    /// Validates and starts connecting in the background (see
    /// [`RedisPositionStore::connect_lazy`]).
    pub async fn connect_lazy(self) -> Result<RedisPositionStore> {
        RedisPositionStore::connect_lazy(self.config).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate_and_zeroes_do_not() {
        RedisConfig::default().validate().unwrap();
        let mut c = RedisConfig::new("redis://127.0.0.1:1");
        c.batch_size = 0;
        assert!(matches!(c.validate(), Err(StoreError::Config { field: "batch_size", .. })));
        let c: RedisConfig =
            serde_json::from_str(r#"{"url":"redis://x:1","namespace":"n:","ttl_secs":5}"#).unwrap();
        assert_eq!(c.store.namespace, "n:");
        assert_eq!(c.store.ttl_secs, 5);
        assert_eq!(c.pool_size, 2);
    }

    #[test]
    fn tls_files_need_a_tls_url_and_come_in_pairs() {
        let mut c = RedisConfig::new("redis://:hunter2@127.0.0.1:6379");
        c.tls.ca_file = Some("ca.crt".into());
        let err = c.validate().unwrap_err();
        if cfg!(feature = "tls") {
            assert!(matches!(err, StoreError::Config { field: "tls.ca_file", .. }), "{err}");
            assert!(!err.to_string().contains("hunter2"), "password redacted: {err}");
            c.url = "rediss://127.0.0.1:6379".into();
            c.validate().unwrap();
            c.tls.cert_file = Some("client.crt".into());
            let err = c.validate().unwrap_err();
            assert!(matches!(err, StoreError::Config { field: "tls.key_file", .. }), "{err}");
            c.tls.key_file = Some("client.key".into());
            c.validate().unwrap();
        } else {
            assert!(err.to_string().contains("feature `tls`"), "{err}");
        }
        let parsed: RedisConfig = serde_json::from_str(
            r#"{"url":"rediss://h:1","tls":{"ca_file":"/etc/ca.pem","cert_file":"c","key_file":"k"}}"#,
        )
        .unwrap();
        assert_eq!(parsed.tls.ca_file.as_deref(), Some(std::path::Path::new("/etc/ca.pem")));
        assert!(serde_json::from_str::<RedisConfig>(r#"{"tls":{"ca":"x"}}"#).is_err());
    }
}
