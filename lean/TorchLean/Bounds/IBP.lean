module

public import TorchLean.IR.Dense
public import TorchLean.Bounds.Interval

/-! # Interval bound propagation for dense networks

`ibpLayer L B` encloses the image of the box `B` under the dense layer `L`, computed exactly over
`Rat`; `ibpLayer_sound` proves the enclosure for every point of the box.
-/

public section

namespace TorchLean.Bounds

open TorchLean.IR

/-- The enclosure of `dot w x` over `x ∈ B`. -/
@[expose] def ibpDot : List Rat → Box → Interval
  | w :: ws, I :: Is => (I.scale w).add (ibpDot ws Is)
  | _, _ => ⟨0, 0⟩

/-- `ibpDot` skipping zero weights: the same interval (`ibpDotSkip_eq`) in far fewer kernel steps
on the mostly-zero rows of a convolution's or a pool's matrix. -/
@[expose] def ibpDotSkip : List Rat → Box → Interval
  | w :: ws, I :: Is => if w = 0 then ibpDotSkip ws Is else (I.scale w).add (ibpDotSkip ws Is)
  | _, _ => ⟨0, 0⟩

/-- The enclosure of an activation over an interval; both activations are monotone. -/
@[expose] def ibpAct (a : Act) (I : Interval) : Interval := ⟨a.eval I.lo, a.eval I.hi⟩

/-- The enclosure of each output row `act (row · x + b)` over `x ∈ B`. -/
@[expose] def ibpRows (act : Act) (B : Box) : List (List Rat) → List Rat → Box
  | row :: rows, b :: bs => ibpAct act ((ibpDotSkip row B).add ⟨b, b⟩) :: ibpRows act B rows bs
  | _, _ => []

/-- The enclosure of a dense layer's image of the box `B`. -/
@[expose] def ibpLayer (L : Dense) (B : Box) : Box := ibpRows L.act B L.weight L.bias

/-- For `x ∈ B`, `dot w x` lies in `ibpDot w B`. -/
theorem ibpDot_sound : ∀ (w : List Rat) (B : Box) (x : List Rat), Box.Mem B x →
    (ibpDot w B).Mem (dot w x)
  | [], _, _, _ => ⟨Rat.le_refl, Rat.le_refl⟩
  | _ :: _, [], [], _ => ⟨Rat.le_refl, Rat.le_refl⟩
  | _ :: _, [], _ :: _, h => by simp [Box.Mem] at h
  | _ :: _, _ :: _, [], h => by simp [Box.Mem] at h
  | w :: ws, I :: Is, x :: xs, h => by
    simp only [Box.Mem] at h
    exact Interval.mem_add (Interval.mem_scale h.1) (ibpDot_sound ws Is xs h.2)

theorem ibpDotSkip_eq : ∀ (w : List Rat) (B : Box), ibpDotSkip w B = ibpDot w B
  | [], _ => by simp [ibpDotSkip, ibpDot]
  | _ :: _, [] => by simp [ibpDotSkip, ibpDot]
  | w :: ws, I :: Is => by
    simp only [ibpDotSkip, ibpDot, ibpDotSkip_eq ws Is]
    split
    · rename_i h
      subst h
      generalize ibpDot ws Is = J
      cases J
      simp only [Interval.scale, Interval.add, Rat.le_refl, if_true, Interval.mk.injEq]
      grind
    · rfl

/-- Activations are monotone, so the image of a member of `I` is in `ibpAct a I`. -/
theorem ibpAct_sound (a : Act) {I : Interval} {x : Rat} (h : I.Mem x) : (ibpAct a I).Mem (a.eval x) := by
  unfold ibpAct Interval.Mem at *
  cases a with
  | identity => exact h
  | relu =>
    simp only [Act.eval]
    split <;> split <;> split <;> grind

/-- Every output row of a dense layer lies in its enclosure, for every `x ∈ B`. -/
theorem ibpRows_sound (act : Act) (B : Box) (x : List Rat) (hx : Box.Mem B x) :
    ∀ (rows : List (List Rat)) (bs : List Rat), Box.Mem (ibpRows act B rows bs) (layerOut act x rows bs)
  | [], _ => by simp [ibpRows, layerOut, Box.Mem]
  | _ :: _, [] => by simp [ibpRows, layerOut, Box.Mem]
  | row :: rows, b :: bs => by
    simp only [ibpRows, layerOut, Box.Mem]
    refine ⟨ibpAct_sound act (Interval.mem_add (ibpDotSkip_eq row B ▸ ibpDot_sound row B x hx) ?_), ibpRows_sound act B x hx rows bs⟩
    exact ⟨Rat.le_refl, Rat.le_refl⟩

/-- **IBP soundness** for one dense layer: every point of `B` is mapped into `ibpLayer L B`. -/
theorem ibpLayer_sound (L : Dense) {B : Box} {x : List Rat} (hx : Box.Mem B x) :
    Box.Mem (ibpLayer L B) (L.eval x) :=
  ibpRows_sound L.act B x hx L.weight L.bias

end TorchLean.Bounds
