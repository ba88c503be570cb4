//! `UniswapV3Pool.swap` of v3-core 1.0.1, simulated over a snapshot of a pool's state.

use std::collections::BTreeMap;

use alloy_primitives::{I256, U256, aliases::U160};

use super::{
    liquidity_math::add_delta,
    swap_math::{SwapStep, compute_swap_step},
    tick_math::{
        MAX_SQRT_RATIO, MAX_TICK, MIN_SQRT_RATIO, MIN_TICK, get_sqrt_ratio_at_tick,
        get_tick_at_sqrt_ratio,
    },
    ticks::{TickCursor, quoter_v2_ticks_crossed},
};
use crate::{Result, SwapError};

/// The state of a Uniswap V3 pool a swap depends on, as read from the chain.
///
/// `sqrt_price_x96` and `tick` are `slot0()`'s (the tick as the pool keeps it: after a swap
/// that stops exactly on an initialized tick going down it is one below that tick's price),
/// `liquidity` is `liquidity()`, `fee` and `tick_spacing` the pool's immutables.
///
/// `ticks` maps every initialized tick (`ticks(t).initialized`, i.e. `liquidityGross > 0`;
/// include those whose `liquidityNet` is 0, they still end a swap step) to its
/// `liquidityNet`, for the ticks in `loaded_range` (inclusive) at least: the map must be
/// complete within that range. A swap that would depend on a tick outside it returns
/// [`SwapError::LeavesLoadedRange`]; use `(MIN_TICK, MAX_TICK)` when the whole map is known.
/// Keys are multiples of `tick_spacing`, as in any pool; a swap step that meets one that is not
/// returns [`SwapError::UnalignedTick`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct V3State {
    /// `slot0.sqrtPriceX96`: sqrt of the price of token0 in token1, Q64.96.
    pub sqrt_price_x96: U160,
    /// `slot0.tick`.
    pub tick: i32,
    /// `liquidity()`: the liquidity in range.
    pub liquidity: u128,
    /// The fee in hundredths of a bip (500 = 0.05 %).
    pub fee: u32,
    /// The tick spacing (10 for fee 500, 60 for 3000, 200 for 10000 on mainnet).
    pub tick_spacing: i32,
    /// Initialized ticks and their `liquidityNet`.
    pub ticks: BTreeMap<i32, i128>,
    /// The inclusive tick range within which `ticks` is complete.
    pub loaded_range: (i32, i32),
}

/// The outcome of a swap, as the pool would report it.
///
/// Amounts are in the tokens' smallest units. `amount0`/`amount1` are signed as the pool's
/// return values and `Swap` event: positive is paid into the pool, negative is paid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SwapResult {
    /// The pool's `amount0`.
    pub amount0: I256,
    /// The pool's `amount1`.
    pub amount1: I256,
    /// Input paid into the pool, fee included (token0 for a zero-for-one swap).
    pub amount_in: U256,
    /// Output paid out of the pool.
    pub amount_out: U256,
    /// The part of `amount_in` taken as fee (liquidity providers' and protocol's).
    pub fee_amount: U256,
    /// `slot0.sqrtPriceX96` after the swap, Q64.96.
    pub sqrt_price_after: U160,
    /// `slot0.tick` after the swap.
    pub tick_after: i32,
    /// `liquidity()` after the swap.
    pub liquidity_after: u128,
    /// How many initialized ticks the swap crossed (ran `ticks.cross` on). `QuoterV2` reports a
    /// different count; see [`V3State::quoter_v2_ticks_crossed`].
    pub ticks_crossed: u32,
}

impl SwapResult {
    /// The input and output alone.
    #[must_use]
    pub const fn amounts(&self) -> SwapAmounts {
        SwapAmounts { amount_in: self.amount_in, amount_out: self.amount_out }
    }
}

/// What a swap's input and output were, without the pool's state after it
/// ([`V3State::quote_exact_in_amounts`], [`V4State::quote_exact_in_amounts`](crate::V4State::quote_exact_in_amounts)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SwapAmounts {
    /// Input paid into the pool, fee included; below the one asked when the swap reached the
    /// price limit first (V3).
    pub amount_in: U256,
    /// Output paid out of the pool.
    pub amount_out: U256,
}

