//! Model-based property test: random operation sequences against each backend give the same
//! answers, and leave the same state, as a plain `HashMap` model.

use std::{
    collections::{BTreeMap, HashMap},
    future::Future,
    sync::Arc,
};

use alloy_primitives::Address;
use mev_position_cache::{
    FailoverPositionStore, InMemoryPositionStore, Position, PositionStore, RedisPositionStore,
};
use proptest::{
    prelude::*,
    test_runner::{Config, FileFailurePersistence, TestCaseError, TestRunner},
};

use crate::{arc, position, shared_store, user_address};

const PROTOCOLS: [&str; 2] = ["aave-v3", "moonwell"];
const CASES: u32 = 16;

/// `(user, protocol index, block, counter, verdict block)`.
type Spec = (u64, usize, u64, u64, u64);

#[derive(Debug, Clone)]
enum Op {
    Upsert(Spec),
    UpsertMany(Vec<Spec>),
    Restore(Vec<Spec>),
    Health { user: u64, protocol: usize, healthy: bool, block: u64 },
    Remove { user: u64, protocol: usize },
    Get { user: u64, protocol: usize },
    GetAll,
    Stats,
    SetCheckpoint { protocol: usize, block: u64 },
    Checkpoint { protocol: usize },
}

fn spec() -> impl Strategy<Value = Spec> {
    (0..6_u64, 0..2_usize, 0..1_000_u64, 0..4_u64, prop_oneof![Just(0_u64), 0..12_u64])
}

/// Batches without repeated keys (which write wins among duplicates in one batch is unspecified).
fn batch() -> impl Strategy<Value = Vec<Spec>> {
    prop::collection::vec(spec(), 0..8).prop_map(|specs| {
        let mut seen = HashMap::new();
        for s in specs {
            seen.insert((s.0, s.1), s);
        }
        seen.into_values().collect()
    })
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => spec().prop_map(Op::Upsert),
        1 => batch().prop_map(Op::UpsertMany),
        1 => batch().prop_map(Op::Restore),
        4 => (0..6_u64, 0..2_usize, any::<bool>(), prop_oneof![0..12_u64, 0..1_000_u64])
            .prop_map(|(user, protocol, healthy, block)| Op::Health { user, protocol, healthy, block }),
        1 => (0..6_u64, 0..2_usize).prop_map(|(user, protocol)| Op::Remove { user, protocol }),
        2 => (0..6_u64, 0..2_usize).prop_map(|(user, protocol)| Op::Get { user, protocol }),
        1 => Just(Op::GetAll),
        1 => Just(Op::Stats),
        1 => (0..2_usize, 0..1_000_u64).prop_map(|(protocol, block)| Op::SetCheckpoint { protocol, block }),
        1 => (0..2_usize).prop_map(|protocol| Op::Checkpoint { protocol }),
    ]
}

fn make(s: &Spec) -> Position {
    position(s.0, PROTOCOLS[s.1], s.2).with_blocks_unhealthy(s.3).with_last_health_block(s.4)
}

#[derive(Debug, Default)]
struct Model {
    positions: HashMap<(String, Address), Position>,
    checkpoints: HashMap<String, u64>,
}

impl Model {
    fn upsert(&mut self, p: Position) {
        let key = (p.protocol.clone(), p.user);
        let (counter, health_block) =
            self.positions.get(&key).map_or((p.blocks_unhealthy, p.last_health_block), |old| {
                (old.blocks_unhealthy, old.last_health_block)
            });
        self.positions
            .insert(key, p.with_blocks_unhealthy(counter).with_last_health_block(health_block));
    }

    fn sorted(&self) -> Vec<Position> {
        let mut all: Vec<_> = self.positions.values().cloned().collect();
        all.sort_by_key(|p| (p.user, p.protocol.clone()));
        all
    }
}

