//! The pipeline end to end on the devnet (real Aave V3 and Uniswap V2/V3 bytecode): a price
//! drop flags positions exactly at their second unhealthy block, liquidations update or remove
//! them, pool state equals the chain, metrics are served, a replay of the recording yields the
//! same opportunities, and a reorg leaves the caches equal to the chain.

use std::sync::Arc;

use alloy_primitives::{Address, U256};
use mev_bot::{
    BlockReport, BotConfig, ChainEvent, Opportunity, Pipeline, PoolConfig, RECORDING_FORMAT,
    Recording, RecordingReader, RpcChain, replay,
};
use mev_chain::{ChainReader, ProviderChain};
use mev_devnet::{SQRT_PRICE_1_1, UniswapV2Pair, UniswapV3Pool, bindings, tx_request};
use mev_position_cache::{InMemoryPositionStore, PositionStore};
use mev_rebuild::{AaveV3Protocol, LendingProtocol};
use mev_reserve_cache::{PoolKey, PoolState, ReserveSource, RpcReserveSource};

use crate::market::{DevnetMarket, free_port, scrape};

fn e18(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18))
}

/// The devnet market plus one V2 pair and one V3 pool on two fresh tokens.
struct Scenario {
    market: DevnetMarket,
    pair: UniswapV2Pair,
    pool: UniswapV3Pool,
    config: BotConfig,
}

impl Scenario {
    async fn start() -> Self {
        let market = DevnetMarket::start().await;
        let d = &market.devnet;
        let me = d.deployer();
        let t0 = d.deploy_erc20(e18(1_000_000_000)).await.expect("token");
        let t1 = d.deploy_erc20(e18(1_000_000_000)).await.expect("token");
        let v2 = d.deploy_uniswap_v2().await.expect("uniswap v2");
        let pair = v2.create_pair(t0, t1).await.expect("pair");
        pair.add_liquidity(me, e18(1_000_000), e18(1_000_000)).await.expect("liquidity");
        let v3 = d.deploy_uniswap_v3().await.expect("uniswap v3");
        let pool = v3.create_pool(t0, t1, 3000, SQRT_PRICE_1_1).await.expect("pool");
        let (lo, hi) = pool.full_range();
        pool.mint_position(me, lo, hi, e18(1_000_000), e18(1_000_000)).await.expect("mint");
        let config = BotConfig {
            aave_v3: vec![market.aave_config()],
            pools: vec![
                PoolConfig::UniswapV2 { address: pair.address(), fee: None },
                PoolConfig::UniswapV3 { address: pool.address(), tick_words: None },
            ],
            // Cycles between the pair and the pool, from either token.
            arbitrage: mev_bot::ArbitrageConfig {
                base: vec![mev_bot::BaseToken::new(t0), mev_bot::BaseToken::new(t1)],
                ..Default::default()
            },
            ..BotConfig::default()
        };
        let config = BotConfig::from_toml(&toml_of(&config)).expect("config round-trips");
        Self { market, pair, pool, config }
    }

    fn asset(&self, symbol: &str) -> Address {
        self.market.aave.asset(symbol).expect("asset")
    }

    fn units(&self, symbol: &str, n: u64) -> U256 {
        self.market.aave.units(self.asset(symbol), n).expect("units")
    }

    /// Both pools as a fresh read of the chain gives them (tokens, reserves; price, liquidity,
    /// fee, spacing and every initialized tick near the price).
    async fn pool_states(&self) -> [PoolState; 2] {
        let source =
            RpcReserveSource::new(ProviderChain::new(self.market.devnet.provider().clone()));
        let head = self.market.devnet.block_number().await.expect("head");
        let keys =
            [PoolKey::uniswap_v2(self.pair.address()), PoolKey::uniswap_v3(self.pool.address())];
        let mut read = source.fetch_many(&keys, head).await.into_iter();
        let mut next = || read.next().expect("one per pool").expect("pool read").state;
        [next(), next()]
    }

    /// Gives `who` `n` whole units of `symbol` and approves the pool.
    async fn fund(&self, who: Address, symbol: &str, n: u64) {
        let aave = &self.market.aave;
        aave.mint(self.asset(symbol), who, self.units(symbol, n)).await.expect("mint");
        self.market.devnet.set_balance(who, e18(10)).await.expect("gas");
        aave.approve(who, self.asset(symbol)).await.expect("approve");
    }
}

