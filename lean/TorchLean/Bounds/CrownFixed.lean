module

public import TorchLean.Bounds.CrownDown
public import TorchLean.Num.Packed

/-! # Fixed-point backward coefficients, read as rationals

A fixed-point checker holds a backward pass's coefficients as integers `z` standing for `z · σ`,
with one positive scale `σ` per layer boundary, the ReLU slopes as integers over `2^r` and a
layer's weights as integers at a scale `ω`. These theorems read each integer operation as the
rational one of `backwardDown`:
- the ReLU lines (`relaxCoeffs_scaled`) and the product with a layer's weights (`vecMat_scaled`)
  are exact;
- the division by `2^q` that keeps the integers small only lowers the coefficients
  (`below_floorShift`), so it is a rounding `crownLowerDown_le` accepts;
- a packed checker computes `a · W` one column at a time (`rowDot` over a column's magnitudes and
  signs): `vecMat_ofCols` and `dot_scaled_signedDot` read that as `vecMat`, and
  `below_columnDots` composes the layer, so per pass the rounded column sums lie below `a · W`;
- the constants: the upper lines' intercepts (`relaxConst_scaled`) and the closing step over an
  input box with integer ends (`ibpDot_scaled`).

These are specifications, not compiled: checkers compute in their own representation and are
proved equal to them.
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

/-- Neuron by neuron, the upper lines' intercepts are integers at scale `τ`. -/
@[expose] def IcptsOf (τ : Rat) : List Int → List Relax → Prop
  | ic :: ics, R :: Rs => R.icpt = (ic : Rat) * τ ∧ IcptsOf τ ics Rs
  | [], [] => True
  | _, _ => False

/-- `Σ |z| · ic` over the negative coefficients `z`: what a packed checker accumulates from the
negative entries' magnitudes (`negFields`) times the intercepts. -/
@[expose] def negDot : List Int → List Int → Int
  | z :: zs, ic :: ics => (-z).toNat * ic + negDot zs ics
  | _, _ => 0

/-- **The upper lines' constant on integers**: over coefficients `zs` at scale `σ`, the intercepts
contribute `-(Σ |z| · ic)` over the negative `z`, at scale `σ · τ`. -/
theorem relaxConst_scaled (τ : Rat) {σ : Rat} (hσ : 0 < σ) :
    ∀ (zs ics : List Int) (R : List Relax), IcptsOf τ ics R → zs.length = R.length →
      relaxConst (scaled σ zs) R = -((negDot zs ics : Int) : Rat) * (σ * τ)
  | z :: zs, ic :: ics, R :: Rs, ⟨hi, h⟩, hl => by
    have ih := relaxConst_scaled τ hσ zs ics Rs h (by simpa using hl)
    simp only [scaled] at ih
    simp only [scaled, List.map_cons, relaxConst, negDot, ih]
    by_cases hz : 0 ≤ z
    · have hzs : 0 ≤ (z : Rat) * σ := (scaled_nonneg_iff z hσ).2 hz
      have h0 : (-z).toNat = 0 := by omega
      simp only [hzs, if_true, h0]
      push_cast
      grind
    · have hzs : ¬ 0 ≤ (z : Rat) * σ := fun h' => hz ((scaled_nonneg_iff z hσ).1 h')
      have h0 : (((-z).toNat : Nat) : Int) = -z := by omega
      have h0r : (((-z).toNat : Nat) : Rat) = -(z : Rat) := by exact_mod_cast h0
      simp only [hzs, if_false, hi]
      push_cast
      rw [h0r]
      grind
  | [], _, _, _, _ => by simp [scaled, relaxConst, negDot] <;> grind
  | _ :: _, _, [], _, hl => by simp at hl
  | _ :: _, [], _ :: _, h, _ => by simp [IcptsOf] at h

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

/-- Integer sums read at one scale are the rational sums. -/
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

/-- An integer multiple of an integer row, read at scales, is the rational multiple. -/
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

/-! ## Columns

A backward pass needs `a · W` one column at a time: entry `j` is `a · (column j)`, which is what a
packed checker computes (`rowDot` over a column). `vecMat_ofCols` says so, for the matrix built
from its columns. -/

/-- The matrix whose columns are `cs`, each of length `m`: row `i` holds entry `i` of every
column. -/
@[expose] noncomputable def ofCols (m : Nat) : List (List Rat) → List (List Rat)
  | [] => List.replicate m []
  | c :: cs => List.zipWith List.cons c (ofCols m cs)

/-- The matrix built from columns of `m` entries has `m` rows. -/
theorem length_ofCols (m : Nat) : ∀ cs : List (List Rat), (∀ c ∈ cs, c.length = m) → (ofCols m cs).length = m
  | [], _ => by simp [ofCols]
  | c :: cs, h => by
    have ih := length_ofCols m cs (fun d hd => h d (by simp [hd]))
    have hc := h c (by simp)
    simp [ofCols, List.length_zipWith, ih, hc]

