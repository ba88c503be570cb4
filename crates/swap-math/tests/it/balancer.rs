//! Balancer V2 against the real contracts on anvil: the Vault and pools of
//! `@balancer-labs/v2-deployments` 3.2.0 (a 2-token 80/20 and a 3-token 50/30/20 `WeightedPool`
//! of the `20230206-weighted-pool-v3` task, and a 3-token `ComposableStablePool` of
//! `20230206-composable-stable-pool-v3` with two rate providers), tokens of 18, 6 and 8 decimals.
//!
//! Each round moves the pools (one real `Vault.swap` per pool, whose amounts must equal our quote;
//! now and then a new swap fee, new token rates; the stable pool's amplification ramps from 200 to
//! 400 as time passes), reads every pool's state from chain and compares our exact-in and
//! exact-out quotes with `BalancerQueries.querySwap` to the wei, from 1 wei to amounts the pools
//! reject. A quote the query refuses must be our error with the revert's `BAL#` code, and the
//! other way round.
//!
//! Protocol fees: the protocol swap fee is set to 50 % and cached by every pool before the
//! rounds, and the quotes still match a model that has no protocol fee: these pools charge it at
//! joins and exits, by minting BPT for the invariant growth, never in a swap. The test checks that
//! the fee collector receives no token from any swap, and BPT at the first join after them.

use std::collections::BTreeMap;

use alloy_primitives::{Address, U256};
use mev_devnet::{
    BalancerPool, BalancerSwapKind, BalancerV2, DEFAULT_BLOCK_TIME, DEFAULT_GENESIS_TIMESTAMP,
    Devnet, QuerySwapOutcome,
};
use mev_swap_math::balancer::{BalancerError, StablePoolState, WeightedPoolState};
use rand::{Rng, SeedableRng, rngs::StdRng};

use crate::common::{log_uniform, seed};

const ROUNDS: usize = 50;
/// Per pool and round, for each of exact in and exact out.
const QUOTES_PER_KIND: usize = 12;
/// Seconds the chain moves forward each round (the amplification ramp spans 50 rounds).
const ROUND_SECONDS: u64 = 1_800;

const WAD: u64 = 1_000_000_000_000_000_000;

fn wad(milli: u64) -> U256 {
    U256::from(milli) * U256::from(WAD / 1_000)
}

fn units(n: u64, decimals: u8) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(decimals))
}

/// One pool under test.
struct Subject {
    name: &'static str,
    pool: BalancerPool,
    decimals: Vec<u8>,
    /// `(token, rate provider)` of the tokens whose rate moves.
    rated: Vec<(Address, Address)>,
    tally: Tally,
}

/// A pool's state as our model takes it.
enum State {
    Weighted(WeightedPoolState),
    Stable(StablePoolState),
}

/// Tallies per pool over the run.
#[derive(Debug, Default)]
struct Tally {
    exact_in: usize,
    exact_out: usize,
    /// Quotes both sides refused, by `BAL#` code.
    refused: BTreeMap<u16, usize>,
    swaps: usize,
}

impl State {
    fn quote(
        &self,
        kind: BalancerSwapKind,
        i: usize,
        o: usize,
        amount: U256,
    ) -> Result<U256, BalancerError> {
        match (self, kind) {
            (Self::Weighted(s), BalancerSwapKind::GivenIn) => s.quote_exact_in(i, o, amount),
            (Self::Weighted(s), BalancerSwapKind::GivenOut) => s.quote_exact_out(i, o, amount),
            (Self::Stable(s), BalancerSwapKind::GivenIn) => s.quote_exact_in(i, o, amount),
            (Self::Stable(s), BalancerSwapKind::GivenOut) => s.quote_exact_out(i, o, amount),
        }
    }

    fn balances(&self) -> &[U256] {
        match self {
            Self::Weighted(s) => &s.balances,
            Self::Stable(s) => &s.balances,
        }
    }
}

impl Subject {
    /// The pool's full state from chain at the latest block, checked for consistency: scaling
    /// factors are the decimals scaling times the cached token rate. With `next`, the stable
    /// pool's amplification is the one the next transaction sees (it ramps with time).
    async fn state(&self, next: bool) -> State {
        let p = &self.pool;
        let balances = p.balances().await.unwrap();
        let scaling_factors = p.scaling_factors().await.unwrap();
        let swap_fee = p.swap_fee().await.unwrap();
        match p.bpt_index() {
            None => State::Weighted(WeightedPoolState {
                balances,
                scaling_factors,
                normalized_weights: p.normalized_weights().await.unwrap(),
                swap_fee,
            }),
            Some(bpt) => {
                for (i, &token) in p.tokens().iter().enumerate() {
                    let rate =
                        if i == bpt { wad(1000) } else { p.token_rate(token).await.unwrap() };
                    let decimals_factor = units(1, 18 - self.decimals[i]) * U256::from(WAD);
                    assert_eq!(scaling_factors[i], decimals_factor * rate / U256::from(WAD));
                }
                let amp = if next { p.amplification_next().await } else { p.amplification().await };
                let amp = amp.unwrap();
                State::Stable(StablePoolState {
                    balances,
                    scaling_factors,
                    amp: amp.value,
                    swap_fee,
                    bpt_index: Some(bpt),
                })
            }
        }
    }

