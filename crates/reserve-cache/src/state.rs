//! What a pool is and what state of it the cache holds.

use std::collections::BTreeMap;

use alloy_primitives::{Address, B256, U256, aliases::I24, keccak256};
use alloy_sol_types::SolValue;
use mev_swap_math::{DYNAMIC_FEE_FLAG, V2Fee, V3State, V4State};

use crate::{BalancerPoolType, BalancerV2Pool};

/// Which kind of pool, with what the source needs to read it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PoolKind {
    /// A Uniswap V2 pair (or fork): `token0()`, `token1()`, `getReserves()`.
    UniswapV2 {
        /// The pair's swap fee (Uniswap and SushiSwap 997/1000; PancakeSwap 9975/10000).
        fee: V2Fee,
    },
    /// A Uniswap V3 pool (or fork): `slot0()`, `liquidity()`, `fee()`, `tickSpacing()`, the
    /// tokens, and the tick bitmap and initialized ticks `tick_words` bitmap words either side of
    /// the current tick's word (each word spans `256 × tickSpacing` ticks).
    UniswapV3 {
        /// Bitmap words loaded either side of the current one (0: the current word only).
        tick_words: u16,
    },
    /// A Uniswap V4 pool in the `PoolManager` singleton, read through the periphery's
    /// `StateView` by its `PoolId`: `getSlot0`, `getLiquidity`, then `getTickBitmap` for
    /// `tick_words` bitmap words either side of the current one and `getTickLiquidity` for every
    /// initialized tick found. The key (currencies, fee, tick spacing, hooks) is not on chain
    /// except in the pool's `Initialize` event, so it is given.
    UniswapV4 {
        /// The `PoolManager` singleton, which emits the pool's events.
        pool_manager: Address,
        /// The `StateView` lens of that `PoolManager`.
        state_view: Address,
        /// The pool's key.
        key: V4PoolKey,
        /// Bitmap words loaded either side of the current one (0: the current word only).
        tick_words: u16,
    },
    /// A Balancer V2 pool: `Vault.getPoolTokens(poolId)`, then what its `pool_type` quotes
    /// with (see [`BalancerPoolType`]).
    BalancerV2 {
        /// The Vault holding the pool's balances.
        vault: Address,
        /// The pool id (its first 20 bytes are the pool's address).
        pool_id: B256,
        /// The pool's type, which decides what is read and whether it quotes. The cache does
        /// not detect it: give it with [`PoolKey::balancer_v2_weighted`] or
        /// [`PoolKey::balancer_v2_composable_stable`].
        pool_type: BalancerPoolType,
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
    /// A Uniswap V2 pair with Uniswap's 0.3 % fee.
    #[must_use]
    pub const fn uniswap_v2(address: Address) -> Self {
        Self { address, kind: PoolKind::UniswapV2 { fee: V2Fee::UNISWAP } }
    }

    /// A pair of a Uniswap V2 fork with its own fee.
    #[must_use]
    pub const fn uniswap_v2_fork(address: Address, fee: V2Fee) -> Self {
        Self { address, kind: PoolKind::UniswapV2 { fee } }
    }

    /// A Uniswap V3 pool, its ticks loaded [`DEFAULT_TICK_WORDS`] bitmap words either side of
    /// the current price.
    #[must_use]
    pub const fn uniswap_v3(address: Address) -> Self {
        Self { address, kind: PoolKind::UniswapV3 { tick_words: DEFAULT_TICK_WORDS } }
    }

    /// A Uniswap V3 pool, its ticks loaded `tick_words` bitmap words either side of the
    /// current price (a word spans `256 × tickSpacing` ticks: ±15,360 ticks per word at
    /// spacing 60, a factor of 4.6 in price).
    #[must_use]
    pub const fn uniswap_v3_with_ticks(address: Address, tick_words: u16) -> Self {
        Self { address, kind: PoolKind::UniswapV3 { tick_words } }
    }

    /// A Balancer V2 pool of a type not given ([`BalancerPoolType::Other`]): its tokens and
    /// balances, kept by the Vault's events, not quotable. Its address is the pool id's first
    /// 20 bytes.
    #[must_use]
    pub fn balancer_v2(vault: Address, pool_id: B256) -> Self {
        Self::balancer_v2_of_type(vault, pool_id, BalancerPoolType::Other)
    }

    /// A Balancer V2 `WeightedPool`, quotable.
    #[must_use]
    pub fn balancer_v2_weighted(vault: Address, pool_id: B256) -> Self {
        Self::balancer_v2_of_type(vault, pool_id, BalancerPoolType::Weighted)
    }

    /// A Balancer V2 `ComposableStablePool`, quotable between its tokens (not its BPT).
    #[must_use]
    pub fn balancer_v2_composable_stable(vault: Address, pool_id: B256) -> Self {
        Self::balancer_v2_of_type(vault, pool_id, BalancerPoolType::ComposableStable)
    }

    /// A Balancer V2 pool of `pool_type`.
    #[must_use]
    pub fn balancer_v2_of_type(vault: Address, pool_id: B256, pool_type: BalancerPoolType) -> Self {
        Self {
            address: Address::from_slice(&pool_id[..20]),
            kind: PoolKind::BalancerV2 { vault, pool_id, pool_type },
        }
    }

    /// A Uniswap V4 pool of `pool_manager`, read through its `state_view`, its ticks loaded
    /// [`DEFAULT_TICK_WORDS`] bitmap words either side of the current price. Its address is its
    /// `PoolId`'s first 20 bytes ([`V4PoolKey::cache_address`]), as the decoder reports the
    /// `PoolManager`'s events.
    #[must_use]
    pub fn uniswap_v4(pool_manager: Address, state_view: Address, key: V4PoolKey) -> Self {
        Self::uniswap_v4_with_ticks(pool_manager, state_view, key, DEFAULT_TICK_WORDS)
    }

    /// A Uniswap V4 pool, its ticks loaded `tick_words` bitmap words either side of the
    /// current price (a word spans `256 × tickSpacing` ticks).
    #[must_use]
    pub fn uniswap_v4_with_ticks(
        pool_manager: Address,
        state_view: Address,
        key: V4PoolKey,
        tick_words: u16,
    ) -> Self {
        Self {
            address: key.cache_address(),
            kind: PoolKind::UniswapV4 { pool_manager, state_view, key, tick_words },
        }
    }

    /// A Curve pool with `n_coins` coins.
    #[must_use]
    pub const fn curve(address: Address, n_coins: u8) -> Self {
        Self { address, kind: PoolKind::Curve { n_coins } }
    }
}

