//! The plain ERC-20 `Transfer`, which shares its topic0 with the cToken `Transfer`. A log with
//! that topic from an emitter not registered as a Compound v2 market decodes as this.

use alloy_sol_types::sol;

use super::macros::protocol_events;

sol! {
    /// `Transfer(address indexed from, address indexed to, uint256 value)`.
    #[derive(Debug, PartialEq, Eq, Hash)]
    event Transfer(address indexed from, address indexed to, uint256 value);
}

protocol_events! {
    /// A plain ERC-20 event (no protocol).
    pub enum Erc20Event => Erc20 {
        /// Tokens moved from `from` to `to`.
        Transfer(Transfer) { from, to, value },
    }
}
