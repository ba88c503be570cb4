//! Dispatch from topic0 to the typed event.

use alloy_primitives::{Address, B256, LogData, map::B256Map};
use alloy_sol_types::{SolEvent, TopicList, abi::AbiDecoderConfig};

use crate::{
    DecodeError, DecodedLog, Event, LogMeta, Protocol, Registry, Result,
    events::{
        aave_v3, balancer_v2, chainlink, compound_v2, curve, erc20, uniswap_v2, uniswap_v3,
        uniswap_v4,
    },
};

/// Turns raw logs into [`DecodedLog`]s.
///
/// Dispatch is one hash lookup on topic0 followed by the ABI decoding of that one event, with
/// validation: a value out of its type's range (a `uint112` with high bits set, a dirty `bool`)
/// is [`DecodeError::MalformedData`], never silently truncated. Decoding never panics.
///
/// Topic0 collisions are settled in this order: the protocol the emitter is registered as, then
/// the number of topics (a cToken `Mint` has one, a Uniswap V2 `Mint` two). A `Transfer` decodes
/// as a cToken transfer only from an emitter registered as [`Protocol::CompoundV2`]; otherwise
/// it is a plain ERC-20 transfer.
///
/// ```
/// use alloy_primitives::{Address, Log, U256, aliases::U112};
/// use alloy_sol_types::SolEvent;
/// use mev_event_decoder::{Decoder, Event, UniswapV2Event, events::uniswap_v2::Sync};
///
/// let sync = Sync { reserve0: U112::from(1_000u64), reserve1: U112::from(2_000u64) };
/// let log = Log { address: Address::repeat_byte(0x11), data: sync.encode_log_data() };
///
/// let decoded = Decoder::new().decode(&log)?;
/// assert_eq!(decoded.event, Event::UniswapV2(UniswapV2Event::Sync(sync)));
/// # Ok::<(), mev_event_decoder::DecodeError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Decoder {
    table: B256Map<Vec<Candidate>>,
    registry: Registry,
    watched_only: bool,
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new()
    }
}

impl Decoder {
    /// A decoder for every event it knows, from any emitter.
    #[must_use]
    pub fn new() -> Self {
        let mut table: B256Map<Vec<Candidate>> = B256Map::default();
        for candidate in CANDIDATES {
            table.entry(candidate.topic0).or_default().push(*candidate);
        }
        Self { table, registry: Registry::new(), watched_only: false }
    }

    /// A decoder that decodes only the emitters in `registry` (others give
    /// [`DecodeError::UnwatchedEmitter`]) and uses their protocols to settle collisions.
    /// Call [`Decoder::watched_only`] with `false` to decode other emitters too.
    #[must_use]
    pub fn with_registry(registry: Registry) -> Self {
        Self { registry, watched_only: true, ..Self::new() }
    }

    /// Whether logs from emitters not in the registry are rejected (`true`) or decoded by topic
    /// alone (`false`).
    #[must_use]
    pub const fn watched_only(mut self, watched_only: bool) -> Self {
        self.watched_only = watched_only;
        self
    }

    /// The registry in use.
    #[must_use]
    pub const fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The registry in use, to register or unregister emitters.
    pub const fn registry_mut(&mut self) -> &mut Registry {
        &mut self.registry
    }

    /// Decodes one log, keeping its metadata.
    pub fn decode<L: RawLog + ?Sized>(&self, log: &L) -> Result<DecodedLog> {
        let meta = log.meta();
        let event = self.decode_event(meta.address, log.log_data())?;
        Ok(DecodedLog { meta, event })
    }

    /// Decodes many logs, in order, one result each.
    pub fn decode_all<'a, L, I>(&'a self, logs: I) -> impl Iterator<Item = Result<DecodedLog>> + 'a
    where
        L: RawLog + 'a,
        I: IntoIterator<Item = &'a L>,
        I::IntoIter: 'a,
    {
        logs.into_iter().map(move |log| self.decode(log))
    }

    /// Decodes the topics and data of a log emitted by `address`.
    pub fn decode_event(&self, address: Address, data: &LogData) -> Result<Event> {
        let topics = data.topics();
        let Some(topic0) = topics.first() else {
            return Err(DecodeError::NoTopics { address });
        };
        let registered = self.registry.protocol(&address);
        if self.watched_only && registered.is_none() {
            return Err(DecodeError::UnwatchedEmitter { address });
        }
        let Some(candidates) = self.table.get(topic0) else {
            return Err(DecodeError::UnknownTopic { address, topic0: *topic0 });
        };
        let candidate = select(candidates, registered, topics.len(), address)?;
        (candidate.decode)(data).map_err(|source| DecodeError::MalformedData {
            address,
            signature: candidate.signature,
            source: Box::new(source),
        })
    }

    /// Whether any known event has this topic0.
    #[must_use]
    pub fn knows_topic(&self, topic0: &B256) -> bool {
        self.table.contains_key(topic0)
    }
}

