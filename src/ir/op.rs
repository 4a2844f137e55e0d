//! The operations of the IR: a tag per op (the string artifacts and the Lean denotation use), its
//! arity, its parameter count, and its attributes (sizes and exact rationals, never floats).
use std::fmt;

use crate::error::{Error, Result};
use crate::num::Q;
use crate::num::rational::to_canonical;

/// How many parents an op takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arity {
    Exactly(usize),
    AtLeast(usize),
}

impl Arity {
    /// Whether `n` parents are allowed.
    pub fn allows(self, n: usize) -> bool {
        match self {
            Arity::Exactly(k) => n == k,
            Arity::AtLeast(k) => n >= k,
        }
    }
}

impl fmt::Display for Arity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Arity::Exactly(k) => write!(f, "{k}"),
            Arity::AtLeast(k) => write!(f, "at least {k}"),
        }
    }
}

/// The JSON type of an attribute in a graph artifact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttrKind {
    /// A size: a non-negative JSON integer.
    Size,
    /// Exactly two sizes `[h, w]`.
    Pair,
    /// An array of sizes (a shape).
    Sizes,
    /// A canonical rational string.
    Rational,
}

/// An attribute value, as read from or written to an artifact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttrValue {
    Size(usize),
    Pair([usize; 2]),
    Sizes(Vec<usize>),
    Rational(Q),
}

impl AttrValue {
    /// The artifact JSON of the value (sizes as JSON integers, rationals as canonical strings).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            AttrValue::Size(n) => (*n).into(),
            AttrValue::Pair(p) => p.to_vec().into(),
            AttrValue::Sizes(s) => s.clone().into(),
            AttrValue::Rational(q) => to_canonical(q).into(),
        }
    }
}

macro_rules! tags {
    ($($(#[$doc:meta])* $tag:ident = $name:literal, $arity:expr, $params:expr, [$($attr:literal: $kind:ident),*];)*) => {
        /// The tag of an op: what artifacts write in a node's `op` member.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum OpTag {
            $($(#[$doc])* $tag,)*
        }

        impl OpTag {
            /// Every tag, in the order of `docs/ir.md`.
            pub const ALL: &'static [OpTag] = &[$(OpTag::$tag),*];

            /// The tag's name in artifacts (`linear`, `conv2d`, …).
            pub fn name(self) -> &'static str {
                match self {
                    $(OpTag::$tag => $name,)*
                }
            }
            /// How many parents the op takes.
            pub fn arity(self) -> Arity {
                match self {
                    $(OpTag::$tag => $arity,)*
                }
            }
            /// How many parameter tensors the op names.
            pub fn param_count(self) -> usize {
                match self {
                    $(OpTag::$tag => $params,)*
                }
            }
            /// The op's attributes, sorted by key (the order canonical JSON gives them).
            pub fn attrs(self) -> &'static [(&'static str, AttrKind)] {
                match self {
                    $(OpTag::$tag => &[$(($attr, AttrKind::$kind)),*],)*
                }
            }
        }
    };
}

use Arity::{AtLeast, Exactly};

