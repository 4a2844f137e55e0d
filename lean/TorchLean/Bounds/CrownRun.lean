module

public import TorchLean.Bounds.CrownPacked

/-! # A packed CROWN run: every pass of a leaf through every layer, passes joining on the way

`runPk` pushes one batch of backward passes from the network's output down to its input box.
At each hidden layer it applies that layer's ReLU lines. It then appends two passes per neuron
of the layer, which bound the neuron's pre-activation from below and from above by the box the
lines were drawn for (`boxPasses`). At the input it closes every pass over the input box and
checks all of their lower ends with one `allNonneg`.

`runPk_sound` says what an accepted run proves, pass by pass, in integers: `finalSpec`, the
same computation for one pass, ends `≥ 0` for every pass the run started with and for every
pass that joined (`EntriesHold`). `CrownPass` reads that integer as a lower bound of the
pass's linear function of the network.

The network's columns (also split by sign, `SplitIs`), bias columns and field widths are
`LayerPk`, the same for every leaf.
A leaf's lines and boxes are `ReluPk`. `RunFit` collects the width conditions under which every
field stays in range.
-/

public section

namespace TorchLean.Bounds

open TorchLean.Num

/-- One layer's weights as the packed checker reads them, with the widths chosen for it. -/
structure LayerPk where
  /-- Per neuron of the layer below (or input): the column's weight magnitudes. -/
  ws : List (List Nat)
  /-- The column's signs (`true`: negative). -/
  ss : List (List Bool)
  /-- Each column's magnitude sum. -/
  sums : List Nat
  /-- The bias magnitudes, then `Ω`, the integer standing for 1 at the weights' scale. -/
  bw : List Nat
  /-- The bias signs, then `false`. -/
  bs : List Bool
  /-- `bw.sum`. -/
  bsum : Nat
  /-- The bias of the sums before rounding: `2^E`. -/
  E : Nat
  /-- The rounding shift: every field divided by `2^q`. -/
  q : Nat
  /-- The slopes' denominator exponent of the ReLU layer below: slopes are integers over `2^r`. -/
  r : Nat
  /-- The bias after that ReLU layer's lines. -/
  β2 : Nat
  /-- The scale of that layer's box ends: a box end `l` stands for `l / M`. -/
  M : Nat
  /-- `ws` split by sign (`SplitIs`): per column, the nonnegative weights' magnitudes, zeros elsewhere. -/
  wp : List (List Nat)
  /-- Per column, the negative weights' magnitudes, zeros elsewhere. -/
  wn : List (List Nat)
  /-- Per column, the sum of `wn`'s entries. -/
  ns : List Nat
  /-- The bias column's nonnegative part. -/
  bp : List Nat
  /-- The bias column's negative part. -/
  bn : List Nat
  /-- `bn.sum`. -/
  bns : Nat

/-- One hidden ReLU layer's lines and box for one leaf: slopes `an`, `sn` and intercepts `ics`
over `2^r`, box ends `lo`, `hi` over `M`. -/
structure ReluPk where
  /-- Lower lines' slopes. -/
  an : List Nat
  /-- Upper lines' slopes. -/
  sn : List Nat
  /-- Upper lines' intercepts. -/
  ics : List Nat
  /-- Lower box ends. -/
  lo : List Int
  /-- Upper box ends. -/
  hi : List Int

/-- The first layer, crossed without rounding, and the input box: its lower ends' magnitudes
`lw` and signs `ls` with the constant's factor last, their magnitude sum `A`, the widths `wd`, and
the bias `2^b` of the final comparison. -/
structure ClosePk where
  /-- The first layer (`q = 0`). -/
  L : LayerPk
  /-- Lower ends' magnitudes, then `K`, the integer standing for 1 at the ends' scale. -/
  lw : List Nat
  /-- Lower ends' signs, then `false`. -/
  ls : List Bool
  /-- `lw.sum`. -/
  A : Nat
  /-- The box's widths `hi - lo`, as integers at the ends' scale. -/
  wd : List Nat
  /-- The final comparison's bias exponent. -/
  b : Nat

/-- The split columns a packed run crosses (`layerOutP`) are the layer's columns. -/
@[expose] def SplitIs (L : LayerPk) : Prop :=
  L.wp = List.zipWith posPart L.ws L.ss ∧ L.wn = List.zipWith negPart L.ws L.ss ∧
    L.ns = (List.zipWith negPart L.ws L.ss).map List.sum ∧ L.bp = posPart L.bw L.bs ∧
    L.bn = negPart L.bw L.bs ∧ L.bns = (negPart L.bw L.bs).sum

/-! ## One pass, in integers -/

/-- Per column, the signed sum over one pass's entries, divided by `2^q` rounding down. -/
@[expose] noncomputable def colsAt (q : Nat) : List (List Nat) → List (List Bool) → List Int → List Int
  | w :: ws, s :: ss, ys => signedDot w s ys / ((2 ^ q : Nat) : Int) :: colsAt q ws ss ys
  | _, _, _ => []

/-- One pass through a layer: its columns, and the constant through the bias column. -/
@[expose] noncomputable def crossSpec (L : LayerPk) (ys : List Int) (yc : Int) : List Int × Int :=
  (colsAt L.q L.ws L.ss ys, signedDot L.bw L.bs (ys ++ [yc]) / ((2 ^ L.q : Nat) : Int))

/-- The negative entries' magnitudes. -/
@[expose] noncomputable def negParts (zs : List Int) : List Nat := zs.map (fun z => (-z).toNat)

/-- One pass through a ReLU layer's lines. -/
@[expose] noncomputable def relaxSpec (r : Nat) (R : ReluPk) (zs : List Int) (C : Int) : List Int × Int :=
  (relaxInt zs R.an R.sn, ((2 ^ r : Nat) : Int) * C - (nnDot R.ics (negParts zs) : Int))

/-- One pass from a layer's pre-activation down to the input box: the integer a run compares
with zero. -/
@[expose] noncomputable def finalSpec : List (LayerPk × ReluPk) → ClosePk → List Int → Int → Int
  | [], F, ys, yc =>
    signedDot F.lw F.ls ((crossSpec F.L ys yc).1 ++ [(crossSpec F.L ys yc).2]) -
      (nnDot F.wd (negParts (crossSpec F.L ys yc).1) : Int)
  | (L, R) :: rest, F, ys, yc =>
    finalSpec rest F (relaxSpec L.r R (crossSpec L ys yc).1 (crossSpec L ys yc).2).1
      (relaxSpec L.r R (crossSpec L ys yc).1 (crossSpec L ys yc).2).2

