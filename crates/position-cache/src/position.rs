//! [`Position`]: one user's open lending position on one protocol.

use alloy_primitives::{Address, U256};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::{
    codec,
    error::{Result, StoreError},
    wire::{self, WireAddress, WireDecimal, WireU256},
};

/// One user's open lending position on one protocol, as cached between blocks.
///
/// On the wire it is a JSON object. It is written in the multi-leg format, amounts as decimal
/// strings, with `last_update_block`, `last_health_block` and `blocks_unhealthy` always the last
/// three fields (the Redis scripts rely on that to update the streak in place):
///
/// ```json
/// {"protocol":"aave-v3","user":"0x…","collateral":[{"asset":"0x…","amount":"1000000000000000000",
///  "liquidation_threshold":"0.80"}],"debt":[{"asset":"0x…","amount":"1500000000"}],
///  "health_factor":"1050000000000000000","last_update_block":1000,"last_health_block":1000,
///  "blocks_unhealthy":0}
/// ```
///
/// It also reads the Python bot's single-asset format (`collateral_asset`,
/// `collateral_amount`, `debt_asset`, `debt_amount`, top-level `liquidation_threshold`); amounts
/// may be JSON numbers of any size or strings and are read without loss. When both formats are
/// present in one object the leg arrays win. A record without `last_health_block` (the reference
/// bot's, or this crate's before 0.2) reads as 0: no verdict block known.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "WirePosition")]
pub struct Position {
    /// Lending protocol identifier, e.g. `"moonwell"`, `"aave-v3"`. Part of the cache key.
    pub protocol: String,
    /// The borrower.
    #[serde(serialize_with = "wire::ser_address")]
    pub user: Address,
    /// Collateral legs, one per asset supplied.
    pub collateral: Vec<CollateralLeg>,
    /// Debt legs, one per asset borrowed.
    pub debt: Vec<DebtLeg>,
    /// Health factor as a WAD (1e18 = 1.0), when the writer computed one.
    #[serde(serialize_with = "wire::ser_opt_u256", skip_serializing_if = "Option::is_none")]
    pub health_factor: Option<U256>,
    /// Block number at which this position was last written or health-checked.
    pub last_update_block: u64,
    /// Block number of the last health verdict counted in
    /// [`blocks_unhealthy`](Self::blocks_unhealthy); 0 when none is known. Maintained with the
    /// counter by [`PositionStore::update_health`](crate::PositionStore::update_health), which
    /// uses it to count each block once; upserts keep the stored value.
    pub last_health_block: u64,
    /// Consecutive blocks this position has been unhealthy. Maintained by
    /// [`PositionStore::update_health`](crate::PositionStore::update_health); upserts keep the
    /// stored value.
    pub blocks_unhealthy: u64,
}

/// One collateral asset of a [`Position`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CollateralLeg {
    /// The collateral token (or the protocol's market token, e.g. an mToken).
    #[serde(serialize_with = "wire::ser_address", deserialize_with = "de_address")]
    pub asset: Address,
    /// Amount in the token's smallest unit (wei for 18-decimal tokens).
    #[serde(serialize_with = "wire::ser_u256", deserialize_with = "de_u256")]
    pub amount: U256,
    /// Liquidation threshold as a fraction, e.g. `0.80` for 80 %.
    #[serde(serialize_with = "wire::ser_decimal", deserialize_with = "de_decimal")]
    pub liquidation_threshold: Decimal,
}

/// One borrowed asset of a [`Position`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DebtLeg {
    /// The borrowed token.
    #[serde(serialize_with = "wire::ser_address", deserialize_with = "de_address")]
    pub asset: Address,
    /// Amount owed in the token's smallest unit (wei for 18-decimal tokens).
    #[serde(serialize_with = "wire::ser_u256", deserialize_with = "de_u256")]
    pub amount: U256,
}

impl Position {
    /// An empty position (no legs, block 0, counter 0) for `user` on `protocol`.
    pub fn new(protocol: impl Into<String>, user: Address) -> Self {
        Self {
            protocol: protocol.into(),
            user,
            collateral: Vec::new(),
            debt: Vec::new(),
            health_factor: None,
            last_update_block: 0,
            last_health_block: 0,
            blocks_unhealthy: 0,
        }
    }