fn toml_of(config: &BotConfig) -> String {
    toml::to_string(config).expect("TOML")
}

/// A live pipeline on the devnet, recording what it reads.
struct Live {
    chain: RpcChain,
    recorder: Arc<RecordingReader>,
    pipeline: Pipeline,
    events: Vec<ChainEvent>,
    reports: Vec<BlockReport>,
}

impl Live {
    async fn start(s: &Scenario) -> Self {
        let chain = RpcChain::connect(s.market.devnet.rpc_url()).await.expect("connect");
        let recorder = Arc::new(RecordingReader::new(Arc::new(chain.clone())));
        let store: Arc<dyn PositionStore> = Arc::new(InMemoryPositionStore::new());
        let pipeline = Pipeline::builder(recorder.clone(), store)
            .bot_config(&s.config)
            .bootstrap_at_latest()
            .await
            .expect("bootstrap");
        Self { chain, recorder, pipeline, events: Vec::new(), reports: Vec::new() }
    }

    /// Processes every new block; returns their reports.
    async fn sync(&mut self) -> Vec<BlockReport> {
        let mut reports = Vec::new();
        while let Some(event) = self.pipeline.next_event(&self.chain).await.expect("next event") {
            self.events.push(event.clone());
            reports.push(self.pipeline.apply(event).await.expect("apply"));
        }
        self.reports.extend(reports.iter().cloned());
        reports
    }

    fn opportunities(&self) -> Vec<Opportunity> {
        self.reports.iter().flat_map(|r| r.opportunities.iter().cloned()).collect()
    }

