//! The `transformer` family in the IR: the lowered graph's nodes and shapes, binary32 evaluation
//! bit for bit against a reference written here with host `f32`/`f64` in the declared order
//! (`docs/ir.md`), the exact-semantics refusals, and the graph artifact of a fixed payload.
use torchlean::json::{canonical_bytes, sha256_ref};
use torchlean::artifact::payload::read as read_payload;
use torchlean::artifact::graph::{from_artifact, to_artifact};
use torchlean::ir::{Graph, GraphBuilder, Op, Tensor, TensorStore};
use torchlean::model::lower;
use torchlean::model::transformer::{AttentionMask, TransformerSpec};
use torchlean::model::{Act, Family, Model};
use torchlean::num::Q;
use torchlean::num::binary32::F32;

/// Asserts that `r` failed with exactly `want`, printing both on mismatch.
macro_rules! assert_err {
    ($r:expr, $want:expr) => {{
        match $r {
            Ok(v) => panic!("expected error {:?}, found Ok({v:?})", $want),
            Err(e) => assert_eq!(e.to_string(), $want),
        }
    }};
}

/// The small encoder: d_model 4, 2 heads (d_head 2), ffn 8, 1 layer, seq_len 3.
fn small_spec(activation: Act, mask: AttentionMask) -> TransformerSpec {
    TransformerSpec {
        d_model: 4,
        heads: 2,
        ffn: 8,
        layers: 1,
        eps: Q::new(1.into(), 100000.into()),
        activation,
        mask,
        seq_len: 3,
    }
}

/// Hand-picked binary32 weights: parameter value `k` (in payload order) is `((7k mod 13) − 6)/8`,
/// every one exactly a binary32 (multiples of 1/8 in [−3/4, 3/4]).
fn small_model(activation: Act, mask: AttentionMask) -> Model {
    let fam = Family::Transformer(small_spec(activation, mask));
    Model::filled(fam, |k| F32::from_f32(((7 * k % 13) as f32 - 6.0) / 8.0)).unwrap()
}

/// The input `[3, 4]`: `((5i + 3) mod 11 − 5)/4`, exact.
fn small_input() -> Vec<f32> {
    (0..12).map(|i| ((5 * i + 3) % 11) as f32 / 4.0 - 1.25).collect()
}

/// A named parameter as host `f32`.
fn param(store: &TensorStore, name: &str) -> Vec<f32> {
    store.get(name).unwrap().data().iter().map(|b| b.to_f32()).collect()
}

/// `((a₀·b₀ + a₁·b₁) + …)`, each product rounded then added, from the first product.
fn dot(a: impl Iterator<Item = f32>, b: impl Iterator<Item = f32>) -> f32 {
    let mut terms = a.zip(b).map(|(x, y)| x * y);
    let first = terms.next().unwrap_or(0.0);
    terms.fold(first, |acc, p| acc + p)
}

/// `x · Wᵀ + b` row by row, the bias added last.
fn linear(x: &[Vec<f32>], w: &[f32], b: &[f32]) -> Vec<Vec<f32>> {
    let cols = x[0].len();
    x.iter()
        .map(|row| (0..b.len()).map(|r| dot(w[r * cols..].iter().copied(), row.iter().copied()) + b[r]).collect())
        .collect()
}

/// Host f64 from the exact values, rounded once: max-subtract, exp, left-to-right sum, divide.
fn softmax(row: &[f32]) -> Vec<f32> {
    let xs: Vec<f64> = row.iter().map(|&v| f64::from(v)).collect();
    let m = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = xs.iter().map(|x| (x - m).exp()).collect();
    let mut s = 0.0f64;
    for v in &e {
        s += v;
    }
    e.iter().map(|v| (v / s) as f32).collect()
}

