//! Solidity interfaces of the Uniswap V4 contracts the harness drives: the subset of each ABI in
//! `@uniswap/v4-core` 1.0.2 (`out/<File>.sol/<Contract>.json`) and `@uniswap/v4-periphery` 1.0.3
//! (`foundry-out/<File>.sol/<Contract>.json`) that it uses.
//!
//! V4's user-defined value types are written as their underlying types, which is how they appear
//! in the ABI: `Currency` and `IHooks` as `address`, `PoolId` as `bytes32`, `BalanceDelta` and
//! `BeforeSwapDelta` as `int256` (`BalanceDelta` packs `amount0` in the upper and `amount1` in the
//! lower 128 bits).

// `sol!` gives the 8-field `Initialize` and `Swap` events an 8-argument `new`.
#![allow(clippy::too_many_arguments)]

use alloy_sol_types::sol;

sol! {
    /// A pool's identity (`types/PoolKey.sol`); its id is `keccak256(abi.encode(key))`.
    /// `currency0 < currency1` (`address(0)` is native ETH), `fee` in hundredths of a bip or the
    /// dynamic-fee flag `0x800000`, `hooks` the hook contract or `address(0)`.
    #[derive(Debug, PartialEq, Eq, Hash)]
    struct PoolKey {
        address currency0;
        address currency1;
        uint24 fee;
        int24 tickSpacing;
        address hooks;
    }

    /// `types/PoolOperation.sol`: `liquidityDelta` positive to add, negative to remove.
    #[derive(Debug, PartialEq, Eq)]
    struct ModifyLiquidityParams {
        int24 tickLower;
        int24 tickUpper;
        int256 liquidityDelta;
        bytes32 salt;
    }

    /// `types/PoolOperation.sol`: `amountSpecified` negative for an exact input, positive for an
    /// exact output (the opposite of V3's sign).
    #[derive(Debug, PartialEq, Eq)]
    struct SwapParams {
        bool zeroForOne;
        int256 amountSpecified;
        uint160 sqrtPriceLimitX96;
    }

    /// `PoolManager` (`@uniswap/v4-core` 1.0.2): the singleton holding every pool, with the
    /// protocol-fee functions of `ProtocolFees`/`Owned` and its errors.
    #[derive(Debug, PartialEq, Eq)]
    interface IPoolManager {
        error CurrencyNotSettled();
        error PoolNotInitialized();
        error AlreadyUnlocked();
        error ManagerLocked();
        error TickSpacingTooLarge(int24 tickSpacing);
        error TickSpacingTooSmall(int24 tickSpacing);
        error CurrenciesOutOfOrderOrEqual(address currency0, address currency1);
        error UnauthorizedDynamicLPFeeUpdate();
        error SwapAmountCannotBeZero();
        error ProtocolFeeTooLarge(uint24 fee);
        error InvalidCaller();
        /// `Hooks.HookAddressNotValid`: the address bits do not match a valid permission set.
        error HookAddressNotValid(address hooks);
        /// `Pool.PriceLimitAlreadyExceeded`.
        error PriceLimitAlreadyExceeded(uint160 sqrtPriceCurrentX96, uint160 sqrtPriceLimitX96);
        /// `Pool.PriceLimitOutOfBounds`.
        error PriceLimitOutOfBounds(uint160 sqrtPriceLimitX96);
        /// `Pool.PoolAlreadyInitialized`.
        error PoolAlreadyInitialized();
        /// `Pool.TicksMisordered`.
        error TicksMisordered(int24 tickLower, int24 tickUpper);
        /// `Pool.TickLowerOutOfBounds`.
        error TickLowerOutOfBounds(int24 tickLower);
        /// `Pool.TickUpperOutOfBounds`.
        error TickUpperOutOfBounds(int24 tickUpper);
        /// `Pool.InvalidFeeForExactOut`: an exact output on a pool whose swap fee is 100 %.
        error InvalidFeeForExactOut();
        /// `TickBitmap.TickMisaligned`: a tick is not a multiple of the tick spacing.
        error TickMisaligned(int24 tick, int24 tickSpacing);
        /// `LPFeeLibrary.LPFeeTooLarge`.
        error LPFeeTooLarge(uint24 fee);
        /// `CustomRevert.WrappedError` (ERC-7751): a hook or token call reverted with `reason`.
        error WrappedError(address target, bytes4 selector, bytes reason, bytes details);

        /// `id` is `keccak256(abi.encode(key))`; `fee` is the key's (possibly the dynamic flag).
        event Initialize(
            bytes32 indexed id,
            address indexed currency0,
            address indexed currency1,
            uint24 fee,
            int24 tickSpacing,
            address hooks,
            uint160 sqrtPriceX96,
            int24 tick
        );
        /// `sender` is the contract that called `modifyLiquidity` (the position's owner).
        event ModifyLiquidity(
            bytes32 indexed id,
            address indexed sender,
            int24 tickLower,
            int24 tickUpper,
            int256 liquidityDelta,
            bytes32 salt
        );
        /// `amount0`/`amount1` are the swap's deltas from the swapper's side before any hook
        /// delta (negative: paid into the pool); `fee` is the swap fee applied (LP fee combined
        /// with the protocol fee), in hundredths of a bip.
        event Swap(
            bytes32 indexed id,
            address indexed sender,
            int128 amount0,
            int128 amount1,
            uint160 sqrtPriceX96,
            uint128 liquidity,
            int24 tick,
            uint24 fee
        );
        event ProtocolFeeControllerUpdated(address indexed protocolFeeController);
        event ProtocolFeeUpdated(bytes32 indexed id, uint24 protocolFee);

        function initialize(PoolKey key, uint160 sqrtPriceX96) external returns (int24 tick);
        function updateDynamicLPFee(PoolKey key, uint24 newDynamicLPFee) external;
        function owner() external view returns (address);
        function protocolFeeController() external view returns (address);
        function setProtocolFeeController(address controller) external;
        function setProtocolFee(PoolKey key, uint24 newProtocolFee) external;
        function protocolFeesAccrued(address currency) external view returns (uint256 amount);
        function collectProtocolFees(address recipient, address currency, uint256 amount)
            external
            returns (uint256 amountCollected);
        function extsload(bytes32 slot) external view returns (bytes32 value);
    }

    /// `StateView` (`@uniswap/v4-periphery` 1.0.3): the `StateLibrary` reads of the
    /// `PoolManager`'s storage as view functions.
    #[derive(Debug, PartialEq, Eq)]
    interface IStateView {
        function poolManager() external view returns (address);
        function getSlot0(bytes32 poolId)
            external
            view
            returns (uint160 sqrtPriceX96, int24 tick, uint24 protocolFee, uint24 lpFee);
        function getLiquidity(bytes32 poolId) external view returns (uint128 liquidity);
        function getTickBitmap(bytes32 poolId, int16 tick) external view returns (uint256 tickBitmap);
        function getTickLiquidity(bytes32 poolId, int24 tick)
            external
            view
            returns (uint128 liquidityGross, int128 liquidityNet);
        function getTickInfo(bytes32 poolId, int24 tick)
            external
            view
            returns (
                uint128 liquidityGross,
                int128 liquidityNet,
                uint256 feeGrowthOutside0X128,
                uint256 feeGrowthOutside1X128
            );
        function getFeeGrowthGlobals(bytes32 poolId)
            external
            view
            returns (uint256 feeGrowthGlobal0, uint256 feeGrowthGlobal1);
        function getPositionInfo(
            bytes32 poolId,
            address owner,
            int24 tickLower,
            int24 tickUpper,
            bytes32 salt
        )
            external
            view
            returns (uint128 liquidity, uint256 feeGrowthInside0LastX128, uint256 feeGrowthInside1LastX128);
    }

    /// `V4Quoter` (`@uniswap/v4-periphery` 1.0.3). Its functions are not `view` (each runs the
    /// swap inside `unlock` and reverts with `QuoteSwap(amount)`, which it catches and decodes)
    /// but answer an `eth_call`. Any other revert of the simulated swap comes back wrapped in
    /// `UnexpectedRevertBytes(revertData)`.
    #[derive(Debug, PartialEq, Eq)]
    interface IV4Quoter {
        struct QuoteExactSingleParams {
            PoolKey poolKey;
            bool zeroForOne;
            uint128 exactAmount;
            bytes hookData;
        }

        /// `QuoterRevert.UnexpectedRevertBytes`: the simulated swap reverted with `revertData`.
        error UnexpectedRevertBytes(bytes revertData);
        /// `QuoterRevert.QuoteSwap`: the quote itself (caught by the quoter, never returned).
        error QuoteSwap(uint256 amount);
        /// `BaseV4Quoter.NotEnoughLiquidity`: the pool could not fill the exact amount (the
        /// swap hit the price limit), or a hook changed the specified amount.
        error NotEnoughLiquidity(bytes32 poolId);
        error NotSelf();
        error UnexpectedCallSuccess();

        function quoteExactInputSingle(QuoteExactSingleParams params)
            external
            returns (uint256 amountOut, uint256 gasEstimate);
        function quoteExactOutputSingle(QuoteExactSingleParams params)
            external
            returns (uint256 amountIn, uint256 gasEstimate);
    }

    /// v4-core's `PoolSwapTest` router: `swap` unlocks the manager, swaps, then settles what the
    /// caller owes with `transferFrom(caller)` and sends what it is owed to the caller.
    #[derive(Debug, PartialEq, Eq)]
    interface IPoolSwapTest {
        /// `takeClaims`: receive ERC-6909 claims instead of tokens; `settleUsingBurn`: pay by
        /// burning claims instead of tokens.
        struct TestSettings {
            bool takeClaims;
            bool settleUsingBurn;
        }

        error NoSwapOccurred();

        function swap(
            PoolKey key,
            SwapParams params,
            TestSettings testSettings,
            bytes hookData
        ) external payable returns (int256 delta);
    }

    /// v4-core's `PoolModifyLiquidityTest` router: positions are owned by the router (the
    /// `ModifyLiquidity` event's `sender`), keyed by the caller's `salt`; the caller pays and
    /// receives the tokens.
    #[derive(Debug, PartialEq, Eq)]
    interface IPoolModifyLiquidityTest {
        function modifyLiquidity(PoolKey key, ModifyLiquidityParams params, bytes hookData)
            external
            payable
            returns (int256 delta);
    }

    /// v4-core's `DeltaReturningHook` test hook (`beforeSwap`/`afterSwap` returning deltas): it
    /// takes (positive) or pays (negative, from its own balance) the set amounts on every swap,
    /// which changes the swapper's amounts by as much.
    #[derive(Debug, PartialEq, Eq)]
    interface IDeltaReturningHook {
        function setDeltaSpecified(int128 delta) external;
        function setDeltaUnspecifiedBeforeSwap(int128 delta) external;
        function setDeltaUnspecifiedAfterSwap(int128 delta) external;
    }

    /// v4-core's `DynamicFeesTestHook` (`afterInitialize`, `beforeSwap`): sets the pool's
    /// dynamic LP fee to its stored `fee` after initialization and before every swap. Its
    /// `manager` is in storage (`setManager`).
    #[derive(Debug, PartialEq, Eq)]
    interface IDynamicFeesTestHook {
        function setManager(address manager) external;
        function setFee(uint24 fee) external;
        function forcePoolFeeUpdate(PoolKey key, uint24 fee) external;
    }

    /// v4-core's `FeeTakingHook` (`afterSwap` returning a delta): takes 1.23 % (123 bips, rounded
    /// down) of the unspecified side of every swap.
    #[derive(Debug, PartialEq, Eq)]
    interface IFeeTakingHook {
        function SWAP_FEE_BIPS() external view returns (uint128);
    }

    /// `BaseTestHooks.HookNotImplemented`: a hook flag is set for a callback the hook lacks.
    #[derive(Debug, PartialEq, Eq)]
    interface IBaseTestHooks {
        error HookNotImplemented();
    }
}
