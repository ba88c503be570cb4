//! Bad configuration files given to `mev-bot run`: each is refused before any connection with
//! one line naming what is wrong, exit 2, and never a panic. A `start_block` beyond the head is
//! refused once the head is known.

use crate::{
    market::{DevnetMarket, mev_bot},
    pipeline_cli::temp_dir,
};

const POOL: &str = "pool = \"0x0000000000000000000000000000000000000001\"";
const V4: &str = "pool_manager = \"0x0000000000000000000000000000000000000004\"\nstate_view = \"0x0000000000000000000000000000000000000005\"";

/// `(name, file contents or None for "use the path as is", what the error must say)`.
fn cases() -> Vec<(&'static str, Option<Vec<u8>>, &'static str)> {
    let aave = |extra: &str| format!("[[aave_v3]]\n{POOL}\n{extra}\n").into_bytes();
    vec![
        ("unknown top-level key", Some(b"markets = 1\n".to_vec()), "unknown field `markets`"),
        ("unknown table", Some(b"[pipline]\nconfirmations = 2\n".to_vec()), "unknown field `pipline`"),
        ("misspelt market key", Some(aave("start_blok = 5")), "unknown field `start_blok`"),
        ("misspelt oracle key", Some(aave("oracel = \"0x0000000000000000000000000000000000000002\"")), "unknown field `oracel`"),
        ("unknown follow key", Some(b"[follow]\ntimeout = 1\n".to_vec()), "unknown field `timeout`"),
        ("unknown retry key", Some(b"[follow.retry]\nattempts = 1\n".to_vec()), "unknown field `attempts`"),
        ("unknown pool key", Some(b"[[pools]]\nkind = \"uniswap-v2\"\naddress = \"0x0000000000000000000000000000000000000003\"\nfees = 1\n".to_vec()), "unknown field `fees`"),
        ("V2 fee above 100 %", Some(b"[[pools]]\nkind = \"uniswap-v2\"\naddress = \"0x0000000000000000000000000000000000000003\"\nfee = [1000, 997]\n".to_vec()), "fee [1000, 997]"),
        ("V2 fee not a pair", Some(b"[[pools]]\nkind = \"uniswap-v2\"\naddress = \"0x0000000000000000000000000000000000000003\"\nfee = 30\n".to_vec()), "fee"),
        ("unknown Balancer pool type", Some(b"[[pools]]\nkind = \"balancer-v2\"\nvault = \"0x0000000000000000000000000000000000000003\"\npool_id = \"0x0000000000000000000000000000000000000000000000000000000000000001\"\npool_type = \"stable\"\n".to_vec()), "unknown variant `stable`, expected one of `weighted`, `composable-stable`"),
        ("V4 currencies unsorted", Some(format!("[[pools]]\nkind = \"uniswap-v4\"\n{V4}\ncurrency0 = \"0x0000000000000000000000000000000000000009\"\ncurrency1 = \"0x0000000000000000000000000000000000000008\"\nfee = 3000\ntick_spacing = 60\n").into_bytes()), "currency0"),
        ("V4 fee above 100 %", Some(format!("[[pools]]\nkind = \"uniswap-v4\"\n{V4}\ncurrency0 = \"0x0000000000000000000000000000000000000008\"\ncurrency1 = \"0x0000000000000000000000000000000000000009\"\nfee = 1000001\ntick_spacing = 60\n").into_bytes()), "fee 1000001"),
        ("V4 tick spacing 0", Some(format!("[[pools]]\nkind = \"uniswap-v4\"\n{V4}\ncurrency0 = \"0x0000000000000000000000000000000000000008\"\ncurrency1 = \"0x0000000000000000000000000000000000000009\"\nfee = 3000\ntick_spacing = 0\n").into_bytes()), "tick_spacing 0"),
        ("zero confirmations", Some(b"[pipeline]\nconfirmations = 0\n".to_vec()), "pipeline.confirmations"),
        ("u64::MAX reorg depth", Some(b"[pipeline]\nmax_reorg_depth = 18446744073709551615\n".to_vec()), "max_reorg_depth"),
        ("i64::MAX reorg depth", Some(b"[pipeline]\nmax_reorg_depth = 9223372036854775807\n".to_vec()), "max_reorg_depth"),
        ("zero call timeout", Some(b"[follow]\nrequest_timeout_ms = 0\n".to_vec()), "follow.request_timeout_ms"),
        ("huge block time", Some(b"[follow]\nblock_time_ms = 9223372036854775807\n".to_vec()), "follow.block_time_ms"),
        ("huge stall", Some(b"[follow]\nstall_blocks = 9223372036854775807\n".to_vec()), "follow.stall_blocks"),
        ("too many retries", Some(b"[follow.retry]\nmax_attempts = 4294967295\n".to_vec()), "follow.retry.max_attempts"),
        ("negative number", Some(b"[pipeline]\nconfirmations = -1\n".to_vec()), "confirmations"),
        ("wrong type", Some(b"[pipeline]\nconfirmations = \"two\"\n".to_vec()), "confirmations"),
        ("bad address", Some(b"[[aave_v3]]\npool = \"0x12\"\n".to_vec()), "pool"),
        ("not TOML", Some(b"{\"aave_v3\": []}\n".to_vec()), "invalid configuration"),
        ("not UTF-8", Some(vec![0xff, 0xfe, 0x00, 0x5b]), "UTF-8"),
        ("empty", Some(Vec::new()), "configures no market"),
        ("huge", Some(vec![b'#'; 2 << 20]), "larger than 1048576 bytes"),
        ("a directory", None, "reading config"),
        ("missing", None, "reading config"),
    ]
}

#[tokio::test]
async fn bad_configs_are_one_line_errors_with_exit_2() {
    let dir = temp_dir("bad-configs");
    for (i, (name, contents, needle)) in cases().into_iter().enumerate() {
        let path = match (name, contents) {
            ("a directory", _) => dir.clone(),
            (_, Some(bytes)) => {
                let path = dir.join(format!("case-{i}.toml"));
                std::fs::write(&path, bytes).unwrap();
                path
            }
            (_, None) => dir.join("missing.toml"),
        };
        // Nothing listens on port 1: a config error must come before any connection.
        let args = vec![
            "run".into(),
            "--rpc-url".into(),
            "http://127.0.0.1:1".into(),
            "--config".into(),
            path.display().to_string(),
        ];
        let out = mev_bot(args).await;
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert_eq!(err.lines().count(), 1, "{name}: one line: {err}");
        assert!(err.starts_with("mev-bot: error: "), "{name}: {err}");
        assert!(err.contains(needle), "{name}: expected {needle:?} in {err}");
        assert!(!err.contains("panicked"), "{name}: {err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_start_block_beyond_the_head_is_refused() {
    let market = DevnetMarket::start().await;
    let head = market.devnet.block_number().await.unwrap();
    let dir = temp_dir("start-block");
    let config = mev_bot::BotConfig {
        aave_v3: vec![mev_rebuild::AaveV3Config {
            start_block: head + 1_000,
            ..market.aave_config()
        }],
        ..mev_bot::BotConfig::default()
    };
    let path = dir.join("bot.toml");
    std::fs::write(&path, toml::to_string(&config).unwrap()).unwrap();
    let args = vec![
        "run".into(),
        "--rpc-url".into(),
        market.devnet.rpc_url().into(),
        "--config".into(),
        path.display().to_string(),
    ];
    let out = mev_bot(args).await;
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("start_block") && err.contains(&(head + 1_000).to_string()), "{err}");
}
