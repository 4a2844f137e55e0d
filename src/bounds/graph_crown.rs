//! CROWN over any IR graph, residual connections included: linear bounds propagated backward
//! from an objective over the outputs to the graph's input, through the graph's nodes in reverse
//! order (a node's coefficients reach each of its parents, so an `add` passes them to both
//! branches).
//!
//! The rules, per op (each gives lines that hold for every value the node can take when its
//! operands lie in their boxes):
//! - `linear`, `conv2d`, `avgpool2d`, `flatten`, `reshape`, `identity`, `add`, `sub`: exact (the
//!   op is affine);
//! - `relu`: the one ReLU rule ([`crate::bounds::relax`]) on the pre-activation box, with the
//!   CROWN-Ada lower slope and the chord's slope rounded down to [`SLOPE_BITS`] bits (sound for any
//!   slope in `[0, u/(u − l)]`), so coefficients stay dyadic;
//! - `maxpool2d`: below by the window element of greatest lower bound; above by that element when
//!   its lower bound reaches every other element's upper bound (then it is the max), else by the
//!   window's greatest upper bound (a constant);
//! - every other op (smooth activations, `mul`, `matmul`, softmax, layernorm, …): its value is
//!   replaced by its graph-IBP box, which holds it for every input in the box
//!   ([`crate::bounds::graph_ibp`]), and nothing propagates past it.
//!
//! Pre-activation boxes start as graph IBP's; each relu's and max pool's operand is then
//! tightened, in node order, to the intersection with its own CROWN bounds (computed with the
//! boxes tightened before it) and rounded outward to [`IBP_BITS`] bits; so is the output's. An
//! objective's bounds are intersected with IBP's. Exact rational arithmetic throughout. For
//! `torchlean bounds` on graphs without a dense view (no certificate and no Lean counterpart;
//! `verify` takes chains through [`crate::bounds::dense`]).
use std::collections::HashMap;

use num_traits::{Signed, Zero};

use crate::bounds::dense::Activation;
use crate::bounds::graph_ibp::{IBP_BITS, ibp_graph_nodes};
use crate::bounds::relax::{SLOPE_BITS, default_alpha, relax_with_slope, upper_slope};
use crate::error::{Error, Result};
use crate::ir::{Graph, Node, Op};
use crate::num::interval::{Box, Interval};
use crate::num::{Q, dyadic};

/// Rows of coefficients over one node's elements (one row per objective).
type Rows = Vec<Vec<Q>>;

/// Coefficients one backward pass may hold at once (objectives × elements of the nodes it
/// crosses): about 4 million rationals.
const WORK_ENTRIES: usize = 1 << 22;

/// The graph with its nodes' boxes and decoded parameters.
struct Net<'a> {
    graph: &'a Graph,
    index: HashMap<&'a str, usize>,
    boxes: Vec<Box>,
    params: Vec<Vec<Vec<Q>>>,
}

fn decode(graph: &Graph, n: &Node) -> Result<Vec<Vec<Q>>> {
    n.params
        .iter()
        .map(|p| {
            let t = graph.tensor(p).expect("a built graph's params are stored");
            t.data()
                .iter()
                .map(|b| b.to_rational().ok_or_else(|| Error::bad_input(format!("{} {p}: expected a finite binary32, found {}", n.label(), b.to_hex()))))
                .collect()
        })
        .collect()
}

/// Adds `a · coefficient` of `row` at `j`.
fn add_at(row: &mut [Q], j: usize, a: &Q) {
    if !a.is_zero() {
        row[j] += a;
    }
}

