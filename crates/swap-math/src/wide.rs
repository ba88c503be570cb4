//! Multi-limb multiplication and division sized for the swap math: products of up to 512
//! bits divided by up to 256 bits, on little-endian 64-bit limbs with native `u128`
//! arithmetic.
//!
//! The division is Knuth's algorithm D with the quotient digits of Möller and Granlund,
//! "Improved division by invariant integers" (2011): one reciprocal of the (normalized)
//! divisor per division, then per quotient limb a 2-by-1 (one-limb divisor) or 3-by-2 step
//! made of multiplications only, and for divisors of 3 or 4 limbs a multiply-subtract of the
//! lower limbs with at most one add-back. Unlike a general `Uint` division it works on the
//! significant limbs only (a 160-bit by 81-bit V2 division is 3 limbs by 2: two 3-by-2 steps
//! and nothing else), and allocates nothing. Every routine is checked against ruint's
//! division in this module's tests.

use alloy_primitives::U256;

/// Significant limbs of `x`: its length without the high zero limbs.
#[inline]
fn significant(x: &[u64]) -> usize {
    let mut n = x.len();
    while n > 0 && x[n - 1] == 0 {
        n -= 1;
    }
    n
}

/// `⌊(2^19 − 3·2^8) / d9⌋` for `d9` in `256..512`: the 11-bit start of [`reciprocal`].
const RECIPROCAL_TABLE: [u16; 256] = {
    let mut table = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        table[i] = ((0x7_fd00_u32) / (i as u32 + 256)) as u16;
        i += 1;
    }
    table
};

/// `⌊(β² − 1) / d⌋ − β` for a normalized `d` (top bit set), `β = 2^64`: the 2-by-1
/// reciprocal, by Möller–Granlund's algorithm 3 (a table lookup and three Newton steps in
/// multiplications; a hardware 128-by-64 division costs tens of cycles).
#[inline]
fn reciprocal(d: u64) -> u64 {
    let d0 = d & 1;
    let d9 = d >> 55;
    let d40 = (d >> 24) + 1;
    let d63 = (d >> 1) + d0;
    let v0 = u64::from(RECIPROCAL_TABLE[(d9 - 256) as usize]);
    let v1 = (v0 << 11) - ((v0 * v0 * d40) >> 40) - 1;
    let v2 = (v1 << 13) + ((v1 * ((1 << 60) - v1 * d40)) >> 47);
    let e = ((v2 >> 1) & d0.wrapping_neg()).wrapping_sub(v2.wrapping_mul(d63));
    let v3 = (v2 << 31).wrapping_add(((u128::from(v2) * u128::from(e)) >> 65) as u64);
    let p = u128::from(v3) * u128::from(d) + u128::from(d);
    v3.wrapping_sub(((p >> 64) as u64).wrapping_add(d))
}

/// The 3-by-2 reciprocal `⌊(β³ − 1) / d⌋ − β` of a normalized two-limb `d` (Möller–Granlund,
/// algorithm 6).
#[inline]
fn reciprocal_2(d: u128) -> u64 {
    let (d1, d0) = ((d >> 64) as u64, d as u64);
    let mut v = reciprocal(d1);
    let mut p = d1.wrapping_mul(v).wrapping_add(d0);
    if p < d0 {
        v = v.wrapping_sub(1);
        if p >= d1 {
            v = v.wrapping_sub(1);
            p = p.wrapping_sub(d1);
        }
        p = p.wrapping_sub(d1);
    }
    let t = u128::from(v) * u128::from(d0);
    let (t1, t0) = ((t >> 64) as u64, t as u64);
    p = p.wrapping_add(t1);
    if p < t1 {
        v = v.wrapping_sub(1);
        if ((u128::from(p) << 64) | u128::from(t0)) >= d {
            v = v.wrapping_sub(1);
        }
    }
    v
}

/// `⟨u1, u0⟩ / d` for `u1 < d`, `d` normalized, `v = reciprocal(d)`: quotient and remainder
/// (Möller–Granlund, algorithm 4).
#[inline]
fn div_2by1(u1: u64, u0: u64, d: u64, v: u64) -> (u64, u64) {
    let q = (u128::from(v) * u128::from(u1)).wrapping_add((u128::from(u1) << 64) | u128::from(u0));
    let (mut q1, q0) = (((q >> 64) as u64).wrapping_add(1), q as u64);
    let mut r = u0.wrapping_sub(q1.wrapping_mul(d));
    if r > q0 {
        q1 = q1.wrapping_sub(1);
        r = r.wrapping_add(d);
    }
    if r >= d {
        q1 = q1.wrapping_add(1);
        r -= d;
    }
    (q1, r)
}

