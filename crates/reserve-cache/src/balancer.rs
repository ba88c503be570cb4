//! Balancer V2 pool state as the cache holds it: the Vault's tokens and balances plus what the
//! pool's swap math reads, and the in-place updates the Vault's events allow.
//!
//! Which state is read depends on the [`BalancerPoolType`] of the [`PoolKind`](crate::PoolKind):
//! the cache does not guess a pool's type from the functions it answers, because pools of other
//! types and versions answer the same getters with different swap math (a v1 weighted pool's
//! `powUp`, a meta-stable pool's oracle-cached rates, a liquidity bootstrapping pool's moving
//! weights). The swap math here is `mev-swap-math`'s, proven against the
//! `20230206-weighted-pool-v3` and `20230206-composable-stable-pool-v3` pools of
//! `@balancer-labs/v2-deployments` 3.2.0.

use alloy_primitives::{Address, U256};
use mev_swap_math::balancer::{BalancerError, StablePoolState, WeightedPoolState};

/// Which Balancer V2 pool a [`PoolKind::BalancerV2`](crate::PoolKind::BalancerV2) is, which
/// decides what [`RpcReserveSource`](crate::RpcReserveSource) reads and whether it quotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BalancerPoolType {
    /// A `WeightedPool` (the `20230206-weighted-pool-v3` factory's; later versions with the
    /// same swap path quote the same): `getScalingFactors`, `getSwapFeePercentage` and
    /// `getNormalizedWeights` are read. Nothing in its state moves with time.
    Weighted,
    /// A `ComposableStablePool` (the `20230206-composable-stable-pool-v3` factory's), which
    /// registers its own BPT among its tokens: `getScalingFactors`, `getSwapFeePercentage`,
    /// `getAmplificationParameter`, `getBptIndex`, `getRateProviders` and each rated token's
    /// `getTokenRateCache` are read, and the block's timestamp (an amplification ramp and
    /// expiring rate caches make the state time-dependent: see
    /// [`BalancerV2Pool::valid_for`]).
    ComposableStable,
    /// Any other pool, or one whose type is not known ([`PoolKey::balancer_v2`]): tokens and
    /// balances only, kept by the Vault's events; not quotable.
    ///
    /// [`PoolKey::balancer_v2`]: crate::PoolKey::balancer_v2
    Other,
}

impl BalancerPoolType {
    /// The type's name as the cache reports it: `"weighted"`, `"composable-stable"`, `"other"`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Weighted => "weighted",
            Self::ComposableStable => "composable-stable",
            Self::Other => "other",
        }
    }
}

/// A Balancer V2 pool's registered tokens and its state, per token in the Vault's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BalancerV2Pool {
    /// The registered tokens (`Vault.getPoolTokens`), sorted by address; a composable stable
    /// pool's own BPT is one of them.
    pub tokens: Vec<Address>,
    /// Balances and what the pool's swap math needs.
    pub state: BalancerV2State,
}

/// What is known of a Balancer V2 pool, by [`BalancerPoolType`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BalancerV2State {
    /// A weighted pool: balances (cash plus managed, smallest units), decimals scaling factors,
    /// normalized weights and swap fee, as `mev-swap-math` quotes them.
    Weighted(WeightedPoolState),
    /// A composable stable pool.
    ComposableStable(ComposableStableState),
    /// Balances only ([`BalancerPoolType::Other`]), smallest units.
    Other {
        /// The balance of each registered token.
        balances: Vec<U256>,
    },
}

/// A composable stable pool at one block: what a token-to-token swap at that block computes
/// with, and what makes it time-dependent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComposableStableState {
    /// Balances (the BPT's included), scaling factors with the rates a swap at this block
    /// applies ([`TokenRate::effective`]), the amplification at this block's timestamp
    /// (`getAmplificationParameter().value`, with its precision of 1000), the swap fee and the
    /// BPT index.
    pub math: StablePoolState,
    /// `getAmplificationParameter().isUpdating`: a ramp is in progress, so the amplification
    /// changes with every block's timestamp.
    pub amp_is_updating: bool,
    /// The timestamp (seconds) of the block read.
    pub timestamp: u64,
    /// Per registered token, its rate provider's cache (`None`: no rate provider, or the BPT).
    pub rates: Vec<Option<TokenRate>>,
}

/// One token's rate as a composable stable pool applies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenRate {
    /// The rate provider.
    pub provider: Address,
    /// The pool's cached rate (`getTokenRateCache(token).rate`), WAD.
    pub cached: U256,
    /// When the cache expires (`getTokenRateCache(token).expires`, seconds): a swap or join in
    /// a block whose timestamp is later first re-reads the provider (`block.timestamp >
    /// expires`).
    pub expires: u64,
    /// The rate a swap at the block read applies, WAD: the cached rate, or, when the cache
    /// has expired at that block, what the provider's `getRate()` answered at it (the swap
    /// refreshes the cache before it reads the scaling factors).
    pub effective: U256,
}

