//! `mev-bot quote`: a swap quote through one Uniswap V2 pair or V3 pool, computed locally from
//! the pool's state read at one block, printed as one JSON line.

use std::sync::Arc;

use alloy_primitives::{Address, U256};
use clap::{Args, ValueEnum};
use mev_chain::{ChainError, ChainReader, MULTICALL3_ADDRESS};
use mev_reserve_cache::{
    DEFAULT_TICK_WORDS, PoolKey, PriceAfter, Quote, QuoteError, ReserveCache, ReserveError,
    RpcReserveSource, SwapSide,
};
use mev_swap_math::SwapError;
use serde::{Serialize, Serializer};

use super::{
    args::RpcArgs,
    error::{CliError, Result},
    output::print_json,
    runtime,
};

#[derive(Debug, Args)]
pub(super) struct QuoteArgs {
    #[command(flatten)]
    rpc: RpcArgs,
    /// The pool: a Uniswap V2 pair or a Uniswap V3 pool.
    #[arg(long, value_name = "ADDRESS")]
    pool: Address,
    /// The pool's kind; when absent, the pool is read as uniswap-v3, then as uniswap-v2.
    #[arg(long, value_enum)]
    kind: Option<KindArg>,
    /// The token paid in, one of the pool's two.
    #[arg(long, value_name = "ADDRESS")]
    token_in: Address,
    /// Amount in the token's smallest unit (decimal, or 0x hex): paid in, or with --exact-out
    /// the amount of the other token to receive.
    #[arg(long, value_name = "N")]
    amount: U256,
    /// Quote the input needed for exactly --amount out (default: the output of exactly
    /// --amount in).
    #[arg(long)]
    exact_out: bool,
    /// Block number to read the pool at; the latest block when absent.
    #[arg(long, value_name = "N")]
    block: Option<u64>,
    /// Uniswap V3: tick-bitmap words loaded either side of the price's word (each spans 256
    /// tick spacings); a quote that moves the price beyond them is refused. Default 2.
    #[arg(long, value_name = "W")]
    tick_words: Option<u16>,
}

pub(super) fn quote(args: QuoteArgs) -> Result<()> {
    if args.kind == Some(KindArg::UniswapV2) && args.tick_words.is_some() {
        return Err(CliError::InvalidArgument {
            what: "--tick-words",
            reason: "does not apply to --kind uniswap-v2 (a pair has no ticks)".into(),
        });
    }
    let reader = Arc::new(args.rpc.http_reader()?);
    let request = Request {
        pool: args.pool,
        kind: args.kind,
        token_in: args.token_in,
        amount: args.amount,
        side: if args.exact_out { SwapSide::ExactOut } else { SwapSide::ExactIn },
        block: args.block,
        tick_words: args.tick_words.unwrap_or(DEFAULT_TICK_WORDS),
    };
    let line = runtime()?.block_on(local_quote(reader, &request))?;
    print_json(&line)
}

/// What to quote, from the command line.
#[derive(Debug, Clone, Copy)]
struct Request {
    pool: Address,
    /// `None`: detect.
    kind: Option<KindArg>,
    token_in: Address,
    /// In `token_in`'s smallest unit for exact in, in the other token's for exact out.
    amount: U256,
    side: SwapSide,
    /// `None`: the latest block.
    block: Option<u64>,
    tick_words: u16,
}

/// Reads the pool at the block into a [`ReserveCache`] over [`RpcReserveSource`] (Multicall3 at
/// its canonical address) and quotes on that state with [`ReserveCache::quote`]: the swap math
/// of `mev-swap-math`, equal to the pool's; no quoter contract is called.
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
    let cache = ReserveCache::new(Arc::new(RpcReserveSource::new(reader)));
    let kind = load(&cache, request, block).await?;
    let quote = cache
        .quote(&request.pool, request.token_in, request.amount, request.side)
        .map_err(|e| refused(e, request.tick_words))?;
    Ok(QuoteLine::new(kind, &quote))
}