/// `μ = Σx/n`, `d = x − μ`, `σ² = dot(d, d)/n`, `r = 1/sqrt(σ² + eps)`, `y = ((d·r)·w) + b`.
fn layernorm(x: &[Vec<f32>], w: &[f32], b: &[f32], eps: f32) -> Vec<Vec<f32>> {
    x.iter()
        .map(|row| {
            let n = row.len() as f32;
            let mean = row[1..].iter().fold(row[0], |a, v| a + v) / n;
            let d: Vec<f32> = row.iter().map(|v| v - mean).collect();
            let var = dot(d.iter().copied(), d.iter().copied()) / n;
            let r = 1.0 / (var + eps).sqrt();
            d.iter().zip(w.iter().zip(b)).map(|(di, (wi, bi))| di * r * wi + bi).collect()
        })
        .collect()
}

/// GELU in host f64 in the declared order, rounded once.
fn gelu(x: f32) -> f32 {
    let x = f64::from(x);
    let u = 1.0 + libm::erf(x * std::f64::consts::FRAC_1_SQRT_2);
    ((0.5 * x) * u) as f32
}

/// The encoder layer in host `f32`/`f64`, in the declared order, independent of the IR.
fn reference(spec: &TransformerSpec, store: &TensorStore, x: &[f32]) -> Vec<f32> {
    let (s, d, h) = (spec.seq_len, spec.d_model, spec.heads);
    let dh = d / h;
    let p = |n: &str| param(store, &format!("layers.0.{n}"));
    let x: Vec<Vec<f32>> = x.chunks(d).map(<[f32]>::to_vec).collect();
    let qkv = linear(&x, &p("self_attn.in_proj_weight"), &p("self_attn.in_proj_bias"));
    let c = (1.0 / (dh as f64).sqrt()) as f32; // the binary32 nearest 1/√dh for these sizes
    let mut concat = vec![Vec::new(); s];
    for head in 0..h {
        let col = |row: &Vec<f32>, off: usize| row[off + head * dh..off + (head + 1) * dh].to_vec();
        let (q, k, v): (Vec<_>, Vec<_>, Vec<_>) = (
            qkv.iter().map(|r| col(r, 0)).collect(),
            qkv.iter().map(|r| col(r, d)).collect(),
            qkv.iter().map(|r| col(r, 2 * d)).collect(),
        );
        for i in 0..s {
            let logits: Vec<f32> = (0..s)
                .map(|j| {
                    let t = dot(q[i].iter().copied(), k[j].iter().copied()) * c;
                    let m = if spec.mask == AttentionMask::Causal && j > i { f32::NEG_INFINITY } else { 0.0 };
                    t + m
                })
                .collect();
            let a = softmax(&logits);
            for t in 0..dh {
                concat[i].push(dot(a.iter().copied(), v.iter().map(|r| r[t])));
            }
        }
    }
    let sa = linear(&concat, &p("self_attn.out_proj.weight"), &p("self_attn.out_proj.bias"));
    let eps = 1.0e-5f32; // 1/100000 rounded once to binary32
    let add = |a: &[Vec<f32>], b: &[Vec<f32>]| -> Vec<Vec<f32>> {
        a.iter().zip(b).map(|(r, t)| r.iter().zip(t).map(|(u, v)| u + v).collect()).collect()
    };
    let n1 = layernorm(&add(&x, &sa), &p("norm1.weight"), &p("norm1.bias"), eps);
    let mut hid = linear(&n1, &p("linear1.weight"), &p("linear1.bias"));
    for v in hid.iter_mut().flatten() {
        *v = match spec.activation {
            Act::Gelu => gelu(*v),
            _ => {
                if *v > 0.0 {
                    *v
                } else {
                    0.0
                }
            }
        };
    }
    let ff = linear(&hid, &p("linear2.weight"), &p("linear2.bias"));
    layernorm(&add(&n1, &ff), &p("norm2.weight"), &p("norm2.bias"), eps).concat()
}

fn eval_f32(g: &Graph, x: &[f32], shape: Vec<usize>) -> Vec<f32> {
    let x = Tensor::new(shape, x.iter().map(|&v| F32::from_f32(v)).collect()).unwrap();
    g.eval_f32(&[x]).unwrap().value[0].data().iter().map(|b| b.to_f32()).collect()
}

