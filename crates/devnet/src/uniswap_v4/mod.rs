//! Uniswap V4 from `@uniswap/v4-core` 1.0.2 (the `PoolManager` singleton, its test routers and
//! test hooks) with the `@uniswap/v4-periphery` 1.0.3 `StateView` and `V4Quoter`.

pub mod bindings;
mod pool;

use alloy_primitives::{
    Address, Bytes, U256,
    aliases::{I24, U24, U160},
};
use alloy_provider::Provider;
use alloy_sol_types::{SolError, SolValue};

use self::bindings::{IDeltaReturningHook, IDynamicFeesTestHook, IPoolManager, IV4Quoter, PoolKey};
pub use self::pool::{
    UniswapV4Pool, V4ModifyLiquidityOutcome, V4Slot0, V4SwapOutcome, V4TickLiquidity,
};
use crate::{Devnet, DevnetError, Result, uniswap_v2::sort_tokens};

const POOL_MANAGER: &str = "@uniswap/v4-core/out/PoolManager.sol/PoolManager.json";
const POOL_SWAP_TEST: &str = "@uniswap/v4-core/out/PoolSwapTest.sol/PoolSwapTest.json";
const POOL_MODIFY_LIQUIDITY_TEST: &str =
    "@uniswap/v4-core/out/PoolModifyLiquidityTest.sol/PoolModifyLiquidityTest.json";
const STATE_VIEW: &str = "@uniswap/v4-periphery/foundry-out/StateView.sol/StateView.json";
const V4_QUOTER: &str = "@uniswap/v4-periphery/foundry-out/V4Quoter.sol/V4Quoter.json";

/// A deployed Uniswap V4, from [`Devnet::deploy_uniswap_v4`]: the `PoolManager` (owner: the
/// deployer), `StateView`, `V4Quoter` and v4-core's `PoolSwapTest` and
/// `PoolModifyLiquidityTest` routers, every one deployed from its Foundry artifact (none links a
/// library):
///
/// | Contract | Artifact under `node_modules` |
/// |---|---|
/// | `PoolManager` | `@uniswap/v4-core/out/PoolManager.sol/PoolManager.json` |
/// | `PoolSwapTest` | `@uniswap/v4-core/out/PoolSwapTest.sol/PoolSwapTest.json` |
/// | `PoolModifyLiquidityTest` | `@uniswap/v4-core/out/PoolModifyLiquidityTest.sol/PoolModifyLiquidityTest.json` |
/// | `StateView` | `@uniswap/v4-periphery/foundry-out/StateView.sol/StateView.json` |
/// | `V4Quoter` | `@uniswap/v4-periphery/foundry-out/V4Quoter.sol/V4Quoter.json` |
///
/// Test hooks ([`UniswapV4::deploy_hook`]) come from `@uniswap/v4-core/out/` too (the
/// `*_HOOK` constants). Pools hold ERC-20s only here (no native-ETH currency).
///
/// Sign conventions differ from V3: a swap's `amountSpecified` is negative for an exact input
/// and positive for an exact output, and every delta (`BalanceDelta`, the `Swap` event's
/// amounts, [`V4SwapOutcome`]) is from the caller's side, negative when the caller pays.
#[derive(Clone, Debug)]
pub struct UniswapV4 {
    devnet: Devnet,
    addresses: UniswapV4Addresses,
}

/// The contracts of a [`UniswapV4`] deployment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UniswapV4Addresses {
    /// The `PoolManager` singleton (it holds every pool's tokens).
    pub pool_manager: Address,
    /// `StateView`, reading the manager's pool state.
    pub state_view: Address,
    /// `V4Quoter`.
    pub quoter: Address,
    /// v4-core's `PoolSwapTest` router.
    pub swap_router: Address,
    /// v4-core's `PoolModifyLiquidityTest` router (the owner of every position it makes).
    pub modify_liquidity_router: Address,
}

/// A `V4Quoter` answer for one pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct V4Quote {
    /// `amountOut` of an exact-input quote, `amountIn` (fees and hook deltas included) of an
    /// exact-output one, in the token's smallest unit.
    pub amount: U256,
    /// Gas the quoter measured around the simulated swap (`unlock` included).
    pub gas_estimate: U256,
}

