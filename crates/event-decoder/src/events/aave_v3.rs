//! Aave V3 Pool events (`IPool`), shared by its forks such as Seamless. Amounts are in the
//! reserve asset's smallest units; rates and indexes are RAY (1e27).

use alloy_sol_types::sol;

use super::macros::protocol_events;

sol! {
    /// `Supply(address indexed reserve, address user, address indexed onBehalfOf,
    /// uint256 amount, uint16 indexed referralCode)`.
    #[derive(Debug, PartialEq, Eq, Hash)]
    event Supply(
        address indexed reserve,
        address user,
        address indexed onBehalfOf,
        uint256 amount,
        uint16 indexed referralCode
    );

    /// `Withdraw(address indexed reserve, address indexed user, address indexed to,
    /// uint256 amount)`.
    #[derive(Debug, PartialEq, Eq, Hash)]
    event Withdraw(
        address indexed reserve,
        address indexed user,
        address indexed to,
        uint256 amount
    );

    /// `Borrow(address indexed reserve, address user, address indexed onBehalfOf,
    /// uint256 amount, uint8 interestRateMode, uint256 borrowRate,
    /// uint16 indexed referralCode)`; `interestRateMode` 1 = stable, 2 = variable.
    #[derive(Debug, PartialEq, Eq, Hash)]
    event Borrow(
        address indexed reserve,
        address user,
        address indexed onBehalfOf,
        uint256 amount,
        uint8 interestRateMode,
        uint256 borrowRate,
        uint16 indexed referralCode
    );

    /// `Repay(address indexed reserve, address indexed user, address indexed repayer,
    /// uint256 amount, bool useATokens)`.
    #[derive(Debug, PartialEq, Eq, Hash)]
    event Repay(
        address indexed reserve,
        address indexed user,
        address indexed repayer,
        uint256 amount,
        bool useATokens
    );

    /// `LiquidationCall(address indexed collateralAsset, address indexed debtAsset,
    /// address indexed user, uint256 debtToCover, uint256 liquidatedCollateralAmount,
    /// address liquidator, bool receiveAToken)`.
    #[derive(Debug, PartialEq, Eq, Hash)]
    event LiquidationCall(
        address indexed collateralAsset,
        address indexed debtAsset,
        address indexed user,
        uint256 debtToCover,
        uint256 liquidatedCollateralAmount,
        address liquidator,
        bool receiveAToken
    );

    /// `ReserveUsedAsCollateralEnabled(address indexed reserve, address indexed user)`.
    #[derive(Debug, PartialEq, Eq, Hash)]
    event ReserveUsedAsCollateralEnabled(address indexed reserve, address indexed user);

    /// `ReserveUsedAsCollateralDisabled(address indexed reserve, address indexed user)`.
    #[derive(Debug, PartialEq, Eq, Hash)]
    event ReserveUsedAsCollateralDisabled(address indexed reserve, address indexed user);

    /// `ReserveDataUpdated(address indexed reserve, uint256 liquidityRate,
    /// uint256 stableBorrowRate, uint256 variableBorrowRate, uint256 liquidityIndex,
    /// uint256 variableBorrowIndex)`: the reserve's new rates and indexes (RAY).
    #[derive(Debug, PartialEq, Eq, Hash)]
    event ReserveDataUpdated(
        address indexed reserve,
        uint256 liquidityRate,
        uint256 stableBorrowRate,
        uint256 variableBorrowRate,
        uint256 liquidityIndex,
        uint256 variableBorrowIndex
    );

    /// `FlashLoan(address indexed target, address initiator, address indexed asset,
    /// uint256 amount, uint8 interestRateMode, uint256 premium, uint16 indexed referralCode)`.
    #[derive(Debug, PartialEq, Eq, Hash)]
    event FlashLoan(
        address indexed target,
        address initiator,
        address indexed asset,
        uint256 amount,
        uint8 interestRateMode,
        uint256 premium,
        uint16 indexed referralCode
    );

    /// `UserEModeSet(address indexed user, uint8 categoryId)`.
    #[derive(Debug, PartialEq, Eq, Hash)]
    event UserEModeSet(address indexed user, uint8 categoryId);

    /// `AssetSourceUpdated(address indexed asset, address indexed source)`, emitted by the
    /// market's `AaveOracle` when an asset gets a new price source (its price may jump).
    #[derive(Debug, PartialEq, Eq, Hash)]
    event AssetSourceUpdated(address indexed asset, address indexed source);
}

protocol_events! {
    /// An event emitted by an Aave V3 Pool (or a fork such as Seamless).
    pub enum AaveV3Event => AaveV3 {
        /// Collateral supplied for `onBehalfOf`.
        Supply(Supply) { reserve, user, onBehalfOf, amount, referralCode },
        /// Collateral withdrawn by `user`.
        Withdraw(Withdraw) { reserve, user, to, amount },
        /// Debt taken for `onBehalfOf`.
        Borrow(Borrow) {
            reserve, user, onBehalfOf, amount, interestRateMode, borrowRate, referralCode
        },
        /// Debt of `user` repaid.
        Repay(Repay) { reserve, user, repayer, amount, useATokens },
        /// `user` liquidated.
        LiquidationCall(LiquidationCall) {
            collateralAsset, debtAsset, user, debtToCover, liquidatedCollateralAmount,
            liquidator, receiveAToken
        },
        /// `user` enabled a reserve as collateral.
        ReserveUsedAsCollateralEnabled(ReserveUsedAsCollateralEnabled) { reserve, user },
        /// `user` disabled a reserve as collateral.
        ReserveUsedAsCollateralDisabled(ReserveUsedAsCollateralDisabled) { reserve, user },
        /// A reserve's rates and indexes changed.
        ReserveDataUpdated(ReserveDataUpdated) {
            reserve, liquidityRate, stableBorrowRate, variableBorrowRate, liquidityIndex,
            variableBorrowIndex
        },
        /// A flash loan.
        FlashLoan(FlashLoan) {
            target, initiator, asset, amount, interestRateMode, premium, referralCode
        },
        /// `user` changed eMode category.
        UserEModeSet(UserEModeSet) { user, categoryId },
        /// The `AaveOracle` gave `asset` a new price source.
        AssetSourceUpdated(AssetSourceUpdated) { asset, source },
    }
}
