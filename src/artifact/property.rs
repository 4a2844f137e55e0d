//! `torchlean.property.v1`: the claim, of kind `output_box`, `violation_dnf` (VNN-LIB) or
//! `linf_robust`; each kind's reader and writer.
use std::path::Path;

use serde_json::Value;

use super::{Artifact, Kind, expect_format};
use crate::error::{Error, Result};
use crate::json::guards::{array, at, fields, found, literal, non_empty, rat, read_box, size};
use crate::num::interval::Box;
use crate::num::rational::to_canonical;
use crate::property::robust::LinfRobust;
use crate::property::{LinearConstraint, Vnnlib};

/// A `torchlean.property.v1` of kind `output_box`: every input in `input_box` is mapped into
/// `output_box` (exact rational semantics).
#[derive(Debug, Clone, PartialEq)]
pub struct Property {
    pub input_box: Box,
    pub output_box: Box,
}

/// Reads a `torchlean.property.v1` (kind `output_box`, semantics `exact-rational`).
pub fn read_output_box(value: &Value) -> Result<Property> {
    let [format, input_box, kind, output_box, semantics] =
        fields(value, "", ["format", "input_box", "kind", "output_box", "semantics"])?;
    expect_format(format, Kind::Property)?;
    at("kind", literal(kind, &["output_box"]))?;
    at("semantics", literal(semantics, &["exact-rational"]))?;
    Ok(Property { input_box: read_box(input_box, "input_box")?, output_box: read_box(output_box, "output_box")? })
}

/// The canonical `torchlean.property.v1` artifact of an output-box property.
pub fn output_box_json(p: &Property) -> Value {
    let b = |x: &Box| Value::Array(x.iter().map(|i| serde_json::json!(i.to_strings())).collect());
    serde_json::json!({
        "format": "torchlean.property.v1",
        "kind": "output_box",
        "semantics": "exact-rational",
        "input_box": b(&p.input_box),
        "output_box": b(&p.output_box),
    })
}

/// Reads a `torchlean.property.v1` of kind `violation_dnf`: an input box and a disjunction of
/// conjunctions of linear output constraints `Σ coeffs[j]·y_j ≤ rhs` (`<` when `strict`) that
/// describe a violation (VNN-LIB semantics: the property holds iff no input of the box satisfies
/// every constraint of some disjunct).
pub fn read_violation(value: &Value) -> Result<Vnnlib> {
    let [format, input_box, input_open, kind, outputs, semantics, violation] =
        fields(value, "", ["format", "input_box", "input_open", "kind", "outputs", "semantics", "violation"])?;
    expect_format(format, Kind::Property)?;
    at("kind", literal(kind, &["violation_dnf"]))?;
    at("semantics", literal(semantics, &["exact-rational"]))?;
    let num_outputs = at("outputs", size(outputs))?;
    let disjuncts = at("violation", non_empty(violation))?;
    let mut dnf = Vec::with_capacity(disjuncts.len());
    for (i, d) in disjuncts.iter().enumerate() {
        let path = format!("violation[{i}]");
        let cs = at(&path, non_empty(d))?;
        let mut conj = Vec::with_capacity(cs.len());
        for (j, c) in cs.iter().enumerate() {
            let path = format!("{path}[{j}]");
            let [coeffs, rhs, strict] = at(&path, fields(c, "", ["coeffs", "rhs", "strict"]))?;
            let coeffs = at(&format!("{path}.coeffs"), non_empty(coeffs))?;
            if coeffs.len() != num_outputs {
                return Err(Error::bad_input(format!(
                    "{path}.coeffs: expected {num_outputs} coefficients (outputs), found {}",
                    coeffs.len()
                )));
            }
            let coeffs = coeffs.iter().enumerate().map(|(k, x)| at(&format!("{path}.coeffs[{k}]"), rat(x))).collect::<Result<_>>()?;
            let strict = strict
                .as_bool()
                .ok_or_else(|| Error::bad_input(format!("{path}.strict: expected true or false, found {strict}")))?;
            conj.push(LinearConstraint { coeffs, rhs: at(&format!("{path}.rhs"), rat(rhs))?, strict });
        }
        dnf.push(conj);
    }
    let input_box = read_box(input_box, "input_box")?;
    let ends = at("input_open", array(input_open))?;
    if ends.len() != input_box.len() {
        return Err(Error::bad_input(format!(
            "input_open: expected {} entries (one per input_box interval), found {}",
            input_box.len(),
            ends.len()
        )));
    }
    let mut open = Vec::with_capacity(ends.len());
    for (i, (e, iv)) in ends.iter().zip(&input_box).enumerate() {
        let pair = match e.as_array().map(|a| a.as_slice()) {
            Some([Value::Bool(l), Value::Bool(h)]) => [*l, *h],
            _ => return Err(Error::bad_input(format!("input_open[{i}]: expected [bool, bool], found {}", found(e)))),
        };
        if iv.lo == iv.hi && (pair[0] || pair[1]) {
            return Err(Error::bad_input(format!(
                "input_open[{i}]: expected a non-empty range, found an open end on the point interval {}",
                to_canonical(&iv.lo)
            )));
        }
        open.push(pair);
    }
    Ok(Vnnlib { input_box, input_open: open, violation: dnf, num_outputs })
}