/-- Adding the empty vector changes nothing. -/
theorem vadd_nil_right : ∀ u : List Rat, vadd u [] = u
  | [] => rfl
  | _ :: _ => rfl

/-- A matrix of empty rows (no columns) gives the empty product. -/
theorem vecMat_replicate_nil : ∀ (a : List Rat) (m : Nat), vecMat a (List.replicate m []) = []
  | [], _ => by simp [vecMat]
  | _ :: _, 0 => by simp [vecMat]
  | _ :: as, m + 1 => by simp [List.replicate_succ, vecMat, smul, vadd, vecMat_replicate_nil as m]

/-- Adding a column in front of a matrix adds its dot product in front of `a · W`. -/
theorem vecMat_zipWith_cons (a₀ c₀ : Rat) (r₀ : List Rat) :
    ∀ (as cs : List Rat) (rs : List (List Rat)), as.length = cs.length → cs.length = rs.length →
      vecMat (a₀ :: as) (List.zipWith List.cons (c₀ :: cs) (r₀ :: rs)) =
        dot (a₀ :: as) (c₀ :: cs) :: vecMat (a₀ :: as) (r₀ :: rs)
  | [], [], [], _, _ => by
    simp only [List.zipWith_cons_cons, List.zipWith_nil_left, vecMat, smul, dot, vadd_nil_right]
    simp [Rat.add_zero]
  | a₁ :: as, c₁ :: cs, r₁ :: rs, h1, h2 => by
    have ih := vecMat_zipWith_cons a₁ c₁ r₁ as cs rs (by simpa using h1) (by simpa using h2)
    simp only [List.zipWith_cons_cons] at ih ⊢
    simp only [vecMat] at ih ⊢
    rw [ih]
    simp only [smul, vadd, dot]
  | [], _ :: _, _, h, _ => by simp at h
  | _ :: _, [], _, h, _ => by simp at h
  | [], [], _ :: _, _, h => by simp at h
  | _ :: _, _ :: _, [], _, h => by simp at h

