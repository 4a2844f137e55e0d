//! Choosing the lower slopes α of unstable ReLUs for one objective: projected gradient ascent on
//! the CROWN lower bound, run in `f64` over fixed intermediate boxes.
//!
//! Any α ∈ [0, 1] gives a sound bound, so this is only a search: the caller re-bounds the objective
//! exactly with the α found (quantised to multiples of 1/256, dyadic so the integer engine still
//! applies) and a certificate records them, so neither this code nor its floating point is trusted.
//!
//! With the intermediate boxes fixed, the backward pass picks for each neuron the line its
//! coefficient's sign calls for, so the bound is piecewise linear in α; on each piece the gradient
//! is exact and one forward sweep over the recorded coefficients gives all of it.
use num_traits::{ToPrimitive, Zero};

use super::view::F64Net;
use crate::bounds::crown::Crown;
use crate::bounds::relax::{ReluCase, relu_case};
use crate::num::interval::Box;
use crate::bounds::dense::Activation;
use crate::num::Q;

/// α is searched on this grid (multiples of 1/`GRID`), so recorded slopes stay short dyadics.
const GRID: f64 = 256.0;

/// The relaxation data of one hidden layer, in `f64`.
struct Neurons {
    /// Per neuron: 0 inactive, 1 active, or unstable with its chord slope `s'` and intercept
    /// `u·(1 − s')`.
    kind: Vec<Kind>,
}

#[derive(Clone, Copy)]
enum Kind {
    Inactive,
    Active,
    Unstable { slope: f64, icpt: f64 },
}

fn f(q: &Q) -> f64 {
    q.to_f64().unwrap_or(0.0)
}

fn neurons(net: &F64Net, crown: &Crown) -> Vec<Neurons> {
    let hidden = net.layers.len().saturating_sub(1);
    (0..hidden)
        .map(|k| Neurons {
            kind: crown.pre[k]
                .iter()
                .zip(&crown.upper_slopes[k])
                .map(|(iv, s)| match (net.layers[k].2, relu_case(&iv.lo, &iv.hi, &Q::zero())) {
                    (Activation::Identity, _) | (Activation::Relu, ReluCase::Active) => Kind::Active,
                    (Activation::Relu, ReluCase::Inactive) => Kind::Inactive,
                    (Activation::Relu, ReluCase::Unstable) => {
                        let u = f(&iv.hi);
                        let s = f(s);
                        Kind::Unstable { slope: s, icpt: u * (1.0 - s) }
                    }
                })
                .collect(),
        })
        .collect()
}