/// `⟨u2, u1, u0⟩ / d` for `⟨u2, u1⟩ < d` (`u21`), `d` normalized, `v = reciprocal_2(d)`:
/// quotient and remainder (Möller–Granlund, algorithm 5).
#[inline]
fn div_3by2(u21: u128, u0: u64, d: u128, v: u64) -> (u64, u128) {
    let (u2, u1) = ((u21 >> 64) as u64, u21 as u64);
    let (d1, d0) = ((d >> 64) as u64, d as u64);
    let q = (u128::from(v) * u128::from(u2)).wrapping_add(u21);
    let (mut q1, q0) = ((q >> 64) as u64, q as u64);
    let r1 = u1.wrapping_sub(q1.wrapping_mul(d1));
    let t = u128::from(d0) * u128::from(q1);
    let mut r = ((u128::from(r1) << 64) | u128::from(u0)).wrapping_sub(t).wrapping_sub(d);
    q1 = q1.wrapping_add(1);
    if (r >> 64) as u64 >= q0 {
        q1 = q1.wrapping_sub(1);
        r = r.wrapping_add(d);
    }
    if r >= d {
        q1 = q1.wrapping_add(1);
        r -= d;
    }
    (q1, r)
}

/// `r −= q·d` over `d.len()` limbs of `r`; returns the limb borrowed out of the top.
#[inline]
fn submul(r: &mut [u64], d: &[u64], q: u64) -> u64 {
    let mut borrow = 0u64;
    for (r, &d) in r.iter_mut().zip(d) {
        // ≤ (β − 1)² + β − 1 < β²; its high limb plus one borrow stays below β.
        let p = u128::from(d) * u128::from(q) + u128::from(borrow);
        let (low, high) = (p as u64, (p >> 64) as u64);
        let (s, b) = r.overflowing_sub(low);
        *r = s;
        borrow = high + u64::from(b);
    }
    borrow
}

/// `r += d` over `d.len()` limbs of `r`; returns the carry out of the top.
#[inline]
fn add_back(r: &mut [u64], d: &[u64]) -> u64 {
    let mut carry = false;
    for (r, &d) in r.iter_mut().zip(d) {
        let (s, c1) = r.overflowing_add(d);
        let (s, c2) = s.overflowing_add(u64::from(carry));
        *r = s;
        carry = c1 | c2;
    }
    u64::from(carry)
}

/// `x << s | y >> (64 − s)` for `s < 64` (the high limb of a two-limb left shift).
#[inline]
const fn shl2(x: u64, y: u64, s: u32) -> u64 {
    (x << s) | ((y >> 1) >> (63 - s))
}

/// The `N + 1` limbs of `u[..N] << s` (`s < 64`).
#[inline(always)]
fn normalize<const N: usize>(u: &[u64; 8], s: u32) -> [u64; 9] {
    let mut un = [0u64; 9];
    un[N] = (u[N - 1] >> 1) >> (63 - s);
    for i in (1..N).rev() {
        un[i] = shl2(u[i], u[i - 1], s);
    }
    un[0] = u[0] << s;
    un
}

/// Quotient and remainder of the `N`-limb `u` (`N ≥ 1`) by the one-limb nonzero `d`.
#[inline(always)]
fn div_by_1<const N: usize>(u: &[u64; 8], d: u64) -> ([u64; 8], u64) {
    let s = d.leading_zeros();
    let d = d << s;
    let v = reciprocal(d);
    let un = normalize::<N>(u, s);
    let mut q = [0u64; 8];
    // un[N] < 2^s ≤ d.
    let mut r = un[N];
    for j in (0..N).rev() {
        (q[j], r) = div_2by1(r, un[j], d, v);
    }
    (q, r >> s)
}

/// Quotient and remainder of the `N`-limb `u` (`N ≥ 2`) by the two-limb `d` (`d ≥ 2^64`):
/// one 3-by-2 step per quotient limb and nothing else.
#[inline(always)]
fn div_by_2<const N: usize>(u: &[u64; 8], d: u128) -> ([u64; 8], u128) {
    let s = ((d >> 64) as u64).leading_zeros();
    let d = d << s;
    let v = reciprocal_2(d);
    let un = normalize::<N>(u, s);
    let mut q = [0u64; 8];
    // Below 2^(64 + s) ≤ 2^127 ≤ d.
    let mut r = join(un[N], un[N - 1]);
    for j in (0..N - 1).rev() {
        (q[j], r) = div_3by2(r, un[j], d, v);
    }
    (q, r >> s)
}

