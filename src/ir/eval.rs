//! Evaluation of a graph: exactly over ℚ, or in binary32 with the operation order declared in the
//! module doc of [`crate::ir`]. One set of kernels serves both: each kernel is written once, in the
//! declared order, over a [`Semantics`] that says what `+`, `×`, … mean.
use std::collections::HashMap;

use num_traits::{Signed, Zero};

use crate::error::{Error, Result};
use crate::num::Q;
use crate::num::binary32::{F32, Round, Status, StatusAnd};

use super::graph::{Graph, Node};
use super::op::{Conv2d, Op, OpTag, Pool2d};
use super::shape;
use super::tensor::{Tensor, TensorStore};

/// The arithmetic a kernel is run in: exact over ℚ, binary32, or (in [`crate::bounds`]) intervals.
/// `&mut self` lets binary32 collect its IEEE flags. Every kernel is written once over these
/// operations, so a semantics whose operations each enclose the exact one (interval arithmetic)
/// encloses the whole graph.
pub trait Semantics {
    type V: Clone;
    /// A parameter value from its stored bits.
    fn param(&mut self, bits: F32) -> Result<Self::V>;
    /// The value of an empty sum and of padding.
    fn zero(&self) -> Self::V;
    fn add(&mut self, a: &Self::V, b: &Self::V) -> Self::V;
    fn sub(&mut self, a: &Self::V, b: &Self::V) -> Self::V;
    fn mul(&mut self, a: &Self::V, b: &Self::V) -> Self::V;
    /// `a / n` for an element count `n` (average pooling).
    fn div_count(&mut self, a: &Self::V, n: usize) -> Self::V;
    fn relu(&mut self, a: &Self::V) -> Self::V;
    /// Max pooling's running maximum after it sees `x` (it was `acc`).
    fn max(&mut self, acc: &Self::V, x: &Self::V) -> Self::V;
    /// `gelu`, `tanh` or `sigmoid` at `a`.
    fn unary(&mut self, tag: OpTag, a: &Self::V) -> Result<Self::V>;
    /// Softmax of one row (the last axis).
    fn softmax(&mut self, xs: &[Self::V]) -> Result<Vec<Self::V>>;
    /// Layer normalisation of one row (the last axis).
    fn layernorm(&mut self, xs: &[Self::V], w: &[Self::V], b: &[Self::V], eps: &Q) -> Result<Vec<Self::V>>;
    /// The factor `1/√n` of `scale_rsqrt`.
    fn rsqrt(&mut self, n: usize) -> Result<Self::V>;
    /// The value `causal_mask` adds at a masked position (−∞).
    fn masked(&mut self) -> Result<Self::V>;
    /// Every element of a node's value once the node is computed (interval semantics round
    /// outward here, so numbers stay short through deep graphs).
    fn finish(&mut self, v: Self::V) -> Self::V {
        v
    }
}

/// Exact rational arithmetic; ops that leave ℚ are refused.
struct Exact;

fn no_exact(tag: OpTag) -> Error {
    Error::bad_input(format!("op {tag} has no exact rational semantics"))
}

impl Semantics for Exact {
    type V = Q;
    fn param(&mut self, bits: F32) -> Result<Q> {
        bits.to_rational()
            .ok_or_else(|| Error::bad_input(format!("expected a finite binary32, found {}", bits.to_hex())))
    }
    fn zero(&self) -> Q {
        Q::zero()
    }
    fn add(&mut self, a: &Q, b: &Q) -> Q {
        a + b
    }
    fn sub(&mut self, a: &Q, b: &Q) -> Q {
        a - b
    }
    fn mul(&mut self, a: &Q, b: &Q) -> Q {
        a * b
    }
    fn div_count(&mut self, a: &Q, n: usize) -> Q {
        a / Q::from_integer(n.into())
    }
    fn relu(&mut self, a: &Q) -> Q {
        if a.is_positive() { a.clone() } else { Q::zero() }
    }
    fn max(&mut self, acc: &Q, x: &Q) -> Q {
        if x > acc { x.clone() } else { acc.clone() }
    }
    fn unary(&mut self, tag: OpTag, _: &Q) -> Result<Q> {
        Err(no_exact(tag))
    }
    fn softmax(&mut self, _: &[Q]) -> Result<Vec<Q>> {
        Err(no_exact(OpTag::Softmax))
    }
    fn layernorm(&mut self, _: &[Q], _: &[Q], _: &[Q], _: &Q) -> Result<Vec<Q>> {
        Err(no_exact(OpTag::LayerNorm))
    }
    fn rsqrt(&mut self, n: usize) -> Result<Q> {
        let k = num_integer::Roots::sqrt(&n);
        if k * k != n {
            return Err(Error::bad_input(format!(
                "op {} has no exact rational semantics for n = {n} (1/√{n} is irrational)",
                OpTag::ScaleRsqrt
            )));
        }
        Ok(Q::new(1.into(), k.into()))
    }
    fn masked(&mut self) -> Result<Q> {
        Err(Error::bad_input(format!("op {} has no exact rational semantics (it adds −∞)", OpTag::CausalMask)))
    }
}

