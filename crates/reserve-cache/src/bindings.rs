//! The pool reads [`RpcReserveSource`](crate::RpcReserveSource) makes, generated with
//! `alloy_sol_types::sol!`: Uniswap V2 `getReserves`, Uniswap V3 `slot0` and `liquidity`,
//! Balancer V2 `Vault.getPoolTokens`, Curve `balances(i)`.

#![allow(missing_docs, unreachable_pub)]

use alloy_sol_types::sol;

sol! {
    #[derive(Debug, PartialEq, Eq)]
    function getReserves() external view returns (uint112 reserve0, uint112 reserve1, uint32 blockTimestampLast);
    function slot0() external view returns (
        uint160 sqrtPriceX96, int24 tick, uint16 observationIndex, uint16 observationCardinality,
        uint16 observationCardinalityNext, uint8 feeProtocol, bool unlocked
    );
    function liquidity() external view returns (uint128);
    function getPoolTokens(bytes32 poolId) external view returns (address[] tokens, uint256[] balances, uint256 lastChangeBlock);
    function balances(uint256 i) external view returns (uint256);
}