/// Quotient and remainder of the `N`-limb `u` by the `M`-limb `d` (`d[M − 1] ≠ 0`,
/// `3 ≤ M ≤ N ≤ 8`). The quotient has `N − M + 1` limbs.
#[inline(always)]
fn div_knuth<const N: usize, const M: usize>(u: &[u64; 8], d: &[u64; 4]) -> ([u64; 8], [u64; 4]) {
    let s = d[M - 1].leading_zeros();
    // Normalize: the divisor's top bit set; the numerator gains a limb on top.
    let mut dn = [0u64; M];
    for i in (1..M).rev() {
        dn[i] = shl2(d[i], d[i - 1], s);
    }
    dn[0] = d[0] << s;
    let mut un = normalize::<N>(u, s);
    let mut q = [0u64; 8];
    let dd = join(dn[M - 1], dn[M - 2]);
    let v = reciprocal_2(dd);
    // Invariant: the top two limbs of the partial remainder un[j..=j + M] are at most dd
    // (below it at the start: un[N] < 2^s, while dd ≥ 2^127).
    for j in (0..=N - M).rev() {
        let top = join(un[j + M], un[j + M - 1]);
        if top == dd {
            // Possible since M ≥ 3 (for M = 2 the remainder is below dd). The quotient limb is
            // β − 1: the remainder is at least dd·β^(M−1) > (β − 1)·d, and below d·β.
            q[j] = u64::MAX;
            let borrow = submul(&mut un[j..j + M], &dn, u64::MAX);
            un[j + M] = un[j + M].wrapping_sub(borrow);
            continue;
        }
        let (mut qj, r) = div_3by2(top, un[j + M - 2], dd, v);
        // qj is the quotient of the top three limbs: at most one above the true one.
        let borrow = submul(&mut un[j..j + M - 2], &dn[..M - 2], qj);
        let (mut r, negative) = r.overflowing_sub(u128::from(borrow));
        if negative {
            qj = qj.wrapping_sub(1);
            let carry = add_back(&mut un[j..j + M - 2], &dn[..M - 2]);
            r = r.wrapping_add(dd).wrapping_add(u128::from(carry));
        }
        un[j + M - 2] = r as u64;
        un[j + M - 1] = (r >> 64) as u64;
        un[j + M] = 0;
        q[j] = qj;
    }
    let mut rem = [0u64; 4];
    for i in 0..M {
        rem[i] = (un[i] >> s) | ((un[i + 1] << 1) << (63 - s));
    }
    (q, rem)
}

/// [`div_by_1`], [`div_by_2`] or [`div_knuth`] for the `n`-limb `u` by the `m`-limb `d`
/// (`1 ≤ m ≤ 4`, `3 ≤ n ≤ 8`, `m ≤ n`), each instantiated for its sizes.
#[inline(never)]
fn div_sized(u: &[u64; 8], n: usize, d: &[u64; 4], m: usize) -> (U256, U256) {
    macro_rules! by_1 {
        ($n:literal) => {{
            let (q, r) = div_by_1::<$n>(u, d[0]);
            (low_256(&q), U256::from(r))
        }};
    }
    macro_rules! by_2 {
        ($n:literal) => {{
            let (q, r) = div_by_2::<$n>(u, join(d[1], d[0]));
            (low_256(&q), U256::from(r))
        }};
    }
    macro_rules! knuth {
        ($n:literal, $m:literal) => {{
            let (q, r) = div_knuth::<$n, $m>(u, d);
            (low_256(&q), U256::from_limbs(r))
        }};
    }
    match (m, n) {
        (1, 3) => by_1!(3),
        (1, 4) => by_1!(4),
        (1, 5) => by_1!(5),
        (1, 6) => by_1!(6),
        (1, 7) => by_1!(7),
        (1, _) => by_1!(8),
        (2, 3) => by_2!(3),
        (2, 4) => by_2!(4),
        (2, 5) => by_2!(5),
        (2, 6) => by_2!(6),
        (2, 7) => by_2!(7),
        (2, _) => by_2!(8),
        (3, 3) => knuth!(3, 3),
        (3, 4) => knuth!(4, 3),
        (3, 5) => knuth!(5, 3),
        (3, 6) => knuth!(6, 3),
        (3, 7) => knuth!(7, 3),
        (3, _) => knuth!(8, 3),
        (_, 4) => knuth!(4, 4),
        (_, 5) => knuth!(5, 4),
        (_, 6) => knuth!(6, 4),
        (_, 7) => knuth!(7, 4),
        (_, _) => knuth!(8, 4),
    }
}

