//! [`UniswapV4Pool`]: one pool of the `PoolManager`, with `StateView` reads, liquidity through
//! `PoolModifyLiquidityTest` and swaps through `PoolSwapTest`.

use alloy_primitives::{
    Address, B256, Bytes, I256, U256,
    aliases::{I24, U160},
    keccak256,
};
use alloy_rpc_types_eth::TransactionReceipt;
use alloy_sol_types::SolValue;

use super::{
    UniswapV4, UniswapV4Addresses,
    bindings::{
        IPoolModifyLiquidityTest, IPoolSwapTest, IStateView, ModifyLiquidityParams, PoolKey,
        SwapParams,
    },
};
use crate::{Devnet, DevnetError, Result, TxBatch};

/// Allowance below which [`UniswapV4Pool::approve_routers`] approves again (then for
/// `U256::MAX`): more than any test moves, so a token that decrements a maximal allowance
/// still never needs a second approval.
const ALLOWANCE_FLOOR: U256 = U256::from_limbs([u64::MAX, u64::MAX, 0, 0]);

/// One Uniswap V4 pool, from [`UniswapV4::initialize_pool`] or [`UniswapV4::pool`]: its
/// [`PoolKey`] and the deployment's routers and lens.
#[derive(Clone, Debug)]
pub struct UniswapV4Pool {
    devnet: Devnet,
    addresses: UniswapV4Addresses,
    key: PoolKey,
    id: B256,
}

/// A pool's `StateView.getSlot0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct V4Slot0 {
    /// The current price, `sqrt(currency1/currency0)` as Q64.96.
    pub sqrt_price_x96: U160,
    /// The current tick.
    pub tick: i32,
    /// The protocol fee in pips: zero-for-one in bits 0–11, one-for-zero in bits 12–23.
    pub protocol_fee: u32,
    /// The LP fee in hundredths of a bip (for a dynamic-fee pool, the one its hook last set).
    pub lp_fee: u32,
}

/// A tick's `StateView.getTickLiquidity`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct V4TickLiquidity {
    /// Total liquidity of the positions with this tick as a bound (zero: uninitialized).
    pub liquidity_gross: u128,
    /// Liquidity added when the price crosses the tick upward (removed downward).
    pub liquidity_net: i128,
}

/// A swap through `PoolSwapTest`, from [`UniswapV4Pool::swap`]: the swapper's measured balance
/// changes (`balanceOf` before and after), so hook deltas and fees are included.
#[derive(Clone, Debug)]
pub struct V4SwapOutcome {
    /// The swap's direction.
    pub zero_for_one: bool,
    /// Change of the swapper's currency0 balance, smallest units: negative when it paid.
    pub amount0: I256,
    /// Change of the swapper's currency1 balance, smallest units: negative when it paid.
    pub amount1: I256,
    /// The swap's receipt (the manager's `Swap` is in it).
    pub receipt: TransactionReceipt,
}

impl V4SwapOutcome {
    /// What the swapper paid of the input currency (zero if its balance did not fall).
    pub fn amount_in(&self) -> U256 {
        let delta = if self.zero_for_one { self.amount0 } else { self.amount1 };
        if delta.is_negative() { delta.unsigned_abs() } else { U256::ZERO }
    }

    /// What the swapper received of the output currency (zero if its balance did not rise).
    pub fn amount_out(&self) -> U256 {
        let delta = if self.zero_for_one { self.amount1 } else { self.amount0 };
        if delta.is_positive() { delta.unsigned_abs() } else { U256::ZERO }
    }
}

/// A liquidity change through `PoolModifyLiquidityTest`, from
/// [`UniswapV4Pool::modify_liquidity`]: the caller's measured balance changes.
#[derive(Clone, Debug)]
pub struct V4ModifyLiquidityOutcome {
    /// Change of the caller's currency0 balance, smallest units: negative when it paid (adding).
    pub amount0: I256,
    /// Change of the caller's currency1 balance, smallest units: negative when it paid (adding).
    pub amount1: I256,
    /// The receipt (the manager's `ModifyLiquidity` is in it).
    pub receipt: TransactionReceipt,
}

