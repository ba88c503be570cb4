//! Multicall3 `aggregate3`: many calls in one `eth_call`.

use std::time::Duration;

use alloy_primitives::{Address, Bytes};
use alloy_sol_types::SolCall;
use futures::{StreamExt, TryStreamExt, stream};
pub(crate) use mev_chain::call3;
use mev_chain::{Call3, Call3Result as Result3, ChainErrorKind, ChainReader, IMulticall3};

use crate::error::{RebuildError, Result};

/// Retries of one `aggregate3` request after rate-limit errors.
pub const READ_RETRIES: u32 = 8;
/// First backoff after a rate-limited `aggregate3`, doubling per retry.
const READ_INITIAL_BACKOFF: Duration = Duration::from_millis(100);
/// Longest backoff between `aggregate3` retries.
const READ_MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Default most calls packed into one `aggregate3` request (one `eth_call`).
///
/// About 30 M gas with `getUserReserveData` calls, under the `eth_call` gas caps of common
/// providers (50 M and up).
pub const DEFAULT_MAX_CALLS_PER_REQUEST: usize = 1_000;

/// Runs `calls` through Multicall3 at `multicall` in one `eth_call` at `block`.
pub(crate) async fn aggregate3(
    reader: &dyn ChainReader,
    multicall: Address,
    calls: Vec<Call3>,
    block: u64,
) -> Result<Vec<Result3>> {
    let n = calls.len();
    let data = Bytes::from(IMulticall3::aggregate3Call { calls }.abi_encode());
    let mut backoff = READ_INITIAL_BACKOFF;
    let mut attempts = 0;
    loop {
        attempts += 1;
        match reader.call(multicall, data.clone(), block).await {
            Ok(out) => {
                return Ok(mev_chain::multicall::decode_aggregate3(&out, n, multicall, block)?);
            }
            Err(e) if e.kind() == ChainErrorKind::RateLimited && attempts <= READ_RETRIES => {
                tracing::debug!(attempts, "eth_call rate limited, backing off");
                tokio::time::sleep(e.retry_after().unwrap_or(backoff)).await;
                backoff = (backoff * 2).min(READ_MAX_BACKOFF);
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// Runs every request through [`aggregate3`] at `block`, at most `concurrency` in flight,
/// results in request order. The first request starts with `prefix` market-wide calls; fails
/// when their results are missing.
pub(crate) async fn aggregate3_all(
    reader: &dyn ChainReader,
    multicall: Address,
    requests: Vec<Vec<Call3>>,
    block: u64,
    concurrency: usize,
    prefix: usize,
) -> Result<Vec<Vec<Result3>>> {
    let results: Vec<Vec<Result3>> = stream::iter(requests)
        .map(|calls| aggregate3(reader, multicall, calls, block))
        .buffered(concurrency.max(1))
        .try_collect()
        .await?;
    if results.first().map_or(0, Vec::len) < prefix {
        return Err(RebuildError::Decode {
            what: "aggregate3 result",
            reason: "market calls missing".into(),
        });
    }
    Ok(results)
}

/// Decodes one result of an `aggregate3` call made with [`call3`].
pub(crate) fn decode<C: SolCall>(target: Address, result: &Result3) -> Result<C::Return> {
    if !result.success {
        return Err(RebuildError::call(
            C::SIGNATURE,
            target,
            format!("reverted with 0x{}", alloy_primitives::hex::encode(&result.returnData)),
        ));
    }
    C::abi_decode_returns(&result.returnData)
        .map_err(|e| RebuildError::call(C::SIGNATURE, target, format!("bad return data: {e}")))
}

#[cfg(test)]
mod tests {
    use alloy_primitives::U256;
    use alloy_sol_types::SolValue;

    use super::*;
    use crate::bindings::IAaveOracle;

    #[test]
    fn decodes_success_and_reports_reverts() {
        let target = Address::repeat_byte(7);
        let ok = Result3 { success: true, returnData: Bytes::from(U256::from(5u8).abi_encode()) };
        assert_eq!(
            decode::<IAaveOracle::getAssetPriceCall>(target, &ok).ok(),
            Some(U256::from(5u8))
        );
        let bad = Result3 { success: false, returnData: Bytes::new() };
        assert!(matches!(
            decode::<IAaveOracle::getAssetPriceCall>(target, &bad),
            Err(RebuildError::Call { call: "getAssetPrice(address)", .. })
        ));
    }
}
