//! [`TxBatch`]: many transactions packed into few blocks.

use std::{
    collections::{HashMap, HashSet},
    time::Duration,
};

use alloy_primitives::{Address, B256};
use alloy_provider::{Provider, ext::AnvilApi};
use alloy_rpc_types_eth::{BlockId, TransactionReceipt, TransactionRequest};
use alloy_sol_types::SolCall;

use crate::{Devnet, DevnetError, Result, devnet::call_request};

/// Gas limit given to each batched transaction unless set with [`TxBatch::gas`]. Batched
/// transactions are not gas-estimated (an estimate against the latest block would fail for a
/// transaction that depends on an earlier one in the same batch).
pub const DEFAULT_BATCH_GAS: u64 = 3_000_000;

/// Most transactions per block unless set with [`TxBatch::block_size`]. anvil builds each
/// receipt in time linear in its block's size, so reading the receipts of one block of `n`
/// transactions costs `O(n²)`: 1 100 transactions in one block take ~10 s to read back, in blocks
/// of 100 well under a second.
pub const DEFAULT_BATCH_BLOCK_SIZE: usize = 100;

/// Transactions sent with automine off and then mined together, in the order pushed (the devnet
/// orders its pool first-in first-out), [`TxBatch::block_size`] per block.
///
/// Use it to set up hundreds of users quickly, or to put several swaps in one block. A
/// transaction may depend on earlier ones of the same batch. Every transaction must succeed:
/// [`TxBatch::execute`] fails with [`DevnetError::Reverted`] naming the first that did not (the
/// others stay mined).
#[derive(Debug)]
#[must_use]
pub struct TxBatch {
    devnet: Devnet,
    gas: u64,
    block_size: usize,
    txs: Vec<(String, TransactionRequest)>,
}

impl TxBatch {
    pub(crate) fn new(devnet: Devnet) -> Self {
        Self {
            devnet,
            gas: DEFAULT_BATCH_GAS,
            block_size: DEFAULT_BATCH_BLOCK_SIZE,
            txs: Vec::new(),
        }
    }

    /// The gas limit of each transaction pushed after this call (default [`DEFAULT_BATCH_GAS`]).
    pub fn gas(mut self, gas: u64) -> Self {
        self.gas = gas;
        self
    }

    /// Most transactions per block (default [`DEFAULT_BATCH_BLOCK_SIZE`]; at least 1). Use
    /// `usize::MAX` to put the whole batch in one block.
    pub fn block_size(mut self, transactions: usize) -> Self {
        self.block_size = transactions.max(1);
        self
    }

    /// Adds `call` to `to` sent by `from`.
    pub fn push<C: SolCall>(&mut self, from: Address, to: Address, call: &C) -> &mut Self {
        let mut request = call_request(Some(from), to, call.abi_encode());
        request.gas = Some(self.gas);
        self.txs.push((C::SIGNATURE.to_owned(), request));
        self
    }

    /// Adds a prepared request (its gas is set to the batch's if missing); `what` names it in
    /// errors.
    pub fn push_request(
        &mut self,
        what: impl Into<String>,
        mut request: TransactionRequest,
    ) -> &mut Self {
        request.gas.get_or_insert(self.gas);
        self.txs.push((what.into(), request));
        self
    }

    /// How many transactions have been pushed.
    pub fn len(&self) -> usize {
        self.txs.len()
    }

    /// Whether nothing has been pushed.
    pub fn is_empty(&self) -> bool {
        self.txs.is_empty()
    }

    /// Turns automine off, sends and mines the transactions [`TxBatch::block_size`] at a time,
    /// turns automine back on and returns the receipts in push order. Whatever else is pending
    /// is dropped first, and each sender's nonces count on from its latest-block nonce.
    ///
    /// # Errors
    /// [`DevnetError::Rpc`] when anvil rejects a transaction (the not yet mined ones are dropped),
    /// [`DevnetError::Reverted`] for the first that reverted, [`DevnetError::NoReceipt`] if some
    /// never get mined.
    pub async fn execute(self) -> Result<Vec<TransactionReceipt>> {
        if self.txs.is_empty() {
            return Ok(Vec::new());
        }
        let devnet = self.devnet;
        devnet.set_automine(false).await?;
        // Nothing else may ride along: anvil puts a reverted block's transactions back into
        // its pool some time after `evm_revert`, where they would take the batch's nonces.
        devnet
            .provider()
            .anvil_drop_all_transactions()
            .await
            .map_err(|e| DevnetError::rpc("anvil_dropAllTransactions", e))?;
        let mined = mine_chunks(&devnet, &self.txs, self.block_size).await;
        if mined.is_err() {
            // Leave no half-sent batch in the pool; the error at hand is the one to report.
            let _ = devnet.provider().anvil_drop_all_transactions().await;
        }
        devnet.set_automine(true).await?;
        let receipts = mined?;
        let mut checked = Vec::with_capacity(receipts.len());
        for ((what, request), receipt) in self.txs.iter().zip(receipts) {
            checked.push(devnet.check_status(what, request, receipt).await?);
        }
        Ok(checked)
    }
}

