//! `TickMath` of v3-core 1.0.1: sqrt prices (Q64.96) of ticks and ticks of sqrt prices.

use alloy_primitives::U256;

use crate::{Result, SwapError};

/// The lowest tick, `log_1.0001(2^-128)`.
pub const MIN_TICK: i32 = -887_272;
/// The highest tick, `-MIN_TICK`.
pub const MAX_TICK: i32 = -MIN_TICK;
/// `get_sqrt_ratio_at_tick(MIN_TICK)`: the lowest sqrt price (Q64.96) a pool can have.
pub const MIN_SQRT_RATIO: U256 = U256::from_limbs([4_295_128_739, 0, 0, 0]);
/// `get_sqrt_ratio_at_tick(MAX_TICK)`: one above the highest sqrt price (Q64.96) a pool can
/// have, `1461446703485210103287273052203988822378723970342`.
pub const MAX_SQRT_RATIO: U256 =
    U256::from_limbs([0x5d95_1d52_6398_8d26, 0xefd1_fc6a_5064_8849, 0xfffd_8963, 0]);

/// The per-bit multipliers of `getSqrtRatioAtTick`: `1/sqrt(1.0001)^(2^i)` in Q128.128 for
/// bits 1 to 19 (bit 0 is the starting value).
const RATIOS: [u128; 19] = [
    0xfff9_7272_373d_4132_59a4_6990_580e_213a,
    0xfff2_e50f_5f65_6932_ef12_357c_f3c7_fdcc,
    0xffe5_caca_7e10_e4e6_1c36_24ea_a094_1cd0,
    0xffcb_9843_d60f_6159_c9db_5883_5c92_6644,
    0xff97_3b41_fa98_c081_472e_6896_dfb2_54c0,
    0xff2e_a164_66c9_6a38_43ec_78b3_26b5_2861,
    0xfe5d_ee04_6a99_a2a8_11c4_61f1_969c_3053,
    0xfcbe_86c7_900a_88ae_dcff_c83b_479a_a3a4,
    0xf987_a725_3ac4_1317_6f2b_074c_f781_5e54,
    0xf339_2b08_22b7_0005_940c_7a39_8e4b_70f3,
    0xe715_9475_a2c2_9b74_43b2_9c7f_a6e8_89d9,
    0xd097_f3bd_fd20_22b8_845a_d8f7_92aa_5825,
    0xa9f7_4646_2d87_0fdf_8a65_dc1f_90e0_61e5,
    0x70d8_69a1_56d2_a1b8_90bb_3df6_2baf_32f7,
    0x31be_135f_97d0_8fd9_8123_1505_542f_cfa6,
    0x09aa_508b_5b7a_84e1_c677_de54_f3e9_9bc9,
    0x005d_6af8_dedb_8119_6699_c329_225e_e604,
    0x0000_2216_e584_f5fa_1ea9_2604_1bed_fe98,
    0x0000_0000_048a_1703_91f7_dc42_444e_8fa2,
];

/// `log_sqrt(1.0001)(2)` in Q128.128 (`255738958999603826347141` in the contract).
const LOG_SQRT10001_FACTOR: u128 = 0x3627_a301_d710_5577_4c85;
/// The error bound subtracted for the lower tick candidate
/// (`3402992956809132418596140100660247210`).
const TICK_LOW_OFFSET: u128 = 0x028f_6481_ab7f_045a_5af0_12a1_9d00_3aaa;
/// The error bound added for the upper tick candidate
/// (`291339464771989622907027621153398088495`).
const TICK_HIGH_OFFSET: u128 = 0xdb2d_f09e_8195_9a81_455e_2607_99a0_632f;

