//! `mev-bot discover`: the pools factories, the Balancer Vault and Uniswap V4 `PoolManager`s
//! created in a block range, filtered by token and liquidity, written as the `[[pools]]`
//! entries of a bot configuration.

use std::{collections::BTreeMap, fmt::Write as _, io::Write as _, path::PathBuf, str::FromStr};

use alloy_primitives::{Address, U256};
use clap::Args;
use mev_bot::{BalancerPoolTypeConfig, PoolConfig};
use mev_chain::{ChainReader, Retry, RetryConfig};
use mev_reserve_cache::{
    BalancerPoolType, DEFAULT_MAX_BLOCK_RANGE, DEFAULT_TICK_WORDS, DiscoveredPool, Discovery,
    DiscoveryError, DiscoveryFilter, DiscoveryOptions, MinLiquidity, PoolKey, PoolKind, PoolSource,
    TokenMatch, discover_pools_with,
};
use mev_swap_math::V2Fee;
use serde::Serialize;

use super::{
    args::RpcArgs,
    error::{CliError, Result},
    runtime,
};

#[derive(Debug, Args)]
pub(super) struct DiscoverArgs {
    #[command(flatten)]
    rpc: RpcArgs,
    /// A Uniswap V2 factory (or a fork's), its pairs' fee as N/D of the input that counts
    /// (default 997/1000; PancakeSwap 9975/10000). Repeatable.
    #[arg(long, value_name = "ADDR[:N/D]")]
    uniswap_v2_factory: Vec<V2FactoryArg>,
    /// A Uniswap V3 factory (or a fork's). Repeatable.
    #[arg(long, value_name = "ADDR")]
    uniswap_v3_factory: Vec<Address>,
    /// A Uniswap V4 PoolManager and the StateView its pools are read through. Repeatable.
    #[arg(long, value_name = "POOL_MANAGER:STATE_VIEW")]
    uniswap_v4: Vec<V4Arg>,
    /// The Balancer V2 Vault: the pools it registers (type other unless a factory below
    /// created them).
    #[arg(long, value_name = "ADDR")]
    balancer_vault: Option<Address>,
    /// A Balancer V2 factory whose pools are WeightedPools. Repeatable; needs --balancer-vault.
    #[arg(long, value_name = "ADDR", requires = "balancer_vault")]
    balancer_weighted_factory: Vec<Address>,
    /// A Balancer V2 factory whose pools are ComposableStablePools. Repeatable; needs
    /// --balancer-vault.
    #[arg(long, value_name = "ADDR", requires = "balancer_vault")]
    balancer_stable_factory: Vec<Address>,
    /// First block scanned.
    #[arg(long, value_name = "N")]
    from_block: u64,
    /// Last block scanned and the block states are read at; the latest when absent.
    #[arg(long, value_name = "N")]
    to_block: Option<u64>,
    /// A token of the allow-list (repeatable): a pool is kept when all its tokens are in the
    /// list (with --any-token: one of them). None: any token.
    #[arg(long = "token", value_name = "ADDR")]
    tokens: Vec<Address>,
    /// Keep a pool when at least one of its tokens is in the --token list.
    #[arg(long, requires = "tokens")]
    any_token: bool,
    /// Minimum in-range liquidity of a Uniswap V3 or V4 pool at --to-block.
    #[arg(long, value_name = "L")]
    min_liquidity: Option<u128>,
    /// Minimum reserve of every token of a Uniswap V2 pair or Balancer pool at --to-block, in
    /// the token's smallest units (an integer, or e.g. 5e18): AMOUNT for any token, or
    /// TOKEN=AMOUNT for one token. Repeatable.
    #[arg(long, value_name = "[TOKEN=]AMOUNT")]
    min_reserve: Vec<MinReserveArg>,
    /// Blocks per eth_getLogs request (a range the node refuses is halved and retried).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_BLOCK_RANGE)]
    max_block_range: u64,
    /// Bitmap words either side of the price written as tick_words for V3 and V4 pools
    /// (omitted at the default, 2).
    #[arg(long, value_name = "N")]
    tick_words: Option<u16>,
    /// Write the entries to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// `ADDR[:N/D]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct V2FactoryArg {
    factory: Address,
    fee: V2Fee,
}

