//! Aave V3 markets, v3.0.x from `@aave/core-v3` 1.19.3 and v3.6 compiled from
//! `@aave-dao/aave-v3-origin` 3.6.0: one market handle with user operations, price moves and
//! reads for both.

mod config;
mod deploy;
mod deploy_v3_6;
mod emode;
mod release;
mod steps;

use std::collections::{BTreeMap, BTreeSet};

use alloy_primitives::{Address, U256};
use alloy_rpc_types_eth::TransactionReceipt;

pub use self::{
    config::{AaveAssetConfig, AaveEModeConfig, AaveV3Config, BASE_CURRENCY_UNIT},
    emode::AaveEModeCategory,
    release::AaveRelease,
};
use crate::{
    Devnet, DevnetError, Result,
    bindings::{IAaveOracle, IAaveProtocolDataProvider as Dp, IERC20, IMintableERC20, IPool},
};

/// `interestRateMode` of a variable-rate borrow or repay.
const VARIABLE_RATE: u8 = 2;
/// ETH given to each user of [`AaveV3::open_positions`] for gas, in wei (100 ETH).
const USER_GAS_ETH: u128 = 100_000_000_000_000_000_000;

/// A deployed Aave V3 market, from [`Devnet::deploy_aave_v3`] (v3.0.x) or
/// [`Devnet::deploy_aave_v3_6`] (v3.6); [`AaveV3::release`] says which. The deployer is its pool
/// admin, treasury and the minter of its test tokens.
#[derive(Clone, Debug)]
pub struct AaveV3 {
    devnet: Devnet,
    release: AaveRelease,
    addresses: AaveV3Addresses,
    reserves: Vec<AaveReserve>,
}

/// Every contract of an [`AaveV3`] market.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AaveV3Addresses {
    /// `PoolAddressesProvider`.
    pub addresses_provider: Address,
    /// `ACLManager`.
    pub acl_manager: Address,
    /// The `Pool` proxy: where users supply, borrow and get liquidated, and where events come
    /// from.
    pub pool: Address,
    /// The `Pool` implementation behind the proxy.
    pub pool_implementation: Address,
    /// The `PoolConfigurator` proxy.
    pub pool_configurator: Address,
    /// The `PoolConfigurator` implementation.
    pub pool_configurator_implementation: Address,
    /// `AaveProtocolDataProvider`.
    pub data_provider: Address,
    /// `AaveOracle`.
    pub oracle: Address,
    /// The interest-rate strategy shared by all reserves: v3.0's
    /// `DefaultReserveInterestRateStrategy`, or v3.6's pool-wide
    /// `DefaultReserveInterestRateStrategyV2` (holding each reserve's parameters).
    pub interest_rate_strategy: Address,
    /// `AToken` implementation.
    pub a_token_implementation: Address,
    /// `VariableDebtToken` implementation.
    pub variable_debt_token_implementation: Address,
    /// `StableDebtToken` implementation; zero on v3.6, which has no stable debt.
    pub stable_debt_token_implementation: Address,
    /// The linked logic libraries by contract name (`SupplyLogic`, …).
    pub libraries: BTreeMap<String, Address>,
}

/// One listed reserve of an [`AaveV3`] market.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AaveReserve {
    /// Token symbol from the config.
    pub symbol: String,
    /// The underlying `MintableERC20`.
    pub asset: Address,
    /// The underlying's decimals.
    pub decimals: u8,
    /// The reserve's id in the pool (its index in the reserves list, and its bit in the user
    /// configuration and the v3.6 eMode bitmaps).
    pub id: u16,
    /// The reserve's aToken proxy.
    pub a_token: Address,
    /// The reserve's stable-debt token proxy; zero on v3.6, which has no stable debt.
    pub stable_debt_token: Address,
    /// The reserve's variable-debt token proxy.
    pub variable_debt_token: Address,
}

/// A user to set up with [`AaveV3::open_positions`]: amounts in the asset's smallest unit.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AavePosition {
    /// The user (any address; it is funded with ETH for gas and auto-impersonated).
    pub user: Address,
    /// `(asset, amount)` minted to the user and supplied.
    pub supplies: Vec<(Address, U256)>,
    /// `(asset, amount)` borrowed at the variable rate after the supplies.
    pub borrows: Vec<(Address, U256)>,
}

impl AaveV3 {
    pub(crate) const fn new(
        devnet: Devnet,
        release: AaveRelease,
        addresses: AaveV3Addresses,
        reserves: Vec<AaveReserve>,
    ) -> Self {
        Self { devnet, release, addresses, reserves }
    }

