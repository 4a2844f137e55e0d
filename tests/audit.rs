//! `audit` over the demo certificate: it passes on fresh artifacts, and every tampering — a changed
//! byte in any artifact, a wrong reference, non-canonical bytes, a changed Lean module — is caught
//! and reported with the file and both hashes. Each test writes its own temp directory.
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};
use torchlean::num::interval::parse_box;
use torchlean::audit::{AuditReport, audit};
use torchlean::json::{canonical_bytes, sha256_ref};
use torchlean::certify::{Certified, certify_dense_ibp};
use torchlean::model::{Model, lower};
use torchlean::num::rational::to_canonical;

/// A fresh temp dir with `certificates/demo-mlp/` and `lean/Certificates/DemoMlp.lean`.
struct Demo {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    dir: PathBuf,
    lean: PathBuf,
    cert: Certified,
}

fn demo() -> Demo {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("certificates");
    let lean = tmp.path().join("lean");
    let cert = certify_dense_ibp("demo-mlp", &lower(&Model::demo()).unwrap(), &parse_box("-1/2:1,0:1").unwrap(), None, &root, &lean).unwrap();
    Demo { dir: root.join("demo-mlp"), root, lean, cert, _tmp: tmp }
}

impl Demo {
    fn audit(&self) -> AuditReport {
        audit(&self.dir, Some(&self.lean)).unwrap()
    }
    fn read(&self, file: &str) -> Vec<u8> {
        fs::read(self.dir.join(file)).unwrap()
    }
    fn json(&self, file: &str) -> Value {
        serde_json::from_slice(&self.read(file)).unwrap()
    }
    /// Writes `bytes` as `file` and makes the manifest list their hash, so that only what the test
    /// changed inside `file` is wrong.
    fn replace_listed(&self, file: &str, bytes: &[u8]) {
        fs::write(self.dir.join(file), bytes).unwrap();
        let mut m = self.json("manifest.json");
        for e in m["files"].as_array_mut().unwrap() {
            if e["path"] == file {
                e["sha256"] = json!(sha256_ref(bytes));
            }
        }
        fs::write(self.dir.join("manifest.json"), canonical_bytes(&m).unwrap()).unwrap();
    }
}

/// Asserts that `report` failed and that one failure contains every needle; prints the report.
macro_rules! assert_failure {
    ($report:expr, $($needle:expr),+ $(,)?) => {{
        let r: &AuditReport = &$report;
        let failures = r.failures();
        let needles: Vec<String> = vec![$($needle.to_string()),+];
        assert!(
            !r.ok() && failures.iter().any(|f| needles.iter().all(|n| f.contains(n.as_str()))),
            "expected a failure containing all of {needles:#?}\nfound failures {failures:#?}"
        );
    }};
}

/// The byte positions strictly inside JSON string literals of canonical JSON (no escapes occur).
fn string_positions(bytes: &[u8]) -> Vec<usize> {
    let mut inside = false;
    let mut out = Vec::new();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'"' {
            inside = !inside;
        } else if inside {
            out.push(i);
        }
    }
    out
}

/// Another byte of the same class, so the file stays plausible (a digit stays a digit).
fn flip(b: u8) -> u8 {
    match b {
        b'0'..=b'8' | b'a'..=b'e' | b'A'..=b'Y' => b + 1,
        b'9' => b'0',
        b'f' => b'a',
        b'g'..=b'y' => b + 1,
        b'z' => b'a',
        b'Z' => b'A',
        b'-' => b'_',
        _ => b'x',
    }
}

