//! [`BalancerPool`]: one weighted or composable stable pool, with its readers, joins, swaps
//! through `Vault.swap` and quotes through `BalancerQueries.querySwap`.

use alloy_primitives::{Address, B256, U256};
use alloy_provider::Provider;
use alloy_rpc_types_eth::{BlockId, TransactionReceipt};
use alloy_sol_types::{Revert, SolCall, SolError, SolValue};

use super::{
    BalancerV2,
    bindings::{IBalancerPool as Pool, IBalancerQueries, IBalancerVault as Vault},
};
use crate::{Devnet, DevnetError, Result, TxBatch, devnet::call_request, receipt_events};

/// The two pool types [`BalancerV2`] creates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BalancerPoolKind {
    /// `WeightedPool` (v3 task), a minimal-swap-info pool.
    Weighted,
    /// `ComposableStablePool` (v3 task), a general pool that registers its own BPT.
    ComposableStable,
}

/// Which side of a swap is given (`IVault.SwapKind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BalancerSwapKind {
    /// The input amount is given (`GIVEN_IN`); the output is computed.
    GivenIn,
    /// The output amount is given (`GIVEN_OUT`); the input is computed.
    GivenOut,
}

/// The amounts of a swap through `Vault.swap`, from its `Swap` event.
#[derive(Clone, Debug)]
pub struct BalancerSwap {
    /// Tokens paid in, in the token's smallest unit.
    pub amount_in: U256,
    /// Tokens paid out, in the token's smallest unit.
    pub amount_out: U256,
    /// The swap's receipt.
    pub receipt: TransactionReceipt,
}

/// What `BalancerQueries.querySwap` answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QuerySwapOutcome {
    /// The computed amount: the output of a `GIVEN_IN` swap, the input of a `GIVEN_OUT` one.
    Amount(U256),
    /// The query reverted; `reason` is the revert string (`BAL#304`…) or the revert data in hex.
    Reverted {
        /// The revert reason.
        reason: String,
    },
}

/// A pool's amplification parameter (`getAmplificationParameter()`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BalancerAmplification {
    /// The current value times `precision`.
    pub value: U256,
    /// Whether a gradual update is under way.
    pub is_updating: bool,
    /// The precision `value` carries (1000).
    pub precision: U256,
}

/// One pool created by [`BalancerV2`]. Token indices and per-token arrays follow the Vault's
/// registration order ([`BalancerPool::tokens`]; for a composable pool the BPT is among them).
#[derive(Clone, Debug)]
pub struct BalancerPool {
    devnet: Devnet,
    vault: Address,
    queries: Address,
    address: Address,
    id: B256,
    kind: BalancerPoolKind,
    tokens: Vec<Address>,
    bpt_index: Option<usize>,
}

impl BalancerPool {
    /// A handle on the pool at `address`, reading its id, tokens and BPT index.
    pub(super) async fn at(
        balancer: &BalancerV2,
        address: Address,
        kind: BalancerPoolKind,
    ) -> Result<Self> {
        let devnet = balancer.devnet().clone();
        let id = devnet.call(address, &Pool::getPoolIdCall {}).await?;
        let vault = balancer.vault();
        let tokens = devnet.call(vault, &Vault::getPoolTokensCall { poolId: id }).await?.tokens;
        let bpt_index = match kind {
            BalancerPoolKind::Weighted => None,
            BalancerPoolKind::ComposableStable => {
                let index = devnet.call(address, &Pool::getBptIndexCall {}).await?;
                Some(usize::try_from(index).map_err(|_| DevnetError::InvalidInput {
                    what: "BalancerPool::at",
                    reason: format!("BPT index {index}"),
                })?)
            }
        };
        let queries = balancer.addresses().queries;
        Ok(Self { devnet, vault, queries, address, id, kind, tokens, bpt_index })
    }

    /// The pool's address (also its BPT).
    pub const fn address(&self) -> Address {
        self.address
    }

    /// The pool id in the Vault.
    pub const fn id(&self) -> B256 {
        self.id
    }

    /// Weighted or composable stable.
    pub const fn kind(&self) -> BalancerPoolKind {
        self.kind
    }

    /// The registered tokens in the Vault's order (sorted by address; a composable pool's BPT
    /// included).
    pub fn tokens(&self) -> &[Address] {
        &self.tokens
    }

    /// The index of a composable pool's BPT among [`BalancerPool::tokens`] (`getBptIndex()`).
    pub const fn bpt_index(&self) -> Option<usize> {
        self.bpt_index
    }

