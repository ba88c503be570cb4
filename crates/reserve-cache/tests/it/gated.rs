//! A `ReserveSource` whose answers the test controls: it counts fetches, can hold every fetch
//! until released, and answers with whatever state the test planted (old data included).

use std::sync::{
    Arc, Mutex,
    atomic::{AtomicU64, Ordering::SeqCst},
};

use alloy_primitives::{Address, U256};
use async_trait::async_trait;
use mev_reserve_cache::{PoolKey, PoolSnapshot, PoolState, ReserveError, ReserveSource, Result};
use mev_swap_math::V2Fee;
use tokio::sync::watch;

#[derive(Debug)]
pub(crate) struct GatedSource {
    pub(crate) fetches: AtomicU64,
    /// The reserves the next fetch answers with.
    answer: Mutex<(u64, u64)>,
    /// A state that replaces the V2 answer when set.
    state: Mutex<Option<PoolState>>,
    open: watch::Sender<bool>,
    fail: Mutex<bool>,
}

impl GatedSource {
    pub(crate) fn new(reserve0: u64, reserve1: u64) -> Arc<Self> {
        Arc::new(Self {
            fetches: AtomicU64::new(0),
            answer: Mutex::new((reserve0, reserve1)),
            state: Mutex::new(None),
            open: watch::channel(true).0,
            fail: Mutex::new(false),
        })
    }

    /// Holds every fetch until [`GatedSource::release`].
    pub(crate) fn hold(&self) {
        self.open.send_replace(false);
    }

    pub(crate) fn release(&self) {
        self.open.send_replace(true);
    }

    pub(crate) fn answer_with(&self, reserve0: u64, reserve1: u64) {
        *self.answer.lock().unwrap() = (reserve0, reserve1);
    }

    /// Answers with `state` from now on.
    pub(crate) fn answer_state(&self, state: PoolState) {
        *self.state.lock().unwrap() = Some(state);
    }

    pub(crate) fn fail(&self, fail: bool) {
        *self.fail.lock().unwrap() = fail;
    }

    pub(crate) fn fetches(&self) -> u64 {
        self.fetches.load(SeqCst)
    }
}

pub(crate) const TOKEN0: Address = Address::repeat_byte(0x0a);
pub(crate) const TOKEN1: Address = Address::repeat_byte(0x0b);

pub(crate) fn v2(reserve0: u64, reserve1: u64) -> PoolState {
    PoolState::UniswapV2 {
        token0: TOKEN0,
        token1: TOKEN1,
        reserve0: U256::from(reserve0),
        reserve1: U256::from(reserve1),
        fee: V2Fee::UNISWAP,
    }
}

#[async_trait]
impl ReserveSource for GatedSource {
    async fn fetch(&self, pool: &PoolKey, block: u64) -> Result<PoolSnapshot> {
        self.fetches.fetch_add(1, SeqCst);
        // Read the answer when the fetch starts: that is the state "on chain" at that moment.
        let (r0, r1) = *self.answer.lock().unwrap();
        let state = self.state.lock().unwrap().clone().unwrap_or_else(|| v2(r0, r1));
        let mut open = self.open.subscribe();
        while !*open.borrow_and_update() {
            if open.changed().await.is_err() {
                break;
            }
        }
        if *self.fail.lock().unwrap() {
            return Err(ReserveError::Source {
                pool: pool.address,
                block,
                message: "rate limited".into(),
            });
        }
        Ok(PoolSnapshot { pool: pool.address, block, state })
    }
}

pub(crate) const POOL: Address = Address::repeat_byte(0x51);
