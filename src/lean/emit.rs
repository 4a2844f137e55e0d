//! Generates the Lean module for a certificate. The module restates the artifact's data (weights as
//! binary32 bit literals, boxes as exact rationals), checks each layer step with `decide +kernel`,
//! and chains the steps with the proved `chain_sound` into the user-facing theorem `certified`.
//! The emitter is not trusted: Lean recomputes everything it states.
use std::fmt::Write;

use crate::num::interval::{Box, Interval};
use crate::model::Mlp;
use crate::num::rational::to_canonical;

/// `demo-mlp` → `DemoMlp`: the module name of a certificate directory name.
pub fn module_name(cert_name: &str) -> String {
    cert_name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut cs = p.chars();
            cs.next().map(|c| c.to_ascii_uppercase().to_string() + cs.as_str()).unwrap_or_default()
        })
        .collect::<String>()
        .chars()
        .enumerate()
        .fold(String::new(), |mut acc, (i, c)| {
            // A Lean module name component cannot start with a digit.
            if i == 0 && c.is_ascii_digit() {
                acc.push('C');
            }
            acc.push(c);
            acc
        })
}

fn rat(q: &crate::num::Q) -> String {
    to_canonical(q)
}

fn box_literal(b: &Box) -> String {
    let parts: Vec<String> = b.iter().map(|Interval { lo, hi }| format!("⟨{}, {}⟩", rat(lo), rat(hi))).collect();
    format!("[{}]", parts.join(", "))
}

/// One `Nat` literal holding a row of bit patterns, element 0 in the least significant 32 bits:
/// `[0x3f333333, 0xbfa66666]` → `0xbfa666663f333333`.
fn packed(row: &[crate::num::binary32::F32]) -> String {
    let digits: String = row.iter().rev().map(|b| format!("{:08x}", b.to_bits())).collect();
    let trimmed = digits.trim_start_matches('0');
    format!("0x{}", if trimmed.is_empty() { "0" } else { trimmed })
}

/// The weight, bias and layer definitions of a dense network (packed binary32 rows).
fn layer_defs(s: &mut String, mlp: &Mlp) {
    for (i, l) in mlp.layers.iter().enumerate() {
        let cols = l.weight.first().map_or(0, Vec::len);
        let rows: Vec<String> = l.weight.iter().map(|r| packed(r)).collect();
        let _ = writeln!(*s, "/-- `layers.{i}.weight` ({}×{cols}) as binary32 bit patterns: one packed literal per row", l.weight.len());
        let _ = writeln!(*s, "(output), column `j` in bits `32j … 32j+31` (see `unpack`). -/");
        let _ = writeln!(*s, "@[expose] noncomputable def layer{i}Weight : List (List Nat) := unpackRows {cols} [{}]", rows.join(", "));
        let _ = writeln!(*s, "/-- `layers.{i}.bias` as binary32 bit patterns, packed the same way. -/");
        let _ = writeln!(*s, "@[expose] noncomputable def layer{i}Bias : List Nat := unpack {} {}", l.bias.len(), packed(&l.bias));
        let _ = writeln!(*s, "/-- Layer {i}: exact decoded weights, then `{}`. -/", l.act.name());
        let _ = writeln!(
            *s,
            "@[expose] noncomputable def layer{i} : Dense := ⟨decodeRows layer{i}Weight, decodeList layer{i}Bias, .{}⟩\n",
            l.act.name()
        );
    }
}

/// The start of a certificate module's body: namespace, the certificate's hash, the layers (packed
/// binary32 rows) and `net`.
fn network_section(s: &mut String, m: &str, mlp: &Mlp, binding: &Binding) {
    open_namespace(s, m);
    sha_def(s, binding);
    net_defs(s, mlp);
}

/// `public section`, the certificate's namespace and the theory's namespaces opened.
fn open_namespace(s: &mut String, m: &str) {
    let _ = writeln!(*s, "public section\n\nnamespace Certificates.{m}\n");
    let _ = writeln!(*s, "open TorchLean.IR TorchLean.Bounds TorchLean.Cert TorchLean.Num.Binary32\n");
}

/// `certificateSha256`, which `check` reads to name the module's binding form.
fn sha_def(s: &mut String, binding: &Binding) {
    let _ = writeln!(*s, "/-- SHA-256 of the canonical certificate artifact this module restates. -/");
    let _ = writeln!(*s, "def certificateSha256 : String := \"{}\"\n", binding.certificate);
}

/// The layers and `net`.
fn net_defs(s: &mut String, mlp: &Mlp) {
    let n = mlp.layers.len();
    layer_defs(s, mlp);
    let layers: Vec<String> = (0..n).map(|i| format!("layer{i}")).collect();
    let _ = writeln!(*s, "/-- The network: its layers in order. -/");
    let _ = writeln!(*s, "@[expose] noncomputable def net : List Dense := [{}]\n", layers.join(", "));
}

/// The graph `src/ir` lowers the network to, the kernel's check that it is `mlpGraph` of `net`
/// (with shapes that chain from the width of `box0`), and `graph_denotes`: on `box0` the graph's
/// denotation is `evalNet net`. Certificates' `certified` theorems are about `evalNet net`; this
/// carries them to the IR graph.
fn lowered_section(s: &mut String, mlp: &Mlp) {
    let (graph, _) = crate::ir::Graph::from_mlp(mlp).expect("a certified network lowers to the IR");
    let (lit, _) = graph_literal(&graph);
    let w = input_width(mlp);
    let _ = writeln!(
        *s,
        "/-- The IR graph `src/ir` lowers the payload's network to: value 0 is the input, value `2i+1` is\n\
         `layers.i.linear` (parameters `2i`, `2i+1`: `layers.i.weight`, `layers.i.bias`), value `2i+2` its\n\
         activation. -/"
    );
    let _ = writeln!(*s, "@[expose] def graph : Graph :=\n  {lit}\n");
    let _ = writeln!(
        *s,
        "/-- The graph is `mlpGraph` of `net` on inputs of width {w}, the layers' shapes chain from that\n\
         width, and the input box has {w} coordinates. -/"
    );
    let _ = writeln!(
        *s,
        "theorem lowered : graph = mlpGraph {w} net ∧ mlpShaped {w} net = true ∧ box0.length = {w} := by decide +kernel\n"
    );
    let _ = writeln!(
        *s,
        "/-- On the input box the graph's denotation, with the payload's tensors as parameters, is the\n\
         network's output. -/"
    );
    let _ = writeln!(
        *s,
        "theorem graph_denotes : ∀ x : List Rat, Box.Mem box0 x → denote graph (mlpParams {w} net) [x] = some [evalNet net x] :=\n  \
         fun _ hx => denote_of_mem lowered hx\n"
    );
}

