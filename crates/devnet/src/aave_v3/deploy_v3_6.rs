//! Deploying an Aave v3.6 market from the contracts compiled at setup out of
//! `@aave-dao/aave-v3-origin` 3.6.0 (`devnet/compile-aave-v3-origin.mjs`).

use std::collections::BTreeMap;

use alloy_primitives::{Address, Bytes};
use alloy_sol_types::SolValue;

use super::{AaveRelease, AaveReserve, AaveV3, AaveV3Addresses, AaveV3Config, steps};
use crate::{
    Devnet, DevnetError, Result,
    bindings::{
        IDefaultInterestRateStrategyV2::InterestRateData, IPoolAddressesProvider as Pap,
        IPoolConfiguratorV3_6 as Configurator,
    },
};

const RELEASE: AaveRelease = AaveRelease::V3_6;
const POOL: &str = "instances/PoolInstance.sol/PoolInstance.json";
const POOL_CONFIGURATOR: &str =
    "instances/PoolConfiguratorInstance.sol/PoolConfiguratorInstance.json";
const A_TOKEN: &str = "instances/ATokenInstance.sol/ATokenInstance.json";
const VARIABLE_DEBT_TOKEN: &str =
    "instances/VariableDebtTokenInstance.sol/VariableDebtTokenInstance.json";
const RATE_STRATEGY: &str =
    "misc/DefaultReserveInterestRateStrategyV2.sol/DefaultReserveInterestRateStrategyV2.json";
const DATA_PROVIDER: &str = "helpers/AaveProtocolDataProvider.sol/AaveProtocolDataProvider.json";
/// Logic libraries linked into `PoolInstance` (the first five) and `PoolConfiguratorInstance`
/// (`ConfiguratorLogic`); `FlashLoanLogic` links `BorrowLogic`, so it comes after it.
const LIBRARIES: [&str; 6] = [
    "BorrowLogic",
    "SupplyLogic",
    "LiquidationLogic",
    "PoolLogic",
    "FlashLoanLogic",
    "ConfiguratorLogic",
];

/// Every reserve's interest-rate parameters in basis points, the v3.0 deployment's curve:
/// optimal usage 80 %, base rate 0, slope 4 % below the optimum and 75 % above it.
const RATE_DATA: InterestRateData = InterestRateData {
    optimalUsageRatio: 8_000,
    baseVariableBorrowRate: 0,
    variableRateSlope1: 400,
    variableRateSlope2: 7_500,
};

