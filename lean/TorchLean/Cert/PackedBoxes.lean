module

public import TorchLean.Bounds.IbpCols
public import TorchLean.Bounds.CrownRunNet
public import TorchLean.Cert.Bab

/-! # The hidden boxes a packed leaf proves

A leaf of the packed checker states a box per hidden layer, with ends that are integers over the
layer's scale `M` (`reluBox`). Two kinds of pass prove a box:
- the joining passes of the main run, which cross every layer below through its ReLU lines
  (`box_of_entries`): CROWN's bound;
- the passes of an IBP run, which cross one layer and close over the ReLU of the box below
  (`ibp_box`): interval arithmetic's bound.

Neither is always the tighter, so a leaf's lines are checked against the box both prove
(`mem_meet`).
-/

public section

namespace TorchLean.Cert

open TorchLean.IR TorchLean.Bounds TorchLean.Num

/-! ## Unit vectors and the boxes the joining passes prove -/

/-- Zeros over a range. -/
theorem map_range_zero (d : Nat) : (List.range d).map (fun _ => (0 : Int)) = List.replicate d 0 := by
  apply List.ext_getElem <;> simp

/-- A unit vector's first entry, then zeros. -/
theorem unitAt_succ_zero (d : Nat) (c : Int) : unitAt (d + 1) 0 c = c :: List.replicate d 0 := by
  simp [unitAt, List.range_succ_eq_map, Function.comp_def, map_range_zero]

/-- A unit vector past its first entry. -/
theorem unitAt_succ_succ (d j : Nat) (c : Int) : unitAt (d + 1) (j + 1) c = 0 :: unitAt d j c := by
  simp [unitAt, List.range_succ_eq_map, Function.comp_def]

/-- Zero coefficients contribute nothing. -/
theorem dot_replicate_zero : ∀ (d : Nat) (z : List Rat), dot (List.replicate d 0) z = 0
  | 0, z => by simp [dot]
  | d + 1, [] => by simp [List.replicate_succ, dot]
  | d + 1, _ :: z => by simp only [List.replicate_succ, dot, dot_replicate_zero d z]; grind

/-- Zero coefficients at any scale are zeros. -/
theorem dot_scaled_replicate_zero (d : Nat) (z : List Rat) : dot (scaled 1 (List.replicate d 0)) z = 0 := by
  have : scaled 1 (List.replicate d 0) = List.replicate d 0 := by simp [scaled]
  rw [this, dot_replicate_zero]

/-- **A unit vector picks one entry**: `linAt 1 (c · e_j) yc z = c · z_j + yc`. -/
theorem linAt_unitAt : ∀ (d j : Nat) (c yc : Int) (z : List Rat), j < d → z.length = d →
    linAt 1 (unitAt d j c) yc z = (c : Rat) * z.getD j 0 + yc
  | d + 1, 0, c, yc, z0 :: z, _, _ => by
    rw [unitAt_succ_zero]
    have h0 := dot_scaled_replicate_zero d z
    simp only [scaled] at h0
    simp only [linAt, scaled, List.map_cons, dot, List.getD_cons_zero]
    rw [h0]
    grind
  | d + 1, j + 1, c, yc, z0 :: z, hj, hz => by
    rw [unitAt_succ_succ]
    have ih := linAt_unitAt d j c yc z (by omega) (by simpa using hz)
    simp only [linAt, scaled] at ih ⊢
    simp only [List.map_cons, dot, List.getD_cons_succ]
    grind
  | 0, _, _, _, _, hj, _ => by omega
  | _ + 1, _, _, _, [], _, hz => by simp at hz

/-- A leaf's box of a hidden layer: ends over `M`. -/
@[expose] noncomputable def reluBox (M : Nat) : List Int → List Int → Box
  | l :: ls, h :: hs => ⟨(l : Rat) / M, (h : Rat) / M⟩ :: reluBox M ls hs
  | _, _ => []

