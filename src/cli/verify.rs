//! `torchlean verify --model M --property Q [--method ibp|crown|bab] [--timeout S] --out DIR`:
//! decides a VNN-LIB property of a dense ReLU network. Exit 0 verified (certificate written), 10
//! violated (counterexample written and replayed), 20 unknown. `torchlean check-cert DIR`
//! re-checks a written certificate or counterexample in Rust, without searching.
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::Args;
use serde_json::{Value, json};

use super::progress::Progress;
use crate::bounds::attack::replay;
use crate::bounds::bab::{self, LeafBound, Options, Outcome, Stats, Tree};
use crate::bounds::crown::Intermediate;
use crate::cert::bab::{certificate_json, counterexample_json, lean_leaf};
use crate::cert::schema::{Artifact, output_box_property_json, violation_property_json};
use crate::cert::store::{write_artifact, write_atomic, write_manifest};
use crate::error::{Error, Result};
use crate::lean::emit::{self, Binding, Texts};
use crate::model::Mlp;
use crate::num::rational::to_canonical;
use crate::property::{Vnnlib, parse_vnnlib};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Method {
    /// IBP on the whole box (one leaf).
    Ibp,
    /// CROWN on the whole box (one leaf).
    Crown,
    /// Branch and bound over input splits, CROWN on every box.
    Bab,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum IntermediateArg {
    /// IBP pre-activation boxes: cheap for Lean to re-check, loose on deep networks.
    Ibp,
    /// A CROWN pass per hidden neuron: far fewer splits on deep networks, but Lean re-checks one
    /// backward pass per neuron per leaf.
    Crown,
}

#[derive(Debug, Clone, Args)]
pub struct VerifyArgs {
    /// The network: a `.nnet` file, a payload JSON (family mlp, relu/identity), or a directory
    /// written by `torchlean import` (its payload.json).
    #[arg(long)]
    pub model: PathBuf,
    /// The property: a `.vnnlib` file or a `property` artifact of kind violation_dnf.
    #[arg(long)]
    pub property: PathBuf,
    #[arg(long, value_enum, default_value_t = Method::Bab)]
    pub method: Method,
    /// How hidden layers' pre-activation boxes are bounded (ibp: cheaper Lean check; crown: tighter).
    #[arg(long, value_enum, default_value_t = IntermediateArg::Crown)]
    pub intermediate: IntermediateArg,
    /// Give up (exit 20) after this many seconds.
    #[arg(long, default_value_t = 300.0)]
    pub timeout: f64,
    /// Give up (exit 20) after bounding this many boxes.
    #[arg(long, default_value_t = 1_000_000)]
    pub max_boxes: usize,
    /// Steps of the α search (Adam on the CROWN bound, in f64) on a box that CROWN-Ada's α leave
    /// undecided; the α found are recorded in the certificate. 0 turns the search off.
    #[arg(long, default_value_t = 20)]
    pub alpha_steps: usize,
    /// Boxes the re-search of leaves the packed Lean checker rejects may bound in all (default: as
    /// many as the search bounded, at least 64); beyond it the certificate takes the rational checker.
    #[arg(long)]
    pub packed_boxes: Option<usize>,
    /// The certificate directory to write (its name names the Lean module).
    #[arg(long)]
    pub out: PathBuf,
    /// The Lean project: the certificate's module goes to `<lean-dir>/Certificates/`.
    #[arg(long, default_value = "lean")]
    pub lean_dir: PathBuf,
    /// Machine-readable summary on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct CheckCertArgs {
    /// A directory written by `torchlean verify`.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    #[arg(long)]
    pub json: bool,
}

fn read_json(path: &Path) -> Result<Value> {
    let bytes = std::fs::read(path).map_err(|e| Error::io("cannot read", path, e))?;
    serde_json::from_slice(&bytes).map_err(|e| Error::bad_input(format!("not valid JSON ({e})")).context(path.display().to_string()))
}

/// The dense network of `--model`.
pub fn read_model(path: &Path) -> Result<Mlp> {
    let file = if path.is_dir() { path.join("payload.json") } else { path.to_path_buf() };
    let model = crate::cli::import::read(&file)?;
    model.to_mlp().map_err(|e| {
        Error::bad_input(format!(
            "verify handles dense relu/identity networks; {} has no bound rule here ({})",
            file.display(),
            e.message()
        ))
    })
}

/// The property of `--property` as the violation DNF the search decides, and the canonical
/// property artifact the certificate will reference: VNN-LIB text (written as `violation_dnf`), or a
/// property artifact of kind `violation_dnf`, `linf_robust` or `output_box` (written as read).
pub fn read_property(path: &Path) -> Result<(Vnnlib, Value)> {
    if path.extension().is_some_and(|e| e == "json") {
        let v = read_json(path)?;
        let ctx = |e: Error| e.context(path.display().to_string());
        let artifact = Artifact::read(&v).map_err(ctx)?;
        let canonical = match &artifact {
            Artifact::ViolationProperty(p) => violation_property_json(p),
            Artifact::RobustProperty(p) => p.to_json(),
            Artifact::Property(p) => output_box_property_json(p),
            a => {
                return Err(Error::bad_input(format!(
                    "{}: format: expected \"torchlean.property.v1\", found a {} artifact",
                    path.display(),
                    a.kind().name()
                )));
            }
        };
        let prop = artifact.violation().expect("every property kind has violation disjuncts");
        return Ok((prop, canonical));
    }
    let text = std::fs::read_to_string(path).map_err(|e| Error::io("cannot read", path, e))?;
    let prop = parse_vnnlib(&text, &path.display().to_string())?;
    let canonical = violation_property_json(&prop);
    Ok((prop, canonical))
}

fn status_word(o: &Outcome) -> &'static str {
    match o {
        Outcome::Verified { .. } => "verified",
        Outcome::Violated { .. } => "violated",
        Outcome::Unknown { .. } => "unknown",
    }
}

