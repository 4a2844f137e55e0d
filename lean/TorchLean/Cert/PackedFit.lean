module

public import TorchLean.Bounds.CrownRunNet

/-! # The packed checker's width conditions, as Booleans

`RunFit` states that every field of a packed run stays in range. It splits into the network's
share, decided once per network (`netFitB`), and a leaf's share (`leafFitB`); `runFit_of_B`
joins them.
-/

public section

namespace TorchLean.Cert

open TorchLean.Bounds TorchLean.Num

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

/-- `SplitIs`, decided: the split columns are the layer's columns split by sign. -/
@[expose] noncomputable def splitB (L : LayerPk) : Bool :=
  splitColsB L.ws L.ss L.wp L.wn L.ns && splitColB L.bw L.bs L.bp L.bn 0 L.bns

theorem splitIs_of_B {L : LayerPk} (h : splitB L = true) : SplitIs L := by
  simp only [splitB, Bool.and_eq_true] at h
  obtain ⟨h1, h2⟩ := h
  obtain ⟨hp, hn, ht⟩ := splitCols_of_B h1
  obtain ⟨hbp, hbn, hbt⟩ := splitCol_of_B h2
  refine ⟨hp, hn, by rw [ht, hn], hbp, hbn, by rw [← hbt]; omega⟩

/-- The network's share of `RunFit`: the columns, bias columns and field widths of every layer,
entering the top layer with bias `2^β` over `d` outputs. Decided once per network. -/
@[expose] noncomputable def netFitB (B : Nat) : Nat → Nat → List LayerPk → LayerPk → Bool
  | β, d, [], P1 =>
    splitB P1 && (P1.q == 0) && decide (P1.E + 1 ≤ B) && colsFitB β P1.E d P1.ws P1.ss P1.sums && (P1.bw.sum == P1.bsum) &&
      decide (2 ^ β * P1.bsum < 2 ^ P1.E) && (P1.bw.length == d + 1) && (P1.bs.length == d + 1)
  | β, d, L :: Ls, P1 =>
    splitB L && decide (L.q ≤ L.E) && decide (L.E + 1 ≤ B) && colsFitB β L.E d L.ws L.ss L.sums && (L.bw.sum == L.bsum) &&
      decide (2 ^ β * L.bsum < 2 ^ L.E) && (L.bw.length == d + 1) && (L.bs.length == d + 1) &&
      decide (L.E - L.q + L.r + 2 ≤ B) && decide (L.E - L.q + L.r ≤ L.β2) && decide (L.β2 + 1 ≤ B) &&
      decide (0 < L.M) && decide (L.M < 2 ^ L.β2) && netFitB B L.β2 L.ws.length Ls P1

/-! ## The network's share and a certificate's widths, apart

A network's columns are the same for every property, while the widths (`E`, `q`, `r`, `β2`, `M`)
depend on the property's scale. A network module decides the columns' facts once (`colsOkB`, on
`LayerPk`s whose widths are zero); a certificate puts its widths on those columns
(`LayerPk.withWidths`), decides `widthsOkB`, and `netFitB_of_cols` joins the two. -/

/-- The columns of `P` with the widths `w = (E, q, r, β2, M)`. -/
@[expose] def _root_.TorchLean.Bounds.LayerPk.withWidths (P : LayerPk) (w : Nat × Nat × Nat × Nat × Nat) : LayerPk :=
  ⟨P.ws, P.ss, P.sums, P.bw, P.bs, P.bsum, w.1, w.2.1, w.2.2.1, w.2.2.2.1, w.2.2.2.2, P.wp, P.wn, P.ns, P.bp, P.bn, P.bns⟩

/-- A column's magnitudes sum to its stated sum, and it and its signs have `m` entries. -/
@[expose] noncomputable def colsSumsB (m : Nat) : List (List Nat) → List (List Bool) → List Nat → Bool
  | w :: ws, s :: ss, A :: As => (w.sum == A) && (w.length == m) && (s.length == m) && colsSumsB m ws ss As
  | [], [], [] => true
  | _, _, _ => false

/-- One layer's share that does not depend on the widths, with `d` outputs. -/
@[expose] noncomputable def layerColsB (d : Nat) (L : LayerPk) : Bool :=
  splitB L && colsSumsB d L.ws L.ss L.sums && (L.bw.sum == L.bsum) && (L.bw.length == d + 1) &&
    (L.bs.length == d + 1)

/-- The network's share of `netFitB`: every layer's columns, from the top one with `d` outputs. -/
@[expose] noncomputable def colsOkB : Nat → List LayerPk → LayerPk → Bool
  | d, [], P1 => layerColsB d P1
  | d, L :: Ls, P1 => layerColsB d L && colsOkB L.ws.length Ls P1

