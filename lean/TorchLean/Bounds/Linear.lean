module

public import TorchLean.IR.Dense

/-! # Linear algebra on `List Rat` for backward bound propagation

Vectors are lists; `vadd` pads the shorter operand with zeros, so `dot` is additive in its first
argument without length side conditions. `vecMat a W = Σᵣ aᵣ · W[r]` moves a linear objective from
a layer's outputs to its inputs: `dot_layerOut_identity` is the substitution step of CROWN's
backward pass.
-/

public section

namespace TorchLean.Bounds

open TorchLean.IR

/-- Elementwise sum, the missing tail of the shorter vector read as zeros. -/
@[expose] def vadd : List Rat → List Rat → List Rat
  | a :: as, b :: bs => (a + b) :: vadd as bs
  | [], bs => bs
  | a :: as, [] => a :: as

/-- Scalar multiple of a vector. -/
@[expose] def smul (c : Rat) : List Rat → List Rat
  | [] => []
  | a :: as => c * a :: smul c as

/-- `Σᵣ aᵣ · W[r]`: the row vector `a` times the matrix with rows `W`. -/
@[expose] def vecMat : List Rat → List (List Rat) → List Rat
  | a :: as, row :: rows => vadd (smul a row) (vecMat as rows)
  | _, _ => []

/-- `dot` is additive in its first argument. -/
theorem dot_vadd : ∀ (u v x : List Rat), dot (vadd u v) x = dot u x + dot v x
  | [], v, x => by cases v <;> cases x <;> simp [vadd, dot] <;> grind
  | _ :: _, [], x => by cases x <;> simp [vadd, dot] <;> grind
  | _ :: _, _ :: _, [] => by simp [vadd, dot] <;> grind
  | a :: as, b :: bs, y :: ys => by
    simp only [vadd, dot, dot_vadd as bs ys]
    grind

/-- `dot` is homogeneous in its first argument. -/
theorem dot_smul (c : Rat) : ∀ (u x : List Rat), dot (smul c u) x = c * dot u x
  | [], x => by cases x <;> simp [smul, dot] <;> grind
  | _ :: _, [] => by simp [smul, dot] <;> grind
  | a :: as, y :: ys => by
    simp only [smul, dot, dot_smul c as ys]
    grind

/-- **Affine substitution**: for matching rows and biases, `a · (W x + b) = (a W) · x + a · b`. -/
theorem dot_layerOut_identity (x : List Rat) :
    ∀ (a : List Rat) (W : List (List Rat)) (b : List Rat), W.length = b.length →
      dot a (layerOut .identity x W b) = dot (vecMat a W) x + dot a b
  | [], W, b, _ => by cases W <;> cases b <;> simp [vecMat, dot] <;> grind
  | _ :: _, [], [], _ => by simp [layerOut, vecMat, dot] <;> grind
  | _ :: _, [], _ :: _, h => by simp at h
  | _ :: _, _ :: _, [], h => by simp at h
  | a :: as, row :: rows, c :: cs, h => by
    simp only [List.length_cons, Nat.add_right_cancel_iff] at h
    simp only [layerOut, vecMat, dot, Act.eval, dot_vadd, dot_smul, dot_layerOut_identity x as rows cs h]
    grind

/-- A layer's output is its activation applied to the affine pre-activation. -/
theorem layerOut_eq_map (act : Act) (x : List Rat) :
    ∀ (W : List (List Rat)) (b : List Rat), layerOut act x W b = (layerOut .identity x W b).map act.eval
  | [], _ => by simp [layerOut]
  | _ :: _, [] => by simp [layerOut]
  | row :: rows, c :: cs => by
    simp [layerOut, Act.eval, layerOut_eq_map act x rows cs]

end TorchLean.Bounds