/// `TickMath.getSqrtRatioAtTick`: `sqrt(1.0001^tick) · 2^96`, rounded up, as a Q64.96 that
/// fits 160 bits.
///
/// # Errors
/// [`SwapError::TickOutOfRange`] when `|tick| > MAX_TICK` (the contract's `T`).
#[inline]
pub fn get_sqrt_ratio_at_tick(tick: i32) -> Result<U256> {
    let abs_tick = tick.unsigned_abs();
    if abs_tick > MAX_TICK.unsigned_abs() {
        return Err(SwapError::TickOutOfRange { tick });
    }
    // The contract's ratio starts at 2^128 (even ticks) or below it, and each multiplier is
    // below 2^128, so after the first multiplication the ratio fits 128 bits: keep it in a
    // u128, starting from the first multiplier for even ticks (2^128 · m >> 128 is m). Only
    // the set bits of the tick are visited.
    let mut rest = abs_tick >> 1;
    let mut ratio = if abs_tick & 1 != 0 {
        0xfffc_b933_bd6f_ad37_aa2d_162d_1a59_4001_u128
    } else if rest == 0 {
        // Tick 0: 2^128 in Q128.128 is 2^96 in Q64.96.
        return Ok(U256::from_limbs([0, 1 << 32, 0, 0]));
    } else {
        let bit = rest.trailing_zeros();
        rest &= rest - 1;
        RATIOS[bit as usize]
    };
    while rest != 0 {
        let bit = rest.trailing_zeros();
        rest &= rest - 1;
        ratio = mul_high_128(ratio, RATIOS[bit as usize]);
    }
    let ratio = if tick > 0 {
        // ratio > 0: every multiplier keeps it above 2^128 · 2^-128.
        U256::MAX / U256::from(ratio)
    } else {
        U256::from(ratio)
    };
    // Q128.128 to Q128.96, rounding up so that get_tick_at_sqrt_ratio of the result is `tick`.
    let round = u64::from(ratio.as_limbs()[0] & 0xffff_ffff != 0);
    Ok((ratio >> 32) + U256::from(round))
}

/// `(a · b) >> 128`, exactly: the high half of the 256-bit product.
#[inline]
const fn mul_high_128(a: u128, b: u128) -> u128 {
    const LOW: u128 = u64::MAX as u128;
    let (a1, a0) = (a >> 64, a & LOW);
    let (b1, b0) = (b >> 64, b & LOW);
    let (low, cross1, cross2, high) = (a0 * b0, a0 * b1, a1 * b0, a1 * b1);
    // The middle 64-bit column with the carry out of the low one: below 3 · 2^64.
    let mid = (low >> 64) + (cross1 & LOW) + (cross2 & LOW);
    high + (cross1 >> 64) + (cross2 >> 64) + (mid >> 64)
}

/// `TickMath.getTickAtSqrtRatio`: the greatest tick whose sqrt price is at most
/// `sqrt_price_x96` (Q64.96).
///
/// # Errors
/// [`SwapError::SqrtPriceOutOfRange`] outside `[MIN_SQRT_RATIO, MAX_SQRT_RATIO)` (the
/// contract's `R`).
pub fn get_tick_at_sqrt_ratio(sqrt_price_x96: U256) -> Result<i32> {
    if sqrt_price_x96 < MIN_SQRT_RATIO || sqrt_price_x96 >= MAX_SQRT_RATIO {
        return Err(SwapError::SqrtPriceOutOfRange { sqrt_price_x96 });
    }
    // The price is below 2^160: a u128 and a 32-bit high limb. The contract's `ratio` is the
    // price << 32, `msb` its highest set bit (≥ 64 since the price is ≥ 2^32), and `r` the
    // ratio shifted so that bit lands on bit 127: the price's top bit on bit 127.
    let l = sqrt_price_x96.as_limbs();
    let (low, high) = ((u128::from(l[1]) << 64) | u128::from(l[0]), l[2]);
    let (msb, mut r) = if high == 0 {
        let lz = low.leading_zeros();
        (159 - lz, low << lz)
    } else {
        // 1..=32 bits above the low 128.
        let k = 64 - high.leading_zeros();
        (159 + k, (low >> k) | (u128::from(high) << (128 - k)))
    };
    // The integer part of log2 in Q64.64; the 14 fraction bits the contract computes below.
    let mut fraction = 0u64;
    for _ in 50..=63 {
        // r := r² >> 127 (129 bits at most); f := its bit 128; r >>= f. The bits f, from
        // bit 63 down to bit 50, are log_2's fraction.
        let (hi, lo) = widening_square(r);
        let f = hi >> 127;
        r = if f == 1 { hi } else { (hi << 1) | (lo >> 127) };
        fraction = (fraction << 1) | f as u64;
    }
    let log_2 = ((i128::from(msb) - 128) << 64) | (i128::from(fraction) << 50);
    // log_sqrt10001 = log_2 · 255738958999603826347141 in int256: |log_2| < 2^71 and the
    // factor < 2^78, so the product is below 2^149 in magnitude; kept as a two's-complement
    // (high, low) pair of 128-bit halves. Adding the offsets (< 2^128) and the arithmetic
    // shift by 128 are then a borrow into the high half and the high half itself, a tick
    // within ±887273 (the contract's int24 cast keeps it).
    let (mut hi, mut lo) = mul_wide_128(log_2.unsigned_abs(), LOG_SQRT10001_FACTOR);
    if log_2 < 0 {
        // Two's-complement negation of the 256-bit product.
        let (nlo, carry) = (!lo).overflowing_add(1);
        (hi, lo) = ((!hi).wrapping_add(u128::from(carry)), nlo);
    }
    let (_, borrow) = lo.overflowing_sub(TICK_LOW_OFFSET);
    let tick_low = hi.wrapping_sub(u128::from(borrow)) as i128 as i32;
    let (_, carry) = lo.overflowing_add(TICK_HIGH_OFFSET);
    let tick_high = hi.wrapping_add(u128::from(carry)) as i128 as i32;
    if tick_low == tick_high {
        return Ok(tick_low);
    }
    Ok(if get_sqrt_ratio_at_tick(tick_high)? <= sqrt_price_x96 { tick_high } else { tick_low })
}

