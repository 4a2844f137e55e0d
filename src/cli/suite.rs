//! `torchlean suite INSTANCES.csv --out DIR [--jobs N] [--shard I/N] [--merge]`: decides every
//! instance of a VNN-COMP instances file (`src/suite`), resumably, and prints a table.
use std::path::PathBuf;
use std::sync::Mutex;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

use super::verify::{IntermediateArg, Method, SplitArg, search_options};
use crate::error::Result;
use crate::suite::{InstanceOptions, Record, Shard, SuiteConfig, Verdict, run_suite};

#[derive(Debug, Clone, Args)]
pub struct SuiteArgs {
    /// VNN-COMP's instances file: `network,property,timeout_seconds` per line, paths relative to it.
    #[arg(value_name = "INSTANCES.csv")]
    pub instances: PathBuf,
    /// The suite directory: `runs/<id>/` certificates, `results/<id>.json` records, `suite.json`.
    #[arg(long)]
    pub out: PathBuf,
    /// Instances decided at once.
    #[arg(long, default_value_t = 1)]
    pub jobs: usize,
    /// Only the instances whose 0-based line index is I−1 modulo N (shards 1/N … N/N cover all).
    #[arg(long)]
    pub shard: Option<String>,
    /// Decide nothing: collect every instance's record (all shards) into `suite.json`.
    #[arg(long, conflicts_with = "shard")]
    pub merge: bool,
    /// The Lean project for the certificates' modules.
    #[arg(long, default_value = "lean")]
    pub lean_dir: PathBuf,
    #[arg(long, value_enum, default_value_t = Method::Bab)]
    pub method: Method,
    /// Then have Lean check the certificates of the instances in scope (this shard's only).
    #[arg(long)]
    pub check: bool,
    /// With --check: which Lean to use (as `torchlean check --toolchain`).
    #[arg(long, value_enum, default_value_t = crate::lean::toolchain::Preference::Auto)]
    pub toolchain: crate::lean::toolchain::Preference,
    /// With --check: parallel Lean processes (wasm toolchain); default: available cores.
    #[arg(long)]
    pub lean_jobs: Option<usize>,
    /// Machine-readable output on stdout.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &SuiteArgs) -> Result<i32> {
    let shard = args.shard.as_deref().map(Shard::parse).transpose()?;
    let cfg = SuiteConfig {
        csv: args.instances.clone(),
        out: args.out.clone(),
        jobs: args.jobs.max(1),
        shard,
        merge: args.merge,
        instance: InstanceOptions {
            search: search_options(args.method, IntermediateArg::Crown, None, 1_000_000, 20, SplitArg::Gradient),
            packed_boxes: None,
            lean_dir: args.lean_dir.clone(),
        },
    };
    let interactive = !args.json && std::io::IsTerminal::is_terminal(&std::io::stderr());
    let bar: Mutex<Option<ProgressBar>> = Mutex::new(None);
    let report = run_suite(&cfg, |r: &Record, k: usize, total: usize| {
        let line = format!("{} {} {:.1} s{}", r.instance.id, r.verdict.word(), r.seconds, if r.fresh { "" } else { " (finished before)" });
        if interactive {
            let mut b = bar.lock().expect("no panic holds it");
            let b = b.get_or_insert_with(|| {
                let b = ProgressBar::new(total as u64);
                b.set_style(ProgressStyle::with_template("[{elapsed}] {bar:30} {pos}/{len} instances, about {eta} left  {msg}").expect("static template"));
                b
            });
            b.set_position(k as u64);
            b.set_message(line);
        } else {
            eprintln!("[{k}/{total}] {line}");
        }
    });
    if let Some(b) = bar.into_inner().expect("no panic holds it") {
        b.finish_and_clear();
    }
    let report = report?;
    let count = |v: Verdict| report.records.iter().filter(|r| r.verdict == v).count();
    let fresh = report.records.iter().filter(|r| r.fresh).count();
    let secs: f64 = report.records.iter().map(|r| r.seconds).sum();
    if args.json {
        let rows: Vec<_> = report.records.iter().map(|r| json!({"id": r.instance.id, "verdict": r.verdict.word(), "seconds": r.seconds, "fresh": r.fresh, "detail": r.detail})).collect();
        let counts: serde_json::Map<_, _> = Verdict::ALL.iter().map(|v| (v.word().to_string(), json!(count(*v)))).collect();
        println!("{}", json!({"instances": rows, "counts": counts, "decided_now": fresh, "seconds": secs,
            "manifest": {"path": report.manifest.display().to_string(), "sha256": report.manifest_sha256}}));
    } else {
        let w = report.records.iter().map(|r| r.instance.id.len()).max().unwrap_or(8).max(8);
        println!("{:<w$}  {:<9} {:>9}  detail", "instance", "verdict", "seconds");
        for r in &report.records {
            let mut d = r.detail.clone();
            if d.chars().count() > 70 {
                d = d.chars().take(69).collect::<String>() + "…";
            }
            println!("{:<w$}  {:<9} {:>9.2}  {d}", r.instance.id, r.verdict.word(), r.seconds);
        }
        println!();
        println!(
            "verified {}  violated {}  unknown {}  timeout {}  error {}  ({} instances, {fresh} decided now, {:.1} s of instance time)",
            count(Verdict::Verified),
            count(Verdict::Violated),
            count(Verdict::Unknown),
            count(Verdict::Timeout),
            count(Verdict::Error),
            report.records.len(),
            secs
        );
        println!("suite      {} {}", report.manifest_sha256, report.manifest.display());
    }
    if !args.check {
        return Ok(0);
    }
    // The Lean modules of the verified instances in scope (their regions' included).
    let modules: Vec<String> = report
        .records
        .iter()
        .flat_map(|r| &r.certificates)
        .filter(|(dir, _)| args.out.join(dir).join("certificate.json").is_file())
        .filter_map(|(dir, _)| std::path::Path::new(dir).file_name().and_then(|n| n.to_str()).map(|n| format!("Certificates.{}", crate::lean::emit::module_name(n))))
        .collect();
    if modules.is_empty() {
        println!("lean       no certificates to check in scope");
        return Ok(0);
    }
    let lean = super::LeanOpts { toolchain: args.toolchain, jobs: args.lean_jobs, json: args.json };
    let check = super::run_check(&args.lean_dir, Some(&args.out.join("runs")), crate::lean::check::Scope::Modules(&modules), &lean)?;
    super::print_check(&check, args.json);
    Ok(if check.ok() { 0 } else { crate::error::Error::check_failed("").kind().exit_code() })
}
