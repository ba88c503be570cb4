//! Arbitrary input never panics the decoder.

use alloy_primitives::{Address, B256, Bytes, LogData};
use mev_event_decoder::{Decoder, Protocol, Registry};
use proptest::prelude::*;

/// Topic0 values the decoder knows, so fuzzed logs reach the ABI decoder, not just the lookup.
fn known_topic0() -> impl Strategy<Value = B256> {
    let all: Vec<B256> = Protocol::ALL.iter().flat_map(|p| p.topics()).copied().collect();
    prop::sample::select(all)
}

fn topics() -> impl Strategy<Value = Vec<B256>> {
    (
        prop_oneof![known_topic0(), any::<[u8; 32]>().prop_map(B256::from)],
        prop::collection::vec(any::<[u8; 32]>().prop_map(B256::from), 0..4),
    )
        .prop_map(|(t0, mut rest)| {
            rest.insert(0, t0);
            rest
        })
}

/// Data that is either random bytes or random 32-byte words with small values, so offsets and
/// lengths in dynamic arrays are sometimes plausible.
fn data() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..400),
        prop::collection::vec(0u64..512, 0..14).prop_map(|words| {
            words
                .into_iter()
                .flat_map(|w| {
                    let mut word = [0u8; 32];
                    word[24..].copy_from_slice(&w.to_be_bytes());
                    word
                })
                .collect()
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20_000))]

    #[test]
    fn arbitrary_logs_never_panic(topics in topics(), data in data(), registered in any::<bool>()) {
        let emitter = Address::repeat_byte(7);
        let decoder = if registered {
            Decoder::with_registry(Registry::new().with(emitter, Protocol::CompoundV2))
        } else {
            Decoder::new()
        };
        let log = LogData::new_unchecked(topics, Bytes::from(data));
        if let Ok(event) = decoder.decode_event(emitter, &log) {
            // Whatever decodes re-encodes to the same topics.
            let encoded = event.encode_log_data();
            prop_assert_eq!(encoded.topics(), log.topics());
            let _ = event.fields();
        }
    }
}
