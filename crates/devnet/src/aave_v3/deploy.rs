//! Deploying an Aave V3.0.x market from `@aave/core-v3` 1.19.3.

use std::collections::BTreeMap;

use alloy_primitives::{Address, Bytes, U256};
use alloy_sol_types::SolValue;

use super::{AaveRelease, AaveV3, AaveV3Addresses, AaveV3Config, steps};
use crate::{
    Devnet, DevnetError, Result,
    bindings::{IPoolAddressesProvider as Pap, IPoolConfigurator},
};

const RELEASE: AaveRelease = AaveRelease::V3_0;
const POOL: &str = "protocol/pool/Pool.sol/Pool.json";
const POOL_CONFIGURATOR: &str = "protocol/pool/PoolConfigurator.sol/PoolConfigurator.json";
const A_TOKEN: &str = "protocol/tokenization/AToken.sol/AToken.json";
const VARIABLE_DEBT_TOKEN: &str =
    "protocol/tokenization/VariableDebtToken.sol/VariableDebtToken.json";
const STABLE_DEBT_TOKEN: &str = "protocol/tokenization/StableDebtToken.sol/StableDebtToken.json";
const RATE_STRATEGY: &str =
    "protocol/pool/DefaultReserveInterestRateStrategy.sol/DefaultReserveInterestRateStrategy.json";
const DATA_PROVIDER: &str = "misc/AaveProtocolDataProvider.sol/AaveProtocolDataProvider.json";
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
    /// `configureReserveAsCollateral` and `setReserveBorrowing` per asset, plus the optional
    /// reserve factor, liquidation protocol fee, debt ceiling and borrowable-in-isolation flag.
    ///
    /// # Errors
    /// [`DevnetError::InvalidInput`] for an empty config, a symbol listed twice, or any
    /// [`AaveV3Config::emode_categories`] (v3.0 has one eMode category per asset, not the v3.2+
    /// model the config describes: use [`Devnet::deploy_aave_v3_6`]); artifact and transaction
    /// errors.
    pub async fn deploy_aave_v3(&self, config: &AaveV3Config) -> Result<AaveV3> {
        const WHAT: &str = "Devnet::deploy_aave_v3";
        steps::validate(config, WHAT)?;
        if !config.emode_categories.is_empty() {
            return Err(DevnetError::InvalidInput {
                what: WHAT,
                reason: "Aave V3.0 has one eMode category per asset, not the v3.2+ collateral/\
                         borrowable/LTV-zero bitmaps of `emode_categories`; deploy it with \
                         `deploy_aave_v3_6` or leave `emode_categories` empty"
                    .into(),
            });
        }
        let me = self.deployer();
        let none = BTreeMap::new();

        // 1. Addresses provider and ACL.
        let (provider, acl_manager) =
            self.deploy_aave_provider_and_acl(RELEASE, &config.market_id).await?;

        // 2. Libraries, then Pool and PoolConfigurator behind proxies.
        let libraries = self.deploy_aave_libraries(RELEASE, &LIBRARIES).await?;
        let provider_arg = (provider,).abi_encode_params();
        let pool_implementation =
            self.deploy_aave(RELEASE, POOL, &libraries, &provider_arg).await?;
        self.send(me, provider, &Pap::setPoolImplCall { newPoolImpl: pool_implementation }).await?;
        let pool = self.call(provider, &Pap::getPoolCall {}).await?;
        let pool_configurator_implementation =
            self.deploy_aave(RELEASE, POOL_CONFIGURATOR, &libraries, &[]).await?;
        self.send(
            me,
            provider,
            &Pap::setPoolConfiguratorImplCall {
                newPoolConfiguratorImpl: pool_configurator_implementation,
            },
        )
        .await?;
        let pool_configurator = self.call(provider, &Pap::getPoolConfiguratorCall {}).await?;
        let data_provider = self.deploy_aave(RELEASE, DATA_PROVIDER, &none, &provider_arg).await?;
        self.send(me, provider, &Pap::setPoolDataProviderCall { newDataProvider: data_provider })
            .await?;

        // 3. Assets, their price sources and the oracle.
        let (assets, oracle) =
            self.deploy_aave_assets_and_oracle(RELEASE, provider, config).await?;

        // 4. Token implementations, rate strategy, reserves.
        let pool_arg = (pool,).abi_encode_params();
        let a_token_implementation = self.deploy_aave(RELEASE, A_TOKEN, &none, &pool_arg).await?;
        let variable_debt_token_implementation =
            self.deploy_aave(RELEASE, VARIABLE_DEBT_TOKEN, &none, &pool_arg).await?;
        let stable_debt_token_implementation =
            self.deploy_aave(RELEASE, STABLE_DEBT_TOKEN, &none, &pool_arg).await?;
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
        let interest_rate_strategy =
            self.deploy_aave(RELEASE, RATE_STRATEGY, &none, &strategy_args).await?;
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
        let reserves = self
            .configure_aave_reserves(pool, pool_configurator, data_provider, config, &assets)
            .await?;

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
        Ok(AaveV3::new(self.clone(), RELEASE, addresses, reserves))
    }
}
