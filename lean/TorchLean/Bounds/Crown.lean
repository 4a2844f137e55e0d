module

public import TorchLean.Bounds.Linear
public import TorchLean.Bounds.IBP
public import TorchLean.Bounds.Relax

/-! # CROWN: backward linear bounds for dense networks, proved sound

Each neuron's activation is sandwiched between two lines over its pre-activation bounds: a lower
line `α z` and an upper line `slope · z + icpt` (`Relax`). `Relax.valid` decides that the lines are
sound for the activation on an interval — for ReLU, `α ∈ [0, 1]` and the upper line above ReLU at
both ends (enough, as ReLU is convex) — and `backward` pushes an objective `c` from the network's
output to its input, choosing the lower or upper line by the sign of each coefficient.
`crownLower_le` is the theorem: for every input in the box, whose pre-activations lie in the
boxes the relaxations were checked against, `crownLower` is a lower bound of `c · net(x)`.
-/

public section

namespace TorchLean.Bounds

open TorchLean.IR

/-- The two lines relaxing one neuron's activation: `alpha · z ≤ act z ≤ slope · z + icpt`. -/
structure Relax where
  /-- Slope of the lower line (through the origin). -/
  alpha : Rat
  /-- Slope of the upper line. -/
  slope : Rat
  /-- Intercept of the upper line. -/
  icpt : Rat

/-- The lines are sound for `act` on `I` (decided by computation). -/
@[expose] def Relax.valid (act : Act) (I : Interval) (r : Relax) : Bool :=
  match act with
  | .relu =>
    decide (I.lo ≤ I.hi) && decide (0 ≤ r.alpha) && decide (r.alpha ≤ 1) &&
      decide (Act.eval .relu I.lo ≤ r.slope * I.lo + r.icpt) && decide (Act.eval .relu I.hi ≤ r.slope * I.hi + r.icpt)
  | .identity => decide (r.alpha = 1) && decide (r.slope = 1) && decide (r.icpt = 0)

/-- ReLU is at least its argument. -/
theorem le_relu (z : Rat) : z ≤ Act.eval .relu z := by
  simp only [Act.eval]; split <;> grind

/-- ReLU is nonnegative. -/
theorem relu_nonneg (z : Rat) : 0 ≤ Act.eval .relu z := by
  simp only [Act.eval]; split <;> grind

/-- An affine function on `[l, u]` is at least its smaller end value. -/
theorem affine_ge_min {s t l u z : Rat} (hl : l ≤ z) (hu : z ≤ u) :
    s * l + t ≤ s * z + t ∨ s * u + t ≤ s * z + t := by
  by_cases hs : 0 ≤ s
  · exact Or.inl (by have := Rat.mul_le_mul_of_nonneg_left hl hs; grind)
  · have hn : 0 ≤ -s := by grind
    have := Rat.mul_le_mul_of_nonneg_left hu hn
    exact Or.inr (by grind)

/-- A line above ReLU at both ends of `[l, u]` is above it on the whole interval (convexity). -/
theorem relu_le_line {s t l u z : Rat} (hl : l ≤ z) (hu : z ≤ u)
    (hL : Act.eval .relu l ≤ s * l + t) (hU : Act.eval .relu u ≤ s * u + t) :
    Act.eval .relu z ≤ s * z + t := by
  have rl := le_relu l
  have ru := le_relu u
  have nl := relu_nonneg l
  have nu := relu_nonneg u
  simp only [Act.eval] at *
  split
  · rcases affine_ge_min (s := s) (t := t) hl hu with h | h <;> grind
  · -- `z > 0`: the line minus the identity, `(s − 1) z + t`, is affine and nonnegative at both ends.
    rcases affine_ge_min (s := s - 1) (t := t) hl hu with h | h <;> grind