/// `u < d` for `u` of `n` significant limbs and `d` of `m`.
#[inline]
fn less(u: &[u64], n: usize, d: &[u64], m: usize) -> bool {
    if n != m {
        return n < m;
    }
    for i in (0..n).rev() {
        if u[i] != d[i] {
            return u[i] < d[i];
        }
    }
    false
}

/// The low four limbs of `x` as a `U256`.
#[inline]
fn low_256(x: &[u64]) -> U256 {
    U256::from_limbs([x[0], x[1], x[2], x[3]])
}

/// Quotient (its low 256 bits) and remainder of the `n`-limb `u` by the nonzero `d`.
#[inline]
fn div_limbs(u: &[u64; 8], n: usize, d: &[u64; 4]) -> (U256, U256) {
    let m = significant(d);
    debug_assert!(m > 0);
    if less(u, n, d, m) {
        return (U256::ZERO, low_256(u));
    }
    if n <= 2 {
        // Both fit 128 bits.
        let (x, y) = (join(u[1], u[0]), join(d[1], d[0]));
        let q = x / y;
        return (U256::from(q), U256::from(x - q * y));
    }
    div_sized(u, n, d, m)
}

#[inline]
const fn join(high: u64, low: u64) -> u128 {
    ((high as u128) << 64) | low as u128
}

/// `x / y` and `x % y` for a nonzero `y`.
#[inline]
pub(crate) fn div_rem(x: U256, y: U256) -> (U256, U256) {
    let l = x.as_limbs();
    let u = [l[0], l[1], l[2], l[3], 0, 0, 0, 0];
    div_limbs(&u, significant(l), y.as_limbs())
}

/// The full product of `a` and `b` (significant limbs only; `a.len() + b.len() ≤ 8`).
#[inline]
fn mul_limbs(a: &[u64], b: &[u64]) -> [u64; 8] {
    let mut r = [0u64; 8];
    for (i, &x) in a.iter().enumerate() {
        let mut carry = 0u64;
        for (j, &y) in b.iter().enumerate() {
            // ≤ (β − 1)² + 2(β − 1) = β² − 1.
            let t = u128::from(x) * u128::from(y) + u128::from(r[i + j]) + u128::from(carry);
            r[i + j] = t as u64;
            carry = (t >> 64) as u64;
        }
        r[i + b.len()] = carry;
    }
    r
}

/// `a·b / d` and `a·b % d` with the product in 512 bits, for a nonzero `d`; `None` when the
/// quotient does not fit 256 bits (the high half of the product is not below `d`, which is
/// `FullMath.mulDiv`'s `require(denominator > prod1)`).
#[inline]
pub(crate) fn mul_div_rem(a: U256, b: U256, d: U256) -> Option<(U256, U256)> {
    let (al, bl) = (a.as_limbs(), b.as_limbs());
    let (na, nb) = (significant(al), significant(bl));
    if na == 0 || nb == 0 {
        return Some((U256::ZERO, U256::ZERO));
    }
    let p = mul_limbs(&al[..na], &bl[..nb]);
    let n = significant(&p[..na + nb]);
    let dl = d.as_limbs();
    if n > 4 && !less(&p[4..], significant(&p[4..]), dl, significant(dl)) {
        return None;
    }
    Some(div_limbs(&p, n, dl))
}

/// `⌊liquidity · 2^96 · x / d⌋` and whether it is inexact, for a nonzero `d` and a quotient
/// below `2^256` (the caller's bound).
#[inline]
pub(crate) fn mul_q96_div(liquidity: u128, x: U256, d: U256) -> (U256, bool) {
    let xl = x.as_limbs();
    let nx = significant(xl);
    if liquidity == 0 || nx == 0 {
        return (U256::ZERO, false);
    }
    let p = mul_limbs(&[liquidity as u64, (liquidity >> 64) as u64], &xl[..nx]);
    // Shift the (at most six-limb) product left by 96 bits: one limb and 32 bits.
    let mut u = [0u64; 8];
    u[1] = p[0] << 32;
    for i in 1..7 {
        u[i + 1] = (p[i] << 32) | (p[i - 1] >> 32);
    }
    let n = significant(&u);
    let (q, r) = div_limbs(&u, n, d.as_limbs());
    (q, !r.is_zero())
}

