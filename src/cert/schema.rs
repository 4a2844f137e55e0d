//! Strict readers for the v1 artifact kinds (specified in `docs/format.md`).
//!
//! A reader accepts exactly one spelling of each value: every key listed for the kind is required,
//! any other key is rejected, keys are ASCII, rationals are canonical strings (never JSON numbers),
//! binary32 values are `"0x"` + 8 lowercase hex digits, sizes are non-negative JSON integers and
//! references are `"sha256:"` + 64 lowercase hex digits. Readers do not check canonical bytes (that
//! is [`super::canonical::parse_canonical`]) nor whether references resolve (that is
//! [`super::audit`]); they turn one parsed JSON value into a typed [`Artifact`].
//!
//! Errors say where, as a key path from the artifact's root (`boxes[1][0][1]`,
//! `tensors[0].f32[3]`), then what was expected and what was found. The caller adds the file name.
use serde_json::{Map, Value};

use crate::bounds::bab::{LeafBound, Refutation, Tree};
use crate::bounds::crown::Intermediate;
use crate::num::interval::{Box, Interval};
use crate::error::{Error, Result};
use crate::ir::{AttrKind, AttrValue, Op, OpTag};
use crate::ir::Tensor as IrTensor;
use crate::model::cnn::{CnnLayer, CnnSpec};
use crate::model::transformer::{AttentionMask, TransformerSpec};
use crate::model::{Act, Activation, DenseLayer, Family, MlpSpec, Mlp, Model};
use crate::num::Q;
use crate::num::binary32::F32;
use crate::num::rational;
use crate::num::rational::to_canonical;
use crate::property::robust::{LinfRobust, output_box_violation};
use crate::property::{LinearConstraint, Vnnlib};

/// The artifact kinds of format v1. The `format` field of kind `k` is `torchlean.<k>.v1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Payload,
    Graph,
    Property,
    Certificate,
    Counterexample,
    Manifest,
}

impl Kind {
    /// Every kind, in the order of `docs/format.md`.
    pub const ALL: [Kind; 6] =
        [Kind::Payload, Kind::Graph, Kind::Property, Kind::Certificate, Kind::Counterexample, Kind::Manifest];

    /// The kind's name as manifests write it (`payload`, …).
    pub fn name(self) -> &'static str {
        match self {
            Kind::Payload => "payload",
            Kind::Graph => "graph",
            Kind::Property => "property",
            Kind::Certificate => "certificate",
            Kind::Counterexample => "counterexample",
            Kind::Manifest => "manifest",
        }
    }
    /// The value of the `format` field: `torchlean.<name>.v1`.
    pub fn format(self) -> &'static str {
        match self {
            Kind::Payload => "torchlean.payload.v1",
            Kind::Graph => "torchlean.graph.v1",
            Kind::Property => "torchlean.property.v1",
            Kind::Certificate => "torchlean.certificate.v1",
            Kind::Counterexample => "torchlean.counterexample.v1",
            Kind::Manifest => "torchlean.manifest.v1",
        }
    }
    /// The kind named `name`, if any.
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }
    /// The kind whose `format` is exactly `format`, if any.
    pub fn from_format(format: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.format() == format)
    }
    /// The kind a JSON value declares in its `format` field, without validating anything else.
    pub fn of(value: &Value) -> Option<Kind> {
        value.get("format").and_then(Value::as_str).and_then(Kind::from_format)
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A `sha256:` reference inside an artifact: its key path, the kind it must name, and the hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub key: String,
    pub target: Kind,
    pub sha256: String,
}

/// A `torchlean.property.v1` of kind `output_box`: every input in `input_box` is mapped into
/// `output_box` (exact rational semantics).
#[derive(Debug, Clone, PartialEq)]
pub struct Property {
    pub input_box: Box,
    pub output_box: Box,
}

/// A `torchlean.certificate.v1` with method `ibp`: the payload and property it is about, and the
/// boxes `[input, after layer 0, …, output]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Certificate {
    pub payload: String,
    pub property: String,
    pub boxes: Vec<Box>,
}

/// A `torchlean.certificate.v1` with method `bab`: a tree of input splits whose every leaf refutes
/// each disjunct of a `violation_dnf` property (see `crate::bounds::bab`).
#[derive(Debug, Clone, PartialEq)]
pub struct TreeCertificate {
    pub payload: String,
    pub property: String,
    pub intermediate: Intermediate,
    pub leaf_bound: LeafBound,
    pub tree: Tree,
}

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
}

/// The tag of a `torchlean.graph.v1` node's op: the IR's [`OpTag`] (`docs/ir.md`).
pub use crate::ir::OpTag as GraphOp;

/// A graph input: a name and a shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphInput {
    pub name: String,
    pub shape: Vec<usize>,
}

/// A graph node: `id = op(inputs…; params…)`, params naming tensors of the payload; `op` carries
/// the node's `attrs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphNode {
    pub id: String,
    pub op: Op,
    pub inputs: Vec<String>,
    pub params: Vec<String>,
}

/// A `torchlean.graph.v1`: a computation over the tensors of one payload, nodes in topological order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Graph {
    pub payload: String,
    pub inputs: Vec<GraphInput>,
    pub nodes: Vec<GraphNode>,
    pub outputs: Vec<String>,
}

/// One entry of a manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestEntry {
    pub path: String,
    pub kind: Kind,
    pub sha256: String,
}

/// A `torchlean.manifest.v1`: the certificate directory's name and every other artifact in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    pub name: String,
    pub files: Vec<ManifestEntry>,
}

/// A validated artifact of any kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Artifact {
    /// A payload of family `mlp` with `relu`/`identity` activations (the certificates' network).
    Payload(Mlp),
    /// Any other payload (`cnn`, `transformer`, `mlp` with gelu/tanh/sigmoid): read by [`read_payload`].
    Model(Model),
    Graph(Graph),
    Property(Property),
    /// A property of kind `violation_dnf` (VNN-LIB): read by [`read_violation_property`].
    ViolationProperty(Vnnlib),
    /// A property of kind `linf_robust`: read by [`read_robust_property`].
    RobustProperty(LinfRobust),
    Certificate(Certificate),
    /// A certificate of method `bab`: read by [`read_tree_certificate`].
    TreeCertificate(TreeCertificate),
    Counterexample(Counterexample),
    Manifest(Manifest),
}

