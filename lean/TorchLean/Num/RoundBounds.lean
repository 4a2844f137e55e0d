module

public import TorchLean.Num.Round

/-! # Directed rounding brackets the exact value

The theorems a binary32 enclosure rests on, about `Num/Round.lean`'s bit-level `round`:
`round_rdn_le` (roundTowardNegative never exceeds `x`) and `le_round_rup` (roundTowardPositive is
never below it), for every rational whose rounded result is finite. The path: `floorLog2_spec`
(the binade is right: `2^E ≤ n/d < 2^(E+1)`), `sig_range` (so the significand has 24 bits, or is
`2^24` after a carry, or is subnormal), `decode_pack` (such a significand and exponent field
decode to `M · 2^q`), and the floor and ceiling facts about `roundDiv`. Overflow is covered: rounded
down, a value of at least `2^128` becomes the largest finite binary32, which is below it.
-/

public section

namespace TorchLean.Num.Binary32

theorem roundDiv_cases (n d : Nat) (near away : Bool) :
    roundDiv n d near away = n / d ∨ roundDiv n d near away = n / d + 1 := by
  unfold roundDiv
  dsimp only
  repeat' split
  all_goals first
    | exact .inl rfl
    | exact .inr rfl
    | (cases Nat.mod_two_eq_zero_or_one (n / d) with
        | inl h => left; rw [h, Nat.add_zero]
        | inr h => right; rw [h])

theorem roundDiv_down (n d : Nat) : roundDiv n d false false = n / d := by
  unfold roundDiv; dsimp only; split <;> simp

theorem roundDiv_up (n d : Nat) : roundDiv n d false true = if n % d = 0 then n / d else n / d + 1 := by
  unfold roundDiv; dsimp only; split <;> simp_all

theorem roundDiv_down_mul_le (n d : Nat) : roundDiv n d false false * d ≤ n := by
  rw [roundDiv_down]; exact Nat.div_mul_le_self n d

theorem le_roundDiv_up_mul {n d : Nat} (hd : 0 < d) : n ≤ roundDiv n d false true * d := by
  rw [roundDiv_up]
  have h1 := Nat.div_add_mod n d
  have h2 := Nat.mod_lt n hd
  rw [Nat.mul_comm] at h1
  generalize n / d = q at *
  split
  · omega
  · rw [Nat.add_mul, Nat.one_mul]; omega

theorem roundDiv_le_of_lt {n d hi : Nat} (h : n < hi * d) (near away : Bool) : roundDiv n d near away ≤ hi := by
  have hd : 0 < d := by
    cases d with
    | zero => simp at h
    | succ d => exact Nat.succ_pos d
  have hq : n / d < hi := (Nat.div_lt_iff_lt_mul hd).2 h
  cases roundDiv_cases n d near away with
  | inl e => rw [e]; omega
  | inr e => rw [e]; omega

theorem le_roundDiv_of_le {n d lo : Nat} (hd : 0 < d) (h : lo * d ≤ n) (near away : Bool) : lo ≤ roundDiv n d near away := by
  have hq : lo ≤ n / d := (Nat.le_div_iff_mul_le hd).2 h
  cases roundDiv_cases n d near away with
  | inl e => rw [e]; omega
  | inr e => rw [e]; omega

/-- `2 ^ k` for an integer `k`, as a rational. -/
theorem zpow_two_pos (k : Int) : (0 : Rat) < 2 ^ k := Rat.zpow_pos (by decide)

theorem two_zpow_of_nonneg {k : Int} (h : 0 ≤ k) : (2 : Rat) ^ k = ((2 ^ k.toNat : Nat) : Rat) := by
  have e : k = (k.toNat : Int) := by omega
  conv => lhs; rw [e]
  rw [Rat.zpow_natCast]
  simp

theorem two_zpow_of_neg {k : Int} (h : k < 0) : (2 : Rat) ^ k = 1 / ((2 ^ (-k).toNat : Nat) : Rat) := by
  have e : k = -((-k).toNat : Int) := by omega
  conv => lhs; rw [e]
  rw [Rat.zpow_neg, Rat.zpow_natCast]
  simp [Rat.div_def]