/-- A valid relaxation's lower line is below the activation on the interval. -/
theorem Relax.lower_le {act : Act} {I : Interval} {r : Relax} (hv : r.valid act I = true) {z : Rat}
    (_hz : I.Mem z) : r.alpha * z ≤ act.eval z := by
  cases act with
  | relu =>
    simp only [Relax.valid, Bool.and_eq_true, decide_eq_true_eq] at hv
    exact relu_lower_le hv.1.1.1.2 hv.1.1.2
  | identity =>
    simp only [Relax.valid, Bool.and_eq_true, decide_eq_true_eq] at hv
    simp only [Act.eval, hv.1.1]
    grind

/-- A valid relaxation's upper line is above the activation on the interval. -/
theorem Relax.le_upper {act : Act} {I : Interval} {r : Relax} (hv : r.valid act I = true) {z : Rat}
    (hz : I.Mem z) : act.eval z ≤ r.slope * z + r.icpt := by
  cases act with
  | relu =>
    simp only [Relax.valid, Bool.and_eq_true, decide_eq_true_eq] at hv
    exact relu_le_line hz.1 hz.2 hv.1.2 hv.2
  | identity =>
    simp only [Relax.valid, Bool.and_eq_true, decide_eq_true_eq] at hv
    simp only [Act.eval, hv.1.2, hv.2]
    grind

/-- Every neuron's relaxation is valid against its interval. -/
@[expose] def validAll (act : Act) : Box → List Relax → Bool
  | [], [] => true
  | I :: Is, r :: rs => r.valid act I && validAll act Is rs
  | _, _ => false

/-- `h` is sandwiched coordinatewise between the lines of `rs` at `z` (same lengths). -/
@[expose] def Lines : List Relax → List Rat → List Rat → Prop
  | [], [], [] => True
  | r :: rs, z :: zs, h :: hs => (r.alpha * z ≤ h ∧ h ≤ r.slope * z + r.icpt) ∧ Lines rs zs hs
  | _, _, _ => False

/-- Valid relaxations sandwich the activation of every point of the box. -/
theorem lines_of_valid (act : Act) : ∀ (P : Box) (rs : List Relax) (z : List Rat),
    validAll act P rs = true → Box.Mem P z → Lines rs z (z.map act.eval)
  | [], [], [], _, _ => trivial
  | I :: Is, r :: rs, z :: zs, hv, hz => by
    simp only [validAll, Bool.and_eq_true] at hv
    exact ⟨⟨Relax.lower_le hv.1 hz.1, Relax.le_upper hv.1 hz.1⟩, lines_of_valid act Is rs zs hv.2 hz.2⟩
  | [], [], _ :: _, _, hz => by simp [Box.Mem] at hz
  | _ :: _, _, [], _, hz => by simp [Box.Mem] at hz
  | [], _ :: _, _, hv, _ => by simp [validAll] at hv
  | _ :: _, [], _, hv, _ => by simp [validAll] at hv

/-- Coefficients over `z` after relaxing: `α a` for `a ≥ 0`, `slope · a` otherwise. -/
@[expose] def relaxCoeffs : List Rat → List Relax → List Rat
  | a :: as, r :: rs => (if 0 ≤ a then a * r.alpha else a * r.slope) :: relaxCoeffs as rs
  | _, _ => []

/-- The constant the upper lines contribute (only where the coefficient is negative). -/
@[expose] def relaxConst : List Rat → List Relax → Rat
  | a :: as, r :: rs => (if 0 ≤ a then 0 else a * r.icpt) + relaxConst as rs
  | _, _ => 0

