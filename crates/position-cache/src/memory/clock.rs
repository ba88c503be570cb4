//! A millisecond clock that costs one atomic load to read.
//!
//! The store's background task refreshes it every [`TICK`]; without the task (no tokio runtime,
//! or the runtime shut down) reads fall back to the OS clock. Readers therefore see time up to
//! one tick (plus any scheduling delay of the task) late: a position may outlive its TTL by that
//! much, never expire early.

use std::{
    sync::atomic::{AtomicBool, AtomicU64, Ordering},
    time::{Duration, Instant},
};

/// How often the background task refreshes the clock.
pub(super) const TICK: Duration = Duration::from_millis(10);

#[derive(Debug)]
pub(super) struct Clock {
    origin: Instant,
    coarse_ms: AtomicU64,
    ticking: AtomicBool,
}

impl Clock {
    pub(super) fn new() -> Self {
        Self {
            origin: Instant::now(),
            coarse_ms: AtomicU64::new(0),
            ticking: AtomicBool::new(false),
        }
    }

    /// Milliseconds since the store was created.
    pub(super) fn now_ms(&self) -> u64 {
        if self.ticking.load(Ordering::Acquire) {
            self.coarse_ms.load(Ordering::Relaxed)
        } else {
            self.precise_ms()
        }
    }

    fn precise_ms(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Refreshes the cached time and marks the clock as ticking.
    pub(super) fn tick(&self) {
        self.coarse_ms.store(self.precise_ms(), Ordering::Relaxed);
        self.ticking.store(true, Ordering::Release);
    }

    /// Makes readers use the OS clock again (the task is going away).
    pub(super) fn stop(&self) {
        self.ticking.store(false, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn falls_back_to_the_os_clock_when_stopped() {
        let clock = Clock::new();
        std::thread::sleep(Duration::from_millis(15));
        assert!(clock.now_ms() >= 15);
        clock.tick();
        let ticked = clock.now_ms();
        std::thread::sleep(Duration::from_millis(15));
        assert_eq!(clock.now_ms(), ticked, "coarse while ticking");
        clock.stop();
        assert!(clock.now_ms() >= ticked + 15);
    }
}