/-- `c` at neuron `j` of `d`, zero elsewhere. -/
@[expose] noncomputable def unitAt (d j : Nat) (c : Int) : List Int := (List.range d).map (fun k => if k = j then c else 0)

/-- The passes that join at a hidden layer of `d` neurons, from neuron `j` on: per neuron, `M` times
it minus its lower end, and its upper end minus `M` times it. -/
@[expose] noncomputable def boxPasses (M : Int) (d : Nat) : Nat → List Int → List Int → List (List Int × Int)
  | j, l :: ls, h :: hs => (unitAt d j M, -l) :: (unitAt d j (-M), h) :: boxPasses M d (j + 1) ls hs
  | _, _, _ => []

/-- Every pass that joins below the top ends `≥ 0`. -/
@[expose] def EntriesHold : List (LayerPk × ReluPk) → ClosePk → Prop
  | [], _ => True
  | (L, R) :: rest, F =>
    (∀ e ∈ boxPasses L.M R.lo.length 0 R.lo R.hi, 0 ≤ finalSpec rest F e.1 e.2) ∧ EntriesHold rest F

/-! ## The packed run -/

/-- The joining passes' entries at neuron `j` of a layer of `d`: `M` in field `2j`, `-M` in field
`2j+1`, zero elsewhere, with bias `2^β`. Three kernel operations; placing `M` is a shift, which the
kernel does in linear time where a product with `2^k` would be a full multiplication. -/
@[expose] noncomputable def unitBlock (B β M n j : Nat) : Nat :=
  2 ^ β * splat B 1 n + (M <<< (B * (2 * j))) - (M <<< (B * (2 * j + 1)))

/-- Every neuron's batch with its joining passes' block shifted above the running passes' `sh`
bits. -/
@[expose] noncomputable def appendUnits (B β M d sh : Nat) : Nat → List Nat → List Nat
  | _, [] => []
  | j, Z :: Zs => (Z + (unitBlock B β M (2 * d) j <<< sh)) :: appendUnits B β M d sh (j + 1) Zs

/-- The joining passes' constants: per neuron, minus its lower end, then its upper end. -/
@[expose] noncomputable def boxConsts (B β : Nat) : List Int → List Int → Nat
  | l :: ls, h :: hs => biased β (-l) + 2 ^ B * (biased β h + 2 ^ B * boxConsts B β ls hs)
  | _, _ => 0

/-- **The packed run** of `n` passes with bias `2^β`: per neuron of the current layer its batch
`Ys`, and the constants' batch `Yc`. Each column is crossed split by sign (`crossColsP`,
`layerOutP`), against the mirrors' constant `C` rather than a mirrored batch per neuron. A neuron
of the layer below whose lines are dead (`deadList`) gets the zero batch instead of a crossing of
its column. -/
@[expose] noncomputable def runPk (B : Nat) : Nat → Nat → List (LayerPk × ReluPk) → ClosePk → List Nat → Nat → Bool
  | β, n, [], F, Ys, Yc =>
    let C := 2 ^ (β + 1) * splat B 1 n
    let Xs := crossColsP B n β F.L.E 0 Ys C 0 F.L.wp F.L.wn F.L.ns F.L.sums []
    let Xc := layerOutP B n β F.L.E 0 F.L.bsum F.L.bp F.L.bn F.L.bns C (Ys ++ [Yc])
    allNonneg B F.b n (closePk B n F.L.E F.b F.A F.lw F.ls F.wd Xs Xc)
  | β, n, (L, R) :: rest, F, Ys, Yc =>
    let C := 2 ^ (β + 1) * splat B 1 n
    let Xs := crossColsP B n β L.E L.q Ys C (2 ^ (L.E - L.q) * splat B 1 n) L.wp L.wn L.ns L.sums
      (deadList R.an R.sn R.ics)
    let Xc := layerOutP B n β L.E L.q L.bsum L.bp L.bn L.bns C (Ys ++ [Yc])
    let Zs := relaxCols B n (L.E - L.q) L.r L.β2 Xs R.an R.sn
    let Zc := relaxConstPk B n (L.E - L.q) L.r L.β2 R.ics Xs Xc
    runPk B L.β2 (n + 2 * R.lo.length) rest F (appendUnits B L.β2 L.M R.lo.length (B * n) 0 Zs)
      (Zc + (boxConsts B L.β2 R.lo R.hi <<< (B * n)))

/-! ## Per pass: what each packed operation leaves -/

/-- Column by column, per pass. -/
theorem colFns_at {α : Type} (q : Nat) (es : List (α → Int)) (p : α) :
    ∀ (ws : List (List Nat)) (ss : List (List Bool)), (colFns q es ws ss).map (· p) = colsAt q ws ss (es.map (· p))
  | w :: ws, s :: ss => by simp only [colFns, colsAt, List.map_cons, colFns_at q es p ws ss]
  | [], _ => by simp [colFns, colsAt]
  | _ :: _, [] => by simp [colFns, colsAt]

/-- The lines, per pass. -/
theorem relaxFns_at {α : Type} (p : α) :
    ∀ (es : List (α → Int)) (an sn : List Nat), (relaxFns es an sn).map (· p) = relaxInt (es.map (· p)) an sn
  | e :: es, a :: as, s :: ss => by simp only [relaxFns, relaxInt, List.map_cons, relaxFns_at p es as ss]
  | [], _, _ => by simp [relaxFns, relaxInt]
  | _ :: _, [], _ => by simp [relaxFns, relaxInt]
  | _ :: _, _ :: _, [] => by simp [relaxFns, relaxInt]

/-- The negative entries' magnitudes, per pass. -/
theorem negs_at {α : Type} (es : List (α → Int)) (p : α) : negs es p = negParts (es.map (· p)) := by
  simp [negs, negParts, List.map_map, Function.comp_def]

