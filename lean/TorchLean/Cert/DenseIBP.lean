module

public import TorchLean.Bounds.IBP
public import TorchLean.Num.Binary32

/-! # Checking IBP certificates for dense networks

A certificate is the input box followed by one claimed box per layer. `checkStep` decides, by
computation the kernel can run, that a layer's exact IBP enclosure of one box fits in the next;
`Chain` collects these local facts, and `chain_sound` turns them into the property: every input
in the first box is mapped by the whole network into the last box.
-/

public section

namespace TorchLean.Cert

open TorchLean.IR TorchLean.Bounds

/-- Elementwise `⊆` of two boxes of the same length. -/
@[expose] def boxSubset : Box → Box → Bool
  | [], [] => true
  | I :: Is, J :: Js => I.subset J && boxSubset Is Js
  | _, _ => false

/-- One local certificate step: the exact IBP image of `B` under `L` lies inside the claimed `C`. -/
@[expose] def checkStep (L : Dense) (B C : Box) : Bool := boxSubset (ibpLayer L B) C

/-- Every step of a chain `B₀ →L₁→ B₁ →L₂→ … ` holds (stated as a `Prop` so a generated module can
supply one kernel-checked lemma per layer). -/
@[expose] def Chain : Box → List (Dense × Box) → Prop
  | _, [] => True
  | B, (L, C) :: rest => checkStep L B C = true ∧ Chain C rest

/-- The network of a chain: its layers in order. -/
@[expose] def chainNet : List (Dense × Box) → List Dense
  | [] => []
  | (L, _) :: rest => L :: chainNet rest

/-- The last box of a chain that starts at `B`. -/
@[expose] def chainOut : Box → List (Dense × Box) → Box
  | B, [] => B
  | _, (_, C) :: rest => chainOut C rest

/-- A member of `B` is a member of `C` whenever `boxSubset B C`. -/
theorem mem_of_boxSubset : ∀ {B C : Box} {x : List Rat}, boxSubset B C = true → Box.Mem B x → Box.Mem C x
  | [], [], _, _, h => h
  | I :: Is, J :: Js, x :: xs, hs, h => by
    simp only [boxSubset, Bool.and_eq_true] at hs
    exact ⟨Interval.mem_of_subset hs.1 h.1, mem_of_boxSubset hs.2 h.2⟩
  | [], _ :: _, _, hs, _ => by simp [boxSubset] at hs
  | _ :: _, [], _, hs, _ => by simp [boxSubset] at hs
  | _ :: _, _ :: _, [], _, h => by simp [Box.Mem] at h

/-- A checked step is sound: `L` maps every point of `B` into `C`. -/
theorem checkStep_sound {L : Dense} {B C : Box} {x : List Rat} (hc : checkStep L B C = true)
    (hx : Box.Mem B x) : Box.Mem C (L.eval x) :=
  mem_of_boxSubset hc (ibpLayer_sound L hx)

/-- **Certificate soundness**: if every step of the chain checks, the network maps every input of
the first box into the last box. -/
theorem chain_sound : ∀ {B : Box} {steps : List (Dense × Box)} {x : List Rat}, Chain B steps →
    Box.Mem B x → Box.Mem (chainOut B steps) (evalNet (chainNet steps) x)
  | _, [], _, _, hx => hx
  | _, (_, C) :: rest, _, h, hx => chain_sound (B := C) (steps := rest) h.2 (checkStep_sound h.1 hx)

end TorchLean.Cert
