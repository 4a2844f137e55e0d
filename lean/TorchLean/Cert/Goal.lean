module

public import TorchLean.IR.Dense
public import TorchLean.Bounds.Interval

/-! # What a property asks of the outputs

The predicates a certificate's claim is stated with, and nothing a checker needs: a linear output
constraint (`Row`), a violation refuted (`Safe`), L∞ robustness (`Robust`) on a ball
(`ballBox`) and the goal of each
property kind (`Goal`). They sit apart from the checkers so that `Cert/Claim.lean`, which a
reviewer reads and every pin imports, depends on the denotation and these definitions only.
-/

public section

namespace TorchLean.Cert

open TorchLean.IR TorchLean.Bounds

/-- One linear output constraint `coeffs · y ≤ rhs` (`<` when `strict`). -/
structure Row where
  /-- One coefficient per network output. -/
  coeffs : List Rat
  /-- The right-hand side. -/
  rhs : Rat
  /-- Strict (`<`) or not (`≤`). -/
  strict : Bool

/-- The output `y` satisfies the row. -/
@[expose] def Row.Holds (r : Row) (y : List Rat) : Prop :=
  if r.strict = true then dot r.coeffs y < r.rhs else dot r.coeffs y ≤ r.rhs

/-- **The property**: the output `y` satisfies no disjunct of the violation `dnf` in full. -/
@[expose] def Safe (dnf : List (List Row)) (y : List Rat) : Prop :=
  ∀ conj ∈ dnf, ¬ ∀ r ∈ conj, r.Holds y

/-- The L∞ ball of radius `eps` around `center`, as a box. -/
@[expose] noncomputable def ballBox (center : List Rat) (eps : Rat) : Box := center.map fun c => ⟨c - eps, c + eps⟩

/-- **L∞ robustness of an output**: among the first `n` outputs, output `label` is strictly larger
than every other. -/
@[expose] noncomputable def Robust (label n : Nat) (y : List Rat) : Prop :=
  ∀ j, j < n → j ≠ label → y.getD j 0 < y.getD label 0

/-- What a property asks of the network's output, by property kind. -/
inductive Goal where
  /-- `output_box` (certified by a chain of boxes): the output lies in this box. -/
  | box (O : Box)
  /-- `violation_dnf`: no disjunct (a conjunction of rows) holds. -/
  | safe (dnf : List (List Row))
  /-- `linf_robust`: output `label` is strictly above every other of the `outputs` outputs. -/
  | robust (label outputs : Nat)

/-- `s` at index `j` of `n` coefficients, `0` elsewhere. -/
@[expose] noncomputable def unitCoeffs (n j : Nat) (s : Rat) : List Rat := (List.range n).map fun i => if i = j then s else 0

/-- The ways an output leaves the box `O`, as violation disjuncts: per output `j`, `y_j < lo_j` and
`-y_j < -hi_j`. An `output_box` property decided by a split tree claims `.safe (outsideBox O)`:
no output `j < |O|` is below `lo_j` or above `hi_j`. -/
@[expose] noncomputable def outsideBox (O : Box) : List (List Row) :=
  ((List.range O.length).zip O).flatMap fun (j, iv) =>
    [[⟨unitCoeffs O.length j 1, iv.lo, true⟩], [⟨unitCoeffs O.length j (-1), -iv.hi, true⟩]]

/-- The goal holds of the output `y`. -/
@[expose] noncomputable def Goal.Holds : Goal → List Rat → Prop
  | .box O, y => Box.Mem O y
  | .safe dnf, y => Safe dnf y
  | .robust label outputs, y => Robust label outputs y

end TorchLean.Cert
