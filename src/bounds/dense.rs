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
use crate::num::elementary::Smooth;

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

/// A layer's activation in the view with smooth activations (Lean: `SAct`): an exact one, or one
/// of `tanh`, `σ`, GELU, which the enclosure engine bounds through `bounds::envelope`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SAct {
    Exact(Activation),
    Smooth(Smooth),
}

/// `y = act(W x + b)` with an activation that may be smooth (Lean: `SDense`).
#[derive(Debug, Clone, PartialEq)]
pub struct SmoothLayer {
    pub(crate) weight: Vec<Vec<F32>>,
    pub(crate) bias: Vec<F32>,
    pub(crate) act: SAct,
}

impl SmoothLayer {
    /// The weight rows decoded to exact rationals; fails on a non-finite weight.
    pub(crate) fn weight_q(&self, name: &str) -> Result<Vec<Vec<Q>>> {
        self.weight.iter().map(|row| row.iter().map(|&w| decode(w, name)).collect()).collect()
    }
    /// The bias decoded to exact rationals; fails on a non-finite entry.
    pub(crate) fn bias_q(&self, name: &str) -> Result<Vec<Q>> {
        self.bias.iter().map(|&b| decode(b, name)).collect()
    }
}

/// The dense view of a chain graph whose activations may be smooth (Lean's `smoothNet`): the
/// layers the enclosure IBP engine and its certificates (`checker::env`) take. A graph with a
/// [`Dense`] view has this one too, with exact activations only.
#[derive(Debug, Clone, PartialEq)]
pub struct SmoothDense {
    pub(crate) layers: Vec<SmoothLayer>,
}

impl SmoothDense {
    /// The view of `graph` (see [`Dense::of`]; `tanh`, `sigmoid` and `gelu` nodes are activations
    /// too), or why it has none, naming the first node neither view takes.
    pub fn of(graph: &Graph) -> Result<SmoothDense> {
        let layers = chain(graph, true)?.into_iter().map(|(weight, bias, act)| SmoothLayer { weight, bias, act }).collect();
        Ok(SmoothDense { layers })
    }

    /// Whether some layer's activation is smooth.
    pub fn has_smooth(&self) -> bool {
        self.layers.iter().any(|l| matches!(l.act, SAct::Smooth(_)))
    }

    /// The widths `[in, h1, …, out]`, checking that consecutive layers' shapes agree.
    pub fn widths(&self) -> Result<Vec<usize>> {
        widths(self.layers.iter().map(|l| (&l.weight, &l.bias)))
    }
}

/// The view verify, check-cert and the certificate modules take of a graph: the [`Dense`] one
/// (relu/identity chains: every bound engine and checker), else the [`SmoothDense`] one when the
/// chain has smooth activations (the enclosure IBP engine and `envLeafOk`).
pub enum View {
    Dense(Dense),
    Env(SmoothDense),
}

impl View {
    /// The view of `graph`, or why it has none (naming the first node neither view takes).
    pub fn of(graph: &Graph) -> Result<View> {
        match Dense::of(graph) {
            Ok(d) => Ok(View::Dense(d)),
            Err(dense_err) => match SmoothDense::of(graph) {
                Ok(s) if s.has_smooth() => Ok(View::Env(s)),
                Ok(_) => Err(dense_err),
                Err(e) => Err(e),
            },
        }
    }
}

