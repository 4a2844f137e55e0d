module

public import TorchLean.Cert.PackedLevels
public import TorchLean.Num.Scaled

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

/-! ## The network the packed data describe -/

/-- The matrix whose columns are the integer columns `cs`: `ofCols` before scaling. -/
@[expose] noncomputable def ofColsI (m : Nat) : List (List Int) → List (List Int)
  | [] => List.replicate m []
  | c :: cs => List.zipWith List.cons c (ofColsI m cs)

theorem zipWith_cons_map {α β : Type} (f : α → β) : ∀ (a : List α) (b : List (List α)),
    List.zipWith List.cons (a.map f) (b.map (List.map f)) = (List.zipWith List.cons a b).map (List.map f)
  | x :: a, y :: b => by simp [zipWith_cons_map f a b]
  | [], _ => by simp
  | _ :: _, [] => by simp

/-- Scaling commutes with building the matrix from its columns. -/
theorem ofCols_map_scaled (m : Nat) (ω : Rat) : ∀ cs : List (List Int),
    ofCols m (cs.map (scaled ω)) = (ofColsI m cs).map (scaled ω)
  | [] => by simp [ofCols, ofColsI, List.map_replicate]; right; rfl
  | c :: cs => by
    simp only [List.map_cons, ofCols, ofColsI, ofCols_map_scaled m ω cs]
    exact zipWith_cons_map (fun z : Int => (z : Rat) * ω) c (ofColsI m cs)

/-- `Describes` of the layer with the patterns `rows`, `bias`, decided on naturals: the columns
are integers at the scale `1/2^K`, compared with the patterns by `scaledRowsB` (no `Rat` is
formed), and the bias column ends with `Ω = 2^K`. -/
@[expose] noncomputable def describesB (rows : List (List Nat)) (bias : List Nat) (P : LayerPk) (m K : Nat) (bm : List Nat)
    (bg : List Bool) : Bool :=
  (m != 0) && (P.bw == bm ++ [2 ^ K]) && (P.bs == bg ++ [false]) && (bm.length == m) && (bg.length == m) &&
    (signedCols P.ws P.ss).all (fun c => c.length == m) && (P.ws.length == P.ss.length) &&
    Binary32.scaledRowsB K rows (ofColsI m (signedCols P.ws P.ss)) && Binary32.scaledListB K bias (signedCol bm bg)

theorem describes_of_B {rows : List (List Nat)} {bias : List Nat} {act : Act} {P : LayerPk} {m K : Nat}
    {bm : List Nat} {bg : List Bool} (h : describesB rows bias P m K bm bg = true) :
    Describes ⟨Binary32.decodeRows rows, Binary32.decodeList bias, act⟩ P m := by
  simp only [describesB, Bool.and_eq_true, beq_iff_eq, bne_iff_ne, ne_eq, List.all_eq_true] at h
  obtain ⟨⟨⟨⟨⟨⟨⟨⟨hm, hbw⟩, hbs⟩, hbm⟩, hbg⟩, hcl⟩, hwl⟩, hW⟩, hB⟩ := h
  have hP := Binary32.two_pow_ne_zero K
  refine ⟨1 / ((2 ^ K : Nat) : Rat), 2 ^ K, bm, bg, ?_, ?_, hm, hbw, hbs, hbm, hbg, ?_, hwl, ?_, ?_⟩
  · rw [Rat.div_def, Rat.one_mul]
    exact Rat.inv_pos.mpr (Rat.natCast_pos.mpr (Nat.two_pow_pos K))
  · rw [Rat.div_def, Rat.one_mul, Rat.inv_mul_cancel _ hP]
  · intro c hc; simpa using hcl c hc
  · show Binary32.decodeRows rows = _
    rw [ofCols_map_scaled, Binary32.decodeRows_of_scaledRowsB hW]; rfl
  · show Binary32.decodeList bias = _
    rw [Binary32.decodeList_of_scaledListB hB]; rfl

