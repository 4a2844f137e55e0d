//! The build driver for the wasm toolchain: compiles modules in import order (small ones in
//! long-lived Lean processes, `builder.rs`), independent modules in parallel, and reuses an
//! `.olean` whose source and dependencies are unchanged (a content-addressed store keyed by source hash, dependency keys and toolchain).
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use sha2::{Digest, Sha256};

use super::builder::{Builder, LARGE_MODULE_BYTES, Poll, Single};
use super::imports::Module;
use super::outcome::{Outcome, Timing};
use super::toolchain::{WASM_TOOLCHAIN_ID, WasmLean};
use crate::error::{Error, Result};

/// Per-module results in build order.
#[derive(Debug, Clone)]
pub struct BuildReport {
    pub modules: Vec<(String, Outcome)>,
    pub seconds: f64,
    /// Lean processes started (builders and singles), and the builders' seconds from their start
    /// until they could take a module (a single's start is part of its module's time).
    pub processes: usize,
    pub startup_seconds: f64,
}

/// Removes the idle builders from `builders`.
fn extract_idle(builders: &mut Vec<Builder>) -> Vec<Builder> {
    let (idle, busy): (Vec<Builder>, Vec<Builder>) = std::mem::take(builders).into_iter().partition(Builder::idle);
    *builders = busy;
    idle
}

/// How often the driver looks for a builder's result.
const POLL: std::time::Duration = std::time::Duration::from_millis(20);

/// Publishes a built module to the store atomically: fills a temp dir, then renames it to the key.
fn publish(key_dir: &Path, store: &Path, out_dir: &Path, stem: &str, name: &str, timing: Option<Timing>) -> Result<()> {
    let tmp = tempfile::tempdir_in(store).map_err(|e| Error::io("cannot create temp dir in", store, e))?;
    copy_outputs(out_dir, stem, tmp.path())?;
    if let Some(t) = timing {
        write_timing(tmp.path(), t)?;
    }
    fs::write(tmp.path().join(".complete"), name).map_err(|e| Error::io("cannot write", tmp.path(), e))?;
    let kept = tmp.keep();
    if fs::rename(&kept, key_dir).is_err() {
        let _ = fs::remove_dir_all(&kept);
    }
    Ok(())
}

/// The cache key of every module: its name, source, the toolchain, and its local imports' keys.
pub fn module_keys(project: &Path, modules: &[Module]) -> Result<BTreeMap<String, String>> {
    let mut keys: BTreeMap<String, String> = BTreeMap::new();
    for m in modules {
        let path = project.join(&m.rel_path);
        let src = fs::read(&path).map_err(|e| Error::io("cannot read", &path, e))?;
        let mut h = Sha256::new();
        h.update(b"torchlean-olean-v1\0");
        h.update(WASM_TOOLCHAIN_ID.as_bytes());
        h.update(b"\0");
        h.update(m.name.as_bytes());
        h.update(b"\0");
        h.update(&src);
        let mut deps: Vec<&String> = m.imports.iter().filter(|i| keys.contains_key(*i)).collect();
        deps.sort();
        for d in deps {
            h.update(b"\0");
            h.update(keys[d.as_str()].as_bytes());
        }
        keys.insert(m.name.clone(), hex::encode(h.finalize()));
    }
    Ok(keys)
}

fn output_files(dir: &Path, stem: &str) -> Vec<PathBuf> {
    let Ok(rd) = fs::read_dir(dir) else { return Vec::new() };
    let prefix = format!("{stem}.");
    let mut v: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let n = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            n.starts_with(&prefix) && !n.ends_with(".lean")
        })
        .collect();
    v.sort();
    v
}

fn copy_outputs(from: &Path, stem: &str, to: &Path) -> Result<()> {
    fs::create_dir_all(to).map_err(|e| Error::io("cannot create", to, e))?;
    for f in output_files(from, stem) {
        let dest = to.join(f.file_name().expect("file"));
        fs::copy(&f, &dest).map_err(|e| Error::io("cannot copy", &f, e))?;
    }
    Ok(())
}