/// A Uniswap V4 `PoolKey`: what identifies a pool in the `PoolManager`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct V4PoolKey {
    /// The lower currency (`Address::ZERO` for native ether).
    pub currency0: Address,
    /// The higher currency.
    pub currency1: Address,
    /// The LP fee in hundredths of a bip, or [`DYNAMIC_FEE_FLAG`] (`0x800000`) when the
    /// hooks set it.
    pub fee: u32,
    /// The tick spacing (1 to 32,767).
    pub tick_spacing: i32,
    /// The hooks contract (`Address::ZERO` for none); its address's lowest 14 bits are its
    /// permissions.
    pub hooks: Address,
}

impl V4PoolKey {
    /// `PoolIdLibrary.toId`: `keccak256(abi.encode(currency0, currency1, fee, tickSpacing,
    /// hooks))`.
    #[must_use]
    pub fn id(&self) -> B256 {
        let fee = alloy_primitives::aliases::U24::saturating_from(self.fee);
        let spacing = I24::try_from(self.tick_spacing).unwrap_or_default();
        keccak256((self.currency0, self.currency1, fee, spacing, self.hooks).abi_encode())
    }

    /// The address the cache and the decoder key the pool by: its id's first 20 bytes.
    #[must_use]
    pub fn cache_address(&self) -> Address {
        Address::from_slice(&self.id()[..20])
    }

    /// Whether the hooks set the LP fee ([`DYNAMIC_FEE_FLAG`]).
    #[must_use]
    pub const fn is_dynamic_fee(&self) -> bool {
        self.fee == DYNAMIC_FEE_FLAG
    }
}

/// Bitmap words [`PoolKey::uniswap_v3`] loads either side of the current tick's word.
pub const DEFAULT_TICK_WORDS: u16 = 2;

