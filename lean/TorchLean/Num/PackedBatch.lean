module

public import TorchLean.Num.Packed

/-! # Batches that grow, change bias, and stay in range

The remaining packed operations of a CROWN checker whose passes start at different layers:
- `packN_append`: a batch of passes that start lower sits above the running batch's fields, so
  starting them costs one multiply-add per neuron;
- `mirror_biased`: every entry negated, which `rowDot` multiplies by a negative weight;
- `rebias_biased`: moving a batch to a wider bias, so that batches of different widths can meet in
  one row;
- `subFields_biased`: subtracting a batch of nonnegative fields from a biased batch. That is
  how the upper lines' intercepts enter a pass's constant.

The range lemmas bound a step's results from bounds on its inputs. A checker then derives
every field's width once per network from a few inequalities between powers of two, rather
than testing fields at run time: `signedDot_le`, `le_signedDot`, `relax_inBias`.
-/

public section

namespace TorchLean.Num

/-- **Packing a concatenation**: the second list's fields sit above the first's. -/
theorem packN_append (B : Nat) : ∀ (f g : List Nat), packN B (f ++ g) = packN B f + 2 ^ (B * f.length) * packN B g
  | [], g => by simp [packN]
  | a :: f, g => by
    simp only [List.cons_append, packN, packN_append B f g, List.length_cons, Nat.mul_succ, Nat.pow_add]
    rw [Nat.mul_add, Nat.add_assoc]
    congr 2
    rw [Nat.mul_comm (2 ^ (B * f.length)) (2 ^ B), Nat.mul_assoc]

/-- Every field `f` of a batch of `n` becomes `2^(β+1) − f`: with bias `2^β`, the negated entries. -/
@[expose] noncomputable def mirror (B β n N : Nat) : Nat := 2 ^ (β + 1) * splat B 1 n - N

/-- **`mirror` negates every entry** of a batch whose entries the bias covers. -/
theorem mirror_biased {α : Type} (B β : Nat) (v : List α) (e : α → Int) (hv : ∀ p ∈ v, InBias β (e p)) :
    mirror B β v.length (packN B (v.map (fun p => biased β (e p)))) =
      packN B (v.map (fun p => 2 ^ (β + 1) - biased β (e p))) := by
  unfold mirror
  rw [splat_eq_map, mul_packN_map]
  simp only [Nat.mul_one]
  apply packN_map_sub
  intro p hp
  have := biased_lt (hv p hp)
  omega

/-- A batch of `n` moved from bias `2^b` to bias `2^b'` (`b ≤ b'`): one multiply-add. -/
@[expose] noncomputable def rebias (B b b' n N : Nat) : Nat := N + (2 ^ b' - 2 ^ b) * splat B 1 n

/-- **`rebias` keeps every entry** and widens its bias. -/
theorem rebias_biased {α : Type} {B b b' : Nat} (hb : b ≤ b') (v : List α) (e : α → Int)
    (hv : ∀ p ∈ v, InBias b (e p)) :
    rebias B b b' v.length (packN B (v.map (fun p => biased b (e p)))) = packN B (v.map (fun p => biased b' (e p))) := by
  unfold rebias
  rw [splat_eq_map, mul_packN_map, packN_map_add]
  congr 1
  apply List.map_congr_left
  intro p hp
  have hx := hv p hp
  have hpow : 2 ^ b ≤ 2 ^ b' := Nat.pow_le_pow_right (by decide) hb
  unfold InBias at hx
  unfold biased
  generalize 2 ^ b = P at *
  generalize 2 ^ b' = P' at *
  omega

/-- A covered entry at a smaller bias is covered at a larger one. -/
theorem inBias_mono {b b' : Nat} (hb : b ≤ b') {x : Int} (hx : InBias b x) : InBias b' x := by
  have hpow : 2 ^ b ≤ 2 ^ b' := Nat.pow_le_pow_right (by decide) hb
  unfold InBias at hx ⊢
  generalize 2 ^ b = P at *
  generalize 2 ^ b' = P' at *
  omega