/-- A certificate's share of `netFitB`: its widths, entering the top layer with bias `2^β`. -/
@[expose] noncomputable def widthsOkB (B : Nat) : Nat → List LayerPk → LayerPk → Bool
  | β, [], P1 =>
    (P1.q == 0) && decide (P1.E + 1 ≤ B) && P1.sums.all (fun A => decide (2 ^ β * A < 2 ^ P1.E)) &&
      decide (2 ^ β * P1.bsum < 2 ^ P1.E)
  | β, L :: Ls, P1 =>
    decide (L.q ≤ L.E) && decide (L.E + 1 ≤ B) && L.sums.all (fun A => decide (2 ^ β * A < 2 ^ L.E)) &&
      decide (2 ^ β * L.bsum < 2 ^ L.E) && decide (L.E - L.q + L.r + 2 ≤ B) && decide (L.E - L.q + L.r ≤ L.β2) &&
      decide (L.β2 + 1 ≤ B) && decide (0 < L.M) && decide (L.M < 2 ^ L.β2) && widthsOkB B L.β2 Ls P1

theorem colsFitB_of {β E m : Nat} : ∀ {ws : List (List Nat)} {ss : List (List Bool)} {As : List Nat},
    colsSumsB m ws ss As = true → As.all (fun A => decide (2 ^ β * A < 2 ^ E)) = true → colsFitB β E m ws ss As = true
  | _ :: _, _ :: _, _ :: _, h, ha => by
    simp only [colsSumsB, Bool.and_eq_true] at h
    simp only [List.all_cons, Bool.and_eq_true] at ha
    simp only [colsFitB, h.1.1.1, h.1.1.2, h.1.2, ha.1, colsFitB_of h.2 ha.2, Bool.and_self]
  | [], [], [], _, _ => rfl
  | [], _ :: _, _, h, _ => by simp [colsSumsB] at h
  | _ :: _, [], _, h, _ => by simp [colsSumsB] at h
  | [], [], _ :: _, h, _ => by simp [colsSumsB] at h
  | _ :: _, _ :: _, [], h, _ => by simp [colsSumsB] at h

/-- **The two shares make `netFitB`.** -/
theorem netFitB_of_cols {B : Nat} : ∀ {β d : Nat} {Ps : List LayerPk} {P1 : LayerPk},
    colsOkB d Ps P1 = true → widthsOkB B β Ps P1 = true → netFitB B β d Ps P1 = true
  | β, d, [], P1, hc, hw => by
    simp only [colsOkB, layerColsB, widthsOkB, Bool.and_eq_true] at hc hw
    obtain ⟨⟨⟨⟨hsp, hs⟩, hb⟩, hbl⟩, hbg⟩ := hc
    obtain ⟨⟨⟨hq, hE⟩, ha⟩, hbA⟩ := hw
    simp only [netFitB, hsp, hq, hE, colsFitB_of hs ha, hb, hbA, hbl, hbg, Bool.and_self]
  | β, d, L :: Ls, P1, hc, hw => by
    simp only [colsOkB, layerColsB, widthsOkB, Bool.and_eq_true] at hc hw
    obtain ⟨⟨⟨⟨⟨hsp, hs⟩, hb⟩, hbl⟩, hbg⟩, hc'⟩ := hc
    obtain ⟨⟨⟨⟨⟨⟨⟨⟨⟨hq, hE⟩, ha⟩, hbA⟩, h1⟩, h2⟩, h3⟩, h4⟩, h5⟩, hw'⟩ := hw
    simp only [netFitB, hsp, hq, hE, colsFitB_of hs ha, hb, hbA, hbl, hbg, h1, h2, h3, h4, h5,
      netFitB_of_cols hc' hw', Bool.and_self]

/-- The columns' share reads no width, so it carries over to a certificate's widths. -/
theorem colsOkB_withWidths {w1 : Nat × Nat × Nat × Nat × Nat} : ∀ {d : Nat} {Ps : List LayerPk}
    {ws : List (Nat × Nat × Nat × Nat × Nat)} {P1 : LayerPk}, Ps.length = ws.length →
    colsOkB d Ps P1 = true → colsOkB d (List.zipWith LayerPk.withWidths Ps ws) (P1.withWidths w1) = true
  | _, [], [], _, _, h => h
  | _, L :: Ls, w :: ws, _, hl, h => by
    simp only [colsOkB, Bool.and_eq_true] at h
    simp only [List.zipWith_cons_cons, colsOkB, Bool.and_eq_true]
    exact ⟨h.1, colsOkB_withWidths (by simpa using hl) h.2⟩

/-- `InBias b x`, decided on naturals: the positive part below `2^b`, the negative part at most
`2^b`. On an ACAS Xu leaf's 600 box ends the kernel takes about 0.1 s for these, against 0.8 s
for `decide (InBias b x)` on `Int`. -/
@[expose] def inBiasB (b : Nat) (x : Int) : Bool := Nat.blt x.toNat (2 ^ b) && Nat.ble (-x).toNat (2 ^ b)

