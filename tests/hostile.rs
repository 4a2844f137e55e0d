//! Hostile input, one regression test per way torchlean once crashed, lied or hung (issue 29):
//! each feeds the crafted input to the binary and asserts the exit code and the message, so the
//! class stays fixed. Limits are those of `torchlean::limits` (listed in `docs/format.md`).
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use torchlean::json::{canonical_bytes, sha256_ref};

fn data(file: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(file).display().to_string()
}

/// Runs torchlean in a fresh working directory, so a `verify` without `--lean-dir` writes its
/// module there and not into the repository's Lean project.
fn torchlean(args: &[&str]) -> Output {
    let cwd = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_torchlean")).args(args).current_dir(cwd.path()).stdin(Stdio::null()).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn show(o: &Output) -> String {
    format!("status {}\n--- stdout\n{}\n--- stderr\n{}", o.status, String::from_utf8_lossy(&o.stdout), stderr(o))
}

/// Exit code `code` and exactly the error line `msg` (the first line of stderr).
fn refused(o: &Output, code: i32, msg: &str) {
    assert_eq!(o.status.code(), Some(code), "{}", show(o));
    assert_eq!(stderr(o).lines().next().unwrap_or(""), format!("error: {msg}"), "{}", show(o));
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    fs::write(&p, text).unwrap();
    p.display().to_string()
}

const VNN_HEAD: &str = "(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (>= X_0 0))\n(assert (<= X_0 1))\n";

/// `bounds` over `identity.nnet` with the VNN-LIB text `body` after the declarations and box.
fn bounds_vnnlib(dir: &Path, body: &str) -> Output {
    let p = write(dir, "p.vnnlib", &format!("{VNN_HEAD}{body}"));
    torchlean(&["bounds", "--model", &data("identity.nnet"), "--property", &p])
}

// ---- .nnet ----

const NNET_1_1: &str = "1,1,1,1,\n1,1,\n0,\n-10,\n10,\n0,0,\n1,1,\n1.0,\n0.0,\n";

#[test]
fn a_nnet_layer_of_2_pow_62_neurons_is_refused_before_allocating() {
    let d = tempfile::tempdir().unwrap();
    let p = write(d.path(), "big.nnet", &NNET_1_1.replace("1,1,1,1,\n1,1,", "1,1,4611686018427387904,1,\n1,4611686018427387904,"));
    let o = torchlean(&["bounds", "--model", &p, "--property", &data("strict-upper.vnnlib")]);
    refused(&o, 2, &format!("{p}: layer sizes: size 1: expected between 1 and 1048576, found 4611686018427387904"));
}

#[test]
fn a_nnet_layer_count_of_usize_max_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let p = write(d.path(), "many.nnet", &NNET_1_1.replacen("1,1,1,1,", "18446744073709551615,1,1,1,", 1));
    let o = torchlean(&["bounds", "--model", &p, "--property", &data("strict-upper.vnnlib")]);
    refused(&o, 2, &format!("{p}: header: expected between 1 and 4096 layers, found 18446744073709551615"));
}

#[test]
fn a_nnet_truncated_inside_its_last_number_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let p = write(d.path(), "cut.nnet", NNET_1_1.strip_suffix("0,\n").unwrap());
    let o = torchlean(&["bounds", "--model", &p, "--property", &data("strict-upper.vnnlib")]);
    refused(&o, 2, &format!("{p}:9: expected the last value to end with ',' as every line before it does, found \"0.\" (the file looks truncated)"));
}

// ---- VNN-LIB ----

#[test]
fn a_vnnlib_product_with_zero_is_a_constant_not_a_division_by_zero() {
    let d = tempfile::tempdir().unwrap();
    let o = bounds_vnnlib(d.path(), "(assert (>= (* 0 X_0) 1))\n");
    refused(&o, 2, &format!("{}:5: expected a satisfiable input constraint, found one that is false for every input", d.path().join("p.vnnlib").display()));
}

#[test]
fn a_vnnlib_formula_nested_100000_deep_is_refused_without_overflowing_the_stack() {
    let d = tempfile::tempdir().unwrap();
    let n = 100_000;
    let o = bounds_vnnlib(d.path(), &format!("(assert {}(>= Y_0 1){})\n", "(and ".repeat(n), ")".repeat(n)));
    refused(&o, 2, &format!("{}:5: expected formulas nested at most 1000 deep, found deeper", d.path().join("p.vnnlib").display()));
}

