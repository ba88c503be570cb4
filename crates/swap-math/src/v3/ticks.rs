//! The pool's tick bitmap, read from a map of initialized ticks: `TickBitmap`'s
//! `nextInitializedTickWithinOneWord` and `QuoterV2`'s `PoolTicksCounter`.
//!
//! The pool keeps one bit per tick-spacing multiple in 256-bit words and a swap step never
//! looks past the end of the current word. A step therefore ends at the next initialized tick
//! or at the word boundary, whichever comes first, and since splitting a step can change its
//! rounding, a simulator must split exactly there too. These functions give the same answers as
//! the bitmap from the set of initialized ticks.

use std::collections::BTreeMap;

use crate::{Result, SwapError};

/// Ticks per bitmap word, in units of the tick spacing.
const WORD: i32 = 256;

/// `TickBitmap.nextInitializedTickWithinOneWord`: the next initialized tick at or below `tick`
/// (`lte`) or above it, within the bitmap word of `tick`'s compressed position; or the word's
/// last position in that direction, uninitialized. Returns the tick and, when it is initialized,
/// its value in the map.
///
/// The result can lie beyond `±MAX_TICK`; the pool clamps it (see [`V3State::swap`]).
///
/// # Errors
/// [`SwapError::UnalignedTick`] when the map holds a tick in the word that is not a multiple of
/// `tick_spacing`.
///
/// [`V3State::swap`]: crate::V3State::swap
#[cfg(test)]
pub(crate) fn next_initialized_tick_within_one_word<V: Copy>(
    ticks: &BTreeMap<i32, V>,
    tick: i32,
    tick_spacing: i32,
    lte: bool,
) -> Result<(i32, Option<V>)> {
    let (lower, upper, boundary) = word_bounds(tick, tick_spacing, lte);
    // One-sided ranges: the map's search then descends toward one end only.
    let found = if lte {
        ticks.range(..=upper).next_back().filter(|&(&t, _)| t >= lower)
    } else {
        ticks.range(lower..).next().filter(|&(&t, _)| t <= upper)
    };
    match found {
        Some((&t, _)) if t % tick_spacing != 0 => {
            Err(SwapError::UnalignedTick { tick: t, tick_spacing })
        }
        Some((&t, &v)) => Ok((t, Some(v))),
        None => Ok((boundary, None)),
    }
}

/// `next_initialized_tick_within_one_word` for the successive steps of one swap, in one
/// direction: a map iterator kept between the steps instead of a new search per step.
///
/// A swap's searches move one way: going down (`lte`), each step's search starts at or below
/// the previous one's, and everything the iterator skips lies above the new start, so the
/// next key it yields is the one a fresh search would find. A search that starts beyond the
/// iterator's position (a state whose tick was not the price's, say) restarts it.
pub(crate) struct TickCursor<'a, V> {
    ticks: &'a BTreeMap<i32, V>,
    lte: bool,
    /// The iterator yields keys at or below `bound` (`lte`) or at or above it, nearest first.
    bound: i32,
    iter: Option<std::collections::btree_map::Range<'a, i32, V>>,
    /// The next key of `iter`, taken from it and not yet passed.
    peeked: Option<(i32, V)>,
}

impl<'a, V: Copy> TickCursor<'a, V> {
    pub(crate) const fn new(ticks: &'a BTreeMap<i32, V>, lte: bool) -> Self {
        Self { ticks, lte, bound: 0, iter: None, peeked: None }
    }

    /// `TickBitmap.nextInitializedTickWithinOneWord(tick, tick_spacing, lte)`: the next
    /// initialized tick at or below `tick` (`lte`) or above it, within the bitmap word of
    /// `tick`'s compressed position; or the word's last position in that direction,
    /// uninitialized. Returns the tick and, when it is initialized, its value in the map.
    ///
    /// # Errors
    /// [`SwapError::UnalignedTick`] when the map holds a tick in the word that is not a
    /// multiple of `tick_spacing`.
    #[inline]
    pub(crate) fn next_initialized_tick_within_one_word(
        &mut self,
        tick: i32,
        tick_spacing: i32,
    ) -> Result<(i32, Option<V>)> {
        let (lower, upper, boundary) = word_bounds(tick, tick_spacing, self.lte);
        let found = if self.lte {
            // The greatest key ≤ upper, if it is ≥ lower.
            if self.iter.is_none() || upper > self.bound {
                self.iter = Some(self.ticks.range(..=upper));
                self.peeked = None;
            }
            self.bound = upper;
            loop {
                if self.peeked.is_none() {
                    self.peeked =
                        self.iter.as_mut().and_then(|i| i.next_back()).map(|(&t, &v)| (t, v));
                }
                match self.peeked {
                    Some((t, _)) if t > upper => self.peeked = None,
                    _ => break,
                }
            }
            self.peeked.filter(|&(t, _)| t >= lower)
        } else {
            // The least key ≥ lower, if it is ≤ upper.
            if self.iter.is_none() || lower < self.bound {
                self.iter = Some(self.ticks.range(lower..));
                self.peeked = None;
            }
            self.bound = lower;
            loop {
                if self.peeked.is_none() {
                    self.peeked =
                        self.iter.as_mut().and_then(Iterator::next).map(|(&t, &v)| (t, v));
                }
                match self.peeked {
                    Some((t, _)) if t < lower => self.peeked = None,
                    _ => break,
                }
            }
            self.peeked.filter(|&(t, _)| t <= upper)
        };
        match found {
            Some((t, _)) if t % tick_spacing != 0 => {
                Err(SwapError::UnalignedTick { tick: t, tick_spacing })
            }
            Some((t, v)) => Ok((t, Some(v))),
            None => Ok((boundary, None)),
        }
    }
}

