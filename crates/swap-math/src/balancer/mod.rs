//! Balancer V2 swap math equal to the contracts, bit for bit: weighted pools and composable
//! stable pools, as the Vault's `querySwap` answers.
//!
//! [`WeightedPoolState`] and [`StablePoolState`] hold what a quote reads from chain and quote
//! exact-in and exact-out swaps through the same steps as the Vault and the pool: the Vault's
//! request checks, the swap fee (taken from an exact input rounding the fee up, added to a
//! computed input as `amount / (1 - fee)` rounding up), upscaling by each token's scaling factor
//! (rounding down), the pool's math, downscaling (down for outputs, up for inputs) and the Vault's
//! balance checks. A condition the contracts revert on is a [`BalancerError`] whose
//! [`BalancerError::code`] is the revert's `BAL#` code.
//!
//! The Solidity libraries are ported one module each, so their functions keep their names:
//! [`fixed_point`] (`FixedPoint.sol`), [`log_exp_math`] (`LogExpMath.sol`), [`weighted`]
//! (`WeightedMath.sol`) and [`stable`] (`StableMath.sol`). The sources are those of
//! `balancer/balancer-v2-monorepo` that the `@balancer-labs/v2-deployments` 3.2.0 tasks
//! `20230206-weighted-pool-v3` and `20230206-composable-stable-pool-v3` were built from (the
//! newest weighted and composable stable tasks in that package); the integration test checks
//! every quote against those pools' bytecode.
//!
//! ```
//! use alloy_primitives::U256;
//! use mev_swap_math::balancer::WeightedPoolState;
//!
//! let wad = U256::from(10u64).pow(U256::from(18));
//! // 80/20 pool of an 18-decimal token and a 6-decimal token, 1 % fee.
//! let pool = WeightedPoolState {
//!     balances: vec![U256::from(800) * wad, U256::from(200_000_000u64)],
//!     scaling_factors: vec![wad, wad * U256::from(1_000_000_000_000u64)],
//!     normalized_weights: vec![wad * U256::from(8) / U256::from(10), wad / U256::from(5)],
//!     swap_fee: wad / U256::from(100),
//! };
//! let out = pool.quote_exact_in(0, 1, wad)?; // 1 token in → about 0.99 units of token 1
//! assert!(out > U256::from(980_000) && out < U256::from(990_000));
//! let cost = pool.quote_exact_out(0, 1, out)?;
//! assert!(cost <= wad);
//! # Ok::<(), mev_swap_math::balancer::BalancerError>(())
//! ```

mod base_pool;
mod error;
pub mod fixed_point;
pub mod log_exp_math;
pub mod stable;
pub mod weighted;

pub use self::{error::BalancerError, stable::StablePoolState, weighted::WeightedPoolState};
