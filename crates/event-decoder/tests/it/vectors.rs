//! One log per event, its topics and data written by hand from the ABI encoding rules (not with
//! the decoder's types), topic0 copied from `lending-and-events.md`. Each test checks the
//! decoded event name, protocol, and every field by its Solidity name and JSON rendering.

use alloy_primitives::{Address, B256, Bytes, LogData};
use mev_event_decoder::{DecodeError, Decoder, Protocol, Registry};
use serde_json::{Value, json};

const A: &str = "1111111111111111111111111111111111111111";
const B: &str = "2222222222222222222222222222222222222222";
const C: &str = "3333333333333333333333333333333333333333";
const EMITTER: &str = "0x0000000000000000000000000000000000000e17";

/// A 32-byte word holding an unsigned integer.
fn u(v: u128) -> String {
    format!("{v:064x}")
}

/// A 32-byte word holding a signed integer, two's complement, sign-extended.
fn i(v: i128) -> String {
    let fill = if v < 0 { "f" } else { "0" };
    format!("{}{:032x}", fill.repeat(32), v as u128)
}

/// A 32-byte word holding an address, left-padded with zeros.
fn addr(a: &str) -> String {
    format!("{a:0>64}")
}

fn decode(
    topics: &[String],
    data: &[String],
    registered: Option<Protocol>,
) -> Result<Value, DecodeError> {
    let emitter: Address = EMITTER.parse().unwrap();
    let topics: Vec<B256> = topics.iter().map(|t| t.parse().unwrap()).collect();
    let data: Bytes = hex::decode(data.concat()).unwrap().into();
    let log = LogData::new(topics, data).unwrap();
    let decoder = match registered {
        Some(p) => Decoder::with_registry(Registry::new().with(emitter, p)),
        None => Decoder::new(),
    };
    let event = decoder.decode_event(emitter, &log)?;
    let fields: serde_json::Map<String, Value> = event
        .fields()
        .into_iter()
        .map(|f| (f.name.to_owned(), serde_json::to_value(&f.value).unwrap()))
        .collect();
    Ok(json!({
        "protocol": event.protocol().map(|p| p.as_str()),
        "event": event.name(),
        "fields": fields,
    }))
}

fn t(topic0: &str) -> String {
    topic0.to_owned()
}

fn ta(a: &str) -> String {
    format!("0x{}", addr(a))
}

fn tu(v: u128) -> String {
    format!("0x{}", u(v))
}

fn ti(v: i128) -> String {
    format!("0x{}", i(v))
}

fn check(topics: &[String], data: &[String], registered: Option<Protocol>, expected: Value) {
    let got = decode(topics, data, registered).unwrap();
    assert_eq!(got, expected);
}

fn a(x: &str) -> String {
    format!("0x{x}")
}

// ---- Uniswap V2 ----

const V2_SWAP: &str = "0xd78ad95fa46c994b6551d0da85fc275fe613ce37657fb8d5e3d130840159d822";
const MINT_SHARED: &str = "0x4c209b5fc8ad50758f13e2e1088ba56a560dff690a1c6fef26394f4c03821c4f";
const V2_BURN: &str = "0xdccd412f0b1252819cb1fd330b93224ca42612892bb3f4f789976e6d81936496";
const V2_SYNC: &str = "0x1c411e9a96e071241c2f21f7726b17ae89e3cab4c78be50e062b03a9fffbbad1";

#[test]
fn uniswap_v2_swap() {
    check(
        &[t(V2_SWAP), ta(A), ta(B)],
        &[u(1_000_000), u(0), u(0), u(497_000_000_000_000_000)],
        None,
        json!({"protocol": "uniswap-v2", "event": "Swap", "fields": {
            "sender": a(A), "amount0In": "1000000", "amount1In": "0", "amount0Out": "0",
            "amount1Out": "497000000000000000", "to": a(B)}}),
    );
}

