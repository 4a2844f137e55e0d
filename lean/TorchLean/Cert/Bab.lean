module

public import TorchLean.Cert.CrownBoxes
public import TorchLean.Cert.Goal

/-! # Branch-and-bound certificates: a violation property refuted on every leaf of a split tree

A property in VNN-LIB form names a *violation*: a disjunction of conjunctions of linear output
constraints (`Row`, `Cert/Goal.lean`). It holds on an input box when no input of the box makes every row of some
disjunct true (`Safe`). A certificate is a `Tree` of input splits; `covers` decides that its leaf
boxes cover the root box (each split halves a coordinate at a point, and each leaf's stated box
contains the region the splits give it), and each leaf carries a local proof that no disjunct
can hold there — by IBP (`ibpLeafOk_safe`), by CROWN over IBP boxes (`crownLeafOk_safe`) or by CROWN
over CROWN-justified boxes (`crownBoxLeafOk_safe`), each refuting a nonnegative combination of rows
per disjunct (`combine`) with a bound the kernel recomputes (`refutesAll`). `bab_sound` combines them.
-/

public section

namespace TorchLean.Cert

open TorchLean.IR TorchLean.Bounds

/-- A lower bound `d` of `coeffs · y` makes the row false. -/
@[expose] def Row.refutedBy (r : Row) (d : Rat) : Bool :=
  if r.strict = true then decide (r.rhs ≤ d) else decide (r.rhs < d)

/-- A refuting lower bound really rules the row out. -/
theorem Row.not_holds {r : Row} {d : Rat} {y : List Rat} (h : r.refutedBy d = true)
    (hd : d ≤ dot r.coeffs y) : ¬ r.Holds y := by
  unfold Row.refutedBy at h
  unfold Row.Holds
  split at h
  · next hs => simp only [hs, if_true]; have := of_decide_eq_true h; grind
  · next hs => simp only [hs]; have := of_decide_eq_true h; grind

/-- The `i`-th row of a conjunction, if any (structural, so the kernel evaluates it directly). -/
@[expose] def rowAt : List Row → Nat → Option Row
  | [], _ => none
  | r :: _, 0 => some r
  | _ :: rs, n + 1 => rowAt rs n

theorem mem_of_rowAt : ∀ {rs : List Row} {i : Nat} {r : Row}, rowAt rs i = some r → r ∈ rs
  | [], _, _, h => by simp [rowAt] at h
  | q :: qs, 0, r, h => by simp only [rowAt, Option.some.injEq] at h; simp [h]
  | q :: qs, n + 1, r, h => List.mem_cons_of_mem q (mem_of_rowAt (rs := qs) (i := n) h)

/-- The nonnegative combination `Σ wᵢ · rowᵢ` of a conjunction's rows `(i, wᵢ)`: it is strict
when some strict row has a positive weight; `none` for a missing row or a negative weight. -/
@[expose] def combine (conj : List Row) : List (Nat × Rat) → Option Row
  | [] => some ⟨[], 0, false⟩
  | (i, w) :: ts =>
    match rowAt conj i, combine conj ts with
    | some r, some c =>
      if 0 ≤ w then
        some ⟨vadd (smul w r.coeffs) c.coeffs, w * r.rhs + c.rhs, (r.strict && decide (0 < w)) || c.strict⟩
      else none
    | _, _ => none

/-- A row holds iff its non-strict form holds and, when strict, the strict one too. -/
theorem Row.holds_iff (r : Row) (y : List Rat) :
    r.Holds y ↔ dot r.coeffs y ≤ r.rhs ∧ (r.strict = true → dot r.coeffs y < r.rhs) := by
  unfold Row.Holds
  cases r.strict <;> simp <;> grind