theorem inBias_of_B {b : Nat} {x : Int} (h : inBiasB b x = true) : InBias b x := by
  simp only [inBiasB, Bool.and_eq_true, Nat.blt_eq, Nat.ble_eq] at h
  unfold InBias
  have h2 : ((2 ^ b : Nat) : Int) = (2 : Int) ^ b := by push_cast; rfl
  omega

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
      R.lo.all (fun l => inBiasB L.β2 (-l)) && R.hi.all (fun h => inBiasB L.β2 h) &&
      leafFitB B Ls Rs F
  | _, _, _ => false

/-! ## A leaf's share as the kernel evaluates it fastest

The kernel spends about twice the steps on a structurally recursive `List` function (its
`brecOn`) as on `List.rec` itself, and `decide` on `≤` unfolds an instance per test. A leaf checks
some 300 neurons' slopes, lengths and box ends, so `leafFitR` states `leafFitB` with `List.rec`
(`allRec`, `lenRec`, `sumRec`) and `Nat.ble`/`Nat.beq`; `leafFitR_eq` says they agree. -/

/-- `List.all`, by `List.rec`. -/
@[expose] noncomputable def allRec {α : Type} (p : α → Bool) (l : List α) : Bool :=
  @List.rec α (fun _ => Bool) true (fun a _ ih => p a && ih) l

/-- `List.length`, by `List.rec`. -/
@[expose] noncomputable def lenRec {α : Type} (l : List α) : Nat :=
  @List.rec α (fun _ => Nat) 0 (fun _ _ ih => Nat.succ ih) l

/-- `List.sum`, by `List.rec`. -/
@[expose] noncomputable def sumRec (l : List Nat) : Nat :=
  @List.rec Nat (fun _ => Nat) 0 (fun a _ ih => Nat.add a ih) l

theorem allRec_eq {α : Type} (p : α → Bool) : ∀ l : List α, allRec p l = l.all p
  | [] => rfl
  | a :: l => by
    show (p a && allRec p l) = _
    rw [allRec_eq p l, List.all_cons]

theorem lenRec_eq {α : Type} : ∀ l : List α, lenRec l = l.length
  | [] => rfl
  | _ :: l => by
    show Nat.succ (lenRec l) = _
    rw [lenRec_eq l, List.length_cons]

theorem sumRec_eq : ∀ l : List Nat, sumRec l = l.sum
  | [] => rfl
  | a :: l => by
    show Nat.add a (sumRec l) = _
    rw [sumRec_eq l, List.sum_cons]; rfl

theorem ble_eq_decide (a b : Nat) : Nat.ble a b = decide (a ≤ b) :=
  Bool.eq_iff_iff.mpr (by simp [Nat.ble_eq])

theorem blt_eq_decide (a b : Nat) : Nat.blt a b = decide (a < b) :=
  Bool.eq_iff_iff.mpr (by simp [Nat.blt_eq])

theorem beq_eq_beq (a b : Nat) : Nat.beq a b = (a == b) :=
  Bool.eq_iff_iff.mpr (by simp [Nat.beq_eq])

/-- `leafFitB`, as the kernel evaluates it fastest (see above). -/
@[expose] noncomputable def leafFitR (B : Nat) : List LayerPk → List ReluPk → ClosePk → Bool
  | [], [], F =>
    Nat.ble (F.b + 1) B && Nat.beq (sumRec F.lw) F.A && Nat.beq (lenRec F.lw) (lenRec F.ls) &&
      Nat.beq (lenRec F.ls) (lenRec F.L.ws + 1) && Nat.beq (lenRec F.wd) (lenRec F.L.ws) &&
      Nat.blt (2 ^ F.L.E * F.A + 2 ^ F.L.E * sumRec F.wd) (2 ^ F.b)
  | L :: Ls, R :: Rs, F =>
    allRec (fun a => Nat.ble a (2 ^ L.r)) R.an && allRec (fun s => Nat.ble s (2 ^ L.r)) R.sn &&
      Nat.beq (lenRec R.an) (lenRec L.ws) && Nat.beq (lenRec R.sn) (lenRec L.ws) &&
      Nat.beq (lenRec R.ics) (lenRec L.ws) &&
      Nat.ble (2 ^ (L.E - L.q + L.r) + 2 ^ (L.E - L.q) * sumRec R.ics) (2 ^ L.β2) &&
      Nat.beq (lenRec R.lo) (lenRec L.ws) && Nat.beq (lenRec R.hi) (lenRec L.ws) &&
      allRec (fun l => inBiasB L.β2 (-l)) R.lo && allRec (fun h => inBiasB L.β2 h) R.hi &&
      leafFitR B Ls Rs F
  | _, _, _ => false