#[test]
fn uniswap_v2_mint_vs_compound_mint_collision() {
    // Two topics: the Uniswap V2 Mint (indexed sender).
    check(
        &[t(MINT_SHARED), ta(A)],
        &[u(5), u(6)],
        None,
        json!({"protocol": "uniswap-v2", "event": "Mint",
               "fields": {"sender": a(A), "amount0": "5", "amount1": "6"}}),
    );
    // One topic: the cToken Mint (nothing indexed).
    check(
        &[t(MINT_SHARED)],
        &[addr(B), u(1_000_000), u(4_999_000_000)],
        None,
        json!({"protocol": "compound-v2", "event": "Mint",
               "fields": {"minter": a(B), "mintAmount": "1000000", "mintTokens": "4999000000"}}),
    );
    // A registered emitter decides: a one-topic Mint from a registered pair is an error.
    let err = decode(&[t(MINT_SHARED)], &[addr(B), u(1), u(2)], Some(Protocol::UniswapV2));
    assert!(matches!(err, Err(DecodeError::WrongTopicCount { expected: 2, actual: 1, .. })));
}

#[test]
fn uniswap_v2_burn_and_sync() {
    check(
        &[t(V2_BURN), ta(A), ta(C)],
        &[u(7), u(8)],
        None,
        json!({"protocol": "uniswap-v2", "event": "Burn",
               "fields": {"sender": a(A), "amount0": "7", "amount1": "8", "to": a(C)}}),
    );
    // uint112 max in both reserves.
    let max112 = (1u128 << 112) - 1;
    check(
        &[t(V2_SYNC)],
        &[u(max112), u(1)],
        None,
        json!({"protocol": "uniswap-v2", "event": "Sync",
               "fields": {"reserve0": max112.to_string(), "reserve1": "1"}}),
    );
}

// ---- Uniswap V3 ----

#[test]
fn uniswap_v3_swap_negative_int256_and_int24() {
    let sqrt_price = 79_228_162_514_264_337_593_543_950_336u128; // 2^96
    check(
        &[t("0xc42079f94a6350d7e6235f29174924f928cc2ac818eb64fed8004e115fbcca67"), ta(A), ta(B)],
        &[i(-123_456_789), i(987_654_321), u(sqrt_price), u(5_000_000), i(-887_272)],
        None,
        json!({"protocol": "uniswap-v3", "event": "Swap", "fields": {
            "sender": a(A), "recipient": a(B), "amount0": "-123456789", "amount1": "987654321",
            "sqrtPriceX96": sqrt_price.to_string(), "liquidity": "5000000", "tick": "-887272"}}),
    );
}

#[test]
fn uniswap_v3_mint_with_negative_indexed_ticks() {
    check(
        &[
            t("0x7a53080ba414158be7ec69b987b5fb7d07dee101fe85488f0853ae16239d0bde"),
            ta(B),
            ti(-60),
            ti(120),
        ],
        &[addr(A), u(1_000), u(11), u(22)],
        None,
        json!({"protocol": "uniswap-v3", "event": "Mint", "fields": {
            "sender": a(A), "owner": a(B), "tickLower": "-60", "tickUpper": "120",
            "amount": "1000", "amount0": "11", "amount1": "22"}}),
    );
}

#[test]
fn uniswap_v3_burn_collect_initialize() {
    check(
        &[
            t("0x0c396cd989a39f4459b5fa1aed6a9a8dcdbc45908acfd67e028cd568da98982c"),
            ta(A),
            ti(-887_220),
            ti(887_220),
        ],
        &[u(9), u(10), u(11)],
        None,
        json!({"protocol": "uniswap-v3", "event": "Burn", "fields": {
            "owner": a(A), "tickLower": "-887220", "tickUpper": "887220",
            "amount": "9", "amount0": "10", "amount1": "11"}}),
    );
    check(
        &[
            t("0x70935338e69775456a85ddef226c395fb668b63fa0115f5f20610b388e6ca9c0"),
            ta(A),
            ti(-10),
            ti(10),
        ],
        &[addr(C), u(u128::MAX), u(3)],
        None,
        json!({"protocol": "uniswap-v3", "event": "Collect", "fields": {
            "owner": a(A), "recipient": a(C), "tickLower": "-10", "tickUpper": "10",
            "amount0": u128::MAX.to_string(), "amount1": "3"}}),
    );
    check(
        &[t("0x98636036cb66a9c19a37435efc1e90142190214e8abeb821bdba3f2990dd4c95")],
        &[u(4_295_128_739), i(-887_272)],
        None,
        json!({"protocol": "uniswap-v3", "event": "Initialize",
               "fields": {"sqrtPriceX96": "4295128739", "tick": "-887272"}}),
    );
}

