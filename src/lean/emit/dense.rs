//! Modules for certificates of a dense network over one box: the demo's IBP chain
//! (`chain_sound`, with the binary32 execution's enclosure `certified_binary32`) and a CROWN
//! certificate of output bounds (`crown_certified`).
use std::fmt::Write;

use super::binding::strong_section;
use super::claim::{Fact, claim_section};
use super::network::{Lowering, certified_graph, layer_defs, lowered_section, network_section};
use super::{Binding, certificate_header, module_name};
use crate::bounds::dense::Dense;
use crate::checker::syntax::{box_literal, rat, relax_literal};
use crate::num::interval::Box;

/// The text of `Certificates/<Module>.lean` for an IBP certificate of a dense network.
/// `boxes` are `[input, after layer 1, …, output]`.
pub fn dense_ibp_module(cert_name: &str, mlp: &Dense, boxes: &[Box], binding: &Binding) -> String {
    let m = module_name(cert_name);
    let n = mlp.layers.len();
    let mut s = String::new();
    let mut about = format!(
        "Exact IBP certificate for a {n}-layer dense network. Each `step` lemma is checked by the kernel;\n\
         `certified` chains them with `TorchLean.Cert.chain_sound`."
    );
    let binary32 = binary32_stages(mlp, &boxes[0]);
    if binary32.is_ok() {
        about.push_str(
            " `certified_binary32` states the same\n\
             network's binary32 execution enclosed by directed rounding, checked the same way.",
        );
    }
    certificate_header(&mut s, &["DenseIBP", "DenseIBPF32"], cert_name, &about, binding);
    network_section(&mut s, &m, mlp, Lowering::Mlp, binding);
    for (k, b) in boxes.iter().enumerate() {
        let what = if k == 0 { "the input region".to_string() } else { format!("the claimed enclosure after layer {}", k - 1) };
        let _ = writeln!(s, "/-- Box {k}: {what}. -/");
        let _ = writeln!(s, "@[expose] noncomputable def box{k} : Box := {}\n", box_literal(b));
    }
    for i in 0..n {
        let _ = writeln!(s, "/-- Every weight and bias of layer {i} is a finite binary32. -/");
        let _ = writeln!(
            s,
            "theorem layer{i}_finite : (allFiniteRows layer{i}Weight && allFinite layer{i}Bias) = true := by decide +kernel\n"
        );
        let _ = writeln!(s, "/-- Layer {i} maps box {i} into box {}: exact IBP, recomputed by the kernel. -/", i + 1);
        let _ = writeln!(s, "theorem step{i} : checkStep layer{i} box{i} box{} = true := by decide +kernel\n", i + 1);
    }
    let steps: Vec<String> = (0..n).map(|i| format!("(layer{i}, box{})", i + 1)).collect();
    let proofs: Vec<String> = (0..n).map(|i| format!("step{i}")).collect();
    let _ = writeln!(
        s,
        "/-- **The certified fact**: every real input in box 0 is mapped by `net` (exact rational\n\
         semantics of the payload's binary32 weights) into box {n}. -/"
    );
    let _ = writeln!(
        s,
        "theorem certified : ∀ x : List Rat, Box.Mem box0 x → Box.Mem box{n} (evalNet net x) :=\n  \
         fun _ hx => chain_sound (B := box0) (steps := [{}]) ⟨{}, trivial⟩ hx\n",
        steps.join(", "),
        proofs.join(", ")
    );
    binary32_section(&mut s, mlp, binary32);
    lowered_section(&mut s, mlp, Lowering::Mlp);
    certified_graph(&mut s, mlp, Lowering::Mlp, &format!("Box.Mem box{n} y"), &format!("under the graph, and it lies in box {n}"));
    claim_section(&mut s, Fact::InBox(n), binding.texts.as_ref().map(|t| t.property), false);
    strong_section(&mut s, mlp, binding, n, &["output_box"]);
    let _ = writeln!(s, "end Certificates.{m}");
    s
}

