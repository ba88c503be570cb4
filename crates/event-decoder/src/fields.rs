//! A protocol-neutral view of an event's parameters, for display and JSON output.

use alloy_primitives::{
    Address, B256, I256, U256,
    aliases::{I24, U24, U112, U160},
};
use serde::{Serialize, Serializer, ser::SerializeSeq};

/// One event parameter: its Solidity name and value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// The parameter's name in the event's Solidity (or Vyper) source, e.g. `"amount0In"`.
    pub name: &'static str,
    /// Its value.
    pub value: FieldValue,
}

/// The value of an event parameter, widened to one of a few ABI kinds.
///
/// Serialises to JSON as the decoder's output format: integers as decimal strings (negative
/// with a leading `-`, so no precision is lost), addresses EIP-55 checksummed, `bytes32` as
/// 0x-hex, booleans as JSON booleans and arrays as JSON arrays.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FieldValue {
    /// An `address`.
    Address(Address),
    /// Any `uintN`.
    Uint(U256),
    /// Any `intN`, sign-extended.
    Int(I256),
    /// A `bool`.
    Bool(bool),
    /// A `bytes32`.
    FixedBytes(B256),
    /// A fixed or dynamic array.
    Array(Vec<Self>),
}

impl Serialize for FieldValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Address(a) => serializer.serialize_str(&a.to_checksum(None)),
            Self::Uint(v) => serializer.collect_str(v),
            Self::Int(v) => serializer.collect_str(v),
            Self::Bool(b) => serializer.serialize_bool(*b),
            Self::FixedBytes(b) => serializer.collect_str(b),
            Self::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
        }
    }
}

/// Converts a `sol!` field type into a [`FieldValue`].
pub(crate) trait ToFieldValue {
    fn to_field_value(&self) -> FieldValue;
}

macro_rules! uint_field {
    ($($t:ty),*) => {$(
        impl ToFieldValue for $t {
            fn to_field_value(&self) -> FieldValue {
                FieldValue::Uint(U256::from(*self))
            }
        }
    )*};
}
uint_field!(u8, u16, u128, U24, U112, U160, U256);

impl ToFieldValue for i128 {
    fn to_field_value(&self) -> FieldValue {
        // Sign-extend the 16 big-endian bytes to 32.
        let fill = if *self < 0 { 0xff } else { 0 };
        let mut word = [fill; 32];
        word[16..].copy_from_slice(&self.to_be_bytes());
        FieldValue::Int(I256::from_be_bytes(word))
    }
}

impl ToFieldValue for I24 {
    fn to_field_value(&self) -> FieldValue {
        let bytes = self.to_be_bytes::<3>();
        let fill = if bytes[0] & 0x80 != 0 { 0xff } else { 0 };
        let mut word = [fill; 32];
        word[29..].copy_from_slice(&bytes);
        FieldValue::Int(I256::from_be_bytes(word))
    }
}

impl ToFieldValue for I256 {
    fn to_field_value(&self) -> FieldValue {
        FieldValue::Int(*self)
    }
}

impl ToFieldValue for Address {
    fn to_field_value(&self) -> FieldValue {
        FieldValue::Address(*self)
    }
}

impl ToFieldValue for B256 {
    fn to_field_value(&self) -> FieldValue {
        FieldValue::FixedBytes(*self)
    }
}

impl ToFieldValue for bool {
    fn to_field_value(&self) -> FieldValue {
        FieldValue::Bool(*self)
    }
}

impl<T: ToFieldValue, const N: usize> ToFieldValue for [T; N] {
    fn to_field_value(&self) -> FieldValue {
        FieldValue::Array(self.iter().map(ToFieldValue::to_field_value).collect())
    }
}

impl<T: ToFieldValue> ToFieldValue for Vec<T> {
    fn to_field_value(&self) -> FieldValue {
        FieldValue::Array(self.iter().map(ToFieldValue::to_field_value).collect())
    }
}

