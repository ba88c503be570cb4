//! Fast paths for the JSON layout this crate writes.
//!
//! Every store serializes a [`Position`] the same way (`Position::to_json`): fields in a fixed
//! order, no whitespace, addresses as lowercase hex, amounts as decimal strings, the counter last.
//! [`write`] produces exactly that text without going through serde's per-field machinery, and
//! [`read`] parses exactly that text. Anything else — the Python bot's single-asset records,
//! Python's spaced output, escapes, numbers instead of strings, unknown fields — makes [`read`]
//! return `None`, and the caller falls back to the general serde reader, which accepts every
//! wire format. [`read`] therefore never gives a result the serde reader would not: it accepts
//! a subset of its input and decodes each field with the same functions.
//!
//! Reading and writing through these paths is about three times faster than serde's derive; it
//! is the client's main CPU cost in `get_all` and bulk upserts.

use std::fmt::Write as _;

use alloy_primitives::{Address, U256, hex};
use rust_decimal::Decimal;

use crate::position::{CollateralLeg, DebtLeg, Position};

/// Serializes `position` in the canonical layout, or `None` when the protocol name needs JSON
/// escaping (the caller then uses serde, which escapes it).
pub(crate) fn write(position: &Position) -> Option<String> {
    if position.protocol.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
        return None;
    }
    let legs = position.collateral.len() * 160 + position.debt.len() * 110;
    let mut out = String::with_capacity(position.protocol.len() + legs + 200);
    out.push_str(r#"{"protocol":""#);
    out.push_str(&position.protocol);
    out.push_str(r#"","user":""#);
    push_address(&mut out, position.user);
    out.push_str(r#"","collateral":["#);
    for (i, leg) in position.collateral.iter().enumerate() {
        push_leg_start(&mut out, i, leg.asset, leg.amount);
        out.push_str(r#"","liquidation_threshold":""#);
        // `fmt::Write` for `String` cannot fail.
        let _ = write!(out, "{}", leg.liquidation_threshold);
        out.push_str(r#""}"#);
    }
    out.push_str(r#"],"debt":["#);
    for (i, leg) in position.debt.iter().enumerate() {
        push_leg_start(&mut out, i, leg.asset, leg.amount);
        out.push_str(r#""}"#);
    }
    out.push(']');
    if let Some(hf) = position.health_factor {
        out.push_str(r#","health_factor":""#);
        push_u256(&mut out, hf);
        out.push('"');
    }
    let _ = write!(
        out,
        r#","last_update_block":{},"last_health_block":{},"blocks_unhealthy":{}}}"#,
        position.last_update_block, position.last_health_block, position.blocks_unhealthy
    );
    Some(out)
}

/// The `index`-th leg of an array up to its amount's closing quote (exclusive):
/// `[,]{"asset":"0x…","amount":"123`.
fn push_leg_start(out: &mut String, index: usize, asset: Address, amount: U256) {
    if index > 0 {
        out.push(',');
    }
    out.push_str(r#"{"asset":""#);
    push_address(out, asset);
    out.push_str(r#"","amount":""#);
    push_u256(out, amount);
}

fn push_address(out: &mut String, address: Address) {
    let mut buf = [0_u8; 42];
    buf[..2].copy_from_slice(b"0x");
    // 40 output bytes for 20 input bytes: the sizes match, so this cannot fail.
    if hex::encode_to_slice(address, &mut buf[2..]).is_ok() {
        out.push_str(std::str::from_utf8(&buf).unwrap_or_default());
    }
}

fn push_u256(out: &mut String, value: U256) {
    match u64::try_from(value) {
        Ok(small) => {
            let _ = write!(out, "{small}");
        }
        Err(_) => {
            let _ = write!(out, "{value}");
        }
    }
}

/// Parses the canonical layout; `None` for anything else (including malformed input).
pub(crate) fn read(bytes: &[u8]) -> Option<Position> {
    let mut r = Reader { bytes, at: 0 };
    r.expect(br#"{"protocol":""#)?;
    let protocol = r.plain_string()?;
    r.expect(br#","user":""#)?;
    let user = r.address()?;
    r.expect(br#","collateral":["#)?;
    let collateral = r.array(|r| {
        let (asset, amount) = r.leg_start()?;
        r.expect(br#","liquidation_threshold":""#)?;
        let liquidation_threshold = r.decimal()?;
        r.expect(b"}")?;
        Some(CollateralLeg { asset, amount, liquidation_threshold })
    })?;
    r.expect(br#","debt":["#)?;
    let debt = r.array(|r| {
        let (asset, amount) = r.leg_start()?;
        r.expect(b"}")?;
        Some(DebtLeg { asset, amount })
    })?;
    let health_factor = if r.eat_str(br#","health_factor":""#) { Some(r.amount()?) } else { None };
    r.expect(br#","last_update_block":"#)?;
    let last_update_block = r.number()?;
    // Absent in records written before the field existed.
    let last_health_block = if r.eat_str(br#","last_health_block":"#) { r.number()? } else { 0 };
    r.expect(br#","blocks_unhealthy":"#)?;
    let blocks_unhealthy = r.number()?;
    r.expect(b"}")?;
    if r.at != bytes.len() {
        return None;
    }
    Some(Position {
        protocol: protocol.to_owned(),
        user,
        collateral,
        debt,
        health_factor,
        last_update_block,
        last_health_block,
        blocks_unhealthy,
    })
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn eat_str(&mut self, literal: &[u8]) -> bool {
        let hit = self.bytes.get(self.at..self.at + literal.len()) == Some(literal);
        if hit {
            self.at += literal.len();
        }
        hit
    }

    fn eat(&mut self, byte: u8) -> bool {
        self.eat_str(&[byte])
    }

    fn expect(&mut self, literal: &[u8]) -> Option<()> {
        self.eat_str(literal).then_some(())
    }

    /// Items up to the array's `]` (the `[` already consumed), separated by commas.
    fn array<T>(&mut self, mut item: impl FnMut(&mut Self) -> Option<T>) -> Option<Vec<T>> {
        let mut items = Vec::new();
        if self.eat(b']') {
            return Some(items);
        }
        loop {
            items.push(item(self)?);
            if self.eat(b']') {
                return Some(items);
            }
            self.expect(b",")?;
        }
    }

    /// `{"asset":"0x…","amount":"123"`: a leg up to its amount.
    fn leg_start(&mut self) -> Option<(Address, U256)> {
        self.expect(br#"{"asset":""#)?;
        let asset = self.address()?;
        self.expect(br#","amount":""#)?;
        Some((asset, self.amount()?))
    }

    /// Bytes up to the closing quote, which is consumed; `None` at an escape, a control
    /// character or invalid UTF-8 (serde's reader handles those).
    fn plain_string(&mut self) -> Option<&'a str> {
        let rest = self.bytes.get(self.at..)?;
        let len = rest.iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
        if rest[len] != b'"' {
            return None;
        }
        let text = std::str::from_utf8(&rest[..len]).ok()?;
        self.at += len + 1;
        Some(text)
    }

    /// `0x` and 40 lowercase hex digits, then the closing quote.
    fn address(&mut self) -> Option<Address> {
        let text = self.bytes.get(self.at..self.at + 43)?;
        if &text[..2] != b"0x"
            || text[42] != b'"'
            || !text[2..42].iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        {
            return None;
        }
        let mut out = [0_u8; 20];
        hex::decode_to_slice(&text[2..42], &mut out).ok()?;
        self.at += 43;
        Some(Address::from(out))
    }

    /// Decimal digits, then the closing quote: what `parse_u256_text` reads for them.
    fn amount(&mut self) -> Option<U256> {
        let digits = self.digits()?;
        self.expect(b"\"")?;
        if digits.len() <= 19 {
            // At most 19 digits always fit in a u64.
            return Some(U256::from(
                digits.bytes().fold(0_u64, |n, d| n * 10 + u64::from(d - b'0')),
            ));
        }
        U256::from_str_radix(digits, 10).ok()
    }

    /// A decimal such as `0.825`, then the closing quote: what `Decimal::from_str` reads.
    fn decimal(&mut self) -> Option<Decimal> {
        let rest = self.bytes.get(self.at..)?;
        let len = rest.iter().position(|&b| !matches!(b, b'0'..=b'9' | b'.' | b'-'))?;
        if rest[len] != b'"' || len == 0 {
            return None;
        }
        // Only ASCII digits, '.' and '-' so far.
        let text = std::str::from_utf8(&rest[..len]).ok()?;
        let value = text.parse::<Decimal>().ok()?;
        self.at += len + 1;
        Some(value)
    }

    /// A JSON unsigned integer that fits in a u64 (no leading zeros, as JSON requires).
    fn number(&mut self) -> Option<u64> {
        let digits = self.digits()?;
        if digits.len() > 1 && digits.starts_with('0') {
            return None;
        }
        digits.parse().ok()
    }

    /// One or more ASCII digits.
    fn digits(&mut self) -> Option<&'a str> {
        let rest = self.bytes.get(self.at..)?;
        let len = rest.iter().position(|b| !b.is_ascii_digit()).unwrap_or(rest.len());
        if len == 0 {
            return None;
        }
        self.at += len;
        std::str::from_utf8(&rest[..len]).ok()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn serde_json_of(p: &Position) -> String {
        serde_json::to_string(p).unwrap()
    }

    fn serde_read(bytes: &[u8]) -> Option<Position> {
        serde_json::from_slice(bytes).ok()
    }

    prop_compose! {
        fn any_u256()(limbs in any::<[u64; 4]>(), width in 0_usize..4) -> U256 {
            let mut limbs = limbs;
            for limb in limbs.iter_mut().skip(width + 1) {
                *limb = 0;
            }
            U256::from_limbs(limbs)
        }
    }

    prop_compose! {
        fn any_decimal()(mantissa in any::<i64>(), scale in 0_u32..28) -> Decimal {
            Decimal::new(mantissa, scale)
        }
    }

    prop_compose! {
        fn any_position()(
            protocol in "[ -~]{1,12}|\\PC{1,6}",
            user in any::<[u8; 20]>(),
            collateral in prop::collection::vec((any::<[u8; 20]>(), any_u256(), any_decimal()), 0..4),
            debt in prop::collection::vec((any::<[u8; 20]>(), any_u256()), 0..4),
            health_factor in prop::option::of(any_u256()),
            last_update_block in any::<u64>(),
            last_health_block in any::<u64>(),
            blocks_unhealthy in any::<u64>(),
        ) -> Position {
            Position {
                protocol,
                user: Address::from(user),
                collateral: collateral
                    .into_iter()
                    .map(|(a, amount, lt)| CollateralLeg {
                        asset: Address::from(a),
                        amount,
                        liquidation_threshold: lt,
                    })
                    .collect(),
                debt: debt
                    .into_iter()
                    .map(|(a, amount)| DebtLeg { asset: Address::from(a), amount })
                    .collect(),
                health_factor,
                last_update_block,
                last_health_block,
                blocks_unhealthy,
            }
        }
    }

    proptest! {
        /// The fast writer writes byte for byte what serde writes, and the fast reader reads it
        /// back to the same position.
        #[test]
        fn fast_paths_match_serde(p in any_position()) {
            let want = serde_json_of(&p);
            match write(&p) {
                Some(fast) => prop_assert_eq!(&fast, &want),
                None => prop_assert!(p.protocol.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20)),
            }
            let read_back = read(want.as_bytes());
            if p.protocol.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
                prop_assert_eq!(read_back, None);
            } else {
                prop_assert_eq!(read_back.as_ref(), Some(&p));
            }
        }

        /// On altered text the fast reader either declines or agrees with serde's reader.
        #[test]
        fn fast_reader_never_disagrees_with_serde(
            p in any_position(),
            edits in prop::collection::vec((any::<prop::sample::Index>(), prop::sample::select(
                b"0123456789abcdefABx\"\\,:{}[]-. e+\x01\xff".to_vec())), 1..4),
            cut in prop::option::of(any::<prop::sample::Index>()),
        ) {
            let mut bytes = serde_json_of(&p).into_bytes();
            for (at, byte) in edits {
                let i = at.index(bytes.len());
                bytes[i] = byte;
            }
            if let Some(cut) = cut {
                bytes.truncate(cut.index(bytes.len() + 1));
            }
            if let Some(fast) = read(&bytes) {
                prop_assert_eq!(Some(fast), serde_read(&bytes));
            }
        }
    }

    #[test]
    fn declines_what_serde_handles() {
        let p = Position::new("aave-v3", Address::repeat_byte(0xab))
            .with_collateral(Address::repeat_byte(1), U256::from(5), Decimal::new(80, 2))
            .with_debt(Address::repeat_byte(2), U256::from(7))
            .at_block(9);
        let canonical = serde_json_of(&p);
        assert_eq!(read(canonical.as_bytes()), Some(p));
        for other in [
            canonical.replace(":\"5\"", ":5"),
            canonical.replace("\"aave-v3\"", "\"aave\\u002dv3\""),
            canonical.replace("0xabab", "0xABab"),
            canonical.replace(":9,", ": 9,"),
            format!("{canonical} "),
            canonical.replace("\"0.80\"", "\"8e-1\""),
        ] {
            assert_eq!(read(other.as_bytes()), None, "{other}");
            assert!(serde_read(other.as_bytes()).is_some(), "serde reads {other}");
        }
        // JSON forbids leading zeros in numbers: both readers refuse.
        let bad_number = canonical.replace(":9,", ":09,");
        assert_eq!(read(bad_number.as_bytes()), None);
        assert!(serde_read(bad_number.as_bytes()).is_none());
        // In an amount string they are just digits: both read 5.
        let leading_zeros = canonical.replace(":\"5\"", ":\"005\"");
        assert_eq!(read(leading_zeros.as_bytes()), serde_read(leading_zeros.as_bytes()));
    }
}
