module

public import TorchLean.Bounds.CrownPass
public import TorchLean.Num.PackedSplit

/-! # The packed CROWN step: every pass of a batch through one layer at once

A packed checker holds, for each neuron of a layer, one `Nat` with a field per backward pass
(`pk`). It also holds one more such `Nat` for the passes' constants. Each operation here acts on
all passes at once, and each theorem says which integer it leaves in every pass's field. Those
integers are the ones `CrownPass` reads as rationals:
- `crossCols_pk`: a layer's weights, column by column, divided by `2^q` rounding down. The
  constant crosses as one more neuron, whose column is the bias followed by `Ω`;
- `relaxCols_pk`: the ReLU lines of every neuron;
- `relaxConstPk_pk`: the constant after the lines, `2^r · C − Σ ic · |z⁻|`;
- `closePk_pk`: the lower end over the input box, which `allNonneg` then compares with zero.

The hypotheses are static: powers of two that bound every field, given bounds on the entries.
They hold for every leaf of a network once its widths are chosen, so a checker decides them
once per network, not per batch.
-/

public section

namespace TorchLean.Bounds

open TorchLean.Num

/-- A batch: the passes `v`, pass `p` holding the entry `e p` with bias `2^β`, in fields of `B`
bits. -/
@[expose] noncomputable def pk {α : Type} (B β : Nat) (v : List α) (e : α → Int) : Nat :=
  packN B (v.map (fun p => biased β (e p)))

/-- Every entry of every neuron's batch is covered by the bias `2^β`. -/
@[expose] def AllIn {α : Type} (β : Nat) (v : List α) (es : List (α → Int)) : Prop :=
  ∀ p ∈ v, ∀ e ∈ es, InBias β (e p)

/-- A quotient by `2^q` of a number covered by `2^E` is covered by `2^(E-q)`. -/
theorem inBias_ediv {E q : Nat} (hq : q ≤ E) {x : Int} (hlo : -((2 ^ E : Nat) : Int) ≤ x)
    (hhi : x < ((2 ^ E : Nat) : Int)) : InBias (E - q) (x / ((2 ^ q : Nat) : Int)) := by
  have hE : ((2 ^ E : Nat) : Int) = ((2 ^ (E - q) : Nat) : Int) * ((2 ^ q : Nat) : Int) := by
    rw [← Int.natCast_mul, ← Nat.pow_add, Nat.sub_add_cancel hq]
  have hpos : (0 : Int) < ((2 ^ q : Nat) : Int) := by have := Nat.two_pow_pos q; omega
  rw [hE] at hlo hhi
  refine ⟨Int.le_ediv_of_mul_le hpos ?_, Int.ediv_lt_of_lt_mul hpos hhi⟩
  rw [Int.neg_mul]
  exact hlo

/-! ## A layer's weights -/

/-- Per pass, each column `(w, s)` (magnitudes, signs) applied to the pass's entries and divided
by `2^q`, rounding down. -/
@[expose] noncomputable def colFns {α : Type} (q : Nat) (es : List (α → Int)) :
    List (List Nat) → List (List Bool) → List (α → Int)
  | w :: ws, s :: ss => (fun p => signedDot w s (es.map (· p)) / ((2 ^ q : Nat) : Int)) :: colFns q es ws ss
  | _, _ => []

/-- Each neuron of the layer below as `layerOut` of one column: the batches `Ys` and their
mirrors `Ms`, a column's magnitudes, signs and magnitude sum. -/
@[expose] noncomputable def crossCols (B n β E q : Nat) (Ys Ms : List Nat) :
    List (List Nat) → List (List Bool) → List Nat → List Nat
  | w :: ws, s :: ss, A :: As => layerOut B n β E q A w s Ys Ms :: crossCols B n β E q Ys Ms ws ss As
  | _, _, _ => []

/-- The static conditions on a layer's columns: each magnitude sum is the column's, `2^β` times
it stays below `2^E`, and every column has one weight per neuron of the `m` above. -/
@[expose] def ColsFit (β E m : Nat) : List (List Nat) → List (List Bool) → List Nat → Prop
  | w :: ws, s :: ss, A :: As => w.sum = A ∧ 2 ^ β * A < 2 ^ E ∧ w.length = m ∧ s.length = m ∧ ColsFit β E m ws ss As
  | [], [], [] => True
  | _, _, _ => False

/-- The batches' mirrors are the mirrored entries. -/
theorem mirrors_pk {α : Type} (B β : Nat) (v : List α) (es : List (α → Int)) (hin : AllIn β v es) :
    es.map (fun e => mirror B β v.length (pk B β v e)) =
      es.map (fun e => packN B (v.map (fun p => 2 ^ (β + 1) - biased β (e p)))) := by
  apply List.map_congr_left
  intro e he
  exact mirror_biased B β v e (fun p hp => hin p hp e he)

