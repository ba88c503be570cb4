//! Uniswap V4 `PoolManager` events (`IPoolManager`, `IProtocolFees` of v4-core 1.0.2). Every V4
//! pool lives in the one `PoolManager` singleton, so these are emitted by the manager and name the
//! pool by its 32-byte `PoolId` (`keccak256(abi.encode(poolKey))`).
//!
//! [`StateChange::Pool`](crate::StateChange::Pool) reports a V4 pool under the address made of
//! its id's first 20 bytes, as the reserve cache keys it.

use alloy_sol_types::sol;

use super::macros::protocol_events;

sol! {
    /// `Initialize(bytes32 indexed id, address indexed currency0, address indexed currency1,
    /// uint24 fee, int24 tickSpacing, address hooks, uint160 sqrtPriceX96, int24 tick)`: a new
    /// pool and its first price. `fee` is the key's (`0x800000` for a dynamic fee).
    #[derive(Debug, PartialEq, Eq, Hash)]
    event Initialize(
        bytes32 indexed id,
        address indexed currency0,
        address indexed currency1,
        uint24 fee,
        int24 tickSpacing,
        address hooks,
        uint160 sqrtPriceX96,
        int24 tick
    );

    /// `ModifyLiquidity(bytes32 indexed id, address indexed sender, int24 tickLower,
    /// int24 tickUpper, int256 liquidityDelta, bytes32 salt)`: liquidity added (positive delta)
    /// or removed over a tick range.
    #[derive(Debug, PartialEq, Eq, Hash)]
    event ModifyLiquidity(
        bytes32 indexed id,
        address indexed sender,
        int24 tickLower,
        int24 tickUpper,
        int256 liquidityDelta,
        bytes32 salt
    );

    /// `Swap(bytes32 indexed id, address indexed sender, int128 amount0, int128 amount1,
    /// uint160 sqrtPriceX96, uint128 liquidity, int24 tick, uint24 fee)`: the pool's price,
    /// active liquidity and tick after the swap, and the swap fee it charged (LP and protocol,
    /// hundredths of a bip). Amounts are the swapper's deltas: negative is paid into the pool.
    #[derive(Debug, PartialEq, Eq, Hash)]
    event Swap(
        bytes32 indexed id,
        address indexed sender,
        int128 amount0,
        int128 amount1,
        uint160 sqrtPriceX96,
        uint128 liquidity,
        int24 tick,
        uint24 fee
    );

    /// `Donate(bytes32 indexed id, address indexed sender, uint256 amount0, uint256 amount1)`:
    /// fees donated to in-range liquidity (price and liquidity unchanged).
    #[derive(Debug, PartialEq, Eq, Hash)]
    event Donate(bytes32 indexed id, address indexed sender, uint256 amount0, uint256 amount1);

    /// `ProtocolFeeUpdated(bytes32 indexed id, uint24 protocolFee)`: the pool's protocol fee,
    /// two 12-bit fees in pips (zero-for-one in the low bits, one-for-zero in the high).
    #[derive(Debug, PartialEq, Eq, Hash)]
    event ProtocolFeeUpdated(bytes32 indexed id, uint24 protocolFee);
}

protocol_events! {
    /// An event emitted by the Uniswap V4 `PoolManager`.
    pub enum UniswapV4Event => UniswapV4 {
        /// A swap; carries the new `sqrtPriceX96`, `liquidity` and `tick`, and the fee charged.
        Swap(Swap) { id, sender, amount0, amount1, sqrtPriceX96, liquidity, tick, fee },
        /// Liquidity added or removed over a tick range.
        ModifyLiquidity(ModifyLiquidity) {
            id, sender, tickLower, tickUpper, liquidityDelta, salt
        },
        /// A new pool.
        Initialize(Initialize) {
            id, currency0, currency1, fee, tickSpacing, hooks, sqrtPriceX96, tick
        },
        /// A donation to in-range liquidity.
        Donate(Donate) { id, sender, amount0, amount1 },
        /// The pool's protocol fee changed.
        ProtocolFeeUpdated(ProtocolFeeUpdated) { id, protocolFee },
    }
}

impl UniswapV4Event {
    /// The `PoolId` the event is about.
    #[must_use]
    pub const fn pool_id(&self) -> alloy_primitives::B256 {
        match self {
            Self::Swap(e) => e.id,
            Self::ModifyLiquidity(e) => e.id,
            Self::Initialize(e) => e.id,
            Self::Donate(e) => e.id,
            Self::ProtocolFeeUpdated(e) => e.id,
        }
    }
}