// ---- Balancer V2 ----

#[test]
fn balancer_swap_and_pool_balance_changed() {
    let pool_id =
        format!("0x{}{}", "5c6ee304399dbdb9c8ef030ab642b10820db8f56", "000000000000000000000014");
    check(
        &[
            t("0x2170c741c41531aec20e7c107c24eecfdd15e69c9bb0a8dd37b1840b9e0b207b"),
            pool_id.clone(),
            ta(A),
            ta(B),
        ],
        &[u(100), u(200)],
        None,
        json!({"protocol": "balancer-v2", "event": "Swap", "fields": {
            "poolId": pool_id, "tokenIn": a(A), "tokenOut": a(B),
            "amountIn": "100", "amountOut": "200"}}),
    );
    // Three dynamic arrays: heads are offsets (3 words of heads = 0x60), then each tail.
    let data = [
        u(0x60),
        u(0x60 + 0x60),
        u(0x60 + 0x60 + 0x60),
        // tokens: [A, B]
        u(2),
        addr(A),
        addr(B),
        // deltas: [-5, 7]
        u(2),
        i(-5),
        i(7),
        // protocolFeeAmounts: [0, 1]
        u(2),
        u(0),
        u(1),
    ];
    check(
        &[
            t("0xe5ce249087ce04f05a957192435400fd97868dba0e6a4b4c049abf8af80dae78"),
            pool_id.clone(),
            ta(C),
        ],
        &data,
        None,
        json!({"protocol": "balancer-v2", "event": "PoolBalanceChanged", "fields": {
            "poolId": pool_id, "liquidityProvider": a(C), "tokens": [a(A), a(B)],
            "deltas": ["-5", "7"], "protocolFeeAmounts": ["0", "1"]}}),
    );
}

// ---- Curve ----

#[test]
fn curve_token_exchange_and_underlying() {
    for (topic0, name) in [
        ("0x8b3e96f2b889fa771c53c981b40daf005f63f637f1869f707052d15a3dd97140", "TokenExchange"),
        (
            "0xd013ca23e77a65003c2c659c5442c00c805371b7fc1ebd4c206c41d1536bd90b",
            "TokenExchangeUnderlying",
        ),
    ] {
        check(
            &[t(topic0), ta(A)],
            &[i(0), u(1_000), i(2), u(999)],
            None,
            json!({"protocol": "curve", "event": name, "fields": {
                "buyer": a(A), "sold_id": "0", "tokens_sold": "1000",
                "bought_id": "2", "tokens_bought": "999"}}),
        );
    }
}

#[test]
fn curve_add_liquidity_2_3_and_ng() {
    check(
        &[t("0x26f55a85081d24974e85c6c00045d0f0453991e95873f52bff0d21af4079a768"), ta(A)],
        &[u(1), u(2), u(3), u(4), u(5), u(6)],
        None,
        json!({"protocol": "curve", "event": "AddLiquidity", "fields": {
            "provider": a(A), "token_amounts": ["1", "2"], "fees": ["3", "4"],
            "invariant": "5", "token_supply": "6"}}),
    );
    check(
        &[t("0x423f6495a08fc652425cf4ed0d1f9e37e571d9b9529b1c1c23cce780b2e7df0d"), ta(A)],
        &[u(1), u(2), u(3), u(4), u(5), u(6), u(7), u(8)],
        None,
        json!({"protocol": "curve", "event": "AddLiquidity", "fields": {
            "provider": a(A), "token_amounts": ["1", "2", "3"], "fees": ["4", "5", "6"],
            "invariant": "7", "token_supply": "8"}}),
    );
    // NG: two dynamic arrays then two static words; heads take 4 words (0x80).
    check(
        &[t("0x189c623b666b1b45b83d7178f39b8c087cb09774317ca2f53c2d3c3726f222a2"), ta(A)],
        &[u(0x80), u(0x80 + 0x80), u(77), u(88), u(3), u(1), u(2), u(3), u(3), u(4), u(5), u(6)],
        None,
        json!({"protocol": "curve", "event": "AddLiquidity", "fields": {
            "provider": a(A), "token_amounts": ["1", "2", "3"], "fees": ["4", "5", "6"],
            "invariant": "77", "token_supply": "88"}}),
    );
}

