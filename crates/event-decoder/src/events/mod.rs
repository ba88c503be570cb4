//! Typed events, one module per protocol family.

pub(crate) mod macros;

pub mod aave_v3;
pub mod balancer_v2;
pub mod chainlink;
pub mod compound_v2;
pub mod curve;
pub mod erc20;
pub mod uniswap_v2;
pub mod uniswap_v3;
pub mod uniswap_v4;

#[cfg(test)]
mod tests {
    use alloy_primitives::Address;
    use proptest::prelude::*;

    use crate::{
        AaveV3Event, BalancerV2Event, ChainlinkEvent, CompoundV2Event, CurveEvent, Decoder,
        Erc20Event, Event, Registry, UniswapV2Event, UniswapV3Event, UniswapV4Event,
    };

    fn any_event() -> impl Strategy<Value = Event> {
        prop_oneof![
            UniswapV2Event::arbitrary().prop_map(Event::UniswapV2),
            UniswapV3Event::arbitrary().prop_map(Event::UniswapV3),
            UniswapV4Event::arbitrary().prop_map(Event::UniswapV4),
            BalancerV2Event::arbitrary().prop_map(Event::BalancerV2),
            CurveEvent::arbitrary().prop_map(Event::Curve),
            AaveV3Event::arbitrary().prop_map(Event::AaveV3),
            CompoundV2Event::arbitrary().prop_map(Event::CompoundV2),
            ChainlinkEvent::arbitrary().prop_map(Event::Chainlink),
            Erc20Event::arbitrary().prop_map(Event::Erc20),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4_000))]

        /// Every event, with arbitrary field values, survives encode → decode unchanged, when
        /// its emitter is registered as its protocol and when nothing is registered (except
        /// the cToken `Transfer`, which needs the registry by design).
        #[test]
        fn encode_decode_round_trip(event in any_event(), emitter in any::<[u8; 20]>()) {
            let emitter = Address::from(emitter);
            let data = event.encode_log_data();
            let mut registry = Registry::new();
            if let Some(p) = event.protocol() {
                registry.insert(emitter, p);
            }
            let registered =
                Decoder::with_registry(registry).watched_only(event.protocol().is_some());
            prop_assert_eq!(&registered.decode_event(emitter, &data).unwrap(), &event);

            let open = Decoder::new();
            if !matches!(event, Event::CompoundV2(CompoundV2Event::Transfer(_))) {
                prop_assert_eq!(&open.decode_event(emitter, &data).unwrap(), &event);
            }
            prop_assert_eq!(event.fields().len(), event.signature().matches(',').count()
                + usize::from(!event.signature().ends_with("()")));
        }
    }
}
