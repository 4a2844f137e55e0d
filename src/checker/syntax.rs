//! Lean literals for the data the checkers state (exact rationals, boxes, packed binary32 rows,
//! integer lists, relaxations, violation rows, refutations) and the two theorems every tree leaf
//! gets. Shared by every checker and by the module emitter.
use std::fmt::Write;

use crate::bounds::relax::Relax;
use crate::num::Q;
use crate::num::binary32::F32;
use crate::num::interval::{Box, Interval};
use crate::num::rational::to_canonical;
use crate::property::Vnnlib;
use crate::search::bab::Refutation;

/// What every tree leaf's `safe` theorem proves about an input of its box.
pub const SAFE: &str = "Safe violation (evalNet net x)";

pub fn rat(q: &Q) -> String {
    to_canonical(q)
}

pub fn box_literal(b: &Box) -> String {
    let parts: Vec<String> = b.iter().map(|Interval { lo, hi }| format!("⟨{}, {}⟩", rat(lo), rat(hi))).collect();
    format!("[{}]", parts.join(", "))
}

/// One `Nat` literal holding a row of bit patterns, element 0 in the least significant 32 bits:
/// `[0x3f333333, 0xbfa66666]` → `0xbfa666663f333333`.
pub fn packed(row: &[F32]) -> String {
    let digits: String = row.iter().rev().map(|b| format!("{:08x}", b.to_bits())).collect();
    let trimmed = digits.trim_start_matches('0');
    format!("0x{}", if trimmed.is_empty() { "0" } else { trimmed })
}

pub fn int_list(v: &[num_bigint::BigInt]) -> String {
    let parts: Vec<String> = v.iter().map(|x| if x.sign() == num_bigint::Sign::Minus { format!("({x})") } else { x.to_string() }).collect();
    format!("[{}]", parts.join(", "))
}

pub fn nat_list(v: &[num_bigint::BigInt]) -> String {
    let parts: Vec<String> = v.iter().map(|x| x.magnitude().to_string()).collect();
    format!("[{}]", parts.join(", "))
}

/// `[nat_lit 3, nat_lit 0]`: naturals as raw literals, for the data lists of generated modules.
/// An ordinary numeral makes Lean synthesize an `OfNat` instance for its own value, about 2 ms
/// each on the wasm toolchain: a packed ACAS Xu leaf's 1,600 numerals took 3.3 s to elaborate,
/// raw literals 0.7 s. The kernel reads both as the same number.
pub fn raw_nat_list(v: &[num_bigint::BigInt]) -> String {
    let parts: Vec<String> = v.iter().map(|x| format!("nat_lit {}", x.magnitude())).collect();
    format!("[{}]", parts.join(", "))
}

/// `[.ofNat (nat_lit 3), Int.neg (.ofNat (nat_lit 7))]`: integers built from raw literals with
/// `Int`'s constructor and `Int.neg`, no instances (see `raw_nat_list`).
pub fn raw_int_list(v: &[num_bigint::BigInt]) -> String {
    let parts: Vec<String> = v
        .iter()
        .map(|x| {
            if x.sign() == num_bigint::Sign::Minus {
                format!("Int.neg (.ofNat (nat_lit {}))", x.magnitude())
            } else {
                format!(".ofNat (nat_lit {x})")
            }
        })
        .collect();
    format!("[{}]", parts.join(", "))
}

pub fn sign_list(v: &[num_bigint::BigInt]) -> String {
    let parts: Vec<&str> = v.iter().map(|x| if x.sign() == num_bigint::Sign::Minus { "true" } else { "false" }).collect();
    format!("[{}]", parts.join(", "))
}

pub fn relax_literal(r: &[Relax]) -> String {
    let parts: Vec<String> = r.iter().map(|r| format!("⟨{}, {}, {}⟩", rat(&r.alpha), rat(&r.slope), rat(&r.icpt))).collect();
    format!("[{}]", parts.join(", "))
}

