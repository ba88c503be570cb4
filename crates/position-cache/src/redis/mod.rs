//! [`RedisPositionStore`]: positions as JSON strings in Redis (single node or cluster), via fred.

mod config;
mod scan;
mod scripts;
#[cfg(feature = "tls")]
mod tls;

use std::{
    collections::HashMap,
    sync::{
        Arc,
        atomic::{AtomicU64, AtomicUsize, Ordering},
    },
};

use alloy_primitives::Address;
use async_trait::async_trait;
use fred::{
    bytes_utils::Str,
    clients::{Client, Pipeline, WithOptions},
    error::{Error as FredError, ErrorKind},
    prelude::{ClientLike, KeysInterface, LuaInterface},
    types::{
        Builder, ClusterHash, CustomCommand, Expiration, Key, Value,
        config::{Config as FredConfig, Options, ReconnectPolicy, TcpConfig},
        scripts::Script,
    },
    util::redis_keyslot,
};
use futures::{StreamExt, TryStreamExt, stream};
use tracing::Instrument;

pub use self::config::{RedisConfig, RedisPositionStoreBuilder, RedisTlsConfig};
use self::scan::parse_scan_reply;
use crate::{
    error::{Result, StoreError},
    position::{Position, validate_protocol},
    store::{CursorState, PositionStore, ScanCursor, ScanPage, StoreStats},
};

/// A [`PositionStore`] in Redis: each position is a JSON string under
/// `{namespace}position:{protocol}:{user}`, written with `SET … EX ttl`.
///
/// - `update_health` and `upsert` run as Lua scripts (`EVALSHA`, reloaded after a server
///   restart), so concurrent bots never lose an increment.
/// - `get_all`/`stats` walk the keyspace with `SCAN MATCH` (never `KEYS`) and fetch values with
///   `MGET` (per-key `GET`s in one pipeline on a cluster, where keys span slots), several pages in
///   flight; on a cluster every primary is scanned.
/// - `upsert_many` runs the upsert script over up to 256 keys (of one hash slot) per call,
///   several calls per pipeline: one `SET … EX … GET` per position on the server, a second
///   `SET` only where the stored counter differs. `restore_many` pipelines `SET … EX`.
/// - Every command carries a timeout and fails fast while disconnected, so a call never waits
///   longer than [`command_timeout_ms`](RedisConfig::command_timeout_ms) and a failed command is
///   never replayed later. The client reconnects in the background.
///
/// Cloning is cheap and shares the connections.
#[derive(Debug, Clone)]
pub struct RedisPositionStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    clients: Vec<Client>,
    next: AtomicUsize,
    options: Options,
    config: RedisConfig,
    ttl_arg: String,
    corrupt_total: AtomicU64,
}

impl Drop for Inner {
    fn drop(&mut self) {
        let Ok(handle) = tokio::runtime::Handle::try_current() else { return };
        for client in self.clients.drain(..) {
            handle.spawn(async move {
                let _ = client.quit().await;
            });
        }
    }
}

impl RedisPositionStore {
    /// A builder starting from the defaults.
    pub fn builder() -> RedisPositionStoreBuilder {
        RedisPositionStoreBuilder::default()
    }