/// The store file that records a module's [`Timing`]: `seconds kernel_seconds` (`-` when absent).
const TIMING_FILE: &str = ".timing";

fn write_timing(dir: &Path, t: Timing) -> Result<()> {
    let kernel = t.kernel_seconds.map_or_else(|| "-".to_string(), |k| k.to_string());
    let path = dir.join(TIMING_FILE);
    fs::write(&path, format!("{} {kernel}\n", t.seconds)).map_err(|e| Error::io("cannot write", &path, e))
}

/// Reads a recorded timing; `None` for entries written before timings were recorded, or unreadable.
fn read_timing(dir: &Path) -> Option<Timing> {
    let text = fs::read_to_string(dir.join(TIMING_FILE)).ok()?;
    let mut words = text.split_whitespace();
    let seconds = words.next()?.parse::<f64>().ok()?;
    let kernel_seconds = match words.next()? {
        "-" => None,
        k => Some(k.parse::<f64>().ok()?),
    };
    Some(Timing { seconds, kernel_seconds })
}

/// Removes what builds that were killed left behind: their run dirs (a copy of the project and its
/// outputs, hundreds of MB for ACAS Xu) and half-filled store entries. Called with the build lock
/// held, so no live build owns any of them; store entries are published by renaming, so only the
/// `.tmp` dirs can be incomplete.
fn remove_stale(runs: &Path, store: &Path) {
    for dir in [runs, store] {
        let Ok(rd) = fs::read_dir(dir) else { continue };
        for e in rd.flatten() {
            let stale = dir == runs || e.file_name().to_string_lossy().starts_with(".tmp");
            if stale && e.path().is_dir() {
                let _ = fs::remove_dir_all(e.path());
            }
        }
    }
}