/// binary32 through the softfloat, every operation rounded in `mode`, flags collected.
struct Binary32 {
    mode: Round,
    status: Status,
}

impl Binary32 {
    fn take(&mut self, r: StatusAnd<F32>) -> F32 {
        self.status |= r.status;
        r.value
    }
    /// `f` computed in host f64 from the exact f64 value of `x`, rounded once to binary32.
    fn host(&mut self, x: F32, f: impl FnOnce(f64) -> f64) -> F32 {
        let x = x.to_f64().value;
        let r = F32::from_f64_r(f(x), self.mode);
        self.take(r)
    }
    fn count(&mut self, n: usize) -> F32 {
        let r = F32::from_rational_r(&Q::from_integer(n.into()), self.mode);
        self.take(r)
    }
}

impl Semantics for Binary32 {
    type V = F32;
    fn param(&mut self, bits: F32) -> Result<F32> {
        Ok(bits)
    }
    fn zero(&self) -> F32 {
        F32::ZERO
    }
    fn add(&mut self, a: &F32, b: &F32) -> F32 {
        let r = a.add_r(*b, self.mode);
        self.take(r)
    }
    fn sub(&mut self, a: &F32, b: &F32) -> F32 {
        let r = a.sub_r(*b, self.mode);
        self.take(r)
    }
    fn mul(&mut self, a: &F32, b: &F32) -> F32 {
        let r = a.mul_r(*b, self.mode);
        self.take(r)
    }
    fn div_count(&mut self, a: &F32, n: usize) -> F32 {
        let n = self.count(n);
        let r = a.div_r(n, self.mode);
        self.take(r)
    }
    fn relu(&mut self, a: &F32) -> F32 {
        if a.is_nan() || a.ieee_partial_cmp(F32::ZERO).value == Some(std::cmp::Ordering::Greater) {
            *a
        } else {
            F32::ZERO
        }
    }
    fn max(&mut self, acc: &F32, x: &F32) -> F32 {
        if x.is_nan() || x.ieee_partial_cmp(*acc).value == Some(std::cmp::Ordering::Greater) { *x } else { *acc }
    }
    fn unary(&mut self, tag: OpTag, a: &F32) -> Result<F32> {
        match tag {
            OpTag::Tanh => Ok(self.host(*a, f64::tanh)),
            OpTag::Sigmoid => Ok(self.host(*a, |x| 1.0 / (1.0 + (-x).exp()))),
            OpTag::Gelu => Ok(self.host(*a, gelu_f64)),
            _ => Err(Error::internal(format!("op {tag} is not a unary host-math op"))),
        }
    }
    fn softmax(&mut self, xs: &[F32]) -> Result<Vec<F32>> {
        let xs: Vec<f64> = xs.iter().map(|x| x.to_f64().value).collect();
        let m = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let e: Vec<f64> = xs.iter().map(|x| (x - m).exp()).collect();
        let s: f64 = e.iter().sum();
        Ok(e.iter()
            .map(|ei| {
                let r = F32::from_f64_r(ei / s, self.mode);
                self.take(r)
            })
            .collect())
    }
    fn layernorm(&mut self, xs: &[F32], w: &[F32], b: &[F32], eps: &Q) -> Result<Vec<F32>> {
        let n = self.count(xs.len());
        let sum = left_sum(self, xs.iter().cloned());
        let mean = self.take(sum.div_r(n, self.mode));
        let d: Vec<F32> = xs.iter().map(|x| self.sub(x, &mean)).collect();
        let sq = dot(self, d.iter().zip(&d));
        let var = self.take(sq.div_r(n, self.mode));
        let eps = self.take(F32::from_rational_r(eps, self.mode));
        let ve = self.add(&var, &eps);
        let root = self.take(ve.sqrt_r(self.mode));
        let rstd = self.take(F32::ONE.div_r(root, self.mode));
        Ok(d.iter()
            .zip(w.iter().zip(b))
            .map(|(di, (wi, bi))| {
                let t = self.mul(di, &rstd);
                let t = self.mul(&t, wi);
                self.add(&t, bi)
            })
            .collect())
    }
    fn rsqrt(&mut self, n: usize) -> Result<F32> {
        let r = rsqrt_r(n, self.mode);
        Ok(self.take(r))
    }
    fn masked(&mut self) -> Result<F32> {
        Ok(F32::NEG_INFINITY)
    }
}