#[test]
fn fresh_demo_passes_with_the_exact_hashes() {
    let d = demo();
    let r = d.audit();
    assert!(r.ok(), "{:#?}", r.failures());
    assert_eq!(r.exit_code(), 0);
    let rows: Vec<(String, Option<&str>, Option<&str>)> = r
        .rows
        .iter()
        .map(|row| {
            (row.file.file_name().unwrap().to_string_lossy().into_owned(), row.kind.as_deref(), row.sha256.as_deref())
        })
        .collect();
    let lean_sha = sha256_ref(&fs::read(&d.cert.lean_path).unwrap());
    let c = &d.cert;
    assert_eq!(
        rows,
        vec![
            ("certificate.json".into(), Some("certificate"), Some(c.certificate.sha256.as_str())),
            ("manifest.json".into(), Some("manifest"), Some(c.manifest.sha256.as_str())),
            ("payload.json".into(), Some("payload"), Some(c.payload.sha256.as_str())),
            ("property.json".into(), Some("property"), Some(c.property.sha256.as_str())),
            ("DemoMlp.lean".into(), Some("lean-module"), Some(lean_sha.as_str())),
        ]
    );
    // The payload depends only on the demo network's bits (docs/format.md's worked example).
    assert_eq!(c.payload.sha256, "sha256:c49c75e3b31e55957dbe87eedf5e462446efe3f4ea0420848e8b00cfa945beac");
    // A parent directory audits each certificate directory below it, with the same rows.
    assert_eq!(audit(&d.root, Some(&d.lean)).unwrap(), r);
    // Without a Lean directory there is no module row.
    assert_eq!(audit(&d.dir, None).unwrap().rows.len(), 4);
}

#[test]
fn every_byte_flipped_in_a_hashed_artifact_names_the_file_and_both_hashes() {
    let d = demo();
    let mut checked = 0;
    for file in ["payload.json", "property.json", "certificate.json"] {
        let good = d.read(file);
        let listed = sha256_ref(&good);
        for i in string_positions(&good) {
            let mut bad = good.clone();
            bad[i] = flip(bad[i]);
            fs::write(d.dir.join(file), &bad).unwrap();
            let r = d.audit();
            assert_eq!(r.exit_code(), 1, "{file} byte {i}: {:#?}", r.failures());
            assert_failure!(r, format!("{file}: sha256 mismatch"), &listed, sha256_ref(&bad));
            checked += 1;
        }
        fs::write(d.dir.join(file), &good).unwrap();
    }
    assert!(checked > 500, "{checked}");
    assert!(d.audit().ok());
}

#[test]
fn a_flipped_hash_digit_in_the_manifest_names_the_manifest_and_both_hashes() {
    let d = demo();
    let good = d.read("manifest.json");
    let m = d.json("manifest.json");
    for (i, e) in m["files"].as_array().unwrap().iter().enumerate() {
        let real = e["sha256"].as_str().unwrap();
        let mut bad_hash = real.to_string().into_bytes();
        let last = bad_hash.len() - 1;
        bad_hash[last] = flip(bad_hash[last]);
        let bad_hash = String::from_utf8(bad_hash).unwrap();
        let mut bad = m.clone();
        bad["files"][i]["sha256"] = json!(bad_hash);
        fs::write(d.dir.join("manifest.json"), canonical_bytes(&bad).unwrap()).unwrap();
        let r = d.audit();
        assert_eq!(r.exit_code(), 1);
        let path = e["path"].as_str().unwrap();
        assert_failure!(r, format!("{path}: sha256 mismatch: manifest.json files[{i}] lists {bad_hash}, found {real}"));
    }
    // Any other changed byte of the manifest's strings is caught too (name, paths, kinds, format).
    for i in string_positions(&good) {
        let mut bad = good.clone();
        bad[i] = flip(bad[i]);
        fs::write(d.dir.join("manifest.json"), &bad).unwrap();
        let r = d.audit();
        assert!(!r.ok(), "manifest.json byte {i} ({}) went unnoticed", bad[i] as char);
    }
}

#[test]
fn a_changed_reference_is_named_with_both_hashes() {
    let d = demo();
    let payload = d.cert.payload.sha256.clone();
    let mut other = payload.clone().into_bytes();
    other[7] = flip(other[7]);
    let other = String::from_utf8(other).unwrap();
    let mut c = d.json("certificate.json");
    c["payload"] = json!(other);
    d.replace_listed("certificate.json", &canonical_bytes(&c).unwrap());
    let r = audit(&d.dir, None).unwrap();
    assert_eq!(
        r.failures(),
        vec![format!(
            "{}: payload: reference {other} does not resolve to a payload in {} (found: payload.json is {payload})",
            d.dir.join("certificate.json").display(),
            d.dir.display()
        )]
    );
    assert_eq!(r.exit_code(), 1);
    // With the Lean directory, the module cannot be re-derived either.
    assert_failure!(d.audit(), "DemoMlp.lean: cannot re-derive the module");

    // A reference to an artifact of the wrong kind.
    c["payload"] = json!(d.cert.property.sha256);
    d.replace_listed("certificate.json", &canonical_bytes(&c).unwrap());
    let r = audit(&d.dir, None).unwrap();
    assert_eq!(
        r.failures(),
        vec![format!(
            "{}: payload: reference {} names property.json, a property; expected a payload",
            d.dir.join("certificate.json").display(),
            d.cert.property.sha256
        )]
    );
}

