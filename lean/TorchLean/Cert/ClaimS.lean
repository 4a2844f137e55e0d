module

public import TorchLean.Cert.Claim
public import TorchLean.Cert.EnvLeaf

/-! # What a certificate claims, with smooth activations

`Claim` quantified over the activation functions: a graph with tanh, logistic sigmoid or GELU
nodes is certified for every choice of those functions within the library's enclosures
(`Within`, `Cert/EnvLeaf.lean`), the true functions among them. Apart from `Claim` because the
enclosures bring their own definitions, which exact certificates do not need.
-/

public section

namespace TorchLean.Cert

open TorchLean.IR TorchLean.Bounds

/-- **What a certificate claims** for a graph with smooth activations: as `Claim`, for every
choice `σ` of activation functions within the library's enclosures (`Within`), the true tanh,
logistic sigmoid and GELU among them. -/
@[expose] noncomputable def ClaimS (g : Graph) (ps : List Value) (B : Box) (goal : Goal) : Prop :=
  ∀ σ : Fns, Within σ → ∀ x : List Rat, Box.Mem B x → ∃ y, denoteS σ g ps [x] = some [y] ∧ goal.Holds y

end TorchLean.Cert
