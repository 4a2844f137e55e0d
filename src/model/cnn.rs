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
}