/// How much of the result a swap walk computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Detail {
    /// Every field of [`SwapResult`].
    Full,
    /// The amounts; `tick_after` may be stale.
    Amounts,
}

/// The price limit `QuoterV2` (and the `SwapRouter`) use when given none: `MIN_SQRT_RATIO + 1`
/// for a zero-for-one swap, `MAX_SQRT_RATIO - 1` otherwise.
pub const fn default_price_limit(zero_for_one: bool) -> U160 {
    if zero_for_one {
        U160::from_limbs([4_295_128_740, 0, 0])
    } else {
        U160::from_limbs([0x5d95_1d52_6398_8d25, 0xefd1_fc6a_5064_8849, 0xfffd_8963])
    }
}

impl V3State {
    /// `UniswapV3Pool.swap(recipient, zeroForOne, amountSpecified, sqrtPriceLimitX96, data)`:
    /// swaps token0 for token1 (`zero_for_one`) or back, exactly `amount_specified` in
    /// (positive) or out (negative), stopping at `sqrt_price_limit_x96` (Q64.96).
    ///
    /// Walks the initialized ticks step by step as the pool does, ending each step at the next
    /// initialized tick or at the boundary of the tick bitmap word, whichever is nearer, so the
    /// rounding of every step, and so every wei of the result, is the pool's. A swap that stops
    /// at the limit before filling returns the partial amounts, as the pool does.
    ///
    /// # Errors
    /// [`SwapError::ZeroAmount`] and [`SwapError::InvalidPriceLimit`] where the pool reverts
    /// (`AS`, `SPL`); [`SwapError::LeavesLoadedRange`] when the outcome depends on ticks
    /// outside [`V3State::loaded_range`]; [`SwapError::InvalidFee`],
    /// [`SwapError::InvalidTickSpacing`], [`SwapError::InvalidState`],
    /// [`SwapError::SqrtPriceOutOfRange`], [`SwapError::UnalignedTick`] for a state no pool can
    /// be in; the math's errors where the pool would revert.
    pub fn swap(
        &self,
        zero_for_one: bool,
        amount_specified: I256,
        sqrt_price_limit_x96: U160,
    ) -> Result<SwapResult> {
        self.swap_with(
            zero_for_one,
            amount_specified,
            sqrt_price_limit_x96,
            self.fee,
            StepRule::V3,
            Detail::Full,
        )
    }