/// A chain's layers: weights, biases and activations (see [`Dense::of`]); smooth activations
/// are refused unless `smooth`.
#[allow(clippy::type_complexity)]
fn chain(graph: &Graph, smooth: bool) -> Result<Vec<(Vec<Vec<F32>>, Vec<F32>, SAct)>> {
    use crate::ir::Op;
    let (engines, takes) = if smooth {
        ("verify's engines", "they take chains of linear, conv2d and avgpool2d layers with relu, identity, tanh, sigmoid or gelu activations")
    } else {
        ("the dense engines", "they take chains of linear, conv2d and avgpool2d layers with relu or identity activations")
    };
    let refuse = |n: &crate::ir::Node, why: &str| {
        Error::bad_input(format!("{}: no bound rule for op {} in {engines} ({why})", n.label(), n.op.name()))
    };
    let smooth_of = |op: &Op| match op {
        Op::Tanh if smooth => Some(Smooth::Tanh),
        Op::Sigmoid if smooth => Some(Smooth::Sigmoid),
        Op::Gelu if smooth => Some(Smooth::Gelu),
        _ => None,
    };
    // The first op without a dense rule is what a user must hear about, whatever follows.
    if let Some(n) = graph.nodes().iter().find(|n| {
        !matches!(
            n.op,
            Op::Input { .. } | Op::Linear | Op::Conv2d(_) | Op::AvgPool2d(_) | Op::Relu | Op::Identity | Op::Flatten | Op::Reshape { .. }
        ) && smooth_of(&n.op).is_none()
    }) {
        return Err(refuse(n, takes));
    }
    let mut nodes = graph.nodes().iter();
    let input = nodes.next().ok_or_else(|| Error::bad_input("expected a graph with an input, found an empty graph"))?;
    if graph.inputs().count() != 1 || graph.outputs().len() != 1 {
        return Err(Error::bad_input(format!(
            "the dense engines take one input and one output, found {} and {}",
            graph.inputs().count(),
            graph.outputs().len()
        )));
    }
    let mut layers = Vec::new();
    // The affine map waiting for its activation, and the id of the value the next node must read.
    let mut pending: Option<(Vec<Vec<F32>>, Vec<F32>)> = None;
    let mut prev = input.id.as_str();
    let mut shape = input.shape.clone();
    for n in nodes {
        if n.parents.len() != 1 || n.parents[0] != prev {
            return Err(refuse(n, &format!("it reads {:?}, not the previous value \"{prev}\": {takes}", n.parents)));
        }
        let param = |k: usize| graph.tensor(&n.params[k]).expect("a built graph's params are stored");
        // A convolution's or pool's matrix has a row per output and a column per input: a tiny
        // kernel over a huge image would be a huge matrix, so its size is checked before it is built.
        if matches!(n.op, Op::Conv2d(_) | Op::AvgPool2d(_)) {
            let (cols, rows) = (shape.iter().product::<usize>(), n.shape.iter().product::<usize>());
            if cols.checked_mul(rows).is_none_or(|e| e > crate::limits::MAX_TENSOR_ELEMENTS) {
                return Err(Error::bad_input(format!(
                    "{}: expected a dense matrix of at most {} entries for {engines}, found {rows} × {cols}",
                    n.label(),
                    crate::limits::MAX_TENSOR_ELEMENTS
                )));
            }
        }
        let affine = match &n.op {
            Op::Linear if shape.len() == 1 => {
                let (w, b) = (param(0), param(1));
                let cols = w.shape()[1];
                Some((w.data().chunks(cols).map(<[_]>::to_vec).collect(), b.data().to_vec()))
            }
            Op::Linear => return Err(refuse(n, &format!("a linear over shape {shape:?}; {takes} over vectors"))),
            Op::Conv2d(c) => Some(conv_rows(c, &shape, param(0).data(), param(1).data())),
            Op::AvgPool2d(p) => {
                let k = Q::from_integer((p.kernel[0] * p.kernel[1]).into());
                let f = F32::from_rational(&(Q::from_integer(1.into()) / &k));
                if !f.status.is_ok() {
                    return Err(refuse(n, &format!("its factor 1/{k} is not a binary32; the dense engines need binary32 weights")));
                }
                Some(pool_rows(p, &shape, f.value))
            }
            _ => None,
        };
        let act = match n.op {
            Op::Relu => Some(SAct::Exact(Activation::Relu)),
            Op::Identity => Some(SAct::Exact(Activation::Identity)),
            ref op => smooth_of(op).map(SAct::Smooth),
        };
        if let Some(a) = affine {
            if let Some((w, b)) = pending.take() {
                layers.push((w, b, SAct::Exact(Activation::Identity)));
            }
            pending = Some(a);
        } else if let Some(act) = act {
            // Lean's `layersOfSteps` makes no layer of an activation without an affine node before it.
            let Some((w, b)) = pending.take() else {
                return Err(refuse(n, &format!("no linear, conv2d or avgpool2d node right before it: {takes}")));
            };
            layers.push((w, b, act));
        }
        shape = n.shape.clone();
        prev = &n.id;
    }
    if let Some((w, b)) = pending {
        layers.push((w, b, SAct::Exact(Activation::Identity)));
    }
    if graph.outputs()[0] != prev {
        return Err(Error::bad_input(format!("the dense engines take the chain's last node as output, found {:?}", graph.outputs())));
    }
    if layers.is_empty() {
        return Err(Error::bad_input("the dense engines take at least one layer, found none"));
    }
    Ok(layers)
}

