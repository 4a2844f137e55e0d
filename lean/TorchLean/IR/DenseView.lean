module

public import TorchLean.IR.Mlp

/-! # The dense view of a chain graph

`src/bounds/dense.rs` (`Dense::of`) reads a graph that is a chain from its one input to its one
output as a dense network: `linear`, `conv2d` and `avgpool2d` are affine (a convolution or an
average pool as its matrix over the row-major input), `relu` and `identity` are activations, and
`flatten` and `reshape` leave the data as it is. An affine node and the activation after it make a
layer (identity when none follows). The certificates' checkers reason about that dense network
(`evalNet`); this file is the same reading in Lean and its proof:

- `conv2dData_eq`, `poolData_avg_eq`: a convolution and an average pool are `layerOut` of their
  matrices (`convRows`, `poolRows`), for every input of the right length;
- `chainOf` reads a graph's nodes as steps (`Step`), `layersOfSteps` groups them into layers;
- `denote_chain`: when both succeed, the graph's denotation is `evalNet` of those layers.
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

/-! ## Convolution -/

/-- The input index a padded position `(i, y, z)` reads, or `none` for padding. -/
@[expose] noncomputable def padIdx (h w ph pw i y z : Nat) : Option Nat :=
  if ph ≤ y ∧ y < h + ph ∧ pw ≤ z ∧ z < w + pw then some ((i * h + (y - ph)) * w + (z - pw)) else none

theorem padAt_eq (h w ph pw : Nat) (x : List Rat) (i y z : Nat) :
    padAt h w ph pw x i y z = valAt x (padIdx h w ph pw i y z) := by
  unfold padAt padIdx; split <;> rfl

/-- The taps of output `(o, r, c)`: each weight with the input index it multiplies. -/
@[expose] noncomputable def convTaps (ci h w kh kw sh sw ph pw : Nat) (wt : List Rat) (o r c : Nat) :
    List (Rat × Option Nat) :=
  (List.range ci).flatMap fun i => (List.range kh).flatMap fun ki => (List.range kw).map fun kj =>
    (elemAt wt (((o * ci + i) * kh + ki) * kw + kj), padIdx h w ph pw i (r * sh + ki) (c * sw + kj))

/-- The matrix of `conv2d` over a `[ci, h, w]` input: one row per output `(o, r, c)`. -/
@[expose] noncomputable def convRows (ci h w co kh kw sh sw ph pw oh ow : Nat) (wt : List Rat) : List (List Rat) :=
  (List.range co).flatMap fun o => (List.range oh).flatMap fun r => (List.range ow).map fun c =>
    rowOfTaps (List.replicate (ci * h * w) 0) (convTaps ci h w kh kw sh sw ph pw wt o r c)

/-- The bias of `conv2d`, one per output `(o, r, c)`: `b[o]`. -/
@[expose] noncomputable def convBias (co oh ow : Nat) (b : List Rat) : List Rat :=
  (List.range co).flatMap fun o => (List.range oh).flatMap fun _ => (List.range ow).map fun _ => elemAt b o

/-- **A convolution is its matrix**: on an input of `ci·h·w` elements, `conv2dData` is the affine
map of `convRows` and `convBias`. -/
theorem conv2dData_eq (ci h w co kh kw sh sw ph pw oh ow : Nat) (x wt b : List Rat) (hx : x.length = ci * h * w) :
    conv2dData ci h w co kh kw sh sw ph pw oh ow x wt b =
      layerOut .identity x (convRows ci h w co kh kw sh sw ph pw oh ow wt) (convBias co oh ow b) := by
  unfold conv2dData convRows convBias
  rw [layerOut_flatMap _ _ _ _ (fun _ => by simp [List.length_flatMap])]
  congr 1; funext o
  rw [layerOut_flatMap _ _ _ _ (fun _ => by simp)]
  congr 1; funext r
  rw [layerOut_map]
  congr 1; funext c
  rw [dot_rowOfTaps x _ _ (by simp [hx]), dot_zeros]
  simp only [Act.eval, convTaps, List.map_flatMap, List.map_map, Function.comp_def, padAt_eq]
  grind

/-! ## Average pooling -/

