module

/-! # Rational intervals and boxes

An interval `[lo, hi]` over `Rat` and a box (one interval per coordinate), with the two facts
interval bound propagation rests on: scaling by a constant and adding preserve membership.
-/

public section

namespace TorchLean.Bounds

/-- A closed rational interval `[lo, hi]` (empty when `hi < lo`). -/
structure Interval where
  /-- Lower end. -/
  lo : Rat
  /-- Upper end. -/
  hi : Rat

/-- `x` lies in the interval. -/
@[expose] def Interval.Mem (I : Interval) (x : Rat) : Prop := I.lo ≤ x ∧ x ≤ I.hi

/-- A box: one interval per coordinate. -/
abbrev Box := List Interval

/-- The vector `x` lies in the box: same length, every coordinate in its interval. -/
@[expose] def Box.Mem : Box → List Rat → Prop
  | [], [] => True
  | I :: Is, x :: xs => I.Mem x ∧ Box.Mem Is xs
  | _, _ => False

/-- The image interval of `w * x` for `x ∈ I`: its ends swap when `w` is negative. -/
@[expose] def Interval.scale (w : Rat) (I : Interval) : Interval :=
  if 0 ≤ w then ⟨w * I.lo, w * I.hi⟩ else ⟨w * I.hi, w * I.lo⟩

/-- Interval sum: `[a.lo + b.lo, a.hi + b.hi]`. -/
@[expose] def Interval.add (a b : Interval) : Interval := ⟨a.lo + b.lo, a.hi + b.hi⟩

/-- `I ⊆ J`, decided: `J.lo ≤ I.lo` and `I.hi ≤ J.hi`. -/
@[expose] def Interval.subset (I J : Interval) : Bool := decide (J.lo ≤ I.lo) && decide (I.hi ≤ J.hi)

/-- Scaling a member of `I` by `w` gives a member of `I.scale w`. -/
theorem Interval.mem_scale {w x : Rat} {I : Interval} (h : I.Mem x) : (I.scale w).Mem (w * x) := by
  unfold Interval.scale Interval.Mem at *
  obtain ⟨hlo, hhi⟩ := h
  by_cases hw : 0 ≤ w
  · simp only [hw, if_true]
    exact ⟨Rat.mul_le_mul_of_nonneg_left hlo hw, Rat.mul_le_mul_of_nonneg_left hhi hw⟩
  · simp only [hw, if_false]
    have hn : 0 ≤ -w := by grind
    have h1 := Rat.mul_le_mul_of_nonneg_left hlo hn
    have h2 := Rat.mul_le_mul_of_nonneg_left hhi hn
    grind

/-- The sum of members of `a` and `b` is a member of `a.add b`. -/
theorem Interval.mem_add {x y : Rat} {a b : Interval} (ha : a.Mem x) (hb : b.Mem y) :
    (a.add b).Mem (x + y) := by
  unfold Interval.add Interval.Mem at *
  grind

/-- A member of `I` is a member of every `J` with `I.subset J`. -/
theorem Interval.mem_of_subset {x : Rat} {I J : Interval} (hs : I.subset J = true) (h : I.Mem x) :
    J.Mem x := by
  unfold Interval.subset Interval.Mem at *
  simp only [Bool.and_eq_true, decide_eq_true_eq] at hs
  grind

end TorchLean.Bounds
