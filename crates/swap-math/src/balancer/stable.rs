//! Balancer V2 stable pools: `StableMath` (`pkg/pool-stable/contracts/StableMath.sol`, the
//! version without rounding flags that `ComposableStablePool` uses) and the token-to-token swap
//! path of `ComposableStablePool` through `BaseGeneralPool.onSwap` and the Vault.

use alloy_primitives::U256;

use super::{
    BalancerError,
    base_pool::{
        add_swap_fee, check_balances, check_len, check_request, downscale_down, downscale_up,
        subtract_swap_fee, upscale,
    },
    fixed_point,
};

/// The amplification parameter's precision (`_AMP_PRECISION`): `amp` values carry it, so
/// A = 200 is `200_000`.
pub const AMP_PRECISION: U256 = U256::from_limbs([1_000, 0, 0, 0]);

/// Newton iterations before the contracts give up (`BAL#321`, `BAL#322`).
const MAX_ITERATIONS: usize = 255;

/// The state of a stable pool that a token-to-token swap quote needs, one entry per registered
/// token in the Vault's order. Modelled on `ComposableStablePool` (factory task
/// `20230206-composable-stable-pool-v3`), whose registered tokens include its own BPT.
///
/// Read it from chain with `Vault.getPoolTokens(poolId)` (balances, BPT included),
/// `pool.getScalingFactors()` (decimals scaling times each token's cached rate),
/// `pool.getAmplificationParameter()` (its `value`, which carries [`AMP_PRECISION`]),
/// `pool.getSwapFeePercentage()` and `pool.getBptIndex()`. A swap refreshes a token rate whose
/// cache has expired before it reads the scaling factors, so read them after
/// `updateTokenRateCache` or while the caches are fresh. Protocol fees are paid in BPT at joins,
/// exits and BPT swaps, never out of a token-to-token swap, so they do not enter a quote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StablePoolState {
    /// The pool's balance of each registered token (the BPT's too), in its smallest unit.
    pub balances: Vec<U256>,
    /// `10^(18 - decimals) · rate` per registered token, WAD (1e18 for the BPT).
    pub scaling_factors: Vec<U256>,
    /// The current amplification parameter times [`AMP_PRECISION`] (`A · n^(n-1)` in Curve's
    /// terms is derived from it inside the math).
    pub amp: U256,
    /// The swap fee, WAD (`1e18` = 100 %).
    pub swap_fee: U256,
    /// The index of the pool's own BPT among the registered tokens (`getBptIndex()`), `None` for
    /// a pool that does not register its BPT.
    pub bpt_index: Option<usize>,
}

impl StablePoolState {
    /// The output for an exact input of `amount_in` of token `token_in` (indices into the
    /// registered tokens, BPT included; amounts in the tokens' smallest units): what
    /// `BalancerQueries.querySwap` returns for a `GIVEN_IN` swap.
    ///
    /// # Errors
    /// [`BalancerError::BptSwap`] when either token is the BPT; the Vault's checks; arithmetic
    /// and convergence errors as the contracts raise them; [`BalancerError::TokenIndex`] /
    /// [`BalancerError::StateLength`] for bad input.
    pub fn quote_exact_in(
        &self,
        token_in: usize,
        token_out: usize,
        amount_in: U256,
    ) -> Result<U256, BalancerError> {
        self.check(token_in, token_out, amount_in)?;
        let amount = subtract_swap_fee(amount_in, self.swap_fee)?;
        let balances = self.upscaled_balances()?;
        let amount = upscale(amount, self.scaling_factors[token_in])?;
        let (balances, index_in, index_out) = self.drop_bpt(balances, token_in, token_out);
        let invariant = calculate_invariant(self.amp, &balances)?;
        let amount_out =
            calc_out_given_in(self.amp, &balances, index_in, index_out, amount, invariant)?;
        let amount_out = downscale_down(amount_out, self.scaling_factors[token_out])?;
        check_balances(
            (token_in, self.balances[token_in], amount_in),
            (token_out, self.balances[token_out], amount_out),
        )?;
        Ok(amount_out)
    }

