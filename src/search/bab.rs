//! Complete verification of a violation property (`property::Vnnlib`) on a dense ReLU network:
//! branch and bound over input splits, with a counterexample search at the root and at every
//! undecided box.
//!
//! A box is *refuted* when, for every disjunct of the violation, one of its rows `c·y ≤ rhs`
//! (`<` when strict) has a sound lower bound of `c·y` above `rhs` (at or above when strict): no
//! output of the box can satisfy that disjunct. A refuted box becomes a leaf recording, per
//! disjunct, the row and the bound; an undecided box is split at the midpoint of the input
//! coordinate with the largest `g_i·width_i`, where `g_i` bounds `|∂(c·y)/∂x_i|` over the box for
//! the most promising row `c` (see [`gradient_range`]). The CROWN bound's own input coefficients
//! would miss an input that drives unstable neurons both ways: on ACAS Xu 1_1 property 2 they
//! never cut `x_2`, and the search stalled on boxes a millionth wide in `x_1` and half the root in
//! `x_2`.
//!
//! Determinism: boxes are processed in waves; each wave is bounded in parallel (rayon's indexed
//! collect keeps order) and its outcomes are applied in order, so the tree, the leaves and any
//! counterexample are the same for every thread count. Only a timeout depends on the clock.
use std::time::Instant;

use num_traits::{ToPrimitive, Zero};
use rayon::prelude::*;

use crate::bounds::crown::{Crown, Intermediate, crown_objectives, relaxed_mlp};
use crate::num::interval::{Box, Interval};
use crate::num::rational::to_canonical;
use super::attack::{self, Counterexample, Found};
use super::view::{F64Net, Net};
use crate::bounds::relax::{ReluCase, relu_case};
use crate::ir::Graph;
use crate::error::{Error, Result};
use crate::bounds::dense::{Activation, Dense};
use crate::num::Q;
use crate::property::{LinearConstraint, Vnnlib};

/// How a leaf's rows are bounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeafBound {
    /// Interval arithmetic on the IBP output box.
    Ibp,
    /// A CROWN backward pass for the row itself, over the intermediate boxes.
    Crown,
}

impl LeafBound {
    pub fn name(self) -> &'static str {
        match self {
            LeafBound::Ibp => "ibp",
            LeafBound::Crown => "crown",
        }
    }
}

/// Bits every intermediate box is widened to (outward; keeps certificate numbers short).
pub const ROUND_BITS: u32 = 64;

/// The evidence that one disjunct is impossible on a leaf: for weights `λ_r ≥ 0` (not all zero) on
/// rows of the disjunct, `Σ λ_r (c_r·y) ≥ bound` on the whole leaf, and `bound` exceeds
/// `Σ λ_r rhs_r` (or reaches it when a weighted row is strict). If every row held at some `y`,
/// the weighted sum would be at most `Σ λ_r rhs_r`: so no output of the leaf satisfies the
/// disjunct. One row with weight 1 is the plain case; a pair of rows refutes a disjunct on boxes
/// where neither row alone is false everywhere (e.g. where the largest of two outputs switches).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refutation {
    pub terms: Vec<(usize, Q)>,
    pub bound: Q,
}

impl Refutation {
    /// The weighted row `Σ λ_r c_r · y ≤ Σ λ_r rhs_r` (strict when a weighted row is), or why the
    /// terms are not a valid combination of `conj`'s rows.
    pub fn combined(&self, conj: &[LinearConstraint]) -> std::result::Result<LinearConstraint, String> {
        combine(&self.terms, conj)
    }
}

/// `Σ λ_r c_r · y ≤ Σ λ_r rhs_r` for the weighted rows `terms` of `conj` (see [`Refutation`]).
fn combine(terms: &[(usize, Q)], conj: &[LinearConstraint]) -> std::result::Result<LinearConstraint, String> {
    let zero = Q::zero();
    if terms.is_empty() || terms.iter().all(|(_, l)| *l == zero) {
        return Err(String::from("expected at least one positive weight, found none"));
    }
    let width = conj.first().map_or(0, |c| c.coeffs.len());
    let mut out = LinearConstraint { coeffs: vec![zero.clone(); width], rhs: zero.clone(), strict: false };
    for (r, l) in terms {
        let c = conj.get(*r).ok_or_else(|| format!("row {r} does not exist (the disjunct has {})", conj.len()))?;
        if *l < zero {
            return Err(format!("row {r}: expected a weight ≥ 0, found {l}"));
        }
        for (o, a) in out.coeffs.iter_mut().zip(&c.coeffs) {
            *o += l * a;
        }
        out.rhs += l * &c.rhs;
        out.strict |= c.strict && *l > zero;
    }
    Ok(out)
}

/// The candidate refutations of a disjunct: each row alone, then (when `pairs`) every pair of rows
/// with weights `(1/4, 3/4)`, `(1/2, 1/2)`, `(3/4, 1/4)`.
fn candidates(conj: &[LinearConstraint], pairs: bool) -> Vec<(Vec<(usize, Q)>, LinearConstraint)> {
    let one = Q::from_integer(1.into());
    let mut out: Vec<Vec<(usize, Q)>> = (0..conj.len()).map(|r| vec![(r, one.clone())]).collect();
    if pairs {
        for i in 0..conj.len() {
            for j in i + 1..conj.len() {
                for k in 1..=3 {
                    let l = Q::new(k.into(), 4.into());
                    out.push(vec![(i, l.clone()), (j, &one - &l)]);
                }
            }
        }
    }
    out.into_iter()
        .map(|terms| {
            let c = combine(&terms, conj).expect("valid by construction");
            (terms, c)
        })
        .collect()
}

