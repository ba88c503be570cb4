//! Flagging a position only after it stayed unhealthy for several consecutive blocks.

use serde::{Deserialize, Serialize};

use crate::error::{HealthError, Result};
use crate::view::PositionHealth;

/// Settings of a [`ConfirmationTracker`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConfirmationConfig {
    /// Consecutive unhealthy blocks needed before a position is confirmed; at least 1
    /// (default 2). With 1, the first unhealthy block confirms.
    pub required_blocks: u32,
    /// How many unobserved blocks may sit between two observations without breaking a streak
    /// (default 0: every block must be observed). Unobserved blocks never add to the streak.
    pub max_gap_blocks: u64,
}

impl Default for ConfirmationConfig {
    fn default() -> Self {
        Self { required_blocks: 2, max_gap_blocks: 0 }
    }
}

/// Where a tracked position stands after an observation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Confirmation {
    /// The latest observed block was healthy (or nothing was observed yet).
    Healthy,
    /// Unhealthy, but for fewer consecutive blocks than required.
    Pending {
        /// Consecutive unhealthy blocks so far.
        streak: u32,
        /// Blocks required.
        required: u32,
    },
    /// Unhealthy for at least the required consecutive blocks: act on it.
    Confirmed {
        /// Consecutive unhealthy blocks so far.
        streak: u32,
    },
    /// The observation was for a block older than the latest one and was ignored.
    Stale {
        /// The latest block observed.
        last_block: u64,
    },
}

impl Confirmation {
    /// Whether this is [`Confirmation::Confirmed`].
    pub const fn is_confirmed(&self) -> bool {
        matches!(self, Self::Confirmed { .. })
    }
}

/// Tracks one position's health block by block and flags it after `N` consecutive unhealthy
/// blocks (default 2), so a one-block oracle glitch does not trigger a liquidation attempt.
///
/// Block numbers are handled deliberately:
///
/// * **Next block** (`last + 1`): an unhealthy block extends the streak, a healthy one resets it
///   to zero.
/// * **Same block again** (`== last`): the new verdict *replaces* the previous one for that
///   block. Repeating the same verdict changes nothing (idempotent, never double-counted); a
///   different verdict (re-evaluation after a price update, or a reorg that replaced the block)
///   recomputes the streak from the state before that block.
/// * **Older block** (`< last`): ignored and reported as [`Confirmation::Stale`]; the state is
///   unchanged. After a deep reorg, call [`ConfirmationTracker::reset`].
/// * **Skipped blocks** (`> last + 1`): unobserved blocks are unknown, so they never count. If
///   at most [`max_gap_blocks`](ConfirmationConfig::max_gap_blocks) were skipped (default 0),
///   the streak continues from the last observation; otherwise it restarts, with this block
///   as its first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConfirmationTracker {
    config: ConfirmationConfig,
    last_block: Option<u64>,
    streak: u32,
    streak_before_last: u32,
}

impl Default for ConfirmationTracker {
    fn default() -> Self {
        Self::with_defaults()
    }
}

impl ConfirmationTracker {
    /// A tracker with `config`; fails with [`HealthError::InvalidConfig`] when
    /// `required_blocks` is zero.
    pub const fn new(config: ConfirmationConfig) -> Result<Self> {
        if config.required_blocks == 0 {
            return Err(HealthError::InvalidConfig {
                field: "required_blocks",
                reason: "must be at least 1",
            });
        }
        Ok(Self { config, last_block: None, streak: 0, streak_before_last: 0 })
    }

    /// A tracker with the default settings (2 blocks, no gap allowed).
    pub const fn with_defaults() -> Self {
        Self {
            config: ConfirmationConfig { required_blocks: 2, max_gap_blocks: 0 },
            last_block: None,
            streak: 0,
            streak_before_last: 0,
        }
    }

    /// Records whether the position was unhealthy at `block` and returns where it stands.
    pub fn observe(&mut self, block: u64, unhealthy: bool) -> Confirmation {
        match self.last_block {
            Some(last) if block < last => return Confirmation::Stale { last_block: last },
            Some(last) if block == last => {}
            Some(last) => {
                let skipped = block - last - 1;
                self.streak_before_last =
                    if skipped <= self.config.max_gap_blocks { self.streak } else { 0 };
                self.last_block = Some(block);
            }
            None => {
                self.streak_before_last = 0;
                self.last_block = Some(block);
            }
        }
        self.streak = if unhealthy { self.streak_before_last.saturating_add(1) } else { 0 };
        self.status()
    }