impl Artifact {
    /// Reads any v1 artifact, dispatching on its `format`.
    pub fn read(value: &Value) -> Result<Artifact> {
        let format = value.get("format").ok_or_else(|| match value {
            Value::Object(_) => Error::bad_input("missing key \"format\""),
            v => Error::bad_input(format!("expected an artifact object, found {}", found(v))),
        })?;
        let format = string(format).map_err(|e| e.context("format"))?;
        let kind = Kind::from_format(format).ok_or_else(|| {
            let known: Vec<&str> = Kind::ALL.iter().map(|k| k.format()).collect();
            Error::bad_input(format!("format: expected one of {}, found \"{}\"", known.join(", "), clip(format)))
        })?;
        Ok(match kind {
            Kind::Payload if is_dense_mlp(value) => Artifact::Payload(read_mlp(value)?),
            Kind::Payload => Artifact::Model(read_payload(value)?),
            Kind::Graph => Artifact::Graph(read_graph(value)?),
            Kind::Property if value.get("kind").and_then(Value::as_str) == Some("violation_dnf") => {
                Artifact::ViolationProperty(read_violation_property(value)?)
            }
            Kind::Property if value.get("kind").and_then(Value::as_str) == Some("linf_robust") => {
                Artifact::RobustProperty(read_robust_property(value)?)
            }
            Kind::Property => Artifact::Property(read_property(value)?),
            Kind::Certificate if value.get("method").and_then(Value::as_str) == Some("bab") => {
                Artifact::TreeCertificate(read_tree_certificate(value)?)
            }
            Kind::Certificate => Artifact::Certificate(read_certificate(value)?),
            Kind::Counterexample => Artifact::Counterexample(read_counterexample(value)?),
            Kind::Manifest => Artifact::Manifest(read_manifest(value)?),
        })
    }

    /// The artifact's kind.
    pub fn kind(&self) -> Kind {
        match self {
            Artifact::Payload(_) | Artifact::Model(_) => Kind::Payload,
            Artifact::Graph(_) => Kind::Graph,
            Artifact::Property(_) | Artifact::ViolationProperty(_) | Artifact::RobustProperty(_) => Kind::Property,
            Artifact::Certificate(_) | Artifact::TreeCertificate(_) => Kind::Certificate,
            Artifact::Counterexample(_) => Kind::Counterexample,
            Artifact::Manifest(_) => Kind::Manifest,
        }
    }

    /// Every `sha256:` reference the artifact makes to another artifact (manifest entries are not
    /// references: they are checked against the files they list).
    pub fn references(&self) -> Vec<Reference> {
        let r = |key: &str, target, sha256: &str| Reference { key: key.into(), target, sha256: sha256.into() };
        match self {
            Artifact::Graph(g) => vec![r("payload", Kind::Payload, &g.payload)],
            Artifact::Certificate(c) => {
                vec![r("payload", Kind::Payload, &c.payload), r("property", Kind::Property, &c.property)]
            }
            Artifact::Counterexample(c) => {
                vec![r("payload", Kind::Payload, &c.payload), r("property", Kind::Property, &c.property)]
            }
            Artifact::TreeCertificate(c) => {
                vec![r("payload", Kind::Payload, &c.payload), r("property", Kind::Property, &c.property)]
            }
            Artifact::Payload(_)
            | Artifact::Model(_)
            | Artifact::Property(_)
            | Artifact::ViolationProperty(_)
            | Artifact::RobustProperty(_)
            | Artifact::Manifest(_) => Vec::new(),
        }
    }

    /// A property of any kind as the violation DNF `verify` decides (`None` for other artifacts).
    pub fn violation(&self) -> Option<Vnnlib> {
        match self {
            Artifact::ViolationProperty(p) => Some(p.clone()),
            Artifact::RobustProperty(p) => Some(p.violation()),
            Artifact::Property(p) => Some(output_box_violation(&p.input_box, &p.output_box)),
            _ => None,
        }
    }
}

/// Reads a `torchlean.payload.v1` of family `mlp` back into the network it describes.
pub fn read_mlp(value: &Value) -> Result<Mlp> {
    let [family, format, spec, tensors] = fields(value, "", ["family", "format", "spec", "tensors"])?;
    expect_format(format, Kind::Payload)?;
    at("family", literal(family, &["mlp"]))?;
    let [acts, widths] = fields(spec, "spec", ["activations", "widths"])?;
    let widths = at("spec.widths", array(widths))?;
    if widths.len() < 2 {
        return Err(Error::bad_input(format!(
            "spec.widths: expected at least 2 widths (input and output), found {}",
            widths.len()
        )));
    }
    let widths = widths
        .iter()
        .enumerate()
        .map(|(i, w)| {
            at(
                &format!("spec.widths[{i}]"),
                size(w).and_then(|n| match n {
                    0 => Err(Error::bad_input("expected a width of at least 1, found 0")),
                    n => Ok(n),
                }),
            )
        })
        .collect::<Result<Vec<usize>>>()?;
    let n = widths.len() - 1;
    let acts = at("spec.activations", array(acts))?;
    if acts.len() != n {
        return Err(Error::bad_input(format!(
            "spec.activations: expected {n} activations (one per layer), found {}",
            acts.len()
        )));
    }
    let acts = acts
        .iter()
        .enumerate()
        .map(|(i, a)| {
            at(&format!("spec.activations[{i}]"), literal(a, &["relu", "identity"])).map(|s| match s {
                "relu" => Activation::Relu,
                _ => Activation::Identity,
            })
        })
        .collect::<Result<Vec<Activation>>>()?;
    let tensors = at("tensors", array(tensors))?;
    if tensors.len() != 2 * n {
        return Err(Error::bad_input(format!(
            "tensors: expected {} tensors (a weight and a bias per layer), found {}",
            2 * n,
            tensors.len()
        )));
    }
    let mut read = tensors.iter().enumerate().map(|(t, v)| tensor(v, &format!("tensors[{t}]")));
    let mut layers = Vec::with_capacity(n);
    for (i, act) in acts.into_iter().enumerate() {
        let (rows, cols) = (widths[i + 1], widths[i]);
        let (w, b) = (2 * i, 2 * i + 1);
        let weight = read.next().expect("tensor count checked")?;
        expect_tensor(&weight, w, &format!("layers.{i}.weight"), &[rows, cols])?;
        let bias = read.next().expect("tensor count checked")?;
        expect_tensor(&bias, b, &format!("layers.{i}.bias"), &[rows])?;
        let weight = weight.values.chunks(cols).map(<[F32]>::to_vec).collect();
        layers.push(DenseLayer { weight, bias: bias.values, act });
    }
    Ok(Mlp { layers })
}

