//! The pipeline's invariants on the in-process synthetic chain: rollback restores exactly, the
//! health index and watch list stay consistent, the sweep reaches every position in its window.

use std::{
    collections::{BTreeMap, HashSet},
    sync::Arc,
};

use alloy_primitives::{Address, U256};
use mev_position_cache::{InMemoryPositionStore, Position, PositionStore};
use mev_reserve_cache::{PoolState, ReserveSource, RpcReserveSource};

use alloy_primitives::Bytes;
use alloy_rpc_types_eth::{Filter, Log};
use async_trait::async_trait;
use mev_chain::{BlockHeader, ChainError, ChainReader};

use super::{Pipeline, state::Tracked};
use crate::{
    BotError, ChainEvent, PipelineConfig,
    testing::{HEAD0, Synthetic, header},
};

/// Everything a rollback must restore.
#[derive(Debug, PartialEq)]
struct State {
    head: u64,
    tracked: Vec<BTreeMap<Address, Tracked>>,
    prices: Vec<Vec<(Address, U256)>>,
    stored: Vec<Position>,
}

async fn state(p: &Pipeline) -> State {
    let mut stored = p.store().get_all().await.expect("store");
    stored.sort_by(|a, b| (&a.protocol, a.user).cmp(&(&b.protocol, b.user)));
    State {
        head: p.head().number,
        tracked: p
            .markets
            .iter()
            .map(|m| m.iter().map(|(u, t)| (*u, t.clone())).collect())
            .collect(),
        prices: p.markets.iter().map(|m| m.prices.clone()).collect(),
        stored,
    }
}

/// `a == b`, reporting the first difference briefly.
fn assert_same(a: &State, b: &State) {
    assert_eq!(a.head, b.head);
    assert_eq!(a.prices, b.prices, "prices");
    for (ma, mb) in a.tracked.iter().zip(&b.tracked) {
        let users: std::collections::BTreeSet<_> = ma.keys().chain(mb.keys()).collect();
        for u in users {
            let (x, y) = (ma.get(u), mb.get(u));
            if x != y {
                let brief = |t: Option<&Tracked>| {
                    t.map(|t| {
                        (t.chain.position.clone(), t.chain.health.health_factor, t.blocks_unhealthy)
                    })
                };
                panic!("tracked {u}: {:?}\n != {:?}", brief(x), brief(y));
            }
        }
    }
    assert_eq!(a.stored.len(), b.stored.len(), "stored positions");
    for (x, y) in a.stored.iter().zip(&b.stored) {
        assert_eq!(x, y, "stored position");
    }
}

fn pools(p: &Pipeline) -> BTreeMap<Address, Option<PoolState>> {
    p.pools().map(|k| (k.address, p.reserves().peek(&k.address).map(|s| s.state.clone()))).collect()
}

fn streaks(p: &Pipeline) -> usize {
    p.streaks().filter(|(_, _, n)| *n > 0).count()
}

/// The indexes agree with the tracked positions, and the watch list is exactly the positions
/// below the watch line.
fn assert_consistent(p: &Pipeline) {
    let watch = p.config.watch_health_factor;
    for m in &p.markets {
        assert!(m.is_consistent(), "{}: indexes disagree with the tracked positions", m.name);
        let below: HashSet<Address> = m.below(watch).collect();
        let brute: HashSet<Address> =
            m.iter().filter(|(_, t)| t.health_factor() < watch).map(|(u, _)| *u).collect();
        assert_eq!(below, brute, "{}: watch list", m.name);
        let unhealthy: HashSet<Address> = m.unhealthy().collect();
        let brute: HashSet<Address> =
            m.iter().filter(|(_, t)| t.blocks_unhealthy > 0).map(|(u, _)| *u).collect();
        assert_eq!(unhealthy, brute, "{}: unhealthy set", m.name);
    }
}

