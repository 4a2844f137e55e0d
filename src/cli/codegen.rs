//! `torchlean codegen-pytorch --arch A`: a runnable PyTorch module emitted from the arch's IR graph:
//! one statement per node, in graph order, weights embedded as binary32 bits, no batch axis (as the
//! IR). The attention archs (`mha`, `mha-mask`, `transformer`) use the IR's self-attention lowering,
//! so every arch can be checked against torchlean's own evaluation of the same graph.
use crate::error::{Error, Result};
use crate::ir::{Graph, GraphBuilder, Op, Tensor, TensorStore};
use crate::model::{lower, self_attention};
use crate::model::cnn::{CnnLayer, CnnSpec};
use crate::model::transformer::{AttentionMask, TransformerSpec};
use crate::model::{Act, Family, MlpSpec, Model};
use crate::num::binary32::F32;

pub const ARCHS: [&str; 9] =
    ["linear", "mlp", "sum", "autoencoder", "cnn", "conv-mlp", "mha", "mha-mask", "transformer"];

#[derive(clap::Args, Debug)]
pub struct CodegenArgs {
    /// The architecture.
    #[arg(long, value_parser = ARCHS)]
    pub arch: String,
}

/// A small deterministic weight: value k is a dyadic in [-5/8, 5/8].
fn weight(k: usize) -> F32 {
    F32(((((k * 7) % 11) as f32 - 5.0) / 8.0).to_bits())
}

fn model(f: Family) -> Result<Model> {
    Model::filled(f, weight)
}

/// The IR graph of an IR-backed arch.
pub fn arch_graph(arch: &str) -> Result<Graph> {
    let mlp = |w: Vec<usize>, a: Vec<Act>| -> Result<Graph> {
        lower(&model(Family::Mlp(MlpSpec::new(w, a)?))?)
    };
    use Act::*;
    match arch {
        "linear" => mlp(vec![4, 2], vec![Identity]),
        "mlp" => mlp(vec![4, 8, 2], vec![Relu, Identity]),
        "autoencoder" => mlp(vec![8, 4, 2, 4, 8], vec![Relu, Relu, Relu, Sigmoid]),
        "cnn" => lower(&model(Family::Cnn(CnnSpec::default_spec()))?),
        "conv-mlp" => {
            let layers = vec![
                CnnLayer::Conv2d { in_channels: 1, out_channels: 2, kernel: 3, stride: 1, padding: 0 },
                CnnLayer::Relu,
                CnnLayer::Flatten,
                CnnLayer::Linear { in_features: 32, out_features: 8 },
                CnnLayer::Relu,
                CnnLayer::Linear { in_features: 8, out_features: 2 },
            ];
            lower(&model(Family::Cnn(CnnSpec::new([1, 6, 6], layers)?))?)
        }
        "sum" => {
            let mut store = TensorStore::new();
            let mut k = 0;
            for (name, shape) in
                [("a.weight", vec![3, 4]), ("a.bias", vec![3]), ("b.weight", vec![3, 4]), ("b.bias", vec![3])]
            {
                let n: usize = shape.iter().product();
                store.insert(name, Tensor::new(shape, (k..k + n).map(weight).collect())?)?;
                k += n;
            }
            let mut b = GraphBuilder::new(store);
            b.input("x", vec![4])?;
            b.node("a", Op::Linear, &["x"], &["a.weight", "a.bias"])?;
            b.node("b", Op::Linear, &["x"], &["b.weight", "b.bias"])?;
            b.node("s", Op::Add, &["a", "b"], &[])?;
            b.finish(&["s"])
        }
        "transformer" => lower(&model(Family::Transformer(TransformerSpec::default_spec()))?),
        "mha" | "mha-mask" => {
            let spec = TransformerSpec::default_spec();
            let mask = if arch == "mha-mask" { AttentionMask::Causal } else { AttentionMask::None };
            let d = spec.d_model;
            let mut store = TensorStore::new();
            let mut k = 0;
            for (name, shape) in [
                ("attn.in_proj_weight", vec![3 * d, d]),
                ("attn.in_proj_bias", vec![3 * d]),
                ("attn.out_proj.weight", vec![d, d]),
                ("attn.out_proj.bias", vec![d]),
            ] {
                let n: usize = shape.iter().product();
                store.insert(name, Tensor::new(shape, (k..k + n).map(weight).collect())?)?;
                k += n;
            }
            let mut b = GraphBuilder::new(store);
            b.input("x", vec![spec.seq_len, d])?;
            let out = self_attention(&mut b, d, spec.heads, mask, "x", &|n: &str| format!("attn.{n}"))?;
            b.finish(&[out.as_str()])
        }
        a => Err(Error::bad_input(format!("--arch {a}: unknown architecture"))),
    }
}

fn words(t: &Tensor<F32>) -> String {
    let w: Vec<String> = t.data().iter().map(|b| b.to_hex()).collect();
    format!("_bits({:?}, [{}])", t.shape(), w.join(", "))
}