/// Builds every module with the wasm toolchain, at most `jobs` at once. `on_done` is called as
/// each module finishes (for progress display).
pub fn build_wasm(
    project: &Path,
    modules: &[Module],
    tc: &WasmLean,
    jobs: usize,
    on_wait: &dyn Fn(),
    on_done: &(dyn Fn(&str, &Outcome) + Sync),
) -> Result<BuildReport> {
    let start = Instant::now();
    let keys = module_keys(project, modules)?;
    // One wasm build at a time per work dir: concurrent builds (parallel tests, two shells) would
    // compile the same library modules side by side on two cores; waiting lets them reuse the store.
    fs::create_dir_all(&tc.work).map_err(|e| Error::io("cannot create", &tc.work, e))?;
    let lock_path = tc.work.join("build.lock");
    let lock = fs::OpenOptions::new().create(true).truncate(false).write(true).open(&lock_path).map_err(|e| Error::io("cannot open", &lock_path, e))?;
    if lock.try_lock().is_err() {
        on_wait();
        lock.lock().map_err(|e| Error::io("cannot lock", &lock_path, e))?;
    }
    let store = tc.work.join("oleans");
    fs::create_dir_all(&store).map_err(|e| Error::io("cannot create", &store, e))?;
    let runs = tc.work.join("runs");
    fs::create_dir_all(&runs).map_err(|e| Error::io("cannot create", &runs, e))?;
    remove_stale(&runs, &store);
    let run = tempfile::tempdir_in(&runs).map_err(|e| Error::io("cannot create temp dir in", &runs, e))?;
    for m in modules {
        let dest = run.path().join("src").join(&m.rel_path);
        fs::create_dir_all(dest.parent().expect("has parent")).map_err(|e| Error::io("cannot create", &dest, e))?;
        fs::copy(project.join(&m.rel_path), &dest).map_err(|e| Error::io("cannot copy", &project.join(&m.rel_path), e))?;
    }
    let index: BTreeMap<&str, usize> = modules.iter().enumerate().map(|(i, m)| (m.name.as_str(), i)).collect();
    let deps: Vec<Vec<usize>> = modules.iter().map(|m| m.imports.iter().filter_map(|i| index.get(i.as_str()).copied()).collect()).collect();
    // Start the module with the longest chain of dependents first: on two cores the critical path,
    // not the module count, sets the wall-clock time.
    let mut height = vec![0usize; modules.len()];
    for i in (0..modules.len()).rev() {
        for &d in &deps[i] {
            height[d] = height[d].max(height[i] + 1);
        }
    }
    let mut by_priority: Vec<usize> = (0..modules.len()).collect();
    by_priority.sort_by_key(|&i| (std::cmp::Reverse(height[i]), i));
    #[derive(Clone)]
    enum State {
        Waiting,
        Running,
        Done(Outcome),
    }
    let mut state = vec![State::Waiting; modules.len()];
    let mut retried = vec![false; modules.len()];
    let out_dir = |m: &Module| run.path().join("out").join(m.rel_path.parent().unwrap_or(Path::new("")));
    let stem = |m: &Module| m.rel_path.file_stem().expect("stem").to_string_lossy().into_owned();
    let mut builders: Vec<Builder> = Vec::new();
    let mut singles: Vec<Single> = Vec::new();
    let large: Vec<bool> = modules
        .iter()
        .map(|m| fs::metadata(project.join(&m.rel_path)).map_or(false, |md| md.len() >= LARGE_MODULE_BYTES))
        .collect();
    let (mut spawned, mut single_starts, mut startup) = (0usize, 0usize, 0.0f64);
    let result = (|| -> Result<()> {
        loop {
            // Settle cache hits and skips at once and hand ready modules to idle builders (starting
            // up to `jobs`); repeat until nothing changes, then wait for a builder.
            let mut progressed = true;
            while progressed {
                progressed = false;
                for &i in &by_priority {
                    if !matches!(state[i], State::Waiting) {
                        continue;
                    }
                    if deps[i].iter().any(|&d| !matches!(state[d], State::Done(_))) {
                        continue;
                    }
                    let m = &modules[i];
                    let failed_dep = deps[i].iter().find(|&&d| !matches!(&state[d], State::Done(o) if o.ok()));
                    let cached = store.join(&keys[&m.name]);
                    let settled = if let Some(&d) = failed_dep {
                        Outcome::Skipped(modules[d].name.clone())
                    } else if cached.join(".complete").is_file() {
                        copy_outputs(&cached, &stem(m), &out_dir(m))?;
                        Outcome::Cached(read_timing(&cached))
                    } else if large[i] {
                        if builders.iter().filter(|b| !b.idle()).count() + singles.len() >= jobs {
                            continue;
                        }
                        singles.push(Single::spawn(tc, run.path(), i, m)?);
                        single_starts += 1;
                        state[i] = State::Running;
                        progressed = true;
                        continue;
                    } else {
                        let busy = builders.iter().filter(|b| !b.idle()).count() + singles.len();
                        let slot = match builders.iter().position(Builder::idle) {
                            Some(k) => k,
                            None if builders.len() < jobs && busy < jobs => {
                                builders.push(Builder::spawn(tc, run.path(), spawned)?);
                                spawned += 1;
                                builders.len() - 1
                            }
                            None => continue,
                        };
                        builders[slot].assign(i, m, run.path())?;
                        state[i] = State::Running;
                        progressed = true;
                        continue;
                    };
                    on_done(&m.name, &settled);
                    state[i] = State::Done(settled);
                    progressed = true;
                }
            }
            if !state.iter().any(|s| matches!(s, State::Running)) {
                return Ok(());
            }
            // Idle builders hold 2–3 GB each; once only large modules are left, none will be used.
            if (0..modules.len()).all(|i| large[i] || !matches!(state[i], State::Waiting)) {
                startup += extract_idle(&mut builders).into_iter().map(Builder::stop).sum::<f64>();
            }
            std::thread::sleep(POLL);
            let mut k = 0;
            while k < singles.len() {
                if let Some((i, o)) = singles[k].poll()? {
                    singles.remove(k);
                    let m = &modules[i];
                    if o.ok() {
                        publish(&store.join(&keys[&m.name]), &store, &out_dir(m), &stem(m), &m.name, o.timing())?;
                    }
                    on_done(&m.name, &o);
                    state[i] = State::Done(o);
                    continue;
                }
                k += 1;
            }
            let mut k = 0;
            while k < builders.len() {
                match builders[k].poll()? {
                    Poll::Working => {}
                    Poll::Done(i, o) => {
                        let m = &modules[i];
                        if o.ok() {
                            publish(&store.join(&keys[&m.name]), &store, &out_dir(m), &stem(m), &m.name, o.timing())?;
                        }
                        on_done(&m.name, &o);
                        state[i] = State::Done(o);
                    }
                    Poll::Died { module, failure, had_built } => {
                        startup += builders.remove(k).stop();
                        // Memory left by the modules it compiled before may have ended it: give the
                        // module one fresh process before calling it failed.
                        if had_built && !retried[module] {
                            retried[module] = true;
                            state[module] = State::Waiting;
                        } else {
                            on_done(&modules[module].name, &failure);
                            state[module] = State::Done(failure);
                        }
                        continue;
                    }
                    Poll::Gone => {
                        startup += builders.remove(k).stop();
                        continue;
                    }
                }
                if builders[k].idle() && builders[k].worn() {
                    startup += builders.remove(k).stop();
                    continue;
                }
                k += 1;
            }
        }
    })();
    startup += builders.into_iter().map(Builder::stop).sum::<f64>();
    for s in singles {
        s.stop();
    }
    result?;
    let modules = modules
        .iter()
        .zip(state)
        .map(|(m, s)| match s {
            State::Done(o) => (m.name.clone(), o),
            _ => (m.name.clone(), Outcome::Skipped(String::from("(not reached)"))),
        })
        .collect();
    Ok(BuildReport { modules, seconds: start.elapsed().as_secs_f64(), processes: spawned + single_starts, startup_seconds: startup })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recorded_timing_reads_back_and_old_entries_have_none() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read_timing(dir.path()), None);
        let t = Timing { seconds: 131.625, kernel_seconds: Some(97.5) };
        write_timing(dir.path(), t).unwrap();
        assert_eq!(fs::read_to_string(dir.path().join(TIMING_FILE)).unwrap(), "131.625 97.5\n");
        assert_eq!(read_timing(dir.path()), Some(t));
        write_timing(dir.path(), Timing { seconds: 230.0, kernel_seconds: None }).unwrap();
        assert_eq!(read_timing(dir.path()), Some(Timing { seconds: 230.0, kernel_seconds: None }));
        fs::write(dir.path().join(TIMING_FILE), "12 x\n").unwrap();
        assert_eq!(read_timing(dir.path()), None);
    }

    #[test]
    fn stale_run_dirs_and_half_written_store_entries_are_removed() {
        let work = tempfile::tempdir().unwrap();
        let (runs, store) = (work.path().join("runs"), work.path().join("oleans"));
        for d in [runs.join(".tmpA1/src"), store.join(".tmpB2"), store.join("ab12")] {
            fs::create_dir_all(&d).unwrap();
        }
        fs::write(store.join("ab12/.complete"), "M").unwrap();
        remove_stale(&runs, &store);
        let names = |d: &Path| {
            let mut v: Vec<String> = fs::read_dir(d).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
            v.sort();
            v
        };
        assert_eq!((names(&runs), names(&store)), (vec![], vec!["ab12".to_string()]));
    }

    /// A stand-in for `node lean.js`: as a builder it serves job files, dying on any module whose
    /// name contains `Dies` and failing (with a diagnostic) `Bad`; as a single it writes the olean.
    /// Every start appends a line to `starts` in the work dir.
    const FAKE_NODE: &str = r#"#!/bin/bash
