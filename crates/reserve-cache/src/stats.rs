//! Counters of what the cache did.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use metrics::Counter;

/// A point-in-time copy of the cache's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Reads answered from the cache.
    pub hits: u64,
    /// Reads that had to go to the source (or join a fetch in flight).
    pub misses: u64,
    /// Calls made to the source's `fetch` (single-flight merges concurrent misses into one).
    pub fetches: u64,
    /// Fetches that failed.
    pub fetch_errors: u64,
    /// Entries dropped by an invalidation (explicit, or by an event that does not carry the
    /// new state, or by a removed log).
    pub invalidations: u64,
    /// Events applied to cached state in place.
    pub applied: u64,
    /// Fetch results not stored because the pool was invalidated or updated while the fetch
    /// was in flight (each one a stale write prevented).
    pub stale_writes_prevented: u64,
    /// Entries currently held (including invalidated tombstones not yet swept).
    pub entries: u64,
}

impl CacheStats {
    /// Hits over reads, in basis points (0–10 000); 0 before any read.
    #[must_use]
    pub const fn hit_rate_bps(&self) -> u64 {
        let reads = self.hits.saturating_add(self.misses);
        match self.hits.saturating_mul(10_000).checked_div(reads) {
            Some(bps) => bps,
            None => 0,
        }
    }
}

/// The live counters: atomics for `stats()`, and `metrics` handles for an exporter.
#[derive(Debug)]
pub(crate) struct Counters {
    pub(crate) hits: Metric,
    pub(crate) misses: Metric,
    pub(crate) fetches: Metric,
    pub(crate) fetch_errors: Metric,
    pub(crate) invalidations: Metric,
    pub(crate) applied: Metric,
    pub(crate) stale_writes_prevented: Metric,
}

impl Counters {
    pub(crate) fn new() -> Self {
        Self {
            hits: Metric::new("reserve_cache_hits_total"),
            misses: Metric::new("reserve_cache_misses_total"),
            fetches: Metric::new("reserve_cache_fetches_total"),
            fetch_errors: Metric::new("reserve_cache_fetch_errors_total"),
            invalidations: Metric::new("reserve_cache_invalidations_total"),
            applied: Metric::new("reserve_cache_applied_total"),
            stale_writes_prevented: Metric::new("reserve_cache_stale_writes_prevented_total"),
        }
    }

    pub(crate) fn snapshot(&self, entries: u64) -> CacheStats {
        CacheStats {
            hits: self.hits.get(),
            misses: self.misses.get(),
            fetches: self.fetches.get(),
            fetch_errors: self.fetch_errors.get(),
            invalidations: self.invalidations.get(),
            applied: self.applied.get(),
            stale_writes_prevented: self.stale_writes_prevented.get(),
            entries,
        }
    }
}

/// One counter, counted locally and reported through the `metrics` facade (to the recorder
/// installed when the cache was built; a no-op without one).
#[derive(Debug)]
pub(crate) struct Metric {
    local: AtomicU64,
    exported: Counter,
}

impl Metric {
    fn new(name: &'static str) -> Self {
        Self { local: AtomicU64::new(0), exported: metrics::counter!(name) }
    }

    pub(crate) fn inc(&self) {
        self.local.fetch_add(1, Relaxed);
        self.exported.increment(1);
    }

    pub(crate) fn get(&self) -> u64 {
        self.local.load(Relaxed)
    }
}