/-- Skipping dead neurons' columns does not change what their lines give, per pass. -/
theorem relaxInt_colFnsS {α : Type} (q : Nat) (es : List (α → Int)) (p : α) :
    ∀ (ws : List (List Nat)) (ss : List (List Bool)) (an sn ics : List Nat),
      relaxInt ((colFnsS q es ws ss (deadList an sn ics)).map (· p)) an sn = relaxInt (colsAt q ws ss (es.map (· p))) an sn
  | w :: ws, s :: ss, a :: an, t :: sn, ics => by
    simp only [colFnsS, deadList, colsAt, List.map_cons, relaxInt, List.headD_cons, List.tail_cons]
    rw [relaxInt_colFnsS q es p ws ss an sn ics.tail]
    congr 1
    split
    · next h =>
      simp only [Bool.and_eq_true, beq_iff_eq] at h
      obtain ⟨⟨rfl, rfl⟩, _⟩ := h
      simp
    · rfl
  | [], _, _, _, _ => by simp [colFnsS, colsAt, relaxInt]
  | _ :: _, [], _, _, _ => by simp [colFnsS, colsAt, relaxInt]
  | _ :: _, _ :: _, [], _, _ => by simp [colFnsS, colsAt, relaxInt, deadList]
  | _ :: _, _ :: _, _ :: _, [], _ => by simp [colFnsS, colsAt, relaxInt, deadList]

/-- With no neuron marked, `colFnsS` is `colFns`. -/
theorem colFnsS_nil {α : Type} (q : Nat) (es : List (α → Int)) :
    ∀ (ws : List (List Nat)) (ss : List (List Bool)), colFnsS q es ws ss [] = colFns q es ws ss
  | _ :: ws, _ :: ss => by simp [colFnsS, colFns, colFnsS_nil q es ws ss]
  | [], _ => by simp [colFnsS, colFns]
  | _ :: _, [] => by simp [colFnsS, colFns]

/-- Skipping dead neurons' columns does not change the intercepts' term, per pass: a dead neuron's
intercept is zero. -/
theorem nnDot_colFnsS {α : Type} (q : Nat) (es : List (α → Int)) (p : α) :
    ∀ (ws : List (List Nat)) (ss : List (List Bool)) (an sn ics : List Nat),
      nnDot ics (negs (colFnsS q es ws ss (deadList an sn ics)) p) = nnDot ics (negParts (colsAt q ws ss (es.map (· p))))
  | w :: ws, s :: ss, a :: an, t :: sn, c :: ics => by
    simp only [colFnsS, deadList, colsAt, negs, negParts, List.map_cons, nnDot, List.headD_cons, List.tail_cons]
    have ih := nnDot_colFnsS q es p ws ss an sn ics
    simp only [negs, negParts] at ih
    rw [ih]
    congr 1
    split
    · next h =>
      simp only [Bool.and_eq_true, beq_iff_eq] at h
      rw [h.2]; simp
    · rfl
  | _ :: _, _ :: _, _ :: _, _ :: _, [] => by simp [nnDot]
  | [], _, _, _, _ => by simp [colFnsS, colsAt, negs, negParts, nnDot]
  | _ :: _, [], _, _, _ => by simp [colFnsS, colsAt, negs, negParts, nnDot]
  | w :: ws, s :: ss, [], _, ics => by
    simp only [deadList]; rw [colFnsS_nil, negs_at, colFns_at]
  | w :: ws, s :: ss, _ :: _, [], ics => by
    simp only [deadList]; rw [colFnsS_nil, negs_at, colFns_at]

/-- **A joined batch**: the running passes' fields, then the joining passes' above them. -/
theorem pk_append {α γ : Type} (B β : Nat) (v : List α) (w : List γ) (f : α → Int) (g : γ → Int) :
    pk B β (v.map Sum.inl ++ w.map Sum.inr) (Sum.elim f g) = pk B β v f + 2 ^ (B * v.length) * pk B β w g := by
  unfold pk
  rw [List.map_append, packN_append]
  simp [List.map_map, Function.comp_def]

/-- Two joining passes per neuron. -/
theorem length_boxPasses (M : Int) (d : Nat) : ∀ (j : Nat) (lo hi : List Int), lo.length = hi.length →
    (boxPasses M d j lo hi).length = 2 * lo.length
  | j, l :: ls, h :: hs, hl => by
    simp only [boxPasses, List.length_cons]
    rw [length_boxPasses M d (j + 1) ls hs (by simpa using hl)]
    omega
  | _, [], [], _ => rfl
  | _, [], _ :: _, hl => by simp at hl
  | _, _ :: _, [], hl => by simp at hl

/-- **`boxConsts` packs the joining passes' constants.** -/
theorem boxConsts_pk (B β : Nat) (M : Int) (d : Nat) : ∀ (j : Nat) (lo hi : List Int),
    boxConsts B β lo hi = pk B β (boxPasses M d j lo hi) (fun e => e.2)
  | j, l :: ls, h :: hs => by
    simp only [boxConsts, boxPasses, pk, List.map_cons, packN]
    rw [boxConsts_pk B β M d (j + 1) ls hs]
    rfl
  | _, [], _ => by simp [boxConsts, boxPasses, pk, packN]
  | _, _ :: _, [] => by simp [boxConsts, boxPasses, pk, packN]

/-- Entry `k` of a unit vector. -/
theorem getD_unitAt {d j k : Nat} (hk : k < d) (c : Int) : (unitAt d j c).getD k 0 = if k = j then c else 0 := by
  simp [unitAt, List.getD_eq_getElem?_getD, hk]

/-- Two more fields of ones. -/
theorem splat_two_more (B n : Nat) : splat B 1 (2 * (n + 1)) = 1 + 2 ^ B * (1 + 2 ^ B * splat B 1 (2 * n)) := by
  simp only [splat_eq_packN, show 2 * (n + 1) = 2 * n + 1 + 1 by omega, List.replicate_succ, packN]

