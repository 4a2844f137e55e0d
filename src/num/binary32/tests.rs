//! Hand-derived edge cases as tables of hex bit patterns, decimal values in comments. Each row was
//! worked out by hand from the exact value; the integration tests compare with hardware and with
//! rustc_apfloat on random operands.
use super::*;

const N: Round = Round::NearestTiesToEven;
const Z: Round = Round::TowardZero;
const U: Round = Round::TowardPositive;
const D: Round = Round::TowardNegative;
const OK: Status = Status::OK;
const X: Status = Status::INEXACT;
const UF: Status = Status::UNDERFLOW.union(Status::INEXACT);
const OF: Status = Status::OVERFLOW.union(Status::INEXACT);
const INV: Status = Status::INVALID;
const DZ: Status = Status::DIV_BY_ZERO;

/// Asserts one result, printing both sides in hex on mismatch.
#[track_caller]
fn check(what: &str, got: StatusAnd<F32>, bits: u32, status: Status) {
    assert!(
        got.value.0 == bits && got.status == status,
        "{what}: expected 0x{bits:08x} [{status}], found 0x{:08x} [{}]",
        got.value.0,
        got.status
    );
}

/// Rows `(a, b, mode, expected bits, expected flags)` for a binary operation.
type Row2 = (u32, u32, Round, u32, Status);

fn run2(name: &str, op: fn(F32, F32, Round) -> StatusAnd<F32>, rows: &[Row2]) {
    for &(a, b, mode, bits, status) in rows {
        check(&format!("{name}_r(0x{a:08x}, 0x{b:08x}, {mode:?})"), op(F32(a), F32(b), mode), bits, status);
    }
}

