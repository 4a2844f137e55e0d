//! The IR graph: lowering the demo MLP, exact and binary32 evaluation (cross-checked against a
//! reference loop and hardware f32 in the declared order), conv2d and pooling, shape errors, and
//! the canonical graph artifact.
use serde_json::json;
use torchlean::json::{canonical_bytes, sha256_ref};
use torchlean::artifact::{Artifact, Kind};
use torchlean::artifact::graph::{from_artifact, to_artifact};
use torchlean::ir::{Conv2d, Graph, GraphBuilder, Op, Pool2d, Tensor, TensorStore};
use torchlean::model::{Model, lower};
use torchlean::num::Q;
use torchlean::num::binary32::F32;
use torchlean::num::rational::to_canonical;

fn q(n: i64, d: i64) -> Q {
    Q::new(n.into(), d.into())
}

/// The exact rational of a binary32 given by bits.
fn qb(bits: u32) -> Q {
    F32(bits).to_rational().unwrap()
}

/// Asserts that `r` failed with exactly `want`, printing both on mismatch.
macro_rules! assert_err {
    ($r:expr, $want:expr) => {{
        match $r {
            Ok(v) => panic!("expected error {:?}, found Ok({v:?})", $want),
            Err(e) => assert_eq!(e.to_string(), $want),
        }
    }};
}

/// A store of f32 tensors given as host values (each exactly representable or rounded once).
fn store(tensors: &[(&str, Vec<usize>, Vec<f32>)]) -> TensorStore {
    let mut s = TensorStore::new();
    for (name, shape, data) in tensors {
        s.insert(name, Tensor::new(shape.clone(), data.iter().map(|&x| F32::from_f32(x)).collect()).unwrap()).unwrap();
    }
    s
}

#[test]
fn demo_lowers_to_the_linear_relu_identity_chain() {
    let g = lower(&Model::demo()).unwrap();
    let summary: Vec<String> = g
        .nodes()
        .iter()
        .map(|n| {
            format!("{} = {}({}; {}) : {:?}", n.id, n.op.name(), n.parents.join(", "), n.params.join(", "), n.shape)
        })
        .collect();
    assert_eq!(
        summary,
        [
            "x = input(; ) : [2]",
            "layers.0.linear = linear(x; layers.0.weight, layers.0.bias) : [3]",
            "layers.0.relu = relu(layers.0.linear; ) : [3]",
            "layers.1.linear = linear(layers.0.relu; layers.1.weight, layers.1.bias) : [1]",
            "layers.1.identity = identity(layers.1.linear; ) : [1]",
        ]
    );
    assert_eq!(g.outputs(), ["layers.1.identity"]);
}

#[test]
fn demo_exact_evaluation_equals_the_dense_view() {
    let m = Model::demo();
    let g = lower(&m).unwrap();
    let dense = torchlean::bounds::dense::Dense::of(&g).unwrap();
    let points =
        [[q(1, 1), q(1, 1)], [q(-1, 2), q(0, 1)], [q(1, 3), q(-7, 5)], [q(-2, 1), q(3, 4)], [q(0, 1), q(0, 1)]];
    for x in points {
        let y = g.eval_exact(&[Tensor::vector(x.to_vec())]).unwrap();
        assert_eq!(y.len(), 1);
        assert_eq!(y[0].shape(), [1]);
        assert_eq!(y[0].data(), dense.eval_exact(&x).unwrap().as_slice(), "at {x:?}");
    }
    let y = g.eval_exact(&[Tensor::vector(vec![q(1, 1), q(1, 1)])]).unwrap();
    assert_eq!(to_canonical(&y[0].data()[0]), "675540076645583/2251799813685248");
    // The payload artifact reads back to the same model, so to the same graph.
    let back = torchlean::artifact::payload::read(&torchlean::artifact::payload::write(&m)).unwrap();
    assert_eq!(lower(&back).unwrap(), g);
}

