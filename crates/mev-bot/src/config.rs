//! [`BotConfig`]: which lending markets, pools and price feeds the pipeline watches, and its
//! tuning, as read from TOML by `mev-bot run` (any serde format from a library) and stored in
//! recordings.

use alloy_primitives::{Address, B256, U256};
use mev_chain::MULTICALL3_ADDRESS;
use mev_rebuild::{AaveV3Config, CompoundV2Config, MarketConfig};
use mev_reserve_cache::{BalancerPoolType, PoolKey, V4PoolKey};
use mev_swap_math::V2Fee;
use serde::{Deserialize, Serialize};

use crate::{ArbitrageConfig, BotError, FollowConfig, Result};

/// What the bot watches and how. Every field has a default, so a file names only what it uses;
/// unknown keys are rejected at every level.
///
/// ```
/// // Any serde format; `BotConfig::from_toml` (feature `toml`) adds line and column to errors.
/// let config: mev_bot::BotConfig = toml::from_str(r#"
///     [[aave_v3]]
///     pool = "0x87870Bca3F3fD6335C3F4ce8392D69350B4fA4E2"
///     data_provider = "0x7B4EB56E7CD4b454BA8ff71E4518426369a138a3"
///     start_block = 16291127
///
///     [[pools]]
///     kind = "uniswap-v2"
///     address = "0xB4e16d0168e52d35CaCD2c6185b44281Ec28C9Dc"
///
///     [pipeline]
///     confirmations = 2
/// "#)?;
/// config.validate()?;
/// assert_eq!(config.aave_v3[0].name, "aave-v3");
/// assert_eq!(config.pools.len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BotConfig {
    /// Aave V3 family markets (Aave, Seamless, Spark).
    pub aave_v3: Vec<AaveV3Config>,
    /// Compound v2 family markets (Compound, Moonwell).
    pub compound_v2: Vec<CompoundV2Config>,
    /// DEX pools whose state the reserve cache keeps.
    pub pools: Vec<PoolConfig>,
    /// Chainlink aggregators whose `AnswerUpdated` moves a market's prices.
    pub price_feeds: Vec<PriceFeedConfig>,
    /// The Multicall3 the reserve cache batches pool reads through. Default the canonical
    /// address.
    #[serde(default = "default_multicall")]
    pub multicall: Address,
    /// Pipeline tuning.
    pub pipeline: PipelineConfig,
    /// JSON-RPC endpoints of the same chain, in order of preference: a follower falls back to
    /// the next when one fails (`mev-bot run --rpc-url` adds to them). Never written into a
    /// recording (URLs carry API keys).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rpc_urls: Vec<String>,
    /// How a live follower treats its node.
    pub follow: FollowConfig,
    /// The arbitrage stage over the watched pools (off without base tokens).
    #[serde(skip_serializing_if = "ArbitrageConfig::is_default")]
    pub arbitrage: ArbitrageConfig,
}

fn default_multicall() -> Address {
    MULTICALL3_ADDRESS
}

impl Default for BotConfig {
    fn default() -> Self {
        Self {
            aave_v3: Vec::new(),
            compound_v2: Vec::new(),
            pools: Vec::new(),
            price_feeds: Vec::new(),
            multicall: MULTICALL3_ADDRESS,
            pipeline: PipelineConfig::default(),
            rpc_urls: Vec::new(),
            follow: FollowConfig::default(),
            arbitrage: ArbitrageConfig::default(),
        }
    }
}

impl BotConfig {
    /// Every configured lending market with the price feeds that name it, in configuration
    /// order (Aave family first).
    pub fn markets(&self) -> Vec<(MarketConfig, Vec<Address>)> {
        let feeds = |name: &str| {
            self.price_feeds.iter().filter(|f| f.market == name).map(|f| f.feed).collect()
        };
        self.aave_v3
            .iter()
            .map(|c| (MarketConfig::AaveV3(c.clone()), feeds(&c.name)))
            .chain(
                self.compound_v2
                    .iter()
                    .map(|c| (MarketConfig::CompoundV2(c.clone()), feeds(&c.name))),
            )
            .collect()
    }

