//! Exact IBP certificates for dense networks: the property ("every input in this box maps into that
//! box"), the certificate (every intermediate box, so Lean checks one layer at a time), the manifest
//! and the generated Lean module, all cross-referenced by SHA-256.
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::schema::{Property, output_box_property_json};
use super::store::{Written, write_artifact, write_atomic, write_manifest};
use crate::bounds::ibp::ibp_mlp_rounded;
use crate::num::interval::{Box, Interval};
use crate::error::Result;
use crate::lean::emit::{self, Binding, Texts};
use crate::model::Mlp;
use crate::num::rational::to_canonical;

fn box_json(b: &Box) -> Value {
    Value::Array(b.iter().map(|i| json!(i.to_strings())).collect())
}

/// What `certify_dense_ibp` wrote.
#[derive(Debug, Clone)]
pub struct Certified {
    pub name: String,
    pub payload: Written,
    pub property: Written,
    pub certificate: Written,
    pub manifest: Written,
    pub lean_module: String,
    pub lean_path: PathBuf,
    pub output_box: Box,
}

/// Computes exact IBP for `mlp` on `input` (intermediate boxes rounded outward to `round_bits`
/// significant bits when given, which keeps deep networks' numbers short) and writes `certificates/<name>/{payload,property,
/// certificate,manifest}.json` under `cert_root` plus `Certificates/<Module>.lean` under `lean_dir`.
pub fn certify_dense_ibp(
    name: &str,
    mlp: &Mlp,
    input: &Box,
    round_bits: Option<u32>,
    cert_root: &Path,
    lean_dir: &Path,
) -> Result<Certified> {
    let boxes = ibp_mlp_rounded(mlp, input, round_bits)?;
    let output = boxes.last().expect("ibp returns at least the input box").clone();
    let dir = cert_root.join(name);
    let payload = write_artifact(&dir.join("payload.json"), "payload", &mlp.payload()?)?;
    let claim = Property { input_box: input.clone(), output_box: output };
    let property = write_artifact(&dir.join("property.json"), "property", &output_box_property_json(&claim))?;
    let certificate = json!({
        "format": "torchlean.certificate.v1",
        "method": "ibp",
        "payload": payload.sha256,
        "property": property.sha256,
        "boxes": Value::Array(boxes.iter().map(box_json).collect()),
    });
    let certificate = write_artifact(&dir.join("certificate.json"), "certificate", &certificate)?;
    let manifest = write_manifest(&dir, name, &[payload.clone(), property.clone(), certificate.clone()])?;
    let module = emit::module_name(name);
    let texts = Some(Texts { certificate: &certificate.bytes, payload: &payload.bytes, property: &property.bytes });
    let binding = Binding { certificate: &certificate.sha256, payload: &payload.sha256, property: &property.sha256, texts };
    let text = emit::dense_ibp_module(name, mlp, &boxes, &binding);
    let lean_path = lean_dir.join("Certificates").join(format!("{module}.lean"));
    write_atomic(&lean_path, text.as_bytes())?;
    Ok(Certified {
        name: name.to_string(),
        payload,
        property,
        certificate,
        manifest,
        lean_module: format!("Certificates.{module}"),
        lean_path,
        output_box: claim.output_box,
    })
}

/// Short display of a box for tables: `[lo, hi] × …` with exact values.
pub fn box_display(b: &Box) -> String {
    b.iter().map(|Interval { lo, hi }| format!("[{}, {}]", to_canonical(lo), to_canonical(hi))).collect::<Vec<_>>().join(" × ")
}
