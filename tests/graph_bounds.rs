//! Bounds over IR graphs: every bound rule on random boxes of small random graphs must contain the
//! exact output at sampled points of the box (the box's corners first, then random points).
#[path = "support/rng.rs"]
mod rng;

use rng::Rng;
use torchlean::bounds::graph_ibp::ibp_graph;
use torchlean::ir::{Conv2d, Graph, GraphBuilder, Op, Pool2d, Tensor, TensorStore};
use torchlean::num::Q;
use torchlean::num::binary32::F32;
use num_traits::Signed;
use torchlean::num::interval::{Box, Interval};

/// A random binary32 weight in about ±1 (a multiple of 2^-10, so exact rationals stay short).
fn weight(rng: &mut Rng) -> F32 {
    let k = rng.below(2049) as i64 - 1024;
    F32::from_rational(&Q::new(k.into(), 1024.into())).value
}

fn tensor(rng: &mut Rng, shape: Vec<usize>) -> Tensor<F32> {
    let n = shape.iter().product();
    Tensor::new(shape, (0..n).map(|_| weight(rng)).collect()).unwrap()
}

/// A random box of `n` coordinates: centers in [−1, 1], radii in [0, 1/2], ends multiples of 2^-8.
fn random_box(rng: &mut Rng, n: usize) -> Box {
    (0..n)
        .map(|_| {
            let c = rng.below(513) as i64 - 256;
            let r = rng.below(129) as i64;
            Interval::new(Q::new((c - r).into(), 256.into()), Q::new((c + r).into(), 256.into()))
        })
        .collect()
}

/// Sample points of `b`: the corners of its first coordinates' sub-box (up to 16), then random
/// points with 16-bit steps.
fn samples(rng: &mut Rng, b: &Box, count: usize) -> Vec<Vec<Q>> {
    let mut out = Vec::new();
    let corners = 1usize << b.len().min(4);
    for m in 0..corners {
        out.push(b.iter().enumerate().map(|(i, iv)| if i < 4 && (m >> i) & 1 == 1 { iv.hi.clone() } else { iv.lo.clone() }).collect());
    }
    for _ in 0..count {
        out.push(
            b.iter()
                .map(|iv| &iv.lo + (&iv.hi - &iv.lo) * Q::new((rng.below(65537) as i64).into(), 65536.into()))
                .collect(),
        );
    }
    out
}

