//! [`Devnet`]: a running anvil plus typed helpers to drive it.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    sync::Arc,
    time::{Duration, Instant},
};

use alloy_primitives::{Address, B256, Bytes, TxKind, U256};
use alloy_provider::{Provider, RootProvider, ext::AnvilApi};
use alloy_rpc_types_anvil::{ReorgOptions, TransactionData};
use alloy_rpc_types_eth::{BlockId, TransactionInput, TransactionReceipt, TransactionRequest};
use alloy_sol_types::{SolCall, SolEvent};

use crate::{
    Artifact, DevnetBuilder, DevnetError, Result, TxBatch, bindings::IERC20, node::AnvilNode,
};

/// Gas limit given to contract creations, which skips anvil's gas estimation (a binary search
/// that executes the init code many times). Below EIP-7825's per-transaction cap of 2^24.
pub(crate) const DEPLOY_GAS: u64 = 16_000_000;

/// A local anvil chain for tests, started by [`Devnet::start`] or [`Devnet::builder`].
///
/// Cloning is cheap and shares the same chain; the anvil process is killed when the last clone
/// (including the protocol handles, which hold one) is dropped. Every address can send
/// transactions without a key (`--auto-impersonate`): give a fresh address ETH with
/// [`Devnet::set_balance`] and use it as `from`. Transactions are mined one per block as they are
/// sent (automine) unless packed with [`Devnet::batch`].
#[derive(Clone, Debug)]
pub struct Devnet {
    inner: Arc<Inner>,
}

/// What all clones of a [`Devnet`] share; dropping it kills anvil.
#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) rpc_url: String,
    pub(crate) port: u16,
    pub(crate) chain_id: u64,
    pub(crate) provider: RootProvider,
    pub(crate) accounts: Vec<Address>,
    pub(crate) deployer: Address,
    pub(crate) node_modules: PathBuf,
    pub(crate) receipt_timeout: Duration,
    pub(crate) tx_gas: u64,
    /// Declared last so the process outlives the provider.
    pub(crate) _node: AnvilNode,
}

/// An `evm_snapshot` id, consumed by [`Devnet::revert`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SnapshotId(pub U256);

impl Devnet {
    pub(crate) fn from_inner(inner: Inner) -> Self {
        Self { inner: Arc::new(inner) }
    }

    /// Starts anvil with the defaults of [`DevnetBuilder`].
    ///
    /// # Errors
    /// See [`DevnetBuilder::start`]; a missing install is [`DevnetError::AnvilNotInstalled`].
    pub async fn start() -> Result<Self> {
        DevnetBuilder::default().start().await
    }

    /// A builder to choose the chain id, genesis time, block time, hardfork or paths.
    pub fn builder() -> DevnetBuilder {
        DevnetBuilder::default()
    }

    /// The HTTP JSON-RPC endpoint, e.g. `http://127.0.0.1:40123`.
    pub fn rpc_url(&self) -> &str {
        &self.inner.rpc_url
    }

    /// The loopback port anvil listens on.
    pub fn port(&self) -> u16 {
        self.inner.port
    }

    /// The chain id.
    pub fn chain_id(&self) -> u64 {
        self.inner.chain_id
    }

    /// An HTTP provider on the devnet without fillers (anvil fills nonce, gas and fees of
    /// `eth_sendTransaction`). Cheap to clone.
    pub fn provider(&self) -> &RootProvider {
        &self.inner.provider
    }

    /// anvil's unlocked default accounts (10, each with 10 000 ETH).
    pub fn accounts(&self) -> &[Address] {
        &self.inner.accounts
    }

    /// The account that deploys and administers the protocols: `accounts()[0]`.
    pub fn deployer(&self) -> Address {
        self.inner.deployer
    }

    /// The `node_modules` folder the artifacts are read from.
    pub fn node_modules(&self) -> &Path {
        &self.inner.node_modules
    }

    /// Reads an artifact by its path under `node_modules`, e.g.
    /// `"@uniswap/v2-core/build/UniswapV2Pair.json"`.
    ///
    /// # Errors
    /// [`DevnetError::ArtifactNotFound`] or [`DevnetError::InvalidArtifact`].
    pub fn artifact(&self, relative: &str) -> Result<Artifact> {
        Artifact::load(self.inner.node_modules.join(relative))
    }