/-- `l ≤ M · z` is `l / M ≤ z` for a positive `M`. -/
theorem div_le_of_le_mul {M : Nat} (hM : 0 < M) {l z : Rat} (h : l ≤ (M : Rat) * z) : l / M ≤ z := by
  have hM' : (0 : Rat) < M := by exact_mod_cast hM
  have hinv : (0 : Rat) ≤ (M : Rat)⁻¹ := Rat.le_of_lt (Rat.inv_pos.mpr hM')
  have h1 := Rat.mul_le_mul_of_nonneg_right h hinv
  have hc : (M : Rat) * (M : Rat)⁻¹ = 1 := Rat.mul_inv_cancel _ (by grind)
  have hz : (M : Rat) * z * (M : Rat)⁻¹ = z := by rw [Rat.mul_comm (M : Rat) z, Rat.mul_assoc, hc, Rat.mul_one]
  rw [hz] at h1
  rw [Rat.div_def]
  exact h1

/-- `M · z ≤ h` is `z ≤ h / M` for a positive `M`. -/
theorem le_div_of_mul_le {M : Nat} (hM : 0 < M) {h z : Rat} (hz : (M : Rat) * z ≤ h) : z ≤ h / M := by
  have hM' : (0 : Rat) < M := by exact_mod_cast hM
  have hinv : (0 : Rat) ≤ (M : Rat)⁻¹ := Rat.le_of_lt (Rat.inv_pos.mpr hM')
  have h1 := Rat.mul_le_mul_of_nonneg_right hz hinv
  have hc : (M : Rat) * (M : Rat)⁻¹ = 1 := Rat.mul_inv_cancel _ (by grind)
  have hz' : (M : Rat) * z * (M : Rat)⁻¹ = z := by rw [Rat.mul_comm (M : Rat) z, Rat.mul_assoc, hc, Rat.mul_one]
  rw [hz'] at h1
  rw [Rat.div_def]
  exact h1

/-- Entry by entry `lo ≤ M · z ≤ hi` puts `z` in `reluBox M lo hi`. -/
theorem mem_boxOf {M : Nat} (hM : 0 < M) : ∀ (lo hi : List Int) (z : List Rat), lo.length = z.length →
    hi.length = z.length → (∀ j < z.length, (lo.getD j 0 : Rat) ≤ M * z.getD j 0 ∧ (M : Rat) * z.getD j 0 ≤ hi.getD j 0) →
    Box.Mem (reluBox M lo hi) z
  | l :: lo, h :: hi, z0 :: z, h1, h2, hall => by
    have h0 := hall 0 (by simp)
    simp only [List.getD_cons_zero] at h0
    refine ⟨⟨div_le_of_le_mul hM h0.1, le_div_of_mul_le hM h0.2⟩, ?_⟩
    exact mem_boxOf hM lo hi z (by simpa using h1) (by simpa using h2) (fun j hj => by
      have := hall (j + 1) (by simp; omega)
      simpa using this)
  | [], [], [], _, _, _ => trivial
  | [], _, _ :: _, h1, _, _ => by simp at h1
  | _ :: _, _, [], h1, _, _ => by simp at h1
  | _, [], _ :: _, _, h2, _ => by simp at h2
  | _, _ :: _, [], _, h2, _ => by simp at h2

/-- Neuron `j0 + i`'s two joining passes are among a layer's. -/
theorem boxPasses_mem (M : Int) (d : Nat) : ∀ (j0 : Nat) (lo hi : List Int) (i : Nat), i < lo.length →
    lo.length = hi.length →
    (unitAt d (j0 + i) M, -(lo.getD i 0)) ∈ boxPasses M d j0 lo hi ∧
      (unitAt d (j0 + i) (-M), hi.getD i 0) ∈ boxPasses M d j0 lo hi
  | j0, l :: lo, h :: hi, 0, _, _ => by simp [boxPasses]
  | j0, l :: lo, h :: hi, i + 1, hi', hl => by
    have ih := boxPasses_mem M d (j0 + 1) lo hi i (by simpa using hi') (by simpa using hl)
    rw [show j0 + 1 + i = j0 + (i + 1) by omega] at ih
    simp only [boxPasses, List.mem_cons, List.getD_cons_succ]
    exact ⟨Or.inr (Or.inr ih.1), Or.inr (Or.inr ih.2)⟩
  | _, [], _, _, hi', _ => by simp at hi'
  | _, _ :: _, [], _, _, hl => by simp at hl

/-- A layer's outputs, one per row. -/
theorem length_layerOut (act : Act) (x : List Rat) : ∀ (W : List (List Rat)) (b : List Rat),
    (layerOut act x W b).length = min W.length b.length
  | _ :: W, _ :: b => by
    simp only [IR.layerOut, List.length_cons, length_layerOut act x W b]
    omega
  | [], _ => by simp [IR.layerOut]
  | _ :: _, [] => by simp [IR.layerOut]

/-- A described layer has `m` pre-activations. -/
theorem length_preAct_of_describes {D : Dense} {P : LayerPk} {m : Nat} (h : Describes D P m) (x : List Rat) :
    (preAct D x).length = m := by
  obtain ⟨ω, Ω, bm, bg, _, _, _, _, _, hbm, hbg, hcl, _, hW, hB⟩ := h
  simp only [preAct]
  rw [length_layerOut, hW, hB, length_ofCols m _ (by
    intro c hc
    obtain ⟨d, hd, rfl⟩ := List.mem_map.mp hc
    simp [scaled, hcl d hd])]
  simp [scaled, length_signedCol bm bg (hbm.trans hbg.symm), hbm]

/-- The top pre-activation of described levels has the top layer's width. -/
theorem length_topPre : ∀ {Ds : List Dense} {levels : List (LayerPk × ReluPk)} {D1 : Dense} {F : ClosePk} {m : Nat},
    NetIs Ds levels D1 F m → ∀ x, (topPre Ds D1 x).length = m
  | [], [], _, _, _, h, x => length_preAct_of_describes h x
  | _ :: _, _ :: _, _, _, _, h, x => length_preAct_of_describes h.1 _
  | [], _ :: _, _, _, _, h, _ => by simp [NetIs] at h
  | _ :: _, [], _, _, _, h, _ => by simp [NetIs] at h

/-- **The joining passes prove their layer's box**: where the lines below hold, both passes of every
neuron being nonnegative puts the layer's pre-activation in `reluBox M lo hi`. -/
theorem box_of_entries {rest : List (LayerPk × ReluPk)} {Ds : List Dense} {D1 : Dense} {F : ClosePk} {m K : Nat}
    {lm : List Nat} {lg : List Bool} (hnet : NetIs Ds rest D1 F m) (hclose : CloseIs F K lm lg) {x : List Rat}
    (hx : Box.Mem (closeBox F K lm lg) x) (hl : LinesAt Ds rest D1 x) {M : Nat} (hM : 0 < M) {lo hi : List Int}
    (hlo : lo.length = m) (hhi : hi.length = m)
    (hent : ∀ e ∈ boxPasses M m 0 lo hi, 0 ≤ finalSpec rest F e.1 e.2) :
    Box.Mem (reluBox M lo hi) (topPre Ds D1 x) := by
  have hz := length_topPre hnet x
  apply mem_boxOf hM lo hi _ (hlo.trans hz.symm) (hhi.trans hz.symm)
  intro j hj
  rw [hz] at hj
  have hmem := boxPasses_mem (M : Int) m 0 lo hi j (by omega) (hlo.trans hhi.symm)
  simp only [Nat.zero_add] at hmem
  have h1 := pass_nonneg hnet hclose hx hl (by simp [unitAt]) (hent _ hmem.1)
  have h2 := pass_nonneg hnet hclose hx hl (by simp [unitAt]) (hent _ hmem.2)
  rw [linAt_unitAt m j _ _ _ hj hz] at h1 h2
  push_cast at h1 h2
  constructor <;> grind

/-! ## Two boxes met -/

/-- Entrywise the larger lower end. -/
@[expose] def meetLo : List Int → List Int → List Int
  | a :: as, b :: bs => max a b :: meetLo as bs
  | _, _ => []

/-- Entrywise the smaller upper end. -/
@[expose] def meetHi : List Int → List Int → List Int
  | a :: as, b :: bs => min a b :: meetHi as bs
  | _, _ => []

/-- **A point of two boxes lies in their meet**: the box of the larger lower ends and the smaller
upper ends. -/
theorem mem_meet {M : Nat} : ∀ (lo hi ilo ihi : List Int) (z : List Rat), Box.Mem (reluBox M lo hi) z →
    Box.Mem (reluBox M ilo ihi) z → Box.Mem (reluBox M (meetLo lo ilo) (meetHi hi ihi)) z
  | l :: lo, h :: hi, il :: ilo, ih :: ihi, z0 :: z, hA, hB => by
    simp only [reluBox, meetLo, meetHi, Box.Mem, Interval.Mem] at hA hB ⊢
    refine ⟨⟨?_, ?_⟩, mem_meet lo hi ilo ihi z hA.2 hB.2⟩
    · rcases Int.le_total l il with hle | hle
      · rw [Int.max_eq_right hle]; exact hB.1.1
      · rw [Int.max_eq_left hle]; exact hA.1.1
    · rcases Int.le_total h ih with hle | hle
      · rw [Int.min_eq_left hle]; exact hA.1.2
      · rw [Int.min_eq_right hle]; exact hB.1.2
  | lo, hi, ilo, ihi, [], hA, hB => by
    cases lo <;> cases hi <;> cases ilo <;> cases ihi <;> simp [reluBox, meetLo, meetHi, Box.Mem] at hA hB ⊢
  | [], _, _, _, _ :: _, hA, _ => by simp [reluBox, Box.Mem] at hA
  | _ :: _, [], _, _, _ :: _, hA, _ => by simp [reluBox, Box.Mem] at hA
  | _ :: _, _ :: _, [], _, _ :: _, _, hB => by simp [reluBox, Box.Mem] at hB
  | _ :: _, _ :: _, _ :: _, [], _ :: _, _, hB => by simp [reluBox, Box.Mem] at hB

/-! ## Interval bounds of a layer over the ReLU of a box -/

/-- `l ≤ M · z` from `l / M ≤ z`, for a positive `M`. -/
theorem le_mul_of_div_le {M : Nat} (hM : 0 < M) {l z : Rat} (h : l / M ≤ z) : l ≤ (M : Rat) * z := by
  have hM' : (0 : Rat) < M := by exact_mod_cast hM
  have h1 := Rat.mul_le_mul_of_nonneg_left h (Rat.le_of_lt hM')
  have hc : (M : Rat) * (l / M) = l := by
    rw [Rat.div_def, Rat.mul_comm l, ← Rat.mul_assoc, Rat.mul_inv_cancel _ (by grind), Rat.one_mul]
  rw [hc] at h1
  exact h1

/-- `M · z ≤ h` from `z ≤ h / M`, for a positive `M`. -/
theorem mul_le_of_le_div {M : Nat} (hM : 0 < M) {h z : Rat} (hz : z ≤ h / M) : (M : Rat) * z ≤ h := by
  have hM' : (0 : Rat) < M := by exact_mod_cast hM
  have h1 := Rat.mul_le_mul_of_nonneg_left hz (Rat.le_of_lt hM')
  have hc : (M : Rat) * (h / M) = h := by
    rw [Rat.div_def, Rat.mul_comm h, ← Rat.mul_assoc, Rat.mul_inv_cancel _ (by grind), Rat.one_mul]
  rw [hc] at h1
  exact h1

/-- An integer at scale `1/M` is the integer over `M`. -/
theorem mul_one_div (x : Rat) (M : Nat) : x * (1 / (M : Rat)) = x / M := by
  rw [Rat.div_def, Rat.div_def, Rat.one_mul]

/-- One coordinate: `z ∈ [l/M, h/M]` puts `relu z` in `[relu l / M, relu h / M]`. -/
theorem relu_ends {M : Nat} (hM : 0 < M) {l h : Int} {z : Rat} (h1 : (l : Rat) / M ≤ z) (h2 : z ≤ (h : Rat) / M) :
    (((l.toNat : Nat) : Int) : Rat) * (1 / M) ≤ Act.eval .relu z ∧
      Act.eval .relu z ≤ (((h.toNat : Nat) : Int) : Rat) * (1 / M) := by
  have hM' : (0 : Rat) < M := by exact_mod_cast hM
  have a1 := le_mul_of_div_le hM h1
  have a2 := mul_le_of_le_div hM h2
  rw [mul_one_div, mul_one_div]
  simp only [Act.eval]
  split
  · next hz =>
    have hMz : (M : Rat) * z ≤ 0 := by
      have := Rat.mul_le_mul_of_nonneg_left hz (Rat.le_of_lt hM')
      rwa [Rat.mul_zero] at this
    have hl0 : l ≤ 0 := by
      have : (l : Rat) ≤ 0 := Rat.le_trans a1 hMz
      exact_mod_cast this
    have e : l.toNat = 0 := Int.toNat_eq_zero.mpr hl0
    rw [e]
    constructor
    · apply div_le_of_le_mul hM
      rw [Rat.mul_zero]
      first | exact Rat.le_refl | decide
    · apply le_div_of_mul_le hM
      rw [Rat.mul_zero]
      exact_mod_cast (Int.natCast_nonneg h.toNat)
  · next hz =>
    have hz' : 0 < z := by grind
    have hMz : 0 < (M : Rat) * z := Rat.mul_pos hM' hz'
    have hh0 : 0 ≤ h := by
      have : (0 : Rat) ≤ (h : Rat) := Rat.le_trans (Rat.le_of_lt hMz) a2
      exact_mod_cast this
    have eh : ((h.toNat : Nat) : Int) = h := Int.toNat_of_nonneg hh0
    rw [eh]
    constructor
    · apply div_le_of_le_mul hM
      by_cases hl0 : 0 ≤ l
      · have el : ((l.toNat : Nat) : Int) = l := Int.toNat_of_nonneg hl0
        rw [el]; exact a1
      · have e : l.toNat = 0 := Int.toNat_eq_zero.mpr (by omega)
        rw [e]; exact Rat.le_trans (by first | exact Rat.le_refl | decide) (Rat.le_of_lt hMz)
    · exact le_div_of_mul_le hM a2

/-- The ends of a box after the ReLU: each end's nonnegative part. -/
@[expose] noncomputable def reluEnds (ends : List Int) : List Int := ends.map (fun e => ((e.toNat : Nat) : Int))

/-- `z` in the box `lo/M … hi/M` puts `relu z` between the ReLU'd ends, at scale `1/M`. -/
theorem inEnds_relu {M : Nat} (hM : 0 < M) : ∀ (lo hi : List Int) (z : List Rat), lo.length = hi.length →
    Box.Mem (reluBox M lo hi) z → InEnds (1 / M) (reluEnds lo) (reluEnds hi) (z.map (Act.eval .relu))
  | l :: lo, h :: hi, z0 :: z, hl, hA => by
    simp only [reluBox, Box.Mem, Interval.Mem] at hA
    have ih := inEnds_relu hM lo hi z (by simpa using hl) hA.2
    simp only [reluEnds] at ih ⊢
    simp only [List.map_cons, InEnds]
    exact ⟨(relu_ends hM hA.1.1 hA.1.2).1, (relu_ends hM hA.1.1 hA.1.2).2, ih⟩
  | [], [], [], _, _ => by simp [reluEnds, InEnds]
  | [], _ :: _, _, hl, _ => by simp at hl
  | _ :: _, [], _, hl, _ => by simp at hl
  | [], [], _ :: _, _, hA => by simp [reluBox, Box.Mem] at hA
  | _ :: _, _ :: _, [], _, hA => by simp [reluBox, Box.Mem] at hA

/-- The claimed ends `lo`, `hi` over `M` are covered by the IBP sums at scale `1/(K Ω)`:
`lo · K Ω ≤ M · sum` below and `M · sum ≤ hi · K Ω` above. -/
@[expose] def ibpEndsOk (M K Ω : Nat) : List Int → List Int → List (Int × Int) → Bool
  | l :: ls, h :: hs, p :: S =>
    decide (l * K * Ω ≤ M * p.1) && decide (M * p.2 ≤ h * K * Ω) && ibpEndsOk M K Ω ls hs S
  | [], [], _ => true
  | _, _, _ => false

/-- A positive count is a nonzero rational. -/
theorem natCast_ne_zero {M : Nat} (hM : 0 < M) : (M : Rat) ≠ 0 := by
  have : (0 : Rat) < M := by exact_mod_cast hM
  grind

/-- One end: `l K Ω ≤ M s` puts `l / M` below `s ω / K` (`ω Ω = 1`). -/
theorem div_le_of_ends {M K Ω : Nat} {ω : Rat} (hM : 0 < M) (hK : 0 < K) (hω0 : 0 < ω) (hω : ω * Ω = 1) {l s : Int}
    (h : l * K * Ω ≤ M * s) : (l : Rat) / M ≤ (s : Rat) * (ω * (1 / K)) := by
  have hM' := natCast_ne_zero hM
  have hK' := natCast_ne_zero hK
  have hω0 : 0 ≤ ω := Rat.le_of_lt hω0
  have hi : ((l * K * Ω : Int) : Rat) ≤ ((M * s : Int) : Rat) := by exact_mod_cast h
  rw [Rat.intCast_mul, Rat.intCast_mul, Rat.intCast_mul, Rat.intCast_natCast, Rat.intCast_natCast,
    Rat.intCast_natCast] at hi
  have hnn : (0 : Rat) ≤ ω * ((M : Rat)⁻¹ * (K : Rat)⁻¹) :=
    Rat.mul_nonneg hω0 (Rat.mul_nonneg (Rat.le_of_lt (Rat.inv_pos.mpr (by exact_mod_cast hM)))
      (Rat.le_of_lt (Rat.inv_pos.mpr (by exact_mod_cast hK))))
  have h2 := Rat.mul_le_mul_of_nonneg_right hi hnn
  have hMi := Rat.mul_inv_cancel (M : Rat) hM'
  have hKi := Rat.mul_inv_cancel (K : Rat) hK'
  rw [Rat.div_def, Rat.div_def, Rat.one_mul]
  generalize (M : Rat)⁻¹ = mi at *
  generalize (K : Rat)⁻¹ = ki at *
  have e1 : (l : Rat) * K * Ω * (ω * (mi * ki)) = l * mi * ((K * ki) * (ω * Ω)) := by grind
  have e2 : (M : Rat) * s * (ω * (mi * ki)) = s * (ω * ki) * (M * mi) := by grind
  rw [e1, e2, hKi, hω, hMi, Rat.mul_one, Rat.mul_one, Rat.mul_one] at h2
  exact h2

/-- The other end: `M s ≤ h K Ω` puts `s ω / K` below `h / M`. -/
theorem le_div_of_ends {M K Ω : Nat} {ω : Rat} (hM : 0 < M) (hK : 0 < K) (hω0 : 0 < ω) (hω : ω * Ω = 1) {h s : Int}
    (hs : M * s ≤ h * K * Ω) : (s : Rat) * (ω * (1 / K)) ≤ (h : Rat) / M := by
  have hM' := natCast_ne_zero hM
  have hK' := natCast_ne_zero hK
  have hω0 : 0 ≤ ω := Rat.le_of_lt hω0
  have hi : ((M * s : Int) : Rat) ≤ ((h * K * Ω : Int) : Rat) := by exact_mod_cast hs
  rw [Rat.intCast_mul, Rat.intCast_mul, Rat.intCast_mul, Rat.intCast_natCast, Rat.intCast_natCast,
    Rat.intCast_natCast] at hi
  have hnn : (0 : Rat) ≤ ω * ((M : Rat)⁻¹ * (K : Rat)⁻¹) :=
    Rat.mul_nonneg hω0 (Rat.mul_nonneg (Rat.le_of_lt (Rat.inv_pos.mpr (by exact_mod_cast hM)))
      (Rat.le_of_lt (Rat.inv_pos.mpr (by exact_mod_cast hK))))
  have h2 := Rat.mul_le_mul_of_nonneg_right hi hnn
  have hMi := Rat.mul_inv_cancel (M : Rat) hM'
  have hKi := Rat.mul_inv_cancel (K : Rat) hK'
  rw [Rat.div_def, Rat.div_def, Rat.one_mul]
  generalize (M : Rat)⁻¹ = mi at *
  generalize (K : Rat)⁻¹ = ki at *
  have e1 : (h : Rat) * K * Ω * (ω * (mi * ki)) = h * mi * ((K * ki) * (ω * Ω)) := by grind
  have e2 : (M : Rat) * s * (ω * (mi * ki)) = s * (ω * ki) * (M * mi) := by grind
  rw [e1, e2, hKi, hω, hMi, Rat.mul_one, Rat.mul_one, Rat.mul_one] at h2
  exact h2

/-- **Checked ends make a box**: sums that enclose `v` at scale `ω / K`, with `ibpEndsOk`, put `v` in
the box `lo/M … hi/M`. -/
theorem mem_of_ibpEndsOk {M K Ω : Nat} {ω : Rat} (hM : 0 < M) (hK : 0 < K) (hω0 : 0 < ω) (hω : ω * Ω = 1) :
    ∀ (lo hi : List Int) (S : List (Int × Int)) (v : List Rat), ibpEndsOk M K Ω lo hi S = true →
      Encl (ω * (1 / K)) S v → lo.length = v.length → Box.Mem (reluBox M lo hi) v
  | l :: lo, h :: hi, p :: S, u :: v, hok, he, hl => by
    simp only [ibpEndsOk, Bool.and_eq_true, decide_eq_true_eq] at hok
    simp only [Encl] at he
    simp only [reluBox, Box.Mem, Interval.Mem]
    exact ⟨⟨Rat.le_trans (div_le_of_ends hM hK hω0 hω hok.1.1) he.1, Rat.le_trans he.2.1 (le_div_of_ends hM hK hω0 hω hok.1.2)⟩,
      mem_of_ibpEndsOk hM hK hω0 hω lo hi S v hok.2 he.2.2 (by simpa using hl)⟩
  | [], [], _, [], _, _, _ => by simp [reluBox, Box.Mem]
  | [], _ :: _, _, _, hok, _, _ => by simp [ibpEndsOk] at hok
  | _ :: _, [], _, _, hok, _, _ => by simp [ibpEndsOk] at hok
  | _ :: _, _ :: _, [], _, hok, _, _ => by simp [ibpEndsOk] at hok
  | [], [], _, _ :: _, _, _, hl => by simp at hl
  | _ :: _, _ :: _, _ :: _, [], _, _, hl => by simp at hl

/-- The last entry of a list (`0` for none): a packed layer's `Ω`, the integer standing for 1. -/
@[expose] def lastOf : List Nat → Nat
  | [] => 0
  | [x] => x
  | _ :: x :: xs => lastOf (x :: xs)

/-- `lastOf` reads the entry appended last. -/
theorem lastOf_append_one : ∀ (l : List Nat) (x : Nat), lastOf (l ++ [x]) = x
  | [], _ => rfl
  | [_], _ => rfl
  | a :: b :: l, x => by
    show lastOf ((a :: b :: l) ++ [x]) = x
    simp only [List.cons_append]
    exact lastOf_append_one (b :: l) x

/-- A signed column with one more entry. -/
theorem signedCol_append_one (w : Nat) (s : Bool) : ∀ (ws : List Nat) (ss : List Bool), ws.length = ss.length →
    signedCol (ws ++ [w]) (ss ++ [s]) = signedCol ws ss ++ signedCol [w] [s]
  | [], [], _ => rfl
  | _ :: ws, _ :: ss, h => by
    simp only [List.cons_append, signedCol]
    rw [signedCol_append_one w s ws ss (by simpa using h)]
    rfl
  | [], _ :: _, h => by simp at h
  | _ :: _, [], h => by simp at h

/-- The IBP sums of the layer `L` over the ReLU of the box `lo'/M' … hi'/M'`. -/
@[expose] noncomputable def layerIbpSums (L : LayerPk) (M' : Nat) (lo' hi' : List Int) : List (Int × Int) :=
  ibpSums (biasPairs M' (signedCol L.bw L.bs)) L.ws L.ss (reluEnds lo') (reluEnds hi')

/-- **Interval arithmetic proves a box**: if `D` is the layer `L'` describes, with `d` outputs,
and `z'` lies in the box `lo'/M' … hi'/M'`, ends `lo`, `hi` over `M` that the layer's IBP sums
cover (`ibpEndsOk`) put `D`'s pre-activation at `relu z'` in the box `lo/M … hi/M`. -/
theorem ibp_box {D : Dense} {L' : LayerPk} {d M M' : Nat} {lo hi lo' hi' : List Int}
    (hD : Describes D L' d) (hM' : 0 < M') (hlo' : lo'.length = L'.ws.length) (hhi' : hi'.length = lo'.length)
    (hM : 0 < M) (hlo : lo.length = d)
    (hok : ibpEndsOk M M' (lastOf L'.bw) lo hi (layerIbpSums L' M' lo' hi') = true) {z' : List Rat}
    (hz : Box.Mem (reluBox M' lo' hi') z') :
    Box.Mem (reluBox M lo hi) (preAct D (z'.map (Act.eval .relu))) := by
  have hlen := length_preAct_of_describes hD (z'.map (Act.eval .relu))
  obtain ⟨ω, Ω, bm, bg, hω, hωΩ, _, hbw, hbs, hbm, hbg, _, hwss, hW, hB⟩ := hD
  have hΩ : lastOf L'.bw = Ω := by rw [hbw, lastOf_append_one]
  rw [hΩ] at hok
  have hx := inEnds_relu hM' lo' hi' z' hhi'.symm hz
  have hKτ : (M' : Rat) * (1 / M') = 1 := by
    rw [Rat.div_def, Rat.one_mul, Rat.mul_inv_cancel _ (natCast_ne_zero hM')]
  have hbl : (signedCol bm bg).length = d := by rw [length_signedCol bm bg (hbm.trans hbg.symm), hbm]
  have he := encl_ibpSums (Rat.le_of_lt hω) hKτ (signedCol bm bg) (signedCol [Ω] [false]) d hbl L'.ws L'.ss
    (reluEnds lo') (reluEnds hi') (z'.map (Act.eval .relu)) hwss hx (by simp [reluEnds, hlo'])
  rw [← signedCol_append_one Ω false bm bg (hbm.trans hbg.symm), ← hbw, ← hbs, ← hW, ← hB] at he
  have hpre : preAct D (z'.map (Act.eval .relu)) =
      IR.layerOut .identity (z'.map (Act.eval .relu)) D.weight D.bias := rfl
  rw [hpre]
  exact mem_of_ibpEndsOk hM hM' hω hωΩ lo hi _ _ hok he (by rw [← hpre, hlen, hlo])

end TorchLean.Cert