#[test]
fn add_table() {
    run2(
        "add",
        F32::add_r,
        &[
            (0x3f80_0000, 0x3f80_0000, N, 0x4000_0000, OK), // 1 + 1 = 2
            // 1 + 2^-24: a tie between 1 (even) and 1 + 2^-23 (odd)
            (0x3f80_0000, 0x3380_0000, N, 0x3f80_0000, X),
            (0x3f80_0000, 0x3380_0000, Z, 0x3f80_0000, X),
            (0x3f80_0000, 0x3380_0000, U, 0x3f80_0001, X),
            (0x3f80_0000, 0x3380_0000, D, 0x3f80_0000, X),
            // (1 + 2^-23) + 2^-24: a tie between odd 1 + 2^-23 and even 1 + 2^-22
            (0x3f80_0001, 0x3380_0000, N, 0x3f80_0002, X),
            (0x3f80_0001, 0x3380_0000, Z, 0x3f80_0001, X),
            // 1 + 2^-24·(1 + 2^-23): just above the tie
            (0x3f80_0000, 0x3380_0001, N, 0x3f80_0001, X),
            // -1 + 2^-24 = -(1 - 2^-24) is exact (the ulp below 1 is 2^-24)
            (0xbf80_0000, 0x3380_0000, N, 0xbf7f_ffff, OK),
            // -1 + 2^-25: a tie between the even -1 and the odd -(1 - 2^-24)
            (0xbf80_0000, 0x3300_0000, N, 0xbf80_0000, X),
            (0xbf80_0000, 0x3300_0000, U, 0xbf7f_ffff, X),
            (0xbf80_0000, 0x3300_0000, Z, 0xbf7f_ffff, X),
            (0xbf80_0000, 0x3300_0000, D, 0xbf80_0000, X),
            // 1 + 2^-149 (operands 126 binades apart): sticky only
            (0x3f80_0000, 0x0000_0001, N, 0x3f80_0000, X),
            (0x3f80_0000, 0x0000_0001, U, 0x3f80_0001, X),
            // -1 + 2^-149 = -(1 - 2^-149)
            (0xbf80_0000, 0x0000_0001, N, 0xbf80_0000, X),
            (0xbf80_0000, 0x0000_0001, Z, 0xbf7f_ffff, X),
            (0xbf80_0000, 0x0000_0001, U, 0xbf7f_ffff, X),
            (0xbf80_0000, 0x0000_0001, D, 0xbf80_0000, X),
            // exact cancellation: 1 + (-1) is +0, or -0 toward negative
            (0x3f80_0000, 0xbf80_0000, N, 0x0000_0000, OK),
            (0x3f80_0000, 0xbf80_0000, Z, 0x0000_0000, OK),
            (0x3f80_0000, 0xbf80_0000, U, 0x0000_0000, OK),
            (0x3f80_0000, 0xbf80_0000, D, 0x8000_0000, OK),
            // signed zeros: -0 + -0 = -0; +0 + -0 = +0 (-0 toward negative)
            (0x8000_0000, 0x8000_0000, N, 0x8000_0000, OK),
            (0x0000_0000, 0x8000_0000, N, 0x0000_0000, OK),
            (0x0000_0000, 0x8000_0000, D, 0x8000_0000, OK),
            (0x8000_0000, 0x0000_0000, U, 0x0000_0000, OK),
            // x + 0 = x, also for -0
            (0x0000_0001, 0x8000_0000, N, 0x0000_0001, OK),
            // (1 + 2^-23) - 1 = 2^-23, exact
            (0x3f80_0001, 0xbf80_0000, N, 0x3400_0000, OK),
            // subnormals add exactly: 2^-149 + 2^-149 = 2^-148
            (0x0000_0001, 0x0000_0001, N, 0x0000_0002, OK),
            // the subnormal/normal transition is exact both ways
            (0x007f_ffff, 0x0000_0001, N, 0x0080_0000, OK), // (2^-126 - 2^-149) + 2^-149 = 2^-126
            (0x0080_0000, 0x8000_0001, N, 0x007f_ffff, OK), // 2^-126 - 2^-149
            // MAX + MAX overflows: ∞ or MAX by mode (§7.4)
            (0x7f7f_ffff, 0x7f7f_ffff, N, 0x7f80_0000, OF),
            (0x7f7f_ffff, 0x7f7f_ffff, Z, 0x7f7f_ffff, OF),
            (0x7f7f_ffff, 0x7f7f_ffff, U, 0x7f80_0000, OF),
            (0x7f7f_ffff, 0x7f7f_ffff, D, 0x7f7f_ffff, OF),
            (0xff7f_ffff, 0xff7f_ffff, N, 0xff80_0000, OF),
            (0xff7f_ffff, 0xff7f_ffff, Z, 0xff7f_ffff, OF),
            (0xff7f_ffff, 0xff7f_ffff, U, 0xff7f_ffff, OF),
            (0xff7f_ffff, 0xff7f_ffff, D, 0xff80_0000, OF),
            // MAX + 2^103 (half an ulp of MAX): the tie goes to even 2^128 = overflow, but rounded
            // toward zero the unbounded result is MAX, so no overflow there
            (0x7f7f_ffff, 0x7300_0000, N, 0x7f80_0000, OF),
            (0x7f7f_ffff, 0x7300_0000, Z, 0x7f7f_ffff, X),
            (0x7f7f_ffff, 0x7300_0000, U, 0x7f80_0000, OF),
            (0x7f7f_ffff, 0x7300_0000, D, 0x7f7f_ffff, X),
            // MAX + (2^103 - 2^79): below the tie
            (0x7f7f_ffff, 0x72ff_ffff, N, 0x7f7f_ffff, X),
            // infinities and NaNs
            (0x7f80_0000, 0xff80_0000, N, 0x7fc0_0000, INV), // ∞ - ∞
            (0x7f80_0000, 0x7f80_0000, N, 0x7f80_0000, OK),
            (0xff80_0000, 0x3f80_0000, N, 0xff80_0000, OK), // -∞ + 1
            (0x3f80_0000, 0xff80_0000, N, 0xff80_0000, OK),
            (0x7fc0_0001, 0x3f80_0000, N, 0x7fc0_0000, OK), // qNaN with payload → canonical
            (0xffc0_0000, 0x7f80_0000, N, 0x7fc0_0000, OK), // -qNaN + ∞
            (0x7f80_0001, 0x3f80_0000, N, 0x7fc0_0000, INV), // sNaN
            (0x3f80_0000, 0xffbf_ffff, N, 0x7fc0_0000, INV), // 1 + -sNaN
        ],
    );
}

#[test]
fn sub_table() {
    run2(
        "sub",
        F32::sub_r,
        &[
            (0x3f80_0000, 0x3f80_0000, N, 0x0000_0000, OK), // 1 - 1 = +0
            (0x3f80_0000, 0x3f80_0000, D, 0x8000_0000, OK), // 1 - 1 = -0 toward negative
            (0x8000_0000, 0x0000_0000, N, 0x8000_0000, OK), // -0 - +0 = -0
            (0x0000_0000, 0x0000_0000, N, 0x0000_0000, OK), // +0 - +0 = +0
            (0x0000_0000, 0x0000_0000, D, 0x8000_0000, OK),
            (0x7f80_0000, 0x7f80_0000, N, 0x7fc0_0000, INV), // ∞ - ∞
            (0x4000_0000, 0x3f80_0000, N, 0x3f80_0000, OK),  // 2 - 1 = 1
            // (2^-126 + 2^-149) - 2^-126 = 2^-149: exact, so no underflow
            (0x0080_0001, 0x0080_0000, N, 0x0000_0001, OK),
        ],
    );
}

