//! Model families of the PyTorch round trip (`docs/families.md`): a family spec names every
//! parameter tensor, in PyTorch `state_dict` order, with its shape; a [`Model`] is a spec plus
//! tensors that match it exactly (names, order, shapes, value counts, finite binary32 bits).
use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::ir::{Graph, Op, Tensor};
use crate::num::binary32::F32;

pub use super::cnn::{CnnLayer, CnnSpec};
pub use super::param::{Act, ParamSpec};
pub use super::transformer::{AttentionMask, TransformerSpec};


/// `mlp`: `widths = [in, h1, …, out]` and one activation per layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MlpSpec {
    pub widths: Vec<usize>,
    pub activations: Vec<Act>,
}

impl MlpSpec {
    /// A spec, checked: at least two widths, each at least 1, one activation per layer.
    pub fn new(widths: Vec<usize>, activations: Vec<Act>) -> Result<MlpSpec> {
        if widths.len() < 2 {
            return Err(Error::bad_input(format!("widths: expected at least 2 widths, found {}", widths.len())));
        }
        if let Some(i) = widths.iter().position(|&w| w == 0) {
            return Err(Error::bad_input(format!("widths[{i}]: expected a width of at least 1, found 0")));
        }
        if activations.len() != widths.len() - 1 {
            return Err(Error::bad_input(format!(
                "activations: expected {} activations (one per layer), found {}",
                widths.len() - 1,
                activations.len()
            )));
        }
        Ok(MlpSpec { widths, activations })
    }
}

/// A model family with its spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Family {
    Mlp(MlpSpec),
    Cnn(CnnSpec),
    Transformer(TransformerSpec),
}


impl Family {
    /// The family tags of payloads, in the order of `docs/families.md`.
    pub const TAGS: [&'static str; 3] = ["mlp", "cnn", "transformer"];

    /// The payload's `family` tag.
    pub fn tag(&self) -> &'static str {
        match self {
            Family::Mlp(_) => "mlp",
            Family::Cnn(_) => "cnn",
            Family::Transformer(_) => "transformer",
        }
    }

    /// Every parameter, in `state_dict` order, with its shape.
    pub fn params(&self) -> Vec<ParamSpec> {
        match self {
            Family::Mlp(s) => s
                .widths
                .windows(2)
                .enumerate()
                .flat_map(|(i, w)| {
                    [
                        ParamSpec::new(format!("layers.{i}.weight"), vec![w[1], w[0]]),
                        ParamSpec::new(format!("layers.{i}.bias"), vec![w[1]]),
                    ]
                })
                .collect(),
            Family::Cnn(s) => s.params(),
            Family::Transformer(s) => s.params(),
        }
    }

    /// The input shape of one example (no batch axis).
    pub fn input_shape(&self) -> Vec<usize> {
        match self {
            Family::Mlp(s) => vec![s.widths[0]],
            Family::Cnn(s) => s.input.to_vec(),
            Family::Transformer(s) => vec![s.seq_len, s.d_model],
        }
    }

    /// The payload's `spec` object (`docs/format.md` §4.1).
    pub fn spec_json(&self) -> Value {
        match self {
            Family::Mlp(s) => {
                let acts: Vec<&str> = s.activations.iter().map(|a| a.name()).collect();
                json!({"activations": acts, "widths": s.widths})
            }
            Family::Cnn(s) => s.spec_json(),
            Family::Transformer(s) => s.spec_json(),
        }
    }
}

/// A model of a family: its spec and its parameters, in the family's order, shapes checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Model {
    family: Family,
    tensors: Vec<(String, Tensor<F32>)>,
}

