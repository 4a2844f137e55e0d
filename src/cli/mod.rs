//! The command line: parse (clap), validate, run a library function, print a short table or
//! `--json`, and map errors to the documented exit codes.
pub mod audit;
pub mod bounds;
pub mod codegen;
pub mod eval;
pub mod export;
pub mod import;
pub mod f32;
mod progress;
pub mod property;
pub mod suite;
pub mod verify;
pub mod vnncomp;

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use serde_json::json;

use crate::num::interval::parse_box;
use crate::certify::{box_display, certify_dense_ibp};
use crate::error::{Error, Result};
use crate::lean::check::{CertResult, CheckReport, Scope};
use crate::lean::outcome::Outcome;
use crate::lean::toolchain::Preference;

const EXIT_CODES: &str = "Exit codes: 0 success (verified / all certificates checked), 10 violated, 11 verified exactly \
but violated by the declared-order binary32 execution (verify --semantics both), 20 unknown, \
2 bad input, 1 a check failed (Lean rejected a certificate, a hash or reference does not match) or an \
internal/I-O error (the message says which), 4 the Lean toolchain could not be installed or run.";

#[derive(Parser, Debug)]
#[command(name = "torchlean", version, about = "Exact, Lean-checked facts about small neural networks", after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// End-to-end demo: a 2-3-1 ReLU MLP, its exact IBP output box, canonical artifacts with
    /// SHA-256, a generated Lean module, and `check` on it.
    Demo(DemoArgs),
    /// Build the Lean project and report, per certificate module, pass/fail and axioms.
    Check(CheckArgs),
    /// Bit-exact binary32 arithmetic for debugging numerics (`torchlean f32 add rne 0x3f800000 1/3`).
    F32(f32::F32Args),
    /// Re-read certificate artifacts and check canonical bytes, kinds, hashes, manifest, references
    /// and (with --lean-dir) the generated Lean module.
    Audit(audit::AuditArgs),
    /// Write a PyTorch package (model.py, torchlean_io.py, train.py, README.md) for a model family.
    Export(export::ExportArgs),
    /// Check a payload JSON strictly (family, names, order, shapes, counts, binary32 values) and
    /// write its canonical payload, IR graph and manifest.
    Import(import::ImportArgs),
    /// Print a runnable PyTorch module for a built-in architecture, generated from the IR.
    CodegenPytorch(codegen::CodegenArgs),
    /// Evaluate a payload's network at one input, exactly and in declared-order binary32.
    Eval(eval::EvalArgs),
    /// Sound output bounds (IBP or CROWN, exact rationals) of a network (`.nnet`, ONNX, payload) over
    /// an input box or a VNN-LIB property's box, with each property row's bounds and the wall time.
    Bounds(bounds::BoundsArgs),
    /// Write a property artifact (L∞ robustness or an output box) for `verify --property`.
    Property(property::PropertyArgs),
    /// Decide a property of a chain network (linear, conv2d, avgpool2d, maxpool2d; relu, identity, or tanh,
    /// sigmoid, gelu through their enclosures) by IBP, CROWN or branch and bound: exit 0 verified
    /// (certificate and its Lean module), 10 violated (replayed counterexample), 11 verified exactly
    /// but violated in binary32 (both written), 20 unknown.
    Verify(verify::VerifyArgs),
    /// Re-check a `verify` result in Rust without searching: re-bound every leaf of the
    /// certificate tree, or replay the counterexample exactly and in binary32.
    CheckCert(verify::CheckCertArgs),
    /// Decide every instance of a VNN-COMP instances file, resumably, in shards if asked, and
    /// write one suite manifest referencing every instance's artifacts by hash.
    Suite(suite::SuiteArgs),
    /// VNN-COMP's tool interface: `prepare_instance` and `run_instance` with the competition's
    /// arguments; writes the results file in the competition's format.
    Vnncomp(vnncomp::VnncompArgs),
}

#[derive(clap::Args, Debug)]
pub struct DemoArgs {
    /// Input box as `lo:hi,lo:hi` with exact numbers.
    #[arg(long, default_value = "-1/2:1,0:1", allow_hyphen_values = true)]
    pub input_box: String,
    /// Where certificate directories go.
    #[arg(long, default_value = "certificates")]
    pub out_dir: PathBuf,
    /// The Lean project (generated modules go to `<lean-dir>/Certificates/`).
    #[arg(long, default_value = "lean")]
    pub lean_dir: PathBuf,
    /// Only write the artifacts and the Lean module; do not run Lean.
    #[arg(long)]
    pub no_check: bool,
    #[command(flatten)]
    pub lean: LeanOpts,
}