/-- The taps of the window with corner `(y, z)` of channel `ch`, each with the factor `f`. -/
@[expose] noncomputable def poolTaps (h w kh kw : Nat) (f : Rat) (ch y z : Nat) : List (Rat × Option Nat) :=
  (List.range kh).flatMap fun ki => (List.range kw).map fun kj => (f, some ((ch * h + y + ki) * w + z + kj))

/-- The matrix of an average pool over a `[c, h, w]` input with factor `f = 1/(kh·kw)`. -/
@[expose] noncomputable def poolRows (c h w kh kw sh sw oh ow : Nat) (f : Rat) : List (List Rat) :=
  (List.range c).flatMap fun ch => (List.range oh).flatMap fun r => (List.range ow).map fun col =>
    rowOfTaps (List.replicate (c * h * w) 0) (poolTaps h w kh kw f ch (r * sh) (col * sw))

/-- The (zero) bias of an average pool. -/
@[expose] noncomputable def poolBias (c oh ow : Nat) : List Rat :=
  (List.range c).flatMap fun _ => (List.range oh).flatMap fun _ => (List.range ow).map fun _ => 0

theorem sumList_map_mul (f : Rat) : ∀ (l : List Rat), sumList (l.map (f * ·)) = f * sumList l
  | [] => by simp only [List.map_nil, sumList_nil]; grind
  | a :: l => by simp only [List.map_cons, sumList_cons, sumList_map_mul f l]; grind

/-- **An average pool is its matrix**: on an input of `c·h·w` elements, `poolData true` is the
linear map of `poolRows` with factor `1/(kh·kw)`. -/
theorem poolData_avg_eq (c h w kh kw sh sw oh ow : Nat) (x : List Rat) (hx : x.length = c * h * w) :
    poolData true c h w kh kw sh sw oh ow x =
      layerOut .identity x (poolRows c h w kh kw sh sw oh ow (1 / ((kh * kw : Nat) : Rat))) (poolBias c oh ow) := by
  unfold poolData poolRows poolBias
  rw [layerOut_flatMap _ _ _ _ (fun _ => by simp [List.length_flatMap])]
  congr 1; funext ch
  rw [layerOut_flatMap _ _ _ _ (fun _ => by simp)]
  congr 1; funext r
  rw [layerOut_map]
  congr 1; funext col
  rw [dot_rowOfTaps x _ _ (by simp [hx]), dot_zeros]
  have hw : ((poolTaps h w kh kw (1 / ((kh * kw : Nat) : Rat)) ch (r * sh) (col * sw)).map fun t => t.1 * valAt x t.2) =
      (window h w kh kw x ch (r * sh) (col * sw)).map ((1 / ((kh * kw : Nat) : Rat)) * ·) := by
    simp only [poolTaps, window, List.map_flatMap, List.map_map, Function.comp_def, valAt]
  simp only [Act.eval, if_true]
  rw [hw, sumList_map_mul]
  grind

/-! ## Chains of steps -/

/-- What a node of a chain does to the data of the value before it. -/
inductive Step where
  /-- `layerOut .identity x W b`. -/
  | affine (W : List (List Rat)) (b : List Rat)
  /-- The activation on every element. -/
  | act (a : Act)
  /-- Nothing (`flatten`, `reshape`: row-major data either way). -/
  | keep

/-- The data a step gives. -/
@[expose] noncomputable def Step.eval : Step → List Rat → List Rat
  | .affine W b, x => layerOut .identity x W b
  | .act a, x => x.map a.eval
  | .keep, x => x

/-- The steps applied in order. -/
@[expose] noncomputable def evalSteps : List Step → List Rat → List Rat
  | [], x => x
  | s :: ss, x => evalSteps ss (s.eval x)

/-- The steps without the `keep`s. -/
@[expose] noncomputable def dropKeeps : List Step → List Step
  | [] => []
  | .keep :: ss => dropKeeps ss
  | .affine W b :: ss => .affine W b :: dropKeeps ss
  | .act a :: ss => .act a :: dropKeeps ss

theorem evalSteps_dropKeeps : ∀ (ss : List Step) (x : List Rat), evalSteps (dropKeeps ss) x = evalSteps ss x
  | [], _ => rfl
  | .keep :: ss, x => by simp only [dropKeeps, evalSteps, Step.eval, evalSteps_dropKeeps ss x]
  | .affine _ _ :: ss, x => by simp only [dropKeeps, evalSteps, evalSteps_dropKeeps ss]
  | .act _ :: ss, x => by simp only [dropKeeps, evalSteps, evalSteps_dropKeeps ss]

