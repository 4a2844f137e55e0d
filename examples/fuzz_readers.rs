//! The long fuzzing campaign over every reader (`tests/support/fuzz.rs`; `tests/fuzz.rs` runs a
//! short budget of the same). Run through `scripts/fuzz.sh`, which caps memory and reports the
//! peak; on its own:
//!
//!     cargo run --release --example fuzz_readers -- [--per-reader N] [--reader NAME] [--seed S] [--slow-ms MS]
//!
//! Prints one row per reader (inputs, accepted, refused, panics, slow, slowest) and exits 1 when
//! any input panicked or took longer than `--slow-ms` (default 2000).
#[path = "../tests/support/rng.rs"]
mod rng;
#[path = "../tests/support/fuzz.rs"]
mod fuzz;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str| args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).cloned();
    let per_reader: usize = value("--per-reader").map_or(1_000_000, |s| s.parse().expect("--per-reader: a count"));
    let seed: u64 = value("--seed").map_or(1, |s| s.parse().expect("--seed: an integer"));
    let only = value("--reader");
    let slow_after = Duration::from_millis(value("--slow-ms").map_or(2000, |s| s.parse().expect("--slow-ms: milliseconds")));
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let bin = value("--torchlean").map_or_else(|| repo.join("target/release/torchlean"), PathBuf::from);
    let work = tempfile::tempdir().expect("a temp directory");
    let seeds = fuzz::seeds(&bin, Path::new(&repo), work.path());
    let ctx = fuzz::context(&repo);
    println!("{:<15} {:>9} {:>9} {:>9} {:>7} {:>5} {:>10} {:>8}", "reader", "inputs", "accepted", "refused", "panics", "slow", "slowest", "wall s");
    let mut bad = false;
    for (k, (reader, files)) in seeds.iter().enumerate() {
        if only.as_deref().is_some_and(|o| !format!("{reader:?}").eq_ignore_ascii_case(o)) {
            continue;
        }
        let start = Instant::now();
        let rep = fuzz::campaign(*reader, files, &ctx, per_reader, seed.wrapping_mul(1000) + k as u64, slow_after);
        println!(
            "{:<15} {:>9} {:>9} {:>9} {:>7} {:>5} {:>9.3}s {:>8.1}",
            format!("{reader:?}"),
            rep.inputs,
            rep.accepted,
            rep.refused,
            rep.panic_count,
            rep.slow,
            rep.slowest.as_secs_f64(),
            start.elapsed().as_secs_f64()
        );
        for (msg, input) in &rep.panics {
            println!("  panic: {msg}\n  input: {:?}", String::from_utf8_lossy(&input[..input.len().min(400)]));
        }
        if rep.slow > 0 {
            let i = &rep.slowest_input;
            println!("  slowest input: {:?}", String::from_utf8_lossy(&i[..i.len().min(2000)]));
        }
        bad |= rep.panic_count > 0 || rep.slow > 0;
    }
    std::process::exit(i32::from(bad));
}
