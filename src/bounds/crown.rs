//! CROWN-style backward linear relaxation for dense networks, exact over ℚ.
//!
//! Every pre-activation `z⁽ᵏ⁾ = Wₖ hₖ + bₖ` (with `h₀ = x`, `hₖ₊₁ = actₖ(z⁽ᵏ⁾)`) is bounded by
//! pushing a linear objective backwards through the network: each affine layer is substituted
//! exactly, and each ReLU with pre-activation bounds `[l, u]` is replaced by a linear lower or upper
//! line depending on the sign of the objective's coefficient:
//! - inactive (`u ≤ 0`): `h = 0`; active (`l ≥ 0`): `h = z`;
//! - unstable (`l < 0 < u`): upper line `h ≤ s (z − l)` with `s = u / (u − l)` (the chord), lower line
//!   `h ≥ α z` with a chosen `α ∈ [0, 1]` (any such α is sound; the choice only affects tightness).
//!
//! Finally the linear function of `x` is minimised over the input box coordinatewise. Intermediate
//! bounds are computed layer by layer the same way and intersected with IBP (both are sound). The
//! α of every unstable neuron is returned so a certificate can record it and a checker need not
//! trust how it was chosen.
use rayon::prelude::*;

use super::ibp::{ibp_act, round_box_outward};
use super::interval::{Box, Interval};
use crate::error::{Error, Result};
use crate::model::{Activation, Mlp};
use crate::num::Q;

/// A linear relaxation line `h ≥ slope·z + intercept` (or `≤`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub slope: Q,
    pub intercept: Q,
}

/// The lower and upper lines of one activation over `[l, u]`, given the lower slope `alpha` used
/// when a ReLU is unstable.
pub fn relax(act: Activation, bounds: &Interval, alpha: &Q) -> (Line, Line) {
    let zero = Q::from_integer(0.into());
    let one = Q::from_integer(1.into());
    let line = |slope: Q, intercept: Q| Line { slope, intercept };
    match act {
        Activation::Identity => (line(one.clone(), zero.clone()), line(one, zero)),
        Activation::Relu if bounds.hi <= zero => (line(zero.clone(), zero.clone()), line(zero.clone(), zero)),
        Activation::Relu if bounds.lo >= zero => (line(one.clone(), zero.clone()), line(one, zero)),
        Activation::Relu => {
            let s = &bounds.hi / (&bounds.hi - &bounds.lo);
            let intercept = -(&s * &bounds.lo);
            (line(alpha.clone(), zero), line(s, intercept))
        }
    }
}

/// The CROWN-Ada lower slope: 1 when the interval leans positive (`u ≥ −l`), else 0.
pub fn default_alpha(bounds: &Interval) -> Q {
    if bounds.hi >= -bounds.lo.clone() { Q::from_integer(1.into()) } else { Q::from_integer(0.into()) }
}

/// Exact decoded parameters of one layer.
struct Layer {
    w: Vec<Vec<Q>>,
    b: Vec<Q>,
    act: Activation,
}

fn layers_of(mlp: &Mlp) -> Result<Vec<Layer>> {
    mlp.layers
        .iter()
        .enumerate()
        .map(|(i, l)| Ok(Layer { w: l.weight_q(&format!("layers.{i}.weight"))?, b: l.bias_q(&format!("layers.{i}.bias"))?, act: l.act }))
        .collect()
}