/-- A biased batch minus a batch of nonnegative fields `g`, both of `n` entries: fieldwise
subtraction of the entries, when no entry drops below the bias's reach. -/
theorem subFields_biased {α : Type} {B b : Nat} (v : List α) (e : α → Int) (g : α → Nat)
    (hv : ∀ p ∈ v, InBias b (e p - g p)) :
    packN B (v.map (fun p => biased b (e p) )) - packN B (v.map g) = packN B (v.map (fun p => biased b (e p - g p))) := by
  rw [packN_map_sub]
  · congr 1
    apply List.map_congr_left
    intro p hp
    have hx := hv p hp
    unfold InBias at hx
    unfold biased
    omega
  · intro p hp
    have hx := hv p hp
    unfold InBias at hx
    unfold biased
    omega

/-- `rowDot` with every sign `false` is a plain sum of weights times entries, per pass. -/
@[expose] def nnDot : List Nat → List Nat → Nat
  | w :: ws, x :: xs => w * x + nnDot ws xs
  | _, _ => 0

/-- All signs `false`: `rowDot` reads only the first list of batches. -/
theorem rowDot_false : ∀ (ws xs ys : List Nat), ws.length ≤ ys.length →
    rowDot ws (List.replicate ws.length false) xs ys = nnDot ws xs
  | [], _, _, _ => by simp [rowDot, nnDot]
  | _ :: _, [], _, _ => by simp [List.replicate_succ, rowDot, nnDot]
  | _ :: _, _ :: _, [], h => by simp at h
  | w :: ws, x :: xs, _ :: ys, h => by
    simp only [List.length_cons, List.replicate_succ, rowDot, nnDot, Nat.add_eq, Nat.mul_eq]
    rw [rowDot_false ws xs ys (by simpa using h)]

/-! ## Ranges -/

/-- `Σ` of the weight magnitudes times `2^β` bounds a signed row over covered entries, above. -/
theorem signedDot_le (β : Nat) : ∀ (ws : List Nat) (ss : List Bool) (ys : List Int),
    (∀ y ∈ ys, InBias β y) → signedDot ws ss ys ≤ ((2 ^ β * ws.sum : Nat) : Int)
  | w :: ws, s :: ss, y :: ys, hv => by
    have hy := hv y (by simp)
    have ih := signedDot_le β ws ss ys (fun z hz => hv z (by simp [hz]))
    unfold InBias at hy
    simp only [signedDot, List.sum_cons, Nat.mul_add, Int.natCast_add, Int.natCast_mul] at ih ⊢
    generalize ((2 ^ β : Nat) : Int) = P at *
    have h1 : (w : Int) * y ≤ (w : Int) * P := Int.mul_le_mul_of_nonneg_left (by omega) (by omega)
    have h2 : -(w : Int) * y ≤ (w : Int) * P := by
      rw [Int.neg_mul, ← Int.mul_neg]; exact Int.mul_le_mul_of_nonneg_left (by omega) (by omega)
    cases s <;> simp only [Bool.false_eq_true, if_false, if_true] <;> grind
  | [], _, _, _ => by simp [signedDot]
  | _ :: _, [], _, _ => by simp [signedDot]; exact Int.natCast_nonneg _
  | _ :: _, _ :: _, [], _ => by simp [signedDot]; exact Int.natCast_nonneg _

/-- The same bound below: a signed row over covered entries is at least `-(2^β · Σ w)`. -/
theorem le_signedDot (β : Nat) : ∀ (ws : List Nat) (ss : List Bool) (ys : List Int),
    (∀ y ∈ ys, InBias β y) → -((2 ^ β * ws.sum : Nat) : Int) ≤ signedDot ws ss ys
  | w :: ws, s :: ss, y :: ys, hv => by
    have hy := hv y (by simp)
    have ih := le_signedDot β ws ss ys (fun z hz => hv z (by simp [hz]))
    unfold InBias at hy
    simp only [signedDot, List.sum_cons, Nat.mul_add, Int.natCast_add, Int.natCast_mul] at ih ⊢
    generalize ((2 ^ β : Nat) : Int) = P at *
    have h1 : (w : Int) * (-P) ≤ (w : Int) * y := Int.mul_le_mul_of_nonneg_left (by omega) (by omega)
    have h2 : (w : Int) * (-P) ≤ -(w : Int) * y := by
      rw [Int.neg_mul, ← Int.mul_neg]; exact Int.mul_le_mul_of_nonneg_left (by omega) (by omega)
    cases s <;> simp only [Bool.false_eq_true, if_false, if_true] <;> grind
  | [], _, _, _ => by simp [signedDot]
  | _ :: _, [], _, _ => by simp [signedDot]; exact Int.natCast_nonneg _
  | _ :: _, _ :: _, [], _ => by simp [signedDot]; exact Int.natCast_nonneg _