    /// The swap walk shared by V3 and V4: `amount_specified` positive for an exact input,
    /// `fee` the swap fee in pips, `rule` whose `computeSwapStep` and state bounds apply.
    /// With [`Detail::Amounts`] the result's `tick_after` is not computed when the last step
    /// ends inside a tick range (it is the tick before the swap or a crossed one's).
    pub(crate) fn swap_with(
        &self,
        zero_for_one: bool,
        amount_specified: I256,
        sqrt_price_limit_x96: U160,
        fee: u32,
        rule: StepRule,
        detail: Detail,
    ) -> Result<SwapResult> {
        self.validate(rule)?;
        if amount_specified.is_zero() {
            return Err(SwapError::ZeroAmount { what: "amount_specified" });
        }
        let limit = to_u256(sqrt_price_limit_x96);
        let start_price = to_u256(self.sqrt_price_x96);
        let valid_limit = if zero_for_one {
            limit < start_price && limit > MIN_SQRT_RATIO
        } else {
            limit > start_price && limit < MAX_SQRT_RATIO
        };
        if !valid_limit {
            return Err(SwapError::InvalidPriceLimit {
                sqrt_price_limit_x96,
                sqrt_price_x96: self.sqrt_price_x96,
                zero_for_one,
            });
        }
        let exact_in = !amount_specified.is_negative();
        let mut walk = Walk {
            remaining: amount_specified,
            calculated: I256::ZERO,
            price: start_price,
            tick: self.tick,
            liquidity: self.liquidity,
            fee_amount: U256::ZERO,
            ticks_crossed: 0,
        };
        let mut cursor = TickCursor::new(&self.ticks, zero_for_one);
        while !walk.remaining.is_zero() && walk.price != limit {
            let step_start = walk.price;
            let (found, liquidity_net) =
                cursor.next_initialized_tick_within_one_word(walk.tick, self.tick_spacing)?;
            // The bitmap knows nothing of the tick bounds.
            let tick_next = found.clamp(MIN_TICK, MAX_TICK);
            let coverage = self.coverage(walk.tick, tick_next, zero_for_one)?;
            let sqrt_price_next = get_sqrt_ratio_at_tick(tick_next)?;
            let past_limit =
                if zero_for_one { sqrt_price_next < limit } else { sqrt_price_next > limit };
            let target = if past_limit { limit } else { sqrt_price_next };
            let step = rule.step(walk.price, target, walk.liquidity, walk.remaining, fee)?;
            if let Coverage::Probe(probe_tick) = coverage {
                self.check_probe(&walk, probe_tick, limit, zero_for_one, tick_next, fee, rule)?;
            }
            walk.price = step.sqrt_ratio_next_x96;
            walk.account(&step, exact_in)?;
            if walk.price == sqrt_price_next {
                if let Some(net) = liquidity_net {
                    // Moving leftward, liquidityNet counts the other way.
                    let net = if zero_for_one {
                        net.checked_neg().ok_or(SwapError::LiquidityOverflow {
                            liquidity: walk.liquidity,
                            delta: net,
                        })?
                    } else {
                        net
                    };
                    walk.liquidity = add_delta(walk.liquidity, net)?;
                    walk.ticks_crossed += 1;
                }
                walk.tick = if zero_for_one { tick_next - 1 } else { tick_next };
            } else if walk.price != step_start {
                // Not on a lower tick boundary already transitioned: recompute — unless only
                // the amounts are wanted and this was the last step (the walk goes on only
                // while something remains and the limit is not reached).
                let last = walk.remaining.is_zero() || walk.price == limit;
                if detail == Detail::Full || !last {
                    walk.tick = get_tick_at_sqrt_ratio(walk.price)?;
                }
            }
        }
        walk.finish(amount_specified, zero_for_one, exact_in)
    }

    /// `QuoterV2`'s `quoteExactInputSingle` with no price limit: swaps exactly `amount_in` of
    /// token0 (`zero_for_one`) or token1 up to [`default_price_limit`].
    ///
    /// Like `QuoterV2`, a swap that reaches the limit first quotes the output of the part it
    /// could fill (`amount_in` of the result is then below the one asked).
    ///
    /// # Errors
    /// As [`V3State::swap`]; [`SwapError::Overflow`] for `amount_in >= 2^255` (`toInt256`);
    /// [`SwapError::EmptySwap`] when nothing is swapped (`QuoterV2` reverts).
    pub fn quote_exact_in(&self, zero_for_one: bool, amount_in: U256) -> Result<SwapResult> {
        self.quote_in(zero_for_one, amount_in, Detail::Full)
    }

    /// The amounts of [`V3State::quote_exact_in`] alone, without the state after the swap:
    /// the same walk less its final `getTickAtSqrtRatio` (about a sixth of a one-tick quote),
    /// for a search that evaluates many inputs.
    ///
    /// # Errors
    /// As [`V3State::quote_exact_in`], the same for every input.
    pub fn quote_exact_in_amounts(
        &self,
        zero_for_one: bool,
        amount_in: U256,
    ) -> Result<SwapAmounts> {
        self.quote_in(zero_for_one, amount_in, Detail::Amounts).map(|r| r.amounts())
    }