#[test]
fn mul_table() {
    run2(
        "mul",
        F32::mul_r,
        &[
            (0x4040_0000, 0x4040_0000, N, 0x4110_0000, OK), // 3 × 3 = 9
            // 2^-75 × 2^-75 = 2^-150: half the least subnormal, a tie toward even 0
            (0x1a00_0000, 0x1a00_0000, N, 0x0000_0000, UF),
            (0x1a00_0000, 0x1a00_0000, Z, 0x0000_0000, UF),
            (0x1a00_0000, 0x1a00_0000, U, 0x0000_0001, UF),
            (0x1a00_0000, 0x1a00_0000, D, 0x0000_0000, UF),
            (0x9a00_0000, 0x1a00_0000, D, 0x8000_0001, UF), // -2^-150 toward negative
            (0x9a00_0000, 0x1a00_0000, N, 0x8000_0000, UF), // -2^-150 → -0
            // 2^-75 × 2^-75·(1 + 2^-23): just above half of 2^-149
            (0x1a00_0000, 0x1a00_0001, N, 0x0000_0001, UF),
            // 3·2^-149 × 0.5 = 1.5·2^-149: a tie between odd 1 and even 2 (×2^-149)
            (0x0000_0003, 0x3f00_0000, N, 0x0000_0002, UF),
            (0x0000_0003, 0x3f00_0000, Z, 0x0000_0001, UF),
            // 2^-149 × 2^23 = 2^-126: subnormal × normal lands exactly on the least normal
            (0x0000_0001, 0x4b00_0000, N, 0x0080_0000, OK),
            // 2^-126 × 0.5 = 2^-127: exact subnormal, so no underflow (§7.5 needs inexact)
            (0x0080_0000, 0x3f00_0000, N, 0x0040_0000, OK),
            // (1 - 2^-24) × 2^-126 = 2^-126 - 2^-150: a tie between odd 0x007fffff and even 2^-126.
            // With unbounded exponent it is exact and below 2^-126, so it is tiny: underflow is
            // raised even though the delivered result is the normal 2^-126 (tininess after rounding).
            (0x3f7f_ffff, 0x0080_0000, N, 0x0080_0000, UF),
            (0x3f7f_ffff, 0x0080_0000, Z, 0x007f_ffff, UF),
            (0x3f7f_ffff, 0x0080_0000, U, 0x0080_0000, UF),
            (0x3f7f_ffff, 0x0080_0000, D, 0x007f_ffff, UF),
            // 2^127 × 2 = 2^128 overflows
            (0x7f00_0000, 0x4000_0000, N, 0x7f80_0000, OF),
            (0x7f00_0000, 0x4000_0000, Z, 0x7f7f_ffff, OF),
            (0x7f00_0000, 0x4000_0000, U, 0x7f80_0000, OF),
            (0x7f00_0000, 0x4000_0000, D, 0x7f7f_ffff, OF),
            (0xff00_0000, 0x4000_0000, N, 0xff80_0000, OF),
            (0xff00_0000, 0x4000_0000, Z, 0xff7f_ffff, OF),
            (0xff00_0000, 0x4000_0000, U, 0xff7f_ffff, OF),
            (0xff00_0000, 0x4000_0000, D, 0xff80_0000, OF),
            // MAX × (1 - 2^-24) = MAX - 2^104·(1 - 2^-24)... rounds to 0x7f7ffffe or MAX
            (0x7f7f_ffff, 0x3f7f_ffff, N, 0x7f7f_fffe, X), // (2 - 2^-23)(1 - 2^-24)·2^127
            (0x7f7f_ffff, 0x3f7f_ffff, U, 0x7f7f_ffff, X),
            // signed zeros, infinities, NaN
            (0x8000_0000, 0x40a0_0000, N, 0x8000_0000, OK),  // -0 × 5 = -0
            (0x8000_0000, 0x8000_0000, N, 0x0000_0000, OK),  // -0 × -0 = +0
            (0x7f80_0000, 0xc000_0000, N, 0xff80_0000, OK),  // ∞ × -2 = -∞
            (0x7f80_0000, 0x8000_0000, N, 0x7fc0_0000, INV), // ∞ × -0
            (0x0000_0000, 0xff80_0000, N, 0x7fc0_0000, INV), // 0 × -∞
            (0x7fc0_0000, 0x0000_0000, N, 0x7fc0_0000, OK),  // qNaN × 0
            (0x7fa0_0000, 0x3f80_0000, N, 0x7fc0_0000, INV), // sNaN × 1
        ],
    );
}