/// `certified_graph`: the certified fact `fact y` restated about the graph's denotation `y`.
fn certified_graph(s: &mut String, mlp: &Mlp, fact: &str, what: &str) {
    let w = input_width(mlp);
    let _ = writeln!(*s, "/-- **The certified fact, about the IR graph**: every real input in box 0 has a denotation\n{what}. -/");
    let _ = writeln!(
        *s,
        "theorem certified_graph : ∀ x : List Rat, Box.Mem box0 x →\n    \
         ∃ y, denote graph (mlpParams {w} net) [x] = some [y] ∧ {fact} :=\n  \
         fun x hx => ⟨evalNet net x, graph_denotes x hx, certified x hx⟩\n"
    );
}

/// The hashes that bind a generated module to its artifacts.
pub struct Binding<'a> {
    pub certificate: &'a str,
    pub payload: &'a str,
    pub property: &'a str,
    /// The artifacts' canonical bytes. With them (and within `STRONG_BINDING_MAX_BYTES`) the
    /// module reaches the strong binding; without, the weak one.
    pub texts: Option<Texts<'a>>,
}

/// The canonical bytes of a certificate and of the payload and property it references.
pub struct Texts<'a> {
    pub certificate: &'a [u8],
    pub payload: &'a [u8],
    pub property: &'a [u8],
}

/// Above this many artifact bytes in all, a module keeps to the weak binding. The kernel's SHA-256
/// takes about 0.13 s per 64-byte block on the wasm toolchain (measured: 2.4 KB in 4.8 s), so this
/// bound keeps the hashing near half a minute; the ACAS Xu payload alone (174 KB) would take ~6 min.
pub const STRONG_BINDING_MAX_BYTES: usize = 16 * 1024;

/// `name : List Nat`: the bytes of `file`, 32 per big-endian literal (see `Sha256.unpackText`).
fn bytes_def(s: &mut String, name: &str, file: &str, bytes: &[u8]) {
    let lits: Vec<String> =
        bytes.chunks(32).map(|c| format!("0x{}", c.iter().map(|b| format!("{b:02x}")).collect::<String>())).collect();
    let _ = writeln!(*s, "/-- The canonical bytes of `{file}` ({} bytes, 32 per literal). -/", bytes.len());
    let _ = writeln!(
        *s,
        "@[expose] noncomputable def {name} : List Nat := Sha256.unpackText {} [\n  {}]\n",
        bytes.len(),
        lits.join(",\n  ")
    );
}

/// What a module's final theorem claims, as the property artifact states it.
enum Claim {
    /// `output_box`: the output lies in the certificate's final box.
    OutputBox,
    /// `violation_dnf`: no disjunct of `violation` holds.
    Violation,
    /// `linf_robust`: the label beats every rival; the module's `box0` and `violation` must be
    /// what Lean derives from the claim (`ballBox`, `linfViolation`).
    Linf { center: Vec<String>, epsilon: String, label: u64, outputs: u64 },
}

/// The claim a property artifact makes and its kind, if the strong binding can read it.
fn claim_of(property: &[u8]) -> Option<(&'static str, Claim)> {
    let v: serde_json::Value = serde_json::from_slice(property).ok()?;
    if v["semantics"] != "exact-rational" {
        return None;
    }
    match v["kind"].as_str()? {
        "output_box" => Some(("output_box", Claim::OutputBox)),
        "violation_dnf" => Some(("violation_dnf", Claim::Violation)),
        "linf_robust" => Some((
            "linf_robust",
            Claim::Linf {
                center: v["center"].as_array()?.iter().map(|c| c.as_str().map(str::to_string)).collect::<Option<_>>()?,
                epsilon: v["epsilon"].as_str()?.to_string(),
                label: v["label"].as_u64()?,
                outputs: v["outputs"].as_u64()?,
            },
        )),
        _ => None,
    }
}

/// The strong binding's two facts about hashes, stated by their own theorems and again as the
/// first conjuncts of `certified_artifacts`.
const HASHED: &str = "digestOfText (Sha256.bytesOf certificateSha256.toList) = some (Sha256.digest certificateBytes)";
const REFERENCED: &str = "certificateRefs certificateBytes = some (Sha256.digest payloadBytes, Sha256.digest propertyBytes)";

