//! Sign-bit operations (IEEE 754-2019 §5.5.1), comparisons (§5.11) and
//! minimumNumber/maximumNumber (§9.6).
use std::cmp::Ordering;

use super::class::{MAG, SIGN};
use super::{F32, Status, StatusAnd};

impl F32 {
    /// negate(x) (§5.5.1): flips the sign bit, also of zeros and NaNs; never raises a flag.
    pub const fn neg(self) -> F32 {
        F32(self.0 ^ SIGN)
    }
    /// abs(x) (§5.5.1): clears the sign bit, also of NaNs; never raises a flag.
    pub const fn abs(self) -> F32 {
        F32(self.0 & MAG)
    }
    /// copySign(x, y) (§5.5.1): x's magnitude with y's sign bit.
    pub const fn copy_sign(self, sign_of: F32) -> F32 {
        F32((self.0 & MAG) | (sign_of.0 & SIGN))
    }

    /// The numeric order of two non-NaN values (−0 equals +0).
    fn order(self, rhs: F32) -> Ordering {
        if self.is_zero() && rhs.is_zero() {
            return Ordering::Equal;
        }
        order_key(self).cmp(&order_key(rhs))
    }

    /// The quiet comparison of §5.11 as a partial order: `None` when either operand is a NaN
    /// (unordered); −0 and +0 compare equal. Invalid is raised only for a signaling NaN.
    pub fn ieee_partial_cmp(self, rhs: F32) -> StatusAnd<Option<Ordering>> {
        if self.is_nan() || rhs.is_nan() {
            return quiet_nan_status(self, rhs).and(None);
        }
        StatusAnd::ok(Some(self.order(rhs)))
    }
    /// compareQuietEqual (§5.11): false when either operand is a NaN; −0 = +0. Invalid is raised
    /// only for a signaling NaN.
    pub fn ieee_eq(self, rhs: F32) -> StatusAnd<bool> {
        self.ieee_partial_cmp(rhs).map(|o| o == Some(Ordering::Equal))
    }
    /// compareSignalingLess (§5.11): false when either operand is a NaN, and then invalid is
    /// raised (for quiet NaNs too, as for the `<` of programming languages).
    pub fn ieee_lt(self, rhs: F32) -> StatusAnd<bool> {
        if self.is_nan() || rhs.is_nan() {
            return Status::INVALID.and(false);
        }
        StatusAnd::ok(self.order(rhs) == Ordering::Less)
    }
    /// compareSignalingLessEqual (§5.11): false and invalid when either operand is a NaN.
    pub fn ieee_le(self, rhs: F32) -> StatusAnd<bool> {
        if self.is_nan() || rhs.is_nan() {
            return Status::INVALID.and(false);
        }
        StatusAnd::ok(self.order(rhs) != Ordering::Greater)
    }

    /// minimumNumber(x, y) (§9.6): the smaller operand, with −0 < +0; when exactly one operand
    /// is a NaN the other (a number) is returned, when both are, the canonical NaN. Invalid is
    /// raised for a signaling NaN operand. This is hardware `f32::min` (C `fmin`, 2008 minNum)
    /// except that `f32::min` may return either zero for (−0, +0).
    pub fn min(self, rhs: F32) -> StatusAnd<F32> {
        self.select(rhs, Ordering::Less)
    }
    /// maximumNumber(x, y) (§9.6): the larger operand, with +0 > −0; NaN handling as
    /// [`F32::min`]. Matches hardware `f32::max` up to the sign of a zero result.
    pub fn max(self, rhs: F32) -> StatusAnd<F32> {
        self.select(rhs, Ordering::Greater)
    }

    /// The operand that comes first in direction `want` (Less: minimum, Greater: maximum).
    fn select(self, rhs: F32, want: Ordering) -> StatusAnd<F32> {
        let status = quiet_nan_status(self, rhs);
        let value = match (self.is_nan(), rhs.is_nan()) {
            (true, true) => F32::NAN,
            (true, false) => rhs,
            (false, true) => self,
            // −0 < +0 here, which the total-order key gives.
            (false, false) => {
                if order_key(self).cmp(&order_key(rhs)) == want.reverse() {
                    rhs
                } else {
                    self
                }
            }
        };
        status.and(value)
    }
}

/// Invalid when either operand is a signaling NaN (§7.2), else no flag.
fn quiet_nan_status(a: F32, b: F32) -> Status {
    if a.is_signaling() || b.is_signaling() { Status::INVALID } else { Status::OK }
}

/// A key whose integer order is the numeric order of non-NaN values, with −0 just below +0.
#[inline]
fn order_key(x: F32) -> i64 {
    let mag = (x.0 & MAG) as i64;
    if x.is_sign_negative() { -mag - 1 } else { mag }
}

impl F32 {
    /// nextUp(x) (§5.3.1): the least value greater than x; nextUp(−0) = nextUp(+0) = 2^−149,
    /// nextUp(MAX) = +∞, nextUp(+∞) = +∞, nextUp(−∞) = −MAX. NaN operands give the canonical NaN
    /// (invalid for a signaling NaN). No other flag is raised.
    pub fn next_up(self) -> StatusAnd<F32> {
        if self.is_nan() {
            return quiet_nan_status(self, self).and(F32::NAN);
        }
        let value = if self.is_zero() {
            F32::MIN_SUBNORMAL
        } else if self == F32::INFINITY {
            self
        } else if self.is_sign_negative() {
            F32(self.0 - 1)
        } else {
            F32(self.0 + 1)
        };
        StatusAnd::ok(value)
    }
    /// nextDown(x) = −nextUp(−x) (§5.3.1).
    pub fn next_down(self) -> StatusAnd<F32> {
        self.neg().next_up().map(|x| if x.is_nan() { x } else { x.neg() })
    }
}
