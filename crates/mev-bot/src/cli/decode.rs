//! `mev-bot decode`: logs in, one JSON object per log out.

use std::{
    fs::File,
    io::{self, BufRead, BufReader, BufWriter, Write},
    path::PathBuf,
};

use alloy_primitives::{Address, B256, Bytes, LogData};
use alloy_rpc_types_eth::Log;
use clap::Args;
use mev_event_decoder::{Decoder, Protocol, RawLog, Registry};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use super::error::{CliError, Result};

#[derive(Debug, Args)]
pub(super) struct DecodeArgs {
    /// The logs to decode; standard input when absent or "-".
    file: Option<PathBuf>,
    /// Register an emitter as a protocol (ADDRESS=PROTOCOL, e.g.
    /// 0x39AA39c021dfbaE8faC545936693aC917d5E7563=compound-v2); settles topic collisions
    /// such as cToken vs ERC-20 Transfer. Repeatable.
    #[arg(long = "emitter", value_name = "ADDRESS=PROTOCOL")]
    emitters: Vec<String>,
    /// Decode only registered emitters; others give "event": null.
    #[arg(long, requires = "emitters")]
    watched_only: bool,
}

pub(super) fn decode(args: DecodeArgs) -> Result<()> {
    let registry = parse_emitters(&args.emitters)?;
    let decoder = Decoder::with_registry(registry).watched_only(args.watched_only);
    let out = BufWriter::new(io::stdout().lock());
    match args.file.filter(|f| f.as_os_str() != "-") {
        Some(path) => {
            let f =
                File::open(&path).map_err(CliError::io(format!("opening {}", path.display())))?;
            decode_stream(&decoder, BufReader::new(f), out)?;
        }
        None => {
            decode_stream(&decoder, io::stdin().lock(), out)?;
        }
    }
    Ok(())
}

/// The `--emitter ADDRESS=PROTOCOL` registrations.
fn parse_emitters(specs: &[String]) -> Result<Registry> {
    let mut registry = Registry::new();
    for spec in specs {
        let invalid = |reason: String| CliError::InvalidArgument { what: "--emitter", reason };
        let (addr, proto) = spec
            .split_once('=')
            .ok_or_else(|| invalid(format!("{spec:?} is not ADDRESS=PROTOCOL")))?;
        let address: Address =
            addr.parse().map_err(|e| invalid(format!("{addr:?} is not an address: {e}")))?;
        let protocol: Protocol = proto.parse().map_err(|e| invalid(format!("{e}")))?;
        registry.insert(address, protocol);
    }
    Ok(registry)
}

/// Counts of what a decode run saw.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct DecodeSummary {
    /// Logs read.
    logs: usize,
    /// Logs decoded into a known event.
    decoded: usize,
    /// Logs whose topic0 (or emitter) the decoder does not know.
    unknown: usize,
    /// Logs with a known topic0 whose topics or data did not decode.
    malformed: usize,
}

/// One output line.
#[derive(Debug, Serialize)]
struct Line<'a> {
    address: String,
    block_number: Option<u64>,
    transaction_hash: Option<String>,
    log_index: Option<u64>,
    removed: bool,
    protocol: Option<&'static str>,
    event: Option<&'static str>,
    fields: Option<serde_json::Map<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
}

