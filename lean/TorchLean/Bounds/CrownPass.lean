module

public import TorchLean.Bounds.CrownFixed

/-! # A fixed-point CROWN pass as a chain of pointwise inequalities

A packed checker runs many backward passes at once, and they do not all start at the output:
each hidden neuron's box is bounded by a pass of its own that starts at that neuron's
pre-activation. So a pass is not stated here as one backward function. Each step is an
inequality that holds at every point where the layer's lines hold. It says that the pass's
linear function of the layer above is at least its linear function of the layer below.
Chaining the steps from a pass's target down to the input gives `target(x) ≥ bound` for every
input of the box, whatever layer the pass started at.

A pass's state is integers `zs` (coefficients) and `C` (a constant) at a positive scale `σ`. It
stands for the function `v ↦ (scaled σ zs) · v + C · σ` (`linAt`). The steps:
- `relaxFix_le`: the ReLU lines, with slopes and intercepts integers over `2^r`;
- `crossFix_le`: a layer's integer weights and bias at scale `ω` (`ω · Ω = 1`), then division
  by `2^q` rounding down, onto a nonnegative layer (a hidden ReLU output). The constant travels
  as one more neuron whose column is the bias followed by `Ω`, the integer that stands for 1 at
  the new scale;
- `crossFix_eq`: the same without rounding, onto the network input, whose entries may be negative;
- `closeFix_le`: the lower end over an input box whose ends are integers at scale `κ`.
-/

public section

namespace TorchLean.Bounds

open TorchLean.IR TorchLean.Num

/-- The linear function a pass's state `(zs, C)` at scale `σ` stands for, at the point `v`. -/
@[expose] noncomputable def linAt (σ : Rat) (zs : List Int) (C : Int) (v : List Rat) : Rat :=
  dot (scaled σ zs) v + (C : Rat) * σ

/-- A column of integer weights applied to one pass's integers: the per-pass value of `rowDot`
over the column's magnitudes and signs. -/
@[expose] noncomputable def colDot (col zs : List Int) : Int :=
  signedDot (col.map Int.natAbs) (col.map (fun w => decide (w < 0))) zs

/-- `columnDots` is `colDot` column by column. -/
theorem columnDots_eq (cols : List (List Int)) (zs : List Int) :
    columnDots cols zs = cols.map (colDot · zs) := rfl

/-- A pass's constant after the ReLU lines, at scale `σ / 2^r`: `2^r · C` keeps its value, and
the upper lines' intercepts (integers over `2^r`) subtract `Σ |z| · ic` over the negative `z`. -/
@[expose] def relaxConstInt (r : Nat) (zs ics : List Int) (C : Int) : Int := 2 ^ r * C - negDot zs ics

/-- **The ReLU lines step**: where the lines of `R` sandwich `h` over `z`, the pass after the lines
(at scale `σ / 2^r`, over `z`) is at most the pass before them (at scale `σ`, over `h`). -/
theorem relaxFix_le (r : Nat) {σ : Rat} (hσ : 0 < σ) {zs : List Int} (C : Int) {an sn : List Nat}
    {ics : List Int} {R : List Relax} (hs : SlopesOf r an sn R) (hi : IcptsOf (1 / 2 ^ r) ics R)
    (hl : zs.length = R.length) {z h : List Rat} (hlines : Lines R z h) :
    linAt (σ / 2 ^ r) (relaxInt zs an sn) (relaxConstInt r zs ics C) z ≤ linAt σ zs C h := by
  have h1 := relax_le (scaled σ zs) R z h hlines
  rw [relaxCoeffs_scaled r hσ zs an sn R hs hl, relaxConst_scaled (1 / 2 ^ r) hσ zs ics R hi hl] at h1
  have hp : (2 : Rat) ^ r ≠ 0 := by
    have : (0 : Rat) < 2 ^ r := Rat.pow_pos (by decide)
    grind
  have hc : (((2 ^ r * C - negDot zs ics : Int)) : Rat) * (σ / 2 ^ r) =
      (C : Rat) * σ + -((negDot zs ics : Int) : Rat) * (σ * (1 / 2 ^ r)) := by
    have hinv : (2 : Rat) ^ r * ((2 : Rat) ^ r)⁻¹ = 1 := Rat.mul_inv_cancel _ hp
    push_cast
    rw [Rat.div_def, Rat.div_def, Rat.one_mul]
    grind
  unfold linAt relaxConstInt
  rw [hc]
  grind