    /// Parses a TOML document. Fails with [`BotError::Config`] naming the offending key.
    #[cfg(feature = "toml")]
    pub fn from_toml(text: &str) -> Result<Self> {
        let mut config: Self = toml::from_str(text).map_err(|e| BotError::Config {
            reason: match e.span() {
                Some(span) => {
                    let before = &text[..span.start.min(text.len())];
                    let line = before.matches('\n').count() + 1;
                    let start = before.rfind('\n').map_or(0, |i| i + 1);
                    let column = before.len() - start + 1;
                    // The key of that line, never its value (which may hold a secret URL).
                    let key = text[start..]
                        .lines()
                        .next()
                        .and_then(|l| l.split_once('='))
                        .map(|(k, _)| k.trim())
                        .filter(|k| {
                            !k.is_empty()
                                && k.chars().all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
                        })
                        .map(|k| format!(", key `{k}`"))
                        .unwrap_or_default();
                    format!("line {line}, column {column}{key}: {}", e.message().trim())
                }
                None => e.message().trim().to_owned(),
            },
        })?;
        if config.multicall == Address::ZERO {
            config.multicall = MULTICALL3_ADDRESS;
        }
        config.validate()?;
        Ok(config)
    }

    /// Reads and parses a TOML file.
    #[cfg(feature = "toml")]
    ///
    /// Fails with [`BotError::Config`] for a file over [`MAX_CONFIG_BYTES`](Self::MAX_CONFIG_BYTES)
    /// (reading stops there: `/dev/zero` does not hang) or that is not UTF-8.
    pub fn load(path: &std::path::Path) -> Result<Self> {
        use std::io::Read;
        let io =
            |source| BotError::Io { context: format!("reading config {}", path.display()), source };
        let file = std::fs::File::open(path).map_err(io)?;
        let mut bytes = Vec::new();
        file.take(Self::MAX_CONFIG_BYTES + 1).read_to_end(&mut bytes).map_err(io)?;
        if bytes.len() as u64 > Self::MAX_CONFIG_BYTES {
            return Err(BotError::Config {
                reason: format!(
                    "{} is larger than {} bytes; not a configuration file",
                    path.display(),
                    Self::MAX_CONFIG_BYTES
                ),
            });
        }
        let text = String::from_utf8(bytes).map_err(|e| BotError::Config {
            reason: format!("{} is not UTF-8 text: {e}", path.display()),
        })?;
        Self::from_toml(&text)
    }

    /// The largest configuration file read, bytes (1 MiB).
    pub const MAX_CONFIG_BYTES: u64 = 1 << 20;

    /// Checks what the pipeline relies on: unique market names, feeds naming a configured
    /// market, sane tuning.
    pub fn validate(&self) -> Result<()> {
        let names: Vec<&str> = self
            .aave_v3
            .iter()
            .map(|c| c.name.as_str())
            .chain(self.compound_v2.iter().map(|c| c.name.as_str()))
            .collect();
        for (i, n) in names.iter().enumerate() {
            if n.is_empty() {
                return Err(BotError::Config { reason: "a market has an empty name".into() });
            }
            if names[..i].contains(n) {
                return Err(BotError::Config {
                    reason: format!("market name {n:?} is used twice"),
                });
            }
        }
        for f in &self.price_feeds {
            if !names.contains(&f.market.as_str()) {
                return Err(BotError::Config {
                    reason: format!(
                        "price feed {} names market {:?}, which is not configured",
                        f.feed, f.market
                    ),
                });
            }
        }
        for p in &self.pools {
            p.validate()?;
        }
        self.follow.validate()?;
        self.arbitrage.validate()?;
        self.pipeline.validate()
    }
}

