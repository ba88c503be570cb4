//! Walking the keyspace: `SCAN` on every primary, fetching values, skipping corrupt ones.

use std::{collections::VecDeque, sync::atomic::Ordering};

use fred::{
    error::ErrorKind,
    prelude::{ClientLike, ClusterInterface, KeysInterface},
    types::{Key, Value, config::Server},
};
use tokio::task::JoinHandle;

use super::{RedisPositionStore, map_err};
use crate::{
    error::{Result, StoreError},
    position::Position,
};

/// Positions parsed from one page, and how many values in it were corrupt.
type Decoded = (Vec<Position>, u64);

impl RedisPositionStore {
    /// Deletes every position and checkpoint under this store's namespace (all of them when
    /// the namespace is empty), by `SCAN` + `DEL`. Returns the number of keys deleted.
    pub async fn purge(&self) -> Result<u64> {
        let store = &self.inner.config.store;
        let mut deleted = 0;
        let positions = store.scan_pattern();
        let prefix = &positions[..positions.len() - "position:*".len()];
        let checkpoints = format!("{prefix}checkpoint:*");
        for node in self.nodes().await? {
            for pattern in [&positions, &checkpoints] {
                let mut cursor = 0;
                loop {
                    let (next, keys) =
                        self.scan_keys_matching(node.as_ref(), cursor, pattern).await?;
                    for key in keys {
                        let n: i64 =
                            self.client().del(key).await.map_err(|e| map_err("purge", e))?;
                        deleted += u64::try_from(n).unwrap_or(0);
                    }
                    if next == 0 {
                        break;
                    }
                    cursor = next;
                }
            }
        }
        Ok(deleted)
    }

    pub(super) fn note_corrupt(&self, key: &str, reason: &str) {
        self.inner.corrupt_total.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("position_cache_corrupt_total", "backend" => "redis").increment(1);
        tracing::warn!(key, reason, "skipping unparsable position value");
    }

    /// Sorted primaries of a cluster, or one `None` entry for a single node.
    pub(super) async fn nodes(&self) -> Result<Vec<Option<Server>>> {
        if !self.is_clustered() {
            return Ok(vec![None]);
        }
        let client = self.raw_client();
        if let Some(state) = client.cached_cluster_state() {
            return Ok(state.unique_primary_nodes().into_iter().map(Some).collect());
        }
        client.sync_cluster().await.map_err(|e| map_err("scan", e))?;
        let state = client.cached_cluster_state().ok_or_else(|| StoreError::Unavailable {
            backend: "redis",
            op: "scan",
            reason: "cluster routing table unknown".into(),
        })?;
        Ok(state.unique_primary_nodes().into_iter().map(Some).collect())
    }

    /// One `SCAN` step over positions on `node`: the next cursor (0 when done) and the keys.
    async fn scan_keys(&self, node: Option<&Server>, cursor: u64) -> Result<(u64, Vec<Key>)> {
        self.scan_keys_matching(node, cursor, &self.inner.config.store.scan_pattern()).await
    }

    async fn scan_keys_matching(
        &self,
        node: Option<&Server>,
        cursor: u64,
        pattern: &str,
    ) -> Result<(u64, Vec<Key>)> {
        let mut options = self.inner.options.clone();
        options.cluster_node = node.cloned();
        let client = self.raw_client().with_options(&options);
        let reply: Value = client
            .scan_page(cursor.to_string(), pattern, Some(self.inner.config.scan_count), None)
            .await
            .map_err(|e| map_err("scan", e))?;
        parse_scan_reply(reply)
    }