/-- A column over covered entries is covered by `2^E`, both ways. -/
theorem signedDot_range {β E : Nat} {w : List Nat} {s : List Bool} {ys : List Int} (hys : ∀ y ∈ ys, InBias β y)
    (hA : 2 ^ β * w.sum < 2 ^ E) :
    -((2 ^ E : Nat) : Int) ≤ signedDot w s ys ∧ signedDot w s ys < ((2 ^ E : Nat) : Int) := by
  have h1 := signedDot_le β w s ys hys
  have h2 := le_signedDot β w s ys hys
  omega

/-- **`crossCols` applies every column to every pass**: the batch of output neuron `i` holds, per
pass, column `i` applied to the pass's entries and divided by `2^q` rounding down, with bias
`2^(E-q)`. -/
theorem crossCols_pk {α : Type} {B β E q : Nat} (hq : q ≤ E) (hB : E + 1 ≤ B) (v : List α)
    (es : List (α → Int)) (hin : AllIn β v es) :
    ∀ (ws : List (List Nat)) (ss : List (List Bool)) (As : List Nat), ColsFit β E es.length ws ss As →
      crossCols B v.length β E q (es.map (pk B β v)) (es.map (fun e => mirror B β v.length (pk B β v e))) ws ss As =
        (colFns q es ws ss).map (pk B (E - q) v)
  | w :: ws, s :: ss, A :: As, ⟨hsum, hA, hw, hs, hrest⟩ => by
    simp only [crossCols, colFns, List.map_cons]
    rw [crossCols_pk hq hB v es hin ws ss As hrest, mirrors_pk B β v es hin]
    congr 1
    unfold pk
    apply layerOut_biased v es w s hsum hq hB (Nat.le_of_lt hA) (hw.trans hs.symm) hs (fun p hp e he => hin p hp e he)
    intro p hp
    have hys : ∀ y ∈ es.map (· p), InBias β y := by
      intro y hy
      obtain ⟨e, he, rfl⟩ := List.mem_map.mp hy
      exact hin p hp e he
    exact (signedDot_range hys (hsum ▸ hA)).2
  | [], [], [], _ => rfl
  | [], [], _ :: _, h => by simp [ColsFit] at h
  | [], _ :: _, _, h => by simp [ColsFit] at h
  | _ :: _, [], _, h => by simp [ColsFit] at h
  | _ :: _, _ :: _, [], h => by simp [ColsFit] at h

/-- The layer's outputs are covered by `2^(E-q)`, ready for the next step. -/
theorem colFns_allIn {α : Type} {β E q : Nat} (hq : q ≤ E) (v : List α) (es : List (α → Int)) (hin : AllIn β v es) :
    ∀ (ws : List (List Nat)) (ss : List (List Bool)) (As : List Nat), ColsFit β E es.length ws ss As →
      AllIn (E - q) v (colFns q es ws ss)
  | w :: ws, s :: ss, A :: As, ⟨hsum, hA, _, _, hrest⟩ => by
    intro p hp f hf
    simp only [colFns, List.mem_cons] at hf
    rcases hf with rfl | hf
    · have hys : ∀ y ∈ es.map (· p), InBias β y := by
        intro y hy
        obtain ⟨e, he, rfl⟩ := List.mem_map.mp hy
        exact hin p hp e he
      have hr := signedDot_range (s := s) hys (hsum ▸ hA)
      exact inBias_ediv hq hr.1 hr.2
    · exact colFns_allIn hq v es hin ws ss As hrest p hp f hf
  | [], _, _, _ => by intro p _ f hf; simp [colFns] at hf
  | _ :: _, [], _, _ => by intro p _ f hf; simp [colFns] at hf
  | _ :: _, _ :: _, [], h => by simp [ColsFit] at h

/-! ## Dead neurons

A neuron whose lines are both zero, with no intercept (a ReLU inactive on the whole box), gives
every pass a zero entry whatever its column holds. A run need not cross its column: `crossColsS`
gives it the zero batch instead, which saves one row of the layer's weights per dead neuron. -/

/-- Per neuron, whether its lines are dead: both slopes zero and no intercept. -/
@[expose] def deadList : List Nat → List Nat → List Nat → List Bool
  | a :: an, s :: sn, ics => (a == 0 && s == 0 && ics.headD 0 == 0) :: deadList an sn ics.tail
  | _, _, _ => []

