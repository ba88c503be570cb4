//! [`AaveV3Protocol`]: the Aave V3 family adapter (Aave 3.0–3.5, Seamless, Spark).

use std::collections::BTreeMap;

use alloy_primitives::{Address, U256};
use alloy_rpc_types_eth::{Filter, Log};
use alloy_sol_types::SolEvent;
use async_trait::async_trait;
use mev_chain::{ChainReader, IMulticall3, MULTICALL3_ADDRESS};
use mev_health_calc::{
    AaveBalances, AavePosition, AaveReserveConfig, AaveUserReserve, AaveVersion, EModeCategory,
    PositionHealth, ReserveIndexState,
};
use mev_position_cache::Position;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::{
    bindings::{
        IAaveDataProvider, IAaveOracle, IAavePool, IAavePoolEModeV30, IAavePoolEModeV32,
        IAavePoolEModeV36, IPoolAddressesProvider,
    },
    error::{RebuildError, Result},
    multicall::{DEFAULT_MAX_CALLS_PER_REQUEST, aggregate3, aggregate3_all, call3, decode},
    protocol::{AaveInputs, ChainPosition, HealthInputs, LendingProtocol},
    release::{AaveRelease, probe_calls, release_from},
    split::split_evenly,
};

/// Where an Aave V3 market lives and how to read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AaveV3Config {
    /// Protocol id for positions and checkpoints. Default `"aave-v3"`.
    pub name: String,
    /// The `Pool` proxy (emits the events, answers `getReserveData`/`getUserEMode`).
    pub pool: Address,
    /// The `AaveProtocolDataProvider` (answers `getUserReserveData`).
    pub data_provider: Address,
    /// The `AaveOracle`; `None` reads it from the pool's `PoolAddressesProvider`.
    pub oracle: Option<Address>,
    /// The pool's release, which selects the arithmetic. `None` (the default): detected from
    /// the pool by [`AaveV3Protocol::connect`] ([`detect_aave_release`](crate::detect_aave_release)). `Some`: an override
    /// for pools whose release detection cannot tell (a fork numbering its revisions its own
    /// way); `connect` still detects, and logs a warning when the two disagree.
    pub version: Option<AaveVersion>,
    /// The pool's deployment block: where borrower discovery starts.
    pub start_block: u64,
    /// The Multicall3 contract. Default the canonical address.
    pub multicall: Address,
    /// Most calls in one `aggregate3` request. Default [`DEFAULT_MAX_CALLS_PER_REQUEST`].
    pub max_calls_per_request: usize,
    /// Most `aggregate3` requests in flight at once. Default 4.
    pub max_concurrent_requests: usize,
}

impl Default for AaveV3Config {
    fn default() -> Self {
        Self {
            name: "aave-v3".into(),
            pool: Address::ZERO,
            data_provider: Address::ZERO,
            oracle: None,
            version: None,
            start_block: 0,
            multicall: MULTICALL3_ADDRESS,
            max_calls_per_request: DEFAULT_MAX_CALLS_PER_REQUEST,
            max_concurrent_requests: 4,
        }
    }
}

/// One reserve of an Aave market at one block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AaveReserveState {
    /// The underlying asset.
    pub asset: Address,
    /// The reserve id and risk configuration (from the configuration bitmap); balances zero.
    pub template: AaveUserReserve,
    /// Indexes (RAY), rates (RAY per year) and last update (seconds).
    pub indexes: ReserveIndexState,
}

/// The Aave V3 family adapter: discovers borrowers from `Borrow` logs and reads positions with
/// Multicall3 batches of `AaveProtocolDataProvider.getUserReserveData` per reserve, plus the
/// reserves' configuration, indexes and oracle prices once per read.
///
/// Requests per read of `n` users on a market of `r` reserves:
/// `ceil((1 + 2r + n(r + 1)) / max_calls_per_request)`, plus one (two with 3.0/3.1 price
/// sources) when some user is in eMode. With 4 reserves and the default budget that is one
/// request per ~200 users.
#[derive(Debug, Clone)]
pub struct AaveV3Protocol {
    config: AaveV3Config,
    /// The release whose arithmetic is used: the configured one, else the detected one.
    version: AaveVersion,
    /// What the pool said at connect; `None` for [`AaveV3Protocol::with_reserves`].
    detected: Option<AaveRelease>,
    oracle: Address,
    reserves: Vec<Address>,
}

