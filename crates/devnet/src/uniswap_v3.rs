//! Uniswap V3 from `@uniswap/v3-core` 1.0.1 with the `@uniswap/v3-periphery` 1.4.4
//! `NonfungiblePositionManager`, `SwapRouter` and `QuoterV2`.

use std::collections::BTreeMap;

use alloy_primitives::{
    Address, U256, address,
    aliases::{I24, U24, U160},
};
use alloy_rpc_types_eth::TransactionReceipt;
use alloy_sol_types::{SolValue, sol};

use crate::{
    Devnet, DevnetError, Result, TxBatch,
    bindings::{
        INonfungiblePositionManager as Npm, IQuoterV2, ISwapRouter, IUniswapV3Factory,
        IUniswapV3Pool,
    },
    receipt_events,
    uniswap_v2::sort_tokens,
};

const FACTORY: &str =
    "@uniswap/v3-core/artifacts/contracts/UniswapV3Factory.sol/UniswapV3Factory.json";
const POSITION_MANAGER: &str = "@uniswap/v3-periphery/artifacts/contracts/NonfungiblePositionManager.sol/NonfungiblePositionManager.json";
const SWAP_ROUTER: &str =
    "@uniswap/v3-periphery/artifacts/contracts/SwapRouter.sol/SwapRouter.json";
const QUOTER_V2: &str = "@uniswap/v3-periphery/artifacts/contracts/lens/QuoterV2.sol/QuoterV2.json";

sol! {
    /// The `SwapRouter`'s exact-output entry point (`@uniswap/v3-periphery` 1.4.4), beside
    /// [`ISwapRouter`]'s exact-input one.
    #[derive(Debug, PartialEq, Eq)]
    interface ISwapRouterExactOutput {
        struct ExactOutputSingleParams {
            address tokenIn;
            address tokenOut;
            uint24 fee;
            address recipient;
            uint256 deadline;
            uint256 amountOut;
            uint256 amountInMaximum;
            uint160 sqrtPriceLimitX96;
        }
        function exactOutputSingle(ExactOutputSingleParams params)
            external
            payable
            returns (uint256 amountIn);
    }
}

/// Stand-in for WETH9 and the token descriptor, which the tests never touch.
const UNUSED: Address = address!("0x000000000000000000000000000000000000dEaD");
/// `TickMath.MAX_TICK`; `MIN_TICK` is its negation.
const MAX_TICK: i32 = 887_272;
/// `sqrtPriceX96` of price 1 (2^96).
pub const SQRT_PRICE_1_1: U160 = U160::from_limbs([0, 1 << 32, 0]);

/// A deployed Uniswap V3 factory with the periphery's position manager and swap router, from
/// [`Devnet::deploy_uniswap_v3`]. WETH9 and the NFT descriptor are a dummy address.
///
/// The pool init-code hash equals mainnet's (and the periphery's constant).
#[derive(Clone, Debug)]
pub struct UniswapV3 {
    devnet: Devnet,
    factory: Address,
    position_manager: Address,
    swap_router: Address,
}

/// One Uniswap V3 pool, from [`UniswapV3::create_pool`].
#[derive(Clone, Debug)]
pub struct UniswapV3Pool {
    devnet: Devnet,
    address: Address,
    token0: Address,
    token1: Address,
    fee: U24,
    tick_spacing: i32,
    position_manager: Address,
    swap_router: Address,
}

/// A position minted through the `NonfungiblePositionManager` (from its `IncreaseLiquidity`).
#[derive(Clone, Debug)]
pub struct V3Position {
    /// The position NFT's id.
    pub token_id: U256,
    /// Liquidity added to the pool.
    pub liquidity: u128,
    /// token0 paid, in its smallest unit.
    pub amount0: U256,
    /// token1 paid, in its smallest unit.
    pub amount1: U256,
    /// The mint's receipt (the pool's `Mint` is in it).
    pub receipt: TransactionReceipt,
}

/// The periphery's `QuoterV2` on a [`UniswapV3`] factory, from [`UniswapV3::deploy_quoter_v2`].
#[derive(Clone, Debug)]
pub struct QuoterV2 {
    devnet: Devnet,
    address: Address,
}

