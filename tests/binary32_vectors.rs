//! The binary32 test-vector table shared with Lean: `lean/TorchLean/Num/Vectors.lean` states
//! `(op, mode, a, b) → bits` entries that the kernel checks against Lean's rounding model
//! (`Num/Round.lean`); this test checks the very same entries, read from that file, against the
//! Rust softfloat. Both sides agreeing on one table is what ties the two executable models together.
use std::fs;

use torchlean::num::binary32::{F32, Round};

fn mode(s: &str) -> Round {
    match s {
        "rne" => Round::NearestTiesToEven,
        "rtz" => Round::TowardZero,
        "rup" => Round::TowardPositive,
        "rdn" => Round::TowardNegative,
        _ => panic!("unknown mode {s}"),
    }
}

fn eval(op: &str, m: Round, a: u32, b: u32) -> u32 {
    let (a, b) = (F32(a), F32(b));
    match op {
        "add" => a.add_r(b, m),
        "sub" => a.sub_r(b, m),
        "mul" => a.mul_r(b, m),
        "div" => a.div_r(b, m),
        _ => panic!("unknown op {op}"),
    }
    .value
    .to_bits()
}

fn hex(s: &str) -> u32 {
    u32::from_str_radix(s.trim().trim_start_matches("0x"), 16).unwrap()
}

/// The `⟨.op, .mode, a, b, r⟩` entries of the Lean table.
fn lean_table() -> Vec<(String, String, u32, u32, u32)> {
    let text = fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/lean/TorchLean/Num/Vectors.lean")).unwrap();
    let body = &text[text.find("def vectors").expect("the table")..];
    body.split('⟨')
        .skip(1)
        .map(|e| {
            let e = &e[..e.find('⟩').unwrap()];
            let f: Vec<&str> = e.split(',').map(str::trim).collect();
            (f[0].trim_start_matches('.').into(), f[1].trim_start_matches('.').into(), hex(f[2]), hex(f[3]), hex(f[4]))
        })
        .collect()
}

#[test]
fn the_lean_vector_table_matches_the_softfloat() {
    let table = lean_table();
    assert_eq!(table.len(), 490);
    for (op, m, a, b, r) in &table {
        assert_eq!(eval(op, mode(m), *a, *b), *r, "{op} {m} {a:#010x} {b:#010x}");
    }
}

/// Regenerates the table (`cargo test --test binary32_vectors -- --ignored --nocapture`).
#[test]
#[ignore]
fn print_table() {
    let operands: [u32; 22] = [
        0x3f800000, 0x3eaaaaab, 0xbf800000, 0x00000001, 0x80000001, 0x007fffff, 0x00800000, 0x7f7fffff, 0xff7fffff,
        0x3f7fffff, 0x33800000, 0x33800001, 0x4b800000, 0x40490fdb, 0xc2f6e979, 0x00000000, 0x80000000, 0x3dcccccd,
        0x3e4ccccd, 0x501502f9, 0x2edbe6ff, 0x7f000000,
    ];
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut rows = Vec::new();
    for op in ["add", "sub", "mul", "div"] {
        let mut n = 0;
        while n < 30 {
            let a = operands[(next() % 22) as usize];
            let b = operands[(next() % 22) as usize];
            if op == "div" && (b & 0x7fffffff) == 0 {
                continue;
            }
            for m in ["rne", "rtz", "rup", "rdn"] {
                rows.push(format!("⟨.{op}, .{m}, {a:#010x}, {b:#010x}, {:#010x}⟩", eval(op, mode(m), a, b)));
            }
            n += 1;
        }
    }
    println!("{}", rows.join(",\n  "));
}