/// A log the decoder can read: a bare [`alloy_primitives::Log`] or an RPC
/// [`alloy_rpc_types_eth::Log`] with its block and transaction metadata.
pub trait RawLog {
    /// The log's emitter and position in the chain.
    fn meta(&self) -> LogMeta;
    /// The log's topics and data.
    fn log_data(&self) -> &LogData;
}

impl RawLog for alloy_primitives::Log {
    fn meta(&self) -> LogMeta {
        LogMeta { address: self.address, ..LogMeta::default() }
    }

    fn log_data(&self) -> &LogData {
        &self.data
    }
}

impl RawLog for alloy_rpc_types_eth::Log {
    fn meta(&self) -> LogMeta {
        LogMeta::from(self)
    }

    fn log_data(&self) -> &LogData {
        &self.inner.data
    }
}

/// One event a topic0 may stand for.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    topic0: B256,
    signature: &'static str,
    /// `None` for the plain ERC-20 events.
    protocol: Option<Protocol>,
    /// Topic count, topic0 included.
    topics: usize,
    /// Only chosen when the emitter is registered as `protocol`.
    registered_only: bool,
    decode: fn(&LogData) -> Result<Event, alloy_sol_types::Error>,
}

/// Validating decoder configuration: out-of-range values are errors, not truncated.
const CONFIG: AbiDecoderConfig = AbiDecoderConfig::new().validate(true);

fn decode_as<E: SolEvent + Into<Event>>(data: &LogData) -> Result<Event, alloy_sol_types::Error> {
    E::decode_log_data_with_config(data, CONFIG).map(Into::into)
}

const fn candidate<E: SolEvent + Into<Event>>(protocol: Option<Protocol>) -> Candidate {
    Candidate {
        topic0: E::SIGNATURE_HASH,
        signature: E::SIGNATURE,
        protocol,
        topics: <E::TopicList as TopicList>::COUNT,
        registered_only: false,
        decode: decode_as::<E>,
    }
}

const fn registered<E: SolEvent + Into<Event>>(protocol: Protocol) -> Candidate {
    Candidate { registered_only: true, ..candidate::<E>(Some(protocol)) }
}

/// Chooses among the events sharing a topic0.
fn select(
    candidates: &[Candidate],
    registered: Option<Protocol>,
    topics: usize,
    address: Address,
) -> Result<&Candidate> {
    let wrong_count = |c: &Candidate| DecodeError::WrongTopicCount {
        address,
        signature: c.signature,
        expected: c.topics,
        actual: topics,
    };
    if let Some(protocol) = registered
        && let Some(c) = candidates.iter().find(|c| c.protocol == Some(protocol))
    {
        return if c.topics == topics { Ok(c) } else { Err(wrong_count(c)) };
    }
    let mut open = candidates.iter().filter(|c| !c.registered_only);
    let first = open.clone().next();
    match open.find(|c| c.topics == topics) {
        Some(c) => Ok(c),
        None => match first {
            Some(c) => Err(wrong_count(c)),
            // Only registered-only events have this topic0 and the emitter is not registered.
            None => Err(DecodeError::UnknownTopic { address, topic0: candidates[0].topic0 }),
        },
    }
}

use Protocol::{AaveV3, BalancerV2, Chainlink, CompoundV2, Curve, UniswapV2, UniswapV3, UniswapV4};

