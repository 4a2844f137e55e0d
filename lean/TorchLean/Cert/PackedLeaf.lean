module

public import TorchLean.Bounds.CrownRunNet
public import TorchLean.Cert.Bab

/-! # A branch-and-bound leaf checked by one packed CROWN run

`packedLeafOk` is the local check of a leaf that `bab_sound` needs. It is computed in `Nat` by
`runPk`, at a kernel cost of a few operations per weight for all of the leaf's passes at once:
- every hidden neuron's box follows from two passes that join at its layer;
- every hidden layer's lines are valid on those boxes;
- every disjunct of the property is refuted by one pass that starts at the output.

`packedLeafOk_safe` is the theorem: no input of the leaf's box violates the property. It needs
the network-level facts once per network: the packed columns describe the layers
(`NetDescribed`) and the fields' widths fit (`netFitB`).
-/

public section

namespace TorchLean.Cert

open TorchLean.IR TorchLean.Bounds TorchLean.Num

/-! ## Width checks, as Booleans -/

/-- Whether the bias covers an entry is decided by two comparisons. -/
noncomputable instance instDecidableInBias (b : Nat) (x : Int) : Decidable (InBias b x) :=
  inferInstanceAs (Decidable (-((2 ^ b : Nat) : Int) ≤ x ∧ x < ((2 ^ b : Nat) : Int)))

/-- `ColsFit`, decided. -/
@[expose] noncomputable def colsFitB (β E m : Nat) : List (List Nat) → List (List Bool) → List Nat → Bool
  | w :: ws, s :: ss, A :: As =>
    (w.sum == A) && decide (2 ^ β * A < 2 ^ E) && (w.length == m) && (s.length == m) && colsFitB β E m ws ss As
  | [], [], [] => true
  | _, _, _ => false

theorem colsFit_of_B {β E m : Nat} : ∀ {ws : List (List Nat)} {ss : List (List Bool)} {As : List Nat},
    colsFitB β E m ws ss As = true → ColsFit β E m ws ss As
  | _ :: _, _ :: _, _ :: _, h => by
    simp only [colsFitB, Bool.and_eq_true, beq_iff_eq, decide_eq_true_eq] at h
    exact ⟨h.1.1.1.1, h.1.1.1.2, h.1.1.2, h.1.2, colsFit_of_B h.2⟩
  | [], [], [], _ => trivial
  | [], _ :: _, _, h => by simp [colsFitB] at h
  | _ :: _, [], _, h => by simp [colsFitB] at h
  | [], [], _ :: _, h => by simp [colsFitB] at h
  | _ :: _, _ :: _, [], h => by simp [colsFitB] at h

/-- The network's share of `RunFit`: the columns, bias columns and field widths of every layer,
entering the top layer with bias `2^β` over `d` outputs. Decided once per network. -/
@[expose] noncomputable def netFitB (B : Nat) : Nat → Nat → List LayerPk → LayerPk → Bool
  | β, d, [], P1 =>
    (P1.q == 0) && decide (P1.E + 1 ≤ B) && colsFitB β P1.E d P1.ws P1.ss P1.sums && (P1.bw.sum == P1.bsum) &&
      decide (2 ^ β * P1.bsum < 2 ^ P1.E) && (P1.bw.length == d + 1) && (P1.bs.length == d + 1)
  | β, d, L :: Ls, P1 =>
    decide (L.q ≤ L.E) && decide (L.E + 1 ≤ B) && colsFitB β L.E d L.ws L.ss L.sums && (L.bw.sum == L.bsum) &&
      decide (2 ^ β * L.bsum < 2 ^ L.E) && (L.bw.length == d + 1) && (L.bs.length == d + 1) &&
      decide (L.E - L.q + L.r + 2 ≤ B) && decide (L.E - L.q + L.r ≤ L.β2) && decide (L.β2 + 1 ≤ B) &&
      decide (0 < L.M) && decide (L.M < 2 ^ L.β2) && netFitB B L.β2 L.ws.length Ls P1

