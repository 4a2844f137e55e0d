//! `torchlean bounds`: exact IBP on the demo payload, CROWN on ACAS Xu 1_1 with property 3 (JSON,
//! objective rows, CROWN inside IBP), and the bad-input errors with their exit code.
use std::path::Path;
use std::process::{Command, Output};

use num_bigint::BigInt;
use serde_json::Value;
use torchlean::model::family::{Act, CnnSpec, Family, MlpSpec, Model};
use torchlean::num::Q;
use torchlean::num::binary32::F32;
use torchlean::num::rational::parse_canonical;

const DEMO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/certificates/demo-mlp/payload.json");
const ACAS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/benchmarks/acasxu/ACASXU_run2a_1_1_batch_2000.nnet");
const PROP3: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/benchmarks/acasxu/prop_3.vnnlib");

fn bounds(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_torchlean")).arg("bounds").args(args).output().unwrap()
}

fn stdout(o: &Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).unwrap()
}

/// Asserts exit code 2 and exactly `error: {message}` on stderr.
fn assert_bad_input(o: &Output, message: &str) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "stderr: {err}");
    assert_eq!(err.trim_end(), format!("error: {message}"));
}

/// The `[lo, hi]` pairs of a JSON array of canonical rational strings.
fn intervals(v: &Value) -> Vec<(Q, Q)> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|p| (parse_canonical(p[0].as_str().unwrap()).unwrap(), parse_canonical(p[1].as_str().unwrap()).unwrap()))
        .collect()
}

fn json_of(args: &[&str]) -> Value {
    serde_json::from_str(&stdout(&bounds(args))).unwrap()
}

#[test]
fn ibp_on_the_demo_payload_prints_the_exact_output_box() {
    let out = stdout(&bounds(&["--model", DEMO, "--input-box", "-1/2:1,0:1", "--method", "ibp"]));
    assert!(out.contains("[-143552238625751/140737488355328, 3918131722117449/2251799813685248]"), "{out}");
    assert!(out.contains("-1.020000004"), "decimal column missing:\n{out}");
    let v = json_of(&["--model", DEMO, "--input-box", "-1/2:1,0:1", "--method", "ibp", "--json"]);
    assert_eq!(v["method"], "ibp");
    assert_eq!(
        v["outputs"],
        serde_json::json!([["-143552238625751/140737488355328", "3918131722117449/2251799813685248"]])
    );
    assert_eq!(v["objectives"], serde_json::json!([]));
    assert!(v["seconds"].as_f64().is_some_and(|s| s >= 0.0));
}

