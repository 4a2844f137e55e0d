module

/-! # Packed naturals: many fields in one `Nat`, so one kernel step works on all of them

The certificate checker runs inside the kernel (`decide +kernel`), where every reduction step has
a fixed cost far above the cost of the arithmetic it does: on the wasm toolchain about 0.1 ms per
`Nat` operation whether the operands have 64 bits or 20,000 (kernel `Nat` operations run on
big-number literals), while the same loop over `Int` or `Rat` values is slower still, because
their operations unfold through constructor matches. A CROWN leaf of an ACAS Xu network needs
millions of multiply-adds, so the checker cannot afford one kernel step per scalar.

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

/-- `g` is fieldwise at most `f` (same length). -/
@[expose] def FieldsLe : List Nat → List Nat → Prop
  | [], [] => True
  | g :: gs, f :: fs => g ≤ f ∧ FieldsLe gs fs
  | _, _ => False

/-- **Adding packed numbers adds their fields** (no carry condition: the sum is exact even when
fields overflow, it is reading the fields back that needs `Fits`). -/
theorem packN_add (B : Nat) : ∀ (f g : List Nat), f.length = g.length →
    packN B f + packN B g = packN B (List.zipWith (· + ·) f g)
  | [], [], _ => rfl
  | a :: f, b :: g, h => by
    have ih := packN_add B f g (by simpa using h)
    simp only [packN, List.zipWith_cons_cons, ← ih, Nat.mul_add]
    omega
  | [], _ :: _, h => by simp at h
  | _ :: _, [], h => by simp at h

/-- **A scalar times a packed number multiplies every field.** -/
theorem mul_packN (B c : Nat) : ∀ f : List Nat, c * packN B f = packN B (f.map (c * ·))
  | [] => by simp [packN]
  | a :: f => by
    simp only [packN, List.map_cons, ← mul_packN B c f, Nat.mul_add, Nat.mul_left_comm]

/-- Fieldwise smaller packs to a smaller number. -/
theorem packN_le (B : Nat) : ∀ (g f : List Nat), FieldsLe g f → packN B g ≤ packN B f
  | [], [], _ => Nat.le_refl 0
  | b :: g, a :: f, ⟨hba, h⟩ => by
    have := Nat.mul_le_mul_left (2 ^ B) (packN_le B g f h)
    simp only [packN]
    omega
  | [], _ :: _, h => by simp [FieldsLe] at h
  | _ :: _, [], h => by simp [FieldsLe] at h

/-- **Subtracting a fieldwise smaller packed number subtracts the fields.** -/
theorem packN_sub (B : Nat) : ∀ (f g : List Nat), FieldsLe g f →
    packN B f - packN B g = packN B (List.zipWith (· - ·) f g)
  | [], [], _ => rfl
  | a :: f, b :: g, ⟨hba, h⟩ => by
    have ih := packN_sub B f g h
    have hle := Nat.mul_le_mul_left (2 ^ B) (packN_le B g f h)
    simp only [packN, List.zipWith_cons_cons, ← ih, Nat.mul_sub]
    omega
  | [], _ :: _, h => by simp [FieldsLe] at h
  | _ :: _, [], h => by simp [FieldsLe] at h

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

/-- Packing preserves "every field fits" under fieldwise `&&&` with a fitting mask. -/
theorem fits_zipWith_and (B : Nat) : ∀ (f g : List Nat), Fits B g →
    Fits B (List.zipWith (· &&& ·) f g)
  | [], _, _ => trivial
  | _ :: _, [], _ => trivial
  | a :: f, _ :: g, ⟨hb, hg⟩ => ⟨Nat.and_lt_two_pow a hb, fits_zipWith_and B f g hg⟩

/-- The same mask `m` in every one of `n` fields. -/
@[expose] noncomputable def splat (B m n : Nat) : Nat := packN B (List.replicate n m)