/// `a · b` as `(high, low)` 128-bit halves.
#[inline]
const fn mul_wide_128(a: u128, b: u128) -> (u128, u128) {
    const LOW: u128 = u64::MAX as u128;
    let (a1, a0) = (a >> 64, a & LOW);
    let (b1, b0) = (b >> 64, b & LOW);
    let (low, cross1, cross2, high) = (a0 * b0, a0 * b1, a1 * b0, a1 * b1);
    // The middle 64-bit column with the carry out of the low one: below 3 · 2^64.
    let mid = (low >> 64) + (cross1 & LOW) + (cross2 & LOW);
    (high + (cross1 >> 64) + (cross2 >> 64) + (mid >> 64), (mid << 64) | (low & LOW))
}

/// `x²` as `(high, low)` 128-bit halves.
const fn widening_square(x: u128) -> (u128, u128) {
    let (a, b) = (x >> 64, x & (u64::MAX as u128));
    let (high, low, mid) = (a * a, b * b, a * b);
    // x² = a²·2^128 + mid·2^65 + b², and mid·2^65 < 2^193.
    let (low, carry) = low.overflowing_add(mid << 65);
    (high + (mid >> 63) + carry as u128, low)
}

#[cfg(test)]
mod tests {
    use alloy_primitives::I256;
    use proptest::prelude::*;

    use super::*;

    fn dec(s: &str) -> U256 {
        U256::from_str_radix(s, 10).unwrap()
    }

    #[test]
    fn constants_are_the_contracts() {
        assert_eq!(MAX_SQRT_RATIO, dec("1461446703485210103287273052203988822378723970342"));
        assert_eq!(get_sqrt_ratio_at_tick(MIN_TICK), Ok(MIN_SQRT_RATIO));
        assert_eq!(get_sqrt_ratio_at_tick(MAX_TICK), Ok(MAX_SQRT_RATIO));
        assert_eq!(get_sqrt_ratio_at_tick(0), Ok(U256::from(1) << 96));
        assert_eq!(LOG_SQRT10001_FACTOR, 255_738_958_999_603_826_347_141);
        assert_eq!(TICK_LOW_OFFSET, 3_402_992_956_809_132_418_596_140_100_660_247_210);
        assert_eq!(TICK_HIGH_OFFSET, 291_339_464_771_989_622_907_027_621_153_398_088_495);
    }

    #[test]
    fn bounds_are_the_contracts() {
        assert_eq!(
            get_sqrt_ratio_at_tick(MIN_TICK - 1),
            Err(SwapError::TickOutOfRange { tick: MIN_TICK - 1 })
        );
        assert_eq!(
            get_sqrt_ratio_at_tick(MAX_TICK + 1),
            Err(SwapError::TickOutOfRange { tick: MAX_TICK + 1 })
        );
        assert!(get_sqrt_ratio_at_tick(i32::MIN).is_err());
        assert_eq!(get_sqrt_ratio_at_tick(MIN_TICK + 1), Ok(U256::from(4_295_343_490_u64)));
        assert_eq!(
            get_sqrt_ratio_at_tick(MAX_TICK - 1),
            Ok(dec("1461373636630004318706518188784493106690254656249"))
        );
        assert_eq!(get_tick_at_sqrt_ratio(MIN_SQRT_RATIO), Ok(MIN_TICK));
        assert_eq!(get_tick_at_sqrt_ratio(U256::from(4_295_343_490_u64)), Ok(MIN_TICK + 1));
        assert_eq!(
            get_tick_at_sqrt_ratio(dec("1461373636630004318706518188784493106690254656249")),
            Ok(MAX_TICK - 1)
        );
        assert_eq!(get_tick_at_sqrt_ratio(MAX_SQRT_RATIO - U256::from(1)), Ok(MAX_TICK - 1));
        assert!(get_tick_at_sqrt_ratio(MIN_SQRT_RATIO - U256::from(1)).is_err());
        assert!(get_tick_at_sqrt_ratio(MAX_SQRT_RATIO).is_err());
        assert!(get_tick_at_sqrt_ratio(U256::ZERO).is_err());
    }

