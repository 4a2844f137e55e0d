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

/// What a node of a chain does, as Lean's `Step` (`IR/Steps.lean`): an affine map, an
/// activation, or nothing (`flatten`, `reshape`).
enum Step {
    Affine(Vec<Vec<F32>>, Vec<F32>),
    Act(SAct),
    Keep,
}

/// One layer of a max pool's dense view, as Lean's `maxpoolSteps` (`IR/MaxPoolView.lean`) lays
/// them out: a max pool has no matrix, but `max p q = relu(q − p) + relu p − relu(−p)`, so a
/// window of `k` values is `k − 1` ReLU layers (one comparison each, every value held as such a
/// triple) and one affine layer that adds each window's last triple up. The bound engines and
/// the leaf checkers then need no rule of their own for it: the ReLU relaxation covers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaxPoolLayer {
    /// `maxGatherRows … [[1]]` (affine): a window of one value is that value.
    Select,
    /// `maxGatherRows … (levelRows 1 [1] k)`, then relu: every window's first comparison.
    First { k: usize },
    /// `maxLevelRows windows n`, then relu: the next comparison, over `n` triples per window.
    Level { n: usize },
    /// `maxOutRows windows` (affine): each window's last triple added up.
    Out,
}

impl MaxPoolLayer {
    /// The layers of a max pool whose windows hold `k ≥ 1` values.
    pub fn plan(k: usize) -> Vec<MaxPoolLayer> {
        if k == 1 {
            return vec![MaxPoolLayer::Select];
        }
        let mut v = vec![MaxPoolLayer::First { k }];
        v.extend((2..k).rev().map(|n| MaxPoolLayer::Level { n }));
        v.push(MaxPoolLayer::Out);
        v
    }

    /// Whether a relu follows the layer's affine map.
    pub fn relu(self) -> bool {
        matches!(self, MaxPoolLayer::First { .. } | MaxPoolLayer::Level { .. })
    }

    /// The layer's matrix size (rows, columns) for `windows` windows over `inputs` elements.
    fn size(self, windows: usize, inputs: usize) -> (usize, usize) {
        match self {
            MaxPoolLayer::Select => (windows, inputs),
            MaxPoolLayer::First { k } => (windows * 3 * (k - 1), inputs),
            MaxPoolLayer::Level { n } => (windows * 3 * (n - 1), windows * 3 * n),
            MaxPoolLayer::Out => (windows, windows * 3),
        }
    }
}

fn f32s(v: &[f32]) -> Vec<F32> {
    v.iter().map(|&x| F32::from_f32(x)).collect()
}

/// Lean's `blockDiag e m count`: the rows `m` (of width `e`) applied to each of `count`
/// consecutive blocks of width `e`.
fn block_diag(e: usize, m: &[Vec<F32>], count: usize) -> Vec<Vec<F32>> {
    let mut rows = Vec::with_capacity(m.len() * count);
    for j in 0..count {
        for r in m {
            let mut row = vec![F32::ZERO; e * count];
            row[e * j..e * (j + 1)].copy_from_slice(r);
            rows.push(row);
        }
    }
    rows
}

/// Lean's `levelRows e d n`: one comparison over `n` blocks of width `e`, block `i` holding the
/// value `d · bᵢ`: the triple of the first two values' maximum, then a carried triple per block.
fn level_rows(e: usize, d: &[F32], n: usize) -> Vec<Vec<F32>> {
    let neg: Vec<F32> = d.iter().map(|&w| -w).collect();
    let zeros = vec![F32::ZERO; e];
    let pad = |parts: &[&[F32]]| {
        let mut row: Vec<F32> = parts.concat();
        row.resize(e * n, F32::ZERO);
        row
    };
    let mut rows = vec![pad(&[&neg, d]), pad(&[d, &zeros]), pad(&[&neg, &zeros])];
    for r in block_diag(e, &[zeros.clone(), d.to_vec(), neg.clone()], n - 2) {
        rows.push(pad(&[&zeros, &zeros, &r]));
    }
    rows
}

/// The matrix of one max pool layer (Lean: `maxGatherRows`, `maxLevelRows`, `maxOutRows`) over
/// a `[c, h, w]` input.
fn maxpool_rows(layer: MaxPoolLayer, p: &crate::ir::Pool2d, shape: &[usize]) -> Vec<Vec<F32>> {
    let windows = p.windows(shape);
    let gather = |local: Vec<Vec<F32>>| {
        let cols = shape.iter().product::<usize>();
        let mut rows = Vec::with_capacity(windows.len() * local.len());
        for win in &windows {
            for lr in &local {
                let mut row = vec![F32::ZERO; cols];
                for (&j, &w) in win.iter().zip(lr) {
                    row[j] = w;
                }
                rows.push(row);
            }
        }
        rows
    };
    let decode = f32s(&[1.0, 1.0, -1.0]);
    match layer {
        MaxPoolLayer::Select => gather(vec![f32s(&[1.0])]),
        MaxPoolLayer::First { k } => gather(level_rows(1, &f32s(&[1.0]), k)),
        MaxPoolLayer::Level { n } => block_diag(3 * n, &level_rows(3, &decode, n), windows.len()),
        MaxPoolLayer::Out => block_diag(3, &[decode], windows.len()),
    }
}