/-- `a · W` for integer coefficients and the matrix of integer columns, read at scales, is the
column sums read at the product of the scales. -/
theorem vecMat_scaled_ofCols (m : Nat) (hm : m ≠ 0) {σ ω : Rat} (zs : List Int) (hz : zs.length = m)
    (cols : List (List Int)) (hc : ∀ c ∈ cols, c.length = m) :
    vecMat (scaled σ zs) (ofCols m (cols.map (scaled ω))) = scaled (σ * ω) (columnDots cols zs) := by
  have hlen : (scaled σ zs).length = m := by simp [scaled, hz]
  have hcols : ∀ c ∈ cols.map (scaled ω), c.length = m := by
    intro c hc'
    obtain ⟨d, hd, rfl⟩ := List.mem_map.mp hc'
    simp [scaled, hc d hd]
  rw [vecMat_ofCols m hm (scaled σ zs) hlen _ hcols]
  simp only [List.map_map, scaled, columnDots]
  apply List.map_congr_left
  intro col hcol
  have := dot_scaled_signedDot σ ω col zs ((hc col hcol).trans hz.symm)
  simpa [scaled] using this

/-- The pass's function through a layer's pre-activation, exactly: coefficients `ys` at scale `s`
over `W h + b` are the column sums over `h`, and the bias's contribution joins the constant. -/
theorem linAt_preAct (m : Nat) (hm : m ≠ 0) (Ω : Nat) {s ω : Rat} (hω : ω * Ω = 1) {ys : List Int}
    (hy : ys.length = m) (yc : Int) {cols : List (List Int)} (hc : ∀ c ∈ cols, c.length = m)
    {bs : List Int} (hb : bs.length = m) {L : Dense} (hW : L.weight = ofCols m (cols.map (scaled ω)))
    (hB : L.bias = scaled ω bs) (h : List Rat) :
    linAt s ys yc (preAct L h) = linAt (s * ω) (columnDots cols ys) (colDot bs ys + Ω * yc) h := by
  have hWl : L.weight.length = L.bias.length := by
    rw [hW, hB, length_ofCols m _ (by
      intro c hc'
      obtain ⟨d, hd, rfl⟩ := List.mem_map.mp hc'
      simp [scaled, hc d hd])]
    simp [scaled, hb]
  have hsplit := dot_layerOut_identity h (scaled s ys) L.weight L.bias hWl
  rw [hW, vecMat_scaled_ofCols m hm ys hy cols hc] at hsplit
  rw [hB, dot_scaled_signedDot s ω bs ys (hb.trans hy.symm)] at hsplit
  unfold linAt preAct
  rw [hW, hB, hsplit]
  have hyc : (yc : Rat) * s = ((Ω * yc : Int) : Rat) * (s * ω) := by
    push_cast
    grind
  rw [hyc]
  simp only [colDot]
  push_cast
  grind

/-- **Onto the network input, exactly**: no rounding, since input entries may be negative. -/
theorem crossFix_eq (m : Nat) (hm : m ≠ 0) (Ω : Nat) {s ω : Rat} (hω : ω * Ω = 1) {ys : List Int}
    (hy : ys.length = m) (yc : Int) {cols : List (List Int)} (hc : ∀ c ∈ cols, c.length = m)
    {bs : List Int} (hb : bs.length = m) {L : Dense} (hW : L.weight = ofCols m (cols.map (scaled ω)))
    (hB : L.bias = scaled ω bs) (x : List Rat) :
    linAt (s * ω) (columnDots cols ys) (colDot bs ys + Ω * yc) x = linAt s ys yc (preAct L x) :=
  (linAt_preAct m hm Ω hω hy yc hc hb hW hB x).symm