tags! {
    /// A graph input of a declared shape (in artifacts: an entry of `inputs`, not a node).
    Input = "input", Exactly(0), 0, ["shape": Sizes];
    /// A parameter tensor used as a value; its shape is the tensor's.
    Constant = "constant", Exactly(0), 1, [];
    /// `W x + b`, weight `[out, in]`, bias `[out]`, input `[in]`.
    Linear = "linear", Exactly(1), 2, [];
    /// 2-D convolution of a `[C, H, W]` input, weight `[out, in, kh, kw]`, bias `[out]`.
    Conv2d = "conv2d", Exactly(1), 2,
        ["in_channels": Size, "kernel": Pair, "out_channels": Size, "padding": Pair, "stride": Pair];
    /// `max(x, 0)` elementwise.
    Relu = "relu", Exactly(1), 0, [];
    /// `x`.
    Identity = "identity", Exactly(1), 0, [];
    /// `x Φ(x)` elementwise (the erf form).
    Gelu = "gelu", Exactly(1), 0, [];
    /// `tanh x` elementwise.
    Tanh = "tanh", Exactly(1), 0, [];
    /// `1 / (1 + e^−x)` elementwise.
    Sigmoid = "sigmoid", Exactly(1), 0, [];
    /// `x + y`, same shapes.
    Add = "add", Exactly(2), 0, [];
    /// `x − y`, same shapes.
    Sub = "sub", Exactly(2), 0, [];
    /// `x · y` elementwise, same shapes.
    Mul = "mul", Exactly(2), 0, [];
    /// `[m, k] × [k, n] → [m, n]`.
    Matmul = "matmul", Exactly(2), 0, [];
    /// The same values (row-major) in a new shape of the same element count.
    Reshape = "reshape", Exactly(1), 0, ["shape": Sizes];
    /// The same values (row-major) as one axis.
    Flatten = "flatten", Exactly(1), 0, [];
    /// `[m, n] → [n, m]`.
    Transpose = "transpose", Exactly(1), 0, [];
    /// Maximum over each window of a `[C, H, W]` input (no padding).
    MaxPool2d = "maxpool2d", Exactly(1), 0, ["kernel": Pair, "stride": Pair];
    /// Mean over each window of a `[C, H, W]` input (no padding).
    AvgPool2d = "avgpool2d", Exactly(1), 0, ["kernel": Pair, "stride": Pair];
    /// Softmax over the last axis.
    Softmax = "softmax", Exactly(1), 0, [];
    /// Layer normalisation over the last axis: `(x − μ) / √(σ² + eps) · weight + bias`.
    LayerNorm = "layernorm", Exactly(1), 2, ["eps": Rational];
    /// Concatenation of the parents along `axis`.
    Concat = "concat", AtLeast(1), 0, ["axis": Size];
    /// Entries `start .. end` (end excluded) of `axis`, every other axis whole.
    Slice = "slice", Exactly(1), 0, ["axis": Size, "end": Size, "start": Size];
    /// `x · (1/√n)` elementwise (attention's `1/√d_head`); `n ≥ 1`.
    ScaleRsqrt = "scale_rsqrt", Exactly(1), 0, ["n": Size];
    /// `x[i, j] + m[i, j]` on an `[m, n]` input, `m[i, j] = −∞` when `j > i`, else `+0` (the
    /// float mask of `nn.Transformer.generate_square_subsequent_mask`).
    CausalMask = "causal_mask", Exactly(1), 0, [];
}

impl OpTag {
    /// Checks attribute `key` of this op: the value is of the kind [`OpTag::attrs`] lists, kernels
    /// and strides are at least 1, `n ≥ 1`, `eps > 0`. The message does not repeat the key.
    pub fn check_attr(self, key: &str, v: &AttrValue) -> Result<()> {
        let kind = self.attrs().iter().find(|a| a.0 == key).map(|a| a.1);
        let fits = matches!(
            (kind, v),
            (Some(AttrKind::Size), AttrValue::Size(_))
                | (Some(AttrKind::Pair), AttrValue::Pair(_))
                | (Some(AttrKind::Sizes), AttrValue::Sizes(_))
                | (Some(AttrKind::Rational), AttrValue::Rational(_))
        );
        if !fits {
            return Err(Error::bad_input(format!(
                "expected an attribute of op \"{self}\" of kind {kind:?}, found {v:?}"
            )));
        }
        match (key, v) {
            ("kernel" | "stride", AttrValue::Pair(p)) if p.contains(&0) => {
                Err(Error::bad_input(format!("expected entries of at least 1, found {p:?}")))
            }
            ("n", AttrValue::Size(0)) => Err(Error::bad_input("expected n ≥ 1, found 0")),
            ("eps", AttrValue::Rational(q)) if *q <= Q::from_integer(0.into()) => {
                Err(Error::bad_input(format!("expected eps > 0, found {}", to_canonical(q))))
            }
            _ => Ok(()),
        }
    }