/// A `QuoterV2` answer for one pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct V3Quote {
    /// `amountOut` of an exact-input quote, `amountIn` (fee included) of an exact-output one,
    /// in the token's smallest unit.
    pub amount: U256,
    /// The pool's `sqrtPriceX96` after the swap, Q64.96.
    pub sqrt_price_x96_after: U160,
    /// `QuoterV2`'s count of initialized ticks crossed (its `PoolTicksCounter`, which truncates
    /// `tick / tickSpacing` toward zero and so can differ from the ticks the pool crossed).
    pub initialized_ticks_crossed: u32,
    /// Gas the pool's swap used, as `QuoterV2` measured it.
    pub gas_estimate: U256,
}

/// A burn: `decreaseLiquidity` then `collect` through the position manager.
#[derive(Clone, Debug)]
pub struct V3Burn {
    /// token0 collected (principal and fees), in its smallest unit.
    pub amount0: U256,
    /// token1 collected (principal and fees), in its smallest unit.
    pub amount1: U256,
    /// The `decreaseLiquidity` receipt (the pool's `Burn` is in it).
    pub decrease_receipt: TransactionReceipt,
    /// The `collect` receipt (the pool's `Collect` is in it).
    pub collect_receipt: TransactionReceipt,
}

impl Devnet {
    /// Deploys the V3 factory, the `NonfungiblePositionManager` and the `SwapRouter`.
    ///
    /// # Errors
    /// Artifact and transaction errors.
    pub async fn deploy_uniswap_v3(&self) -> Result<UniswapV3> {
        let none = BTreeMap::new();
        let factory = self.deploy_artifact(FACTORY, &none, &[]).await?;
        let position_manager = self
            .deploy_artifact(
                POSITION_MANAGER,
                &none,
                &(factory, UNUSED, UNUSED).abi_encode_params(),
            )
            .await?;
        let swap_router = self
            .deploy_artifact(SWAP_ROUTER, &none, &(factory, UNUSED).abi_encode_params())
            .await?;
        Ok(UniswapV3 { devnet: self.clone(), factory, position_manager, swap_router })
    }
}

impl UniswapV3 {
    /// Deploys the periphery's `QuoterV2` on this factory (WETH9 a dummy address). Separate
    /// from [`Devnet::deploy_uniswap_v3`] so the addresses of contracts deployed after the
    /// factory stay where they were.
    ///
    /// # Errors
    /// Artifact and transaction errors.
    pub async fn deploy_quoter_v2(&self) -> Result<QuoterV2> {
        let args = (self.factory, UNUSED).abi_encode_params();
        let address = self.devnet.deploy_artifact(QUOTER_V2, &BTreeMap::new(), &args).await?;
        Ok(QuoterV2 { devnet: self.devnet.clone(), address })
    }

    /// The factory's address.
    pub const fn factory(&self) -> Address {
        self.factory
    }

    /// The `NonfungiblePositionManager`'s address.
    pub const fn position_manager(&self) -> Address {
        self.position_manager
    }

    /// The `SwapRouter`'s address.
    pub const fn swap_router(&self) -> Address {
        self.swap_router
    }

    /// Enables a fee tier in the factory (`enableFeeAmount`, sent by the deployer, its owner):
    /// `fee` in hundredths of a bip (below 1 000 000), `tick_spacing` in `1..16384`, e.g. the
    /// 0.01 % tier `(100, 1)` that mainnet added later.
    ///
    /// # Errors
    /// [`DevnetError::InvalidInput`] for a fee or spacing beyond 24 bits; the factory's revert
    /// for a tier that exists or is out of bounds.
    pub async fn enable_fee_amount(&self, fee: u32, tick_spacing: i32) -> Result<()> {
        let invalid = |reason: String| DevnetError::InvalidInput {
            what: "UniswapV3::enable_fee_amount",
            reason,
        };
        let fee = U24::try_from(fee).map_err(|_| invalid(format!("fee {fee} exceeds 24 bits")))?;
        let tick_spacing = I24::try_from(tick_spacing)
            .map_err(|_| invalid(format!("tick spacing {tick_spacing} exceeds 24 bits")))?;
        let d = &self.devnet;
        let call = IUniswapV3Factory::enableFeeAmountCall { fee, tickSpacing: tick_spacing };
        d.send(d.deployer(), self.factory, &call).await?;
        Ok(())
    }

