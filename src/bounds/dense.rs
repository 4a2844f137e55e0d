//! The dense view of a network: the layers `y = act(W x + b)` of a graph that is a chain of
//! `linear` nodes each followed by `relu` or `identity` (or by nothing), with the weights as the
//! graph stores them (binary32 bits). The dense bound engines (IBP, CROWN in ℚ, dyadic integers
//! and binary64, the packed checker, the α and counterexample searches) run on this view, derived
//! from the graph once per run by [`Dense::of`]; it is not read from or written to any file.
use crate::error::{Error, Result};
use crate::ir::{Graph, Tensor};
use crate::model::{Act, Family, Model};
use crate::num::Q;
use crate::num::binary32::F32;

/// Activation applied after a dense layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    Relu,
    Identity,
}

impl Activation {
    /// The name used in artifacts and Lean (`relu`, `identity`).
    pub fn name(self) -> &'static str {
        match self {
            Activation::Relu => "relu",
            Activation::Identity => "identity",
        }
    }
    /// The exact value at `x`.
    pub fn eval(self, x: &Q) -> Q {
        match self {
            Activation::Relu if *x <= Q::from_integer(0.into()) => Q::from_integer(0.into()),
            _ => x.clone(),
        }
    }
}

/// `y = act(W x + b)` with `weight[i]` the i-th row of `W` (PyTorch's `[out, in]` layout).
#[derive(Debug, Clone, PartialEq)]
pub struct DenseLayer {
    pub(crate) weight: Vec<Vec<F32>>,
    pub(crate) bias: Vec<F32>,
    pub(crate) act: Activation,
}

/// The dense view of a graph: its layers in order (see the module doc).
#[derive(Debug, Clone, PartialEq)]
pub struct Dense {
    pub(crate) layers: Vec<DenseLayer>,
}

fn decode(bits: F32, name: &str) -> Result<Q> {
    bits.to_rational()
        .ok_or_else(|| Error::bad_input(format!("{name}: expected a finite binary32, found {}", bits.to_hex())))
}

impl DenseLayer {
    /// The weight rows decoded to exact rationals; fails on a non-finite weight.
    pub(crate) fn weight_q(&self, name: &str) -> Result<Vec<Vec<Q>>> {
        self.weight.iter().map(|row| row.iter().map(|&w| decode(w, name)).collect()).collect()
    }
    /// The bias decoded to exact rationals; fails on a non-finite entry.
    pub(crate) fn bias_q(&self, name: &str) -> Result<Vec<Q>> {
        self.bias.iter().map(|&b| decode(b, name)).collect()
    }
}

impl Dense {
    /// The dense view of `graph`, or why it has none: every op must be `linear`, `relu` or
    /// `identity` (else the error names the first node and op without a rule here) and the graph
    /// the lowering of an `mlp` model ([`Model::from_graph`]).
    pub fn of(graph: &Graph) -> Result<Dense> {
        use crate::ir::Op;
        // The first op without a dense rule is what a user must hear about, whatever follows.
        if let Some(n) = graph.nodes().iter().find(|n| !matches!(n.op, Op::Input { .. } | Op::Linear | Op::Relu | Op::Identity)) {
            return Err(Error::bad_input(format!(
                "{}: no bound rule for op {} in the dense engines (they take linear layers with relu or identity activations)",
                n.label(),
                n.op.name()
            )));
        }
        let model = Model::from_graph(graph)?;
        let Family::Mlp(spec) = model.family() else { unreachable!("from_graph yields family mlp") };
        let mut layers = Vec::with_capacity(spec.activations.len());
        for (i, (pair, act)) in model.tensors().chunks(2).zip(&spec.activations).enumerate() {
            let act = if *act == Act::Relu { Activation::Relu } else { Activation::Identity };
            let [(_, w), (_, b)] = pair else { unreachable!("mlp tensors come in weight/bias pairs") };
            let cols = spec.widths[i];
            layers.push(DenseLayer { weight: w.data().chunks(cols).map(<[_]>::to_vec).collect(), bias: b.data().to_vec(), act });
        }
        Ok(Dense { layers })
    }