/// Checks that IBP over `b` contains the exact output of `g` at every sample.
fn assert_contains(name: &str, g: &Graph, b: &Box, rng: &mut Rng) {
    let out = ibp_graph(g, std::slice::from_ref(b)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let shape = match &g.inputs().next().unwrap().op {
        Op::Input { shape } => shape.clone(),
        _ => unreachable!(),
    };
    for (k, x) in samples(rng, b, 48).into_iter().enumerate() {
        let y = g.eval_exact(&[Tensor::new(shape.clone(), x).unwrap()]).unwrap();
        for (o, (t, bx)) in y.iter().zip(&out).enumerate() {
            assert_eq!(t.data().len(), bx.len(), "{name}: output {o} size");
            for (i, (v, iv)) in t.data().iter().zip(bx).enumerate() {
                assert!(iv.contains(v), "{name}: sample {k}, output {o}[{i}] = {v} outside [{}, {}]", iv.lo, iv.hi);
            }
        }
    }
}

fn store(rng: &mut Rng, shapes: &[(&str, Vec<usize>)]) -> TensorStore {
    let mut s = TensorStore::new();
    for (name, shape) in shapes {
        s.insert(name, tensor(rng, shape.clone())).unwrap();
    }
    s
}

/// conv2d (channels, stride, padding) → relu → avgpool → flatten → linear.
fn conv_avg(rng: &mut Rng) -> Graph {
    let st = store(rng, &[("cw", vec![3, 2, 3, 3]), ("cb", vec![3]), ("lw", vec![2, 12]), ("lb", vec![2])]);
    let mut b = GraphBuilder::new(st);
    b.input("x", vec![2, 5, 5]).unwrap();
    let c = Conv2d { in_channels: 2, out_channels: 3, kernel: [3, 3], stride: [2, 2], padding: [1, 1] };
    b.node("conv", Op::Conv2d(c), &["x"], &["cw", "cb"]).unwrap();
    b.node("relu", Op::Relu, &["conv"], &[]).unwrap();
    b.node("pool", Op::AvgPool2d(Pool2d { kernel: [2, 2], stride: [1, 1] }), &["relu"], &[]).unwrap();
    b.node("flat", Op::Flatten, &["pool"], &[]).unwrap();
    b.node("out", Op::Linear, &["flat"], &["lw", "lb"]).unwrap();
    b.finish(&["out"]).unwrap()
}

/// conv2d → maxpool (overlapping windows) → reshape.
fn conv_max(rng: &mut Rng) -> Graph {
    let st = store(rng, &[("cw", vec![2, 1, 2, 2]), ("cb", vec![2])]);
    let mut b = GraphBuilder::new(st);
    b.input("x", vec![1, 4, 4]).unwrap();
    let c = Conv2d { in_channels: 1, out_channels: 2, kernel: [2, 2], stride: [1, 1], padding: [0, 0] };
    b.node("conv", Op::Conv2d(c), &["x"], &["cw", "cb"]).unwrap();
    b.node("pool", Op::MaxPool2d(Pool2d { kernel: [2, 2], stride: [1, 1] }), &["conv"], &[]).unwrap();
    b.node("r", Op::Reshape { shape: vec![8] }, &["pool"], &[]).unwrap();
    b.finish(&["r"]).unwrap()
}

/// A residual block: `relu(x + linear2(relu(linear1(x))))`, and `x − linear1(x)` beside it.
fn residual(rng: &mut Rng) -> Graph {
    let st = store(rng, &[("w1", vec![4, 4]), ("b1", vec![4]), ("w2", vec![4, 4]), ("b2", vec![4])]);
    let mut b = GraphBuilder::new(st);
    b.input("x", vec![4]).unwrap();
    b.node("l1", Op::Linear, &["x"], &["w1", "b1"]).unwrap();
    b.node("h", Op::Relu, &["l1"], &[]).unwrap();
    b.node("l2", Op::Linear, &["h"], &["w2", "b2"]).unwrap();
    b.node("sum", Op::Add, &["x", "l2"], &[]).unwrap();
    b.node("y", Op::Relu, &["sum"], &[]).unwrap();
    b.node("d", Op::Sub, &["x", "l1"], &[]).unwrap();
    b.finish(&["y", "d"]).unwrap()
}

/// Products of variables, matmul, transpose, slices, concat and `scale_rsqrt`.
fn tensor_ops(rng: &mut Rng) -> Graph {
    let st = store(rng, &[("c", vec![3, 2])]);
    let mut b = GraphBuilder::new(st);
    b.input("x", vec![2, 3]).unwrap();
    b.node("sq", Op::Mul, &["x", "x"], &[]).unwrap();
    b.node("k", Op::Constant, &[], &["c"]).unwrap();
    b.node("p", Op::Matmul, &["x", "k"], &[]).unwrap();
    b.node("t", Op::Transpose, &["p"], &[]).unwrap();
    b.node("pp", Op::Matmul, &["p", "t"], &[]).unwrap();
    b.node("s0", Op::Slice { axis: 1, start: 0, end: 1 }, &["sq"], &[]).unwrap();
    b.node("cat", Op::Concat { axis: 1 }, &["s0", "p"], &[]).unwrap();
    b.node("sc", Op::ScaleRsqrt { n: 9 }, &["cat"], &[]).unwrap();
    b.finish(&["pp", "sc"]).unwrap()
}

#[test]
fn graph_ibp_contains_sampled_exact_outputs_for_every_exact_op() {
    let mut rng = Rng(0x1b9_5eed);
    for round in 0..6 {
        let g = conv_avg(&mut rng);
        let b = random_box(&mut rng, 50);
        assert_contains(&format!("conv_avg #{round}"), &g, &b, &mut rng);
        let g = conv_max(&mut rng);
        let b = random_box(&mut rng, 16);
        assert_contains(&format!("conv_max #{round}"), &g, &b, &mut rng);
        let g = residual(&mut rng);
        let b = random_box(&mut rng, 4);
        assert_contains(&format!("residual #{round}"), &g, &b, &mut rng);
        let g = tensor_ops(&mut rng);
        let b = random_box(&mut rng, 6);
        assert_contains(&format!("tensor_ops #{round}"), &g, &b, &mut rng);
    }
}

#[test]
fn graph_ibp_on_a_point_box_is_the_exact_value() {
    // Every op's interval rule is exact on points (up to the 64-bit outward rounding).
    let mut rng = Rng(7);
    let g = conv_avg(&mut rng);
    let x: Vec<Q> = (0..50).map(|k| Q::new(((k * 37 % 101) as i64 - 50).into(), 64.into())).collect();
    let b: Box = x.iter().cloned().map(Interval::point).collect();
    let out = ibp_graph(&g, &[b]).unwrap();
    let y = g.eval_exact(&[Tensor::new(vec![2, 5, 5], x).unwrap()]).unwrap();
    for (v, iv) in y[0].data().iter().zip(&out[0]) {
        assert!(iv.contains(v));
        assert!(&iv.hi - &iv.lo <= v.clone().abs() * Q::new(1.into(), (1u64 << 60).into()) + Q::new(1.into(), (1u64 << 62).into()));
    }
}

#[test]
fn an_op_without_an_interval_rule_is_refused_naming_its_node() {
    let mut b = GraphBuilder::new(TensorStore::new());
    b.input("x", vec![2, 2]).unwrap();
    b.node("m", Op::CausalMask, &["x"], &[]).unwrap();
    let g = b.finish(&["m"]).unwrap();
    let e = ibp_graph(&g, &[vec![Interval::point(Q::from_integer(0.into())); 4]]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "node \"m\" (causal_mask): op causal_mask has no interval rule here (it adds −∞, which no rational interval holds)"
    );
}

/// The JSON of `tests/data/gen_smooth_graph_reference.py`: two graphs with smooth ops, a box, points
/// in it and the outputs there computed with mpmath at 60 digits.
fn smooth_reference() -> serde_json::Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/smooth_graph_reference.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn rat(v: &serde_json::Value) -> Q {
    torchlean::num::rational::parse_exact(v.as_str().unwrap()).unwrap()
}

fn f32_tensor(v: &serde_json::Value, shape: Vec<usize>) -> Tensor<F32> {
    let data: Vec<F32> = v.as_array().unwrap().iter().map(|x| F32::from_rational(&rat(x)).value).collect();
    Tensor::new(shape, data).unwrap()
}

/// Whether the 60-digit reference `v` lies in `iv`, allowing 1e-50 relative for its own rounding.
fn contains_reference(iv: &Interval, v: &Q) -> bool {
    let tol = v.abs() * Q::new(1.into(), num_bigint::BigInt::from(10).pow(50)) + Q::new(1.into(), num_bigint::BigInt::from(10).pow(55));
    &iv.lo - &tol <= *v && *v <= &iv.hi + &tol
}

#[test]
fn gelu_tanh_sigmoid_softmax_and_layernorm_enclose_60_digit_references() {
    let r = smooth_reference();
    let ball = |g: &serde_json::Value| -> Box {
        let rad = rat(&g["radius"]);
        g["center"].as_array().unwrap().iter().map(|c| Interval::new(rat(c) - &rad, rat(c) + &rad)).collect()
    };
    // x[3] → linear(4) → gelu → linear(4) → tanh → linear(3) → {sigmoid, softmax}.
    let m = &r["mlp"];
    let t = &m["tensors"];
    let mut st = TensorStore::new();
    for (name, shape) in [("w1", vec![4, 3]), ("b1", vec![4]), ("w2", vec![4, 4]), ("b2", vec![4]), ("w3", vec![3, 4]), ("b3", vec![3])] {
        st.insert(name, f32_tensor(&t[name], shape)).unwrap();
    }
    let mut b = GraphBuilder::new(st);
    b.input("x", vec![3]).unwrap();
    b.node("l1", Op::Linear, &["x"], &["w1", "b1"]).unwrap();
    b.node("g", Op::Gelu, &["l1"], &[]).unwrap();
    b.node("l2", Op::Linear, &["g"], &["w2", "b2"]).unwrap();
    b.node("t", Op::Tanh, &["l2"], &[]).unwrap();
    b.node("l3", Op::Linear, &["t"], &["w3", "b3"]).unwrap();
    b.node("s", Op::Sigmoid, &["l3"], &[]).unwrap();
    b.node("sm", Op::Softmax, &["l3"], &[]).unwrap();
    let g = b.finish(&["s", "sm"]).unwrap();
    let out = ibp_graph(&g, &[ball(m)]).unwrap();
    let mut checked = 0;
    for (k, outs) in m["outputs"].as_array().unwrap().iter().enumerate() {
        for (o, vals) in outs.as_array().unwrap().iter().enumerate() {
            for (i, v) in vals.as_array().unwrap().iter().enumerate() {
                let v = rat(v);
                assert!(contains_reference(&out[o][i], &v), "mlp point {k} output {o}[{i}]: {v} outside [{}, {}]", out[o][i].lo, out[o][i].hi);
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 24 * 6);
    // Softmax rows sum to one: the boxes must straddle that, and none is the trivial [0, 1].
    assert!(out[1].iter().map(|iv| iv.lo.clone()).sum::<Q>() <= Q::from_integer(1.into()));
    assert!(out[1].iter().all(|iv| iv.lo > Q::from_integer(0.into()) && iv.hi < Q::from_integer(1.into())));
    // x[4] → layernorm.
    let n = &r["norm"];
    let mut st = TensorStore::new();
    st.insert("w", f32_tensor(&n["tensors"]["w"], vec![4])).unwrap();
    st.insert("b", f32_tensor(&n["tensors"]["b"], vec![4])).unwrap();
    let mut b = GraphBuilder::new(st);
    b.input("x", vec![4]).unwrap();
    b.node("ln", Op::LayerNorm { eps: Q::new(1.into(), 100000.into()) }, &["x"], &["w", "b"]).unwrap();
    let g = b.finish(&["ln"]).unwrap();
    let out = ibp_graph(&g, &[ball(n)]).unwrap();
    for (k, vals) in n["outputs"].as_array().unwrap().iter().enumerate() {
        for (i, v) in vals.as_array().unwrap().iter().enumerate() {
            let v = rat(v);
            assert!(contains_reference(&out[0][i], &v), "layernorm point {k} output {i}: {v} outside [{}, {}]", out[0][i].lo, out[0][i].hi);
        }
    }
}

#[test]
fn the_envelopes_module_is_the_generated_one() {
    let text = torchlean::bounds::envelope::envelopes_module();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/lean/TorchLean/Bounds/Envelopes.lean");
    if std::env::var_os("TORCHLEAN_BLESS").is_some() {
        std::fs::write(path, &text).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(committed == text, "{path} is stale: regenerate with TORCHLEAN_BLESS=1 cargo test --test graph_bounds envelopes");
}

/// Every piece's lines enclose the function at the 60-digit reference points inside it, and the
/// enclosure's image of random intervals contains the function at their sampled points.
#[test]
fn the_envelopes_enclose_the_functions_at_60_digit_references() {
    use torchlean::bounds::envelope::Envelope;
    use torchlean::num::elementary::Smooth;
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/smooth_reference.json");
    let r: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let points = r["points"].as_array().unwrap();
    let mut inside = 0;
    for (f, key) in [(Smooth::Tanh, "tanh"), (Smooth::Sigmoid, "sigmoid"), (Smooth::Gelu, "gelu")] {
        let env = Envelope::of(f);
        for p in points {
            let x = rat(&p["x"]);
            let tiny = p["tiny"].as_array().is_some_and(|t| t.iter().any(|k| k == key));
            let Some(piece) = env.pieces.iter().find(|pc| pc.lo <= x && x <= pc.hi) else { continue };
            if tiny {
                continue;
            }
            let v = rat(&p[key]);
            let (lo, hi) = (&piece.al * &x + &piece.bl, &piece.ah * &x + &piece.bh);
            assert!(contains_reference(&Interval::new(lo.clone(), hi.clone()), &v), "{key}({x}) = {v} outside [{lo}, {hi}]");
            // The image of a small interval around x holds f(x) too.
            let iv = env.image(&Interval::new(&x - Q::new(1.into(), 7.into()), &x + Q::new(1.into(), 9.into())));
            if let Ok(iv) = iv {
                assert!(contains_reference(&iv, &v), "{key} image around {x} misses {v}");
            }
            inside += 1;
        }
        // Tight where it matters: the pieces on [−8, 8] are 1/16 wide and their lines within 1e-3.
        let widest = env
            .pieces
            .iter()
            .filter(|p| p.lo >= Q::from_integer((-8).into()) && p.hi <= Q::from_integer(8.into()))
            .map(|p| {
                let g = |z: &Q| (&p.ah * z + &p.bh) - (&p.al * z + &p.bl);
                g(&p.lo).max(g(&p.hi))
            })
            .max()
            .unwrap();
        assert!(widest < Q::new(1.into(), 1000.into()), "{key}: gap {widest}");
    }
    assert!(inside > 300, "{inside} reference points inside the spans");
}

/// IBP through the enclosures (the boxes an `envLeafOk` certificate claims) contains, at sampled
/// points of random boxes of random mlps with tanh, sigmoid, gelu and relu layers, the graph's
/// 64-bit enclosure of the real output there (so the real output too).
#[test]
fn enclosure_ibp_contains_sampled_outputs_of_smooth_mlps() {
    use torchlean::bounds::dense::SmoothDense;
    use torchlean::bounds::envelope::ibp_env_rounded;
    let mut rng = Rng(0x5eed_e4e1);
    let acts = [Op::Tanh, Op::Sigmoid, Op::Gelu, Op::Relu];
    let mut checked = 0;
    for t in 0..12 {
        let widths = [3, 2 + rng.below(4) as usize, 2 + rng.below(4) as usize, 2];
        let mut shapes = Vec::new();
        for i in 0..3 {
            shapes.push((format!("w{i}"), vec![widths[i + 1], widths[i]]));
            shapes.push((format!("b{i}"), vec![widths[i + 1]]));
        }
        let shapes: Vec<(&str, Vec<usize>)> = shapes.iter().map(|(n, s)| (n.as_str(), s.clone())).collect();
        let mut b = GraphBuilder::new(store(&mut rng, &shapes));
        b.input("x", vec![3]).unwrap();
        let mut prev = String::from("x");
        for i in 0..3 {
            let lin = format!("l{i}");
            b.node(&lin, Op::Linear, &[&prev], &[&format!("w{i}"), &format!("b{i}")]).unwrap();
            prev = lin;
            if i < 2 {
                let a = format!("a{i}");
                b.node(&a, acts[(t + i) % acts.len()].clone(), &[&prev], &[]).unwrap();
                prev = a;
            }
        }
        let g = b.finish(&[&prev]).unwrap();
        let net = SmoothDense::of(&g).unwrap();
        let bx = random_box(&mut rng, 3);
        let out = ibp_env_rounded(&net, &bx, Some(64)).unwrap();
        let out = out.last().unwrap();
        for x in samples(&mut rng, &bx, 24) {
            let point: Box = x.iter().map(|v| Interval::point(v.clone())).collect();
            let p = ibp_graph(&g, &[point]).unwrap();
            for (e, v) in out.iter().zip(&p[0]) {
                assert!(e.lo <= v.lo && v.hi <= e.hi, "net {t}: [{}, {}] not inside [{}, {}]", v.lo, v.hi, e.lo, e.hi);
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 12 * (8 + 24));
}

/// A residual cnn: conv → relu → conv (same shape) → add (skip from the relu) → relu → maxpool →
/// flatten → linear.
fn residual_cnn(rng: &mut Rng) -> Graph {
    let st = store(rng, &[("c1", vec![2, 1, 3, 3]), ("b1", vec![2]), ("c2", vec![2, 2, 3, 3]), ("b2", vec![2]), ("lw", vec![3, 8]), ("lb", vec![3])]);
    let mut b = GraphBuilder::new(st);
    b.input("x", vec![1, 4, 4]).unwrap();
    let c1 = Conv2d { in_channels: 1, out_channels: 2, kernel: [3, 3], stride: [1, 1], padding: [1, 1] };
    let c2 = Conv2d { in_channels: 2, out_channels: 2, kernel: [3, 3], stride: [1, 1], padding: [1, 1] };
    b.node("conv1", Op::Conv2d(c1), &["x"], &["c1", "b1"]).unwrap();
    b.node("h", Op::Relu, &["conv1"], &[]).unwrap();
    b.node("conv2", Op::Conv2d(c2), &["h"], &["c2", "b2"]).unwrap();
    b.node("sum", Op::Add, &["h", "conv2"], &[]).unwrap();
    b.node("r", Op::Relu, &["sum"], &[]).unwrap();
    b.node("pool", Op::MaxPool2d(Pool2d { kernel: [2, 2], stride: [2, 2] }), &["r"], &[]).unwrap();
    b.node("flat", Op::Flatten, &["pool"], &[]).unwrap();
    b.node("out", Op::Linear, &["flat"], &["lw", "lb"]).unwrap();
    b.finish(&["out"]).unwrap()
}

/// A residual mlp with a subtraction and an op CROWN has no lines for (`mul`, bounded by its box):
/// `y = linear3(relu(x + linear2(relu(linear1 x))) − x ⊙ x)`.
fn residual_mlp(rng: &mut Rng) -> Graph {
    let st = store(rng, &[("w1", vec![5, 4]), ("b1", vec![5]), ("w2", vec![4, 5]), ("b2", vec![4]), ("w3", vec![3, 4]), ("b3", vec![3])]);
    let mut b = GraphBuilder::new(st);
    b.input("x", vec![4]).unwrap();
    b.node("l1", Op::Linear, &["x"], &["w1", "b1"]).unwrap();
    b.node("h", Op::Relu, &["l1"], &[]).unwrap();
    b.node("l2", Op::Linear, &["h"], &["w2", "b2"]).unwrap();
    b.node("sum", Op::Add, &["x", "l2"], &[]).unwrap();
    b.node("r", Op::Relu, &["sum"], &[]).unwrap();
    b.node("sq", Op::Mul, &["x", "x"], &[]).unwrap();
    b.node("d", Op::Sub, &["r", "sq"], &[]).unwrap();
    b.node("y", Op::Linear, &["d"], &["w3", "b3"]).unwrap();
    b.finish(&["y"]).unwrap()
}

#[test]
fn graph_crown_contains_sampled_exact_outputs_of_residual_networks_and_is_inside_ibp() {
    use torchlean::bounds::graph_crown::crown_graph;
    let mut rng = Rng(0xc40_5eed);
    let (mut crown_width, mut ibp_width) = (Q::from_integer(0.into()), Q::from_integer(0.into()));
    for round in 0..5 {
        let graphs = [
            ("residual_cnn", residual_cnn(&mut rng), 16),
            ("residual_mlp", residual_mlp(&mut rng), 4),
            ("conv_max", conv_max(&mut rng), 16),
            ("conv_avg", conv_avg(&mut rng), 50),
        ];
        for (name, g, n) in graphs {
            let name = format!("{name} #{round}");
            let b = random_box(&mut rng, n);
            let outs = g.output_shapes()[0].iter().product::<usize>();
            // Objectives: each output, and the difference of the first two.
            let mut objectives: Vec<Vec<Q>> = (0..outs).map(|o| (0..outs).map(|j| Q::from_integer(((o == j) as i64).into())).collect()).collect();
            objectives.push((0..outs).map(|j| Q::from_integer([1, -1, 0][j.min(2)].into())).collect());
            let (out, rows) = crown_graph(&g, &b, &objectives).unwrap_or_else(|e| panic!("{name}: {e}"));
            let ibp = ibp_graph(&g, std::slice::from_ref(&b)).unwrap().remove(0);
            for (c, i) in out.iter().zip(&ibp) {
                assert!(i.lo <= c.lo && c.hi <= i.hi, "{name}: crown [{}, {}] outside ibp [{}, {}]", c.lo, c.hi, i.lo, i.hi);
                crown_width += &c.hi - &c.lo;
                ibp_width += &i.hi - &i.lo;
            }
            let shape = g.input_shapes()[0].to_vec();
            for (k, x) in samples(&mut rng, &b, 32).into_iter().enumerate() {
                let y = g.eval_exact(&[Tensor::new(shape.clone(), x).unwrap()]).unwrap().remove(0);
                for (i, (v, iv)) in y.data().iter().zip(&out).enumerate() {
                    assert!(iv.contains(v), "{name}: sample {k}, output {i} = {v} outside [{}, {}]", iv.lo, iv.hi);
                }
                for (r, (c, iv)) in objectives.iter().zip(&rows).enumerate() {
                    let v: Q = c.iter().zip(y.data()).map(|(a, b)| a * b).sum();
                    assert!(iv.contains(&v), "{name}: sample {k}, objective {r} = {v} outside [{}, {}]", iv.lo, iv.hi);
                }
            }
        }
    }
    // Tighter than IBP over these boxes in all: the back-substitution keeps what IBP loses.
    assert!(crown_width < ibp_width, "crown widths {crown_width}, ibp widths {ibp_width}");
}

#[test]
fn graph_crown_is_exact_on_a_residual_relu_where_ibp_is_not() {
    // y = relu(x) + (−x) = max(0, −x) on x ∈ [−1, 1]: exactly [0, 1]; IBP adds the branches'
    // boxes, [0, 1] + [−1, 1] = [−1, 2]. CROWN's lines for relu(x) (x below, x/2 + 1/2 above)
    // cancel the skip's −x.
    let mut st = TensorStore::new();
    st.insert("w", Tensor::new(vec![1, 1], vec![F32::from_f32(-1.0)]).unwrap()).unwrap();
    st.insert("b", Tensor::vector(vec![F32::ZERO])).unwrap();
    let mut b = GraphBuilder::new(st);
    b.input("x", vec![1]).unwrap();
    b.node("h", Op::Relu, &["x"], &[]).unwrap();
    b.node("n", Op::Linear, &["x"], &["w", "b"]).unwrap();
    b.node("y", Op::Add, &["h", "n"], &[]).unwrap();
    let g = b.finish(&["y"]).unwrap();
    let bx = vec![Interval::new(Q::from_integer((-1).into()), Q::from_integer(1.into()))];
    let (out, _) = torchlean::bounds::graph_crown::crown_graph(&g, &bx, &[]).unwrap();
    assert_eq!(out, vec![Interval::new(Q::from_integer(0.into()), Q::from_integer(1.into()))]);
    let ibp = ibp_graph(&g, std::slice::from_ref(&bx)).unwrap().remove(0);
    assert_eq!(ibp, vec![Interval::new(Q::from_integer((-1).into()), Q::from_integer(2.into()))]);
}

/// A `[2, 5, 6]` input → conv 3×3 (pad 1) → relu (when `relu`) → maxpool `kernel`/`stride` →
/// flatten → linear:3.
fn conv_relu_max(rng: &mut Rng, kernel: [usize; 2], stride: [usize; 2], relu: bool) -> Graph {
    let (oh, ow) = ((5 - kernel[0]) / stride[0] + 1, (6 - kernel[1]) / stride[1] + 1);
    let st = store(rng, &[("cw", vec![2, 2, 3, 3]), ("cb", vec![2]), ("lw", vec![3, 2 * oh * ow]), ("lb", vec![3])]);
    let mut b = GraphBuilder::new(st);
    b.input("x", vec![2, 5, 6]).unwrap();
    let c = Conv2d { in_channels: 2, out_channels: 2, kernel: [3, 3], stride: [1, 1], padding: [1, 1] };
    b.node("conv", Op::Conv2d(c), &["x"], &["cw", "cb"]).unwrap();
    let before = if relu {
        b.node("relu", Op::Relu, &["conv"], &[]).unwrap();
        "relu"
    } else {
        "conv"
    };
    b.node("pool", Op::MaxPool2d(Pool2d { kernel, stride }), &[before], &[]).unwrap();
    b.node("flat", Op::Flatten, &["pool"], &[]).unwrap();
    b.node("out", Op::Linear, &["flat"], &["lw", "lb"]).unwrap();
    b.finish(&["out"]).unwrap()
}

#[test]
fn a_max_pools_dense_view_computes_its_exact_value() {
    // Square, overlapping, 1×1, 3×3 and non-square windows, with and without a relu before the
    // pool (negative values reach the comparisons then); ties occur where the input repeats.
    use torchlean::bounds::dense::Dense;
    let mut rng = Rng(0x3b0_5eed);
    let cases: [([usize; 2], [usize; 2], bool); 6] =
        [([2, 2], [2, 2], true), ([2, 2], [1, 1], false), ([1, 1], [2, 1], true), ([3, 3], [2, 2], false), ([2, 3], [1, 2], true), ([3, 2], [3, 1], false)];
    for (kernel, stride, relu) in cases {
        let g = conv_relu_max(&mut rng, kernel, stride, relu);
        let d = Dense::of(&g).unwrap();
        // conv, then k − 1 comparison layers and the sum (or one selection), then linear.
        let k = kernel[0] * kernel[1];
        let pool_layers = if k == 1 { 1 } else { k };
        assert_eq!(d.widths().unwrap().len(), 1 + 1 + pool_layers + 1, "{kernel:?}");
        for t in 0..12 {
            let x: Vec<Q> = (0..60).map(|i| Q::new((((i * 7 + t * 13) % 9) as i64 - 4).into(), ((t % 3) + 1).into())).collect();
            let y = g.eval_exact(&[Tensor::new(vec![2, 5, 6], x.clone()).unwrap()]).unwrap();
            assert_eq!(d.eval_exact(&x).unwrap(), y[0].data(), "{kernel:?} {stride:?} at point {t}");
        }
    }
}

#[test]
fn dense_crown_through_a_max_pools_relu_layers_contains_sampled_exact_outputs() {
    use torchlean::bounds::crown::{crown_mlp, crown_objectives};
    use torchlean::bounds::dense::Dense;
    let mut rng = Rng(0x3a9_5eed);
    for round in 0..4 {
        for (g, n) in [(conv_max(&mut rng), 16), (conv_relu_max(&mut rng, [2, 2], [2, 2], true), 60), (conv_relu_max(&mut rng, [3, 3], [1, 1], false), 60)] {
            let name = format!("{} #{round}", g.nodes()[2].label());
            let d = Dense::of(&g).unwrap();
            let b = random_box(&mut rng, n);
            let crown = crown_mlp(&d, &b, Some(64)).unwrap_or_else(|e| panic!("{name}: {e}"));
            let out = crown.pre.last().unwrap().clone();
            let diff: Vec<Q> = (0..out.len()).map(|j| Q::from_integer([1, -1, 0][j.min(2)].into())).collect();
            let row = crown_objectives(&d, &b, &crown, std::slice::from_ref(&diff)).unwrap().remove(0);
            let shape = g.input_shapes()[0].to_vec();
            for (k, x) in samples(&mut rng, &b, 32).into_iter().enumerate() {
                let y = g.eval_exact(&[Tensor::new(shape.clone(), x).unwrap()]).unwrap().remove(0);
                for (i, (v, iv)) in y.data().iter().zip(&out).enumerate() {
                    assert!(iv.contains(v), "{name}: sample {k}, output {i} = {v} outside [{}, {}]", iv.lo, iv.hi);
                }
                let v: Q = diff.iter().zip(y.data()).map(|(a, b)| a * b).sum();
                assert!(row.contains(&v), "{name}: sample {k}, y0 − y1 = {v} outside [{}, {}]", row.lo, row.hi);
            }
        }
    }
}
