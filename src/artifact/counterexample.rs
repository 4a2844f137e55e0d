//! `torchlean.counterexample.v1`: evidence against a property; reader and writer.
use serde_json::{Value, json};

use super::{Kind, expect_format};
use crate::error::Result;
use crate::json::guards::{at, bits, fields, literal, non_empty, rat, sha256, size};
use crate::num::Q;
use crate::num::binary32::F32;
use crate::num::rational::to_canonical;
use crate::search::attack;

/// A `torchlean.counterexample.v1`: an input point of the property's input box and the exact output
/// of the payload's network there, which lies outside the property's output box.
#[derive(Debug, Clone, PartialEq)]
pub struct Counterexample {
    pub payload: String,
    pub property: String,
    pub input: Vec<Q>,
    pub output: Vec<Q>,
    /// For a `violation_dnf` property: the disjunct the exact output satisfies, and the outputs of
    /// the declared-order binary32 execution at the same (binary32) input.
    pub violation: Option<(usize, Vec<F32>)>,
    /// Semantics `binary32-declared-order`: the point violates the property as the network runs in
    /// binary32 (its `f32_output`, read exactly, satisfies `disjunct`), whatever its exact output
    /// does. Otherwise (`exact-rational`) the exact output violates it.
    pub binary32: bool,
}

/// The `semantics` of a counterexample of the declared-order binary32 execution.
pub const BINARY32: &str = "binary32-declared-order";

/// Reads a `torchlean.counterexample.v1` (semantics `exact-rational`). A counterexample of a
/// `violation_dnf` property also has `disjunct` and `f32_output` (binary32 bits).
pub fn read(value: &Value) -> Result<Counterexample> {
    let point = |v: &Value, path: &str| -> Result<Vec<Q>> {
        let xs = at(path, non_empty(v))?;
        xs.iter().enumerate().map(|(i, x)| at(&format!("{path}[{i}]"), rat(x))).collect()
    };
    if value.get("disjunct").is_some() {
        let [disjunct, f32_output, format, input, output, payload, property, semantics] = fields(
            value,
            "",
            ["disjunct", "f32_output", "format", "input", "output", "payload", "property", "semantics"],
        )?;
        expect_format(format, Kind::Counterexample)?;
        let binary32 = at("semantics", literal(semantics, &["exact-rational", BINARY32]))? == BINARY32;
        let f = at("f32_output", non_empty(f32_output))?;
        let f = f.iter().enumerate().map(|(i, b)| at(&format!("f32_output[{i}]"), bits(b))).collect::<Result<_>>()?;
        return Ok(Counterexample {
            payload: at("payload", sha256(payload))?,
            property: at("property", sha256(property))?,
            input: point(input, "input")?,
            output: point(output, "output")?,
            violation: Some((at("disjunct", size(disjunct))?, f)),
            binary32,
        });
    }
    let [format, input, output, payload, property, semantics] =
        fields(value, "", ["format", "input", "output", "payload", "property", "semantics"])?;
    expect_format(format, Kind::Counterexample)?;
    at("semantics", literal(semantics, &["exact-rational"]))?;
    Ok(Counterexample {
        payload: at("payload", sha256(payload))?,
        property: at("property", sha256(property))?,
        input: point(input, "input")?,
        output: point(output, "output")?,
        violation: None,
        binary32: false,
    })
}

/// The `torchlean.counterexample.v1` of a violated `violation_dnf` property: of the exact
/// semantics, or with `semantics` [`BINARY32`] when `cex` violates it only as the network runs in
/// binary32 ([`attack::replay_f32`]).
pub fn write(payload: &str, property: &str, cex: &attack::Counterexample) -> Value {
    let input: Vec<String> = cex.input.iter().map(|b| to_canonical(&b.to_rational().expect("finite input"))).collect();
    json!({
        "format": "torchlean.counterexample.v1",
        "semantics": if cex.exact_violates { "exact-rational" } else { BINARY32 },
        "payload": payload,
        "property": property,
        "input": input,
        "output": cex.exact_output.iter().map(to_canonical).collect::<Vec<_>>(),
        "disjunct": cex.disjunct,
        "f32_output": cex.f32_output.iter().map(|b| b.to_hex()).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn counterexample_reads_points() {
        let h = format!("sha256:{}", "0".repeat(64));
        let c = json!({"format": "torchlean.counterexample.v1", "payload": h, "property": h, "semantics": "exact-rational",
                       "input": ["1/2", "0"], "output": ["7"]});
        let c = read(&c).unwrap();
        assert_eq!(c.input[0], Q::new(1.into(), 2.into()));
        assert_eq!(c.output.len(), 1);
    }
}