    /// The input needed for an exact output of `amount_out` of token `token_out`: what
    /// `BalancerQueries.querySwap` returns for a `GIVEN_OUT` swap.
    ///
    /// # Errors
    /// As [`StablePoolState::quote_exact_in`]; an output at or above the balance out is
    /// [`BalancerError::SubOverflow`] (or a division by zero at exactly the balance).
    pub fn quote_exact_out(
        &self,
        token_in: usize,
        token_out: usize,
        amount_out: U256,
    ) -> Result<U256, BalancerError> {
        self.check(token_in, token_out, amount_out)?;
        let balances = self.upscaled_balances()?;
        let amount = upscale(amount_out, self.scaling_factors[token_out])?;
        let (balances, index_in, index_out) = self.drop_bpt(balances, token_in, token_out);
        let invariant = calculate_invariant(self.amp, &balances)?;
        let amount_in =
            calc_in_given_out(self.amp, &balances, index_in, index_out, amount, invariant)?;
        let amount_in = downscale_up(amount_in, self.scaling_factors[token_in])?;
        let amount_in = add_swap_fee(amount_in, self.swap_fee)?;
        check_balances(
            (token_in, self.balances[token_in], amount_in),
            (token_out, self.balances[token_out], amount_out),
        )?;
        Ok(amount_in)
    }

    fn check(&self, token_in: usize, token_out: usize, amount: U256) -> Result<(), BalancerError> {
        let tokens = self.balances.len();
        check_len("scaling_factors", self.scaling_factors.len(), tokens)?;
        let minimum = if self.bpt_index.is_some() { 3 } else { 2 };
        if tokens < minimum {
            return Err(BalancerError::StateLength {
                field: "balances",
                expected: minimum,
                found: tokens,
            });
        }
        if let Some(bpt) = self.bpt_index
            && bpt >= tokens
        {
            return Err(BalancerError::TokenIndex { index: bpt, tokens });
        }
        check_request(tokens, token_in, token_out, amount)?;
        match self.bpt_index {
            Some(bpt) if bpt == token_in || bpt == token_out => {
                Err(BalancerError::BptSwap { index: bpt })
            }
            _ => Ok(()),
        }
    }

    fn upscaled_balances(&self) -> Result<Vec<U256>, BalancerError> {
        self.balances.iter().zip(&self.scaling_factors).map(|(&b, &sf)| upscale(b, sf)).collect()
    }

    /// The balances without the BPT and the indices into them (`_dropBptItem`,
    /// `_skipBptIndex`). The indices are checked not to be the BPT's.
    fn drop_bpt(
        &self,
        mut balances: Vec<U256>,
        token_in: usize,
        token_out: usize,
    ) -> (Vec<U256>, usize, usize) {
        match self.bpt_index {
            Some(bpt) => {
                balances.remove(bpt);
                let skip = |i: usize| if i > bpt { i - 1 } else { i };
                (balances, skip(token_in), skip(token_out))
            }
            None => (balances, token_in, token_out),
        }
    }
}

/// `StableMath._calculateInvariant`: the invariant D of upscaled balances by Newton's method,
/// rounded down (as Curve's Vyper code truncates). Zero balances sum to a zero invariant.
///
/// # Errors
/// [`BalancerError::InvariantDidNotConverge`] after 255 iterations; arithmetic errors (a zero
/// balance divides by zero).
pub fn calculate_invariant(amp: U256, balances: &[U256]) -> Result<U256, BalancerError> {
    let mut sum = U256::ZERO;
    for &balance in balances {
        sum = fixed_point::add(sum, balance)?;
    }
    if sum.is_zero() {
        return Ok(U256::ZERO);
    }
    let num_tokens = U256::from(balances.len());
    let amp_times_total = mul(amp, num_tokens)?;

    let mut invariant = sum;
    for _ in 0..MAX_ITERATIONS {
        let mut d_p = invariant;
        for &balance in balances {
            // (D_P · D) / (balance · n)
            d_p = div_down(mul(d_p, invariant)?, mul(balance, num_tokens)?)?;
        }
        let prev_invariant = invariant;
        // ((ampTimesTotal · S) / AMP_PRECISION + D_P · n) · D
        let numerator = mul(
            fixed_point::add(
                div_down(mul(amp_times_total, sum)?, AMP_PRECISION)?,
                mul(d_p, num_tokens)?,
            )?,
            invariant,
        )?;
        // ((ampTimesTotal - AMP_PRECISION) · D) / AMP_PRECISION + (n + 1) · D_P
        let denominator = fixed_point::add(
            div_down(
                mul(fixed_point::sub(amp_times_total, AMP_PRECISION)?, invariant)?,
                AMP_PRECISION,
            )?,
            mul(num_tokens + U256::from(1), d_p)?,
        )?;
        invariant = div_down(numerator, denominator)?;
        if invariant.abs_diff(prev_invariant) <= U256::from(1) {
            return Ok(invariant);
        }
    }
    Err(BalancerError::InvariantDidNotConverge)
}

