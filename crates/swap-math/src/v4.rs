//! Uniswap V4 (v4-core 1.0.2): `Pool.swap` over a snapshot of a pool in the `PoolManager`.
//!
//! V4 keeps V3's tick math and bitmap, so a V4 swap walks the ticks as [`V3State::swap`] does;
//! what differs is the fee and one step rule:
//! - the fee charged is the *swap fee*: `ProtocolFeeLibrary.calculateSwapFee(protocolFee,
//!   lpFee) = protocolFee + lpFee - protocolFee * lpFee / 1e6` (pips), with the LP fee from
//!   `slot0.lpFee` (a dynamic-fee pool's hook sets it) and the protocol fee of the swap's
//!   direction from `slot0.protocolFee`; it may reach 100 %, which exact-output swaps refuse;
//! - `SwapMath.computeSwapStep` takes, on an exact-input step that stops short of its target,
//!   the whole remaining amount (V3 recomputes the input from the price it reached and calls
//!   the difference fee: the two agree except where that price rounds onto the target);
//! - amounts are `int128` deltas, and `amountSpecified` is negative for an exact input.
//!
//! A pool's hooks can change a swap: a hook with `beforeSwapReturnDelta` or
//! `afterSwapReturnDelta` permission changes the amounts, and a dynamic-fee pool's `beforeSwap`
//! hook can set the fee at swap time. Such pools are not quotable from state:
//! [`V4State::check_quotable`] says so (with [`SwapError::HooksChangeSwap`]) and every swap
//! and quote refuses them, never guessing.

use alloy_primitives::{Address, I256, U256, aliases::U160};

use crate::{
    Result, SwapAmounts, SwapError, SwapResult, V3State, default_price_limit,
    v3::{
        full_math::{mul_div, mul_div_rounding_up},
        pool::{Detail, StepRule},
        sqrt_price_math::{
            get_amount0_delta, get_amount1_delta, get_next_sqrt_price_from_input,
            get_next_sqrt_price_from_output,
        },
        swap_math::SwapStep,
    },
};

/// `LPFeeLibrary.DYNAMIC_FEE_FLAG`: a pool key's fee meaning "the hook sets the LP fee".
pub const DYNAMIC_FEE_FLAG: u32 = 0x80_0000;
/// `LPFeeLibrary.MAX_LP_FEE` and `SwapMath.MAX_SWAP_FEE`: 100 % in pips.
pub const MAX_SWAP_FEE: u32 = 1_000_000;
/// `ProtocolFeeLibrary.MAX_PROTOCOL_FEE`: 0.1 % in pips, per direction.
pub const MAX_PROTOCOL_FEE: u32 = 1_000;
/// `TickMath.MAX_TICK_SPACING` of v4-core (`type(int16).max`).
pub const MAX_TICK_SPACING_V4: i32 = 32_767;

/// The hook permission bits of v4-core's `Hooks` library: the lowest 14 bits of a hooks
/// contract's address say which hooks the `PoolManager` calls.
pub mod hook_flags {
    /// `BEFORE_INITIALIZE_FLAG`.
    pub const BEFORE_INITIALIZE: u16 = 1 << 13;
    /// `AFTER_INITIALIZE_FLAG`.
    pub const AFTER_INITIALIZE: u16 = 1 << 12;
    /// `BEFORE_ADD_LIQUIDITY_FLAG`.
    pub const BEFORE_ADD_LIQUIDITY: u16 = 1 << 11;
    /// `AFTER_ADD_LIQUIDITY_FLAG`.
    pub const AFTER_ADD_LIQUIDITY: u16 = 1 << 10;
    /// `BEFORE_REMOVE_LIQUIDITY_FLAG`.
    pub const BEFORE_REMOVE_LIQUIDITY: u16 = 1 << 9;
    /// `AFTER_REMOVE_LIQUIDITY_FLAG`.
    pub const AFTER_REMOVE_LIQUIDITY: u16 = 1 << 8;
    /// `BEFORE_SWAP_FLAG`.
    pub const BEFORE_SWAP: u16 = 1 << 7;
    /// `AFTER_SWAP_FLAG`.
    pub const AFTER_SWAP: u16 = 1 << 6;
    /// `BEFORE_DONATE_FLAG`.
    pub const BEFORE_DONATE: u16 = 1 << 5;
    /// `AFTER_DONATE_FLAG`.
    pub const AFTER_DONATE: u16 = 1 << 4;
    /// `BEFORE_SWAP_RETURNS_DELTA_FLAG`: the `beforeSwap` hook may take or give part of the
    /// amount specified.
    pub const BEFORE_SWAP_RETURNS_DELTA: u16 = 1 << 3;
    /// `AFTER_SWAP_RETURNS_DELTA_FLAG`: the `afterSwap` hook may take or give part of the
    /// unspecified amount.
    pub const AFTER_SWAP_RETURNS_DELTA: u16 = 1 << 2;
    /// `AFTER_ADD_LIQUIDITY_RETURNS_DELTA_FLAG`.
    pub const AFTER_ADD_LIQUIDITY_RETURNS_DELTA: u16 = 1 << 1;
    /// `AFTER_REMOVE_LIQUIDITY_RETURNS_DELTA_FLAG`.
    pub const AFTER_REMOVE_LIQUIDITY_RETURNS_DELTA: u16 = 1;
    /// All 14 permission bits.
    pub const ALL: u16 = (1 << 14) - 1;
}

