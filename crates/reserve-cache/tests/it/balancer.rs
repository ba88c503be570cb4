//! Balancer V2 quotes from the cache, kept by the Vault's events, equal
//! `BalancerQueries.querySwap` after every block: real pools of `@balancer-labs/v2-deployments`
//! 3.2.0 on anvil — a 2-token 80/20 and a 3-token 50/30/20 `WeightedPool`, and two 3-token
//! `ComposableStablePool`s with rate providers: a steady one (rates cached for a year) and a
//! moving one (its amplification ramps from 200 to 400 over the run, its rates are cached for
//! 30 minutes while the chain moves 15 minutes a block and the providers' rates change).
//!
//! Each block holds 1–4 random Vault operations — token swaps (exact in and out), joins, exits,
//! swaps to and from a composable pool's BPT — under a 50 % protocol swap fee. The cache gets
//! each block's decoded Vault logs; then every pool's cached balances must equal
//! `getPoolTokens`, and cached quotes (both directions, exact in and exact out, 1 wei to far
//! beyond the balances) must equal `querySwap` to the wei, or both refuse with the same `BAL#`
//! code. The weighted pools and the steady stable pool are read once and kept by events alone;
//! the moving pool is block-bound (its state changes with time) and read again every block.
//! At the end a swap fee changed by the pool's owner (a pool event, not the Vault's) leaves the
//! cached state stale until the pool's next swap, whose amounts it does not compute: that swap
//! invalidates the entry.

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use alloy_primitives::{Address, B256, U256};
use alloy_provider::Provider;
use alloy_sol_types::{SolValue, sol};
use mev_chain::ProviderChain;
use mev_devnet::{BalancerPool, BalancerSwapKind, BalancerV2, Devnet, QuerySwapOutcome, TxBatch};
use mev_event_decoder::{Decoder, Protocol, Registry, StateChange};
use mev_reserve_cache::{
    Applied, BalancerV2State, PoolKey, PoolState, QuoteError, ReserveCache, ReserveCacheConfig,
    RpcReserveSource, SwapSide,
};
use mev_swap_math::SwapError;

use crate::rng::Rng;

const BLOCKS: u64 = 100;
const QUOTES_PER_POOL_PER_BLOCK: usize = 20;
/// Chain seconds per block (the moving pool's rate caches last two blocks).
const BLOCK_SECONDS: u64 = 900;
const RATE_CACHE_SECONDS: u64 = 1_800;
const WAD: u64 = 1_000_000_000_000_000_000;

sol! {
    /// The Vault's entry points the workload batches (task `20210418-vault`).
    interface IVault {
        enum SwapKind { GIVEN_IN, GIVEN_OUT }
        struct SingleSwap {
            bytes32 poolId;
            SwapKind kind;
            address assetIn;
            address assetOut;
            uint256 amount;
            bytes userData;
        }
        struct FundManagement {
            address sender;
            bool fromInternalBalance;
            address recipient;
            bool toInternalBalance;
        }
        struct JoinPoolRequest {
            address[] assets;
            uint256[] maxAmountsIn;
            bytes userData;
            bool fromInternalBalance;
        }
        struct ExitPoolRequest {
            address[] assets;
            uint256[] minAmountsOut;
            bytes userData;
            bool toInternalBalance;
        }
        function swap(SingleSwap singleSwap, FundManagement funds, uint256 limit, uint256 deadline)
            external payable returns (uint256);
        function joinPool(bytes32 poolId, address sender, address recipient, JoinPoolRequest request)
            external payable;
        function exitPool(bytes32 poolId, address sender, address recipient, ExitPoolRequest request)
            external;
    }
}

impl Rng {
    /// A quote amount: mostly log-uniform up to 4× the balance involved, sometimes 1 wei, the
    /// weighted pools' 30 % boundary, the whole balance, or amounts past the Vault's 112 bits
    /// and the math's range.
    fn amount_near(&mut self, balance: U256) -> U256 {
        match self.below(24) {
            0 => U256::from(1),
            1 => balance * U256::from(3) / U256::from(10),
            2 => balance,
            3 => U256::from(1) << 120,
            4 => U256::MAX,
            _ => {
                let bits = 1 + self.below(balance.bit_len() as u64 + 2) as usize;
                let raw = U256::from_limbs([self.next(), self.next(), self.next(), self.next()]);
                (raw >> (256 - bits)).max(U256::from(1))
            }
        }
    }
}

