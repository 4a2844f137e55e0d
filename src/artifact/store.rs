//! Writing artifacts: canonical bytes, atomically (temp file in the same directory, then rename),
//! and a manifest that lists every file of a certificate directory with its hash.
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::json::{canonical_bytes, sha256_ref};
use crate::error::{Error, Result};

/// Writes `bytes` to `path` so that readers see either the old file or the whole new one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_file(path, bytes, true)
}

fn write_file(path: &Path, bytes: &[u8], replace: bool) -> Result<()> {
    if !replace && path.exists() {
        return Err(Error::bad_input(format!("{}: expected a new file, found an existing one (remove it first)", path.display())));
    }
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(|e| Error::io("cannot create directory", dir, e))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| Error::io("cannot create a temp file in", dir, e))?;
    tmp.write_all(bytes).map_err(|e| Error::io("cannot write", tmp.path(), e))?;
    tmp.as_file().sync_all().map_err(|e| Error::io("cannot sync", tmp.path(), e))?;
    // Temp files are created 0600; artifacts are meant to be shared and audited, so make them
    // world-readable like any file a user writes (0644).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file().set_permissions(fs::Permissions::from_mode(0o644)).map_err(|e| Error::io("cannot set permissions on", tmp.path(), e))?;
    }
    if replace {
        tmp.persist(path).map_err(|e| Error::io("cannot rename temp file to", path, e.error))?;
    } else {
        // Checked above, but another process may have created it since: never replace it.
        tmp.persist_noclobber(path).map_err(|e| match e.error.kind() {
            std::io::ErrorKind::AlreadyExists => {
                Error::bad_input(format!("{}: expected a new file, found an existing one (remove it first)", path.display()))
            }
            _ => Error::io("cannot rename temp file to", path, e.error),
        })?;
    }
    Ok(())
}

/// An artifact written to disk: where, and its reference hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub path: PathBuf,
    pub kind: String,
    pub sha256: String,
    /// The canonical bytes written (the strong binding restates them in the Lean module).
    pub bytes: Vec<u8>,
}

/// Canonicalises `value` and writes it atomically; returns its `sha256:` reference.
pub fn write_artifact(path: &Path, kind: &str, value: &Value) -> Result<Written> {
    let bytes = canonical_bytes(value)?;
    write_atomic(path, &bytes)?;
    Ok(Written { path: path.to_path_buf(), kind: kind.to_string(), sha256: sha256_ref(&bytes), bytes })
}

/// As [`write_artifact`], refusing to replace an existing file (a user's property, say).
pub fn write_new_artifact(path: &Path, kind: &str, value: &Value) -> Result<Written> {
    let bytes = canonical_bytes(value)?;
    write_file(path, &bytes, false)?;
    Ok(Written { path: path.to_path_buf(), kind: kind.to_string(), sha256: sha256_ref(&bytes), bytes })
}

/// Creates directory `out` with what `fill` writes into a temp directory beside it, by one
/// rename; refuses an `out` that exists and is not an empty directory.
pub fn write_dir_atomic<T>(out: &Path, fill: impl FnOnce(&Path) -> Result<T>) -> Result<T> {
    if let Ok(mut entries) = fs::read_dir(out) {
        if entries.next().is_some() {
            return Err(Error::bad_input(format!(
                "{}: expected a new or empty directory, found a non-empty one",
                out.display()
            )));
        }
    } else if out.exists() {
        return Err(Error::bad_input(format!("{}: expected a new or empty directory, found a file", out.display())));
    }
    let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(|e| Error::io("cannot create directory", parent, e))?;
    let tmp = tempfile::Builder::new()
        .prefix(".torchlean-tmp")
        .tempdir_in(parent)
        .map_err(|e| Error::io("cannot create a temp directory in", parent, e))?;
    let value = fill(tmp.path())?;
    if out.exists() {
        fs::remove_dir(out).map_err(|e| Error::io("cannot replace empty directory", out, e))?;
    }
    let tmp = tmp.keep();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&tmp, fs::Permissions::from_mode(0o755))
            .map_err(|e| Error::io("cannot set permissions on", &tmp, e))?;
    }
    fs::rename(&tmp, out).map_err(|e| {
        let _ = fs::remove_dir_all(&tmp);
        Error::io("cannot rename temp directory to", out, e)
    })?;
    Ok(value)
}
