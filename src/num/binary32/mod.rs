//! IEEE 754 binary32, represented by its 32 bits. The exact decode to a rational is the bridge
//! between payload bits and every exact computation.
//!
//! Beside the decode, this module is a bit-exact software implementation of binary32 arithmetic
//! (IEEE 754-2019 §5.4, §5.5, §5.11, §9.6): integer arithmetic on the bit fields, no host floats
//! (host `f32`/`f64` appear only in the conversions to and from them), no `unsafe`, no global state.
//!
//! Conventions, shared by every operation:
//! - **Value and flags.** Each operation returns a [`StatusAnd`]: the result and the exception
//!   flags ([`Status`]) that default exception handling raises (§7). The plain name rounds to
//!   nearest, ties to even; the `_r` variant takes a [`Round`].
//! - **NaN.** Every NaN produced by an arithmetic or conversion operation is the canonical quiet
//!   NaN [`F32::NAN`] = `0x7fc00000` (§6.2 leaves the payload to the implementation). Invalid is
//!   raised for the invalid operations of §7.2 and for any signaling NaN operand (a NaN whose
//!   fraction's top bit is clear). `neg`, `abs` and `copy_sign` act on the sign bit only (§5.5.1),
//!   so they keep a NaN's bits.
//! - **Zero signs.** An exact zero sum or difference of operands with opposite signs is +0, except
//!   −0 in [`Round::TowardNegative`] (§6.3); products and quotients take the xor of the signs.
//! - **Overflow.** ±∞ or ±MAX as §7.4 assigns to the mode; the overflow flag is raised whenever
//!   the result rounded with unbounded exponent exceeds MAX, also when ±MAX is delivered.
//! - **Underflow.** Tininess is detected after rounding (§7.5), as on x86; see
//!   `round::round_pack`. The flag is raised only with inexact.
//! - **min/max** are minimumNumber/maximumNumber (§9.6): a NaN operand yields to a number, and
//!   −0 < +0.
//!
//! Every finite result is formed once, by `round::round_pack`, from an exact integer
//! significand, a power of two and a sticky bit; [`F32::from_rational_r`] feeds it from a
//! `BigRational`, the operations from u64/u128 arithmetic on the fields. The code is specific to
//! binary32 (rather than generic over formats as rustc_apfloat is): its fast paths rely on a 24-bit
//! significand fitting twice into a u64 and thrice into a u128.
mod arith;
mod class;
mod compare;
mod convert;
mod fma;
mod round;
mod status;
#[cfg(test)]
mod tests;

use num_bigint::BigInt;
use num_traits::One;

use super::Q;

pub use class::Class;
pub use status::{Round, Status, StatusAnd};

/// A binary32 value: exactly its bit pattern (IEEE 754-2019 §3.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct F32(pub u32);

impl F32 {
    /// +0.
    pub const ZERO: F32 = F32(0x0000_0000);
    /// −0.
    pub const NEG_ZERO: F32 = F32(0x8000_0000);
    /// 1.
    pub const ONE: F32 = F32(0x3f80_0000);
    /// +∞.
    pub const INFINITY: F32 = F32(0x7f80_0000);
    /// −∞.
    pub const NEG_INFINITY: F32 = F32(0xff80_0000);
    /// The canonical quiet NaN every NaN-producing operation returns.
    pub const NAN: F32 = F32(0x7fc0_0000);
    /// The largest finite value, (2 − 2^−23) × 2^127.
    pub const MAX: F32 = F32(0x7f7f_ffff);
    /// The smallest positive normal value, 2^−126.
    pub const MIN_NORMAL: F32 = F32(0x0080_0000);
    /// The smallest positive subnormal value, 2^−149.
    pub const MIN_SUBNORMAL: F32 = F32(0x0000_0001);

    pub const fn from_bits(bits: u32) -> Self {
        F32(bits)
    }
    pub const fn to_bits(self) -> u32 {
        self.0
    }
    /// Whether the value is finite (not ±∞, not NaN): exponent field below 255.
    pub const fn is_finite(self) -> bool {
        (self.0 >> 23) & 0xff != 0xff
    }
    /// The exact rational value of a finite binary32 (§3.4: (−1)^s × 2^(e−127) × 1.f, subnormals
    /// 2^(−126) × 0.f); `None` for ±∞ and NaN. Signed zeros both decode to 0.
    pub fn to_rational(self) -> Option<Q> {
        if !self.is_finite() {
            return None;
        }
        let sign = self.0 >> 31;
        let exp = ((self.0 >> 23) & 0xff) as i32;
        let frac = self.0 & 0x7f_ffff;
        let (mant, e2) = if exp == 0 { (frac, -149) } else { (frac | 0x80_0000, exp - 150) };
        let m = BigInt::from(mant);
        let m = if sign == 1 { -m } else { m };
        Some(if e2 >= 0 { Q::from_integer(m << e2 as usize) } else { Q::new(m, BigInt::one() << (-e2) as usize) })
    }
    /// The canonical artifact text of the bits: `0x` and 8 lowercase hex digits.
    pub fn to_hex(self) -> String {
        format!("0x{:08x}", self.0)
    }
    /// Parses exactly `0x` + 8 lowercase hex digits (the artifact form).
    pub fn parse_hex(s: &str) -> Option<F32> {
        let h = s.strip_prefix("0x")?;
        if h.len() != 8 || !h.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            return None;
        }
        u32::from_str_radix(h, 16).ok().map(F32)
    }
}