/// A node of a certificate tree.
#[derive(Debug, Clone, PartialEq)]
pub enum Tree {
    /// A refuted box: one refutation per disjunct, and the lower slopes α used (per hidden layer,
    /// per neuron; each in [0, 1]: CROWN-Ada's 0 or 1, or what [`super::alpha::optimise`] found).
    Leaf { refute: Vec<Refutation>, alphas: Vec<Vec<Q>> },
    /// The box split on input `dim` at `at`: `below` gets `x_dim ≤ at`, `above` gets `x_dim ≥ at`.
    Split { dim: usize, at: Q, below: std::boxed::Box<Tree>, above: std::boxed::Box<Tree> },
}

impl Tree {
    /// Number of leaves.
    pub fn leaves(&self) -> usize {
        match self {
            Tree::Leaf { .. } => 1,
            Tree::Split { below, above, .. } => below.leaves() + above.leaves(),
        }
    }

    /// Leaves refuted with α from the search (some α neither 0 nor 1).
    pub fn searched_alpha_leaves(&self) -> usize {
        match self {
            Tree::Leaf { alphas, .. } => {
                usize::from(alphas.iter().flatten().any(|a| !a.is_zero() && *a != Q::from_integer(1.into())))
            }
            Tree::Split { below, above, .. } => below.searched_alpha_leaves() + above.searched_alpha_leaves(),
        }
    }

    /// The tree with its leaves, left to right, replaced by the subtrees `subs` yields where it
    /// yields `Some` (a subtree splits the leaf's own box).
    pub fn graft(self, subs: &mut impl Iterator<Item = Option<Tree>>) -> Tree {
        match self {
            Tree::Leaf { .. } => subs.next().flatten().unwrap_or(self),
            Tree::Split { dim, at, below, above } => {
                let below = std::boxed::Box::new(below.graft(subs));
                let above = std::boxed::Box::new(above.graft(subs));
                Tree::Split { dim, at, below, above }
            }
        }
    }

    /// Longest root-to-leaf path.
    pub fn depth(&self) -> usize {
        match self {
            Tree::Leaf { .. } => 0,
            Tree::Split { below, above, .. } => 1 + below.depth().max(above.depth()),
        }
    }

    /// The leaves' boxes and data, left to right (below before above). A tree from a file may name
    /// an input the box lacks or a split point outside the box it splits: refused, naming the
    /// node (preorder, as the artifact's `nodes`).
    pub fn leaf_boxes<'a>(&'a self, root: &Box) -> Result<Vec<(Box, &'a [Refutation], &'a [Vec<Q>])>> {
        let mut out = Vec::new();
        let mut stack = vec![(self, root.clone())];
        let mut node = 0;
        while let Some((t, b)) = stack.pop() {
            match t {
                Tree::Leaf { refute, alphas } => out.push((b, refute.as_slice(), alphas.as_slice())),
                Tree::Split { dim, at, below, above } => {
                    let Some(iv) = b.get(*dim) else {
                        return Err(Error::check_failed(format!(
                            "nodes[{node}]: split input: expected an input index below {}, found {dim}",
                            b.len()
                        )));
                    };
                    if *at < iv.lo || *at > iv.hi {
                        return Err(Error::check_failed(format!(
                            "nodes[{node}]: split at: expected a point of input {dim}'s range [{}, {}] there, found {}",
                            to_canonical(&iv.lo),
                            to_canonical(&iv.hi),
                            to_canonical(at)
                        )));
                    }
                    let (lo, hi) = split_box(&b, *dim, at);
                    stack.push((above, hi));
                    stack.push((below, lo));
                }
            }
            node += 1;
        }
        Ok(out)
    }
}

/// The two halves of `b` at `x_dim = at` (each keeps the split value: the halves overlap on it).
pub fn split_box(b: &Box, dim: usize, at: &Q) -> (Box, Box) {
    let mut lo = b.clone();
    let mut hi = b.clone();
    lo[dim] = Interval::new(b[dim].lo.clone(), at.clone());
    hi[dim] = Interval::new(at.clone(), b[dim].hi.clone());
    (lo, hi)
}

/// What to run.
#[derive(Debug, Clone)]
pub struct Options {
    pub intermediate: Intermediate,
    pub leaf: LeafBound,
    /// Split undecided boxes (branch and bound); without it only the root box is bounded.
    pub split: bool,
    /// Give up (unknown) after this instant.
    pub deadline: Option<Instant>,
    /// Give up after bounding this many boxes.
    pub max_boxes: usize,
    /// Seed of the counterexample search.
    pub seed: u64,
    /// Also try pairs of rows of a disjunct (`Refutation`).
    pub pairs: bool,
    /// Adam steps of the α search on a box CROWN-Ada's α leave undecided (0: CROWN-Ada only).
    pub alpha_steps: usize,
    /// Choose each split by bounding both halves of cuts of every input (strong branching,
    /// `lookahead_split`) where one refutes a half, rather than by the gradient heuristic: fewer
    /// leaves, at up to six bounds per input per split.
    pub lookahead: bool,
}

/// Progress after each wave.
#[derive(Debug, Clone, Copy, Default)]
pub struct Stats {
    pub boxes: usize,
    pub leaves: usize,
    pub open: usize,
    /// Fraction of the root box's volume (over coordinates of positive width) already refuted.
    pub refuted_volume: f64,
}

