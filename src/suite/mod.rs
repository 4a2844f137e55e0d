//! Suites: a VNN-COMP `instances.csv` (`network,property,timeout` per line, paths relative to the
//! file) decided instance by instance into one output directory, resumably, in deterministic
//! shards, with one suite manifest that references every instance's artifacts by hash.
//!
//! Layout of `--out DIR`: `runs/<id>/` is an instance's certificate directory (or its regions'),
//! `results/<id>.json` its record (`torchlean.suite-result.v1`), written last and atomically, so
//! an instance is finished exactly when its record is there, names the same input files (by
//! SHA-256) and its certificate directories audit clean. `suite.json` (or
//! `suite.shard-I-of-N.json`) lists the records by hash. A file the instances file names that
//! exists only compressed (`<file>.gz`, as VNN-COMP ships benchmarks) is decompressed into
//! `inputs/`.
pub mod instance;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

use crate::artifact::store::write_atomic;
use crate::error::{Error, Result};
use crate::json::canonical::{canonical_bytes, sha256_ref};
pub use instance::{InstanceOptions, InstanceOutcome, Verdict, run_instance, vnncomp_results};

/// One line of an instances file.
#[derive(Debug, Clone, PartialEq)]
pub struct Instance {
    /// 0-based position among the instances (shards split by it).
    pub index: usize,
    /// The network and property as written in the file, and resolved against its folder.
    pub model_text: String,
    pub property_text: String,
    pub model: PathBuf,
    pub property: PathBuf,
    pub timeout: f64,
    /// `<network stem>.<property stem>`: names the instance's directory, record and Lean module.
    pub id: String,
}

/// `I/N`: the instances whose index is `I − 1` modulo `N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    pub fn parse(s: &str) -> Result<Shard> {
        let bad = || Error::bad_input(format!("--shard: expected I/N with 1 ≤ I ≤ N, found \"{s}\""));
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count): (usize, usize) = (i.parse().map_err(|_| bad())?, n.parse().map_err(|_| bad())?);
        if index == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
    pub fn contains(&self, k: usize) -> bool {
        k % self.count == self.index - 1
    }
}

/// The name of an instance: `<network stem>.<property stem>`, each reduced to `[A-Za-z0-9_-]`.
pub fn instance_id(network: &str, property: &str) -> String {
    format!("{}.{}", stem(network), stem(property))
}

fn stem(p: &str) -> String {
    let name = p.rsplit('/').next().unwrap_or(p);
    let name = name.strip_suffix(".gz").unwrap_or(name);
    let name = name.rsplit_once('.').map_or(name, |(s, _)| s);
    name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '-' { c } else { '_' }).collect()
}

/// Reads an instances file (VNN-COMP's `instances.csv`: no header, three fields a line).
pub fn read_instances(csv: &Path) -> Result<Vec<Instance>> {
    let text = std::fs::read_to_string(csv).map_err(|e| Error::io("cannot read", csv, e))?;
    let base = csv.parent().unwrap_or(Path::new("."));
    let mut out: Vec<Instance> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let at = |m: String| Error::bad_input(format!("{}:{}: {m}", csv.display(), n + 1));
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let [model, property, timeout] = fields[..] else {
            return Err(at(format!("expected 3 fields (network,property,timeout_seconds), found {}", fields.len())));
        };
        let t: f64 = timeout.parse().ok().filter(|t: &f64| t.is_finite() && *t >= 0.0).ok_or_else(|| at(format!("timeout: expected a number of seconds ≥ 0, found \"{timeout}\"")))?;
        let id = instance_id(model, property);
        if let Some(other) = out.iter().find(|i| i.id == id) {
            return Err(at(format!("expected each instance once, found {id} again (line {} has it)", other.index + 1)));
        }
        out.push(Instance {
            index: out.len(),
            model_text: model.to_string(),
            property_text: property.to_string(),
            model: base.join(model),
            property: base.join(property),
            timeout: t,
            id,
        });
    }
    if out.is_empty() {
        return Err(Error::bad_input(format!("{}: expected at least one instance, found none", csv.display())));
    }
    Ok(out)
}

