//! Conversions (IEEE 754-2019 §5.4.2, §5.12): from any exact rational, from and to host `f64`, to
//! and from decimal character sequences. Exact rationals are the reference semantics; the
//! correctly rounded encode [`F32::from_rational_r`] is what every other rounding is checked
//! against.
use num_bigint::BigUint;
use num_integer::Integer;
use num_traits::{Signed, ToPrimitive, Zero};

use super::class::SIGN;
use super::round::{overflow, round_pack};
use super::{F32, Q, Round, Status, StatusAnd};
use crate::error::Result;
use crate::num::rational::parse_exact;

impl F32 {
    /// The binary32 nearest to the exact rational `q`, ties to even (§4.3.1).
    pub fn from_rational(q: &Q) -> StatusAnd<F32> {
        Self::from_rational_r(q, Round::NearestTiesToEven)
    }
    /// The exact rational `q` correctly rounded to binary32 in `mode` (§4.3), with subnormals,
    /// overflow to ±∞ or ±MAX as §7.4 prescribes for the mode, and underflow per §7.5 (tininess
    /// after rounding). A rational has no sign of zero: `q = 0` gives +0. A non-zero `q` that
    /// rounds to zero keeps its sign (−0 for tiny negatives).
    pub fn from_rational_r(q: &Q, mode: Round) -> StatusAnd<F32> {
        if q.is_zero() {
            return StatusAnd::ok(F32::ZERO);
        }
        let negative = q.is_negative();
        let n: BigUint = q.numer().magnitude().clone();
        let d: &BigUint = q.denom().magnitude();
        // |q| ∈ [2^(k−1), 2^(k+1)).
        let k = n.bits() as i64 - d.bits() as i64;
        if k > 130 {
            return overflow(negative, mode);
        }
        if k < -200 {
            // |q| < 2^−199: every such value rounds like any other below half the least
            // subnormal, so round a representative (2^62 + δ) × 2^−322 instead.
            return round_pack(negative, 1 << 62, -322, true, mode);
        }
        // Scale so the integer quotient has 62 or 63 bits, keeping the remainder as sticky.
        let s = 62 - k;
        let (num, den) = if s >= 0 { (n << s as usize, d.clone()) } else { (n, d << (-s) as usize) };
        let (quot, rem) = num.div_rem(&den);
        let m = quot.to_u64().expect("quotient below 2^63 by the choice of s");
        round_pack(negative, m, -s as i32, !rem.is_zero(), mode)
    }

    /// The host `f32` with these bits (a reinterpretation, not an IEEE operation).
    pub const fn to_f32(self) -> f32 {
        f32::from_bits(self.0)
    }
    /// The bits of a host `f32` (a reinterpretation, not an IEEE operation).
    pub const fn from_f32(x: f32) -> F32 {
        F32(x.to_bits())
    }

    /// convertFormat(binary64 → binary32) rounded to nearest, ties to even (§5.4.2).
    pub fn from_f64(x: f64) -> StatusAnd<F32> {
        Self::from_f64_r(x, Round::NearestTiesToEven)
    }
    /// convertFormat(binary64 → binary32) rounded in `mode` (§5.4.2), decoded from the f64's bits
    /// (no host float arithmetic). A NaN gives the canonical NaN, invalid if it was signaling.
    pub fn from_f64_r(x: f64, mode: Round) -> StatusAnd<F32> {
        let bits = x.to_bits();
        let negative = bits >> 63 == 1;
        let exp = ((bits >> 52) & 0x7ff) as i32;
        let frac = bits & ((1 << 52) - 1);
        match (exp, frac) {
            (0, 0) => StatusAnd::ok(F32((negative as u32) << 31)),
            (0x7ff, 0) => StatusAnd::ok(F32(F32::INFINITY.0 | (negative as u32) << 31)),
            (0x7ff, _) => {
                let signaling = frac & (1 << 51) == 0;
                (if signaling { Status::INVALID } else { Status::OK }).and(F32::NAN)
            }
            (0, _) => round_pack(negative, frac, -1074, false, mode),
            _ => round_pack(negative, frac | 1 << 52, exp - 1075, false, mode),
        }
    }
    /// convertFormat(binary32 → binary64) (§5.4.2): always exact. A NaN keeps its sign and payload
    /// and comes out quiet; a signaling NaN raises invalid.
    pub fn to_f64(self) -> StatusAnd<f64> {
        let sign = ((self.0 & SIGN) as u64) << 32;
        let frac = (self.0 & 0x7f_ffff) as u64;
        let bits = match self.class() {
            super::Class::Zero => sign,
            super::Class::Infinite => sign | 0x7ff0_0000_0000_0000,
            super::Class::Nan { signaling } => {
                let quiet = sign | 0x7ff8_0000_0000_0000 | frac << 29;
                return (if signaling { Status::INVALID } else { Status::OK }).and(f64::from_bits(quiet));
            }
            _ => {
                let (m, e) = super::arith::normalized(self);
                let exp = (e + 23 + 1023) as u64;
                sign | exp << 52 | (m - (1 << 23)) << 29
            }
        };
        StatusAnd::ok(f64::from_bits(bits))
    }

