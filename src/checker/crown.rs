//! `crownLeafOk` (Lean: `TorchLean.Cert.crownLeafOk`, sound by `crownLeafOk_safe` in
//! `lean/TorchLean/Cert/Bab.lean`): a leaf refuted by a CROWN pass per disjunct over hidden boxes
//! that are each the IBP image of the box below. The data (boxes and every neuron's `Relax`) are
//! those of the dyadic engine's run, so the kernel recomputes exactly what the search used.
//! [`super::crown_box`] is the same leaf with CROWN-justified hidden boxes.
use std::fmt::Write;

use super::syntax::{SAFE, box_literal, leaf_theorems, relax_literal};
use crate::bounds::crown::{Intermediate, relaxed_mlp};
use crate::bounds::dense::Dense;
use crate::bounds::relax::Relax;
use crate::error::Result;
use crate::num::Q;
use crate::num::interval::Box;
use crate::search::bab::{ROUND_BITS, Refutation, set_alphas};

/// The Lean checker's name.
pub const CHECK: &str = "crownLeafOk";
/// The Lean theorem that makes an accepted leaf safe.
pub const THEOREM: &str = "crownLeafOk_safe";

/// What the Lean module states about a CROWN leaf: per layer the pre-activation box and every
/// neuron's relaxation, with the recorded lower slopes `alphas`.
pub struct CrownData {
    pub pre: Vec<Box>,
    pub relax: Vec<Vec<Relax>>,
}

/// The data of a leaf over `b` whose hidden boxes are justified as `intermediate` says.
pub fn data(dense: &Dense, b: &Box, alphas: &[Vec<Q>], intermediate: Intermediate) -> Result<CrownData> {
    let mut crown = relaxed_mlp(dense, b, Some(ROUND_BITS), intermediate)?;
    set_alphas(dense, &mut crown, alphas)?;
    Ok(CrownData { relax: crown.relaxations(dense), pre: crown.pre })
}

/// Leaf `k`'s boxes, relaxations, steps, `leafK_ok` (checker `check`) and `leafK_safe`.
pub fn emit(s: &mut String, n: usize, k: usize, d: &CrownData, refute: &[Refutation], check: &str, what: &str) {
    let (pre, relax) = (&d.pre, &d.relax);
        for i in 0..n {
            let _ = writeln!(*s, "/-- Leaf {k}: pre-activation box of layer {i}. -/");
            let _ = writeln!(*s, "@[expose] noncomputable def leaf{k}Pre{i} : Box := {}\n", box_literal(&pre[i]));
            let _ = writeln!(*s, "/-- Leaf {k}: relaxation of layer {i}'s activation, one per neuron. -/");
            let _ = writeln!(*s, "@[expose] noncomputable def leaf{k}Relax{i} : List Relax := {}\n", relax_literal(&relax[i]));
        }
        let steps: Vec<String> = (0..n).map(|i| format!("(layer{i}, leaf{k}Pre{i}, leaf{k}Relax{i})")).collect();
        let _ = writeln!(*s, "/-- Leaf {k}'s layers with their boxes and relaxations. -/");
        let _ = writeln!(
            *s,
            "@[expose] noncomputable def leaf{k}Steps : List (Dense × Box × List Relax) := [{}]\n",
            steps.join(", ")
        );
    leaf_theorems(s, k, check, what, refute, SAFE);
}

/// What `leafK_ok` checks, in the module's words.
pub const WHAT: &str = "every pre-activation box (IBP of the previous one), every relaxation (α ∈ [0, 1],\n\
                        upper line above) and one combination of rows per disjunct refuted by CROWN, in one kernel check";
