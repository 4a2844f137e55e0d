module

public import TorchLean.Cert.PackedBoxes
public import TorchLean.Cert.PackedFit

/-! # Every hidden layer's lines hold on a packed leaf

A leaf's ReLU lines are checked against a claimed box per hidden layer. The claimed box is the
meet of two proved boxes:
- the CROWN box, `R.lo … R.hi`, which the main run's joining passes prove;
- where the leaf gives one, the IBP box, `I.lo … I.hi`, which interval arithmetic proves from the
  ReLU of the claimed box of the layer below (`ibpStepOkB`, over `layerIbpSums`).

The lines are checked on naturals (`reluLinesOkB`: the upper line above ReLU at both ends of
each neuron's box), which `validAll_of_reluLinesOkB` turns into the rational `validAll`. On ACAS
Xu's 300 neurons the kernel takes 0.4 s for this, against 4 s for `validAll` on `Rat`.

`linesAt_of_levels` proves, from the first hidden layer up, that each layer's pre-activation lies
in its claimed box and that its lines hold there.
-/

public section

namespace TorchLean.Cert

open TorchLean.IR TorchLean.Bounds TorchLean.Num

/-- A hidden layer's IBP box for one leaf: lower and upper ends over the layer's scale `M`. -/
structure IbpPk where
  /-- Lower ends. -/
  lo : List Int
  /-- Upper ends. -/
  hi : List Int

/-- The lower ends a level's lines are checked against: CROWN's, met with IBP's where given. -/
@[expose] noncomputable def claimLo (R : ReluPk) : Option IbpPk → List Int
  | none => R.lo
  | some I => meetLo R.lo I.lo

/-- The upper ends a level's lines are checked against. -/
@[expose] noncomputable def claimHi (R : ReluPk) : Option IbpPk → List Int
  | none => R.hi
  | some I => meetHi R.hi I.hi

/-- The IBP box `I` of level `(L, R)`, checked: one end per neuron, and ends that the IBP sums
of `L'` (the layer whose pre-activation `R` boxes) cover, over the ReLU of the claimed box of
level `(L', R')`. -/
@[expose] noncomputable def ibpStepOkB (L L' : LayerPk) (R R' : ReluPk) (o' : Option IbpPk) (I : IbpPk) : Bool :=
  (I.lo.length == R.lo.length) && ((claimLo R' o').length == L'.ws.length) &&
    ((claimHi R' o').length == (claimLo R' o').length) && decide (0 < L'.M) &&
    ibpEndsOk L.M L'.M (lastOf L'.bw) I.lo I.hi (layerIbpSums L' L'.M (claimLo R' o') (claimHi R' o'))

/-- A level's IBP check: nothing without an IBP box, else its step over the level below (the
first hidden layer, with no level below, takes none). -/
@[expose] noncomputable def ibpOkB (L : LayerPk) (R : ReluPk) :
    Option IbpPk → List LayerPk → List ReluPk → List (Option IbpPk) → Bool
  | none, _, _, _ => true
  | some I, L' :: _, R' :: _, o' :: _ => ibpStepOkB L L' R R' o' I
  | some _, _, _, _ => false

/-- One neuron's lines on its box, decided on naturals: the box `[l, h]` over `M` (each end
split into its positive and negative parts), the lower slope `a`, the upper slope `s` and
intercept `c` over `2^r`. The upper line is checked at both ends (`relu_le_line`). -/
@[expose] def reluLineOkB (M r : Nat) (l h : Int) (a s c : Nat) : Bool :=
  Nat.ble (Nat.add l.toNat (-h).toNat) (Nat.add h.toNat (-l).toNat) && Nat.ble a (2 ^ r) &&
    Nat.ble (Nat.add (Nat.mul (2 ^ r) l.toNat) (Nat.mul s (-l).toNat)) (Nat.add (Nat.mul s l.toNat) (Nat.mul c M)) &&
    Nat.ble (Nat.add (Nat.mul (2 ^ r) h.toNat) (Nat.mul s (-h).toNat)) (Nat.add (Nat.mul s h.toNat) (Nat.mul c M))

/-- Every neuron's lines on its box, decided on naturals (same lengths). -/
@[expose] def reluLinesOkB (M r : Nat) : List Int → List Int → List Nat → List Nat → List Nat → Bool
  | [], [], [], [], [] => true
  | l :: ls, h :: hs, a :: as, s :: ss, c :: cs => reluLineOkB M r l h a s c && reluLinesOkB M r ls hs as ss cs
  | _, _, _, _, _ => false

/-- The natural-number form of one end's condition is the integer one. -/
theorem end_of_nat {M r s c : Nat} {l : Int}
    (h : 2 ^ r * l.toNat + s * (-l).toNat ≤ s * l.toNat + c * M) :
    ((2 ^ r : Nat) : Int) * max 0 l ≤ (s : Int) * l + (c : Int) * (M : Int) := by
  have hl : l = (l.toNat : Int) - ((-l).toNat : Int) := by omega
  have hm : max 0 l = (l.toNat : Int) := by omega
  have hc : ((2 ^ r * l.toNat + s * (-l).toNat : Nat) : Int) ≤ ((s * l.toNat + c * M : Nat) : Int) := by exact_mod_cast h
  push_cast at hc
  rw [hm]
  conv => rhs; rw [hl]
  rw [Int.mul_sub]
  omega

/-- ReLU of an end over `M` is the end's positive part over `M`. -/
theorem relu_div (M : Nat) (hM : 0 < M) (l : Int) : Act.eval .relu ((l : Rat) / M) = ((max 0 l : Int) : Rat) / M := by
  have hM' : (0 : Rat) < M := by exact_mod_cast hM
  simp only [Act.eval]
  by_cases hl : l ≤ 0
  · have : max 0 l = 0 := by omega
    rw [this]
    have : (l : Rat) / M ≤ 0 := by
      have : (l : Rat) ≤ 0 := by exact_mod_cast hl
      have hi : (0 : Rat) ≤ (M : Rat)⁻¹ := Rat.le_of_lt (Rat.inv_pos.mpr hM')
      have := Rat.mul_le_mul_of_nonneg_right this hi
      rw [Rat.div_def]; grind
    simp only [this, if_true]; rw [Rat.div_def]; grind
  · have : max 0 l = l := by omega
    rw [this]
    have : ¬ (l : Rat) / M ≤ 0 := by
      have : (0 : Rat) < l := by exact_mod_cast (by omega : (0 : Int) < l)
      have hi : (0 : Rat) < (M : Rat)⁻¹ := Rat.inv_pos.mpr hM'
      have := Rat.mul_pos this hi
      rw [Rat.div_def]; grind
    simp [this]

/-- An end's integer condition is the upper line above ReLU at that end, over `M` and `2^r`. -/
theorem line_end {M r : Nat} (hM : 0 < M) {l : Int} {s c : Nat}
    (h : ((2 ^ r : Nat) : Int) * max 0 l ≤ (s : Int) * l + (c : Int) * (M : Int)) :
    Act.eval .relu ((l : Rat) / M) ≤ (s : Rat) / 2 ^ r * ((l : Rat) / M) + (c : Rat) / 2 ^ r := by
  rw [relu_div M hM l]
  have hM' : (0 : Rat) < M := by exact_mod_cast hM
  have hR : (0 : Rat) < 2 ^ r := by exact_mod_cast Nat.two_pow_pos r
  have hq : ((((2 ^ r : Nat) : Int) * max 0 l : Int) : Rat) ≤ (((s : Int) * l + (c : Int) * (M : Int) : Int) : Rat) := by
    exact_mod_cast h
  push_cast at hq
  have e1 : (s : Rat) / 2 ^ r * ((l : Rat) / M) + (c : Rat) / 2 ^ r = ((s : Rat) * l + c * M) / (2 ^ r * M) := by
    grind
  have e2 : ((max 0 l : Int) : Rat) / M = (2 ^ r * ((max 0 l : Int) : Rat)) / (2 ^ r * M) := by
    grind
  rw [e1, e2]
  have hP : (0 : Rat) ≤ ((2 : Rat) ^ r * M)⁻¹ := Rat.le_of_lt (Rat.inv_pos.mpr (Rat.mul_pos hR hM'))
  rw [Rat.div_def, Rat.div_def]
  exact Rat.mul_le_mul_of_nonneg_right (by grind) hP

/-- **Integer-checked lines are valid lines** on the leaf's box (`reluBox`, `relOf`). -/
theorem validAll_of_reluLinesOkB {M r : Nat} (hM : 0 < M) :
    ∀ (lo hi : List Int) (an sn ics : List Nat), reluLinesOkB M r lo hi an sn ics = true →
      validAll .relu (reluBox M lo hi) (relOf r an sn ics) = true
  | [], [], [], [], [], _ => rfl
  | l :: ls, h :: hs, a :: as, s :: ss, c :: cs, hok => by
    simp only [reluLinesOkB, reluLineOkB, Bool.and_eq_true, Nat.ble_eq, Nat.add_eq, Nat.mul_eq] at hok
    obtain ⟨⟨⟨⟨hlh', ha⟩, hl'⟩, hh'⟩, hrest⟩ := hok
    have hlh : l ≤ h := by omega
    have hl := end_of_nat hl'
    have hh := end_of_nat hh'
    have hM' : (0 : Rat) < M := by exact_mod_cast hM
    have hR : (0 : Rat) < 2 ^ r := by exact_mod_cast Nat.two_pow_pos r
    simp only [reluBox, relOf, validAll, Relax.valid, Bool.and_eq_true, decide_eq_true_eq]
    refine ⟨⟨⟨⟨⟨?_, ?_⟩, ?_⟩, line_end hM hl⟩, line_end hM hh⟩, validAll_of_reluLinesOkB hM ls hs as ss cs hrest⟩
    · have : (l : Rat) ≤ h := by exact_mod_cast hlh
      have hi : (0 : Rat) ≤ (M : Rat)⁻¹ := Rat.le_of_lt (Rat.inv_pos.mpr hM')
      rw [Rat.div_def, Rat.div_def]
      exact Rat.mul_le_mul_of_nonneg_right this hi
    · have hi : (0 : Rat) ≤ ((2 : Rat) ^ r)⁻¹ := Rat.le_of_lt (Rat.inv_pos.mpr hR)
      rw [Rat.div_def]
      exact Rat.mul_nonneg (by exact_mod_cast Nat.zero_le a) hi
    · have : (a : Rat) ≤ 2 ^ r := by exact_mod_cast ha
      have hi : (0 : Rat) ≤ ((2 : Rat) ^ r)⁻¹ := Rat.le_of_lt (Rat.inv_pos.mpr hR)
      have h1 := Rat.mul_le_mul_of_nonneg_right this hi
      rw [Rat.div_def]
      have : (2 : Rat) ^ r * ((2 : Rat) ^ r)⁻¹ = 1 := Rat.mul_inv_cancel _ (by grind)
      grind
  | [], [], [], [], _ :: _, hok => by simp [reluLinesOkB] at hok
  | [], [], [], _ :: _, _, hok => by simp [reluLinesOkB] at hok
  | [], [], _ :: _, _, _, hok => by simp [reluLinesOkB] at hok
  | [], _ :: _, _, _, _, hok => by simp [reluLinesOkB] at hok
  | _ :: _, [], _, _, _, hok => by simp [reluLinesOkB] at hok
  | _ :: _, _ :: _, [], _, _, hok => by simp [reluLinesOkB] at hok
  | _ :: _, _ :: _, _ :: _, [], _, hok => by simp [reluLinesOkB] at hok
  | _ :: _, _ :: _, _ :: _, _ :: _, [], hok => by simp [reluLinesOkB] at hok

/-- Each hidden layer's box has one interval per neuron and its lines are valid on the claimed
box. -/
@[expose] noncomputable def levelsOkB : List LayerPk → List ReluPk → List (Option IbpPk) → Bool
  | L :: Ls, R :: Rs, o :: os =>
    decide (0 < L.M) && (R.lo.length == L.ws.length) && (R.hi.length == L.ws.length) &&
      reluLinesOkB L.M L.r (claimLo R o) (claimHi R o) R.an R.sn R.ics &&
      levelsOkB Ls Rs os
  | [], [], [] => true
  | _, _, _ => false

/-- `reluLinesOkB` by `List.rec` over the lower ends, the other lists taken apart with
`casesOn`: the kernel's fastest form (`leafFitR`). -/
@[expose] noncomputable def reluLinesR (M r : Nat) (ls : List Int) : List Int → List Nat → List Nat → List Nat → Bool :=
  @List.rec Int (fun _ => List Int → List Nat → List Nat → List Nat → Bool)
    (fun hs as ss cs => hs.isEmpty && as.isEmpty && ss.isEmpty && cs.isEmpty)
    (fun l _ ih hs as ss cs =>
      @List.casesOn Int (fun _ => Bool) hs false (fun h hs' =>
      @List.casesOn Nat (fun _ => Bool) as false (fun a as' =>
      @List.casesOn Nat (fun _ => Bool) ss false (fun s ss' =>
      @List.casesOn Nat (fun _ => Bool) cs false (fun c cs' =>
        reluLineOkB M r l h a s c && ih hs' as' ss' cs'))))) ls

theorem reluLinesR_eq (M r : Nat) : ∀ (ls hs : List Int) (as ss cs : List Nat),
    reluLinesR M r ls hs as ss cs = reluLinesOkB M r ls hs as ss cs
  | [], [], [], [], [] => rfl
  | [], _ :: _, _, _, _ => by simp [reluLinesR, reluLinesOkB]
  | [], [], _ :: _, _, _ => by simp [reluLinesR, reluLinesOkB]
  | [], [], [], _ :: _, _ => by simp [reluLinesR, reluLinesOkB]
  | [], [], [], [], _ :: _ => by simp [reluLinesR, reluLinesOkB]
  | _ :: _, [], _, _, _ => by simp [reluLinesR, reluLinesOkB]
  | _ :: _, _ :: _, [], _, _ => by simp [reluLinesR, reluLinesOkB]
  | _ :: _, _ :: _, _ :: _, [], _ => by simp [reluLinesR, reluLinesOkB]
  | _ :: _, _ :: _, _ :: _, _ :: _, [] => by simp [reluLinesR, reluLinesOkB]
  | l :: ls, h :: hs, a :: as, s :: ss, c :: cs => by
    show (reluLineOkB M r l h a s c && reluLinesR M r ls hs as ss cs) = _
    rw [reluLinesR_eq M r ls hs as ss cs]; rfl

/-- `levelsOkB`, as the kernel evaluates it fastest (`leafFitR`). -/
@[expose] noncomputable def levelsOkR : List LayerPk → List ReluPk → List (Option IbpPk) → Bool
  | L :: Ls, R :: Rs, o :: os =>
    Nat.blt 0 L.M && Nat.beq (lenRec R.lo) (lenRec L.ws) && Nat.beq (lenRec R.hi) (lenRec L.ws) &&
      reluLinesR L.M L.r (claimLo R o) (claimHi R o) R.an R.sn R.ics &&
      levelsOkR Ls Rs os
  | [], [], [] => true
  | _, _, _ => false

theorem levelsOkR_eq : ∀ (Ps : List LayerPk) (Rs : List ReluPk) (os : List (Option IbpPk)),
    levelsOkR Ps Rs os = levelsOkB Ps Rs os
  | L :: Ls, R :: Rs, o :: os => by
    simp only [levelsOkR, levelsOkB, lenRec_eq, blt_eq_decide, beq_eq_beq, reluLinesR_eq, levelsOkR_eq Ls Rs os]
  | [], [], [] => rfl
  | [], [], _ :: _ => rfl
  | [], _ :: _, _ => rfl
  | _ :: _, [], _ => rfl
  | _ :: _, _ :: _, [] => rfl

/-- Every level's IBP box checks. Kept apart from `levelsOkB` so that a leaf checks it in a
declaration of its own: the kernel's memory for one declaration is bounded on the wasm worker. -/
@[expose] noncomputable def ibpsOkB : List LayerPk → List ReluPk → List (Option IbpPk) → Bool
  | L :: Ls, R :: Rs, o :: os => ibpOkB L R o Ls Rs os && ibpsOkB Ls Rs os
  | _, _, _ => true

/-- At `x`, the top level's pre-activation lies in its claimed box. -/
@[expose] def ClaimAt : List Dense → List LayerPk → List ReluPk → List (Option IbpPk) → Dense → List Rat → Prop
  | _ :: Ds, L :: _, R :: _, o :: _, D1, x => Box.Mem (reluBox L.M (claimLo R o) (claimHi R o)) (topPre Ds D1 x)
  | _, _, _, _, _, _ => True

/-- **A checked IBP step proves the claimed box** of its level, given the claimed box of the level
below and the CROWN box. -/
theorem claim_of_ibp {d : Nat} {L L' : LayerPk} {R R' : ReluPk} {o' : Option IbpPk} {I : IbpPk} {D' : Dense}
    (hD' : Describes D' L' d) (hM : 0 < L.M) (hlo : R.lo.length = d) (hstep : ibpStepOkB L L' R R' o' I = true)
    {z' : List Rat} (hz' : Box.Mem (reluBox L'.M (claimLo R' o') (claimHi R' o')) z')
    (hbox : Box.Mem (reluBox L.M R.lo R.hi) (preAct D' (z'.map (Act.eval .relu)))) :
    Box.Mem (reluBox L.M (claimLo R (some I)) (claimHi R (some I))) (preAct D' (z'.map (Act.eval .relu))) := by
  simp only [ibpStepOkB, Bool.and_eq_true, beq_iff_eq, decide_eq_true_eq] at hstep
  obtain ⟨⟨⟨⟨hIl, hcl⟩, hch⟩, hM'⟩, hends⟩ := hstep
  have hI := ibp_box hD' hM' hcl hch hM (hIl.trans hlo) hends hz'
  exact mem_meet _ _ _ _ _ hbox hI

/-- **Checked levels make every line hold**: at every input of the box, by induction from the
first hidden layer up, each layer's pre-activation lies in its CROWN box (its joining passes), in
its IBP box where it has one (`claim_of_ibp`), so in the claimed box, and its lines hold there. -/
theorem linesAt_of_levels {B K : Nat} {lm : List Nat} {lg : List Bool} :
    ∀ (Ps : List LayerPk) (Rs : List ReluPk) (os : List (Option IbpPk)) (Ds : List Dense) (D1 : Dense) (F : ClosePk)
      (β m : Nat), NetIs Ds (Ps.zip Rs) D1 F m → netFitB B β m Ps F.L = true → CloseIs F K lm lg →
    EntriesHold (Ps.zip Rs) F → levelsOkB Ps Rs os = true → ibpsOkB Ps Rs os = true →
    ∀ {x : List Rat}, Box.Mem (closeBox F K lm lg) x → LinesAt Ds (Ps.zip Rs) D1 x ∧ ClaimAt Ds Ps Rs os D1 x
  | [], [], [], [], _, _, _, _, _, _, _, _, _, _, _, _ => ⟨trivial, trivial⟩
  | L :: Ps, R :: Rs, o :: os, D :: Ds, D1, F, β, m, hnet, hfit, hclose, hent, hok, hibps, x, hx => by
    obtain ⟨_, _, _, _, hrest⟩ := hnet
    simp only [levelsOkB, Bool.and_eq_true, beq_iff_eq, decide_eq_true_eq] at hok
    obtain ⟨⟨⟨⟨hM, hlo⟩, hhi⟩, hval⟩, hok'⟩ := hok
    simp only [ibpsOkB, Bool.and_eq_true] at hibps
    obtain ⟨hibp, hibps'⟩ := hibps
    obtain ⟨_, _, _, _, _, _, _, hfit'⟩ := netFit_cons hfit
    simp only [List.zip_cons_cons, EntriesHold] at hent
    obtain ⟨ihL, ihC⟩ := linesAt_of_levels Ps Rs os Ds D1 F L.β2 L.ws.length hrest hfit' hclose hent.2 hok' hibps' hx
    have hbox := box_of_entries hrest hclose hx ihL hM hlo hhi (by rw [← hlo]; exact hent.1)
    have hclaim : Box.Mem (reluBox L.M (claimLo R o) (claimHi R o)) (topPre Ds D1 x) := by
      cases o with
      | none => exact hbox
      | some I =>
        cases Ps with
        | nil => simp [ibpOkB] at hibp
        | cons L' Ps' =>
          cases Rs with
          | nil => simp [ibpOkB] at hibp
          | cons R' Rs' =>
            cases os with
            | nil => simp [ibpOkB] at hibp
            | cons o' os' =>
              cases Ds with
              | nil => simp [NetIs] at hrest
              | cons D' Ds' =>
                simp only [ibpOkB] at hibp
                have hD' : Describes D' L' L.ws.length := hrest.1
                exact claim_of_ibp hD' hM hlo hibp ihC hbox
    exact ⟨⟨lines_of_valid .relu _ _ _ (validAll_of_reluLinesOkB hM _ _ _ _ _ hval) hclaim, ihL⟩, hclaim⟩
  | [], [], [], _ :: _, _, _, _, _, hnet, _, _, _, _, _, _, _ => by simp [NetIs] at hnet
  | _ :: _, _ :: _, _ :: _, [], _, _, _, _, hnet, _, _, _, _, _, _, _ => by simp [List.zip_cons_cons, NetIs] at hnet
  | [], _ :: _, _, _, _, _, _, _, _, _, _, _, hok, _, _, _ => by simp [levelsOkB] at hok
  | [], [], _ :: _, _, _, _, _, _, _, _, _, _, hok, _, _, _ => by simp [levelsOkB] at hok
  | _ :: _, [], _, _, _, _, _, _, _, _, _, _, hok, _, _, _ => by simp [levelsOkB] at hok
  | _ :: _, _ :: _, [], _, _, _, _, _, _, _, _, _, hok, _, _, _ => by simp [levelsOkB] at hok

end TorchLean.Cert
