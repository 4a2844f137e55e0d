//! `torchlean import PAYLOAD --out DIR`: read a payload strictly (`schema::read_payload`), then
//! write its canonical bytes, its IR graph and a manifest into a new directory.
use std::fs;
use std::path::{Path, PathBuf};

use crate::cert::schema::read_payload;
use crate::cert::store::{Written, write_artifact, write_manifest};
use crate::error::{Error, Result};
use crate::ir::{lower, to_artifact};
use crate::model::Model;

#[derive(clap::Args, Debug)]
pub struct ImportArgs {
    /// The payload JSON (e.g. written by the exported torchlean_io.py); need not be canonical.
    pub payload: PathBuf,
    /// The directory to create (must not exist or be empty); its name is the manifest's name.
    #[arg(long)]
    pub out: PathBuf,
}

/// Reads and checks the payload file; errors are prefixed with the file's path.
pub fn read(path: &Path) -> Result<Model> {
    let bytes = fs::read(path).map_err(|e| Error::io("cannot read", path, e).context("import"))?;
    let value: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| Error::bad_input(format!("not valid JSON ({e})")).context(path.display().to_string()))?;
    read_payload(&value).map_err(|e| e.context(path.display().to_string()))
}

/// Writes `payload.json`, `graph.json` (the lowered graph, [`lower`]) and `manifest.json`
/// into `out` atomically; returns what was written (manifest last).
pub fn import(model: &Model, out: &Path) -> Result<Vec<Written>> {
    let name = out.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let ok = !name.is_empty()
        && name != "."
        && name != ".."
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if !ok {
        return Err(Error::bad_input(format!("--out {}: expected a directory name of [A-Za-z0-9._-]", out.display())));
    }
    let (graph, _) = lower(model)?;
    let written = super::export::write_dir_atomic(out, |dir| {
        let payload = write_artifact(&dir.join("payload.json"), "payload", &model.payload())?;
        let mut files = vec![payload.clone()];
        files.push(write_artifact(&dir.join("graph.json"), "graph", &to_artifact(&graph, &payload.sha256))?);
        let manifest = write_manifest(dir, name, &files)?;
        files.push(manifest);
        Ok(files)
    })?;
    Ok(written.into_iter().map(|w| Written { path: out.join(w.path.file_name().expect("a file")), ..w }).collect())
}

pub fn run(args: &ImportArgs) -> Result<i32> {
    let model = read(&args.payload)?;
    let written = import(&model, &args.out)?;
    println!("family       {}", model.family().tag());
    for w in &written {
        println!("{:<12} {}  {}", w.kind, w.sha256, w.path.display());
    }
    Ok(0)
}
