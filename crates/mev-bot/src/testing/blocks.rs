//! [`Generator`]: each synthetic block's 500 logs, applied to the [`SynthChain`] as they are
//! emitted.
#![allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]

use alloy_primitives::{
    Address, I256, U256,
    aliases::{I24, U112, U160},
    keccak256,
};
use alloy_sol_types::SolEvent;
use mev_event_decoder::events::{aave_v3, uniswap_v2, uniswap_v3};

use super::synth::{
    ORACLE, POOL, RAY, RESERVES, Rng, SynthChain, WETH, header, rpc_log, user_address,
};
use crate::BlockData;

/// Builds each block's logs and applies the same changes to the synthetic chain.
///
/// Each block: 130 Uniswap V2 `Swap`+`Sync` over the V2 pools, 99 V3 `Swap`s (100 without a
/// price move), 70 Aave `Supply`/`Withdraw`/`Borrow`/`Repay` with their `ReserveDataUpdated`
/// over 50 distinct users, and, with a price move, one `AssetSourceUpdated` moving WETH ±0.4 %.
#[derive(Debug)]
pub struct Generator {
    rng: Rng,
    v2: Vec<Address>,
    v3: Vec<Address>,
    /// V3 pools' √price as a float (for ticks).
    v3_price: Vec<f64>,
    users: usize,
    toggles: Vec<u8>,
}

impl Generator {
    /// A generator over the pools `v2` and `v3` and the chain's `users` borrowers.
    pub fn new(v2: Vec<Address>, v3: Vec<Address>, users: usize) -> Self {
        let v3_price = vec![1.0; v3.len()];
        Self { rng: Rng(42), v2, v3, v3_price, users, toggles: vec![0; users] }
    }

    /// WETH's price at block `n`: a ±0.4 % zig-zag around the base price, different from the
    /// previous block's.
    pub fn weth_price(n: u64) -> U256 {
        let offsets = [0i64, 2, 4, 2, 0, -2, -4, -2];
        let bps = offsets[(n % 8) as usize];
        let base = RESERVES[WETH].price as i64;
        U256::from((base + base * bps / 1000) as u64)
    }

