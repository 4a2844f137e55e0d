//! Throughput of the binary32 softfloat (round to nearest, ties to even) next to hardware `f32`,
//! and an optional soak against hardware.
//!
//! - `cargo bench --bench binary32` — criterion groups per op (elements/s), then a table of
//!   Mops/s for softfloat and hardware measured in the same run, and their ratio.
//! - `TORCHLEAN_SOAK=1 cargo bench --bench binary32` — first checks 10^7 biased random operand
//!   sets per op (add, sub, mul, div, sqrt, fma) bit for bit against hardware
//!   (`TORCHLEAN_SOAK_N` overrides the count), then benchmarks.
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use torchlean::num::binary32::F32;

#[path = "../tests/support/rng.rs"]
mod rng;
use rng::Rng;

/// Operands per batch: large enough to amortise the loop, small enough for L1/L2.
const BATCH: usize = 4096;

/// A finite value of everyday size (exponents 2^-63..2^63), random sign and mantissa: the
/// operands numerics code mostly sees, so the timing reflects the common fast path.
fn everyday(rng: &mut Rng) -> F32 {
    let bits = rng.next() as u32;
    F32((bits & 0x807f_ffff) | ((rng.below(127) as u32 + 64) << 23))
}

/// A value biased toward hard cases for the soak: any bits, subnormals, range edges, specials.
fn biased(rng: &mut Rng) -> F32 {
    const SPECIALS: [u32; 12] = [
        0x0000_0000,
        0x8000_0000,
        0x7f80_0000,
        0xff80_0000,
        0x7fc0_0000,
        0x7f80_0001,
        0x0000_0001,
        0x007f_ffff,
        0x0080_0000,
        0x7f7f_ffff,
        0x3f80_0000,
        0x3f7f_ffff,
    ];
    let sign = (rng.next() as u32 & 1) << 31;
    let mantissa = {
        let m = rng.next() as u32 & 0x7f_ffff;
        let low = (1u32 << rng.below(24)) - 1;
        [m, m & !low, m | low][rng.below(3) as usize]
    };
    F32(match rng.below(10) {
        0..=2 => rng.next() as u32,
        3 => SPECIALS[rng.below(12) as usize] ^ sign,
        4..=5 => sign | ([0, 1, 2, 25, 253, 254][rng.below(6) as usize] << 23) | mantissa,
        _ => sign | ((rng.below(255) as u32) << 23) | mantissa,
    })
}

/// A partner for `a`: unrelated, near ±a (cancellation), or a few binades away.
fn partner(rng: &mut Rng, a: F32) -> F32 {
    let sign = (rng.next() as u32 & 1) << 31;
    match rng.below(4) {
        0 | 1 => biased(rng),
        2 => F32(((a.0 & 0x7fff_ffff).wrapping_add(rng.below(9) as u32).wrapping_sub(4) & 0x7fff_ffff) | sign),
        _ => {
            let exp = ((a.0 >> 23 & 0xff) as i64 + rng.below(61) as i64 - 30).clamp(0, 254) as u32;
            F32(sign | exp << 23 | (rng.next() as u32 & 0x7f_ffff))
        }
    }
}

type Triple = (F32, F32, F32);

fn operands(seed: u64) -> Vec<Triple> {
    let mut rng = Rng(seed);
    (0..BATCH).map(|_| (everyday(&mut rng), everyday(&mut rng), everyday(&mut rng))).collect()
}

/// One op, as softfloat and as hardware, each folding a batch into an xor of result bits.
struct OpPair {
    name: &'static str,
    soft: fn(&[Triple]) -> u32,
    hard: fn(&[Triple]) -> u32,
}

macro_rules! fold {
    ($xs:expr, |$a:ident, $b:ident, $c:ident| $e:expr) => {
        $xs.iter().fold(0u32, |acc, &($a, $b, $c)| {
            let _ = &$c;
            let _ = &$b;
            acc ^ $e
        })
    };
}

fn h(x: F32) -> f32 {
    x.to_f32()
}

const OPS: [OpPair; 5] = [
    OpPair {
        name: "add",
        soft: |xs| fold!(xs, |a, b, c| a.add(b).value.0),
        hard: |xs| fold!(xs, |a, b, c| (h(a) + h(b)).to_bits()),
    },
    OpPair {
        name: "mul",
        soft: |xs| fold!(xs, |a, b, c| a.mul(b).value.0),
        hard: |xs| fold!(xs, |a, b, c| (h(a) * h(b)).to_bits()),
    },
    OpPair {
        name: "div",
        soft: |xs| fold!(xs, |a, b, c| a.div(b).value.0),
        hard: |xs| fold!(xs, |a, b, c| (h(a) / h(b)).to_bits()),
    },
    OpPair {
        name: "sqrt",
        soft: |xs| fold!(xs, |a, b, c| a.abs().sqrt().value.0),
        hard: |xs| fold!(xs, |a, b, c| h(a.abs()).sqrt().to_bits()),
    },
    OpPair {
        name: "fma",
        soft: |xs| fold!(xs, |a, b, c| a.fma(b, c).value.0),
        hard: |xs| fold!(xs, |a, b, c| h(a).mul_add(h(b), h(c)).to_bits()),
    },
];