/-- The joining passes' entries at neuron `k`, from neuron `j0` on, as an integer: `2^β` in every
field, plus `M` and minus `M` in the two fields of neuron `k` if it is among them. -/
theorem unit_fields (B β M d : Nat) (hM : M < 2 ^ β) {k : Nat} (hk : k < d) : ∀ (j0 : Nat) (lo hi : List Int),
    lo.length = hi.length →
    ((pk B β (boxPasses M d j0 lo hi) (fun e => e.1.getD k 0) : Nat) : Int) =
      ((2 ^ β * splat B 1 (2 * lo.length) : Nat) : Int) +
        (if j0 ≤ k ∧ k < j0 + lo.length then
          (M : Int) * (((2 ^ (B * (2 * (k - j0))) : Nat) : Int) - ((2 ^ (B * (2 * (k - j0)) + B) : Nat) : Int))
        else 0)
  | j0, l :: ls, h :: hs, hl => by
    have ih := unit_fields B β M d hM hk (j0 + 1) ls hs (by simpa using hl)
    have hb : ∀ c : Int, (c = 0 ∨ c = M ∨ c = -M) → (biased β c : Int) = c + ((2 ^ β : Nat) : Int) := by
      intro c hc
      apply biased_cast
      unfold InBias
      rcases hc with rfl | rfl | rfl <;> omega
    simp only [boxPasses, pk, List.map_cons, packN, getD_unitAt hk, List.length_cons] at ih ⊢
    rw [splat_two_more]
    push_cast
    by_cases hkj : k = j0
    · subst hkj
      simp only [if_true]
      rw [hb _ (Or.inr (Or.inl rfl)), hb _ (Or.inr (Or.inr rfl))]
      have hc : ¬ (k + 1 ≤ k ∧ k < k + 1 + ls.length) := by omega
      rw [if_neg hc] at ih
      rw [if_pos (by omega), ih]
      simp only [Nat.sub_self, Nat.mul_zero, Nat.zero_add]
      push_cast
      grind
    · simp only [hkj, if_false]
      rw [hb 0 (Or.inl rfl)]
      by_cases hin : j0 + 1 ≤ k ∧ k < j0 + 1 + ls.length
      · rw [if_pos hin] at ih
        rw [if_pos (by omega), ih]
        obtain ⟨i, rfl⟩ : ∃ i, k = j0 + 1 + i := ⟨k - (j0 + 1), by omega⟩
        have e1 : j0 + 1 + i - (j0 + 1) = i := by omega
        have e2 : j0 + 1 + i - j0 = i + 1 := by omega
        rw [e1, e2]
        have p1 : (2 : Nat) ^ (B * (2 * (i + 1))) = 2 ^ B * (2 ^ B * 2 ^ (B * (2 * i))) := by
          rw [← Nat.pow_add, ← Nat.pow_add]; congr 1; rw [Nat.mul_add, Nat.mul_add]; omega
        have p2 : (2 : Nat) ^ (B * (2 * (i + 1)) + B) = 2 ^ B * (2 ^ B * 2 ^ (B * (2 * i) + B)) := by
          rw [← Nat.pow_add, ← Nat.pow_add]; congr 1; rw [Nat.mul_add, Nat.mul_add]; omega
        have q1 : (2 : Int) ^ (B * (2 * (i + 1))) = 2 ^ B * (2 ^ B * 2 ^ (B * (2 * i))) := by exact_mod_cast p1
        have q2 : (2 : Int) ^ (B * (2 * (i + 1)) + B) = 2 ^ B * (2 ^ B * 2 ^ (B * (2 * i) + B)) := by exact_mod_cast p2
        push_cast at ih ⊢
        rw [q1, q2]
        grind
      · rw [if_neg hin] at ih
        rw [if_neg (by omega), ih]
        push_cast
        grind
  | _, [], [], _ => by
    rw [if_neg (by simp)]
    simp [boxPasses, pk, packN, splat_eq_packN]
  | _, [], _ :: _, hl => by simp at hl
  | _, _ :: _, [], hl => by simp at hl

/-- **`unitBlock` packs the joining passes' entries at neuron `k`** of a layer of `d` neurons. -/
theorem unitBlock_pk (B β M : Nat) (hM : M < 2 ^ β) (lo hi : List Int) (hl : lo.length = hi.length) {k : Nat}
    (hk : k < lo.length) :
    unitBlock B β M (2 * lo.length) k = pk B β (boxPasses M lo.length 0 lo hi) (fun e => e.1.getD k 0) := by
  have h := unit_fields B β M lo.length hM hk 0 lo hi hl
  rw [if_pos (by omega)] at h
  simp only [Nat.sub_zero] at h
  unfold unitBlock
  rw [Nat.shiftLeft_eq, Nat.shiftLeft_eq]
  have hpow : 2 ^ (B * (2 * k) + B) = 2 ^ (B * (2 * k + 1)) := by rw [Nat.mul_add, Nat.mul_one]
  rw [hpow, Int.mul_sub, ← Int.natCast_mul, ← Int.natCast_mul] at h
  generalize M * 2 ^ (B * (2 * k)) = u at *
  generalize M * 2 ^ (B * (2 * k + 1)) = w at *
  omega

/-- The running passes' entries of each neuron, extended to the joining passes: a joining pass's
entry at neuron `j` is entry `j` of its coefficient list. -/
@[expose] noncomputable def extendFns {α : Type} : Nat → List (α → Int) → List (α ⊕ (List Int × Int) → Int)
  | _, [] => []
  | j, f :: fs => Sum.elim f (fun e => e.1.getD j 0) :: extendFns (j + 1) fs

/-- **`appendUnits` places every neuron's joining block above its running batch.** -/
theorem appendUnits_pk {α : Type} (B β M : Nat) (hM : M < 2 ^ β) (v : List α) (lo hi : List Int)
    (hl : lo.length = hi.length) : ∀ (j : Nat) (fs : List (α → Int)), j + fs.length = lo.length →
      appendUnits B β M lo.length (B * v.length) j (fs.map (pk B β v)) =
        (extendFns j fs).map (pk B β (v.map Sum.inl ++ (boxPasses M lo.length 0 lo hi).map Sum.inr))
  | _, [], _ => rfl
  | j, f :: fs, h => by
    simp only [List.length_cons] at h
    simp only [List.map_cons, appendUnits, extendFns]
    rw [appendUnits_pk B β M hM v lo hi hl (j + 1) fs (by omega), Nat.shiftLeft_eq, Nat.mul_comm, pk_append,
      unitBlock_pk B β M hM lo hi hl (k := j) (by omega)]

