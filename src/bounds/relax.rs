//! The one ReLU relaxation rule every engine uses (exact, dyadic, binary64, the packed checker's
//! integers, the α search and the certificates' `Relax` data): [`relu_case`] decides which of the
//! three cases a neuron is in, and the lines of each case are defined here once.
//!
//! A ReLU with pre-activation bounds `[l, u]` is
//! - inactive (`u ≤ 0`): `h = 0`; active (`l ≥ 0`): `h = z`;
//! - unstable (`l < 0 < u`): lower line `h ≥ α z` with a chosen `α ∈ [0, 1]` (any such α is sound;
//!   the choice only affects tightness), and upper line `h ≤ s'·(z − u) + u` — slope `s'`, intercept
//!   `u·(1 − s')` — for a slope `0 ≤ s' ≤ s = u / (u − l)`.
//!
//! Why any such `s'` is sound: ReLU is convex, so on `[l, u]` it lies below every line that lies
//! above it at both ends. The line meets ReLU at `z = u` (value `u`), and at `z = l` it is
//! `u − s'(u − l) ≥ u − s(u − l) = 0 = relu(l)` because `s' ≤ s` and `u − l > 0`. With `s' = s` it
//! is the chord. Lean: `Relax.valid` (`lean/TorchLean/Bounds/Relax.lean`) checks exactly these
//! conditions, and `relax_sound` proves them enough.
use super::dense::Activation;
use crate::num::interval::Interval;
use crate::num::{Q, dyadic};

/// Bits of a rounded upper slope `s'` (the dyadic and binary64 engines keep at most this many).
pub const SLOPE_BITS: u32 = 64;

/// Which of the three cases a ReLU with pre-activation bounds `[lo, hi]` is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReluCase {
    /// `hi ≤ 0`: the output is 0.
    Inactive,
    /// `lo ≥ 0`: the output is the input.
    Active,
    /// `lo < 0 < hi`: relaxed by two lines.
    Unstable,
}

/// The case of a ReLU whose input lies in `[lo, hi]`, in any ordered arithmetic (ℚ, binary64,
/// scaled integers): inactive is tested first, so a point box at 0 is inactive.
pub fn relu_case<T: PartialOrd>(lo: &T, hi: &T, zero: &T) -> ReluCase {
    if hi <= zero {
        ReluCase::Inactive
    } else if lo >= zero {
        ReluCase::Active
    } else {
        ReluCase::Unstable
    }
}

/// Lean's `Relax`: `alpha·z ≤ act z ≤ slope·z + icpt` on the neuron's pre-activation box.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relax {
    pub alpha: Q,
    pub slope: Q,
    pub icpt: Q,
}

/// A linear relaxation line `h ≥ slope·z + intercept` (or `≤`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub slope: Q,
    pub intercept: Q,
}

/// The lower and upper lines of one activation over `[l, u]`, given the lower slope `alpha` used
/// when a ReLU is unstable; the upper line is the chord (exact slope `u / (u − l)`).
pub fn relax(act: Activation, bounds: &Interval, alpha: &Q) -> (Line, Line) {
    relax_with_slope(act, bounds, alpha, &upper_slope(bounds, None))
}

/// As [`relax`], with the unstable ReLU's upper line `h ≤ s'·(z − u) + u` of slope `s'`
/// (sound for `0 ≤ s' ≤ u / (u − l)`, see the module doc).
pub fn relax_with_slope(act: Activation, bounds: &Interval, alpha: &Q, s: &Q) -> (Line, Line) {
    let zero = Q::from_integer(0.into());
    let line = |slope: Q, intercept: Q| Line { slope, intercept };
    let r = relax_neuron(act, bounds, alpha, s);
    (line(r.alpha, zero), line(r.slope, r.icpt))
}

/// The upper slope of a neuron with bounds `[l, u]`: for an unstable ReLU the chord slope
/// `s = u/(u − l)`, rounded down to `min(bits, 64)` significant bits when `bits` is given; for a
/// stable one the slope of its exact line (0 inactive, 1 active).
pub fn upper_slope(bounds: &Interval, bits: Option<u32>) -> Q {
    let zero = Q::from_integer(0.into());
    match relu_case(&bounds.lo, &bounds.hi, &zero) {
        ReluCase::Inactive => return zero,
        ReluCase::Active => return Q::from_integer(1.into()),
        ReluCase::Unstable => {}
    }
    let s = &bounds.hi / (&bounds.hi - &bounds.lo);
    match bits {
        Some(bits) => dyadic::round_down(&s, bits.min(SLOPE_BITS)).to_rational(),
        None => s,
    }
}

/// The CROWN-Ada lower slope: 1 when the interval leans positive (`u ≥ −l`), else 0.
pub fn default_alpha(bounds: &Interval) -> Q {
    if bounds.hi >= -bounds.lo.clone() { Q::from_integer(1.into()) } else { Q::from_integer(0.into()) }
}

