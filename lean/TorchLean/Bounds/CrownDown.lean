module

public import TorchLean.Bounds.Crown

/-! # CROWN with coefficients rounded down over hidden outputs

A checker that computes in fixed point cannot keep every backward coefficient exact: the numbers
grow with each layer. Over a hidden layer's output, which a ReLU makes nonnegative, a coefficient
may be lowered freely: `a' ≤ a` and `h ≥ 0` give `a' · h ≤ a · h`, so a lower bound of `a' · h`
is one of `a · h`.
- `backwardDown` is `backward` with the coefficients over every hidden output passed through a
  rounding `ρ` that only lowers them (the packed checker's `shiftFields` rounds down);
  `crownLowerDown_le` states that its bound is as sound as `crownLower`'s.
- `DownChain` states the same pass by the vectors a checker computed instead of by a rounding
  function; `downChain_box_le` is its soundness theorem.

The coefficients over the network input and over its output are never rounded: neither need be
nonnegative.
-/

public section

namespace TorchLean.Bounds

open TorchLean.IR

/-- `a'` lies entrywise below `a`, and has the same length. -/
@[expose] def Below : List Rat → List Rat → Prop
  | [], [] => True
  | x :: xs, y :: ys => x ≤ y ∧ Below xs ys
  | _, _ => False

/-- **Lowering coefficients over nonnegative values lowers the sum.** -/
theorem dot_le_dot_of_below : ∀ (a' a h : List Rat), Below a' a → (∀ v ∈ h, 0 ≤ v) → dot a' h ≤ dot a h
  | [], [], _, _, _ => by simp [dot]; grind
  | x :: xs, y :: ys, [], _, _ => by simp [dot]; grind
  | x :: xs, y :: ys, v :: vs, ⟨hxy, hb⟩, hh => by
    have ih := dot_le_dot_of_below xs ys vs hb (fun w hw => hh w (by simp [hw]))
    have hv : 0 ≤ v := hh v (by simp)
    have := Rat.mul_le_mul_of_nonneg_right hxy hv
    simp only [dot]
    grind
  | [], _ :: _, _, hb, _ => by simp [Below] at hb
  | _ :: _, [], _, hb, _ => by simp [Below] at hb

/-- The backward pass of `backward`, with the coefficients over every hidden layer's output
rounded by `ρ k` (`k` = the number of layers after that output). A specification: checkers
compute it in their own representation and prove they agree, so it is not compiled. -/
@[expose] noncomputable def backwardDown (ρ : Nat → List Rat → List Rat) : List (Dense × List Relax) → List Rat → List Rat × Rat
  | [], c => (c, 0)
  | [(L, R)], c =>
    let a' := relaxCoeffs c R
    (vecMat a' L.weight, relaxConst c R + dot a' L.bias)
  | (L, R) :: (M :: more), c =>
    let ak := backwardDown ρ (M :: more) c
    let a := ρ (more.length + 1) ak.1
    let a' := relaxCoeffs a R
    (vecMat a' L.weight, ak.2 + relaxConst a R + dot a' L.bias)

/-- The rounded CROWN lower bound of `c · net(x)` over the input box `B`. -/
@[expose] noncomputable def crownLowerDown (ρ : Nat → List Rat → List Rat) (steps : List (Dense × List Relax)) (c : List Rat)
    (B : Box) : Rat :=
  (backwardDown ρ steps c).2 + (ibpDot (backwardDown ρ steps c).1 B).lo

/-- Every hidden layer's output at `x` is nonnegative (true of ReLU layers), so rounding the
coefficients over it down is sound. -/
@[expose] def HiddenNonneg : List (Dense × List Relax) → List Rat → Prop
  | (L, _) :: (M :: more), x => (∀ v ∈ L.eval x, 0 ≤ v) ∧ HiddenNonneg (M :: more) (L.eval x)
  | _, _ => True

/-- A ReLU layer's outputs are nonnegative. -/
theorem relu_layerOut_nonneg (x : List Rat) :
    ∀ (W : List (List Rat)) (b : List Rat), ∀ v ∈ layerOut .relu x W b, 0 ≤ v
  | row :: rows, c :: cs, v, hv => by
    simp only [layerOut, List.mem_cons] at hv
    rcases hv with rfl | hv
    · exact relu_nonneg _
    · exact relu_layerOut_nonneg x rows cs v hv
  | [], _, v, hv => by simp [layerOut] at hv
  | _ :: _, [], v, hv => by simp [layerOut] at hv

/-- Every layer but the last is a ReLU layer. -/
@[expose] def HiddenRelu : List (Dense × List Relax) → Prop
  | (L, _) :: (M :: more) => L.act = .relu ∧ HiddenRelu (M :: more)
  | _ => True

/-- **ReLU hidden layers discharge `HiddenNonneg`** at every input. -/
theorem hiddenNonneg_of_relu : ∀ (steps : List (Dense × List Relax)) (x : List Rat),
    HiddenRelu steps → HiddenNonneg steps x
  | (L, _) :: (M :: more), x, ⟨hL, hrest⟩ => by
    refine ⟨?_, hiddenNonneg_of_relu (M :: more) (L.eval x) hrest⟩
    intro v hv
    simp only [Dense.eval, hL] at hv
    exact relu_layerOut_nonneg x L.weight L.bias v hv
  | [], _, _ => trivial
  | [_], _, _ => trivial

/-- The rounded backward pass gives a linear lower bound wherever the lines hold and the hidden
outputs are nonnegative. -/
theorem backwardDown_le (ρ : Nat → List Rat → List Rat) (hρ : ∀ k v, Below (ρ k v) v) :
    ∀ (steps : List (Dense × List Relax)) (c x : List Rat), Sandwiched steps x → HiddenNonneg steps x →
      dot (backwardDown ρ steps c).1 x + (backwardDown ρ steps c).2 ≤ dot c (evalNet (steps.map Prod.fst) x)
  | [], c, x, _, _ => by simp [backwardDown, evalNet] <;> grind
  | [(L, R)], c, x, hs, _ => by
    obtain ⟨hlen, hlines, _⟩ := hs
    have hrel := relax_le c R (preAct L x) (L.eval x) hlines
    have hsub := dot_layerOut_identity x (relaxCoeffs c R) L.weight L.bias hlen
    simp only [preAct] at hrel
    simp only [backwardDown, List.map, evalNet]
    grind
  | (L, R) :: (M :: more), c, x, hs, hn => by
    obtain ⟨hlen, hlines, hrest⟩ := hs
    obtain ⟨hpos, hnrest⟩ := hn
    have ih := backwardDown_le ρ hρ (M :: more) c (L.eval x) hrest hnrest
    have hdown := dot_le_dot_of_below _ _ (L.eval x) (hρ (more.length + 1) (backwardDown ρ (M :: more) c).1) hpos
    have hrel := relax_le (ρ (more.length + 1) (backwardDown ρ (M :: more) c).1) R (preAct L x) (L.eval x) hlines
    have hsub := dot_layerOut_identity x (relaxCoeffs (ρ (more.length + 1) (backwardDown ρ (M :: more) c).1) R)
      L.weight L.bias hlen
    simp only [preAct] at hrel
    simp only [backwardDown, List.map, evalNet]
    simp only [List.map, evalNet] at ih
    grind

/-- **Rounded CROWN soundness**: for every `x` in the box `B` at which the relaxations sandwich
the activations and the hidden outputs are nonnegative (`hiddenNonneg_of_relu`: whenever every
hidden layer is ReLU), `crownLowerDown` with any rounding that only lowers coefficients is a lower
bound of `c · net(x)`. -/
theorem crownLowerDown_le (ρ : Nat → List Rat → List Rat) (hρ : ∀ k v, Below (ρ k v) v)
    (steps : List (Dense × List Relax)) (c : List Rat) {B : Box} {x : List Rat}
    (hx : Box.Mem B x) (hs : Sandwiched steps x) (hn : HiddenNonneg steps x) :
    crownLowerDown ρ steps c B ≤ dot c (evalNet (steps.map Prod.fst) x) := by
  have hb := backwardDown_le ρ hρ steps c x hs hn
  have hi := (ibpDot_sound (backwardDown ρ steps c).1 B x hx).1
  unfold crownLowerDown
  grind

/-- A rounded backward pass given by the vectors a checker computed, rather than by a rounding
function: `DownChain steps c a k` says the pass from the output objective `c` ends with
coefficients `a` over the network input and constant `k`, where over each hidden output the
checker's vector `a'` lies below the exact step from the layer above. -/
inductive DownChain : List (Dense × List Relax) → List Rat → List Rat → Rat → Prop
  /-- No layers: the objective itself. -/
  | nil (c : List Rat) : DownChain [] c c 0
  /-- The last layer, on the objective (never rounded). -/
  | last (L : Dense) (R : List Relax) (c : List Rat) :
      DownChain [(L, R)] c (vecMat (relaxCoeffs c R) L.weight) (relaxConst c R + dot (relaxCoeffs c R) L.bias)
  /-- A layer below a hidden output, on the checker's lowered vector `a'`. -/
  | cons (L : Dense) (R : List Relax) (M : Dense × List Relax) (more : List (Dense × List Relax))
      (c a a' : List Rat) (k : Rat) :
      DownChain (M :: more) c a k → Below a' a →
      DownChain ((L, R) :: M :: more) c (vecMat (relaxCoeffs a' R) L.weight)
        (k + relaxConst a' R + dot (relaxCoeffs a' R) L.bias)

/-- **A checker's rounded pass is sound**: wherever the lines hold and the hidden outputs are
nonnegative, the coefficients `a` and constant `k` of a `DownChain` give a lower bound
`a · x + k` of `c · net(x)`. -/
theorem downChain_le : ∀ {steps : List (Dense × List Relax)} {c a : List Rat} {k : Rat},
    DownChain steps c a k → ∀ x : List Rat, Sandwiched steps x → HiddenNonneg steps x →
      dot a x + k ≤ dot c (evalNet (steps.map Prod.fst) x)
  | _, _, _, _, .nil c, x, _, _ => by simp [evalNet] <;> grind
  | _, _, _, _, .last L R c, x, hs, _ => by
    obtain ⟨hlen, hlines, _⟩ := hs
    have hrel := relax_le c R (preAct L x) (L.eval x) hlines
    have hsub := dot_layerOut_identity x (relaxCoeffs c R) L.weight L.bias hlen
    simp only [preAct] at hrel
    simp only [List.map, evalNet]
    grind
  | _, _, _, _, .cons L R M more c a a' k hc hb, x, hs, hn => by
    obtain ⟨hlen, hlines, hrest⟩ := hs
    obtain ⟨hpos, hnrest⟩ := hn
    have ih := downChain_le hc (L.eval x) hrest hnrest
    have hdown := dot_le_dot_of_below a' a (L.eval x) hb hpos
    have hrel := relax_le a' R (preAct L x) (L.eval x) hlines
    have hsub := dot_layerOut_identity x (relaxCoeffs a' R) L.weight L.bias hlen
    simp only [preAct] at hrel
    simp only [List.map, evalNet] at ih ⊢
    grind

/-- **A checker's rounded pass, closed over the input box, is a sound bound**: for every `x` in
`B` at which the lines hold and the hidden outputs are nonnegative, `k + (ibpDot a B).lo` is a
lower bound of `c · net(x)`. -/
theorem downChain_box_le {steps : List (Dense × List Relax)} {c a : List Rat} {k : Rat}
    (h : DownChain steps c a k) {B : Box} {x : List Rat} (hx : Box.Mem B x) (hs : Sandwiched steps x)
    (hn : HiddenNonneg steps x) : k + (ibpDot a B).lo ≤ dot c (evalNet (steps.map Prod.fst) x) := by
  have hb := downChain_le h x hs hn
  have hi := (ibpDot_sound a B x hx).1
  grind

/-- `Below` is reflexive: the rounding that changes nothing qualifies. -/
theorem below_refl : ∀ v : List Rat, Below v v
  | [] => trivial
  | _ :: xs => ⟨Rat.le_refl, below_refl xs⟩

end TorchLean.Bounds
