module

public import TorchLean.Bounds.Crown
public import TorchLean.Cert.DenseIBP

/-! # Checking CROWN certificates for dense networks

A CROWN certificate gives, for every layer, a box `P` for its pre-activation `W h + b` and a
relaxation of its activation (`Relax`, one per neuron). `CrownChain` holds when each pre-activation
box contains the exact IBP image of the previous layer's post-activation box (starting from the input
box) and every relaxation is valid on its box; `crownChain_sandwiched` turns that into the
hypothesis of `crownLower_le`. A claimed lower bound `d` of `c · net(x)` is then checked by
computing `crownLower` in the kernel (`crown_certified`).
-/

public section

namespace TorchLean.Cert

open TorchLean.IR TorchLean.Bounds

/-- The affine part of a dense layer (its activation replaced by the identity). -/
@[expose] def affinePart (L : Dense) : Dense := ⟨L.weight, L.bias, .identity⟩

/-- The post-activation box of a pre-activation box (both activations are monotone). -/
@[expose] def postBox (act : Act) : Box → Box
  | [] => []
  | I :: Is => ibpAct act I :: postBox act Is

/-- Every layer's pre-activation box contains the IBP image of the previous post-activation box,
its relaxations are valid there, and its rows match its biases. -/
@[expose] def CrownChain : Box → List (Dense × Box × List Relax) → Prop
  | _, [] => True
  | B, (L, P, R) :: rest =>
    (checkStep (affinePart L) B P = true ∧ validAll L.act P R = true ∧
      (L.weight.length == L.bias.length) = true) ∧ CrownChain (postBox L.act P) rest

/-- The post-activation box contains the activation of every point of the pre-activation box. -/
theorem mem_postBox (act : Act) : ∀ (P : Box) (z : List Rat), Box.Mem P z → Box.Mem (postBox act P) (z.map act.eval)
  | [], [], _ => trivial
  | I :: Is, z :: zs, h => ⟨ibpAct_sound act h.1, mem_postBox act Is zs h.2⟩
  | [], _ :: _, h => by simp [Box.Mem] at h
  | _ :: _, [], h => by simp [Box.Mem] at h

/-- The network and relaxations of a CROWN chain, as `backward` takes them. -/
@[expose] def crownSteps : List (Dense × Box × List Relax) → List (Dense × List Relax)
  | [] => []
  | (L, _, R) :: rest => (L, R) :: crownSteps rest

/-- A checked chain puts every layer's activation between its lines, for every input in the box. -/
theorem crownChain_sandwiched : ∀ (B : Box) (steps : List (Dense × Box × List Relax)) (x : List Rat),
    CrownChain B steps → Box.Mem B x → Sandwiched (crownSteps steps) x
  | _, [], _, _, _ => trivial
  | B, (L, P, R) :: rest, x, ⟨⟨hstep, hvalid, hlen⟩, hrest⟩, hx => by
    have hpre : Box.Mem P (preAct L x) := checkStep_sound (L := affinePart L) hstep hx
    have heval : L.eval x = (preAct L x).map L.act.eval := layerOut_eq_map L.act x L.weight L.bias
    refine ⟨by simpa using hlen, ?_, ?_⟩
    · rw [heval]; exact lines_of_valid L.act P R (preAct L x) hvalid hpre
    · rw [heval]; exact crownChain_sandwiched _ rest _ hrest (mem_postBox L.act P _ hpre)

/-- `crownSteps` keeps the layers in order. -/
theorem crownSteps_net : ∀ steps : List (Dense × Box × List Relax),
    (crownSteps steps).map Prod.fst = steps.map Prod.fst
  | [] => rfl
  | (L, P, R) :: rest => by simp [crownSteps, crownSteps_net rest]

/-- **CROWN certificate soundness**: if the chain checks and `d ≤ crownLower`, then `d ≤ c · net(x)`
for every input `x` of the box `B`. -/
theorem crown_certified {B : Box} {steps : List (Dense × Box × List Relax)} {c : List Rat} {d : Rat}
    (hchain : CrownChain B steps) (hd : decide (d ≤ crownLower (crownSteps steps) c B) = true)
    {x : List Rat} (hx : Box.Mem B x) : d ≤ dot c (evalNet (steps.map Prod.fst) x) := by
  have h := crownLower_le (crownSteps steps) c hx (crownChain_sandwiched B steps x hchain hx)
  rw [crownSteps_net] at h
  have hd' : d ≤ crownLower (crownSteps steps) c B := of_decide_eq_true hd
  exact Rat.le_trans hd' h

end TorchLean.Cert
