//! `mev-bot quote`: a swap quote through one pool — a Uniswap V2 pair (or a fork's, with its
//! fee), a Uniswap V3 pool, a Uniswap V4 pool, or a Balancer V2 weighted or composable stable
//! pool — computed locally from the pool's state read at one block, printed as one JSON line.

use std::sync::Arc;

use alloy_primitives::{Address, B256, U256};
use alloy_rpc_types_eth::Filter;
use alloy_sol_types::{SolCall, SolEvent, sol};
use clap::{Args, ValueEnum};
use mev_chain::{ChainError, ChainReader, MULTICALL3_ADDRESS, aggregate3, call3};
use mev_event_decoder::events::uniswap_v4::Initialize;
use mev_reserve_cache::{
    DEFAULT_TICK_WORDS, PoolKey, PriceAfter, Quote, QuoteError, ReserveCache, ReserveError,
    RpcReserveSource, SwapSide, V4PoolKey,
};
use mev_swap_math::{SwapError, V2Fee};
use serde::{Serialize, Serializer};

use super::{
    args::RpcArgs,
    error::{CliError, Result},
    output::print_json,
    runtime,
};

sol! {
    /// What every Balancer V2 pool (`BasePool`) answers about itself.
    interface IBalancerV2Pool {
        function getPoolId() external view returns (bytes32);
        function getVault() external view returns (address);
    }
}

#[derive(Debug, Args)]
pub(super) struct QuoteArgs {
    #[command(flatten)]
    rpc: RpcArgs,
    /// The pool contract: a Uniswap V2 pair, a Uniswap V3 pool or a Balancer V2 pool. Not used
    /// with --kind uniswap-v4 (give --pool-id, --pool-manager and --state-view).
    #[arg(
        long,
        value_name = "ADDRESS",
        required_unless_present = "pool_id",
        conflicts_with = "pool_id"
    )]
    pool: Option<Address>,
    /// The pool's kind. When absent, --pool is read as uniswap-v3, then as uniswap-v2 (with
    /// --v2-fee, as uniswap-v2 only); Balancer V2 and Uniswap V4 pools need --kind.
    #[arg(long, value_enum)]
    kind: Option<KindArg>,
    /// Uniswap V4: the pool's PoolId (32 bytes, 0x hex). Its key (currencies, fee, tick
    /// spacing, hooks) is read from its Initialize event.
    #[arg(
        long,
        value_name = "ID",
        required_if_eq("kind", "uniswap-v4"),
        requires_all = ["pool_manager", "state_view"]
    )]
    pool_id: Option<B256>,
    /// Uniswap V4: the PoolManager singleton holding the pool.
    #[arg(long, value_name = "ADDRESS", requires = "pool_id")]
    pool_manager: Option<Address>,
    /// Uniswap V4: the StateView lens of that PoolManager.
    #[arg(long, value_name = "ADDRESS", requires = "pool_id")]
    state_view: Option<Address>,
    /// The token paid in, one of the pool's (for Uniswap V4 the currency: the zero address
    /// for native ether).
    #[arg(long, value_name = "ADDRESS")]
    token_in: Address,
    /// The token paid out. Needed for a Balancer pool of three or more tokens; otherwise
    /// optional, and checked to be the pool's other token.
    #[arg(long, value_name = "ADDRESS")]
    token_out: Option<Address>,
    /// Amount in the token's smallest unit (decimal, or 0x hex): paid in, or with --exact-out
    /// the amount of the token out to receive.
    #[arg(long, value_name = "N")]
    amount: U256,
    /// Quote the input needed for exactly --amount out (default: the output of exactly
    /// --amount in).
    #[arg(long)]
    exact_out: bool,
    /// Block number to read the pool at; the latest block when absent.
    #[arg(long, value_name = "N")]
    block: Option<u64>,
    /// Uniswap V3 and V4: tick-bitmap words loaded either side of the price's word (each spans
    /// 256 tick spacings); a quote that moves the price beyond them is refused. Default 2.
    #[arg(long, value_name = "W")]
    tick_words: Option<u16>,
    /// Uniswap V2 forks: the pair's fee as the share of the input kept, N/D (9975/10000 for
    /// PancakeSwap). Default 997/1000 (Uniswap, SushiSwap). Implies --kind uniswap-v2.
    #[arg(long, value_name = "N/D")]
    v2_fee: Option<String>,
}