/// Every event the decoder knows.
const CANDIDATES: &[Candidate] = &[
    candidate::<uniswap_v2::Swap>(Some(UniswapV2)),
    candidate::<uniswap_v2::Mint>(Some(UniswapV2)),
    candidate::<uniswap_v2::Burn>(Some(UniswapV2)),
    candidate::<uniswap_v2::Sync>(Some(UniswapV2)),
    candidate::<uniswap_v3::Swap>(Some(UniswapV3)),
    candidate::<uniswap_v3::Mint>(Some(UniswapV3)),
    candidate::<uniswap_v3::Burn>(Some(UniswapV3)),
    candidate::<uniswap_v3::Collect>(Some(UniswapV3)),
    candidate::<uniswap_v3::Initialize>(Some(UniswapV3)),
    candidate::<uniswap_v4::Swap>(Some(UniswapV4)),
    candidate::<uniswap_v4::ModifyLiquidity>(Some(UniswapV4)),
    candidate::<uniswap_v4::Initialize>(Some(UniswapV4)),
    candidate::<uniswap_v4::Donate>(Some(UniswapV4)),
    candidate::<uniswap_v4::ProtocolFeeUpdated>(Some(UniswapV4)),
    candidate::<balancer_v2::Swap>(Some(BalancerV2)),
    candidate::<balancer_v2::PoolBalanceChanged>(Some(BalancerV2)),
    candidate::<curve::TokenExchange>(Some(Curve)),
    candidate::<curve::TokenExchangeUnderlying>(Some(Curve)),
    candidate::<curve::two::AddLiquidity>(Some(Curve)),
    candidate::<curve::three::AddLiquidity>(Some(Curve)),
    candidate::<curve::ng::AddLiquidity>(Some(Curve)),
    candidate::<curve::two::RemoveLiquidity>(Some(Curve)),
    candidate::<curve::three::RemoveLiquidity>(Some(Curve)),
    candidate::<curve::ng::RemoveLiquidity>(Some(Curve)),
    candidate::<curve::two::RemoveLiquidityImbalance>(Some(Curve)),
    candidate::<curve::three::RemoveLiquidityImbalance>(Some(Curve)),
    candidate::<curve::ng::RemoveLiquidityImbalance>(Some(Curve)),
    candidate::<curve::RemoveLiquidityOne>(Some(Curve)),
    candidate::<curve::factory::RemoveLiquidityOne>(Some(Curve)),
    candidate::<curve::ng::RemoveLiquidityOne>(Some(Curve)),
    candidate::<aave_v3::Supply>(Some(AaveV3)),
    candidate::<aave_v3::Withdraw>(Some(AaveV3)),
    candidate::<aave_v3::Borrow>(Some(AaveV3)),
    candidate::<aave_v3::Repay>(Some(AaveV3)),
    candidate::<aave_v3::LiquidationCall>(Some(AaveV3)),
    candidate::<aave_v3::ReserveUsedAsCollateralEnabled>(Some(AaveV3)),
    candidate::<aave_v3::ReserveUsedAsCollateralDisabled>(Some(AaveV3)),
    candidate::<aave_v3::ReserveDataUpdated>(Some(AaveV3)),
    candidate::<aave_v3::FlashLoan>(Some(AaveV3)),
    candidate::<aave_v3::UserEModeSet>(Some(AaveV3)),
    candidate::<aave_v3::AssetSourceUpdated>(Some(AaveV3)),
    candidate::<compound_v2::Mint>(Some(CompoundV2)),
    candidate::<compound_v2::Redeem>(Some(CompoundV2)),
    candidate::<compound_v2::Borrow>(Some(CompoundV2)),
    candidate::<compound_v2::RepayBorrow>(Some(CompoundV2)),
    candidate::<compound_v2::LiquidateBorrow>(Some(CompoundV2)),
    candidate::<compound_v2::AccrueInterest>(Some(CompoundV2)),
    candidate::<compound_v2::legacy::AccrueInterest>(Some(CompoundV2)),
    registered::<compound_v2::Transfer>(CompoundV2),
    candidate::<compound_v2::MarketEntered>(Some(CompoundV2)),
    candidate::<compound_v2::MarketExited>(Some(CompoundV2)),
    candidate::<chainlink::AnswerUpdated>(Some(Chainlink)),
    candidate::<erc20::Transfer>(None),
];

#[cfg(test)]
mod tests {
    use alloy_primitives::{Bytes, U256, address, b256};

    use super::*;
    use crate::{CompoundV2Event, Erc20Event, UniswapV2Event};

    const EMITTER: Address = address!("0x00000000000000000000000000000000000000e1");

