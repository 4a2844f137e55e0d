//! The pin of a certificate module: `Pins/<Module>.lean`, which states `Claim` (or `ClaimS`) of the
//! data read here from the certificate's artifacts and has Lean accept the module's
//! `certified_claim` at that type.
//!
//! This is the one place `check` learns what a certificate claims, and it shares no code with the
//! module emitter (`lean::emit`): it reads `payload.json` and `property.json` with the artifact
//! readers, lowers the payload to the IR graph (`model::lower`), and writes each Lean literal itself
//! following `IR/Graph.lean` and `Cert/Claim.lean`. A module that proves a weaker statement, or one
//! about another network, box or property, does not have the pinned type, and Lean rejects the pin.
use std::fmt::Write;
use std::path::Path;

use crate::artifact::Artifact;
use crate::error::{Error, Result};
use crate::ir::{Graph, Op};
use crate::json::canonical::sha256_ref;
use crate::num::Q;
use crate::num::binary32::F32;
use crate::num::rational::to_canonical;

/// The Lean library of pins (`<lean-dir>/Pins/`), rewritten by every `check`.
pub const LIBRARY: &str = "Pins";

/// A pin: the module text and what it pins, for the report.
#[derive(Debug, Clone, PartialEq)]
pub struct Pin {
    pub text: String,
    /// `sha256:…` of the payload and the property the pinned statement is read from.
    pub payload: String,
    pub property: String,
    /// The statement, in brief (`Claim graph params box (.safe violation)`, …).
    pub statement: String,
}

/// The pinned data as Lean literals.
struct Data {
    claim: &'static str,
    graph: String,
    params: String,
    region: String,
    goal: String,
    goal_kind: &'static str,
}

/// Reads the artifacts in `dir` of the certificate module `module` (whose source is `source`) and
/// writes its pin, or says why the statement cannot be pinned (the caller fails the certificate).
pub fn pin(module: &str, source: &str, dir: &Path) -> Result<Pin> {
    let read = |file: &str| -> Result<Vec<u8>> {
        let p = dir.join(file);
        std::fs::read(&p).map_err(|e| Error::io("cannot read", &p, e))
    };
    let artifact = |file: &str, bytes: &[u8]| -> Result<Artifact> {
        let v = crate::json::parse_strict(bytes).map_err(|e| e.context(dir.join(file).display().to_string()))?;
        Artifact::read(&v).map_err(|e| e.context(dir.join(file).display().to_string()))
    };
    // The module names its certificate by hash; the certificate names payload and property by hash.
    let cert_bytes = read("certificate.json")?;
    let stated = stated_certificate(source).ok_or_else(|| {
        Error::check_failed(format!("{module}: expected `def certificateSha256 : String := \"sha256:…\"`, found none"))
    })?;
    let cert_sha = sha256_ref(&cert_bytes);
    if stated != cert_sha {
        return Err(Error::check_failed(format!(
            "{module}: certificateSha256: expected {cert_sha} (the SHA-256 of {}), found {stated}",
            dir.join("certificate.json").display()
        )));
    }
    let (payload_ref, property_ref, tree) = match artifact("certificate.json", &cert_bytes)? {
        Artifact::Certificate(c) => (c.payload, c.property, false),
        Artifact::TreeCertificate(c) => (c.payload, c.property, true),
        a => {
            return Err(Error::bad_input(format!(
                "{}: expected a certificate artifact, found a {} artifact",
                dir.join("certificate.json").display(),
                a.kind().name()
            )));
        }
    };
    let (payload_bytes, property_bytes) = (read("payload.json")?, read("property.json")?);
    for (file, key, named, bytes) in
        [("payload.json", "payload", &payload_ref, &payload_bytes), ("property.json", "property", &property_ref, &property_bytes)]
    {
        let sha = sha256_ref(bytes);
        if *named != sha {
            return Err(Error::check_failed(format!(
                "{}: {key}: expected {sha} (the SHA-256 of {}), found {named}",
                dir.join("certificate.json").display(),
                dir.join(file).display()
            )));
        }
    }
    let graph = match artifact("payload.json", &payload_bytes)? {
        Artifact::Payload(m) => crate::model::lower(&m).map_err(|e| e.context(dir.join("payload.json").display().to_string()))?,
        a => {
            return Err(Error::bad_input(format!(
                "{}: expected a payload, found a {} artifact",
                dir.join("payload.json").display(),
                a.kind().name()
            )));
        }
    };
    let property = artifact("property.json", &property_bytes)?;
    let data = data(&graph, &property, tree).map_err(|e| e.context(module.to_string()))?;
    let short = module.trim_start_matches("Certificates.");
    let statement = format!("{} graph params {} {}", data.claim, if data.goal_kind == "robust" { "(ballBox …)" } else { "box" }, data.goal_kind);
    Ok(Pin {
        text: text(short, &data, &sha256_ref(&payload_bytes), &sha256_ref(&property_bytes)),
        payload: sha256_ref(&payload_bytes),
        property: sha256_ref(&property_bytes),
        statement,
    })
}