    /// Adds a collateral leg: `amount` in the asset's smallest unit, `liquidation_threshold` as a
    /// fraction.
    #[must_use]
    pub fn with_collateral(
        mut self,
        asset: Address,
        amount: U256,
        liquidation_threshold: Decimal,
    ) -> Self {
        self.collateral.push(CollateralLeg { asset, amount, liquidation_threshold });
        self
    }

    /// Adds a debt leg: `amount` in the asset's smallest unit.
    #[must_use]
    pub fn with_debt(mut self, asset: Address, amount: U256) -> Self {
        self.debt.push(DebtLeg { asset, amount });
        self
    }

    /// Sets [`last_update_block`](Self::last_update_block) (a block number).
    #[must_use]
    pub const fn at_block(mut self, block: u64) -> Self {
        self.last_update_block = block;
        self
    }

    /// Sets the health factor (WAD, 1e18 = 1.0).
    #[must_use]
    pub const fn with_health_factor(mut self, health_factor: U256) -> Self {
        self.health_factor = Some(health_factor);
        self
    }

    /// Sets [`blocks_unhealthy`](Self::blocks_unhealthy) (blocks).
    #[must_use]
    pub const fn with_blocks_unhealthy(mut self, blocks: u64) -> Self {
        self.blocks_unhealthy = blocks;
        self
    }

    /// Sets [`last_health_block`](Self::last_health_block) (a block number).
    #[must_use]
    pub const fn with_last_health_block(mut self, block: u64) -> Self {
        self.last_health_block = block;
        self
    }

    /// Applies one health verdict at `block` to the streak, by the rule every
    /// [`PositionStore::update_health`](crate::PositionStore::update_health) follows, and returns
    /// whether it applied. For implementors of the trait outside this crate.
    ///
    /// - an older block than [`last_health_block`](Self::last_health_block) is ignored (`false`);
    /// - a healthy verdict resets the counter to 0;
    /// - an unhealthy one at the next block (or with no verdict block known) adds one; at the
    ///   same block it keeps a running streak (starting one at 1 if that block's earlier verdict
    ///   was healthy), so a repeated block never counts twice; after a skipped block it restarts
    ///   the streak at 1, as [`ConfirmationTracker`] does with no gap allowed.
    ///
    /// When applied, `last_health_block` becomes `block` and `last_update_block` at least
    /// `block`.
    ///
    /// [`ConfirmationTracker`]: https://docs.rs/mev-health-calc/latest/mev_health_calc/struct.ConfirmationTracker.html
    pub fn record_health(&mut self, is_healthy: bool, block: u64) -> bool {
        let Some(count) =
            next_streak(self.blocks_unhealthy, self.last_health_block, is_healthy, block)
        else {
            return false;
        };
        self.blocks_unhealthy = count;
        self.last_health_block = block;
        self.last_update_block = self.last_update_block.max(block);
        true
    }

    /// Parses a position from JSON bytes in either wire format.
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        if let Some(position) = codec::read(bytes) {
            return Ok(position);
        }
        serde_json::from_slice(bytes).map_err(|e| StoreError::decode(e.to_string()))
    }

    /// Serializes to the multi-leg JSON wire format.
    pub fn to_json(&self) -> Result<String> {
        if let Some(json) = codec::write(self) {
            return Ok(json);
        }
        serde_json::to_string(self).map_err(|e| StoreError::invalid("position", e.to_string()))
    }

    /// Checks what every store requires before writing: a non-empty protocol name.
    pub fn validate(&self) -> Result<()> {
        validate_protocol(&self.protocol)
    }
}

/// The counter after a verdict at `block`, given the stored `count` and verdict block
/// `health_block` (0: unknown); `None` when `block` is older and the verdict is ignored. The rule
/// of [`Position::record_health`], shared with the memory store and mirrored by the Redis script.
pub(crate) const fn next_streak(
    count: u64,
    health_block: u64,
    healthy: bool,
    block: u64,
) -> Option<u64> {
    if health_block != 0 && block < health_block {
        return None;
    }
    Some(if healthy {
        0
    } else if health_block == 0 || block == health_block.saturating_add(1) {
        count.saturating_add(1)
    } else if block == health_block {
        if count == 0 { 1 } else { count }
    } else {
        1
    })
}

pub(crate) fn validate_protocol(protocol: &str) -> Result<()> {
    if protocol.is_empty() {
        return Err(StoreError::invalid("protocol", "must not be empty"));
    }
    Ok(())
}

fn de_address<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Address, D::Error> {
    WireAddress::deserialize(d).map(|a| a.0)
}