/// The permission bits of a hooks address (its lowest 14 bits).
#[must_use]
pub fn hook_permissions(hooks: Address) -> u16 {
    u16::from_be_bytes([hooks[18], hooks[19]]) & hook_flags::ALL
}

/// `ProtocolFeeLibrary.calculateSwapFee`: the fee a swap pays, in pips, from one direction's
/// protocol fee and the LP fee (both pips): `protocol + lp - protocol * lp / 1e6`.
#[must_use]
pub const fn swap_fee(protocol_fee: u32, lp_fee: u32) -> u32 {
    let protocol = protocol_fee & 0xfff;
    let lp = lp_fee & 0xff_ffff;
    // At most 0xfff + 0xffffff: no overflow in u64, and the product term never exceeds the sum.
    let fee = protocol as u64 + lp as u64 - (protocol as u64 * lp as u64) / 1_000_000;
    fee as u32
}

/// The state of a Uniswap V4 pool a swap depends on, as `StateView` reads it from the
/// `PoolManager`.
///
/// `pool` holds what V4 shares with V3: `getSlot0`'s `sqrtPriceX96` and `tick`,
/// `getLiquidity`, the key's tick spacing, and every initialized tick's `liquidityNet` within
/// the loaded range (`getTickBitmap` / `getTickLiquidity`); its `fee` is **`slot0.lpFee`**, the
/// LP fee in force (for a dynamic-fee pool, the one its hook last set). The V3 bounds on fee
/// and tick spacing do not apply: V4 allows an LP fee up to 100 % and a spacing up to 32,767.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct V4State {
    /// Price, tick, liquidity, LP fee (`slot0.lpFee`), tick spacing and ticks.
    pub pool: V3State,
    /// `slot0.protocolFee`: the zero-for-one fee in the low 12 bits, the one-for-zero fee in
    /// the next 12, pips each.
    pub protocol_fee: u32,
    /// The pool key's `fee`: the static LP fee, or [`DYNAMIC_FEE_FLAG`].
    pub key_fee: u32,
    /// The pool key's `hooks` contract (`Address::ZERO` for none).
    pub hooks: Address,
}

impl V4State {
    /// The swap fee a swap in this direction pays, in pips: the LP fee and the direction's
    /// protocol fee combined ([`swap_fee`]).
    #[must_use]
    pub const fn swap_fee(&self, zero_for_one: bool) -> u32 {
        let protocol = if zero_for_one {
            self.protocol_fee & 0xfff
        } else {
            (self.protocol_fee >> 12) & 0xfff
        };
        if protocol == 0 { self.pool.fee } else { swap_fee(protocol, self.pool.fee) }
    }

    /// Whether the pool's hooks leave a swap to the pool's math.
    ///
    /// # Errors
    /// [`SwapError::HooksChangeSwap`] when the hooks may change a swap's amounts
    /// (`beforeSwapReturnDelta`, `afterSwapReturnDelta`) or, on a dynamic-fee pool, its fee
    /// (`beforeSwap` may set the LP fee for the swap).
    pub fn check_quotable(&self) -> Result<()> {
        let flags = hook_permissions(self.hooks);
        let changes_amounts = flags
            & (hook_flags::BEFORE_SWAP_RETURNS_DELTA | hook_flags::AFTER_SWAP_RETURNS_DELTA)
            != 0;
        let sets_fee = self.key_fee == DYNAMIC_FEE_FLAG && flags & hook_flags::BEFORE_SWAP != 0;
        if changes_amounts || sets_fee {
            return Err(SwapError::HooksChangeSwap { hooks: self.hooks, permissions: flags });
        }
        Ok(())
    }