/// A finished instance's record.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub instance: Instance,
    pub model_sha256: String,
    pub property_sha256: String,
    pub verdict: Verdict,
    pub seconds: f64,
    pub detail: String,
    /// Certificate directories relative to the suite directory, with their manifests' SHA-256.
    pub certificates: Vec<(String, String)>,
    /// Whether this run decided it (false: found finished and reused).
    pub fresh: bool,
}

impl Record {
    fn to_json(&self) -> Value {
        let certs: Vec<Value> = self.certificates.iter().map(|(d, m)| json!({"dir": d, "manifest": m})).collect();
        json!({
            "format": "torchlean.suite-result.v1",
            "id": self.instance.id,
            "index": self.instance.index,
            "network": {"path": self.instance.model_text, "sha256": self.model_sha256},
            "property": {"path": self.instance.property_text, "sha256": self.property_sha256},
            "timeout": self.instance.timeout,
            "verdict": self.verdict.word(),
            "seconds": (self.seconds * 1000.0).round() / 1000.0,
            "detail": self.detail,
            "certificates": certs,
        })
    }
}

/// What a suite run is asked to do.
#[derive(Debug, Clone)]
pub struct SuiteConfig {
    pub csv: PathBuf,
    pub out: PathBuf,
    pub jobs: usize,
    pub shard: Option<Shard>,
    /// Run nothing: collect the records of every instance (all shards) into `suite.json`.
    pub merge: bool,
    pub instance: InstanceOptions,
}

/// The records of the instances in scope (index order) and the suite manifest written.
#[derive(Debug)]
pub struct SuiteReport {
    pub records: Vec<Record>,
    pub manifest: PathBuf,
    pub manifest_sha256: String,
}

/// The file an instance names, or, when only `<file>.gz` exists (VNN-COMP distributes benchmarks
/// compressed and its scripts unzip them first), its decompression in `out/inputs/`.
fn input_file(out: &Path, path: &Path) -> Result<PathBuf> {
    use std::io::Read;
    let mut gz = path.as_os_str().to_owned();
    gz.push(".gz");
    let gz = PathBuf::from(gz);
    if path.exists() || !gz.is_file() {
        return Ok(path.to_path_buf());
    }
    let name = path.file_name().ok_or_else(|| Error::bad_input(format!("{}: expected a file name", path.display())))?;
    let target = out.join("inputs").join(name);
    let file = std::fs::File::open(&gz).map_err(|e| Error::io("cannot read", &gz, e))?;
    let limit = crate::limits::MAX_ONNX_BYTES as u64;
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(file).take(limit + 1).read_to_end(&mut bytes).map_err(|e| Error::bad_input(format!("{}: expected gzip data, found {e}", gz.display())))?;
    if bytes.len() as u64 > limit {
        return Err(Error::bad_input(format!("{}: expected at most {limit} bytes once decompressed, found more", gz.display())));
    }
    if std::fs::read(&target).ok().as_deref() != Some(&bytes[..]) {
        write_atomic(&target, &bytes)?;
    }
    Ok(target)
}

/// `inst` with its files resolved ([`input_file`]).
fn resolved(out: &Path, inst: &Instance) -> Result<Instance> {
    Ok(Instance { model: input_file(out, &inst.model)?, property: input_file(out, &inst.property)?, ..inst.clone() })
}

fn record_path(out: &Path, id: &str) -> PathBuf {
    out.join("results").join(format!("{id}.json"))
}

