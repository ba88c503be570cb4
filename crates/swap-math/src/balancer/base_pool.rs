//! What every Balancer V2 pool and the Vault do around the pool's own math: the Vault's checks
//! of a swap request and of the balances after it (`Vault` 2021-04-18, `PoolBalances`,
//! `BalanceAllocation`), the swap fee (`BasePool`) and the scaling helpers (`ScalingHelpers`).

use alloy_primitives::U256;

use super::{
    BalancerError,
    fixed_point::{self, ONE},
};

/// The Vault packs each balance into 112 bits: a pool balance must stay below `2^112`.
const MAX_BALANCE: U256 = U256::from_limbs([0, 1 << 48, 0, 0]);

/// The Vault's checks of a swap request, in its order: both tokens are in the pool (here: the
/// indices are in range), they differ (`BAL#509`), the given amount is nonzero (`BAL#510`).
pub(crate) fn check_request(
    tokens: usize,
    index_in: usize,
    index_out: usize,
    amount: U256,
) -> Result<(), BalancerError> {
    for index in [index_in, index_out] {
        if index >= tokens {
            return Err(BalancerError::TokenIndex { index, tokens });
        }
    }
    if index_in == index_out {
        return Err(BalancerError::SameToken { index: index_in });
    }
    if amount.is_zero() {
        return Err(BalancerError::ZeroAmount);
    }
    Ok(())
}

/// The Vault's balance updates after the pool answered, in its order: the balance in grows by
/// `amount_in` (`BAL#000` past `uint256`, `BAL#526` at `2^112`), then the balance out shrinks by
/// `amount_out` (`BAL#001` below zero). Balances and amounts in the tokens' smallest units.
pub(crate) fn check_balances(
    (index_in, balance_in, amount_in): (usize, U256, U256),
    (index_out, balance_out, amount_out): (usize, U256, U256),
) -> Result<(), BalancerError> {
    let new_balance = fixed_point::add(balance_in, amount_in)?;
    if new_balance >= MAX_BALANCE {
        return Err(BalancerError::BalanceTotalOverflow { index: index_in, new_balance });
    }
    if amount_out > balance_out {
        return Err(BalancerError::InsufficientBalance {
            index: index_out,
            balance: balance_out,
            amount_out,
        });
    }
    Ok(())
}

/// `amount` in 18-decimal units with the rate applied: `amount · scaling_factor / 1e18`, rounded
/// down (`_upscale`; the pools round every upscale down).
#[inline]
pub(crate) fn upscale(amount: U256, scaling_factor: U256) -> Result<U256, BalancerError> {
    fixed_point::mul_down(amount, scaling_factor)
}

/// Back to the token's units, rounded down, for amounts leaving the pool (`_downscaleDown`).
#[inline]
pub(crate) fn downscale_down(amount: U256, scaling_factor: U256) -> Result<U256, BalancerError> {
    fixed_point::div_down(amount, scaling_factor)
}

/// Back to the token's units, rounded up, for amounts entering the pool (`_downscaleUp`).
#[inline]
pub(crate) fn downscale_up(amount: U256, scaling_factor: U256) -> Result<U256, BalancerError> {
    fixed_point::div_up(amount, scaling_factor)
}

/// An exact input minus the swap fee, the fee rounded up (`BasePool._subtractSwapFeeAmount`).
#[inline]
pub(crate) fn subtract_swap_fee(amount: U256, swap_fee: U256) -> Result<U256, BalancerError> {
    let fee_amount = fixed_point::mul_up(amount, swap_fee)?;
    fixed_point::sub(amount, fee_amount)
}

/// A computed input plus the swap fee: `amount / (1 - fee)`, rounded up
/// (`BasePool._addSwapFeeAmount`).
#[inline]
pub(crate) fn add_swap_fee(amount: U256, swap_fee: U256) -> Result<U256, BalancerError> {
    fixed_point::div_up(amount, fixed_point::sub(ONE, swap_fee)?)
}

/// Checks that a state's per-token array has one entry per token.
pub(crate) fn check_len(
    field: &'static str,
    found: usize,
    expected: usize,
) -> Result<(), BalancerError> {
    if found == expected {
        Ok(())
    } else {
        Err(BalancerError::StateLength { field, expected, found })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_balance_is_2_pow_112() {
        assert_eq!(MAX_BALANCE, U256::from(1) << 112);
    }

    #[test]
    fn fees_round_against_the_trader() {
        let fee = U256::from(3_000_000_000_000_000u64); // 0.3 %
        // 0.3 % of 1001 wei is 3.003 wei, rounded up to 4.
        assert_eq!(subtract_swap_fee(U256::from(1001), fee).unwrap(), U256::from(997));
        // 997 / 0.997 = 1000 exactly; 998 / 0.997 = 1001.003 → 1002.
        assert_eq!(add_swap_fee(U256::from(997), fee).unwrap(), U256::from(1000));
        assert_eq!(add_swap_fee(U256::from(998), fee).unwrap(), U256::from(1002));
        assert_eq!(add_swap_fee(U256::from(1), ONE), Err(BalancerError::ZeroDivision));
    }

    #[test]
    fn vault_checks_in_order() {
        assert_eq!(
            check_request(2, 2, 0, U256::from(1)),
            Err(BalancerError::TokenIndex { index: 2, tokens: 2 })
        );
        assert_eq!(check_request(2, 1, 1, U256::ZERO), Err(BalancerError::SameToken { index: 1 }));
        assert_eq!(check_request(2, 0, 1, U256::ZERO), Err(BalancerError::ZeroAmount));
        let near = MAX_BALANCE - U256::from(1);
        assert!(matches!(
            check_balances((0, near, U256::from(1)), (1, U256::from(5), U256::from(9))),
            Err(BalancerError::BalanceTotalOverflow { index: 0, .. })
        ));
        assert!(matches!(
            check_balances((0, U256::from(1), U256::from(1)), (1, U256::from(5), U256::from(9))),
            Err(BalancerError::InsufficientBalance { index: 1, .. })
        ));
    }
}