    /// The values v3-core's `TickMath.spec.ts` snapshots for `getSqrtRatioAtTick`
    /// (`±50 … ±738203`).
    #[test]
    fn v3_core_snapshot_vectors() {
        let vectors: [(i32, &str, &str); 14] = [
            (50, "79426470787362580746886972461", "79030349367926598376800521322"),
            (100, "79625275426524748796330556128", "78833030112140176575862854579"),
            (250, "80224679980005306637834519095", "78244023372248365697264290337"),
            (500, "81233731461783161732293370115", "77272108795590369356373805297"),
            (1000, "83290069058676223003182343270", "75364347830767020784054125655"),
            (2500, "89776708723587163891445672585", "69919044979842180277688105136"),
            (3000, "92049301871182272007977902845", "68192822843687888778582228483"),
            (4000, "96768528593268422080558758223", "64867181785621769311890333195"),
            (5000, "101729702841318637793976746270", "61703726247759831737814779831"),
            (50000, "965075977353221155028623082916", "6504256538020985011912221507"),
            (150000, "143194173941309278083010301478497", "43836292794701720435367485"),
            (250000, "21246587762933397357449903968194344", "295440463448801648376846"),
            (500000, "5697689776495288729098254600827762987878", "1101692437043807371"),
            (738203, "847134979253254120489401328389043031315994541", "7409801140451"),
        ];
        for (tick, positive, negative) in vectors {
            assert_eq!(get_sqrt_ratio_at_tick(tick), Ok(dec(positive)), "tick {tick}");
            assert_eq!(get_sqrt_ratio_at_tick(-tick), Ok(dec(negative)), "tick {}", -tick);
            assert_eq!(get_tick_at_sqrt_ratio(dec(positive)), Ok(tick));
            assert_eq!(get_tick_at_sqrt_ratio(dec(negative)), Ok(-tick));
        }
    }

    #[test]
    fn every_tick_near_zero_and_the_ends_round_trips() {
        for tick in (-3000..=3000).chain(MIN_TICK..MIN_TICK + 600).chain(MAX_TICK - 600..MAX_TICK) {
            let p = get_sqrt_ratio_at_tick(tick).unwrap();
            assert_eq!(get_tick_at_sqrt_ratio(p), Ok(tick));
            if tick > MIN_TICK {
                assert_eq!(get_tick_at_sqrt_ratio(p - U256::from(1)), Ok(tick - 1));
            }
            for q in [p, p + U256::from(1), p - U256::from(1), p + (p >> 20usize)] {
                assert_eq!(get_tick_at_sqrt_ratio(q), reference_tick_at_sqrt_ratio(q), "{q}");
            }
        }
    }

    /// The contract's `getTickAtSqrtRatio` as first ported, in `int256` arithmetic.
    fn reference_tick_at_sqrt_ratio(sqrt_price_x96: U256) -> Result<i32> {
        if sqrt_price_x96 < MIN_SQRT_RATIO || sqrt_price_x96 >= MAX_SQRT_RATIO {
            return Err(SwapError::SqrtPriceOutOfRange { sqrt_price_x96 });
        }
        let ratio = sqrt_price_x96 << 32_usize;
        let msb = ratio.bit_len() - 1;
        let normalized = if msb >= 128 { ratio >> (msb - 127) } else { ratio << (127 - msb) };
        let limbs = normalized.as_limbs();
        let mut r = U256::from((u128::from(limbs[1]) << 64) | u128::from(limbs[0]));
        let mut log_2 = I256::try_from(msb as i64 - 128).unwrap() << 64;
        for bit in (50..=63).rev() {
            r = (r * r) >> 127_usize;
            let f = r >> 128_usize;
            log_2 |= I256::from_raw(f) << bit;
            r >>= f.to::<usize>();
        }
        let int = |x: u128| -> I256 { I256::try_from(x).unwrap() };
        let log_sqrt10001: I256 = log_2 * int(LOG_SQRT10001_FACTOR);
        let low = (log_sqrt10001 - int(TICK_LOW_OFFSET)).asr(128);
        let high = (log_sqrt10001 + int(TICK_HIGH_OFFSET)).asr(128);
        let tick_low = i32::try_from(low.as_i64()).unwrap();
        let tick_high = i32::try_from(high.as_i64()).unwrap();
        if tick_low == tick_high {
            return Ok(tick_low);
        }
        Ok(if reference_sqrt_ratio_at_tick(tick_high) <= sqrt_price_x96 {
            tick_high
        } else {
            tick_low
        })
    }

