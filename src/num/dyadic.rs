//! Sound outward rounding of exact rationals to dyadic rationals `m·2^k` with at most `bits`
//! significant bits: the enclosure step that lets bounds leave ℚ for a bounded precision without
//! losing soundness.
//!
//! [`round_down`]`(q, bits) ≤ q ≤ `[`round_up`]`(q, bits)`, each the nearest such dyadic in its
//! direction (IEEE 754-2019 §4.3.2 roundTowardNegative / roundTowardPositive with a `bits`-bit
//! significand and an unbounded exponent), and both equal `q` exactly when `q` is representable.
use num_bigint::BigInt;
use num_integer::Integer;
use num_traits::{One, Signed, Zero};

use super::Q;

/// `mantissa · 2^exponent`, normalised: the mantissa is odd, or 0 with exponent 0. So two equal
/// values have equal fields, and `mantissa.bits()` is the number of significant bits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Dyadic {
    pub mantissa: BigInt,
    pub exponent: i64,
}

impl Dyadic {
    /// The normalised dyadic `m · 2^e`.
    pub fn new(m: BigInt, e: i64) -> Dyadic {
        if m.is_zero() {
            return Dyadic { mantissa: m, exponent: 0 };
        }
        let tz = m.trailing_zeros().unwrap_or(0);
        Dyadic { mantissa: m >> tz, exponent: e + tz as i64 }
    }
    /// The exact value.
    pub fn to_rational(&self) -> Q {
        let m = self.mantissa.clone();
        if self.exponent >= 0 {
            Q::from_integer(m << self.exponent as usize)
        } else {
            Q::new(m, BigInt::one() << (-self.exponent) as usize)
        }
    }
    /// The number of significant bits (0 for zero).
    pub fn significant_bits(&self) -> u64 {
        self.mantissa.magnitude().bits()
    }
}

/// Direction of an outward rounding.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Dir {
    Down,
    Up,
}

/// The largest dyadic with at most `bits` significant bits that is `≤ q`.
///
/// # Panics
/// If `bits == 0`.
pub fn round_down(q: &Q, bits: u32) -> Dyadic {
    round(q, bits, Dir::Down)
}

/// The smallest dyadic with at most `bits` significant bits that is `≥ q`.
///
/// # Panics
/// If `bits == 0`.
pub fn round_up(q: &Q, bits: u32) -> Dyadic {
    round(q, bits, Dir::Up)
}

/// `floor(log2(n/d))` for positive integers `n`, `d`.
fn floor_log2(n: &BigInt, d: &BigInt) -> i64 {
    let l = n.bits() as i64 - d.bits() as i64;
    // 2^l ≤ n/d < 2^(l+1) or 2^(l-1) ≤ n/d < 2^l: compare n with d·2^l.
    let below = if l >= 0 { *n < (d << l as usize) } else { (n << (-l) as usize) < *d };
    if below { l - 1 } else { l }
}

