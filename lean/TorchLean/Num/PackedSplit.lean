module

public import TorchLean.Num.PackedBatch

/-! # A row crossed without mirrors: its weights split by sign

`rowDot` multiplies a negative weight's magnitude by the batch's mirror, so a checker forms a
mirror per neuron and matches a sign per weight. Split the row instead into its positive
magnitudes `posPart` and its negative ones `negPart` (zeros elsewhere): with every batch `x` at most
the mirror's constant `C`,

  `rowDot ws ss xs (xs.map (C - ·)) = Σ⁺ w·x + ((Σ⁻ w)·C − Σ⁻ w·x)`  (`rowDot_split`),

two unsigned dot products and no mirror. `dotRec` is that unsigned dot product written with
`List.rec` itself: the kernel takes one recursor step per weight, where the structural
recursion's `brecOn` takes about twice as many (`docs/lean-toolchain.md`).
-/

public section

namespace TorchLean.Num

/-- `nnDot`, as the kernel evaluates it fastest: one `List.rec` step and one `casesOn` per
weight, `Nat.add`/`Nat.mul` on literals. -/
@[expose] noncomputable def dotRec (ws : List Nat) : List Nat → Nat :=
  @List.rec Nat (fun _ => List Nat → Nat) (fun _ => 0)
    (fun w _ ih xs => @List.casesOn Nat (fun _ => Nat) xs 0 (fun x xt => Nat.add (Nat.mul w x) (ih xt))) ws

theorem dotRec_eq : ∀ (ws xs : List Nat), dotRec ws xs = nnDot ws xs
  | [], _ => rfl
  | _ :: _, [] => rfl
  | w :: ws, x :: xs => by
    show Nat.add (Nat.mul w x) (dotRec ws xs) = _
    rw [dotRec_eq ws xs]; rfl

/-- The magnitudes of the row's nonnegative weights, zero where the sign is `true`. -/
@[expose] def posPart : List Nat → List Bool → List Nat
  | w :: ws, s :: ss => (if s then 0 else w) :: posPart ws ss
  | _, _ => []

/-- The magnitudes of the row's negative weights, zero where the sign is `false`. -/
@[expose] def negPart : List Nat → List Bool → List Nat
  | w :: ws, s :: ss => (if s then w else 0) :: negPart ws ss
  | _, _ => []

/-- `wp = posPart ws ss`, `wn = negPart ws ss` and `acc + Σ wn = t`, decided in one pass over
the four lists with `Nat.beq` (comparing the lists with `==` took the kernel 5 s per 50×50 layer). -/
@[expose] def splitColB : List Nat → List Bool → List Nat → List Nat → Nat → Nat → Bool
  | w :: ws, false :: ss, p :: ps, n :: ns, acc, t => Nat.beq p w && Nat.beq n 0 && splitColB ws ss ps ns acc t
  | w :: ws, true :: ss, p :: ps, n :: ns, acc, t => Nat.beq p 0 && Nat.beq n w && splitColB ws ss ps ns (Nat.add acc w) t
  | [], [], [], [], acc, t => Nat.beq acc t
  | _, _, _, _, _, _ => false