#[test]
fn non_canonical_bytes_are_rejected_with_the_reason() {
    let d = demo();
    let good = d.read("certificate.json");
    let text = String::from_utf8(good.clone()).unwrap();
    let c = d.json("certificate.json");
    let mut number = c.clone();
    number["boxes"][1][0][1] = json!(0.5);
    let mut unreduced = c.clone();
    unreduced["boxes"][0][1][1] = json!("6/8");
    let mut int_as_number = c.clone();
    int_as_number["boxes"][0][0][1] = json!(1);
    let mut reordered = serde_json::Map::new();
    for k in ["format", "method", "payload", "property", "boxes"] {
        reordered.insert(k.to_string(), c[k].clone());
    }
    let cases: Vec<(Vec<u8>, String)> = vec![
        (text.replacen("\"boxes\":", "\"boxes\": ", 1).into_bytes(), format!(
                "certificate.json: not in RFC 8785 canonical form: first difference at byte 9 (expected {} bytes, found {})",
                good.len(),
                good.len() + 1
            ),),
        (serde_json::to_vec(&reordered).unwrap(), "not in RFC 8785 canonical form: first difference at byte 2".into()),
        (format!("{text}\n").into_bytes(), "not in RFC 8785 canonical form".into()),
        (
            canonical_bytes(&number).unwrap(),
            "certificate.json: boxes[1][0][1]: expected a canonical rational string, found JSON number 0.5".into(),
        ),
        (
            canonical_bytes(&int_as_number).unwrap(),
            "certificate.json: boxes[0][0][1]: expected a canonical rational string, found JSON number 1".into(),
        ),
        (
            canonical_bytes(&unreduced).unwrap(),
            "certificate.json: boxes[0][1][1]: expected a canonical rational such as \"-3/4\" or \"5\", found \"6/8\" (fraction is not reduced)".into(),
        ),
    ];
    for (bytes, reason) in cases {
        d.replace_listed("certificate.json", &bytes);
        let r = audit(&d.dir, None).unwrap();
        assert_eq!(r.failures().len(), 1, "{:#?}", r.failures());
        assert_failure!(r, reason);
        assert_eq!(r.exit_code(), 2);
    }
    d.replace_listed("certificate.json", &good);
    assert!(d.audit().ok());
}

#[test]
fn a_changed_lean_module_breaks_the_weak_binding() {
    let d = demo();
    let good = fs::read_to_string(&d.cert.lean_path).unwrap();
    let lo = to_canonical(&d.cert.output_box[0].lo);
    let line = good.lines().position(|l| l.contains(&lo)).unwrap() + 1;
    let bad = good.replacen(&lo, &format!("{lo}1"), 1);
    fs::write(&d.cert.lean_path, &bad).unwrap();
    let r = d.audit();
    assert_eq!(r.exit_code(), 1);
    assert_eq!(
        r.failures(),
        vec![format!(
            "{}: weak binding broken: the module re-derived from the artifacts is {}, found {} (first difference on line {line})",
            d.cert.lean_path.display(),
            sha256_ref(good.as_bytes()),
            sha256_ref(bad.as_bytes())
        )]
    );
    fs::remove_file(&d.cert.lean_path).unwrap();
    assert_failure!(d.audit(), "DemoMlp.lean: missing", sha256_ref(good.as_bytes()));
}

