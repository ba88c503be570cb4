//! Balancer V2 from `@balancer-labs/v2-deployments` 3.2.0: the Vault, weighted and composable
//! stable pool factories, `BalancerQueries`, and pools created through them. The task folders
//! used are listed on [`BalancerV2`].

mod bindings;
mod pool;

use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_provider::ext::AnvilApi;
use alloy_rpc_types_eth::TransactionReceipt;
use alloy_sol_types::{SolCall, SolValue};

use self::bindings::{
    IBalancerAuthorizer, IBalancerVault, IComposableStablePoolFactory, IProtocolFeesCollector,
    IWeightedPoolFactory,
};
pub use self::pool::{
    BalancerAmplification, BalancerPool, BalancerPoolKind, BalancerSwap, BalancerSwapKind,
    QuerySwapOutcome,
};
use crate::{
    Devnet, DevnetError, Result, bindings::IMintableERC20, devnet::DEPLOY_GAS, receipt_events,
    tx_request,
};

const TASKS: &str = "@balancer-labs/v2-deployments/dist/tasks/";
const AUTHORIZER: &str = "20210418-authorizer/artifact/Authorizer.json";
const VAULT: &str = "20210418-vault/artifact/Vault.json";
const FEE_PROVIDER: &str =
    "20220725-protocol-fee-percentages-provider/artifact/ProtocolFeePercentagesProvider.json";
const WEIGHTED_FACTORY: &str = "20230206-weighted-pool-v3/artifact/WeightedPoolFactory.json";
const STABLE_FACTORY: &str =
    "20230206-composable-stable-pool-v3/artifact/ComposableStablePoolFactory.json";
const QUERIES: &str = "20220721-balancer-queries/artifact/BalancerQueries.json";
/// Aave's `MintableERC20` mock (any decimals, anyone may mint), for the pools' tokens.
const MINTABLE_ERC20: &str =
    "@aave/core-v3/artifacts/contracts/mocks/tokens/MintableERC20.sol/MintableERC20.json";

/// Creation code of a rate provider whose `getRate()` (any call, in fact) returns storage slot 0,
/// which the constructor sets from the 32 bytes at [`RATE_PROVIDER_RATE_OFFSET`]: `PUSH32 rate,
/// PUSH1 0, SSTORE`, then a copy of the 11-byte runtime `PUSH1 0 SLOAD PUSH1 0 MSTORE PUSH1 32
/// PUSH1 0 RETURN`.
const RATE_PROVIDER_PREFIX: [u8; 1] = [0x7f];
const RATE_PROVIDER_RATE_OFFSET: usize = 1;
const RATE_PROVIDER_SUFFIX: [u8; 25] = [
    0x60, 0x00, 0x55, // slot 0 = rate
    0x60, 0x0b, 0x80, 0x60, 0x2f, 0x60, 0x00, 0x39, 0x60, 0x00, 0xf3, // return the runtime
    0x60, 0x00, 0x54, 0x60, 0x00, 0x52, 0x60, 0x20, 0x60, 0x00, 0xf3, // runtime
];

/// The protocol swap fee may be at most 50 % (`ProtocolFeesCollector`, WAD).
const MAX_PROTOCOL_SWAP_FEE: U256 = U256::from_limbs([500_000_000_000_000_000, 0, 0, 0]);

/// A deployed Balancer V2, from [`Devnet::deploy_balancer_v2`]. The deployer is the Authorizer's
/// admin and owns every pool it creates.
///
/// Every contract is deployed from the Hardhat artifact of its deployment task,
/// `dist/tasks/<task>/artifact/<Contract>.json` (the newer tasks ship only `artifact/`, not the
/// `abi/` and `bytecode/` folders of the older ones); none links a library. The tasks:
///
/// | Contract | Task |
/// |---|---|
/// | `Authorizer` | `20210418-authorizer` |
/// | `Vault` | `20210418-vault` |
/// | `ProtocolFeePercentagesProvider` | `20220725-protocol-fee-percentages-provider` |
/// | `WeightedPoolFactory` (creates `WeightedPool`) | `20230206-weighted-pool-v3` |
/// | `ComposableStablePoolFactory` (creates `ComposableStablePool`) | `20230206-composable-stable-pool-v3` |
/// | `BalancerQueries` | `20220721-balancer-queries` |
///
/// The v3 pool tasks are the newest weighted and composable stable tasks the package holds (the
/// 2023-03 v4 tasks and later are not in 3.2.0).
#[derive(Clone, Debug)]
pub struct BalancerV2 {
    devnet: Devnet,
    addresses: BalancerV2Addresses,
}