work="$(dirname "$0")"
shift 2
if [ "$1" = "--run" ]; then
  echo builder >> "$work/starts"
  dir="$3"; : > "$dir/ready"; k=0
  while true; do
    while [ ! -f "$dir/$k.job" ]; do sleep 0.01; done
    IFS=$'	' read -r name rel olean < "$dir/$k.job"
    [ -z "$name" ] && exit 0
    case "$name" in
      *Dies*) exit 3 ;;
      *Bad*) echo "$rel:1:0: error: unknown identifier" > "$dir/$k.out"; echo "failed 5" > "$dir/$k.t" ;;
      *) : > "$olean"; echo "type checking took 2ms" > "$dir/$k.out"; echo "ok 7" > "$dir/$k.t" ;;
    esac
    mv "$dir/$k.t" "$dir/$k.done"; k=$((k+1))
  done
else
  echo "single $2" >> "$work/starts"
  : > "$4"
fi
"#;

    fn fake_build(files: &[(&str, &str)], jobs: usize) -> (Vec<(String, String)>, String) {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let (project, work) = (d.path().join("lean"), d.path().join("work"));
        for (rel, src) in files {
            let p = project.join(rel);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, src).unwrap();
        }
        fs::create_dir_all(&work).unwrap();
        let node = work.join("node");
        fs::write(&node, FAKE_NODE).unwrap();
        fs::set_permissions(&node, fs::Permissions::from_mode(0o755)).unwrap();
        let tc = WasmLean { node, lean_js: work.join("lean.js"), lib: work.join("lib"), work: work.clone() };
        let modules = super::super::imports::project_modules(&project, &["T"]).unwrap();
        let report = build_wasm(&project, &modules, &tc, jobs, &|| {}, &|_, _| {}).unwrap();
        let shown: Vec<(String, String)> = report
            .modules
            .iter()
            .map(|(n, o)| {
                let what = match o {
                    Outcome::Built(t) => format!("built {:?}", t.map(|t| (t.seconds, t.kernel_seconds))),
                    Outcome::Cached(_) => "cached".into(),
                    Outcome::Failed(d) => format!("failed: {}", d.lines().next().unwrap_or("")),
                    Outcome::Skipped(d) => format!("skipped: {d}"),
                };
                (n.clone(), what)
            })
            .collect();
        let mut starts: Vec<String> = fs::read_to_string(work.join("starts")).unwrap_or_default().lines().map(String::from).collect();
        starts.sort();
        (shown, starts.join(","))
    }

    #[test]
    fn builders_compile_small_modules_singles_large_ones_and_a_death_is_retried_once() {
        let big = format!("module\npublic import T.A\n-- {}\n", "x".repeat(super::super::builder::LARGE_MODULE_BYTES as usize));
        let files = [
            ("T/A.lean", "module\n".to_string()),
            ("T/Big.lean", big),
            ("T/Bad.lean", "module\npublic import T.A\n".to_string()),
            ("T/AfterBad.lean", "module\npublic import T.Bad\n".to_string()),
            ("T/Dies.lean", "module\npublic import T.A\n".to_string()),
            ("T.lean", "module\npublic import T.Big\npublic import T.AfterBad\npublic import T.Dies\n".to_string()),
        ];
        let files: Vec<(&str, &str)> = files.iter().map(|(r, s)| (*r, s.as_str())).collect();
        let (shown, starts) = fake_build(&files, 1);
        let get = |n: &str| shown.iter().find(|(m, _)| m == n).map(|(_, w)| w.clone()).unwrap();
        assert_eq!(get("T.A"), "built Some((0.007, Some(0.002)))");
        assert!(get("T.Big").starts_with("built Some(("), "{}", get("T.Big"));
        assert_eq!(get("T.Bad"), "failed: lean/T/Bad.lean:1:0: error: unknown identifier");
        assert_eq!(get("T.AfterBad"), "skipped: T.Bad");
        assert!(get("T.Dies").starts_with("failed: lean exited with exit status: 3 and no diagnostics"), "{}", get("T.Dies"));
        assert_eq!(get("T"), "skipped: T.AfterBad");
        // One builder for A, Bad and the first try of Dies; a fresh one for its retry; one single.
        assert_eq!(starts, "builder,builder,single T/Big.lean");
    }
}