/// The record of `inst` if it is finished: the record parses, names the files the instance names
/// now (same SHA-256) and the same time limit, and every certificate directory it lists audits
/// clean with the manifest hash it records.
fn finished(out: &Path, inst: &Instance) -> Option<Record> {
    let inst = &resolved(out, inst).ok()?;
    let bytes = std::fs::read(record_path(out, &inst.id)).ok()?;
    let v: Value = serde_json::from_slice(&bytes).ok()?;
    let model_sha256 = instance::file_sha(&inst.model).ok()?;
    let property_sha256 = instance::file_sha(&inst.property).ok()?;
    if v["network"]["sha256"] != model_sha256.as_str() || v["property"]["sha256"] != property_sha256.as_str() || v["timeout"].as_f64() != Some(inst.timeout) {
        return None;
    }
    let mut certificates = Vec::new();
    for c in v["certificates"].as_array()? {
        let (dir, manifest) = (c["dir"].as_str()?, c["manifest"].as_str()?);
        let path = out.join(dir);
        if instance::file_sha(&path.join("manifest.json")).ok()? != manifest || !crate::audit::audit(&path, None).ok()?.ok() {
            return None;
        }
        certificates.push((dir.to_string(), manifest.to_string()));
    }
    Some(Record {
        instance: inst.clone(),
        model_sha256,
        property_sha256,
        verdict: Verdict::from_word(v["verdict"].as_str()?)?,
        seconds: v["seconds"].as_f64()?,
        detail: v["detail"].as_str()?.to_string(),
        certificates,
        fresh: false,
    })
}

/// Decides `inst` afresh into `out/runs/<id>` (a stale directory from an interrupted run is
/// removed first) and writes its record.
fn decide(out: &Path, inst: &Instance, opts: &InstanceOptions) -> Result<Record> {
    let dir = out.join("runs").join(&inst.id);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(|e| Error::io("cannot remove the unfinished", &dir, e))?;
    }
    let inst = &resolved(out, inst)?;
    let model_sha256 = instance::file_sha(&inst.model).unwrap_or_else(|e| format!("unreadable: {e}"));
    let property_sha256 = instance::file_sha(&inst.property).unwrap_or_else(|e| format!("unreadable: {e}"));
    let o = run_instance(&inst.model, &inst.property, Duration::from_secs_f64(inst.timeout), &dir, opts);
    let certificates = o
        .manifests
        .iter()
        .map(|(d, m)| (d.strip_prefix(out).unwrap_or(d).to_string_lossy().replace('\\', "/"), m.clone()))
        .collect();
    let r = Record { instance: inst.clone(), model_sha256, property_sha256, verdict: o.verdict, seconds: o.seconds, detail: o.detail, certificates, fresh: true };
    write_atomic(&record_path(out, &inst.id), &canonical_bytes(&r.to_json())?)?;
    Ok(r)
}

/// Runs (or with `merge`, collects) a suite; `done` is called as each instance finishes, with
/// the number finished so far and the total in scope.
pub fn run_suite(cfg: &SuiteConfig, done: impl Fn(&Record, usize, usize) + Sync) -> Result<SuiteReport> {
    let all = read_instances(&cfg.csv)?;
    let scope: Vec<&Instance> = all.iter().filter(|i| cfg.shard.is_none_or(|s| s.contains(i.index))).collect();
    std::fs::create_dir_all(cfg.out.join("results")).map_err(|e| Error::io("cannot create", &cfg.out.join("results"), e))?;
    let total = scope.len();
    let records: Mutex<Vec<Record>> = Mutex::new(Vec::with_capacity(total));
    let count = AtomicUsize::new(0);
    let mut todo = Vec::new();
    for inst in &scope {
        match finished(&cfg.out, inst) {
            Some(r) => {
                let k = count.fetch_add(1, Ordering::SeqCst) + 1;
                done(&r, k, total);
                records.lock().expect("no panic holds it").push(r);
            }
            None => todo.push(*inst),
        }
    }
    if cfg.merge && !todo.is_empty() {
        let ids: Vec<&str> = todo.iter().take(5).map(|i| i.id.as_str()).collect();
        return Err(Error::bad_input(format!(
            "--merge: expected every instance finished in {}, found {} not ({}{})",
            cfg.out.display(),
            todo.len(),
            ids.join(", "),
            if todo.len() > ids.len() { ", …" } else { "" }
        )));
    }
    let next = AtomicUsize::new(0);
    let failure: Mutex<Option<Error>> = Mutex::new(None);
    std::thread::scope(|s| {
        for _ in 0..cfg.jobs.max(1).min(todo.len().max(1)) {
            s.spawn(|| {
                loop {
                    let k = next.fetch_add(1, Ordering::SeqCst);
                    let Some(inst) = todo.get(k) else { break };
                    match decide(&cfg.out, inst, &cfg.instance) {
                        Ok(r) => {
                            let n = count.fetch_add(1, Ordering::SeqCst) + 1;
                            done(&r, n, total);
                            records.lock().expect("no panic holds it").push(r);
                        }
                        Err(e) => {
                            failure.lock().expect("no panic holds it").get_or_insert(e);
                            break;
                        }
                    }
                }
            });
        }
    });
    if let Some(e) = failure.into_inner().expect("threads joined") {
        return Err(e);
    }
    let mut records = records.into_inner().expect("threads joined");
    records.sort_by_key(|r| r.instance.index);
    let (manifest, manifest_sha256) = write_manifest(cfg, &records)?;
    Ok(SuiteReport { records, manifest, manifest_sha256 })
}