/// `1/√n` correctly rounded to binary32 in `mode` (one rounding, decided exactly over ℚ): from
/// the host estimate, step to the `lo` with `lo² ≤ 1/n < next_up(lo)²`, then pick `lo` or its
/// successor by the mode (for nearest, by comparing `1/n` with the squared midpoint; a tie is
/// impossible, a midpoint having one more significant bit than a binary32).
fn rsqrt_r(n: usize, mode: Round) -> StatusAnd<F32> {
    let n = n.max(1);
    let target = Q::new(1.into(), n.into());
    let sq = |c: F32| {
        let q = c.to_rational().expect("finite");
        &q * &q
    };
    let mut lo = F32::from_f64(1.0 / (n as f64).sqrt()).value;
    while sq(lo) > target {
        lo = lo.next_down().value;
    }
    while sq(lo.next_up().value) <= target {
        lo = lo.next_up().value;
    }
    if sq(lo) == target {
        return Status::OK.and(lo);
    }
    let hi = lo.next_up().value;
    let pick = match mode {
        Round::TowardZero | Round::TowardNegative => lo,
        Round::TowardPositive => hi,
        Round::NearestTiesToEven => {
            let mid =
                (lo.to_rational().expect("finite") + hi.to_rational().expect("finite")) / Q::from_integer(2.into());
            if target < &mid * &mid { lo } else { hi }
        }
    };
    Status::INEXACT.and(pick)
}

/// GELU in host `f64`, in this order: `t = x · FRAC_1_SQRT_2` (rounded), `e = libm::erf(t)`,
/// `u = 1 + e`, `h = 0.5 · x`, result `h · u`. `libm` is the pure-Rust port of musl's math
/// library, so the result is the same on every platform, but it is not correctly rounded.
fn gelu_f64(x: f64) -> f64 {
    let t = x * std::f64::consts::FRAC_1_SQRT_2;
    let u = 1.0 + libm::erf(t);
    (0.5 * x) * u
}

/// `((v0 + v1) + v2) + …`, starting from the first value; zero when empty.
fn left_sum<S: Semantics>(s: &mut S, mut vs: impl Iterator<Item = S::V>) -> S::V {
    let Some(mut acc) = vs.next() else { return s.zero() };
    for v in vs {
        acc = s.add(&acc, &v);
    }
    acc
}

/// `((a0·b0 + a1·b1) + a2·b2) + …`: each product rounded, then added; starts from the first
/// product (not from zero); zero when empty.
fn dot<'a, S: Semantics>(s: &mut S, mut terms: impl Iterator<Item = (&'a S::V, &'a S::V)>) -> S::V
where
    S::V: 'a,
{
    let Some((a, b)) = terms.next() else { return s.zero() };
    let mut acc = s.mul(a, b);
    for (a, b) in terms {
        let p = s.mul(a, b);
        acc = s.add(&acc, &p);
    }
    acc
}

/// Runs `graph` on `inputs` (one per input node, in graph order) and returns every node's value,
/// in node order.
fn run<S: Semantics>(
    graph: &Graph,
    store: &TensorStore,
    s: &mut S,
    inputs: &[Tensor<S::V>],
) -> Result<Vec<Tensor<S::V>>> {
    let input_nodes: Vec<&Node> = graph.inputs().collect();
    if inputs.len() != input_nodes.len() {
        let ids: Vec<String> = input_nodes.iter().map(|n| format!("\"{}\"", n.id)).collect();
        return Err(Error::bad_input(format!(
            "expected {} input tensors ({}), found {}",
            input_nodes.len(),
            ids.join(", "),
            inputs.len()
        )));
    }
    let index: HashMap<&str, usize> = graph.nodes().iter().enumerate().map(|(i, n)| (n.id.as_str(), i)).collect();
    let mut values: Vec<Tensor<S::V>> = Vec::with_capacity(graph.nodes().len());
    let mut next_input = inputs.iter();
    for node in graph.nodes() {
        let v = if let Op::Input { shape } = &node.op {
            let x = next_input.next().expect("input count checked");
            if x.shape() != shape.as_slice() {
                return Err(Error::bad_input(format!(
                    "input \"{}\": expected shape {shape:?}, found {:?}",
                    node.id,
                    x.shape()
                )));
            }
            x.clone()
        } else {
            let parents: Vec<&Tensor<S::V>> = node.parents.iter().map(|p| &values[index[p.as_str()]]).collect();
            let t = apply(s, node, &parents, store).map_err(|e| e.context(node.label()))?;
            let (shape, data) = (t.shape().to_vec(), t.into_data());
            Tensor::from_parts(shape, data.into_iter().map(|v| s.finish(v)).collect())
        };
        values.push(v);
    }
    Ok(values)
}

