//! The wrappers through a fault proxy in front of a real anvil: every kind of node fault is
//! ridden out, and the answers are the node's.

use std::{sync::Arc, time::Duration};

use alloy_provider::RootProvider;
use mev_chain::{
    ChainReader, IMulticall3, ProviderChain, Retry, RetryConfig, Timeout, aggregate3, call3,
};
use mev_devnet::{Devnet, Fault, FaultProxy};

fn resilient(url: &str) -> Arc<dyn ChainReader> {
    let node: ProviderChain<RootProvider> =
        ProviderChain::new(RootProvider::new_http(url.parse().expect("url")));
    let config = RetryConfig { max_attempts: 10, initial_backoff_ms: 5, max_backoff_ms: 200 };
    Arc::new(Retry::new(Timeout::new(node, Duration::from_millis(500)), config))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_kind_is_ridden_out() {
    let devnet = Devnet::start().await.expect("anvil");
    devnet.deploy_multicall3().await.expect("multicall3");
    devnet.mine(5).await.expect("mine");
    let proxy = FaultProxy::start(devnet.rpc_url()).await.expect("proxy");
    let direct = ProviderChain::new(devnet.provider().clone());
    let chain = resilient(proxy.url());
    let head = direct.block_number().await.expect("head");

    // 20 single faults, four of each kind, each met by a call.
    for i in 0..20 {
        proxy.inject([Fault::quick(i)]);
        if i % 2 == 0 {
            assert_eq!(chain.block_number().await.expect("block number"), head);
        } else {
            let h = chain.header(head).await.expect("header");
            assert_eq!(h, direct.header(head).await.unwrap());
        }
    }
    let stats = proxy.stats();
    assert_eq!(stats.faults, 20, "{stats:?}");

    // 20 % random faults over 200 reads: every read succeeds with the node's answer.
    proxy.random(20, 7);
    let mc = mev_devnet::Multicall3::ADDRESS;
    for i in 0..100 {
        let n = head - (i % 5);
        let out = aggregate3(&*chain, mc, vec![call3(mc, &IMulticall3::getBlockNumberCall {})], n)
            .await
            .expect("aggregate3");
        let got =
            <IMulticall3::getBlockNumberCall as alloy_sol_types::SolCall>::abi_decode_returns(
                &out[0].returnData,
            )
            .expect("decode");
        assert_eq!(got.to::<u64>(), n);
        assert_eq!(chain.header(n).await.expect("header"), direct.header(n).await.unwrap());
    }
    proxy.random(0, 0);
    let stats = proxy.stats();
    assert!(stats.faults > 40, "{stats:?}");

    // A node that hangs for 1.5 s: calls time out and are retried until it answers.
    proxy.hang(Some(Duration::from_secs(30)));
    let clear = {
        let started = std::time::Instant::now();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(1_500)).await;
            started
        })
    };
    let chain2 = chain.clone();
    let read = tokio::spawn(async move { chain2.block_number().await });
    let started = clear.await.unwrap();
    proxy.hang(None);
    assert_eq!(read.await.unwrap().expect("answered after the hang"), head);
    assert!(started.elapsed() < Duration::from_secs(10));
}