/// The strong binding: the artifacts' bytes, the kernel's recomputation of their SHA-256 and its
/// reading of the network and the claim from them, and `certified_artifacts`, the certified fact
/// stated about what was read. `expects` lists the claim kinds the module's checker proves; `last`
/// is the index of the certificate's final box.
fn strong_section(s: &mut String, mlp: &Mlp, binding: &Binding, last: usize, expects: &[&str]) {
    let Some(t) = binding.texts.as_ref() else { return };
    if t.certificate.len() + t.payload.len() + t.property.len() > STRONG_BINDING_MAX_BYTES {
        return;
    }
    let Some((kind, claim)) = claim_of(t.property) else { return };
    if !expects.contains(&kind) {
        return;
    }
    let w = input_width(mlp);
    let _ = writeln!(
        *s,
        "/-! ## Strong binding\n\n\
         The artifacts' bytes, restated. The kernel recomputes their SHA-256 and reads the network and the\n\
         claim out of them, so `certified_artifacts` is about the bytes the manifest's hashes name. -/\n"
    );
    bytes_def(s, "certificateBytes", "certificate.json", t.certificate);
    bytes_def(s, "payloadBytes", "payload.json", t.payload);
    bytes_def(s, "propertyBytes", "property.json", t.property);
    let _ = writeln!(
        *s,
        "/-- The manifest's hash of the certificate (`certificateSha256`) is the SHA-256 of its bytes. -/\n\
         theorem certificate_sha256 :\n    {HASHED} := by\n  decide +kernel\n"
    );
    let _ = writeln!(
        *s,
        "/-- The certificate names its payload and property by the SHA-256 of their bytes. -/\n\
         theorem certificate_refs :\n    {REFERENCED} := by\n  decide +kernel\n"
    );
    let layers: Vec<String> =
        mlp.layers.iter().enumerate().map(|(i, l)| format!("(layer{i}Weight, layer{i}Bias, .{})", l.act.name())).collect();
    let _ = writeln!(*s, "/-- The layers as bit patterns, in order. -/");
    let _ = writeln!(*s, "@[expose] noncomputable def layerBits : List LayerBits := [{}]\n", layers.join(", "));
    let _ = writeln!(
        *s,
        "/-- Read from its bytes, the payload is these layers, bit for bit. -/\n\
         theorem payload_layers : mlpOfPayload payloadBytes = some layerBits := by decide +kernel\n"
    );
    let _ = writeln!(*s, "/-- The layers denote `net`. -/\ntheorem net_of_payload : netOfBits layerBits = net := rfl\n");
    let graph = format!("denote (mlpGraph {w} (netOfBits layers)) (mlpParams {w} (netOfBits layers)) [x] = some [y]");
    let head = format!("theorem certified_artifacts :\n    {HASHED} ∧\n    {REFERENCED} ∧");
    let doc = |what: &str| {
        format!(
            "/-- **The certified fact, about the hashed artifacts**: the certificate whose SHA-256 is\n\
             `certificateSha256` names a payload and a property by their SHA-256. Read from those bytes, the\n\
             network's IR graph maps every real input in the property's box to an output that {what}. -/"
        )
    };
    match claim {
        Claim::OutputBox | Claim::Violation => {
            let (reader, value, fact, what) = match claim {
                Claim::OutputBox => {
                    ("outputBoxProperty", format!("(box0, box{last})"), "Box.Mem P y", "lies in the property's output box")
                }
                _ => ("violationProperty", "(box0, violation)".to_string(), "Safe P y", "satisfies no violation disjunct"),
            };
            let _ = writeln!(
                *s,
                "/-- Read from its bytes, the property is this input box and claim. -/\n\
                 theorem property_claim : {reader} propertyBytes = some {value} := by decide +kernel\n"
            );
            let _ = writeln!(
                *s,
                "{}\n{head}\n    \
                 ∃ layers B P, mlpOfPayload payloadBytes = some layers ∧ {reader} propertyBytes = some (B, P) ∧\n      \
                 ∀ x : List Rat, Box.Mem B x → ∃ y, {graph} ∧ {fact} :=\n  \
                 ⟨certificate_sha256, certificate_refs, layerBits, _, _, payload_layers, property_claim, fun x hx => by\n    \
                 rw [net_of_payload, ← lowered.1]; exact certified_graph x hx⟩\n",
                doc(what)
            );
        }
        Claim::Linf { center, epsilon, label, outputs } => {
            let center = center.join(", ");
            let _ = writeln!(
                *s,
                "/-- Read from its bytes, the property is this L∞ claim (center, ε, label, outputs). -/\n\
                 theorem property_claim : linfProperty propertyBytes = some ([{center}], {epsilon}, {label}, {outputs}) := by\n  \
                 decide +kernel\n"
            );
            let _ = writeln!(
                *s,
                "/-- The box and the violation the certificate refutes are the ones Lean derives from the claim. -/\n\
                 theorem claim_lowered :\n    \
                 ballBox [{center}] ({epsilon}) = box0 ∧ linfViolation {label} {outputs} = violation ∧ {label} < {outputs} := by\n  \
                 decide +kernel\n"
            );
            let _ = writeln!(
                *s,
                "{}\n{head}\n    \
                 ∃ layers c ε l n, mlpOfPayload payloadBytes = some layers ∧ linfProperty propertyBytes = some (c, ε, l, n) ∧\n      \
                 ∀ x : List Rat, Box.Mem (ballBox c ε) x → ∃ y, {graph} ∧ Robust l n y :=\n  \
                 ⟨certificate_sha256, certificate_refs, layerBits, _, _, _, _, payload_layers, property_claim, fun x hx => by\n    \
                 rw [net_of_payload, ← lowered.1]\n    \
                 rw [claim_lowered.1] at hx\n    \
                 obtain ⟨y, hy, hs⟩ := certified_graph x hx\n    \
                 rw [← claim_lowered.2.1] at hs\n    \
                 exact ⟨y, hy, robust_of_safe claim_lowered.2.2 hs⟩⟩\n",
                doc("has the property's label strictly above every rival")
            );
        }
    }
}

/// The imports and docstring of a certificate module checked by `TorchLean.Cert.<checker>`: what it
/// proves (`about`) and the hashes of the artifacts it restates.
fn certificate_header(s: &mut String, checkers: &[&str], cert_name: &str, about: &str, binding: &Binding) {
    let imports: Vec<String> = checkers.iter().map(|c| format!("TorchLean.Cert.{c}")).collect();
    header(s, &imports, cert_name, about, binding);
}

/// As [`certificate_header`], with the imports named in full (the binding modules added).
fn header(s: &mut String, imports: &[String], cert_name: &str, about: &str, binding: &Binding) {
    let imports: String = imports.iter().map(|c| format!("public import {c}\n")).collect();
    let _ = writeln!(
        *s,
        "module\n\n{imports}public import TorchLean.Cert.Lowered\n\
         public import TorchLean.Cert.Artifact\npublic import TorchLean.Cert.Robust\n"
    );
    let _ = writeln!(
        *s,
        "/-! # Certificate `{cert_name}` (generated by torchlean; do not edit)\n\n{about}\n\n\
         Artifacts (see `certificates/{cert_name}/manifest.json`):\n\
         - certificate {}\n- payload {}\n- property {}\n-/\n",
        binding.certificate, binding.payload, binding.property
    );
}

/// The width of the network's input (the column count of its first weight matrix).
fn input_width(mlp: &Mlp) -> usize {
    mlp.layers.first().and_then(|l| l.weight.first()).map_or(0, Vec::len)
}

/// The text of `Certificates/<Module>.lean` for an IBP certificate of a dense network.
/// `boxes` are `[input, after layer 1, …, output]`.
pub fn dense_ibp_module(cert_name: &str, mlp: &Mlp, boxes: &[Box], binding: &Binding) -> String {
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
    network_section(&mut s, &m, mlp, binding);
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
    lowered_section(&mut s, mlp);
    certified_graph(&mut s, mlp, &format!("Box.Mem box{n} y"), &format!("under the graph, and it lies in box {n}"));
    strong_section(&mut s, mlp, binding, n, &["output_box"]);
    let _ = writeln!(s, "end Certificates.{m}");
    s
}

