module

public import TorchLean.Bounds.IBPF32
public import TorchLean.Bounds.Interval

/-! # Binary32 certificates for dense networks: one kernel-checked step per layer

The binary32 counterpart of `Cert/DenseIBP.lean`. A certificate states, after the input box of
bit-pattern intervals, one box per layer; each step is checked by the kernel computing the layer's
directed-rounding enclosure (`rowsIv32`, the Lean twin of `bounds::ibp_f32`) and comparing it with
the stated box. `chain32_sound` chains the steps with `rowsIv32_sound`: every binary32 input in the
first box, executed in the declared order, gives outputs in the last box.
-/

public section

namespace TorchLean.Cert

open TorchLean.IR TorchLean.Bounds TorchLean.Num.Binary32

/-- The rational box whose ends are the values of a binary32 box's ends. -/
@[expose] noncomputable def decodeBox (B : List Iv32) : Box := B.map fun I => ⟨decode I.lo, decode I.hi⟩

/-- A vector of patterns lies in a binary32 box exactly when every pattern is finite and their
values lie in the decoded box: the binary32 statement read over the rationals. -/
theorem mem_decodeBox : ∀ (B : List Iv32) (xs : List Nat),
    Box32.Mem B xs ↔ allFinite xs = true ∧ Box.Mem (decodeBox B) (xs.map decode)
  | [], [] => by simp [Box32.Mem, allFinite, decodeBox, Box.Mem]
  | [], _ :: _ => by simp [Box32.Mem, decodeBox, Box.Mem]
  | _ :: _, [] => by simp [Box32.Mem, decodeBox, Box.Mem]
  | I :: Is, x :: xs => by
    have ih := mem_decodeBox Is xs
    simp only [decodeBox] at ih
    simp only [Box32.Mem, Iv32.Mem, allFinite, decodeBox, List.map_cons, Box.Mem, Interval.Mem, Bool.and_eq_true, ih]
    constructor
    · rintro ⟨⟨hf, hl, hh⟩, hfs, hm⟩; exact ⟨⟨hf, hfs⟩, ⟨hl, hh⟩, hm⟩
    · rintro ⟨⟨hf, hfs⟩, ⟨hl, hh⟩, hm⟩; exact ⟨⟨hf, hl, hh⟩, hfs, hm⟩

/-- Every step of a binary32 chain `B₀ →L₁→ B₁ →L₂→ …`: the layer's biases are finite and its
enclosure of the box before it is the box after it. A `Prop`, so a generated module supplies one
kernel-checked lemma per layer. -/
@[expose] def Chain32 : List Iv32 → List (Dense32 × List Iv32) → Prop
  | _, [] => True
  | B, (L, C) :: rest => (allFinite L.bias = true ∧ rowsIv32 L.act B L.weight L.bias = some C) ∧ Chain32 C rest

/-- The network of a binary32 chain: its layers in order. -/
@[expose] def chain32Net : List (Dense32 × List Iv32) → List Dense32
  | [] => []
  | (L, _) :: rest => L :: chain32Net rest

/-- The last box of a binary32 chain that starts at `B`. -/
@[expose] def chain32Out : List Iv32 → List (Dense32 × List Iv32) → List Iv32
  | B, [] => B
  | _, (_, C) :: rest => chain32Out C rest

/-- **Binary32 certificate soundness**: if every step of the chain checks, then every binary32
input in the first box, run through the chain's network in the declared operation order, gives
finite outputs in the last box. -/
theorem chain32_sound : ∀ {B : List Iv32} {steps : List (Dense32 × List Iv32)} {xs : List Nat},
    Chain32 B steps → Box32.Mem B xs → Box32.Mem (chain32Out B steps) (evalNet32 (chain32Net steps) xs)
  | _, [], _, _, hx => by unfold chain32Out chain32Net evalNet32; exact hx
  | _, (L, C) :: rest, _, h, hx => by
    unfold chain32Out chain32Net evalNet32
    exact chain32_sound (B := C) (steps := rest) h.2 (rowsIv32_sound L.act hx L.weight L.bias h.1.1 h.1.2)

/-- **A binary32 certificate, read over the rationals**: if every step checks and the first box's
ends decode to the rational box `B0`, then every finite binary32 input whose values lie in `B0`,
executed in the declared order, gives finite outputs whose values lie in the last box's decoded
ends. -/
theorem chain32_certified {B : List Iv32} {steps : List (Dense32 × List Iv32)} {B0 : Box}
    (h : Chain32 B steps) (h0 : decodeBox B = B0) {xs : List Nat} (hf : allFinite xs = true)
    (hx : Box.Mem B0 (xs.map decode)) :
    allFinite (evalNet32 (chain32Net steps) xs) = true ∧
      Box.Mem (decodeBox (chain32Out B steps)) ((evalNet32 (chain32Net steps) xs).map decode) :=
  (mem_decodeBox _ _).1 (chain32_sound h ((mem_decodeBox B xs).2 ⟨hf, h0 ▸ hx⟩))

end TorchLean.Cert
