//! The subset of contract ABIs the adapters call, generated with `alloy_sol_types::sol!`: Aave V3
//! `Pool`, `PoolAddressesProvider`, `AaveProtocolDataProvider`, `AaveOracle`, and the Compound v2
//! comptroller, cToken and oracle.

#![allow(missing_docs, unreachable_pub)]

use alloy_sol_types::sol;

sol! {
    /// Aave V3 `Pool` (3.0–3.6): the reads and events the adapter uses.
    interface IAavePool {
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
        event Borrow(
            address indexed reserve,
            address user,
            address indexed onBehalfOf,
            uint256 amount,
            uint8 interestRateMode,
            uint256 borrowRate,
            uint16 indexed referralCode
        );
        function getReservesList() external view returns (address[] memory);
        function getReserveData(address asset) external view returns (ReserveData memory);
        function getUserEMode(address user) external view returns (uint256);
        function ADDRESSES_PROVIDER() external view returns (address);
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
    }

    /// Aave V3.0/3.1 eMode category data.
    interface IAavePoolEModeV30 {
        struct EModeCategory {
            uint16 ltv;
            uint16 liquidationThreshold;
            uint16 liquidationBonus;
            address priceSource;
            string label;
        }
        function getEModeCategoryData(uint8 id) external view returns (EModeCategory memory);
    }

    /// Aave V3.2+ eMode category data.
    interface IAavePoolEModeV32 {
        struct CollateralConfig {
            uint16 ltv;
            uint16 liquidationThreshold;
            uint16 liquidationBonus;
        }
        function getEModeCategoryCollateralConfig(uint8 id) external view returns (CollateralConfig memory);
        function getEModeCategoryCollateralBitmap(uint8 id) external view returns (uint128);
    }

    /// Aave V3.6+ eMode LTV-zero bitmap.
    interface IAavePoolEModeV36 {
        function getEModeCategoryLtvzeroBitmap(uint8 id) external view returns (uint128);
    }

    /// Views whose presence tells an Aave V3 pool's release apart
    /// ([`detect_aave_release`](crate::detect_aave_release)).
    interface IAavePoolRelease {
        /// The implementation's revision (a public constant on every release).
        function POOL_REVISION() external view returns (uint256);
        /// 3.1+: the liquidation grace period of a reserve.
        function getLiquidationGracePeriod(address asset) external view returns (uint40);
        /// 3.3+: the deficit (bad debt) of a reserve.
        function getReserveDeficit(address asset) external view returns (uint256);
        /// 3.4+: the pool-wide interest rate strategy.
        function RESERVE_INTEREST_RATE_STRATEGY() external view returns (address);
    }

    /// `PoolAddressesProvider`.
    interface IPoolAddressesProvider {
        function getPriceOracle() external view returns (address);
    }

    /// `AaveProtocolDataProvider`.
    interface IAaveDataProvider {
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
    }

    /// `AaveOracle`.
    interface IAaveOracle {
        function getAssetPrice(address asset) external view returns (uint256);
    }

    /// Compound v2 / Moonwell `Comptroller`.
    interface IComptroller {
        function getAllMarkets() external view returns (address[] memory);
        function getAssetsIn(address account) external view returns (address[] memory);
        function oracle() external view returns (address);
        function getAccountLiquidity(address account) external view returns (uint256, uint256, uint256);
    }

    /// The first two words of `Comptroller.markets(market)`, common to Compound
    /// (`isListed, collateralFactorMantissa, isComped`) and Moonwell (`isListed,
    /// collateralFactorMantissa`).
    interface IComptrollerMarkets {
        function markets(address market) external view returns (bool isListed, uint256 collateralFactorMantissa);
    }

    /// Compound v2 cToken / Moonwell mToken.
    interface ICToken {
        event Borrow(address borrower, uint256 borrowAmount, uint256 accountBorrows, uint256 totalBorrows);
        function getAccountSnapshot(address account) external view returns (uint256, uint256, uint256, uint256);
    }

    /// Compound v2 price oracle.
    interface ICompoundOracle {
        function getUnderlyingPrice(address cToken) external view returns (uint256);
    }
}
