//! [`DexMarket`]: five tokens traded on every pool kind the reserve cache quotes — Uniswap V2
//! pairs, V3 pools of two fee tiers with nested positions, V4 pools and Balancer weighted
//! pools — so that cycles close across kinds; a trader whose random swaps open dislocations
//! ([`DexMarket::random_block`]); and [`DexMarket::execute`], which runs a path of exact-input
//! swaps alone in one block from a snapshot and reports what each hop paid and received.

use std::collections::{BTreeMap, BTreeSet};

use alloy_primitives::{Address, B256, I256, U256, aliases::U160};
use alloy_provider::Provider;

use crate::{
    BalancerPool, BalancerV2, Devnet, DevnetError, QuoterV2, Result, SQRT_PRICE_1_1, TxBatch,
    UniswapV2, UniswapV2Pair, UniswapV3, UniswapV3Pool, UniswapV4, UniswapV4Pool, bindings::IERC20,
    receipt_events, v2_amount_out,
};

/// A small deterministic generator (xorshift*) for reproducible random activity.
#[derive(Debug, Clone)]
pub struct DevRng(pub u64);

impl DevRng {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number below `n` (0 for `n = 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64().checked_rem(n).unwrap_or(0)
    }
}

/// One pool of a [`DexMarket`].
#[derive(Debug, Clone)]
pub enum Venue {
    /// A Uniswap V2 pair.
    UniswapV2(UniswapV2Pair),
    /// A Uniswap V3 pool.
    UniswapV3(UniswapV3Pool),
    /// A Uniswap V4 pool in the `PoolManager`.
    UniswapV4(UniswapV4Pool),
    /// A Balancer V2 weighted pool, with its normalized weights (WAD) in token order.
    Balancer(BalancerPool, Vec<U256>),
}

impl Venue {
    /// `"V2"`, `"V3"`, `"V4"` or `"Balancer"`.
    pub const fn kind(&self) -> &'static str {
        match self {
            Self::UniswapV2(_) => "V2",
            Self::UniswapV3(_) => "V3",
            Self::UniswapV4(_) => "V4",
            Self::Balancer(..) => "Balancer",
        }
    }

    /// The address a cache knows the pool by: the pair's or pool's, a V4 pool's `PoolId`'s
    /// first 20 bytes.
    pub fn address(&self) -> Address {
        match self {
            Self::UniswapV2(p) => p.address(),
            Self::UniswapV3(p) => p.address(),
            Self::UniswapV4(p) => Address::from_slice(&p.id()[..20]),
            Self::Balancer(p, _) => p.address(),
        }
    }

    /// The tokens it swaps between.
    pub fn tokens(&self) -> Vec<Address> {
        match self {
            Self::UniswapV2(p) => vec![p.token0(), p.token1()],
            Self::UniswapV3(p) => vec![p.token0(), p.token1()],
            Self::UniswapV4(p) => vec![p.currency0(), p.currency1()],
            Self::Balancer(p, _) => p.tokens().to_vec(),
        }
    }
}

/// One exact-input swap of a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SwapHop {
    /// The pool, as [`Venue::address`].
    pub pool: Address,
    /// The token paid in.
    pub token_in: Address,
    /// The token received.
    pub token_out: Address,
    /// Paid in, smallest units.
    pub amount_in: U256,
    /// Expected out, smallest units: what a V2 pair is asked for (it computes nothing); the
    /// other venues compute their output and ignore it.
    pub amount_out: U256,
}

/// What [`DexMarket::execute`] observed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Execution {
    /// The block the path was mined in.
    pub block: u64,
    /// Transactions in that block, and how many the path sent.
    pub block_transactions: usize,
    /// Transactions the path sent.
    pub sent: usize,
    /// Per hop: `(paid, received)` by the executing account, from the tokens' `Transfer`s.
    pub hops: Vec<(U256, U256)>,
    /// The change of the account's balance of the path's first token (its profit when the path
    /// is a cycle).
    pub first_token_change: I256,
    /// Whether the balances of every other token of the path are unchanged.
    pub others_unchanged: bool,
}

/// Five 18-decimals tokens on 6 Uniswap V2 pairs, 6 V3 pools (fees 500 and 3,000; a
/// full-range position and six random nested ones each), 4 V4 pools (fees 500, 3,000 and
/// 10,000; likewise) and 2 Balancer weighted pools (50/25/25 and 80/20), every pool at price 1;
/// a trader and an arbitrageur funded with 10^9 of each token and every approval given.
#[derive(Debug, Clone)]
pub struct DexMarket {
    /// The chain.
    pub devnet: Devnet,
    /// The tokens, in deployment order.
    pub tokens: Vec<Address>,
    /// The Uniswap V2 factory.
    pub v2: UniswapV2,
    /// The Uniswap V3 factory and periphery.
    pub v3: UniswapV3,
    /// `QuoterV2` on the V3 factory.
    pub quoter: QuoterV2,
    /// The Uniswap V4 `PoolManager` and periphery.
    pub v4: UniswapV4,
    /// The Balancer V2 Vault and factories.
    pub balancer: BalancerV2,
    /// Every pool by [`Venue::address`].
    pub venues: BTreeMap<Address, Venue>,
    /// The account [`random_block`](Self::random_block) trades from.
    pub trader: Address,
    /// The account [`execute`](Self::execute) trades from.
    pub arbitrageur: Address,
}

fn e18(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18))
}

fn l18(n: u64) -> u128 {
    u128::from(n) * 1_000_000_000_000_000_000
}

impl DexMarket {
    /// Deploys Multicall3, the tokens, the protocols and the pools; `rng` places the nested
    /// positions.
    ///
    /// # Errors
    /// As the deployments ([`DevnetError`]).
    pub async fn deploy(devnet: &Devnet, rng: &mut DevRng) -> Result<Self> {
        devnet.deploy_multicall3().await?;
        let me = devnet.deployer();
        let accounts = devnet.accounts();
        let (Some(&trader), Some(&arbitrageur)) = (accounts.get(1), accounts.get(2)) else {
            return Err(DevnetError::InvalidInput {
                what: "DexMarket::deploy",
                reason: "the devnet needs at least three accounts".into(),
            });
        };
        let mut tokens = Vec::new();
        for _ in 0..5 {
            tokens.push(devnet.deploy_erc20(e18(1_000_000_000_000)).await?);
        }
        let v2 = devnet.deploy_uniswap_v2().await?;
        let v3 = devnet.deploy_uniswap_v3().await?;
        let quoter = v3.deploy_quoter_v2().await?;
        let v4 = devnet.deploy_uniswap_v4().await?;
        let balancer = devnet.deploy_balancer_v2().await?;
        let vault = balancer.vault();
        let mut batch = devnet.batch();
        for &t in &tokens {
            for who in [trader, arbitrageur] {
                batch.push(me, t, &IERC20::transferCall { to: who, value: e18(1_000_000_000) });
            }
            for who in [me, trader, arbitrageur] {
                for spender in [v3.swap_router(), v3.position_manager(), vault] {
                    batch.push(who, t, &IERC20::approveCall { spender, value: U256::MAX });
                }
            }
        }
        batch.execute().await?;

        let mut venues = BTreeMap::new();
        for (a, b, size) in [(0, 1, 300_000), (0, 2, 200_000), (1, 2, 100_000), (1, 3, 150_000)]
            .into_iter()
            .chain([(0, 4, 100_000), (2, 3, 200_000)])
        {
            let pair = v2.create_pair(tokens[a], tokens[b]).await?;
            pair.add_liquidity(me, e18(size), e18(size)).await?;
            venues.insert(pair.address(), Venue::UniswapV2(pair));
        }
        for (a, b, fee) in [(0, 1, 500), (0, 1, 3_000), (0, 2, 3_000), (1, 3, 500), (2, 4, 3_000)]
            .into_iter()
            .chain([(3, 4, 500)])
        {
            let pool = v3.create_pool(tokens[a], tokens[b], fee, SQRT_PRICE_1_1).await?;
            let (lo, hi) = pool.full_range();
            let mut batch = devnet.batch();
            pool.push_mint_position(&mut batch, me, lo, hi, e18(30_000), e18(30_000))?;
            let s = pool.tick_spacing();
            for _ in 0..6 {
                let lower = -s * (1 + rng.below(60) as i32);
                let upper = s * (1 + rng.below(60) as i32);
                let size = e18(1_000 + rng.below(20_000));
                pool.push_mint_position(&mut batch, me, lower, upper, size, size)?;
            }
            batch.execute().await?;
            venues.insert(pool.address(), Venue::UniswapV3(pool));
        }
        for (a, b, fee, spacing) in [(0, 1, 3_000, 60), (0, 3, 500, 10), (1, 4, 10_000, 200)]
            .into_iter()
            .chain([(2, 3, 500, 10)])
        {
            let pool = v4
                .initialize_pool(tokens[a], tokens[b], fee, spacing, Address::ZERO, SQRT_PRICE_1_1)
                .await?;
            for who in [me, trader, arbitrageur] {
                pool.approve_routers(who).await?;
            }
            let mut batch = devnet.batch();
            let (lo, hi) = pool.full_range();
            let mut ranges = vec![(lo, hi, l18(30_000))];
            for _ in 0..6 {
                let lower = -spacing * (1 + rng.below(60) as i32);
                let upper = spacing * (1 + rng.below(60) as i32);
                ranges.push((lower, upper, l18(1_000 + rng.below(20_000))));
            }
            for (salt, (lo, hi, l)) in ranges.into_iter().enumerate() {
                let salt = B256::from(U256::from(salt + 1));
                let l = i128::try_from(l).unwrap_or(i128::MAX);
                pool.push_modify_liquidity(&mut batch, me, lo, hi, l, salt)?;
            }
            batch.execute().await?;
            let venue = Venue::UniswapV4(pool);
            venues.insert(venue.address(), venue);
        }
        // Weighted pools at price 1: balances in the weights' ratio.
        let wad = |milli: u64| U256::from(milli) * U256::from(1_000_000_000_000_000u64);
        for (members, fee) in
            [(vec![(0, 500), (2, 250), (3, 250)], wad(3)), (vec![(1, 800), (4, 200)], wad(1))]
        {
            let weights: Vec<(Address, U256)> =
                members.iter().map(|&(t, w)| (tokens[t], wad(w))).collect();
            let pool = balancer.create_weighted_pool(&weights, fee).await?;
            let mut ordered = Vec::new();
            let mut amounts = Vec::new();
            for t in pool.tokens() {
                let w = members.iter().find(|(i, _)| tokens[*i] == *t).map_or(0, |m| m.1);
                ordered.push(wad(w));
                amounts.push(e18(w * 400));
            }
            pool.initialize(me, &amounts).await?;
            venues.insert(pool.address(), Venue::Balancer(pool, ordered));
        }
        Ok(Self {
            devnet: devnet.clone(),
            tokens,
            v2,
            v3,
            quoter,
            v4,
            balancer,
            venues,
            trader,
            arbitrageur,
        })
    }

    /// Queues an exact-input swap of `hop.amount_in` through its pool from `from` to itself.
    ///
    /// # Errors
    /// [`DevnetError::InvalidInput`] for a pool that is not one of the market's.
    pub fn push_swap(&self, batch: &mut TxBatch, from: Address, hop: &SwapHop) -> Result<()> {
        let venue = self.venues.get(&hop.pool).ok_or_else(|| DevnetError::InvalidInput {
            what: "DexMarket::push_swap",
            reason: format!("{} is not a pool of the market", hop.pool),
        })?;
        match venue {
            Venue::UniswapV2(pair) => {
                let zfo = hop.token_in == pair.token0();
                pair.push_swap(batch, from, zfo, hop.amount_in, hop.amount_out);
            }
            Venue::UniswapV3(pool) => {
                pool.push_swap(batch, from, hop.token_in == pool.token0(), hop.amount_in);
            }
            Venue::UniswapV4(pool) => pool.push_swap(
                batch,
                from,
                hop.token_in == pool.currency0(),
                -I256::from_raw(hop.amount_in),
                U160::ZERO,
            ),
            Venue::Balancer(pool, _) => {
                pool.push_swap(batch, from, hop.token_in, hop.token_out, hop.amount_in);
            }
        }
        Ok(())
    }

    /// Mines one block of 2–6 random exact-input swaps by the trader: a random pool and pair
    /// of its tokens, the direction that moves the pool back towards price 1 three times in
    /// four, log-uniform sizes from 1 to 900 tokens (at most a twentieth of a Balancer
    /// balance: its ratio limits), at most one per V2 pair (its output is computed from the
    /// reserves at the block's start). Returns the swaps sent.
    ///
    /// # Errors
    /// As the reads and the batch.
    pub async fn random_block(&self, rng: &mut DevRng) -> Result<usize> {
        let mut batch = self.devnet.batch().block_size(usize::MAX);
        let pools: Vec<&Venue> = self.venues.values().collect();
        let mut used = BTreeSet::new();
        for _ in 0..2 + rng.below(5) {
            let venue = pools[rng.below(pools.len() as u64) as usize];
            let tokens = venue.tokens();
            let n = tokens.len() as u64;
            let i = rng.below(n) as usize;
            let j = (i + 1 + rng.below(n - 1) as usize) % tokens.len();
            let towards = if self.dearer(venue, i, j).await? { (i, j) } else { (j, i) };
            let (a, b) = if rng.below(4) == 0 { (towards.1, towards.0) } else { towards };
            let (token_in, token_out) = (tokens[a], tokens[b]);
            let digits = rng.below(3) as u32;
            let mut amount = e18((1 + rng.below(9)) * 10u64.pow(digits));
            let mut amount_out = U256::ZERO;
            match venue {
                Venue::UniswapV2(pair) => {
                    if !used.insert(pair.address()) {
                        continue;
                    }
                    let r = pair.reserves().await?;
                    let (r0, r1) = (U256::from(r.reserve0), U256::from(r.reserve1));
                    let (rin, rout) = if a == 0 { (r0, r1) } else { (r1, r0) };
                    amount_out = v2_amount_out(amount, rin, rout);
                }
                Venue::Balancer(pool, _) => {
                    let balances = pool.balances().await?;
                    amount = amount.min(balances[a] / U256::from(20));
                }
                Venue::UniswapV3(_) | Venue::UniswapV4(_) => {}
            }
            let hop = SwapHop {
                pool: venue.address(),
                token_in,
                token_out,
                amount_in: amount,
                amount_out,
            };
            self.push_swap(&mut batch, self.trader, &hop)?;
        }
        let n = batch.len();
        if batch.is_empty() {
            self.devnet.mine(1).await?;
        } else {
            batch.execute().await?;
        }
        Ok(n)
    }

    /// Whether token `i` of `venue` is worth more than token `j` there (selling it moves the
    /// pool towards price 1).
    async fn dearer(&self, venue: &Venue, i: usize, j: usize) -> Result<bool> {
        let q96 = U256::from(1) << 96;
        // Whether token0 is worth more than token1.
        let zero_dearer = match venue {
            Venue::UniswapV2(pair) => {
                let r = pair.reserves().await?;
                r.reserve1 > r.reserve0
            }
            Venue::UniswapV3(pool) => U256::from(pool.slot0().await?.sqrtPriceX96) > q96,
            Venue::UniswapV4(pool) => U256::from(pool.slot0().await?.sqrt_price_x96) > q96,
            Venue::Balancer(pool, weights) => {
                // Spot price of i in j: (b_j / w_j) / (b_i / w_i); i is dearer when scarcer.
                let b = pool.balances().await?;
                return Ok(b[i] * weights[j] < b[j] * weights[i]);
            }
        };
        Ok(zero_dearer == (i == 0))
    }

    /// Runs `hops` in order from the arbitrageur, alone in the next block, from a snapshot of
    /// the chain, and reverts to it: what each hop paid and received, and how the account's
    /// balances moved. The chain is back at its head afterwards.
    ///
    /// # Errors
    /// As the batch (a reverted swap) and the reads; the snapshot is reverted either way.
    pub async fn execute(&self, hops: &[SwapHop]) -> Result<Execution> {
        let devnet = &self.devnet;
        let snapshot = devnet.snapshot().await?;
        let outcome = self.execute_on_snapshot(hops).await;
        devnet.revert(snapshot).await?;
        outcome
    }

    async fn execute_on_snapshot(&self, hops: &[SwapHop]) -> Result<Execution> {
        let devnet = &self.devnet;
        let me = self.arbitrageur;
        let tokens: Vec<Address> = hops.iter().map(|h| h.token_in).collect();
        let mut before = Vec::new();
        for &t in &tokens {
            before.push(devnet.balance_of(t, me).await?);
        }
        let mut batch = devnet.batch().block_size(usize::MAX);
        let mut spans = Vec::new();
        for hop in hops {
            let start = batch.len();
            self.push_swap(&mut batch, me, hop)?;
            spans.push(start..batch.len());
        }
        let sent = batch.len();
        let receipts = batch.execute().await?;
        let block = devnet.block_number().await?;
        let mined =
            devnet.provider().get_block_by_number(block.into()).await.map_err(|source| {
                DevnetError::Rpc { what: format!("eth_getBlockByNumber({block})"), source }
            })?;
        let block_transactions = mined.map_or(0, |b| b.transactions.len());
        let mut out = Vec::new();
        for (hop, span) in hops.iter().zip(spans) {
            let (mut paid, mut received) = (U256::ZERO, U256::ZERO);
            for r in receipts.get(span).unwrap_or_default() {
                for t in receipt_events::<IERC20::Transfer>(r, hop.token_in)? {
                    if t.from == me {
                        paid += t.value;
                    }
                }
                for t in receipt_events::<IERC20::Transfer>(r, hop.token_out)? {
                    if t.to == me {
                        received += t.value;
                    }
                }
            }
            out.push((paid, received));
        }
        let mut after = Vec::new();
        for &t in &tokens {
            after.push(devnet.balance_of(t, me).await?);
        }
        let change = |i: usize| I256::from_raw(after[i]) - I256::from_raw(before[i]);
        Ok(Execution {
            block,
            block_transactions,
            sent,
            hops: out,
            first_token_change: if tokens.is_empty() { I256::ZERO } else { change(0) },
            others_unchanged: after.get(1..) == before.get(1..),
        })
    }
}
