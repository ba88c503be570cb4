//! Devnet Aave V3 markets (the v3.0 bytecode from npm, v3.6 compiled from its npm sources) with
//! many random users.

use std::sync::Arc;

use alloy_primitives::{Address, U256};
use alloy_provider::RootProvider;
use mev_chain::{ChainReader, Counted, ProviderChain};
use mev_devnet::{AaveV3, AaveV3Config as DevnetAaveConfig, Devnet};
use mev_rebuild::{AaveV3Config, AaveV3Protocol};
use rand::{Rng, SeedableRng, rngs::StdRng};

/// A devnet with Multicall3 and an Aave V3 market (WETH, USDC, WBTC, DAI) holding `users`
/// random borrowers (2–4 collaterals, 1–2 debts each) plus one supplier of liquidity.
pub(crate) struct Market {
    pub(crate) devnet: Devnet,
    pub(crate) aave: AaveV3,
    pub(crate) users: Vec<Address>,
    pub(crate) deploy_block: u64,
}

pub(crate) fn pow10(d: u8) -> U256 {
    U256::from(10u8).pow(U256::from(d))
}

impl Market {
    pub(crate) async fn start(users: usize, seed: u64) -> Self {
        let devnet =
            Devnet::start().await.expect("anvil must start (run `bash scripts/devnet-setup`)");
        devnet.deploy_multicall3().await.expect("multicall3");
        let deploy_block = devnet.block_number().await.expect("block");
        let aave = devnet.deploy_aave_v3(&DevnetAaveConfig::default()).await.expect("aave");
        let reserves = aave.reserves().to_vec();
        let cfg = DevnetAaveConfig::default();
        let mut rng = StdRng::seed_from_u64(seed);

        // A supplier of deep liquidity in every asset ($1e9 each).
        let whale = Address::repeat_byte(0xee);
        let mut positions = vec![mev_devnet::AavePosition {
            user: whale,
            supplies: reserves
                .iter()
                .zip(&cfg.assets)
                .map(|(r, a)| {
                    let usd = U256::from(1_000_000_000u64) * U256::from(100_000_000u64);
                    (r.asset, usd * pow10(r.decimals) / a.price)
                })
                .collect(),
            borrows: vec![],
        }];
        let mut addrs = Vec::with_capacity(users);
        for i in 0..users {
            let mut bytes = [0u8; 20];
            bytes[0] = 0x10;
            bytes[12..20].copy_from_slice(&(i as u64 + 1).to_be_bytes());
            let user = Address::from(bytes);
            addrs.push(user);
            // 2–4 distinct collaterals, $1k–$100k each.
            let mut idx: Vec<usize> = (0..reserves.len()).collect();
            for k in (1..idx.len()).rev() {
                idx.swap(k, rng.random_range(0..=k));
            }
            let n_coll = rng.random_range(2..=reserves.len());
            let mut power = 0u128; // USD × 1e8 × bps
            let mut supplies = vec![];
            for &k in &idx[..n_coll] {
                let usd: u64 = rng.random_range(1_000..100_000);
                let a = &cfg.assets[k];
                let value = U256::from(usd) * U256::from(100_000_000u64);
                // A random, non-round amount: value · unit / price plus noise.
                let amount = value * pow10(reserves[k].decimals) / a.price
                    + U256::from(rng.random_range(0u64..1_000_000));
                supplies.push((reserves[k].asset, amount));
                power += u128::from(usd) * 100_000_000 * u128::from(a.ltv);
            }
            // Borrow 30–75 % of the borrowing power over 1–2 assets.
            let share = rng.random_range(30u128..75);
            let budget = power * share / 100 / 10_000; // USD × 1e8
            let n_debt = rng.random_range(1..=2usize);
            let mut borrows = vec![];
            for j in 0..n_debt {
                let k = idx[(n_coll + j) % reserves.len()];
                let a = &cfg.assets[k];
                let part = U256::from(budget / n_debt as u128);
                let amount = part * pow10(reserves[k].decimals) / a.price;
                if !amount.is_zero() {
                    borrows.push((reserves[k].asset, amount));
                }
            }
            positions.push(mev_devnet::AavePosition { user, supplies, borrows });
        }
        for chunk in positions.chunks(120) {
            aave.open_positions(chunk).await.expect("open positions");
        }
        Self { devnet, aave, users: addrs, deploy_block }
    }

