//! The arbitrage evaluation of one block: 1,000 Uniswap V2 and V3 pools over 100 tokens with 5
//! base tokens (≥ 5,000 cycles of 2 and 3 hops), priced consistently (every pool at the tokens'
//! common prices, so a cycle pays only after trades move its pools); each block carries 500 pool
//! logs spread as a busy chain's are (80 % on the 20 hottest pools), each moving its pool by a
//! small trade (one in twenty by a large one), then finds the touched cycles and sizes each.
//! Prints p50 / p99 per block.
//!
//! `cargo bench -p mev-arbitrage --bench block`

use std::{collections::BTreeMap, hint::black_box, time::Instant};

use alloy_primitives::{Address, U256, aliases::U160, map::AddressHashMap};
use mev_arbitrage::{Arbitrage, BlockView, CycleIndex, SizingConfig, size_cycle};
use mev_reserve_cache::{PoolSnapshot, PoolState, V3Pool};
use mev_swap_math::{MAX_TICK, MIN_TICK, V2Fee, V3State, get_tick_at_sqrt_ratio};

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn token(i: u64) -> Address {
    let mut a = [0u8; 20];
    a[12..].copy_from_slice(&(i + 1).to_be_bytes());
    Address::from(a)
}

fn e18(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18))
}

fn v3(pool: Address, t0: Address, t1: Address, p0: u64, p1: u64) -> PoolSnapshot {
    // sqrt(p0 / p1) · 2^96: token0's price in token1.
    let ratio = (U256::from(p0) << 192usize) / U256::from(p1);
    let sqrt = ratio.root(2);
    let tick = get_tick_at_sqrt_ratio(sqrt).unwrap();
    let mut ticks = BTreeMap::new();
    let mut gross = BTreeMap::new();
    let mut liquidity = 0u128;
    for k in 1..=10i32 {
        let l = 10u128.pow(21);
        let (lo, hi) = ((tick.div_euclid(60) - 20 * k) * 60, (tick.div_euclid(60) + 20 * k) * 60);
        *ticks.entry(lo).or_insert(0i128) += l as i128;
        *ticks.entry(hi).or_insert(0i128) -= l as i128;
        *gross.entry(lo).or_insert(0u128) += l;
        *gross.entry(hi).or_insert(0u128) += l;
        liquidity += l;
    }
    let state = V3State {
        sqrt_price_x96: U160::from_limbs([
            sqrt.as_limbs()[0],
            sqrt.as_limbs()[1],
            sqrt.as_limbs()[2],
        ]),
        tick,
        liquidity,
        fee: 3000,
        tick_spacing: 60,
        ticks,
        loaded_range: (MIN_TICK, MAX_TICK),
    };
    let v3 = V3Pool { token0: t0, token1: t1, state, liquidity_gross: gross };
    PoolSnapshot { pool, block: 1, state: PoolState::UniswapV3(Box::new(v3)) }
}

/// The timed part: the cycles `touched` reaches and the opportunities among them (how many
/// cycles, and the arbitrages in id order). Not inlined, so a profiler can single it out.
#[inline(never)]
fn evaluate(
    index: &CycleIndex,
    touched: &[Address],
    snapshots: &AddressHashMap<PoolSnapshot>,
    config: &SizingConfig,
) -> (usize, Vec<Arbitrage>) {
    let ids = index.touched(touched.iter());
    // One lookup per pool for the block, as the pipeline's stage sizes.
    let mut view = BlockView::new(index, |a: &Address| snapshots.get(a));
    let mut found = Vec::new();
    for &id in &ids {
        if let Ok(Some(arb)) = view.size(id, config) {
            found.push(arb);
        }
    }
    (ids.len(), found)
}

/// The anchor, timed on the same blocks: every touched cycle sized alone by [`size_cycle`],
/// each hop's snapshot looked up in the map and its curve computed again.
#[inline(never)]
fn evaluate_each(
    index: &CycleIndex,
    touched: &[Address],
    snapshots: &AddressHashMap<PoolSnapshot>,
    config: &SizingConfig,
) -> (usize, Vec<Arbitrage>) {
    let ids = index.touched(touched.iter());
    let mut found = Vec::new();
    for &id in &ids {
        let Some(cycle) = index.get(id) else { continue };
        if let Ok(Some(arb)) = size_cycle(id, cycle, |a| snapshots.get(a), config) {
            found.push(arb);
        }
    }
    (ids.len(), found)
}

