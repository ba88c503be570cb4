//! The crate's error type.

use alloy_primitives::{U256, aliases::U160};

/// A `Result` whose error defaults to [`SwapError`].
pub type Result<T, E = SwapError> = core::result::Result<T, E>;

/// Everything that can go wrong while computing a swap.
///
/// Where the contract reverts (a `require`, a checked cast, a `SafeMath`/`LowGasSafeMath`
/// operation), the crate returns the matching variant instead; it never panics. Where the
/// contract runs unchecked arithmetic that cannot wrap for pool-reachable inputs, the crate
/// checks anyway and returns [`SwapError::Overflow`] rather than wrapping.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SwapError {
    /// A checked operation left its integer range (`uint256`, `int256`, `uint160`, …).
    ///
    /// `operation` names the contract operation (`"mulDiv"`, `"toInt256"`, `"toUint160"`,
    /// `"getAmountOut"`…).
    #[error("arithmetic overflow in {operation}")]
    Overflow {
        /// The operation that overflowed.
        operation: &'static str,
    },

    /// A division by zero (the contract reverts).
    #[error("division by zero in {operation}")]
    DivisionByZero {
        /// The operation that divided by zero.
        operation: &'static str,
    },

    /// An amount that must be nonzero is zero (V2 `INSUFFICIENT_INPUT_AMOUNT` /
    /// `INSUFFICIENT_OUTPUT_AMOUNT`, V3 `amountSpecified != 0`).
    #[error("{what} is zero")]
    ZeroAmount {
        /// The amount (`"amount_in"`, `"amount_out"`, `"amount_specified"`).
        what: &'static str,
    },

    /// A V2 reserve is empty (`UniswapV2Library: INSUFFICIENT_LIQUIDITY`).
    #[error("empty reserve: reserve_in {reserve_in}, reserve_out {reserve_out}")]
    ZeroReserves {
        /// Reserve of the input token, in its smallest unit.
        reserve_in: U256,
        /// Reserve of the output token, in its smallest unit.
        reserve_out: U256,
    },

    /// A V2 exact-output amount is at or above the output reserve, which no input can buy
    /// (`getAmountIn` underflows or divides by zero and reverts).
    #[error("amount_out {amount_out} is not below reserve_out {reserve_out}")]
    InsufficientReserve {
        /// The output asked for, in the output token's smallest unit.
        amount_out: U256,
        /// Reserve of the output token, in its smallest unit.
        reserve_out: U256,
    },

    /// A V2 fee fraction with a zero denominator or a numerator above it.
    #[error("invalid V2 fee {numerator}/{denominator}")]
    InvalidV2Fee {
        /// Share of the input that counts after the fee (997 for Uniswap).
        numerator: u32,
        /// Its denominator (1000 for Uniswap).
        denominator: u32,
    },

    /// A tick beyond `±MAX_TICK` (`TickMath`'s `T`).
    #[error("tick {tick} is outside [-887272, 887272]")]
    TickOutOfRange {
        /// The tick given.
        tick: i32,
    },

    /// A sqrt price outside `[MIN_SQRT_RATIO, MAX_SQRT_RATIO)` (`TickMath`'s `R`).
    #[error("sqrt price {sqrt_price_x96} (Q64.96) is outside [MIN_SQRT_RATIO, MAX_SQRT_RATIO)")]
    SqrtPriceOutOfRange {
        /// The sqrt price given, Q64.96.
        sqrt_price_x96: U256,
    },

    /// An amount would move the sqrt price to zero or past 160 bits, or the price or liquidity
    /// it starts from is zero (`SqrtPriceMath`'s bare `require`s).
    #[error(
        "{operation}: the amount moves the sqrt price out of its range, or price or liquidity is zero"
    )]
    PriceExhausted {
        /// The `SqrtPriceMath` function.
        operation: &'static str,
    },

    /// A V3 swap's price limit is on the wrong side of the current price or beyond
    /// `MIN_SQRT_RATIO`/`MAX_SQRT_RATIO` (the pool's `SPL`).
    #[error(
        "price limit {sqrt_price_limit_x96} is invalid for a {} swap from sqrt price {sqrt_price_x96}",
        if *zero_for_one { "zero-for-one" } else { "one-for-zero" }
    )]
    InvalidPriceLimit {
        /// The limit given, Q64.96.
        sqrt_price_limit_x96: U160,
        /// The pool's sqrt price, Q64.96.
        sqrt_price_x96: U160,
        /// The swap direction.
        zero_for_one: bool,
    },

    /// A V3 fee at or above 100 % (`1_000_000` hundredths of a bip); the factory never enables
    /// one.
    #[error("fee {fee} (hundredths of a bip) is not below 1000000")]
    InvalidFee {
        /// The fee given, hundredths of a bip.
        fee: u32,
    },

    /// A V3 tick spacing outside `1..16384` (the factory's bounds).
    #[error("tick spacing {tick_spacing} is outside 1..16384")]
    InvalidTickSpacing {
        /// The tick spacing given.
        tick_spacing: i32,
    },

    /// An initialized tick in the state is not a multiple of the tick spacing.
    #[error("initialized tick {tick} is not a multiple of the tick spacing {tick_spacing}")]
    UnalignedTick {
        /// The tick found in the state's tick map.
        tick: i32,
        /// The pool's tick spacing.
        tick_spacing: i32,
    },

    /// The state's tick or loaded range is inconsistent: `loaded_lower > loaded_upper`, or the
    /// tick is beyond `±MAX_TICK`.
    #[error("invalid V3 state: tick {tick}, loaded range [{loaded_lower}, {loaded_upper}]")]
    InvalidState {
        /// The state's current tick.
        tick: i32,
        /// Lower end of the loaded range.
        loaded_lower: i32,
        /// Upper end of the loaded range.
        loaded_upper: i32,
    },

    /// Adding a tick's `liquidityNet` to the in-range liquidity left `uint128`
    /// (`LiquidityMath`'s `LS`/`LA`).
    #[error("liquidity {liquidity} plus delta {delta} leaves uint128")]
    LiquidityOverflow {
        /// The in-range liquidity before.
        liquidity: u128,
        /// The delta applied.
        delta: i128,
    },

    /// The swap would need initialized ticks outside the range the state's tick map is known to
    /// be complete for. The crate refuses instead of guessing: load the ticks up to
    /// `needs_tick` and try again.
    #[error(
        "the swap leaves the loaded tick range [{loaded_lower}, {loaded_upper}]: the step from \
         tick {at_tick} needs the ticks up to {needs_tick}"
    )]
    LeavesLoadedRange {
        /// The pool's tick where the step starts.
        at_tick: i32,
        /// The farthest tick the step must know about (a word boundary or an initialized tick
        /// outside the range).
        needs_tick: i32,
        /// Lower end of the loaded range.
        loaded_lower: i32,
        /// Upper end of the loaded range.
        loaded_upper: i32,
    },

    /// The swap moved only through zero liquidity: both amounts are zero, which `QuoterV2` (its
    /// swap callback's `require`) rejects.
    #[error("the swap moves through zero liquidity only; both amounts are zero")]
    EmptySwap,

    /// An exact-output quote with the default price limit cannot be filled: the pool reaches
    /// its price limit first (`QuoterV2` reverts on the partial fill).
    #[error("exact-output quote of {requested} can only be filled up to {available}")]
    ExactOutputNotFilled {
        /// The output asked for, in the output token's smallest unit.
        requested: U256,
        /// The output the pool gives before reaching the price limit.
        available: U256,
    },

    /// A Uniswap V4 pool whose hooks may change a swap's amounts (`beforeSwapReturnDelta`,
    /// `afterSwapReturnDelta`) or, on a dynamic-fee pool, its fee (`beforeSwap`): the pool's
    /// state does not decide the outcome, so it is not quoted.
    #[error(
        "the pool's hooks {hooks} (permissions {permissions:#06x}) may change swaps: not quotable"
    )]
    HooksChangeSwap {
        /// The hooks contract of the pool key.
        hooks: alloy_primitives::Address,
        /// Its permission bits (the address's lowest 14 bits).
        permissions: u16,
    },

    /// An exact-output V4 swap at a 100 % swap fee (`InvalidFeeForExactOut`).
    #[error("exact output is impossible at swap fee {fee} (hundredths of a bip)")]
    InvalidFeeForExactOut {
        /// The swap fee, hundredths of a bip.
        fee: u32,
    },

    /// An exact-input V4 quote the pool can only partly fill before its price limit
    /// (`V4Quoter`'s `NotEnoughLiquidity`).
    #[error("exact-input quote of {requested} can only be filled up to {filled}")]
    ExactInputNotFilled {
        /// The input given, in the input token's smallest unit.
        requested: U256,
        /// The input the pool takes before reaching the price limit.
        filled: U256,
    },

    /// A Balancer V2 quote failed; the inner error names the condition and the `BAL#` code the
    /// contracts revert with for it.
    #[error(transparent)]
    Balancer(#[from] crate::balancer::BalancerError),
}

impl SwapError {
    /// Shorthand for [`SwapError::Overflow`].
    pub(crate) const fn overflow(operation: &'static str) -> Self {
        Self::Overflow { operation }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_stays_small() {
        // Every `Result` on the quote path carries this type; keep it under clippy's 128-byte
        // `result_large_err` limit.
        assert!(core::mem::size_of::<SwapError>() <= 80, "{}", core::mem::size_of::<SwapError>());
    }

    #[test]
    fn messages_name_the_input() {
        let e = SwapError::LeavesLoadedRange {
            at_tick: 10,
            needs_tick: -2560,
            loaded_lower: -1000,
            loaded_upper: 1000,
        };
        assert_eq!(
            e.to_string(),
            "the swap leaves the loaded tick range [-1000, 1000]: the step from tick 10 needs \
             the ticks up to -2560"
        );
        let e = SwapError::InvalidPriceLimit {
            sqrt_price_limit_x96: U160::from(5),
            sqrt_price_x96: U160::from(4),
            zero_for_one: true,
        };
        assert!(e.to_string().contains("zero-for-one"));
    }
}
