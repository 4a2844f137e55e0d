//! Fuzzing every reader in-process: inputs derived from real seed files by byte mutations and, for
//! JSON, by structure-aware ones (a random node replaced by an extreme or ill-typed value, keys
//! dropped or duplicated, arrays grown or reordered). A reader may refuse an input (`Err`); it may
//! not panic or take long. Certificates and counterexamples that read go on to be re-checked
//! (`checker::tree::recheck`, `checker::counterexample::problems`), where a panic did hide.
//! Shared by `tests/fuzz.rs` (a short budget) and `examples/fuzz_readers.rs` (≥ 10^6 per reader).
#![allow(dead_code)]

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use serde_json::Value;
use torchlean::artifact::Artifact;
use torchlean::ir::Graph;
use torchlean::property::Vnnlib;

use super::rng::Rng;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    Nnet,
    Vnnlib,
    Payload,
    Graph,
    Property,
    Certificate,
    Counterexample,
    Manifest,
}

impl Reader {
    pub const ALL: [Reader; 8] = [
        Reader::Nnet,
        Reader::Vnnlib,
        Reader::Payload,
        Reader::Graph,
        Reader::Property,
        Reader::Certificate,
        Reader::Counterexample,
        Reader::Manifest,
    ];
    fn json(self) -> bool {
        !matches!(self, Reader::Nnet | Reader::Vnnlib)
    }
}

/// What a certificate or counterexample is re-checked against once it reads.
pub struct Context {
    pub tree_graph: Graph,
    pub tree_prop: Vnnlib,
    pub cex_graph: Graph,
    pub cex_prop: Vnnlib,
}

#[derive(Debug, Default)]
pub struct Report {
    pub inputs: usize,
    pub accepted: usize,
    pub refused: usize,
    /// Inputs that panicked, with the panic message (first few kept).
    pub panics: Vec<(String, Vec<u8>)>,
    pub panic_count: usize,
    pub slowest: Duration,
    /// The input that took longest.
    pub slowest_input: Vec<u8>,
    pub slow: usize,
}

/// Runs one input through `reader` (and its checker); `Ok(true)` when it was accepted.
fn run_one(reader: Reader, input: &[u8], ctx: &Context) -> bool {
    let text = || String::from_utf8_lossy(input).into_owned();
    match reader {
        Reader::Nnet => torchlean::model::nnet::parse_nnet(&text(), "fuzz.nnet").is_ok(),
        Reader::Vnnlib => torchlean::property::parse_vnnlib(&text(), "fuzz.vnnlib").is_ok(),
        _ => {
            let Ok(v) = torchlean::json::parse_strict(input) else { return false };
            let Ok(a) = Artifact::read(&v) else { return false };
            match a {
                Artifact::Payload(m) => torchlean::model::lower(&m).is_ok(),
                Artifact::TreeCertificate(c) => {
                    torchlean::checker::tree::recheck(&ctx.tree_graph, &ctx.tree_prop, &c.tree, c.intermediate, c.leaf_bound).is_ok()
                }
                Artifact::Counterexample(c) => {
                    torchlean::checker::counterexample::problems(&ctx.cex_graph, &ctx.cex_prop, &c).is_empty()
                }
                Artifact::ViolationProperty(p) => {
                    let _ = torchlean::search::bab::check_shape(&[p.input_box.len(), p.num_outputs], &p);
                    true
                }
                Artifact::RobustProperty(p) => {
                    let v = p.violation();
                    let _ = torchlean::search::bab::check_shape(&[v.input_box.len(), v.num_outputs], &v);
                    true
                }
                _ => true,
            }
        }
    }
}

const TOKENS: [&str; 24] = [
    "1e999999999", "-1e-99999", "99999999999999999999999", "-0", "NaN", "inf", "0x", "/0", "1/0", "(", ")", "{", "}", "[",
    "]", "\"", ",", ":", "(and ", "(or ", "Y_0", "X_99", "\u{ff}", "-",
];