/-- The leaf's share of `RunFit`: slopes and intercepts, box ends and the input box, per layer. -/
@[expose] noncomputable def leafFitB (B : Nat) : List LayerPk → List ReluPk → ClosePk → Bool
  | [], [], F =>
    decide (F.b + 1 ≤ B) && (F.lw.sum == F.A) && (F.lw.length == F.ls.length) &&
      (F.ls.length == F.L.ws.length + 1) && (F.wd.length == F.L.ws.length) &&
      decide (2 ^ F.L.E * F.A + 2 ^ F.L.E * F.wd.sum < 2 ^ F.b)
  | L :: Ls, R :: Rs, F =>
    R.an.all (· ≤ 2 ^ L.r) && R.sn.all (· ≤ 2 ^ L.r) && (R.an.length == L.ws.length) &&
      (R.sn.length == L.ws.length) && (R.ics.length == L.ws.length) &&
      decide (2 ^ (L.E - L.q + L.r) + 2 ^ (L.E - L.q) * R.ics.sum ≤ 2 ^ L.β2) &&
      (R.lo.length == L.ws.length) && (R.hi.length == L.ws.length) &&
      R.lo.all (fun l => decide (InBias L.β2 (-l))) && R.hi.all (fun h => decide (InBias L.β2 h)) &&
      leafFitB B Ls Rs F
  | _, _, _ => false

/-- **The two shares make `RunFit`.** -/
theorem runFit_of_B (B : Nat) : ∀ (β d : Nat) (Ps : List LayerPk) (Rs : List ReluPk) (F : ClosePk),
    netFitB B β d Ps F.L = true → leafFitB B Ps Rs F = true → RunFit B β d (Ps.zip Rs) F
  | β, d, [], [], F, hn, hl => by
    simp only [netFitB, leafFitB, Bool.and_eq_true, beq_iff_eq, decide_eq_true_eq] at hn hl
    obtain ⟨⟨⟨⟨⟨⟨hq, hE⟩, hc⟩, hbs⟩, hbA⟩, hbl⟩, hbg⟩ := hn
    obtain ⟨⟨⟨⟨⟨hb, hA⟩, hl1⟩, hl2⟩, hwd⟩, hroom⟩ := hl
    exact ⟨hq, hE, colsFit_of_B hc, hbs, hbA, hbl, hbg, hb, hA, hl1, hl2, by omega, hroom⟩
  | β, d, L :: Ls, R :: Rs, F, hn, hl => by
    simp only [netFitB, leafFitB, Bool.and_eq_true, beq_iff_eq, decide_eq_true_eq, List.all_eq_true] at hn hl
    obtain ⟨⟨⟨⟨⟨⟨⟨⟨⟨⟨⟨⟨hq, hE⟩, hc⟩, hbs⟩, hbA⟩, hbl⟩, hbg⟩, hB1⟩, hr⟩, hB2⟩, _⟩, hM⟩, hn'⟩ := hn
    obtain ⟨⟨⟨⟨⟨⟨⟨⟨⟨⟨han, hsn⟩, hanl⟩, hsnl⟩, hicl⟩, hroom⟩, hlo⟩, hhi⟩, hlob⟩, hhib⟩, hl'⟩ := hl
    exact ⟨hq, hE, colsFit_of_B hc, hbs, hbA, hbl, hbg, hB1, hr, hB2, ⟨han, hsn⟩, hanl, hsnl, by omega, hroom,
      hlo, hhi, hM, hlob, hhib, runFit_of_B B L.β2 L.ws.length Ls Rs F hn' hl'⟩
  | _, _, [], _ :: _, _, _, hl => by simp [leafFitB] at hl
  | _, _, _ :: _, [], _, _, hl => by simp [leafFitB] at hl

/-! ## The network the packed data describe -/

/-- `Describes`, decided, with the scale `ω`, `Ω` and the bias column's magnitudes and signs given. -/
@[expose] noncomputable def describesB (D : Dense) (P : LayerPk) (m : Nat) (ω : Rat) (Ω : Nat) (bm : List Nat)
    (bg : List Bool) : Bool :=
  decide (0 < ω) && decide (ω * Ω = 1) && (m != 0) && (P.bw == bm ++ [Ω]) && (P.bs == bg ++ [false]) &&
    (bm.length == m) && (bg.length == m) && (signedCols P.ws P.ss).all (fun c => c.length == m) &&
    (P.ws.length == P.ss.length) && decide (D.weight = ofCols m ((signedCols P.ws P.ss).map (scaled ω))) &&
    decide (D.bias = scaled ω (signedCol bm bg))