/// The binary32 boxes of [`binary32_section`], or why none is stated.
fn binary32_stages(mlp: &Dense, input: &Box) -> std::result::Result<Vec<Vec<[crate::num::binary32::F32; 2]>>, String> {
    let stages = crate::bounds::ibp_f32::ibp_f32_bits(mlp, input).map_err(|e| format!("{e}."))?;
    let exact = stages[0]
        .iter()
        .zip(input)
        .all(|(iv, b)| iv[0].to_rational().as_ref() == Some(&b.lo) && iv[1].to_rational().as_ref() == Some(&b.hi));
    if !exact {
        return Err("an end of box 0 is not a binary32 value, and the library does not yet prove that\n\
                    rounding it inward keeps every binary32 input of the box."
            .to_string());
    }
    Ok(stages)
}

/// The binary32 execution of the network enclosed layer by layer (`bounds::ibp_f32`), each step
/// checked by the kernel with `rowsIv32`, ending in `certified_binary32`. Stated only when box 0's
/// ends are binary32 values (so the binary32 box is box 0 itself, which the kernel checks); the
/// module says why when it is not.
fn binary32_section(s: &mut String, mlp: &Dense, stages: std::result::Result<Vec<Vec<[crate::num::binary32::F32; 2]>>, String>) {
    use crate::num::binary32::F32;
    let _ = writeln!(*s, "/-! ## The binary32 execution\n");
    let stages = match stages {
        Ok(st) => st,
        Err(why) => {
            let _ = writeln!(*s, "Not stated: {why}\n-/\n");
            return;
        }
    };
    let _ = writeln!(
        *s,
        "The payload's bit patterns executed in binary32 as `src/ir/eval.rs` runs them (`evalNet32`: each\n\
         dot product left to right, every operation rounded to nearest even, the bias last), enclosed\n\
         layer by layer by rounding lower ends down and upper ends up (`rowsIv32`, the Lean twin of\n\
         `bounds::ibp_f32`). These boxes are wider than the exact ones by that rounding.\n-/\n"
    );
    let n = mlp.layers.len();
    for (i, l) in mlp.layers.iter().enumerate() {
        let _ = writeln!(*s, "/-- Layer {i} in binary32: the payload's bit patterns, then `{}`. -/", l.act.name());
        let _ = writeln!(*s, "@[expose] noncomputable def layer{i}F32 : Dense32 := ⟨layer{i}Weight, layer{i}Bias, .{}⟩\n", l.act.name());
    }
    let layers: Vec<String> = (0..n).map(|i| format!("layer{i}F32")).collect();
    let _ = writeln!(*s, "/-- The network in binary32: its layers in order. -/");
    let _ = writeln!(*s, "@[expose] noncomputable def net32 : List Dense32 := [{}]\n", layers.join(", "));
    let hex = |b: &F32| format!("0x{:08x}", b.to_bits());
    for (k, st) in stages.iter().enumerate() {
        let what = if k == 0 {
            "box 0 as binary32 patterns (its ends are binary32 values)".to_string()
        } else {
            format!("the binary32 enclosure after layer {}", k - 1)
        };
        let ends: Vec<String> = st.iter().map(|iv| format!("⟨{}, {}⟩", hex(&iv[0]), hex(&iv[1]))).collect();
        let _ = writeln!(*s, "/-- Binary32 box {k}: {what}. -/");
        let _ = writeln!(*s, "@[expose] def box32_{k} : List Iv32 := [{}]\n", ends.join(", "));
    }
    let _ = writeln!(*s, "/-- Binary32 box 0 is box 0: its ends' values are box 0's ends. -/");
    let _ = writeln!(*s, "theorem box32_0_ends : decodeBox box32_0 = box0 := by decide +kernel\n");
    for i in 0..n {
        let _ = writeln!(
            *s,
            "/-- Layer {i}'s biases are finite and its directed-rounding enclosure of binary32 box {i} is binary32\n\
             box {}, recomputed by the kernel. -/",
            i + 1
        );
        let _ = writeln!(
            *s,
            "theorem step32_{i} : allFinite layer{i}Bias = true ∧ rowsIv32 .{} box32_{i} layer{i}Weight layer{i}Bias = some box32_{} := by\n  \
             decide +kernel\n",
            mlp.layers[i].act.name(),
            i + 1
        );
    }
    let steps: Vec<String> = (0..n).map(|i| format!("(layer{i}F32, box32_{})", i + 1)).collect();
    let proofs: Vec<String> = (0..n).map(|i| format!("step32_{i}")).collect();
    let _ = writeln!(
        *s,
        "/-- **The certified fact, in binary32**: every finite binary32 input whose values lie in box 0,\n\
         executed in binary32 in the declared order, gives finite outputs whose values lie in binary32\n\
         box {n}. -/"
    );
    let _ = writeln!(
        *s,
        "theorem certified_binary32 : ∀ xs : List Nat, allFinite xs = true → Box.Mem box0 (xs.map decode) →\n    \
         allFinite (evalNet32 net32 xs) = true ∧ Box.Mem (decodeBox box32_{n}) ((evalNet32 net32 xs).map decode) :=\n  \
         fun _ hf hx => chain32_certified (steps := [{}]) ⟨{}, trivial⟩ box32_0_ends hf hx\n",
        steps.join(", "),
        proofs.join(", ")
    );
}

