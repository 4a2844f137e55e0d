//! `torchlean audit DIR [--lean-dir lean] [--json]`: re-reads certificate artifacts and checks their
//! canonical bytes, kinds, hashes, manifest, references and (with `--lean-dir`) the generated Lean
//! module; see [`crate::cert::audit`]. A table on stdout (file, kind, hash, ok) and a verdict line;
//! each problem on stderr as `<file>: <what>`, naming expected and found hashes.
use std::path::PathBuf;

use clap::Args;
use serde_json::json;

use crate::audit::{AuditReport, audit_with};
use crate::error::Result;

/// The `audit` subcommand's arguments.
#[derive(Debug, Clone, Args)]
#[command(after_help = "Exit codes: 0 every file passed; 1 a hash, reference, manifest entry or the Lean module \
does not match (the message names the file, the expected and the found hash); 2 the directory or a file is \
unreadable, not canonical JSON, or not valid for its kind.")]
pub struct AuditArgs {
    /// A certificate directory (with manifest.json), or a directory of certificate directories.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Also check `<LEAN_DIR>/Certificates/<Module>.lean` against the module re-derived from the
    /// artifacts, byte for byte.
    #[arg(long)]
    pub lean_dir: Option<PathBuf>,
    /// Also re-derive each payload and property from the source file it names (`"sources"`: a
    /// `.nnet`, `.vnnlib` or JSON file, found in DIR by its SHA-256) and demand the same bytes.
    #[arg(long, value_name = "DIR")]
    pub sources: Option<PathBuf>,
    /// Machine-readable output on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Runs the audit, prints the report, and returns the exit code.
pub fn run(args: &AuditArgs) -> Result<i32> {
    let report = audit_with(&args.dir, args.lean_dir.as_deref(), args.sources.as_deref())?;
    if args.json {
        println!("{}", report_json(&report));
    } else {
        print!("{}", table(&report));
    }
    for f in report.failures() {
        eprintln!("error: {f}");
    }
    Ok(report.exit_code())
}

/// The report as JSON: `{"ok", "exit_code", "rows": [{"file", "kind", "sha256", "ok", "problems"}]}`.
pub fn report_json(r: &AuditReport) -> serde_json::Value {
    json!({
        "ok": r.ok(),
        "exit_code": r.exit_code(),
        "rows": r.rows.iter().map(|row| json!({
            "file": row.file,
            "kind": row.kind,
            "sha256": row.sha256,
            "ok": row.ok(),
            "problems": row.problems.iter().map(|p| p.message.as_str()).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

/// The text table and the verdict line.
pub fn table(r: &AuditReport) -> String {
    let files: Vec<String> = r.rows.iter().map(|row| row.file.display().to_string()).collect();
    let width = files.iter().map(String::len).max().unwrap_or(4).max(4);
    let mut s = format!("{:<width$}  {:<14}  {:<71}  {}\n", "file", "kind", "sha256", "ok");
    for (row, file) in r.rows.iter().zip(&files) {
        let kind = row.kind.as_deref().unwrap_or("?");
        let sha = row.sha256.as_deref().unwrap_or("-");
        let ok = if row.ok() { "ok" } else { "FAIL" };
        s += &format!("{file:<width$}  {kind:<14}  {sha:<71}  {ok}\n");
    }
    let failed = r.rows.iter().filter(|row| !row.ok()).count();
    if failed == 0 {
        s += &format!("audit: {} files ok\n", r.rows.len());
    } else {
        s += &format!("audit: {failed} of {} files failed\n", r.rows.len());
    }
    s
}
