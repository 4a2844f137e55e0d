//! `audit`: re-reads a certificate directory and checks everything that binds its artifacts
//! together, without trusting whoever wrote them (`docs/format.md`, "What audit checks").
//!
//! Per directory: every `*.json` file must be canonical (RFC 8785) and valid for its kind; its
//! SHA-256 is recomputed; `manifest.json` must list every other artifact with the right kind and
//! hash and nothing else, and carry the directory's name; every `sha256:` reference must resolve to
//! an artifact of the right kind in the same directory; a certificate's boxes must start from and
//! end inside its property's boxes, a counterexample must really violate its property. With a Lean
//! directory, the module is re-derived from the artifacts and must equal the file byte for byte
//! (the *weak binding*: the Lean module restates exactly these artifacts).
//!
//! Problems are collected, not thrown: every file gets a row, and each problem is attached to the
//! row of the file it is about, once.
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::artifact::{Artifact, Certificate, GraphFile, Kind, Manifest, Property, TreeCertificate};
use crate::error::{Error, ErrorKind, Result};
use crate::ir::Graph;
use crate::json::{parse_canonical, sha256_ref};
use crate::lean::emit::{self, Binding, Texts};
use crate::model::{Model, lower};
use crate::num::interval::{Box, Interval};
use crate::num::rational::to_canonical;

/// The kind column of the row for a generated Lean module.
pub const LEAN_MODULE: &str = "lean-module";

/// One thing wrong with a file: how bad (`BadInput`: unreadable or malformed; `CheckFailed`: well
/// formed but not what its references, its manifest or its module say) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub kind: ErrorKind,
    pub message: String,
}

/// One audited file: its path, its kind (from its `format`; [`LEAN_MODULE`] for a Lean module),
/// its `sha256:` (of the bytes found) and what is wrong with it (nothing if ok).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    pub file: PathBuf,
    pub kind: Option<String>,
    pub sha256: Option<String>,
    pub problems: Vec<Problem>,
}

impl AuditRow {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// The rows of every audited directory, in order (per directory: files sorted by name, then the
/// Lean module).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditReport {
    pub rows: Vec<AuditRow>,
}

impl AuditReport {
    /// Whether every file passed.
    pub fn ok(&self) -> bool {
        self.rows.iter().all(AuditRow::ok)
    }
    /// 0 if ok; 1 (`CheckFailed`) if any hash, reference, manifest or binding check failed; else 2
    /// (`BadInput`: a file was unreadable, not canonical or not valid for its kind).
    pub fn exit_code(&self) -> i32 {
        let kinds = || self.rows.iter().flat_map(|r| &r.problems).map(|p| &p.kind);
        if kinds().any(|k| *k == ErrorKind::CheckFailed) {
            ErrorKind::CheckFailed.exit_code()
        } else if let Some(k) = kinds().next() {
            k.exit_code()
        } else {
            0
        }
    }
    /// Every problem as `<file>: <message>`.
    pub fn failures(&self) -> Vec<String> {
        self.rows
            .iter()
            .flat_map(|r| r.problems.iter().map(move |p| format!("{}: {}", r.file.display(), p.message)))
            .collect()
    }
    /// The row of the file whose path ends with `name`.
    pub fn row(&self, name: &str) -> Option<&AuditRow> {
        self.rows.iter().find(|r| r.file.ends_with(name))
    }
}

/// Audits `dir`: a certificate directory (it contains `manifest.json`), or a directory whose
/// immediate subdirectories with a `manifest.json` are certificate directories (each is audited).
/// With `lean_dir`, also checks each `<lean_dir>/Certificates/<Module>.lean` against the module
/// re-derived from the artifacts. Errors only when there is nothing to audit; every finding about
/// the files is a row of the report.
pub fn audit(dir: &Path, lean_dir: Option<&Path>) -> Result<AuditReport> {
    audit_with(dir, lean_dir, None)
}