    /// `PoolManager.swap(key, SwapParams{zeroForOne, amountSpecified, sqrtPriceLimitX96}, _)`
    /// as `Pool.swap` computes it: `amount_specified` is **V4's sign**, negative for exactly
    /// that much in, positive for exactly that much out (smallest units), stopping at
    /// `sqrt_price_limit_x96` (Q64.96).
    ///
    /// The result's `amount0`/`amount1` are signed from the pool's side, as [`V3State::swap`]'s
    /// (positive is paid into the pool): the negation of V4's `BalanceDelta`. A swap that stops
    /// at the limit before filling returns the partial amounts, as the pool does.
    ///
    /// # Errors
    /// [`SwapError::HooksChangeSwap`] for a pool [`V4State::check_quotable`] refuses;
    /// [`SwapError::ZeroAmount`] (`SwapAmountCannotBeZero`); [`SwapError::InvalidFeeForExactOut`]
    /// for an exact output at a 100 % swap fee; [`SwapError::InvalidPriceLimit`]
    /// (`PriceLimitAlreadyExceeded`, `PriceLimitOutOfBounds`); [`SwapError::Overflow`] when an
    /// amount leaves `int128` (`SafeCastOverflow`); otherwise as [`V3State::swap`].
    pub fn swap(
        &self,
        zero_for_one: bool,
        amount_specified: I256,
        sqrt_price_limit_x96: U160,
    ) -> Result<SwapResult> {
        self.swap_detail(zero_for_one, amount_specified, sqrt_price_limit_x96, Detail::Full)
    }

    fn swap_detail(
        &self,
        zero_for_one: bool,
        amount_specified: I256,
        sqrt_price_limit_x96: U160,
        detail: Detail,
    ) -> Result<SwapResult> {
        self.check_quotable()?;
        if amount_specified.is_zero() {
            return Err(SwapError::ZeroAmount { what: "amount_specified" });
        }
        let fee = self.swap_fee(zero_for_one);
        if self.pool.fee > MAX_SWAP_FEE {
            return Err(SwapError::InvalidFee { fee: self.pool.fee });
        }
        if fee >= MAX_SWAP_FEE && amount_specified.is_positive() {
            return Err(SwapError::InvalidFeeForExactOut { fee });
        }
        // V3's walk takes exact input as positive.
        let v3_amount =
            amount_specified.checked_neg().ok_or(SwapError::overflow("amountSpecified"))?;
        let result = self.pool.swap_with(
            zero_for_one,
            v3_amount,
            sqrt_price_limit_x96,
            fee,
            StepRule::V4,
            detail,
        )?;
        // The BalanceDelta is two int128s.
        let fits = |x: I256| i128::try_from(x).is_ok();
        if !fits(result.amount0) || !fits(result.amount1) {
            return Err(SwapError::overflow("toInt128"));
        }
        Ok(result)
    }

    /// `V4Quoter.quoteExactInputSingle` with empty hook data: swaps exactly `amount_in` of
    /// currency0 (`zero_for_one`) or currency1 up to [`default_price_limit`].
    ///
    /// # Errors
    /// As [`V4State::swap`]; [`SwapError::Overflow`] for `amount_in > i128::MAX` (the quoter's
    /// `int128(exactAmount)`); [`SwapError::ExactInputNotFilled`] when the pool reaches the
    /// limit before taking all of it (the quoter's `NotEnoughLiquidity`).
    pub fn quote_exact_in(&self, zero_for_one: bool, amount_in: U256) -> Result<SwapResult> {
        self.quote_in(zero_for_one, amount_in, Detail::Full)
    }

    /// The amounts of [`V4State::quote_exact_in`] alone, without the state after the swap (as
    /// [`V3State::quote_exact_in_amounts`]).
    ///
    /// # Errors
    /// As [`V4State::quote_exact_in`], the same for every input.
    pub fn quote_exact_in_amounts(
        &self,
        zero_for_one: bool,
        amount_in: U256,
    ) -> Result<SwapAmounts> {
        self.quote_in(zero_for_one, amount_in, Detail::Amounts).map(|r| r.amounts())
    }

    fn quote_in(&self, zero_for_one: bool, amount_in: U256, detail: Detail) -> Result<SwapResult> {
        let amount = to_int128(amount_in)?;
        let limit = default_price_limit(zero_for_one);
        let result = self.swap_detail(zero_for_one, -amount, limit, detail)?;
        if result.amount_in != amount_in {
            return Err(SwapError::ExactInputNotFilled {
                requested: amount_in,
                filled: result.amount_in,
            });
        }
        Ok(result)
    }

