//! [`Fallback`]: several endpoints behind one [`ChainReader`]; a call that fails with a
//! transient error moves to the next one.

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering::Relaxed},
    },
    time::Duration,
};

use alloy_primitives::{Address, Bytes};
use alloy_rpc_types_eth::{Filter, Log};
use async_trait::async_trait;

use crate::{BlockHeader, ChainError, ChainReader, Result};

/// Readers for several endpoints (of the same chain), used one at a time: calls go to the
/// current one; when it fails with a [retryable](ChainError::is_retryable) error the call is
/// tried on the next endpoint, which becomes current. Each switch is logged and counted
/// (`chain_endpoint_switches_total`). A non-transient answer (a revert, a range error) is
/// returned as it is: another node would answer the same.
///
/// Put [`Retry`](crate::Retry) outside (to back off once every endpoint failed) and
/// [`Timeout`](crate::Timeout) inside, around each endpoint.
#[derive(Debug)]
pub struct Fallback {
    endpoints: Vec<Arc<dyn ChainReader>>,
    current: AtomicUsize,
}

impl Fallback {
    /// Endpoints in order of preference. `None` when `endpoints` is empty.
    pub fn new(endpoints: Vec<Arc<dyn ChainReader>>) -> Option<Self> {
        (!endpoints.is_empty()).then(|| Self { endpoints, current: AtomicUsize::new(0) })
    }

    /// The index of the endpoint calls go to now.
    pub fn current(&self) -> usize {
        self.current.load(Relaxed)
    }

    /// The number of endpoints.
    pub fn len(&self) -> usize {
        self.endpoints.len()
    }

    /// Always false: a `Fallback` has at least one endpoint.
    pub fn is_empty(&self) -> bool {
        self.endpoints.is_empty()
    }

    /// Records that endpoint `i` answered a call that started at `start`.
    fn answered(&self, i: usize, start: usize) {
        if i != start {
            self.current.store(i, Relaxed);
            metrics::counter!("chain_endpoint_switches_total").increment(1);
            tracing::warn!(endpoint = i, "switched to another RPC endpoint");
        }
    }
}

/// Tries `$call` on each endpoint from the current one until one answers or fails for good.
macro_rules! each_endpoint {
    ($self:ident, |$r:ident| $call:expr) => {{
        let n = $self.endpoints.len();
        let start = $self.current() % n;
        let mut last: Option<ChainError> = None;
        for k in 0..n {
            let i = (start + k) % n;
            let $r = &$self.endpoints[i];
            match $call.await {
                Ok(v) => {
                    $self.answered(i, start);
                    return Ok(v);
                }
                Err(e) if e.is_retryable() && k + 1 < n => {
                    tracing::warn!(endpoint = i, error = %e, "RPC endpoint failed; trying the next");
                    last = Some(e);
                }
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| ChainError::transport("fallback", "no endpoint answered")))
    }};
}

#[async_trait]
impl ChainReader for Fallback {
    async fn block_number(&self) -> Result<u64> {
        each_endpoint!(self, |r| r.block_number())
    }

    async fn header(&self, number: u64) -> Result<Option<BlockHeader>> {
        each_endpoint!(self, |r| r.header(number))
    }

    async fn call(&self, to: Address, data: Bytes, block: u64) -> Result<Bytes> {
        each_endpoint!(self, |r| r.call(to, data.clone(), block))
    }

    async fn logs(&self, filter: &Filter) -> Result<Vec<Log>> {
        each_endpoint!(self, |r| r.logs(filter))
    }

    async fn wait_for_head(&self, poll: Duration) {
        let i = self.current() % self.endpoints.len();
        self.endpoints[i].wait_for_head(poll).await;
    }
}
