//! Modules for tree certificates (`bab`): the tree and its coverage, one `leafK_ok`/`leafK_safe`
//! pair per leaf from the leaf kind's checker ([`crate::checker`]), and `certified` from
//! `TorchLean.Cert.bab_sound`. Packed trees are written in part modules, each built by its own Lean
//! process.
use std::fmt::Write;

use super::binding::strong_section;
use super::claim::{Fact, claim_section};
use super::network::{Lowering, certified_graph, lowered_section, net_defs, network_section};
use super::split_tree::{head, layers_finite, leaf_box_defs, tree_section, violation_def};
use super::{Binding, header, module_name, open_namespace, sha_def};
use crate::bounds::dense::Dense;
use crate::checker::tree::{Leaves, RationalLeaf, SAFE};
use crate::checker::{crown, crown_box, ibp, packed};
use crate::property::Vnnlib;
use crate::search::bab::Tree;

/// Weights the leaves of one part module cross in all (a leaf's packed run crosses each weight
/// once). Every part is its own Lean process, and on the wasm toolchain starting one costs about
/// 15 s whatever it holds; so parts are as large as the kernel's memory allows. The wasm worker
/// has a 4 GiB heap. With Lean elaborating on four threads, two ACAS Xu leaves per part were the
/// most it held. With one thread (the driver's `-DElab.async=false -j1`) the kernel checks a part's
/// declarations one after another and frees each one's caches: the resident memory of the whole
/// process barely grows with the part (2.1 GB for one ACAS Xu leaf of 13,000 weights, 2.45 GB for
/// a part of 24 of them, eight with IBP boxes; session 29).
pub const PART_WEIGHTS: usize = 400_000;

/// Leaves per part for `count` leaves of a network with `weights` weights: at most
/// `PART_WEIGHTS` crossed per part, and the leaves spread evenly over the fewest parts.
pub fn leaves_per_part(weights: usize, count: usize) -> usize {
    let cap = (PART_WEIGHTS / weights.max(1)).max(1);
    let parts = count.div_ceil(cap).max(1);
    count.div_ceil(parts).max(1)
}

/// The modules checking a branch-and-bound certificate of the network `graph` of a `violation_dnf` property, as paths
/// under the Lean project and texts, the certificate's own module (`Certificates/<Module>.lean`)
/// first. Rational leaves make one module: the tree and its coverage, then per leaf one `decide
/// +kernel` check and the leaf's `safe` theorem, and `certified` from `TorchLean.Cert.bab_sound`.
/// Packed leaves make the network module `Networks/N<hash>` (the layers and the facts the kernel
/// checks once per network, shared by every certificate of the payload) and parts
/// `Certificates/<Module>/LeavesI` ([`leaves_per_part`] leaves each, with the property and its
/// widths), which the certificate's module imports to combine.
#[allow(clippy::too_many_arguments)]
pub fn tree_modules(
    cert_name: &str,
    graph: &crate::ir::Graph,
    prop: &Vnnlib,
    tree: &Tree,
    intermediate: crate::bounds::crown::Intermediate,
    leaf: crate::search::bab::LeafBound,
    binding: &Binding,
    deadline: Option<std::time::Instant>,
    memo: &crate::checker::packed::Memo,
) -> crate::error::Result<(crate::checker::LeafKind, Vec<(String, String)>)> {
    let dense = match crate::bounds::dense::View::of(graph)? {
        crate::bounds::dense::View::Dense(d) => d,
        crate::bounds::dense::View::Env(net) => {
            return Ok((crate::checker::LeafKind::Env, super::env::env_modules(cert_name, graph, &net, prop, tree, binding)?));
        }
    };
    let leaves = crate::checker::tree::leaves(&dense, prop, tree, intermediate, leaf, deadline, memo)?;
    Ok((leaves.kind(intermediate, leaf), bab_module(cert_name, &dense, Lowering::of(graph), prop, tree, &leaves, binding)))
}

