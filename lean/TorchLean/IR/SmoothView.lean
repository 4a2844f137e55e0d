module

public import TorchLean.IR.DenseView
public import TorchLean.IR.Smooth

/-! # The dense view of a chain graph with smooth activations

`IR/DenseView.lean` reads a chain of `linear`, `conv2d`, `avgpool2d`, `maxpool2d`, `relu`,
`identity`, `flatten` and `reshape` nodes as dense layers. Here a chain may also hold `tanh`, `sigmoid` and `gelu` nodes:
each node is a step (`SStep`: a step of the dense view, or a smooth activation), `smoothLayers`
groups the steps into `SDense` layers, and `denoteS_smoothNet` proves that for every `σ` the graph's
denotation `denoteS σ` is `evalNetS σ` of them.
-/

public section

namespace TorchLean.IR

/-- What a node of a smooth chain does: a dense-view step, or a smooth activation. -/
inductive SStep where
  | step (s : Step)
  | smooth (k : Smooth)

/-- The data a step gives, smooth activations by `σ`. -/
@[expose] noncomputable def SStep.eval (σ : Fns) : SStep → List Rat → List Rat
  | .step s, x => s.eval x
  | .smooth k, x => x.map (σ.apply k)

/-- The steps applied in order. -/
@[expose] noncomputable def evalStepsS (σ : Fns) : List SStep → List Rat → List Rat
  | [], x => x
  | s :: ss, x => evalStepsS σ ss (s.eval σ x)

theorem evalStepsS_append (σ : Fns) : ∀ (ss ts : List SStep) (x : List Rat),
    evalStepsS σ (ss ++ ts) x = evalStepsS σ ts (evalStepsS σ ss x)
  | [], _, _ => rfl
  | s :: ss, ts, x => by simp only [List.cons_append, evalStepsS, evalStepsS_append σ ss ts]

theorem evalStepsS_map_step (σ : Fns) : ∀ (ss : List Step) (x : List Rat),
    evalStepsS σ (ss.map .step) x = evalSteps ss x
  | [], _ => rfl
  | s :: ss, x => by simp only [List.map_cons, evalStepsS, SStep.eval, evalSteps, evalStepsS_map_step σ ss]

/-- The steps of a node (see `nodeSteps`): a smooth activation keeps its operand's shape. -/
@[expose] noncomputable def nodeStepsS (op : Op) (s : List Nat) (qs : List Value) (t attrs : List Nat) :
    Option (List SStep) :=
  match Smooth.ofOp op, qs with
  | some k, [] => if t = s then some [.smooth k] else none
  | some _, _ => none
  | none, _ => (nodeSteps op s qs t attrs).map (List.map .step)

/-- **A smooth-chain node computes its steps** under every `σ`. -/
theorem nodeStepsS_eval (σ : Fns) {op : Op} {s : List Nat} {qs : List Value} {t attrs : List Nat} {sts : List SStep}
    (h : nodeStepsS op s qs t attrs = some sts) {x : List Rat} (hx : x.length = numel s) :
    Op.evalS σ op [⟨s, x⟩] qs t attrs = some (evalStepsS σ sts x) ∧ (evalStepsS σ sts x).length = numel t := by
  unfold nodeStepsS at h
  split at h
  · rename_i k hk
    split at h
    · rename_i hts
      simp only [Option.some.injEq] at h; subst h; subst hts
      refine ⟨?_, by simp only [evalStepsS, SStep.eval, List.length_map, hx]⟩
      simp only [Op.evalS, hk, evalStepsS, SStep.eval]
    · simp at h
  · simp at h
  · rename_i hk
    simp only [Option.map_eq_some_iff] at h
    obtain ⟨sts', hst, rfl⟩ := h
    rw [Op.evalS_of_ofOp_none hk, evalStepsS_map_step]
    exact nodeSteps_eval hst hx

/-- The steps of nodes `k, k+1, …` of a chain whose value `k` has shape `s` (see `chainSteps`). -/
@[expose] noncomputable def chainStepsS (params : List Value) : Nat → List Nat → List Node → Option (List SStep)
  | _, _, [] => some []
  | k, s, n :: ns =>
    if n.parents = [k] then
      match nthAll params n.params with
      | some qs =>
        match nodeStepsS n.op s qs n.shape n.attrs, chainStepsS params (k + 1) n.shape ns with
        | some sts, some rest => some (sts ++ rest)
        | _, _ => none
      | none => none
    else none