/// Reads logs from `input` and writes one JSON object per log to `output`, in order.
///
/// The input is an `eth_getLogs` result array, a JSON-RPC response whose `result` is such an
/// array, or log objects one after another (one per line). Unknown and malformed logs are
/// written with `"event": null` (malformed ones with an `"error"`) and do not stop the run;
/// input that is not JSON, or JSON that is not a log, stops it with an error.
fn decode_stream<R: BufRead, W: Write>(
    decoder: &Decoder,
    input: R,
    mut output: W,
) -> Result<DecodeSummary> {
    let mut summary = DecodeSummary::default();
    let stream = serde_json::Deserializer::from_reader(input).into_iter::<Value>();
    for value in stream {
        let value = value.map_err(|source| CliError::NotJson { source })?;
        let items = match value {
            Value::Array(items) => items,
            Value::Object(mut obj) if obj.contains_key("result") && !obj.contains_key("topics") => {
                match obj.remove("result") {
                    Some(Value::Array(items)) => items,
                    Some(other) => vec![other],
                    None => Vec::new(),
                }
            }
            other => vec![other],
        };
        for item in items {
            let index = summary.logs;
            let log: InputLog = serde_json::from_value(item)
                .map_err(|source| CliError::NotALog { index, source })?;
            let log = log.into_rpc_log();
            summary.logs += 1;
            write_line(decoder, &log, &mut output, &mut summary)?;
        }
    }
    output.flush().map_err(|source| CliError::Io { context: "writing output".into(), source })?;
    Ok(summary)
}

fn write_line<W: Write>(
    decoder: &Decoder,
    log: &Log,
    output: &mut W,
    summary: &mut DecodeSummary,
) -> Result<()> {
    let meta = log.meta();
    let mut line = Line {
        address: meta.address.to_checksum(None),
        block_number: meta.block_number,
        transaction_hash: meta.transaction_hash.map(|h| h.to_string()),
        log_index: meta.log_index,
        removed: meta.removed,
        protocol: None,
        event: None,
        fields: None,
        error: None,
    };
    let error_text;
    match decoder.decode(log) {
        Ok(decoded) => {
            summary.decoded += 1;
            line.protocol = decoded.protocol().map(|p| p.as_str());
            line.event = Some(decoded.event.name());
            line.fields = Some(
                decoded
                    .event
                    .fields()
                    .into_iter()
                    .map(|f| {
                        (f.name.to_owned(), serde_json::to_value(&f.value).unwrap_or_default())
                    })
                    .collect(),
            );
        }
        Err(e) if e.is_unknown() => summary.unknown += 1,
        Err(e) => {
            summary.malformed += 1;
            error_text = e.to_string();
            line.error = Some(&error_text);
        }
    }
    serde_json::to_writer(&mut *output, &line)
        .map_err(|e| CliError::Io { context: "writing output".into(), source: e.into() })?;
    output
        .write_all(b"\n")
        .map_err(|source| CliError::Io { context: "writing output".into(), source })
}

/// A log object as `eth_getLogs` returns it, with every key but `address` and `topics`
/// optional (and quantities as hex strings or JSON numbers), so hand-written or trimmed logs
/// read too.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct InputLog {
    address: Address,
    topics: Vec<B256>,
    #[serde(default)]
    data: Bytes,
    #[serde(default, deserialize_with = "quantity")]
    block_number: Option<u64>,
    #[serde(default)]
    block_hash: Option<B256>,
    #[serde(default, deserialize_with = "quantity")]
    block_timestamp: Option<u64>,
    #[serde(default)]
    transaction_hash: Option<B256>,
    #[serde(default, deserialize_with = "quantity")]
    transaction_index: Option<u64>,
    #[serde(default, deserialize_with = "quantity")]
    log_index: Option<u64>,
    #[serde(default)]
    removed: bool,
}

impl InputLog {
    fn into_rpc_log(self) -> Log {
        Log {
            inner: alloy_primitives::Log {
                address: self.address,
                data: LogData::new_unchecked(self.topics, self.data),
            },
            block_hash: self.block_hash,
            block_number: self.block_number,
            block_timestamp: self.block_timestamp,
            transaction_hash: self.transaction_hash,
            transaction_index: self.transaction_index,
            log_index: self.log_index,
            removed: self.removed,
        }
    }
}