/// The CROWN lower bound of `c·y` over `input` with lower slopes `alpha`, and its gradient in α.
fn bound_and_gradient(net: &F64Net, ns: &[Neurons], alpha: &[Vec<f64>], c: &[f64], input: &[(f64, f64)]) -> (f64, Vec<Vec<f64>>) {
    let last = net.layers.len() - 1;
    // a_in[m]: coefficients on layer m's input h⁽ᵐ⁾ (x for m = 0), recorded for the forward sweep.
    let mut a_in: Vec<Vec<f64>> = vec![Vec::new(); last + 1];
    let mut a = c.to_vec();
    let mut constant = 0.0;
    for m in (0..=last).rev() {
        let (w, b, _) = &net.layers[m];
        constant += a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
        let cols = w.first().map_or(0, Vec::len);
        let mut next = vec![0.0; cols];
        for (ai, row) in a.iter().zip(w) {
            if *ai != 0.0 {
                for (n, wv) in next.iter_mut().zip(row) {
                    *n += ai * wv;
                }
            }
        }
        if m > 0 {
            a = next
                .iter()
                .zip(&ns[m - 1].kind)
                .zip(&alpha[m - 1])
                .map(|((&x, kind), &al)| match *kind {
                    Kind::Inactive => 0.0,
                    Kind::Active => x,
                    Kind::Unstable { .. } if x >= 0.0 => x * al,
                    Kind::Unstable { slope, icpt } => {
                        constant += x * icpt;
                        x * slope
                    }
                })
                .collect();
        }
        a_in[m] = next;
    }
    let bound = constant + a_in[0].iter().zip(input).map(|(x, (l, u))| if *x >= 0.0 { x * l } else { x * u }).sum::<f64>();
    // Forward sweep: d_in = ∂bound/∂a_in[m], d_out = ∂bound/∂(coefficients on z⁽ᵐ⁾).
    let mut d_in: Vec<f64> = a_in[0].iter().zip(input).map(|(x, (l, u))| if *x >= 0.0 { *l } else { *u }).collect();
    let mut grad: Vec<Vec<f64>> = alpha.iter().map(|l| vec![0.0; l.len()]).collect();
    for m in 0..last {
        let (w, b, _) = &net.layers[m];
        let d_out: Vec<f64> = w.iter().zip(b).map(|(row, bi)| bi + row.iter().zip(&d_in).map(|(x, y)| x * y).sum::<f64>()).collect();
        d_in = d_out
            .iter()
            .zip(&a_in[m + 1])
            .zip(&ns[m].kind)
            .zip(&alpha[m])
            .zip(grad[m].iter_mut())
            .map(|((((&d, &x), kind), &al), g)| match *kind {
                Kind::Inactive => 0.0,
                Kind::Active => d,
                Kind::Unstable { .. } if x >= 0.0 => {
                    *g = x * d;
                    al * d
                }
                Kind::Unstable { slope, icpt } => slope * d + icpt,
            })
            .collect();
    }
    (bound, grad)
}

