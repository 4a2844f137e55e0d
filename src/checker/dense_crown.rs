//! One-box CROWN certificates of a dense network's output bounds, checked by Lean's
//! `TorchLean.Cert.crown_certified` (`lean/TorchLean/Cert/DenseCrown.lean`).
//!
//! Each layer's pre-activation box is the exact IBP image of the previous post-activation box;
//! each ReLU gets the CROWN-Ada lower slope and the exact chord ([`chord_relax`]); the output bounds
//! are this module's exact replica of Lean's `crownLower` (`backward` then the IBP closure over the
//! input box), so the claims the generated module states are exactly what the kernel recomputes.
use crate::bounds::dense::{Activation, Dense};
use crate::bounds::ibp::{ibp_act, ibp_layer};
use crate::bounds::relax::{Relax, chord_relax};
use crate::error::{Error, Result};
use crate::num::Q;
use crate::num::interval::{Box, Interval};

fn q(n: i64) -> Q {
    Q::from_integer(n.into())
}

/// Everything a CROWN certificate states.
#[derive(Debug, Clone, PartialEq)]
pub struct CrownCertificate {
    /// Pre-activation box of every layer.
    pub pre: Vec<Box>,
    /// Relaxation of every neuron of every layer.
    pub relax: Vec<Vec<Relax>>,
    /// Per output `j`: `[lower, upper]` from the objectives `e_j` and `−e_j`.
    pub bounds: Vec<Interval>,
}

struct Layer {
    w: Vec<Vec<Q>>,
    b: Vec<Q>,
    r: Vec<Relax>,
}

/// Lean's `crownLower (crownSteps steps) c B`, exactly.
fn crown_lower(layers: &[Layer], c: &[Q], input: &Box) -> Q {
    let zero = q(0);
    let mut a = c.to_vec();
    let mut k = q(0);
    for l in layers.iter().rev() {
        // relaxCoeffs / relaxConst
        let mut a2 = Vec::with_capacity(a.len());
        for (ai, r) in a.iter().zip(&l.r) {
            if *ai >= zero {
                a2.push(ai * &r.alpha);
            } else {
                a2.push(ai * &r.slope);
                k += ai * &r.icpt;
            }
        }
        // + dot a' b, then a := vecMat a' W
        for (ai, bi) in a2.iter().zip(&l.b) {
            k += ai * bi;
        }
        let cols = l.w.first().map_or(0, Vec::len);
        let mut next = vec![q(0); cols];
        for (ai, row) in a2.iter().zip(&l.w) {
            for (n, w) in next.iter_mut().zip(row) {
                *n += ai * w;
            }
        }
        a = next;
    }
    // (ibpDot a B).lo
    for (ai, iv) in a.iter().zip(input) {
        k += if *ai >= zero { ai * &iv.lo } else { ai * &iv.hi };
    }
    k
}

/// Computes the certificate of the output bounds of `mlp` over `input`.
pub fn crown_certificate(graph: &crate::ir::Graph, input: &Box) -> Result<CrownCertificate> {
    let mlp = &Dense::of(graph)?;
    let widths = mlp.widths()?;
    if input.len() != widths[0] {
        return Err(Error::bad_input(format!("input box: expected {} coordinates, found {}", widths[0], input.len())));
    }
    let mut layers = Vec::new();
    let mut pre = Vec::new();
    let mut post = input.clone();
    for (i, l) in mlp.layers.iter().enumerate() {
        let w = l.weight_q(&format!("layers.{i}.weight"))?;
        let b = l.bias_q(&format!("layers.{i}.bias"))?;
        let p = ibp_layer(&w, &b, Activation::Identity, &post);
        let r: Vec<Relax> = p.iter().map(|iv| chord_relax(l.act, iv)).collect();
        post = p.iter().map(|iv| ibp_act(l.act, iv)).collect();
        pre.push(p);
        layers.push(Layer { w, b, r: r.clone() });
    }
    let out = *widths.last().expect("at least two widths");
    let bounds = (0..out)
        .map(|j| {
            let e: Vec<Q> = (0..out).map(|i| q(i64::from(i == j))).collect();
            let neg: Vec<Q> = e.iter().map(|v| -v.clone()).collect();
            Interval::new(crown_lower(&layers, &e, input), -crown_lower(&layers, &neg, input))
        })
        .collect();
    Ok(CrownCertificate { pre, relax: layers.into_iter().map(|l| l.r).collect(), bounds })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::num::interval::parse_box;

    #[test]
    fn demo_certificate_matches_the_reference_crown_with_ibp_intermediate_bounds() {
        let c = crown_certificate(&crate::model::lower(&crate::model::Model::demo()).unwrap(), &parse_box("-1/2:1,0:1").unwrap()).unwrap();
        // With exact layer-0 bounds (the only intermediate layer) this is the raw CROWN pass that
        // bounds::crown's test pins against a Python reference.
        assert_eq!(
            c.bounds[0].to_strings(),
            [String::from("-2634605818586071/2251799813685248"), String::from("151417963954423152785753/71779971890698495459328")]
        );
        assert_eq!(c.relax[1], vec![Relax { alpha: q(1), slope: q(1), icpt: q(0) }]);
    }
}