/-- `colFns` with a dead neuron's column replaced by zero. -/
@[expose] noncomputable def colFnsS {α : Type} (q : Nat) (es : List (α → Int)) :
    List (List Nat) → List (List Bool) → List Bool → List (α → Int)
  | w :: ws, s :: ss, ds =>
    (if ds.headD false = true then fun _ => 0 else fun p => signedDot w s (es.map (· p)) / ((2 ^ q : Nat) : Int)) ::
      colFnsS q es ws ss ds.tail
  | _, _, _ => []

/-- `crossCols`, giving a dead neuron the batch `Z` instead of crossing its column. -/
@[expose] noncomputable def crossColsS (B n β E q : Nat) (Ys Ms : List Nat) (Z : Nat) :
    List (List Nat) → List (List Bool) → List Nat → List Bool → List Nat
  | w :: ws, s :: ss, A :: As, ds =>
    (if ds.headD false = true then Z else layerOut B n β E q A w s Ys Ms) :: crossColsS B n β E q Ys Ms Z ws ss As ds.tail
  | _, _, _, _ => []

/-- `crossColsS` with no dead neuron is `crossCols`. -/
theorem crossColsS_nil (B n β E q : Nat) (Ys Ms : List Nat) (Z : Nat) :
    ∀ (ws : List (List Nat)) (ss : List (List Bool)) (As : List Nat),
      crossColsS B n β E q Ys Ms Z ws ss As [] = crossCols B n β E q Ys Ms ws ss As
  | w :: ws, s :: ss, A :: As => by
    simp only [crossColsS, crossCols, List.headD_nil, List.tail_nil, Bool.false_eq_true, if_false,
      crossColsS_nil B n β E q Ys Ms Z ws ss As]
  | [], _, _ => by simp [crossColsS, crossCols]
  | _ :: _, [], _ => by simp [crossColsS, crossCols]
  | _ :: _, _ :: _, [] => by simp [crossColsS, crossCols]

/-- A covered batch is at most its mirrors' constant `2^(β+1)` in every field. -/
theorem pk_le_top {α : Type} (B β : Nat) (v : List α) (e : α → Int) (hv : ∀ p ∈ v, InBias β (e p)) :
    pk B β v e ≤ 2 ^ (β + 1) * splat B 1 v.length := by
  unfold pk
  rw [splat_eq_map, mul_packN_map]
  apply packN_map_le
  intro p hp
  have := biased_lt (hv p hp)
  simp only [Nat.mul_one]
  omega

/-- `crossColsS` with every column split by sign (`layerOutP`): the batches `Ys`, their mirrors'
constant `C` once, no mirror. -/
@[expose] noncomputable def crossColsP (B n β E q : Nat) (Ys : List Nat) (C Z : Nat) :
    List (List Nat) → List (List Nat) → List Nat → List Nat → List Bool → List Nat
  | wp :: wps, wn :: wns, ns :: nss, A :: As, ds =>
    (if ds.headD false = true then Z else layerOutP B n β E q A wp wn ns C Ys) ::
      crossColsP B n β E q Ys C Z wps wns nss As ds.tail
  | _, _, _, _, _ => []

/-- **The split crossing is the mirrored one**, on batches at most the mirrors' constant. -/
theorem crossColsP_eq {B n β E q m : Nat} {Ys : List Nat} {Z : Nat}
    (hY : ∀ Y ∈ Ys, Y ≤ 2 ^ (β + 1) * splat B 1 n) (hm : Ys.length = m) :
    ∀ (ws : List (List Nat)) (ss : List (List Bool)) (As : List Nat) (ds : List Bool), ColsFit β E m ws ss As →
      crossColsP B n β E q Ys (2 ^ (β + 1) * splat B 1 n) Z (List.zipWith posPart ws ss)
          (List.zipWith negPart ws ss) ((List.zipWith negPart ws ss).map List.sum) As ds =
        crossColsS B n β E q Ys (Ys.map (mirror B β n)) Z ws ss As ds
  | w :: ws, s :: ss, A :: As, ds, h => by
    obtain ⟨_, _, hw, hs, hrest⟩ := h
    simp only [List.zipWith_cons_cons, List.map_cons, crossColsP, crossColsS]
    rw [crossColsP_eq hY hm ws ss As ds.tail hrest, layerOutP_eq hY (hs.trans hw.symm) (hm.trans hw.symm)]
  | [], [], [], _, _ => by simp [crossColsP, crossColsS]
  | [], _ :: _, _, _, h => by simp [ColsFit] at h
  | _ :: _, [], _, _, h => by simp [ColsFit] at h
  | [], [], _ :: _, _, h => by simp [ColsFit] at h
  | _ :: _, _ :: _, [], _, h => by simp [ColsFit] at h

