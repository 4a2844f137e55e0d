//! Counterexamples need no Lean: a counterexample is checked by replaying it, exactly over ℚ and
//! in declared-order binary32, on the network's IR graph ([`crate::search::attack::replay`]).
//! `audit` and `check-cert` both use these checks.
use crate::artifact::{Counterexample, Property};
use crate::ir::Graph;
use crate::num::Q;
use crate::num::binary32::F32;
use crate::num::interval::Box;
use crate::num::rational::to_canonical;
use crate::property::Vnnlib;
use crate::search::attack::{eval_exact, replay, satisfies};

/// A counterexample of a `violation_dnf` property: a point of the box whose exact output is the
/// stated one and satisfies the stated disjunct, with the stated binary32 outputs (empty when it
/// is; otherwise one message per problem). `audit` and `check-cert` both use it.
pub fn problems(graph: &Graph, p: &Vnnlib, c: &Counterexample) -> Vec<String> {
    let bits: Option<Vec<F32>> = c
        .input
        .iter()
        .map(|q| {
            let b = F32::from_rational(q);
            b.status.is_ok().then_some(b.value)
        })
        .collect();
    let Some(bits) = bits else { return vec!["input: expected binary32 values, found a value binary32 cannot hold".into()] };
    if let Some(why) = p.outside_region(&c.input) {
        return vec![format!("input: expected a point of the property's input region, {why}")];
    }
    match replay(graph, p, &bits) {
        Err(e) => vec![format!("input: cannot evaluate the payload: {e}")],
        Ok(None) => vec!["input: expected a point of the box whose exact output satisfies a violation disjunct, found none".into()],
        Ok(Some(r)) => {
            let mut out = Vec::new();
            if r.exact_output != c.output {
                out.push("output: expected the payload's exact output at input, found a different one".into());
            }
            if let Some((d, f)) = &c.violation {
                // An index past the end must not read as an empty (always true) conjunction.
                match p.violation.get(*d) {
                    None => out.push(format!("disjunct: expected an index below {}, found {d}", p.violation.len())),
                    Some(v) if !satisfies(v, &c.output) => {
                        out.push(format!("disjunct: expected a disjunct the output satisfies, found {d}"))
                    }
                    Some(_) => {}
                }
                if *f != r.f32_output {
                    out.push("f32_output: expected the declared-order binary32 outputs at input, found different bits".into());
                }
            }
            out
        }
    }
}

/// The counterexample's input lies in the property's input box, the payload's exact output there is
/// the stated output, and it lies outside the property's output box.
pub fn output_box_problems(graph: &Graph, p: &Property, c: &Counterexample) -> Vec<String> {
    let inside = |x: &[Q], b: &Box| x.len() == b.len() && x.iter().zip(b).all(|(x, i)| i.contains(x));
    if !inside(&c.input, &p.input_box) {
        return vec!["input: expected a point of the property's input_box, found a point outside it".into()];
    }
    let y = match eval_exact(graph, &c.input) {
        Ok(y) => y,
        Err(e) => return vec![format!("input: cannot evaluate the payload: {e}")],
    };
    if y != c.output {
        let text = |v: &[Q]| v.iter().map(to_canonical).collect::<Vec<_>>().join(", ");
        return vec![format!(
            "output: expected [{}] (the payload's exact output), found [{}]",
            text(&y),
            text(&c.output)
        )];
    }
    if inside(&c.output, &p.output_box) {
        return vec!["output: expected a point outside the property's output_box, found one inside it".into()];
    }
    Vec::new()
}
