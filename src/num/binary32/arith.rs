//! The arithmetic operations of IEEE 754-2019 §5.4.1: addition, subtraction, multiplication,
//! division and square root, each correctly rounded in any [`Round`] mode. Finite operands go
//! through integer arithmetic on the decoded fields and one call to `round_pack`.
use super::class::{MAG, SIGN};
use super::round::round_pack;
use super::{F32, Round, Status, StatusAnd};

/// The canonical NaN result for NaN operands (§6.2): invalid when any operand is signaling.
#[inline]
pub(crate) fn nan_result(operands: &[F32]) -> StatusAnd<F32> {
    let status = if operands.iter().any(|x| x.is_signaling()) { Status::INVALID } else { Status::OK };
    status.and(F32::NAN)
}

/// The result of an invalid operation (§7.2): the canonical NaN with the invalid flag.
#[inline]
pub(crate) fn invalid() -> StatusAnd<F32> {
    Status::INVALID.and(F32::NAN)
}

/// The sign of an exact zero sum of opposite-signed operands (§6.3): +0, or −0 when rounding
/// toward negative.
#[inline]
pub(crate) fn exact_zero_sum(mode: Round) -> StatusAnd<F32> {
    StatusAnd::ok(if mode == Round::TowardNegative { F32::NEG_ZERO } else { F32::ZERO })
}

/// Whether the value is finite and non-zero (magnitude bits in 1..=0x7f7fffff).
#[inline(always)]
pub(crate) const fn is_finite_nonzero(x: F32) -> bool {
    (x.0 & MAG).wrapping_sub(1) < 0x7f7f_ffff
}

