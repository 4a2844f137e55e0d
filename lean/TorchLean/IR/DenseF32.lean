module

public import TorchLean.Num.Round
public import TorchLean.IR.Dense

/-! # Dense networks executed in binary32, in the declared operation order

The binary32 semantics of the IR ops `linear` and `relu` as `src/ir/eval.rs` runs them
(`docs/ir.md`): each dot product goes left to right, starting from the first product (zero when the
row is empty), every product and every sum rounded to nearest even; the bias is added last; `relu`
keeps a positive value and gives `+0` otherwise. Values are bit patterns (`Nat`, as the payload
states weights); `Num/Round.lean` says what each operation returns.
-/

public section

namespace TorchLean.IR

open TorchLean.Num.Binary32

/-- A dense layer whose weights and biases are binary32 bit patterns. -/
structure Dense32 where
  /-- Rows of the weight matrix (one per output). -/
  weight : List (List Nat)
  /-- One bias per output. -/
  bias : List Nat
  /-- The activation applied to every output. -/
  act : Act

/-- `relu` on a pattern: the pattern itself when its value is positive, else `+0`. -/
@[expose] def relu32 (p : Nat) : Nat := if 0 < decode p then p else 0

/-- An activation on a binary32 pattern. -/
@[expose] def Act.eval32 : Act → Nat → Nat
  | .relu, p => relu32 p
  | .identity, p => p

/-- A dot product continued from the partial sum `acc`, left to right. -/
@[expose] def dotFrom32 (acc : Nat) : List Nat → List Nat → Nat
  | w :: ws, x :: xs => dotFrom32 (add .rne acc (mul .rne w x)) ws xs
  | _, _ => acc

/-- `((w₀x₀ + w₁x₁) + w₂x₂) + …` with every operation rounded to nearest even; `+0` when empty. -/
@[expose] def dot32 : List Nat → List Nat → Nat
  | w :: ws, x :: xs => dotFrom32 (mul .rne w x) ws xs
  | _, _ => 0

/-- The outputs `act (row · x + b)` of matching rows and biases, executed in binary32. -/
@[expose] def layerOut32 (act : Act) (x : List Nat) : List (List Nat) → List Nat → List Nat
  | row :: rows, b :: bs => act.eval32 (add .rne (dot32 row x) b) :: layerOut32 act x rows bs
  | _, _ => []

/-- The binary32 execution of a dense layer. -/
@[expose] def Dense32.eval (L : Dense32) (x : List Nat) : List Nat := layerOut32 L.act x L.weight L.bias

/-- The binary32 execution of a network: its layers in order. -/
@[expose] def evalNet32 : List Dense32 → List Nat → List Nat
  | [], x => x
  | L :: Ls, x => evalNet32 Ls (L.eval x)

/-- `0.5 · 3 + (−1)` executes to `0.5` and `relu` keeps it; `relu (−0.5)` is `+0`. -/
theorem layerOut32_example :
    layerOut32 .relu [0x40400000] [[0x3f000000], [0xbf000000]] [0xbf800000, 0x3f800000] = [0x3f000000, 0] := by
  decide +kernel

end TorchLean.IR
