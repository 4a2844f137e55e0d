//! Rounding-direction attributes and exception flags: the two things every operation takes and
//! gives besides its value (IEEE 754-2019 §4.3 and §7).
use std::fmt;
use std::ops::{BitOr, BitOrAssign};

/// A rounding-direction attribute (IEEE 754-2019 §4.3.1 and §4.3.2). `roundTiesToAway` is not
/// offered: torchlean never needs it and hardware binary32 does not default to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Round {
    /// roundTiesToEven (§4.3.1), the default mode; the plain-named operations use it.
    NearestTiesToEven,
    /// roundTowardZero (§4.3.2): truncation.
    TowardZero,
    /// roundTowardPositive (§4.3.2): the result is never below the exact value.
    TowardPositive,
    /// roundTowardNegative (§4.3.2): the result is never above the exact value.
    TowardNegative,
}

impl Round {
    /// All four modes, in declaration order (for tests and tables).
    pub const ALL: [Round; 4] =
        [Round::NearestTiesToEven, Round::TowardZero, Round::TowardPositive, Round::TowardNegative];
}

/// The five IEEE exception flags (§7.2–§7.6) as a bit set. Exceptions are not errors: under default
/// exception handling every operation delivers a value and raises zero or more of these flags.
/// Overflow and underflow are always raised together with inexact (§7.4, §7.5).
#[must_use]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Status(u8);

impl Status {
    /// No flag raised: the result is exact and no exception occurred.
    pub const OK: Status = Status(0);
    /// Invalid operation (§7.2): there is no useful result (0/0, ∞−∞, √−1, signaling NaN input).
    pub const INVALID: Status = Status(1);
    /// Division by zero (§7.3): an exact infinite result from finite operands (x/0 with x ≠ 0).
    pub const DIV_BY_ZERO: Status = Status(2);
    /// Overflow (§7.4): the rounded result with unbounded exponent exceeds the largest finite value.
    pub const OVERFLOW: Status = Status(4);
    /// Underflow (§7.5): the result is tiny (detected after rounding) and inexact.
    pub const UNDERFLOW: Status = Status(8);
    /// Inexact (§7.6): the delivered result differs from the exact result.
    pub const INEXACT: Status = Status(16);

    /// The raw flag bits (invalid = 1, div_by_zero = 2, overflow = 4, underflow = 8, inexact = 16).
    pub const fn bits(self) -> u8 {
        self.0
    }
    /// Whether every flag of `other` is raised in `self`.
    pub const fn contains(self, other: Status) -> bool {
        self.0 & other.0 == other.0
    }
    /// Whether no flag is raised.
    pub const fn is_ok(self) -> bool {
        self.0 == 0
    }
    /// The union of both flag sets.
    pub const fn union(self, other: Status) -> Status {
        Status(self.0 | other.0)
    }
    /// `self` without the flags of `other`.
    pub const fn without(self, other: Status) -> Status {
        Status(self.0 & !other.0)
    }
    /// Pairs these flags with a value.
    pub const fn and<T>(self, value: T) -> StatusAnd<T> {
        StatusAnd { value, status: self }
    }
    /// The raised flags' names in the order of §7.2–§7.6: `invalid`, `div-by-zero`, `overflow`,
    /// `underflow`, `inexact`.
    pub fn names(self) -> Vec<&'static str> {
        const NAMES: [(Status, &str); 5] = [
            (Status::INVALID, "invalid"),
            (Status::DIV_BY_ZERO, "div-by-zero"),
            (Status::OVERFLOW, "overflow"),
            (Status::UNDERFLOW, "underflow"),
            (Status::INEXACT, "inexact"),
        ];
        NAMES.iter().filter(|(f, _)| self.contains(*f)).map(|(_, n)| *n).collect()
    }
}

impl BitOr for Status {
    type Output = Status;
    fn bitor(self, rhs: Status) -> Status {
        self.union(rhs)
    }
}

impl BitOrAssign for Status {
    fn bitor_assign(&mut self, rhs: Status) {
        *self = self.union(rhs);
    }
}

/// Space-separated flag names (`"underflow inexact"`), or `"none"`.
impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_ok() { f.write_str("none") } else { f.write_str(&self.names().join(" ")) }
    }
}

/// A result together with the exception flags its computation raised (default exception
/// handling, IEEE 754-2019 §7.1). Ignoring it is a bug, hence `#[must_use]`.
#[must_use]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StatusAnd<T> {
    pub value: T,
    pub status: Status,
}

impl<T> StatusAnd<T> {
    /// An exact result: the value with no flag raised.
    pub const fn ok(value: T) -> Self {
        StatusAnd { value, status: Status::OK }
    }
    /// Applies `f` to the value, keeping the flags.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> StatusAnd<U> {
        StatusAnd { value: f(self.value), status: self.status }
    }
}