impl AaveV3Protocol {
    /// Connects to a market: detects the pool's release (the calls of
    /// [`detect_aave_release`](crate::detect_aave_release)), reads `getReservesList` and (when
    /// not configured) the oracle from the pool's addresses provider at `block`, in one or two
    /// requests.
    ///
    /// The arithmetic follows the detected release unless [`AaveV3Config::version`] overrides
    /// it; an override that disagrees with the pool is logged as a warning
    /// ([`AaveV3Protocol::version_mismatch`] tells the caller). A pool that does not answer the
    /// detection calls is an error unless a release is configured, which is then used (with a
    /// warning).
    pub async fn connect(
        reader: &dyn ChainReader,
        config: AaveV3Config,
        block: u64,
    ) -> Result<Self> {
        validate(&config)?;
        let pool = config.pool;
        let mut calls = vec![
            call3(pool, &IAavePool::getReservesListCall {}),
            call3(pool, &IAavePool::ADDRESSES_PROVIDERCall {}),
        ];
        calls.extend(probe_calls(pool));
        let out = aggregate3(reader, config.multicall, calls, block).await?;
        let probed = release_from(pool, out.get(2..).unwrap_or_default());
        let (version, detected) = match (probed, config.version) {
            (Ok(d), configured) => {
                let version = configured.unwrap_or(d.version);
                if version == d.version {
                    tracing::debug!(%pool, release = %version, revision = ?d.revision, "Aave release");
                } else {
                    tracing::warn!(
                        %pool,
                        configured = %version,
                        detected = %d.version,
                        revision = ?d.revision,
                        "the configured Aave release disagrees with the pool's: health factors \
                         and liquidations follow the configured {version}, the pool runs {}",
                        d.version
                    );
                }
                (version, Some(d))
            }
            // A pool that does not answer the probes (a fork without `POOL_REVISION`): the
            // configured release is all there is.
            (Err(e), Some(version)) => {
                tracing::warn!(%pool, "cannot detect the Aave release ({e}); using the configured {version}");
                (version, None)
            }
            (Err(e), None) => return Err(e),
        };
        let reserves = decode::<IAavePool::getReservesListCall>(pool, &out[0])?;
        let oracle = match config.oracle {
            Some(oracle) => oracle,
            None => {
                let provider = decode::<IAavePool::ADDRESSES_PROVIDERCall>(pool, &out[1])?;
                let call = call3(provider, &IPoolAddressesProvider::getPriceOracleCall {});
                let out = aggregate3(reader, config.multicall, vec![call], block).await?;
                decode::<IPoolAddressesProvider::getPriceOracleCall>(provider, &out[0])?
            }
        };
        let mut protocol = Self::build_checked(config, version, oracle, reserves)?;
        protocol.detected = detected;
        Ok(protocol)
    }

    /// An adapter for a market whose release, oracle and reserve list (in `getReservesList`
    /// order) are already known; no request.
    ///
    /// # Errors
    /// [`RebuildError::Config`] naming `version` when the config leaves the release to
    /// detection (this constructor reads nothing), or `max_calls_per_request` when it is below
    /// one user's calls.
    pub fn with_reserves(
        config: AaveV3Config,
        oracle: Address,
        reserves: Vec<Address>,
    ) -> Result<Self> {
        let Some(version) = config.version else {
            return Err(RebuildError::config(
                "version",
                "is required without a connection (with_reserves reads nothing); use connect \
                 to detect it",
            ));
        };
        Self::build_checked(config, version, oracle, reserves)
    }