    /// Connects with `config`, waiting up to
    /// [`connect_timeout_ms`](RedisConfig::connect_timeout_ms); fails with
    /// [`StoreError::Unavailable`] when the server cannot be reached, [`StoreError::Config`] on a
    /// bad URL. Loads the Lua scripts.
    pub async fn connect(config: RedisConfig) -> Result<Self> {
        let store = Self::start(config, true)?;
        let timeout = std::time::Duration::from_millis(store.inner.config.connect_timeout_ms);
        let wait = futures::future::try_join_all(
            store.inner.clients.iter().map(|client| client.wait_for_connect()),
        );
        match tokio::time::timeout(timeout, wait).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return Err(map_err("connect", e)),
            Err(_) => {
                return Err(StoreError::Unavailable {
                    backend: "redis",
                    op: "connect",
                    reason: format!("not connected within {} ms", timeout.as_millis()),
                });
            }
        }
        store.load_scripts().await.map_err(|e| map_err("connect", e))?;
        Ok(store)
    }

    /// Starts connecting in the background and returns at once. Until the server answers every
    /// call fails fast with [`StoreError::Unavailable`]; the client keeps retrying every
    /// [`reconnect_delay_ms`](RedisConfig::reconnect_delay_ms). This is how
    /// [`FailoverPositionStore`](crate::FailoverPositionStore) starts while Redis is down.
    pub async fn connect_lazy(config: RedisConfig) -> Result<Self> {
        Self::start(config, false)
    }

    fn start(config: RedisConfig, fail_fast_connect: bool) -> Result<Self> {
        config.validate()?;
        let mut fred_config = FredConfig::from_url(&config.url)
            .map_err(|e| StoreError::Config { field: "url", reason: e.details().to_owned() })?;
        fred_config.fail_fast = fail_fast_connect;
        #[cfg(feature = "tls")]
        if config.tls.is_set() {
            fred_config.tls = Some(tls::connector(&config.tls)?.into());
        }
        let timeout = config.command_timeout();
        let connect_timeout = std::time::Duration::from_millis(config.connect_timeout_ms);
        let delay = u32::try_from(config.reconnect_delay_ms).unwrap_or(u32::MAX);
        let mut builder = Builder::from_config(fred_config);
        builder
            .with_connection_config(|c| {
                c.connection_timeout = connect_timeout;
                c.internal_command_timeout = connect_timeout;
                c.max_command_attempts = 1;
                c.tcp = TcpConfig { nodelay: Some(true), ..TcpConfig::default() };
            })
            .with_performance_config(|p| p.default_command_timeout = timeout)
            .set_policy(ReconnectPolicy::new_constant(0, delay));
        let clients = (0..config.pool_size)
            .map(|_| builder.build())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| StoreError::Config { field: "url", reason: e.details().to_owned() })?;
        for client in &clients {
            // The handle only reports when the connection task ends; it keeps running detached.
            drop(client.connect());
        }
        let options = Options {
            max_attempts: Some(1),
            timeout: Some(timeout),
            fail_fast: true,
            ..Options::default()
        };
        Ok(Self {
            inner: Arc::new(Inner {
                clients,
                next: AtomicUsize::new(0),
                options,
                ttl_arg: config.store.ttl_secs.to_string(),
                config,
                corrupt_total: AtomicU64::new(0),
            }),
        })
    }

    /// The settings this store runs with.
    pub fn config(&self) -> &RedisConfig {
        &self.inner.config
    }

    /// Whether every connection is currently up.
    pub fn is_connected(&self) -> bool {
        self.inner.clients.iter().all(ClientLike::is_connected)
    }

    /// Whether the server is a Redis Cluster.
    pub fn is_clustered(&self) -> bool {
        self.inner.clients.first().is_some_and(ClientLike::is_clustered)
    }

    /// The key of `user`'s position on `protocol`.
    pub fn position_key(&self, protocol: &str, user: Address) -> String {
        self.inner.config.store.position_key(protocol, user)
    }

    fn raw_client(&self) -> &Client {
        let i = self.inner.next.fetch_add(1, Ordering::Relaxed) % self.inner.clients.len();
        &self.inner.clients[i]
    }

    fn client(&self) -> WithOptions<Client> {
        self.raw_client().with_options(&self.inner.options)
    }

    fn pipeline(&self) -> WithOptions<Pipeline<Client>> {
        self.raw_client().pipeline().with_options(&self.inner.options)
    }

    async fn load_scripts(&self) -> Result<(), FredError> {
        for client in &self.inner.clients {
            for script in [&*scripts::UPSERT, &*scripts::HEALTH] {
                if let Some(lua) = script.lua() {
                    client.script_load_cluster::<(), _>(lua.clone()).await?;
                }
            }
            if !client.is_clustered() {
                // One server: the script cache is shared by all connections.
                break;
            }
        }
        Ok(())
    }

    /// `EVALSHA`, loading the scripts and retrying once on `NOSCRIPT` (after a server restart).
    async fn evalsha(
        &self,
        script: &Script,
        key: &str,
        args: &[Value],
    ) -> Result<Value, FredError> {
        let client = self.client();
        let keys = [key];
        match client
            .custom::<Value, Value>(evalsha_command(key), evalsha_args(script, &keys, args))
            .await
        {
            Err(e) if is_noscript(&e) => {
                self.load_scripts().await?;
                client.custom(evalsha_command(key), evalsha_args(script, &keys, args)).await
            }
            other => other,
        }
    }

    /// Key and JSON of `position`, as shared buffers (clones are reference counts).
    fn prepare(&self, position: &Position) -> Result<Prepared> {
        let key = self.position_key(&position.protocol, position.user);
        let json = position.to_json()?;
        if !scripts::ends_with_counter(&json) {
            return Err(StoreError::invalid(
                "position",
                "serialized JSON does not end in last_health_block and blocks_unhealthy",
            ));
        }
        Ok(Prepared { key: Str::from(key), json: Str::from(json) })
    }

    /// `ARGV` of the upsert script for `batch` (one hash slot).
    fn upsert_args(&self, batch: &[&Prepared]) -> Vec<Value> {
        let mut args = Vec::with_capacity(1 + batch.len());
        args.push(Value::from(self.inner.ttl_arg.as_str()));
        args.extend(batch.iter().map(|p| Value::from(p.json.clone())));
        args
    }

    /// Pipelined `SET … EX` of prepared positions.
    async fn set_batch(&self, batch: &[Prepared]) -> Result<()> {
        let pipeline = self.pipeline();
        let expire = Some(Expiration::EX(self.ttl_secs_i64()));
        for p in batch {
            pipeline
                .set::<(), _, _>(
                    Key::from(p.key.clone()),
                    Value::from(p.json.clone()),
                    expire.clone(),
                    None,
                    false,
                )
                .await
                .map_err(|e| map_err("set", e))?;
        }
        pipeline
            .try_all::<Value>()
            .await
            .into_iter()
            .try_for_each(|r| r.map(drop).map_err(|e| map_err("set", e)))
    }

    /// Upsert script calls for `batch`, up to [`scripts::UPSERT_KEYS_PER_CALL`] keys of one hash
    /// slot per call, pipelined.
    async fn upsert_batch(&self, batch: &[&Prepared]) -> Result<()> {
        let mut groups: Vec<Vec<&Prepared>> = Vec::new();
        if self.is_clustered() {
            let mut by_slot: HashMap<u16, Vec<&Prepared>> = HashMap::new();
            for p in batch {
                by_slot.entry(redis_keyslot(p.key.as_bytes())).or_default().push(p);
            }
            for group in by_slot.into_values() {
                groups.extend(group.chunks(scripts::UPSERT_KEYS_PER_CALL).map(<[_]>::to_vec));
            }
        } else {
            groups.extend(batch.chunks(scripts::UPSERT_KEYS_PER_CALL).map(<[_]>::to_vec));
        }
        for attempt in 0..2 {
            let pipeline = self.pipeline();
            for group in &groups {
                let keys: Vec<&str> = group.iter().map(|p| &*p.key).collect();
                pipeline
                    .custom::<(), Value>(
                        evalsha_command(keys[0]),
                        evalsha_args(&scripts::UPSERT, &keys, &self.upsert_args(group)),
                    )
                    .await
                    .map_err(|e| map_err("upsert_many", e))?;
            }
            let results = pipeline.try_all::<Value>().await;
            let mut retry = Vec::new();
            for (group, result) in groups.into_iter().zip(results) {
                match result {
                    Ok(_) => {}
                    Err(e) if is_noscript(&e) && attempt == 0 => retry.push(group),
                    Err(e) => return Err(map_err("upsert_many", e)),
                }
            }
            if retry.is_empty() {
                return Ok(());
            }
            self.load_scripts().await.map_err(|e| map_err("upsert_many", e))?;
            groups = retry;
        }
        Ok(())
    }

    /// Serializes and writes one chunk: plain `SET … EX` (`!keep`), or upserts through the
    /// counter-keeping script.
    async fn write_chunk(&self, chunk: &[Position], keep: bool) -> Result<()> {
        let prepared = chunk.iter().map(|p| self.prepare(p)).collect::<Result<Vec<_>>>()?;
        if keep {
            let all: Vec<&Prepared> = prepared.iter().collect();
            self.upsert_batch(&all).await
        } else {
            self.set_batch(&prepared).await
        }
    }

    /// Bulk write shared by `upsert_many` (`keep` = keep stored counters) and `restore_many`.
    /// Chunks are serialized as they are sent, `max_in_flight` at a time.
    async fn write_many(&self, positions: &[Position], keep: bool) -> Result<()> {
        positions.iter().try_for_each(Position::validate)?;
        let size = self.inner.config.batch_size;
        // Chunk by index: a closure over borrowed chunks trips the `Send` check in async traits.
        stream::iter((0..positions.len()).step_by(size))
            .map(|start| {
                let chunk = &positions[start..(start + size).min(positions.len())];
                self.write_chunk(chunk, keep)
            })
            .buffer_unordered(self.inner.config.max_in_flight)
            .try_collect::<Vec<()>>()
            .await?;
        Ok(())
    }

    fn ttl_secs_i64(&self) -> i64 {
        i64::try_from(self.inner.config.store.ttl_secs).unwrap_or(i64::MAX)
    }
}