    /// Creates the pool of two tokens at `fee` (hundredths of a basis point: 500, 3000 or 10000,
    /// or a tier enabled with [`UniswapV3::enable_fee_amount`]) and initializes it at
    /// `sqrt_price_x96` (e.g. [`SQRT_PRICE_1_1`]).
    ///
    /// # Errors
    /// [`DevnetError::InvalidInput`] for identical tokens or a fee the factory does not enable;
    /// the factory's revert when the pool exists.
    pub async fn create_pool(
        &self,
        token_a: Address,
        token_b: Address,
        fee: u32,
        sqrt_price_x96: U160,
    ) -> Result<UniswapV3Pool> {
        let invalid =
            |reason: String| DevnetError::InvalidInput { what: "UniswapV3::create_pool", reason };
        if token_a == token_b {
            return Err(invalid(format!("both tokens are {token_a}")));
        }
        let fee = U24::try_from(fee).map_err(|_| invalid(format!("fee {fee} exceeds 24 bits")))?;
        let d = &self.devnet;
        let spacing =
            d.call(self.factory, &IUniswapV3Factory::feeAmountTickSpacingCall { fee }).await?;
        let tick_spacing = i32::try_from(spacing).unwrap_or_default();
        if tick_spacing <= 0 {
            return Err(invalid(format!("fee {fee} is not enabled in the factory")));
        }
        let (token0, token1) = sort_tokens(token_a, token_b);
        d.send(
            d.deployer(),
            self.factory,
            &IUniswapV3Factory::createPoolCall { tokenA: token0, tokenB: token1, fee },
        )
        .await?;
        let address = d
            .call(
                self.factory,
                &IUniswapV3Factory::getPoolCall { tokenA: token0, tokenB: token1, fee },
            )
            .await?;
        d.send(
            d.deployer(),
            address,
            &IUniswapV3Pool::initializeCall { sqrtPriceX96: sqrt_price_x96 },
        )
        .await?;
        Ok(UniswapV3Pool {
            devnet: d.clone(),
            address,
            token0,
            token1,
            fee,
            tick_spacing,
            position_manager: self.position_manager,
            swap_router: self.swap_router,
        })
    }
}

impl UniswapV3 {
    /// A handle on an existing pool, reading its tokens, fee and tick spacing from the chain.
    ///
    /// # Errors
    /// As [`Devnet::call`] (e.g. no pool at `address`).
    pub async fn pool_at(&self, address: Address) -> Result<UniswapV3Pool> {
        let d = &self.devnet;
        let token0 = d.call(address, &IUniswapV3Pool::token0Call {}).await?;
        let token1 = d.call(address, &IUniswapV3Pool::token1Call {}).await?;
        let fee = d.call(address, &IUniswapV3Pool::feeCall {}).await?;
        let spacing = d.call(address, &IUniswapV3Pool::tickSpacingCall {}).await?;
        Ok(UniswapV3Pool {
            devnet: d.clone(),
            address,
            token0,
            token1,
            fee,
            tick_spacing: i32::try_from(spacing).unwrap_or_default().max(1),
            position_manager: self.position_manager,
            swap_router: self.swap_router,
        })
    }
}

impl UniswapV3Pool {
    /// The pool's address.
    pub const fn address(&self) -> Address {
        self.address
    }

    /// The lower-sorted token.
    pub const fn token0(&self) -> Address {
        self.token0
    }

    /// The higher-sorted token.
    pub const fn token1(&self) -> Address {
        self.token1
    }

    /// The fee tier in hundredths of a basis point.
    pub const fn fee(&self) -> U24 {
        self.fee
    }

    /// The tick spacing of the fee tier.
    pub const fn tick_spacing(&self) -> i32 {
        self.tick_spacing
    }

    /// The widest `(tick_lower, tick_upper)` range usable with this pool's tick spacing.
    pub const fn full_range(&self) -> (i32, i32) {
        let upper = MAX_TICK / self.tick_spacing * self.tick_spacing;
        (-upper, upper)
    }

    /// `slot0()` at the latest block.
    ///
    /// # Errors
    /// As [`Devnet::call`].
    pub async fn slot0(&self) -> Result<IUniswapV3Pool::slot0Return> {
        self.devnet.call(self.address, &IUniswapV3Pool::slot0Call {}).await
    }

    /// `ticks(tick)` at the latest block: `liquidityGross`, `liquidityNet`, `initialized`…
    ///
    /// # Errors
    /// [`DevnetError::InvalidInput`] for a tick beyond 24 bits; as [`Devnet::call`].
    pub async fn tick_info(&self, tick: i32) -> Result<IUniswapV3Pool::ticksReturn> {
        let tick = I24::try_from(tick).map_err(|_| DevnetError::InvalidInput {
            what: "UniswapV3Pool::tick_info",
            reason: format!("tick {tick} exceeds 24 bits"),
        })?;
        self.devnet.call(self.address, &IUniswapV3Pool::ticksCall { tick }).await
    }

