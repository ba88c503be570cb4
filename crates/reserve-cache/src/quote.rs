//! Swap quotes from cached pool state: no I/O, integer math equal to the contracts
//! ([`mev_swap_math`]): Uniswap V2 pairs, Uniswap V3 and V4 pools within their loaded ticks,
//! Balancer V2 weighted and composable stable pools. Curve pools, Balancer pools of another type
//! and V4 pools whose hooks may change a swap ([`mev_swap_math::V4State::check_quotable`]) are
//! cached but not quoted.
//!
//! A quote is the swap at the end of the snapshot's block ([`Quote::block`]), with the state
//! as read then and updated by events since. A Balancer composable stable pool's state also
//! moves with time (an amplification ramp, expiring rate caches; see
//! [`BalancerV2Pool::valid_for`](crate::BalancerV2Pool::valid_for)): its quote is the swap at
//! the snapshot's block, and the cache reads such a pool again at every new block
//! ([`ReserveCache::get`](crate::ReserveCache::get)).

use alloy_primitives::{Address, U256, aliases::U160};
use mev_swap_math::{SwapAmounts, SwapError, get_amount_in, get_amount_out};

use crate::{BalancerV2Pool, BalancerV2State, PoolSnapshot, PoolState};

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
    /// Uniswap V4 price, tick and in-range liquidity after the swap.
    UniswapV4 {
        /// `sqrtPriceX96` after, Q64.96.
        sqrt_price_x96: U160,
        /// `slot0.tick` after.
        tick: i32,
        /// In-range liquidity after.
        liquidity: u128,
        /// Initialized ticks the swap crossed.
        ticks_crossed: u32,
    },
    /// Balancer V2 balances of the two tokens after the swap (the others do not move).
    BalancerV2 {
        /// The pool's balance of the token paid in.
        balance_in: U256,
        /// The pool's balance of the token paid out.
        balance_out: U256,
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
    /// The pool trades more than two tokens (a Balancer pool): the token out must be named,
    /// with [`PoolSnapshot::quote_to`].
    #[error("pool {pool} trades {tokens} tokens: name the token out (quote_to)")]
    TokenOutNeeded {
        /// The pool.
        pool: Address,
        /// How many tokens it trades.
        tokens: usize,
    },
    /// A swap to or from a composable stable pool's own BPT: on chain a single-token join or
    /// exit (with its own math and protocol fees), which is not quoted.
    #[error("pool {pool}: a swap of its own BPT {bpt} is a join or exit, which is not quoted")]
    BptSwap {
        /// The pool.
        pool: Address,
        /// Its BPT (the pool's own address).
        bpt: Address,
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
    /// (exact out) through this pool, on this snapshot, as the pool would compute it. For a
    /// Balancer pool "the other token" must be unique: a two-token pool (a composable stable
    /// pool's BPT does not count); name it with [`PoolSnapshot::quote_to`] otherwise.
    ///
    /// Uniswap V2, V3 and V4 amounts are what the pair, `QuoterV2` and `V4Quoter` compute
    /// (for V4 the token is the currency: `Address::ZERO` for native ether); Balancer amounts
    /// what `BalancerQueries.querySwap` answers, to the wei, for weighted pools and for
    /// token-to-token swaps of composable stable pools.
    ///
    /// # Errors
    /// [`QuoteError::UnknownToken`]; [`QuoteError::TokenOutNeeded`] for a Balancer pool of
    /// three or more tokens; [`QuoteError::BptSwap`]; [`QuoteError::NotQuotable`] for Curve
    /// pools and Balancer pools of [`BalancerPoolType::Other`](crate::BalancerPoolType::Other);
    /// [`QuoteError::Swap`] where the pool would revert, for a V4 pool whose hooks may change
    /// the swap ([`SwapError::HooksChangeSwap`]) (for Balancer, a
    /// [`SwapError::Balancer`] with the revert's `BAL#` code) or the V3 swap would leave the
    /// loaded ticks.
    pub fn quote(
        &self,
        token_in: Address,
        amount: U256,
        side: SwapSide,
    ) -> Result<Quote, QuoteError> {
        self.quote_swap(token_in, None, amount, side)
    }

    /// Quotes a swap of `token_in` for `token_out` through this pool, as
    /// [`PoolSnapshot::quote`]; `token_out` must be one of the pool's tokens other than
    /// `token_in` (for a Uniswap pool, its other token).
    ///
    /// # Errors
    /// As [`PoolSnapshot::quote`]; [`QuoteError::UnknownToken`] names `token_out` when it is not
    /// a token the pool swaps `token_in` for.
    pub fn quote_to(
        &self,
        token_in: Address,
        token_out: Address,
        amount: U256,
        side: SwapSide,
    ) -> Result<Quote, QuoteError> {
        self.quote_swap(token_in, Some(token_out), amount, side)
    }

    /// The input and output of [`PoolSnapshot::quote_to`] alone, without the pool's state
    /// after the swap: for a Uniswap V3 or V4 exact input the tick walk skips the final
    /// `getTickAtSqrtRatio` only that state needs. For a search that quotes many inputs.
    ///
    /// # Errors
    /// As [`PoolSnapshot::quote_to`], the same for every input.
    pub fn amounts_to(
        &self,
        token_in: Address,
        token_out: Address,
        amount: U256,
        side: SwapSide,
    ) -> Result<SwapAmounts, QuoteError> {
        let pool = self.pool;
        let swap = |source| QuoteError::Swap { pool, source };
        match (&self.state, side) {
            (PoolState::UniswapV3(v3), SwapSide::ExactIn) => {
                let zero_for_one =
                    direction(pool, (v3.token0, v3.token1), token_in, Some(token_out))?;
                v3.state.quote_exact_in_amounts(zero_for_one, amount).map_err(swap)
            }
            (PoolState::UniswapV4(v4), SwapSide::ExactIn) => {
                let zero_for_one =
                    direction(pool, (v4.currency0, v4.currency1), token_in, Some(token_out))?;
                v4.state.quote_exact_in_amounts(zero_for_one, amount).map_err(swap)
            }
            _ => self
                .quote_to(token_in, token_out, amount, side)
                .map(|q| SwapAmounts { amount_in: q.amount_in, amount_out: q.amount_out }),
        }
    }

    fn quote_swap(
        &self,
        token_in: Address,
        wanted_out: Option<Address>,
        amount: U256,
        side: SwapSide,
    ) -> Result<Quote, QuoteError> {
        let pool = self.pool;
        let swap = |source| QuoteError::Swap { pool, source };
        let (token0, token1) = match &self.state {
            PoolState::UniswapV2 { token0, token1, .. } => (*token0, *token1),
            PoolState::UniswapV3(v3) => (v3.token0, v3.token1),
            PoolState::UniswapV4(v4) => (v4.currency0, v4.currency1),
            PoolState::BalancerV2(b) => {
                return self.quote_balancer(b, token_in, wanted_out, amount, side);
            }
            PoolState::Curve { .. } => {
                return Err(QuoteError::NotQuotable {
                    pool,
                    kind: "curve",
                    reason: "no Curve bytecode runs here to prove a quote against",
                });
            }
        };
        let zero_for_one = direction(pool, (token0, token1), token_in, wanted_out)?;
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
            PoolState::UniswapV4(v4) => {
                let r = match side {
                    SwapSide::ExactIn => v4.state.quote_exact_in(zero_for_one, amount),
                    SwapSide::ExactOut => v4.state.quote_exact_out(zero_for_one, amount),
                }
                .map_err(swap)?;
                let after = PriceAfter::UniswapV4 {
                    sqrt_price_x96: r.sqrt_price_after,
                    tick: r.tick_after,
                    liquidity: r.liquidity_after,
                    ticks_crossed: r.ticks_crossed,
                };
                (r.amount_in, r.amount_out, after)
            }
            PoolState::BalancerV2(_) | PoolState::Curve { .. } => unreachable_kind(pool)?,
        };
        Ok(Quote { pool, block: self.block, token_in, token_out, amount_in, amount_out, after })
    }

    /// A Balancer quote: token indices from the registered tokens, the math of
    /// `mev_swap_math::balancer`.
    fn quote_balancer(
        &self,
        b: &BalancerV2Pool,
        token_in: Address,
        wanted_out: Option<Address>,
        amount: U256,
        side: SwapSide,
    ) -> Result<Quote, QuoteError> {
        let pool = self.pool;
        if matches!(b.state, BalancerV2State::Other { .. }) {
            return Err(QuoteError::NotQuotable {
                pool,
                kind: "balancer-v2",
                reason: "its pool type was not given (PoolKey::balancer_v2 reads balances \
                         only; key it with balancer_v2_weighted or \
                         balancer_v2_composable_stable)",
            });
        }
        let unknown = |token| QuoteError::UnknownToken { pool, token };
        let i = b.index(token_in).ok_or(unknown(token_in))?;
        let bpt = b.bpt_index();
        if let Some(bpt) = bpt.filter(|&bpt| bpt == i || wanted_out == Some(b.tokens[bpt])) {
            return Err(QuoteError::BptSwap { pool, bpt: b.tokens[bpt] });
        }
        let o = match wanted_out {
            Some(t) => b.index(t).filter(|&o| o != i).ok_or(unknown(t))?,
            None => {
                let mut others = (0..b.tokens.len()).filter(|&j| j != i && Some(j) != bpt);
                match (others.next(), others.next()) {
                    (Some(o), None) => o,
                    _ => {
                        let tokens = b.tokens.len() - usize::from(bpt.is_some());
                        return Err(QuoteError::TokenOutNeeded { pool, tokens });
                    }
                }
            }
        };
        let computed = match (&b.state, side) {
            (BalancerV2State::Weighted(w), SwapSide::ExactIn) => w.quote_exact_in(i, o, amount),
            (BalancerV2State::Weighted(w), SwapSide::ExactOut) => w.quote_exact_out(i, o, amount),
            (BalancerV2State::ComposableStable(c), SwapSide::ExactIn) => {
                c.math.quote_exact_in(i, o, amount)
            }
            (BalancerV2State::ComposableStable(c), SwapSide::ExactOut) => {
                c.math.quote_exact_out(i, o, amount)
            }
            (BalancerV2State::Other { .. }, _) => {
                return Err(QuoteError::NotQuotable {
                    pool,
                    kind: "balancer-v2",
                    reason: "balances only",
                });
            }
        }
        .map_err(|e| QuoteError::Swap { pool, source: SwapError::Balancer(e) })?;
        let (amount_in, amount_out) = match side {
            SwapSide::ExactIn => (amount, computed),
            SwapSide::ExactOut => (computed, amount),
        };
        // The Vault checked both balances stay in range.
        let balances = b.balances();
        let after = PriceAfter::BalancerV2 {
            balance_in: balances[i].saturating_add(amount_in),
            balance_out: balances[o].saturating_sub(amount_out),
        };
        let token_out = b.tokens[o];
        Ok(Quote { pool, block: self.block, token_in, token_out, amount_in, amount_out, after })
    }
}

/// Kinds refused above; kept as an error rather than a panic.
/// Whether a swap of `token_in` (for `wanted_out`, when named) through a two-token pool goes
/// from token0 to token1.
fn direction(
    pool: Address,
    (token0, token1): (Address, Address),
    token_in: Address,
    wanted_out: Option<Address>,
) -> Result<bool, QuoteError> {
    let zero_for_one = if token_in == token0 {
        true
    } else if token_in == token1 {
        false
    } else {
        return Err(QuoteError::UnknownToken { pool, token: token_in });
    };
    let token_out = if zero_for_one { token1 } else { token0 };
    match wanted_out {
        Some(wanted) if wanted != token_out => {
            Err(QuoteError::UnknownToken { pool, token: wanted })
        }
        _ => Ok(zero_for_one),
    }
}

const fn unreachable_kind(pool: Address) -> Result<(U256, U256, PriceAfter), QuoteError> {
    Err(QuoteError::NotQuotable { pool, kind: "unknown", reason: "not a quotable kind" })
}