impl Devnet {
    /// Deploys Uniswap V4 (the contracts are listed on [`UniswapV4`]): the `PoolManager` with
    /// the deployer as `initialOwner`, then `StateView`, `V4Quoter`, `PoolSwapTest` and
    /// `PoolModifyLiquidityTest`, each constructed with the manager.
    ///
    /// # Errors
    /// Artifact and transaction errors.
    pub async fn deploy_uniswap_v4(&self) -> Result<UniswapV4> {
        let none = Default::default();
        let manager_args = (self.deployer(),).abi_encode_params();
        let pool_manager = self.deploy_artifact(POOL_MANAGER, &none, &manager_args).await?;
        let args = (pool_manager,).abi_encode_params();
        let state_view = self.deploy_artifact(STATE_VIEW, &none, &args).await?;
        let quoter = self.deploy_artifact(V4_QUOTER, &none, &args).await?;
        let swap_router = self.deploy_artifact(POOL_SWAP_TEST, &none, &args).await?;
        let modify_liquidity_router =
            self.deploy_artifact(POOL_MODIFY_LIQUIDITY_TEST, &none, &args).await?;
        Ok(UniswapV4 {
            devnet: self.clone(),
            addresses: UniswapV4Addresses {
                pool_manager,
                state_view,
                quoter,
                swap_router,
                modify_liquidity_router,
            },
        })
    }
}

impl UniswapV4 {
    /// `Hooks.BEFORE_INITIALIZE_FLAG`: bit 13 of a hook's address.
    pub const BEFORE_INITIALIZE_FLAG: u16 = 1 << 13;
    /// `Hooks.AFTER_INITIALIZE_FLAG`.
    pub const AFTER_INITIALIZE_FLAG: u16 = 1 << 12;
    /// `Hooks.BEFORE_ADD_LIQUIDITY_FLAG`.
    pub const BEFORE_ADD_LIQUIDITY_FLAG: u16 = 1 << 11;
    /// `Hooks.AFTER_ADD_LIQUIDITY_FLAG`.
    pub const AFTER_ADD_LIQUIDITY_FLAG: u16 = 1 << 10;
    /// `Hooks.BEFORE_REMOVE_LIQUIDITY_FLAG`.
    pub const BEFORE_REMOVE_LIQUIDITY_FLAG: u16 = 1 << 9;
    /// `Hooks.AFTER_REMOVE_LIQUIDITY_FLAG`.
    pub const AFTER_REMOVE_LIQUIDITY_FLAG: u16 = 1 << 8;
    /// `Hooks.BEFORE_SWAP_FLAG`.
    pub const BEFORE_SWAP_FLAG: u16 = 1 << 7;
    /// `Hooks.AFTER_SWAP_FLAG`.
    pub const AFTER_SWAP_FLAG: u16 = 1 << 6;
    /// `Hooks.BEFORE_DONATE_FLAG`.
    pub const BEFORE_DONATE_FLAG: u16 = 1 << 5;
    /// `Hooks.AFTER_DONATE_FLAG`.
    pub const AFTER_DONATE_FLAG: u16 = 1 << 4;
    /// `Hooks.BEFORE_SWAP_RETURNS_DELTA_FLAG` (needs [`Self::BEFORE_SWAP_FLAG`]).
    pub const BEFORE_SWAP_RETURNS_DELTA_FLAG: u16 = 1 << 3;
    /// `Hooks.AFTER_SWAP_RETURNS_DELTA_FLAG` (needs [`Self::AFTER_SWAP_FLAG`]).
    pub const AFTER_SWAP_RETURNS_DELTA_FLAG: u16 = 1 << 2;
    /// `Hooks.AFTER_ADD_LIQUIDITY_RETURNS_DELTA_FLAG`.
    pub const AFTER_ADD_LIQUIDITY_RETURNS_DELTA_FLAG: u16 = 1 << 1;
    /// `Hooks.AFTER_REMOVE_LIQUIDITY_RETURNS_DELTA_FLAG`.
    pub const AFTER_REMOVE_LIQUIDITY_RETURNS_DELTA_FLAG: u16 = 1;
    /// `Hooks.ALL_HOOK_MASK`: the 14 address bits that are hook flags.
    pub const ALL_HOOK_MASK: u16 = (1 << 14) - 1;