/// The modules of a tree certificate whose leaves' data are `leaves` (see [`tree_modules`]).
pub fn bab_module(
    cert_name: &str,
    mlp: &Dense,
    lowering: Lowering,
    prop: &Vnnlib,
    tree: &Tree,
    leaves: &Leaves,
    binding: &Binding,
) -> Vec<(String, String)> {
    let m = module_name(cert_name);
    let n = mlp.layers.len();
    let count = leaves.count();
    let about = format!(
        "A {n}-layer dense network satisfies a VNN-LIB property on its whole input box: the split tree\n\
         covers the box (`covered`) and every one of its {count} leaves refutes each violation disjunct\n\
         (`leafK_safe`); `certified` combines them with `TorchLean.Cert.bab_sound`."
    );
    let main_path = format!("Certificates/{m}.lean");
    let (net, field, packed) = match leaves {
        Leaves::Rational(leaves) => {
            let mut s = String::new();
            let mut imports = vec![String::from("TorchLean.Cert.Bab"), String::from("TorchLean.Cert.Robust")];
            imports.extend(lowering.imports().iter().map(|i| i.to_string()));
            header(&mut s, &imports, cert_name, &about, binding);
            network_section(&mut s, &m, mlp, lowering, binding);
            bab_head(&mut s, mlp, lowering, prop);
            leaf_box_defs(&mut s, leaves.iter().map(|(b, _, _)| b).enumerate());
            tree_section(&mut s, tree);
            for (k, (_, refute, leaf)) in leaves.iter().enumerate() {
                match leaf {
                    RationalLeaf::Ibp(boxes) => ibp::emit(&mut s, n, k, boxes, refute),
                    RationalLeaf::Crown(d) => crown::emit(&mut s, n, k, d, refute, crown::CHECK, crown::WHAT),
                    RationalLeaf::CrownBox(d) => crown_box::emit(&mut s, n, k, d, refute),
                }
            }
            bab_tail(&mut s, mlp, lowering, count, binding);
            let _ = writeln!(s, "end Certificates.{m}");
            return vec![(main_path, s)];
        }
        Leaves::Packed { net, field, leaves } => (net, *field, leaves),
    };
    let part_doc = |what: &str| {
        format!(
            "/-! # Part of certificate `{cert_name}` (generated by torchlean; do not edit)\n\n{what}\n\
             `Certificates.{m}` combines the parts. -/\n"
        )
    };
    let mut out = Vec::new();
    let network = network_module(binding.payload);
    let network_ns = network.replace('/', ".");
    // The network module: its layers and the packed checker's facts about its columns, the same
    // for every certificate of the payload, so they are checked once however many import it.
    let mut s = String::from("module\n\n");
    for c in ["Bab", "PackedLeaf", "Lowered", "Artifact", "Robust"] {
        let _ = writeln!(s, "public import TorchLean.Cert.{c}");
    }
    let _ = writeln!(
        s,
        "\n/-! # Network `{}` (generated by torchlean; do not edit)\n\n\
         The payload's layers, and the packed checker's facts about the network that hold for every\n\
         property: every weight is a finite binary32 (`layers_finite`), the integer columns are the\n\
         layers' weights (`cols_described`), and their split parts, sums and lengths agree (`cols_ok`).\n\
         Every certificate of this payload imports this module and adds its property's widths. -/\n",
        binding.payload
    );
    let _ = writeln!(s, "public section\n\nnamespace {network_ns}\n");
    let _ = writeln!(s, "open TorchLean.IR TorchLean.Bounds TorchLean.Cert TorchLean.Num.Binary32\n");
    net_defs(&mut s, mlp, lowering);
    literal_layers_finite(&mut s, mlp, lowering);
    packed::emit_network_cols(&mut s, mlp, net);
    let _ = writeln!(s, "end {network_ns}");
    let network_file = (format!("{network}.lean"), s);
    let open_network = |s: &mut String| {
        let _ = writeln!(*s, "open {network_ns}\n");
    };
    let mut parts = Vec::new();
    let weights: usize = mlp.layers.iter().map(|l| l.weight.iter().map(Vec::len).sum::<usize>()).sum();
    let per_part = leaves_per_part(weights, packed.len());
    for (p, chunk) in packed.chunks(per_part).enumerate() {
        let first = p * per_part;
        // Each part states the property and its widths itself (`Leaves<p>.violation`, `pks`, …):
        // a module of their own would cost every certificate one more Lean start (about 15 s on
        // the wasm toolchain); the kernel checks the copies in well under a second.
        let mut s = format!("module\n\npublic import {network_ns}\n");
        for c in ["Bab", "PackedLeaf"] {
            let _ = writeln!(s, "public import TorchLean.Cert.{c}");
        }
        let _ = writeln!(
            s,
            "\n{}",
            part_doc(&format!(
                "Leaves {first} to {}: the property and the packed checker's widths for it on the network's\n\
                 columns (`{network_ns}`, checked once per network), then each leaf's box, its packed data\n\
                 and its check.",
                first + chunk.len() - 1
            ))
        );
        open_namespace(&mut s, &m);
        open_network(&mut s);
        let _ = writeln!(s, "namespace Leaves{p}\n");
        violation_def(&mut s, prop);
        packed::emit_widths(&mut s, mlp, net, field);
        let _ = writeln!(s, "end Leaves{p}\n\nopen Leaves{p}\n");
        leaf_box_defs(&mut s, chunk.iter().map(|(b, _)| b).enumerate().map(|(i, b)| (first + i, b)));
        for (i, (_, leaf)) in chunk.iter().enumerate() {
            packed::emit_leaf(&mut s, mlp, net, field, first + i, leaf);
        }
        let _ = writeln!(s, "end Certificates.{m}");
        parts.push(format!("Certificates.{m}.Leaves{p}"));
        out.push((format!("Certificates/{m}/Leaves{p}.lean"), s));
    }
    let mut s = String::new();
    let mut imports: Vec<String> = vec![network_ns.clone()];
    imports.extend(["Bab", "PackedLeaf", "Robust"].iter().map(|c| format!("TorchLean.Cert.{c}")));
    imports.extend(lowering.imports().iter().map(|i| i.to_string()));
    imports.extend(parts);
    header(&mut s, &imports, cert_name, &about, binding);
    open_namespace(&mut s, &m);
    open_network(&mut s);
    head(&mut s, None, prop);
    sha_def(&mut s, binding);
    tree_section(&mut s, tree);
    bab_tail(&mut s, mlp, lowering, count, binding);
    let _ = writeln!(s, "end Certificates.{m}");
    out.insert(0, (main_path, s));
    out.push(network_file);
    out
}