/// The inclusive tick range `(lower, upper)` a search from `tick` covers and the word
/// boundary it returns when that range holds no initialized tick.
#[inline]
fn word_bounds(tick: i32, tick_spacing: i32, lte: bool) -> (i32, i32, i32) {
    let compressed = tick.div_euclid(tick_spacing);
    if lte {
        let word_start = compressed.div_euclid(WORD) * WORD;
        (word_start * tick_spacing, compressed * tick_spacing, word_start * tick_spacing)
    } else {
        let next = compressed + 1;
        let word_end = next.div_euclid(WORD) * WORD + (WORD - 1);
        (next * tick_spacing, word_end * tick_spacing, word_end * tick_spacing)
    }
}

/// `QuoterV2`'s `PoolTicksCounter.countInitializedTicksCrossed(tickBefore, tickAfter)` from the
/// set of initialized ticks.
///
/// It counts the set bits of the bitmap between the positions `tickBefore / tickSpacing` and
/// `tickAfter / tickSpacing` (both ends included; Solidity's `/` truncates toward zero), less
/// the end tick when the swap went down and ends exactly on it, less the start tick when the
/// swap went up and starts exactly on it. Because of the truncation this is not always the
/// number of ticks a swap crossed: for negative ticks that are not multiples of the spacing it
/// can count one tick the price never reached (or miss one it did).
///
/// Returns the count and the tick range `(lowest, highest)` whose initialization it reads.
pub(crate) fn quoter_v2_ticks_crossed<V>(
    ticks: &BTreeMap<i32, V>,
    tick_spacing: i32,
    tick_before: i32,
    tick_after: i32,
) -> (u32, (i32, i32)) {
    let before = tick_before / tick_spacing;
    let after = tick_after / tick_spacing;
    let initialized = |compressed: i32| ticks.contains_key(&(compressed * tick_spacing));
    let after_initialized =
        initialized(after) && tick_after % tick_spacing == 0 && tick_before > tick_after;
    let before_initialized =
        initialized(before) && tick_before % tick_spacing == 0 && tick_before < tick_after;
    let (low, high) = if before <= after { (before, after) } else { (after, before) };
    let span = (low * tick_spacing, high * tick_spacing);
    // At most 2 · 887272 + 1 positions: fits u32.
    let mut count = ticks.range(span.0..=span.1).count() as u32;
    // Unchecked in the contract; cannot wrap (each subtracted tick was counted).
    count = count.wrapping_sub(u32::from(after_initialized));
    count = count.wrapping_sub(u32::from(before_initialized));
    (count, span)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticks(list: &[i32]) -> BTreeMap<i32, i128> {
        list.iter().map(|&t| (t, 1)).collect()
    }

    fn next(map: &BTreeMap<i32, i128>, tick: i32, spacing: i32, lte: bool) -> Result<(i32, bool)> {
        next_initialized_tick_within_one_word(map, tick, spacing, lte)
            .map(|(t, v)| (t, v.is_some()))
    }

    /// v3-core's `TickBitmap.spec.ts`: ticks -200, -55, -4, 70, 78, 84, 139, 240, 535 at
    /// spacing 1.
    #[test]
    fn v3_core_vectors() {
        let map = ticks(&[-200, -55, -4, 70, 78, 84, 139, 240, 535]);
        let at = |tick, lte| next(&map, tick, 1, lte).unwrap();
        // lte = false
        assert_eq!(at(78, false), (84, true));
        assert_eq!(at(-55, false), (-4, true));
        assert_eq!(at(77, false), (78, true));
        assert_eq!(at(-56, false), (-55, true));
        assert_eq!(at(255, false), (511, false));
        assert_eq!(at(-257, false), (-200, true));
        assert_eq!(at(383, false), (511, false));
        assert_eq!(at(508, false), (511, false));
        assert_eq!(at(510, false), (511, false));
        // lte = true
        assert_eq!(at(78, true), (78, true));
        assert_eq!(at(79, true), (78, true));
        assert_eq!(at(258, true), (256, false));
        assert_eq!(at(256, true), (256, false));
        assert_eq!(at(72, true), (70, true));
        assert_eq!(at(-257, true), (-512, false));
        assert_eq!(at(1023, true), (768, false));
        assert_eq!(at(900, true), (768, false));
        let mut with_329 = map.clone();
        with_329.insert(329, 1);
        assert_eq!(next(&with_329, 456, 1, true), Ok((329, true)));
    }

    #[test]
    fn spacing_and_negative_ticks() {
        let map = ticks(&[-120, 60, 15_360]);
        // spacing 60: a word is 15 360 ticks; -1 compresses to -1, in the word [-15360, -60].
        assert_eq!(next(&map, -1, 60, true), Ok((-120, true)));
        assert_eq!(next(&map, -121, 60, true), Ok((-15_360, false)));
        assert_eq!(next(&map, -1, 60, false), Ok((60, true)));
        assert_eq!(next(&map, 0, 60, false), Ok((60, true)));
        assert_eq!(next(&map, 60, 60, false), Ok((15_300, false)));
        assert_eq!(next(&map, 15_300, 60, false), Ok((15_360, true)));
        let bad = ticks(&[130]);
        assert_eq!(
            next(&bad, 60, 60, false),
            Err(SwapError::UnalignedTick { tick: 130, tick_spacing: 60 })
        );
    }

    /// The cursor answers every search of a sequence as a fresh search does, for sequences
    /// that move one way (a swap) and that jump back (a restart).
    #[test]
    fn the_cursor_is_a_fresh_search() {
        use rand::{Rng, SeedableRng, rngs::StdRng};
        let mut rng = StdRng::seed_from_u64(7);
        for _ in 0..300 {
            let spacing = [1, 10, 60, 200][rng.random_range(0..4)];
            let count = rng.random_range(0..60);
            let map: BTreeMap<i32, i128> = (0..count)
                .map(|_| {
                    let t = rng.random_range(-2000..2000) * spacing;
                    // An occasional unaligned key.
                    (if rng.random_range(0..50) == 0 { t + 1 } else { t }, 1)
                })
                .collect();
            for lte in [true, false] {
                let mut cursor = TickCursor::new(&map, lte);
                let mut tick = rng.random_range(-2000 * spacing..2000 * spacing);
                for _ in 0..40 {
                    let fresh = next_initialized_tick_within_one_word(&map, tick, spacing, lte);
                    let kept = cursor.next_initialized_tick_within_one_word(tick, spacing);
                    assert_eq!(kept, fresh, "tick {tick} spacing {spacing} lte {lte}");
                    let Ok((next, _)) = fresh else { break };
                    // Mostly as a swap moves (to the found tick, below it going down), at times
                    // inside the range or back.
                    tick = match rng.random_range(0..10) {
                        0 => tick + rng.random_range(-3 * spacing..=3 * spacing),
                        1 => rng.random_range(-2000 * spacing..2000 * spacing),
                        _ if lte => next - 1,
                        _ => next,
                    };
                }
            }
        }
    }

    #[test]
    fn quoter_count_follows_the_contract() {
        let map = ticks(&[-120, -60, 0, 60, 120]);
        // Up from 0 (initialized, excluded) to 130: 60 and 120.
        assert_eq!(quoter_v2_ticks_crossed(&map, 60, 0, 130).0, 2);
        // Down from 130 to 60 exactly: 120 counted, the end tick excluded.
        assert_eq!(quoter_v2_ticks_crossed(&map, 60, 130, 60).0, 1);
        // Down to 59, the pool's tick after crossing 60 downward: 59 / 60 truncates to
        // position 0, so tick 0 is counted with 120 and 60 though the price stopped at 60.
        assert_eq!(quoter_v2_ticks_crossed(&map, 60, 130, 59).0, 3);
        // Truncation: -30 counts from position 0, so tick 0 is counted though the price
        // never was at or above it.
        assert_eq!(quoter_v2_ticks_crossed(&map, 60, -30, -61).0, 2);
        assert_eq!(quoter_v2_ticks_crossed(&map, 60, 5, 5), (1, (0, 0)));
    }
}
