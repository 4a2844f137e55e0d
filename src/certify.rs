//! Producing and re-checking certificate directories: the pipelines under `torchlean demo`,
//! `verify` and `check-cert`.
//!
//! - [`certify_dense_ibp`]: an exact IBP certificate of a dense network over a box (the demo): the
//!   property ("every input in this box maps into that box"), the certificate (every intermediate
//!   box, so Lean checks one layer at a time), the manifest and the Lean module.
//! - [`verify`]: decides a property by branch and bound and writes the payload, property,
//!   certificate or counterexample and manifest into a new directory, and the certificate's Lean
//!   modules. Nothing is half-written: the name is checked before the search, the artifacts go to
//!   a temp directory renamed into place only after the modules are written.
//! - [`check_dir`]: re-checks such a directory without searching.
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::{Value, json};

use crate::artifact::property::{Property, output_box_json};
use crate::artifact::store::write_dir_atomic;
use crate::artifact::{Artifact, Written, certificate, counterexample, manifest, payload, write_artifact, write_atomic};
use crate::bounds::dense::{Dense, View};
use crate::bounds::ibp::ibp_mlp_rounded;
use crate::checker::LeafKind;
use crate::checker::packed::{Memo, net_pk};
use crate::checker::tree::{packed_applies, recheck};
use crate::error::{Error, ErrorKind, Result};
use crate::ir::Graph;
use crate::json::{canonical_bytes, sha256_ref};
use crate::lean::emit::{self, Binding, Texts};
use crate::model::{Model, lower};
use crate::num::Q;
use crate::num::binary32::F32;
use crate::num::interval::{Box, Interval};
use crate::num::rational::to_canonical;
use crate::property::Vnnlib;
use crate::search::attack::replay;
use crate::search::bab::{self, Accept, Options, Outcome, Refutation, Stats, Tree};

fn box_json(b: &Box) -> Value {
    Value::Array(b.iter().map(|i| json!(i.to_strings())).collect())
}

/// What `certify_dense_ibp` wrote.
#[derive(Debug, Clone)]
pub struct Certified {
    pub name: String,
    pub payload: Written,
    pub property: Written,
    pub certificate: Written,
    pub manifest: Written,
    pub lean_module: String,
    pub lean_path: PathBuf,
    pub output_box: Box,
}

/// Computes exact IBP for the network `graph` (an mlp of relu/identity layers) on `input` (intermediate boxes rounded outward to `round_bits`
/// significant bits when given, which keeps deep networks' numbers short) and writes `certificates/<name>/{payload,property,
/// certificate,manifest}.json` under `cert_root` plus `Certificates/<Module>.lean` under `lean_dir`.
pub fn certify_dense_ibp(
    name: &str,
    graph: &Graph,
    input: &Box,
    round_bits: Option<u32>,
    cert_root: &Path,
    lean_dir: &Path,
) -> Result<Certified> {
    let mlp = &Dense::of(graph)?;
    let boxes = ibp_mlp_rounded(mlp, input, round_bits)?;
    let output = boxes.last().expect("ibp returns at least the input box").clone();
    let dir = cert_root.join(name);
    let payload = write_artifact(&dir.join("payload.json"), "payload", &payload::write(&Model::from_graph(graph)?))?;
    let claim = Property { input_box: input.clone(), output_box: output };
    let property = write_artifact(&dir.join("property.json"), "property", &output_box_json(&claim))?;
    let certificate = json!({
        "format": "torchlean.certificate.v1",
        "method": "ibp",
        "payload": payload.sha256,
        "property": property.sha256,
        "boxes": Value::Array(boxes.iter().map(box_json).collect()),
    });
    let certificate = write_artifact(&dir.join("certificate.json"), "certificate", &certificate)?;
    let manifest = manifest::write(&dir, name, &[payload.clone(), property.clone(), certificate.clone()])?;
    let module = emit::module_name(name);
    let texts = Some(Texts { certificate: &certificate.bytes, payload: &payload.bytes, property: &property.bytes });
    let binding = Binding { certificate: &certificate.sha256, payload: &payload.sha256, property: &property.sha256, texts };
    let text = emit::dense_ibp_module(name, mlp, &boxes, &binding);
    let lean_path = lean_dir.join("Certificates").join(format!("{module}.lean"));
    write_atomic(&lean_path, text.as_bytes())?;
    Ok(Certified {
        name: name.to_string(),
        payload,
        property,
        certificate,
        manifest,
        lean_module: format!("Certificates.{module}"),
        lean_path,
        output_box: claim.output_box,
    })
}