/-- **A ReLU line keeps an entry covered**: slopes up to `2^r` move an entry covered by `2^b`
into `2^(b+r)`. -/
theorem relax_inBias {b r an sn : Nat} (ha : an ≤ 2 ^ r) (hs : sn ≤ 2 ^ r) {x : Int} (hx : InBias b x) :
    InBias (b + r) (if 0 ≤ x then (an : Int) * x else (sn : Int) * x) := by
  unfold InBias at hx ⊢
  rw [Nat.pow_add, Int.natCast_mul]
  generalize ((2 ^ b : Nat) : Int) = P at *
  generalize hQ : ((2 ^ r : Nat) : Int) = Q at *
  have hQ1 : 1 ≤ Q := by have := Nat.one_le_two_pow (n := r); omega
  have ha' : (an : Int) ≤ Q := by omega
  have hs' : (sn : Int) ≤ Q := by omega
  split
  · next h =>
    have h1 : (an : Int) * x ≤ Q * x := Int.mul_le_mul_of_nonneg_right ha' h
    have h2 : Q * x < Q * P := Int.mul_lt_mul_of_pos_left hx.2 (by omega)
    have h3 : 0 ≤ (an : Int) * x := Int.mul_nonneg (by omega) h
    have h4 : 0 ≤ P * Q := Int.mul_nonneg (by omega) (by omega)
    constructor
    · omega
    · rw [Int.mul_comm P Q]; omega
  · next h =>
    have h1 : Q * x ≤ (sn : Int) * x := Int.mul_le_mul_of_nonpos_right hs' (by omega)
    have h2 : Q * (-P) ≤ Q * x := Int.mul_le_mul_of_nonneg_left hx.1 (by omega)
    have h3 : (sn : Int) * x ≤ 0 := Int.mul_nonpos_of_nonneg_of_nonpos (by omega) (by omega)
    have h4 : 0 < P * Q := Int.mul_pos (by omega) (by omega)
    constructor
    · rw [Int.mul_neg] at h2; rw [Int.mul_comm P Q]; omega
    · omega

/-- The magnitude of a covered negative entry is at most the bias. -/
theorem neg_toNat_le {b : Nat} {x : Int} (hx : InBias b x) : (-x).toNat ≤ 2 ^ b := by
  unfold InBias at hx
  omega

/-- A nonnegative sum of covered magnitudes: `Σ ic · |x⁻|` is at most `2^b · Σ ic`. -/
theorem nnDot_le (b : Nat) : ∀ (ws xs : List Nat), (∀ x ∈ xs, x ≤ 2 ^ b) → nnDot ws xs ≤ 2 ^ b * ws.sum
  | w :: ws, x :: xs, h => by
    have hx := h x (by simp)
    have ih := nnDot_le b ws xs (fun y hy => h y (by simp [hy]))
    simp only [nnDot, List.sum_cons, Nat.mul_add]
    have : w * x ≤ 2 ^ b * w := by rw [Nat.mul_comm]; exact Nat.mul_le_mul_right w hx
    omega
  | [], _, _ => by simp [nnDot]
  | _ :: _, [], _ => by simp [nnDot]

example : packN 8 ([1, 2] ++ [3]) = packN 8 [1, 2] + 2 ^ 16 * packN 8 [3] := by decide +kernel
example : mirror 8 4 3 (packN 8 ([-16, 0, 15].map (biased 4))) = packN 8 ([16, 0, -15].map (biased 4)) := by
  decide +kernel
example : rebias 8 4 6 2 (packN 8 ([-16, 15].map (biased 4))) = packN 8 ([-16, 15].map (biased 6)) := by
  decide +kernel

end TorchLean.Num