    /// Which Aave release the market runs.
    pub const fn release(&self) -> AaveRelease {
        self.release
    }

    /// Every contract address of the market.
    pub const fn addresses(&self) -> &AaveV3Addresses {
        &self.addresses
    }

    /// The `Pool` proxy.
    pub const fn pool(&self) -> Address {
        self.addresses.pool
    }

    /// The `AaveOracle`.
    pub const fn oracle(&self) -> Address {
        self.addresses.oracle
    }

    /// The `AaveProtocolDataProvider`.
    pub const fn data_provider(&self) -> Address {
        self.addresses.data_provider
    }

    /// The listed reserves, in config order.
    pub fn reserves(&self) -> &[AaveReserve] {
        &self.reserves
    }

    /// The reserve with this symbol.
    pub fn reserve(&self, symbol: &str) -> Option<&AaveReserve> {
        self.reserves.iter().find(|r| r.symbol == symbol)
    }

    /// The underlying asset with this symbol.
    ///
    /// # Errors
    /// [`DevnetError::InvalidInput`] when no reserve has the symbol.
    pub fn asset(&self, symbol: &str) -> Result<Address> {
        self.reserve(symbol).map(|r| r.asset).ok_or_else(|| DevnetError::InvalidInput {
            what: "AaveV3::asset",
            reason: format!("no reserve with symbol {symbol}"),
        })
    }

    /// `amount` of a reserve's asset in whole tokens: `units · 10^decimals`.
    ///
    /// # Errors
    /// [`DevnetError::UnknownReserve`].
    pub fn units(&self, asset: Address, units: u64) -> Result<U256> {
        let decimals = self.reserve_of(asset)?.decimals;
        Ok(U256::from(units) * U256::from(10u8).pow(U256::from(decimals)))
    }

    /// Mints `amount` of a reserve's test token to `to` (from the deployer).
    ///
    /// # Errors
    /// [`DevnetError::UnknownReserve`]; as [`Devnet::send`].
    pub async fn mint(
        &self,
        asset: Address,
        to: Address,
        amount: U256,
    ) -> Result<TransactionReceipt> {
        self.reserve_of(asset)?;
        let d = &self.devnet;
        d.send(d.deployer(), asset, &IMintableERC20::mintCall { account: to, value: amount }).await
    }

    /// Approves the pool for the maximum amount of `asset` held by `owner`.
    ///
    /// # Errors
    /// As [`Devnet::send`].
    pub async fn approve(&self, owner: Address, asset: Address) -> Result<TransactionReceipt> {
        self.devnet.approve(asset, owner, self.pool(), U256::MAX).await
    }

    /// `supply(asset, amount, user, 0)` from `user`, who must hold and have approved the amount.
    ///
    /// # Errors
    /// As [`Devnet::send`] (with the revert reason: v3.0's numeric error code, v3.6's custom
    /// error).
    pub async fn supply(
        &self,
        user: Address,
        asset: Address,
        amount: U256,
    ) -> Result<TransactionReceipt> {
        self.devnet.send(user, self.pool(), &supply_call(user, asset, amount)).await
    }

    /// Borrows `amount` of `asset` at the variable rate for `user`.
    ///
    /// # Errors
    /// As [`Devnet::send`].
    pub async fn borrow(
        &self,
        user: Address,
        asset: Address,
        amount: U256,
    ) -> Result<TransactionReceipt> {
        self.devnet.send(user, self.pool(), &borrow_call(user, asset, amount)).await
    }

    /// Repays `amount` (`U256::MAX` = all) of `user`'s variable debt in `asset`; `user` must hold
    /// and have approved it.
    ///
    /// # Errors
    /// As [`Devnet::send`].
    pub async fn repay(
        &self,
        user: Address,
        asset: Address,
        amount: U256,
    ) -> Result<TransactionReceipt> {
        let call = IPool::repayCall {
            asset,
            amount,
            interestRateMode: U256::from(VARIABLE_RATE),
            onBehalfOf: user,
        };
        self.devnet.send(user, self.pool(), &call).await
    }

    /// Withdraws `amount` (`U256::MAX` = all) of `asset` supplied by `user`, to `user`.
    ///
    /// # Errors
    /// As [`Devnet::send`].
    pub async fn withdraw(
        &self,
        user: Address,
        asset: Address,
        amount: U256,
    ) -> Result<TransactionReceipt> {
        self.devnet.send(user, self.pool(), &IPool::withdrawCall { asset, amount, to: user }).await
    }