/-- The layers `Ds` (from the top, without the first) and `D1` are the ones `Ps` and `P1`
describe, the top one with `m` outputs. -/
@[expose] def NetDescribed : List Dense → List LayerPk → Dense → LayerPk → Nat → Prop
  | [], [], D1, P1, m => Describes D1 P1 m
  | D :: Ds, P :: Ps, D1, P1, m => Describes D P m ∧ NetDescribed Ds Ps D1 P1 P.ws.length
  | _, _, _, _, _ => False

/-- A layer's description reads no width, so it holds with a certificate's widths. -/
theorem describes_withWidths {D : Dense} {P : LayerPk} {m : Nat} (w : Nat × Nat × Nat × Nat × Nat)
    (h : Describes D P m) : Describes D (P.withWidths w) m := h

/-- The network's description carries over to a certificate's widths. -/
theorem netDescribed_withWidths {D1 : Dense} {P1 : LayerPk} (w1 : Nat × Nat × Nat × Nat × Nat) :
    ∀ {Ds : List Dense} {Ps : List LayerPk} {ws : List (Nat × Nat × Nat × Nat × Nat)} {m : Nat},
    Ps.length = ws.length → NetDescribed Ds Ps D1 P1 m →
      NetDescribed Ds (List.zipWith LayerPk.withWidths Ps ws) D1 (P1.withWidths w1) m
  | [], [], [], _, _, h => describes_withWidths w1 h
  | _ :: _, P :: _, w :: _, _, hl, h => ⟨describes_withWidths w h.1,
      netDescribed_withWidths w1 (by simpa using hl) h.2⟩
  | [], _ :: _, _, _, _, h => by simp [NetDescribed] at h
  | _ :: _, [], _, _, _, h => by simp [NetDescribed] at h
  | [], [], _ :: _, _, hl, _ => by simp at hl
  | _ :: _, _ :: _, [], _, hl, _ => by simp at hl

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
and one packed run whose box passes and property passes all end `≥ 0`. The leaf's IBP boxes are
checked apart (`ibpsOkB`). -/
@[expose] noncomputable def packedLeafOk (B β m : Nat) (dnf : List (List Row)) (C : Box) (Ps : List LayerPk)
    (Rs : List ReluPk) (F : ClosePk) (K : Nat) (lm : List Nat) (lg : List Bool)
    (os : List (Option IbpPk)) (refs : List (List (Nat × Rat) × Nat × List Int × Int)) : Bool :=
  leafFitR B Ps Rs F && closeOkB F K lm lg && boxSubset C (closeBox F K lm lg) && levelsOkR Ps Rs os &&
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
per network) and its IBP boxes checked, no input of the leaf's box `C` violates the property. -/
theorem packedLeafOk_safe {B β m : Nat} {dnf : List (List Row)} {C : Box} {Ps : List LayerPk} {Rs : List ReluPk}
    {F : ClosePk} {K : Nat} {lm : List Nat} {lg : List Bool} {os : List (Option IbpPk)}
    {refs : List (List (Nat × Rat) × Nat × List Int × Int)} {Ds : List Dense} {D1 : Dense} (hdesc : NetDescribed Ds Ps D1 F.L m) (hfit : netFitB B β m Ps F.L = true)
    (hacts : NetActs Ds D1) (h : packedLeafOk B β m dnf C Ps Rs F K lm lg os refs = true)
    (hibps : ibpsOkB Ps Rs os = true) :
    ∀ x, Box.Mem C x → Safe dnf (evalNet (D1 :: Ds.reverse) x) := by
  intro x hx
  simp only [packedLeafOk, leafFitR_eq, levelsOkR_eq, Bool.and_eq_true] at h
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
  have hL := (linesAt_of_levels Ps Rs os Ds D1 F β m hnet hfit hclose' hent hlines hibps hx').1
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
