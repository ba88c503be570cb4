//! Balancer V2 weighted pools: `WeightedMath` (`pkg/pool-weighted/contracts/WeightedMath.sol`)
//! and the swap path of `WeightedPool` through `BaseMinimalSwapInfoPool.onSwap` and the Vault.

use alloy_primitives::U256;

use super::{
    BalancerError,
    base_pool::{
        add_swap_fee, check_balances, check_len, check_request, downscale_down, downscale_up,
        subtract_swap_fee, upscale,
    },
    fixed_point::{self, ONE, complement, div_down, div_up, mul_down, mul_up, pow_up},
};

/// An exact input may be at most 30 % of the balance in (`_MAX_IN_RATIO`, WAD).
pub const MAX_IN_RATIO: U256 = U256::from_limbs([300_000_000_000_000_000, 0, 0, 0]);
/// An exact output may be at most 30 % of the balance out (`_MAX_OUT_RATIO`, WAD).
pub const MAX_OUT_RATIO: U256 = U256::from_limbs([300_000_000_000_000_000, 0, 0, 0]);

/// The state of a weighted pool (`WeightedPool`, factory tasks `20230206-weighted-pool-v3` and
/// the earlier v2 pools with the same swap path) that a swap quote needs, one entry per
/// registered token in the Vault's order.
///
/// Read it from chain with `Vault.getPoolTokens(poolId)` (balances), `pool.getScalingFactors()`,
/// `pool.getNormalizedWeights()` and `pool.getSwapFeePercentage()`. A swap does not change the
/// weights, scaling factors or fee; protocol fees are not charged on swaps but paid in BPT at the
/// next join or exit, so they do not enter a quote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeightedPoolState {
    /// The pool's balance of each token, in the token's smallest unit (cash plus managed).
    pub balances: Vec<U256>,
    /// `10^(18 - decimals) · 1e18` per token: the factor that brings amounts to 18 decimals, WAD.
    pub scaling_factors: Vec<U256>,
    /// Each token's normalized weight, WAD; they sum to 1e18.
    pub normalized_weights: Vec<U256>,
    /// The swap fee, WAD (`1e18` = 100 %; pools allow 0.0001 % to 10 %).
    pub swap_fee: U256,
}

impl WeightedPoolState {
    /// The output for an exact input of `amount_in` of token `token_in` (in its smallest unit):
    /// what `BalancerQueries.querySwap` returns for a `GIVEN_IN` swap.
    ///
    /// The fee is taken from the input (rounded up), amounts are upscaled (rounded down), the
    /// output is downscaled rounding down.
    ///
    /// # Errors
    /// [`BalancerError::MaxInRatio`] above 30 % of the balance in, the Vault's checks
    /// ([`BalancerError::SameToken`], [`BalancerError::ZeroAmount`],
    /// [`BalancerError::BalanceTotalOverflow`]), arithmetic errors as the contracts raise them,
    /// and [`BalancerError::TokenIndex`] / [`BalancerError::StateLength`] for bad input.
    pub fn quote_exact_in(
        &self,
        token_in: usize,
        token_out: usize,
        amount_in: U256,
    ) -> Result<U256, BalancerError> {
        self.check(token_in, token_out, amount_in)?;
        let (sf_in, sf_out) = (self.scaling_factors[token_in], self.scaling_factors[token_out]);
        let balance_in = upscale(self.balances[token_in], sf_in)?;
        let balance_out = upscale(self.balances[token_out], sf_out)?;
        let amount = upscale(subtract_swap_fee(amount_in, self.swap_fee)?, sf_in)?;
        let amount_out = calc_out_given_in(
            balance_in,
            self.normalized_weights[token_in],
            balance_out,
            self.normalized_weights[token_out],
            amount,
        )?;
        let amount_out = downscale_down(amount_out, sf_out)?;
        check_balances(
            (token_in, self.balances[token_in], amount_in),
            (token_out, self.balances[token_out], amount_out),
        )?;
        Ok(amount_out)
    }

    /// The input needed for an exact output of `amount_out` of token `token_out` (in its
    /// smallest unit): what `BalancerQueries.querySwap` returns for a `GIVEN_OUT` swap.
    ///
    /// Amounts are upscaled (rounded down), the input is downscaled rounding up, then the fee is
    /// added (`amount / (1 - fee)`, rounded up).
    ///
    /// # Errors
    /// [`BalancerError::MaxOutRatio`] above 30 % of the balance out, and the errors of
    /// [`WeightedPoolState::quote_exact_in`].
    pub fn quote_exact_out(
        &self,
        token_in: usize,
        token_out: usize,
        amount_out: U256,
    ) -> Result<U256, BalancerError> {
        self.check(token_in, token_out, amount_out)?;
        let (sf_in, sf_out) = (self.scaling_factors[token_in], self.scaling_factors[token_out]);
        let balance_in = upscale(self.balances[token_in], sf_in)?;
        let balance_out = upscale(self.balances[token_out], sf_out)?;
        let amount = upscale(amount_out, sf_out)?;
        let amount_in = calc_in_given_out(
            balance_in,
            self.normalized_weights[token_in],
            balance_out,
            self.normalized_weights[token_out],
            amount,
        )?;
        let amount_in = add_swap_fee(downscale_up(amount_in, sf_in)?, self.swap_fee)?;
        check_balances(
            (token_in, self.balances[token_in], amount_in),
            (token_out, self.balances[token_out], amount_out),
        )?;
        Ok(amount_in)
    }

