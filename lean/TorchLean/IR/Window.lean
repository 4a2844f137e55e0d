module

public import TorchLean.IR.Shape

/-! # Windowed ops over `[C, H, W]` tensors: `conv2d`, `maxpool2d`, `avgpool2d`

Exact rational meaning of `conv2d` and `pool` in `src/ir/eval.rs`, on row-major data. The Rust
evaluator fixes a summation order for binary32; over `Rat` every order gives the same value, so
these sums need not follow it.
-/

public section

namespace TorchLean.IR

/-- The sum of a list. -/
@[expose] noncomputable def sumList (xs : List Rat) : Rat := xs.foldl (· + ·) 0

/-- Element `(i, y, z)` of the `[c, h, w]` tensor `x` padded with `ph` rows and `pw` columns of
zeros on each side; `y` and `z` index the padded tensor. -/
@[expose] noncomputable def padAt (h w ph pw : Nat) (x : List Rat) (i y z : Nat) : Rat :=
  if ph ≤ y ∧ y < h + ph ∧ pw ≤ z ∧ z < w + pw then elemAt x ((i * h + (y - ph)) * w + (z - pw)) else 0

/-- `conv2d` of a `[ci, h, w]` input `x` with weight `[co, ci, kh, kw]` and bias `[co]`, stride
`(sh, sw)`, padding `(ph, pw)`, into `[co, oh, ow]`:
`out[o, r, c] = Σ_{i, ki, kj} wt[o, i, ki, kj] · xpad[i, r·sh + ki, c·sw + kj] + b[o]`. -/
@[expose] noncomputable def conv2dData (ci h w co kh kw sh sw ph pw oh ow : Nat) (x wt b : List Rat) : List Rat :=
  (List.range co).flatMap fun o => (List.range oh).flatMap fun r => (List.range ow).map fun c =>
    sumList ((List.range ci).flatMap fun i => (List.range kh).flatMap fun ki => (List.range kw).map fun kj =>
      elemAt wt (((o * ci + i) * kh + ki) * kw + kj) * padAt h w ph pw x i (r * sh + ki) (c * sw + kj)) +
    elemAt b o

/-- The `kh × kw` window of channel `c` of the `[_, h, w]` tensor `x` whose corner is `(y, z)`,
row-major. -/
@[expose] noncomputable def window (h w kh kw : Nat) (x : List Rat) (c y z : Nat) : List Rat :=
  (List.range kh).flatMap fun ki => (List.range kw).map fun kj => elemAt x ((c * h + y + ki) * w + z + kj)

/-- The greatest element, the first of equals (`0` for an empty list, which no pool produces). -/
@[expose] noncomputable def maxOf : List Rat → Rat
  | [] => 0
  | v :: vs => vs.foldl (fun a b => if a < b then b else a) v

/-- Max (`avg = false`) or mean (`avg = true`) pooling of a `[c, h, w]` input with `kh × kw`
windows moved by `(sh, sw)`, into `[c, oh, ow]`. -/
@[expose] noncomputable def poolData (avg : Bool) (c h w kh kw sh sw oh ow : Nat) (x : List Rat) : List Rat :=
  (List.range c).flatMap fun ch => (List.range oh).flatMap fun r => (List.range ow).map fun col =>
    let win := window h w kh kw x ch (r * sh) (col * sw)
    if avg then sumList win / ((kh * kw : Nat) : Rat) else maxOf win

end TorchLean.IR