#[test]
fn forty_or_asserts_are_refused_before_their_dnf_is_expanded() {
    let d = tempfile::tempdir().unwrap();
    let ors: String = (0..40).map(|i| format!("(assert (or (>= Y_0 {}) (<= Y_0 -{})))\n", i + 2, i + 2)).collect();
    let start = Instant::now();
    let o = bounds_vnnlib(d.path(), &ors);
    refused(&o, 2, &format!("{}:21: expected a violation of at most 100000 disjuncts once `and` is distributed over `or`, found 65536 × 2", d.path().join("p.vnnlib").display()));
    assert!(start.elapsed() < Duration::from_secs(20), "refused only after {:?}", start.elapsed());
}

#[test]
fn y_00_and_y_plus_0_are_not_y_0() {
    let d = tempfile::tempdir().unwrap();
    for name in ["Y_00", "Y_+0", "Y_-0", "X_01"] {
        let o = bounds_vnnlib(d.path(), &format!("(assert (>= {name} 1))\n"));
        refused(&o, 2, &format!("{}:5: expected a number or a declared X_i/Y_j, found {name}", d.path().join("p.vnnlib").display()));
    }
}

#[test]
fn a_box_end_of_100000_digits_is_refused_at_once() {
    let d = tempfile::tempdir().unwrap();
    let p = write(d.path(), "long.vnnlib", &VNN_HEAD.replace("(<= X_0 1)", &format!("(<= X_0 0.{})", "1".repeat(100_000))));
    let start = Instant::now();
    let o = torchlean(&["bounds", "--model", &data("identity.nnet"), "--property", &p]);
    refused(&o, 2, &format!("{p}:4: expected a token of at most 1000 characters, found one of 100002"));
    assert!(start.elapsed() < Duration::from_secs(5), "refused only after {:?}", start.elapsed());
}

/// Found by the differential campaign: a disjunct whose only row is a constant left the violation
/// with an empty conjunction, and the search panicked looking for its nearest row.
#[test]
fn a_violation_without_an_output_constraint_is_refused_not_a_panic() {
    let d = tempfile::tempdir().unwrap();
    let p = write(d.path(), "p.vnnlib", &format!("{VNN_HEAD}(assert (or (and (<= (* 0 Y_0) 1))))\n"));
    let o = torchlean(&["verify", "--model", &data("identity.nnet"), "--property", &p, "--out", d.path().join("o").to_str().unwrap()]);
    refused(&o, 2, &format!("{p}: violation disjunct 0: expected at least one constraint over the outputs Y_j, found none (every input would satisfy it)"));
    let p = write(d.path(), "none.vnnlib", VNN_HEAD);
    let o = torchlean(&["verify", "--model", &data("identity.nnet"), "--property", &p, "--out", d.path().join("o2").to_str().unwrap()]);
    refused(&o, 2, &format!("{p}: violation disjunct 0: expected at least one constraint over the outputs Y_j, found none (every input would satisfy it)"));
}

/// Found by fuzzing: `1e-99999` is 1000 characters short of the token limit but built a
/// 100000-digit denominator (0.7 s of gcds per number).
#[test]
fn a_decimal_exponent_beyond_1000_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let p = write(d.path(), "exp.vnnlib", &VNN_HEAD.replace("(<= X_0 1)", "(<= X_0 1e-99999)"));
    let o = torchlean(&["bounds", "--model", &data("identity.nnet"), "--property", &p]);
    refused(&o, 2, &format!("{p}:4: expected a number or a declared X_i/Y_j, found 1e-99999"));
    let n = write(d.path(), "exp.nnet", &NNET_1_1.replace("1.0,", "1e-99999,"));
    let o = torchlean(&["bounds", "--model", &n, "--property", &data("strict-upper.vnnlib")]);
    refused(&o, 2, &format!("{n}:8: layer 0 weight row 0: expected an exact number such as \"-3/7\", \"0.25\" or \"1e-3\", found \"1e-99999\" (exponent beyond ±1000)"));
}

#[test]
fn an_implication_is_named_as_itself() {
    let d = tempfile::tempdir().unwrap();
    let o = bounds_vnnlib(d.path(), "(assert (=> Y_0 1))\n");
    refused(&o, 2, &format!("{}:5: expected <=, <, >=, > or =, found =>", d.path().join("p.vnnlib").display()));
}