pub(super) fn quote(args: QuoteArgs) -> Result<()> {
    let request = Request::from_args(&args)?;
    let reader = Arc::new(args.rpc.http_reader()?);
    let line = runtime()?.block_on(local_quote(reader, &request))?;
    print_json(&line)
}

/// What to quote, from the command line.
#[derive(Debug, Clone, Copy)]
struct Request {
    pool: Target,
    /// `None`: detect (Uniswap V3, then V2).
    kind: Option<KindArg>,
    /// A Uniswap V2 pair's fee.
    v2_fee: V2Fee,
    token_in: Address,
    /// `None`: the pool's other token (a two-token pool).
    token_out: Option<Address>,
    /// In `token_in`'s smallest unit for exact in, in the token out's for exact out.
    amount: U256,
    side: SwapSide,
    /// `None`: the latest block.
    block: Option<u64>,
    tick_words: u16,
}

/// Which pool: a contract, or a Uniswap V4 pool in its `PoolManager`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// `--pool`.
    Contract(Address),
    /// `--pool-id`, `--pool-manager`, `--state-view`.
    UniswapV4 { pool_id: B256, pool_manager: Address, state_view: Address },
}

impl Request {
    /// Checks the arguments that go together (clap checks `--pool` against `--pool-id`).
    fn from_args(args: &QuoteArgs) -> Result<Self> {
        let invalid = |what, reason: String| CliError::InvalidArgument { what, reason };
        let v2_fee = args.v2_fee.as_deref().map(parse_v2_fee).transpose()?;
        let kind = match (args.kind, v2_fee) {
            (None, Some(_)) => Some(KindArg::UniswapV2),
            (Some(kind), Some(_)) if kind != KindArg::UniswapV2 => {
                return Err(invalid("--v2-fee", kind.not_for()));
            }
            (kind, _) => kind,
        };
        if let Some(kind) = kind.filter(|k| args.tick_words.is_some() && !k.has_ticks()) {
            return Err(invalid("--tick-words", format!("{} (it has no ticks)", kind.not_for())));
        }
        let pool = if kind == Some(KindArg::UniswapV4) {
            let missing = |what| CliError::MissingArgument { what, protocol: "uniswap-v4" };
            if args.pool.is_some() {
                return Err(invalid("--pool", KindArg::UniswapV4.not_for() + " (give --pool-id)"));
            }
            Target::UniswapV4 {
                pool_id: args.pool_id.ok_or(missing("--pool-id"))?,
                pool_manager: args.pool_manager.ok_or(missing("--pool-manager"))?,
                state_view: args.state_view.ok_or(missing("--state-view"))?,
            }
        } else {
            for (given, what) in [
                (args.pool_id.is_some(), "--pool-id"),
                (args.pool_manager.is_some(), "--pool-manager"),
                (args.state_view.is_some(), "--state-view"),
            ] {
                if given {
                    let reason = "applies only to --kind uniswap-v4".to_owned();
                    return Err(invalid(what, reason));
                }
            }
            Target::Contract(args.pool.ok_or(CliError::MissingArgument {
                what: "--pool",
                protocol: kind.map_or("quote", KindArg::as_str),
            })?)
        };
        Ok(Self {
            pool,
            kind,
            v2_fee: v2_fee.unwrap_or(V2Fee::UNISWAP),
            token_in: args.token_in,
            token_out: args.token_out,
            amount: args.amount,
            side: if args.exact_out { SwapSide::ExactOut } else { SwapSide::ExactIn },
            block: args.block,
            tick_words: args.tick_words.unwrap_or(DEFAULT_TICK_WORDS),
        })
    }
}

/// `--v2-fee N/D`: two decimal `u32`s, `0 < D`, `N ≤ D` ([`V2Fee::new`]).
fn parse_v2_fee(s: &str) -> Result<V2Fee> {
    let invalid = |reason: String| CliError::InvalidArgument { what: "--v2-fee", reason };
    let (n, d) =
        s.split_once('/').ok_or_else(|| invalid(format!("{s:?} is not N/D (e.g. 9975/10000)")))?;
    let number = |part: &str| {
        part.parse::<u32>()
            .map_err(|e| invalid(format!("{s:?}: {part:?} is not a 32-bit unsigned integer: {e}")))
    };
    let (n, d) = (number(n)?, number(d)?);
    V2Fee::new(n, d).map_err(|e| invalid(format!("{s:?}: {e}")))
}

