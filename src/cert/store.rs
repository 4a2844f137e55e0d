//! Writing artifacts: canonical bytes, atomically (temp file in the same directory, then rename),
//! and a manifest that lists every file of a certificate directory with its hash.
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::canonical::{canonical_bytes, sha256_ref};
use crate::error::{Error, Result};

/// Writes `bytes` to `path` so that readers see either the old file or the whole new one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
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
    tmp.persist(path).map_err(|e| Error::io("cannot rename temp file to", path, e.error))?;
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

/// Writes `<dir>/manifest.json` listing `files` (paths relative to `dir`, sorted) with kind and hash.
pub fn write_manifest(dir: &Path, name: &str, files: &[Written]) -> Result<Written> {
    let mut entries: Vec<Value> = files
        .iter()
        .map(|w| {
            let rel = w.path.strip_prefix(dir).unwrap_or(&w.path);
            json!({"path": rel.to_string_lossy(), "kind": w.kind, "sha256": w.sha256})
        })
        .collect();
    entries.sort_by(|a, b| a["path"].as_str().cmp(&b["path"].as_str()));
    let manifest = json!({"format": "torchlean.manifest.v1", "name": name, "files": entries});
    write_artifact(&dir.join("manifest.json"), "manifest", &manifest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_lists_files_sorted_with_hashes() {
        let dir = tempfile::tempdir().unwrap();
        let b = write_artifact(&dir.path().join("b.json"), "property", &json!({"format": "torchlean.property.v1"})).unwrap();
        let a = write_artifact(&dir.path().join("a.json"), "payload", &json!({"format": "torchlean.payload.v1"})).unwrap();
        let m = write_manifest(dir.path(), "t", &[b.clone(), a.clone()]).unwrap();
        let text = fs::read_to_string(&m.path).unwrap();
        assert_eq!(
            text,
            format!(
                r#"{{"files":[{{"kind":"payload","path":"a.json","sha256":"{}"}},{{"kind":"property","path":"b.json","sha256":"{}"}}],"format":"torchlean.manifest.v1","name":"t"}}"#,
                a.sha256, b.sha256
            )
        );
        assert_eq!(a.sha256, sha256_ref(br#"{"format":"torchlean.payload.v1"}"#));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(fs::metadata(&a.path).unwrap().permissions().mode() & 0o777, 0o644);
        }
    }
}
