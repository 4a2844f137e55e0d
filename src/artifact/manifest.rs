//! `torchlean.manifest.v1`: a certificate directory's table of contents; reader and writer.
use std::path::Path;

use serde_json::{Value, json};

use super::store::{Written, write_artifact};
use super::source::Source;
use super::{Kind, expect_format};
use crate::error::{Error, Result};
use crate::json::guards::{array, at, clip, fields, is_file_name, literal, sha256, string};

/// One entry of a manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestEntry {
    pub path: String,
    pub kind: Kind,
    pub sha256: String,
    /// The file the artifact was made from (`verify`'s `--model` and `--property`), if recorded.
    pub source: Option<Source>,
}

/// A `torchlean.manifest.v1`: the certificate directory's name and every other artifact in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    pub name: String,
    pub files: Vec<ManifestEntry>,
}

/// Reads a `torchlean.manifest.v1`: entries sorted by path, each path a plain `*.json` file name.
pub fn read(value: &Value) -> Result<Manifest> {
    let [files, format, name] = fields(value, "", ["files", "format", "name"])?;
    expect_format(format, Kind::Manifest)?;
    let name = at("name", string(name))?;
    if !is_file_name(name) {
        return Err(Error::bad_input(format!(
            "name: expected a directory name of [A-Za-z0-9._-] (not \".\" or \"..\"), found \"{}\"",
            clip(name)
        )));
    }
    let mut entries: Vec<ManifestEntry> = Vec::new();
    for (i, v) in at("files", array(files))?.iter().enumerate() {
        let p = format!("files[{i}]");
        // `source` is the one optional member (`docs/format.md` §3).
        let (v, source) = match v.get("source") {
            Some(s) => {
                let mut rest = v.clone();
                rest.as_object_mut().expect("has a key").remove("source");
                (rest, Some(read_source(s, &format!("{p}.source"))?))
            }
            None => (v.clone(), None),
        };
        let [kind, path, hash] = fields(&v, &p, ["kind", "path", "sha256"])?;
        let names: Vec<&str> = Kind::ALL.iter().filter(|k| **k != Kind::Manifest).map(|k| k.name()).collect();
        let kind = Kind::from_name(at(&format!("{p}.kind"), literal(kind, &names))?).expect("literal checked");
        let path = at(&format!("{p}.path"), string(path))?;
        if !is_file_name(path) || !path.ends_with(".json") || path == "manifest.json" {
            return Err(Error::bad_input(format!(
                "{p}.path: expected a file name of [A-Za-z0-9._-] ending in \".json\", other than \"manifest.json\", found \"{}\"",
                clip(path)
            )));
        }
        if let Some(prev) = entries.last().filter(|e| e.path.as_str() >= path) {
            return Err(Error::bad_input(format!(
                "{p}.path: expected entries sorted by path without repeats, found \"{path}\" after \"{}\"",
                prev.path
            )));
        }
        let sha256 = at(&format!("{p}.sha256"), sha256(hash))?;
        entries.push(ManifestEntry { path: path.to_string(), kind, sha256, source });
    }
    Ok(Manifest { name: name.to_string(), files: entries })
}

/// `{"name", "sha256"}`: a file name (no `/`) and the reference of the file's bytes.
fn read_source(v: &Value, p: &str) -> Result<Source> {
    let [name, hash] = fields(v, p, ["name", "sha256"])?;
    let name = at(&format!("{p}.name"), string(name))?;
    if name.is_empty() || name.contains('/') || name == "." || name == ".." {
        return Err(Error::bad_input(format!("{p}.name: expected a file name (no \"/\"), found \"{}\"", clip(name))));
    }
    Ok(Source { name: name.to_string(), sha256: at(&format!("{p}.sha256"), sha256(hash))? })
}

/// Writes `<dir>/manifest.json` listing `files` (paths relative to `dir`, sorted) with kind and hash.
pub fn write(dir: &Path, name: &str, files: &[Written]) -> Result<Written> {
    write_with_sources(dir, name, files, &[])
}

