//! The `cnn` family: a layer list over a `[C, H, W]` input, run as PyTorch's `nn.Sequential`
//! named `layers`, so parameter `layers.{i}.weight` belongs to layer `i` of the list (parameterless
//! layers keep their index).
use serde_json::{Value, json};

use crate::error::{Error, Result};

use super::param::ParamSpec;

/// One layer of a `cnn` (square kernels, strides and paddings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CnnLayer {
    /// `nn.Conv2d(in_channels, out_channels, kernel, stride, padding)`.
    Conv2d {
        in_channels: usize,
        out_channels: usize,
        kernel: usize,
        stride: usize,
        padding: usize,
    },
    Relu,
    /// `nn.MaxPool2d(kernel, stride)`.
    MaxPool2d {
        kernel: usize,
        stride: usize,
    },
    /// `nn.AvgPool2d(kernel, stride)`.
    AvgPool2d {
        kernel: usize,
        stride: usize,
    },
    /// `nn.Flatten()`: `[C, H, W]` to `[C·H·W]`.
    Flatten,
    /// `nn.Linear(in_features, out_features)` on a flat input.
    Linear {
        in_features: usize,
        out_features: usize,
    },
}

impl CnnLayer {
    /// The layer's `op` in specs (equal to the IR op it lowers to).
    pub fn op(&self) -> &'static str {
        match self {
            CnnLayer::Conv2d { .. } => "conv2d",
            CnnLayer::Relu => "relu",
            CnnLayer::MaxPool2d { .. } => "maxpool2d",
            CnnLayer::AvgPool2d { .. } => "avgpool2d",
            CnnLayer::Flatten => "flatten",
            CnnLayer::Linear { .. } => "linear",
        }
    }
}

/// `cnn`: the input shape `[C, H, W]` and the layers, checked by shape inference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CnnSpec {
    pub input: [usize; 3],
    pub layers: Vec<CnnLayer>,
}

impl CnnSpec {
    /// A spec whose layers fit their inputs (channels, window sizes, flat linear inputs).
    pub fn new(input: [usize; 3], layers: Vec<CnnLayer>) -> Result<CnnSpec> {
        if input.contains(&0) {
            return Err(Error::bad_input(format!("input: expected [C, H, W] of sizes at least 1, found {input:?}")));
        }
        if layers.is_empty() {
            return Err(Error::bad_input("layers: expected at least one layer, found none"));
        }
        let spec = CnnSpec { input, layers };
        spec.shapes()?;
        Ok(spec)
    }

    /// The default: `1×8×8 → conv3×3(1→2, pad 1) → relu → maxpool2 → conv3×3(2→2, pad 1) → relu
    /// → maxpool2 → flatten → linear(8→2)`.
    pub fn default_spec() -> CnnSpec {
        use CnnLayer::*;
        let conv = |i, o| Conv2d { in_channels: i, out_channels: o, kernel: 3, stride: 1, padding: 1 };
        let pool = MaxPool2d { kernel: 2, stride: 2 };
        let layers =
            vec![conv(1, 2), Relu, pool, conv(2, 2), Relu, pool, Flatten, Linear { in_features: 8, out_features: 2 }];
        CnnSpec::new([1, 8, 8], layers).expect("the default cnn fits")
    }

