module

public import TorchLean.Bounds.CrownRun

/-! # What a packed run's integers mean for the network

`runPk_sound` leaves, for every pass, an integer `finalSpec … ≥ 0`. `finalSpec_le` reads that
integer as a lower bound of the pass's linear function of the network. The bound is scaled by a
positive factor, and it holds at every input of the box where the ReLU lines hold. The pass's
linear function is taken over the pre-activation of the layer it started at. The proof chains
`CrownPass`'s steps:
- `crossFix_le` at every hidden layer, which is nonnegative as a ReLU output;
- `relaxFix_le` at every ReLU layer;
- `crossFix_eq` and `closeFix_le` at the input.

The packed data must describe the network:
- `Describes`: a layer's weights are its signed columns at a scale `ω`, and its bias is the
  signed bias column with `Ω` (`ω · Ω = 1`) appended;
- `NetIs`: every level's layer is described, with matching widths;
- `CloseIs`: the input box's ends are integers at scale `1/K`.
-/

public section

namespace TorchLean.Bounds

open TorchLean.IR TorchLean.Num

/-! ## Magnitudes and signs as signed integers -/

/-- A column given as magnitudes and signs, as signed integers. -/
@[expose] def signedCol : List Nat → List Bool → List Int
  | w :: ws, s :: ss => (if s then -(w : Int) else w) :: signedCol ws ss
  | _, _ => []

/-- Every column, signed. -/
@[expose] def signedCols : List (List Nat) → List (List Bool) → List (List Int)
  | w :: ws, s :: ss => signedCol w s :: signedCols ws ss
  | _, _ => []

/-- A signed column read back as magnitudes and signs is the same row (a zero's sign does not
matter). -/
theorem colDot_signedCol : ∀ (w : List Nat) (s : List Bool) (zs : List Int),
    colDot (signedCol w s) zs = signedDot w s zs
  | w :: ws, s :: ss, z :: zs => by
    have ih := colDot_signedCol ws ss zs
    simp only [colDot] at ih ⊢
    simp only [signedCol, List.map_cons, signedDot, ih]
    congr 1
    cases s
    · have : ¬ ((w : Int) < 0) := by omega
      simp [this]
    · by_cases hw : w = 0
      · subst hw; simp
      · have : (0 : Int) < w := by omega
        simp [hw]
  | [], _, _ => by simp [signedCol, colDot, signedDot]
  | _ :: _, [], _ => by simp [signedCol, colDot, signedDot]
  | _ :: _, _ :: _, [] => by simp [signedCol, colDot, signedDot]

/-- A signed column has one entry per weight. -/
theorem length_signedCol : ∀ (w : List Nat) (s : List Bool), w.length = s.length → (signedCol w s).length = w.length
  | _ :: ws, _ :: ss, h => by simp [signedCol, length_signedCol ws ss (by simpa using h)]
  | [], [], _ => rfl
  | [], _ :: _, h => by simp at h
  | _ :: _, [], h => by simp at h

/-- **The run's columns are `floorShift` of the column sums** over the signed columns. -/
theorem colsAt_eq (q : Nat) (ys : List Int) : ∀ (ws : List (List Nat)) (ss : List (List Bool)),
    colsAt q ws ss ys = floorShift q (columnDots (signedCols ws ss) ys)
  | w :: ws, s :: ss => by
    simp only [colsAt, signedCols, columnDots_eq, floorShift, List.map_cons, colDot_signedCol]
    rw [colsAt_eq q ys ws ss]
    simp [floorShift, columnDots_eq]
  | [], _ => by simp [colsAt, signedCols, floorShift, columnDots_eq]
  | _ :: _, [] => by simp [colsAt, signedCols, floorShift, columnDots_eq]

/-- A column with one more entry, over a pass with one more entry. -/
theorem signedDot_append_one (Ω : Nat) (yc : Int) : ∀ (bm : List Nat) (bg : List Bool) (ys : List Int),
    bm.length = ys.length → bg.length = ys.length →
    signedDot (bm ++ [Ω]) (bg ++ [false]) (ys ++ [yc]) = signedDot bm bg ys + Ω * yc
  | w :: bm, s :: bg, y :: ys, h1, h2 => by
    simp only [List.cons_append, signedDot]
    rw [signedDot_append_one Ω yc bm bg ys (by simpa using h1) (by simpa using h2)]
    grind
  | [], [], [], _, _ => by simp [signedDot]
  | [], _, _ :: _, h, _ => by simp at h
  | _ :: _, _, [], h, _ => by simp at h
  | _, [], _ :: _, _, h => by simp at h
  | _, _ :: _, [], _, h => by simp at h

