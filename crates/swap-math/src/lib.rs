#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(clippy::float_arithmetic)]

pub mod balancer;
mod error;
mod v2;
mod v3;
mod v4;
mod wide;

pub use error::{Result, SwapError};
pub use v2::{V2Fee, get_amount_in, get_amount_out};
pub use v3::{
    full_math::{div_rounding_up, mul_div, mul_div_rounding_up},
    liquidity_math::add_delta,
    pool::{SwapAmounts, SwapResult, V3State, default_price_limit},
    sqrt_price_math::{
        get_amount0_delta, get_amount1_delta, get_next_sqrt_price_from_amount0_rounding_up,
        get_next_sqrt_price_from_amount1_rounding_down, get_next_sqrt_price_from_input,
        get_next_sqrt_price_from_output,
    },
    swap_math::{SwapStep, compute_swap_step},
    tick_math::{
        MAX_SQRT_RATIO, MAX_TICK, MIN_SQRT_RATIO, MIN_TICK, get_sqrt_ratio_at_tick,
        get_tick_at_sqrt_ratio,
    },
};
pub use v4::{
    DYNAMIC_FEE_FLAG, MAX_PROTOCOL_FEE, MAX_SWAP_FEE, MAX_TICK_SPACING_V4, V4State, hook_flags,
    hook_permissions, swap_fee,
};