/// Reads the pool at the block into a [`ReserveCache`] over [`RpcReserveSource`] (Multicall3 at
/// its canonical address) and quotes on that state with [`ReserveCache::quote`] (or
/// [`ReserveCache::quote_to`] with `--token-out`): the swap math of `mev-swap-math`, equal to
/// the pool's; no quoter contract is called.
async fn local_quote<R: ChainReader + 'static>(
    reader: Arc<R>,
    request: &Request,
) -> Result<QuoteLine> {
    let block = match request.block {
        Some(b) => b,
        None => reader
            .block_number()
            .await
            .map_err(CliError::chain("reading the latest block number"))?,
    };
    let cache = ReserveCache::new(Arc::new(RpcReserveSource::new(Arc::clone(&reader))));
    let loaded = load(&cache, &*reader, request, block).await?;
    let (token_in, amount, side) = (request.token_in, request.amount, request.side);
    let quote = match request.token_out {
        Some(token_out) => cache.quote_to(&loaded.address, token_in, token_out, amount, side),
        None => cache.quote(&loaded.address, token_in, amount, side),
    }
    .map_err(|e| refused(e, &loaded, request.tick_words))?;
    Ok(QuoteLine::new(loaded.kind, loaded.pool_id, &quote))
}

/// A pool read into the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Loaded {
    kind: KindArg,
    /// The address the cache keys it by: `--pool`, or for V4 its id's first 20 bytes.
    address: Address,
    /// A Balancer V2 or Uniswap V4 pool's id.
    pool_id: Option<B256>,
}

/// Reads the pool at `block` into `cache` as `--kind`, or else `--pool` as V3 and then as V2 (a
/// V2 pair has no `slot0`, so its V3 read fails with a bad response; a node failure stops the
/// detection at once). A Balancer pool's Vault and id are read from the pool first, a V4
/// pool's key from its `Initialize` event (both through `reader`).
async fn load<R: ChainReader + ?Sized>(
    cache: &ReserveCache,
    reader: &R,
    request: &Request,
    block: u64,
) -> Result<Loaded> {
    let read = |kind: KindArg, key: PoolKey, pool_id: Option<B256>| async move {
        match cache.get(&key, block).await {
            Ok(_) => Ok(Loaded { kind, address: key.address, pool_id }),
            Err(e) => Err((kind, e)),
        }
    };
    let pool = match request.pool {
        Target::UniswapV4 { pool_id, pool_manager, state_view } => {
            let key = v4_key(reader, pool_id, pool_manager, block).await?;
            let key =
                PoolKey::uniswap_v4_with_ticks(pool_manager, state_view, key, request.tick_words);
            return read(KindArg::UniswapV4, key, Some(pool_id)).await.map_err(read_error);
        }
        Target::Contract(pool) => pool,
    };
    match request.kind {
        Some(kind @ (KindArg::BalancerV2Weighted | KindArg::BalancerV2ComposableStable)) => {
            let (vault, pool_id) = balancer_ids(reader, pool, block).await?;
            let key = if kind == KindArg::BalancerV2Weighted {
                PoolKey::balancer_v2_weighted(vault, pool_id)
            } else {
                PoolKey::balancer_v2_composable_stable(vault, pool_id)
            };
            read(kind, key, Some(pool_id)).await.map_err(read_error)
        }
        // `Request::from_args` gives every V4 request a V4 target.
        Some(KindArg::UniswapV4) => {
            Err(CliError::MissingArgument { what: "--pool-id", protocol: "uniswap-v4" })
        }
        Some(kind) => read(kind, request.uniswap_key(kind, pool), None).await.map_err(read_error),
        None => {
            let v3 =
                match read(KindArg::UniswapV3, request.uniswap_key(KindArg::UniswapV3, pool), None)
                    .await
                {
                    Ok(loaded) => return Ok(loaded),
                    Err(e) => not_this_kind(e)?,
                };
            let v2 =
                match read(KindArg::UniswapV2, request.uniswap_key(KindArg::UniswapV2, pool), None)
                    .await
                {
                    Ok(loaded) => return Ok(loaded),
                    Err(e) => not_this_kind(e)?,
                };
            Err(CliError::UnknownPoolKind { pool, block, v3, v2 })
        }
    }
}

