//! `mev-bot health` against real Aave V3 on the devnet: the locally computed figures equal
//! `Pool.getUserAccountData` exactly, before and after a price drop.

use std::process::Command;

use alloy_primitives::{Address, U256};
use serde_json::Value;

use crate::market::{DevnetMarket, json_line, mev_bot};

const WAD: u64 = 1_000_000_000_000_000_000;

async fn health(m: &DevnetMarket, user: Address, extra: &[&str]) -> Value {
    let mut args = vec!["health".to_owned()];
    args.extend(m.market_args());
    args.extend(["--user".into(), user.to_string()]);
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    json_line(&mev_bot(args).await)
}

fn expected(data: &mev_devnet::bindings::IPool::getUserAccountDataReturn) -> Value {
    serde_json::json!({
        "health_factor": data.healthFactor.to_string(),
        "total_collateral_base": data.totalCollateralBase.to_string(),
        "total_debt_base": data.totalDebtBase.to_string(),
        "liquidatable": data.healthFactor < U256::from(WAD),
        // Detected from the devnet's Aave v3.0 pool, or forced to the same.
        "release": "3.0",
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_equals_get_user_account_data_across_a_price_drop() {
    let m = DevnetMarket::start().await;
    let users: Vec<Address> = m.borrowers.iter().chain(&m.suppliers).copied().collect();

    // At the latest block.
    let before_block = m.devnet.block_number().await.unwrap();
    let mut before = Vec::new();
    for &user in &users {
        let data = m.aave.user_account_data(user).await.unwrap();
        let got = health(&m, user, &[]).await;
        assert_eq!(got, expected(&data), "{user}");
        before.push(data);
    }
    for &supplier in &m.suppliers {
        let got = health(&m, supplier, &["--aave-version", "3.0"]).await;
        assert_eq!(got["health_factor"], U256::MAX.to_string());
        assert_eq!(got["total_debt_base"], "0");
        assert_eq!(got["liquidatable"], false);
    }
    assert!(before.iter().all(|d| d.healthFactor >= U256::from(WAD)));

    // WETH drops 15 %: two borrowers become liquidatable.
    m.drop_weth().await;
    let mut liquidatable = vec![];
    for &user in &users {
        let data = m.aave.user_account_data(user).await.unwrap();
        let mut got = health(&m, user, &[]).await;
        let liquidation = got.as_object_mut().unwrap().remove("liquidation");
        assert_eq!(got, expected(&data), "{user} after the drop");
        assert_eq!(liquidation.is_some(), got["liquidatable"] == true, "{user}");
        if let Some(l) = liquidation {
            liquidatable.push((user, l));
        }
    }
    assert_eq!(liquidatable.len(), 2);

    // The printed liquidation is what liquidationCall does, to the wei (at the same timestamp,
    // so no interest accrues in between; the state is restored afterwards).
    for (user, l) in &liquidatable {
        let field = |k: &str| l[k].as_str().unwrap_or_else(|| panic!("{k} in {l}")).to_owned();
        let address = |k: &str| {
            let text = field(k);
            let a: Address = text.parse().unwrap();
            assert_eq!(text, a.to_checksum(None), "{k} is checksummed");
            a
        };
        let amount = |k: &str| field(k).parse::<U256>().unwrap();
        let (collateral, debt) = (address("collateral_asset"), address("debt_asset"));
        let snapshot = m.devnet.snapshot().await.unwrap();
        let liquidator = Address::repeat_byte(0x4c);
        m.devnet.set_balance(liquidator, U256::from(10u128.pow(20))).await.unwrap();
        m.aave.mint(debt, liquidator, amount("debt_to_pass")).await.unwrap();
        m.aave.approve(liquidator, debt).await.unwrap();
        let now = m.devnet.block_timestamp().await.unwrap();
        m.devnet.set_next_timestamp(now).await.unwrap();
        let before = m.devnet.balance_of(collateral, liquidator).await.unwrap();
        let receipt = m
            .aave
            .liquidation_call(liquidator, collateral, debt, *user, amount("debt_to_pass"), false)
            .await
            .unwrap();
        let events = mev_devnet::receipt_events::<mev_devnet::bindings::IPool::LiquidationCall>(
            &receipt,
            m.aave.pool(),
        )
        .unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].debtToCover, amount("debt_to_cover"), "{user}");
        assert_eq!(
            events[0].liquidatedCollateralAmount,
            amount("collateral_to_liquidator"),
            "{user}"
        );
        let after = m.devnet.balance_of(collateral, liquidator).await.unwrap();
        assert_eq!(after - before, amount("collateral_to_liquidator"), "{user}");
        m.devnet.revert(snapshot).await.unwrap();
    }

    // --block reads the state before the drop.
    let block = before_block.to_string();
    for (&user, data) in users.iter().zip(&before) {
        let got = health(&m, user, &["--block", &block]).await;
        assert_eq!(got, expected(data), "{user} at block {block}");
    }
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mev-bot"))
}

fn one_error_line(args: &[&str], mentions: &str) {
    let out = bin().args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{args:?}");
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("mev-bot: error: "), "{stderr}");
    assert!(stderr.contains(mentions), "{stderr} should mention {mentions}");
}

const ADDR: &str = "0x0000000000000000000000000000000000000001";

#[test]
fn bad_arguments_exit_2_with_one_error_line() {
    let market = ["--protocol", "aave-v3", "--pool", ADDR, "--data-provider", ADDR];
    let with = |rest: &[&'static str]| -> Vec<&'static str> {
        let mut v = vec!["health", "--rpc-url", "http://127.0.0.1:9"];
        v.extend(market);
        v.extend(rest);
        v
    };
    one_error_line(&with(&["--user", "0xnot-an-address"]), "--user");
    one_error_line(&with(&["--user", "0x1234"]), "--user");
    one_error_line(&with(&["--user", ADDR, "--block", "latest"]), "--block");
    one_error_line(&with(&["--user", ADDR, "--aave-version", "2.0"]), "--aave-version");
    one_error_line(&with(&[]), "--user");
    one_error_line(
        &["health", "--rpc-url", "not a url", "--protocol", "aave-v3", "--user", ADDR],
        "--rpc-url",
    );
    one_error_line(
        &["health", "--rpc-url", "ws://127.0.0.1:9", "--protocol", "aave-v3", "--user", ADDR],
        "--rpc-url",
    );
    one_error_line(
        &["health", "--rpc-url", "http://127.0.0.1:9", "--protocol", "aave-v3", "--user", ADDR],
        "--pool",
    );
    one_error_line(
        &["health", "--rpc-url", "http://127.0.0.1:9", "--protocol", "compound-v2", "--user", ADDR],
        "supported: aave-v3",
    );
    // A well-formed request to a closed port fails on the request, still on one line.
    one_error_line(&with(&["--user", ADDR]), "eth_blockNumber");
}