#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// The Lean project to build.
    #[arg(long, default_value = "lean")]
    pub lean_dir: PathBuf,
    /// Where the certificates' artifact directories are (`<dir>/<name>/`): each module's statement is
    /// pinned from its artifacts, and a module without them fails. Default: `certificates/` beside
    /// the Lean project.
    #[arg(long)]
    pub certificates: Option<PathBuf>,
    /// Check only this certificate module (`Certificates.<M>` or `<M>`; repeatable): Lean builds
    /// just what it imports and its pin.
    #[arg(long = "module", value_name = "M")]
    pub modules: Vec<String>,
    /// Build every module of the Lean library too, not only what the certificates import (and
    /// their pins). A project without certificates is always built whole.
    #[arg(long, conflicts_with = "modules")]
    pub all: bool,
    #[command(flatten)]
    pub lean: LeanOpts,
}

#[derive(clap::Args, Debug, Clone)]
pub struct LeanOpts {
    /// Which Lean to use: `lake` on PATH, the npm wasm build (installed into $TORCHLEAN_CACHE,
    /// default ~/.cache/torchlean), or auto (lake if present).
    #[arg(long, value_enum, default_value_t = Preference::Auto)]
    pub toolchain: Preference,
    /// Parallel Lean processes (wasm toolchain); default: available cores.
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Machine-readable output on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Runs the CLI and returns the exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            e.kind().exit_code()
        }
    }
}

fn jobs(opts: &LeanOpts) -> usize {
    opts.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())).max(1)
}

fn run(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::F32(args) => {
            println!("{}", f32::run(&args)?);
            Ok(0)
        }
        Command::Check(args) => {
            let only: Vec<String> = args.modules.iter().map(|m| if m.starts_with("Certificates.") { m.clone() } else { format!("Certificates.{m}") }).collect();
            let scope = match (args.all, only.is_empty()) {
                (true, _) => Scope::All,
                (false, true) => Scope::Certificates,
                (false, false) => Scope::Modules(&only),
            };
            let report = run_check(&args.lean_dir, args.certificates.as_deref(), scope, &args.lean)?;
            print_check(&report, args.lean.json);
            Ok(if report.ok() { 0 } else { Error::check_failed("").kind().exit_code() })
        }
        Command::Demo(args) => demo(&args),
        Command::Audit(args) => audit::run(&args),
        Command::Export(args) => export::run(&args),
        Command::Import(args) => import::run(&args),
        Command::CodegenPytorch(args) => codegen::run(&args),
        Command::Eval(args) => eval::run(&args),
        Command::Bounds(args) => bounds::run(&args),
        Command::Property(args) => property::run(&args),
        Command::Verify(args) => verify::run(&args),
        Command::CheckCert(args) => verify::check_cert(&args),
        Command::Suite(args) => suite::run(&args),
        Command::Vnncomp(args) => vnncomp::run(&args),
    }
}

pub(crate) fn run_check(lean_dir: &std::path::Path, certs: Option<&std::path::Path>, scope: Scope<'_>, opts: &LeanOpts) -> Result<CheckReport> {
    let certs = certs.map_or_else(|| lean_dir.parent().unwrap_or(std::path::Path::new(".")).join("certificates"), |c| c.to_path_buf());
    let p = progress::Progress::new(std::io::stderr().is_terminal() && !opts.json);
    let r = crate::lean::check::check_only(lean_dir, &certs, scope, opts.toolchain, jobs(opts), &|m| p.message(m));
    p.finish();
    let mut r = r?;
    check_bindings(lean_dir, &certs, &mut r);
    Ok(r)
}

/// The weak binding, as part of `check` (strong modules too): a module that states its certificate's hash must be the
/// module re-derived from the artifact directory `<lean-dir>/../certificates/<name>/` whose files
/// have those hashes (`audit --lean-dir`). A broken binding fails the module like a Lean rejection.
fn check_bindings(lean_dir: &std::path::Path, certs: &std::path::Path, r: &mut CheckReport) {
    // Certificate directories, and one level down the regions of a property over several boxes.
    let list = |d: &std::path::Path| -> Vec<std::path::PathBuf> {
        std::fs::read_dir(d).map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.is_dir()).collect()).unwrap_or_default()
    };
    let dirs: Vec<std::path::PathBuf> = list(certs)
        .into_iter()
        .flat_map(|d| if d.join("manifest.json").is_file() { vec![d] } else { list(&d) })
        .filter(|p| p.join("manifest.json").is_file())
        .collect();
    for c in r.certificates.iter_mut().filter(|c| c.binding.starts_with("weak") || c.binding.starts_with("strong")) {
        let short = c.module.trim_start_matches("Certificates.");
        let dir = dirs.iter().find(|d| {
            d.file_name().and_then(|n| n.to_str()).is_some_and(|n| crate::lean::emit::module_name(n) == short)
        });
        let Some(dir) = dir else {
            c.binding = format!("unchecked (no {}/<name>/ for it)", certs.display());
            continue;
        };
        let problems: Vec<String> = match crate::audit::audit(dir, Some(lean_dir)) {
            Ok(a) => a.rows.iter().flat_map(|row| row.problems.iter().map(move |p| format!("{}: {}", row.file.display(), p.message))).collect(),
            Err(e) => vec![e.to_string()],
        };
        if problems.is_empty() {
            c.binding = c.binding.replace("audit re-derives", "re-derived: equal");
        } else {
            c.binding = String::from("BROKEN (see below)");
            if c.passed {
                c.passed = false;
                c.detail = format!("artifact binding broken ({}):\n{}", dir.display(), problems.join("\n"));
            } else {
                c.detail = format!("{}\nartifact binding broken ({}):\n{}", c.detail, dir.display(), problems.join("\n"));
            }
        }
    }
}

