module

public import TorchLean.Cert.DenseCrown

/-! # CROWN-justified pre-activation boxes

`CrownChain` accepts a layer's pre-activation box when it contains the IBP image of the previous
box. On deep networks IBP boxes are far too loose for branch and bound, so the engine bounds each
hidden neuron by a CROWN pass of its own, through every earlier layer. `boxesOk` re-checks such
boxes: each end of each neuron's interval must follow either from IBP over the previous
post-activation box or from `crownLower` over the layers before it (with the CROWN-Ada lower slopes
`adaRelax`, the same lines the engine used) ending in the neuron's own row. `boxesOk_sandwiched`
proves that a checked chain sandwiches every activation between its lines for every input of the
box: exactly the hypothesis `crownLower_le` needs for the final objective.
-/

public section

namespace TorchLean.Cert

open TorchLean.IR TorchLean.Bounds

/-- The exact line of the identity. -/
@[expose] def idRelax : Relax := ⟨1, 1, 0⟩

/-- The one-output network `w · h + b`: one neuron's pre-activation as a layer of its own. -/
@[expose] def rowLayer (w : List Rat) (b : Rat) : Dense := ⟨[w], [b], .identity⟩

/-- CROWN-Ada's lower slope on `I`: 0 for an inactive ReLU, else 1 when `I` leans positive
(`-lo ≤ hi`), else 0. -/
@[expose] def adaAlpha (I : Interval) : Rat :=
  if I.hi ≤ 0 then 0 else if -I.lo ≤ I.hi then 1 else 0

/-- The relaxations with every ReLU's lower slope replaced by CROWN-Ada's (the upper lines kept):
the lines the engine bounds later neurons with. -/
@[expose] def adaRelax : Act → Box → List Relax → List Relax
  | .identity, _, rs => rs
  | .relu, I :: Is, r :: rs => ⟨adaAlpha I, r.slope, r.icpt⟩ :: adaRelax .relu Is rs
  | .relu, _, _ => []

/-- Every interval of `P` bounds its row's value `w · h + b`: each end follows from IBP over `H`
or from a CROWN pass through `pre` ending in the row. -/
@[expose] noncomputable def rowsOk (B : Box) (pre : List (Dense × List Relax)) (H : Box) :
    List (List Rat) → List Rat → Box → Bool
  | [], [], [] => true
  | w :: ws, b :: bs, I :: Is =>
    (decide (I.lo ≤ (ibpDot w H).lo + b) ||
        decide (I.lo ≤ crownLower (pre ++ [(rowLayer w b, [idRelax])]) [1] B)) &&
      (decide ((ibpDot w H).hi + b ≤ I.hi) ||
        decide (-crownLower (pre ++ [(rowLayer w b, [idRelax])]) [-1] B ≤ I.hi)) &&
      rowsOk B pre H ws bs Is
  | _, _, _ => false

/-- The chain of pre-activation boxes and relaxations, each box checked by `rowsOk` against the
layers before it (`pre`, with CROWN-Ada lower slopes) and the previous post-activation box `H`. -/
@[expose] noncomputable def boxesOk (B : Box) : List (Dense × List Relax) → Box → List (Dense × Box × List Relax) → Bool
  | _, _, [] => true
  | pre, H, (L, P, R) :: rest =>
    rowsOk B pre H L.weight L.bias P && validAll L.act P R && validAll L.act P (adaRelax L.act P R) &&
      (L.weight.length == L.bias.length) &&
      boxesOk B (pre ++ [(L, adaRelax L.act P R)]) (postBox L.act P) rest

/-- Running two networks one after the other is running their concatenation. -/
theorem evalNet_append : ∀ (p q : List Dense) (x : List Rat), evalNet (p ++ q) x = evalNet q (evalNet p x)
  | [], _, _ => rfl
  | L :: p, q, x => evalNet_append p q (L.eval x)

/-- The lines hold along a concatenation iff they hold along each part. -/
theorem sandwiched_append : ∀ (p q : List (Dense × List Relax)) (x : List Rat),
    Sandwiched p x → Sandwiched q (evalNet (p.map Prod.fst) x) → Sandwiched (p ++ q) x
  | [], _, _, _, hq => hq
  | (L, _) :: p, q, x, ⟨hlen, hl, hp⟩, hq => ⟨hlen, hl, sandwiched_append p q (L.eval x) hp hq⟩

/-- The identity's exact line sandwiches a one-row layer. -/
theorem sandwiched_rowLayer (w : List Rat) (b : Rat) (h : List Rat) :
    Sandwiched [(rowLayer w b, [idRelax])] h := by
  refine ⟨rfl, ?_, trivial⟩
  simp only [preAct, rowLayer, Dense.eval, layerOut, Act.eval, Lines, idRelax]
  grind

