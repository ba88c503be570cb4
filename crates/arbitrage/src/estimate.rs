//! Where a cycle's optimum lies, estimated in floating point from each hop's constant-product
//! form — only to seed and prune the exact integer search; no amount the crate returns comes
//! from here.
//!
//! A Uniswap V2 pair swaps `out = γ·R_out·x / (R_in + γ·x)`; a Uniswap V3 or V4 pool within its
//! current tick range swaps the same with its virtual reserves (`L/√P` of token0, `L·√P` of
//! token1). A chain of such hops composes into `A·x / (B + C·x)`, whose profit `A·x/(B + C·x) − x`
//! is largest at `x* = (√(A·B) − B) / C` and positive for some `x` only when `A > B` (the
//! product of the hops' marginal rates exceeds 1).

#![allow(clippy::float_arithmetic)]

use alloy_primitives::{Address, U256};
use mev_reserve_cache::{PoolSnapshot, PoolState};

/// One hop's constant-product form: virtual reserves in and out, and `γ = 1 − fee`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Curve {
    r_in: f64,
    r_out: f64,
    gamma: f64,
}

fn f(x: U256) -> f64 {
    // At most 2^256: exact to 53 bits, which is all an estimate needs.
    let bits = x.bit_len();
    if bits <= 64 {
        return x.as_limbs()[0] as f64;
    }
    let shift = bits - 64;
    let top = (x >> shift).as_limbs()[0] as f64;
    // 2^shift exactly (shift ≤ 192: a normal exponent), as `exp2` gives it, without the call.
    top * f64::from_bits((1023 + shift as u64) << 52)
}

/// 2^96, exactly.
const Q96: f64 = 79_228_162_514_264_337_593_543_950_336.0;

/// The hop's form on `snapshot`, or `None` when the pool is not of constant-product form
/// (Balancer, Curve) or the direction is unknown.
pub(crate) fn curve(snapshot: &PoolSnapshot, token_in: Address) -> Option<Curve> {
    let v3 = |sqrt_price: U256, liquidity: u128, fee: u32, zero_for_one: bool| {
        if liquidity == 0 || sqrt_price.is_zero() {
            return None;
        }
        let sqrt = f(sqrt_price) / Q96;
        let l = liquidity as f64;
        let (x, y) = (l / sqrt, l * sqrt);
        let gamma = 1.0 - f64::from(fee) / 1e6;
        Some(if zero_for_one {
            Curve { r_in: x, r_out: y, gamma }
        } else {
            Curve { r_in: y, r_out: x, gamma }
        })
    };
    match &snapshot.state {
        PoolState::UniswapV2 { token0, token1, reserve0, reserve1, fee } => {
            let gamma = f64::from(fee.numerator) / f64::from(fee.denominator.max(1));
            let (r_in, r_out) = if token_in == *token0 {
                (*reserve0, *reserve1)
            } else if token_in == *token1 {
                (*reserve1, *reserve0)
            } else {
                return None;
            };
            Some(Curve { r_in: f(r_in), r_out: f(r_out), gamma })
        }
        PoolState::UniswapV3(p) => {
            let zero_for_one = token_in == p.token0;
            let s = &p.state;
            v3(U256::from(s.sqrt_price_x96), s.liquidity, s.fee, zero_for_one)
        }
        PoolState::UniswapV4(p) => {
            let zero_for_one = token_in == p.currency0;
            let s = &p.state;
            v3(
                U256::from(s.pool.sqrt_price_x96),
                s.pool.liquidity,
                s.swap_fee(zero_for_one),
                zero_for_one,
            )
        }
        _ => None,
    }
}

/// What the estimate says about a cycle.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Estimate {
    /// The product of the marginal rates is below 1 by more than rounding: no input pays.
    Unprofitable,
    /// The composed curve's optimum, as an integer input (0 when it rounds below 1).
    Optimum(U256),
}

/// Composes `curves` (in hop order) and estimates the optimum.
pub(crate) fn estimate(curves: &[Curve]) -> Estimate {
    let (mut a, mut b, mut c) = (1.0f64, 1.0f64, 0.0f64);
    for h in curves {
        // out_k = A x / (B + C x) → γ R_out out_k / (R_in + γ out_k).
        let (a2, b2, c2) = (h.gamma * h.r_out * a, h.r_in * b, h.r_in * c + h.gamma * a);
        // Renormalise: the ratio is what matters, the magnitudes would overflow.
        let scale = b2.abs().max(1e-300);
        (a, b, c) = (a2 / scale, b2 / scale, c2 / scale);
    }
    if !(a.is_finite() && b.is_finite() && c.is_finite()) || c <= 0.0 {
        return Estimate::Optimum(U256::ZERO);
    }
    // Margin for the estimate's own rounding (and the contracts' wei): 1e-9 relative.
    if a <= b * (1.0 - 1e-9) {
        return Estimate::Unprofitable;
    }
    let x = ((a * b).sqrt() - b) / c;
    if !(x.is_finite() && x >= 1.0) {
        return Estimate::Optimum(U256::ZERO);
    }
    Estimate::Optimum(to_u256(x))
}

fn to_u256(x: f64) -> U256 {
    if x >= 2f64.powi(255) {
        return U256::MAX >> 1usize;
    }
    let exp = x.log2().floor() as i32;
    if exp < 63 {
        return U256::from(x as u64);
    }
    let shift = exp - 62;
    let mantissa = (x / 2f64.powi(shift)) as u64;
    U256::from(mantissa) << (shift as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v2_pair_against_itself_is_unprofitable_and_a_gap_has_the_closed_form() {
        let c1 = Curve { r_in: 1e21, r_out: 1.1e21, gamma: 0.997 };
        let c2 = Curve { r_in: 1e21, r_out: 1e21, gamma: 0.997 };
        let back = Curve { r_in: 1.1e21, r_out: 1e21, gamma: 0.997 };
        assert_eq!(estimate(&[c1, back]), Estimate::Unprofitable);
        let Estimate::Optimum(x) = estimate(&[c1, c2]) else { panic!() };
        // (√(A·B) − B) / C with A = γ²·1.1e42, B = 1e42, C = γ·1e21 + γ²·1.1e21: 2.184e19.
        let x = f(x);
        assert!((2.18e19..2.19e19).contains(&x), "{x}");
        assert_eq!(to_u256(1e30) >> 60usize, U256::from(1e30 as u128 >> 60));
        assert_eq!(Q96, 2f64.powi(96));
        for shift in [1usize, 63, 64, 100, 192] {
            let x = (U256::from(0x8765_4321_dead_beefu64) << shift) | U256::from(12_345);
            let top = (x >> (x.bit_len() - 64)).as_limbs()[0] as f64;
            assert_eq!(f(x), top * ((x.bit_len() - 64) as f64).exp2(), "{shift}");
        }
    }
}