theorem leafFitR_eq (B : Nat) : ∀ (Ps : List LayerPk) (Rs : List ReluPk) (F : ClosePk),
    leafFitR B Ps Rs F = leafFitB B Ps Rs F
  | [], [], F => by
    simp only [leafFitR, leafFitB, allRec_eq, lenRec_eq, sumRec_eq, ble_eq_decide, blt_eq_decide, beq_eq_beq]
  | L :: Ls, R :: Rs, F => by
    simp only [leafFitR, leafFitB, allRec_eq, lenRec_eq, sumRec_eq, ble_eq_decide, beq_eq_beq, leafFitR_eq B Ls Rs F]
  | [], _ :: _, _ => rfl
  | _ :: _, [], _ => rfl

/-- **The two shares make `RunFit`.** -/
theorem runFit_of_B (B : Nat) : ∀ (β d : Nat) (Ps : List LayerPk) (Rs : List ReluPk) (F : ClosePk),
    netFitB B β d Ps F.L = true → leafFitB B Ps Rs F = true → RunFit B β d (Ps.zip Rs) F
  | β, d, [], [], F, hn, hl => by
    simp only [netFitB, leafFitB, Bool.and_eq_true, beq_iff_eq, decide_eq_true_eq] at hn hl
    obtain ⟨⟨⟨⟨⟨⟨⟨hsp, hq⟩, hE⟩, hc⟩, hbs⟩, hbA⟩, hbl⟩, hbg⟩ := hn
    obtain ⟨⟨⟨⟨⟨hb, hA⟩, hl1⟩, hl2⟩, hwd⟩, hroom⟩ := hl
    exact ⟨splitIs_of_B hsp, hq, hE, colsFit_of_B hc, hbs, hbA, hbl, hbg, hb, hA, hl1, hl2, by omega, hroom⟩
  | β, d, L :: Ls, R :: Rs, F, hn, hl => by
    simp only [netFitB, leafFitB, Bool.and_eq_true, beq_iff_eq, decide_eq_true_eq, List.all_eq_true] at hn hl
    obtain ⟨⟨⟨⟨⟨⟨⟨⟨⟨⟨⟨⟨⟨hsp, hq⟩, hE⟩, hc⟩, hbs⟩, hbA⟩, hbl⟩, hbg⟩, hB1⟩, hr⟩, hB2⟩, _⟩, hM⟩, hn'⟩ := hn
    obtain ⟨⟨⟨⟨⟨⟨⟨⟨⟨⟨han, hsn⟩, hanl⟩, hsnl⟩, hicl⟩, hroom⟩, hlo⟩, hhi⟩, hlob⟩, hhib⟩, hl'⟩ := hl
    exact ⟨splitIs_of_B hsp, hq, hE, colsFit_of_B hc, hbs, hbA, hbl, hbg, hB1, hr, hB2, ⟨han, hsn⟩, hanl, hsnl, by omega, hroom,
      hlo, hhi, hM, fun l hl => inBias_of_B (hlob l hl), fun h hh => inBias_of_B (hhib h hh),
      runFit_of_B B L.β2 L.ws.length Ls Rs F hn' hl'⟩
  | _, _, [], _ :: _, _, _, hl => by simp [leafFitB] at hl
  | _, _, _ :: _, [], _, _, hl => by simp [leafFitB] at hl

/-- The network's share read back at one level: the layer's columns and bias fit the bias `2^β`
entering it, its box scale is positive and covered after the lines, and the levels below fit. -/
theorem netFit_cons {B β d : Nat} {L : LayerPk} {Ls : List LayerPk} {P1 : LayerPk}
    (h : netFitB B β d (L :: Ls) P1 = true) :
    ColsFit β L.E d L.ws L.ss L.sums ∧ L.bw.sum = L.bsum ∧ 2 ^ β * L.bsum < 2 ^ L.E ∧ L.bw.length = d + 1 ∧
      L.bs.length = d + 1 ∧ 0 < L.M ∧ L.M < 2 ^ L.β2 ∧ netFitB B L.β2 L.ws.length Ls P1 = true := by
  simp only [netFitB, Bool.and_eq_true, beq_iff_eq, decide_eq_true_eq] at h
  obtain ⟨⟨⟨⟨⟨⟨⟨⟨⟨⟨⟨⟨⟨_, _⟩, _⟩, hc⟩, hbs⟩, hbA⟩, hbl⟩, hbg⟩, _⟩, _⟩, _⟩, hM0⟩, hM⟩, hn'⟩ := h
  exact ⟨colsFit_of_B hc, hbs, hbA, hbl, hbg, hM0, hM, hn'⟩

end TorchLean.Cert