// The operator traits are implemented as well (at the end of this file); the inherent methods
// let callers write `x.add(y)` without importing `std::ops`, so clippy's suggestion is moot.
#[allow(clippy::should_implement_trait)]
impl F32 {
    /// addition(x, y) rounded to nearest, ties to even (§5.4.1).
    pub fn add(self, rhs: F32) -> StatusAnd<F32> {
        self.add_r(rhs, Round::NearestTiesToEven)
    }
    /// addition(x, y) rounded in `mode` (§5.4.1). ∞ + (−∞) is invalid (§7.2); an exact zero sum
    /// follows §6.3 (see the module doc).
    #[inline]
    pub fn add_r(self, rhs: F32, mode: Round) -> StatusAnd<F32> {
        if is_finite_nonzero(self) && is_finite_nonzero(rhs) {
            return add_finite(self, rhs, mode);
        }
        add_special(self, rhs, mode)
    }
    /// subtraction(x, y) rounded to nearest, ties to even (§5.4.1).
    pub fn sub(self, rhs: F32) -> StatusAnd<F32> {
        self.sub_r(rhs, Round::NearestTiesToEven)
    }
    /// subtraction(x, y) = addition(x, −y) rounded in `mode` (§5.4.1).
    #[inline]
    pub fn sub_r(self, rhs: F32, mode: Round) -> StatusAnd<F32> {
        self.add_r(F32(rhs.0 ^ SIGN), mode)
    }
    /// multiplication(x, y) rounded to nearest, ties to even (§5.4.1).
    pub fn mul(self, rhs: F32) -> StatusAnd<F32> {
        self.mul_r(rhs, Round::NearestTiesToEven)
    }
    /// multiplication(x, y) rounded in `mode` (§5.4.1); 0 × ∞ is invalid (§7.2). The sign of a
    /// product is the xor of the operands' signs, also for zeros and infinities (§6.3).
    #[inline]
    pub fn mul_r(self, rhs: F32, mode: Round) -> StatusAnd<F32> {
        let negative = (self.0 ^ rhs.0) & SIGN != 0;
        if is_finite_nonzero(self) && is_finite_nonzero(rhs) {
            let (ma, ea) = self.decode();
            let (mb, eb) = rhs.decode();
            return round_pack(negative, ma * mb, ea + eb, false, mode);
        }
        if self.is_nan() || rhs.is_nan() {
            return nan_result(&[self, rhs]);
        }
        let sign = (negative as u32) << 31;
        match (self.is_infinite() || rhs.is_infinite(), self.is_zero() || rhs.is_zero()) {
            (true, true) => invalid(),
            (true, false) => StatusAnd::ok(F32(F32::INFINITY.0 | sign)),
            _ => StatusAnd::ok(F32(sign)),
        }
    }
    /// division(x, y) rounded to nearest, ties to even (§5.4.1).
    pub fn div(self, rhs: F32) -> StatusAnd<F32> {
        self.div_r(rhs, Round::NearestTiesToEven)
    }
    /// division(x, y) rounded in `mode` (§5.4.1): 0/0 and ∞/∞ are invalid (§7.2); a finite
    /// non-zero x over ±0 gives a correctly signed ∞ and raises division by zero (§7.3).
    #[inline]
    pub fn div_r(self, rhs: F32, mode: Round) -> StatusAnd<F32> {
        let negative = (self.0 ^ rhs.0) & SIGN != 0;
        if is_finite_nonzero(self) && is_finite_nonzero(rhs) {
            let (ma, ea) = normalized(self);
            let (mb, eb) = normalized(rhs);
            // ma, mb ∈ [2^23, 2^24): the quotient (ma·2^40)/mb lies in (2^39, 2^41).
            let num = ma << 40;
            let (q, r) = (num / mb, num % mb);
            return round_pack(negative, q, ea - eb - 40, r != 0, mode);
        }
        if self.is_nan() || rhs.is_nan() {
            return nan_result(&[self, rhs]);
        }
        let sign = (negative as u32) << 31;
        let inf = F32(F32::INFINITY.0 | sign);
        match (self.class_tag(), rhs.class_tag()) {
            (Tag::Inf, Tag::Inf) | (Tag::Zero, Tag::Zero) => invalid(),
            (Tag::Inf, _) => StatusAnd::ok(inf),
            (_, Tag::Zero) => Status::DIV_BY_ZERO.and(inf),
            _ => StatusAnd::ok(F32(sign)), // 0 / y, or x / ∞
        }
    }
    /// squareRoot(x) rounded to nearest, ties to even (§5.4.1).
    pub fn sqrt(self) -> StatusAnd<F32> {
        self.sqrt_r(Round::NearestTiesToEven)
    }
    /// squareRoot(x) rounded in `mode` (§5.4.1): √(−0) = −0, √(+∞) = +∞, and the root of any
    /// other negative value is invalid (§7.2).
    #[inline]
    pub fn sqrt_r(self, mode: Round) -> StatusAnd<F32> {
        if self.is_nan() {
            return nan_result(&[self]);
        }
        if self.is_zero() || self == F32::INFINITY {
            return StatusAnd::ok(self);
        }
        if self.is_sign_negative() {
            return invalid();
        }
        let (m, e) = normalized(self);
        // Make the exponent even and the radicand wide: m·2^s < 2^64 and √ has ≥ 31 bits.
        let s = if (e - 40) % 2 == 0 { 40 } else { 39 };
        let radicand = m << s;
        let root = radicand.isqrt();
        let exact = root * root == radicand;
        round_pack(false, root, (e - s) / 2, !exact, mode)
    }

    fn class_tag(self) -> Tag {
        if self.is_zero() {
            Tag::Zero
        } else if self.is_infinite() {
            Tag::Inf
        } else {
            Tag::Finite
        }
    }
}

/// Coarse class of a non-NaN operand, for the special-case tables.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Tag {
    Zero,
    Finite,
    Inf,
}

/// The magnitude of a finite non-zero value as `m × 2^e` with `m ∈ [2^23, 2^24)`.
#[inline(always)]
pub(crate) fn normalized(x: F32) -> (u64, i32) {
    let (m, e) = x.decode();
    let shift = m.leading_zeros() as i32 - 40;
    (m << shift, e - shift)
}

