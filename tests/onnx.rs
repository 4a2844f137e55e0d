//! ONNX import: VNN-COMP's ACAS Xu files give the `.nnet` payloads byte for byte; files built by
//! the `onnx` package (tests/onnx_models.py) import to the expected family and tensors, evaluate
//! as onnxruntime does (bit for bit where the operation order is the same, else within the
//! documented budget of docs/onnx.md), and what torchlean cannot read exactly is refused naming
//! the node, the op and the attribute.
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn acas(file: &str) -> PathBuf {
    repo().join("../shared/benchmarks/acasxu").join(file)
}

fn torchlean(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_torchlean")).args(args).output().unwrap()
}

fn show(o: &Output) -> String {
    format!("status {}\n--- stdout\n{}\n--- stderr\n{}", o.status, String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn import(model: &Path, out: &Path) -> Vec<u8> {
    let o = torchlean(&["import", model.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    fs::read(out.join("payload.json")).unwrap()
}

#[test]
fn vnncomp_acas_onnx_files_give_the_nnet_payloads_byte_for_byte() {
    let d = tempfile::tempdir().unwrap();
    for net in ["1_1", "1_2", "1_3", "1_4", "1_5", "1_6", "1_7", "1_8", "1_9", "2_1"] {
        let name = format!("ACASXU_run2a_{net}_batch_2000");
        // The ONNX graph subtracts an all-zero `input_AvgImg`, flattens, then MatMul + Add + Relu:
        // the no-ops fold away and each MatMul + Add is one linear layer.
        let from_onnx = import(&acas(&format!("onnx/{name}.onnx")), &d.path().join(format!("o{net}")));
        let from_nnet = import(&acas(&format!("{name}.nnet")), &d.path().join(format!("n{net}")));
        assert!(from_onnx == from_nnet, "{name}: the ONNX and .nnet payloads differ");
        if net == "1_1" {
            assert_eq!(torchlean::json::sha256_ref(&from_onnx), "sha256:85fd307cb644fec1b68661492868d615137171e39e073d963640ca1a5cb9cf96");
        }
    }
    // `verify` reads the ONNX file directly, with the .nnet file's verdict; a certificate is
    // the same bytes from either file (only the manifests differ: they name the source files).
    let verify = |model: &Path, prop: &str, out: &str| {
        let o = torchlean(&["verify", "--model", model.to_str().unwrap(), "--property", acas(prop).to_str().unwrap(),
            "--out", d.path().join(out).to_str().unwrap(), "--lean-dir", d.path().join("lean").to_str().unwrap()]);
        o.status.code()
    };
    assert_eq!(verify(&acas("onnx/ACASXU_run2a_1_2_batch_2000.onnx"), "prop_2.vnnlib", "v12"), Some(10));
    assert_eq!(verify(&acas("onnx/ACASXU_run2a_1_6_batch_2000.onnx"), "prop_3.vnnlib", "onnx16"), Some(0));
    assert_eq!(verify(&acas("ACASXU_run2a_1_6_batch_2000.nnet"), "prop_3.vnnlib", "nnet16"), Some(0));
    let cert = |dir: &str| fs::read(d.path().join(dir).join("certificate.json")).unwrap();
    assert!(cert("onnx16") == cert("nnet16"), "the certificates from .onnx and .nnet differ");
}

fn bits_of(v: &serde_json::Value) -> Vec<String> {
    v.as_array().unwrap().iter().map(|b| b.as_str().unwrap().to_string()).collect()
}

fn f32_of(h: &str) -> f32 {
    f32::from_bits(u32::from_str_radix(h.trim_start_matches("0x"), 16).unwrap())
}

/// torchlean's declared-order binary32 outputs at each reference input, against onnxruntime's:
/// the largest difference in units of the last place of the largest output (0: bit for bit).
fn ulps_from_onnxruntime(model: &Path) -> (f32, usize) {
    let reference: serde_json::Value = serde_json::from_slice(&fs::read(model.with_extension("ref.json")).unwrap()).unwrap();
    let (mut worst, mut exact) = (0f32, 0);
    for (x, y) in reference["inputs"].as_array().unwrap().iter().zip(reference["outputs"].as_array().unwrap()) {
        let input = bits_of(x).join(",");
        let o = torchlean(&["eval", model.to_str().unwrap(), "--input", &input, "--semantics", "f32", "--json"]);
        assert_eq!(o.status.code(), Some(0), "{}", show(&o));
        let got = bits_of(&serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()["f32"]);
        let want = bits_of(y);
        assert_eq!(got.len(), want.len());
        exact += usize::from(got == want);
        let scale = want.iter().map(|h| f32_of(h).abs()).fold(f32::MIN_POSITIVE, f32::max);
        let ulp = f32::from_bits(scale.to_bits() + 1) - scale;
        for (g, w) in got.iter().zip(&want) {
            worst = worst.max((f32_of(g) - f32_of(w)).abs() / ulp);
        }
    }
    (worst, exact)
}

#[test]
fn files_built_by_the_onnx_package_import_evaluate_and_refuse_as_documented() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("models");
    let o = Command::new("python3").arg(repo().join("tests/onnx_models.py")).arg(&dir).arg(acas("")).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "tests/onnx_models.py needs the onnx and onnxruntime packages (.ci/run installs them)\n{}", show(&o));

    // The shared networks written as Gemm (transB = 1) layers: again the .nnet payloads.
    for net in ["1_1", "1_7", "2_1"] {
        let from_onnx = import(&dir.join(format!("acas_{net}_gemm.onnx")), &d.path().join(format!("g{net}")));
        let from_nnet = import(&acas(&format!("ACASXU_run2a_{net}_batch_2000.nnet")), &d.path().join(format!("n{net}")));
        assert!(from_onnx == from_nnet, "acas_{net}_gemm.onnx: payload differs from the .nnet one");
    }

    // The CNN is a `cnn` model; its BatchNormalization is folded into conv1 exactly as numpy
    // folds it, and the other layers keep their weights.
    let payload: serde_json::Value = serde_json::from_slice(&import(&dir.join("cnn.onnx"), &d.path().join("cnn"))).unwrap();
    assert_eq!(payload["family"], "cnn");
    let ops: Vec<&str> = payload["spec"]["layers"].as_array().unwrap().iter().map(|l| l["op"].as_str().unwrap()).collect();
    assert_eq!(ops, ["conv2d", "relu", "avgpool2d", "conv2d", "relu", "maxpool2d", "flatten", "linear"]);
    assert_eq!(payload["spec"]["layers"][0]["padding"], 1);
    let folded: serde_json::Value = serde_json::from_slice(&fs::read(dir.join("cnn.folded.json")).unwrap()).unwrap();
    for (name, want) in folded.as_object().unwrap() {
        let t = payload["tensors"].as_array().unwrap().iter().find(|t| t["name"] == name.as_str()).unwrap();
        assert_eq!(bits_of(&t["f32"]), bits_of(want), "{name}");
    }

    // MatMul + Add layers (a bias of shape [1, out], an Add with the bias first) are linear
    // layers with the weights transposed to [out, in].
    let payload: serde_json::Value = serde_json::from_slice(&import(&dir.join("matmul_mlp.onnx"), &d.path().join("mm"))).unwrap();
    assert_eq!((payload["family"].as_str(), payload["spec"]["widths"].to_string()), (Some("mlp"), "[3,4,2]".to_string()));
    let expected: serde_json::Value = serde_json::from_slice(&fs::read(dir.join("matmul_mlp.folded.json")).unwrap()).unwrap();
    for (name, want) in expected.as_object().unwrap() {
        let t = payload["tensors"].as_array().unwrap().iter().find(|t| t["name"] == name.as_str()).unwrap();
        assert_eq!(bits_of(&t["f32"]), bits_of(want), "{name}");
    }

    // Elementwise ops by constants (Sub, Mul, Div by 4, Relu, Add) in ONNX's order: bit for bit.
    assert_eq!(ulps_from_onnxruntime(&dir.join("elementwise.onnx")), (0.0, 8));
    // Dot products: onnxruntime sums in its own order (blocked, fused multiply-add), torchlean in
    // the declared one; the budget is 64 units in the last place of the largest output.
    for m in ["cnn.onnx", "acas_1_1_gemm.onnx", "matmul_mlp.onnx"] {
        let (worst, _) = ulps_from_onnxruntime(&dir.join(m));
        assert!(worst <= 64.0, "{m}: {worst} ulps from onnxruntime");
    }

    // Refusals: one line naming the file, the node, the op and what was expected.
    let refused = |m: &str| {
        let p = dir.join(m);
        let o = torchlean(&["import", p.to_str().unwrap(), "--out", d.path().join("x").to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{}", show(&o));
        assert!(!d.path().join("x").exists(), "nothing written for a refused file");
        String::from_utf8_lossy(&o.stderr).trim().replace(&format!("{}", p.display()), m)
    };
    assert_eq!(refused("softplus.onnx"), "error: softplus.onnx: node 1 \"sp\" (Softplus): op Softplus: expected one of Gemm, MatMul, Add, Sub, Mul, Div, Relu, Sigmoid, Tanh, Conv, MaxPool, AveragePool, Flatten, Reshape, Transpose, Constant, Identity, Dropout, BatchNormalization");
    assert_eq!(refused("conv_group.onnx"), "error: conv_group.onnx: node 0 \"grouped\" (Conv): attribute \"group\": expected 1, found 2");
    assert_eq!(refused("bn_sequence.onnx"), "error: bn_sequence.onnx: node 1 \"bn\" (BatchNormalization): input 0: expected a Gemm/MatMul output of shape [1, features] (the channel axis is 1), found shape [1, 2, 2]");
    assert_eq!(refused("bn_inexact.onnx"), "error: bn_inexact.onnx: node 1 \"bn\" (BatchNormalization): channel 0: expected var + epsilon to be the square of a rational so the fold is exact, found 2");
}

#[test]
fn bytes_that_are_not_onnx_are_refused_with_the_file_named() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("junk.onnx");
    fs::write(&p, b"\x0a\xff\xff\xff\xff\xff").unwrap();
    let o = torchlean(&["import", p.to_str().unwrap(), "--out", d.path().join("o").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", show(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.starts_with(&format!("error: {}: expected an ONNX ModelProto, found bytes protobuf cannot decode", p.display())), "{err}");
}