impl Devnet {
    /// Deploys an Aave v3.6 market with the reserves and eMode categories of `config`:
    /// `PoolAddressesProvider`, `ACLManager` (the deployer is ACL admin and pool admin),
    /// `DefaultReserveInterestRateStrategyV2` (one for the pool; every reserve gets optimal usage
    /// 80 %, base 0, slopes 4 % and 75 %), the logic libraries, `PoolInstance` and
    /// `PoolConfiguratorInstance` behind their proxies, `AaveProtocolDataProvider`, a
    /// `MintableERC20` and a `MockAggregator` per asset, `AaveOracle` (USD base, unit 1e8),
    /// `ATokenInstance` (treasury: the deployer, no rewards controller) and
    /// `VariableDebtTokenInstance`, then `initReserves`, each reserve's risk configuration as in
    /// [`Devnet::deploy_aave_v3`], and per eMode category `setEModeCategory`,
    /// `setAssetCollateralInEMode`, `setAssetBorrowableInEMode` and `setAssetLtvzeroInEMode`.
    ///
    /// The contracts are compiled from the package's sources by `bash scripts/devnet-setup`. There
    /// is no stable debt: the handle's stable-debt token addresses are zero.
    ///
    /// # Errors
    /// [`DevnetError::InvalidInput`] for an empty config, a symbol listed twice, or an eMode
    /// category with id 0, listed twice, naming an unknown symbol, or with an LTV-zero asset
    /// that is not one of its collaterals; [`DevnetError::ArtifactNotFound`] before the setup
    /// compiled the contracts; transaction errors (Aave's custom error in the revert reason, e.g.
    /// `InvalidDecimals()` for fewer than 6 decimals or `InvalidEmodeCategoryParams()`).
    pub async fn deploy_aave_v3_6(&self, config: &AaveV3Config) -> Result<AaveV3> {
        steps::validate(config, "Devnet::deploy_aave_v3_6")?;
        let me = self.deployer();
        let none = BTreeMap::new();

        // 1. Addresses provider, ACL and the pool-wide rate strategy (an argument of the Pool).
        let (provider, acl_manager) =
            self.deploy_aave_provider_and_acl(RELEASE, &config.market_id).await?;
        let provider_arg = (provider,).abi_encode_params();
        let interest_rate_strategy =
            self.deploy_aave(RELEASE, RATE_STRATEGY, &none, &provider_arg).await?;

        // 2. Libraries, then Pool and PoolConfigurator behind proxies.
        let libraries = self.deploy_aave_libraries(RELEASE, &LIBRARIES).await?;
        let pool_args = (provider, interest_rate_strategy).abi_encode_params();
        let pool_implementation = self.deploy_aave(RELEASE, POOL, &libraries, &pool_args).await?;
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

        // 4. Token implementations (the treasury is an immutable of the aToken), reserves.
        let a_token_args = (pool, Address::ZERO, me).abi_encode_params();
        let a_token_implementation =
            self.deploy_aave(RELEASE, A_TOKEN, &none, &a_token_args).await?;
        let debt_args = (pool, Address::ZERO).abi_encode_params();
        let variable_debt_token_implementation =
            self.deploy_aave(RELEASE, VARIABLE_DEBT_TOKEN, &none, &debt_args).await?;
        let rate_data = Bytes::from(RATE_DATA.abi_encode());
        let inputs = config
            .assets
            .iter()
            .zip(&assets)
            .map(|(asset, &underlying)| Configurator::InitReserveInput {
                aTokenImpl: a_token_implementation,
                variableDebtTokenImpl: variable_debt_token_implementation,
                underlyingAsset: underlying,
                aTokenName: format!("Aave Devnet {}", asset.symbol),
                aTokenSymbol: format!("a{}", asset.symbol),
                variableDebtTokenName: format!("Aave Devnet Variable Debt {}", asset.symbol),
                variableDebtTokenSymbol: format!("variableDebt{}", asset.symbol),
                params: Bytes::new(),
                interestRateData: rate_data.clone(),
            })
            .collect();
        self.send(me, pool_configurator, &Configurator::initReservesCall { input: inputs }).await?;
        let reserves = self
            .configure_aave_reserves(pool, pool_configurator, data_provider, config, &assets)
            .await?;

        // 5. eMode categories.
        self.configure_emode_categories(pool_configurator, config, &reserves).await?;

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
            stable_debt_token_implementation: Address::ZERO,
            libraries,
        };
        Ok(AaveV3::new(self.clone(), RELEASE, addresses, reserves))
    }

    /// Creates each eMode category of `config` and adds its collateral, borrowable and LTV-zero
    /// assets (in that order: an LTV-zero asset must already be a collateral of the category).
    async fn configure_emode_categories(
        &self,
        configurator: Address,
        config: &AaveV3Config,
        reserves: &[AaveReserve],
    ) -> Result<()> {
        let me = self.deployer();
        let asset = |symbol: &str| {
            reserves.iter().find(|r| r.symbol == symbol).map(|r| r.asset).ok_or_else(|| {
                DevnetError::InvalidInput {
                    what: "Devnet::deploy_aave_v3_6",
                    reason: format!("eMode asset {symbol} is not a reserve"),
                }
            })
        };
        for category in &config.emode_categories {
            let id = category.id;
            let call = Configurator::setEModeCategoryCall {
                categoryId: id,
                ltv: category.ltv,
                liquidationThreshold: category.liquidation_threshold,
                liquidationBonus: category.liquidation_bonus,
                label: category.label.clone(),
            };
            self.send(me, configurator, &call).await?;
            for symbol in &category.collateral {
                let call = Configurator::setAssetCollateralInEModeCall {
                    asset: asset(symbol)?,
                    categoryId: id,
                    collateral: true,
                };
                self.send(me, configurator, &call).await?;
            }
            for symbol in &category.borrowable {
                let call = Configurator::setAssetBorrowableInEModeCall {
                    asset: asset(symbol)?,
                    categoryId: id,
                    borrowable: true,
                };
                self.send(me, configurator, &call).await?;
            }
            for symbol in &category.ltvzero {
                let call = Configurator::setAssetLtvzeroInEModeCall {
                    asset: asset(symbol)?,
                    categoryId: id,
                    ltvzero: true,
                };
                self.send(me, configurator, &call).await?;
            }
        }
        Ok(())
    }
}
