//! fusedMultiplyAdd (IEEE 754-2019 §5.4.1): x × y + z with a single rounding. The exact product
//! (at most 48 bits) and the addend are summed in a 128-bit integer.
use super::arith::{exact_zero_sum, invalid, is_finite_nonzero, nan_result};
use super::class::SIGN;
use super::round::round_pack;
use super::{F32, Round, StatusAnd};

/// The bit index where both summands' leading bits are placed (one spare bit above for a carry).
const LEAD: u32 = 125;

impl F32 {
    /// fusedMultiplyAdd(x, y, z) = x × y + z rounded once, to nearest, ties to even (§5.4.1).
    pub fn fma(self, y: F32, z: F32) -> StatusAnd<F32> {
        self.fma_r(y, z, Round::NearestTiesToEven)
    }
    /// fusedMultiplyAdd(x, y, z) = x × y + z rounded once in `mode` (§5.4.1).
    ///
    /// Invalid (§7.2): 0 × ∞ — also when z is a quiet NaN, where §7.2 lets the implementation
    /// choose (we signal, as LLVM APFloat does) — and ∞ + (−∞) between the exact product and z.
    /// An exact zero result of opposite-signed summands is +0, or −0 toward negative (§6.3).
    pub fn fma_r(self, y: F32, z: F32, mode: Round) -> StatusAnd<F32> {
        let x = self;
        let negative = (x.0 ^ y.0) & SIGN != 0;
        if !(is_finite_nonzero(x) && is_finite_nonzero(y) && z.is_finite()) {
            return fma_special(x, y, z, mode);
        }
        let (mx, ex) = x.decode();
        let (my, ey) = y.decode();
        let (p, ep) = ((mx * my) as u128, ex + ey);
        if z.is_zero() {
            // x·y is non-zero, so the sum is the product rounded once.
            return round_pack(negative, p as u64, ep, false, mode);
        }
        let (mz, ez) = z.decode();
        let (p, ep) = lead(p, ep);
        let (c, ec) = lead(mz as u128, ez);
        let z_negative = z.is_sign_negative();
        // Both have their leading bit at LEAD, so the larger exponent is the larger magnitude.
        let ((big, eb, big_neg), (small, es)) =
            if (ep, p) >= (ec, c) { ((p, ep, negative), (c, ec)) } else { ((c, ec, z_negative), (p, ep)) };
        let d = (eb - es) as u32;
        let (t, sticky) = shr_sticky(small, d);
        let sum = if negative == z_negative { big + t } else { big - t - sticky as u128 };
        if sum == 0 {
            return exact_zero_sum(mode);
        }
        // Narrow to 63 bits for the rounder, folding the dropped bits into the sticky bit (the
        // sum keeps ≥ 63 significant bits whenever `sticky` is set, as it then exceeds 2^123).
        let width = 128 - sum.leading_zeros();
        let (m, e, sticky) = if width > 63 {
            let (m, dropped) = shr_sticky(sum, width - 63);
            (m as u64, eb + (width - 63) as i32, sticky || dropped)
        } else {
            (sum as u64, eb, sticky)
        };
        round_pack(big_neg, m, e, sticky, mode)
    }
}

/// Shifts a non-zero `m × 2^e` so the leading bit of `m` sits at bit `LEAD`.
#[inline(always)]
fn lead(m: u128, e: i32) -> (u128, i32) {
    let s = m.leading_zeros() - (127 - LEAD);
    (m << s, e - s as i32)
}

/// `x >> s` and whether any shifted-out bit was set.
#[inline(always)]
fn shr_sticky(x: u128, s: u32) -> (u128, bool) {
    if s == 0 {
        (x, false)
    } else if s >= 128 {
        (0, x != 0)
    } else {
        (x >> s, x & ((1u128 << s) - 1) != 0)
    }
}

/// fusedMultiplyAdd when x or y is zero, infinite or NaN, or z is infinite or NaN.
#[cold]
fn fma_special(x: F32, y: F32, z: F32, mode: Round) -> StatusAnd<F32> {
    let zero_times_inf = (x.is_zero() && y.is_infinite()) || (x.is_infinite() && y.is_zero());
    if zero_times_inf {
        return invalid();
    }
    if x.is_nan() || y.is_nan() || z.is_nan() {
        return nan_result(&[x, y, z]);
    }
    let negative = (x.0 ^ y.0) & SIGN != 0;
    let sign = (negative as u32) << 31;
    if x.is_infinite() || y.is_infinite() {
        // The product is ±∞ exactly.
        if z.is_infinite() && z.is_sign_negative() != negative {
            return invalid();
        }
        return StatusAnd::ok(F32(F32::INFINITY.0 | sign));
    }
    if z.is_infinite() {
        return StatusAnd::ok(z);
    }
    if x.is_zero() || y.is_zero() {
        // The product is an exact zero with sign `negative`.
        if z.is_zero() {
            return if z.is_sign_negative() == negative { StatusAnd::ok(z) } else { exact_zero_sum(mode) };
        }
        return StatusAnd::ok(z);
    }
    unreachable!("fma_special called with finite non-zero x, y and finite z")
}
