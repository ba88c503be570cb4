//! Uniswap V3 (v3-core 1.0.1): the math libraries and a swap simulator over a pool's state.

pub(crate) mod full_math;
pub(crate) mod liquidity_math;
pub(crate) mod pool;
pub(crate) mod sqrt_price_math;
pub(crate) mod swap_math;
pub(crate) mod tick_math;
pub(crate) mod ticks;
