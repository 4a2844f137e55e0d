module

public import TorchLean.IR.MaxPoolView

/-! # The dense view of a chain graph

`src/bounds/dense.rs` (`Dense::of`) reads a graph that is a chain from its one input to its one
output as a dense network: `linear`, `conv2d` and `avgpool2d` are affine (a convolution or an
average pool as its matrix over the row-major input), `maxpool2d` is ReLU layers and an affine one,
`relu` and `identity` are activations, and `flatten` and `reshape` leave the data as it is. An affine node and the activation after it make a
layer (identity when none follows). The certificates' checkers reason about that dense network
(`evalNet`); this file is the same reading in Lean and its proof:

- `conv2dData_eq`, `poolData_avg_eq`: a convolution and an average pool are `layerOut` of their
  matrices (`convRows`, `poolRows`), for every input of the right length; a max pool is ReLU
  layers (`maxpoolSteps`, `poolData_max_eq` in `IR/MaxPoolView.lean`);
- `chainOf` reads a graph's nodes as steps (`Step`), `layersOfSteps` groups them into layers;
- `denote_chain`: when both succeed, the graph's denotation is `evalNet` of those layers.
-/

public section

namespace TorchLean.IR

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

theorem poolEval_max_eq {c hh wd kh kw sh sw oh ow : Nat} {x : List Rat}
    (hs : poolShape [c, hh, wd] [kh, kw, sh, sw] = some [c, oh, ow]) :
    poolEval false ⟨[c, hh, wd], x⟩ [c, oh, ow] [kh, kw, sh, sw] = some (poolData false c hh wd kh kw sh sw oh ow x) := by
  delta poolEval
  simp only [hs, if_true]

/-- The steps of a node: a max pool's layers (`maxpoolSteps`), else its one step (`nodeStep`). -/
@[expose] noncomputable def nodeSteps (op : Op) (s : List Nat) (qs : List Value) (t attrs : List Nat) : Option (List Step) :=
  match op, qs with
  | .maxpool2d, [] =>
    match poolShape s attrs, s, attrs, t with
    | some s', [c, h, wd], [kh, kw, sh, sw], [c', oh, ow] =>
      if s' = t ∧ c' = c ∧ 0 < kh * kw then some (maxpoolSteps c h wd kh kw sh sw oh ow) else none
    | _, _, _, _ => none
  | _, _ => (nodeStep op s qs t attrs).map ([·])

/-- **A chain node computes its steps** (`nodeStep_eval`, and `poolData_max_eq` for a max pool). -/
theorem nodeSteps_eval {op : Op} {s : List Nat} {qs : List Value} {t attrs : List Nat} {sts : List Step}
    (h : nodeSteps op s qs t attrs = some sts) {x : List Rat} (hx : x.length = numel s) :
    Op.eval op [⟨s, x⟩] qs t attrs = some (evalSteps sts x) ∧ (evalSteps sts x).length = numel t := by
  unfold nodeSteps at h
  split at h
  · split at h
    · rename_i s' c hh wd kh kw sh sw c' oh ow hs
      split at h
      · rename_i hst
        obtain ⟨rfl, rfl, hk⟩ := hst
        simp only [Option.some.injEq] at h; subst h
        have hx' : x.length = c' * hh * wd := by rw [hx]; simp [numel, Nat.mul_assoc]
        rw [poolData_max_eq c' hh wd kh kw sh sw oh ow x hx' hk]
        refine ⟨?_, ?_⟩
        · simp only [Op.eval]
          exact poolEval_max_eq hs
        · rw [poolData_max_cells, List.length_map, length_cells, numel_three]
      · simp at h
    · simp at h
  · obtain ⟨st, hst, rfl⟩ := Option.map_eq_some_iff.mp h
    exact nodeStep_eval hst hx

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
        match nodeSteps n.op s qs n.shape n.attrs, chainSteps params (k + 1) n.shape ns with
        | some sts, some rest => some (sts ++ rest)
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
        · rename_i sts rest hst hrest
          simp only [Option.some.injEq] at h; subst h
          obtain ⟨he, hl⟩ := nodeSteps_eval hst hx
          obtain ⟨vs, s', hrun, hlen⟩ :=
            run_chain params ns (k + 1) n.shape (vals ++ [⟨s, x⟩]) (evalSteps sts x) rest hrest (by simp [hv]) hl
          refine ⟨vs, s', ?_, by simp only [List.length_cons] at hlen ⊢; omega⟩
          have h0 : nthAll (vals ++ [⟨s, x⟩]) n.parents = some [⟨s, x⟩] := by
            rw [hp]; simp only [nthAll, ← hv, nth_append_length]
          simp only [run, h0, hq, he, hl, if_true, evalSteps_append]
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