impl FromStr for V2FactoryArg {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (address, fee) = match s.split_once(':') {
            Some((a, f)) => (a, Some(f)),
            None => (s, None),
        };
        let factory = address.parse().map_err(|e| format!("{address:?} is not an address: {e}"))?;
        let fee = match fee {
            None => V2Fee::UNISWAP,
            Some(f) => {
                let (n, d) = f.split_once('/').ok_or_else(|| format!("fee {f:?} is not N/D"))?;
                let n = n.parse().map_err(|e| format!("fee numerator {n:?}: {e}"))?;
                let d = d.parse().map_err(|e| format!("fee denominator {d:?}: {e}"))?;
                V2Fee::new(n, d).map_err(|e| format!("fee {f}: {e}"))?
            }
        };
        Ok(Self { factory, fee })
    }
}

/// `POOL_MANAGER:STATE_VIEW`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct V4Arg {
    pool_manager: Address,
    state_view: Address,
}

impl FromStr for V4Arg {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (pm, sv) = s.split_once(':').ok_or("expected POOL_MANAGER:STATE_VIEW")?;
        Ok(Self {
            pool_manager: pm.parse().map_err(|e| format!("{pm:?} is not an address: {e}"))?,
            state_view: sv.parse().map_err(|e| format!("{sv:?} is not an address: {e}"))?,
        })
    }
}

/// `[TOKEN=]AMOUNT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct MinReserveArg {
    token: Option<Address>,
    amount: U256,
}

impl FromStr for MinReserveArg {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (token, amount) = match s.split_once('=') {
            Some((t, a)) => {
                (Some(t.parse().map_err(|e| format!("{t:?} is not an address: {e}"))?), a)
            }
            None => (None, s),
        };
        Ok(Self { token, amount: parse_amount(amount)? })
    }
}

/// An integer amount, `123` or `5e18`.
fn parse_amount(s: &str) -> Result<U256, String> {
    let bad = |e: &dyn std::fmt::Display| format!("{s:?} is not an amount: {e}");
    let (mantissa, exponent) = match s.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<u8>().map_err(|e| bad(&e))?),
        None => (s, 0),
    };
    let mantissa = U256::from_str_radix(mantissa, 10).map_err(|e| bad(&e))?;
    U256::from(10u8)
        .checked_pow(U256::from(exponent))
        .and_then(|p| mantissa.checked_mul(p))
        .ok_or_else(|| bad(&"beyond 2^256"))
}

impl DiscoverArgs {
    fn sources(&self) -> Result<Vec<PoolSource>> {
        let mut sources: Vec<PoolSource> = self
            .uniswap_v2_factory
            .iter()
            .map(|f| PoolSource::uniswap_v2_fork(f.factory, f.fee))
            .collect();
        sources.extend(self.uniswap_v3_factory.iter().map(|&f| PoolSource::uniswap_v3(f)));
        sources.extend(
            self.uniswap_v4.iter().map(|v| PoolSource::uniswap_v4(v.pool_manager, v.state_view)),
        );
        if let Some(vault) = self.balancer_vault {
            let mut source = PoolSource::balancer_v2(vault);
            for &f in &self.balancer_weighted_factory {
                source = source.weighted_factory(f);
            }
            for &f in &self.balancer_stable_factory {
                source = source.composable_stable_factory(f);
            }
            sources.push(source);
        }
        if sources.is_empty() {
            return Err(CliError::InvalidArgument {
                what: "sources",
                reason: "nothing to discover: give --uniswap-v2-factory, --uniswap-v3-factory, \
                         --uniswap-v4 or --balancer-vault"
                    .into(),
            });
        }
        Ok(sources)
    }

