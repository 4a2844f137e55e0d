//! Deciding a property of a network with smooth activations: IBP through the activations'
//! enclosures ([`crate::bounds::envelope`]) on the input box, splitting the box while that does
//! not refute every disjunct. The leaves become `envLeafOk` leaves (`checker::env`), which Lean
//! proves for every function within the enclosures. A counterexample cannot be replayed exactly
//! (the activations have no rational values), so a run that does not verify ends unknown, naming a
//! point whose binary64 output violates the property when the search saw one.
use std::time::Instant;

use num_traits::ToPrimitive;

use super::bab::{Options, Outcome, Refutation, Stats, Tree, refute_box, split_box};
use crate::bounds::dense::{SAct, SmoothDense};
use crate::bounds::envelope::ibp_env_rounded;
use crate::error::Result;
use crate::num::Q;
use crate::num::interval::Box;
use crate::property::Vnnlib;
use crate::search::bab::ROUND_BITS;

/// The refutations of `b`'s leaf, `Ok(None)` when the enclosure IBP does not refute every disjunct.
fn refute(net: &SmoothDense, prop: &Vnnlib, b: &Box, pairs: bool) -> Result<Option<Vec<Refutation>>> {
    let boxes = ibp_env_rounded(net, b, Some(ROUND_BITS))?;
    Ok(refute_box(prop, boxes.last().expect("the input box comes first"), pairs))
}

/// The network in binary64 at `x` (a search heuristic only; never part of a verdict).
fn eval_f64(net: &SmoothDense, x: &[f64]) -> Vec<f64> {
    let mut v = x.to_vec();
    for l in &net.layers {
        v = l
            .weight
            .iter()
            .zip(&l.bias)
            .map(|(row, b)| {
                let z = row.iter().zip(&v).map(|(w, x)| w.to_f32() as f64 * x).sum::<f64>() + b.to_f32() as f64;
                match l.act {
                    SAct::Exact(crate::bounds::dense::Activation::Relu) => z.max(0.0),
                    SAct::Exact(crate::bounds::dense::Activation::Identity) => z,
                    SAct::Smooth(k) => k.eval_f64(z),
                }
            })
            .collect();
    }
    v
}

/// The first disjunct the binary64 output at `x` satisfies, if any.
fn violated_disjunct(prop: &Vnnlib, y: &[f64]) -> Option<usize> {
    prop.violation.iter().position(|conj| {
        conj.iter().all(|r| {
            let lhs: f64 = r.coeffs.iter().zip(y).map(|(c, v)| c.to_f64().unwrap_or(f64::NAN) * v).sum();
            let rhs = r.rhs.to_f64().unwrap_or(f64::NAN);
            if r.strict { lhs < rhs } else { lhs <= rhs }
        })
    })
}

fn centre(b: &Box) -> Vec<f64> {
    b.iter().map(|i| ((&i.lo + &i.hi) / Q::from_integer(2.into())).to_f64().unwrap_or(0.0)).collect()
}

/// The input to split: the one whose width moves the first layer's pre-activations most
/// (`width_j · Σ_i |W_ij|`, a heuristic only), `None` when every input is a point.
fn split_dim(net: &SmoothDense, b: &Box) -> Option<usize> {
    let first = &net.layers[0].weight;
    let score = |j: usize| {
        let w = (&b[j].hi - &b[j].lo).to_f64().unwrap_or(0.0);
        w * first.iter().map(|row| (row[j].to_f32() as f64).abs()).sum::<f64>()
    };
    (0..b.len())
        .filter(|&j| b[j].hi > b[j].lo)
        .map(|j| (j, score(j)))
        .fold(None, |best: Option<(usize, f64)>, (j, s)| match best {
            Some((_, bs)) if bs >= s => best,
            _ => Some((j, s)),
        })
        .map(|(j, _)| j)
}

/// Decides `prop` on `net` (see the module doc): verified with a tree whose every leaf the
/// enclosure IBP refutes, or unknown.
pub fn verify(net: &SmoothDense, prop: &Vnnlib, opts: &Options) -> Result<Outcome> {
    super::bab::check_shape(&net.widths()?, prop)?;
    let mut stats = Stats::default();
    // Depth-first over boxes; a box's tree is built once both halves are.
    enum Work {
        Bound(Box, usize),
        Join(usize, Q),
    }
    let mut work = vec![Work::Bound(prop.input_box.clone(), 0)];
    let mut done: Vec<Tree> = Vec::new();
    while let Some(w) = work.pop() {
        match w {
            Work::Join(dim, at) => {
                let above = done.pop().expect("two subtrees per split");
                let below = done.pop().expect("two subtrees per split");
                done.push(Tree::Split { dim, at, below: std::boxed::Box::new(below), above: std::boxed::Box::new(above) });
            }
            Work::Bound(b, depth) => {
                stats.boxes += 1;
                let r = match refute(net, prop, &b, opts.pairs) {
                    Ok(r) => r,
                    // A pre-activation beyond an enclosure's span: nothing sound to say about this box.
                    Err(e) if matches!(e.kind(), crate::error::ErrorKind::BadInput) => {
                        return Ok(Outcome::Unknown { reason: format!("enclosure IBP: {e}"), stats });
                    }
                    Err(e) => return Err(e),
                };
                if let Some(refute) = r {
                    stats.leaves += 1;
                    done.push(Tree::Leaf { refute, alphas: vec![] });
                    continue;
                }
                let x = centre(&b);
                if let Some(d) = violated_disjunct(prop, &eval_f64(net, &x)) {
                    let shown: Vec<String> = x.iter().take(8).map(|v| format!("{v}")).collect();
                    let more = if x.len() > 8 { ", …" } else { "" };
                    return Ok(Outcome::Unknown {
                        reason: format!(
                            "the binary64 output at [{}{more}] satisfies violation disjunct {d} (not replayed: the smooth activations have no exact values)",
                            shown.join(", ")
                        ),
                        stats,
                    });
                }
                let widest = split_dim(net, &b);
                let out_of_budget = !opts.split
                    || stats.boxes >= opts.max_boxes
                    || depth >= crate::limits::MAX_TREE_DEPTH
                    || opts.deadline.is_some_and(|d| Instant::now() >= d);
                match widest {
                    Some(dim) if !out_of_budget => {
                        let at = (&b[dim].lo + &b[dim].hi) / Q::from_integer(2.into());
                        let (lo, hi) = split_box(&b, dim, &at);
                        work.push(Work::Join(dim, at));
                        work.push(Work::Bound(hi, depth + 1));
                        work.push(Work::Bound(lo, depth + 1));
                    }
                    _ => {
                        let why = if opts.split { "the box budget, the tree depth or the deadline ran out" } else { "splitting is off" };
                        return Ok(Outcome::Unknown {
                            reason: format!("IBP through the activation enclosures does not refute every disjunct and {why}"),
                            stats,
                        });
                    }
                }
            }
        }
    }
    let tree = done.pop().expect("the root's tree");
    Ok(Outcome::Verified { tree, stats })
}
