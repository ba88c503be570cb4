//! `ExponentialNoError`: fixed-point "Exp" math with 18-decimal mantissas, truncating.

use alloy_primitives::U256;

use crate::error::Result;
use crate::math::{self, WAD};

/// `mul_(Exp a, Exp b)`: `a * b / 1e18`, truncated.
#[inline]
pub(crate) fn mul_exp(a: U256, b: U256, operation: &'static str) -> Result<U256> {
    math::mul_div(a, b, WAD, operation)
}

/// `mul_ScalarTruncate(Exp a, uint scalar)` and `mul_(uint a, Exp b)`: `a * scalar / 1e18`,
/// truncated.
#[inline]
pub(crate) fn mul_scalar_truncate(
    exp: U256,
    scalar: U256,
    operation: &'static str,
) -> Result<U256> {
    math::mul_div(exp, scalar, WAD, operation)
}

/// `mul_ScalarTruncateAddUInt(Exp a, uint scalar, uint addend)`: `a * scalar / 1e18 + addend`.
#[inline]
pub(crate) fn mul_scalar_truncate_add(
    exp: U256,
    scalar: U256,
    addend: U256,
    operation: &'static str,
) -> Result<U256> {
    math::add(mul_scalar_truncate(exp, scalar, operation)?, addend, operation)
}

/// `div_(Exp a, Exp b)`: `a * 1e18 / b`, truncated; fails when `b == 0`.
#[inline]
pub(crate) fn div_exp(a: U256, b: U256, operation: &'static str) -> Result<U256> {
    math::div(math::mul(a, WAD, operation)?, b, operation)
}
