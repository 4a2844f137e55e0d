//! Which execution a verdict is about (`verify --semantics`, `docs/trust.md`): a network whose
//! exact output satisfies a property everywhere while its declared-order binary32 execution
//! violates it (`examples/binary32/cancel.nnet`: y = relu(2^25 x) + relu(1) − relu(2^25 x), where
//! 2^25 x + 1 rounds back to 2^25 x). Each verdict is backed: the exact one by a certificate, the
//! binary32 one by a counterexample replayed bit for bit, and by PyTorch's float32 in the same order.
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn example(file: &str) -> String {
    repo().join("examples/binary32").join(file).display().to_string()
}

fn torchlean(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_torchlean")).args(args).output().unwrap()
}

fn show(o: &Output) -> String {
    format!("status {}\n--- stdout\n{}\n--- stderr\n{}", o.status, String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn verify(out: &Path, semantics: &str) -> Output {
    let lean = out.with_extension("lean");
    torchlean(&[
        "verify",
        "--model",
        &example("cancel.nnet"),
        "--property",
        &example("cancel.vnnlib"),
        "--out",
        out.to_str().unwrap(),
        "--lean-dir",
        lean.to_str().unwrap(),
        "--semantics",
        semantics,
    ])
}

#[test]
fn exact_and_binary32_verdicts_differ_and_each_is_backed() {
    let d = tempfile::tempdir().unwrap();
    // Both semantics (the default): verified exactly, violated in binary32, exit 11.
    let out = d.path().join("cancel");
    let o = verify(&out, "both");
    assert_eq!(o.status.code(), Some(11), "{}", show(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("status     verified"), "{}", show(&o));
    assert!(
        stdout.contains("binary32   violated: input [3/2]: its binary32 output satisfies disjunct 0 (exact output does not: the two semantics differ here)"),
        "{}",
        show(&o)
    );
    // The binary32 counterexample, byte for byte: the exact output 1, the binary32 output +0.
    let cex = std::fs::read_to_string(out.join("counterexample.binary32.json")).unwrap();
    assert_eq!(
        cex,
        r#"{"disjunct":0,"f32_output":["0x00000000"],"format":"torchlean.counterexample.v1","input":["3/2"],"output":["1"],"payload":"sha256:09d3f03181f81628cfbdd2b43e56645784304d42962a72cd3eb1b3a5749f8958","property":"sha256:6fa737cc2af9837086f5621460b05513df3f8aea19815962eec69c9a4d396709","semantics":"binary32-declared-order"}"#
    );
    // Both are re-checked: the certificate's leaf re-bounded, the counterexample replayed; audit
    // re-hashes all five files and replays the counterexample again.
    let o = torchlean(&["check-cert", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("check      certificate ok"), "{}", show(&o));
    assert!(
        stdout.contains("binary32   counterexample.binary32.json ok: replayed: binary32 output satisfies disjunct 0; exact output not (the semantics differ)"),
        "{}",
        show(&o)
    );
    let o = torchlean(&["audit", out.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("audit: 5 files ok"), "{}", show(&o));

    // The exact semantics alone: verified (exit 0), nothing written about binary32.
    let real = d.path().join("real");
    let o = verify(&real, "real");
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    assert!(!real.join("counterexample.binary32.json").exists());
    assert!(!String::from_utf8_lossy(&o.stdout).contains("binary32"), "{}", show(&o));
    // The binary32 semantics alone: violated (exit 10).
    let o = verify(&d.path().join("f32"), "binary32");
    assert_eq!(o.status.code(), Some(10), "{}", show(&o));

    // Re-checked for the binary32 semantics, the exact-only certificate is refused; the directory
    // with the binary32 counterexample passes as a binary32 violation.
    let o = torchlean(&["check-cert", real.to_str().unwrap(), "--semantics", "binary32"]);
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains(
            "certificate.json proves the property of the exact semantics only; nothing here certifies the declared-order binary32 execution"
        ),
        "{}",
        show(&o)
    );
    let o = torchlean(&["check-cert", out.to_str().unwrap(), "--semantics", "binary32"]);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout)
            .contains("check      binary32 violated: replayed: binary32 output satisfies disjunct 0; exact output not (the semantics differ)"),
        "{}",
        show(&o)
    );
}

#[test]
fn a_binary32_counterexample_whose_bits_do_not_replay_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("cancel");
    assert_eq!(verify(&out, "both").status.code(), Some(11));
    // Claim the binary32 output is 1 (the exact value): the replay gives +0.
    let path = out.join("counterexample.binary32.json");
    let text = std::fs::read_to_string(&path).unwrap().replace("0x00000000", "0x3f800000");
    std::fs::write(&path, text).unwrap();
    let o = torchlean(&["check-cert", out.to_str().unwrap()]);
    assert_ne!(o.status.code(), Some(0), "{}", show(&o));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("f32_output: expected the declared-order binary32 outputs at input, found different bits")
            && stderr.contains("disjunct: expected a disjunct the declared-order binary32 output satisfies, found 0"),
        "{}",
        show(&o)
    );
}

#[test]
fn pytorch_float32_in_the_declared_order_gives_the_binary32_verdict() {
    // CI installs torch (`.ci/run`). The declared-order module must give torchlean's bits; what
    // PyTorch's own `nn.Linear` kernels give is reported (on torch 2.9.1, CPU: the same +0).
    let o = Command::new("python3").arg(example("pytorch_forward.py")).output().unwrap();
    assert!(o.status.success(), "{}", show(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["declared_order"], "0x00000000", "{v}");
    let default = v["nn_linear"].as_str().unwrap();
    eprintln!("torch {}: nn.Linear gives {default} ({})", v["torch"], if default == "0x00000000" { "agrees" } else { "differs" });
    assert!(["0x00000000", "0x3f800000"].contains(&default), "{v}");
}