/// The binary32 boxes of [`binary32_section`], or why none is stated.
fn binary32_stages(mlp: &Mlp, input: &Box) -> std::result::Result<Vec<Vec<[crate::num::binary32::F32; 2]>>, String> {
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
fn binary32_section(s: &mut String, mlp: &Mlp, stages: std::result::Result<Vec<Vec<[crate::num::binary32::F32; 2]>>, String>) {
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

fn relax_literal(r: &[crate::cert::crown::Relax]) -> String {
    let parts: Vec<String> = r.iter().map(|r| format!("⟨{}, {}, {}⟩", rat(&r.alpha), rat(&r.slope), rat(&r.icpt))).collect();
    format!("[{}]", parts.join(", "))
}

/// The text of a module checking a CROWN certificate of a dense network's output bounds: one
/// `decide +kernel` lemma per layer fact (pre-activation box, relaxation validity, shapes), the chain,
/// and per output `j` the theorems `outJ_lower` / `outJ_upper` from `crown_certified`.
pub fn dense_crown_module(cert_name: &str, mlp: &Mlp, input: &Box, cert: &crate::cert::crown::CrownCertificate) -> String {
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
    lowered_section(&mut s, mlp);
    let _ = writeln!(s, "end Certificates.{m}");
    s
}

/// `[⟨[c₀, …], rhs, strict⟩, …]` per disjunct: Lean's `List (List Row)`.
fn violation_literal(prop: &crate::property::Vnnlib) -> String {
    let conj: Vec<String> = prop
        .violation
        .iter()
        .map(|c| {
            let rows: Vec<String> = c
                .iter()
                .map(|r| {
                    let cs: Vec<String> = r.coeffs.iter().map(rat).collect();
                    format!("⟨[{}], {}, {}⟩", cs.join(", "), rat(&r.rhs), r.strict)
                })
                .collect();
            format!("[{}]", rows.join(", "))
        })
        .collect();
    format!("[{}]", conj.join(", "))
}

fn tree_literal(tree: &crate::bounds::bab::Tree, next: &mut usize) -> String {
    use crate::bounds::bab::Tree;
    match tree {
        Tree::Leaf { .. } => {
            let k = *next;
            *next += 1;
            format!("(.leaf leaf{k}Box)")
        }
        Tree::Split { dim, at, below, above } => {
            let b = tree_literal(below, next);
            let a = tree_literal(above, next);
            format!("(.split {dim} ({}) {b} {a})", rat(at))
        }
    }
}

/// Per disjunct, the weighted rows `[(row, weight), …]` and the bound (Lean's `refutesAll`).
fn refs_literal(r: &[crate::bounds::bab::Refutation]) -> String {
    let parts: Vec<String> = r
        .iter()
        .map(|r| {
            let terms: Vec<String> = r.terms.iter().map(|(i, w)| format!("({i}, {})", rat(w))).collect();
            format!("([{}], {})", terms.join(", "), rat(&r.bound))
        })
        .collect();
    format!("[{}]", parts.join(", "))
}

/// Leaf `k`'s two theorems: `leafK_ok` (the checker `check`, one `decide`) and `leafK_safe` (from
/// the checker's soundness theorem `<check>_safe`, its implicit arguments named so the elaborator does
/// not unfold the network to unify them).
fn leaf_theorems(s: &mut String, k: usize, check: &str, what: &str, refute: &[crate::bounds::bab::Refutation], safe: &str) {
    let _ = writeln!(*s, "/-- Leaf {k}: {what}. -/");
    let _ = writeln!(
        *s,
        "theorem leaf{k}_ok : {check} violation leaf{k}Box leaf{k}Steps {} = true := by decide +kernel\n",
        refs_literal(refute)
    );
    let _ = writeln!(*s, "/-- No input of leaf {k}'s box violates the property. -/");
    let _ = writeln!(
        *s,
        "theorem leaf{k}_safe : ∀ x : List Rat, Box.Mem leaf{k}Box x → {safe} :=\n  \
         {check}_safe (dnf := violation) (B := leaf{k}Box) (steps := leaf{k}Steps) leaf{k}_ok\n"
    );
}

/// How a branch-and-bound module checks its leaves.
pub enum BabLeaves<'a> {
    /// Per leaf the rational checkers' data (`crownLeafOk`, `crownBoxLeafOk`, `ibpLeafOk`), from the
    /// leaves' boxes left to right.
    Rational(&'a [(Box, crate::cert::bab::LeanLeaf)]),
    /// The packed checker (`packedLeafOk`): the network's packed data, the field width, and per leaf
    /// its box and packed data.
    Packed { net: &'a crate::cert::packed::NetPk, field: u32, leaves: &'a [(Box, crate::cert::packed::LeafPk)] },
}

/// Leaves per part module of a packed certificate. The wasm toolchain gives each module one
/// process of at most 4 GiB, and a whole ACAS Xu certificate in one module exhausted it (an
/// `INTERNAL PANIC` after the network facts and one leaf had passed on their own); so did four
/// ACAS Xu leaves with 64-bit precision and IBP boxes (the worker died on the second, after 76 s
/// of kernel time on the first). Each part is built by its own process, two at a time on two
/// cores.
pub const LEAVES_PER_PART: usize = 2;

/// The modules checking a branch-and-bound certificate of a `violation_dnf` property, as paths
/// under the Lean project and texts, the certificate's own module (`Certificates/<Module>.lean`)
/// first. Rational leaves make one module: the tree and its coverage, then per leaf one `decide
/// +kernel` check and the leaf's `safe` theorem, and `certified` from `TorchLean.Cert.bab_sound`.
/// Packed leaves make parts under `Certificates/<Module>/`: `Net` (the network and the facts the
/// kernel checks once per network) and `LeavesI` (`LEAVES_PER_PART` leaves each), which the
/// certificate's module imports to combine.
pub fn bab_module(
    cert_name: &str,
    mlp: &Mlp,
    prop: &crate::property::Vnnlib,
    tree: &crate::bounds::bab::Tree,
    leaves: &BabLeaves,
    binding: &Binding,
) -> Vec<(String, String)> {
    let m = module_name(cert_name);
    let n = mlp.layers.len();
    let count = match leaves {
        BabLeaves::Rational(l) => l.len(),
        BabLeaves::Packed { leaves, .. } => leaves.len(),
    };
    let about = format!(
        "A {n}-layer dense network satisfies a VNN-LIB property on its whole input box: the split tree\n\
         covers the box (`covered`) and every one of its {count} leaves refutes each violation disjunct\n\
         (`leafK_safe`); `certified` combines them with `TorchLean.Cert.bab_sound`."
    );
    let main_path = format!("Certificates/{m}.lean");
    let (net, field, packed) = match leaves {
        BabLeaves::Rational(leaves) => {
            let mut s = String::new();
            certificate_header(&mut s, &["Bab"], cert_name, &about, binding);
            network_section(&mut s, &m, mlp, binding);
            bab_head(&mut s, mlp, prop);
            leaf_box_defs(&mut s, leaves.iter().map(|(b, _)| b).enumerate());
            tree_section(&mut s, tree);
            for (k, (_, leaf)) in leaves.iter().enumerate() {
                rational_leaf(&mut s, n, k, leaf, SAFE);
            }
            bab_tail(&mut s, mlp, count, binding);
            let _ = writeln!(s, "end Certificates.{m}");
            return vec![(main_path, s)];
        }
        BabLeaves::Packed { net, field, leaves } => (*net, *field, *leaves),
    };
    let part_doc = |what: &str| {
        format!(
            "/-! # Part of certificate `{cert_name}` (generated by torchlean; do not edit)\n\n{what}\n\
             `Certificates.{m}` combines the parts. -/\n"
        )
    };
    let mut out = Vec::new();
    let mut s = String::from("module\n\n");
    for c in ["Bab", "PackedLeaf", "Lowered", "Artifact", "Robust"] {
        let _ = writeln!(s, "public import TorchLean.Cert.{c}");
    }
    let _ = writeln!(s, "\n{}", part_doc("The network, the property, and the packed checker's facts about the network, checked\nonce for every leaf."));
    open_namespace(&mut s, &m);
    net_defs(&mut s, mlp);
    bab_head(&mut s, mlp, prop);
    packed_net_section(&mut s, mlp, net, field);
    let _ = writeln!(s, "end Certificates.{m}");
    out.push((format!("Certificates/{m}/Net.lean"), s));
    let mut parts = Vec::new();
    for (p, chunk) in packed.chunks(LEAVES_PER_PART).enumerate() {
        let first = p * LEAVES_PER_PART;
        let mut s = format!("module\n\npublic import Certificates.{m}.Net\n\n");
        let _ = writeln!(
            s,
            "{}",
            part_doc(&format!("Leaves {first} to {}: each one's box, its packed data and its check.", first + chunk.len() - 1))
        );
        open_namespace(&mut s, &m);
        leaf_box_defs(&mut s, chunk.iter().map(|(b, _)| b).enumerate().map(|(i, b)| (first + i, b)));
        for (i, (_, leaf)) in chunk.iter().enumerate() {
            packed_leaf_section(&mut s, mlp, net, field, first + i, leaf);
        }
        let _ = writeln!(s, "end Certificates.{m}");
        parts.push(format!("Certificates.{m}.Leaves{p}"));
        out.push((format!("Certificates/{m}/Leaves{p}.lean"), s));
    }
    let mut s = String::new();
    let mut imports: Vec<String> = ["Bab", "PackedLeaf"].iter().map(|c| format!("TorchLean.Cert.{c}")).collect();
    imports.push(format!("Certificates.{m}.Net"));
    imports.extend(parts);
    header(&mut s, &imports, cert_name, &about, binding);
    open_namespace(&mut s, &m);
    sha_def(&mut s, binding);
    tree_section(&mut s, tree);
    bab_tail(&mut s, mlp, count, binding);
    let _ = writeln!(s, "end Certificates.{m}");
    out.insert(0, (main_path, s));
    out
}

/// What every leaf proves about an input of its box.
const SAFE: &str = "Safe violation (evalNet net x)";

/// `layers_finite`, the violation and the property's input box.
fn bab_head(s: &mut String, mlp: &Mlp, prop: &crate::property::Vnnlib) {
    let n = mlp.layers.len();
    let fin: Vec<String> = (0..n).map(|i| format!("allFiniteRows layer{i}Weight && allFinite layer{i}Bias")).collect();
    let _ = writeln!(*s, "/-- Every weight and bias is a finite binary32 (one kernel check for all layers). -/");
    let _ = writeln!(*s, "theorem layers_finite : ({}) = true := by decide +kernel\n", fin.join(" && "));
    let _ = writeln!(*s, "/-- The violation: a disjunction (outer list) of conjunctions of output rows. -/");
    let _ = writeln!(*s, "@[expose] def violation : List (List Row) := {}\n", violation_literal(prop));
    let _ = writeln!(*s, "/-- The property's input box. -/");
    let _ = writeln!(*s, "@[expose] def box0 : Box := {}\n", box_literal(&prop.input_box));
}

fn leaf_box_defs<'a>(s: &mut String, boxes: impl Iterator<Item = (usize, &'a Box)>) {
    for (k, b) in boxes {
        let _ = writeln!(*s, "/-- Leaf {k}'s box. -/");
        let _ = writeln!(*s, "@[expose] def leaf{k}Box : Box := {}\n", box_literal(b));
    }
}