    /// The pool's balance of each registered token (`Vault.getPoolTokens`), smallest units.
    ///
    /// # Errors
    /// As [`Devnet::call`].
    pub async fn balances(&self) -> Result<Vec<U256>> {
        let call = Vault::getPoolTokensCall { poolId: self.id };
        Ok(self.devnet.call(self.vault, &call).await?.balances)
    }

    /// `getScalingFactors()`: per registered token, `10^(18 - decimals) · 1e18` times the cached
    /// rate (composable pools), WAD.
    ///
    /// # Errors
    /// As [`Devnet::call`].
    pub async fn scaling_factors(&self) -> Result<Vec<U256>> {
        self.devnet.call(self.address, &Pool::getScalingFactorsCall {}).await
    }

    /// `getSwapFeePercentage()`, WAD.
    ///
    /// # Errors
    /// As [`Devnet::call`].
    pub async fn swap_fee(&self) -> Result<U256> {
        self.devnet.call(self.address, &Pool::getSwapFeePercentageCall {}).await
    }

    /// `getNormalizedWeights()` of a weighted pool, WAD.
    ///
    /// # Errors
    /// As [`Devnet::call`] (a composable pool has no such function).
    pub async fn normalized_weights(&self) -> Result<Vec<U256>> {
        self.devnet.call(self.address, &Pool::getNormalizedWeightsCall {}).await
    }

    /// `getAmplificationParameter()` of a composable pool, at the latest block's time.
    ///
    /// # Errors
    /// As [`Devnet::call`] (a weighted pool has no such function).
    pub async fn amplification(&self) -> Result<BalancerAmplification> {
        self.amplification_at(BlockId::latest()).await
    }

    /// `getAmplificationParameter()` of a composable pool at the pending block: during a
    /// gradual update, the value the next transaction sees (anvil evaluates a pending call at the
    /// next block's timestamp), where [`BalancerPool::amplification`] gives the latest block's.
    ///
    /// # Errors
    /// As [`Devnet::call_at`].
    pub async fn amplification_next(&self) -> Result<BalancerAmplification> {
        self.amplification_at(BlockId::pending()).await
    }

    async fn amplification_at(&self, block: BlockId) -> Result<BalancerAmplification> {
        let call = Pool::getAmplificationParameterCall {};
        let r = self.devnet.call_at(self.address, &call, block).await?;
        Ok(BalancerAmplification {
            value: r.value,
            is_updating: r.isUpdating,
            precision: r.precision,
        })
    }

    /// The cached rate of `token` in a composable pool (`getTokenRate`), WAD.
    ///
    /// # Errors
    /// As [`Devnet::call`].
    pub async fn token_rate(&self, token: Address) -> Result<U256> {
        self.devnet.call(self.address, &Pool::getTokenRateCall { token }).await
    }

    /// `getProtocolFeePercentageCache(0)`: the protocol swap fee the pool has cached, WAD.
    ///
    /// # Errors
    /// As [`Devnet::call`].
    pub async fn protocol_swap_fee_cache(&self) -> Result<U256> {
        let call = Pool::getProtocolFeePercentageCacheCall { feeType: U256::ZERO };
        self.devnet.call(self.address, &call).await
    }

    /// BPT held by `owner`.
    ///
    /// # Errors
    /// As [`Devnet::call`].
    pub async fn bpt_balance(&self, owner: Address) -> Result<U256> {
        self.devnet.call(self.address, &Pool::balanceOfCall { account: owner }).await
    }

    /// The first join (`JoinKind.INIT`): `amounts` per registered token, smallest units, from
    /// `from` (approvals handled; a composable pool's BPT entry is ignored, the pool fills it with
    /// the preminted BPT).
    ///
    /// # Errors
    /// [`DevnetError::InvalidInput`] when `amounts` does not match the tokens; the Vault's or
    /// pool's revert.
    pub async fn initialize(&self, from: Address, amounts: &[U256]) -> Result<TransactionReceipt> {
        let mut max = self.check_amounts("BalancerPool::initialize", amounts)?;
        if let Some(bpt) = self.bpt_index {
            max[bpt] = U256::MAX;
        }
        let user_data = (U256::ZERO, amounts.to_vec()).abi_encode_params();
        self.join(from, amounts, max, user_data).await
    }

