//! The network part of a certificate module: its layers (packed binary32 rows) and `net`, the IR
//! graph it lowers to with `lowered` and `graph_denotes`, and `certified_graph`.
use std::fmt::Write;

use super::graph::graph_literal;
use super::{Binding, open_namespace, sha_def};
use crate::bounds::dense::{Dense, MaxPoolLayer};
use crate::checker::syntax::packed;
use crate::ir::{Graph, Op};
use crate::model::Model;
use crate::num::binary32::F32;

/// How a module carries its facts from `evalNet net` to the IR graph.
#[derive(Clone, Copy)]
pub enum Lowering<'a> {
    /// The graph is the mlp lowering of `net`: `mlpGraph`, `denote_mlpGraph` (`IR/Mlp.lean`).
    Mlp,
    /// A chain graph over its payload's tensors whose dense view is `net`: `chainNet`,
    /// `denote_chain` (`IR/DenseView.lean`), e.g. a cnn with average pools.
    Chain(&'a Graph),
}

impl<'a> Lowering<'a> {
    /// `Mlp` when the graph is an mlp lowering (so its modules keep their form), else `Chain`.
    pub fn of(graph: &'a Graph) -> Lowering<'a> {
        if Model::from_graph(graph).is_ok() { Lowering::Mlp } else { Lowering::Chain(graph) }
    }
    /// The Lean modules the lowering's theorems need beyond the checker's.
    pub fn imports(self) -> &'static [&'static str] {
        match self {
            Lowering::Mlp => &[],
            Lowering::Chain(_) => &["TorchLean.Cert.Chain"],
        }
    }
    /// The parameter tensors the graph's denotation takes, as a Lean term.
    fn params(self, w: usize) -> String {
        match self {
            Lowering::Mlp => format!("(mlpParams {w} net)"),
            Lowering::Chain(_) => "params".to_string(),
        }
    }
}

/// The weight, bias and layer definitions of a dense network (packed binary32 rows).
pub(super) fn layer_defs(s: &mut String, mlp: &Dense) {
    for (i, l) in mlp.layers.iter().enumerate() {
        layer_def(s, i, &l.weight, &l.bias, "Dense", l.act.name(), &format!(".{}", l.act.name()));
    }
}

/// Layer `i`'s weight and bias (packed binary32 rows) and the layer of type `ty` (`Dense`,
/// `SDense`) with the activation term `act`.
pub(super) fn layer_def(s: &mut String, i: usize, weight: &[Vec<F32>], bias: &[F32], ty: &str, act_name: &str, act: &str) {
    let cols = weight.first().map_or(0, Vec::len);
    let rows: Vec<String> = weight.iter().map(|r| packed(r)).collect();
    let _ = writeln!(*s, "/-- `layers.{i}.weight` ({}×{cols}) as binary32 bit patterns: one packed literal per row", weight.len());
    let _ = writeln!(*s, "(output), column `j` in bits `32j … 32j+31` (see `unpack`). -/");
    let _ = writeln!(*s, "@[expose] noncomputable def layer{i}Weight : List (List Nat) := unpackRows {cols} [{}]", rows.join(", "));
    let _ = writeln!(*s, "/-- `layers.{i}.bias` as binary32 bit patterns, packed the same way. -/");
    let _ = writeln!(*s, "@[expose] noncomputable def layer{i}Bias : List Nat := unpack {} {}", bias.len(), packed(bias));
    let _ = writeln!(*s, "/-- Layer {i}: exact decoded weights, then `{act_name}`. -/");
    let _ = writeln!(*s, "@[expose] noncomputable def layer{i} : {ty} := ⟨decodeRows layer{i}Weight, decodeList layer{i}Bias, {act}⟩\n");
}

