//! Multilayer perceptrons: dense layers whose weights are binary32 bit patterns, exactly as they
//! arrive from a payload. Exact semantics decode the bits to rationals; nothing is rounded here.
use serde_json::{Value, json};

use crate::error::{Error, Result};
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
    pub weight: Vec<Vec<F32>>,
    pub bias: Vec<F32>,
    pub act: Activation,
}

/// A multilayer perceptron: dense layers applied in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Mlp {
    pub layers: Vec<DenseLayer>,
}

fn decode(bits: F32, name: &str) -> Result<Q> {
    bits.to_rational()
        .ok_or_else(|| Error::bad_input(format!("{name}: expected a finite binary32, found {}", bits.to_hex())))
}

impl DenseLayer {
    /// The weight rows decoded to exact rationals; fails on a non-finite weight.
    pub fn weight_q(&self, name: &str) -> Result<Vec<Vec<Q>>> {
        self.weight.iter().map(|row| row.iter().map(|&w| decode(w, name)).collect()).collect()
    }
    /// The bias decoded to exact rationals; fails on a non-finite entry.
    pub fn bias_q(&self, name: &str) -> Result<Vec<Q>> {
        self.bias.iter().map(|&b| decode(b, name)).collect()
    }
}

impl Mlp {
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

    /// Exact evaluation over ℚ (the denotation Lean's `evalNet` defines).
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

    /// The `torchlean.payload.v1` artifact: family, spec, and named tensors with shape and bits.
    pub fn payload(&self) -> Result<Value> {
        let widths = self.widths()?;
        let mut tensors = Vec::new();
        for (i, l) in self.layers.iter().enumerate() {
            let w: Vec<String> = l.weight.iter().flatten().map(|b| b.to_hex()).collect();
            tensors.push(json!({"name": format!("layers.{i}.weight"), "shape": [l.weight.len(), widths[i]], "f32": w}));
            let b: Vec<String> = l.bias.iter().map(|b| b.to_hex()).collect();
            tensors.push(json!({"name": format!("layers.{i}.bias"), "shape": [l.bias.len()], "f32": b}));
        }
        let acts: Vec<&str> = self.layers.iter().map(|l| l.act.name()).collect();
        Ok(json!({
            "format": "torchlean.payload.v1",
            "family": "mlp",
            "spec": {"widths": widths, "activations": acts},
            "tensors": tensors,
        }))
    }

    /// The hard-coded 2-3-1 ReLU network of the end-to-end demo. Its weights are the binary32
    /// roundings of short decimals (0.7 → 0x3f333333), so exact bounds have 2^-k denominators that a
    /// decimal reimplementation would get wrong.
    pub fn demo() -> Mlp {
        let f = |bits: &[u32]| bits.iter().map(|&b| F32(b)).collect::<Vec<_>>();
        Mlp {
            layers: vec![
                DenseLayer {
                    // [[0.7, -1.3], [-0.4, 0.9], [1.1, 0.25]]
                    weight: vec![f(&[0x3f333333, 0xbfa66666]), f(&[0xbecccccd, 0x3f666666]), f(&[0x3f8ccccd, 0x3e800000])],
                    // [0.1, -0.2, 0.05]
                    bias: f(&[0x3dcccccd, 0xbe4ccccd, 0x3d4ccccd]),
                    act: Activation::Relu,
                },
                DenseLayer {
                    // [[1.5, -0.8, 0.6]]
                    weight: vec![f(&[0x3fc00000, 0xbf4ccccd, 0x3f19999a])],
                    // [-0.3]
                    bias: f(&[0xbe99999a]),
                    act: Activation::Identity,
                },
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::num::rational::to_canonical;

    #[test]
    fn demo_widths_and_exact_value() {
        let m = Mlp::demo();
        assert_eq!(m.widths().unwrap(), vec![2, 3, 1]);
        let one = Q::from_integer(1.into());
        let y = m.eval_exact(&[one.clone(), one]).unwrap();
        // Reference value from Python's fractions on the same bits (h = [0, 20132657/2^26, 375809645/2^28]).
        assert_eq!(to_canonical(&y[0]), "675540076645583/2251799813685248");
    }

    #[test]
    fn shape_mismatch_names_the_tensor() {
        let mut m = Mlp::demo();
        m.layers[1].bias.push(F32(0));
        assert_eq!(m.widths().unwrap_err().to_string(), "layers.1.bias: expected shape [1], found [2]");
    }
}