    /// `LPFeeLibrary.DYNAMIC_FEE_FLAG`: a key `fee` meaning the hook sets the LP fee.
    pub const DYNAMIC_FEE_FLAG: u32 = 0x80_0000;
    /// `LPFeeLibrary.MAX_LP_FEE`: 100 % in hundredths of a bip.
    pub const MAX_LP_FEE: u32 = 1_000_000;
    /// `ProtocolFeeLibrary.MAX_PROTOCOL_FEE`: 0.1 % (1000 pips) per direction.
    pub const MAX_PROTOCOL_FEE: u32 = 1000;
    /// `TickMath.MIN_TICK`.
    pub const MIN_TICK: i32 = -887_272;
    /// `TickMath.MAX_TICK`.
    pub const MAX_TICK: i32 = 887_272;
    /// `TickMath.MIN_SQRT_PRICE` (Q64.96, the price at `MIN_TICK`); a limit must exceed it.
    pub const MIN_SQRT_PRICE: U160 = U160::from_limbs([4_295_128_739, 0, 0]);
    /// `TickMath.MAX_SQRT_PRICE` (Q64.96, the price at `MAX_TICK`); a limit must be below it.
    pub const MAX_SQRT_PRICE: U160 =
        U160::from_limbs([0x5d95_1d52_6398_8d26, 0xefd1_fc6a_5064_8849, 0xfffd_8963]);

    /// v4-core's `DeltaReturningHook`: `beforeSwap` and `afterSwap` returning set deltas.
    pub const DELTA_RETURNING_HOOK: &'static str =
        "@uniswap/v4-core/out/DeltaReturningHook.sol/DeltaReturningHook.json";
    /// v4-core's `DynamicFeesTestHook`: sets a stored dynamic LP fee.
    pub const DYNAMIC_FEES_TEST_HOOK: &'static str =
        "@uniswap/v4-core/out/DynamicFeesTestHook.sol/DynamicFeesTestHook.json";
    /// v4-core's `FeeTakingHook`: takes 1.23 % of every swap's unspecified side.
    pub const FEE_TAKING_HOOK: &'static str =
        "@uniswap/v4-core/out/FeeTakingHook.sol/FeeTakingHook.json";
    /// v4-core's `CustomCurveHook`: replaces the pool's curve with a 1:1 swap in `beforeSwap`.
    pub const CUSTOM_CURVE_HOOK: &'static str =
        "@uniswap/v4-core/out/CustomCurveHook.sol/CustomCurveHook.json";
    /// v4-core's `EmptyTestHooks`: every callback implemented, doing nothing.
    pub const EMPTY_TEST_HOOKS: &'static str =
        "@uniswap/v4-core/out/EmptyTestHooks.sol/EmptyTestHooks.json";

    /// The deployed contracts.
    pub const fn addresses(&self) -> &UniswapV4Addresses {
        &self.addresses
    }

    /// The `PoolManager`'s address.
    pub const fn pool_manager(&self) -> Address {
        self.addresses.pool_manager
    }

    /// The `StateView`'s address.
    pub const fn state_view(&self) -> Address {
        self.addresses.state_view
    }

    /// The `V4Quoter`'s address.
    pub const fn quoter(&self) -> Address {
        self.addresses.quoter
    }

    /// The `PoolSwapTest` router's address (approve it to swap).
    pub const fn swap_router(&self) -> Address {
        self.addresses.swap_router
    }

    /// The `PoolModifyLiquidityTest` router's address (approve it to add liquidity; it owns the
    /// positions).
    pub const fn modify_liquidity_router(&self) -> Address {
        self.addresses.modify_liquidity_router
    }

    /// The devnet it runs on.
    pub const fn devnet(&self) -> &Devnet {
        &self.devnet
    }

