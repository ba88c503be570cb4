//! Multicall3 at its canonical address.

use alloy_primitives::{Address, Bytes, address};
use alloy_sol_types::SolCall;
use mev_devnet::{
    Multicall3,
    bindings::{IERC20, IMulticall3},
};

use crate::{TestResult, devnet, e18, ensure};

#[tokio::test]
async fn aggregate3_batches_calls() -> TestResult {
    let devnet = devnet().await?;
    let multicall = devnet.deploy_multicall3().await?;
    ensure(multicall.address() == address!("0xcA11bde05977b3631167028862bE2a173976CA11"), || {
        "not the canonical address".into()
    })?;
    // Idempotent.
    devnet.deploy_multicall3().await?;

    let me = devnet.deployer();
    let token = devnet.deploy_erc20(e18(1_000)).await?;
    let call = |target: Address, data: Vec<u8>, allow_failure: bool| IMulticall3::Call3 {
        target,
        allowFailure: allow_failure,
        callData: Bytes::from(data),
    };
    let results = multicall
        .aggregate3(vec![
            call(Multicall3::ADDRESS, IMulticall3::getBlockNumberCall {}.abi_encode(), false),
            call(token, IERC20::balanceOfCall { owner: me }.abi_encode(), false),
            call(token, IERC20::totalSupplyCall {}.abi_encode(), false),
            // `transfer` of more than the balance reverts; allowed to fail.
            call(token, IERC20::transferCall { to: me, value: e18(1_000_000) }.abi_encode(), true),
        ])
        .await?;
    ensure(results.len() == 4, || format!("{} results", results.len()))?;
    let block = IMulticall3::getBlockNumberCall::abi_decode_returns(&results[0].returnData)?;
    ensure(block.to::<u64>() == devnet.block_number().await?, || format!("block {block}"))?;
    let balance = IERC20::balanceOfCall::abi_decode_returns(&results[1].returnData)?;
    ensure(balance == e18(1_000), || format!("balance {balance}"))?;
    let supply = IERC20::totalSupplyCall::abi_decode_returns(&results[2].returnData)?;
    ensure(supply == e18(1_000), || format!("supply {supply}"))?;
    ensure(results.iter().take(3).all(|r| r.success) && !results[3].success, || {
        format!("success flags {:?}", results.iter().map(|r| r.success).collect::<Vec<_>>())
    })
}
