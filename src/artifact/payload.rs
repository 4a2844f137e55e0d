//! `torchlean.payload.v1`: a model of a family (`docs/families.md`), its spec and its tensors as
//! binary32 bits. The reader checks everything [`Model::new`] checks, naming keys as it goes.
use std::path::Path;

use serde_json::{Value, json};

use super::{Kind, expect_format};
use crate::error::{Error, Result};
use crate::ir::{Graph, Tensor};
use crate::json::guards::{array, at, bits, fields, literal, rat, read_shape, size, tensor_name};
use crate::model::cnn::{CnnLayer, CnnSpec};
use crate::model::transformer::{AttentionMask, TransformerSpec};
use crate::model::{Act, Family, MlpSpec, Model};
use crate::num::binary32::F32;

/// The `torchlean.payload.v1` artifact of a model (canonicalise before hashing or writing).
pub fn write(model: &Model) -> Value {
    let tensors: Vec<Value> = model
        .tensors()
        .iter()
        .map(|(name, t)| {
            let bits: Vec<String> = t.data().iter().map(|b| b.to_hex()).collect();
            json!({"f32": bits, "name": name, "shape": t.shape()})
        })
        .collect();
    json!({
        "family": model.family().tag(),
        "format": "torchlean.payload.v1",
        "spec": model.family().spec_json(),
        "tensors": tensors,
    })
}

/// Reads the model of a file a user holds: a `.nnet` file (ACAS Xu format), an ONNX file whose
/// graph is an mlp's or a cnn's (`model::onnx`), a payload JSON (need
/// not be canonical), or a directory written by `torchlean import` (its `payload.json`). Errors
/// are prefixed with the file's path.
pub fn read_model_file(path: &Path) -> Result<Model> {
    let file = if path.is_dir() { path.join("payload.json") } else { path.to_path_buf() };
    let name = file.display().to_string();
    if file.extension().is_some_and(|e| e == "nnet") {
        let text = std::fs::read_to_string(&file).map_err(|e| Error::io("cannot read", &file, e))?;
        return crate::model::nnet::parse_nnet_model(&text, &name);
    }
    if file.extension().is_some_and(|e| e == "onnx") {
        let bytes = read_onnx_bytes(&file)?;
        return crate::model::onnx::parse_onnx_model(&bytes, &name);
    }
    let bytes = std::fs::read(&file).map_err(|e| Error::io("cannot read", &file, e))?;
    let value: Value =
        crate::json::parse_strict(&bytes).map_err(|e| e.context(name.clone()))?;
    read(&value).map_err(|e| e.context(name))
}

/// An ONNX file's bytes, its size checked before it is read.
fn read_onnx_bytes(file: &Path) -> Result<Vec<u8>> {
    let len = std::fs::metadata(file).map_err(|e| Error::io("cannot read", file, e))?.len();
    if len > crate::limits::MAX_ONNX_BYTES as u64 {
        return Err(Error::bad_input(format!("{}: expected an ONNX file of at most {} bytes, found {len}", file.display(), crate::limits::MAX_ONNX_BYTES)));
    }
    std::fs::read(file).map_err(|e| Error::io("cannot read", file, e))
}

/// The network of a file a user holds ([`read_model_file`], lowered to its graph). An ONNX file
/// gives its graph as read, of a family or not (a residual network, a normalising `Sub`).
pub fn read_network_file(path: &Path) -> Result<Graph> {
    if path.extension().is_some_and(|e| e == "onnx") && !path.is_dir() {
        let bytes = read_onnx_bytes(path)?;
        return crate::model::onnx::parse_onnx(&bytes, &path.display().to_string());
    }
    let model = read_model_file(path)?;
    crate::model::lower(&model).map_err(|e| e.context(path.display().to_string()))
}

