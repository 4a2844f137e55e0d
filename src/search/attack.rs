//! Counterexample search and exact replay.
//!
//! The search is a heuristic in `f64` (random starts and signed-gradient descent on the violation
//! margin `max_r (c_r·y − rhs_r)` of each disjunct); nothing it computes is trusted. A candidate is
//! rounded to a binary32 point inside the box and *replayed*: the network is evaluated exactly over
//! ℚ (the property's semantics) and in binary32 in the declared operation order, and it is a
//! counterexample only when the exact outputs satisfy every row of a violation disjunct.
use num_traits::ToPrimitive;

use super::view::{F64Net, Net};
use crate::bounds::dense::Activation;
use crate::error::{Error, Result};
use crate::ir::{Graph, Tensor};
use crate::num::Q;
use crate::num::interval::Box;
use crate::num::binary32::{F32, Round};
use crate::property::{LinearConstraint, Vnnlib};

/// A replayed counterexample.
#[derive(Debug, Clone, PartialEq)]
pub struct Counterexample {
    /// The input point: binary32 values inside the property's box.
    pub input: Vec<F32>,
    /// The violation disjunct whose rows the exact outputs satisfy.
    pub disjunct: usize,
    /// The exact outputs over ℚ.
    pub exact_output: Vec<Q>,
    /// The outputs of the declared-order binary32 execution.
    pub f32_output: Vec<F32>,
    /// Whether the binary32 outputs (read exactly) satisfy the same disjunct.
    pub f32_violates: bool,
    /// Whether the exact outputs satisfy it: always for [`replay`]; for [`replay_f32`], a
    /// counterexample of the binary32 execution only, false where the two semantics differ.
    pub exact_violates: bool,
}

/// Whether `y` satisfies every row of `conj`.
pub fn satisfies(conj: &[LinearConstraint], y: &[Q]) -> bool {
    conj.iter().all(|c| {
        let lhs: Q = c.coeffs.iter().zip(y).map(|(a, b)| a * b).sum();
        if c.strict { lhs < c.rhs } else { lhs <= c.rhs }
    })
}

/// Evaluates the network at a binary32 point in both semantics (the graph's `eval_exact` and
/// `eval_f32`) and returns the counterexample if the exact outputs satisfy a disjunct of `prop`'s
/// violation. Points outside the input region (strict bounds excluded) are not replayed.
pub fn replay(graph: &Graph, prop: &Vnnlib, x: &[F32]) -> Result<Option<Counterexample>> {
    let q: Vec<Q> = x.iter().map(|b| b.to_rational()).collect::<Option<_>>().unwrap_or_default();
    if !prop.in_region(&q) {
        return Ok(None);
    }
    let exact = eval_exact(graph, &q)?;
    let Some(disjunct) = prop.violation.iter().position(|conj| satisfies(conj, &exact)) else {
        return Ok(None);
    };
    let f32_output = eval_f32(graph, x)?;
    let fq: Option<Vec<Q>> = f32_output.iter().map(|b| b.to_rational()).collect();
    let f32_violates = fq.is_some_and(|y| satisfies(&prop.violation[disjunct], &y));
    Ok(Some(Counterexample { input: x.to_vec(), disjunct, exact_output: exact, f32_output, f32_violates, exact_violates: true }))
}

/// Evaluates the network at a binary32 point of the region in declared-order binary32 and returns
/// a counterexample of that semantics when its outputs (read exactly) satisfy a disjunct of `prop`'s
/// violation: the disjunct, both outputs, and whether the exact output satisfies it too. Outputs
/// that are not finite satisfy no disjunct.
pub fn replay_f32(graph: &Graph, prop: &Vnnlib, x: &[F32]) -> Result<Option<Counterexample>> {
    let Some(q) = x.iter().map(|b| b.to_rational()).collect::<Option<Vec<Q>>>() else { return Ok(None) };
    if !prop.in_region(&q) {
        return Ok(None);
    }
    let f32_output = eval_f32(graph, x)?;
    let Some(fq) = f32_output.iter().map(|b| b.to_rational()).collect::<Option<Vec<Q>>>() else { return Ok(None) };
    let Some(disjunct) = prop.violation.iter().position(|conj| satisfies(conj, &fq)) else { return Ok(None) };
    let exact = eval_exact(graph, &q)?;
    let exact_violates = satisfies(&prop.violation[disjunct], &exact);
    Ok(Some(Counterexample { input: x.to_vec(), disjunct, exact_output: exact, f32_output, f32_violates: true, exact_violates }))
}