/-- Layers from steps without `keep`s: an affine step and the activation right after it (identity
when none) make a layer; an activation with no affine step before it makes none. -/
@[expose] noncomputable def layersOfSteps : List Step → Option (List Dense)
  | [] => some []
  | .affine W b :: .act a :: ss => (layersOfSteps ss).map (⟨W, b, a⟩ :: ·)
  | .affine W b :: .affine W' b' :: ss => (layersOfSteps (.affine W' b' :: ss)).map (⟨W, b, .identity⟩ :: ·)
  | .affine W b :: .keep :: ss => (layersOfSteps (.keep :: ss)).map (⟨W, b, .identity⟩ :: ·)
  | [.affine W b] => some [⟨W, b, .identity⟩]
  | .act _ :: _ => none
  | .keep :: _ => none

theorem map_act_layerOut (a : Act) (x : List Rat) (W : List (List Rat)) (b : List Rat) :
    (layerOut .identity x W b).map a.eval = layerOut a x W b := by
  cases a
  · exact map_relu_layerOut x W b
  · induction W generalizing b with
    | nil => rfl
    | cons r W ih => cases b with
      | nil => rfl
      | cons c b => simp only [layerOut, List.map_cons, ih]; rfl

theorem evalSteps_layersOfSteps : ∀ (ss : List Step) (net : List Dense) (x : List Rat),
    layersOfSteps ss = some net → evalSteps ss x = evalNet net x
  | [], net, x, h => by simp only [layersOfSteps, Option.some.injEq] at h; subst h; rfl
  | .affine W b :: .act a :: ss, net, x, h => by
    simp only [layersOfSteps, Option.map_eq_some_iff] at h
    obtain ⟨rest, hr, rfl⟩ := h
    simp only [evalSteps, Step.eval, evalNet, Dense.eval, map_act_layerOut]
    exact evalSteps_layersOfSteps ss rest _ hr
  | .affine W b :: .affine W' b' :: ss, net, x, h => by
    simp only [layersOfSteps, Option.map_eq_some_iff] at h
    obtain ⟨rest, hr, rfl⟩ := h
    have := evalSteps_layersOfSteps (.affine W' b' :: ss) rest (layerOut .identity x W b) hr
    simp only [evalSteps, Step.eval, evalNet, Dense.eval] at this ⊢
    exact this
  | .affine W b :: .keep :: ss, net, x, h => by
    simp only [layersOfSteps, Option.map_eq_some_iff] at h
    obtain ⟨rest, hr, rfl⟩ := h
    have := evalSteps_layersOfSteps (.keep :: ss) rest (layerOut .identity x W b) hr
    simp only [evalSteps, Step.eval, evalNet, Dense.eval] at this ⊢
    exact this
  | [.affine W b], net, x, h => by
    simp only [layersOfSteps, Option.some.injEq] at h; subst h; rfl
  | .act _ :: _, _, _, h => by simp [layersOfSteps] at h
  | .keep :: _, _, _, h => by simp [layersOfSteps] at h

/-! ## A chain graph's nodes as steps -/

/-- The step of a node whose operand has shape `s` and whose parameters are `qs`, with stated
shape `t` and attributes `attrs`, when the node is a chain layer and every shape fits. -/
@[expose] noncomputable def nodeStep (op : Op) (s : List Nat) (qs : List Value) (t attrs : List Nat) : Option Step :=
  match op, qs with
  | .linear, [wv, bv] =>
    match s with
    | [n] =>
      if 0 < n ∧ t = [bv.data.length] then some (.affine (chunks n bv.data.length wv.data) bv.data) else none
    | _ => none
  | .conv2d, [wv, bv] =>
    match conv2dShape s wv.shape bv.shape attrs, s, attrs, t with
    | some s', [ci, h, wd], [_, co, kh, kw, sh, sw, ph, pw], [co', oh, ow] =>
      if s' = t ∧ co' = co then
        some (.affine (convRows ci h wd co kh kw sh sw ph pw oh ow wv.data) (convBias co oh ow bv.data))
      else none
    | _, _, _, _ => none
  | .avgpool2d, [] =>
    match poolShape s attrs, s, attrs, t with
    | some s', [c, h, wd], [kh, kw, sh, sw], [c', oh, ow] =>
      if s' = t ∧ c' = c then
        some (.affine (poolRows c h wd kh kw sh sw oh ow (1 / ((kh * kw : Nat) : Rat))) (poolBias c oh ow))
      else none
    | _, _, _, _ => none
  | .relu, [] => if t = s then some (.act .relu) else none
  | .identity, [] => if t = s then some (.act .identity) else none
  | .flatten, [] => if numel t = numel s then some .keep else none
  | .reshape, [] => if numel t = numel s then some .keep else none
  | _, _ => none

