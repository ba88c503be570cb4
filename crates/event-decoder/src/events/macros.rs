//! The macro that turns a list of `sol!` event types into one protocol's event enum.

/// Defines a protocol's event enum over `sol!` event structs.
///
/// For each variant it generates `From<Type>` for the enum and for [`crate::Event`], the Solidity
/// event name, the topic0, ABI encoding back into [`alloy_primitives::LogData`], and the list of
/// named fields (in ABI order, by their Solidity names) used by JSON output.
macro_rules! protocol_events {
    (
        $(#[$meta:meta])*
        $vis:vis enum $Enum:ident => $Outer:ident {
            $(
                $(#[$vmeta:meta])*
                $Variant:ident($Ty:path) { $($field:ident),* $(,)? }
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        $vis enum $Enum {
            $( $(#[$vmeta])* $Variant($Ty), )*
        }

        impl $Enum {
            /// The Solidity event name, e.g. `"Swap"`.
            #[must_use]
            pub fn name(&self) -> &'static str {
                match self {
                    $( Self::$Variant(_) => crate::fields::event_name(
                        <$Ty as alloy_sol_types::SolEvent>::SIGNATURE,
                    ), )*
                }
            }

            /// The canonical Solidity signature, e.g. `"Sync(uint112,uint112)"`.
            #[must_use]
            pub fn signature(&self) -> &'static str {
                match self {
                    $( Self::$Variant(_) => <$Ty as alloy_sol_types::SolEvent>::SIGNATURE, )*
                }
            }

            /// The event's topic0: keccak256 of its signature.
            #[must_use]
            pub fn topic0(&self) -> alloy_primitives::B256 {
                match self {
                    $( Self::$Variant(_) => <$Ty as alloy_sol_types::SolEvent>::SIGNATURE_HASH, )*
                }
            }

            /// ABI-encodes the event back into log topics and data, exactly as the contract
            /// emits it.
            #[must_use]
            pub fn encode_log_data(&self) -> alloy_primitives::LogData {
                match self {
                    $( Self::$Variant(e) => alloy_sol_types::SolEvent::encode_log_data(e), )*
                }
            }

            /// The event's parameters, by their Solidity names, in ABI order.
            #[must_use]
            pub fn fields(&self) -> Vec<crate::Field> {
                match self {
                    $( Self::$Variant(e) => vec![
                        $( crate::Field {
                            name: stringify!($field),
                            value: crate::fields::ToFieldValue::to_field_value(&e.$field),
                        }, )*
                    ], )*
                }
            }

            /// The topic0 of every event in this enum, in declaration order.
            pub const TOPICS: &'static [alloy_primitives::B256] = &[
                $( <$Ty as alloy_sol_types::SolEvent>::SIGNATURE_HASH, )*
            ];

            #[cfg(test)]
            /// A proptest strategy producing every variant with arbitrary field values.
            pub(crate) fn arbitrary() -> proptest::strategy::BoxedStrategy<Self> {
                use proptest::prelude::*;
                let variants: Vec<BoxedStrategy<Self>> = vec![
                    $( {
                        #[allow(unused_parens, non_snake_case)]
                        let s = ( $( crate::fields::arb_field(|e: &$Ty| &e.$field) ),* )
                            .prop_map(|( $($field),* )| {
                                type T = $Ty;
                                Self::$Variant(T { $($field),* })
                            });
                        s.boxed()
                    }, )*
                ];
                proptest::strategy::Union::new(variants).boxed()
            }
        }

        $(
            impl From<$Ty> for $Enum {
                fn from(event: $Ty) -> Self {
                    Self::$Variant(event)
                }
            }

            impl From<$Ty> for crate::Event {
                fn from(event: $Ty) -> Self {
                    Self::$Outer($Enum::$Variant(event))
                }
            }
        )*
    };
}

pub(crate) use protocol_events;