    fn build_checked(
        config: AaveV3Config,
        version: AaveVersion,
        oracle: Address,
        reserves: Vec<Address>,
    ) -> Result<Self> {
        validate(&config)?;
        let needed = 1 + 3 * reserves.len() + 1;
        if config.max_calls_per_request < needed {
            return Err(RebuildError::config(
                "max_calls_per_request",
                format!(
                    "{} is below {needed}, the calls for one user",
                    config.max_calls_per_request
                ),
            ));
        }
        Ok(Self { config, version, detected: None, oracle, reserves })
    }

    /// The release whose arithmetic the adapter uses: [`AaveV3Config::version`] when set, else
    /// the detected one.
    pub const fn version(&self) -> AaveVersion {
        self.version
    }

    /// What [`detect_aave_release`](crate::detect_aave_release) read from the pool at connect (`None` after
    /// [`AaveV3Protocol::with_reserves`]).
    pub const fn detected_release(&self) -> Option<&AaveRelease> {
        self.detected.as_ref()
    }

    /// `Some((used, detected))` when the configured release overrides a different detected
    /// one: the case [`AaveV3Protocol::connect`] warns about.
    pub fn version_mismatch(&self) -> Option<(AaveVersion, AaveVersion)> {
        self.detected.filter(|d| d.version != self.version).map(|d| (self.version, d.version))
    }

    /// The configuration.
    pub const fn config(&self) -> &AaveV3Config {
        &self.config
    }

    /// The oracle used for prices.
    pub const fn oracle(&self) -> Address {
        self.oracle
    }

    /// The listed reserves, in `getReservesList` order.
    pub fn reserves(&self) -> &[Address] {
        &self.reserves
    }

    fn market_calls(&self) -> Vec<IMulticall3::Call3> {
        let mut calls = Vec::with_capacity(1 + 2 * self.reserves.len());
        calls.push(call3(self.config.multicall, &IMulticall3::getCurrentBlockTimestampCall {}));
        for &asset in &self.reserves {
            calls.push(call3(self.config.pool, &IAavePool::getReserveDataCall { asset }));
        }
        for &asset in &self.reserves {
            calls.push(call3(self.oracle, &IAaveOracle::getAssetPriceCall { asset }));
        }
        calls
    }

    fn user_calls(&self, user: Address, calls: &mut Vec<IMulticall3::Call3>) {
        calls.push(call3(self.config.pool, &IAavePool::getUserEModeCall { user }));
        for &asset in &self.reserves {
            calls.push(call3(
                self.config.data_provider,
                &IAaveDataProvider::getUserReserveDataCall { asset, user },
            ));
        }
    }

    fn decode_market(
        &self,
        out: &[mev_chain::Call3Result],
    ) -> Result<(u64, Vec<AaveReserveState>)> {
        let r = self.reserves.len();
        let timestamp =
            decode::<IMulticall3::getCurrentBlockTimestampCall>(self.config.multicall, &out[0])?
                .saturating_to::<u64>();
        let mut states = Vec::with_capacity(r);
        for (i, &asset) in self.reserves.iter().enumerate() {
            let data = decode::<IAavePool::getReserveDataCall>(self.config.pool, &out[1 + i])?;
            let price = decode::<IAaveOracle::getAssetPriceCall>(self.oracle, &out[1 + r + i])?;
            states.push(AaveReserveState {
                asset,
                template: AaveUserReserve {
                    asset,
                    reserve_id: data.id,
                    config: AaveReserveConfig::from_bitmap(data.configuration.data),
                    price,
                    usage_as_collateral_enabled: false,
                    balances: AaveBalances::default(),
                },
                indexes: ReserveIndexState {
                    liquidity_index: U256::from(data.liquidityIndex),
                    variable_borrow_index: U256::from(data.variableBorrowIndex),
                    liquidity_rate: U256::from(data.currentLiquidityRate),
                    variable_borrow_rate: U256::from(data.currentVariableBorrowRate),
                    last_update_timestamp: data.lastUpdateTimestamp.to::<u64>(),
                },
            });
        }
        Ok((timestamp, states))
    }