#[test]
fn curve_remove_liquidity_2_3_and_ng() {
    check(
        &[t("0x7c363854ccf79623411f8995b362bce5eddff18c927edc6f5dbbb5e05819a82c"), ta(B)],
        &[u(1), u(2), u(3), u(4), u(5)],
        None,
        json!({"protocol": "curve", "event": "RemoveLiquidity", "fields": {
            "provider": a(B), "token_amounts": ["1", "2"], "fees": ["3", "4"],
            "token_supply": "5"}}),
    );
    check(
        &[t("0xa49d4cf02656aebf8c771f5a8585638a2a15ee6c97cf7205d4208ed7c1df252d"), ta(B)],
        &[u(1), u(2), u(3), u(4), u(5), u(6), u(7)],
        None,
        json!({"protocol": "curve", "event": "RemoveLiquidity", "fields": {
            "provider": a(B), "token_amounts": ["1", "2", "3"], "fees": ["4", "5", "6"],
            "token_supply": "7"}}),
    );
    // NG: heads are 3 words (0x60); fees is an empty array.
    check(
        &[t("0x347ad828e58cbe534d8f6b67985d791360756b18f0d95fd9f197a66cc46480ea"), ta(B)],
        &[u(0x60), u(0x60 + 0x60), u(9), u(2), u(10), u(20), u(0)],
        None,
        json!({"protocol": "curve", "event": "RemoveLiquidity", "fields": {
            "provider": a(B), "token_amounts": ["10", "20"], "fees": [],
            "token_supply": "9"}}),
    );
}

#[test]
fn curve_remove_liquidity_imbalance_2_3_and_ng() {
    check(
        &[t("0x2b5508378d7e19e0d5fa338419034731416c4f5b219a10379956f764317fd47e"), ta(C)],
        &[u(1), u(2), u(3), u(4), u(5), u(6)],
        None,
        json!({"protocol": "curve", "event": "RemoveLiquidityImbalance", "fields": {
            "provider": a(C), "token_amounts": ["1", "2"], "fees": ["3", "4"],
            "invariant": "5", "token_supply": "6"}}),
    );
    check(
        &[t("0x173599dbf9c6ca6f7c3b590df07ae98a45d74ff54065505141e7de6c46a624c2"), ta(C)],
        &[u(1), u(2), u(3), u(4), u(5), u(6), u(7), u(8)],
        None,
        json!({"protocol": "curve", "event": "RemoveLiquidityImbalance", "fields": {
            "provider": a(C), "token_amounts": ["1", "2", "3"], "fees": ["4", "5", "6"],
            "invariant": "7", "token_supply": "8"}}),
    );
    check(
        &[t("0x3631c28b1f9dd213e0319fb167b554d76b6c283a41143eb400a0d1adb1af1755"), ta(C)],
        &[u(0x80), u(0x80 + 0x60), u(7), u(8), u(2), u(1), u(2), u(2), u(3), u(4)],
        None,
        json!({"protocol": "curve", "event": "RemoveLiquidityImbalance", "fields": {
            "provider": a(C), "token_amounts": ["1", "2"], "fees": ["3", "4"],
            "invariant": "7", "token_supply": "8"}}),
    );
}