#[test]
fn div_table() {
    run2(
        "div",
        F32::div_r,
        &[
            // 1/3 = 0.333…: 0x3eaaaaaa = 0.3333333134651184…, 0x3eaaaaab = 0.3333333432674408…
            (0x3f80_0000, 0x4040_0000, N, 0x3eaa_aaab, X),
            (0x3f80_0000, 0x4040_0000, Z, 0x3eaa_aaaa, X),
            (0x3f80_0000, 0x4040_0000, U, 0x3eaa_aaab, X),
            (0x3f80_0000, 0x4040_0000, D, 0x3eaa_aaaa, X),
            (0xbf80_0000, 0x4040_0000, U, 0xbeaa_aaaa, X), // -1/3
            (0xbf80_0000, 0x4040_0000, D, 0xbeaa_aaab, X),
            (0x40c0_0000, 0x4040_0000, N, 0x4000_0000, OK), // 6/3 = 2
            // division by zero (§7.3) only for finite non-zero dividends
            (0x3f80_0000, 0x0000_0000, N, 0x7f80_0000, DZ),
            (0xbf80_0000, 0x0000_0000, N, 0xff80_0000, DZ),
            (0x3f80_0000, 0x8000_0000, N, 0xff80_0000, DZ),
            (0x7f80_0000, 0x0000_0000, N, 0x7f80_0000, OK), // ∞/0 = ∞, no flag
            (0x0000_0000, 0x0000_0000, N, 0x7fc0_0000, INV), // 0/0
            (0x7f80_0000, 0xff80_0000, N, 0x7fc0_0000, INV), // ∞/-∞
            (0x0000_0000, 0x7f80_0000, N, 0x0000_0000, OK),
            (0x3f80_0000, 0xff80_0000, N, 0x8000_0000, OK), // 1/-∞ = -0
            (0x8000_0000, 0x3f80_0000, N, 0x8000_0000, OK), // -0/1 = -0
            (0x7fc0_0000, 0x0000_0000, N, 0x7fc0_0000, OK), // NaN/0: no division-by-zero flag
            // MAX / 0.5 = 2^128·(1 - 2^-24) overflows
            (0x7f7f_ffff, 0x3f00_0000, N, 0x7f80_0000, OF),
            (0x7f7f_ffff, 0x3f00_0000, Z, 0x7f7f_ffff, OF),
            // 2^-149 / 2 = 2^-150: tie toward even 0; 2^-126 / 2 = 2^-127 exactly
            (0x0000_0001, 0x4000_0000, N, 0x0000_0000, UF),
            (0x0000_0001, 0x4000_0000, U, 0x0000_0001, UF),
            (0x0080_0000, 0x4000_0000, N, 0x0040_0000, OK),
            // 1 / MAX = 2^-128 / (1 - 2^-24) ≈ 2^-128 + 2^-152: subnormal 0x00200000
            (0x3f80_0000, 0x7f7f_ffff, N, 0x0020_0000, UF),
            (0x3f80_0000, 0x7f7f_ffff, U, 0x0020_0001, UF),
            // subnormal / subnormal: 2^-149 / (2^-126 - 2^-149) = 1 / (2^23 - 1)
            (0x0000_0001, 0x007f_ffff, N, 0x3400_0001, X), // 2^-23·(1 + 2^-23 + …)
            (0x007f_ffff, 0x0000_0001, N, 0x4aff_fffe, OK), // 2^23 - 1 exactly
        ],
    );
}

#[test]
fn sqrt_table() {
    for &(a, mode, bits, status) in &[
        (0x4080_0000u32, N, 0x4000_0000u32, OK), // √4 = 2
        // √2 = 1.41421356…: 0x3fb504f3 = 1.4142135381698608 is below it
        (0x4000_0000, N, 0x3fb5_04f3, X),
        (0x4000_0000, Z, 0x3fb5_04f3, X),
        (0x4000_0000, D, 0x3fb5_04f3, X),
        (0x4000_0000, U, 0x3fb5_04f4, X),
        (0x0000_0001, N, 0x1a35_04f3, X),  // √(2^-149) = 2^-75·√2
        (0x0000_0002, N, 0x1a80_0000, OK), // √(2^-148) = 2^-74
        // √MAX = 2^64·√(1 - 2^-24) ≈ 2^64·(1 - 2^-25 - …): just below the tie
        (0x7f7f_ffff, N, 0x5f7f_ffff, X),
        (0x7f7f_ffff, U, 0x5f80_0000, X),
        (0x8000_0000, N, 0x8000_0000, OK), // √-0 = -0
        (0x0000_0000, N, 0x0000_0000, OK),
        (0x7f80_0000, N, 0x7f80_0000, OK),  // √∞ = ∞
        (0xff80_0000, N, 0x7fc0_0000, INV), // √-∞
        (0xbf80_0000, N, 0x7fc0_0000, INV), // √-1
        (0x8000_0001, N, 0x7fc0_0000, INV), // √ of the least negative subnormal
        (0xffc0_0000, N, 0x7fc0_0000, OK),  // √-qNaN: quiet, no flag
    ] {
        check(&format!("sqrt_r(0x{a:08x}, {mode:?})"), F32(a).sqrt_r(mode), bits, status);
    }
}

