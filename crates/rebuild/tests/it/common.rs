//! A devnet Aave V3 market with many random users.

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

/// A reader over HTTP at `url`.
pub(crate) fn http(url: &str) -> ProviderChain<RootProvider> {
    ProviderChain::new(RootProvider::new_http(url.parse().expect("url")))
}
