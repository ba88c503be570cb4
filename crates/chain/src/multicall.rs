//! Multicall3 `aggregate3`: many calls in one `eth_call`, on alloy-provider's own bindings and
//! canonical address.

use alloy_primitives::{Address, Bytes};
use alloy_sol_types::SolCall;

pub use alloy_provider::{MULTICALL3_ADDRESS, bindings::IMulticall3};

use crate::{ChainError, ChainReader, Result};

/// One call of an `aggregate3` batch (alloy's `IMulticall3::Call3`).
pub type Call3 = IMulticall3::Call3;

/// One result of an `aggregate3` batch (alloy's `IMulticall3::Result`): whether the call
/// succeeded and its return or revert data.
pub type Call3Result = IMulticall3::Result;

/// A call of `call` to `target` whose failure is reported in its own result instead of
/// reverting the batch.
pub fn call3<C: SolCall>(target: Address, call: &C) -> Call3 {
    Call3 { target, allowFailure: true, callData: Bytes::from(call.abi_encode()) }
}

/// Runs `calls` through the Multicall3 at `multicall` in one `eth_call` at `block`: one result
/// per call, in order.
///
/// Fails with [`ChainError::NoContract`] when nothing is deployed at `multicall` at that block
/// (the call returns no data), and [`ChainError::Malformed`] when the answer does not decode or
/// has a different number of results.
pub async fn aggregate3<R: ChainReader + ?Sized>(
    reader: &R,
    multicall: Address,
    calls: Vec<Call3>,
    block: u64,
) -> Result<Vec<Call3Result>> {
    let n = calls.len();
    let data = Bytes::from(IMulticall3::aggregate3Call { calls }.abi_encode());
    let out = reader.call(multicall, data, block).await?;
    decode_aggregate3(&out, n, multicall, block)
}

/// Decodes the return data of an `aggregate3` of `n` calls sent to `multicall` at `block`.
pub fn decode_aggregate3(
    out: &[u8],
    n: usize,
    multicall: Address,
    block: u64,
) -> Result<Vec<Call3Result>> {
    if out.is_empty() {
        // aggregate3 always returns at least an array header: no data means no code.
        return Err(ChainError::NoContract { method: "aggregate3", address: multicall, block });
    }
    let results = IMulticall3::aggregate3Call::abi_decode_returns(out)
        .map_err(|e| ChainError::malformed("aggregate3", e.to_string()))?;
    if results.len() != n {
        return Err(ChainError::malformed(
            "aggregate3",
            format!("{} results for {n} calls", results.len()),
        ));
    }
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_answer_means_no_contract_and_counts_must_match() {
        let m = Address::repeat_byte(7);
        assert_eq!(
            decode_aggregate3(&[], 1, m, 9),
            Err(ChainError::NoContract { method: "aggregate3", address: m, block: 9 })
        );
        let one = IMulticall3::aggregate3Call::abi_encode_returns(&vec![Call3Result {
            success: true,
            returnData: Bytes::new(),
        }]);
        assert_eq!(decode_aggregate3(&one, 1, m, 9).map(|r| r.len()), Ok(1));
        assert!(matches!(decode_aggregate3(&one, 2, m, 9), Err(ChainError::Malformed { .. })));
        assert!(matches!(
            decode_aggregate3(&[1, 2, 3], 1, m, 9),
            Err(ChainError::Malformed { .. })
        ));
    }
}
