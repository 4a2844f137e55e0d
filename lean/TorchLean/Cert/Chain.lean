module

public import TorchLean.IR.DenseView
public import TorchLean.Cert.Lowered

/-! # Certificates about chain graphs

A certificate's theorems are about `evalNet net`. For a graph that is a chain of `linear`,
`conv2d`, `avgpool2d`, `relu`, `identity`, `flatten` and `reshape` nodes (a `cnn` of average
pools, or an mlp), `denote_of_chain_mem` turns them into facts about the graph: when the kernel has
checked that the graph's dense view with its parameter tensors is `net` (`chainNet`), every input of
the box gets a denotation, and it is the network's output.
-/

public section

namespace TorchLean.Cert

open TorchLean.IR TorchLean.Bounds

/-- **The chain graph denotes the network on the box**: if the dense view of `g` with `params` is
`net`, `g`'s one input has shape `s0`, and the box has `numel s0` coordinates, then for every input
of the box the graph's denotation is `evalNet net x`. -/
theorem denote_of_chain_mem {g : Graph} {params : List Value} {net : List Dense} {s0 : List Nat} {B : Box}
    (h : chainNet g params = some net ∧ g.inputs = [s0] ∧ B.length = numel s0) {x : List Rat} (hx : Box.Mem B x) :
    denote g params [x] = some [evalNet net x] :=
  denote_chainNet h.2.1 h.1 (by rw [Box.length_of_mem hx, h.2.2])

end TorchLean.Cert