#[tokio::test]
async fn rollback_restores_positions_streaks_prices_and_pools_exactly() {
    let mut s = Synthetic::new(2_000);
    s.chain.keep_history(8);
    let mut p = s.pipeline(Arc::new(InMemoryPositionStore::new())).await.expect("bootstrap");
    let before = state(&p).await;
    let pools_before = pools(&p);
    assert!(before.tracked[0].len() > 1_900, "positions tracked: {}", before.tracked[0].len());

    // Three blocks of swaps, Aave actions and WETH price moves: streaks start, positions and
    // prices change, pools move.
    for _ in 0..3 {
        let report = p.apply(ChainEvent::Block(s.next_block(true))).await.expect("block");
        assert!(report.positions_refreshed > 0 && report.pools_updated > 0, "{report:?}");
        assert_consistent(&p);
    }
    let after = state(&p).await;
    assert_ne!(after.tracked, before.tracked);
    assert_ne!(after.prices, before.prices);
    assert_ne!(after.stored, before.stored);
    assert!(streaks(&p) > 0, "some position is on an unhealthy streak");
    assert_ne!(pools(&p), pools_before);

    // The three blocks are orphaned.
    s.chain.rewind(HEAD0);
    let report = p.apply(ChainEvent::Reorg { ancestor: HEAD0 }).await.expect("rollback");
    assert!(report.reorg && report.positions_refreshed > 0, "{report:?}");
    assert_same(&state(&p).await, &before);
    assert_eq!(streaks(&p), 0);
    assert_consistent(&p);
    // Pools the orphaned blocks touched are dropped (and re-read next block); the others are
    // as they were.
    for (pool, now) in pools(&p) {
        assert!(now.is_none() || now == pools_before[&pool], "pool {pool}");
    }

    // The new branch: every pool equals the chain after its first block.
    s.next = HEAD0 + 1;
    p.apply(ChainEvent::Block(s.next_block(false))).await.expect("new branch");
    let source = RpcReserveSource::new(s.chain.clone());
    let keys = s.pool_keys();
    let chain_pools = source.fetch_many(&keys, HEAD0 + 1).await;
    for (key, fetched) in keys.iter().zip(chain_pools) {
        let cached = p.reserves().peek(&key.address).expect("cached").state.clone();
        assert_eq!(cached, fetched.expect("chain read").state, "pool {}", key.address);
    }
    assert_consistent(&p);
}

#[tokio::test]
async fn a_reorg_deeper_than_the_history_fails_and_changes_nothing() {
    let mut s = Synthetic::new(100);
    let config = PipelineConfig { max_reorg_depth: 2, ..PipelineConfig::default() };
    let mut p = s.pipeline_with(Arc::new(InMemoryPositionStore::new()), config).await.unwrap();
    for _ in 0..4 {
        p.apply(ChainEvent::Block(s.next_block(false))).await.unwrap();
    }
    let before = state(&p).await;
    let e = p.apply(ChainEvent::Reorg { ancestor: HEAD0 }).await.unwrap_err();
    assert!(matches!(e, BotError::ReorgTooDeep { kept: 3, oldest } if oldest == HEAD0 + 2), "{e}");
    assert_eq!(state(&p).await, before);
    // A block that does not extend the head is refused.
    let e = p
        .apply(ChainEvent::Block(crate::BlockData { header: header(HEAD0 + 9), logs: vec![] }))
        .await
        .unwrap_err();
    assert!(matches!(e, BotError::NotChild { number, .. } if number == HEAD0 + 9), "{e}");
}

#[tokio::test]
async fn the_sweep_rereads_every_position_within_its_window() {
    let mut s = Synthetic::new(500);
    // 2-second blocks, a 10-second window: five blocks cover every position.
    let config = PipelineConfig { sweep_seconds: 10, ..PipelineConfig::default() };
    let mut p = s.pipeline_with(Arc::new(InMemoryPositionStore::new()), config).await.unwrap();
    let fresh =
        |p: &Pipeline| p.tracked().filter(|(_, pos, _)| pos.last_update_block > HEAD0).count();
    let mut swept = 0;
    for k in 1..=5 {
        let report = p.apply(ChainEvent::Block(s.next_block(false))).await.unwrap();
        swept += report.positions_swept;
        if k == 2 {
            assert!(fresh(&p) < p.positions(), "two blocks do not cover the window");
        }
        assert_consistent(&p);
    }
    assert_eq!(fresh(&p), p.positions(), "every position re-read within 10 s of chain time");
    // Each block sweeps its share (500 × 2 / 10 = 100), minus what the block itself re-read.
    assert!(swept > 200 && swept <= 500, "swept {swept}");
}

