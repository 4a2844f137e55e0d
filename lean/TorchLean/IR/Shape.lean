module

/-! # Shapes: element counts, lookups and the output shapes of windowed and axis ops

The shape rules of `src/ir/shape.rs` for the ops whose denotation loops over an output shape
(`conv2d`, the pools, `concat`, `slice`). `denote` recomputes the output shape with them and
refuses a node whose stated shape differs, so the denotation never trusts a shape the Rust emitter
wrote.
-/

public section

namespace TorchLean.IR

/-- The number of elements of a shape. -/
@[expose] def numel : List Nat → Nat
  | [] => 1
  | d :: ds => d * numel ds

/-- The `i`-th element, if any. -/
@[expose] def nth {α : Type} : List α → Nat → Option α
  | [], _ => none
  | x :: _, 0 => some x
  | _ :: xs, n + 1 => nth xs n

/-- The `i`-th element, or `0` past the end (the value of a padding position). -/
@[expose] noncomputable def elemAt : List Rat → Nat → Rat
  | [], _ => 0
  | x :: _, 0 => x
  | _ :: xs, n + 1 => elemAt xs n

/-- How many windows of size `k`, moved by `s`, fit in `n` positions with `p` zeros added on each
side: `(n + 2p − k) / s + 1`, or `none` when none fits or `k` or `s` is 0. -/
@[expose] noncomputable def windows (n k s p : Nat) : Option Nat :=
  if 0 < k ∧ 0 < s ∧ k ≤ n + 2 * p then some ((n + 2 * p - k) / s + 1) else none

/-- The output shape of `conv2d` with attributes `[in, out, kh, kw, sh, sw, ph, pw]` on an input of
shape `[in, h, w]` with weight `[out, in, kh, kw]` and bias `[out]`. -/
@[expose] noncomputable def conv2dShape (x w b attrs : List Nat) : Option (List Nat) :=
  match x, attrs with
  | [c, h, wd], [ci, co, kh, kw, sh, sw, ph, pw] =>
    if c = ci ∧ w = [co, ci, kh, kw] ∧ b = [co] then
      match windows h kh sh ph, windows wd kw sw pw with
      | some oh, some ow => some [co, oh, ow]
      | _, _ => none
    else none
  | _, _ => none

/-- The output shape of a pool with attributes `[kh, kw, sh, sw]` on an input of shape `[c, h, w]`
(no padding). -/
@[expose] noncomputable def poolShape (x attrs : List Nat) : Option (List Nat) :=
  match x, attrs with
  | [c, h, wd], [kh, kw, sh, sw] =>
    match windows h kh sh 0, windows wd kw sw 0 with
    | some oh, some ow => some [c, oh, ow]
    | _, _ => none
  | _, _ => none

/-- The output shape of `slice` with attributes `[axis, start, end]`: the axis cut to
`end − start` entries, `start < end ≤` its extent. -/
@[expose] noncomputable def sliceShape (x attrs : List Nat) : Option (List Nat) :=
  match attrs with
  | [axis, start, stop] =>
    match nth x axis with
    | some n => if start < stop ∧ stop ≤ n then some (x.set axis (stop - start)) else none
    | none => none
  | _ => none

/-- From position `i` on, `a` and `b` have the same length and agree at every position but
`axis`. -/
@[expose] noncomputable def agreeOffAxis (axis i : Nat) : List Nat → List Nat → Bool
  | [], [] => true
  | d :: ds, e :: es => (i == axis || d == e) && agreeOffAxis axis (i + 1) ds es
  | _, _ => false

/-- The output shape of `concat` with attributes `[axis]` on parents of shapes `ps`: the first
parent's shape with the extents along `axis` summed; every parent must agree off the axis. -/
@[expose] noncomputable def concatShape (ps : List (List Nat)) (attrs : List Nat) : Option (List Nat) :=
  match ps, attrs with
  | p :: _, [axis] =>
    if axis < p.length ∧ ps.all (agreeOffAxis axis 0 p) = true then
      some (p.set axis (ps.foldr (fun q acc => (nth q axis).getD 0 + acc) 0))
    else none
  | _, _ => none

end TorchLean.IR