/// [`audit`], and with `sources`, re-derives each payload and property from the source files they
/// name (found in `sources` by SHA-256) and demands the same bytes.
pub fn audit_with(dir: &Path, lean_dir: Option<&Path>, sources: Option<&Path>) -> Result<AuditReport> {
    if !dir.is_dir() {
        return Err(Error::bad_input(format!("cannot audit {}: not a directory", dir.display())));
    }
    let mut report = AuditReport::default();
    if dir.join("manifest.json").is_file() {
        audit_one(dir, lean_dir, sources, &mut report.rows)?;
        return Ok(report);
    }
    let read =
        fs::read_dir(dir).map_err(|e| Error::bad_input(format!("cannot read directory {}: {e}", dir.display())))?;
    let mut subdirs: Vec<PathBuf> =
        read.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.join("manifest.json").is_file()).collect();
    subdirs.sort();
    if subdirs.is_empty() {
        return Err(Error::bad_input(format!(
            "cannot audit {}: no manifest.json in it or in any directory directly below it",
            dir.display()
        )));
    }
    for d in subdirs {
        audit_one(&d, lean_dir, sources, &mut report.rows)?;
    }
    Ok(report)
}

/// A file of the directory as read: where its row is, its bytes' hash, its declared kind and, if
/// it is canonical and valid, the artifact.
struct File {
    name: String,
    row: usize,
    sha256: Option<String>,
    declared: Option<Kind>,
    json: bool,
    artifact: Option<Artifact>,
    bytes: Vec<u8>,
}

fn problem(rows: &mut [AuditRow], row: usize, kind: ErrorKind, message: String) {
    rows[row].problems.push(Problem { kind, message });
}

fn audit_one(dir: &Path, lean_dir: Option<&Path>, sources: Option<&Path>, rows: &mut Vec<AuditRow>) -> Result<()> {
    let files = read_files(dir, rows)?;
    let by_name = |n: &str| files.iter().find(|f| f.name == n);

    // The manifest: its own kind and name, then every entry against the file it lists.
    let manifest_file = by_name("manifest.json").expect("audit_one is called on directories with manifest.json");
    let manifest = match &manifest_file.artifact {
        Some(Artifact::Manifest(m)) => Some(m),
        Some(a) => {
            let msg = format!("expected a manifest (format {}), found a {}", Kind::Manifest.format(), a.kind());
            problem(rows, manifest_file.row, ErrorKind::BadInput, msg);
            None
        }
        None => None,
    };
    for f in files.iter().filter(|f| f.name != "manifest.json" && f.declared == Some(Kind::Manifest)) {
        problem(
            rows,
            f.row,
            ErrorKind::CheckFailed,
            "a manifest other than manifest.json; a directory has exactly one".into(),
        );
    }
    if let Some(m) = manifest {
        check_manifest(dir, m, manifest_file.row, &files, rows);
    }

    // References: each must name an artifact of the target kind in this directory.
    for f in &files {
        let Some(a) = &f.artifact else { continue };
        for r in a.references() {
            let hit = files.iter().find(|g| g.sha256.as_deref() == Some(&r.sha256));
            let msg = match hit {
                Some(g) if g.declared == Some(r.target) => continue,
                Some(g) => format!(
                    "{}: reference {} names {}, a {}; expected a {}",
                    r.key,
                    r.sha256,
                    g.name,
                    g.declared.map_or("file of unknown kind", Kind::name),
                    r.target
                ),
                None => {
                    let here: Vec<String> = files
                        .iter()
                        .filter(|g| g.declared == Some(r.target))
                        .map(|g| format!("{} is {}", g.name, g.sha256.as_deref().unwrap_or("unreadable")))
                        .collect();
                    let here = if here.is_empty() { format!("there is no {} here", r.target) } else { here.join(", ") };
                    format!(
                        "{}: reference {} does not resolve to a {} in {} (found: {here})",
                        r.key,
                        r.sha256,
                        r.target,
                        dir.display()
                    )
                }
            };
            problem(rows, f.row, ErrorKind::CheckFailed, msg);
        }
    }

    // Meaning across artifacts: the certificate/counterexample against its payload and property.
    let resolve = |sha: &str| files.iter().find(|g| g.sha256.as_deref() == Some(sha)).and_then(|g| g.artifact.as_ref());
    // The network a payload denotes (its family's graph); `None` when it cannot be lowered.
    let payload = |sha: &str| match resolve(sha) {
        Some(Artifact::Payload(m)) => lower(m).ok(),
        _ => None,
    };
    let property = |sha: &str| match resolve(sha) {
        Some(Artifact::Property(p)) => Some(p),
        _ => None,
    };
    let violation = |sha: &str| resolve(sha).and_then(Artifact::violation);
    for f in &files {
        let found = match &f.artifact {
            Some(Artifact::Certificate(c)) => match (payload(&c.payload), property(&c.property)) {
                (Some(g), Some(p)) => check_certificate(&g, p, c),
                _ => Vec::new(),
            },
            Some(Artifact::Counterexample(c)) => match (payload(&c.payload), property(&c.property), violation(&c.property)) {
                (Some(g), Some(p), _) if c.violation.is_none() => crate::checker::counterexample::output_box_problems(&g, p, c),
                (Some(g), _, Some(p)) => crate::checker::counterexample::problems(&g, &p, c),
                _ => Vec::new(),
            },
            Some(Artifact::TreeCertificate(c)) => match (payload(&c.payload), violation(&c.property)) {
                (Some(g), Some(p)) => check_tree_shape(&g, &p, c),
                _ => Vec::new(),
            },
            Some(Artifact::Graph(g)) => match resolve(&g.payload) {
                Some(Artifact::Payload(m)) => check_graph(m, g),
                _ => Vec::new(),
            },
            _ => Vec::new(),
        };
        for msg in found {
            problem(rows, f.row, ErrorKind::CheckFailed, msg);
        }
    }

    if let (Some(src), Some(m)) = (sources, manifest) {
        for e in m.files.iter().filter(|e| matches!(e.kind, Kind::Payload | Kind::Property)) {
            let Some(f) = by_name(&e.path).filter(|f| f.artifact.is_some()) else { continue };
            if let Err(msg) = check_source(f, e, src) {
                problem(rows, f.row, ErrorKind::CheckFailed, msg);
            }
        }
    }
    if let (Some(lean_dir), Some(m)) = (lean_dir, manifest) {
        check_lean(lean_dir, m, &files, rows);
    }
    Ok(())
}