#[test]
fn curve_remove_liquidity_one_three_forms() {
    check(
        &[t("0x9e96dd3b997a2a257eec4df9bb6eaf626e206df5f543bd963682d143300be310"), ta(A)],
        &[u(100), u(99)],
        None,
        json!({"protocol": "curve", "event": "RemoveLiquidityOne", "fields": {
            "provider": a(A), "token_amount": "100", "coin_amount": "99"}}),
    );
    check(
        &[t("0x5ad056f2e28a8cec232015406b843668c1e36cda598127ec3b8c59b8c72773a0"), ta(A)],
        &[u(100), u(99), u(5_000)],
        None,
        json!({"protocol": "curve", "event": "RemoveLiquidityOne", "fields": {
            "provider": a(A), "token_amount": "100", "coin_amount": "99",
            "token_supply": "5000"}}),
    );
    check(
        &[t("0x6f48129db1f37ccb9cc5dd7e119cb32750cabdf75b48375d730d26ce3659bbe1"), ta(A)],
        &[i(1), u(100), u(99), u(5_000)],
        None,
        json!({"protocol": "curve", "event": "RemoveLiquidityOne", "fields": {
            "provider": a(A), "token_id": "1", "token_amount": "100", "coin_amount": "99",
            "token_supply": "5000"}}),
    );
}

// ---- Aave V3 ----

#[test]
fn aave_supply_withdraw_borrow_repay() {
    check(
        &[
            t("0x2b627736bca15cd5381dcf80b0bf11fd197d01a037c52b927a881a10fb73ba61"),
            ta(A),
            ta(C),
            tu(0),
        ],
        &[addr(B), u(10_000_000_000_000_000_000)],
        None,
        json!({"protocol": "aave-v3", "event": "Supply", "fields": {
            "reserve": a(A), "user": a(B), "onBehalfOf": a(C),
            "amount": "10000000000000000000", "referralCode": "0"}}),
    );
    check(
        &[
            t("0x3115d1449a7b732c986cba18244e897a450f61e1bb8d589cd2e69e6c8924f9f7"),
            ta(A),
            ta(B),
            ta(C),
        ],
        &[u(42)],
        None,
        json!({"protocol": "aave-v3", "event": "Withdraw",
               "fields": {"reserve": a(A), "user": a(B), "to": a(C), "amount": "42"}}),
    );
    check(
        &[
            t("0xb3d084820fb1a9decffb176436bd02558d15fac9b0ddfed8c465bc7359d7dce0"),
            ta(A),
            ta(C),
            tu(65_535),
        ],
        &[addr(B), u(15_000_000_000), u(2), u(37_000_000_000_000_000_000_000_000)],
        None,
        json!({"protocol": "aave-v3", "event": "Borrow", "fields": {
            "reserve": a(A), "user": a(B), "onBehalfOf": a(C), "amount": "15000000000",
            "interestRateMode": "2", "borrowRate": "37000000000000000000000000",
            "referralCode": "65535"}}),
    );
    check(
        &[
            t("0xa534c8dbe71f871f9f3530e97a74601fea17b426cae02e1c5aee42c96c784051"),
            ta(A),
            ta(B),
            ta(C),
        ],
        &[u(5), u(1)],
        None,
        json!({"protocol": "aave-v3", "event": "Repay", "fields": {
            "reserve": a(A), "user": a(B), "repayer": a(C), "amount": "5", "useATokens": true}}),
    );
}

#[test]
fn aave_liquidation_collateral_flags_reserve_data() {
    check(
        &[
            t("0xe413a321e8681d831f4dbccbca790d2952b56f977908e45be37335533e005286"),
            ta(A),
            ta(B),
            ta(C),
        ],
        &[u(7_500_000_000), u(3_937_500_000_000_000_000), addr(A), u(0)],
        None,
        json!({"protocol": "aave-v3", "event": "LiquidationCall", "fields": {
            "collateralAsset": a(A), "debtAsset": a(B), "user": a(C),
            "debtToCover": "7500000000", "liquidatedCollateralAmount": "3937500000000000000",
            "liquidator": a(A), "receiveAToken": false}}),
    );
    for (topic0, name) in [
        (
            "0x00058a56ea94653cdf4f152d227ace22d4c00ad99e2a43f58cb7d9e3feb295f2",
            "ReserveUsedAsCollateralEnabled",
        ),
        (
            "0x44c58d81365b66dd4b1a7f36c25aa97b8c71c361ee4937adc1a00000227db5dd",
            "ReserveUsedAsCollateralDisabled",
        ),
    ] {
        check(
            &[t(topic0), ta(A), ta(B)],
            &[],
            None,
            json!({"protocol": "aave-v3", "event": name, "fields": {"reserve": a(A), "user": a(B)}}),
        );
    }
    check(
        &[t("0x804c9b842b2748a22bb64b345453a3de7ca54a6ca45ce00d415894979e22897a"), ta(A)],
        &[
            u(1),
            u(2),
            u(3),
            u(1_000_000_000_000_000_000_000_000_001),
            u(1_000_000_000_000_000_000_000_000_002),
        ],
        None,
        json!({"protocol": "aave-v3", "event": "ReserveDataUpdated", "fields": {
            "reserve": a(A), "liquidityRate": "1", "stableBorrowRate": "2",
            "variableBorrowRate": "3", "liquidityIndex": "1000000000000000000000000001",
            "variableBorrowIndex": "1000000000000000000000000002"}}),
    );
}