/// The sum of two finite non-zero values (§5.4.1 addition).
#[inline(always)]
fn add_finite(a: F32, b: F32, mode: Round) -> StatusAnd<F32> {
    // Order by magnitude; for finite values the magnitude bits order like the values.
    let (a, b) = if a.0 & MAG >= b.0 & MAG { (a, b) } else { (b, a) };
    let negative = a.is_sign_negative();
    let same_sign = (a.0 ^ b.0) & SIGN == 0;
    let (ma, ea) = a.decode();
    let (mb, eb) = b.decode();
    let d = (ea - eb) as u32;
    if d <= 39 {
        // Exact: ma·2^d < 2^63, and the difference is non-negative because |a| ≥ |b|.
        let big = ma << d;
        let m = if same_sign { big + mb } else { big - mb };
        if m == 0 {
            return exact_zero_sum(mode);
        }
        return round_pack(negative, m, eb, false, mode);
    }
    // |b| < 2^(eb+24) ≤ 2^(ea−16): align to 2^(ea−39) and keep b's shifted-out bits as sticky.
    // Subtracting a value with a fractional part borrows one unit and keeps the sticky bit.
    let big = ma << 39;
    let s = d - 39;
    let (t, sticky) = if s >= 64 { (0, true) } else { (mb >> s, mb & ((1u64 << s) - 1) != 0) };
    let m = if same_sign { big + t } else { big - t - sticky as u64 };
    round_pack(negative, m, ea - 39, sticky, mode)
}

/// Addition when an operand is zero, infinite or NaN.
#[cold]
fn add_special(a: F32, b: F32, mode: Round) -> StatusAnd<F32> {
    if a.is_nan() || b.is_nan() {
        return nan_result(&[a, b]);
    }
    let opposite = (a.0 ^ b.0) & SIGN != 0;
    match (a.class_tag(), b.class_tag()) {
        (Tag::Inf, Tag::Inf) if opposite => invalid(),
        (Tag::Inf, _) => StatusAnd::ok(a),
        (_, Tag::Inf) => StatusAnd::ok(b),
        (Tag::Zero, Tag::Zero) if opposite => exact_zero_sum(mode),
        (Tag::Zero, _) => StatusAnd::ok(b),
        _ => StatusAnd::ok(a), // b is a zero: x + 0 = x exactly
    }
}

/// `x + y` is [`F32::add`]: round to nearest, ties to even, flags kept (as in rustc_apfloat).
impl std::ops::Add for F32 {
    type Output = StatusAnd<F32>;
    fn add(self, rhs: F32) -> StatusAnd<F32> {
        self.add_r(rhs, Round::NearestTiesToEven)
    }
}

/// `x - y` is [`F32::sub`].
impl std::ops::Sub for F32 {
    type Output = StatusAnd<F32>;
    fn sub(self, rhs: F32) -> StatusAnd<F32> {
        self.sub_r(rhs, Round::NearestTiesToEven)
    }
}

/// `x * y` is [`F32::mul`].
impl std::ops::Mul for F32 {
    type Output = StatusAnd<F32>;
    fn mul(self, rhs: F32) -> StatusAnd<F32> {
        self.mul_r(rhs, Round::NearestTiesToEven)
    }
}

/// `x / y` is [`F32::div`].
impl std::ops::Div for F32 {
    type Output = StatusAnd<F32>;
    fn div(self, rhs: F32) -> StatusAnd<F32> {
        self.div_r(rhs, Round::NearestTiesToEven)
    }
}

/// `-x` is [`F32::neg`]: the sign bit flipped, no flag (§5.5.1).
impl std::ops::Neg for F32 {
    type Output = F32;
    fn neg(self) -> F32 {
        F32(self.0 ^ SIGN)
    }
}