/// Reads a `torchlean.payload.v1` of any family (`docs/families.md`) into a [`Model`]. The checks
/// run in this order, each failing with one line that names the key (our parameter names):
/// the family tag; the spec; the parameter names (a missing one, then an extra one); their order;
/// each shape (`layers.0.weight: expected shape [32, 10], found [10, 32]`); each value count; each
/// scalar (binary32 bits, finite).
pub fn read(value: &Value) -> Result<Model> {
    let [family, format, spec, tensors] = fields(value, "", ["family", "format", "spec", "tensors"])?;
    expect_format(format, Kind::Payload)?;
    let tag = at("family", literal(family, &Family::TAGS))?;
    let family = at("spec", read_spec(tag, spec))?;
    let params = family.params();
    let list = at("tensors", array(tensors))?;
    let mut entries = Vec::with_capacity(list.len());
    for (t, v) in list.iter().enumerate() {
        let path = format!("tensors[{t}]");
        let [f32s, name, shape] = fields(v, &path, ["f32", "name", "shape"])?;
        let name = at(&format!("{path}.name"), tensor_name(name))?;
        if entries.iter().any(|(n, _, _): &(String, _, _)| *n == name) {
            return Err(Error::bad_input(format!("{name}: expected one tensor of this name, found two")));
        }
        entries.push((name, shape, f32s));
    }
    let expected: Vec<&str> = params.iter().map(|p| p.name.as_str()).collect();
    if let Some(p) = params.iter().find(|p| !entries.iter().any(|e| e.0 == p.name)) {
        return Err(Error::bad_input(format!("{}: expected a tensor of shape {:?}, found none", p.name, p.shape)));
    }
    if let Some(e) = entries.iter().find(|e| !expected.contains(&e.0.as_str())) {
        return Err(Error::bad_input(format!(
            "{}: expected no such tensor (family {tag} has {}), found one",
            e.0,
            expected.join(", ")
        )));
    }
    if let Some((i, (e, p))) = entries.iter().zip(&params).enumerate().find(|(_, (e, p))| e.0 != p.name) {
        return Err(Error::bad_input(format!(
            "tensors[{i}]: expected \"{}\" (parameter order: {}), found \"{}\"",
            p.name,
            expected.join(", "),
            e.0
        )));
    }
    let mut shapes = Vec::with_capacity(params.len());
    for (e, p) in entries.iter().zip(&params) {
        let shape = at(&e.0, read_shape(e.1, "shape"))?;
        if shape != p.shape {
            return Err(Error::bad_input(format!("{}: expected shape {:?}, found {:?}", e.0, p.shape, shape)));
        }
        shapes.push(shape);
    }
    let mut values = Vec::with_capacity(params.len());
    for (e, shape) in entries.iter().zip(&shapes) {
        let vs = at(&format!("{}.f32", e.0), array(e.2))?;
        let want = shape.iter().product::<usize>();
        if vs.len() != want {
            return Err(Error::bad_input(format!(
                "{}: expected {want} values (shape {shape:?}), found {}",
                e.0,
                vs.len()
            )));
        }
        values.push(vs);
    }
    let mut out = Vec::with_capacity(params.len());
    for ((e, shape), vs) in entries.iter().zip(shapes).zip(values) {
        let data = vs
            .iter()
            .enumerate()
            .map(|(i, x)| {
                let b = at(&format!("{}[{i}]", e.0), bits(x))?;
                if !b.is_finite() {
                    return Err(Error::bad_input(format!(
                        "{}[{i}]: expected a finite binary32, found {}",
                        e.0,
                        b.to_hex()
                    )));
                }
                Ok(b)
            })
            .collect::<Result<Vec<F32>>>()?;
        out.push((e.0.clone(), Tensor::new(shape, data)?));
    }
    Model::new(family, out)
}

/// The `spec` of family `tag`.
fn read_spec(tag: &str, spec: &Value) -> Result<Family> {
    let pos = |v: &Value, k: &str| {
        at(k, size(v)).and_then(|n| match n {
            0 => Err(Error::bad_input(format!("{k}: expected at least 1, found 0"))),
            n => Ok(n),
        })
    };
    match tag {
        "mlp" => {
            let [acts, widths] = fields(spec, "", ["activations", "widths"])?;
            let widths = at("widths", array(widths))?
                .iter()
                .enumerate()
                .map(|(i, w)| pos(w, &format!("widths[{i}]")))
                .collect::<Result<Vec<_>>>()?;
            let names: Vec<&str> = Act::ALL.iter().map(|a| a.name()).collect();
            let acts = at("activations", array(acts))?
                .iter()
                .enumerate()
                .map(|(i, a)| at(&format!("activations[{i}]"), literal(a, &names)).map(|s| Act::from_name(s).expect("listed")))
                .collect::<Result<Vec<_>>>()?;
            Ok(Family::Mlp(MlpSpec::new(widths, acts)?))
        }
        "cnn" => {
            let [input, layers] = fields(spec, "", ["input", "layers"])?;
            let input = read_shape(input, "input")?;
            let input: [usize; 3] = input.as_slice().try_into().map_err(|_| {
                Error::bad_input(format!("input: expected [C, H, W], found an array of {} elements", input.len()))
            })?;
            let layers = at("layers", array(layers))?
                .iter()
                .enumerate()
                .map(|(i, l)| read_cnn_layer(l, &format!("layers[{i}]")))
                .collect::<Result<Vec<_>>>()?;
            Ok(Family::Cnn(CnnSpec::new(input, layers)?))
        }
        _ => {
            let [activation, mask, d_model, eps, ffn, heads, layers, seq_len] = fields(
                spec,
                "",
                ["activation", "attention_mask", "d_model", "eps", "ffn", "heads", "layers", "seq_len"],
            )?;
            let activation = at("activation", literal(activation, &["relu", "gelu"]))?;
            let mask = match at("attention_mask", literal(mask, &["none", "causal"]))? {
                "none" => AttentionMask::None,
                _ => AttentionMask::Causal,
            };
            let s = TransformerSpec {
                d_model: pos(d_model, "d_model")?,
                heads: pos(heads, "heads")?,
                ffn: pos(ffn, "ffn")?,
                layers: pos(layers, "layers")?,
                eps: at("eps", rat(eps))?,
                activation: Act::from_name(activation).expect("listed"),
                mask,
                seq_len: pos(seq_len, "seq_len")?,
            };
            s.check()?;
            Ok(Family::Transformer(s))
        }
    }
}