async fn run(store: &dyn PositionStore, ops: &[Op]) -> Result<(), TestCaseError> {
    let mut model = Model::default();
    for (i, op) in ops.iter().enumerate() {
        let err =
            |e: mev_position_cache::StoreError| TestCaseError::fail(format!("op {i} {op:?}: {e}"));
        match op {
            Op::Upsert(s) => {
                store.upsert(&make(s)).await.map_err(err)?;
                model.upsert(make(s));
            }
            Op::UpsertMany(specs) => {
                let batch: Vec<_> = specs.iter().map(make).collect();
                store.upsert_many(&batch).await.map_err(err)?;
                batch.into_iter().for_each(|p| model.upsert(p));
            }
            Op::Restore(specs) => {
                let batch: Vec<_> = specs.iter().map(make).collect();
                store.restore_many(&batch).await.map_err(err)?;
                for p in batch {
                    model.positions.insert((p.protocol.clone(), p.user), p);
                }
            }
            Op::Health { user, protocol, healthy, block } => {
                let got = store
                    .update_health(PROTOCOLS[*protocol], user_address(*user), *healthy, *block)
                    .await
                    .map_err(err)?;
                let want = model
                    .positions
                    .get_mut(&(PROTOCOLS[*protocol].to_owned(), user_address(*user)))
                    .map(|p| {
                        // Each block counts once: older blocks are ignored, a repeated block
                        // keeps a running streak, a skipped one restarts it.
                        let (b, h) = (*block, p.last_health_block);
                        if h != 0 && b < h {
                            return p.blocks_unhealthy;
                        }
                        p.blocks_unhealthy = match (*healthy, h) {
                            (true, _) => 0,
                            (false, 0) => p.blocks_unhealthy + 1,
                            (false, h) if b == h + 1 => p.blocks_unhealthy + 1,
                            (false, h) if b == h => p.blocks_unhealthy.max(1),
                            (false, _) => 1,
                        };
                        p.last_health_block = b;
                        p.last_update_block = p.last_update_block.max(b);
                        p.blocks_unhealthy
                    });
                prop_assert_eq!(got, want, "op {} {:?}", i, op);
            }
            Op::Remove { user, protocol } => {
                let got =
                    store.remove(PROTOCOLS[*protocol], user_address(*user)).await.map_err(err)?;
                let want = model
                    .positions
                    .remove(&(PROTOCOLS[*protocol].to_owned(), user_address(*user)))
                    .is_some();
                prop_assert_eq!(got, want, "op {} {:?}", i, op);
            }
            Op::Get { user, protocol } => {
                let got =
                    store.get(PROTOCOLS[*protocol], user_address(*user)).await.map_err(err)?;
                let want = model
                    .positions
                    .get(&(PROTOCOLS[*protocol].to_owned(), user_address(*user)))
                    .cloned();
                prop_assert_eq!(got, want, "op {} {:?}", i, op);
            }
            Op::GetAll => {
                let mut got = store.get_all().await.map_err(err)?;
                got.sort_by_key(|p| (p.user, p.protocol.clone()));
                prop_assert_eq!(got, model.sorted(), "op {} {:?}", i, op);
            }
            Op::Stats => {
                let stats = store.stats().await.map_err(err)?;
                let mut per_protocol = BTreeMap::new();
                for (protocol, _) in model.positions.keys() {
                    *per_protocol.entry(protocol.clone()).or_insert(0_u64) += 1;
                }
                prop_assert_eq!(stats.total, model.positions.len() as u64);
                prop_assert_eq!(stats.per_protocol, per_protocol);
                let current = model.positions.values().map(|p| p.last_update_block).max();
                prop_assert_eq!(stats.current_block, current.unwrap_or(0));
            }
            Op::SetCheckpoint { protocol, block } => {
                store.set_checkpoint(PROTOCOLS[*protocol], *block).await.map_err(err)?;
                model.checkpoints.insert(PROTOCOLS[*protocol].to_owned(), *block);
            }
            Op::Checkpoint { protocol } => {
                let got = store.checkpoint(PROTOCOLS[*protocol]).await.map_err(err)?;
                prop_assert_eq!(got, model.checkpoints.get(PROTOCOLS[*protocol]).copied());
            }
        }
    }
    let mut all = store.get_all().await.map_err(|e| TestCaseError::fail(e.to_string()))?;
    all.sort_by_key(|p| (p.user, p.protocol.clone()));
    prop_assert_eq!(all, model.sorted(), "final state");
    Ok(())
}

/// A store for one case, and the Redis store to purge afterwards (if any).
pub(crate) type Fresh = (Arc<dyn PositionStore>, Option<RedisPositionStore>);

/// Runs the property against stores from `fresh` (one per case). Must be called from a
/// multi-threaded tokio runtime.
pub(crate) async fn check_backend<F, Fut>(fresh: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Fresh>,
{
    let handle = tokio::runtime::Handle::current();
    let config = Config {
        cases: CASES,
        source_file: Some(file!()),
        failure_persistence: Some(Box::new(FileFailurePersistence::SourceParallel(
            "proptest-regressions",
        ))),
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let result = tokio::task::block_in_place(|| {
        runner.run(&prop::collection::vec(op(), 1..40), |ops| {
            handle.block_on(async {
                let (store, cleanup) = fresh().await;
                let outcome = run(store.as_ref(), &ops).await;
                if let Some(redis) = cleanup {
                    let _ = redis.purge().await;
                }
                outcome
            })
        })
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_matches_model() {
    check_backend(|| async { (arc(InMemoryPositionStore::new()), None) }).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_matches_model() {
    check_backend(|| async {
        let store = shared_store("model", 60).await;
        (arc(store.clone()), Some(store))
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failover_matches_model() {
    check_backend(|| async {
        let redis = shared_store("model-failover", 60).await;
        let store = FailoverPositionStore::builder(redis.clone()).build().unwrap();
        (arc(store), Some(redis))
    })
    .await;
}
