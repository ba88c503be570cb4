//! `mev-bot discover` against real factories on the devnet (Uniswap V2, V3, the V4
//! `PoolManager`, Balancer V2's Vault with its weighted and composable stable factories): the
//! `[[pools]]` it writes parse back with `BotConfig` as exactly the pools created in the range
//! (none from before it), keyed and typed as their factories made them, and with the token and
//! liquidity filters exactly those that pass; tiny `eth_getLogs` ranges write the same; bad
//! arguments and an unreachable node are one error line without the URL's secret.

use std::process::{Command, Output};

use alloy_primitives::{Address, B256, U256};
use mev_bot::{BalancerPoolTypeConfig, BotConfig, PoolConfig};
use mev_devnet::{BalancerV2, Devnet, SQRT_PRICE_1_1, UniswapV2, UniswapV3, UniswapV4};

use crate::market::mev_bot;

fn e18(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18))
}

struct Setup {
    devnet: Devnet,
    sources: Vec<String>,
    /// Every pool created in the range, in creation order, and whether it passes the filter
    /// of [`Setup::filter_args`].
    created: Vec<(PoolConfig, bool)>,
    from_block: u64,
    to_block: u64,
    allowed: [Address; 3],
}

impl Setup {
    async fn start() -> Self {
        let devnet = Devnet::start().await.expect("devnet (run: bash scripts/devnet-setup)");
        devnet.deploy_multicall3().await.unwrap();
        let me = devnet.deployer();
        let mut t = Vec::new();
        for _ in 0..4 {
            t.push(devnet.deploy_erc20(e18(1_000_000_000)).await.unwrap());
        }
        let (a, b, c, x) = (t[0], t[1], t[2], t[3]);
        let v2 = devnet.deploy_uniswap_v2().await.unwrap();
        let v3 = devnet.deploy_uniswap_v3().await.unwrap();
        let v4 = devnet.deploy_uniswap_v4().await.unwrap();
        let bal = devnet.deploy_balancer_v2().await.unwrap();
        let sources = vec![
            "--uniswap-v2-factory".to_owned(),
            format!("{}:9975/10000", v2.factory()),
            "--uniswap-v3-factory".into(),
            v3.factory().to_string(),
            "--uniswap-v4".into(),
            format!("{}:{}", v4.pool_manager(), v4.state_view()),
            "--balancer-vault".into(),
            bal.vault().to_string(),
            "--balancer-weighted-factory".into(),
            bal.addresses().weighted_pool_factory.to_string(),
            "--balancer-stable-factory".into(),
            bal.addresses().composable_stable_pool_factory.to_string(),
        ];

        // Before the range: never written.
        v2_pair(&v2, me, a, c, e18(1_000)).await;
        v3_pool(&v3, me, a, c, 3000, true).await;
        v4_pool(&v4, a, c, 3000, 60, true).await;
        weighted(&bal, &[a, c], e18(1_000)).await;
        let from_block = devnet.block_number().await.unwrap() + 1;

        let created = vec![
            (v2_pair(&v2, me, a, b, e18(1_000)).await, true),
            (v2_pair(&v2, me, b, c, U256::from(100_000)).await, false),
            (v2_pair(&v2, me, a, x, e18(1_000)).await, false),
            (v3_pool(&v3, me, a, b, 500, true).await, true),
            (v3_pool(&v3, me, b, c, 3000, false).await, false),
            (v4_pool(&v4, a, c, 500, 10, true).await, true),
            (v4_pool(&v4, b, x, 3000, 60, true).await, false),
            (weighted(&bal, &[a, b], e18(1_000)).await, true),
            (stable(&bal, &[a, b, c], e18(1_000)).await, true),
            (weighted(&bal, &[b, c], U256::from(1_000_000_000_000u64)).await, false),
        ];
        let to_block = devnet.block_number().await.unwrap();
        // After the range: not written with --to-block.
        v2_pair(&v2, me, c, x, e18(1_000)).await;
        Self { devnet, sources, created, from_block, to_block, allowed: [a, b, c] }
    }

    fn args(&self, extra: &[String]) -> Vec<String> {
        let mut args =
            vec!["discover".to_owned(), "--rpc-url".into(), self.devnet.rpc_url().into()];
        args.extend(self.sources.iter().cloned());
        args.extend(["--from-block".into(), self.from_block.to_string()]);
        args.extend(["--to-block".into(), self.to_block.to_string()]);
        args.extend(extra.iter().cloned());
        args
    }

