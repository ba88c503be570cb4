//! Fuzzes `Decoder::decode_event` with arbitrary topics and data.
//!
//! Input layout: byte 0 picks the topic count (0–4) and whether the emitter is registered as a
//! cToken; byte 1 picks a known topic0 (so most inputs reach the ABI decoder) or, when ≥ 0xF0,
//! takes topic0 from the input; then the topics, then the data.
#![no_main]

use alloy_primitives::{Address, B256, Bytes, LogData};
use libfuzzer_sys::fuzz_target;
use mev_event_decoder::{Decoder, Protocol, Registry};

fuzz_target!(|input: &[u8]| {
    let [head, pick, rest @ ..] = input else { return };
    let count = usize::from(head % 5);
    let registered = head & 0x80 != 0;
    let known: Vec<B256> = Protocol::ALL.iter().flat_map(|p| p.topics()).copied().collect();
    let mut topics = Vec::with_capacity(count);
    let mut rest = rest;
    for n in 0..count {
        if n == 0 && *pick < 0xF0 {
            topics.push(known[usize::from(*pick) % known.len()]);
            continue;
        }
        let Some((word, tail)) = rest.split_first_chunk::<32>() else { return };
        topics.push(B256::from(*word));
        rest = tail;
    }
    let emitter = Address::repeat_byte(0x42);
    let decoder = if registered {
        Decoder::with_registry(Registry::new().with(emitter, Protocol::CompoundV2))
    } else {
        Decoder::new()
    };
    let log = LogData::new_unchecked(topics, Bytes::copy_from_slice(rest));
    if let Ok(event) = decoder.decode_event(emitter, &log) {
        // Whatever decodes re-encodes to the same topics and renders its fields.
        assert_eq!(event.encode_log_data().topics(), log.topics());
        let _ = event.fields();
    }
});
