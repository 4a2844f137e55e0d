//! `crownBoxLeafOk` (Lean: `TorchLean.Cert.crownBoxLeafOk`, sound by `crownBoxLeafOk_safe` in
//! `lean/TorchLean/Cert/Bab.lean`, the hidden bounds by `boxesOk_sandwiched` in
//! `Cert/CrownBoxes.lean`): a CROWN leaf ([`super::crown`]) whose hidden boxes are each justified by
//! IBP of the box below or by a CROWN pass of its own. The kernel re-runs one backward pass per
//! hidden neuron, so on large networks the packed checker ([`super::packed`]) is preferred.
use super::crown::{CrownData, data as crown_data, emit as crown_emit};
use crate::bounds::crown::Intermediate;
use crate::bounds::dense::Dense;
use crate::error::Result;
use crate::num::Q;
use crate::num::interval::Box;
use crate::search::bab::Refutation;

/// The Lean checker's name.
pub const CHECK: &str = "crownBoxLeafOk";
/// The Lean theorem that makes an accepted leaf safe.
pub const THEOREM: &str = "crownBoxLeafOk_safe";

/// What `leafK_ok` checks, in the module's words.
pub const WHAT: &str = "every pre-activation bound (IBP of the previous box or a CROWN pass of its own),\n\
                        every relaxation and one combination of rows per disjunct refuted by CROWN, in one kernel check";

/// The data of a leaf over `b`: CROWN boxes per hidden neuron, met with IBP.
pub fn data(dense: &Dense, b: &Box, alphas: &[Vec<Q>]) -> Result<CrownData> {
    crown_data(dense, b, alphas, Intermediate::Crown)
}

/// Leaf `k`'s data and theorems.
pub fn emit(s: &mut String, n: usize, k: usize, d: &CrownData, refute: &[Refutation]) {
    crown_emit(s, n, k, d, refute, CHECK, WHAT);
}
