//! The compact form a position takes inside [`InMemoryPositionStore`](super::InMemoryPositionStore).
//!
//! A typical position (up to two collateral legs and one debt leg) lives entirely inside its
//! hash-table entry, and the protocol name is shared, so a lookup touches one region of memory
//! instead of following four pointers. That matters because with 100k positions nearly every
//! lookup misses the CPU caches.

use std::sync::Arc;

use alloy_primitives::{Address, U256};

use crate::position::{CollateralLeg, DebtLeg, Position};

/// Up to `N` items inline, more on the heap.
#[derive(Debug, Clone)]
pub(super) struct InlineVec<T, const N: usize> {
    len: usize,
    inline: [T; N],
    spilled: Vec<T>,
}

impl<T: Clone + Default, const N: usize> InlineVec<T, N> {
    pub(super) fn new(items: &[T]) -> Self {
        let mut v =
            Self { len: 0, inline: std::array::from_fn(|_| T::default()), spilled: Vec::new() };
        v.set(items);
        v
    }

    pub(super) fn set(&mut self, items: &[T]) {
        self.len = items.len();
        if items.len() <= N {
            self.inline[..items.len()].clone_from_slice(items);
            self.spilled = Vec::new();
        } else {
            self.spilled.clear();
            self.spilled.extend_from_slice(items);
        }
    }

    pub(super) fn as_slice(&self) -> &[T] {
        if self.len <= N { &self.inline[..self.len] } else { &self.spilled }
    }
}

/// One stored position (the user is the map key's).
#[derive(Debug, Clone)]
pub(super) struct Slot {
    pub(super) protocol: Arc<str>,
    pub(super) collateral: InlineVec<CollateralLeg, 2>,
    pub(super) debt: InlineVec<DebtLeg, 1>,
    pub(super) health_factor: Option<U256>,
    pub(super) last_update_block: u64,
    pub(super) last_health_block: u64,
    pub(super) blocks_unhealthy: u64,
    /// Expiry, in [`Clock`](super::clock::Clock) milliseconds.
    pub(super) expires_at: u64,
}

impl Slot {
    pub(super) fn new(protocol: Arc<str>, position: &Position, expires_at: u64) -> Self {
        Self {
            protocol,
            collateral: InlineVec::new(&position.collateral),
            debt: InlineVec::new(&position.debt),
            health_factor: position.health_factor,
            last_update_block: position.last_update_block,
            last_health_block: position.last_health_block,
            blocks_unhealthy: position.blocks_unhealthy,
            expires_at,
        }
    }

    /// Overwrites the data with `position`'s, keeping the streak (counter and verdict block) when
    /// `keep_counter`.
    pub(super) fn set(&mut self, position: &Position, keep_counter: bool, expires_at: u64) {
        self.collateral.set(&position.collateral);
        self.debt.set(&position.debt);
        self.health_factor = position.health_factor;
        self.last_update_block = position.last_update_block;
        if !keep_counter {
            self.blocks_unhealthy = position.blocks_unhealthy;
            self.last_health_block = position.last_health_block;
        }
        self.expires_at = expires_at;
    }

    pub(super) const fn is_live(&self, now: u64) -> bool {
        self.expires_at > now
    }

    pub(super) fn to_position(&self, user: Address) -> Position {
        Position {
            protocol: self.protocol.to_string(),
            user,
            collateral: self.collateral.as_slice().to_vec(),
            debt: self.debt.as_slice().to_vec(),
            health_factor: self.health_factor,
            last_update_block: self.last_update_block,
            last_health_block: self.last_health_block,
            blocks_unhealthy: self.blocks_unhealthy,
        }
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::*;

    fn leg(i: u8) -> CollateralLeg {
        CollateralLeg {
            asset: Address::repeat_byte(i),
            amount: U256::from(i),
            liquidation_threshold: Decimal::new(i64::from(i), 2),
        }
    }

    #[test]
    fn inline_vec_round_trips_across_the_inline_limit() {
        let mut v: InlineVec<CollateralLeg, 2> = InlineVec::new(&[]);
        assert!(v.as_slice().is_empty());
        for n in [1, 2, 3, 5, 2, 0, 4] {
            let items: Vec<_> = (0..n).map(leg).collect();
            v.set(&items);
            assert_eq!(v.as_slice(), items.as_slice());
        }
    }

    #[test]
    fn slot_round_trips_a_position() {
        let p = Position::new("aave-v3", Address::repeat_byte(9))
            .with_collateral(Address::repeat_byte(1), U256::MAX, Decimal::new(8, 1))
            .with_debt(Address::repeat_byte(2), U256::from(5))
            .with_debt(Address::repeat_byte(3), U256::from(6))
            .with_health_factor(U256::from(7))
            .at_block(8)
            .with_last_health_block(7)
            .with_blocks_unhealthy(3);
        let now = 1_000;
        let mut slot = Slot::new("aave-v3".into(), &p, now);
        assert_eq!(slot.to_position(p.user), p);
        slot.set(&p.clone().with_blocks_unhealthy(0), true, now);
        assert_eq!(slot.blocks_unhealthy, 3);
        slot.set(&p.with_blocks_unhealthy(0), false, now);
        assert_eq!(slot.blocks_unhealthy, 0);
    }
}
