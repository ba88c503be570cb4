//! Curve StableSwap events in the forms deployed over the years: the original 2- and 3-coin pools
//! (fixed-size arrays), the factory plain pools (`RemoveLiquidityOne` with `token_supply`) and
//! StableSwap-NG (dynamic arrays, `RemoveLiquidityOne` with `token_id`). Each form has its own
//! topic0, so they never collide. Amounts are in the coins' or LP token's smallest units.

use alloy_sol_types::sol;

use super::macros::protocol_events;

sol! {
    /// `TokenExchange(address indexed buyer, int128 sold_id, uint256 tokens_sold,
    /// int128 bought_id, uint256 tokens_bought)`: a swap between two of the pool's coins.
    #[derive(Debug, PartialEq, Eq, Hash)]
    event TokenExchange(
        address indexed buyer,
        int128 sold_id,
        uint256 tokens_sold,
        int128 bought_id,
        uint256 tokens_bought
    );

    /// `TokenExchangeUnderlying(...)`: a swap between underlying coins of a lending or meta
    /// pool; same parameters as `TokenExchange`.
    #[derive(Debug, PartialEq, Eq, Hash)]
    event TokenExchangeUnderlying(
        address indexed buyer,
        int128 sold_id,
        uint256 tokens_sold,
        int128 bought_id,
        uint256 tokens_bought
    );

    /// `RemoveLiquidityOne(address indexed provider, uint256 token_amount,
    /// uint256 coin_amount)`: the 3pool / stETH form.
    #[derive(Debug, PartialEq, Eq, Hash)]
    event RemoveLiquidityOne(address indexed provider, uint256 token_amount, uint256 coin_amount);
}

/// The 2-coin forms (`uint256[2]` arrays).
pub mod two {
    use alloy_sol_types::sol;

    sol! {
        /// `AddLiquidity(address indexed provider, uint256[2] token_amounts, uint256[2] fees,
        /// uint256 invariant, uint256 token_supply)`.
        #[derive(Debug, PartialEq, Eq, Hash)]
        event AddLiquidity(
            address indexed provider,
            uint256[2] token_amounts,
            uint256[2] fees,
            uint256 invariant,
            uint256 token_supply
        );

        /// `RemoveLiquidity(address indexed provider, uint256[2] token_amounts,
        /// uint256[2] fees, uint256 token_supply)`.
        #[derive(Debug, PartialEq, Eq, Hash)]
        event RemoveLiquidity(
            address indexed provider,
            uint256[2] token_amounts,
            uint256[2] fees,
            uint256 token_supply
        );

        /// `RemoveLiquidityImbalance(address indexed provider, uint256[2] token_amounts,
        /// uint256[2] fees, uint256 invariant, uint256 token_supply)`.
        #[derive(Debug, PartialEq, Eq, Hash)]
        event RemoveLiquidityImbalance(
            address indexed provider,
            uint256[2] token_amounts,
            uint256[2] fees,
            uint256 invariant,
            uint256 token_supply
        );
    }
}

/// The 3-coin forms (`uint256[3]` arrays), as in 3pool.
pub mod three {
    use alloy_sol_types::sol;

    sol! {
        /// `AddLiquidity(address indexed provider, uint256[3] token_amounts, uint256[3] fees,
        /// uint256 invariant, uint256 token_supply)`.
        #[derive(Debug, PartialEq, Eq, Hash)]
        event AddLiquidity(
            address indexed provider,
            uint256[3] token_amounts,
            uint256[3] fees,
            uint256 invariant,
            uint256 token_supply
        );

        /// `RemoveLiquidity(address indexed provider, uint256[3] token_amounts,
        /// uint256[3] fees, uint256 token_supply)`.
        #[derive(Debug, PartialEq, Eq, Hash)]
        event RemoveLiquidity(
            address indexed provider,
            uint256[3] token_amounts,
            uint256[3] fees,
            uint256 token_supply
        );

        /// `RemoveLiquidityImbalance(address indexed provider, uint256[3] token_amounts,
        /// uint256[3] fees, uint256 invariant, uint256 token_supply)`.
        #[derive(Debug, PartialEq, Eq, Hash)]
        event RemoveLiquidityImbalance(
            address indexed provider,
            uint256[3] token_amounts,
            uint256[3] fees,
            uint256 invariant,
            uint256 token_supply
        );
    }
}

/// The factory plain-pool form of `RemoveLiquidityOne`, which adds `token_supply`.
pub mod factory {
    use alloy_sol_types::sol;