    /// A spec from its input `C,H,W` and a layer list such as
    /// `conv:4:3:1:0,relu,avgpool:2:2,flatten,linear:10`: `conv:OUT:K[:S[:P]]` (stride 1 and
    /// padding 0 by default), `relu`, `maxpool:K[:S]` and `avgpool:K[:S]` (stride K by default),
    /// `flatten`, `linear:OUT`. Input channels and features follow from the shapes before each
    /// layer. Errors name the layer and what was expected.
    pub fn parse(input: &str, layers: &str) -> Result<CnnSpec> {
        let dims: Vec<usize> = input
            .split(',')
            .map(|d| d.trim().parse::<usize>())
            .collect::<std::result::Result<_, _>>()
            .map_err(|_| Error::bad_input(format!("input: expected C,H,W (three sizes), found \"{input}\"")))?;
        let input: [usize; 3] = dims
            .as_slice()
            .try_into()
            .map_err(|_| Error::bad_input(format!("input: expected C,H,W (three sizes), found \"{input}\"")))?;
        let mut shape = input.to_vec();
        let mut out = Vec::new();
        for (i, item) in layers.split(',').map(str::trim).enumerate() {
            let parts: Vec<&str> = item.split(':').collect();
            let num = |k: usize| -> Result<Option<usize>> {
                parts.get(k).map(|p| p.parse::<usize>()).transpose().map_err(|_| {
                    Error::bad_input(format!("layers[{i}] \"{item}\": expected sizes after the op's name, found \"{}\"", parts[k]))
                })
            };
            let need = |k: usize, what: &str| -> Result<usize> {
                num(k)?.ok_or_else(|| Error::bad_input(format!("layers[{i}] \"{item}\": expected {what}")))
            };
            let flat = shape.iter().product::<usize>();
            let layer = match (parts[0], parts.len()) {
                ("conv", 3..=5) => CnnLayer::Conv2d {
                    in_channels: shape[0],
                    out_channels: need(1, "conv:OUT:K[:S[:P]]")?,
                    kernel: need(2, "conv:OUT:K[:S[:P]]")?,
                    stride: num(3)?.unwrap_or(1),
                    padding: num(4)?.unwrap_or(0),
                },
                ("maxpool" | "avgpool", 2..=3) => {
                    let kernel = need(1, "a window size K")?;
                    let stride = num(2)?.unwrap_or(kernel);
                    if parts[0] == "maxpool" { CnnLayer::MaxPool2d { kernel, stride } } else { CnnLayer::AvgPool2d { kernel, stride } }
                }
                ("relu", 1) => CnnLayer::Relu,
                ("flatten", 1) => CnnLayer::Flatten,
                ("linear", 2) => CnnLayer::Linear { in_features: flat, out_features: need(1, "linear:OUT")? },
                _ => {
                    return Err(Error::bad_input(format!(
                        "layers[{i}]: expected conv:OUT:K[:S[:P]], relu, maxpool:K[:S], avgpool:K[:S], flatten or linear:OUT, found \"{item}\""
                    )));
                }
            };
            shape = step(&layer, &shape).map_err(|e| e.context(format!("layers[{i}] ({})", layer.op())))?;
            out.push(layer);
        }
        CnnSpec::new(input, out)
    }

    /// The output shape after each layer; errors name the layer (`layers[3]: …`).
    pub fn shapes(&self) -> Result<Vec<Vec<usize>>> {
        let mut shape = self.input.to_vec();
        let mut out = Vec::with_capacity(self.layers.len());
        for (i, l) in self.layers.iter().enumerate() {
            shape = step(l, &shape).map_err(|e| e.context(format!("layers[{i}] ({})", l.op())))?;
            out.push(shape.clone());
        }
        Ok(out)
    }

    pub(crate) fn params(&self) -> Vec<ParamSpec> {
        let mut out = Vec::new();
        for (i, l) in self.layers.iter().enumerate() {
            let (w, b) = match *l {
                CnnLayer::Conv2d { in_channels, out_channels, kernel, .. } => {
                    (vec![out_channels, in_channels, kernel, kernel], out_channels)
                }
                CnnLayer::Linear { in_features, out_features } => (vec![out_features, in_features], out_features),
                _ => continue,
            };
            out.push(ParamSpec { name: format!("layers.{i}.weight"), shape: w });
            out.push(ParamSpec { name: format!("layers.{i}.bias"), shape: vec![b] });
        }
        out
    }

    pub(crate) fn spec_json(&self) -> Value {
        let layers: Vec<Value> = self
            .layers
            .iter()
            .map(|l| match *l {
                CnnLayer::Conv2d { in_channels, out_channels, kernel, stride, padding } => json!({
                    "in_channels": in_channels, "kernel": kernel, "op": "conv2d", "out_channels": out_channels,
                    "padding": padding, "stride": stride,
                }),
                CnnLayer::MaxPool2d { kernel, stride } | CnnLayer::AvgPool2d { kernel, stride } => {
                    json!({"kernel": kernel, "op": l.op(), "stride": stride})
                }
                CnnLayer::Linear { in_features, out_features } => {
                    json!({"in_features": in_features, "op": "linear", "out_features": out_features})
                }
                CnnLayer::Relu | CnnLayer::Flatten => json!({"op": l.op()}),
            })
            .collect();
        json!({"input": self.input, "layers": layers})
    }
}