impl Model {
    /// The `mlp` model a graph is the lowering of: one input of shape `[n]`, then `linear` nodes
    /// each fed by the previous value and followed by at most one activation (`relu`, `gelu`,
    /// `tanh`, `sigmoid`, `identity`; none counts as `identity`), the last node the only output.
    /// Tensors are renamed to the family's `layers.{i}.weight` / `layers.{i}.bias`, so a network
    /// from `.nnet` (or any reader) has the payload bytes of the same dense network. Errors name
    /// the first node that does not fit.
    pub fn from_graph(graph: &Graph) -> Result<Model> {
        let not_mlp = |what: String| Error::bad_input(format!("expected the graph of an mlp (linear layers, each with one activation), {what}"));
        let mut nodes = graph.nodes().iter();
        let input = nodes.next().ok_or_else(|| not_mlp("found an empty graph".into()))?;
        let width = match &input.op {
            Op::Input { shape } if shape.len() == 1 => shape[0],
            _ => return Err(not_mlp(format!("found {} of shape {:?} first", input.label(), input.shape))),
        };
        let mut widths = vec![width];
        let mut acts: Vec<Act> = Vec::new();
        let mut tensors = Vec::new();
        // The value the next node must read, and whether it is a linear node's (so may take an activation).
        let mut prev = (input.id.as_str(), false);
        for n in nodes {
            if n.parents.len() != 1 || n.parents[0] != prev.0 {
                return Err(not_mlp(format!("found {} reading {:?} instead of \"{}\"", n.label(), n.parents, prev.0)));
            }
            let act = match n.op {
                Op::Linear => None,
                Op::Relu => Some(Act::Relu),
                Op::Gelu => Some(Act::Gelu),
                Op::Tanh => Some(Act::Tanh),
                Op::Sigmoid => Some(Act::Sigmoid),
                Op::Identity => Some(Act::Identity),
                _ => return Err(not_mlp(format!("found {}, which has no place in one", n.label()))),
            };
            match act {
                None => {
                    if prev.1 {
                        acts.push(Act::Identity);
                    }
                    let i = acts.len();
                    let (w, b) = (&n.params[0], &n.params[1]);
                    let w = graph.tensor(w).ok_or_else(|| Error::internal(format!("{}: tensor \"{w}\" missing", n.label())))?;
                    let b = graph.tensor(b).ok_or_else(|| Error::internal(format!("{}: tensor \"{b}\" missing", n.label())))?;
                    if w.shape().len() != 2 {
                        return Err(not_mlp(format!("found {} with a weight of shape {:?}", n.label(), w.shape())));
                    }
                    widths.push(w.shape()[0]);
                    tensors.push((format!("layers.{i}.weight"), w.clone()));
                    tensors.push((format!("layers.{i}.bias"), b.clone()));
                    prev = (&n.id, true);
                }
                Some(a) => {
                    if !prev.1 {
                        return Err(not_mlp(format!("found {} not after a linear node", n.label())));
                    }
                    acts.push(a);
                    prev = (&n.id, false);
                }
            }
        }
        if prev.1 {
            acts.push(Act::Identity);
        }
        if graph.outputs() != [prev.0] {
            return Err(not_mlp(format!("found outputs {:?} instead of the last node \"{}\"", graph.outputs(), prev.0)));
        }
        Model::new(Family::Mlp(MlpSpec::new(widths, acts)?), tensors)
    }

    /// The 2-3-1 ReLU network of the end-to-end demo. Its weights are the binary32 roundings of
    /// short decimals (0.7 → 0x3f333333), so exact bounds have 2^-k denominators that a decimal
    /// reimplementation would get wrong.
    pub fn demo() -> Model {
        let bits: [u32; 13] = [
            // layers.0.weight [[0.7, -1.3], [-0.4, 0.9], [1.1, 0.25]]
            0x3f333333, 0xbfa66666, 0xbecccccd, 0x3f666666, 0x3f8ccccd, 0x3e800000,
            // layers.0.bias [0.1, -0.2, 0.05]
            0x3dcccccd, 0xbe4ccccd, 0x3d4ccccd,
            // layers.1.weight [[1.5, -0.8, 0.6]], layers.1.bias [-0.3]
            0x3fc00000, 0xbf4ccccd, 0x3f19999a, 0xbe99999a,
        ];
        let f = Family::Mlp(MlpSpec::new(vec![2, 3, 1], vec![Act::Relu, Act::Identity]).expect("a valid spec"));
        Model::filled(f, |k| F32(bits[k])).expect("the demo's tensors fit its spec")
    }