    sol! {
        /// `RemoveLiquidityOne(address indexed provider, uint256 token_amount,
        /// uint256 coin_amount, uint256 token_supply)`.
        #[derive(Debug, PartialEq, Eq, Hash)]
        event RemoveLiquidityOne(
            address indexed provider,
            uint256 token_amount,
            uint256 coin_amount,
            uint256 token_supply
        );
    }
}

/// The StableSwap-NG forms (Vyper `DynArray`, encoded as `uint256[]`).
pub mod ng {
    use alloy_sol_types::sol;

    sol! {
        /// `AddLiquidity(address indexed provider, uint256[] token_amounts, uint256[] fees,
        /// uint256 invariant, uint256 token_supply)`.
        #[derive(Debug, PartialEq, Eq, Hash)]
        event AddLiquidity(
            address indexed provider,
            uint256[] token_amounts,
            uint256[] fees,
            uint256 invariant,
            uint256 token_supply
        );

        /// `RemoveLiquidity(address indexed provider, uint256[] token_amounts, uint256[] fees,
        /// uint256 token_supply)`.
        #[derive(Debug, PartialEq, Eq, Hash)]
        event RemoveLiquidity(
            address indexed provider,
            uint256[] token_amounts,
            uint256[] fees,
            uint256 token_supply
        );

        /// `RemoveLiquidityImbalance(address indexed provider, uint256[] token_amounts,
        /// uint256[] fees, uint256 invariant, uint256 token_supply)`.
        #[derive(Debug, PartialEq, Eq, Hash)]
        event RemoveLiquidityImbalance(
            address indexed provider,
            uint256[] token_amounts,
            uint256[] fees,
            uint256 invariant,
            uint256 token_supply
        );

        /// `RemoveLiquidityOne(address indexed provider, int128 token_id, uint256 token_amount,
        /// uint256 coin_amount, uint256 token_supply)`.
        #[derive(Debug, PartialEq, Eq, Hash)]
        event RemoveLiquidityOne(
            address indexed provider,
            int128 token_id,
            uint256 token_amount,
            uint256 coin_amount,
            uint256 token_supply
        );
    }
}

protocol_events! {
    /// An event emitted by a Curve StableSwap pool, in any of its deployed forms.
    pub enum CurveEvent => Curve {
        /// A swap between two coins.
        TokenExchange(TokenExchange) { buyer, sold_id, tokens_sold, bought_id, tokens_bought },
        /// A swap between two underlying coins.
        TokenExchangeUnderlying(TokenExchangeUnderlying) {
            buyer, sold_id, tokens_sold, bought_id, tokens_bought
        },
        /// Liquidity added to a 2-coin pool.
        AddLiquidity2(two::AddLiquidity) { provider, token_amounts, fees, invariant, token_supply },
        /// Liquidity added to a 3-coin pool.
        AddLiquidity3(three::AddLiquidity) {
            provider, token_amounts, fees, invariant, token_supply
        },
        /// Liquidity added to a StableSwap-NG pool.
        AddLiquidityNg(ng::AddLiquidity) { provider, token_amounts, fees, invariant, token_supply },
        /// Balanced withdrawal from a 2-coin pool.
        RemoveLiquidity2(two::RemoveLiquidity) { provider, token_amounts, fees, token_supply },
        /// Balanced withdrawal from a 3-coin pool.
        RemoveLiquidity3(three::RemoveLiquidity) { provider, token_amounts, fees, token_supply },
        /// Balanced withdrawal from a StableSwap-NG pool.
        RemoveLiquidityNg(ng::RemoveLiquidity) { provider, token_amounts, fees, token_supply },
        /// Imbalanced withdrawal from a 2-coin pool.
        RemoveLiquidityImbalance2(two::RemoveLiquidityImbalance) {
            provider, token_amounts, fees, invariant, token_supply
        },
        /// Imbalanced withdrawal from a 3-coin pool.
        RemoveLiquidityImbalance3(three::RemoveLiquidityImbalance) {
            provider, token_amounts, fees, invariant, token_supply
        },
        /// Imbalanced withdrawal from a StableSwap-NG pool.
        RemoveLiquidityImbalanceNg(ng::RemoveLiquidityImbalance) {
            provider, token_amounts, fees, invariant, token_supply
        },
        /// Single-coin withdrawal, 3pool / stETH form.
        RemoveLiquidityOne(RemoveLiquidityOne) { provider, token_amount, coin_amount },
        /// Single-coin withdrawal, factory plain-pool form.
        RemoveLiquidityOneFactory(factory::RemoveLiquidityOne) {
            provider, token_amount, coin_amount, token_supply
        },
        /// Single-coin withdrawal, StableSwap-NG form.
        RemoveLiquidityOneNg(ng::RemoveLiquidityOne) {
            provider, token_id, token_amount, coin_amount, token_supply
        },
    }
}