    /// The latest block number.
    ///
    /// # Errors
    /// [`DevnetError::Rpc`].
    pub async fn block_number(&self) -> Result<u64> {
        self.provider().get_block_number().await.map_err(|e| DevnetError::rpc("eth_blockNumber", e))
    }

    /// The latest block's timestamp, seconds.
    ///
    /// # Errors
    /// [`DevnetError::Rpc`].
    pub async fn block_timestamp(&self) -> Result<u64> {
        let block = self
            .provider()
            .get_block_by_number(alloy_rpc_types_eth::BlockNumberOrTag::Latest)
            .await
            .map_err(|e| DevnetError::rpc("eth_getBlockByNumber", e))?;
        block.map(|b| b.header.timestamp).ok_or_else(|| DevnetError::InvalidInput {
            what: "Devnet::block_timestamp",
            reason: "the node has no latest block".into(),
        })
    }

    /// Mines `blocks` blocks (empty unless transactions are pending).
    ///
    /// # Errors
    /// [`DevnetError::Rpc`].
    pub async fn mine(&self, blocks: u64) -> Result<()> {
        self.provider()
            .anvil_mine(Some(blocks), None)
            .await
            .map_err(|e| DevnetError::rpc("anvil_mine", e))
    }

    /// Sets the timestamp (seconds) of the next mined block; later blocks follow the block time.
    ///
    /// # Errors
    /// [`DevnetError::Rpc`], e.g. when `timestamp` is before the latest block's (anvil accepts
    /// the same timestamp: a block with no time passed, so no interest accrues).
    pub async fn set_next_timestamp(&self, timestamp: u64) -> Result<()> {
        self.provider()
            .anvil_set_next_block_timestamp(timestamp)
            .await
            .map_err(|e| DevnetError::rpc("evm_setNextBlockTimestamp", e))
    }

    /// Turns automine on (each transaction mined in its own block as it arrives) or off
    /// (transactions wait in the pool for [`Devnet::mine`]).
    ///
    /// # Errors
    /// [`DevnetError::Rpc`].
    pub async fn set_automine(&self, enabled: bool) -> Result<()> {
        self.provider()
            .anvil_set_auto_mine(enabled)
            .await
            .map_err(|e| DevnetError::rpc("evm_setAutomine", e))
    }

    /// Snapshots the whole chain state (`evm_snapshot`).
    ///
    /// # Errors
    /// [`DevnetError::Rpc`].
    pub async fn snapshot(&self) -> Result<SnapshotId> {
        self.provider()
            .anvil_snapshot()
            .await
            .map(SnapshotId)
            .map_err(|e| DevnetError::rpc("evm_snapshot", e))
    }

    /// Restores a snapshot (`evm_revert`); the id (and later ones) cannot be used again.
    ///
    /// Then drops every pending transaction (`anvil_dropAllTransactions`): anvil can leave the
    /// reverted blocks' transactions in its pool, where they would land in the next block.
    ///
    /// # Errors
    /// [`DevnetError::SnapshotRevert`] when anvil refuses the id, [`DevnetError::Rpc`].
    pub async fn revert(&self, id: SnapshotId) -> Result<()> {
        let ok = self
            .provider()
            .anvil_revert(id.0)
            .await
            .map_err(|e| DevnetError::rpc("evm_revert", e))?;
        if !ok {
            return Err(DevnetError::SnapshotRevert { id: id.0.to_string() });
        }
        // anvil re-queues them shortly after answering: drop now and once more a moment later.
        for pause in [Duration::ZERO, Duration::from_millis(50)] {
            tokio::time::sleep(pause).await;
            self.provider()
                .anvil_drop_all_transactions()
                .await
                .map_err(|e| DevnetError::rpc("anvil_dropAllTransactions", e))?;
        }
        Ok(())
    }

