//! [`FailoverPositionStore`]: a primary store (Redis) with an in-memory fallback.

use std::{
    collections::HashMap,
    future::Future,
    sync::{
        Arc, Mutex, Weak,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::Duration,
};

use alloy_primitives::Address;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tokio::sync::RwLock;

use crate::{
    error::{Result, StoreError},
    memory::InMemoryPositionStore,
    position::{Position, validate_protocol},
    store::{PositionStore, RebuildHook, ScanCursor, ScanPage, StoreStats},
};

/// Settings of a [`FailoverPositionStore`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FailoverConfig {
    /// Upper bound on one single-key call to the primary, in milliseconds; past it the call
    /// counts as an outage and is answered from memory. Keep it above the primary's own
    /// per-command timeout (Redis default 500 ms) so the primary gives up first. Default: 1000.
    pub call_timeout_ms: u64,
    /// How often the primary is probed during an outage, in milliseconds. Default: 250.
    pub probe_interval_ms: u64,
    /// Positions per `restore_many` call when writing back after an outage. Default: 1000.
    pub writeback_batch: usize,
}

impl Default for FailoverConfig {
    fn default() -> Self {
        Self { call_timeout_ms: 1_000, probe_interval_ms: 250, writeback_batch: 1_000 }
    }
}

impl FailoverConfig {
    /// Checks the values: all must be at least 1.
    pub fn validate(&self) -> Result<()> {
        for (field, value) in [
            ("call_timeout_ms", self.call_timeout_ms),
            ("probe_interval_ms", self.probe_interval_ms),
            ("writeback_batch", self.writeback_batch as u64),
        ] {
            if value == 0 {
                return Err(StoreError::Config { field, reason: "must be at least 1".into() });
            }
        }
        Ok(())
    }
}

/// A [`PositionStore`] that uses a primary (Redis) while it answers and an
/// [`InMemoryPositionStore`] while it does not.
///
/// - **Online**: calls go to the primary; writes, and single-key reads, are mirrored into memory
///   so an outage starts from this process' latest view.
/// - **Outage**: the first call that finds the primary unreachable
///   ([`StoreError::is_unavailable`], or no answer within
///   [`call_timeout_ms`](FailoverConfig::call_timeout_ms)) switches to memory and is answered
///   from it; later calls go straight to memory. Every position or checkpoint changed meanwhile
///   (upserts, health updates, removals) is remembered.
/// - **Reconnect**: a background task probes the primary every
///   [`probe_interval_ms`](FailoverConfig::probe_interval_ms). When it answers, the remembered
///   changes are written back (`restore_many`, `remove`, `set_checkpoint`), the last batch while
///   writers wait, then calls go to the primary again and the [`RebuildHook`] runs once. No
///   change made during the outage is lost; if the write-back fails the store stays in memory
///   mode and retries.
///
/// A primary that was partitioned rather than down may have been changed by other processes
/// meanwhile; the write-back overwrites those keys with this process' state (last writer wins).
///
/// Cloning is cheap and shares the state.
#[derive(Debug, Clone)]
pub struct FailoverPositionStore {
    inner: Arc<Inner>,
}