/// A JSON-RPC quantity: `"0x1a"`, or a plain JSON number, or null.
fn quantity<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    use serde::de::Error;
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => {
            n.as_u64().map(Some).ok_or_else(|| D::Error::custom(format!("{n} is not a u64")))
        }
        Some(Value::String(s)) => {
            let digits = s
                .strip_prefix("0x")
                .ok_or_else(|| D::Error::custom(format!("quantity {s:?} lacks 0x")))?;
            u64::from_str_radix(digits, 16)
                .map(Some)
                .map_err(|e| D::Error::custom(format!("quantity {s:?}: {e}")))
        }
        Some(other) => Err(D::Error::custom(format!("{other} is not a quantity"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SYNC: &str = r#"{"address":"0xb4e16d0168e52d35cacd2c6185b44281ec28c9dc","topics":["0x1c411e9a96e071241c2f21f7726b17ae89e3cab4c78be50e062b03a9fffbbad1"],"data":"0x00000000000000000000000000000000000000000000000000000000000000070000000000000000000000000000000000000000000000000000000000000009","blockNumber":"0x10","transactionHash":"0x00000000000000000000000000000000000000000000000000000000000000a1","logIndex":"0x2","removed":false}"#;

    fn run(input: &str) -> Result<(Vec<Value>, DecodeSummary)> {
        let mut out = Vec::new();
        let summary = decode_stream(&Decoder::new(), input.as_bytes(), &mut out)?;
        let lines = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        Ok((lines, summary))
    }

    #[test]
    fn array_lines_and_rpc_response_give_the_same_output() {
        let (a, _) = run(&format!("[{SYNC},{SYNC}]")).unwrap();
        let (b, _) = run(&format!("{SYNC}\n{SYNC}\n")).unwrap();
        let (c, s) =
            run(&format!(r#"{{"jsonrpc":"2.0","id":1,"result":[{SYNC},{SYNC}]}}"#)).unwrap();
        assert_eq!(a, b);
        assert_eq!(a, c);
        assert_eq!(s, DecodeSummary { logs: 2, decoded: 2, unknown: 0, malformed: 0 });
        assert_eq!(
            a[0],
            serde_json::json!({
                "address": "0xB4e16d0168e52d35CaCD2c6185b44281Ec28C9Dc",
                "block_number": 16,
                "transaction_hash":
                    "0x00000000000000000000000000000000000000000000000000000000000000a1",
                "log_index": 2,
                "removed": false,
                "protocol": "uniswap-v2",
                "event": "Sync",
                "fields": {"reserve0": "7", "reserve1": "9"}
            })
        );
    }

    #[test]
    fn not_json_and_not_a_log_are_errors() {
        assert!(matches!(run("[{\"address\": 1"), Err(CliError::NotJson { .. })));
        assert!(matches!(run("hello"), Err(CliError::NotJson { .. })));
        assert!(matches!(run("[{\"x\": 1}]"), Err(CliError::NotALog { index: 0, .. })));
        let bad_quantity = SYNC.replace("\"0x10\"", "\"16\"");
        assert!(matches!(run(&bad_quantity), Err(CliError::NotALog { .. })));
        // Metadata keys are optional; numbers are accepted for quantities.
        let (lines, _) =
            run(&SYNC.replace("\"0x10\"", "16").replace(",\"removed\":false", "")).unwrap();
        assert_eq!(lines[0]["block_number"], 16);
    }

    #[test]
    fn unknown_and_malformed_do_not_stop_the_run() {
        let unknown = SYNC.replace("1c411e9a", "00000000");
        let malformed = SYNC.replace(
            "0000000000000000000000000000000000000000000000000000000000000007",
            "0000000000000000000000000000000100000000000000000000000000000007",
        );
        let (lines, s) = run(&format!("{unknown}\n{malformed}\n{SYNC}")).unwrap();
        assert_eq!(s, DecodeSummary { logs: 3, decoded: 1, unknown: 1, malformed: 1 });
        assert_eq!(lines[0]["event"], Value::Null);
        assert!(lines[0].get("error").is_none());
        assert_eq!(lines[1]["event"], Value::Null);
        assert!(lines[1]["error"].as_str().unwrap().contains("Sync(uint112,uint112)"));
        assert_eq!(lines[2]["event"], "Sync");
    }
}