/// The lower bound over the input box of `objective · z⁽ᵏ⁾`, substituting layers `k, k−1, …, 0`
/// backwards with the lower/upper lines chosen by coefficient sign.
fn backward_lower(layers: &[Layer], k: usize, objective: &[Q], pre: &[Box], alphas: &[Vec<Q>], input: &Box) -> Q {
    let zero = Q::from_integer(0.into());
    let mut a: Vec<Q> = objective.to_vec();
    let mut constant = Q::from_integer(0.into());
    let mut j = k;
    loop {
        let layer = &layers[j];
        for (ai, bi) in a.iter().zip(&layer.b) {
            constant += ai * bi;
        }
        let cols = layer.w.first().map_or(0, Vec::len);
        let mut next = vec![zero.clone(); cols];
        for (ai, row) in a.iter().zip(&layer.w) {
            if *ai == zero {
                continue;
            }
            for (n, w) in next.iter_mut().zip(row) {
                *n += ai * w;
            }
        }
        a = next;
        if j == 0 {
            break;
        }
        // hⱼ = act_{j−1}(z⁽ʲ⁻¹⁾): replace it by the line that keeps the bound a lower bound.
        let prev = &layers[j - 1];
        for (i, ai) in a.iter_mut().enumerate() {
            let (lo, hi) = relax(prev.act, &pre[j - 1][i], &alphas[j - 1][i]);
            let l = if *ai >= zero { lo } else { hi };
            constant += &*ai * &l.intercept;
            *ai *= &l.slope;
        }
        j -= 1;
    }
    for (ai, iv) in a.iter().zip(input) {
        constant += if *ai >= zero { ai * &iv.lo } else { ai * &iv.hi };
    }
    constant
}

/// Bounds of every row of `objectives · z⁽ᵏ⁾` (lower via the rows, upper via their negations).
fn backward_bounds(layers: &[Layer], k: usize, objectives: &[Vec<Q>], pre: &[Box], alphas: &[Vec<Q>], input: &Box) -> Vec<Interval> {
    // Rows are independent; rayon's indexed collect keeps their order, so results do not depend on
    // the thread count.
    objectives
        .par_iter()
        .map(|c| {
            let neg: Vec<Q> = c.iter().map(|v| -v.clone()).collect();
            let lo = backward_lower(layers, k, c, pre, alphas, input);
            let hi = -backward_lower(layers, k, &neg, pre, alphas, input);
            Interval::new(lo, hi)
        })
        .collect()
}

fn identity(n: usize) -> Vec<Vec<Q>> {
    (0..n).map(|i| (0..n).map(|j| Q::from_integer(i64::from(i == j).into())).collect()).collect()
}

fn intersect(a: &Interval, b: &Interval) -> Interval {
    Interval::new(a.lo.clone().max(b.lo.clone()), a.hi.clone().min(b.hi.clone()))
}

/// CROWN bounds of a dense network.
#[derive(Debug, Clone, PartialEq)]
pub struct Crown {
    /// Bounds of each layer's pre-activation `z⁽ᵏ⁾`; the last entry bounds the network output.
    pub pre: Vec<Box>,
    /// The lower slope α used for every neuron of every layer (only unstable ReLUs use it).
    pub alphas: Vec<Vec<Q>>,
}

/// Runs CROWN layer by layer. With `round_bits`, each intermediate box is widened outward to dyadics
/// of that many significant bits (sound, and it keeps later slopes short).
pub fn crown_mlp(mlp: &Mlp, input: &Box, round_bits: Option<u32>) -> Result<Crown> {
    let widths = mlp.widths()?;
    if input.len() != widths[0] {
        return Err(Error::bad_input(format!("input box: expected {} coordinates, found {}", widths[0], input.len())));
    }
    let layers = layers_of(mlp)?;
    let mut pre: Vec<Box> = Vec::with_capacity(layers.len());
    let mut alphas: Vec<Vec<Q>> = Vec::with_capacity(layers.len());
    for k in 0..layers.len() {
        let crown = backward_bounds(&layers, k, &identity(widths[k + 1]), &pre, &alphas, input);
        let bounds: Box = if k == 0 {
            crown
        } else {
            let h: Box = pre[k - 1].iter().map(|iv| ibp_act(layers[k - 1].act, iv)).collect();
            let ibp = super::ibp::ibp_layer(&layers[k].w, &layers[k].b, layers[k].act_identity(), &h);
            crown.iter().zip(&ibp).map(|(c, i)| intersect(c, i)).collect()
        };
        let bounds = match round_bits {
            Some(bits) => round_box_outward(&bounds, bits),
            None => bounds,
        };
        alphas.push(bounds.iter().map(default_alpha).collect());
        pre.push(bounds);
    }
    Ok(Crown { pre, alphas })
}