fn byte_mutation(r: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut v = seed.to_vec();
    for _ in 0..1 + r.below(4) {
        let n = v.len().max(1);
        let at = r.below(n as u64) as usize;
        match r.below(7) {
            0 if !v.is_empty() => {
                let i = at.min(v.len() - 1);
                v[i] ^= 1 << r.below(8);
            }
            1 if !v.is_empty() => {
                let end = (at + 1 + r.below(16) as usize).min(v.len());
                v.drain(at.min(v.len())..end);
            }
            2 => {
                let t = TOKENS[r.below(TOKENS.len() as u64) as usize];
                let at = at.min(v.len());
                v.splice(at..at, t.bytes());
            }
            3 if !v.is_empty() => {
                let at = at.min(v.len() - 1);
                let end = (at + 1 + r.below(64) as usize).min(v.len());
                let piece = v[at..end].to_vec();
                v.splice(end..end, piece);
            }
            4 => v.truncate(at),
            5 if !v.is_empty() => {
                // Replace a digit run with an extreme number.
                let at = at.min(v.len() - 1);
                if let Some(s) = (at..v.len()).find(|&i| v[i].is_ascii_digit()) {
                    let e = (s..v.len()).find(|&i| !v[i].is_ascii_digit()).unwrap_or(v.len());
                    let t = TOKENS[r.below(3) as usize];
                    v.splice(s..e, t.bytes());
                }
            }
            _ => {
                let at = at.min(v.len());
                v.insert(at, r.below(256) as u8);
            }
        }
    }
    v
}

/// A random node of `v` (depth-first, each node equally likely along the walk).
fn pick<'a>(r: &mut Rng, v: &'a mut Value) -> &'a mut Value {
    let children = match v {
        Value::Array(a) => a.len(),
        Value::Object(m) => m.len(),
        _ => 0,
    };
    if children == 0 || r.below(3) == 0 {
        return v;
    }
    let i = r.below(children as u64) as usize;
    match v {
        Value::Array(a) => pick(r, &mut a[i]),
        Value::Object(m) => {
            let k = m.keys().nth(i).expect("i < len").clone();
            pick(r, m.get_mut(&k).expect("key exists"))
        }
        _ => unreachable!(),
    }
}

fn json_mutation(r: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let Ok(mut v) = serde_json::from_slice::<Value>(seed) else { return byte_mutation(r, seed) };
    for _ in 0..1 + r.below(3) {
        let node = pick(r, &mut v);
        let replacement: Option<Value> = match r.below(12) {
            0 => Some(Value::from(u64::MAX)),
            1 => Some(Value::from(-1)),
            2 => Some(Value::from(0.5)),
            3 => Some(Value::from("1/0")),
            4 => Some(Value::from("")),
            5 => Some(Value::Null),
            6 => Some(Value::from(vec![Value::from(1); 3])),
            7 => Some(serde_json::json!({"x": 1})),
            8 => Some(Value::from(9_007_199_254_740_993u64)),
            _ => None,
        };
        match (replacement, node) {
            (Some(x), node) => *node = x,
            (None, Value::Array(a)) if !a.is_empty() => {
                let i = r.below(a.len() as u64) as usize;
                match r.below(3) {
                    0 => {
                        a.remove(i);
                    }
                    1 => {
                        let x = a[i].clone();
                        a.insert(i, x);
                    }
                    _ => {
                        let j = r.below(a.len() as u64) as usize;
                        a.swap(i, j);
                    }
                }
            }
            (None, Value::Object(m)) if !m.is_empty() => {
                let k = m.keys().nth(r.below(m.len() as u64) as usize).expect("non-empty").clone();
                if r.below(2) == 0 {
                    m.remove(&k);
                } else {
                    m.insert(format!("{k}_"), Value::from(0));
                }
            }
            (None, Value::String(s)) => s.push_str(TOKENS[r.below(TOKENS.len() as u64) as usize]),
            (None, node) => *node = Value::from(r.below(1000)),
        }
    }
    let mut bytes = if r.below(2) == 0 {
        torchlean::json::canonical_bytes(&v).unwrap_or_else(|_| serde_json::to_vec(&v).expect("serialisable"))
    } else {
        serde_json::to_vec_pretty(&v).expect("serialisable")
    };
    if r.below(8) == 0 {
        // A duplicated key, which serde_json's Value cannot express.
        if let Some(i) = bytes.iter().position(|&b| b == b'{') {
            if let Some(end) = bytes[i..].iter().position(|&b| b == b',') {
                let member = bytes[i + 1..i + end + 1].to_vec();
                bytes.splice(i + 1..i + 1, member);
            }
        }
    }
    bytes
}

/// Runs `n` mutated inputs (seeded by `seed`) through `reader`.
pub fn campaign(reader: Reader, seeds: &[Vec<u8>], ctx: &Context, n: usize, seed: u64, slow_after: Duration) -> Report {
    let mut r = Rng(seed);
    let mut rep = Report::default();
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    for _ in 0..n {
        let s = &seeds[r.below(seeds.len() as u64) as usize];
        let input = if reader.json() && r.below(2) == 0 { json_mutation(&mut r, s) } else { byte_mutation(&mut r, s) };
        let start = Instant::now();
        let out = catch_unwind(AssertUnwindSafe(|| run_one(reader, &input, ctx)));
        let took = start.elapsed();
        rep.inputs += 1;
        if took > rep.slowest {
            rep.slowest = took;
            rep.slowest_input = input.clone();
        }
        rep.slow += usize::from(took > slow_after);
        match out {
            Ok(true) => rep.accepted += 1,
            Ok(false) => rep.refused += 1,
            Err(p) => {
                rep.panic_count += 1;
                if rep.panics.len() < 5 {
                    let msg = p
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_default();
                    rep.panics.push((msg, input));
                }
            }
        }
    }
    std::panic::set_hook(hook);
    rep
}

