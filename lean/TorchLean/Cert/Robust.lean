module

public import TorchLean.Cert.Goal

/-! # L∞ robustness from a refuted violation

`verify` decides an L∞ robustness claim (center, ε, label) as the violation property "for some
rival `j`, `y_label − y_j ≤ 0`" over the ball's box. The box is derived in Lean from the claim
itself (`ballBox`, `Cert/Goal.lean`), and so is the disjunction (`linfViolation`, here). This
file proves `robust_of_safe`: refuting every disjunct means the label's output beats every rival strictly.
A module then states robustness, not a disjunction the emitter wrote.
-/

public section

namespace TorchLean.Cert

open TorchLean.IR TorchLean.Bounds

/-- The coefficients of `y_label − y_j` at output indices `i, i+1, …` (`m` of them). -/
@[expose] def marginCoeffs (label j : Nat) : Nat → Nat → List Rat
  | 0, _ => []
  | m + 1, i => (if i = label then 1 else if i = j then -1 else 0) :: marginCoeffs label j m (i + 1)

/-- The disjuncts `y_label − y_j ≤ 0` for the rivals `j = i, i+1, …` (`k` of them) among `n`
outputs. -/
@[expose] def rivalsFrom (label n : Nat) : Nat → Nat → List (List Row)
  | 0, _ => []
  | k + 1, j =>
    if j = label then rivalsFrom label n k (j + 1)
    else [⟨marginCoeffs label j n 0, 0, false⟩] :: rivalsFrom label n k (j + 1)

/-- The violation of "the label wins strictly among `n` outputs": one disjunct per rival, in
index order (the disjunction `src/property/robust.rs` derives). -/
@[expose] def linfViolation (label n : Nat) : List (List Row) := rivalsFrom label n n 0

/-- Output `k` of `ys`, counted from index `i` within a window of `m`: `ys[k - i]` when
`i ≤ k < i + m` (0 past the end of `ys`), else 0. -/
@[expose] noncomputable def outputAt (ys : List Rat) (i m k : Nat) : Rat :=
  if i ≤ k ∧ k < i + m then ys.getD (k - i) 0 else 0

theorem outputAt_cons (y : Rat) (ys : List Rat) (i m k : Nat) :
    outputAt (y :: ys) i (m + 1) k = (if k = i then y else outputAt ys (i + 1) m k) := by
  unfold outputAt
  by_cases hk : k = i
  · subst hk; simp
  · simp only [hk, if_false]
    by_cases h : i + 1 ≤ k ∧ k < i + 1 + m
    · have h' : i ≤ k ∧ k < i + (m + 1) := ⟨by omega, by omega⟩
      rw [if_pos h, if_pos h']
      obtain ⟨d, rfl⟩ : ∃ d, k = i + 1 + d := ⟨k - (i + 1), by omega⟩
      have e1 : i + 1 + d - i = d + 1 := by omega
      have e2 : i + 1 + d - (i + 1) = d := by omega
      rw [e1, e2]; rfl
    · have h' : ¬ (i ≤ k ∧ k < i + (m + 1)) := by omega
      rw [if_neg h, if_neg h']

theorem outputAt_nil (i m k : Nat) : outputAt [] i m k = 0 := by
  unfold outputAt; split <;> rfl

/-- The margin coefficients pick out `y_label − y_j` (for `j ≠ label`). -/
theorem dot_marginCoeffs {label j : Nat} (hj : j ≠ label) :
    ∀ (m : Nat) (ys : List Rat) (i : Nat),
      dot (marginCoeffs label j m i) ys = outputAt ys i m label - outputAt ys i m j
  | 0, ys, i => by
    have h : ∀ k, outputAt ys i 0 k = 0 := fun k => by unfold outputAt; rw [if_neg (by omega)]
    rw [h, h]; simp only [marginCoeffs, dot]; grind
  | m + 1, [], i => by
    rw [outputAt_nil, outputAt_nil]; simp only [marginCoeffs, dot]; grind
  | m + 1, y :: ys, i => by
    simp only [marginCoeffs, dot]
    rw [dot_marginCoeffs hj m ys (i + 1), outputAt_cons, outputAt_cons]
    have below : outputAt ys (i + 1) m i = 0 := by unfold outputAt; rw [if_neg (by omega)]
    by_cases hl : i = label
    · subst hl
      have : j ≠ i := hj
      simp only [if_true, this, if_false]
      rw [below]; grind
    · by_cases hji : i = j
      · subst hji; simp only [hl, if_false, if_true]; rw [below]; grind
      · have h1 : label ≠ i := fun h => hl h.symm
        have h2 : j ≠ i := fun h => hji h.symm
        simp only [hl, hji, h1, h2, if_false]; grind

/-- Every rival `j` in `[j0, j0 + k)` has its disjunct in `rivalsFrom`. -/
theorem mem_rivalsFrom {label n j : Nat} (hj : j ≠ label) :
    ∀ (k j0 : Nat), j0 ≤ j → j < j0 + k → [⟨marginCoeffs label j n 0, 0, false⟩] ∈ rivalsFrom label n k j0
  | 0, _, _, h => by omega
  | k + 1, j0, h0, h1 => by
    unfold rivalsFrom
    by_cases he : j0 = j
    · subst he; simp [hj]
    · have hrest := mem_rivalsFrom (n := n) hj k (j0 + 1) (by omega) (by omega)
      split
      · exact hrest
      · exact List.mem_cons_of_mem _ hrest

/-- **Robustness from safety**: an output that satisfies no disjunct of `linfViolation label n`
(with `label < n`) has its label strictly beating every rival among the first `n` outputs. -/
theorem robust_of_safe {label n : Nat} {y : List Rat} (hlab : label < n)
    (hs : Safe (linfViolation label n) y) : Robust label n y := by
  intro j hj hne
  have hmem := mem_rivalsFrom (n := n) hne n 0 (Nat.zero_le _) (by omega)
  have hnot := hs _ hmem
  have hrow : ¬ dot (marginCoeffs label j n 0) y ≤ 0 := by
    intro h
    apply hnot
    intro r hr
    simp only [List.mem_singleton] at hr
    subst hr
    unfold Row.Holds
    simpa using h
  rw [dot_marginCoeffs hne n y 0] at hrow
  unfold outputAt at hrow
  have hl : 0 ≤ label ∧ label < 0 + n := ⟨Nat.zero_le _, by omega⟩
  have hj' : 0 ≤ j ∧ j < 0 + n := ⟨Nat.zero_le _, by omega⟩
  rw [if_pos hl, if_pos hj'] at hrow
  simp only [Nat.sub_zero] at hrow
  grind

end TorchLean.Cert