/// Lean's `Relax` of one neuron with pre-activation bounds `bounds`: exact lines for identity and
/// stable ReLUs; for an unstable ReLU the lower slope `alpha` and the upper line of slope `s`
/// through `(u, u)` (sound for `0 ≤ s ≤ u/(u − l)`, see the module doc).
pub fn relax_neuron(act: Activation, bounds: &Interval, alpha: &Q, s: &Q) -> Relax {
    let zero = Q::from_integer(0.into());
    let one = Q::from_integer(1.into());
    let exact = |slope: &Q| Relax { alpha: slope.clone(), slope: slope.clone(), icpt: zero.clone() };
    match (act, relu_case(&bounds.lo, &bounds.hi, &zero)) {
        (Activation::Identity, _) | (Activation::Relu, ReluCase::Active) => exact(&one),
        (Activation::Relu, ReluCase::Inactive) => exact(&zero),
        (Activation::Relu, ReluCase::Unstable) => Relax { alpha: alpha.clone(), slope: s.clone(), icpt: &bounds.hi * (&one - s) },
    }
}

/// The relaxation of one neuron with CROWN-Ada's lower slope and the exact chord (the dense
/// CROWN certificate's choice: Lean's `Relax.valid` accepts it, it meets ReLU at both ends).
pub fn chord_relax(act: Activation, bounds: &Interval) -> Relax {
    relax_neuron(act, bounds, &default_alpha(bounds), &upper_slope(bounds, None))
}


#[cfg(test)]
mod tests {
    use super::*;

    fn q(n: i64, d: i64) -> Q {
        Q::new(n.into(), d.into())
    }

    #[test]
    fn relu_lines_follow_the_three_cases() {
        let a = q(1, 2);
        let (lo, hi) = relax(Activation::Relu, &Interval::new(q(-1, 1), q(3, 1)), &a);
        assert_eq!(lo, Line { slope: q(1, 2), intercept: q(0, 1) });
        assert_eq!(hi, Line { slope: q(3, 4), intercept: q(3, 4) });
        let (lo, hi) = relax(Activation::Relu, &Interval::new(q(-2, 1), q(-1, 1)), &a);
        assert_eq!((lo.slope, hi.slope), (q(0, 1), q(0, 1)));
        let (lo, hi) = relax(Activation::Relu, &Interval::new(q(1, 1), q(2, 1)), &a);
        assert_eq!((lo.slope, hi.slope), (q(1, 1), q(1, 1)));
    }

    /// The rounded upper line `h ≤ s'·(z − u) + u` lies on or above ReLU over `[l, u]`: at both ends
    /// and at sample points, for bounds whose chord slope is not dyadic.
    #[test]
    fn rounded_upper_line_lies_above_relu() {
        let zero = q(0, 1);
        for (l, u) in [(q(-1, 3), q(2, 7)), (q(-5, 1), q(1, 10)), (q(-1, 1000), q(7, 3)), (q(-1, 1), q(3, 1))] {
            let iv = Interval::new(l.clone(), u.clone());
            let s = &u / (&u - &l);
            for bits in [1, 2, 8, 64, 100] {
                let sp = upper_slope(&iv, Some(bits));
                assert!(crate::num::rational::is_dyadic(&sp) && sp >= zero && sp <= s, "s' = {sp}, s = {s}");
                let (_, hi) = relax_with_slope(Activation::Relu, &iv, &zero, &sp);
                assert_eq!(hi.intercept, &u * (q(1, 1) - &sp));
                for i in 0..=16 {
                    let z = &l + (&u - &l) * q(i, 16);
                    let relu = if z > zero { z.clone() } else { zero.clone() };
                    assert!(&hi.slope * &z + &hi.intercept >= relu, "l={l} u={u} bits={bits} z={z}");
                }
                // Tight at u.
                assert_eq!(&hi.slope * &u + &hi.intercept, u);
            }
            // Without rounding it is the chord through (l, 0) and (u, u).
            assert_eq!(upper_slope(&iv, None), s);
        }
    }

    #[test]
    fn the_three_cases_in_every_arithmetic() {
        assert_eq!(relu_case(&-1.0f64, &0.0, &0.0), ReluCase::Inactive);
        assert_eq!(relu_case(&0.0f64, &0.0, &0.0), ReluCase::Inactive);
        assert_eq!(relu_case(&0i64, &3, &0), ReluCase::Active);
        assert_eq!(relu_case(&q(-1, 3), &q(1, 7), &q(0, 1)), ReluCase::Unstable);
        // The chord through (l, 0) and (u, u): slope u/(u − l), intercept −s·l.
        let r = chord_relax(Activation::Relu, &Interval::new(q(-1, 1), q(3, 1)));
        assert_eq!(r, Relax { alpha: q(1, 1), slope: q(3, 4), icpt: q(3, 4) });
    }
}