/// The split tree over the leaves' boxes and `covered`.
fn tree_section(s: &mut String, tree: &crate::bounds::bab::Tree) {
    let mut next = 0;
    let _ = writeln!(*s, "/-- The split tree. -/");
    let _ = writeln!(*s, "@[expose] def tree : Tree := {}\n", tree_literal(tree, &mut next));
    let _ = writeln!(*s, "/-- The leaves cover the input box. -/");
    let _ = writeln!(*s, "theorem covered : covers box0 tree = true := by decide +kernel\n");
}

/// `leaves_safe`, `certified`, the IR graph and the strong binding.
fn bab_tail(s: &mut String, mlp: &Mlp, count: usize, binding: &Binding) {
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
    lowered_section(s, mlp);
    certified_graph(s, mlp, "Safe violation y", "under the graph, and it satisfies no violation disjunct");
    strong_section(s, mlp, binding, n, &["violation_dnf", "linf_robust"]);
}

/// One leaf of a rational-checker module: its data, `leafK_ok` and `leafK_safe`.
fn rational_leaf(s: &mut String, n: usize, k: usize, leaf: &crate::cert::bab::LeanLeaf, safe: &str) {
    use crate::cert::bab::LeanLeaf;
    match leaf {
        LeanLeaf::Ibp { boxes, refute } => {
            for (j, b) in boxes.iter().enumerate().skip(1) {
                let _ = writeln!(*s, "/-- Leaf {k}: the claimed enclosure after layer {}. -/", j - 1);
                let _ = writeln!(*s, "@[expose] noncomputable def leaf{k}Box{j} : Box := {}\n", box_literal(b));
            }
            let name = |j: usize| if j == 0 { format!("leaf{k}Box") } else { format!("leaf{k}Box{j}") };
            let steps: Vec<String> = (0..n).map(|i| format!("(layer{i}, {})", name(i + 1))).collect();
            let _ = writeln!(*s, "/-- Leaf {k}'s IBP chain. -/");
            let _ = writeln!(*s, "@[expose] noncomputable def leaf{k}Steps : List (Dense × Box) := [{}]\n", steps.join(", "));
            let what = "every layer step (exact IBP) and one refuted row per disjunct, in one kernel check";
            leaf_theorems(s, k, "ibpLeafOk", what, refute, safe);
        }
        LeanLeaf::Crown { pre, relax, refute, intermediate } => {
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
            let (check, what) = match intermediate {
                crate::bounds::crown::Intermediate::Ibp => (
                    "crownLeafOk",
                    "every pre-activation box (IBP of the previous one), every relaxation (α ∈ [0, 1],\n\
                     upper line above) and one combination of rows per disjunct refuted by CROWN, in one kernel check",
                ),
                crate::bounds::crown::Intermediate::Crown => (
                    "crownBoxLeafOk",
                    "every pre-activation bound (IBP of the previous box or a CROWN pass of its own),\n\
                     every relaxation and one combination of rows per disjunct refuted by CROWN, in one kernel check",
                ),
            };
            leaf_theorems(s, k, check, what, refute, safe);
        }
    }
}