impl Request {
    /// The cache key of `pool` read as a Uniswap V2 pair or V3 pool.
    const fn uniswap_key(&self, kind: KindArg, pool: Address) -> PoolKey {
        match kind {
            KindArg::UniswapV2 => PoolKey::uniswap_v2_fork(pool, self.v2_fee),
            _ => PoolKey::uniswap_v3_with_ticks(pool, self.tick_words),
        }
    }
}

/// A Balancer V2 pool's Vault and pool id: `getVault()` and `getPoolId()` on the pool, in one
/// Multicall3 `aggregate3` at `block`. The id must start with the pool's address, as every
/// Balancer V2 pool id does.
async fn balancer_ids<R: ChainReader + ?Sized>(
    reader: &R,
    pool: Address,
    block: u64,
) -> Result<(Address, B256)> {
    let not_a_pool = |reason: String| CliError::NotBalancerPool { pool, block, reason };
    let calls = vec![
        call3(pool, &IBalancerV2Pool::getPoolIdCall {}),
        call3(pool, &IBalancerV2Pool::getVaultCall {}),
    ];
    let results = aggregate3(reader, MULTICALL3_ADDRESS, calls, block).await.map_err(|e| {
        CliError::Chain {
            context: format!(
                "reading getPoolId() and getVault() of pool {pool}{}",
                multicall_hint(&e)
            ),
            source: e,
        }
    })?;
    let answer = |i: usize, signature: &str| {
        let r = &results[i];
        if r.success { Ok(&r.returnData) } else { Err(not_a_pool(format!("{signature} reverted"))) }
    };
    let id_data = answer(0, IBalancerV2Pool::getPoolIdCall::SIGNATURE)?;
    let pool_id = IBalancerV2Pool::getPoolIdCall::abi_decode_returns(id_data)
        .map_err(|e| not_a_pool(format!("getPoolId() answered {id_data}: {e}")))?;
    let vault_data = answer(1, IBalancerV2Pool::getVaultCall::SIGNATURE)?;
    let vault = IBalancerV2Pool::getVaultCall::abi_decode_returns(vault_data)
        .map_err(|e| not_a_pool(format!("getVault() answered {vault_data}: {e}")))?;
    if pool_id[..20] != pool[..] {
        return Err(not_a_pool(format!(
            "getPoolId() answered {pool_id}, which does not start with the pool's address"
        )));
    }
    Ok((vault, pool_id))
}

/// A Uniswap V4 pool's key, from its `Initialize` event: `eth_getLogs` on `pool_manager`, topic0
/// the event's, topic1 `pool_id`, from block 0 to `block` (a pool is initialized once). The key
/// must hash to `pool_id`.
async fn v4_key<R: ChainReader + ?Sized>(
    reader: &R,
    pool_id: B256,
    pool_manager: Address,
    block: u64,
) -> Result<V4PoolKey> {
    let filter = Filter::new()
        .address(pool_manager)
        .event_signature(Initialize::SIGNATURE_HASH)
        .topic1(pool_id)
        .from_block(0)
        .to_block(block);
    let logs = reader.logs(&filter).await.map_err(CliError::chain(format!(
        "reading the Initialize event of pool id {pool_id} from PoolManager {pool_manager}"
    )))?;
    let bad = |reason: String| CliError::BadInitializeEvent { pool_id, pool_manager, reason };
    let log = logs
        .iter()
        .find(|log| log.address() == pool_manager)
        .ok_or(CliError::PoolNotInitialized { pool_id, pool_manager, block })?;
    let event = log.log_decode::<Initialize>().map_err(|e| bad(e.to_string()))?.inner.data;
    let key = V4PoolKey {
        currency0: event.currency0,
        currency1: event.currency1,
        fee: event.fee.to::<u32>(),
        tick_spacing: event.tickSpacing.as_i32(),
        hooks: event.hooks,
    };
    if key.id() != pool_id {
        return Err(bad(format!("its key {key:?} hashes to {}", key.id())));
    }
    Ok(key)
}

/// Why a read says the address is not a pool of `kind` (it answered, but not as such a pool
/// does), or the error that stops the detection (the node or Multicall3 failed).
fn not_this_kind((kind, e): (KindArg, ReserveError)) -> Result<String> {
    match e {
        ReserveError::BadResponse { message, .. } => Ok(message),
        other => Err(read_error((kind, other))),
    }
}

fn read_error((kind, e): (KindArg, ReserveError)) -> CliError {
    let hint = match &e {
        ReserveError::Chain { source, .. } => multicall_hint(source),
        _ => "",
    };
    CliError::Pool {
        context: format!("reading the pool as {}{hint}", kind.as_str()),
        source: Box::new(e),
    }
}

