//! Deployment steps both Aave releases share: the addresses provider and ACL, the logic
//! libraries, the test tokens with their oracle, and each reserve's risk configuration (the
//! configurator functions used here have the same ABI in v3.0 and v3.6).

use std::collections::{BTreeMap, BTreeSet};

use alloy_primitives::{Address, I256, U256};
use alloy_sol_types::SolValue;

use super::{AaveRelease, AaveReserve, AaveV3Config};
use crate::{
    Devnet, DevnetError, Result,
    bindings::{
        IACLManager, IAaveProtocolDataProvider, IPool, IPoolAddressesProvider as Pap,
        IPoolConfigurator,
    },
};

const MOCK_AGGREGATOR: &str = "mocks/oracle/CLAggregators/MockAggregator.sol/MockAggregator.json";
const ADDRESSES_PROVIDER: &str =
    "protocol/configuration/PoolAddressesProvider.sol/PoolAddressesProvider.json";
const ACL_MANAGER: &str = "protocol/configuration/ACLManager.sol/ACLManager.json";
const ORACLE: &str = "misc/AaveOracle.sol/AaveOracle.json";
const MINTABLE_ERC20: &str = "mocks/tokens/MintableERC20.sol/MintableERC20.json";

/// Checks what both releases need of a config: at least one asset, unique symbols, and eMode
/// categories that name listed assets (with `ltvzero ⊆ collateral`, ids 1–255, each once).
pub(super) fn validate(config: &AaveV3Config, what: &'static str) -> Result<()> {
    let invalid = |reason: String| Err(DevnetError::InvalidInput { what, reason });
    if config.assets.is_empty() {
        return invalid("the config lists no asset".into());
    }
    let mut symbols = BTreeSet::new();
    for asset in &config.assets {
        if !symbols.insert(asset.symbol.as_str()) {
            return invalid(format!("asset symbol {} is listed twice", asset.symbol));
        }
    }
    let mut ids = BTreeSet::new();
    for category in &config.emode_categories {
        if category.id == 0 {
            return invalid("eMode category id 0 is reserved for \"no eMode\"".into());
        }
        if !ids.insert(category.id) {
            return invalid(format!("eMode category {} is listed twice", category.id));
        }
        let lists = [&category.collateral, &category.borrowable, &category.ltvzero];
        for symbol in lists.into_iter().flatten() {
            if !symbols.contains(symbol.as_str()) {
                return invalid(format!(
                    "eMode category {} names {symbol}, which is not an asset of the config",
                    category.id
                ));
            }
        }
        if let Some(symbol) = category.ltvzero.iter().find(|s| !category.collateral.contains(s)) {
            return invalid(format!(
                "eMode category {}: LTV-zero asset {symbol} must also be a collateral of the \
                 category",
                category.id
            ));
        }
    }
    Ok(())
}

impl Devnet {
    /// Deploys the artifact at `relative` of `release` with `libraries` and ABI-encoded `args`.
    pub(super) async fn deploy_aave(
        &self,
        release: AaveRelease,
        relative: &str,
        libraries: &BTreeMap<String, Address>,
        args: &[u8],
    ) -> Result<Address> {
        self.deploy_artifact(&release.artifact(relative), libraries, args).await
    }

    /// `PoolAddressesProvider(market_id, deployer)` and its `ACLManager`, the deployer ACL admin
    /// and pool admin. Returns `(provider, acl_manager)`.
    pub(super) async fn deploy_aave_provider_and_acl(
        &self,
        release: AaveRelease,
        market_id: &str,
    ) -> Result<(Address, Address)> {
        let me = self.deployer();
        let none = BTreeMap::new();
        let args = (market_id.to_owned(), me).abi_encode_params();
        let provider = self.deploy_aave(release, ADDRESSES_PROVIDER, &none, &args).await?;
        self.send(me, provider, &Pap::setACLAdminCall { newAclAdmin: me }).await?;
        let args = (provider,).abi_encode_params();
        let acl_manager = self.deploy_aave(release, ACL_MANAGER, &none, &args).await?;
        self.send(me, provider, &Pap::setACLManagerCall { newAclManager: acl_manager }).await?;
        self.send(me, acl_manager, &IACLManager::addPoolAdminCall { admin: me }).await?;
        Ok((provider, acl_manager))
    }

    /// Deploys the logic libraries `names` (from `protocol/libraries/logic/`) in order, each
    /// linked against the ones before it, and returns their addresses by name.
    pub(super) async fn deploy_aave_libraries(
        &self,
        release: AaveRelease,
        names: &[&str],
    ) -> Result<BTreeMap<String, Address>> {
        let mut libraries = BTreeMap::new();
        for name in names {
            let path = format!("protocol/libraries/logic/{name}.sol/{name}.json");
            let address = self.deploy_aave(release, &path, &libraries, &[]).await?;
            libraries.insert((*name).to_owned(), address);
        }
        Ok(libraries)
    }

