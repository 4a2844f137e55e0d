//! Real PyTorch on the other side of the round trip (CI installs torch; see `.ci/run`): each family
//! (mlp, cnn, transformer with and without a causal mask) is exported, trained a few steps by the
//! generated `train.py`, imported strictly, and evaluated by both PyTorch (float32) and torchlean
//! (declared-order binary32) on fixed inputs; every `codegen-pytorch` arch runs and matches
//! torchlean's evaluation of the same IR graph.
//!
//! PyTorch sums in its own order (and may fuse), so agreement is measured in ulps against an
//! explicit budget (docs/families.md), with an absolute floor for outputs near zero, where a
//! relative measure is meaningless after cancellation.
use std::path::PathBuf;
use std::process::Command;

use torchlean::ir::Tensor;
use torchlean::num::binary32::{F32, Status};

const ULP_BUDGET: u32 = 64;
const ABS_FLOOR: f64 = 1e-6;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_torchlean")
}

fn run(cmd: &mut Command) -> String {
    let o = cmd.output().unwrap();
    assert!(o.status.success(), "{cmd:?}: {}\n{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/python/torch_forward.py")
}

/// Deterministic binary32 inputs: multiples of 1/16 in [-1, 1), different per `seed`.
fn input(n: usize, seed: usize) -> Vec<F32> {
    (0..n).map(|i| F32(((((i * 13 + seed * 7) % 32) as f32 - 16.0) / 16.0).to_bits())).collect()
}

fn hex_list(v: &[F32]) -> String {
    v.iter().map(|b| b.to_hex()).collect::<Vec<_>>().join(",")
}

fn parse_bits(json: &str) -> Vec<F32> {
    let v: Vec<String> = serde_json::from_str(json.trim()).unwrap();
    v.iter().map(|s| F32::parse_hex(s).unwrap()).collect()
}

/// Ulp distance on the binary32 number line (signed zeros equal).
fn ulps(a: F32, b: F32) -> u64 {
    let key = |x: F32| -> i64 {
        let b = x.to_bits() as i64;
        if b & 0x8000_0000 != 0 { -(b & 0x7fff_ffff) } else { b }
    };
    key(a).abs_diff(key(b))
}

fn assert_close(what: &str, ours: &[F32], torch: &[F32]) {
    assert_eq!(ours.len(), torch.len(), "{what}: output count");
    let worst = ours.iter().zip(torch).map(|(a, b)| ulps(*a, *b)).max().unwrap_or(0);
    eprintln!("{what}: max {worst} ulps over {} outputs", ours.len());
    for (i, (a, b)) in ours.iter().zip(torch).enumerate() {
        let (fa, fb) = (f32::from_bits(a.to_bits()) as f64, f32::from_bits(b.to_bits()) as f64);
        let ok = ulps(*a, *b) <= ULP_BUDGET as u64 || (fa - fb).abs() <= ABS_FLOOR;
        assert!(ok, "{what}: output {i}: torchlean {} ({fa:e}) vs PyTorch {} ({fb:e}): {} ulps", a.to_hex(), b.to_hex(), ulps(*a, *b));
    }
}

/// export → train.py → import → eval vs PyTorch on three inputs.
fn family_round_trip(family: &str, extra: &[&str], shape: &[usize]) {
    let d = tempfile::tempdir().unwrap();
    let pkg = d.path().join("pkg");
    let mut export = Command::new(bin());
    export.args(["export", "--family", family, "--out"]).arg(&pkg).args(extra);
    run(&mut export);
    let payload = pkg.join("payload.json");
    run(Command::new("python3").arg(pkg.join("train.py")).arg(&payload));
    let imported = d.path().join("imported");
    run(Command::new(bin()).arg("import").arg(&payload).arg("--out").arg(&imported));
    let n: usize = shape.iter().product();
    let shape_s = shape.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(",");
    for seed in 0..3 {
        let x = hex_list(&input(n, seed));
        let ours: serde_json::Value = serde_json::from_str(&run(Command::new(bin())
            .arg("eval")
            .arg(imported.join("payload.json"))
            .args(["--semantics", "f32", "--json", "--input", &x])))
        .unwrap();
        let ours: Vec<F32> = ours["f32"].as_array().unwrap().iter().map(|s| F32::parse_hex(s.as_str().unwrap()).unwrap()).collect();
        let torch = parse_bits(&run(Command::new("python3")
            .arg(script())
            .arg(pkg.join("model.py"))
            .arg("--payload")
            .arg(&payload)
            .args(["--batched", "--shape", &shape_s, "--input", &x])));
        assert_close(&format!("{family} seed {seed}"), &ours, &torch);
    }
}