/// The contracts of a [`BalancerV2`] deployment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BalancerV2Addresses {
    /// The 2021 `Authorizer` (the deployer holds its admin role).
    pub authorizer: Address,
    /// The `Vault`.
    pub vault: Address,
    /// The Vault's `ProtocolFeesCollector` (created by the Vault).
    pub protocol_fees_collector: Address,
    /// The v2-core test ERC-20 standing in for WETH.
    pub weth: Address,
    /// `ProtocolFeePercentagesProvider`.
    pub protocol_fee_provider: Address,
    /// `WeightedPoolFactory` (v3).
    pub weighted_pool_factory: Address,
    /// `ComposableStablePoolFactory` (v3).
    pub composable_stable_pool_factory: Address,
    /// `BalancerQueries`.
    pub queries: Address,
}

impl Devnet {
    /// Deploys Balancer V2 (the tasks are listed on [`BalancerV2`]): the `Authorizer` (admin:
    /// the deployer), the `Vault` (a v2-core test ERC-20 as WETH, no pause window), the
    /// `ProtocolFeePercentagesProvider` (50 % maximum yield and AUM fees), both pool factories
    /// and `BalancerQueries`. The protocol swap fee starts at zero.
    ///
    /// # Errors
    /// Artifact and transaction errors.
    pub async fn deploy_balancer_v2(&self) -> Result<BalancerV2> {
        let deploy = |path: &str, args: Vec<u8>| {
            let path = format!("{TASKS}{path}");
            async move { self.deploy_artifact(&path, &Default::default(), &args).await }
        };
        let authorizer = deploy(AUTHORIZER, (self.deployer(),).abi_encode_params()).await?;
        let weth = self.deploy_erc20(U256::ZERO).await?;
        let vault =
            deploy(VAULT, (authorizer, weth, U256::ZERO, U256::ZERO).abi_encode_params()).await?;
        let protocol_fees_collector =
            self.call(vault, &IBalancerVault::getProtocolFeesCollectorCall {}).await?;
        let half = MAX_PROTOCOL_SWAP_FEE;
        let protocol_fee_provider =
            deploy(FEE_PROVIDER, (vault, half, half).abi_encode_params()).await?;
        let factory_args = |name: &str, version: u8, task: &str| {
            let factory =
                format!(r#"{{"name":"{name}Factory","version":{version},"deployment":"{task}"}}"#);
            let pool = format!(r#"{{"name":"{name}","version":{version},"deployment":"{task}"}}"#);
            (vault, protocol_fee_provider, factory, pool).abi_encode_params()
        };
        let weighted_pool_factory =
            deploy(WEIGHTED_FACTORY, factory_args("WeightedPool", 3, "20230206-weighted-pool-v3"))
                .await?;
        let composable_stable_pool_factory = deploy(
            STABLE_FACTORY,
            factory_args("ComposableStablePool", 3, "20230206-composable-stable-pool-v3"),
        )
        .await?;
        let queries = deploy(QUERIES, (vault,).abi_encode_params()).await?;
        Ok(BalancerV2 {
            devnet: self.clone(),
            addresses: BalancerV2Addresses {
                authorizer,
                vault,
                protocol_fees_collector,
                weth,
                protocol_fee_provider,
                weighted_pool_factory,
                composable_stable_pool_factory,
                queries,
            },
        })
    }
}

impl BalancerV2 {
    /// The deployed contracts.
    pub const fn addresses(&self) -> &BalancerV2Addresses {
        &self.addresses
    }

    /// The Vault's address.
    pub const fn vault(&self) -> Address {
        self.addresses.vault
    }

    /// Deploys an Aave `MintableERC20` with `decimals` decimals (anyone may `mint`).
    ///
    /// # Errors
    /// Artifact and transaction errors.
    pub async fn deploy_token(&self, symbol: &str, decimals: u8) -> Result<Address> {
        let args = (format!("Devnet {symbol}"), symbol.to_owned(), U256::from(decimals));
        self.devnet
            .deploy_artifact(MINTABLE_ERC20, &Default::default(), &args.abi_encode_params())
            .await
    }

    /// Mints `amount` of a token from [`BalancerV2::deploy_token`] to `to`.
    ///
    /// # Errors
    /// As [`Devnet::send`].
    pub async fn mint(&self, token: Address, to: Address, amount: U256) -> Result<()> {
        let call = IMintableERC20::mintCall { account: to, value: amount };
        self.devnet.send(self.devnet.deployer(), token, &call).await.map(drop)
    }

    /// Deploys a rate provider whose `getRate()` returns `rate` (WAD) until
    /// [`BalancerV2::set_rate`] changes it: 11 bytes of runtime code returning storage slot 0.
    ///
    /// # Errors
    /// Transaction errors.
    pub async fn deploy_rate_provider(&self, rate: U256) -> Result<Address> {
        let mut code = RATE_PROVIDER_PREFIX.to_vec();
        code.extend_from_slice(&rate.to_be_bytes::<32>());
        code.extend_from_slice(&RATE_PROVIDER_SUFFIX);
        debug_assert_eq!(code[RATE_PROVIDER_RATE_OFFSET..][..32], rate.to_be_bytes::<32>());
        self.devnet.deploy_code("RateProvider", Bytes::from(code)).await
    }

    /// Sets the rate a [`BalancerV2::deploy_rate_provider`] contract returns (`anvil_setStorageAt`).
    /// Pools see it once their rate cache expires or `updateTokenRateCache` runs
    /// ([`BalancerPool::update_token_rate_cache`]).
    ///
    /// # Errors
    /// [`DevnetError::Rpc`].
    pub async fn set_rate(&self, provider: Address, rate: U256) -> Result<()> {
        self.devnet
            .provider()
            .anvil_set_storage_at(provider, U256::ZERO, B256::from(rate))
            .await
            .map_err(|e| DevnetError::rpc("anvil_setStorageAt", e))
            .map(drop)
    }

    /// Sets the protocol swap fee percentage (WAD, at most 50 %) in the
    /// `ProtocolFeesCollector`, granting the deployer the permission first. Pools read it into
    /// their cache at [`BalancerPool::update_protocol_fee_cache`].
    ///
    /// # Errors
    /// As [`Devnet::send`] (the collector reverts above 50 %).
    pub async fn set_protocol_swap_fee(&self, fee: U256) -> Result<()> {
        let d = &self.devnet;
        let collector = self.addresses.protocol_fees_collector;
        let selector = IProtocolFeesCollector::setSwapFeePercentageCall::SELECTOR.into();
        let role = d.call(collector, &IProtocolFeesCollector::getActionIdCall { selector }).await?;
        let grant = IBalancerAuthorizer::grantRoleCall { role, account: d.deployer() };
        d.send(d.deployer(), self.addresses.authorizer, &grant).await?;
        let set = IProtocolFeesCollector::setSwapFeePercentageCall { newSwapFeePercentage: fee };
        d.send(d.deployer(), collector, &set).await.map(drop)
    }

    /// Creates a `WeightedPool` through the v3 factory: `tokens` as `(token, normalized weight)`
    /// (weights WAD, each ≥ 1 %, summing to 1e18; any order, the factory needs them sorted and
    /// this sorts them), `swap_fee` WAD (0.0001 % to 10 %), no rate providers, the deployer as
    /// owner. The pool is empty until [`BalancerPool::initialize`].
    ///
    /// # Errors
    /// [`DevnetError::InvalidInput`] for fewer than two tokens; the factory's revert
    /// (`BAL#…`) for invalid weights or fee.
    pub async fn create_weighted_pool(
        &self,
        tokens: &[(Address, U256)],
        swap_fee: U256,
    ) -> Result<BalancerPool> {
        let mut tokens = tokens.to_vec();
        tokens.sort();
        check_tokens("BalancerV2::create_weighted_pool", tokens.len())?;
        let call = IWeightedPoolFactory::createCall {
            name: format!("Devnet weighted pool {}", tokens.len()),
            symbol: "B-W".into(),
            tokens: tokens.iter().map(|t| t.0).collect(),
            normalizedWeights: tokens.iter().map(|t| t.1).collect(),
            rateProviders: vec![Address::ZERO; tokens.len()],
            swapFeePercentage: swap_fee,
            owner: self.devnet.deployer(),
        };
        let factory = self.addresses.weighted_pool_factory;
        let receipt = self.send_heavy(factory, &call).await?;
        let pool =
            created_pool::<IWeightedPoolFactory::PoolCreated>(&receipt, factory, |e| e.pool)?;
        BalancerPool::at(self, pool, BalancerPoolKind::Weighted).await
    }

    /// Creates a `ComposableStablePool` through the v3 factory: `tokens` as `(token, rate
    /// provider)` (`None`: rate 1; any order, this sorts them), the amplification `amp` without
    /// precision (1 to 5000), `swap_fee` WAD, each rate cached for `rate_cache_duration`
    /// seconds, no token exempt from yield fees, the deployer as owner. The pool registers its
    /// own BPT among the tokens; it is empty until [`BalancerPool::initialize`].
    ///
    /// # Errors
    /// [`DevnetError::InvalidInput`] for fewer than two tokens; the factory's revert.
    pub async fn create_composable_stable_pool(
        &self,
        tokens: &[(Address, Option<Address>)],
        amp: U256,
        swap_fee: U256,
        rate_cache_duration: U256,
    ) -> Result<BalancerPool> {
        let mut tokens = tokens.to_vec();
        tokens.sort();
        check_tokens("BalancerV2::create_composable_stable_pool", tokens.len())?;
        let call = IComposableStablePoolFactory::createCall {
            name: format!("Devnet composable stable pool {}", tokens.len()),
            symbol: "B-CS".into(),
            tokens: tokens.iter().map(|t| t.0).collect(),
            amplificationParameter: amp,
            rateProviders: tokens.iter().map(|t| t.1.unwrap_or_default()).collect(),
            tokenRateCacheDurations: vec![rate_cache_duration; tokens.len()],
            exemptFromYieldProtocolFeeFlags: vec![false; tokens.len()],
            swapFeePercentage: swap_fee,
            owner: self.devnet.deployer(),
        };
        let factory = self.addresses.composable_stable_pool_factory;
        let receipt = self.send_heavy(factory, &call).await?;
        let pool =
            created_pool::<IComposableStablePoolFactory::PoolCreated>(&receipt, factory, |e| {
                e.pool
            })?;
        BalancerPool::at(self, pool, BalancerPoolKind::ComposableStable).await
    }

    /// The devnet it runs on.
    pub const fn devnet(&self) -> &Devnet {
        &self.devnet
    }

    /// Sends from the deployer with the deployment gas limit: a factory's `create` deploys a
    /// whole pool, beyond [`crate::DevnetBuilder::tx_gas`].
    async fn send_heavy<C: SolCall>(&self, to: Address, call: &C) -> Result<TransactionReceipt> {
        let mut request = tx_request(self.devnet.deployer(), to, call);
        request.gas = Some(DEPLOY_GAS);
        self.devnet.send_request(C::SIGNATURE, request).await
    }
}

fn check_tokens(what: &'static str, tokens: usize) -> Result<()> {
    if tokens < 2 {
        return Err(DevnetError::InvalidInput {
            what,
            reason: format!("a pool needs at least two tokens, got {tokens}"),
        });
    }
    Ok(())
}

/// The pool address of the factory's `PoolCreated` in a `create` receipt.
fn created_pool<E: alloy_sol_types::SolEvent>(
    receipt: &TransactionReceipt,
    factory: Address,
    pool: impl Fn(&E) -> Address,
) -> Result<Address> {
    receipt_events::<E>(receipt, factory)?.first().map(pool).ok_or_else(|| {
        DevnetError::InvalidInput {
            what: "BalancerV2 pool creation",
            reason: format!("no PoolCreated in transaction {}", receipt.transaction_hash),
        }
    })
}