struct Inner {
    primary: Arc<dyn PositionStore>,
    memory: InMemoryPositionStore,
    hook: Option<Arc<dyn RebuildHook>>,
    config: FailoverConfig,
    online: AtomicBool,
    /// Offline writers hold it shared while they write memory and mark keys dirty; the
    /// recovery takes it exclusively for its final drain and the switch back online.
    barrier: RwLock<()>,
    recovering: tokio::sync::Mutex<()>,
    dirty: Mutex<HashMap<DirtyKey, Change>>,
    outages: AtomicU64,
    rebuilds: AtomicU64,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FailoverPositionStore")
            .field("primary", &self.primary)
            .field("hook", &self.hook)
            .field("config", &self.config)
            .field("online", &self.online)
            .field("outages", &self.outages)
            .field("rebuilds", &self.rebuilds)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum DirtyKey {
    Position { protocol: String, user: Address },
    Checkpoint { protocol: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    Written,
    Removed,
}

impl FailoverPositionStore {
    /// A builder around `primary` (usually a `RedisPositionStore`, feature `redis`).
    pub fn builder(primary: impl PositionStore + 'static) -> FailoverPositionStoreBuilder {
        FailoverPositionStoreBuilder {
            primary: Arc::new(primary),
            memory: None,
            hook: None,
            config: FailoverConfig::default(),
        }
    }

    /// Redis in front of a memory store with the same TTL, default failover settings, no
    /// rebuild hook.
    ///
    /// Waits up to [`connect_timeout_ms`](crate::RedisConfig::connect_timeout_ms) for Redis: a
    /// healthy Redis is used from the first call (no failover at start). When Redis cannot be
    /// reached the store starts on memory and connects in the background. Any other failure —
    /// a wrong password (`WRONGPASS`, `NOAUTH`), a TLS or URL error — is returned: it is not an
    /// outage, and running on memory would hide it.
    #[cfg(feature = "redis")]
    #[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
    pub async fn connect(redis: crate::RedisConfig) -> Result<Self> {
        let memory = InMemoryPositionStore::with_config(crate::InMemoryConfig {
            ttl_secs: redis.store.ttl_secs,
            ..Default::default()
        })?;
        let primary = match crate::RedisPositionStore::connect(redis.clone()).await {
            Ok(store) => store,
            Err(e) if e.is_unavailable() => {
                tracing::warn!(error = %e, "Redis unreachable at start; positions in memory until it answers");
                crate::RedisPositionStore::connect_lazy(redis).await?
            }
            Err(e) => return Err(e),
        };
        Self::builder(primary).memory(memory).build()
    }

    /// Whether calls currently go to the primary.
    pub fn is_online(&self) -> bool {
        self.inner.online.load(Ordering::Acquire)
    }

    /// Outages detected since creation.
    pub fn outages(&self) -> u64 {
        self.inner.outages.load(Ordering::Relaxed)
    }

    /// Times the rebuild hook has been started (once per reconnect).
    pub fn rebuilds(&self) -> u64 {
        self.inner.rebuilds.load(Ordering::Relaxed)
    }

    /// Changes made during the current outage not yet written back.
    pub fn pending_writes(&self) -> usize {
        self.inner.dirty.lock().map_or(0, |d| d.len())
    }

    /// The memory fallback.
    pub fn memory(&self) -> &InMemoryPositionStore {
        &self.inner.memory
    }

    /// The primary store.
    pub fn primary(&self) -> &Arc<dyn PositionStore> {
        &self.inner.primary
    }

    /// Probes the primary now and, if it answers, writes back and switches online (as the
    /// background task does). Returns whether the store is online afterwards.
    pub async fn try_recover(&self) -> Result<bool> {
        self.inner.clone().recover().await
    }

    fn go_offline(&self, op: &'static str, error: &StoreError) {
        self.inner.go_offline(op, error);
    }

    fn mark(&self, key: DirtyKey, change: Change) {
        if let Ok(mut dirty) = self.inner.dirty.lock() {
            dirty.insert(key, change);
        }
    }

    fn mark_position(&self, protocol: &str, user: Address, change: Change) {
        self.mark(DirtyKey::Position { protocol: protocol.to_owned(), user }, change);
    }

    /// Runs a primary call under the call timeout.
    async fn primary_call<T>(
        &self,
        op: &'static str,
        call: impl Future<Output = Result<T>> + Send,
    ) -> Result<T> {
        let timeout = Duration::from_millis(self.inner.config.call_timeout_ms);
        tokio::time::timeout(timeout, call).await.unwrap_or_else(|_| {
            Err(StoreError::Unavailable {
                backend: "failover",
                op,
                reason: format!("primary did not answer within {} ms", timeout.as_millis()),
            })
        })
    }
}

impl Inner {
    fn go_offline(&self, op: &'static str, error: &StoreError) {
        if self.online.swap(false, Ordering::AcqRel) {
            self.outages.fetch_add(1, Ordering::Relaxed);
            metrics::counter!("position_cache_failover_total", "to" => "memory").increment(1);
            metrics::gauge!("position_cache_redis_online").set(0.0);
            tracing::warn!(op, %error, "primary store unreachable, serving from memory");
        }
    }

    /// Writes back what changed during the outage and switches online; `Ok(false)` when the
    /// primary is still unreachable.
    async fn recover(self: Arc<Self>) -> Result<bool> {
        let _single = self.recovering.lock().await;
        if self.online.load(Ordering::Acquire) {
            return Ok(true);
        }
        if let Err(e) = self.primary.ping().await {
            tracing::debug!(error = %e, "primary still unreachable");
            return Ok(false);
        }
        // Drain while writers continue, until little is left…
        for _ in 0..8 {
            if self.dirty.lock().map_or(0, |d| d.len()) <= self.config.writeback_batch {
                break;
            }
            if !self.write_back().await? {
                return Ok(false);
            }
        }
        // …then the rest while writers wait, and switch.
        {
            let _exclusive = self.barrier.write().await;
            if !self.write_back().await? {
                return Ok(false);
            }
            self.online.store(true, Ordering::Release);
        }
        metrics::counter!("position_cache_failover_total", "to" => "redis").increment(1);
        metrics::gauge!("position_cache_redis_online").set(1.0);
        tracing::info!("primary store reachable again; outage changes written back");
        if let Some(hook) = self.hook.clone() {
            self.rebuilds.fetch_add(1, Ordering::Relaxed);
            let store = FailoverPositionStore { inner: self.clone() };
            // On its own task: a long rebuild must not hold up probing, nor a panicking hook
            // kill the prober.
            tokio::spawn(async move {
                match hook.rebuild(&store).await {
                    Ok(()) => {
                        metrics::counter!("position_cache_rebuilds_total", "result" => "ok")
                            .increment(1);
                    }
                    Err(e) => {
                        metrics::counter!("position_cache_rebuilds_total", "result" => "error")
                            .increment(1);
                        tracing::warn!(error = %e, "rebuild hook failed after reconnect");
                    }
                }
            });
        }
        Ok(true)
    }

    /// Writes the current memory state of every dirty key to the primary. Returns `Ok(false)`
    /// (keys re-marked) when the primary became unreachable again.
    async fn write_back(&self) -> Result<bool> {
        let drained: Vec<(DirtyKey, Change)> = match self.dirty.lock() {
            Ok(mut dirty) => dirty.drain().collect(),
            Err(_) => return Ok(false),
        };
        if drained.is_empty() {
            return Ok(true);
        }
        match self.apply(&drained).await {
            Ok(written) => {
                metrics::counter!("position_cache_writeback_total").increment(written);
                Ok(true)
            }
            Err(e) => {
                if let Ok(mut dirty) = self.dirty.lock() {
                    for (key, change) in drained {
                        // A newer mark made meanwhile wins.
                        dirty.entry(key).or_insert(change);
                    }
                }
                if e.is_unavailable() {
                    tracing::debug!(error = %e, "write-back interrupted, staying in memory mode");
                    Ok(false)
                } else {
                    Err(e)
                }
            }
        }
    }

    async fn apply(&self, drained: &[(DirtyKey, Change)]) -> Result<u64> {
        let mut restore = Vec::new();
        let mut written = 0;
        for (key, change) in drained {
            match key {
                DirtyKey::Position { protocol, user } => {
                    match self.memory.get(protocol, *user).await? {
                        Some(position) => restore.push(position),
                        None if *change == Change::Removed => {
                            self.primary.remove(protocol, *user).await?;
                            written += 1;
                        }
                        // Expired locally; the primary's copy expires no later.
                        None => {}
                    }
                }
                DirtyKey::Checkpoint { protocol } => {
                    if let Some(block) = self.memory.checkpoint(protocol).await? {
                        self.primary.set_checkpoint(protocol, block).await?;
                        written += 1;
                    }
                }
            }
        }
        for batch in restore.chunks(self.config.writeback_batch) {
            self.primary.restore_many(batch).await?;
            written += batch.len() as u64;
        }
        Ok(written)
    }
}

async fn probe_loop(inner: Weak<Inner>, interval: Duration) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let Some(inner) = inner.upgrade() else { return };
        if !inner.online.load(Ordering::Acquire)
            && let Err(e) = inner.recover().await
        {
            tracing::warn!(error = %e, "write-back after outage failed");
        }
    }
}