impl UniswapV4Pool {
    pub(super) fn new(devnet: Devnet, addresses: UniswapV4Addresses, key: PoolKey) -> Self {
        let id = pool_id(&key);
        Self { devnet, addresses, key, id }
    }

    /// The pool's key.
    pub const fn key(&self) -> &PoolKey {
        &self.key
    }

    /// The pool id, `keccak256(abi.encode(key))` (the `Initialize`/`Swap` events' `id`).
    pub const fn id(&self) -> B256 {
        self.id
    }

    /// The lower-sorted currency.
    pub const fn currency0(&self) -> Address {
        self.key.currency0
    }

    /// The higher-sorted currency.
    pub const fn currency1(&self) -> Address {
        self.key.currency1
    }

    /// The key's fee: the static LP fee in hundredths of a bip, or
    /// [`UniswapV4::DYNAMIC_FEE_FLAG`].
    pub fn fee(&self) -> u32 {
        self.key.fee.to::<u32>()
    }

    /// Whether the key's fee is [`UniswapV4::DYNAMIC_FEE_FLAG`] (the hook sets the LP fee).
    pub fn is_dynamic_fee(&self) -> bool {
        self.fee() == UniswapV4::DYNAMIC_FEE_FLAG
    }

    /// The tick spacing.
    pub fn tick_spacing(&self) -> i32 {
        self.key.tickSpacing.as_i32()
    }

    /// The hook contract, or `Address::ZERO`.
    pub const fn hooks(&self) -> Address {
        self.key.hooks
    }

    /// The widest `(tick_lower, tick_upper)` range usable with this pool's tick spacing.
    pub fn full_range(&self) -> (i32, i32) {
        let spacing = self.tick_spacing();
        let upper = UniswapV4::MAX_TICK / spacing * spacing;
        (-upper, upper)
    }

    /// `StateView.getSlot0` at the latest block (all zero for an uninitialized pool).
    ///
    /// # Errors
    /// As [`Devnet::call`].
    pub async fn slot0(&self) -> Result<V4Slot0> {
        let r = self.state(&IStateView::getSlot0Call { poolId: self.id }).await?;
        Ok(V4Slot0 {
            sqrt_price_x96: r.sqrtPriceX96,
            tick: r.tick.as_i32(),
            protocol_fee: r.protocolFee.to::<u32>(),
            lp_fee: r.lpFee.to::<u32>(),
        })
    }

    /// `StateView.getLiquidity`: the in-range liquidity at the latest block.
    ///
    /// # Errors
    /// As [`Devnet::call`].
    pub async fn liquidity(&self) -> Result<u128> {
        self.state(&IStateView::getLiquidityCall { poolId: self.id }).await
    }

    /// `StateView.getTickBitmap`: the bitmap word `word` (bit `i` set: compressed tick
    /// `word·256 + i`, i.e. tick `(word·256 + i)·tick_spacing`, is initialized).
    ///
    /// # Errors
    /// As [`Devnet::call`].
    pub async fn tick_bitmap(&self, word: i16) -> Result<U256> {
        self.state(&IStateView::getTickBitmapCall { poolId: self.id, tick: word }).await
    }

    /// `StateView.getTickLiquidity` of `tick`.
    ///
    /// # Errors
    /// [`DevnetError::InvalidInput`] for a tick beyond 24 bits; as [`Devnet::call`].
    pub async fn tick_liquidity(&self, tick: i32) -> Result<V4TickLiquidity> {
        let tick = to_tick("UniswapV4Pool::tick_liquidity", tick)?;
        let r = self.state(&IStateView::getTickLiquidityCall { poolId: self.id, tick }).await?;
        Ok(V4TickLiquidity { liquidity_gross: r.liquidityGross, liquidity_net: r.liquidityNet })
    }

