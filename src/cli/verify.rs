//! `torchlean verify --model M --property Q [--method ibp|crown|bab] [--timeout S] --out DIR`:
//! decides a VNN-LIB property of a dense ReLU network. Exit 0 verified (certificate written), 10
//! violated (counterexample written and replayed), 11 verified over ℚ but violated by the
//! declared-order binary32 execution (both written, `--semantics both`), 20 unknown. `torchlean check-cert DIR`
//! re-checks a written certificate or counterexample in Rust, without searching.
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::Args;
use serde_json::{Value, json};

use super::progress::Progress;
use crate::bounds::crown::Intermediate;
use crate::certify::{Binary32, Checked, Semantics, VerifyOptions, check_binary32, check_dir};
use crate::error::{Error, Result};
use crate::num::rational::to_canonical;
use crate::artifact::Kind;
use crate::artifact::source::Source;
use crate::search::bab::{LeafBound, Options, Outcome, Stats};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Method {
    /// IBP on the whole box (one leaf).
    Ibp,
    /// CROWN on the whole box (one leaf).
    Crown,
    /// Branch and bound over input splits, CROWN on every box.
    Bab,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum IntermediateArg {
    /// IBP pre-activation boxes: cheap for Lean to re-check, loose on deep networks.
    Ibp,
    /// A CROWN pass per hidden neuron: far fewer splits on deep networks, but Lean re-checks one
    /// backward pass per neuron per leaf.
    Crown,
}

/// How a box the bounds leave open is split (always at an input's midpoint).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SplitArg {
    /// The input with the largest gradient range times width: one bound per box.
    Gradient,
    /// Bound both halves of cuts of every input (at a quarter, half and three quarters) and take
    /// one that refutes a half, ending the largest share of the box; otherwise as `gradient`. Up
    /// to 30 more bounds per split on ACAS Xu, and fewer leaves, so a cheaper Lean check (ACAS Xu
    /// 1_1 properties 1–4: 20, 108, 37 and 24 leaves, against 30, 157, 166 and 40). For
    /// certificates that Lean will check.
    Lookahead,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SemanticsArg {
    /// The exact execution over ℚ: what certificates prove.
    Real,
    /// The declared-order binary32 execution: a binary32 counterexample, else unknown (no
    /// certificate speaks of binary32 yet).
    Binary32,
    /// Both: the exact verdict, and a search for inputs the binary32 execution violates.
    Both,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CheckSemantics {
    Real,
    Binary32,
}

#[derive(Debug, Clone, Args)]
pub struct VerifyArgs {
    /// The network: a `.nnet` file, a payload JSON whose graph is a chain verify takes (an mlp,
    /// a cnn with conv, average and max pools), or a directory written by `torchlean import` (its
    /// payload.json).
    #[arg(long)]
    pub model: PathBuf,
    /// The property: a `.vnnlib` file or a `property` artifact of kind violation_dnf.
    #[arg(long)]
    pub property: PathBuf,
    #[arg(long, value_enum, default_value_t = Method::Bab)]
    pub method: Method,
    /// How hidden layers' pre-activation boxes are bounded (ibp: cheaper Lean check; crown: tighter).
    #[arg(long, value_enum, default_value_t = IntermediateArg::Crown)]
    pub intermediate: IntermediateArg,
    /// Give up (exit 20) after this many seconds.
    #[arg(long, default_value_t = 300.0)]
    pub timeout: f64,
    /// Give up (exit 20) after bounding this many boxes.
    #[arg(long, default_value_t = 1_000_000)]
    pub max_boxes: usize,
    /// Steps of the α search (Adam on the CROWN bound, in f64) on a box that CROWN-Ada's α leave
    /// undecided; the α found are recorded in the certificate. 0 turns the search off.
    #[arg(long, default_value_t = 20)]
    pub alpha_steps: usize,
    /// Boxes the re-search of leaves the packed Lean checker rejects may bound in all (default: as
    /// many as the search bounded, at least 64); beyond it the certificate takes the rational checker.
    #[arg(long)]
    pub packed_boxes: Option<usize>,
    /// How open boxes are split.
    #[arg(long, value_enum, default_value_t = SplitArg::Gradient)]
    pub split: SplitArg,
    /// Which execution the verdict is about (`docs/trust.md`). With `both`, a property that holds
    /// exactly but that the binary32 execution violates exits 11 and both results are written.
    #[arg(long, value_enum, default_value_t = SemanticsArg::Both)]
    pub semantics: SemanticsArg,
    /// The certificate directory to write (its name names the Lean module).
    #[arg(long)]
    pub out: PathBuf,
    /// The Lean project: the certificate's module goes to `<lean-dir>/Certificates/`.
    #[arg(long, default_value = "lean")]
    pub lean_dir: PathBuf,
    /// Machine-readable summary on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct CheckCertArgs {
    /// A directory written by `torchlean verify`.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// The semantics whose verdict to re-check: `real` (the exact one), or `binary32`, which
    /// accepts only evidence about the declared-order binary32 execution (a counterexample that
    /// violates in binary32) and refuses a certificate of the exact semantics.
    #[arg(long, value_enum, default_value_t = CheckSemantics::Real)]
    pub semantics: CheckSemantics,
    #[arg(long)]
    pub json: bool,
}

/// The model of `--model`: a `.nnet` file, a payload JSON, or an import directory.
pub fn read_model(path: &Path) -> Result<crate::model::Model> {
    crate::artifact::payload::read_model_file(path)
}

fn status_word(o: &Outcome) -> &'static str {
    match o {
        Outcome::Verified { .. } => "verified",
        Outcome::Violated { .. } => "violated",
        Outcome::Unknown { .. } => "unknown",
    }
}

/// `--timeout`: a finite number of seconds, at least 0.
fn timeout(s: f64) -> Result<Duration> {
    if !s.is_finite() || s < 0.0 {
        return Err(Error::bad_input(format!("--timeout: expected a finite number of seconds ≥ 0, found {s}")));
    }
    Duration::try_from_secs_f64(s).map_err(|_| Error::bad_input(format!("--timeout: expected at most {} seconds, found {s}", u64::MAX)))
}

/// The search options of a `verify`-style run.
pub fn search_options(method: Method, inter: IntermediateArg, deadline: Option<Instant>, max_boxes: usize, alpha_steps: usize, split_by: SplitArg) -> Options {
    let (intermediate, leaf, split) = match method {
        Method::Ibp => (Intermediate::Ibp, LeafBound::Ibp, false),
        Method::Crown => (intermediate_of(inter), LeafBound::Crown, false),
        Method::Bab => (intermediate_of(inter), LeafBound::Crown, true),
    };
    Options { intermediate, leaf, split, deadline, max_boxes, seed: 0x746f_7263_686c_6561, pairs: true, alpha_steps, lookahead: split_by == SplitArg::Lookahead }
}

pub fn run(args: &VerifyArgs) -> Result<i32> {
    let budget = timeout(args.timeout)?;
    let model = read_model(&args.model)?;
    let regions = crate::artifact::property::read_file_regions(&args.property)?;
    let start = Instant::now();
    let opts = VerifyOptions {
        search: search_options(args.method, args.intermediate, start.checked_add(budget), args.max_boxes, args.alpha_steps, args.split),
        packed_boxes: args.packed_boxes,
        lean_dir: args.lean_dir.clone(),
        sources: vec![(Kind::Payload, Source::of_file(&args.model)?), (Kind::Property, Source::of_file(&args.property)?)],
        semantics: semantics_of(args.semantics),
    };
    let show = !args.json && std::io::IsTerminal::is_terminal(&std::io::stderr());
    let progress = Progress::new(show);
    let mut last = Instant::now();
    let runs = crate::certify::decide(&model, &regions, &args.out, &opts, |k: usize, s: &Stats| {
        if last.elapsed() >= Duration::from_millis(500) {
            last = Instant::now();
            let region = if regions.len() > 1 { format!("region {}/{}  ", k + 1, regions.len()) } else { String::new() };
            progress.message(&format!(
                "{region}boxes {}  leaves {}  open {}  refuted {:.2}% of the box",
                s.boxes,
                s.leaves,
                s.open,
                100.0 * s.refuted_volume
            ));
        }
    });
    progress.finish();
    let runs = runs?;
    let (word, code) = crate::certify::overall(&runs, regions.len(), opts.semantics);
    if args.json {
        let mut rows: Vec<Value> = runs.iter().map(|(_, v)| summary_json(v)).collect();
        if regions.len() == 1 {
            // The run's own status and exit are of the exact semantics; the process's are those
            // of the semantics asked for.
            let mut row = rows.pop().expect("one region");
            row["exit"] = json!(code);
            row["verdict"] = json!(word);
            println!("{row}");
        } else {
            println!("{}", json!({"status": word, "exit": code, "regions": regions.len(), "decided": rows}));
        }
        return Ok(code);
    }
    for (k, (_, v)) in runs.iter().enumerate() {
        if regions.len() > 1 {
            println!("{:<10} {} of {}: {}", "region", k + 1, regions.len(), crate::certify::box_display(&regions[k].0.input_box));
        }
        print_summary(v);
    }
    if regions.len() > 1 {
        println!("{:<10} {word} ({} of {} regions decided)", "property", runs.len(), regions.len());
    }
    Ok(code)
}

fn exit_of(o: &Outcome) -> i32 {
    match o {
        Outcome::Verified { .. } => 0,
        Outcome::Violated { .. } => 10,
        Outcome::Unknown { .. } => 20,
    }
}

fn detail_of(v: &crate::certify::Verified) -> String {
    match &v.outcome {
        Outcome::Verified { tree, .. } if v.checker == Some(crate::checker::LeafKind::Env) => format!(
            "{} leaves, depth {}, each refuted by IBP through the smooth activations' enclosures",
            tree.leaves(),
            tree.depth()
        ),
        Outcome::Verified { tree, .. } => format!(
            "{} leaves, depth {}, {} refuted with searched α",
            tree.leaves(),
            tree.depth(),
            tree.searched_alpha_leaves()
        ),
        Outcome::Violated { cex, .. } => format!(
            "input [{}] satisfies disjunct {} exactly; binary32 execution {}",
            cex.input.iter().map(|b| to_canonical(&b.to_rational().expect("finite"))).collect::<Vec<_>>().join(", "),
            cex.disjunct,
            if cex.f32_violates { "violates it too" } else { "does not (rounding differs)" }
        ),
        Outcome::Unknown { reason, .. } => reason.clone(),
    }
}

fn stats_of(o: &Outcome) -> Stats {
    match o {
        Outcome::Verified { stats, .. } | Outcome::Violated { stats, .. } | Outcome::Unknown { stats, .. } => *stats,
    }
}

/// `verify --json`'s object for one run.
pub fn summary_json(v: &crate::certify::Verified) -> Value {
    let alpha_leaves = match &v.outcome {
        Outcome::Verified { tree, .. } => tree.searched_alpha_leaves(),
        _ => 0,
    };
    let stats = stats_of(&v.outcome);
    let files: Vec<Value> = v.written.iter().map(|w| json!({"path": w.path.display().to_string(), "kind": w.kind, "sha256": w.sha256})).collect();
    let binary32 = binary32_of(v).map(|(w, d)| json!({"status": w, "detail": d}));
    json!({"status": status_word(&v.outcome), "exit": exit_of(&v.outcome), "detail": detail_of(v), "boxes": stats.boxes,
           "leaves": stats.leaves, "alpha_leaves": alpha_leaves, "seconds": v.seconds, "lean_checker": v.checker.map(|k| k.check()),
           "files": files, "binary32": binary32})
}

fn print_summary(v: &crate::certify::Verified) {
    let stats = stats_of(&v.outcome);
    let mut lean_note = match v.lean_files.first() {
        Some(main) => format!("{} (run `torchlean check`)", main.display()),
        None => String::from("-"),
    };
    // The network module (`Networks/…`) is listed last, shared with the payload's other certificates.
    let (parts, network): (Vec<_>, Vec<_>) =
        v.lean_files.iter().skip(1).partition(|p| !p.parent().is_some_and(|d| d.ends_with(crate::lean::check::NETWORKS)));
    if let Some(first) = parts.first() {
        let dir = first.parent().map_or_else(String::new, |p| p.display().to_string());
        let noun = if parts.len() == 1 { "part module" } else { "part modules" };
        lean_note = format!("{lean_note}; {} {noun} in {dir}", parts.len());
    }
    if let Some(net) = network.first() {
        lean_note = format!("{lean_note}; the network module {}", net.display());
    }
    println!("{:<10} {}", "status", status_word(&v.outcome));
    println!("{:<10} {}", "detail", detail_of(v));
    if let Some((w, d)) = binary32_of(v) {
        println!("{:<10} {w}: {d}", "binary32");
    }
    println!("{:<10} {} boxes bounded in {:.3} s", "search", stats.boxes, v.seconds);
    for w in &v.written {
        println!("{:<10} {} {}", w.kind, w.sha256, w.path.display());
    }
    println!("{:<10} {lean_note}", "lean");
    if let Some(c) = v.checker.map(|k| k.check()) {
        println!("{:<10} {c}", "checker");
    }
}

fn semantics_of(a: SemanticsArg) -> Semantics {
    match a {
        SemanticsArg::Real => Semantics::Real,
        SemanticsArg::Binary32 => Semantics::Binary32,
        SemanticsArg::Both => Semantics::Both,
    }
}

/// The binary32 line of a run: `None` when not asked.
fn binary32_of(v: &crate::certify::Verified) -> Option<(&'static str, String)> {
    let point = |c: &crate::search::attack::Counterexample| {
        c.input.iter().map(|b| to_canonical(&b.to_rational().expect("finite"))).collect::<Vec<_>>().join(", ")
    };
    match &v.binary32 {
        Binary32::NotAsked => None,
        Binary32::SameCounterexample => Some(("violated", "at the exact counterexample".into())),
        Binary32::Violated(c) => Some((
            "violated",
            format!(
                "input [{}]: its binary32 output satisfies disjunct {} (exact output {}); {}",
                point(c),
                c.disjunct,
                if c.exact_violates { "satisfies it too" } else { "does not: the two semantics differ here" },
                crate::certify::BINARY32_COUNTEREXAMPLE
            ),
        )),
        Binary32::Undecided => {
            Some(("undecided", "no binary32 counterexample found, and no certificate speaks of the binary32 execution".into()))
        }
    }
}

fn intermediate_of(a: IntermediateArg) -> Intermediate {
    match a {
        IntermediateArg::Ibp => Intermediate::Ibp,
        IntermediateArg::Crown => Intermediate::Crown,
    }
}

/// `torchlean check-cert DIR`.
pub fn check_cert(args: &CheckCertArgs) -> Result<i32> {
    let start = Instant::now();
    // A directory of an unknown exact verdict may still hold a binary32 counterexample.
    let binary32 = check_binary32(&args.dir)?.map(|(d, exact)| {
        format!(
            "replayed: binary32 output satisfies disjunct {d}; exact output {}",
            if exact { "too" } else { "not (the semantics differ)" }
        )
    });
    let main = !(binary32.is_some()
        && !args.dir.join("certificate.json").exists()
        && !args.dir.join("counterexample.json").exists());
    let checked = if main { Some(check_dir(&args.dir)?) } else { None };
    if args.semantics == CheckSemantics::Binary32 {
        let evidence = match (&binary32, &checked) {
            (Some(b), _) => b.clone(),
            (None, Some(Checked::Counterexample { disjunct, f32_violates: true })) => {
                format!("counterexample.json replayed: binary32 output satisfies disjunct {disjunct} too")
            }
            (None, Some(Checked::Counterexample { .. })) => {
                return Err(Error::check_failed(format!(
                    "{}: counterexample.json violates the property exactly but not in binary32: it is no evidence about the binary32 execution",
                    args.dir.display()
                )));
            }
            (None, _) => {
                return Err(Error::check_failed(format!(
                    "{}: certificate.json proves the property of the exact semantics only; nothing here certifies the declared-order binary32 execution",
                    args.dir.display()
                )));
            }
        };
        if args.json {
            println!("{}", json!({"checked": "binary32", "status": "violated", "detail": evidence, "seconds": start.elapsed().as_secs_f64()}));
        } else {
            println!("{:<10} binary32 violated: {evidence}", "check");
        }
        return Ok(0);
    }
    let (what, detail) = match checked {
        Some(Checked::Certificate { checker, leaves }) => (
            "certificate",
            format!("{leaves} leaves re-bounded as {checker} checks them, every disjunct refuted on each; the splits cover the box by construction"),
        ),
        Some(Checked::Counterexample { disjunct, f32_violates }) => (
            "counterexample",
            format!("replayed: exact output satisfies disjunct {disjunct}; binary32 {}", if f32_violates { "too" } else { "not" }),
        ),
        None => ("binary32 counterexample", binary32.clone().unwrap_or_default()),
    };
    let secs = start.elapsed().as_secs_f64();
    if args.json {
        println!("{}", json!({"checked": what, "detail": detail, "binary32": binary32, "seconds": secs}));
    } else {
        println!("{:<10} {what} ok", "check");
        println!("{:<10} {detail}", "detail");
        if let (true, Some(b)) = (main, &binary32) {
            println!("{:<10} {} ok: {b}", "binary32", crate::certify::BINARY32_COUNTEREXAMPLE);
        }
        println!("{:<10} {secs:.3} s", "time");
    }
    Ok(0)
}
