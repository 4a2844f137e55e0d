//! Model families of the PyTorch round trip (`docs/families.md`): a family spec names every
//! parameter tensor, in PyTorch `state_dict` order, with its shape; a [`Model`] is a spec plus
//! tensors that match it exactly (names, order, shapes, value counts, finite binary32 bits).
use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::ir::Tensor;
use crate::model::mlp::{Activation, DenseLayer, Mlp};
use crate::num::binary32::F32;

pub use super::cnn::{CnnLayer, CnnSpec};
pub use super::transformer::{AttentionMask, TransformerSpec};

/// An elementwise activation of the `mlp` family (PyTorch: applied in `forward`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    Relu,
    Gelu,
    Tanh,
    Sigmoid,
    Identity,
}

impl Act {
    /// Every activation, in the order of `docs/families.md`.
    pub const ALL: [Act; 5] = [Act::Relu, Act::Gelu, Act::Tanh, Act::Sigmoid, Act::Identity];
    /// The name in specs, IR op tags and the generated Python.
    pub fn name(self) -> &'static str {
        match self {
            Act::Relu => "relu",
            Act::Gelu => "gelu",
            Act::Tanh => "tanh",
            Act::Sigmoid => "sigmoid",
            Act::Identity => "identity",
        }
    }
    /// The activation named `name`, if any.
    pub fn from_name(name: &str) -> Option<Act> {
        Act::ALL.into_iter().find(|a| a.name() == name)
    }
}

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

/// One parameter a family declares: its PyTorch `state_dict` name and shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamSpec {
    pub name: String,
    pub shape: Vec<usize>,
}

impl ParamSpec {
    fn new(name: String, shape: Vec<usize>) -> ParamSpec {
        ParamSpec { name, shape }
    }
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
    /// The family-typed model of a dense network (relu/identity layers), named as PyTorch's
    /// `layers.{i}.weight` / `layers.{i}.bias`.
    pub fn from_mlp(mlp: &Mlp) -> Result<Model> {
        let widths = mlp.widths()?;
        let acts = mlp.layers.iter().map(|l| if l.act == Activation::Relu { Act::Relu } else { Act::Identity }).collect();
        let mut tensors = Vec::new();
        for (i, l) in mlp.layers.iter().enumerate() {
            let w: Vec<F32> = l.weight.iter().flatten().copied().collect();
            tensors.push((format!("layers.{i}.weight"), Tensor::new(vec![widths[i + 1], widths[i]], w)?));
            tensors.push((format!("layers.{i}.bias"), Tensor::new(vec![widths[i + 1]], l.bias.clone())?));
        }
        Model::new(Family::Mlp(MlpSpec::new(widths, acts)?), tensors)
    }

    /// The dense network of an `mlp` model whose activations are all relu or identity (what the
    /// bound propagators and certificates handle).
    pub fn to_mlp(&self) -> Result<Mlp> {
        let Family::Mlp(spec) = self.family() else {
            return Err(Error::bad_input(format!(
                "expected family mlp with relu/identity activations, found family {}",
                self.family().tag()
            )));
        };
        let mut layers = Vec::with_capacity(spec.activations.len());
        for (i, (pair, act)) in self.tensors().chunks(2).zip(&spec.activations).enumerate() {
            let act = match act {
                Act::Relu => Activation::Relu,
                Act::Identity => Activation::Identity,
                other => {
                    return Err(Error::bad_input(format!(
                        "expected family mlp with relu/identity activations, found activation {} in layer {i}",
                        other.name()
                    )));
                }
            };
            let [(_, w), (_, b)] = pair else {
                return Err(Error::internal("mlp payload: tensors are not weight/bias pairs"));
            };
            let cols = spec.widths[i];
            layers.push(DenseLayer { weight: w.data().chunks(cols).map(<[_]>::to_vec).collect(), bias: b.data().to_vec(), act });
        }
        Ok(Mlp { layers })
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

    /// The `torchlean.payload.v1` artifact (canonicalise before hashing or writing).
    pub fn payload(&self) -> Value {
        let tensors: Vec<Value> = self
            .tensors
            .iter()
            .map(|(name, t)| {
                let bits: Vec<String> = t.data().iter().map(|b| b.to_hex()).collect();
                json!({"f32": bits, "name": name, "shape": t.shape()})
            })
            .collect();
        json!({
            "family": self.family.tag(),
            "format": "torchlean.payload.v1",
            "spec": self.family.spec_json(),
            "tensors": tensors,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_mlp_round_trips_through_the_family_model_with_the_demo_payload_bytes() {
        let m = Model::from_mlp(&Mlp::demo()).unwrap();
        assert_eq!(m.to_mlp().unwrap(), Mlp::demo());
        // Same canonical payload as the certificate path writes (sha256:c49c75e3…).
        assert_eq!(m.payload(), Mlp::demo().payload().unwrap());
        let cnn = Model::filled(Family::Cnn(crate::model::cnn::CnnSpec::default_spec()), |_| F32(0)).unwrap();
        assert_eq!(cnn.to_mlp().unwrap_err().to_string(), "expected family mlp with relu/identity activations, found family cnn");
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

    #[test]
    fn the_demo_payload_is_the_mlp_payload() {
        let m = crate::model::Mlp::demo();
        let f = Family::Mlp(MlpSpec::new(vec![2, 3, 1], vec![Act::Relu, Act::Identity]).unwrap());
        let bits: Vec<F32> = m.layers.iter().flat_map(|l| l.weight.iter().flatten().chain(&l.bias).copied()).collect();
        let model = Model::filled(f, |k| bits[k]).unwrap();
        assert_eq!(model.payload(), m.payload().unwrap());
    }
}
