//! `torchlean vnncomp prepare_instance|run_instance v1 CATEGORY ONNX VNNLIB [RESULTS TIMEOUT]`:
//! VNN-COMP's tool interface (`docs/vnncomp.md`), so the competition's own scripts can run and
//! score torchlean. `run_instance` writes the results file (temporary file, then rename) with
//! `unsat`, `sat` and the counterexample, `timeout`, `unknown` or `error`.
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::{Args, Subcommand};

use super::verify::{IntermediateArg, Method, SplitArg, search_options};
use crate::artifact::store::write_atomic;
use crate::error::{Error, Result};
use crate::suite::{InstanceOptions, Verdict, run_instance, vnncomp_results};

#[derive(Debug, Clone, Args)]
pub struct VnncompArgs {
    #[command(subcommand)]
    pub step: Step,
}

#[derive(Debug, Clone, Subcommand)]
pub enum Step {
    /// Check that the network and property can be read (exit 0), without analysing them.
    #[command(name = "prepare_instance")]
    Prepare(PrepareArgs),
    /// Decide the instance within TIMEOUT seconds and write RESULTS.
    #[command(name = "run_instance")]
    Run(RunArgs),
}

#[derive(Debug, Clone, Args)]
pub struct PrepareArgs {
    /// The interface version: v1.
    pub version: String,
    /// The benchmark category (torchlean's settings do not depend on it).
    pub category: String,
    pub onnx: PathBuf,
    pub vnnlib: PathBuf,
}

#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// The interface version: v1.
    pub version: String,
    pub category: String,
    pub onnx: PathBuf,
    pub vnnlib: PathBuf,
    /// The results file to write.
    pub results: PathBuf,
    /// Seconds for the whole run, certificate writing included.
    pub timeout: f64,
    /// Where the certificate (or counterexample) directory goes; default
    /// `torchlean-certificates/<network stem>.<property stem>/` beside RESULTS (replaced on a re-run).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Where the certificate's Lean module goes (`<dir>/Certificates/`); default
    /// `torchlean-lean/` beside RESULTS.
    #[arg(long)]
    pub lean_dir: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Method::Bab)]
    pub method: Method,
}

fn version(v: &str) -> Result<()> {
    if v == "v1" { Ok(()) } else { Err(Error::bad_input(format!("version: expected v1, found \"{v}\""))) }
}

pub fn run(args: &VnncompArgs) -> Result<i32> {
    match &args.step {
        Step::Prepare(a) => {
            version(&a.version)?;
            crate::artifact::payload::read_model_file(&a.onnx)?;
            let regions = crate::artifact::property::read_file_regions(&a.vnnlib)?;
            println!("prepared: {} region(s)", regions.len());
            Ok(0)
        }
        Step::Run(a) => {
            version(&a.version)?;
            if !a.timeout.is_finite() || a.timeout < 0.0 {
                return Err(Error::bad_input(format!("TIMEOUT: expected a number of seconds ≥ 0, found {}", a.timeout)));
            }
            let start = Instant::now();
            let limit = Duration::from_secs_f64(a.timeout);
            // The competition's harness writes every instance's results to the same `out.txt`:
            // by default each instance gets its own directory beside it, named after the instance,
            // and a re-run of the same instance replaces it.
            let here = a.results.parent().map(Path::to_path_buf).unwrap_or_default();
            let out = match &a.out {
                Some(o) => o.clone(),
                None => {
                    let dir = here.join("torchlean-certificates").join(crate::suite::instance_id(&a.onnx.to_string_lossy(), &a.vnnlib.to_string_lossy()));
                    if dir.is_dir() {
                        std::fs::remove_dir_all(&dir).map_err(|e| Error::io("cannot replace the earlier run's", &dir, e))?;
                    }
                    dir
                }
            };
            let lean_dir = a.lean_dir.clone().unwrap_or_else(|| here.join("torchlean-lean"));
            let opts = InstanceOptions {
                search: search_options(a.method, IntermediateArg::Crown, None, 1_000_000, 20, SplitArg::Gradient),
                packed_boxes: None,
                lean_dir,
            };
            // A backstop for the whole limit: whatever is still running then, the results file says
            // timeout and the process ends (the search and certificate writing check the deadline
            // themselves and normally return first).
            let results = a.results.clone();
            std::thread::spawn(move || {
                std::thread::sleep(limit.saturating_sub(start.elapsed()));
                let _ = write_atomic(&results, b"timeout\n");
                eprintln!("vnncomp: timeout after {:.1} s", start.elapsed().as_secs_f64());
                std::process::exit(0);
            });
            let o = run_instance(&a.onnx, &a.vnnlib, limit, &out, &opts);
            write_atomic(&a.results, vnncomp_results(&o).as_bytes())?;
            println!("{:<10} {} ({})", "result", o.verdict.vnncomp(), o.verdict.word());
            println!("{:<10} {}", "detail", o.detail);
            println!("{:<10} {:.3} s", "time", o.seconds);
            for (dir, sha) in &o.manifests {
                println!("{:<10} {sha} {}", "manifest", dir.join("manifest.json").display());
            }
            if o.verdict == Verdict::Error {
                return Err(Error::bad_input(o.detail));
            }
            Ok(0)
        }
    }
}
