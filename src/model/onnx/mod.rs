//! Reader for ONNX network files (the exchange format of VNN-COMP): a `ModelProto` decoded with
//! `prost` ([`proto`]) and translated node by node into the IR graph.
//!
//! The translation is exact or refused. Initializers are taken as their binary32 bits. What VNN-COMP
//! files wrap around a plain network folds away only where it is an exact no-op: subtracting or
//! adding an all-zero tensor, multiplying or dividing by ones, `Flatten`/`Reshape`/`Transpose`
//! that keep the row-major order, `Identity`, inference `Dropout`. `MatMul` by a constant followed
//! by `Add` of a constant is one `linear` node (the IR adds the bias last, as the two ONNX ops do);
//! a `BatchNormalization` after a conv or linear node is folded into its weights only when every
//! folded weight and bias is exactly a binary32. The batch axis (a leading dimension of 1) is
//! dropped: IR values have none. Anything else is an error naming the node, the op and the
//! attribute or operand.
pub mod proto;

use std::collections::HashMap;

use prost::Message;

use crate::error::{Error, Result};
use crate::ir::{Conv2d, Graph, GraphBuilder, Op, Pool2d, Tensor, TensorStore};
use crate::limits::{MAX_ONNX_BYTES, MAX_TENSOR_ELEMENTS};
use crate::num::Q;
use crate::num::binary32::F32;

use super::Model;
use proto::{AttributeProto, NodeProto, TensorProto, attribute_type as at, data_type as dt};

/// A constant value: dims as in the file, data as read.
#[derive(Debug, Clone)]
struct Const {
    dims: Vec<usize>,
    data: Data,
}

#[derive(Debug, Clone)]
enum Data {
    F32(Vec<F32>),
    I64(Vec<i64>),
}

/// What an ONNX value name stands for.
#[derive(Debug, Clone)]
enum Val {
    Const(Const),
    /// A value the network computes: the IR node holding it (`None`: the network input itself,
    /// declared to the IR when first used) and its ONNX shape, batch axis first.
    Dyn { id: Option<String>, onnx: Vec<usize> },
}

struct Reader<'a> {
    file: &'a str,
    vals: HashMap<String, Val>,
    /// How many nodes (and graph outputs) read each value.
    uses: HashMap<String, usize>,
    /// Values an earlier node already computed as part of itself (an `Add` fused into a `MatMul`).
    fused: HashMap<String, String>,
    input: Option<(String, Vec<usize>)>,
    nodes: Vec<(String, Op, Vec<String>, Vec<String>)>,
    tensors: Vec<(String, Tensor<F32>)>,
    ids: Vec<String>,
}

/// Parses an ONNX file's bytes into the IR graph; `file` names it in errors.
pub fn parse_onnx(bytes: &[u8], file: &str) -> Result<Graph> {
    if bytes.len() > MAX_ONNX_BYTES {
        return Err(Error::bad_input(format!("{file}: expected an ONNX file of at most {MAX_ONNX_BYTES} bytes, found {}", bytes.len())));
    }
    let model = proto::ModelProto::decode(bytes)
        .map_err(|e| Error::bad_input(format!("{file}: expected an ONNX ModelProto, found bytes protobuf cannot decode ({e})")))?;
    let graph = model.graph.ok_or_else(|| Error::bad_input(format!("{file}: graph: expected an ONNX graph, found none")))?;
    if let Some(op) = model.opset_import.iter().find(|o| !o.domain.is_empty() && o.domain != "ai.onnx") {
        return Err(Error::bad_input(format!("{file}: opset_import: expected only the default ONNX domain, found \"{}\"", op.domain)));
    }
    if !graph.sparse_initializer.is_empty() {
        return Err(Error::bad_input(format!("{file}: graph: expected dense initializers, found {} sparse ones", graph.sparse_initializer.len())));
    }
    let mut r = Reader {
        file,
        vals: HashMap::new(),
        uses: HashMap::new(),
        fused: HashMap::new(),
        input: None,
        nodes: Vec::new(),
        tensors: Vec::new(),
        ids: Vec::new(),
    };
    for t in &graph.initializer {
        let c = r.tensor(t, &format!("initializer \"{}\"", t.name))?;
        r.vals.insert(t.name.clone(), Val::Const(c));
    }
    // Older files list initializers among the inputs too; the network input is the one that is not.
    let inputs: Vec<_> = graph.input.iter().filter(|i| !r.vals.contains_key(&i.name)).collect();
    let [input] = inputs.as_slice() else {
        let names: Vec<&str> = inputs.iter().map(|i| i.name.as_str()).collect();
        return Err(Error::bad_input(format!("{file}: graph.input: expected one network input (besides initializers), found {names:?}")));
    };
    let shape = input_shape(file, input)?;
    r.vals.insert(input.name.clone(), Val::Dyn { id: None, onnx: shape });
    for n in &graph.node {
        for i in n.input.iter().filter(|i| !i.is_empty()) {
            *r.uses.entry(i.clone()).or_default() += 1;
        }
    }
    let [output] = graph.output.as_slice() else {
        return Err(Error::bad_input(format!("{file}: graph.output: expected one output, found {}", graph.output.len())));
    };
    *r.uses.entry(output.name.clone()).or_default() += 1;
    for (k, n) in graph.node.iter().enumerate() {
        let label = format!("{file}: node {k} \"{}\" ({})", if n.name.is_empty() { n.output.first().map_or("", |s| s) } else { &n.name }, n.op_type);
        r.node(n, &graph.node[k + 1..]).map_err(|e| e.context(label))?;
    }
    let out = r.get(&output.name).map_err(|e| e.context(format!("{file}: graph.output")))?;
    let out_id = r.materialise(&out).map_err(|e| e.context(format!("{file}: graph.output \"{}\"", output.name)))?;
    r.finish(&out_id).map_err(|e| e.context(file.to_string()))
}

