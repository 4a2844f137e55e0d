module

/-! # Dense networks and their denotation over `Rat`

The denotation of the IR ops `linear` and `relu` used by multilayer perceptrons: a network is a
list of dense layers, each an affine map followed by an activation. Vectors are `List Rat`;
the functions recurse structurally so the kernel can evaluate them on literals.
-/

public section

namespace TorchLean.IR

/-- Activations with an exact rational denotation. -/
inductive Act where
  /-- `relu x = max 0 x`. -/
  | relu
  /-- The identity (no activation). -/
  | identity
  deriving DecidableEq, Repr

/-- The value of an activation at `x`. -/
@[expose] def Act.eval : Act → Rat → Rat
  | .relu, x => if x ≤ 0 then 0 else x
  | .identity, x => x

/-- The dot product `Σ wᵢ xᵢ`, summed right to left (exact, so the order does not matter here). -/
@[expose] def dot : List Rat → List Rat → Rat
  | w :: ws, x :: xs => w * x + dot ws xs
  | _, _ => 0

/-- A dense layer `y = act (W x + b)`; `weight` is the list of rows of `W`. -/
structure Dense where
  /-- Rows of the weight matrix (one per output). -/
  weight : List (List Rat)
  /-- One bias per output. -/
  bias : List Rat
  /-- The activation applied to every output. -/
  act : Act

/-- The outputs `act (row · x + b)` for matching rows and biases. -/
@[expose] def layerOut (act : Act) (x : List Rat) : List (List Rat) → List Rat → List Rat
  | row :: rows, b :: bs => act.eval (dot row x + b) :: layerOut act x rows bs
  | _, _ => []

/-- The denotation of a dense layer. -/
@[expose] def Dense.eval (L : Dense) (x : List Rat) : List Rat := layerOut L.act x L.weight L.bias

/-- The denotation of a network: its layers applied in order. -/
@[expose] def evalNet : List Dense → List Rat → List Rat
  | [], x => x
  | L :: Ls, x => evalNet Ls (L.eval x)

end TorchLean.IR