/// [`write`], each file of a kind in `sources` naming that source file.
pub fn write_with_sources(dir: &Path, name: &str, files: &[Written], sources: &[(Kind, Source)]) -> Result<Written> {
    let mut entries: Vec<Value> = files
        .iter()
        .map(|w| {
            let rel = w.path.strip_prefix(dir).unwrap_or(&w.path);
            let mut e = json!({"path": rel.to_string_lossy(), "kind": w.kind, "sha256": w.sha256});
            if let Some((_, s)) = sources.iter().find(|(k, _)| k.name() == w.kind) {
                e["source"] = json!({"name": s.name, "sha256": s.sha256});
            }
            e
        })
        .collect();
    entries.sort_by(|a, b| a["path"].as_str().cmp(&b["path"].as_str()));
    let manifest = json!({"format": "torchlean.manifest.v1", "name": name, "files": entries});
    write_artifact(&dir.join("manifest.json"), "manifest", &manifest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use crate::json::sha256_ref;
    use std::fs;

    fn err(r: Result<impl std::fmt::Debug>) -> String {
        r.unwrap_err().to_string()
    }

    #[test]
    fn manifest_entries_are_sorted_plain_file_names() {
        let h = format!("sha256:{}", "0".repeat(64));
        let m = |files: Value| json!({"files": files, "format": "torchlean.manifest.v1", "name": "demo-mlp"});
        let ok = m(
            json!([{"kind": "payload", "path": "a.json", "sha256": h}, {"kind": "property", "path": "b.json", "sha256": h}]),
        );
        assert_eq!(read(&ok).unwrap().files.len(), 2);
        let unsorted = m(
            json!([{"kind": "payload", "path": "b.json", "sha256": h}, {"kind": "property", "path": "a.json", "sha256": h}]),
        );
        assert_eq!(
            err(read(&unsorted)),
            "files[1].path: expected entries sorted by path without repeats, found \"a.json\" after \"b.json\""
        );
        let escape = m(json!([{"kind": "payload", "path": "../a.json", "sha256": h}]));
        assert!(err(read(&escape)).starts_with("files[0].path: expected a file name"));
        let itself = m(json!([{"kind": "manifest", "path": "m.json", "sha256": h}]));
        assert!(err(read(&itself)).starts_with("files[0].kind: expected one of \"payload\""));
    }

    #[test]
    fn an_entry_may_name_its_source_file_by_name_and_hash() {
        let h = format!("sha256:{}", "0".repeat(64));
        let m = |source: Value| {
            json!({"files": [{"kind": "payload", "path": "payload.json", "sha256": h, "source": source}], "format": "torchlean.manifest.v1", "name": "x"})
        };
        let read_ok = read(&m(json!({"name": "a.nnet", "sha256": h}))).unwrap();
        assert_eq!(read_ok.files[0].source, Some(Source { name: "a.nnet".into(), sha256: h.clone() }));
        assert_eq!(
            read(&m(json!({"name": "../a.nnet", "sha256": h}))).unwrap_err().to_string(),
            "files[0].source.name: expected a file name (no \"/\"), found \"../a.nnet\""
        );
        assert!(read(&m(json!({"name": "a.nnet", "sha256": h, "path": "/tmp/a.nnet"}))).unwrap_err().to_string().contains("unknown key \"path\""));
        let dir = tempfile::tempdir().unwrap();
        let p = write_artifact(&dir.path().join("payload.json"), "payload", &json!({"format": "torchlean.payload.v1"})).unwrap();
        let src = Source { name: "a.nnet".into(), sha256: h.clone() };
        let w = write_with_sources(dir.path(), "x", &[p], &[(Kind::Payload, src.clone())]).unwrap();
        let back = read(&serde_json::from_slice(&std::fs::read(&w.path).unwrap()).unwrap()).unwrap();
        assert_eq!(back.files[0].source, Some(src));
    }

    #[test]
    fn manifest_lists_files_sorted_with_hashes() {
        let dir = tempfile::tempdir().unwrap();
        let b = write_artifact(&dir.path().join("b.json"), "property", &json!({"format": "torchlean.property.v1"})).unwrap();
        let a = write_artifact(&dir.path().join("a.json"), "payload", &json!({"format": "torchlean.payload.v1"})).unwrap();
        let m = write(dir.path(), "t", &[b.clone(), a.clone()]).unwrap();
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