pub fn run(args: &VerifyArgs) -> Result<i32> {
    let mlp = read_model(&args.model)?;
    let (prop, prop_json) = read_property(&args.property)?;
    let name = args.out.file_name().and_then(|n| n.to_str()).unwrap_or("").to_string();
    if name.is_empty() || name == "." || name == ".." {
        return Err(Error::bad_input(format!("--out: expected a directory path with a name, found {}", args.out.display())));
    }
    let (intermediate, leaf, split) = match args.method {
        Method::Ibp => (Intermediate::Ibp, LeafBound::Ibp, false),
        Method::Crown => (intermediate_of(args.intermediate), LeafBound::Crown, false),
        Method::Bab => (intermediate_of(args.intermediate), LeafBound::Crown, true),
    };
    let start = Instant::now();
    let opts = Options {
        intermediate,
        leaf,
        split,
        deadline: Some(start + Duration::from_secs_f64(args.timeout.max(0.0))),
        max_boxes: args.max_boxes,
        seed: 0x746f_7263_686c_6561,
        pairs: true,
        alpha_steps: args.alpha_steps,
    };
    let progress = Progress::new(!args.json && std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let mut last = Instant::now();
    // Where the certificate may take the packed checker (the rule `bab_lean_module` applies, so
    // audit re-derives the same module), leaves it rejects are split further until it accepts them.
    // IBP boxes count: Lean checks one with a multiplication per weight, far less than a split's
    // second leaf costs.
    let packed = (split && packed_applies(&mlp, intermediate, leaf)).then(|| crate::cert::packed::net_pk(&mlp, &prop)).transpose()?;
    let accept = |b: &crate::num::interval::Box, r: &[bab::Refutation], a: &[Vec<crate::num::Q>]| -> Result<bool> {
        let net = packed.as_ref().expect("accept is passed only with a packed network");
        match crate::cert::packed::leaf_pk(net, &prop, b, a, r, true) {
            Ok(_) => Ok(true),
            Err(e) if matches!(e.kind(), crate::error::ErrorKind::CheckFailed) => Ok(false),
            Err(e) => Err(e),
        }
    };
    let outcome = bab::verify(&mlp, &prop, &opts, |s: &Stats| {
        if last.elapsed() >= Duration::from_millis(500) {
            last = Instant::now();
            progress.message(&format!(
                "boxes {}  leaves {}  open {}  refuted {:.2}% of the box",
                s.boxes,
                s.leaves,
                s.open,
                100.0 * s.refuted_volume
            ));
        }
    })?;
    let outcome = match outcome {
        Outcome::Verified { tree, mut stats } if packed.is_some() => {
            progress.message("splitting leaves for the packed checker");
            let (tree, extra) = refine_for_packed(&mlp, &prop, &opts, &accept, tree, args.packed_boxes.unwrap_or(stats.boxes.max(64)))?;
            stats.boxes += extra;
            Outcome::Verified { tree, stats }
        }
        o => o,
    };
    progress.finish();
    let search = start.elapsed().as_secs_f64();

    std::fs::create_dir_all(&args.out).map_err(|e| Error::io("cannot create", &args.out, e))?;
    // A previous run's result must not survive next to this one's (check-cert and audit read
    // whichever is present).
    for stale in ["certificate.json", "counterexample.json"] {
        let p = args.out.join(stale);
        if p.exists() {
            std::fs::remove_file(&p).map_err(|e| Error::io("cannot remove", &p, e))?;
        }
    }
    let payload = write_artifact(&args.out.join("payload.json"), "payload", &mlp.payload()?)?;
    let property = write_artifact(&args.out.join("property.json"), "property", &prop_json)?;
    let mut written = vec![payload.clone(), property.clone()];
    let mut lean_note = String::from("-");
    // Which Lean checker the module's leaves use: users need to know whether the certificate took
    // the packed checker or fell back to the rational one (far costlier for the kernel).
    let mut checker: Option<&str> = None;
    let stats = match &outcome {
        Outcome::Verified { tree, stats } => {
            let cert = certificate_json(&payload.sha256, &property.sha256, intermediate, leaf, tree);
            let c = write_artifact(&args.out.join("certificate.json"), "certificate", &cert)?;
            let files = bab_lean_module(&name, &mlp, &prop, tree, intermediate, leaf, &Binding {
                certificate: &c.sha256,
                payload: &payload.sha256,
                property: &property.sha256,
                texts: Some(Texts { certificate: &c.bytes, payload: &payload.bytes, property: &property.bytes }),
            })?;
            // A previous run's parts would be built (and fail) beside the new ones.
            let parts = args.lean_dir.join("Certificates").join(emit::module_name(&name));
            if parts.is_dir() {
                std::fs::remove_dir_all(&parts).map_err(|e| Error::io("cannot remove", &parts, e))?;
            }
            for (rel, text) in &files {
                write_atomic(&args.lean_dir.join(rel), text.as_bytes())?;
            }
            checker = Some(match (files.len() > 1, leaf, intermediate) {
                (true, ..) => "packedLeafOk",
                (false, LeafBound::Ibp, _) => "ibpLeafOk",
                (false, LeafBound::Crown, Intermediate::Ibp) => "crownLeafOk",
                (false, LeafBound::Crown, Intermediate::Crown) => "crownBoxLeafOk",
            });
            lean_note = format!("{} (run `torchlean check`)", args.lean_dir.join(&files[0].0).display());
            if files.len() > 1 {
                lean_note = format!("{lean_note}; {} part modules in {}", files.len() - 1, parts.display());
            }
            written.push(c);
            *stats
        }
        Outcome::Violated { cex, stats } => {
            let c = counterexample_json(&payload.sha256, &property.sha256, cex);
            written.push(write_artifact(&args.out.join("counterexample.json"), "counterexample", &c)?);
            *stats
        }
        Outcome::Unknown { stats, .. } => *stats,
    };
    let manifest = write_manifest(&args.out, &name, &written)?;
    written.push(manifest);

    let code = match &outcome {
        Outcome::Verified { .. } => 0,
        Outcome::Violated { .. } => 10,
        Outcome::Unknown { .. } => 20,
    };
    let detail = match &outcome {
        Outcome::Verified { tree, .. } => format!(
            "{} leaves, depth {}, {} refuted with searched α",
            tree.leaves(),
            tree.depth(),
            tree.searched_alpha_leaves()
        ),
        Outcome::Violated { cex, .. } => format!(
            "input [{}] satisfies disjunct {} exactly; binary32 execution {}",
            cex.input.iter().map(|b| to_canonical(&b.to_rational().expect("finite"))).collect::<Vec<_>>().join(", "),
            cex.disjunct,
            if cex.f32_violates { "violates it too" } else { "does not (rounding differs)" }
        ),
        Outcome::Unknown { reason, .. } => reason.clone(),
    };
    let alpha_leaves = match &outcome {
        Outcome::Verified { tree, .. } => tree.searched_alpha_leaves(),
        _ => 0,
    };
    if args.json {
        let files: Vec<Value> = written.iter().map(|w| json!({"path": w.path.display().to_string(), "kind": w.kind, "sha256": w.sha256})).collect();
        println!(
            "{}",
            json!({"status": status_word(&outcome), "exit": code, "detail": detail, "boxes": stats.boxes,
                   "leaves": stats.leaves, "alpha_leaves": alpha_leaves, "seconds": search, "lean_checker": checker,
                   "files": files})
        );
    } else {
        println!("{:<10} {}", "status", status_word(&outcome));
        println!("{:<10} {detail}", "detail");
        println!("{:<10} {} boxes bounded in {search:.3} s", "search", stats.boxes);
        for w in &written {
            println!("{:<10} {} {}", w.kind, w.sha256, w.path.display());
        }
        println!("{:<10} {lean_note}", "lean");
        if let Some(c) = checker {
            println!("{:<10} {c}", "checker");
        }
    }
    Ok(code)
}

fn intermediate_of(a: IntermediateArg) -> Intermediate {
    match a {
        IntermediateArg::Ibp => Intermediate::Ibp,
        IntermediateArg::Crown => Intermediate::Crown,
    }
}

/// Hidden neurons from which a tree with CROWN-justified boxes is checked by the packed checker
/// (`packedLeafOk`) when every leaf allows it: the rational checker re-runs one CROWN pass per
/// hidden neuron per leaf on `Rat`, which on ACAS Xu exceeds the wasm toolchain's memory, while
/// the packed one crosses each weight once per leaf for all passes at once.
pub const PACKED_FROM_HIDDEN: usize = 16;

/// The tree with every leaf the packed checker rejects replaced by a subtree whose leaves it
/// accepts, found by a search of that leaf's box that splits until `accept` holds; or the tree
/// unchanged when the searches exceed `budget` boxes in all (its certificate then takes the
/// rational checker). The packed checker proves hidden boxes by fixed-point CROWN passes alone,
/// while the search intersects them with IBP, which on large boxes is tighter on some neurons.
/// Also returns the boxes bounded.
fn refine_for_packed(mlp: &Mlp, prop: &Vnnlib, opts: &bab::Options, accept: bab::Accept, tree: Tree, budget: usize) -> Result<(Tree, usize)> {
    use rayon::prelude::*;
    let leaves = tree.leaf_boxes(&prop.input_box);
    let ok = leaves.par_iter().map(|(b, r, a)| accept(b, r, a)).collect::<Result<Vec<bool>>>()?;
    let mut used = 0;
    let mut subtrees = Vec::with_capacity(leaves.len());
    for ((b, _, _), ok) in leaves.iter().zip(ok) {
        if ok {
            subtrees.push(None);
            continue;
        }
        let sub = prop.restricted(b);
        let sub_opts = bab::Options { max_boxes: budget.saturating_sub(used), ..opts.clone() };
        match bab::verify_with(mlp, &sub, &sub_opts, Some(accept), |_| {})? {
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

/// Whether a tree of these bounds on this network is offered to the packed checker.
fn packed_applies(mlp: &Mlp, intermediate: Intermediate, leaf: LeafBound) -> bool {
    let hidden: usize = mlp.layers.iter().take(mlp.layers.len().saturating_sub(1)).map(|l| l.weight.len()).sum();
    intermediate == Intermediate::Crown && leaf == LeafBound::Crown && hidden >= PACKED_FROM_HIDDEN
}

/// The Lean modules of a tree certificate (paths under the Lean project and texts, its own module
/// first): every leaf's data re-derived from the artifacts.
pub fn bab_lean_module(
    name: &str,
    mlp: &Mlp,
    prop: &Vnnlib,
    tree: &Tree,
    intermediate: Intermediate,
    leaf: LeafBound,
    binding: &Binding,
) -> Result<Vec<(String, String)>> {
    if packed_applies(mlp, intermediate, leaf) {
        if let Some(text) = packed_bab_module(name, mlp, prop, tree, binding)? {
            return Ok(text);
        }
    }
    let leaves = tree
        .leaf_boxes(&prop.input_box)
        .into_iter()
        .map(|(b, refute, alphas)| Ok((b.clone(), lean_leaf(mlp, &b, alphas, refute, intermediate, leaf)?)))
        .collect::<Result<Vec<_>>>()?;
    Ok(emit::bab_module(name, mlp, prop, tree, &emit::BabLeaves::Rational(&leaves), binding))
}

/// The packed checker's module of a tree certificate, or `None` when some leaf's fixed-point
/// passes cannot refute it, even with IBP boxes. Leaves the refinement left unaccepted (its
/// budget ran out) take IBP boxes here. Deterministic, so `audit` re-derives the same text.
fn packed_bab_module(name: &str, mlp: &Mlp, prop: &Vnnlib, tree: &Tree, binding: &Binding) -> Result<Option<Vec<(String, String)>>> {
    use rayon::prelude::*;
    let net = crate::cert::packed::net_pk(mlp, prop)?;
    let leaves = tree
        .leaf_boxes(&prop.input_box)
        .into_par_iter()
        .map(|(b, refute, alphas)| crate::cert::packed::leaf_pk(&net, prop, &b, alphas, refute, true).map(|l| (b, l)))
        .collect::<Result<Vec<_>>>();
    let leaves = match leaves {
        Ok(l) => l,
        Err(e) if matches!(e.kind(), crate::error::ErrorKind::CheckFailed) => return Ok(None),
        Err(e) => return Err(e),
    };
    let packed: Vec<crate::cert::packed::LeafPk> = leaves.iter().map(|(_, l)| l.clone()).collect();
    let field = crate::cert::packed::field_width(&net, &packed);
    Ok(Some(emit::bab_module(name, mlp, prop, tree, &emit::BabLeaves::Packed { net: &net, field, leaves: &leaves }, binding)))
}

/// `torchlean check-cert DIR`.
pub fn check_cert(args: &CheckCertArgs) -> Result<i32> {
    let start = Instant::now();
    let read = |f: &str| -> Result<Option<Artifact>> {
        let p = args.dir.join(f);
        if !p.exists() {
            return Ok(None);
        }
        Artifact::read(&read_json(&p)?).map(Some).map_err(|e| e.context(p.display().to_string()))
    };
    let mlp = match read("payload.json")? {
        Some(Artifact::Payload(m)) => m,
        _ => return Err(Error::bad_input(format!("{}: expected a dense mlp payload", args.dir.join("payload.json").display()))),
    };
    let prop = match read("property.json")?.and_then(|a| a.violation()) {
        Some(p) => p,
        None => {
            return Err(Error::bad_input(format!(
                "{}: expected a property artifact (kind violation_dnf, linf_robust or output_box)",
                args.dir.join("property.json").display()
            )));
        }
    };
    let sha = |f: &str| -> Result<String> {
        let p = args.dir.join(f);
        Ok(crate::cert::sha256_ref(&std::fs::read(&p).map_err(|e| Error::io("cannot read", &p, e))?))
    };
    let (what, detail) = match (read("certificate.json")?, read("counterexample.json")?) {
        (Some(Artifact::TreeCertificate(c)), None) => {
            expect_ref("certificate.json", "payload", &c.payload, &sha("payload.json")?)?;
            expect_ref("certificate.json", "property", &c.property, &sha("property.json")?)?;
            let n = bab::check_tree(&mlp, &prop, &c.tree, c.intermediate, c.leaf_bound)
                .map_err(|e| e.context(args.dir.join("certificate.json").display().to_string()))?;
            ("certificate", format!("{n} leaves re-bounded, every disjunct refuted on each; the splits cover the box by construction"))
        }
        (None, Some(Artifact::Counterexample(c))) => {
            expect_ref("counterexample.json", "payload", &c.payload, &sha("payload.json")?)?;
            expect_ref("counterexample.json", "property", &c.property, &sha("property.json")?)?;
            let path = args.dir.join("counterexample.json").display().to_string();
            let problems = crate::cert::bab::counterexample_problems(&mlp, &prop, &c);
            if !problems.is_empty() {
                return Err(Error::check_failed(format!("{path}: {}", problems.join("; "))));
            }
            let bits: Vec<_> = c.input.iter().map(|q| crate::num::binary32::F32::from_rational(q).value).collect();
            let r = replay(&mlp, &prop, &bits)?.ok_or_else(|| Error::internal("a checked counterexample no longer replays"))?;
            ("counterexample", format!("replayed: exact output satisfies disjunct {}; binary32 {}", r.disjunct, if r.f32_violates { "too" } else { "not" }))
        }
        _ => {
            return Err(Error::bad_input(format!(
                "{}: expected exactly one of certificate.json (method bab) or counterexample.json",
                args.dir.display()
            )));
        }
    };
    let secs = start.elapsed().as_secs_f64();
    if args.json {
        println!("{}", json!({"checked": what, "detail": detail, "seconds": secs}));
    } else {
        println!("{:<10} {what} ok", "check");
        println!("{:<10} {detail}", "detail");
        println!("{:<10} {secs:.3} s", "time");
    }
    Ok(0)
}

fn expect_ref(file: &str, key: &str, found: &str, want: &str) -> Result<()> {
    if found != want {
        return Err(Error::check_failed(format!("{file}: {key}: expected {want} (the file's hash), found {found}")));
    }
    Ok(())
}