/// The result of a verification run.
#[derive(Debug, Clone)]
pub enum Outcome {
    Verified { tree: Tree, stats: Stats },
    Violated { cex: Counterexample, stats: Stats },
    Unknown { reason: String, stats: Stats },
}

/// The bounds of one box: per disjunct, per candidate (rows first, then pairs), the candidate and
/// a lower bound of its left-hand side.
pub struct RowBounds {
    pub lower: Vec<Vec<(Vec<(usize, Q)>, LinearConstraint, Q)>>,
    pub crown: Crown,
}

/// Sound lower bounds of `c·y` over `input` for every objective `c`, with the given intermediate
/// boxes and leaf rule (`alphas` overrides the default lower slopes when given).
pub fn bound_objectives(
    mlp: &Dense,
    input: &Box,
    intermediate: Intermediate,
    leaf: LeafBound,
    alphas: Option<&[Vec<Q>]>,
    objectives: &[Vec<Q>],
) -> Result<(Vec<Q>, Crown)> {
    let mut crown = relaxed_mlp(mlp, input, Some(ROUND_BITS), intermediate)?;
    if let Some(a) = alphas {
        set_alphas(mlp, &mut crown, a)?;
    }
    let lower = bound_on(mlp, input, &crown, leaf, objectives)?;
    Ok((lower, crown))
}

/// As [`bound_objectives`], over boxes and lines already computed.
fn bound_on(mlp: &Dense, input: &Box, crown: &Crown, leaf: LeafBound, objectives: &[Vec<Q>]) -> Result<Vec<Q>> {
    Ok(match leaf {
        LeafBound::Crown => crown_objectives(mlp, input, crown, objectives)?.into_iter().map(|iv| iv.lo).collect(),
        LeafBound::Ibp => {
            // The same boxes Lean's `Chain` re-checks, so the bound is the one `ibpLeaf_safe` uses.
            let boxes = crate::bounds::ibp::ibp_mlp_rounded(mlp, input, Some(ROUND_BITS))?;
            let out = boxes.last().expect("ibp returns the input box first");
            objectives.iter().map(|c| crate::num::interval::dot(c, out).lo).collect()
        }
    })
}

/// Sound lower bounds of every candidate refutation of every disjunct of `prop` over `input`.
pub fn bound_rows(
    mlp: &Dense,
    prop: &Vnnlib,
    input: &Box,
    intermediate: Intermediate,
    leaf: LeafBound,
    alphas: Option<&[Vec<Q>]>,
    pairs: bool,
) -> Result<RowBounds> {
    let cands: Vec<Vec<(Vec<(usize, Q)>, LinearConstraint)>> = prop.violation.iter().map(|c| candidates(c, pairs)).collect();
    let objectives: Vec<Vec<Q>> = cands.iter().flatten().map(|(_, c)| c.coeffs.clone()).collect();
    let (flat, crown) = bound_objectives(mlp, input, intermediate, leaf, alphas, &objectives)?;
    Ok(RowBounds { lower: regroup(cands, flat), crown })
}

/// Pairs each candidate with its bound (`flat` in the candidates' order).
fn regroup(cands: Vec<Vec<(Vec<(usize, Q)>, LinearConstraint)>>, flat: Vec<Q>) -> Vec<Vec<(Vec<(usize, Q)>, LinearConstraint, Q)>> {
    let mut it = flat.into_iter();
    cands.into_iter().map(|cs| cs.into_iter().map(|(t, c)| (t, c, it.next().expect("one per objective"))).collect()).collect()
}

/// The candidates' bounds again with the lower slopes `alphas` on `rb`'s own boxes (the
/// intermediate boxes do not depend on the final α, so they are not recomputed).
fn rebound_rows(mlp: &Dense, prop: &Vnnlib, input: &Box, rb: &RowBounds, alphas: &[Vec<Q>], pairs: bool) -> Result<RowBounds> {
    let mut crown = rb.crown.clone();
    set_alphas(mlp, &mut crown, alphas)?;
    let cands: Vec<Vec<(Vec<(usize, Q)>, LinearConstraint)>> = prop.violation.iter().map(|c| candidates(c, pairs)).collect();
    let objectives: Vec<Vec<Q>> = cands.iter().flatten().map(|(_, c)| c.coeffs.clone()).collect();
    let flat = bound_on(mlp, input, &crown, LeafBound::Crown, &objectives)?;
    Ok(RowBounds { lower: regroup(cands, flat), crown })
}

/// Replaces the hidden layers' lower slopes by `alphas` (one per neuron), checking the shape (the
/// range α ∈ [0, 1] is checked where the slopes are used, by `crown_objectives`).
pub(crate) fn set_alphas(mlp: &Dense, crown: &mut Crown, alphas: &[Vec<Q>]) -> Result<()> {
    let hidden = mlp.layers.len() - 1;
    if alphas.len() != hidden {
        return Err(Error::bad_input(format!("alpha: expected {hidden} hidden layers, found {}", alphas.len())));
    }
    for (k, a) in alphas.iter().enumerate() {
        if a.len() != crown.alphas[k].len() {
            return Err(Error::bad_input(format!(
                "alpha[{k}]: expected {} neurons (the layer's width), found {}",
                crown.alphas[k].len(),
                a.len()
            )));
        }
        crown.alphas[k] = a.clone();
    }
    Ok(())
}

/// Whether a lower bound `d` of `c·y` shows `c·y ≤ rhs` (`<` when strict) is impossible.
pub fn refutes(c: &LinearConstraint, d: &Q) -> bool {
    if c.strict { *d >= c.rhs } else { *d > c.rhs }
}