    fn quote_in(&self, zero_for_one: bool, amount_in: U256, detail: Detail) -> Result<SwapResult> {
        let amount = I256::try_from(amount_in).map_err(|_| SwapError::overflow("toInt256"))?;
        let limit = default_price_limit(zero_for_one);
        let result = self.swap_with(zero_for_one, amount, limit, self.fee, StepRule::V3, detail)?;
        if result.amount0.is_zero() && result.amount1.is_zero() {
            return Err(SwapError::EmptySwap);
        }
        Ok(result)
    }

    /// `QuoterV2`'s `quoteExactOutputSingle` with no price limit: swaps for exactly `amount_out`
    /// of token1 (`zero_for_one`) or token0 up to [`default_price_limit`].
    ///
    /// # Errors
    /// As [`V3State::quote_exact_in`]; [`SwapError::ExactOutputNotFilled`] when the pool
    /// reaches the limit before giving `amount_out` (`QuoterV2` reverts).
    pub fn quote_exact_out(&self, zero_for_one: bool, amount_out: U256) -> Result<SwapResult> {
        let amount = I256::try_from(amount_out).map_err(|_| SwapError::overflow("toInt256"))?;
        let result = self.swap(zero_for_one, -amount, default_price_limit(zero_for_one))?;
        if result.amount0.is_zero() && result.amount1.is_zero() {
            return Err(SwapError::EmptySwap);
        }
        if result.amount_out != amount_out {
            return Err(SwapError::ExactOutputNotFilled {
                requested: amount_out,
                available: result.amount_out,
            });
        }
        Ok(result)
    }

    /// The `initializedTicksCrossed` `QuoterV2` reports for a swap from this state that ends at
    /// `tick_after` ([`SwapResult::tick_after`]).
    ///
    /// `QuoterV2` counts the initialized ticks between the bitmap positions
    /// `tick / tick_spacing` before and after the swap, with Solidity's truncating division,
    /// less the end tick when going down onto it and the start tick when going up from it. So
    /// it can differ from [`SwapResult::ticks_crossed`] (the ticks the pool crossed) by one or
    /// two: it counts a tick on which a downward swap stops when the pool's tick lands one
    /// below it, and for negative ticks the truncation shifts the counted range toward zero.
    ///
    /// # Errors
    /// [`SwapError::LeavesLoadedRange`] when the counted range reaches outside
    /// [`V3State::loaded_range`].
    pub fn quoter_v2_ticks_crossed(&self, tick_after: i32) -> Result<u32> {
        let spacing = self.tick_spacing.max(1);
        let (count, (low, high)) =
            quoter_v2_ticks_crossed(&self.ticks, spacing, self.tick, tick_after);
        let (lo, hi) = self.loaded_range;
        let needs = if low < lo && lo > MIN_TICK {
            Some(low)
        } else if high > hi && hi < MAX_TICK {
            Some(high)
        } else {
            None
        };
        match needs {
            Some(needs_tick) => Err(SwapError::LeavesLoadedRange {
                at_tick: self.tick,
                needs_tick,
                loaded_lower: lo,
                loaded_upper: hi,
            }),
            None => Ok(count),
        }
    }

    /// Moves the state to where `result` (a swap from this state) leaves the pool: price,
    /// tick and in-range liquidity. The tick map does not change in a swap.
    pub fn apply(&mut self, result: &SwapResult) {
        self.sqrt_price_x96 = result.sqrt_price_after;
        self.tick = result.tick_after;
        self.liquidity = result.liquidity_after;
    }

    /// Rejects a state no pool can be in.
    fn validate(&self, rule: StepRule) -> Result<()> {
        if self.fee > rule.max_fee() {
            return Err(SwapError::InvalidFee { fee: self.fee });
        }
        if !(1..=rule.max_tick_spacing()).contains(&self.tick_spacing) {
            return Err(SwapError::InvalidTickSpacing { tick_spacing: self.tick_spacing });
        }
        let (loaded_lower, loaded_upper) = self.loaded_range;
        if loaded_lower > loaded_upper || !(MIN_TICK..=MAX_TICK).contains(&self.tick) {
            return Err(SwapError::InvalidState { tick: self.tick, loaded_lower, loaded_upper });
        }
        let price = to_u256(self.sqrt_price_x96);
        if price < MIN_SQRT_RATIO || price >= MAX_SQRT_RATIO {
            return Err(SwapError::SqrtPriceOutOfRange { sqrt_price_x96: price });
        }
        Ok(())
    }