#[test]
fn crown_on_acas_prop3_stays_inside_ibp_and_bounds_every_row() {
    let crown = json_of(&["--model", ACAS, "--property", PROP3, "--method", "crown", "--json"]);
    let ibp = json_of(&["--model", ACAS, "--property", PROP3, "--method", "ibp", "--json"]);
    assert_eq!(crown["method"], "crown");
    let (c, i) = (intervals(&crown["outputs"]), intervals(&ibp["outputs"]));
    assert_eq!((c.len(), i.len()), (5, 5));
    for (j, ((cl, ch), (il, ih))) in c.iter().zip(&i).enumerate() {
        assert!(cl <= ch && il <= cl && ch <= ih, "Y_{j}: crown [{cl}, {ch}] not inside ibp [{il}, {ih}]");
    }
    let rows = crown["objectives"].as_array().unwrap();
    assert_eq!(rows.len(), 4);
    for (r, o) in rows.iter().enumerate() {
        assert_eq!((o["disjunct"].as_u64(), o["row"].as_u64()), (Some(0), Some(r as u64)));
        // Row r is Y_0 - Y_{r+1} <= 0.
        let coeffs: Vec<&str> = o["coeffs"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
        let mut want = vec!["1", "0", "0", "0", "0"];
        want[r + 1] = "-1";
        assert_eq!(coeffs, want);
        let (lo, hi) = &intervals(&serde_json::json!([o["bounds"]]))[0];
        // The row's CROWN bounds are at least as tight as subtracting the output intervals.
        assert!(lo <= hi && *lo >= &c[0].0 - &c[r + 1].1 && *hi <= &c[0].1 - &c[r + 1].0, "row {r}: [{lo}, {hi}]");
        assert_eq!(o["refuted"].as_bool(), Some(*lo > Q::from_integer(0.into())));
    }
    let table = stdout(&bounds(&["--model", ACAS, "--property", PROP3]));
    assert!(table.contains("Y_0 - Y_1 <= 0") && table.contains("disjuncts refuted by these bounds"), "{table}");
}

/// The binary64 backward pass (`--backward-arith f64`) charges its roundings outward: on ACAS Xu
/// prop_3 every output and objective row contains the default (dyadic) pass's bounds, wider by
/// under 10⁻⁹; without rounded boxes it is refused.
#[test]
fn binary64_backward_pass_contains_the_dyadic_bounds() {
    let dy = json_of(&["--model", ACAS, "--property", PROP3, "--json"]);
    let fl = json_of(&["--model", ACAS, "--property", PROP3, "--backward-arith", "f64", "--json"]);
    assert_eq!((dy["backward_arith"].as_str(), fl["backward_arith"].as_str()), (Some("dyadic"), Some("f64")));
    let tol = Q::new(1.into(), BigInt::from(10).pow(9));
    let pairs = |v: &Value| -> Vec<(Q, Q)> {
        let mut out = intervals(&v["outputs"]);
        out.extend(v["objectives"].as_array().unwrap().iter().map(|o| intervals(&serde_json::json!([o["bounds"]]))[0].clone()));
        out
    };
    let (d, f) = (pairs(&dy), pairs(&fl));
    assert_eq!((d.len(), f.len()), (9, 9));
    for (j, ((dl, dh), (fl, fh))) in d.iter().zip(&f).enumerate() {
        assert!(fl <= dl && dh <= fh, "{j}: f64 [{fl}, {fh}] does not contain dyadic [{dl}, {dh}]");
        assert!(dl - fl < tol && fh - dh < tol, "{j}: f64 [{fl}, {fh}] vs dyadic [{dl}, {dh}]");
    }
    let table = stdout(&bounds(&["--model", ACAS, "--property", PROP3, "--backward-arith", "f64"]));
    assert!(table.contains("backward     f64"), "{table}");
    assert_bad_input(
        &bounds(&["--model", DEMO, "--input-box", "0:1,0:1", "--round-bits", "0", "--backward-arith", "f64"]),
        "--backward-arith f64: expected --round-bits > 0 (binary64 lines are dyadic), found 0",
    );
}

#[test]
fn missing_or_doubled_input_is_bad_input() {
    assert_bad_input(&bounds(&["--model", DEMO]), "expected --input-box or --property, found neither");
    assert_bad_input(
        &bounds(&["--model", ACAS, "--input-box", "0:1,0:1,0:1,0:1,0:1", "--property", PROP3]),
        "expected --input-box or --property, found both",
    );
    assert_bad_input(
        &bounds(&["--model", DEMO, "--input-box", "0:1"]),
        "input box: expected 2 coordinates (the network's inputs), found 1",
    );
}

fn write_payload(dir: &Path, name: &str, family: Family) -> String {
    let model = Model::filled(family, |_| F32(0x3f000000)).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_vec(&torchlean::artifact::payload::write(&model)).unwrap()).unwrap();
    path.display().to_string()
}

#[test]
fn smooth_activations_are_refused_by_the_dense_engines_and_a_max_pool_cnn_is_bounded_by_crown() {
    let dir = tempfile::tempdir().unwrap();
    let spec = MlpSpec::new(vec![2, 3, 1], vec![Act::Relu, Act::Gelu]).unwrap();
    let gelu = write_payload(dir.path(), "gelu.json", Family::Mlp(spec));
    assert_bad_input(
        &bounds(&["--model", &gelu, "--input-box", "0:1,0:1", "--method", "ibp-f32"]),
        &format!(
            "{gelu}: node \"layers.1.gelu\" (gelu): no bound rule for op gelu in the dense engines (they take chains of linear, conv2d, avgpool2d and maxpool2d layers with relu or identity activations)"
        ),
    );
    // CROWN takes it through the graph; the output is the gelu node itself, which has no lines,
    // so its box is graph IBP's.
    let crown = json_of(&["--model", &gelu, "--input-box", "0:1,0:1", "--method", "crown", "--json"]);
    let ibp = json_of(&["--model", &gelu, "--input-box", "0:1,0:1", "--method", "ibp", "--json"]);
    assert_eq!(crown["outputs"], ibp["outputs"]);
    // The default cnn (two conv/relu/maxpool stages): its pools are ReLU layers of the dense view,
    // so CROWN bounds it; IBP takes the graph (a window's max of bounds is tighter than IBP
    // through the comparisons). Both boxes hold the exact output at the centre, and on this
    // monotone network (every weight 1/2, inputs ≥ 0) both lower bounds are the exact minimum.
    let cnn = write_payload(dir.path(), "cnn.json", Family::Cnn(CnnSpec::default_spec()));
    let input = vec!["0:1/2"; 64].join(",");
    let crown = intervals(&json_of(&["--model", &cnn, "--input-box", &input, "--method", "crown", "--json"])["outputs"]);
    let ibp = intervals(&json_of(&["--model", &cnn, "--input-box", &input, "--method", "ibp", "--json"])["outputs"]);
    let graph = torchlean::artifact::payload::read_network_file(Path::new(&cnn)).unwrap();
    let x = torchlean::ir::Tensor::new(vec![1, 8, 8], vec![Q::new(1.into(), 4.into()); 64]).unwrap();
    let y = graph.eval_exact(&[x]).unwrap();
    assert_eq!(crown.len(), 2);
    for (((lo, hi), (ilo, ihi)), v) in crown.iter().zip(&ibp).zip(y[0].data()) {
        assert!(lo <= v && v <= hi && ilo <= v && v <= ihi, "{v}: crown [{lo}, {hi}], ibp [{ilo}, {ihi}]");
        assert_eq!((lo, ilo), (&Q::new(41.into(), 2.into()), &Q::new(41.into(), 2.into())));
    }
}