impl Layer {
    /// Pre-activation IBP needs the affine part only.
    fn act_identity(&self) -> Activation {
        Activation::Identity
    }
}

/// Bounds of `c · output` for each objective row `c`, using CROWN's intermediate bounds and α.
pub fn crown_objectives(mlp: &Mlp, input: &Box, crown: &Crown, objectives: &[Vec<Q>]) -> Result<Vec<Interval>> {
    let layers = layers_of(mlp)?;
    let last = layers.len() - 1;
    let out_width = layers[last].b.len();
    if let Some(c) = objectives.iter().find(|c| c.len() != out_width) {
        return Err(Error::bad_input(format!("objective: expected {out_width} coefficients, found {}", c.len())));
    }
    // The output is act_last(z⁽ᴸ⁻¹⁾); for a linear last layer that is z itself.
    if layers[last].act != Activation::Identity {
        return Err(Error::bad_input("objective bounds need a linear (identity) output layer"));
    }
    Ok(backward_bounds(&layers, last, objectives, &crown.pre, &crown.alphas, input))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bounds::ibp::ibp_mlp;
    use crate::bounds::interval::parse_box;

    fn q(n: i64, d: i64) -> Q {
        Q::new(n.into(), d.into())
    }

    #[test]
    fn relu_lines_follow_the_three_cases() {
        let a = q(1, 2);
        let (lo, hi) = relax(Activation::Relu, &Interval::new(q(-1, 1), q(3, 1)), &a);
        assert_eq!(lo, Line { slope: q(1, 2), intercept: q(0, 1) });
        assert_eq!(hi, Line { slope: q(3, 4), intercept: q(3, 4) });
        let (lo, hi) = relax(Activation::Relu, &Interval::new(q(-2, 1), q(-1, 1)), &a);
        assert_eq!((lo.slope, hi.slope), (q(0, 1), q(0, 1)));
        let (lo, hi) = relax(Activation::Relu, &Interval::new(q(1, 1), q(2, 1)), &a);
        assert_eq!((lo.slope, hi.slope), (q(1, 1), q(1, 1)));
    }

    #[test]
    fn demo_raw_crown_matches_a_reference_and_intersection_keeps_the_tighter_ends() {
        let input = parse_box("-1/2:1,0:1").unwrap();
        let m = Mlp::demo();
        let c = crown_mlp(&m, &input, None).unwrap();
        let layers = layers_of(&m).unwrap();
        let raw = backward_bounds(&layers, 1, &identity(1), &c.pre[..1], &c.alphas[..1], &input);
        // Reference: the same relaxation run in Python fractions on the same f32 bits.
        assert_eq!(
            raw[0].to_strings(),
            [String::from("-2634605818586071/2251799813685248"), String::from("151417963954423152785753/71779971890698495459328")]
        );
        // On this tiny net CROWN-Ada is looser than IBP at both ends, so the reported output bound is
        // the IBP one (both are sound; their intersection is too).
        let ibp = ibp_mlp(&m, &input).unwrap();
        assert_eq!(c.pre[1][0], ibp[2][0]);
    }

    /// Soundness on samples: every exactly evaluated point of the box lies inside the CROWN bounds.
    #[test]
    fn crown_bounds_contain_sampled_outputs() {
        let input = parse_box("-1/2:1,0:1").unwrap();
        let m = Mlp::demo();
        let c = crown_mlp(&m, &input, Some(16)).unwrap();
        for i in 0..=8 {
            for j in 0..=8 {
                let x = vec![q(-1, 2) + q(3 * i, 16), q(j, 8)];
                let y = m.eval_exact(&x).unwrap();
                assert!(c.pre[1][0].contains(&y[0]), "x = {x:?}: {} outside {:?}", y[0], c.pre[1][0]);
            }
        }
    }
}