/// Sends and mines `txs` in blocks of at most `block_size`.
async fn mine_chunks(
    devnet: &Devnet,
    txs: &[(String, TransactionRequest)],
    block_size: usize,
) -> Result<Vec<TransactionReceipt>> {
    let mut receipts = Vec::with_capacity(txs.len());
    // Nonces from the latest block, not anvil's pending count: after `evm_revert` that count can
    // run ahead of the chain, and a batch sent with a gap is never mined.
    let mut nonces: HashMap<Address, u64> = HashMap::new();
    for chunk in txs.chunks(block_size) {
        let mut hashes = Vec::with_capacity(chunk.len());
        for (what, request) in chunk {
            let mut request = request.clone();
            if let (None, Some(from)) = (request.nonce, request.from) {
                let next = match nonces.get(&from) {
                    Some(&n) => n,
                    None => devnet
                        .provider()
                        .get_transaction_count(from)
                        .latest()
                        .await
                        .map_err(|e| DevnetError::rpc("eth_getTransactionCount", e))?,
                };
                request.nonce = Some(next);
                nonces.insert(from, next + 1);
            }
            hashes.push(devnet.submit(what, request).await?);
        }
        receipts.extend(mine_until_included(devnet, chunk, &hashes).await?);
    }
    Ok(receipts)
}

/// Mines blocks until every hash has a receipt (a block holds as many as its gas limit allows)
/// and returns the receipts in the order of `hashes`. Receipts are read per block
/// (`eth_getBlockReceipts`), one request instead of one per transaction.
async fn mine_until_included(
    devnet: &Devnet,
    txs: &[(String, TransactionRequest)],
    hashes: &[B256],
) -> Result<Vec<TransactionReceipt>> {
    let wanted: HashSet<B256> = hashes.iter().copied().collect();
    let mut found: HashMap<B256, TransactionReceipt> = HashMap::with_capacity(hashes.len());
    while found.len() < wanted.len() {
        devnet.mine(1).await?;
        let block = devnet.block_number().await?;
        let receipts = devnet
            .provider()
            .get_block_receipts(BlockId::number(block))
            .await
            .map_err(|e| DevnetError::rpc("eth_getBlockReceipts", e))?
            .unwrap_or_default();
        let before = found.len();
        for receipt in receipts {
            if wanted.contains(&receipt.transaction_hash) {
                found.insert(receipt.transaction_hash, receipt);
            }
        }
        if found.len() == before {
            // Under load anvil can answer `evm_mine` before the block's receipts are readable
            // (the block number and receipts still the parent's): ask for each missing
            // transaction's receipt, for up to two seconds, before concluding.
            let started = std::time::Instant::now();
            let mut pause = Duration::from_millis(2);
            while found.len() == before && started.elapsed() < Duration::from_secs(2) {
                for (hash, (what, _)) in hashes.iter().zip(txs) {
                    if !found.contains_key(hash)
                        && let Some(receipt) = devnet.receipt(what, *hash).await?
                    {
                        found.insert(*hash, receipt);
                    }
                }
                if found.len() == before {
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_millis(100));
                }
            }
        }
        if found.len() == before {
            // The block took none of them: the rest will not be mined (e.g. a nonce gap).
            break;
        }
    }
    hashes
        .iter()
        .zip(txs)
        .map(|(hash, (what, _))| {
            found.remove(hash).ok_or_else(|| DevnetError::NoReceipt {
                what: what.clone(),
                tx_hash: *hash,
                waited: Duration::ZERO,
            })
        })
        .collect()
}