#[tokio::test]
async fn the_sweep_counts_positions_that_changed_behind_the_pipelines_back() {
    let s = Synthetic::new(500);
    let config = PipelineConfig { sweep_seconds: 10, ..PipelineConfig::default() };
    let mut p = s.pipeline_with(Arc::new(InMemoryPositionStore::new()), config).await.unwrap();
    // Three debts up 1 % and three up 0.05 %, with no event: the pipeline's copies are stale.
    for i in 0..3 {
        s.chain.scale_debt(i, 100);
        s.chain.scale_debt(10 + i, 5);
    }
    let (mut swept, mut diverged) = (0, 0);
    for _ in 0..5 {
        let report = p.apply(ChainEvent::Block(s.chain.empty_block())).await.unwrap();
        assert_eq!(report.positions_refreshed, 0, "nothing on the critical path");
        swept += report.positions_swept;
        diverged += report.positions_diverged;
    }
    assert_eq!(swept, 500, "five empty 2-second blocks sweep the 10-second window");
    assert_eq!(diverged, 3, "only the three beyond 10 bps");
    // The copies are current now: the next round finds nothing.
    for _ in 0..5 {
        let report = p.apply(ChainEvent::Block(s.chain.empty_block())).await.unwrap();
        assert_eq!(report.positions_diverged, 0);
    }
    assert_consistent(&p);
}

#[tokio::test]
async fn opportunities_come_at_the_confirmation_count_with_a_sized_liquidation() {
    let mut s = Synthetic::new(2_000);
    let mut p = s.pipeline(Arc::new(InMemoryPositionStore::new())).await.unwrap();
    let unhealthy_at_start: HashSet<Address> =
        p.tracked().filter(|(_, _, h)| h.liquidatable).map(|(_, pos, _)| pos.user).collect();
    assert!(!unhealthy_at_start.is_empty());
    let first = p.apply(ChainEvent::Block(s.next_block(false))).await.unwrap();
    assert!(first.opportunities.is_empty(), "one unhealthy block is not enough");
    let second = p.apply(ChainEvent::Block(s.next_block(false))).await.unwrap();
    assert!(!second.opportunities.is_empty());
    for o in second.liquidations() {
        assert_eq!(o.blocks_unhealthy, 2);
        assert!(o.health_factor < U256::from(10u64).pow(U256::from(18u64)));
        let l = o.liquidation.as_ref().expect("an Aave position gets a sized liquidation");
        assert!(l.debt_to_cover > U256::ZERO && l.collateral_to_liquidator > U256::ZERO);
    }
    // Once per streak: the third unhealthy block emits nothing new for the same users.
    let third = p.apply(ChainEvent::Block(s.next_block(false))).await.unwrap();
    let again: HashSet<Address> = third.liquidations().map(|o| o.user).collect();
    assert!(second.liquidations().all(|o| !again.contains(&o.user)));
}

/// Passes everything to the synthetic chain, except that while armed, `eth_call`s fail with a
/// transport error after `pass` more have gone through (a node dropping mid-block).
#[derive(Debug)]
struct Flaky {
    inner: Arc<crate::testing::SynthChain>,
    pass: std::sync::Mutex<Option<u32>>,
}

#[async_trait]
impl ChainReader for Flaky {
    async fn block_number(&self) -> mev_chain::Result<u64> {
        self.inner.block_number().await
    }
    async fn header(&self, n: u64) -> mev_chain::Result<Option<BlockHeader>> {
        self.inner.header(n).await
    }
    async fn call(&self, to: Address, data: Bytes, block: u64) -> mev_chain::Result<Bytes> {
        {
            let mut pass = self.pass.lock().unwrap();
            match *pass {
                Some(0) => return Err(ChainError::transport("eth_call", "connection reset")),
                Some(n) => *pass = Some(n - 1),
                None => {}
            }
        }
        self.inner.call(to, data, block).await
    }
    async fn logs(&self, filter: &Filter) -> mev_chain::Result<Vec<Log>> {
        self.inner.logs(filter).await
    }
}