/// The demo in hardware f32, in the declared order: each row `((w0*x0) + w1*x1 …) + b`, products
/// rounded then added (Rust never contracts `a * b + c` into an FMA).
fn demo_hardware(x: [f32; 2]) -> f32 {
    let m = Model::demo();
    let t = |i: usize| m.tensors()[i].1.data().iter().map(|b| b.to_f32()).collect::<Vec<f32>>();
    let mut v = x.to_vec();
    // Layers 0 (relu) and 1 (identity): weight rows of the previous width, then the bias.
    for (k, relu) in [(0, true), (1, false)] {
        let (w, b) = (t(2 * k), t(2 * k + 1));
        let cols = v.len();
        v = w
            .chunks(cols)
            .zip(&b)
            .map(|(row, b)| {
                let mut acc = row[0] * v[0];
                for (w, xi) in row.iter().zip(&v).skip(1) {
                    acc += w * xi;
                }
                let y = acc + b;
                if !relu || y > 0.0 { y } else { 0.0 }
            })
            .collect();
    }
    v[0]
}

#[test]
fn demo_binary32_bits_match_hardware_in_the_declared_order() {
    let g = lower(&Model::demo()).unwrap();
    // (input bits, expected output bits, expected flags)
    let cases: [([u32; 2], u32, &str); 4] = [
        ([0x3f800000, 0x3f800000], OUT_1_1, "inexact"),   // x = [1, 1]
        ([0xbf000000, 0x00000000], OUT_H_0, "inexact"),   // x = [-0.5, 0]
        ([0x3dcccccd, 0xbf333333], OUT_01_07, "inexact"), // x = [0.1, -0.7]
        ([0xc0000000, 0x3f400000], OUT_2_075, "inexact"), // x = [-2, 0.75]
    ];
    for (x, want, flags) in cases {
        let xs = Tensor::vector(x.iter().map(|&b| F32(b)).collect());
        let r = g.eval_f32(&[xs]).unwrap();
        let got = r.value[0].data()[0];
        let hw = F32::from_f32(demo_hardware([F32(x[0]).to_f32(), F32(x[1]).to_f32()]));
        assert_eq!(got, hw, "softfloat {} vs hardware {} at {x:x?}", got.to_hex(), hw.to_hex());
        assert_eq!(got, F32(want), "at {x:x?}: found {}", got.to_hex());
        assert_eq!(r.status.to_string(), flags);
    }
}

const OUT_1_1: u32 = 0x3e99999c; // 0.30000007
const OUT_H_0: u32 = 0xbe99999a; // -0.3: the hidden layer is all zero, only the bias is left
const OUT_01_07: u32 = 0x3fa8f5c2; // 1.3199999
const OUT_2_075: u32 = 0xbfa8f5c2; // -1.3199999

/// The conv2d fixture: 1×4×4 input, 2 output channels, 3×3 kernel, stride 1, padding 1.
fn conv_fixture() -> (Graph, TensorStore, Vec<f32>, Vec<f32>, Vec<f32>) {
    let w: Vec<f32> =
        (0..18).map(|k| ((k * 7 % 11) as f32 - 5.0) * 0.125 + if k % 4 == 0 { 0.1 } else { 0.0 }).collect();
    let b = vec![0.3, -1.25];
    let x: Vec<f32> = (0..16).map(|k| ((k * 5 % 9) as f32 - 4.0) * 0.5 + if k % 3 == 0 { 0.7 } else { 0.0 }).collect();
    let st = store(&[("conv.weight", vec![2, 1, 3, 3], w.clone()), ("conv.bias", vec![2], b.clone())]);
    let mut gb = GraphBuilder::new(st.clone());
    gb.input("x", vec![1, 4, 4]).unwrap();
    let op = Op::Conv2d(Conv2d { in_channels: 1, out_channels: 2, kernel: [3, 3], stride: [1, 1], padding: [1, 1] });
    gb.node("conv", op, &["x"], &["conv.weight", "conv.bias"]).unwrap();
    let g = gb.finish(&["conv"]).unwrap();
    (g, st, w, b, x)
}

