//! `torchlean vnncomp` (VNN-COMP's tool interface) and `torchlean suite` (instances files):
//! results files the competition's scoring accepts (scripts/vnncomp_result_check.py applies its
//! rules), a time limit honoured whole, suites that shard exactly, resume without redoing work and
//! redo an instance whose artifacts no longer audit clean.
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn acas(file: &str) -> String {
    repo().join("../shared/benchmarks/acasxu").join(file).display().to_string()
}

fn torchlean(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_torchlean")).args(args).output().unwrap()
}

fn show(o: &Output) -> String {
    format!("status {}\n--- stdout\n{}\n--- stderr\n{}", o.status, String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn run_instance(onnx: &str, vnnlib: &str, results: &Path, timeout: &str) -> Output {
    torchlean(&["vnncomp", "run_instance", "v1", "acasxu", onnx, vnnlib, results.to_str().unwrap(), timeout])
}

fn scored(results: &Path, onnx: &str, vnnlib: &str) -> Output {
    Command::new("python3").arg(repo().join("scripts/vnncomp_result_check.py")).arg(results).arg(onnx).arg(vnnlib).output().unwrap()
}

#[test]
fn run_instance_writes_results_the_competition_accepts() {
    let d = tempfile::tempdir().unwrap();
    let (net, prop) = (acas("onnx/ACASXU_run2a_1_2_batch_2000.onnx"), acas("prop_2.vnnlib"));
    let o = torchlean(&["vnncomp", "prepare_instance", "v1", "acasxu", &net, &prop]);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    // Violated: sat, then every X (binary32, exactly) and Y (the exact output, nearest binary64).
    let sat = d.path().join("sat.txt");
    let o = run_instance(&net, &prop, &sat, "116");
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let text = fs::read_to_string(&sat).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 11, "{text}");
    assert_eq!(lines[0], "sat");
    assert!(lines[1].starts_with("((X_0 ") && lines[5].starts_with("(X_4 ") && lines[6].starts_with("(Y_0 ") && lines[10].ends_with("))"), "{text}");
    let s = scored(&sat, &net, &prop);
    assert_eq!(s.status.code(), Some(0), "{}", show(&s));
    assert!(String::from_utf8_lossy(&s.stdout).starts_with("accepted: sat, onnxruntime within"), "{}", show(&s));
    // Its certificate directory (the counterexample, replayed) sits beside the results file,
    // named after the instance.
    assert!(d.path().join("torchlean-certificates/ACASXU_run2a_1_2_batch_2000.prop_2/counterexample.json").is_file());
    // A changed input is refused by the same rules: the check can fail.
    let forged = d.path().join("forged.txt");
    fs::write(&forged, text.replacen("(X_0 ", "(X_0 1", 1)).unwrap();
    assert_eq!(scored(&forged, &net, &prop).status.code(), Some(1));
    // Holds: unsat. The harness writes every instance to the same results file, and may run an
    // instance again: each gets its own certificate directory, a re-run replaces it.
    let unsat = d.path().join("sat.txt");
    let o = run_instance(&acas("onnx/ACASXU_run2a_1_6_batch_2000.onnx"), &acas("prop_3.vnnlib"), &unsat, "116");
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    assert_eq!(fs::read_to_string(&unsat).unwrap(), "unsat\n");
    assert!(d.path().join("torchlean-certificates/ACASXU_run2a_1_6_batch_2000.prop_3/certificate.json").is_file());
    assert!(d.path().join("torchlean-lean/Certificates/ACASXURun2a16Batch2000Prop3.lean").is_file());
    let o = run_instance(&acas("onnx/ACASXU_run2a_1_6_batch_2000.onnx"), &acas("prop_3.vnnlib"), &unsat, "116");
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    assert_eq!(fs::read_to_string(&unsat).unwrap(), "unsat\n");
    // Out of time: `timeout`, and the process ends at the limit, certificate writing included
    // (1_8 property 2 takes about 12 s here).
    let late = d.path().join("late.txt");
    let start = Instant::now();
    let o = run_instance(&acas("onnx/ACASXU_run2a_1_8_batch_2000.onnx"), &acas("prop_2.vnnlib"), &late, "2");
    let took = start.elapsed().as_secs_f64();
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    assert_eq!(fs::read_to_string(&late).unwrap(), "timeout\n");
    assert!(took < 10.0, "a 2 s limit took {took:.1} s");
    // A bad version is refused before anything is read.
    let o = torchlean(&["vnncomp", "run_instance", "v2", "acasxu", &net, &prop, d.path().join("v2.txt").to_str().unwrap(), "10"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&o.stderr).trim(), "error: version: expected v1, found \"v2\"");
}

#[test]
fn an_input_disjunction_through_the_competition_interface() {
    let d = tempfile::tempdir().unwrap();
    let net = repo().join("tests/data/identity.nnet").display().to_string();
    let holds = d.path().join("holds.txt");
    let o = run_instance(&net, &repo().join("tests/data/two-boxes-holds.vnnlib").display().to_string(), &holds, "60");
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    assert_eq!(fs::read_to_string(&holds).unwrap(), "unsat\n");
    let viol = d.path().join("viol.txt");
    let o = run_instance(&net, &repo().join("tests/data/two-boxes-violated.vnnlib").display().to_string(), &viol, "60");
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    assert_eq!(fs::read_to_string(&viol).unwrap(), "sat\n((X_0 3.5)\n(Y_0 3.5))\n");
}

fn table(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

fn summary(o: &Output) -> String {
    table(o).lines().find(|l| l.starts_with("verified ")).unwrap_or_default().to_string()
}

#[test]
fn a_suite_shards_exactly_resumes_and_redoes_what_no_longer_audits() {
    let d = tempfile::tempdir().unwrap();
    // Absolute paths: VNN-COMP's instances files name files relative to themselves, and an
    // absolute path stays as it is.
    let csv = d.path().join("instances.csv");
    let rows = [("1_2", 2), ("1_6", 3), ("1_8", 4), ("2_1", 4), ("1_9", 1)];
    let text: String = rows.iter().map(|(n, p)| format!("{},{},116\n", acas(&format!("onnx/ACASXU_run2a_{n}_batch_2000.onnx")), acas(&format!("prop_{p}.vnnlib")))).collect();
    fs::write(&csv, text).unwrap();
    let out = d.path().join("suite");
    let lean = d.path().join("lean");
    let suite = |extra: &[&str]| {
        let mut args = vec!["suite", csv.to_str().unwrap(), "--out", out.to_str().unwrap(), "--lean-dir", lean.to_str().unwrap()];
        args.extend(extra);
        let o = torchlean(&args);
        assert_eq!(o.status.code(), Some(0), "{}", show(&o));
        o
    };
    // Before any shard ran, --merge has nothing to merge.
    let o = torchlean(&["suite", csv.to_str().unwrap(), "--out", out.to_str().unwrap(), "--merge"]);
    assert_eq!(o.status.code(), Some(2), "{}", show(&o));
    let one = suite(&["--shard", "1/2"]);
    assert!(summary(&one).starts_with("verified 1  violated 2  unknown 0  timeout 0  error 0  (3 instances, 3 decided now"), "{}", table(&one));
    let two = suite(&["--shard", "2/2", "--jobs", "2"]);
    assert!(summary(&two).starts_with("verified 2  violated 0  unknown 0  timeout 0  error 0  (2 instances, 2 decided now"), "{}", table(&two));
    // Shard 1/2 has lines 1, 3, 5; shard 2/2 lines 2 and 4: together every instance once.
    let merged = suite(&["--merge"]);
    assert!(summary(&merged).starts_with("verified 3  violated 2  unknown 0  timeout 0  error 0  (5 instances, 0 decided now"), "{}", table(&merged));
    let expect = [("ACASXU_run2a_1_2_batch_2000.prop_2", "violated"), ("ACASXU_run2a_1_6_batch_2000.prop_3", "verified"),
        ("ACASXU_run2a_1_8_batch_2000.prop_4", "violated"), ("ACASXU_run2a_2_1_batch_2000.prop_4", "verified"),
        ("ACASXU_run2a_1_9_batch_2000.prop_1", "verified")];
    let manifest: serde_json::Value = serde_json::from_slice(&fs::read(out.join("suite.json")).unwrap()).unwrap();
    let results = manifest["results"].as_array().unwrap();
    for (k, (id, verdict)) in expect.iter().enumerate() {
        assert_eq!((results[k]["id"].as_str().unwrap(), results[k]["verdict"].as_str().unwrap()), (*id, *verdict));
        let record = fs::read(out.join(format!("results/{id}.json"))).unwrap();
        assert_eq!(results[k]["record"]["sha256"], torchlean::json::sha256_ref(&record));
    }
    assert_eq!(manifest["instances"]["sha256"], torchlean::json::sha256_ref(&fs::read(&csv).unwrap()));
    // A plain re-run resumes: nothing is decided again.
    let again = suite(&[]);
    assert!(summary(&again).contains("(5 instances, 0 decided now"), "{}", table(&again));
    // A certificate changed on disk no longer audits clean: that instance, and only it, is redone.
    let cert = out.join("runs/ACASXU_run2a_2_1_batch_2000.prop_4/certificate.json");
    let mut bytes = fs::read(&cert).unwrap();
    let i = bytes.iter().position(|b| b.is_ascii_digit()).unwrap();
    bytes[i] = if bytes[i] == b'9' { b'8' } else { bytes[i] + 1 };
    fs::write(&cert, bytes).unwrap();
    let redo = suite(&[]);
    assert!(summary(&redo).contains("(5 instances, 1 decided now"), "{}", table(&redo));
    assert_eq!(torchlean(&["audit", out.join("runs/ACASXU_run2a_2_1_batch_2000.prop_4").to_str().unwrap()]).status.code(), Some(0));
}

/// Copies the Lean project (sources only) into `to`, as a user's checkout would be.
fn copy_lean_project(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap();
        if name == ".lake" || name == "Pins" {
            continue;
        }
        if p.is_dir() {
            copy_lean_project(&p, &to.join(name));
        } else {
            fs::copy(&p, to.join(name)).unwrap();
        }
    }
}

/// `suite --check` has Lean check the certificates of its own shard only: here shard 1/2 holds a
/// property over two input boxes (two certificates, one per region); shard 2/2's certificate is
/// in the same Lean project but is neither built nor reported.
#[test]
fn suite_check_checks_only_the_shards_certificates() {
    let d = tempfile::tempdir().unwrap();
    let lean = d.path().join("lean");
    copy_lean_project(&repo().join("lean"), &lean);
    let other = d.path().join("other-box.vnnlib");
    fs::copy(repo().join("tests/data/two-boxes-holds.vnnlib"), &other).unwrap();
    let net = repo().join("tests/data/identity.nnet").display().to_string();
    let csv = d.path().join("instances.csv");
    fs::write(&csv, format!("{net},{},60\n{net},{},60\n", repo().join("tests/data/two-boxes-holds.vnnlib").display(), other.display())).unwrap();
    let out = d.path().join("suite");
    let run = |shard: &str, check: bool| {
        let mut args = vec!["suite", csv.to_str().unwrap(), "--out", out.to_str().unwrap(), "--lean-dir", lean.to_str().unwrap(), "--shard", shard];
        if check {
            args.extend(["--check", "--toolchain", "wasm"]);
        }
        let o = torchlean(&args);
        assert_eq!(o.status.code(), Some(0), "{}", show(&o));
        o
    };
    run("2/2", false);
    assert!(lean.join("Certificates/IdentityOtherBoxRegion1.lean").is_file());
    let o = run("1/2", true);
    let text = table(&o);
    assert!(text.contains("lean: 2 certificates checked"), "{}", show(&o));
    for k in [1, 2] {
        let row = text.lines().find(|l| l.starts_with(&format!("Certificates.IdentityTwoBoxesHoldsRegion{k} "))).unwrap_or_else(|| panic!("{}", show(&o)));
        assert!(row.contains(" pass ") && row.contains("pinned"), "{row}");
    }
    assert!(!text.contains("IdentityOtherBox") && !text.contains("DemoMlp"), "{}", show(&o));
}

/// VNN-COMP ships benchmark files gzipped and lists them unzipped: an instance whose file exists
/// only as `<file>.gz` is decompressed into the suite's `inputs/` and decided as usual.
#[test]
fn a_suite_reads_gzipped_benchmark_files() {
    use std::io::Write;
    let d = tempfile::tempdir().unwrap();
    let bench = d.path().join("bench");
    fs::create_dir_all(bench.join("onnx")).unwrap();
    for (from, to) in [("onnx/ACASXU_run2a_1_2_batch_2000.onnx", "onnx/net.onnx.gz"), ("prop_2.vnnlib", "prop_2.vnnlib.gz")] {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&fs::read(acas(from)).unwrap()).unwrap();
        fs::write(bench.join(to), gz.finish().unwrap()).unwrap();
    }
    fs::write(bench.join("instances.csv"), "onnx/net.onnx,prop_2.vnnlib,60\n").unwrap();
    let out = d.path().join("suite");
    let o = torchlean(&["suite", bench.join("instances.csv").to_str().unwrap(), "--out", out.to_str().unwrap(), "--lean-dir", d.path().join("lean").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    assert!(summary(&o).starts_with("verified 0  violated 1  "), "{}", table(&o));
    assert_eq!(fs::read(out.join("inputs/net.onnx")).unwrap(), fs::read(acas("onnx/ACASXU_run2a_1_2_batch_2000.onnx")).unwrap());
    let record: serde_json::Value = serde_json::from_slice(&fs::read(out.join("results/net.prop_2.json")).unwrap()).unwrap();
    assert_eq!(record["network"]["path"], "onnx/net.onnx");
    assert_eq!(record["network"]["sha256"], torchlean::json::sha256_ref(&fs::read(acas("onnx/ACASXU_run2a_1_2_batch_2000.onnx")).unwrap()));
}