impl BalancerV2Pool {
    /// The balance of each registered token, smallest units.
    #[must_use]
    pub fn balances(&self) -> &[U256] {
        match &self.state {
            BalancerV2State::Weighted(w) => &w.balances,
            BalancerV2State::ComposableStable(c) => &c.math.balances,
            BalancerV2State::Other { balances } => balances,
        }
    }

    /// The pool type the state was read as.
    #[must_use]
    pub const fn pool_type(&self) -> BalancerPoolType {
        match &self.state {
            BalancerV2State::Weighted(_) => BalancerPoolType::Weighted,
            BalancerV2State::ComposableStable(_) => BalancerPoolType::ComposableStable,
            BalancerV2State::Other { .. } => BalancerPoolType::Other,
        }
    }

    /// The index of the pool's own BPT among [`BalancerV2Pool::tokens`] (composable stable
    /// pools).
    #[must_use]
    pub const fn bpt_index(&self) -> Option<usize> {
        match &self.state {
            BalancerV2State::ComposableStable(c) => c.math.bpt_index,
            _ => None,
        }
    }

    /// How many seconds after its block's timestamp this state stays what a swap computes
    /// with, absent any event: `None` when time alone never changes it (weighted pools,
    /// composable stable pools without rate providers or ramp, balances only); `Some(0)` during
    /// an amplification ramp (the amplification moves with every block's timestamp) or when a
    /// rate cache has expired at the block (the provider's rate was used, and the provider may
    /// answer differently at the next block); otherwise `Some(s)`, `s` the seconds until the
    /// first rate cache expires.
    ///
    /// The cache treats an entry whose `valid_for` is below its TTL as block-bound: read again
    /// at every later block, and invalidated rather than updated by a later block's event.
    #[must_use]
    pub fn valid_for(&self) -> Option<u64> {
        let BalancerV2State::ComposableStable(c) = &self.state else { return None };
        if c.amp_is_updating {
            return Some(0);
        }
        c.rates.iter().flatten().map(|r| r.expires.saturating_sub(c.timestamp)).min()
    }

    /// The Vault's update for a `Swap` of this pool: `balance[in] += amount_in`,
    /// `balance[out] -= amount_out` (a swap pays no protocol fee in tokens: these pools charge
    /// it in BPT at joins and exits). `false` when the event cannot be this state's: a token not
    /// registered, arithmetic the Vault would revert on, or — for a weighted or composable
    /// stable token-to-token swap — amounts that are neither what an exact-in nor what an
    /// exact-out swap computes on this state (its fee, rates or amplification changed without a
    /// Vault event: the state needs reading again).
    pub(crate) fn apply_swap(
        &mut self,
        token_in: Address,
        token_out: Address,
        amount_in: U256,
        amount_out: U256,
    ) -> bool {
        let (Some(i), Some(o)) = (self.index(token_in), self.index(token_out)) else {
            return false;
        };
        let consistent = match &self.state {
            BalancerV2State::Weighted(w) => consistent(
                w.quote_exact_in(i, o, amount_in),
                w.quote_exact_out(i, o, amount_out),
                amount_in,
                amount_out,
            ),
            // A BPT swap is a join or exit: its amounts are not modelled, the balances are.
            BalancerV2State::ComposableStable(c)
                if c.math.bpt_index.is_some_and(|b| b == i || b == o) =>
            {
                true
            }
            BalancerV2State::ComposableStable(c) => consistent(
                c.math.quote_exact_in(i, o, amount_in),
                c.math.quote_exact_out(i, o, amount_out),
                amount_in,
                amount_out,
            ),
            BalancerV2State::Other { .. } => true,
        };
        if !consistent || i == o {
            return false;
        }
        let balances = self.balances_mut();
        let (Some(b_in), Some(b_out)) =
            (balances[i].checked_add(amount_in), balances[o].checked_sub(amount_out))
        else {
            return false;
        };
        (balances[i], balances[o]) = (b_in, b_out);
        true
    }

    /// The Vault's update for a `PoolBalanceChanged` (a join or exit) of this pool: each
    /// token's balance moves by `delta − protocolFeeAmount` (`PoolBalances._joinOrExit`).
    /// `false` when the event's tokens are not the registered ones in order, or a balance would
    /// leave `uint256`'s range.
    pub(crate) fn apply_balance_change(
        &mut self,
        tokens: &[Address],
        deltas: &[alloy_primitives::I256],
        fees: &[U256],
    ) -> bool {
        if tokens != self.tokens.as_slice()
            || deltas.len() != tokens.len()
            || fees.len() != tokens.len()
        {
            return false;
        }
        let mut next = self.balances().to_vec();
        for ((balance, delta), fee) in next.iter_mut().zip(deltas).zip(fees) {
            let (up, down) = if delta.is_negative() {
                (U256::ZERO, fee.checked_add(delta.unsigned_abs()))
            } else {
                (delta.unsigned_abs(), Some(*fee))
            };
            match (balance.checked_add(up), down) {
                (Some(b), Some(down)) => match b.checked_sub(down) {
                    Some(b) => *balance = b,
                    None => return false,
                },
                _ => return false,
            }
        }
        *self.balances_mut() = next;
        true
    }

