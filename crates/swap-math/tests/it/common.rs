//! Helpers shared by the integration tests.

use alloy_primitives::U256;
use rand::{Rng, rngs::StdRng};

/// `n · 10^18`.
pub(crate) fn e18(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18))
}

/// A random amount whose bit length is uniform in `1..=max_bits` (log-uniform magnitude), at
/// least 1.
pub(crate) fn log_uniform(rng: &mut StdRng, max_bits: usize) -> U256 {
    let bits = rng.random_range(1..=max_bits);
    let raw = U256::from_limbs([rng.random(), rng.random(), rng.random(), rng.random()]);
    let masked = if bits >= 256 { raw } else { raw & ((U256::from(1) << bits) - U256::from(1)) };
    // Keep the top bit so the magnitude is what was drawn.
    (masked | (U256::from(1) << (bits - 1))).max(U256::from(1))
}

/// The seed of a randomized test: `MEV_SWAP_MATH_SEED` if set (to replay a failure), else
/// `default`. Printed so a failing run names it.
pub(crate) fn seed(default: u64) -> u64 {
    let seed =
        std::env::var("MEV_SWAP_MATH_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(default);
    println!("seed {seed} (replay with MEV_SWAP_MATH_SEED={seed})");
    seed
}
