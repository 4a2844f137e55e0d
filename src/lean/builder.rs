//! The wasm Lean processes that compile modules: a [`Builder`] compiles one module after another
//! (`builder.lean`); a [`Single`] is one `lean -o` for one large module.
//!
//! Started once per build slot, it costs one start of the wasm Lean and one load of Lean's own
//! library (about 20 s), after which each module costs only its elaboration and kernel checks:
//! the demo's 22 library modules took 2–18 s each in one process, against 12–34 s each when every
//! module started its own `lean` (most of it the start itself). Jobs and results are files (see
//! `builder.lean` for why); the process is retired when its memory grows too large, because the
//! `.olean` data of every module's imports stays in its wasm heap (about 85 MB per module that
//! imports only the prelude).
use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Instant;

use super::outcome::{Outcome, Timing, crash_hint, diagnostics, profiled_type_checking};
use super::imports::Module;
use super::toolchain::WasmLean;
use crate::error::{Error, Result};

/// The builder's Lean source, written into each build's source root.
const SOURCE: &str = include_str!("builder.lean");
const FILE: &str = "TorchLeanWasmBuilder.lean";

/// Lean's thread count for the process. Each thread Lean starts is a fresh pthread worker of the
/// wasm glue, which parses the 89 MB `lean.js` and instantiates the module (~2.5 s of CPU and
/// ~450 MB each); with `-j1` (and `Elab.async` off, set by `builder.lean`) a module elaborates on
/// one thread. Measured one module after the other as separate processes (`IR/Mlp.lean`): 29.4 s,
/// 42.4 s of CPU and 9.6 GB by default; 14.2 s, 14.7 s and 2.5 GB with one thread.
const LEAN_WASM_ARGS: [&str; 1] = ["-j1"];

/// A module whose source has at least this many bytes is compiled by a [`Single`] process. Such
/// modules (an ACAS Xu network module or part of leaves: about 1 MB, one to four minutes) cost far
/// more than a start, and need up to 1 GB of the wasm heap, which a builder holding the imports of
/// earlier modules may not have left. A [`Single`] starts in about 8 s, a builder in about 20 s
/// (it loads Lean's frontend to run `builder.lean`).
pub const LARGE_MODULE_BYTES: u64 = 256 * 1024;

/// A builder whose resident memory passed this is retired once its module is done. The demo's
/// closure crashed one process (a wasm `Table.get` of a negative index) at 3.9 GB, after 18
/// modules; a fresh builder that has loaded Lean holds 1.8 GB.
const RETIRE_RSS_KB: u64 = 2_900_000;
/// Where resident memory cannot be read (no `/proc`), a builder is retired after this many modules.
const RETIRE_MODULES: usize = 8;

struct Job {
    module: usize,
    number: usize,
    rel: String,
    olean: PathBuf,
}

/// What a poll found.
pub enum Poll {
    /// Still compiling, or waiting for a job.
    Working,
    /// The module's outcome.
    Done(usize, Outcome),
    /// The process ended while compiling the module: the failure, and whether the process had
    /// compiled anything before (then memory left by earlier modules may be the cause, and a fresh
    /// process may succeed).
    Died { module: usize, failure: Outcome, had_built: bool },
    /// The process ended while idle.
    Gone,
}

pub struct Builder {
    child: Child,
    dir: PathBuf,
    next: usize,
    built: usize,
    spawned: Instant,
    /// Seconds from the start of the process until it could take a job, once known.
    pub startup: Option<f64>,
    job: Option<Job>,
}

impl Builder {
    /// Starts a builder for the build in `run` (`run/src` the sources, `run/out` the outputs);
    /// `id` names its job directory.
    pub fn spawn(tc: &WasmLean, run: &Path, id: usize) -> Result<Builder> {
        let src = run.join("src");
        let script = src.join(FILE);
        if !script.is_file() {
            fs::write(&script, SOURCE).map_err(|e| Error::io("cannot write", &script, e))?;
        }
        let dir = run.join("jobs").join(id.to_string());
        fs::create_dir_all(&dir).map_err(|e| Error::io("cannot create", &dir, e))?;
        let args = [OsStr::new("--run"), OsStr::new(FILE), dir.as_os_str()];
        let child = start_lean(tc, run, &args, &dir.join("log"))?;
        Ok(Builder { child, dir, next: 0, built: 0, spawned: Instant::now(), startup: None, job: None })
    }

    pub fn idle(&self) -> bool {
        self.job.is_none()
    }