fn read(p: &std::path::Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("seed {}: {e}", p.display()))
}

/// Seed files per reader: the repository's test data and the artifacts `bin` (the torchlean
/// binary) writes for them into `work`.
pub fn seeds(bin: &std::path::Path, repo: &std::path::Path, work: &std::path::Path) -> Vec<(Reader, Vec<Vec<u8>>)> {
    use std::process::Command;
    let data = repo.join("tests/data");
    let shared = repo.join("../shared/benchmarks/acasxu");
    let run = |args: &[&str]| {
        // In `work`, so a `verify` writes its Lean module there, not into the repository.
        let o = Command::new(bin).args(args).current_dir(work).output().expect("torchlean runs");
        assert!(matches!(o.status.code(), Some(0 | 10 | 20)), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    };
    let s = |p: std::path::PathBuf| p.display().to_string();
    let (bab, cex, linf, imp) = (work.join("bab"), work.join("cex"), work.join("linf"), work.join("imp"));
    run(&["verify", "--model", &s(data.join("bab-small.nnet")), "--property", &s(data.join("bab-small.vnnlib")), "--out", &s(bab.clone())]);
    run(&["verify", "--model", &s(data.join("identity.nnet")), "--property", &s(data.join("closed-upper.vnnlib")), "--out", &s(cex.clone())]);
    let lp = work.join("linf.json");
    run(&["property", "linf", "--center", "0.5,0.25", "--epsilon", "1/100", "--label", "0", "--outputs", "2", "--out", &s(lp.clone())]);
    run(&["verify", "--model", &s(data.join("linf-small.nnet")), "--property", &s(lp.clone()), "--out", &s(linf.clone())]);
    let ob = work.join("box.json");
    run(&["property", "output-box", "--input-box=-1:1,-1:1", "--output-box=-6/5:10", "--out", &s(ob.clone())]);
    run(&["import", &s(data.join("cnn-small.payload.json")), "--out", &s(imp.clone())]);
    let nnets = ["bab-small.nnet", "identity.nnet", "linf-small.nnet", "packed-small.nnet"].map(|f| read(&data.join(f))).to_vec();
    let mut vnn: Vec<Vec<u8>> = ["bab-small.vnnlib", "strict-upper.vnnlib", "packed-small.vnnlib"].map(|f| read(&data.join(f))).to_vec();
    vnn.extend((1..=4).map(|k| read(&shared.join(format!("prop_{k}.vnnlib")))));
    vec![
        (Reader::Nnet, nnets),
        (Reader::Vnnlib, vnn),
        (Reader::Payload, vec![read(&data.join("cnn-small.payload.json")), read(&data.join("smooth-small.payload.json")), read(&bab.join("payload.json"))]),
        (Reader::Graph, vec![read(&imp.join("graph.json"))]),
        (Reader::Property, vec![read(&bab.join("property.json")), read(&lp), read(&ob)]),
        (Reader::Certificate, vec![read(&bab.join("certificate.json")), read(&linf.join("certificate.json"))]),
        (Reader::Counterexample, vec![read(&cex.join("counterexample.json"))]),
        (Reader::Manifest, vec![read(&bab.join("manifest.json")), read(&cex.join("manifest.json")), read(&imp.join("manifest.json"))]),
    ]
}

/// The networks and properties that read certificates and counterexamples are re-checked against.
pub fn context(repo: &std::path::Path) -> Context {
    let data = repo.join("tests/data");
    let text = |f: &str| std::fs::read_to_string(data.join(f)).expect("test data");
    Context {
        tree_graph: torchlean::model::nnet::parse_nnet(&text("bab-small.nnet"), "bab-small.nnet").expect("reads"),
        tree_prop: torchlean::property::parse_vnnlib(&text("bab-small.vnnlib"), "bab-small.vnnlib").expect("reads"),
        cex_graph: torchlean::model::nnet::parse_nnet(&text("identity.nnet"), "identity.nnet").expect("reads"),
        cex_prop: torchlean::property::parse_vnnlib(&text("closed-upper.vnnlib"), "closed-upper.vnnlib").expect("reads"),
    }
}
