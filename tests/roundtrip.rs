//! The PyTorch round trip without torch: strict import (exact one-line errors, exit code 2,
//! nothing written), the exact hashes of a successful import, the generated Python's canonical
//! writer against our strict reader byte for byte, `py_compile` on every generated file, goldens.
use std::fs;
use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};
use torchlean::json::{canonical_bytes, parse_canonical};
use torchlean::cli::{codegen, import};
use torchlean::model::{Act, Family, MlpSpec, Model, pytorch};

const DEMO_PAYLOAD: &str = "sha256:c49c75e3b31e55957dbe87eedf5e462446efe3f4ea0420848e8b00cfa945beac";
const DEMO_GRAPH: &str = "sha256:2c0c731f34ddfb9d3efa93bba30d9ac709ecc8e797e914a7b74c710d08a93522";

fn demo() -> Value {
    torchlean::artifact::payload::write(&Model::demo())
}

/// Writes `text` as a payload file in a fresh temp dir and returns the import error message
/// (without the file prefix), checking the binary exits 2 and writes nothing.
fn rejected(text: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("p.json");
    fs::write(&p, text).unwrap();
    let out = dir.path().join("out");
    let o =
        Command::new(env!("CARGO_BIN_EXE_torchlean")).arg("import").arg(&p).arg("--out").arg(&out).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(!out.exists(), "nothing is written on failure");
    let msg = import::read(&p).unwrap_err().to_string();
    assert_eq!(String::from_utf8_lossy(&o.stderr), format!("error: {msg}\n"));
    let prefix = format!("{}: ", p.display());
    msg.strip_prefix(&prefix).unwrap_or_else(|| panic!("{msg:?} names the file")).to_string()
}

fn rejected_value(v: &Value) -> String {
    rejected(&serde_json::to_string_pretty(v).unwrap())
}

#[test]
fn a_transposed_weight_names_the_key_and_both_shapes() {
    let spec = MlpSpec::new(vec![10, 32, 5], vec![Act::Gelu, Act::Identity]).unwrap();
    let m = torchlean::model::Model::filled(Family::Mlp(spec), |_| torchlean::num::binary32::F32(0x3f800000)).unwrap();
    let mut v = torchlean::artifact::payload::write(&m);
    v["tensors"][0]["shape"] = json!([10, 32]);
    assert_eq!(rejected_value(&v), "layers.0.weight: expected shape [32, 10], found [10, 32]");
}

#[test]
fn a_missing_key_an_extra_key_and_the_order_are_named() {
    let mut v = demo();
    v["tensors"].as_array_mut().unwrap().remove(1);
    assert_eq!(rejected_value(&v), "layers.0.bias: expected a tensor of shape [3], found none");
    let mut v = demo();
    v["tensors"].as_array_mut().unwrap().push(json!({"f32": [], "name": "layers.2.weight", "shape": [0]}));
    assert_eq!(
        rejected_value(&v),
        "layers.2.weight: expected no such tensor (family mlp has layers.0.weight, layers.0.bias, layers.1.weight, layers.1.bias), found one"
    );
    let mut v = demo();
    v["tensors"].as_array_mut().unwrap().swap(0, 1);
    assert_eq!(
        rejected_value(&v),
        "tensors[0]: expected \"layers.0.weight\" (parameter order: layers.0.weight, layers.0.bias, layers.1.weight, layers.1.bias), found \"layers.0.bias\""
    );
}

#[test]
fn a_wrong_family_a_nan_a_decimal_and_a_count_are_named() {
    let mut v = demo();
    v["family"] = json!("resnet");
    assert_eq!(rejected_value(&v), "family: expected one of \"mlp\", \"cnn\", \"transformer\", found \"resnet\"");
    let mut v = demo();
    v["tensors"][2]["f32"][1] = json!("0x7fc00000");
    assert_eq!(rejected_value(&v), "layers.1.weight[1]: expected a finite binary32, found 0x7fc00000");
    let mut v = demo();
    v["tensors"][0]["f32"][3] = json!(0.9);
    assert_eq!(
        rejected_value(&v),
        "layers.0.weight[3]: expected binary32 bits \"0x\" + 8 lowercase hex digits, found JSON number 0.9"
    );
    let mut v = demo();
    v["tensors"][1]["f32"].as_array_mut().unwrap().pop();
    assert_eq!(rejected_value(&v), "layers.0.bias: expected 3 values (shape [3]), found 2");
}

#[test]
fn a_truncated_file_is_named_and_rejected() {
    let text = String::from_utf8(canonical_bytes(&demo()).unwrap()).unwrap();
    let msg = rejected(&text[..200]);
    assert_eq!(msg, "not valid JSON (EOF while parsing a string at line 1 column 200)");
}