#[test]
fn conv2d_exact_matches_a_reference_loop() {
    let (g, _, w, b, x) = conv_fixture();
    assert_eq!(g.node("conv").unwrap().shape, vec![2, 4, 4]);
    let xq: Vec<Q> = x.iter().map(|&v| qb(v.to_bits())).collect();
    let y = g.eval_exact(&[Tensor::new(vec![1, 4, 4], xq.clone()).unwrap()]).unwrap();
    let mut want = Vec::new();
    for o in 0..2 {
        for r in 0..4i32 {
            for c in 0..4i32 {
                let mut acc = qb(b[o].to_bits());
                for ki in 0..3i32 {
                    for kj in 0..3i32 {
                        let (yy, xx) = (r + ki - 1, c + kj - 1);
                        if (0..4).contains(&yy) && (0..4).contains(&xx) {
                            acc += qb(w[o * 9 + (ki * 3 + kj) as usize].to_bits()) * &xq[(yy * 4 + xx) as usize];
                        }
                    }
                }
                want.push(acc);
            }
        }
    }
    assert_eq!(y[0].shape(), [2, 4, 4]);
    assert_eq!(y[0].data(), want.as_slice());
}

#[test]
fn conv2d_binary32_matches_hardware_in_the_declared_order() {
    let (g, _, w, b, x) = conv_fixture();
    let xs = Tensor::new(vec![1, 4, 4], x.iter().map(|&v| F32::from_f32(v)).collect()).unwrap();
    let got = g.eval_f32(&[xs]).unwrap().value.remove(0);
    let mut want = Vec::new();
    for o in 0..2 {
        for r in 0..4i32 {
            for c in 0..4i32 {
                // Padded positions are multiplied like any other (by +0), starting from the first product.
                let at = |yy: i32, xx: i32| {
                    if (0..4).contains(&yy) && (0..4).contains(&xx) { x[(yy * 4 + xx) as usize] } else { 0.0 }
                };
                let mut acc = w[o * 9] * at(r - 1, c - 1);
                for k in 1..9i32 {
                    acc += w[o * 9 + k as usize] * at(r + k / 3 - 1, c + k % 3 - 1);
                }
                want.push(F32::from_f32(acc + b[o]));
            }
        }
    }
    assert_eq!(got.data(), want.as_slice());
}

#[test]
fn pooling_is_exact() {
    let st = TensorStore::new();
    let mut gb = GraphBuilder::new(st.clone());
    gb.input("x", vec![1, 4, 4]).unwrap();
    gb.node("max", Op::MaxPool2d(Pool2d { kernel: [2, 2], stride: [2, 2] }), &["x"], &[]).unwrap();
    gb.node("avg", Op::AvgPool2d(Pool2d { kernel: [2, 2], stride: [2, 2] }), &["x"], &[]).unwrap();
    gb.node("avg3", Op::AvgPool2d(Pool2d { kernel: [3, 3], stride: [1, 1] }), &["x"], &[]).unwrap();
    let g = gb.finish(&["max", "avg", "avg3"]).unwrap();
    // x[r][c] = (4r + c + 1) / 4, except x[0][0] = -3.
    let mut x: Vec<Q> = (0..16).map(|k| q(k + 1, 4)).collect();
    x[0] = q(-3, 1);
    let y = g.eval_exact(&[Tensor::new(vec![1, 4, 4], x).unwrap()]).unwrap();
    let text = |t: &Tensor<Q>| t.data().iter().map(to_canonical).collect::<Vec<_>>();
    assert_eq!(y[0].shape(), [1, 2, 2]);
    assert_eq!(text(&y[0]), ["3/2", "2", "7/2", "4"]);
    // (-3 + 2/4 + 5/4 + 6/4) / 4 = 1/16; the others are window means of (4r + c + 1)/4.
    assert_eq!(text(&y[1]), ["1/16", "11/8", "23/8", "27/8"]);
    // 3×3 windows: (-3 + (2 + 3 + 5 + 6 + 7 + 9 + 10 + 11)/4) / 9 = 41/36, then
    // Σ(4r + c + 1)/36 over rows 0..2 × cols 1..3 = 63/36, rows 1..3 × cols 0..2 = 90/36, rows 1..3 × cols 1..3 = 99/36.
    assert_eq!(y[2].shape(), [1, 2, 2]);
    assert_eq!(text(&y[2]), ["41/36", "7/4", "5/2", "11/4"]);
}

