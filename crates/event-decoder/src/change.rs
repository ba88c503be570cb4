//! What a decoded log changed: the classification the caches act on.

use alloy_primitives::{Address, I256};

use crate::{
    AaveV3Event, BalancerV2Event, ChainlinkEvent, CompoundV2Event, DecodedLog, Event, Protocol,
};

/// One piece of state a log changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StateChange {
    /// A DEX pool's reserves, price or liquidity changed. For Balancer V2 and Uniswap V4 `pool`
    /// is the address in the pool id's first 20 bytes, not the Vault or the `PoolManager`.
    Pool {
        /// The pool's protocol family.
        protocol: Protocol,
        /// The pool.
        pool: Address,
    },
    /// A user's lending position changed (supply, borrow, repay, withdraw, liquidation,
    /// collateral flag, eMode, cToken transfer, market entry).
    Position {
        /// The lending protocol family.
        protocol: Protocol,
        /// The market: the Aave Pool, or the cToken for Compound.
        market: Address,
        /// The position's owner.
        user: Address,
    },
    /// A market's rates or indexes changed, which moves every position in it (Aave
    /// `ReserveDataUpdated`, Compound `AccrueInterest`).
    Market {
        /// The lending protocol family.
        protocol: Protocol,
        /// The Aave Pool or the cToken.
        market: Address,
        /// The Aave reserve asset; `None` for Compound, where the market is the cToken.
        asset: Option<Address>,
    },
    /// An Aave oracle switched `asset` to a new price source: the asset's price may have
    /// changed without an `AnswerUpdated` from a watched feed.
    PriceSource {
        /// The oracle (`AaveOracle`) that emitted the change.
        oracle: Address,
        /// The asset whose source changed.
        asset: Address,
    },
    /// A price feed posted a new answer.
    Price {
        /// The aggregator that emitted the answer.
        feed: Address,
        /// The answer, in the feed's decimals.
        answer: I256,
    },
}

/// The state changes of one log: at most two, in a fixed-size iterator (no allocation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StateChanges {
    items: [Option<StateChange>; 2],
    next: usize,
}

impl StateChanges {
    const fn none() -> Self {
        Self { items: [None, None], next: 0 }
    }

    const fn one(a: StateChange) -> Self {
        Self { items: [Some(a), None], next: 0 }
    }

    const fn two(a: StateChange, b: StateChange) -> Self {
        Self { items: [Some(a), Some(b)], next: 0 }
    }
}

impl Iterator for StateChanges {
    type Item = StateChange;

    fn next(&mut self) -> Option<StateChange> {
        while let Some(slot) = self.items.get_mut(self.next) {
            self.next += 1;
            if let Some(item) = slot.take() {
                return Some(item);
            }
        }
        None
    }
}