/-- A mask that fits, repeated, fits in every field. -/
theorem fits_replicate {B m : Nat} (hm : m < 2 ^ B) : ∀ n, Fits B (List.replicate n m)
  | 0 => trivial
  | n + 1 => ⟨hm, fits_replicate hm n⟩

/-- Combining with a repeated value is mapping. -/
theorem zipWith_replicate_right {α β γ : Type} (op : α → β → γ) (m : β) :
    ∀ f : List α, List.zipWith op f (List.replicate f.length m) = f.map (op · m)
  | [] => rfl
  | a :: f => by
    simp only [List.length_cons, List.replicate_succ, List.zipWith_cons_cons, List.map_cons,
      zipWith_replicate_right op m f]

/-- **One mask clears the same bits of every field.** -/
theorem packN_and_splat {B m : Nat} (hm : m < 2 ^ B) (f : List Nat) (hf : Fits B f) :
    packN B f &&& splat B m f.length = packN B (f.map (· &&& m)) := by
  unfold splat
  rw [packN_and B f _ hf (fits_replicate hm _), zipWith_replicate_right]

/-- Every field divided by `2^w`, rounding down: subtract each field's low `w` bits, then one
exact division. -/
@[expose] noncomputable def shiftFields (B w n N : Nat) : Nat := (N - (N &&& splat B (2 ^ w - 1) n)) / 2 ^ w

/-- Fieldwise: a field minus its low `w` bits is `2^w` times its quotient. -/
theorem sub_mod_eq_mul_div (a k : Nat) : a - a % k = k * (a / k) := by
  have := Nat.mod_add_div a k
  omega

/-- Each field's remainder is at most the field. -/
theorem fieldsLe_map_mod (k : Nat) : ∀ f : List Nat, FieldsLe (f.map (· % k)) f
  | [] => trivial
  | a :: f => ⟨Nat.mod_le a k, fieldsLe_map_mod k f⟩

/-- **`shiftFields` divides every field by `2^w`** (rounding down), for fields of `B ≥ w` bits. -/
theorem shiftFields_packN {B w : Nat} (hw : w ≤ B) (f : List Nat) (hf : Fits B f) :
    shiftFields B w f.length (packN B f) = packN B (f.map (· / 2 ^ w)) := by
  have hm : 2 ^ w - 1 < 2 ^ B := by
    have := Nat.pow_le_pow_right (by decide : 0 < 2) hw
    have := Nat.one_le_two_pow (n := w)
    omega
  unfold shiftFields
  rw [packN_and_splat hm f hf]
  have hmod : f.map (· &&& (2 ^ w - 1)) = f.map (· % 2 ^ w) := by
    congr 1
    funext a
    exact Nat.and_two_pow_sub_one_eq_mod a w
  rw [hmod, packN_sub B f _ (fieldsLe_map_mod _ f)]
  have hmul : List.zipWith (· - ·) f (f.map (· % 2 ^ w)) = (f.map (· / 2 ^ w)).map (2 ^ w * ·) := by
    clear hf hmod
    induction f with
    | nil => rfl
    | cons a f ih =>
      simp only [List.map_cons, List.zipWith_cons_cons, ih, sub_mod_eq_mul_div]
  rw [hmul, ← mul_packN, Nat.mul_div_cancel_left _ (Nat.two_pow_pos w)]

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

/-! Regression vectors: the layout (field 0 lowest), `&&&` and `shiftFields`, run by the kernel. -/

example : packN 8 [0x01, 0x02, 0x03] = 0x030201 := by decide +kernel
example : packN 8 [0x12, 0x34] &&& packN 8 [0x0f, 0xf0] = packN 8 [0x02, 0x30] := by decide +kernel
example : shiftFields 8 4 3 (packN 8 [0x12, 0x34, 0xff]) = packN 8 [0x1, 0x3, 0xf] := by decide +kernel
example : 7 * packN 16 [3, 5] + packN 16 [1, 2] = packN 16 [22, 37] := by decide +kernel

end TorchLean.Num
