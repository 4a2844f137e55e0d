//! Interval bound propagation through any IR graph: the IR's own kernels ([`crate::ir::Semantics`])
//! run in interval arithmetic over ℚ.
//!
//! Why it is sound: every kernel of `src/ir/eval.rs` is a composition of the semantics' operations
//! (`+`, `−`, `×`, `/n`, relu, max, the smooth activations, softmax, layernorm, `1/√n`), and each
//! interval operation here returns an interval containing the exact operation's result for every
//! choice of operands in its argument intervals (inclusion isotonicity). By induction over the
//! nodes, each node's interval tensor contains the node's exact value for every input in the input
//! box. Ends are rounded outward to dyadics of [`IBP_BITS`] significant bits after every node, which
//! only widens them. An op with no interval rule (`causal_mask`, which adds −∞) is refused with
//! the node named, never bounded wrongly.
//!
//! The smooth activations use the rational enclosures of [`crate::num::elementary`]
//! (`docs/smooth-activations.md`): they contain the real function's value, so this module's boxes
//! contain the graph's real-valued output, of which the exact rational semantics is the ReLU-only
//! special case.
use num_traits::{Signed, Zero};

use crate::error::{Error, Result};
use crate::ir::{Graph, Op, OpTag, Semantics, Tensor};
use crate::num::binary32::F32;
use crate::num::elementary::{exp_bounds, gelu_interval, sigmoid_interval, tanh_interval};
use crate::num::interval::{Box, Interval};
use crate::num::{Q, dyadic};

/// Significant bits every node's interval ends are rounded outward to, and the precision of the
/// smooth enclosures.
pub const IBP_BITS: u32 = 64;

/// Interval arithmetic over ℚ, ends rounded outward to `bits` bits at every node.
pub struct IntervalSemantics {
    pub bits: u32,
}

fn point(q: Q) -> Interval {
    Interval::point(q)
}

fn down(q: &Q, bits: u32) -> Q {
    dyadic::round_down(q, bits).to_rational()
}

fn up(q: &Q, bits: u32) -> Q {
    dyadic::round_up(q, bits).to_rational()
}

/// `[√a, √b]` enclosed: the lower end rounded down, the upper end up (`0 ≤ a ≤ b`).
fn sqrt_interval(a: &Q, b: &Q, bits: u32) -> Interval {
    Interval::new(sqrt_bound(a, bits, false), sqrt_bound(b, bits, true))
}

