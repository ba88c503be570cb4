//! Uniswap V2 pair events, shared by its forks (SushiSwap, Aerodrome's V2-style pools keep
//! different events and are not covered).

use alloy_sol_types::sol;

use super::macros::protocol_events;

sol! {
    /// `Swap(address indexed sender, uint amount0In, uint amount1In, uint amount0Out,
    /// uint amount1Out, address indexed to)`; amounts in the tokens' smallest units.
    #[derive(Debug, PartialEq, Eq, Hash)]
    event Swap(
        address indexed sender,
        uint256 amount0In,
        uint256 amount1In,
        uint256 amount0Out,
        uint256 amount1Out,
        address indexed to
    );

    /// `Mint(address indexed sender, uint amount0, uint amount1)`: liquidity added.
    /// Shares topic0 with the Compound cToken `Mint`, which has no indexed parameter.
    #[derive(Debug, PartialEq, Eq, Hash)]
    event Mint(address indexed sender, uint256 amount0, uint256 amount1);

    /// `Burn(address indexed sender, uint amount0, uint amount1, address indexed to)`:
    /// liquidity removed.
    #[derive(Debug, PartialEq, Eq, Hash)]
    event Burn(address indexed sender, uint256 amount0, uint256 amount1, address indexed to);

    /// `Sync(uint112 reserve0, uint112 reserve1)`: the pair's reserves after every change.
    #[derive(Debug, PartialEq, Eq, Hash)]
    event Sync(uint112 reserve0, uint112 reserve1);
}

protocol_events! {
    /// An event emitted by a Uniswap V2 pair (or a fork with the same ABI).
    pub enum UniswapV2Event => UniswapV2 {
        /// A swap through the pair.
        Swap(Swap) { sender, amount0In, amount1In, amount0Out, amount1Out, to },
        /// Liquidity added.
        Mint(Mint) { sender, amount0, amount1 },
        /// Liquidity removed.
        Burn(Burn) { sender, amount0, amount1, to },
        /// The pair's reserves after a change; this alone gives the new pool state.
        Sync(Sync) { reserve0, reserve1 },
    }
}