    /// A join for exact token amounts (`JoinKind.EXACT_TOKENS_IN_FOR_BPT_OUT`, no minimum BPT):
    /// `amounts` per registered token (a composable pool's BPT entry must be zero). Pays the
    /// protocol fees due since the last join or exit, in BPT.
    ///
    /// # Errors
    /// As [`BalancerPool::initialize`].
    pub async fn join_exact_tokens_in(
        &self,
        from: Address,
        amounts: &[U256],
    ) -> Result<TransactionReceipt> {
        let max = self.check_amounts("BalancerPool::join_exact_tokens_in", amounts)?;
        let mut amounts_in = amounts.to_vec();
        if let Some(bpt) = self.bpt_index {
            amounts_in.remove(bpt);
        }
        let user_data = (U256::from(1), amounts_in, U256::ZERO).abi_encode_params();
        self.join(from, amounts, max, user_data).await
    }

    /// Swaps through `Vault.swap` from `from` to itself (approval handled, in its own
    /// transaction when the allowance is short): for
    /// [`BalancerSwapKind::GivenIn`] `amount` of `token_in` for at least `limit` out, for
    /// [`BalancerSwapKind::GivenOut`] `amount` of `token_out` for at most `limit` in.
    ///
    /// # Errors
    /// The Vault's or pool's revert (`BAL#507` past the limit), as [`Devnet::send`].
    pub async fn swap(
        &self,
        from: Address,
        kind: BalancerSwapKind,
        token_in: Address,
        token_out: Address,
        amount: U256,
        limit: U256,
    ) -> Result<BalancerSwap> {
        // The Vault pulls at most the limit (exact out) and never more than `from` holds; an
        // approval is only sent when the allowance is below that, so a swap is usually one
        // transaction (one block).
        let most_in = match kind {
            BalancerSwapKind::GivenIn => amount,
            BalancerSwapKind::GivenOut => limit.min(self.devnet.balance_of(token_in, from).await?),
        };
        self.devnet.ensure_allowance(token_in, from, self.vault, most_in).await?;
        let call = Vault::swapCall {
            singleSwap: self.single_swap(kind, token_in, token_out, amount),
            funds: funds(from),
            limit,
            deadline: U256::MAX,
        };
        let receipt = self.devnet.send(from, self.vault, &call).await?;
        let event =
            receipt_events::<Vault::Swap>(&receipt, self.vault)?.pop().ok_or_else(|| {
                DevnetError::InvalidInput {
                    what: "BalancerPool::swap",
                    reason: format!("no Swap event in {}", receipt.transaction_hash),
                }
            })?;
        Ok(BalancerSwap { amount_in: event.amountIn, amount_out: event.amountOut, receipt })
    }

    /// Queues a `GIVEN_IN` `Vault.swap` of `amount` of `token_in` for `token_out` from `from` to
    /// itself, with no minimum output (a shortfall shows in the balances, not as a revert).
    /// `from` must already have approved the Vault for `token_in`.
    pub fn push_swap(
        &self,
        batch: &mut TxBatch,
        from: Address,
        token_in: Address,
        token_out: Address,
        amount: U256,
    ) {
        let call = Vault::swapCall {
            singleSwap: self.single_swap(BalancerSwapKind::GivenIn, token_in, token_out, amount),
            funds: funds(from),
            limit: U256::ZERO,
            deadline: U256::MAX,
        };
        batch.push(from, self.vault, &call);
    }

    /// Quotes a swap with `BalancerQueries.querySwap` (an `eth_call` at the latest block): the
    /// Vault runs the real swap, pool hooks included, and reverts with the deltas.
    ///
    /// # Errors
    /// [`DevnetError::Rpc`] for a transport failure (a revert is
    /// [`QuerySwapOutcome::Reverted`]), [`DevnetError::Decode`].
    pub async fn query_swap(
        &self,
        kind: BalancerSwapKind,
        token_in: Address,
        token_out: Address,
        amount: U256,
    ) -> Result<QuerySwapOutcome> {
        let call = IBalancerQueries::querySwapCall {
            singleSwap: self.single_swap(kind, token_in, token_out, amount),
            funds: funds(self.devnet.deployer()),
        };
        let request = call_request(None, self.queries, call.abi_encode());
        match self.devnet.provider().call(request).block(BlockId::latest()).await {
            Ok(out) => IBalancerQueries::querySwapCall::abi_decode_returns(&out)
                .map(QuerySwapOutcome::Amount)
                .map_err(|source| DevnetError::Decode {
                    what: IBalancerQueries::querySwapCall::SIGNATURE.to_owned(),
                    source,
                }),
            Err(e) => match e.as_error_resp().and_then(|payload| payload.as_revert_data()) {
                Some(data) => {
                    let reason = Revert::abi_decode(&data)
                        .map(|r| r.reason)
                        .unwrap_or_else(|_| data.to_string());
                    Ok(QuerySwapOutcome::Reverted { reason })
                }
                None => Err(DevnetError::rpc(IBalancerQueries::querySwapCall::SIGNATURE, e)),
            },
        }
    }