/// The hash a module states as `certificateSha256`.
fn stated_certificate(source: &str) -> Option<&str> {
    let key = "def certificateSha256 : String := \"";
    let rest = &source[source.find(key)? + key.len()..];
    rest.split('"').next()
}

fn data(graph: &Graph, property: &Artifact, tree: bool) -> Result<Data> {
    let smooth = graph.nodes().iter().any(|n| matches!(n.op, Op::Tanh | Op::Sigmoid | Op::Gelu));
    let (graph_lit, names) = graph_literal(graph);
    let params: Vec<String> = names
        .iter()
        .map(|name| {
            let t = graph.tensor(name).ok_or_else(|| Error::internal(format!("graph parameter {name} has no tensor")))?;
            Ok(tensor_literal(t.shape(), t.data()))
        })
        .collect::<Result<_>>()?;
    let (region, goal, goal_kind) = match property {
        Artifact::ViolationProperty(p) => {
            let conj: Vec<String> = p
                .violation
                .iter()
                .map(|c| {
                    let rows: Vec<String> = c
                        .iter()
                        .map(|r| format!("⟨{}, {}, {}⟩", rats(&r.coeffs), to_canonical(&r.rhs), r.strict))
                        .collect();
                    format!("[{}]", rows.join(", "))
                })
                .collect();
            (box_of(&p.input_box), format!(".safe [{}]", conj.join(", ")), "safe")
        }
        Artifact::RobustProperty(p) => (
            format!("ballBox {} ({})", rats(&p.center), to_canonical(&p.epsilon)),
            format!(".robust {} {}", p.label, p.outputs),
            "robust",
        ),
        Artifact::Property(p) if !tree => (box_of(&p.input_box), format!(".box {}", box_of(&p.output_box)), "box"),
        // A split tree refutes the box's complement (`Cert/Claim.lean`, `outsideBox`).
        Artifact::Property(p) => (box_of(&p.input_box), format!(".safe (outsideBox {})", box_of(&p.output_box)), "outside box"),
        a => return Err(Error::bad_input(format!("expected a property artifact, found a {} artifact", a.kind().name()))),
    };
    Ok(Data {
        claim: if smooth { "ClaimS" } else { "Claim" },
        graph: graph_lit,
        params: format!("[{}]", params.join(",\n   ")),
        region,
        goal,
        goal_kind,
    })
}

fn text(short: &str, d: &Data, payload: &str, property: &str) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "module\n\npublic import TorchLean.Cert.{}\npublic import Certificates.{short}\n", d.claim);
    let _ = writeln!(
        s,
        "/-! # Pin of `Certificates.{short}` (written by `torchlean check`; not by the emitter)\n\n\
         The claim read from the artifacts:\n- payload {payload}\n- property {property}\n\n\
         `pinned` has Lean accept the module's final theorem at exactly this type. -/\n"
    );
    let _ = writeln!(s, "public section\n\nnamespace Pins.{short}\n\nopen TorchLean.IR TorchLean.Bounds TorchLean.Cert TorchLean.Num.Binary32\n");
    let _ = writeln!(s, "/-- The IR graph the payload lowers to. -/\n@[expose] def graph : Graph :=\n  {}\n", d.graph);
    let _ = writeln!(s, "/-- The payload's tensors, in the order the graph's nodes name them. -/");
    let _ = writeln!(s, "@[expose] noncomputable def params : List Value :=\n  {}\n", d.params);
    let _ = writeln!(s, "/-- The property's input region. -/\n@[expose] noncomputable def region : Box := {}\n", d.region);
    let _ = writeln!(s, "/-- The property's goal for the output. -/\n@[expose] noncomputable def goal : Goal := {}\n", d.goal);
    let _ = writeln!(
        s,
        "/-- The module's `certified_claim` is the claim of these artifacts. -/\n\
         theorem pinned : {} graph params region goal := Certificates.{short}.certified_claim\n",
        d.claim
    );
    let _ = writeln!(s, "end Pins.{short}");
    s
}