theorem runS_chain (σ : Fns) (params : List Value) : ∀ (ns : List Node) (k : Nat) (s : List Nat) (vals : List Value)
    (x : List Rat) (steps : List SStep), chainStepsS params k s ns = some steps → vals.length = k →
    x.length = numel s →
    ∃ vs s', runS σ params (vals ++ [⟨s, x⟩]) ns = some (vs ++ [⟨s', evalStepsS σ steps x⟩]) ∧ vs.length = k + ns.length
  | [], k, s, vals, x, steps, h, hv, _ => by
    simp only [chainStepsS, Option.some.injEq] at h; subst h
    exact ⟨vals, s, by simp [runS, evalStepsS], by simp [hv]⟩
  | n :: ns, k, s, vals, x, steps, h, hv, hx => by
    unfold chainStepsS at h
    split at h
    · rename_i hp
      split at h
      · rename_i qs hq
        split at h
        · rename_i sts rest hst hrest
          simp only [Option.some.injEq] at h; subst h
          obtain ⟨he, hl⟩ := nodeStepsS_eval σ hst hx
          obtain ⟨vs, s', hrun, hlen⟩ :=
            runS_chain σ params ns (k + 1) n.shape (vals ++ [⟨s, x⟩]) (evalStepsS σ sts x) rest hrest (by simp [hv]) hl
          refine ⟨vs, s', ?_, by simp only [List.length_cons] at hlen ⊢; omega⟩
          have h0 : nthAll (vals ++ [⟨s, x⟩]) n.parents = some [⟨s, x⟩] := by
            rw [hp]; simp only [nthAll, ← hv, nth_append_length]
          simp only [runS, h0, hq, he, hl, if_true, evalStepsS_append]
          exact hrun
        · simp at h
      · simp at h
    · simp at h

/-- The steps without the `keep`s. -/
@[expose] noncomputable def dropKeepsS : List SStep → List SStep
  | [] => []
  | .step .keep :: ss => dropKeepsS ss
  | s :: ss => s :: dropKeepsS ss

theorem evalStepsS_dropKeepsS (σ : Fns) : ∀ (ss : List SStep) (x : List Rat),
    evalStepsS σ (dropKeepsS ss) x = evalStepsS σ ss x
  | [], _ => rfl
  | .step .keep :: ss, x => by simp only [dropKeepsS, evalStepsS, SStep.eval, Step.eval, evalStepsS_dropKeepsS σ ss x]
  | .step (.affine _ _) :: ss, x => by simp only [dropKeepsS, evalStepsS, evalStepsS_dropKeepsS σ ss]
  | .step (.act _) :: ss, x => by simp only [dropKeepsS, evalStepsS, evalStepsS_dropKeepsS σ ss]
  | .smooth _ :: ss, x => by simp only [dropKeepsS, evalStepsS, evalStepsS_dropKeepsS σ ss]

/-- Layers from steps without `keep`s (see `layersOfSteps`): an affine step and the activation
right after it, exact or smooth (identity when none), make a layer. -/
@[expose] noncomputable def smoothLayers : List SStep → Option (List SDense)
  | [] => some []
  | .step (.affine W b) :: .step (.act a) :: ss => (smoothLayers ss).map (⟨W, b, .exact a⟩ :: ·)
  | .step (.affine W b) :: .smooth k :: ss => (smoothLayers ss).map (⟨W, b, .smooth k⟩ :: ·)
  | .step (.affine W b) :: .step (.affine W' b') :: ss =>
    (smoothLayers (.step (.affine W' b') :: ss)).map (⟨W, b, .exact .identity⟩ :: ·)
  | [.step (.affine W b)] => some [⟨W, b, .exact .identity⟩]
  | _ => none

