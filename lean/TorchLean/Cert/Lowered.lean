module

public import TorchLean.IR.Mlp
public import TorchLean.Bounds.Interval

/-! # Certificates speak about the lowered graph

A certificate's theorems are about `evalNet net`. `denote_of_mem` turns them into facts about the
IR graph: when the kernel has checked that the graph Rust lowered is `mlpGraph` of the network
(`graph = mlpGraph n net`) and that the network's shapes chain from the width of the input box,
every input of the box gets a denotation, and it is the network's output.
-/

public section

namespace TorchLean.Cert

open TorchLean.IR TorchLean.Bounds

/-- A vector in a box has one coordinate per interval. -/
theorem Box.length_of_mem : ∀ {B : Box} {x : List Rat}, Box.Mem B x → x.length = B.length
  | [], [], _ => rfl
  | _ :: _, _ :: _, h => by
    simp only [Box.Mem] at h
    simp only [List.length_cons, Box.length_of_mem h.2]
  | [], _ :: _, h => by simp [Box.Mem] at h
  | _ :: _, [], h => by simp [Box.Mem] at h

/-- **The graph denotes the network on the box**: if `g` is the lowering of `net` on inputs of
width `n`, the network's shapes chain from `n`, and the box has `n` coordinates, then for every
input of the box the graph's denotation (with the network's parameter tensors) is `evalNet net x`. -/
theorem denote_of_mem {g : Graph} {n : Nat} {net : List Dense} {B : Box}
    (hg : g = mlpGraph n net ∧ mlpShaped n net = true ∧ B.length = n) {x : List Rat} (hx : Box.Mem B x) :
    denote g (mlpParams n net) [x] = some [evalNet net x] := by
  obtain ⟨rfl, hs, hB⟩ := hg
  exact denote_mlpGraph hs (by rw [Box.length_of_mem hx, hB])

end TorchLean.Cert
