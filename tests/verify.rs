//! `torchlean verify` / `check-cert`: exit codes, certificate trees, counterexamples replayed
//! exactly, determinism across thread counts, and the ACAS Xu ground truth.
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use torchlean::search::bab::{LeafBound, Options, Outcome, verify};
use torchlean::bounds::crown::Intermediate;
use torchlean::artifact::certificate::tree_json as certificate_json;
use torchlean::json::canonical_bytes;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn acas(file: &str) -> String {
    repo().join("../shared/benchmarks/acasxu").join(file).display().to_string()
}

fn data(file: &str) -> String {
    repo().join("tests/data").join(file).display().to_string()
}

fn torchlean(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_torchlean")).args(args).output().unwrap()
}

fn show(o: &Output) -> String {
    format!("status {}\n--- stdout\n{}\n--- stderr\n{}", o.status, String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn verify_cli(model: &str, property: &str, extra: &[&str], out: &Path, lean: &Path) -> Output {
    let mut args = vec!["verify", "--model", model, "--property", property, "--out", out.to_str().unwrap()];
    args.extend(["--lean-dir", lean.to_str().unwrap()]);
    args.extend(extra);
    torchlean(&args)
}

#[test]
fn small_network_needs_splits_and_its_tree_is_pinned() {
    let d = tempfile::tempdir().unwrap();
    let (model, prop) = (data("bab-small.nnet"), data("bab-small.vnnlib"));
    // Neither bound alone refutes `Y_0 <= -6/5` on the whole box (CROWN's bound is about -2.63,
    // the true minimum about -1.04): unknown, exit 20, and no certificate written.
    for m in ["ibp", "crown"] {
        let out = d.path().join(format!("small-{m}"));
        let o = verify_cli(&model, &prop, &["--method", m, "--intermediate", "ibp"], &out, &d.path().join("lean"));
        assert_eq!(o.status.code(), Some(20), "{}", show(&o));
        assert!(!out.join("certificate.json").exists());
    }
    let out = d.path().join("small-bab");
    let o = verify_cli(&model, &prop, &["--intermediate", "ibp"], &out, &d.path().join("lean"));
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("5 leaves, depth 4, 1 refuted with searched α"), "{}", show(&o));
    // The whole certificate (splits, α, claimed bounds) is reproducible byte for byte.
    assert!(
        stdout.contains("certificate sha256:b4694cdd64178c18bf9544d0955566cb7964c742f1ced1c93e5cfd6e5bd411bd"),
        "{}",
        show(&o)
    );
    assert!(d.path().join("lean/Certificates/SmallBab.lean").exists());
    assert!(stdout.lines().any(|l| l == "checker    crownLeafOk"), "{}", show(&o));
    let o = torchlean(&["check-cert", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("5 leaves re-bounded"), "{}", show(&o));
    let o = torchlean(&["audit", out.to_str().unwrap(), "--lean-dir", d.path().join("lean").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
}

/// Rewrites `certificate.json` through `edit`, keeping it canonical (`check-cert` re-checks meaning;
/// the manifest's now stale hash is `audit`'s to report).
fn edit_certificate(dir: &Path, edit: impl Fn(&mut serde_json::Value)) {
    let path = dir.join("certificate.json");
    let mut v: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    edit(&mut v);
    fs::write(&path, canonical_bytes(&v).unwrap()).unwrap();
}

#[test]
fn check_cert_rejects_a_raised_bound_and_a_bad_alpha() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("small-bab");
    let o = verify_cli(&data("bab-small.nnet"), &data("bab-small.vnnlib"), &["--intermediate", "ibp"], &out, &d.path().join("lean"));
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let original = fs::read(out.join("certificate.json")).unwrap();
    // Leaf 0 claims about -1.11 (with α = 77/128 found by the α search on one neuron); the
    // recomputed bound is no higher, so -1/2 is a false claim (and still refutes `<= -6/5`, so only
    // the re-bounding can catch it).
    let cert: serde_json::Value = serde_json::from_slice(&original).unwrap();
    assert_eq!(cert["nodes"][4]["leaf"]["alpha"], serde_json::json!(["001111", ["1", "1", "0", "1", "77/128", "0"]]));
    edit_certificate(&out, |v| v["nodes"][4]["leaf"]["refute"][0]["bound"] = "-1/2".into());
    let o = torchlean(&["check-cert", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("leaf 0 disjunct 0: claimed lower bound -1/2, recomputed -5260492595144891049779/4722366482869645213696"), "{}", show(&o));
    fs::write(out.join("certificate.json"), &original).unwrap();
    edit_certificate(&out, |v| v["nodes"][4]["leaf"]["alpha"][0] = "002000".into());
    let o = torchlean(&["check-cert", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", show(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("nodes[4].leaf.alpha[0]: expected a string of 0/1"), "{}", show(&o));
    fs::write(out.join("certificate.json"), &original).unwrap();
    edit_certificate(&out, |v| v["nodes"][4]["leaf"]["alpha"][1][4] = "129/128".into());
    let o = torchlean(&["check-cert", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", show(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("nodes[4].leaf.alpha[1][4]: expected a lower slope α in [0, 1], found 129/128"),
        "{}",
        show(&o)
    );
    // A layer of 0/1 α has one encoding, the string: the array form would give the tree a second
    // byte form and hash.
    fs::write(out.join("certificate.json"), &original).unwrap();
    edit_certificate(&out, |v| v["nodes"][5]["leaf"]["alpha"][0] = serde_json::json!(["0", "0", "1", "1", "1", "1"]));
    let o = torchlean(&["check-cert", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", show(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("nodes[5].leaf.alpha[0]: expected the 0/1 string form for a layer whose α are all 0 or 1, found an array"),
        "{}",
        show(&o)
    );
    // A layer with no α at all: check-cert names the leaf and layer, and audit reports it rather
    // than failing while it re-derives the Lean module.
    fs::write(out.join("certificate.json"), &original).unwrap();
    edit_certificate(&out, |v| v["nodes"][4]["leaf"]["alpha"][0] = "".into());
    let o = torchlean(&["check-cert", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", show(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("leaf 0: alpha[0]: expected 6 neurons (the layer's width), found 0"), "{}", show(&o));
    let o = torchlean(&["audit", out.to_str().unwrap(), "--lean-dir", d.path().join("lean").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("leaf 0: alpha: expected one α per hidden neuron"), "{}", show(&o));
    // Another α in range is sound but gives another bound: the claimed one is no longer reached.
    fs::write(out.join("certificate.json"), &original).unwrap();
    edit_certificate(&out, |v| v["nodes"][4]["leaf"]["alpha"][1][4] = "1/2".into());
    let o = torchlean(&["check-cert", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains(
            "leaf 0 disjunct 0: claimed lower bound -5260492595144891049779/4722366482869645213696, \
             recomputed -84105623761069487069/73786976294838206464"
        ),
        "{}",
        show(&o)
    );
}

#[test]
fn acas_violations_yield_counterexamples_that_replay_exactly() {
    for (net, prop, want) in [
        ("ACASXU_run2a_2_1_batch_2000.nnet", "prop_2.vnnlib", "[5091691/8388608, -3150481/268435456, 10664329/33554432, 1/2, -1/2]"),
        ("ACASXU_run2a_1_7_batch_2000.nnet", "prop_3.vnnlib", "satisfies disjunct 0 exactly"),
    ] {
        let d = tempfile::tempdir().unwrap();
        let out = d.path().join("cex");
        let o = verify_cli(&acas(net), &acas(prop), &[], &out, &d.path().join("lean"));
        assert_eq!(o.status.code(), Some(10), "{}", show(&o));
        assert!(String::from_utf8_lossy(&o.stdout).contains(want), "{}", show(&o));
        let o = torchlean(&["check-cert", out.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0), "{}", show(&o));
        assert!(String::from_utf8_lossy(&o.stdout).contains("replayed: exact output satisfies disjunct 0"), "{}", show(&o));
        let o = torchlean(&["audit", out.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    }
}

#[test]
fn a_forged_counterexample_is_caught_by_audit_and_check_cert() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("cex");
    let o = verify_cli(&acas("ACASXU_run2a_2_1_batch_2000.nnet"), &acas("prop_2.vnnlib"), &[], &out, &d.path().join("lean"));
    assert_eq!(o.status.code(), Some(10), "{}", show(&o));
    let path = out.join("counterexample.json");
    let mut v: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    v["f32_output"][0] = "0x3cc05c9d".into();
    fs::write(&path, canonical_bytes(&v).unwrap()).unwrap();
    let o = torchlean(&["check-cert", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    let o = torchlean(&["audit", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("f32_output: expected the declared-order binary32 outputs"), "{}", show(&o));
}

fn acas_tree(prop: &str, lookahead: bool) -> (torchlean::ir::Graph, torchlean::property::Vnnlib, Outcome) {
    let text = fs::read_to_string(acas("ACASXU_run2a_1_1_batch_2000.nnet")).unwrap();
    let mlp = torchlean::model::nnet::parse_nnet(&text, "1_1").unwrap();
    let p = torchlean::property::parse_vnnlib(&fs::read_to_string(acas(prop)).unwrap(), prop).unwrap();
    let opts = Options {
        intermediate: Intermediate::Crown,
        leaf: LeafBound::Crown,
        split: true,
        deadline: None,
        max_boxes: 100_000,
        seed: 1,
        pairs: true,
        alpha_steps: 20,
        lookahead,
    };
    let o = verify(&mlp, &p, &opts, |_| {}).unwrap();
    (mlp, p, o)
}

#[test]
fn acas_1_1_properties_1_to_4_are_verified_and_their_trees_recheck() {
    // Property 2 holds by a margin of about 0.0025 over the whole box (outputs vary by about 0.005):
    // it needs splits on an input whose CROWN coefficient is near zero (see `gradient_range`).
    let mut got = Vec::new();
    for (prop, leaves) in [("prop_1.vnnlib", 29), ("prop_2.vnnlib", 157), ("prop_3.vnnlib", 165), ("prop_4.vnnlib", 39)] {
        let (mlp, p, o) = acas_tree(prop, false);
        let Outcome::Verified { tree, .. } = o else { panic!("{prop}: expected verified, found {o:?}") };
        assert_eq!(tree.leaves(), leaves, "{prop}");
        // The search's own tree, before `verify` splits the leaves the packed checker rejects:
        // re-checked as its module would check it, by the packed checker when that accepts every
        // leaf, else by the rational one (`crownBoxLeafOk`).
        let (kind, n) = torchlean::checker::tree::recheck(&mlp, &p, &tree, Intermediate::Crown, LeafBound::Crown).unwrap();
        assert_eq!(n, leaves, "{prop}");
        got.push(kind.check());
    }
    assert_eq!(got, ["crownBoxLeafOk", "packedLeafOk", "crownBoxLeafOk", "crownBoxLeafOk"]);
}

#[test]
fn lookahead_splits_give_the_acas_1_1_trees_fewer_leaves() {
    // The search's own trees with `--split lookahead`, against the gradient heuristic's (29, 157,
    // 165 and 39 leaves in the test above): a cut that refutes a half where one exists. Each tree
    // still re-checks in Rust.
    let mut got = Vec::new();
    for prop in ["prop_1.vnnlib", "prop_2.vnnlib", "prop_3.vnnlib", "prop_4.vnnlib"] {
        let (mlp, p, o) = acas_tree(prop, true);
        let Outcome::Verified { tree, .. } = o else { panic!("{prop}: expected verified, found {o:?}") };
        let (_, n) = torchlean::checker::tree::recheck(&mlp, &p, &tree, Intermediate::Crown, LeafBound::Crown).unwrap();
        assert_eq!(n, tree.leaves(), "{prop}");
        got.push(tree.leaves());
    }
    assert_eq!(got, [20, 108, 36, 24]);
}

#[test]
fn the_certificate_tree_is_the_same_on_one_and_two_threads() {
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| {
            let (_, _, o) = acas_tree("prop_1.vnnlib", true);
            let Outcome::Verified { tree, .. } = o else { panic!("expected verified") };
            canonical_bytes(&certificate_json("sha256:p", "sha256:q", Intermediate::Crown, LeafBound::Crown, &tree)).unwrap()
        })
    };
    assert_eq!(run(1), run(2));
}

#[test]
fn mismatched_property_is_bad_input_and_writes_nothing() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("x");
    let o = verify_cli(&data("bab-small.nnet"), &acas("prop_1.vnnlib"), &[], &out, &d.path().join("lean"));
    assert_eq!(o.status.code(), Some(2), "{}", show(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("property: expected 2 input coordinates (the network's), found 5"), "{}", show(&o));
    assert!(!out.exists());
}

#[test]
fn model_directory_and_property_artifact_are_accepted_and_a_timeout_is_unknown() {
    let d = tempfile::tempdir().unwrap();
    // `import` writes payload.json and a violation_dnf property.json; verify takes both forms.
    let imported = d.path().join("imported");
    let o = torchlean(&["import", &data("bab-small.nnet"), "--property", &data("bab-small.vnnlib"), "--out", imported.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let out = d.path().join("from-dir");
    let prop = imported.join("property.json");
    let o = verify_cli(imported.to_str().unwrap(), prop.to_str().unwrap(), &["--intermediate", "ibp"], &out, &d.path().join("lean"));
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    // The same network and property give the same certificate as from the .nnet and .vnnlib files.
    assert!(String::from_utf8_lossy(&o.stdout).contains("sha256:b4694cdd64178c18bf9544d0955566cb7964c742f1ced1c93e5cfd6e5bd411bd"), "{}", show(&o));
    // A zero time budget: unknown (exit 20), a manifest but no certificate, and the reason.
    let out = d.path().join("no-time");
    let o = verify_cli(&data("bab-small.nnet"), &data("bab-small.vnnlib"), &["--timeout", "0", "--json"], &out, &d.path().join("lean"));
    assert_eq!(o.status.code(), Some(20), "{}", show(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!((v["status"].as_str(), v["detail"].as_str()), (Some("unknown"), Some("timeout")), "{}", show(&o));
    assert!(out.join("manifest.json").exists() && !out.join("certificate.json").exists());
}

#[test]
fn acas_1_1_prop_1_leaves_are_split_for_the_packed_checker_and_round_trip_through_check_cert_and_audit() {
    // The search's leaves bound hidden layers by CROWN ∩ IBP; the packed checker's CROWN passes
    // alone miss the refutation on some of them. Three take IBP boxes (Lean checks one with a
    // multiplication per weight); the leaves neither refutes are split again: 30 leaves, every
    // one a `packedLeafOk`.
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("acas-1-1-prop1");
    let lean = d.path().join("lean");
    let o = verify_cli(&acas("ACASXU_run2a_1_1_batch_2000.nnet"), &acas("prop_1.vnnlib"), &[], &out, &lean);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("30 leaves, depth 7, 0 refuted with searched α"), "{}", show(&o));
    assert!(stdout.lines().any(|l| l == "checker    packedLeafOk"), "{}", show(&o));
    let module = fs::read_to_string(lean.join("Certificates/Acas11Prop1.lean")).unwrap();
    assert!(module.contains("theorem lowered : graph = mlpGraph 5 net ∧ mlpShaped 5 net = true ∧ box0.length = 5 := by decide +kernel"));
    // 174 KB of payload is past the strong binding's bound: the module keeps to the weak form.
    assert!(!module.contains("theorem certified_artifacts"));
    let parts = lean.join("Certificates/Acas11Prop1");
    // 13,000 weights a leaf: at most 30 leaves a part (`PART_WEIGHTS`), spread evenly.
    assert_eq!(fs::read_dir(&parts).unwrap().count(), 1, "1 part of 30 leaves");
    // The network's facts are in its own module, named by the payload's hash.
    assert!(lean.join("Networks/N85fd307cb644fec1.lean").is_file());
    assert!(module.contains("public import Networks.N85fd307cb644fec1\n"));
    let leaves = fs::read_to_string(parts.join("Leaves0.lean")).unwrap();
    assert_eq!(leaves.matches("packedLeafOk_safe (F := leaf").count(), 30);
    assert_eq!(leaves.matches(" : List (Option IbpPk) := [none, none, none, none, none, none]").count(), 27);
    assert_eq!(leaves.matches("some ⟨leaf").count(), 11, "IBP boxes of three leaves");
    assert!(leaves.contains("@[expose] noncomputable def leaf19Is : List (Option IbpPk) := [some ⟨leaf19i5lo, leaf19i5hi⟩, some ⟨leaf19i4lo, leaf19i4hi⟩, none, none, some ⟨leaf19i1lo, leaf19i1hi⟩, none]"));
    let audit = ["audit", out.to_str().unwrap(), "--lean-dir", lean.to_str().unwrap()];
    for args in [&["check-cert", out.to_str().unwrap()][..], &audit[..]] {
        let o = torchlean(args);
        assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    }
}

#[test]
fn robustness_and_output_box_properties_are_decided_and_rechecked() {
    let d = tempfile::tempdir().unwrap();
    let lean = d.path().join("lean");
    let imported = d.path().join("acas-1-1");
    let o = torchlean(&["import", &acas("ACASXU_run2a_1_1_batch_2000.nnet"), "--out", imported.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let linf = |label: &str, eps: &str, file: &str| {
        let p = d.path().join(file);
        let o = torchlean(&["property", "linf", "--center", "0.5,0.25,-0.25,0.25,0.25", "--epsilon", eps, "--label", label, "--outputs", "5", "--out", p.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0), "{}", show(&o));
        p
    };
    // Output 1 is the largest at the center (by 7e-5 over output 4): it stays so on the 1/256 ball,
    // with CROWN on the whole ball (one leaf, four rivals refuted).
    let p = linf("1", "1/256", "robust.json");
    assert_eq!(
        fs::read_to_string(&p).unwrap(),
        r#"{"center":["1/2","1/4","-1/4","1/4","1/4"],"epsilon":"1/256","format":"torchlean.property.v1","kind":"linf_robust","label":1,"outputs":5,"semantics":"exact-rational"}"#
    );
    let out = d.path().join("robust");
    let o = verify_cli(imported.to_str().unwrap(), p.to_str().unwrap(), &[], &out, &lean);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("1 leaves, depth 0"), "{}", show(&o));
    assert!(stdout.contains("certificate sha256:54a210434cfceffc7f03b1022f11f5635269d660aa55db082c210cff7aba1808"), "{}", show(&o));
    // The certificate references the robustness claim itself, not a derived DNF.
    assert_eq!(fs::read(out.join("property.json")).unwrap(), fs::read(&p).unwrap());
    // 250 hidden neurons: the packed checker, whose network part states the violation.
    assert!(stdout.lines().any(|l| l == "checker    packedLeafOk"), "{}", show(&o));
    let module = fs::read_to_string(lean.join("Certificates/Robust/Leaves0.lean")).unwrap();
    assert!(module.contains("@[expose] def violation : List (List Row) := [[⟨[-1, 1, 0, 0, 0], 0, false⟩], [⟨[0, 1, -1, 0, 0], 0, false⟩]"), "{module}");
    for args in [vec!["check-cert", out.to_str().unwrap()], vec!["audit", out.to_str().unwrap()]] {
        let o = torchlean(&args);
        assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    }
    // Output 0 is the smallest there: the center itself is a counterexample, replayed. A certificate
    // directory is written once: a re-run into it is refused before any search and changes nothing
    // (regression: it used to write beside the old result).
    let p = linf("0", "1/64", "not-robust.json");
    let before = fs::read(out.join("manifest.json")).unwrap();
    let o = verify_cli(imported.to_str().unwrap(), p.to_str().unwrap(), &[], &out, &lean);
    assert_eq!(o.status.code(), Some(2), "{}", show(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("expected a new or empty directory, found a non-empty one"), "{}", show(&o));
    assert_eq!(fs::read(out.join("manifest.json")).unwrap(), before);
    let out = d.path().join("not-robust");
    let o = verify_cli(imported.to_str().unwrap(), p.to_str().unwrap(), &[], &out, &lean);
    assert_eq!(o.status.code(), Some(10), "{}", show(&o));
    assert!(out.join("counterexample.json").exists() && !out.join("certificate.json").exists());
    assert_eq!(torchlean(&["check-cert", out.to_str().unwrap()]).status.code(), Some(0));
    // An output box: the small network stays in [-6/5, 10] on [-1, 1]² (the VNN-LIB test's claim).
    let p = d.path().join("box.json");
    let o = torchlean(&["property", "output-box", "--input-box=-1:1,-1:1", "--output-box=-6/5:10", "--out", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let out = d.path().join("small-box");
    let o = verify_cli(&data("bab-small.nnet"), p.to_str().unwrap(), &[], &out, &lean);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("5 leaves, depth 4"), "{}", show(&o));
    assert_eq!(torchlean(&["check-cert", out.to_str().unwrap()]).status.code(), Some(0));
    // A malformed claim: exit 2, the key named, nothing written.
    let bad = d.path().join("bad.json");
    let o = torchlean(&["property", "linf", "--center", "0", "--epsilon", "1", "--label", "5", "--outputs", "5", "--out", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", show(&o));
    assert_eq!(String::from_utf8_lossy(&o.stderr).trim(), "error: --label: expected an output index below 5, found 5");
    assert!(!bad.exists());
}

#[test]
fn a_network_with_twenty_hidden_neurons_gets_the_packed_checker_and_its_module_re_derives() {
    // 3-10-10-2 (20 hidden neurons, at least `PACKED_FROM_HIDDEN`): every leaf's fixed-point passes
    // refute `Y_0 ≤ -8`, so the module checks each leaf with one packed run (`packedLeafOk`).
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("packed-small");
    let lean = d.path().join("lean");
    let o = verify_cli(&data("packed-small.nnet"), &data("packed-small.vnnlib"), &[], &out, &lean);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("4 leaves, depth 3, 2 refuted with searched α"), "{}", show(&o));
    // The certificate's module imports the network module and its parts: the leaves, all four in
    // one part (150 weights each, far below `PART_WEIGHTS`).
    let module = fs::read_to_string(lean.join("Certificates/PackedSmall.lean")).unwrap();
    assert!(module.contains("public import TorchLean.Cert.Robust\npublic import Certificates.PackedSmall.Leaves0\npublic import TorchLean"), "{module}");
    assert!(module.contains("theorem leaves_safe : AllLeaves (fun x => Safe violation (evalNet net x)) tree.leaves :=\n  ⟨leaf0_safe, leaf1_safe, leaf2_safe, leaf3_safe, trivial⟩"));
    let parts = lean.join("Certificates/PackedSmall");
    let mut names: Vec<String> = fs::read_dir(&parts).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["Leaves0.lean"]);
    // A part puts its property's widths on the network module's columns and decides only them
    // (in its own namespace, so parts do not clash); the network facts come from the module
    // shared by the payload's certificates.
    let widths = fs::read_to_string(parts.join("Leaves0.lean")).unwrap();
    assert!(widths.contains("namespace Leaves0\n\n/-- The violation"), "{widths}");
    assert!(widths.contains("end Leaves0\n\nopen Leaves0\n"), "{widths}");
    assert!(widths.contains("theorem widths_ok : widthsOkB 151 73 pks pk0 = true := by decide +kernel"), "{widths}");
    assert!(widths.contains("theorem fits : netFitB 151 73 2 pks pk0 = true :=\n  netFitB_of_cols (colsOkB_withWidths rfl cols_ok) widths_ok"));
    assert!(!widths.contains("describesB") && !widths.contains("def pk2w0"));
    let networks: Vec<_> = fs::read_dir(lean.join("Networks")).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    let payload: serde_json::Value = serde_json::from_slice(&fs::read(out.join("manifest.json")).unwrap()).unwrap();
    let payload_sha = payload["files"].as_array().unwrap().iter().find(|f| f["kind"] == "payload").unwrap()["sha256"].as_str().unwrap().to_string();
    assert_eq!(networks, [format!("N{}.lean", &payload_sha["sha256:".len().."sha256:".len() + 16])]);
    assert!(module.contains(&format!("open Networks.N{}", &payload_sha["sha256:".len().."sha256:".len() + 16])));
    let net_path = lean.join("Networks").join(&networks[0]);
    let net = fs::read_to_string(&net_path).unwrap();
    assert!(net.contains("theorem cols_ok : colsOkB 2 [pk2c, pk1c] pk0c = true := by decide +kernel"));
    assert_eq!(net.matches("_describes : describesB layer").count(), 3);
    // Weights at the scale 1/2^3 (eighths), compared with the payload's patterns on naturals.
    assert!(net.contains("theorem layer2_describes : describesB layer2Weight layer2Bias pk2c 2 3 [1, 1] [true, true] = true := by decide +kernel"));
    // A run crosses each column split by sign (`layerOutP`): column 0 of layer 2 is (-6, -8)/8,
    // so all of it is negative; the bias (-1, -1)/8 and Ω = 8 split the same way, and `cols_ok`
    // (`splitB`) ties the split to the columns. The widths are zero: a certificate adds its own.
    assert!(net.contains(
        "def pk2w0 : List Nat := [nat_lit 6, nat_lit 8]\n@[expose] def pk2s0 : List Bool := [true, true]\n\
         @[expose] noncomputable def pk2p0 : List Nat := [nat_lit 0, nat_lit 0]\n\
         @[expose] noncomputable def pk2n0 : List Nat := [nat_lit 6, nat_lit 8]\n"
    ));
    assert!(net.contains("pk2s9], [14, 12, 11, 11, 20, 7, 8, 9, 15, 5], [1, 1, 8], [true, true, false], 10, 0, 0, 0, 0, 0,\n"), "{net}");
    assert!(net.contains("[pk2n0, pk2n1, pk2n2, pk2n3, pk2n4, pk2n5, pk2n6, pk2n7, pk2n8, pk2n9], [14, 0, 0, 5, 20, 0, 8, 1, 8, 3], [0, 0, 8], [1, 1, 0], 2⟩"));
    let leaves = fs::read_to_string(parts.join("Leaves0.lean")).unwrap();
    assert_eq!(leaves.matches("packedLeafOk_safe (F := leaf").count(), 4);
    // CROWN's boxes refute every leaf, so no leaf carries IBP boxes.
    assert!(leaves.contains("@[expose] noncomputable def leaf0Is : List (Option IbpPk) := [none, none]"));
    assert!(!format!("{module}{net}{leaves}").contains("crownBoxLeafOk"));
    // `audit` re-derives the same modules from the artifacts; `check-cert` re-checks the tree.
    let audit = ["audit", out.to_str().unwrap(), "--lean-dir", lean.to_str().unwrap()];
    for args in [&["check-cert", out.to_str().unwrap()][..], &audit[..]] {
        let o = torchlean(args);
        assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    }
    // A changed part breaks the weak binding; a stray module among the parts (which `check` would
    // build) is reported; a new `verify` clears the stray file.
    fs::write(parts.join("Leaves0.lean"), leaves.replacen("leaf0r0lo", "leaf0r0hi", 1)).unwrap();
    fs::write(parts.join("Leaves1.lean"), "module\n").unwrap();
    fs::write(&net_path, net.replacen("nat_lit 6", "nat_lit 7", 1)).unwrap();
    let o = torchlean(&audit);
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    let text = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert!(text.contains("Leaves0.lean") && text.contains("weak binding broken"), "{}", show(&o));
    assert_eq!(text.matches("weak binding broken").count(), 2, "{}", show(&o));
    assert!(text.contains(&networks[0]), "the changed network module is named: {}", show(&o));
    assert!(text.contains("unexpected files among the certificate's part modules") && text.contains("Leaves1.lean"), "{}", show(&o));
    fs::remove_dir_all(&out).unwrap();
    let o = verify_cli(&data("packed-small.nnet"), &data("packed-small.vnnlib"), &["--json"], &out, &lean);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["lean_checker"], "packedLeafOk");
    assert!(!parts.join("Leaves1.lean").exists());
    assert_eq!(torchlean(&audit).status.code(), Some(0));
}


/// Regression (issue 29's wrong verdict): a strict input bound `X_0 < 1` was read as `X_0 ≤ 1`,
/// and on y = x with violation `Y_0 ≥ 1` `verify` reported a "counterexample" at x = 1, outside
/// the region, which `check-cert` and `audit` accepted.
#[test]
fn a_strict_input_bound_is_never_the_site_of_a_counterexample() {
    let d = tempfile::tempdir().unwrap();
    let lean = d.path().join("lean");
    let net = data("identity.nnet");
    // The region [0, 1) never reaches y = 1: not violated. Its closure is violated at x = 1, so
    // bounds over the closed box cannot prove it either: unknown, with the point named.
    let strict = d.path().join("strict");
    let o = verify_cli(&net, &data("strict-upper.vnnlib"), &[], &strict, &lean);
    assert_eq!(o.status.code(), Some(20), "{}", show(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("the point [1] on a strict input bound (outside the region)"), "{}", show(&o));
    assert!(!strict.join("counterexample.json").exists() && !strict.join("certificate.json").exists());
    let prop: serde_json::Value = serde_json::from_slice(&fs::read(strict.join("property.json")).unwrap()).unwrap();
    assert_eq!(prop["input_open"], serde_json::json!([[false, true]]));
    // Closed, the same file is violated at x = 1 exactly.
    let closed = d.path().join("closed");
    let o = verify_cli(&net, &data("closed-upper.vnnlib"), &[], &closed, &lean);
    assert_eq!(o.status.code(), Some(10), "{}", show(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("input [1] satisfies disjunct 0 exactly"), "{}", show(&o));
    // With the strict bound a counterexample inside the region is still found (`Y_0 ≥ 1/2`).
    let inside = d.path().join("inside");
    let o = verify_cli(&net, &data("strict-upper-inside.vnnlib"), &[], &inside, &lean);
    assert_eq!(o.status.code(), Some(10), "{}", show(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("input [1/2] satisfies disjunct 0 exactly"), "{}", show(&o));
    // The closed run's counterexample presented against the strict property: both checkers refuse
    // it and say which bound it breaks.
    let forged = d.path().join("forged");
    fs::create_dir(&forged).unwrap();
    for f in ["payload.json", "property.json"] {
        fs::copy(strict.join(f), forged.join(f)).unwrap();
    }
    let mut cex: serde_json::Value = serde_json::from_slice(&fs::read(closed.join("counterexample.json")).unwrap()).unwrap();
    cex["property"] = torchlean::json::sha256_ref(&fs::read(strict.join("property.json")).unwrap()).into();
    fs::write(forged.join("counterexample.json"), canonical_bytes(&cex).unwrap()).unwrap();
    let entry = |kind: &str, f: &str| serde_json::json!({"kind": kind, "path": f, "sha256": torchlean::json::sha256_ref(&fs::read(forged.join(f)).unwrap())});
    let manifest = serde_json::json!({"format": "torchlean.manifest.v1", "name": "forged", "files": [
        entry("counterexample", "counterexample.json"), entry("payload", "payload.json"), entry("property", "property.json")]});
    fs::write(forged.join("manifest.json"), canonical_bytes(&manifest).unwrap()).unwrap();
    let o = torchlean(&["check-cert", forged.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    let why = "input: expected a point of the property's input region, X_0: expected a value < 1, found 1";
    assert!(String::from_utf8_lossy(&o.stderr).contains(why), "{}", show(&o));
    let o = torchlean(&["audit", forged.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains(why), "{}", show(&o));
}

/// Regression: a counterexample of a cnn was replayed on a flat `[n]` input and refused ("input
/// \"x\": expected shape [1, 8, 8], found [64]"), exit 2. The cnn's inputs are read row-major.
#[test]
fn a_cnn_counterexample_is_replayed_on_the_input_shape_and_its_certificate_rechecks() {
    let d = tempfile::tempdir().unwrap();
    let lean = d.path().join("lean");
    let model = data("cnn-small.payload.json");
    let center = vec!["1/2"; 16].join(",");
    let p = d.path().join("p.json");
    // At the centre output 0 is 151/128 and output 1 is -157/256: label 1 is violated there.
    let o = torchlean(&["property", "linf", "--center", &center, "--epsilon", "1/16", "--label", "1", "--outputs", "2", "--out", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let out = d.path().join("cnn-cex");
    let o = verify_cli(&model, p.to_str().unwrap(), &[], &out, &lean);
    assert_eq!(o.status.code(), Some(10), "{}", show(&o));
    for args in [vec!["check-cert", out.to_str().unwrap()], vec!["audit", out.to_str().unwrap()]] {
        let o = torchlean(&args);
        assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    }
    // Label 0 holds on the ball: one leaf, re-checked in Rust and re-derived by audit.
    let p0 = d.path().join("p0.json");
    let o = torchlean(&["property", "linf", "--center", &center, "--epsilon", "1/16", "--label", "0", "--outputs", "2", "--out", p0.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let out = d.path().join("cnn-small");
    let o = verify_cli(&model, p0.to_str().unwrap(), &[], &out, &lean);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("1 leaves, depth 0"), "{}", show(&o));
    let o = torchlean(&["check-cert", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let o = torchlean(&["audit", out.to_str().unwrap(), "--lean-dir", lean.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
}

#[test]
fn a_smooth_mlp_is_verified_through_its_enclosures_and_rechecked_or_left_unknown() {
    // smooth-small: a 4-5-5-5-3 mlp with tanh, sigmoid and gelu hidden layers (weights k/8, biases
    // k/16). At the centre 1/2 its binary64 output is about [-0.464, 0.387, 0.326].
    let d = tempfile::tempdir().unwrap();
    let lean = d.path().join("lean");
    let model = data("smooth-small.payload.json");
    let ball = |label: &str, name: &str| {
        let p = d.path().join(name);
        let o = torchlean(&["property", "linf", "--center", "1/2,1/2,1/2,1/2", "--epsilon", "1/64", "--label", label, "--outputs", "3", "--out", p.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0), "{}", show(&o));
        p
    };
    let p1 = ball("1", "p1.json");
    let out = d.path().join("smooth-small");
    let o = verify_cli(&model, p1.to_str().unwrap(), &[], &out, &lean);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("detail     6 leaves, depth 3, each refuted by IBP through the smooth activations' enclosures"), "{}", show(&o));
    assert!(stdout.lines().any(|l| l == "checker    envLeafOk"), "{}", show(&o));
    let module = fs::read_to_string(lean.join("Certificates/SmoothSmall.lean")).unwrap();
    assert!(module.contains("theorem certified_graph : ∀ σ : Fns, Within σ → ∀ x : List Rat, Box.Mem box0 x →"), "{module}");
    for args in [vec!["check-cert", out.to_str().unwrap()], vec!["audit", out.to_str().unwrap(), "--lean-dir", lean.to_str().unwrap()]] {
        let o = torchlean(&args);
        assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    }
    // A raised bound still refutes its row, so only re-bounding through the enclosures catches it.
    edit_certificate(&out, |v| v["nodes"][3]["leaf"]["refute"][0]["bound"] = "81/100".into());
    let o = torchlean(&["check-cert", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("leaf 0 disjunct 0: claimed lower bound 81/100, recomputed 29638979324041251623/36893488147419103232"),
        "{}",
        show(&o)
    );
    // Label 0 is violated at the centre in binary64; without exact values there is no replay, so
    // the run is unknown and says why.
    let p0 = ball("0", "p0.json");
    let o = verify_cli(&model, p0.to_str().unwrap(), &[], &d.path().join("s0"), &lean);
    assert_eq!(o.status.code(), Some(20), "{}", show(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains(
            "the binary64 output at [0.5, 0.5, 0.5, 0.5] satisfies violation disjunct 0 (not replayed: the smooth activations have no exact values)"
        ),
        "{}",
        show(&o)
    );
    // A transformer is refused, naming its first op no engine takes.
    let o = verify_cli(&data("transformer-default.payload.json"), p0.to_str().unwrap(), &[], &d.path().join("t"), &lean);
    assert_eq!(o.status.code(), Some(2), "{}", show(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains(
            "node \"layers.0.self_attn.q.0\" (slice): no bound rule for op slice in verify's engines (they take chains of linear, \
             conv2d, avgpool2d and maxpool2d layers with relu, identity, tanh, sigmoid or gelu activations)"
        ),
        "{}",
        show(&o)
    );
    assert!(!d.path().join("t").exists());
}

/// A cnn with a max pool (cnn-small with its average pool made a 2×2 max pool): the pool's ReLU
/// layers are split like any others. A ball of radius 1/8 needs four leaves; at radius 1/4 the
/// search finds an input where label 1 wins, replayed exactly and in binary32.
#[test]
fn a_max_pool_cnn_is_split_through_its_pool_layers_and_its_counterexample_replays() {
    let d = tempfile::tempdir().unwrap();
    let lean = d.path().join("lean");
    let model = data("cnn-maxpool-small.payload.json");
    let center = vec!["1/2"; 16].join(",");
    for (eps, code, line) in [("1/8", 0, "detail     4 leaves, depth 2, 3 refuted with searched α"), ("1/4", 10, "status     violated")] {
        let p = d.path().join(format!("p{}.json", eps.replace('/', "-")));
        let o = torchlean(&["property", "linf", "--center", &center, "--epsilon", eps, "--label", "0", "--outputs", "2", "--out", p.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0), "{}", show(&o));
        let out = d.path().join(format!("c{}", eps.replace('/', "-")));
        let o = verify_cli(&model, p.to_str().unwrap(), &[], &out, &lean);
        assert_eq!(o.status.code(), Some(code), "{}", show(&o));
        assert!(String::from_utf8_lossy(&o.stdout).lines().any(|l| l == line), "{}", show(&o));
        for args in [vec!["check-cert", out.to_str().unwrap()], vec!["audit", out.to_str().unwrap()]] {
            let o = torchlean(&args);
            assert_eq!(o.status.code(), Some(0), "{}", show(&o));
        }
    }
}

/// The manifest names the file each artifact was made from (`"source"`: file name and SHA-256), and
/// `audit --sources DIR` re-derives payload and property from those files: found by hash under any
/// name, and refused when the file a user holds is not the one recorded, or when the payload no
/// longer is what its source gives.
#[test]
fn artifacts_name_their_source_files_and_audit_re_derives_them() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("small");
    let o = verify_cli(&data("bab-small.nnet"), &data("bab-small.vnnlib"), &["--intermediate", "ibp"], &out, &d.path().join("lean"));
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let sha = |p: &str| torchlean::json::sha256_ref(&fs::read(p).unwrap());
    let payload = fs::read_to_string(out.join("payload.json")).unwrap();
    let manifest = fs::read_to_string(out.join("manifest.json")).unwrap();
    for (kind, file) in [("payload", "bab-small.nnet"), ("property", "bab-small.vnnlib")] {
        let entry = format!(
            "{{\"kind\":\"{kind}\",\"path\":\"{kind}.json\",\"sha256\":\"{}\",\"source\":{{\"name\":\"{file}\",\"sha256\":\"{}\"}}}}",
            sha(out.join(format!("{kind}.json")).to_str().unwrap()),
            sha(&data(file))
        );
        assert!(manifest.contains(&entry), "{manifest}");
    }
    let audit = |src: &Path| torchlean(&["audit", out.to_str().unwrap(), "--sources", src.to_str().unwrap()]);
    let o = audit(&repo().join("tests/data"));
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    // `import` records its input files the same way.
    let imported = d.path().join("imported");
    let o = torchlean(&["import", &data("bab-small.nnet"), "--property", &data("bab-small.vnnlib"), "--out", imported.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let o = torchlean(&["audit", imported.to_str().unwrap(), "--sources", repo().join("tests/data").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    // Found by hash whatever its name; a changed file of the recorded name is not the source.
    let src = d.path().join("src");
    fs::create_dir_all(&src).unwrap();
    fs::copy(data("bab-small.vnnlib"), src.join("renamed.vnnlib")).unwrap();
    let nnet = fs::read_to_string(data("bab-small.nnet")).unwrap();
    fs::write(src.join("bab-small.nnet"), nnet.replacen("0.625,0.25,", "0.5,0.25,", 1)).unwrap();
    let o = audit(&src);
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    let err = String::from_utf8_lossy(&o.stderr).to_string() + &String::from_utf8_lossy(&o.stdout);
    assert!(
        err.contains(&format!(
            "source: bab-small.nnet ({}) is not in {}: no file there has that SHA-256 ({} is {})",
            sha(&data("bab-small.nnet")),
            src.display(),
            src.join("bab-small.nnet").display(),
            sha(src.join("bab-small.nnet").to_str().unwrap())
        )),
        "{}",
        show(&o)
    );
    assert!(!err.contains("property.json: source"), "the property's source was found by hash: {}", show(&o));
    // A payload whose weights were changed but whose sources still name the original file.
    fs::write(src.join("bab-small.nnet"), &nnet).unwrap();
    let changed = payload.replacen("\"0x3f200000\"", "\"0x3f000000\"", 1);
    assert_ne!(changed, payload);
    fs::write(out.join("payload.json"), &changed).unwrap();
    let o = audit(&src);
    let err = String::from_utf8_lossy(&o.stderr).to_string() + &String::from_utf8_lossy(&o.stdout);
    assert!(
        err.contains(&format!(
            "source: re-derived from {} it is {}, found {}",
            src.join("bab-small.nnet").display(),
            torchlean::json::sha256_ref(payload.as_bytes()),
            torchlean::json::sha256_ref(changed.as_bytes())
        )),
        "{}",
        show(&o)
    );
}

/// `scripts/pin_check.py`, the reviewer's own link from the bytes to the pinned statement (no
/// torchlean code): for a violation property of the small network, an L∞ claim, an output box
/// decided by a tree, a cnn with a max pool and ACAS Xu 1_1 property 4, it finds the pin `check` would write to state exactly the claim of the artifacts,
/// and it refuses a pin with another region.
#[test]
fn the_independent_script_confirms_each_pin_and_refuses_a_changed_one() {
    let d = tempfile::tempdir().unwrap();
    let lean = d.path().join("lean");
    let linf = d.path().join("linf.json");
    let o = torchlean(&["property", "linf", "--center", "0.5,0.25", "--epsilon", "1/100", "--label", "0", "--outputs", "2", "--out", linf.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let ball = d.path().join("cnn-ball.json");
    let center = vec!["1/2"; 16].join(",");
    let o = torchlean(&["property", "linf", "--center", &center, "--epsilon", "1/16", "--label", "0", "--outputs", "2", "--out", ball.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let ob = d.path().join("box.json");
    let o = torchlean(&["property", "output-box", "--input-box=-1/2:1/2,-1/2:1/2", "--output-box=-6/5:10", "--out", ob.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let script = |out: &Path, pin: &Path| {
        Command::new("python3").arg(repo().join("scripts/pin_check.py")).arg(out).arg(pin).output().unwrap()
    };
    for (model, prop, name) in [
        (data("bab-small.nnet"), data("bab-small.vnnlib"), "small"),
        (data("linf-small.nnet"), linf.display().to_string(), "linf"),
        (data("bab-small.nnet"), ob.display().to_string(), "box"),
        (data("cnn-maxpool-small.payload.json"), ball.display().to_string(), "cnn"),
        (acas("ACASXU_run2a_1_1_batch_2000.nnet"), acas("prop_4.vnnlib"), "acas-1-1-p4"),
    ] {
        let out = d.path().join(name);
        let o = verify_cli(&model, &prop, &[], &out, &lean);
        assert_eq!(o.status.code(), Some(0), "{}", show(&o));
        let m = torchlean::lean::emit::module_name(name);
        let source = fs::read_to_string(lean.join(format!("Certificates/{m}.lean"))).unwrap();
        let p = torchlean::lean::pin::pin(&format!("Certificates.{m}"), &source, &out).unwrap();
        let pin = d.path().join(format!("{m}.lean"));
        fs::write(&pin, &p.text).unwrap();
        let o = script(&out, &pin);
        assert_eq!(o.status.code(), Some(0), "{name}: {}", show(&o));
        let sha = torchlean::json::sha256_ref(&fs::read(out.join("payload.json")).unwrap());
        assert!(String::from_utf8_lossy(&o.stdout).contains(&format!("payload.json  {sha}\n")), "{}", show(&o));
        if name == "small" {
            fs::write(&pin, p.text.replacen("def region : Box := [⟨-1, 1⟩", "def region : Box := [⟨-1/2, 1⟩", 1)).unwrap();
            let o = script(&out, &pin);
            assert_eq!(o.status.code(), Some(1), "{}", show(&o));
            assert!(String::from_utf8_lossy(&o.stdout).lines().any(|l| l == "DIFFERS: region"), "{}", show(&o));
        }
    }
}

/// An input disjunction (two boxes in one `or`, as ACAS Xu property 6 has) is decided region by
/// region: each box gets its own certificate; a violation in one box is the property's.
#[test]
fn a_disjunction_over_two_input_boxes_is_decided_box_by_box() {
    let d = tempfile::tempdir().unwrap();
    let lean = d.path().join("lean");
    let net = data("identity.nnet");
    let holds = d.path().join("holds");
    let o = verify_cli(&net, &data("two-boxes-holds.vnnlib"), &[], &holds, &lean);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("region     1 of 2: [0, 1]") && out.contains("region     2 of 2: [3, 4]"), "{out}");
    assert!(out.contains("property   verified (2 of 2 regions decided)"), "{out}");
    for (k, rows) in [(1, r#"[{"coeffs":["-1"],"rhs":"-2","strict":false}]"#), (2, r#"[{"coeffs":["1"],"rhs":"5/2","strict":false}]"#)] {
        let dir = holds.join(format!("holds.region{k}"));
        let prop: serde_json::Value = serde_json::from_slice(&fs::read(dir.join("property.json")).unwrap()).unwrap();
        assert_eq!(prop["violation"][0].to_string(), rows);
        assert!(lean.join(format!("Certificates/HoldsRegion{k}.lean")).is_file());
        let c = torchlean(&["check-cert", dir.to_str().unwrap()]);
        assert_eq!(c.status.code(), Some(0), "{}", show(&c));
    }
    // The property file is the source of both regions' properties.
    let a = torchlean(&["audit", holds.to_str().unwrap(), "--sources", repo().join("tests/data").to_str().unwrap()]);
    assert_eq!(a.status.code(), Some(0), "{}", show(&a));
    let violated = d.path().join("violated");
    let o = verify_cli(&net, &data("two-boxes-violated.vnnlib"), &[], &violated, &lean);
    assert_eq!(o.status.code(), Some(10), "{}", show(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("input [7/2] satisfies disjunct 0 exactly"), "{out}");
    assert!(violated.join("violated.region1/certificate.json").is_file());
    assert!(violated.join("violated.region2/counterexample.json").is_file());
}