fn de_u256<'de, D: serde::Deserializer<'de>>(d: D) -> Result<U256, D::Error> {
    WireU256::deserialize(d).map(|a| a.0)
}

fn de_decimal<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    WireDecimal::deserialize(d).map(|a| a.0)
}

/// Every field either wire format may carry; converted into [`Position`] with checks.
#[derive(Deserialize)]
struct WirePosition {
    protocol: String,
    user: WireAddress,
    #[serde(default)]
    collateral: Option<Vec<CollateralLeg>>,
    #[serde(default)]
    debt: Option<Vec<DebtLeg>>,
    #[serde(default)]
    collateral_asset: Option<WireAddress>,
    #[serde(default)]
    collateral_amount: Option<WireU256>,
    #[serde(default)]
    debt_asset: Option<WireAddress>,
    #[serde(default)]
    debt_amount: Option<WireU256>,
    #[serde(default)]
    liquidation_threshold: Option<WireDecimal>,
    #[serde(default)]
    health_factor: Option<WireU256>,
    #[serde(default)]
    last_update_block: u64,
    #[serde(default)]
    last_health_block: u64,
    #[serde(default)]
    blocks_unhealthy: u64,
}

impl TryFrom<WirePosition> for Position {
    type Error = String;

    fn try_from(w: WirePosition) -> Result<Self, String> {
        let collateral = match (w.collateral, w.collateral_asset) {
            (Some(legs), _) => legs,
            (None, Some(asset)) => {
                let amount =
                    w.collateral_amount.ok_or("collateral_asset without collateral_amount")?;
                let threshold = w
                    .liquidation_threshold
                    .ok_or("collateral_asset without liquidation_threshold")?;
                vec![CollateralLeg {
                    asset: asset.0,
                    amount: amount.0,
                    liquidation_threshold: threshold.0,
                }]
            }
            (None, None) => Vec::new(),
        };
        let debt = match (w.debt, w.debt_asset) {
            (Some(legs), _) => legs,
            (None, Some(asset)) => {
                let amount = w.debt_amount.ok_or("debt_asset without debt_amount")?;
                vec![DebtLeg { asset: asset.0, amount: amount.0 }]
            }
            (None, None) => Vec::new(),
        };
        Ok(Self {
            protocol: w.protocol,
            user: w.user.0,
            collateral,
            debt,
            health_factor: w.health_factor.map(|h| h.0),
            last_update_block: w.last_update_block,
            last_health_block: w.last_health_block,
            blocks_unhealthy: w.blocks_unhealthy,
        })
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::address;

    use super::*;

    /// The Python bot's record, verbatim from the issue.
    const REFERENCE: &str = r#"{"protocol":"moonwell","user":"0xAbCdEf1234567890123456789012345678901234","collateral_asset":"0x4200000000000000000000000000000000000006","collateral_amount":1000000000000000000,"debt_asset":"0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913","debt_amount":1500000000,"liquidation_threshold":"0.80","last_update_block":1000,"blocks_unhealthy":0}"#;

    #[test]
    fn reads_reference_single_asset_record_exactly() {
        let p = Position::from_json(REFERENCE.as_bytes()).unwrap();
        assert_eq!(p.protocol, "moonwell");
        assert_eq!(p.user, address!("abcdef1234567890123456789012345678901234"));
        assert_eq!(
            p.collateral,
            vec![CollateralLeg {
                asset: address!("4200000000000000000000000000000000000006"),
                amount: U256::from(1_000_000_000_000_000_000_u64),
                liquidation_threshold: Decimal::new(80, 2),
            }]
        );
        assert_eq!(p.collateral[0].liquidation_threshold.to_string(), "0.80");
        assert_eq!(
            p.debt,
            vec![DebtLeg {
                asset: address!("833589fCD6eDb6E08f4c7C32D4f71b54bdA02913"),
                amount: U256::from(1_500_000_000_u64),
            }]
        );
        assert_eq!(p.last_update_block, 1000);
        assert_eq!(p.blocks_unhealthy, 0);
        assert_eq!(p.health_factor, None);
    }

    #[test]
    fn reference_amounts_beyond_u64_and_strings_read_without_loss() {
        let big = "123456789012345678901234567890123456789012345";
        let json = REFERENCE
            .replace("1000000000000000000", big)
            .replace("1500000000", &format!("\"{big}\""));
        let p = Position::from_json(json.as_bytes()).unwrap();
        let want = U256::from_str_radix(big, 10).unwrap();
        assert_eq!(p.collateral[0].amount, want);
        assert_eq!(p.debt[0].amount, want);
    }

    #[test]
    fn python_spacing_and_extra_fields_are_accepted() {
        let json = r#"{"protocol": "aave-v3", "user": "0x0000000000000000000000000000000000000001",
            "collateral_asset": "0x0000000000000000000000000000000000000002",
            "collateral_amount": 5, "debt_asset": "0x0000000000000000000000000000000000000003",
            "debt_amount": 7, "liquidation_threshold": 0.825, "last_update_block": 9,
            "blocks_unhealthy": 2, "note": "ignored"}"#;
        let p = Position::from_json(json.as_bytes()).unwrap();
        assert_eq!(p.collateral[0].liquidation_threshold, Decimal::new(825, 3));
        assert_eq!(p.blocks_unhealthy, 2);
    }

