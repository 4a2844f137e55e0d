module

public import TorchLean.Bounds.CrownRunNet

/-! # Interval bounds of one affine layer, column by column

Interval arithmetic (IBP) through `W x + b`, for `x` in a box with integer ends over a scale: each
row's lower end is `b` plus, per input, the weight times the input's lower end (or upper end, for
a negative weight); the upper end likewise. `ibpSums` computes those integer sums one column of
`W` at a time, the way a packed layer stores its weights (`LayerPk.ws`, one column per input), so
the kernel reads every weight once. `encl_ibpSums` says the sums enclose the layer's output.

This is the IBP step of the branch-and-bound leaf checker (`Cert/PackedLevels.lean`), and is far
cheaper to check than a packed run: one small multiplication per weight and per end.
-/

public section

namespace TorchLean.Bounds

open TorchLean.IR TorchLean.Num

/-- `S` encloses `v` at scale `σ`: entry `j` of `v` lies between `S[j].1 · σ` and `S[j].2 · σ`.
Pairs of `S` beyond `v`'s length are ignored. -/
@[expose] def Encl (σ : Rat) : List (Int × Int) → List Rat → Prop
  | _, [] => True
  | p :: S, v :: vs => (p.1 : Rat) * σ ≤ v ∧ v ≤ (p.2 : Rat) * σ ∧ Encl σ S vs
  | [], _ :: _ => False

/-- One column's share added to each row's pair: the column's weights (magnitudes `ws`, signs
`ss`, `true` negative) times an input with integer ends `a ≤ c`. A negative weight takes the
upper end into the lower sum. -/
@[expose] def ibpCol (a c : Int) : List Nat → List Bool → List (Int × Int) → List (Int × Int)
  | w :: ws, s :: ss, p :: S =>
    (if s then (p.1 - (w : Int) * c, p.2 - (w : Int) * a) else (p.1 + (w : Int) * a, p.2 + (w : Int) * c)) ::
      ibpCol a c ws ss S
  | _, _, _ => []

/-- The IBP sums of a layer: every column's share (`ibpCol`, input `i` with ends `as[i]`, `cs[i]`)
added to the bias pairs `S0`. -/
@[expose] def ibpSums (S0 : List (Int × Int)) :
    List (List Nat) → List (List Bool) → List Int → List Int → List (Int × Int)
  | w :: ws, s :: ss, a :: as, c :: cs => ibpCol a c w s (ibpSums S0 ws ss as cs)
  | _, _, _, _ => S0

/-- The bias pairs of a layer whose bias integers are `bs`, for inputs at scale `1/K`: each
bias counted `K` times, so it is at the inputs' scale. -/
@[expose] noncomputable def biasPairs (K : Nat) (bs : List Int) : List (Int × Int) :=
  bs.map (fun b => (b * K, b * K))

/-- Inputs `xs` lie between `as[i] · τ` and `cs[i] · τ`. -/
@[expose] def InEnds (τ : Rat) : List Int → List Int → List Rat → Prop
  | a :: as, c :: cs, x :: xs => (a : Rat) * τ ≤ x ∧ x ≤ (c : Rat) * τ ∧ InEnds τ as cs xs
  | [], [], [] => True
  | _, _, _ => False

/-- A layer with one more input column: each row gains that column's entry times the input. -/
theorem layerOut_zipWith_cons (x₀ : Rat) (xs : List Rat) :
    ∀ (col : List Rat) (R : List (List Rat)) (B : List Rat),
      IR.layerOut .identity (x₀ :: xs) (List.zipWith List.cons col R) B =
        List.zipWith (fun c v => c * x₀ + v) col (IR.layerOut .identity xs R B)
  | c :: col, r :: R, b :: B => by
    simp only [List.zipWith_cons_cons, IR.layerOut, Act.eval, dot]
    rw [layerOut_zipWith_cons x₀ xs col R B]
    congr 1
    grind
  | [], _, _ => by simp [IR.layerOut]
  | _ :: _, [], _ => by simp [IR.layerOut]
  | _ :: _, _ :: _, [] => by simp [IR.layerOut]

/-- `w · x ≥ w · (a τ)` for `w ≥ 0` and `x ≥ a τ`, with `w` a weight at scale `ω`. -/
theorem mul_ends_le {ω τ x : Rat} (hω : 0 ≤ ω) (w : Nat) (a : Int) (h : (a : Rat) * τ ≤ x) :
    (((w : Int) * a : Int) : Rat) * (ω * τ) ≤ ((w : Int) : Rat) * ω * x := by
  have hw : (0 : Rat) ≤ ((w : Int) : Rat) * ω := Rat.mul_nonneg (by exact_mod_cast Nat.zero_le w) hω
  have := Rat.mul_le_mul_of_nonneg_left h hw
  rw [Rat.intCast_mul]
  grind

/-- `w · x ≤ w · (c τ)` for `w ≥ 0` and `x ≤ c τ`. -/
theorem mul_le_ends {ω τ x : Rat} (hω : 0 ≤ ω) (w : Nat) (c : Int) (h : x ≤ (c : Rat) * τ) :
    ((w : Int) : Rat) * ω * x ≤ (((w : Int) * c : Int) : Rat) * (ω * τ) := by
  have hw : (0 : Rat) ≤ ((w : Int) : Rat) * ω := Rat.mul_nonneg (by exact_mod_cast Nat.zero_le w) hω
  have := Rat.mul_le_mul_of_nonneg_left h hw
  rw [Rat.intCast_mul]
  grind

