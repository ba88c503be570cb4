//! Uniswap V2 from `@uniswap/v2-core` 1.0.1: factory, pairs and the test ERC-20.

use std::collections::BTreeMap;

use alloy_primitives::{Address, U256, aliases::U112};
use alloy_rpc_types_eth::TransactionReceipt;
use alloy_sol_types::SolValue;

use crate::{
    Devnet, DevnetError, Result, TxBatch,
    bindings::{IERC20, IUniswapV2Factory, IUniswapV2Pair},
};

const FACTORY: &str = "@uniswap/v2-core/build/UniswapV2Factory.json";
const TEST_ERC20: &str = "@uniswap/v2-core/build/ERC20.json";

/// A deployed Uniswap V2 factory, from [`Devnet::deploy_uniswap_v2`].
///
/// The pair init-code hash equals mainnet's, so CREATE2 pair-address math holds.
#[derive(Clone, Debug)]
pub struct UniswapV2 {
    devnet: Devnet,
    factory: Address,
}

/// One Uniswap V2 pair, from [`UniswapV2::create_pair`]. The pair is also its LP token.
#[derive(Clone, Debug)]
pub struct UniswapV2Pair {
    devnet: Devnet,
    address: Address,
    token0: Address,
    token1: Address,
}

/// A pair's `getReserves()`: raw token amounts and the timestamp (seconds, mod 2^32) of the last
/// update.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct V2Reserves {
    /// Reserve of `token0`, in its smallest unit.
    pub reserve0: U112,
    /// Reserve of `token1`, in its smallest unit.
    pub reserve1: U112,
    /// `block.timestamp` of the last reserve update, truncated to 32 bits.
    pub block_timestamp_last: u32,
}

impl Devnet {
    /// Deploys the v2-core test `ERC20` (18 decimals) with `total_supply` minted to the deployer.
    ///
    /// # Errors
    /// Artifact and transaction errors.
    pub async fn deploy_erc20(&self, total_supply: U256) -> Result<Address> {
        self.deploy_artifact(TEST_ERC20, &BTreeMap::new(), &(total_supply,).abi_encode_params())
            .await
    }

    /// Deploys the Uniswap V2 factory, with the deployer as `feeToSetter`.
    ///
    /// # Errors
    /// Artifact and transaction errors.
    pub async fn deploy_uniswap_v2(&self) -> Result<UniswapV2> {
        let args = (self.deployer(),).abi_encode_params();
        let factory = self.deploy_artifact(FACTORY, &BTreeMap::new(), &args).await?;
        Ok(UniswapV2 { devnet: self.clone(), factory })
    }
}

impl UniswapV2 {
    /// The factory's address.
    pub const fn factory(&self) -> Address {
        self.factory
    }

    /// Creates the pair of two tokens (`createPair`).
    ///
    /// # Errors
    /// [`DevnetError::InvalidInput`] for identical tokens; the factory's revert when the pair
    /// exists.
    pub async fn create_pair(&self, token_a: Address, token_b: Address) -> Result<UniswapV2Pair> {
        if token_a == token_b {
            return Err(DevnetError::InvalidInput {
                what: "UniswapV2::create_pair",
                reason: format!("both tokens are {token_a}"),
            });
        }
        let d = &self.devnet;
        d.send(
            d.deployer(),
            self.factory,
            &IUniswapV2Factory::createPairCall { tokenA: token_a, tokenB: token_b },
        )
        .await?;
        let pair = d
            .call(
                self.factory,
                &IUniswapV2Factory::getPairCall { tokenA: token_a, tokenB: token_b },
            )
            .await?;
        Ok(self.pair_at(pair, token_a, token_b))
    }

    /// A handle on an existing pair of `token_a` and `token_b` at `pair` (tokens in any order).
    pub fn pair_at(&self, pair: Address, token_a: Address, token_b: Address) -> UniswapV2Pair {
        let (token0, token1) = sort_tokens(token_a, token_b);
        UniswapV2Pair { devnet: self.devnet.clone(), address: pair, token0, token1 }
    }
}

impl UniswapV2Pair {
    /// The pair's address (also its LP token).
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

    /// `getReserves()` at the latest block.
    ///
    /// # Errors
    /// As [`Devnet::call`].
    pub async fn reserves(&self) -> Result<V2Reserves> {
        let r = self.devnet.call(self.address, &IUniswapV2Pair::getReservesCall {}).await?;
        Ok(V2Reserves {
            reserve0: r.reserve0,
            reserve1: r.reserve1,
            block_timestamp_last: r.blockTimestampLast,
        })
    }

    /// LP tokens held by `owner`.
    ///
    /// # Errors
    /// As [`Devnet::call`].
    pub async fn lp_balance(&self, owner: Address) -> Result<U256> {
        self.devnet.call(self.address, &IUniswapV2Pair::balanceOfCall { owner }).await
    }