/// The body shared by write operations: primary when online (mirroring into memory), memory
/// plus a dirty mark when not.
macro_rules! failover_write {
    ($self:ident, $op:literal, primary => $primary:expr, mirror($ok:ident) => $mirror:expr, memory => $memory:expr, mark => $mark:expr $(,)?) => {{
        loop {
            if $self.is_online() {
                match $self.primary_call($op, $primary).await {
                    Ok($ok) => {
                        $mirror;
                        return Ok($ok);
                    }
                    Err(e) if !e.is_unavailable() => return Err(e),
                    Err(e) => $self.go_offline($op, &e),
                }
            }
            let _shared = $self.inner.barrier.read().await;
            if $self.is_online() {
                // Recovered while we waited: go through the primary.
                continue;
            }
            let result = $memory;
            if result.is_ok() {
                $mark;
            }
            return result;
        }
    }};
}

/// The body shared by read operations: primary when online, memory when not.
macro_rules! failover_read {
    ($self:ident, $op:literal, primary => $primary:expr, memory => $memory:expr $(,)?) => {{
        if $self.is_online() {
            match $self.primary_call($op, $primary).await {
                Err(e) if e.is_unavailable() => $self.go_offline($op, &e),
                other => return other,
            }
        }
        $memory
    }};
}

