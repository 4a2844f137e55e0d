module

public import TorchLean.Num.RoundBounds

/-! # Rounding is monotone

`round_mono`: if `x ≤ y` then `round m x ≤ round m y` (as values, whenever both are finite), and
more: a mode that rounds no higher than another (`Mode.Below`: roundTowardNegative below
roundTiesToEven and roundTowardZero, both below roundTowardPositive) gives a value no higher, so
`RD x ≤ RNE y ≤ RU z` for `x ≤ y ≤ z`. `round_rne_mem` is that fact in the form a binary32
enclosure uses, with the finiteness of the nearest result derived from that of the directed ones.
The path: a significand rounding (`roundDiv`) depends only on the rational it rounds
(`roundDiv_scale`) and is monotone in it and in the mode (`roundDiv_mono`); the binade is monotone
(`floorLog2_mono`); a larger binade means a larger value (`pack_le_pack`).
-/

public section

namespace TorchLean.Num.Binary32

/-- How far a significand rounding goes up: `0` down, `1` to nearest, `2` up (`away` wins). -/
@[expose] def rank (near away : Bool) : Nat := if away then 2 else if near then 1 else 0

/-- Rounding `n / d` depends only on the quotient: scaling both by `k` changes nothing. -/
theorem roundDiv_scale (n d : Nat) {k : Nat} (hk : 0 < k) (near away : Bool) :
    roundDiv (n * k) (d * k) near away = roundDiv n d near away := by
  unfold roundDiv
  rw [Nat.mul_div_mul_right _ _ hk, Nat.mul_mod_mul_right]
  generalize n / d = f
  generalize n % d = r
  have e0 : (r * k = 0) = (r = 0) := propext ⟨fun h => by
    rcases Nat.mul_eq_zero.1 h with h | h
    · exact h
    · omega, fun h => by rw [h, Nat.zero_mul]⟩
  have e1 : (2 * (r * k) > d * k) = (2 * r > d) := by
    rw [← Nat.mul_assoc]; exact propext (Nat.mul_lt_mul_right hk)
  have e2 : (2 * (r * k) < d * k) = (2 * r < d) := by
    rw [← Nat.mul_assoc]; exact propext (Nat.mul_lt_mul_right hk)
  simp only [e0, e1, e2]

