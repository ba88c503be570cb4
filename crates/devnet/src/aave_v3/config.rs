//! What an Aave V3 market on the devnet holds: [`AaveV3Config`], [`AaveAssetConfig`] and
//! [`AaveEModeConfig`].

use alloy_primitives::U256;
use serde::{Deserialize, Serialize};

/// One price unit of the market's base currency: USD with 8 decimals (`1e8` = $1).
pub const BASE_CURRENCY_UNIT: u64 = 100_000_000;

/// The reserves (and, for Aave v3.6, the eMode categories) of a devnet Aave V3 market
/// ([`Devnet::deploy_aave_v3`], [`Devnet::deploy_aave_v3_6`]).
///
/// The default lists WETH (18 decimals, $2 000), USDC (6, $1), WBTC (8, $60 000) and DAI (18, $1)
/// with Aave-like risk parameters, all borrowable, no eMode category, no isolation, no fees; it
/// deploys on both releases. [`AaveV3Config::v3_6_market`] adds an eMode category, an isolated
/// asset, reserve factors and liquidation protocol fees.
///
/// [`Devnet::deploy_aave_v3`]: crate::Devnet::deploy_aave_v3
/// [`Devnet::deploy_aave_v3_6`]: crate::Devnet::deploy_aave_v3_6
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AaveV3Config {
    /// The `PoolAddressesProvider` market id.
    pub market_id: String,
    /// The reserves, each backed by a fresh `MintableERC20` and `MockAggregator`, listed in this
    /// order (a reserve's id, its bit in the eMode bitmaps, is its index here).
    pub assets: Vec<AaveAssetConfig>,
    /// eMode categories in the v3.2+ model (separate collateral, borrowable and LTV-zero asset
    /// sets per category). Only [`Devnet::deploy_aave_v3_6`] deploys them;
    /// [`Devnet::deploy_aave_v3`] rejects a config that has any (v3.0 has one category per
    /// asset).
    ///
    /// [`Devnet::deploy_aave_v3`]: crate::Devnet::deploy_aave_v3
    /// [`Devnet::deploy_aave_v3_6`]: crate::Devnet::deploy_aave_v3_6
    #[serde(default)]
    pub emode_categories: Vec<AaveEModeConfig>,
}

/// One reserve of an [`AaveV3Config`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AaveAssetConfig {
    /// Token symbol, also used for the aToken and debt-token names.
    pub symbol: String,
    /// Token decimals (Aave v3.6 refuses fewer than 6).
    pub decimals: u8,
    /// Initial oracle price in base-currency units (USD with 8 decimals).
    pub price: U256,
    /// Loan-to-value in basis points (8000 = 80 %); 0 makes the asset non-collateral.
    pub ltv: u16,
    /// Liquidation threshold in basis points.
    pub liquidation_threshold: u16,
    /// Liquidation bonus in basis points, above 10 000 (10 500 = 5 % bonus).
    pub liquidation_bonus: u16,
    /// Whether variable-rate borrowing is enabled.
    pub borrowing_enabled: bool,
    /// Reserve factor in basis points (1000 = 10 % of the interest goes to the treasury);
    /// `None` leaves Aave's initial 0.
    #[serde(default)]
    pub reserve_factor: Option<u16>,
    /// Liquidation protocol fee in basis points of the liquidation bonus (1000 = the treasury
    /// takes 10 % of the bonus collateral); `None` leaves Aave's initial 0.
    #[serde(default)]
    pub liquidation_protocol_fee: Option<u16>,
    /// Isolation-mode debt ceiling in base currency with 2 decimals, Aave's unit
    /// (`100_000_000` = $1 000 000.00 of debt against this collateral). `Some` makes the asset an
    /// isolated collateral: Aave does not enable it as collateral on supply, the user enables it
    /// with [`AaveV3::set_use_as_collateral`](crate::AaveV3::set_use_as_collateral) while holding
    /// no other collateral, and may then borrow only assets with
    /// [`borrowable_in_isolation`](Self::borrowable_in_isolation). `None` (or `Some(0)`) is no
    /// isolation.
    #[serde(default)]
    pub debt_ceiling: Option<u64>,
    /// Whether users in isolation mode may borrow this asset.
    #[serde(default)]
    pub borrowable_in_isolation: bool,
}