    /// The liquidity of the position `(tick_lower, tick_upper, salt)` that
    /// [`Self::modify_liquidity`] made (owned by the `PoolModifyLiquidityTest` router, whoever
    /// paid for it).
    ///
    /// # Errors
    /// [`DevnetError::InvalidInput`] for ticks beyond 24 bits; as [`Devnet::call`].
    pub async fn position_liquidity(
        &self,
        tick_lower: i32,
        tick_upper: i32,
        salt: B256,
    ) -> Result<u128> {
        let what = "UniswapV4Pool::position_liquidity";
        let call = IStateView::getPositionInfoCall {
            poolId: self.id,
            owner: self.addresses.modify_liquidity_router,
            tickLower: to_tick(what, tick_lower)?,
            tickUpper: to_tick(what, tick_upper)?,
            salt,
        };
        Ok(self.state(&call).await?.liquidity)
    }

    /// Approves both routers (`PoolSwapTest`, `PoolModifyLiquidityTest`) for both currencies of
    /// `from` (for `U256::MAX`, unless already approved for more than 2^128), as the `push_…`
    /// methods need.
    ///
    /// # Errors
    /// As [`Devnet::send`].
    pub async fn approve_routers(&self, from: Address) -> Result<()> {
        let d = &self.devnet;
        for token in [self.key.currency0, self.key.currency1] {
            for spender in [self.addresses.swap_router, self.addresses.modify_liquidity_router] {
                d.ensure_allowance(token, from, spender, ALLOWANCE_FLOOR).await?;
            }
        }
        Ok(())
    }

    /// Adds (`liquidity_delta > 0`) or removes (`< 0`) liquidity in `[tick_lower, tick_upper)`
    /// (multiples of the tick spacing) through `PoolModifyLiquidityTest`, approving the routers
    /// first if needed: `from` pays the tokens in or receives them (principal and the
    /// position's fees). Positions are keyed by the router, the ticks and `salt`, so each
    /// `(ticks, salt)` is one position whoever modifies it. `liquidity_delta` is in liquidity
    /// units (`L`, √(x·y)).
    ///
    /// # Errors
    /// [`DevnetError::InvalidInput`] for ticks beyond 24 bits; the router's or manager's revert
    /// (e.g. `TickMisaligned`, `PoolNotInitialized`) as [`Devnet::send`].
    pub async fn modify_liquidity(
        &self,
        from: Address,
        tick_lower: i32,
        tick_upper: i32,
        liquidity_delta: i128,
        salt: B256,
    ) -> Result<V4ModifyLiquidityOutcome> {
        let call = self.modify_liquidity_call(tick_lower, tick_upper, liquidity_delta, salt)?;
        self.approve_routers(from).await?;
        let before = self.balances(from).await?;
        let receipt = self.devnet.send(from, self.addresses.modify_liquidity_router, &call).await?;
        let (amount0, amount1) = self.changes(from, before).await?;
        Ok(V4ModifyLiquidityOutcome { amount0, amount1, receipt })
    }

    /// Queues a [`Self::modify_liquidity`] into a batch; `from` must already have approved the
    /// router ([`Self::approve_routers`]).
    ///
    /// # Errors
    /// [`DevnetError::InvalidInput`] for ticks beyond 24 bits.
    pub fn push_modify_liquidity(
        &self,
        batch: &mut TxBatch,
        from: Address,
        tick_lower: i32,
        tick_upper: i32,
        liquidity_delta: i128,
        salt: B256,
    ) -> Result<()> {
        let call = self.modify_liquidity_call(tick_lower, tick_upper, liquidity_delta, salt)?;
        batch.push(from, self.addresses.modify_liquidity_router, &call);
        Ok(())
    }

    /// Swaps through `PoolSwapTest` (tokens settled from and taken to `from`, no ERC-6909
    /// claims, no hook data), approving the routers first if needed. `amount_specified` has V4's
    /// sign: negative, an exact input of `|amount_specified|` of the input currency; positive,
    /// an exact output of that much of the output currency. `zero_for_one` swaps currency0 for
    /// currency1. `sqrt_price_limit_x96` (Q64.96) stops the swap at that price; zero means no
    /// limit (`MIN_SQRT_PRICE + 1` or `MAX_SQRT_PRICE - 1`). A swap that hits the limit fills
    /// partly (exact output then delivers less).
    ///
    /// # Errors
    /// The manager's or the hook's revert (e.g. `PriceLimitAlreadyExceeded`,
    /// `SwapAmountCannotBeZero`) as [`Devnet::send`].
    pub async fn swap(
        &self,
        from: Address,
        zero_for_one: bool,
        amount_specified: I256,
        sqrt_price_limit_x96: U160,
    ) -> Result<V4SwapOutcome> {
        let call = self.swap_call(zero_for_one, amount_specified, sqrt_price_limit_x96);
        self.approve_routers(from).await?;
        let before = self.balances(from).await?;
        let receipt = self.devnet.send(from, self.addresses.swap_router, &call).await?;
        let (amount0, amount1) = self.changes(from, before).await?;
        Ok(V4SwapOutcome { zero_for_one, amount0, amount1, receipt })
    }