theorem frac_lt_frac {A B N D : Nat} (hB : 0 < B) (hD : 0 < D) :
    (A : Rat) / B < N / D ↔ A * D < N * B := by
  have hB' : (0 : Rat) < B := Rat.natCast_lt_natCast.2 hB
  have hD' : (0 : Rat) < D := Rat.natCast_lt_natCast.2 hD
  have e : (N : Rat) / D * B = (N * B) / D := by grind
  rw [Rat.div_lt_iff hB', e, Rat.lt_div_iff hD', ← Rat.natCast_mul, ← Rat.natCast_mul, Rat.natCast_lt_natCast]

theorem frac_le_frac {A B N D : Nat} (hB : 0 < B) (hD : 0 < D) :
    (A : Rat) / B ≤ N / D ↔ A * D ≤ N * B := by
  rw [← Rat.not_lt, frac_lt_frac hD hB, Nat.not_lt]

theorem two_zpow_eq_frac (k : Int) (c : Nat) (hk : 0 ≤ k + c) :
    (2 : Rat) ^ k = ((2 ^ (k + c).toNat : Nat) : Rat) / ((2 ^ c : Nat) : Rat) := by
  have h2 : (2 : Rat) ≠ 0 := by decide
  have e1 : ((2 ^ (k + c).toNat : Nat) : Rat) = (2 : Rat) ^ (k + c) := by
    rw [Rat.natCast_pow, ← Rat.zpow_natCast, Int.toNat_of_nonneg hk]; rfl
  have e2 : ((2 ^ c : Nat) : Rat) = (2 : Rat) ^ (c : Int) := by
    rw [Rat.natCast_pow, ← Rat.zpow_natCast]; rfl
  have hc : (2 : Rat) ^ (c : Int) ≠ 0 := Rat.ne_of_gt (Rat.zpow_pos (by decide))
  rw [e1, e2, Rat.zpow_add h2]
  grind

/-- `A · 2^k / B` as a quotient of naturals, scaled by `2^c` to make the exponent natural. -/
theorem scaled_eq_frac {A B c : Nat} {k : Int} (hk : 0 ≤ k + c) :
    (A : Rat) * 2 ^ k / B = ((A * 2 ^ (k + c).toNat : Nat) : Rat) / ((B * 2 ^ c : Nat) : Rat) := by
  have hc : (0 : Rat) < ((2 ^ c : Nat) : Rat) := Rat.natCast_lt_natCast.2 (Nat.two_pow_pos c)
  rw [two_zpow_eq_frac k c hk, Rat.natCast_mul, Rat.natCast_mul]
  grind

theorem scaled_le_iff {A B N D c : Nat} {k : Int} (hk : 0 ≤ k + c) (hB : 0 < B) (hD : 0 < D) :
    (A : Rat) * 2 ^ k / B ≤ N / D ↔ A * 2 ^ (k + c).toNat * D ≤ N * (B * 2 ^ c) := by
  have e := scaled_eq_frac (A := A) (B := B) hk
  rw [e, frac_le_frac (Nat.mul_pos hB (Nat.two_pow_pos c)) hD]

theorem le_scaled_iff {A B N D c : Nat} {k : Int} (hk : 0 ≤ k + c) (hB : 0 < B) (hD : 0 < D) :
    (N : Rat) / D ≤ A * 2 ^ k / B ↔ N * (B * 2 ^ c) ≤ A * 2 ^ (k + c).toNat * D := by
  have e := scaled_eq_frac (A := A) (B := B) hk
  rw [e, frac_le_frac hD (Nat.mul_pos hB (Nat.two_pow_pos c))]

theorem two_zpow_le_iff {n d : Nat} (k : Int) (c : Nat) (hk : 0 ≤ k + c) (hd : 0 < d) :
    (2 : Rat) ^ k ≤ (n : Rat) / d ↔ 2 ^ (k + c).toNat * d ≤ n * 2 ^ c := by
  have := scaled_le_iff (A := 1) (B := 1) (N := n) (D := d) hk (by decide) hd
  rw [show ((1 : Nat) : Rat) * 2 ^ k / ((1 : Nat) : Rat) = 2 ^ k by grind, Nat.one_mul, Nat.one_mul] at this
  exact this

