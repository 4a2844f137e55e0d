//! Verification results as artifacts: the `bab` certificate (a tree of input splits with one
//! refutation per disjunct on every leaf), the counterexample of a `violation_dnf` property, and
//! the data the Lean module of a certificate restates per leaf.
use serde_json::{Value, json};

use crate::bounds::bab::{LeafBound, ROUND_BITS, Refutation, Tree};
use crate::bounds::attack::Counterexample;
use crate::bounds::crown::{Crown, Intermediate, relaxed_mlp};
use crate::bounds::ibp::ibp_mlp_rounded;
use crate::num::interval::Box;
use crate::cert::crown::Relax;
use crate::error::Result;
use crate::model::{Activation, Mlp};
use crate::num::Q;
use crate::num::rational::to_canonical;

/// The tree's nodes in preorder (the artifact's `nodes`).
pub fn nodes_json(tree: &Tree) -> Vec<Value> {
    let mut out = Vec::new();
    let mut stack = vec![tree];
    while let Some(t) = stack.pop() {
        match t {
            Tree::Leaf { refute, alphas } => {
                let alpha: Vec<Value> = alphas.iter().map(|l| alpha_json(l)).collect();
                let refute: Vec<Value> =
                    refute.iter().map(|r| json!({"rows": r.terms.iter().map(|(i, l)| json!([i, to_canonical(l)])).collect::<Vec<_>>(), "bound": to_canonical(&r.bound)})).collect();
                out.push(json!({"leaf": {"alpha": alpha, "refute": refute}}));
            }
            Tree::Split { dim, at, below, above } => {
                out.push(json!({"split": {"input": dim, "at": to_canonical(at)}}));
                stack.push(above);
                stack.push(below);
            }
        }
    }
    out
}

/// One hidden layer's lower slopes: a string of `0`/`1` when every α is 0 or 1 (CROWN-Ada's
/// choice, the common case, one byte per neuron), else one rational per neuron.
fn alpha_json(layer: &[Q]) -> Value {
    let (zero, one) = (Q::from_integer(0.into()), Q::from_integer(1.into()));
    if layer.iter().all(|a| *a == zero || *a == one) {
        Value::String(layer.iter().map(|a| if *a == zero { '0' } else { '1' }).collect())
    } else {
        Value::Array(layer.iter().map(|a| Value::String(to_canonical(a))).collect())
    }
}

/// The `torchlean.certificate.v1` (method `bab`) of a verified property.
pub fn certificate_json(payload: &str, property: &str, intermediate: Intermediate, leaf: LeafBound, tree: &Tree) -> Value {
    json!({
        "format": "torchlean.certificate.v1",
        "method": "bab",
        "payload": payload,
        "property": property,
        "intermediate": intermediate.name(),
        "leaf_bound": leaf.name(),
        "nodes": nodes_json(tree),
    })
}

/// The `torchlean.counterexample.v1` of a violated `violation_dnf` property.
pub fn counterexample_json(payload: &str, property: &str, cex: &Counterexample) -> Value {
    let input: Vec<String> = cex.input.iter().map(|b| to_canonical(&b.to_rational().expect("finite input"))).collect();
    json!({
        "format": "torchlean.counterexample.v1",
        "semantics": "exact-rational",
        "payload": payload,
        "property": property,
        "input": input,
        "output": cex.exact_output.iter().map(to_canonical).collect::<Vec<_>>(),
        "disjunct": cex.disjunct,
        "f32_output": cex.f32_output.iter().map(|b| b.to_hex()).collect::<Vec<_>>(),
    })
}

/// What the Lean module states about one leaf.
pub enum LeanLeaf {
    /// IBP: the boxes after each layer (the leaf box first), and per disjunct the refuting row and
    /// its bound against the last box.
    Ibp { boxes: Vec<Box>, refute: Vec<Refutation> },
    /// CROWN: per layer the pre-activation box and the relaxation of every neuron; the boxes are
    /// justified as `intermediate` says (IBP of the previous box, or a CROWN pass per neuron).
    Crown { pre: Vec<Box>, relax: Vec<Vec<Relax>>, refute: Vec<Refutation>, intermediate: Intermediate },
}