    /// Two distinct registered token indices, neither the BPT.
    fn pair(&self, rng: &mut StdRng) -> (usize, usize) {
        let tradable: Vec<usize> =
            (0..self.pool.tokens().len()).filter(|&i| Some(i) != self.pool.bpt_index()).collect();
        let i = tradable[rng.random_range(0..tradable.len())];
        let others: Vec<usize> = tradable.into_iter().filter(|&t| t != i).collect();
        (i, others[rng.random_range(0..others.len())])
    }

    /// Our quote and `querySwap` for the same swap; panics unless both give the same amount or
    /// both refuse with the same `BAL#` code.
    async fn compare(
        &mut self,
        state: &State,
        kind: BalancerSwapKind,
        i: usize,
        o: usize,
        amount: U256,
    ) {
        let ours = state.quote(kind, i, o, amount);
        let tokens = self.pool.tokens();
        let chain = self.pool.query_swap(kind, tokens[i], tokens[o], amount).await.unwrap();
        let context = || format!("{} {kind:?} {i}→{o} amount {amount}", self.name);
        match (&ours, &chain) {
            (Ok(a), QuerySwapOutcome::Amount(b)) => {
                assert_eq!(a, b, "{}", context());
                match kind {
                    BalancerSwapKind::GivenIn => self.tally.exact_in += 1,
                    BalancerSwapKind::GivenOut => self.tally.exact_out += 1,
                }
            }
            (Err(e), QuerySwapOutcome::Reverted { reason }) => {
                let code =
                    e.code().unwrap_or_else(|| panic!("{}: {e} has no BAL# code", context()));
                assert_eq!(reason, &format!("BAL#{code:03}"), "{}: ours {e}", context());
                *self.tally.refused.entry(code).or_default() += 1;
            }
            _ => panic!("{}: ours {ours:?}, querySwap {chain:?}", context()),
        }
    }
}