theorem div_lt_two_zpow_iff {n d : Nat} (k : Int) (c : Nat) (hk : 0 ≤ k + c) (hd : 0 < d) :
    (n : Rat) / d < 2 ^ k ↔ n * 2 ^ c < 2 ^ (k + c).toNat * d := by
  rw [← Rat.not_le, two_zpow_le_iff k c hk hd, Nat.not_le]

/-- `floorLog2` is `⌊log₂ (n / d)⌋`: `2^E ≤ n / d < 2^(E+1)`. -/
theorem floorLog2_spec {n d : Nat} (hn : 0 < n) (hd : 0 < d) :
    (2 : Rat) ^ floorLog2 n d ≤ (n : Rat) / d ∧ (n : Rat) / d < 2 ^ (floorLog2 n d + 1) := by
  unfold floorLog2
  dsimp only
  have ha1 : 2 ^ n.log2 ≤ n := Nat.log2_self_le (Nat.pos_iff_ne_zero.1 hn)
  have ha2 : n < 2 ^ (n.log2 + 1) := Nat.lt_log2_self
  have hb1 : 2 ^ d.log2 ≤ d := Nat.log2_self_le (Nat.pos_iff_ne_zero.1 hd)
  have hb2 : d < 2 ^ (d.log2 + 1) := Nat.lt_log2_self
  generalize n.log2 = a at *
  generalize d.log2 = b at *
  -- The two bounds that hold whichever way `below` goes.
  have lower : (2 : Rat) ^ ((a : Int) - b - 1) ≤ (n : Rat) / d := by
    rw [two_zpow_le_iff _ (b + 1) (by omega) hd, show ((a : Int) - b - 1 + ((b + 1 : Nat) : Int)).toNat = a by omega]
    exact Nat.mul_le_mul ha1 (Nat.le_of_lt hb2)
  have upper : (n : Rat) / d < 2 ^ ((a : Int) - b + 1) := by
    rw [div_lt_two_zpow_iff _ b (by omega) hd, show ((a : Int) - b + 1 + (b : Int)).toNat = a + 1 by omega]
    calc n * 2 ^ b < 2 ^ (a + 1) * 2 ^ b := Nat.mul_lt_mul_of_pos_right ha2 (Nat.two_pow_pos b)
      _ ≤ 2 ^ (a + 1) * d := Nat.mul_le_mul_left _ hb1
  by_cases he : (0 : Int) ≤ (a : Int) - b
  · simp only [he, if_true]
    by_cases hbl : n < d * 2 ^ ((a : Int) - b).toNat
    · simp only [hbl, decide_true, if_true]
      refine ⟨lower, ?_⟩
      rw [show (a : Int) - b - 1 + 1 = (a : Int) - b by omega, div_lt_two_zpow_iff _ 0 (by omega) hd,
        show ((a : Int) - b + ((0 : Nat) : Int)).toNat = ((a : Int) - b).toNat by omega, Nat.pow_zero, Nat.mul_one,
        Nat.mul_comm]
      exact hbl
    · simp only [hbl, decide_false, Bool.false_eq_true, if_false]
      refine ⟨?_, upper⟩
      rw [two_zpow_le_iff _ 0 (by omega) hd,
        show ((a : Int) - b + ((0 : Nat) : Int)).toNat = ((a : Int) - b).toNat by omega, Nat.pow_zero, Nat.mul_one,
        Nat.mul_comm]
      exact Nat.le_of_not_lt hbl
  · simp only [he, if_false]
    by_cases hbl : n * 2 ^ (-((a : Int) - b)).toNat < d
    · simp only [hbl, decide_true, if_true]
      refine ⟨lower, ?_⟩
      rw [show (a : Int) - b - 1 + 1 = (a : Int) - b by omega, div_lt_two_zpow_iff _ (-((a : Int) - b)).toNat (by omega) hd,
        show ((a : Int) - b + (((-((a : Int) - b)).toNat : Nat) : Int)).toNat = 0 by omega, Nat.pow_zero, Nat.one_mul]
      exact hbl
    · simp only [hbl, decide_false, Bool.false_eq_true, if_false]
      refine ⟨?_, upper⟩
      rw [two_zpow_le_iff _ (-((a : Int) - b)).toNat (by omega) hd,
        show ((a : Int) - b + (((-((a : Int) - b)).toNat : Nat) : Int)).toNat = 0 by omega, Nat.pow_zero, Nat.one_mul]
      exact Nat.le_of_not_lt hbl