fn read_cnn_layer(v: &Value, path: &str) -> Result<CnnLayer> {
    let op = v.get("op").ok_or_else(|| Error::bad_input(format!("{path}: missing key \"op\"")))?;
    let op = at(&format!("{path}.op"), literal(op, &["conv2d", "relu", "maxpool2d", "avgpool2d", "flatten", "linear"]))?;
    let n = |x: &Value, k: &str| at(&format!("{path}.{k}"), size(x));
    Ok(match op {
        "conv2d" => {
            let [i, k, _, o, p, s] =
                fields(v, path, ["in_channels", "kernel", "op", "out_channels", "padding", "stride"])?;
            CnnLayer::Conv2d {
                in_channels: n(i, "in_channels")?,
                out_channels: n(o, "out_channels")?,
                kernel: n(k, "kernel")?,
                stride: n(s, "stride")?,
                padding: n(p, "padding")?,
            }
        }
        "maxpool2d" | "avgpool2d" => {
            let [k, _, s] = fields(v, path, ["kernel", "op", "stride"])?;
            let (kernel, stride) = (n(k, "kernel")?, n(s, "stride")?);
            if op == "maxpool2d" { CnnLayer::MaxPool2d { kernel, stride } } else { CnnLayer::AvgPool2d { kernel, stride } }
        }
        "linear" => {
            let [i, _, o] = fields(v, path, ["in_features", "op", "out_features"])?;
            CnnLayer::Linear { in_features: n(i, "in_features")?, out_features: n(o, "out_features")? }
        }
        _ => {
            fields(v, path, ["op"])?;
            if op == "relu" { CnnLayer::Relu } else { CnnLayer::Flatten }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn err(r: Result<impl std::fmt::Debug>) -> String {
        r.unwrap_err().to_string()
    }

    #[test]
    fn payload_round_trips_to_the_same_model() {
        let m = Model::demo();
        assert_eq!(read(&write(&m)).unwrap(), m);
        assert_eq!(super::super::Artifact::read(&write(&m)).unwrap().kind(), Kind::Payload);
    }

    #[test]
    fn payload_values_sizes_and_names_are_strict() {
        let p = write(&Model::demo());
        let cases: Vec<(&str, Value)> = vec![
            ("/tensors/0/f32/3", json!("0x3F666666")),
            ("/tensors/1/f32", json!(["0x00000000", "0x00000000"])),
            ("/spec/widths/1", json!(-3)),
            ("/tensors/2/f32/0", json!("0x7f800000")),
            ("/spec/activations/0", json!("softplus")),
            ("/tensors/0/name", json!("layers.0.bias")),
        ];
        let mut got = Vec::new();
        for (at, v) in cases {
            let mut bad = p.clone();
            *bad.pointer_mut(at).unwrap() = v;
            got.push(err(read(&bad)));
        }
        let mut bad = p;
        bad["spec"]["é"] = json!(1);
        got.push(err(read(&bad)));
        assert_eq!(
            got,
            [
                "layers.0.weight[3]: expected binary32 bits \"0x\" + 8 lowercase hex digits, found \"0x3F666666\"",
                "layers.0.bias: expected 3 values (shape [3]), found 2",
                "spec: widths[1]: expected a non-negative JSON integer (at most 2^53-1), found JSON number -3",
                "layers.1.weight[0]: expected a finite binary32, found 0x7f800000",
                "spec: activations[0]: expected one of \"relu\", \"gelu\", \"tanh\", \"sigmoid\", \"identity\", found \"softplus\"",
                "layers.0.bias: expected one tensor of this name, found two",
                "spec: expected ASCII keys only, found key \"é\"",
            ]
        );
    }
}
