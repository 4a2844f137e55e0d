//! `lean/TorchLean/IR/GraphExamples.lean` is generated from the Rust IR and its exact evaluator:
//! the kernel checks that Lean's `denote` gives the Rust outputs. This test regenerates the module
//! and demands byte equality with the committed one (`TORCHLEAN_BLESS=1` rewrites it).
use torchlean::cli::codegen::arch_graph;
use torchlean::ir::{Conv2d, GraphBuilder, Op, Pool2d, Tensor, TensorStore};
use torchlean::num::Q;
use torchlean::num::binary32::F32;

fn q(n: i64, d: i64) -> Q {
    Q::new(n.into(), d.into())
}

fn bits(v: f32) -> F32 {
    F32(v.to_bits())
}

#[test]
fn graph_examples_module_is_the_generated_one() {
    let linear = arch_graph("linear").unwrap();
    let mlp = arch_graph("mlp").unwrap();
    let sum = arch_graph("sum").unwrap();
    // Every other op with an exact Lean denotation, in one graph.
    let mut store = TensorStore::new();
    store.insert("m", Tensor::new(vec![3, 2], [0.5, -1.0, 0.25, 2.0, -0.75, 1.5].map(bits).to_vec()).unwrap()).unwrap();
    let mut b = GraphBuilder::new(store);
    b.input("x", vec![2, 3]).unwrap();
    b.node("c", Op::Constant, &[], &["m"]).unwrap();
    b.node("p", Op::Matmul, &["x", "c"], &[]).unwrap();
    b.node("t", Op::Transpose, &["p"], &[]).unwrap();
    b.node("d", Op::Sub, &["p", "t"], &[]).unwrap();
    b.node("e", Op::Mul, &["d", "p"], &[]).unwrap();
    b.node("r", Op::Reshape { shape: vec![4] }, &["e"], &[]).unwrap();
    b.node("f", Op::Flatten, &["r"], &[]).unwrap();
    b.node("h", Op::Relu, &["f"], &[]).unwrap();
    let ops = b.finish(&["h", "t"]).unwrap();
    let cnn = arch_graph("cnn").unwrap();
    // Rectangular windows, unequal strides and padding, both pools, then slices joined back.
    let mut wstore = TensorStore::new();
    let cw: Vec<F32> = (0..2 * 2 * 2 * 3).map(|k| bits(((k * 5 % 9) as f32 - 4.0) / 4.0)).collect();
    wstore.insert("cw", Tensor::new(vec![2, 2, 2, 3], cw).unwrap()).unwrap();
    wstore.insert("cb", Tensor::new(vec![2], vec![bits(0.5), bits(-0.25)]).unwrap()).unwrap();
    let mut b = GraphBuilder::new(wstore);
    b.input("x", vec![2, 4, 5]).unwrap();
    let conv = Conv2d { in_channels: 2, out_channels: 2, kernel: [2, 3], stride: [2, 1], padding: [1, 0] };
    b.node("conv", Op::Conv2d(conv), &["x"], &["cw", "cb"]).unwrap();
    b.node("mp", Op::MaxPool2d(Pool2d { kernel: [2, 2], stride: [1, 1] }), &["conv"], &[]).unwrap();
    b.node("ap", Op::AvgPool2d(Pool2d { kernel: [1, 2], stride: [1, 2] }), &["x"], &[]).unwrap();
    b.node("top", Op::Slice { axis: 1, start: 0, end: 1 }, &["ap"], &[]).unwrap();
    b.node("rest", Op::Slice { axis: 1, start: 1, end: 2 }, &["mp"], &[]).unwrap();
    b.node("cat", Op::Concat { axis: 1 }, &["rest", "top", "mp"], &[]).unwrap();
    b.node("tail", Op::Slice { axis: 2, start: 1, end: 2 }, &["ap"], &[]).unwrap();
    b.node("cat2", Op::Concat { axis: 2 }, &["cat", "tail"], &[]).unwrap();
    b.node("scaled", Op::ScaleRsqrt { n: 16 }, &["cat2"], &[]).unwrap();
    let windows = b.finish(&["scaled", "ap"]).unwrap();
    let cnn_in: Vec<Q> = (0..64).map(|k| q((k * 7 % 13) - 6, 4)).collect();
    let win_in: Vec<Q> = (0..40).map(|k| q((k * 3 % 11) - 5, 2)).collect();
    let text = torchlean::lean::emit::graph_examples_module(&[
        ("linear", &linear, vec![q(1, 2), q(-1, 1), q(1, 4), q(3, 4)]),
        ("mlp", &mlp, vec![q(1, 2), q(-1, 1), q(1, 4), q(3, 4)]),
        ("sum", &sum, vec![q(1, 1), q(-1, 2), q(3, 8), q(2, 1)]),
        ("ops", &ops, vec![q(1, 2), q(-1, 1), q(3, 4), q(2, 1), q(-1, 4), q(1, 1)]),
        ("cnn", &cnn, cnn_in),
        ("windows", &windows, win_in),
    ])
    .unwrap();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/lean/TorchLean/IR/GraphExamples.lean");
    if std::env::var_os("TORCHLEAN_BLESS").is_some() {
        std::fs::write(path, &text).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(committed == text, "{path} is stale: regenerate with TORCHLEAN_BLESS=1 cargo test --test ir_lean");
}