/// The `cnn` model a graph is the lowering of: one `[C, H, W]` input, then a chain of `conv2d`
/// (square kernel, equal strides and paddings), `relu`, `maxpool2d` / `avgpool2d` (square),
/// `flatten` and `linear` nodes, each reading the previous one, the last the only output.
/// Tensors are renamed to the family's `layers.{i}.weight` / `layers.{i}.bias`, so an imported
/// network (ONNX) has the payload bytes of the same PyTorch network. Errors name the first node
/// that does not fit.
pub fn from_graph(graph: &crate::ir::Graph) -> Result<super::Model> {
    use crate::ir::Op;
    let not_cnn = |what: String| Error::bad_input(format!("expected the graph of a cnn (conv, relu, pool, flatten, linear in a chain), {what}"));
    let mut nodes = graph.nodes().iter();
    let input = nodes.next().ok_or_else(|| not_cnn("found an empty graph".into()))?;
    let chw: [usize; 3] = match &input.op {
        Op::Input { shape } => shape.as_slice().try_into().map_err(|_| not_cnn(format!("found an input of shape {shape:?}")))?,
        _ => return Err(not_cnn(format!("found {} first", input.label()))),
    };
    let square = |n: &crate::ir::Node, what: &str, p: [usize; 2]| {
        if p[0] == p[1] { Ok(p[0]) } else { Err(not_cnn(format!("found {} with {what} {p:?} (a cnn's are square)", n.label()))) }
    };
    let mut layers = Vec::new();
    let mut tensors = Vec::new();
    let mut prev = input.id.as_str();
    for n in nodes {
        if n.parents.len() != 1 || n.parents[0] != prev {
            return Err(not_cnn(format!("found {} reading {:?} instead of \"{prev}\"", n.label(), n.parents)));
        }
        let i = layers.len();
        let layer = match &n.op {
            Op::Conv2d(c) => CnnLayer::Conv2d {
                in_channels: c.in_channels,
                out_channels: c.out_channels,
                kernel: square(n, "kernel", c.kernel)?,
                stride: square(n, "stride", c.stride)?,
                padding: square(n, "padding", c.padding)?,
            },
            Op::Linear => {
                let w = graph.tensor(&n.params[0]).ok_or_else(|| Error::internal(format!("{}: weight missing", n.label())))?;
                match w.shape() {
                    [o, k] => CnnLayer::Linear { in_features: *k, out_features: *o },
                    s => return Err(not_cnn(format!("found {} with a weight of shape {s:?}", n.label()))),
                }
            }
            Op::Relu => CnnLayer::Relu,
            Op::Flatten => CnnLayer::Flatten,
            Op::MaxPool2d(p) => CnnLayer::MaxPool2d { kernel: square(n, "kernel", p.kernel)?, stride: square(n, "stride", p.stride)? },
            Op::AvgPool2d(p) => CnnLayer::AvgPool2d { kernel: square(n, "kernel", p.kernel)?, stride: square(n, "stride", p.stride)? },
            _ => return Err(not_cnn(format!("found {}, which has no place in one", n.label()))),
        };
        if matches!(n.op, Op::Conv2d(_) | Op::Linear) {
            for (param, role) in n.params.iter().zip(["weight", "bias"]) {
                let t = graph.tensor(param).ok_or_else(|| Error::internal(format!("{}: tensor \"{param}\" missing", n.label())))?;
                tensors.push((format!("layers.{i}.{role}"), t.clone()));
            }
        }
        layers.push(layer);
        prev = &n.id;
    }
    if graph.outputs() != [prev] {
        return Err(not_cnn(format!("found outputs {:?} instead of the last node \"{prev}\"", graph.outputs())));
    }
    super::Model::new(super::Family::Cnn(CnnSpec::new(chw, layers)?), tensors)
}

fn window(n: usize, pad: usize, k: usize, s: usize) -> Option<usize> {
    (n + 2 * pad).checked_sub(k).map(|d| d / s + 1)
}

