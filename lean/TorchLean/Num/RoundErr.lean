module

public import TorchLean.Num.RoundMono

/-! # The rounding error of binary32

`round_rne_err`: rounding to nearest moves a rational `x` with `|x| ≤ M` by at most
`M / 2^23 + 1 / 2^149` when the result is finite: one unit in the last place at the top of `x`'s
binade (the significand has 24 bits, so that unit is at most `2^-23 · |x|`), or the subnormal
quantum `2^-149` below the normal range. Half a unit would hold as well; a whole one needs only
the floor and ceiling facts about `roundDiv`. This is the error model a certificate about the
declared-order binary32 execution needs (issue 30): every product and sum of a dot product lands
within this bound of its exact value.
-/

public section

namespace TorchLean.Num.Binary32

/-- The rounded significand is the floor of the scaled value or one more. -/
theorem roundDiv_near (n d : Nat) (near away : Bool) :
    n / d ≤ roundDiv n d near away ∧ roundDiv n d near away ≤ n / d + 1 := by
  rcases roundDiv_cases n d near away with e | e <;> rw [e] <;> omega

/-- The quantum of `x`'s binade is at most `x / 2^23`, or the subnormal quantum. -/
theorem quantum_le {x : Rat} {E : Int} (hx : (2 : Rat) ^ E ≤ x) :
    (2 : Rat) ^ (max E (-126) - 23) ≤ x / 2 ^ (23 : Int) + 1 / 2 ^ (149 : Int) := by
  have h2 : (2 : Rat) ≠ 0 := by decide
  have hp23 := zpow_two_pos 23
  have hp149 := zpow_two_pos 149
  have hxn : 0 ≤ x := by have := zpow_two_pos E; grind
  have hq : 0 ≤ x / 2 ^ (23 : Int) := by
    rw [Rat.div_def]; exact Rat.mul_nonneg hxn (Rat.le_of_lt (Rat.inv_pos.mpr hp23))
  have hs : 0 ≤ 1 / (2 : Rat) ^ (149 : Int) := by
    rw [Rat.div_def, Rat.one_mul]; exact Rat.le_of_lt (Rat.inv_pos.mpr hp149)
  by_cases hE : -126 ≤ E
  · rw [show max E (-126) - 23 = E + (-23) by omega, Rat.zpow_add h2]
    have hm : (2 : Rat) ^ (-23 : Int) = (2 ^ (23 : Int))⁻¹ := Rat.zpow_neg 2 23
    rw [hm]
    have := Rat.mul_le_mul_of_nonneg_right hx (Rat.le_of_lt (Rat.inv_pos.mpr hp23))
    rw [Rat.div_def]
    grind
  · rw [show max E (-126) - 23 = -149 by omega, Rat.zpow_neg]
    have h1 : (1 : Rat) / 2 ^ (149 : Int) = (2 ^ (149 : Int))⁻¹ := by rw [Rat.div_def, Rat.one_mul]
    grind