/-- **Relaxation step**: between its lines, `a · h ≥ a' · z + c`. -/
theorem relax_le : ∀ (a : List Rat) (rs : List Relax) (z h : List Rat), Lines rs z h →
    dot (relaxCoeffs a rs) z + relaxConst a rs ≤ dot a h
  | [], _, _, _, _ => by simp [relaxCoeffs, relaxConst, dot] <;> grind
  | _ :: _, [], z, h, hl => by
    cases z <;> cases h <;> simp [Lines] at hl
    simp [relaxCoeffs, relaxConst, dot] <;> grind
  | _ :: _, _ :: _, [], _, hl => by cases ‹List Rat› <;> simp [Lines] at hl
  | _ :: _, _ :: _, _ :: _, [], hl => by simp [Lines] at hl
  | a :: as, r :: rs, z :: zs, h :: hs, hl => by
    simp only [Lines] at hl
    have ih := relax_le as rs zs hs hl.2
    have hlo := hl.1.1
    have hhi := hl.1.2
    simp only [relaxCoeffs, relaxConst, dot]
    split
    · next ha =>
      have := Rat.mul_le_mul_of_nonneg_left hlo ha
      grind
    · next ha =>
      have hn : 0 ≤ -a := by grind
      have := Rat.mul_le_mul_of_nonneg_left hhi hn
      grind

/-- The pre-activation `W x + b` of a dense layer. -/
@[expose] def preAct (L : Dense) (x : List Rat) : List Rat := layerOut .identity x L.weight L.bias

/-- The backward pass: for layers `(L, R)` (a dense layer and the relaxation of its activation), the
coefficients over the network input and the constant of a linear lower bound of `c · output`. -/
@[expose] def backward : List (Dense × List Relax) → List Rat → List Rat × Rat
  | [], c => (c, 0)
  | (L, R) :: rest, c =>
    let ak := backward rest c
    let a' := relaxCoeffs ak.1 R
    (vecMat a' L.weight, ak.2 + relaxConst ak.1 R + dot a' L.bias)

/-- The CROWN lower bound of `c · net(x)` over the input box `B`. -/
@[expose] def crownLower (steps : List (Dense × List Relax)) (c : List Rat) (B : Box) : Rat :=
  (backward steps c).2 + (ibpDot (backward steps c).1 B).lo

/-- What the backward pass assumes at `x`: every layer's rows match its biases, and every
layer's activation lies between the lines of its relaxation at the layer's pre-activation. -/
@[expose] def Sandwiched : List (Dense × List Relax) → List Rat → Prop
  | [], _ => True
  | (L, R) :: rest, x =>
    L.weight.length = L.bias.length ∧ Lines R (preAct L x) (L.eval x) ∧ Sandwiched rest (L.eval x)

/-- The backward pass gives a linear lower bound at every point where the lines hold. -/
theorem backward_le : ∀ (steps : List (Dense × List Relax)) (c x : List Rat), Sandwiched steps x →
    dot (backward steps c).1 x + (backward steps c).2 ≤ dot c (evalNet (steps.map Prod.fst) x)
  | [], c, x, _ => by simp [backward, evalNet] <;> grind
  | (L, R) :: rest, c, x, hs => by
    obtain ⟨hlen, hlines, hrest⟩ := hs
    have ih := backward_le rest c (L.eval x) hrest
    have hrel := relax_le (backward rest c).1 R (preAct L x) (L.eval x) hlines
    have hsub := dot_layerOut_identity x (relaxCoeffs (backward rest c).1 R) L.weight L.bias hlen
    simp only [preAct] at hrel
    simp only [backward, List.map, evalNet]
    grind

/-- **CROWN soundness**: for every `x` in the box `B` at which the relaxations sandwich the
activations (`lines_of_valid` provides this from checked pre-activation boxes), `crownLower` is a
lower bound of `c · net(x)`. -/
theorem crownLower_le (steps : List (Dense × List Relax)) (c : List Rat) {B : Box} {x : List Rat}
    (hx : Box.Mem B x) (hs : Sandwiched steps x) :
    crownLower steps c B ≤ dot c (evalNet (steps.map Prod.fst) x) := by
  have hb := backward_le steps c x hs
  have hi := (ibpDot_sound (backward steps c).1 B x hx).1
  unfold crownLower
  grind

end TorchLean.Bounds
