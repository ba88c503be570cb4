//! Which contracts a bot watches and what protocol each one speaks.

use alloy_primitives::{Address, B256, map::AddressMap};
use alloy_rpc_types_eth::Filter;

use crate::Protocol;

/// A map from emitter address to protocol family.
///
/// The decoder uses it to decode only the contracts a bot watches, and to settle topic0
/// collisions (a cToken `Mint` vs a Uniswap V2 `Mint`, a cToken `Transfer` vs an ERC-20
/// `Transfer`). [`Registry::filter`] builds the matching `eth_getLogs` filter.
///
/// ```
/// use alloy_primitives::address;
/// use mev_event_decoder::{Protocol, Registry};
///
/// let registry = Registry::new()
///     .with(address!("0x88e6A0c2dDD26FEEb64F039a2c41296FcB3f5640"), Protocol::UniswapV3)
///     .with(address!("0x8F44Fd754285aa6A2b8B9B97739B79746e0475a7"), Protocol::AaveV3);
/// assert_eq!(registry.len(), 2);
/// let filter = registry.filter().from_block(19_000_000u64);
/// assert!(filter.has_topics());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Registry {
    emitters: AddressMap<Protocol>,
}

impl Registry {
    /// An empty registry.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers `address` as a `protocol` contract and returns the registry (builder style).
    #[must_use]
    pub fn with(mut self, address: Address, protocol: Protocol) -> Self {
        self.insert(address, protocol);
        self
    }

    /// Registers `address` as a `protocol` contract; returns the protocol it had before, if any.
    pub fn insert(&mut self, address: Address, protocol: Protocol) -> Option<Protocol> {
        self.emitters.insert(address, protocol)
    }

    /// Unregisters `address`; returns its protocol, if it was registered.
    pub fn remove(&mut self, address: &Address) -> Option<Protocol> {
        self.emitters.remove(address)
    }

    /// The protocol `address` is registered as.
    #[must_use]
    pub fn protocol(&self, address: &Address) -> Option<Protocol> {
        self.emitters.get(address).copied()
    }

    /// Number of registered emitters.
    #[must_use]
    pub fn len(&self) -> usize {
        self.emitters.len()
    }

    /// `true` when nothing is registered.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.emitters.is_empty()
    }

    /// Every registered emitter with its protocol, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (Address, Protocol)> + '_ {
        self.emitters.iter().map(|(a, p)| (*a, *p))
    }

    /// The registered emitters, sorted.
    #[must_use]
    pub fn addresses(&self) -> Vec<Address> {
        let mut out: Vec<Address> = self.emitters.keys().copied().collect();
        out.sort_unstable();
        out
    }

    /// The topic0 of every event of every registered protocol, sorted and deduplicated.
    #[must_use]
    pub fn topics(&self) -> Vec<B256> {
        let mut protocols: Vec<Protocol> = self.emitters.values().copied().collect();
        protocols.sort_unstable();
        protocols.dedup();
        let mut out: Vec<B256> = protocols.iter().flat_map(|p| p.topics()).copied().collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// An `eth_getLogs` filter matching the registered emitters and their protocols' events.
    /// Set the block range on the result.
    #[must_use]
    pub fn filter(&self) -> Filter {
        Filter::new().address(self.addresses()).event_signature(self.topics())
    }
}

impl FromIterator<(Address, Protocol)> for Registry {
    fn from_iter<I: IntoIterator<Item = (Address, Protocol)>>(iter: I) -> Self {
        Self { emitters: iter.into_iter().collect() }
    }
}

impl Extend<(Address, Protocol)> for Registry {
    fn extend<I: IntoIterator<Item = (Address, Protocol)>>(&mut self, iter: I) {
        self.emitters.extend(iter);
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::address;

    use super::*;
    use crate::{CompoundV2Event, UniswapV2Event};

    #[test]
    fn filter_covers_registered_protocols_only() {
        let pair = address!("0x0000000000000000000000000000000000000001");
        let ctoken = address!("0x0000000000000000000000000000000000000002");
        let registry =
            Registry::new().with(pair, Protocol::UniswapV2).with(ctoken, Protocol::CompoundV2);
        let topics = registry.topics();
        for t in UniswapV2Event::TOPICS.iter().chain(CompoundV2Event::TOPICS) {
            assert!(topics.contains(t));
        }
        // The shared Mint topic0 appears once.
        assert_eq!(topics.len(), UniswapV2Event::TOPICS.len() + CompoundV2Event::TOPICS.len() - 1);
        assert_eq!(registry.addresses(), vec![pair, ctoken]);
        let filter = registry.filter();
        assert!(filter.address.contains(&pair));
        assert!(filter.address.contains(&ctoken));
    }

    #[test]
    fn insert_replaces_and_remove_forgets() {
        let a = address!("0x0000000000000000000000000000000000000001");
        let mut r = Registry::new();
        assert_eq!(r.insert(a, Protocol::Curve), None);
        assert_eq!(r.insert(a, Protocol::UniswapV2), Some(Protocol::Curve));
        assert_eq!(r.protocol(&a), Some(Protocol::UniswapV2));
        assert_eq!(r.remove(&a), Some(Protocol::UniswapV2));
        assert!(r.is_empty());
    }
}