/-- An integer divided by `2^q` rounding down, read at a scale `2^q` coarser, is not larger. -/
theorem ediv_two_pow_mul_le (q : Nat) {σ : Rat} (hσ : 0 < σ) (X : Int) :
    ((X / 2 ^ q : Int) : Rat) * (σ * 2 ^ q) ≤ (X : Rat) * σ := by
  have h := below_floorShift q hσ [X]
  simp only [scaled, floorShift, List.map_cons, List.map_nil, Below] at h
  exact h.1

/-- **Through a layer onto a nonnegative layer, rounded down**: over every `h ≥ 0` (a hidden ReLU
output), the pass after the layer — column sums divided by `2^q` rounding down, and the constant
`(bias · ys + Ω · yc) / 2^q` — is at most the pass over the layer's pre-activation `W h + b`. -/
theorem crossFix_le (m : Nat) (hm : m ≠ 0) (q Ω : Nat) {s ω : Rat} (hs : 0 < s) (hω0 : 0 < ω)
    (hω : ω * Ω = 1) {ys : List Int} (hy : ys.length = m) (yc : Int) {cols : List (List Int)}
    (hc : ∀ c ∈ cols, c.length = m) {bs : List Int} (hb : bs.length = m) {L : Dense}
    (hW : L.weight = ofCols m (cols.map (scaled ω))) (hB : L.bias = scaled ω bs) {h : List Rat}
    (hh : ∀ v ∈ h, 0 ≤ v) :
    linAt (s * ω * 2 ^ q) (floorShift q (columnDots cols ys)) ((colDot bs ys + Ω * yc) / 2 ^ q) h ≤
      linAt s ys yc (preAct L h) := by
  rw [linAt_preAct m hm Ω hω hy yc hc hb hW hB h]
  have hsω : 0 < s * ω := Rat.mul_pos hs hω0
  have hdown := dot_le_dot_of_below _ _ h (below_floorShift q hsω (columnDots cols ys)) hh
  have hconst := ediv_two_pow_mul_le q hsω (colDot bs ys + Ω * yc)
  unfold linAt
  grind

/-- **Closing a pass over an input box** with integer ends at scale `κ` (`κ · K = 1`): at every
`x` of the box, the pass is at least the integer `colDot ls zs − Σ |z| · (h − l) + K · C` over the
negative `z`, read at scale `σ · κ`. A checker that finds this integer `≥ 0` has proved the pass's
function nonnegative on the whole box. -/
theorem closeFix_le (K : Nat) {κ : Rat} (hκ : κ * K = 1) {σ : Rat} (hσ : 0 < σ) (zs ls hs : List Int)
    (h1 : zs.length = ls.length) (h2 : ls.length = hs.length) (C : Int) {x : List Rat}
    (hx : Box.Mem (endsAt κ ls hs) x) :
    ((colDot ls zs - negDot zs (widths ls hs) + K * C : Int) : Rat) * (σ * κ) ≤ linAt σ zs C x := by
  have hlo := (ibpDot_sound (scaled σ zs) (endsAt κ ls hs) x hx).1
  rw [ibpDot_scaled κ hσ zs ls hs h1 h2, dot_scaled_signedDot σ κ ls zs h1.symm] at hlo
  have hC : (C : Rat) * σ = ((K * C : Int) : Rat) * (σ * κ) := by
    push_cast
    grind
  unfold linAt
  rw [hC]
  simp only [colDot]
  push_cast
  grind

end TorchLean.Bounds