/// The text of a module checking a CROWN certificate of a dense network's output bounds: one
/// `decide +kernel` lemma per layer fact (pre-activation box, relaxation validity, shapes), the chain,
/// and per output `j` the theorems `outJ_lower` / `outJ_upper` from `crown_certified`.
pub fn dense_crown_module(cert_name: &str, mlp: &Dense, input: &Box, cert: &crate::checker::dense_crown::CrownCertificate) -> String {
    let m = module_name(cert_name);
    let n = mlp.layers.len();
    let mut s = String::new();
    let _ = writeln!(s, "module\n\npublic import TorchLean.Cert.DenseCrown\npublic import TorchLean.Cert.Lowered\n");
    let _ = writeln!(
        s,
        "/-! # CROWN certificate `{cert_name}` (generated by torchlean; do not edit)\n\n\
         Output bounds of a {n}-layer dense network by CROWN with IBP pre-activation boxes; every fact\n\
         is recomputed by the kernel and combined by `TorchLean.Cert.crown_certified`.\n-/\n"
    );
    let _ = writeln!(s, "public section\n\nnamespace Certificates.{m}\n");
    let _ = writeln!(s, "open TorchLean.IR TorchLean.Bounds TorchLean.Cert TorchLean.Num.Binary32\n");
    layer_defs(&mut s, mlp);
    let layers: Vec<String> = (0..n).map(|i| format!("layer{i}")).collect();
    let _ = writeln!(s, "/-- The network: its layers in order. -/");
    let _ = writeln!(s, "@[expose] noncomputable def net : List Dense := [{}]\n", layers.join(", "));
    let _ = writeln!(s, "/-- The input region. -/");
    let _ = writeln!(s, "@[expose] noncomputable def box0 : Box := {}\n", box_literal(input));
    for i in 0..n {
        let _ = writeln!(s, "/-- Pre-activation box of layer {i}. -/");
        let _ = writeln!(s, "@[expose] noncomputable def pre{i} : Box := {}\n", box_literal(&cert.pre[i]));
        let _ = writeln!(s, "/-- Relaxation of layer {i}'s activation, one per neuron. -/");
        let _ = writeln!(s, "@[expose] noncomputable def relax{i} : List Relax := {}\n", relax_literal(&cert.relax[i]));
    }
    let steps: Vec<String> = (0..n).map(|i| format!("(layer{i}, pre{i}, relax{i})")).collect();
    let _ = writeln!(s, "/-- The certificate's layers with their boxes and relaxations. -/");
    let _ = writeln!(s, "@[expose] noncomputable def steps : List (Dense × Box × List Relax) := [{}]\n", steps.join(", "));
    for i in 0..n {
        let prev = if i == 0 { "box0".to_string() } else { format!("(postBox layer{}.act pre{})", i - 1, i - 1) };
        let _ = writeln!(s, "/-- Layer {i}'s pre-activation box contains the IBP image of its input box. -/");
        let _ = writeln!(s, "theorem pre{i}_ok : checkStep (affinePart layer{i}) {prev} pre{i} = true := by decide +kernel\n");
        let _ = writeln!(s, "/-- Layer {i}'s relaxations are valid on its pre-activation box. -/");
        let _ = writeln!(s, "theorem relax{i}_ok : validAll layer{i}.act pre{i} relax{i} = true := by decide +kernel\n");
        let _ = writeln!(s, "/-- Layer {i} has one bias per row. -/");
        let _ = writeln!(s, "theorem shape{i}_ok : (layer{i}.weight.length == layer{i}.bias.length) = true := by decide +kernel\n");
    }
    let facts: Vec<String> = (0..n).map(|i| format!("⟨pre{i}_ok, relax{i}_ok, shape{i}_ok⟩")).collect();
    let _ = writeln!(s, "/-- The whole chain checks. -/");
    let _ = writeln!(s, "theorem chain : CrownChain box0 steps := ⟨{}, trivial⟩\n", facts.join(", "));
    let out = cert.bounds.len();
    for (j, b) in cert.bounds.iter().enumerate() {
        let e: Vec<String> = (0..out).map(|i| if i == j { "1".into() } else { "0".into() }).collect();
        let ne: Vec<String> = (0..out).map(|i| if i == j { "-1".into() } else { "0".into() }).collect();
        let (lo, hi) = (rat(&b.lo), rat(&b.hi));
        let _ = writeln!(s, "/-- Output {j} is at least `{lo}` on the whole input box. -/");
        let _ = writeln!(
            s,
            "theorem out{j}_lower : ∀ x : List Rat, Box.Mem box0 x → ({lo} : Rat) ≤ dot [{}] (evalNet net x) :=\n  \
             fun _ hx => crown_certified chain (by decide +kernel) hx\n",
            e.join(", ")
        );
        let neg_hi = rat(&(-b.hi.clone()));
        let _ = writeln!(s, "/-- Output {j} is at most `{hi}` on the whole input box. -/");
        let _ = writeln!(
            s,
            "theorem out{j}_upper : ∀ x : List Rat, Box.Mem box0 x → ({neg_hi} : Rat) ≤ dot [{}] (evalNet net x) :=\n  \
             fun _ hx => crown_certified chain (by decide +kernel) hx\n",
            ne.join(", ")
        );
    }
    lowered_section(&mut s, mlp, Lowering::Mlp);
    let _ = writeln!(s, "end Certificates.{m}");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_binary32_fact_is_stated_only_over_a_box_of_binary32_ends() {
        use crate::num::interval::parse_box;
        let binding = Binding { certificate: "sha256:c", payload: "sha256:p", property: "sha256:q", texts: None };
        let mlp = Dense::demo();
        let exact = parse_box("-1/2:1,0:1").unwrap();
        let boxes = crate::bounds::ibp::ibp_mlp(&mlp, &exact).unwrap();
        let text = dense_ibp_module("t", &mlp, &boxes, &binding);
        assert!(text.contains("@[expose] def box32_0 : List Iv32 := [⟨0xbf000000, 0x3f800000⟩, ⟨0x00000000, 0x3f800000⟩]"));
        assert!(text.contains("@[expose] def box32_2 : List Iv32 := [⟨0xbf828f5d, 0x3fdeb854⟩]"));
        assert!(text.contains("theorem certified_binary32 :"));
        // 1/3 is not a binary32 value: no binary32 fact, and the module says why.
        let third = parse_box("-1/3:1,0:1").unwrap();
        let boxes = crate::bounds::ibp::ibp_mlp(&mlp, &third).unwrap();
        let text = dense_ibp_module("t", &mlp, &boxes, &binding);
        assert!(text.contains("Not stated: an end of box 0 is not a binary32 value"));
        assert!(!text.contains("certified_binary32") && !text.contains("box32_"));
    }
}