/-- The upper lines' constant: `negDot` over the intercepts as integers is `nnDot` over the
negative parts. -/
theorem negDot_cast : ∀ (zs : List Int) (ics : List Nat),
    negDot zs (ics.map (fun n : Nat => (n : Int))) = (nnDot ics (negParts zs) : Int)
  | z :: zs, c :: cs => by
    simp only [List.map_cons, negParts, nnDot]
    simp only [negDot]
    have ih := negDot_cast zs cs
    simp only [negParts] at ih
    rw [ih]
    push_cast
    grind
  | [], [] => by simp [negDot, nnDot]
  | [], _ :: _ => by simp [negDot, negParts, nnDot]
  | _ :: _, [] => by simp [negDot, nnDot]

/-! ## The lines and the layers the data describe -/

/-- The relaxations a leaf's integer slopes and intercepts (over `2^r`) stand for. -/
@[expose] noncomputable def relOf (r : Nat) : List Nat → List Nat → List Nat → List Relax
  | a :: as, s :: ss, c :: cs => ⟨(a : Rat) / 2 ^ r, (s : Rat) / 2 ^ r, (c : Rat) / 2 ^ r⟩ :: relOf r as ss cs
  | _, _, _ => []

/-- The slopes of `relOf`. -/
theorem slopesOf_relOf (r : Nat) : ∀ (an sn ics : List Nat), an.length = sn.length → sn.length = ics.length →
    SlopesOf r an sn (relOf r an sn ics)
  | a :: as, s :: ss, c :: cs, h1, h2 => ⟨rfl, rfl, slopesOf_relOf r as ss cs (by simpa using h1) (by simpa using h2)⟩
  | [], [], [], _, _ => trivial
  | [], _ :: _, _, h, _ => by simp at h
  | _ :: _, [], _, h, _ => by simp at h
  | _, [], _ :: _, _, h => by simp at h
  | _, _ :: _, [], _, h => by simp at h

/-- The intercepts of `relOf`, as integers at scale `1/2^r`. -/
theorem icptsOf_relOf (r : Nat) : ∀ (an sn ics : List Nat), an.length = sn.length → sn.length = ics.length →
    IcptsOf (1 / 2 ^ r) (ics.map (fun n : Nat => (n : Int))) (relOf r an sn ics)
  | a :: as, s :: ss, c :: cs, h1, h2 => by
    refine ⟨?_, icptsOf_relOf r as ss cs (by simpa using h1) (by simpa using h2)⟩
    show (c : Rat) / 2 ^ r = ((c : Int) : Rat) * (1 / 2 ^ r)
    rw [Rat.div_def, Rat.div_def, Rat.one_mul, Rat.intCast_natCast]
  | [], [], [], _, _ => trivial
  | [], _ :: _, _, h, _ => by simp at h
  | _ :: _, [], _, h, _ => by simp at h
  | _, [], _ :: _, _, h => by simp at h
  | _, _ :: _, [], _, h => by simp at h

/-- `relOf` has one relaxation per neuron. -/
theorem length_relOf (r : Nat) : ∀ (an sn ics : List Nat), an.length = sn.length → sn.length = ics.length →
    (relOf r an sn ics).length = an.length
  | _ :: as, _ :: ss, _ :: cs, h1, h2 => by simp [relOf, length_relOf r as ss cs (by simpa using h1) (by simpa using h2)]
  | [], _, _, _, _ => by simp [relOf]
  | _ :: _, [], _, h, _ => by simp at h
  | _ :: _, _ :: _, [], _, h => by simp at h