/// The values of the graph's outputs among every node's value (`run`'s result).
fn outputs<V: Clone>(graph: &Graph, values: Vec<Tensor<V>>) -> Vec<Tensor<V>> {
    let index: HashMap<&str, usize> = graph.nodes().iter().enumerate().map(|(i, n)| (n.id.as_str(), i)).collect();
    graph.outputs().iter().map(|o| values[index[o.as_str()]].clone()).collect()
}

/// One node's value from its parents' values.
fn apply<S: Semantics>(s: &mut S, node: &Node, parents: &[&Tensor<S::V>], store: &TensorStore) -> Result<Tensor<S::V>> {
    // Shapes were checked when the graph was built; re-checked here as a guard against a graph
    // assembled some other way.
    let stored = node
        .params
        .iter()
        .map(|p| {
            store.get(p).ok_or_else(|| {
                Error::bad_input(format!("expected param \"{p}\" in the tensor store, found no such tensor"))
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let parent_shapes: Vec<&[usize]> = parents.iter().map(|t| t.shape()).collect();
    let param_shapes: Vec<(&str, &[usize])> =
        node.params.iter().map(String::as_str).zip(stored.iter().map(|t| t.shape())).collect();
    let out_shape = shape::infer(&node.op, &parent_shapes, &param_shapes)?;
    if out_shape != node.shape {
        return Err(Error::internal(format!("expected output shape {:?}, inferred {out_shape:?}", node.shape)));
    }
    let params = stored
        .iter()
        .zip(&node.params)
        .map(|(t, name)| {
            t.data()
                .iter()
                .map(|&b| s.param(b))
                .collect::<Result<Vec<_>>>()
                .map_err(|e| e.context(format!("param \"{name}\"")))
        })
        .collect::<Result<Vec<_>>>()?;
    let x = |k: usize| parents[k].data();
    let elementwise = |s: &mut S, f: fn(&mut S, &S::V, &S::V) -> S::V| -> Vec<S::V> {
        x(0).iter().zip(x(1)).map(|(a, b)| f(s, a, b)).collect()
    };
    let data: Vec<S::V> = match &node.op {
        Op::Input { .. } => unreachable!("inputs are bound by run"),
        Op::Constant => params[0].clone(),
        Op::Linear => {
            let (w, b) = (&params[0], &params[1]);
            let cols = *parents[0].shape().last().expect("shape checked");
            let rows = *node.shape.last().expect("shape checked");
            let lead: usize = node.shape[..node.shape.len() - 1].iter().product();
            let mut out = Vec::with_capacity(lead * rows);
            for k in 0..lead {
                let xk = &x(0)[k * cols..(k + 1) * cols];
                for r in 0..rows {
                    let acc = dot(s, w[r * cols..(r + 1) * cols].iter().zip(xk));
                    out.push(s.add(&acc, &b[r]));
                }
            }
            out
        }
        Op::Conv2d(c) => conv2d(s, c, parents[0], &params[0], &params[1], &node.shape),
        Op::Relu => x(0).iter().map(|a| s.relu(a)).collect(),
        Op::Identity | Op::Reshape { .. } | Op::Flatten => x(0).to_vec(),
        Op::Gelu | Op::Tanh | Op::Sigmoid => {
            let tag = node.op.tag();
            x(0).iter().map(|a| s.unary(tag, a)).collect::<Result<_>>()?
        }
        Op::Add => elementwise(s, S::add),
        Op::Sub => elementwise(s, S::sub),
        Op::Mul => elementwise(s, S::mul),
        Op::Matmul => {
            let (m, k, n) = (parents[0].shape()[0], parents[0].shape()[1], node.shape[1]);
            let (a, b) = (x(0), x(1));
            let mut out = Vec::with_capacity(m * n);
            for i in 0..m {
                for j in 0..n {
                    out.push(dot(s, (0..k).map(|t| (&a[i * k + t], &b[t * n + j]))));
                }
            }
            out
        }
        Op::Transpose => {
            let (m, n) = (node.shape[1], node.shape[0]);
            (0..n).flat_map(|j| (0..m).map(move |i| (i, j))).map(|(i, j)| x(0)[i * n + j].clone()).collect()
        }
        Op::MaxPool2d(p) => pool(s, p, parents[0], &node.shape, false),
        Op::AvgPool2d(p) => pool(s, p, parents[0], &node.shape, true),
        Op::Softmax => {
            let n = *node.shape.last().expect("shape checked");
            let mut out = Vec::with_capacity(x(0).len());
            for row in x(0).chunks(n) {
                out.extend(s.softmax(row)?);
            }
            out
        }
        Op::LayerNorm { eps } => {
            let n = *node.shape.last().expect("shape checked");
            let mut out = Vec::with_capacity(x(0).len());
            for row in x(0).chunks(n) {
                out.extend(s.layernorm(row, &params[0], &params[1], eps)?);
            }
            out
        }
        Op::Slice { axis, start, end } => {
            let extent = parents[0].shape()[*axis];
            let outer: usize = node.shape[..*axis].iter().product();
            let inner: usize = node.shape[axis + 1..].iter().product();
            let mut out = Vec::with_capacity(node.shape.iter().product());
            for o in 0..outer {
                let base = o * extent * inner;
                out.extend_from_slice(&x(0)[base + start * inner..base + end * inner]);
            }
            out
        }
        Op::ScaleRsqrt { n } => {
            let c = s.rsqrt(*n)?;
            x(0).iter().map(|a| s.mul(a, &c)).collect()
        }
        Op::CausalMask => {
            let n = node.shape[1];
            let (zero, neg_inf) = (s.zero(), s.masked()?);
            x(0).iter().enumerate().map(|(k, a)| s.add(a, if k % n > k / n { &neg_inf } else { &zero })).collect()
        }
        Op::Concat { axis } => {
            let outer: usize = node.shape[..*axis].iter().product();
            let inner: usize = node.shape[axis + 1..].iter().product();
            let mut out = Vec::with_capacity(node.shape.iter().product());
            for o in 0..outer {
                for p in parents {
                    let chunk = p.shape()[*axis] * inner;
                    out.extend_from_slice(&p.data()[o * chunk..(o + 1) * chunk]);
                }
            }
            out
        }
    };
    Ok(Tensor::from_parts(node.shape.clone(), data))
}

/// `out[o, r, c] = (Σ_{i, ki, kj} w[o, i, ki, kj] · xpad[i, r·sh + ki, c·sw + kj]) + bias[o]`, the
/// sum in the order (i, ki, kj) starting from the first product; `xpad` is `x` with `padding`
/// zeros on each side, and padded positions are multiplied like any other.
fn conv2d<S: Semantics>(s: &mut S, c: &Conv2d, x: &Tensor<S::V>, w: &[S::V], b: &[S::V], out: &[usize]) -> Vec<S::V> {
    let (ci, h, wd) = (x.shape()[0], x.shape()[1] as isize, x.shape()[2] as isize);
    let ([kh, kw], [sh, sw], [ph, pw]) = (c.kernel, c.stride, c.padding);
    let zero = s.zero();
    let at = |i: usize, y: isize, z: isize| -> &S::V {
        if (0..h).contains(&y) && (0..wd).contains(&z) {
            &x.data()[(i as isize * h * wd + y * wd + z) as usize]
        } else {
            &zero
        }
    };
    let mut res = Vec::with_capacity(out.iter().product());
    for o in 0..out[0] {
        for r in 0..out[1] {
            for col in 0..out[2] {
                let terms = (0..ci).flat_map(|i| (0..kh).flat_map(move |ki| (0..kw).map(move |kj| (i, ki, kj))));
                let terms = terms.map(|(i, ki, kj)| {
                    let y = (r * sh + ki) as isize - ph as isize;
                    let z = (col * sw + kj) as isize - pw as isize;
                    (&w[((o * ci + i) * kh + ki) * kw + kj], at(i, y, z))
                });
                let acc = dot(s, terms);
                res.push(s.add(&acc, &b[o]));
            }
        }
    }
    res
}

/// Max or average over each window, the window read row-major (ki, kj) starting from its first
/// element: max replaces its running value by a greater (or NaN) element, average sums left to
/// right and divides once by `kh·kw`.
fn pool<S: Semantics>(s: &mut S, p: &Pool2d, x: &Tensor<S::V>, out: &[usize], avg: bool) -> Vec<S::V> {
    let (h, wd) = (x.shape()[1], x.shape()[2]);
    let ([kh, kw], [sh, sw]) = (p.kernel, p.stride);
    let mut res = Vec::with_capacity(out.iter().product());
    for c in 0..out[0] {
        for r in 0..out[1] {
            for col in 0..out[2] {
                let window = (0..kh)
                    .flat_map(|ki| (0..kw).map(move |kj| (ki, kj)))
                    .map(|(ki, kj)| x.data()[(c * h + r * sh + ki) * wd + col * sw + kj].clone());
                let v = if avg {
                    let sum = left_sum(s, window);
                    s.div_count(&sum, kh * kw)
                } else {
                    let mut window = window;
                    let mut acc = window.next().expect("kernel is at least 1x1");
                    for v in window {
                        acc = s.max(&acc, &v);
                    }
                    acc
                };
                res.push(v);
            }
        }
    }
    res
}

impl Graph {
    /// The exact value of the graph's outputs over ℚ, parameters decoded exactly from their bits;
    /// `inputs` are one tensor per input node, in graph order. Ops that leave ℚ (`gelu`, `tanh`,
    /// `sigmoid`, `softmax`, `layernorm`) fail with "op X has no exact rational semantics".
    pub fn eval_exact(&self, inputs: &[Tensor<Q>]) -> Result<Vec<Tensor<Q>>> {
        Ok(outputs(self, run(self, self.tensors(), &mut Exact, inputs)?))
    }

    /// The value of every node (in node order) in the semantics `s`, from one tensor per input.
    pub fn eval_nodes_in<S: Semantics>(&self, s: &mut S, inputs: &[Tensor<S::V>]) -> Result<Vec<Tensor<S::V>>> {
        run(self, self.tensors(), s, inputs)
    }

    /// The value of the outputs in the semantics `s`.
    pub fn eval_in<S: Semantics>(&self, s: &mut S, inputs: &[Tensor<S::V>]) -> Result<Vec<Tensor<S::V>>> {
        Ok(outputs(self, run(self, self.tensors(), s, inputs)?))
    }

    /// The binary32 value of the outputs, rounded to nearest even, in the declared order (module
    /// doc of [`crate::ir`]), with the union of the IEEE flags raised.
    pub fn eval_f32(&self, inputs: &[Tensor<F32>]) -> Result<StatusAnd<Vec<Tensor<F32>>>> {
        self.eval_f32_r(inputs, Round::NearestTiesToEven)
    }

    /// [`Graph::eval_f32`] with every softfloat operation (and every host-math result) rounded in
    /// `mode`.
    pub fn eval_f32_r(&self, inputs: &[Tensor<F32>], mode: Round) -> Result<StatusAnd<Vec<Tensor<F32>>>> {
        let mut s = Binary32 { mode, status: Status::OK };
        let out = outputs(self, run(self, self.tensors(), &mut s, inputs)?);
        Ok(s.status.and(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rsqrt_is_correctly_rounded_and_agrees_with_the_rounded_double() {
        // PyTorch's scale is the binary32 of the double 1/sqrt(n); for these n it is the correctly
        // rounded value (checked over ℚ in Python for n < 65536).
        for n in 1..=4096usize {
            let r = rsqrt_r(n, Round::NearestTiesToEven);
            assert_eq!(r.value, F32::from_f32((1.0 / (n as f64).sqrt()) as f32), "n = {n}");
            assert_eq!(r.status.is_ok(), n.is_power_of_two() && n.trailing_zeros() % 2 == 0, "n = {n}");
        }
        assert_eq!(rsqrt_r(2, Round::NearestTiesToEven).value, F32(0x3f3504f3));
        assert_eq!(rsqrt_r(6, Round::TowardZero).value, F32(0x3ed105eb));
        assert_eq!(rsqrt_r(6, Round::TowardPositive).value, F32(0x3ed105ec));
        assert_eq!(rsqrt_r(4, Round::TowardPositive).value, F32(0x3f000000));
    }
}
