module

public import TorchLean.IR.Rows

/-! # Chains of steps and the layers they make

A chain graph's nodes are read as steps (`Step`: affine, activation, or nothing); an affine step
and the activation after it make a dense layer (`layersOfSteps`), and `evalSteps_layersOfSteps`
says the steps and the layers compute the same.
-/

public section

namespace TorchLean.IR

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

theorem evalSteps_append : ∀ (ss ts : List Step) (x : List Rat), evalSteps (ss ++ ts) x = evalSteps ts (evalSteps ss x)
  | [], _, _ => rfl
  | s :: ss, ts, x => by simp only [List.cons_append, evalSteps, evalSteps_append ss ts]

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

end TorchLean.IR