/-- A network layer is the one a `LayerPk` describes, with `m` outputs: its weights are the
signed columns at a positive scale `ω`, its bias is the signed bias column, and the bias column
ends with `Ω`, the integer standing for 1 (`ω · Ω = 1`). -/
@[expose] def Describes (D : Dense) (P : LayerPk) (m : Nat) : Prop :=
  ∃ (ω : Rat) (Ω : Nat) (bm : List Nat) (bg : List Bool),
    0 < ω ∧ ω * Ω = 1 ∧ m ≠ 0 ∧ P.bw = bm ++ [Ω] ∧ P.bs = bg ++ [false] ∧ bm.length = m ∧ bg.length = m ∧
      (∀ c ∈ signedCols P.ws P.ss, c.length = m) ∧ P.ws.length = P.ss.length ∧
      D.weight = ofCols m ((signedCols P.ws P.ss).map (scaled ω)) ∧ D.bias = scaled ω (signedCol bm bg)

/-- The pre-activation of the top layer of a run's levels at the input `x`: the levels' layers
`Ds` (from the top), over the first layer `D1`, every hidden layer a ReLU. -/
@[expose] noncomputable def topPre : List Dense → Dense → List Rat → List Rat
  | [], D1, x => preAct D1 x
  | D :: Ds, D1, x => preAct D ((topPre Ds D1 x).map (Act.eval .relu))

/-- At `x`, every hidden layer's lines (`relOf` of the leaf's integers) sandwich its ReLU. -/
@[expose] def LinesAt : List Dense → List (LayerPk × ReluPk) → Dense → List Rat → Prop
  | [], [], _, _ => True
  | _ :: Ds, (L, R) :: rest, D1, x =>
    Lines (relOf L.r R.an R.sn R.ics) (topPre Ds D1 x) ((topPre Ds D1 x).map (Act.eval .relu)) ∧ LinesAt Ds rest D1 x
  | _, _, _, _ => False

/-- The levels' layers `Ds` and the first layer `D1` are the ones the packed data describe, the
top one with `m` outputs, each level's lines one per neuron of the layer below. -/
@[expose] def NetIs : List Dense → List (LayerPk × ReluPk) → Dense → ClosePk → Nat → Prop
  | [], [], D1, F, m => Describes D1 F.L m
  | D :: Ds, (L, R) :: rest, D1, F, m =>
    Describes D L m ∧ R.an.length = L.ws.length ∧ R.sn.length = L.ws.length ∧ R.ics.length = L.ws.length ∧
      NetIs Ds rest D1 F L.ws.length
  | _, _, _, _, _ => False

/-- The input box a `ClosePk` closes over: lower ends `signedCol lm lg` and widths `wd`, integers at
scale `1/K`, where the lower ends' row ends with `K` for the constant. -/
@[expose] def CloseIs (F : ClosePk) (K : Nat) (lm : List Nat) (lg : List Bool) : Prop :=
  F.L.q = 0 ∧ F.lw = lm ++ [K] ∧ F.ls = lg ++ [false] ∧ 0 < K ∧ lm.length = F.L.ws.length ∧ lg.length = F.L.ws.length ∧
    F.wd.length = F.L.ws.length

/-- Entrywise `l + w`. -/
@[expose] def addWidths : List Int → List Nat → List Int
  | l :: ls, w :: ws => (l + w) :: addWidths ls ws
  | _, _ => []

/-- The widths of `l` and `l + w` are `w`. -/
theorem widths_addWidths : ∀ (ls : List Int) (ws : List Nat), ls.length = ws.length →
    widths ls (addWidths ls ws) = ws.map (fun n : Nat => (n : Int))
  | l :: ls, w :: ws, h => by
    simp only [addWidths, widths, List.map_cons, widths_addWidths ls ws (by simpa using h)]
    congr 1
    omega
  | [], [], _ => rfl
  | [], _ :: _, h => by simp at h
  | _ :: _, [], h => by simp at h

/-- `addWidths` keeps the length. -/
theorem length_addWidths : ∀ (ls : List Int) (ws : List Nat), ls.length = ws.length → (addWidths ls ws).length = ls.length
  | _ :: ls, _ :: ws, h => by simp [addWidths, length_addWidths ls ws (by simpa using h)]
  | [], _, _ => by simp [addWidths]
  | _ :: _, [], h => by simp at h

/-- The box of a `ClosePk`. -/
@[expose] noncomputable def closeBox (F : ClosePk) (K : Nat) (lm : List Nat) (lg : List Bool) : Box :=
  endsAt (1 / K) (signedCol lm lg) (addWidths (signedCol lm lg) F.wd)