    /// Replaces the last `depth` blocks with `depth` new ones (`anvil_reorg`): the chain keeps
    /// its height, the old blocks' transactions are dropped (not returned to the pool), and each
    /// `(request, offset)` in `transactions` is mined into new block `offset` (0 = the first
    /// replaced height). Build requests with [`tx_request`]; `from` may be any address, and a
    /// missing gas limit is set to [`DevnetBuilder::tx_gas`].
    ///
    /// # Errors
    /// [`DevnetError::Rpc`], e.g. when `depth` exceeds the chain height.
    pub async fn reorg(
        &self,
        depth: u64,
        transactions: Vec<(TransactionRequest, u64)>,
    ) -> Result<()> {
        let tx_block_pairs = transactions
            .into_iter()
            .map(|(mut request, offset)| {
                request.gas.get_or_insert(self.inner.tx_gas);
                (TransactionData::JSON(request), offset)
            })
            .collect();
        self.provider()
            .anvil_reorg(ReorgOptions { depth, tx_block_pairs })
            .await
            .map_err(|e| DevnetError::rpc("anvil_reorg", e))
    }

    /// Removes the last `depth` blocks without replacing them (`anvil_rollback`).
    ///
    /// # Errors
    /// [`DevnetError::Rpc`].
    pub async fn rollback(&self, depth: u64) -> Result<()> {
        self.provider()
            .anvil_rollback(Some(depth))
            .await
            .map_err(|e| DevnetError::rpc("anvil_rollback", e))
    }

    /// Places runtime `code` at `address` (`anvil_setCode`).
    ///
    /// # Errors
    /// [`DevnetError::Rpc`].
    pub async fn set_code(&self, address: Address, code: Bytes) -> Result<()> {
        self.provider()
            .anvil_set_code(address, code)
            .await
            .map_err(|e| DevnetError::rpc("anvil_setCode", e))
    }

    /// Sets an address's ETH balance in wei (`anvil_setBalance`), e.g. to pay gas for a fresh user.
    ///
    /// # Errors
    /// [`DevnetError::Rpc`].
    pub async fn set_balance(&self, address: Address, wei: U256) -> Result<()> {
        self.provider()
            .anvil_set_balance(address, wei)
            .await
            .map_err(|e| DevnetError::rpc("anvil_setBalance", e))
    }

    /// Sets every address's ETH balance to `wei`.
    ///
    /// # Errors
    /// [`DevnetError::Rpc`].
    pub async fn set_balances(&self, addresses: &[Address], wei: U256) -> Result<()> {
        for &address in addresses {
            self.set_balance(address, wei).await?;
        }
        Ok(())
    }

    /// Calls a view function at the latest block (`eth_call`) and decodes its return.
    ///
    /// # Errors
    /// [`DevnetError::Rpc`] (with the revert reason) or [`DevnetError::Decode`].
    pub async fn call<C: SolCall>(&self, to: Address, call: &C) -> Result<C::Return> {
        self.call_at(to, call, BlockId::latest()).await
    }

    /// Calls a view function at `block` (`eth_call`) and decodes its return.
    ///
    /// # Errors
    /// [`DevnetError::Rpc`] (with the revert reason) or [`DevnetError::Decode`].
    pub async fn call_at<C: SolCall>(
        &self,
        to: Address,
        call: &C,
        block: BlockId,
    ) -> Result<C::Return> {
        let request = call_request(None, to, call.abi_encode());
        let out = self
            .provider()
            .call(request)
            .block(block)
            .await
            .map_err(|e| DevnetError::rpc(C::SIGNATURE, e))?;
        C::abi_decode_returns(&out)
            .map_err(|source| DevnetError::Decode { what: C::SIGNATURE.to_owned(), source })
    }

    /// Sends `call` to `to` from `from` (any address: unlocked or auto-impersonated), waits for
    /// the receipt and checks it succeeded.
    ///
    /// The gas limit is [`DevnetBuilder::tx_gas`] (10 M by default), not an estimate: anvil's
    /// estimates are too low for some calls. So `from` needs ETH for that limit at the current
    /// fee (≈0.03 ETH), and a reverting call is mined (status 0) and reported as
    /// [`DevnetError::Reverted`] with the reason from replaying it on the parent block. Needs
    /// automine (the default; see [`Devnet::set_automine`]), else it waits for a block until
    /// [`DevnetBuilder::receipt_timeout`].
    ///
    /// # Errors
    /// [`DevnetError::Rpc`] (with the revert reason), [`DevnetError::Reverted`],
    /// [`DevnetError::NoReceipt`].
    pub async fn send<C: SolCall>(
        &self,
        from: Address,
        to: Address,
        call: &C,
    ) -> Result<TransactionReceipt> {
        let mut request = call_request(Some(from), to, call.abi_encode());
        request.gas = Some(self.inner.tx_gas);
        self.send_request(C::SIGNATURE, request).await
    }