/// The state of one pool, as its contract reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PoolState {
    /// A Uniswap V2 pair: tokens, reserves (smallest units, each fits in 112 bits) and fee.
    UniswapV2 {
        /// The pair's token0.
        token0: Address,
        /// The pair's token1.
        token1: Address,
        /// Reserve of token0.
        reserve0: U256,
        /// Reserve of token1.
        reserve1: U256,
        /// The swap fee (from the [`PoolKind`]).
        fee: V2Fee,
    },
    /// A Uniswap V3 pool: everything a swap reads.
    UniswapV3(Box<V3Pool>),
    /// A Uniswap V4 pool: everything a swap reads.
    UniswapV4(Box<V4Pool>),
    /// A Balancer V2 pool: registered tokens, balances (smallest units) and, by pool type,
    /// what its swap math reads.
    BalancerV2(Box<BalancerV2Pool>),
    /// Curve coin balances (smallest units), by coin index.
    Curve {
        /// The balance of each coin.
        balances: Vec<U256>,
    },
}

impl PoolState {
    /// The tokens a swap through the pool can go between: a Uniswap pool's two (for V4 the
    /// currencies, `Address::ZERO` for native ether), a Balancer pool's registered tokens less
    /// a composable stable pool's own BPT; none for Curve (the cache keeps its balances by
    /// coin index only).
    #[must_use]
    pub fn swap_tokens(&self) -> Vec<Address> {
        match self {
            Self::UniswapV2 { token0, token1, .. } => vec![*token0, *token1],
            Self::UniswapV3(v3) => vec![v3.token0, v3.token1],
            Self::UniswapV4(v4) => vec![v4.currency0, v4.currency1],
            Self::BalancerV2(b) => {
                let bpt = b.bpt_index();
                b.tokens
                    .iter()
                    .enumerate()
                    .filter(|&(i, _)| Some(i) != bpt)
                    .map(|(_, t)| *t)
                    .collect()
            }
            Self::Curve { .. } => Vec::new(),
        }
    }

    /// How many seconds after its block's timestamp the state stays what a swap computes with
    /// when no event changes it; `None` when time alone never changes it. Balancer composable
    /// stable pools depend on time ([`BalancerV2Pool::valid_for`]); a Uniswap V4 dynamic-fee
    /// pool's LP fee changes whenever its hooks call `updateDynamicLPFee`, which emits no
    /// event, so its state holds for its block only (`Some(0)`).
    #[must_use]
    pub fn valid_for(&self) -> Option<u64> {
        match self {
            Self::BalancerV2(pool) => pool.valid_for(),
            Self::UniswapV4(pool) if pool.state.key_fee == DYNAMIC_FEE_FLAG => Some(0),
            _ => None,
        }
    }
}

/// A Uniswap V3 pool's tokens and swap state, with the `liquidityGross` of every initialized
/// tick (which decides, on a `Burn`, whether the tick stays initialized).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V3Pool {
    /// The pool's token0.
    pub token0: Address,
    /// The pool's token1.
    pub token1: Address,
    /// Price, tick, in-range liquidity, fee, tick spacing and the initialized ticks'
    /// `liquidityNet` within [`V3State::loaded_range`].
    pub state: V3State,
    /// `liquidityGross` of each tick in [`V3State::ticks`] (same keys).
    pub liquidity_gross: BTreeMap<i32, u128>,
}

/// A Uniswap V4 pool's id, currencies and swap state, with the `liquidityGross` of every
/// initialized tick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V4Pool {
    /// The `PoolId`.
    pub id: B256,
    /// The key's currency0 (`Address::ZERO` for native ether).
    pub currency0: Address,
    /// The key's currency1.
    pub currency1: Address,
    /// Price, tick, liquidity, LP fee (`slot0.lpFee`), protocol fee, tick spacing, hooks and
    /// the initialized ticks' `liquidityNet` within the loaded range.
    pub state: V4State,
    /// `liquidityGross` of each tick in the state's tick map (same keys).
    pub liquidity_gross: BTreeMap<i32, u128>,
}

/// A pool's state at a block.
#[derive(Debug, Clone, PartialEq, Eq)]
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
