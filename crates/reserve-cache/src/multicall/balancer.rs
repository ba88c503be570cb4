//! The Balancer V2 reads after `Vault.getPoolTokens` (round 1): the pool's getters in round 2
//! (shared with every other pool's second round), and for a composable stable pool whose rate
//! cache has expired at the block, the provider's `getRate()` in round 3.

use alloy_primitives::{Address, Bytes, U256};
use alloy_sol_types::SolCall;
use mev_chain::Call3;
use mev_swap_math::balancer::{StablePoolState, WeightedPoolState, stable::AMP_PRECISION};

use super::{CallError, call, returns};
use crate::{
    BalancerPoolType, BalancerV2Pool, BalancerV2State, ComposableStableState, PoolKey,
    ReserveError, Result, TokenRate,
    bindings::{
        getAmplificationParameterCall, getBptIndexCall, getNormalizedWeightsCall, getRateCall,
        getRateProvidersCall, getScalingFactorsCall, getSwapFeePercentageCall,
        getTokenRateCacheCall,
    },
};

/// A rate a `ComposableStablePool` caches must fit 96 bits (`PriceRateCache`); a provider
/// answering more makes every swap revert.
const MAX_RATE_BITS: usize = 96;

/// A weighted or composable stable pool whose tokens and balances are read.
#[derive(Debug)]
pub(super) struct Pending {
    pub(super) tokens: Vec<Address>,
    pub(super) balances: Vec<U256>,
    pub(super) pool_type: BalancerPoolType,
}

/// A pool after round 2.
#[derive(Debug)]
pub(super) enum Detailed {
    Done(BalancerV2Pool),
    /// A composable stable pool whose rate caches at these registered indices have expired:
    /// their providers' rates are read in round 3.
    Rates {
        pool: BalancerV2Pool,
        expired: Vec<usize>,
    },
}

impl Pending {
    /// Whether round 2 needs the block's timestamp.
    pub(super) fn needs_timestamp(&self) -> bool {
        self.pool_type == BalancerPoolType::ComposableStable
    }

    /// Round 2: weighted — scaling factors, fee, weights; composable stable — scaling factors,
    /// fee, amplification, BPT index, rate providers, then `getTokenRateCache` of every token
    /// but the BPT (the pool itself), which reverts for a token without a provider.
    pub(super) fn calls(&self, pool: &PoolKey) -> Vec<Call3> {
        let a = pool.address;
        let mut calls = vec![
            call(a, getScalingFactorsCall {}.abi_encode()),
            call(a, getSwapFeePercentageCall {}.abi_encode()),
        ];
        match self.pool_type {
            BalancerPoolType::Weighted => {
                calls.push(call(a, getNormalizedWeightsCall {}.abi_encode()))
            }
            _ => {
                calls.push(call(a, getAmplificationParameterCall {}.abi_encode()));
                calls.push(call(a, getBptIndexCall {}.abi_encode()));
                calls.push(call(a, getRateProvidersCall {}.abi_encode()));
                for &token in self.tokens.iter().filter(|&&t| t != a) {
                    calls.push(call(a, getTokenRateCacheCall { token }.abi_encode()));
                }
            }
        }
        calls
    }