    /// `liquidationCall` by `liquidator`, who must hold and have approved `debt_to_cover` of the
    /// debt asset.
    ///
    /// # Errors
    /// As [`Devnet::send`] (e.g. v3.0's `45` or v3.6's `HealthFactorNotBelowThreshold()`).
    pub async fn liquidation_call(
        &self,
        liquidator: Address,
        collateral_asset: Address,
        debt_asset: Address,
        user: Address,
        debt_to_cover: U256,
        receive_a_token: bool,
    ) -> Result<TransactionReceipt> {
        let call = IPool::liquidationCallCall {
            collateralAsset: collateral_asset,
            debtAsset: debt_asset,
            user,
            debtToCover: debt_to_cover,
            receiveAToken: receive_a_token,
        };
        self.devnet.send(liquidator, self.pool(), &call).await
    }

    /// Moves an asset's oracle price to `price` (base-currency units, 1e8 = $1): deploys a new
    /// `MockAggregator` answering it and points the oracle at it (`setAssetSources`). Returns the
    /// receipt of `setAssetSources` (with `AssetSourceUpdated`).
    ///
    /// # Errors
    /// [`DevnetError::UnknownReserve`]; as [`Devnet::send`].
    pub async fn set_price(&self, asset: Address, price: U256) -> Result<TransactionReceipt> {
        self.set_prices(&[(asset, price)]).await
    }

    /// Moves several prices in one `setAssetSources` (one block for all of them).
    ///
    /// # Errors
    /// As [`AaveV3::set_price`].
    pub async fn set_prices(&self, prices: &[(Address, U256)]) -> Result<TransactionReceipt> {
        let mut assets = Vec::with_capacity(prices.len());
        let mut sources = Vec::with_capacity(prices.len());
        for &(asset, price) in prices {
            self.reserve_of(asset)?;
            assets.push(asset);
            sources.push(self.devnet.deploy_mock_aggregator(self.release, price).await?);
        }
        let d = &self.devnet;
        d.send(d.deployer(), self.oracle(), &IAaveOracle::setAssetSourcesCall { assets, sources })
            .await
    }

    /// Sets up many users in a few blocks: funds each with ETH for gas, then in one
    /// [`TxBatch`](crate::TxBatch) mints and approves each supplied asset, supplies, and borrows.
    /// Returns every receipt in that order.
    ///
    /// # Errors
    /// [`DevnetError::UnknownReserve`]; as [`TxBatch::execute`](crate::TxBatch::execute) (e.g. a
    /// borrow above the user's borrowing power reverts).
    pub async fn open_positions(
        &self,
        positions: &[AavePosition],
    ) -> Result<Vec<TransactionReceipt>> {
        let d = &self.devnet;
        let pool = self.pool();
        let mut batch = d.batch();
        let mut approved = BTreeSet::new();
        for p in positions {
            d.set_balance(p.user, U256::from(USER_GAS_ETH)).await?;
            for &(asset, amount) in &p.supplies {
                self.reserve_of(asset)?;
                batch.push(
                    d.deployer(),
                    asset,
                    &IMintableERC20::mintCall { account: p.user, value: amount },
                );
                if approved.insert((p.user, asset)) {
                    batch.push(
                        p.user,
                        asset,
                        &IERC20::approveCall { spender: pool, value: U256::MAX },
                    );
                }
                batch.push(p.user, pool, &supply_call(p.user, asset, amount));
            }
            for &(asset, amount) in &p.borrows {
                self.reserve_of(asset)?;
                batch.push(p.user, pool, &borrow_call(p.user, asset, amount));
            }
        }
        batch.execute().await
    }

    /// `Pool.getUserAccountData(user)`: totals in base-currency units, liquidation threshold and
    /// LTV in basis points, health factor in WAD (1e18 = 1.0; `U256::MAX` without debt).
    ///
    /// # Errors
    /// As [`Devnet::call`].
    pub async fn user_account_data(
        &self,
        user: Address,
    ) -> Result<IPool::getUserAccountDataReturn> {
        self.devnet.call(self.pool(), &IPool::getUserAccountDataCall { user }).await
    }

    /// The data provider's `getUserReserveData(asset, user)`: balances in the asset's smallest
    /// unit, rates in RAY.
    ///
    /// # Errors
    /// As [`Devnet::call`].
    pub async fn user_reserve_data(
        &self,
        asset: Address,
        user: Address,
    ) -> Result<Dp::getUserReserveDataReturn> {
        self.devnet.call(self.data_provider(), &Dp::getUserReserveDataCall { asset, user }).await
    }