    /// Hands module `index` (`m`) to the builder; its outputs go under `run/out`.
    pub fn assign(&mut self, index: usize, m: &Module, run: &Path) -> Result<()> {
        let (rel, olean) = output_path(run, m)?;
        let line = format!("{}\t{rel}\t{}\n", m.name, olean.display());
        self.write_job(&line)?;
        self.job = Some(Job { module: index, number: self.next - 1, rel, olean });
        Ok(())
    }

    fn write_job(&mut self, line: &str) -> Result<()> {
        let tmp = self.dir.join("job.tmp");
        fs::write(&tmp, line).map_err(|e| Error::io("cannot write", &tmp, e))?;
        let path = self.dir.join(format!("{}.job", self.next));
        fs::rename(&tmp, &path).map_err(|e| Error::io("cannot rename to", &path, e))?;
        self.next += 1;
        Ok(())
    }

    /// Looks for the current job's result, or for the process's end.
    pub fn poll(&mut self) -> Result<Poll> {
        if self.startup.is_none() && self.dir.join("ready").is_file() {
            self.startup = Some(self.spawned.elapsed().as_secs_f64());
        }
        if let Some(job) = &self.job {
            let done = self.dir.join(format!("{}.done", job.number));
            if done.is_file() {
                let status = fs::read_to_string(&done).map_err(|e| Error::io("cannot read", &done, e))?;
                let out_path = self.dir.join(format!("{}.out", job.number));
                let out = fs::read_to_string(&out_path).map_err(|e| Error::io("cannot read", &out_path, e))?;
                let outcome = outcome(&status, &out, &job.rel, &job.olean);
                let module = job.module;
                self.job = None;
                self.built += 1;
                return Ok(Poll::Done(module, outcome));
            }
        }
        let Some(status) = self.child.try_wait().map_err(|e| Error::io("cannot wait for", &self.dir, e))? else {
            return Ok(Poll::Working);
        };
        let Some(job) = self.job.take() else { return Ok(Poll::Gone) };
        let text = fs::read_to_string(self.dir.join("log")).unwrap_or_default();
        let failure = died(&status, &text);
        Ok(Poll::Died { module: job.module, failure, had_built: self.built > 0 })
    }

    /// True when the builder should not take another module.
    pub fn worn(&self) -> bool {
        match resident_kb(self.child.id()) {
            Some(kb) => kb > RETIRE_RSS_KB,
            None => self.built >= RETIRE_MODULES,
        }
    }

    /// Ends the process (idle, or already ended: an idle builder is polling for a job file, so
    /// nothing is half-written) and returns its start-up seconds, 0 if it never became ready.
    pub fn stop(mut self) -> f64 {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.startup.unwrap_or(0.0)
    }
}

/// The outcome of a finished job: `ok <ms>` with no error among Lean's messages and an `.olean`
/// written, else the diagnostics.
fn outcome(status: &str, out: &str, rel: &str, olean: &Path) -> Outcome {
    let mut words = status.split_whitespace();
    let ok = words.next() == Some("ok");
    let ms = words.next().and_then(|w| w.parse::<f64>().ok());
    let shown = format!("lean/{rel}");
    let diag = diagnostics(out, rel, &shown);
    let has_error = diag.lines().any(|l| l.starts_with(&shown) && l.contains(": error"));
    if ok && !has_error && olean.is_file() {
        Outcome::Built(ms.map(|ms| Timing { seconds: ms / 1000.0, kernel_seconds: profiled_type_checking(out) }))
    } else if diag.is_empty() {
        Outcome::Failed(format!("lean reported a failure and no diagnostics; last output:\n{}", last_lines(out)))
    } else {
        Outcome::Failed(diag)
    }
}

/// One `lean <module> -o <olean>` process, for a large module.
pub struct Single {
    child: Child,
    module: usize,
    started: Instant,
    log: PathBuf,
    rel: String,
    olean: PathBuf,
}

impl Single {
    pub fn spawn(tc: &WasmLean, run: &Path, index: usize, m: &Module) -> Result<Single> {
        let (rel, olean) = output_path(run, m)?;
        let dir = run.join("jobs");
        fs::create_dir_all(&dir).map_err(|e| Error::io("cannot create", &dir, e))?;
        let log = dir.join(format!("single-{index}.log"));
        let args = [OsStr::new("-DElab.async=false"), OsStr::new(&rel), OsStr::new("-o"), olean.as_os_str()];
        let child = start_lean(tc, run, &args, &log)?;
        Ok(Single { child, module: index, started: Instant::now(), log, rel, olean })
    }