    /// Whether the state knows every tick a step from `tick` to `tick_next` searched.
    ///
    /// The step searched the initialized ticks between `tick` (its tick-spacing multiple
    /// toward the swap) and `tick_next`. Ticks beyond the loaded range on the near side could
    /// end the step earlier: refuse. When only the far end leaves the range, the true next tick
    /// lies somewhere between `tick_next` and the first tick past the range, and the step's
    /// outcome is the same for all of them if the swap stops before that first tick:
    /// [`Coverage::Probe`] names it for [`V3State::check_probe`].
    fn coverage(&self, tick: i32, tick_next: i32, zero_for_one: bool) -> Result<Coverage> {
        let (lo, hi) = self.loaded_range;
        let s = self.tick_spacing;
        let (known_below, known_above) = (lo <= MIN_TICK, hi >= MAX_TICK);
        let leaves = |needs_tick| SwapError::LeavesLoadedRange {
            at_tick: tick,
            needs_tick,
            loaded_lower: lo,
            loaded_upper: hi,
        };
        if zero_for_one {
            let near = tick.div_euclid(s) * s;
            if !known_above && near > hi {
                return Err(leaves(near));
            }
            if known_below || tick_next >= lo {
                return Ok(Coverage::Known);
            }
            let first_outside = (lo - 1).div_euclid(s) * s;
            Ok(Coverage::Probe(tick_next.max(near.min(first_outside))))
        } else {
            let near = (tick.div_euclid(s) + 1) * s;
            if !known_below && near < lo {
                return Err(leaves(near));
            }
            if known_above || tick_next <= hi {
                return Ok(Coverage::Known);
            }
            let first_outside = -((-(hi + 1)).div_euclid(s) * s);
            Ok(Coverage::Probe(tick_next.min(near.max(first_outside))))
        }
    }

    /// Checks that a step whose far end left the loaded range stops short of `probe_tick` (the
    /// nearest tick outside the range that could be initialized), or is bounded by a price
    /// limit before it; then no tick outside the range changes the step.
    #[allow(clippy::too_many_arguments)]
    fn check_probe(
        &self,
        walk: &Walk,
        probe_tick: i32,
        limit: U256,
        zero_for_one: bool,
        tick_next: i32,
        fee: u32,
        rule: StepRule,
    ) -> Result<()> {
        let (lo, hi) = self.loaded_range;
        let leaves = SwapError::LeavesLoadedRange {
            at_tick: walk.tick,
            needs_tick: tick_next,
            loaded_lower: lo,
            loaded_upper: hi,
        };
        let probe_price = get_sqrt_ratio_at_tick(probe_tick)?;
        if (zero_for_one && limit > probe_price) || (!zero_for_one && limit < probe_price) {
            return Ok(());
        }
        let probe = rule
            .step(walk.price, probe_price, walk.liquidity, walk.remaining, fee)
            .map_err(|_| leaves.clone())?;
        let stops_short = if zero_for_one {
            probe.sqrt_ratio_next_x96 > probe_price
        } else {
            probe.sqrt_ratio_next_x96 < probe_price
        };
        if stops_short { Ok(()) } else { Err(leaves) }
    }
}

/// Whose `SwapMath.computeSwapStep` a swap walk runs, and the state bounds that go with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StepRule {
    /// v3-core 1.0.1: fee below 100 %, tick spacing below 16,384.
    V3,
    /// v4-core 1.0.2: fee up to 100 %, tick spacing up to 32,767.
    V4,
}

impl StepRule {
    #[inline]
    fn step(
        self,
        current: U256,
        target: U256,
        liquidity: u128,
        remaining: I256,
        fee: u32,
    ) -> Result<SwapStep> {
        match self {
            Self::V3 => compute_swap_step(current, target, liquidity, remaining, fee),
            Self::V4 => crate::v4::compute_swap_step_v4(current, target, liquidity, remaining, fee),
        }
    }

