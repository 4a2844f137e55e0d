//! Faults: a `verify` or `import` killed at any moment leaves either no output directory or a
//! complete one that `audit` accepts; never a half-written directory that looks complete.
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

fn data(file: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(file).display().to_string()
}

/// Starts `args`, kills it (SIGKILL) after `after`, and waits for it.
fn killed_after(args: &[&str], after: Duration) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_torchlean"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(after);
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn a_verify_or_import_killed_at_any_moment_leaves_nothing_or_something_complete() {
    let d = tempfile::tempdir().unwrap();
    let lean = d.path().join("lean");
    let (mut absent, mut complete) = (0, 0);
    for (k, ms) in [0u64, 1, 2, 3, 5, 8, 12, 18, 27, 40, 60, 90, 135, 200].into_iter().enumerate() {
        let v = d.path().join(format!("v{k}"));
        killed_after(
            &["verify", "--model", &data("bab-small.nnet"), "--property", &data("bab-small.vnnlib"), "--out", v.to_str().unwrap(), "--lean-dir", lean.to_str().unwrap()],
            Duration::from_millis(ms),
        );
        let i = d.path().join(format!("i{k}"));
        killed_after(&["import", &data("cnn-small.payload.json"), "--out", i.to_str().unwrap()], Duration::from_millis(ms));
        for out in [v, i] {
            if !out.exists() {
                absent += 1;
                continue;
            }
            let o = Command::new(env!("CARGO_BIN_EXE_torchlean")).args(["audit", out.to_str().unwrap()]).output().unwrap();
            assert_eq!(o.status.code(), Some(0), "killed after {ms} ms, {} exists but does not audit: {}", out.display(), String::from_utf8_lossy(&o.stderr));
            complete += 1;
        }
    }
    // Both outcomes occurred, so the kills did land mid-run as well as after it.
    eprintln!("killed runs: {absent} left nothing, {complete} left a complete directory");
    assert!(absent > 0 && complete > 0, "{absent} absent, {complete} complete");
}

/// `--timeout` covers the whole run, certifying included: on ACAS Xu 1_8 property 2 (about 12 s to
/// search and certify here) a 3-second timeout ends in about 3 seconds as unknown, where writing
/// the certificate of a search that had just finished used to add seconds more.
#[test]
fn a_timeout_is_honoured_whole_certificate_writing_included() {
    let acas = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/benchmarks/acasxu");
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("t");
    let start = std::time::Instant::now();
    let o = Command::new(env!("CARGO_BIN_EXE_torchlean"))
        .args(["verify", "--model", acas.join("ACASXU_run2a_1_8_batch_2000.nnet").to_str().unwrap()])
        .args(["--property", acas.join("prop_2.vnnlib").to_str().unwrap(), "--out", out.to_str().unwrap()])
        .args(["--lean-dir", d.path().join("lean").to_str().unwrap(), "--timeout", "3"])
        .output()
        .unwrap();
    let took = start.elapsed();
    assert_eq!(o.status.code(), Some(20), "{}", String::from_utf8_lossy(&o.stderr));
    // A wave of boxes in flight may finish after the deadline; seconds more would be the old bug.
    assert!(took < Duration::from_millis(4500), "--timeout 3 took {took:?}");
    assert!(!out.join("certificate.json").exists() && !d.path().join("lean/Certificates/T.lean").exists());
}

/// A write that fails part-way (here: a 2 KiB file-size limit, which fails writes as a full disk
/// does) gives a clear error naming the file, a non-zero exit, and no output directory or
/// leftover temp directory.
#[test]
fn a_failing_write_leaves_no_partial_artifact() {
    use std::os::unix::process::CommandExt;
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("full");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_torchlean"));
    cmd.args(["verify", "--model", &data("bab-small.nnet"), "--property", &data("bab-small.vnnlib")])
        .args(["--out", out.to_str().unwrap(), "--lean-dir", d.path().join("lean").to_str().unwrap()]);
    // SAFETY: setrlimit is async-signal-safe and touches only the child.
    unsafe {
        cmd.pre_exec(|| {
            let lim = libc::rlimit { rlim_cur: 2048, rlim_max: 2048 };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &lim) == 0 { Ok(()) } else { Err(std::io::Error::last_os_error()) }
        });
    }
    let o = cmd.output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.starts_with("error: cannot write ") && err.contains("File too large"), "{err}");
    let left: Vec<_> = std::fs::read_dir(d.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(left.iter().all(|n| n == "lean"), "left behind: {left:?}");
}
