//! The one rounding routine (IEEE 754-2019 §4.3, §7.4, §7.5): every operation computes its exact
//! result as `m × 2^e` (possibly with a sticky bit) and hands it here.
use super::{F32, Round, Status, StatusAnd};

/// Significand precision p of binary32 (§3.6), hidden bit included.
pub(crate) const PREC: u32 = 24;
/// Exponent of the least significant bit of the smallest subnormal: 2^(emin − p + 1) = 2^−149.
pub(crate) const QMIN: i32 = -149;
/// emin = −126 (§3.6): values below 2^emin in magnitude are tiny.
pub(crate) const EMIN: i32 = -126;
/// emax = 127 (§3.6).
pub(crate) const EMAX: i32 = 127;

/// How a discarded tail compares with half a unit in the last kept place.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Tail {
    /// The most significant discarded bit (one half of the kept unit).
    round: bool,
    /// Whether anything below the round bit is non-zero.
    sticky: bool,
}

impl Tail {
    fn is_exact(self) -> bool {
        !self.round && !self.sticky
    }
}

/// Shifts `m` right by `s` bits, returning the kept part and the discarded tail (`sticky` is or-ed
/// into the tail's sticky bit: it stands for a non-zero remainder below bit 0 of `m`).
#[inline(always)]
fn shift_tail(m: u64, s: u32, sticky: bool) -> (u64, Tail) {
    match s {
        0 => (m, Tail { round: false, sticky }),
        1..=63 => {
            let low = m & ((1u64 << (s - 1)) - 1);
            (m >> s, Tail { round: (m >> (s - 1)) & 1 == 1, sticky: sticky || low != 0 })
        }
        64 => (0, Tail { round: m >> 63 == 1, sticky: sticky || m << 1 != 0 }),
        _ => (0, Tail { round: false, sticky: sticky || m != 0 }),
    }
}

/// Whether the truncated magnitude `t` must be incremented (the rounding decision of §4.3).
#[inline(always)]
fn round_up(t: u64, tail: Tail, negative: bool, mode: Round) -> bool {
    match mode {
        Round::NearestTiesToEven => tail.round && (tail.sticky || t & 1 == 1),
        Round::TowardZero => false,
        Round::TowardPositive => !negative && !tail.is_exact(),
        Round::TowardNegative => negative && !tail.is_exact(),
    }
}

/// The default result of an overflow (§7.4): ±∞ when the mode rounds away from zero in the
/// result's direction (nearest, and toward the result's own infinity), else ±MAX.
pub(crate) fn overflow(negative: bool, mode: Round) -> StatusAnd<F32> {
    let to_inf = match mode {
        Round::NearestTiesToEven => true,
        Round::TowardZero => false,
        Round::TowardPositive => !negative,
        Round::TowardNegative => negative,
    };
    let mag = if to_inf { F32::INFINITY.0 } else { F32::MAX.0 };
    (Status::OVERFLOW | Status::INEXACT).and(F32(mag | (negative as u32) << 31))
}

/// Rounds the non-zero value `(−1)^negative × (m + δ) × 2^e` to binary32 in `mode`, where δ = 0
/// when `sticky` is false and 0 < δ < 1 when it is true.
///
/// Precondition: `m != 0`, and when `sticky` is set `m` has at least `PREC + 2` significant bits,
/// so the round bit is a bit of `m` and δ only ever feeds the sticky bit.
///
/// Flags: inexact when the result differs from the exact value (§7.6); overflow per §7.4 (decided
/// on the result rounded with unbounded exponent range); underflow per §7.5 with tininess detected
/// **after rounding** (the value rounded to 24 bits with unbounded exponent range lies strictly
/// between ±2^−126), raised only when the result is also inexact. This is the x86 SSE choice; LLVM
/// APFloat instead calls a result tiny when the *delivered* result is subnormal or zero, which
/// differs from ours only when an inexact result rounds to ±2^−126.
#[inline]
pub(crate) fn round_pack(negative: bool, m: u64, e: i32, sticky: bool, mode: Round) -> StatusAnd<F32> {
    debug_assert!(m != 0);
    debug_assert!(!sticky || 64 - m.leading_zeros() >= PREC + 2);
    let width = 64 - m.leading_zeros() as i32;
    // Exponent of the value's leading bit: 2^top ≤ |x| < 2^(top+1).
    let top = e + width - 1;
    if top > EMAX {
        return overflow(negative, mode);
    }
    // Exponent of the last kept bit: p bits below `top`, but never below the subnormal quantum.
    let q = (top - (PREC as i32 - 1)).max(QMIN);
    let sign = (negative as u32) << 31;
    if q <= e {
        // Exact: the value fits in 24 bits at quantum q (only possible without sticky).
        debug_assert!(!sticky);
        let r = m << (e - q);
        return StatusAnd::ok(F32(sign + (((q - QMIN) as u32) << 23) + r as u32));
    }
    let (t, tail) = shift_tail(m, (q - e) as u32, sticky);
    let mut r = t + round_up(t, tail, negative, mode) as u64;
    let mut q = q;
    if r == 1 << PREC {
        r >>= 1;
        q += 1;
        if q + PREC as i32 - 1 > EMAX {
            return overflow(negative, mode);
        }
    }
    if tail.is_exact() {
        return StatusAnd::ok(F32(sign + (((q - QMIN) as u32) << 23) + r as u32));
    }
    let mut status = Status::INEXACT;
    if top < EMIN && is_tiny_after_rounding(negative, m, e, sticky, top, mode) {
        status |= Status::UNDERFLOW;
    }
    status.and(F32(sign + (((q - QMIN) as u32) << 23) + r as u32))
}

/// Tininess after rounding (§7.5): rounds to 24 bits as if the exponent range were unbounded and
/// asks whether the result is still below 2^emin. Only called for inexact values below 2^emin.
#[cold]
fn is_tiny_after_rounding(negative: bool, m: u64, e: i32, sticky: bool, top: i32, mode: Round) -> bool {
    if top < EMIN - 1 {
        return true; // even rounding up by one unit stays below 2^(top+1) ≤ 2^(emin−1)
    }
    // top = emin − 1: the unbounded-range quantum is 2^(top − 23) = 2^−150.
    let s = top - (PREC as i32 - 1) - e;
    let (t, tail) =
        if s > 0 { shift_tail(m, s as u32, sticky) } else { (m << -s, Tail { round: false, sticky: false }) };
    let r = t + round_up(t, tail, negative, mode) as u64;
    r < 1 << PREC
}
