//! [`InMemoryPositionStore`]: the embedded default backend.

mod clock;
mod slot;

use std::{
    cmp::Ordering,
    collections::{BinaryHeap, HashMap, HashSet},
    hash::BuildHasher,
    sync::{Arc, PoisonError, RwLock, Weak},
    time::Duration,
};

use alloy_primitives::{Address, map::DefaultHashBuilder};
use async_trait::async_trait;
use dashmap::DashMap;

use self::{
    clock::{Clock, TICK},
    slot::Slot,
};
use serde::{Deserialize, Serialize};

use crate::{
    config::DEFAULT_TTL_SECS,
    error::{Result, StoreError},
    position::{Position, next_streak, validate_protocol},
    store::{CursorState, PositionStore, ScanCursor, ScanPage, StoreStats},
};

/// Settings of an [`InMemoryPositionStore`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct InMemoryConfig {
    /// Time-to-live of a position in seconds, refreshed on every write. Default: 60.
    pub ttl_secs: u64,
    /// How often the background task removes expired positions, in milliseconds. Default:
    /// 1000. Expired positions are invisible to reads either way.
    pub sweep_interval_ms: u64,
}

impl Default for InMemoryConfig {
    fn default() -> Self {
        Self { ttl_secs: DEFAULT_TTL_SECS, sweep_interval_ms: 1_000 }
    }
}

impl InMemoryConfig {
    /// Checks the values: both must be at least 1.
    pub fn validate(&self) -> Result<()> {
        if self.ttl_secs == 0 {
            return Err(StoreError::Config {
                field: "ttl_secs",
                reason: "must be at least 1".into(),
            });
        }
        if self.sweep_interval_ms == 0 {
            return Err(StoreError::Config {
                field: "sweep_interval_ms",
                reason: "must be at least 1".into(),
            });
        }
        Ok(())
    }
}

/// A [`PositionStore`] in process memory over a sharded concurrent map (`dashmap`).
///
/// Time-to-live is checked on every read; a background tokio task (started when the store is
/// built inside a tokio runtime) removes expired entries every
/// [`sweep_interval_ms`](InMemoryConfig::sweep_interval_ms) and stops when the last clone of
/// the store is dropped. Without a runtime, call [`purge_expired`](Self::purge_expired).
///
/// Cloning is cheap and shares the data.
#[derive(Debug, Clone)]
pub struct InMemoryPositionStore {
    inner: Arc<Inner>,
}

/// `(user, hash of the protocol name)`; the slot holds the name, checked on every access.
type Key = (Address, u64);

#[derive(Debug)]
struct Inner {
    map: DashMap<Key, Slot, DefaultHashBuilder>,
    /// Seeded per store; hashes protocol names into keys.
    protocol_hasher: ProtocolHasher,
    /// Protocol names, shared by all their positions (touched only when a position is created).
    protocols: RwLock<HashSet<Arc<str>, DefaultHashBuilder>>,
    checkpoints: DashMap<String, u64>,
    clock: Clock,
    /// Time-to-live in milliseconds.
    ttl_ms: u64,
    config: InMemoryConfig,
}

impl Default for InMemoryPositionStore {
    fn default() -> Self {
        Self::from_valid_config(InMemoryConfig::default())
    }
}

impl InMemoryPositionStore {
    /// A store with default settings (60 s TTL).
    pub fn new() -> Self {
        Self::default()
    }

    /// A store with `config`, validated.
    pub fn with_config(config: InMemoryConfig) -> Result<Self> {
        config.validate()?;
        Ok(Self::from_valid_config(config))
    }

    /// A builder starting from the defaults.
    pub fn builder() -> InMemoryPositionStoreBuilder {
        InMemoryPositionStoreBuilder::default()
    }