/-- `negDot` over widths given as naturals is `nnDot` over the negative parts. -/
theorem negDot_widths (zs : List Int) (ls : List Int) (wd : List Nat) (h : ls.length = wd.length) :
    negDot zs (widths ls (addWidths ls wd)) = (nnDot wd (negParts zs) : Int) := by
  rw [widths_addWidths ls wd h, negDot_cast]

/-! ## The chain -/

/-- `signedCols` has one column per magnitude list. -/
theorem length_signedCols : ∀ (ws : List (List Nat)) (ss : List (List Bool)), ws.length = ss.length →
    (signedCols ws ss).length = ws.length
  | _ :: ws, _ :: ss, h => by simp [signedCols, length_signedCols ws ss (by simpa using h)]
  | [], _, _ => by simp [signedCols]
  | _ :: _, [], h => by simp at h

/-- The ReLU lines keep one entry per neuron. -/
theorem length_relaxInt : ∀ (zs : List Int) (an sn : List Nat), an.length = zs.length → sn.length = zs.length →
    (relaxInt zs an sn).length = zs.length
  | _ :: zs, _ :: an, _ :: sn, h1, h2 => by
    simp [relaxInt, length_relaxInt zs an sn (by simpa using h1) (by simpa using h2)]
  | [], _, _, _, _ => by simp [relaxInt]
  | _ :: _, [], _, h, _ => by simp at h
  | _ :: _, _ :: _, [], _, h => by simp at h

/-- A layer's constant column over a pass: the signed bias column, then `Ω` times the constant. -/
theorem constCol_eq {P : LayerPk} {bm : List Nat} {bg : List Bool} {Ω m : Nat} (hbw : P.bw = bm ++ [Ω])
    (hbs : P.bs = bg ++ [false]) (hbm : bm.length = m) (hbg : bg.length = m) {ys : List Int} (hys : ys.length = m)
    (yc : Int) : signedDot P.bw P.bs (ys ++ [yc]) = colDot (signedCol bm bg) ys + Ω * yc := by
  rw [hbw, hbs, signedDot_append_one Ω yc bm bg ys (hbm.trans hys.symm) (hbg.trans hys.symm), colDot_signedCol]

/-- A positive rational divided by a positive one is positive. -/
theorem rat_div_pos {a b : Rat} (ha : 0 < a) (hb : 0 < b) : 0 < a / b := by
  rw [Rat.div_def]
  exact Rat.mul_pos ha (Rat.inv_pos.mpr hb)

/-- The integer `2^q` as a natural, cast. -/
theorem natCast_two_pow (q : Nat) : ((2 ^ q : Nat) : Int) = 2 ^ q := by push_cast; rfl