/// The refutation of every disjunct, if each has a refuting candidate (the one with the largest
/// margin over its right-hand side).
fn refutations(lower: &[Vec<(Vec<(usize, Q)>, LinearConstraint, Q)>]) -> Option<Vec<Refutation>> {
    lower
        .iter()
        .map(|cands| {
            cands
                .iter()
                .filter(|(_, c, d)| refutes(c, d))
                .max_by(|(_, c1, d1), (_, c2, d2)| (d1 - &c1.rhs).cmp(&(d2 - &c2.rhs)))
                .map(|(t, _, d)| Refutation { terms: t.clone(), bound: d.clone() })
        })
        .collect()
}

/// The property's input and output counts are the network's (`widths` = `[in, …, out]`).
pub fn check_shape(widths: &[usize], prop: &Vnnlib) -> Result<()> {
    if prop.input_box.len() != widths[0] {
        return Err(Error::bad_input(format!(
            "property: expected {} input coordinates (the network's), found {}",
            widths[0],
            prop.input_box.len()
        )));
    }
    if prop.num_outputs != widths[widths.len() - 1] {
        return Err(Error::bad_input(format!(
            "property: expected {} outputs Y_j (the network's), found {}",
            widths[widths.len() - 1],
            prop.num_outputs
        )));
    }
    // An empty conjunction holds everywhere; the engines refute rows, so refuse it by name rather
    // than meet it with no row to bound.
    if prop.violation.is_empty() {
        return Err(Error::bad_input("property: expected at least one violation disjunct, found none"));
    }
    for (d, conj) in prop.violation.iter().enumerate() {
        if conj.is_empty() {
            return Err(Error::bad_input(format!(
                "property: violation disjunct {d}: expected at least one constraint over the outputs Y_j, found none (every input would satisfy it)"
            )));
        }
        if let Some(r) = conj.iter().position(|c| c.coeffs.len() != prop.num_outputs) {
            return Err(Error::bad_input(format!(
                "property: violation disjunct {d} row {r}: expected {} coefficients, found {}",
                prop.num_outputs,
                conj[r].coeffs.len()
            )));
        }
    }
    Ok(())
}

/// The refutation of every disjunct by the output box `out` (each candidate's lower bound is
/// `c·y` enclosed over the box, as Lean's `ibpDot`), if it refutes each.
pub fn refute_box(prop: &Vnnlib, out: &Box, pairs: bool) -> Option<Vec<Refutation>> {
    let lower: Vec<Vec<(Vec<(usize, Q)>, LinearConstraint, Q)>> = prop
        .violation
        .iter()
        .map(|conj| {
            candidates(conj, pairs)
                .into_iter()
                .map(|(t, c)| {
                    let d = crate::num::interval::dot(&c.coeffs, out).lo;
                    (t, c, d)
                })
                .collect()
        })
        .collect();
    refutations(&lower)
}

/// The α of a CROWN result (hidden layers only).
fn hidden_alphas(crown: &Crown) -> Vec<Vec<Q>> {
    let n = crown.alphas.len().saturating_sub(1);
    crown.alphas[..n].to_vec()
}

enum Decision {
    Leaf(Vec<Refutation>, Vec<Vec<Q>>),
    Split(usize, Q),
    Found(Counterexample),
    Stuck(String),
}



/// The input coefficients (in `f64`) of the CROWN lower bound of `c·y` with the given lines: only a
/// branching heuristic, never part of a bound.
fn input_coefficients(net: &F64Net, crown: &Crown, c: &[Q]) -> Vec<f64> {
    let mut a: Vec<f64> = c.iter().map(|v| v.to_f64().unwrap_or(0.0)).collect();
    for k in (0..net.layers.len()).rev() {
        let (w, _, _) = &net.layers[k];
        let cols = w.first().map_or(0, Vec::len);
        let mut next = vec![0.0; cols];
        for (ai, row) in a.iter().zip(w) {
            for (n, wv) in next.iter_mut().zip(row) {
                *n += ai * wv;
            }
        }
        a = next;
        if k > 0 && net.layers[k - 1].2 == Activation::Relu {
            for (i, ai) in a.iter_mut().enumerate() {
                let s = if *ai >= 0.0 { &crown.alphas[k - 1][i] } else { &crown.upper_slopes[k - 1][i] };
                *ai *= s.to_f64().unwrap_or(0.0);
            }
        }
    }
    a
}

/// How much `c·y` can change per unit of each input over the box: the largest `|∂(c·y)/∂x_i|`
/// that interval back-propagation of the gradient allows, where an unstable ReLU's derivative is
/// anywhere in `[0, 1]` (Neurify's "smear" heuristic). Unlike the CROWN input coefficients it also
/// sees inputs that only widen the relaxation, such as an input that drives unstable neurons both
/// ways with a net linear effect near zero. A branching heuristic only, never part of a bound.
fn gradient_range(net: &F64Net, crown: &Crown, c: &[Q]) -> Vec<f64> {
    let mut lo: Vec<f64> = c.iter().map(|v| v.to_f64().unwrap_or(0.0)).collect();
    let mut hi = lo.clone();
    for k in (0..net.layers.len()).rev() {
        let (w, _, _) = &net.layers[k];
        let cols = w.first().map_or(0, Vec::len);
        let (mut nlo, mut nhi) = (vec![0.0; cols], vec![0.0; cols]);
        for ((gl, gh), row) in lo.iter().zip(&hi).zip(w) {
            for ((l, h), wv) in nlo.iter_mut().zip(nhi.iter_mut()).zip(row) {
                let (a, b) = (gl * wv, gh * wv);
                *l += a.min(b);
                *h += a.max(b);
            }
        }
        (lo, hi) = (nlo, nhi);
        if k > 0 && net.layers[k - 1].2 == Activation::Relu {
            for (i, (l, h)) in lo.iter_mut().zip(hi.iter_mut()).enumerate() {
                let iv = &crown.pre[k - 1][i];
                match relu_case(&iv.lo, &iv.hi, &Q::zero()) {
                    ReluCase::Inactive => (*l, *h) = (0.0, 0.0),
                    ReluCase::Unstable => (*l, *h) = (l.min(0.0), h.max(0.0)),
                    ReluCase::Active => {}
                }
            }
        }
    }
    lo.iter().zip(&hi).map(|(l, h)| l.abs().max(h.abs())).collect()
}