/// Reads `request.pool` at `block` into `cache` as `--kind`, or else as V3 and then as V2 (a V2
/// pair has no `slot0`, so its V3 read fails with a bad response; a node failure stops the
/// detection at once). Returns the kind read.
async fn load(cache: &ReserveCache, request: &Request, block: u64) -> Result<KindArg> {
    let read = |kind: KindArg| async move {
        cache.get(&kind.key(request.pool, request.tick_words), block).await.map(|_| kind)
    };
    if let Some(kind) = request.kind {
        return read(kind).await.map_err(|e| read_error(kind, e));
    }
    let v3 = match read(KindArg::UniswapV3).await {
        Ok(kind) => return Ok(kind),
        Err(e) => not_this_kind(KindArg::UniswapV3, e)?,
    };
    let v2 = match read(KindArg::UniswapV2).await {
        Ok(kind) => return Ok(kind),
        Err(e) => not_this_kind(KindArg::UniswapV2, e)?,
    };
    Err(CliError::UnknownPoolKind { pool: request.pool, block, v3, v2 })
}

/// Why a read says the address is not a pool of `kind` (it answered, but not as such a pool
/// does), or the error that stops the detection (the node or Multicall3 failed).
fn not_this_kind(kind: KindArg, e: ReserveError) -> Result<String> {
    match e {
        ReserveError::BadResponse { message, .. } => Ok(message),
        other => Err(read_error(kind, other)),
    }
}

fn read_error(kind: KindArg, e: ReserveError) -> CliError {
    let no_multicall = matches!(
        &e,
        ReserveError::Chain { source: ChainError::NoContract { address, .. }, .. }
            if *address == MULTICALL3_ADDRESS
    );
    let hint = if no_multicall { " (needs Multicall3 at its canonical address)" } else { "" };
    CliError::Pool {
        context: format!("reading the pool as {}{hint}", kind.as_str()),
        source: Box::new(e),
    }
}

/// A quote the pool cannot give; a V3 swap past the loaded ticks says to raise `--tick-words`.
fn refused(e: QuoteError, tick_words: u16) -> CliError {
    match e {
        QuoteError::Swap { pool, source: source @ SwapError::LeavesLoadedRange { .. } } => {
            CliError::TicksNotLoaded { pool, tick_words, source }
        }
        source => CliError::Quote { source },
    }
}

/// The kinds of pool `quote` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum KindArg {
    /// A Uniswap V2 pair (0.3 % fee): tokens and `getReserves`.
    UniswapV2,
    /// A Uniswap V3 pool: price, liquidity, fee, tick spacing and the initialized ticks within
    /// --tick-words bitmap words.
    UniswapV3,
}

impl KindArg {
    const fn as_str(self) -> &'static str {
        match self {
            Self::UniswapV2 => "uniswap-v2",
            Self::UniswapV3 => "uniswap-v3",
        }
    }

    const fn key(self, pool: Address, tick_words: u16) -> PoolKey {
        match self {
            Self::UniswapV2 => PoolKey::uniswap_v2(pool),
            Self::UniswapV3 => PoolKey::uniswap_v3_with_ticks(pool, tick_words),
        }
    }
}

/// What `mev-bot quote` prints: one JSON object, addresses checksummed, amounts (smallest
/// units) and other large integers as decimal strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
struct QuoteLine {
    #[serde(serialize_with = "checksummed")]
    pool: Address,
    /// `"uniswap-v2"` or `"uniswap-v3"`.
    kind: &'static str,
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
    UniswapV3 {
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
}

impl QuoteLine {
    fn new(kind: KindArg, q: &Quote) -> Self {
        let after = match q.after {
            PriceAfter::UniswapV3 { sqrt_price_x96, tick, liquidity, ticks_crossed } => {
                Some(After::UniswapV3 {
                    sqrt_price_x96_after: U256::from(sqrt_price_x96),
                    tick_after: tick,
                    liquidity_after: U256::from(liquidity),
                    ticks_crossed,
                })
            }
            PriceAfter::UniswapV2 { reserve0, reserve1 } => {
                Some(After::UniswapV2 { reserve0_after: reserve0, reserve1_after: reserve1 })
            }
            _ => None,
        };
        Self {
            pool: q.pool,
            kind: kind.as_str(),
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
        let json = serde_json::to_value(QuoteLine::new(KindArg::UniswapV3, &quote(after))).unwrap();
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
        let json = serde_json::to_string(&QuoteLine::new(KindArg::UniswapV2, &quote(after)));
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
        let e = refused(QuoteError::Swap { pool: POOL, source }, 2);
        assert!(matches!(e, CliError::TicksNotLoaded { tick_words: 2, .. }), "{e:?}");
        assert!(e.to_string().ends_with("raise --tick-words"), "{e}");
        let e = refused(QuoteError::UnknownToken { pool: POOL, token: WETH }, 2);
        assert!(matches!(e, CliError::Quote { .. }), "{e:?}");
    }
}
