module

/-! # Packed naturals: many fields in one `Nat`, so one kernel step works on all of them

The certificate checker runs inside the kernel (`decide +kernel`), where every reduction step has
a fixed cost far above the cost of the arithmetic it does on numbers of up to a few thousand bits
(kernel `Nat` operations run on big-number literals), while the same loop over `Int` or `Rat`
values is slower still, because their operations unfold through constructor matches. A CROWN leaf
of an ACAS Xu network needs millions of multiply-adds, so the checker cannot afford one kernel step
per scalar (measurements: `docs/lean-toolchain.md`).

`packN B [f₀, f₁, …] = f₀ + 2^B·f₁ + 2^(2B)·f₂ + …` stores fields of `B` bits side by side. Adding
two packed numbers, multiplying one by a scalar, subtracting fieldwise smaller from larger, and
`&&&` with a mask then act on every field at once, and the theorems here say so: each is
`packN` of the fieldwise result. From these the checker builds its batched steps — one
multiply-add moves a whole batch of backward passes through one weight, a mask picks fields by a
bit, `shiftFields` divides every field by `2^w` — and proves them correct field by field.
Everything is `Nat`, so every intermediate value the kernel meets is a literal.
-/

public section

namespace TorchLean.Num

/-- Fields `f₀, f₁, …` of `B` bits each, packed into one number `f₀ + 2^B·f₁ + 2^(2B)·f₂ + …`. -/
@[expose] def packN (B : Nat) : List Nat → Nat
  | [] => 0
  | f :: fs => f + 2 ^ B * packN B fs

/-- Every field is below `2^B`, so no field spills into the next. -/
@[expose] def Fits (B : Nat) : List Nat → Prop
  | [] => True
  | f :: fs => f < 2 ^ B ∧ Fits B fs

/-- Fields below a bound fit. -/
theorem fits_of_forall {B : Nat} : ∀ {fs : List Nat}, (∀ f ∈ fs, f < 2 ^ B) → Fits B fs
  | [], _ => trivial
  | f :: fs, h => ⟨h f (by simp), fits_of_forall (fun g hg => h g (by simp [hg]))⟩

/-- **A scalar times a packed number multiplies every field.** -/
theorem mul_packN (B c : Nat) : ∀ f : List Nat, c * packN B f = packN B (f.map (c * ·))
  | [] => by simp [packN]
  | a :: f => by
    simp only [packN, List.map_cons, ← mul_packN B c f, Nat.mul_add, Nat.mul_left_comm]

/-- Bit `j` of a packed number: below `B` it is the first field's, above it the rest's. -/
theorem testBit_field_add {B a : Nat} (ha : a < 2 ^ B) (X j : Nat) :
    (a + 2 ^ B * X).testBit j = if j < B then a.testBit j else X.testBit (j - B) := by
  rw [Nat.add_comm]
  exact Nat.testBit_two_pow_mul_add X ha j

/-- **`&&&` of packed numbers is fieldwise `&&&`** when every field fits (a field of `0` past the
shorter list's end clears the longer one's fields). -/
theorem packN_and (B : Nat) : ∀ (f g : List Nat), Fits B f → Fits B g →
    packN B f &&& packN B g = packN B (List.zipWith (· &&& ·) f g)
  | [], _, _, _ => by simp [packN]
  | _ :: _, [], _, _ => by simp [packN]
  | a :: f, b :: g, ⟨ha, hf⟩, ⟨hb, hg⟩ => by
    simp only [packN, List.zipWith_cons_cons]
    rw [← packN_and B f g hf hg]
    apply Nat.eq_of_testBit_eq
    intro j
    rw [Nat.testBit_and, testBit_field_add ha, testBit_field_add hb,
      testBit_field_add (Nat.and_lt_two_pow a hb)]
    split <;> simp [Nat.testBit_and]

/-! ## Fieldwise identities over one batch

The checker's packed values are all `packN B (v.map g)` for one batch `v` and various per-entry
functions `g`, so composite steps are proved by rewriting with these into a single
`packN B (v.map F)` and comparing `F` entry by entry. -/

/-- Adding two batches adds their entries' fields. -/
theorem packN_map_add {α : Type} (B : Nat) (g h : α → Nat) (v : List α) :
    packN B (v.map g) + packN B (v.map h) = packN B (v.map (fun x => g x + h x)) := by
  induction v with
  | nil => rfl
  | cons a v ih => simp only [List.map_cons, packN, ← ih, Nat.mul_add]; omega

/-- A scalar times a batch multiplies every field. -/
theorem mul_packN_map {α : Type} (B c : Nat) (g : α → Nat) (v : List α) :
    c * packN B (v.map g) = packN B (v.map (fun x => c * g x)) := by
  rw [mul_packN, List.map_map]
  rfl