theorem two_zpow_mono {a b : Int} (h : a ≤ b) : (2 : Rat) ^ a ≤ 2 ^ b := by
  have h2 : (2 : Rat) ≠ 0 := by decide
  have e : (2 : Rat) ^ b = 2 ^ a * 2 ^ (b - a) := by rw [← Rat.zpow_add h2]; congr 1; omega
  have h1 : (1 : Rat) ≤ 2 ^ (b - a) := by
    rw [two_zpow_of_nonneg (by omega)]
    exact Rat.natCast_le_natCast.2 Nat.one_le_two_pow
  have hp := zpow_two_pos a
  rw [e]
  have := Rat.mul_le_mul_of_nonneg_left h1 (Rat.le_of_lt hp)
  grind

/-- The value `m · 2^(ex − 150)` that `magnitude` computes in two cases. -/
theorem scaleVal_eq (m ex : Nat) :
    (if 150 ≤ ex then ((m * 2 ^ (ex - 150) : Nat) : Rat) else mkRat m (2 ^ (150 - ex))) =
      (m : Rat) * 2 ^ ((ex : Int) - 150) := by
  split
  · rw [two_zpow_of_nonneg (by omega), show ((ex : Int) - 150).toNat = ex - 150 by omega, Rat.natCast_mul]
  · rw [two_zpow_of_neg (by omega), show (-((ex : Int) - 150)).toNat = 150 - ex by omega, Rat.mkRat_eq_div,
      Rat.intCast_natCast]
    grind

/-- A pattern `(K · 2^23 + M)` with a significand `M` of 24 bits (or fewer, in the subnormal
binade `K = 0`, or exactly `2^24` after a carry) and a finite exponent field decodes to
`M · 2^(K − 149)`; the sign bit `s` negates it. -/
theorem decode_pack {s K M : Nat} (hs : s ≤ 1) (hM : M ≤ 2 ^ 24) (hK : K = 0 ∨ 2 ^ 23 ≤ M)
    (hf : K * 2 ^ 23 + M < 255 * 2 ^ 23) :
    decode (s * 2 ^ 31 + (K * 2 ^ 23 + M)) =
      if s = 1 then -((M : Rat) * 2 ^ ((K : Int) - 149)) else (M : Rat) * 2 ^ ((K : Int) - 149) := by
  simp only [Nat.reducePow, Nat.reduceMul] at hM hK hf ⊢
  have hsign : (s * 2147483648 + (K * 8388608 + M)) / 2147483648 % 2 = s := by omega
  have hmag : magnitude (s * 2147483648 + (K * 8388608 + M)) = (M : Rat) * 2 ^ ((K : Int) - 149) := by
    unfold magnitude expField
    simp only [Nat.reducePow]
    have h2 : (2 : Rat) ≠ 0 := by decide
    by_cases hsub : M < 8388608
    · have hK0 : K = 0 := by omega
      subst hK0
      have he : (s * 2147483648 + (0 * 8388608 + M)) / 8388608 % 256 = 0 := by omega
      have hfr : (s * 2147483648 + (0 * 8388608 + M)) % 8388608 = M := by omega
      simp only [he, hfr, if_true]
      rw [scaleVal_eq]
      rfl
    · by_cases hcarry : M = 16777216
      · subst hcarry
        have he : (s * 2147483648 + (K * 8388608 + 16777216)) / 8388608 % 256 = K + 2 := by omega
        have hfr : (s * 2147483648 + (K * 8388608 + 16777216)) % 8388608 = 0 := by omega
        simp only [he, hfr, Nat.succ_ne_zero, if_false, Nat.zero_add]
        rw [scaleVal_eq, show ((K + 2 : Nat) : Int) - 150 = ((K : Int) - 149) + 1 by omega, Rat.zpow_add_one h2]
        grind
      · have he : (s * 2147483648 + (K * 8388608 + M)) / 8388608 % 256 = K + 1 := by omega
        have hfr : (s * 2147483648 + (K * 8388608 + M)) % 8388608 = M - 8388608 := by omega
        simp only [he, hfr, Nat.succ_ne_zero, if_false,
          Nat.sub_add_cancel (Nat.le_of_not_lt hsub)]
        rw [scaleVal_eq, show ((K + 1 : Nat) : Int) - 150 = (K : Int) - 149 by omega]
  unfold decode
  rw [hsign, hmag]

