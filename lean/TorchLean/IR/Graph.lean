module

public import TorchLean.IR.Dense
public import TorchLean.IR.Window
public import TorchLean.IR.Axis

/-! # Tensors with shapes in their types, and the IR graph's denotation over `Rat`

`Tensor s` carries its shape `s` in its type (the element count is a field's proof), so the typed
API (`map`, `zipWith`, `reshape`) cannot mix shapes. The IR graph mirrors the Rust IR
(`src/ir`, `docs/ir.md`): the same op tags (`Op`, named as in the graph artifact), nodes in
topological order referring to earlier values by index, parameters by index into the payload's
tensors. `denote` evaluates a graph exactly over `Rat`; ops with no exact rational meaning
(`gelu`, `tanh`, `sigmoid`, `softmax`, `layernorm`, `causal_mask`, and `scale_rsqrt` unless `n` is
a perfect square) make it return `none`, as the Rust exact evaluator refuses them.
`IR/GraphExamples.lean` checks `denote` against the Rust evaluator.
-/

public section

namespace TorchLean.IR

/-- A tensor of shape `s`: its elements in row-major order, exactly `numel s` of them. -/
structure Tensor (s : List Nat) where
  /-- The elements, row-major. -/
  data : List Rat
  /-- The element count is the shape's. -/
  size : data.length = numel s

/-- Elementwise `f`, same shape. -/
@[expose] noncomputable def Tensor.map {s : List Nat} (f : Rat → Rat) (t : Tensor s) : Tensor s :=
  ⟨t.data.map f, by simp [t.size]⟩

/-- Elementwise binary `f` of two tensors of one shape. -/
@[expose] noncomputable def Tensor.zipWith {s : List Nat} (f : Rat → Rat → Rat) (a b : Tensor s) : Tensor s :=
  ⟨List.zipWith f a.data b.data, by simp [a.size, b.size]⟩

/-- `relu`, elementwise. -/
@[expose] noncomputable def Tensor.relu {s : List Nat} (t : Tensor s) : Tensor s := t.map (Act.eval .relu)

/-- Elementwise sum. -/
@[expose] noncomputable def Tensor.add {s : List Nat} (a b : Tensor s) : Tensor s := a.zipWith (· + ·) b

/-- The same elements in a shape of the same count (the proof is the shape check). -/
@[expose] def Tensor.reshape {s : List Nat} (t : Tensor s) (s' : List Nat) (h : numel s' = numel s) :
    Tensor s' := ⟨t.data, by rw [t.size, h]⟩

/-- The IR's op tags, spelled as in the graph artifact. -/
inductive Op where
  | input | constant | linear | conv2d | relu | identity | gelu | tanh | sigmoid | add | sub | mul
  | matmul | reshape | flatten | transpose | maxpool2d | avgpool2d | softmax | layernorm | concat
  | slice | scale_rsqrt | causal_mask
  deriving DecidableEq

/-- A value of the graph: its shape and its elements (row-major). -/
structure Value where
  /-- The shape. -/
  shape : List Nat
  /-- The elements. -/
  data : List Rat

/-- A node: `op` applied to earlier values `parents` (indices: graph inputs first, then nodes in
order) and payload tensors `params` (indices), producing a value of shape `shape`. `attrs` are the
op's attributes as numbers, in this order:
- `conv2d`: `[in_channels, out_channels, kh, kw, sh, sw, ph, pw]` (kernel, stride, padding);
- `maxpool2d`, `avgpool2d`: `[kh, kw, sh, sw]`;
- `concat`: `[axis]`; `slice`: `[axis, start, end]`;
- `reshape`: the new shape; `scale_rsqrt`: `[n]`; `layernorm`: `eps` as `[numerator, denominator]`;
- every other op: `[]`. -/
structure Node where
  /-- The op. -/
  op : Op
  /-- Indices of the operand values. -/
  parents : List Nat
  /-- Indices of the parameter tensors. -/
  params : List Nat
  /-- The output shape (as the Rust shape inference computed it; `denote` checks the count, and
  recomputes the shape of the ops whose denotation depends on it). -/
  shape : List Nat
  /-- The op's attributes (see above). -/
  attrs : List Nat

/-- A graph: input shapes, nodes in topological order, output indices. -/
structure Graph where
  /-- Shapes of the inputs. -/
  inputs : List (List Nat)
  /-- The nodes. -/
  nodes : List Node
  /-- Indices of the outputs. -/
  outputs : List Nat

/-- Nodes are compared field by field (written out because the wasm toolchain cannot compile a
derived instance over lists; the kernel evaluates this one). -/
@[expose] noncomputable instance : DecidableEq Node := fun a b =>
  if h : a.op = b.op ∧ a.parents = b.parents ∧ a.params = b.params ∧ a.shape = b.shape ∧ a.attrs = b.attrs then
    isTrue (by cases a; cases b; simp_all)
  else isFalse (by intro e; subst e; exact h ⟨rfl, rfl, rfl, rfl, rfl⟩)

/-- Graphs are compared field by field. -/
@[expose] noncomputable instance : DecidableEq Graph := fun a b =>
  if h : a.inputs = b.inputs ∧ a.nodes = b.nodes ∧ a.outputs = b.outputs then
    isTrue (by cases a; cases b; simp_all)
  else isFalse (by intro e; subst e; exact h ⟨rfl, rfl, rfl⟩)

/-- `xs` cut into `n` consecutive chunks of `k` elements. -/
@[expose] noncomputable def chunks (k : Nat) : Nat → List Rat → List (List Rat)
  | 0, _ => []
  | n + 1, xs => xs.take k :: chunks k n (xs.drop k)

/-- The last dimension of a shape (`1` for a scalar). -/
@[expose] noncomputable def lastDim : List Nat → Nat
  | [] => 1
  | [d] => d
  | _ :: ds => lastDim ds

/-- Column `j` of a row-major `rows × cols` matrix. -/
@[expose] noncomputable def column (cols j : Nat) : Nat → List Rat → List Rat
  | 0, _ => []
  | n + 1, xs => (match nth xs j with | some v => [v] | none => []) ++ column cols j n (xs.drop cols)

/-- `[m, k] × [k, n]`, each entry a dot product of a row and a column. -/
@[expose] noncomputable def matmulData (m k n : Nat) (a b : List Rat) : List Rat :=
  (chunks k m a).flatMap fun row => (List.range n).map fun j => dot row (column n j k b)

/-- The transpose of a row-major `rows × cols` matrix. -/
@[expose] noncomputable def transposeData (rows cols : Nat) (x : List Rat) : List Rat :=
  (List.range cols).flatMap fun j => column cols j rows x

/-- A `conv2d` node's elements, when its stated shape `t` is the one its input, parameters and
attributes give. -/
@[expose] noncomputable def conv2dEval (x w b : Value) (t attrs : List Nat) : Option (List Rat) :=
  match conv2dShape x.shape w.shape b.shape attrs, x.shape, attrs, t with
  | some s, [ci, h, wd], [_, co, kh, kw, sh, sw, ph, pw], [_, oh, ow] =>
    if s = t then some (conv2dData ci h wd co kh kw sh sw ph pw oh ow x.data w.data b.data) else none
  | _, _, _, _ => none

/-- A pool node's elements (max, or mean when `avg`), when its stated shape `t` is the one its
input and attributes give. -/
@[expose] noncomputable def poolEval (avg : Bool) (x : Value) (t attrs : List Nat) : Option (List Rat) :=
  match poolShape x.shape attrs, x.shape, attrs, t with
  | some s, [c, h, wd], [kh, kw, sh, sw], [_, oh, ow] =>
    if s = t then some (poolData avg c h wd kh kw sh sw oh ow x.data) else none
  | _, _, _, _ => none

/-- A `slice` node's elements, when its stated shape `t` is the one its input and attributes give. -/
@[expose] noncomputable def sliceEval (x : Value) (t attrs : List Nat) : Option (List Rat) :=
  match sliceShape x.shape attrs, attrs with
  | some s, [axis, start, stop] =>
    if s = t then
      some (sliceData (numel (x.shape.take axis)) ((nth x.shape axis).getD 0) (numel (x.shape.drop (axis + 1)))
        start stop x.data)
    else none
  | _, _ => none

/-- A `concat` node's elements, when its stated shape `t` is the one its parents and attributes
give. -/
@[expose] noncomputable def concatEval (ps : List Value) (t attrs : List Nat) : Option (List Rat) :=
  match concatShape (ps.map (·.shape)) attrs, attrs with
  | some s, [axis] =>
    if s = t then
      some (concatData (numel (s.take axis)) (numel (s.drop (axis + 1)))
        (ps.map fun p => ((nth p.shape axis).getD 0, p.data)))
    else none
  | _, _ => none

/-- A `scale_rsqrt` node's elements, `x · (1/k)`, when its attribute `n` is a perfect square `k²`
with `k ≥ 1` (otherwise `1/√n` is irrational, and the Rust exact evaluator refuses it too). -/
@[expose] noncomputable def scaleRsqrtEval (x : Value) (attrs : List Nat) : Option (List Rat) :=
  match attrs with
  | [n] =>
    match (List.range (n + 1)).find? (fun k => k * k == n) with
    | some k => if 0 < k then some (x.data.map (· * (1 / (k : Rat)))) else none
    | none => none
  | _ => none

/-- The elements of one node from its operands, parameters, stated shape and attributes, or `none`
where the op has no exact rational denotation or the operands do not fit it. -/
@[expose] noncomputable def Op.eval : Op → List Value → List Value → List Nat → List Nat → Option (List Rat)
  | .constant, [], [p], _, _ => some p.data
  | .linear, [x], [w, b], _, _ =>
    let n := lastDim x.shape
    some ((chunks n (x.data.length / n) x.data).flatMap fun xk =>
      layerOut .identity xk (chunks n b.data.length w.data) b.data)
  | .relu, [x], [], _, _ => some (x.data.map (Act.eval .relu))
  | .identity, [x], [], _, _ => some x.data
  | .reshape, [x], [], _, _ => some x.data
  | .flatten, [x], [], _, _ => some x.data
  | .add, [x, y], [], _, _ => if x.shape = y.shape then some (List.zipWith (· + ·) x.data y.data) else none
  | .sub, [x, y], [], _, _ => if x.shape = y.shape then some (List.zipWith (· - ·) x.data y.data) else none
  | .mul, [x, y], [], _, _ => if x.shape = y.shape then some (List.zipWith (· * ·) x.data y.data) else none
  | .matmul, [a, b], [], _, _ =>
    match a.shape, b.shape with
    | [m, k], [_, n] => some (matmulData m k n a.data b.data)
    | _, _ => none
  | .transpose, [x], [], _, _ =>
    match x.shape with
    | [r, c] => some (transposeData r c x.data)
    | _ => none
  | .conv2d, [x], [w, b], t, attrs => conv2dEval x w b t attrs
  | .maxpool2d, [x], [], t, attrs => poolEval false x t attrs
  | .avgpool2d, [x], [], t, attrs => poolEval true x t attrs
  | .slice, [x], [], t, attrs => sliceEval x t attrs
  | .concat, ps, [], t, attrs => concatEval ps t attrs
  | .scale_rsqrt, [x], [], _, attrs => scaleRsqrtEval x attrs
  | _, _, _, _, _ => none

/-- Looks up every index. -/
@[expose] noncomputable def nthAll {α : Type} (xs : List α) : List Nat → Option (List α)
  | [] => some []
  | i :: is => match nth xs i, nthAll xs is with
    | some x, some ys => some (x :: ys)
    | _, _ => none

/-- Evaluates the nodes in order, appending each value (whose element count must match its shape). -/
@[expose] noncomputable def run (params : List Value) : List Value → List Node → Option (List Value)
  | vals, [] => some vals
  | vals, n :: ns =>
    match nthAll vals n.parents, nthAll params n.params with
    | some ps, some qs =>
      match n.op.eval ps qs n.shape n.attrs with
      | some d => if d.length = numel n.shape then run params (vals ++ [⟨n.shape, d⟩]) ns else none
      | none => none
    | _, _ => none

/-- The graph's inputs as values, if each has its shape's element count. -/
@[expose] noncomputable def bindInputs : List (List Nat) → List (List Rat) → Option (List Value)
  | [], [] => some []
  | s :: ss, x :: xs =>
    if x.length = numel s then (bindInputs ss xs).map (⟨s, x⟩ :: ·) else none
  | _, _ => none

/-- **The denotation** of a graph over `Rat`: its outputs' elements for the given parameter tensors
and inputs, or `none` when an op has no exact denotation here or a count does not fit. -/
@[expose] noncomputable def denote (g : Graph) (params : List Value) (inputs : List (List Rat)) :
    Option (List (List Rat)) :=
  match bindInputs g.inputs inputs with
  | some vs =>
    match run params vs g.nodes with
    | some vals => (nthAll vals g.outputs).map (·.map (·.data))
    | none => none
  | none => none

end TorchLean.IR
