//! The token graph of a set of pools and its cycles from base tokens, indexed by pool.

use alloy_primitives::{Address, map::AddressHashMap};

/// The most hops a cycle has.
pub const MAX_HOPS: usize = 3;

/// One swap of a cycle: through `pool`, `token_in` for `token_out`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Hop {
    /// The pool's cache address ([`mev_reserve_cache::PoolKey::address`]).
    pub pool: Address,
    /// The token paid in.
    pub token_in: Address,
    /// The token paid out.
    pub token_out: Address,
}

/// A cycle of 2 or 3 hops through distinct pools, from a base token back to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cycle {
    hops: [Hop; MAX_HOPS],
    len: u8,
    /// Each hop's pool's position in its index's pool list ([`CycleIndex::slots`]).
    pub(crate) slots: [u32; MAX_HOPS],
    /// Each hop's way through its pool: for a pool of two tokens 0 when it pays in the first
    /// one the index was given, 1 for the second; [`NO_SIDE`] for a pool of more tokens.
    pub(crate) sides: [u8; MAX_HOPS],
}

/// [`Cycle::sides`] of a hop through a pool of more than two tokens.
pub(crate) const NO_SIDE: u8 = 2;

/// [`Cycle::slots`] of a hop whose pool has none (beyond 2^32 − 1 pools).
pub(crate) const NO_SLOT: u32 = u32::MAX;

impl Cycle {
    /// The hops, in order.
    #[must_use]
    pub fn hops(&self) -> &[Hop] {
        &self.hops[..usize::from(self.len)]
    }

    /// The base token the cycle starts and ends in (its profit's token).
    #[must_use]
    pub const fn base(&self) -> Address {
        self.hops[0].token_in
    }

    /// Whether the cycle goes through `pool`.
    #[must_use]
    pub fn uses(&self, pool: &Address) -> bool {
        self.hops().iter().any(|h| h.pool == *pool)
    }

    fn of(hops: &[Hop]) -> Self {
        let mut all = [hops[0]; MAX_HOPS];
        all[..hops.len()].copy_from_slice(hops);
        // `hops` has 2 or 3 entries: the cast cannot truncate.
        Self {
            hops: all,
            len: hops.len() as u8,
            slots: [NO_SLOT; MAX_HOPS],
            sides: [NO_SIDE; MAX_HOPS],
        }
    }
}

/// A cycle's position in its [`CycleIndex`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CycleId(pub u32);

/// Every 2- and 3-pool cycle of a set of pools that starts and ends in a base token, with the
/// cycles of each pool.
///
/// Each pool is an edge between every two tokens it swaps between (a Uniswap pool one edge, a
/// Balancer pool of `n` tokens `n·(n−1)/2`). A cycle goes through distinct pools and, for three
/// hops, two distinct intermediate tokens other than its base; both directions of a loop are
/// cycles (they pay differently). A loop that passes several base tokens is kept once, starting
/// at the base token that comes first in `base_tokens`.
#[derive(Debug, Clone, Default)]
pub struct CycleIndex {
    cycles: Vec<Cycle>,
    by_pool: AddressHashMap<Vec<CycleId>>,
    /// How many distinct pools the index was given (the range of [`Cycle::slots`]).
    slots: usize,
}