    /// The registered index of `token`.
    pub(crate) fn index(&self, token: Address) -> Option<usize> {
        self.tokens.iter().position(|&t| t == token)
    }

    fn balances_mut(&mut self) -> &mut Vec<U256> {
        match &mut self.state {
            BalancerV2State::Weighted(w) => &mut w.balances,
            BalancerV2State::ComposableStable(c) => &mut c.math.balances,
            BalancerV2State::Other { balances } => balances,
        }
    }
}

/// Whether a swap's amounts are what an exact-in (`exact_in`: the output for `amount_in`) or an
/// exact-out (`exact_out`: the input for `amount_out`) swap computes.
fn consistent(
    exact_in: Result<U256, BalancerError>,
    exact_out: Result<U256, BalancerError>,
    amount_in: U256,
    amount_out: U256,
) -> bool {
    exact_in.is_ok_and(|out| out == amount_out) || exact_out.is_ok_and(|i| i == amount_in)
}

#[cfg(test)]
mod tests {
    use alloy_primitives::I256;

    use super::*;

    fn wad(n: u64) -> U256 {
        U256::from(n) * U256::from(10u64).pow(U256::from(18))
    }

    fn weighted() -> BalancerV2Pool {
        BalancerV2Pool {
            tokens: vec![Address::repeat_byte(1), Address::repeat_byte(2)],
            state: BalancerV2State::Weighted(WeightedPoolState {
                balances: vec![wad(1_000), wad(4_000)],
                scaling_factors: vec![wad(1), wad(1)],
                normalized_weights: vec![wad(1) / U256::from(2), wad(1) / U256::from(2)],
                swap_fee: wad(1) / U256::from(1_000),
            }),
        }
    }

    #[test]
    fn a_swap_is_applied_only_when_the_state_computes_its_amounts() {
        let mut pool = weighted();
        let BalancerV2State::Weighted(w) = &pool.state else { unreachable!() };
        let out = w.quote_exact_in(0, 1, wad(10)).unwrap();
        let cost = w.quote_exact_out(0, 1, wad(10)).unwrap();
        let (a, b) = (pool.tokens[0], pool.tokens[1]);
        // One wei off either way: not this state's swap.
        assert!(!pool.clone().apply_swap(a, b, wad(10), out + U256::from(1)));
        assert!(pool.apply_swap(a, b, wad(10), out));
        assert_eq!(pool.balances(), [wad(1_010), wad(4_000) - out]);
        let mut pool = weighted();
        assert!(pool.apply_swap(a, b, cost, wad(10)));
        assert!(!pool.apply_swap(a, Address::repeat_byte(9), cost, wad(10)));
    }

    #[test]
    fn balance_changes_net_the_protocol_fee() {
        let mut pool = weighted();
        let tokens = pool.tokens.clone();
        let deltas = [I256::try_from(100).unwrap(), I256::try_from(-40).unwrap()];
        let fees = [U256::from(3), U256::from(2)];
        assert!(pool.apply_balance_change(&tokens, &deltas, &fees));
        assert_eq!(pool.balances(), [wad(1_000) + U256::from(97), wad(4_000) - U256::from(42)]);
        let reversed: Vec<Address> = tokens.iter().rev().copied().collect();
        assert!(!pool.apply_balance_change(&reversed, &deltas, &fees));
        let too_much = [I256::ZERO, I256::try_from(wad(5_000)).unwrap().wrapping_neg()];
        assert!(!pool.apply_balance_change(&tokens, &too_much, &fees));
    }

    #[test]
    fn ramps_and_rate_caches_bound_the_state_in_time() {
        let rate = |expires| {
            Some(TokenRate {
                provider: Address::repeat_byte(7),
                cached: wad(1),
                expires,
                effective: wad(1),
            })
        };
        let mut state = ComposableStableState {
            math: StablePoolState {
                balances: vec![wad(1), wad(1), wad(1)],
                scaling_factors: vec![wad(1), wad(1), wad(1)],
                amp: U256::from(200_000),
                swap_fee: U256::ZERO,
                bpt_index: Some(1),
            },
            amp_is_updating: false,
            timestamp: 1_000,
            rates: vec![None, None, None],
        };
        let pool = |s: &ComposableStableState| BalancerV2Pool {
            tokens: vec![Address::repeat_byte(1), Address::repeat_byte(2), Address::repeat_byte(3)],
            state: BalancerV2State::ComposableStable(s.clone()),
        };
        assert_eq!(pool(&state).valid_for(), None);
        state.rates = vec![rate(4_600), None, rate(1_300)];
        assert_eq!(pool(&state).valid_for(), Some(300));
        state.rates[2] = rate(900);
        assert_eq!(pool(&state).valid_for(), Some(0), "expired at the block");
        state.rates = vec![None, None, None];
        state.amp_is_updating = true;
        assert_eq!(pool(&state).valid_for(), Some(0));
        assert_eq!(weighted().valid_for(), None);
    }
}