#[test]
fn non_utf8_input_is_bad_input_exit_2() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("bad.vnnlib");
    fs::write(&p, b"(declare-const X_0 Real)\xff\xfe\n").unwrap();
    let o = torchlean(&["bounds", "--model", &data("identity.nnet"), "--property", p.to_str().unwrap()]);
    refused(&o, 2, &format!("cannot read {}: expected UTF-8 text, found bytes that are not UTF-8", p.display()));
}

// ---- command-line values ----

#[test]
fn timeouts_that_are_not_finite_non_negative_seconds_are_refused() {
    let d = tempfile::tempdir().unwrap();
    for (t, shown) in [("inf", "inf"), ("nan", "NaN"), ("-5", "-5")] {
        let out = d.path().join(format!("t{t}"));
        let o = torchlean(&[
            "verify", "--model", &data("identity.nnet"), "--property", &data("strict-upper.vnnlib"),
            "--out", out.to_str().unwrap(), &format!("--timeout={t}"),
        ]);
        refused(&o, 2, &format!("--timeout: expected a finite number of seconds ≥ 0, found {shown}"));
        assert!(!out.exists());
    }
}

#[test]
fn round_bits_of_4294967295_are_refused() {
    let o = torchlean(&["bounds", "--model", &data("identity.nnet"), "--property", &data("strict-upper.vnnlib"), "--round-bits", "4294967295"]);
    assert_eq!(o.status.code(), Some(2), "{}", show(&o));
    assert!(stderr(&o).contains("4294967295 is not in 0..=4096"), "{}", show(&o));
}

#[test]
fn writing_into_a_closed_pipe_ends_quietly_without_a_panic() {
    use std::os::fd::{FromRawFd, OwnedFd};
    // A pipe whose read end is closed before the child starts, so its first write fails (EPIPE)
    // whatever the timing: with Rust's default the print panicked with exit 101.
    let mut fds = [0; 2];
    // SAFETY: `pipe` fills two fresh descriptors, each then owned exactly once.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    drop(read);
    let o = Command::new(env!("CARGO_BIN_EXE_torchlean"))
        .args(["f32", "show", "0x3eaaaaab"])
        .stdin(Stdio::null())
        .stdout(Stdio::from(write))
        .output()
        .unwrap();
    let err = stderr(&o);
    assert!(!err.contains("panicked"), "{err}");
    // Ended by SIGPIPE, as `cat` would be: no exit code, signal 13.
    use std::os::unix::process::ExitStatusExt;
    assert_eq!((o.status.code(), o.status.signal()), (None, Some(libc::SIGPIPE)), "{err}");
}

// ---- JSON artifacts ----

