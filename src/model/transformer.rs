//! The `transformer` family: PyTorch's `nn.TransformerEncoder(nn.TransformerEncoderLayer(d_model,
//! heads, ffn, dropout=0, activation, layer_norm_eps=eps, batch_first=True), layers)` (post-norm),
//! over inputs `[seq_len, d_model]`, with its `state_dict` names.
use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::num::Q;
use crate::num::rational::to_canonical;

use super::param::ParamSpec;

/// The attention mask the encoder applies in `forward`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttentionMask {
    /// Every position attends to every position.
    None,
    /// Position `i` attends to positions `≤ i` (`nn.Transformer.generate_square_subsequent_mask`).
    Causal,
}

impl AttentionMask {
    pub fn name(self) -> &'static str {
        match self {
            AttentionMask::None => "none",
            AttentionMask::Causal => "causal",
        }
    }
}

/// `transformer`: an encoder stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransformerSpec {
    pub d_model: usize,
    pub heads: usize,
    pub ffn: usize,
    pub layers: usize,
    /// Layer-norm epsilon, exact (PyTorch gets `float(Fraction(eps))`).
    pub eps: Q,
    /// `relu` or `gelu`.
    pub activation: super::param::Act,
    pub mask: AttentionMask,
    /// The sequence length of training inputs and of the graph input.
    pub seq_len: usize,
}

impl TransformerSpec {
    /// Checks sizes (all at least 1, `heads` divides `d_model`), `eps > 0`, activation relu|gelu.
    pub fn check(&self) -> Result<()> {
        use super::param::Act;
        for (k, v) in [
            ("d_model", self.d_model),
            ("heads", self.heads),
            ("ffn", self.ffn),
            ("layers", self.layers),
            ("seq_len", self.seq_len),
        ] {
            if v == 0 {
                return Err(Error::bad_input(format!("{k}: expected at least 1, found 0")));
            }
        }
        if !self.d_model.is_multiple_of(self.heads) {
            return Err(Error::bad_input(format!(
                "heads: expected a divisor of d_model {}, found {}",
                self.d_model, self.heads
            )));
        }
        if self.eps <= Q::from_integer(0.into()) {
            return Err(Error::bad_input(format!("eps: expected eps > 0, found {}", to_canonical(&self.eps))));
        }
        if !matches!(self.activation, Act::Relu | Act::Gelu) {
            return Err(Error::bad_input(format!(
                "activation: expected \"relu\" or \"gelu\", found \"{}\"",
                self.activation.name()
            )));
        }
        Ok(())
    }

    /// The default: d_model 8, 2 heads, ffn 16, 1 layer, eps 1/100000, relu, no mask, seq_len 4.
    pub fn default_spec() -> TransformerSpec {
        TransformerSpec {
            d_model: 8,
            heads: 2,
            ffn: 16,
            layers: 1,
            eps: Q::new(1.into(), 100000.into()),
            activation: super::param::Act::Relu,
            mask: AttentionMask::None,
            seq_len: 4,
        }
    }

    pub(crate) fn params(&self) -> Vec<ParamSpec> {
        let (d, f) = (self.d_model, self.ffn);
        let mut out = Vec::new();
        for i in 0..self.layers {
            let shapes: [(&str, Vec<usize>); 12] = [
                ("self_attn.in_proj_weight", vec![3 * d, d]),
                ("self_attn.in_proj_bias", vec![3 * d]),
                ("self_attn.out_proj.weight", vec![d, d]),
                ("self_attn.out_proj.bias", vec![d]),
                ("linear1.weight", vec![f, d]),
                ("linear1.bias", vec![f]),
                ("linear2.weight", vec![d, f]),
                ("linear2.bias", vec![d]),
                ("norm1.weight", vec![d]),
                ("norm1.bias", vec![d]),
                ("norm2.weight", vec![d]),
                ("norm2.bias", vec![d]),
            ];
            out.extend(shapes.into_iter().map(|(n, s)| ParamSpec { name: format!("layers.{i}.{n}"), shape: s }));
        }
        out
    }

    pub(crate) fn spec_json(&self) -> Value {
        json!({
            "activation": self.activation.name(),
            "attention_mask": self.mask.name(),
            "d_model": self.d_model,
            "eps": to_canonical(&self.eps),
            "ffn": self.ffn,
            "heads": self.heads,
            "layers": self.layers,
            "seq_len": self.seq_len,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoder_layer_params_in_state_dict_order() {
        let s = TransformerSpec::default_spec();
        let p = s.params();
        assert_eq!(p.len(), 12);
        assert_eq!((p[0].name.as_str(), p[0].shape.clone()), ("layers.0.self_attn.in_proj_weight", vec![24, 8]));
        assert_eq!((p[6].name.as_str(), p[6].shape.clone()), ("layers.0.linear2.weight", vec![8, 16]));
        assert_eq!(p[11].name, "layers.0.norm2.bias");
        let bad = TransformerSpec { heads: 3, ..s };
        assert_eq!(bad.check().unwrap_err().to_string(), "heads: expected a divisor of d_model 8, found 3");
    }
}