    /// The tag named `name`, if any.
    pub fn from_name(name: &str) -> Option<OpTag> {
        OpTag::ALL.iter().copied().find(|t| t.name() == name)
    }
}

impl fmt::Display for OpTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Window sizes of a 2-D convolution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conv2d {
    pub in_channels: usize,
    pub out_channels: usize,
    /// `[kh, kw]`.
    pub kernel: [usize; 2],
    /// `[sh, sw]`.
    pub stride: [usize; 2],
    /// `[ph, pw]`: zeros added on each side of H and W.
    pub padding: [usize; 2],
}

/// Window sizes of a 2-D pooling (no padding; windows that do not fit are dropped, as PyTorch's
/// default `ceil_mode=False`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pool2d {
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
}

impl Conv2d {
    /// Every tap of the convolution over a `[ci, h, w]` input into `[co, oh, ow]`: `(output,
    /// input, weight)` flat indices, row-major, the padding's taps left out (they read zeros).
    pub fn taps(&self, input: &[usize], out: &[usize]) -> Vec<(usize, usize, usize)> {
        let (ci, h, w) = (input[0], input[1], input[2]);
        let (oh, ow) = (out[1], out[2]);
        let ([kh, kw], [sh, sw], [ph, pw]) = (self.kernel, self.stride, self.padding);
        let mut v = Vec::new();
        for o in 0..self.out_channels {
            for r in 0..oh {
                for c in 0..ow {
                    for i in 0..ci {
                        for ki in 0..kh {
                            for kj in 0..kw {
                                let (y, z) = ((r * sh + ki) as isize - ph as isize, (c * sw + kj) as isize - pw as isize);
                                if (0..h as isize).contains(&y) && (0..w as isize).contains(&z) {
                                    v.push(((o * oh + r) * ow + c, (i * h + y as usize) * w + z as usize, ((o * ci + i) * kh + ki) * kw + kj));
                                }
                            }
                        }
                    }
                }
            }
        }
        v
    }
}

impl Pool2d {
    /// The input indices of every output's window over a `[c, h, w]` input, outputs row-major,
    /// each window row-major.
    pub fn windows(&self, input: &[usize]) -> Vec<Vec<usize>> {
        let (c, h, w) = (input[0], input[1], input[2]);
        let ([kh, kw], [sh, sw]) = (self.kernel, self.stride);
        let (oh, ow) = ((h - kh) / sh + 1, (w - kw) / sw + 1);
        let mut v = Vec::with_capacity(c * oh * ow);
        for ch in 0..c {
            for r in 0..oh {
                for col in 0..ow {
                    v.push((0..kh).flat_map(|ki| (0..kw).map(move |kj| (ch * h + r * sh + ki) * w + col * sw + kj)).collect());
                }
            }
        }
        v
    }
}

/// An op with its attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Input {
        shape: Vec<usize>,
    },
    Constant,
    Linear,
    Conv2d(Conv2d),
    Relu,
    Identity,
    Gelu,
    Tanh,
    Sigmoid,
    Add,
    Sub,
    Mul,
    Matmul,
    Reshape {
        shape: Vec<usize>,
    },
    Flatten,
    Transpose,
    MaxPool2d(Pool2d),
    AvgPool2d(Pool2d),
    Softmax,
    LayerNorm {
        eps: Q,
    },
    Concat {
        axis: usize,
    },
    /// Entries `start .. end` of `axis`.
    Slice {
        axis: usize,
        start: usize,
        end: usize,
    },
    /// Multiplication by `1/√n`.
    ScaleRsqrt {
        n: usize,
    },
    CausalMask,
}