/// Checks that consecutive layers' shapes agree and returns the widths `[in, h1, …, out]`.
fn widths<'a>(mut layers: impl Iterator<Item = (&'a Vec<Vec<F32>>, &'a Vec<F32>)>) -> Result<Vec<usize>> {
    let (w0, b0) = layers.next().ok_or_else(|| Error::bad_input("mlp: expected at least one layer, found none"))?;
    let mut widths = vec![w0.first().map_or(0, Vec::len)];
    for (i, (weight, bias)) in std::iter::once((w0, b0)).chain(layers).enumerate() {
        let (rows, cols) = (weight.len(), widths[i]);
        if let Some(r) = weight.iter().position(|r| r.len() != cols) {
            return Err(Error::bad_input(format!("layers.{i}.weight: expected {cols} columns in row {r}, found {}", weight[r].len())));
        }
        if bias.len() != rows {
            return Err(Error::bad_input(format!("layers.{i}.bias: expected shape [{rows}], found [{}]", bias.len())));
        }
        widths.push(rows);
    }
    Ok(widths)
}

impl Dense {
    /// The dense view of `graph`, or why it has none. The graph must be a chain from its one
    /// input to its one output; `linear`, `conv2d` and `avgpool2d` become the affine part of a
    /// layer (conv and pool as their matrices over the row-major input), `relu` or `identity` after
    /// one its activation (none: identity), and `flatten`/`reshape` change nothing (the data is
    /// row-major either way). Any other op, or an average whose factor `1/(kh·kw)` is not a
    /// binary32, is refused with its node named.
    pub fn of(graph: &Graph) -> Result<Dense> {
        let layers = chain(graph, false)?
            .into_iter()
            .map(|(weight, bias, act)| match act {
                SAct::Exact(act) => DenseLayer { weight, bias, act },
                SAct::Smooth(_) => unreachable!("chain refuses smooth activations unless asked"),
            })
            .collect();
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
        widths(self.layers.iter().map(|l| (&l.weight, &l.bias)))
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

/// The rows of `conv2d` over a `[ci, h, w]` input, one per output `(o, r, c)` in row-major order:
/// the weight `w[o, i, ki, kj]` at input `(i, r·sh + ki − ph, c·sw + kj − pw)` where that lies
/// inside the input (padding contributes nothing), zero elsewhere; the bias `b[o]`.
fn conv_rows(c: &crate::ir::Conv2d, shape: &[usize], w: &[F32], b: &[F32]) -> (Vec<Vec<F32>>, Vec<F32>) {
    let (ci, h, wd) = (shape[0], shape[1], shape[2]);
    let ([kh, kw], [sh, sw], [ph, pw]) = (c.kernel, c.stride, c.padding);
    let (oh, ow) = ((h + 2 * ph - kh) / sh + 1, (wd + 2 * pw - kw) / sw + 1);
    let mut rows = Vec::with_capacity(c.out_channels * oh * ow);
    let mut bias = Vec::with_capacity(rows.capacity());
    for o in 0..c.out_channels {
        for r in 0..oh {
            for col in 0..ow {
                let mut row = vec![F32::ZERO; ci * h * wd];
                for i in 0..ci {
                    for ki in 0..kh {
                        for kj in 0..kw {
                            let (y, z) = ((r * sh + ki) as isize - ph as isize, (col * sw + kj) as isize - pw as isize);
                            if (0..h as isize).contains(&y) && (0..wd as isize).contains(&z) {
                                row[(i * h + y as usize) * wd + z as usize] = w[((o * ci + i) * kh + ki) * kw + kj];
                            }
                        }
                    }
                }
                rows.push(row);
                bias.push(b[o]);
            }
        }
    }
    (rows, bias)
}

/// The rows of `avgpool2d` over a `[c, h, w]` input: the factor `f = 1/(kh·kw)` at each element
/// of the output's window, no bias.
fn pool_rows(p: &crate::ir::Pool2d, shape: &[usize], f: F32) -> (Vec<Vec<F32>>, Vec<F32>) {
    let (ch, h, wd) = (shape[0], shape[1], shape[2]);
    let ([kh, kw], [sh, sw]) = (p.kernel, p.stride);
    let (oh, ow) = ((h - kh) / sh + 1, (wd - kw) / sw + 1);
    let mut rows = Vec::with_capacity(ch * oh * ow);
    for c in 0..ch {
        for r in 0..oh {
            for col in 0..ow {
                let mut row = vec![F32::ZERO; ch * h * wd];
                for ki in 0..kh {
                    for kj in 0..kw {
                        row[(c * h + r * sh + ki) * wd + col * sw + kj] = f;
                    }
                }
                rows.push(row);
            }
        }
    }
    let n = rows.len();
    (rows, vec![F32::ZERO; n])
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
    fn a_cnn_of_conv_and_average_pools_has_the_dense_view_of_its_exact_semantics() {
        use crate::ir::{Conv2d, GraphBuilder, Op, Pool2d, TensorStore};
        let bits = |v: &[f32]| v.iter().map(|x| F32::from_f32(*x)).collect::<Vec<_>>();
        let mut st = TensorStore::new();
        let cw: Vec<f32> = (0..2 * 1 * 3 * 3).map(|k| (k as f32 - 8.0) / 8.0).collect();
        st.insert("cw", Tensor::new(vec![2, 1, 3, 3], bits(&cw)).unwrap()).unwrap();
        st.insert("cb", Tensor::vector(bits(&[0.5, -0.25]))).unwrap();
        st.insert("lw", Tensor::new(vec![2, 8], bits(&[0.5; 16])).unwrap()).unwrap();
        st.insert("lb", Tensor::vector(bits(&[1.0, -1.0]))).unwrap();
        let mut b = GraphBuilder::new(st);
        b.input("x", vec![1, 4, 4]).unwrap();
        let c = Conv2d { in_channels: 1, out_channels: 2, kernel: [3, 3], stride: [1, 1], padding: [1, 1] };
        b.node("conv", Op::Conv2d(c), &["x"], &["cw", "cb"]).unwrap();
        b.node("relu", Op::Relu, &["conv"], &[]).unwrap();
        b.node("pool", Op::AvgPool2d(Pool2d { kernel: [2, 2], stride: [2, 2] }), &["relu"], &[]).unwrap();
        b.node("flat", Op::Flatten, &["pool"], &[]).unwrap();
        b.node("out", Op::Linear, &["flat"], &["lw", "lb"]).unwrap();
        let g = b.finish(&["out"]).unwrap();
        let d = Dense::of(&g).unwrap();
        assert_eq!(d.widths().unwrap(), vec![16, 32, 8, 2]);
        let acts: Vec<Activation> = d.layers.iter().map(|l| l.act).collect();
        assert_eq!(acts, [Activation::Relu, Activation::Identity, Activation::Identity]);
        // The view computes the graph's exact value at every point tried.
        for k in 0..8 {
            let x: Vec<Q> = (0..16).map(|i| Q::new((((i * 7 + k * 3) % 11) as i64 - 5).into(), 4.into())).collect();
            let y = g.eval_exact(&[Tensor::new(vec![1, 4, 4], x.clone()).unwrap()]).unwrap();
            assert_eq!(d.eval_exact(&x).unwrap(), y[0].data());
        }
    }

    #[test]
    fn a_maxpool_or_a_ninth_has_no_dense_view_and_the_error_names_its_node() {
        let cnn = Model::filled(Family::Cnn(crate::model::cnn::CnnSpec::default_spec()), |_| F32(0)).unwrap();
        assert!(Dense::of(&crate::model::lower(&cnn).unwrap()).unwrap_err().to_string().starts_with("node \"layers.2.maxpool2d\" (maxpool2d): no bound rule"));
    }

    #[test]
    fn a_smooth_activation_has_no_dense_view_and_the_error_names_its_node() {
        use crate::model::MlpSpec;
        let f = Family::Mlp(MlpSpec::new(vec![2, 3, 1], vec![Act::Gelu, Act::Identity]).unwrap());
        let g = crate::model::lower(&Model::filled(f, |_| F32(0)).unwrap()).unwrap();
        assert_eq!(
            Dense::of(&g).unwrap_err().to_string(),
            "node \"layers.0.gelu\" (gelu): no bound rule for op gelu in the dense engines (they take chains of linear, conv2d and avgpool2d layers with relu or identity activations)"
        );
    }
}