/-- Over one denominator, rounding is monotone in the numerator and in the mode's rank. -/
theorem roundDiv_mono_same {N1 N2 D : Nat} (hN : N1 ≤ N2) {b1 c1 b2 c2 : Bool}
    (hr : rank b1 c1 ≤ rank b2 c2) : roundDiv N1 D b1 c1 ≤ roundDiv N2 D b2 c2 := by
  have hf : N1 / D ≤ N2 / D := Nat.div_le_div_right hN
  have hrem : N1 / D = N2 / D → N1 % D ≤ N2 % D := by
    have e1 := Nat.div_add_mod N1 D
    have e2 := Nat.div_add_mod N2 D
    intro h
    rw [h] at e1
    generalize D * (N2 / D) = t at e1 e2
    omega
  unfold roundDiv
  unfold rank at hr
  generalize N1 / D = f1 at *
  generalize N2 / D = f2 at *
  generalize N1 % D = r1 at *
  generalize N2 % D = r2 at *
  cases b1 <;> cases c1 <;> cases b2 <;> cases c2 <;> simp at hr ⊢ <;> (repeat' split) <;> omega

/-- Rounding is monotone in the rational it rounds and in the mode's rank. -/
theorem roundDiv_mono {n1 d1 n2 d2 : Nat} (hd1 : 0 < d1) (hd2 : 0 < d2) (hx : n1 * d2 ≤ n2 * d1)
    {b1 c1 b2 c2 : Bool} (hr : rank b1 c1 ≤ rank b2 c2) :
    roundDiv n1 d1 b1 c1 ≤ roundDiv n2 d2 b2 c2 := by
  rw [← roundDiv_scale n1 d1 hd2, ← roundDiv_scale n2 d2 hd1, Nat.mul_comm d2 d1]
  exact roundDiv_mono_same hx hr

/-- The binade of a larger quotient is no lower. -/
theorem floorLog2_mono {n1 d1 n2 d2 : Nat} (hn1 : 0 < n1) (hd1 : 0 < d1) (hn2 : 0 < n2) (hd2 : 0 < d2)
    (hx : (n1 : Rat) / d1 ≤ (n2 : Rat) / d2) : floorLog2 n1 d1 ≤ floorLog2 n2 d2 := by
  have s1 := (floorLog2_spec hn1 hd1).1
  have s2 := (floorLog2_spec hn2 hd2).2
  refine Int.not_lt.1 (fun h => ?_)
  have := two_zpow_mono (a := floorLog2 n2 d2 + 1) (b := floorLog2 n1 d1) (by omega)
  grind

/-- Scaling by `2^-q` keeps the order of two quotients. -/
theorem sN_sD_cross {n1 d1 n2 d2 : Nat} (hx : n1 * d2 ≤ n2 * d1) (q : Int) :
    sN q n1 * sD q d2 ≤ sN q n2 * sD q d1 := by
  unfold sN sD
  split
  · rw [← Nat.mul_assoc, ← Nat.mul_assoc]; exact Nat.mul_le_mul_right _ hx
  · rw [Nat.mul_right_comm, Nat.mul_right_comm n2]; exact Nat.mul_le_mul_right _ hx

/-- A significand `M1` at quantum `2^q1` is at most `M2` at `2^q2` when the quanta are equal and
`M1 ≤ M2`, or when `q1 < q2` and `M1` has at most 24 bits while `M2` has at least 24. -/
theorem pack_le_pack {M1 M2 : Nat} {q1 q2 : Int}
    (h : (q1 = q2 ∧ M1 ≤ M2) ∨ (q1 < q2 ∧ M1 ≤ 2 ^ 24 ∧ 2 ^ 23 ≤ M2)) :
    (M1 : Rat) * 2 ^ q1 ≤ (M2 : Rat) * 2 ^ q2 := by
  rcases h with ⟨e, hM⟩ | ⟨hq, h1, h2⟩
  · subst e
    exact Rat.mul_le_mul_of_nonneg_right (Rat.natCast_le_natCast.2 hM) (Rat.le_of_lt (zpow_two_pos q1))
  · have a1 : (M1 : Rat) * 2 ^ q1 ≤ ((2 ^ 24 : Nat) : Rat) * 2 ^ q1 :=
      Rat.mul_le_mul_of_nonneg_right (Rat.natCast_le_natCast.2 h1) (Rat.le_of_lt (zpow_two_pos q1))
    have a2 : ((2 ^ 23 : Nat) : Rat) * 2 ^ q2 ≤ (M2 : Rat) * 2 ^ q2 :=
      Rat.mul_le_mul_of_nonneg_right (Rat.natCast_le_natCast.2 h2) (Rat.le_of_lt (zpow_two_pos q2))
    rw [natPow_mul_two_zpow] at a1 a2
    have a3 := two_zpow_mono (a := q1 + ((24 : Nat) : Int)) (b := q2 + ((23 : Nat) : Int)) (by omega)
    grind

/-- The significands and quanta of two roundings of ordered quotients, as `pack_le_pack` wants. -/
theorem sig_order {n1 d1 n2 d2 : Nat} (hn1 : 0 < n1) (hd1 : 0 < d1) (hn2 : 0 < n2) (hd2 : 0 < d2)
    (hx : n1 * d2 ≤ n2 * d1) {b1 c1 b2 c2 : Bool} (hr : rank b1 c1 ≤ rank b2 c2) :
    let q1 := max (floorLog2 n1 d1) (-126) - 23
    let q2 := max (floorLog2 n2 d2) (-126) - 23
    let M1 := roundDiv (sN q1 n1) (sD q1 d1) b1 c1
    let M2 := roundDiv (sN q2 n2) (sD q2 d2) b2 c2
    (q1 = q2 ∧ M1 ≤ M2) ∨ (q1 < q2 ∧ M1 ≤ 2 ^ 24 ∧ 2 ^ 23 ≤ M2) := by
  intro q1 q2 M1 M2
  have hxr : (n1 : Rat) / d1 ≤ (n2 : Rat) / d2 := (frac_le_frac hd1 hd2).2 hx
  have hE := floorLog2_mono hn1 hd1 hn2 hd2 hxr
  have r1 := sig_range hd1 (floorLog2_spec hn1 hd1) b1 c1
  have r2 := sig_range hd2 (floorLog2_spec hn2 hd2) b2 c2
  by_cases hq : q1 = q2
  · left
    refine ⟨hq, ?_⟩
    show roundDiv (sN q1 n1) (sD q1 d1) b1 c1 ≤ roundDiv (sN q2 n2) (sD q2 d2) b2 c2
    rw [← hq]
    exact roundDiv_mono (sD_pos hd1 q1) (sD_pos hd2 q1) (sN_sD_cross hx q1) hr
  · right
    have hlt : q1 < q2 := by
      have : q1 ≤ q2 := by show max _ _ - 23 ≤ max _ _ - 23; omega
      omega
    refine ⟨hlt, r1.1, ?_⟩
    rcases r2.2 with h | h
    · exfalso
      have : -149 ≤ q1 := by show -149 ≤ max _ _ - 23; omega
      change q2 = -149 at h
      omega
    · exact h

/-- A finite pattern `roundMag` packs (`field < 255·2^23`) is that finite binary32. -/
theorem isFinite_field {f : Nat} (h : f < 255 * 2 ^ 23) : isFinite (0 * 2 ^ 31 + f) = true := by
  unfold isFinite expField
  simp only [Nat.reducePow, Nat.reduceMul, Nat.zero_mul, Nat.zero_add] at h ⊢
  have h1 : f / 8388608 % 256 ≠ 255 := by omega
  simp [h1]
  omega

/-- The largest finite binary32, `(2^24 − 1) · 2^104`, in packed form. -/
theorem decode_maxFinite : decode 0x7f7fffff = ((2 ^ 24 - 1 : Nat) : Rat) * 2 ^ ((253 : Nat) - 149 : Int) := by
  have := decode_pack (s := 0) (K := 253) (M := 2 ^ 24 - 1) (by decide) (by decide) (.inr (by decide)) (by decide)
  rw [if_neg (by decide)] at this
  rw [← this]

/-- **Rounding a magnitude is monotone**: for `n1/d1 ≤ n2/d2` and a significand rounding of no
higher rank, if the second result is finite then so is the first, and its value is no larger. -/
theorem roundMag_mono {n1 d1 n2 d2 : Nat} (hn1 : 0 < n1) (hd1 : 0 < d1) (hn2 : 0 < n2) (hd2 : 0 < d2)
    (hx : n1 * d2 ≤ n2 * d1) {b1 c1 b2 c2 : Bool} (hr : rank b1 c1 ≤ rank b2 c2)
    (h2 : isFinite (roundMag 0 n2 d2 b2 c2) = true) :
    isFinite (roundMag 0 n1 d1 b1 c1) = true ∧
      decode (roundMag 0 n1 d1 b1 c1) ≤ decode (roundMag 0 n2 d2 b2 c2) := by
  have ho := sig_order hn1 hd1 hn2 hd2 hx hr
  have r1 := sig_range hd1 (floorLog2_spec hn1 hd1) b1 c1
  have r2 := sig_range hd2 (floorLog2_spec hn2 hd2) b2 c2
  unfold roundMag at h2 ⊢
  dsimp only at ho h2 ⊢
  simp only [sig_eq] at h2 ⊢
  generalize floorLog2 n1 d1 = E1 at *
  generalize floorLog2 n2 d2 = E2 at *
  generalize hq1 : max E1 (-126) - 23 = q1 at *
  generalize hq2 : max E2 (-126) - 23 = q2 at *
  generalize roundDiv (sN q1 n1) (sD q1 d1) b1 c1 = M1 at *
  generalize roundDiv (sN q2 n2) (sD q2 d2) b2 c2 = M2 at *
  have k1 : -149 ≤ q1 := by omega
  have k2 : -149 ≤ q2 := by omega
  have e1 : (((q1 + 149).toNat : Nat) : Int) = q1 + 149 := Int.toNat_of_nonneg (by omega)
  have e2 : (((q2 + 149).toNat : Nat) : Int) = q2 + 149 := Int.toNat_of_nonneg (by omega)
  generalize (q1 + 149).toNat = K1 at *
  generalize (q2 + 149).toNat = K2 at *
  have hfield : K1 * 2 ^ 23 + M1 ≤ K2 * 2 ^ 23 + M2 := by
    simp only [Nat.reducePow] at ho r1 r2 ⊢
    omega
  have hrank : (b1 || c1) = true → (b2 || c2) = true := by
    unfold rank at hr; cases b1 <;> cases c1 <;> cases b2 <;> cases c2 <;> simp at hr ⊢
  have inf_not : isFinite (0 * 2 ^ 31 + 0x7f800000) = false := by decide
  by_cases f2 : K2 * 2 ^ 23 + M2 < 255 * 2 ^ 23
  · rw [if_pos f2] at h2 ⊢
    have f1 : K1 * 2 ^ 23 + M1 < 255 * 2 ^ 23 := by omega
    rw [if_pos f1]
    refine ⟨isFinite_field f1, ?_⟩
    rw [decode_pack (s := 0) (by decide) r1.1 (by omega) f1, decode_pack (s := 0) (by decide) r2.1 (by omega) f2,
      if_neg (by decide), if_neg (by decide), show (K1 : Int) - 149 = q1 by omega, show (K2 : Int) - 149 = q2 by omega]
    exact pack_le_pack ho
  · rw [if_neg f2] at h2 ⊢
    by_cases hb2 : (b2 || c2) = true
    · rw [if_pos hb2] at h2; exact absurd h2 (by rw [inf_not]; decide)
    · rw [if_neg hb2]
      have hb1 : (b1 || c1) = false := by
        cases h : (b1 || c1)
        · rfl
        · exact absurd (hrank h) (by simp_all)
      simp only [hb1, Bool.false_eq_true, if_false]
      by_cases f1 : K1 * 2 ^ 23 + M1 < 255 * 2 ^ 23
      · rw [if_pos f1]
        refine ⟨isFinite_field f1, ?_⟩
        rw [decode_pack (s := 0) (by decide) r1.1 (by omega) f1, if_neg (by decide),
          show (K1 : Int) - 149 = q1 by omega, Nat.zero_mul, Nat.zero_add, decode_maxFinite]
        apply pack_le_pack
        simp only [Nat.reducePow] at r1 f1 ⊢
        omega
      · rw [if_neg f1]
        exact ⟨by decide, Rat.le_refl⟩

/-- Whether a mode rounds to nearest. -/
@[expose] def Mode.near : Mode → Bool
  | .rne => true
  | _ => false

/-- Whether a mode rounds the significand of a positive value up. -/
@[expose] def Mode.upPos : Mode → Bool
  | .rup => true
  | _ => false

/-- Whether a mode rounds the significand of a negative value (its magnitude) up. -/
@[expose] def Mode.upNeg : Mode → Bool
  | .rdn => true
  | _ => false

/-- `m1` never rounds above `m2`: on positive values its significand rounding has no higher rank,
on negative values (where a larger magnitude is a smaller value) no lower. roundTowardNegative is
below every mode, roundTowardPositive above every mode, and each mode below itself. -/
@[expose] def Mode.Below (m1 m2 : Mode) : Prop :=
  rank m1.near m1.upPos ≤ rank m2.near m2.upPos ∧ rank m2.near m2.upNeg ≤ rank m1.near m1.upNeg

theorem Mode.below_refl (m : Mode) : m.Below m := ⟨Nat.le_refl _, Nat.le_refl _⟩

theorem Mode.below_rdn_rne : Mode.Below .rdn .rne := by unfold Mode.Below; decide

theorem Mode.below_rne_rup : Mode.Below .rne .rup := by unfold Mode.Below; decide

/-- A positive value rounds through its magnitude's significand as the mode says for positives. -/
theorem round_of_pos (m : Mode) {x : Rat} (hx : 0 < x) :
    round m x = roundMag 0 x.num.natAbs x.den m.near m.upPos := by
  have h1 : x ≠ 0 := fun e => by subst e; exact absurd hx (by decide)
  have h2 : decide (x < 0) = false := decide_eq_false (fun h => by grind)
  unfold round
  rw [if_neg h1]
  simp only [h2]
  cases m <;> rfl

/-- A negative value rounds to the negated rounding of its magnitude, as the mode says for
negatives. -/
theorem round_of_neg (m : Mode) {x : Rat} (hx : x < 0) :
    round m x = 2 ^ 31 + roundMag 0 x.num.natAbs x.den m.near m.upNeg := by
  have h1 : x ≠ 0 := fun e => by subst e; exact absurd hx (by decide)
  have h2 : decide (x < 0) = true := decide_eq_true hx
  rw [← roundMag_one]
  unfold round
  rw [if_neg h1]
  simp only [h2]
  cases m <;> rfl

theorem decode_nonneg_of_lt {p : Nat} (h : p < 2 ^ 31) : 0 ≤ decode p := by
  unfold decode magnitude
  rw [if_neg (by simp only [Nat.reducePow] at h ⊢; omega)]
  dsimp only
  rw [scaleVal_eq]
  exact Rat.mul_nonneg Rat.natCast_nonneg (Rat.le_of_lt (zpow_two_pos _))

theorem cross_of_le_pos {x y : Rat} (hx : 0 < x) (hxy : x ≤ y) :
    x.num.natAbs * y.den ≤ y.num.natAbs * x.den := by
  have ex := eq_natAbs_div (Rat.le_of_lt hx)
  have ey := eq_natAbs_div (show 0 ≤ y by grind)
  have h : (x.num.natAbs : Rat) / x.den ≤ (y.num.natAbs : Rat) / y.den := by
    generalize (y.num.natAbs : Rat) / y.den = b at ey
    generalize (x.num.natAbs : Rat) / x.den = a at ex
    grind
  exact (frac_le_frac x.den_pos y.den_pos).1 h

theorem cross_of_le_neg {x y : Rat} (hy : y < 0) (hxy : x ≤ y) :
    y.num.natAbs * x.den ≤ x.num.natAbs * y.den := by
  have ex := eq_neg_natAbs_div (show x < 0 by grind)
  have ey := eq_neg_natAbs_div hy
  have h : (y.num.natAbs : Rat) / y.den ≤ (x.num.natAbs : Rat) / x.den := by
    generalize (y.num.natAbs : Rat) / y.den = b at ey
    generalize (x.num.natAbs : Rat) / x.den = a at ex
    grind
  exact (frac_le_frac y.den_pos x.den_pos).1 h

/-- **Rounding is monotone**, also across modes: if `x ≤ y` and `m1` never rounds above `m2`,
then the value of `x` rounded in `m1` is at most that of `y` rounded in `m2`, whenever both
results are finite. With `m1 = m2` this is monotonicity of each of the four modes. -/
theorem round_mono {m1 m2 : Mode} (hm : m1.Below m2) {x y : Rat} (hxy : x ≤ y)
    (h1 : isFinite (round m1 x) = true) (h2 : isFinite (round m2 y) = true) :
    decode (round m1 x) ≤ decode (round m2 y) := by
  have zero : decode 0 = 0 := by decide +kernel
  by_cases hx : 0 < x
  · have hy : 0 < y := (by grind)
    rw [round_of_pos m1 hx] at h1 ⊢
    rw [round_of_pos m2 hy] at h2 ⊢
    exact (roundMag_mono (natAbs_num_pos (Rat.ne_of_gt hx)) x.den_pos (natAbs_num_pos (Rat.ne_of_gt hy))
      y.den_pos (cross_of_le_pos hx hxy) hm.1 h2).2
  · by_cases hy : y < 0
    · have hxn : x < 0 := by grind
      rw [round_of_neg m1 hxn] at h1 ⊢
      rw [round_of_neg m2 hy] at h2 ⊢
      rw [isFinite_sign_pattern (roundMag_zero_lt _ _ _ _)] at h1
      rw [decode_sign_pattern (roundMag_zero_lt _ _ _ _), decode_sign_pattern (roundMag_zero_lt _ _ _ _)]
      have := (roundMag_mono (natAbs_num_pos (Rat.ne_of_lt hy)) y.den_pos (natAbs_num_pos (Rat.ne_of_lt hxn))
        x.den_pos (cross_of_le_neg hy hxy) hm.2 h1).2
      generalize decode (roundMag 0 y.num.natAbs y.den m2.near m2.upNeg) = a at this
      generalize decode (roundMag 0 x.num.natAbs x.den m1.near m1.upNeg) = b at this
      grind
    · have upper : 0 ≤ decode (round m2 y) := by
        by_cases hy0 : y = 0
        · subst hy0; rw [round_zero, zero]; exact Rat.le_refl
        · rw [round_of_pos m2 (by grind)]; exact decode_nonneg_of_lt (roundMag_zero_lt _ _ _ _)
      by_cases hx0 : x = 0
      · subst hx0; rw [round_zero, zero]; exact upper
      · have hxn : x < 0 := by grind
        rw [round_of_neg m1 hxn, decode_sign_pattern (roundMag_zero_lt _ _ _ _)]
        have := decode_nonneg_of_lt (roundMag_zero_lt x.num.natAbs x.den m1.near m1.upNeg)
        generalize decode (roundMag 0 x.num.natAbs x.den m1.near m1.upNeg) = b at this
        generalize decode (round m2 y) = c at upper
        grind

/-- Between two finite roundings, a rounding in a mode between theirs is finite too: overflow
can only happen past the directed results. -/
theorem isFinite_round_between {m1 m2 m3 : Mode} (h12 : m1.Below m2) (h23 : m2.Below m3) {x y z : Rat}
    (hxy : x ≤ y) (hyz : y ≤ z) (h1 : isFinite (round m1 x) = true) (h3 : isFinite (round m3 z) = true) :
    isFinite (round m2 y) = true := by
  by_cases hy : 0 < y
  · have hz : 0 < z := (by grind)
    rw [round_of_pos m3 hz] at h3
    rw [round_of_pos m2 hy]
    exact (roundMag_mono (natAbs_num_pos (Rat.ne_of_gt hy)) y.den_pos (natAbs_num_pos (Rat.ne_of_gt hz))
      z.den_pos (cross_of_le_pos hy hyz) h23.1 h3).1
  · by_cases hy0 : y = 0
    · subst hy0; rw [round_zero]; decide
    · have hyn : y < 0 := by grind
      have hxn : x < 0 := by grind
      rw [round_of_neg m1 hxn, isFinite_sign_pattern (roundMag_zero_lt _ _ _ _)] at h1
      rw [round_of_neg m2 hyn, isFinite_sign_pattern (roundMag_zero_lt _ _ _ _)]
      exact (roundMag_mono (natAbs_num_pos (Rat.ne_of_lt hyn)) y.den_pos (natAbs_num_pos (Rat.ne_of_lt hxn))
        x.den_pos (cross_of_le_neg hyn hxy) h12.2 h1).1

/-- **Round-to-nearest lies between the directed roundings of its bounds**: if `lo ≤ v ≤ hi` and
`lo` rounded down and `hi` rounded up are finite binary32 values, then `v` rounded to nearest is
finite and lies between them. This is the step a binary32 interval enclosure repeats. -/
theorem round_rne_mem {lo v hi : Rat} (hl : lo ≤ v) (hh : v ≤ hi) (hfl : isFinite (round .rdn lo) = true)
    (hfh : isFinite (round .rup hi) = true) :
    isFinite (round .rne v) = true ∧ decode (round .rdn lo) ≤ decode (round .rne v) ∧
      decode (round .rne v) ≤ decode (round .rup hi) := by
  have hf := isFinite_round_between Mode.below_rdn_rne Mode.below_rne_rup hl hh hfl hfh
  exact ⟨hf, round_mono Mode.below_rdn_rne hl hfl hf, round_mono Mode.below_rne_rup hh hf hfh⟩

end TorchLean.Num.Binary32