    /// Initializes the pool of two ERC-20s (any order; they are sorted into `currency0 <
    /// currency1`) at `sqrt_price_x96` (Q64.96, e.g. [`crate::SQRT_PRICE_1_1`]), sent by the
    /// deployer. `fee` is the LP fee in hundredths of a bip (at most [`Self::MAX_LP_FEE`]; any
    /// value, no fee tiers) or [`Self::DYNAMIC_FEE_FLAG`] (then `hooks` must set it);
    /// `tick_spacing` is in `1..=32767`; `hooks` is `Address::ZERO` or a hook whose address
    /// bits hold its flags ([`Self::deploy_hook`]).
    ///
    /// # Errors
    /// [`DevnetError::InvalidInput`] for identical or zero tokens or out-of-range numbers; the
    /// manager's revert (e.g. `PoolAlreadyInitialized`, `HookAddressNotValid`) as
    /// [`Devnet::send`].
    pub async fn initialize_pool(
        &self,
        token_a: Address,
        token_b: Address,
        fee: u32,
        tick_spacing: i32,
        hooks: Address,
        sqrt_price_x96: U160,
    ) -> Result<UniswapV4Pool> {
        let invalid = |reason: String| DevnetError::InvalidInput {
            what: "UniswapV4::initialize_pool",
            reason,
        };
        if token_a == token_b {
            return Err(invalid(format!("both tokens are {token_a}")));
        }
        if token_a.is_zero() || token_b.is_zero() {
            return Err(invalid("native ETH (address 0) is not supported".into()));
        }
        let fee_u24 =
            U24::try_from(fee).map_err(|_| invalid(format!("fee {fee} exceeds 24 bits")))?;
        let spacing = I24::try_from(tick_spacing)
            .map_err(|_| invalid(format!("tick spacing {tick_spacing} exceeds 24 bits")))?;
        let (currency0, currency1) = sort_tokens(token_a, token_b);
        let key = PoolKey { currency0, currency1, fee: fee_u24, tickSpacing: spacing, hooks };
        let d = &self.devnet;
        let call = IPoolManager::initializeCall { key: key.clone(), sqrtPriceX96: sqrt_price_x96 };
        d.send(d.deployer(), self.addresses.pool_manager, &call).await?;
        Ok(self.pool(key))
    }

    /// A handle on the pool of `key` (initialized or not; no call is made).
    pub fn pool(&self, key: PoolKey) -> UniswapV4Pool {
        UniswapV4Pool::new(self.devnet.clone(), self.addresses, key)
    }

    /// `V4Quoter.quoteExactInputSingle` on `pool` (an `eth_call` at the latest block): the
    /// output of swapping exactly `amount_in` of currency0 (`zero_for_one`) or currency1, with
    /// no price limit (`MIN_SQRT_PRICE + 1` / `MAX_SQRT_PRICE - 1`), hooks run, no hook data.
    ///
    /// # Errors
    /// [`DevnetError::Rpc`] carrying the revert data when the quote fails (see
    /// [`UniswapV4::quote_revert`]), e.g. `NotEnoughLiquidity(poolId)` when the pool cannot take
    /// all of `amount_in`.
    pub async fn quote_exact_input_single(
        &self,
        pool: &UniswapV4Pool,
        zero_for_one: bool,
        amount_in: u128,
    ) -> Result<V4Quote> {
        let call = IV4Quoter::quoteExactInputSingleCall {
            params: quote_params(pool, zero_for_one, amount_in),
        };
        let r = self.devnet.call(self.addresses.quoter, &call).await?;
        Ok(V4Quote { amount: r.amountOut, gas_estimate: r.gasEstimate })
    }

    /// `V4Quoter.quoteExactOutputSingle` on `pool`: the input (fees included) needed to
    /// receive exactly `amount_out` of currency1 (`zero_for_one`) or currency0, with no price
    /// limit.
    ///
    /// # Errors
    /// As [`UniswapV4::quote_exact_input_single`]: `NotEnoughLiquidity(poolId)` when the pool
    /// cannot deliver all of `amount_out`.
    pub async fn quote_exact_output_single(
        &self,
        pool: &UniswapV4Pool,
        zero_for_one: bool,
        amount_out: u128,
    ) -> Result<V4Quote> {
        let call = IV4Quoter::quoteExactOutputSingleCall {
            params: quote_params(pool, zero_for_one, amount_out),
        };
        let r = self.devnet.call(self.addresses.quoter, &call).await?;
        Ok(V4Quote { amount: r.amountIn, gas_estimate: r.gasEstimate })
    }