/// Reads every `*.json` file of `dir` (sorted by name), adds its row, and parses what parses.
fn read_files(dir: &Path, rows: &mut Vec<AuditRow>) -> Result<Vec<File>> {
    let read =
        fs::read_dir(dir).map_err(|e| Error::bad_input(format!("cannot read directory {}: {e}", dir.display())))?;
    let mut names: Vec<String> = read
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_file())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    let mut files = Vec::new();
    for name in names {
        let path = dir.join(&name);
        let row = rows.len();
        rows.push(AuditRow { file: path.clone(), kind: None, sha256: None, problems: Vec::new() });
        let mut file = File { name, row, sha256: None, declared: None, json: false, artifact: None, bytes: Vec::new() };
        match fs::read(&path) {
            Err(e) => problem(rows, row, ErrorKind::BadInput, format!("cannot read: {e}")),
            Ok(bytes) => {
                let sha = sha256_ref(&bytes);
                rows[row].sha256 = Some(sha.clone());
                file.sha256 = Some(sha);
                let parsed = parse_canonical(&bytes);
                file.bytes = bytes.clone();
                match parsed {
                    Err(e) => {
                        problem(rows, row, ErrorKind::BadInput, e.to_string());
                        // Still name the kind it declares, if it is JSON at all.
                        let lenient: Option<Value> = serde_json::from_slice(&bytes).ok();
                        file.json = lenient.is_some();
                        file.declared = lenient.as_ref().and_then(Kind::of);
                        rows[row].kind = file.declared.map(|k| k.name().to_string());
                    }
                    Ok(v) => {
                        file.json = true;
                        file.declared = Kind::of(&v);
                        rows[row].kind = file.declared.map(|k| k.name().to_string());
                        match Artifact::read(&v) {
                            Ok(a) => file.artifact = Some(a),
                            Err(e) => problem(rows, row, ErrorKind::BadInput, e.to_string()),
                        }
                    }
                }
            }
        }
        files.push(file);
    }
    Ok(files)
}

