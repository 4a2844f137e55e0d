//! L∞ robustness and output-box properties, and the violation DNF each one denotes.
//!
//! `verify` decides every property as "no input of the box satisfies a violation disjunct"; these
//! two kinds are stated in their own terms (their artifacts keep the user's claim) and lowered to
//! that form by the functions here, so the Lean module states exactly the derived disjuncts.

use super::{LinearConstraint, Vnnlib};
use crate::num::interval::{Box, Interval};
use crate::error::{Error, Result};
use crate::limits::MAX_VIOLATION_COEFFS;
use crate::num::Q;
use crate::num::rational::to_canonical;

/// Every input within L∞ distance `epsilon` of `center` is classified as `label`: the label's
/// output is strictly larger than every other of the `outputs` outputs.
#[derive(Debug, Clone, PartialEq)]
pub struct LinfRobust {
    pub center: Vec<Q>,
    pub epsilon: Q,
    pub label: usize,
    pub outputs: usize,
}

/// The most outputs whose violation stays within [`MAX_VIOLATION_COEFFS`].
fn max_linf_outputs() -> usize {
    (2..).take_while(|n: &usize| n * (n - 1) <= MAX_VIOLATION_COEFFS).last().unwrap_or(2)
}

impl LinfRobust {
    /// Checks the claim is well formed (the error names the key, expected and found values).
    pub fn new(center: Vec<Q>, epsilon: Q, label: usize, outputs: usize) -> Result<LinfRobust> {
        if center.is_empty() {
            return Err(Error::bad_input("center: expected at least one coordinate, found none"));
        }
        if epsilon < Q::from_integer(0.into()) {
            return Err(Error::bad_input(format!("epsilon: expected a number ≥ 0, found {}", to_canonical(&epsilon))));
        }
        if outputs < 2 {
            return Err(Error::bad_input(format!("outputs: expected at least 2 (a label and a rival), found {outputs}")));
        }
        if label >= outputs {
            return Err(Error::bad_input(format!("label: expected an output index below {outputs}, found {label}")));
        }
        // The violation has a disjunct of `outputs` coefficients per rival: bound it before anyone
        // expands it (and before the network's width can be compared).
        if outputs.checked_mul(outputs - 1).is_none_or(|n| n > MAX_VIOLATION_COEFFS) {
            return Err(Error::bad_input(format!(
                "outputs: expected at most {} (the violation's {MAX_VIOLATION_COEFFS} coefficients), found {outputs}",
                max_linf_outputs()
            )));
        }
        Ok(LinfRobust { center, epsilon, label, outputs })
    }

    /// The ball as a box: `[c − ε, c + ε]` per coordinate.
    pub fn input_box(&self) -> Box {
        self.center.iter().map(|c| Interval::new(c - &self.epsilon, c + &self.epsilon)).collect()
    }

    /// The violation: for each rival `j`, `y_label − y_j ≤ 0` (the label does not win strictly).
    pub fn violation(&self) -> Vnnlib {
        let zero = Q::from_integer(0.into());
        let one = Q::from_integer(1.into());
        let violation = (0..self.outputs)
            .filter(|&j| j != self.label)
            .map(|j| {
                let mut coeffs = vec![zero.clone(); self.outputs];
                coeffs[self.label] = one.clone();
                coeffs[j] = -one.clone();
                vec![LinearConstraint { coeffs, rhs: zero.clone(), strict: false }]
            })
            .collect();
        Vnnlib::closed(self.input_box(), violation, self.outputs)
    }
}

/// The violation of "every input of `input_box` maps into `output_box`": for each output `j`, one
/// disjunct `y_j < lo_j` and one `−y_j < −hi_j`.
pub fn output_box_violation(input_box: &Box, output_box: &Box) -> Vnnlib {
    let zero = Q::from_integer(0.into());
    let n = output_box.len();
    let mut violation = Vec::with_capacity(2 * n);
    for (j, iv) in output_box.iter().enumerate() {
        let unit = |s: i64| {
            let mut c = vec![zero.clone(); n];
            c[j] = Q::from_integer(s.into());
            c
        };
        violation.push(vec![LinearConstraint { coeffs: unit(1), rhs: iv.lo.clone(), strict: true }]);
        violation.push(vec![LinearConstraint { coeffs: unit(-1), rhs: -iv.hi.clone(), strict: true }]);
    }
    Vnnlib::closed(input_box.clone(), violation, n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::num::rational::parse_exact;

    fn q(s: &str) -> Q {
        parse_exact(s).unwrap()
    }

    #[test]
    fn a_ball_is_a_box_and_each_rival_is_a_disjunct() {
        let p = LinfRobust::new(vec![q("1/2"), q("-1")], q("1/10"), 2, 3).unwrap();
        let v = p.violation();
        assert_eq!(v.input_box, vec![Interval::new(q("2/5"), q("3/5")), Interval::new(q("-11/10"), q("-9/10"))]);
        assert_eq!(v.violation.len(), 2);
        assert_eq!(v.violation[0][0].coeffs, vec![q("-1"), q("0"), q("1")]);
        assert_eq!(v.violation[1][0].coeffs, vec![q("0"), q("-1"), q("1")]);
        assert!(v.violation.iter().all(|d| d[0].rhs == q("0") && !d[0].strict));
        assert_eq!(
            String::from_utf8(crate::json::canonical_bytes(&crate::artifact::property::robust_json(&p)).unwrap()).unwrap(),
            r#"{"center":["1/2","-1"],"epsilon":"1/10","format":"torchlean.property.v1","kind":"linf_robust","label":2,"outputs":3,"semantics":"exact-rational"}"#
        );
    }

    #[test]
    fn malformed_claims_name_the_key() {
        let e = |r: Result<LinfRobust>| r.unwrap_err().to_string();
        assert_eq!(e(LinfRobust::new(vec![q("0")], q("-1/2"), 0, 2)), "epsilon: expected a number ≥ 0, found -1/2");
        assert_eq!(e(LinfRobust::new(vec![q("0")], q("0"), 2, 2)), "label: expected an output index below 2, found 2");
        assert_eq!(e(LinfRobust::new(vec![q("0")], q("0"), 0, 1)), "outputs: expected at least 2 (a label and a rival), found 1");
    }

    #[test]
    fn an_output_box_is_violated_below_or_above_each_end() {
        let v = output_box_violation(&vec![Interval::new(q("0"), q("1"))], &vec![Interval::new(q("-2"), q("3"))]);
        assert_eq!(v.violation.len(), 2);
        assert_eq!((v.violation[0][0].coeffs.clone(), v.violation[0][0].rhs.clone()), (vec![q("1")], q("-2")));
        assert_eq!((v.violation[1][0].coeffs.clone(), v.violation[1][0].rhs.clone()), (vec![q("-1")], q("-3")));
        assert!(v.violation.iter().all(|d| d[0].strict));
    }
}