impl CycleIndex {
    /// The cycles of `pools` (each `(pool address, the tokens it swaps between)`) from
    /// `base_tokens`, of at most `max_hops` hops (2 or 3; other values are clamped to that
    /// range). A pool listed twice counts once; a pool with fewer than two tokens has no edge.
    #[must_use]
    pub fn new(
        pools: &[(Address, Vec<Address>)],
        base_tokens: &[Address],
        max_hops: usize,
    ) -> Self {
        let max_hops = max_hops.clamp(2, MAX_HOPS);
        // token → (pool, other token), each pool once.
        let mut edges: AddressHashMap<Vec<(Address, Address)>> = AddressHashMap::default();
        // pool → (its slot, its first token when it has exactly two).
        let mut slot_of: AddressHashMap<(u32, Option<Address>)> = AddressHashMap::default();
        for (pool, tokens) in pools {
            if slot_of.contains_key(pool) {
                continue;
            }
            let two = match tokens.as_slice() {
                [a, b] if a != b => Some(*a),
                _ => None,
            };
            // A pool past 2^32 − 1 has no slot ([`NO_SLOT`]): its hops are looked up each time.
            let slot = u32::try_from(slot_of.len()).unwrap_or(NO_SLOT);
            slot_of.insert(*pool, (slot, two));
            for (i, a) in tokens.iter().enumerate() {
                for b in tokens.iter().skip(i + 1) {
                    if a != b {
                        edges.entry(*a).or_default().push((*pool, *b));
                        edges.entry(*b).or_default().push((*pool, *a));
                    }
                }
            }
        }
        let empty = Vec::new();
        let next = |token: &Address| edges.get(token).unwrap_or(&empty);
        let mut cycles = Vec::new();
        for (rank, &base) in base_tokens.iter().enumerate() {
            if base_tokens[..rank].contains(&base) {
                continue;
            }
            // An intermediate that is an earlier base token: that rotation is kept instead.
            let earlier = |t: &Address| base_tokens[..rank].contains(t);
            for &(p1, x) in next(&base) {
                if earlier(&x) {
                    continue;
                }
                let first = Hop { pool: p1, token_in: base, token_out: x };
                for &(p2, y) in next(&x) {
                    if p2 == p1 {
                        continue;
                    }
                    let second = Hop { pool: p2, token_in: x, token_out: y };
                    if y == base {
                        cycles.push(Cycle::of(&[first, second]));
                        continue;
                    }
                    if max_hops < 3 || y == x || earlier(&y) {
                        continue;
                    }
                    for &(p3, z) in next(&y) {
                        if z == base && p3 != p1 && p3 != p2 {
                            let third = Hop { pool: p3, token_in: y, token_out: base };
                            cycles.push(Cycle::of(&[first, second, third]));
                        }
                    }
                }
            }
        }
        for cycle in &mut cycles {
            let len = cycle.hops().len();
            for i in 0..len {
                let hop = cycle.hops[i];
                if let Some(&(slot, two)) = slot_of.get(&hop.pool) {
                    cycle.slots[i] = slot;
                    cycle.sides[i] = match two {
                        Some(first) => u8::from(hop.token_in != first),
                        None => NO_SIDE,
                    };
                }
            }
        }
        let mut by_pool: AddressHashMap<Vec<CycleId>> = AddressHashMap::default();
        for (i, cycle) in cycles.iter().enumerate() {
            let id = CycleId(u32::try_from(i).unwrap_or(u32::MAX));
            for hop in cycle.hops() {
                let ids = by_pool.entry(hop.pool).or_default();
                if ids.last() != Some(&id) {
                    ids.push(id);
                }
            }
        }
        Self { cycles, by_pool, slots: slot_of.len().min(NO_SLOT as usize) }
    }

    /// How many cycles.
    #[must_use]
    pub const fn len(&self) -> usize {
        self.cycles.len()
    }