#[test]
fn relu_identity_payloads_match_the_family_conversion() {
    // A payload written from the family types goes through the same conversion: 2-2 identity with
    // every weight and bias 1/2, so y_j = (x_0 + x_1 + 1)/2 over [0, 1]² is [1/2, 3/2].
    let dir = tempfile::tempdir().unwrap();
    let p = write_payload(dir.path(), "id.json", Family::Mlp(MlpSpec::new(vec![2, 2], vec![Act::Identity]).unwrap()));
    for method in ["ibp", "crown"] {
        let v = json_of(&["--model", &p, "--input-box", "0:1,0:1", "--method", method, "--json"]);
        assert_eq!(v["outputs"], serde_json::json!([["1/2", "3/2"], ["1/2", "3/2"]]), "{method}");
    }
}

#[test]
fn ibp_bounds_a_cnn_and_a_gelu_mlp_through_their_graphs() {
    // Graph IBP takes what the dense engines refuse: the default cnn (conv2d, relu, maxpool,
    // flatten, linear) and an mlp with GELU. The boxes contain the exact (cnn) output at the
    // centre and are finite.
    let dir = tempfile::tempdir().unwrap();
    let cnn = write_payload(dir.path(), "cnn.json", Family::Cnn(CnnSpec::default_spec()));
    let input = vec!["0:1/2"; 64].join(",");
    let v = json_of(&["--model", &cnn, "--input-box", &input, "--method", "ibp", "--json"]);
    let out = intervals(&v["outputs"]);
    assert_eq!(out.len(), 2);
    let graph = torchlean::artifact::payload::read_network_file(Path::new(&cnn)).unwrap();
    let x = torchlean::ir::Tensor::new(vec![1, 8, 8], vec![Q::new(1.into(), 4.into()); 64]).unwrap();
    let y = graph.eval_exact(&[x]).unwrap();
    for ((lo, hi), v) in out.iter().zip(y[0].data()) {
        assert!(lo <= v && v <= hi, "{v} outside [{lo}, {hi}]");
    }
    let spec = MlpSpec::new(vec![2, 3, 1], vec![Act::Gelu, Act::Identity]).unwrap();
    let gelu = write_payload(dir.path(), "gelu.json", Family::Mlp(spec));
    let v = json_of(&["--model", &gelu, "--input-box", "-1:1,0:1", "--method", "ibp", "--json"]);
    assert_eq!(intervals(&v["outputs"]).len(), 1);
}

#[test]
fn crown_takes_graphs_without_a_dense_view_through_the_graph() {
    // The transformer has attention, residual adds and layer norms: CROWN runs through the graph,
    // and since its last node is a layer norm (no lines: its IBP box is used) the output box is
    // graph IBP's, digit for digit.
    let m = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/transformer-default.payload.json");
    let input = vec!["-1/4:1/4"; 32].join(",");
    let crown = json_of(&["--model", m, "--input-box", &input, "--method", "crown", "--json"]);
    let ibp = json_of(&["--model", m, "--input-box", &input, "--method", "ibp", "--json"]);
    assert_eq!(crown["outputs"].as_array().unwrap().len(), 32);
    assert_eq!(crown["outputs"], ibp["outputs"]);
    assert_eq!(crown["outputs"][0], serde_json::json!(["-5208126477964132691/4398046511104", "2569136895624817311/2199023255552"]));
}

/// `--repeat N` computes N times in one process and reports the median time, with the first call's
/// time beside it; the bounds are those of a single call, to the last digit.
#[test]
fn repeat_reports_the_median_of_warm_calls_and_the_same_bounds() {
    let once: Value = serde_json::from_str(&stdout(&bounds(&[
        "--model", ACAS, "--property", PROP3, "--method", "crown", "--backward-arith", "f64", "--json",
    ])))
    .unwrap();
    let five: Value = serde_json::from_str(&stdout(&bounds(&[
        "--model", ACAS, "--property", PROP3, "--method", "crown", "--backward-arith", "f64", "--repeat", "5", "--json",
    ])))
    .unwrap();
    assert_eq!(once["outputs"], five["outputs"]);
    assert_eq!(once["objectives"], five["objectives"]);
    assert_eq!((once["repeat"].as_u64(), five["repeat"].as_u64()), (Some(1), Some(5)));
    assert_eq!(once["seconds"], once["seconds_first"]);
    assert!(five["seconds"].as_f64().unwrap() > 0.0 && five["seconds_first"].as_f64().unwrap() > 0.0);
    let o = bounds(&["--model", ACAS, "--property", PROP3, "--repeat", "0"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).starts_with("error: invalid value '0' for '--repeat <REPEAT>': 0 is not in 1..=1000\n"));
}