    /// An Aave v3.6 market ([`DevnetAaveConfig::v3_6_market`]: eMode category 1 "Stablecoins"
    /// with USDC and DAI, DAI LTV-zero in it; WBTC isolated) holding `users` random borrowers
    /// of four kinds, in turn:
    ///
    /// 0. 2–3 collaterals among WETH, USDC, DAI and 1–2 debts;
    /// 1. in eMode 1 with USDC (in the category) and WETH (outside it) as collateral, DAI debt;
    /// 2. three collaterals, the third (DAI) switched off after borrowing on the first two;
    /// 3. isolated: WBTC alone as collateral, USDC debt.
    pub(crate) async fn start_v3_6(users: usize, seed: u64) -> Self {
        let devnet =
            Devnet::start().await.expect("anvil must start (run `bash scripts/devnet-setup`)");
        devnet.deploy_multicall3().await.expect("multicall3");
        let deploy_block = devnet.block_number().await.expect("block");
        let cfg = DevnetAaveConfig::v3_6_market();
        let aave = devnet.deploy_aave_v3_6(&cfg).await.expect("aave v3.6");
        let reserves = aave.reserves().to_vec();
        let by = |symbol: &str| {
            let k = cfg.assets.iter().position(|a| a.symbol == symbol).expect("symbol");
            (k, reserves[k].asset)
        };
        let (weth, usdc, wbtc, dai) = (by("WETH"), by("USDC"), by("WBTC"), by("DAI"));
        let mut rng = StdRng::seed_from_u64(seed);
        let amount_of = |k: usize, usd: u64, noise: u64| {
            U256::from(usd) * U256::from(100_000_000u64) * pow10(reserves[k].decimals)
                / cfg.assets[k].price
                + U256::from(noise)
        };

        // Liquidity: the whale supplies $1e9 of every asset except the isolated WBTC.
        let whale = Address::repeat_byte(0xee);
        let liquid = [weth, usdc, dai];
        let mut supplies = vec![mev_devnet::AavePosition {
            user: whale,
            supplies: liquid.iter().map(|&(k, a)| (a, amount_of(k, 1_000_000_000, 0))).collect(),
            borrows: vec![],
        }];
        let mut borrows = Vec::with_capacity(users);
        let mut addrs = Vec::with_capacity(users);
        let (mut in_emode, mut isolated, mut switch_off) = (vec![], vec![], vec![]);
        for i in 0..users {
            let mut bytes = [0u8; 20];
            bytes[0] = 0x36;
            bytes[12..20].copy_from_slice(&(i as u64 + 1).to_be_bytes());
            let user = Address::from(bytes);
            addrs.push(user);
            // (collateral kept on, collateral switched off later), each (reserve, $).
            let (on, off, debts): (Vec<Reserve>, Vec<Reserve>, Vec<Reserve>) = match i % 4 {
                0 => {
                    let mut pick = liquid.to_vec();
                    for k in (1..pick.len()).rev() {
                        pick.swap(k, rng.random_range(0..=k));
                    }
                    let n = rng.random_range(2..=3);
                    let debts = if rng.random_bool(0.5) { vec![usdc] } else { vec![weth, dai] };
                    (pick[..n].to_vec(), vec![], debts)
                }
                1 => {
                    in_emode.push(user);
                    (vec![usdc, weth], vec![], vec![dai])
                }
                2 => {
                    switch_off.push((user, dai.1));
                    (vec![weth, usdc], vec![dai], vec![usdc])
                }
                _ => {
                    isolated.push((user, wbtc.1));
                    (vec![wbtc], vec![], vec![usdc])
                }
            };
            let mut power = 0u128; // USD × 1e8 × bps
            let mut supplied = vec![];
            for &(k, asset) in on.iter().chain(&off) {
                let usd: u64 = if k == wbtc.0 {
                    rng.random_range(1_000..20_000)
                } else {
                    rng.random_range(1_000..100_000)
                };
                supplied.push((asset, amount_of(k, usd, rng.random_range(0..1_000_000))));
                if on.contains(&(k, asset)) {
                    power += u128::from(usd) * 100_000_000 * u128::from(cfg.assets[k].ltv);
                }
            }
            let share = rng.random_range(30u128..75);
            let budget = power * share / 100 / 10_000; // USD × 1e8
            let debt = debts
                .iter()
                .map(|&(k, asset)| {
                    let part = U256::from(budget / debts.len() as u128);
                    (asset, part * pow10(reserves[k].decimals) / cfg.assets[k].price)
                })
                .filter(|(_, amount)| !amount.is_zero())
                .collect();
            supplies.push(mev_devnet::AavePosition { user, supplies: supplied, borrows: vec![] });
            borrows.push(mev_devnet::AavePosition { user, supplies: vec![], borrows: debt });
        }
        for chunk in supplies.chunks(120) {
            aave.open_positions(chunk).await.expect("supply");
        }
        for &(user, asset) in &isolated {
            aave.set_use_as_collateral(user, asset, true)
                .await
                .expect("enable isolated collateral");
        }
        for &user in &in_emode {
            aave.set_user_emode(user, 1).await.expect("enter eMode 1");
        }
        for chunk in borrows.chunks(120) {
            aave.open_positions(chunk).await.expect("borrow");
        }
        for &(user, asset) in &switch_off {
            aave.set_use_as_collateral(user, asset, false).await.expect("switch collateral off");
        }
        Self { devnet, aave, users: addrs, deploy_block }
    }

    pub(crate) fn reader(&self) -> Arc<Counted<ProviderChain<RootProvider>>> {
        Arc::new(Counted::new(http(self.devnet.rpc_url())))
    }

    pub(crate) fn config(&self) -> AaveV3Config {
        AaveV3Config {
            pool: self.aave.pool(),
            data_provider: self.aave.data_provider(),
            start_block: self.deploy_block,
            ..AaveV3Config::default()
        }
    }

    pub(crate) async fn protocol(&self, reader: &dyn ChainReader) -> AaveV3Protocol {
        let block = reader.block_number().await.expect("block");
        AaveV3Protocol::connect(reader, self.config(), block).await.expect("connect")
    }
}

/// A reserve of a test market: its index in the config, its asset.
type Reserve = (usize, Address);

/// A reader over HTTP at `url`.
pub(crate) fn http(url: &str) -> ProviderChain<RootProvider> {
    ProviderChain::new(RootProvider::new_http(url.parse().expect("url")))
}
