//! The chain itself: startup errors, time, snapshots, reorgs, batches, shutdown.

use std::{net::TcpStream, time::Duration};

use alloy_primitives::{Address, TxKind, U256};
use alloy_provider::Provider;
use alloy_rpc_types_eth::{BlockNumberOrTag, TransactionRequest};
use mev_devnet::{
    DEFAULT_BLOCK_TIME, DEFAULT_CHAIN_ID, Devnet, DevnetError, bindings::IERC20, tx_request,
};

use crate::{TestResult, devnet, e18, ensure};

#[tokio::test]
async fn missing_install_fails_with_the_fix() -> TestResult {
    let err = Devnet::builder().node_modules("/nonexistent/node_modules").start().await.err();
    let Some(err @ DevnetError::AnvilNotInstalled { .. }) = err else {
        return Err(crate::Failure(format!("expected AnvilNotInstalled, got {err:?}")));
    };
    let message = err.to_string();
    ensure(message.contains("/nonexistent/node_modules/@foundry-rs/"), || message.clone())?;
    ensure(message.contains("bash scripts/devnet-setup"), || message.clone())
}

#[tokio::test]
async fn starts_pinned_and_stops_on_drop() -> TestResult {
    let devnet = devnet().await?;
    let other = crate::devnet().await?;
    ensure(devnet.port() != other.port(), || "two devnets share a port".into())?;
    ensure(devnet.chain_id() == DEFAULT_CHAIN_ID, || "chain id".into())?;
    ensure(devnet.accounts().len() == 10, || format!("{} accounts", devnet.accounts().len()))?;
    let genesis = devnet.provider().get_block_by_number(BlockNumberOrTag::Number(0)).await?;
    let genesis_ts = genesis.map(|b| b.header.timestamp).unwrap_or_default();
    ensure(genesis_ts == mev_devnet::DEFAULT_GENESIS_TIMESTAMP, || {
        format!("genesis {genesis_ts}")
    })?;

    // Deterministic time: each block is exactly the block time after the previous one.
    devnet.mine(3).await?;
    let latest = devnet.provider().get_block_by_number(BlockNumberOrTag::Latest).await?;
    let ts = latest.map(|b| b.header.timestamp).unwrap_or_default();
    ensure(ts == genesis_ts + 3 * DEFAULT_BLOCK_TIME, || format!("block 3 at {ts}"))?;
    devnet.set_next_timestamp(ts + 1_000).await?;
    devnet.mine(1).await?;
    let next = devnet.provider().get_block_by_number(BlockNumberOrTag::Latest).await?;
    ensure(next.map(|b| b.header.timestamp) == Some(ts + 1_000), || "next timestamp".into())?;

    let port = other.port();
    drop(other);
    ensure(
        TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_secs(1)).is_err(),
        || format!("anvil still listens on {port} after drop"),
    )
}

#[tokio::test]
async fn snapshot_revert_restores_state() -> TestResult {
    let devnet = devnet().await?;
    let me = devnet.deployer();
    let fresh = Address::repeat_byte(0x42);
    let token = devnet.deploy_erc20(e18(1_000)).await?;
    let snapshot = devnet.snapshot().await?;
    devnet.transfer(token, me, fresh, e18(7)).await?;
    ensure(devnet.balance_of(token, fresh).await? == e18(7), || "transfer".into())?;
    devnet.revert(snapshot).await?;
    ensure(devnet.balance_of(token, fresh).await?.is_zero(), || "revert kept the transfer".into())?;
    // A reverted snapshot cannot be used twice.
    ensure(devnet.revert(snapshot).await.is_err(), || "second revert succeeded".into())
}