/// Whether a payload is read by [`read_mlp`]: family `mlp` whose activations are not the ones only
/// [`read_payload`] knows (so every existing `mlp` payload keeps `read_mlp`'s messages).
fn is_dense_mlp(value: &Value) -> bool {
    let acts = value.get("spec").and_then(|s| s.get("activations")).and_then(Value::as_array);
    value.get("family").and_then(Value::as_str) == Some("mlp")
        && !acts.is_some_and(|a| a.iter().any(|x| matches!(x.as_str(), Some("gelu" | "tanh" | "sigmoid"))))
}

/// Reads a `torchlean.payload.v1` of any family (`docs/families.md`) into a [`Model`]. The checks
/// run in this order, each failing with one line that names the key (our parameter names):
/// the family tag; the spec; the parameter names (a missing one, then an extra one); their order;
/// each shape (`layers.0.weight: expected shape [32, 10], found [10, 32]`); each value count; each
/// scalar (binary32 bits, finite).
pub fn read_payload(value: &Value) -> Result<Model> {
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
        out.push((e.0.clone(), IrTensor::new(shape, data)?));
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

/// Reads a `torchlean.certificate.v1` (method `ibp`).
pub fn read_certificate(value: &Value) -> Result<Certificate> {
    let [boxes, format, method, payload, property] =
        fields(value, "", ["boxes", "format", "method", "payload", "property"])?;
    expect_format(format, Kind::Certificate)?;
    at("method", literal(method, &["ibp"]))?;
    let payload = at("payload", sha256(payload))?;
    let property = at("property", sha256(property))?;
    let list = at("boxes", array(boxes))?;
    if list.len() < 2 {
        return Err(Error::bad_input(format!(
            "boxes: expected at least 2 boxes (input and output), found {}",
            list.len()
        )));
    }
    let boxes = list.iter().enumerate().map(|(k, b)| read_box(b, &format!("boxes[{k}]"))).collect::<Result<_>>()?;
    Ok(Certificate { payload, property, boxes })
}

/// The boxes of a certificate artifact, `[input, after layer 0, …, output]`.
pub fn read_certificate_boxes(value: &Value) -> Result<Vec<Box>> {
    read_certificate(value).map(|c| c.boxes)
}

/// Reads a `torchlean.property.v1` (kind `output_box`, semantics `exact-rational`).
pub fn read_property(value: &Value) -> Result<Property> {
    let [format, input_box, kind, output_box, semantics] =
        fields(value, "", ["format", "input_box", "kind", "output_box", "semantics"])?;
    expect_format(format, Kind::Property)?;
    at("kind", literal(kind, &["output_box"]))?;
    at("semantics", literal(semantics, &["exact-rational"]))?;
    Ok(Property { input_box: read_box(input_box, "input_box")?, output_box: read_box(output_box, "output_box")? })
}

/// Reads a `torchlean.property.v1` of kind `violation_dnf`: an input box and a disjunction of
/// conjunctions of linear output constraints `Σ coeffs[j]·y_j ≤ rhs` (`<` when `strict`) that
/// describe a violation (VNN-LIB semantics: the property holds iff no input of the box satisfies
/// every constraint of some disjunct).
pub fn read_violation_property(value: &Value) -> Result<Vnnlib> {
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

/// Reads a `torchlean.property.v1` of kind `linf_robust`: every input within L∞ distance
/// `epsilon` of `center` gives output `label` a value strictly above each other output's.
pub fn read_robust_property(value: &Value) -> Result<LinfRobust> {
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

/// The canonical `torchlean.property.v1` artifact of an output-box property.
pub fn output_box_property_json(p: &Property) -> Value {
    let b = |x: &Box| Value::Array(x.iter().map(|i| serde_json::json!(i.to_strings())).collect());
    serde_json::json!({
        "format": "torchlean.property.v1",
        "kind": "output_box",
        "semantics": "exact-rational",
        "input_box": b(&p.input_box),
        "output_box": b(&p.output_box),
    })
}

/// The `torchlean.property.v1` artifact of a VNN-LIB property (kind `violation_dnf`).
pub fn violation_property_json(p: &Vnnlib) -> Value {
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

/// Reads a `torchlean.counterexample.v1` (semantics `exact-rational`). A counterexample of a
/// `violation_dnf` property also has `disjunct` and `f32_output` (binary32 bits).
pub fn read_counterexample(value: &Value) -> Result<Counterexample> {
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
        at("semantics", literal(semantics, &["exact-rational"]))?;
        let f = at("f32_output", non_empty(f32_output))?;
        let f = f.iter().enumerate().map(|(i, b)| at(&format!("f32_output[{i}]"), bits(b))).collect::<Result<_>>()?;
        return Ok(Counterexample {
            payload: at("payload", sha256(payload))?,
            property: at("property", sha256(property))?,
            input: point(input, "input")?,
            output: point(output, "output")?,
            violation: Some((at("disjunct", size(disjunct))?, f)),
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
    })
}

/// Reads a `torchlean.certificate.v1` of method `bab`: the tree as its nodes in preorder, each
/// `{"split": {"input": i, "at": q}}` (followed by its below and above subtrees) or
/// `{"leaf": {"alpha": [per hidden layer a 0/1 string or an array of rationals], "refute": [{"row": r, "bound": q} per disjunct]}}`.
pub fn read_tree_certificate(value: &Value) -> Result<TreeCertificate> {
    let [format, intermediate, leaf_bound, method, nodes, payload, property] =
        fields(value, "", ["format", "intermediate", "leaf_bound", "method", "nodes", "payload", "property"])?;
    expect_format(format, Kind::Certificate)?;
    at("method", literal(method, &["bab"]))?;
    let intermediate = match at("intermediate", literal(intermediate, &["ibp", "crown"]))? {
        "ibp" => Intermediate::Ibp,
        _ => Intermediate::Crown,
    };
    let leaf_bound = match at("leaf_bound", literal(leaf_bound, &["ibp", "crown"]))? {
        "ibp" => LeafBound::Ibp,
        _ => LeafBound::Crown,
    };
    let nodes = at("nodes", non_empty(nodes))?;
    let mut next = 0usize;
    let tree = read_tree_node(nodes, &mut next)?;
    if next != nodes.len() {
        return Err(Error::bad_input(format!(
            "nodes: expected the tree to end at node {}, found {} nodes",
            next - 1,
            nodes.len()
        )));
    }
    Ok(TreeCertificate {
        payload: at("payload", sha256(payload))?,
        property: at("property", sha256(property))?,
        intermediate,
        leaf_bound,
        tree,
    })
}

/// One subtree in preorder, iteratively (trees may be deeper than a recursive reader should go).
fn read_tree_node(nodes: &[Value], next: &mut usize) -> Result<Tree> {
    enum Frame {
        Split(usize, Q),
        Below(usize, Q, Tree),
    }
    let mut stack: Vec<Frame> = Vec::new();
    loop {
        let i = *next;
        let path = format!("nodes[{i}]");
        let v = nodes.get(i).ok_or_else(|| {
            Error::bad_input(format!("nodes: the tree is incomplete: expected node {i}, found only {}", nodes.len()))
        })?;
        *next += 1;
        let mut done = if v.get("split").is_some() {
            let [split] = fields(v, &path, ["split"])?;
            let sp = format!("{path}.split");
            let [at_v, input] = fields(split, &sp, ["at", "input"])?;
            let dim = at(&format!("{sp}.input"), size(input))?;
            let q = at(&format!("{sp}.at"), rat(at_v))?;
            stack.push(Frame::Split(dim, q));
            continue;
        } else {
            let [leaf] = fields(v, &path, ["leaf"])?;
            let lp = format!("{path}.leaf");
            let [alpha, refute] = fields(leaf, &lp, ["alpha", "refute"])?;
            let alphas = at(&format!("{lp}.alpha"), array(alpha))?
                .iter()
                .enumerate()
                .map(|(k, a)| {
                    let ap = format!("{lp}.alpha[{k}]");
                    let (zero, one) = (Q::from_integer(0.into()), Q::from_integer(1.into()));
                    if let Some(list) = a.as_array() {
                        let layer = list
                            .iter()
                            .enumerate()
                            .map(|(i, v)| {
                                let q = at(&format!("{ap}[{i}]"), rat(v))?;
                                if q < zero || q > one {
                                    return Err(Error::bad_input(format!(
                                        "{ap}[{i}]: expected a lower slope α in [0, 1], found {q}"
                                    )));
                                }
                                Ok(q)
                            })
                            .collect::<Result<Vec<Q>>>()?;
                        // One encoding per layer keeps one byte form (and hash) per tree.
                        if layer.iter().all(|q| *q == zero || *q == one) {
                            return Err(Error::bad_input(format!(
                                "{ap}: expected the 0/1 string form for a layer whose α are all 0 or 1, found an array"
                            )));
                        }
                        return Ok(layer);
                    }
                    let s = at(&ap, string(a)).map_err(|_| {
                        Error::bad_input(format!(
                            "{ap}: expected a string of 0/1 or an array of rationals in [0, 1], found {}",
                            found(a)
                        ))
                    })?;
                    s.bytes()
                        .map(|b| match b {
                            b'0' => Ok(zero.clone()),
                            b'1' => Ok(one.clone()),
                            _ => Err(Error::bad_input(format!(
                                "{ap}: expected a string of 0/1 (the lower slope α ∈ {{0, 1}} of each neuron), found \"{}\"",
                                clip(s)
                            ))),
                        })
                        .collect::<Result<Vec<Q>>>()
                })
                .collect::<Result<Vec<_>>>()?;
            let refute = at(&format!("{lp}.refute"), non_empty(refute))?
                .iter()
                .enumerate()
                .map(|(d, r)| {
                    let rp = format!("{lp}.refute[{d}]");
                    let [bound, rows] = fields(r, &rp, ["bound", "rows"])?;
                    let terms = at(&format!("{rp}.rows"), non_empty(rows))?
                        .iter()
                        .enumerate()
                        .map(|(k, t)| {
                            let tp = format!("{rp}.rows[{k}]");
                            match t.as_array().map(Vec::as_slice) {
                                Some([i, l]) => Ok((at(&format!("{tp}[0]"), size(i))?, at(&format!("{tp}[1]"), rat(l))?)),
                                _ => Err(Error::bad_input(format!("{tp}: expected [row, weight], found {}", found(t)))),
                            }
                        })
                        .collect::<Result<Vec<_>>>()?;
                    Ok(Refutation { terms, bound: at(&format!("{rp}.bound"), rat(bound))? })
                })
                .collect::<Result<Vec<_>>>()?;
            Tree::Leaf { refute, alphas }
        };
        // Attach the finished subtree to the splits waiting for it.
        loop {
            match stack.pop() {
                None => return Ok(done),
                Some(Frame::Split(dim, q)) => {
                    stack.push(Frame::Below(dim, q, done));
                    break;
                }
                Some(Frame::Below(dim, q, below)) => {
                    done = Tree::Split { dim, at: q, below: std::boxed::Box::new(below), above: std::boxed::Box::new(done) };
                }
            }
        }
    }
}

/// Reads a `torchlean.graph.v1`, checking arities, unique names and topological order.
pub fn read_graph(value: &Value) -> Result<Graph> {
    let [format, inputs, nodes, outputs, payload] =
        fields(value, "", ["format", "inputs", "nodes", "outputs", "payload"])?;
    expect_format(format, Kind::Graph)?;
    let payload = at("payload", sha256(payload))?;
    let mut defined: Vec<String> = Vec::new();
    let define = |name: String, path: &str, defined: &mut Vec<String>| -> Result<String> {
        if defined.contains(&name) {
            return Err(Error::bad_input(format!("{path}: expected a fresh name, found \"{name}\" defined twice")));
        }
        defined.push(name.clone());
        Ok(name)
    };
    let mut graph_inputs = Vec::new();
    for (i, v) in at("inputs", non_empty(inputs))?.iter().enumerate() {
        let path = format!("inputs[{i}]");
        let [name, shape] = fields(v, &path, ["name", "shape"])?;
        let name = at(&format!("{path}.name"), ident(name))?;
        let name = define(name, &format!("{path}.name"), &mut defined)?;
        graph_inputs.push(GraphInput { name, shape: read_shape(shape, &format!("{path}.shape"))? });
    }
    let mut graph_nodes = Vec::new();
    for (j, v) in at("nodes", array(nodes))?.iter().enumerate() {
        let path = format!("nodes[{j}]");
        let [attrs, id, ins, op, params] = fields(v, &path, ["attrs", "id", "inputs", "op", "params"])?;
        let names: Vec<&str> = OpTag::ALL.iter().filter(|t| **t != OpTag::Input).map(|t| t.name()).collect();
        let op_name = at(&format!("{path}.op"), literal(op, &names))?;
        let tag = OpTag::from_name(op_name).expect("literal checked");
        let (arity, n_params) = (tag.arity(), tag.param_count());
        let ins = at(&format!("{path}.inputs"), array(ins))?;
        if !arity.allows(ins.len()) {
            return Err(Error::bad_input(format!(
                "{path}.inputs: expected {arity} inputs for op \"{op_name}\", found {}",
                ins.len()
            )));
        }
        let ins = ins
            .iter()
            .enumerate()
            .map(|(k, x)| {
                let p = format!("{path}.inputs[{k}]");
                let name = at(&p, ident(x))?;
                if !defined.contains(&name) {
                    return Err(Error::bad_input(format!(
                        "{p}: expected a graph input or an earlier node id, found \"{name}\""
                    )));
                }
                Ok(name)
            })
            .collect::<Result<Vec<_>>>()?;
        let params = at(&format!("{path}.params"), array(params))?;
        if params.len() != n_params {
            return Err(Error::bad_input(format!(
                "{path}.params: expected {n_params} params for op \"{op_name}\", found {}",
                params.len()
            )));
        }
        let params = params
            .iter()
            .enumerate()
            .map(|(k, x)| at(&format!("{path}.params[{k}]"), tensor_name(x)))
            .collect::<Result<Vec<_>>>()?;
        let id = at(&format!("{path}.id"), ident(id))?;
        let id = define(id, &format!("{path}.id"), &mut defined)?;
        let op = read_attrs(attrs, tag, &format!("{path}.attrs"))?;
        graph_nodes.push(GraphNode { id, op, inputs: ins, params });
    }
    let outputs = at("outputs", non_empty(outputs))?
        .iter()
        .enumerate()
        .map(|(k, x)| {
            let p = format!("outputs[{k}]");
            let name = at(&p, ident(x))?;
            if !defined.contains(&name) {
                return Err(Error::bad_input(format!("{p}: expected a graph input or node id, found \"{name}\"")));
            }
            Ok(name)
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Graph { payload, inputs: graph_inputs, nodes: graph_nodes, outputs })
}

/// The `attrs` object of a node of op `tag`: exactly the keys [`OpTag::attrs`] lists, each of its
/// kind (sizes as JSON integers, rationals as canonical strings), then the op's own checks.
fn read_attrs(v: &Value, tag: OpTag, path: &str) -> Result<Op> {
    let map = match v {
        Value::Object(m) => m,
        v => return at(path, Err(Error::bad_input(format!("expected an object, found {}", found(v))))),
    };
    let spec = tag.attrs();
    let keys: Vec<&str> = spec.iter().map(|a| a.0).collect();
    if let Some(k) = map.keys().find(|k| !keys.contains(&k.as_str())) {
        let expected =
            if keys.is_empty() { "no keys".to_string() } else { format!("exactly the keys {}", keys.join(", ")) };
        let msg = format!("unknown key \"{}\" (op \"{tag}\" expects {expected})", clip(k));
        return at(path, Err(Error::bad_input(msg)));
    }
    let mut values = Vec::with_capacity(spec.len());
    for &(key, kind) in spec {
        let p = format!("{path}.{key}");
        let v = map.get(key).ok_or_else(|| Error::bad_input(format!("missing key \"{key}\"")).context(path))?;
        let value = match kind {
            AttrKind::Size => AttrValue::Size(at(&p, size(v))?),
            AttrKind::Sizes => AttrValue::Sizes(read_shape(v, &p)?),
            AttrKind::Pair => {
                let xs = read_shape(v, &p)?;
                let pair: [usize; 2] = xs.as_slice().try_into().map_err(|_| {
                    Error::bad_input(format!("expected [h, w] (2 sizes), found an array of {} elements", xs.len()))
                        .context(p.clone())
                })?;
                AttrValue::Pair(pair)
            }
            AttrKind::Rational => AttrValue::Rational(at(&p, rat(v))?),
        };
        at(&p, tag.check_attr(key, &value))?;
        values.push(value);
    }
    Op::from_attrs(tag, values).map_err(|e| Error::internal(format!("{path}: attributes checked, yet {e}")))
}

/// Reads a `torchlean.manifest.v1`: entries sorted by path, each path a plain `*.json` file name.
pub fn read_manifest(value: &Value) -> Result<Manifest> {
    let [files, format, name] = fields(value, "", ["files", "format", "name"])?;
    expect_format(format, Kind::Manifest)?;
    let name = at("name", string(name))?;
    if !is_file_name(name) {
        return Err(Error::bad_input(format!(
            "name: expected a directory name of [A-Za-z0-9._-] (not \".\" or \"..\"), found \"{}\"",
            clip(name)
        )));
    }
    let mut entries: Vec<ManifestEntry> = Vec::new();
    for (i, v) in at("files", array(files))?.iter().enumerate() {
        let p = format!("files[{i}]");
        let [kind, path, hash] = fields(v, &p, ["kind", "path", "sha256"])?;
        let names: Vec<&str> = Kind::ALL.iter().filter(|k| **k != Kind::Manifest).map(|k| k.name()).collect();
        let kind = Kind::from_name(at(&format!("{p}.kind"), literal(kind, &names))?).expect("literal checked");
        let path = at(&format!("{p}.path"), string(path))?;
        if !is_file_name(path) || !path.ends_with(".json") || path == "manifest.json" {
            return Err(Error::bad_input(format!(
                "{p}.path: expected a file name of [A-Za-z0-9._-] ending in \".json\", other than \"manifest.json\", found \"{}\"",
                clip(path)
            )));
        }
        if let Some(prev) = entries.last().filter(|e| e.path.as_str() >= path) {
            return Err(Error::bad_input(format!(
                "{p}.path: expected entries sorted by path without repeats, found \"{path}\" after \"{}\"",
                prev.path
            )));
        }
        let sha256 = at(&format!("{p}.sha256"), sha256(hash))?;
        entries.push(ManifestEntry { path: path.to_string(), kind, sha256 });
    }
    Ok(Manifest { name: name.to_string(), files: entries })
}

/// Whether `s` is a valid `sha256:` reference: the prefix and 64 lowercase hex digits.
pub fn is_sha256_ref(s: &str) -> bool {
    s.strip_prefix("sha256:").is_some_and(|h| h.len() == 64 && h.bytes().all(is_lower_hex))
}

// ---- guards: each states what was expected and what was found; `at` adds the key path ----

/// Attaches the key path `path` (empty at the root) to an error.
fn at<T>(path: &str, r: Result<T>) -> Result<T> {
    if path.is_empty() { r } else { r.map_err(|e| e.context(path)) }
}

fn is_lower_hex(b: u8) -> bool {
    b.is_ascii_digit() || (b'a'..=b'f').contains(&b)
}

fn is_file_name(s: &str) -> bool {
    !s.is_empty() && s != "." && s != ".." && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

/// A found value for messages; long strings are shortened.
fn clip(s: &str) -> String {
    if s.chars().count() <= 80 { s.to_string() } else { format!("{}…", s.chars().take(77).collect::<String>()) }
}

fn found(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("JSON boolean {b}"),
        Value::Number(n) => format!("JSON number {n}"),
        Value::String(s) => format!("\"{}\"", clip(s)),
        Value::Array(a) => format!("an array of {} elements", a.len()),
        Value::Object(_) => "an object".into(),
    }
}

/// The values of exactly the keys `names` (sorted, as JCS orders them) of the object at `path`.
fn fields<'a, const N: usize>(v: &'a Value, path: &str, names: [&str; N]) -> Result<[&'a Value; N]> {
    let map: &Map<String, Value> = match v {
        Value::Object(m) => m,
        v => return at(path, Err(Error::bad_input(format!("expected an object, found {}", found(v))))),
    };
    for k in map.keys() {
        if !k.is_ascii() {
            return at(path, Err(Error::bad_input(format!("expected ASCII keys only, found key \"{}\"", clip(k)))));
        }
        if !names.contains(&k.as_str()) {
            let msg = format!("unknown key \"{}\" (expected exactly the keys {})", clip(k), names.join(", "));
            return at(path, Err(Error::bad_input(msg)));
        }
    }
    let mut out = [&Value::Null; N];
    for (slot, name) in out.iter_mut().zip(names) {
        *slot = map.get(name).ok_or_else(|| {
            let e = Error::bad_input(format!("missing key \"{name}\""));
            if path.is_empty() { e } else { e.context(path) }
        })?;
    }
    Ok(out)
}

fn expect_format(v: &Value, kind: Kind) -> Result<()> {
    at("format", literal(v, &[kind.format()])).map(|_| ())
}

fn string(v: &Value) -> Result<&str> {
    v.as_str().ok_or_else(|| Error::bad_input(format!("expected a string, found {}", found(v))))
}

/// One of the strings `allowed`.
fn literal<'a>(v: &'a Value, allowed: &[&str]) -> Result<&'a str> {
    match v.as_str() {
        Some(s) if allowed.contains(&s) => Ok(s),
        _ => {
            let list: Vec<String> = allowed.iter().map(|a| format!("\"{a}\"")).collect();
            let expected = if list.len() == 1 { list[0].clone() } else { format!("one of {}", list.join(", ")) };
            Err(Error::bad_input(format!("expected {expected}, found {}", found(v))))
        }
    }
}

fn array(v: &Value) -> Result<&Vec<Value>> {
    v.as_array().ok_or_else(|| Error::bad_input(format!("expected an array, found {}", found(v))))
}

fn non_empty(v: &Value) -> Result<&Vec<Value>> {
    let a = array(v)?;
    if a.is_empty() {
        return Err(Error::bad_input("expected a non-empty array, found []"));
    }
    Ok(a)
}

/// The largest integer a JSON number holds exactly in every reader (2^53 − 1).
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// A size or index: a non-negative JSON integer no larger than 2^53 − 1.
fn size(v: &Value) -> Result<usize> {
    match v.as_u64() {
        Some(n) if n <= MAX_SAFE_INTEGER => {
            usize::try_from(n).map_err(|_| Error::bad_input(format!("expected a size that fits in memory, found {n}")))
        }
        _ => {
            Err(Error::bad_input(format!("expected a non-negative JSON integer (at most 2^53-1), found {}", found(v))))
        }
    }
}

/// A canonical rational string (`crate::num::rational::parse_canonical`).
fn rat(v: &Value) -> Result<Q> {
    match v {
        Value::String(s) => rational::parse_canonical(s),
        v => Err(Error::bad_input(format!("expected a canonical rational string, found {}", found(v)))),
    }
}

/// binary32 bits: `"0x"` and 8 lowercase hex digits.
fn bits(v: &Value) -> Result<F32> {
    v.as_str().and_then(F32::parse_hex).ok_or_else(|| {
        Error::bad_input(format!("expected binary32 bits \"0x\" + 8 lowercase hex digits, found {}", found(v)))
    })
}

fn sha256(v: &Value) -> Result<String> {
    match v.as_str() {
        Some(s) if is_sha256_ref(s) => Ok(s.to_string()),
        _ => Err(Error::bad_input(format!("expected \"sha256:\" + 64 lowercase hex digits, found {}", found(v)))),
    }
}

/// A name: ASCII `[A-Za-z_][A-Za-z0-9_.]*`.
fn ident(v: &Value) -> Result<String> {
    let s = string(v)?;
    let mut bytes = s.bytes();
    let ok = bytes.next().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.');
    if !ok {
        return Err(Error::bad_input(format!("expected a name of [A-Za-z_][A-Za-z0-9_.]*, found \"{}\"", clip(s))));
    }
    Ok(s.to_string())
}

fn tensor_name(v: &Value) -> Result<String> {
    ident(v)
}

fn read_shape(v: &Value, path: &str) -> Result<Vec<usize>> {
    at(path, array(v))?.iter().enumerate().map(|(i, d)| at(&format!("{path}[{i}]"), size(d))).collect()
}

/// `[lo, hi]` with canonical rational ends and `lo <= hi`.
fn read_interval(v: &Value, path: &str) -> Result<Interval> {
    let ends = at(path, array(v))?;
    if ends.len() != 2 {
        return at(
            path,
            Err(Error::bad_input(format!("expected [lo, hi], found an array of {} elements", ends.len()))),
        );
    }
    let lo = at(&format!("{path}[0]"), rat(&ends[0]))?;
    let hi = at(&format!("{path}[1]"), rat(&ends[1]))?;
    if lo > hi {
        let (l, h) = (rational::to_canonical(&lo), rational::to_canonical(&hi));
        return at(path, Err(Error::bad_input(format!("expected lo <= hi, found {l} > {h}"))));
    }
    Ok(Interval::new(lo, hi))
}

/// A non-empty array of intervals.
fn read_box(v: &Value, path: &str) -> Result<Box> {
    at(path, non_empty(v))?.iter().enumerate().map(|(j, i)| read_interval(i, &format!("{path}[{j}]"))).collect()
}

/// A payload tensor as read: name, shape, and its values (count checked against the shape).
struct Tensor {
    name: String,
    shape: Vec<usize>,
    values: Vec<F32>,
}

fn tensor(v: &Value, path: &str) -> Result<Tensor> {
    let [f32s, name, shape] = fields(v, path, ["f32", "name", "shape"])?;
    let name = at(&format!("{path}.name"), tensor_name(name))?;
    let shape = read_shape(shape, &format!("{path}.shape"))?;
    let count = shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
    let values = at(&format!("{path}.f32"), array(f32s))?;
    if count != Some(values.len()) {
        let want = count.map_or("more than usize::MAX".to_string(), |c| c.to_string());
        return Err(Error::bad_input(format!(
            "{path}.f32: expected {want} values (the product of shape {shape:?}), found {}",
            values.len()
        )));
    }
    let values = values
        .iter()
        .enumerate()
        .map(|(i, x)| {
            let b = at(&format!("{path}.f32[{i}]"), bits(x))?;
            if !b.is_finite() {
                let msg = format!("expected a finite binary32 (family mlp), found {}", b.to_hex());
                return at(&format!("{path}.f32[{i}]"), Err(Error::bad_input(msg)));
            }
            Ok(b)
        })
        .collect::<Result<Vec<F32>>>()?;
    Ok(Tensor { name, shape, values })
}

/// Requires tensor `t` of an `mlp` payload to be `name` with `shape`.
fn expect_tensor(t: &Tensor, index: usize, name: &str, shape: &[usize]) -> Result<()> {
    if t.name != name {
        return Err(Error::bad_input(format!("tensors[{index}].name: expected \"{name}\", found \"{}\"", t.name)));
    }
    if t.shape != shape {
        return Err(Error::bad_input(format!(
            "tensors[{index}].shape: expected {shape:?} (from spec.widths), found {:?}",
            t.shape
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn err(r: Result<impl std::fmt::Debug>) -> String {
        r.unwrap_err().to_string()
    }

    fn demo_certificate() -> Value {
        json!({"boxes": [[["-1/2", "1"]], [["0", "3/4"]]], "format": "torchlean.certificate.v1", "method": "ibp",
               "payload": format!("sha256:{}", "a".repeat(64)), "property": format!("sha256:{}", "b".repeat(64))})
    }

    #[test]
    fn payload_round_trips_to_the_same_mlp() {
        let m = Mlp::demo();
        assert_eq!(read_mlp(&m.payload().unwrap()).unwrap(), m);
        assert_eq!(Artifact::read(&m.payload().unwrap()).unwrap().kind(), Kind::Payload);
    }

    #[test]
    fn certificate_reads_and_names_its_references() {
        let a = Artifact::read(&demo_certificate()).unwrap();
        let refs: Vec<(String, Kind)> = a.references().into_iter().map(|r| (r.key, r.target)).collect();
        assert_eq!(refs, vec![("payload".into(), Kind::Payload), ("property".into(), Kind::Property)]);
    }

    #[test]
    fn bad_values_are_rejected_with_key_path_expected_and_found() {
        let cases: Vec<(Value, &str)> = vec![
            (json!(0.5), "boxes[1][0][1]: expected a canonical rational string, found JSON number 0.5"),
            (
                json!("6/8"),
                "boxes[1][0][1]: expected a canonical rational such as \"-3/4\" or \"5\", found \"6/8\" (fraction is not reduced)",
            ),
            (json!("-1"), "boxes[1][0]: expected lo <= hi, found 0 > -1"),
        ];
        for (bad, want) in cases {
            let mut c = demo_certificate();
            c["boxes"][1][0][1] = bad;
            assert_eq!(err(read_certificate(&c)), want);
        }
        let mut c = demo_certificate();
        c["payload"] = json!(format!("sha256:{}", "A".repeat(64)));
        assert!(
            err(read_certificate(&c))
                .starts_with("payload: expected \"sha256:\" + 64 lowercase hex digits, found \"sha256:AAAA")
        );
        let mut c = demo_certificate();
        c["extra"] = json!("1");
        assert_eq!(
            err(read_certificate(&c)),
            "unknown key \"extra\" (expected exactly the keys boxes, format, method, payload, property)"
        );
        let mut c = demo_certificate();
        c["format"] = json!("torchlean.certificate.v2");
        assert!(err(Artifact::read(&c)).starts_with("format: expected one of torchlean.payload.v1,"));
    }

    #[test]
    fn payload_values_sizes_and_names_are_strict() {
        let p = Mlp::demo().payload().unwrap();
        let mut bad = p.clone();
        bad["tensors"][0]["f32"][3] = json!("0x3F666666");
        assert_eq!(
            err(read_mlp(&bad)),
            "tensors[0].f32[3]: expected binary32 bits \"0x\" + 8 lowercase hex digits, found \"0x3F666666\""
        );
        let mut bad = p.clone();
        bad["tensors"][1]["f32"].as_array_mut().unwrap().pop();
        assert_eq!(err(read_mlp(&bad)), "tensors[1].f32: expected 3 values (the product of shape [3]), found 2");
        let mut bad = p.clone();
        bad["spec"]["widths"][1] = json!(-3);
        assert_eq!(
            err(read_mlp(&bad)),
            "spec.widths[1]: expected a non-negative JSON integer (at most 2^53-1), found JSON number -3"
        );
        let mut bad = p.clone();
        bad["tensors"][2]["f32"][0] = json!("0x7f800000");
        assert_eq!(err(read_mlp(&bad)), "tensors[2].f32[0]: expected a finite binary32 (family mlp), found 0x7f800000");
        let mut bad = p.clone();
        bad["spec"]["activations"][0] = json!("tanh");
        assert_eq!(err(read_mlp(&bad)), "spec.activations[0]: expected one of \"relu\", \"identity\", found \"tanh\"");
        let mut bad = p;
        bad["spec"]["é"] = json!(1);
        assert_eq!(err(read_mlp(&bad)), "spec: expected ASCII keys only, found key \"é\"");
    }

    #[test]
    fn manifest_entries_are_sorted_plain_file_names() {
        let h = format!("sha256:{}", "0".repeat(64));
        let m = |files: Value| json!({"files": files, "format": "torchlean.manifest.v1", "name": "demo-mlp"});
        let ok = m(
            json!([{"kind": "payload", "path": "a.json", "sha256": h}, {"kind": "property", "path": "b.json", "sha256": h}]),
        );
        assert_eq!(read_manifest(&ok).unwrap().files.len(), 2);
        let unsorted = m(
            json!([{"kind": "payload", "path": "b.json", "sha256": h}, {"kind": "property", "path": "a.json", "sha256": h}]),
        );
        assert_eq!(
            err(read_manifest(&unsorted)),
            "files[1].path: expected entries sorted by path without repeats, found \"a.json\" after \"b.json\""
        );
        let escape = m(json!([{"kind": "payload", "path": "../a.json", "sha256": h}]));
        assert!(err(read_manifest(&escape)).starts_with("files[0].path: expected a file name"));
        let itself = m(json!([{"kind": "manifest", "path": "m.json", "sha256": h}]));
        assert!(err(read_manifest(&itself)).starts_with("files[0].kind: expected one of \"payload\""));
    }

    #[test]
    fn graph_checks_arity_and_topological_order() {
        let h = format!("sha256:{}", "0".repeat(64));
        let g = |nodes: Value| {
            json!({"format": "torchlean.graph.v1", "payload": h, "inputs": [{"name": "x", "shape": [2]}],
                   "nodes": nodes, "outputs": ["y"]})
        };
        let ok = g(json!([
            {"attrs": {}, "id": "h", "op": "linear", "inputs": ["x"], "params": ["layers.0.weight", "layers.0.bias"]},
            {"attrs": {}, "id": "y", "op": "relu", "inputs": ["h"], "params": []}
        ]));
        let graph = read_graph(&ok).unwrap();
        assert_eq!(graph.nodes[0].op, Op::Linear);
        assert_eq!(graph.nodes[1].op.tag(), GraphOp::Relu);
        assert_eq!(graph.nodes[1].op.name(), "relu");
        let forward_ref = g(json!([
            {"attrs": {}, "id": "y", "op": "relu", "inputs": ["h"], "params": []},
            {"attrs": {}, "id": "h", "op": "identity", "inputs": ["x"], "params": []}
        ]));
        assert_eq!(
            err(read_graph(&forward_ref)),
            "nodes[0].inputs[0]: expected a graph input or an earlier node id, found \"h\""
        );
        let arity = g(json!([{"attrs": {}, "id": "y", "op": "add", "inputs": ["x"], "params": []}]));
        assert_eq!(err(read_graph(&arity)), "nodes[0].inputs: expected 2 inputs for op \"add\", found 1");
        let twice = g(json!([{"attrs": {}, "id": "x", "op": "relu", "inputs": ["x"], "params": []}]));
        assert_eq!(err(read_graph(&twice)), "nodes[0].id: expected a fresh name, found \"x\" defined twice");
        let no_attrs = g(json!([{"id": "y", "op": "relu", "inputs": ["x"], "params": []}]));
        assert_eq!(err(read_graph(&no_attrs)), "nodes[0]: missing key \"attrs\"");
        let input_node = g(json!([{"attrs": {"shape": [2]}, "id": "y", "op": "input", "inputs": [], "params": []}]));
        assert!(err(read_graph(&input_node)).starts_with("nodes[0].op: expected one of \"constant\", \"linear\""));
    }

    #[test]
    fn graph_attrs_are_typed_and_exact() {
        let h = format!("sha256:{}", "0".repeat(64));
        let g = |attrs: Value| {
            json!({"format": "torchlean.graph.v1", "payload": h, "inputs": [{"name": "x", "shape": [1, 4, 4]}],
                   "nodes": [{"attrs": attrs, "id": "y", "op": "maxpool2d", "inputs": ["x"], "params": []}],
                   "outputs": ["y"]})
        };
        let graph = read_graph(&g(json!({"kernel": [2, 2], "stride": [2, 2]}))).unwrap();
        assert_eq!(graph.nodes[0].op, Op::MaxPool2d(crate::ir::Pool2d { kernel: [2, 2], stride: [2, 2] }));
        let cases: Vec<(Value, &str)> = vec![
            (json!({"kernel": [2, 2]}), "nodes[0].attrs: missing key \"stride\""),
            (
                json!({"kernel": [2, 2], "stride": [2, 2], "pad": [0, 0]}),
                "nodes[0].attrs: unknown key \"pad\" (op \"maxpool2d\" expects exactly the keys kernel, stride)",
            ),
            (
                json!({"kernel": [2], "stride": [2, 2]}),
                "nodes[0].attrs.kernel: expected [h, w] (2 sizes), found an array of 1 elements",
            ),
            (
                json!({"kernel": ["2", 2], "stride": [2, 2]}),
                "nodes[0].attrs.kernel[0]: expected a non-negative JSON integer (at most 2^53-1), found \"2\"",
            ),
            (
                json!({"kernel": [0, 2], "stride": [2, 2]}),
                "nodes[0].attrs.kernel: expected entries of at least 1, found [0, 2]",
            ),
        ];
        for (attrs, want) in cases {
            assert_eq!(err(read_graph(&g(attrs))), want);
        }
    }

    #[test]
    fn counterexample_reads_points() {
        let h = format!("sha256:{}", "0".repeat(64));
        let c = json!({"format": "torchlean.counterexample.v1", "payload": h, "property": h, "semantics": "exact-rational",
                       "input": ["1/2", "0"], "output": ["7"]});
        let c = read_counterexample(&c).unwrap();
        assert_eq!(c.input[0], Q::new(1.into(), 2.into()));
        assert_eq!(c.output.len(), 1);
    }
}