/// Says Multicall3 is needed when the chain error is its absence.
fn multicall_hint(e: &ChainError) -> &'static str {
    match e {
        ChainError::NoContract { address, .. } if *address == MULTICALL3_ADDRESS => {
            " (needs Multicall3 at its canonical address)"
        }
        _ => "",
    }
}

/// A quote the pool cannot give; a V3 or V4 swap past the loaded ticks says to raise
/// `--tick-words`, a Balancer pool of three or more tokens asks for `--token-out`, a V4 pool
/// whose hooks may change the swap is named by its id.
fn refused(e: QuoteError, loaded: &Loaded, tick_words: u16) -> CliError {
    match e {
        QuoteError::Swap { pool, source: source @ SwapError::LeavesLoadedRange { .. } } => {
            CliError::TicksNotLoaded { pool, tick_words, source }
        }
        QuoteError::Swap { source: source @ SwapError::HooksChangeSwap { .. }, .. } => {
            CliError::HooksChangeSwap { pool_id: loaded.pool_id.unwrap_or_default(), source }
        }
        QuoteError::TokenOutNeeded { pool, tokens } => CliError::TokenOutNeeded { pool, tokens },
        source => CliError::Quote { source },
    }
}

/// The kinds of pool `quote` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum KindArg {
    /// A Uniswap V2 pair (or a fork's, with --v2-fee): tokens and `getReserves`.
    UniswapV2,
    /// A Uniswap V3 pool: price, liquidity, fee, tick spacing and the initialized ticks within
    /// --tick-words bitmap words.
    UniswapV3,
    /// A Uniswap V4 pool (--pool-id, --pool-manager, --state-view): its key from its
    /// Initialize event, then price, liquidity, fees and ticks through StateView. Pools whose
    /// hooks may change a swap are refused.
    UniswapV4,
    /// A Balancer V2 WeightedPool (--pool): its Vault and id from the pool, then balances,
    /// weights, scaling factors and swap fee.
    BalancerV2Weighted,
    /// A Balancer V2 ComposableStablePool (--pool), quoted between its tokens (not its BPT).
    BalancerV2ComposableStable,
}

impl KindArg {
    const fn as_str(self) -> &'static str {
        match self {
            Self::UniswapV2 => "uniswap-v2",
            Self::UniswapV3 => "uniswap-v3",
            Self::UniswapV4 => "uniswap-v4",
            Self::BalancerV2Weighted => "balancer-v2-weighted",
            Self::BalancerV2ComposableStable => "balancer-v2-composable-stable",
        }
    }

    /// Whether `--tick-words` applies.
    const fn has_ticks(self) -> bool {
        matches!(self, Self::UniswapV3 | Self::UniswapV4)
    }

    /// Why an argument is refused with this kind.
    fn not_for(self) -> String {
        format!("does not apply to --kind {}", self.as_str())
    }
}

/// What `mev-bot quote` prints: one JSON object, addresses checksummed, amounts (smallest
/// units) and other large integers as decimal strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
struct QuoteLine {
    /// The pool's address; for Uniswap V4 its id's first 20 bytes (as the reserve cache and the
    /// event decoder key it).
    #[serde(serialize_with = "checksummed")]
    pool: Address,
    /// `"uniswap-v2"`, `"uniswap-v3"`, `"uniswap-v4"`, `"balancer-v2-weighted"` or
    /// `"balancer-v2-composable-stable"`.
    kind: &'static str,
    /// A Uniswap V4 pool's `PoolId` or a Balancer V2 pool's id (0x hex, 32 bytes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pool_id: Option<B256>,
    /// The block the pool was read at.
    block: u64,
    #[serde(serialize_with = "checksummed")]
    token_in: Address,
    #[serde(serialize_with = "checksummed")]
    token_out: Address,
    /// Paid in, fee included.
    #[serde(serialize_with = "mev_bot::decimal::serialize")]
    amount_in: U256,
    /// Paid out.
    #[serde(serialize_with = "mev_bot::decimal::serialize")]
    amount_out: U256,
    /// The pool's state after the swap (absent for a kind this command does not read).
    #[serde(flatten)]
    after: Option<After>,
}