    #[test]
    fn writes_multi_leg_with_counter_last_and_round_trips() {
        let p = Position::new("aave-v3", Address::repeat_byte(0xAB))
            .with_collateral(Address::repeat_byte(1), U256::MAX, Decimal::new(825, 3))
            .with_collateral(Address::repeat_byte(2), U256::from(3), Decimal::new(80, 2))
            .with_debt(Address::repeat_byte(3), U256::from(10).pow(U256::from(30)))
            .with_health_factor(U256::from(1_050_000_000_000_000_000_u64))
            .at_block(42)
            .with_last_health_block(41)
            .with_blocks_unhealthy(3);
        let json = p.to_json().unwrap();
        assert!(
            json.ends_with(
                r#","last_update_block":42,"last_health_block":41,"blocks_unhealthy":3}"#
            ),
            "{json}"
        );
        assert!(json.contains(r#""user":"0xabababababababababababababababababababab""#));
        assert!(json.contains(r#""liquidation_threshold":"0.80""#));
        assert_eq!(Position::from_json(json.as_bytes()).unwrap(), p);
    }

    #[test]
    fn health_verdicts_count_each_block_once() {
        let mut p = Position::new("aave-v3", Address::ZERO).with_blocks_unhealthy(4);
        // No verdict block known (a legacy record): counts on.
        assert!(p.record_health(false, 10));
        assert_eq!((p.blocks_unhealthy, p.last_health_block, p.last_update_block), (5, 10, 10));
        // The same block again, healthy or not, never counts twice.
        assert!(p.record_health(false, 10));
        assert_eq!(p.blocks_unhealthy, 5);
        assert!(p.record_health(false, 11));
        assert_eq!(p.blocks_unhealthy, 6);
        // An older block is ignored.
        assert!(!p.record_health(true, 9));
        assert_eq!((p.blocks_unhealthy, p.last_health_block), (6, 11));
        // A skipped block restarts the streak.
        assert!(p.record_health(false, 13));
        assert_eq!(p.blocks_unhealthy, 1);
        // Healthy resets; an unhealthy verdict at that same block starts a streak at 1.
        assert!(p.record_health(true, 14));
        assert_eq!(p.blocks_unhealthy, 0);
        assert!(p.record_health(false, 14));
        assert_eq!(p.blocks_unhealthy, 1);
        // last_update_block never moves back.
        let mut q = p.clone().at_block(100);
        assert!(q.record_health(false, 15));
        assert_eq!((q.last_update_block, q.last_health_block), (100, 15));
        // Saturates instead of overflowing.
        let mut r = Position::new("x", Address::ZERO).with_blocks_unhealthy(u64::MAX);
        assert!(r.record_health(false, u64::MAX));
        assert!(r.record_health(false, u64::MAX));
        assert_eq!(r.blocks_unhealthy, u64::MAX);
    }

    #[test]
    fn malformed_records_are_errors() {
        for bad in [
            "not json",
            "{}",
            r#"{"protocol":"x","user":"0x12"}"#,
            r#"{"protocol":"x","user":"0x0000000000000000000000000000000000000001","collateral_asset":"0x0000000000000000000000000000000000000002"}"#,
            r#"{"protocol":"x","user":"0x0000000000000000000000000000000000000001","debt":[{"asset":"0x0000000000000000000000000000000000000002","amount":-1}]}"#,
        ] {
            assert!(Position::from_json(bad.as_bytes()).is_err(), "{bad}");
        }
        assert!(Position::new("", Address::ZERO).validate().is_err());
    }
}
