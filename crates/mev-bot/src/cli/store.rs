//! Opening the position store a command writes to: Redis (`--redis-url`), Redis behind a
//! failover to memory (`run`), or memory. URLs in messages are [redacted](redact).

use std::sync::Arc;

use mev_chain::redact;
use mev_position_cache::{
    FailoverPositionStore, InMemoryPositionStore, PositionStore, RedisConfig, RedisPositionStore,
    StoreError,
};

use super::error::{CliError, Result};

/// Rejects a `--redis-url` that is not a Redis URL.
fn check_redis_scheme(url: &str) -> Result<()> {
    let scheme = url.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
    if !matches!(
        scheme.as_deref(),
        Some("redis" | "rediss" | "redis-cluster" | "rediss-cluster" | "redis-sentinel")
    ) {
        return Err(CliError::InvalidArgument {
            what: "--redis-url",
            reason: format!(
                "{:?} is not a redis:// (or rediss://, redis-cluster://) URL",
                redact(url)
            ),
        });
    }
    Ok(())
}

/// A Redis connection error: a bad URL is an argument error, anything else a store error.
fn redis_error(url: &str, e: StoreError) -> CliError {
    match e {
        StoreError::Config { reason, .. } => CliError::InvalidArgument {
            what: "--redis-url",
            reason: format!("{:?}: {}", redact(url), redact(&reason)),
        },
        source => CliError::Store {
            context: format!("connecting to Redis (--redis-url {})", redact(url)),
            source: Box::new(source),
        },
    }
}

/// Redis at `url`, connected now.
pub(super) async fn redis_store(url: String) -> Result<RedisPositionStore> {
    check_redis_scheme(&url)?;
    RedisPositionStore::connect(RedisConfig::new(url.clone()))
        .await
        .map_err(|e| redis_error(&url, e))
}

/// Redis at `redis_url`, or memory when `None`.
pub(super) async fn open_store(redis_url: Option<String>) -> Result<Arc<dyn PositionStore>> {
    Ok(match redis_url {
        Some(url) => Arc::new(redis_store(url).await?),
        None => Arc::new(InMemoryPositionStore::new()),
    })
}

/// Redis behind a failover to memory (`run`): an outage never stops the pipeline, and what
/// changed meanwhile is written back on reconnect. Memory when `redis_url` is `None`.
pub(super) async fn failover_store(redis_url: Option<String>) -> Result<Arc<dyn PositionStore>> {
    let Some(url) = redis_url else {
        return Ok(Arc::new(InMemoryPositionStore::new()));
    };
    check_redis_scheme(&url)?;
    let store = FailoverPositionStore::connect(RedisConfig::new(url.clone()))
        .await
        .map_err(|e| redis_error(&url, e))?;
    if store.primary().ping().await.is_ok() {
        tracing::info!(redis = %redact(&url), "Redis connected");
    } else {
        tracing::warn!(
            redis = %redact(&url),
            "Redis does not answer; positions stay in memory until it does"
        );
    }
    let store = Arc::new(store);
    super::health_endpoint::watch_store(store.clone());
    Ok(store)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_never_show_the_password_or_path() {
        let e = check_redis_scheme("http://user:secret@host:1/0").unwrap_err().to_string();
        assert!(!e.contains("secret") && e.contains("http://host:1"), "{e}");
        assert!(check_redis_scheme("rediss://user:secret@host:1/0").is_ok());
        let e = redis_error(
            "redis://user:secret@host:1/0",
            StoreError::Config { field: "url", reason: "bad".into() },
        )
        .to_string();
        assert!(!e.contains("secret") && e.starts_with("invalid --redis-url"), "{e}");
    }
}