#[test]
fn mlp_round_trips_through_pytorch() {
    family_round_trip("mlp", &["--dims", "10,32,5", "--act", "relu"], &[10]);
}

#[test]
fn cnn_round_trips_through_pytorch() {
    family_round_trip("cnn", &[], &[1, 8, 8]);
}

#[test]
fn transformer_round_trips_through_pytorch() {
    // The default encoder: d_model 8, 2 heads, ffn 16, one layer, sequence length 4.
    family_round_trip("transformer", &[], &[4, 8]);
}

#[test]
fn causal_gelu_transformer_round_trips_through_pytorch() {
    family_round_trip("transformer", &["--act", "gelu", "--mask", "causal"], &[4, 8]);
}

/// Returns how many runs were exact (no inexact flag) and so also checked against ℚ.
fn codegen_matches(arch: &str) -> usize {
    let d = tempfile::tempdir().unwrap();
    let module = d.path().join(format!("{}.py", arch.replace('-', "_")));
    std::fs::write(&module, run(Command::new(bin()).args(["codegen-pytorch", "--arch", arch]))).unwrap();
    let graph = torchlean::cli::codegen::arch_graph(arch).unwrap();
    let shape = match graph.inputs().next().map(|n| &n.op) {
        Some(torchlean::ir::Op::Input { shape }) => shape.clone(),
        _ => panic!("{arch}: no input"),
    };
    let n: usize = shape.iter().product();
    let mut exact_runs = 0;
    for seed in 0..3 {
        let x = input(n, seed);
        let r = graph.eval_f32(&[Tensor::new(shape.clone(), x.clone()).unwrap()]).unwrap();
        let ours: Vec<F32> = r.value.iter().flat_map(|t| t.data().to_vec()).collect();
        // No inexact flag means no operation rounded, so binary32 must equal the exact ℚ value.
        if !r.status.contains(Status::INEXACT) && !arch.contains("autoencoder") {
            let xq: Vec<_> = x.iter().map(|b| b.to_rational().unwrap()).collect();
            let exact = graph.eval_exact(&[Tensor::new(shape.clone(), xq).unwrap()]).unwrap();
            let exact: Vec<F32> = exact.iter().flat_map(|t| t.data().iter().map(|q| F32::from_rational(q).value).collect::<Vec<_>>()).collect();
            assert_eq!(ours, exact, "codegen {arch} seed {seed}: exact binary32 run differs from the exact value");
            exact_runs += 1;
        }
        let shape_s = shape.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(",");
        let torch = parse_bits(&run(Command::new("python3").arg(script()).arg(&module).args(["--shape", &shape_s, "--input", &hex_list(&x)])));
        assert_close(&format!("codegen {arch} seed {seed}"), &ours, &torch);
    }
    exact_runs
}

#[test]
fn codegen_modules_run_and_match_our_evaluation() {
    let exact: usize = torchlean::cli::codegen::ARCHS.iter().map(|a| codegen_matches(a)).sum();
    // The codegen weights are short dyadics and the inputs multiples of 1/16: most runs are exact.
    assert!(exact >= 9, "only {exact} exact runs");
}