/// `suite.json` (or `suite.shard-I-of-N.json`): the instances file and every record, by hash.
fn write_manifest(cfg: &SuiteConfig, records: &[Record]) -> Result<(PathBuf, String)> {
    let csv_bytes = std::fs::read(&cfg.csv).map_err(|e| Error::io("cannot read", &cfg.csv, e))?;
    let mut results = Vec::with_capacity(records.len());
    for r in records {
        let path = record_path(&cfg.out, &r.instance.id);
        let sha = instance::file_sha(&path)?;
        results.push(json!({"id": r.instance.id, "index": r.instance.index, "verdict": r.verdict.word(),
            "record": {"path": format!("results/{}.json", r.instance.id), "sha256": sha}}));
    }
    let counts: serde_json::Map<String, Value> =
        Verdict::ALL.iter().map(|v| (v.word().to_string(), json!(records.iter().filter(|r| r.verdict == *v).count()))).collect();
    let name = cfg.csv.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    let value = json!({
        "format": "torchlean.suite.v1",
        "instances": {"name": name, "sha256": sha256_ref(&csv_bytes)},
        "shard": cfg.shard.map(|s| format!("{}/{}", s.index, s.count)),
        "counts": counts,
        "results": results,
    });
    let file = match cfg.shard {
        None => "suite.json".to_string(),
        Some(s) => format!("suite.shard-{}-of-{}.json", s.index, s.count),
    };
    let path = cfg.out.join(file);
    let bytes = canonical_bytes(&value)?;
    write_atomic(&path, &bytes)?;
    Ok((path, sha256_ref(&bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_instances() {
        let shards: Vec<Shard> = (1..=3).map(|i| Shard::parse(&format!("{i}/3")).unwrap()).collect();
        for k in 0..40 {
            assert_eq!(shards.iter().filter(|s| s.contains(k)).count(), 1);
        }
        assert_eq!((0..40).filter(|k| shards[0].contains(*k)).collect::<Vec<_>>()[..4], [0, 3, 6, 9]);
        assert_eq!(Shard::parse("0/2").unwrap_err().to_string(), "--shard: expected I/N with 1 ≤ I ≤ N, found \"0/2\"");
        assert_eq!(Shard::parse("3/2").unwrap_err().to_string(), "--shard: expected I/N with 1 ≤ I ≤ N, found \"3/2\"");
    }

    #[test]
    fn instance_ids_are_the_stems() {
        assert_eq!(stem("onnx/ACASXU_run2a_1_1_batch_2000.onnx"), "ACASXU_run2a_1_1_batch_2000");
        assert_eq!(stem("vnnlib/prop_1.vnnlib.gz"), "prop_1");
    }
}