/// A position ready to send.
struct Prepared {
    key: Str,
    json: Str,
}

/// `EVALSHA` on keys of `key`'s hash slot, routed there on a cluster.
fn evalsha_command(key: &str) -> CustomCommand {
    CustomCommand::new_static("EVALSHA", ClusterHash::Custom(redis_keyslot(key.as_bytes())), false)
}

/// `sha numkeys key… arg…`.
fn evalsha_args(script: &Script, keys: &[&str], args: &[Value]) -> Vec<Value> {
    let mut out = Vec::with_capacity(2 + keys.len() + args.len());
    out.push(Value::from(script.sha1().clone()));
    out.push(Value::Integer(i64::try_from(keys.len()).unwrap_or(i64::MAX)));
    out.extend(keys.iter().map(|k| Value::from(*k)));
    out.extend_from_slice(args);
    out
}

fn is_noscript(e: &FredError) -> bool {
    e.details().starts_with("NOSCRIPT")
}

/// Maps a fred error, classifying reachability problems as [`StoreError::Unavailable`].
fn map_err(op: &'static str, e: FredError) -> StoreError {
    let details = e.details();
    let unavailable = matches!(
        e.kind(),
        ErrorKind::IO
            | ErrorKind::Canceled
            | ErrorKind::Timeout
            | ErrorKind::Cluster
            | ErrorKind::Backpressure
    ) || ["LOADING", "MASTERDOWN", "TRYAGAIN", "BUSY", "CLUSTERDOWN"]
        .iter()
        .any(|p| details.starts_with(p))
        || details.contains("Too many failed write attempts")
        || details.contains("Connection closed")
        // No connection to route to: the server went away as the command was sent.
        || details.starts_with("Failed to route command")
        || (*e.kind() == ErrorKind::Routing);
    if unavailable {
        StoreError::Unavailable { backend: "redis", op, reason: e.to_string() }
    } else {
        StoreError::Redis { op, source: e }
    }
}

