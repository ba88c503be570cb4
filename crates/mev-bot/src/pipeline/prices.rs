//! Stage 3, prices: one read of a market's oracle prices when a feed or price source moved;
//! holders who could cross the watch line are repriced now, the rest after the block.

use std::collections::HashSet;

use alloy_primitives::{Address, U256};
use mev_chain::ChainReader;

use super::{journal::Change, state::MarketState};
use crate::{BotError, Result};

/// What the price stage decided for one market.
#[derive(Debug, Default)]
pub(crate) struct PricesDone {
    /// Users to re-read from chain at this block: the touched ones, the watch list (below the
    /// watch line or unhealthy last block), and those repriced below the line.
    pub(crate) refresh: HashSet<Address>,
    /// Positions repriced locally.
    pub(crate) repriced: usize,
    /// The undo of the price change, if prices moved.
    pub(crate) change: Option<Change>,
}

/// Reads `m`'s prices at `block` when `price_moved`, and decides who is re-read. After a price
/// move a position can lose at most the move's factor (every moved asset taken in its worst
/// direction), so only holders with a health factor below `watch / F` (plus rounding slack)
/// are repriced now; every other holder is repriced after the block (the sweep), off the
/// critical path.
pub(crate) async fn update(
    m: &mut MarketState,
    reader: &dyn ChainReader,
    block: u64,
    touched: HashSet<Address>,
    price_moved: bool,
    watch: U256,
) -> Result<PricesDone> {
    let mut done = PricesDone { refresh: touched, ..PricesDone::default() };
    let mut moved: Vec<(Address, U256)> = Vec::new();
    let mut bound = U256::ZERO;
    if price_moved {
        let prices = m
            .protocol
            .read_prices(reader, block)
            .await
            .map_err(BotError::market(format!("reading {} prices at block {block}", m.name)))?;
        moved = prices.iter().filter(|p| !m.prices.contains(p)).copied().collect();
        if !moved.is_empty() {
            bound = reprice_bound(&m.prices, &moved, watch);
            done.change = Some(m.set_prices(prices));
        }
    }
    done.refresh.extend(m.below(watch));
    done.refresh.extend(m.unhealthy());
    if !moved.is_empty() {
        let now: Vec<Address> = m
            .below(bound)
            .filter(|u| {
                !done.refresh.contains(u)
                    && m.get(u).is_some_and(|t| t.chain.inputs.holds_any(&moved))
            })
            .collect();
        let (n, reread) = m.reprice(&now, &moved, watch);
        done.repriced = n;
        done.refresh.extend(reread);
        // Everyone else holding a moved asset: after the block. (Repricing a position already
        // at these prices is a no-op.)
        m.deferred.push(moved);
    }
    Ok(done)
}

/// Reprices the holders whose repricing a price move deferred past its block. They were far
/// enough above the watch line that the move cannot bring them below it.
pub(crate) fn finish_deferred(m: &mut MarketState, watch: U256) {
    for moved in std::mem::take(&mut m.deferred) {
        let users = m.holders(&moved);
        let (_, below) = m.reprice(&users, &moved, watch);
        // The bound guarantees none fell below the line; should one have (a bug), the next
        // block's watch list re-reads it.
        if !below.is_empty() {
            tracing::warn!(n = below.len(), "deferred repricing fell below the watch line");
        }
    }
}

/// The health factor (WAD) below which a holder of a moved asset may fall under `watch` at the
/// new prices: `watch / F × (1 + 0.2 %)`, where `F` = the product over moved assets of
/// `min(new/old, old/new)` — every asset taken in its worst direction (a collateral falling, a
/// debt rising scale the health factor by at most that ratio). The 0.2 % slack covers the
/// contracts' rounding (the floored average liquidation threshold before v3.5 moves a health
/// factor by at most ~0.0125 %). Unknown old prices give `U256::MAX` (reprice everyone now).
pub(crate) fn reprice_bound(
    before: &[(Address, U256)],
    moved: &[(Address, U256)],
    watch: U256,
) -> U256 {
    let mut bound = watch.saturating_mul(U256::from(1002u64)) / U256::from(1000u64);
    for (asset, new) in moved {
        let Some((_, old)) = before.iter().find(|(a, _)| a == asset) else {
            return U256::MAX;
        };
        if old.is_zero() || new.is_zero() {
            return U256::MAX;
        }
        // bound /= min(new/old, old/new)  ==  bound * max(new, old) / min(new, old), rounded up.
        let (hi, lo) = if new > old { (*new, *old) } else { (*old, *new) };
        bound = bound.saturating_mul(hi).div_ceil(lo);
    }
    bound
}

#[cfg(test)]
mod tests {
    use super::*;

    const WAD: u64 = 1_000_000_000_000_000_000;

    #[test]
    fn reprice_bound_takes_each_move_in_its_worst_direction() {
        let (a, b) = (Address::repeat_byte(1), Address::repeat_byte(2));
        let watch = U256::from(WAD);
        // A 1 % drop of one asset: watch × 1.002 / 0.99.
        let before = [(a, U256::from(100u64))];
        let bound = reprice_bound(&before, &[(a, U256::from(99u64))], watch);
        assert_eq!(
            bound,
            (U256::from(1_002u64 * (WAD / 1000)) * U256::from(100u64)).div_ceil(U256::from(99u64))
        );
        // A rise counts the same as a fall (it hurts as a debt), and moves multiply.
        let up = reprice_bound(&before, &[(a, U256::from(101u64))], watch);
        assert!(
            up > U256::from(1_011u64 * (WAD / 1000)) && up < U256::from(1_013u64 * (WAD / 1000))
        );
        let before2 = [(a, U256::from(100u64)), (b, U256::from(50u64))];
        let both =
            reprice_bound(&before2, &[(a, U256::from(99u64)), (b, U256::from(51u64))], watch);
        assert!(both > bound);
        // Unknown or zero prices: everyone is repriced at once.
        assert_eq!(reprice_bound(&[], &[(a, U256::from(1u64))], watch), U256::MAX);
        assert_eq!(reprice_bound(&before, &[(a, U256::ZERO)], watch), U256::MAX);
    }
}