fn width(iv: &Interval) -> f64 {
    (&iv.hi - &iv.lo).to_f64().unwrap_or(0.0)
}

/// A leaf's refutations and α that the search found, offered to the certificate's checker: `false`
/// sends the box on to be split (the search's bounds are not the checker's; see [`verify`]).
pub type Accept<'a> = &'a (dyn Fn(&Box, &[Refutation], &[Vec<Q>]) -> Result<bool> + Sync);

/// The disjunct's single row closest to being refuted.
fn nearest_row(prop: &Vnnlib, cs: &[(Vec<(usize, Q)>, LinearConstraint, Q)], d: usize) -> usize {
    let n = prop.violation[d].len();
    (0..n).max_by(|&i, &j| (&cs[i].2 - &cs[i].1.rhs).cmp(&(&cs[j].2 - &cs[j].1.rhs))).expect("non-empty")
}

fn bound_box(view: &Net<'_>, prop: &Vnnlib, b: &Box, opts: &Options, accept: Option<Accept>, seed: u64) -> Result<Decision> {
    let (mlp, net) = (&view.dense, &view.f64);
    let rb = bound_rows(mlp, prop, b, opts.intermediate, opts.leaf, None, opts.pairs)?;
    // Without splits a rejected leaf stays a leaf: its certificate then takes the general checker.
    let accepted = |r: &[Refutation], a: &[Vec<Q>]| -> Result<bool> {
        match accept {
            Some(f) if opts.split => f(b, r, a),
            _ => Ok(true),
        }
    };
    if let Some(r) = refutations(&rb.lower) {
        let a = hidden_alphas(&rb.crown);
        if accepted(&r, &a)? {
            return Ok(Decision::Leaf(r, a));
        }
        // Refuted, so no counterexample here: split on the row with the least margin.
        let (d, row) = rb
            .lower
            .iter()
            .enumerate()
            .map(|(d, cs)| (d, nearest_row(prop, cs, d)))
            .min_by(|&(d1, r1), &(d2, r2)| {
                let m = |d: usize, r: usize| &rb.lower[d][r].2 - &rb.lower[d][r].1.rhs;
                m(d1, r1).cmp(&m(d2, r2))
            })
            .expect("a property has a disjunct");
        return split(view, prop, b, opts, &rb, &prop.violation[d][row].coeffs);
    }
    // The first disjunct nothing refutes, and its single row closest to being refuted.
    let (d, row) = rb
        .lower
        .iter()
        .enumerate()
        .find(|(_, cs)| !cs.iter().any(|(_, c, l)| refutes(c, l)))
        .map(|(d, cs)| (d, nearest_row(prop, cs, d)))
        .expect("not refuted, so some disjunct is open");
    if opts.leaf == LeafBound::Crown && opts.alpha_steps > 0 {
        // α for the candidate of disjunct `d` nearest to refuting it; one α serves every disjunct,
        // so all are re-bounded with it.
        let best = rb.lower[d]
            .iter()
            .max_by(|(_, c1, l1), (_, c2, l2)| (l1 - &c1.rhs).cmp(&(l2 - &c2.rhs)))
            .expect("non-empty");
        if let Some(alphas) = super::alpha::optimise(net, &rb.crown, &best.1.coeffs, b, opts.alpha_steps) {
            let tuned = rebound_rows(mlp, prop, b, &rb, &alphas, opts.pairs)?;
            if let Some(r) = refutations(&tuned.lower) {
                if accepted(&r, &alphas)? {
                    return Ok(Decision::Leaf(r, alphas));
                }
                return split(view, prop, b, opts, &rb, &prop.violation[d][row].coeffs);
            }
        }
    }
    let a = input_coefficients(net, &rb.crown, &prop.violation[d][row].coeffs);
    // Points the bound points at: the minimiser of its linear part, and the centre.
    let corner: Vec<f64> = a
        .iter()
        .zip(b)
        .map(|(ai, iv)| if *ai >= 0.0 { iv.lo.to_f64().unwrap_or(0.0) } else { iv.hi.to_f64().unwrap_or(0.0) })
        .collect();
    match attack::search(view, prop, b, &[corner], 4, 20, seed)? {
        Some(Found::Counterexample(cex)) => return Ok(Decision::Found(cex)),
        Some(found @ Found::OnOpenEnd { .. }) => return Ok(Decision::Stuck(open_end_reason(&found))),
        None => {}
    }
    if !opts.split {
        return Ok(Decision::Stuck(String::from("the bounds do not refute the property on the whole box")));
    }
    split(view, prop, b, opts, &rb, &prop.violation[d][row].coeffs)
}