    /// The data provider's `getReserveConfigurationData(asset)`: risk parameters in basis points.
    ///
    /// # Errors
    /// As [`Devnet::call`].
    pub async fn reserve_configuration_data(
        &self,
        asset: Address,
    ) -> Result<Dp::getReserveConfigurationDataReturn> {
        self.devnet.call(self.data_provider(), &Dp::getReserveConfigurationDataCall { asset }).await
    }

    /// The data provider's `getReserveData(asset)`: totals, rates and indexes (RAY).
    ///
    /// # Errors
    /// As [`Devnet::call`].
    pub async fn reserve_data(&self, asset: Address) -> Result<Dp::getReserveDataReturn> {
        self.devnet.call(self.data_provider(), &Dp::getReserveDataCall { asset }).await
    }

    /// The pool's raw `getReserveData(asset)` (configuration bitmap, indexes, token addresses).
    ///
    /// # Errors
    /// As [`Devnet::call`].
    pub async fn pool_reserve_data(&self, asset: Address) -> Result<IPool::ReserveData> {
        self.devnet.call(self.pool(), &IPool::getReserveDataCall { asset }).await
    }

    /// Enables or disables `user`'s supply of `asset` as collateral
    /// (`setUserUseReserveAsCollateral`, sent by `user`). Aave enables a supply automatically
    /// unless the asset is isolated (a debt ceiling), its LTV is zero (in v3.6, also inside the
    /// user's eMode), or the user is in isolation mode; enabling an isolated asset needs no other
    /// collateral enabled.
    ///
    /// # Errors
    /// [`DevnetError::UnknownReserve`]; as [`Devnet::send`] (e.g. v3.6's
    /// `UserInIsolationModeOrLtvZero()`, or a health-factor error when disabling).
    pub async fn set_use_as_collateral(
        &self,
        user: Address,
        asset: Address,
        use_as_collateral: bool,
    ) -> Result<TransactionReceipt> {
        self.reserve_of(asset)?;
        let call =
            IPool::setUserUseReserveAsCollateralCall { asset, useAsCollateral: use_as_collateral };
        self.devnet.send(user, self.pool(), &call).await
    }

    /// The pool implementation's `POOL_REVISION()`: 1 on v3.0.x, 10 on v3.6 (see
    /// [`AaveRelease::pool_revision`]).
    ///
    /// # Errors
    /// As [`Devnet::call`].
    pub async fn pool_revision(&self) -> Result<U256> {
        self.devnet.call(self.pool(), &IPool::POOL_REVISIONCall {}).await
    }

    /// The data provider's `getLiquidationProtocolFee(asset)` in basis points of the
    /// liquidation bonus.
    ///
    /// # Errors
    /// As [`Devnet::call`].
    pub async fn liquidation_protocol_fee(&self, asset: Address) -> Result<U256> {
        self.devnet.call(self.data_provider(), &Dp::getLiquidationProtocolFeeCall { asset }).await
    }

    /// The data provider's `getDebtCeiling(asset)`: the isolation-mode debt ceiling in base
    /// currency with 2 decimals (0 = not isolated).
    ///
    /// # Errors
    /// As [`Devnet::call`].
    pub async fn debt_ceiling(&self, asset: Address) -> Result<U256> {
        self.devnet.call(self.data_provider(), &Dp::getDebtCeilingCall { asset }).await
    }

    /// `AaveOracle.getAssetPrice(asset)` in base-currency units (1e8 = $1).
    ///
    /// # Errors
    /// As [`Devnet::call`].
    pub async fn asset_price(&self, asset: Address) -> Result<U256> {
        self.devnet.call(self.oracle(), &IAaveOracle::getAssetPriceCall { asset }).await
    }

    fn reserve_of(&self, asset: Address) -> Result<&AaveReserve> {
        self.reserves.iter().find(|r| r.asset == asset).ok_or(DevnetError::UnknownReserve { asset })
    }
}

fn supply_call(user: Address, asset: Address, amount: U256) -> IPool::supplyCall {
    IPool::supplyCall { asset, amount, onBehalfOf: user, referralCode: 0 }
}

fn borrow_call(user: Address, asset: Address, amount: U256) -> IPool::borrowCall {
    IPool::borrowCall {
        asset,
        amount,
        interestRateMode: U256::from(VARIABLE_RATE),
        referralCode: 0,
        onBehalfOf: user,
    }
}