fn round(q: &Q, bits: u32, dir: Dir) -> Dyadic {
    assert!(bits > 0, "a dyadic needs at least one significant bit");
    if q.is_zero() {
        return Dyadic::new(BigInt::zero(), 0);
    }
    let negative = q.is_negative();
    let (n, d) = (q.numer().abs(), q.denom().clone());
    // |q| = (n/d) with 2^t ≤ |q| < 2^(t+1); scale so the integer part has exactly `bits` bits.
    let e = floor_log2(&n, &d) - (bits as i64 - 1);
    let (num, den) = if e >= 0 { (n, d << e as usize) } else { (n << (-e) as usize, d) };
    let (floor, rem) = num.div_rem(&den);
    // Rounding |q| away from zero is rounding q up when q > 0 and down when q < 0.
    let away = (dir == Dir::Up) != negative;
    let m = if away && !rem.is_zero() { floor + 1 } else { floor };
    // A carry to 2^bits is 1·2^(e+bits): normalisation strips the trailing zeros.
    Dyadic::new(if negative { -m } else { m }, e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::num::binary32::{F32, Round};
    use proptest::prelude::*;

    fn q(n: i64, d: i64) -> Q {
        Q::new(n.into(), d.into())
    }

    #[test]
    fn table_of_small_cases() {
        // (q, bits, down, up) as rationals.
        let cases = [
            (q(1, 3), 2, q(1, 4), q(3, 8)),    // 0.0101… → 0.01, 0.011
            (q(-1, 3), 2, q(-3, 8), q(-1, 4)), // mirrored
            (q(7, 1), 2, q(6, 1), q(8, 1)),    // 111 → 110, 1000 (carry)
            (q(7, 1), 3, q(7, 1), q(7, 1)),    // exact
            (q(3, 8), 2, q(3, 8), q(3, 8)),    // exact fraction
            (q(1, 1), 1, q(1, 1), q(1, 1)),
            (q(5, 1), 1, q(4, 1), q(8, 1)),
            (q(0, 1), 1, q(0, 1), q(0, 1)),
        ];
        for (x, bits, lo, hi) in cases {
            assert_eq!(round_down(&x, bits).to_rational(), lo, "down {x} {bits}");
            assert_eq!(round_up(&x, bits).to_rational(), hi, "up {x} {bits}");
        }
        assert_eq!(round_up(&q(7, 1), 2), Dyadic { mantissa: 1.into(), exponent: 3 });
    }

    fn rational() -> impl Strategy<Value = Q> {
        (any::<i64>(), 1i64..=i64::MAX, -80i32..80).prop_map(|(n, d, s)| {
            let x = Q::new(n.into(), d.into());
            if s >= 0 {
                x * Q::from_integer(BigInt::one() << s as usize)
            } else {
                x / Q::from_integer(BigInt::one() << (-s) as usize)
            }
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn outward_bounds_with_at_most_bits_bits(x in rational(), bits in 1u32..80) {
            let (lo, hi) = (round_down(&x, bits), round_up(&x, bits));
            let (l, h) = (lo.to_rational(), hi.to_rational());
            prop_assert!(l <= x && x <= h);
            prop_assert!(lo.significant_bits() <= bits as u64 && hi.significant_bits() <= bits as u64);
            // Normalised: odd mantissa or zero.
            prop_assert!(lo.mantissa.is_zero() || lo.mantissa.is_odd());
            // Tight: within one unit in the last place of |x| (ulp = 2^(floor(log2|x|) − bits + 1)).
            if !x.is_zero() {
                let ulp = Dyadic::new(BigInt::one(), floor_log2(&x.numer().abs(), x.denom()) - bits as i64 + 1).to_rational();
                prop_assert!(&h - &l <= ulp);
                prop_assert_eq!(l == h, x == l);
            }
        }

        #[test]
        fn representable_values_are_exact(m in any::<i64>(), e in -200i64..200, bits in 1u32..80) {
            let d = Dyadic::new(m.into(), e);
            let x = d.to_rational();
            if d.significant_bits() <= bits as u64 {
                prop_assert_eq!(round_down(&x, bits), d.clone());
                prop_assert_eq!(round_up(&x, bits), d);
            } else {
                prop_assert!(round_down(&x, bits).to_rational() < x && x < round_up(&x, bits).to_rational());
            }
        }

        /// With 24 bits, in binary32's normal range, the roundings are binary32's directed ones.
        #[test]
        fn agrees_with_binary32_in_the_normal_range(x in rational()) {
            let lim = F32::MAX.to_rational().unwrap();
            let tiny = F32::MIN_NORMAL.to_rational().unwrap();
            let a = x.abs();
            prop_assume!(a >= tiny && a <= lim);
            let down = F32::from_rational_r(&x, Round::TowardNegative).value.to_rational().unwrap();
            let up = F32::from_rational_r(&x, Round::TowardPositive).value.to_rational();
            prop_assert_eq!(round_down(&x, 24).to_rational(), down);
            if let Some(up) = up { prop_assert_eq!(round_up(&x, 24).to_rational(), up); }
        }
    }
}
