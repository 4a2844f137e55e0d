//! Tree certificates (method `bab`): which leaf checker ([`LeafKind`]) a tree's Lean module takes,
//! the Rust re-check of every leaf as that checker's kernel run repeats it (`torchlean
//! check-cert`), and the leaves' data the module states. The choice is deterministic, so `audit`
//! re-derives the same module from the artifacts.
use rayon::prelude::*;

use super::crown::CrownData;
use super::packed::{LeafPk, Memo, NetPk, field_width, net_pk};
use super::{LeafKind, crown, crown_box, env, ibp};
use crate::bounds::crown::Intermediate;
use crate::bounds::dense::{Dense, View};
use std::time::Instant;

use crate::error::{Error, ErrorKind, Result};
use crate::ir::Graph;
use crate::num::Q;
use crate::num::interval::Box;
use crate::property::{LinearConstraint, Vnnlib};
use crate::search::bab::{LeafBound, Refutation, Tree, bound_objectives, refutes};

pub use super::syntax::SAFE;

/// Hidden neurons from which a tree with CROWN-justified boxes is offered to the packed checker
/// (`packedLeafOk`): the rational checker re-runs one CROWN pass per hidden neuron per leaf on
/// `Rat`, which on ACAS Xu exceeds the wasm toolchain's memory, while the packed one crosses each
/// weight once per leaf for all passes at once.
pub const PACKED_FROM_HIDDEN: usize = 16;

/// A leaf's data for one of the rational checkers.
pub enum RationalLeaf {
    Ibp(Vec<Box>),
    Crown(CrownData),
    CrownBox(CrownData),
}

/// The leaves of a tree, left to right, as its module checks them.
pub enum Leaves {
    /// One rational checker for every leaf: per leaf its box, refutations and data.
    Rational(Vec<(Box, Vec<Refutation>, RationalLeaf)>),
    /// The packed checker: the network's packed data, the field width, per leaf its box and data.
    Packed { net: NetPk, field: u32, leaves: Vec<(Box, LeafPk)> },
}

impl Leaves {
    /// Number of leaves.
    pub fn count(&self) -> usize {
        match self {
            Leaves::Rational(l) => l.len(),
            Leaves::Packed { leaves, .. } => leaves.len(),
        }
    }
    /// The checker every leaf takes.
    pub fn kind(&self, intermediate: Intermediate, leaf: LeafBound) -> LeafKind {
        match self {
            Leaves::Packed { .. } => LeafKind::Packed,
            Leaves::Rational(_) => rational_kind(intermediate, leaf),
        }
    }
}

/// The rational checker of a certificate with these bounds.
pub fn rational_kind(intermediate: Intermediate, leaf: LeafBound) -> LeafKind {
    match (leaf, intermediate) {
        (LeafBound::Ibp, _) => LeafKind::Ibp,
        (LeafBound::Crown, Intermediate::Ibp) => LeafKind::Crown,
        (LeafBound::Crown, Intermediate::Crown) => LeafKind::CrownBox,
    }
}

/// Whether a tree of these bounds on this network is offered to the packed checker.
pub fn packed_applies(dense: &Dense, intermediate: Intermediate, leaf: LeafBound) -> bool {
    let hidden_layers = &dense.layers[..dense.layers.len().saturating_sub(1)];
    let hidden: usize = hidden_layers.iter().map(|l| l.weight.len()).sum();
    // Lean's packed checker takes ReLU hidden layers and a linear last one (`NetActs`).
    let acts = hidden_layers.iter().all(|l| l.act == crate::bounds::dense::Activation::Relu)
        && dense.layers.last().is_some_and(|l| l.act == crate::bounds::dense::Activation::Identity);
    intermediate == Intermediate::Crown && leaf == LeafBound::Crown && hidden >= PACKED_FROM_HIDDEN && acts
}

/// The packed data of every leaf, or `None` when some leaf's fixed-point passes cannot refute it,
/// even with IBP boxes.
fn packed_leaves(dense: &Dense, prop: &Vnnlib, tree: &Tree, deadline: Option<Instant>, memo: &Memo) -> Result<Option<Leaves>> {
    let net = net_pk(dense, prop)?;
    let leaves = tree
        .leaf_boxes(&prop.input_box)?
        .into_par_iter()
        .map(|(b, refute, alphas)| {
            Error::check_deadline(deadline, "the certificate's leaves were computed")?;
            memo.leaf_pk(&net, prop, &b, alphas, refute).map(|l| (b, l))
        })
        .collect::<Result<Vec<_>>>();
    let leaves = match leaves {
        Ok(l) => l,
        Err(e) if matches!(e.kind(), ErrorKind::CheckFailed) => return Ok(None),
        Err(e) => return Err(e),
    };
    let packed: Vec<LeafPk> = leaves.iter().map(|(_, l)| l.clone()).collect();
    let field = field_width(&net, &packed);
    Ok(Some(Leaves::Packed { net, field, leaves }))
}