#[tokio::test]
async fn a_block_that_fails_half_way_leaves_no_trace_and_applies_again() {
    let mut s = Synthetic::new(2_000);
    let flaky = Arc::new(Flaky { inner: s.chain.clone(), pass: std::sync::Mutex::new(None) });
    let store_b: Arc<dyn PositionStore> = Arc::new(InMemoryPositionStore::new());
    let mut a = s.pipeline(Arc::new(InMemoryPositionStore::new())).await.unwrap();
    let mut keys = s.pool_keys().into_iter();
    let mut builder = Pipeline::builder(flaky.clone(), store_b)
        .market_config(mev_rebuild::MarketConfig::AaveV3(Synthetic::aave_config()), vec![]);
    for k in keys.by_ref() {
        builder = builder.pool(k);
    }
    let mut b = builder.bootstrap(s.chain.head_header()).await.unwrap();
    // Two blocks for streaks to start, then a price-move block that fails at its position
    // re-read, after the prices were read and positions repriced.
    for _ in 0..2 {
        let block = s.next_block(true);
        a.apply(ChainEvent::Block(block.clone())).await.unwrap();
        b.apply(ChainEvent::Block(block)).await.unwrap();
    }
    assert!(streaks(&b) > 0);
    let before = state(&b).await;
    let block = s.next_block(true);
    *flaky.pass.lock().unwrap() = Some(1);
    let e = b.apply(ChainEvent::Block(block.clone())).await.unwrap_err();
    assert!(e.is_transient(), "{e}");
    assert_same(&state(&b).await, &before);
    assert_consistent(&b);
    // The node is back: the same block applies, and both pipelines agree to the wei.
    *flaky.pass.lock().unwrap() = None;
    let ra = a.apply(ChainEvent::Block(block.clone())).await.unwrap();
    let rb = b.apply(ChainEvent::Block(block)).await.unwrap();
    assert_eq!(ra.opportunities, rb.opportunities);
    assert_same(&state(&b).await, &state(&a).await);
    // The synthetic V3 pools have no initialized ticks; where their ticks were loaded around
    // depends on when each pipeline read them, so the loaded range is left out.
    let pool = |p: &Pipeline, k: &mev_reserve_cache::PoolKey| {
        p.reserves().peek(&k.address).map(|snapshot| match snapshot.state.clone() {
            mev_reserve_cache::PoolState::UniswapV3(mut v3) => {
                assert!(v3.state.ticks.is_empty());
                v3.state.loaded_range = (0, 0);
                mev_reserve_cache::PoolState::UniswapV3(v3)
            }
            other => other,
        })
    };
    for k in s.pool_keys() {
        assert_eq!(pool(&a, &k), pool(&b, &k));
    }
}

#[tokio::test]
async fn a_failed_sweep_does_not_fail_the_block() {
    let mut s = Synthetic::new(500);
    let flaky = Arc::new(Flaky { inner: s.chain.clone(), pass: std::sync::Mutex::new(None) });
    let mut builder = Pipeline::builder(flaky.clone(), Arc::new(InMemoryPositionStore::new()))
        .market_config(mev_rebuild::MarketConfig::AaveV3(Synthetic::aave_config()), vec![]);
    for k in s.pool_keys() {
        builder = builder.pool(k);
    }
    let mut p = builder.bootstrap(s.chain.head_header()).await.unwrap();
    // Without a price move the block makes one eth_call (the re-read); the sweep's fails.
    *flaky.pass.lock().unwrap() = Some(1);
    let report = p.apply(ChainEvent::Block(s.next_block(false))).await.expect("the block stands");
    assert_eq!(report.positions_swept, 0);
    *flaky.pass.lock().unwrap() = None;
    let report = p.apply(ChainEvent::Block(s.next_block(false))).await.unwrap();
    // The next sweep covers both blocks' time: 500 × 4 s / 30 s.
    assert!(report.positions_swept >= 60, "swept {}", report.positions_swept);
    assert_consistent(&p);
}

#[tokio::test]
async fn opportunities_can_repeat_every_block_while_liquidatable() {
    let mut s = Synthetic::new(2_000);
    let config = PipelineConfig { opportunity_every_block: true, ..PipelineConfig::default() };
    let mut p = s.pipeline_with(Arc::new(InMemoryPositionStore::new()), config).await.unwrap();
    p.apply(ChainEvent::Block(s.next_block(false))).await.unwrap();
    let second = p.apply(ChainEvent::Block(s.next_block(false))).await.unwrap();
    let third = p.apply(ChainEvent::Block(s.next_block(false))).await.unwrap();
    assert!(!second.opportunities.is_empty());
    let again: HashSet<Address> = third.liquidations().map(|o| o.user).collect();
    for o in second.liquidations() {
        assert!(again.contains(&o.user), "{} offered again", o.user);
    }
    assert!(third.liquidations().all(|o| o.blocks_unhealthy == 3));
}
