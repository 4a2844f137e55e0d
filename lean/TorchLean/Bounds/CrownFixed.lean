module

public import TorchLean.Bounds.CrownDown

/-! # Fixed-point backward coefficients, read as rationals

A fixed-point checker holds a backward pass's coefficients as integers `z` standing for `z · σ`,
with one positive scale `σ` per layer boundary, the ReLU slopes as integers over `2^r` and a
layer's weights as integers at a scale `ω`. These theorems read its three operations as the
rational ones of `backwardDown`: the ReLU lines (`relaxCoeffs_scaled`) and the product with a
layer's weights (`vecMat_scaled`) are exact, and the division by `2^q` that keeps the integers
small only lowers the coefficients (`below_floorShift`), so it is a rounding `crownLowerDown_le`
accepts. They are specifications, not compiled: checkers compute in their own representation.
-/

public section

namespace TorchLean.Bounds

open TorchLean.IR

/-- Integers read at scale `σ`: `z ↦ z · σ`. -/
@[expose] noncomputable def scaled (σ : Rat) (zs : List Int) : List Rat := zs.map (fun (z : Int) => (z : Rat) * σ)

/-- A positive scale keeps the sign of a coefficient. -/
theorem scaled_nonneg_iff (z : Int) {σ : Rat} (hσ : 0 < σ) : 0 ≤ (z : Rat) * σ ↔ 0 ≤ z := by
  constructor
  · intro hz
    by_cases hn : 0 ≤ z
    · exact hn
    · have h0 : z < 0 := by omega
      have h1 : (z : Rat) < 0 := by exact_mod_cast h0
      have := Rat.mul_lt_mul_of_pos_right h1 hσ
      grind
  · intro hz
    have h1 : (0 : Rat) ≤ z := by exact_mod_cast hz
    exact Rat.mul_nonneg h1 (Rat.le_of_lt hσ)

/-! ## The ReLU lines -/

/-- The ReLU lines on integer coefficients: `an·z` where `z ≥ 0`, `sn·z` elsewhere. -/
@[expose] def relaxInt : List Int → List Nat → List Nat → List Int
  | z :: zs, a :: as, s :: ss => (if 0 ≤ z then (a : Int) * z else (s : Int) * z) :: relaxInt zs as ss
  | _, _, _ => []

/-- Neuron by neuron, the relaxations' slopes are `an/2^r` (lower line) and `sn/2^r` (upper). -/
@[expose] def SlopesOf (r : Nat) : List Nat → List Nat → List Relax → Prop
  | a :: as, s :: ss, R :: Rs => R.alpha = (a : Rat) / 2 ^ r ∧ R.slope = (s : Rat) / 2 ^ r ∧ SlopesOf r as ss Rs
  | [], [], [] => True
  | _, _, _ => False

/-- **The integer ReLU step is the rational one**, at scale `σ / 2^r`. -/
theorem relaxCoeffs_scaled (r : Nat) {σ : Rat} (hσ : 0 < σ) :
    ∀ (zs : List Int) (an sn : List Nat) (R : List Relax), SlopesOf r an sn R → zs.length = R.length →
      relaxCoeffs (scaled σ zs) R = scaled (σ / 2 ^ r) (relaxInt zs an sn)
  | z :: zs, a :: as, s :: ss, R :: Rs, ⟨ha, hs, h⟩, hl => by
    have ih := relaxCoeffs_scaled r hσ zs as ss Rs h (by simpa using hl)
    simp only [scaled] at ih
    simp only [scaled, List.map_cons, relaxCoeffs, relaxInt, ih]
    congr 1
    by_cases hz : 0 ≤ z
    · have hzs : 0 ≤ (z : Rat) * σ := (scaled_nonneg_iff z hσ).2 hz
      simp only [hzs, hz, if_true, ha]
      push_cast
      grind
    · have hzs : ¬ 0 ≤ (z : Rat) * σ := fun h' => hz ((scaled_nonneg_iff z hσ).1 h')
      simp only [hzs, hz, if_false, hs]
      push_cast
      grind
  | [], an, sn, R, _, _ => by cases an <;> cases sn <;> simp [scaled, relaxCoeffs, relaxInt]
  | _ :: _, _, _, [], _, hl => by simp at hl
  | _ :: _, [], _, _ :: _, h, _ => by simp [SlopesOf] at h
  | _ :: _, _ :: _, [], _ :: _, h, _ => by simp [SlopesOf] at h