/// A node's step as Lean terms: an affine map's rows and bias, or an activation's name.
enum TermStep {
    Affine(String, String),
    Act(&'static str),
}

/// The layers of a chain graph as Lean terms computed from its parameter tensors (`params`): per
/// layer the weight rows, the bias and the activation's name, grouped as Lean's `layersOfSteps`
/// groups the nodes' steps (`nodeSteps`). The kernel builds a convolution's, a pool's or a max
/// pool's matrices from the few numbers they depend on (`convRows`, `poolRows`, `maxGatherRows`,
/// …), so a module never states those mostly-zero matrices as literals (a 128×512 pool matrix as
/// packed literals took the wasm kernel over ten minutes to decode).
pub(super) fn chain_layer_terms(g: &Graph) -> Vec<(String, String, &'static str)> {
    let (_, names) = graph_literal(g);
    let k = |name: &str| names.iter().position(|n| *n == name).expect("graph_literal names every param");
    let dims = |v: &[usize]| v.iter().map(ToString::to_string).collect::<Vec<_>>().join(" ");
    let mut layers = Vec::new();
    let mut pending: Option<(String, String)> = None;
    let mut shape: Vec<usize> = Vec::new();
    for n in g.nodes() {
        // The node's steps, as Lean's `nodeSteps`.
        let mut steps: Vec<TermStep> = Vec::new();
        match &n.op {
            Op::Input { shape: s } => {
                shape = s.clone();
                continue;
            }
            Op::Linear => {
                let (w, b) = (k(&n.params[0]), k(&n.params[1]));
                steps.push(TermStep::Affine(format!("chunks {} {} (paramData params {w})", shape[0], n.shape[0]), format!("paramData params {b}")));
            }
            Op::Conv2d(c) => {
                let (w, b) = (k(&n.params[0]), k(&n.params[1]));
                let a = [c.kernel[0], c.kernel[1], c.stride[0], c.stride[1], c.padding[0], c.padding[1]];
                steps.push(TermStep::Affine(
                    format!("convRows {} {} {} {} (paramData params {w})", dims(&shape), c.out_channels, dims(&a), dims(&n.shape[1..])),
                    format!("convBias {} (paramData params {b})", dims(&n.shape)),
                ));
            }
            Op::AvgPool2d(p) => {
                let a = [p.kernel[0], p.kernel[1], p.stride[0], p.stride[1]];
                steps.push(TermStep::Affine(
                    format!("poolRows {} {} {} (1 / (({} * {} : Nat) : Rat))", dims(&shape), dims(&a), dims(&n.shape[1..]), p.kernel[0], p.kernel[1]),
                    format!("poolBias {}", dims(&n.shape)),
                ));
            }
            Op::MaxPool2d(p) => {
                let a = [p.kernel[0], p.kernel[1], p.stride[0], p.stride[1]];
                let gather = format!("maxGatherRows {} {} {}", dims(&shape), dims(&a), dims(&n.shape[1..]));
                let windows: usize = n.shape.iter().product();
                for l in MaxPoolLayer::plan(p.kernel[0] * p.kernel[1]) {
                    let rows = match l {
                        MaxPoolLayer::Select => format!("{gather} [[1]]"),
                        MaxPoolLayer::First { k } => format!("{gather} (levelRows 1 [1] {k})"),
                        MaxPoolLayer::Level { n } => format!("maxLevelRows {windows} {n}"),
                        MaxPoolLayer::Out => format!("maxOutRows {windows}"),
                    };
                    steps.push(TermStep::Affine(format!("({rows})"), format!("zeroBias ({rows})")));
                    if l.relu() {
                        steps.push(TermStep::Act("relu"));
                    }
                }
            }
            Op::Relu => steps.push(TermStep::Act("relu")),
            Op::Identity => steps.push(TermStep::Act("identity")),
            Op::Tanh => steps.push(TermStep::Act("tanh")),
            Op::Sigmoid => steps.push(TermStep::Act("sigmoid")),
            Op::Gelu => steps.push(TermStep::Act("gelu")),
            _ => {}
        }
        for step in steps {
            match step {
                TermStep::Affine(w, b) => {
                    if let Some((w0, b0)) = pending.replace((w, b)) {
                        layers.push((w0, b0, "identity"));
                    }
                }
                TermStep::Act(act) => {
                    if let Some((w, b)) = pending.take() {
                        layers.push((w, b, act));
                    }
                }
            }
        }
        shape = n.shape.clone();
    }
    if let Some((w, b)) = pending {
        layers.push((w, b, "identity"));
    }
    layers
}

/// The start of a certificate module's body: namespace, the certificate's hash, the layers (packed
/// binary32 rows) and `net`.
pub(super) fn network_section(s: &mut String, m: &str, mlp: &Dense, lowering: Lowering, binding: &Binding) {
    open_namespace(s, m);
    sha_def(s, binding);
    net_defs(s, mlp, lowering);
}

/// The layers and `net`: for the mlp lowering from packed binary32 literals, for a chain from the
/// graph's parameter tensors (`graph` and `params` first, see [`chain_layer_terms`]).
pub(super) fn net_defs(s: &mut String, mlp: &Dense, lowering: Lowering) {
    let n = mlp.layers.len();
    match lowering {
        Lowering::Mlp => layer_defs(s, mlp),
        Lowering::Chain(g) => {
            graph_params_defs(s, g);
            for (i, (w, b, act)) in chain_layer_terms(g).into_iter().enumerate() {
                let _ = writeln!(*s, "/-- Layer {i}: computed from the graph's parameters, then `{act}`. -/");
                let _ = writeln!(*s, "@[expose] noncomputable def layer{i} : Dense := ⟨{w}, {b}, .{act}⟩\n");
            }
        }
    }
    let layers: Vec<String> = (0..n).map(|i| format!("layer{i}")).collect();
    let _ = writeln!(*s, "/-- The network: its layers in order. -/");
    let _ = writeln!(*s, "@[expose] noncomputable def net : List Dense := [{}]\n", layers.join(", "));
}

/// The graph `src/ir` lowers the network to, the kernel's check that it is `mlpGraph` of `net`
/// (with shapes that chain from the width of `box0`), and `graph_denotes`: on `box0` the graph's
/// denotation is `evalNet net`. Certificates' `certified` theorems are about `evalNet net`; this
/// carries them to the IR graph.
pub(super) fn lowered_section(s: &mut String, mlp: &Dense, lowering: Lowering) {
    if let Lowering::Chain(g) = lowering {
        return chain_section(s, g);
    }
    let graph = mlp.model().and_then(|m| crate::model::lower(&m)).expect("a certified network lowers to the IR");
    let (lit, _) = graph_literal(&graph);
    let w = input_width(mlp);
    let _ = writeln!(
        *s,
        "/-- The IR graph `src/ir` lowers the payload's network to: value 0 is the input, value `2i+1` is\n\
         `layers.i.linear` (parameters `2i`, `2i+1`: `layers.i.weight`, `layers.i.bias`), value `2i+2` its\n\
         activation. -/"
    );
    let _ = writeln!(*s, "@[expose] def graph : Graph :=\n  {lit}\n");
    let tensors: Vec<String> = mlp
        .layers
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let (rows, cols) = (l.weight.len(), l.weight.first().map_or(0, Vec::len));
            format!("⟨[{rows}, {cols}], (decodeRows layer{i}Weight).flatten⟩, ⟨[{rows}], decodeList layer{i}Bias⟩")
        })
        .collect();
    let _ = writeln!(
        *s,
        "/-- The graph's parameter tensors in the order its nodes name them (`layers.i.weight`, `layers.i.bias`):\n\
         the payload's binary32 bits, decoded exactly. They are `mlpParams {w} net`. -/"
    );
    let _ = writeln!(*s, "@[expose] noncomputable def params : List Value :=\n  [{}]\n", tensors.join(",\n   "));
    let _ = writeln!(
        *s,
        "/-- The graph is `mlpGraph` of `net` on inputs of width {w}, the layers' shapes chain from that\n\
         width, and the input box has {w} coordinates. -/"
    );
    let _ = writeln!(
        *s,
        "theorem lowered : graph = mlpGraph {w} net ∧ mlpShaped {w} net = true ∧ box0.length = {w} := by decide +kernel\n"
    );
    let _ = writeln!(
        *s,
        "/-- On the input box the graph's denotation, with the payload's tensors as parameters, is the\n\
         network's output. -/"
    );
    let _ = writeln!(
        *s,
        "theorem graph_denotes : ∀ x : List Rat, Box.Mem box0 x → denote graph (mlpParams {w} net) [x] = some [evalNet net x] :=\n  \
         fun _ hx => denote_of_mem lowered hx\n"
    );
}