    fn filter(&self) -> DiscoveryFilter {
        let min_liquidity =
            (self.min_liquidity.is_some() || !self.min_reserve.is_empty()).then(|| {
                let mut min = MinLiquidity {
                    in_range: self.min_liquidity.unwrap_or(0),
                    ..MinLiquidity::default()
                };
                for r in &self.min_reserve {
                    match r.token {
                        Some(token) => {
                            min.per_token.insert(token, r.amount);
                        }
                        None => min.default_reserve = r.amount,
                    }
                }
                min
            });
        DiscoveryFilter {
            tokens: self.tokens.iter().copied().collect(),
            token_match: if self.any_token { TokenMatch::Any } else { TokenMatch::All },
            min_liquidity,
        }
    }
}

pub(super) fn discover(args: DiscoverArgs) -> Result<()> {
    let sources = args.sources()?;
    let filter = args.filter();
    if let Some(to) = args.to_block
        && args.from_block > to
    {
        return Err(CliError::InvalidArgument {
            what: "--to-block",
            reason: format!("{to} is below --from-block {}", args.from_block),
        });
    }
    let options = DiscoveryOptions {
        max_block_range: args.max_block_range,
        tick_words: args.tick_words.unwrap_or(DEFAULT_TICK_WORDS),
        ..DiscoveryOptions::default()
    };
    let reader = Retry::new(args.rpc.http_reader()?, RetryConfig::default());
    let discovery = runtime()?.block_on(async {
        let to_block = match args.to_block {
            Some(to) => to,
            None => reader.block_number().await.map_err(CliError::chain("eth_blockNumber"))?,
        };
        discover_pools_with(&reader, &sources, args.from_block, to_block, &filter, &options)
            .await
            .map_err(discovery_error)
    })?;
    let text = render(&discovery);
    match &args.output {
        Some(path) => std::fs::write(path, &text)
            .map_err(CliError::io(format!("writing {}", path.display())))?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())
                .and_then(|()| out.flush())
                .map_err(CliError::io("writing the pools"))?;
        }
    }
    eprintln!("mev-bot: {}", summary(&discovery));
    Ok(())
}

/// The library's error as the command line's (its chain errors are already redacted).
fn discovery_error(e: DiscoveryError) -> CliError {
    match e {
        DiscoveryError::Logs { kind, address, from, to, source } => CliError::Chain {
            context: format!("reading the {kind} events of {address} in blocks {from}..={to}"),
            source,
        },
        DiscoveryError::State { block, source } => CliError::Pool {
            context: format!("reading the discovered pools at block {block}"),
            source: Box::new(source),
        },
        DiscoveryError::Decode { kind, .. } => CliError::InvalidArgument {
            what: match kind {
                "uniswap-v2" => "--uniswap-v2-factory",
                "uniswap-v3" => "--uniswap-v3-factory",
                "uniswap-v4" => "--uniswap-v4",
                _ => "--balancer-vault",
            },
            reason: e.to_string(),
        },
        e => CliError::InvalidArgument { what: "--to-block", reason: e.to_string() },
    }
}

/// The configuration entry of a discovered pool (`None` for a kind the configuration has no
/// entry for).
fn pool_config(key: &PoolKey) -> Option<PoolConfig> {
    let tick_words = |t: u16| (t != DEFAULT_TICK_WORDS).then_some(t);
    Some(match &key.kind {
        PoolKind::UniswapV2 { fee } => PoolConfig::UniswapV2 {
            address: key.address,
            fee: (*fee != V2Fee::UNISWAP).then_some([fee.numerator, fee.denominator]),
        },
        PoolKind::UniswapV3 { tick_words: t } => {
            PoolConfig::UniswapV3 { address: key.address, tick_words: tick_words(*t) }
        }
        PoolKind::UniswapV4 { pool_manager, state_view, key: v4, tick_words: t } => {
            PoolConfig::UniswapV4 {
                pool_manager: *pool_manager,
                state_view: *state_view,
                currency0: v4.currency0,
                currency1: v4.currency1,
                fee: v4.fee,
                tick_spacing: v4.tick_spacing,
                hooks: v4.hooks,
                tick_words: tick_words(*t),
            }
        }
        PoolKind::BalancerV2 { vault, pool_id, pool_type } => PoolConfig::BalancerV2 {
            vault: *vault,
            pool_id: *pool_id,
            pool_type: match pool_type {
                BalancerPoolType::Weighted => BalancerPoolTypeConfig::Weighted,
                BalancerPoolType::ComposableStable => BalancerPoolTypeConfig::ComposableStable,
                _ => BalancerPoolTypeConfig::Other,
            },
        },
        PoolKind::Curve { n_coins } => {
            PoolConfig::Curve { address: key.address, n_coins: *n_coins }
        }
        _ => return None,
    })
}