    /// [`observe`](Self::observe) with the verdict of a [`PositionHealth`].
    pub fn observe_health(&mut self, block: u64, health: &PositionHealth) -> Confirmation {
        self.observe(block, health.liquidatable)
    }

    /// Where the position stands after the latest observation.
    pub const fn status(&self) -> Confirmation {
        if self.streak == 0 {
            Confirmation::Healthy
        } else if self.streak >= self.config.required_blocks {
            Confirmation::Confirmed { streak: self.streak }
        } else {
            Confirmation::Pending { streak: self.streak, required: self.config.required_blocks }
        }
    }

    /// Whether the position is confirmed unhealthy.
    pub const fn is_confirmed(&self) -> bool {
        self.streak >= self.config.required_blocks
    }

    /// Consecutive unhealthy blocks up to the latest observation.
    pub const fn streak(&self) -> u32 {
        self.streak
    }

    /// The latest block observed, if any.
    pub const fn last_block(&self) -> Option<u64> {
        self.last_block
    }

    /// The settings.
    pub const fn config(&self) -> ConfirmationConfig {
        self.config
    }

    /// Forgets every observation (e.g. after a reorg deeper than one block).
    pub const fn reset(&mut self) {
        self.last_block = None;
        self.streak = 0;
        self.streak_before_last = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_consecutive_blocks_confirm() {
        let mut t = ConfirmationTracker::default();
        assert_eq!(t.observe(10, true), Confirmation::Pending { streak: 1, required: 2 });
        assert_eq!(t.observe(11, true), Confirmation::Confirmed { streak: 2 });
        assert_eq!(t.observe(12, true), Confirmation::Confirmed { streak: 3 });
        assert_eq!(t.observe(13, false), Confirmation::Healthy);
        assert_eq!(t.observe(14, true), Confirmation::Pending { streak: 1, required: 2 });
    }

    #[test]
    fn repeated_block_is_idempotent_and_replaces() {
        let mut t = ConfirmationTracker::default();
        t.observe(10, true);
        assert_eq!(t.observe(10, true), Confirmation::Pending { streak: 1, required: 2 });
        assert_eq!(t.observe(11, true), Confirmation::Confirmed { streak: 2 });
        // Same block re-evaluated healthy: streak resets...
        assert_eq!(t.observe(11, false), Confirmation::Healthy);
        // ...and unhealthy again restores the streak from before block 11.
        assert_eq!(t.observe(11, true), Confirmation::Confirmed { streak: 2 });
        assert_eq!(t.observe(11, true), Confirmation::Confirmed { streak: 2 });
    }

    #[test]
    fn older_blocks_are_ignored() {
        let mut t = ConfirmationTracker::default();
        t.observe(10, true);
        assert_eq!(t.observe(9, true), Confirmation::Stale { last_block: 10 });
        assert_eq!(t.streak(), 1);
        assert_eq!(t.last_block(), Some(10));
    }

    #[test]
    fn skipped_blocks_restart_by_default() {
        let mut t = ConfirmationTracker::default();
        t.observe(10, true);
        assert_eq!(t.observe(12, true), Confirmation::Pending { streak: 1, required: 2 });
        let mut lenient =
            ConfirmationTracker::new(ConfirmationConfig { required_blocks: 3, max_gap_blocks: 2 })
                .unwrap();
        lenient.observe(10, true);
        assert_eq!(lenient.observe(13, true), Confirmation::Pending { streak: 2, required: 3 });
        assert_eq!(lenient.observe(17, true), Confirmation::Pending { streak: 1, required: 3 });
    }

    #[test]
    fn config_validation_and_reset() {
        assert!(
            ConfirmationTracker::new(ConfirmationConfig { required_blocks: 0, max_gap_blocks: 0 })
                .is_err()
        );
        let mut t =
            ConfirmationTracker::new(ConfirmationConfig { required_blocks: 1, max_gap_blocks: 0 })
                .unwrap();
        assert!(t.observe(1, true).is_confirmed());
        t.reset();
        assert_eq!(t.status(), Confirmation::Healthy);
        assert_eq!(t.observe(0, false), Confirmation::Healthy);
    }
}
