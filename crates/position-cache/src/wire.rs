//! Lossless JSON field codecs shared by [`Position`](crate::Position) and its legs.
//!
//! Writing: addresses as lowercase `0x` hex, amounts and the health factor as decimal strings
//! (so that Lua's `cjson`, JavaScript and Python read them without rounding), thresholds as
//! decimal strings.
//!
//! Reading: amounts may be JSON numbers of any size (read through `RawValue`, never through
//! `f64`), decimal strings or `0x` hex strings; exponent forms are accepted when they denote an
//! integer exactly.

use std::{fmt, str::FromStr};

use alloy_primitives::{Address, U256};
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serializer, de};
use serde_json::value::RawValue;

pub(crate) fn ser_address<S: Serializer>(address: &Address, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&format_args!("{address:#x}"))
}

pub(crate) fn ser_u256<S: Serializer>(value: &U256, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(value)
}

pub(crate) fn ser_opt_u256<S: Serializer>(value: &Option<U256>, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) => s.collect_str(v),
        None => s.serialize_none(),
    }
}

pub(crate) fn ser_decimal<S: Serializer>(value: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(value)
}

/// An address read from a JSON string, any letter case, checksum not enforced (the reference
/// data carries non-checksummed mixed-case addresses).
#[derive(Debug, Clone, Copy)]
pub(crate) struct WireAddress(pub(crate) Address);

impl<'de> Deserialize<'de> for WireAddress {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl de::Visitor<'_> for V {
            type Value = WireAddress;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a 20-byte hex address string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Address::from_str(v.trim())
                    .map(WireAddress)
                    .map_err(|e| E::custom(format_args!("invalid address {v:?}: {e}")))
            }
        }
        d.deserialize_str(V)
    }
}

/// A `U256` read from a JSON number or string without loss.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WireU256(pub(crate) U256);

impl<'de> Deserialize<'de> for WireU256 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(d)?;
        parse_u256_json(raw.get()).map(WireU256).map_err(de::Error::custom)
    }
}

/// A `Decimal` read from a JSON number or string without going through `f64`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WireDecimal(pub(crate) Decimal);

impl<'de> Deserialize<'de> for WireDecimal {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(d)?;
        parse_decimal_json(raw.get()).map(WireDecimal).map_err(de::Error::custom)
    }
}

/// Parses the raw JSON text of a number or string into a `U256`.
pub(crate) fn parse_u256_json(raw: &str) -> Result<U256, String> {
    let raw = raw.trim();
    if raw.starts_with('"') {
        let text = json_string(raw)?;
        parse_u256_text(text.trim())
    } else {
        parse_u256_text(raw)
    }
}

/// Parses the raw JSON text of a number or string into a `Decimal`.
pub(crate) fn parse_decimal_json(raw: &str) -> Result<Decimal, String> {
    let raw = raw.trim();
    let text = if raw.starts_with('"') { json_string(raw)? } else { raw.into() };
    let text = text.trim();
    if text.contains(['e', 'E']) { Decimal::from_scientific(text) } else { Decimal::from_str(text) }
        .map_err(|e| format!("invalid decimal {text:?}: {e}"))
}

/// The contents of a JSON string literal (borrowed when it has no escapes).
fn json_string(raw: &str) -> Result<std::borrow::Cow<'_, str>, String> {
    if let Some(inner) = raw.strip_prefix('"').and_then(|r| r.strip_suffix('"'))
        && !inner.contains('\\')
    {
        return Ok(inner.into());
    }
    serde_json::from_str::<String>(raw).map(Into::into).map_err(|e| e.to_string())
}

/// Parses an unsigned integer: decimal digits, `0x` hex, or a JSON number in exponent or
/// fractional form that is exactly an integer (`1e18`, `1.5E+21`, `2.0`).
pub(crate) fn parse_u256_text(text: &str) -> Result<U256, String> {
    if text.is_empty() {
        return Err("empty amount".into());
    }
    if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        return U256::from_str_radix(hex, 16)
            .map_err(|e| format!("invalid hex amount {text:?}: {e}"));
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return U256::from_str_radix(text, 10).map_err(|e| format!("invalid amount {text:?}: {e}"));
    }
    parse_exact_scientific(text)
        .ok_or_else(|| format!("amount {text:?} is not a non-negative integer"))
}

/// `digits[.digits][(e|E)[+|-]digits]` that denotes an integer exactly.
fn parse_exact_scientific(text: &str) -> Option<U256> {
    let (mantissa, exp) = match text.find(['e', 'E']) {
        Some(i) => (&text[..i], text[i + 1..].parse::<i64>().ok()?),
        None => (text, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    if !int_part.bytes().chain(frac_part.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut digits: String = format!("{int_part}{frac_part}");
    let shift = exp.checked_sub(i64::try_from(frac_part.len()).ok()?)?;
    if shift >= 0 {
        if shift > 80 {
            // Only zero survives a shift this large inside 256 bits.
            return digits.bytes().all(|b| b == b'0').then_some(U256::ZERO);
        }
        digits.extend(std::iter::repeat_n('0', usize::try_from(shift).ok()?));
    } else {
        let cut = usize::try_from(shift.unsigned_abs()).ok()?;
        if cut > digits.len() {
            return digits.bytes().all(|b| b == b'0').then_some(U256::ZERO);
        }
        let (keep, dropped) = digits.split_at(digits.len() - cut);
        if !dropped.bytes().all(|b| b == b'0') {
            return None;
        }
        digits = keep.to_owned();
    }
    if digits.is_empty() {
        return Some(U256::ZERO);
    }
    U256::from_str_radix(&digits, 10).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_read_without_loss() {
        let big = "115792089237316195423570985008687907853269984665640564039457584007913129639935";
        assert_eq!(parse_u256_json(big).unwrap(), U256::MAX);
        assert_eq!(parse_u256_json(&format!("\"{big}\"")).unwrap(), U256::MAX);
        assert_eq!(parse_u256_json("\"0xff\"").unwrap(), U256::from(255));
        assert_eq!(parse_u256_json("1e18").unwrap(), U256::from(10).pow(U256::from(18)));
        assert_eq!(parse_u256_json("1.5E+3").unwrap(), U256::from(1500));
        assert_eq!(parse_u256_json("2.0").unwrap(), U256::from(2));
        assert_eq!(parse_u256_json("0e99").unwrap(), U256::ZERO);
        assert!(parse_u256_json("1.5").is_err());
        assert!(parse_u256_json("-1").is_err());
        assert!(parse_u256_json("\"abc\"").is_err());
        assert!(parse_u256_json("1e100").is_err());
    }

    #[test]
    fn decimals_keep_scale() {
        assert_eq!(parse_decimal_json("\"0.80\"").unwrap().to_string(), "0.80");
        assert_eq!(parse_decimal_json("0.8").unwrap().to_string(), "0.8");
        assert_eq!(parse_decimal_json("8e-1").unwrap(), Decimal::new(8, 1));
        assert!(parse_decimal_json("\"x\"").is_err());
    }
}