/// As [`parse_onnx`], the family model the graph is the lowering of (an `mlp`, or a `cnn`), so a
/// network has the same payload whether it comes from `.nnet`, ONNX or PyTorch.
pub fn parse_onnx_model(bytes: &[u8], file: &str) -> Result<Model> {
    let graph = parse_onnx(bytes, file)?;
    Model::from_graph(&graph).or_else(|mlp| {
        super::cnn::from_graph(&graph).map_err(|cnn| {
            Error::bad_input(format!("{file}: expected a network of a family (mlp or cnn): as an mlp, {}; as a cnn, {}", mlp.message(), cnn.message()))
        })
    })
}

fn input_shape(file: &str, v: &proto::ValueInfoProto) -> Result<Vec<usize>> {
    let what = format!("{file}: input \"{}\"", v.name);
    let t = v.r#type.as_ref().and_then(|t| t.tensor_type.as_ref()).ok_or_else(|| Error::bad_input(format!("{what}: expected a tensor type, found none")))?;
    if t.elem_type != dt::FLOAT {
        return Err(Error::bad_input(format!("{what}: expected element type FLOAT (1), found {}", t.elem_type)));
    }
    let dims = t.shape.as_ref().map(|s| s.dim.as_slice()).unwrap_or_default();
    let mut shape = Vec::with_capacity(dims.len());
    for (i, d) in dims.iter().enumerate() {
        match (d.dim_value, &d.dim_param) {
            (Some(v), _) if v >= 1 => shape.push(v as usize),
            // A symbolic size is the batch axis only.
            (None, Some(_)) if i == 0 => shape.push(1),
            _ => return Err(Error::bad_input(format!("{what}: dim {i}: expected a size of at least 1, found {d:?}"))),
        }
    }
    if shape.len() < 2 || shape[0] != 1 {
        return Err(Error::bad_input(format!("{what}: expected a batch axis of 1 first and at least one more axis, found shape {shape:?}")));
    }
    Ok(shape)
}

fn numel(dims: &[usize]) -> Option<usize> {
    dims.iter().try_fold(1usize, |a, &d| a.checked_mul(d))
}

fn attr<'n>(n: &'n NodeProto, name: &str) -> Option<&'n AttributeProto> {
    n.attribute.iter().find(|a| a.name == name)
}