/// `[⟨lo, hi⟩, …]`.
fn box_of(b: &crate::num::interval::Box) -> String {
    let parts: Vec<String> = b.iter().map(|i| format!("⟨{}, {}⟩", to_canonical(&i.lo), to_canonical(&i.hi))).collect();
    format!("[{}]", parts.join(", "))
}

fn rats(v: &[Q]) -> String {
    format!("[{}]", v.iter().map(to_canonical).collect::<Vec<_>>().join(", "))
}

/// Bit patterns of one row in one `Nat`, element `j` in bits `32j … 32j+31` (`Num/Packed.lean`'s
/// `unpack`).
fn pack(row: &[F32]) -> String {
    let mut hex = String::new();
    for b in row.iter().rev() {
        let _ = write!(hex, "{:08x}", b.to_bits());
    }
    let digits = hex.trim_start_matches('0');
    format!("0x{}", if digits.is_empty() { "0" } else { digits })
}

/// A parameter tensor as Lean's `Value`: a vector as one packed literal, anything else as packed
/// rows of its last dimension, decoded exactly and flattened (row-major).
fn tensor_literal(shape: &[usize], data: &[F32]) -> String {
    let dims = nats(shape);
    if shape.len() <= 1 {
        return format!("⟨{dims}, decodeList (unpack {} {})⟩", data.len(), pack(data));
    }
    let cols = shape[shape.len() - 1].max(1);
    let rows: Vec<String> = data.chunks(cols).map(pack).collect();
    format!("⟨{dims}, (decodeRows (unpackRows {cols} [{}])).flatten⟩", rows.join(", "))
}