theorem describes_of_B {D : Dense} {P : LayerPk} {m : Nat} {ω : Rat} {Ω : Nat} {bm : List Nat} {bg : List Bool}
    (h : describesB D P m ω Ω bm bg = true) : Describes D P m := by
  simp only [describesB, Bool.and_eq_true, beq_iff_eq, bne_iff_ne, ne_eq, decide_eq_true_eq, List.all_eq_true] at h
  obtain ⟨⟨⟨⟨⟨⟨⟨⟨⟨⟨hω0, hω⟩, hm⟩, hbw⟩, hbs⟩, hbm⟩, hbg⟩, hcl⟩, hwl⟩, hW⟩, hB⟩ := h
  exact ⟨ω, Ω, bm, bg, hω0, hω, hm, hbw, hbs, hbm, hbg, hcl, hwl, hW, hB⟩

/-- The layers `Ds` (from the top, without the first) and `D1` are the ones `Ps` and `P1`
describe, the top one with `m` outputs. -/
@[expose] def NetDescribed : List Dense → List LayerPk → Dense → LayerPk → Nat → Prop
  | [], [], D1, P1, m => Describes D1 P1 m
  | D :: Ds, P :: Ps, D1, P1, m => Describes D P m ∧ NetDescribed Ds Ps D1 P1 P.ws.length
  | _, _, _, _, _ => False

/-- With the leaf's lengths, the network's description is `NetIs`. -/
theorem netIs_of : ∀ (Ds : List Dense) (Ps : List LayerPk) (Rs : List ReluPk) (D1 : Dense) (F : ClosePk) (m : Nat)
    (B : Nat), NetDescribed Ds Ps D1 F.L m → leafFitB B Ps Rs F = true → NetIs Ds (Ps.zip Rs) D1 F m
  | [], [], [], D1, F, m, _, hd, _ => hd
  | D :: Ds, P :: Ps, R :: Rs, D1, F, m, B, ⟨hD, hrest⟩, hl => by
    simp only [leafFitB, Bool.and_eq_true, beq_iff_eq] at hl
    exact ⟨hD, hl.1.1.1.1.1.1.1.1.2, hl.1.1.1.1.1.1.1.2, hl.1.1.1.1.1.1.2, netIs_of Ds Ps Rs D1 F _ B hrest hl.2⟩
  | [], [], _ :: _, _, _, _, _, _, hl => by simp [leafFitB] at hl
  | _ :: _, _ :: _, [], _, _, _, _, _, hl => by simp [leafFitB] at hl
  | [], _ :: _, _, _, _, _, _, hd, _ => by simp [NetDescribed] at hd
  | _ :: _, [], _, _, _, _, _, hd, _ => by simp [NetDescribed] at hd

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

/-- Each hidden layer's lines are valid on its box, and the box has one interval per neuron. -/
@[expose] noncomputable def linesOkB : List LayerPk → List ReluPk → Bool
  | L :: Ls, R :: Rs =>
    decide (0 < L.M) && (R.lo.length == L.ws.length) && (R.hi.length == L.ws.length) &&
      validAll .relu (reluBox L.M R.lo R.hi) (relOf L.r R.an R.sn R.ics) && linesOkB Ls Rs
  | [], [] => true
  | _, _ => false