    /// Reads the eMode categories `ids` (nonzero) at `block`.
    async fn emode_categories(
        &self,
        reader: &dyn ChainReader,
        ids: &[u8],
        block: u64,
    ) -> Result<BTreeMap<u8, EModeCategory>> {
        let pool = self.config.pool;
        let mut out = BTreeMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        if self.version.emode_by_asset_category() {
            let calls = ids
                .iter()
                .map(|&id| call3(pool, &IAavePoolEModeV30::getEModeCategoryDataCall { id }))
                .collect();
            let res = aggregate3(reader, self.config.multicall, calls, block).await?;
            let mut sources = Vec::new();
            for (&id, r) in ids.iter().zip(&res) {
                let c = decode::<IAavePoolEModeV30::getEModeCategoryDataCall>(pool, r)?;
                if c.priceSource != Address::ZERO {
                    sources.push((id, c.priceSource));
                }
                out.insert(
                    id,
                    EModeCategory {
                        id,
                        ltv: c.ltv,
                        liquidation_threshold: c.liquidationThreshold,
                        liquidation_bonus: c.liquidationBonus,
                        price: U256::ZERO,
                        collateral_bitmap: 0,
                        ltvzero_bitmap: 0,
                    },
                );
            }
            if !sources.is_empty() {
                let calls = sources
                    .iter()
                    .map(|&(_, asset)| {
                        call3(self.oracle, &IAaveOracle::getAssetPriceCall { asset })
                    })
                    .collect();
                let res = aggregate3(reader, self.config.multicall, calls, block).await?;
                for (&(id, _), r) in sources.iter().zip(&res) {
                    let price = decode::<IAaveOracle::getAssetPriceCall>(self.oracle, r)?;
                    if let Some(c) = out.get_mut(&id) {
                        c.price = price;
                    }
                }
            }
        } else {
            // Per category: collateral config, collateral bitmap and, on 3.6+, LTV-zero bitmap.
            let per = if self.version.emode_ltv_decoupled() { 3 } else { 2 };
            let mut calls = Vec::with_capacity(per * ids.len());
            for &id in ids {
                calls.push(call3(
                    pool,
                    &IAavePoolEModeV32::getEModeCategoryCollateralConfigCall { id },
                ));
                calls.push(call3(
                    pool,
                    &IAavePoolEModeV32::getEModeCategoryCollateralBitmapCall { id },
                ));
                if per == 3 {
                    calls.push(call3(
                        pool,
                        &IAavePoolEModeV36::getEModeCategoryLtvzeroBitmapCall { id },
                    ));
                }
            }
            let res = aggregate3(reader, self.config.multicall, calls, block).await?;
            for (i, &id) in ids.iter().enumerate() {
                let c = decode::<IAavePoolEModeV32::getEModeCategoryCollateralConfigCall>(
                    pool,
                    &res[per * i],
                )?;
                let bitmap = decode::<IAavePoolEModeV32::getEModeCategoryCollateralBitmapCall>(
                    pool,
                    &res[per * i + 1],
                )?;
                let ltvzero_bitmap = if per == 3 {
                    decode::<IAavePoolEModeV36::getEModeCategoryLtvzeroBitmapCall>(
                        pool,
                        &res[per * i + 2],
                    )?
                } else {
                    0
                };
                out.insert(
                    id,
                    EModeCategory {
                        id,
                        ltv: c.ltv,
                        liquidation_threshold: c.liquidationThreshold,
                        liquidation_bonus: c.liquidationBonus,
                        price: U256::ZERO,
                        collateral_bitmap: bitmap,
                        ltvzero_bitmap,
                    },
                );
            }
        }
        Ok(out)
    }