    fn from_valid_config(config: InMemoryConfig) -> Self {
        let inner = Arc::new(Inner {
            map: DashMap::with_hasher(DefaultHashBuilder::default()),
            protocol_hasher: ProtocolHasher(DefaultHashBuilder::default()),
            protocols: RwLock::new(HashSet::with_hasher(DefaultHashBuilder::default())),
            checkpoints: DashMap::new(),
            clock: Clock::new(),
            ttl_ms: config.ttl_secs.saturating_mul(1_000),
            config,
        });
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            let interval = Duration::from_millis(inner.config.sweep_interval_ms);
            handle.spawn(sweep_loop(Arc::downgrade(&inner), interval));
        }
        Self { inner }
    }

    /// The settings this store runs with.
    pub fn config(&self) -> &InMemoryConfig {
        &self.inner.config
    }

    /// Live positions (expired ones not yet swept are not counted). O(n).
    pub fn len(&self) -> usize {
        let now = self.inner.clock.now_ms();
        self.inner.map.iter().filter(|e| e.value().is_live(now)).count()
    }

    /// Whether no live position is stored. O(n).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Removes expired positions now; returns how many were removed.
    pub fn purge_expired(&self) -> usize {
        self.inner.purge_expired()
    }

    /// Removes every position and checkpoint.
    pub fn clear(&self) {
        self.inner.map.clear();
        self.inner.checkpoints.clear();
        if let Ok(mut protocols) = self.inner.protocols.write() {
            protocols.clear();
        }
    }

    /// Sets the counter and verdict block of a stored live position without touching its data
    /// (used by the failover store to mirror Redis' answer to a verdict at `block`). A block older
    /// than the mirrored verdict block only sets the counter: Redis ignored that verdict.
    pub(crate) fn mirror_health(&self, protocol: &str, user: Address, count: u64, block: u64) {
        let now = self.inner.clock.now_ms();
        if let Some(mut slot) = self.inner.map.get_mut(&self.inner.key(protocol, user))
            && slot.is_live(now)
            && &*slot.protocol == protocol
        {
            slot.blocks_unhealthy = count;
            if block >= slot.last_health_block {
                slot.last_health_block = block;
                slot.last_update_block = slot.last_update_block.max(block);
            }
            slot.expires_at = now.saturating_add(self.inner.ttl_ms);
        }
    }

    fn write(&self, position: &Position, keep_counter: bool) -> Result<()> {
        let now = self.inner.clock.now_ms();
        let expires_at = now.saturating_add(self.inner.ttl_ms);
        match self.inner.map.entry(self.inner.key(&position.protocol, position.user)) {
            dashmap::Entry::Occupied(mut entry) => {
                let slot = entry.get_mut();
                if *slot.protocol != *position.protocol {
                    return Err(collision(&slot.protocol, &position.protocol));
                }
                let keep = keep_counter && slot.is_live(now);
                slot.set(position, keep, expires_at);
            }
            dashmap::Entry::Vacant(entry) => {
                let name = self.inner.intern(&position.protocol);
                entry.insert(Slot::new(name, position, expires_at));
            }
        }
        Ok(())
    }

    /// The live slot of `(protocol, user)`, read under the shard lock.
    fn read<T>(&self, protocol: &str, user: Address, f: impl FnOnce(&Slot) -> T) -> Option<T> {
        let slot = self.inner.map.get(&self.inner.key(protocol, user))?;
        (slot.is_live(self.inner.clock.now_ms()) && &*slot.protocol == protocol).then(|| f(&slot))
    }
}

impl Inner {
    fn purge_expired(&self) -> usize {
        let now = self.clock.now_ms();
        let mut removed = 0;
        self.map.retain(|_, slot| {
            let live = slot.is_live(now);
            removed += usize::from(!live);
            live
        });
        removed
    }

    fn key(&self, protocol: &str, user: Address) -> Key {
        (user, self.protocol_hasher.0.hash_one(protocol))
    }

    /// The shared copy of `protocol`'s name, registering it on first use.
    fn intern(&self, protocol: &str) -> Arc<str> {
        if let Some(name) =
            self.protocols.read().unwrap_or_else(PoisonError::into_inner).get(protocol)
        {
            return name.clone();
        }
        let mut protocols = self.protocols.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(name) = protocols.get(protocol) {
            return name.clone();
        }
        let name: Arc<str> = Arc::from(protocol);
        protocols.insert(name.clone());
        name
    }
}

struct ProtocolHasher(DefaultHashBuilder);

impl std::fmt::Debug for ProtocolHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProtocolHasher")
    }
}

/// Two protocol names hashed to the same 64-bit key (seeded per store; practically never).
fn collision(stored: &str, given: &str) -> StoreError {
    StoreError::invalid("protocol", format!("{given:?} collides with {stored:?} in this store"))
}

