//! Stage 1, decode: the block's logs into typed events, routed to what they change — pools,
//! positions of a market, a market's prices.

use std::collections::{HashMap, HashSet};

use alloy_primitives::Address;
use alloy_rpc_types_eth::Log;
use mev_event_decoder::{DecodedLog, Decoder, Protocol, Registry, StateChange};
use mev_reserve_cache::{PoolKey, PoolKind};

use super::state::MarketId;
use crate::{LogFilter, Market};

/// Who listens to which emitter: built once from the watched pools and markets.
#[derive(Debug)]
pub(crate) struct Routes {
    pub(crate) decoder: Decoder,
    pub(crate) filter: LogFilter,
    /// Watched pools by address.
    pub(crate) pools: HashMap<Address, PoolKey>,
    /// The market whose positions an emitter's events change.
    position_emitters: HashMap<Address, MarketId>,
    /// The markets whose prices an aggregator's `AnswerUpdated` moves.
    feeds: HashMap<Address, Vec<MarketId>>,
    /// The markets whose prices a price source's events move (Aave: `AssetSourceUpdated`).
    price_sources: HashMap<Address, Vec<MarketId>>,
}

/// A block's logs, decoded and routed.
#[derive(Debug, Default)]
pub(crate) struct Routed {
    pub(crate) decoded: Vec<DecodedLog>,
    /// The logs that change a watched pool, in log order: index into `decoded`, and the pool.
    pub(crate) pool_events: Vec<(usize, Address)>,
    /// Users whose positions the logs touched, per market.
    pub(crate) touched: Vec<HashSet<Address>>,
    /// Whether a feed or price source of the market moved, per market.
    pub(crate) price_moved: Vec<bool>,
}

impl Routes {
    /// Routes for `pools` and `markets` (in [`MarketId`] order).
    pub(crate) fn new(pools: &[PoolKey], markets: &[Market]) -> Self {
        let mut registry = Registry::new();
        let mut addresses = Vec::new();
        let mut pool_map = HashMap::new();
        for key in pools {
            let (emitter, protocol) = match key.kind {
                PoolKind::UniswapV2 { .. } => (key.address, Protocol::UniswapV2),
                PoolKind::UniswapV3 { .. } => (key.address, Protocol::UniswapV3),
                PoolKind::BalancerV2 { vault, .. } => (vault, Protocol::BalancerV2),
                PoolKind::UniswapV4 { pool_manager, .. } => (pool_manager, Protocol::UniswapV4),
                _ => (key.address, Protocol::Curve),
            };
            registry.insert(emitter, protocol);
            addresses.push(emitter);
            pool_map.insert(key.address, key.clone());
        }
        let mut position_emitters = HashMap::new();
        let mut feeds: HashMap<Address, Vec<MarketId>> = HashMap::new();
        let mut price_sources: HashMap<Address, Vec<MarketId>> = HashMap::new();
        for (i, market) in markets.iter().enumerate() {
            let id = MarketId(i);
            let family = market.protocol.family();
            for e in market.protocol.emitters() {
                registry.insert(e, family);
                addresses.push(e);
                position_emitters.insert(e, id);
            }
            for s in market.protocol.price_sources() {
                registry.insert(s, family);
                addresses.push(s);
                price_sources.entry(s).or_default().push(id);
            }
            for &f in &market.feeds {
                registry.insert(f, Protocol::Chainlink);
                addresses.push(f);
                feeds.entry(f).or_default().push(id);
            }
        }
        addresses.sort_unstable();
        addresses.dedup();
        let topics = registry.topics();
        Self {
            decoder: Decoder::with_registry(registry),
            filter: LogFilter { addresses, topics },
            pools: pool_map,
            position_emitters,
            feeds,
            price_sources,
        }
    }

    /// Decodes `logs` (unknown ones are skipped) and routes what each changed.
    pub(crate) fn route(&self, logs: &[Log], markets: usize) -> Routed {
        let decoded: Vec<DecodedLog> =
            logs.iter().filter_map(|l| self.decoder.decode(l).ok()).collect();
        let mut routed = Routed {
            decoded,
            pool_events: Vec::new(),
            touched: vec![HashSet::new(); markets],
            price_moved: vec![false; markets],
        };
        for (i, log) in routed.decoded.iter().enumerate() {
            for change in log.state_changes() {
                match change {
                    StateChange::Pool { pool, .. } if self.pools.contains_key(&pool) => {
                        routed.pool_events.push((i, pool));
                    }
                    StateChange::Position { market, user, .. } => {
                        if let Some(&id) = self.position_emitters.get(&market) {
                            routed.touched[id.0].insert(user);
                        }
                    }
                    StateChange::Price { feed, .. } => {
                        for id in self.feeds.get(&feed).into_iter().flatten() {
                            routed.price_moved[id.0] = true;
                        }
                    }
                    StateChange::PriceSource { oracle, .. } => {
                        for id in self.price_sources.get(&oracle).into_iter().flatten() {
                            routed.price_moved[id.0] = true;
                        }
                    }
                    _ => {}
                }
            }
        }
        routed
    }
}