/// The split of `b`: by look-ahead when asked (and some input can be split), else by the
/// gradient heuristic for the row `c`.
fn split(view: &Net<'_>, prop: &Vnnlib, b: &Box, opts: &Options, rb: &RowBounds, c: &[Q]) -> Result<Decision> {
    if opts.lookahead
        && let Some(d) = lookahead_split(&view.dense, prop, b, opts)?
    {
        return Ok(d);
    }
    split_decision(&view.f64, &rb.crown, c, b)
}

/// How near a box's bounds come to refuting every disjunct: the least, over disjuncts, of the
/// best candidate's margin (its bound minus the right-hand side; at least 0 refutes). A
/// branching score, never part of a bound.
fn margin(rb: &RowBounds) -> f64 {
    rb.lower
        .iter()
        .map(|cs| cs.iter().map(|(_, c, l)| (l - &c.rhs).to_f64().unwrap_or(f64::NEG_INFINITY)).fold(f64::NEG_INFINITY, f64::max))
        .fold(f64::INFINITY, f64::min)
}

/// Strong branching over the inputs: bound both halves of the cuts of every input of positive
/// width at a quarter, half and three quarters of its range; among the cuts that refute at least
/// one half, take the one that ends the largest share of the box, then the one whose other half
/// is nearest to refuted, then the larger sum of both halves' margins. `None` when no cut refutes
/// a half. The gradient heuristic looks at one box only and, near the leaves, often cuts an input
/// that refutes neither half. Up to 30 bounds per split on a 5-input network.
fn lookahead_split(mlp: &Dense, prop: &Vnnlib, b: &Box, opts: &Options) -> Result<Option<Decision>> {
    let mut best: Option<((f64, f64, f64), usize, Q)> = None;
    for dim in 0..b.len() {
        if width(&b[dim]) < 1e-12 {
            continue;
        }
        // Off-centre cuts end branches the midpoint does not: on ACAS Xu 1_1 properties 1–4,
        // quarters too took the trees from 26, 115, 49 and 25 leaves to 20, 108, 37 and 24;
        // eighths as well gave no fewer.
        for (num, den) in [(1, 2), (1, 4), (3, 4)] {
            let t = Q::new(i64::from(num).into(), i64::from(den).into());
            let at = &b[dim].lo + (&b[dim].hi - &b[dim].lo) * &t;
            let (lo, hi) = split_box(b, dim, &at);
            let ml = margin(&bound_rows(mlp, prop, &lo, opts.intermediate, opts.leaf, None, opts.pairs)?);
            let mh = margin(&bound_rows(mlp, prop, &hi, opts.intermediate, opts.leaf, None, opts.pairs)?);
            // Only splits that end a branch: choosing by margins alone (the worse half's) made
            // property 2's tree deeper and larger (188 leaves against 157).
            if ml.max(mh) < 0.0 {
                continue;
            }
            let tf = num as f64 / den as f64;
            // The share of the box the split ends (both halves when both are refuted).
            let ended = if ml >= 0.0 && mh >= 0.0 { 1.0 } else if ml >= 0.0 { tf } else { 1.0 - tf };
            let key = (ended, ml.min(mh), ml + mh);
            if best.as_ref().is_none_or(|(k, _, _)| key.partial_cmp(k) == Some(std::cmp::Ordering::Greater)) {
                best = Some((key, dim, at));
            }
        }
    }
    Ok(best.map(|(_, dim, at)| Decision::Split(dim, at)))
}

/// Why a box whose closure is violated on an open end of the region stays undecided: its bounds
/// hold on the closed box, which contains the violating point, so no split can refute it.
fn open_end_reason(found: &Found) -> String {
    let Found::OnOpenEnd { input, disjunct } = found else { unreachable!("called on open-end findings only") };
    let x: Vec<String> = input.iter().map(|b| b.to_rational().map_or_else(|| b.to_hex(), |q| crate::num::rational::to_canonical(&q))).collect();
    format!(
        "the point [{}] on a strict input bound (outside the region) satisfies violation disjunct {disjunct}; bounds hold on the \
         closed box, so they cannot decide a property violated only on its open ends",
        x.join(", ")
    )
}

/// The split of `b` for the row `c`: at the midpoint of the input with the largest
/// `g_i·width_i`.
fn split_decision(net: &F64Net, crown: &Crown, c: &[Q], b: &Box) -> Result<Decision> {
    let g = gradient_range(net, crown, c);
    let dim = (0..b.len())
        .filter(|&i| b[i].hi > b[i].lo)
        .max_by(|&i, &j| {
            let (si, sj) = (g[i] * width(&b[i]), g[j] * width(&b[j]));
            si.partial_cmp(&sj).unwrap_or(std::cmp::Ordering::Equal)
        });
    let Some(dim) = dim else {
        return Ok(Decision::Stuck(String::from("a point box is neither refuted nor a counterexample")));
    };
    // A box of zero sensitivity splits on its widest coordinate instead.
    let dim = if g[dim] == 0.0 {
        (0..b.len()).max_by(|&i, &j| width(&b[i]).partial_cmp(&width(&b[j])).unwrap_or(std::cmp::Ordering::Equal)).unwrap_or(dim)
    } else {
        dim
    };
    if width(&b[dim]) < 1e-12 {
        return Ok(Decision::Stuck(format!("boxes narrower than 1e-12 on input {dim} are still undecided")));
    }
    Ok(Decision::Split(dim, (&b[dim].lo + &b[dim].hi) / Q::from_integer(2.into())))
}