#[test]
fn the_default_transformer_lowers_with_payload_names_and_shapes() {
    let m = Model::filled(Family::Transformer(TransformerSpec::default_spec()), |_| F32::ONE).unwrap();
    let g = lower(&m).unwrap();
    let got: Vec<(String, &str, Vec<usize>)> =
        g.nodes().iter().map(|n| (n.id.clone(), n.op.name(), n.shape.clone())).collect();
    let mut want: Vec<(String, &str, Vec<usize>)> =
        vec![("x".into(), "input", vec![4, 8]), ("layers.0.self_attn.in_proj".into(), "linear", vec![4, 24])];
    for h in 0..2 {
        let a = |n: &str| format!("layers.0.self_attn.{n}.{h}");
        want.extend([
            (a("q"), "slice", vec![4, 4]),
            (a("k"), "slice", vec![4, 4]),
            (a("v"), "slice", vec![4, 4]),
            (a("kt"), "transpose", vec![4, 4]),
            (a("scores"), "matmul", vec![4, 4]),
            (a("scaled"), "scale_rsqrt", vec![4, 4]),
            (a("attn"), "softmax", vec![4, 4]),
            (a("head"), "matmul", vec![4, 4]),
        ]);
    }
    for (id, op, shape) in [
        ("self_attn.concat", "concat", vec![4, 8]),
        ("self_attn.out_proj", "linear", vec![4, 8]),
        ("add1", "add", vec![4, 8]),
        ("norm1", "layernorm", vec![4, 8]),
        ("linear1", "linear", vec![4, 16]),
        ("relu", "relu", vec![4, 16]),
        ("linear2", "linear", vec![4, 8]),
        ("add2", "add", vec![4, 8]),
        ("norm2", "layernorm", vec![4, 8]),
    ] {
        want.push((format!("layers.0.{id}"), op, shape));
    }
    assert_eq!(got, want);
    assert_eq!(g.outputs(), ["layers.0.norm2"]);
    let k1 = g.node("layers.0.self_attn.k.1").unwrap();
    assert_eq!(k1.op, Op::Slice { axis: 1, start: 12, end: 16 });
    assert_eq!(
        g.node("layers.0.self_attn.in_proj").unwrap().params,
        ["layers.0.self_attn.in_proj_weight", "layers.0.self_attn.in_proj_bias"]
    );
    // Every parameter of the payload is used, under its payload name.
    let mut used: Vec<&str> = g.nodes().iter().flat_map(|n| n.params.iter().map(String::as_str)).collect();
    used.sort();
    let mut names: Vec<&str> = m.tensors().iter().map(|(n, _)| n.as_str()).collect();
    names.sort();
    assert_eq!(used, names);
}

#[test]
fn a_causal_two_layer_gelu_encoder_lowers_with_masks() {
    let spec = TransformerSpec {
        layers: 2,
        activation: Act::Gelu,
        mask: AttentionMask::Causal,
        ..TransformerSpec::default_spec()
    };
    let m = Model::filled(Family::Transformer(spec), |_| F32::ONE).unwrap();
    let g = lower(&m).unwrap();
    let masked = g.node("layers.1.self_attn.masked.1").unwrap();
    assert_eq!(
        (masked.op.name(), masked.parents.as_slice()),
        ("causal_mask", ["layers.1.self_attn.scaled.1".to_string()].as_slice())
    );
    assert_eq!(g.node("layers.1.add1").unwrap().parents, ["layers.0.norm2", "layers.1.self_attn.out_proj"]);
    assert_eq!(g.node("layers.1.gelu").unwrap().shape, vec![4, 16]);
    assert_eq!(g.outputs(), ["layers.1.norm2"]);
}

