module

public import TorchLean.IR.Graph

/-! # The IR graph of a dense network denotes the network

`src/ir/lower.rs` lowers an MLP to a graph with one `linear` node and one activation node per
layer, the parameters being the payload's `layers.{i}.weight` and `layers.{i}.bias` in order.
`mlpGraph` and `mlpParams` are that lowering, written in Lean. `denote_mlpGraph` proves that the
graph's denotation (`denote`, the IR semantics) is the dense network's (`evalNet`, the semantics
the bound checkers reason about), so a certificate proved about `evalNet net` is a fact about the
lowered graph. Generated certificate modules state the graph as Rust lowered it and let the kernel
check that it is `mlpGraph` of their network.
-/

public section

namespace TorchLean.IR

/-- The IR op of an activation. -/
@[expose] def Act.op : Act → Op
  | .relu => .relu
  | .identity => .identity

/-- The nodes of layers `i, i+1, …`: layer `i` reads value `2i` (the input for `i = 0`) and
parameters `2i` (weight) and `2i+1` (bias); its activation reads value `2i+1`. -/
@[expose] noncomputable def mlpNodes : Nat → List Dense → List Node
  | _, [] => []
  | i, L :: Ls =>
    ⟨.linear, [2 * i], [2 * i, 2 * i + 1], [L.bias.length], []⟩ ::
    ⟨L.act.op, [2 * i + 1], [], [L.bias.length], []⟩ :: mlpNodes (i + 1) Ls

/-- The graph of a dense network on inputs of width `n`: its output is the last node. -/
@[expose] noncomputable def mlpGraph (n : Nat) (net : List Dense) : Graph :=
  ⟨[[n]], mlpNodes 0 net, [2 * net.length]⟩

/-- The parameter tensors of a dense network on inputs of width `n`, in payload order: each layer's
`[out, in]` weight (rows concatenated) then its bias. -/
@[expose] noncomputable def mlpParams : Nat → List Dense → List Value
  | _, [] => []
  | n, L :: Ls => ⟨[L.bias.length, n], L.weight.flatten⟩ :: ⟨[L.bias.length], L.bias⟩ :: mlpParams L.bias.length Ls

/-- Every row has `n` entries. -/
@[expose] noncomputable def rowsHave (n : Nat) : List (List Rat) → Bool
  | [] => true
  | r :: rs => r.length == n && rowsHave n rs

/-- The network's shapes chain from input width `n`: every layer reads a nonempty vector, has one
bias per row, and rows as wide as its input. -/
@[expose] noncomputable def mlpShaped : Nat → List Dense → Bool
  | _, [] => true
  | n, L :: Ls => decide (0 < n) && L.weight.length == L.bias.length && rowsHave n L.weight &&
      mlpShaped L.bias.length Ls

theorem nth_append_length {α : Type} : ∀ (xs : List α) (v : α) (ys : List α), nth (xs ++ v :: ys) xs.length = some v
  | [], _, _ => rfl
  | _ :: xs, v, ys => nth_append_length xs v ys

theorem chunks_flatten (n : Nat) : ∀ (W : List (List Rat)), rowsHave n W = true → chunks n W.length W.flatten = W
  | [], _ => rfl
  | r :: rs, h => by
    simp only [rowsHave, Bool.and_eq_true, beq_iff_eq] at h
    obtain ⟨hr, hrs⟩ := h
    simp only [List.length_cons, List.flatten_cons, chunks]
    rw [List.take_left' hr, List.drop_left' hr, chunks_flatten n rs hrs]

theorem layerOut_length (a : Act) (x : List Rat) : ∀ (W : List (List Rat)) (b : List Rat), W.length = b.length →
    (layerOut a x W b).length = b.length
  | [], [], _ => rfl
  | [], _ :: _, h => by simp at h
  | _ :: _, [], h => by simp at h
  | _ :: W, _ :: b, h => by
    simp only [layerOut, List.length_cons] at h ⊢
    rw [layerOut_length a x W b (by omega)]

theorem map_relu_layerOut (x : List Rat) : ∀ (W : List (List Rat)) (b : List Rat),
    (layerOut .identity x W b).map (Act.eval .relu) = layerOut .relu x W b
  | [], _ => rfl
  | _ :: _, [] => rfl
  | _ :: W, _ :: b => by
    simp only [layerOut, List.map_cons, map_relu_layerOut x W b]; rfl

/-- The `linear` node computes the layer's affine map. -/
theorem linear_eval {n : Nat} {x : List Rat} {L : Dense} (hn : 0 < n) (hx : x.length = n)
    (hW : L.weight.length = L.bias.length) (hr : rowsHave n L.weight = true) (s : List Nat) :
    Op.eval .linear [⟨[n], x⟩] [⟨[L.bias.length, n], L.weight.flatten⟩, ⟨[L.bias.length], L.bias⟩] s [] =
      some (layerOut .identity x L.weight L.bias) := by
  have h1 : x.length / n = 1 := by rw [hx]; exact Nat.div_self hn
  have h2 : chunks n 1 x = [x] := by
    simp only [chunks, List.take_of_length_le (Nat.le_of_eq hx)]
  simp only [Op.eval, lastDim, h1, h2, List.flatMap_cons, List.flatMap_nil, List.append_nil]
  rw [← hW, chunks_flatten n _ hr]