/-- **Combining rows is sound**: where every row of the conjunction holds, so does any
nonnegative combination of them. -/
theorem combine_holds {conj : List Row} {y : List Rat} (hall : ∀ r ∈ conj, r.Holds y) :
    ∀ (ts : List (Nat × Rat)) (c : Row), combine conj ts = some c → c.Holds y
  | [], c, h => by
    simp only [combine, Option.some.injEq] at h
    subst h
    rw [Row.holds_iff]
    simp only [dot]
    exact ⟨Rat.le_refl, by simp⟩
  | (i, w) :: ts, c, h => by
    simp only [combine] at h
    split at h
    · next r c' hr hc =>
      split at h
      · next hw =>
        simp only [Option.some.injEq] at h
        subst h
        have hr' := (Row.holds_iff r y).1 (hall r (mem_of_rowAt hr))
        have hc' := (Row.holds_iff c' y).1 (combine_holds hall ts c' hc)
        rw [Row.holds_iff]
        simp only [dot_vadd, dot_smul, Bool.or_eq_true, Bool.and_eq_true, decide_eq_true_eq]
        have hle := Rat.mul_le_mul_of_nonneg_left hr'.1 hw
        refine ⟨by grind, ?_⟩
        intro hs
        rcases hs with ⟨hs, hpos⟩ | hs
        · have hlt := Rat.mul_lt_mul_of_pos_left (hr'.2 hs) hpos
          grind
        · have := hc'.2 hs
          grind
      · exact absurd h (by simp)
    · exact absurd h (by simp)

/-- Each disjunct is refuted by a nonnegative combination of its rows `(i, wᵢ)` with bound `d`,
where `d` is at most `lower` of the combination's coefficients (`lower c` is a certified lower
bound of `c · y`): the combination cannot hold, so neither can all the rows. -/
@[expose] def refutesAll (lower : List Rat → Rat) :
    List (List Row) → List (List (Nat × Rat) × Rat) → Bool
  | [], [] => true
  | conj :: rest, (ts, d) :: refs =>
    (match combine conj ts with
      | some r => r.refutedBy d && decide (d ≤ lower r.coeffs)
      | none => false) && refutesAll lower rest refs
  | _, _ => false

/-- Refuting every disjunct with sound lower bounds makes the output safe. -/
theorem safe_of_refutesAll {lower : List Rat → Rat} {y : List Rat} (hl : ∀ c, lower c ≤ dot c y) :
    ∀ (dnf : List (List Row)) (refs : List (List (Nat × Rat) × Rat)), refutesAll lower dnf refs = true →
      Safe dnf y
  | [], [], _ => by intro conj h; simp at h
  | conj :: rest, (ts, d) :: refs, h => by
    simp only [refutesAll, Bool.and_eq_true] at h
    have ih := safe_of_refutesAll hl rest refs h.2
    intro c hc hall
    simp only [List.mem_cons] at hc
    rcases hc with rfl | hc
    · have h1 := h.1
      split at h1
      · next r hr =>
        simp only [Bool.and_eq_true, decide_eq_true_eq] at h1
        have hd : d ≤ dot r.coeffs y := Rat.le_trans h1.2 (hl r.coeffs)
        exact Row.not_holds h1.1 hd (combine_holds hall ts r hr)
      · exact absurd h1 (by simp)
    · exact ih c hc hall
  | [], _ :: _, h => by simp [refutesAll] at h
  | _ :: _, [], h => by simp [refutesAll] at h

/-- **IBP leaf**: a checked IBP chain from `B` and refutations against its output box. -/
theorem ibpLeaf_safe {B : Box} {steps : List (Dense × Box)} {dnf : List (List Row)}
    {refs : List (List (Nat × Rat) × Rat)} (hchain : Chain B steps)
    (h : refutesAll (fun c => (ibpDot c (chainOut B steps)).lo) dnf refs = true) :
    ∀ x, Box.Mem B x → Safe dnf (evalNet (chainNet steps) x) := fun _ hx =>
  safe_of_refutesAll (fun c => (ibpDot_sound c _ _ (chain_sound hchain hx)).1) dnf refs h

/-- **CROWN leaf**: a checked CROWN chain from `B` and refutations by `crownLower`. -/
theorem crownLeaf_safe {B : Box} {steps : List (Dense × Box × List Relax)} {dnf : List (List Row)}
    {refs : List (List (Nat × Rat) × Rat)} (hchain : CrownChain B steps)
    (h : refutesAll (fun c => crownLower (crownSteps steps) c B) dnf refs = true) :
    ∀ x, Box.Mem B x → Safe dnf (evalNet (steps.map Prod.fst) x) := fun x hx => by
  refine safe_of_refutesAll (fun c => ?_) dnf refs h
  have hle := crownLower_le (crownSteps steps) c hx (crownChain_sandwiched B steps x hchain hx)
  rw [crownSteps_net] at hle
  exact hle

/-- A CROWN chain as one Boolean (one kernel computation per leaf: the kernel's per-declaration
cost dominates small checks, so a leaf is checked by a single `decide`). -/
@[expose] noncomputable def crownChainOk : Box → List (Dense × Box × List Relax) → Bool
  | _, [] => true
  | B, (L, P, R) :: rest =>
    checkStep (affinePart L) B P && validAll L.act P R && (L.weight.length == L.bias.length) &&
      crownChainOk (postBox L.act P) rest

theorem crownChain_of_ok : ∀ (B : Box) (steps : List (Dense × Box × List Relax)),
    crownChainOk B steps = true → CrownChain B steps
  | _, [], _ => trivial
  | B, (L, P, R) :: rest, h => by
    simp only [crownChainOk, Bool.and_eq_true] at h
    exact ⟨⟨h.1.1.1, h.1.1.2, h.1.2⟩, crownChain_of_ok _ rest h.2⟩

/-- An IBP chain as one Boolean. -/
@[expose] def chainOk : Box → List (Dense × Box) → Bool
  | _, [] => true
  | B, (L, C) :: rest => checkStep L B C && chainOk C rest

theorem chain_of_ok : ∀ (B : Box) (steps : List (Dense × Box)), chainOk B steps = true → Chain B steps
  | _, [], _ => trivial
  | B, (L, C) :: rest, h => by
    simp only [chainOk, Bool.and_eq_true] at h
    exact ⟨h.1, chain_of_ok C rest h.2⟩

/-- The whole local check of a CROWN leaf: its chain, then one refuted row per disjunct. -/
@[expose] noncomputable def crownLeafOk (dnf : List (List Row)) (B : Box) (steps : List (Dense × Box × List Relax))
    (refs : List (List (Nat × Rat) × Rat)) : Bool :=
  crownChainOk B steps && refutesAll (fun c => crownLower (crownSteps steps) c B) dnf refs

/-- **A checked CROWN leaf is safe**: no input of its box violates the property. -/
theorem crownLeafOk_safe {dnf : List (List Row)} {B : Box} {steps : List (Dense × Box × List Relax)}
    {refs : List (List (Nat × Rat) × Rat)} (h : crownLeafOk dnf B steps refs = true) :
    ∀ x, Box.Mem B x → Safe dnf (evalNet (steps.map Prod.fst) x) := by
  simp only [crownLeafOk, Bool.and_eq_true] at h
  exact crownLeaf_safe (crownChain_of_ok B steps h.1) h.2

/-- The whole local check of a CROWN leaf whose pre-activation boxes are themselves justified
by CROWN (`boxesOk`), then one refuted combination of rows per disjunct. -/
@[expose] noncomputable def crownBoxLeafOk (dnf : List (List Row)) (B : Box)
    (steps : List (Dense × Box × List Relax)) (refs : List (List (Nat × Rat) × Rat)) : Bool :=
  boxesOk B [] B steps && refutesAll (fun c => crownLower (crownSteps steps) c B) dnf refs

/-- **A checked CROWN-box leaf is safe**: no input of its box violates the property. -/
theorem crownBoxLeafOk_safe {dnf : List (List Row)} {B : Box} {steps : List (Dense × Box × List Relax)}
    {refs : List (List (Nat × Rat) × Rat)} (h : crownBoxLeafOk dnf B steps refs = true) :
    ∀ x, Box.Mem B x → Safe dnf (evalNet (steps.map Prod.fst) x) := by
  simp only [crownBoxLeafOk, Bool.and_eq_true] at h
  exact fun x hx => safe_of_refutesAll (fun c => boxesOk_crownLower_le h.1 c hx) dnf refs h.2

/-- The whole local check of an IBP leaf: its chain, then one refuted row per disjunct. -/
@[expose] def ibpLeafOk (dnf : List (List Row)) (B : Box) (steps : List (Dense × Box))
    (refs : List (List (Nat × Rat) × Rat)) : Bool :=
  chainOk B steps && refutesAll (fun c => (ibpDot c (chainOut B steps)).lo) dnf refs

/-- **A checked IBP leaf is safe**: no input of its box violates the property. -/
theorem ibpLeafOk_safe {dnf : List (List Row)} {B : Box} {steps : List (Dense × Box)}
    {refs : List (List (Nat × Rat) × Rat)} (h : ibpLeafOk dnf B steps refs = true) :
    ∀ x, Box.Mem B x → Safe dnf (evalNet (chainNet steps) x) := by
  simp only [ibpLeafOk, Bool.and_eq_true] at h
  exact ibpLeaf_safe (chain_of_ok B steps h.1) h.2

/-- `B` with coordinate `d`'s upper end replaced by `m`. -/
@[expose] def setHi : Box → Nat → Rat → Box
  | [], _, _ => []
  | I :: Is, 0, m => ⟨I.lo, m⟩ :: Is
  | I :: Is, n + 1, m => I :: setHi Is n m

/-- `B` with coordinate `d`'s lower end replaced by `m`. -/
@[expose] def setLo : Box → Nat → Rat → Box
  | [], _, _ => []
  | I :: Is, 0, m => ⟨m, I.hi⟩ :: Is
  | I :: Is, n + 1, m => I :: setLo Is n m

/-- Every point of `B` lies in one of the two halves of a split at `x_d = m`. -/
theorem mem_split : ∀ (B : Box) (d : Nat) (m : Rat) (x : List Rat), Box.Mem B x →
    Box.Mem (setHi B d m) x ∨ Box.Mem (setLo B d m) x
  | [], _, _, _, h => Or.inl (by simpa [setHi] using h)
  | I :: Is, 0, m, x :: xs, h => by
    simp only [Box.Mem] at h
    by_cases hm : x ≤ m
    · exact Or.inl ⟨⟨h.1.1, hm⟩, h.2⟩
    · exact Or.inr ⟨⟨by grind, h.1.2⟩, h.2⟩
  | I :: Is, n + 1, m, x :: xs, h => by
    simp only [Box.Mem] at h
    rcases mem_split Is n m xs h.2 with h' | h'
    · exact Or.inl ⟨h.1, h'⟩
    · exact Or.inr ⟨h.1, h'⟩
  | _ :: _, _, _, [], h => by simp [Box.Mem] at h

/-- A certificate tree: input splits down to leaves, each leaf stating its box. -/
inductive Tree where
  /-- A leaf and the box its local certificate is about. -/
  | leaf (B : Box)
  /-- Split on input `d` at `m`: `below` covers `x_d ≤ m`, `above` covers `x_d ≥ m`. -/
  | split (d : Nat) (m : Rat) (below above : Tree)

/-- The leaves' boxes, left to right, in front of `acc`. -/
@[expose] def Tree.leavesOnto : Tree → List Box → List Box
  | .leaf B, acc => B :: acc
  | .split _ _ t u, acc => t.leavesOnto (u.leavesOnto acc)

/-- The leaves' boxes, left to right. -/
@[expose] def Tree.leaves (t : Tree) : List Box := t.leavesOnto []

theorem Tree.mem_leavesOnto : ∀ (t : Tree) (acc : List Box) (C : Box),
    C ∈ t.leavesOnto acc ↔ C ∈ t.leaves ∨ C ∈ acc
  | .leaf B, acc, C => by simp [Tree.leavesOnto, Tree.leaves]
  | .split _ _ t u, acc, C => by
    simp only [Tree.leaves, Tree.leavesOnto]
    rw [Tree.mem_leavesOnto t, Tree.mem_leavesOnto u, Tree.mem_leavesOnto t (u.leavesOnto []),
      Tree.mem_leavesOnto u]
    simp only [List.not_mem_nil, or_false]
    grind

/-- The splits send every point of `B` to a leaf whose box contains it. -/
@[expose] def covers : Box → Tree → Bool
  | B, .leaf C => boxSubset B C
  | B, .split d m t u => covers (setHi B d m) t && covers (setLo B d m) u

/-- **Coverage**: a covering tree has, for each point of the root box, a leaf box containing it. -/
theorem covers_sound : ∀ (B : Box) (t : Tree) (x : List Rat), covers B t = true → Box.Mem B x →
    ∃ C ∈ t.leaves, Box.Mem C x
  | B, .leaf C, x, h, hx => ⟨C, by simp [Tree.leaves, Tree.leavesOnto], mem_of_boxSubset h hx⟩
  | B, .split d m t u, x, h, hx => by
    simp only [covers, Bool.and_eq_true] at h
    rcases mem_split B d m x hx with h' | h'
    · obtain ⟨C, hC, hm⟩ := covers_sound _ t x h.1 h'
      exact ⟨C, by simp only [Tree.leaves, Tree.leavesOnto]; rw [Tree.mem_leavesOnto]; exact Or.inl hC, hm⟩
    · obtain ⟨C, hC, hm⟩ := covers_sound _ u x h.2 h'
      refine ⟨C, ?_, hm⟩
      simp only [Tree.leaves, Tree.leavesOnto]
      rw [Tree.mem_leavesOnto, Tree.mem_leavesOnto]
      exact Or.inr (Or.inl hC)

/-- `P` holds on every point of every box of the list (one proof per leaf). -/
@[expose] def AllLeaves (P : List Rat → Prop) : List Box → Prop
  | [] => True
  | C :: Cs => (∀ x, Box.Mem C x → P x) ∧ AllLeaves P Cs

theorem allLeaves_mem {P : List Rat → Prop} : ∀ {Cs : List Box} {C : Box}, AllLeaves P Cs → C ∈ Cs →
    ∀ x, Box.Mem C x → P x
  | [], _, _, h => by simp at h
  | D :: Ds, C, h, hm => by
    simp only [List.mem_cons] at hm
    rcases hm with rfl | hm
    · exact h.1
    · exact allLeaves_mem h.2 hm

/-- **Branch-and-bound soundness**: if the tree covers `B` and `P` holds on every leaf box, `P`
holds on all of `B`. -/
theorem bab_sound {B : Box} {t : Tree} {P : List Rat → Prop} (hcov : covers B t = true)
    (hall : AllLeaves P t.leaves) : ∀ x, Box.Mem B x → P x := fun x hx => by
  obtain ⟨C, hC, hm⟩ := covers_sound B t x hcov hx
  exact allLeaves_mem hall hC x hm

end TorchLean.Cert
