//! Multicall3 at its canonical address.

use alloy_primitives::{Address, Bytes, TxKind};
use alloy_provider::Provider;
use alloy_rpc_types_eth::{BlockId, TransactionInput, TransactionRequest};

use crate::{
    Devnet, DevnetError, Result,
    artifact::read_file,
    bindings::IMulticall3::{self, Call3, Result as Result3},
};

/// Where viem 2.57.20 keeps Multicall3's creation code, under `node_modules`.
const VIEM_CONTRACTS: &str = "viem/_esm/constants/contracts.js";
/// The JavaScript binding that holds it.
const BYTECODE_EXPORT: &str = "multicall3Bytecode";

/// A Multicall3 on the devnet at [`Multicall3::ADDRESS`], from [`Devnet::deploy_multicall3`].
///
/// The runtime code is what viem's Multicall3 creation code returns, placed with `anvil_setCode`:
/// the canonical ABI (`aggregate3`, `getBlockNumber`, …), not byte-identical to mainnet's.
#[derive(Clone, Debug)]
pub struct Multicall3 {
    devnet: Devnet,
}

impl Multicall3 {
    /// The canonical Multicall3 address on every chain.
    pub const ADDRESS: Address = alloy_provider::MULTICALL3_ADDRESS;

    /// The contract's address ([`Multicall3::ADDRESS`]).
    pub const fn address(&self) -> Address {
        Self::ADDRESS
    }

    /// Runs `calls` in one `eth_call` to `aggregate3` at the latest block.
    ///
    /// # Errors
    /// As [`Devnet::call`]; a call with `allowFailure = false` that fails reverts the whole call.
    pub async fn aggregate3(&self, calls: Vec<Call3>) -> Result<Vec<Result3>> {
        self.aggregate3_at(calls, BlockId::latest()).await
    }

    /// Runs `calls` in one `eth_call` to `aggregate3` at `block`.
    ///
    /// # Errors
    /// As [`Devnet::call`].
    pub async fn aggregate3_at(&self, calls: Vec<Call3>, block: BlockId) -> Result<Vec<Result3>> {
        self.devnet.call_at(Self::ADDRESS, &IMulticall3::aggregate3Call { calls }, block).await
    }
}

impl Devnet {
    /// Places Multicall3 at its canonical address: runs viem's creation code in an `eth_call`
    /// and writes the returned runtime code with `anvil_setCode`. Does nothing if code is
    /// already there.
    ///
    /// # Errors
    /// [`DevnetError::ArtifactNotFound`] without viem installed, [`DevnetError::InvalidArtifact`]
    /// if its file changed shape, [`DevnetError::Rpc`].
    pub async fn deploy_multicall3(&self) -> Result<Multicall3> {
        let existing = self
            .provider()
            .get_code_at(Multicall3::ADDRESS)
            .await
            .map_err(|e| DevnetError::rpc("eth_getCode", e))?;
        if existing.is_empty() {
            let creation = self.multicall3_creation_code()?;
            let request = TransactionRequest {
                to: Some(TxKind::Create),
                input: TransactionInput::new(creation),
                ..Default::default()
            };
            let runtime = self
                .provider()
                .call(request)
                .await
                .map_err(|e| DevnetError::rpc("eth_call (Multicall3 creation)", e))?;
            self.set_code(Multicall3::ADDRESS, runtime).await?;
        }
        Ok(Multicall3 { devnet: self.clone() })
    }

    /// Reads `export const multicall3Bytecode = '0x…'` from viem's constants.
    fn multicall3_creation_code(&self) -> Result<Bytes> {
        let path = self.node_modules().join(VIEM_CONTRACTS);
        let text = read_file(&path)?;
        let invalid = |reason: &str| DevnetError::InvalidArtifact {
            path: path.clone(),
            reason: reason.to_owned(),
        };
        let start =
            text.find(BYTECODE_EXPORT).ok_or_else(|| invalid("no `multicall3Bytecode` export"))?;
        let rest = &text[start..];
        let quote = rest.find("'0x").ok_or_else(|| invalid("no quoted 0x string after it"))?;
        let hex = &rest[quote + 1..];
        let end = hex.find('\'').ok_or_else(|| invalid("unterminated string"))?;
        hex[..end].parse::<Bytes>().map_err(|e| invalid(&format!("not hex: {e}")))
    }
}