    /// Block `n` (on top of the chain's head), applied to `chain`.
    pub fn block(&mut self, chain: &SynthChain, n: u64, price_move: bool) -> BlockData {
        let mut s = chain.lock();
        s.head = n;
        let mut groups: Vec<Vec<(Address, alloy_primitives::LogData)>> = Vec::new();
        // The pool state each group leaves, applied again in the final transaction order below
        // so that the chain ends where the last log of each pool says.
        let mut effects: Vec<Option<PoolEffect>> = Vec::new();
        let trader = Address::repeat_byte(0x77);
        // 130 V2 swaps: Swap + Sync.
        for _ in 0..130 {
            let pool = self.v2[self.rng.below(self.v2.len())];
            let (r0, r1) = s.v2[&pool];
            let zero_for_one = self.rng.next() & 1 == 0;
            let frac = 1 + self.rng.below(50) as u128; // 0.01–0.5 % of the input reserve
            // out = reserve_out × in / (reserve_in + in) × 0.997, in 256 bits (the products
            // pass 2^128).
            let out = |r_in: u128, r_out: u128, amount: u128| -> u128 {
                let q = U256::from(r_out) * U256::from(amount) / U256::from(r_in + amount);
                (q * U256::from(997u64) / U256::from(1000u64)).saturating_to()
            };
            let (a0_in, a1_in, a0_out, a1_out, n0, n1) = if zero_for_one {
                let dx = r0 / 10_000 * frac;
                let dy = out(r0, r1, dx);
                (dx, 0, 0, dy, r0 + dx, r1 - dy)
            } else {
                let dy = r1 / 10_000 * frac;
                let dx = out(r1, r0, dy);
                (0, dy, dx, 0, r0 - dx, r1 + dy)
            };
            s.v2.insert(pool, (n0, n1));
            let swap = uniswap_v2::Swap {
                sender: trader,
                amount0In: U256::from(a0_in),
                amount1In: U256::from(a1_in),
                amount0Out: U256::from(a0_out),
                amount1Out: U256::from(a1_out),
                to: trader,
            };
            let sync = uniswap_v2::Sync { reserve0: U112::from(n0), reserve1: U112::from(n1) };
            groups.push(vec![(pool, sync.encode_log_data()), (pool, swap.encode_log_data())]);
            effects.push(Some(PoolEffect::V2(pool, n0, n1)));
        }
        // 99 (100 without a price move) V3 swaps.
        for _ in 0..(if price_move { 99 } else { 100 }) {
            let i = self.rng.below(self.v3.len());
            let pool = self.v3[i];
            let step = 1.0 + (self.rng.f64() - 0.5) * 0.002;
            self.v3_price[i] = (self.v3_price[i] * step).clamp(0.5, 2.0);
            let sqrt = self.v3_price[i];
            let tick = (2.0 * sqrt.ln() / 1.0001f64.ln()).floor() as i32;
            let sqrt_x96 = U160::from((sqrt * 2f64.powi(96)) as u128);
            let tick24 = I24::try_from(tick).unwrap_or(I24::ZERO);
            let liquidity = s.v3[&pool].2;
            s.v3.insert(pool, (sqrt_x96, tick24, liquidity));
            let swap = uniswap_v3::Swap {
                sender: trader,
                recipient: trader,
                amount0: I256::from_raw(U256::from(1_000_000_000_000_000u64)),
                amount1: -I256::from_raw(U256::from(999_000_000_000_000u64)),
                sqrtPriceX96: sqrt_x96,
                liquidity,
                tick: tick24,
            };
            groups.push(vec![(pool, swap.encode_log_data())]);
            effects.push(Some(PoolEffect::V3(pool, sqrt_x96, tick24, liquidity)));
        }
        // 70 Aave actions over 50 distinct users (20 act twice), each with its
        // ReserveDataUpdated.
        let mut picked: Vec<usize> = Vec::with_capacity(50);
        while picked.len() < 50 {
            let u = self.rng.below(self.users);
            if !picked.contains(&u) {
                picked.push(u);
            }
        }
        let actors: Vec<usize> = picked.iter().chain(&picked[..20]).copied().collect();
        for u in actors {
            let user = user_address(u);
            let legs = &mut s.users[u];
            let toggle = self.toggles[u];
            self.toggles[u] = (toggle + 1) % 4;
            let coll = legs.iter().position(|l| l.collateral).unwrap_or(0);
            let debt = legs.iter().position(|l| !l.debt.is_zero()).unwrap_or(1);
            // Borrow, then Repay, then Supply, then Withdraw: 2 % of the leg each, so a
            // user's health factor stays where it was.
            let (reserve, log) = match toggle {
                0 => {
                    let amount = legs[debt].debt / U256::from(50u8);
                    legs[debt].debt += amount;
                    let ev = aave_v3::Borrow {
                        reserve: RESERVES[debt].asset,
                        user,
                        onBehalfOf: user,
                        amount,
                        interestRateMode: 2,
                        borrowRate: U256::from(RAY / 20),
                        referralCode: 0,
                    };
                    (debt, ev.encode_log_data())
                }
                1 => {
                    let amount = legs[debt].debt / U256::from(51u8);
                    legs[debt].debt -= amount;
                    let ev = aave_v3::Repay {
                        reserve: RESERVES[debt].asset,
                        user,
                        repayer: user,
                        amount,
                        useATokens: false,
                    };
                    (debt, ev.encode_log_data())
                }
                2 => {
                    let amount = legs[coll].a_token / U256::from(50u8);
                    legs[coll].a_token += amount;
                    let ev = aave_v3::Supply {
                        reserve: RESERVES[coll].asset,
                        user,
                        onBehalfOf: user,
                        amount,
                        referralCode: 0,
                    };
                    (coll, ev.encode_log_data())
                }
                _ => {
                    let amount = legs[coll].a_token / U256::from(51u8);
                    legs[coll].a_token -= amount;
                    let ev =
                        aave_v3::Withdraw { reserve: RESERVES[coll].asset, user, to: user, amount };
                    (coll, ev.encode_log_data())
                }
            };
            let updated = aave_v3::ReserveDataUpdated {
                reserve: RESERVES[reserve].asset,
                liquidityRate: U256::from(RAY / 40),
                stableBorrowRate: U256::ZERO,
                variableBorrowRate: U256::from(RAY / 20),
                liquidityIndex: U256::from(RAY + RAY / 20),
                variableBorrowIndex: U256::from(RAY + RAY / 12),
            };
            groups.push(vec![(POOL, updated.encode_log_data()), (POOL, log)]);
            effects.push(None);
        }
        if price_move {
            s.prices[WETH] = Self::weth_price(n);
            let ev = aave_v3::AssetSourceUpdated {
                asset: RESERVES[WETH].asset,
                source: Address::from_word(keccak256(n.to_be_bytes())),
            };
            groups.push(vec![(ORACLE, ev.encode_log_data())]);
            effects.push(None);
        }
        // Transactions in a random order.
        for i in (1..groups.len()).rev() {
            let j = self.rng.below(i + 1);
            groups.swap(i, j);
            effects.swap(i, j);
        }
        for effect in effects.into_iter().flatten() {
            match effect {
                PoolEffect::V2(pool, r0, r1) => {
                    s.v2.insert(pool, (r0, r1));
                }
                PoolEffect::V3(pool, sqrt, tick, liquidity) => {
                    s.v3.insert(pool, (sqrt, tick, liquidity));
                }
            }
        }
        drop(s);
        chain.snapshot();
        let mut logs = Vec::with_capacity(500);
        for (tx, group) in groups.into_iter().enumerate() {
            for (address, data) in group {
                let index = logs.len() as u64;
                logs.push(rpc_log(address, data, n, tx as u64, index));
            }
        }
        BlockData { header: header(n), logs }
    }
}

/// The state a pool's transaction leaves.
#[derive(Debug, Clone, Copy)]
enum PoolEffect {
    V2(Address, u128, u128),
    V3(Address, U160, I24, u128),
}
