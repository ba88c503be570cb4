//! Timeout, Retry and Fallback against scripted failures (the error paths a healthy node does
//! not produce on demand; `faults.rs` runs the same wrappers through a fault proxy in front of
//! anvil).

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use alloy_primitives::{Address, Bytes};
use alloy_rpc_types_eth::{Filter, Log};
use async_trait::async_trait;
use mev_chain::{
    BlockHeader, ChainError, ChainErrorKind, ChainReader, Fallback, Retry, RetryConfig, Timeout,
};

/// Answers `eth_blockNumber` from a script: each entry an error, a hang, or the number.
#[derive(Debug, Default)]
struct Scripted {
    script: Mutex<VecDeque<Step>>,
    calls: Mutex<u32>,
}

#[derive(Debug)]
enum Step {
    Fail(ChainError),
    Hang,
    Answer(u64),
}

impl Scripted {
    fn new(steps: Vec<Step>) -> Arc<Self> {
        Arc::new(Self { script: Mutex::new(steps.into()), calls: Mutex::new(0) })
    }
    fn calls(&self) -> u32 {
        *self.calls.lock().unwrap()
    }
}

#[async_trait]
impl ChainReader for Scripted {
    async fn block_number(&self) -> mev_chain::Result<u64> {
        *self.calls.lock().unwrap() += 1;
        let step = self.script.lock().unwrap().pop_front();
        match step {
            Some(Step::Fail(e)) => Err(e),
            Some(Step::Hang) => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                Ok(0)
            }
            Some(Step::Answer(n)) => Ok(n),
            None => Ok(7),
        }
    }
    async fn header(&self, _: u64) -> mev_chain::Result<Option<BlockHeader>> {
        Ok(None)
    }
    async fn call(&self, _: Address, _: Bytes, _: u64) -> mev_chain::Result<Bytes> {
        Ok(Bytes::new())
    }
    async fn logs(&self, _: &Filter) -> mev_chain::Result<Vec<Log>> {
        Ok(Vec::new())
    }
}

fn rate_limited(after: Option<Duration>) -> ChainError {
    ChainError::RateLimited { method: "eth_blockNumber", retry_after: after, message: "429".into() }
}

fn fast() -> RetryConfig {
    RetryConfig { max_attempts: 5, initial_backoff_ms: 1, max_backoff_ms: 20 }
}

#[tokio::test]
async fn retry_rides_out_transient_errors_and_stops_on_answers() {
    let node = Scripted::new(vec![
        Step::Fail(rate_limited(None)),
        Step::Fail(ChainError::transport("eth_blockNumber", "connection reset")),
        Step::Fail(ChainError::malformed("eth_blockNumber", "EOF while parsing")),
        Step::Fail(ChainError::node("eth_blockNumber", -32000, "header not found")),
        Step::Answer(42),
    ]);
    let r = Retry::new(node.clone(), fast());
    assert_eq!(r.block_number().await.unwrap(), 42);
    assert_eq!((node.calls(), r.retries()), (5, 4));

    // A revert is an answer: no retry.
    let node =
        Scripted::new(vec![Step::Fail(ChainError::node("eth_call", 3, "execution reverted"))]);
    let r = Retry::new(node.clone(), fast());
    assert_eq!(r.block_number().await.unwrap_err().kind(), ChainErrorKind::Node);
    assert_eq!(node.calls(), 1);

    // Bounded: the fifth failure is returned.
    let node = Scripted::new((0..9).map(|_| Step::Fail(rate_limited(None))).collect());
    let r = Retry::new(node.clone(), fast());
    assert_eq!(r.block_number().await.unwrap_err().kind(), ChainErrorKind::RateLimited);
    assert_eq!(node.calls(), 5);
}

#[tokio::test]
async fn retry_honours_retry_after() {
    let node = Scripted::new(vec![
        Step::Fail(rate_limited(Some(Duration::from_millis(300)))),
        Step::Answer(1),
    ]);
    let r = Retry::new(node, RetryConfig { initial_backoff_ms: 1, ..RetryConfig::default() });
    let t = Instant::now();
    r.block_number().await.unwrap();
    assert!(t.elapsed() >= Duration::from_millis(300), "{:?}", t.elapsed());
}

#[tokio::test]
async fn timeout_ends_a_hung_call_and_retry_then_succeeds() {
    let node = Scripted::new(vec![Step::Hang, Step::Answer(9)]);
    let t = Timeout::new(node.clone(), Duration::from_millis(200));
    let e = t.block_number().await.unwrap_err();
    assert_eq!(
        e,
        ChainError::Timeout { method: "eth_blockNumber", after: Some(Duration::from_millis(200)) }
    );
    assert!(e.is_retryable());
    let node = Scripted::new(vec![Step::Hang, Step::Answer(9)]);
    let r = Retry::new(Timeout::new(node, Duration::from_millis(100)), fast());
    assert_eq!(r.block_number().await.unwrap(), 9);
}

#[tokio::test]
async fn fallback_moves_to_a_healthy_endpoint_and_stays_there() {
    let down = Scripted::new(
        (0..10).map(|_| Step::Fail(ChainError::transport("eth_blockNumber", "refused"))).collect(),
    );
    let up = Scripted::new(vec![]);
    let f = Fallback::new(vec![down.clone(), up.clone()]).unwrap();
    assert_eq!(f.block_number().await.unwrap(), 7);
    assert_eq!(f.current(), 1);
    assert_eq!(f.block_number().await.unwrap(), 7);
    assert_eq!((down.calls(), up.calls()), (1, 2), "the healthy endpoint stays current");
    // An answer from the current endpoint is not second-guessed.
    let reverting =
        Scripted::new(vec![Step::Fail(ChainError::node("eth_call", 3, "execution reverted"))]);
    let f = Fallback::new(vec![reverting, Scripted::new(vec![])]).unwrap();
    assert_eq!(f.block_number().await.unwrap_err().kind(), ChainErrorKind::Node);
    assert!(Fallback::new(vec![]).is_none());
}
