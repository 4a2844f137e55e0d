module

public import TorchLean.IR.Mlp

/-! # Rows of a dense view: taps, zero rows, `layerOut` over rows built alike

The dense views of conv, pool and maxpool nodes build their matrices from few numbers: a row from
its taps (`rowOfTaps`), blocks of rows side by side (`layerOut_append`, `layerOut_flatMap`). These
are the facts about `dot` and `layerOut` their proofs share.
-/

public section

namespace TorchLean.IR

/-! ## Rows from taps -/

/-- `row` with `w` added at index `j` (unchanged when `j` is past its end). -/
@[expose] noncomputable def addAt : List Rat → Nat → Rat → List Rat
  | [], _, _ => []
  | r :: rs, 0, w => (r + w) :: rs
  | r :: rs, j + 1, w => r :: addAt rs j w

theorem length_addAt : ∀ (row : List Rat) (j : Nat) (w : Rat), (addAt row j w).length = row.length
  | [], _, _ => rfl
  | _ :: _, 0, _ => rfl
  | _ :: rs, j + 1, w => by simp only [addAt, List.length_cons, length_addAt rs j w]

theorem dot_addAt : ∀ (row x : List Rat) (j : Nat) (w : Rat), row.length = x.length →
    dot (addAt row j w) x = dot row x + w * elemAt x j
  | [], [], _, _, _ => by simp only [addAt, dot, elemAt]; grind
  | [], _ :: _, _, _, h => by simp at h
  | _ :: _, [], _, _, h => by simp at h
  | _ :: _, _ :: _, 0, _, _ => by simp only [addAt, dot, elemAt]; grind
  | _ :: rs, _ :: xs, j + 1, w, h => by
    simp only [List.length_cons, Nat.add_right_cancel_iff] at h
    simp only [addAt, dot, elemAt, dot_addAt rs xs j w h]; grind

/-- What a tap reads of `x`: an element, or `0` (a padding position). -/
@[expose] noncomputable def valAt (x : List Rat) : Option Nat → Rat
  | some j => elemAt x j
  | none => 0

theorem valAt_some (x : List Rat) (j : Nat) : valAt x (some j) = elemAt x j := rfl
theorem valAt_none (x : List Rat) : valAt x none = 0 := rfl

/-- `row` with every tap `(w, some j)` added at `j`; padding taps add nothing. -/
@[expose] noncomputable def rowOfTaps : List Rat → List (Rat × Option Nat) → List Rat
  | row, [] => row
  | row, (w, some j) :: ts => rowOfTaps (addAt row j w) ts
  | row, (_, none) :: ts => rowOfTaps row ts

theorem length_rowOfTaps : ∀ (ts : List (Rat × Option Nat)) (row : List Rat), (rowOfTaps row ts).length = row.length
  | [], _ => rfl
  | (w, some j) :: ts, row => by simp only [rowOfTaps, length_rowOfTaps ts, length_addAt]
  | (_, none) :: ts, row => by simp only [rowOfTaps, length_rowOfTaps ts]

theorem foldl_add (a : Rat) : ∀ (l : List Rat), l.foldl (· + ·) a = a + l.foldl (· + ·) 0
  | [] => by simp only [List.foldl_nil]; grind
  | b :: l => by
    simp only [List.foldl_cons]
    rw [foldl_add (a + b) l, foldl_add (0 + b) l]; grind

theorem sumList_nil : sumList [] = 0 := rfl

theorem sumList_cons (a : Rat) (l : List Rat) : sumList (a :: l) = a + sumList l := by
  simp only [sumList, List.foldl_cons]; rw [foldl_add]; grind

