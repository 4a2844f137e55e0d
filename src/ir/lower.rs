//! Lowering a family [`Model`] to the IR: `mlp` and `cnn` now; `transformer` is refused (the IR has
//! no batched linear with a broadcast bias yet, so attention is not lowered).
use crate::error::{Error, Result};
use crate::model::cnn::CnnLayer;
use crate::model::{Act, Family, Model};

use super::graph::{Graph, GraphBuilder};
use super::op::{Conv2d, Op, Pool2d};
use super::tensor::TensorStore;

/// The store of a model's tensors, under their payload names.
pub fn model_store(model: &Model) -> Result<TensorStore> {
    let mut store = TensorStore::new();
    for (name, t) in model.tensors() {
        store.insert(name, t.clone())?;
    }
    Ok(store)
}

/// The graph of a model over its store. `mlp`: input `x`, then per layer `layers.{i}.linear` and
/// `layers.{i}.<act>` (as [`Graph::from_mlp`]); `cnn`: input `x : [C, H, W]`, then node
/// `layers.{i}.<op>` per layer, the op being the layer's (`conv2d`, `relu`, `maxpool2d`,
/// `avgpool2d`, `flatten`, `linear`). The output is the last node.
pub fn lower(model: &Model) -> Result<(Graph, TensorStore)> {
    let store = model_store(model)?;
    let mut b = GraphBuilder::new(&store);
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
        Family::Transformer(_) => {
            return Err(Error::bad_input("family transformer: not yet lowered to the IR (no attention lowering)"));
        }
    }
    let graph = b.finish(&[&prev])?;
    Ok((graph, store))
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
        let (g, store) = lower(&m).unwrap();
        let ops: Vec<&str> = g.nodes().iter().map(|n| n.op.name()).collect();
        assert_eq!(ops, ["input", "conv2d", "relu", "maxpool2d", "conv2d", "relu", "maxpool2d", "flatten", "linear"]);
        assert_eq!(g.node("layers.7.linear").unwrap().shape, vec![2]);
        let x = crate::ir::Tensor::new(vec![1, 8, 8], vec![crate::num::Q::from_integer(1.into()); 64]).unwrap();
        assert_eq!(g.eval_exact(&store, &[x]).unwrap()[0].shape(), &[2]);
    }

    #[test]
    fn mlp_lowering_is_from_mlp() {
        let mlp = crate::model::Mlp::demo();
        let m = crate::cert::schema::read_payload(&mlp.payload().unwrap()).unwrap();
        assert_eq!(lower(&m).unwrap(), Graph::from_mlp(&mlp).unwrap());
    }
}