    /// Adds liquidity the core way: transfers `amount0` and `amount1` from `from` to the pair,
    /// then `mint(from)`. Returns the mint's receipt (Transfer, Sync, Mint).
    ///
    /// # Errors
    /// As [`Devnet::send`] (e.g. `from` lacks the tokens).
    pub async fn add_liquidity(
        &self,
        from: Address,
        amount0: U256,
        amount1: U256,
    ) -> Result<TransactionReceipt> {
        let d = &self.devnet;
        d.transfer(self.token0, from, self.address, amount0).await?;
        d.transfer(self.token1, from, self.address, amount1).await?;
        d.send(from, self.address, &IUniswapV2Pair::mintCall { to: from }).await
    }

    /// Swaps `amount_in` of token0 (`zero_for_one`) or token1 from `from`: transfers it to the
    /// pair, then `swap` for the output [`v2_amount_out`] gives at the current reserves. Returns
    /// the swap's receipt (Transfer, Sync, Swap).
    ///
    /// # Errors
    /// As [`Devnet::send`]; [`DevnetError::InvalidInput`] when the output would be zero.
    pub async fn swap_exact_in(
        &self,
        from: Address,
        zero_for_one: bool,
        amount_in: U256,
    ) -> Result<TransactionReceipt> {
        let r = self.reserves().await?;
        let (reserve_in, reserve_out) = if zero_for_one {
            (U256::from(r.reserve0), U256::from(r.reserve1))
        } else {
            (U256::from(r.reserve1), U256::from(r.reserve0))
        };
        let amount_out = v2_amount_out(amount_in, reserve_in, reserve_out);
        if amount_out.is_zero() {
            return Err(DevnetError::InvalidInput {
                what: "UniswapV2Pair::swap_exact_in",
                reason: format!("{amount_in} in gives no output at reserves {r:?}"),
            });
        }
        let d = &self.devnet;
        let token_in = if zero_for_one { self.token0 } else { self.token1 };
        d.transfer(token_in, from, self.address, amount_in).await?;
        d.send(from, self.address, &self.swap_call(from, zero_for_one, amount_out)).await
    }

    /// Swaps token0 (`zero_for_one`) or token1 from `from` for exactly `amount_out` of the
    /// other, as the periphery router's `swapTokensForExactTokens` would through this one pair:
    /// the input is `UniswapV2Library.getAmountIn` at the current reserves, transferred to the
    /// pair and followed by `swap`, both in one block. Returns the input paid and the swap's receipt
    /// (Transfer, Sync, Swap).
    ///
    /// # Errors
    /// [`DevnetError::InvalidInput`] when the pair cannot pay `amount_out` (zero, or not below
    /// the reserve out); as [`TxBatch::execute`].
    pub async fn swap_exact_out(
        &self,
        from: Address,
        zero_for_one: bool,
        amount_out: U256,
    ) -> Result<(U256, TransactionReceipt)> {
        let r = self.reserves().await?;
        let (reserve_in, reserve_out) = if zero_for_one {
            (U256::from(r.reserve0), U256::from(r.reserve1))
        } else {
            (U256::from(r.reserve1), U256::from(r.reserve0))
        };
        let amount_in = v2_amount_in(amount_out, reserve_in, reserve_out).ok_or_else(|| {
            DevnetError::InvalidInput {
                what: "UniswapV2Pair::swap_exact_out",
                reason: format!("{amount_out} out is not payable at reserves {r:?}"),
            }
        })?;
        let mut batch = self.devnet.batch().block_size(usize::MAX);
        self.push_swap(&mut batch, from, zero_for_one, amount_in, amount_out);
        let mut receipts = batch.execute().await?;
        let receipt = receipts.pop().ok_or_else(|| DevnetError::InvalidInput {
            what: "UniswapV2Pair::swap_exact_out",
            reason: "the batch returned no receipt".into(),
        })?;
        Ok((amount_in, receipt))
    }

    /// Removes liquidity the core way: transfers `liquidity` LP tokens from `from` to the pair,
    /// then `burn(from)`. Returns the burn's receipt (Transfers, Sync, Burn).
    ///
    /// # Errors
    /// As [`Devnet::send`].
    pub async fn remove_liquidity(
        &self,
        from: Address,
        liquidity: U256,
    ) -> Result<TransactionReceipt> {
        let d = &self.devnet;
        d.send(
            from,
            self.address,
            &IUniswapV2Pair::transferCall { to: self.address, value: liquidity },
        )
        .await?;
        d.send(from, self.address, &IUniswapV2Pair::burnCall { to: from }).await
    }

    /// Queues an add-liquidity (two transfers and `mint`) into a batch.
    pub fn push_add_liquidity(
        &self,
        batch: &mut TxBatch,
        from: Address,
        amount0: U256,
        amount1: U256,
    ) {
        batch
            .push(from, self.token0, &IERC20::transferCall { to: self.address, value: amount0 })
            .push(from, self.token1, &IERC20::transferCall { to: self.address, value: amount1 })
            .push(from, self.address, &IUniswapV2Pair::mintCall { to: from });
    }