#[test]
fn a_payload_imports_with_the_exact_hashes_and_audits_clean() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("p.json");
    fs::write(&p, serde_json::to_string_pretty(&demo()).unwrap()).unwrap();
    let out = dir.path().join("imp");
    let w = import::import(&import::read(&p).unwrap(), None, &out, &[]).unwrap();
    let hashes: Vec<(&str, &str)> = w.iter().map(|w| (w.kind.as_str(), w.sha256.as_str())).collect();
    assert_eq!(
        hashes,
        [
            ("payload", DEMO_PAYLOAD),
            ("graph", DEMO_GRAPH),
            ("manifest", "sha256:df033f87d8091cf12dc9e5b60c604244ab563c8aeb10639b2745a46ebf69b292")
        ]
    );
    let report = torchlean::audit::audit(&out, None).unwrap();
    assert!(report.ok(), "{:?}", report.failures());
    assert!(import::import(&import::read(&p).unwrap(), None, &out, &[]).unwrap_err().to_string().contains("non-empty"));
}

#[test]
fn a_transformer_payload_imports_with_its_graph_and_audits_clean() {
    let dir = tempfile::tempdir().unwrap();
    let p = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/transformer-default.payload.json");
    let out = dir.path().join("imp");
    let w = import::import(&import::read(Path::new(p)).unwrap(), None, &out, &[]).unwrap();
    let hashes: Vec<(&str, &str)> = w.iter().map(|w| (w.kind.as_str(), w.sha256.as_str())).collect();
    assert_eq!(
        hashes,
        [
            ("payload", "sha256:5f4d656bd0b6feb770a28d2c4d26ba735748ca359a219b25fcc9226e19af0ff1"),
            ("graph", "sha256:bd44fec519e8f5a3afc3983aacca76bf54451816c6e7a777d6d4d5733496f9b1"),
            ("manifest", "sha256:8a0d42b2107b032d7f26c225a72f227275856cae2057f1699c0e0cc23d774a23")
        ]
    );
    let report = torchlean::audit::audit(&out, None).unwrap();
    assert!(report.ok(), "{:?}", report.failures());
}

/// The Python half is part of the contract, so a missing `python3` fails the test (CI has one).
fn python() -> bool {
    let ok = Command::new("python3").arg("--version").output().is_ok_and(|o| o.status.success());
    assert!(ok, "python3 is required for the Python half of the round trip");
    ok
}

fn py_compile(path: &Path) {
    let o = Command::new("python3").args(["-m", "py_compile"]).arg(path).output().unwrap();
    assert!(o.status.success(), "{}: {}", path.display(), String::from_utf8_lossy(&o.stderr));
}

#[test]
fn exported_packages_compile_and_the_pure_writer_matches_our_reader_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    for fam in ["mlp", "cnn", "transformer"] {
        let out = dir.path().join(fam);
        let o = Command::new(env!("CARGO_BIN_EXE_torchlean"))
            .args(["export", "--family", fam, "--dims", "2,3,1", "--act", "relu", "--out"])
            .arg(&out)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        for f in ["model.py", "torchlean_io.py", "train.py", "README.md"] {
            assert!(out.join(f).exists());
        }
        if python() {
            for f in ["model.py", "torchlean_io.py", "train.py"] {
                py_compile(&out.join(f));
            }
        }
    }
    if !python() {
        return;
    }
    let script = r#"
import sys
sys.path.insert(0, sys.argv[1])
import torchlean_io as io
io.write_payload({"layers.0.weight": [0.7, -1.3, -0.4, 0.9, 1.1, 0.25], "layers.0.bias": [0.1, -0.2, 0.05],
                  "layers.1.weight": [1.5, -0.8, 0.6], "layers.1.bias": [-0.3]}, sys.argv[2])
"#;
    let p = dir.path().join("p.json");
    let o = Command::new("python3").args(["-c", script]).arg(dir.path().join("mlp")).arg(&p).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let bytes = fs::read(&p).unwrap();
    assert_eq!(bytes, canonical_bytes(&demo()).unwrap());
    assert_eq!(torchlean::json::sha256_ref(&bytes), DEMO_PAYLOAD);
    torchlean::artifact::payload::read(&parse_canonical(&bytes).unwrap()).unwrap();
}

#[test]
fn codegen_emits_compilable_modules_for_every_arch() {
    let dir = tempfile::tempdir().unwrap();
    for arch in codegen::ARCHS {
        let text = codegen::generate(arch).unwrap();
        let p = dir.path().join(format!("{}.py", arch.replace('-', "_")));
        fs::write(&p, &text).unwrap();
        if python() {
            py_compile(&p);
        }
    }
    let sum = codegen::generate("sum").unwrap();
    assert!(sum.contains("        v3 = v1 + v2  # s (add)\n        return v3\n"), "{sum}");
    let cnn = codegen::generate("cnn").unwrap();
    assert!(
        cnn.contains("self.m1 = nn.Conv2d(1, 2, (3, 3), stride=(1, 1), padding=(1, 1))  # layers.0.conv2d\n"),
        "{cnn}"
    );
}

