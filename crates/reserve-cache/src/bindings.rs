//! The pool reads [`RpcReserveSource`](crate::RpcReserveSource) makes, generated with
//! `alloy_sol_types::sol!`: Uniswap V2 `getReserves` and the tokens, Uniswap V3 `slot0`,
//! `liquidity`, `fee`, `tickSpacing`, the tokens, `tickBitmap` and `ticks`,
//! Balancer V2 `Vault.getPoolTokens` and the weighted and composable stable pools' getters
//! (scaling factors, fee, weights, amplification, BPT index, rate providers and rate caches,
//! and a rate provider's `getRate`), Curve `balances(i)`, Uniswap V4 `StateView` getters.

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
    function fee() external view returns (uint24);
    function tickSpacing() external view returns (int24);
    function token0() external view returns (address);
    function token1() external view returns (address);
    function tickBitmap(int16 wordPosition) external view returns (uint256);
    function ticks(int24 tick) external view returns (
        uint128 liquidityGross, int128 liquidityNet, uint256 feeGrowthOutside0X128,
        uint256 feeGrowthOutside1X128, int56 tickCumulativeOutside,
        uint160 secondsPerLiquidityOutsideX128, uint32 secondsOutside, bool initialized
    );
    function getPoolTokens(bytes32 poolId) external view returns (address[] tokens, uint256[] balances, uint256 lastChangeBlock);
    function getScalingFactors() external view returns (uint256[]);
    function getSwapFeePercentage() external view returns (uint256);
    function getNormalizedWeights() external view returns (uint256[]);
    function getAmplificationParameter() external view returns (uint256 value, bool isUpdating, uint256 precision);
    function getBptIndex() external view returns (uint256);
    function getRateProviders() external view returns (address[]);
    function getTokenRateCache(address token) external view returns (uint256 rate, uint256 oldRate, uint256 duration, uint256 expires);
    function getRate() external view returns (uint256);
    function balances(uint256 i) external view returns (uint256);

    /// Uniswap V4 `StateView` (v4-periphery 1.0.3), reading the `PoolManager`'s pools by id.
    interface IStateView {
        function getSlot0(bytes32 poolId) external view returns (uint160 sqrtPriceX96, int24 tick, uint24 protocolFee, uint24 lpFee);
        function getLiquidity(bytes32 poolId) external view returns (uint128 liquidity);
        function getTickBitmap(bytes32 poolId, int16 tick) external view returns (uint256 tickBitmap);
        function getTickLiquidity(bytes32 poolId, int24 tick) external view returns (uint128 liquidityGross, int128 liquidityNet);
    }
}
