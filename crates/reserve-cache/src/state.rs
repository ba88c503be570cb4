//! What a pool is and what state of it the cache holds.

use alloy_primitives::{
    Address, B256, U256,
    aliases::{I24, U160},
};

/// Which kind of pool, with what the source needs to read it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PoolKind {
    /// A Uniswap V2 pair (or fork): `getReserves()`.
    UniswapV2,
    /// A Uniswap V3 pool (or fork): `slot0()` and `liquidity()`.
    UniswapV3,
    /// A Balancer V2 pool, read from the Vault with `getPoolTokens(poolId)`.
    BalancerV2 {
        /// The Vault holding the pool's balances.
        vault: Address,
        /// The pool id (its first 20 bytes are the pool's address).
        pool_id: B256,
    },
    /// A Curve StableSwap pool with `n_coins` coins: `balances(i)` for each.
    Curve {
        /// Number of coins (2–8).
        n_coins: u8,
    },
}

/// A pool to cache: its address (the key) and its kind.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PoolKey {
    /// The pool's address. For Balancer V2 this is the pool contract, whose events come from
    /// the Vault; the decoder reports Balancer changes under this address too.
    pub address: Address,
    /// What kind of pool it is.
    pub kind: PoolKind,
}

impl PoolKey {
    /// A Uniswap V2 pair.
    #[must_use]
    pub const fn uniswap_v2(address: Address) -> Self {
        Self { address, kind: PoolKind::UniswapV2 }
    }

    /// A Uniswap V3 pool.
    #[must_use]
    pub const fn uniswap_v3(address: Address) -> Self {
        Self { address, kind: PoolKind::UniswapV3 }
    }

    /// A Balancer V2 pool; its address is the pool id's first 20 bytes.
    #[must_use]
    pub fn balancer_v2(vault: Address, pool_id: B256) -> Self {
        Self {
            address: Address::from_slice(&pool_id[..20]),
            kind: PoolKind::BalancerV2 { vault, pool_id },
        }
    }

    /// A Curve pool with `n_coins` coins.
    #[must_use]
    pub const fn curve(address: Address, n_coins: u8) -> Self {
        Self { address, kind: PoolKind::Curve { n_coins } }
    }
}

/// The state of one pool, as its contract reports it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PoolState {
    /// Uniswap V2 reserves, in the tokens' smallest units (each fits in 112 bits).
    UniswapV2 {
        /// Reserve of token0.
        reserve0: U256,
        /// Reserve of token1.
        reserve1: U256,
    },
    /// Uniswap V3 price, tick and in-range liquidity.
    UniswapV3 {
        /// √(token1/token0) as a Q64.96 fixed-point number.
        sqrt_price_x96: U160,
        /// The current tick.
        tick: i32,
        /// Liquidity in range at the current tick.
        liquidity: u128,
    },
    /// Balancer V2 tokens and balances (smallest units), in the Vault's order.
    BalancerV2 {
        /// The pool's tokens.
        tokens: Vec<Address>,
        /// The balance of each token.
        balances: Vec<U256>,
    },
    /// Curve coin balances (smallest units), by coin index.
    Curve {
        /// The balance of each coin.
        balances: Vec<U256>,
    },
}

/// A pool's state at a block.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PoolSnapshot {
    /// The pool.
    pub pool: Address,
    /// The block whose end state this is.
    pub block: u64,
    /// The state.
    pub state: PoolState,
}

/// A 24-bit tick as `i32`, sign-extended (no fallible conversion).
pub(crate) fn tick_i32(tick: I24) -> i32 {
    let [a, b, c] = tick.to_be_bytes::<3>();
    i32::from_be_bytes([a, b, c, 0]) >> 8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_sign_extension() {
        for t in [-887_272, -1, 0, 1, 887_272, -(1 << 23), (1 << 23) - 1] {
            assert_eq!(tick_i32(I24::try_from(t).unwrap()), t);
        }
    }
}