    fn filter_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        for t in self.allowed {
            args.extend(["--token".to_owned(), t.to_string()]);
        }
        args.extend(["--min-reserve".into(), "1e18".into(), "--min-liquidity".into(), "1".into()]);
        args
    }

    fn all(&self) -> Vec<PoolConfig> {
        self.created.iter().map(|c| c.0.clone()).collect()
    }

    fn passing(&self) -> Vec<PoolConfig> {
        self.created.iter().filter(|c| c.1).map(|c| c.0.clone()).collect()
    }
}

async fn v2_pair(v2: &UniswapV2, me: Address, a: Address, b: Address, amount: U256) -> PoolConfig {
    let pair = v2.create_pair(a, b).await.unwrap();
    pair.add_liquidity(me, amount, amount).await.unwrap();
    PoolConfig::UniswapV2 { address: pair.address(), fee: Some([9975, 10_000]) }
}

async fn v3_pool(
    v3: &UniswapV3,
    me: Address,
    a: Address,
    b: Address,
    fee: u32,
    liquid: bool,
) -> PoolConfig {
    let pool = v3.create_pool(a, b, fee, SQRT_PRICE_1_1).await.unwrap();
    if liquid {
        let (lo, hi) = pool.full_range();
        pool.mint_position(me, lo, hi, e18(1_000), e18(1_000)).await.unwrap();
    }
    PoolConfig::UniswapV3 { address: pool.address(), tick_words: None }
}

async fn v4_pool(
    v4: &UniswapV4,
    a: Address,
    b: Address,
    fee: u32,
    spacing: i32,
    liquid: bool,
) -> PoolConfig {
    let pool = v4.initialize_pool(a, b, fee, spacing, Address::ZERO, SQRT_PRICE_1_1).await.unwrap();
    if liquid {
        let me = v4.devnet().deployer();
        pool.approve_routers(me).await.unwrap();
        let (lo, hi) = pool.full_range();
        pool.modify_liquidity(me, lo, hi, 1_000_000_000_000_000_000_000, B256::ZERO).await.unwrap();
    }
    PoolConfig::UniswapV4 {
        pool_manager: v4.pool_manager(),
        state_view: v4.state_view(),
        currency0: pool.currency0(),
        currency1: pool.currency1(),
        fee,
        tick_spacing: spacing,
        hooks: Address::ZERO,
        tick_words: None,
    }
}

async fn weighted(bal: &BalancerV2, tokens: &[Address], amount: U256) -> PoolConfig {
    let n = tokens.len() as u64;
    let wad = 1_000_000_000_000_000_000u64;
    let mut weights: Vec<(Address, U256)> =
        tokens.iter().map(|&t| (t, U256::from(wad / n))).collect();
    weights[0].1 += U256::from(wad % n);
    let fee = U256::from(3_000_000_000_000_000u64);
    let pool = bal.create_weighted_pool(&weights, fee).await.unwrap();
    pool.initialize(bal.devnet().deployer(), &vec![amount; tokens.len()]).await.unwrap();
    PoolConfig::BalancerV2 {
        vault: bal.vault(),
        pool_id: pool.id(),
        pool_type: BalancerPoolTypeConfig::Weighted,
    }
}

async fn stable(bal: &BalancerV2, tokens: &[Address], amount: U256) -> PoolConfig {
    let with_rates: Vec<(Address, Option<Address>)> = tokens.iter().map(|&t| (t, None)).collect();
    let fee = U256::from(1_000_000_000_000_000u64);
    let pool = bal
        .create_composable_stable_pool(&with_rates, U256::from(200), fee, U256::from(3600))
        .await
        .unwrap();
    let bpt = pool.bpt_index().unwrap();
    let amounts: Vec<U256> =
        (0..pool.tokens().len()).map(|i| if i == bpt { U256::ZERO } else { amount }).collect();
    pool.initialize(bal.devnet().deployer(), &amounts).await.unwrap();
    PoolConfig::BalancerV2 {
        vault: bal.vault(),
        pool_id: pool.id(),
        pool_type: BalancerPoolTypeConfig::ComposableStable,
    }
}