    const fn max_fee(self) -> u32 {
        match self {
            Self::V3 => 999_999,
            Self::V4 => crate::v4::MAX_SWAP_FEE,
        }
    }

    const fn max_tick_spacing(self) -> i32 {
        match self {
            Self::V3 => 16_383,
            Self::V4 => crate::v4::MAX_TICK_SPACING_V4,
        }
    }
}

/// What a step's tick search needs from outside the loaded range.
#[derive(Clone, Copy, Debug)]
enum Coverage {
    /// Nothing.
    Known,
    /// The step must stop before this tick's price.
    Probe(i32),
}

/// The pool's `SwapState` while it walks.
#[derive(Debug)]
struct Walk {
    /// `amountSpecifiedRemaining`.
    remaining: I256,
    /// `amountCalculated`.
    calculated: I256,
    /// `sqrtPriceX96`, Q64.96.
    price: U256,
    tick: i32,
    liquidity: u128,
    /// Sum of the steps' fees, in the input token.
    fee_amount: U256,
    ticks_crossed: u32,
}

impl Walk {
    /// The pool's bookkeeping of one step's amounts.
    fn account(&mut self, step: &SwapStep, exact_in: bool) -> Result<()> {
        let in_with_fee = step
            .amount_in
            .checked_add(step.fee_amount)
            .ok_or(SwapError::overflow("amountIn + feeAmount"))?;
        let in_with_fee = to_int256(in_with_fee)?;
        let out = to_int256(step.amount_out)?;
        let overflow = || SwapError::overflow("swap amounts");
        if exact_in {
            self.remaining = self.remaining.checked_sub(in_with_fee).ok_or_else(overflow)?;
            self.calculated = self.calculated.checked_sub(out).ok_or_else(overflow)?;
        } else {
            self.remaining = self.remaining.checked_add(out).ok_or_else(overflow)?;
            self.calculated = self.calculated.checked_add(in_with_fee).ok_or_else(overflow)?;
        }
        self.fee_amount = self.fee_amount.checked_add(step.fee_amount).ok_or_else(overflow)?;
        Ok(())
    }

    /// The pool's `(amount0, amount1)` and the rest of the result.
    fn finish(
        self,
        amount_specified: I256,
        zero_for_one: bool,
        exact_in: bool,
    ) -> Result<SwapResult> {
        let specified = amount_specified
            .checked_sub(self.remaining)
            .ok_or(SwapError::overflow("swap amounts"))?;
        let (amount0, amount1) = if zero_for_one == exact_in {
            (specified, self.calculated)
        } else {
            (self.calculated, specified)
        };
        let (paid_in, paid_out) =
            if zero_for_one { (amount0, amount1) } else { (amount1, amount0) };
        let amount_in = if paid_in.is_negative() { U256::ZERO } else { paid_in.into_raw() };
        let amount_out = if paid_out.is_positive() { U256::ZERO } else { paid_out.unsigned_abs() };
        Ok(SwapResult {
            amount0,
            amount1,
            amount_in,
            amount_out,
            fee_amount: self.fee_amount,
            sqrt_price_after: to_u160(self.price)?,
            tick_after: self.tick,
            liquidity_after: self.liquidity,
            ticks_crossed: self.ticks_crossed,
        })
    }
}

/// `SafeCast.toInt256`.
fn to_int256(x: U256) -> Result<I256> {
    I256::try_from(x).map_err(|_| SwapError::overflow("toInt256"))
}

fn to_u256(x: U160) -> U256 {
    let l = x.as_limbs();
    U256::from_limbs([l[0], l[1], l[2], 0])
}

fn to_u160(x: U256) -> Result<U160> {
    let l = x.as_limbs();
    if l[3] != 0 || l[2] >> 32 != 0 {
        return Err(SwapError::overflow("toUint160"));
    }
    Ok(U160::from_limbs([l[0], l[1], l[2]]))
}
