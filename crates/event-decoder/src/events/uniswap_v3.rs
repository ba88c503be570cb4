//! Uniswap V3 pool events (`IUniswapV3PoolEvents`), shared by its forks.

use alloy_sol_types::sol;

use super::macros::protocol_events;

sol! {
    /// `Initialize(uint160 sqrtPriceX96, int24 tick)`: the pool's first price.
    #[derive(Debug, PartialEq, Eq, Hash)]
    event Initialize(uint160 sqrtPriceX96, int24 tick);

    /// `Mint(address sender, address indexed owner, int24 indexed tickLower,
    /// int24 indexed tickUpper, uint128 amount, uint256 amount0, uint256 amount1)`.
    #[derive(Debug, PartialEq, Eq, Hash)]
    event Mint(
        address sender,
        address indexed owner,
        int24 indexed tickLower,
        int24 indexed tickUpper,
        uint128 amount,
        uint256 amount0,
        uint256 amount1
    );

    /// `Collect(address indexed owner, address recipient, int24 indexed tickLower,
    /// int24 indexed tickUpper, uint128 amount0, uint128 amount1)`: fees collected.
    #[derive(Debug, PartialEq, Eq, Hash)]
    event Collect(
        address indexed owner,
        address recipient,
        int24 indexed tickLower,
        int24 indexed tickUpper,
        uint128 amount0,
        uint128 amount1
    );

    /// `Burn(address indexed owner, int24 indexed tickLower, int24 indexed tickUpper,
    /// uint128 amount, uint256 amount0, uint256 amount1)`.
    #[derive(Debug, PartialEq, Eq, Hash)]
    event Burn(
        address indexed owner,
        int24 indexed tickLower,
        int24 indexed tickUpper,
        uint128 amount,
        uint256 amount0,
        uint256 amount1
    );

    /// `Swap(address indexed sender, address indexed recipient, int256 amount0,
    /// int256 amount1, uint160 sqrtPriceX96, uint128 liquidity, int24 tick)`: the pool's
    /// price, active liquidity and tick after the swap.
    #[derive(Debug, PartialEq, Eq, Hash)]
    event Swap(
        address indexed sender,
        address indexed recipient,
        int256 amount0,
        int256 amount1,
        uint160 sqrtPriceX96,
        uint128 liquidity,
        int24 tick
    );
}

protocol_events! {
    /// An event emitted by a Uniswap V3 pool (or a fork with the same ABI).
    pub enum UniswapV3Event => UniswapV3 {
        /// A swap; carries the new `sqrtPriceX96`, `liquidity` and `tick`.
        Swap(Swap) { sender, recipient, amount0, amount1, sqrtPriceX96, liquidity, tick },
        /// Liquidity added to a tick range.
        Mint(Mint) { sender, owner, tickLower, tickUpper, amount, amount0, amount1 },
        /// Liquidity removed from a tick range.
        Burn(Burn) { owner, tickLower, tickUpper, amount, amount0, amount1 },
        /// Fees and burned amounts collected.
        Collect(Collect) { owner, recipient, tickLower, tickUpper, amount0, amount1 },
        /// The pool's first price.
        Initialize(Initialize) { sqrtPriceX96, tick },
    }
}