/// The manifest's name is the directory's; each entry matches its file; every artifact is listed.
fn check_manifest(dir: &Path, m: &Manifest, row: usize, files: &[File], rows: &mut [AuditRow]) {
    let dir_name = fs::canonicalize(dir).ok().and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()));
    if let Some(d) = dir_name.filter(|d| *d != m.name) {
        problem(
            rows,
            row,
            ErrorKind::CheckFailed,
            format!("name: expected \"{d}\" (the directory's name), found \"{}\"", m.name),
        );
    }
    for (i, e) in m.files.iter().enumerate() {
        let Some(f) = files.iter().find(|f| f.name == e.path) else {
            let msg = format!("files[{i}]: lists {} ({}), which does not exist in {}", e.path, e.sha256, dir.display());
            problem(rows, row, ErrorKind::CheckFailed, msg);
            continue;
        };
        if let Some(found) = f.sha256.as_deref().filter(|s| *s != e.sha256) {
            let msg = format!("sha256 mismatch: manifest.json files[{i}] lists {}, found {found}", e.sha256);
            problem(rows, f.row, ErrorKind::CheckFailed, msg);
        }
        if f.json && f.declared != Some(e.kind) {
            let declared = f.declared.map_or("not a known kind".to_string(), |k| format!("a {k}"));
            let msg = format!("kind mismatch: manifest.json files[{i}] lists a {}, its format says {declared}", e.kind);
            problem(rows, f.row, ErrorKind::CheckFailed, msg);
        }
    }
    for f in files.iter().filter(|f| f.name != "manifest.json" && f.declared != Some(Kind::Manifest)) {
        if !m.files.iter().any(|e| e.path == f.name) {
            let sha = f.sha256.as_deref().unwrap_or("unreadable");
            problem(rows, f.row, ErrorKind::CheckFailed, format!("not listed in manifest.json (found {sha})"));
        }
    }
}

fn interval_text(i: &Interval) -> String {
    format!("[{}, {}]", to_canonical(&i.lo), to_canonical(&i.hi))
}

/// `inner ⊆ outer` coordinatewise, or the first coordinate where it fails.
fn box_subset(inner: &Box, outer: &Box) -> std::result::Result<(), String> {
    if inner.len() != outer.len() {
        return Err(format!("dimension {} vs {}", inner.len(), outer.len()));
    }
    match inner.iter().zip(outer).position(|(a, b)| !a.subset(b)) {
        None => Ok(()),
        Some(j) => {
            Err(format!("coordinate {j}: {} is not inside {}", interval_text(&inner[j]), interval_text(&outer[j])))
        }
    }
}

/// The certificate's boxes fit the network's widths, start from a box containing the property's
/// input box and end inside its output box. (Each layer step is Lean's to check.)
fn check_certificate(graph: &Graph, p: &Property, c: &Certificate) -> Vec<String> {
    let Ok(widths) = crate::bounds::dense::Dense::of(graph).and_then(|d| d.widths()) else {
        return vec!["payload: expected a dense relu/identity network (method ibp certificates are about one)".into()];
    };
    let n = widths.len() - 1;
    if c.boxes.len() != n + 1 {
        return vec![format!("boxes: expected {} boxes for a {n}-layer network, found {}", n + 1, c.boxes.len())];
    }
    let mut out = Vec::new();
    for (k, (b, w)) in c.boxes.iter().zip(&widths).enumerate() {
        if b.len() != *w {
            out.push(format!(
                "boxes[{k}]: expected {w} intervals (spec.widths[{k}] of the payload), found {}",
                b.len()
            ));
        }
    }
    if !out.is_empty() {
        return out;
    }
    if let Err(why) = box_subset(&p.input_box, &c.boxes[0]) {
        out.push(format!("boxes[0]: expected to contain the property's input_box, but {why}"));
    }
    if let Err(why) = box_subset(&c.boxes[n], &p.output_box) {
        out.push(format!("boxes[{n}]: expected to lie inside the property's output_box, but {why}"));
    }
    out
}


