//! Reconciliation: cached positions against the chain, divergence in basis points.

use std::sync::atomic::Ordering;

use alloy_primitives::{Address, U256};
use mev_chain::ChainReader as _;
use mev_position_cache::{Position, PositionStore};
use serde::{Deserialize, Serialize};

use crate::{error::Result, rebuilder::Rebuilder};

/// One basis point is 1/10,000; a leg missing on one side diverges by 10,000 bps.
pub const FULL_DIVERGENCE_BPS: u64 = 10_000;

/// The outcome of one reconciliation run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReconcileReport {
    /// The block the chain was read at, block number.
    pub block: u64,
    /// Positions compared.
    pub checked: usize,
    /// Every compared position with a nonzero divergence, largest first.
    pub divergences: Vec<PositionDivergence>,
    /// The largest divergence seen, bps.
    pub max_divergence_bps: u64,
    /// The threshold in force, bps.
    pub threshold_bps: u64,
    /// Whether some position diverged by more than the threshold: a bot should halt.
    pub diverged: bool,
    /// JSON-RPC requests made.
    pub requests: u64,
}

/// How far one cached position is from the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PositionDivergence {
    /// The position's protocol id.
    pub protocol: String,
    /// The user.
    pub user: Address,
    /// The largest relative difference over collateral legs, debt legs and the health factor,
    /// bps of the chain value (10,000 when a leg exists on one side only), rounded up.
    pub divergence_bps: u64,
    /// What differed most: `"collateral 0x…"`, `"debt 0x…"` or `"health_factor"`.
    pub field: String,
}

impl Rebuilder {
    /// Compares cached positions of this rebuilder's protocols with the chain at the head (or
    /// [`RebuildConfig::to_block`](crate::RebuildConfig::to_block)): all of them, or the next
    /// [`RebuildConfig::reconcile_sample`](crate::RebuildConfig::reconcile_sample) of them in a rolling order.
    pub async fn reconcile(&self, store: &dyn PositionStore) -> Result<ReconcileReport> {
        let before = self.reader.requests();
        let block = match self.config.to_block {
            Some(b) => b,
            None => self.reader.block_number().await?,
        };
        let mut cached = store.get_all().await?;
        cached.retain(|p| self.protocols.iter().any(|pr| pr.name() == p.protocol));
        cached.sort_by(|a, b| (&a.protocol, a.user).cmp(&(&b.protocol, b.user)));
        let sample: Vec<Position> = match self.config.reconcile_sample {
            Some(n) if n < cached.len() => {
                let start = self.sample_cursor.fetch_add(n, Ordering::Relaxed) % cached.len();
                cached.iter().cycle().skip(start).take(n).cloned().collect()
            }
            _ => cached,
        };
        let mut report = ReconcileReport {
            block,
            threshold_bps: self.config.divergence_threshold_bps,
            ..ReconcileReport::default()
        };
        for protocol in &self.protocols {
            let mine: Vec<&Position> =
                sample.iter().filter(|p| p.protocol == protocol.name()).collect();
            if mine.is_empty() {
                continue;
            }
            let users: Vec<Address> = mine.iter().map(|p| p.user).collect();
            let chain = protocol.read_positions(&self.reader, &users, block).await?;
            for (cached, chain) in mine.iter().zip(&chain) {
                report.checked += 1;
                let (bps, field) = divergence(cached, &chain.position);
                if bps > 0 {
                    report.divergences.push(PositionDivergence {
                        protocol: cached.protocol.clone(),
                        user: cached.user,
                        divergence_bps: bps,
                        field,
                    });
                }
            }
        }
        report.divergences.sort_by_key(|d| std::cmp::Reverse(d.divergence_bps));
        report.max_divergence_bps = report.divergences.first().map_or(0, |d| d.divergence_bps);
        report.diverged = report.max_divergence_bps > report.threshold_bps;
        report.requests = self.reader.requests() - before;
        if report.diverged {
            tracing::warn!(max_bps = report.max_divergence_bps, "cache diverged from chain");
        }
        Ok(report)
    }
}