    /// The revert data of the simulated swap behind a failed quote: `V4Quoter` wraps whatever
    /// the swap reverted with in `UnexpectedRevertBytes(bytes)`, and this unwraps it (e.g. to
    /// the 36 bytes of `NotEnoughLiquidity(poolId)`; decode with
    /// [`bindings::IV4Quoter::NotEnoughLiquidity`]). Other revert data is returned as it is;
    /// `None` when `error` carries none.
    pub fn quote_revert(error: &DevnetError) -> Option<Bytes> {
        let data = error.revert_data()?;
        Some(
            IV4Quoter::UnexpectedRevertBytes::abi_decode(&data)
                .map_or(data, |wrapped| wrapped.revertData),
        )
    }

    /// Sets `pool`'s protocol fee: `fee` holds two 12-bit fees in pips (hundredths of a bip),
    /// the zero-for-one fee in bits 0–11 and the one-for-zero fee in bits 12–23, each at most
    /// [`Self::MAX_PROTOCOL_FEE`] (0.1 %). Makes the deployer (the manager's owner) the
    /// `protocolFeeController` first if it is not. The fee is taken from swap inputs, on top of
    /// the LP fee (`swapFee = protocolFee + lpFee − protocolFee·lpFee/10⁶`), and shows in
    /// [`UniswapV4Pool::slot0`]'s `protocol_fee`.
    ///
    /// # Errors
    /// [`DevnetError::InvalidInput`] beyond 24 bits; the manager's `ProtocolFeeTooLarge` revert
    /// as [`Devnet::send`].
    pub async fn set_protocol_fee(&self, pool: &UniswapV4Pool, fee: u32) -> Result<()> {
        let fee = U24::try_from(fee).map_err(|_| DevnetError::InvalidInput {
            what: "UniswapV4::set_protocol_fee",
            reason: format!("fee {fee:#x} exceeds 24 bits"),
        })?;
        let d = &self.devnet;
        let manager = self.addresses.pool_manager;
        let controller = d.call(manager, &IPoolManager::protocolFeeControllerCall {}).await?;
        if controller != d.deployer() {
            let call = IPoolManager::setProtocolFeeControllerCall { controller: d.deployer() };
            d.send(d.deployer(), manager, &call).await?;
        }
        let call =
            IPoolManager::setProtocolFeeCall { key: pool.key().clone(), newProtocolFee: fee };
        d.send(d.deployer(), manager, &call).await.map(drop)
    }

    /// Deploys a hook so that the manager calls it: deploys the artifact at `artifact` (under
    /// `node_modules`, e.g. [`Self::FEE_TAKING_HOOK`]) with `constructor_args` (ABI-encoded;
    /// v4-core's test hooks take the manager, `(manager,).abi_encode_params()`), then copies
    /// its runtime code (`eth_getCode`, immutables filled in) with [`Devnet::set_code`] to an
    /// address whose lowest 14 bits are `flags` (the `*_FLAG` constants combined with `|`) and returns that
    /// address. V4 reads a hook's permissions from those bits only.
    ///
    /// Storage is not copied: immutables set by the constructor (such as a hook's `manager`)
    /// work at the new address, storage it wrote does not; call the hook's setters at the
    /// returned address. `flags` must name only callbacks the hook implements (v4-core's
    /// `BaseTestHooks` reverts `HookNotImplemented` for the others).
    ///
    /// # Errors
    /// [`DevnetError::InvalidInput`] for flags beyond 14 bits or a target address with code;
    /// artifact, transaction and RPC errors.
    pub async fn deploy_hook(
        &self,
        artifact: &str,
        constructor_args: &[u8],
        flags: u16,
    ) -> Result<Address> {
        let invalid =
            |reason: String| DevnetError::InvalidInput { what: "UniswapV4::deploy_hook", reason };
        if flags & !Self::ALL_HOOK_MASK != 0 {
            return Err(invalid(format!("flags {flags:#x} exceed 14 bits")));
        }
        let d = &self.devnet;
        let deployed = d.deploy_artifact(artifact, &Default::default(), constructor_args).await?;
        let target = hook_address(deployed, flags);
        let provider = d.provider();
        let code =
            provider.get_code_at(deployed).await.map_err(|e| DevnetError::rpc("eth_getCode", e))?;
        if target != deployed {
            let existing = provider
                .get_code_at(target)
                .await
                .map_err(|e| DevnetError::rpc("eth_getCode", e))?;
            if !existing.is_empty() {
                return Err(invalid(format!("{target} already holds code")));
            }
            d.set_code(target, code).await?;
        }
        Ok(target)
    }