/-- The zero batch: `2^b` in every field. -/
theorem pk_zero {α : Type} (B b : Nat) (v : List α) : pk B b v (fun _ => 0) = 2 ^ b * splat B 1 v.length := by
  unfold pk
  rw [splat_eq_map, mul_packN, List.map_map]
  congr 1

/-- **`crossColsS` crosses the live columns and zeroes the dead ones.** -/
theorem crossColsS_pk {α : Type} {B β E q : Nat} (hq : q ≤ E) (hB : E + 1 ≤ B) (v : List α)
    (es : List (α → Int)) (hin : AllIn β v es) :
    ∀ (ws : List (List Nat)) (ss : List (List Bool)) (As : List Nat) (ds : List Bool), ColsFit β E es.length ws ss As →
      crossColsS B v.length β E q (es.map (pk B β v)) (es.map (fun e => mirror B β v.length (pk B β v e)))
          (2 ^ (E - q) * splat B 1 v.length) ws ss As ds =
        (colFnsS q es ws ss ds).map (pk B (E - q) v)
  | w :: ws, s :: ss, A :: As, ds, ⟨hsum, hA, hw, hs, hrest⟩ => by
    simp only [crossColsS, colFnsS, List.map_cons]
    rw [crossColsS_pk hq hB v es hin ws ss As ds.tail hrest]
    congr 1
    split
    · exact (pk_zero B (E - q) v).symm
    · have h1 := crossCols_pk hq hB v es hin [w] [s] [A] ⟨hsum, hA, hw, hs, trivial⟩
      simpa [crossCols, colFns] using h1
  | [], [], [], _, _ => rfl
  | [], [], _ :: _, _, h => by simp [ColsFit] at h
  | [], _ :: _, _, _, h => by simp [ColsFit] at h
  | _ :: _, [], _, _, h => by simp [ColsFit] at h
  | _ :: _, _ :: _, [], _, h => by simp [ColsFit] at h

/-- The live columns' entries are covered as `colFns_allIn` says, the dead ones are zero. -/
theorem colFnsS_allIn {α : Type} {β E q : Nat} (hq : q ≤ E) (v : List α) (es : List (α → Int)) (hin : AllIn β v es) :
    ∀ (ws : List (List Nat)) (ss : List (List Bool)) (As : List Nat) (ds : List Bool), ColsFit β E es.length ws ss As →
      AllIn (E - q) v (colFnsS q es ws ss ds)
  | w :: ws, s :: ss, A :: As, ds, ⟨hsum, hA, hw, hs, hrest⟩ => by
    intro p hp f hf
    simp only [colFnsS, List.mem_cons] at hf
    rcases hf with rfl | hf
    · split
      · show InBias (E - q) 0
        unfold InBias; have := Nat.two_pow_pos (E - q); omega
      · exact colFns_allIn hq v es hin [w] [s] [A] ⟨hsum, hA, hw, hs, trivial⟩ p hp
          (fun p => signedDot w s (es.map (· p)) / ((2 ^ q : Nat) : Int)) (by simp [colFns])
    · exact colFnsS_allIn hq v es hin ws ss As ds.tail hrest p hp f hf
  | [], _, _, _, _ => by intro p _ f hf; simp [colFnsS] at hf
  | _ :: _, [], _, _, _ => by intro p _ f hf; simp [colFnsS] at hf
  | _ :: _, _ :: _, [], _, h => by simp [ColsFit] at h

/-- `colFnsS` has one function per column. -/
theorem length_colFnsS {α : Type} (q : Nat) (es : List (α → Int)) :
    ∀ (ws : List (List Nat)) (ss : List (List Bool)) (ds : List Bool), ws.length = ss.length →
      (colFnsS q es ws ss ds).length = ws.length
  | _ :: ws, _ :: ss, ds, h => by simp [colFnsS, length_colFnsS q es ws ss ds.tail (by simpa using h)]
  | [], [], _, _ => rfl
  | [], _ :: _, _, h => by simp at h
  | _ :: _, [], _, h => by simp at h

/-! ## The ReLU lines -/

/-- Per pass, each neuron's entry through its lines: `an · z` where `z ≥ 0`, `sn · z` elsewhere. -/
@[expose] noncomputable def relaxFns {α : Type} : List (α → Int) → List Nat → List Nat → List (α → Int)
  | e :: es, a :: as, s :: ss => (fun p => if 0 ≤ e p then (a : Int) * e p else (s : Int) * e p) :: relaxFns es as ss
  | _, _, _ => []