/// Short display of a box for tables: `[lo, hi] × …` with exact values.
pub fn box_display(b: &Box) -> String {
    b.iter().map(|Interval { lo, hi }| format!("[{}, {}]", to_canonical(lo), to_canonical(hi))).collect::<Vec<_>>().join(" × ")
}

/// How [`verify`] decides a property.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// The search's options (bounds, splitting, deadline, budget).
    pub search: Options,
    /// Boxes the re-search of leaves the packed Lean checker rejects may bound in all (`None`: as
    /// many as the search bounded, at least 64); beyond it the certificate takes a rational checker.
    pub packed_boxes: Option<usize>,
    /// The Lean project: the certificate's modules go to `<lean_dir>/Certificates/`.
    pub lean_dir: PathBuf,
    /// The files the payload and the property were read from, recorded in the manifest.
    pub sources: Vec<(crate::artifact::Kind, crate::artifact::source::Source)>,
    /// Which executions of the network the verdict is about.
    pub semantics: Semantics,
}

/// Which execution of the network a verdict is about (`docs/trust.md`): the exact one over ℚ (what
/// certificates prove), the declared-order binary32 one (what runs), or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Semantics {
    Real,
    Binary32,
    Both,
}

/// What [`verify`] found of the declared-order binary32 execution.
#[derive(Debug, Clone, PartialEq)]
pub enum Binary32 {
    /// Not asked ([`Semantics::Real`]).
    NotAsked,
    /// The exact counterexample violates the property in binary32 too, at the same point.
    SameCounterexample,
    /// A binary32 input whose declared-order execution violates the property, written as
    /// `counterexample.binary32.json`; `exact_violates` says whether the exact output does too.
    Violated(crate::search::attack::Counterexample),
    /// No binary32 counterexample was found. That the binary32 execution satisfies the property is
    /// not certified: tree certificates speak of the exact semantics only.
    Undecided,
}

impl Binary32 {
    pub fn violated(&self) -> bool {
        matches!(self, Binary32::SameCounterexample | Binary32::Violated(_))
    }
}

/// The file a binary32-only counterexample is written to, beside the exact verdict's artifacts.
pub const BINARY32_COUNTEREXAMPLE: &str = "counterexample.binary32.json";

/// What [`verify`] decided and wrote.
#[derive(Debug)]
pub struct Verified {
    pub outcome: Outcome,
    /// Seconds of search (the packed re-search included).
    pub seconds: f64,
    /// The artifacts, manifest last (paths inside the certificate directory).
    pub written: Vec<Written>,
    /// The Lean modules written (paths under the Lean project), the certificate's own first.
    pub lean_files: Vec<PathBuf>,
    /// The checker the module's leaves take.
    pub checker: Option<LeafKind>,
    /// The declared-order binary32 execution's verdict, as far as it is known.
    pub binary32: Binary32,
}

/// The certificate directory name of `--out` and its Lean module name, or why it cannot be one:
/// `[A-Za-z0-9._-]+` (not `.` or `..`) whose module name is not empty, and no module of that name
/// written for another certificate (`v_id` and `v-id` are both `VId`).
pub fn certificate_name(out: &Path, lean_dir: &Path) -> Result<(String, String)> {
    let name = out.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let ok = !name.is_empty() && name != "." && name != ".." && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if !ok {
        return Err(Error::bad_input(format!(
            "--out {}: expected a directory whose name is of [A-Za-z0-9._-] (it names the certificate)",
            out.display()
        )));
    }
    let module = emit::module_name(name);
    if module.is_empty() {
        return Err(Error::bad_input(format!(
            "--out {}: expected a name with a letter or digit (the Lean module is named after it), found \"{name}\"",
            out.display()
        )));
    }
    let path = lean_dir.join("Certificates").join(format!("{module}.lean"));
    if let Ok(text) = std::fs::read_to_string(&path)
        && let Some(other) = emit::certificate_of_module(&text)
        && other != name
    {
        return Err(Error::bad_input(format!(
            "--out {}: its Lean module {} already holds certificate \"{other}\"; expected a name whose module is free",
            out.display(),
            path.display()
        )));
    }
    Ok((name.to_string(), module))
}

