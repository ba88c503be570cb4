//! [`CompoundV2Protocol`]: the Compound v2 family adapter (Compound, Moonwell, Sonne, …).

use alloy_primitives::{Address, U256};
use alloy_rpc_types_eth::{Filter, Log};
use alloy_sol_types::SolEvent;
use async_trait::async_trait;
use mev_chain::{ChainReader, MULTICALL3_ADDRESS};
use mev_health_calc::{CompoundAccount, CompoundMarket, PositionHealth};
use mev_position_cache::Position;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::{
    bindings::{ICToken, ICompoundOracle, IComptroller, IComptrollerMarkets},
    error::{RebuildError, Result},
    multicall::{DEFAULT_MAX_CALLS_PER_REQUEST, aggregate3, aggregate3_all, call3, decode},
    protocol::{ChainPosition, CompoundInputs, HealthInputs, LendingProtocol},
    split::split_evenly,
};

/// Where a Compound v2 family market lives and how to read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CompoundV2Config {
    /// Protocol id for positions and checkpoints. Default `"compound-v2"`.
    pub name: String,
    /// The `Comptroller` (Unitroller proxy).
    pub comptroller: Address,
    /// The price oracle; `None` reads `Comptroller.oracle()`.
    pub oracle: Option<Address>,
    /// The comptroller's deployment block: where borrower discovery starts.
    pub start_block: u64,
    /// The Multicall3 contract. Default the canonical address.
    pub multicall: Address,
    /// Most calls in one `aggregate3` request. Default [`DEFAULT_MAX_CALLS_PER_REQUEST`].
    pub max_calls_per_request: usize,
    /// Most `aggregate3` requests in flight at once. Default 4.
    pub max_concurrent_requests: usize,
}

impl Default for CompoundV2Config {
    fn default() -> Self {
        Self {
            name: "compound-v2".into(),
            comptroller: Address::ZERO,
            oracle: None,
            start_block: 0,
            multicall: MULTICALL3_ADDRESS,
            max_calls_per_request: DEFAULT_MAX_CALLS_PER_REQUEST,
            max_concurrent_requests: 4,
        }
    }
}

/// The Compound v2 family adapter: discovers borrowers from the markets' `Borrow` logs and
/// reads accounts with Multicall3 batches of `getAssetsIn` and `getAccountSnapshot` per market,
/// plus each market's collateral factor (`Comptroller.markets`) and
/// `oracle.getUnderlyingPrice` once per read.
///
/// Positions use the market (cToken/mToken) as the leg asset: collateral amounts in cToken
/// units (8 decimals), debt in underlying wei (`borrowBalanceStored`), liquidation threshold =
/// collateral factor. The health factor is `sumCollateral / sumBorrow` (WAD, see
/// [`PositionHealth::from_compound`]); liquidatable iff shortfall > 0.
#[derive(Debug, Clone)]
pub struct CompoundV2Protocol {
    config: CompoundV2Config,
    oracle: Address,
    markets: Vec<Address>,
}

impl CompoundV2Protocol {
    /// Connects: reads `getAllMarkets` and (when not configured) `oracle()` at `block`, in one
    /// request.
    pub async fn connect(
        reader: &dyn ChainReader,
        config: CompoundV2Config,
        block: u64,
    ) -> Result<Self> {
        let c = config.comptroller;
        let calls = vec![
            call3(c, &IComptroller::getAllMarketsCall {}),
            call3(c, &IComptroller::oracleCall {}),
        ];
        let out = aggregate3(reader, config.multicall, calls, block).await?;
        let markets = decode::<IComptroller::getAllMarketsCall>(c, &out[0])?;
        let oracle = match config.oracle {
            Some(o) => o,
            None => decode::<IComptroller::oracleCall>(c, &out[1])?,
        };
        Self::with_markets(config, oracle, markets)
    }