    fn build(
        &self,
        user: Address,
        block: u64,
        timestamp: u64,
        emode: Option<EModeCategory>,
        reserves: Vec<AaveUserReserve>,
    ) -> Result<ChainPosition> {
        let version = self.version;
        let view = AavePosition { version, timestamp, emode, reserves: &reserves };
        let account =
            view.account_data().map_err(|source| RebuildError::Health { user, source })?;
        let mut position = Position::new(self.config.name.clone(), user).at_block(block);
        for r in &reserves {
            let AaveBalances::Current { a_token, variable_debt, stable_debt } = r.balances else {
                continue;
            };
            if !a_token.is_zero() && r.usage_as_collateral_enabled {
                let lt = effective_threshold(version, emode.as_ref(), r);
                position = position.with_collateral(r.asset, a_token, Decimal::new(lt.into(), 4));
            }
            let debt = if version.counts_stable_debt() {
                variable_debt.saturating_add(stable_debt)
            } else {
                variable_debt
            };
            if !debt.is_zero() {
                position = position.with_debt(r.asset, debt);
            }
        }
        position = position.with_health_factor(account.health_factor);
        Ok(ChainPosition {
            position,
            health: PositionHealth::from_aave(version, &account),
            inputs: HealthInputs::Aave(AaveInputs { version, timestamp, emode, reserves, account }),
        })
    }
}

#[async_trait]
impl LendingProtocol for AaveV3Protocol {
    fn name(&self) -> &str {
        &self.config.name
    }

    fn start_block(&self) -> u64 {
        self.config.start_block
    }

    fn log_filter(&self) -> Filter {
        Filter::new().address(self.config.pool).event_signature(IAavePool::Borrow::SIGNATURE_HASH)
    }

    fn emitters(&self) -> Vec<Address> {
        vec![self.config.pool]
    }

    fn price_oracle(&self) -> Address {
        self.oracle
    }

    fn family(&self) -> mev_event_decoder::Protocol {
        mev_event_decoder::Protocol::AaveV3
    }

    fn price_sources(&self) -> Vec<Address> {
        vec![self.oracle]
    }

    /// Tries every (collateral, debt) pair with the maximum debt to cover (the pool caps it by
    /// the close factor and the collateral available) and keeps the highest gross profit.
    fn best_liquidation(&self, position: &ChainPosition) -> Option<crate::Liquidation> {
        let HealthInputs::Aave(a) = &position.inputs else { return None };
        let view = a.position();
        let mut best: Option<crate::Liquidation> = None;
        for c in &a.reserves {
            for d in &a.reserves {
                let Ok(plan) = view.plan_liquidation(c.asset, d.asset, U256::MAX) else {
                    continue;
                };
                let candidate = crate::Liquidation {
                    collateral_asset: c.asset,
                    debt_asset: d.asset,
                    debt_to_cover: plan.debt_to_cover,
                    collateral_to_liquidator: plan.collateral_to_liquidator,
                    gross_profit_base: plan.gross_profit_base(),
                    protocol_fee: plan.protocol_fee,
                    debt_to_pass: plan.debt_to_pass(),
                };
                if best.is_none_or(|b| candidate.gross_profit_base > b.gross_profit_base) {
                    best = Some(candidate);
                }
            }
        }
        best
    }

    async fn read_prices(
        &self,
        reader: &dyn ChainReader,
        block: u64,
    ) -> Result<Vec<(Address, U256)>> {
        let calls = self
            .reserves
            .iter()
            .map(|&asset| call3(self.oracle, &IAaveOracle::getAssetPriceCall { asset }))
            .collect();
        let out = aggregate3(reader, self.config.multicall, calls, block).await?;
        self.reserves
            .iter()
            .zip(&out)
            .map(|(&asset, r)| {
                Ok((asset, decode::<IAaveOracle::getAssetPriceCall>(self.oracle, r)?))
            })
            .collect()
    }

    fn borrower(&self, log: &Log) -> Option<Address> {
        if log.address() != self.config.pool
            || log.topic0() != Some(&IAavePool::Borrow::SIGNATURE_HASH)
        {
            return None;
        }
        // Borrow(reserve indexed, user, onBehalfOf indexed, …): the debt is onBehalfOf's.
        log.topics().get(2).map(|t| Address::from_word(*t))
    }