#[test]
fn fma_table() {
    for &(a, b, c, mode, bits, status) in &[
        // (1 + 2^-23)(1 - 2^-23) - 1 = -2^-46 exactly (an unfused multiply-add gives 0)
        (0x3f80_0001u32, 0x3f7f_fffe_u32, 0xbf80_0000u32, N, 0xa880_0000u32, OK),
        // 2·3 - 6 = +0, or -0 toward negative
        (0x4000_0000, 0x4040_0000, 0xc0c0_0000, N, 0x0000_0000, OK),
        (0x4000_0000, 0x4040_0000, 0xc0c0_0000, D, 0x8000_0000, OK),
        // MAX·2 - MAX = MAX: the intermediate product does not overflow
        (0x7f7f_ffff, 0x4000_0000, 0xff7f_ffff, N, 0x7f7f_ffff, OK),
        // 1·1 + 2^-149: the addend only feeds the sticky bit
        (0x3f80_0000, 0x3f80_0000, 0x0000_0001, N, 0x3f80_0000, X),
        (0x3f80_0000, 0x3f80_0000, 0x0000_0001, U, 0x3f80_0001, X),
        (0x3f80_0000, 0x3f80_0000, 0x8000_0001, Z, 0x3f7f_ffff, X),
        // 2^-149·0.5 + 0 = 2^-150: a tie toward even +0
        (0x0000_0001, 0x3f00_0000, 0x0000_0000, N, 0x0000_0000, UF),
        (0x0000_0001, 0x3f00_0000, 0x8000_0000, U, 0x0000_0001, UF),
        // 2^-149·0.5 - 2^-149 = -2^-150: tie toward even -0
        (0x0000_0001, 0x3f00_0000, 0x8000_0001, N, 0x8000_0000, UF),
        // zero products: -0 + +0 = +0 (-0 toward negative); -0 + -0 = -0; 0·x + c = c
        (0x8000_0000, 0x3f80_0000, 0x0000_0000, N, 0x0000_0000, OK),
        (0x8000_0000, 0x3f80_0000, 0x0000_0000, D, 0x8000_0000, OK),
        (0x8000_0000, 0x3f80_0000, 0x8000_0000, N, 0x8000_0000, OK),
        (0x0000_0000, 0x7f7f_ffff, 0x0000_0001, N, 0x0000_0001, OK),
        // products that overflow alone: MAX·MAX + (-∞) = -∞; MAX·MAX - MAX overflows
        (0x7f7f_ffff, 0x7f7f_ffff, 0xff80_0000, N, 0xff80_0000, OK),
        (0x7f7f_ffff, 0x7f7f_ffff, 0xff7f_ffff, N, 0x7f80_0000, OF),
        (0x7f7f_ffff, 0x7f7f_ffff, 0xff7f_ffff, Z, 0x7f7f_ffff, OF),
        // invalid: 0·∞ (also with a quiet NaN addend), ∞·1 - ∞
        (0x0000_0000, 0x7f80_0000, 0x3f80_0000, N, 0x7fc0_0000, INV),
        (0x7f80_0000, 0x0000_0000, 0x7fc0_0000, N, 0x7fc0_0000, INV),
        (0x7f80_0000, 0x3f80_0000, 0xff80_0000, N, 0x7fc0_0000, INV),
        (0x7f80_0000, 0x3f80_0000, 0x7f80_0000, N, 0x7f80_0000, OK),
        (0x3f80_0000, 0x3f80_0000, 0x7fc0_0000, N, 0x7fc0_0000, OK), // 1·1 + qNaN
        (0x3f80_0000, 0x3f80_0000, 0x7f80_0001, N, 0x7fc0_0000, INV), // 1·1 + sNaN
    ] {
        let got = F32(a).fma_r(F32(b), F32(c), mode);
        check(&format!("fma_r(0x{a:08x}, 0x{b:08x}, 0x{c:08x}, {mode:?})"), got, bits, status);
    }
}