/-- **Checked boxes make every line hold**: at every input of the box, by induction from the
first hidden layer up, each layer's joining passes prove its box and its lines hold there. -/
theorem linesAt_of_run {K : Nat} {lm : List Nat} {lg : List Bool} :
    ∀ (Ps : List LayerPk) (Rs : List ReluPk) (Ds : List Dense) (D1 : Dense) (F : ClosePk) (m : Nat),
    NetIs Ds (Ps.zip Rs) D1 F m → CloseIs F K lm lg → EntriesHold (Ps.zip Rs) F → linesOkB Ps Rs = true →
    ∀ {x : List Rat}, Box.Mem (closeBox F K lm lg) x → LinesAt Ds (Ps.zip Rs) D1 x
  | [], [], [], _, _, _, _, _, _, _, _, _ => trivial
  | L :: Ps, R :: Rs, D :: Ds, D1, F, m, hnet, hclose, hent, hok, x, hx => by
    obtain ⟨_, _, _, _, hrest⟩ := hnet
    simp only [linesOkB, Bool.and_eq_true, beq_iff_eq, decide_eq_true_eq] at hok
    obtain ⟨⟨⟨⟨hM, hlo⟩, hhi⟩, hval⟩, hok'⟩ := hok
    simp only [List.zip_cons_cons, EntriesHold] at hent
    have ih := linesAt_of_run Ps Rs Ds D1 F L.ws.length hrest hclose hent.2 hok' hx
    have hbox := box_of_entries hrest hclose hx ih hM hlo hhi (by rw [← hlo]; exact hent.1)
    exact ⟨lines_of_valid .relu _ _ _ hval hbox, ih⟩
  | [], [], _ :: _, _, _, _, hnet, _, _, _, _, _ => by simp [NetIs] at hnet
  | _ :: _, _ :: _, [], _, _, _, hnet, _, _, _, _, _ => by simp [List.zip_cons_cons, NetIs] at hnet
  | [], _ :: _, _, _, _, _, _, _, _, hok, _, _ => by simp [linesOkB] at hok
  | _ :: _, [], _, _, _, _, _, _, _, hok, _, _ => by simp [linesOkB] at hok

/-! ## The property -/

/-- `dot` of a scaled vector. -/
theorem dot_map_mul (M : Rat) : ∀ (c y : List Rat), dot (c.map (fun a => M * a)) y = M * dot c y
  | a :: c, b :: y => by simp only [List.map_cons, dot, dot_map_mul M c y]; grind
  | [], _ => by simp [dot]
  | _ :: _, [] => by simp [dot]

/-- Per disjunct: the rows' weights `ts`, a scale `M`, and the pass `(ys, yc)` whose coefficients
are `M` times the combination's (one per output); the pass proves `ys · y + yc ≥ 0`, so the combination is at
least `-yc / M`, which must refute it. -/
@[expose] noncomputable def refutesPk :
    List (List Row) → List (List (Nat × Rat) × Nat × List Int × Int) → Bool
  | [], [] => true
  | conj :: rest, (ts, M, ys, yc) :: refs =>
    (match combine conj ts with
      | some r =>
        decide (0 < M) &&
          decide (ys.map (fun z : Int => (z : Rat)) = r.coeffs.map (fun a => (M : Rat) * a)) &&
          r.refutedBy (-(yc : Rat) / M)
      | none => false) && refutesPk rest refs
  | _, _ => false

/-- **Refuting passes make the output safe**: if every disjunct's pass is nonnegative at `y`, no
disjunct holds in full. -/
theorem safe_of_refutesPk {y : List Rat} : ∀ (dnf : List (List Row))
    (refs : List (List (Nat × Rat) × Nat × List Int × Int)), refutesPk dnf refs = true →
    (∀ r ∈ refs, 0 ≤ linAt 1 r.2.2.1 r.2.2.2 y) → Safe dnf y
  | [], [], _, _ => by intro conj h; simp at h
  | conj :: rest, (ts, M, ys, yc) :: refs, h, hpass => by
    simp only [refutesPk, Bool.and_eq_true] at h
    have ih := safe_of_refutesPk rest refs h.2 (fun r hr => hpass r (by simp [hr]))
    intro c hc hall
    simp only [List.mem_cons] at hc
    rcases hc with rfl | hc
    · have h1 := h.1
      split at h1
      · next r hr =>
        simp only [Bool.and_eq_true, decide_eq_true_eq] at h1
        obtain ⟨⟨hM, hys⟩, href⟩ := h1
        have hp := hpass (ts, M, ys, yc) (by simp)
        simp only [linAt, scaled] at hp
        have hmap : ys.map (fun z : Int => (z : Rat) * 1) = ys.map (fun z : Int => (z : Rat)) := by simp
        rw [hmap, hys, dot_map_mul] at hp
        have hM' : (0 : Rat) < M := by exact_mod_cast hM
        have hd : -(yc : Rat) / M ≤ dot r.coeffs y := div_le_of_le_mul hM (by grind)
        exact Row.not_holds href hd (combine_holds hall ts r hr)
      · exact absurd h1 (by simp)
    · exact ih c hc hall
  | [], _ :: _, h, _ => by simp [refutesPk] at h
  | _ :: _, [], h, _ => by simp [refutesPk] at h