/// `StableMath._calcOutGivenIn`: the output for an exact input (after the fee), all upscaled,
/// given the current `invariant`; rounded down (one wei below the balance difference).
///
/// # Errors
/// Convergence and arithmetic errors; [`BalancerError::TokenIndex`] for an index out of range.
pub fn calc_out_given_in(
    amp: U256,
    balances: &[U256],
    token_index_in: usize,
    token_index_out: usize,
    token_amount_in: U256,
    invariant: U256,
) -> Result<U256, BalancerError> {
    let mut balances = balances.to_vec();
    let balance_in = entry(&balances, token_index_in)?;
    let balance_out = entry(&balances, token_index_out)?;
    balances[token_index_in] = fixed_point::add(balance_in, token_amount_in)?;
    let final_balance_out = get_token_balance_given_invariant_and_all_other_balances(
        amp,
        &balances,
        invariant,
        token_index_out,
    )?;
    fixed_point::sub(fixed_point::sub(balance_out, final_balance_out)?, U256::from(1))
}

/// `StableMath._calcInGivenOut`: the input (before the fee) for an exact output, all upscaled,
/// given the current `invariant`; rounded up (one wei above the balance difference).
///
/// # Errors
/// [`BalancerError::SubOverflow`] when `token_amount_out` exceeds the balance out; convergence
/// and arithmetic errors; [`BalancerError::TokenIndex`] for an index out of range.
pub fn calc_in_given_out(
    amp: U256,
    balances: &[U256],
    token_index_in: usize,
    token_index_out: usize,
    token_amount_out: U256,
    invariant: U256,
) -> Result<U256, BalancerError> {
    let mut balances = balances.to_vec();
    let balance_in = entry(&balances, token_index_in)?;
    let balance_out = entry(&balances, token_index_out)?;
    balances[token_index_out] = fixed_point::sub(balance_out, token_amount_out)?;
    let final_balance_in = get_token_balance_given_invariant_and_all_other_balances(
        amp,
        &balances,
        invariant,
        token_index_in,
    )?;
    fixed_point::add(fixed_point::sub(final_balance_in, balance_in)?, U256::from(1))
}

/// `StableMath._getTokenBalanceGivenInvariantAndAllOtherBalances`: the balance of token
/// `token_index` that keeps `invariant` given the other (upscaled) balances, by Newton's method,
/// rounded up.
///
/// # Errors
/// [`BalancerError::BalanceDidNotConverge`] after 255 iterations; arithmetic errors;
/// [`BalancerError::TokenIndex`] for an index out of range.
pub fn get_token_balance_given_invariant_and_all_other_balances(
    amp: U256,
    balances: &[U256],
    invariant: U256,
    token_index: usize,
) -> Result<U256, BalancerError> {
    let balance_at_index = entry(balances, token_index)?;
    let n = U256::from(balances.len());
    let amp_times_total = mul(amp, n)?;
    let mut sum = balances[0];
    let mut p_d = mul(balances[0], n)?;
    for &balance in &balances[1..] {
        p_d = div_down(mul(mul(p_d, balance)?, n)?, invariant)?;
        sum = fixed_point::add(sum, balance)?;
    }
    sum = fixed_point::sub(sum, balance_at_index)?;

    let inv2 = mul(invariant, invariant)?;
    // The balance is removed from c by multiplying by it.
    let c = mul(mul(div_up(inv2, mul(amp_times_total, p_d)?)?, AMP_PRECISION)?, balance_at_index)?;
    let b = fixed_point::add(sum, mul(div_down(invariant, amp_times_total)?, AMP_PRECISION)?)?;

    let mut token_balance = div_up(fixed_point::add(inv2, c)?, fixed_point::add(invariant, b)?)?;
    for _ in 0..MAX_ITERATIONS {
        let prev_token_balance = token_balance;
        token_balance = div_up(
            fixed_point::add(mul(token_balance, token_balance)?, c)?,
            fixed_point::sub(fixed_point::add(mul(token_balance, U256::from(2))?, b)?, invariant)?,
        )?;
        if token_balance.abs_diff(prev_token_balance) <= U256::from(1) {
            return Ok(token_balance);
        }
    }
    Err(BalancerError::BalanceDidNotConverge)
}

