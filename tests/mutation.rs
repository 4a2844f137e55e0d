//! Mutation campaign on certificates and counterexamples: every field of a `bab` certificate and
//! of a counterexample is changed in a way that changes what it claims (the manifest re-hashed, so
//! only the change itself can be caught), and `check-cert` and `audit` must each refuse it; every single-byte
//! change without re-hashing must be refused by `audit`. The score is printed; the test demands
//! 100%.
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

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

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

/// Writes `v` as `file` of `dir` (canonical) and re-hashes the manifest.
fn put(dir: &Path, file: &str, v: &Value) {
    fs::write(dir.join(file), canonical_bytes(v).unwrap()).unwrap();
    let mut m: Value = serde_json::from_slice(&fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    m["name"] = dir.file_name().unwrap().to_str().unwrap().into();
    for f in m["files"].as_array_mut().unwrap() {
        let path = f["path"].as_str().unwrap().to_string();
        f["sha256"] = sha256_ref(&fs::read(dir.join(path)).unwrap()).into();
    }
    fs::write(dir.join("manifest.json"), canonical_bytes(&m).unwrap()).unwrap();
}

/// Every scalar of `v` with its JSON pointer.
fn scalars(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => m.iter().for_each(|(k, x)| scalars(x, format!("{at}/{k}"), out)),
        Value::Array(a) => a.iter().enumerate().for_each(|(i, x)| scalars(x, format!("{at}/{i}"), out)),
        _ => out.push(at),
    }
}

/// A change of the scalar at `ptr` that changes what the artifact claims.
fn change(ptr: &str, x: &Value) -> Value {
    let key = ptr.rsplit('/').find(|k| k.parse::<usize>().is_err()).unwrap_or("");
    match x {
        Value::Number(n) => (n.as_u64().unwrap() + 1).into(),
        Value::Bool(b) => (!b).into(),
        Value::String(s) if s.starts_with("sha256:") => format!("{}{}", &s[..s.len() - 1], if s.ends_with('0') { '1' } else { '0' }).into(),
        Value::String(s) if s.starts_with("0x") => format!("0x{:08x}", u32::from_str_radix(&s[2..], 16).unwrap() ^ 1).into(),
        // Any α in [0, 1] gives a sound bound, so α is evidence, not claim: changing it within
        // [0, 1] leaves the claim as it was (`check-cert` rightly accepts it when the re-bounded
        // value still reaches the recorded bound). The claim changes with an α outside [0, 1].
        Value::String(s) if key == "alpha" && s.bytes().all(|b| b == b'0' || b == b'1') && s.len() > 1 => {
            format!("2{}", &s[1..]).into()
        }
        Value::String(s) if key == "alpha" => {
            let q = torchlean::num::rational::parse_exact(s).unwrap() + torchlean::num::Q::new(9.into(), 8.into());
            torchlean::num::rational::to_canonical(&q).into()
        }
        // A row's weight in a refutation must be ≥ 0 (a negative multiple of `c·y ≤ d` is no
        // consequence of it); a positive rescaling is again a valid refutation.
        Value::String(s) if key == "rows" => {
            let q = -torchlean::num::rational::parse_exact(s).unwrap() - torchlean::num::Q::new(1.into(), 8.into());
            torchlean::num::rational::to_canonical(&q).into()
        }
        Value::String(s) => match s.as_str() {
            "crown" => "ibp".into(),
            "ibp" => "crown".into(),
            "bab" => "ibp".into(),
            "exact-rational" => "binary32".into(),
            _ if s.starts_with("torchlean.") => s.replace("certificate", "counterexample").replace(".v1", ".v2").into(),
            _ => {
                // A rational: moved by 1/8 (a split point stays inside its box; a bound claims more).
                let q = torchlean::num::rational::parse_exact(s).unwrap() + torchlean::num::Q::new(1.into(), 8.into());
                torchlean::num::rational::to_canonical(&q).into()
            }
        },
        other => panic!("{ptr}: unexpected {other}"),
    }
}

