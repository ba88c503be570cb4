//! Stage 4, refresh: the positions to re-read, read from chain at the block in one batch
//! (Multicall3, through the market's [`LendingProtocol`](mev_rebuild::LendingProtocol)).

use alloy_primitives::Address;
use mev_chain::ChainReader;
use mev_rebuild::ChainPosition;

use super::state::MarketState;
use crate::{BotError, Result};

/// `users`' positions in `m` at block `block`, one per user in order.
pub(crate) async fn reread(
    m: &MarketState,
    reader: &dyn ChainReader,
    users: &[Address],
    block: u64,
) -> Result<Vec<ChainPosition>> {
    m.protocol.read_positions(reader, users, block).await.map_err(BotError::market(format!(
        "reading {} {} positions at block {block}",
        users.len(),
        m.name
    )))
}