/-- The numerator of `n / (d · 2^q)` as a quotient of naturals. -/
@[expose] def sN (q : Int) (n : Nat) : Nat := if 0 ≤ q then n else n * 2 ^ (-q).toNat

/-- The denominator of `n / (d · 2^q)` as a quotient of naturals. -/
@[expose] def sD (q : Int) (d : Nat) : Nat := if 0 ≤ q then d * 2 ^ q.toNat else d

theorem sD_pos {d : Nat} (hd : 0 < d) (q : Int) : 0 < sD q d := by
  unfold sD; split
  · exact Nat.mul_pos hd (Nat.two_pow_pos _)
  · exact hd

theorem sig_eq (n d : Nat) (q : Int) (near away : Bool) :
    (if 0 ≤ q then roundDiv n (d * 2 ^ q.toNat) near away else roundDiv (n * 2 ^ (-q).toNat) d near away) =
      roundDiv (sN q n) (sD q d) near away := by
  unfold sN sD; split <;> rfl

theorem mul_two_zpow_le_iff {n d : Nat} (hd : 0 < d) (A : Nat) (q : Int) :
    (A : Rat) * 2 ^ q ≤ (n : Rat) / d ↔ A * sD q d ≤ sN q n := by
  have := scaled_le_iff (A := A) (B := 1) (N := n) (D := d) (c := (-q).toNat) (k := q) (by omega) (by decide) hd
  rw [show (A : Rat) * 2 ^ q / ((1 : Nat) : Rat) = A * 2 ^ q by grind] at this
  rw [this]
  unfold sN sD
  split
  · rw [show (q + (((-q).toNat : Nat) : Int)).toNat = q.toNat by omega, show (-q).toNat = 0 by omega,
      Nat.pow_zero, Nat.mul_one, Nat.mul_assoc, Nat.mul_comm (2 ^ q.toNat) d]
  · rw [show (q + (((-q).toNat : Nat) : Int)).toNat = 0 by omega, Nat.pow_zero, Nat.mul_one, Nat.one_mul]

theorem div_le_mul_two_zpow_iff {n d : Nat} (hd : 0 < d) (A : Nat) (q : Int) :
    (n : Rat) / d ≤ A * 2 ^ q ↔ sN q n ≤ A * sD q d := by
  have := le_scaled_iff (A := A) (B := 1) (N := n) (D := d) (c := (-q).toNat) (k := q) (by omega) (by decide) hd
  rw [show (A : Rat) * 2 ^ q / ((1 : Nat) : Rat) = A * 2 ^ q by grind] at this
  rw [this]
  unfold sN sD
  split
  · rw [show (q + (((-q).toNat : Nat) : Int)).toNat = q.toNat by omega, show (-q).toNat = 0 by omega,
      Nat.pow_zero, Nat.mul_one, Nat.mul_assoc, Nat.mul_comm (2 ^ q.toNat) d]
  · rw [show (q + (((-q).toNat : Nat) : Int)).toNat = 0 by omega, Nat.pow_zero, Nat.mul_one, Nat.one_mul]

theorem div_lt_mul_two_zpow_iff {n d : Nat} (hd : 0 < d) (A : Nat) (q : Int) :
    (n : Rat) / d < A * 2 ^ q ↔ sN q n < A * sD q d := by
  rw [← Rat.not_le, mul_two_zpow_le_iff hd, Nat.not_le]

theorem natPow_mul_two_zpow (k : Nat) (q : Int) : ((2 ^ k : Nat) : Rat) * 2 ^ q = 2 ^ (q + k) := by
  have h2 : (2 : Rat) ≠ 0 := by decide
  rw [Rat.zpow_add h2, Rat.natCast_pow, ← Rat.zpow_natCast, Rat.mul_comm]
  rfl

