//! Lowering a family [`Model`] to the IR: `mlp`, `cnn` and `transformer` (`docs/ir.md`).
use crate::error::Result;
use crate::ir::{Conv2d, Graph, GraphBuilder, Op, Pool2d, TensorStore};

use super::cnn::CnnLayer;
use super::transformer::{AttentionMask, TransformerSpec};
use super::{Act, Family, Model};

/// The store of a model's tensors, under their payload names.
pub fn tensor_store(model: &Model) -> Result<TensorStore> {
    let mut store = TensorStore::new();
    for (name, t) in model.tensors() {
        store.insert(name, t.clone())?;
    }
    Ok(store)
}

/// The network of a model: its graph over its tensors. `mlp`: input `x`, then per layer
/// `layers.{i}.linear` and `layers.{i}.<act>`; `cnn`: input `x : [C, H, W]`, then node
/// `layers.{i}.<op>` per layer, the op being the layer's (`conv2d`, `relu`, `maxpool2d`,
/// `avgpool2d`, `flatten`, `linear`); `transformer`: input `x : [seq_len, d_model]`, then per
/// encoder layer the nodes of [`encoder_layer`]. The output is the last node.
pub fn lower(model: &Model) -> Result<Graph> {
    let mut b = GraphBuilder::new(tensor_store(model)?);
    b.input("x", model.family().input_shape())?;
    let mut prev = "x".to_string();
    match model.family() {
        Family::Mlp(s) => {
            for (i, act) in s.activations.iter().enumerate() {
                let lin = format!("layers.{i}.linear");
                let (w, bias) = (format!("layers.{i}.weight"), format!("layers.{i}.bias"));
                b.node(&lin, Op::Linear, &[&prev], &[&w, &bias])?;
                let id = format!("layers.{i}.{}", act.name());
                b.node(&id, act_op(*act), &[&lin], &[])?;
                prev = id;
            }
        }
        Family::Cnn(s) => {
            for (i, l) in s.layers.iter().enumerate() {
                let id = format!("layers.{i}.{}", l.op());
                let (w, bias) = (format!("layers.{i}.weight"), format!("layers.{i}.bias"));
                let sq = |n: usize| [n, n];
                match *l {
                    CnnLayer::Conv2d { in_channels, out_channels, kernel, stride, padding } => {
                        let c = Conv2d {
                            in_channels,
                            out_channels,
                            kernel: sq(kernel),
                            stride: sq(stride),
                            padding: sq(padding),
                        };
                        b.node(&id, Op::Conv2d(c), &[&prev], &[&w, &bias])?
                    }
                    CnnLayer::Linear { .. } => b.node(&id, Op::Linear, &[&prev], &[&w, &bias])?,
                    CnnLayer::Relu => b.node(&id, Op::Relu, &[&prev], &[])?,
                    CnnLayer::Flatten => b.node(&id, Op::Flatten, &[&prev], &[])?,
                    CnnLayer::MaxPool2d { kernel, stride } => {
                        b.node(&id, Op::MaxPool2d(Pool2d { kernel: sq(kernel), stride: sq(stride) }), &[&prev], &[])?
                    }
                    CnnLayer::AvgPool2d { kernel, stride } => {
                        b.node(&id, Op::AvgPool2d(Pool2d { kernel: sq(kernel), stride: sq(stride) }), &[&prev], &[])?
                    }
                }
                prev = id;
            }
        }
        Family::Transformer(s) => {
            for i in 0..s.layers {
                prev = encoder_layer(&mut b, s, i, &prev)?;
            }
        }
    }
    b.finish(&[&prev])
}

/// Multi-head self-attention on `x: [seq, d]` as PyTorch's `nn.MultiheadAttention` computes it
/// (no batch axis): node ids and parameter names are `name("in_proj")`, `name("in_proj_weight")`,
/// …, `name("out_proj.weight")`; the steps are those listed for [`lower`]'s encoder layer. Returns
/// the id of the output node (`name("out_proj")`).
pub fn self_attention(
    b: &mut GraphBuilder,
    d: usize,
    heads: usize,
    mask: AttentionMask,
    x: &str,
    name: &dyn Fn(&str) -> String,
) -> Result<String> {
    let dh = d / heads;
    let a = name;
    let in_proj = a("in_proj");
    b.node(&in_proj, Op::Linear, &[x], &[&a("in_proj_weight"), &a("in_proj_bias")])?;
    let mut outs = Vec::with_capacity(heads);
    for h in 0..heads {
        let id = |n: &str| a(&format!("{n}.{h}"));
        for (part, off) in [("q", 0), ("k", d), ("v", 2 * d)] {
            let start = off + h * dh;
            b.node(&id(part), Op::Slice { axis: 1, start, end: start + dh }, &[&in_proj], &[])?;
        }
        b.node(&id("kt"), Op::Transpose, &[&id("k")], &[])?;
        b.node(&id("scores"), Op::Matmul, &[&id("q"), &id("kt")], &[])?;
        b.node(&id("scaled"), Op::ScaleRsqrt { n: dh }, &[&id("scores")], &[])?;
        let mut logits = id("scaled");
        if mask == AttentionMask::Causal {
            b.node(&id("masked"), Op::CausalMask, &[&logits], &[])?;
            logits = id("masked");
        }
        b.node(&id("attn"), Op::Softmax, &[&logits], &[])?;
        b.node(&id("head"), Op::Matmul, &[&id("attn"), &id("v")], &[])?;
        outs.push(id("head"));
    }
    let outs: Vec<&str> = outs.iter().map(String::as_str).collect();
    b.node(&a("concat"), Op::Concat { axis: 1 }, &outs, &[])?;
    b.node(&a("out_proj"), Op::Linear, &[&a("concat")], &[&a("out_proj.weight"), &a("out_proj.bias")])?;
    Ok(a("out_proj"))
}