impl DecodedLog {
    /// The state this log changed. A removed (reorged-out) log reports the same changes, so
    /// the caller can undo them.
    #[must_use]
    pub fn state_changes(&self) -> StateChanges {
        let emitter = self.meta.address;
        let position = |protocol, market, user| StateChange::Position { protocol, market, user };
        let aave = |user| position(Protocol::AaveV3, emitter, user);
        let compound = |user| position(Protocol::CompoundV2, emitter, user);
        match &self.event {
            Event::UniswapV2(_) | Event::UniswapV3(_) | Event::Curve(_) => {
                let protocol = self.event.protocol().unwrap_or(Protocol::UniswapV2);
                StateChanges::one(StateChange::Pool { protocol, pool: emitter })
            }
            Event::BalancerV2(e) => {
                let pool_id = match e {
                    BalancerV2Event::Swap(s) => s.poolId,
                    BalancerV2Event::PoolBalanceChanged(c) => c.poolId,
                };
                StateChanges::one(StateChange::Pool {
                    protocol: Protocol::BalancerV2,
                    pool: Address::from_slice(&pool_id[..20]),
                })
            }
            Event::UniswapV4(e) => StateChanges::one(StateChange::Pool {
                protocol: Protocol::UniswapV4,
                pool: Address::from_slice(&e.pool_id()[..20]),
            }),
            Event::AaveV3(e) => match e {
                AaveV3Event::Supply(x) => StateChanges::one(aave(x.onBehalfOf)),
                AaveV3Event::Withdraw(x) => StateChanges::one(aave(x.user)),
                AaveV3Event::Borrow(x) => StateChanges::one(aave(x.onBehalfOf)),
                AaveV3Event::Repay(x) => StateChanges::one(aave(x.user)),
                AaveV3Event::LiquidationCall(x) if x.receiveAToken => {
                    StateChanges::two(aave(x.user), aave(x.liquidator))
                }
                AaveV3Event::LiquidationCall(x) => StateChanges::one(aave(x.user)),
                AaveV3Event::ReserveUsedAsCollateralEnabled(x) => StateChanges::one(aave(x.user)),
                AaveV3Event::ReserveUsedAsCollateralDisabled(x) => StateChanges::one(aave(x.user)),
                AaveV3Event::UserEModeSet(x) => StateChanges::one(aave(x.user)),
                AaveV3Event::ReserveDataUpdated(x) => StateChanges::one(StateChange::Market {
                    protocol: Protocol::AaveV3,
                    market: emitter,
                    asset: Some(x.reserve),
                }),
                AaveV3Event::AssetSourceUpdated(x) => {
                    StateChanges::one(StateChange::PriceSource { oracle: emitter, asset: x.asset })
                }
                // A flash loan's premium reaches the reserve through ReserveDataUpdated.
                AaveV3Event::FlashLoan(_) => StateChanges::none(),
            },
            Event::CompoundV2(e) => match e {
                CompoundV2Event::Mint(x) => StateChanges::one(compound(x.minter)),
                CompoundV2Event::Redeem(x) => StateChanges::one(compound(x.redeemer)),
                CompoundV2Event::Borrow(x) => StateChanges::one(compound(x.borrower)),
                CompoundV2Event::RepayBorrow(x) => StateChanges::one(compound(x.borrower)),
                CompoundV2Event::LiquidateBorrow(x) => StateChanges::two(
                    compound(x.borrower),
                    position(Protocol::CompoundV2, x.cTokenCollateral, x.borrower),
                ),
                CompoundV2Event::Transfer(x) => StateChanges::two(compound(x.from), compound(x.to)),
                CompoundV2Event::MarketEntered(x) => {
                    StateChanges::one(position(Protocol::CompoundV2, x.cToken, x.account))
                }
                CompoundV2Event::MarketExited(x) => {
                    StateChanges::one(position(Protocol::CompoundV2, x.cToken, x.account))
                }
                CompoundV2Event::AccrueInterest(_) | CompoundV2Event::AccrueInterestLegacy(_) => {
                    StateChanges::one(StateChange::Market {
                        protocol: Protocol::CompoundV2,
                        market: emitter,
                        asset: None,
                    })
                }
            },
            Event::Chainlink(ChainlinkEvent::AnswerUpdated(x)) => {
                StateChanges::one(StateChange::Price { feed: emitter, answer: x.current })
            }
            Event::Erc20(_) => StateChanges::none(),
        }
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::{B256, U256, address};

    use super::*;
    use crate::{LogMeta, events::*};

    fn log(event: impl Into<Event>) -> DecodedLog {
        DecodedLog {
            meta: LogMeta {
                address: address!("0x00000000000000000000000000000000000000e1"),
                ..LogMeta::default()
            },
            event: event.into(),
        }
    }

    #[test]
    fn balancer_pool_is_the_pool_id_prefix() {
        let mut id = [0u8; 32];
        id[..20].copy_from_slice(&[0x42; 20]);
        id[31] = 7;
        let ev = balancer_v2::Swap {
            poolId: B256::from(id),
            tokenIn: Address::ZERO,
            tokenOut: Address::ZERO,
            amountIn: U256::ZERO,
            amountOut: U256::ZERO,
        };
        let changes: Vec<_> = log(ev).state_changes().collect();
        assert_eq!(
            changes,
            vec![StateChange::Pool {
                protocol: Protocol::BalancerV2,
                pool: Address::repeat_byte(0x42)
            }]
        );
    }

    #[test]
    fn liquidation_touches_borrower_in_both_markets() {
        let collateral = address!("0x00000000000000000000000000000000000000c0");
        let borrower = address!("0x00000000000000000000000000000000000000b0");
        let ev = compound_v2::LiquidateBorrow {
            liquidator: Address::ZERO,
            borrower,
            repayAmount: U256::ZERO,
            cTokenCollateral: collateral,
            seizeTokens: U256::ZERO,
        };
        let l = log(ev);
        let changes: Vec<_> = l.state_changes().collect();
        assert_eq!(changes.len(), 2);
        assert!(changes.contains(&StateChange::Position {
            protocol: Protocol::CompoundV2,
            market: collateral,
            user: borrower
        }));
        assert!(changes.contains(&StateChange::Position {
            protocol: Protocol::CompoundV2,
            market: l.meta.address,
            user: borrower
        }));
    }

    #[test]
    fn erc20_and_flash_loan_change_nothing() {
        let t = erc20::Transfer { from: Address::ZERO, to: Address::ZERO, value: U256::ZERO };
        assert_eq!(log(t).state_changes().count(), 0);
    }
}
