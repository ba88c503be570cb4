//! Oracle sanity checks: reject a price that disagrees with a second source or jumped too far in
//! one block.

use alloy_primitives::{Address, U256, U512};
use serde::{Deserialize, Serialize};

use crate::error::{HealthError, Result};

/// `1e4` bps = 100 %.
const BPS: u64 = 10_000;

/// Limits of an [`OracleGuard`], in bps (`100` = 1 %).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OracleGuardConfig {
    /// Largest accepted difference between the primary and secondary price, bps of the smaller
    /// of the two (default 500 = 5 %).
    pub max_divergence_bps: u32,
    /// Largest accepted move from the previous block's accepted price, bps of that price
    /// (default 3000 = 30 %).
    pub max_block_move_bps: u32,
}

impl Default for OracleGuardConfig {
    fn default() -> Self {
        Self { max_divergence_bps: 500, max_block_move_bps: 3_000 }
    }
}

/// Accepts or rejects prices before they reach the health math. Integer bps arithmetic, exact
/// (no rounding in the comparisons).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OracleGuard {
    config: OracleGuardConfig,
}

impl OracleGuard {
    /// A guard with `config`.
    pub const fn new(config: OracleGuardConfig) -> Self {
        Self { config }
    }

    /// The settings.
    pub const fn config(&self) -> OracleGuardConfig {
        self.config
    }

    /// Checks `price` (any unit, the same for all three prices) for `asset` and returns it when
    /// accepted.
    ///
    /// * [`HealthError::ZeroPrice`] when `price` is zero.
    /// * [`HealthError::PriceDiverged`] when `secondary` is given and
    ///   `|price − secondary| × 1e4 > max_divergence_bps × min(price, secondary)`. A zero
    ///   secondary can confirm nothing, so it is rejected too.
    /// * [`HealthError::PriceMoved`] when `previous` (the price accepted at the previous block) is
    ///   given, nonzero, and `|price − previous| × 1e4 > max_block_move_bps × previous`.
    pub fn check(
        &self,
        asset: Address,
        price: U256,
        secondary: Option<U256>,
        previous: Option<U256>,
    ) -> Result<U256> {
        if price.is_zero() {
            return Err(HealthError::ZeroPrice { asset });
        }
        if let Some(secondary) = secondary {
            let reference = price.min(secondary);
            if exceeds(price.abs_diff(secondary), reference, self.config.max_divergence_bps) {
                return Err(HealthError::PriceDiverged {
                    asset,
                    primary: price,
                    secondary,
                    max_bps: self.config.max_divergence_bps,
                });
            }
        }
        if let Some(previous) = previous.filter(|p| !p.is_zero())
            && exceeds(price.abs_diff(previous), previous, self.config.max_block_move_bps)
        {
            return Err(HealthError::PriceMoved {
                asset,
                previous,
                current: price,
                max_bps: self.config.max_block_move_bps,
            });
        }
        Ok(price)
    }
}

/// `diff × 1e4 > max_bps × reference`, in 512 bits so it never overflows.
fn exceeds(diff: U256, reference: U256, max_bps: u32) -> bool {
    U512::from(diff) * U512::from(BPS) > U512::from(max_bps) * U512::from(reference)
}

/// How far apart two prices are: `ceil(|a − b| × 1e4 / min(a, b))` bps, saturating;
/// `U256::MAX` when the smaller price is zero. The measure [`OracleGuard`] limits.
pub fn price_divergence_bps(a: U256, b: U256) -> U256 {
    ratio_bps(a.abs_diff(b), a.min(b))
}

/// How far a price moved: `ceil(|current − previous| × 1e4 / previous)` bps, saturating;
/// `U256::MAX` when `previous` is zero. The measure [`OracleGuard`] limits.
pub fn price_move_bps(previous: U256, current: U256) -> U256 {
    ratio_bps(current.abs_diff(previous), previous)
}

/// `ceil(diff × 1e4 / reference)` bps, saturating; `U256::MAX` when `reference` is zero.
fn ratio_bps(diff: U256, reference: U256) -> U256 {
    if reference.is_zero() {
        return U256::MAX;
    }
    let numerator = U512::from(diff) * U512::from(BPS);
    let reference = U512::from(reference);
    let (q, r) = numerator.div_rem(reference);
    let q = if r.is_zero() { q } else { q + U512::from(1u8) };
    U256::saturating_from(q)
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: Address = Address::repeat_byte(0xaa);

    fn p(v: u64) -> U256 {
        U256::from(v)
    }

    #[test]
    fn divergence_boundary_is_inclusive() {
        let g = OracleGuard::default();
        // Exactly 5 % of the smaller price: accepted.
        assert_eq!(g.check(A, p(105), Some(p(100)), None).unwrap(), p(105));
        assert_eq!(g.check(A, p(100), Some(p(105)), None).unwrap(), p(100));
        // Just above: rejected, with the divergence rounded up.
        let err = g.check(A, p(1051), Some(p(1000)), None).unwrap_err();
        assert_eq!(
            err,
            HealthError::PriceDiverged {
                asset: A,
                primary: p(1051),
                secondary: p(1000),
                max_bps: 500
            }
        );
        assert_eq!(price_divergence_bps(p(1051), p(1000)), p(510));
        assert_eq!(price_divergence_bps(p(1000), p(1051)), p(510));
        assert_eq!(price_move_bps(p(100), p(131)), p(3100));
        assert_eq!(price_move_bps(p(3), p(4)), p(3334));
        assert!(matches!(
            g.check(A, p(1), Some(U256::ZERO), None),
            Err(HealthError::PriceDiverged { .. })
        ));
    }

    #[test]
    fn block_move() {
        let g = OracleGuard::default();
        assert!(g.check(A, p(130), None, Some(p(100))).is_ok());
        assert!(g.check(A, p(70), None, Some(p(100))).is_ok());
        assert!(matches!(
            g.check(A, p(131), None, Some(p(100))),
            Err(HealthError::PriceMoved { .. })
        ));
        assert!(matches!(
            g.check(A, p(69), None, Some(p(100))),
            Err(HealthError::PriceMoved { .. })
        ));
        // No usable previous price: no move check.
        assert!(g.check(A, p(1_000), None, Some(U256::ZERO)).is_ok());
        assert!(matches!(g.check(A, U256::ZERO, None, None), Err(HealthError::ZeroPrice { .. })));
    }

    #[test]
    fn extreme_values_do_not_overflow() {
        let g = OracleGuard::new(OracleGuardConfig {
            max_divergence_bps: u32::MAX,
            max_block_move_bps: 0,
        });
        assert!(g.check(A, U256::MAX, Some(U256::MAX - U256::from(1u8)), None).is_ok());
        assert!(g.check(A, U256::MAX, Some(U256::from(1u8)), None).is_err());
        assert_eq!(price_divergence_bps(U256::MAX, U256::from(1u8)), U256::MAX);
        assert!(matches!(
            g.check(A, U256::MAX, None, Some(U256::from(1u8))),
            Err(HealthError::PriceMoved { .. })
        ));
        assert_eq!(price_move_bps(U256::ZERO, U256::from(1u8)), U256::MAX);
    }
}