/// `a·b` when it fits 256 bits.
#[inline]
pub(crate) fn checked_mul(a: U256, b: U256) -> Option<U256> {
    let (al, bl) = (a.as_limbs(), b.as_limbs());
    let (na, nb) = (significant(al), significant(bl));
    if na == 0 || nb == 0 {
        return Some(U256::ZERO);
    }
    if na + nb > 5 {
        return None;
    }
    let p = mul_limbs(&al[..na], &bl[..nb]);
    if p[4] != 0 { None } else { Some(low_256(&p)) }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::U512;
    use proptest::prelude::*;

    use super::*;

    /// Operands that exercise the edges: 0, 1, small, powers of two and their neighbours,
    /// all ones, top bit set, limb patterns that make the quotient digit estimate high.
    fn edges() -> Vec<U256> {
        let mut v = vec![U256::ZERO, U256::from(1), U256::from(2), U256::from(3), U256::MAX];
        for bit in [1usize, 63, 64, 65, 96, 127, 128, 129, 160, 191, 192, 193, 224, 255] {
            let p = U256::from(1) << bit;
            v.extend([p, p - U256::from(1), p + U256::from(1)]);
        }
        for limbs in [
            [u64::MAX, 0, 0, 0],
            [0, u64::MAX, 0, 0],
            [u64::MAX, u64::MAX, 0, 0],
            [0, 0, u64::MAX, 0],
            [1, 0, 0, 1 << 63],
            [u64::MAX, u64::MAX, u64::MAX, 1 << 63],
            [0, 0, 1 << 63, 1 << 63],
            [0, 1 << 63, u64::MAX, u64::MAX],
            [u64::MAX, 0, u64::MAX, 0],
            [0, u64::MAX, 0, u64::MAX],
            [0x8000_0000_0000_0001, 0x7fff_ffff_ffff_ffff, 0, 0],
        ] {
            v.push(U256::from_limbs(limbs));
        }
        v.push(U256::MAX / U256::from(3));
        v.push(U256::MAX / U256::from(7));
        v
    }

    fn check_div(x: U256, y: U256) {
        if y.is_zero() {
            return;
        }
        assert_eq!(div_rem(x, y), x.div_rem(y), "{x} / {y}");
    }

    fn check_mul_div(a: U256, b: U256, d: U256) {
        if d.is_zero() {
            return;
        }
        let product = U512::from(a) * U512::from(b);
        let (q, r) = product.div_rem(U512::from(d));
        let want =
            if q > U512::from(U256::MAX) { None } else { Some((U256::from(q), U256::from(r))) };
        assert_eq!(mul_div_rem(a, b, d), want, "{a} · {b} / {d}");
        assert_eq!(checked_mul(a, b), a.checked_mul(b), "{a} · {b}");
    }

    /// `(β² − 1 − d·β) / d`, the reciprocal by a native division.
    fn reference_reciprocal(d: u64) -> u64 {
        (((u128::from(!d) << 64) | u128::from(u64::MAX)) / u128::from(d)) as u64
    }

    #[test]
    fn reciprocal_of_edge_divisors() {
        let mut divisors = vec![1u64 << 63, (1 << 63) + 1, u64::MAX, u64::MAX - 1];
        // Every table entry's ends and middle.
        for d9 in 256u64..512 {
            let base = d9 << 55;
            divisors.extend([
                base,
                base + 1,
                base | ((1 << 55) - 1),
                base | (1 << 54),
                base | 0x5555_5555,
            ]);
        }
        for d in divisors {
            assert_eq!(reciprocal(d), reference_reciprocal(d), "{d:#x}");
        }
    }

    #[test]
    fn edge_operands() {
        let edges = edges();
        for &x in &edges {
            for &y in &edges {
                check_div(x, y);
                for &d in &edges {
                    check_mul_div(x, y, d);
                    if d.is_zero() {
                        continue;
                    }
                    let liquidity = x.as_limbs()[0] as u128 | ((y.as_limbs()[3] as u128) << 64);
                    let wide = (U512::from(liquidity) << 96usize) * U512::from(y);
                    let (q, r) = wide.div_rem(U512::from(d));
                    if q <= U512::from(U256::MAX) {
                        assert_eq!(mul_q96_div(liquidity, y, d), (U256::from(q), !r.is_zero()));
                    }
                }
            }
        }
    }

    #[test]
    fn quotient_digit_of_all_ones() {
        // The partial remainder's top two limbs equal the divisor's (normalized or not):
        // ⟨d2, d1, 0, x⟩ / ⟨d2, d1, d0⟩ leaves ⟨d2, d1, 0⟩ after the first quotient limb.
        for d2 in [1u64 << 63, 1 << 62, 3] {
            let d = U256::from_limbs([5, 7, d2, 0]);
            let u = U256::from_limbs([3, 0, 7, d2]);
            check_div(u, d);
            check_mul_div(u, U256::from(1), d);
            check_mul_div(u, U256::MAX, d);
        }
        for top in [1u64 << 63, u64::MAX] {
            let d = U256::from_limbs([u64::MAX, 0, top, 0]);
            let x = U256::from_limbs([0, 0, 0, top]);
            check_div(x, d);
            check_div(x + U256::from(1), d);
            check_mul_div(x, U256::MAX, d);
            check_mul_div(U256::from_limbs([0, u64::MAX, top, 0]), U256::MAX, d);
        }
    }

    /// Random operands whose sizes are uniform in bits, so that every limb count meets every
    /// other.
    fn sized() -> impl Strategy<Value = U256> {
        (any::<[u64; 4]>(), 0usize..=256).prop_map(|(l, bits)| {
            let x = U256::from_limbs(l);
            if bits == 256 { x } else { x & ((U256::from(1) << bits) - U256::from(1)) }
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        #[test]
        fn div_rem_is_ruints(x in sized(), y in sized()) {
            prop_assume!(!y.is_zero());
            prop_assert_eq!(div_rem(x, y), x.div_rem(y));
        }

        #[test]
        fn mul_div_rem_is_u512s(a in sized(), b in sized(), d in sized()) {
            prop_assume!(!d.is_zero());
            let (q, r) = (U512::from(a) * U512::from(b)).div_rem(U512::from(d));
            let want = (q <= U512::from(U256::MAX)).then(|| (U256::from(q), U256::from(r)));
            prop_assert_eq!(mul_div_rem(a, b, d), want);
            prop_assert_eq!(checked_mul(a, b), a.checked_mul(b));
        }

        #[test]
        fn mul_q96_div_is_u512s(liquidity: u128, x in sized(), d in sized()) {
            prop_assume!(!d.is_zero());
            let wide = (U512::from(liquidity) << 96usize) * U512::from(x);
            let (q, r) = wide.div_rem(U512::from(d));
            if q > U512::from(U256::MAX) {
                return Ok(());
            }
            prop_assert_eq!(mul_q96_div(liquidity, x, d), (U256::from(q), !r.is_zero()));
        }

        #[test]
        fn full_size_operands(a: [u64; 4], b: [u64; 4], d: [u64; 4]) {
            let (a, b, d) = (U256::from_limbs(a), U256::from_limbs(b), U256::from_limbs(d));
            check_div(a, d);
            check_mul_div(a, b, d);
            check_mul_div(a, b, d >> 128usize);
            check_mul_div(a, b, d >> 192usize);
        }

        #[test]
        fn reciprocal_is_the_division(d in (1u64 << 63)..) {
            prop_assert_eq!(reciprocal(d), reference_reciprocal(d));
        }

        #[test]
        fn two_by_one_and_three_by_two_steps(d1 in (1u64 << 63).., d0: u64, u2: u64, u1: u64, u0: u64) {
            // 2-by-1.
            let u2 = u2 % d1;
            let (q, r) = div_2by1(u2, u1, d1, reciprocal(d1));
            let x = join(u2, u1);
            prop_assert_eq!((u128::from(q), u128::from(r)), (x / u128::from(d1), x % u128::from(d1)));
            // 3-by-2.
            let d = join(d1, d0);
            let u21 = join(u2, u1) % d;
            let (q, r) = div_3by2(u21, u0, d, reciprocal_2(d));
            let x = (U256::from(u21) << 64usize) | U256::from(u0);
            let (wq, wr) = x.div_rem(U256::from(d));
            prop_assert_eq!((U256::from(q), U256::from(r)), (wq, wr));
        }
    }
}