fn q(s: &str) -> Q {
    crate::num::rational::parse_exact(s).unwrap()
}

/// 2^k as an exact rational.
fn pow2(k: i32) -> Q {
    let one = BigInt::one();
    if k >= 0 { Q::from_integer(one << k as usize) } else { Q::new(one, BigInt::one() << (-k) as usize) }
}

#[test]
fn from_rational_table() {
    let rows: Vec<(Q, Round, u32, Status)> = vec![
        (q("0"), N, 0x0000_0000, OK), // a rational zero has no sign: +0
        (q("0"), D, 0x0000_0000, OK),
        (q("1"), N, 0x3f80_0000, OK),
        (q("-2"), N, 0xc000_0000, OK),
        (q("1/3"), N, 0x3eaa_aaab, X),
        (q("1/3"), D, 0x3eaa_aaaa, X),
        (q("-1/3"), N, 0xbeaa_aaab, X),
        (q("-1/3"), U, 0xbeaa_aaaa, X),
        (q("0.1"), N, 0x3dcc_cccd, X),      // 0.100000001490116119384765625
        (q("0.1"), Z, 0x3dcc_cccc, X),      // 0.0999999940395355224609375
        (q("16777217"), N, 0x4b80_0000, X), // 2^24 + 1: tie toward even 2^24
        (q("16777219"), N, 0x4b80_0002, X), // 2^24 + 3: tie toward even 2^24 + 4
        (pow2(-126), N, 0x0080_0000, OK),   // least normal
        (pow2(-149), N, 0x0000_0001, OK),   // least subnormal
        (pow2(-150), N, 0x0000_0000, UF),   // tie between 0 and 2^-149 toward even 0
        (pow2(-150), U, 0x0000_0001, UF),
        (-pow2(-150), N, 0x8000_0000, UF), // a negative tiny value rounds to -0
        (-pow2(-150), D, 0x8000_0001, UF),
        (pow2(-150) + pow2(-200), N, 0x0000_0001, UF), // just above the tie
        (q("3") * pow2(-151), N, 0x0000_0001, UF),     // 0.75·2^-149
        (q("3") * pow2(-150), N, 0x0000_0002, UF),     // 1.5·2^-149: tie toward even 2
        // tininess after rounding at the subnormal/normal boundary:
        // 2^-126 - 2^-150 is exact with 24 bits and unbounded exponent, hence tiny
        (pow2(-126) - pow2(-150), N, 0x0080_0000, UF),
        // 2^-126 - 2^-151 rounds to 2^-126 with unbounded exponent: not tiny, no underflow
        (pow2(-126) - pow2(-151), N, 0x0080_0000, X),
        (pow2(-126) - pow2(-151), U, 0x0080_0000, X),
        (pow2(-126) - pow2(-151), Z, 0x007f_ffff, UF),
        (pow2(-126) - pow2(-152), N, 0x0080_0000, X),
        (pow2(-126) - pow2(-149), N, 0x007f_ffff, OK), // the greatest subnormal, exact
        (q("1e-50"), N, 0x0000_0000, UF),
        (q("1e-50"), U, 0x0000_0001, UF),
        (q("-1e-50"), D, 0x8000_0001, UF),
        (q("-1e-50"), Z, 0x8000_0000, UF),
        (q("1e-1000"), U, 0x0000_0001, UF), // far below the range: the representative path
        (pow2(127), N, 0x7f00_0000, OK),
        (pow2(128) - pow2(104), N, 0x7f7f_ffff, OK), // MAX
        (pow2(128) - pow2(103), N, 0x7f80_0000, OF), // MAX + ulp/2: tie toward even 2^128
        (pow2(128) - pow2(103), Z, 0x7f7f_ffff, X),
        (pow2(128) - pow2(103) - pow2(50), N, 0x7f7f_ffff, X),
        (pow2(128), N, 0x7f80_0000, OF),
        (pow2(128), Z, 0x7f7f_ffff, OF),
        (pow2(128), U, 0x7f80_0000, OF),
        (pow2(128), D, 0x7f7f_ffff, OF),
        (-pow2(128), N, 0xff80_0000, OF),
        (-pow2(128), Z, 0xff7f_ffff, OF),
        (-pow2(128), U, 0xff7f_ffff, OF),
        (-pow2(128), D, 0xff80_0000, OF),
        (q("1e1000"), D, 0x7f7f_ffff, OF),
    ];
    for (v, mode, bits, status) in rows {
        check(&format!("from_rational_r({v}, {mode:?})"), F32::from_rational_r(&v, mode), bits, status);
    }
}

