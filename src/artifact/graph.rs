//! `torchlean.graph.v1`: a computation over a payload's tensors (`docs/format.md` §4.2). The reader
//! yields its syntax ([`GraphFile`]), checked for arities, unique names and topological order;
//! [`from_artifact`] builds the network over the payload's tensors (shapes inferred and checked).
use serde_json::{Value, json};

use super::{Kind, expect_format};
use crate::error::{Error, Result};
use crate::ir::{AttrKind, AttrValue, Graph, GraphBuilder, Op, OpTag, TensorStore};
use crate::json::guards::{array, at, clip, fields, found, ident, literal, non_empty, rat, read_shape, sha256, size, tensor_name};

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

/// A `torchlean.graph.v1` as written: a computation over the tensors of one payload, nodes in
/// topological order (syntax only: [`from_artifact`] makes it a network).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphFile {
    pub payload: String,
    pub inputs: Vec<GraphInput>,
    pub nodes: Vec<GraphNode>,
    pub outputs: Vec<String>,
}

/// Reads a `torchlean.graph.v1`, checking arities, unique names and topological order.
pub fn read(value: &Value) -> Result<GraphFile> {
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
    Ok(GraphFile { payload, inputs: graph_inputs, nodes: graph_nodes, outputs })
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

/// The `torchlean.graph.v1` artifact of `graph` over the payload named `payload_ref`
/// (`sha256:…`): input nodes become `inputs` entries (in graph order), every other node a `nodes`
/// entry `{attrs, id, inputs, op, params}` (in graph order). Canonicalise it with
/// [`crate::json::canonical_bytes`] before hashing or writing.
pub fn to_artifact(graph: &Graph, payload_ref: &str) -> Value {
    let mut inputs = Vec::new();
    let mut nodes = Vec::new();
    for n in graph.nodes() {
        match &n.op {
            Op::Input { shape } => inputs.push(json!({"name": n.id, "shape": shape})),
            op => nodes.push(json!({
                "attrs": op.attrs_json(),
                "id": n.id,
                "inputs": n.parents,
                "op": op.name(),
                "params": n.params,
            })),
        }
    }
    json!({
        "format": "torchlean.graph.v1",
        "inputs": inputs,
        "nodes": nodes,
        "outputs": graph.outputs(),
        "payload": payload_ref,
    })
}

/// Reads a `torchlean.graph.v1` artifact strictly ([`read`]) and rebuilds the
/// graph over `store`, the payload's tensors (shapes inferred and checked); returns the graph and
/// its payload reference. The inputs come first, then the nodes, as in the artifact.
pub fn from_artifact(value: &Value, store: TensorStore) -> Result<(Graph, String)> {
    let g = read(value)?;
    Ok((build(&g, store)?, g.payload))
}

/// The network a graph artifact describes, over `store` (its payload's tensors): every node
/// checked and its shape inferred.
pub fn build(g: &GraphFile, store: TensorStore) -> Result<Graph> {
    let mut b = GraphBuilder::new(store);
    for i in &g.inputs {
        b.input(&i.name, i.shape.clone())?;
    }
    for (j, n) in g.nodes.iter().enumerate() {
        let parents: Vec<&str> = n.inputs.iter().map(String::as_str).collect();
        let params: Vec<&str> = n.params.iter().map(String::as_str).collect();
        b.node(&n.id, n.op.clone(), &parents, &params).map_err(|e| e.context(format!("nodes[{j}]")))?;
    }
    let outputs: Vec<&str> = g.outputs.iter().map(String::as_str).collect();
    b.finish(&outputs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn err(r: Result<impl std::fmt::Debug>) -> String {
        r.unwrap_err().to_string()
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
        let graph = read(&ok).unwrap();
        assert_eq!(graph.nodes[0].op, Op::Linear);
        assert_eq!(graph.nodes[1].op.tag(), OpTag::Relu);
        assert_eq!(graph.nodes[1].op.name(), "relu");
        let forward_ref = g(json!([
            {"attrs": {}, "id": "y", "op": "relu", "inputs": ["h"], "params": []},
            {"attrs": {}, "id": "h", "op": "identity", "inputs": ["x"], "params": []}
        ]));
        assert_eq!(
            err(read(&forward_ref)),
            "nodes[0].inputs[0]: expected a graph input or an earlier node id, found \"h\""
        );
        let arity = g(json!([{"attrs": {}, "id": "y", "op": "add", "inputs": ["x"], "params": []}]));
        assert_eq!(err(read(&arity)), "nodes[0].inputs: expected 2 inputs for op \"add\", found 1");
        let twice = g(json!([{"attrs": {}, "id": "x", "op": "relu", "inputs": ["x"], "params": []}]));
        assert_eq!(err(read(&twice)), "nodes[0].id: expected a fresh name, found \"x\" defined twice");
        let no_attrs = g(json!([{"id": "y", "op": "relu", "inputs": ["x"], "params": []}]));
        assert_eq!(err(read(&no_attrs)), "nodes[0]: missing key \"attrs\"");
        let input_node = g(json!([{"attrs": {"shape": [2]}, "id": "y", "op": "input", "inputs": [], "params": []}]));
        assert!(err(read(&input_node)).starts_with("nodes[0].op: expected one of \"constant\", \"linear\""));
    }

    #[test]
    fn graph_attrs_are_typed_and_exact() {
        let h = format!("sha256:{}", "0".repeat(64));
        let g = |attrs: Value| {
            json!({"format": "torchlean.graph.v1", "payload": h, "inputs": [{"name": "x", "shape": [1, 4, 4]}],
                   "nodes": [{"attrs": attrs, "id": "y", "op": "maxpool2d", "inputs": ["x"], "params": []}],
                   "outputs": ["y"]})
        };
        let graph = read(&g(json!({"kernel": [2, 2], "stride": [2, 2]}))).unwrap();
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
            assert_eq!(err(read(&g(attrs))), want);
        }
    }
}