/// The `torchlean.property.v1` artifact of a VNN-LIB property (kind `violation_dnf`).
pub fn violation_json(p: &Vnnlib) -> Value {
    let b: Vec<Value> = p.input_box.iter().map(|i| serde_json::json!(i.to_strings())).collect();
    let dnf: Vec<Value> = p
        .violation
        .iter()
        .map(|conj| {
            Value::Array(
                conj.iter()
                    .map(|c| {
                        serde_json::json!({
                            "coeffs": c.coeffs.iter().map(to_canonical).collect::<Vec<_>>(),
                            "rhs": to_canonical(&c.rhs),
                            "strict": c.strict,
                        })
                    })
                    .collect(),
            )
        })
        .collect();
    serde_json::json!({
        "format": "torchlean.property.v1",
        "kind": "violation_dnf",
        "semantics": "exact-rational",
        "input_box": b,
        "input_open": p.input_open.iter().map(|e| serde_json::json!(e)).collect::<Vec<_>>(),
        "outputs": p.num_outputs,
        "violation": dnf,
    })
}

/// Reads a `torchlean.property.v1` of kind `linf_robust`: every input within L∞ distance
/// `epsilon` of `center` gives output `label` a value strictly above each other output's.
pub fn read_robust(value: &Value) -> Result<LinfRobust> {
    let [center, epsilon, format, kind, label, outputs, semantics] =
        fields(value, "", ["center", "epsilon", "format", "kind", "label", "outputs", "semantics"])?;
    expect_format(format, Kind::Property)?;
    at("kind", literal(kind, &["linf_robust"]))?;
    at("semantics", literal(semantics, &["exact-rational"]))?;
    let center = at("center", non_empty(center))?
        .iter()
        .enumerate()
        .map(|(i, x)| at(&format!("center[{i}]"), rat(x)))
        .collect::<Result<Vec<_>>>()?;
    LinfRobust::new(center, at("epsilon", rat(epsilon))?, at("label", size(label))?, at("outputs", size(outputs))?)
}

/// The canonical `torchlean.property.v1` artifact of an L∞ claim (kind `linf_robust`).
pub fn robust_json(p: &LinfRobust) -> Value {
    serde_json::json!({
        "format": "torchlean.property.v1",
        "kind": "linf_robust",
        "semantics": "exact-rational",
        "center": p.center.iter().map(to_canonical).collect::<Vec<_>>(),
        "epsilon": to_canonical(&p.epsilon),
        "label": p.label,
        "outputs": p.outputs,
    })
}

/// The property of a file a user holds (`verify --property`), as the violation DNF the search
/// decides, and the canonical property artifact the certificate will reference: VNN-LIB text (written as `violation_dnf`), or a
/// property artifact of kind `violation_dnf`, `linf_robust` or `output_box` (written as read).
pub fn read_file(path: &Path) -> Result<(Vnnlib, Value)> {
    if path.extension().is_some_and(|e| e == "json") {
        let bytes = std::fs::read(path).map_err(|e| Error::io("cannot read", path, e))?;
        let v = crate::json::parse_strict(&bytes).map_err(|e| e.context(path.display().to_string()))?;
        let ctx = |e: Error| e.context(path.display().to_string());
        let artifact = Artifact::read(&v).map_err(ctx)?;
        let canonical = match &artifact {
            Artifact::ViolationProperty(p) => violation_json(p),
            Artifact::RobustProperty(p) => robust_json(p),
            Artifact::Property(p) => output_box_json(p),
            a => {
                return Err(Error::bad_input(format!(
                    "{}: format: expected \"torchlean.property.v1\", found a {} artifact",
                    path.display(),
                    a.kind().name()
                )));
            }
        };
        let prop = artifact.violation().expect("every property kind has violation disjuncts");
        return Ok((prop, canonical));
    }
    let text = std::fs::read_to_string(path).map_err(|e| Error::io("cannot read", path, e))?;
    let prop = crate::property::parse_vnnlib(&text, &path.display().to_string())?;
    let canonical = violation_json(&prop);
    Ok((prop, canonical))
}

/// As [`read_file`], every region of the property: a VNN-LIB file whose violation ranges over
/// several input boxes gives one `violation_dnf` per box ([`crate::property::vnnlib::parse_vnnlib_regions`]).
pub fn read_file_regions(path: &Path) -> Result<Vec<(Vnnlib, Value)>> {
    if path.extension().is_some_and(|e| e == "json") {
        return Ok(vec![read_file(path)?]);
    }
    let text = std::fs::read_to_string(path).map_err(|e| Error::io("cannot read", path, e))?;
    let regions = crate::property::vnnlib::parse_vnnlib_regions(&text, &path.display().to_string())?;
    Ok(regions.into_iter().map(|p| { let v = violation_json(&p); (p, v) }).collect())
}