#[test]
fn manifest_must_list_every_artifact_and_carry_the_directory_name() {
    let d = demo();
    let extra = canonical_bytes(&d.json("property.json")).unwrap();
    fs::write(d.dir.join("property2.json"), &extra).unwrap();
    assert_failure!(audit(&d.dir, None).unwrap(), "property2.json: not listed in manifest.json", sha256_ref(&extra));
    fs::remove_file(d.dir.join("property2.json")).unwrap();

    let renamed = d.root.join("demo-net");
    fs::rename(&d.dir, &renamed).unwrap();
    let r = audit(&renamed, None).unwrap();
    assert_failure!(r, "manifest.json: name: expected \"demo-net\" (the directory's name), found \"demo-mlp\"");
}

#[test]
fn a_counterexample_must_really_violate_its_property() {
    let d = demo();
    let graph = lower(&Model::demo()).unwrap();
    let x: Vec<torchlean::num::Q> = parse_box("1:1,0:0").unwrap().into_iter().map(|i| i.lo).collect();
    let y = torchlean::search::attack::eval_exact(&graph, &x).unwrap();
    let text = |v: &[torchlean::num::Q]| v.iter().map(to_canonical).collect::<Vec<_>>();
    // A tighter property the network violates at x.
    let property = json!({"format": "torchlean.property.v1", "kind": "output_box", "semantics": "exact-rational",
                          "input_box": [["-1/2", "1"], ["0", "1"]], "output_box": [["0", "0"]]});
    let pbytes = canonical_bytes(&property).unwrap();
    let cex = json!({"format": "torchlean.counterexample.v1", "semantics": "exact-rational",
                     "payload": d.cert.payload.sha256, "property": sha256_ref(&pbytes),
                     "input": text(&x), "output": text(&y)});
    let write = |cex: &Value| {
        let cbytes = canonical_bytes(cex).unwrap();
        fs::write(d.dir.join("tight.json"), &pbytes).unwrap();
        fs::write(d.dir.join("witness.json"), &cbytes).unwrap();
        let mut m = d.json("manifest.json");
        let files = m["files"].as_array_mut().unwrap();
        files.retain(|e| e["path"] != "tight.json" && e["path"] != "witness.json");
        files.push(json!({"kind": "property", "path": "tight.json", "sha256": sha256_ref(&pbytes)}));
        files.push(json!({"kind": "counterexample", "path": "witness.json", "sha256": sha256_ref(&cbytes)}));
        fs::write(d.dir.join("manifest.json"), canonical_bytes(&m).unwrap()).unwrap();
    };
    write(&cex);
    let r = d.audit();
    assert!(r.ok(), "{:#?}", r.failures());
    assert_eq!(r.row("witness.json").unwrap().kind.as_deref(), Some("counterexample"));

    let mut wrong = cex.clone();
    wrong["output"] = json!(["1"]);
    write(&wrong);
    assert_failure!(
        d.audit(),
        format!("witness.json: output: expected [{}] (the payload's exact output), found [1]", text(&y)[0])
    );
}

fn torchlean(args: &[&Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_torchlean")).arg("audit").args(args).output().unwrap()
}

#[test]
fn the_binary_exits_0_when_ok_and_1_on_a_hash_mismatch() {
    let d = demo();
    let o = torchlean(&[&d.dir, Path::new("--lean-dir"), &d.lean]);
    let (out, err) = (String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert_eq!(o.status.code(), Some(0), "{out}\n{err}");
    assert!(out.ends_with("audit: 5 files ok\n"), "{out}");
    assert!(out.contains(&d.cert.certificate.sha256), "{out}");

    let good = d.read("payload.json");
    let bad = String::from_utf8(good.clone()).unwrap().replacen("0x3f333333", "0x3f333334", 1);
    fs::write(d.dir.join("payload.json"), &bad).unwrap();
    let o = torchlean(&[&d.dir]);
    let (out, err) = (String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert_eq!(o.status.code(), Some(1), "{out}\n{err}");
    assert!(out.ends_with("audit: 2 of 4 files failed\n"), "{out}");
    let want = format!(
        "error: {}: sha256 mismatch: manifest.json files[1] lists {}, found {}",
        d.dir.join("payload.json").display(),
        d.cert.payload.sha256,
        sha256_ref(bad.as_bytes())
    );
    assert!(err.contains(&want), "{err}");

    let o = torchlean(&[&d.dir.join("nothing-here")]);
    assert_eq!(o.status.code(), Some(2));
}
