//! Sound outward rounding of exact rationals to dyadic rationals `m·2^k` with at most `bits`
//! significant bits: the enclosure step that lets bounds leave ℚ for a bounded precision without
//! losing soundness.
//!
//! [`round_down`]`(q, bits) ≤ q ≤ `[`round_up`]`(q, bits)`, each the nearest such dyadic in its
//! direction (IEEE 754-2019 §4.3.2 roundTowardNegative / roundTowardPositive with a `bits`-bit
//! significand and an unbounded exponent), and both equal `q` exactly when `q` is representable.
//!
//! [`Dyadic`] also carries exact ring arithmetic (`+`, `−`, `·`, comparison): a sum aligns the
//! exponents and adds the mantissas, a product multiplies the mantissas and adds the exponents, so no
//! gcd is ever taken. Binary32 values convert exactly ([`Dyadic::from_f32`]).
use std::cmp::Ordering;
use std::ops::{Add, Mul, Neg, Sub};

use num_bigint::BigInt;
use num_integer::Integer;
use num_traits::{One, Signed, Zero};

use super::Q;
use super::binary32::F32;

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
            // Normalised, so an odd mantissa over a power of two: already in lowest terms, and the
            // gcd `Q::new` would run is wasted (it was a tenth of a branch-and-bound run).
            debug_assert!(self.mantissa.bit(0), "a normalised dyadic has an odd mantissa");
            Q::new_raw(m, BigInt::one() << (-self.exponent) as usize)
        }
    }
    /// The number of significant bits (0 for zero).
    pub fn significant_bits(&self) -> u64 {
        self.mantissa.magnitude().bits()
    }
    /// 0.
    pub fn zero() -> Dyadic {
        Dyadic { mantissa: BigInt::zero(), exponent: 0 }
    }
    pub fn is_zero(&self) -> bool {
        self.mantissa.is_zero()
    }
    /// `x · 2^e`, exactly.
    pub fn mul_pow2(&self, e: i64) -> Dyadic {
        if self.is_zero() {
            Dyadic::zero()
        } else {
            Dyadic { mantissa: self.mantissa.clone(), exponent: self.exponent + e }
        }
    }
    /// The exact value of a finite binary32 (IEEE 754-2019 §3.4, as [`F32::to_rational`]); `None` for
    /// ±∞ and NaN. Both zeros give 0.
    pub fn from_f32(x: F32) -> Option<Dyadic> {
        if !x.is_finite() {
            return None;
        }
        let bits = x.to_bits();
        let exp = ((bits >> 23) & 0xff) as i64;
        let frac = i64::from(bits & 0x7f_ffff);
        let (m, e) = if exp == 0 { (frac, -149) } else { (frac | 0x80_0000, exp - 150) };
        Some(Dyadic::new(BigInt::from(if bits >> 31 == 1 { -m } else { m }), e))
    }
    /// The dyadic equal to `q`, if `q`'s denominator is a power of two.
    pub fn from_rational(q: &Q) -> Option<Dyadic> {
        let d = q.denom();
        let tz = d.trailing_zeros().unwrap_or(0);
        if d.magnitude().bits() != tz + 1 {
            return None;
        }
        Some(Dyadic::new(q.numer().clone(), -(tz as i64)))
    }
    /// The sign: −1, 0 or 1.
    pub fn signum(&self) -> i32 {
        if self.mantissa.is_negative() { -1 } else { i32::from(self.mantissa.is_positive()) }
    }
}

impl From<i128> for Dyadic {
    fn from(m: i128) -> Dyadic {
        Dyadic::new(BigInt::from(m), 0)
    }
}

/// Both mantissas scaled to the smaller exponent (exact), and that exponent.
fn aligned(a: &Dyadic, b: &Dyadic) -> (BigInt, BigInt, i64) {
    let e = a.exponent.min(b.exponent);
    (&a.mantissa << (a.exponent - e) as usize, &b.mantissa << (b.exponent - e) as usize, e)
}

impl Add for &Dyadic {
    type Output = Dyadic;
    fn add(self, o: &Dyadic) -> Dyadic {
        if self.is_zero() {
            return o.clone();
        }
        if o.is_zero() {
            return self.clone();
        }
        let (a, b, e) = aligned(self, o);
        Dyadic::new(a + b, e)
    }
}

impl Sub for &Dyadic {
    type Output = Dyadic;
    fn sub(self, o: &Dyadic) -> Dyadic {
        self + &-o.clone()
    }
}

impl Neg for Dyadic {
    type Output = Dyadic;
    fn neg(self) -> Dyadic {
        Dyadic { mantissa: -self.mantissa, exponent: self.exponent }
    }
}

