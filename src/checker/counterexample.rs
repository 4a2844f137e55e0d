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
use crate::search::attack::{eval_exact, replay, replay_f32, satisfies};

/// A counterexample of a `violation_dnf` property: a point of the box whose exact output is the
/// stated one and satisfies the stated disjunct (with semantics `binary32-declared-order`: whose
/// binary32 outputs do), with the stated binary32 outputs (empty when it is; otherwise one message
/// per problem). `audit` and `check-cert` both use it.
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
    let replayed = if c.binary32 { replay_f32(graph, p, &bits) } else { replay(graph, p, &bits) };
    let which = if c.binary32 { "declared-order binary32 output" } else { "exact output" };
    match replayed {
        Err(e) => vec![format!("input: cannot evaluate the payload: {e}")],
        Ok(None) => vec![format!("input: expected a point of the box whose {which} satisfies a violation disjunct, found none")],
        Ok(Some(r)) => {
            let mut out = Vec::new();
            if r.exact_output != c.output {
                out.push("output: expected the payload's exact output at input, found a different one".into());
            }
            if let Some((d, f)) = &c.violation {
                // An index past the end must not read as an empty (always true) conjunction.
                // The outputs the stated disjunct must hold of: the exact ones, or (binary32
                // semantics) the binary32 ones read exactly.
                let judged: Option<Vec<Q>> =
                    if c.binary32 { f.iter().map(|b| b.to_rational()).collect() } else { Some(c.output.clone()) };
                match p.violation.get(*d) {
                    None => out.push(format!("disjunct: expected an index below {}, found {d}", p.violation.len())),
                    Some(v) if !judged.is_some_and(|y| satisfies(v, &y)) => {
                        out.push(format!("disjunct: expected a disjunct the {which} satisfies, found {d}"))
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
