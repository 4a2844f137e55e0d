//! Exact rational intervals (Lean: `TorchLean.Bounds.Interval`).
use crate::error::{Error, Result};
use crate::num::Q;
use crate::num::rational::{parse_input, to_canonical};

/// A closed interval `[lo, hi]` over ℚ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interval {
    pub lo: Q,
    pub hi: Q,
}

/// One interval per coordinate.
pub type Box = Vec<Interval>;

impl Interval {
    pub fn new(lo: Q, hi: Q) -> Self {
        Interval { lo, hi }
    }
    pub fn point(x: Q) -> Self {
        Interval { lo: x.clone(), hi: x }
    }
    /// Lean `Interval.scale`: the image of `w·x`; the ends swap when `w < 0`.
    pub fn scale(&self, w: &Q) -> Interval {
        if *w >= Q::from_integer(0.into()) {
            Interval::new(w * &self.lo, w * &self.hi)
        } else {
            Interval::new(w * &self.hi, w * &self.lo)
        }
    }
    /// Lean `Interval.add`.
    pub fn add(&self, other: &Interval) -> Interval {
        Interval::new(&self.lo + &other.lo, &self.hi + &other.hi)
    }
    /// Lean `Interval.subset`: `self ⊆ other`.
    pub fn subset(&self, other: &Interval) -> bool {
        other.lo <= self.lo && self.hi <= other.hi
    }
    pub fn contains(&self, x: &Q) -> bool {
        self.lo <= *x && *x <= self.hi
    }
    /// Canonical text `[lo, hi]` for artifacts.
    pub fn to_strings(&self) -> [String; 2] {
        [to_canonical(&self.lo), to_canonical(&self.hi)]
    }
}

/// Parses a box written `lo:hi,lo:hi,…` with exact numbers (`-1/2:1,0:0.25`), for the CLI.
pub fn parse_box(s: &str) -> Result<Box> {
    s.split(',')
        .enumerate()
        .map(|(i, part)| {
            let (lo, hi) = part.split_once(':').ok_or_else(|| {
                Error::bad_input(format!("box coordinate {i}: expected \"lo:hi\", found \"{part}\""))
            })?;
            let (lo, hi) = (parse_input(lo)?, parse_input(hi)?);
            if lo > hi {
                return Err(Error::bad_input(format!(
                    "box coordinate {i}: expected lo <= hi, found {} > {}",
                    to_canonical(&lo),
                    to_canonical(&hi)
                )));
            }
            Ok(Interval::new(lo, hi))
        })
        .collect()
}

/// `Σ cⱼ·[lⱼ, uⱼ]`: the enclosure of `c·y` over `y ∈ b` (Lean's `ibpDot`).
pub fn dot(c: &[Q], b: &Box) -> Interval {
    let zero = Interval::point(Q::from_integer(0.into()));
    c.iter().zip(b).fold(zero, |acc, (w, i)| acc.add(&i.scale(w)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(n: i64, d: i64) -> Q {
        Q::new(n.into(), d.into())
    }

    #[test]
    fn scale_swaps_ends_for_negative_weights() {
        let i = Interval::new(q(-1, 2), q(1, 1));
        assert_eq!(i.scale(&q(2, 1)), Interval::new(q(-1, 1), q(2, 1)));
        assert_eq!(i.scale(&q(-2, 1)), Interval::new(q(-2, 1), q(1, 1)));
    }

    #[test]
    fn parse_box_reads_exact_numbers_and_rejects_reversed_ends() {
        assert_eq!(parse_box("-1/2:1,0:0.25").unwrap(), vec![Interval::new(q(-1, 2), q(1, 1)), Interval::new(q(0, 1), q(1, 4))]);
        assert_eq!(parse_box("1:0").unwrap_err().to_string(), "box coordinate 0: expected lo <= hi, found 1 > 0");
        assert!(parse_box("1").unwrap_err().to_string().contains("expected \"lo:hi\""));
    }
}
