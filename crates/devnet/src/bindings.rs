//! Solidity interfaces of the deployed contracts, generated with `alloy_sol_types::sol!`.
//!
//! Each interface declares the subset of the contract's ABI the harness and its tests use; the
//! signatures match the npm artifacts (`@uniswap/v2-core` 1.0.1, `@uniswap/v3-core` 1.0.1,
//! `@uniswap/v3-periphery` 1.4.4, `@aave/core-v3` 1.19.3, Multicall3) and, for Aave v3.6, the
//! contracts compiled from `@aave-dao/aave-v3-origin` 3.6.0. The Aave interfaces without a
//! release suffix hold only functions whose ABI is the same in v3.0 and v3.6; the `…V3_6` ones
//! hold what v3.6 added or changed. Use them with
//! [`Devnet::call`](crate::Devnet::call), [`Devnet::send`](crate::Devnet::send) and
//! [`receipt_events`](crate::receipt_events).
//!
//! Uniswap V4's interfaces are in [`uniswap_v4_bindings`](crate::uniswap_v4_bindings).

use alloy_sol_types::sol;

sol! {
    /// ERC-20 as implemented by the test tokens (v2-core `ERC20`, Aave `MintableERC20`).
    #[derive(Debug, PartialEq, Eq)]
    interface IERC20 {
        event Transfer(address indexed from, address indexed to, uint256 value);
        event Approval(address indexed owner, address indexed spender, uint256 value);
        function totalSupply() external view returns (uint256);
        function balanceOf(address owner) external view returns (uint256);
        function allowance(address owner, address spender) external view returns (uint256);
        function decimals() external view returns (uint8);
        function transfer(address to, uint256 value) external returns (bool);
        function approve(address spender, uint256 value) external returns (bool);
        function transferFrom(address from, address to, uint256 value) external returns (bool);
    }

    /// Aave's `MintableERC20` mock: anyone may mint.
    #[derive(Debug, PartialEq, Eq)]
    interface IMintableERC20 {
        function mint(address account, uint256 value) external returns (bool);
    }

    /// Uniswap V2 factory (`@uniswap/v2-core` 1.0.1).
    #[derive(Debug, PartialEq, Eq)]
    interface IUniswapV2Factory {
        event PairCreated(address indexed token0, address indexed token1, address pair, uint256);
        function createPair(address tokenA, address tokenB) external returns (address pair);
        function getPair(address tokenA, address tokenB) external view returns (address pair);
        function allPairsLength() external view returns (uint256);
    }

    /// Uniswap V2 pair (`@uniswap/v2-core` 1.0.1); it is also the LP token (ERC-20).
    #[derive(Debug, PartialEq, Eq)]
    interface IUniswapV2Pair {
        event Mint(address indexed sender, uint256 amount0, uint256 amount1);
        event Burn(address indexed sender, uint256 amount0, uint256 amount1, address indexed to);
        event Swap(
            address indexed sender,
            uint256 amount0In,
            uint256 amount1In,
            uint256 amount0Out,
            uint256 amount1Out,
            address indexed to
        );
        event Sync(uint112 reserve0, uint112 reserve1);
        function token0() external view returns (address);
        function token1() external view returns (address);
        function getReserves()
            external
            view
            returns (uint112 reserve0, uint112 reserve1, uint32 blockTimestampLast);
        function totalSupply() external view returns (uint256);
        function balanceOf(address owner) external view returns (uint256);
        function transfer(address to, uint256 value) external returns (bool);
        function mint(address to) external returns (uint256 liquidity);
        function burn(address to) external returns (uint256 amount0, uint256 amount1);
        function swap(uint256 amount0Out, uint256 amount1Out, address to, bytes data) external;
        function sync() external;
    }

    /// Uniswap V3 factory (`@uniswap/v3-core` 1.0.1).
    #[derive(Debug, PartialEq, Eq)]
    interface IUniswapV3Factory {
        event PoolCreated(
            address indexed token0,
            address indexed token1,
            uint24 indexed fee,
            int24 tickSpacing,
            address pool
        );
        function createPool(address tokenA, address tokenB, uint24 fee)
            external
            returns (address pool);
        function getPool(address tokenA, address tokenB, uint24 fee)
            external
            view
            returns (address pool);
        function feeAmountTickSpacing(uint24 fee) external view returns (int24);
        function enableFeeAmount(uint24 fee, int24 tickSpacing) external;
    }

    /// Uniswap V3 pool (`@uniswap/v3-core` 1.0.1).
    #[derive(Debug, PartialEq, Eq)]
    interface IUniswapV3Pool {
        event Initialize(uint160 sqrtPriceX96, int24 tick);
        event Mint(
            address sender,
            address indexed owner,
            int24 indexed tickLower,
            int24 indexed tickUpper,
            uint128 amount,
            uint256 amount0,
            uint256 amount1
        );
        event Burn(
            address indexed owner,
            int24 indexed tickLower,
            int24 indexed tickUpper,
            uint128 amount,
            uint256 amount0,
            uint256 amount1
        );
        event Collect(
            address indexed owner,
            address recipient,
            int24 indexed tickLower,
            int24 indexed tickUpper,
            uint128 amount0,
            uint128 amount1
        );
        event Swap(
            address indexed sender,
            address indexed recipient,
            int256 amount0,
            int256 amount1,
            uint160 sqrtPriceX96,
            uint128 liquidity,
            int24 tick
        );
        function initialize(uint160 sqrtPriceX96) external;
        function token0() external view returns (address);
        function token1() external view returns (address);
        function fee() external view returns (uint24);
        function tickSpacing() external view returns (int24);
        function liquidity() external view returns (uint128);
        function slot0()
            external
            view
            returns (
                uint160 sqrtPriceX96,
                int24 tick,
                uint16 observationIndex,
                uint16 observationCardinality,
                uint16 observationCardinalityNext,
                uint8 feeProtocol,
                bool unlocked
            );
        function ticks(int24 tick)
            external
            view
            returns (
                uint128 liquidityGross,
                int128 liquidityNet,
                uint256 feeGrowthOutside0X128,
                uint256 feeGrowthOutside1X128,
                int56 tickCumulativeOutside,
                uint160 secondsPerLiquidityOutsideX128,
                uint32 secondsOutside,
                bool initialized
            );
        function tickBitmap(int16 wordPosition) external view returns (uint256);
    }

    /// Uniswap V3 `NonfungiblePositionManager` (`@uniswap/v3-periphery` 1.4.4).
    #[derive(Debug, PartialEq, Eq)]
    interface INonfungiblePositionManager {
        struct MintParams {
            address token0;
            address token1;
            uint24 fee;
            int24 tickLower;
            int24 tickUpper;
            uint256 amount0Desired;
            uint256 amount1Desired;
            uint256 amount0Min;
            uint256 amount1Min;
            address recipient;
            uint256 deadline;
        }
        struct DecreaseLiquidityParams {
            uint256 tokenId;
            uint128 liquidity;
            uint256 amount0Min;
            uint256 amount1Min;
            uint256 deadline;
        }
        struct CollectParams {
            uint256 tokenId;
            address recipient;
            uint128 amount0Max;
            uint128 amount1Max;
        }
        event IncreaseLiquidity(
            uint256 indexed tokenId,
            uint128 liquidity,
            uint256 amount0,
            uint256 amount1
        );
        event DecreaseLiquidity(
            uint256 indexed tokenId,
            uint128 liquidity,
            uint256 amount0,
            uint256 amount1
        );
        event Collect(uint256 indexed tokenId, address recipient, uint256 amount0, uint256 amount1);
        function mint(MintParams params)
            external
            payable
            returns (uint256 tokenId, uint128 liquidity, uint256 amount0, uint256 amount1);
        function decreaseLiquidity(DecreaseLiquidityParams params)
            external
            payable
            returns (uint256 amount0, uint256 amount1);
        function collect(CollectParams params)
            external
            payable
            returns (uint256 amount0, uint256 amount1);
        function positions(uint256 tokenId)
            external
            view
            returns (
                uint96 nonce,
                address operator,
                address token0,
                address token1,
                uint24 fee,
                int24 tickLower,
                int24 tickUpper,
                uint128 liquidity,
                uint256 feeGrowthInside0LastX128,
                uint256 feeGrowthInside1LastX128,
                uint128 tokensOwed0,
                uint128 tokensOwed1
            );
    }

    /// Uniswap V3 `SwapRouter` (`@uniswap/v3-periphery` 1.4.4).
    #[derive(Debug, PartialEq, Eq)]
    interface ISwapRouter {
        struct ExactInputSingleParams {
            address tokenIn;
            address tokenOut;
            uint24 fee;
            address recipient;
            uint256 deadline;
            uint256 amountIn;
            uint256 amountOutMinimum;
            uint160 sqrtPriceLimitX96;
        }
        function exactInputSingle(ExactInputSingleParams params)
            external
            payable
            returns (uint256 amountOut);
    }

    /// Uniswap V3 `QuoterV2` (`@uniswap/v3-periphery` 1.4.4). Its functions are not `view`
    /// (each runs the pool's swap and reverts in the callback) but answer an `eth_call`.
    #[derive(Debug, PartialEq, Eq)]
    interface IQuoterV2 {
        struct QuoteExactInputSingleParams {
            address tokenIn;
            address tokenOut;
            uint256 amountIn;
            uint24 fee;
            uint160 sqrtPriceLimitX96;
        }
        struct QuoteExactOutputSingleParams {
            address tokenIn;
            address tokenOut;
            uint256 amount;
            uint24 fee;
            uint160 sqrtPriceLimitX96;
        }
        function quoteExactInputSingle(QuoteExactInputSingleParams params)
            external
            returns (
                uint256 amountOut,
                uint160 sqrtPriceX96After,
                uint32 initializedTicksCrossed,
                uint256 gasEstimate
            );
        function quoteExactOutputSingle(QuoteExactOutputSingleParams params)
            external
            returns (
                uint256 amountIn,
                uint160 sqrtPriceX96After,
                uint32 initializedTicksCrossed,
                uint256 gasEstimate
            );
    }

    /// Aave V3 `PoolAddressesProvider` (`@aave/core-v3` 1.19.3).
    #[derive(Debug, PartialEq, Eq)]
    interface IPoolAddressesProvider {
        function getPool() external view returns (address);
        function getPoolConfigurator() external view returns (address);
        function getPriceOracle() external view returns (address);
        function getACLManager() external view returns (address);
        function getPoolDataProvider() external view returns (address);
        function setACLAdmin(address newAclAdmin) external;
        function setACLManager(address newAclManager) external;
        function setPoolImpl(address newPoolImpl) external;
        function setPoolConfiguratorImpl(address newPoolConfiguratorImpl) external;
        function setPoolDataProvider(address newDataProvider) external;
        function setPriceOracle(address newPriceOracle) external;
    }

    /// Aave V3 `ACLManager`.
    #[derive(Debug, PartialEq, Eq)]
    interface IACLManager {
        function addPoolAdmin(address admin) external;
        function addRiskAdmin(address admin) external;
        function isPoolAdmin(address admin) external view returns (bool);
    }

    /// Aave V3 `Pool`: the user operations, the account view and the events, with the same ABI
    /// in v3.0.x and v3.6 (v3.6's `getReserveData` returns this `ReserveData` layout as
    /// `ReserveDataLegacy`, its stable-debt fields zero).
    #[derive(Debug, PartialEq, Eq)]
    interface IPool {
        struct ReserveConfigurationMap {
            uint256 data;
        }
        struct ReserveData {
            ReserveConfigurationMap configuration;
            uint128 liquidityIndex;
            uint128 currentLiquidityRate;
            uint128 variableBorrowIndex;
            uint128 currentVariableBorrowRate;
            uint128 currentStableBorrowRate;
            uint40 lastUpdateTimestamp;
            uint16 id;
            address aTokenAddress;
            address stableDebtTokenAddress;
            address variableDebtTokenAddress;
            address interestRateStrategyAddress;
            uint128 accruedToTreasury;
            uint128 unbacked;
            uint128 isolationModeTotalDebt;
        }
        event Supply(
            address indexed reserve,
            address user,
            address indexed onBehalfOf,
            uint256 amount,
            uint16 indexed referralCode
        );
        event Withdraw(
            address indexed reserve,
            address indexed user,
            address indexed to,
            uint256 amount
        );
        event Borrow(
            address indexed reserve,
            address user,
            address indexed onBehalfOf,
            uint256 amount,
            uint8 interestRateMode,
            uint256 borrowRate,
            uint16 indexed referralCode
        );
        event Repay(
            address indexed reserve,
            address indexed user,
            address indexed repayer,
            uint256 amount,
            bool useATokens
        );
        event LiquidationCall(
            address indexed collateralAsset,
            address indexed debtAsset,
            address indexed user,
            uint256 debtToCover,
            uint256 liquidatedCollateralAmount,
            address liquidator,
            bool receiveAToken
        );
        event ReserveDataUpdated(
            address indexed reserve,
            uint256 liquidityRate,
            uint256 stableBorrowRate,
            uint256 variableBorrowRate,
            uint256 liquidityIndex,
            uint256 variableBorrowIndex
        );
        event ReserveUsedAsCollateralEnabled(address indexed reserve, address indexed user);
        event ReserveUsedAsCollateralDisabled(address indexed reserve, address indexed user);
        event UserEModeSet(address indexed user, uint8 categoryId);
        event IsolationModeTotalDebtUpdated(address indexed asset, uint256 totalDebt);
        function supply(address asset, uint256 amount, address onBehalfOf, uint16 referralCode)
            external;
        function withdraw(address asset, uint256 amount, address to) external returns (uint256);
        function borrow(
            address asset,
            uint256 amount,
            uint256 interestRateMode,
            uint16 referralCode,
            address onBehalfOf
        ) external;
        function repay(address asset, uint256 amount, uint256 interestRateMode, address onBehalfOf)
            external
            returns (uint256);
        function liquidationCall(
            address collateralAsset,
            address debtAsset,
            address user,
            uint256 debtToCover,
            bool receiveAToken
        ) external;
        function setUserUseReserveAsCollateral(address asset, bool useAsCollateral) external;
        function getUserAccountData(address user)
            external
            view
            returns (
                uint256 totalCollateralBase,
                uint256 totalDebtBase,
                uint256 availableBorrowsBase,
                uint256 currentLiquidationThreshold,
                uint256 ltv,
                uint256 healthFactor
            );
        function getReserveData(address asset) external view returns (ReserveData);
        function getReservesList() external view returns (address[]);
        function setUserEMode(uint8 categoryId) external;
        function getUserEMode(address user) external view returns (uint256);
        function ADDRESSES_PROVIDER() external view returns (address);
        function POOL_REVISION() external view returns (uint256);
    }

    /// What Aave v3.6's `Pool` adds: the v3.2+ eMode getters (per-category collateral,
    /// borrowable and LTV-zero bitmaps, bit `i` = the reserve with id `i`), the pool-wide rate
    /// strategy, reserve deficits and their events.
    #[derive(Debug, PartialEq, Eq)]
    interface IPoolV3_6 {
        struct CollateralConfig {
            uint16 ltv;
            uint16 liquidationThreshold;
            uint16 liquidationBonus;
        }
        event DeficitCreated(address indexed user, address indexed debtAsset, uint256 amountCreated);
        function getEModeCategoryCollateralConfig(uint8 id)
            external
            view
            returns (CollateralConfig);
        function getEModeCategoryLabel(uint8 id) external view returns (string);
        function getEModeCategoryCollateralBitmap(uint8 id) external view returns (uint128);
        function getEModeCategoryBorrowableBitmap(uint8 id) external view returns (uint128);
        function getEModeCategoryLtvzeroBitmap(uint8 id) external view returns (uint128);
        function RESERVE_INTEREST_RATE_STRATEGY() external view returns (address);
        function getReserveDeficit(address asset) external view returns (uint256);
        function getVirtualUnderlyingBalance(address asset) external view returns (uint128);
        function getReservesCount() external view returns (uint256);
    }

    /// Aave V3.0.x `PoolConfigurator`; every function but `initReserves` has the same ABI in
    /// v3.6.
    #[derive(Debug, PartialEq, Eq)]
    interface IPoolConfigurator {
        struct InitReserveInput {
            address aTokenImpl;
            address stableDebtTokenImpl;
            address variableDebtTokenImpl;
            uint8 underlyingAssetDecimals;
            address interestRateStrategyAddress;
            address underlyingAsset;
            address treasury;
            address incentivesController;
            string aTokenName;
            string aTokenSymbol;
            string variableDebtTokenName;
            string variableDebtTokenSymbol;
            string stableDebtTokenName;
            string stableDebtTokenSymbol;
            bytes params;
        }
        function initReserves(InitReserveInput[] input) external;
        function configureReserveAsCollateral(
            address asset,
            uint256 ltv,
            uint256 liquidationThreshold,
            uint256 liquidationBonus
        ) external;
        function setReserveBorrowing(address asset, bool enabled) external;
        function setReserveFactor(address asset, uint256 newReserveFactor) external;
        function setLiquidationProtocolFee(address asset, uint256 newFee) external;
        function setDebtCeiling(address asset, uint256 newDebtCeiling) external;
        function setBorrowableInIsolation(address asset, bool borrowable) external;
        function setSupplyCap(address asset, uint256 newSupplyCap) external;
        function setBorrowCap(address asset, uint256 newBorrowCap) external;
    }

    /// What Aave v3.6's `PoolConfigurator` changed: `initReserves` without stable debt (the
    /// rate strategy is the pool's; `interestRateData` is its per-reserve ABI-encoded
    /// [`IDefaultInterestRateStrategyV2::InterestRateData`]) and the v3.2+ eMode setters.
    #[derive(Debug, PartialEq, Eq)]
    interface IPoolConfiguratorV3_6 {
        struct InitReserveInput {
            address aTokenImpl;
            address variableDebtTokenImpl;
            address underlyingAsset;
            string aTokenName;
            string aTokenSymbol;
            string variableDebtTokenName;
            string variableDebtTokenSymbol;
            bytes params;
            bytes interestRateData;
        }
        function initReserves(InitReserveInput[] input) external;
        function setEModeCategory(
            uint8 categoryId,
            uint16 ltv,
            uint16 liquidationThreshold,
            uint16 liquidationBonus,
            string label
        ) external;
        function setAssetCollateralInEMode(address asset, uint8 categoryId, bool collateral)
            external;
        function setAssetBorrowableInEMode(address asset, uint8 categoryId, bool borrowable)
            external;
        function setAssetLtvzeroInEMode(address asset, uint8 categoryId, bool ltvzero) external;
        function setReserveLtvzero(address asset, bool ltvzero) external;
        function getPendingLtv(address asset) external view returns (uint256);
    }

    /// Aave v3.6's pool-wide `DefaultReserveInterestRateStrategyV2`: per-reserve parameters in
    /// basis points.
    #[derive(Debug, PartialEq, Eq)]
    interface IDefaultInterestRateStrategyV2 {
        struct InterestRateData {
            uint16 optimalUsageRatio;
            uint32 baseVariableBorrowRate;
            uint32 variableRateSlope1;
            uint32 variableRateSlope2;
        }
        function getInterestRateDataBps(address reserve)
            external
            view
            returns (InterestRateData);
    }

    /// Aave V3 `AaveOracle` (prices in the base currency, USD with 8 decimals here).
    #[derive(Debug, PartialEq, Eq)]
    interface IAaveOracle {
        event AssetSourceUpdated(address indexed asset, address indexed source);
        function setAssetSources(address[] assets, address[] sources) external;
        function getAssetPrice(address asset) external view returns (uint256);
        function getSourceOfAsset(address asset) external view returns (address);
        function BASE_CURRENCY_UNIT() external view returns (uint256);
    }

    /// Aave's `MockAggregator`: a Chainlink-style source with a fixed answer.
    #[derive(Debug, PartialEq, Eq)]
    interface IMockAggregator {
        function latestAnswer() external view returns (int256);
    }

    /// Aave V3 `AaveProtocolDataProvider`, the same ABI in v3.0.x and v3.6 (v3.6 returns zero
    /// for the stable-debt fields and `unbacked`).
    #[derive(Debug, PartialEq, Eq)]
    interface IAaveProtocolDataProvider {
        function getUserReserveData(address asset, address user)
            external
            view
            returns (
                uint256 currentATokenBalance,
                uint256 currentStableDebt,
                uint256 currentVariableDebt,
                uint256 principalStableDebt,
                uint256 scaledVariableDebt,
                uint256 stableBorrowRate,
                uint256 liquidityRate,
                uint40 stableRateLastUpdated,
                bool usageAsCollateralEnabled
            );
        function getReserveConfigurationData(address asset)
            external
            view
            returns (
                uint256 decimals,
                uint256 ltv,
                uint256 liquidationThreshold,
                uint256 liquidationBonus,
                uint256 reserveFactor,
                bool usageAsCollateralEnabled,
                bool borrowingEnabled,
                bool stableBorrowRateEnabled,
                bool isActive,
                bool isFrozen
            );
        function getReserveData(address asset)
            external
            view
            returns (
                uint256 unbacked,
                uint256 accruedToTreasuryScaled,
                uint256 totalAToken,
                uint256 totalStableDebt,
                uint256 totalVariableDebt,
                uint256 liquidityRate,
                uint256 variableBorrowRate,
                uint256 stableBorrowRate,
                uint256 averageStableBorrowRate,
                uint256 liquidityIndex,
                uint256 variableBorrowIndex,
                uint40 lastUpdateTimestamp
            );
        function getReserveTokensAddresses(address asset)
            external
            view
            returns (
                address aTokenAddress,
                address stableDebtTokenAddress,
                address variableDebtTokenAddress
            );
        function getLiquidationProtocolFee(address asset) external view returns (uint256);
        function getDebtCeiling(address asset) external view returns (uint256);
        function getReserveCaps(address asset)
            external
            view
            returns (uint256 borrowCap, uint256 supplyCap);
    }
}

/// Multicall3: alloy-provider's own bindings (`Call3`, `Result`, `aggregate3`, …).
pub use alloy_provider::bindings::IMulticall3;
