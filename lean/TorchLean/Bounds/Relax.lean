module

public import TorchLean.IR.Dense

/-! # Linear relaxations of ReLU (the CROWN transfer rules)

CROWN replaces each unstable ReLU with pre-activation bounds `l ≤ z ≤ u` (`l ≤ 0 ≤ u`) by a lower
line `α z` (any `α ∈ [0, 1]`) and an upper line through `(u, u)` with slope `s`, where
`0 ≤ s` and `s (u − l) ≤ u` (the chord has `s = u / (u − l)`; a smaller `s` rounded down to a
dyadic is still sound). This file proves both lines sound, and the step a backward pass takes for
one coordinate: a coefficient `a ≥ 0` may use the lower line, `a < 0` the upper one.
-/

public section

namespace TorchLean.Bounds

open TorchLean.IR

/-- For `α ∈ [0, 1]`, the line `α z` lies below `relu z` everywhere. -/
theorem relu_lower_le {α z : Rat} (h0 : 0 ≤ α) (h1 : α ≤ 1) : α * z ≤ Act.eval .relu z := by
  simp only [Act.eval]
  split
  · next hz =>
    have : α * z ≤ α * 0 := Rat.mul_le_mul_of_nonneg_left hz h0
    grind
  · next hz =>
    have hz' : 0 ≤ z := by grind
    have : α * z ≤ 1 * z := Rat.mul_le_mul_of_nonneg_right h1 hz'
    grind

/-- With `l ≤ z ≤ u`, `l ≤ 0`, `0 ≤ s` and `s (u − l) ≤ u`, the line through `(u, u)` with slope `s`
lies above `relu z`. -/
theorem relu_le_upper {l u s z : Rat} (hl : l ≤ z) (hu : z ≤ u) (hl0 : l ≤ 0) (hs0 : 0 ≤ s)
    (hs : s * (u - l) ≤ u) : Act.eval .relu z ≤ s * (z - u) + u := by
  have hzl : s * (l - u) ≤ s * (z - u) := Rat.mul_le_mul_of_nonneg_left (by grind) hs0
  simp only [Act.eval]
  split
  · grind
  · next hz =>
    -- `s ≤ 1`: `s u ≤ s (u − l) ≤ u` since `s l ≤ 0`, and `u > 0`.
    have hsl : s * l ≤ s * 0 := Rat.mul_le_mul_of_nonneg_left hl0 hs0
    have hs1 : s ≤ 1 := by
      apply Classical.byContradiction
      intro hgt
      have hpos : 0 < (s - 1) * u := Rat.mul_pos (by grind) (by grind)
      grind
    have : s * (u - z) ≤ 1 * (u - z) := Rat.mul_le_mul_of_nonneg_right hs1 (by grind)
    grind

/-- One coordinate of a backward pass: if `lo ≤ h ≤ hi` then `a h` is at least `a lo` when
`a ≥ 0` and at least `a hi` otherwise. -/
theorem mul_ge_of_sign {a h lo hi : Rat} (hlo : lo ≤ h) (hhi : h ≤ hi) :
    (if 0 ≤ a then a * lo else a * hi) ≤ a * h := by
  split
  · next ha => exact Rat.mul_le_mul_of_nonneg_left hlo ha
  · next ha =>
    have hn : 0 ≤ -a := by grind
    have := Rat.mul_le_mul_of_nonneg_left hhi hn
    grind

end TorchLean.Bounds