/// The certificate directory of region `k` (0-based) of `n` under `out`: `out` itself when the
/// property has one region, else `out/<name>.region<k+1>` (its own Lean module).
pub fn region_dir(out: &Path, k: usize, n: usize) -> PathBuf {
    if n == 1 {
        return out.to_path_buf();
    }
    let name = out.file_name().and_then(|n| n.to_str()).unwrap_or("out");
    out.join(format!("{name}.region{}", k + 1))
}

/// Decides the regions of one property (`read_file_regions`) in turn under one deadline
/// (`opts.search.deadline`), each into its own certificate directory ([`region_dir`]); stops at
/// the first violated region, whose counterexample violates the whole property. `progress` gets
/// the region's index and the search's statistics.
pub fn decide(
    model: &Model,
    regions: &[(Vnnlib, Value)],
    out: &Path,
    opts: &VerifyOptions,
    mut progress: impl FnMut(usize, &Stats),
) -> Result<Vec<(PathBuf, Verified)>> {
    if regions.len() > 1 {
        expect_new_dir(out)?;
        std::fs::create_dir_all(out).map_err(|e| Error::io("cannot create", out, e))?;
    }
    let mut runs = Vec::with_capacity(regions.len());
    for (k, (prop, prop_json)) in regions.iter().enumerate() {
        let dir = region_dir(out, k, regions.len());
        let v = verify(model, prop, prop_json, &dir, opts, |s: &Stats| progress(k, s))?;
        let violated = matches!(v.outcome, Outcome::Violated { .. });
        runs.push((dir, v));
        if violated {
            break;
        }
    }
    Ok(runs)
}

/// The verdict of a property from its regions' runs ([`decide`]): violated if one is, verified if
/// all are, else unknown; with `verify`'s exit code.
///
/// With [`Semantics::Both`] a property that only the binary32 execution violates is "violated in
/// binary32" (exit 11); with [`Semantics::Binary32`] it is violated (10) or else unknown (20), since
/// no certificate speaks of binary32 yet.
pub fn overall(runs: &[(PathBuf, Verified)], regions: usize, semantics: Semantics) -> (&'static str, i32) {
    let f32_violated = runs.iter().any(|(_, v)| v.binary32.violated());
    if semantics == Semantics::Binary32 {
        return if f32_violated { ("violated", 10) } else { ("unknown", 20) };
    }
    if runs.iter().any(|(_, v)| matches!(v.outcome, Outcome::Violated { .. })) {
        ("violated", 10)
    } else if f32_violated {
        ("violated in binary32", 11)
    } else if runs.len() == regions && runs.iter().all(|(_, v)| matches!(v.outcome, Outcome::Verified { .. })) {
        ("verified", 0)
    } else {
        ("unknown", 20)
    }
}

/// `out` must be a new or empty directory (a certificate directory is written once).
fn expect_new_dir(out: &Path) -> Result<()> {
    match std::fs::read_dir(out).map(|mut entries| entries.next().is_some()) {
        Ok(true) => {
            Err(Error::bad_input(format!("--out {}: expected a new or empty directory, found a non-empty one", out.display())))
        }
        Ok(false) => Ok(()),
        Err(_) if out.exists() => Err(Error::bad_input(format!("--out {}: expected a directory, found a file", out.display()))),
        Err(_) => Ok(()),
    }
}