    /// The pool's state from round 2's `results` (as many as [`Pending::calls`]) and, for a
    /// composable stable pool, the block's timestamp.
    pub(super) fn parse(
        self,
        pool: &PoolKey,
        block: u64,
        results: &[Result<Bytes, CallError>],
        timestamp: Option<&std::result::Result<u64, CallError>>,
    ) -> Result<Detailed> {
        let bad = |message: String| ReserveError::BadResponse { pool: pool.address, message };
        let n = self.tokens.len();
        let [sf, fee, rest @ ..] = results else {
            return Err(bad("unexpected number of call results".into()));
        };
        let scaling_factors = decode::<getScalingFactorsCall>(pool, block, sf)?;
        let swap_fee = decode::<getSwapFeePercentageCall>(pool, block, fee)?;
        if scaling_factors.len() != n {
            return Err(bad(format!(
                "getScalingFactors: {} factors for {n} tokens",
                scaling_factors.len()
            )));
        }
        let Self { tokens, balances, pool_type } = self;
        if pool_type == BalancerPoolType::Weighted {
            let [weights] = rest else {
                return Err(bad("unexpected number of call results".into()));
            };
            let normalized_weights = decode::<getNormalizedWeightsCall>(pool, block, weights)?;
            if normalized_weights.len() != n {
                return Err(bad(format!(
                    "getNormalizedWeights: {} weights for {n} tokens",
                    normalized_weights.len()
                )));
            }
            let state =
                WeightedPoolState { balances, scaling_factors, normalized_weights, swap_fee };
            return Ok(Detailed::Done(BalancerV2Pool {
                tokens,
                state: BalancerV2State::Weighted(state),
            }));
        }

        let [amp, bpt, providers, caches @ ..] = rest else {
            return Err(bad("unexpected number of call results".into()));
        };
        let timestamp = match timestamp {
            Some(Ok(t)) => *t,
            Some(Err(e)) => {
                let err = returns(pool, block, &[Err(e.clone())]).err();
                return Err(err.unwrap_or_else(|| bad("block timestamp unavailable".into())));
            }
            None => return Err(bad("no block timestamp for a composable stable pool".into())),
        };
        let amp = decode::<getAmplificationParameterCall>(pool, block, amp)?;
        if amp.precision != AMP_PRECISION {
            return Err(bad(format!("amplification precision {} is not 1000", amp.precision)));
        }
        let bpt_raw = decode::<getBptIndexCall>(pool, block, bpt)?;
        let bpt_index = u64::try_from(bpt_raw)
            .ok()
            .and_then(|i| usize::try_from(i).ok())
            .filter(|&i| tokens.get(i) == Some(&pool.address))
            .ok_or_else(|| bad(format!("getBptIndex {bpt_raw} is not the pool's own token")))?;
        let providers = decode::<getRateProvidersCall>(pool, block, providers)?;
        if providers.len() != n || !providers[bpt_index].is_zero() {
            return Err(bad(format!("getRateProviders: {providers:?} for {n} tokens")));
        }
        let mut rates = vec![None; n];
        let mut caches = caches.iter();
        let mut expired = Vec::new();
        for (j, &provider) in providers.iter().enumerate() {
            if j == bpt_index {
                continue;
            }
            let Some(cache) = caches.next() else {
                return Err(bad("unexpected number of call results".into()));
            };
            // A token without a provider has no cache (the call reverts): rate 1.
            if provider.is_zero() {
                continue;
            }
            let c = decode::<getTokenRateCacheCall>(pool, block, cache)?;
            let expires = c.expires.saturating_to::<u64>();
            if timestamp > expires {
                expired.push(j);
            }
            rates[j] = Some(TokenRate { provider, cached: c.rate, expires, effective: c.rate });
        }
        let state = ComposableStableState {
            math: StablePoolState {
                balances,
                scaling_factors,
                amp: amp.value,
                swap_fee,
                bpt_index: Some(bpt_index),
            },
            amp_is_updating: amp.isUpdating,
            timestamp,
            rates,
        };
        let pool = BalancerV2Pool { tokens, state: BalancerV2State::ComposableStable(state) };
        Ok(if expired.is_empty() {
            Detailed::Done(pool)
        } else {
            Detailed::Rates { pool, expired }
        })
    }
}

/// Round 3: `getRate()` of each expired token's provider.
pub(super) fn rate_calls(pool: &BalancerV2Pool, expired: &[usize]) -> Vec<Call3> {
    let BalancerV2State::ComposableStable(c) = &pool.state else { return Vec::new() };
    expired
        .iter()
        .filter_map(|&j| c.rates[j].map(|r| call(r.provider, getRateCall {}.abi_encode())))
        .collect()
}

/// Applies the providers' rates of round 3 as the pool's next swap does: it refreshes each
/// expired cache, and its scaling factor becomes `10^(18 − decimals) · rate` (the cached factor
/// over the cached rate, times the new rate).
pub(super) fn apply_rates(
    key: &PoolKey,
    block: u64,
    mut pool: BalancerV2Pool,
    expired: &[usize],
    results: &[Result<Bytes, CallError>],
) -> Result<BalancerV2Pool> {
    let bad = |message: String| ReserveError::BadResponse { pool: key.address, message };
    let BalancerV2State::ComposableStable(c) = &mut pool.state else { return Ok(pool) };
    if results.len() != expired.len() {
        return Err(bad("unexpected number of call results".into()));
    }
    for (&j, r) in expired.iter().zip(results) {
        let rate = decode::<getRateCall>(key, block, r)?;
        let Some(token_rate) = c.rates[j].as_mut() else { continue };
        if rate.bit_len() > MAX_RATE_BITS {
            return Err(bad(format!(
                "rate provider {} answers {rate}, above 96 bits: swaps revert",
                token_rate.provider
            )));
        }
        let factor = c.math.scaling_factors[j];
        let decimals = factor
            .checked_div(token_rate.cached)
            .filter(|d| d.checked_mul(token_rate.cached) == Some(factor))
            .ok_or_else(|| {
                bad(format!(
                    "scaling factor {factor} is not a multiple of the cached rate {}",
                    token_rate.cached
                ))
            })?;
        c.math.scaling_factors[j] = decimals
            .checked_mul(rate)
            .ok_or_else(|| bad(format!("scaling factor overflows with rate {rate}")))?;
        token_rate.effective = rate;
    }
    Ok(pool)
}

/// One call's return decoded, or why it has none.
fn decode<C: SolCall>(
    pool: &PoolKey,
    block: u64,
    result: &Result<Bytes, CallError>,
) -> Result<C::Return> {
    let raw = returns(pool, block, std::slice::from_ref(result)).map_err(|e| match e {
        ReserveError::BadResponse { pool, message } => {
            ReserveError::BadResponse { pool, message: format!("{}: {message}", C::SIGNATURE) }
        }
        other => other,
    })?;
    C::abi_decode_returns(raw[0]).map_err(|e| ReserveError::BadResponse {
        pool: pool.address,
        message: format!("{}: {e}", C::SIGNATURE),
    })
}
