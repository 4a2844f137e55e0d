//! `torchlean import MODEL [--property P.vnnlib] --out DIR`: read a payload strictly
//! (`artifact::payload::read`) or an ACAS Xu `.nnet` file (decimals rounded once to binary32), and
//! optionally a VNN-LIB property, then write the canonical payload, its IR graph, the property and a
//! manifest into a new directory.
use std::fs;
use std::path::{Path, PathBuf};

use crate::artifact::graph::to_artifact;
use crate::artifact::property::violation_json;
use crate::artifact::source::Source;
use crate::artifact::{Kind, Written, manifest, payload, write_artifact};
use crate::error::{Error, Result};
use crate::model::{Model, lower};
use crate::property::{Vnnlib, parse_vnnlib};

#[derive(clap::Args, Debug)]
pub struct ImportArgs {
    /// The payload JSON (e.g. written by the exported torchlean_io.py; need not be canonical), or a
    /// `.nnet` file (ACAS Xu format).
    pub payload: PathBuf,
    /// A VNN-LIB property (input box + disjunction of conjunctions of linear output constraints),
    /// written as a `torchlean.property.v1` of kind `violation_dnf`.
    #[arg(long)]
    pub property: Option<PathBuf>,
    /// The directory to create (must not exist or be empty); its name is the manifest's name.
    #[arg(long)]
    pub out: PathBuf,
}

/// Reads and checks the model file (payload JSON, or `.nnet`); errors are prefixed with its path.
pub fn read(path: &Path) -> Result<Model> {
    payload::read_model_file(path)
}


/// Reads a VNN-LIB property; errors are prefixed with its path.
pub fn read_property(path: &Path) -> Result<Vnnlib> {
    let text = fs::read_to_string(path).map_err(|e| Error::io("cannot read", path, e).context("import"))?;
    parse_vnnlib(&text, &path.display().to_string())
}

/// Writes `payload.json`, `graph.json` (the lowered graph, [`lower`]), `property.json` (when a
/// property is given) and `manifest.json` into `out` atomically; returns what was written
/// (manifest last); the manifest names `sources`, the files payload and property were read from.
pub fn import(model: &Model, property: Option<&Vnnlib>, out: &Path, sources: &[(Kind, Source)]) -> Result<Vec<Written>> {
    let name = out.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let ok = !name.is_empty()
        && name != "."
        && name != ".."
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if !ok {
        return Err(Error::bad_input(format!("--out {}: expected a directory name of [A-Za-z0-9._-]", out.display())));
    }
    let graph = lower(model)?;
    if let Some(p) = property {
        let numel = |id: &str| graph.node(id).map_or(0, |n| n.shape.iter().product::<usize>());
        let inputs = graph.inputs().next().map_or(0, |n| n.shape.iter().product::<usize>());
        let outputs: usize = graph.outputs().iter().map(|o| numel(o)).sum();
        if p.input_box.len() != inputs || p.num_outputs != outputs {
            return Err(Error::bad_input(format!(
                "--property: expected {inputs} inputs and {outputs} outputs (the model's), found {} and {}",
                p.input_box.len(),
                p.num_outputs
            )));
        }
    }
    let written = crate::artifact::store::write_dir_atomic(out, |dir| {
        let payload = write_artifact(&dir.join("payload.json"), "payload", &payload::write(model))?;
        let mut files = vec![payload.clone()];
        files.push(write_artifact(&dir.join("graph.json"), "graph", &to_artifact(&graph, &payload.sha256))?);
        if let Some(p) = property {
            files.push(write_artifact(&dir.join("property.json"), "property", &violation_json(p))?);
        }
        let manifest = manifest::write_with_sources(dir, name, &files, sources)?;
        files.push(manifest);
        Ok(files)
    })?;
    Ok(written.into_iter().map(|w| Written { path: out.join(w.path.file_name().expect("a file")), ..w }).collect())
}

pub fn run(args: &ImportArgs) -> Result<i32> {
    let model = read(&args.payload)?;
    let property = args.property.as_deref().map(read_property).transpose()?;
    let mut sources = vec![(Kind::Payload, Source::of_file(&args.payload)?)];
    if let Some(p) = &args.property {
        sources.push((Kind::Property, Source::of_file(p)?));
    }
    let written = import(&model, property.as_ref(), &args.out, &sources)?;
    println!("family       {}", model.family().tag());
    for w in &written {
        println!("{:<12} {}  {}", w.kind, w.sha256, w.path.display());
    }
    Ok(0)
}
