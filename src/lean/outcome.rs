//! What became of one module's compilation, and what Lean's output says about it: shared by the
//! build driver and the processes that compile (`builder.rs`).

/// How long one module took to compile, measured when it was compiled.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timing {
    pub seconds: f64,
    /// The kernel's type-checking time as Lean's profiler reported it, when the module turns the
    /// profiler on.
    pub kernel_seconds: Option<f64>,
}

/// What happened to one module.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Compiled now; the timing where the toolchain measures modules one by one (the wasm driver
    /// does, `lake build` does not).
    Built(Option<Timing>),
    /// Reused from the store: source and dependencies unchanged. The timing is the one recorded
    /// when the module was compiled, so a certificate's cost stays known across runs.
    Cached(Option<Timing>),
    /// Lean reported errors (the diagnostics, with paths relative to the project's parent).
    Failed(String),
    /// Not attempted because a dependency failed.
    Skipped(String),
}

impl Outcome {
    pub fn ok(&self) -> bool {
        matches!(self, Outcome::Built(..) | Outcome::Cached(..))
    }

    /// The compile timing, measured now or recorded in the store.
    pub fn timing(&self) -> Option<Timing> {
        match self {
            Outcome::Built(t) | Outcome::Cached(t) => *t,
            _ => None,
        }
    }
}

/// Keeps Lean's diagnostics and drops the wasm build's debug chatter and its echo of the input.
pub fn diagnostics(output: &str, rel_path: &str, shown_path: &str) -> String {
    let mut keep = Vec::new();
    let mut started = false;
    for line in output.lines() {
        if line.starts_with("[DEBUG") {
            continue;
        }
        if line.starts_with(&format!("{rel_path}:")) {
            started = true;
        }
        if started {
            keep.push(line.replacen(rel_path, shown_path, 1));
        }
    }
    keep.join("\n")
}

/// Seconds of kernel type checking that Lean's profiler (`set_option profiler true`) reported, summed
/// over declarations; `None` when the output has no such report. Each checked declaration prints
/// one `type checking took 8.97s` (or `631ms`) line; the indented cumulative summary is not counted
/// again.
pub fn profiled_type_checking(output: &str) -> Option<f64> {
    let mut total = None;
    for line in output.lines() {
        let Some(amount) = line.strip_prefix("type checking took ") else { continue };
        let secs = if let Some(ms) = amount.strip_suffix("ms") {
            ms.parse::<f64>().ok().map(|v| v / 1000.0)
        } else {
            amount.strip_suffix('s').and_then(|v| v.parse::<f64>().ok())
        };
        if let Some(v) = secs {
            total = Some(total.unwrap_or(0.0) + v);
        }
    }
    total
}

/// Says what a Lean run that ended without diagnostics most likely ran into. The wasm toolchain
/// reports running out of memory only indirectly: the host's OOM killer ends node with SIGKILL,
/// and a wasm32 heap that runs out crashes lean.wasm's worker thread.
pub fn crash_hint(status: &std::process::ExitStatus, output: &str) -> Option<&'static str> {
    use std::os::unix::process::ExitStatusExt;
    if status.signal() == Some(9) {
        Some("node was killed by SIGKILL, which on Linux is what the kernel's out-of-memory killer sends (see `dmesg`): free memory or build with fewer --jobs")
    } else if output.contains("worker sent an error") {
        Some("lean.wasm's worker crashed without a Lean diagnostic, which on this toolchain has meant its wasm32 heap ran out: a declaration whose kernel check is too large (split it), or too little host memory")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diagnostics_drop_debug_lines_and_rename_paths() {
        let out = "[DEBUG:A] x\nCertificates/D.lean\nmodule\nCertificates/D.lean:4:33: error: Tactic `decide` failed\n  f 2 = 14 / 3\n[DEBUG:N] done\n";
        assert_eq!(
            diagnostics(out, "Certificates/D.lean", "lean/Certificates/D.lean"),
            "lean/Certificates/D.lean:4:33: error: Tactic `decide` failed\n  f 2 = 14 / 3"
        );
    }

    #[test]
    fn a_crash_without_diagnostics_is_named_as_memory() {
        use std::os::unix::process::ExitStatusExt;
        let killed = std::process::ExitStatus::from_raw(9);
        assert!(crash_hint(&killed, "").unwrap().starts_with("node was killed by SIGKILL"));
        let exited = std::process::ExitStatus::from_raw(1 << 8);
        assert!(crash_hint(&exited, "Error: worker sent an error! undefined").unwrap().starts_with("lean.wasm's worker crashed"));
        assert_eq!(crash_hint(&exited, "some other failure"), None);
    }

    #[test]
    fn profiled_type_checking_sums_declarations_not_the_summary() {
        let out = "  mainModule? = true\ntype checking took 8.97s\ntype checking took 631ms\ncumulative profiling times:\n\ttype checking 9.6s\n";
        assert_eq!(profiled_type_checking(out), Some(8.97 + 0.631));
        assert_eq!(profiled_type_checking("[DEBUG:N] done\nelaboration took 12ms\n"), None);
    }
}