    /// A `MintableERC20` and a `MockAggregator` per asset of `config`, then `AaveOracle` (USD
    /// base, unit 1e8) registered with the provider. Returns `(assets, oracle)`.
    pub(super) async fn deploy_aave_assets_and_oracle(
        &self,
        release: AaveRelease,
        provider: Address,
        config: &AaveV3Config,
    ) -> Result<(Vec<Address>, Address)> {
        let none = BTreeMap::new();
        let mut assets = Vec::with_capacity(config.assets.len());
        let mut sources = Vec::with_capacity(config.assets.len());
        for asset in &config.assets {
            let name = format!("Devnet {}", asset.symbol);
            // `uint8` encodes as one word, like `uint256`.
            let args = (name, asset.symbol.clone(), U256::from(asset.decimals)).abi_encode_params();
            assets.push(self.deploy_aave(release, MINTABLE_ERC20, &none, &args).await?);
            sources.push(self.deploy_mock_aggregator(release, asset.price).await?);
        }
        let oracle_args = (
            provider,
            assets.clone(),
            sources,
            Address::ZERO,
            Address::ZERO,
            U256::from(super::BASE_CURRENCY_UNIT),
        )
            .abi_encode_params();
        let oracle = self.deploy_aave(release, ORACLE, &none, &oracle_args).await?;
        let me = self.deployer();
        self.send(me, provider, &Pap::setPriceOracleCall { newPriceOracle: oracle }).await?;
        Ok((assets, oracle))
    }

    /// Configures each initialized reserve from its [`AaveAssetConfig`](super::AaveAssetConfig)
    /// (collateral parameters, borrowing, reserve factor, liquidation protocol fee, debt ceiling,
    /// borrowable in isolation) and reads back its tokens and id.
    pub(super) async fn configure_aave_reserves(
        &self,
        pool: Address,
        configurator: Address,
        data_provider: Address,
        config: &AaveV3Config,
        assets: &[Address],
    ) -> Result<Vec<AaveReserve>> {
        let me = self.deployer();
        let mut reserves = Vec::with_capacity(config.assets.len());
        for (asset, &underlying) in config.assets.iter().zip(assets) {
            if asset.ltv > 0 || asset.liquidation_threshold > 0 {
                let call = IPoolConfigurator::configureReserveAsCollateralCall {
                    asset: underlying,
                    ltv: U256::from(asset.ltv),
                    liquidationThreshold: U256::from(asset.liquidation_threshold),
                    liquidationBonus: U256::from(asset.liquidation_bonus),
                };
                self.send(me, configurator, &call).await?;
            }
            if asset.borrowing_enabled {
                let call =
                    IPoolConfigurator::setReserveBorrowingCall { asset: underlying, enabled: true };
                self.send(me, configurator, &call).await?;
            }
            if let Some(factor) = asset.reserve_factor {
                let call = IPoolConfigurator::setReserveFactorCall {
                    asset: underlying,
                    newReserveFactor: U256::from(factor),
                };
                self.send(me, configurator, &call).await?;
            }
            if let Some(fee) = asset.liquidation_protocol_fee {
                let call = IPoolConfigurator::setLiquidationProtocolFeeCall {
                    asset: underlying,
                    newFee: U256::from(fee),
                };
                self.send(me, configurator, &call).await?;
            }
            if let Some(ceiling) = asset.debt_ceiling.filter(|&c| c > 0) {
                let call = IPoolConfigurator::setDebtCeilingCall {
                    asset: underlying,
                    newDebtCeiling: U256::from(ceiling),
                };
                self.send(me, configurator, &call).await?;
            }
            if asset.borrowable_in_isolation {
                let call = IPoolConfigurator::setBorrowableInIsolationCall {
                    asset: underlying,
                    borrowable: true,
                };
                self.send(me, configurator, &call).await?;
            }
            let tokens = self
                .call(
                    data_provider,
                    &IAaveProtocolDataProvider::getReserveTokensAddressesCall { asset: underlying },
                )
                .await?;
            let id = self.call(pool, &IPool::getReserveDataCall { asset: underlying }).await?.id;
            reserves.push(AaveReserve {
                symbol: asset.symbol.clone(),
                asset: underlying,
                decimals: asset.decimals,
                id,
                a_token: tokens.aTokenAddress,
                stable_debt_token: tokens.stableDebtTokenAddress,
                variable_debt_token: tokens.variableDebtTokenAddress,
            });
        }
        Ok(reserves)
    }

    /// Deploys `release`'s `MockAggregator` answering `price` (base-currency units).
    pub(super) async fn deploy_mock_aggregator(
        &self,
        release: AaveRelease,
        price: U256,
    ) -> Result<Address> {
        let answer = I256::try_from(price).map_err(|_| DevnetError::InvalidInput {
            what: "MockAggregator price",
            reason: format!("{price} does not fit int256"),
        })?;
        let args = (answer,).abi_encode_params();
        self.deploy_aave(release, MOCK_AGGREGATOR, &BTreeMap::new(), &args).await
    }
}