    /// An adapter for known markets and oracle; no request.
    pub fn with_markets(
        config: CompoundV2Config,
        oracle: Address,
        markets: Vec<Address>,
    ) -> Result<Self> {
        if config.name.is_empty() {
            return Err(RebuildError::config("name", "must not be empty"));
        }
        if config.max_concurrent_requests == 0 {
            return Err(RebuildError::config("max_concurrent_requests", "must be at least 1"));
        }
        let needed = 3 * markets.len() + 1;
        if config.max_calls_per_request < needed {
            return Err(RebuildError::config(
                "max_calls_per_request",
                format!(
                    "{} is below {needed}, the calls for one user",
                    config.max_calls_per_request
                ),
            ));
        }
        Ok(Self { config, oracle, markets })
    }

    /// The configuration.
    pub const fn config(&self) -> &CompoundV2Config {
        &self.config
    }

    /// The markets (cTokens), in `getAllMarkets` order.
    pub fn markets(&self) -> &[Address] {
        &self.markets
    }

    /// The price oracle.
    pub const fn oracle(&self) -> Address {
        self.oracle
    }

    fn build(
        &self,
        user: Address,
        block: u64,
        markets: Vec<CompoundMarket>,
    ) -> Result<ChainPosition> {
        let liquidity = CompoundAccount { markets: &markets }
            .liquidity()
            .map_err(|source| RebuildError::Health { user, source })?;
        let health = PositionHealth::from_compound(&liquidity);
        let mut position = Position::new(self.config.name.clone(), user).at_block(block);
        for m in &markets {
            if m.entered && !m.c_token_balance.is_zero() {
                position = position.with_collateral(
                    m.market,
                    m.c_token_balance,
                    mantissa_to_decimal(m.collateral_factor),
                );
            }
            if !m.borrow_balance.is_zero() {
                position = position.with_debt(m.market, m.borrow_balance);
            }
        }
        position = position.with_health_factor(health.health_factor.wad());
        Ok(ChainPosition {
            position,
            health,
            inputs: HealthInputs::Compound(CompoundInputs { markets, liquidity }),
        })
    }
}

#[async_trait]
impl LendingProtocol for CompoundV2Protocol {
    fn name(&self) -> &str {
        &self.config.name
    }

    fn start_block(&self) -> u64 {
        self.config.start_block
    }

    fn log_filter(&self) -> Filter {
        Filter::new().address(self.markets.clone()).event_signature(ICToken::Borrow::SIGNATURE_HASH)
    }

    fn emitters(&self) -> Vec<Address> {
        let mut out = self.markets.clone();
        out.push(self.config.comptroller);
        out
    }

    fn price_oracle(&self) -> Address {
        self.oracle
    }

    fn family(&self) -> mev_event_decoder::Protocol {
        mev_event_decoder::Protocol::CompoundV2
    }

    async fn read_prices(
        &self,
        reader: &dyn ChainReader,
        block: u64,
    ) -> Result<Vec<(Address, U256)>> {
        let calls = self
            .markets
            .iter()
            .map(|&market| {
                call3(self.oracle, &ICompoundOracle::getUnderlyingPriceCall { cToken: market })
            })
            .collect();
        let out = aggregate3(reader, self.config.multicall, calls, block).await?;
        self.markets
            .iter()
            .zip(&out)
            .map(|(&market, r)| {
                Ok((market, decode::<ICompoundOracle::getUnderlyingPriceCall>(self.oracle, r)?))
            })
            .collect()
    }

    fn borrower(&self, log: &Log) -> Option<Address> {
        if log.topic0() != Some(&ICToken::Borrow::SIGNATURE_HASH)
            || !self.markets.contains(&log.address())
        {
            return None;
        }
        // Borrow(address borrower, …): nothing indexed; the borrower is the first data word.
        let word = log.data().data.get(..32)?;
        Some(Address::from_word(alloy_primitives::B256::from_slice(word)))
    }