theorem length_layerOut_le (a : Act) (x : List Rat) : ∀ (W : List (List Rat)) (b : List Rat),
    W.length = b.length → (layerOut a x W b).length = b.length
  | W, b, h => layerOut_length a x W b h

theorem numel_three (a b c : Nat) : numel [a, b, c] = a * (b * c) := by simp [numel]

theorem map_identity : ∀ (x : List Rat), x.map (Act.eval .identity) = x
  | [] => rfl
  | _ :: xs => by simp only [List.map_cons, map_identity xs]; rfl

theorem conv2dEval_eq {ci hh wd i0 co kh kw sh sw ph pw oh ow : Nat} {x : List Rat} {wv bv : Value}
    (hs : conv2dShape [ci, hh, wd] wv.shape bv.shape [i0, co, kh, kw, sh, sw, ph, pw] = some [co, oh, ow]) :
    conv2dEval ⟨[ci, hh, wd], x⟩ wv bv [co, oh, ow] [i0, co, kh, kw, sh, sw, ph, pw] =
      some (conv2dData ci hh wd co kh kw sh sw ph pw oh ow x wv.data bv.data) := by
  delta conv2dEval
  simp only [hs, if_true]

theorem poolEval_avg_eq {c hh wd kh kw sh sw oh ow : Nat} {x : List Rat}
    (hs : poolShape [c, hh, wd] [kh, kw, sh, sw] = some [c, oh, ow]) :
    poolEval true ⟨[c, hh, wd], x⟩ [c, oh, ow] [kh, kw, sh, sw] = some (poolData true c hh wd kh kw sh sw oh ow x) := by
  delta poolEval
  simp only [hs, if_true]

