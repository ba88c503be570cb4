//! A devnet Aave V3 market (WETH, USDC, WBTC, DAI) with a handful of hand-sized positions, and
//! a runner for the real `mev-bot` binary.

use std::process::{Command, Output};

use alloy_primitives::{Address, U256};
use mev_devnet::{AavePosition, AaveV3, AaveV3Config, Devnet};

pub(crate) struct DevnetMarket {
    pub(crate) devnet: Devnet,
    pub(crate) aave: AaveV3,
    /// Users with debt, in the order opened.
    pub(crate) borrowers: Vec<Address>,
    /// Users who only supply (health factor `U256::MAX`).
    pub(crate) suppliers: Vec<Address>,
    /// The block before Aave was deployed.
    pub(crate) deploy_block: u64,
    /// The block after Aave was deployed, before any position was opened.
    pub(crate) empty_block: u64,
}

/// An asset and an amount in its smallest unit.
type Leg = (Address, U256);

fn user(n: u8) -> Address {
    let mut bytes = [0u8; 20];
    bytes[0] = 0x20;
    bytes[19] = n;
    Address::from(bytes)
}

impl DevnetMarket {
    /// Five borrowers (health factors about 4.1, 1.93, 1.10, 1.04 and 1.78 at WETH = $2,000),
    /// one supplier without debt, and a liquidity whale without debt.
    pub(crate) async fn start() -> Self {
        let devnet =
            Devnet::start().await.expect("anvil must start (run `bash scripts/devnet-setup`)");
        devnet.deploy_multicall3().await.expect("deploy Multicall3");
        let deploy_block = devnet.block_number().await.expect("block number");
        let aave = devnet.deploy_aave_v3(&AaveV3Config::default()).await.expect("deploy Aave");
        let empty_block = devnet.block_number().await.expect("block number");
        let [weth, usdc, wbtc, dai] =
            ["WETH", "USDC", "WBTC", "DAI"].map(|s| aave.asset(s).expect("devnet asset"));
        let units = |asset, n| aave.units(asset, n).expect("units");
        let whale = Address::repeat_byte(0xee);
        let mut positions = vec![AavePosition {
            user: whale,
            supplies: vec![
                (weth, units(weth, 1_000)),
                (usdc, units(usdc, 5_000_000)),
                (wbtc, units(wbtc, 50)),
                (dai, units(dai, 5_000_000)),
            ],
            borrows: vec![],
        }];
        let borrowers: Vec<(Vec<Leg>, Vec<Leg>)> = vec![
            (vec![(weth, units(weth, 10))], vec![(usdc, units(usdc, 4_000))]),
            (
                vec![(weth, units(weth, 10)), (wbtc, units(wbtc, 1) / U256::from(10))],
                vec![(dai, units(dai, 9_000)), (usdc, units(usdc, 2_000))],
            ),
            (vec![(weth, units(weth, 10))], vec![(usdc, units(usdc, 15_000))]),
            (vec![(weth, units(weth, 10))], vec![(dai, units(dai, 15_800))]),
            (
                vec![(weth, units(weth, 5)), (usdc, units(usdc, 3_000))],
                vec![(wbtc, units(wbtc, 1) / U256::from(10))],
            ),
        ];
        let mut borrower_addrs = Vec::new();
        for (i, (supplies, borrows)) in borrowers.into_iter().enumerate() {
            let u = user(i as u8 + 1);
            borrower_addrs.push(u);
            positions.push(AavePosition { user: u, supplies, borrows });
        }
        let supplier = user(100);
        positions.push(AavePosition {
            user: supplier,
            supplies: vec![(usdc, units(usdc, 1_000))],
            borrows: vec![],
        });
        aave.open_positions(&positions).await.expect("open positions");
        Self {
            devnet,
            aave,
            borrowers: borrower_addrs,
            suppliers: vec![supplier, whale],
            deploy_block,
            empty_block,
        }
    }

    /// The bot's configuration of this Aave V3 market.
    pub(crate) fn aave_config(&self) -> mev_rebuild::AaveV3Config {
        mev_rebuild::AaveV3Config {
            pool: self.aave.pool(),
            data_provider: self.aave.data_provider(),
            start_block: self.deploy_block,
            ..mev_rebuild::AaveV3Config::default()
        }
    }

    /// `--rpc-url … --protocol aave-v3 --pool … --data-provider …`.
    pub(crate) fn market_args(&self) -> Vec<String> {
        vec![
            "--rpc-url".into(),
            self.devnet.rpc_url().to_owned(),
            "--protocol".into(),
            "aave-v3".into(),
            "--pool".into(),
            self.aave.pool().to_string(),
            "--data-provider".into(),
            self.aave.data_provider().to_string(),
        ]
    }

    /// Drops WETH from $2,000 to $1,700: the borrowers at 1.10 and 1.04 fall below 1.
    pub(crate) async fn drop_weth(&self) {
        let weth = self.aave.asset("WETH").expect("WETH");
        self.aave.set_price(weth, U256::from(1_700u64 * 100_000_000)).await.expect("set price");
    }
}

/// Runs `mev-bot ARGS` in a blocking thread (the devnet's runtime keeps running).
pub(crate) async fn mev_bot(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_mev-bot")).args(args).output().expect("run mev-bot")
    })
    .await
    .expect("join")
}

/// The one JSON line a successful run prints.
pub(crate) fn json_line(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "mev-bot failed ({:?}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout.clone()).expect("UTF-8");
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    serde_json::from_str(&stdout).expect("JSON")
}

/// A free loopback port.
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

/// `GET http://addr/metrics` (blocking), the whole response; `None` when nothing answers.
pub(crate) fn scrape(addr: std::net::SocketAddr) -> Option<String> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).ok()?;
    s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").ok()?;
    let mut body = String::new();
    s.read_to_string(&mut body).ok()?;
    Some(body)
}

/// A connection for the test's own reads of a bot's Redis, with timeouts long enough for a
/// loaded CI machine running several bots (the 2 s connect default failed there once).
pub(crate) async fn inspect_redis(url: &str) -> mev_position_cache::RedisPositionStore {
    let mut config = mev_position_cache::RedisConfig::new(url.to_owned());
    config.connect_timeout_ms = 20_000;
    config.command_timeout_ms = 10_000;
    mev_position_cache::RedisPositionStore::connect(config)
        .await
        .expect("the test's Redis connection")
}