/// Decides `prop` on the network of `model` (its graph, [`lower`]) and writes the result into the
/// new directory `out` (see the module doc); the payload is `model`'s. `prop_json` is the
/// canonical property artifact the certificate references. Everything that can refuse the run
/// (the name, the directory, the network, the property's shape) is checked before the search.
pub fn verify(model: &Model, prop: &Vnnlib, prop_json: &Value, out: &Path, opts: &VerifyOptions, progress: impl FnMut(&Stats)) -> Result<Verified> {
    let (name, module) = certificate_name(out, &opts.lean_dir)?;
    expect_new_dir(out)?;
    let start = Instant::now();
    let graph = &lower(model)?;
    let memo = Memo::default();
    // Lean's bridge from a certificate to the graph reads the same chains the views do
    // (`denote_mlpGraph`, `denote_chain`, `denoteS_smoothNet`), so a network with a view gets a
    // certificate.
    let (outcome, search) = match View::of(graph)? {
        View::Dense(dense) => verify_dense(graph, &dense, prop, opts, &memo, progress)?,
        View::Env(net) => (crate::search::env::verify(&net, prop, &opts.search)?, opts.search.clone()),
    };
    let search = &search;
    let binary32 = match (&outcome, opts.semantics) {
        (_, Semantics::Real) => Binary32::NotAsked,
        (Outcome::Violated { cex, .. }, _) if cex.f32_violates => Binary32::SameCounterexample,
        _ => match crate::search::attack::binary32_counterexample(graph, prop, opts.search.deadline)? {
            Some(c) => Binary32::Violated(c),
            None => Binary32::Undecided,
        },
    };
    // The deadline covers the whole run: certifying a refuted tree (its leaves' checker data, its
    // Lean modules) happens before anything is written, and a run out of time says unknown.
    let deadline = opts.search.deadline;
    let payload_value = payload::write(model);
    let payload_bytes = canonical_bytes(&payload_value)?;
    let property_bytes = canonical_bytes(prop_json)?;
    let (payload_sha, property_sha) = (sha256_ref(&payload_bytes), sha256_ref(&property_bytes));
    let mut outcome = outcome;
    let mut certified = None;
    if let Outcome::Verified { tree, stats } = &outcome {
        let cert = certificate::tree_json(&payload_sha, &property_sha, search.intermediate, search.leaf, tree);
        let cert_bytes = canonical_bytes(&cert)?;
        let cert_sha = sha256_ref(&cert_bytes);
        let texts = Some(Texts { certificate: &cert_bytes, payload: &payload_bytes, property: &property_bytes });
        let binding = Binding { certificate: &cert_sha, payload: &payload_sha, property: &property_sha, texts };
        let emitted = Error::check_deadline(deadline, "the search finished")
            .and_then(|()| emit::tree_modules(&name, graph, prop, tree, search.intermediate, search.leaf, &binding, deadline, &memo));
        match emitted {
            Ok((kind, files)) => certified = Some((cert, kind, files)),
            Err(e) if matches!(e.kind(), ErrorKind::Timeout) => {
                let reason = format!("timeout: every box was refuted, but {e} ({} leaves)", tree.leaves());
                outcome = Outcome::Unknown { reason, stats: *stats };
            }
            Err(e) => return Err(e),
        }
    }
    let seconds = start.elapsed().as_secs_f64();

    let mut lean_files = Vec::new();
    let mut checker = None;
    let written = write_dir_atomic(out, |dir| {
        let payload = write_artifact(&dir.join("payload.json"), "payload", &payload_value)?;
        let property = write_artifact(&dir.join("property.json"), "property", prop_json)?;
        let mut written = vec![payload.clone(), property.clone()];
        match &outcome {
            Outcome::Verified { .. } => {
                let (cert, kind, files) = certified.as_ref().expect("a verified outcome was certified");
                let c = write_artifact(&dir.join("certificate.json"), "certificate", cert)?;
                // A previous run's parts would be built (and fail) beside the new ones.
                let parts = opts.lean_dir.join("Certificates").join(&module);
                if parts.is_dir() {
                    std::fs::remove_dir_all(&parts).map_err(|e| Error::io("cannot remove", &parts, e))?;
                }
                for (rel, text) in files {
                    let path = opts.lean_dir.join(rel);
                    write_atomic(&path, text.as_bytes())?;
                    lean_files.push(path);
                }
                checker = Some(*kind);
                written.push(c);
            }
            Outcome::Violated { cex, .. } => {
                let c = counterexample::write(&payload.sha256, &property.sha256, cex);
                written.push(write_artifact(&dir.join("counterexample.json"), "counterexample", &c)?);
            }
            Outcome::Unknown { .. } => {}
        }
        if let Binary32::Violated(c) = &binary32 {
            let c = counterexample::write(&payload.sha256, &property.sha256, c);
            written.push(write_artifact(&dir.join(BINARY32_COUNTEREXAMPLE), "counterexample", &c)?);
        }
        written.push(manifest::write_with_sources(dir, &name, &written, &opts.sources)?);
        Ok(written)
    })?;
    let written = written.into_iter().map(|w| Written { path: out.join(w.path.file_name().expect("a file")), ..w }).collect();
    Ok(Verified { outcome, seconds, written, lean_files, checker, binary32 })
}

