//! Typed per-market state: [`MarketId`], [`Tracked`] positions and [`MarketState`] with its
//! health-factor index, kept consistent by the only two ways to change a position.

use std::{
    collections::{BTreeMap, BTreeSet, HashSet},
    ops::Bound,
    sync::Arc,
};

use alloy_primitives::{Address, U256};
use mev_position_cache::Position;
use mev_rebuild::{ChainPosition, LendingProtocol};

use super::journal::Change;

/// A market's place in the pipeline, in configuration order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct MarketId(pub(crate) usize);

/// A position the pipeline follows: what was read from chain (health included) and its
/// unhealthy streak.
///
/// The streak is the store's: [`PositionStore::update_health`](mev_position_cache::PositionStore::update_health)
/// is the one counter (atomic across processes sharing a Redis, kept across restarts); this
/// field holds the value it last returned, so that the watch list and opportunities need no
/// store round trip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tracked {
    pub(crate) chain: ChainPosition,
    pub(crate) blocks_unhealthy: u64,
}

impl Tracked {
    pub(crate) fn health_factor(&self) -> U256 {
        self.chain.health.health_factor.wad()
    }

    /// The record written to the store, as of block `block`.
    pub(crate) fn stored(&self, block: u64) -> Position {
        let mut p = self.chain.position.clone();
        p.last_update_block = block;
        p.health_factor = Some(self.health_factor());
        p.blocks_unhealthy = self.blocks_unhealthy;
        p
    }
}

/// One market's state: prices, tracked positions, and the indexes over them (by health factor;
/// with a nonzero streak), which only [`replace`](Self::replace),
/// [`set_streak`](Self::set_streak), [`reprice`](Self::reprice) and [`undo`](Self::undo)
/// change.
#[derive(Debug)]
pub(crate) struct MarketState {
    pub(crate) id: MarketId,
    pub(crate) protocol: Arc<dyn LendingProtocol>,
    pub(crate) name: String,
    /// The oracle prices the tracked health factors are computed at: `(asset, price)` as
    /// [`LendingProtocol::read_prices`] returns them.
    pub(crate) prices: Vec<(Address, U256)>,
    tracked: BTreeMap<Address, Tracked>,
    /// Every tracked position by health factor (WAD): the watch list and the repricing
    /// candidates are range queries, not scans.
    by_health: BTreeSet<(U256, Address)>,
    /// Tracked positions with a nonzero unhealthy streak.
    unhealthy: HashSet<Address>,
    /// Where the sweep continues (round-robin over users).
    pub(crate) cursor: Option<Address>,
    /// Positions whose health verdict was recorded at the head block.
    pub(crate) checked: HashSet<Address>,
    /// Price moves whose holders' repricing was deferred past their block.
    pub(crate) deferred: Vec<Vec<(Address, U256)>>,
}

impl MarketState {
    pub(crate) fn new(id: MarketId, protocol: Arc<dyn LendingProtocol>) -> Self {
        Self {
            id,
            name: protocol.name().to_owned(),
            protocol,
            prices: Vec::new(),
            tracked: BTreeMap::new(),
            by_health: BTreeSet::new(),
            unhealthy: HashSet::new(),
            cursor: None,
            checked: HashSet::new(),
            deferred: Vec::new(),
        }
    }

    pub(crate) fn get(&self, user: &Address) -> Option<&Tracked> {
        self.tracked.get(user)
    }

    pub(crate) fn len(&self) -> usize {
        self.tracked.len()
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (&Address, &Tracked)> {
        self.tracked.iter()
    }

    /// Up to `n` users in address order after the cursor, wrapping around.
    pub(crate) fn next_round(&self, n: usize) -> Vec<Address> {
        let start = self.cursor.map_or(Bound::Unbounded, Bound::Excluded);
        self.tracked
            .range((start, Bound::Unbounded))
            .map(|(u, _)| *u)
            .chain(self.tracked.keys().copied())
            .take(n)
            .collect()
    }

    /// Tracked users with health factor below `wad`, in health-factor order.
    pub(crate) fn below(&self, wad: U256) -> impl Iterator<Item = Address> + '_ {
        self.by_health.range(..(wad, Address::ZERO)).map(|(_, u)| *u)
    }