impl Op {
    /// The op's tag.
    pub fn tag(&self) -> OpTag {
        match self {
            Op::Input { .. } => OpTag::Input,
            Op::Constant => OpTag::Constant,
            Op::Linear => OpTag::Linear,
            Op::Conv2d(_) => OpTag::Conv2d,
            Op::Relu => OpTag::Relu,
            Op::Identity => OpTag::Identity,
            Op::Gelu => OpTag::Gelu,
            Op::Tanh => OpTag::Tanh,
            Op::Sigmoid => OpTag::Sigmoid,
            Op::Add => OpTag::Add,
            Op::Sub => OpTag::Sub,
            Op::Mul => OpTag::Mul,
            Op::Matmul => OpTag::Matmul,
            Op::Reshape { .. } => OpTag::Reshape,
            Op::Flatten => OpTag::Flatten,
            Op::Transpose => OpTag::Transpose,
            Op::MaxPool2d(_) => OpTag::MaxPool2d,
            Op::AvgPool2d(_) => OpTag::AvgPool2d,
            Op::Softmax => OpTag::Softmax,
            Op::LayerNorm { .. } => OpTag::LayerNorm,
            Op::Concat { .. } => OpTag::Concat,
            Op::Slice { .. } => OpTag::Slice,
            Op::ScaleRsqrt { .. } => OpTag::ScaleRsqrt,
            Op::CausalMask => OpTag::CausalMask,
        }
    }