#[derive(Serialize)]
struct Pools<'a> {
    pools: &'a [PoolConfig],
}

/// The `[[pools]]` entries, each under a comment naming its tokens and creation block.
fn render(d: &Discovery) -> String {
    let mut out = format!(
        "# mev-bot discover: {} pools created in blocks {}..={}\n",
        d.pools.len(),
        d.from_block,
        d.to_block
    );
    for pool in &d.pools {
        let Some(config) = pool_config(&pool.key) else { continue };
        let entry =
            toml::to_string(&Pools { pools: std::slice::from_ref(&config) }).unwrap_or_default();
        let _ = write!(out, "\n{}\n{entry}", comment(pool));
    }
    out
}

fn comment(pool: &DiscoveredPool) -> String {
    let tokens: Vec<String> = pool.tokens.iter().map(ToString::to_string).collect();
    let name = match &pool.key.kind {
        PoolKind::UniswapV4 { key, .. } => format!("pool id {}", key.id()),
        PoolKind::BalancerV2 { pool_id, .. } => format!("{} (pool id {pool_id})", pool.key.address),
        _ => pool.key.address.to_string(),
    };
    format!("# {name}, created at block {}, tokens {}", pool.created_block, tokens.join(" "))
}

fn summary(d: &Discovery) -> String {
    let by_kind = d.pools.iter().fold(BTreeMap::<&str, usize>::new(), |mut m, p| {
        *m.entry(kind_name(&p.key)).or_default() += 1;
        m
    });
    let kinds: Vec<String> = by_kind.iter().map(|(k, n)| format!("{n} {k}")).collect();
    format!(
        "discovered {} pools ({}) in blocks {}..={}: {} found, dropped {} by token, {} by \
         liquidity, {} unreadable, {} duplicate; {} eth_getLogs requests",
        d.pools.len(),
        if kinds.is_empty() { "none".to_owned() } else { kinds.join(", ") },
        d.from_block,
        d.to_block,
        d.found,
        d.dropped.tokens,
        d.dropped.liquidity,
        d.dropped.unreadable,
        d.dropped.duplicates,
        d.log_requests
    )
}

const fn kind_name(key: &PoolKey) -> &'static str {
    match key.kind {
        PoolKind::UniswapV2 { .. } => "uniswap-v2",
        PoolKind::UniswapV3 { .. } => "uniswap-v3",
        PoolKind::UniswapV4 { .. } => "uniswap-v4",
        PoolKind::BalancerV2 { .. } => "balancer-v2",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_source_and_reserve_arguments() {
        let a = "0x00000000000000000000000000000000000000aa";
        let f: V2FactoryArg = a.parse().unwrap();
        assert_eq!(f.fee, V2Fee::UNISWAP);
        let f: V2FactoryArg = format!("{a}:9975/10000").parse().unwrap();
        assert_eq!(f.fee, V2Fee::PANCAKESWAP);
        assert!(format!("{a}:1001/1000").parse::<V2FactoryArg>().is_err());
        assert!(format!("{a}:997").parse::<V2FactoryArg>().is_err());
        let v: V4Arg = format!("{a}:{a}").parse().unwrap();
        assert_eq!(v.pool_manager, v.state_view);
        assert!(a.parse::<V4Arg>().is_err());
        let r: MinReserveArg = "5e18".parse().unwrap();
        assert_eq!((r.token, r.amount), (None, U256::from(5_000_000_000_000_000_000u64)));
        let r: MinReserveArg = format!("{a}=1000").parse().unwrap();
        assert_eq!((r.token, r.amount), (Some(a.parse().unwrap()), U256::from(1000)));
        assert!("1e99".parse::<MinReserveArg>().is_err());
        assert!("x".parse::<MinReserveArg>().is_err());
    }
}