/// Lower slopes (per hidden layer, per neuron) that raise the CROWN lower bound of `c·y` over
/// `input`, starting from `crown`'s own; `None` when no step improved on them.
pub(crate) fn optimise(net: &F64Net, crown: &Crown, c: &[Q], input: &Box, steps: usize) -> Option<Vec<Vec<Q>>> {
    let ns = neurons(net, crown);
    let hidden = ns.len();
    let c: Vec<f64> = c.iter().map(f).collect();
    let input: Vec<(f64, f64)> = input.iter().map(|iv| (f(&iv.lo), f(&iv.hi))).collect();
    let mut alpha: Vec<Vec<f64>> = crown.alphas[..hidden].iter().map(|l| l.iter().map(f).collect()).collect();
    let (start, _) = bound_and_gradient(net, &ns, &alpha, &c, &input);
    let (mut best, mut best_alpha) = (start, None);
    // Adam, as α-CROWN uses: the gradient's scale differs by orders of magnitude across layers.
    let (lr, b1, b2, eps) = (0.1, 0.9, 0.999, 1e-12);
    let mut m1: Vec<Vec<f64>> = alpha.iter().map(|l| vec![0.0; l.len()]).collect();
    let mut m2 = m1.clone();
    for t in 1..=steps {
        let (_, g) = bound_and_gradient(net, &ns, &alpha, &c, &input);
        for k in 0..hidden {
            for i in 0..alpha[k].len() {
                if !matches!(ns[k].kind[i], Kind::Unstable { .. }) {
                    continue;
                }
                m1[k][i] = b1 * m1[k][i] + (1.0 - b1) * g[k][i];
                m2[k][i] = b2 * m2[k][i] + (1.0 - b2) * g[k][i] * g[k][i];
                let mh = m1[k][i] / (1.0 - b1.powi(t as i32));
                let vh = m2[k][i] / (1.0 - b2.powi(t as i32));
                alpha[k][i] = (alpha[k][i] + lr * mh / (vh.sqrt() + eps)).clamp(0.0, 1.0);
            }
        }
        let grid: Vec<Vec<f64>> = alpha.iter().map(|l| l.iter().map(|a| (a * GRID).round() / GRID).collect()).collect();
        let (v, _) = bound_and_gradient(net, &ns, &grid, &c, &input);
        if v > best {
            best = v;
            best_alpha = Some(grid);
        }
    }
    best_alpha.map(|a| {
        a.iter()
            .map(|l| l.iter().map(|&x| Q::new(((x * GRID) as i64).into(), (GRID as i64).into())).collect())
            .collect()
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::bounds::crown::{Intermediate, relaxed_mlp};
    use crate::num::interval::Interval;
    use crate::bounds::dense::{Dense, DenseLayer};
    use crate::num::binary32::F32;

    fn q(n: i64, d: i64) -> Q {
        Q::new(n.into(), d.into())
    }

    /// `y = relu(x1) + relu(-x1) + relu(x0 + 4)/4` on `[-1, 1]²`. With lower slopes `(α0, α1)` on
    /// the two unstable neurons the bound is `1 − 1/4 − |α0 − α1|` (by hand): the input
    /// coefficients are `(1/4, α0 − α1)` and the constant is `4/4`.
    pub(crate) fn net() -> Dense {
        let w = |v: f32| F32(v.to_bits());
        Dense {
            layers: vec![
                DenseLayer {
                    weight: vec![vec![w(0.0), w(1.0)], vec![w(0.0), w(-1.0)], vec![w(1.0), w(0.0)]],
                    bias: vec![w(0.0), w(0.0), w(4.0)],
                    act: Activation::Relu,
                },
                DenseLayer { weight: vec![vec![w(1.0), w(1.0), w(0.25)]], bias: vec![w(0.0)], act: Activation::Identity },
            ],
        }
    }

    #[test]
    fn bound_and_gradient_match_the_hand_derivation() {
        let mlp = net();
        let input = vec![Interval::new(q(-1, 1), q(1, 1)); 2];
        let crown = relaxed_mlp(&mlp, &input, Some(64), Intermediate::Crown).unwrap();
        let f64net = F64Net::new(&mlp);
        let ns = neurons(&f64net, &crown);
        let b = [(-1.0, 1.0), (-1.0, 1.0)];
        // At α = (1, 1) the coefficient of x1 is 0 and the minimiser takes its lower end (-1):
        // ∂/∂α0 = -1, ∂/∂α1 = +1; the active neuron has no α.
        assert_eq!(bound_and_gradient(&f64net, &ns, &[vec![1.0, 1.0, 1.0]], &[1.0], &b), (0.75, vec![vec![-1.0, 1.0, 0.0]]));
        // At α = (1/2, 1) the coefficient is -1/2, the minimiser takes x1 = 1, and the signs flip.
        assert_eq!(bound_and_gradient(&f64net, &ns, &[vec![0.5, 1.0, 1.0]], &[1.0], &b), (0.25, vec![vec![1.0, -1.0, 0.0]]));
    }

    #[test]
    fn the_search_improves_a_bad_start_and_leaves_an_optimum_alone() {
        let mlp = net();
        let input = vec![Interval::new(q(-1, 1), q(1, 1)); 2];
        let mut crown = relaxed_mlp(&mlp, &input, Some(64), Intermediate::Crown).unwrap();
        let f64net = F64Net::new(&mlp);
        // CROWN-Ada's (1, 1) is optimal here: nothing to report.
        assert_eq!(crown.alphas[0], vec![q(1, 1), q(1, 1), q(1, 1)]);
        assert_eq!(optimise(&f64net, &crown, &[q(1, 1)], &input, 20), None);
        // From (0, 1) (bound -1/4) Adam's first steps move each α by 1/10 towards the other; after
        // five they meet at 1/2 (bound 3/4, the optimum), the first point on the 1/256 grid kept.
        crown.alphas[0] = vec![q(0, 1), q(1, 1), q(1, 1)];
        let found = optimise(&f64net, &crown, &[q(1, 1)], &input, 20).unwrap();
        assert_eq!(found, vec![vec![q(1, 2), q(1, 2), q(1, 1)]]);
    }
}
