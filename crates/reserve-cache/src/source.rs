//! Where pool state comes from on a miss.

use std::fmt::Debug;

use async_trait::async_trait;

use crate::{PoolKey, PoolSnapshot, Result};

/// Reads pool state from the chain (or anything else) at a block.
///
/// Object-safe, for use as `Arc<dyn ReserveSource>`. [`ReserveSource::fetch_many`] should batch
/// (the RPC source packs many pools into one Multicall3 call); its default calls
/// [`ReserveSource::fetch`] once per pool.
#[async_trait]
pub trait ReserveSource: Send + Sync + Debug {
    /// The state of `pool` at the end of `block`.
    async fn fetch(&self, pool: &PoolKey, block: u64) -> Result<PoolSnapshot>;

    /// The state of each pool at the end of `block`, one result per pool, in order.
    async fn fetch_many(&self, pools: &[PoolKey], block: u64) -> Vec<Result<PoolSnapshot>> {
        let mut out = Vec::with_capacity(pools.len());
        for pool in pools {
            out.push(self.fetch(pool, block).await);
        }
        out
    }
}

#[async_trait]
impl<S: ReserveSource + ?Sized> ReserveSource for std::sync::Arc<S> {
    async fn fetch(&self, pool: &PoolKey, block: u64) -> Result<PoolSnapshot> {
        (**self).fetch(pool, block).await
    }

    async fn fetch_many(&self, pools: &[PoolKey], block: u64) -> Vec<Result<PoolSnapshot>> {
        (**self).fetch_many(pools, block).await
    }
}