/-- **A chain node computes its step**: for an operand of the shape's element count, the node's
denotation is the step's data, and it has the node's element count. -/
theorem nodeStep_eval {op : Op} {s : List Nat} {qs : List Value} {t attrs : List Nat} {st : Step}
    (h : nodeStep op s qs t attrs = some st) {x : List Rat} (hx : x.length = numel s) :
    Op.eval op [⟨s, x⟩] qs t attrs = some (st.eval x) ∧ (st.eval x).length = numel t := by
  unfold nodeStep at h
  split at h
  · -- linear
    rename_i wv bv
    split at h
    · rename_i n
      split at h
      · rename_i hc
        obtain ⟨hn, rfl⟩ := hc
        simp only [Option.some.injEq] at h; subst h
        have hx1 : x.length = n := by simpa [numel] using hx
        have h1 : x.length / n = 1 := by rw [hx1]; exact Nat.div_self hn
        have h2 : chunks n 1 x = [x] := by simp only [chunks, List.take_of_length_le (Nat.le_of_eq hx1)]
        refine ⟨?_, ?_⟩
        · simp only [Op.eval, lastDim, h1, h2, List.flatMap_cons, List.flatMap_nil, List.append_nil, Step.eval]
        · simp only [Step.eval, numel, Nat.mul_one]
          exact layerOut_length _ _ _ _ (length_chunks _ _ _)
      · simp at h
    · simp at h
  · -- conv2d
    rename_i wv bv
    split at h
    · rename_i s' ci hh wd i0 co kh kw sh sw ph pw co' oh ow hs
      split at h
      · rename_i hst
        obtain ⟨rfl, rfl⟩ := hst
        simp only [Option.some.injEq] at h; subst h
        have hx' : x.length = ci * hh * wd := by rw [hx]; simp [numel, Nat.mul_assoc]
        have hlen : (convRows ci hh wd co' kh kw sh sw ph pw oh ow wv.data).length = (convBias co' oh ow bv.data).length := by
          simp only [convRows, convBias, length_grid]
        refine ⟨?_, ?_⟩
        · simp only [Op.eval, Step.eval]
          rw [conv2dEval_eq hs, conv2dData_eq ci hh wd co' kh kw sh sw ph pw oh ow x wv.data bv.data hx']
        · simp only [Step.eval]
          rw [layerOut_length _ _ _ _ hlen]
          simp only [convBias, length_grid, numel, Nat.mul_one]
      · simp at h
    · simp at h
  · -- avgpool2d
    split at h
    · rename_i s' c hh wd kh kw sh sw c' oh ow hs
      split at h
      · rename_i hst
        obtain ⟨rfl, rfl⟩ := hst
        simp only [Option.some.injEq] at h; subst h
        have hx' : x.length = c' * hh * wd := by rw [hx]; simp [numel, Nat.mul_assoc]
        have hlen : (poolRows c' hh wd kh kw sh sw oh ow (1 / ((kh * kw : Nat) : Rat))).length = (poolBias c' oh ow).length := by
          simp only [poolRows, poolBias, length_grid]
        refine ⟨?_, ?_⟩
        · simp only [Op.eval, Step.eval]
          rw [poolEval_avg_eq hs, poolData_avg_eq c' hh wd kh kw sh sw oh ow x hx']
        · simp only [Step.eval]
          rw [layerOut_length _ _ _ _ hlen]
          simp only [poolBias, length_grid, numel, Nat.mul_one]
      · simp at h
    · simp at h
  · -- relu
    split at h
    · rename_i hts
      simp only [Option.some.injEq] at h; subst h; subst hts
      exact ⟨rfl, by simp only [Step.eval, List.length_map, hx]⟩
    · simp at h
  · -- identity
    split at h
    · rename_i hts
      simp only [Option.some.injEq] at h; subst h; subst hts
      exact ⟨by simp only [Op.eval, Step.eval, map_identity], by simp only [Step.eval, List.length_map, hx]⟩
    · simp at h
  · -- flatten
    split at h
    · rename_i hts
      simp only [Option.some.injEq] at h; subst h
      exact ⟨rfl, by simp only [Step.eval, hx, hts]⟩
    · simp at h
  · -- reshape
    split at h
    · rename_i hts
      simp only [Option.some.injEq] at h; subst h
      exact ⟨rfl, by simp only [Step.eval, hx, hts]⟩
    · simp at h
  · simp at h

/-- The data of parameter tensor `k` (`[]` past the end): certificate modules state a chain's
layers as `convRows`, `poolRows`, `chunks` of these, which the kernel computes from the graph's
few parameters instead of reading mostly-zero matrices from literals. -/
@[expose] noncomputable def paramData (params : List Value) (k : Nat) : List Rat :=
  match nth params k with
  | some v => v.data
  | none => []

/-! ## A chain graph's denotation -/

/-- The steps of nodes `k, k+1, …` of a chain whose value `k` has shape `s`: node `k` must read
value `k` alone (value 0 is the input); its parameters are looked up by index. -/
@[expose] noncomputable def chainSteps (params : List Value) : Nat → List Nat → List Node → Option (List Step)
  | _, _, [] => some []
  | k, s, n :: ns =>
    if n.parents = [k] then
      match nthAll params n.params with
      | some qs =>
        match nodeStep n.op s qs n.shape n.attrs, chainSteps params (k + 1) n.shape ns with
        | some st, some rest => some (st :: rest)
        | _, _ => none
      | none => none
    else none

/-- The steps of a chain graph: one input, every node reading the value before it, the last node
the only output. -/
@[expose] noncomputable def chainOf (g : Graph) (params : List Value) : Option (List Step) :=
  match g.inputs with
  | [s0] => if g.outputs = [g.nodes.length] then chainSteps params 0 s0 g.nodes else none
  | _ => none