/// A dyadic `r ≥ 0` with `r² ≤ q` (`upper = false`) or `r² ≥ q` (`upper = true`), within about
/// `2^-bits` relative: bisection between bounds from the host square root, checked exactly.
fn sqrt_bound(q: &Q, bits: u32, upper: bool) -> Q {
    if q.is_zero() {
        return Q::zero();
    }
    let f = num_traits::ToPrimitive::to_f64(q).unwrap_or(f64::MAX).sqrt();
    let guess = Q::from_float(f).unwrap_or_else(|| Q::from_integer(1.into()));
    // Bracket the root: lo² ≤ q ≤ hi².
    let (mut lo, mut hi) = (guess.clone(), guess);
    let two = Q::from_integer(2.into());
    while &lo * &lo > *q {
        lo /= &two;
    }
    while &hi * &hi < *q {
        hi *= &two;
    }
    let eps = &hi / Q::from_integer(num_bigint::BigInt::from(1) << bits.min(200));
    while &hi - &lo > eps {
        let mid = down(&((&lo + &hi) / &two), bits + 8);
        if &mid * &mid <= *q {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    if upper { hi } else { lo }
}

impl IntervalSemantics {
    fn mul_iv(&self, a: &Interval, b: &Interval) -> Interval {
        if a.lo == a.hi {
            return b.scale(&a.lo);
        }
        if b.lo == b.hi {
            return a.scale(&b.lo);
        }
        let ps = [&a.lo * &b.lo, &a.lo * &b.hi, &a.hi * &b.lo, &a.hi * &b.hi];
        let lo = ps.iter().min().expect("four products").clone();
        let hi = ps.iter().max().expect("four products").clone();
        Interval::new(lo, hi)
    }

    /// `1/x` for an interval of positive numbers.
    fn recip_pos(&self, x: &Interval) -> Interval {
        Interval::new(Q::from_integer(1.into()) / &x.hi, Q::from_integer(1.into()) / &x.lo)
    }

    /// `e^x` over `[lo, hi]` (increasing).
    fn exp_iv(&self, x: &Interval) -> Interval {
        Interval::new(exp_bounds(&x.lo, self.bits).lo, exp_bounds(&x.hi, self.bits).hi)
    }
}

impl Semantics for IntervalSemantics {
    type V = Interval;
    fn param(&mut self, bits: F32) -> Result<Interval> {
        bits.to_rational()
            .map(point)
            .ok_or_else(|| Error::bad_input(format!("expected a finite binary32, found {}", bits.to_hex())))
    }
    fn zero(&self) -> Interval {
        point(Q::zero())
    }
    fn add(&mut self, a: &Interval, b: &Interval) -> Interval {
        a.add(b)
    }
    fn sub(&mut self, a: &Interval, b: &Interval) -> Interval {
        Interval::new(&a.lo - &b.hi, &a.hi - &b.lo)
    }
    fn mul(&mut self, a: &Interval, b: &Interval) -> Interval {
        self.mul_iv(a, b)
    }
    fn div_count(&mut self, a: &Interval, n: usize) -> Interval {
        let n = Q::from_integer(n.into());
        Interval::new(&a.lo / &n, &a.hi / &n)
    }
    fn relu(&mut self, a: &Interval) -> Interval {
        let r = |q: &Q| if q.is_positive() { q.clone() } else { Q::zero() };
        Interval::new(r(&a.lo), r(&a.hi))
    }
    fn max(&mut self, acc: &Interval, x: &Interval) -> Interval {
        Interval::new(acc.lo.clone().max(x.lo.clone()), acc.hi.clone().max(x.hi.clone()))
    }
    fn unary(&mut self, tag: OpTag, a: &Interval) -> Result<Interval> {
        let e = match tag {
            OpTag::Tanh => tanh_interval(&a.lo, &a.hi, self.bits),
            OpTag::Sigmoid => sigmoid_interval(&a.lo, &a.hi, self.bits),
            OpTag::Gelu => gelu_interval(&a.lo, &a.hi, self.bits),
            _ => return Err(Error::internal(format!("op {tag} is not a smooth activation"))),
        };
        Ok(Interval::new(e.lo, e.hi))
    }
    /// `softmax_i = e^{x_i} / Σ_j e^{x_j} = 1 / (1 + Σ_{j≠i} e^{x_j − x_i})`, decreasing in every
    /// `x_j − x_i`: the bounds take each difference at its extreme over the box.
    fn softmax(&mut self, xs: &[Interval]) -> Result<Vec<Interval>> {
        let one = Q::from_integer(1.into());
        Ok((0..xs.len())
            .map(|i| {
                let (mut s_lo, mut s_hi) = (one.clone(), one.clone());
                for (_, xj) in xs.iter().enumerate().filter(|(j, _)| *j != i) {
                    let d = Interval::new(&xj.lo - &xs[i].hi, &xj.hi - &xs[i].lo);
                    let e = self.exp_iv(&d);
                    s_lo += e.lo;
                    s_hi += e.hi;
                }
                Interval::new(&one / s_hi, &one / s_lo)
            })
            .collect())
    }
    /// `y_i = (x_i − μ) · r · w_i + b_i` with `μ` the mean, `r = 1/√(σ² + eps)`: each factor
    /// enclosed on its own (sound, loose where they are correlated).
    fn layernorm(&mut self, xs: &[Interval], w: &[Interval], b: &[Interval], eps: &Q) -> Result<Vec<Interval>> {
        let n = xs.len();
        let mut sum = self.zero();
        for x in xs {
            sum = sum.add(x);
        }
        let mean = self.div_count(&sum, n);
        let d: Vec<Interval> = xs.iter().map(|x| self.sub(x, &mean)).collect();
        let mut sq = self.zero();
        for di in &d {
            // d² ≥ 0: the square's own enclosure, tighter than d·d.
            let (a, c) = (&di.lo * &di.lo, &di.hi * &di.hi);
            let lo = if di.lo.is_negative() && di.hi.is_positive() { Q::zero() } else { a.clone().min(c.clone()) };
            sq = sq.add(&Interval::new(lo, a.max(c)));
        }
        let var = self.div_count(&sq, n);
        let ve = Interval::new(&var.lo + eps, &var.hi + eps);
        let root = sqrt_interval(&ve.lo, &ve.hi, self.bits);
        let r = self.recip_pos(&root);
        Ok(d.iter()
            .zip(w.iter().zip(b))
            .map(|(di, (wi, bi))| {
                let t = self.mul_iv(di, &r);
                let t = self.mul_iv(&t, wi);
                t.add(bi)
            })
            .collect())
    }
    fn rsqrt(&mut self, n: usize) -> Result<Interval> {
        let n = Q::from_integer(n.max(1).into());
        Ok(self.recip_pos(&sqrt_interval(&n, &n, self.bits)))
    }
    fn masked(&mut self) -> Result<Interval> {
        Err(Error::bad_input(format!(
            "op {} has no interval rule here (it adds −∞, which no rational interval holds)",
            OpTag::CausalMask
        )))
    }
    fn finish(&mut self, v: Interval) -> Interval {
        Interval::new(down(&v.lo, self.bits), up(&v.hi, self.bits))
    }
}

/// The boxes of a graph's outputs (each flattened row-major) for inputs in `inputs` (one box per
/// input node, in graph order, flattened row-major).
pub fn ibp_graph(graph: &Graph, inputs: &[Box]) -> Result<Vec<Box>> {
    let tensors = input_tensors(graph, inputs)?;
    let out = graph.eval_in(&mut IntervalSemantics { bits: IBP_BITS }, &tensors)?;
    Ok(out.into_iter().map(Tensor::into_data).collect())
}

/// The box of every node (in node order, flattened row-major) for inputs in `inputs`.
pub fn ibp_graph_nodes(graph: &Graph, inputs: &[Box]) -> Result<Vec<Box>> {
    let tensors = input_tensors(graph, inputs)?;
    let out = graph.eval_nodes_in(&mut IntervalSemantics { bits: IBP_BITS }, &tensors)?;
    Ok(out.into_iter().map(Tensor::into_data).collect())
}

fn input_tensors(graph: &Graph, inputs: &[Box]) -> Result<Vec<Tensor<Interval>>> {
    let nodes: Vec<_> = graph.inputs().collect();
    if nodes.len() != inputs.len() {
        return Err(Error::bad_input(format!("expected {} input boxes (the graph's inputs), found {}", nodes.len(), inputs.len())));
    }
    nodes
        .iter()
        .zip(inputs)
        .map(|(n, b)| {
            let Op::Input { shape } = &n.op else { unreachable!("inputs() yields input nodes") };
            Tensor::new(shape.clone(), b.clone()).map_err(|e| e.context(format!("input box of {}", n.label())))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(n: i64, d: i64) -> Q {
        Q::new(n.into(), d.into())
    }

    #[test]
    fn products_softmax_and_square_roots_enclose_their_exact_values() {
        let mut s = IntervalSemantics { bits: 64 };
        let a = Interval::new(q(-1, 2), q(3, 1));
        let b = Interval::new(q(-2, 1), q(1, 4));
        assert_eq!(s.mul(&a, &b), Interval::new(q(-6, 1), q(1, 1)));
        // softmax of two equal-width ranges: exact at the ends of the difference.
        let sm = s.softmax(&[point(q(0, 1)), point(q(0, 1))]).unwrap();
        assert!(sm[0].contains(&q(1, 2)) && &sm[0].hi - &sm[0].lo < q(1, 1 << 40));
        let r = s.rsqrt(2).unwrap();
        assert!(&r.lo * &r.lo * q(2, 1) <= q(1, 1) && &r.hi * &r.hi * q(2, 1) >= q(1, 1));
        assert!(&r.hi - &r.lo < q(1, 1 << 50));
        assert_eq!(s.rsqrt(4).unwrap(), point(q(1, 2)));
        assert!(s.masked().unwrap_err().to_string().contains("causal_mask has no interval rule"));
    }
}