/// The pool's state after the quoted swap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
enum After {
    /// Uniswap V3 and V4.
    Ticked {
        /// Q64.96.
        #[serde(serialize_with = "mev_bot::decimal::serialize")]
        sqrt_price_x96_after: U256,
        tick_after: i32,
        /// In-range liquidity.
        #[serde(serialize_with = "mev_bot::decimal::serialize")]
        liquidity_after: U256,
        /// Initialized ticks crossed.
        ticks_crossed: u32,
    },
    UniswapV2 {
        #[serde(serialize_with = "mev_bot::decimal::serialize")]
        reserve0_after: U256,
        #[serde(serialize_with = "mev_bot::decimal::serialize")]
        reserve1_after: U256,
    },
    /// The pool's balances of the two tokens swapped (the others do not move).
    BalancerV2 {
        #[serde(serialize_with = "mev_bot::decimal::serialize")]
        balance_in_after: U256,
        #[serde(serialize_with = "mev_bot::decimal::serialize")]
        balance_out_after: U256,
    },
}

impl QuoteLine {
    fn new(kind: KindArg, pool_id: Option<B256>, q: &Quote) -> Self {
        let after = match q.after {
            PriceAfter::UniswapV3 { sqrt_price_x96, tick, liquidity, ticks_crossed }
            | PriceAfter::UniswapV4 { sqrt_price_x96, tick, liquidity, ticks_crossed } => {
                Some(After::Ticked {
                    sqrt_price_x96_after: U256::from(sqrt_price_x96),
                    tick_after: tick,
                    liquidity_after: U256::from(liquidity),
                    ticks_crossed,
                })
            }
            PriceAfter::UniswapV2 { reserve0, reserve1 } => {
                Some(After::UniswapV2 { reserve0_after: reserve0, reserve1_after: reserve1 })
            }
            PriceAfter::BalancerV2 { balance_in, balance_out } => Some(After::BalancerV2 {
                balance_in_after: balance_in,
                balance_out_after: balance_out,
            }),
            _ => None,
        };
        Self {
            pool: q.pool,
            kind: kind.as_str(),
            pool_id,
            block: q.block,
            token_in: q.token_in,
            token_out: q.token_out,
            amount_in: q.amount_in,
            amount_out: q.amount_out,
            after,
        }
    }
}

/// An address as its EIP-55 checksummed hex string.
fn checksummed<S: Serializer>(address: &Address, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&address.to_checksum(None))
}

#[cfg(test)]
mod tests {
    use alloy_primitives::{address, aliases::U160};

    use super::*;

    const POOL: Address = address!("0x88e6a0c2ddd26feeb64f039a2c41296fcb3f5640");
    const USDC: Address = address!("0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48");
    const WETH: Address = address!("0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2");

    fn quote(after: PriceAfter) -> Quote {
        Quote {
            pool: POOL,
            block: 17,
            token_in: USDC,
            token_out: WETH,
            amount_in: U256::from(1_000_000u64),
            amount_out: U256::from(10u64).pow(U256::from(30)),
            after,
        }
    }

