//! Deploying an Aave V3.0.x market from `@aave/core-v3` 1.19.3.

use std::collections::BTreeMap;

use alloy_primitives::{Address, Bytes, U256};
use alloy_sol_types::SolValue;

use super::{AaveReserve, AaveV3, AaveV3Addresses, AaveV3Config};
use crate::{
    Devnet, DevnetError, Result,
    bindings::{
        IACLManager, IAaveProtocolDataProvider, IPoolAddressesProvider as Pap, IPoolConfigurator,
    },
};

/// Artifact folder of `@aave/core-v3`, under `node_modules`.
const ROOT: &str = "@aave/core-v3/artifacts/contracts/";
pub(super) const MOCK_AGGREGATOR: &str =
    "mocks/oracle/CLAggregators/MockAggregator.sol/MockAggregator.json";
const ADDRESSES_PROVIDER: &str =
    "protocol/configuration/PoolAddressesProvider.sol/PoolAddressesProvider.json";
const ACL_MANAGER: &str = "protocol/configuration/ACLManager.sol/ACLManager.json";
const POOL: &str = "protocol/pool/Pool.sol/Pool.json";
const POOL_CONFIGURATOR: &str = "protocol/pool/PoolConfigurator.sol/PoolConfigurator.json";
const A_TOKEN: &str = "protocol/tokenization/AToken.sol/AToken.json";
const VARIABLE_DEBT_TOKEN: &str =
    "protocol/tokenization/VariableDebtToken.sol/VariableDebtToken.json";
const STABLE_DEBT_TOKEN: &str = "protocol/tokenization/StableDebtToken.sol/StableDebtToken.json";
const RATE_STRATEGY: &str =
    "protocol/pool/DefaultReserveInterestRateStrategy.sol/DefaultReserveInterestRateStrategy.json";
const ORACLE: &str = "misc/AaveOracle.sol/AaveOracle.json";
const DATA_PROVIDER: &str = "misc/AaveProtocolDataProvider.sol/AaveProtocolDataProvider.json";
const MINTABLE_ERC20: &str = "mocks/tokens/MintableERC20.sol/MintableERC20.json";
/// Logic libraries linked into `Pool` and `PoolConfigurator`; `FlashLoanLogic` links `BorrowLogic`, so it
/// comes last.
const LIBRARIES: [&str; 8] = [
    "SupplyLogic",
    "BorrowLogic",
    "LiquidationLogic",
    "EModeLogic",
    "BridgeLogic",
    "PoolLogic",
    "ConfiguratorLogic",
    "FlashLoanLogic",
];

/// The path of an `@aave/core-v3` artifact under `node_modules`.
pub(super) fn aave_artifact(relative: &str) -> String {
    format!("{ROOT}{relative}")
}

/// 1e27 scaled: `ray(80, 2)` = 0.80 RAY.
fn ray(value: u64, decimals: u32) -> U256 {
    U256::from(value) * U256::from(10u8).pow(U256::from(27 - decimals))
}

