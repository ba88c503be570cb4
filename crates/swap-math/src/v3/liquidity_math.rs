//! `LiquidityMath` of v3-core 1.0.1.

use crate::{Result, SwapError};

/// `LiquidityMath.addDelta`: `liquidity + delta`, as when a swap crosses a tick with
/// `liquidityNet = delta`.
///
/// # Errors
/// [`SwapError::LiquidityOverflow`] when the result leaves `uint128` (the contract's `LS` /
/// `LA`).
#[inline]
pub fn add_delta(liquidity: u128, delta: i128) -> Result<u128> {
    let result = if delta < 0 {
        liquidity.checked_sub(delta.unsigned_abs())
    } else {
        liquidity.checked_add(delta.unsigned_abs())
    };
    result.ok_or(SwapError::LiquidityOverflow { liquidity, delta })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Vectors from v3-core's `LiquidityMath.spec.ts`.
    #[test]
    fn v3_core_vectors() {
        assert_eq!(add_delta(1, 0), Ok(1));
        assert_eq!(add_delta(1, -1), Ok(0));
        assert_eq!(add_delta(1, 1), Ok(2));
        assert_eq!(
            add_delta(u128::MAX - 14, 15),
            Err(SwapError::LiquidityOverflow { liquidity: u128::MAX - 14, delta: 15 })
        );
        assert_eq!(add_delta(0, -1), Err(SwapError::LiquidityOverflow { liquidity: 0, delta: -1 }));
        assert_eq!(add_delta(3, -4), Err(SwapError::LiquidityOverflow { liquidity: 3, delta: -4 }));
        assert_eq!(add_delta(1 << 127, i128::MIN), Ok(0));
        assert!(add_delta((1 << 127) - 1, i128::MIN).is_err());
    }
}