/// The path (without `.lean`) of the network module of the payload `sha256:<hex>`:
/// `Networks/N<first 16 hex digits>`, shared by every certificate of that payload.
pub fn network_module(payload: &str) -> String {
    let hex = payload.strip_prefix("sha256:").unwrap_or(payload);
    format!("Networks/N{}", &hex[..hex.len().min(16)])
}

/// `layers_finite`, when the layers are packed literals (the mlp lowering).
fn literal_layers_finite(s: &mut String, mlp: &Dense, lowering: Lowering) {
    if matches!(lowering, Lowering::Mlp) {
        layers_finite(s, mlp.layers.len());
    }
}

/// `layers_finite` (layers stated as packed literals: the mlp lowering), the violation and the
/// property's input box.
fn bab_head(s: &mut String, mlp: &Dense, lowering: Lowering, prop: &Vnnlib) {
    head(s, matches!(lowering, Lowering::Mlp).then_some(mlp.layers.len()), prop)
}

/// `leaves_safe`, `certified`, the IR graph and the strong binding.
fn bab_tail(s: &mut String, mlp: &Dense, lowering: Lowering, count: usize, binding: &Binding) {
    let n = mlp.layers.len();
    let proofs: Vec<String> = (0..count).map(|k| format!("leaf{k}_safe")).collect();
    let _ = writeln!(*s, "/-- Every leaf is safe. -/");
    let _ = writeln!(
        *s,
        "theorem leaves_safe : AllLeaves (fun x => {SAFE}) tree.leaves :=\n  ⟨{}, trivial⟩\n",
        proofs.join(", ")
    );
    let _ = writeln!(
        *s,
        "/-- **The certified fact**: no real input in the property's box makes `net` (exact rational\n\
         semantics of the payload's binary32 weights) satisfy a violation disjunct. -/"
    );
    let _ = writeln!(
        *s,
        "theorem certified : ∀ x : List Rat, Box.Mem box0 x → {SAFE} :=\n  bab_sound covered leaves_safe\n"
    );
    lowered_section(s, mlp, lowering);
    certified_graph(s, mlp, lowering, "Safe violation y", "under the graph, and it satisfies no violation disjunct");
    claim_section(s, Fact::Safe, binding.texts.as_ref().map(|t| t.property), false);
    // The strong binding reads mlp payloads (`mlpOfPayload`); other families keep the weak one.
    if let Lowering::Mlp = lowering {
        strong_section(s, mlp, binding, n, &["violation_dnf", "linf_robust"]);
    }
}

#[cfg(test)]
mod tests {
    use super::leaves_per_part;

    #[test]
    fn parts_hold_at_most_the_weight_budget_spread_evenly() {
        // ACAS Xu (13,000 weights): at most 30 leaves a part, so 30 leaves make 1 part, 157
        // make 6 of at most 27, and 31 make 2 of at most 16.
        assert_eq!(leaves_per_part(13_000, 30), 30);
        assert_eq!(leaves_per_part(13_000, 157), 27);
        assert_eq!(leaves_per_part(13_000, 31), 16);
        assert_eq!(leaves_per_part(13_000, 1), 1);
        // A 3-10-10-2 network: every leaf in one part.
        assert_eq!(leaves_per_part(150, 4), 4);
        // A network past the budget on its own: one leaf a part.
        assert_eq!(leaves_per_part(400_000, 5), 1);
        assert_eq!(leaves_per_part(0, 0), 1);
    }
}