fn demo(args: &DemoArgs) -> Result<i32> {
    let input = parse_box(&args.input_box).map_err(|e| e.context("--input-box"))?;
    let graph = crate::model::lower(&crate::model::Model::demo())?;
    let c = certify_dense_ibp("demo-mlp", &graph, &input, None, &args.out_dir, &args.lean_dir)?;
    if !args.lean.json {
        println!("model        mlp 2-3-1 relu (hard-coded, binary32 weights)");
        println!("input box    {}", box_display(&input));
        println!("output box   {}  (exact IBP)", box_display(&c.output_box));
        for w in [&c.payload, &c.property, &c.certificate, &c.manifest] {
            println!("{:<12} {}  {}", w.kind, w.sha256, w.path.display());
        }
        println!("lean module  {}  {}", c.lean_module, c.lean_path.display());
    }
    let report = if args.no_check { None } else { Some(run_check(&args.lean_dir, Some(&args.out_dir), Scope::Certificates, &args.lean)?) };
    if args.lean.json {
        let artifacts: Vec<serde_json::Value> = [&c.payload, &c.property, &c.certificate, &c.manifest]
            .iter()
            .map(|w| json!({"kind": w.kind, "path": w.path, "sha256": w.sha256}))
            .collect();
        let output_box: Vec<[String; 2]> = c.output_box.iter().map(|i| i.to_strings()).collect();
        let v = json!({
            "output_box": output_box,
            "artifacts": artifacts,
            "lean_module": c.lean_module,
            "check": report.as_ref().map(check_json),
        });
        println!("{v}");
    } else if let Some(r) = &report {
        print_check(r, false);
    }
    Ok(match report {
        Some(r) if !r.ok() => Error::check_failed("").kind().exit_code(),
        _ => 0,
    })
}

fn outcome_word(o: &Outcome) -> String {
    match o {
        Outcome::Built(Some(t)) => format!("built {:.1}s", t.seconds),
        Outcome::Built(None) => "built".into(),
        Outcome::Cached(_) => "cached".into(),
        Outcome::Failed(_) => "FAILED".into(),
        Outcome::Skipped(d) => format!("skipped: {d} failed"),
    }
}

fn check_json(r: &CheckReport) -> serde_json::Value {
    json!({
        "ok": r.ok(),
        "toolchain": r.toolchain,
        "seconds": r.seconds,
        "library_ok": r.library_ok,
        "library_detail": r.library_detail,
        "modules": r.modules.iter().map(|(n, o)| json!({
            "module": n, "status": outcome_word(o),
            "seconds": o.timing().map(|t| t.seconds), "kernel_seconds": o.timing().and_then(|t| t.kernel_seconds),
        })).collect::<Vec<_>>(),
        "certificates": r.certificates.iter().map(|c| json!({
            "module": c.module, "passed": c.passed, "detail": c.detail, "axioms": c.axioms,
            "parts": c.parts, "theorems": c.theorems, "kernel_decisions": c.kernel_decisions,
            "seconds": c.seconds, "untimed_modules": c.untimed, "kernel_seconds": c.kernel_seconds, "binding": c.binding,
            "pin": c.pin,
        })).collect::<Vec<_>>(),
        "networks": r.networks.iter().map(|n| serde_json::json!({
            "module": n.module, "passed": n.passed, "seconds": n.seconds,
        })).collect::<Vec<_>>(),
        "axiom_note": r.axiom_note,
    })
}

/// The `check` table's column layout, shared by the header and the rows so they cannot drift.
macro_rules! check_line {
    ($($column:expr),* $(,)?) => {
        format!("{:<24} {:<5} {:<10} {:>5} {:>8} {:>6} {:>9} {:<62} {}", $($column),*)
    };
}

fn check_header() -> String {
    check_line!(
        "certificate module", "lean", "statement", "parts", "theorems", "decide", "lean time", "binding", "axioms"
    )
}