    /// Whether there is no cycle.
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.cycles.is_empty()
    }

    /// How many distinct pools the index was given: what a [`crate::BlockView`] keeps a
    /// snapshot and a curve cache for.
    pub(crate) const fn slots(&self) -> usize {
        self.slots
    }

    /// The cycle `id`.
    #[must_use]
    pub fn get(&self, id: CycleId) -> Option<&Cycle> {
        self.cycles.get(id.0 as usize)
    }

    /// Every cycle, by id order.
    pub fn iter(&self) -> impl Iterator<Item = (CycleId, &Cycle)> {
        self.cycles.iter().enumerate().map(|(i, c)| (CycleId(i as u32), c))
    }

    /// The cycles through `pool` (none for a pool not in the graph).
    #[must_use]
    pub fn cycles_of(&self, pool: &Address) -> &[CycleId] {
        self.by_pool.get(pool).map_or(&[], Vec::as_slice)
    }

    /// The pools in some cycle.
    pub fn pools(&self) -> impl Iterator<Item = &Address> {
        self.by_pool.keys()
    }

    /// The cycles through any of `pools`, each once, in id order: what a block that touched
    /// those pools must re-evaluate.
    #[must_use]
    pub fn touched<'a>(&self, pools: impl IntoIterator<Item = &'a Address>) -> Vec<CycleId> {
        // A bit per cycle: a pool touched by many logs costs its cycles' bits again, not a
        // sort of every repetition.
        let mut bits = vec![0u64; self.cycles.len().div_ceil(64)];
        let mut count = 0usize;
        for pool in pools {
            for id in self.cycles_of(pool) {
                let (word, bit) = (id.0 as usize / 64, id.0 % 64);
                count += usize::from(bits[word] >> bit & 1 == 0);
                bits[word] |= 1 << bit;
            }
        }
        let mut ids = Vec::with_capacity(count);
        for (w, &word) in bits.iter().enumerate() {
            let mut word = word;
            while word != 0 {
                // `w < 2^26` (the index holds fewer than 2^32 cycles): the id fits.
                ids.push(CycleId((w * 64) as u32 + word.trailing_zeros()));
                word &= word - 1;
            }
        }
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(n: u8) -> Address {
        Address::repeat_byte(n)
    }

    #[test]
    fn two_pools_on_one_pair_make_two_cycles() {
        let (base, x) = (a(1), a(2));
        let pools = [(a(0xa1), vec![base, x]), (a(0xa2), vec![x, base])];
        let index = CycleIndex::new(&pools, &[base], 3);
        assert_eq!(index.len(), 2);
        for (_, c) in index.iter() {
            assert_eq!(c.hops().len(), 2);
            assert_eq!(c.base(), base);
            assert_eq!(c.hops()[0].token_out, c.hops()[1].token_in);
            assert_eq!(c.hops()[1].token_out, base);
            assert_ne!(c.hops()[0].pool, c.hops()[1].pool);
        }
    }

    #[test]
    fn triangles_and_hop_limit() {
        let (base, x, y) = (a(1), a(2), a(3));
        let pools = [(a(0xa1), vec![base, x]), (a(0xa2), vec![x, y]), (a(0xa3), vec![y, base])];
        assert_eq!(CycleIndex::new(&pools, &[base], 3).len(), 2);
        assert!(CycleIndex::new(&pools, &[base], 2).is_empty());
        // No base token in the loop: nothing.
        assert!(CycleIndex::new(&pools, &[a(9)], 3).is_empty());
    }

    #[test]
    fn a_loop_through_two_base_tokens_is_kept_once() {
        let (b1, b2, x) = (a(1), a(2), a(3));
        let pools = [(a(0xa1), vec![b1, b2]), (a(0xa2), vec![b2, x]), (a(0xa3), vec![x, b1])];
        let index = CycleIndex::new(&pools, &[b1, b2], 3);
        assert_eq!(index.len(), 2);
        assert!(index.iter().all(|(_, c)| c.base() == b1));
    }

    #[test]
    fn balancer_pools_are_every_pair() {
        let (base, x, y) = (a(1), a(2), a(3));
        // One 3-token pool and one pair: 2-cycles base↔x and base↔... only where two pools meet.
        let pools = [(a(0xb1), vec![base, x, y]), (a(0xa1), vec![x, base])];
        let index = CycleIndex::new(&pools, &[base], 3);
        // 2-hop: base→x (b1) x→base (a1) and reverse = 2; 3-hop: base→y (b1), y→x (b1: same
        // pool, refused) … base→x (a1), x→y (b1), y→base (b1: same pool) refused.
        assert_eq!(index.len(), 2);
        assert_eq!(index.cycles_of(&a(0xb1)).len(), 2);
        assert_eq!(index.touched([&a(0xb1), &a(0xa1)]).len(), 2);
        assert!(index.touched([&a(0xff)]).is_empty());
    }

    #[test]
    fn duplicate_pools_and_degenerate_inputs() {
        let (base, x) = (a(1), a(2));
        let pools = [
            (a(0xa1), vec![base, x]),
            (a(0xa1), vec![base, x]),
            (a(0xa2), vec![x]),
            (a(0xa3), vec![]),
            (a(0xa4), vec![base, base]),
        ];
        assert!(CycleIndex::new(&pools, &[base, base], 3).is_empty());
        assert!(CycleIndex::new(&[], &[base], 3).is_empty());
    }
}