    /// The exact decimal expansion (§5.12.2 with enough digits to be exact): every binary32 is a
    /// dyadic rational, hence a finite decimal. `"0.100000001490116119384765625"`,
    /// `"16777216"`, `"-0"`, `"inf"`, `"-inf"`, `"nan"`.
    pub fn to_decimal(self) -> String {
        let sign = if self.is_sign_negative() { "-" } else { "" };
        if self.is_nan() {
            return "nan".to_string();
        }
        if self.is_infinite() {
            return format!("{sign}inf");
        }
        let (m, e) = self.decode();
        if m == 0 {
            return format!("{sign}0");
        }
        if e >= 0 {
            return format!("{sign}{}", BigUint::from(m) << e as usize);
        }
        // m / 2^k = m·5^k / 10^k.
        let k = (-e) as usize;
        let digits = (BigUint::from(m) * num_traits::pow(BigUint::from(5u32), k)).to_string();
        let padded = if digits.len() <= k { format!("{}{digits}", "0".repeat(k + 1 - digits.len())) } else { digits };
        let (int, frac) = padded.split_at(padded.len() - k);
        let frac = frac.trim_end_matches('0');
        if frac.is_empty() { format!("{sign}{int}") } else { format!("{sign}{int}.{frac}") }
    }

    /// convertFromDecimalCharacter rounded to nearest, ties to even (§5.12.2).
    pub fn from_decimal(s: &str) -> Result<StatusAnd<F32>> {
        Self::from_decimal_r(s, Round::NearestTiesToEven)
    }
    /// convertFromDecimalCharacter (§5.12.2): reads `s` exactly (anything
    /// [`parse_exact`] accepts: `"0.1"`, `"-1.5e-3"`, `"-3/7"`) and rounds once in `mode`. Also
    /// accepts `inf`, `infinity`, `nan` with an optional sign, case-insensitively (§5.12.1). A
    /// zero keeps the sign written (`"-0"` and `"-0.0e5"` give −0), unlike [`F32::from_rational_r`].
    pub fn from_decimal_r(s: &str, mode: Round) -> Result<StatusAnd<F32>> {
        let t = s.trim();
        let (negative, body) = match t.as_bytes().first() {
            Some(b'-') => (true, &t[1..]),
            Some(b'+') => (false, &t[1..]),
            _ => (false, t),
        };
        let sign = (negative as u32) << 31;
        let lower = body.to_ascii_lowercase();
        if lower == "inf" || lower == "infinity" {
            return Ok(StatusAnd::ok(F32(F32::INFINITY.0 | sign)));
        }
        if lower == "nan" {
            return Ok(StatusAnd::ok(F32::NAN));
        }
        let q = parse_exact(t)?;
        if q.is_zero() {
            return Ok(StatusAnd::ok(F32(sign)));
        }
        Ok(Self::from_rational_r(&q, mode))
    }
}
