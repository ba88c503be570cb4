//! A decoded event and the log metadata that came with it.

use alloy_primitives::{Address, B256, LogData};

use crate::{
    AaveV3Event, BalancerV2Event, ChainlinkEvent, CompoundV2Event, CurveEvent, Erc20Event, Field,
    Protocol, UniswapV2Event, UniswapV3Event, UniswapV4Event,
};

/// A typed event from any protocol the decoder knows.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Event {
    /// A Uniswap V2 pair event.
    UniswapV2(UniswapV2Event),
    /// A Uniswap V3 pool event.
    UniswapV3(UniswapV3Event),
    /// A Uniswap V4 `PoolManager` event.
    UniswapV4(UniswapV4Event),
    /// A Balancer V2 Vault event.
    BalancerV2(BalancerV2Event),
    /// A Curve StableSwap event.
    Curve(CurveEvent),
    /// An Aave V3 Pool event.
    AaveV3(AaveV3Event),
    /// A Compound v2 cToken or Comptroller event.
    CompoundV2(CompoundV2Event),
    /// A Chainlink aggregator event.
    Chainlink(ChainlinkEvent),
    /// A plain ERC-20 event from an emitter not registered as a protocol contract.
    Erc20(Erc20Event),
}

macro_rules! dispatch {
    ($self:ident, $e:ident => $body:expr) => {
        match $self {
            Self::UniswapV2($e) => $body,
            Self::UniswapV3($e) => $body,
            Self::UniswapV4($e) => $body,
            Self::BalancerV2($e) => $body,
            Self::Curve($e) => $body,
            Self::AaveV3($e) => $body,
            Self::CompoundV2($e) => $body,
            Self::Chainlink($e) => $body,
            Self::Erc20($e) => $body,
        }
    };
}

impl Event {
    /// The protocol family, or `None` for a plain ERC-20 event.
    #[must_use]
    pub const fn protocol(&self) -> Option<Protocol> {
        Some(match self {
            Self::UniswapV2(_) => Protocol::UniswapV2,
            Self::UniswapV3(_) => Protocol::UniswapV3,
            Self::UniswapV4(_) => Protocol::UniswapV4,
            Self::BalancerV2(_) => Protocol::BalancerV2,
            Self::Curve(_) => Protocol::Curve,
            Self::AaveV3(_) => Protocol::AaveV3,
            Self::CompoundV2(_) => Protocol::CompoundV2,
            Self::Chainlink(_) => Protocol::Chainlink,
            Self::Erc20(_) => return None,
        })
    }

    /// The Solidity event name, e.g. `"Swap"`.
    #[must_use]
    pub fn name(&self) -> &'static str {
        dispatch!(self, e => e.name())
    }

    /// The canonical Solidity signature, e.g. `"Sync(uint112,uint112)"`.
    #[must_use]
    pub fn signature(&self) -> &'static str {
        dispatch!(self, e => e.signature())
    }

    /// The event's topic0.
    #[must_use]
    pub fn topic0(&self) -> B256 {
        dispatch!(self, e => e.topic0())
    }

    /// The event's parameters by their Solidity names, in ABI order.
    #[must_use]
    pub fn fields(&self) -> Vec<Field> {
        dispatch!(self, e => e.fields())
    }

    /// ABI-encodes the event back into the topics and data its contract emits.
    #[must_use]
    pub fn encode_log_data(&self) -> LogData {
        dispatch!(self, e => e.encode_log_data())
    }
}

/// Where a log came from: the emitter and its position in the chain. Fields a source did not
/// provide (a bare [`alloy_primitives::Log`], a pending log) are `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct LogMeta {
    /// The contract that emitted the log.
    pub address: Address,
    /// The block the log is in.
    pub block_number: Option<u64>,
    /// The hash of that block.
    pub block_hash: Option<B256>,
    /// The transaction that emitted the log.
    pub transaction_hash: Option<B256>,
    /// The log's index within its block.
    pub log_index: Option<u64>,
    /// `true` when the log was removed from the canonical chain by a reorganisation: its
    /// effects must be undone, not applied.
    pub removed: bool,
}

impl From<&alloy_rpc_types_eth::Log> for LogMeta {
    fn from(log: &alloy_rpc_types_eth::Log) -> Self {
        Self {
            address: log.inner.address,
            block_number: log.block_number,
            block_hash: log.block_hash,
            transaction_hash: log.transaction_hash,
            log_index: log.log_index,
            removed: log.removed,
        }
    }
}

/// A decoded log: its metadata and its typed event.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DecodedLog {
    /// Where the log came from.
    pub meta: LogMeta,
    /// What it says.
    pub event: Event,
}

impl DecodedLog {
    /// The emitting contract.
    #[must_use]
    pub const fn address(&self) -> Address {
        self.meta.address
    }

    /// The protocol family, or `None` for a plain ERC-20 event.
    #[must_use]
    pub const fn protocol(&self) -> Option<Protocol> {
        self.event.protocol()
    }

    /// Re-encodes the log as the chain carries it (address, topics, data).
    #[must_use]
    pub fn to_log(&self) -> alloy_primitives::Log {
        alloy_primitives::Log { address: self.meta.address, data: self.event.encode_log_data() }
    }
}