#[test]
fn golden_mlp_model_py() {
    let f = Family::Mlp(MlpSpec::new(vec![2, 3, 1], vec![Act::Relu, Act::Identity]).unwrap());
    let want = r#""""The torchlean `mlp` family as a PyTorch module (generated by `torchlean export`)."""
import torch
from torch import nn

FAMILY = "mlp"
SPEC = {"activations":["relu","identity"],"widths":[2,3,1]}
INPUT_SHAPE = [2]

_ACT = {
    "relu": torch.relu,
    "gelu": nn.functional.gelu,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "identity": lambda x: x,
}


class Model(nn.Module):
    """`layers.{i}` is `nn.Linear(widths[i], widths[i + 1])`; activation i follows it in forward."""

    def __init__(self, spec=SPEC):
        super().__init__()
        w = spec["widths"]
        self.activations = list(spec["activations"])
        self.layers = nn.ModuleList(nn.Linear(w[i], w[i + 1]) for i in range(len(w) - 1))

    def forward(self, x):
        for layer, act in zip(self.layers, self.activations):
            x = _ACT[act](layer(x))
        return x


def build_exported_model():
    return Model()
"#;
    assert_eq!(pytorch::model_py(&f), want);
    assert!(
        pytorch::io_py(&f).contains("PARAMS = [\n    (\"layers.0.weight\", [3, 2]),\n    (\"layers.0.bias\", [3]),\n")
    );
}

fn eval_demo(input: &str) -> std::process::Output {
    let payload = concat!(env!("CARGO_MANIFEST_DIR"), "/certificates/demo-mlp/payload.json");
    Command::new(env!("CARGO_BIN_EXE_torchlean")).args(["eval", payload, "--json", "--input", input]).output().unwrap()
}

#[test]
fn eval_gives_the_exact_value_and_the_declared_order_binary32_bits() {
    let o = eval_demo("1,0x3f800000");
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    // Exact: the demo value at [1, 1] (cross-checked with Python fractions in src/model/mlp.rs);
    // binary32: the same bits tests/ir.rs checks against hardware f32 in the declared order.
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        r#"{"exact":["675540076645583/2251799813685248"],"f32":["0x3e99999c"],"f32_flags":"inexact"}"#
    );
}

#[test]
fn eval_rejects_inputs_that_are_not_binary32_values() {
    let o = eval_demo("0.1,1");
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr).trim(),
        "error: --input[0]: expected a value exactly representable in binary32, found 0.1 (nearest is 0x3dcccccd)"
    );
    let o = eval_demo("1,2,3");
    assert_eq!(String::from_utf8_lossy(&o.stderr).trim(), "error: --input: expected 2 values (shape [2]), found 3");
}

#[test]
fn acas_nnet_and_vnnlib_import_with_a_violation_property_and_audit_clean() {
    let acas = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/benchmarks/acasxu/");
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("acas-1-1-prop-3");
    let o = Command::new(env!("CARGO_BIN_EXE_torchlean"))
        .arg("import")
        .arg(format!("{acas}ACASXU_run2a_1_1_batch_2000.nnet"))
        .arg("--property")
        .arg(format!("{acas}prop_3.vnnlib"))
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let report = torchlean::audit::audit(&out, None).unwrap();
    assert!(report.ok(), "{:?}", report.failures());
    let property: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("property.json")).unwrap()).unwrap();
    assert_eq!(property["kind"], "violation_dnf");
    // X_0 in [-0.303531156, -0.298552812], read exactly and reduced.
    assert_eq!(property["input_box"][0], serde_json::json!(["-75882789/250000000", "-74638203/250000000"]));
    assert_eq!(property["violation"][0][1]["coeffs"], serde_json::json!(["1", "0", "-1", "0", "0"]));
    let p = torchlean::artifact::property::read_violation(&property).unwrap();
    assert_eq!((p.violation.len(), p.violation[0].len(), p.num_outputs), (1, 4, 5));
    // The payload is the .nnet's decimals rounded once to binary32 (first weight 5.40062e-02).
    let payload: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("payload.json")).unwrap()).unwrap();
    assert_eq!(payload["tensors"][0]["name"], "layers.0.weight");
    assert_eq!(payload["tensors"][0]["f32"][0], "0x3d5d359b");
}

#[test]
fn a_property_of_the_wrong_size_is_rejected() {
    let acas = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/benchmarks/acasxu/");
    let d = tempfile::tempdir().unwrap();
    let vnnlib = d.path().join("p.vnnlib");
    std::fs::write(&vnnlib, "(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (<= X_0 1))\n(assert (>= X_0 0))\n(assert (<= Y_0 0))\n").unwrap();
    let out = d.path().join("x");
    let o = Command::new(env!("CARGO_BIN_EXE_torchlean"))
        .arg("import")
        .arg(format!("{acas}ACASXU_run2a_1_1_batch_2000.nnet"))
        .arg("--property")
        .arg(&vnnlib)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr).trim(),
        "error: --property: expected 5 inputs and 5 outputs (the model's), found 1 and 1"
    );
    assert!(!out.exists(), "nothing is written on error");
}