fn criterion_groups(c: &mut Criterion, xs: &[Triple]) {
    for op in &OPS {
        let mut group = c.benchmark_group(format!("binary32_rne_{}", op.name));
        group.throughput(Throughput::Elements(BATCH as u64));
        group.bench_function("softfloat", |b| b.iter(|| (op.soft)(black_box(xs))));
        group.bench_function("hardware", |b| b.iter(|| (op.hard)(black_box(xs))));
        group.finish();
    }
}

/// Operations per second of `f` over batches of `xs`, measured for about `budget`.
fn rate(f: fn(&[Triple]) -> u32, xs: &[Triple], budget: Duration) -> f64 {
    let mut batches = 0u64;
    let start = Instant::now();
    while start.elapsed() < budget {
        for _ in 0..16 {
            black_box(f(black_box(xs)));
        }
        batches += 16;
    }
    (batches * BATCH as u64) as f64 / start.elapsed().as_secs_f64()
}

/// The softfloat/hardware table, both measured here, one after the other, on the same operands.
fn ratio_table(xs: &[Triple]) {
    println!("\nbinary32 round-to-nearest-even throughput, one thread, batches of {BATCH} operand sets:");
    println!("{:<6} {:>16} {:>16} {:>10}", "op", "softfloat Mop/s", "hardware Mop/s", "soft/hw");
    for op in &OPS {
        let soft = rate(op.soft, xs, Duration::from_millis(400));
        let hard = rate(op.hard, xs, Duration::from_millis(400));
        println!("{:<6} {:>16.1} {:>16.1} {:>10.3}", op.name, soft / 1e6, hard / 1e6, soft / hard);
    }
}

/// Checks `n` biased operand sets per op against hardware, on every core; panics on a mismatch.
fn soak(n: usize) {
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get());
    let start = Instant::now();
    std::thread::scope(|s| {
        for t in 0..threads {
            let count = n / threads + usize::from(t < n % threads);
            s.spawn(move || soak_thread(0x5eed_0000 + t as u64, count));
        }
    });
    println!(
        "soak: {n} operand sets per op (add sub mul div sqrt fma) match hardware, {:.1} s",
        start.elapsed().as_secs_f64()
    );
}

fn soak_thread(seed: u64, n: usize) {
    let mut rng = Rng(seed);
    let check = |what: &str, a: F32, b: F32, c: F32, ours: F32, hw: f32| {
        let ok = if hw.is_nan() { ours == F32::NAN } else { ours.0 == hw.to_bits() };
        assert!(
            ok,
            "soak {what}(0x{:08x}, 0x{:08x}, 0x{:08x}): ours 0x{:08x}, hardware 0x{:08x}",
            a.0,
            b.0,
            c.0,
            ours.0,
            hw.to_bits()
        );
    };
    for _ in 0..n {
        let a = biased(&mut rng);
        let b = partner(&mut rng, a);
        let c = partner(&mut rng, a.mul(b).value);
        let (x, y, z) = (h(a), h(b), h(c));
        check("add", a, b, c, a.add(b).value, x + y);
        check("sub", a, b, c, a.sub(b).value, x - y);
        check("mul", a, b, c, a.mul(b).value, x * y);
        check("div", a, b, c, a.div(b).value, x / y);
        check("sqrt", a, b, c, a.sqrt().value, x.sqrt());
        check("fma", a, b, c, a.fma(b, c).value, x.mul_add(y, z));
    }
}

fn main() {
    if std::env::var_os("TORCHLEAN_SOAK").is_some_and(|v| v == "1") {
        let n = std::env::var("TORCHLEAN_SOAK_N").ok().and_then(|s| s.parse().ok()).unwrap_or(10_000_000);
        soak(n);
    }
    let xs = operands(42);
    let mut c = Criterion::default().configure_from_args();
    criterion_groups(&mut c, &xs);
    c.final_summary();
    // `cargo bench` passes --bench; `cargo test --benches` does not, and then one pass suffices.
    if std::env::args().any(|a| a == "--bench") {
        ratio_table(&xs);
    }
}