/// [`map_err`], turning wrong-type and script `CORRUPT` replies into [`StoreError::Corrupt`].
fn map_err_key(op: &'static str, e: FredError, key: &str) -> StoreError {
    let details = e.details();
    if details.starts_with("CORRUPT")
        || details.starts_with("WRONGTYPE")
        || details.contains("CORRUPT ")
    {
        return StoreError::Corrupt { key: key.to_owned(), reason: details.to_owned() };
    }
    map_err(op, e)
}

mod store;

#[cfg(test)]
mod tests {
    use fred::error::{Error as FredError, ErrorKind};

    use super::map_err;
    use crate::StoreError;

    #[test]
    fn connection_losses_are_unavailable_and_command_errors_are_not() {
        for (kind, details) in [
            (ErrorKind::IO, "Broken pipe"),
            (ErrorKind::Unknown, "Failed to route command."),
            (ErrorKind::Routing, "Failed to route command."),
            (ErrorKind::Unknown, "Connection closed abruptly."),
            (ErrorKind::Unknown, "LOADING Redis is loading the dataset in memory"),
        ] {
            let err = map_err("get", FredError::new(kind.clone(), details));
            assert!(matches!(err, StoreError::Unavailable { .. }), "{kind:?} {details}: {err}");
        }
        let err = map_err("get", FredError::new(ErrorKind::Unknown, "ERR syntax error"));
        assert!(matches!(err, StoreError::Redis { .. }), "{err}");
    }
}