#[test]
fn shape_errors_name_the_node_op_and_both_shapes() {
    let z = |n: usize| vec![0.0f32; n];
    let st = store(&[
        ("fc1.weight", vec![16, 4], z(64)),
        ("fc1.bias", vec![16], z(16)),
        ("fc2.weight", vec![8, 32], z(256)),
        ("fc2.bias", vec![8], z(8)),
        ("bad.bias", vec![9], z(9)),
        ("k", vec![2, 3], z(6)),
    ]);
    let mut gb = GraphBuilder::new(st.clone());
    gb.input("x", vec![4]).unwrap();
    gb.input("img", vec![3, 5, 5]).unwrap();
    gb.node("fc1", Op::Linear, &["x"], &["fc1.weight", "fc1.bias"]).unwrap();
    assert_err!(
        gb.node("fc2", Op::Linear, &["fc1"], &["fc2.weight", "fc2.bias"]),
        "node \"fc2\" (linear): expected input shape [32], found [16]"
    );
    assert_err!(
        gb.node("fc3", Op::Linear, &["x"], &["fc1.weight", "bad.bias"]),
        "node \"fc3\" (linear): param \"bad.bias\": expected shape [16], found [9]"
    );
    assert_err!(gb.node("s", Op::Add, &["x", "fc1"], &[]), "node \"s\" (add): expected input shape [4], found [16]");
    assert_err!(gb.node("s", Op::Add, &["x"], &[]), "node \"s\" (add): expected 2 parents, found 1");
    assert_err!(gb.node("r", Op::Relu, &["x"], &["k"]), "node \"r\" (relu): expected 0 params, found 1");
    assert_err!(
        gb.node("fc1", Op::Relu, &["x"], &[]),
        "node \"fc1\" (relu): expected a fresh id, found \"fc1\" defined earlier"
    );
    assert_err!(
        gb.node("r", Op::Relu, &["later"], &[]),
        "node \"r\" (relu): expected parent \"later\" to be an earlier node, found no such node"
    );
    assert_err!(
        gb.node("c", Op::Constant, &[], &["nope"]),
        "node \"c\" (constant): expected param \"nope\" in the tensor store, found no such tensor"
    );
    assert_err!(
        gb.node("mm", Op::Matmul, &["x", "x"], &[]),
        "node \"mm\" (matmul): expected a left operand of rank 2 ([m, k]), found [4]"
    );
    gb.node("k2", Op::Constant, &[], &["k"]).unwrap();
    assert_err!(
        gb.node("mm", Op::Matmul, &["k2", "k2"], &[]),
        "node \"mm\" (matmul): expected right operand shape [3, n], found [2, 3]"
    );
    let conv = Op::Conv2d(Conv2d { in_channels: 1, out_channels: 2, kernel: [3, 3], stride: [1, 1], padding: [0, 0] });
    assert_err!(
        gb.node("conv", conv, &["img"], &["fc1.weight", "fc1.bias"]),
        "node \"conv\" (conv2d): expected input shape [1, H, W] (in_channels = 1), found [3, 5, 5]"
    );
    let pool = Op::MaxPool2d(Pool2d { kernel: [6, 2], stride: [1, 1] });
    assert_err!(
        gb.node("p", pool, &["img"], &[]),
        "node \"p\" (maxpool2d): expected H + 2·padding ≥ kernel 6, found H = 5, padding = 0"
    );
    assert_err!(
        gb.node("cat", Op::Concat { axis: 0 }, &["img", "x"], &[]),
        "node \"cat\" (concat): expected parent 1 of shape [_, 5, 5], found [4]"
    );
    assert_err!(
        gb.node("rs", Op::Reshape { shape: vec![2, 3] }, &["x"], &[]),
        "node \"rs\" (reshape): expected an input with as many elements as [2, 3], found [4]"
    );
    gb.node("cat", Op::Concat { axis: 0 }, &["x", "fc1", "x"], &[]).unwrap();
    gb.node("t", Op::Tanh, &["cat"], &[]).unwrap();
    assert_err!(gb.finish(&["t", "u"]), "outputs[1]: expected a node id, found \"u\"");
}