/// The exact output of a graph with one input and one output, both read row-major as vectors.
pub fn eval_exact(graph: &Graph, x: &[Q]) -> Result<Vec<Q>> {
    let out = graph.eval_exact(&[Tensor::new(input_shape(graph)?, x.to_vec())?])?;
    single_output(out)
}

/// The declared-order binary32 execution of a graph with one input and one output, both read
/// row-major as vectors (the IR's `eval_f32`, as `torchlean eval`).
pub fn eval_f32(graph: &Graph, x: &[F32]) -> Result<Vec<F32>> {
    let out = graph.eval_f32(&[Tensor::new(input_shape(graph)?, x.to_vec())?])?;
    single_output(out.value)
}

/// The shape of a graph's one input.
fn input_shape(graph: &Graph) -> Result<Vec<usize>> {
    match graph.input_shapes().as_slice() {
        [s] => Ok(s.to_vec()),
        s => Err(Error::bad_input(format!("expected a network with one input, found {}", s.len()))),
    }
}

fn single_output<T: Clone>(out: Vec<Tensor<T>>) -> Result<Vec<T>> {
    match <[Tensor<T>; 1]>::try_from(out) {
        Ok([t]) => Ok(t.into_data()),
        Err(v) => Err(Error::bad_input(format!("expected a network with one output, found {}", v.len()))),
    }
}

/// A binary32 point inside `b` near `x`: nearest, then nudged inward by directed rounding.
fn to_box_point(x: &[f64], b: &Box) -> Option<Vec<F32>> {
    x.iter()
        .zip(b)
        .map(|(&v, iv)| {
            let mut p = F32::from_f64(v).value;
            let q = p.to_rational()?;
            if q < iv.lo {
                p = F32::from_rational_r(&iv.lo, Round::TowardPositive).value;
            } else if q > iv.hi {
                p = F32::from_rational_r(&iv.hi, Round::TowardNegative).value;
            }
            iv.contains(&p.to_rational()?).then_some(p)
        })
        .collect()
}

/// `p` moved one binary32 step inward off every open end of the region it sits on (`None` when
/// that leaves the closed box: no binary32 lies strictly inside).
fn off_open_ends(p: &[F32], prop: &Vnnlib) -> Option<Vec<F32>> {
    p.iter()
        .zip(&prop.input_box)
        .zip(&prop.input_open)
        .map(|((&v, iv), [lo_open, hi_open])| {
            let q = v.to_rational()?;
            let w = if *lo_open && q == iv.lo {
                v.next_up().value
            } else if *hi_open && q == iv.hi {
                v.next_down().value
            } else {
                v
            };
            iv.contains(&w.to_rational()?).then_some(w)
        })
        .collect()
}

/// What the search found.
#[derive(Debug, Clone, PartialEq)]
pub enum Found {
    /// A point of the input region whose exact output violates the property.
    Counterexample(Counterexample),
    /// A point on an open end of the input region (outside it) whose exact output satisfies
    /// violation disjunct `disjunct`: the closure of the region is violated, so bounds over the
    /// closed box can never refute this box, while the region itself may still hold.
    OnOpenEnd { input: Vec<F32>, disjunct: usize },
}

/// Replays `p` (a point of the closed box): a counterexample when it lies in the region; a
/// violation of the closure when it lies on an open end and violates; else the point moved off
/// the open ends, replayed in turn.
fn try_point(graph: &Graph, prop: &Vnnlib, p: &[F32]) -> Result<Option<Found>> {
    if let Some(cex) = replay(graph, prop, p)? {
        return Ok(Some(Found::Counterexample(cex)));
    }
    let Some(q) = p.iter().map(|b| b.to_rational()).collect::<Option<Vec<Q>>>() else { return Ok(None) };
    if prop.in_region(&q) {
        return Ok(None);
    }
    if let Some(inner) = off_open_ends(p, prop)
        && let Some(cex) = replay(graph, prop, &inner)?
    {
        return Ok(Some(Found::Counterexample(cex)));
    }
    let exact = eval_exact(graph, &q)?;
    Ok(prop.violation.iter().position(|conj| satisfies(conj, &exact)).map(|disjunct| Found::OnOpenEnd { input: p.to_vec(), disjunct }))
}

/// `y` and the rows' gradient machinery: the forward pass with its ReLU masks.
fn forward(net: &F64Net, x: &[f64]) -> (Vec<f64>, Vec<Vec<bool>>) {
    let mut h = x.to_vec();
    let mut masks = Vec::with_capacity(net.layers.len());
    for (w, b, act) in &net.layers {
        let z: Vec<f64> = w.iter().zip(b).map(|(row, bi)| row.iter().zip(&h).map(|(a, c)| a * c).sum::<f64>() + bi).collect();
        let mask: Vec<bool> = z.iter().map(|v| *act == Activation::Identity || *v > 0.0).collect();
        h = z.iter().zip(&mask).map(|(v, m)| if *m { *v } else { 0.0 }).collect();
        masks.push(mask);
    }
    (h, masks)
}

