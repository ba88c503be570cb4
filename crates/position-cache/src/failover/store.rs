//! [`PositionStore`] for [`FailoverPositionStore`]: each call goes to the primary while it is
//! up and to memory (recording what changed) while it is down.

#[allow(clippy::wildcard_imports)]
use super::*;

#[async_trait]
impl PositionStore for FailoverPositionStore {
    fn backend(&self) -> &'static str {
        "failover"
    }

    async fn ping(&self) -> Result<()> {
        Ok(())
    }

    async fn get(&self, protocol: &str, user: Address) -> Result<Option<Position>> {
        ops!("failover", "get");
        if self.is_online() {
            match self.primary_call("get", self.inner.primary.get(protocol, user)).await {
                Ok(Some(position)) => {
                    let _ = self.inner.memory.restore_many(std::slice::from_ref(&position)).await;
                    return Ok(Some(position));
                }
                Ok(None) => {
                    let _ = self.inner.memory.remove(protocol, user).await;
                    return Ok(None);
                }
                Err(e) if e.is_unavailable() => self.go_offline("get", &e),
                Err(e) => return Err(e),
            }
        }
        self.inner.memory.get(protocol, user).await
    }

    async fn scan_page(&self, cursor: ScanCursor, count: usize) -> Result<ScanPage> {
        ops!("failover", "scan_page");
        failover_read!(self, "scan_page",
            primary => self.inner.primary.scan_page(cursor.clone(), count),
            memory => self.inner.memory.scan_page(cursor, count).await,
        )
    }

    async fn get_all(&self) -> Result<Vec<Position>> {
        ops!("failover", "get_all");
        if self.is_online() {
            // A full scan may legitimately outlast the single-call timeout.
            match self.inner.primary.get_all().await {
                Err(e) if e.is_unavailable() => self.go_offline("get_all", &e),
                other => return other,
            }
        }
        self.inner.memory.get_all().await
    }

    async fn upsert(&self, position: &Position) -> Result<()> {
        ops!("failover", "upsert");
        position.validate()?;
        failover_write!(self, "upsert",
            primary => self.inner.primary.upsert(position),
            mirror(ok) => { let _ = self.inner.memory.upsert(position).await; },
            memory => self.inner.memory.upsert(position).await,
            mark => self.mark_position(&position.protocol, position.user, Change::Written),
        )
    }

    async fn upsert_many(&self, positions: &[Position]) -> Result<()> {
        ops!("failover", "upsert_many");
        positions.iter().try_for_each(Position::validate)?;
        loop {
            if self.is_online() {
                match self.inner.primary.upsert_many(positions).await {
                    Ok(()) => {
                        let _ = self.inner.memory.upsert_many(positions).await;
                        return Ok(());
                    }
                    Err(e) if !e.is_unavailable() => return Err(e),
                    Err(e) => self.go_offline("upsert_many", &e),
                }
            }
            let _shared = self.inner.barrier.read().await;
            if self.is_online() {
                continue;
            }
            self.inner.memory.upsert_many(positions).await?;
            for p in positions {
                self.mark_position(&p.protocol, p.user, Change::Written);
            }
            return Ok(());
        }
    }

    async fn restore_many(&self, positions: &[Position]) -> Result<()> {
        ops!("failover", "restore_many");
        positions.iter().try_for_each(Position::validate)?;
        loop {
            if self.is_online() {
                match self.inner.primary.restore_many(positions).await {
                    Ok(()) => {
                        let _ = self.inner.memory.restore_many(positions).await;
                        return Ok(());
                    }
                    Err(e) if !e.is_unavailable() => return Err(e),
                    Err(e) => self.go_offline("restore_many", &e),
                }
            }
            let _shared = self.inner.barrier.read().await;
            if self.is_online() {
                continue;
            }
            self.inner.memory.restore_many(positions).await?;
            for p in positions {
                self.mark_position(&p.protocol, p.user, Change::Written);
            }
            return Ok(());
        }
    }

    async fn update_health(
        &self,
        protocol: &str,
        user: Address,
        is_healthy: bool,
        block: u64,
    ) -> Result<Option<u64>> {
        ops!("failover", "update_health");
        failover_write!(self, "update_health",
            primary => self.inner.primary.update_health(protocol, user, is_healthy, block),
            mirror(count) => match count {
                Some(n) => self.inner.memory.mirror_health(protocol, user, n, block),
                None => { let _ = self.inner.memory.remove(protocol, user).await; }
            },
            memory => self.inner.memory.update_health(protocol, user, is_healthy, block).await,
            mark => self.mark_position(protocol, user, Change::Written),
        )
    }

    async fn remove(&self, protocol: &str, user: Address) -> Result<bool> {
        ops!("failover", "remove");
        failover_write!(self, "remove",
            primary => self.inner.primary.remove(protocol, user),
            mirror(ok) => { let _ = self.inner.memory.remove(protocol, user).await; },
            memory => self.inner.memory.remove(protocol, user).await,
            mark => self.mark_position(protocol, user, Change::Removed),
        )
    }

    async fn stats(&self) -> Result<StoreStats> {
        ops!("failover", "stats");
        let mut stats = if self.is_online() {
            match self.inner.primary.stats().await {
                Ok(stats) => stats,
                Err(e) if e.is_unavailable() => {
                    self.go_offline("stats", &e);
                    self.inner.memory.stats().await?
                }
                Err(e) => return Err(e),
            }
        } else {
            self.inner.memory.stats().await?
        };
        stats.backend = "failover";
        stats.connected = self.is_online();
        stats.pending_writes = self.pending_writes() as u64;
        Ok(stats)
    }

    async fn checkpoint(&self, protocol: &str) -> Result<Option<u64>> {
        ops!("failover", "checkpoint");
        failover_read!(self, "checkpoint",
            primary => self.inner.primary.checkpoint(protocol),
            memory => self.inner.memory.checkpoint(protocol).await,
        )
    }

    async fn set_checkpoint(&self, protocol: &str, block: u64) -> Result<()> {
        ops!("failover", "set_checkpoint");
        validate_protocol(protocol)?;
        failover_write!(self, "set_checkpoint",
            primary => self.inner.primary.set_checkpoint(protocol, block),
            mirror(ok) => { let _ = self.inner.memory.set_checkpoint(protocol, block).await; },
            memory => self.inner.memory.set_checkpoint(protocol, block).await,
            mark => self.mark(DirtyKey::Checkpoint { protocol: protocol.to_owned() }, Change::Written),
        )
    }
}