/// Lean's `Relax` of every neuron of every layer, as the dyadic engine used them: exact lines for
/// identities and stable ReLUs; α and the rounded-down chord `h ≤ s'·(z − u) + u` otherwise.
fn relaxations(mlp: &Mlp, crown: &Crown) -> Vec<Vec<Relax>> {
    let zero = Q::from_integer(0.into());
    let one = Q::from_integer(1.into());
    mlp.layers
        .iter()
        .enumerate()
        .map(|(k, l)| {
            crown.pre[k]
                .iter()
                .enumerate()
                .map(|(i, iv)| match l.act {
                    Activation::Identity => Relax { alpha: one.clone(), slope: one.clone(), icpt: zero.clone() },
                    Activation::Relu if iv.hi <= zero => Relax { alpha: zero.clone(), slope: zero.clone(), icpt: zero.clone() },
                    Activation::Relu if iv.lo >= zero => Relax { alpha: one.clone(), slope: one.clone(), icpt: zero.clone() },
                    Activation::Relu => {
                        let s = crown.upper_slopes[k][i].clone();
                        let icpt = &iv.hi * (&one - &s);
                        Relax { alpha: crown.alphas[k][i].clone(), slope: s, icpt }
                    }
                })
                .collect()
        })
        .collect()
}

/// The Lean data of a leaf over `b`, re-derived from the network, the box, the recorded α and
/// refutations (so the module is a function of the artifacts).
pub fn lean_leaf(
    mlp: &Mlp,
    b: &Box,
    alphas: &[Vec<Q>],
    refute: &[Refutation],
    intermediate: Intermediate,
    leaf: LeafBound,
) -> Result<LeanLeaf> {
    Ok(match leaf {
        LeafBound::Ibp => {
            LeanLeaf::Ibp { boxes: ibp_mlp_rounded(mlp, b, Some(ROUND_BITS))?, refute: refute.to_vec() }
        }
        LeafBound::Crown => {
            let mut crown = relaxed_mlp(mlp, b, Some(ROUND_BITS), intermediate)?;
            crate::bounds::bab::set_alphas(mlp, &mut crown, alphas)?;
            LeanLeaf::Crown { relax: relaxations(mlp, &crown), pre: crown.pre, refute: refute.to_vec(), intermediate }
        }
    })
}

/// A counterexample of a `violation_dnf` property: a point of the box whose exact output is the
/// stated one and satisfies the stated disjunct, with the stated binary32 outputs (empty when it
/// is; otherwise one message per problem). `audit` and `check-cert` both use it.
pub fn counterexample_problems(mlp: &Mlp, p: &crate::property::Vnnlib, c: &crate::cert::schema::Counterexample) -> Vec<String> {
    let bits: Option<Vec<crate::num::binary32::F32>> = c
        .input
        .iter()
        .map(|q| {
            let b = crate::num::binary32::F32::from_rational(q);
            b.status.is_ok().then_some(b.value)
        })
        .collect();
    let Some(bits) = bits else { return vec!["input: expected binary32 values, found a value binary32 cannot hold".into()] };
    if let Some(why) = p.outside_region(&c.input) {
        return vec![format!("input: expected a point of the property's input region, {why}")];
    }
    match crate::bounds::attack::replay(mlp, p, &bits) {
        Err(e) => vec![format!("input: cannot evaluate the payload: {e}")],
        Ok(None) => vec!["input: expected a point of the box whose exact output satisfies a violation disjunct, found none".into()],
        Ok(Some(r)) => {
            let mut out = Vec::new();
            if r.exact_output != c.output {
                out.push("output: expected the payload's exact output at input, found a different one".into());
            }
            if let Some((d, f)) = &c.violation {
                if !crate::bounds::attack::satisfies(p.violation.get(*d).map_or(&[][..], |v| v), &c.output) {
                    out.push(format!("disjunct: expected a disjunct the output satisfies, found {d}"));
                }
                if *f != r.f32_output {
                    out.push("f32_output: expected the declared-order binary32 outputs at input, found different bits".into());
                }
            }
            out
        }
    }
}