/// The tree's leaves have one α per hidden neuron and one refutation per disjunct whose row
/// exists and whose bound refutes it (re-bounding the leaves is `torchlean check-cert`'s job).
fn check_tree_shape(graph: &Graph, p: &crate::property::Vnnlib, c: &TreeCertificate) -> Vec<String> {
    use crate::bounds::dense::View;
    // Leaves of dense networks carry one α per hidden neuron; enclosure IBP leaves carry none.
    let hidden: Vec<usize> = match View::of(graph) {
        Ok(View::Dense(d)) => match d.widths() {
            Ok(w) => w[1..w.len() - 1].to_vec(),
            Err(e) => return vec![format!("payload: {e}")],
        },
        Ok(View::Env(_)) => Vec::new(),
        Err(e) => return vec![format!("payload: expected a network verify takes (bab certificates are about one): {e}")],
    };
    let mut out = Vec::new();
    let leaves = match c.tree.leaf_boxes(&p.input_box) {
        Ok(l) => l,
        Err(e) => return vec![format!("certificate: {e}")],
    };
    for (n, (_, refute, alphas)) in leaves.iter().enumerate() {
        if alphas.len() != hidden.len() || alphas.iter().zip(&hidden).any(|(a, w)| a.len() != *w) {
            out.push(format!("leaf {n}: alpha: expected one α per hidden neuron (widths {hidden:?})"));
        }
        if refute.len() != p.violation.len() {
            out.push(format!("leaf {n}: refute: expected {} refutations (one per disjunct), found {}", p.violation.len(), refute.len()));
            continue;
        }
        for (d, r) in refute.iter().enumerate() {
            match r.combined(&p.violation[d]) {
                Err(why) => out.push(format!("leaf {n} disjunct {d}: {why}")),
                Ok(row) if !crate::search::bab::refutes(&row, &r.bound) => out.push(format!(
                    "leaf {n} disjunct {d}: bound {} does not refute its weighted row (≤ {})",
                    to_canonical(&r.bound),
                    to_canonical(&row.rhs)
                )),
                Ok(_) => {}
            }
        }
        if out.len() > 20 {
            break;
        }
    }
    // Re-bounding every leaf is `check-cert`'s job, but on small trees it costs audit little and
    // catches what hashes cannot: a leaf bound tightened, a split moved, the engine renamed, with
    // the manifest re-hashed to match.
    let weights: usize = graph.tensors().names().filter_map(|n| graph.tensors().get(n)).map(|t| t.data().len()).sum();
    if out.is_empty()
        && leaves.len().saturating_mul(weights) <= AUDIT_RECHECK_WORK
        && let Err(e) = crate::checker::tree::recheck(graph, p, &c.tree, c.intermediate, c.leaf_bound)
    {
        out.push(format!("certificate: re-bounded by audit: {e}"));
    }
    out
}

/// Leaves × weights up to which `audit` re-bounds a tree certificate itself (about a second).
const AUDIT_RECHECK_WORK: usize = 2_000_000;

/// Every param of the graph names a tensor of its payload, and the graph built over the payload's
/// tensors is well formed (shapes inferred and checked).
fn check_graph(model: &Model, g: &GraphFile) -> Vec<String> {
    let names: Vec<&str> = model.tensors().iter().map(|(n, _)| n.as_str()).collect();
    let mut out = Vec::new();
    for (j, node) in g.nodes.iter().enumerate() {
        for (k, p) in node.params.iter().enumerate() {
            if !names.contains(&p.as_str()) {
                out.push(format!("nodes[{j}].params[{k}]: expected a tensor name of the payload, found \"{p}\""));
            }
        }
    }
    if out.is_empty()
        && let Err(e) = crate::model::tensor_store(model).and_then(|st| crate::artifact::graph::build(g, st))
    {
        out.push(format!("cannot be built over the payload's tensors: {e}"));
    }
    out
}

/// The bytes of the certificate and of the payload and property it references, for re-deriving a
/// module in the strong binding form.
fn texts_of<'a>(files: &'a [File], certificate: &'a [u8], payload: &str, property: &str) -> Option<Texts<'a>> {
    let bytes = |sha: &str| files.iter().find(|g| g.sha256.as_deref() == Some(sha)).map(|g| g.bytes.as_slice());
    Some(Texts { certificate, payload: bytes(payload)?, property: bytes(property)? })
}