/// Branch and bound on a network with a dense view, the tree refined for the packed checker where
/// the certificate may take it; also returns the bounds the certificate records. A root that IBP
/// alone refutes is certified by one IBP leaf: the cheapest check for Lean (a 128-neuron
/// convolution's CROWN leaf exhausts the wasm toolchain's heap, its IBP leaf takes 40 s).
/// Packed leaves the refinement accepts are kept in `memo` for the emitter.
fn verify_dense(
    graph: &Graph,
    dense: &Dense,
    prop: &Vnnlib,
    opts: &VerifyOptions,
    memo: &Memo,
    progress: impl FnMut(&Stats),
) -> Result<(Outcome, Options)> {
    let search = &opts.search;
    bab::check_shape(&dense.widths()?, prop)?;
    if search.split && search.leaf == bab::LeafBound::Crown {
        let ibp = Options { intermediate: crate::bounds::crown::Intermediate::Ibp, leaf: bab::LeafBound::Ibp, split: false, ..search.clone() };
        let boxes = ibp_mlp_rounded(dense, &prop.input_box, Some(bab::ROUND_BITS))?;
        let out = boxes.last().expect("ibp returns the input box first");
        if let Some(refute) = bab::refute_box(prop, out, search.pairs) {
            // Refuted as it stands: no search (no counterexample can exist). An IBP leaf's check
            // ignores α; the tree records 0 per hidden neuron, a valid slope.
            let widths = dense.widths()?;
            let alphas = widths[1..widths.len() - 1].iter().map(|&w| vec![Q::from_integer(0.into()); w]).collect();
            let stats = Stats { boxes: 1, leaves: 1, open: 0, refuted_volume: 1.0 };
            return Ok((Outcome::Verified { tree: Tree::Leaf { refute, alphas }, stats }, ibp));
        }
    }
    // Where the certificate may take the packed checker (the rule `checker::tree` applies, so audit
    // re-derives the same module), leaves it rejects are split further until it accepts them.
    // IBP boxes count: Lean checks one with a multiplication per weight, far less than a split's
    // second leaf costs.
    let packed = (search.split && packed_applies(dense, search.intermediate, search.leaf)).then(|| net_pk(dense, prop)).transpose()?;
    let accept = |b: &Box, r: &[Refutation], a: &[Vec<Q>]| -> Result<bool> {
        let net = packed.as_ref().expect("accept is passed only with a packed network");
        match memo.leaf_pk(net, prop, b, a, r) {
            Ok(_) => Ok(true),
            Err(e) if matches!(e.kind(), ErrorKind::CheckFailed) => Ok(false),
            Err(e) => Err(e),
        }
    };
    let outcome = bab::verify(graph, prop, search, progress)?;
    let outcome = match outcome {
        Outcome::Verified { tree, mut stats } if packed.is_some() => {
            let budget = opts.packed_boxes.unwrap_or(stats.boxes.max(64));
            let leaves = tree.leaves();
            match refine_for_packed(graph, prop, search, &accept, tree, budget) {
                Ok((tree, extra)) => {
                    stats.boxes += extra;
                    Outcome::Verified { tree, stats }
                }
                Err(e) if matches!(e.kind(), ErrorKind::Timeout) => Outcome::Unknown {
                    reason: format!("timeout: every box was refuted, but {e} ({leaves} leaves)"),
                    stats,
                },
                Err(e) => return Err(e),
            }
        }
        o => o,
    };
    Ok((outcome, search.clone()))
}