/// A chain's layers: weights, biases and activations (see [`Dense::of`]); smooth activations
/// are refused unless `smooth`.
#[allow(clippy::type_complexity)]
fn chain(graph: &Graph, smooth: bool) -> Result<Vec<(Vec<Vec<F32>>, Vec<F32>, SAct)>> {
    use crate::ir::Op;
    let (engines, takes) = if smooth {
        ("verify's engines", "they take chains of linear, conv2d, avgpool2d and maxpool2d layers with relu, identity, tanh, sigmoid or gelu activations")
    } else {
        ("the dense engines", "they take chains of linear, conv2d, avgpool2d and maxpool2d layers with relu or identity activations")
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
    let has_rule = |op: &Op| match op {
        Op::Input { .. }
        | Op::Linear
        | Op::Conv2d(_)
        | Op::AvgPool2d(_)
        | Op::MaxPool2d(_)
        | Op::Relu
        | Op::Identity
        | Op::Flatten
        | Op::Reshape { .. } => true,
        op => smooth_of(op).is_some(),
    };
    if let Some(n) = graph.nodes().iter().find(|n| !has_rule(&n.op)) {
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
        let check_size = |rows: usize, cols: usize| {
            if cols.checked_mul(rows).is_none_or(|e| e > crate::limits::MAX_TENSOR_ELEMENTS) {
                return Err(Error::bad_input(format!(
                    "{}: expected a dense matrix of at most {} entries for {engines}, found {rows} × {cols}",
                    n.label(),
                    crate::limits::MAX_TENSOR_ELEMENTS
                )));
            }
            Ok(())
        };
        let (cols, rows) = (shape.iter().product::<usize>(), n.shape.iter().product::<usize>());
        let steps = match &n.op {
            Op::Linear if shape.len() == 1 => {
                let (w, b) = (param(0), param(1));
                let cols = w.shape()[1];
                vec![Step::Affine(w.data().chunks(cols).map(<[_]>::to_vec).collect(), b.data().to_vec())]
            }
            Op::Linear => return Err(refuse(n, &format!("a linear over shape {shape:?}; {takes} over vectors"))),
            Op::Conv2d(c) => {
                check_size(rows, cols)?;
                let (w, b) = conv_rows(c, &shape, &n.shape, param(0).data(), param(1).data());
                vec![Step::Affine(w, b)]
            }
            Op::AvgPool2d(p) => {
                check_size(rows, cols)?;
                let k = Q::from_integer((p.kernel[0] * p.kernel[1]).into());
                let f = F32::from_rational(&(Q::from_integer(1.into()) / &k));
                if !f.status.is_ok() {
                    return Err(refuse(n, &format!("its factor 1/{k} is not a binary32; the dense engines need binary32 weights")));
                }
                let (w, b) = pool_rows(p, &shape, f.value);
                vec![Step::Affine(w, b)]
            }
            Op::MaxPool2d(p) => {
                // One layer per comparison: a window's size is a layer count, limited as one.
                let k = p.kernel[0] * p.kernel[1];
                if k > crate::limits::MAX_LAYERS {
                    return Err(Error::bad_input(format!(
                        "{}: expected a max pool window of at most {} elements for {engines} (a layer per comparison), found {k}",
                        n.label(),
                        crate::limits::MAX_LAYERS
                    )));
                }
                let plan = MaxPoolLayer::plan(k);
                for l in &plan {
                    let (r, c) = l.size(rows, cols);
                    check_size(r, c)?;
                }
                let mut steps = Vec::new();
                for l in plan {
                    let w = maxpool_rows(l, p, &shape);
                    let b = vec![F32::ZERO; w.len()];
                    steps.push(Step::Affine(w, b));
                    if l.relu() {
                        steps.push(Step::Act(SAct::Exact(Activation::Relu)));
                    }
                }
                steps
            }
            Op::Relu => vec![Step::Act(SAct::Exact(Activation::Relu))],
            Op::Identity => vec![Step::Act(SAct::Exact(Activation::Identity))],
            op => match smooth_of(op) {
                Some(f) => vec![Step::Act(SAct::Smooth(f))],
                None => vec![Step::Keep],
            },
        };
        // Grouped as Lean's `layersOfSteps` groups them (after `dropKeeps`).
        for step in steps {
            match step {
                Step::Affine(w, b) => {
                    if let Some((w0, b0)) = pending.replace((w, b)) {
                        layers.push((w0, b0, SAct::Exact(Activation::Identity)));
                    }
                }
                Step::Act(act) => {
                    // Lean's `layersOfSteps` makes no layer of an activation without an affine node before it.
                    let Some((w, b)) = pending.take() else {
                        return Err(refuse(n, &format!("no linear, conv2d, avgpool2d or maxpool2d node right before it: {takes}")));
                    };
                    layers.push((w, b, act));
                }
                Step::Keep => {}
            }
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
fn conv_rows(c: &crate::ir::Conv2d, shape: &[usize], out: &[usize], w: &[F32], b: &[F32]) -> (Vec<Vec<F32>>, Vec<F32>) {
    let (rows_n, cols) = (out.iter().product::<usize>(), shape.iter().product::<usize>());
    let mut rows = vec![vec![F32::ZERO; cols]; rows_n];
    for (o, i, k) in c.taps(shape, out) {
        rows[o][i] = w[k];
    }
    let per_channel = out[1] * out[2];
    let bias = (0..rows_n).map(|o| b[o / per_channel]).collect();
    (rows, bias)
}

/// The rows of `avgpool2d` over a `[c, h, w]` input: the factor `f = 1/(kh·kw)` at each element
/// of the output's window, no bias.
fn pool_rows(p: &crate::ir::Pool2d, shape: &[usize], f: F32) -> (Vec<Vec<F32>>, Vec<F32>) {
    let cols = shape.iter().product::<usize>();
    let rows: Vec<Vec<F32>> = p
        .windows(shape)
        .into_iter()
        .map(|win| {
            let mut row = vec![F32::ZERO; cols];
            for j in win {
                row[j] = f;
            }
            row
        })
        .collect();
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
    fn the_default_cnn_has_a_dense_view_with_its_pools_as_relu_layers() {
        let cnn = Model::filled(Family::Cnn(crate::model::cnn::CnnSpec::default_spec()), |_| F32(0x3f000000)).unwrap();
        let d = Dense::of(&crate::model::lower(&cnn).unwrap()).unwrap();
        // 1×8×8 → conv 2×8×8 (relu) → pool: 32 windows of 4 → 288, 192, 96 relu, 32 → conv 2×4×4
        // (relu) → pool: 8 windows → 72, 48, 24, 8 → linear 2.
        assert_eq!(d.widths().unwrap(), vec![64, 128, 288, 192, 96, 32, 32, 72, 48, 24, 8, 2]);
        assert_eq!(MaxPoolLayer::plan(4), [MaxPoolLayer::First { k: 4 }, MaxPoolLayer::Level { n: 3 }, MaxPoolLayer::Level { n: 2 }, MaxPoolLayer::Out]);
        assert_eq!(MaxPoolLayer::plan(1), [MaxPoolLayer::Select]);
    }

    #[test]
    fn a_max_pool_window_of_more_than_max_layers_elements_is_refused_before_any_layer_is_built() {
        use crate::ir::{GraphBuilder, Op, Pool2d, TensorStore};
        let mut b = GraphBuilder::new(TensorStore::new());
        b.input("x", vec![1, 65, 64]).unwrap();
        b.node("pool", Op::MaxPool2d(Pool2d { kernel: [65, 64], stride: [1, 1] }), &["x"], &[]).unwrap();
        let g = b.finish(&["pool"]).unwrap();
        assert_eq!(
            Dense::of(&g).unwrap_err().to_string(),
            "node \"pool\" (maxpool2d): expected a max pool window of at most 4096 elements for the dense engines (a layer per comparison), found 4160"
        );
    }

    #[test]
    fn a_max_pool_beside_smooth_activations_has_the_smooth_view_with_its_relu_layers() {
        use crate::ir::{GraphBuilder, Op, Pool2d, TensorStore};
        let mut b = GraphBuilder::new(TensorStore::new());
        b.input("x", vec![1, 4, 4]).unwrap();
        b.node("pool", Op::MaxPool2d(Pool2d { kernel: [2, 2], stride: [2, 2] }), &["x"], &[]).unwrap();
        b.node("t", Op::Tanh, &["pool"], &[]).unwrap();
        let g = b.finish(&["t"]).unwrap();
        let View::Env(s) = View::of(&g).unwrap() else { panic!("expected the smooth view") };
        // 4 windows of 4: 36, 24, 12 relu values, then the sums (4) under tanh.
        assert_eq!(s.widths().unwrap(), vec![16, 36, 24, 12, 4]);
        let acts: Vec<SAct> = s.layers.iter().map(|l| l.act).collect();
        let relu = SAct::Exact(Activation::Relu);
        assert_eq!(acts, [relu, relu, relu, SAct::Smooth(Smooth::Tanh)]);
    }

    #[test]
    fn a_smooth_activation_has_no_dense_view_and_the_error_names_its_node() {
        use crate::model::MlpSpec;
        let f = Family::Mlp(MlpSpec::new(vec![2, 3, 1], vec![Act::Gelu, Act::Identity]).unwrap());
        let g = crate::model::lower(&Model::filled(f, |_| F32(0)).unwrap()).unwrap();
        assert_eq!(
            Dense::of(&g).unwrap_err().to_string(),
            "node \"layers.0.gelu\" (gelu): no bound rule for op gelu in the dense engines (they take chains of linear, conv2d, avgpool2d and maxpool2d layers with relu or identity activations)"
        );
    }
}