    /// Deploys v4-core's `DeltaReturningHook` with the flags of its callbacks: `beforeSwap`,
    /// `afterSwap` and both swap-returns-delta flags (`0xCC`). Its deltas start at zero (a
    /// no-op); set them with [`UniswapV4::set_hook_deltas`].
    ///
    /// # Errors
    /// As [`UniswapV4::deploy_hook`].
    pub async fn deploy_delta_returning_hook(&self) -> Result<Address> {
        let flags = Self::BEFORE_SWAP_FLAG
            | Self::AFTER_SWAP_FLAG
            | Self::BEFORE_SWAP_RETURNS_DELTA_FLAG
            | Self::AFTER_SWAP_RETURNS_DELTA_FLAG;
        let args = (self.addresses.pool_manager,).abi_encode_params();
        self.deploy_hook(Self::DELTA_RETURNING_HOOK, &args, flags).await
    }

    /// Sets the deltas a [`UniswapV4::deploy_delta_returning_hook`] hook returns on every swap,
    /// in the tokens' smallest units, from the hook's side: positive, the hook takes that much
    /// from the pool manager and the swapper pays (or receives) as much more (less); negative,
    /// the hook pays it from its own token balance (fund the hook first). `specified` is in the
    /// swap's specified currency (the input of an exact input, the output of an exact output)
    /// and shrinks the amount the pool swaps; `unspecified_before_swap` and
    /// `unspecified_after_swap` are in the other currency, returned by `beforeSwap` and
    /// `afterSwap`.
    ///
    /// # Errors
    /// As [`Devnet::send`].
    pub async fn set_hook_deltas(
        &self,
        hook: Address,
        specified: i128,
        unspecified_before_swap: i128,
        unspecified_after_swap: i128,
    ) -> Result<()> {
        let d = &self.devnet;
        let from = d.deployer();
        d.send(from, hook, &IDeltaReturningHook::setDeltaSpecifiedCall { delta: specified })
            .await?;
        let call = IDeltaReturningHook::setDeltaUnspecifiedBeforeSwapCall {
            delta: unspecified_before_swap,
        };
        d.send(from, hook, &call).await?;
        let call =
            IDeltaReturningHook::setDeltaUnspecifiedAfterSwapCall { delta: unspecified_after_swap };
        d.send(from, hook, &call).await.map(drop)
    }

    /// Deploys v4-core's `DynamicFeesTestHook` with the flags of its callbacks,
    /// `afterInitialize` and `beforeSwap` (`0x1080`), and sets its manager and stored fee to
    /// `lp_fee` (hundredths of a bip, at most [`Self::MAX_LP_FEE`]). Initialize a pool with
    /// `fee` [`Self::DYNAMIC_FEE_FLAG`] and this hook: the hook sets the LP fee to its stored fee
    /// after initialization and before every swap (so quotes see the fee the swap will pay).
    ///
    /// # Errors
    /// As [`UniswapV4::deploy_hook`]; [`DevnetError::InvalidInput`] for a fee beyond 24 bits.
    pub async fn deploy_dynamic_fee_hook(&self, lp_fee: u32) -> Result<Address> {
        let fee = U24::try_from(lp_fee).map_err(|_| DevnetError::InvalidInput {
            what: "UniswapV4::deploy_dynamic_fee_hook",
            reason: format!("fee {lp_fee} exceeds 24 bits"),
        })?;
        let flags = Self::AFTER_INITIALIZE_FLAG | Self::BEFORE_SWAP_FLAG;
        let hook = self.deploy_hook(Self::DYNAMIC_FEES_TEST_HOOK, &[], flags).await?;
        let d = &self.devnet;
        let manager = self.addresses.pool_manager;
        d.send(d.deployer(), hook, &IDynamicFeesTestHook::setManagerCall { manager }).await?;
        d.send(d.deployer(), hook, &IDynamicFeesTestHook::setFeeCall { fee }).await?;
        Ok(hook)
    }