    /// A model from tensors given in the family's order; each name and shape must be the
    /// family's (`layers.0.weight: expected shape [32, 10], found [10, 32]`) and every value finite.
    pub fn new(family: Family, tensors: Vec<(String, Tensor<F32>)>) -> Result<Model> {
        let params = family.params();
        if tensors.len() != params.len() {
            return Err(Error::bad_input(format!(
                "expected {} tensors for family {}, found {}",
                params.len(),
                family.tag(),
                tensors.len()
            )));
        }
        for (p, (name, t)) in params.iter().zip(&tensors) {
            if *name != p.name {
                return Err(Error::bad_input(format!("expected tensor \"{}\", found \"{name}\"", p.name)));
            }
            if t.shape() != p.shape.as_slice() {
                return Err(Error::bad_input(format!("{name}: expected shape {:?}, found {:?}", p.shape, t.shape())));
            }
            if let Some(i) = t.data().iter().position(|b| !b.is_finite()) {
                return Err(Error::bad_input(format!(
                    "{name}[{i}]: expected a finite binary32, found {}",
                    t.data()[i].to_hex()
                )));
            }
        }
        Ok(Model { family, tensors })
    }

    /// A model whose value number `k` (counted over all tensors in order) is `value(k)`.
    pub fn filled(family: Family, value: impl Fn(usize) -> F32) -> Result<Model> {
        let mut k = 0;
        let tensors = family
            .params()
            .into_iter()
            .map(|p| {
                let n = crate::ir::numel(&p.shape).unwrap_or(0);
                let data = (k..k + n).map(&value).collect();
                k += n;
                Ok((p.name, Tensor::new(p.shape, data)?))
            })
            .collect::<Result<Vec<_>>>()?;
        Model::new(family, tensors)
    }

    pub fn family(&self) -> &Family {
        &self.family
    }
    /// The tensors, in the family's order.
    pub fn tensors(&self) -> &[(String, Tensor<F32>)] {
        &self.tensors
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_mlp_model_round_trips_through_its_graph_and_a_cnn_is_named_where_it_differs() {
        let m = Model::demo();
        assert_eq!(Model::from_graph(&crate::model::lower(&m).unwrap()).unwrap(), m);
        let cnn = Model::filled(Family::Cnn(crate::model::cnn::CnnSpec::default_spec()), |_| F32(0)).unwrap();
        assert_eq!(
            Model::from_graph(&crate::model::lower(&cnn).unwrap()).unwrap_err().to_string(),
            "expected the graph of an mlp (linear layers, each with one activation), found node \"x\" (input) of shape [1, 8, 8] first"
        );
    }

    #[test]
    fn mlp_params_are_pytorch_names_and_layouts() {
        let f = Family::Mlp(MlpSpec::new(vec![10, 32, 5], vec![Act::Gelu, Act::Identity]).unwrap());
        let p: Vec<(String, Vec<usize>)> = f.params().into_iter().map(|p| (p.name, p.shape)).collect();
        assert_eq!(
            p,
            vec![
                ("layers.0.weight".into(), vec![32, 10]),
                ("layers.0.bias".into(), vec![32]),
                ("layers.1.weight".into(), vec![5, 32]),
                ("layers.1.bias".into(), vec![5]),
            ]
        );
    }

    #[test]
    fn a_transposed_weight_is_named_with_both_shapes() {
        let f = Family::Mlp(MlpSpec::new(vec![2, 8], vec![Act::Relu]).unwrap());
        let t = vec![
            ("layers.0.weight".to_string(), Tensor::new(vec![2, 8], vec![F32(0); 16]).unwrap()),
            ("layers.0.bias".to_string(), Tensor::vector(vec![F32(0); 8])),
        ];
        assert_eq!(Model::new(f, t).unwrap_err().to_string(), "layers.0.weight: expected shape [8, 2], found [2, 8]");
    }
}