enum Slot {
    Open(Box),
    Leaf(Vec<Refutation>, Vec<Vec<Q>>),
    Split(usize, Q, usize, usize),
}

fn volume(b: &Box, root: &Box) -> f64 {
    b.iter().zip(root).filter(|(_, r)| r.hi > r.lo).map(|(i, r)| width(i) / width(r)).product()
}

/// Decides `prop` on the network `graph` (its dense view: linear layers with relu or identity
/// activations): a certificate tree, a replayed counterexample, or unknown.
pub fn verify(graph: &Graph, prop: &Vnnlib, opts: &Options, progress: impl FnMut(&Stats)) -> Result<Outcome> {
    verify_with(graph, prop, opts, None, progress)
}

/// As [`verify`], with every refuted box also offered to `accept` (when splitting): a box it
/// rejects is split like an undecided one. The certificate's checker may bound less tightly than
/// the search (Lean's packed checker proves hidden boxes by fixed-point CROWN passes alone, the
/// search also intersects them with IBP); splitting until it accepts gives a tree it can check.
pub fn verify_with(graph: &Graph, prop: &Vnnlib, opts: &Options, accept: Option<Accept>, mut progress: impl FnMut(&Stats)) -> Result<Outcome> {
    let view = Net::new(graph)?;
    check_shape(&view.dense.widths()?, prop)?;
    let root = prop.input_box.clone();
    let mut stats = Stats::default();
    // A root the bounds refute is the whole tree: skip the counterexample search, which cannot
    // succeed there and on a wide network costs far more than the bound (a 512-neuron cnn: 4 s
    // against 40 ms). Any other root goes on exactly as before.
    if let Decision::Leaf(refute, alphas) = bound_box(&view, prop, &root, opts, accept, opts.seed)? {
        let stats = Stats { boxes: 1, leaves: 1, open: 0, refuted_volume: 1.0 };
        return Ok(Outcome::Verified { tree: Tree::Leaf { refute, alphas }, stats });
    }
    match attack::search(&view, prop, &root, &[], 64, 100, opts.seed)? {
        Some(Found::Counterexample(cex)) => return Ok(Outcome::Violated { cex, stats }),
        Some(found @ Found::OnOpenEnd { .. }) => return Ok(Outcome::Unknown { reason: open_end_reason(&found), stats }),
        None => {}
    }
    let mut slots = vec![Slot::Open(root.clone())];
    let mut frontier = vec![0usize];
    // Waves of at most this many boxes keep a timeout responsive.
    const WAVE: usize = 256;
    while !frontier.is_empty() {
        if opts.deadline.is_some_and(|d| Instant::now() >= d) {
            return Ok(Outcome::Unknown { reason: String::from("timeout"), stats });
        }
        if stats.boxes >= opts.max_boxes {
            return Ok(Outcome::Unknown { reason: format!("gave up after {} boxes", stats.boxes), stats });
        }
        let take = frontier.len().min(WAVE);
        let wave: Vec<usize> = frontier.drain(..take).collect();
        let decisions: Vec<Result<Decision>> = wave
            .par_iter()
            .map(|&i| match &slots[i] {
                Slot::Open(b) => bound_box(&view, prop, b, opts, accept, opts.seed ^ (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)),
                _ => unreachable!("only open boxes are in the frontier"),
            })
            .collect();
        let mut next = Vec::new();
        for (&i, d) in wave.iter().zip(decisions) {
            stats.boxes += 1;
            let b = match &slots[i] {
                Slot::Open(b) => b.clone(),
                _ => unreachable!(),
            };
            match d? {
                Decision::Leaf(r, a) => {
                    stats.leaves += 1;
                    stats.refuted_volume += volume(&b, &root);
                    slots[i] = Slot::Leaf(r, a);
                }
                Decision::Split(dim, at) => {
                    let (lo, hi) = split_box(&b, dim, &at);
                    let (l, h) = (slots.len(), slots.len() + 1);
                    slots.push(Slot::Open(lo));
                    slots.push(Slot::Open(hi));
                    slots[i] = Slot::Split(dim, at, l, h);
                    next.push(l);
                    next.push(h);
                }
                Decision::Found(cex) => return Ok(Outcome::Violated { cex, stats }),
                Decision::Stuck(reason) => return Ok(Outcome::Unknown { reason, stats }),
            }
        }
        // Children go after the rest of this level: breadth first, so the deadline cuts evenly.
        frontier.extend(next);
        stats.open = frontier.len();
        progress(&stats);
    }
    // Every split's children come after it, so one pass gives each slot its depth.
    let mut depth = vec![0usize; slots.len()];
    for i in 0..slots.len() {
        if let Slot::Split(_, _, l, h) = slots[i] {
            depth[l] = depth[i] + 1;
            depth[h] = depth[i] + 1;
        }
    }
    let deepest = depth.into_iter().max().unwrap_or(0);
    if deepest > crate::limits::MAX_TREE_DEPTH {
        let reason = format!("refuted, but by a tree {deepest} splits deep, beyond the {} a certificate may have", crate::limits::MAX_TREE_DEPTH);
        return Ok(Outcome::Unknown { reason, stats });
    }
    Ok(Outcome::Verified { tree: build(&mut slots, 0), stats })
}