/// Adds encoder layer `i` (post-norm, `nn.TransformerEncoderLayer` with `norm_first=False`) on
/// `x : [s, d]` and returns the id of its output. With `p = layers.{i}.` and `a = p self_attn.`:
/// - `a in_proj = linear(x; a in_proj_weight, a in_proj_bias)` : `[s, 3d]`;
/// - per head `h` (`dh = d / heads`): `a q.{h}`, `a k.{h}`, `a v.{h}` = `slice` of axis 1 at
///   `h·dh`, `d + h·dh`, `2d + h·dh` (width `dh`); `a kt.{h} = transpose(k)`;
///   `a scores.{h} = matmul(q, kt)`; `a scaled.{h} = scale_rsqrt(n = dh)`; with a causal mask
///   `a masked.{h} = causal_mask`; `a attn.{h} = softmax`; `a head.{h} = matmul(attn, v)`;
/// - `a concat = concat(axis 1; head.0, …)`, `a out_proj = linear(concat; a out_proj.weight, …)`;
/// - `p add1 = add(x, a out_proj)`, `p norm1 = layernorm`, `p linear1`, `p relu|gelu`,
///   `p linear2`, `p add2 = add(p norm1, p linear2)`, `p norm2 = layernorm` (the output).
fn encoder_layer(b: &mut GraphBuilder, s: &TransformerSpec, i: usize, x: &str) -> Result<String> {
    let p = |n: &str| format!("layers.{i}.{n}");
    let a = |n: &str| format!("layers.{i}.self_attn.{n}");
    let out = self_attention(b, s.d_model, s.heads, s.mask, x, &a)?;
    b.node(&p("add1"), Op::Add, &[x, &out], &[])?;
    let eps = s.eps.clone();
    b.node(&p("norm1"), Op::LayerNorm { eps: eps.clone() }, &[&p("add1")], &[&p("norm1.weight"), &p("norm1.bias")])?;
    b.node(&p("linear1"), Op::Linear, &[&p("norm1")], &[&p("linear1.weight"), &p("linear1.bias")])?;
    let act = p(s.activation.name());
    b.node(&act, act_op(s.activation), &[&p("linear1")], &[])?;
    b.node(&p("linear2"), Op::Linear, &[&act], &[&p("linear2.weight"), &p("linear2.bias")])?;
    b.node(&p("add2"), Op::Add, &[&p("norm1"), &p("linear2")], &[])?;
    b.node(&p("norm2"), Op::LayerNorm { eps }, &[&p("add2")], &[&p("norm2.weight"), &p("norm2.bias")])?;
    Ok(p("norm2"))
}

/// The IR op of an activation.
pub fn act_op(a: Act) -> Op {
    match a {
        Act::Relu => Op::Relu,
        Act::Gelu => Op::Gelu,
        Act::Tanh => Op::Tanh,
        Act::Sigmoid => Op::Sigmoid,
        Act::Identity => Op::Identity,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::cnn::CnnSpec;
    use crate::num::binary32::F32;

    #[test]
    fn the_default_cnn_lowers_and_evaluates() {
        let m = Model::filled(Family::Cnn(CnnSpec::default_spec()), |k| F32(0x3c000000 + (k as u32 % 7))).unwrap();
        let g = lower(&m).unwrap();
        let ops: Vec<&str> = g.nodes().iter().map(|n| n.op.name()).collect();
        assert_eq!(ops, ["input", "conv2d", "relu", "maxpool2d", "conv2d", "relu", "maxpool2d", "flatten", "linear"]);
        assert_eq!(g.node("layers.7.linear").unwrap().shape, vec![2]);
        let x = crate::ir::Tensor::new(vec![1, 8, 8], vec![crate::num::Q::from_integer(1.into()); 64]).unwrap();
        assert_eq!(g.eval_exact(&[x]).unwrap()[0].shape(), &[2]);
    }
}