    /// Values of `keys` (`Null` where a key vanished), plus how many keys hold a non-string
    /// value (corrupt).
    async fn fetch(&self, keys: Vec<Key>) -> Result<(Vec<Key>, Vec<Value>, u64)> {
        if keys.is_empty() {
            return Ok((keys, Vec::new(), 0));
        }
        let values: Vec<Value> = if self.is_clustered() {
            let pipeline = self.pipeline();
            for key in &keys {
                pipeline.get::<(), _>(key.clone()).await.map_err(|e| map_err("fetch", e))?;
            }
            pipeline
                .try_all::<Value>()
                .await
                .into_iter()
                .map(|r| match r {
                    Ok(v) => Ok(v),
                    // WRONGTYPE: classified below like MGET's nil.
                    Err(e) if *e.kind() == ErrorKind::InvalidArgument => Ok(Value::Null),
                    Err(e) => Err(map_err("fetch", e)),
                })
                .collect::<Result<_>>()?
        } else {
            self.client().mget(keys.clone()).await.map_err(|e| map_err("fetch", e))?
        };
        let missing: Vec<&Key> =
            keys.iter().zip(&values).filter(|(_, v)| v.is_null()).map(|(k, _)| k).collect();
        let mut wrong_type = 0;
        if !missing.is_empty() {
            // Nil means expired since the SCAN, or not a string; only the latter is corrupt.
            let pipeline = self.pipeline();
            for key in &missing {
                pipeline.r#type::<(), _>((*key).clone()).await.map_err(|e| map_err("fetch", e))?;
            }
            for (key, kind) in missing.iter().zip(pipeline.try_all::<String>().await) {
                let kind = kind.map_err(|e| map_err("fetch", e))?;
                if kind != "none" && kind != "string" {
                    wrong_type += 1;
                    self.note_corrupt(
                        &String::from_utf8_lossy(key.as_bytes()),
                        &format!("value is a Redis {kind}, not a JSON string"),
                    );
                }
            }
        }
        Ok((keys, values, wrong_type))
    }

    /// Parses fetched values, skipping and counting corrupt ones; returns how many were corrupt.
    fn decode_into(&self, keys: &[Key], values: Vec<Value>, out: &mut impl FnMut(Position)) -> u64 {
        let mut corrupt = 0;
        for (key, value) in keys.iter().zip(values) {
            let Some(bytes) = value.as_bytes() else { continue };
            match Position::from_json(bytes) {
                Ok(p) => out(p),
                Err(e) => {
                    corrupt += 1;
                    self.note_corrupt(&String::from_utf8_lossy(key.as_bytes()), &e.to_string());
                }
            }
        }
        corrupt
    }

    /// Fetches and parses one page of keys: the positions and how many values were corrupt.
    pub(super) async fn fetch_decode(&self, keys: Vec<Key>) -> Result<Decoded> {
        let (keys, values, wrong_type) = self.fetch(keys).await?;
        let mut positions = Vec::with_capacity(keys.len());
        let corrupt = self.decode_into(&keys, values, &mut |p| positions.push(p));
        Ok((positions, corrupt + wrong_type))
    }

    /// Scans every node with up to `max_in_flight` pages being fetched and parsed on other
    /// tasks; returns the corrupt count.
    pub(super) async fn for_each(&self, mut out: impl FnMut(Position) + Send) -> Result<u64> {
        let mut corrupt = 0;
        let max = self.inner.config.max_in_flight;
        for node in self.nodes().await? {
            let mut in_flight: VecDeque<JoinHandle<Result<Decoded>>> = VecDeque::new();
            let mut cursor = Some(0_u64);
            while cursor.is_some() || !in_flight.is_empty() {
                if let Some(c) = cursor
                    && in_flight.len() < max
                {
                    let (next, keys) = self.scan_keys(node.as_ref(), c).await?;
                    cursor = (next != 0).then_some(next);
                    let this = self.clone();
                    in_flight.push_back(tokio::spawn(async move { this.fetch_decode(keys).await }));
                    continue;
                }
                let Some(task) = in_flight.pop_front() else { break };
                let (positions, bad) = task.await.map_err(|e| StoreError::Unavailable {
                    backend: "redis",
                    op: "scan",
                    reason: format!("fetch task ended: {e}"),
                })??;
                corrupt += bad;
                positions.into_iter().for_each(&mut out);
            }
        }
        Ok(corrupt)
    }
}

pub(super) fn parse_scan_reply(reply: Value) -> Result<(u64, Vec<Key>)> {
    let bad = || StoreError::Unavailable {
        backend: "redis",
        op: "scan",
        reason: "unexpected SCAN reply".into(),
    };
    let Value::Array(mut parts) = reply else { return Err(bad()) };
    if parts.len() != 2 {
        return Err(bad());
    }
    let keys = parts.pop().ok_or_else(bad)?;
    let cursor = parts.pop().ok_or_else(bad)?;
    let cursor = cursor.as_str().and_then(|c| c.parse::<u64>().ok()).ok_or_else(bad)?;
    let keys: Vec<Key> = keys.convert().map_err(|_| bad())?;
    Ok((cursor, keys))
}
