//! What an Aave V3 market on the devnet holds: [`AaveV3Config`] and [`AaveAssetConfig`].

use alloy_primitives::U256;
use serde::{Deserialize, Serialize};

/// One price unit of the market's base currency: USD with 8 decimals (`1e8` = $1).
pub const BASE_CURRENCY_UNIT: u64 = 100_000_000;

/// The reserves to list in a devnet Aave V3 market ([`Devnet::deploy_aave_v3`]).
///
/// The default lists WETH (18 decimals, $2 000), USDC (6, $1), WBTC (8, $60 000) and DAI (18, $1)
/// with Aave-like risk parameters, all borrowable.
///
/// [`Devnet::deploy_aave_v3`]: crate::Devnet::deploy_aave_v3
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AaveV3Config {
    /// The `PoolAddressesProvider` market id.
    pub market_id: String,
    /// The reserves, each backed by a fresh `MintableERC20` and `MockAggregator`.
    pub assets: Vec<AaveAssetConfig>,
}

/// One reserve of an [`AaveV3Config`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AaveAssetConfig {
    /// Token symbol, also used for the aToken and debt-token names.
    pub symbol: String,
    /// Token decimals.
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
}

impl AaveAssetConfig {
    /// A borrowable reserve priced at `usd` whole dollars, with the given risk parameters (bps).
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
        }
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
        }
    }
}