    /// Queues a swap (transfer in, then `swap` for `amount_out`) into a batch. The caller picks
    /// `amount_out` from the reserves the swap will see (earlier swaps in the batch move them).
    pub fn push_swap(
        &self,
        batch: &mut TxBatch,
        from: Address,
        zero_for_one: bool,
        amount_in: U256,
        amount_out: U256,
    ) {
        let token_in = if zero_for_one { self.token0 } else { self.token1 };
        batch
            .push(from, token_in, &IERC20::transferCall { to: self.address, value: amount_in })
            .push(from, self.address, &self.swap_call(from, zero_for_one, amount_out));
    }

    /// Queues a remove-liquidity (LP transfer, then `burn`) into a batch.
    pub fn push_remove_liquidity(&self, batch: &mut TxBatch, from: Address, liquidity: U256) {
        batch
            .push(
                from,
                self.address,
                &IUniswapV2Pair::transferCall { to: self.address, value: liquidity },
            )
            .push(from, self.address, &IUniswapV2Pair::burnCall { to: from });
    }

    fn swap_call(
        &self,
        to: Address,
        zero_for_one: bool,
        amount_out: U256,
    ) -> IUniswapV2Pair::swapCall {
        let (out0, out1) =
            if zero_for_one { (U256::ZERO, amount_out) } else { (amount_out, U256::ZERO) };
        IUniswapV2Pair::swapCall {
            amount0Out: out0,
            amount1Out: out1,
            to,
            data: Default::default(),
        }
    }
}

/// The output of a Uniswap V2 swap (0.3 % fee), as `UniswapV2Library.getAmountOut` computes it:
/// `in·997·r_out / (r_in·1000 + in·997)`, rounded down; zero when a reserve is empty or on
/// overflow.
pub fn v2_amount_out(amount_in: U256, reserve_in: U256, reserve_out: U256) -> U256 {
    let with_fee = amount_in.checked_mul(U256::from(997));
    let numerator = with_fee.and_then(|w| w.checked_mul(reserve_out));
    let denominator = reserve_in
        .checked_mul(U256::from(1000))
        .and_then(|r| with_fee.and_then(|w| r.checked_add(w)));
    match (numerator, denominator) {
        (Some(n), Some(d)) if !d.is_zero() => n / d,
        _ => U256::ZERO,
    }
}

/// The input a Uniswap V2 swap (0.3 % fee) needs for exactly `amount_out`, as
/// `UniswapV2Library.getAmountIn` computes it: `r_in·out·1000 / ((r_out − out)·997) + 1`;
/// `None` when `amount_out` is zero or not below `reserve_out`, a reserve is empty, or on
/// overflow.
fn v2_amount_in(amount_out: U256, reserve_in: U256, reserve_out: U256) -> Option<U256> {
    if amount_out.is_zero() || reserve_in.is_zero() || amount_out >= reserve_out {
        return None;
    }
    let numerator = reserve_in.checked_mul(amount_out)?.checked_mul(U256::from(1000))?;
    let denominator = (reserve_out - amount_out).checked_mul(U256::from(997))?;
    (numerator / denominator).checked_add(U256::from(1))
}

/// Two distinct tokens in pair order (`token0 < token1`).
pub(crate) fn sort_tokens(a: Address, b: Address) -> (Address, Address) {
    if a < b { (a, b) } else { (b, a) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amount_out_matches_the_library_formula() {
        let e18 = U256::from(10u64).pow(U256::from(18));
        // 1 in against 100/400 reserves: 1·997·400 / (100·1000 + 1·997) = 3.9486…
        let out = v2_amount_out(e18, U256::from(100) * e18, U256::from(400) * e18);
        assert_eq!(out, U256::from(3_948_632_137_588_245_195u64));
        assert_eq!(v2_amount_out(e18, U256::ZERO, U256::ZERO), U256::ZERO);
        assert_eq!(v2_amount_out(U256::MAX, U256::from(1), U256::from(1)), U256::ZERO);
    }

    #[test]
    fn amount_in_matches_the_library_formula() {
        let e18 = U256::from(10u64).pow(U256::from(18));
        let (r_in, r_out) = (U256::from(100) * e18, U256::from(400) * e18);
        // 100·4·1000 / (396·997) + 1 (in e18 units, then exact).
        let want = r_in * U256::from(4) * e18 * U256::from(1000)
            / ((r_out - U256::from(4) * e18) * U256::from(997))
            + U256::from(1);
        let got = v2_amount_in(U256::from(4) * e18, r_in, r_out).unwrap();
        assert_eq!(got, want);
        // The least input for that output: the output of it covers, one wei less does not.
        assert!(v2_amount_out(got, r_in, r_out) >= U256::from(4) * e18);
        assert!(v2_amount_out(got - U256::from(1), r_in, r_out) < U256::from(4) * e18);
        assert_eq!(v2_amount_in(r_out, r_in, r_out), None);
        assert_eq!(v2_amount_in(U256::ZERO, r_in, r_out), None);
    }
}
