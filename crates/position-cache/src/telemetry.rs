//! Metric names and the macros that record them through the `metrics` facade.
//!
//! Metrics (labels in braces):
//! - `position_cache_ops_total{backend,op}`: store operations started.
//! - `position_cache_errors_total{backend,op}`: operations that returned an error.
//! - `position_cache_corrupt_total{backend}`: unparsable values skipped by reads.
//! - `position_cache_failover_total{to}`: failover transitions (`to` = `memory` | `redis`).
//! - `position_cache_writeback_total`: changes written back to Redis after an outage.
//! - `position_cache_rebuilds_total{result}`: rebuild hook runs (`ok` | `error`).
//! - `position_cache_redis_online`: gauge, 1 while the failover store serves from Redis.
//!
//! Labels are string literals so each call uses a static key (no allocation).

/// Counts one started operation: `ops!("memory", "get")`.
macro_rules! ops {
    ($backend:literal, $op:literal) => {
        ::metrics::counter!("position_cache_ops_total", "backend" => $backend, "op" => $op)
            .increment(1)
    };
}

/// Counts one failed operation: `errors!("redis", "get")`.
#[cfg_attr(not(feature = "redis"), allow(unused_macros))]
macro_rules! errors {
    ($backend:literal, $op:literal) => {
        ::metrics::counter!("position_cache_errors_total", "backend" => $backend, "op" => $op)
            .increment(1)
    };
}

/// Records `$result`'s error (if any) in `position_cache_errors_total` and yields it unchanged.
#[cfg_attr(not(feature = "redis"), allow(unused_macros))]
macro_rules! track {
    ($backend:literal, $op:literal, $result:expr) => {{
        let result = $result;
        if result.is_err() {
            errors!($backend, $op);
        }
        result
    }};
}