/-! ## Rounding down -/

/-- Every coefficient divided by `2^q`, rounding down (`Int` division by a positive number
rounds down): what `shiftFields` does to a packed batch. -/
@[expose] noncomputable def floorShift (q : Nat) (zs : List Int) : List Int := zs.map (fun z => z / 2 ^ q)

/-- **Dividing by `2^q` and rounding down lowers every coefficient**, read at the scale
`σ · 2^q` that keeps its value. -/
theorem below_floorShift (q : Nat) {σ : Rat} (hσ : 0 < σ) : ∀ zs : List Int,
    Below (scaled (σ * 2 ^ q) (floorShift q zs)) (scaled σ zs)
  | [] => trivial
  | z :: zs => by
    refine ⟨?_, below_floorShift q hσ zs⟩
    have hp : (2 : Int) ^ q ≠ 0 := by
      have : (0 : Int) < 2 ^ q := by exact_mod_cast Nat.two_pow_pos q
      omega
    have h1 : z / 2 ^ q * 2 ^ q ≤ z := Int.ediv_mul_le z hp
    have h2 : ((z / 2 ^ q * 2 ^ q : Int) : Rat) ≤ (z : Rat) := by exact_mod_cast h1
    have h3 := Rat.mul_le_mul_of_nonneg_right h2 (Rat.le_of_lt hσ)
    push_cast at h3
    grind

/-! ## A layer's weights -/

/-- Elementwise sum of integer vectors, the shorter one's missing tail read as zeros. -/
@[expose] def vaddInt : List Int → List Int → List Int
  | a :: as, b :: bs => (a + b) :: vaddInt as bs
  | [], bs => bs
  | a :: as, [] => a :: as

/-- `Σᵣ zᵣ · W[r]` on integers. -/
@[expose] noncomputable def vecMatInt : List Int → List (List Int) → List Int
  | z :: zs, row :: rows => vaddInt (row.map (z * ·)) (vecMatInt zs rows)
  | _, _ => []

theorem vadd_scaled (σ : Rat) : ∀ u v : List Int, vadd (scaled σ u) (scaled σ v) = scaled σ (vaddInt u v)
  | a :: as, b :: bs => by
    have ih := vadd_scaled σ as bs
    simp only [scaled] at ih
    simp only [scaled, List.map_cons, vadd, vaddInt, ih]
    congr 1
    push_cast
    grind
  | [], v => by simp [scaled, vadd, vaddInt]
  | _ :: _, [] => by simp [scaled, vadd, vaddInt]

theorem smul_scaled (c : Int) (σ ω : Rat) : ∀ u : List Int,
    smul ((c : Rat) * σ) (scaled ω u) = scaled (σ * ω) (u.map (c * ·))
  | [] => rfl
  | a :: as => by
    have ih := smul_scaled c σ ω as
    simp only [scaled] at ih
    simp only [scaled, List.map_cons, smul, ih]
    congr 1
    push_cast
    grind

/-- **The integer product with a layer's weights is the rational one**: coefficients at scale
`σ` times integer rows at scale `ω` give coefficients at scale `σ · ω`. -/
theorem vecMat_scaled (σ ω : Rat) : ∀ (zs : List Int) (W : List (List Int)),
    vecMat (scaled σ zs) (W.map (scaled ω)) = scaled (σ * ω) (vecMatInt zs W)
  | z :: zs, row :: rows => by
    have ih := vecMat_scaled σ ω zs rows
    simp only [scaled] at ih
    simp only [scaled, List.map_cons, vecMat, vecMatInt]
    rw [ih]
    have hs := smul_scaled z σ ω row
    simp only [scaled] at hs
    rw [hs]
    exact vadd_scaled (σ * ω) _ _
  | [], W => by cases W <;> simp [scaled, vecMat, vecMatInt]
  | _ :: _, [] => by simp [scaled, vecMat, vecMatInt]

end TorchLean.Bounds