/// One DEX pool, by kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum PoolConfig {
    /// A Uniswap V2 pair or fork.
    UniswapV2 {
        /// The pair.
        address: Address,
        /// The fork's fee as `[numerator, denominator]` of the input that counts (Uniswap and
        /// SushiSwap `[997, 1000]`, the default; PancakeSwap `[9975, 10000]`).
        #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "v2_fee")]
        fee: Option<[u32; 2]>,
    },
    /// A Uniswap V3 pool or fork.
    UniswapV3 {
        /// The pool.
        address: Address,
        /// Tick bitmap words loaded either side of the current one (default 2).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tick_words: Option<u16>,
    },
    /// A Uniswap V4 pool, by its key, in a `PoolManager` read through its `StateView`.
    UniswapV4 {
        /// The `PoolManager` (emits the pool's events).
        pool_manager: Address,
        /// The periphery's `StateView` for that manager.
        state_view: Address,
        /// The key's lower currency (`0x0…0` for native ether).
        currency0: Address,
        /// The key's higher currency.
        currency1: Address,
        /// The key's fee in hundredths of a bip (`8388608` = `0x800000` for a dynamic fee).
        fee: u32,
        /// The key's tick spacing.
        tick_spacing: i32,
        /// The key's hooks (default none).
        #[serde(default)]
        hooks: Address,
        /// Tick bitmap words loaded either side of the current one (default 2).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tick_words: Option<u16>,
    },
    /// A Balancer V2 pool (state read from the Vault).
    BalancerV2 {
        /// The Vault.
        vault: Address,
        /// The pool id.
        pool_id: B256,
        /// `weighted` or `composable-stable` to read and quote the pool with its math; `other`
        /// (the default) keeps its balances only.
        #[serde(default)]
        pool_type: BalancerPoolTypeConfig,
    },
    /// A Curve StableSwap pool.
    Curve {
        /// The pool.
        address: Address,
        /// Number of coins, 2–8.
        n_coins: u8,
    },
}

/// `fee = [numerator, denominator]`, with an error that names the key (an internally tagged
/// enum's field errors carry no path).
fn v2_fee<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<[u32; 2]>, D::Error> {
    struct Fee;
    impl<'de> serde::de::Visitor<'de> for Fee {
        type Value = [u32; 2];

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a uniswap-v2 fee as [numerator, denominator], e.g. fee = [997, 1000]")
        }

        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> std::result::Result<[u32; 2], A::Error> {
            let n =
                seq.next_element()?.ok_or_else(|| serde::de::Error::invalid_length(0, &self))?;
            let d =
                seq.next_element()?.ok_or_else(|| serde::de::Error::invalid_length(1, &self))?;
            if seq.next_element::<u32>()?.is_some() {
                return Err(serde::de::Error::invalid_length(3, &self));
            }
            Ok([n, d])
        }
    }
    d.deserialize_seq(Fee).map(Some)
}

/// A Balancer V2 pool's type in the config.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BalancerPoolTypeConfig {
    /// A `WeightedPool`.
    Weighted,
    /// A `ComposableStablePool`.
    ComposableStable,
    /// Any other: balances only, not quoted.
    #[default]
    Other,
}

impl PoolConfig {
    /// The reserve cache's key for the pool (after [`PoolConfig::validate`]; an invalid V2
    /// fee falls back to Uniswap's).
    pub fn key(&self) -> PoolKey {
        match *self {
            Self::UniswapV2 { address, fee: None } => PoolKey::uniswap_v2(address),
            Self::UniswapV2 { address, fee: Some([n, d]) } => {
                PoolKey::uniswap_v2_fork(address, V2Fee::new(n, d).unwrap_or_default())
            }
            Self::UniswapV3 { address, tick_words } => PoolKey::uniswap_v3_with_ticks(
                address,
                tick_words.unwrap_or(mev_reserve_cache::DEFAULT_TICK_WORDS),
            ),
            Self::UniswapV4 {
                pool_manager,
                state_view,
                currency0,
                currency1,
                fee,
                tick_spacing,
                hooks,
                tick_words,
            } => PoolKey::uniswap_v4_with_ticks(
                pool_manager,
                state_view,
                V4PoolKey { currency0, currency1, fee, tick_spacing, hooks },
                tick_words.unwrap_or(mev_reserve_cache::DEFAULT_TICK_WORDS),
            ),
            Self::BalancerV2 { vault, pool_id, pool_type } => {
                let pool_type = match pool_type {
                    BalancerPoolTypeConfig::Weighted => BalancerPoolType::Weighted,
                    BalancerPoolTypeConfig::ComposableStable => BalancerPoolType::ComposableStable,
                    BalancerPoolTypeConfig::Other => BalancerPoolType::Other,
                };
                PoolKey::balancer_v2_of_type(vault, pool_id, pool_type)
            }
            Self::Curve { address, n_coins } => PoolKey::curve(address, n_coins),
        }
    }