#[test]
fn binary32_evaluation_matches_the_host_reference_bit_for_bit() {
    for act in [Act::Relu, Act::Gelu] {
        for mask in [AttentionMask::None, AttentionMask::Causal] {
            let m = small_model(act, mask);
            let g = lower(&m).unwrap();
            let x = small_input();
            let got = eval_f32(&g, &x, vec![3, 4]);
            let want = reference(&small_spec(act, mask), g.tensors(), &x);
            let bits = |v: &[f32]| v.iter().map(|f| format!("{:08x}", f.to_bits())).collect::<Vec<_>>();
            assert_eq!(bits(&got), bits(&want), "{act:?} {mask:?}");
            assert!(got.iter().all(|v| v.is_finite()), "{got:?}");
        }
    }
}

#[test]
fn the_causal_mask_changes_every_row_but_the_last() {
    let x = small_input();
    let g0 = lower(&small_model(Act::Relu, AttentionMask::None)).unwrap();
    let g1 = lower(&small_model(Act::Relu, AttentionMask::Causal)).unwrap();
    let (a, b) = (eval_f32(&g0, &x, vec![3, 4]), eval_f32(&g1, &x, vec![3, 4]));
    // The last position attends to every position under both masks.
    assert_eq!(a[8..], b[8..]);
    assert_ne!(a[..4], b[..4]);
}

#[test]
fn causal_mask_adds_minus_infinity_above_the_diagonal() {
    let st = TensorStore::new();
    let mut gb = GraphBuilder::new(st.clone());
    gb.input("x", vec![2, 3]).unwrap();
    gb.node("m", Op::CausalMask, &["x"], &[]).unwrap();
    gb.node("p", Op::Softmax, &["m"], &[]).unwrap();
    let g = gb.finish(&["m", "p"]).unwrap();
    let x = Tensor::new(vec![2, 3], [-0.0f32, 1.0, 2.0, 3.0, 4.0, 5.0].map(F32::from_f32).to_vec()).unwrap();
    let r = g.eval_f32(&[x]).unwrap();
    let m: Vec<f32> = r.value[0].data().iter().map(|b| b.to_f32()).collect();
    assert_eq!(
        m.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
        [0.0f32, f32::NEG_INFINITY, f32::NEG_INFINITY, 3.0, 4.0, f32::NEG_INFINITY].map(f32::to_bits)
    );
    let p: Vec<f32> = r.value[1].data().iter().map(|b| b.to_f32()).collect();
    assert_eq!(p[..3], [1.0, 0.0, 0.0]);
    assert_eq!(p[3..], [softmax(&[3.0, 4.0])[0], softmax(&[3.0, 4.0])[1], 0.0]);
    let mut gb = GraphBuilder::new(st.clone());
    gb.input("x", vec![4]).unwrap();
    assert_err!(
        gb.node("m", Op::CausalMask, &["x"], &[]),
        "node \"m\" (causal_mask): expected an input of rank 2 ([m, n]), found [4]"
    );
}

