module

public import TorchLean.Num.Binary32

/-! # A binary32 value as an integer at a power-of-two scale, decided on naturals

A packed certificate states each weight as an integer `z` at the scale `1/2^K` and must show that
it is the payload's pattern `b`. Comparing `decode b` with `z / 2^K` on `Rat` costs the kernel a
normalisation per weight (seconds per 50×50 layer). `scaledEqB` asks the same on naturals:
`decode b = sig · 2^(ex - 150)`, so `decode b = |z| / 2^K` exactly when `sig · 2^(ex + K) = |z| · 2^150`,
and the sign bit must be `z`'s (either, for zero). `decode_of_scaledEqB` proves the equivalence's
useful direction.
-/

public section

namespace TorchLean.Num.Binary32

/-- The significand of a pattern: its fraction field, with the hidden bit unless subnormal. -/
@[expose] def sigNat (b : Nat) : Nat := if expField b = 0 then b % 2 ^ 23 else b % 2 ^ 23 + 2 ^ 23

/-- The exponent of the significand's unit, biased by 150: the unit is `2^(expNat b - 150)`. -/
@[expose] def expNat (b : Nat) : Nat := if expField b = 0 then 1 else expField b

/-- `decode b = z / 2^K`, decided on naturals. -/
@[expose] def scaledEqB (K b : Nat) (z : Int) : Bool :=
  sigNat b * 2 ^ (expNat b + K) == z.natAbs * 2 ^ 150 &&
    (if z < 0 then b / 2 ^ 31 % 2 == 1 else z == 0 || b / 2 ^ 31 % 2 != 1)

/-- Every pattern is its integer at scale `1/2^K` (and the lengths agree). -/
@[expose] def scaledListB (K : Nat) : List Nat → List Int → Bool
  | b :: bs, z :: zs => scaledEqB K b z && scaledListB K bs zs
  | [], [] => true
  | _, _ => false

/-- Every row of patterns is its row of integers at scale `1/2^K` (and the lengths agree). -/
@[expose] def scaledRowsB (K : Nat) : List (List Nat) → List (List Int) → Bool
  | r :: rs, z :: zs => scaledListB K r z && scaledRowsB K rs zs
  | [], [] => true
  | _, _ => false

/-- A power of two is not zero in `Rat`. -/
theorem two_pow_ne_zero (k : Nat) : ((2 ^ k : Nat) : Rat) ≠ 0 := by
  intro h
  rw [Rat.natCast_eq_zero_iff] at h
  exact absurd h (Nat.pos_iff_ne_zero.mp (Nat.two_pow_pos k))

/-- `a / d * c = n` when `a * c = n * d` and `d ≠ 0`. -/
theorem div_mul_eq_of {a c n d : Rat} (hd : d ≠ 0) (h : a * c = n * d) : a / d * c = n := by
  rw [Rat.div_def, Rat.mul_assoc, Rat.mul_comm d⁻¹, ← Rat.mul_assoc, h, Rat.mul_assoc, Rat.mul_inv_cancel _ hd,
    Rat.mul_one]

/-- The magnitude of a pattern times `2^K` is the natural `N` when `sig · 2^(ex + K) = N · 2^150`. -/
theorem magnitude_mul_eq {K b N : Nat} (h : sigNat b * 2 ^ (expNat b + K) = N * 2 ^ 150) :
    magnitude b * ((2 ^ K : Nat) : Rat) = N := by
  have hm : magnitude b = if 150 ≤ expNat b then ((sigNat b * 2 ^ (expNat b - 150) : Nat) : Rat)
      else mkRat (sigNat b) (2 ^ (150 - expNat b)) := by
    unfold magnitude sigNat expNat
    by_cases he : expField b = 0 <;> simp [he]
  rw [hm]
  split
  · next hle =>
    have hn : sigNat b * 2 ^ (expNat b - 150) * 2 ^ K = N := by
      apply Nat.eq_of_mul_eq_mul_right (Nat.two_pow_pos 150)
      rw [← h, Nat.mul_assoc, Nat.mul_assoc, ← Nat.pow_add, ← Nat.pow_add,
        show expNat b - 150 + (K + 150) = expNat b + K by omega]
    rw [← Rat.natCast_mul, hn]
  · next hlt =>
    have hn : sigNat b * 2 ^ K = N * 2 ^ (150 - expNat b) := by
      apply Nat.eq_of_mul_eq_mul_right (Nat.two_pow_pos (expNat b))
      rw [Nat.mul_assoc, Nat.mul_assoc, ← Nat.pow_add, ← Nat.pow_add, Nat.add_comm K,
        show 150 - expNat b + expNat b = 150 by omega]
      exact h
    rw [Rat.mkRat_eq_div]
    apply div_mul_eq_of (two_pow_ne_zero _)
    rw [Rat.intCast_natCast, ← Rat.natCast_mul, ← Rat.natCast_mul, hn]