    /// `V4Quoter.quoteExactOutputSingle` with empty hook data: swaps for exactly `amount_out`
    /// of currency1 (`zero_for_one`) or currency0 up to [`default_price_limit`].
    ///
    /// # Errors
    /// As [`V4State::swap`]; [`SwapError::Overflow`] for `amount_out > i128::MAX`;
    /// [`SwapError::ExactOutputNotFilled`] when the pool reaches the limit first
    /// (`NotEnoughLiquidity`).
    pub fn quote_exact_out(&self, zero_for_one: bool, amount_out: U256) -> Result<SwapResult> {
        let amount = to_int128(amount_out)?;
        let result = self.swap(zero_for_one, amount, default_price_limit(zero_for_one))?;
        if result.amount_out != amount_out {
            return Err(SwapError::ExactOutputNotFilled {
                requested: amount_out,
                available: result.amount_out,
            });
        }
        Ok(result)
    }

    /// Moves the state to where `result` (a swap from this state) leaves the pool.
    pub fn apply(&mut self, result: &SwapResult) {
        self.pool.apply(result);
    }
}

/// An amount as the quoter's `int128`, widened.
fn to_int128(amount: U256) -> Result<I256> {
    if amount > U256::from(i128::MAX as u128) {
        return Err(SwapError::overflow("int128"));
    }
    Ok(I256::from_raw(amount))
}