    /// Changes the dynamic LP fee of a pool whose hook is a
    /// [`UniswapV4::deploy_dynamic_fee_hook`] hook to `lp_fee` (hundredths of a bip): sets the
    /// hook's stored fee (applied before every later swap) and has the hook call
    /// `manager.updateDynamicLPFee(key, lp_fee)` now (`forcePoolFeeUpdate`), so
    /// [`UniswapV4Pool::slot0`]'s `lp_fee` shows it at once.
    ///
    /// # Errors
    /// [`DevnetError::InvalidInput`] beyond 24 bits; the manager's revert
    /// (`UnauthorizedDynamicLPFeeUpdate` for a static-fee pool, `LPFeeTooLarge`) as
    /// [`Devnet::send`].
    pub async fn update_dynamic_lp_fee(&self, pool: &UniswapV4Pool, lp_fee: u32) -> Result<()> {
        let fee = U24::try_from(lp_fee).map_err(|_| DevnetError::InvalidInput {
            what: "UniswapV4::update_dynamic_lp_fee",
            reason: format!("fee {lp_fee} exceeds 24 bits"),
        })?;
        let d = &self.devnet;
        let hook = pool.hooks();
        d.send(d.deployer(), hook, &IDynamicFeesTestHook::setFeeCall { fee }).await?;
        let call = IDynamicFeesTestHook::forcePoolFeeUpdateCall { key: pool.key().clone(), fee };
        d.send(d.deployer(), hook, &call).await.map(drop)
    }

    /// Deploys v4-core's `FeeTakingHook` with only its swap flags, `afterSwap` and
    /// `afterSwapReturnsDelta` (`0x44`; its liquidity callbacks stay off): every swap pays the
    /// hook 1.23 % (rounded down) of its unspecified side, the output of an exact input (the
    /// swapper receives less) or the input of an exact output (the swapper pays more).
    ///
    /// # Errors
    /// As [`UniswapV4::deploy_hook`].
    pub async fn deploy_fee_taking_hook(&self) -> Result<Address> {
        let flags = Self::AFTER_SWAP_FLAG | Self::AFTER_SWAP_RETURNS_DELTA_FLAG;
        let args = (self.addresses.pool_manager,).abi_encode_params();
        self.deploy_hook(Self::FEE_TAKING_HOOK, &args, flags).await
    }
}

/// The quoter's parameters for an exact amount on `pool`, without hook data.
fn quote_params(
    pool: &UniswapV4Pool,
    zero_for_one: bool,
    exact_amount: u128,
) -> IV4Quoter::QuoteExactSingleParams {
    IV4Quoter::QuoteExactSingleParams {
        poolKey: pool.key().clone(),
        zeroForOne: zero_for_one,
        exactAmount: exact_amount,
        hookData: Bytes::new(),
    }
}

/// `deployed` with its lowest 14 bits replaced by `flags`.
fn hook_address(deployed: Address, flags: u16) -> Address {
    let mut bytes = deployed.0.0;
    let mask = UniswapV4::ALL_HOOK_MASK;
    let low = (u16::from_be_bytes([bytes[18], bytes[19]]) & !mask) | (flags & mask);
    [bytes[18], bytes[19]] = low.to_be_bytes();
    Address::from(bytes)
}

#[cfg(test)]
mod tests {
    use alloy_primitives::{address, keccak256};

    use super::*;

    #[test]
    fn hook_address_keeps_the_high_bits() {
        let deployed = address!("0x5FbDB2315678afecb367f032d93F642f64180aa3");
        let hook = hook_address(deployed, 0xCC);
        assert_eq!(hook, address!("0x5FbDB2315678afecb367f032d93F642f641800CC"));
        assert_eq!(
            hook_address(hook, 0x3FFF),
            address!("0x5FbDB2315678afecb367f032d93F642f64183FFF")
        );
    }

    #[test]
    fn sqrt_price_bounds_match_tick_math() {
        assert_eq!(UniswapV4::MIN_SQRT_PRICE.to_string(), "4295128739");
        assert_eq!(
            UniswapV4::MAX_SQRT_PRICE.to_string(),
            "1461446703485210103287273052203988822378723970342"
        );
    }

    #[test]
    fn pool_id_is_the_hash_of_the_encoded_key() {
        let key = PoolKey {
            currency0: Address::repeat_byte(1),
            currency1: Address::repeat_byte(2),
            fee: U24::from(3000),
            tickSpacing: I24::try_from(60).unwrap(),
            hooks: Address::ZERO,
        };
        let encoded = key.abi_encode();
        assert_eq!(encoded.len(), 5 * 32);
        assert_eq!(pool::pool_id(&key), keccak256(&encoded));
    }
}