fn int_list(v: &[num_bigint::BigInt]) -> String {
    let parts: Vec<String> = v.iter().map(|x| if x.sign() == num_bigint::Sign::Minus { format!("({x})") } else { x.to_string() }).collect();
    format!("[{}]", parts.join(", "))
}

fn nat_list(v: &[num_bigint::BigInt]) -> String {
    let parts: Vec<String> = v.iter().map(|x| x.magnitude().to_string()).collect();
    format!("[{}]", parts.join(", "))
}

fn sign_list(v: &[num_bigint::BigInt]) -> String {
    let parts: Vec<&str> = v.iter().map(|x| if x.sign() == num_bigint::Sign::Minus { "true" } else { "false" }).collect();
    format!("[{}]", parts.join(", "))
}

/// The packed checker's network data and the facts checked once per network.
fn packed_net_section(s: &mut String, mlp: &Mlp, net: &crate::cert::packed::NetPk, field: u32) {
    let n = mlp.layers.len();
    // Rust's `net.layers[t]` is layer `n - 1 - t` (the top first); Lean names layers from the input.
    let idx = |t: usize| n - 1 - t;
    let _ = writeln!(
        *s,
        "/-! ## The packed checker's network data\n\n\
         Each layer's weights as integer columns (magnitudes, signs and magnitude sums) at the scale\n\
         `1/Ω`, its bias column ending in `Ω`, and the field widths of the passes crossing it\n\
         (`LayerPk`). `layerI_describes` checks, once, that the columns are `layerI`'s weights. -/\n"
    );
    for (t, l) in net.layers.iter().enumerate() {
        let i = idx(t);
        for (c, col) in l.cols.iter().enumerate() {
            let _ = writeln!(*s, "@[expose] def pk{i}w{c} : List Nat := {}", nat_list(col));
            let _ = writeln!(*s, "@[expose] def pk{i}s{c} : List Bool := {}", sign_list(col));
        }
        let ws: Vec<String> = (0..l.cols.len()).map(|c| format!("pk{i}w{c}")).collect();
        let ss: Vec<String> = (0..l.cols.len()).map(|c| format!("pk{i}s{c}")).collect();
        let mut bw = l.bias.clone();
        bw.push(l.omega.clone());
        let _ = writeln!(*s, "/-- Layer {i} for the packed checker. -/");
        let _ = writeln!(
            *s,
            "@[expose] def pk{i} : LayerPk :=\n  ⟨[{}], [{}], {}, {}, {}, {}, {}, {}, {}, {}, {}⟩",
            ws.join(", "),
            ss.join(", "),
            nat_list(&l.sums()),
            nat_list(&bw),
            {
                let mut g = sign_list(&l.bias);
                g.insert_str(g.len() - 1, if l.bias.is_empty() { "false" } else { ", false" });
                g
            },
            l.bsum(),
            l.e,
            l.q,
            l.r,
            l.beta2,
            l.m
        );
        let outputs = l.cols.first().map_or(0, Vec::len);
        let _ = writeln!(*s, "/-- Layer {i}'s packed columns and bias are its weights and bias, at scale `1/{}`. -/", l.omega);
        let _ = writeln!(
            *s,
            "theorem layer{i}_describes : describesB layer{i} pk{i} {outputs} (1 / {} : Rat) {} {} {} = true := by decide +kernel\n",
            l.omega,
            l.omega,
            nat_list(&l.bias),
            sign_list(&l.bias)
        );
    }
    let tops: Vec<String> = (0..n - 1).map(|t| format!("layer{}", idx(t))).collect();
    let pks: Vec<String> = (0..n - 1).map(|t| format!("pk{}", idx(t))).collect();
    let outputs = mlp.layers[n - 1].weight.len();
    let describes: Vec<String> = (0..n).map(|t| format!("describes_of_B layer{}_describes", idx(t))).collect();
    let _ = writeln!(*s, "/-- The packed data describe the network. -/");
    let _ = writeln!(
        *s,
        "theorem described : NetDescribed [{}] [{}] layer0 pk0 {outputs} :=\n  ⟨{}⟩\n",
        tops.join(", "),
        pks.join(", "),
        describes.join(", ")
    );
    let _ = writeln!(*s, "/-- The field width `{field}` holds every field of every level. -/");
    let _ = writeln!(
        *s,
        "theorem fits : netFitB {field} {} {outputs} [{}] pk0 = true := by decide +kernel\n",
        net.beta_top,
        pks.join(", ")
    );
    let _ = writeln!(*s, "/-- The last layer is linear, every other one ReLU. -/");
    let _ = writeln!(*s, "theorem acts : NetActs [{}] layer0 := by unfold NetActs; decide\n", tops.join(", "));
    let _ = writeln!(*s, "/-- The network is its first layer below the others. -/");
    let _ = writeln!(*s, "theorem net_eq : net = layer0 :: [{}].reverse := rfl\n", tops.join(", "));
}