/// `∂(c·y)/∂x` at the point whose masks are given.
fn gradient(net: &F64Net, masks: &[Vec<bool>], c: &[f64]) -> Vec<f64> {
    let mut g = c.to_vec();
    for ((w, _, _), mask) in net.layers.iter().zip(masks).rev() {
        for (gi, m) in g.iter_mut().zip(mask) {
            if !m {
                *gi = 0.0;
            }
        }
        let cols = w.first().map_or(0, Vec::len);
        let mut next = vec![0.0; cols];
        for (gi, row) in g.iter().zip(w) {
            for (n, wv) in next.iter_mut().zip(row) {
                *n += gi * wv;
            }
        }
        g = next;
    }
    g
}

/// The forward pass with a rough size of each output's binary32 rounding error (not trusted: it
/// only decides where the binary32 execution is worth replaying): per layer, `n·2⁻²⁴` of the
/// terms' magnitudes, carried through later layers by `|W|`.
fn forward_f32_error(net: &F64Net, x: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let u = f64::from(f32::EPSILON) / 2.0;
    let mut h = x.to_vec();
    let mut e = vec![0.0; x.len()];
    for (w, b, act) in &net.layers {
        let n = h.len() as f64 + 1.0;
        let (mut z, mut ez) = (Vec::with_capacity(w.len()), Vec::with_capacity(w.len()));
        for (row, bi) in w.iter().zip(b) {
            let v: f64 = row.iter().zip(&h).map(|(a, c)| a * c).sum::<f64>() + bi;
            let mag: f64 = row.iter().zip(&h).map(|(a, c)| (a * c).abs()).sum::<f64>() + bi.abs();
            let carried: f64 = row.iter().zip(&e).map(|(a, c)| a.abs() * c).sum();
            z.push(v);
            ez.push(carried + n * u * mag);
        }
        let keep = |v: f64| *act == Activation::Identity || v > 0.0;
        e = z.iter().zip(&ez).map(|(&v, &d)| if keep(v) || v + d > 0.0 { d } else { 0.0 }).collect();
        h = z.iter().map(|&v| if keep(v) { v } else { 0.0 }).collect();
    }
    (h, e)
}

/// Searches `b` for an input whose declared-order binary32 execution violates the property while
/// the exact one need not: the same descent as [`search`] on the exact (f64) margin, replaying a
/// point in binary32 ([`replay_f32`]) wherever that margin is within a few times the rough binary32
/// error there, which is where the two executions can disagree. Every replay is exact; nothing the
/// descent computes is trusted.
pub(crate) fn search_f32(
    net: &Net<'_>,
    prop: &Vnnlib,
    b: &Box,
    random: usize,
    steps: usize,
    seed: u64,
    deadline: Option<std::time::Instant>,
) -> Result<Option<Counterexample>> {
    let Descent { lo, hi, points, rows } = Descent::new(prop, b, &[], random, seed);
    for start in points {
        if deadline.is_some_and(|d| std::time::Instant::now() >= d) {
            return Ok(None);
        }
        for conj in &rows {
            let mut x = start.clone();
            for step in 0..=steps {
                let (y, err) = forward_f32_error(&net.f64, &x);
                let margins: Vec<(f64, f64)> = conj
                    .iter()
                    .map(|(c, r)| {
                        let m = c.iter().zip(&y).map(|(a, v)| a * v).sum::<f64>() - r;
                        (m, c.iter().zip(&err).map(|(a, e)| a.abs() * e).sum::<f64>())
                    })
                    .collect();
                let (worst, (m, e)) = margins.iter().enumerate().fold((0, (f64::NEG_INFINITY, 0.0)), |acc, (i, &me)| if me.0 > acc.1.0 { (i, me) } else { acc });
                if m <= 4.0 * e + 1e-9 * (1.0 + y.iter().map(|v| v.abs()).fold(0.0, f64::max))
                    && let Some(p) = to_box_point(&x, b)
                    && let Some(cex) = replay_f32(net.graph, prop, &p)?
                {
                    return Ok(Some(cex));
                }
                if step == steps {
                    break;
                }
                let (_, masks) = forward(&net.f64, &x);
                let g = gradient(&net.f64, &masks, &conj[worst].0);
                descend(&mut x, &g, &lo, &hi, step, steps);
            }
        }
    }
    Ok(None)
}