impl Mul for &Dyadic {
    type Output = Dyadic;
    fn mul(self, o: &Dyadic) -> Dyadic {
        // Odd × odd is odd, so the product is already normalised unless it is 0.
        if self.is_zero() || o.is_zero() {
            return Dyadic::zero();
        }
        Dyadic { mantissa: &self.mantissa * &o.mantissa, exponent: self.exponent + o.exponent }
    }
}

impl Ord for Dyadic {
    fn cmp(&self, o: &Dyadic) -> Ordering {
        let (a, b) = (self.signum(), o.signum());
        if a != b || a == 0 {
            return a.cmp(&b);
        }
        let (a, b, _) = aligned(self, o);
        a.cmp(&b)
    }
}

impl PartialOrd for Dyadic {
    fn partial_cmp(&self, o: &Dyadic) -> Option<Ordering> {
        Some(self.cmp(o))
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

    fn d(m: i64, e: i64) -> Dyadic {
        Dyadic::new(m.into(), e)
    }

    #[test]
    fn ring_operations_are_exact() {
        // (a, b, a + b, a − b, a · b) as rationals: 3/4 and −5/8, then 6 and 1/1024.
        let cases = [
            (d(3, -2), d(-5, -3), q(1, 8), q(11, 8), q(-15, 32)),
            (d(3, 1), d(1, -10), q(6145, 1024), q(6143, 1024), q(6, 1024)),
            (d(0, 0), d(7, 5), q(224, 1), q(-224, 1), q(0, 1)),
            (d(1, -1), d(1, -1), q(1, 1), q(0, 1), q(1, 4)),
        ];
        for (a, b, sum, diff, prod) in cases {
            assert_eq!((&a + &b).to_rational(), sum, "{a:?} + {b:?}");
            assert_eq!((&a - &b).to_rational(), diff, "{a:?} - {b:?}");
            assert_eq!((&a * &b).to_rational(), prod, "{a:?} * {b:?}");
            assert_eq!((-a.clone()).to_rational(), -a.to_rational());
            assert_eq!(a.cmp(&b), a.to_rational().cmp(&b.to_rational()));
        }
        // Results are normalised, so equal values compare equal field by field.
        assert_eq!(&d(1, -1) + &d(1, -1), d(1, 0));
        assert_eq!(&d(3, 0) - &d(3, 0), Dyadic::zero());
    }

    #[test]
    fn binary32_bits_convert_exactly() {
        // (bits, value): 1, −0.75, 0.1 (= 13421773·2^−27), the smallest subnormal, the largest finite.
        let cases = [
            (0x3f80_0000, q(1, 1)),
            (0xbf40_0000, q(-3, 4)),
            (0x3dcc_cccd, q(13421773, 134217728)),
            (0x8000_0000, q(0, 1)),
        ];
        for (bits, v) in cases {
            assert_eq!(Dyadic::from_f32(F32(bits)).unwrap().to_rational(), v, "{bits:#010x}");
        }
        assert_eq!(Dyadic::from_f32(F32::MIN_SUBNORMAL).unwrap(), d(1, -149));
        assert_eq!(Dyadic::from_f32(F32::MAX).unwrap(), d((1 << 24) - 1, 104));
        assert_eq!(Dyadic::from_f32(F32::INFINITY), None);
        assert_eq!(Dyadic::from_f32(F32::NAN), None);
        assert_eq!(Dyadic::from_rational(&q(-5, 8)), Some(d(-5, -3)));
        assert_eq!(Dyadic::from_rational(&q(1, 3)), None);
        assert_eq!(Dyadic::from_rational(&q(0, 1)), Some(Dyadic::zero()));
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
        fn arithmetic_agrees_with_rationals(a in any::<i64>(), ea in -90i64..90, b in any::<i64>(), eb in -90i64..90) {
            let (x, y) = (d(a, ea), d(b, eb));
            let (qx, qy) = (x.to_rational(), y.to_rational());
            prop_assert_eq!((&x + &y).to_rational(), &qx + &qy);
            prop_assert_eq!((&x - &y).to_rational(), &qx - &qy);
            prop_assert_eq!((&x * &y).to_rational(), &qx * &qy);
            prop_assert_eq!(x.cmp(&y), qx.cmp(&qy));
            prop_assert_eq!(Dyadic::from_rational(&qx), Some(x));
        }

        #[test]
        fn f32_conversion_agrees_with_the_rational_decoding(bits in any::<u32>()) {
            prop_assert_eq!(Dyadic::from_f32(F32(bits)).map(|x| x.to_rational()), F32(bits).to_rational());
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
