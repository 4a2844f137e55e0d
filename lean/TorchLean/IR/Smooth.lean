module

public import TorchLean.IR.Graph

/-! # The smooth activations, and the graph's denotation for a choice of them

`tanh`, `σ` and GELU have no rational values, so `denote` (exact over `Rat`) returns `none` on
them. `denoteS σ` is the same denotation with the three functions given by `σ : Fns`; every other
op means what it means in `denote` (`Op.evalS_of_ofOp_none`). Certificates about networks with
these activations are stated for every `σ` within the enclosures of `Bounds/Envelopes.lean`
(`Cert/EnvLeaf.lean`), and `docs/trust.md` says why the real functions are within them.

`SDense` is a dense layer whose activation may be smooth (`SAct`), and `evalNetS σ` the network of
such layers: the dense view of a chain graph with smooth activations (`IR/SmoothView.lean`).
-/

public section

namespace TorchLean.IR

/-- The activations with no exact rational value (Rust: `num::elementary::Smooth`). -/
inductive Smooth where
  | tanh
  | sigmoid
  | gelu
  deriving DecidableEq, Repr

/-- A function for each smooth activation. -/
structure Fns where
  /-- Stands for `tanh`. -/
  tanh : Rat → Rat
  /-- Stands for the logistic `σ`. -/
  sigmoid : Rat → Rat
  /-- Stands for GELU, `z·Φ(z)`. -/
  gelu : Rat → Rat

/-- The function `σ` gives activation `k`. -/
@[expose] def Fns.apply (σ : Fns) : Smooth → Rat → Rat
  | .tanh => σ.tanh
  | .sigmoid => σ.sigmoid
  | .gelu => σ.gelu

/-- The smooth activation an op is, if any. -/
@[expose] def Smooth.ofOp : Op → Option Smooth
  | .tanh => some .tanh
  | .sigmoid => some .sigmoid
  | .gelu => some .gelu
  | _ => none

/-- A node's elements with the smooth activations given by `σ`; every other op as `Op.eval`. -/
@[expose] noncomputable def Op.evalS (σ : Fns) (op : Op) (ps qs : List Value) (t attrs : List Nat) :
    Option (List Rat) :=
  match Smooth.ofOp op, ps, qs with
  | some k, [x], [] => some (x.data.map (σ.apply k))
  | some _, _, _ => none
  | none, _, _ => op.eval ps qs t attrs

theorem Op.evalS_of_ofOp_none {σ : Fns} {op : Op} (h : Smooth.ofOp op = none) (ps qs : List Value) (t attrs : List Nat) :
    Op.evalS σ op ps qs t attrs = op.eval ps qs t attrs := by
  simp only [Op.evalS, h]

/-- `run` with the smooth activations given by `σ`. -/
@[expose] noncomputable def runS (σ : Fns) (params : List Value) : List Value → List Node → Option (List Value)
  | vals, [] => some vals
  | vals, n :: ns =>
    match nthAll vals n.parents, nthAll params n.params with
    | some ps, some qs =>
      match n.op.evalS σ ps qs n.shape n.attrs with
      | some d => if d.length = numel n.shape then runS σ params (vals ++ [⟨n.shape, d⟩]) ns else none
      | none => none
    | _, _ => none

/-- **The denotation with smooth activations `σ`**: `denote`, with `tanh`, `sigmoid` and `gelu`
nodes applying `σ`'s functions elementwise. -/
@[expose] noncomputable def denoteS (σ : Fns) (g : Graph) (params : List Value) (inputs : List (List Rat)) :
    Option (List (List Rat)) :=
  match bindInputs g.inputs inputs with
  | some vs =>
    match runS σ params vs g.nodes with
    | some vals => (nthAll vals g.outputs).map (·.map (·.data))
    | none => none
  | none => none

/-- A dense layer's activation: an exact one, or a smooth one. -/
inductive SAct where
  | exact (a : Act)
  | smooth (k : Smooth)

/-- Activations are compared by constructor and argument (written out: the kernel evaluates this
instance in a certificate module, which a derived one's unexposed body would stop). -/
@[expose] instance : DecidableEq SAct := fun a b =>
  match a, b with
  | .exact x, .exact y => if h : x = y then isTrue (by rw [h]) else isFalse (by intro e; cases e; exact h rfl)
  | .smooth x, .smooth y => if h : x = y then isTrue (by rw [h]) else isFalse (by intro e; cases e; exact h rfl)
  | .exact _, .smooth _ => isFalse (by intro e; cases e)
  | .smooth _, .exact _ => isFalse (by intro e; cases e)

/-- The activation's value at `x`, smooth ones given by `σ`. -/
@[expose] def SAct.eval (σ : Fns) : SAct → Rat → Rat
  | .exact a => a.eval
  | .smooth k => σ.apply k

/-- A dense layer `y = act (W x + b)` whose activation may be smooth. -/
structure SDense where
  /-- Rows of the weight matrix (one per output). -/
  weight : List (List Rat)
  /-- One bias per output. -/
  bias : List Rat
  /-- The activation applied to every output. -/
  act : SAct

/-- The layer's outputs with the smooth activations given by `σ`. -/
@[expose] noncomputable def SDense.eval (σ : Fns) (L : SDense) (x : List Rat) : List Rat :=
  (layerOut .identity x L.weight L.bias).map (L.act.eval σ)

/-- The network's outputs with the smooth activations given by `σ`: its layers in order. -/
@[expose] noncomputable def evalNetS (σ : Fns) : List SDense → List Rat → List Rat
  | [], x => x
  | L :: Ls, x => evalNetS σ Ls (L.eval σ x)

/-- Layers are compared field by field (written out: the kernel evaluates this instance). -/
@[expose] noncomputable instance : DecidableEq SDense := fun a b =>
  if h : a.weight = b.weight ∧ a.bias = b.bias ∧ a.act = b.act then
    isTrue (by cases a; cases b; simp only at h; rw [h.1, h.2.1, h.2.2])
  else isFalse (by intro e; subst e; exact h ⟨rfl, rfl, rfl⟩)

end TorchLean.IR