pub(crate) fn wad(milli: u64) -> U256 {
    U256::from(milli) * U256::from(WAD / 1_000)
}

pub(crate) fn units(n: u64, decimals: u8) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(decimals))
}

/// Per pool over the run.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    exact_in: usize,
    exact_out: usize,
    /// Quotes both the cache and `querySwap` refused, by `BAL#` code.
    refused: BTreeMap<u16, usize>,
    updated: usize,
    invalidated: usize,
    /// Events for an entry already invalidated (earlier in the block).
    unchanged: usize,
    /// Snapshots quoted whose amplification was ramping / with a rate cache expired at the block
    /// (the provider's rate applied).
    ramping: usize,
    expired_rates: usize,
    /// Of those, snapshots where a provider's rate differed from the cached one.
    provider_rate_applied: usize,
}

pub(crate) struct Subject {
    pub(crate) name: &'static str,
    pub(crate) pool: BalancerPool,
    pub(crate) key: PoolKey,
    /// `(token, provider)` of the rates the run moves.
    pub(crate) moving_rates: Vec<(Address, Address)>,
    pub(crate) balances: Vec<U256>,
    pub(crate) tally: Tally,
}

impl Subject {
    pub(crate) fn tradable(&self) -> Vec<usize> {
        (0..self.pool.tokens().len()).filter(|&i| Some(i) != self.pool.bpt_index()).collect()
    }