    /// The contract's `getSqrtRatioAtTick` as first ported, in 256-bit arithmetic throughout.
    fn reference_sqrt_ratio_at_tick(tick: i32) -> U256 {
        let abs_tick = tick.unsigned_abs();
        let mut ratio = if abs_tick & 1 != 0 {
            U256::from(0xfffc_b933_bd6f_ad37_aa2d_162d_1a59_4001_u128)
        } else {
            U256::from_limbs([0, 0, 1, 0])
        };
        for (bit, multiplier) in RATIOS.iter().enumerate() {
            if abs_tick & (2 << bit) != 0 {
                ratio = ratio.wrapping_mul(U256::from(*multiplier)) >> 128;
            }
        }
        if tick > 0 {
            ratio = U256::MAX / ratio;
        }
        let round = u64::from(ratio.as_limbs()[0] & 0xffff_ffff != 0);
        (ratio >> 32) + U256::from(round)
    }

    #[test]
    fn the_128_bit_ratio_is_the_256_bit_one() {
        let ticks = (MIN_TICK..=MAX_TICK).step_by(97).chain(-70_000..70_000).chain([
            MIN_TICK,
            MIN_TICK + 1,
            -1,
            0,
            1,
            MAX_TICK - 1,
            MAX_TICK,
        ]);
        for tick in ticks {
            assert_eq!(
                get_sqrt_ratio_at_tick(tick),
                Ok(reference_sqrt_ratio_at_tick(tick)),
                "{tick}"
            );
        }
    }

    proptest! {
        #[test]
        fn mul_high_128_is_exact(a: u128, b: u128) {
            let wide = U256::from(a) * U256::from(b);
            prop_assert_eq!(U256::from(mul_high_128(a, b)), wide >> 128_usize);
        }

        #[test]
        fn sqrt_ratio_matches_the_256_bit_port(tick in MIN_TICK..=MAX_TICK) {
            prop_assert_eq!(get_sqrt_ratio_at_tick(tick), Ok(reference_sqrt_ratio_at_tick(tick)));
        }

        #[test]
        fn widening_square_is_exact(x: u128) {
            let (high, low) = widening_square(x);
            let wide = U256::from(x) * U256::from(x);
            prop_assert_eq!((U256::from(high) << 128_usize) | U256::from(low), wide);
        }

        #[test]
        fn sqrt_ratio_is_increasing_and_inverts(tick in MIN_TICK..MAX_TICK) {
            let p = get_sqrt_ratio_at_tick(tick).unwrap();
            let next = get_sqrt_ratio_at_tick(tick + 1).unwrap();
            prop_assert!(p < next);
            prop_assert!(p < U256::from(1) << 160);
            prop_assert_eq!(get_tick_at_sqrt_ratio(p), Ok(tick));
            if tick + 1 < MAX_TICK {
                prop_assert_eq!(get_tick_at_sqrt_ratio(next - U256::from(1)), Ok(tick));
            }
        }

        #[test]
        fn tick_at_sqrt_ratio_is_the_int256_port(limbs in any::<[u64; 3]>(), bits in 1usize..=160) {
            let raw = U256::from_limbs([limbs[0], limbs[1], limbs[2], 0]) >> (192 - bits);
            prop_assert_eq!(get_tick_at_sqrt_ratio(raw), reference_tick_at_sqrt_ratio(raw));
        }

        #[test]
        fn mul_wide_128_is_exact(a: u128, b: u128) {
            let (high, low) = mul_wide_128(a, b);
            prop_assert_eq!((U256::from(high) << 128_usize) | U256::from(low), U256::from(a) * U256::from(b));
        }

        #[test]
        fn tick_of_any_price_brackets_it(limbs in any::<[u64; 3]>()) {
            let raw = U256::from_limbs([limbs[0], limbs[1], limbs[2] & 0xffff_ffff, 0]);
            match get_tick_at_sqrt_ratio(raw) {
                Ok(tick) => {
                    prop_assert!(get_sqrt_ratio_at_tick(tick).unwrap() <= raw);
                    prop_assert!(get_sqrt_ratio_at_tick(tick + 1).unwrap() > raw);
                }
                Err(_) => prop_assert!(raw < MIN_SQRT_RATIO || raw >= MAX_SQRT_RATIO),
            }
        }
    }
}