    /// The `mlp` model of this view (tensors `layers.{i}.weight` / `layers.{i}.bias`): its payload
    /// is the certificates' payload and its lowering the graph Lean's `mlpGraph` denotes.
    pub fn model(&self) -> Result<Model> {
        let widths = self.widths()?;
        let acts = self.layers.iter().map(|l| if l.act == Activation::Relu { Act::Relu } else { Act::Identity }).collect();
        let mut tensors = Vec::with_capacity(2 * self.layers.len());
        for (i, l) in self.layers.iter().enumerate() {
            let w: Vec<F32> = l.weight.iter().flatten().copied().collect();
            tensors.push((format!("layers.{i}.weight"), Tensor::new(vec![widths[i + 1], widths[i]], w)?));
            tensors.push((format!("layers.{i}.bias"), Tensor::vector(l.bias.clone())));
        }
        Model::new(Family::Mlp(crate::model::MlpSpec::new(widths, acts)?), tensors)
    }

    /// Checks that consecutive layers' shapes agree and returns the widths `[in, h1, …, out]`.
    pub fn widths(&self) -> Result<Vec<usize>> {
        let first = self.layers.first().ok_or_else(|| Error::bad_input("mlp: expected at least one layer, found none"))?;
        let mut widths = vec![first.weight.first().map_or(0, Vec::len)];
        for (i, l) in self.layers.iter().enumerate() {
            let (rows, cols) = (l.weight.len(), widths[i]);
            if let Some(r) = l.weight.iter().position(|r| r.len() != cols) {
                return Err(Error::bad_input(format!(
                    "layers.{i}.weight: expected {cols} columns in row {r}, found {}",
                    l.weight[r].len()
                )));
            }
            if l.bias.len() != rows {
                return Err(Error::bad_input(format!("layers.{i}.bias: expected shape [{rows}], found [{}]", l.bias.len())));
            }
            widths.push(rows);
        }
        Ok(widths)
    }

    /// Exact evaluation over ℚ (the denotation Lean's `evalNet` defines; the graph's
    /// `eval_exact` gives the same values).
    pub fn eval_exact(&self, x: &[Q]) -> Result<Vec<Q>> {
        let mut v = x.to_vec();
        for (i, l) in self.layers.iter().enumerate() {
            let w = l.weight_q(&format!("layers.{i}.weight"))?;
            let b = l.bias_q(&format!("layers.{i}.bias"))?;
            v = w
                .iter()
                .zip(&b)
                .map(|(row, bi)| l.act.eval(&(row.iter().zip(&v).map(|(a, c)| a * c).sum::<Q>() + bi)))
                .collect();
        }
        Ok(v)
    }
}

#[cfg(test)]
impl Dense {
    /// The demo network's dense view (unit tests).
    pub(crate) fn demo() -> Dense {
        Dense::of(&crate::model::lower(&Model::demo()).expect("the demo lowers")).expect("the demo is dense")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::num::rational::to_canonical;

    #[test]
    fn demo_widths_and_exact_value() {
        let m = Dense::demo();
        assert_eq!(m.widths().unwrap(), vec![2, 3, 1]);
        let one = Q::from_integer(1.into());
        let y = m.eval_exact(&[one.clone(), one]).unwrap();
        // Reference value from Python's fractions on the same bits (h = [0, 20132657/2^26, 375809645/2^28]).
        assert_eq!(to_canonical(&y[0]), "675540076645583/2251799813685248");
    }

    #[test]
    fn shape_mismatch_names_the_tensor() {
        let mut m = Dense::demo();
        m.layers[1].bias.push(F32(0));
        assert_eq!(m.widths().unwrap_err().to_string(), "layers.1.bias: expected shape [1], found [2]");
    }

    #[test]
    fn a_smooth_activation_has_no_dense_view_and_the_error_names_its_node() {
        use crate::model::MlpSpec;
        let f = Family::Mlp(MlpSpec::new(vec![2, 3, 1], vec![Act::Gelu, Act::Identity]).unwrap());
        let g = crate::model::lower(&Model::filled(f, |_| F32(0)).unwrap()).unwrap();
        assert_eq!(
            Dense::of(&g).unwrap_err().to_string(),
            "node \"layers.0.gelu\" (gelu): no bound rule for op gelu in the dense engines (they take linear layers with relu or identity activations)"
        );
    }
}