/// `balances[index]`, or [`BalancerError::TokenIndex`].
fn entry(balances: &[U256], index: usize) -> Result<U256, BalancerError> {
    balances.get(index).copied().ok_or(BalancerError::TokenIndex { index, tokens: balances.len() })
}

/// `Math.mul`: checked multiplication.
#[inline]
fn mul(a: U256, b: U256) -> Result<U256, BalancerError> {
    a.checked_mul(b).ok_or(BalancerError::MulOverflow)
}

/// `Math.divDown`: integer division rounding down.
#[inline]
fn div_down(a: U256, b: U256) -> Result<U256, BalancerError> {
    if let (Some(a), Some(b)) = (fixed_point::small(a), fixed_point::small(b))
        && let Some(q) = a.checked_div(b)
    {
        return Ok(U256::from(q));
    }
    a.checked_div(b).ok_or(BalancerError::ZeroDivision)
}

/// `Math.divUp`: integer division rounding up.
fn div_up(a: U256, b: U256) -> Result<U256, BalancerError> {
    if b.is_zero() {
        return Err(BalancerError::ZeroDivision);
    }
    Ok(if a.is_zero() { U256::ZERO } else { (a - U256::from(1)) / b + U256::from(1) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(n: u64, decimals: u32) -> U256 {
        U256::from(n) * U256::from(10).pow(U256::from(decimals))
    }

    /// DAI (18) / BPT / USDC (6) / USDT (6), A = 200, 0.01 % fee, balanced at 1M each.
    fn pool() -> StablePoolState {
        StablePoolState {
            balances: vec![e(1_000_000, 18), e(1, 30), e(1_000_000, 6), e(1_000_000, 6)],
            scaling_factors: vec![e(1, 18), e(1, 18), e(1, 30), e(1, 30)],
            amp: e(200_000, 0),
            swap_fee: e(1, 14),
            bpt_index: Some(1),
        }
    }

    #[test]
    fn balanced_pool_swaps_near_one_to_one() {
        let p = pool();
        let out = p.quote_exact_in(0, 2, e(1_000, 18)).unwrap();
        // 1000 DAI less 0.01 % fee, a hair of slippage at A = 200.
        assert!(out < e(999_900, 3) && out > e(999_800, 3), "{out}");
        let back = p.quote_exact_out(0, 2, out).unwrap();
        assert!(back <= e(1_000, 18) && e(1_000, 18) - back < e(1, 13), "{back}");
    }

    #[test]
    fn invariant_of_equal_balances_is_their_sum() {
        let balances = [e(1_000, 18), e(1_000, 18), e(1_000, 18)];
        let d = calculate_invariant(e(100_000, 0), &balances).unwrap();
        assert!(d.abs_diff(e(3_000, 18)) <= U256::from(1), "{d}");
        assert_eq!(calculate_invariant(e(100_000, 0), &[U256::ZERO; 3]).unwrap(), U256::ZERO);
    }

    #[test]
    fn bpt_and_bounds() {
        let p = pool();
        assert_eq!(p.quote_exact_in(1, 2, e(1, 18)), Err(BalancerError::BptSwap { index: 1 }));
        assert_eq!(p.quote_exact_out(0, 1, e(1, 18)), Err(BalancerError::BptSwap { index: 1 }));
        assert_eq!(p.quote_exact_out(0, 2, e(1_000_001, 6)), Err(BalancerError::SubOverflow));
        assert!(matches!(
            p.quote_exact_in(0, 4, e(1, 18)),
            Err(BalancerError::TokenIndex { index: 4, tokens: 4 })
        ));
        // A huge input overflows the Vault's 112-bit balance after the pool's math.
        assert!(matches!(
            p.quote_exact_in(2, 3, U256::from(1) << 120),
            Err(BalancerError::BalanceTotalOverflow { index: 2, .. })
        ));
        assert_eq!(p.quote_exact_in(2, 3, U256::MAX), Err(BalancerError::MulOverflow));
        let empty = StablePoolState { balances: vec![], scaling_factors: vec![], ..pool() };
        assert!(matches!(
            empty.quote_exact_in(0, 2, e(1, 18)),
            Err(BalancerError::StateLength { .. })
        ));
    }
}