fn nats(v: &[usize]) -> String {
    format!("[{}]", v.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "))
}

/// The graph as Lean's `Graph` (inputs first, then the other nodes in order, referred to by index;
/// parameters numbered in order of first use), and the parameter names in that order.
fn graph_literal(g: &Graph) -> (String, Vec<String>) {
    let inputs: Vec<_> = g.inputs().collect();
    let nodes: Vec<_> = g.nodes().iter().filter(|n| !matches!(n.op, Op::Input { .. })).collect();
    let order: Vec<&str> = inputs.iter().chain(&nodes).map(|n| n.id.as_str()).collect();
    let mut names: Vec<String> = Vec::new();
    let mut lits = Vec::new();
    for n in &nodes {
        let parents: Vec<usize> = n.parents.iter().map(|p| order.iter().position(|o| o == p).expect("parents come first")).collect();
        let params: Vec<usize> = n
            .params
            .iter()
            .map(|p| match names.iter().position(|q| q == p) {
                Some(i) => i,
                None => {
                    names.push(p.clone());
                    names.len() - 1
                }
            })
            .collect();
        let attrs = attrs(&n.op).join(", ");
        lits.push(format!("⟨.{}, {}, {}, {}, [{attrs}]⟩", n.op.name(), nats(&parents), nats(&params), nats(&n.shape)));
    }
    let shapes: Vec<String> = inputs
        .iter()
        .map(|n| match &n.op {
            Op::Input { shape } => nats(shape),
            _ => unreachable!("graph inputs are input nodes"),
        })
        .collect();
    let outs: Vec<usize> = g.outputs().iter().map(|o| order.iter().position(|p| p == o).expect("outputs are values")).collect();
    (format!("⟨[{}],\n   [{}],\n   {}⟩", shapes.join(", "), lits.join(",\n    "), nats(&outs)), names)
}

/// An op's attributes in the order `IR/Graph.lean` documents for `Node.attrs`.
fn attrs(op: &Op) -> Vec<String> {
    let n = |v: &[usize]| v.iter().map(ToString::to_string).collect::<Vec<_>>();
    match op {
        Op::Conv2d(c) => n(&[c.in_channels, c.out_channels, c.kernel[0], c.kernel[1], c.stride[0], c.stride[1], c.padding[0], c.padding[1]]),
        Op::MaxPool2d(p) | Op::AvgPool2d(p) => n(&[p.kernel[0], p.kernel[1], p.stride[0], p.stride[1]]),
        Op::Concat { axis } => n(&[*axis]),
        Op::Slice { axis, start, end } => n(&[*axis, *start, *end]),
        Op::Reshape { shape } | Op::Input { shape } => n(shape),
        Op::ScaleRsqrt { n: k } => n(&[*k]),
        // Read with `eps > 0`, so both parts are natural numbers.
        Op::LayerNorm { eps } => vec![eps.numer().to_string(), eps.denom().to_string()],
        _ => Vec::new(),
    }
}

/// The text of `key …` up to the next blank line, without whitespace: a definition's body as it
/// reads, for comparing the module's data with the pin's.
fn body(text: &str, key: &str) -> Option<String> {
    let start = text.find(key)? + key.len();
    let rest = &text[start..];
    let end = rest.find("\n\n").unwrap_or(rest.len());
    Some(rest[..end].split_whitespace().collect())
}

/// What differs between the module's statement and its pin, as far as the texts show: said when
/// Lean rejects a pin, whose own message prints the two types (often cut off).
pub fn differences(module: &str, pin: &str) -> Vec<String> {
    let Some(stated) = body(module, "theorem certified_claim :") else {
        return vec!["the module states no `certified_claim` (its final theorem)".to_string()];
    };
    let stated = stated.split(":=").next().unwrap_or("").to_string();
    let mut out = vec![format!("its `certified_claim` states `{stated}`")];
    let compare = |what: &str, module_key: &str, pin_key: &str, prefix: &str| -> Option<String> {
        let (m, p) = (body(module, module_key)?, body(pin, pin_key)?);
        let p = p.strip_prefix(prefix).unwrap_or(&p).to_string();
        (m != p).then(|| format!("{what}: the module states `{}`, the artifacts give `{}`", clip(&m), clip(&p)))
    };
    out.extend(compare("graph", "def graph : Graph :=", "def graph : Graph :=", ""));
    if !pin.contains("def region : Box := ballBox") {
        out.extend(compare("input box (box0)", "def box0 : Box :=", "def region : Box :=", ""));
    }
    if pin.contains("def goal : Goal := .safe [") {
        out.extend(compare("violation", "def violation : List (List Row) :=", "def goal : Goal :=", ".safe"));
    }
    out
}

fn clip(s: &str) -> String {
    if s.chars().count() <= 120 { s.to_string() } else { format!("{}…", s.chars().take(120).collect::<String>()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo() -> std::path::PathBuf {
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    }

    /// The committed demo's pin: the claim read from its artifacts, and the same graph and
    /// parameters the emitter wrote (so Lean compares them by unfolding, not by computing).
    #[test]
    fn the_demo_pin_states_the_claim_of_its_artifacts() {
        let module = std::fs::read_to_string(repo().join("lean/Certificates/DemoMlp.lean")).unwrap();
        let p = pin("Certificates.DemoMlp", &module, &repo().join("certificates/demo-mlp")).unwrap();
        assert_eq!(p.payload, "sha256:c49c75e3b31e55957dbe87eedf5e462446efe3f4ea0420848e8b00cfa945beac");
        assert_eq!(p.property, "sha256:85ae978c3b3e75ef6dc3b361772e3ef0a465498ed7b0422e161c4d1d8c12ed8a");
        assert_eq!(p.statement, "Claim graph params box box");
        for line in [
            "@[expose] noncomputable def region : Box := [⟨-1/2, 1⟩, ⟨0, 1⟩]",
            "@[expose] noncomputable def goal : Goal := .box [⟨-143552238625751/140737488355328, 3918131722117449/2251799813685248⟩]",
            "  [⟨[3, 2], (decodeRows (unpackRows 2 [0xbfa666663f333333, 0x3f666666becccccd, 0x3e8000003f8ccccd])).flatten⟩,",
            "theorem pinned : Claim graph params region goal := Certificates.DemoMlp.certified_claim",
        ] {
            assert!(p.text.lines().any(|l| l == line), "missing «{line}» in\n{}", p.text);
        }
        assert_eq!(body(&p.text, "def graph : Graph :="), body(&module, "def graph : Graph :="));
        assert_eq!(differences(&module, &p.text), vec!["its `certified_claim` states `Claimgraphparamsbox0(.boxbox2)`".to_string()]);
    }

    #[test]
    fn a_module_naming_another_certificate_is_not_pinned() {
        let module = std::fs::read_to_string(repo().join("lean/Certificates/DemoMlp.lean")).unwrap();
        let other = module.replace("sha256:6c035dc316d4587e", "sha256:7c035dc316d4587e");
        let e = pin("Certificates.DemoMlp", &other, &repo().join("certificates/demo-mlp")).unwrap_err().to_string();
        assert_eq!(
            e,
            format!(
                "Certificates.DemoMlp: certificateSha256: expected sha256:6c035dc316d4587e4d438767832f0fe415439f22b90c78cebe372b44a1287b67 \
                 (the SHA-256 of {}), found sha256:7c035dc316d4587e4d438767832f0fe415439f22b90c78cebe372b44a1287b67",
                repo().join("certificates/demo-mlp/certificate.json").display()
            )
        );
    }
}