    /// The tag's name (`linear`, …).
    pub fn name(&self) -> &'static str {
        self.tag().name()
    }

    /// The attribute values, in the order of [`OpTag::attrs`].
    pub fn attr_values(&self) -> Vec<AttrValue> {
        use AttrValue::{Pair, Rational, Size, Sizes};
        match self {
            Op::Input { shape } | Op::Reshape { shape } => vec![Sizes(shape.clone())],
            Op::Conv2d(c) => {
                vec![Size(c.in_channels), Pair(c.kernel), Size(c.out_channels), Pair(c.padding), Pair(c.stride)]
            }
            Op::MaxPool2d(p) | Op::AvgPool2d(p) => vec![Pair(p.kernel), Pair(p.stride)],
            Op::LayerNorm { eps } => vec![Rational(eps.clone())],
            Op::Concat { axis } => vec![Size(*axis)],
            Op::Slice { axis, start, end } => vec![Size(*axis), Size(*end), Size(*start)],
            Op::ScaleRsqrt { n } => vec![Size(*n)],
            _ => Vec::new(),
        }
    }

    /// Builds the op of tag `tag` from its attribute values (in the order of [`OpTag::attrs`]),
    /// each checked by [`OpTag::check_attr`]; errors name the attribute (`attrs.kernel: …`).
    pub fn from_attrs(tag: OpTag, values: Vec<AttrValue>) -> Result<Op> {
        let spec = tag.attrs();
        if values.len() != spec.len() {
            return Err(Error::bad_input(format!(
                "expected {} attributes for op \"{tag}\", found {}",
                spec.len(),
                values.len()
            )));
        }
        for ((key, _), v) in spec.iter().zip(&values) {
            tag.check_attr(key, v).map_err(|e| e.context(format!("attrs.{key}")))?;
        }
        use AttrValue::{Pair, Rational, Size, Sizes};
        Ok(match (tag, values.as_slice()) {
            (OpTag::Input, [Sizes(shape)]) => Op::Input { shape: shape.clone() },
            (OpTag::Reshape, [Sizes(shape)]) => Op::Reshape { shape: shape.clone() },
            (OpTag::Conv2d, [Size(i), Pair(k), Size(o), Pair(p), Pair(s)]) => {
                Op::Conv2d(Conv2d { in_channels: *i, out_channels: *o, kernel: *k, stride: *s, padding: *p })
            }
            (OpTag::MaxPool2d, [Pair(k), Pair(s)]) => Op::MaxPool2d(Pool2d { kernel: *k, stride: *s }),
            (OpTag::AvgPool2d, [Pair(k), Pair(s)]) => Op::AvgPool2d(Pool2d { kernel: *k, stride: *s }),
            (OpTag::LayerNorm, [Rational(eps)]) => Op::LayerNorm { eps: eps.clone() },
            (OpTag::Concat, [Size(axis)]) => Op::Concat { axis: *axis },
            (OpTag::Slice, [Size(axis), Size(end), Size(start)]) => Op::Slice { axis: *axis, start: *start, end: *end },
            (OpTag::ScaleRsqrt, [Size(n)]) => Op::ScaleRsqrt { n: *n },
            (OpTag::CausalMask, []) => Op::CausalMask,
            (OpTag::Constant, []) => Op::Constant,
            (OpTag::Linear, []) => Op::Linear,
            (OpTag::Relu, []) => Op::Relu,
            (OpTag::Identity, []) => Op::Identity,
            (OpTag::Gelu, []) => Op::Gelu,
            (OpTag::Tanh, []) => Op::Tanh,
            (OpTag::Sigmoid, []) => Op::Sigmoid,
            (OpTag::Add, []) => Op::Add,
            (OpTag::Sub, []) => Op::Sub,
            (OpTag::Mul, []) => Op::Mul,
            (OpTag::Matmul, []) => Op::Matmul,
            (OpTag::Flatten, []) => Op::Flatten,
            (OpTag::Transpose, []) => Op::Transpose,
            (OpTag::Softmax, []) => Op::Softmax,
            (tag, _) => unreachable!("attribute kinds of {tag} checked"),
        })
    }

    /// The artifact's `attrs` object of the op (empty for ops without attributes).
    pub fn attrs_json(&self) -> serde_json::Value {
        let map: serde_json::Map<String, serde_json::Value> = self
            .tag()
            .attrs()
            .iter()
            .zip(self.attr_values())
            .map(|((k, _), v)| ((*k).to_string(), v.to_json()))
            .collect();
        serde_json::Value::Object(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_round_trip_by_name_and_attrs_round_trip() {
        for &t in OpTag::ALL {
            assert_eq!(OpTag::from_name(t.name()), Some(t));
            let keys: Vec<&str> = t.attrs().iter().map(|a| a.0).collect();
            let mut sorted = keys.clone();
            sorted.sort();
            assert_eq!(keys, sorted, "{t}: attrs must be listed sorted");
        }
        let conv =
            Op::Conv2d(Conv2d { in_channels: 1, out_channels: 2, kernel: [3, 3], stride: [1, 1], padding: [1, 1] });
        assert_eq!(Op::from_attrs(OpTag::Conv2d, conv.attr_values()).unwrap(), conv);
        let ln = Op::LayerNorm { eps: Q::new(1.into(), 100000.into()) };
        assert_eq!(ln.attrs_json(), serde_json::json!({"eps": "1/100000"}));
        let sl = Op::Slice { axis: 1, start: 2, end: 4 };
        assert_eq!(sl.attrs_json(), serde_json::json!({"axis": 1, "end": 4, "start": 2}));
        assert_eq!(Op::from_attrs(OpTag::Slice, sl.attr_values()).unwrap(), sl);
        assert_eq!(Op::from_attrs(OpTag::ScaleRsqrt, vec![AttrValue::Size(4)]).unwrap(), Op::ScaleRsqrt { n: 4 });
    }

    #[test]
    fn bad_attribute_values_are_rejected() {
        let e = Op::from_attrs(OpTag::MaxPool2d, vec![AttrValue::Pair([0, 2]), AttrValue::Pair([2, 2])]).unwrap_err();
        assert_eq!(e.to_string(), "attrs.kernel: expected entries of at least 1, found [0, 2]");
        let e = Op::from_attrs(OpTag::LayerNorm, vec![AttrValue::Rational(Q::from_integer(0.into()))]).unwrap_err();
        assert_eq!(e.to_string(), "attrs.eps: expected eps > 0, found 0");
        let e = Op::from_attrs(OpTag::ScaleRsqrt, vec![AttrValue::Size(0)]).unwrap_err();
        assert_eq!(e.to_string(), "attrs.n: expected n ≥ 1, found 0");
    }
}
