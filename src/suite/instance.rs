//! One benchmark instance (a network file, a property file, a time limit) decided end to end:
//! what `vnncomp run_instance` and each row of `suite` do.
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::artifact::Kind;
use crate::artifact::source::Source;
use crate::certify::{Semantics, VerifyOptions, decide, overall};
use crate::error::{Error, ErrorKind, Result};
use crate::json::canonical::sha256_ref;
use crate::num::Q;
use crate::num::binary32::F32;
use crate::search::bab::{Options, Outcome};

/// The verdict of an instance, in torchlean's words (`vnncomp` maps them to the competition's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Verified,
    Violated,
    Unknown,
    Timeout,
    Error,
}

impl Verdict {
    pub const ALL: [Verdict; 5] = [Verdict::Verified, Verdict::Violated, Verdict::Unknown, Verdict::Timeout, Verdict::Error];

    pub fn word(self) -> &'static str {
        match self {
            Verdict::Verified => "verified",
            Verdict::Violated => "violated",
            Verdict::Unknown => "unknown",
            Verdict::Timeout => "timeout",
            Verdict::Error => "error",
        }
    }

    pub fn from_word(w: &str) -> Option<Verdict> {
        Verdict::ALL.into_iter().find(|v| v.word() == w)
    }

    /// The first line of a VNN-COMP results file.
    pub fn vnncomp(self) -> &'static str {
        match self {
            Verdict::Verified => "unsat",
            Verdict::Violated => "sat",
            Verdict::Unknown => "unknown",
            Verdict::Timeout => "timeout",
            Verdict::Error => "error",
        }
    }
}

/// What deciding an instance gave.
#[derive(Debug, Clone)]
pub struct InstanceOutcome {
    pub verdict: Verdict,
    /// One line: the reason for unknown, timeout or error, else the certificate's size.
    pub detail: String,
    /// Wall seconds from reading the files to the last artifact written.
    pub seconds: f64,
    /// The counterexample: its binary32 input and its exact output.
    pub counterexample: Option<(Vec<F32>, Vec<Q>)>,
    /// Each region's certificate directory and the SHA-256 of its `manifest.json`.
    pub manifests: Vec<(PathBuf, String)>,
}

/// How to decide an instance.
#[derive(Debug, Clone)]
pub struct InstanceOptions {
    /// The search's options; `deadline` is set per instance from its time limit.
    pub search: Options,
    pub packed_boxes: Option<usize>,
    pub lean_dir: PathBuf,
}

/// Decides `property` on `model` (any file `verify` reads: `.onnx`, `.nnet`, payload) within
/// `timeout`, writing certificates or the counterexample under `out`. Bad input is an `error`
/// outcome (with the message), not an `Err`: a suite goes on. The deadline covers everything,
/// certificate writing included; a run past it is `timeout`.
pub fn run_instance(model: &Path, property: &Path, timeout: Duration, out: &Path, opts: &InstanceOptions) -> InstanceOutcome {
    let start = Instant::now();
    let deadline = start.checked_add(timeout);
    let error = |e: Error| {
        let verdict = if *e.kind() == ErrorKind::Timeout { Verdict::Timeout } else { Verdict::Error };
        InstanceOutcome { verdict, detail: e.to_string(), seconds: start.elapsed().as_secs_f64(), counterexample: None, manifests: Vec::new() }
    };
    let read = || -> Result<_> {
        let m = crate::artifact::payload::read_model_file(model)?;
        let regions = crate::artifact::property::read_file_regions(property)?;
        Ok((m, regions))
    };
    let (m, regions) = match read() {
        Ok(x) => x,
        Err(e) => return error(e),
    };
    let vopts = VerifyOptions {
        search: Options { deadline, ..opts.search.clone() },
        packed_boxes: opts.packed_boxes,
        lean_dir: opts.lean_dir.clone(),
        sources: match (Source::of_file(model), Source::of_file(property)) {
            (Ok(a), Ok(b)) => vec![(Kind::Payload, a), (Kind::Property, b)],
            (Err(e), _) | (_, Err(e)) => return error(e),
        },
        // VNN-COMP's verdicts are of the exact semantics (its harness replays a `sat` point with
        // onnxruntime); `verify --semantics` reports the binary32 execution.
        semantics: Semantics::Real,
    };
    let runs = match decide(&m, &regions, out, &vopts, |_, _| {}) {
        Ok(r) => r,
        Err(e) => return error(e),
    };
    let (word, _) = overall(&runs, regions.len(), Semantics::Real);
    let mut verdict = Verdict::from_word(word).expect("overall says verified, violated or unknown");
    let past = deadline.is_some_and(|d| Instant::now() >= d);
    if verdict == Verdict::Unknown && past {
        verdict = Verdict::Timeout;
    }
    let mut manifests = Vec::new();
    for (dir, v) in &runs {
        if let Some(w) = v.written.iter().find(|w| w.kind == "manifest") {
            manifests.push((dir.clone(), w.sha256.clone()));
        }
    }
    let counterexample = runs.iter().find_map(|(_, v)| match &v.outcome {
        Outcome::Violated { cex, .. } => Some((cex.input.clone(), cex.exact_output.clone())),
        _ => None,
    });
    let detail = match runs.last().map(|(_, v)| &v.outcome) {
        Some(Outcome::Unknown { reason, .. }) => reason.clone(),
        Some(Outcome::Violated { cex, .. }) => format!("disjunct {} reached exactly; binary32 {}", cex.disjunct, if cex.f32_violates { "too" } else { "not" }),
        _ => {
            let leaves: usize = runs.iter().map(|(_, v)| match &v.outcome {
                Outcome::Verified { tree, .. } => tree.leaves(),
                _ => 0,
            }).sum();
            format!("{leaves} leaves in {} region(s)", runs.len())
        }
    };
    InstanceOutcome { verdict, detail, seconds: start.elapsed().as_secs_f64(), counterexample, manifests }
}

/// The binary64 nearest `q` (exact for binary32 inputs), written so Python's `float()` reads it back exactly (Rust's
/// shortest round-trip form).
fn f64_text(q: &Q) -> String {
    let f = num_traits::ToPrimitive::to_f64(q).unwrap_or(f64::NAN);
    format!("{f:?}")
}

/// A VNN-COMP results file: the verdict's line, and for `sat` the counterexample as
/// `((X_0 v)\n(X_1 v)\n…(Y_0 v)\n…)`: every input (binary32 values, exactly) and every output (the
/// exact output, to the nearest binary64), one pair a line, one space inside.
pub fn vnncomp_results(o: &InstanceOutcome) -> String {
    let mut s = format!("{}\n", o.verdict.vnncomp());
    if let (Verdict::Violated, Some((x, y))) = (o.verdict, &o.counterexample) {
        let mut pairs: Vec<String> = x.iter().enumerate().map(|(i, v)| format!("(X_{i} {})", f64_text(&v.to_rational().expect("finite input")))).collect();
        pairs.extend(y.iter().enumerate().map(|(j, v)| format!("(Y_{j} {})", f64_text(v))));
        s.push('(');
        s.push_str(&pairs.join("\n"));
        s.push_str(")\n");
    }
    s
}

/// The SHA-256 reference of a file's bytes.
pub fn file_sha(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|e| Error::io("cannot read", path, e))?;
    Ok(sha256_ref(&bytes))
}