/-- `2^r` times a covered entry's field is the scaled entry's field at bias `2^(β+r)`. -/
theorem two_pow_mul_biased {β r : Nat} {x : Int} (hx : InBias β x) :
    2 ^ r * biased β x = biased (β + r) (((2 ^ r : Nat) : Int) * x) := by
  unfold InBias at hx
  unfold biased
  rw [Nat.pow_add]
  have hP : (0 : Int) ≤ x + ((2 ^ β : Nat) : Int) := by omega
  have e1 : ((x + ((2 ^ β : Nat) : Int)).toNat : Int) = x + ((2 ^ β : Nat) : Int) := Int.toNat_of_nonneg hP
  have key : ((2 ^ r * (x + ((2 ^ β : Nat) : Int)).toNat : Nat) : Int) =
      ((2 ^ r : Nat) : Int) * x + ((2 ^ β * 2 ^ r : Nat) : Int) := by
    rw [Int.natCast_mul, e1, Int.natCast_mul, Int.mul_add, Int.mul_comm ((2 ^ r : Nat) : Int) ((2 ^ β : Nat) : Int)]
  rw [← key, Int.toNat_natCast]

/-- Every neuron's batch through its lines (`relaxFields`), moved to the bias `2^β2`. Two
common cases take a shortcut: lines both zero (an inactive ReLU) give the zero batch, lines both
the identity (an active one) multiply the batch by `2^r`. -/
@[expose] noncomputable def relaxCols (B n β r β2 : Nat) : List Nat → List Nat → List Nat → List Nat
  | Y :: Ys, a :: as, s :: ss =>
    (if a == 0 && s == 0 then 2 ^ β2 * splat B 1 n
     else if a == 2 ^ r && s == 2 ^ r then rebias B (β + r) β2 n (2 ^ r * Y)
     else rebias B (β + r) β2 n (relaxFields B β r n a s Y)) :: relaxCols B n β r β2 Ys as ss
  | _, _, _ => []

/-- Slopes are integers over `2^r` in `[0, 1]`. -/
@[expose] def SlopesFit (r : Nat) (an sn : List Nat) : Prop := (∀ a ∈ an, a ≤ 2 ^ r) ∧ ∀ s ∈ sn, s ≤ 2 ^ r