/// The largest divergence between a cached position and the chain's, bps, and which field.
pub fn divergence(cached: &Position, chain: &Position) -> (u64, String) {
    let mut worst = (0u64, String::new());
    let mut consider = |bps: u64, field: String| {
        if bps > worst.0 {
            worst = (bps, field);
        }
    };
    let collateral = |p: &Position, a: Address| {
        p.collateral
            .iter()
            .filter(|l| l.asset == a)
            .map(|l| l.amount)
            .fold(U256::ZERO, U256::saturating_add)
    };
    let debt = |p: &Position, a: Address| {
        p.debt
            .iter()
            .filter(|l| l.asset == a)
            .map(|l| l.amount)
            .fold(U256::ZERO, U256::saturating_add)
    };
    let assets = |legs: &mut dyn Iterator<Item = Address>| {
        let mut v: Vec<Address> = legs.collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    for a in assets(&mut cached.collateral.iter().chain(&chain.collateral).map(|l| l.asset)) {
        consider(
            relative_bps(collateral(cached, a), collateral(chain, a)),
            format!("collateral {a}"),
        );
    }
    for a in assets(&mut cached.debt.iter().chain(&chain.debt).map(|l| l.asset)) {
        consider(relative_bps(debt(cached, a), debt(chain, a)), format!("debt {a}"));
    }
    if let (Some(c), Some(o)) = (cached.health_factor, chain.health_factor) {
        if c != U256::MAX && o != U256::MAX {
            consider(relative_bps(c, o), "health_factor".into());
        } else if c != o {
            consider(FULL_DIVERGENCE_BPS, "health_factor".into());
        }
    }
    worst
}

/// `ceil(|cached − chain| · 10,000 / chain)`, bps; [`FULL_DIVERGENCE_BPS`] when exactly one
/// side is zero; saturating at `u64::MAX`.
pub fn relative_bps(cached: U256, chain: U256) -> u64 {
    if cached == chain {
        return 0;
    }
    if chain.is_zero() || cached.is_zero() {
        return FULL_DIVERGENCE_BPS;
    }
    let diff = cached.abs_diff(chain);
    let bps = diff.saturating_mul(U256::from(FULL_DIVERGENCE_BPS)).div_ceil(chain);
    bps.saturating_to::<u64>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_bps_rounds_up_and_handles_missing_legs() {
        let u = U256::from;
        assert_eq!(relative_bps(u(100u64), u(100u64)), 0);
        assert_eq!(relative_bps(u(1_010u64), u(1_000u64)), 100);
        assert_eq!(relative_bps(u(990u64), u(1_000u64)), 100);
        assert_eq!(relative_bps(u(1_000_001u64), u(1_000_000u64)), 1);
        assert_eq!(relative_bps(U256::ZERO, u(5u64)), FULL_DIVERGENCE_BPS);
        assert_eq!(relative_bps(u(5u64), U256::ZERO), FULL_DIVERGENCE_BPS);
        assert_eq!(relative_bps(U256::MAX, u(1u64)), u64::MAX);
    }

    #[test]
    fn divergence_names_the_worst_field() {
        let user = Address::repeat_byte(1);
        let (weth, usdc) = (Address::repeat_byte(2), Address::repeat_byte(3));
        let lt = rust_decimal::Decimal::new(8250, 4);
        let chain = Position::new("aave-v3", user)
            .with_collateral(weth, U256::from(1_000_000u64), lt)
            .with_debt(usdc, U256::from(500_000u64))
            .with_health_factor(U256::from(1_500_000u64));
        assert_eq!(divergence(&chain, &chain), (0, String::new()));
        let mut cached = chain.clone();
        cached.debt[0].amount = U256::from(525_000u64); // +5 %
        let (bps, field) = divergence(&cached, &chain);
        assert_eq!(bps, 500);
        assert_eq!(field, format!("debt {usdc}"));
        cached.debt.clear();
        assert_eq!(divergence(&cached, &chain).0, FULL_DIVERGENCE_BPS);
    }
}
