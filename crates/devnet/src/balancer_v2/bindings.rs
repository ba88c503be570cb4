//! Solidity interfaces of the Balancer V2 contracts the harness drives: the subset of each ABI in
//! `@balancer-labs/v2-deployments` 3.2.0 (`dist/tasks/<task>/artifact/<Contract>.json`) that it
//! uses.

use alloy_sol_types::sol;

sol! {
    /// Balancer V2 `Vault` (task `20210418-vault`).
    #[derive(Debug, PartialEq, Eq)]
    interface IBalancerVault {
        /// `GIVEN_IN` = 0 (exact input), `GIVEN_OUT` = 1 (exact output).
        enum SwapKind { GIVEN_IN, GIVEN_OUT }

        struct SingleSwap {
            bytes32 poolId;
            SwapKind kind;
            address assetIn;
            address assetOut;
            uint256 amount;
            bytes userData;
        }

        struct FundManagement {
            address sender;
            bool fromInternalBalance;
            address recipient;
            bool toInternalBalance;
        }

        struct JoinPoolRequest {
            address[] assets;
            uint256[] maxAmountsIn;
            bytes userData;
            bool fromInternalBalance;
        }

        event Swap(
            bytes32 indexed poolId,
            address indexed tokenIn,
            address indexed tokenOut,
            uint256 amountIn,
            uint256 amountOut
        );

        function swap(
            SingleSwap singleSwap,
            FundManagement funds,
            uint256 limit,
            uint256 deadline
        ) external payable returns (uint256 amountCalculated);
        function joinPool(
            bytes32 poolId,
            address sender,
            address recipient,
            JoinPoolRequest request
        ) external payable;
        function getPoolTokens(bytes32 poolId)
            external
            view
            returns (address[] tokens, uint256[] balances, uint256 lastChangeBlock);
        function getProtocolFeesCollector() external view returns (address);
    }

    /// `BalancerQueries` (task `20220721-balancer-queries`): the Vault's query functions with
    /// single results.
    #[derive(Debug, PartialEq, Eq)]
    interface IBalancerQueries {
        function querySwap(
            IBalancerVault.SingleSwap singleSwap,
            IBalancerVault.FundManagement funds
        ) external returns (uint256);
    }

    /// The 2021 `Authorizer` (task `20210418-authorizer`): role-based access control.
    #[derive(Debug, PartialEq, Eq)]
    interface IBalancerAuthorizer {
        function grantRole(bytes32 role, address account) external;
    }

    /// The Vault's `ProtocolFeesCollector`, which holds the protocol swap fee percentage.
    #[derive(Debug, PartialEq, Eq)]
    interface IProtocolFeesCollector {
        function getActionId(bytes4 selector) external view returns (bytes32);
        function setSwapFeePercentage(uint256 newSwapFeePercentage) external;
        function getSwapFeePercentage() external view returns (uint256);
    }

    /// `WeightedPoolFactory` (task `20230206-weighted-pool-v3`).
    #[derive(Debug, PartialEq, Eq)]
    interface IWeightedPoolFactory {
        event PoolCreated(address indexed pool);
        function create(
            string name,
            string symbol,
            address[] tokens,
            uint256[] normalizedWeights,
            address[] rateProviders,
            uint256 swapFeePercentage,
            address owner
        ) external returns (address);
    }

    /// `ComposableStablePoolFactory` (task `20230206-composable-stable-pool-v3`).
    #[derive(Debug, PartialEq, Eq)]
    interface IComposableStablePoolFactory {
        event PoolCreated(address indexed pool);
        function create(
            string name,
            string symbol,
            address[] tokens,
            uint256 amplificationParameter,
            address[] rateProviders,
            uint256[] tokenRateCacheDurations,
            bool[] exemptFromYieldProtocolFeeFlags,
            uint256 swapFeePercentage,
            address owner
        ) external returns (address);
    }

    /// What `WeightedPool` and `ComposableStablePool` (v3 tasks) have in common, plus each one's
    /// own readers and owner actions.
    #[derive(Debug, PartialEq, Eq)]
    interface IBalancerPool {
        function getPoolId() external view returns (bytes32);
        function getScalingFactors() external view returns (uint256[]);
        function getSwapFeePercentage() external view returns (uint256);
        function setSwapFeePercentage(uint256 swapFeePercentage) external;
        function updateProtocolFeePercentageCache() external;
        function getProtocolFeePercentageCache(uint256 feeType) external view returns (uint256);
        function totalSupply() external view returns (uint256);
        function balanceOf(address account) external view returns (uint256);
        // WeightedPool
        function getNormalizedWeights() external view returns (uint256[]);
        // ComposableStablePool
        function getBptIndex() external view returns (uint256);
        function getAmplificationParameter()
            external
            view
            returns (uint256 value, bool isUpdating, uint256 precision);
        function startAmplificationParameterUpdate(uint256 rawEndValue, uint256 endTime) external;
        function getTokenRate(address token) external view returns (uint256);
        function updateTokenRateCache(address token) external;
    }
}