    /// `liquidity()` (in range) at the latest block.
    ///
    /// # Errors
    /// As [`Devnet::call`].
    pub async fn liquidity(&self) -> Result<u128> {
        self.devnet.call(self.address, &IUniswapV3Pool::liquidityCall {}).await
    }

    /// Mints a position for `from` between two ticks (multiples of [`Self::tick_spacing`])
    /// through the position manager, approving it first if needed. Amounts are the desired
    /// maxima; the position manager takes what the price allows.
    ///
    /// # Errors
    /// [`DevnetError::InvalidInput`] for ticks out of range; as [`Devnet::send`].
    pub async fn mint_position(
        &self,
        from: Address,
        tick_lower: i32,
        tick_upper: i32,
        amount0_desired: U256,
        amount1_desired: U256,
    ) -> Result<V3Position> {
        let d = &self.devnet;
        d.ensure_allowance(self.token0, from, self.position_manager, amount0_desired).await?;
        d.ensure_allowance(self.token1, from, self.position_manager, amount1_desired).await?;
        let call =
            self.mint_call(from, tick_lower, tick_upper, amount0_desired, amount1_desired)?;
        let receipt = d.send(from, self.position_manager, &call).await?;
        let event = receipt_events::<Npm::IncreaseLiquidity>(&receipt, self.position_manager)?
            .pop()
            .ok_or_else(|| DevnetError::InvalidInput {
                what: "UniswapV3Pool::mint_position",
                reason: "the mint emitted no IncreaseLiquidity".into(),
            })?;
        Ok(V3Position {
            token_id: event.tokenId,
            liquidity: event.liquidity,
            amount0: event.amount0,
            amount1: event.amount1,
            receipt,
        })
    }

    /// Burns `liquidity` of a position owned by `from` (`decreaseLiquidity`) and collects
    /// everything owed to `from` (`collect`).
    ///
    /// # Errors
    /// As [`Devnet::send`].
    pub async fn burn_position(
        &self,
        from: Address,
        token_id: U256,
        liquidity: u128,
    ) -> Result<V3Burn> {
        let d = &self.devnet;
        let decrease_receipt =
            d.send(from, self.position_manager, &decrease_call(token_id, liquidity)).await?;
        let collect_receipt =
            d.send(from, self.position_manager, &collect_call(token_id, from)).await?;
        let (amount0, amount1) =
            receipt_events::<Npm::Collect>(&collect_receipt, self.position_manager)?
                .pop()
                .map_or((U256::ZERO, U256::ZERO), |c| (c.amount0, c.amount1));
        Ok(V3Burn { amount0, amount1, decrease_receipt, collect_receipt })
    }

    /// Swaps exactly `amount_in` of token0 (`zero_for_one`) or token1 from `from` through the
    /// `SwapRouter` (`exactInputSingle`, no minimum out, no price limit), approving it first if
    /// needed. Returns the receipt (the pool's `Swap` is in it).
    ///
    /// # Errors
    /// As [`Devnet::send`].
    pub async fn swap_exact_in(
        &self,
        from: Address,
        zero_for_one: bool,
        amount_in: U256,
    ) -> Result<TransactionReceipt> {
        let token_in = if zero_for_one { self.token0 } else { self.token1 };
        self.devnet.ensure_allowance(token_in, from, self.swap_router, amount_in).await?;
        self.devnet
            .send(from, self.swap_router, &self.swap_call(from, zero_for_one, amount_in))
            .await
    }

    /// Swaps token0 (`zero_for_one`) or token1 from `from` for exactly `amount_out` of the other
    /// through the `SwapRouter` (`exactOutputSingle`, no price limit, so the router reverts
    /// unless all of `amount_out` is delivered), paying at most `amount_in_maximum` (the router
    /// reverts with `STF` or `Too much requested` beyond it), approving it first if needed.
    /// Returns the receipt (the pool's `Swap` is in it); the input paid is the swapper's balance
    /// change, or the `Swap` event's amount.
    ///
    /// # Errors
    /// As [`Devnet::send`].
    pub async fn swap_exact_out(
        &self,
        from: Address,
        zero_for_one: bool,
        amount_out: U256,
        amount_in_maximum: U256,
    ) -> Result<TransactionReceipt> {
        let token_in = if zero_for_one { self.token0 } else { self.token1 };
        self.devnet.ensure_allowance(token_in, from, self.swap_router, amount_in_maximum).await?;
        let call = self.swap_exact_out_call(from, zero_for_one, amount_out, amount_in_maximum);
        self.devnet.send(from, self.swap_router, &call).await
    }