#[test]
fn a_duplicate_key_in_a_payload_or_a_property_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let payload = fs::read_to_string(data("smooth-small.payload.json")).unwrap();
    let dup = write(d.path(), "dup.payload.json", &payload.replacen("{\"family\": \"mlp\",", "{\"family\": \"mlp\", \"family\": \"cnn\",", 1));
    let prop = d.path().join("p.json");
    let o = torchlean(&["property", "linf", "--center", "0,0,0,0", "--epsilon", "1/10", "--label", "0", "--outputs", "3", "--out", prop.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let o = torchlean(&["verify", "--model", &dup, "--property", prop.to_str().unwrap(), "--out", d.path().join("o1").to_str().unwrap()]);
    refused(&o, 2, &format!("{dup}: not valid JSON (duplicate key \"family\" at line 1 column 26)"));
    let text = fs::read_to_string(&prop).unwrap().replacen("\"label\":0", "\"label\":1,\"label\":0", 1);
    let dup_prop = write(d.path(), "dup.json", &text);
    let o = torchlean(&["verify", "--model", &data("smooth-small.payload.json"), "--property", &dup_prop, "--out", d.path().join("o2").to_str().unwrap()]);
    refused(&o, 2, &format!("{dup_prop}: not valid JSON (duplicate key \"label\" at line 1 column 116)"));
}

#[test]
fn a_property_of_unknown_kind_names_kind() {
    let d = tempfile::tempdir().unwrap();
    let prop = d.path().join("p.json");
    let o = torchlean(&["property", "linf", "--center", "0,0,0,0", "--epsilon", "1/10", "--label", "0", "--outputs", "3", "--out", prop.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let bad = write(d.path(), "kind.json", &fs::read_to_string(&prop).unwrap().replace("linf_robust", "lonf"));
    let o = torchlean(&["verify", "--model", &data("smooth-small.payload.json"), "--property", &bad, "--out", d.path().join("o").to_str().unwrap()]);
    refused(&o, 2, &format!("{bad}: kind: expected \"violation_dnf\", \"linf_robust\" or \"output_box\", found \"lonf\""));
}

#[test]
fn an_linf_property_with_a_million_outputs_is_refused_before_it_is_expanded() {
    let d = tempfile::tempdir().unwrap();
    let prop = d.path().join("p.json");
    let o = torchlean(&["property", "linf", "--center", "0", "--epsilon", "1", "--label", "0", "--outputs", "1000000", "--out", prop.to_str().unwrap()]);
    refused(&o, 2, "--outputs: expected at most 4096 (the violation's 16777216 coefficients), found 1000000");
    // Written by hand, the same claim is refused by the reader before the network is read.
    let text = r#"{"center":["0"],"epsilon":"1","format":"torchlean.property.v1","kind":"linf_robust","label":0,"outputs":1000000,"semantics":"exact-rational"}"#;
    let p = write(d.path(), "big.json", text);
    let o = torchlean(&["verify", "--model", &data("linf-small.nnet"), "--property", &p, "--out", d.path().join("o").to_str().unwrap()]);
    refused(&o, 2, &format!("{p}: outputs: expected at most 4096 (the violation's 16777216 coefficients), found 1000000"));
}

#[test]
fn property_does_not_overwrite_an_existing_file() {
    let d = tempfile::tempdir().unwrap();
    let p = write(d.path(), "mine.json", "my notes\n");
    let o = torchlean(&["property", "linf", "--center", "0", "--epsilon", "1", "--label", "0", "--outputs", "2", "--out", &p]);
    refused(&o, 2, &format!("{p}: expected a new file, found an existing one (remove it first)"));
    assert_eq!(fs::read_to_string(&p).unwrap(), "my notes\n");
}

// ---- certificates and counterexamples ----

/// Re-canonicalises `file` of `dir` after `edit` and re-hashes the manifest, so only the edit
/// itself can be refused.
fn forge(dir: &Path, file: &str, edit: impl FnOnce(&mut Value)) {
    let mut v: Value = serde_json::from_slice(&fs::read(dir.join(file)).unwrap()).unwrap();
    edit(&mut v);
    fs::write(dir.join(file), canonical_bytes(&v).unwrap()).unwrap();
    let mut m: Value = serde_json::from_slice(&fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    for f in m["files"].as_array_mut().unwrap() {
        let path = f["path"].as_str().unwrap().to_string();
        f["sha256"] = sha256_ref(&fs::read(dir.join(path)).unwrap()).into();
    }
    fs::write(dir.join("manifest.json"), canonical_bytes(&m).unwrap()).unwrap();
}

fn bab_small(root: &Path, name: &str) -> PathBuf {
    let out = root.join(name);
    let o = torchlean(&["verify", "--model", &data("bab-small.nnet"), "--property", &data("bab-small.vnnlib"), "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    out
}

#[test]
fn a_split_naming_input_99_is_refused_by_check_cert_and_audit() {
    let d = tempfile::tempdir().unwrap();
    let c = bab_small(d.path(), "c");
    forge(&c, "certificate.json", |v| v["nodes"][0]["split"]["input"] = 99.into());
    let msg = "nodes[0]: split input: expected an input index below 2, found 99";
    let o = torchlean(&["check-cert", c.to_str().unwrap()]);
    refused(&o, 1, &format!("{}: {msg}", c.join("certificate.json").display()));
    let o = torchlean(&["audit", c.to_str().unwrap()]);
    refused(&o, 1, &format!("{}: certificate: {msg}", c.join("certificate.json").display()));
}

#[test]
fn a_split_point_outside_its_box_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let c = bab_small(d.path(), "c");
    forge(&c, "certificate.json", |v| v["nodes"][1]["split"]["at"] = "5".into());
    let o = torchlean(&["check-cert", c.to_str().unwrap()]);
    refused(&o, 1, &format!("{}: nodes[1]: split at: expected a point of input 0's range [-1, 1] there, found 5", c.join("certificate.json").display()));
}

#[test]
fn a_certificate_tree_300000_splits_deep_is_refused_without_overflowing_the_stack() {
    let d = tempfile::tempdir().unwrap();
    let c = bab_small(d.path(), "c");
    forge(&c, "certificate.json", |v| {
        let leaf = v["nodes"][4].clone();
        let n = 300_000;
        let split = serde_json::json!({"split": {"at": "0", "input": 0}});
        let mut nodes = vec![split; n];
        nodes.extend(std::iter::repeat_n(leaf, n + 1));
        v["nodes"] = nodes.into();
    });
    let msg = "nodes[1000]: expected a tree at most 1000 splits deep, found a deeper one";
    let o = torchlean(&["check-cert", c.to_str().unwrap()]);
    refused(&o, 2, &format!("{}: {msg}", c.join("certificate.json").display()));
    let o = torchlean(&["audit", c.to_str().unwrap()]);
    refused(&o, 2, &format!("{}: {msg}", c.join("certificate.json").display()));
}

#[test]
fn a_counterexample_naming_a_disjunct_that_does_not_exist_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let c = d.path().join("c");
    let o = torchlean(&["verify", "--model", &data("identity.nnet"), "--property", &data("closed-upper.vnnlib"), "--out", c.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(10), "{}", show(&o));
    forge(&c, "counterexample.json", |v| v["disjunct"] = 5.into());
    let msg = "disjunct: expected an index below 1, found 5";
    let o = torchlean(&["check-cert", c.to_str().unwrap()]);
    refused(&o, 1, &format!("{}: {msg}", c.join("counterexample.json").display()));
    let o = torchlean(&["audit", c.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    assert!(stderr(&o).contains(msg), "{}", show(&o));
}

#[test]
fn a_missing_check_cert_directory_is_named_as_missing() {
    let d = tempfile::tempdir().unwrap();
    let gone = d.path().join("gone");
    let o = torchlean(&["check-cert", gone.to_str().unwrap()]);
    refused(&o, 2, &format!("{}: expected a directory written by torchlean verify, found none", gone.display()));
}

/// Forged trees and counterexamples (manifest re-hashed each time) are refused by `check-cert`,
/// and the message says what is wrong.
#[test]
fn tree_and_counterexample_forgeries_are_refused_naming_what_is_wrong() {
    let d = tempfile::tempdir().unwrap();
    let first_line = |dir: &Path| {
        let o = torchlean(&["check-cert", dir.to_str().unwrap()]);
        assert_ne!(o.status.code(), Some(0), "{}", show(&o));
        stderr(&o).lines().next().unwrap_or("").to_string()
    };
    let tree = |name: &str, edit: &dyn Fn(&mut Value)| {
        let c = bab_small(d.path(), name);
        forge(&c, "certificate.json", edit);
        (first_line(&c), c.join("certificate.json").display().to_string())
    };
    let (msg, f) = tree("moved", &|v| v["nodes"][0]["split"]["at"] = "1/8".into());
    assert!(msg.starts_with(&format!("error: {f}: leaf 2 disjunct 0: claimed lower bound ")) && msg.contains(", recomputed "), "{msg}");
    let (msg, f) = tree("missing", &|v| {
        v["nodes"].as_array_mut().unwrap().pop();
    });
    assert_eq!(msg, format!("error: {f}: nodes: the tree is incomplete: expected node 8, found only 8"));
    let (msg, f) = tree("extra", &|v| {
        let leaf = v["nodes"][8].clone();
        v["nodes"].as_array_mut().unwrap().push(leaf);
    });
    assert_eq!(msg, format!("error: {f}: nodes: expected the tree to end at node 8, found 10 nodes"));
    let zero = format!("sha256:{}", "0".repeat(64));
    for key in ["payload", "property"] {
        let c = bab_small(d.path(), &format!("hash-{key}"));
        let found = torchlean::json::sha256_ref(&fs::read(c.join(format!("{key}.json"))).unwrap());
        forge(&c, "certificate.json", |v| v[key] = zero.clone().into());
        assert_eq!(first_line(&c), format!("error: certificate.json: {key}: expected {found} (the file's hash), found {zero}"));
    }
    // A counterexample at a point whose output satisfies no disjunct.
    let c = d.path().join("cex");
    let o = torchlean(&["verify", "--model", &data("identity.nnet"), "--property", &data("closed-upper.vnnlib"), "--out", c.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(10), "{}", show(&o));
    forge(&c, "counterexample.json", |v| {
        v["input"] = serde_json::json!(["0"]);
        v["output"] = serde_json::json!(["0"]);
        v["f32_output"] = serde_json::json!(["0x00000000"]);
    });
    assert_eq!(
        first_line(&c),
        format!("error: {}: input: expected a point of the box whose exact output satisfies a violation disjunct, found none", c.join("counterexample.json").display())
    );
}

/// When the Lean module cannot be written (here `Certificates` is a file), `verify` fails with the
/// path named and leaves no certificate directory at all (it used to leave payload, property and
/// certificate without a manifest).
#[test]
fn an_unwritable_lean_module_leaves_no_certificate_directory() {
    let d = tempfile::tempdir().unwrap();
    let lean = d.path().join("lean");
    fs::create_dir(&lean).unwrap();
    fs::write(lean.join("Certificates"), "not a directory").unwrap();
    let out = d.path().join("c");
    let o = torchlean(&["verify", "--model", &data("bab-small.nnet"), "--property", &data("bab-small.vnnlib"), "--out", out.to_str().unwrap(), "--lean-dir", lean.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    assert!(stderr(&o).starts_with(&format!("error: cannot create directory {}", lean.join("Certificates").display())), "{}", show(&o));
    let left: Vec<_> = fs::read_dir(d.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left, vec![std::ffi::OsString::from("lean")]);
}

/// `--out` is checked before the search: a non-empty directory is refused at once, not after an
/// ACAS Xu search of many seconds.
#[test]
fn a_non_empty_out_directory_is_refused_before_searching() {
    let acas = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/benchmarks/acasxu");
    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join("mine.txt"), "keep").unwrap();
    let start = Instant::now();
    let o = torchlean(&[
        "verify", "--model", acas.join("ACASXU_run2a_1_1_batch_2000.nnet").to_str().unwrap(),
        "--property", acas.join("prop_3.vnnlib").to_str().unwrap(), "--out", d.path().to_str().unwrap(),
    ]);
    refused(&o, 2, &format!("--out {}: expected a new or empty directory, found a non-empty one", d.path().display()));
    assert!(start.elapsed() < Duration::from_secs(5), "refused only after {:?}", start.elapsed());
    assert_eq!(fs::read_to_string(d.path().join("mine.txt")).unwrap(), "keep");
}

/// A 3×3 convolution over a 4096×4096 image has 20 weights but a dense view of 2^25 × 2^24
/// entries: refused before it is built (it used to exhaust memory).
#[test]
fn a_convolution_whose_dense_view_is_too_large_is_refused_before_it_is_built() {
    let d = tempfile::tempdir().unwrap();
    let mut p: Value = serde_json::from_slice(&fs::read(data("cnn-small.payload.json")).unwrap()).unwrap();
    p["spec"]["input"] = serde_json::json!([1, 4096, 4096]);
    p["spec"]["layers"][2] = serde_json::json!({"op": "avgpool2d", "kernel": 4096, "stride": 4096});
    p["spec"]["layers"][4] = serde_json::json!({"op": "linear", "in_features": 2, "out_features": 2});
    p["tensors"][2]["shape"] = serde_json::json!([2, 2]);
    let four: Vec<Value> = p["tensors"][2]["f32"].as_array().unwrap()[..4].to_vec();
    p["tensors"][2]["f32"] = four.into();
    let model = write(d.path(), "big.payload.json", &p.to_string());
    let o = torchlean(&["verify", "--model", &model, "--property", &data("strict-upper.vnnlib"), "--out", d.path().join("o").to_str().unwrap()]);
    refused(&o, 2, "node \"layers.0.conv2d\" (conv2d): expected a dense matrix of at most 67108864 entries for verify's engines, found 33554432 × 16777216");
}

/// A declared 65536×65536 input is small on disk but 2^32 values in memory: refused when the graph
/// is built, naming the node and shape.
#[test]
fn a_declared_shape_beyond_the_tensor_limit_is_refused_when_the_graph_is_built() {
    let d = tempfile::tempdir().unwrap();
    let mut p: Value = serde_json::from_slice(&fs::read(data("cnn-small.payload.json")).unwrap()).unwrap();
    p["spec"]["input"] = serde_json::json!([1, 65536, 65536]);
    p["spec"]["layers"][2] = serde_json::json!({"op": "avgpool2d", "kernel": 65536, "stride": 65536});
    p["spec"]["layers"][4] = serde_json::json!({"op": "linear", "in_features": 2, "out_features": 2});
    p["tensors"][2]["shape"] = serde_json::json!([2, 2]);
    let four: Vec<Value> = p["tensors"][2]["f32"].as_array().unwrap()[..4].to_vec();
    p["tensors"][2]["f32"] = four.into();
    let model = write(d.path(), "huge.payload.json", &p.to_string());
    let o = torchlean(&["eval", &model, "--input", "0"]);
    refused(&o, 2, &format!("{model}: node \"x\" (input): expected a value of at most 67108864 elements, found shape [1, 65536, 65536]"));
}