theorem splitCol_of_B : ∀ {ws : List Nat} {ss : List Bool} {ps ns : List Nat} {acc t : Nat},
    splitColB ws ss ps ns acc t = true → ps = posPart ws ss ∧ ns = negPart ws ss ∧ acc + (negPart ws ss).sum = t
  | w :: ws, false :: ss, p :: ps, n :: ns, acc, t, h => by
    simp only [splitColB, Bool.and_eq_true] at h
    obtain ⟨⟨hp, hn⟩, h⟩ := h
    cases Nat.eq_of_beq_eq_true hp; cases Nat.eq_of_beq_eq_true hn
    obtain ⟨rfl, rfl, h3⟩ := splitCol_of_B h
    refine ⟨rfl, rfl, ?_⟩
    simp only [negPart, Bool.false_eq_true, if_false, List.sum_cons]
    omega
  | w :: ws, true :: ss, p :: ps, n :: ns, acc, t, h => by
    simp only [splitColB, Bool.and_eq_true] at h
    obtain ⟨⟨hp, hn⟩, h⟩ := h
    cases Nat.eq_of_beq_eq_true hp; cases Nat.eq_of_beq_eq_true hn
    obtain ⟨rfl, rfl, h3⟩ := splitCol_of_B h
    refine ⟨rfl, rfl, ?_⟩
    simp only [negPart, if_true, List.sum_cons]
    simp only [Nat.add_eq] at h3
    omega
  | [], [], [], [], acc, t, h => by
    simp only [splitColB] at h
    simp [posPart, negPart, Nat.eq_of_beq_eq_true h]
  | [], _ :: _, _, _, _, _, h => by simp [splitColB] at h
  | [], [], _ :: _, _, _, _, h => by simp [splitColB] at h
  | [], [], [], _ :: _, _, _, h => by simp [splitColB] at h
  | _ :: _, [], _, _, _, _, h => by simp [splitColB] at h
  | _ :: _, _ :: _, [], _, _, _, h => by cases ‹Bool› <;> simp [splitColB] at h
  | _ :: _, _ :: _, _ :: _, [], _, _, h => by cases ‹Bool› <;> simp [splitColB] at h

/-- `splitColB` for every column, each against its total. -/
@[expose] def splitColsB : List (List Nat) → List (List Bool) → List (List Nat) → List (List Nat) → List Nat → Bool
  | w :: ws, s :: ss, p :: ps, n :: ns, t :: ts => splitColB w s p n 0 t && splitColsB ws ss ps ns ts
  | [], [], [], [], [] => true
  | _, _, _, _, _ => false

theorem splitCols_of_B : ∀ {ws : List (List Nat)} {ss : List (List Bool)} {ps ns : List (List Nat)} {ts : List Nat},
    splitColsB ws ss ps ns ts = true →
      ps = List.zipWith posPart ws ss ∧ ns = List.zipWith negPart ws ss ∧ ts = ns.map List.sum
  | w :: ws, s :: ss, p :: ps, n :: ns, t :: ts, h => by
    simp only [splitColsB, Bool.and_eq_true] at h
    obtain ⟨h1, h2⟩ := h
    obtain ⟨rfl, rfl, ht⟩ := splitCol_of_B h1
    obtain ⟨rfl, rfl, rfl⟩ := splitCols_of_B h2
    refine ⟨rfl, rfl, ?_⟩
    simp only [List.zipWith_cons_cons, List.map_cons, Nat.zero_add] at ht ⊢
    rw [ht]
  | [], [], [], [], [], _ => ⟨rfl, rfl, rfl⟩
  | [], [], [], [], _ :: _, h => by simp [splitColsB] at h
  | [], [], [], _ :: _, _, h => by simp [splitColsB] at h
  | [], [], _ :: _, _, _, h => by simp [splitColsB] at h
  | [], _ :: _, _, _, _, h => by simp [splitColsB] at h
  | _ :: _, [], _, _, _, h => by simp [splitColsB] at h
  | _ :: _, _ :: _, [], _, _, h => by simp [splitColsB] at h
  | _ :: _, _ :: _, _ :: _, [], _, h => by simp [splitColsB] at h
  | _ :: _, _ :: _, _ :: _, _ :: _, [], h => by simp [splitColsB] at h

/-- The kernel accepts a split column and rejects a wrong part or a wrong sum. -/
theorem splitColB_example :
    splitColB [6, 8] [true, false] [0, 8] [6, 0] 0 6 = true ∧
      splitColB [6, 8] [true, false] [0, 8] [5, 0] 0 5 = false ∧
      splitColB [6, 8] [true, false] [0, 8] [6, 0] 0 7 = false ∧
      dotRec [2, 3] [5, 7] = 31 := by decide +kernel