/-- **One rounding of a positive magnitude**, when the result is finite and overflow would give
infinity (`near || away`): within `2^q` of `n / d`, and `2^q` within the bound. -/
theorem roundMag_err {n d : Nat} (hn : 0 < n) (hd : 0 < d) {near away : Bool} (hna : (near || away) = true)
    (hfin : isFinite (roundMag 0 n d near away) = true) :
    (n : Rat) / d - ((n : Rat) / d / 2 ^ (23 : Int) + 1 / 2 ^ (149 : Int)) ≤ decode (roundMag 0 n d near away) ∧
      decode (roundMag 0 n d near away) ≤ (n : Rat) / d + ((n : Rat) / d / 2 ^ (23 : Int) + 1 / 2 ^ (149 : Int)) := by
  have hspec := floorLog2_spec hn hd
  have hquant := quantum_le hspec.1
  unfold roundMag at hfin ⊢
  dsimp only at hfin ⊢
  rw [sig_eq] at hfin ⊢
  have hr := sig_range hd hspec near away
  have hnear := roundDiv_near (sN (max (floorLog2 n d) (-126) - 23) n) (sD (max (floorLog2 n d) (-126) - 23) d)
    near away
  generalize floorLog2 n d = E at *
  generalize hq : max E (-126) - 23 = q at *
  generalize hM : roundDiv (sN q n) (sD q d) near away = M at *
  have hq149 : -149 ≤ q := by omega
  have hsD := sD_pos hd q
  split
  · next hf =>
    rw [decode_pack (s := 0) (by decide) hr.1 (by omega) hf, if_neg (by decide),
      show (((q + 149).toNat : Nat) : Int) - 149 = q by omega]
    -- below: `n / d < (M + 1) · 2^q`
    have hlo : (n : Rat) / d < ((M + 1 : Nat) : Rat) * 2 ^ q := by
      rw [div_lt_mul_two_zpow_iff hd]
      have := Nat.lt_mul_div_succ (sN q n) hsD
      have h2 : (sN q n / sD q d + 1) * sD q d ≤ (M + 1) * sD q d := Nat.mul_le_mul_right _ (by omega)
      rw [Nat.mul_comm] at this
      omega
    have hnd : (0 : Rat) ≤ (n : Rat) / d := by have := zpow_two_pos E; grind
    have hp := zpow_two_pos q
    refine ⟨?_, ?_⟩
    · push_cast at hlo
      grind
    · by_cases hM0 : M = 0
      · subst hM0
        push_cast
        grind
      · obtain ⟨M', rfl⟩ : ∃ M', M = M' + 1 := ⟨M - 1, by omega⟩
        have hup : (M' : Rat) * 2 ^ q ≤ (n : Rat) / d := by
          rw [mul_two_zpow_le_iff hd]
          have := Nat.div_mul_le_self (sN q n) (sD q d)
          have h2 : M' * sD q d ≤ sN q n / sD q d * sD q d := Nat.mul_le_mul_right _ (by omega)
          omega
        push_cast
        grind
  · next hf =>
    rw [if_neg hf, if_pos hna] at hfin
    exact absurd hfin (by decide)

/-- **The rounding error of binary32**: for `|x| ≤ M`, a finite round-to-nearest result is within
`M / 2^23 + 1 / 2^149` of `x`. -/
theorem round_rne_err {x M : Rat} (hlo : -M ≤ x) (hhi : x ≤ M) (hfin : isFinite (round .rne x) = true) :
    x - (M / 2 ^ (23 : Int) + 1 / 2 ^ (149 : Int)) ≤ decode (round .rne x) ∧
      decode (round .rne x) ≤ x + (M / 2 ^ (23 : Int) + 1 / 2 ^ (149 : Int)) := by
  -- the bound at `|x|` is at most the bound at `M`
  have hmono : ∀ a : Rat, a ≤ M → a / 2 ^ (23 : Int) ≤ M / 2 ^ (23 : Int) := by
    intro a ha
    have hinv : 0 < ((2 : Rat) ^ (23 : Int))⁻¹ := Rat.inv_pos.mpr (zpow_two_pos 23)
    rw [Rat.div_def, Rat.div_def]
    exact Rat.mul_le_mul_of_nonneg_right ha (Rat.le_of_lt hinv)
  by_cases hneg : x < 0
  · have hx := eq_neg_natAbs_div hneg
    have hn := natAbs_num_pos (x := x) (by grind)
    have hd := x.den_pos
    rw [round_of_neg .rne hneg] at hfin ⊢
    have hlt := roundMag_zero_lt x.num.natAbs x.den Mode.rne.near Mode.rne.upNeg
    rw [isFinite_sign_pattern hlt] at hfin
    rw [decode_sign_pattern hlt]
    have h := roundMag_err hn hd (near := true) (away := false) rfl hfin
    simp only [Mode.near, Mode.upNeg] at h ⊢
    generalize decode (roundMag 0 x.num.natAbs x.den true false) = D at h ⊢
    generalize (x.num.natAbs : Rat) / (x.den : Rat) = y at h hx
    have hm := hmono y (by grind)
    generalize (2 : Rat) ^ (23 : Int) = P at h hm ⊢
    generalize 1 / (2 : Rat) ^ (149 : Int) = S at h ⊢
    grind
  by_cases hzero : x = 0
  · subst hzero
    rw [round_zero]
    have h0 : decode 0 = 0 := by decide +kernel
    have hinv : 0 < ((2 : Rat) ^ (23 : Int))⁻¹ := Rat.inv_pos.mpr (zpow_two_pos 23)
    have hq : 0 ≤ M / 2 ^ (23 : Int) := by rw [Rat.div_def]; exact Rat.mul_nonneg hhi (Rat.le_of_lt hinv)
    have hs : 0 ≤ 1 / (2 : Rat) ^ (149 : Int) := by
      rw [Rat.div_def, Rat.one_mul]; exact Rat.le_of_lt (Rat.inv_pos.mpr (zpow_two_pos 149))
    rw [h0]
    generalize M / (2 : Rat) ^ (23 : Int) = A at hq ⊢
    generalize 1 / (2 : Rat) ^ (149 : Int) = S at hs ⊢
    grind
  · have hpos : 0 < x := by grind
    have hx := eq_natAbs_div (Rat.le_of_lt hpos)
    have hn := natAbs_num_pos (x := x) (by grind)
    have hd := x.den_pos
    rw [round_of_pos .rne hpos] at hfin ⊢
    have h := roundMag_err hn hd (near := true) (away := false) rfl hfin
    simp only [Mode.near, Mode.upPos] at h ⊢
    generalize decode (roundMag 0 x.num.natAbs x.den true false) = D at h ⊢
    generalize (x.num.natAbs : Rat) / (x.den : Rat) = y at h hx
    have hm := hmono y (by grind)
    generalize (2 : Rat) ^ (23 : Int) = P at h hm ⊢
    generalize 1 / (2 : Rat) ^ (149 : Int) = S at h ⊢
    grind

end TorchLean.Num.Binary32