/// Leaf `k`'s packed data, `leafK_ok` (one packed run) and `leafK_safe`.
fn packed_leaf_section(s: &mut String, mlp: &Mlp, net: &crate::cert::packed::NetPk, field: u32, k: usize, leaf: &crate::cert::packed::LeafPk) {
    use num_bigint::BigInt;
    use num_traits::Signed;
    let n = mlp.layers.len();
    let outputs = mlp.layers[n - 1].weight.len();
    let pks: Vec<String> = (0..n - 1).map(|t| format!("pk{}", n - 1 - t)).collect();
    let mut relus = Vec::new();
    let mut ibps = Vec::new();
    for (h, r) in leaf.relus.iter().enumerate() {
        // `leaf.relus` runs from the top hidden layer down: entry h is Lean layer n - 2 - h.
        let j = n - 2 - h;
        let _ = writeln!(*s, "@[expose] def leaf{k}r{j}an : List Nat := {}", nat_list(&r.an));
        let _ = writeln!(*s, "@[expose] def leaf{k}r{j}sn : List Nat := {}", nat_list(&r.sn));
        let _ = writeln!(*s, "@[expose] def leaf{k}r{j}ic : List Nat := {}", nat_list(&r.ics));
        let _ = writeln!(*s, "@[expose] def leaf{k}r{j}lo : List Int := {}", int_list(&r.lo));
        let _ = writeln!(*s, "@[expose] def leaf{k}r{j}hi : List Int := {}", int_list(&r.hi));
        relus.push(format!("⟨leaf{k}r{j}an, leaf{k}r{j}sn, leaf{k}r{j}ic, leaf{k}r{j}lo, leaf{k}r{j}hi⟩"));
        ibps.push(match &r.ibp {
            None => "none".to_string(),
            Some(i) => {
                let _ = writeln!(*s, "@[expose] def leaf{k}i{j}lo : List Int := {}", int_list(&i.lo));
                let _ = writeln!(*s, "@[expose] def leaf{k}i{j}hi : List Int := {}", int_list(&i.hi));
                format!("some ⟨leaf{k}i{j}lo, leaf{k}i{j}hi⟩")
            }
        });
    }
    let _ = writeln!(*s, "/-- Leaf {k}: each hidden layer's lines and CROWN box, from the top. -/");
    let _ = writeln!(*s, "@[expose] def leaf{k}Rs : List ReluPk := [{}]", relus.join(", "));
    let _ = writeln!(*s, "/-- Leaf {k}: each hidden layer's IBP box where it is tighter, from the top. -/");
    let _ = writeln!(*s, "@[expose] def leaf{k}Is : List (Option IbpPk) := [{}]", ibps.join(", "));
    let mut lw: Vec<BigInt> = leaf.lower.iter().map(BigInt::abs).collect();
    lw.push(leaf.k.clone());
    let a: BigInt = lw.iter().sum();
    let lg = sign_list(&leaf.lower);
    let mut lg_full = lg.clone();
    lg_full.insert_str(lg_full.len() - 1, if leaf.lower.is_empty() { "false" } else { ", false" });
    let _ = writeln!(*s, "/-- Leaf {k}: the first layer and the input box, ends over {}. -/", leaf.k);
    let _ = writeln!(
        *s,
        "@[expose] def leaf{k}F : ClosePk := ⟨pk0, {}, {lg_full}, {a}, {}, {}⟩",
        nat_list(&lw),
        nat_list(&leaf.widths),
        leaf.b
    );
    let refs: Vec<String> = leaf
        .refs
        .iter()
        .map(|(terms, m, ys, yc)| {
            let t: Vec<String> = terms.iter().map(|(i, w)| format!("({i}, {})", rat(w))).collect();
            format!("([{}], {m}, {}, {})", t.join(", "), int_list(ys), if yc.is_negative() { format!("({yc})") } else { yc.to_string() })
        })
        .collect();
    let _ = writeln!(
        *s,
        "set_option profiler true in\nset_option profiler.threshold 0 in\n\
         /-- Leaf {k}: every hidden box, every line and one refuting pass per disjunct, in one packed run. -/\n\
         theorem leaf{k}_ok : packedLeafOk {field} {} {outputs} violation leaf{k}Box [{}] leaf{k}Rs leaf{k}F {} {} {lg} leaf{k}Is [{}] = true := by\n  decide +kernel\n",
        net.beta_top,
        pks.join(", "),
        leaf.k,
        nat_list(&leaf.lower.iter().map(BigInt::abs).collect::<Vec<_>>()),
        refs.join(", ")
    );
    // A declaration of its own: the kernel frees its caches between declarations, and the wasm
    // worker crashed holding the IBP sums' and the main run's together.
    let _ = writeln!(
        *s,
        "set_option profiler true in\nset_option profiler.threshold 0 in\n\
         /-- Leaf {k}: every IBP box is covered by interval sums over the claimed box below. -/\n\
         theorem leaf{k}_ibp : ibpsOkB [{}] leaf{k}Rs leaf{k}Is = true := by\n  decide +kernel\n",
        pks.join(", ")
    );
    let _ = writeln!(*s, "/-- No input of leaf {k}'s box violates the property. -/");
    let _ = writeln!(
        *s,
        "theorem leaf{k}_safe : ∀ x : List Rat, Box.Mem leaf{k}Box x → Safe violation (evalNet net x) := by\n  \
         intro x hx\n  rw [net_eq]\n  exact packedLeafOk_safe (F := leaf{k}F) described fits acts leaf{k}_ok leaf{k}_ibp x hx\n"
    );
}

fn op_name_lean(op: &crate::ir::Op) -> String {
    op.name().to_string()
}

/// The op's attributes as Lean's `Node.attrs`, in the order `IR/Graph.lean` documents.
fn op_attrs_lean(op: &crate::ir::Op) -> String {
    use crate::ir::Op;
    let nums: Vec<String> = match op {
        Op::Conv2d(c) => [c.in_channels, c.out_channels, c.kernel[0], c.kernel[1], c.stride[0], c.stride[1], c.padding[0], c.padding[1]]
            .iter()
            .map(ToString::to_string)
            .collect(),
        Op::MaxPool2d(p) | Op::AvgPool2d(p) => {
            [p.kernel[0], p.kernel[1], p.stride[0], p.stride[1]].iter().map(ToString::to_string).collect()
        }
        Op::Concat { axis } => vec![axis.to_string()],
        Op::Slice { axis, start, end } => [axis, start, end].iter().map(ToString::to_string).collect(),
        Op::Reshape { shape } | Op::Input { shape } => shape.iter().map(ToString::to_string).collect(),
        Op::ScaleRsqrt { n } => vec![n.to_string()],
        // `eps > 0` is checked on read, so its numerator is a natural number.
        Op::LayerNorm { eps } => vec![eps.numer().to_string(), eps.denom().to_string()],
        Op::Constant
        | Op::Linear
        | Op::Relu
        | Op::Identity
        | Op::Gelu
        | Op::Tanh
        | Op::Sigmoid
        | Op::Add
        | Op::Sub
        | Op::Mul
        | Op::Matmul
        | Op::Flatten
        | Op::Transpose
        | Op::Softmax
        | Op::CausalMask => Vec::new(),
    };
    format!("[{}]", nums.join(", "))
}

fn rat_list(v: &[crate::num::Q]) -> String {
    let parts: Vec<String> = v.iter().map(|q| format!("({})", rat(q))).collect();
    format!("[{}]", parts.join(", "))
}

