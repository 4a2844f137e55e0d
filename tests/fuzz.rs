//! A short fuzzing budget over every reader (`tests/support/fuzz.rs`): mutated real files never
//! make a reader, or the checker behind a certificate or counterexample reader, panic or stall.
//! `examples/fuzz_readers.rs` (via `scripts/fuzz.sh`) runs the same at ≥ 10^6 inputs per reader.
#[path = "support/rng.rs"]
mod rng;
#[path = "support/fuzz.rs"]
mod fuzz;

use std::path::Path;
use std::time::Duration;

#[test]
fn no_reader_panics_or_stalls_on_mutated_seed_files() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let work = tempfile::tempdir().unwrap();
    let seeds = fuzz::seeds(Path::new(env!("CARGO_BIN_EXE_torchlean")), repo, work.path());
    let ctx = fuzz::context(repo);
    let n: usize = std::env::var("TORCHLEAN_FUZZ").ok().and_then(|s| s.parse().ok()).unwrap_or(3000);
    let mut failures = Vec::new();
    for (k, (reader, files)) in seeds.iter().enumerate() {
        let rep = fuzz::campaign(*reader, files, &ctx, n, 0xf022 + k as u64, Duration::from_secs(2));
        eprintln!("{reader:?}: {rep:?}", rep = (rep.inputs, rep.accepted, rep.refused, rep.panic_count, rep.slow, rep.slowest));
        if rep.panic_count > 0 || rep.slow > 0 {
            let shown: Vec<String> = rep.panics.iter().map(|(m, i)| format!("{m} on {:?}", String::from_utf8_lossy(&i[..i.len().min(300)]))).collect();
            failures.push(format!("{reader:?}: {} panics, {} slow (slowest {:?}): {shown:#?}", rep.panic_count, rep.slow, rep.slowest));
        }
        // Mutations must also reach the accepting paths, not only be refused at the first byte.
        assert!(rep.accepted > 0 || matches!(reader, fuzz::Reader::Certificate | fuzz::Reader::Counterexample), "{reader:?}: nothing accepted");
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
