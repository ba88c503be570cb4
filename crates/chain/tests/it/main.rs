//! mev-chain against anvil: headers, calls, logs and error classes from a real node, through
//! providers of two networks.

use std::sync::Arc;

use alloy_network::AnyNetwork;
use alloy_primitives::{Address, Bytes};
use alloy_provider::{Provider, ProviderBuilder};
use alloy_rpc_types_eth::Filter;
use alloy_sol_types::SolCall;
use mev_chain::{
    ChainError, ChainErrorKind, ChainReader, Counted, IMulticall3, Metered, ProviderChain,
    aggregate3, call3,
};
use mev_devnet::Devnet;

mod faults;
mod wrappers;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_through_providers_of_any_network() {
    let devnet = Devnet::start().await.expect("anvil");
    devnet.deploy_multicall3().await.expect("multicall3");
    let multicall = mev_devnet::Multicall3::ADDRESS;
    devnet.mine(3).await.expect("mine");

    let eth: Arc<dyn ChainReader> = Arc::new(ProviderChain::new(devnet.provider().clone()));
    let any_provider = ProviderBuilder::new()
        .network::<AnyNetwork>()
        .connect_http(devnet.rpc_url().parse().expect("url"));
    let any = Counted::new(Metered::new(ProviderChain::<_, AnyNetwork>::new(any_provider)));

    let head = eth.block_number().await.expect("head");
    assert_eq!(any.block_number().await.expect("head"), head);
    let h = eth.header(head).await.expect("header").expect("exists");
    let node =
        devnet.provider().get_block_by_number(head.into()).await.expect("block").expect("exists");
    assert_eq!(
        (h.number, h.hash, h.parent_hash),
        (head, node.header.hash, node.header.parent_hash)
    );
    assert_eq!(h.timestamp, node.header.timestamp);
    assert_eq!(any.header(head).await.expect("header"), Some(h));
    assert_eq!(eth.header(head + 1_000).await.expect("no block"), None);
    let parent = eth.header(head - 1).await.expect("header").expect("exists");
    assert_eq!(parent.hash, h.parent_hash);

    // Multicall3 through alloy's bindings: the block number as the contract sees it.
    let results = aggregate3(
        &any,
        multicall,
        vec![call3(multicall, &IMulticall3::getBlockNumberCall {})],
        head,
    )
    .await
    .expect("aggregate3");
    let seen = IMulticall3::getBlockNumberCall::abi_decode_returns(&results[0].returnData)
        .expect("decode");
    assert_eq!(seen.to::<u64>(), head);
    assert_eq!(any.requests(), 3);

    // No code at the address: a typed error naming it, not an ABI decoding failure.
    let nowhere = Address::repeat_byte(0x42);
    let e =
        aggregate3(&*eth, nowhere, vec![call3(nowhere, &IMulticall3::getBlockNumberCall {})], head)
            .await
            .unwrap_err();
    assert_eq!(e, ChainError::NoContract { method: "aggregate3", address: nowhere, block: head });

    // A revert is a node error with its code; a block in the future too.
    let e =
        eth.call(multicall, Bytes::from_static(&[0xde, 0xad, 0xbe, 0xef]), head).await.unwrap_err();
    assert_eq!(e.kind(), ChainErrorKind::Node, "{e}");
    assert!(!e.is_retryable());
    let e = eth.call(multicall, Bytes::new(), head + 1_000).await.unwrap_err();
    assert_eq!(e.kind(), ChainErrorKind::Node, "{e}");

    // Logs: none from an address that never emitted.
    let logs = eth.logs(&Filter::new().address(nowhere).from_block(0).to_block(head)).await;
    assert_eq!(logs.expect("logs").len(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_node_is_a_transport_error_without_the_url_path() {
    // A port nobody listens on, with an API key in the path.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    let url = format!("http://127.0.0.1:{port}/v2/SECRET-API-KEY");
    let provider = ProviderBuilder::new().connect_http(url.parse().expect("url"));
    let chain = ProviderChain::new(provider);
    let e = chain.block_number().await.unwrap_err();
    assert_eq!(e.kind(), ChainErrorKind::Transport, "{e}");
    assert!(e.is_retryable());
    assert!(!e.to_string().contains("SECRET"), "{e}");
    assert!(!format!("{e:?}").contains("SECRET"), "{e:?}");
}