/// A binary32 counterexample of `prop` on `graph`, if [`search_f32`] finds one over the input
/// region (16 random starts besides the centre, 20 steps each, a fixed seed); `None` too for a
/// graph without a dense view, which the descent needs.
/// It stops, finding none, once `deadline` passes (checked before each start).
pub fn binary32_counterexample(graph: &Graph, prop: &Vnnlib, deadline: Option<std::time::Instant>) -> Result<Option<Counterexample>> {
    let Ok(net) = Net::new(graph) else { return Ok(None) };
    search_f32(&net, prop, &prop.input_box, 16, 20, 0x6233_325f_6365_7821, deadline)
}

/// What a descent starts from: the box's ends in f64, the starting points (the given ones, the
/// centre, then `random` uniform ones from `seed`) and each disjunct's rows in f64.
struct Descent {
    lo: Vec<f64>,
    hi: Vec<f64>,
    points: Vec<Vec<f64>>,
    rows: Vec<Vec<(Vec<f64>, f64)>>,
}

impl Descent {
    fn new(prop: &Vnnlib, b: &Box, starts: &[Vec<f64>], random: usize, seed: u64) -> Descent {
        let lo: Vec<f64> = b.iter().map(|iv| iv.lo.to_f64().unwrap_or(0.0)).collect();
        let hi: Vec<f64> = b.iter().map(|iv| iv.hi.to_f64().unwrap_or(0.0)).collect();
        let mut rng = Rng(seed);
        let mut points: Vec<Vec<f64>> = starts.to_vec();
        points.push(lo.iter().zip(&hi).map(|(l, h)| (l + h) / 2.0).collect());
        for _ in 0..random {
            points.push(lo.iter().zip(&hi).map(|(l, h)| l + (h - l) * rng.next()).collect());
        }
        let rows = prop
            .violation
            .iter()
            .map(|conj| {
                conj.iter()
                    .map(|c| (c.coeffs.iter().map(|v| v.to_f64().unwrap_or(0.0)).collect(), c.rhs.to_f64().unwrap_or(0.0)))
                    .collect()
            })
            .collect();
        Descent { lo, hi, points, rows }
    }
}

/// One signed-gradient step against `g`, shrinking with `step`, kept in the box.
fn descend(x: &mut [f64], g: &[f64], lo: &[f64], hi: &[f64], step: usize, steps: usize) {
    let rate = 0.1 * (1.0 - step as f64 / (steps as f64 + 1.0));
    for i in 0..x.len() {
        let s = (hi[i] - lo[i]) * rate * g[i].signum();
        x[i] = (x[i] - s).clamp(lo[i], hi[i]);
    }
}

/// A small deterministic generator (splitmix64): the search must not depend on a global RNG.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Searches `b` for a counterexample from the given starts plus `random` random ones, `steps`
/// descent steps each; returns the first candidate whose exact replay violates the property (or
/// violates it on an open end of the region, [`Found::OnOpenEnd`]).
pub(crate) fn search(
    net: &Net<'_>,
    prop: &Vnnlib,
    b: &Box,
    starts: &[Vec<f64>],
    random: usize,
    steps: usize,
    seed: u64,
) -> Result<Option<Found>> {
    let Descent { lo, hi, points, rows } = Descent::new(prop, b, starts, random, seed);
    for start in points {
        for conj in &rows {
            let mut x = start.clone();
            for step in 0..=steps {
                let (y, masks) = forward(&net.f64, &x);
                let margins: Vec<f64> = conj.iter().map(|(c, r)| c.iter().zip(&y).map(|(a, v)| a * v).sum::<f64>() - r).collect();
                let (worst, m) = margins.iter().enumerate().fold((0, f64::NEG_INFINITY), |acc, (i, &m)| if m > acc.1 { (i, m) } else { acc });
                // Near the boundary the f64 margin cannot decide; let the exact replay do it.
                if m <= 1e-9 * (1.0 + y.iter().map(|v| v.abs()).fold(0.0, f64::max)) {
                    if let Some(p) = to_box_point(&x, b)
                        && let Some(found) = try_point(net.graph, prop, &p)?
                    {
                        return Ok(Some(found));
                    }
                    if m <= 0.0 {
                        break;
                    }
                }
                if step == steps {
                    break;
                }
                let g = gradient(&net.f64, &masks, &conj[worst].0);
                descend(&mut x, &g, &lo, &hi, step, steps);
            }
        }
    }
    Ok(None)
}