    /// Tracked users with a nonzero streak.
    pub(crate) fn unhealthy(&self) -> impl Iterator<Item = Address> + '_ {
        self.unhealthy.iter().copied()
    }

    /// Sets (`Some`) or removes (`None`) `user`'s position; returns the [`Change`] that undoes
    /// it.
    pub(crate) fn replace(&mut self, user: Address, next: Option<Tracked>) -> Change {
        let before = self.untrack(user);
        if let Some(t) = next {
            self.track(user, t);
        }
        Change::Position { market: self.id, user, before: before.map(Box::new) }
    }

    /// Replaces the prices; returns the [`Change`] that undoes it.
    pub(crate) fn set_prices(&mut self, prices: Vec<(Address, U256)>) -> Change {
        let before = std::mem::replace(&mut self.prices, prices);
        Change::Prices { market: self.id, before }
    }

    /// Undoes one [`Change`] of this market (the position side: prices are restored by the
    /// caller, which then reprices everyone).
    pub(crate) fn undo_position(&mut self, user: Address, before: Option<Tracked>) {
        self.untrack(user);
        if let Some(t) = before {
            self.track(user, t);
        }
    }

    /// Records `user`'s unhealthy streak as the store returned it.
    pub(crate) fn set_streak(&mut self, user: Address, count: u64) {
        let Some(t) = self.tracked.get_mut(&user) else { return };
        t.blocks_unhealthy = count;
        if count > 0 {
            self.unhealthy.insert(user);
        } else {
            self.unhealthy.remove(&user);
        }
    }

    /// Reprices, in place, the tracked positions `users` at the `moved` prices (balances stay
    /// those read). Returns how many changed and the users whose new health factor is below
    /// `watch` or whose repricing failed (they are to be re-read).
    pub(crate) fn reprice(
        &mut self,
        users: &[Address],
        moved: &[(Address, U256)],
        watch: U256,
    ) -> (usize, Vec<Address>) {
        let mut n = 0;
        let mut reread = Vec::new();
        for user in users {
            let Some(t) = self.tracked.get_mut(user) else { continue };
            match t.chain.inputs.reprice(moved) {
                Ok(Some(health)) => {
                    n += 1;
                    self.by_health.remove(&(t.health_factor(), *user));
                    self.by_health.insert((health.health_factor.wad(), *user));
                    t.chain.health = health;
                    t.chain.position.health_factor = Some(health.health_factor.wad());
                    if health.health_factor.wad() < watch {
                        reread.push(*user);
                    }
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(user = %user, error = %e, "repricing failed; re-reading");
                    reread.push(*user);
                }
            }
        }
        (n, reread)
    }

    /// Users holding any asset of `moved`.
    pub(crate) fn holders(&self, moved: &[(Address, U256)]) -> Vec<Address> {
        self.tracked
            .iter()
            .filter(|(_, t)| t.chain.inputs.holds_any(moved))
            .map(|(u, _)| *u)
            .collect()
    }

    fn track(&mut self, user: Address, t: Tracked) {
        self.by_health.insert((t.health_factor(), user));
        if t.blocks_unhealthy > 0 {
            self.unhealthy.insert(user);
        }
        self.tracked.insert(user, t);
    }

    fn untrack(&mut self, user: Address) -> Option<Tracked> {
        let before = self.tracked.remove(&user)?;
        self.by_health.remove(&(before.health_factor(), user));
        self.unhealthy.remove(&user);
        Some(before)
    }

    /// Whether the indexes agree with the tracked positions (tests).
    #[cfg(test)]
    pub(crate) fn is_consistent(&self) -> bool {
        let by_health: BTreeSet<(U256, Address)> =
            self.tracked.iter().map(|(u, t)| (t.health_factor(), *u)).collect();
        let unhealthy: HashSet<Address> =
            self.tracked.iter().filter(|(_, t)| t.blocks_unhealthy > 0).map(|(u, _)| *u).collect();
        by_health == self.by_health && unhealthy == self.unhealthy
    }
}