    /// Ends the process (the build is being abandoned).
    pub fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The module's index and outcome once the process has ended.
    pub fn poll(&mut self) -> Result<Option<(usize, Outcome)>> {
        let Some(status) = self.child.try_wait().map_err(|e| Error::io("cannot wait for", &self.log, e))? else {
            return Ok(None);
        };
        let secs = self.started.elapsed().as_secs_f64();
        let text = fs::read_to_string(&self.log).map_err(|e| Error::io("cannot read", &self.log, e))?;
        let shown = format!("lean/{}", self.rel);
        let diag = diagnostics(&text, &self.rel, &shown);
        let has_error = diag.lines().any(|l| l.starts_with(&shown) && l.contains(": error"));
        let outcome = if status.success() && !has_error && self.olean.is_file() {
            Outcome::Built(Some(Timing { seconds: secs, kernel_seconds: profiled_type_checking(&text) }))
        } else if diag.is_empty() {
            died(&status, &text)
        } else {
            Outcome::Failed(diag)
        };
        Ok(Some((self.module, outcome)))
    }
}

/// Starts `node lean.js -j1 <args>` in the build's source root, with the library and the build's
/// outputs on `LEAN_PATH` and both output streams into `log`.
fn start_lean(tc: &WasmLean, run: &Path, args: &[&OsStr], log: &Path) -> Result<Child> {
    let file = fs::File::create(log).map_err(|e| Error::io("cannot create", log, e))?;
    let file2 = file.try_clone().map_err(|e| Error::io("cannot open", log, e))?;
    let lean_path = std::env::join_paths([&tc.lib, &run.join("out")]).expect("paths without separators");
    Command::new(&tc.node)
        .arg(&tc.lean_js)
        .args(LEAN_WASM_ARGS)
        .args(args)
        .current_dir(run.join("src"))
        .env("LEAN_PATH", lean_path)
        .stdin(Stdio::null())
        .stdout(file)
        .stderr(file2)
        .spawn()
        .map_err(|e| Error::io("cannot run", &tc.node, e))
}

/// A module's source path relative to the source root, and where its `.olean` goes (its directory
/// created).
fn output_path(run: &Path, m: &Module) -> Result<(String, PathBuf)> {
    let olean = run.join("out").join(m.rel_path.with_extension("olean"));
    if let Some(p) = olean.parent() {
        fs::create_dir_all(p).map_err(|e| Error::io("cannot create", p, e))?;
    }
    Ok((m.rel_path.to_string_lossy().into_owned(), olean))
}

/// The failure of a process that ended without a Lean diagnostic.
fn died(status: &ExitStatus, text: &str) -> Outcome {
    let hint = crash_hint(status, text).map(|h| format!(" ({h})")).unwrap_or_default();
    Outcome::Failed(format!("lean exited with {status} and no diagnostics{hint}; last output:\n{}", last_lines(text)))
}

/// The last 20 lines of Lean's output, without the wasm build's debug chatter and file lists.
fn last_lines(text: &str) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.starts_with("[DEBUG") && !l.starts_with("  - ")).collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// Resident memory of a process in kB, from `/proc` (Linux).
fn resident_kb(pid: u32) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_is_built_only_with_ok_no_error_and_an_olean() {
        let dir = tempfile::tempdir().unwrap();
        let olean = dir.path().join("A.olean");
        let err = "[DEBUG:L] runFrontend entered\nCertificates/A.lean:3:8: error: Tactic `decide` failed\n";
        assert_eq!(
            outcome("failed 1200\n", err, "Certificates/A.lean", &olean),
            Outcome::Failed("lean/Certificates/A.lean:3:8: error: Tactic `decide` failed".into())
        );
        assert!(matches!(outcome("ok 1200\n", "", "Certificates/A.lean", &olean), Outcome::Failed(d) if d.starts_with("lean reported a failure")));
        fs::write(&olean, b"x").unwrap();
        assert_eq!(
            outcome("ok 1250\n", "type checking took 500ms\n", "Certificates/A.lean", &olean),
            Outcome::Built(Some(Timing { seconds: 1.25, kernel_seconds: Some(0.5) }))
        );
        assert!(matches!(outcome("ok 1250\n", err, "Certificates/A.lean", &olean), Outcome::Failed(_)));
    }

    #[test]
    fn resident_memory_is_read_for_this_process() {
        let kb = resident_kb(std::process::id()).unwrap();
        assert!(kb > 100, "{kb}");
        assert_eq!(resident_kb(u32::MAX), None);
    }
}