fn main() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let n_tokens = 100u64;
    let tokens: Vec<Address> = (0..n_tokens).map(token).collect();
    // Each token's price in a common unit.
    let prices: Vec<u64> = (0..n_tokens).map(|_| 500 + rng.below(1_500)).collect();
    let bases: Vec<Address> = tokens[..5].to_vec();
    // The map the pipeline's stage resolves a block's snapshots into.
    let mut snapshots: AddressHashMap<PoolSnapshot> = AddressHashMap::default();
    let mut pools = Vec::new();
    for i in 0..1_000u64 {
        // One pool in three has a base token, so cycles close.
        let a = if i % 3 == 0 { rng.below(5) } else { rng.below(n_tokens) };
        let mut b = rng.below(n_tokens);
        while b == a {
            b = rng.below(n_tokens);
        }
        let (a, b) = if tokens[a as usize] < tokens[b as usize] { (a, b) } else { (b, a) };
        let (t0, t1) = (tokens[a as usize], tokens[b as usize]);
        let (p0, p1) = (prices[a as usize], prices[b as usize]);
        let address = token(10_000 + i);
        let snapshot = if i % 4 == 0 {
            v3(address, t0, t1, p0, p1)
        } else {
            // Value 10^6 units a side: reserve × price equal.
            let depth = e18(1_000_000);
            PoolSnapshot {
                pool: address,
                block: 1,
                state: PoolState::UniswapV2 {
                    token0: t0,
                    token1: t1,
                    reserve0: depth / U256::from(p0),
                    reserve1: depth / U256::from(p1),
                    fee: V2Fee::UNISWAP,
                },
            }
        };
        pools.push((address, vec![t0, t1]));
        snapshots.insert(address, snapshot);
    }
    let base = snapshots.clone();
    let mut last: Vec<Address> = Vec::new();
    let index = CycleIndex::new(&pools, &bases, 3);
    println!("{} pools, {} cycles", pools.len(), index.len());
    assert!(index.len() >= 5_000, "{} cycles", index.len());

    let config = SizingConfig::default();
    let addresses: Vec<Address> = pools.iter().map(|p| p.0).collect();
    let mut per_block = Vec::new();
    let mut per_block_each = Vec::new();
    let (mut evaluated, mut found, mut evaluations) = (0usize, 0usize, 0u64);
    let mut profit = U256::ZERO;
    // FNV-1a over every opportunity's (cycle, amount_in, gross_profit), in the order found:
    // any change to the results changes it.
    let mut checksum = 0xcbf2_9ce4_8422_2325u64;
    let mut fold = |bytes: &[u8]| {
        for b in bytes {
            checksum = (checksum ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    };
    for _block in 0..300 {
        // 500 logs: 80 % on the 20 hottest pools, the rest anywhere.
        let mut touched = Vec::with_capacity(500);
        for _ in 0..500 {
            let i = if rng.below(10) < 8 { rng.below(20) } else { rng.below(1_000) };
            touched.push(addresses[i as usize]);
        }
        // Move the touched pools away from the common prices (a trade: reserve0 ±0.1 %, one in
        // twenty ±3 %; a V3 pool its price likewise), outside the timed part; the pools the last
        // block moved are back at the common prices (arbitraged).
        for p in last.drain(..) {
            if let Some(s) = base.get(&p) {
                snapshots.insert(p, s.clone());
            }
        }
        for p in &touched {
            last.push(*p);
            let large = rng.below(20) == 0;
            let (span, unit) = if large { (61, 970) } else { (3, 999) };
            let factor = U256::from(unit + rng.below(span));
            match snapshots.get_mut(p).map(|s| &mut s.state) {
                Some(PoolState::UniswapV2 { reserve0, .. }) => {
                    *reserve0 = *reserve0 * factor / U256::from(1_000);
                }
                Some(PoolState::UniswapV3(v3)) => {
                    let s = &mut v3.state;
                    let price = U256::from(s.sqrt_price_x96) * factor / U256::from(1_000);
                    let l = price.as_limbs();
                    s.sqrt_price_x96 = U160::from_limbs([l[0], l[1], l[2]]);
                    s.tick = get_tick_at_sqrt_ratio(price).unwrap();
                }
                _ => {}
            }
        }
        let started = Instant::now();
        let (ids, arbs) = evaluate(&index, &touched, &snapshots, &config);
        per_block.push(started.elapsed());
        let started = Instant::now();
        let anchor = evaluate_each(&index, &touched, &snapshots, &config);
        per_block_each.push(started.elapsed());
        assert_eq!(anchor, (ids, arbs.clone()), "the view sizes as size_cycle");
        evaluated += ids;
        for arb in arbs {
            found += 1;
            evaluations += u64::from(arb.evaluations);
            profit += arb.gross_profit;
            fold(&arb.cycle.0.to_le_bytes());
            fold(&arb.amount_in.to_le_bytes::<32>());
            fold(&arb.gross_profit.to_le_bytes::<32>());
            black_box(arb);
        }
    }
    per_block.sort_unstable();
    per_block_each.sort_unstable();
    let q = |v: &[std::time::Duration], q: f64| v[((v.len() - 1) as f64 * q) as usize];
    let p = |x: f64| q(&per_block, x);
    println!(
        "300 blocks of 500 logs: {} cycles evaluated per block on average, {found} opportunities \
         ({} quotes of the cycle each on average); per block p50 {:?}, p99 {:?}, max {:?}; \
         {profit} wei of gross profit in all; checksum of (cycle, amount_in, gross_profit) \
         {checksum:016x}",
        evaluated / 300,
        evaluations / found.max(1) as u64,
        p(0.50),
        p(0.99),
        per_block[per_block.len() - 1],
    );
    println!(
        "anchor, the same blocks sized cycle by cycle with size_cycle (a map lookup and a curve \
         per hop): per block p50 {:?}, p99 {:?}, max {:?}",
        q(&per_block_each, 0.50),
        q(&per_block_each, 0.99),
        per_block_each[per_block_each.len() - 1],
    );
}
