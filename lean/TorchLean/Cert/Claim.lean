module

public import TorchLean.Cert.Robust
public import TorchLean.Cert.EnvLeaf

/-! # What a certificate claims

One definition per semantics states what a certificate claims from its data alone: the IR graph,
its parameter tensors, the input box and the goal the property sets for the outputs. Every
generated module ends with `certified_claim`, whose type is `Claim …` (or `ClaimS …` with smooth
activations) of its own data. `torchlean check` reads the payload and the property itself, writes
`Pins/<Module>.lean` stating `Claim` of what it read, and has Lean accept the module's theorem at
that type: so a module that proves something weaker, or about other data, fails `check`.

These definitions and the denotation they cite (`denote`, `denoteS`) are what a reviewer reads to
know what a passing certificate means; nothing the emitter writes enters the statement.
-/

public section

namespace TorchLean.Cert

open TorchLean.IR TorchLean.Bounds

/-- What a property asks of the network's output, by property kind. -/
inductive Goal where
  /-- `output_box` (certified by a chain of boxes): the output lies in this box. -/
  | box (O : Box)
  /-- `violation_dnf`: no disjunct (a conjunction of rows) holds. -/
  | safe (dnf : List (List Row))
  /-- `linf_robust`: output `label` is strictly above every other of the `outputs` outputs. -/
  | robust (label outputs : Nat)

/-- `s` at index `j` of `n` coefficients, `0` elsewhere. -/
@[expose] noncomputable def unitCoeffs (n j : Nat) (s : Rat) : List Rat := (List.range n).map fun i => if i = j then s else 0

/-- The ways an output leaves the box `O`, as violation disjuncts: per output `j`, `y_j < lo_j` and
`-y_j < -hi_j`. An `output_box` property decided by a split tree claims `.safe (outsideBox O)`:
no output `j < |O|` is below `lo_j` or above `hi_j`. -/
@[expose] noncomputable def outsideBox (O : Box) : List (List Row) :=
  ((List.range O.length).zip O).flatMap fun (j, iv) =>
    [[⟨unitCoeffs O.length j 1, iv.lo, true⟩], [⟨unitCoeffs O.length j (-1), -iv.hi, true⟩]]

/-- The goal holds of the output `y`. -/
@[expose] noncomputable def Goal.Holds : Goal → List Rat → Prop
  | .box O, y => Box.Mem O y
  | .safe dnf, y => Safe dnf y
  | .robust label outputs, y => Robust label outputs y

/-- **What a certificate claims** (exact rational semantics): every rational input in `B` has a
denotation under the graph `g` with parameter tensors `ps`, and that output meets `goal`. -/
@[expose] noncomputable def Claim (g : Graph) (ps : List Value) (B : Box) (goal : Goal) : Prop :=
  ∀ x : List Rat, Box.Mem B x → ∃ y, denote g ps [x] = some [y] ∧ goal.Holds y

/-- **What a certificate claims** for a graph with smooth activations: as `Claim`, for every
choice `σ` of activation functions within the library's enclosures (`Within`), the true tanh,
logistic sigmoid and GELU among them. -/
@[expose] noncomputable def ClaimS (g : Graph) (ps : List Value) (B : Box) (goal : Goal) : Prop :=
  ∀ σ : Fns, Within σ → ∀ x : List Rat, Box.Mem B x → ∃ y, denoteS σ g ps [x] = some [y] ∧ goal.Holds y

end TorchLean.Cert