/// One eMode category of an [`AaveV3Config`], in the Aave v3.2+ model: the category's risk
/// parameters apply to its `collateral` assets for a user who entered it, and such a user may
/// borrow only its `borrowable` assets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AaveEModeConfig {
    /// Category id, 1–255 (0 is "no eMode").
    pub id: u8,
    /// Loan-to-value in basis points, above 0.
    pub ltv: u16,
    /// Liquidation threshold in basis points, at least `ltv`.
    pub liquidation_threshold: u16,
    /// Liquidation bonus in basis points, above 10 000; `liquidation_threshold × bonus` must not
    /// exceed 100 %.
    pub liquidation_bonus: u16,
    /// Human-readable label (`getEModeCategoryLabel`).
    pub label: String,
    /// Symbols of the assets that count as collateral with the category's parameters.
    pub collateral: Vec<String>,
    /// Symbols of the assets a user in the category may borrow.
    pub borrowable: Vec<String>,
    /// Symbols of collateral assets whose LTV is zero inside the category (v3.6's
    /// `setAssetLtvzeroInEMode`): they keep the category's liquidation threshold but give no
    /// borrowing power, cannot be enabled as collateral in the category, and a user holding one
    /// as collateral cannot enter the category. Each must also be in `collateral`.
    #[serde(default)]
    pub ltvzero: Vec<String>,
}

impl AaveAssetConfig {
    /// A borrowable reserve priced at `usd` whole dollars, with the given risk parameters (bps),
    /// no reserve factor, no liquidation protocol fee, not isolated.
    pub fn new(
        symbol: impl Into<String>,
        decimals: u8,
        usd: u64,
        ltv: u16,
        liquidation_threshold: u16,
        liquidation_bonus: u16,
    ) -> Self {
        Self {
            symbol: symbol.into(),
            decimals,
            price: U256::from(usd) * U256::from(BASE_CURRENCY_UNIT),
            ltv,
            liquidation_threshold,
            liquidation_bonus,
            borrowing_enabled: true,
            reserve_factor: None,
            liquidation_protocol_fee: None,
            debt_ceiling: None,
            borrowable_in_isolation: false,
        }
    }
}

impl AaveV3Config {
    /// The v3.6 test market: the [default](Self::default) reserves (same decimals, prices and
    /// risk parameters) plus
    ///
    /// - a reserve factor of 1000 bps (10 %) and a liquidation protocol fee of 1000 bps (10 % of
    ///   the bonus) on every reserve;
    /// - WBTC isolated with a debt ceiling of $1 000 000 (`100_000_000`), USDC and DAI
    ///   borrowable in isolation;
    /// - eMode category 1 "Stablecoins": LTV 9300, liquidation threshold 9500, bonus 10 100
    ///   (bps), collateral and borrowable USDC and DAI, DAI LTV-zero inside the category.
    ///
    /// Deploy it with [`Devnet::deploy_aave_v3_6`](crate::Devnet::deploy_aave_v3_6).
    pub fn v3_6_market() -> Self {
        let mut config = Self::default();
        for asset in &mut config.assets {
            asset.reserve_factor = Some(1_000);
            asset.liquidation_protocol_fee = Some(1_000);
            match asset.symbol.as_str() {
                "WBTC" => asset.debt_ceiling = Some(100_000_000),
                "USDC" | "DAI" => asset.borrowable_in_isolation = true,
                _ => {}
            }
        }
        let stables = vec!["USDC".to_owned(), "DAI".to_owned()];
        config.emode_categories = vec![AaveEModeConfig {
            id: 1,
            ltv: 9_300,
            liquidation_threshold: 9_500,
            liquidation_bonus: 10_100,
            label: "Stablecoins".into(),
            collateral: stables.clone(),
            borrowable: stables,
            ltvzero: vec!["DAI".into()],
        }];
        config
    }
}

impl Default for AaveV3Config {
    fn default() -> Self {
        Self {
            market_id: "mev-devnet".into(),
            assets: vec![
                AaveAssetConfig::new("WETH", 18, 2_000, 8_000, 8_250, 10_500),
                AaveAssetConfig::new("USDC", 6, 1, 7_700, 8_000, 10_450),
                AaveAssetConfig::new("WBTC", 8, 60_000, 7_300, 7_800, 10_650),
                AaveAssetConfig::new("DAI", 18, 1, 7_500, 8_000, 10_500),
            ],
            emode_categories: Vec::new(),
        }
    }
}