/// `[⟨[c₀, …], rhs, strict⟩, …]` per disjunct: Lean's `List (List Row)`.
pub fn violation_literal(prop: &Vnnlib) -> String {
    let conj: Vec<String> = prop
        .violation
        .iter()
        .map(|c| {
            let rows: Vec<String> = c
                .iter()
                .map(|r| {
                    let cs: Vec<String> = r.coeffs.iter().map(rat).collect();
                    format!("⟨[{}], {}, {}⟩", cs.join(", "), rat(&r.rhs), r.strict)
                })
                .collect();
            format!("[{}]", rows.join(", "))
        })
        .collect();
    format!("[{}]", conj.join(", "))
}

/// Per disjunct, the weighted rows `[(row, weight), …]` and the bound (Lean's `refutesAll`).
pub fn refs_literal(r: &[Refutation]) -> String {
    let parts: Vec<String> = r
        .iter()
        .map(|r| {
            let terms: Vec<String> = r.terms.iter().map(|(i, w)| format!("({i}, {})", rat(w))).collect();
            format!("([{}], {})", terms.join(", "), rat(&r.bound))
        })
        .collect();
    format!("[{}]", parts.join(", "))
}

/// Leaf `k`'s two theorems: `leafK_ok` (the checker `check`, one `decide`) and `leafK_safe` (from
/// the checker's soundness theorem `<check>_safe`, its implicit arguments named so the elaborator does
/// not unfold the network to unify them).
pub fn leaf_theorems(s: &mut String, k: usize, check: &str, what: &str, refute: &[Refutation], safe: &str) {
    let _ = writeln!(*s, "/-- Leaf {k}: {what}. -/");
    let _ = writeln!(
        *s,
        "theorem leaf{k}_ok : {check} violation leaf{k}Box leaf{k}Steps {} = true := by decide +kernel\n",
        refs_literal(refute)
    );
    let _ = writeln!(*s, "/-- No input of leaf {k}'s box violates the property. -/");
    let _ = writeln!(
        *s,
        "theorem leaf{k}_safe : ∀ x : List Rat, Box.Mem leaf{k}Box x → {safe} :=\n  \
         {check}_safe (dnf := violation) (B := leaf{k}Box) (steps := leaf{k}Steps) leaf{k}_ok\n"
    );
}

pub fn rat_list(v: &[Q]) -> String {
    let parts: Vec<String> = v.iter().map(|q| format!("({})", rat(q))).collect();
    format!("[{}]", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_pack_least_significant_first() {
        assert_eq!(packed(&[F32(0x3f333333), F32(0xbfa66666)]), "0xbfa666663f333333");
        assert_eq!(packed(&[F32(0x00000001), F32(0)]), "0x1");
        assert_eq!(packed(&[F32(0)]), "0x0");
    }

    #[test]
    fn raw_lists_spell_each_value_without_instances() {
        use num_bigint::BigInt;
        let v = [BigInt::from(-7), BigInt::from(0), BigInt::from(12)];
        assert_eq!(raw_nat_list(&v), "[nat_lit 7, nat_lit 0, nat_lit 12]");
        assert_eq!(raw_int_list(&v), "[Int.neg (.ofNat (nat_lit 7)), .ofNat (nat_lit 0), .ofNat (nat_lit 12)]");
        assert_eq!(raw_int_list(&[]), "[]");
    }
}

/// Leaf `k`'s claimed boxes after each of its `n` layers (`leafKBoxJ`) and its chain `leafKSteps`
/// of `(layerI, box)` pairs over layers of Lean type `layer_type`, documented as `chain_doc`: what
/// the IBP and enclosure leaves both state before their check.
pub fn chain_defs(s: &mut String, n: usize, k: usize, boxes: &[Box], layer_type: &str, chain_doc: &str) {
    for (j, b) in boxes.iter().enumerate().skip(1) {
        let _ = writeln!(*s, "/-- Leaf {k}: the claimed enclosure after layer {}. -/", j - 1);
        let _ = writeln!(*s, "@[expose] noncomputable def leaf{k}Box{j} : Box := {}\n", box_literal(b));
    }
    let name = |j: usize| if j == 0 { format!("leaf{k}Box") } else { format!("leaf{k}Box{j}") };
    let steps: Vec<String> = (0..n).map(|i| format!("(layer{i}, {})", name(i + 1))).collect();
    let _ = writeln!(*s, "/-- {chain_doc} -/");
    let _ = writeln!(*s, "@[expose] noncomputable def leaf{k}Steps : List ({layer_type} × Box) := [{}]\n", steps.join(", "));
}