    pub(crate) fn pair(&self, rng: &mut Rng) -> (usize, usize) {
        let t = self.tradable();
        let i = t[rng.below(t.len() as u64) as usize];
        let others: Vec<usize> = t.into_iter().filter(|&j| j != i).collect();
        (i, others[rng.below(others.len() as u64) as usize])
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cached_balancer_quotes_equal_query_swap_every_block() {
    let devnet = Devnet::start().await.expect("devnet (run: bash scripts/devnet-setup)");
    devnet.deploy_multicall3().await.unwrap();
    let me = devnet.deployer();
    let bal = devnet.deploy_balancer_v2().await.unwrap();
    let vault = bal.vault();
    let mut rng = Rng(0xba1a_5eed_0000_0001);

    let mut tokens = Vec::new();
    for (symbol, decimals) in [("WAD", 18u8), ("USD", 6), ("BTC", 8)] {
        let token = bal.deploy_token(symbol, decimals).await.unwrap();
        bal.mint(token, me, units(1, decimals) * U256::from(1u64 << 40)).await.unwrap();
        devnet.approve(token, me, vault, U256::MAX).await.unwrap();
        tokens.push((token, decimals));
    }
    let [t18, t6, t8] = [tokens[0].0, tokens[1].0, tokens[2].0];

    let weighted_2 = weighted(&bal, &[(t18, 800, 18), (t6, 200, 6)], wad(3)).await;
    let weighted_3 = weighted(&bal, &[(t18, 500, 18), (t6, 300, 6), (t8, 200, 8)], wad(10)).await;
    let year = 365 * 24 * 3_600;
    let (steady, _) = stable(&bal, [t18, t6, t8], year).await;
    let (moving, moving_rates) = stable(&bal, [t18, t6, t8], RATE_CACHE_SECONDS).await;
    let subject = |name, pool: BalancerPool, key: fn(Address, B256) -> PoolKey, moving_rates| {
        let key = key(vault, pool.id());
        Subject { name, pool, key, moving_rates, balances: Vec::new(), tally: Tally::default() }
    };
    let mut subjects = vec![
        subject("weighted 80/20", weighted_2, PoolKey::balancer_v2_weighted, Vec::new()),
        subject("weighted 50/30/20", weighted_3, PoolKey::balancer_v2_weighted, Vec::new()),
        subject("stable steady", steady, PoolKey::balancer_v2_composable_stable, Vec::new()),
        subject("stable moving", moving, PoolKey::balancer_v2_composable_stable, moving_rates),
    ];
    for s in &subjects {
        devnet.approve(s.pool.address(), me, vault, U256::MAX).await.unwrap();
    }

    // Protocol swap fee 50 %, cached by every pool: charged in BPT at joins and exits.
    bal.set_protocol_swap_fee(wad(500)).await.unwrap();
    for s in &subjects {
        s.pool.update_protocol_fee_cache().await.unwrap();
    }
    // The moving pool's amplification ramps 200 → 400 over 26 hours (the run spans 25).
    let latest = devnet.block_number().await.unwrap();
    let header = provider_header_timestamp(&devnet, latest).await;
    let end = U256::from(header + 26 * 3_600);
    subjects[3].pool.start_amp_update(U256::from(400), end).await.unwrap();

    let registry: Registry = [(vault, Protocol::BalancerV2)].into_iter().collect();
    let decoder = Decoder::with_registry(registry.clone());
    let provider = devnet.provider().clone();
    let source = Arc::new(RpcReserveSource::new(ProviderChain::new(provider.clone())));
    // A TTL longer than the run: what re-reads a pool here is its time-dependence alone.
    let config = ReserveCacheConfig { ttl: Duration::from_secs(3_600), ..Default::default() };
    let cache = ReserveCache::with_config(source, config);
    let mut last = devnet.block_number().await.unwrap();
    let keys: Vec<PoolKey> = subjects.iter().map(|s| s.key.clone()).collect();
    for r in cache.warm(&keys, last).await {
        r.unwrap();
    }
    for s in &mut subjects {
        s.balances = s.pool.balances().await.unwrap();
    }
    let warm_fetches = cache.stats().fetches;
    let mut fee_amounts = (0usize, 0usize); // (joins and exits seen, nonzero protocol fee amounts)
    let mut now = provider_header_timestamp(&devnet, last).await;

    let mut operations = BTreeMap::new();
    for _ in 0..BLOCKS {
        now += BLOCK_SECONDS;
        devnet.set_next_timestamp(now).await.unwrap();
        // The moving pool's providers answer new rates now and then (no event: the pool sees
        // them when its cache expires).
        if rng.below(3) == 0 {
            for &(_, provider) in &subjects[3].moving_rates {
                let rate = 900 + rng.below(300);
                bal.set_rate(provider, wad(rate)).await.unwrap();
            }
        }
        let mut batch = devnet.batch();
        for _ in 0..=rng.below(4) {
            let s = &subjects[rng.below(subjects.len() as u64) as usize];
            if let Some(op) = push_operation(&mut batch, &devnet, vault, s, &mut rng).await {
                *operations.entry(op).or_insert(0usize) += 1;
            }
        }
        if batch.is_empty() {
            devnet.mine(1).await.unwrap();
        } else {
            batch.execute().await.unwrap();
        }
        let head = devnet.block_number().await.unwrap();
        let filter = registry.filter().from_block(last + 1).to_block(head);
        for log in provider.get_logs(&filter).await.unwrap() {
            let decoded = decoder.decode(&log).unwrap();
            if let mev_event_decoder::Event::BalancerV2(
                mev_event_decoder::BalancerV2Event::PoolBalanceChanged(c),
            ) = &decoded.event
            {
                fee_amounts.0 += 1;
                fee_amounts.1 += c.protocolFeeAmounts.iter().filter(|f| !f.is_zero()).count();
            }
            let applied = cache.apply(&decoded);
            for change in decoded.state_changes() {
                let StateChange::Pool { pool, .. } = change else { continue };
                let s = subjects.iter_mut().find(|s| s.pool.address() == pool).unwrap();
                match applied {
                    Applied::Updated => s.tally.updated += 1,
                    Applied::Invalidated => s.tally.invalidated += 1,
                    // A second event of the block for an entry the first invalidated.
                    Applied::Unchanged => s.tally.unchanged += 1,
                }
            }
        }
        last = head;

        for s in &mut subjects {
            let snapshot = cache.get(&s.key, head).await.unwrap();
            let PoolState::BalancerV2(b) = &snapshot.state else { panic!("{:?}", snapshot.state) };
            s.balances = s.pool.balances().await.unwrap();
            assert_eq!(b.tokens, s.pool.tokens(), "{} tokens", s.name);
            assert_eq!(b.balances(), s.balances, "{} balances at block {head}", s.name);
            if let BalancerV2State::ComposableStable(c) = &b.state {
                s.tally.ramping += usize::from(c.amp_is_updating);
                let expired = c.rates.iter().flatten().any(|r| c.timestamp > r.expires);
                s.tally.expired_rates += usize::from(expired);
                let moved = c.rates.iter().flatten().any(|r| r.effective != r.cached);
                s.tally.provider_rate_applied += usize::from(moved);
                // The pool's getter gives the cached rates; the snapshot, the rates a swap at
                // this block applies.
                let on_chain = s.pool.scaling_factors().await.unwrap();
                assert_eq!(on_chain == c.math.scaling_factors, !moved, "{}", s.name);
                if c.amp_is_updating {
                    assert_eq!(snapshot.block, head, "{}: block-bound, read again", s.name);
                }
            }
            for q in 0..QUOTES_PER_POOL_PER_BLOCK {
                let (i, o) = s.pair(&mut rng);
                let side = if q % 2 == 0 { SwapSide::ExactIn } else { SwapSide::ExactOut };
                let reference = s.balances[if side == SwapSide::ExactIn { i } else { o }];
                let amount = rng.amount_near(reference);
                compare(&cache, s, i, o, amount, side, head).await;
            }
        }
    }
    let stats = cache.stats();

    // The weighted pools and the steady stable pool: read once, kept by the Vault's events; the
    // moving pool read again at every block.
    assert_eq!(stats.fetches - warm_fetches, BLOCKS, "{stats:?}");
    for s in &subjects[..3] {
        assert_eq!(s.tally.invalidated + s.tally.unchanged, 0, "{}: {:?}", s.name, s.tally);
        assert!(s.tally.updated > 10, "{}: {:?}", s.name, s.tally);
    }
    let moving = &subjects[3].tally;
    assert_eq!(moving.updated, 0, "{moving:?}");
    assert!(moving.ramping == BLOCKS as usize && moving.expired_rates > 10, "{moving:?}");
    assert!(moving.provider_rate_applied > 5, "{moving:?}");
    assert!(fee_amounts.0 > 20, "joins and exits: {fee_amounts:?}");
    assert_eq!(fee_amounts.1, 0, "these pools pay protocol fees in BPT, not out of balances");
    let collector = bal.addresses().protocol_fees_collector;
    let mut fees_in_bpt = 0;
    for s in &subjects {
        fees_in_bpt += usize::from(!s.pool.bpt_balance(collector).await.unwrap().is_zero());
    }
    assert!(fees_in_bpt >= 2, "protocol fees were paid in BPT at joins and exits");

    // A swap of the composable pool's own BPT is a join or exit: refused, though valid on chain.
    let s = &subjects[2];
    let bpt = s.pool.address();
    let one = units(1, 18);
    assert_eq!(
        cache.quote_to(&bpt, t18, bpt, one, SwapSide::ExactIn),
        Err(QuoteError::BptSwap { pool: bpt, bpt })
    );
    let chain = s.pool.query_swap(BalancerSwapKind::GivenIn, t18, bpt, one).await.unwrap();
    assert!(matches!(chain, QuerySwapOutcome::Amount(_)), "{chain:?}");
    // The 3-token pools need the token out named.
    assert!(matches!(
        cache.quote(&subjects[1].pool.address(), t18, one, SwapSide::ExactIn),
        Err(QuoteError::TokenOutNeeded { tokens: 3, .. })
    ));

    fee_change_is_seen_at_the_next_swap(&devnet, &cache, &registry, &decoder, &subjects[0], last)
        .await;

    let mut total = (0, 0, 0);
    for s in &subjects {
        let t = &s.tally;
        let refused: usize = t.refused.values().sum();
        println!(
            "{}: {} exact in and {} exact out equal to querySwap, {refused} refused by both \
             {:?}; {} events applied in place, {} invalidated (+{} after that in the block); \
             {} snapshots ramping, {} with an expired rate cache ({} with the provider's new \
             rate)",
            s.name,
            t.exact_in,
            t.exact_out,
            t.refused,
            t.updated,
            t.invalidated,
            t.unchanged,
            t.ramping,
            t.expired_rates,
            t.provider_rate_applied
        );
        total = (total.0 + t.exact_in + t.exact_out, total.1 + refused, total.2 + t.updated);
        assert!(t.exact_in + t.exact_out >= BLOCKS as usize * QUOTES_PER_POOL_PER_BLOCK / 2);
    }
    println!(
        "{BLOCKS} blocks, 4 pools: {} quotes equal, {} refused by both; {} events applied in \
         place; operations {operations:?}; fetches after the warm-up {}",
        total.0,
        total.1,
        total.2,
        stats.fetches - warm_fetches
    );
    for (s, code) in [(0, 304), (0, 305), (1, 304), (1, 305), (2, 1)] {
        assert!(
            subjects[s].tally.refused.contains_key(&code),
            "{}: no BAL#{code}",
            subjects[s].name
        );
    }
}

/// One cached quote against `querySwap`: equal, or both refuse with the same `BAL#` code.
async fn compare(
    cache: &ReserveCache,
    s: &mut Subject,
    i: usize,
    o: usize,
    amount: U256,
    side: SwapSide,
    head: u64,
) {
    let tokens = s.pool.tokens();
    let address = s.pool.address();
    // The 2-token pool is also quoted without naming the token out.
    let ours = if tokens.len() == 2 && amount.bit(0) {
        cache.quote(&address, tokens[i], amount, side)
    } else {
        cache.quote_to(&address, tokens[i], tokens[o], amount, side)
    };
    let kind = match side {
        SwapSide::ExactIn => BalancerSwapKind::GivenIn,
        SwapSide::ExactOut => BalancerSwapKind::GivenOut,
    };
    let chain = s.pool.query_swap(kind, tokens[i], tokens[o], amount).await.unwrap();
    let context = || format!("{} {side:?} {i}→{o} amount {amount} at block {head}", s.name);
    match (&ours, &chain) {
        (Ok(q), QuerySwapOutcome::Amount(b)) => {
            let got = if side == SwapSide::ExactIn { q.amount_out } else { q.amount_in };
            assert_eq!(&got, b, "{}", context());
            assert_eq!((q.token_in, q.token_out, q.block <= head), (tokens[i], tokens[o], true));
            match side {
                SwapSide::ExactIn => s.tally.exact_in += 1,
                SwapSide::ExactOut => s.tally.exact_out += 1,
            }
        }
        (
            Err(QuoteError::Swap { source: SwapError::Balancer(e), .. }),
            QuerySwapOutcome::Reverted { reason },
        ) => {
            let code = e.code().unwrap_or_else(|| panic!("{}: {e} has no BAL# code", context()));
            assert_eq!(reason, &format!("BAL#{code:03}"), "{}: ours {e}", context());
            *s.tally.refused.entry(code).or_default() += 1;
        }
        _ => panic!("{}: ours {ours:?}, querySwap {chain:?}", context()),
    }
}

/// Adds one random Vault operation on `s` to the block: a token swap (exact in or out, up to
/// 5 % of the balance), a join with random amounts, an exit, or for a composable pool a swap to
/// or from its BPT.
pub(crate) async fn push_operation(
    batch: &mut TxBatch,
    devnet: &Devnet,
    vault: Address,
    s: &Subject,
    rng: &mut Rng,
) -> Option<&'static str> {
    let me = devnet.deployer();
    let pool = &s.pool;
    let tokens = pool.tokens().to_vec();
    let bpt = pool.bpt_index();
    let vault_swap = |kind, i: usize, o: usize, amount, limit| IVault::swapCall {
        singleSwap: IVault::SingleSwap {
            poolId: pool.id(),
            kind,
            assetIn: tokens[i],
            assetOut: tokens[o],
            amount,
            userData: Default::default(),
        },
        funds: IVault::FundManagement {
            sender: me,
            fromInternalBalance: false,
            recipient: me,
            toInternalBalance: false,
        },
        limit,
        deadline: U256::MAX,
    };
    match rng.below(10) {
        0..=5 => {
            let (i, o) = s.pair(rng);
            let exact_in = rng.below(2) == 0;
            let reference = s.balances[if exact_in { i } else { o }];
            let amount = reference / U256::from(20 + rng.below(5_000)) + U256::from(1);
            let call = if exact_in {
                vault_swap(IVault::SwapKind::GIVEN_IN, i, o, amount, U256::ZERO)
            } else {
                vault_swap(IVault::SwapKind::GIVEN_OUT, i, o, amount, U256::MAX)
            };
            batch.push(me, vault, &call);
            Some(if exact_in { "swap exact in" } else { "swap exact out" })
        }
        6 | 7 => {
            let amounts: Vec<U256> = (0..tokens.len())
                .map(|j| {
                    if Some(j) == bpt || rng.below(3) == 0 {
                        U256::ZERO
                    } else {
                        s.balances[j] / U256::from(100 + rng.below(10_000))
                    }
                })
                .collect();
            let mut amounts_in = amounts.clone();
            if let Some(b) = bpt {
                amounts_in.remove(b);
            }
            if amounts_in.iter().all(U256::is_zero) {
                return None;
            }
            let call = IVault::joinPoolCall {
                poolId: pool.id(),
                sender: me,
                recipient: me,
                request: IVault::JoinPoolRequest {
                    assets: tokens.clone(),
                    maxAmountsIn: amounts,
                    // EXACT_TOKENS_IN_FOR_BPT_OUT (1) for both pool types, no minimum BPT.
                    userData: (U256::from(1), amounts_in, U256::ZERO).abi_encode_params().into(),
                    fromInternalBalance: false,
                },
            };
            batch.push(me, vault, &call);
            Some("join")
        }
        8 => {
            let held = devnet.balance_of(pool.address(), me).await.unwrap();
            let user_data = match bpt {
                // EXACT_BPT_IN_FOR_TOKENS_OUT (1): proportional.
                None => (U256::from(1), held / U256::from(300)).abi_encode_params(),
                // EXACT_BPT_IN_FOR_ONE_TOKEN_OUT (0), the token index without the BPT.
                Some(_) => {
                    let token = rng.below(tokens.len() as u64 - 1);
                    (U256::ZERO, held / U256::from(1_000), U256::from(token)).abi_encode_params()
                }
            };
            let call = IVault::exitPoolCall {
                poolId: pool.id(),
                sender: me,
                recipient: me,
                request: IVault::ExitPoolRequest {
                    assets: tokens.clone(),
                    minAmountsOut: vec![U256::ZERO; tokens.len()],
                    userData: user_data.into(),
                    toInternalBalance: false,
                },
            };
            batch.push(me, vault, &call);
            Some("exit")
        }
        _ => {
            // A swap with the BPT: a single-token join or exit through the Vault's swap.
            let b = bpt?;
            let t = s.tradable()[rng.below(tokens.len() as u64 - 1) as usize];
            let (call, op) = if rng.below(2) == 0 {
                let amount = s.balances[t] / U256::from(1_000);
                (vault_swap(IVault::SwapKind::GIVEN_IN, t, b, amount, U256::ZERO), "swap for BPT")
            } else {
                let held = devnet.balance_of(pool.address(), me).await.unwrap();
                let amount = held / U256::from(2_000);
                (vault_swap(IVault::SwapKind::GIVEN_IN, b, t, amount, U256::ZERO), "swap of BPT")
            };
            batch.push(me, vault, &call);
            Some(op)
        }
    }
}

/// The timestamp of block `number`, seconds.
async fn provider_header_timestamp(devnet: &Devnet, number: u64) -> u64 {
    let block = devnet.provider().get_block_by_number(number.into()).await.unwrap();
    block.unwrap().header.timestamp
}

/// The owner sets a new swap fee: a pool event, which the cache does not see. Its state is
/// stale (a quote differs from `querySwap`) until the pool's next swap, whose amounts it does
/// not compute: that swap invalidates the entry, and the next read is exact again.
async fn fee_change_is_seen_at_the_next_swap(
    devnet: &Devnet,
    cache: &ReserveCache,
    registry: &Registry,
    decoder: &Decoder,
    s: &Subject,
    last: u64,
) {
    let (pool, tokens) = (&s.pool, s.pool.tokens());
    let amount = s.balances[0] / U256::from(100);
    s.pool.set_swap_fee(wad(50)).await.unwrap();
    let stale = cache.quote(&pool.address(), tokens[0], amount, SwapSide::ExactIn).unwrap();
    let QuerySwapOutcome::Amount(now) =
        pool.query_swap(BalancerSwapKind::GivenIn, tokens[0], tokens[1], amount).await.unwrap()
    else {
        panic!("querySwap refused")
    };
    assert_ne!(stale.amount_out, now, "the cached state does not know the new fee");
    let me = devnet.deployer();
    pool.swap(me, BalancerSwapKind::GivenIn, tokens[0], tokens[1], amount, U256::ZERO)
        .await
        .unwrap();
    let head = devnet.block_number().await.unwrap();
    let filter = registry.filter().from_block(last + 1).to_block(head);
    let logs = devnet.provider().get_logs(&filter).await.unwrap();
    assert_eq!(logs.len(), 1, "the swap's Vault log");
    assert_eq!(cache.apply(&decoder.decode(&logs[0]).unwrap()), Applied::Invalidated);
    cache.get(&s.key, head).await.unwrap();
    let fresh = cache.quote(&pool.address(), tokens[0], amount, SwapSide::ExactIn).unwrap();
    let QuerySwapOutcome::Amount(now) =
        pool.query_swap(BalancerSwapKind::GivenIn, tokens[0], tokens[1], amount).await.unwrap()
    else {
        panic!("querySwap refused")
    };
    assert_eq!(fresh.amount_out, now, "read again after the swap: exact");
}

/// A weighted pool of `(token, weight ‰, decimals)`, initialized with about 5,000 units per
/// weight ‰.
pub(crate) async fn weighted(
    bal: &BalancerV2,
    tokens: &[(Address, u64, u8)],
    swap_fee: U256,
) -> BalancerPool {
    let weights: Vec<(Address, U256)> = tokens.iter().map(|&(t, w, _)| (t, wad(w))).collect();
    let pool = bal.create_weighted_pool(&weights, swap_fee).await.unwrap();
    let amounts: Vec<U256> = pool
        .tokens()
        .iter()
        .map(|t| {
            let &(_, w, d) = tokens.iter().find(|(a, ..)| a == t).unwrap();
            units(w * 5_000, d)
        })
        .collect();
    pool.initialize(bal.devnet().deployer(), &amounts).await.unwrap();
    pool
}

/// A composable stable pool of the 18-, 6- and 8-decimal tokens, the first and last with rate
/// providers (1.05 and 0.97 to start) cached for `cache_seconds`; A = 200, 0.04 % fee, 1M units
/// of each token. Returns the `(token, provider)` pairs too.
pub(crate) async fn stable(
    bal: &BalancerV2,
    [t18, t6, t8]: [Address; 3],
    cache_seconds: u64,
) -> (BalancerPool, Vec<(Address, Address)>) {
    let r18 = bal.deploy_rate_provider(wad(1_050)).await.unwrap();
    let r8 = bal.deploy_rate_provider(wad(970)).await.unwrap();
    let fee = U256::from(400_000_000_000_000u64);
    let with_rates = [(t18, Some(r18)), (t6, None), (t8, Some(r8))];
    let pool = bal
        .create_composable_stable_pool(&with_rates, U256::from(200), fee, U256::from(cache_seconds))
        .await
        .unwrap();
    let amounts: Vec<U256> = pool
        .tokens()
        .iter()
        .map(|&t| match t {
            _ if t == t18 => units(1_000_000, 18),
            _ if t == t6 => units(1_000_000, 6),
            _ if t == t8 => units(1_000_000, 8),
            _ => U256::ZERO, // the BPT
        })
        .collect();
    pool.initialize(bal.devnet().deployer(), &amounts).await.unwrap();
    (pool, vec![(t18, r18), (t8, r8)])
}