/-! ## The leaf -/

/-- `CloseIs`, decided. -/
@[expose] noncomputable def closeOkB (F : ClosePk) (K : Nat) (lm : List Nat) (lg : List Bool) : Bool :=
  (F.L.q == 0) && (F.lw == lm ++ [K]) && (F.ls == lg ++ [false]) && decide (0 < K) &&
    (lm.length == F.L.ws.length) && (lg.length == F.L.ws.length) && (F.wd.length == F.L.ws.length)

theorem closeIs_of_B {F : ClosePk} {K : Nat} {lm : List Nat} {lg : List Bool} (h : closeOkB F K lm lg = true) :
    CloseIs F K lm lg := by
  simp only [closeOkB, Bool.and_eq_true, beq_iff_eq, decide_eq_true_eq] at h
  obtain ⟨⟨⟨⟨⟨⟨hq, hlw⟩, hls⟩, hK⟩, hlm⟩, hlg⟩, hwd⟩ := h
  exact ⟨hq, hlw, hls, hK, hlm, hlg, hwd⟩

/-- The passes a leaf starts at the output, one per disjunct. -/
@[expose] noncomputable def topPasses (refs : List (List (Nat × Rat) × Nat × List Int × Int)) : List (List Int × Int) :=
  refs.map (fun r => (r.2.2.1, r.2.2.2))

/-- Per output neuron, the starting passes' entries. -/
@[expose] noncomputable def topFns (m : Nat) : List (List Int × Int → Int) :=
  (List.range m).map (fun j e => e.1.getD j 0)

/-- **The local check of a leaf**: widths, the input box, the lines on the boxes, the refutations,
and one packed run whose box passes and property passes all end `≥ 0`. -/
@[expose] noncomputable def packedLeafOk (B β m : Nat) (dnf : List (List Row)) (C : Box) (Ps : List LayerPk)
    (Rs : List ReluPk) (F : ClosePk) (K : Nat) (lm : List Nat) (lg : List Bool)
    (refs : List (List (Nat × Rat) × Nat × List Int × Int)) : Bool :=
  leafFitB B Ps Rs F && closeOkB F K lm lg && boxSubset C (closeBox F K lm lg) && linesOkB Ps Rs &&
    (topPasses refs).all (fun e => (e.1.length == m) && decide (InBias β e.2) && e.1.all (fun z => decide (InBias β z))) &&
    refutesPk dnf refs &&
    runPk B β (topPasses refs).length (Ps.zip Rs) F ((topFns m).map (pk B β (topPasses refs)))
      (pk B β (topPasses refs) (fun e => e.2))

/-- The activations a packed run assumes: the top layer linear, every other layer ReLU. -/
@[expose] def NetActs : List Dense → Dense → Prop
  | [], D1 => D1.act = .identity
  | D :: Ds, D1 => D.act = .identity ∧ (∀ D' ∈ Ds, D'.act = .relu) ∧ D1.act = .relu

/-- Below the top, the network's hidden output is the ReLU of the levels' pre-activation. -/
theorem evalNet_relu : ∀ (Ds : List Dense) (D1 : Dense) (x : List Rat), (∀ D ∈ Ds, D.act = .relu) →
    D1.act = .relu → evalNet (D1 :: Ds.reverse) x = (topPre Ds D1 x).map (Act.eval .relu)
  | [], D1, x, _, h1 => by
    simp only [List.reverse_nil, evalNet, topPre, Dense.eval, preAct]
    rw [layerOut_eq_map, h1]
  | D :: Ds, D1, x, hD, h1 => by
    have ih := evalNet_relu Ds D1 x (fun D' hD' => hD D' (by simp [hD'])) h1
    have hrelu := hD D (by simp)
    rw [List.reverse_cons, ← List.cons_append, TorchLean.Cert.evalNet_append, ih]
    simp only [evalNet, topPre, Dense.eval, preAct]
    rw [layerOut_eq_map, hrelu]

