//! The canonical `torchlean.graph.v1` artifact of a graph (`docs/format.md` §4.2), and the graph
//! back from one.
use serde_json::{Value, json};

use crate::cert::schema;
use crate::error::Result;

use super::graph::{Graph, GraphBuilder};
use super::op::Op;
use super::tensor::TensorStore;

/// The `torchlean.graph.v1` artifact of `graph` over the payload named `payload_ref`
/// (`sha256:…`): input nodes become `inputs` entries (in graph order), every other node a `nodes`
/// entry `{attrs, id, inputs, op, params}` (in graph order). Canonicalise it with
/// [`crate::cert::canonical_bytes`] before hashing or writing.
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

/// Reads a `torchlean.graph.v1` artifact strictly ([`schema::read_graph`]) and rebuilds the
/// graph against `store` (shapes inferred and checked); returns the graph and its payload
/// reference. The inputs come first, then the nodes, as in the artifact.
pub fn from_artifact(value: &Value, store: &TensorStore) -> Result<(Graph, String)> {
    let g = schema::read_graph(value)?;
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
    Ok((b.finish(&outputs)?, g.payload))
}