/-- **`relaxCols` applies every neuron's lines to every pass.** -/
theorem relaxCols_pk {α : Type} {B β r β2 : Nat} (hB : β + r + 2 ≤ B) (hr : β + r ≤ β2) (v : List α) :
    ∀ (es : List (α → Int)) (an sn : List Nat), AllIn β v es → SlopesFit r an sn →
      relaxCols B v.length β r β2 (es.map (pk B β v)) an sn = (relaxFns es an sn).map (pk B β2 v)
  | e :: es, a :: as, s :: ss, hin, ⟨ha, hs⟩ => by
    simp only [List.map_cons, relaxCols, relaxFns]
    rw [relaxCols_pk hB hr v es as ss (fun p hp f hf => hin p hp f (by simp [hf]))
      ⟨fun x hx => ha x (by simp [hx]), fun x hx => hs x (by simp [hx])⟩]
    congr 1
    have hv : ∀ p ∈ v, InBias β (e p) := fun p hp => hin p hp e (by simp)
    split
    · next hz =>
      simp only [Bool.and_eq_true, beq_iff_eq] at hz
      obtain ⟨rfl, rfl⟩ := hz
      rw [← pk_zero]
      congr 1
      funext p
      simp
    · split
      · next _ h2 =>
        simp only [Bool.and_eq_true, beq_iff_eq] at h2
        obtain ⟨rfl, rfl⟩ := h2
        have hmul : 2 ^ r * pk B β v e = packN B (v.map (fun p => biased (β + r) (((2 ^ r : Nat) : Int) * e p))) := by
          unfold pk
          rw [mul_packN, List.map_map]
          congr 1
          apply List.map_congr_left
          intro p hp
          exact two_pow_mul_biased (hv p hp)
        have hin' : ∀ p ∈ v, InBias (β + r) (((2 ^ r : Nat) : Int) * e p) := by
          intro p hp
          have h := relax_inBias (an := 2 ^ r) (sn := 2 ^ r) (Nat.le_refl _) (Nat.le_refl _) (hv p hp)
          split at h <;> exact h
        rw [hmul, rebias_biased hr v _ hin']
        unfold pk
        congr 1
        apply List.map_congr_left
        intro p _
        show _ = biased β2 (if 0 ≤ e p then _ else _)
        split <;> rfl
      · unfold pk
        have h1 := relaxFields_biased (an := a) hB (hs s (by simp)) (v.map e) (by
          intro x hx; obtain ⟨p, hp, rfl⟩ := List.mem_map.mp hx; exact hv p hp)
        simp only [List.map_map, List.length_map, Function.comp_def] at h1
        rw [h1]
        exact rebias_biased hr v _ (fun p hp => relax_inBias (ha a (by simp)) (hs s (by simp)) (hv p hp))
  | [], _, _, _, _ => rfl
  | _ :: _, [], _, _, _ => rfl
  | _ :: _, _ :: _, [], _, _ => rfl

/-- The lines keep the entries covered, at the wider bias. -/
theorem relaxFns_allIn {α : Type} {β r β2 : Nat} (hr : β + r ≤ β2) (v : List α) :
    ∀ (es : List (α → Int)) (an sn : List Nat), AllIn β v es → SlopesFit r an sn → AllIn β2 v (relaxFns es an sn)
  | e :: es, a :: as, s :: ss, hin, ⟨ha, hs⟩ => by
    intro p hp f hf
    simp only [relaxFns, List.mem_cons] at hf
    rcases hf with rfl | hf
    · exact inBias_mono hr (relax_inBias (ha a (by simp)) (hs s (by simp)) (hin p hp e (by simp)))
    · exact relaxFns_allIn hr v es as ss (fun p hp f hf => hin p hp f (by simp [hf]))
        ⟨fun x hx => ha x (by simp [hx]), fun x hx => hs x (by simp [hx])⟩ p hp f hf
  | [], _, _, _, _ => by intro p _ f hf; simp [relaxFns] at hf
  | _ :: _, [], _, _, _ => by intro p _ f hf; simp [relaxFns] at hf
  | _ :: _, _ :: _, [], _, _ => by intro p _ f hf; simp [relaxFns] at hf

/-- Per pass, the magnitudes of the negative entries, one per neuron. -/
@[expose] noncomputable def negs {α : Type} (es : List (α → Int)) (p : α) : List Nat := es.map (fun e => (-(e p)).toNat)

/-- The constant after the lines: `2^r` times the constant, at the bias `2^β2`, minus the upper
lines' intercepts `ics` times the negative entries' magnitudes (`negFields`). -/
@[expose] noncomputable def relaxConstPk (B n β r β2 : Nat) (ics Ys : List Nat) (Yc : Nat) : Nat :=
  rebias B (β + r) β2 n (2 ^ r * Yc) -
    rowDot ics (List.replicate ics.length false) (Ys.map (negFields B β n)) (Ys.map (negFields B β n))

/-- The constant after the lines stays covered: `2^r · C` within `2^(β+r)`, minus at most
`2^β · Σ ic`, within `2^β2`. -/
theorem relaxConst_inBias {β r β2 : Nat} (ics xs : List Nat) {C : Int} (hC : InBias β C)
    (hxs : ∀ x ∈ xs, x ≤ 2 ^ β) (hroom : 2 ^ (β + r) + 2 ^ β * ics.sum ≤ 2 ^ β2) :
    InBias β2 (((2 ^ r : Nat) : Int) * C - (nnDot ics xs : Int)) := by
  have hN := nnDot_le β ics xs hxs
  unfold InBias at hC ⊢
  have hpos : (0 : Int) < ((2 ^ r : Nat) : Int) := by have := Nat.two_pow_pos r; omega
  have h1 := Int.mul_le_mul_of_nonneg_left hC.1 (Int.le_of_lt hpos)
  have h2 := Int.mul_lt_mul_of_pos_left hC.2 hpos
  rw [Int.mul_neg] at h1
  have hq : ((2 ^ r : Nat) : Int) * ((2 ^ β : Nat) : Int) = ((2 ^ (β + r) : Nat) : Int) := by
    rw [← Int.natCast_mul, Nat.pow_add, Nat.mul_comm]
  have hN' : ((nnDot ics xs : Nat) : Int) ≤ ((2 ^ β * ics.sum : Nat) : Int) := by exact_mod_cast hN
  have hroom' : ((2 ^ (β + r) : Nat) : Int) + ((2 ^ β * ics.sum : Nat) : Int) ≤ ((2 ^ β2 : Nat) : Int) := by
    exact_mod_cast hroom
  constructor <;> omega

/-- **`relaxConstPk` gives every pass its constant after the lines**: `2^r · C − Σ ic · |z⁻|`, at
bias `2^β2`, when `2^(β+r) + 2^β · Σ ic ≤ 2^β2`. -/
theorem relaxConstPk_pk {α : Type} {B β r β2 : Nat} (hB : β2 + 1 ≤ B) (hr : β + r ≤ β2) (v : List α)
    (es : List (α → Int)) (ec : α → Int) (ics : List Nat) (hin : AllIn β v (ec :: es)) (hlen : ics.length ≤ es.length)
    (hroom : 2 ^ (β + r) + 2 ^ β * ics.sum ≤ 2 ^ β2) :
    relaxConstPk B v.length β r β2 ics (es.map (pk B β v)) (pk B β v ec) =
      pk B β2 v (fun p => ((2 ^ r : Nat) : Int) * ec p - (nnDot ics (negs es p) : Int)) := by
  have hβ : β + 1 ≤ B := by omega
  have hnegs : (es.map (pk B β v)).map (negFields B β v.length) =
      es.map (fun e => packN B (v.map (fun p => (-(e p)).toNat))) := by
    rw [List.map_map]
    apply List.map_congr_left
    intro e he
    have h := negFields_biased hβ (v.map e) (by
      intro x hx; obtain ⟨p, hp, rfl⟩ := List.mem_map.mp hx; exact hin p hp e (by simp [he]))
    simp only [List.map_map, List.length_map, Function.comp_def] at h
    exact h
  have hC : ∀ p ∈ v, InBias β (ec p) := fun p hp => hin p hp ec (by simp)
  unfold relaxConstPk
  rw [hnegs]
  have hrow := rowDot_packN B v ics (List.replicate ics.length false) (es.map (fun e p => (-(e p)).toNat))
    (es.map (fun e p => (-(e p)).toNat))
  simp only [List.map_map, Function.comp_def] at hrow
  rw [hrow]
  have hmul : 2 ^ r * pk B β v ec = pk B (β + r) v (fun p => ((2 ^ r : Nat) : Int) * ec p) := by
    unfold pk
    rw [mul_packN_map]
    congr 1
    apply List.map_congr_left
    intro p hp
    exact two_pow_mul_biased (hC p hp)
  rw [hmul]
  unfold pk
  rw [rebias_biased hr v _ (fun p hp => by
    have := two_pow_mul_biased (r := r) (hC p hp)
    have hx := hC p hp
    unfold InBias at hx ⊢
    rw [Nat.pow_add, Int.natCast_mul]
    have hpos : (0 : Int) < ((2 ^ r : Nat) : Int) := by have := Nat.two_pow_pos r; omega
    constructor
    · have := Int.mul_le_mul_of_nonneg_left hx.1 (Int.le_of_lt hpos)
      rw [Int.mul_neg] at this
      rw [Int.mul_comm ((2 ^ β : Nat) : Int)]
      omega
    · have := Int.mul_lt_mul_of_pos_left hx.2 hpos
      rw [Int.mul_comm ((2 ^ β : Nat) : Int)]
      omega)]
  have hrowp : ∀ p ∈ v, rowDot ics (List.replicate ics.length false) (es.map (fun e => (-(e p)).toNat))
      (es.map (fun e => (-(e p)).toNat)) = nnDot ics (negs es p) := by
    intro p _
    exact rowDot_false ics _ _ (by simpa using hlen)
  rw [show v.map (fun p => rowDot ics (List.replicate ics.length false) (es.map (fun e => (-(e p)).toNat))
      (es.map (fun e => (-(e p)).toNat))) = v.map (fun p => nnDot ics (negs es p)) from
    List.map_congr_left hrowp]
  apply subFields_biased v _ (fun p => nnDot ics (negs es p))
  intro p hp
  exact relaxConst_inBias ics (negs es p) (hC p hp) (by
    intro y hy
    simp only [negs, List.mem_map] at hy
    obtain ⟨e, he, rfl⟩ := hy
    exact neg_toNat_le (hin p hp e (by simp [he]))) hroom

/-! ## Closing over the input box -/

/-- The lower end of every pass over the input box, with bias `2^b`: the lower ends `lw`, `ls`
(magnitudes, signs, with the constant's factor `K` last) as a row over the batches and the
constant's, then the widths `wd` times the negative entries' magnitudes subtracted. -/
@[expose] noncomputable def closePk (B n β b A : Nat) (lw : List Nat) (ls : List Bool) (wd : List Nat)
    (Xs : List Nat) (Xc : Nat) : Nat :=
  layerOut B n β b 0 A lw ls (Xs ++ [Xc]) ((Xs ++ [Xc]).map (mirror B β n)) -
    rowDot wd (List.replicate wd.length false) (Xs.map (negFields B β n)) (Xs.map (negFields B β n))

/-- A pass's lower end over the box stays covered by `2^b`: the row within `2^β · A`, minus at
most `2^β · Σ wd`. -/
theorem close_inBias {β b A : Nat} (lw : List Nat) (ls : List Bool) (wd : List Nat) (ys : List Int) (xs : List Nat)
    (hys : ∀ y ∈ ys, InBias β y) (hxs : ∀ x ∈ xs, x ≤ 2 ^ β) (hsum : lw.sum = A)
    (hroom : 2 ^ β * A + 2 ^ β * wd.sum < 2 ^ b) : InBias b (signedDot lw ls ys - (nnDot wd xs : Int)) := by
  have h1 := signedDot_le β lw ls ys hys
  have h2 := le_signedDot β lw ls ys hys
  have hN := nnDot_le β wd xs hxs
  rw [hsum] at h1 h2
  have hN' : ((nnDot wd xs : Nat) : Int) ≤ ((2 ^ β * wd.sum : Nat) : Int) := by exact_mod_cast hN
  have hroom' : ((2 ^ β * A : Nat) : Int) + ((2 ^ β * wd.sum : Nat) : Int) < ((2 ^ b : Nat) : Int) := by
    exact_mod_cast hroom
  unfold InBias
  constructor <;> omega

/-- **`closePk` leaves every pass's lower end over the box**: `Σ` of the ends' row over the
pass's entries and constant, minus `Σ wd · |z⁻|`, with bias `2^b`. -/
theorem closePk_pk {α : Type} {B β b A : Nat} (hB : b + 1 ≤ B) (hβ : β + 1 ≤ B) (v : List α) (es : List (α → Int)) (ec : α → Int)
    (lw : List Nat) (ls : List Bool) (wd : List Nat) (hin : AllIn β v (es ++ [ec])) (hsum : lw.sum = A)
    (hl1 : lw.length = ls.length) (hl2 : ls.length = es.length + 1) (hwd : wd.length ≤ es.length)
    (hroom : 2 ^ β * A + 2 ^ β * wd.sum < 2 ^ b) :
    closePk B v.length β b A lw ls wd (es.map (pk B β v)) (pk B β v ec) =
      pk B b v (fun p => signedDot lw ls ((es ++ [ec]).map (· p)) - (nnDot wd (negs es p) : Int)) := by
  have hpk : es.map (pk B β v) ++ [pk B β v ec] = (es ++ [ec]).map (pk B β v) := by simp
  unfold closePk
  rw [hpk, List.map_map (f := pk B β v) (g := mirror B β v.length),
    show (mirror B β v.length ∘ pk B β v) = (fun e => mirror B β v.length (pk B β v e)) from rfl,
    mirrors_pk B β v (es ++ [ec]) hin]
  have hout := layerOut_biased (B := B) (β := β) (E := b) (q := 0) v (es ++ [ec]) lw ls hsum (Nat.zero_le _) hB
    (by omega) hl1 (by simpa using hl2) hin (by
      intro p hp
      have hys : ∀ y ∈ (es ++ [ec]).map (· p), InBias β y := by
        intro y hy
        obtain ⟨e, he, rfl⟩ := List.mem_map.mp hy
        exact hin p hp e he
      have := signedDot_le β lw ls _ hys
      rw [hsum] at this
      omega)
  unfold pk at hout ⊢
  rw [hout]
  have hnegs : (es.map (fun e => packN B (v.map (fun p => biased β (e p))))).map (negFields B β v.length) =
      es.map (fun e => packN B (v.map (fun p => (-(e p)).toNat))) := by
    rw [List.map_map]
    apply List.map_congr_left
    intro e he
    have h := negFields_biased hβ (v.map e) (by
      intro x hx; obtain ⟨p, hp, rfl⟩ := List.mem_map.mp hx; exact hin p hp e (by simp [he]))
    simp only [List.map_map, List.length_map, Function.comp_def] at h
    exact h
  rw [hnegs]
  have hrow := rowDot_packN B v wd (List.replicate wd.length false) (es.map (fun e p => (-(e p)).toNat))
    (es.map (fun e p => (-(e p)).toNat))
  simp only [List.map_map, Function.comp_def] at hrow
  rw [hrow]
  rw [show v.map (fun p => rowDot wd (List.replicate wd.length false) (es.map (fun e => (-(e p)).toNat))
      (es.map (fun e => (-(e p)).toNat))) = v.map (fun p => nnDot wd (negs es p)) from
    List.map_congr_left (fun p _ => rowDot_false wd _ _ (by simpa using hwd))]
  have hdiv : ∀ p ∈ v, biased (b - 0) (signedDot lw ls ((es ++ [ec]).map (· p)) / ((2 ^ 0 : Nat) : Int)) =
      biased b (signedDot lw ls ((es ++ [ec]).map (· p))) := by
    intro p _
    simp
  rw [List.map_congr_left hdiv]
  apply subFields_biased v _ (fun p => nnDot wd (negs es p))
  intro p hp
  exact close_inBias lw ls wd _ (negs es p) (fun y hy => by
      obtain ⟨e, he, rfl⟩ := List.mem_map.mp hy
      exact hin p hp e he)
    (by
      intro y hy
      simp only [negs, List.mem_map] at hy
      obtain ⟨e, he, rfl⟩ := hy
      exact neg_toNat_le (hin p hp e (by simp [he]))) hsum hroom

end TorchLean.Bounds