#[test]
fn slice_and_scale_shapes_values_and_errors() {
    let st = TensorStore::new();
    let mut gb = GraphBuilder::new(st.clone());
    gb.input("x", vec![2, 3]).unwrap();
    gb.node("s", Op::Slice { axis: 1, start: 1, end: 3 }, &["x"], &[]).unwrap();
    gb.node("r", Op::Slice { axis: 0, start: 1, end: 2 }, &["x"], &[]).unwrap();
    gb.node("c", Op::ScaleRsqrt { n: 4 }, &["x"], &[]).unwrap();
    gb.node("c2", Op::ScaleRsqrt { n: 2 }, &["x"], &[]).unwrap();
    assert_err!(
        gb.node("bad", Op::Slice { axis: 1, start: 2, end: 4 }, &["x"], &[]),
        "node \"bad\" (slice): expected start < end ≤ 3 (the extent of axis 1), found start 2, end 4"
    );
    assert_err!(
        gb.node("bad", Op::Slice { axis: 2, start: 0, end: 1 }, &["x"], &[]),
        "node \"bad\" (slice): expected axis < rank 2, found axis 2"
    );
    let g = gb.finish(&["s", "r", "c", "c2"]).unwrap();
    let q = |n: i64, d: i64| Q::new(n.into(), d.into());
    let xq: Vec<Q> = (1..=6).map(|n| q(n, 1)).collect();
    // Exact semantics: slices and 1/√4 = 1/2 are rational, 1/√2 is not.
    let mut gb = GraphBuilder::new(st.clone());
    gb.input("x", vec![2, 3]).unwrap();
    gb.node("s", Op::Slice { axis: 1, start: 1, end: 3 }, &["x"], &[]).unwrap();
    gb.node("r", Op::Slice { axis: 0, start: 1, end: 2 }, &["x"], &[]).unwrap();
    gb.node("c", Op::ScaleRsqrt { n: 4 }, &["x"], &[]).unwrap();
    let ge = gb.finish(&["s", "r", "c"]).unwrap();
    let out = ge.eval_exact(&[Tensor::new(vec![2, 3], xq.clone()).unwrap()]).unwrap();
    assert_eq!(out[0].data(), [q(2, 1), q(3, 1), q(5, 1), q(6, 1)]);
    assert_eq!(out[1].shape(), [1, 3]);
    assert_eq!(out[1].data(), [q(4, 1), q(5, 1), q(6, 1)]);
    assert_eq!(out[2].data(), (1..=6).map(|n| q(n, 2)).collect::<Vec<_>>());
    assert_err!(
        g.eval_exact(&[Tensor::new(vec![2, 3], xq).unwrap()]),
        "node \"c2\" (scale_rsqrt): op scale_rsqrt has no exact rational semantics for n = 2 (1/√2 is irrational)"
    );
    // binary32: c = the binary32 nearest 1/√2 (0x3f3504f3), one product per element.
    let x = Tensor::new(vec![2, 3], (1..=6).map(|n| F32::from_f32(n as f32)).collect()).unwrap();
    let r = g.eval_f32(&[x]).unwrap();
    let c = 1.0f32 / 2.0f32.sqrt();
    assert_eq!(c.to_bits(), 0x3f3504f3);
    assert_eq!(r.value[3].data(), (1..=6).map(|n| F32::from_f32(n as f32 * c)).collect::<Vec<_>>());
    assert_eq!(r.value[2].data(), (1..=6).map(|n| F32::from_f32(n as f32 / 2.0)).collect::<Vec<_>>());
}

#[test]
fn gelu_is_the_erf_form_in_host_f64_rounded_once() {
    let st = TensorStore::new();
    let mut gb = GraphBuilder::new(st.clone());
    gb.input("x", vec![6]).unwrap();
    gb.node("g", Op::Gelu, &["x"], &[]).unwrap();
    let g = gb.finish(&["g"]).unwrap();
    let xs = [-3.0f32, -1.0, -0.0, 0.5, 1.0, 10.0];
    let got = eval_f32(&g, &xs, vec![6]);
    assert_eq!(got, xs.map(gelu));
    // Each within half an ulp of 0.5·x·(1 + erf(x/√2)) (checked with Python's math.erf). PyTorch
    // 2.9.1's float32 gelu gives the same bits at −1, −0, 0.5 and 10, one ulp less at 1
    // (0x3f57625e) and 0xbb84b7c0 at −3: 1140 ulp away, as it forms 1 + erf in float32.
    assert_eq!(got.map_or_bits(), [0xbb84b34cu32, 0xbe227686, 0x80000000, 0x3eb103af, 0x3f57625f, 0x41200000]);
}

/// `map_or_bits`: the bit patterns of a slice of f32.
trait Bits {
    fn map_or_bits(&self) -> Vec<u32>;
}
impl Bits for Vec<f32> {
    fn map_or_bits(&self) -> Vec<u32> {
        self.iter().map(|v| v.to_bits()).collect()
    }
}

