module

public import TorchLean.IR.Shape

/-! # Ops along one axis: `slice` and `concat`

Exact meaning of `Op::Slice` and `Op::Concat` in `src/ir/eval.rs`, on row-major data: a shape
splits at the axis into `outer` (the axes before it), the axis itself and `inner` (the axes after
it), and both ops move whole runs of `inner` elements.
-/

public section

namespace TorchLean.IR

/-- Entries `start .. stop` of the axis of a row-major tensor with `outer` blocks of `extent × inner`
elements. -/
@[expose] noncomputable def sliceData (outer extent inner start stop : Nat) (x : List Rat) : List Rat :=
  (List.range outer).flatMap fun o => (x.drop ((o * extent + start) * inner)).take ((stop - start) * inner)

/-- The parents (each its extent along the axis and its data) joined along the axis: for each of
the `outer` blocks, each parent's block of `extent × inner` elements in turn. -/
@[expose] noncomputable def concatData (outer inner : Nat) (ps : List (Nat × List Rat)) : List Rat :=
  (List.range outer).flatMap fun o => ps.flatMap fun p => (p.2.drop (o * (p.1 * inner))).take (p.1 * inner)

end TorchLean.IR