    /// The contract whose logs change the pool (the Vault for Balancer, the `PoolManager` for
    /// Uniswap V4).
    pub const fn emitter(&self) -> Address {
        match *self {
            Self::UniswapV2 { address, .. }
            | Self::UniswapV3 { address, .. }
            | Self::Curve { address, .. } => address,
            Self::UniswapV4 { pool_manager, .. } => pool_manager,
            Self::BalancerV2 { vault, .. } => vault,
        }
    }

    /// Rejects a pool no chain has, naming it and the key at fault.
    ///
    /// # Errors
    /// [`BotError::Config`].
    pub fn validate(&self) -> Result<()> {
        let reason = match *self {
            Self::Curve { n_coins, address } if !(2..=8).contains(&n_coins) => {
                format!("curve pool {address}: n_coins must be 2..=8, not {n_coins}")
            }
            Self::UniswapV2 { address, fee: Some([n, d]) } if V2Fee::new(n, d).is_err() => {
                format!(
                    "uniswap-v2 pool {address}: fee [{n}, {d}] must be [numerator, denominator] \
                     with 0 < denominator and numerator <= denominator"
                )
            }
            Self::UniswapV4 { fee, tick_spacing, currency0, currency1, .. } => {
                if currency0 >= currency1 {
                    format!(
                        "uniswap-v4 pool: currency0 {currency0} must be below currency1 \
                         {currency1}"
                    )
                } else if fee > mev_swap_math::MAX_SWAP_FEE
                    && fee != mev_swap_math::DYNAMIC_FEE_FLAG
                {
                    format!(
                        "uniswap-v4 pool {currency0}/{currency1}: fee {fee} must be at most \
                         1000000 or 8388608 (dynamic)"
                    )
                } else if !(1..=mev_swap_math::MAX_TICK_SPACING_V4).contains(&tick_spacing) {
                    format!(
                        "uniswap-v4 pool {currency0}/{currency1}: tick_spacing {tick_spacing} \
                         must be 1..=32767"
                    )
                } else {
                    return Ok(());
                }
            }
            _ => return Ok(()),
        };
        Err(BotError::Config { reason })
    }
}

/// A Chainlink aggregator feeding a market's oracle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceFeedConfig {
    /// The aggregator that emits `AnswerUpdated`.
    pub feed: Address,
    /// The name of the market whose prices it moves.
    pub market: String,
}

/// How the pipeline evaluates positions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PipelineConfig {
    /// Consecutive unhealthy blocks before a position becomes an
    /// [`Opportunity`](crate::Opportunity). Default 2.
    pub confirmations: u64,
    /// Emit the opportunity again at every further block the position stays liquidatable
    /// (a liquidation that failed or was not taken is offered again), instead of once per
    /// unhealthy streak. Default false (once), which keeps recordings replaying to the same
    /// output; a liquidation bot that retries wants true.
    pub opportunity_every_block: bool,
    /// Health factor (WAD, `1e18` = 1.0) below which a position is re-read from chain every
    /// block, and below which a position repriced locally after a price move is re-read at
    /// once. Default `1.01e18`: interest moves a health factor by far less than 1 % within a
    /// reconciliation period, so only prices (handled by repricing) can cross the line faster.
    #[serde(with = "crate::decimal")]
    pub watch_health_factor: U256,
    /// Every tracked position is re-read from chain (and rewritten, refreshing its TTL) at
    /// least once per this many seconds of chain time: after each block the *sweep* re-reads
    /// the share of the positions the block's time step covers. Keep it below the store's TTL.
    /// Default 30 (the position TTL is 60 s). Also read as `reconcile_seconds`, its former name.
    #[serde(alias = "reconcile_seconds")]
    pub sweep_seconds: u64,
    /// Blocks kept for rolling back a reorg. Default 64.
    pub max_reorg_depth: usize,
    /// Blocks per `eth_getLogs` request when discovering borrowers at start-up (mev-rebuild's
    /// discovery: ranges the node rejects are split, rate limits backed off). Default 10,000.
    pub log_range: u64,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        Self {
            confirmations: 2,
            opportunity_every_block: false,
            watch_health_factor: U256::from(1_010_000_000_000_000_000u64),
            sweep_seconds: 30,
            max_reorg_depth: 64,
            log_range: 10_000,
        }
    }
}