fn build(slots: &mut Vec<Slot>, i: usize) -> Tree {
    match std::mem::replace(&mut slots[i], Slot::Open(Vec::new())) {
        Slot::Leaf(refute, alphas) => Tree::Leaf { refute, alphas },
        Slot::Split(dim, at, l, h) => {
            let below = std::boxed::Box::new(build(slots, l));
            let above = std::boxed::Box::new(build(slots, h));
            Tree::Split { dim, at, below, above }
        }
        Slot::Open(_) => unreachable!("a finished search has no open box"),
    }
}


#[cfg(test)]
mod tests {
    use super::*;

    fn q(n: i64, d: i64) -> Q {
        Q::new(n.into(), d.into())
    }

    fn row(c: [i64; 2], rhs: i64, strict: bool) -> LinearConstraint {
        LinearConstraint { coeffs: c.iter().map(|&v| q(v, 1)).collect(), rhs: q(rhs, 1), strict }
    }

    /// `y0 - y1 ≤ 0 ∧ y1 - y0 ≤ 1`: weights (1/2, 1/2) give `0·y ≤ 1/2`; a bound above 1/2 refutes.
    #[test]
    fn weighted_rows_combine_coefficients_right_hand_sides_and_strictness() {
        let conj = [row([1, -1], 0, false), row([-1, 1], 1, true)];
        let r = Refutation { terms: vec![(0, q(1, 2)), (1, q(1, 2))], bound: q(1, 2) };
        let c = r.combined(&conj).unwrap();
        assert_eq!((c.coeffs, c.rhs.clone(), c.strict), (vec![q(0, 1), q(0, 1)], q(1, 2), true));
        // Strict (a weighted row is strict): reaching the right-hand side is enough.
        assert!(refutes(&r.combined(&conj).unwrap(), &q(1, 2)));
        // With the strict row at weight 0 it is not strict any more: the bound must exceed it.
        let r0 = Refutation { terms: vec![(0, q(1, 1)), (1, q(0, 1))], bound: q(0, 1) };
        assert!(!refutes(&r0.combined(&conj).unwrap(), &q(0, 1)));
        let bad = |terms: Vec<(usize, Q)>| Refutation { terms, bound: q(0, 1) }.combined(&conj).unwrap_err();
        assert_eq!(bad(vec![(2, q(1, 1))]), "row 2 does not exist (the disjunct has 2)");
        assert_eq!(bad(vec![(0, q(-1, 2)), (1, q(1, 1))]), "row 0: expected a weight ≥ 0, found -1/2");
        assert_eq!(bad(vec![(0, q(0, 1))]), "expected at least one positive weight, found none");
    }

    /// `y = relu(x1) + relu(-x1) + relu(x0 + 4)/4` on `[-1, 1]²`: both `x1` neurons are unstable
    /// and CROWN-Ada's lines (α = 1) cancel, so the bound's input coefficients are `(1/4, 0)` and
    /// a split on them would only ever cut `x0`. The gradient range sees `∂y/∂x1 ∈ [-1, 1]`.
    #[test]
    fn gradient_range_sees_an_input_whose_linear_coefficient_cancels() {
        let mlp = crate::search::alpha::tests::net();
        let input = vec![Interval::new(q(-1, 1), q(1, 1)); 2];
        let crown = relaxed_mlp(&mlp, &input, Some(ROUND_BITS), Intermediate::Crown).unwrap();
        let net = F64Net::new(&mlp);
        let c = [q(1, 1)];
        assert_eq!(input_coefficients(&net, &crown, &c), vec![0.25, 0.0]);
        assert_eq!(gradient_range(&net, &crown, &c), vec![0.25, 1.0]);
    }

    #[test]
    fn graft_replaces_leaves_left_to_right_and_keeps_the_others() {
        let leaf = |w: i64| Tree::Leaf { refute: vec![Refutation { terms: vec![(0, q(1, 1))], bound: q(w, 1) }], alphas: vec![] };
        let split = |dim: usize, at: Q, below: Tree, above: Tree| Tree::Split { dim, at, below: std::boxed::Box::new(below), above: std::boxed::Box::new(above) };
        let tree = split(0, q(0, 1), leaf(1), split(1, q(1, 2), leaf(2), leaf(3)));
        // The middle leaf (x_0 ≥ 0, x_1 ≤ 1/2) split again on x_0.
        let sub = split(0, q(1, 4), leaf(4), leaf(5));
        let got = tree.graft(&mut vec![None, Some(sub.clone()), None].into_iter());
        assert_eq!(got, split(0, q(0, 1), leaf(1), split(1, q(1, 2), sub, leaf(3))));
        assert_eq!((got.leaves(), got.depth()), (4, 3));
        let root = vec![Interval::new(q(-1, 1), q(1, 1)), Interval::new(q(0, 1), q(1, 1))];
        let boxes: Vec<Box> = got.leaf_boxes(&root).unwrap().into_iter().map(|(b, _, _)| b).collect();
        assert_eq!(boxes[1], vec![Interval::new(q(0, 1), q(1, 4)), Interval::new(q(0, 1), q(1, 2))]);
        assert_eq!(boxes[2], vec![Interval::new(q(1, 4), q(1, 1)), Interval::new(q(0, 1), q(1, 2))]);
    }

    #[test]
    fn pairs_follow_the_single_rows() {
        let conj = [row([1, 0], 0, false), row([0, 1], 0, false), row([1, 1], 0, false)];
        let c = candidates(&conj, true);
        assert_eq!(c.len(), 3 + 3 * 3);
        assert_eq!(c[3].0, vec![(0, q(1, 4)), (1, q(3, 4))]);
        assert_eq!(candidates(&conj, false).len(), 3);
    }
}
