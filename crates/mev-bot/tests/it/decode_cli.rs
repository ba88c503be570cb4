//! `mev-bot decode` as a user runs it.

use std::{
    io::Write,
    path::PathBuf,
    process::{Command, Stdio},
};

use serde_json::Value;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mev-bot"))
}

fn sample() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/decode-logs/logs.json")
}

#[test]
fn decodes_the_bundled_sample_in_order() {
    let out = bin().arg("decode").arg(sample()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let input: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(sample()).unwrap()).unwrap();
    assert_eq!(lines.len(), input.len());
    for (n, (line, log)) in lines.iter().zip(&input).enumerate() {
        let index =
            u64::from_str_radix(log["logIndex"].as_str().unwrap().trim_start_matches("0x"), 16)
                .unwrap();
        assert_eq!(line["log_index"], index, "line {n}");
        assert_eq!(
            line["address"].as_str().unwrap().to_lowercase(),
            log["address"].as_str().unwrap().to_lowercase()
        );
    }
    let events: Vec<&str> = lines.iter().map(|l| l["event"].as_str().unwrap_or("null")).collect();
    assert_eq!(
        events,
        [
            "Sync",
            "Swap",
            "Swap",
            "Borrow",
            "ReserveDataUpdated",
            "Mint",
            "AnswerUpdated",
            "Transfer",
            "null",
            "null"
        ]
    );
    assert_eq!(lines[2]["protocol"], "uniswap-v3");
    assert_eq!(lines[2]["fields"]["amount0"], "-5000000000");
    assert_eq!(lines[5]["protocol"], "compound-v2");
    assert_eq!(lines[7]["protocol"], Value::Null);
    assert!(lines[8].get("error").is_none());
    assert!(lines[9]["error"].is_string());
}

#[test]
fn reads_json_lines_from_stdin() {
    let input: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(sample()).unwrap()).unwrap();
    let jsonl: String = input.iter().map(|v| format!("{v}\n")).collect();
    let mut child =
        bin().arg("decode").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(jsonl.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), input.len());
}

#[test]
fn not_json_exits_2_with_one_error_line() {
    let mut child = bin()
        .arg("decode")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"this is not json").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("not JSON"), "{stderr}");
}

#[test]
fn registered_ctoken_turns_transfer_into_compound() {
    let out = bin()
        .args(["decode", "--emitter", "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48=compound-v2"])
        .arg(sample())
        .output()
        .unwrap();
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[7]["protocol"], "compound-v2");
    assert_eq!(lines[7]["fields"]["amount"], "2500000000");

    let bad = bin().args(["decode", "--emitter", "nope"]).arg(sample()).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
}