/-- A fieldwise smaller batch packs to a smaller number. -/
theorem packN_map_le {α : Type} (B : Nat) (g h : α → Nat) (v : List α) (hle : ∀ x ∈ v, h x ≤ g x) :
    packN B (v.map h) ≤ packN B (v.map g) := by
  induction v with
  | nil => exact Nat.le_refl 0
  | cons a v ih =>
    have h1 := hle a (by simp)
    have h2 := Nat.mul_le_mul_left (2 ^ B) (ih (fun x hx => hle x (by simp [hx])))
    simp only [List.map_cons, packN]
    omega

/-- Subtracting a fieldwise smaller batch subtracts the fields. -/
theorem packN_map_sub {α : Type} (B : Nat) (g h : α → Nat) (v : List α) (hle : ∀ x ∈ v, h x ≤ g x) :
    packN B (v.map g) - packN B (v.map h) = packN B (v.map (fun x => g x - h x)) := by
  induction v with
  | nil => rfl
  | cons a v ih =>
    have ih' := ih (fun x hx => hle x (by simp [hx]))
    have hmono := packN_map_le B g h v (fun x hx => hle x (by simp [hx]))
    have ha := hle a (by simp)
    have hm := Nat.mul_le_mul_left (2 ^ B) hmono
    simp only [List.map_cons, packN, ← ih', Nat.mul_sub]
    omega

/-- `&&&` of two batches whose fields fit is fieldwise. -/
theorem packN_map_and {α : Type} (B : Nat) (g h : α → Nat) (v : List α) (hg : ∀ x ∈ v, g x < 2 ^ B)
    (hh : ∀ x ∈ v, h x < 2 ^ B) :
    packN B (v.map g) &&& packN B (v.map h) = packN B (v.map (fun x => g x &&& h x)) := by
  rw [packN_and B _ _ (fits_of_forall (by simpa using hg)) (fits_of_forall (by simpa using hh))]
  congr 1
  clear hg hh
  induction v with
  | nil => rfl
  | cons a v ih => simp only [List.map_cons, List.zipWith_cons_cons, ih]

/-- The same mask `m` in every one of `n` fields: `m` times the geometric sum
`(2^(B·n) - 1) / (2^B - 1)`. Written in closed form because the kernel then computes it in four
operations; packing `n` copies field by field cost one kernel step per field, and a leaf of ACAS Xu
needs about twenty of these at up to 600 fields. `splat_eq_packN` is the field-by-field reading. -/
@[expose] def splat (B m n : Nat) : Nat := if B = 0 then n * m else m * ((2 ^ (B * n) - 1) / (2 ^ B - 1))

/-- `2^B - 1` times the geometric sum is `2^(B·n) - 1`. -/
theorem geom_packN (B : Nat) : ∀ n, (2 ^ B - 1) * packN B (List.replicate n 1) = 2 ^ (B * n) - 1
  | 0 => by simp [packN]
  | n + 1 => by
    rw [List.replicate_succ, packN, Nat.mul_add, Nat.mul_one, Nat.mul_left_comm, geom_packN B n,
      Nat.mul_add B n 1, Nat.mul_one, Nat.pow_add, Nat.mul_comm (2 ^ (B * n)) (2 ^ B)]
    have h1 := Nat.one_le_two_pow (n := B)
    have h2 := Nat.one_le_two_pow (n := B * n)
    rw [Nat.mul_sub, Nat.mul_one]
    have h3 : 2 ^ B ≤ 2 ^ B * 2 ^ (B * n) := Nat.le_mul_of_pos_right _ h2
    omega

/-- **`splat` is `n` copies of `m`, packed.** -/
theorem splat_eq_packN (B m n : Nat) : splat B m n = packN B (List.replicate n m) := by
  unfold splat
  split
  · next hB =>
    subst hB
    induction n with
    | zero => simp [packN]
    | succ n ih => rw [List.replicate_succ, packN, ← ih, Nat.pow_zero, Nat.one_mul, Nat.succ_mul, Nat.add_comm]
  · next hB =>
    have hpos : 0 < 2 ^ B - 1 := by
      have : 2 ≤ 2 ^ B := by
        have := Nat.pow_le_pow_right (by decide : 0 < 2) (Nat.one_le_iff_ne_zero.mpr hB)
        simpa using this
      omega
    rw [← geom_packN B n, Nat.mul_div_cancel_left _ hpos, mul_packN, List.map_replicate, Nat.mul_one]

/-- Mapping to a constant is repeating it. -/
theorem map_const_eq_replicate {α : Type} (c : Nat) : ∀ v : List α, v.map (fun _ => c) = List.replicate v.length c
  | [] => rfl
  | _ :: v => by simp only [List.map_cons, List.length_cons, List.replicate_succ, map_const_eq_replicate c v]

/-- Every field divided by `2^w`, rounding down: subtract each field's low `w` bits, then one
exact division. -/
@[expose] noncomputable def shiftFields (B w n N : Nat) : Nat := (N - (N &&& splat B (2 ^ w - 1) n)) / 2 ^ w

/-- Fieldwise: a field minus its low `w` bits is `2^w` times its quotient. -/
theorem sub_mod_eq_mul_div (a k : Nat) : a - a % k = k * (a / k) := by
  have := Nat.mod_add_div a k
  omega

/-- A repeated mask is a batch of one constant. -/
theorem splat_eq_map {α : Type} (B m : Nat) (v : List α) :
    splat B m v.length = packN B (v.map (fun _ => m)) := by
  rw [splat_eq_packN, map_const_eq_replicate]

/-- **`shiftFields` divides every field by `2^w`** (rounding down), for fields of `B ≥ w` bits. -/
theorem shiftFields_packN {α : Type} {B w : Nat} (hw : w ≤ B) (g : α → Nat) (v : List α)
    (hg : ∀ x ∈ v, g x < 2 ^ B) :
    shiftFields B w v.length (packN B (v.map g)) = packN B (v.map (fun x => g x / 2 ^ w)) := by
  have hm : 2 ^ w - 1 < 2 ^ B := by
    have := Nat.pow_le_pow_right (by decide : 0 < 2) hw
    have := Nat.one_le_two_pow (n := w)
    omega
  unfold shiftFields
  rw [splat_eq_map, packN_map_and B g (fun _ => 2 ^ w - 1) v hg (fun _ _ => hm)]
  have hmod : (fun x => g x &&& 2 ^ w - 1) = (fun x => g x % 2 ^ w) := by
    funext x; exact Nat.and_two_pow_sub_one_eq_mod _ w
  rw [hmod, packN_map_sub B g _ v (fun x _ => Nat.mod_le _ _)]
  have hmul : (fun x => g x - g x % 2 ^ w) = (fun x => 2 ^ w * (g x / 2 ^ w)) := by
    funext x; exact sub_mod_eq_mul_div _ _
  rw [hmul, ← mul_packN_map, Nat.mul_div_cancel_left _ (Nat.two_pow_pos w)]

/-- **The sign bit of a biased field**: a field below `2^(b+1)` divided by `2^b` is its bit `b`,
so `shiftFields B b` of a vector stored with bias `2^b` marks its nonnegative entries with 1. -/
theorem div_two_pow_eq_bit {b f : Nat} (hf : f < 2 ^ (b + 1)) :
    f / 2 ^ b = if 2 ^ b ≤ f then 1 else 0 := by
  rw [Nat.pow_succ] at hf
  split
  · next h => exact Nat.div_eq_of_lt_le (by omega) (by omega)
  · next h => exact Nat.div_eq_of_lt (by omega)

/-- **A 0/1 field widened to all ones selects**: `f &&& t·(2^B − 1)` keeps `f` where `t = 1` and
clears it where `t = 0`, the fieldwise form of picking the entries of one sign. -/
theorem and_mul_ones {B f : Nat} (hf : f < 2 ^ B) (t : Nat) (ht : t ≤ 1) :
    f &&& t * (2 ^ B - 1) = if t = 1 then f else 0 := by
  rcases Nat.le_one_iff_eq_zero_or_eq_one.mp ht with rfl | rfl
  · simp
  · simp [Nat.and_two_pow_sub_one_of_lt_two_pow hf]

/-! ## Signed entries with a bias

A batch of signed coefficients is stored with bias `2^b`: entry `x` (with `-2^b ≤ x < 2^b`) becomes
the field `x + 2^b`, in `[0, 2^(b+1))`. Its sign is then bit `b`. -/

/-- The field holding `x` with bias `2^b`. -/
@[expose] def biased (b : Nat) (x : Int) : Nat := (x + (2 ^ b : Nat)).toNat

/-- An entry the bias covers: `-2^b ≤ x < 2^b`. -/
@[expose] def InBias (b : Nat) (x : Int) : Prop := -((2 ^ b : Nat) : Int) ≤ x ∧ x < ((2 ^ b : Nat) : Int)

/-- A covered entry's field has `b + 1` bits. -/
theorem biased_lt {b : Nat} {x : Int} (hx : InBias b x) : biased b x < 2 ^ (b + 1) := by
  unfold biased
  unfold InBias at hx
  rw [Nat.pow_succ]
  generalize 2 ^ b = p at *
  omega

/-- **The sign of a covered entry is its field's bit `b`.** -/
theorem biased_div {b : Nat} {x : Int} (hx : InBias b x) :
    biased b x / 2 ^ b = if 0 ≤ x then 1 else 0 := by
  rw [div_two_pow_eq_bit (biased_lt hx)]
  unfold biased
  unfold InBias at hx
  generalize 2 ^ b = p at *
  by_cases h : 0 ≤ x
  · simp only [h, if_true]
    rw [if_pos (by omega)]
  · simp only [h, if_false]
    rw [if_neg (by omega)]

/-- **`shiftFields` by the bias exponent marks the nonnegative entries of a batch with 1.** -/
theorem shiftFields_biased {B b : Nat} (hb : b + 1 ≤ B) (v : List Int) (hv : ∀ x ∈ v, InBias b x) :
    shiftFields B b v.length (packN B (v.map (biased b))) =
      packN B (v.map (fun x => if 0 ≤ x then 1 else 0)) := by
  rw [shiftFields_packN (by omega) (biased b) v (fun x hx =>
    Nat.lt_of_lt_of_le (biased_lt (hv x hx)) (Nat.pow_le_pow_right (by decide) hb))]
  congr 1
  apply List.map_congr_left
  intro x hx
  exact biased_div (hv x hx)

/-- One field of `relaxFields`: the lower line's slope `an` on a nonnegative entry, the upper
line's slope `sn` on a negative one, re-biased to `2^(b+r)` (slopes are integers over `2^r`); the
subtraction never truncates, as the field stays above the bias it removes. -/
theorem relax_field {b r an sn : Nat} {x : Int} (hx : InBias b x) (hs : sn ≤ 2 ^ r) :
    an * 2 ^ b * (if 0 ≤ x then 1 else 0) + sn * 2 ^ b * (1 - (if 0 ≤ x then 1 else 0)) ≤
        an * (if 0 ≤ x then biased b x else 0) + sn * (biased b x - (if 0 ≤ x then biased b x else 0)) +
          2 ^ (b + r) * 1 ∧
      an * (if 0 ≤ x then biased b x else 0) + sn * (biased b x - (if 0 ≤ x then biased b x else 0)) +
          2 ^ (b + r) * 1 - (an * 2 ^ b * (if 0 ≤ x then 1 else 0) + sn * 2 ^ b * (1 - (if 0 ≤ x then 1 else 0))) =
        biased (b + r) (if 0 ≤ x then (an : Int) * x else (sn : Int) * x) := by
  unfold biased
  unfold InBias at hx
  rw [Nat.pow_add]
  generalize 2 ^ b = p at *
  generalize 2 ^ r = q at *
  by_cases h : 0 ≤ x
  · obtain ⟨m, rfl⟩ := Int.eq_ofNat_of_zero_le h
    simp only [h, if_true, Nat.sub_self, Nat.mul_zero, Nat.add_zero, Nat.mul_one]
    have e1 : ((m : Int) + (p : Int)).toNat = m + p := by omega
    have e2 : ((an : Int) * (m : Int) + ((p * q : Nat) : Int)).toNat = an * m + p * q := by
      rw [← Int.natCast_mul, ← Int.natCast_add, Int.toNat_natCast]
    rw [e1, e2, Nat.mul_add]
    constructor <;> omega
  · simp only [h, if_false, Nat.sub_zero, Nat.mul_zero, Nat.zero_add, Nat.mul_one]
    obtain ⟨k, hk⟩ : ∃ k : Nat, x = -((k : Int) + 1) := ⟨(-x - 1).toNat, by omega⟩
    subst hk
    have hkp : k + 1 ≤ p := by omega
    have e1 : (-((k : Int) + 1) + (p : Int)).toNat = p - (k + 1) := by omega
    have hle : sn * (k + 1) ≤ p * q := by
      rw [Nat.mul_comm p q]; exact Nat.mul_le_mul hs hkp
    have e2 : ((sn : Int) * -((k : Int) + 1) + ((p * q : Nat) : Int)).toNat = p * q - sn * (k + 1) := by
      have : (sn : Int) * -((k : Int) + 1) = -((sn * (k + 1) : Nat) : Int) := by
        rw [Int.mul_neg, Int.natCast_mul, Int.natCast_add, Int.natCast_one]
      rw [this]
      omega
    rw [e1, e2, Nat.mul_sub]
    have h3 : sn * (k + 1) ≤ sn * p := Nat.mul_le_mul_left sn hkp
    constructor <;> omega

/-- The nonnegative entries of a batch of `n` entries with bias `2^b` kept in place, the negative
ones cleared: the sign bits times an all-ones field make the mask. -/
@[expose] noncomputable def posFields (B b n N : Nat) : Nat := N &&& shiftFields B b n N * (2 ^ B - 1)

/-- **`posFields` keeps exactly the nonnegative entries' fields.** -/
theorem posFields_biased {B b : Nat} (hb : b + 1 ≤ B) (v : List Int) (hv : ∀ x ∈ v, InBias b x) :
    posFields B b v.length (packN B (v.map (biased b))) =
      packN B (v.map (fun x => if 0 ≤ x then biased b x else 0)) := by
  have hpow : 2 ^ (b + 1) ≤ 2 ^ B := Nat.pow_le_pow_right (by decide) hb
  unfold posFields
  rw [shiftFields_biased hb v hv, Nat.mul_comm, mul_packN_map, packN_map_and]
  · congr 1
    apply List.map_congr_left
    intro x hx
    rw [Nat.mul_comm, and_mul_ones (Nat.lt_of_lt_of_le (biased_lt (hv x hx)) hpow) _ (by split <;> decide)]
    by_cases h : 0 ≤ x <;> simp [h]
  · intro x hx; exact Nat.lt_of_lt_of_le (biased_lt (hv x hx)) hpow
  · intro x _
    have := Nat.one_le_two_pow (n := B)
    split <;> omega

/-- The magnitudes of a batch's negative entries (`max 0 (-x)` per entry, without bias): what a
backward pass multiplies by the upper lines' intercepts. Five kernel operations for the batch. -/
@[expose] noncomputable def negFields (B b n N : Nat) : Nat :=
  2 ^ b * (splat B 1 n - shiftFields B b n N) - (N - posFields B b n N)

/-- **`negFields` holds `max 0 (-x)` for every entry `x`** of a batch of covered entries. -/
theorem negFields_biased {B b : Nat} (hb : b + 1 ≤ B) (v : List Int) (hv : ∀ x ∈ v, InBias b x) :
    negFields B b v.length (packN B (v.map (biased b))) = packN B (v.map (fun x => (-x).toNat)) := by
  -- Per entry: a negative entry's field `x + 2^b` is below `2^b`, and `2^b` minus it is `-x`.
  have hfield : ∀ x ∈ v, biased b x - (if 0 ≤ x then biased b x else 0) ≤ 2 ^ b * (1 - if 0 ≤ x then 1 else 0) ∧
      2 ^ b * (1 - if 0 ≤ x then 1 else 0) - (biased b x - (if 0 ≤ x then biased b x else 0)) = (-x).toNat := by
    intro x hx
    have := hv x hx
    unfold InBias at this
    unfold biased
    by_cases h : 0 ≤ x
    · simp only [h, if_true]; omega
    · simp only [h, if_false]; omega
  unfold negFields
  rw [posFields_biased hb v hv, shiftFields_biased hb v hv, splat_eq_map,
    packN_map_sub B (fun _ => 1) _ v (fun x _ => by dsimp only; split <;> omega),
    packN_map_sub B (biased b) _ v (fun x _ => by split <;> omega), mul_packN_map, packN_map_sub]
  · congr 1
    apply List.map_congr_left
    intro x hx
    exact (hfield x hx).2
  · intro x hx
    exact (hfield x hx).1

/-- The ReLU lines on a batch of `n` entries stored with bias `2^b`: nonnegative entries times
`an` (the lower line's slope), negative ones times `sn` (the upper line's), both integers over
`2^r`; the result is stored with bias `2^(b+r)`. Eight kernel operations for the whole batch. -/
@[expose] noncomputable def relaxFields (B b r n an sn N : Nat) : Nat :=
  let t := shiftFields B b n N
  let pos := posFields B b n N
  an * pos + sn * (N - pos) + 2 ^ (b + r) * splat B 1 n - (an * 2 ^ b * t + sn * 2 ^ b * (splat B 1 n - t))

/-- **`relaxFields` applies the ReLU lines entry by entry**: on a batch of covered entries, every
nonnegative entry `x` becomes `an·x` and every negative one `sn·x`, stored with bias `2^(b+r)`,
provided the fields have room (`b + r + 2 ≤ B`) and `sn ≤ 2^r`. -/
theorem relaxFields_biased {B b r an sn : Nat} (hB : b + r + 2 ≤ B) (hs : sn ≤ 2 ^ r) (v : List Int)
    (hv : ∀ x ∈ v, InBias b x) :
    relaxFields B b r v.length an sn (packN B (v.map (biased b))) =
      packN B (v.map (fun x => biased (b + r) (if 0 ≤ x then (an : Int) * x else (sn : Int) * x))) := by
  have hpow : 2 ^ (b + 1) ≤ 2 ^ B := Nat.pow_le_pow_right (by decide) (by omega)
  have hone := splat_eq_map B 1 v
  have hsign := shiftFields_biased (B := B) (b := b) (by omega) v hv
  have hpos := posFields_biased (B := B) (b := b) (by omega) v hv
  have hneg : packN B (v.map (biased b)) - packN B (v.map (fun x => if 0 ≤ x then biased b x else 0)) =
      packN B (v.map (fun x => biased b x - (if 0 ≤ x then biased b x else 0))) := by
    apply packN_map_sub
    intro x _; split <;> omega
  have hnot : packN B (v.map (fun _ => 1)) - packN B (v.map (fun x => if 0 ≤ x then 1 else 0)) =
      packN B (v.map (fun x => 1 - (if 0 ≤ x then 1 else 0))) := by
    apply packN_map_sub
    intro x _; split <;> omega
  unfold relaxFields
  simp only []
  rw [hsign, hpos, hneg, hone, hnot]
  simp only [mul_packN_map, packN_map_add]
  rw [packN_map_sub]
  · congr 1
    apply List.map_congr_left
    intro x hx
    have := (relax_field (an := an) (hv x hx) hs).2
    simp only [Nat.mul_one] at this ⊢
    rw [← this]
  · intro x hx
    have := (relax_field (an := an) (hv x hx) hs).1
    simp only [Nat.mul_one] at this ⊢
    simp only [Nat.mul_assoc] at this ⊢
    exact this

/-- Zero fields pack to zero. -/
theorem packN_replicate_zero (B : Nat) : ∀ n, packN B (List.replicate n 0) = 0
  | 0 => rfl
  | n + 1 => by simp [List.replicate_succ, packN, packN_replicate_zero B n]

/-! ## One output of a layer: signed weights over batches

A weight `w ≥ 0` multiplies a neuron's batch `x`; a negative weight's magnitude multiplies the
batch's mirror `y` (fields `2^(β+1) − f`, the negated entries with the same bias), so every
product is of naturals. -/

/-- `Σ` of `w·x` (sign `false`) or `w·y` (sign `true`) over one row: weight magnitudes `ws`, signs
`ss`, and per neuron its batch `x` and mirrored batch `y`. Written with `Nat.add`/`Nat.mul` and a
match on the sign because the kernel evaluates these directly, without unfolding the `+`/`*`
instances or an `if` at every weight (10,000 weights: 7.4 s of kernel time against 9.0 s). -/
@[expose] def rowDot : List Nat → List Bool → List Nat → List Nat → Nat
  | w :: ws, false :: ss, x :: xs, _ :: ys => Nat.add (Nat.mul w x) (rowDot ws ss xs ys)
  | w :: ws, true :: ss, _ :: xs, y :: ys => Nat.add (Nat.mul w y) (rowDot ws ss xs ys)
  | _, _, _, _ => 0

/-- **`rowDot` is the same row applied to every pass**: with each neuron's batch
`packN B (v.map g)` and mirror `packN B (v.map h)`, the packed row is the packed per-pass row. -/
theorem rowDot_packN {α : Type} (B : Nat) (v : List α) :
    ∀ (ws : List Nat) (ss : List Bool) (gs hs : List (α → Nat)),
      rowDot ws ss (gs.map (fun g => packN B (v.map g))) (hs.map (fun h => packN B (v.map h))) =
        packN B (v.map (fun p => rowDot ws ss (gs.map (· p)) (hs.map (· p))))
  | w :: ws, false :: ss, g :: gs, h :: hs => by
    simp only [List.map_cons, rowDot, Nat.add_eq, Nat.mul_eq]
    rw [rowDot_packN B v ws ss gs hs, mul_packN_map, packN_map_add]
  | w :: ws, true :: ss, g :: gs, h :: hs => by
    simp only [List.map_cons, rowDot, Nat.add_eq, Nat.mul_eq]
    rw [rowDot_packN B v ws ss gs hs, mul_packN_map, packN_map_add]
  | [], _, _, _ => by simp [rowDot, map_const_eq_replicate, packN_replicate_zero]
  | _ :: _, [], _, _ => by simp [rowDot, map_const_eq_replicate, packN_replicate_zero]
  | _ :: _, s :: _, [], _ => by cases s <;> simp [rowDot, map_const_eq_replicate, packN_replicate_zero]
  | _ :: _, s :: _, _ :: _, [] => by cases s <;> simp [rowDot, map_const_eq_replicate, packN_replicate_zero]

/-- A covered entry's field, read as an integer, is the entry plus the bias. -/
theorem biased_cast {b : Nat} {x : Int} (hx : InBias b x) : (biased b x : Int) = x + (2 ^ b : Nat) := by
  unfold biased
  unfold InBias at hx
  omega

/-- The row's signed weights: magnitude `w`, negative when its sign is `true`. -/
@[expose] def signedDot : List Nat → List Bool → List Int → Int
  | w :: ws, s :: ss, y :: ys => (if s then -(w : Int) * y else (w : Int) * y) + signedDot ws ss ys
  | _, _, _ => 0

/-- **One pass through a row**: on entries stored with bias `2^β` and their mirrors, `rowDot` is
the signed dot product plus `2^β` times the sum of the weight magnitudes. -/
theorem rowDot_biased (β : Nat) : ∀ (ws : List Nat) (ss : List Bool) (ys : List Int),
    (∀ y ∈ ys, InBias β y) → ws.length = ss.length → ss.length = ys.length →
      (rowDot ws ss (ys.map (biased β)) (ys.map (fun y => 2 ^ (β + 1) - biased β y)) : Int) =
        signedDot ws ss ys + ((2 ^ β * ws.sum : Nat) : Int)
  | w :: ws, s :: ss, y :: ys, hv, h1, h2 => by
    have hy := hv y (by simp)
    have ih := rowDot_biased β ws ss ys (fun z hz => hv z (by simp [hz])) (by simpa using h1) (by simpa using h2)
    have hc := biased_cast hy
    have hle : biased β y ≤ 2 ^ (β + 1) := by have := biased_lt hy; omega
    cases s
    · simp only [List.map_cons, rowDot, signedDot, List.sum_cons, Nat.add_eq, Nat.mul_eq,
        Bool.false_eq_true, if_false]
      push_cast
      rw [ih]
      push_cast at hc ⊢
      rw [hc]
      grind
    · simp only [List.map_cons, rowDot, signedDot, List.sum_cons, Nat.add_eq, Nat.mul_eq, if_true]
      push_cast
      rw [ih]
      push_cast at hc ⊢
      rw [Int.natCast_sub hle, hc]
      push_cast
      grind
  | [], [], [], _, _, _ => by simp [rowDot, signedDot]
  | [], _ :: _, _, _, h, _ => by simp at h
  | _ :: _, [], _, _, h, _ => by simp at h
  | _, [], _ :: _, _, _, h => by simp at h
  | _, _ :: _, [], _, _, h => by simp at h

/-- One output neuron of a layer on a batch of `n` passes: the row over each neuron's batch `xs`
and mirror `ys` (entries with bias `2^β`), re-biased from `2^β·A` to `2^E`, then every field
divided by `2^q`, rounding down. `A` is the row's magnitude sum `ws.sum` (`layerOut_biased`), passed
in so that a checker sums each row once per network rather than once per batch. About `|row|`
kernel operations for the whole batch. -/
@[expose] noncomputable def layerOut (B n β E q A : Nat) (ws : List Nat) (ss : List Bool) (xs ys : List Nat) : Nat :=
  shiftFields B q n (rowDot ws ss xs ys + (2 ^ E - 2 ^ β * A) * splat B 1 n)

/-- Per pass: the re-biased row divided by `2^q` is the signed dot product divided by `2^q`
(rounding down), stored with bias `2^(E-q)`. -/
theorem layer_field {β E q : Nat} {A : Nat} {z : Int} (hq : q ≤ E) (hA : 2 ^ β * A ≤ 2 ^ E) {d : Nat} (hd : (d : Int) = z + ((2 ^ β * A : Nat) : Int)) :
    (d + (2 ^ E - 2 ^ β * A)) / 2 ^ q = biased (E - q) (z / ((2 ^ q : Nat) : Int)) := by
  unfold biased
  have hE : (2 ^ E : Nat) = 2 ^ (E - q) * 2 ^ q := by rw [← Nat.pow_add]; congr 1; omega
  have hpos : (0 : Int) < ((2 ^ q : Nat) : Int) := by have := Nat.two_pow_pos q; omega
  have hsum : ((d + (2 ^ E - 2 ^ β * A) : Nat) : Int) = z + ((2 ^ (E - q) : Nat) : Int) * ((2 ^ q : Nat) : Int) := by
    rw [← Int.natCast_mul, ← hE]
    omega
  have hdiv : (((d + (2 ^ E - 2 ^ β * A)) / 2 ^ q : Nat) : Int) =
      z / ((2 ^ q : Nat) : Int) + ((2 ^ (E - q) : Nat) : Int) := by
    rw [Int.natCast_ediv, hsum, Int.add_mul_ediv_right _ _ (by omega)]
  rw [← hdiv, Int.toNat_natCast]

/-- **`layerOut` is one output neuron applied to every pass**: each neuron's batch holds entries
`e p` with bias `2^β` (and its mirror), the row's signed dot product stays below `2^E` in every
pass, and the fields have room (`E + 1 ≤ B`); then the result holds, per pass, the signed dot
product divided by `2^q` and rounded down, with bias `2^(E-q)`. -/
theorem layerOut_biased {α : Type} {B β E q A : Nat} (v : List α) (es : List (α → Int)) (ws : List Nat)
    (ss : List Bool) (hsum : ws.sum = A) (hq : q ≤ E) (hB : E + 1 ≤ B) (hA : 2 ^ β * A ≤ 2 ^ E)
    (hl1 : ws.length = ss.length) (hl2 : ss.length = es.length)
    (hin : ∀ p ∈ v, ∀ e ∈ es, InBias β (e p))
    (hrange : ∀ p ∈ v, signedDot ws ss (es.map (· p)) < ((2 ^ E : Nat) : Int)) :
    layerOut B v.length β E q A ws ss (es.map (fun e => packN B (v.map (fun p => biased β (e p)))))
        (es.map (fun e => packN B (v.map (fun p => 2 ^ (β + 1) - biased β (e p))))) =
      packN B (v.map (fun p => biased (E - q) (signedDot ws ss (es.map (· p)) / ((2 ^ q : Nat) : Int)))) := by
  subst hsum
  have hrow := rowDot_packN B v ws ss (es.map (fun e p => biased β (e p)))
    (es.map (fun e p => 2 ^ (β + 1) - biased β (e p)))
  simp only [List.map_map, Function.comp_def] at hrow
  have hpass : ∀ p ∈ v, (rowDot ws ss (es.map (fun e => biased β (e p)))
      (es.map (fun e => 2 ^ (β + 1) - biased β (e p))) : Int) =
        signedDot ws ss (es.map (· p)) + ((2 ^ β * ws.sum : Nat) : Int) := by
    intro p hp
    have h := rowDot_biased β ws ss (es.map (· p))
      (by intro y hy; obtain ⟨e, he, rfl⟩ := List.mem_map.mp hy; exact hin p hp e he)
      hl1 (by simpa using hl2)
    simpa [List.map_map, Function.comp_def] using h
  unfold layerOut
  rw [hrow, splat_eq_map, mul_packN_map, packN_map_add, shiftFields_packN (by omega) _ v ?fits]
  case fits =>
    intro p hp
    have h1 := hpass p hp
    have h2 := hrange p hp
    have h3 : 2 ^ (E + 1) ≤ 2 ^ B := Nat.pow_le_pow_right (by decide) hB
    rw [Nat.pow_succ] at h3
    omega
  congr 1
  apply List.map_congr_left
  intro p hp
  simp only [Nat.mul_one]
  exact layer_field hq hA (hpass p hp)

/-! ## A whole batch checked in one comparison -/

/-- **Packing is injective on fields that fit**: each field is a digit in base `2^B`. -/
theorem packN_inj {B : Nat} : ∀ {f g : List Nat}, Fits B f → Fits B g → f.length = g.length →
    packN B f = packN B g → f = g
  | [], [], _, _, _, _ => rfl
  | a :: f, b :: g, ⟨ha, hf⟩, ⟨hb, hg⟩, hl, h => by
    simp only [packN] at h
    have hab : a = b := by
      have := congrArg (· % 2 ^ B) h
      simpa only [Nat.add_mul_mod_self_left, Nat.mod_eq_of_lt ha, Nat.mod_eq_of_lt hb] using this
    subst hab
    have hfg := Nat.eq_of_mul_eq_mul_left (Nat.two_pow_pos B) (Nat.add_left_cancel h)
    rw [packN_inj hf hg (by simpa using hl) hfg]
  | [], _ :: _, _, _, hl, _ => by simp at hl
  | _ :: _, [], _, _, hl, _ => by simp at hl

/-- Whether every entry of a batch of `n` entries with bias `2^b` is nonnegative: its sign bits
(`shiftFields` by `b`) against a batch of ones, one kernel comparison for the whole batch. -/
@[expose] noncomputable def allNonneg (B b n N : Nat) : Bool := Nat.beq (shiftFields B b n N) (splat B 1 n)

/-- **`allNonneg` accepts only batches whose entries are all `≥ 0`**: a checker comparing, say,
every pass's lower bound minus its claimed bound this way has checked every claim. -/
theorem allNonneg_biased {B b : Nat} (hb : b + 1 ≤ B) (v : List Int) (hv : ∀ x ∈ v, InBias b x)
    (h : allNonneg B b v.length (packN B (v.map (biased b))) = true) : ∀ x ∈ v, 0 ≤ x := by
  unfold allNonneg at h
  have heq := Nat.eq_of_beq_eq_true h
  rw [shiftFields_biased hb v hv, splat_eq_map] at heq
  have h1 : 1 < 2 ^ B := Nat.one_lt_two_pow (by omega)
  have hbits := packN_inj
    (fits_of_forall (fun f hf => by
      obtain ⟨x, _, rfl⟩ := List.mem_map.mp hf
      split <;> omega))
    (fits_of_forall (fun f hf => by
      obtain ⟨x, _, rfl⟩ := List.mem_map.mp hf
      exact h1))
    (by simp) heq
  intro x hx
  have hx1 := List.map_inj_left.mp hbits x hx
  split at hx1 <;> omega

/-! Regression vectors: the layout (field 0 lowest), `&&&` and `shiftFields`, run by the kernel. -/

example : packN 8 [0x01, 0x02, 0x03] = 0x030201 := by decide +kernel
example : packN 8 [0x12, 0x34] &&& packN 8 [0x0f, 0xf0] = packN 8 [0x02, 0x30] := by decide +kernel
example : shiftFields 8 4 3 (packN 8 [0x12, 0x34, 0xff]) = packN 8 [0x1, 0x3, 0xf] := by decide +kernel
example : 7 * packN 16 [3, 5] + packN 16 [1, 2] = packN 16 [22, 37] := by decide +kernel
example : shiftFields 8 4 3 (packN 8 ([-16, 0, 15].map (biased 4))) = packN 8 [0, 1, 1] := by decide +kernel
example : relaxFields 16 4 2 5 3 2 (packN 16 ([-16, -3, 0, 5, 15].map (biased 4))) =
    packN 16 [32, 58, 64, 79, 109] := by decide +kernel
-- Two passes with entries `[3, -5]` and `[-16, 15]` (bias 16) through the row `[2, -3]`:
-- `21` and `-77`, divided by 4 rounding down, `5` and `-20`, with bias 64.
example : layerOut 32 2 4 8 2 5 [2, 3] [false, true] [packN 32 [19, 0], packN 32 [11, 31]]
    [packN 32 [13, 32], packN 32 [21, 1]] = packN 32 [69, 44] := by decide +kernel
example : negFields 16 4 5 (packN 16 ([-16, -3, 0, 5, 15].map (biased 4))) = packN 16 [16, 3, 0, 0, 0] := by
  decide +kernel
example : allNonneg 16 4 3 (packN 16 ([0, 5, 15].map (biased 4))) = true := by decide +kernel
example : negFields 16 4 5 (packN 16 ([-16, -3, 0, 5, 15].map (biased 4))) = packN 16 [16, 3, 0, 0, 0] := by
  decide +kernel
example : allNonneg 16 4 3 (packN 16 ([0, -1, 15].map (biased 4))) = false := by decide +kernel

end TorchLean.Num