/-- The activation node applies the layer's activation. -/
theorem act_eval (L : Dense) (x : List Rat) (s t : List Nat) :
    Op.eval L.act.op [⟨s, layerOut .identity x L.weight L.bias⟩] [] t [] = some (L.eval x) := by
  cases h : L.act <;> simp only [Act.op, Op.eval, Dense.eval, h, map_relu_layerOut] <;> rfl

theorem run_mlpNodes : ∀ (net : List Dense) (i n : Nat) (ps vals : List Value) (x : List Rat),
    mlpShaped n net = true → ps.length = 2 * i → vals.length = 2 * i → x.length = n →
    ∃ vs s, run (ps ++ mlpParams n net) (vals ++ [⟨[n], x⟩]) (mlpNodes i net) = some (vs ++ [⟨s, evalNet net x⟩]) ∧
      vs.length = 2 * (i + net.length)
  | [], i, n, ps, vals, x, _, _, hv, _ => ⟨vals, [n], by simp [mlpNodes, run, evalNet, hv]⟩
  | L :: Ls, i, n, ps, vals, x, h, hp, hv, hx => by
    simp only [mlpShaped, Bool.and_eq_true, beq_iff_eq, decide_eq_true_eq] at h
    obtain ⟨⟨⟨hn, hW⟩, hr⟩, hrest⟩ := h
    have hy : (layerOut .identity x L.weight L.bias).length = L.bias.length := layerOut_length _ _ _ _ hW
    have hz : (L.eval x).length = L.bias.length := layerOut_length _ _ _ _ hW
    have hv0 : nthAll (vals ++ [⟨[n], x⟩]) [2 * i] = some [⟨[n], x⟩] := by
      simp only [nthAll, ← hv, nth_append_length]
    have hp0 : nthAll (ps ++ mlpParams n (L :: Ls)) [2 * i, 2 * i + 1] =
        some [⟨[L.bias.length, n], L.weight.flatten⟩, ⟨[L.bias.length], L.bias⟩] := by
      simp only [nthAll, mlpParams, ← hp, nth_append_length]
      rw [show ps.length + 1 = (ps ++ [(⟨[L.bias.length, n], L.weight.flatten⟩ : Value)]).length by simp,
        show ps ++ ((⟨[L.bias.length, n], L.weight.flatten⟩ : Value) :: (⟨[L.bias.length], L.bias⟩ : Value) :: mlpParams L.bias.length Ls) =
          (ps ++ [(⟨[L.bias.length, n], L.weight.flatten⟩ : Value)]) ++ (⟨[L.bias.length], L.bias⟩ : Value) :: mlpParams L.bias.length Ls by simp,
        nth_append_length]
    have hv1 : nthAll (vals ++ [⟨[n], x⟩] ++ [⟨[L.bias.length], layerOut .identity x L.weight L.bias⟩]) [2 * i + 1] =
        some [⟨[L.bias.length], layerOut .identity x L.weight L.bias⟩] := by
      simp only [nthAll]
      rw [show 2 * i + 1 = (vals ++ [(⟨[n], x⟩ : Value)]).length by simp [hv], nth_append_length]
    obtain ⟨vs, s, hrun, hlen⟩ := run_mlpNodes Ls (i + 1) L.bias.length
      (ps ++ [⟨[L.bias.length, n], L.weight.flatten⟩, ⟨[L.bias.length], L.bias⟩])
      (vals ++ [⟨[n], x⟩, ⟨[L.bias.length], layerOut .identity x L.weight L.bias⟩]) (L.eval x)
      hrest (by simp [hp]; omega) (by simp [hv]; omega) hz
    refine ⟨vs, s, ?_, by simp only [List.length_cons] at hlen ⊢; omega⟩
    simp only [mlpNodes, run, hv0, hp0, linear_eval hn hx hW hr, numel, Nat.mul_one, hy, if_true]
    rw [hv1]
    simp only [nthAll]
    rw [act_eval]
    simp only [hz, if_true]
    simp only [List.append_assoc, List.cons_append, List.nil_append, mlpParams] at hrun ⊢
    exact hrun

/-- **The lowering is faithful**: for a network whose shapes chain from width `n` and an input of
width `n`, the denotation of its IR graph is the network's output. -/
theorem denote_mlpGraph {n : Nat} {net : List Dense} (h : mlpShaped n net = true) {x : List Rat}
    (hx : x.length = n) : denote (mlpGraph n net) (mlpParams n net) [x] = some [evalNet net x] := by
  obtain ⟨vs, s, hrun, hlen⟩ := run_mlpNodes net 0 n [] [] x h rfl rfl hx
  simp only [List.nil_append] at hrun
  simp only [Nat.zero_add] at hlen
  have hb : bindInputs [[n]] [x] = some [⟨[n], x⟩] := by simp [bindInputs, numel, hx]
  simp only [denote, mlpGraph, hb, hrun]
  rw [← hlen, show vs ++ [⟨s, evalNet net x⟩] = vs ++ ⟨s, evalNet net x⟩ :: [] from rfl]
  simp only [nthAll, nth_append_length, Option.map_some, List.map_cons, List.map_nil]

end TorchLean.IR