theorem run_chain (params : List Value) : ∀ (ns : List Node) (k : Nat) (s : List Nat) (vals : List Value)
    (x : List Rat) (steps : List Step), chainSteps params k s ns = some steps → vals.length = k →
    x.length = numel s →
    ∃ vs s', run params (vals ++ [⟨s, x⟩]) ns = some (vs ++ [⟨s', evalSteps steps x⟩]) ∧ vs.length = k + ns.length
  | [], k, s, vals, x, steps, h, hv, _ => by
    simp only [chainSteps, Option.some.injEq] at h; subst h
    exact ⟨vals, s, by simp [run, evalSteps], by simp [hv]⟩
  | n :: ns, k, s, vals, x, steps, h, hv, hx => by
    unfold chainSteps at h
    split at h
    · rename_i hp
      split at h
      · rename_i qs hq
        split at h
        · rename_i st rest hst hrest
          simp only [Option.some.injEq] at h; subst h
          obtain ⟨he, hl⟩ := nodeStep_eval hst hx
          obtain ⟨vs, s', hrun, hlen⟩ :=
            run_chain params ns (k + 1) n.shape (vals ++ [⟨s, x⟩]) (st.eval x) rest hrest (by simp [hv]) hl
          refine ⟨vs, s', ?_, by simp only [List.length_cons] at hlen ⊢; omega⟩
          have h0 : nthAll (vals ++ [⟨s, x⟩]) n.parents = some [⟨s, x⟩] := by
            rw [hp]; simp only [nthAll, ← hv, nth_append_length]
          simp only [run, h0, hq, he, hl, if_true, evalSteps]
          exact hrun
        · simp at h
      · simp at h
    · simp at h

/-- **A chain graph denotes its dense view**: when `chainOf` reads the graph's nodes as steps and
`layersOfSteps` groups them into the layers `net`, the graph's denotation on any input of its
input's element count is `evalNet net`. -/
theorem denote_chain {g : Graph} {params : List Value} {steps : List Step} {net : List Dense} {s0 : List Nat}
    (hi : g.inputs = [s0]) (hc : chainOf g params = some steps) (hd : layersOfSteps (dropKeeps steps) = some net)
    {x : List Rat} (hx : x.length = numel s0) : denote g params [x] = some [evalNet net x] := by
  unfold chainOf at hc
  rw [hi] at hc
  simp only at hc
  split at hc
  · rename_i ho
    obtain ⟨vs, s', hrun, hlen⟩ := run_chain params g.nodes 0 s0 [] x steps hc rfl hx
    simp only [List.nil_append, Nat.zero_add] at hrun hlen
    have hb : bindInputs [s0] [x] = some [⟨s0, x⟩] := by simp [bindInputs, hx]
    simp only [denote, hi, hb, hrun, ho]
    rw [← hlen, show vs ++ [⟨s', evalSteps steps x⟩] = vs ++ ⟨s', evalSteps steps x⟩ :: [] from rfl]
    simp only [nthAll, nth_append_length, Option.map_some, List.map_cons, List.map_nil]
    rw [← evalSteps_dropKeeps, evalSteps_layersOfSteps _ _ x hd]
  · simp at hc

/-- Dense layers are compared field by field (written out: the kernel evaluates this instance). -/
noncomputable instance : DecidableEq Dense := fun a b =>
  if h : a.weight = b.weight ∧ a.bias = b.bias ∧ a.act = b.act then
    isTrue (by cases a; cases b; simp only at h; rw [h.1, h.2.1, h.2.2])
  else isFalse (by intro e; subst e; exact h ⟨rfl, rfl, rfl⟩)

/-- The dense view of a chain graph with its parameter tensors: its steps grouped into layers. -/
@[expose] noncomputable def chainNet (g : Graph) (params : List Value) : Option (List Dense) :=
  match chainOf g params with
  | some steps => layersOfSteps (dropKeeps steps)
  | none => none

/-- `denote_chain` for `chainNet`. -/
theorem denote_chainNet {g : Graph} {params : List Value} {net : List Dense} {s0 : List Nat}
    (hi : g.inputs = [s0]) (hc : chainNet g params = some net) {x : List Rat} (hx : x.length = numel s0) :
    denote g params [x] = some [evalNet net x] := by
  unfold chainNet at hc
  split at hc
  · rename_i steps hs
    exact denote_chain hi hs hc hx
  · simp at hc

end TorchLean.IR