    async fn read_positions(
        &self,
        reader: &dyn ChainReader,
        users: &[Address],
        block: u64,
    ) -> Result<Vec<ChainPosition>> {
        let r = self.reserves.len();
        let per_user = r + 1;
        let market = self.market_calls();
        let prefix = market.len();
        let chunks = split_evenly(users.len(), prefix, per_user, self.config.max_calls_per_request);
        let mut requests = Vec::with_capacity(chunks.len().max(1));
        let mut market = Some(market);
        for range in chunks.iter().cloned() {
            let mut calls = market.take().unwrap_or_default();
            for &user in &users[range] {
                self.user_calls(user, &mut calls);
            }
            requests.push(calls);
        }
        if let Some(calls) = market {
            requests.push(calls);
        }
        let results = aggregate3_all(
            reader,
            self.config.multicall,
            requests,
            block,
            self.config.max_concurrent_requests,
            prefix,
        )
        .await?;
        let first = results.first().map(Vec::as_slice).unwrap_or_default();
        let (timestamp, states) = self.decode_market(&first[..prefix])?;

        // Per user: (eMode id, reserves).
        let mut decoded = Vec::with_capacity(users.len());
        let mut user_iter = users.iter();
        for (i, res) in results.iter().enumerate() {
            let body = if i == 0 { &res[prefix..] } else { &res[..] };
            for calls in body.chunks_exact(per_user) {
                let Some(&user) = user_iter.next() else { break };
                let emode = decode::<IAavePool::getUserEModeCall>(self.config.pool, &calls[0])?;
                let emode = u8::try_from(emode).map_err(|_| {
                    RebuildError::call("getUserEMode(address)", self.config.pool, "id above 255")
                })?;
                let mut reserves = Vec::with_capacity(r);
                for (state, result) in states.iter().zip(&calls[1..]) {
                    let d = decode::<IAaveDataProvider::getUserReserveDataCall>(
                        self.config.data_provider,
                        result,
                    )?;
                    let mut reserve = state.template;
                    reserve.usage_as_collateral_enabled = d.usageAsCollateralEnabled;
                    reserve.balances = AaveBalances::Current {
                        a_token: d.currentATokenBalance,
                        variable_debt: d.currentVariableDebt,
                        stable_debt: d.currentStableDebt,
                    };
                    reserves.push(reserve);
                }
                decoded.push((user, emode, reserves));
            }
        }
        if decoded.len() != users.len() {
            return Err(RebuildError::Decode {
                what: "aggregate3 result",
                reason: format!("{} positions for {} users", decoded.len(), users.len()),
            });
        }
        let mut ids: Vec<u8> = decoded.iter().map(|d| d.1).filter(|&id| id != 0).collect();
        ids.sort_unstable();
        ids.dedup();
        let categories = self.emode_categories(reader, &ids, block).await?;
        decoded
            .into_iter()
            .map(|(user, id, reserves)| {
                let emode = categories.get(&id).copied();
                self.build(user, block, timestamp, emode, reserves)
            })
            .collect()
    }
}

/// The liquidation threshold the pool applies to `reserve` for this user, bps.
fn effective_threshold(
    version: AaveVersion,
    emode: Option<&EModeCategory>,
    reserve: &AaveUserReserve,
) -> u16 {
    let Some(c) = emode.filter(|c| c.id != 0) else {
        return reserve.config.liquidation_threshold;
    };
    let applies = if version.emode_by_asset_category() {
        reserve.config.emode_category == c.id
    } else {
        reserve.reserve_id < 128 && (c.collateral_bitmap >> reserve.reserve_id) & 1 == 1
    };
    if applies { c.liquidation_threshold } else { reserve.config.liquidation_threshold }
}

fn validate(config: &AaveV3Config) -> Result<()> {
    if config.name.is_empty() {
        return Err(RebuildError::config("name", "must not be empty"));
    }
    if config.max_concurrent_requests == 0 {
        return Err(RebuildError::config("max_concurrent_requests", "must be at least 1"));
    }
    Ok(())
}