    /// Sets the swap fee (WAD, 0.0001 % to 10 %) as the pool's owner, the deployer.
    ///
    /// # Errors
    /// As [`Devnet::send`].
    pub async fn set_swap_fee(&self, fee: U256) -> Result<()> {
        let call = Pool::setSwapFeePercentageCall { swapFeePercentage: fee };
        self.devnet.send(self.devnet.deployer(), self.address, &call).await.map(drop)
    }

    /// Starts a gradual amplification change of a composable pool to `raw_end_value` (no
    /// precision) at `end_time` (seconds; at least a day ahead, at most doubling or halving per
    /// day), as the owner.
    ///
    /// # Errors
    /// As [`Devnet::send`].
    pub async fn start_amp_update(&self, raw_end_value: U256, end_time: U256) -> Result<()> {
        let call = Pool::startAmplificationParameterUpdateCall {
            rawEndValue: raw_end_value,
            endTime: end_time,
        };
        self.devnet.send(self.devnet.deployer(), self.address, &call).await.map(drop)
    }

    /// Refreshes a composable pool's cached rate of `token` from its rate provider.
    ///
    /// # Errors
    /// As [`Devnet::send`].
    pub async fn update_token_rate_cache(&self, token: Address) -> Result<()> {
        let call = Pool::updateTokenRateCacheCall { token };
        self.devnet.send(self.devnet.deployer(), self.address, &call).await.map(drop)
    }

    /// Reads the protocol fee percentages into the pool's cache (`updateProtocolFeePercentageCache`).
    ///
    /// # Errors
    /// As [`Devnet::send`].
    pub async fn update_protocol_fee_cache(&self) -> Result<()> {
        let call = Pool::updateProtocolFeePercentageCacheCall {};
        self.devnet.send(self.devnet.deployer(), self.address, &call).await.map(drop)
    }

    fn single_swap(
        &self,
        kind: BalancerSwapKind,
        token_in: Address,
        token_out: Address,
        amount: U256,
    ) -> Vault::SingleSwap {
        Vault::SingleSwap {
            poolId: self.id,
            kind: match kind {
                BalancerSwapKind::GivenIn => Vault::SwapKind::GIVEN_IN,
                BalancerSwapKind::GivenOut => Vault::SwapKind::GIVEN_OUT,
            },
            assetIn: token_in,
            assetOut: token_out,
            amount,
            userData: Default::default(),
        }
    }

    /// Checks `amounts` has one entry per registered token and returns it as the join's maximum
    /// amounts in.
    fn check_amounts(&self, what: &'static str, amounts: &[U256]) -> Result<Vec<U256>> {
        if amounts.len() != self.tokens.len() {
            return Err(DevnetError::InvalidInput {
                what,
                reason: format!(
                    "{} amounts for a pool of {} registered tokens",
                    amounts.len(),
                    self.tokens.len()
                ),
            });
        }
        Ok(amounts.to_vec())
    }

    async fn join(
        &self,
        from: Address,
        amounts: &[U256],
        max_amounts_in: Vec<U256>,
        user_data: Vec<u8>,
    ) -> Result<TransactionReceipt> {
        for (i, (&token, &amount)) in self.tokens.iter().zip(amounts).enumerate() {
            if Some(i) != self.bpt_index && !amount.is_zero() {
                self.devnet.ensure_allowance(token, from, self.vault, amount).await?;
            }
        }
        let call = Vault::joinPoolCall {
            poolId: self.id,
            sender: from,
            recipient: from,
            request: Vault::JoinPoolRequest {
                assets: self.tokens.clone(),
                maxAmountsIn: max_amounts_in,
                userData: user_data.into(),
                fromInternalBalance: false,
            },
        };
        self.devnet.send(from, self.vault, &call).await
    }
}

/// Funds from and to `account`'s own token balances.
fn funds(account: Address) -> Vault::FundManagement {
    Vault::FundManagement {
        sender: account,
        fromInternalBalance: false,
        recipient: account,
        toInternalBalance: false,
    }
}
