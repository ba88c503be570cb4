//! [`PositionStore`] for [`RedisPositionStore`]: each operation as Redis commands and Lua
//! scripts.

#[allow(clippy::wildcard_imports)]
use super::*;

#[async_trait]
impl PositionStore for RedisPositionStore {
    fn backend(&self) -> &'static str {
        "redis"
    }

    async fn ping(&self) -> Result<()> {
        ops!("redis", "ping");
        track!(
            "redis",
            "ping",
            self.client().ping::<()>(None).await.map_err(|e| map_err("ping", e))
        )
    }

    #[tracing::instrument(
        level = "debug",
        name = "position_cache.get",
        skip(self),
        fields(backend = "redis")
    )]
    async fn get(&self, protocol: &str, user: Address) -> Result<Option<Position>> {
        ops!("redis", "get");
        let key = self.position_key(protocol, user);
        let value: Value = track!(
            "redis",
            "get",
            self.client().get(key.as_str()).await.map_err(|e| map_err_key("get", e, &key))
        )?;
        let Some(bytes) = value.as_bytes() else { return Ok(None) };
        Position::from_json(bytes).map(Some).map_err(|e| {
            errors!("redis", "get");
            self.note_corrupt(&key, &e.to_string());
            StoreError::Corrupt { key, reason: e.to_string() }
        })
    }

    #[tracing::instrument(
        level = "debug",
        name = "position_cache.scan_page",
        skip(self, cursor),
        fields(backend = "redis")
    )]
    async fn scan_page(&self, cursor: ScanCursor, count: usize) -> Result<ScanPage> {
        ops!("redis", "scan_page");
        let (node_index, redis_cursor) = match cursor.0 {
            CursorState::Start => (0, 0),
            CursorState::Node { node, cursor } => (node, cursor),
            CursorState::After { .. } => {
                return Err(StoreError::invalid("cursor", "cursor comes from another backend"));
            }
        };
        let nodes = self.nodes().await?;
        let Some(node) = nodes.get(node_index) else {
            return Err(StoreError::invalid("cursor", "cluster topology changed during the scan"));
        };
        let mut options = self.inner.options.clone();
        options.cluster_node = node.clone();
        let count = u32::try_from(count.max(1)).unwrap_or(u32::MAX);
        let reply: Value = track!(
            "redis",
            "scan_page",
            self.raw_client()
                .with_options(&options)
                .scan_page(
                    redis_cursor.to_string(),
                    self.inner.config.store.scan_pattern(),
                    Some(count),
                    None
                )
                .await
                .map_err(|e| map_err("scan", e))
        )?;
        let (next, keys) = parse_scan_reply(reply)?;
        let (positions, _corrupt) = track!("redis", "scan_page", self.fetch_decode(keys).await)?;
        let next = if next != 0 {
            Some(ScanCursor(CursorState::Node { node: node_index, cursor: next }))
        } else if node_index + 1 < nodes.len() {
            Some(ScanCursor(CursorState::Node { node: node_index + 1, cursor: 0 }))
        } else {
            None
        };
        Ok(ScanPage { positions, next })
    }

    async fn get_all(&self) -> Result<Vec<Position>> {
        ops!("redis", "get_all");
        let span = tracing::debug_span!(
            "position_cache.get_all",
            backend = "redis",
            count = tracing::field::Empty
        );
        async {
            let mut out = Vec::new();
            track!("redis", "get_all", self.for_each(|p| out.push(p)).await)?;
            tracing::Span::current().record("count", out.len());
            Ok(out)
        }
        .instrument(span)
        .await
    }

    #[tracing::instrument(level = "debug", name = "position_cache.upsert", skip_all, fields(backend = "redis", protocol = %position.protocol, user = %position.user))]
    async fn upsert(&self, position: &Position) -> Result<()> {
        ops!("redis", "upsert");
        position.validate()?;
        let prepared = self.prepare(position)?;
        let key: &str = &prepared.key;
        let args = self.upsert_args(&[&prepared]);
        track!(
            "redis",
            "upsert",
            self.evalsha(&scripts::UPSERT, key, &args)
                .await
                .map_err(|e| map_err_key("upsert", e, key))
        )?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", name = "position_cache.upsert_many", skip_all, fields(backend = "redis", count = positions.len()))]
    async fn upsert_many(&self, positions: &[Position]) -> Result<()> {
        ops!("redis", "upsert_many");
        track!("redis", "upsert_many", self.write_many(positions, true).await)
    }

    #[tracing::instrument(level = "debug", name = "position_cache.restore_many", skip_all, fields(backend = "redis", count = positions.len()))]
    async fn restore_many(&self, positions: &[Position]) -> Result<()> {
        ops!("redis", "restore_many");
        track!("redis", "restore_many", self.write_many(positions, false).await)
    }

    #[tracing::instrument(
        level = "debug",
        name = "position_cache.update_health",
        skip(self),
        fields(backend = "redis")
    )]
    async fn update_health(
        &self,
        protocol: &str,
        user: Address,
        is_healthy: bool,
        block: u64,
    ) -> Result<Option<u64>> {
        ops!("redis", "update_health");
        let key = self.position_key(protocol, user);
        let args: Vec<Value> = vec![
            Value::from(if is_healthy { "1" } else { "0" }),
            Value::from(block.to_string()),
            Value::from(self.inner.ttl_arg.as_str()),
        ];
        let reply = track!(
            "redis",
            "update_health",
            self.evalsha(&scripts::HEALTH, &key, &args).await.map_err(|e| map_err_key(
                "update_health",
                e,
                &key
            ))
        )?;
        // -1: no such position.
        Ok(reply.as_i64().and_then(|n| u64::try_from(n).ok()))
    }

    #[tracing::instrument(
        level = "debug",
        name = "position_cache.remove",
        skip(self),
        fields(backend = "redis")
    )]
    async fn remove(&self, protocol: &str, user: Address) -> Result<bool> {
        ops!("redis", "remove");
        let key = self.position_key(protocol, user);
        let removed: i64 = track!(
            "redis",
            "remove",
            self.client().del(key.as_str()).await.map_err(|e| map_err("remove", e))
        )?;
        Ok(removed > 0)
    }

    #[tracing::instrument(
        level = "debug",
        name = "position_cache.stats",
        skip(self),
        fields(backend = "redis")
    )]
    async fn stats(&self) -> Result<StoreStats> {
        ops!("redis", "stats");
        let mut stats = StoreStats::new("redis", true);
        let corrupt = track!("redis", "stats", self.for_each(|p| stats.record(&p)).await)?;
        stats.corrupt = corrupt;
        stats.corrupt_skipped_total = self.inner.corrupt_total.load(Ordering::Relaxed);
        stats.connected = self.is_connected();
        Ok(stats)
    }

    async fn checkpoint(&self, protocol: &str) -> Result<Option<u64>> {
        ops!("redis", "checkpoint");
        let key = self.inner.config.store.checkpoint_key(protocol);
        let value: Option<String> = track!(
            "redis",
            "checkpoint",
            self.client().get(key.as_str()).await.map_err(|e| map_err_key("checkpoint", e, &key))
        )?;
        value
            .map(|v| {
                v.trim()
                    .parse::<u64>()
                    .map_err(|e| StoreError::Corrupt { key: key.clone(), reason: e.to_string() })
            })
            .transpose()
    }

    async fn set_checkpoint(&self, protocol: &str, block: u64) -> Result<()> {
        ops!("redis", "set_checkpoint");
        validate_protocol(protocol)?;
        let key = self.inner.config.store.checkpoint_key(protocol);
        track!(
            "redis",
            "set_checkpoint",
            self.client()
                .set::<(), _, _>(key.as_str(), block.to_string(), None, None, false)
                .await
                .map_err(|e| map_err("set_checkpoint", e))
        )
    }
}