    /// Queues an exact-output swap ([`Self::swap_exact_out`]) into a batch. `from` must already
    /// have approved [`UniswapV3::swap_router`] for the input token.
    pub fn push_swap_exact_out(
        &self,
        batch: &mut TxBatch,
        from: Address,
        zero_for_one: bool,
        amount_out: U256,
        amount_in_maximum: U256,
    ) {
        let call = self.swap_exact_out_call(from, zero_for_one, amount_out, amount_in_maximum);
        batch.push(from, self.swap_router, &call);
    }

    /// Queues a swap into a batch. `from` must already have approved [`UniswapV3::swap_router`]
    /// for the input token (e.g. by one [`Self::swap_exact_in`] or [`Devnet::approve`]).
    pub fn push_swap(
        &self,
        batch: &mut TxBatch,
        from: Address,
        zero_for_one: bool,
        amount_in: U256,
    ) {
        batch.push(from, self.swap_router, &self.swap_call(from, zero_for_one, amount_in));
    }

    /// Queues a position mint into a batch. `from` must already have approved the position
    /// manager for both tokens. The token id is in the receipt's `IncreaseLiquidity`.
    ///
    /// # Errors
    /// [`DevnetError::InvalidInput`] for ticks out of range.
    pub fn push_mint_position(
        &self,
        batch: &mut TxBatch,
        from: Address,
        tick_lower: i32,
        tick_upper: i32,
        amount0_desired: U256,
        amount1_desired: U256,
    ) -> Result<()> {
        let call =
            self.mint_call(from, tick_lower, tick_upper, amount0_desired, amount1_desired)?;
        batch.push(from, self.position_manager, &call);
        Ok(())
    }

    /// Queues a burn (`decreaseLiquidity` then `collect`) into a batch.
    pub fn push_burn_position(
        &self,
        batch: &mut TxBatch,
        from: Address,
        token_id: U256,
        liquidity: u128,
    ) {
        batch.push(from, self.position_manager, &decrease_call(token_id, liquidity)).push(
            from,
            self.position_manager,
            &collect_call(token_id, from),
        );
    }

    fn mint_call(
        &self,
        recipient: Address,
        tick_lower: i32,
        tick_upper: i32,
        amount0_desired: U256,
        amount1_desired: U256,
    ) -> Result<Npm::mintCall> {
        let tick = |t: i32| {
            I24::try_from(t).map_err(|_| DevnetError::InvalidInput {
                what: "UniswapV3Pool::mint_position",
                reason: format!("tick {t} exceeds 24 bits"),
            })
        };
        Ok(Npm::mintCall {
            params: Npm::MintParams {
                token0: self.token0,
                token1: self.token1,
                fee: self.fee,
                tickLower: tick(tick_lower)?,
                tickUpper: tick(tick_upper)?,
                amount0Desired: amount0_desired,
                amount1Desired: amount1_desired,
                amount0Min: U256::ZERO,
                amount1Min: U256::ZERO,
                recipient,
                deadline: U256::MAX,
            },
        })
    }

    /// `(token_in, token_out)` of a swap in this direction.
    const fn tokens(&self, zero_for_one: bool) -> (Address, Address) {
        if zero_for_one { (self.token0, self.token1) } else { (self.token1, self.token0) }
    }

    fn swap_call(
        &self,
        recipient: Address,
        zero_for_one: bool,
        amount_in: U256,
    ) -> ISwapRouter::exactInputSingleCall {
        let (token_in, token_out) = self.tokens(zero_for_one);
        ISwapRouter::exactInputSingleCall {
            params: ISwapRouter::ExactInputSingleParams {
                tokenIn: token_in,
                tokenOut: token_out,
                fee: self.fee,
                recipient,
                deadline: U256::MAX,
                amountIn: amount_in,
                amountOutMinimum: U256::ZERO,
                sqrtPriceLimitX96: U160::ZERO,
            },
        }
    }
}