/-- A running pass keeps its entries. -/
theorem extendFns_inl {α : Type} (p : α) : ∀ (j : Nat) (fs : List (α → Int)),
    (extendFns j fs).map (· (Sum.inl p)) = fs.map (· p)
  | _, [] => rfl
  | j, f :: fs => by simp only [extendFns, List.map_cons, Sum.elim_inl, extendFns_inl p (j + 1) fs]

/-- A joining pass's entries are its coefficient list's, from neuron `j` on. -/
theorem extendFns_inr {α : Type} (e : List Int × Int) : ∀ (j : Nat) (fs : List (α → Int)),
    (extendFns j fs).map (· (Sum.inr e)) = (List.range' j fs.length).map (fun k => e.1.getD k 0)
  | _, [] => rfl
  | j, f :: fs => by
    simp only [extendFns, List.map_cons, Sum.elim_inr, List.length_cons, List.range'_succ, extendFns_inr e (j + 1) fs]

/-- Every joining pass's coefficients are a unit vector of the layer's width. -/
theorem boxPasses_unit (M : Int) (d : Nat) : ∀ (j : Nat) (lo hi : List Int) (e : List Int × Int),
    e ∈ boxPasses M d j lo hi → ∃ k c, e.1 = unitAt d k c ∧ (c = M ∨ c = -M)
  | j, l :: ls, h :: hs, e, he => by
    simp only [boxPasses, List.mem_cons] at he
    rcases he with rfl | rfl | he
    · exact ⟨j, M, rfl, Or.inl rfl⟩
    · exact ⟨j, -M, rfl, Or.inr rfl⟩
    · exact boxPasses_unit M d (j + 1) ls hs e he
  | _, [], _, _, he => by simp [boxPasses] at he
  | _, _ :: _, [], _, he => by simp [boxPasses] at he

/-- Every joining pass's constant is minus a lower end or an upper end. -/
theorem boxPasses_const (M : Int) (d : Nat) : ∀ (j : Nat) (lo hi : List Int) (e : List Int × Int),
    e ∈ boxPasses M d j lo hi → (∃ l ∈ lo, e.2 = -l) ∨ (∃ h ∈ hi, e.2 = h)
  | j, l :: ls, h :: hs, e, he => by
    simp only [boxPasses, List.mem_cons] at he
    rcases he with rfl | rfl | he
    · exact Or.inl ⟨l, by simp, rfl⟩
    · exact Or.inr ⟨h, by simp, rfl⟩
    · rcases boxPasses_const M d (j + 1) ls hs e he with ⟨l', hl', h'⟩ | ⟨h', hh', h''⟩
      · exact Or.inl ⟨l', by simp [hl'], h'⟩
      · exact Or.inr ⟨h', by simp [hh'], h''⟩
  | _, [], _, _, he => by simp [boxPasses] at he
  | _, _ :: _, [], _, he => by simp [boxPasses] at he

/-- Read back over the layer's neurons, a unit vector is itself. -/
theorem range_getD_unitAt (d k : Nat) (c : Int) : (List.range d).map (fun i => (unitAt d k c).getD i 0) = unitAt d k c := by
  conv => rhs; unfold unitAt
  apply List.map_congr_left
  intro i hi
  exact getD_unitAt (List.mem_range.mp hi) c

/-! ## What an accepted run proves -/