impl PipelineConfig {
    /// Fails with [`BotError::Config`] on a zero count or a reorg depth above
    /// [`MAX_REORG_DEPTH`](Self::MAX_REORG_DEPTH).
    pub fn validate(&self) -> Result<()> {
        for (what, v) in [
            ("pipeline.confirmations", self.confirmations),
            ("pipeline.sweep_seconds", self.sweep_seconds),
            ("pipeline.max_reorg_depth", self.max_reorg_depth as u64),
            ("pipeline.log_range", self.log_range),
        ] {
            if v == 0 {
                return Err(BotError::Config { reason: format!("{what} must be at least 1") });
            }
        }
        if self.max_reorg_depth > Self::MAX_REORG_DEPTH {
            return Err(BotError::Config {
                reason: format!(
                    "pipeline.max_reorg_depth {} is above {}",
                    self.max_reorg_depth,
                    Self::MAX_REORG_DEPTH
                ),
            });
        }
        Ok(())
    }

    /// The deepest reorg history accepted (a day of 1-second blocks).
    pub const MAX_REORG_DEPTH: usize = 100_000;
}

#[cfg(all(test, feature = "toml"))]
mod tests {
    use super::*;

    #[test]
    fn rejects_unknown_keys_and_feeds_of_unknown_markets() {
        let e = BotConfig::from_toml("[pipeline]\nconfirmation = 2\n").unwrap_err();
        assert!(e.to_string().contains("unknown field `confirmation`"), "{e}");
        let e = BotConfig::from_toml(
            "[[price_feeds]]\nfeed = \"0x0000000000000000000000000000000000000001\"\nmarket = \"x\"\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("market \"x\""), "{e}");
        let e = BotConfig::from_toml("[pipeline]\nconfirmations = 0\n").unwrap_err();
        assert!(e.to_string().contains("pipeline.confirmations"), "{e}");
    }

    #[test]
    fn oversized_and_misspelt_files_are_refused() {
        let e = BotConfig::load("/dev/zero".as_ref()).unwrap_err();
        assert!(e.to_string().contains("larger than 1048576 bytes"), "{e}");
        let e = BotConfig::from_toml(
            "[[aave_v3]]\npool = \"0x0000000000000000000000000000000000000001\"\nstart_blok = 5\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("unknown field `start_blok`"), "{e}");
        let e = BotConfig::from_toml("[follow]\nstall_blocks = 0\n").unwrap_err();
        assert!(e.to_string().contains("follow.stall_blocks"), "{e}");
        let e = BotConfig::from_toml("[pipeline]\nmax_reorg_depth = 18446744073709551615\n");
        assert!(e.unwrap_err().to_string().contains("max_reorg_depth"));
    }

    #[test]
    fn the_bundled_example_parses() {
        let text = include_str!("../config/base.example.toml");
        let c = BotConfig::from_toml(text).unwrap();
        assert_eq!((c.aave_v3.len(), c.compound_v2.len(), c.pools.len()), (1, 1, 1));
        assert_eq!(c.compound_v2[0].name, "moonwell");
        assert_eq!(c.pipeline, PipelineConfig::default());
    }

    #[test]
    fn round_trips_through_toml() {
        let mut c = BotConfig::default();
        c.pools.push(PoolConfig::Curve { address: Address::repeat_byte(1), n_coins: 3 });
        c.aave_v3.push(AaveV3Config { pool: Address::repeat_byte(2), ..Default::default() });
        let text = toml::to_string(&c).unwrap();
        assert_eq!(BotConfig::from_toml(&text).unwrap(), c);
    }
}
