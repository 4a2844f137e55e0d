//! The strong binding: the artifacts' bytes restated in the module, the kernel's recomputation of
//! their SHA-256, its reading of the network and the claim from them, and `certified_artifacts`.
use std::fmt::Write;

use super::Binding;
use super::network::input_width;
use crate::bounds::dense::Dense;

/// Above this many artifact bytes in all, a module keeps to the weak binding. The kernel's SHA-256
/// takes about 0.13 s per 64-byte block on the wasm toolchain (measured: 2.4 KB in 4.8 s), so this
/// bound keeps the hashing near half a minute; the ACAS Xu payload alone (174 KB) would take ~6 min.
pub const STRONG_BINDING_MAX_BYTES: usize = 16 * 1024;

/// `name : List Nat`: the bytes of `file`, 32 per big-endian literal (see `Sha256.unpackText`).
pub(super) fn bytes_def(s: &mut String, name: &str, file: &str, bytes: &[u8]) {
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
pub(super) enum Claim {
    /// `output_box`: the output lies in the property's output box (`[lo, hi]` per output, as
    /// canonical rationals).
    OutputBox { output_box: Vec<(String, String)> },
    /// `violation_dnf`: no disjunct of `violation` holds.
    Violation,
    /// `linf_robust`: the label beats every rival; the module's `box0` and `violation` must be
    /// what Lean derives from the claim (`ballBox`, `linfViolation`).
    Linf { center: Vec<String>, epsilon: String, label: u64, outputs: u64 },
}

/// The claim a property artifact makes and its kind, if the strong binding can read it.
pub(super) fn claim_of(property: &[u8]) -> Option<(&'static str, Claim)> {
    let v: serde_json::Value = serde_json::from_slice(property).ok()?;
    if v["semantics"] != "exact-rational" {
        return None;
    }
    match v["kind"].as_str()? {
        "output_box" => Some((
            "output_box",
            Claim::OutputBox {
                output_box: v["output_box"]
                    .as_array()?
                    .iter()
                    .map(|iv| Some((iv.get(0)?.as_str()?.to_string(), iv.get(1)?.as_str()?.to_string())))
                    .collect::<Option<_>>()?,
            },
        )),
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
pub(super) fn strong_section(s: &mut String, mlp: &Dense, binding: &Binding, last: usize, expects: &[&str]) {
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
        Claim::OutputBox { .. } | Claim::Violation => {
            let (reader, value, fact, what) = match claim {
                Claim::OutputBox { .. } => {
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
            // `claim_lowered` is stated by `claim::claim_section`, which comes first.
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

#[cfg(test)]
mod tests {
    use super::*;

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
        match claim_of(br#"{"kind":"output_box","output_box":[["-1","2/3"]],"semantics":"exact-rational"}"#) {
            Some(("output_box", Claim::OutputBox { output_box })) => assert_eq!(output_box, vec![("-1".to_string(), "2/3".to_string())]),
            _ => panic!("an output box claim"),
        }
        assert!(matches!(claim_of(br#"{"kind":"violation_dnf","semantics":"exact-rational"}"#), Some(("violation_dnf", Claim::Violation))));
        assert!(claim_of(br#"{"kind":"violation_dnf","semantics":"binary32"}"#).is_none());
        assert!(claim_of(br#"{"kind":"other","semantics":"exact-rational"}"#).is_none());
    }
}