#[test]
fn ops_without_exact_semantics_are_refused_by_name() {
    let st = store(&[("ln.w", vec![2], vec![1.0, 1.0]), ("ln.b", vec![2], vec![0.0, 0.0])]);
    for (op, params, name) in [
        (Op::Gelu, vec![], "gelu"),
        (Op::Tanh, vec![], "tanh"),
        (Op::Sigmoid, vec![], "sigmoid"),
        (Op::Softmax, vec![], "softmax"),
        (Op::LayerNorm { eps: q(1, 100000) }, vec!["ln.w", "ln.b"], "layernorm"),
    ] {
        let mut gb = GraphBuilder::new(st.clone());
        gb.input("x", vec![2]).unwrap();
        gb.node("y", op, &["x"], &params).unwrap();
        let g = gb.finish(&["y"]).unwrap();
        assert_err!(
            g.eval_exact(&[Tensor::vector(vec![q(1, 2), q(-1, 1)])]),
            format!("node \"y\" ({name}): op {name} has no exact rational semantics")
        );
    }
}

#[test]
fn rational_ops_evaluate_exactly() {
    let st = store(&[("c", vec![2, 3], vec![1.0, -2.0, 0.5, 3.0, 0.25, -1.0])]);
    let mut gb = GraphBuilder::new(st.clone());
    gb.input("a", vec![3, 2]).unwrap();
    gb.node("c", Op::Constant, &[], &["c"]).unwrap();
    gb.node("mm", Op::Matmul, &["c", "a"], &[]).unwrap(); // [2, 2]
    gb.node("t", Op::Transpose, &["mm"], &[]).unwrap();
    gb.node("d", Op::Sub, &["mm", "t"], &[]).unwrap();
    gb.node("p", Op::Mul, &["d", "d"], &[]).unwrap();
    gb.node("f", Op::Flatten, &["p"], &[]).unwrap();
    gb.node("r", Op::Relu, &["f"], &[]).unwrap();
    gb.node("cat", Op::Concat { axis: 1 }, &["mm", "t"], &[]).unwrap(); // [2, 4]
    gb.node("rs", Op::Reshape { shape: vec![4, 2] }, &["cat"], &[]).unwrap();
    let g = gb.finish(&["mm", "d", "r", "rs"]).unwrap();
    let a: Vec<Q> = [q(1, 3), q(2, 1), q(-1, 2), q(0, 1), q(5, 1), q(1, 7)].into();
    let y = g.eval_exact(&[Tensor::new(vec![3, 2], a).unwrap()]).unwrap();
    let text = |t: &Tensor<Q>| t.data().iter().map(to_canonical).collect::<Vec<_>>();
    // c·a = [[1/3 + 1 + 5/2, 2 + 0 + 1/14], [1 - 1/8 - 5, 6 + 0 - 1/7]]
    assert_eq!(text(&y[0]), ["23/6", "29/14", "-33/8", "41/7"]);
    // d = mm − mmᵀ: d[0][1] = 29/14 + 33/8 = 347/56.
    assert_eq!(text(&y[1]), ["0", "347/56", "-347/56", "0"]);
    assert_eq!(text(&y[2]), ["0", "120409/3136", "120409/3136", "0"]);
    assert_eq!(y[3].shape(), [4, 2]);
    assert_eq!(text(&y[3]), ["23/6", "29/14", "23/6", "-33/8", "-33/8", "41/7", "29/14", "41/7"]);
}