/// Refreshes the clock every [`TICK`] and removes expired positions every `interval`; ends
/// when the store is dropped. If the task itself is dropped (runtime shutdown), the clock falls
/// back to the OS clock.
async fn sweep_loop(inner: Weak<Inner>, interval: Duration) {
    struct StopClock(Weak<Inner>);
    impl Drop for StopClock {
        fn drop(&mut self) {
            if let Some(inner) = self.0.upgrade() {
                inner.clock.stop();
            }
        }
    }
    let _stop = StopClock(inner.clone());
    let mut ticker = tokio::time::interval(TICK.min(interval));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut next_sweep = tokio::time::Instant::now() + interval;
    loop {
        ticker.tick().await;
        let Some(inner) = inner.upgrade() else { return };
        inner.clock.tick();
        if tokio::time::Instant::now() >= next_sweep {
            next_sweep += interval;
            let removed = inner.purge_expired();
            if removed > 0 {
                tracing::trace!(removed, "swept expired positions");
            }
        }
    }
}

#[async_trait]
impl PositionStore for InMemoryPositionStore {
    fn backend(&self) -> &'static str {
        "memory"
    }

    async fn ping(&self) -> Result<()> {
        Ok(())
    }

    async fn get(&self, protocol: &str, user: Address) -> Result<Option<Position>> {
        ops!("memory", "get");
        Ok(self.read(protocol, user, |slot| slot.to_position(user)))
    }

    async fn scan_page(&self, cursor: ScanCursor, count: usize) -> Result<ScanPage> {
        ops!("memory", "scan_page");
        let after = match cursor.0 {
            CursorState::Start => None,
            CursorState::After { user, protocol } => Some((user, protocol)),
            CursorState::Node { .. } => {
                return Err(StoreError::invalid("cursor", "cursor comes from another backend"));
            }
        };
        let count = count.max(1);
        let now = self.inner.clock.now_ms();
        // Keep the `count` smallest (user, protocol) keys above the cursor in a max-heap.
        let mut heap: BinaryHeap<Ordered> = BinaryHeap::with_capacity(count.min(4_096) + 1);
        for entry in self.inner.map.iter() {
            let slot = entry.value();
            if !slot.is_live(now) {
                continue;
            }
            let key = (entry.key().0, &*slot.protocol);
            if let Some((au, ap)) = &after
                && key <= (*au, ap.as_str())
            {
                continue;
            }
            if heap.len() == count
                && heap.peek().is_some_and(|top| key >= (top.0.user, top.0.protocol.as_str()))
            {
                continue;
            }
            heap.push(Ordered(slot.to_position(entry.key().0)));
            if heap.len() > count {
                heap.pop();
            }
        }
        let full = heap.len() == count;
        let positions: Vec<Position> = heap.into_sorted_vec().into_iter().map(|o| o.0).collect();
        let next = match positions.last() {
            Some(last) if full => Some(ScanCursor(CursorState::After {
                user: last.user,
                protocol: last.protocol.clone(),
            })),
            _ => None,
        };
        Ok(ScanPage { positions, next })
    }

    async fn get_all(&self) -> Result<Vec<Position>> {
        ops!("memory", "get_all");
        let now = self.inner.clock.now_ms();
        Ok(self
            .inner
            .map
            .iter()
            .filter(|e| e.value().is_live(now))
            .map(|e| e.value().to_position(e.key().0))
            .collect())
    }

    async fn upsert(&self, position: &Position) -> Result<()> {
        ops!("memory", "upsert");
        position.validate()?;
        self.write(position, true)
    }

    async fn upsert_many(&self, positions: &[Position]) -> Result<()> {
        ops!("memory", "upsert_many");
        positions.iter().try_for_each(Position::validate)?;
        positions.iter().try_for_each(|p| self.write(p, true))
    }

    async fn restore_many(&self, positions: &[Position]) -> Result<()> {
        ops!("memory", "restore_many");
        positions.iter().try_for_each(Position::validate)?;
        positions.iter().try_for_each(|p| self.write(p, false))
    }

    async fn update_health(
        &self,
        protocol: &str,
        user: Address,
        is_healthy: bool,
        block: u64,
    ) -> Result<Option<u64>> {
        ops!("memory", "update_health");
        let now = self.inner.clock.now_ms();
        let Some(mut slot) = self.inner.map.get_mut(&self.inner.key(protocol, user)) else {
            return Ok(None);
        };
        if !slot.is_live(now) || &*slot.protocol != protocol {
            return Ok(None);
        }
        let Some(count) =
            next_streak(slot.blocks_unhealthy, slot.last_health_block, is_healthy, block)
        else {
            return Ok(Some(slot.blocks_unhealthy));
        };
        slot.blocks_unhealthy = count;
        slot.last_health_block = block;
        slot.last_update_block = slot.last_update_block.max(block);
        slot.expires_at = now.saturating_add(self.inner.ttl_ms);
        Ok(Some(count))
    }

    async fn remove(&self, protocol: &str, user: Address) -> Result<bool> {
        ops!("memory", "remove");
        let now = self.inner.clock.now_ms();
        Ok(self
            .inner
            .map
            .remove_if(&self.inner.key(protocol, user), |_, slot| &*slot.protocol == protocol)
            .is_some_and(|(_, slot)| slot.is_live(now)))
    }

    async fn stats(&self) -> Result<StoreStats> {
        ops!("memory", "stats");
        let now = self.inner.clock.now_ms();
        let mut stats = StoreStats::new("memory", true);
        let mut per_protocol: HashMap<Arc<str>, u64> = HashMap::new();
        for entry in self.inner.map.iter() {
            let slot = entry.value();
            if slot.is_live(now) {
                stats.total += 1;
                stats.current_block = stats.current_block.max(slot.last_update_block);
                *per_protocol.entry(slot.protocol.clone()).or_insert(0) += 1;
            }
        }
        stats.per_protocol = per_protocol.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        Ok(stats)
    }

    async fn checkpoint(&self, protocol: &str) -> Result<Option<u64>> {
        ops!("memory", "checkpoint");
        Ok(self.inner.checkpoints.get(protocol).map(|b| *b))
    }

    async fn set_checkpoint(&self, protocol: &str, block: u64) -> Result<()> {
        ops!("memory", "set_checkpoint");
        validate_protocol(protocol)?;
        self.inner.checkpoints.insert(protocol.to_owned(), block);
        Ok(())
    }
}