/-- **A pattern is its integer at scale `1/2^K`** when `scaledEqB` accepts them. -/
theorem decode_of_scaledEqB {K b : Nat} {z : Int} (h : scaledEqB K b z = true) :
    decode b = (z : Rat) * (1 / ((2 ^ K : Nat) : Rat)) := by
  simp only [scaledEqB, Bool.and_eq_true, beq_iff_eq] at h
  obtain ⟨hmag, hsign⟩ := h
  have hP := two_pow_ne_zero K
  have hM : magnitude b = (z.natAbs : Rat) * (1 / ((2 ^ K : Nat) : Rat)) := by
    have := magnitude_mul_eq hmag
    rw [← this, Rat.mul_assoc, Rat.div_def, Rat.one_mul, Rat.mul_inv_cancel _ hP, Rat.mul_one]
  unfold decode
  by_cases hz : z < 0
  · rw [if_pos hz] at hsign
    simp only [beq_iff_eq] at hsign
    rw [if_pos hsign, hM, ← Rat.neg_mul]
    congr 1
    have h1 : ((z.natAbs : Int) : Rat) = ((-z : Int) : Rat) := by rw [Int.ofNat_natAbs_of_nonpos (by omega)]
    rw [Rat.intCast_natCast] at h1
    rw [h1, Rat.intCast_neg]; grind
  · rw [if_neg hz] at hsign
    have hz0 : (z.natAbs : Int) = z := Int.natAbs_of_nonneg (by omega)
    have hzq : (z.natAbs : Rat) = (z : Rat) := by rw [← Rat.intCast_natCast, hz0]
    simp only [Bool.or_eq_true, beq_iff_eq, bne_iff_ne, ne_eq] at hsign
    rcases hsign with h0 | hs
    · subst h0
      have : magnitude b = 0 := by rw [hM]; simp
      split <;> simp [this] <;> decide
    · rw [if_neg hs, hM, hzq]

/-- A list of patterns is its integers at scale `1/2^K`. -/
theorem decodeList_of_scaledListB {K : Nat} : ∀ {bs : List Nat} {zs : List Int}, scaledListB K bs zs = true →
    decodeList bs = zs.map (fun z : Int => (z : Rat) * (1 / ((2 ^ K : Nat) : Rat)))
  | b :: bs, z :: zs, h => by
    simp only [scaledListB, Bool.and_eq_true] at h
    simp only [decodeList, List.map_cons, decode_of_scaledEqB h.1, decodeList_of_scaledListB h.2]
  | [], [], _ => rfl
  | [], _ :: _, h => by simp [scaledListB] at h
  | _ :: _, [], h => by simp [scaledListB] at h

/-- Rows of patterns are their rows of integers at scale `1/2^K`. -/
theorem decodeRows_of_scaledRowsB {K : Nat} : ∀ {rs : List (List Nat)} {zs : List (List Int)}, scaledRowsB K rs zs = true →
    decodeRows rs = zs.map (List.map fun z : Int => (z : Rat) * (1 / ((2 ^ K : Nat) : Rat)))
  | r :: rs, z :: zs, h => by
    simp only [scaledRowsB, Bool.and_eq_true] at h
    simp only [decodeRows, List.map_cons, decodeList_of_scaledListB h.1, decodeRows_of_scaledRowsB h.2]
  | [], [], _ => rfl
  | [], _ :: _, h => by simp [scaledRowsB] at h
  | _ :: _, [], h => by simp [scaledRowsB] at h

/-- `0x3f400000` (0.75) is `3` at scale `1/4`, and `0xbf400000` is `-3`, not `3` nor `-5`; the
least subnormal `0x00000001` is `1` at scale `2^-149`. -/
theorem scaledEqB_example : scaledEqB 2 0x3f400000 3 = true ∧ scaledEqB 2 0xbf400000 (-3) = true ∧
    scaledEqB 2 0xbf400000 3 = false ∧ scaledEqB 2 0xbf400000 (-5) = false ∧ scaledEqB 149 0x00000001 1 = true := by
  decide +kernel

end TorchLean.Num.Binary32