#[test]
fn aave_flash_loan_and_emode() {
    check(
        &[
            t("0xefefaba5e921573100900a3ad9cf29f222d995fb3b6045797eaea7521bd8d6f0"),
            ta(A),
            ta(B),
            tu(7),
        ],
        &[addr(C), u(1_000), u(0), u(5)],
        None,
        json!({"protocol": "aave-v3", "event": "FlashLoan", "fields": {
            "target": a(A), "initiator": a(C), "asset": a(B), "amount": "1000",
            "interestRateMode": "0", "premium": "5", "referralCode": "7"}}),
    );
    check(
        &[t("0xd728da875fc88944cbf17638bcbe4af0eedaef63becd1d1c57cc097eb4608d84"), ta(A)],
        &[u(1)],
        None,
        json!({"protocol": "aave-v3", "event": "UserEModeSet",
               "fields": {"user": a(A), "categoryId": "1"}}),
    );
    // Emitted by the AaveOracle, not the Pool.
    check(
        &[t("0x22c5b7b2d8561d39f7f210b6b326a1aa69f15311163082308ac4877db6339dc1"), ta(A), ta(B)],
        &[],
        None,
        json!({"protocol": "aave-v3", "event": "AssetSourceUpdated",
               "fields": {"asset": a(A), "source": a(B)}}),
    );
}

// ---- Compound v2 / Moonwell ----

#[test]
fn compound_redeem_borrow_repay_liquidate() {
    check(
        &[t("0xe5b754fb1abb7f01b499791d0b820ae3b6af3424ac1c59768edb53f4ec31a929")],
        &[addr(A), u(10), u(20)],
        None,
        json!({"protocol": "compound-v2", "event": "Redeem",
               "fields": {"redeemer": a(A), "redeemAmount": "10", "redeemTokens": "20"}}),
    );
    check(
        &[t("0x13ed6866d4e1ee6da46f845c46d7e54120883d75c5ea9a2dacc1c4ca8984ab80")],
        &[addr(A), u(1), u(2), u(3)],
        None,
        json!({"protocol": "compound-v2", "event": "Borrow", "fields": {
            "borrower": a(A), "borrowAmount": "1", "accountBorrows": "2", "totalBorrows": "3"}}),
    );
    check(
        &[t("0x1a2a22cb034d26d1854bdc6666a5b91fe25efbbb5dcad3b0355478d6f5c362a1")],
        &[addr(A), addr(B), u(1), u(2), u(3)],
        None,
        json!({"protocol": "compound-v2", "event": "RepayBorrow", "fields": {
            "payer": a(A), "borrower": a(B), "repayAmount": "1", "accountBorrows": "2",
            "totalBorrows": "3"}}),
    );
    check(
        &[t("0x298637f684da70674f26509b10f07ec2fbc77a335ab1e7d6215a4b2484d8bb52")],
        &[addr(A), addr(B), u(500), addr(C), u(12_345)],
        None,
        json!({"protocol": "compound-v2", "event": "LiquidateBorrow", "fields": {
            "liquidator": a(A), "borrower": a(B), "repayAmount": "500",
            "cTokenCollateral": a(C), "seizeTokens": "12345"}}),
    );
}