/// The pools of a successful run's output and its one summary line.
fn pools_of(out: &Output, written: Option<&str>) -> (Vec<PoolConfig>, String) {
    let stderr = String::from_utf8(out.stderr.clone()).unwrap();
    assert!(out.status.success(), "mev-bot failed ({:?}): {stderr}", out.status);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    let text = match written {
        Some(text) => {
            assert!(out.stdout.is_empty());
            text.to_owned()
        }
        None => String::from_utf8(out.stdout.clone()).unwrap(),
    };
    let config = BotConfig::from_toml(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    (config.pools, stderr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discover_writes_a_config_of_exactly_the_pools_created() {
    let s = Setup::start().await;

    // No filter, into a file: every pool of the range, in creation order.
    let dir = std::env::temp_dir().join(format!("mev-bot-discover-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("pools.toml");
    let out = mev_bot(s.args(&["--output".into(), file.display().to_string()])).await;
    let text = std::fs::read_to_string(&file).unwrap();
    let (pools, summary) = pools_of(&out, Some(&text));
    assert_eq!(pools, s.all());
    assert!(summary.contains("discovered 10 pools"), "{summary}");
    assert!(summary.contains("10 found"), "{summary}");
    assert!(text.contains("[[pools]]") && text.starts_with("# mev-bot discover"), "{text}");
    // The config's pools turn into the keys discovery found.
    for pool in &pools {
        pool.validate().unwrap();
    }

    // The allow-list and minimum liquidity, to stdout.
    let filtered = mev_bot(s.args(&s.filter_args())).await;
    let (pools, summary) = pools_of(&filtered, None);
    assert_eq!(pools, s.passing());
    assert!(summary.contains("dropped 2 by token, 3 by liquidity, 0 unreadable"), "{summary}");

    // Two blocks per eth_getLogs: the same output.
    let mut tiny_args = s.filter_args();
    tiny_args.extend(["--max-block-range".into(), "2".into()]);
    let tiny = mev_bot(s.args(&tiny_args)).await;
    assert_eq!(tiny.stdout, filtered.stdout);
    let (_, summary) = pools_of(&tiny, None);
    let blocks = s.to_block - s.from_block + 1;
    assert!(
        summary.contains(&format!("{} eth_getLogs requests", 4 * blocks.div_ceil(2))),
        "{summary}"
    );

    // --any-token: the pools with the one token listed among theirs (six of them).
    let any_args = ["--token".into(), s.allowed[0].to_string(), "--any-token".into()];
    let (pools, _) = pools_of(&mev_bot(s.args(&any_args)).await, None);
    let with_a = [0, 2, 3, 5, 7, 8].map(|i| s.created[i].0.clone());
    assert_eq!(pools, with_a);

    // Without --to-block: up to the latest block, the pair created after the range too.
    let mut args = s.args(&[]);
    let at = args.iter().position(|a| a == "--to-block").unwrap();
    args.drain(at..at + 2);
    let (pools, _) = pools_of(&mev_bot(args).await, None);
    assert_eq!(pools.len(), s.created.len() + 1);
    assert_eq!(pools[..s.created.len()], s.all()[..]);
    let _ = std::fs::remove_dir_all(dir);
}

fn one_error_line<S: AsRef<std::ffi::OsStr>>(args: &[S], mentions: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_mev-bot")).args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{mentions}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains(mentions), "{stderr} should mention {mentions}");
    stderr
}

#[test]
fn bad_discover_arguments_exit_2_with_one_error_line() {
    const A: &str = "0x00000000000000000000000000000000000000aa";
    let url = "http://127.0.0.1:9";
    let base = ["discover", "--rpc-url", url, "--from-block", "5"];
    let with =
        |extra: &[&str]| base.iter().chain(extra).map(|a| (*a).to_owned()).collect::<Vec<String>>();
    one_error_line(&with(&[]), "nothing to discover");
    one_error_line(&with(&["--uniswap-v2-factory", &format!("{A}:1001/1000")]), "fee");
    one_error_line(&with(&["--uniswap-v4", A]), "POOL_MANAGER:STATE_VIEW");
    one_error_line(&with(&["--balancer-weighted-factory", A]), "--balancer-vault");
    one_error_line(&with(&["--uniswap-v3-factory", A, "--min-reserve", "lots"]), "lots");
    one_error_line(&with(&["--uniswap-v3-factory", A, "--to-block", "4"]), "--from-block 5");
    // An unreachable node (after the retries): the URL's path and query are not shown.
    let secret = "http://127.0.0.1:9/v3/SECRET-KEY?token=HUNTER2";
    let line = one_error_line(
        &["discover", "--rpc-url", secret, "--uniswap-v3-factory", A, "--from-block", "0"],
        "127.0.0.1",
    );
    assert!(!line.contains("SECRET") && !line.contains("HUNTER2"), "{line}");
}