/// One certificate's line of the `check` table.
fn check_row(c: &CertResult) -> String {
    let axioms = match &c.axioms {
        Some(a) if a.is_empty() => "none".to_string(),
        Some(a) => a.join(", "),
        None if c.passed => "not reported (see note)".to_string(),
        None => "-".to_string(),
    };
    // The summed compile time of its modules; `+` when some module's time is unknown.
    let time = match (c.seconds, c.untimed) {
        (Some(s), 0) => format!("{s:.0} s"),
        (Some(s), _) => format!("{s:.0} s+"),
        (None, _) => "-".to_string(),
    };
    check_line!(
        c.module,
        if c.passed { "pass" } else { "FAIL" },
        c.pin.split(':').next().unwrap_or(""),
        c.parts,
        c.theorems,
        c.kernel_decisions,
        time,
        c.binding,
        axioms
    )
}

pub(crate) fn print_check(r: &CheckReport, as_json: bool) {
    if as_json {
        println!("{}", check_json(r));
        return;
    }
    if !r.library_ok {
        eprintln!("TorchLean library failed to build:\n{}", r.library_detail);
    }
    println!("\n{}", check_header());
    for c in &r.certificates {
        println!("{}", check_row(c));
        if !c.passed {
            let by = if c.detail.starts_with("artifact binding broken") {
                "its artifacts"
            } else if c.detail.starts_with("statement not pinned") || c.detail.starts_with("axioms") {
                "check"
            } else {
                "Lean"
            };
            eprintln!("{}: rejected by {by}:\n{}", c.module, c.detail);
        }
    }
    for n in &r.networks {
        let time = n.seconds.map_or_else(|| "-".to_string(), |s| format!("{s:.0} s"));
        println!(
            "network module {}: {}, {time} (shared by every certificate of its payload, not in their lean time)",
            n.module,
            if n.passed { "pass" } else { "FAIL" }
        );
    }
    println!("axioms: {}", r.axiom_note);
    if r.certificates.iter().any(|c| c.untimed > 0 && c.seconds.is_some()) {
        println!("lean time: summed over the modules whose compile time is known (`+`: some are not, e.g. cached before times were recorded)");
    }
    println!("toolchain: {}; {} modules in {:.1} s", r.toolchain, r.modules.len(), r.seconds);
    let passed = r.certificates.iter().filter(|c| c.passed).count();
    let failed = r.certificates.len() - passed;
    let noun = |n: usize| if n == 1 { "certificate" } else { "certificates" };
    if r.ok() {
        println!("lean: {passed} {} checked", noun(passed));
    } else {
        println!("lean: {failed} {} rejected, {passed} checked", noun(failed));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// No command has a flag twice (a flattened `LeanOpts` brings its own `--jobs`, which once
    /// sat beside `suite --jobs`); clap checks this only in debug builds, the tests run release.
    #[test]
    fn no_command_defines_a_flag_twice() {
        use clap::CommandFactory;
        fn walk(c: &clap::Command, path: &str, dups: &mut Vec<String>) {
            let mut seen = std::collections::BTreeSet::new();
            for a in c.get_arguments() {
                if let Some(l) = a.get_long()
                    && !seen.insert(l.to_string())
                {
                    dups.push(format!("{path} --{l}"));
                }
            }
            for sub in c.get_subcommands() {
                walk(sub, &format!("{path} {}", sub.get_name()), dups);
            }
        }
        let mut dups = Vec::new();
        walk(&Cli::command(), "torchlean", &mut dups);
        assert_eq!(dups, Vec::<String>::new());
    }

    fn cert(seconds: Option<f64>, untimed: usize, axioms: Option<Vec<String>>) -> CertResult {
        CertResult {
            module: "Certificates.P2".into(),
            passed: true,
            detail: String::new(),
            axioms,
            parts: 80,
            theorems: 489,
            kernel_decisions: 325,
            seconds,
            untimed,
            kernel_seconds: None,
            binding: "weak (sha256:2866a4028d0a…; re-derived: equal)".into(),
            pin: "pinned: Claim graph params box safe".into(),
        }
    }

    #[test]
    fn a_check_row_states_size_time_binding_and_axioms() {
        let b = format!("{:<62}", "weak (sha256:2866a4028d0a…; re-derived: equal)");
        assert_eq!(
            check_row(&cert(Some(10234.4), 0, None)),
            format!("Certificates.P2          pass  pinned        80      489    325   10234 s {b} not reported (see note)")
        );
        assert_eq!(
            check_row(&cert(Some(9000.0), 2, Some(vec!["propext".into(), "Quot.sound".into()]))),
            format!("Certificates.P2          pass  pinned        80      489    325   9000 s+ {b} propext, Quot.sound")
        );
        assert_eq!(check_row(&cert(None, 81, Some(vec![]))), format!("Certificates.P2          pass  pinned        80      489    325         - {b} none"));
    }
}