    async fn read_positions(
        &self,
        reader: &dyn ChainReader,
        users: &[Address],
        block: u64,
    ) -> Result<Vec<ChainPosition>> {
        let (c, n) = (self.config.comptroller, self.markets.len());
        let mut market_calls = Vec::with_capacity(2 * n);
        for &market in &self.markets {
            market_calls.push(call3(c, &IComptrollerMarkets::marketsCall { market }));
        }
        for &c_token in &self.markets {
            market_calls.push(call3(
                self.oracle,
                &ICompoundOracle::getUnderlyingPriceCall { cToken: c_token },
            ));
        }
        let prefix = market_calls.len();
        let per_user = n + 1;
        let mut requests = Vec::new();
        let mut first = Some(market_calls);
        for range in split_evenly(users.len(), prefix, per_user, self.config.max_calls_per_request)
        {
            let mut calls = first.take().unwrap_or_default();
            for &account in &users[range] {
                calls.push(call3(c, &IComptroller::getAssetsInCall { account }));
                for &m in &self.markets {
                    calls.push(call3(m, &ICToken::getAccountSnapshotCall { account }));
                }
            }
            requests.push(calls);
        }
        if let Some(calls) = first {
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
        let head = results.first().map(Vec::as_slice).unwrap_or_default();
        let mut templates = Vec::with_capacity(n);
        for (i, &market) in self.markets.iter().enumerate() {
            let m = decode::<IComptrollerMarkets::marketsCall>(c, &head[i])?;
            let price =
                decode::<ICompoundOracle::getUnderlyingPriceCall>(self.oracle, &head[n + i])?;
            templates.push(CompoundMarket {
                market,
                entered: false,
                c_token_balance: U256::ZERO,
                borrow_balance: U256::ZERO,
                exchange_rate: U256::ZERO,
                collateral_factor: m.collateralFactorMantissa,
                price,
            });
        }
        let mut out = Vec::with_capacity(users.len());
        let mut user_iter = users.iter();
        for (i, res) in results.iter().enumerate() {
            let body = if i == 0 { &res[prefix..] } else { &res[..] };
            for calls in body.chunks_exact(per_user) {
                let Some(&user) = user_iter.next() else { break };
                let entered = decode::<IComptroller::getAssetsInCall>(c, &calls[0])?;
                let mut markets = templates.clone();
                for (m, r) in markets.iter_mut().zip(&calls[1..]) {
                    let s = decode::<ICToken::getAccountSnapshotCall>(m.market, r)?;
                    if !s._0.is_zero() {
                        return Err(RebuildError::call(
                            "getAccountSnapshot(address)",
                            m.market,
                            format!("error code {}", s._0),
                        ));
                    }
                    m.entered = entered.contains(&m.market);
                    m.c_token_balance = s._1;
                    m.borrow_balance = s._2;
                    m.exchange_rate = s._3;
                }
                out.push(self.build(user, block, markets)?);
            }
        }
        if out.len() != users.len() {
            return Err(RebuildError::Decode {
                what: "aggregate3 result",
                reason: format!("{} accounts for {} users", out.len(), users.len()),
            });
        }
        Ok(out)
    }
}

/// A 1e18 mantissa as a fraction, truncated to 4 decimals (`0.8e18` → `0.8000`).
fn mantissa_to_decimal(mantissa: U256) -> Decimal {
    let bps = mantissa / U256::from(100_000_000_000_000u64);
    Decimal::new(bps.saturating_to::<i64>(), 4)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use alloy_primitives::{Bytes, address};

    use alloy_sol_types::{SolCall, SolValue};
    use mev_chain::{BlockHeader, IMulticall3};

    use super::*;

    /// Answers `aggregate3` from recorded `(target, calldata) → return data` pairs.
    #[derive(Debug, Default)]
    struct RecordedReader {
        answers: HashMap<(Address, Bytes), Bytes>,
        requests: std::sync::atomic::AtomicU64,
    }

    impl RecordedReader {
        fn record<C: SolCall>(&mut self, target: Address, call: &C, ret: Bytes) {
            self.answers.insert((target, Bytes::from(call.abi_encode())), ret);
        }
    }

    #[async_trait]
    impl ChainReader for RecordedReader {
        async fn block_number(&self) -> mev_chain::Result<u64> {
            Ok(100)
        }

        async fn header(&self, _number: u64) -> mev_chain::Result<Option<BlockHeader>> {
            Ok(None)
        }

        async fn call(&self, to: Address, data: Bytes, _block: u64) -> mev_chain::Result<Bytes> {
            self.requests.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            assert_eq!(to, MULTICALL3_ADDRESS);
            let calls = IMulticall3::aggregate3Call::abi_decode(&data).unwrap().calls;
            let results: Vec<IMulticall3::Result> = calls
                .into_iter()
                .map(|c| match self.answers.get(&(c.target, c.callData)) {
                    Some(r) => IMulticall3::Result { success: true, returnData: r.clone() },
                    None => IMulticall3::Result { success: false, returnData: Bytes::new() },
                })
                .collect();
            Ok(Bytes::from(IMulticall3::aggregate3Call::abi_encode_returns(&results)))
        }

        async fn logs(&self, _filter: &Filter) -> mev_chain::Result<Vec<Log>> {
            Ok(Vec::new())
        }
    }

    impl RecordedReader {
        fn requests(&self) -> u64 {
            self.requests.load(std::sync::atomic::Ordering::Relaxed)
        }
    }

    const COMPTROLLER: Address = address!("0xfBb21d0380beE3312B33c4353c8936a0F13EF26C");
    const ORACLE: Address = address!("0xEC942bE8A8114bFD0396A5052c36027f2cA6a9d0");
    const METH: Address = address!("0x628ff693426583D9a7FB391E54366292F509D457");
    const MUSDC: Address = address!("0xEdc817A28E8B93B03976FBd4a3dDBc9f7D176c22");
    const USER: Address = address!("0x00000000000000000000000000000000000000AA");

    fn e(m: u64, x: u32) -> U256 {
        U256::from(m) * U256::from(10u8).pow(U256::from(x))
    }

    /// The reference vector: 50 mETH (8 decimals) at exchange rate 2e26 (1 ETH), collateral
    /// factor 0.8, ETH at 3000e18; 2,000 USDC borrowed at price 1e30. Comptroller:
    /// sumCollateral 2.4e21, sumBorrow 2e21, liquidity 4e20 ($400). `markets()` answered with
    /// Compound's three words for mETH and Moonwell's two for mUSDC.
    fn recorded() -> RecordedReader {
        let mut r = RecordedReader::default();
        r.record(
            COMPTROLLER,
            &IComptroller::getAllMarketsCall {},
            Bytes::from(vec![METH, MUSDC].abi_encode()),
        );
        r.record(COMPTROLLER, &IComptroller::oracleCall {}, Bytes::from(ORACLE.abi_encode()));
        r.record(
            COMPTROLLER,
            &IComptrollerMarkets::marketsCall { market: METH },
            Bytes::from((true, e(8, 17), false).abi_encode_params()),
        );
        r.record(
            COMPTROLLER,
            &IComptrollerMarkets::marketsCall { market: MUSDC },
            Bytes::from((true, e(85, 16)).abi_encode_params()),
        );
        r.record(
            ORACLE,
            &ICompoundOracle::getUnderlyingPriceCall { cToken: METH },
            Bytes::from(e(3000, 18).abi_encode()),
        );
        r.record(
            ORACLE,
            &ICompoundOracle::getUnderlyingPriceCall { cToken: MUSDC },
            Bytes::from(e(1, 30).abi_encode()),
        );
        r.record(
            COMPTROLLER,
            &IComptroller::getAssetsInCall { account: USER },
            Bytes::from(vec![METH, MUSDC].abi_encode()),
        );
        r.record(
            METH,
            &ICToken::getAccountSnapshotCall { account: USER },
            Bytes::from((U256::ZERO, e(50, 8), U256::ZERO, e(2, 26)).abi_encode_params()),
        );
        r.record(
            MUSDC,
            &ICToken::getAccountSnapshotCall { account: USER },
            Bytes::from((U256::ZERO, U256::ZERO, e(2_000, 6), e(2, 14)).abi_encode_params()),
        );
        r
    }

    #[tokio::test]
    async fn reads_the_reference_vector_from_recorded_responses() {
        let reader = recorded();
        let config = CompoundV2Config {
            name: "moonwell".into(),
            comptroller: COMPTROLLER,
            ..Default::default()
        };
        let protocol = CompoundV2Protocol::connect(&reader, config, 100).await.unwrap();
        assert_eq!(protocol.markets(), &[METH, MUSDC]);
        assert_eq!(protocol.oracle(), ORACLE);
        let before = reader.requests();
        let out = protocol.read_positions(&reader, &[USER], 100).await.unwrap();
        assert_eq!(reader.requests() - before, 1);
        let HealthInputs::Compound(inputs) = &out[0].inputs else { panic!("not compound") };
        assert_eq!(inputs.liquidity.sum_collateral, e(24, 20));
        assert_eq!(inputs.liquidity.sum_borrow, e(2, 21));
        assert_eq!(inputs.liquidity.liquidity, e(4, 20));
        assert_eq!(inputs.liquidity.shortfall, U256::ZERO);
        let p = &out[0].position;
        assert_eq!(p.protocol, "moonwell");
        assert_eq!(p.health_factor, Some(e(12, 17)));
        assert_eq!(p.collateral.len(), 1);
        assert_eq!(p.collateral[0].liquidation_threshold, Decimal::new(8000, 4));
        assert_eq!(p.debt[0].amount, e(2_000, 6));
        assert!(!out[0].health.liquidatable);
    }

    #[tokio::test]
    async fn shortfall_after_a_price_drop_and_unentered_markets_do_not_count() {
        let mut reader = recorded();
        // ETH at 2,400: collateral 0.8 · 2,400 = 1,920 < 2,000 borrowed → shortfall $80.
        reader.record(
            ORACLE,
            &ICompoundOracle::getUnderlyingPriceCall { cToken: METH },
            Bytes::from(e(2400, 18).abi_encode()),
        );
        let protocol = CompoundV2Protocol::with_markets(
            CompoundV2Config { comptroller: COMPTROLLER, ..Default::default() },
            ORACLE,
            vec![METH, MUSDC],
        )
        .unwrap();
        let out = protocol.read_positions(&reader, &[USER], 100).await.unwrap();
        let HealthInputs::Compound(inputs) = &out[0].inputs else { panic!("not compound") };
        assert_eq!(inputs.liquidity.shortfall, e(80, 18));
        assert!(out[0].health.liquidatable);
        // Not entered in mETH: no collateral at all.
        reader.record(
            COMPTROLLER,
            &IComptroller::getAssetsInCall { account: USER },
            Bytes::from(vec![MUSDC].abi_encode()),
        );
        let out = protocol.read_positions(&reader, &[USER], 100).await.unwrap();
        assert!(out[0].position.collateral.is_empty());
        assert_eq!(out[0].position.health_factor, Some(U256::ZERO));
    }

    #[test]
    fn borrower_is_the_first_data_word() {
        let protocol = CompoundV2Protocol::with_markets(
            CompoundV2Config { comptroller: COMPTROLLER, ..Default::default() },
            ORACLE,
            vec![METH],
        )
        .unwrap();
        let event = ICToken::Borrow {
            borrower: USER,
            borrowAmount: U256::from(1u8),
            accountBorrows: U256::from(1u8),
            totalBorrows: U256::from(1u8),
        };
        let log = Log {
            inner: alloy_primitives::Log { address: METH, data: event.encode_log_data() },
            ..Log::default()
        };
        assert_eq!(protocol.borrower(&log), Some(USER));
        let other = Log {
            inner: alloy_primitives::Log { address: MUSDC, data: event.encode_log_data() },
            ..Log::default()
        };
        assert_eq!(protocol.borrower(&other), None);
    }
}
