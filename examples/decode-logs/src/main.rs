//! Decodes the bundled `logs.json` (an `eth_getLogs` result) with the mev-event-decoder library
//! API and prints each event, its fields and the state it changed.
//!
//! Run: `cargo run -p example-decode-logs [-- path/to/logs.json]`

use std::path::PathBuf;

use alloy_rpc_types_eth::Log;
use mev_event_decoder::Decoder;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args_os()
        .nth(1)
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("logs.json"), PathBuf::from);
    let logs: Vec<Log> = serde_json::from_str(&std::fs::read_to_string(&path)?)?;
    let decoder = Decoder::new();

    for log in &logs {
        match decoder.decode(log) {
            Ok(decoded) => {
                let protocol = decoded.protocol().map_or("erc-20", |p| p.as_str());
                println!(
                    "block {} log {}: {protocol} {} from {}",
                    decoded.meta.block_number.unwrap_or_default(),
                    decoded.meta.log_index.unwrap_or_default(),
                    decoded.event.name(),
                    decoded.address(),
                );
                for field in decoded.event.fields() {
                    println!("    {:<20} {}", field.name, serde_json::to_string(&field.value)?);
                }
                for change in decoded.state_changes() {
                    println!("    => {change:?}");
                }
            }
            Err(e) => println!("log {}: not decoded: {e}", log.log_index.unwrap_or_default()),
        }
    }
    Ok(())
}