#[test]
fn every_finite_exponent_round_trips_through_the_rational() {
    for exp in 0..255u32 {
        for frac in [0, 1, 0x40_0000, 0x55_5555, 0x7f_fffe, 0x7f_ffff] {
            for sign in [0, 0x8000_0000] {
                let x = F32(sign | exp << 23 | frac);
                if x.is_zero() {
                    continue; // a rational zero gives +0 only
                }
                for mode in Round::ALL {
                    let back = F32::from_rational_r(&x.to_rational().unwrap(), mode);
                    check(&format!("round trip of {}", x.to_hex()), back, x.0, OK);
                }
            }
        }
    }
}

#[test]
fn host_f64_conversions() {
    let rows: [(f64, Round, u32, Status); 10] = [
        (0.1, N, 0x3dcc_cccd, X),
        (0.1, Z, 0x3dcc_cccc, X),
        (-0.0, N, 0x8000_0000, OK),
        (1e39, N, 0x7f80_0000, OF),
        (1e39, Z, 0x7f7f_ffff, OF),
        (f64::MIN_POSITIVE, N, 0x0000_0000, UF), // 2^-1022
        (f64::MIN_POSITIVE, U, 0x0000_0001, UF),
        (-f64::INFINITY, N, 0xff80_0000, OK),
        (f64::NAN, N, 0x7fc0_0000, OK),
        (f64::from_bits(0x7ff0_0000_0000_0001), N, 0x7fc0_0000, INV), // signaling NaN
    ];
    for (x, mode, bits, status) in rows {
        check(&format!("from_f64_r({x:e}, {mode:?})"), F32::from_f64_r(x, mode), bits, status);
    }
    for bits in [0x0000_0001u32, 0x007f_ffff, 0x0080_0000, 0x3eaa_aaab, 0xff7f_ffff, 0x8000_0000, 0xff80_0000] {
        let wide = F32(bits).to_f64();
        assert_eq!(wide.status, OK);
        assert_eq!(wide.value.to_bits(), (f32::from_bits(bits) as f64).to_bits(), "to_f64(0x{bits:08x})");
    }
    assert_eq!(F32(0x7fa0_0000).to_f64().status, INV);
    assert!(F32(0x7fa0_0000).to_f64().value.is_nan());
}

#[test]
fn decimal_text_is_the_exact_expansion() {
    for (bits, text) in [
        (0x3dcc_cccd, "0.100000001490116119384765625"),
        (0x3eaa_aaab, "0.3333333432674407958984375"),
        (0x4b80_0000, "16777216"),
        (0x7f7f_ffff, "340282346638528859811704183484516925440"),
        (0xc0a0_0000, "-5"),
        (0x8000_0000, "-0"),
        (0x0000_0000, "0"),
        (0x7f80_0000, "inf"),
        (0xff80_0000, "-inf"),
        (0x7fc0_0000, "nan"),
        (0x3f00_0000, "0.5"),
    ] {
        assert_eq!(F32(bits).to_decimal(), text, "to_decimal(0x{bits:08x})");
        let back = F32::from_decimal(text).unwrap();
        assert_eq!(back.value, F32(bits), "from_decimal({text})");
        assert_eq!(back.status, OK);
    }
    // 2^-149 needs 149 digits after the point: 44 zeros, then 1401298464…
    let tiny = F32::MIN_SUBNORMAL.to_decimal();
    assert_eq!(tiny.len(), 2 + 149);
    assert!(tiny.starts_with(&format!("0.{}1401298464324817070923729583289916", "0".repeat(44))));
    assert!(tiny.ends_with("18836212158203125"));
    check("from_decimal(-0.0e5)", F32::from_decimal("-0.0e5").unwrap(), 0x8000_0000, OK);
    check("from_decimal(1e-3, rdn)", F32::from_decimal_r("1e-3", D).unwrap(), 0x3a83_126e, X);
    check("from_decimal(1e-3, rup)", F32::from_decimal_r("1e-3", U).unwrap(), 0x3a83_126f, X);
    check("from_decimal(-Infinity)", F32::from_decimal("-Infinity").unwrap(), 0xff80_0000, OK);
    assert!(F32::from_decimal("0x1p3").is_err());
}