/-- **`a · W` column by column**: for the matrix with columns `cs` (each of `m ≥ 1` entries) and
`a` of length `m`, entry `j` of `a · W` is `a · cs[j]`. -/
theorem vecMat_ofCols (m : Nat) (hm : m ≠ 0) (a : List Rat) (ha : a.length = m) :
    ∀ cs : List (List Rat), (∀ c ∈ cs, c.length = m) → vecMat a (ofCols m cs) = cs.map (dot a)
  | [], _ => by simp [ofCols, vecMat_replicate_nil]
  | c :: cs, h => by
    have ih := vecMat_ofCols m hm a ha cs (fun d hd => h d (by simp [hd]))
    have hc := h c (by simp)
    have hl := length_ofCols m cs (fun d hd => h d (by simp [hd]))
    simp only [ofCols, List.map_cons]
    match a, c, ofCols m cs, ih, hl with
    | a₀ :: as, c₀ :: cs', r₀ :: rs, ih, hl =>
      rw [vecMat_zipWith_cons a₀ c₀ r₀ as cs' rs (by simp at ha hc; omega) (by simp at hc hl; omega), ih]
    | [], _, _, _, _ => simp at ha; omega
    | _ :: _, [], _, _, _ => simp at hc; omega
    | _ :: _, _ :: _, [], _, hl => simp at hl; omega

/-- **A column of integer weights as a packed row uses it**: its magnitudes and signs
(`signedDot`, the per-pass value of `rowDot`), read at scales `σ` (coefficients) and `ω`
(weights), is `a · column`. -/
theorem dot_scaled_signedDot (σ ω : Rat) : ∀ (col zs : List Int), col.length = zs.length →
    dot (scaled σ zs) (scaled ω col) =
      (TorchLean.Num.signedDot (col.map Int.natAbs) (col.map (fun w => decide (w < 0))) zs : Rat) * (σ * ω)
  | w :: col, z :: zs, h => by
    have ih := dot_scaled_signedDot σ ω col zs (by simpa using h)
    simp only [scaled] at ih
    simp only [scaled, List.map_cons, dot, TorchLean.Num.signedDot]
    rw [ih]
    by_cases hn : w < 0
    · have ha : ((w.natAbs : Nat) : Int) = -w := Int.ofNat_natAbs_of_nonpos (by omega)
      simp only [hn, decide_true, if_true, ha]
      push_cast
      grind
    · have ha : ((w.natAbs : Nat) : Int) = w := Int.natAbs_of_nonneg (by omega)
      simp only [hn, decide_false, Bool.false_eq_true, if_false, ha]
      push_cast
      grind
  | [], _, _ => by simp [scaled, dot, TorchLean.Num.signedDot]
  | _ :: _, [], h => by simp at h

/-- The per-pass values a packed layer step computes before rounding: for each column of integer
weights, `signedDot` of its magnitudes and signs with the pass's coefficients. -/
@[expose] noncomputable def columnDots (cols : List (List Int)) (zs : List Int) : List Int :=
  cols.map (fun col => TorchLean.Num.signedDot (col.map Int.natAbs) (col.map (fun w => decide (w < 0))) zs)

/-- **One layer of a fixed-point pass is a rounded CROWN layer product**: coefficients `zs` at
scale `σ` through the layer whose integer columns (at scale `ω`) are `cols`, column by column,
then divided by `2^q` rounding down, lie entrywise below the rational `a · W`, read at scale
`σ · ω · 2^q`. -/
theorem below_columnDots (m : Nat) (hm : m ≠ 0) (q : Nat) {σ ω : Rat} (hσ : 0 < σ) (hω : 0 < ω)
    (zs : List Int) (hz : zs.length = m) (cols : List (List Int)) (hc : ∀ c ∈ cols, c.length = m) :
    Below (scaled (σ * ω * 2 ^ q) (floorShift q (columnDots cols zs)))
      (vecMat (scaled σ zs) (ofCols m (cols.map (scaled ω)))) := by
  have hlen : (scaled σ zs).length = m := by simp [scaled, hz]
  have hcols : ∀ c ∈ cols.map (scaled ω), c.length = m := by
    intro c hc'
    obtain ⟨d, hd, rfl⟩ := List.mem_map.mp hc'
    simp [scaled, hc d hd]
  rw [vecMat_ofCols m hm (scaled σ zs) hlen _ hcols]
  have hmap : (cols.map (scaled ω)).map (dot (scaled σ zs)) = scaled (σ * ω) (columnDots cols zs) := by
    simp only [List.map_map, scaled, columnDots]
    apply List.map_congr_left
    intro col hcol
    have := dot_scaled_signedDot σ ω col zs (by rw [hc col hcol, hz])
    simpa [scaled] using this
  rw [hmap]
  exact below_floorShift q (Rat.mul_pos hσ hω) _

/-! ## The input box -/

/-- A box whose ends are integers at scale `κ`. -/
@[expose] noncomputable def endsAt (κ : Rat) (ls hs : List Int) : Box :=
  List.zipWith (fun (l h : Int) => (⟨(l : Rat) * κ, (h : Rat) * κ⟩ : Interval)) ls hs

/-- Entrywise `h - l`. -/
@[expose] def widths : List Int → List Int → List Int
  | l :: ls, h :: hs => (h - l) :: widths ls hs
  | _, _ => []

/-- **Closing a pass over the input box, on integers**: the lower end of `a · x` over the box is
`a · lo` minus `Σ |z| · (h - l)` over the negative coefficients, at scale `σ · κ`. A packed
checker computes the first part as a row with the lower ends' magnitudes and signs, and the
second from the negative entries' magnitudes (`negFields`) times the widths. -/
theorem ibpDot_scaled (κ : Rat) {σ : Rat} (hσ : 0 < σ) :
    ∀ (zs ls hs : List Int), zs.length = ls.length → ls.length = hs.length →
      (ibpDot (scaled σ zs) (endsAt κ ls hs)).lo =
        dot (scaled σ zs) (scaled κ ls) - ((negDot zs (widths ls hs) : Int) : Rat) * (σ * κ)
  | z :: zs, l :: ls, h :: hs, h1, h2 => by
    have ih := ibpDot_scaled κ hσ zs ls hs (by simpa using h1) (by simpa using h2)
    simp only [scaled, endsAt] at ih
    simp only [scaled, endsAt, List.map_cons, List.zipWith_cons_cons, ibpDot, dot, widths, negDot,
      Interval.add, Interval.scale]
    by_cases hz : 0 ≤ z
    · have hzs : 0 ≤ (z : Rat) * σ := (scaled_nonneg_iff z hσ).2 hz
      have h0 : (-z).toNat = 0 := by omega
      simp only [hzs, if_true, h0]
      rw [ih]
      push_cast
      grind
    · have hzs : ¬ 0 ≤ (z : Rat) * σ := fun h' => hz ((scaled_nonneg_iff z hσ).1 h')
      have h0 : (((-z).toNat : Nat) : Int) = -z := by omega
      have h0r : (((-z).toNat : Nat) : Rat) = -(z : Rat) := by exact_mod_cast h0
      simp only [hzs, if_false]
      rw [ih]
      push_cast
      rw [h0r]
      grind
  | [], _, _, _, _ => by simp [scaled, endsAt, ibpDot, dot, negDot] <;> grind
  | _ :: _, [], _, h, _ => by simp at h
  | _ :: _, _ :: _, [], _, h => by simp at h

end TorchLean.Bounds