/// The event name in a canonical signature: `"Sync(uint112,uint112)"` → `"Sync"`.
pub(crate) fn event_name(signature: &'static str) -> &'static str {
    signature.split_once('(').map_or(signature, |(name, _)| name)
}

#[cfg(test)]
pub(crate) use arb::arb_field;

#[cfg(test)]
mod arb {
    //! proptest strategies for every `sol!` field type the events use.

    use alloy_primitives::{
        Address, B256, I256, U256,
        aliases::{I24, U24, U112, U160},
    };
    use proptest::prelude::*;

    pub(crate) trait Arb: Sized + std::fmt::Debug {
        fn arb() -> BoxedStrategy<Self>;
    }

    /// The strategy for the type of the field the accessor points at.
    pub(crate) fn arb_field<S, T: Arb>(_accessor: impl Fn(&S) -> &T) -> BoxedStrategy<T> {
        T::arb()
    }

    fn word() -> BoxedStrategy<[u8; 32]> {
        // Mix full-width words with small values and extremes, as real logs carry.
        prop_oneof![
            any::<[u8; 32]>(),
            any::<u64>().prop_map(|v| U256::from(v).to_be_bytes::<32>()),
            Just([0u8; 32]),
            Just([0xffu8; 32]),
        ]
        .boxed()
    }

    impl Arb for U256 {
        fn arb() -> BoxedStrategy<Self> {
            word().prop_map(Self::from_be_bytes).boxed()
        }
    }
    impl Arb for I256 {
        fn arb() -> BoxedStrategy<Self> {
            word().prop_map(Self::from_be_bytes).boxed()
        }
    }
    impl Arb for B256 {
        fn arb() -> BoxedStrategy<Self> {
            word().prop_map(Self::from).boxed()
        }
    }
    impl Arb for Address {
        fn arb() -> BoxedStrategy<Self> {
            any::<[u8; 20]>().prop_map(Self::from).boxed()
        }
    }
    impl Arb for U160 {
        fn arb() -> BoxedStrategy<Self> {
            any::<[u8; 20]>().prop_map(Self::from_be_bytes).boxed()
        }
    }
    impl Arb for U112 {
        fn arb() -> BoxedStrategy<Self> {
            any::<[u8; 14]>().prop_map(Self::from_be_bytes).boxed()
        }
    }
    impl Arb for U24 {
        fn arb() -> BoxedStrategy<Self> {
            any::<[u8; 3]>().prop_map(Self::from_be_bytes).boxed()
        }
    }
    impl Arb for I24 {
        fn arb() -> BoxedStrategy<Self> {
            (-(1i32 << 23)..(1i32 << 23)).prop_map(|v| Self::try_from(v).unwrap()).boxed()
        }
    }
    macro_rules! arb_prim {
        ($($t:ty),*) => {$(
            impl Arb for $t {
                fn arb() -> BoxedStrategy<Self> {
                    any::<$t>().boxed()
                }
            }
        )*};
    }
    arb_prim!(bool, u8, u16, u128, i128);

    impl<T: Arb + 'static> Arb for [T; 2] {
        fn arb() -> BoxedStrategy<Self> {
            proptest::array::uniform2(T::arb()).boxed()
        }
    }
    impl<T: Arb + 'static> Arb for [T; 3] {
        fn arb() -> BoxedStrategy<Self> {
            proptest::array::uniform3(T::arb()).boxed()
        }
    }
    impl<T: Arb + 'static> Arb for Vec<T> {
        fn arb() -> BoxedStrategy<Self> {
            proptest::collection::vec(T::arb(), 0..6).boxed()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_fields_are_sign_extended() {
        assert_eq!((-5i128).to_field_value(), FieldValue::Int(I256::try_from(-5).unwrap()));
        assert_eq!(I24::try_from(-887272).unwrap().to_field_value(), {
            FieldValue::Int(I256::try_from(-887272).unwrap())
        });
        assert_eq!(I24::try_from(887272).unwrap().to_field_value(), {
            FieldValue::Int(I256::try_from(887272).unwrap())
        });
    }

    #[test]
    fn json_format() {
        let v = FieldValue::Array(vec![
            FieldValue::Int(I256::try_from(-1).unwrap()),
            FieldValue::Uint(U256::MAX),
            FieldValue::Bool(true),
            FieldValue::Address("0x833589fcd6edb6e08f4c7c32d4f71b54bda02913".parse().unwrap()),
        ]);
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            format!(
                "[\"-1\",\"{}\",true,\"0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913\"]",
                U256::MAX
            )
        );
    }

    #[test]
    fn event_name_strips_parameters() {
        assert_eq!(event_name("Sync(uint112,uint112)"), "Sync");
        assert_eq!(event_name("NoParens"), "NoParens");
    }
}