/// The input shape of a chain graph as a Lean literal.
pub(super) fn input_shape(g: &Graph) -> String {
    let input = match &g.inputs().next().expect("a chain has an input").op {
        Op::Input { shape } => shape.clone(),
        _ => unreachable!("inputs are input nodes"),
    };
    format!("[{}]", input.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "))
}

/// The graph of a chain network and its parameter tensors (`graph`, `params`); returns the input
/// shape as a Lean literal.
pub(super) fn graph_params_defs(s: &mut String, g: &Graph) -> String {
    let (lit, names) = graph_literal(g);
    let shape = input_shape(g);
    let _ = writeln!(
        *s,
        "/-- The IR graph of the payload's network: value 0 is the input, value `k + 1` node `k`; nodes name\n\
         their parameters by index into `params`. -/"
    );
    let _ = writeln!(*s, "@[expose] def graph : Graph :=\n  {lit}\n");
    let values: Vec<String> = names
        .iter()
        .map(|name| {
            let t = g.tensor(name).expect("a built graph's params are stored");
            let dims = format!("[{}]", t.shape().iter().map(ToString::to_string).collect::<Vec<_>>().join(", "));
            let cols = t.shape().last().copied().unwrap_or(1).max(1);
            if t.shape().len() <= 1 {
                format!("⟨{dims}, decodeList (unpack {} {})⟩", t.data().len(), packed(t.data()))
            } else {
                let rows: Vec<String> = t.data().chunks(cols).map(packed).collect();
                format!("⟨{dims}, (decodeRows (unpackRows {cols} [{}])).flatten⟩", rows.join(", "))
            }
        })
        .collect();
    let _ = writeln!(
        *s,
        "/-- The graph's parameter tensors, in the order its nodes name them ({}): the payload's binary32\n\
         bits, decoded exactly. -/",
        names.join(", ")
    );
    let _ = writeln!(*s, "@[expose] noncomputable def params : List Value :=\n  [{}]\n", values.join(",\n   "));
    shape
}

/// `lowered` (the graph's dense view is `net`) and `graph_denotes`. `net`'s layers are the very
/// terms `chainNet` builds from the parameters, so `rfl` proves it by unfolding, without computing
/// a matrix (deciding the equality would build both sides' matrices and compare every entry).
fn chain_section(s: &mut String, g: &Graph) {
    let shape = input_shape(g);
    let _ = writeln!(
        *s,
        "/-- The graph is a chain whose dense view with these parameters is `net`, its input has shape\n\
         {shape}, and the input box has as many coordinates as that shape has elements. -/"
    );
    let _ = writeln!(
        *s,
        "theorem lowered : chainNet graph params = some net ∧ graph.inputs = [{shape}] ∧ box0.length = numel {shape} :=\n  \
         ⟨rfl, rfl, rfl⟩\n"
    );
    let _ = writeln!(
        *s,
        "/-- On the input box the graph's denotation, with the payload's tensors as parameters, is the\n\
         network's output. -/"
    );
    let _ = writeln!(
        *s,
        "theorem graph_denotes : ∀ x : List Rat, Box.Mem box0 x → denote graph params [x] = some [evalNet net x] :=\n  \
         fun _ hx => denote_of_chain_mem lowered hx\n"
    );
}

/// `certified_graph`: the certified fact `fact y` restated about the graph's denotation `y`.
pub(super) fn certified_graph(s: &mut String, mlp: &Dense, lowering: Lowering, fact: &str, what: &str) {
    let w = input_width(mlp);
    let params = lowering.params(w);
    let _ = writeln!(*s, "/-- **The certified fact, about the IR graph**: every real input in box 0 has a denotation\n{what}. -/");
    let _ = writeln!(
        *s,
        "theorem certified_graph : ∀ x : List Rat, Box.Mem box0 x →\n    \
         ∃ y, denote graph {params} [x] = some [y] ∧ {fact} :=\n  \
         fun x hx => ⟨evalNet net x, graph_denotes x hx, certified x hx⟩\n"
    );
}

/// The width of the network's input (the column count of its first weight matrix).
pub(super) fn input_width(mlp: &Dense) -> usize {
    mlp.layers.first().and_then(|l| l.weight.first()).map_or(0, Vec::len)
}