    /// Sends a prepared request (`eth_sendTransaction`; anvil fills what is missing, estimating
    /// the gas if none is set), waits for its receipt and checks it succeeded; `what` names it in
    /// errors.
    ///
    /// # Errors
    /// As [`Devnet::send`].
    pub async fn send_request(
        &self,
        what: &str,
        request: TransactionRequest,
    ) -> Result<TransactionReceipt> {
        let tx_hash = self.submit(what, request.clone()).await?;
        let receipt = self.wait_receipt(what, tx_hash).await?;
        self.check_status(what, &request, receipt).await
    }

    /// Deploys `init_code` (creation code followed by ABI-encoded constructor arguments) from the
    /// deployer and returns the new contract's address.
    ///
    /// # Errors
    /// As [`Devnet::send`], plus [`DevnetError::NoContractAddress`].
    pub async fn deploy_code(&self, what: &str, init_code: Bytes) -> Result<Address> {
        let request = TransactionRequest {
            from: Some(self.deployer()),
            to: Some(TxKind::Create),
            gas: Some(DEPLOY_GAS),
            input: TransactionInput::new(init_code),
            ..Default::default()
        };
        let receipt = self.send_request(what, request).await?;
        receipt.contract_address.ok_or_else(|| DevnetError::NoContractAddress {
            what: what.to_owned(),
            tx_hash: receipt.transaction_hash,
        })
    }

    /// Deploys the artifact at `relative` (under `node_modules`) from the deployer, linking
    /// `libraries` (by contract name) and appending `constructor_args` (ABI-encoded, e.g. with
    /// `SolValue::abi_encode_params`).
    ///
    /// # Errors
    /// Artifact errors ([`DevnetError::ArtifactNotFound`], [`DevnetError::MissingLibrary`]) and
    /// those of [`Devnet::deploy_code`].
    pub async fn deploy_artifact(
        &self,
        relative: &str,
        libraries: &BTreeMap<String, Address>,
        constructor_args: &[u8],
    ) -> Result<Address> {
        let artifact = self.artifact(relative)?;
        let mut code = artifact.link(libraries)?.to_vec();
        code.extend_from_slice(constructor_args);
        let name = relative.rsplit('/').next().unwrap_or(relative);
        self.deploy_code(name.trim_end_matches(".json"), code.into()).await
    }

    /// Starts a batch of transactions to be mined together (see [`TxBatch`]).
    pub fn batch(&self) -> TxBatch {
        TxBatch::new(self.clone())
    }

    /// An ERC-20 balance.
    ///
    /// # Errors
    /// As [`Devnet::call`].
    pub async fn balance_of(&self, token: Address, owner: Address) -> Result<U256> {
        self.call(token, &IERC20::balanceOfCall { owner }).await
    }

    /// Transfers `amount` of an ERC-20 from `from` to `to`.
    ///
    /// # Errors
    /// As [`Devnet::send`].
    pub async fn transfer(
        &self,
        token: Address,
        from: Address,
        to: Address,
        amount: U256,
    ) -> Result<TransactionReceipt> {
        self.send(from, token, &IERC20::transferCall { to, value: amount }).await
    }

    /// Approves `spender` for `amount` of an ERC-20 held by `owner`.
    ///
    /// # Errors
    /// As [`Devnet::send`].
    pub async fn approve(
        &self,
        token: Address,
        owner: Address,
        spender: Address,
        amount: U256,
    ) -> Result<TransactionReceipt> {
        self.send(owner, token, &IERC20::approveCall { spender, value: amount }).await
    }