#[test]
fn exact_semantics_is_refused_at_the_first_irrational_node() {
    let g = lower(&small_model(Act::Relu, AttentionMask::None)).unwrap();
    let x: Vec<Q> = small_input().iter().map(|&v| F32::from_f32(v).to_rational().unwrap()).collect();
    assert_err!(
        g.eval_exact(&[Tensor::new(vec![3, 4], x.clone()).unwrap()]),
        "node \"layers.0.self_attn.scaled.0\" (scale_rsqrt): op scale_rsqrt has no exact rational semantics for n = 2 (1/√2 is irrational)"
    );
    // d_head 4: the scale is 1/2, so the refusal moves to the softmax (exp).
    let m = Model::filled(Family::Transformer(TransformerSpec::default_spec()), |_| F32::ONE).unwrap();
    let g = lower(&m).unwrap();
    let x = vec![Q::from_integer(1.into()); 32];
    assert_err!(
        g.eval_exact(&[Tensor::new(vec![4, 8], x).unwrap()]),
        "node \"layers.0.self_attn.attn.0\" (softmax): op softmax has no exact rational semantics"
    );
    let spec = TransformerSpec { mask: AttentionMask::Causal, ..TransformerSpec::default_spec() };
    let g = lower(&Model::filled(Family::Transformer(spec), |_| F32::ONE).unwrap()).unwrap();
    assert_err!(
        g.eval_exact(&[Tensor::new(vec![4, 8], vec![Q::from_integer(1.into()); 32]).unwrap()]),
        "node \"layers.0.self_attn.masked.0\" (causal_mask): op causal_mask has no exact rational semantics (it adds −∞)"
    );
}

const PAYLOAD: &str = include_str!("data/transformer-default.payload.json");
/// `sha256sum tests/data/transformer-default.payload.json` (written by the exported
/// `torchlean_io.py` after `train.py`, PyTorch 2.9.1, so already canonical).
const PAYLOAD_SHA: &str = "sha256:5f4d656bd0b6feb770a28d2c4d26ba735748ca359a219b25fcc9226e19af0ff1";
/// The name of its graph artifact (`torchlean import` writes the same `graph.json`).
const GRAPH_SHA: &str = "sha256:bd44fec519e8f5a3afc3983aacca76bf54451816c6e7a777d6d4d5733496f9b1";

#[test]
fn the_default_payload_graph_artifact_has_a_fixed_name_and_round_trips() {
    let value: serde_json::Value = serde_json::from_str(PAYLOAD).unwrap();
    assert_eq!(canonical_bytes(&value).unwrap(), PAYLOAD.as_bytes());
    assert_eq!(sha256_ref(PAYLOAD.as_bytes()), PAYLOAD_SHA);
    let m = read_payload(&value).unwrap();
    let g = lower(&m).unwrap();
    let art = to_artifact(&g, PAYLOAD_SHA);
    let bytes = canonical_bytes(&art).unwrap();
    assert_eq!(sha256_ref(&bytes), GRAPH_SHA);
    let text = String::from_utf8(bytes).unwrap();
    assert!(
        text.contains(r#"{"attrs":{"axis":1,"end":12,"start":8},"id":"layers.0.self_attn.k.0","inputs":["layers.0.self_attn.in_proj"],"op":"slice","params":[]}"#),
        "{text}"
    );
    assert!(text.contains(r#"{"attrs":{"n":4},"id":"layers.0.self_attn.scaled.0""#), "{text}");
    let (back, payload) = from_artifact(&art, g.tensors().clone()).unwrap();
    assert_eq!((back, payload.as_str()), (g, PAYLOAD_SHA));
}

/// The first four outputs of the default payload at the input of the test below.
const FIRST_ROW: [u32; 4] = [0xbf92f9ca, 0xbf000a93, 0x3f6d55c3, 0x3fb25efd];

#[test]
fn the_default_payload_evaluates_to_fixed_bits() {
    let m = read_payload(&serde_json::from_str(PAYLOAD).unwrap()).unwrap();
    let g = lower(&m).unwrap();
    let x: Vec<f32> = (0..32).map(|i| ((i * 5 % 17) as f32 - 8.0) / 8.0).collect();
    let got = eval_f32(&g, &x, vec![4, 8]);
    let spec = TransformerSpec::default_spec();
    assert_eq!(got.map_or_bits(), reference(&spec, g.tensors(), &x).map_or_bits());
    assert_eq!(got.map_or_bits()[..4], FIRST_ROW);
}