impl UniswapV3Pool {
    fn swap_exact_out_call(
        &self,
        recipient: Address,
        zero_for_one: bool,
        amount_out: U256,
        amount_in_maximum: U256,
    ) -> ISwapRouterExactOutput::exactOutputSingleCall {
        let (token_in, token_out) = self.tokens(zero_for_one);
        ISwapRouterExactOutput::exactOutputSingleCall {
            params: ISwapRouterExactOutput::ExactOutputSingleParams {
                tokenIn: token_in,
                tokenOut: token_out,
                fee: self.fee,
                recipient,
                deadline: U256::MAX,
                amountOut: amount_out,
                amountInMaximum: amount_in_maximum,
                sqrtPriceLimitX96: U160::ZERO,
            },
        }
    }
}

impl QuoterV2 {
    /// The quoter's address.
    pub const fn address(&self) -> Address {
        self.address
    }

    /// `quoteExactInputSingle` on `pool`: the output of swapping exactly `amount_in` of token0
    /// (`zero_for_one`) or token1, up to `sqrt_price_limit_x96` (zero: `QuoterV2`'s default,
    /// `MIN_SQRT_RATIO + 1` or `MAX_SQRT_RATIO - 1`).
    ///
    /// # Errors
    /// As [`Devnet::call`]: [`DevnetError::Rpc`] with the revert reason when `QuoterV2` reverts.
    pub async fn quote_exact_input_single(
        &self,
        pool: &UniswapV3Pool,
        zero_for_one: bool,
        amount_in: U256,
        sqrt_price_limit_x96: U160,
    ) -> Result<V3Quote> {
        let (token_in, token_out) = pool.tokens(zero_for_one);
        let call = IQuoterV2::quoteExactInputSingleCall {
            params: IQuoterV2::QuoteExactInputSingleParams {
                tokenIn: token_in,
                tokenOut: token_out,
                amountIn: amount_in,
                fee: pool.fee,
                sqrtPriceLimitX96: sqrt_price_limit_x96,
            },
        };
        let r = self.devnet.call(self.address, &call).await?;
        Ok(V3Quote {
            amount: r.amountOut,
            sqrt_price_x96_after: r.sqrtPriceX96After,
            initialized_ticks_crossed: r.initializedTicksCrossed,
            gas_estimate: r.gasEstimate,
        })
    }

    /// `quoteExactOutputSingle` on `pool`: the input (fee included) needed to receive exactly
    /// `amount_out` of token1 (`zero_for_one`) or token0, up to `sqrt_price_limit_x96` (zero:
    /// the default limit, and then a swap that cannot deliver all of `amount_out` reverts).
    ///
    /// # Errors
    /// As [`Devnet::call`]: [`DevnetError::Rpc`] with the revert reason when `QuoterV2` reverts.
    pub async fn quote_exact_output_single(
        &self,
        pool: &UniswapV3Pool,
        zero_for_one: bool,
        amount_out: U256,
        sqrt_price_limit_x96: U160,
    ) -> Result<V3Quote> {
        let (token_in, token_out) = pool.tokens(zero_for_one);
        let call = IQuoterV2::quoteExactOutputSingleCall {
            params: IQuoterV2::QuoteExactOutputSingleParams {
                tokenIn: token_in,
                tokenOut: token_out,
                amount: amount_out,
                fee: pool.fee,
                sqrtPriceLimitX96: sqrt_price_limit_x96,
            },
        };
        let r = self.devnet.call(self.address, &call).await?;
        Ok(V3Quote {
            amount: r.amountIn,
            sqrt_price_x96_after: r.sqrtPriceX96After,
            initialized_ticks_crossed: r.initializedTicksCrossed,
            gas_estimate: r.gasEstimate,
        })
    }
}

fn decrease_call(token_id: U256, liquidity: u128) -> Npm::decreaseLiquidityCall {
    Npm::decreaseLiquidityCall {
        params: Npm::DecreaseLiquidityParams {
            tokenId: token_id,
            liquidity,
            amount0Min: U256::ZERO,
            amount1Min: U256::ZERO,
            deadline: U256::MAX,
        },
    }
}

fn collect_call(token_id: U256, recipient: Address) -> Npm::collectCall {
    Npm::collectCall {
        params: Npm::CollectParams {
            tokenId: token_id,
            recipient,
            amount0Max: u128::MAX,
            amount1Max: u128::MAX,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqrt_price_one_is_two_to_the_96() {
        assert_eq!(U256::from(SQRT_PRICE_1_1), U256::from(1u8) << 96);
    }
}
