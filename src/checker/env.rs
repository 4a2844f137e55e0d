//! `envLeafOk` (Lean: `TorchLean.Cert.envLeafOk`, sound by `envLeafOk_safe` in
//! `lean/TorchLean/Cert/EnvLeaf.lean`): a leaf of a network with smooth activations, refuted
//! through IBP over the activations' enclosures, every box rounded outward to 64-bit dyadics. The
//! Rust re-check and the Lean data are the same computation
//! ([`crate::bounds::envelope::ibp_env_rounded`]), so the boxes Lean is given are the ones it
//! recomputes. The theorem holds for every choice of the smooth functions within the enclosures
//! (`Within σ`).
use std::fmt::Write;

use super::syntax::{chain_defs, refs_literal};
use crate::bounds::dense::SmoothDense;
use crate::bounds::envelope::ibp_env_rounded;
use crate::error::Result;
use crate::num::Q;
use crate::num::interval::{Box, dot};
use crate::search::bab::{ROUND_BITS, Refutation};

/// The Lean checker's name.
pub const CHECK: &str = "envLeafOk";
/// The Lean theorem that makes an accepted leaf safe.
pub const THEOREM: &str = "envLeafOk_safe";
/// What a leaf's `safe` theorem proves about an input of its box, for `σ` within the enclosures.
pub const SAFE: &str = "Safe violation (evalNetS σ net x)";

/// What the Lean module states about the leaf: the boxes after each layer, the leaf box first.
pub fn data(net: &SmoothDense, b: &Box) -> Result<Vec<Box>> {
    ibp_env_rounded(net, b, Some(ROUND_BITS))
}

/// Lower bounds of `c·y` for each objective `c` over the leaf box `b`: the kernel's
/// `(ibpDot c (envOut B steps)).lo` (`torchlean check-cert`'s re-check).
pub fn lower_bounds(net: &SmoothDense, b: &Box, objectives: &[Vec<Q>]) -> Result<Vec<Q>> {
    let boxes = data(net, b)?;
    let out = boxes.last().expect("the leaf box comes first");
    Ok(objectives.iter().map(|c| dot(c, out).lo).collect())
}

/// Leaf `k`'s boxes, its chain, `leafK_ok` and `leafK_safe` (`n` layers).
pub fn emit(s: &mut String, n: usize, k: usize, boxes: &[Box], refute: &[Refutation]) {
    chain_defs(s, n, k, boxes, "SDense", &format!("Leaf {k}'s chain of enclosures."));
    let _ = writeln!(
        *s,
        "/-- Leaf {k}: every layer step (exact IBP, smooth activations through their enclosures) and one\n\
         refuted row per disjunct, in one kernel check. -/"
    );
    let _ = writeln!(
        *s,
        "theorem leaf{k}_ok : {CHECK} violation leaf{k}Box leaf{k}Steps {} = true := by decide +kernel\n",
        refs_literal(refute)
    );
    let _ = writeln!(*s, "/-- No input of leaf {k}'s box violates the property, for any `σ` within the enclosures. -/");
    let _ = writeln!(
        *s,
        "theorem leaf{k}_safe : ∀ σ : Fns, Within σ → ∀ x : List Rat, Box.Mem leaf{k}Box x → {SAFE} :=\n  \
         {THEOREM} (dnf := violation) (B := leaf{k}Box) (steps := leaf{k}Steps) leaf{k}_ok\n"
    );
}