/// The tree with every leaf the packed checker rejects replaced by a subtree whose leaves it
/// accepts, found by a search of that leaf's box that splits until `accept` holds; or the tree
/// unchanged when the searches exceed `budget` boxes in all (its certificate then takes a rational
/// checker). The packed checker proves hidden boxes by fixed-point CROWN passes alone, while the
/// search intersects them with IBP, which on large boxes is tighter on some neurons. Also returns
/// the boxes bounded.
fn refine_for_packed(graph: &Graph, prop: &Vnnlib, opts: &Options, accept: Accept, tree: Tree, budget: usize) -> Result<(Tree, usize)> {
    use rayon::prelude::*;
    let leaves = tree.leaf_boxes(&prop.input_box)?;
    let ok = leaves
        .par_iter()
        .map(|(b, r, a)| {
            Error::check_deadline(opts.deadline, "the tree was refined for the packed checker")?;
            accept(b, r, a)
        })
        .collect::<Result<Vec<bool>>>()?;
    let mut used = 0;
    let mut subtrees = Vec::with_capacity(leaves.len());
    for ((b, _, _), ok) in leaves.iter().zip(ok) {
        if ok {
            subtrees.push(None);
            continue;
        }
        let sub = prop.restricted(b);
        let sub_opts = Options { max_boxes: budget.saturating_sub(used), ..opts.clone() };
        match bab::verify_with(graph, &sub, &sub_opts, Some(accept), |_| {})? {
            Outcome::Verified { tree, stats } => {
                used += stats.boxes;
                subtrees.push(Some(tree));
            }
            Outcome::Violated { stats, .. } | Outcome::Unknown { stats, .. } => return Ok((tree, used + stats.boxes)),
        }
    }
    drop(leaves);
    Ok((tree.graft(&mut subtrees.into_iter()), used))
}

/// Re-checks the binary32 counterexample `verify` wrote beside the exact verdict
/// ([`BINARY32_COUNTEREXAMPLE`]), if there is one: replayed in binary32 (and exactly) against the
/// directory's payload and property. Returns its disjunct and whether the exact output violates
/// it too.
pub fn check_binary32(dir: &Path) -> Result<Option<(usize, bool)>> {
    let path = dir.join(BINARY32_COUNTEREXAMPLE);
    if !path.exists() {
        return Ok(None);
    }
    let read = |p: &Path| -> Result<Artifact> {
        let bytes = std::fs::read(p).map_err(|e| Error::io("cannot read", p, e))?;
        let v = crate::json::parse_strict(&bytes).map_err(|e| e.context(p.display().to_string()))?;
        Artifact::read(&v).map_err(|e| e.context(p.display().to_string()))
    };
    let Artifact::Counterexample(c) = read(&path)? else {
        return Err(Error::bad_input(format!("{}: expected a counterexample artifact", path.display())));
    };
    let sha = |f: &str| -> Result<String> {
        let p = dir.join(f);
        Ok(sha256_ref(&std::fs::read(&p).map_err(|e| Error::io("cannot read", &p, e))?))
    };
    for (key, found, file) in [("payload", &c.payload, "payload.json"), ("property", &c.property, "property.json")] {
        let want = sha(file)?;
        if *found != want {
            return Err(Error::check_failed(format!("{}: {key}: expected {want} ({file}), found {found}", path.display())));
        }
    }
    let graph = match read(&dir.join("payload.json"))? {
        Artifact::Payload(m) => lower(&m)?,
        a => return Err(Error::bad_input(format!("{}: expected a payload, found a {} artifact", dir.join("payload.json").display(), a.kind()))),
    };
    let Some(prop) = read(&dir.join("property.json"))?.violation() else {
        return Err(Error::bad_input(format!("{}: expected a violation_dnf property", dir.join("property.json").display())));
    };
    let problems = crate::checker::counterexample::problems(&graph, &prop, &c);
    if !problems.is_empty() {
        return Err(Error::check_failed(format!("{}: {}", path.display(), problems.join("; "))));
    }
    let disjunct = c.violation.as_ref().map_or(0, |(d, _)| *d);
    let exact = prop.violation.get(disjunct).is_some_and(|conj| crate::search::attack::satisfies(conj, &c.output));
    Ok(Some((disjunct, exact)))
}