/-- **A run's integer bounds the pass over the network**: if the packed data describe the
network and the input box, then at every input `x` of the box where every hidden layer's lines
hold, `finalSpec` of a pass `(ys, yc)` over the top layer's `m` outputs, times some positive
factor, is at most the pass's linear function `linAt σ ys yc` of the top layer's pre-activation,
for any positive `σ`. -/
theorem finalSpec_le : ∀ (levels : List (LayerPk × ReluPk)) (Ds : List Dense) (D1 : Dense) (F : ClosePk) (m : Nat)
    {K : Nat} {lm : List Nat} {lg : List Bool}, NetIs Ds levels D1 F m → CloseIs F K lm lg →
    ∀ {x : List Rat}, Box.Mem (closeBox F K lm lg) x → LinesAt Ds levels D1 x →
    ∀ (ys : List Int) (yc : Int), ys.length = m → ∀ {σ : Rat}, 0 < σ →
      ∃ σf : Rat, 0 < σf ∧ (finalSpec levels F ys yc : Rat) * σf ≤ linAt σ ys yc (topPre Ds D1 x)
  | [], [], D1, F, m, K, lm, lg, hnet, hclose, x, hx, _, ys, yc, hys, σ, hσ => by
    obtain ⟨ω, Ω, bm, bg, hω0, hω, hm, hbw, hbs, hbm, hbg, hcl, hwl, hW, hB⟩ := hnet
    obtain ⟨hq, hlw, hls, hK, hlm, hlg, hwd⟩ := hclose
    have hbl : (signedCol bm bg).length = m := by rw [length_signedCol bm bg (hbm.trans hbg.symm), hbm]
    have hpre := crossFix_eq m hm Ω (s := σ) hω hys yc hcl hbl hW hB x
    have hzl : (columnDots (signedCols F.L.ws F.L.ss) ys).length = (signedCol lm lg).length := by
      rw [columnDots_eq, List.length_map, length_signedCols _ _ hwl, length_signedCol lm lg (hlm.trans hlg.symm), hlm]
    have hhl : (signedCol lm lg).length = (addWidths (signedCol lm lg) F.wd).length := by
      rw [length_addWidths]
      rw [length_signedCol lm lg (hlm.trans hlg.symm), hlm, hwd]
    have hκ : (1 / (K : Rat)) * K = 1 := by
      have : (K : Rat) ≠ 0 := by exact_mod_cast (Nat.pos_iff_ne_zero.mp hK)
      rw [Rat.div_def, Rat.one_mul, Rat.inv_mul_cancel _ this]
    have hσω : 0 < σ * ω := Rat.mul_pos hσ hω0
    have hclo := closeFix_le K hκ hσω _ _ _ hzl hhl (colDot (signedCol bm bg) ys + Ω * yc) hx
    refine ⟨σ * ω * (1 / K), Rat.mul_pos hσω (by
      have : (0 : Rat) < K := by exact_mod_cast hK
      exact rat_div_pos (by decide) this), ?_⟩
    have hfin : finalSpec [] F ys yc = colDot (signedCol lm lg) (columnDots (signedCols F.L.ws F.L.ss) ys) -
        negDot (columnDots (signedCols F.L.ws F.L.ss) ys) (widths (signedCol lm lg) (addWidths (signedCol lm lg) F.wd)) +
        K * (colDot (signedCol bm bg) ys + Ω * yc) := by
      have hz : (crossSpec F.L ys yc).1 = columnDots (signedCols F.L.ws F.L.ss) ys := by
        simp only [crossSpec, colsAt_eq, hq, floorShift]
        simp
      have hc : (crossSpec F.L ys yc).2 = colDot (signedCol bm bg) ys + Ω * yc := by
        simp only [crossSpec, hq, Nat.pow_zero, Int.natCast_one, Int.ediv_one]
        exact constCol_eq hbw hbs hbm hbg hys yc
      have hzlen : (columnDots (signedCols F.L.ws F.L.ss) ys).length = lm.length := by
        rw [hzl, length_signedCol lm lg (hlm.trans hlg.symm)]
      simp only [finalSpec]
      rw [hz, hc, hlw, hls, signedDot_append_one K _ lm lg _ hzlen.symm (hlg.trans (hlm.symm.trans hzlen.symm)),
        ← colDot_signedCol, negDot_widths _ _ _ (by rw [length_signedCol lm lg (hlm.trans hlg.symm), hlm, hwd])]
      grind
    rw [hfin]
    simp only [topPre]
    rw [← hpre]
    exact hclo
  | (L, R) :: rest, D :: Ds, D1, F, m, K, lm, lg, hnet, hclose, x, hx, hlines, ys, yc, hys, σ, hσ => by
    obtain ⟨⟨ω, Ω, bm, bg, hω0, hω, hm, hbw, hbs, hbm, hbg, hcl, hwl, hW, hB⟩, han, hsn, hics, hrest⟩ := hnet
    obtain ⟨hl, hlrest⟩ := hlines
    have hbl : (signedCol bm bg).length = m := by rw [length_signedCol bm bg (hbm.trans hbg.symm), hbm]
    let zs := floorShift L.q (columnDots (signedCols L.ws L.ss) ys)
    let C := (colDot (signedCol bm bg) ys + Ω * yc) / 2 ^ L.q
    have hzs : (crossSpec L ys yc).1 = zs := by simp only [crossSpec, colsAt_eq]; rfl
    have hC : (crossSpec L ys yc).2 = C := by
      simp only [crossSpec, natCast_two_pow]
      rw [constCol_eq hbw hbs hbm hbg hys yc]
    have hzlen : zs.length = L.ws.length := by
      simp only [zs, floorShift, columnDots_eq, List.length_map]
      exact length_signedCols _ _ hwl
    have hσ2 : 0 < σ * ω * 2 ^ L.q := Rat.mul_pos (Rat.mul_pos hσ hω0) (Rat.pow_pos (by decide))
    have hσ3 : 0 < σ * ω * 2 ^ L.q / 2 ^ L.r := rat_div_pos hσ2 (Rat.pow_pos (by decide))
    have hylen : (relaxInt zs R.an R.sn).length = L.ws.length := by
      rw [length_relaxInt zs R.an R.sn (by rw [hzlen, han]) (by rw [hzlen, hsn]), hzlen]
    obtain ⟨σf, hσf, hih⟩ := finalSpec_le rest Ds D1 F L.ws.length hrest hclose hx hlrest
      (relaxInt zs R.an R.sn) (((2 ^ L.r : Nat) : Int) * C - (nnDot R.ics (negParts zs) : Int)) hylen hσ3
    have hrelax := relaxFix_le L.r hσ2 C (slopesOf_relOf L.r R.an R.sn R.ics (han.trans hsn.symm) (hsn.trans hics.symm))
      (icptsOf_relOf L.r R.an R.sn R.ics (han.trans hsn.symm) (hsn.trans hics.symm))
      (by rw [length_relOf L.r R.an R.sn R.ics (han.trans hsn.symm) (hsn.trans hics.symm), hzlen, han]) hl
    have hcross := crossFix_le m hm L.q Ω hσ hω0 hω hys yc hcl hbl hW hB (h := (topPre Ds D1 x).map (Act.eval .relu))
      (by
        intro v hv
        obtain ⟨z, _, rfl⟩ := List.mem_map.mp hv
        exact relu_nonneg z)
    have hconst : relaxConstInt L.r zs (R.ics.map (fun n : Nat => (n : Int))) C =
        ((2 ^ L.r : Nat) : Int) * C - (nnDot R.ics (negParts zs) : Int) := by
      rw [relaxConstInt, negDot_cast, natCast_two_pow]
    rw [hconst] at hrelax
    refine ⟨σf, hσf, ?_⟩
    have hfin : finalSpec ((L, R) :: rest) F ys yc =
        finalSpec rest F (relaxInt zs R.an R.sn) (((2 ^ L.r : Nat) : Int) * C - (nnDot R.ics (negParts zs) : Int)) := by
      simp only [finalSpec, relaxSpec]
      rw [hzs, hC]
    rw [hfin]
    simp only [topPre]
    exact Rat.le_trans hih (Rat.le_trans hrelax hcross)
  | [], _ :: _, _, _, _, _, _, _, hnet, _, _, _, _, _, _, _, _, _ => by simp [NetIs] at hnet
  | _ :: _, [], _, _, _, _, _, _, hnet, _, _, _, _, _, _, _, _, _ => by simp [NetIs] at hnet