/// Runs every field mutation of `file` in `dir` through `check-cert` and `audit`; returns (mutants,
/// survivors of either).
fn field_campaign(dir: &Path, file: &str, work: &Path) -> (usize, Vec<String>) {
    let v: Value = serde_json::from_slice(&fs::read(dir.join(file)).unwrap()).unwrap();
    let mut ptrs = Vec::new();
    scalars(&v, String::new(), &mut ptrs);
    let mut mutants: Vec<(String, Value)> = ptrs
        .iter()
        .map(|p| {
            let mut m = v.clone();
            let x = m.pointer_mut(p).unwrap();
            *x = change(p, x);
            (format!("{p} changed"), m)
        })
        .collect();
    if let Some(nodes) = v["nodes"].as_array() {
        for i in 0..nodes.len() {
            let mut m = v.clone();
            m["nodes"].as_array_mut().unwrap().remove(i);
            mutants.push((format!("/nodes/{i} removed"), m));
            let mut m = v.clone();
            m["nodes"].as_array_mut().unwrap().insert(i, nodes[i].clone());
            mutants.push((format!("/nodes/{i} repeated"), m));
        }
        let mut m = v.clone();
        m["nodes"].as_array_mut().unwrap().swap(0, nodes.len() - 1);
        mutants.push(("/nodes first and last swapped".into(), m));
    }
    let mut survivors = Vec::new();
    for (k, (what, m)) in mutants.iter().enumerate() {
        let d = work.join(format!("m{k}"));
        copy_dir(dir, &d);
        put(&d, file, m);
        let o = torchlean(&["check-cert", d.to_str().unwrap()]);
        if o.status.code() == Some(0) {
            survivors.push(what.clone());
        }
        // `audit` re-bounds small trees itself, so it too refuses every change here.
        if torchlean(&["audit", d.to_str().unwrap()]).status.code() == Some(0) {
            survivors.push(format!("{what} (audit)"));
        }
    }
    (mutants.len(), survivors)
}

/// Every `stride`-th single-bit change of `file` (manifest left as it was) must fail `audit`.
fn byte_campaign(dir: &Path, file: &str, work: &Path, stride: usize) -> (usize, Vec<usize>) {
    let bytes = fs::read(dir.join(file)).unwrap();
    let mut survivors = Vec::new();
    let mut n = 0;
    for i in (0..bytes.len()).step_by(stride) {
        let d = work.join(format!("b{i}"));
        copy_dir(dir, &d);
        let mut b = bytes.clone();
        b[i] ^= 0x04;
        fs::write(d.join(file), &b).unwrap();
        let mut m: Value = serde_json::from_slice(&fs::read(d.join("manifest.json")).unwrap()).unwrap();
        m["name"] = d.file_name().unwrap().to_str().unwrap().into();
        fs::write(d.join("manifest.json"), canonical_bytes(&m).unwrap()).unwrap();
        n += 1;
        if torchlean(&["audit", d.to_str().unwrap()]).status.code() == Some(0) {
            survivors.push(i);
        }
    }
    (n, survivors)
}

#[test]
fn every_meaning_changing_mutation_of_a_certificate_or_counterexample_is_refused() {
    let work = tempfile::tempdir().unwrap();
    let cert = work.path().join("cert");
    let o = torchlean(&["verify", "--model", &data("bab-small.nnet"), "--property", &data("bab-small.vnnlib"), "--out", cert.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    let cex = work.path().join("cex");
    let o = torchlean(&["verify", "--model", &data("identity.nnet"), "--property", &data("closed-upper.vnnlib"), "--out", cex.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(10));
    let (tn, ts) = field_campaign(&cert, "certificate.json", &work.path().join("ct"));
    let (cn, cs) = field_campaign(&cex, "counterexample.json", &work.path().join("cx"));
    let (bn, bs) = byte_campaign(&cert, "certificate.json", &work.path().join("bt"), 7);
    let (xn, xs) = byte_campaign(&cex, "counterexample.json", &work.path().join("bx"), 3);
    let score = |n: usize, s: usize| 100.0 * (n - s) as f64 / n as f64;
    eprintln!(
        "mutation score: certificate fields {}/{} ({:.1}%), counterexample fields {}/{} ({:.1}%), certificate bytes {}/{}, counterexample bytes {}/{}",
        tn - ts.len(), tn, score(tn, ts.len()), cn - cs.len(), cn, score(cn, cs.len()), bn - bs.len(), bn, xn - xs.len(), xn
    );
    assert!(ts.is_empty() && cs.is_empty() && bs.is_empty() && xs.is_empty(), "survivors: {ts:#?} {cs:#?} bytes {bs:?} {xs:?}");
}