#[test]
fn layernorm_binary32_is_softfloat_in_the_declared_order() {
    let st = store(&[("ln.w", vec![3], vec![1.5, -0.5, 2.0]), ("ln.b", vec![3], vec![0.1, 0.0, -0.25])]);
    let mut gb = GraphBuilder::new(st.clone());
    gb.input("x", vec![3]).unwrap();
    gb.node("ln", Op::LayerNorm { eps: q(1, 100000) }, &["x"], &["ln.w", "ln.b"]).unwrap();
    let g = gb.finish(&["ln"]).unwrap();
    let x = [0.3f32, -1.7, 2.25];
    let got = g.eval_f32(&[Tensor::vector(x.iter().map(|&v| F32::from_f32(v)).collect())]).unwrap();
    // Hardware f32 in the same order (sqrt and division are correctly rounded in hardware too).
    let n = 3.0f32;
    let mean = (x[0] + x[1] + x[2]) / n;
    let d = x.map(|v| v - mean);
    let var = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]) / n;
    let rstd = 1.0 / (var + F32::from_rational(&q(1, 100000)).value.to_f32()).sqrt();
    let (w, b) = ([1.5f32, -0.5, 2.0], [0.1f32, 0.0, -0.25]);
    let want: Vec<F32> = (0..3).map(|i| F32::from_f32(d[i] * rstd * w[i] + b[i])).collect();
    assert_eq!(got.value[0].data(), want.as_slice());
}

#[test]
fn demo_graph_artifact_is_canonical_and_round_trips() {
    let m = Model::demo();
    let g = lower(&m).unwrap();
    let payload = sha256_ref(&canonical_bytes(&torchlean::artifact::payload::write(&m)).unwrap());
    assert_eq!(payload, "sha256:c49c75e3b31e55957dbe87eedf5e462446efe3f4ea0420848e8b00cfa945beac");
    let art = to_artifact(&g, &payload);
    let bytes = canonical_bytes(&art).unwrap();
    assert_eq!(String::from_utf8(bytes.clone()).unwrap(), GRAPH_JSON);
    assert_eq!(sha256_ref(&bytes), GRAPH_SHA);
    let read = Artifact::read(&art).unwrap();
    assert_eq!(read.kind(), Kind::Graph);
    assert_eq!(read.references()[0].sha256, payload);
    let (back, p) = from_artifact(&art, g.tensors().clone()).unwrap();
    assert_eq!((back, p), (g, payload));
}

#[test]
fn graph_artifact_with_attrs_round_trips() {
    let (g, st, ..) = conv_fixture();
    let mut gb = GraphBuilder::new(st.clone());
    gb.input("x", vec![1, 4, 4]).unwrap();
    let conv = g.node("conv").unwrap();
    gb.node("conv", conv.op.clone(), &["x"], &["conv.weight", "conv.bias"]).unwrap();
    gb.node("pool", Op::AvgPool2d(Pool2d { kernel: [2, 2], stride: [2, 2] }), &["conv"], &[]).unwrap();
    gb.node("flat", Op::Flatten, &["pool"], &[]).unwrap();
    gb.node("ln", Op::LayerNorm { eps: q(1, 100000) }, &["flat"], &[]).unwrap_err();
    let g = gb.finish(&["flat"]).unwrap();
    let h = format!("sha256:{}", "0".repeat(64));
    let art = to_artifact(&g, &h);
    assert_eq!(
        art["nodes"][0]["attrs"],
        json!({"in_channels": 1, "kernel": [3, 3], "out_channels": 2, "padding": [1, 1], "stride": [1, 1]})
    );
    assert_eq!(art["nodes"][1]["attrs"], json!({"kernel": [2, 2], "stride": [2, 2]}));
    assert_eq!(from_artifact(&art, st.clone()).unwrap().0, g);
    // A store whose tensor has another shape is rejected with the node and the artifact path.
    let other = store(&[("conv.weight", vec![2, 1, 2, 2], vec![0.0; 8]), ("conv.bias", vec![2], vec![0.0; 2])]);
    assert_err!(
        from_artifact(&art, other),
        "nodes[0]: node \"conv\" (conv2d): param \"conv.weight\": expected shape [2, 1, 3, 3], found [2, 1, 2, 2]"
    );
}

