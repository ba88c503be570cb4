//! Sizing many cycles of one index on one block's snapshots, each pool resolved once.

use std::borrow::Borrow;

use alloy_primitives::Address;
use mev_reserve_cache::PoolSnapshot;

use crate::{
    Arbitrage, CycleId, CycleIndex, MAX_HOPS, SizingConfig, SizingError,
    estimate::{Curve, curve},
    sizing::{every_hop, search},
};

/// One block's snapshots, for sizing many cycles of one [`CycleIndex`] on them.
///
/// Each pool's snapshot is looked up once (the first time a cycle through it is sized), and
/// each two-token pool's constant-product form — what the pruning and the seed of the search
/// start from — is computed once per direction, however many cycles go through it: sizing the
/// ~2,000 cycles a busy block touches then costs one lookup per pool, not one hash per hop.
/// [`BlockView::size`] returns exactly what [`size_cycle`](crate::size_cycle) returns on the
/// same snapshots.
///
/// `state` gives a pool's snapshot, held any way that borrows as one (`&PoolSnapshot`,
/// `Arc<PoolSnapshot>`); it is asked at most once per pool. Build a new view for every block.
///
/// ```
/// use std::collections::HashMap;
///
/// use alloy_primitives::{Address, U256};
/// use mev_arbitrage::{BlockView, CycleIndex, SizingConfig};
/// use mev_reserve_cache::{PoolSnapshot, PoolState};
/// use mev_swap_math::V2Fee;
///
/// let [base, x] = [Address::repeat_byte(1), Address::repeat_byte(2)];
/// let e18 = U256::from(10u64).pow(U256::from(18));
/// // Two pairs between the same tokens, priced 1.00 and 1.10: x is cheap in the second.
/// let pair = |pool: u8, r_base: u64, r_x: u64| PoolSnapshot {
///     pool: Address::repeat_byte(pool),
///     block: 1,
///     state: PoolState::UniswapV2 {
///         token0: base,
///         token1: x,
///         reserve0: U256::from(r_base) * e18,
///         reserve1: U256::from(r_x) * e18,
///         fee: V2Fee::UNISWAP,
///     },
/// };
/// let snapshots: HashMap<Address, PoolSnapshot> =
///     [pair(0xa1, 1_000, 1_000), pair(0xa2, 1_000, 1_100)].map(|p| (p.pool, p)).into();
/// let pools: Vec<(Address, Vec<Address>)> = snapshots.keys().map(|&p| (p, vec![base, x])).collect();
/// let index = CycleIndex::new(&pools, &[base], 3);
///
/// let mut view = BlockView::new(&index, |pool: &Address| snapshots.get(pool));
/// let config = SizingConfig::default();
/// let paying: Vec<_> = index
///     .touched([&Address::repeat_byte(0xa2)])
///     .into_iter()
///     .filter_map(|id| view.size(id, &config).ok().flatten())
///     .collect();
/// // Buy x in the second pair, sell it in the first: the one direction that pays.
/// assert_eq!(paying.len(), 1);
/// assert_eq!(paying[0].hops[0].pool, Address::repeat_byte(0xa2));
/// assert!(paying[0].gross_profit > U256::ZERO);
/// ```
pub struct BlockView<'i, S, F> {
    index: &'i CycleIndex,
    state: F,
    /// By slot: `None` until looked up, then what `state` gave.
    snapshots: Vec<Option<Option<S>>>,
    /// By slot and side: `None` until computed.
    curves: Vec<[Option<Option<Curve>>; 2]>,
}

impl<S, F> std::fmt::Debug for BlockView<'_, S, F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockView")
            .field("cycles", &self.index.len())
            .field("pools_looked_up", &self.snapshots.iter().filter(|s| s.is_some()).count())
            .finish_non_exhaustive()
    }
}

impl<'i, S, F> BlockView<'i, S, F>
where
    S: Borrow<PoolSnapshot>,
    F: FnMut(&Address) -> Option<S>,
{
    /// A view of `index`'s pools through `state`; nothing is looked up yet.
    pub fn new(index: &'i CycleIndex, state: F) -> Self {
        Self {
            index,
            state,
            snapshots: std::iter::repeat_with(|| None).take(index.slots()).collect(),
            curves: vec![[None; 2]; index.slots()],
        }
    }

    /// [`size_cycle`](crate::size_cycle) of the index's cycle `id` on this view's snapshots.
    ///
    /// # Errors
    /// [`SizingError::UnknownCycle`] for an id the index does not have;
    /// [`SizingError::MissingPool`] when `state` has no snapshot for a pool of the cycle.
    pub fn size(
        &mut self,
        id: CycleId,
        config: &SizingConfig,
    ) -> Result<Option<Arbitrage>, SizingError> {
        let Some(cycle) = self.index.get(id) else {
            return Err(SizingError::UnknownCycle { id });
        };
        let Self { state, snapshots, curves, .. } = self;
        let hops = cycle.hops();
        // Look up, in hop order (the first missing pool is the one named).
        let mut direct: [Option<S>; MAX_HOPS] = [None, None, None];
        for (i, hop) in hops.iter().enumerate() {
            let missing = || SizingError::MissingPool { pool: hop.pool };
            match snapshots.get_mut(cycle.slots[i] as usize) {
                Some(slot) => {
                    if slot.get_or_insert_with(|| state(&hop.pool)).is_none() {
                        return Err(missing());
                    }
                }
                // No slot: looked up every time.
                None => direct[i] = Some(state(&hop.pool).ok_or_else(missing)?),
            }
        }
        let mut resolved: [Option<&PoolSnapshot>; MAX_HOPS] = [None; MAX_HOPS];
        let mut forms: [Option<Curve>; MAX_HOPS] = [None; MAX_HOPS];
        for (i, hop) in hops.iter().enumerate() {
            let slot = cycle.slots[i] as usize;
            let snapshot = match snapshots.get(slot) {
                Some(Some(Some(s))) => s.borrow(),
                _ => match &direct[i] {
                    Some(s) => s.borrow(),
                    None => return Err(SizingError::MissingPool { pool: hop.pool }),
                },
            };
            resolved[i] = Some(snapshot);
            let side = usize::from(cycle.sides[i]);
            forms[i] = match curves.get_mut(slot).and_then(|c| c.get_mut(side)) {
                Some(cached) => *cached.get_or_insert_with(|| curve(snapshot, hop.token_in)),
                None => curve(snapshot, hop.token_in),
            };
        }
        Ok(search(id, cycle, resolved, every_hop(forms, hops.len()), config))
    }
}