fn int_attr(n: &NodeProto, name: &str, default: i64) -> Result<i64> {
    match attr(n, name) {
        None => Ok(default),
        Some(a) if a.r#type == at::INT => Ok(a.i),
        Some(a) => Err(Error::bad_input(format!("attribute \"{name}\": expected an INT, found type {}", a.r#type))),
    }
}

fn float_attr(n: &NodeProto, name: &str, default: f32) -> Result<f32> {
    match attr(n, name) {
        None => Ok(default),
        Some(a) if a.r#type == at::FLOAT => Ok(a.f),
        Some(a) => Err(Error::bad_input(format!("attribute \"{name}\": expected a FLOAT, found type {}", a.r#type))),
    }
}

fn ints_attr(n: &NodeProto, name: &str) -> Result<Option<Vec<i64>>> {
    match attr(n, name) {
        None => Ok(None),
        Some(a) if a.r#type == at::INTS => Ok(Some(a.ints.clone())),
        Some(a) => Err(Error::bad_input(format!("attribute \"{name}\": expected INTS, found type {}", a.r#type))),
    }
}

/// Refuses every attribute of `n` not in `known` (an attribute torchlean would ignore could change
/// the meaning).
fn only_attrs(n: &NodeProto, known: &[&str]) -> Result<()> {
    match n.attribute.iter().find(|a| !known.contains(&a.name.as_str())) {
        Some(a) => Err(Error::bad_input(format!("attribute \"{}\": expected one of {known:?}, found an attribute torchlean does not support", a.name))),
        None => Ok(()),
    }
}

/// `expect(found == wanted)` for an attribute, with the usual message.
fn attr_is<T: PartialEq + std::fmt::Debug>(name: &str, found: T, wanted: T, what: &str) -> Result<()> {
    if found == wanted { Ok(()) } else { Err(Error::bad_input(format!("attribute \"{name}\": expected {what}, found {found:?}"))) }
}

/// `auto_pad`: only `NOTSET` (explicit `pads`) or `VALID` (no padding).
fn auto_pad(n: &NodeProto) -> Result<bool> {
    match attr(n, "auto_pad") {
        None => Ok(false),
        Some(a) => match a.s.as_slice() {
            b"NOTSET" => Ok(false),
            b"VALID" => Ok(true),
            s => Err(Error::bad_input(format!("attribute \"auto_pad\": expected NOTSET or VALID, found {}", String::from_utf8_lossy(s)))),
        },
    }
}

/// A pair attribute given for two spatial axes, `default` when absent.
fn pair(n: &NodeProto, name: &str, default: usize) -> Result<[usize; 2]> {
    match ints_attr(n, name)? {
        None => Ok([default, default]),
        Some(v) if v.len() == 2 && v.iter().all(|x| *x >= 1) => Ok([v[0] as usize, v[1] as usize]),
        Some(v) => Err(Error::bad_input(format!("attribute \"{name}\": expected two values of at least 1, found {v:?}"))),
    }
}

/// `pads` as `[top, left, bottom, right]`, symmetric: the IR pads both ends of an axis equally.
fn pads(n: &NodeProto) -> Result<[usize; 2]> {
    let valid = auto_pad(n)?;
    match ints_attr(n, "pads")? {
        None => Ok([0, 0]),
        Some(v) if v.iter().all(|p| *p == 0) => Ok([0, 0]),
        Some(v) if !valid && v.len() == 4 && v[0] == v[2] && v[1] == v[3] && v.iter().all(|p| *p >= 0) => Ok([v[0] as usize, v[1] as usize]),
        Some(v) => Err(Error::bad_input(format!("attribute \"pads\": expected [top, left, bottom, right] with top = bottom and left = right, found {v:?}"))),
    }
}

impl Reader<'_> {
    fn tensor(&self, t: &TensorProto, what: &str) -> Result<Const> {
        let e = |m: String| Error::bad_input(format!("{}: {what}: {m}", self.file));
        if t.data_location == proto::DATA_LOCATION_EXTERNAL {
            return Err(e("expected its data inside the file, found external data".into()));
        }
        let dims: Vec<usize> = t.dims.iter().map(|d| usize::try_from(*d).map_err(|_| e(format!("expected non-negative dims, found {:?}", t.dims)))).collect::<Result<_>>()?;
        let n = numel(&dims).filter(|n| *n <= MAX_TENSOR_ELEMENTS).ok_or_else(|| e(format!("expected at most {MAX_TENSOR_ELEMENTS} elements, found dims {dims:?}")))?;
        let data = match t.data_type {
            dt::FLOAT => {
                let bits: Vec<F32> = if !t.raw_data.is_empty() {
                    if t.raw_data.len() != 4 * n {
                        return Err(e(format!("expected {} bytes of raw_data for dims {dims:?}, found {}", 4 * n, t.raw_data.len())));
                    }
                    t.raw_data.chunks_exact(4).map(|c| F32(u32::from_le_bytes([c[0], c[1], c[2], c[3]]))).collect()
                } else {
                    if t.float_data.len() != n {
                        return Err(e(format!("expected {n} float_data values for dims {dims:?}, found {}", t.float_data.len())));
                    }
                    t.float_data.iter().map(|f| F32(f.to_bits())).collect()
                };
                if let Some(k) = bits.iter().position(|b| !b.is_finite()) {
                    return Err(e(format!("element {k}: expected a finite binary32, found bits 0x{:08x}", bits[k].0)));
                }
                Data::F32(bits)
            }
            dt::INT64 | dt::INT32 => {
                let width = if t.data_type == dt::INT64 { 8 } else { 4 };
                let v: Vec<i64> = if !t.raw_data.is_empty() {
                    if t.raw_data.len() != width * n {
                        return Err(e(format!("expected {} bytes of raw_data for dims {dims:?}, found {}", width * n, t.raw_data.len())));
                    }
                    if width == 8 {
                        t.raw_data.chunks_exact(8).map(|c| i64::from_le_bytes(c.try_into().expect("8 bytes"))).collect()
                    } else {
                        t.raw_data.chunks_exact(4).map(|c| i64::from(i32::from_le_bytes(c.try_into().expect("4 bytes")))).collect()
                    }
                } else if width == 8 {
                    t.int64_data.clone()
                } else {
                    t.int32_data.iter().map(|x| i64::from(*x)).collect()
                };
                if v.len() != n {
                    return Err(e(format!("expected {n} integers for dims {dims:?}, found {}", v.len())));
                }
                Data::I64(v)
            }
            other => return Err(e(format!("expected data type FLOAT (1), INT32 (6) or INT64 (7), found {other}"))),
        };
        Ok(Const { dims, data })
    }

    fn get(&self, name: &str) -> Result<Val> {
        let name = self.fused.get(name).map_or(name, String::as_str);
        self.vals.get(name).cloned().ok_or_else(|| Error::bad_input(format!("input \"{name}\": expected a value an earlier node, an initializer or the graph input defines, found none")))
    }

    fn operand(&self, n: &NodeProto, k: usize) -> Result<Val> {
        let name = n.input.get(k).filter(|s| !s.is_empty()).ok_or_else(|| Error::bad_input(format!("expected an input {k}, found {} inputs", n.input.len())))?;
        self.get(name).map_err(|e| e.context(format!("input {k}")))
    }

    fn dynamic(&self, n: &NodeProto, k: usize) -> Result<(Val, Vec<usize>)> {
        match self.operand(n, k)? {
            v @ Val::Dyn { .. } => {
                let Val::Dyn { onnx, .. } = &v else { unreachable!() };
                let s = onnx.clone();
                Ok((v, s))
            }
            Val::Const(_) => Err(Error::bad_input(format!("input {k} \"{}\": expected a value computed from the network input, found a constant (constant folding is not supported)", n.input[k]))),
        }
    }

    fn constant(&self, n: &NodeProto, k: usize) -> Result<Const> {
        match self.operand(n, k)? {
            Val::Const(c) => Ok(c),
            Val::Dyn { .. } => Err(Error::bad_input(format!("input {k} \"{}\": expected a constant (an initializer or a Constant node), found a value computed from the network input", n.input[k]))),
        }
    }

    fn fresh_id(&mut self, onnx_name: &str) -> String {
        let mut id: String = onnx_name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '.' { c } else { '_' }).collect();
        if !id.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
            id.insert(0, '_');
        }
        let base = id.clone();
        let mut k = 1;
        while self.ids.contains(&id) {
            id = format!("{base}_{k}");
            k += 1;
        }
        self.ids.push(id.clone());
        id
    }

    /// The IR node of a dynamic value, declaring the network input (unflattened) at first use.
    fn materialise(&mut self, v: &Val) -> Result<String> {
        match v {
            Val::Dyn { id: Some(id), .. } => Ok(id.clone()),
            Val::Dyn { id: None, onnx } => self.input_as(onnx[1..].to_vec()),
            Val::Const(_) => Err(Error::bad_input("expected a value computed from the network input, found a constant")),
        }
    }

    /// The network input in IR shape `shape`: declared so at first use, else reshaped to it.
    fn input_as(&mut self, shape: Vec<usize>) -> Result<String> {
        match self.input.clone() {
            None => {
                let id = self.fresh_id("input");
                self.input = Some((id.clone(), shape));
                Ok(id)
            }
            Some((id, s)) if s == shape => Ok(id),
            Some((id, _)) => self.emit(&format!("{id}.reshaped"), Op::Reshape { shape }, vec![id.clone()], vec![]),
        }
    }

    fn emit(&mut self, name: &str, op: Op, parents: Vec<String>, params: Vec<String>) -> Result<String> {
        let id = self.fresh_id(name);
        self.nodes.push((id.clone(), op, parents, params));
        Ok(id)
    }

    fn param(&mut self, id_hint: &str, shape: Vec<usize>, data: Vec<F32>) -> Result<String> {
        let base: String = id_hint.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '.' { c } else { '_' }).collect();
        let mut name = base.clone();
        let mut k = 1;
        while self.tensors.iter().any(|(t, _)| *t == name) {
            name = format!("{base}_{k}");
            k += 1;
        }
        self.tensors.push((name.clone(), Tensor::new(shape, data)?));
        Ok(name)
    }

    fn set(&mut self, n: &NodeProto, v: Val) {
        if let Some(o) = n.output.first() {
            self.vals.insert(o.clone(), v);
        }
    }

    /// Refuses a node whose outputs beyond the first are read (MaxPool's indices, Dropout's mask).
    fn one_output(&self, n: &NodeProto) -> Result<()> {
        match n.output.iter().skip(1).find(|o| !o.is_empty() && self.uses.get(*o).is_some_and(|u| *u > 0)) {
            Some(o) => Err(Error::bad_input(format!("output \"{o}\": expected only the first output to be used, found it read"))),
            None => Ok(()),
        }
    }

    fn node(&mut self, n: &NodeProto, rest: &[NodeProto]) -> Result<()> {
        if !n.domain.is_empty() && n.domain != "ai.onnx" {
            return Err(Error::bad_input(format!("domain: expected the default ONNX domain, found \"{}\"", n.domain)));
        }
        if n.output.first().is_none_or(|o| self.fused.contains_key(o)) {
            return Ok(()); // computed by the node it was fused into
        }
        self.one_output(n)?;
        let out_name = n.output[0].clone();
        match n.op_type.as_str() {
            "Relu" | "Sigmoid" | "Tanh" => {
                only_attrs(n, &[])?;
                let (x, s) = self.dynamic(n, 0)?;
                let op = match n.op_type.as_str() {
                    "Relu" => Op::Relu,
                    "Sigmoid" => Op::Sigmoid,
                    _ => Op::Tanh,
                };
                let p = self.materialise(&x)?;
                let id = self.emit(&out_name, op, vec![p], vec![])?;
                self.set(n, Val::Dyn { id: Some(id), onnx: s });
            }
            "Identity" | "Dropout" => {
                if n.op_type == "Dropout" {
                    only_attrs(n, &["seed"])?;
                    if n.input.len() > 1 {
                        return Err(Error::bad_input("inputs: expected only the data input (inference), found a ratio or training_mode input"));
                    }
                }
                let v = self.operand(n, 0)?;
                self.set(n, v);
            }
            "Constant" => {
                let [a] = n.attribute.as_slice() else {
                    return Err(Error::bad_input(format!("expected one attribute, found {}", n.attribute.len())));
                };
                let c = match (a.name.as_str(), a.r#type) {
                    ("value", at::TENSOR) => self.tensor(a.t.as_ref().ok_or_else(|| Error::bad_input("attribute \"value\": expected a tensor, found none"))?, "attribute \"value\"")?,
                    ("value_float", at::FLOAT) => Const { dims: vec![], data: Data::F32(vec![F32(a.f.to_bits())]) },
                    ("value_floats", at::FLOATS) => Const { dims: vec![a.floats.len()], data: Data::F32(a.floats.iter().map(|f| F32(f.to_bits())).collect()) },
                    ("value_int", at::INT) => Const { dims: vec![], data: Data::I64(vec![a.i]) },
                    ("value_ints", at::INTS) => Const { dims: vec![a.ints.len()], data: Data::I64(a.ints.clone()) },
                    (name, t) => return Err(Error::bad_input(format!("attribute \"{name}\" (type {t}): expected value, value_float(s) or value_int(s)"))),
                };
                self.set(n, Val::Const(c));
            }
            "Flatten" => {
                only_attrs(n, &["axis"])?;
                let (x, s) = self.dynamic(n, 0)?;
                let axis = int_attr(n, "axis", 1)?;
                let r = s.len() as i64;
                if !(-r..=r).contains(&axis) {
                    return Err(Error::bad_input(format!("attribute \"axis\": expected a value in [{}, {r}], found {axis}", -r)));
                }
                let a = if axis < 0 { axis + r } else { axis } as usize;
                let outer = numel(&s[..a]).expect("sizes fit");
                if outer != 1 {
                    return Err(Error::bad_input(format!("attribute \"axis\": expected the axes before it to hold only the batch (size 1), found shape {s:?} at axis {axis}")));
                }
                let v = self.rank_one(&out_name, x, &s)?;
                self.set(n, v);
            }
            "Reshape" => {
                only_attrs(n, &["allowzero"])?;
                let (x, s) = self.dynamic(n, 0)?;
                let c = self.constant(n, 1)?;
                let Data::I64(want) = &c.data else { return Err(Error::bad_input("input 1: expected an INT64 shape, found floats")) };
                let allowzero = int_attr(n, "allowzero", 0)?;
                let mut target = Vec::with_capacity(want.len());
                let mut infer = None;
                for (i, w) in want.iter().enumerate() {
                    match *w {
                        0 if allowzero == 0 => target.push(*s.get(i).ok_or_else(|| Error::bad_input(format!("input 1: entry {i} is 0 (copy) beyond the input's rank {}", s.len())))?),
                        -1 if infer.is_none() => {
                            infer = Some(i);
                            target.push(1);
                        }
                        w if w >= 1 => target.push(w as usize),
                        w => return Err(Error::bad_input(format!("input 1: entry {i}: expected a size ≥ 1, 0 or one -1, found {w}"))),
                    }
                }
                let total = numel(&s).expect("sizes fit");
                let known = numel(&target).filter(|k| *k > 0).ok_or_else(|| Error::bad_input(format!("input 1: expected a shape of {total} elements, found {want:?}")))?;
                if let Some(i) = infer {
                    target[i] = total / known;
                }
                if numel(&target) != Some(total) || target.first() != Some(&1) {
                    return Err(Error::bad_input(format!("input 1: expected a shape of {total} elements with the batch axis (1) first, found {want:?} (resolved {target:?}) for an input of shape {s:?}")));
                }
                let v = self.reshaped(&out_name, x, &s, target)?;
                self.set(n, v);
            }
            "Transpose" => {
                only_attrs(n, &["perm"])?;
                let (x, s) = self.dynamic(n, 0)?;
                let perm = ints_attr(n, "perm")?.unwrap_or_else(|| (0..s.len() as i64).rev().collect());
                let mut sorted = perm.clone();
                sorted.sort();
                if sorted != (0..s.len() as i64).collect::<Vec<_>>() || perm[0] != 0 {
                    return Err(Error::bad_input(format!("attribute \"perm\": expected a permutation of the {} axes keeping the batch axis 0 first, found {perm:?}", s.len())));
                }
                let t: Vec<usize> = perm.iter().map(|p| s[*p as usize]).collect();
                // Axes of size 1 carry no order: if the others keep theirs, this is a reshape.
                let moved: Vec<i64> = perm.iter().copied().filter(|p| s[*p as usize] != 1).collect();
                if moved.windows(2).all(|w| w[0] < w[1]) {
                    let v = self.reshaped(&out_name, x, &s, t)?;
                    self.set(n, v);
                } else if s.len() == 3 && perm == [0, 2, 1] {
                    let p = self.materialise(&x)?;
                    let id = self.emit(&out_name, Op::Transpose, vec![p], vec![])?;
                    self.set(n, Val::Dyn { id: Some(id), onnx: t });
                } else {
                    return Err(Error::bad_input(format!("attribute \"perm\": expected one that keeps the row-major order or swaps the last two axes of a rank-3 value, found {perm:?} on shape {s:?}")));
                }
            }
            "MatMul" => {
                only_attrs(n, &[])?;
                let (x, s) = self.dynamic(n, 0)?;
                let b = self.constant(n, 1)?;
                let Data::F32(bd) = &b.data else { return Err(Error::bad_input("input 1: expected FLOAT weights, found integers")) };
                let [k, m] = b.dims[..] else { return Err(Error::bad_input(format!("input 1: expected a [in, out] matrix, found dims {:?}", b.dims))) };
                if s.last() != Some(&k) {
                    return Err(Error::bad_input(format!("input 1: expected {} rows to match the input's last axis, found dims {:?} for input shape {s:?}", s.last().unwrap_or(&0), b.dims)));
                }
                // IR weight is [out, in]: the transpose of ONNX's [in, out].
                let w: Vec<F32> = (0..m).flat_map(|o| (0..k).map(move |i| (o, i))).map(|(o, i)| bd[i * m + o]).collect();
                let mut onnx = s.clone();
                *onnx.last_mut().expect("rank ≥ 2") = m;
                // `MatMul` then `Add` of a constant `[out]` bias: one linear node, bias added last.
                let bias = self.fusable_bias(&out_name, m, &onnx, rest)?;
                let (bias, add_out) = match bias {
                    Some((b, add_out)) => (b, Some(add_out)),
                    None => (vec![F32(0); m], None),
                };
                let id = self.linear(&out_name, x, w, vec![m, k], bias)?;
                let v = Val::Dyn { id: Some(id), onnx };
                if let Some(a) = add_out {
                    self.fused.insert(a.clone(), out_name.clone());
                }
                self.set(n, v);
            }
            "Gemm" => {
                only_attrs(n, &["alpha", "beta", "transA", "transB"])?;
                attr_is("alpha", float_attr(n, "alpha", 1.0)?.to_bits(), 1f32.to_bits(), "1.0")?;
                attr_is("beta", float_attr(n, "beta", 1.0)?.to_bits(), 1f32.to_bits(), "1.0")?;
                attr_is("transA", int_attr(n, "transA", 0)?, 0, "0")?;
                let trans_b = int_attr(n, "transB", 0)?;
                let (x, s) = self.dynamic(n, 0)?;
                let b = self.constant(n, 1)?;
                let Data::F32(bd) = &b.data else { return Err(Error::bad_input("input 1: expected FLOAT weights, found integers")) };
                let [r, c] = b.dims[..] else { return Err(Error::bad_input(format!("input 1: expected a matrix, found dims {:?}", b.dims))) };
                let (k, m) = if trans_b == 1 { (c, r) } else { (r, c) };
                if s.len() != 2 || s[1] != k {
                    return Err(Error::bad_input(format!("input 0: expected shape [1, {k}], found {s:?}")));
                }
                let w: Vec<F32> = if trans_b == 1 { bd.clone() } else { (0..m).flat_map(|o| (0..k).map(move |i| (o, i))).map(|(o, i)| bd[i * m + o]).collect() };
                let bias = match n.input.get(2).filter(|s| !s.is_empty()) {
                    None => vec![F32(0); m],
                    Some(_) => self.broadcast(&self.constant(n, 2)?, &[1, m]).map_err(|e| e.context("input 2"))?,
                };
                let id = self.linear(&out_name, x, w, vec![m, k], bias)?;
                self.set(n, Val::Dyn { id: Some(id), onnx: vec![1, m] });
            }
            "Conv" => {
                only_attrs(n, &["auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"])?;
                let (x, s) = self.dynamic(n, 0)?;
                let [_, c, h, wd] = s[..] else { return Err(Error::bad_input(format!("input 0: expected shape [1, C, H, W], found {s:?}"))) };
                let w = self.constant(n, 1)?;
                let Data::F32(wdata) = w.data else { return Err(Error::bad_input("input 1: expected FLOAT weights, found integers")) };
                let [o, ci, kh, kw] = w.dims[..] else { return Err(Error::bad_input(format!("input 1: expected weights [out, in, kh, kw], found dims {:?}", w.dims))) };
                attr_is("group", int_attr(n, "group", 1)?, 1, "1")?;
                attr_is("dilations", pair(n, "dilations", 1)?, [1, 1], "[1, 1]")?;
                if ci != c {
                    return Err(Error::bad_input(format!("input 1: expected {c} input channels, found dims {:?}", w.dims)));
                }
                if let Some(ks) = ints_attr(n, "kernel_shape")? {
                    attr_is("kernel_shape", ks, vec![kh as i64, kw as i64], "the weights' kernel")?;
                }
                let stride = pair(n, "strides", 1)?;
                let padding = pads(n)?;
                let bias = match n.input.get(2).filter(|s| !s.is_empty()) {
                    None => vec![F32(0); o],
                    Some(_) => self.broadcast(&self.constant(n, 2)?, &[o]).map_err(|e| e.context("input 2"))?,
                };
                let p = self.materialise(&x)?;
                let wt = self.param(&format!("{out_name}.weight"), vec![o, c, kh, kw], wdata)?;
                let bt = self.param(&format!("{out_name}.bias"), vec![o], bias)?;
                let op = Op::Conv2d(Conv2d { in_channels: c, out_channels: o, kernel: [kh, kw], stride, padding });
                let id = self.emit(&out_name, op, vec![p], vec![wt, bt])?;
                let out = |n: usize, pad: usize, k: usize, st: usize| (n + 2 * pad).checked_sub(k).map(|d| d / st + 1);
                let (oh, ow) = match (out(h, padding[0], kh, stride[0]), out(wd, padding[1], kw, stride[1])) {
                    (Some(a), Some(b)) => (a, b),
                    _ => return Err(Error::bad_input(format!("input 1: expected a kernel that fits the padded input {s:?}, found {kh}×{kw}"))),
                };
                self.set(n, Val::Dyn { id: Some(id), onnx: vec![1, o, oh, ow] });
            }
            "MaxPool" | "AveragePool" => {
                let max = n.op_type == "MaxPool";
                let known: &[&str] = if max { &["auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order", "strides"] } else { &["auto_pad", "ceil_mode", "count_include_pad", "dilations", "kernel_shape", "pads", "strides"] };
                only_attrs(n, known)?;
                let (x, s) = self.dynamic(n, 0)?;
                let [_, c, h, w] = s[..] else { return Err(Error::bad_input(format!("input 0: expected shape [1, C, H, W], found {s:?}"))) };
                attr_is("ceil_mode", int_attr(n, "ceil_mode", 0)?, 0, "0")?;
                attr_is("dilations", pair(n, "dilations", 1)?, [1, 1], "[1, 1]")?;
                attr_is("pads", pads(n)?, [0, 0], "no padding")?;
                let kernel = match ints_attr(n, "kernel_shape")? {
                    Some(_) => pair(n, "kernel_shape", 1)?,
                    None => return Err(Error::bad_input("attribute \"kernel_shape\": expected two sizes, found none")),
                };
                let stride = pair(n, "strides", 1)?;
                if kernel[0] > h || kernel[1] > w {
                    return Err(Error::bad_input(format!("attribute \"kernel_shape\": expected a window within {h}×{w}, found {kernel:?}")));
                }
                let p = self.materialise(&x)?;
                let pool = Pool2d { kernel, stride };
                let op = if max { Op::MaxPool2d(pool) } else { Op::AvgPool2d(pool) };
                let id = self.emit(&out_name, op, vec![p], vec![])?;
                self.set(n, Val::Dyn { id: Some(id), onnx: vec![1, c, (h - kernel[0]) / stride[0] + 1, (w - kernel[1]) / stride[1] + 1] });
            }
            "Add" | "Sub" | "Mul" | "Div" => {
                only_attrs(n, &[])?;
                let v = self.arith(n, &out_name)?;
                self.set(n, v);
            }
            "BatchNormalization" => {
                only_attrs(n, &["epsilon", "momentum", "training_mode"])?;
                attr_is("training_mode", int_attr(n, "training_mode", 0)?, 0, "0 (inference)")?;
                let v = self.batch_norm(n)?;
                self.set(n, v);
            }
            op => return Err(Error::bad_input(format!("op {op}: expected one of Gemm, MatMul, Add, Sub, Mul, Div, Relu, Sigmoid, Tanh, Conv, MaxPool, AveragePool, Flatten, Reshape, Transpose, Constant, Identity, Dropout, BatchNormalization"))),
        }
        Ok(())
    }

    /// The bias of an `Add` that is the only reader of `matmul_out` and adds a constant `[out]`:
    /// the bias and the `Add`'s output name.
    fn fusable_bias(&self, matmul_out: &str, m: usize, onnx: &[usize], rest: &[NodeProto]) -> Result<Option<(Vec<F32>, String)>> {
        if self.uses.get(matmul_out) != Some(&1) {
            return Ok(None);
        }
        let Some(add) = rest.iter().find(|r| r.input.iter().any(|i| i == matmul_out)) else { return Ok(None) };
        if add.op_type != "Add" || add.input.len() != 2 || !add.attribute.is_empty() || !(add.domain.is_empty() || add.domain == "ai.onnx") {
            return Ok(None);
        }
        let other = if add.input[0] == matmul_out { &add.input[1] } else { &add.input[0] };
        let Some(Val::Const(c)) = self.vals.get(other) else { return Ok(None) };
        // Only a bias along the last axis: a broadcast over other axes is not a linear layer's.
        if c.dims.iter().rev().skip(1).any(|d| *d != 1) || c.dims.last().is_some_and(|d| *d != m && *d != 1) {
            return Ok(None);
        }
        // Leading axes of size 1 hold the same data: read it as a vector (`[1, out]` is `[out]`).
        let flat = Const { dims: c.dims.last().map_or_else(Vec::new, |d| vec![*d]), data: c.data.clone() };
        let b = self.broadcast(&flat, &onnx[onnx.len() - 1..]).map_err(|e| e.context(format!("input \"{other}\"")))?;
        Ok(Some((b, add.output[0].clone())))
    }

    fn linear(&mut self, name: &str, x: Val, w: Vec<F32>, shape: Vec<usize>, bias: Vec<F32>) -> Result<String> {
        let p = self.materialise(&x)?;
        let out = shape[0];
        let wt = self.param(&format!("{name}.weight"), shape, w)?;
        let bt = self.param(&format!("{name}.bias"), vec![out], bias)?;
        self.emit(name, Op::Linear, vec![p], vec![wt, bt])
    }

    /// `x` (ONNX shape `s`, batch first) as one axis.
    fn rank_one(&mut self, name: &str, x: Val, s: &[usize]) -> Result<Val> {
        let total = numel(s).expect("sizes fit");
        self.reshaped(name, x, s, vec![1, total])
    }

    /// `x` (ONNX shape `s`) in ONNX shape `t` of the same element count, batch first.
    fn reshaped(&mut self, name: &str, x: Val, s: &[usize], t: Vec<usize>) -> Result<Val> {
        if s == t.as_slice() {
            return Ok(x);
        }
        let ir = t[1..].to_vec();
        let id = match &x {
            // The input not yet declared is declared in the new shape: VNN-LIB numbers its
            // coordinates row-major, which no reshape changes.
            Val::Dyn { id: None, .. } => self.input_as(ir)?,
            _ => {
                let p = self.materialise(&x)?;
                let op = if ir.len() == 1 { Op::Flatten } else { Op::Reshape { shape: ir } };
                self.emit(name, op, vec![p], vec![])?
            }
        };
        Ok(Val::Dyn { id: Some(id), onnx: t })
    }

    /// `c` broadcast (numpy rules) to ONNX shape `t`, then with the leading batch axis dropped if
    /// `t` has one: the data of an IR value of shape `t[1..]` (or `t`).
    fn broadcast(&self, c: &Const, t: &[usize]) -> Result<Vec<F32>> {
        let Data::F32(d) = &c.data else { return Err(Error::bad_input("expected FLOAT data, found integers")) };
        if c.dims.len() > t.len() || c.dims.iter().rev().zip(t.iter().rev()).any(|(a, b)| *a != 1 && a != b) {
            return Err(Error::bad_input(format!("expected dims that broadcast to {t:?}, found {:?}", c.dims)));
        }
        let n = numel(t).expect("sizes fit");
        let off = t.len() - c.dims.len();
        let mut out = Vec::with_capacity(n);
        let mut idx = vec![0usize; t.len()];
        for _ in 0..n {
            let mut k = 0;
            for (j, dim) in c.dims.iter().enumerate() {
                k = k * dim + if *dim == 1 { 0 } else { idx[off + j] };
            }
            out.push(d[k]);
            for a in (0..t.len()).rev() {
                idx[a] += 1;
                if idx[a] < t[a] {
                    break;
                }
                idx[a] = 0;
            }
        }
        Ok(out)
    }

    fn arith(&mut self, n: &NodeProto, name: &str) -> Result<Val> {
        let op = n.op_type.as_str();
        let (a, b) = (self.operand(n, 0)?, self.operand(n, 1)?);
        match (a, b) {
            (Val::Const(_), Val::Const(_)) => Err(Error::bad_input("inputs: expected a value computed from the network input, found two constants (constant folding is not supported)")),
            (x @ Val::Dyn { .. }, y @ Val::Dyn { .. }) => {
                let (Val::Dyn { onnx: sx, .. }, Val::Dyn { onnx: sy, .. }) = (&x, &y) else { unreachable!() };
                if sx != sy {
                    return Err(Error::bad_input(format!("inputs: expected two values of one shape, found {sx:?} and {sy:?}")));
                }
                let ir = match op {
                    "Add" => Op::Add,
                    "Sub" => Op::Sub,
                    "Mul" => Op::Mul,
                    _ => return Err(Error::bad_input("inputs: expected a constant divisor, found a value computed from the network input")),
                };
                let s = sx.clone();
                let (p, q) = (self.materialise(&x)?, self.materialise(&y)?);
                let id = self.emit(name, ir, vec![p, q], vec![])?;
                Ok(Val::Dyn { id: Some(id), onnx: s })
            }
            (a, b) => {
                let const_first = matches!(a, Val::Const(_));
                let (Val::Dyn { onnx: s, .. }, Val::Const(c)) = (if const_first { (&b, &a) } else { (&a, &b) }) else { unreachable!() };
                let x = if const_first { b.clone() } else { a.clone() };
                let s = s.clone();
                let data = self.broadcast(c, &s).map_err(|e| e.context(format!("input {}", if const_first { 0 } else { 1 })))?;
                let rationals: Vec<Q> = data.iter().map(|f| f.to_rational().expect("finite")).collect();
                let zero = rationals.iter().all(|q| *q == Q::from_integer(0.into()));
                let one = rationals.iter().all(|q| *q == Q::from_integer(1.into()));
                // Exact no-ops: x ± 0 and x·1, x/1 have x's value in ℚ and in binary32 (a zero's
                // sign aside, which no later op distinguishes).
                match (op, const_first) {
                    ("Add", _) | ("Sub", false) if zero => return Ok(x),
                    ("Mul", _) | ("Div", false) if one => return Ok(x),
                    ("Div", true) => return Err(Error::bad_input("input 1: expected a constant divisor, found a value computed from the network input")),
                    _ => {}
                }
                let (ir, data) = match op {
                    "Add" => (Op::Add, data),
                    "Sub" => (Op::Sub, data),
                    "Mul" => (Op::Mul, data),
                    _ => {
                        // x / c is x · (1/c) in binary32 only when 1/c is a binary32.
                        let mut inv = Vec::with_capacity(data.len());
                        for (k, q) in rationals.iter().enumerate() {
                            let r = if *q == Q::from_integer(0.into()) { None } else { Some(F32::from_rational(&q.recip())) };
                            match r {
                                Some(r) if r.status.is_ok() => inv.push(r.value),
                                _ => return Err(Error::bad_input(format!("input 1: element {k}: expected a divisor whose reciprocal is a binary32 (a power of two), found {}", crate::num::rational::to_canonical(q)))),
                            }
                        }
                        (Op::Mul, inv)
                    }
                };
                let p = self.materialise(&x)?;
                let t = self.param(&format!("{name}.const"), s[1..].to_vec(), data)?;
                let cid = self.emit(&format!("{name}.const"), Op::Constant, vec![], vec![t])?;
                let parents = if const_first { vec![cid, p] } else { vec![p, cid] };
                let id = self.emit(name, ir, parents, vec![])?;
                Ok(Val::Dyn { id: Some(id), onnx: s })
            }
        }
    }

    /// Folds `BatchNormalization` into the conv or linear node it reads, exactly or not at all.
    fn batch_norm(&mut self, n: &NodeProto) -> Result<Val> {
        let (x, s) = self.dynamic(n, 0)?;
        let Val::Dyn { id: Some(id), .. } = &x else { return Err(Error::bad_input("input 0: expected the output of a Conv or Gemm/MatMul, found the network input")) };
        let pos = self.nodes.iter().position(|(i, _, _, _)| i == id).expect("emitted");
        let (_, op, _, params) = self.nodes[pos].clone();
        if !matches!(op, Op::Conv2d(_) | Op::Linear) || self.uses.get(&n.input[0]) != Some(&1) {
            return Err(Error::bad_input("input 0: expected the output of a Conv or Gemm/MatMul read by nothing else, found another value"));
        }
        // The channel axis is 1: a linear layer's output features only when its value is
        // [1, features] (on [1, s, features] axis 1 is the sequence, which no weight row scales).
        if matches!(op, Op::Linear) && s.len() != 2 {
            return Err(Error::bad_input(format!(
                "input 0: expected a Gemm/MatMul output of shape [1, features] (the channel axis is 1), found shape {s:?}"
            )));
        }
        let channels = if s.len() >= 2 { s[1] } else { 0 };
        let eps = F32(float_attr(n, "epsilon", 1e-5)?.to_bits()).to_rational().ok_or_else(|| Error::bad_input("attribute \"epsilon\": expected a finite value"))?;
        let mut v: Vec<Vec<Q>> = Vec::with_capacity(4);
        for k in 1..5 {
            let c = self.constant(n, k)?;
            let data = self.broadcast(&c, &[channels]).map_err(|e| e.context(format!("input {k}")))?;
            v.push(data.iter().map(|f| f.to_rational().expect("finite")).collect());
        }
        let (scale, shift, mean, var) = (&v[0], &v[1], &v[2], &v[3]);
        let mut factor = Vec::with_capacity(channels);
        for c in 0..channels {
            let d = &var[c] + &eps;
            let root = exact_sqrt(&d).ok_or_else(|| Error::bad_input(format!("channel {c}: expected var + epsilon to be the square of a rational so the fold is exact, found {}", crate::num::rational::to_canonical(&d))))?;
            factor.push(&scale[c] / root);
        }
        let fold = |q: Q, what: &str| -> Result<F32> {
            let r = F32::from_rational(&q);
            if r.status.is_ok() { Ok(r.value) } else { Err(Error::bad_input(format!("{what}: expected the folded value to be a binary32, found {} (not exact)", crate::num::rational::to_canonical(&q)))) }
        };
        let (wname, bname) = (params[0].clone(), params[1].clone());
        let wpos = self.tensors.iter().position(|(t, _)| *t == wname).expect("param");
        let bpos = self.tensors.iter().position(|(t, _)| *t == bname).expect("param");
        let w = self.tensors[wpos].1.clone();
        let per = w.data().len() / channels.max(1);
        if w.shape()[0] != channels {
            return Err(Error::bad_input(format!("input 0: expected {} channels, found {channels}", w.shape()[0])));
        }
        let mut nw = Vec::with_capacity(w.data().len());
        for (k, f) in w.data().iter().enumerate() {
            nw.push(fold(f.to_rational().expect("finite") * &factor[k / per], &format!("weight element {k}"))?);
        }
        let b = self.tensors[bpos].1.clone();
        let mut nb = Vec::with_capacity(channels);
        for (c, f) in b.data().iter().enumerate() {
            nb.push(fold((f.to_rational().expect("finite") - &mean[c]) * &factor[c] + &shift[c], &format!("bias element {c}"))?);
        }
        self.tensors[wpos].1 = Tensor::new(w.shape().to_vec(), nw)?;
        self.tensors[bpos].1 = Tensor::vector(nb);
        Ok(x)
    }

    fn finish(self, out: &str) -> Result<Graph> {
        let mut store = TensorStore::new();
        for (name, t) in &self.tensors {
            store.insert(name, t.clone())?;
        }
        let mut b = GraphBuilder::new(store);
        let (id, shape) = self.input.ok_or_else(|| Error::bad_input("expected the output to depend on the network input, found a constant network"))?;
        b.input(&id, shape)?;
        for (id, op, parents, params) in &self.nodes {
            let p: Vec<&str> = parents.iter().map(String::as_str).collect();
            let q: Vec<&str> = params.iter().map(String::as_str).collect();
            b.node(id, op.clone(), &p, &q)?;
        }
        b.finish(&[out])
    }
}

/// `√q` when it is rational.
fn exact_sqrt(q: &Q) -> Option<Q> {
    if *q <= Q::from_integer(0.into()) {
        return None;
    }
    let (n, d) = (q.numer().sqrt(), q.denom().sqrt());
    (&n * &n == *q.numer() && &d * &d == *q.denom()).then(|| Q::new(n, d))
}
