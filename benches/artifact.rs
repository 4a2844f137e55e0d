//! Throughput of writing and auditing a payload artifact of a 784-256-256-256-10 MLP (335,114
//! parameters, random finite binary32 bits), next to raw SHA-256 over the same number of bytes.
//!
//! - `cargo bench --bench artifact` — criterion groups (bytes/s of the canonical payload), then a
//!   table of MB/s measured in the same run: building the JSON value, RFC 8785 canonicalisation,
//!   canonicalisation + SHA-256, SHA-256 alone (sha2), `sha256sum` on a temp file (if on PATH,
//!   including process start), and the strict read-back (`parse_canonical` + schema).
use std::hint::black_box;
use std::io::Write;
use std::process::Command;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use serde_json::Value;
use sha2::{Digest, Sha256};
use torchlean::json::{canonical_bytes, parse_canonical, sha256_ref};
use torchlean::artifact::payload::{read as read_payload, write as payload};
use torchlean::ir::Tensor;
use torchlean::model::{Act, Family, MlpSpec, Model};
use torchlean::num::binary32::F32;

#[path = "../tests/support/rng.rs"]
mod rng;
use rng::Rng;

const WIDTHS: [usize; 5] = [784, 256, 256, 256, 10];

impl Rng {
    /// Random bits of a finite binary32 (any sign, exponent field below 255).
    fn finite(&mut self) -> F32 {
        let b = self.next() as u32;
        if (b >> 23) & 0xff == 0xff { F32(b & 0xff7f_ffff) } else { F32(b) }
    }
}

fn synthetic_mlp() -> Model {
    let mut rng = Rng(0x5eed);
    let mut tensors = Vec::new();
    for (i, w) in WIDTHS.windows(2).enumerate() {
        let weight: Vec<F32> = (0..w[1] * w[0]).map(|_| rng.finite()).collect();
        let bias: Vec<F32> = (0..w[1]).map(|_| rng.finite()).collect();
        tensors.push((format!("layers.{i}.weight"), Tensor::new(vec![w[1], w[0]], weight).expect("shape")));
        tensors.push((format!("layers.{i}.bias"), Tensor::vector(bias)));
    }
    let acts = (0..WIDTHS.len() - 1).map(|i| if i + 2 < WIDTHS.len() { Act::Relu } else { Act::Identity }).collect();
    Model::new(Family::Mlp(MlpSpec::new(WIDTHS.to_vec(), acts).expect("spec")), tensors).expect("model")
}

/// Bytes per second of `f` processing `bytes` bytes, measured for about `budget` (at least 3 runs).
fn rate(bytes: usize, budget: Duration, mut f: impl FnMut()) -> f64 {
    let mut runs = 0u32;
    let start = Instant::now();
    while runs < 3 || start.elapsed() < budget {
        f();
        runs += 1;
    }
    bytes as f64 * f64::from(runs) / start.elapsed().as_secs_f64()
}

/// `sha256sum FILE` throughput (best of 5, process start included), or why not.
fn sha256sum_rate(canon: &[u8], want: &str) -> Result<f64, String> {
    let mut tmp = tempfile::NamedTempFile::new().map_err(|e| e.to_string())?;
    tmp.write_all(canon).map_err(|e| e.to_string())?;
    tmp.flush().map_err(|e| e.to_string())?;
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        let start = Instant::now();
        let out = Command::new("sha256sum").arg(tmp.path()).output().map_err(|e| format!("not available ({e})"))?;
        best = best.min(start.elapsed().as_secs_f64());
        let hex = String::from_utf8_lossy(&out.stdout);
        if !want.ends_with(hex.split_whitespace().next().unwrap_or("")) {
            return Err(format!("disagrees with sha2: {hex}"));
        }
    }
    Ok(canon.len() as f64 / best)
}

fn table(mlp: &Model, value: &Value, canon: &[u8]) {
    let n = canon.len();
    let budget = Duration::from_millis(1500);
    let sha = sha256_ref(canon);
    println!(
        "\npayload artifact: {} parameters, {n} canonical bytes ({:.2} MB), {sha}",
        mlp.tensors().iter().map(|(_, t)| t.data().len()).sum::<usize>(),
        n as f64 / 1e6
    );
    println!("{:<44} {:>10}", "step (one thread)", "MB/s");
    let rows: [(&str, f64); 5] = [
        (
            "build JSON value (payload::write)",
            rate(n, budget, || {
                let _ = black_box(payload(mlp));
            }),
        ),
        (
            "RFC 8785 canonicalise",
            rate(n, budget, || {
                let _ = black_box(canonical_bytes(value).unwrap());
            }),
        ),
        (
            "canonicalise + SHA-256 (write path)",
            rate(n, budget, || {
                let _ = black_box(sha256_ref(&canonical_bytes(value).unwrap()));
            }),
        ),
        (
            "SHA-256 alone (sha2)",
            rate(n, budget, || {
                let _ = black_box(Sha256::digest(black_box(canon)));
            }),
        ),
        (
            "parse_canonical + schema read (audit path)",
            rate(n, budget, || {
                let _ = black_box(read_payload(&parse_canonical(canon).unwrap()).unwrap());
            }),
        ),
    ];
    for (what, r) in rows {
        println!("{what:<44} {:>10.1}", r / 1e6);
    }
    match sha256sum_rate(canon, &sha) {
        Ok(r) => println!("{:<44} {:>10.1}", "sha256sum on a temp file (incl. process)", r / 1e6),
        Err(why) => println!("{:<44} {:>10}", "sha256sum", why),
    }
}

fn main() {
    let mlp = synthetic_mlp();
    let value = payload(&mlp);
    let canon = canonical_bytes(&value).unwrap();
    assert_eq!(read_payload(&parse_canonical(&canon).unwrap()).unwrap(), mlp);

    let mut c = Criterion::default().configure_from_args();
    let mut g = c.benchmark_group("payload_335k");
    g.throughput(Throughput::Bytes(canon.len() as u64));
    g.sample_size(10);
    g.bench_function("canonicalise_and_hash", |b| b.iter(|| sha256_ref(&canonical_bytes(black_box(&value)).unwrap())));
    g.bench_function("sha256_only", |b| b.iter(|| Sha256::digest(black_box(&canon[..]))));
    g.finish();
    c.final_summary();
    // `cargo bench` passes --bench; `cargo test --benches` does not, and then one pass suffices.
    if std::env::args().any(|a| a == "--bench") {
        table(&mlp, &value, &canon);
    }
}