#[test]
fn compound_accrue_interest_both_forms() {
    check(
        &[t("0x4dec04e750ca11537cabcd8a9eab06494de08da3735bc8871cd41250e190bc04")],
        &[u(1), u(2), u(1_000_000_000_000_000_000), u(4)],
        None,
        json!({"protocol": "compound-v2", "event": "AccrueInterest", "fields": {
            "cashPrior": "1", "interestAccumulated": "2",
            "borrowIndex": "1000000000000000000", "totalBorrows": "4"}}),
    );
    check(
        &[t("0x875352fb3fadeb8c0be7cbbe8ff761b308fa7033470cd0287f02f3436fd76cb9")],
        &[u(2), u(1_000_000_000_000_000_000), u(4)],
        None,
        json!({"protocol": "compound-v2", "event": "AccrueInterest", "fields": {
            "interestAccumulated": "2", "borrowIndex": "1000000000000000000",
            "totalBorrows": "4"}}),
    );
}

#[test]
fn transfer_collision_decided_by_registry() {
    let topics =
        [t("0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"), ta(A), ta(B)];
    check(
        &topics,
        &[u(3)],
        Some(Protocol::CompoundV2),
        json!({"protocol": "compound-v2", "event": "Transfer",
               "fields": {"from": a(A), "to": a(B), "amount": "3"}}),
    );
    check(
        &topics,
        &[u(3)],
        None,
        json!({"protocol": null, "event": "Transfer",
               "fields": {"from": a(A), "to": a(B), "value": "3"}}),
    );
}

#[test]
fn comptroller_market_entered_exited() {
    for (topic0, name) in [
        ("0x3ab23ab0d51cccc0c3085aec51f99228625aa1a922b3a8ca89a26b0f2027a1a5", "MarketEntered"),
        ("0xe699a64c18b07ac5b7301aa273f36a2287239eb9501d81950672794afba29a0d", "MarketExited"),
    ] {
        check(
            &[t(topic0)],
            &[addr(A), addr(B)],
            None,
            json!({"protocol": "compound-v2", "event": name,
                   "fields": {"cToken": a(A), "account": a(B)}}),
        );
    }
}

// ---- Chainlink ----

#[test]
fn chainlink_answer_updated_negative_indexed_int256() {
    check(
        &[
            t("0x0559884fd3a460db3073b7fc896cc77986f16e378210ded43186175bf646fc5f"),
            ti(-42),
            tu(18_446_744_073_709_562_301),
        ],
        &[u(1_732_000_000)],
        None,
        json!({"protocol": "chainlink", "event": "AnswerUpdated", "fields": {
            "current": "-42", "roundId": "18446744073709562301", "updatedAt": "1732000000"}}),
    );
}

// ---- malformed ----

#[test]
fn malformed_data_is_typed_error() {
    // Swap with one word missing.
    let err = decode(&[t(V2_SWAP), ta(A), ta(B)], &[u(1), u(2), u(3)], None).unwrap_err();
    assert!(matches!(err, DecodeError::MalformedData { .. }), "{err}");
    // An address topic with dirty high bytes.
    let dirty = format!("0x{}{}", "ff".repeat(12), A);
    let err = decode(&[t(V2_SWAP), dirty, ta(B)], &[u(1), u(2), u(3), u(4)], None).unwrap_err();
    assert!(matches!(err, DecodeError::MalformedData { .. }), "{err}");
    // A bool that is neither 0 nor 1.
    let err = decode(
        &[
            t("0xa534c8dbe71f871f9f3530e97a74601fea17b426cae02e1c5aee42c96c784051"),
            ta(A),
            ta(B),
            ta(C),
        ],
        &[u(5), u(2)],
        None,
    )
    .unwrap_err();
    assert!(matches!(err, DecodeError::MalformedData { .. }), "{err}");
    // Wrong topic count on a non-colliding event.
    let err = decode(&[t(V2_SWAP), ta(A)], &[u(1), u(2), u(3), u(4)], None).unwrap_err();
    assert!(matches!(err, DecodeError::WrongTopicCount { expected: 3, actual: 2, .. }), "{err}");
}