/-- A CROWN pass ending in one row bounds that row's value from below. -/
theorem crownLower_row_le {B : Box} {x : List Rat} {pre : List (Dense × List Relax)} (hx : Box.Mem B x)
    (hs : Sandwiched pre x) (w : List Rat) (b : Rat) (c : Rat) :
    crownLower (pre ++ [(rowLayer w b, [idRelax])]) [c] B ≤ c * (dot w (evalNet (pre.map Prod.fst) x) + b) := by
  have h := crownLower_le _ [c] hx
    (sandwiched_append pre _ x hs (sandwiched_rowLayer w b (evalNet (pre.map Prod.fst) x)))
  simp only [List.map_append, evalNet_append, List.map, evalNet, rowLayer, Dense.eval, layerOut,
    Act.eval, dot] at h ⊢
  grind

/-- **Checked rows are sound**: if the lines hold along `pre` at `x` and `H` encloses `pre`'s
output, each row's value lies in its interval of `P`. -/
theorem rowsOk_sound {B : Box} {pre : List (Dense × List Relax)} {H : Box} {x : List Rat}
    (hx : Box.Mem B x) (hs : Sandwiched pre x) (hH : Box.Mem H (evalNet (pre.map Prod.fst) x)) :
    ∀ (W : List (List Rat)) (bs : List Rat) (P : Box), rowsOk B pre H W bs P = true →
      Box.Mem P (layerOut .identity (evalNet (pre.map Prod.fst) x) W bs)
  | [], [], [], _ => trivial
  | w :: ws, b :: bs, I :: Is, hok => by
    simp only [rowsOk, Bool.and_eq_true, Bool.or_eq_true, decide_eq_true_eq] at hok
    obtain ⟨⟨hlo, hhi⟩, hrest⟩ := hok
    have hi := ibpDot_sound w H _ hH
    have cl := crownLower_row_le hx hs w b 1
    have cu := crownLower_row_le hx hs w b (-1)
    refine ⟨⟨?_, ?_⟩, rowsOk_sound hx hs hH ws bs Is hrest⟩
    · simp only [Act.eval]
      unfold Interval.Mem at hi
      rcases hlo with h | h <;> grind
    · simp only [Act.eval]
      unfold Interval.Mem at hi
      rcases hhi with h | h <;> grind
  | [], [], _ :: _, h => by simp [rowsOk] at h
  | [], _ :: _, _, h => by simp [rowsOk] at h
  | _ :: _, [], _, h => by simp [rowsOk] at h
  | _ :: _, _ :: _, [], h => by simp [rowsOk] at h

/-- **A checked chain sandwiches every activation**: for every input of `B`, the lines of every
layer's relaxation hold at its pre-activation — the hypothesis of `crownLower_le`. -/
theorem boxesOk_sandwiched {B : Box} {x : List Rat} (hx : Box.Mem B x) :
    ∀ (steps : List (Dense × Box × List Relax)) (pre : List (Dense × List Relax)) (H : Box),
      boxesOk B pre H steps = true → Sandwiched pre x → Box.Mem H (evalNet (pre.map Prod.fst) x) →
      Sandwiched (crownSteps steps) (evalNet (pre.map Prod.fst) x)
  | [], _, _, _, _, _ => trivial
  | (L, P, R) :: rest, pre, H, hok, hs, hH => by
    simp only [boxesOk, Bool.and_eq_true, beq_iff_eq] at hok
    obtain ⟨⟨⟨⟨hrows, hvalid⟩, hada⟩, hlen⟩, hrest⟩ := hok
    have hpre : Box.Mem P (preAct L (evalNet (pre.map Prod.fst) x)) :=
      rowsOk_sound hx hs hH L.weight L.bias P hrows
    have heval : L.eval (evalNet (pre.map Prod.fst) x) = (preAct L (evalNet (pre.map Prod.fst) x)).map L.act.eval :=
      layerOut_eq_map L.act _ L.weight L.bias
    have hs' : Sandwiched (pre ++ [(L, adaRelax L.act P R)]) x := by
      refine sandwiched_append pre _ x hs ⟨hlen, ?_, trivial⟩
      rw [heval]; exact lines_of_valid L.act P _ _ hada hpre
    have hH' : Box.Mem (postBox L.act P) (evalNet ((pre ++ [(L, adaRelax L.act P R)]).map Prod.fst) x) := by
      simp only [List.map_append, evalNet_append, List.map, evalNet]
      rw [heval]; exact mem_postBox L.act P _ hpre
    have ih := boxesOk_sandwiched hx rest _ _ hrest hs' hH'
    simp only [List.map_append, evalNet_append, List.map, evalNet] at ih
    refine ⟨hlen, ?_, ih⟩
    rw [heval]; exact lines_of_valid L.act P R _ hvalid hpre

/-- **CROWN over CROWN-justified boxes is sound**: if the chain checks from `B`, `crownLower` of
its steps is a lower bound of `c · net(x)` for every input `x` of `B`. -/
theorem boxesOk_crownLower_le {B : Box} {steps : List (Dense × Box × List Relax)}
    (hok : boxesOk B [] B steps = true) (c : List Rat) {x : List Rat} (hx : Box.Mem B x) :
    crownLower (crownSteps steps) c B ≤ dot c (evalNet (steps.map Prod.fst) x) := by
  have hs := boxesOk_sandwiched hx steps [] B hok trivial hx
  have h := crownLower_le (crownSteps steps) c hx hs
  rw [crownSteps_net] at h
  exact h

end TorchLean.Cert
