//! [`CliError`]: what stops a command, printed as one `mev-bot: error: …` line (exit code 2).
//!
//! Messages never carry a secret: Redis and RPC URLs are passed through [`redact`] before they
//! go into a message.

use alloy_primitives::{Address, B256};
use mev_bot::BotError;
use mev_chain::{ChainError, redact};
use mev_health_calc::HealthError;
use mev_position_cache::StoreError;
use mev_rebuild::RebuildError;
use mev_reserve_cache::{QuoteError, ReserveError};
use mev_swap_math::SwapError;

/// The result type of the command line.
pub(crate) type Result<T, E = CliError> = std::result::Result<T, E>;

/// What stopped a `mev-bot` command: the command line's own errors, or the library's.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CliError {
    /// A command-line value is invalid.
    #[error("invalid {what}: {reason}")]
    InvalidArgument {
        /// Which argument.
        what: &'static str,
        /// Why it was rejected.
        reason: String,
    },
    /// A command-line argument the chosen protocol needs is absent.
    #[error("{protocol} needs {what}")]
    MissingArgument {
        /// Which argument.
        what: &'static str,
        /// The protocol that needs it.
        protocol: &'static str,
    },
    /// The command does not support the chosen protocol.
    #[error("`{command}` does not support --protocol {protocol}; supported: {supported}")]
    UnsupportedProtocol {
        /// The subcommand.
        command: &'static str,
        /// The protocol asked for.
        protocol: &'static str,
        /// The protocols the command supports, comma-separated.
        supported: &'static str,
    },
    /// The input is not JSON.
    #[error("input is not JSON: {source}")]
    NotJson {
        /// The parser's complaint, with line and column.
        #[source]
        source: serde_json::Error,
    },
    /// The input is JSON but an item is not an `eth_getLogs` log object.
    #[error("item {index} of the input is not a log object: {source}")]
    NotALog {
        /// Zero-based position of the item in the input.
        index: usize,
        /// What was wrong with it.
        #[source]
        source: serde_json::Error,
    },
    /// Reading input or writing output failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being read or written.
        context: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// mev-health-calc rejected a position read from chain.
    #[error("health computation for {user} failed: {source}")]
    Health {
        /// The user whose position was evaluated.
        user: Address,
        /// The calculator's error (boxed: it is large).
        #[source]
        source: Box<HealthError>,
    },
    /// Connecting to or using the position store failed. The store's message is redacted too:
    /// a Redis client error may quote the URL it failed on.
    #[error("{context}: {}", redact(&.source.to_string()))]
    Store {
        /// What was being done.
        context: String,
        /// The store's error (boxed: it is large).
        #[source]
        source: Box<StoreError>,
    },
    /// Reading a market or rebuilding the cache failed.
    #[error("{context}: {source}")]
    Rebuild {
        /// What was being done.
        context: String,
        /// mev-rebuild's error (boxed: it is large).
        #[source]
        source: Box<RebuildError>,
    },
    /// A chain read failed.
    #[error("{context}: {source}")]
    Chain {
        /// What was being read.
        context: String,
        /// The classified chain error (already redacted).
        #[source]
        source: ChainError,
    },
    /// Reading a pool's state failed (the node, the Multicall3 request, or an answer that is
    /// not what a pool of the kind asked for returns).
    #[error("{context}: {source}")]
    Pool {
        /// What was being read.
        context: String,
        /// The reserve cache's error (its chain errors are already redacted).
        #[source]
        source: Box<ReserveError>,
    },
    /// `--kind` was not given and the address reads neither as a Uniswap V3 pool nor as a
    /// Uniswap V2 pair.
    #[error(
        "pool {pool} at block {block} is neither a Uniswap V3 pool nor a Uniswap V2 pair \
         (read as uniswap-v3: {v3}; read as uniswap-v2: {v2})"
    )]
    UnknownPoolKind {
        /// The address given as `--pool`.
        pool: Address,
        /// The block read at.
        block: u64,
        /// Why the V3 read failed.
        v3: String,
        /// Why the V2 read failed.
        v2: String,
    },
    /// `--kind balancer-v2-…` was given but the address does not answer `getPoolId()` and
    /// `getVault()` as a Balancer V2 pool does.
    #[error("pool {pool} at block {block} is not a Balancer V2 pool: {reason}")]
    NotBalancerPool {
        /// The address given as `--pool`.
        pool: Address,
        /// The block read at.
        block: u64,
        /// What it answered.
        reason: String,
    },
    /// The `PoolManager` emitted no `Initialize` event for the pool id up to the block: no such
    /// Uniswap V4 pool (yet).
    #[error(
        "--pool-id {pool_id} is not a pool of PoolManager {pool_manager} at block {block}: no \
         Initialize event for it up to that block"
    )]
    PoolNotInitialized {
        /// The `--pool-id`.
        pool_id: B256,
        /// The `--pool-manager`.
        pool_manager: Address,
        /// The block read up to.
        block: u64,
    },
    /// A Uniswap V4 pool's `Initialize` event does not decode, or its key does not hash to
    /// the pool id.
    #[error(
        "the Initialize event of --pool-id {pool_id} from PoolManager {pool_manager}: {reason}"
    )]
    BadInitializeEvent {
        /// The `--pool-id`.
        pool_id: B256,
        /// The `--pool-manager`.
        pool_manager: Address,
        /// What is wrong with it.
        reason: String,
    },
    /// A Uniswap V4 pool whose hooks may change a swap's amounts: not quotable locally.
    #[error("cannot quote Uniswap V4 pool {pool_id}: {source}")]
    HooksChangeSwap {
        /// The pool id.
        pool_id: B256,
        /// The swap math's refusal ([`SwapError::HooksChangeSwap`]), naming the hooks and
        /// their permission bits.
        #[source]
        source: SwapError,
    },
    /// A pool of three or more tokens (Balancer) quoted without `--token-out`.
    #[error(
        "cannot quote: pool {pool} trades {tokens} tokens; name the token out with --token-out"
    )]
    TokenOutNeeded {
        /// The pool.
        pool: Address,
        /// How many tokens it trades.
        tokens: usize,
    },
    /// The pool cannot give the quote asked for: a token that is not the pool's, or a swap the
    /// pool would revert on.
    #[error("cannot quote: {source}")]
    Quote {
        /// The reserve cache's reason.
        #[source]
        source: QuoteError,
    },
    /// A Uniswap V3 or V4 quote needs initialized ticks beyond those loaded.
    #[error(
        "cannot quote through pool {pool} from the ticks loaded with --tick-words {tick_words}: \
         {source}; raise --tick-words"
    )]
    TicksNotLoaded {
        /// The pool.
        pool: Address,
        /// Bitmap words loaded either side of the price.
        tick_words: u16,
        /// The swap math's refusal, with the tick it needs.
        #[source]
        source: SwapError,
    },
    /// The pipeline, a recording or the configuration failed.
    #[error(transparent)]
    Bot(#[from] BotError),
}

impl CliError {
    /// Maps an I/O error to [`CliError::Io`] with `context`.
    pub(crate) fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> Self {
        let context = context.into();
        move |source| Self::Io { context, source }
    }

    /// Maps a chain error to [`CliError::Chain`] with `context`.
    pub(crate) fn chain(context: impl Into<String>) -> impl FnOnce(ChainError) -> Self {
        let context = context.into();
        move |source| Self::Chain { context, source }
    }

    /// Maps a rebuild error to [`CliError::Rebuild`] with `context`.
    pub(crate) fn rebuild(context: impl Into<String>) -> impl FnOnce(RebuildError) -> Self {
        let context = context.into();
        move |source| Self::Rebuild { context, source: Box::new(source) }
    }
}