/// The Python module of an IR graph.
pub fn graph_py(arch: &str, g: &Graph) -> Result<String> {
    let store = g.tensors();
    let mut init = String::new();
    let mut load = String::new();
    let mut fwd = String::new();
    let mut var = std::collections::HashMap::new();
    let mut args = Vec::new();
    let mut inputs = Vec::new();
    for (j, n) in g.nodes().iter().enumerate() {
        let v = format!("v{j}");
        let p: Vec<&String> = n.parents.iter().map(|p| &var[p]).collect();
        let m = format!("self.m{j}");
        let expr = match &n.op {
            Op::Input { shape } => {
                args.push(v.clone());
                inputs.push(format!(
                    "torch.randn({})",
                    shape.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ")
                ));
                var.insert(n.id.clone(), v);
                continue;
            }
            Op::Linear | Op::Conv2d(_) => {
                let (w, b) = (&store.get(&n.params[0]).expect("built"), &store.get(&n.params[1]).expect("built"));
                let module = match &n.op {
                    Op::Conv2d(c) => format!(
                        "nn.Conv2d({}, {}, {:?}, stride={:?}, padding={:?})",
                        c.in_channels,
                        c.out_channels,
                        (c.kernel[0], c.kernel[1]),
                        (c.stride[0], c.stride[1]),
                        (c.padding[0], c.padding[1])
                    ),
                    _ => format!("nn.Linear({}, {})", w.shape()[1], w.shape()[0]),
                };
                init.push_str(&format!("        {m} = {module}  # {}\n", n.id));
                load.push_str(&format!(
                    "            {m}.weight.copy_({})\n            {m}.bias.copy_({})\n",
                    words(w),
                    words(b)
                ));
                format!("{m}({})", p[0])
            }
            Op::LayerNorm { eps } => {
                let (w, b) = (&store.get(&n.params[0]).expect("built"), &store.get(&n.params[1]).expect("built"));
                let eps = crate::num::rational::to_canonical(eps);
                init.push_str(&format!(
                    "        {m} = nn.LayerNorm({}, eps=float(Fraction(\"{eps}\")))  # {}\n",
                    w.shape()[0],
                    n.id
                ));
                load.push_str(&format!(
                    "            {m}.weight.copy_({})\n            {m}.bias.copy_({})\n",
                    words(w),
                    words(b)
                ));
                format!("{m}({})", p[0])
            }
            Op::Slice { axis, start, end } => format!("{}.narrow({axis}, {start}, {})", p[0], end - start),
            Op::Transpose => format!("{}.t()", p[0]),
            // 1/sqrt(n) in double, rounded once to float32: the correctly rounded factor the IR uses.
            Op::ScaleRsqrt { n: k } => format!("{} * torch.tensor(1.0 / math.sqrt({k}), dtype=torch.float32)", p[0]),
            Op::CausalMask => format!("{0} + torch.triu(torch.full_like({0}, float(\"-inf\")), diagonal=1)", p[0]),
            Op::Softmax => format!("torch.softmax({}, dim=-1)", p[0]),
            Op::Concat { axis } => {
                format!("torch.cat([{}], dim={axis})", p.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "))
            }
            Op::Relu => format!("torch.relu({})", p[0]),
            Op::Identity => p[0].clone(),
            Op::Gelu => format!("nn.functional.gelu({})", p[0]),
            Op::Tanh => format!("torch.tanh({})", p[0]),
            Op::Sigmoid => format!("torch.sigmoid({})", p[0]),
            Op::Add => format!("{} + {}", p[0], p[1]),
            Op::Sub => format!("{} - {}", p[0], p[1]),
            Op::Mul => format!("{} * {}", p[0], p[1]),
            Op::Matmul => format!("{} @ {}", p[0], p[1]),
            Op::Flatten => format!("torch.flatten({})", p[0]),
            Op::MaxPool2d(q) => format!(
                "nn.functional.max_pool2d({}, {:?}, {:?})",
                p[0],
                (q.kernel[0], q.kernel[1]),
                (q.stride[0], q.stride[1])
            ),
            Op::AvgPool2d(q) => format!(
                "nn.functional.avg_pool2d({}, {:?}, {:?})",
                p[0],
                (q.kernel[0], q.kernel[1]),
                (q.stride[0], q.stride[1])
            ),
            op => {
                return Err(Error::bad_input(format!("{}: op {} is not emitted to PyTorch yet", n.label(), op.name())));
            }
        };
        fwd.push_str(&format!("        {v} = {expr}  # {} ({})\n", n.id, n.op.name()));
        var.insert(n.id.clone(), v);
    }
    let outs: Vec<&String> = g.outputs().iter().map(|o| &var[o]).collect();
    Ok(format!(
        "\"\"\"`{arch}` from torchlean's IR (`torchlean codegen-pytorch --arch {arch}`): one statement per IR node,\n\
in graph order, on unbatched inputs as the IR; weights are the IR's binary32 bits.\"\"\"\n\
import math\nimport struct\nfrom fractions import Fraction\n\nimport torch\nfrom torch import nn\n\n\n\
def _bits(shape, words):\n    values = struct.unpack(\"<%df\" % len(words), struct.pack(\"<%dI\" % len(words), *words))\n    \
return torch.tensor(values, dtype=torch.float32).reshape(shape)\n\n\n\
class Model(nn.Module):\n    def __init__(self):\n        super().__init__()\n{init}        with torch.no_grad():\n{load}\n    \
def forward(self, {args}):\n{fwd}        return {outs}\n\n\n\
if __name__ == \"__main__\":\n    torch.manual_seed(0)\n    print(Model()({inputs}))\n",
        args = args.join(", "),
        outs = outs.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "),
        inputs = inputs.join(", ")
    ))
}

/// The module text of `arch`.
pub fn generate(arch: &str) -> Result<String> {
    let g = arch_graph(arch)?;
    graph_py(arch, &g)
}

pub fn run(args: &CodegenArgs) -> Result<i32> {
    print!("{}", generate(&args.arch)?);
    Ok(0)
}