/-- **One column's share encloses its contribution**: where `S` encloses the rows so far, adding
the column (weights `signedCol ws ss` at scale `ω ≥ 0`) times an input `x₀` between `a τ` and
`c τ` is enclosed by `ibpCol`, at scale `ω τ`. -/
theorem encl_ibpCol {ω τ x₀ : Rat} (hω : 0 ≤ ω) {a c : Int} (ha : (a : Rat) * τ ≤ x₀) (hc : x₀ ≤ (c : Rat) * τ) :
    ∀ (ws : List Nat) (ss : List Bool) (S : List (Int × Int)) (v : List Rat), Encl (ω * τ) S v →
      Encl (ω * τ) (ibpCol a c ws ss S) (List.zipWith (fun c v => c * x₀ + v) (scaled ω (signedCol ws ss)) v)
  | w :: ws, s :: ss, p :: S, u :: v, h => by
    simp only [Encl] at h
    obtain ⟨h1, h2, h3⟩ := h
    have ih := encl_ibpCol hω ha hc ws ss S v h3
    simp only [signedCol, scaled, List.map_cons, List.zipWith_cons_cons, ibpCol] at ih ⊢
    refine ⟨?_, ?_, ih⟩
    · cases s
      · have := mul_ends_le hω w a ha
        simp only [Bool.false_eq_true, if_false]
        push_cast at this ⊢
        grind
      · have := mul_le_ends hω w c hc
        simp only [if_true]
        push_cast at this ⊢
        grind
    · cases s
      · have := mul_le_ends hω w c hc
        simp only [Bool.false_eq_true, if_false]
        push_cast at this ⊢
        grind
      · have := mul_ends_le hω w a ha
        simp only [if_true]
        push_cast at this ⊢
        grind
  | [], _, _, _, _ => by simp [signedCol, scaled, Encl]
  | _ :: _, [], _, _, _ => by simp [signedCol, scaled, Encl]
  | _ :: _, _ :: _, _, [], _ => by simp [Encl]
  | _ :: _, _ :: _, [], _ :: _, h => by simp [Encl] at h

/-- With no columns, the layer is its bias, which the bias pairs enclose (`K τ = 1`). Pairs
beyond the bias (`extra`) are ignored. -/
theorem encl_biasPairs {ω τ : Rat} {K : Nat} (hK : (K : Rat) * τ = 1) :
    ∀ (bs : List Int) (extra : List Int) (d : Nat), bs.length = d →
      Encl (ω * τ) (biasPairs K (bs ++ extra)) (IR.layerOut .identity [] (List.replicate d []) (scaled ω bs))
  | [], _, 0, _ => by simp [IR.layerOut, Encl]
  | b :: bs, extra, d + 1, h => by
    simp only [List.cons_append, biasPairs, List.map_cons, List.replicate_succ, scaled, IR.layerOut, Act.eval, dot, Encl]
    have ih := encl_biasPairs (ω := ω) hK bs extra d (by simpa using h)
    simp only [biasPairs, scaled] at ih
    have e : ((b * K : Int) : Rat) * (ω * τ) = 0 + (b : Rat) * ω := by
      rw [Rat.intCast_mul, Rat.intCast_natCast]
      grind
    rw [e]
    exact ⟨Rat.le_refl, Rat.le_refl, ih⟩
  | [], _, _ + 1, h => by simp at h
  | _ :: _, _, 0, h => by simp at h

/-- **The IBP sums enclose the layer's output**: for the layer with columns `signedCols ws ss`
and bias `bs`, both at scale `ω ≥ 0`, and inputs between `as · τ` and `cs · τ` (`K τ = 1`), the
output `W x + b` lies between the sums at scale `ω τ`. -/
theorem encl_ibpSums {ω τ : Rat} {K : Nat} (hω : 0 ≤ ω) (hK : (K : Rat) * τ = 1) (bs extra : List Int) (d : Nat)
    (hb : bs.length = d) :
    ∀ (ws : List (List Nat)) (ss : List (List Bool)) (as cs : List Int) (xs : List Rat),
      ws.length = ss.length → InEnds τ as cs xs → as.length = ws.length →
      Encl (ω * τ) (ibpSums (biasPairs K (bs ++ extra)) ws ss as cs)
        (IR.layerOut .identity xs (ofCols d ((signedCols ws ss).map (scaled ω))) (scaled ω bs))
  | w :: ws, s :: ss, a :: as, c :: cs, x :: xs, hl, hx, hal => by
    simp only [InEnds] at hx
    obtain ⟨h1, h2, h3⟩ := hx
    have ih := encl_ibpSums hω hK bs extra d hb ws ss as cs xs (by simpa using hl) h3 (by simpa using hal)
    simp only [ibpSums, signedCols, List.map_cons, ofCols]
    rw [layerOut_zipWith_cons]
    exact encl_ibpCol hω h1 h2 w s _ _ ih
  | [], [], [], [], [], _, _, _ => by
    simp only [ibpSums, signedCols, List.map_nil, ofCols]
    exact encl_biasPairs hK bs extra d hb
  | [], _ :: _, _, _, _, hl, _, _ => by simp at hl
  | _ :: _, [], _, _, _, hl, _, _ => by simp at hl
  | [], [], _ :: _, _, _, _, _, hal => by simp at hal
  | _ :: _, _ :: _, [], _, _, _, _, hal => by simp at hal
  | [], [], [], _ :: _, _, _, hx, _ => by simp [InEnds] at hx
  | [], [], [], [], _ :: _, _, hx, _ => by simp [InEnds] at hx
  | _ :: _, _ :: _, _ :: _, [], _, _, hx, _ => by simp [InEnds] at hx
  | _ :: _, _ :: _, _ :: _, _ :: _, [], _, hx, _ => by simp [InEnds] at hx

end TorchLean.Bounds