    /// Queues a [`Self::swap`] into a batch; `from` must already have approved the router
    /// ([`Self::approve_routers`]). The amounts are in the receipt's `Swap` event.
    pub fn push_swap(
        &self,
        batch: &mut TxBatch,
        from: Address,
        zero_for_one: bool,
        amount_specified: I256,
        sqrt_price_limit_x96: U160,
    ) {
        let call = self.swap_call(zero_for_one, amount_specified, sqrt_price_limit_x96);
        batch.push(from, self.addresses.swap_router, &call);
    }

    fn modify_liquidity_call(
        &self,
        tick_lower: i32,
        tick_upper: i32,
        liquidity_delta: i128,
        salt: B256,
    ) -> Result<IPoolModifyLiquidityTest::modifyLiquidityCall> {
        let what = "UniswapV4Pool::modify_liquidity";
        Ok(IPoolModifyLiquidityTest::modifyLiquidityCall {
            key: self.key.clone(),
            params: ModifyLiquidityParams {
                tickLower: to_tick(what, tick_lower)?,
                tickUpper: to_tick(what, tick_upper)?,
                liquidityDelta: I256::try_from(liquidity_delta).unwrap_or_default(),
                salt,
            },
            hookData: Bytes::new(),
        })
    }

    fn swap_call(
        &self,
        zero_for_one: bool,
        amount_specified: I256,
        sqrt_price_limit_x96: U160,
    ) -> IPoolSwapTest::swapCall {
        let limit = if !sqrt_price_limit_x96.is_zero() {
            sqrt_price_limit_x96
        } else if zero_for_one {
            UniswapV4::MIN_SQRT_PRICE + U160::from(1)
        } else {
            UniswapV4::MAX_SQRT_PRICE - U160::from(1)
        };
        IPoolSwapTest::swapCall {
            key: self.key.clone(),
            params: SwapParams {
                zeroForOne: zero_for_one,
                amountSpecified: amount_specified,
                sqrtPriceLimitX96: limit,
            },
            testSettings: IPoolSwapTest::TestSettings { takeClaims: false, settleUsingBurn: false },
            hookData: Bytes::new(),
        }
    }

    /// A `StateView` read.
    async fn state<C: alloy_sol_types::SolCall>(&self, call: &C) -> Result<C::Return> {
        self.devnet.call(self.addresses.state_view, call).await
    }

    /// `owner`'s balances of both currencies.
    async fn balances(&self, owner: Address) -> Result<(U256, U256)> {
        let d = &self.devnet;
        Ok((
            d.balance_of(self.key.currency0, owner).await?,
            d.balance_of(self.key.currency1, owner).await?,
        ))
    }

    /// How `owner`'s balances changed since `before`.
    async fn changes(&self, owner: Address, before: (U256, U256)) -> Result<(I256, I256)> {
        let after = self.balances(owner).await?;
        Ok((
            I256::from_raw(after.0.wrapping_sub(before.0)),
            I256::from_raw(after.1.wrapping_sub(before.1)),
        ))
    }
}

/// `keccak256(abi.encode(key))`, the `PoolId`.
pub(super) fn pool_id(key: &PoolKey) -> B256 {
    keccak256(key.abi_encode())
}

fn to_tick(what: &'static str, tick: i32) -> Result<I24> {
    I24::try_from(tick).map_err(|_| DevnetError::InvalidInput {
        what,
        reason: format!("tick {tick} exceeds 24 bits"),
    })
}