#[tokio::test]
async fn reorg_replaces_blocks_and_drops_their_transactions() -> TestResult {
    let devnet = devnet().await?;
    let me = devnet.deployer();
    let (alice, bob, carol) =
        (Address::repeat_byte(0xa1), Address::repeat_byte(0xb0), Address::repeat_byte(0xc0));
    let token = devnet.deploy_erc20(e18(1_000)).await?;
    devnet.set_balance(carol, e18(1)).await?;
    devnet.transfer(token, me, carol, e18(10)).await?;
    devnet.transfer(token, me, alice, e18(1)).await?;
    devnet.transfer(token, me, alice, e18(2)).await?;
    let height = devnet.block_number().await?;
    let old = devnet.provider().get_block_by_number(height.into()).await?.map(|b| b.header.hash);

    // Replace the two blocks that paid alice: the first new one pays bob 5 wei from a default
    // account, the second sends bob tokens from carol (a fresh, impersonated address).
    let payment = TransactionRequest {
        from: Some(me),
        to: Some(TxKind::Call(bob)),
        value: Some(U256::from(5)),
        ..Default::default()
    };
    let tokens = tx_request(carol, token, &IERC20::transferCall { to: bob, value: e18(4) });
    devnet.reorg(2, vec![(payment, 0), (tokens, 1)]).await?;

    ensure(devnet.block_number().await? == height, || "reorg changed the height".into())?;
    let new = devnet.provider().get_block_by_number(height.into()).await?.map(|b| b.header.hash);
    ensure(old != new, || "the tip kept its hash".into())?;
    ensure(devnet.balance_of(token, alice).await?.is_zero(), || "reorged transfers kept".into())?;
    ensure(devnet.balance_of(token, carol).await? == e18(6), || "carol's balance".into())?;
    ensure(devnet.balance_of(token, bob).await? == e18(4), || "bob's tokens".into())?;
    let bob_eth = devnet.provider().get_balance(bob).await?;
    ensure(bob_eth == U256::from(5), || format!("bob has {bob_eth} wei"))?;

    devnet.rollback(1).await?;
    ensure(devnet.block_number().await? == height - 1, || "rollback".into())?;
    ensure(devnet.balance_of(token, bob).await?.is_zero(), || "rollback kept bob's tokens".into())
}

#[tokio::test]
async fn batch_packs_transactions_into_one_block() -> TestResult {
    let devnet = devnet().await?;
    let me = devnet.deployer();
    let token = devnet.deploy_erc20(e18(1_000)).await?;
    let users: Vec<Address> = (1..=50u8).map(Address::repeat_byte).collect();
    let mut batch = devnet.batch();
    for &user in &users {
        batch.push(
            me,
            token,
            &mev_devnet::bindings::IERC20::transferCall { to: user, value: e18(2) },
        );
        // The user spends what the previous transaction in the same block gave it.
        batch.push(
            user,
            token,
            &mev_devnet::bindings::IERC20::transferCall { to: me, value: e18(1) },
        );
    }
    devnet.set_balances(&users, e18(1)).await?;
    let receipts = batch.execute().await?;
    ensure(receipts.len() == 100, || format!("{} receipts", receipts.len()))?;
    let first = receipts[0].block_number;
    ensure(receipts.iter().all(|r| r.block_number == first), || "batch spans blocks".into())?;
    for &user in &users {
        ensure(devnet.balance_of(token, user).await? == e18(1), || format!("{user} balance"))?;
    }
    // Automine is back on.
    devnet.transfer(token, me, users[0], e18(1)).await?;
    Ok(())
}

/// After `evm_revert`, a block mined at a height the reverted chain already had: its receipts
/// (and a batch mined there) are the new block's, and no reverted transaction lands in it.
#[tokio::test]
async fn blocks_after_a_revert_are_the_new_ones() -> TestResult {
    let devnet = devnet().await?;
    let me = devnet.deployer();
    let other = devnet.accounts()[1];
    let token = devnet.deploy_erc20(e18(1_000)).await?;
    for round in 0..20u64 {
        let id = devnet.snapshot().await?;
        let old = devnet.transfer(token, me, other, U256::from(1 + round)).await?;
        devnet.revert(id).await?;
        let mut batch = devnet.batch();
        batch.push(
            me,
            token,
            &IERC20::transferCall { to: other, value: U256::from(1_000 + round) },
        );
        batch.push(
            me,
            token,
            &IERC20::transferCall { to: other, value: U256::from(2_000 + round) },
        );
        let receipts = batch.execute().await?;
        let height = receipts[0].block_number.unwrap_or_default();
        ensure(old.block_number == Some(height), || format!("round {round}: heights differ"))?;
        let block = devnet
            .provider()
            .get_block_by_number(BlockNumberOrTag::Number(height))
            .await?
            .ok_or_else(|| crate::Failure("no block".into()))?;
        let hashes: Vec<_> = block.transactions.hashes().collect();
        ensure(hashes == vec![receipts[0].transaction_hash, receipts[1].transaction_hash], || {
            format!("round {round}: block {height} holds {hashes:?}")
        })?;
    }
    Ok(())
}