/-- **The network's output is the top pre-activation** of a run's levels. -/
theorem evalNet_eq_topPre : ∀ (Ds : List Dense) (D1 : Dense) (x : List Rat), NetActs Ds D1 →
    evalNet (D1 :: Ds.reverse) x = topPre Ds D1 x
  | [], D1, x, h => by
    simp only [List.reverse_nil, evalNet, topPre, Dense.eval, preAct]
    rw [h]
  | D :: Ds, D1, x, ⟨hD, hrest, h1⟩ => by
    rw [List.reverse_cons, ← List.cons_append, TorchLean.Cert.evalNet_append, evalNet_relu Ds D1 x hrest h1]
    simp only [evalNet, topPre, Dense.eval, preAct]
    rw [hD]

/-- A list read back entry by entry. -/
theorem range_map_getD (l : List Int) : (List.range l.length).map (fun j => l.getD j 0) = l := by
  apply List.ext_getElem
  · simp
  · intro i h1 h2
    simp [List.getD_eq_getElem?_getD, List.getElem?_eq_getElem (by simpa using h1)]

/-- **A checked packed leaf is safe**: given the network's description and widths (checked once
per network), no input of the leaf's box `C` violates the property. -/
theorem packedLeafOk_safe {B β m : Nat} {dnf : List (List Row)} {C : Box} {Ps : List LayerPk} {Rs : List ReluPk}
    {F : ClosePk} {K : Nat} {lm : List Nat} {lg : List Bool} {refs : List (List (Nat × Rat) × Nat × List Int × Int)}
    {Ds : List Dense} {D1 : Dense} (hdesc : NetDescribed Ds Ps D1 F.L m) (hfit : netFitB B β m Ps F.L = true)
    (hacts : NetActs Ds D1) (h : packedLeafOk B β m dnf C Ps Rs F K lm lg refs = true) :
    ∀ x, Box.Mem C x → Safe dnf (evalNet (D1 :: Ds.reverse) x) := by
  intro x hx
  simp only [packedLeafOk, Bool.and_eq_true] at h
  obtain ⟨⟨⟨⟨⟨⟨hleaf, hclose⟩, hsub⟩, hlines⟩, hin⟩, hrefs⟩, hrun⟩ := h
  have hclose' := closeIs_of_B hclose
  have hnet := netIs_of Ds Ps Rs D1 F m B hdesc hleaf
  have hfitR := runFit_of_B B β m Ps Rs F hfit hleaf
  have hx' := mem_of_boxSubset hsub hx
  have hlen : (topFns m).length = m := by simp [topFns]
  have hinAll : AllIn β (topPasses refs) ((fun e : List Int × Int => e.2) :: topFns m) := by
    intro e he f hf
    simp only [List.all_eq_true, Bool.and_eq_true, decide_eq_true_eq] at hin
    have he' := hin e he
    simp only [List.mem_cons] at hf
    rcases hf with rfl | hf
    · exact he'.1.2
    · simp only [topFns, List.mem_map] at hf
      obtain ⟨j, _, rfl⟩ := hf
      simp only [List.getD_eq_getElem?_getD]
      cases hj : e.1[j]? with
      | none => simp; unfold InBias; have := Nat.two_pow_pos β; omega
      | some z => simp; exact he'.2 z (List.mem_of_getElem? hj)
  obtain ⟨hpass, hent⟩ := runPk_sound (Ps.zip Rs) F β (topPasses refs) (topFns m) (fun e => e.2)
    (by rw [hlen]; exact hfitR) hinAll hrun
  have hL := linesAt_of_run Ps Rs Ds D1 F m hnet hclose' hent hlines hx'
  rw [evalNet_eq_topPre Ds D1 x hacts]
  apply safe_of_refutesPk dnf refs hrefs
  intro r hr
  have he : (r.2.2.1, r.2.2.2) ∈ topPasses refs := List.mem_map_of_mem hr
  have hp := hpass _ he
  have hys : r.2.2.1.length = m := by
    simp only [List.all_eq_true, Bool.and_eq_true, decide_eq_true_eq, beq_iff_eq] at hin
    exact (hin _ he).1.1
  have hfns : (topFns m).map (· (r.2.2.1, r.2.2.2)) = r.2.2.1 := by
    simp only [topFns, List.map_map, Function.comp_def]
    rw [← hys]
    exact range_map_getD _
  rw [hfns] at hp
  exact pass_nonneg hnet hclose' hx' hL hys hp

end TorchLean.Cert