    #[test]
    fn candidates_cover_every_topic_list() {
        let decoder = Decoder::new();
        for p in Protocol::ALL {
            for t in p.topics() {
                assert!(decoder.knows_topic(t), "{p}: {t}");
            }
        }
        // Two collisions: Mint (UniV2/cToken) and Transfer (ERC-20/cToken).
        let shared = decoder.table.values().filter(|c| c.len() > 1).count();
        assert_eq!(shared, 2);
    }

    #[test]
    fn mint_collision_by_topic_count_and_registry() {
        let v2 = uniswap_v2::Mint {
            sender: address!("0x00000000000000000000000000000000000000aa"),
            amount0: U256::from(1),
            amount1: U256::from(2),
        };
        let c = compound_v2::Mint {
            minter: address!("0x00000000000000000000000000000000000000bb"),
            mintAmount: U256::from(3),
            mintTokens: U256::from(4),
        };
        assert_eq!(v2.encode_log_data().topics()[0], c.encode_log_data().topics()[0]);
        let d = Decoder::new();
        assert_eq!(
            d.decode_event(EMITTER, &v2.encode_log_data()).unwrap(),
            Event::UniswapV2(UniswapV2Event::Mint(v2.clone()))
        );
        assert_eq!(
            d.decode_event(EMITTER, &c.encode_log_data()).unwrap(),
            Event::CompoundV2(CompoundV2Event::Mint(c))
        );
        // Registered as a cToken, a two-topic Mint is wrong, not silently a Uniswap event.
        let d = Decoder::with_registry(Registry::new().with(EMITTER, CompoundV2));
        let err = d.decode_event(EMITTER, &v2.encode_log_data()).unwrap_err();
        assert!(
            matches!(err, DecodeError::WrongTopicCount { expected: 1, actual: 2, .. }),
            "{err}"
        );
    }

    #[test]
    fn transfer_needs_a_registered_ctoken() {
        let t = erc20::Transfer {
            from: address!("0x00000000000000000000000000000000000000aa"),
            to: address!("0x00000000000000000000000000000000000000bb"),
            value: U256::from(5),
        };
        let data = t.encode_log_data();
        assert!(matches!(
            Decoder::new().decode_event(EMITTER, &data).unwrap(),
            Event::Erc20(Erc20Event::Transfer(_))
        ));
        let d = Decoder::with_registry(Registry::new().with(EMITTER, CompoundV2));
        match d.decode_event(EMITTER, &data).unwrap() {
            Event::CompoundV2(CompoundV2Event::Transfer(x)) => assert_eq!(x.amount, t.value),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn unwatched_unknown_and_anonymous() {
        let d = Decoder::with_registry(Registry::new().with(EMITTER, UniswapV2));
        let other = address!("0x00000000000000000000000000000000000000e2");
        let sync = uniswap_v2::Sync { reserve0: Default::default(), reserve1: Default::default() };
        let err = d.decode_event(other, &sync.encode_log_data()).unwrap_err();
        assert!(matches!(err, DecodeError::UnwatchedEmitter { address } if address == other));
        assert!(d.clone().watched_only(false).decode_event(other, &sync.encode_log_data()).is_ok());

        let unknown = LogData::new_unchecked(
            vec![b256!("0x0000000000000000000000000000000000000000000000000000000000000001")],
            Bytes::new(),
        );
        assert!(matches!(
            d.decode_event(EMITTER, &unknown).unwrap_err(),
            DecodeError::UnknownTopic { .. }
        ));
        let anonymous = LogData::new_unchecked(vec![], Bytes::new());
        let err = d.decode_event(EMITTER, &anonymous).unwrap_err();
        assert!(matches!(err, DecodeError::NoTopics { .. }) && err.is_unknown());
    }

    #[test]
    fn out_of_range_value_is_malformed_not_truncated() {
        // Sync(uint112, uint112) with a reserve0 word that has bit 112 set.
        let mut data = vec![0u8; 64];
        data[17] = 1;
        let log = LogData::new_unchecked(vec![uniswap_v2::Sync::SIGNATURE_HASH], data.into());
        let err = Decoder::new().decode_event(EMITTER, &log).unwrap_err();
        assert!(matches!(err, DecodeError::MalformedData { .. }), "{err}");
        assert!(!err.is_unknown());
        assert_eq!(err.address(), EMITTER);
    }
}