theorem evalStepsS_smoothLayers (σ : Fns) : ∀ (ss : List SStep) (net : List SDense) (x : List Rat),
    smoothLayers ss = some net → evalStepsS σ ss x = evalNetS σ net x
  | [], net, x, h => by simp only [smoothLayers, Option.some.injEq] at h; subst h; rfl
  | .step (.affine W b) :: .step (.act a) :: ss, net, x, h => by
    simp only [smoothLayers, Option.map_eq_some_iff] at h
    obtain ⟨rest, hr, rfl⟩ := h
    simp only [evalStepsS, SStep.eval, Step.eval, evalNetS, SDense.eval, SAct.eval]
    exact evalStepsS_smoothLayers σ ss rest _ hr
  | .step (.affine W b) :: .smooth k :: ss, net, x, h => by
    simp only [smoothLayers, Option.map_eq_some_iff] at h
    obtain ⟨rest, hr, rfl⟩ := h
    simp only [evalStepsS, SStep.eval, Step.eval, evalNetS, SDense.eval, SAct.eval]
    exact evalStepsS_smoothLayers σ ss rest _ hr
  | .step (.affine W b) :: .step (.affine W' b') :: ss, net, x, h => by
    simp only [smoothLayers, Option.map_eq_some_iff] at h
    obtain ⟨rest, hr, rfl⟩ := h
    have := evalStepsS_smoothLayers σ (.step (.affine W' b') :: ss) rest (layerOut .identity x W b) hr
    simp only [evalStepsS, SStep.eval, Step.eval, evalNetS, SDense.eval, SAct.eval, map_identity] at this ⊢
    exact this
  | [.step (.affine W b)], net, x, h => by
    simp only [smoothLayers, Option.some.injEq] at h; subst h
    simp only [evalStepsS, SStep.eval, Step.eval, evalNetS, SDense.eval, SAct.eval, map_identity]
  | .step (.affine _ _) :: .step .keep :: _, _, _, h => by simp [smoothLayers] at h
  | .step (.act _) :: _, _, _, h => by simp [smoothLayers] at h
  | .step .keep :: _, _, _, h => by simp [smoothLayers] at h
  | .smooth _ :: _, _, _, h => by simp [smoothLayers] at h

/-- The dense view of a chain graph with smooth activations: one input, every node reading the
value before it, the last node the only output; its steps grouped into layers. -/
@[expose] noncomputable def smoothNet (g : Graph) (params : List Value) : Option (List SDense) :=
  match g.inputs with
  | [s0] =>
    if g.outputs = [g.nodes.length] then
      match chainStepsS params 0 s0 g.nodes with
      | some steps => smoothLayers (dropKeepsS steps)
      | none => none
    else none
  | _ => none

/-- **A smooth chain graph denotes its dense view**, for every choice `σ` of the smooth functions:
on any input of its input's element count, `denoteS σ` is `evalNetS σ` of `smoothNet`'s layers. -/
theorem denoteS_smoothNet (σ : Fns) {g : Graph} {params : List Value} {net : List SDense} {s0 : List Nat}
    (hi : g.inputs = [s0]) (hc : smoothNet g params = some net) {x : List Rat} (hx : x.length = numel s0) :
    denoteS σ g params [x] = some [evalNetS σ net x] := by
  unfold smoothNet at hc
  rw [hi] at hc
  simp only at hc
  split at hc
  · rename_i ho
    split at hc
    · rename_i steps hs
      obtain ⟨vs, s', hrun, hlen⟩ := runS_chain σ params g.nodes 0 s0 [] x steps hs rfl hx
      simp only [List.nil_append, Nat.zero_add] at hrun hlen
      have hb : bindInputs [s0] [x] = some [⟨s0, x⟩] := by simp [bindInputs, hx]
      simp only [denoteS, hi, hb, hrun, ho]
      rw [← hlen, show vs ++ [⟨s', evalStepsS σ steps x⟩] = vs ++ ⟨s', evalStepsS σ steps x⟩ :: [] from rfl]
      simp only [nthAll, nth_append_length, Option.map_some, List.map_cons, List.map_nil]
      rw [← evalStepsS_dropKeepsS, evalStepsS_smoothLayers σ _ _ x hc]
    · simp at hc
  · simp at hc

end TorchLean.IR
