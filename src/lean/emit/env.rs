//! The module of a tree certificate of a network with smooth activations: its `SDense` layers,
//! the tree and its coverage, one `envLeafOk` leaf after another ([`crate::checker::env`]), and
//! `certified`/`certified_graph` for every choice `σ` of the smooth functions within the
//! enclosures (`Within σ`), the graph's denotation being `denoteS σ` (`IR/Smooth.lean`).
use std::fmt::Write;

use super::claim::{Fact, claim_section};
use super::network::{chain_layer_terms, graph_params_defs, input_shape};
use super::split_tree::{head, leaf_box_defs, tree_section};
use super::{Binding, header, module_name, open_namespace, sha_def};
use crate::bounds::dense::SmoothDense;
use crate::checker::env;
use crate::error::Result;
use crate::ir::Graph;
use crate::property::Vnnlib;
use crate::search::bab::Tree;

/// The certificate's module (`Certificates/<Module>.lean`) and its text.
pub fn env_modules(cert_name: &str, graph: &Graph, net: &SmoothDense, prop: &Vnnlib, tree: &Tree, binding: &Binding) -> Result<Vec<(String, String)>> {
    let m = module_name(cert_name);
    let n = net.layers.len();
    let leaves: Vec<_> = tree
        .leaf_boxes(&prop.input_box)?
        .into_iter()
        .map(|(b, refute, _)| env::data(net, &b).map(|boxes| (b, refute.to_vec(), boxes)))
        .collect::<Result<_>>()?;
    let count = leaves.len();
    let about = format!(
        "A {n}-layer network with smooth activations satisfies a VNN-LIB property on its whole input box,\n\
         for every choice `σ` of `tanh`, `σ` and GELU within the enclosures of `TorchLean.Bounds.Envelopes`\n\
         (`Within σ`): the split tree covers the box (`covered`) and every one of its {count} leaves refutes\n\
         each violation disjunct by IBP through the enclosures (`leafK_safe`)."
    );
    let mut s = String::new();
    header(&mut s, &[String::from("TorchLean.Cert.EnvLeaf"), String::from("TorchLean.Cert.Robust"), String::from("TorchLean.Cert.ClaimS")], cert_name, &about, binding);
    open_namespace(&mut s, &m);
    sha_def(&mut s, binding);
    graph_params_defs(&mut s, graph);
    for (i, (w, b, act)) in chain_layer_terms(graph).into_iter().enumerate() {
        let term = if matches!(act, "relu" | "identity") { format!(".exact .{act}") } else { format!(".smooth .{act}") };
        let _ = writeln!(s, "/-- Layer {i}: computed from the graph's parameters, then `{act}`. -/");
        let _ = writeln!(s, "@[expose] noncomputable def layer{i} : SDense := ⟨{w}, {b}, {term}⟩\n");
    }
    let layers: Vec<String> = (0..n).map(|i| format!("layer{i}")).collect();
    let _ = writeln!(s, "/-- The network: its layers in order. -/");
    let _ = writeln!(s, "@[expose] noncomputable def net : List SDense := [{}]\n", layers.join(", "));
    head(&mut s, None, prop);
    leaf_box_defs(&mut s, leaves.iter().map(|(b, _, _)| b).enumerate());
    tree_section(&mut s, tree);
    for (k, (_, refute, boxes)) in leaves.iter().enumerate() {
        env::emit(&mut s, n, k, boxes, refute);
    }
    let proofs: Vec<String> = (0..count).map(|k| format!("leaf{k}_safe σ hσ")).collect();
    let safe = env::SAFE;
    let _ = writeln!(s, "/-- Every leaf is safe, for `σ` within the enclosures. -/");
    let _ = writeln!(
        s,
        "theorem leaves_safe (σ : Fns) (hσ : Within σ) : AllLeaves (fun x => {safe}) tree.leaves :=\n  ⟨{}, trivial⟩\n",
        proofs.join(", ")
    );
    let _ = writeln!(
        s,
        "/-- **The certified fact**: for every `σ` within the enclosures, no real input in the property's box\n\
         makes `net` (exact rational semantics of the payload's binary32 weights, smooth activations by `σ`)\n\
         satisfy a violation disjunct. -/"
    );
    let _ = writeln!(
        s,
        "theorem certified : ∀ σ : Fns, Within σ → ∀ x : List Rat, Box.Mem box0 x → {safe} :=\n  \
         fun σ hσ => bab_sound covered (leaves_safe σ hσ)\n"
    );
    let shape = input_shape(graph);
    // `net`'s layers are the terms `smoothNet` builds from `params`, so `rfl` unfolds instead of
    // deciding an equality that would decode and compare both sides' matrices.
    let _ = writeln!(
        s,
        "/-- The graph is a chain whose dense view with these parameters is `net` (smooth activations\n\
         included), its input has shape {shape}, and the input box has as many coordinates as that shape\n\
         has elements. -/"
    );
    let _ = writeln!(
        s,
        "theorem lowered : smoothNet graph params = some net ∧ graph.inputs = [{shape}] ∧ box0.length = numel {shape} :=\n  \
         ⟨rfl, rfl, rfl⟩\n"
    );
    let _ = writeln!(
        s,
        "/-- On the input box the graph's denotation with smooth activations `σ`, with the payload's tensors\n\
         as parameters, is the network's output. -/"
    );
    let _ = writeln!(
        s,
        "theorem graph_denotes : ∀ σ : Fns, ∀ x : List Rat, Box.Mem box0 x →\n    \
         denoteS σ graph params [x] = some [evalNetS σ net x] :=\n  \
         fun σ _ hx => denoteS_of_smooth_mem σ lowered hx\n"
    );
    let _ = writeln!(
        s,
        "/-- **The certified fact, about the IR graph**: for every `σ` within the enclosures, every real input\n\
         in box 0 has a denotation under the graph (smooth activations by `σ`), and it satisfies no violation\n\
         disjunct. -/"
    );
    let _ = writeln!(
        s,
        "theorem certified_graph : ∀ σ : Fns, Within σ → ∀ x : List Rat, Box.Mem box0 x →\n    \
         ∃ y, denoteS σ graph params [x] = some [y] ∧ Safe violation y :=\n  \
         fun σ hσ x hx => ⟨evalNetS σ net x, graph_denotes σ x hx, certified σ hσ x hx⟩\n"
    );
    claim_section(&mut s, Fact::Safe, binding.texts.as_ref().map(|t| t.property), true);
    let _ = writeln!(s, "end Certificates.{m}");
    Ok(vec![(format!("Certificates/{m}.lean"), s)])
}