/// A quote amount: mostly log-uniform up to a few times the balance involved (so some exceed
/// what the pool accepts), sometimes an edge: 1 wei, the exact 30 % boundary of the raw balance,
/// or values that overflow the Vault's 112-bit balances or the math.
fn amount(rng: &mut StdRng, balance: U256) -> U256 {
    match rng.random_range(0..24) {
        0 => U256::from(1),
        1 => balance * U256::from(3) / U256::from(10),
        2 => balance,
        3 => U256::from(1) << 120,
        4 => U256::MAX,
        _ => log_uniform(rng, balance.bit_len() + 2),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quotes_equal_query_swap_to_the_wei() {
    let mut rng = StdRng::seed_from_u64(seed(0x5eed_00ba));
    let devnet = Devnet::start().await.expect("devnet (run: bash scripts/devnet-setup)");
    let me = devnet.deployer();
    let bal = devnet.deploy_balancer_v2().await.unwrap();

    // Tokens of 18, 6 and 8 decimals, plenty for the trader.
    let mut tokens = Vec::new();
    for (symbol, decimals) in [("WAD", 18u8), ("USD", 6), ("BTC", 8)] {
        let token = bal.deploy_token(symbol, decimals).await.unwrap();
        bal.mint(token, me, units(1, decimals) * U256::from(1u64 << 40)).await.unwrap();
        tokens.push((token, decimals));
    }
    let [t18, t6, t8] = [tokens[0], tokens[1], tokens[2]];

    let mut subjects = vec![
        weighted(&bal, "weighted 80/20", &[(t18, 800), (t6, 200)], wad(3)).await,
        weighted(&bal, "weighted 50/30/20", &[(t18, 500), (t6, 300), (t8, 200)], wad(10)).await,
        stable(&bal, &[t18, t6, t8]).await,
    ];
    let stable_pool = subjects[2].pool.clone();

    // Protocol swap fee 50 %, cached by every pool.
    bal.set_protocol_swap_fee(wad(500)).await.unwrap();
    for s in &subjects {
        s.pool.update_protocol_fee_cache().await.unwrap();
        assert_eq!(s.pool.protocol_swap_fee_cache().await.unwrap(), wad(500));
    }

    // Amplification 200 → 400 over a day and an hour; each round moves the clock half an hour.
    let start =
        DEFAULT_GENESIS_TIMESTAMP + DEFAULT_BLOCK_TIME * devnet.block_number().await.unwrap();
    let end = start + 25 * 3_600;
    stable_pool.start_amp_update(U256::from(400), U256::from(end)).await.unwrap();

    for round in 0..ROUNDS {
        devnet.set_next_timestamp(start + ROUND_SECONDS * (round as u64 + 1)).await.unwrap();
        for s in &mut subjects {
            mutate(&bal, s, &mut rng).await;
            let state = s.state(false).await;
            for kind in [BalancerSwapKind::GivenIn, BalancerSwapKind::GivenOut] {
                for _ in 0..QUOTES_PER_KIND {
                    let (i, o) = s.pair(&mut rng);
                    let reference = match kind {
                        BalancerSwapKind::GivenIn => state.balances()[i],
                        BalancerSwapKind::GivenOut => state.balances()[o],
                    };
                    let amount = amount(&mut rng, reference);
                    s.compare(&state, kind, i, o, amount).await;
                }
            }
        }
    }

    let amp = stable_pool.amplification().await.unwrap();
    println!(
        "stable pool amplification after the rounds: {} (updating {})",
        amp.value, amp.is_updating
    );
    assert!(amp.value > U256::from(300_000), "the ramp moved the amplification: {}", amp.value);

    // A BPT swap is a join or exit: valid on chain, refused by the model.
    let state = subjects[2].state(false).await;
    let bpt = stable_pool.bpt_index().unwrap();
    let other = (bpt + 1) % 4;
    let one = units(1, subjects[2].decimals[other]);
    assert_eq!(
        state.quote(BalancerSwapKind::GivenIn, other, bpt, one),
        Err(BalancerError::BptSwap { index: bpt })
    );
    let tokens_cs = stable_pool.tokens();
    let chain = stable_pool
        .query_swap(BalancerSwapKind::GivenIn, tokens_cs[other], tokens_cs[bpt], one)
        .await
        .unwrap();
    assert!(matches!(chain, QuerySwapOutcome::Amount(_)), "{chain:?}");

    // Protocol fees: no token reached the collector through the swaps; the first join after them
    // mints BPT to it.
    let collector = bal.addresses().protocol_fees_collector;
    for &(token, _) in &tokens {
        assert_eq!(devnet.balance_of(token, collector).await.unwrap(), U256::ZERO);
    }
    for s in &subjects {
        assert_eq!(s.pool.bpt_balance(collector).await.unwrap(), U256::ZERO);
        let amounts: Vec<U256> =
            (0..s.pool.tokens().len())
                .map(|i| {
                    if Some(i) == s.pool.bpt_index() {
                        U256::ZERO
                    } else {
                        units(10, s.decimals[i])
                    }
                })
                .collect();
        s.pool.join_exact_tokens_in(me, &amounts).await.unwrap();
        let fees = s.pool.bpt_balance(collector).await.unwrap();
        assert!(fees > U256::ZERO, "{}: the join paid no protocol fee", s.name);
        println!("{}: {:?}; protocol fee paid at the join: {fees} BPT", s.name, s.tally);
    }

    for s in &subjects {
        let t = &s.tally;
        let refused: usize = t.refused.values().sum();
        assert!(t.exact_in + t.exact_out + refused >= ROUNDS * 2 * QUOTES_PER_KIND, "{}", s.name);
        assert!(t.exact_in >= ROUNDS * 5 && t.exact_out >= ROUNDS * 5, "{}: {t:?}", s.name);
        assert_eq!(t.swaps, ROUNDS, "{}", s.name);
    }
    // The weighted pools' ratio limits and the stable pool's balance bound were hit.
    for (s, code) in [(0, 304), (0, 305), (1, 304), (1, 305), (2, 1)] {
        assert!(
            subjects[s].tally.refused.contains_key(&code),
            "{}: no BAL#{code}",
            subjects[s].name
        );
    }
}

/// A weighted pool of `(token, weight ‰)`, initialized with about 1M units' worth of each token.
async fn weighted(
    bal: &BalancerV2,
    name: &'static str,
    tokens: &[((Address, u8), u64)],
    swap_fee: U256,
) -> Subject {
    let weights: Vec<(Address, U256)> = tokens.iter().map(|&((t, _), w)| (t, wad(w))).collect();
    let pool = bal.create_weighted_pool(&weights, swap_fee).await.unwrap();
    let decimals = decimals_of(&pool, tokens.iter().map(|&(t, _)| t));
    let amounts: Vec<U256> = pool
        .tokens()
        .iter()
        .zip(&decimals)
        .map(|(&token, &d)| {
            let weight = tokens.iter().find(|((t, _), _)| *t == token).map(|&(_, w)| w).unwrap();
            units(weight * 5_000, d)
        })
        .collect();
    pool.initialize(bal_deployer(bal), &amounts).await.unwrap();
    Subject { name, pool, decimals, rated: Vec::new(), tally: Tally::default() }
}

/// The composable stable pool: the 18- and 8-decimal tokens with rate providers (1.05 and 0.97 to
/// start), the 6-decimal token without; A = 200, 0.04 % fee, rates cached for a year (the test
/// refreshes them itself).
async fn stable(bal: &BalancerV2, tokens: &[(Address, u8)]) -> Subject {
    let r18 = bal.deploy_rate_provider(wad(1050)).await.unwrap();
    let r8 = bal.deploy_rate_provider(wad(970)).await.unwrap();
    let with_rates = [(tokens[0].0, Some(r18)), (tokens[1].0, None), (tokens[2].0, Some(r8))];
    let year = U256::from(365 * 24 * 3_600u64);
    let pool = bal
        .create_composable_stable_pool(
            &with_rates,
            U256::from(200),
            U256::from(400_000_000_000_000u64),
            year,
        )
        .await
        .unwrap();
    let decimals = decimals_of(&pool, tokens.iter().copied());
    let amounts: Vec<U256> = decimals
        .iter()
        .enumerate()
        .map(|(i, &d)| if Some(i) == pool.bpt_index() { U256::ZERO } else { units(1_000_000, d) })
        .collect();
    pool.initialize(bal_deployer(bal), &amounts).await.unwrap();
    let rated = vec![(tokens[0].0, r18), (tokens[2].0, r8)];
    Subject { name: "composable stable", pool, decimals, rated, tally: Tally::default() }
}

/// Each registered token's decimals (18 for a BPT).
fn decimals_of(
    pool: &BalancerPool,
    tokens: impl Iterator<Item = (Address, u8)> + Clone,
) -> Vec<u8> {
    pool.tokens()
        .iter()
        .map(|t| tokens.clone().find(|(a, _)| a == t).map_or(18, |(_, d)| d))
        .collect()
}

fn bal_deployer(bal: &BalancerV2) -> Address {
    bal.devnet().deployer()
}

/// One real swap through `Vault.swap`, whose amounts must equal our quote; sometimes a new swap
/// fee, and for the stable pool new rates (refreshed into its cache).
async fn mutate(bal: &BalancerV2, s: &mut Subject, rng: &mut StdRng) {
    let me = bal_deployer(bal);
    if rng.random_bool(0.3) {
        // 0.0001 % to 10 %.
        let fee = U256::from(rng.random_range(1_000_000_000_000u64..=100_000_000_000_000_000));
        s.pool.set_swap_fee(fee).await.unwrap();
    }
    if !s.rated.is_empty() && rng.random_bool(0.3) {
        for &(token, provider) in &s.rated {
            let rate = U256::from(
                rng.random_range(900_000_000_000_000_000u64..=1_200_000_000_000_000_000),
            );
            bal.set_rate(provider, rate).await.unwrap();
            s.pool.update_token_rate_cache(token).await.unwrap();
        }
    }
    // The amplification the swap's block will see, since it ramps with time.
    let state = s.state(true).await;
    let (kind, i, o, amount, quote) = (0..16)
        .find_map(|_| {
            let (i, o) = s.pair(rng);
            let kind = if rng.random_bool(0.5) {
                BalancerSwapKind::GivenIn
            } else {
                BalancerSwapKind::GivenOut
            };
            let reference = state.balances()[if kind == BalancerSwapKind::GivenIn { i } else { o }];
            // 0.01 % to 10 % of the balance.
            let amount = reference / U256::from(rng.random_range(10u64..10_000)) + U256::from(1);
            state.quote(kind, i, o, amount).ok().map(|quote| (kind, i, o, amount, quote))
        })
        .unwrap_or_else(|| panic!("{}: no swap the pool accepts in 16 tries", s.name));
    let tokens = s.pool.tokens();
    let (limit, expect_in, expect_out) = match kind {
        BalancerSwapKind::GivenIn => (U256::ZERO, amount, quote),
        BalancerSwapKind::GivenOut => (U256::MAX, quote, amount),
    };
    let swap = s.pool.swap(me, kind, tokens[i], tokens[o], amount, limit).await.unwrap();
    assert_eq!((swap.amount_in, swap.amount_out), (expect_in, expect_out), "{} swap", s.name);
    s.tally.swaps += 1;
}
