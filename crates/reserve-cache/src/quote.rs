//! Swap quotes from cached pool state: no I/O, integer math equal to the contracts
//! ([`mev_swap_math`]).

use alloy_primitives::{Address, U256, aliases::U160};
use mev_swap_math::{SwapError, get_amount_in, get_amount_out};

use crate::{PoolSnapshot, PoolState};

/// Which side of a swap is fixed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SwapSide {
    /// Exactly this much in; the quote says what comes out.
    ExactIn,
    /// Exactly this much out; the quote says what must go in.
    ExactOut,
}

/// What a swap through one pool gives, computed from a snapshot, with what a path search needs
/// next. Amounts in the tokens' smallest units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quote {
    /// The pool quoted.
    pub pool: Address,
    /// The block of the snapshot the quote was computed on.
    pub block: u64,
    /// The token paid in.
    pub token_in: Address,
    /// The token paid out.
    pub token_out: Address,
    /// Paid in, fee included.
    pub amount_in: U256,
    /// Paid out.
    pub amount_out: U256,
    /// The pool's state after the swap.
    pub after: PriceAfter,
}

/// A pool's price state after a quoted swap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PriceAfter {
    /// Uniswap V2 reserves after the swap.
    UniswapV2 {
        /// Reserve of token0.
        reserve0: U256,
        /// Reserve of token1.
        reserve1: U256,
    },
    /// Uniswap V3 price, tick and in-range liquidity after the swap.
    UniswapV3 {
        /// `sqrtPriceX96` after, Q64.96.
        sqrt_price_x96: U160,
        /// `slot0.tick` after.
        tick: i32,
        /// In-range liquidity after.
        liquidity: u128,
        /// Initialized ticks the swap crossed.
        ticks_crossed: u32,
    },
}

/// Why a pool cannot be quoted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum QuoteError {
    /// The pool has no live entry in the cache (never read, expired or invalidated).
    #[error("pool {pool} is not cached")]
    NotCached {
        /// The pool.
        pool: Address,
    },
    /// The token is not one of the pool's.
    #[error("token {token} is not a token of pool {pool}")]
    UnknownToken {
        /// The pool.
        pool: Address,
        /// The token given.
        token: Address,
    },
    /// The cache holds this kind of pool's state but cannot quote it.
    #[error("pool {pool} ({kind}) cannot be quoted: {reason}")]
    NotQuotable {
        /// The pool.
        pool: Address,
        /// Its kind (`"balancer-v2"`, `"curve"`).
        kind: &'static str,
        /// Why.
        reason: &'static str,
    },
    /// The swap math refused: the pool would revert, or the swap leaves the loaded ticks.
    #[error("pool {pool}: {source}")]
    Swap {
        /// The pool.
        pool: Address,
        /// What the math said.
        source: SwapError,
    },
}

impl PoolSnapshot {
    /// Quotes a swap of `amount` of `token_in` (exact in) or for `amount` of the other token
    /// (exact out) through this pool, on this snapshot, as the pool would compute it.
    ///
    /// # Errors
    /// [`QuoteError::UnknownToken`], [`QuoteError::NotQuotable`] (Balancer and Curve state is
    /// cached but not yet quoted), [`QuoteError::Swap`] where the pool would revert or the
    /// V3 swap would leave the loaded ticks.
    pub fn quote(
        &self,
        token_in: Address,
        amount: U256,
        side: SwapSide,
    ) -> Result<Quote, QuoteError> {
        let pool = self.pool;
        let swap = |source| QuoteError::Swap { pool, source };
        let (token0, token1) = match &self.state {
            PoolState::UniswapV2 { token0, token1, .. } => (*token0, *token1),
            PoolState::UniswapV3(v3) => (v3.token0, v3.token1),
            PoolState::BalancerV2 { .. } => {
                return Err(QuoteError::NotQuotable {
                    pool,
                    kind: "balancer-v2",
                    reason: "weights, amp, scaling factors and fee are not cached yet",
                });
            }
            PoolState::Curve { .. } => {
                return Err(QuoteError::NotQuotable {
                    pool,
                    kind: "curve",
                    reason: "no Curve bytecode runs here to prove a quote against",
                });
            }
        };
        let zero_for_one = if token_in == token0 {
            true
        } else if token_in == token1 {
            false
        } else {
            return Err(QuoteError::UnknownToken { pool, token: token_in });
        };
        let token_out = if zero_for_one { token1 } else { token0 };
        let (amount_in, amount_out, after) = match &self.state {
            PoolState::UniswapV2 { reserve0, reserve1, fee, .. } => {
                let (r_in, r_out) =
                    if zero_for_one { (*reserve0, *reserve1) } else { (*reserve1, *reserve0) };
                let (amount_in, amount_out) = match side {
                    SwapSide::ExactIn => {
                        (amount, get_amount_out(amount, r_in, r_out, *fee).map_err(swap)?)
                    }
                    SwapSide::ExactOut => {
                        (get_amount_in(amount, r_in, r_out, *fee).map_err(swap)?, amount)
                    }
                };
                // The pair's balances after the swap; they fit (a pair holds < 2^112).
                let r_in = r_in.saturating_add(amount_in);
                let r_out = r_out.saturating_sub(amount_out);
                let (reserve0, reserve1) = if zero_for_one { (r_in, r_out) } else { (r_out, r_in) };
                (amount_in, amount_out, PriceAfter::UniswapV2 { reserve0, reserve1 })
            }
            PoolState::UniswapV3(v3) => {
                let r = match side {
                    SwapSide::ExactIn => v3.state.quote_exact_in(zero_for_one, amount),
                    SwapSide::ExactOut => v3.state.quote_exact_out(zero_for_one, amount),
                }
                .map_err(swap)?;
                let after = PriceAfter::UniswapV3 {
                    sqrt_price_x96: r.sqrt_price_after,
                    tick: r.tick_after,
                    liquidity: r.liquidity_after,
                    ticks_crossed: r.ticks_crossed,
                };
                (r.amount_in, r.amount_out, after)
            }
            PoolState::BalancerV2 { .. } | PoolState::Curve { .. } => unreachable_kind(pool)?,
        };
        Ok(Quote { pool, block: self.block, token_in, token_out, amount_in, amount_out, after })
    }
}

/// Kinds refused above; kept as an error rather than a panic.
const fn unreachable_kind(pool: Address) -> Result<(U256, U256, PriceAfter), QuoteError> {
    Err(QuoteError::NotQuotable { pool, kind: "unknown", reason: "not a quotable kind" })
}