/// v4-core's `SwapMath.computeSwapStep`, with the amount signed as V3's walk keeps it
/// (`amount_remaining` positive: exact input left; negative: exact output left).
pub(crate) fn compute_swap_step_v4(
    current: U256,
    target: U256,
    liquidity: u128,
    amount_remaining: I256,
    fee_pips: u32,
) -> Result<SwapStep> {
    if fee_pips > MAX_SWAP_FEE {
        return Err(SwapError::InvalidFee { fee: fee_pips });
    }
    let zero_for_one = current >= target;
    let exact_in = !amount_remaining.is_negative();
    if current == target && !current.is_zero() && (exact_in || fee_pips != MAX_SWAP_FEE) {
        // A step of no length: all amounts zero at the target (an exact output at a 100 % fee
        // still reverts, below).
        return Ok(SwapStep {
            sqrt_ratio_next_x96: target,
            amount_in: U256::ZERO,
            amount_out: U256::ZERO,
            fee_amount: U256::ZERO,
        });
    }
    let remaining = amount_remaining.unsigned_abs();
    let fee = U256::from(fee_pips);
    let one_less_fee = U256::from(MAX_SWAP_FEE - fee_pips);
    if exact_in {
        let remaining_less_fee = mul_div(remaining, one_less_fee, U256::from(MAX_SWAP_FEE))?;
        let to_target = if zero_for_one {
            get_amount0_delta(target, current, liquidity, true)?
        } else {
            get_amount1_delta(current, target, liquidity, true)?
        };
        let (next, amount_in, fee_amount) = if remaining_less_fee >= to_target {
            let fee_amount = if fee_pips == MAX_SWAP_FEE {
                to_target
            } else {
                mul_div_rounding_up(to_target, fee, one_less_fee)?
            };
            (target, to_target, fee_amount)
        } else {
            let next = get_next_sqrt_price_from_input(
                current,
                liquidity,
                remaining_less_fee,
                zero_for_one,
            )?;
            let fee_amount = remaining
                .checked_sub(remaining_less_fee)
                .ok_or(SwapError::overflow("computeSwapStep fee"))?;
            (next, remaining_less_fee, fee_amount)
        };
        let amount_out = if zero_for_one {
            get_amount1_delta(next, current, liquidity, false)?
        } else {
            get_amount0_delta(current, next, liquidity, false)?
        };
        Ok(SwapStep { sqrt_ratio_next_x96: next, amount_in, amount_out, fee_amount })
    } else {
        let to_target = if zero_for_one {
            get_amount1_delta(target, current, liquidity, false)?
        } else {
            get_amount0_delta(current, target, liquidity, false)?
        };
        let (next, amount_out) = if remaining >= to_target {
            (target, to_target)
        } else {
            (
                get_next_sqrt_price_from_output(current, liquidity, remaining, zero_for_one)?,
                remaining,
            )
        };
        let amount_in = if zero_for_one {
            get_amount0_delta(next, current, liquidity, true)?
        } else {
            get_amount1_delta(current, next, liquidity, true)?
        };
        if fee_pips == MAX_SWAP_FEE {
            return Err(SwapError::InvalidFeeForExactOut { fee: fee_pips });
        }
        let fee_amount = mul_div_rounding_up(amount_in, fee, one_less_fee)?;
        Ok(SwapStep { sqrt_ratio_next_x96: next, amount_in, amount_out, fee_amount })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use alloy_primitives::address;

    use super::*;
    use crate::{MAX_TICK, MIN_TICK};

    fn state(lp_fee: u32, protocol_fee: u32, hooks: Address, key_fee: u32) -> V4State {
        let l = 10u128.pow(21);
        V4State {
            pool: V3State {
                sqrt_price_x96: U160::from(1u8) << 96,
                tick: 0,
                liquidity: l,
                fee: lp_fee,
                tick_spacing: 60,
                ticks: BTreeMap::from([(-600, l as i128), (600, -(l as i128))]),
                loaded_range: (MIN_TICK, MAX_TICK),
            },
            protocol_fee,
            key_fee,
            hooks,
        }
    }

    #[test]
    fn swap_fee_is_the_contracts() {
        // calculateSwapFee(1000, 3000) = 1000 + 3000 - 3 = 3997.
        assert_eq!(swap_fee(1000, 3000), 3997);
        assert_eq!(swap_fee(0, 3000), 3000);
        assert_eq!(swap_fee(1000, 1_000_000), 1_000_000);
        let s = state(3000, 1000 | (500 << 12), Address::ZERO, 3000);
        assert_eq!(s.swap_fee(true), 3997);
        assert_eq!(s.swap_fee(false), 3000 + 500 - 1);
    }

    #[test]
    fn hooks_that_change_swaps_are_refused() {
        let plain = state(3000, 0, Address::ZERO, 3000);
        assert!(plain.check_quotable().is_ok());
        // Only afterSwap: cannot change this swap's amounts.
        let after = address!("0x0000000000000000000000000000000000000040");
        assert!(state(3000, 0, after, 3000).check_quotable().is_ok());
        let delta = address!("0x0000000000000000000000000000000000000088");
        let err = state(3000, 0, delta, 3000).quote_exact_in(true, U256::from(10)).unwrap_err();
        assert!(matches!(err, SwapError::HooksChangeSwap { permissions: 0x88, .. }), "{err}");
        // A dynamic-fee pool whose beforeSwap may set the fee.
        let before = address!("0x0000000000000000000000000000000000000080");
        assert!(state(3000, 0, before, 3000).check_quotable().is_ok());
        assert!(state(3000, 0, before, DYNAMIC_FEE_FLAG).check_quotable().is_err());
    }

    #[test]
    fn full_fee_takes_everything_and_refuses_exact_out() {
        let s = state(MAX_SWAP_FEE, 0, Address::ZERO, MAX_SWAP_FEE);
        let r = s.swap(true, I256::try_from(-1_000_000i64).unwrap(), default_price_limit(true));
        let r = r.unwrap();
        assert_eq!((r.amount_in, r.amount_out), (U256::from(1_000_000), U256::ZERO));
        assert_eq!(r.sqrt_price_after, s.pool.sqrt_price_x96);
        let e = s.quote_exact_out(true, U256::from(10)).unwrap_err();
        assert!(matches!(e, SwapError::InvalidFeeForExactOut { fee: MAX_SWAP_FEE }), "{e}");
    }

    #[test]
    fn partial_fills_are_refused_like_the_quoter() {
        let s = state(3000, 0, Address::ZERO, 3000);
        let huge = U256::from(10u128.pow(30));
        assert!(matches!(s.quote_exact_in(true, huge), Err(SwapError::ExactInputNotFilled { .. })));
        assert!(matches!(
            s.quote_exact_out(true, huge),
            Err(SwapError::ExactOutputNotFilled { .. })
        ));
        assert!(matches!(
            s.quote_exact_in(true, U256::from(u128::MAX)),
            Err(SwapError::Overflow { operation: "int128" })
        ));
    }

    #[test]
    fn without_protocol_fee_small_swaps_match_v3() {
        // Away from the one rounding case where the step rules differ, V4 equals V3.
        let s = state(3000, 0, Address::ZERO, 3000);
        for amount in [1u128, 997, 10u128.pow(9), 10u128.pow(18), 3 * 10u128.pow(19)] {
            let a = U256::from(amount);
            let v4 = s.quote_exact_in(true, a).unwrap();
            let v3 = s.pool.quote_exact_in(true, a).unwrap();
            assert_eq!((v4.amount_in, v4.amount_out), (v3.amount_in, v3.amount_out), "{amount}");
            assert_eq!(v4.sqrt_price_after, v3.sqrt_price_after);
        }
    }
}