#[test]
fn comparisons_order_numbers_and_leave_nan_unordered() {
    use std::cmp::Ordering::*;
    let (one, two, pz, nz, qnan, snan) =
        (F32(0x3f80_0000), F32(0x4000_0000), F32::ZERO, F32::NEG_ZERO, F32::NAN, F32(0x7f80_0001));
    assert_eq!(nz.ieee_eq(pz), StatusAnd::ok(true));
    assert_eq!(one.ieee_partial_cmp(two), StatusAnd::ok(Some(Less)));
    assert_eq!(F32(0xbf80_0000).ieee_partial_cmp(nz), StatusAnd::ok(Some(Less)));
    assert_eq!(F32::NEG_INFINITY.ieee_lt(F32(0xff7f_ffff)), StatusAnd::ok(true));
    assert_eq!(two.ieee_le(two), StatusAnd::ok(true));
    assert_eq!(two.ieee_lt(two), StatusAnd::ok(false));
    assert_eq!(nz.ieee_lt(pz), StatusAnd::ok(false));
    // quiet predicates raise invalid only for signaling NaNs; signaling ones for every NaN
    assert_eq!(qnan.ieee_eq(qnan), StatusAnd::ok(false));
    assert_eq!(qnan.ieee_partial_cmp(one), StatusAnd::ok(None));
    assert_eq!(snan.ieee_eq(one), INV.and(false));
    assert_eq!(one.ieee_lt(qnan), INV.and(false));
    assert_eq!(qnan.ieee_le(one), INV.and(false));
}

#[test]
fn min_max_are_minimum_number_and_maximum_number() {
    let rows: [(u32, u32, u32, u32, Status); 7] = [
        // (a, b, min, max, flags)
        (0x3f80_0000, 0x4000_0000, 0x3f80_0000, 0x4000_0000, OK),
        (0x8000_0000, 0x0000_0000, 0x8000_0000, 0x0000_0000, OK), // -0 < +0
        (0x0000_0000, 0x8000_0000, 0x8000_0000, 0x0000_0000, OK),
        (0x7fc0_0000, 0xbf80_0000, 0xbf80_0000, 0xbf80_0000, OK), // a NaN yields to the number
        (0xbf80_0000, 0xffc0_0000, 0xbf80_0000, 0xbf80_0000, OK),
        (0x7f80_0001, 0x3f80_0000, 0x3f80_0000, 0x3f80_0000, INV), // sNaN: the number, invalid
        (0x7fc0_0001, 0xffc0_0000, 0x7fc0_0000, 0x7fc0_0000, OK),  // both NaN: canonical NaN
    ];
    for (a, b, lo, hi, status) in rows {
        check(&format!("min(0x{a:08x}, 0x{b:08x})"), F32(a).min(F32(b)), lo, status);
        check(&format!("max(0x{a:08x}, 0x{b:08x})"), F32(a).max(F32(b)), hi, status);
    }
}

#[test]
fn sign_operations_and_neighbours() {
    assert_eq!(F32(0x3f80_0000).neg(), F32(0xbf80_0000));
    assert_eq!(F32(0x7fc0_0001).neg(), F32(0xffc0_0001)); // NaN bits kept (§5.5.1)
    assert_eq!(F32(0xff80_0000).abs(), F32(0x7f80_0000));
    assert_eq!(F32(0x4000_0000).copy_sign(F32::NEG_ZERO), F32(0xc000_0000));
    for (x, up, down) in [
        (0x0000_0000u32, 0x0000_0001u32, 0x8000_0001u32),
        (0x8000_0000, 0x0000_0001, 0x8000_0001),
        (0x007f_ffff, 0x0080_0000, 0x007f_fffe),
        (0x7f7f_ffff, 0x7f80_0000, 0x7f7f_fffe),
        (0x7f80_0000, 0x7f80_0000, 0x7f7f_ffff),
        (0xff80_0000, 0xff7f_ffff, 0xff80_0000),
        (0xbf80_0000, 0xbf7f_ffff, 0xbf80_0001),
    ] {
        check("next_up", F32(x).next_up(), up, OK);
        check("next_down", F32(x).next_down(), down, OK);
    }
}

#[test]
fn classes_and_flag_names() {
    assert_eq!(F32(0x0000_0001).class(), Class::Subnormal);
    assert_eq!(F32(0x8080_0000).class(), Class::Normal);
    assert_eq!(F32(0x8000_0000).class(), Class::Zero);
    assert_eq!(F32(0xff80_0000).class(), Class::Infinite);
    assert_eq!(F32(0x7fc0_0000).class(), Class::Nan { signaling: false });
    assert_eq!(F32(0x7f80_0001).class(), Class::Nan { signaling: true });
    assert_eq!(UF.to_string(), "underflow inexact");
    assert_eq!((INV | DZ | OF).to_string(), "invalid div-by-zero overflow inexact");
    assert_eq!(OK.to_string(), "none");
}