    fn check(&self, token_in: usize, token_out: usize, amount: U256) -> Result<(), BalancerError> {
        let tokens = self.balances.len();
        check_len("scaling_factors", self.scaling_factors.len(), tokens)?;
        check_len("normalized_weights", self.normalized_weights.len(), tokens)?;
        check_request(tokens, token_in, token_out, amount)
    }
}

/// `WeightedMath._calcOutGivenIn`: the output for an exact input, all upscaled (18 decimals) and
/// the input after the fee: `bO · (1 - (bI / (bI + aI))^(wI / wO))`, rounded down.
///
/// # Errors
/// [`BalancerError::MaxInRatio`] when `amount_in > 0.3 · balance_in`; arithmetic errors.
pub fn calc_out_given_in(
    balance_in: U256,
    weight_in: U256,
    balance_out: U256,
    weight_out: U256,
    amount_in: U256,
) -> Result<U256, BalancerError> {
    let max = mul_down(balance_in, MAX_IN_RATIO)?;
    if amount_in > max {
        return Err(BalancerError::MaxInRatio { amount_in, max });
    }
    let denominator = fixed_point::add(balance_in, amount_in)?;
    let base = div_up(balance_in, denominator)?;
    let exponent = div_down(weight_in, weight_out)?;
    let power = pow_up(base, exponent)?;
    mul_down(balance_out, complement(power))
}

/// `WeightedMath._calcInGivenOut`: the input (before the fee) for an exact output, all upscaled:
/// `bI · ((bO / (bO - aO))^(wO / wI) - 1)`, rounded up.
///
/// # Errors
/// [`BalancerError::MaxOutRatio`] when `amount_out > 0.3 · balance_out`; arithmetic errors.
pub fn calc_in_given_out(
    balance_in: U256,
    weight_in: U256,
    balance_out: U256,
    weight_out: U256,
    amount_out: U256,
) -> Result<U256, BalancerError> {
    let max = mul_down(balance_out, MAX_OUT_RATIO)?;
    if amount_out > max {
        return Err(BalancerError::MaxOutRatio { amount_out, max });
    }
    let base = div_up(balance_out, fixed_point::sub(balance_out, amount_out)?)?;
    let exponent = div_up(weight_out, weight_in)?;
    let power = pow_up(base, exponent)?;
    mul_up(balance_in, fixed_point::sub(power, ONE)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(n: u64, decimals: u32) -> U256 {
        U256::from(n) * U256::from(10).pow(U256::from(decimals))
    }

    /// A 50/50 WETH (18 decimals) / USDC (6 decimals) pool with 0.3 % fee.
    fn pool() -> WeightedPoolState {
        WeightedPoolState {
            balances: vec![e(1_000, 18), e(2_000_000, 6)],
            scaling_factors: vec![e(1, 18), e(1, 30)],
            normalized_weights: vec![e(5, 17), e(5, 17)],
            swap_fee: e(3, 15),
        }
    }

    #[test]
    fn a_50_50_pool_is_constant_product_minus_rounding() {
        let p = pool();
        let out = p.quote_exact_in(0, 1, e(1, 18)).unwrap();
        // x·y = k: 2e6 · 0.997 / 1000.997 = 1992.0056… USDC.
        let ideal = e(2_000_000, 6) * e(997, 15) / (e(1_000, 18) + e(997, 15));
        assert!(out <= ideal && ideal - out < U256::from(3), "{out} {ideal}");
        // Buying that much back costs at least the input.
        let back = p.quote_exact_out(0, 1, out).unwrap();
        assert!(back <= e(1, 18) && e(1, 18) - back < e(1, 9), "{back}");
    }

    #[test]
    fn ratio_limits_and_vault_checks() {
        let p = pool();
        assert!(matches!(
            p.quote_exact_in(0, 1, e(400, 18)),
            Err(BalancerError::MaxInRatio { .. })
        ));
        assert!(matches!(
            p.quote_exact_out(0, 1, e(700_000, 6)),
            Err(BalancerError::MaxOutRatio { .. })
        ));
        assert_eq!(p.quote_exact_in(0, 0, e(1, 18)), Err(BalancerError::SameToken { index: 0 }));
        assert_eq!(p.quote_exact_in(0, 1, U256::ZERO), Err(BalancerError::ZeroAmount));
        assert_eq!(p.quote_exact_in(0, 1, U256::MAX), Err(BalancerError::MulOverflow));
        let mut bad = pool();
        bad.normalized_weights.pop();
        assert!(matches!(
            bad.quote_exact_in(0, 1, e(1, 18)),
            Err(BalancerError::StateLength { .. })
        ));
    }
}
