//! `ibpLeafOk` (Lean: `TorchLean.Cert.ibpLeafOk`, sound by `ibpLeafOk_safe` in
//! `lean/TorchLean/Cert/Bab.lean`): a leaf refuted through the exact IBP chain of the network,
//! every box rounded outward to 64-bit dyadics. The Rust re-check and the Lean data are the same
//! computation ([`crate::bounds::ibp::ibp_mlp_rounded`]), so the boxes Lean is given are the ones
//! it recomputes.

use super::syntax::{SAFE, chain_defs, leaf_theorems};
use crate::bounds::dense::Dense;
use crate::bounds::ibp::ibp_mlp_rounded;
use crate::error::Result;
use crate::num::interval::Box;
use crate::search::bab::{ROUND_BITS, Refutation};

/// The Lean checker's name.
pub const CHECK: &str = "ibpLeafOk";
/// The Lean theorem that makes an accepted leaf safe.
pub const THEOREM: &str = "ibpLeafOk_safe";

/// What the Lean module states about the leaf: the boxes after each layer, the leaf box first.
pub fn data(dense: &Dense, b: &Box) -> Result<Vec<Box>> {
    ibp_mlp_rounded(dense, b, Some(ROUND_BITS))
}

/// Leaf `k`'s boxes, its chain, `leafK_ok` and `leafK_safe` (`n` layers).
pub fn emit(s: &mut String, n: usize, k: usize, boxes: &[Box], refute: &[Refutation]) {
        chain_defs(s, n, k, boxes, "Dense", &format!("Leaf {k}'s IBP chain."));
        let what = "every layer step (exact IBP) and one refuted row per disjunct, in one kernel check";
        leaf_theorems(s, k, CHECK, what, refute, SAFE);
}