/// A graph as Lean's `Graph` literal (inputs first, then nodes in order, referred to by index;
/// parameters by their index in order of first use), and those parameter names.
fn graph_literal(g: &crate::ir::Graph) -> (String, Vec<&str>) {
    use crate::ir::Op;
    let inputs: Vec<&crate::ir::Node> = g.inputs().collect();
    let nodes: Vec<&crate::ir::Node> = g.nodes().iter().filter(|n| !matches!(n.op, Op::Input { .. })).collect();
    let order: Vec<&str> = inputs.iter().chain(nodes.iter()).map(|n| n.id.as_str()).collect();
    let mut params: Vec<&str> = Vec::new();
    for n in &nodes {
        for p in &n.params {
            if !params.contains(&p.as_str()) {
                params.push(p);
            }
        }
    }
    let idx = |id: &str| order.iter().position(|o| *o == id).expect("parent is earlier");
    let shape = |v: &[usize]| format!("[{}]", v.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "));
    let node_lits: Vec<String> = nodes
        .iter()
        .map(|n| {
            let ps: Vec<String> = n.parents.iter().map(|p| idx(p).to_string()).collect();
            let qs: Vec<String> = n.params.iter().map(|p| params.iter().position(|q| q == p).expect("listed").to_string()).collect();
            format!(
                "⟨.{}, [{}], [{}], {}, {}⟩",
                op_name_lean(&n.op),
                ps.join(", "),
                qs.join(", "),
                shape(&n.shape),
                op_attrs_lean(&n.op)
            )
        })
        .collect();
    let outs: Vec<String> = g.outputs().iter().map(|o| idx(o).to_string()).collect();
    let in_shapes: Vec<String> = inputs
        .iter()
        .map(|n| match &n.op {
            Op::Input { shape: sh } => shape(sh),
            _ => unreachable!("inputs"),
        })
        .collect();
    let lit = format!("⟨[{}],\n   [{}],\n   [{}]⟩", in_shapes.join(", "), node_lits.join(",\n    "), outs.join(", "));
    (lit, params)
}

/// The text of `TorchLean/IR/GraphExamples.lean`: each example graph (as the Rust IR built it),
/// its parameter tensors (binary32 bits, decoded exactly), an input, and the output the Rust exact
/// evaluator computed, with a theorem that Lean's `denote` gives the same output.
pub fn graph_examples_module(examples: &[(&str, &crate::ir::Graph, &crate::ir::TensorStore, Vec<crate::num::Q>)]) -> crate::error::Result<String> {
    use crate::ir::{Op, Tensor};
    let mut s = String::new();
    let _ = writeln!(s, "module\n\npublic import TorchLean.IR.Graph\npublic import TorchLean.Num.Binary32\n");
    let _ = writeln!(
        s,
        "/-! # The IR denotation agrees with the Rust evaluator (generated by torchlean; do not edit)\n\n\
         Each example is a graph as `src/ir` builds it, its parameters, one input and the output the Rust\n\
         exact evaluator (`Graph::eval_exact`) computes; the kernel checks that `denote` gives the same.\n\
         `tests/ir_lean.rs` regenerates this file and demands byte equality.\n-/\n"
    );
    let _ = writeln!(s, "public section\n\nnamespace TorchLean.IR.Examples\n\nopen TorchLean.IR TorchLean.Num.Binary32\n");
    for (name, g, store, input) in examples {
        let ident = module_name(name);
        let ident = ident[..1].to_ascii_lowercase() + &ident[1..];
        let (graph_lit, params) = graph_literal(g);
        let _ = writeln!(s, "/-- Example `{name}`: the graph. -/");
        let _ = writeln!(s, "@[expose] def {ident}Graph : Graph :=\n  {graph_lit}\n");
        let shape = |v: &[usize]| format!("[{}]", v.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "));
        let inputs: Vec<&crate::ir::Node> = g.inputs().collect();
        let param_lits: Vec<String> = params
            .iter()
            .map(|p| {
                let t = store.get(p).expect("param in store");
                let bits: Vec<String> = t.data().iter().map(|b| format!("0x{:08x}", b.to_bits())).collect();
                format!("⟨{}, decodeList [{}]⟩", shape(t.shape()), bits.join(", "))
            })
            .collect();
        let _ = writeln!(s, "/-- Example `{name}`: its parameters ({}), binary32 bits decoded exactly. -/", params.join(", "));
        let _ = writeln!(s, "@[expose] noncomputable def {ident}Params : List Value :=\n  [{}]\n", param_lits.join(",\n   "));
        let in_shape = match &inputs[0].op {
            Op::Input { shape: sh } => sh.clone(),
            _ => unreachable!(),
        };
        let out = g.eval_exact(store, &[Tensor::new(in_shape, input.clone())?])?;
        let out_lits: Vec<String> = out.iter().map(|t| rat_list(t.data())).collect();
        let _ = writeln!(s, "/-- Example `{name}`: `denote` gives the Rust exact evaluator's output. -/");
        let _ = writeln!(
            s,
            "theorem {ident}_agrees : denote {ident}Graph {ident}Params [{}] = some [{}] := by decide +kernel\n",
            rat_list(input),
            out_lits.join(", ")
        );
    }
    let _ = writeln!(s, "end TorchLean.IR.Examples");
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_pack_least_significant_first() {
        use crate::num::binary32::F32;
        assert_eq!(packed(&[F32(0x3f333333), F32(0xbfa66666)]), "0xbfa666663f333333");
        assert_eq!(packed(&[F32(0x00000001), F32(0)]), "0x1");
        assert_eq!(packed(&[F32(0)]), "0x0");
    }

    #[test]
    fn the_binary32_fact_is_stated_only_over_a_box_of_binary32_ends() {
        use crate::num::interval::parse_box;
        let binding = Binding { certificate: "sha256:c", payload: "sha256:p", property: "sha256:q", texts: None };
        let mlp = Mlp::demo();
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

    #[test]
    fn module_names_are_upper_camel_case() {
        assert_eq!(module_name("demo-mlp"), "DemoMlp");
        assert_eq!(module_name("acas_1_1-prop3"), "Acas11Prop3");
        assert_eq!(module_name("1_1"), "C11");
    }

    #[test]
    fn artifact_bytes_are_restated_32_per_big_endian_literal() {
        let mut s = String::new();
        let bytes: Vec<u8> = (0u8..33).collect();
        bytes_def(&mut s, "xBytes", "x.json", &bytes);
        assert_eq!(
            s,
            "/-- The canonical bytes of `x.json` (33 bytes, 32 per literal). -/\n\
             @[expose] noncomputable def xBytes : List Nat := Sha256.unpackText 33 [\n  \
             0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f,\n  0x20]\n\n"
        );
    }

    #[test]
    fn the_strong_binding_reads_the_three_claim_kinds_and_nothing_else() {
        let linf = br#"{"center":["1/2","-1"],"epsilon":"1/10","format":"torchlean.property.v1","kind":"linf_robust","label":2,"outputs":3,"semantics":"exact-rational"}"#;
        match claim_of(linf) {
            Some(("linf_robust", Claim::Linf { center, epsilon, label, outputs })) => {
                assert_eq!((center, epsilon, label, outputs), (vec!["1/2".to_string(), "-1".to_string()], "1/10".to_string(), 2, 3));
            }
            _ => panic!("an L∞ claim"),
        }
        assert!(matches!(claim_of(br#"{"kind":"output_box","semantics":"exact-rational"}"#), Some(("output_box", Claim::OutputBox))));
        assert!(matches!(claim_of(br#"{"kind":"violation_dnf","semantics":"exact-rational"}"#), Some(("violation_dnf", Claim::Violation))));
        assert!(claim_of(br#"{"kind":"violation_dnf","semantics":"binary32"}"#).is_none());
        assert!(claim_of(br#"{"kind":"other","semantics":"exact-rational"}"#).is_none());
    }
}