impl Devnet {
    /// Deploys an Aave V3.0.x market with the reserves of `config`: `PoolAddressesProvider`,
    /// `ACLManager` (the deployer is ACL admin and pool admin), the logic libraries, `Pool` and
    /// `PoolConfigurator` behind their proxies, `AaveProtocolDataProvider`, a `MintableERC20` and a
    /// `MockAggregator` per asset, `AaveOracle` (USD base, unit 1e8), the aToken and debt-token
    /// implementations, one `DefaultReserveInterestRateStrategy`, then `initReserves`,
    /// `configureReserveAsCollateral` and `setReserveBorrowing` per asset.
    ///
    /// # Errors
    /// [`DevnetError::InvalidInput`] for an empty config; artifact and transaction errors.
    pub async fn deploy_aave_v3(&self, config: &AaveV3Config) -> Result<AaveV3> {
        if config.assets.is_empty() {
            return Err(DevnetError::InvalidInput {
                what: "Devnet::deploy_aave_v3",
                reason: "the config lists no asset".into(),
            });
        }
        let me = self.deployer();
        let none = BTreeMap::new();
        let deploy = |path: &str, libs: &BTreeMap<String, Address>, args: Vec<u8>| {
            let path = aave_artifact(path);
            let libs = libs.clone();
            async move { self.deploy_artifact(&path, &libs, &args).await }
        };

        // 1. Addresses provider and ACL.
        let provider =
            deploy(ADDRESSES_PROVIDER, &none, (config.market_id.clone(), me).abi_encode_params())
                .await?;
        self.send(me, provider, &Pap::setACLAdminCall { newAclAdmin: me }).await?;
        let acl_manager = deploy(ACL_MANAGER, &none, (provider,).abi_encode_params()).await?;
        self.send(me, provider, &Pap::setACLManagerCall { newAclManager: acl_manager }).await?;
        self.send(me, acl_manager, &IACLManager::addPoolAdminCall { admin: me }).await?;

        // 2. Libraries, then Pool and PoolConfigurator behind proxies.
        let mut libraries = BTreeMap::new();
        for name in LIBRARIES {
            let path = format!("protocol/libraries/logic/{name}.sol/{name}.json");
            let address = deploy(&path, &libraries, Vec::new()).await?;
            libraries.insert(name.to_owned(), address);
        }
        let pool_implementation = deploy(POOL, &libraries, (provider,).abi_encode_params()).await?;
        self.send(me, provider, &Pap::setPoolImplCall { newPoolImpl: pool_implementation }).await?;
        let pool = self.call(provider, &Pap::getPoolCall {}).await?;
        let pool_configurator_implementation =
            deploy(POOL_CONFIGURATOR, &libraries, Vec::new()).await?;
        self.send(
            me,
            provider,
            &Pap::setPoolConfiguratorImplCall {
                newPoolConfiguratorImpl: pool_configurator_implementation,
            },
        )
        .await?;
        let pool_configurator = self.call(provider, &Pap::getPoolConfiguratorCall {}).await?;
        let data_provider = deploy(DATA_PROVIDER, &none, (provider,).abi_encode_params()).await?;
        self.send(me, provider, &Pap::setPoolDataProviderCall { newDataProvider: data_provider })
            .await?;

        // 3. Assets, their price sources and the oracle.
        let mut assets = Vec::with_capacity(config.assets.len());
        let mut sources = Vec::with_capacity(config.assets.len());
        for asset in &config.assets {
            let name = format!("Devnet {}", asset.symbol);
            // `uint8` encodes as one word, like `uint256`.
            let args = (name, asset.symbol.clone(), U256::from(asset.decimals)).abi_encode_params();
            assets.push(deploy(MINTABLE_ERC20, &none, args).await?);
            sources.push(self.deploy_mock_aggregator(asset.price).await?);
        }
        let oracle_args = (
            provider,
            assets.clone(),
            sources.clone(),
            Address::ZERO,
            Address::ZERO,
            U256::from(super::BASE_CURRENCY_UNIT),
        )
            .abi_encode_params();
        let oracle = deploy(ORACLE, &none, oracle_args).await?;
        self.send(me, provider, &Pap::setPriceOracleCall { newPriceOracle: oracle }).await?;

        // 4. Token implementations, rate strategy, reserves.
        let a_token_implementation = deploy(A_TOKEN, &none, (pool,).abi_encode_params()).await?;
        let variable_debt_token_implementation =
            deploy(VARIABLE_DEBT_TOKEN, &none, (pool,).abi_encode_params()).await?;
        let stable_debt_token_implementation =
            deploy(STABLE_DEBT_TOKEN, &none, (pool,).abi_encode_params()).await?;
        let strategy_args = (
            provider,
            ray(80, 2), // optimal usage ratio
            U256::ZERO, // base variable borrow rate
            ray(4, 2),  // variable slope 1
            ray(75, 2), // variable slope 2
            ray(2, 2),  // stable slope 1
            ray(75, 2), // stable slope 2
            ray(2, 2),  // base stable rate offset
            ray(5, 2),  // stable rate excess offset
            ray(20, 2), // optimal stable-to-total debt ratio
        )
            .abi_encode_params();
        let interest_rate_strategy = deploy(RATE_STRATEGY, &none, strategy_args).await?;
        let inputs = config
            .assets
            .iter()
            .zip(&assets)
            .map(|(asset, &underlying)| IPoolConfigurator::InitReserveInput {
                aTokenImpl: a_token_implementation,
                stableDebtTokenImpl: stable_debt_token_implementation,
                variableDebtTokenImpl: variable_debt_token_implementation,
                underlyingAssetDecimals: asset.decimals,
                interestRateStrategyAddress: interest_rate_strategy,
                underlyingAsset: underlying,
                treasury: me,
                incentivesController: Address::ZERO,
                aTokenName: format!("Aave Devnet {}", asset.symbol),
                aTokenSymbol: format!("a{}", asset.symbol),
                variableDebtTokenName: format!("Aave Devnet Variable Debt {}", asset.symbol),
                variableDebtTokenSymbol: format!("variableDebt{}", asset.symbol),
                stableDebtTokenName: format!("Aave Devnet Stable Debt {}", asset.symbol),
                stableDebtTokenSymbol: format!("stableDebt{}", asset.symbol),
                params: Bytes::new(),
            })
            .collect();
        self.send(me, pool_configurator, &IPoolConfigurator::initReservesCall { input: inputs })
            .await?;
        let mut reserves = Vec::with_capacity(config.assets.len());
        for (asset, &underlying) in config.assets.iter().zip(&assets) {
            if asset.ltv > 0 || asset.liquidation_threshold > 0 {
                self.send(
                    me,
                    pool_configurator,
                    &IPoolConfigurator::configureReserveAsCollateralCall {
                        asset: underlying,
                        ltv: U256::from(asset.ltv),
                        liquidationThreshold: U256::from(asset.liquidation_threshold),
                        liquidationBonus: U256::from(asset.liquidation_bonus),
                    },
                )
                .await?;
            }
            if asset.borrowing_enabled {
                self.send(
                    me,
                    pool_configurator,
                    &IPoolConfigurator::setReserveBorrowingCall {
                        asset: underlying,
                        enabled: true,
                    },
                )
                .await?;
            }
            let tokens = self
                .call(
                    data_provider,
                    &IAaveProtocolDataProvider::getReserveTokensAddressesCall { asset: underlying },
                )
                .await?;
            reserves.push(AaveReserve {
                symbol: asset.symbol.clone(),
                asset: underlying,
                decimals: asset.decimals,
                a_token: tokens.aTokenAddress,
                stable_debt_token: tokens.stableDebtTokenAddress,
                variable_debt_token: tokens.variableDebtTokenAddress,
            });
        }

        let addresses = AaveV3Addresses {
            addresses_provider: provider,
            acl_manager,
            pool,
            pool_implementation,
            pool_configurator,
            pool_configurator_implementation,
            data_provider,
            oracle,
            interest_rate_strategy,
            a_token_implementation,
            variable_debt_token_implementation,
            stable_debt_token_implementation,
            libraries,
        };
        Ok(AaveV3::new(self.clone(), addresses, reserves))
    }

    /// Deploys an Aave `MockAggregator` answering `price` (base-currency units).
    pub(super) async fn deploy_mock_aggregator(&self, price: U256) -> Result<Address> {
        let answer =
            alloy_primitives::I256::try_from(price).map_err(|_| DevnetError::InvalidInput {
                what: "MockAggregator price",
                reason: format!("{price} does not fit int256"),
            })?;
        self.deploy_artifact(
            &aave_artifact(MOCK_AGGREGATOR),
            &BTreeMap::new(),
            &(answer,).abi_encode_params(),
        )
        .await
    }
}