/// The demo's graph artifact, 607 bytes; `printf '%s' '<it>' | sha256sum` gives [`GRAPH_SHA`].
const GRAPH_JSON: &str = r#"{"format":"torchlean.graph.v1","inputs":[{"name":"x","shape":[2]}],"nodes":[{"attrs":{},"id":"layers.0.linear","inputs":["x"],"op":"linear","params":["layers.0.weight","layers.0.bias"]},{"attrs":{},"id":"layers.0.relu","inputs":["layers.0.linear"],"op":"relu","params":[]},{"attrs":{},"id":"layers.1.linear","inputs":["layers.0.relu"],"op":"linear","params":["layers.1.weight","layers.1.bias"]},{"attrs":{},"id":"layers.1.identity","inputs":["layers.1.linear"],"op":"identity","params":[]}],"outputs":["layers.1.identity"],"payload":"sha256:c49c75e3b31e55957dbe87eedf5e462446efe3f4ea0420848e8b00cfa945beac"}"#;
const GRAPH_SHA: &str = "sha256:2c0c731f34ddfb9d3efa93bba30d9ac709ecc8e797e914a7b74c710d08a93522";

#[test]
fn host_math_ops_round_f64_once_including_gelu() {
    let st = TensorStore::new();
    let mut gb = GraphBuilder::new(st.clone());
    gb.input("x", vec![3]).unwrap();
    gb.node("t", Op::Tanh, &["x"], &[]).unwrap();
    gb.node("s", Op::Sigmoid, &["x"], &[]).unwrap();
    gb.node("p", Op::Softmax, &["x"], &[]).unwrap();
    let g = gb.finish(&["t", "s", "p"]).unwrap();
    let x = [0.5f32, -2.0, 1.25];
    let r = g.eval_f32(&[Tensor::vector(x.iter().map(|&v| F32::from_f32(v)).collect())]).unwrap();
    let once = |v: f64| F32::from_f64(v).value;
    let xd = x.map(f64::from);
    let tanh: Vec<F32> = xd.iter().map(|v| once(v.tanh())).collect();
    let sig: Vec<F32> = xd.iter().map(|v| once(1.0 / (1.0 + (-v).exp()))).collect();
    let e = xd.map(|v| (v - 1.25).exp());
    let soft: Vec<F32> = e.iter().map(|v| once(v / (e[0] + e[1] + e[2]))).collect();
    assert_eq!(r.value[0].data(), tanh.as_slice());
    assert_eq!(r.value[1].data(), sig.as_slice());
    assert_eq!(r.value[2].data(), soft.as_slice());

    let mut gb = GraphBuilder::new(st.clone());
    gb.input("x", vec![1]).unwrap();
    gb.node("g", Op::Gelu, &["x"], &[]).unwrap();
    let g = gb.finish(&["g"]).unwrap();
    // gelu: (0.5·x)·(1 + libm::erf(x·FRAC_1_SQRT_2)) in f64, rounded once (docs/ir.md).
    assert_eq!(g.eval_f32(&[Tensor::vector(vec![F32::ONE])]).unwrap().value[0].data(), [F32(0x3f57625f)]);
    assert_err!(
        g.eval_f32(&[Tensor::vector(vec![F32::ONE, F32::ONE])]),
        "input \"x\": expected shape [1], found [2]"
    );
}