/-- The significand `roundMag` computes has at most 24 bits (exactly `2^24` only after a carry), and
at least 24 outside the subnormal binade. -/
theorem sig_range {n d : Nat} (hd : 0 < d) {E : Int}
    (hspec : (2 : Rat) ^ E ≤ (n : Rat) / d ∧ (n : Rat) / d < 2 ^ (E + 1)) (near away : Bool) :
    roundDiv (sN (max E (-126) - 23) n) (sD (max E (-126) - 23) d) near away ≤ 2 ^ 24 ∧
      (max E (-126) - 23 = -149 ∨ 2 ^ 23 ≤ roundDiv (sN (max E (-126) - 23) n) (sD (max E (-126) - 23) d) near away) := by
  generalize hq : max E (-126) - 23 = q
  have hup : (n : Rat) / d < ((2 ^ 24 : Nat) : Rat) * 2 ^ q := by
    rw [natPow_mul_two_zpow]
    have h1 := hspec.2
    have h2 := two_zpow_mono (a := E + 1) (b := q + ((24 : Nat) : Int)) (by omega)
    grind
  refine ⟨roundDiv_le_of_lt ((div_lt_mul_two_zpow_iff hd _ q).1 hup) near away, ?_⟩
  by_cases hE : -126 ≤ E
  · right
    have hlo : ((2 ^ 23 : Nat) : Rat) * 2 ^ q ≤ (n : Rat) / d := by
      rw [natPow_mul_two_zpow, show q + ((23 : Nat) : Int) = E by omega]
      exact hspec.1
    exact le_roundDiv_of_le (sD_pos hd q) ((mul_two_zpow_le_iff hd _ q).1 hlo) near away
  · left; omega

/-- Rounded down, the significand is below `2^24` (no carry). -/
theorem sig_down_lt {n d : Nat} (hd : 0 < d) {E : Int} (hspec : (n : Rat) / d < 2 ^ (E + 1)) :
    roundDiv (sN (max E (-126) - 23) n) (sD (max E (-126) - 23) d) false false < 2 ^ 24 := by
  generalize hq : max E (-126) - 23 = q
  have hup : (n : Rat) / d < ((2 ^ 24 : Nat) : Rat) * 2 ^ q := by
    rw [natPow_mul_two_zpow]
    have h2 := two_zpow_mono (a := E + 1) (b := q + ((24 : Nat) : Int)) (by omega)
    grind
  have h := (div_lt_mul_two_zpow_iff hd _ q).1 hup
  rw [roundDiv_down]
  exact (Nat.div_lt_iff_lt_mul (sD_pos hd q)).2 h


/-- `roundMag` with the significand rounded down never exceeds `n / d`; on overflow it is the
largest finite value, and `n / d` is then at least `2^128`. -/
theorem decode_roundMag_down {n d : Nat} (hn : 0 < n) (hd : 0 < d) :
    decode (roundMag 0 n d false false) ≤ (n : Rat) / d := by
  have hspec := floorLog2_spec hn hd
  unfold roundMag
  dsimp only
  rw [sig_eq]
  have hr := sig_range hd hspec false false
  have hlt := sig_down_lt hd hspec.2
  have hfl := roundDiv_down_mul_le (sN (max (floorLog2 n d) (-126) - 23) n) (sD (max (floorLog2 n d) (-126) - 23) d)
  generalize floorLog2 n d = E at *
  generalize hq : max E (-126) - 23 = q at *
  generalize roundDiv (sN q n) (sD q d) false false = M at *
  have hq149 : -149 ≤ q := by omega
  split
  · next hf =>
    rw [decode_pack (s := 0) (by decide) hr.1 (by omega) hf, if_neg (by decide),
      show (((q + 149).toNat : Nat) : Int) - 149 = q by omega]
    exact (mul_two_zpow_le_iff hd M q).2 hfl
  · next hf =>
    simp only [Bool.or_false, Bool.false_eq_true, if_false, Nat.zero_mul, Nat.zero_add]
    simp only [Nat.reducePow, Nat.reduceMul] at hf hlt
    have hE : 128 ≤ E := by omega
    have hmax : decode 0x7f7fffff ≤ ((2 ^ 128 : Nat) : Rat) := by decide +kernel
    have h128 : (2 : Rat) ^ (128 : Int) = ((2 ^ 128 : Nat) : Rat) := by
      rw [two_zpow_of_nonneg (by decide)]; rfl
    have hmono := two_zpow_mono hE
    have h1 := hspec.1
    grind

