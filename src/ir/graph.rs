//! The graph: typed nodes in topological order, built only through [`GraphBuilder`], which checks
//! well-formedness and infers every node's output shape as it goes.
use crate::error::{Error, Result};

use super::op::Op;
use super::shape;
use super::tensor::TensorStore;

/// A node: `id = op(parents…; params…)`, with the output shape inferred when it was added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub id: String,
    pub op: Op,
    /// Ids of earlier nodes.
    pub parents: Vec<String>,
    /// Names of tensors of the store the graph was built against.
    pub params: Vec<String>,
    /// The output shape.
    pub shape: Vec<usize>,
}

impl Node {
    /// `node "<id>" (<op>)`: the context every error about this node carries.
    pub fn label(&self) -> String {
        label(&self.id, &self.op)
    }
}

fn label(id: &str, op: &Op) -> String {
    format!("node \"{id}\" ({})", op.name())
}

/// A network: a well-formed graph (unique ids, parents earlier, arities and parameter shapes
/// checked, every output a node id) with the tensors its nodes' `params` name. Every reader
/// (`.nnet`, payloads of every family) yields one; bounds, search, certificates and Lean emission
/// consume it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Graph {
    nodes: Vec<Node>,
    outputs: Vec<String>,
    tensors: TensorStore,
}

impl Graph {
    /// The nodes, in topological order.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }
    /// The ids of the output nodes.
    pub fn outputs(&self) -> &[String] {
        &self.outputs
    }
    /// The input nodes, in graph order (the order evaluation takes its arguments in).
    pub fn inputs(&self) -> impl Iterator<Item = &Node> {
        self.nodes.iter().filter(|n| matches!(n.op, Op::Input { .. }))
    }
    /// The node with id `id`.
    pub fn node(&self, id: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.id == id)
    }
    /// The parameter tensors, by name.
    pub fn tensors(&self) -> &TensorStore {
        &self.tensors
    }
    /// The tensor named `name`, if the graph has one.
    pub fn tensor(&self, name: &str) -> Option<&super::tensor::Tensor<crate::num::binary32::F32>> {
        self.tensors.get(name)
    }
    /// The shape of each input node, in graph order.
    pub fn input_shapes(&self) -> Vec<&[usize]> {
        self.inputs().map(|n| n.shape.as_slice()).collect()
    }
    /// The shape of each output, in order.
    pub fn output_shapes(&self) -> Vec<&[usize]> {
        self.outputs.iter().map(|o| self.node(o).expect("outputs are node ids").shape.as_slice()).collect()
    }
}

/// Whether `s` is a name of artifacts: ASCII `[A-Za-z_][A-Za-z0-9_.]*`.
pub(crate) fn is_name(s: &str) -> bool {
    let mut bytes = s.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
}

/// Builds a [`Graph`] node by node over the tensors it will own; each step checks the new node and
/// infers its shape, so a builder always holds a well-formed prefix.
pub struct GraphBuilder {
    store: TensorStore,
    nodes: Vec<Node>,
}

impl GraphBuilder {
    pub fn new(store: TensorStore) -> GraphBuilder {
        GraphBuilder { store, nodes: Vec::new() }
    }
    /// The tensors the graph will own.
    pub fn tensors(&self) -> &TensorStore {
        &self.store
    }

    /// Adds an input node of shape `shape`.
    pub fn input(&mut self, id: &str, shape: Vec<usize>) -> Result<()> {
        self.node(id, Op::Input { shape }, &[], &[])
    }

    /// Adds `id = op(parents; params)`. Errors name the node: `node "fc2" (linear): …`.
    pub fn node(&mut self, id: &str, op: Op, parents: &[&str], params: &[&str]) -> Result<()> {
        let shape = self.check(id, &op, parents, params).map_err(|e| e.context(label(id, &op)))?;
        self.nodes.push(Node {
            id: id.to_string(),
            op,
            parents: parents.iter().map(|s| s.to_string()).collect(),
            params: params.iter().map(|s| s.to_string()).collect(),
            shape,
        });
        Ok(())
    }

    fn check(&self, id: &str, op: &Op, parents: &[&str], params: &[&str]) -> Result<Vec<usize>> {
        if !is_name(id) {
            return Err(Error::bad_input(format!("expected an id of [A-Za-z_][A-Za-z0-9_.]*, found \"{id}\"")));
        }
        if self.nodes.iter().any(|n| n.id == id) {
            return Err(Error::bad_input(format!("expected a fresh id, found \"{id}\" defined earlier")));
        }
        let tag = op.tag();
        if !tag.arity().allows(parents.len()) {
            return Err(Error::bad_input(format!("expected {} parents, found {}", tag.arity(), parents.len())));
        }
        if params.len() != tag.param_count() {
            return Err(Error::bad_input(format!("expected {} params, found {}", tag.param_count(), params.len())));
        }
        let parent_shapes = parents
            .iter()
            .map(|p| {
                self.nodes.iter().find(|n| n.id == *p).map(|n| n.shape.as_slice()).ok_or_else(|| {
                    Error::bad_input(format!("expected parent \"{p}\" to be an earlier node, found no such node"))
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let param_shapes = params
            .iter()
            .map(|p| {
                self.store.get(p).map(|t| (*p, t.shape())).ok_or_else(|| {
                    Error::bad_input(format!("expected param \"{p}\" in the tensor store, found no such tensor"))
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let shape = shape::infer(op, &parent_shapes, &param_shapes)?;
        // Every value is materialised by evaluation and interval bounds: a declared shape may not
        // ask for more than a tensor may hold (a 65536×65536 image with a 3×3 kernel is small on
        // disk).
        let numel = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
        if numel.is_none_or(|n| n > crate::limits::MAX_TENSOR_ELEMENTS) {
            return Err(Error::bad_input(format!(
                "expected a value of at most {} elements, found shape {shape:?}",
                crate::limits::MAX_TENSOR_ELEMENTS
            )));
        }
        Ok(shape)
    }

    /// The graph with outputs `outputs` (node ids, at least one).
    pub fn finish(self, outputs: &[&str]) -> Result<Graph> {
        if outputs.is_empty() {
            return Err(Error::bad_input("outputs: expected at least one output, found none"));
        }
        for (k, o) in outputs.iter().enumerate() {
            if !self.nodes.iter().any(|n| n.id == *o) {
                return Err(Error::bad_input(format!("outputs[{k}]: expected a node id, found \"{o}\"")));
            }
        }
        Ok(Graph { nodes: self.nodes, outputs: outputs.iter().map(|s| s.to_string()).collect(), tensors: self.store })
    }
}