/// What [`check_dir`] re-checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checked {
    /// A certificate tree: the checker its leaves take and how many were re-checked.
    Certificate { checker: LeafKind, leaves: usize },
    /// A counterexample, replayed: the disjunct its exact output satisfies, and whether the
    /// binary32 execution violates it too.
    Counterexample { disjunct: usize, f32_violates: bool },
}

/// Re-checks a directory written by [`verify`] without searching: every leaf of the certificate
/// tree with the Rust twin of its Lean checker, or the counterexample replayed exactly and in
/// binary32. The payload and property must be the ones the result names by hash.
pub fn check_dir(dir: &Path) -> Result<Checked> {
    let read_json = |p: &Path| -> Result<Value> {
        let bytes = std::fs::read(p).map_err(|e| Error::io("cannot read", p, e))?;
        crate::json::parse_strict(&bytes).map_err(|e| e.context(p.display().to_string()))
    };
    if !dir.is_dir() {
        return Err(Error::bad_input(format!("{}: expected a directory written by torchlean verify, found none", dir.display())));
    }
    let read = |f: &str| -> Result<Option<Artifact>> {
        let p = dir.join(f);
        if !p.exists() {
            return Ok(None);
        }
        Artifact::read(&read_json(&p)?).map(Some).map_err(|e| e.context(p.display().to_string()))
    };
    let graph = match read("payload.json")? {
        Some(Artifact::Payload(m)) => lower(&m)?,
        Some(a) => {
            return Err(Error::bad_input(format!("{}: expected a payload, found a {} artifact", dir.join("payload.json").display(), a.kind())));
        }
        None => return Err(Error::bad_input(format!("{}: expected a payload, found no such file", dir.join("payload.json").display()))),
    };
    let prop = match read("property.json")?.and_then(|a| a.violation()) {
        Some(p) => p,
        None => {
            return Err(Error::bad_input(format!(
                "{}: expected a property artifact (kind violation_dnf, linf_robust or output_box)",
                dir.join("property.json").display()
            )));
        }
    };
    let sha = |f: &str| -> Result<String> {
        let p = dir.join(f);
        Ok(sha256_ref(&std::fs::read(&p).map_err(|e| Error::io("cannot read", &p, e))?))
    };
    let expect_ref = |file: &str, key: &str, found: &str, want: &str| -> Result<()> {
        if found != want {
            return Err(Error::check_failed(format!("{file}: {key}: expected {want} (the file's hash), found {found}")));
        }
        Ok(())
    };
    match (read("certificate.json")?, read("counterexample.json")?) {
        (Some(Artifact::TreeCertificate(c)), None) => {
            expect_ref("certificate.json", "payload", &c.payload, &sha("payload.json")?)?;
            expect_ref("certificate.json", "property", &c.property, &sha("property.json")?)?;
            let (checker, leaves) = recheck(&graph, &prop, &c.tree, c.intermediate, c.leaf_bound)
                .map_err(|e| e.context(dir.join("certificate.json").display().to_string()))?;
            Ok(Checked::Certificate { checker, leaves })
        }
        (None, Some(Artifact::Counterexample(c))) => {
            expect_ref("counterexample.json", "payload", &c.payload, &sha("payload.json")?)?;
            expect_ref("counterexample.json", "property", &c.property, &sha("property.json")?)?;
            let path = dir.join("counterexample.json").display().to_string();
            let problems = crate::checker::counterexample::problems(&graph, &prop, &c);
            if !problems.is_empty() {
                return Err(Error::check_failed(format!("{path}: {}", problems.join("; "))));
            }
            let bits: Vec<F32> = c.input.iter().map(|q| F32::from_rational(q).value).collect();
            let r = replay(&graph, &prop, &bits)?.ok_or_else(|| Error::internal("a checked counterexample no longer replays"))?;
            Ok(Checked::Counterexample { disjunct: r.disjunct, f32_violates: r.f32_violates })
        }
        _ => Err(Error::bad_input(format!(
            "{}: expected exactly one of certificate.json (method bab) or counterexample.json",
            dir.display()
        ))),
    }
}