theorem dot_rowOfTaps (x : List Rat) : ∀ (ts : List (Rat × Option Nat)) (row : List Rat), row.length = x.length →
    dot (rowOfTaps row ts) x = dot row x + sumList (ts.map fun t => t.1 * valAt x t.2)
  | [], _, _ => by simp only [rowOfTaps, List.map_nil, sumList_nil]; grind
  | (w, some j) :: ts, row, h => by
    simp only [rowOfTaps, List.map_cons, sumList_cons, valAt_some]
    rw [dot_rowOfTaps x ts (addAt row j w) (by rw [length_addAt]; exact h), dot_addAt row x j w h]; grind
  | (w, none) :: ts, row, h => by
    simp only [rowOfTaps, List.map_cons, sumList_cons, valAt_none]
    rw [dot_rowOfTaps x ts row h]; grind

theorem dot_zeros : ∀ (n : Nat) (x : List Rat), dot (List.replicate n 0) x = 0
  | 0, _ => rfl
  | _ + 1, [] => rfl
  | n + 1, _ :: xs => by simp only [List.replicate_succ, dot, dot_zeros n xs]; grind

/-! ## `layerOut` over rows and biases built alike -/

theorem layerOut_append (a : Act) (x : List Rat) : ∀ (R1 : List (List Rat)) (B1 : List Rat) (R2 : List (List Rat))
    (B2 : List Rat), R1.length = B1.length → layerOut a x (R1 ++ R2) (B1 ++ B2) = layerOut a x R1 B1 ++ layerOut a x R2 B2
  | [], [], _, _, _ => rfl
  | [], _ :: _, _, _, h => by simp at h
  | _ :: _, [], _, _, h => by simp at h
  | _ :: R1, _ :: B1, R2, B2, h => by
    simp only [List.length_cons, Nat.add_right_cancel_iff] at h
    simp only [List.cons_append, layerOut, layerOut_append a x R1 B1 R2 B2 h]

theorem layerOut_flatMap {α : Type} (a : Act) (x : List Rat) (f : α → List (List Rat)) (g : α → List Rat)
    (hfg : ∀ v, (f v).length = (g v).length) : ∀ (L : List α),
    layerOut a x (L.flatMap f) (L.flatMap g) = L.flatMap fun v => layerOut a x (f v) (g v)
  | [] => rfl
  | v :: L => by
    simp only [List.flatMap_cons]
    rw [layerOut_append a x _ _ _ _ (hfg v), layerOut_flatMap a x f g hfg L]

theorem layerOut_map {α : Type} (a : Act) (x : List Rat) (f : α → List Rat) (g : α → Rat) : ∀ (L : List α),
    layerOut a x (L.map f) (L.map g) = L.map fun v => a.eval (dot (f v) x + g v)
  | [] => rfl
  | v :: L => by simp only [List.map_cons, layerOut, layerOut_map a x f g L]

theorem length_flatMap_const {α β : Type} (f : α → List β) (k : Nat) (hf : ∀ a, (f a).length = k) :
    ∀ (L : List α), (L.flatMap f).length = L.length * k
  | [] => by simp
  | a :: L => by
    simp only [List.flatMap_cons, List.length_append, hf a, length_flatMap_const f k hf L, List.length_cons]
    rw [Nat.succ_mul, Nat.add_comm]

/-- A grid of `a × b × c` entries has `a * (b * c)` of them. -/
theorem length_grid {β : Type} (a b c : Nat) (F : Nat → Nat → Nat → β) :
    ((List.range a).flatMap fun i => (List.range b).flatMap fun j => (List.range c).map fun k => F i j k).length =
      a * (b * c) := by
  rw [length_flatMap_const _ (b * c) (fun i => by
    rw [length_flatMap_const _ c (fun j => by simp only [List.length_map, List.length_range]) (List.range b),
      List.length_range]) (List.range a), List.length_range]

theorem length_chunks (k : Nat) : ∀ (m : Nat) (xs : List Rat), (chunks k m xs).length = m
  | 0, _ => rfl
  | m + 1, xs => by simp only [chunks, List.length_cons, length_chunks k m]

end TorchLean.IR