/// Builder for [`FailoverPositionStore`].
#[derive(Debug)]
pub struct FailoverPositionStoreBuilder {
    primary: Arc<dyn PositionStore>,
    memory: Option<InMemoryPositionStore>,
    hook: Option<Arc<dyn RebuildHook>>,
    config: FailoverConfig,
}

impl FailoverPositionStoreBuilder {
    /// The memory fallback (default: a new [`InMemoryPositionStore`] with a 60 s TTL; give one
    /// with the primary's TTL).
    #[must_use]
    pub fn memory(mut self, memory: InMemoryPositionStore) -> Self {
        self.memory = Some(memory);
        self
    }

    /// The hook called once after each reconnect's write-back.
    #[must_use]
    pub fn rebuild_hook(mut self, hook: Arc<dyn RebuildHook>) -> Self {
        self.hook = Some(hook);
        self
    }

    /// All failover settings at once.
    #[must_use]
    pub const fn config(mut self, config: FailoverConfig) -> Self {
        self.config = config;
        self
    }

    /// Bound on one single-key primary call.
    #[must_use]
    pub const fn call_timeout(mut self, timeout: Duration) -> Self {
        self.config.call_timeout_ms = timeout.as_millis() as u64;
        self
    }

    /// Interval between probes of the primary during an outage.
    #[must_use]
    pub const fn probe_interval(mut self, interval: Duration) -> Self {
        self.config.probe_interval_ms = interval.as_millis() as u64;
        self
    }

    /// Positions per write-back batch.
    #[must_use]
    pub const fn writeback_batch(mut self, batch: usize) -> Self {
        self.config.writeback_batch = batch;
        self
    }

    /// Validates the settings and builds the store. Must run inside a tokio runtime (the prober
    /// is a tokio task; it stops when the last clone of the store is dropped).
    pub fn build(self) -> Result<FailoverPositionStore> {
        self.config.validate()?;
        let handle = tokio::runtime::Handle::try_current().map_err(|_| StoreError::Config {
            field: "runtime",
            reason: "FailoverPositionStore must be built inside a tokio runtime".into(),
        })?;
        let inner = Arc::new(Inner {
            primary: self.primary,
            memory: self.memory.unwrap_or_default(),
            hook: self.hook,
            online: AtomicBool::new(true),
            barrier: RwLock::new(()),
            recovering: tokio::sync::Mutex::new(()),
            dirty: Mutex::new(HashMap::new()),
            outages: AtomicU64::new(0),
            rebuilds: AtomicU64::new(0),
            config: self.config,
        });
        metrics::gauge!("position_cache_redis_online").set(1.0);
        let interval = Duration::from_millis(inner.config.probe_interval_ms);
        handle.spawn(probe_loop(Arc::downgrade(&inner), interval));
        Ok(FailoverPositionStore { inner })
    }
}

mod store;