fn step(l: &CnnLayer, x: &[usize]) -> Result<Vec<usize>> {
    let chw = || -> Result<[usize; 3]> {
        x.try_into().map_err(|_| Error::bad_input(format!("expected a [C, H, W] input, found shape {x:?}")))
    };
    let positive = |what: &str, v: usize| {
        if v == 0 { Err(Error::bad_input(format!("expected {what} of at least 1, found 0"))) } else { Ok(()) }
    };
    match *l {
        CnnLayer::Conv2d { in_channels, out_channels, kernel, stride, padding } => {
            let [c, h, w] = chw()?;
            positive("kernel", kernel)?;
            positive("stride", stride)?;
            positive("out_channels", out_channels)?;
            if c != in_channels {
                return Err(Error::bad_input(format!("expected {in_channels} input channels, found {c}")));
            }
            match (window(h, padding, kernel, stride), window(w, padding, kernel, stride)) {
                (Some(oh), Some(ow)) => Ok(vec![out_channels, oh, ow]),
                _ => {
                    Err(Error::bad_input(format!("expected a padded input of at least {kernel}×{kernel}, found {x:?}")))
                }
            }
        }
        CnnLayer::MaxPool2d { kernel, stride } | CnnLayer::AvgPool2d { kernel, stride } => {
            let [c, h, w] = chw()?;
            positive("kernel", kernel)?;
            positive("stride", stride)?;
            match (window(h, 0, kernel, stride), window(w, 0, kernel, stride)) {
                (Some(oh), Some(ow)) => Ok(vec![c, oh, ow]),
                _ => Err(Error::bad_input(format!("expected an input of at least {kernel}×{kernel}, found {x:?}"))),
            }
        }
        CnnLayer::Relu => Ok(x.to_vec()),
        CnnLayer::Flatten => Ok(vec![x.iter().product()]),
        CnnLayer::Linear { in_features, out_features } => {
            positive("out_features", out_features)?;
            if x != [in_features] {
                return Err(Error::bad_input(format!("expected input shape [{in_features}], found {x:?}")));
            }
            Ok(vec![out_features])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_cnn_shapes_and_params() {
        let s = CnnSpec::default_spec();
        assert_eq!(s.shapes().unwrap().last().unwrap(), &vec![2]);
        let names: Vec<String> = s.params().into_iter().map(|p| format!("{} {:?}", p.name, p.shape)).collect();
        assert_eq!(
            names,
            [
                "layers.0.weight [2, 1, 3, 3]",
                "layers.0.bias [2]",
                "layers.3.weight [2, 2, 3, 3]",
                "layers.3.bias [2]",
                "layers.7.weight [2, 8]",
                "layers.7.bias [2]"
            ]
        );
    }

    #[test]
    fn a_linear_that_does_not_fit_is_named() {
        let mut layers = CnnSpec::default_spec().layers;
        layers[7] = CnnLayer::Linear { in_features: 9, out_features: 2 };
        let e = CnnSpec::new([1, 8, 8], layers).unwrap_err();
        assert_eq!(e.to_string(), "layers[7] (linear): expected input shape [9], found [8]");
    }

    #[test]
    fn a_layer_list_infers_channels_and_features_and_names_a_bad_layer() {
        let s = CnnSpec::parse("1,8,8", "conv:4:3,relu,avgpool:2,flatten,linear:10").unwrap();
        assert_eq!(s.layers[0], CnnLayer::Conv2d { in_channels: 1, out_channels: 4, kernel: 3, stride: 1, padding: 0 });
        assert_eq!(s.layers[2], CnnLayer::AvgPool2d { kernel: 2, stride: 2 });
        assert_eq!(s.layers[4], CnnLayer::Linear { in_features: 36, out_features: 10 });
        assert_eq!(s.shapes().unwrap().last().unwrap(), &vec![10]);
        assert_eq!(
            CnnSpec::parse("1,8,8", "conv:4:9,relu").unwrap_err().to_string(),
            "layers[0] (conv2d): expected a padded input of at least 9×9, found [1, 8, 8]"
        );
        assert!(CnnSpec::parse("1,8,8", "conv:4").unwrap_err().to_string().starts_with("layers[0]: expected conv:OUT:K"));
        assert!(CnnSpec::parse("1,8", "relu").unwrap_err().to_string().starts_with("input: expected C,H,W"));
    }
}