    /// Approves `spender` for the maximum amount unless its allowance already covers `amount`.
    ///
    /// # Errors
    /// As [`Devnet::send`].
    pub async fn ensure_allowance(
        &self,
        token: Address,
        owner: Address,
        spender: Address,
        amount: U256,
    ) -> Result<()> {
        let allowance = self.call(token, &IERC20::allowanceCall { owner, spender }).await?;
        if allowance < amount {
            self.approve(token, owner, spender, U256::MAX).await?;
        }
        Ok(())
    }

    /// Turns a failed receipt into [`DevnetError::Reverted`], with the reason from replaying the
    /// request as an `eth_call` on the parent block.
    pub(crate) async fn check_status(
        &self,
        what: &str,
        request: &TransactionRequest,
        receipt: TransactionReceipt,
    ) -> Result<TransactionReceipt> {
        if receipt.status() {
            return Ok(receipt);
        }
        let parent = receipt.block_number.unwrap_or_default().saturating_sub(1);
        let mut replay = request.clone();
        replay.nonce = None;
        let reason = match self.provider().call(replay).block(BlockId::number(parent)).await {
            Ok(_) => "the replay on the parent block succeeded (an earlier transaction in the \
                      same block changed the state)"
                .to_owned(),
            Err(e) => e.to_string(),
        };
        Err(DevnetError::Reverted {
            what: what.to_owned(),
            tx_hash: receipt.transaction_hash,
            block: receipt.block_number,
            reason,
        })
    }

    /// Sends a request and returns its hash without waiting for it to be mined.
    pub(crate) async fn submit(&self, what: &str, request: TransactionRequest) -> Result<B256> {
        self.provider()
            .raw_request("eth_sendTransaction".into(), (request,))
            .await
            .map_err(|e| DevnetError::rpc(what, e))
    }

    /// Polls for a receipt until [`DevnetBuilder::receipt_timeout`].
    pub(crate) async fn wait_receipt(
        &self,
        what: &str,
        tx_hash: B256,
    ) -> Result<TransactionReceipt> {
        let started = Instant::now();
        let mut pause = Duration::from_millis(1);
        loop {
            if let Some(receipt) = self.receipt(what, tx_hash).await? {
                return Ok(receipt);
            }
            let waited = started.elapsed();
            if waited > self.inner.receipt_timeout {
                return Err(DevnetError::NoReceipt { what: what.to_owned(), tx_hash, waited });
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(50));
        }
    }

    /// The receipt of a transaction, if it has been mined.
    pub(crate) async fn receipt(
        &self,
        what: &str,
        tx_hash: B256,
    ) -> Result<Option<TransactionReceipt>> {
        self.provider()
            .get_transaction_receipt(tx_hash)
            .await
            .map_err(|e| DevnetError::rpc(format!("eth_getTransactionReceipt for {what}"), e))
    }
}

/// Decodes every log of type `E` that `emitter` wrote in a receipt, in log order.
///
/// # Errors
/// [`DevnetError::Decode`] when a log has `E`'s topic0 but does not decode as `E`.
pub fn receipt_events<E: SolEvent>(
    receipt: &TransactionReceipt,
    emitter: Address,
) -> Result<Vec<E>> {
    receipt
        .logs()
        .iter()
        .filter(|log| log.address() == emitter && log.topic0() == Some(&E::SIGNATURE_HASH))
        .map(|log| {
            E::decode_log_data(log.data())
                .map_err(|source| DevnetError::Decode { what: E::SIGNATURE.to_owned(), source })
        })
        .collect()
}

/// A transaction request that sends `call` to `to` from `from`, for [`Devnet::reorg`],
/// [`Devnet::send_request`] or [`TxBatch::push_request`]; gas, nonce and fees are left to anvil.
pub fn tx_request<C: SolCall>(from: Address, to: Address, call: &C) -> TransactionRequest {
    call_request(Some(from), to, call.abi_encode())
}

/// A call (or, with `from`, a transaction) request with calldata.
pub(crate) fn call_request(
    from: Option<Address>,
    to: Address,
    data: Vec<u8>,
) -> TransactionRequest {
    TransactionRequest {
        from,
        to: Some(TxKind::Call(to)),
        input: TransactionInput::new(data.into()),
        ..Default::default()
    }
}