/-- `roundMag` with the significand rounded up is at least `n / d` when it is finite. -/
theorem le_decode_roundMag_up {n d : Nat} (hn : 0 < n) (hd : 0 < d)
    (hfin : isFinite (roundMag 0 n d false true) = true) : (n : Rat) / d ≤ decode (roundMag 0 n d false true) := by
  have hspec := floorLog2_spec hn hd
  unfold roundMag at hfin ⊢
  dsimp only at hfin ⊢
  rw [sig_eq] at hfin ⊢
  have hr := sig_range hd hspec false true
  have hce := le_roundDiv_up_mul (n := sN (max (floorLog2 n d) (-126) - 23) n) (sD_pos hd (max (floorLog2 n d) (-126) - 23))
  generalize floorLog2 n d = E at *
  generalize hq : max E (-126) - 23 = q at *
  generalize roundDiv (sN q n) (sD q d) false true = M at *
  have hq149 : -149 ≤ q := by omega
  split
  · next hf =>
    rw [decode_pack (s := 0) (by decide) hr.1 (by omega) hf, if_neg (by decide),
      show (((q + 149).toNat : Nat) : Int) - 149 = q by omega]
    exact (div_le_mul_two_zpow_iff hd M q).2 hce
  · next hf =>
    rw [if_neg hf] at hfin
    exact absurd hfin (by decide)

theorem roundMag_one (n d : Nat) (near away : Bool) : roundMag 1 n d near away = 2 ^ 31 + roundMag 0 n d near away := by
  unfold roundMag
  dsimp only
  repeat' split
  all_goals omega

theorem roundMag_zero_lt (n d : Nat) (near away : Bool) : roundMag 0 n d near away < 2 ^ 31 := by
  unfold roundMag
  dsimp only
  repeat' split
  all_goals omega

theorem decode_sign_pattern {b : Nat} (h : b < 2 ^ 31) : decode (2 ^ 31 + b) = -decode b := by
  simp only [Nat.reducePow] at h ⊢
  have he : expField (2147483648 + b) = expField b := by unfold expField; simp only [Nat.reducePow]; omega
  have hf : (2147483648 + b) % 8388608 = b % 8388608 := by omega
  have hm : magnitude (2147483648 + b) = magnitude b := by
    unfold magnitude; simp only [Nat.reducePow]; rw [he, hf]
  unfold decode
  simp only [Nat.reducePow]
  rw [if_pos (by omega), if_neg (by omega), hm]

theorem isFinite_sign_pattern {b : Nat} (h : b < 2 ^ 31) : isFinite (2 ^ 31 + b) = isFinite b := by
  simp only [Nat.reducePow] at h ⊢
  have he : expField (2147483648 + b) = expField b := by unfold expField; simp only [Nat.reducePow]; omega
  unfold isFinite
  rw [he]
  simp only [Nat.reducePow]
  have h1 : decide (2147483648 + b < 4294967296) = true := by simp; omega
  have h2 : decide (b < 4294967296) = true := by simp; omega
  rw [h1, h2]


/-- A nonzero rational is `± n / d` with `n = |num|`, `d = den`. -/
theorem eq_natAbs_div {x : Rat} (hx : 0 ≤ x) : x = (x.num.natAbs : Rat) / (x.den : Rat) := by
  have e : ((x.num.natAbs : Nat) : Rat) = (x.num : Rat) := by
    rw [← Rat.intCast_natCast, Int.natAbs_of_nonneg (Rat.num_nonneg.2 hx)]
  rw [e, ← Rat.mkRat_eq_div, Rat.mkRat_self]

theorem eq_neg_natAbs_div {x : Rat} (hx : x < 0) : x = -((x.num.natAbs : Rat) / (x.den : Rat)) := by
  have hn : x.num ≤ 0 := by
    have : ¬ 0 ≤ x.num := fun h => by have := Rat.num_nonneg.1 h; grind
    omega
  have e : ((x.num.natAbs : Nat) : Rat) = -(x.num : Rat) := by
    rw [← Rat.intCast_natCast, Int.ofNat_natAbs_of_nonpos hn, Rat.intCast_neg]
  have e2 : x = (x.num : Rat) / (x.den : Rat) := by rw [← Rat.mkRat_eq_div, Rat.mkRat_self]
  rw [e]
  grind