/-- A dot product over entries at most `C` is at most the weights' sum times `C`. -/
theorem nnDot_le_sum_mul (C : Nat) : ∀ (ws xs : List Nat), (∀ x ∈ xs, x ≤ C) → nnDot ws xs ≤ ws.sum * C
  | w :: ws, x :: xs, h => by
    have hx := h x (by simp)
    have ih := nnDot_le_sum_mul C ws xs (fun y hy => h y (by simp [hy]))
    simp only [nnDot, List.sum_cons, Nat.add_mul]
    have := Nat.mul_le_mul_left w hx
    omega
  | [], _, _ => by simp [nnDot]
  | _ :: _, [], _ => by simp [nnDot]

/-- **A row over a batch and its mirrors is two unsigned dot products**, for entries at most `C`
and one sign and one entry per weight. -/
theorem rowDot_split (C : Nat) : ∀ (ws : List Nat) (ss : List Bool) (xs : List Nat), (∀ x ∈ xs, x ≤ C) →
    ss.length = ws.length → xs.length = ws.length →
    rowDot ws ss xs (xs.map (C - ·)) =
      nnDot (posPart ws ss) xs + ((negPart ws ss).sum * C - nnDot (negPart ws ss) xs)
  | [], _, _, _, _, _ => by simp [rowDot, posPart, negPart, nnDot]
  | _ :: _, [], _, _, h, _ => by simp at h
  | _ :: _, _ :: _, [], _, _, h => by simp at h
  | w :: ws, s :: ss, x :: xs, hx, h1, h2 => by
    have hxs : ∀ y ∈ xs, y ≤ C := fun y hy => hx y (by simp [hy])
    have ih := rowDot_split C ws ss xs hxs (by simpa using h1) (by simpa using h2)
    have hxC := hx x (by simp)
    have hN := nnDot_le_sum_mul C (negPart ws ss) xs hxs
    cases s
    · simp only [List.map_cons, rowDot, posPart, negPart, nnDot, Nat.add_eq, Nat.mul_eq, ih,
        Bool.false_eq_true, if_false, List.sum_cons, Nat.zero_add, Nat.zero_mul]
      omega
    · simp only [List.map_cons, rowDot, posPart, negPart, nnDot, Nat.add_eq, Nat.mul_eq, ih, if_true,
        List.sum_cons, Nat.zero_mul, Nat.zero_add, Nat.add_mul, Nat.mul_sub]
      have hwx : w * x ≤ w * C := Nat.mul_le_mul_left w hxC
      generalize w * x = a at *
      generalize w * C = b at *
      generalize nnDot (posPart ws ss) xs = P at *
      generalize nnDot (negPart ws ss) xs = N at *
      generalize (negPart ws ss).sum * C = S at *
      omega

/-- `layerOut` with the row split by sign (`rowDot_split`): the batches `xs` only, the mirrors'
constant `C = 2^(β+1)·splat B 1 n` once, the negative magnitudes' sum `ns` precomputed. -/
@[expose] noncomputable def layerOutP (B n β E q A : Nat) (wp wn : List Nat) (ns C : Nat) (xs : List Nat) : Nat :=
  shiftFields B q n (dotRec wp xs + (ns * C - dotRec wn xs) + (2 ^ E - 2 ^ β * A) * splat B 1 n)

/-- **The split row is the mirrored one.** -/
theorem layerOutP_eq {B n β E q A : Nat} {ws : List Nat} {ss : List Bool} {xs : List Nat}
    (hx : ∀ x ∈ xs, x ≤ 2 ^ (β + 1) * splat B 1 n) (h1 : ss.length = ws.length) (h2 : xs.length = ws.length) :
    layerOutP B n β E q A (posPart ws ss) (negPart ws ss) (negPart ws ss).sum (2 ^ (β + 1) * splat B 1 n) xs =
      layerOut B n β E q A ws ss xs (xs.map (mirror B β n)) := by
  unfold layerOutP layerOut
  rw [dotRec_eq, dotRec_eq, ← rowDot_split _ ws ss xs hx h1 h2]
  rfl

end TorchLean.Num
