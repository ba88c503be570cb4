//! Compound v2 cToken and Comptroller events, shared by forks such as Moonwell (whose
//! `MToken` events have the same types, hence the same topic0). Amounts are in the underlying's
//! smallest units, except `mintTokens`, `redeemTokens`, `seizeTokens` and `Transfer.amount`, which
//! are cToken units (8 decimals on Compound).

use alloy_sol_types::sol;

use super::macros::protocol_events;

sol! {
    /// `Mint(address minter, uint mintAmount, uint mintTokens)`. Shares topic0 with the
    /// Uniswap V2 `Mint`, which has an indexed sender (two topics instead of one).
    #[derive(Debug, PartialEq, Eq, Hash)]
    event Mint(address minter, uint256 mintAmount, uint256 mintTokens);

    /// `Redeem(address redeemer, uint redeemAmount, uint redeemTokens)`.
    #[derive(Debug, PartialEq, Eq, Hash)]
    event Redeem(address redeemer, uint256 redeemAmount, uint256 redeemTokens);

    /// `Borrow(address borrower, uint borrowAmount, uint accountBorrows, uint totalBorrows)`.
    #[derive(Debug, PartialEq, Eq, Hash)]
    event Borrow(address borrower, uint256 borrowAmount, uint256 accountBorrows, uint256 totalBorrows);

    /// `RepayBorrow(address payer, address borrower, uint repayAmount, uint accountBorrows,
    /// uint totalBorrows)`.
    #[derive(Debug, PartialEq, Eq, Hash)]
    event RepayBorrow(
        address payer,
        address borrower,
        uint256 repayAmount,
        uint256 accountBorrows,
        uint256 totalBorrows
    );

    /// `LiquidateBorrow(address liquidator, address borrower, uint repayAmount,
    /// address cTokenCollateral, uint seizeTokens)` (Moonwell names the collateral
    /// `mTokenCollateral`; the ABI is the same).
    #[derive(Debug, PartialEq, Eq, Hash)]
    event LiquidateBorrow(
        address liquidator,
        address borrower,
        uint256 repayAmount,
        address cTokenCollateral,
        uint256 seizeTokens
    );

    /// `AccrueInterest(uint cashPrior, uint interestAccumulated, uint borrowIndex,
    /// uint totalBorrows)`; `borrowIndex` is a 1e18 mantissa.
    #[derive(Debug, PartialEq, Eq, Hash)]
    event AccrueInterest(
        uint256 cashPrior,
        uint256 interestAccumulated,
        uint256 borrowIndex,
        uint256 totalBorrows
    );

    /// `Transfer(address indexed from, address indexed to, uint amount)`: cTokens moved.
    /// Shares topic0 with the ERC-20 `Transfer`; only a registered cToken emitter makes a
    /// log decode as this.
    #[derive(Debug, PartialEq, Eq, Hash)]
    event Transfer(address indexed from, address indexed to, uint256 amount);

    /// Comptroller `MarketEntered(CToken cToken, address account)`.
    #[derive(Debug, PartialEq, Eq, Hash)]
    event MarketEntered(address cToken, address account);

    /// Comptroller `MarketExited(CToken cToken, address account)`.
    #[derive(Debug, PartialEq, Eq, Hash)]
    event MarketExited(address cToken, address account);
}

/// Events of cTokens deployed before Compound v2.3.
pub mod legacy {
    use alloy_sol_types::sol;

    sol! {
        /// `AccrueInterest(uint interestAccumulated, uint borrowIndex, uint totalBorrows)`.
        #[derive(Debug, PartialEq, Eq, Hash)]
        event AccrueInterest(uint256 interestAccumulated, uint256 borrowIndex, uint256 totalBorrows);
    }
}

protocol_events! {
    /// An event emitted by a Compound v2 cToken or Comptroller (or a fork such as Moonwell).
    pub enum CompoundV2Event => CompoundV2 {
        /// cTokens minted for supplied underlying.
        Mint(Mint) { minter, mintAmount, mintTokens },
        /// cTokens redeemed for underlying.
        Redeem(Redeem) { redeemer, redeemAmount, redeemTokens },
        /// Underlying borrowed.
        Borrow(Borrow) { borrower, borrowAmount, accountBorrows, totalBorrows },
        /// Borrow repaid.
        RepayBorrow(RepayBorrow) { payer, borrower, repayAmount, accountBorrows, totalBorrows },
        /// `borrower` liquidated in this (the borrowed) market.
        LiquidateBorrow(LiquidateBorrow) {
            liquidator, borrower, repayAmount, cTokenCollateral, seizeTokens
        },
        /// Interest accrued, current 4-field form.
        AccrueInterest(AccrueInterest) { cashPrior, interestAccumulated, borrowIndex, totalBorrows },
        /// Interest accrued, pre-v2.3 3-field form.
        AccrueInterestLegacy(legacy::AccrueInterest) {
            interestAccumulated, borrowIndex, totalBorrows
        },
        /// cTokens transferred (also emitted on mint, redeem and seize).
        Transfer(Transfer) { from, to, amount },
        /// `account` entered a market (Comptroller).
        MarketEntered(MarketEntered) { cToken, account },
        /// `account` exited a market (Comptroller).
        MarketExited(MarketExited) { cToken, account },
    }
}
