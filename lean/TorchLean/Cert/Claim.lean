module

public import TorchLean.IR.Graph
public import TorchLean.Cert.Goal

/-! # What a certificate claims

One definition per semantics states what a certificate claims from its data alone: the IR graph,
its parameter tensors, the input box and the goal the property sets for the outputs
(`Cert/Goal.lean`). Every generated module ends with `certified_claim`, whose type is `Claim …`
(or `ClaimS …`, `Cert/ClaimS.lean`, with smooth activations) of its own data. `torchlean check`
reads the payload and the property itself, writes `Pins/<Module>.lean` stating `Claim` of what it
read, and has Lean accept the module's theorem at that type: so a module that proves something
weaker, or about other data, fails `check`.

These definitions and the denotation they cite (`denote`, `denoteS`) are what a reviewer reads to
know what a passing certificate means; nothing the emitter writes enters the statement. This file
imports the denotation and the goals only, not the checkers.
-/

public section

namespace TorchLean.Cert

open TorchLean.IR TorchLean.Bounds

/-- **What a certificate claims** (exact rational semantics): every rational input in `B` has a
denotation under the graph `g` with parameter tensors `ps`, and that output meets `goal`. -/
@[expose] noncomputable def Claim (g : Graph) (ps : List Value) (B : Box) (goal : Goal) : Prop :=
  ∀ x : List Rat, Box.Mem B x → ∃ y, denote g ps [x] = some [y] ∧ goal.Holds y

end TorchLean.Cert