/-- **An accepted pass is nonnegative over the network**: `finalSpec ≥ 0` makes the pass's linear
function `ys · z + yc` of the top layer's pre-activation `z` nonnegative at every input of the
box where the lines hold. -/
theorem pass_nonneg {levels : List (LayerPk × ReluPk)} {Ds : List Dense} {D1 : Dense} {F : ClosePk} {m K : Nat}
    {lm : List Nat} {lg : List Bool} (hnet : NetIs Ds levels D1 F m) (hclose : CloseIs F K lm lg) {x : List Rat}
    (hx : Box.Mem (closeBox F K lm lg) x) (hl : LinesAt Ds levels D1 x) {ys : List Int} {yc : Int}
    (hys : ys.length = m) (h : 0 ≤ finalSpec levels F ys yc) : 0 ≤ linAt 1 ys yc (topPre Ds D1 x) := by
  obtain ⟨σf, hσf, hle⟩ := finalSpec_le levels Ds D1 F m hnet hclose hx hl ys yc hys (by decide : (0 : Rat) < 1)
  have h0 : (0 : Rat) ≤ (finalSpec levels F ys yc : Rat) * σf :=
    Rat.mul_nonneg (by exact_mod_cast h) (Rat.le_of_lt hσf)
  exact Rat.le_trans h0 hle

end TorchLean.Bounds
