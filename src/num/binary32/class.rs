//! Classification of a binary32 by its fields (IEEE 754-2019 §3.4, §5.7.2) and the decode of a
//! finite value into an integer significand and a power of two.
use super::F32;

/// The class of a binary32 value (the sign-free part of §5.7.2 `class`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    Zero,
    Subnormal,
    Normal,
    Infinite,
    /// A NaN; `signaling` when the top fraction bit is clear (§6.2.1).
    Nan {
        signaling: bool,
    },
}

impl Class {
    /// The lowercase name used in CLI output: `zero`, `subnormal`, `normal`, `infinite`, `nan`.
    pub fn name(self) -> &'static str {
        match self {
            Class::Zero => "zero",
            Class::Subnormal => "subnormal",
            Class::Normal => "normal",
            Class::Infinite => "infinite",
            Class::Nan { .. } => "nan",
        }
    }
}

/// Bit mask of the magnitude (everything but the sign).
pub(crate) const MAG: u32 = 0x7fff_ffff;
/// Bit mask of the sign.
pub(crate) const SIGN: u32 = 0x8000_0000;

impl F32 {
    /// The class of the value, from its exponent and fraction fields (§3.4).
    pub const fn class(self) -> Class {
        let exp = (self.0 >> 23) & 0xff;
        let frac = self.0 & 0x7f_ffff;
        match (exp, frac) {
            (0, 0) => Class::Zero,
            (0, _) => Class::Subnormal,
            (0xff, 0) => Class::Infinite,
            (0xff, _) => Class::Nan { signaling: frac & 0x40_0000 == 0 },
            _ => Class::Normal,
        }
    }
    /// Whether the sign bit is set (also for −0 and NaNs), §5.7.2 `isSignMinus`.
    pub const fn is_sign_negative(self) -> bool {
        self.0 & SIGN != 0
    }
    /// Whether the value is a NaN, quiet or signaling.
    pub const fn is_nan(self) -> bool {
        self.0 & MAG > 0x7f80_0000
    }
    /// Whether the value is a signaling NaN (§6.2.1: top fraction bit clear).
    pub const fn is_signaling(self) -> bool {
        self.is_nan() && self.0 & 0x40_0000 == 0
    }
    /// Whether the value is ±∞.
    pub const fn is_infinite(self) -> bool {
        self.0 & MAG == 0x7f80_0000
    }
    /// Whether the value is ±0.
    pub const fn is_zero(self) -> bool {
        self.0 & MAG == 0
    }
    /// Whether the value is subnormal (non-zero with a zero exponent field).
    pub const fn is_subnormal(self) -> bool {
        matches!(self.class(), Class::Subnormal)
    }

    /// The magnitude of a finite value as `m × 2^e` with `m < 2^24` (`m = 0` for zeros).
    #[inline(always)]
    pub(crate) const fn decode(self) -> (u64, i32) {
        let exp = ((self.0 >> 23) & 0xff) as i32;
        let frac = (self.0 & 0x7f_ffff) as u64;
        if exp == 0 { (frac, -149) } else { (frac | 0x80_0000, exp - 150) }
    }
}