/// The file in `dir` with SHA-256 `sha`: `dir/<name>` if it has it, else any file directly in `dir`.
fn find_source(dir: &Path, s: &crate::artifact::source::Source) -> std::result::Result<PathBuf, String> {
    let sha_of = |p: &Path| fs::read(p).ok().map(|b| sha256_ref(&b));
    let named = dir.join(&s.name);
    if sha_of(&named).as_deref() == Some(s.sha256.as_str()) {
        return Ok(named);
    }
    let mut others: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(|e| format!("cannot read the sources directory {}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    others.sort();
    if let Some(p) = others.into_iter().find(|p| sha_of(p).as_deref() == Some(s.sha256.as_str())) {
        return Ok(p);
    }
    let found = match sha_of(&named) {
        Some(sha) => format!("{} is {sha}", named.display()),
        None => format!("no {}", named.display()),
    };
    Err(format!("source: {} ({}) is not in {}: no file there has that SHA-256 ({found})", s.name, s.sha256, dir.display()))
}

/// `audit --sources`: the artifact is what the source file its manifest entry names gives when read
/// again (a `.nnet`, `.vnnlib` or JSON file, by the readers `verify` used), byte for byte.
fn check_source(f: &File, e: &crate::artifact::ManifestEntry, dir: &Path) -> std::result::Result<(), String> {
    let Some(source) = &e.source else {
        return Err(format!(
            "source: manifest.json names no file this {} was made from (written by `torchlean demo`, or before sources were recorded)",
            e.kind.name()
        ));
    };
    let path = find_source(dir, source)?;
    let rederived = match e.kind {
        Kind::Payload => crate::artifact::payload::read_model_file(&path).and_then(|m| crate::json::canonical_bytes(&crate::artifact::payload::write(&m))),
        // A VNN-LIB file over several input boxes gives one property per box: the artifact must
        // be one of them (the first is shown when none is).
        _ => crate::artifact::property::read_file_regions(&path).and_then(|rs| {
            let all: Vec<Vec<u8>> = rs.iter().map(|(_, v)| crate::json::canonical_bytes(v)).collect::<crate::error::Result<_>>()?;
            Ok(all.iter().find(|b| **b == f.bytes).unwrap_or(&all[0]).clone())
        }),
    }
    .map_err(|err| format!("source: cannot re-derive from {}: {err}", path.display()))?;
    if rederived != f.bytes {
        let at = rederived.iter().zip(&f.bytes).position(|(a, b)| a != b).unwrap_or(rederived.len().min(f.bytes.len()));
        return Err(format!(
            "source: re-derived from {} it is {}, found {}: they differ from byte {at} on",
            path.display(),
            sha256_ref(&rederived),
            sha256_ref(&f.bytes)
        ));
    }
    Ok(())
}

/// The weak binding: `<lean_dir>/Certificates/<Module>.lean` equals the module re-derived from
/// the manifest's name, the certificate, its payload and its hashes.
fn check_lean(lean_dir: &Path, m: &Manifest, files: &[File], rows: &mut Vec<AuditRow>) {
    let module = emit::module_name(&m.name);
    let path = lean_dir.join("Certificates").join(format!("{module}.lean"));
    let certs: Vec<&File> = files.iter().filter(|f| f.declared == Some(Kind::Certificate)).collect();
    if certs.is_empty() {
        return;
    }
    let row = rows.len();
    rows.push(AuditRow { file: path.clone(), kind: Some(LEAN_MODULE.into()), sha256: None, problems: Vec::new() });
    let found = fs::read(&path).ok();
    rows[row].sha256 = found.as_deref().map(sha256_ref);
    let derived: std::result::Result<Vec<(String, String)>, String> = match certs.as_slice() {
        [f] => match (&f.artifact, &f.sha256) {
            (Some(Artifact::Certificate(c)), Some(sha)) => {
                let dense = files.iter().find(|g| g.sha256.as_deref() == Some(&c.payload)).and_then(|g| match &g.artifact {
                    Some(Artifact::Payload(m)) => lower(m).and_then(|g| crate::bounds::dense::Dense::of(&g)).ok(),
                    _ => None,
                });
                match dense {
                    Some(dense) => {
                        let texts = texts_of(files, &f.bytes, &c.payload, &c.property);
                        let binding = Binding { certificate: sha, payload: &c.payload, property: &c.property, texts };
                        Ok(vec![(format!("Certificates/{module}.lean"), emit::dense_ibp_module(&m.name, &dense, &c.boxes, &binding))])
                    }
                    None => Err(format!("{}'s payload reference does not resolve to a valid dense payload", f.name)),
                }
            }
            (Some(Artifact::TreeCertificate(c)), Some(sha)) => {
                let graph = files.iter().find(|g| g.sha256.as_deref() == Some(&c.payload)).and_then(|g| match &g.artifact {
                    Some(Artifact::Payload(m)) => lower(m).ok(),
                    _ => None,
                });
                let prop = files
                    .iter()
                    .find(|g| g.sha256.as_deref() == Some(&c.property))
                    .and_then(|g| g.artifact.as_ref())
                    .and_then(Artifact::violation);
                match (graph, prop) {
                    (Some(graph), Some(prop)) => {
                        let texts = texts_of(files, &f.bytes, &c.payload, &c.property);
                        let binding = Binding { certificate: sha, payload: &c.payload, property: &c.property, texts };
                        emit::tree_modules(&m.name, &graph, &prop, &c.tree, c.intermediate, c.leaf_bound, &binding, None, &Default::default())
                            .map(|(_, files)| files)
                            .map_err(|e| e.to_string())
                    }
                    _ => Err(format!("{}'s payload or property reference does not resolve to a valid artifact", f.name)),
                }
            }
            _ => Err(format!("{} is not a valid certificate", f.name)),
        },
        _ => Err(format!("{} certificates in one directory; expected one", certs.len())),
    };
    let derived = match derived {
        Ok(files) => files,
        Err(why) => return problem(rows, row, ErrorKind::CheckFailed, format!("cannot re-derive the module: {why}")),
    };
    // Part modules (packed certificates): each must be its re-derivation, and no other file may sit
    // among them, since `check` builds every module of the project.
    let parts_dir = lean_dir.join("Certificates").join(&module);
    for (rel, text) in derived.iter().skip(1) {
        let part = lean_dir.join(rel);
        let r = rows.len();
        let found = fs::read(&part).ok();
        rows.push(AuditRow { file: part, kind: Some(LEAN_MODULE.into()), sha256: found.as_deref().map(sha256_ref), problems: Vec::new() });
        compare_module(rows, r, text, found);
    }
    if let Ok(entries) = fs::read_dir(&parts_dir) {
        let mut stray: Vec<String> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| !derived.iter().any(|(rel, _)| lean_dir.join(rel) == *p))
            .map(|p| p.display().to_string())
            .collect();
        stray.sort();
        if !stray.is_empty() {
            problem(rows, row, ErrorKind::CheckFailed, format!("unexpected files among the certificate's part modules: {}", stray.join(", ")));
        }
    }
    compare_module(rows, row, &derived[0].1, found);
}

/// Byte equality of a module file with its re-derivation (the weak binding).
fn compare_module(rows: &mut [AuditRow], row: usize, derived: &str, found: Option<Vec<u8>>) {
    let want = sha256_ref(derived.as_bytes());
    match found {
        None => problem(
            rows,
            row,
            ErrorKind::CheckFailed,
            format!("missing: expected the module re-derived from the artifacts ({want})"),
        ),
        Some(bytes) if bytes != derived.as_bytes() => {
            let line = derived
                .lines()
                .zip(String::from_utf8_lossy(&bytes).lines())
                .position(|(a, b)| a != b)
                .unwrap_or_else(|| derived.lines().count().min(bytes.split(|b| *b == b'\n').count()))
                + 1;
            let msg = format!(
                "weak binding broken: the module re-derived from the artifacts is {want}, found {} (first difference on line {line})",
                sha256_ref(&bytes)
            );
            problem(rows, row, ErrorKind::CheckFailed, msg);
        }
        Some(_) => {}
    }
}