    fn recording(&self, config: &BotConfig, start: mev_bot::BlockHeader) -> Recording {
        let (calls, log_queries) = self.recorder.take();
        Recording {
            format: RECORDING_FORMAT,
            description: "devnet: Uniswap V2/V3 swaps, Aave V3 borrows and repays, WETH \
                          $2,000 -> $1,700, two liquidations, arbitrages between the pools"
                .into(),
            config: config.clone(),
            start,
            events: self.events.clone(),
            calls,
            log_queries,
            opportunities: self.opportunities(),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn price_drop_liquidations_pools_metrics_and_replay() {
    let metrics_addr: std::net::SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    mev_bot::telemetry::serve_prometheus(metrics_addr).expect("metrics endpoint");

    let s = Scenario::start().await;
    let d = &s.market.devnet;
    let aave = &s.market.aave;
    let me = d.deployer();
    let mut live = Live::start(&s).await;
    let start = live.pipeline.head();
    let b = &s.market.borrowers;
    assert_eq!(live.pipeline.positions(), 5, "the five borrowers are tracked at bootstrap");

    // Swaps on both pools, in opposite directions: applied in place, and the pools now disagree
    // by about 2.4 %, beyond their fees: an arbitrage.
    s.pair.swap_exact_in(me, true, e18(10_000)).await.expect("v2 swap");
    s.pool.swap_exact_in(me, false, e18(2_000)).await.expect("v3 swap");
    let reports = live.sync().await;
    let arbs: Vec<_> = reports.iter().flat_map(|r| r.arbitrages().cloned()).collect();
    assert!(!arbs.is_empty(), "the dislocation is an arbitrage");
    for a in &arbs {
        assert!(a.gross_profit > U256::ZERO && a.hops.len() == 2, "{a:?}");
    }
    assert_eq!(s.pool_states().await.to_vec(), pool_states(&live.pipeline, &s));

    // A new borrower appears through its Borrow event.
    let newcomer = Address::repeat_byte(0x66);
    s.fund(newcomer, "WETH", 10).await;
    aave.supply(newcomer, s.asset("WETH"), s.units("WETH", 10)).await.expect("supply");
    aave.borrow(newcomer, s.asset("USDC"), s.units("USDC", 12_000)).await.expect("borrow");
    live.sync().await;
    assert!(live.pipeline.tracked().any(|(_, p, _)| p.user == newcomer), "newcomer tracked");

    // Borrower 1 repays everything: removed from cache and store.
    s.fund(b[0], "USDC", 5_000).await;
    aave.repay(b[0], s.asset("USDC"), U256::MAX).await.expect("repay");
    live.sync().await;
    assert!(!live.pipeline.tracked().any(|(_, p, _)| p.user == b[0]));
    assert_eq!(live.pipeline.store().get("aave-v3", b[0]).await.expect("get"), None);

    // WETH $2,000 -> $1,700: borrowers 3 (HF 1.10) and 4 (HF 1.04) fall below 1.
    let receipt = aave
        .set_price(s.asset("WETH"), U256::from(1_700u64 * 100_000_000))
        .await
        .expect("price drop");
    let drop_block = receipt.block_number.expect("mined");
    let reports = live.sync().await;
    assert!(reports.iter().all(|r| r.opportunities.is_empty()), "first unhealthy block: none");
    let counts =
        |p: &Pipeline, u: Address| p.streaks().find(|(_, x, _)| *x == u).map(|(_, _, c)| c);
    assert_eq!(counts(&live.pipeline, b[2]), Some(1));
    assert_eq!(counts(&live.pipeline, b[3]), Some(1));
    assert_eq!(counts(&live.pipeline, b[1]), Some(0));

    // The second unhealthy block flags both, exactly there.
    d.mine(1).await.expect("mine");
    live.sync().await;
    let flagged: Vec<_> =
        live.opportunities().into_iter().filter_map(|o| o.as_liquidation().cloned()).collect();
    assert_eq!(
        flagged.iter().map(|o| (o.block, o.user)).collect::<Vec<_>>(),
        vec![(drop_block + 1, b[2]), (drop_block + 1, b[3])],
    );
    for o in &flagged {
        assert!(o.health_factor < e18(1), "{o:?}");
        let chain_hf = aave.user_account_data(o.user).await.expect("account").healthFactor;
        assert_eq!(o.health_factor, chain_hf, "HF equals getUserAccountData at the head");
        let l = o.liquidation.as_ref().expect("an Aave opportunity carries a liquidation");
        assert!(l.debt_to_cover > U256::ZERO && l.gross_profit_base > U256::ZERO, "{l:?}");
    }
    // A third unhealthy block does not flag them again.
    d.mine(1).await.expect("mine");
    live.sync().await;
    let liquidations = live.opportunities().iter().filter(|o| o.as_liquidation().is_some()).count();
    assert_eq!(liquidations, 2);

    // Liquidations: borrower 3 entirely (removed), borrower 4 half its DAI (updated).
    let liquidator = Address::repeat_byte(0x77);
    s.fund(liquidator, "USDC", 20_000).await;
    s.fund(liquidator, "DAI", 20_000).await;
    aave.liquidation_call(liquidator, s.asset("WETH"), s.asset("USDC"), b[2], U256::MAX, false)
        .await
        .expect("liquidate borrower 3");
    live.sync().await;
    assert!(!live.pipeline.tracked().any(|(_, p, _)| p.user == b[2]), "repaid in full: removed");
    assert_eq!(live.pipeline.store().get("aave-v3", b[2]).await.expect("get"), None);
    let dai = s.asset("DAI");
    let before = aave.user_reserve_data(dai, b[3]).await.expect("debt").currentVariableDebt;
    aave.liquidation_call(liquidator, s.asset("WETH"), dai, b[3], before / U256::from(2), false)
        .await
        .expect("liquidate borrower 4");
    live.sync().await;
    let chain_debt = aave.user_reserve_data(dai, b[3]).await.expect("debt").currentVariableDebt;
    let stored = live.pipeline.store().get("aave-v3", b[3]).await.expect("get").expect("kept");
    assert_eq!(stored.debt.iter().find(|l| l.asset == dai).map(|l| l.amount), Some(chain_debt));
    assert!(chain_debt < before);

    // More swaps; pool state still equals the chain.
    s.pair.swap_exact_in(me, false, e18(500)).await.expect("v2 swap");
    s.pool.swap_exact_in(me, true, e18(700)).await.expect("v3 swap");
    live.sync().await;
    assert_eq!(s.pool_states().await.to_vec(), pool_states(&live.pipeline, &s));

    // Metrics endpoint.
    let body = tokio::task::spawn_blocking(move || scrape(metrics_addr))
        .await
        .unwrap()
        .expect("metrics endpoint");
    for needle in [
        "mev_bot_blocks_total",
        "mev_bot_block_lag_blocks",
        "mev_bot_stage_seconds_bucket{stage=\"decode\"",
        "mev_bot_stage_seconds_bucket{stage=\"refresh\"",
        "mev_bot_positions{bucket=\"lt_1.00\"}",
        "mev_bot_reserve_cache_hit_ratio",
        "mev_bot_opportunities_total",
    ] {
        assert!(body.contains(needle), "{needle} missing from:\n{body}");
    }

    // Replay of the recording: the same opportunities and the same final positions.
    let recording = live.recording(&s.config, start);
    if let Ok(path) = std::env::var("MEV_BOT_WRITE_RECORDING") {
        recording.save(path.as_ref()).expect("write recording");
    }
    let store: Arc<dyn PositionStore> = Arc::new(InMemoryPositionStore::new());
    let (replayed, opportunities, _) = replay(&recording, store, |_| {}).await.expect("replay");
    assert_eq!(opportunities, live.opportunities());
    let summary = |p: &Pipeline| {
        let mut v: Vec<_> =
            p.tracked().map(|(m, pos, h)| (m.to_owned(), pos.clone(), *h)).collect();
        v.sort_by_key(|x| x.1.user);
        v
    };
    assert_eq!(summary(&replayed), summary(&live.pipeline));
}

fn pool_states(p: &Pipeline, s: &Scenario) -> Vec<PoolState> {
    [s.pair.address(), s.pool.address()]
        .iter()
        .map(|a| p.reserves().peek(a).expect("pool cached").state.clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reorg_rolls_caches_back_to_the_chain() {
    let s = Scenario::start().await;
    let d = &s.market.devnet;
    let aave = &s.market.aave;
    let me = d.deployer();
    let b = &s.market.borrowers;
    let mut live = Live::start(&s).await;

    // Three blocks: a V2 swap, a V3 swap, and borrower 2 borrowing more.
    s.pair.swap_exact_in(me, true, e18(3_000)).await.expect("v2 swap");
    s.pool.swap_exact_in(me, false, e18(4_000)).await.expect("v3 swap");
    aave.borrow(b[1], s.asset("USDC"), s.units("USDC", 1_500)).await.expect("borrow");
    live.sync().await;
    let head = live.pipeline.head().number;

    // Replace the last two blocks (the V3 swap and the borrow) with a different branch: a
    // transfer into the pair plus `sync()`, and borrower 5 repaying part of its WBTC debt.
    let pair_token0 = s.pair.token0();
    let wbtc = s.asset("WBTC");
    s.fund(b[4], "WBTC", 1).await;
    let head_before_reorg = d.block_number().await.unwrap();
    let txs = vec![
        (
            tx_request(
                me,
                pair_token0,
                &bindings::IERC20::transferCall { to: s.pair.address(), value: e18(777) },
            ),
            0,
        ),
        (tx_request(me, s.pair.address(), &bindings::IUniswapV2Pair::syncCall {}), 0),
        (
            tx_request(
                b[4],
                aave.pool(),
                &bindings::IPool::repayCall {
                    asset: wbtc,
                    amount: s.units("WBTC", 1) / U256::from(100),
                    interestRateMode: U256::from(2),
                    onBehalfOf: b[4],
                },
            ),
            1,
        ),
    ];
    // The funding above added blocks; process them. Then the WETH price drop (two blocks: a
    // new aggregator, `setAssetSources`) flags borrowers 3 and 4 once — and is reorged away.
    live.sync().await;
    assert_eq!(live.pipeline.head().number, head_before_reorg);
    assert!(head_before_reorg > head);
    let streak =
        |p: &Pipeline, u: Address| p.streaks().find(|(_, x, _)| *x == u).map(|(_, _, c)| c);
    s.market.drop_weth().await;
    live.sync().await;
    assert_eq!(streak(&live.pipeline, b[2]), Some(1));
    d.reorg(2, txs).await.expect("anvil_reorg");
    d.mine(1).await.expect("mine");
    let reports = live.sync().await;
    assert!(reports.first().is_some_and(|r| r.reorg), "first event is the rollback: {reports:?}");
    // The orphaned price drop is undone: streaks back to 0, no opportunity, prices as before.
    assert_eq!(streak(&live.pipeline, b[2]), Some(0));
    assert_eq!(streak(&live.pipeline, b[3]), Some(0));
    assert!(reports.iter().all(|r| r.liquidations().next().is_none()), "no liquidation");
    let weth = s.asset("WETH");
    assert_eq!(aave.asset_price(weth).await.unwrap(), U256::from(2_000u64 * 100_000_000));
    // Stored streaks were restored too.
    for u in [b[2], b[3]] {
        let stored = live.pipeline.store().get("aave-v3", u).await.unwrap().expect("stored");
        assert_eq!(stored.blocks_unhealthy, 0);
    }

    // Pools equal the chain.
    assert_eq!(s.pool_states().await.to_vec(), pool_states(&live.pipeline, &s));
    // Every tracked position equals the chain at the block it was read at, and the store
    // holds what the pipeline tracks.
    let chain = RpcChain::connect(d.rpc_url()).await.unwrap();
    let reader: Arc<dyn ChainReader> = Arc::new(chain);
    let latest = reader.block_number().await.unwrap();
    let protocol =
        AaveV3Protocol::connect(&*reader, s.config.aave_v3[0].clone(), latest).await.unwrap();
    let tracked: Vec<_> = live.pipeline.tracked().map(|(_, p, h)| (p.clone(), *h)).collect();
    assert!(!tracked.is_empty());
    for (p, h) in tracked {
        let at = p.last_update_block;
        let chain_pos = protocol.read_positions(&*reader, &[p.user], at).await.unwrap().remove(0);
        assert_eq!(chain_pos.position.debt, p.debt, "{} at block {at}", p.user);
        assert_eq!(chain_pos.position.collateral, p.collateral, "{} at block {at}", p.user);
        assert_eq!(chain_pos.health, h, "{} at block {at}", p.user);
        let stored = live.pipeline.store().get("aave-v3", p.user).await.unwrap().expect("stored");
        assert_eq!((stored.debt, stored.collateral), (p.debt.clone(), p.collateral.clone()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reorg_to_a_shorter_chain_is_rolled_back_when_it_happens() {
    let s = Scenario::start().await;
    let d = &s.market.devnet;
    let b = &s.market.borrowers;
    let mut live = Live::start(&s).await;
    let usdc = s.asset("USDC");
    for _ in 0..4 {
        s.market.aave.borrow(b[0], usdc, s.units("USDC", 100)).await.expect("borrow");
    }
    live.sync().await;
    let head = live.pipeline.head().number;
    let debt = |p: &Pipeline| {
        p.tracked().find(|(_, pos, _)| pos.user == b[0]).map(|(_, pos, _)| pos.debt.clone())
    };
    let before_rollback = debt(&live.pipeline);

    // Three blocks vanish and one other block takes their place: the chain is two blocks
    // shorter than the pipeline's head.
    d.rollback(3).await.expect("anvil_rollback");
    d.mine(1).await.expect("mine");
    assert_eq!(d.block_number().await.unwrap(), head - 2);
    let reports = live.sync().await;
    assert!(reports.first().is_some_and(|r| r.reorg && r.block == head - 3), "{reports:?}");
    assert_eq!(live.pipeline.head().number, head - 2);
    let chain: Arc<dyn ChainReader> = Arc::new(live.chain.clone());
    let new_head = chain.header(head - 2).await.unwrap().expect("the new head");
    assert_eq!(live.pipeline.head(), new_head);
    // b[0]'s last borrows are gone with their blocks: the pipeline tracks the chain's debt.
    let protocol =
        AaveV3Protocol::connect(&*chain, s.config.aave_v3[0].clone(), head - 2).await.unwrap();
    let at = live
        .pipeline
        .tracked()
        .find(|(_, pos, _)| pos.user == b[0])
        .map(|(_, pos, _)| pos.last_update_block)
        .expect("tracked");
    assert!(at <= head - 2);
    let then = protocol.read_positions(&*chain, &[b[0]], at).await.unwrap().remove(0);
    assert_eq!(debt(&live.pipeline), Some(then.position.debt), "as the chain had it at {at}");
    assert_ne!(debt(&live.pipeline), before_rollback);
}