    #[test]
    fn v3_line_has_checksummed_addresses_decimal_amounts_and_the_price_after() {
        let after = PriceAfter::UniswapV3 {
            sqrt_price_x96: U160::MAX,
            tick: -887_272,
            liquidity: u128::MAX,
            ticks_crossed: 3,
        };
        let json =
            serde_json::to_value(QuoteLine::new(KindArg::UniswapV3, None, &quote(after))).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "pool": "0x88e6A0c2dDD26FEEb64F039a2c41296FcB3f5640",
                "kind": "uniswap-v3",
                "block": 17,
                "token_in": "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48",
                "token_out": "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2",
                "amount_in": "1000000",
                "amount_out": "1000000000000000000000000000000",
                "sqrt_price_x96_after": U160::MAX.to_string(),
                "tick_after": -887_272,
                "liquidity_after": u128::MAX.to_string(),
                "ticks_crossed": 3,
            })
        );
    }

    #[test]
    fn v2_line_has_the_reserves_after() {
        let after =
            PriceAfter::UniswapV2 { reserve0: U256::from(5u64), reserve1: U256::from(7u64) };
        let json = serde_json::to_string(&QuoteLine::new(KindArg::UniswapV2, None, &quote(after)));
        assert_eq!(
            json.unwrap(),
            r#"{"pool":"0x88e6A0c2dDD26FEEb64F039a2c41296FcB3f5640","kind":"uniswap-v2","block":17,"token_in":"0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48","token_out":"0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2","amount_in":"1000000","amount_out":"1000000000000000000000000000000","reserve0_after":"5","reserve1_after":"7"}"#
        );
    }

    #[test]
    fn a_swap_past_the_loaded_ticks_asks_for_more_tick_words() {
        let source = SwapError::LeavesLoadedRange {
            at_tick: 0,
            needs_tick: 15_360,
            loaded_lower: -15_360,
            loaded_upper: 15_359,
        };
        let v3 = Loaded { kind: KindArg::UniswapV3, address: POOL, pool_id: None };
        let e = refused(QuoteError::Swap { pool: POOL, source }, &v3, 2);
        assert!(matches!(e, CliError::TicksNotLoaded { tick_words: 2, .. }), "{e:?}");
        assert!(e.to_string().ends_with("raise --tick-words"), "{e}");
        let e = refused(QuoteError::UnknownToken { pool: POOL, token: WETH }, &v3, 2);
        assert!(matches!(e, CliError::Quote { .. }), "{e:?}");
    }

    #[test]
    fn v4_hooks_are_named_by_pool_id_and_many_tokens_ask_for_token_out() {
        let id = B256::repeat_byte(0xab);
        let v4 = Loaded { kind: KindArg::UniswapV4, address: POOL, pool_id: Some(id) };
        let source = SwapError::HooksChangeSwap { hooks: WETH, permissions: 0x0cc2 };
        let e = refused(QuoteError::Swap { pool: POOL, source }, &v4, 2);
        assert!(matches!(e, CliError::HooksChangeSwap { .. }), "{e:?}");
        let shown = e.to_string();
        assert!(shown.contains(&id.to_string()) && shown.contains("may change swaps"), "{e}");
        let e = refused(QuoteError::TokenOutNeeded { pool: POOL, tokens: 3 }, &v4, 2);
        assert!(e.to_string().contains("--token-out"), "{e}");
    }

    #[test]
    fn v4_and_balancer_lines_have_the_pool_id_and_their_state_after() {
        let id = B256::repeat_byte(0x11);
        let after = PriceAfter::UniswapV4 {
            sqrt_price_x96: U160::from(79_228_162_514_264_337_593_543_950_336u128),
            tick: -3,
            liquidity: 5,
            ticks_crossed: 2,
        };
        let json =
            serde_json::to_value(QuoteLine::new(KindArg::UniswapV4, Some(id), &quote(after)));
        let json = json.unwrap();
        assert_eq!(json["kind"], "uniswap-v4");
        assert_eq!(json["pool_id"], format!("0x{}", "11".repeat(32)));
        assert_eq!(json["sqrt_price_x96_after"], "79228162514264337593543950336");
        assert_eq!(json["tick_after"], -3);
        assert_eq!(json["liquidity_after"], "5");
        assert_eq!(json["ticks_crossed"], 2);

        let after =
            PriceAfter::BalancerV2 { balance_in: U256::from(9u64), balance_out: U256::from(4u64) };
        let line = QuoteLine::new(KindArg::BalancerV2Weighted, Some(id), &quote(after));
        assert_eq!(
            serde_json::to_string(&line).unwrap(),
            format!(
                r#"{{"pool":"0x88e6A0c2dDD26FEEb64F039a2c41296FcB3f5640","kind":"balancer-v2-weighted","pool_id":"0x{}","block":17,"token_in":"0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48","token_out":"0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2","amount_in":"1000000","amount_out":"1000000000000000000000000000000","balance_in_after":"9","balance_out_after":"4"}}"#,
                "11".repeat(32)
            )
        );
    }

    #[test]
    fn v2_fees_parse_as_n_over_d() {
        assert_eq!(parse_v2_fee("9975/10000").unwrap(), V2Fee::PANCAKESWAP);
        assert_eq!(parse_v2_fee("997/1000").unwrap(), V2Fee::UNISWAP);
        assert_eq!(parse_v2_fee("0/1").unwrap(), V2Fee::new(0, 1).unwrap());
        for bad in ["", "997", "997/", "/1000", "a/b", "1001/1000", "1/0", "-1/2", "1/2/3", " 1/2"]
        {
            let e = parse_v2_fee(bad).unwrap_err();
            assert!(
                matches!(e, CliError::InvalidArgument { what: "--v2-fee", .. }),
                "{bad:?}: {e:?}"
            );
        }
    }
}