impl<'a> Net<'a> {
    fn new(graph: &'a Graph, input: &Box) -> Result<Net<'a>> {
        let boxes = ibp_graph_nodes(graph, std::slice::from_ref(input))?;
        let index = graph.nodes().iter().enumerate().map(|(i, n)| (n.id.as_str(), i)).collect();
        let params = graph.nodes().iter().map(|n| decode(graph, n)).collect::<Result<_>>()?;
        Ok(Net { graph, index, boxes, params })
    }

    fn parent(&self, n: &Node, k: usize) -> usize {
        self.index[n.parents[k].as_str()]
    }

    /// The lower bounds of `rows · value(node)` over the input box, by one backward pass.
    fn lower(&self, node: usize, rows: Rows) -> Vec<Q> {
        let m = rows.len();
        let mut acc: Vec<Option<Rows>> = vec![None; self.graph.nodes().len()];
        let mut konst = vec![Q::zero(); m];
        acc[node] = Some(rows);
        for v in (0..=node).rev() {
            let Some(a) = acc[v].take() else { continue };
            let n = &self.graph.nodes()[v];
            let mut give = |p: usize, f: &mut dyn FnMut(&mut Rows)| {
                let width = self.boxes[p].len();
                let rows = acc[p].get_or_insert_with(|| vec![vec![Q::zero(); width]; m]);
                f(rows);
            };
            match &n.op {
                Op::Input { .. } => {
                    for (r, row) in a.iter().enumerate() {
                        konst[r] += concretize(row, &self.boxes[v]);
                    }
                }
                Op::Linear => {
                    let (w, b) = (&self.params[v][0], &self.params[v][1]);
                    let p = self.parent(n, 0);
                    let cols = *self.graph.nodes()[p].shape.last().expect("shape checked");
                    let outs = b.len();
                    let lead = a[0].len() / outs;
                    give(p, &mut |pr| {
                        for (r, row) in a.iter().enumerate() {
                            for k in 0..lead {
                                for o in 0..outs {
                                    let c = &row[k * outs + o];
                                    if c.is_zero() {
                                        continue;
                                    }
                                    for (j, wj) in w[o * cols..(o + 1) * cols].iter().enumerate() {
                                        add_at(&mut pr[r], k * cols + j, &(c * wj));
                                    }
                                }
                            }
                        }
                    });
                    for (r, row) in a.iter().enumerate() {
                        for (i, c) in row.iter().enumerate() {
                            konst[r] += c * &b[i % outs];
                        }
                    }
                }
                Op::Conv2d(cv) => {
                    let (w, b) = (&self.params[v][0], &self.params[v][1]);
                    let p = self.parent(n, 0);
                    let taps = cv.taps(&self.graph.nodes()[p].shape, &n.shape);
                    give(p, &mut |pr| {
                        for (r, row) in a.iter().enumerate() {
                            for &(o, i, k) in &taps {
                                if !row[o].is_zero() {
                                    add_at(&mut pr[r], i, &(&row[o] * &w[k]));
                                }
                            }
                        }
                    });
                    let per_channel = n.shape[1] * n.shape[2];
                    for (r, row) in a.iter().enumerate() {
                        for (o, c) in row.iter().enumerate() {
                            konst[r] += c * &b[o / per_channel];
                        }
                    }
                }
                Op::AvgPool2d(pool) => {
                    let p = self.parent(n, 0);
                    let windows = pool.windows(&self.graph.nodes()[p].shape);
                    let k = Q::from_integer(((pool.kernel[0] * pool.kernel[1]) as i64).into());
                    give(p, &mut |pr| {
                        for (r, row) in a.iter().enumerate() {
                            for (o, win) in windows.iter().enumerate() {
                                let c = &row[o] / &k;
                                for &j in win {
                                    add_at(&mut pr[r], j, &c);
                                }
                            }
                        }
                    });
                }
                Op::Flatten | Op::Reshape { .. } | Op::Identity => {
                    give(self.parent(n, 0), &mut |pr| add_rows(pr, &a, false));
                }
                Op::Add | Op::Sub if n.parents.len() == 2 => {
                    give(self.parent(n, 0), &mut |pr| add_rows(pr, &a, false));
                    let neg = matches!(n.op, Op::Sub);
                    give(self.parent(n, 1), &mut |pr| add_rows(pr, &a, neg));
                }
                Op::Relu => {
                    let p = self.parent(n, 0);
                    let pre = &self.boxes[p];
                    let lines: Vec<_> = pre
                        .iter()
                        .map(|b| relax_with_slope(Activation::Relu, b, &default_alpha(b), &upper_slope(b, Some(SLOPE_BITS))))
                        .collect();
                    give(p, &mut |pr| {
                        for (r, row) in a.iter().enumerate() {
                            for (j, c) in row.iter().enumerate() {
                                if c.is_zero() {
                                    continue;
                                }
                                let line = if c.is_positive() { &lines[j].0 } else { &lines[j].1 };
                                add_at(&mut pr[r], j, &(c * &line.slope));
                                konst[r] += c * &line.intercept;
                            }
                        }
                    });
                }
                Op::MaxPool2d(pool) => {
                    let p = self.parent(n, 0);
                    let pre = &self.boxes[p];
                    let windows = pool.windows(&self.graph.nodes()[p].shape);
                    // Per window: the element of greatest lower bound, whether it is the max on
                    // the whole box, and the window's greatest upper bound.
                    let rules: Vec<(usize, bool, Q)> = windows
                        .iter()
                        .map(|win| {
                            let best = *win.iter().max_by(|&&i, &&j| pre[i].lo.cmp(&pre[j].lo)).expect("a pool window is not empty");
                            let dominates = win.iter().all(|&j| j == best || pre[j].hi <= pre[best].lo);
                            let top = win.iter().map(|&j| pre[j].hi.clone()).max().expect("not empty");
                            (best, dominates, top)
                        })
                        .collect();
                    give(p, &mut |pr| {
                        for (r, row) in a.iter().enumerate() {
                            for (o, c) in row.iter().enumerate() {
                                let (best, dominates, top) = &rules[o];
                                if c.is_zero() {
                                    continue;
                                }
                                if c.is_positive() || *dominates {
                                    add_at(&mut pr[r], *best, c);
                                } else {
                                    konst[r] += c * top;
                                }
                            }
                        }
                    });
                }
                _ => {
                    for (r, row) in a.iter().enumerate() {
                        konst[r] += concretize(row, &self.boxes[v]);
                    }
                }
            }
        }
        konst
    }

    /// The box of `rows · value(node)`: lower bounds of `rows` and of `−rows`. A backward pass
    /// holds a row of coefficients per node element for each objective, so objectives go in
    /// chunks that keep that under [`WORK_ENTRIES`].
    fn bounds(&self, node: usize, rows: &Rows) -> Vec<Interval> {
        let elements: usize = self.boxes[..=node].iter().map(Vec::len).sum();
        let chunk = (WORK_ENTRIES / elements.max(1)).max(1);
        let mut out = Vec::with_capacity(rows.len());
        for part in rows.chunks(chunk) {
            let neg: Rows = part.iter().map(|r| r.iter().map(|c| -c.clone()).collect()).collect();
            let lo = self.lower(node, part.to_vec());
            let hi = self.lower(node, neg);
            out.extend(lo.into_iter().zip(hi).map(|(l, h)| Interval::new(l, -h)));
        }
        out
    }

    /// The CROWN box of every element of `node`, the unit objectives built a chunk at a time.
    fn unit_bounds(&self, node: usize) -> Vec<Interval> {
        let width = self.boxes[node].len();
        let elements: usize = self.boxes[..=node].iter().map(Vec::len).sum();
        let chunk = (WORK_ENTRIES / elements.max(1)).max(1);
        let mut out = Vec::with_capacity(width);
        for start in (0..width).step_by(chunk) {
            let eye: Rows = (start..(start + chunk).min(width))
                .map(|i| (0..width).map(|j| if i == j { Q::from_integer(1.into()) } else { Q::zero() }).collect())
                .collect();
            out.extend(self.bounds(node, &eye));
        }
        out
    }

    /// Tightens `node`'s box to its intersection with its CROWN bounds, rounded outward.
    fn tighten(&mut self, node: usize) {
        let crown = self.unit_bounds(node);
        for (b, c) in self.boxes[node].iter_mut().zip(crown) {
            let lo = dyadic::round_down(&c.lo, IBP_BITS).to_rational().max(b.lo.clone());
            let hi = dyadic::round_up(&c.hi, IBP_BITS).to_rational().min(b.hi.clone());
            *b = Interval::new(lo, hi);
        }
    }
}

/// `Σ c_j x_j` at its least over `x ∈ b`.
fn concretize(row: &[Q], b: &Box) -> Q {
    row.iter().zip(b).map(|(c, iv)| if c.is_negative() { c * &iv.hi } else { c * &iv.lo }).sum()
}

fn add_rows(to: &mut Rows, from: &Rows, negate: bool) {
    for (t, f) in to.iter_mut().zip(from) {
        for (x, c) in t.iter_mut().zip(f) {
            if !c.is_zero() {
                if negate {
                    *x -= c;
                } else {
                    *x += c;
                }
            }
        }
    }
}

/// The box of a one-input, one-output graph's output (flattened row-major) over the input box
/// `input`, and the bounds of each objective (a row of coefficients over the outputs), by CROWN
/// with tightened pre-activation boxes, each intersected with what graph IBP gives.
pub fn crown_graph(graph: &Graph, input: &Box, objectives: &[Vec<Q>]) -> Result<(Box, Vec<Interval>)> {
    if graph.inputs().count() != 1 || graph.outputs().len() != 1 {
        return Err(Error::bad_input(format!(
            "graph CROWN: expected one input and one output, found {} and {}",
            graph.inputs().count(),
            graph.outputs().len()
        )));
    }
    let mut net = Net::new(graph, input)?;
    for n in graph.nodes() {
        if matches!(n.op, Op::Relu | Op::MaxPool2d(_)) {
            let p = net.parent(n, 0);
            net.tighten(p);
        }
    }
    let out = net.index[graph.outputs()[0].as_str()];
    net.tighten(out);
    let rows = objectives
        .iter()
        .map(|c| {
            let ibp = crate::num::interval::dot(c, &net.boxes[out]);
            (c, ibp)
        })
        .collect::<Vec<_>>();
    let crown = if objectives.is_empty() { Vec::new() } else { net.bounds(out, &objectives.to_vec()) };
    let bounds = rows
        .into_iter()
        .zip(crown)
        .map(|((_, ibp), c)| Interval::new(c.lo.max(ibp.lo), c.hi.min(ibp.hi)))
        .collect();
    Ok((net.boxes[out].clone(), bounds))
}
