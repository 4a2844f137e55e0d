module

public import TorchLean.Bounds.IBPF32

/-! # The binary32 execution and its enclosure, checked against the Rust

The demo network (`Mlp::demo()`: 2 inputs, 3 ReLU neurons, 1 output, decimal weights such as
`0.7` that binary32 cannot state exactly) as bit patterns, the box `[-1/2, 1] × [0, 1]` and one
binary32 point. The kernel checks what the Lean models give (`demoNet32_exec`, `demoNet32_ibp`);
`tests/ibp_f32_vectors.rs` reads this file and checks the same numbers against `Mlp::demo()`,
`eval_f32` and `ibp_f32_mlp`, so both sides execute and enclose the network bit for bit alike.
`demo_binary32_in_box` is the resulting fact about the network.
-/

public section

namespace TorchLean.Bounds

open TorchLean.IR

/-- `Mlp::demo()`: `[[0.7, -1.3], [-0.4, 0.9], [1.1, 0.25]]`, bias `[0.1, -0.2, 0.05]`, ReLU; then
`[[1.5, -0.8, 0.6]]`, bias `[-0.3]`. -/
@[expose] def demoNet32 : List Dense32 :=
  [⟨[[0x3f333333, 0xbfa66666], [0xbecccccd, 0x3f666666], [0x3f8ccccd, 0x3e800000]],
      [0x3dcccccd, 0xbe4ccccd, 0x3d4ccccd], .relu⟩,
    ⟨[[0x3fc00000, 0xbf4ccccd, 0x3f19999a]], [0xbe99999a], .identity⟩]

/-- The point `(0.5, 0.25)`. -/
@[expose] def demoPoint32 : List Nat := [0x3f000000, 0x3e800000]

/-- The box `[-1/2, 1] × [0, 1]`. -/
@[expose] def demoBox32 : List Iv32 := [⟨0xbf000000, 0x3f800000⟩, ⟨0x00000000, 0x3f800000⟩]

/-- At `(0.5, 0.25)` the declared-order binary32 execution gives `0x3e91eb86` (≈ 0.28500003). -/
theorem demoNet32_exec : evalNet32 demoNet32 demoPoint32 = [0x3e91eb86] := by decide +kernel

/-- Over the box, the directed-rounding IBP gives `[0xbf828f5d, 0x3fdeb854]`
(`[-8556381/2^23, 3649045/2^21]` ≈ `[-1.0200001, 1.7400002]`). -/
theorem demoNet32_ibp : netIv32 demoNet32 demoBox32 = some [⟨0xbf828f5d, 0x3fdeb854⟩] := by decide +kernel

/-- **Every binary32 input in the box, executed as declared, gives an output in
`[-8556381/2^23, 3649045/2^21]`**: `netIv32_sound` applied to the demo network. -/
theorem demo_binary32_in_box {xs : List Nat} (hx : Box32.Mem demoBox32 xs) :
    Box32.Mem [⟨0xbf828f5d, 0x3fdeb854⟩] (evalNet32 demoNet32 xs) :=
  netIv32_sound demoNet32 (by decide +kernel) hx demoNet32_ibp

end TorchLean.Bounds