/// The leaves of a tree certificate as its Lean module checks them: the packed checker's when it
/// applies and accepts every leaf, else the rational checker of the certificate's bounds.
/// Gives up with a timeout error once `deadline` passes.
/// Packed leaves found in `memo` are not computed again.
pub fn leaves(
    dense: &Dense,
    prop: &Vnnlib,
    tree: &Tree,
    intermediate: Intermediate,
    leaf: LeafBound,
    deadline: Option<Instant>,
    memo: &Memo,
) -> Result<Leaves> {
    if packed_applies(dense, intermediate, leaf)
        && let Some(p) = packed_leaves(dense, prop, tree, deadline, memo)?
    {
        return Ok(p);
    }
    let kind = rational_kind(intermediate, leaf);
    let leaves = tree
        .leaf_boxes(&prop.input_box)?
        .into_par_iter()
        .map(|(b, refute, alphas)| {
            Error::check_deadline(deadline, "the certificate's leaves were computed")?;
            let data = match kind {
                LeafKind::Ibp => RationalLeaf::Ibp(ibp::data(dense, &b)?),
                LeafKind::Crown => RationalLeaf::Crown(crown::data(dense, &b, alphas, Intermediate::Ibp)?),
                _ => RationalLeaf::CrownBox(crown_box::data(dense, &b, alphas)?),
            };
            Ok((b, refute.to_vec(), data))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Leaves::Rational(leaves))
}

/// Re-checks a tree certificate without searching, as the kernel will check its module: with the
/// packed checker when the module takes it (every leaf's packed run), else every leaf's
/// refutations re-bounded with its recorded α by the rational checker's computation, each reaching
/// the recorded bound, which must refute its weighted row. Returns the checker and the number of
/// leaves; errors name the leaf and disjunct.
pub fn recheck(graph: &Graph, prop: &Vnnlib, tree: &Tree, intermediate: Intermediate, leaf: LeafBound) -> Result<(LeafKind, usize)> {
    let view = View::of(graph)?;
    let widths = match &view {
        View::Dense(d) => d.widths()?,
        View::Env(n) => n.widths()?,
    };
    crate::search::bab::check_shape(&widths, prop)?;
    let leaves = tree.leaf_boxes(&prop.input_box)?;
    for (n, (_, refute, _)) in leaves.iter().enumerate() {
        if refute.len() != prop.violation.len() {
            return Err(Error::check_failed(format!(
                "leaf {n}: expected one refutation per disjunct ({}), found {}",
                prop.violation.len(),
                refute.len()
            )));
        }
    }
    if let View::Dense(dense) = &view
        && packed_applies(dense, intermediate, leaf)
        && packed_leaves(dense, prop, tree, None, &Memo::default())?.is_some()
    {
        return Ok((LeafKind::Packed, leaves.len()));
    }
    let checked: Vec<Result<()>> = leaves
        .par_iter()
        .enumerate()
        .map(|(n, (b, refute, alphas))| {
            let combined: Vec<LinearConstraint> = refute
                .iter()
                .zip(&prop.violation)
                .enumerate()
                .map(|(d, (r, conj))| r.combined(conj).map_err(|why| Error::check_failed(format!("leaf {n} disjunct {d}: {why}"))))
                .collect::<Result<_>>()?;
            let objectives: Vec<Vec<Q>> = combined.iter().map(|c| c.coeffs.clone()).collect();
            let lower = match &view {
                View::Dense(dense) => bound_objectives(dense, b, intermediate, leaf, Some(alphas), &objectives).map(|(l, _)| l),
                View::Env(net) => env::lower_bounds(net, b, &objectives),
            }
            .map_err(|e| e.context(format!("leaf {n}")))?;
            for (d, ((r, c), got)) in refute.iter().zip(&combined).zip(&lower).enumerate() {
                if !refutes(c, &r.bound) {
                    return Err(Error::check_failed(format!(
                        "leaf {n} disjunct {d}: the claimed bound {} does not refute `≤ {}`",
                        r.bound, c.rhs
                    )));
                }
                if *got < r.bound {
                    return Err(Error::check_failed(format!(
                        "leaf {n} disjunct {d}: claimed lower bound {}, recomputed {got}",
                        r.bound
                    )));
                }
            }
            Ok(())
        })
        .collect();
    checked.into_iter().collect::<Result<Vec<()>>>()?;
    let kind = match view {
        View::Dense(_) => rational_kind(intermediate, leaf),
        View::Env(_) => LeafKind::Env,
    };
    Ok((kind, leaves.len()))
}
