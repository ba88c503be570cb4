//! Balancer V2 Vault events (`IVault`). Every Balancer V2 pool's balances live in the one Vault,
//! so these are emitted by the Vault and name the pool by its 32-byte pool id, whose first 20 bytes
//! are the pool's address.

use alloy_sol_types::sol;

use super::macros::protocol_events;

sol! {
    /// `Swap(bytes32 indexed poolId, IERC20 indexed tokenIn, IERC20 indexed tokenOut,
    /// uint256 amountIn, uint256 amountOut)`.
    #[derive(Debug, PartialEq, Eq, Hash)]
    event Swap(
        bytes32 indexed poolId,
        address indexed tokenIn,
        address indexed tokenOut,
        uint256 amountIn,
        uint256 amountOut
    );

    /// `PoolBalanceChanged(bytes32 indexed poolId, address indexed liquidityProvider,
    /// IERC20[] tokens, int256[] deltas, uint256[] protocolFeeAmounts)`: a join or exit.
    #[derive(Debug, PartialEq, Eq, Hash)]
    event PoolBalanceChanged(
        bytes32 indexed poolId,
        address indexed liquidityProvider,
        address[] tokens,
        int256[] deltas,
        uint256[] protocolFeeAmounts
    );
}

protocol_events! {
    /// An event emitted by the Balancer V2 Vault.
    pub enum BalancerV2Event => BalancerV2 {
        /// A swap in one pool.
        Swap(Swap) { poolId, tokenIn, tokenOut, amountIn, amountOut },
        /// A join or exit changing a pool's balances by signed deltas.
        PoolBalanceChanged(PoolBalanceChanged) {
            poolId, liquidityProvider, tokens, deltas, protocolFeeAmounts
        },
    }
}
