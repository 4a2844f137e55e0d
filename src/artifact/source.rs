//! The file an artifact was made from, as a manifest entry records it (`"source": {"name": …,
//! "sha256": …}`, `docs/format.md` §4.6): the `.nnet`, `.vnnlib` or JSON file a user holds, which
//! `torchlean audit --sources DIR` reads again to re-derive the artifact.
//!
//! It lives in the manifest, not in the artifact, so a payload's hash stays a function of the
//! network alone (the same network from a `.nnet` or an import directory has one hash). A source is
//! named by its file name only: the manifest must not depend on where the file was.
use std::path::Path;

use crate::error::{Error, Result};
use crate::json::canonical::sha256_ref;

/// One source file: its name and the SHA-256 of its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub name: String,
    pub sha256: String,
}

impl Source {
    /// The source record of the file at `path` (a directory written by `torchlean import` stands
    /// for its `payload.json`).
    pub fn of_file(path: &Path) -> Result<Source> {
        let file = if path.is_dir() { path.join("payload.json") } else { path.to_path_buf() };
        let bytes = std::fs::read(&file).map_err(|e| Error::io("cannot read", &file, e))?;
        let name = file.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        Ok(Source { name, sha256: sha256_ref(&bytes) })
    }
}