/// Builder for [`InMemoryPositionStore`]; setters are named after [`InMemoryConfig`]'s fields.
#[derive(Debug, Clone, Default)]
pub struct InMemoryPositionStoreBuilder {
    config: InMemoryConfig,
}

impl InMemoryPositionStoreBuilder {
    /// Time-to-live of a position (whole seconds, at least 1).
    #[must_use]
    pub const fn ttl(mut self, ttl: Duration) -> Self {
        self.config.ttl_secs = ttl.as_secs();
        self
    }

    /// Interval between background sweeps of expired positions.
    #[must_use]
    pub const fn sweep_interval(mut self, interval: Duration) -> Self {
        self.config.sweep_interval_ms = interval.as_millis() as u64;
        self
    }

    /// Validates the settings and builds the store (starting the sweeper when inside a tokio
    /// runtime).
    pub fn build(self) -> Result<InMemoryPositionStore> {
        InMemoryPositionStore::with_config(self.config)
    }
}

/// Orders positions by `(user, protocol)` for paging.
struct Ordered(Position);

impl PartialEq for Ordered {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Ordered {}

impl PartialOrd for Ordered {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Ordered {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.0.user, self.0.protocol.as_str()).cmp(&(other.0.user, other.0.protocol.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(user: u8, protocol: &str) -> Position {
        Position::new(protocol, Address::repeat_byte(user)).at_block(u64::from(user))
    }

    #[tokio::test]
    async fn paging_visits_every_position_once_in_key_order() {
        let store = InMemoryPositionStore::new();
        for u in 0..50u8 {
            store.upsert(&pos(u, "a")).await.unwrap();
            store.upsert(&pos(u, "b")).await.unwrap();
        }
        let mut seen = Vec::new();
        let mut cursor = ScanCursor::start();
        loop {
            let page = store.scan_page(cursor, 7).await.unwrap();
            assert!(page.positions.len() <= 7);
            seen.extend(page.positions.into_iter().map(|p| (p.user, p.protocol)));
            match page.next {
                Some(c) => cursor = c,
                None => break,
            }
        }
        let mut sorted = seen.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(seen, sorted);
        assert_eq!(seen.len(), 100);
    }

    #[tokio::test]
    async fn sweeper_stops_when_store_dropped() {
        let store = InMemoryPositionStore::builder()
            .ttl(Duration::from_secs(1))
            .sweep_interval(Duration::from_millis(10))
            .build()
            .unwrap();
        let weak = Arc::downgrade(&store.inner);
        drop(store);
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(weak.upgrade().is_none());
    }

    #[test]
    fn works_without_runtime_and_purges_on_demand() {
        let store = InMemoryPositionStore::with_config(InMemoryConfig {
            ttl_secs: 1,
            ..Default::default()
        })
        .unwrap();
        store.write(&pos(1, "a"), true).unwrap();
        assert_eq!(store.len(), 1);
        assert_eq!(store.purge_expired(), 0);
        assert!(InMemoryPositionStore::builder().ttl(Duration::ZERO).build().is_err());
    }
}