theorem natAbs_num_pos {x : Rat} (h : x ≠ 0) : 0 < x.num.natAbs :=
  Int.natAbs_pos.2 (fun e => h (Rat.num_eq_zero.1 e))



theorem round_zero (m : Mode) : round m 0 = 0 := by
  unfold round; rw [if_pos rfl]

theorem round_pos {x : Rat} (hx : 0 < x) :
    round .rdn x = roundMag 0 x.num.natAbs x.den false false ∧
      round .rup x = roundMag 0 x.num.natAbs x.den false true := by
  have h1 : x ≠ 0 := fun e => by subst e; exact absurd hx (by decide)
  have h2 : decide (x < 0) = false := decide_eq_false (fun h => by grind)
  unfold round
  rw [if_neg h1, if_neg h1]
  simp only [h2]
  exact ⟨rfl, rfl⟩

theorem round_neg {x : Rat} (hx : x < 0) :
    round .rdn x = roundMag 1 x.num.natAbs x.den false true ∧
      round .rup x = roundMag 1 x.num.natAbs x.den false false := by
  have h1 : x ≠ 0 := fun e => by subst e; exact absurd hx (by decide)
  have h2 : decide (x < 0) = true := decide_eq_true hx
  unfold round
  rw [if_neg h1, if_neg h1]
  simp only [h2]
  exact ⟨rfl, rfl⟩

/-- **Rounding down is below the exact value**: for every rational `x` whose roundTowardNegative
result is a finite binary32 (it always is for `x > 0`), that result's value is at most `x`. -/
theorem round_rdn_le (x : Rat) (h : isFinite (round .rdn x) = true) : decode (round .rdn x) ≤ x := by
  by_cases hz : x = 0
  · subst hz; rw [round_zero]; decide +kernel
  · have hn := natAbs_num_pos hz
    have hd := x.den_pos
    by_cases hneg : x < 0
    · rw [(round_neg hneg).1, roundMag_one, isFinite_sign_pattern (roundMag_zero_lt _ _ _ _)] at h
      rw [(round_neg hneg).1, roundMag_one, decode_sign_pattern (roundMag_zero_lt _ _ _ _)]
      have := le_decode_roundMag_up hn hd h
      have e := eq_neg_natAbs_div hneg
      generalize ((x.num.natAbs : Nat) : Rat) / (x.den : Rat) = r at this e
      generalize decode (roundMag 0 x.num.natAbs x.den false true) = v at this ⊢
      grind
    · have hpos : 0 < x := by grind
      rw [(round_pos hpos).1]
      have := decode_roundMag_down hn hd
      have e := eq_natAbs_div (Rat.le_of_lt hpos)
      generalize ((x.num.natAbs : Nat) : Rat) / (x.den : Rat) = r at this e
      generalize decode (roundMag 0 x.num.natAbs x.den false false) = v at this ⊢
      grind

/-- **Rounding up is above the exact value**: for every rational `x` whose roundTowardPositive result
is a finite binary32 (it always is for `x < 0`), that result's value is at least `x`. -/
theorem le_round_rup (x : Rat) (h : isFinite (round .rup x) = true) : x ≤ decode (round .rup x) := by
  by_cases hz : x = 0
  · subst hz; rw [round_zero]; decide +kernel
  · have hn := natAbs_num_pos hz
    have hd := x.den_pos
    by_cases hneg : x < 0
    · rw [(round_neg hneg).2, roundMag_one, decode_sign_pattern (roundMag_zero_lt _ _ _ _)]
      have := decode_roundMag_down hn hd
      have e := eq_neg_natAbs_div hneg
      generalize ((x.num.natAbs : Nat) : Rat) / (x.den : Rat) = r at this e
      generalize decode (roundMag 0 x.num.natAbs x.den false false) = v at this ⊢
      grind
    · have hpos : 0 < x := by grind
      rw [(round_pos hpos).2] at h ⊢
      have := le_decode_roundMag_up hn hd h
      have e := eq_natAbs_div (Rat.le_of_lt hpos)
      generalize ((x.num.natAbs : Nat) : Rat) / (x.den : Rat) = r at this e
      generalize decode (roundMag 0 x.num.natAbs x.den false true) = v at this ⊢
      grind

end TorchLean.Num.Binary32