/-- The width conditions of a run entering the levels with bias `2^β` over `d` neurons: every
field stays in range at every step (network data and the leaf's lines and boxes). -/
@[expose] def RunFit (B : Nat) : Nat → Nat → List (LayerPk × ReluPk) → ClosePk → Prop
  | β, d, [], F =>
    SplitIs F.L ∧ F.L.q = 0 ∧ F.L.E + 1 ≤ B ∧ ColsFit β F.L.E d F.L.ws F.L.ss F.L.sums ∧
      F.L.bw.sum = F.L.bsum ∧ 2 ^ β * F.L.bsum < 2 ^ F.L.E ∧ F.L.bw.length = d + 1 ∧ F.L.bs.length = d + 1 ∧
      F.b + 1 ≤ B ∧ F.lw.sum = F.A ∧ F.lw.length = F.ls.length ∧ F.ls.length = F.L.ws.length + 1 ∧
      F.wd.length ≤ F.L.ws.length ∧ 2 ^ F.L.E * F.A + 2 ^ F.L.E * F.wd.sum < 2 ^ F.b
  | β, d, (L, R) :: rest, F =>
    SplitIs L ∧ L.q ≤ L.E ∧ L.E + 1 ≤ B ∧ ColsFit β L.E d L.ws L.ss L.sums ∧
      L.bw.sum = L.bsum ∧ 2 ^ β * L.bsum < 2 ^ L.E ∧ L.bw.length = d + 1 ∧ L.bs.length = d + 1 ∧
      L.E - L.q + L.r + 2 ≤ B ∧ L.E - L.q + L.r ≤ L.β2 ∧ L.β2 + 1 ≤ B ∧
      SlopesFit L.r R.an R.sn ∧ R.an.length = L.ws.length ∧ R.sn.length = L.ws.length ∧
      R.ics.length ≤ L.ws.length ∧ 2 ^ (L.E - L.q + L.r) + 2 ^ (L.E - L.q) * R.ics.sum ≤ 2 ^ L.β2 ∧
      R.lo.length = L.ws.length ∧ R.hi.length = L.ws.length ∧ L.M < 2 ^ L.β2 ∧
      (∀ l ∈ R.lo, InBias L.β2 (-l)) ∧ (∀ h ∈ R.hi, InBias L.β2 h) ∧
      RunFit B L.β2 L.ws.length rest F

/-- `ColsFit` fixes the number of columns. -/
theorem colsFit_length {β E m : Nat} : ∀ {ws : List (List Nat)} {ss : List (List Bool)} {As : List Nat},
    ColsFit β E m ws ss As → ws.length = ss.length
  | _ :: _, _ :: _, _ :: _, ⟨_, _, _, _, h⟩ => by simp [colsFit_length h]
  | [], [], [], _ => rfl
  | [], _ :: _, _, h => by simp [ColsFit] at h
  | _ :: _, [], _, h => by simp [ColsFit] at h
  | [], [], _ :: _, h => by simp [ColsFit] at h
  | _ :: _, _ :: _, [], h => by simp [ColsFit] at h

/-- `colFns` has one function per column. -/
theorem length_colFns {α : Type} (q : Nat) (es : List (α → Int)) :
    ∀ (ws : List (List Nat)) (ss : List (List Bool)), ws.length = ss.length → (colFns q es ws ss).length = ws.length
  | _ :: ws, _ :: ss, h => by simp [colFns, length_colFns q es ws ss (by simpa using h)]
  | [], [], _ => rfl
  | [], _ :: _, h => by simp at h
  | _ :: _, [], h => by simp at h

/-- `relaxFns` has one function per neuron. -/
theorem length_relaxFns {α : Type} :
    ∀ (es : List (α → Int)) (an sn : List Nat), an.length = es.length → sn.length = es.length →
      (relaxFns es an sn).length = es.length
  | _ :: es, _ :: an, _ :: sn, h1, h2 => by
    simp [relaxFns, length_relaxFns es an sn (by simpa using h1) (by simpa using h2)]
  | [], _, _, _, _ => by simp [relaxFns]
  | _ :: _, [], _, h, _ => by simp at h
  | _ :: _, _ :: _, [], _, h => by simp at h

/-- The layer's constant column over every pass: the bias column over the pass's entries and its
constant, divided by `2^q`. -/
theorem constCol_pk {α : Type} {B β : Nat} (L : LayerPk) (hq : L.q ≤ L.E) (hB : L.E + 1 ≤ B) (v : List α)
    (es : List (α → Int)) (ec : α → Int) (hin : AllIn β v (ec :: es)) (hsum : L.bw.sum = L.bsum)
    (hA : 2 ^ β * L.bsum < 2 ^ L.E) (hl1 : L.bw.length = es.length + 1) (hl2 : L.bs.length = es.length + 1) :
    layerOut B v.length β L.E L.q L.bsum L.bw L.bs (es.map (pk B β v) ++ [pk B β v ec])
        ((es.map (pk B β v)).map (mirror B β v.length) ++ [mirror B β v.length (pk B β v ec)]) =
      pk B (L.E - L.q) v (fun p => signedDot L.bw L.bs ((es ++ [ec]).map (· p)) / ((2 ^ L.q : Nat) : Int)) ∧
    ∀ p ∈ v, InBias (L.E - L.q) (signedDot L.bw L.bs ((es ++ [ec]).map (· p)) / ((2 ^ L.q : Nat) : Int)) := by
  have hin' : AllIn β v (es ++ [ec]) := by
    intro p hp e he
    exact hin p hp e (by simp at he ⊢; rcases he with h | h <;> simp [h])
  have hys : ∀ p ∈ v, ∀ y ∈ (es ++ [ec]).map (· p), InBias β y := by
    intro p hp y hy
    obtain ⟨e, he, rfl⟩ := List.mem_map.mp hy
    exact hin' p hp e he
  refine ⟨?_, fun p hp => ?_⟩
  · have h1 : es.map (pk B β v) ++ [pk B β v ec] = (es ++ [ec]).map (pk B β v) := by simp
    have h2 : (es.map (pk B β v)).map (mirror B β v.length) ++ [mirror B β v.length (pk B β v ec)] =
        (es ++ [ec]).map (fun e => mirror B β v.length (pk B β v e)) := by simp
    rw [h1, h2, mirrors_pk B β v (es ++ [ec]) hin']
    unfold pk
    exact layerOut_biased v (es ++ [ec]) L.bw L.bs hsum hq hB (Nat.le_of_lt hA) (hl1.trans hl2.symm)
      (by simpa using hl2) hin' (fun p hp => (signedDot_range (hys p hp) (hsum ▸ hA)).2)
  · have hr := signedDot_range (s := L.bs) (hys p hp) (hsum ▸ hA)
    exact inBias_ediv hq hr.1 hr.2

/-- A joined neuron's function is a running one on the running passes and a coefficient entry on
the joining ones. -/
theorem mem_extendFns {α : Type} {f : α ⊕ (List Int × Int) → Int} : ∀ {j : Nat} {fs : List (α → Int)},
    f ∈ extendFns j fs → ∃ g ∈ fs, ∃ k, f = Sum.elim g (fun e => e.1.getD k 0)
  | _, [], h => by simp [extendFns] at h
  | j, g :: fs, h => by
    simp only [extendFns, List.mem_cons] at h
    rcases h with rfl | h
    · exact ⟨g, by simp, j, rfl⟩
    · obtain ⟨g', hg', k, hk⟩ := mem_extendFns h
      exact ⟨g', by simp [hg'], k, hk⟩

/-- A joined neuron list is as long as the running one. -/
theorem length_extendFns {α : Type} : ∀ (j : Nat) (fs : List (α → Int)), (extendFns j fs).length = fs.length
  | _, [] => rfl
  | j, _ :: fs => by simp [extendFns, length_extendFns (j + 1) fs]

/-- An entry of a unit vector is `c` or zero. -/
theorem getD_unitAt_cases (d j k : Nat) (c : Int) : (unitAt d j c).getD k 0 = c ∨ (unitAt d j c).getD k 0 = 0 := by
  by_cases hk : k < d
  · rw [getD_unitAt hk]; split <;> simp
  · right
    simp [unitAt, List.getD_eq_getElem?_getD, hk]

/-- Every running batch is at most its mirrors' constant. -/
theorem pks_le_top {α : Type} (B β : Nat) (v : List α) (es : List (α → Int)) (hin : AllIn β v es) :
    ∀ Y ∈ es.map (pk B β v), Y ≤ 2 ^ (β + 1) * splat B 1 v.length := by
  intro Y hY
  obtain ⟨e, he, rfl⟩ := List.mem_map.mp hY
  exact pk_le_top B β v e (fun p hp => hin p hp e he)

/-- The running batches and the constants' batch are at most the mirrors' constant. -/
theorem pks_le_top' {α : Type} (B β : Nat) (v : List α) (es : List (α → Int)) (ec : α → Int)
    (hin : AllIn β v (ec :: es)) :
    ∀ Y ∈ es.map (pk B β v) ++ [pk B β v ec], Y ≤ 2 ^ (β + 1) * splat B 1 v.length := by
  intro Y hY
  simp only [List.mem_append, List.mem_singleton] at hY
  rcases hY with hY | rfl
  · exact pks_le_top B β v es (fun p hp e he => hin p hp e (by simp [he])) Y hY
  · exact pk_le_top B β v ec (fun p hp => hin p hp ec (by simp))

theorem map_mirror_append (B β n : Nat) (Ys : List Nat) (Yc : Nat) :
    (Ys ++ [Yc]).map (mirror B β n) = Ys.map (mirror B β n) ++ [mirror B β n Yc] := by simp

/-- **What an accepted run proves**: every pass the run started with, and every pass that joined
at a hidden layer, ends with its integer `finalSpec` at least zero. -/
theorem runPk_sound {B : Nat} : ∀ (levels : List (LayerPk × ReluPk)) (F : ClosePk) {α : Type} (β : Nat)
    (v : List α) (es : List (α → Int)) (ec : α → Int),
    RunFit B β es.length levels F → AllIn β v (ec :: es) →
    runPk B β v.length levels F (es.map (pk B β v)) (pk B β v ec) = true →
    (∀ p ∈ v, 0 ≤ finalSpec levels F (es.map (· p)) (ec p)) ∧ EntriesHold levels F
  | [], F, α, β, v, es, ec, hfit, hin, hrun => by
    obtain ⟨⟨hwp, hwn, hns, hbp, hbn, hbns⟩, hq, hE, hcols, hbsum, hbA, hbl, hbs, hb, hlw, hl1, hl2, hwd, hroom⟩ := hfit
    have hinE : AllIn β v es := fun p hp e he => hin p hp e (by simp [he])
    have hX := crossCols_pk (B := B) (q := 0) (Nat.zero_le _) hE v es hinE F.L.ws F.L.ss F.L.sums hcols
    have hC := constCol_pk F.L (by omega) hE v es ec hin hbsum hbA hbl hbs
    have hXin := colFns_allIn (q := 0) (Nat.zero_le _) v es hinE F.L.ws F.L.ss F.L.sums hcols
    rw [hq] at hC
    simp only [Nat.sub_zero] at hX hC hXin
    have hM : (es.map (pk B β v)).map (mirror B β v.length) = es.map (fun e => mirror B β v.length (pk B β v e)) := by
      rw [List.map_map]; rfl
    simp only [runPk] at hrun
    rw [hwp, hwn, hns, hbp, hbn, hbns, crossColsP_eq (pks_le_top B β v es hinE) (by simp) F.L.ws F.L.ss F.L.sums []
      hcols, crossColsS_nil, layerOutP_eq (ws := F.L.bw) (ss := F.L.bs) (pks_le_top' B β v es ec hin) (by rw [hbs, hbl]) (by simp [hbl]),
      map_mirror_append] at hrun
    rw [hC.1, hM, hX] at hrun
    have hlen := length_colFns 0 es F.L.ws F.L.ss (colsFit_length hcols)
    have hin2 : AllIn F.L.E v (colFns 0 es F.L.ws F.L.ss ++
        [fun p => signedDot F.L.bw F.L.bs ((es ++ [ec]).map (· p)) / ((2 ^ 0 : Nat) : Int)]) := by
      intro p hp e he
      simp only [List.mem_append, List.mem_singleton] at he
      rcases he with he | rfl
      · exact hXin p hp e he
      · exact hC.2 p hp
    rw [closePk_pk hb (by omega) v _ _ F.lw F.ls F.wd hin2 hlw hl1 (by rw [hlen]; exact hl2) (by rw [hlen]; exact hwd)
      hroom] at hrun
    have hbias : ∀ p ∈ v, InBias F.b (signedDot F.lw F.ls ((colFns 0 es F.L.ws F.L.ss ++
        [fun p => signedDot F.L.bw F.L.bs ((es ++ [ec]).map (· p)) / ((2 ^ 0 : Nat) : Int)]).map (· p)) -
        (nnDot F.wd (negs (colFns 0 es F.L.ws F.L.ss) p) : Int)) := by
      intro p hp
      apply close_inBias F.lw F.ls F.wd _ _ (fun y hy => by
        obtain ⟨e, he, rfl⟩ := List.mem_map.mp hy
        exact hin2 p hp e he) (by
        intro y hy
        simp only [negs, List.mem_map] at hy
        obtain ⟨e, he, rfl⟩ := hy
        exact neg_toNat_le (hXin p hp e he)) hlw
      rw [← hlw] at hroom ⊢
      exact hroom
    unfold pk at hrun
    have hall := allNonneg_biased hb (v.map (fun p => signedDot F.lw F.ls ((colFns 0 es F.L.ws F.L.ss ++
        [fun p => signedDot F.L.bw F.L.bs ((es ++ [ec]).map (· p)) / ((2 ^ 0 : Nat) : Int)]).map (· p)) -
        (nnDot F.wd (negs (colFns 0 es F.L.ws F.L.ss) p) : Int)))
      (by intro x hx; obtain ⟨p, hp, rfl⟩ := List.mem_map.mp hx; exact hbias p hp)
      (by rw [List.length_map, List.map_map]; exact hrun)
    refine ⟨fun p hp => ?_, trivial⟩
    have h := hall _ (List.mem_map_of_mem hp)
    simp only [finalSpec, crossSpec, hq]
    rw [List.map_append, colFns_at, negs_at, colFns_at] at h
    simpa using h
  | (L, R) :: rest, F, α, β, v, es, ec, hfit, hin, hrun => by
    obtain ⟨⟨hwp, hwn, hns, hbp, hbn, hbns⟩, hq, hE, hcols, hbsum, hbA, hbl, hbs, hB1, hr, hB2, hsl, han, hsn, hics,
      hroom, hlo, hhi, hM, hlob, hhib, hrest⟩ := hfit
    have hinE : AllIn β v es := fun p hp e he => hin p hp e (by simp [he])
    have hX := crossColsS_pk (B := B) hq hE v es hinE L.ws L.ss L.sums (deadList R.an R.sn R.ics) hcols
    have hC := constCol_pk L hq hE v es ec hin hbsum hbA hbl hbs
    have hXin := colFnsS_allIn hq v es hinE L.ws L.ss L.sums (deadList R.an R.sn R.ics) hcols
    have hMir : (es.map (pk B β v)).map (mirror B β v.length) = es.map (fun e => mirror B β v.length (pk B β v e)) := by
      rw [List.map_map]; rfl
    have hlen := length_colFnsS L.q es L.ws L.ss (deadList R.an R.sn R.ics) (colsFit_length hcols)
    -- the layer's outputs and constant, as per-pass functions (dead neurons' outputs zeroed)
    let es' := colFnsS L.q es L.ws L.ss (deadList R.an R.sn R.ics)
    let ec' : α → Int := fun p => signedDot L.bw L.bs ((es ++ [ec]).map (· p)) / ((2 ^ L.q : Nat) : Int)
    have hin' : AllIn (L.E - L.q) v (ec' :: es') := by
      intro p hp e he
      simp only [List.mem_cons] at he
      rcases he with rfl | he
      · exact hC.2 p hp
      · exact hXin p hp e he
    have hZ := relaxCols_pk (B := B) hB1 hr v es' R.an R.sn hXin hsl
    have hZc := relaxConstPk_pk (B := B) hB2 hr v es' ec' R.ics hin' (by rw [hlen]; exact hics) hroom
    have hfl : (relaxFns es' R.an R.sn).length = R.lo.length := by
      rw [length_relaxFns es' R.an R.sn (by rw [hlen]; exact han) (by rw [hlen]; exact hsn), hlen, hlo]
    have hlh : R.lo.length = R.hi.length := by rw [hlo, hhi]
    have hA := appendUnits_pk B L.β2 L.M hM v R.lo R.hi hlh 0 (relaxFns es' R.an R.sn) (by omega)
    have hK : pk B L.β2 v (fun p => ((2 ^ L.r : Nat) : Int) * ec' p - (nnDot R.ics (negs es' p) : Int)) +
        (boxConsts B L.β2 R.lo R.hi <<< (B * v.length)) =
        pk B L.β2 (v.map Sum.inl ++ (boxPasses L.M R.lo.length 0 R.lo R.hi).map Sum.inr)
          (Sum.elim (fun p => ((2 ^ L.r : Nat) : Int) * ec' p - (nnDot R.ics (negs es' p) : Int)) (fun e => e.2)) := by
      rw [Nat.shiftLeft_eq, Nat.mul_comm _ (2 ^ _), pk_append, boxConsts_pk B L.β2 L.M R.lo.length 0]
    have hn : v.length + 2 * R.lo.length =
        (v.map Sum.inl ++ (boxPasses L.M R.lo.length 0 R.lo R.hi).map Sum.inr).length := by
      simp [length_boxPasses _ _ 0 R.lo R.hi hlh]
    simp only [runPk] at hrun
    rw [hwp, hwn, hns, hbp, hbn, hbns, crossColsP_eq (pks_le_top B β v es hinE) (by simp) L.ws L.ss L.sums _ hcols,
      layerOutP_eq (ws := L.bw) (ss := L.bs) (pks_le_top' B β v es ec hin) (by rw [hbs, hbl]) (by simp [hbl]), map_mirror_append] at hrun
    rw [hC.1, hMir, hX, hZ, hZc, hA, hK, hn] at hrun
    -- the joined batch is covered
    have hinJ : AllIn L.β2 (v.map Sum.inl ++ (boxPasses L.M R.lo.length 0 R.lo R.hi).map Sum.inr)
        (Sum.elim (fun p => ((2 ^ L.r : Nat) : Int) * ec' p - (nnDot R.ics (negs es' p) : Int)) (fun e => e.2) ::
          extendFns 0 (relaxFns es' R.an R.sn)) := by
      have hRin := relaxFns_allIn hr v es' R.an R.sn hXin hsl
      intro p hp f hf
      simp only [List.mem_append, List.mem_map] at hp
      simp only [List.mem_cons] at hf
      rcases hp with ⟨p, hp, rfl⟩ | ⟨e, he, rfl⟩
      · rcases hf with rfl | hf
        · exact relaxConst_inBias R.ics (negs es' p) (hC.2 p hp) (by
            intro y hy
            simp only [negs, List.mem_map] at hy
            obtain ⟨e, he, rfl⟩ := hy
            exact neg_toNat_le (hXin p hp e he)) hroom
        · obtain ⟨g, hg, k, rfl⟩ := mem_extendFns hf
          exact hRin p hp g hg
      · rcases hf with rfl | hf
        · rcases boxPasses_const _ _ 0 R.lo R.hi e he with ⟨l, hl, h⟩ | ⟨h', hh, h⟩
          · simp only [Sum.elim_inr, h]; exact hlob l hl
          · simp only [Sum.elim_inr, h]; exact hhib h' hh
        · obtain ⟨g, _, k, rfl⟩ := mem_extendFns hf
          obtain ⟨j, c, hc, hcM⟩ := boxPasses_unit _ _ 0 R.lo R.hi e he
          simp only [Sum.elim_inr, hc]
          have hMi : InBias L.β2 (L.M : Int) ∧ InBias L.β2 (-(L.M : Int)) ∧ InBias L.β2 0 := by
            unfold InBias; omega
          rcases getD_unitAt_cases R.lo.length j k c with h | h <;> rw [h]
          · rcases hcM with rfl | rfl
            · exact hMi.1
            · exact hMi.2.1
          · exact hMi.2.2
    have hfitR : RunFit B L.β2 (extendFns 0 (relaxFns es' R.an R.sn)).length rest F := by
      rw [length_extendFns, hfl, hlo]; exact hrest
    obtain ⟨hpass, hent⟩ := runPk_sound rest F L.β2 _ _ _ hfitR hinJ hrun
    refine ⟨fun p hp => ?_, ⟨fun e he => ?_, hent⟩⟩
    · have h := hpass (Sum.inl p) (by simp [hp])
      rw [extendFns_inl, relaxFns_at, relaxInt_colFnsS] at h
      simp only [Sum.elim_inl] at h
      rw [nnDot_colFnsS] at h
      simp only [finalSpec, crossSpec, relaxSpec]
      simpa [ec', es', List.map_append] using h
    · have h := hpass (Sum.inr e) (by simp [he])
      rw [extendFns_inr, hfl] at h
      obtain ⟨j, c, hc, _⟩ := boxPasses_unit _ _ 0 R.lo R.hi e he
      rw [← List.range_eq_range', hc, range_getD_unitAt] at h
      rw [hc]
      simpa using h

end TorchLean.Bounds
