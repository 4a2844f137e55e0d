module

/-! # IEEE 754 binary32, exact decoding

A binary32 value is its 32-bit pattern, kept as a `Nat` literal (`0x3f800000`) so that generated
modules state weights exactly as the payload artifact does. `decode` gives the exact rational value
(IEEE 754-2019 §3.4); the kernel evaluates it, so no decimal approximation enters a proof.
-/

public section

namespace TorchLean.Num.Binary32

/-- The biased exponent field (bits 30..23) of a binary32 bit pattern. -/
@[expose] def expField (b : Nat) : Nat := b / 2 ^ 23 % 256

/-- A bit pattern is a finite binary32: it fits in 32 bits and its exponent field is not 255. -/
@[expose] def isFinite (b : Nat) : Bool := b < 2 ^ 32 && expField b != 255

/-- The magnitude `m · 2^(e - 150)` of a binary32 pattern, where subnormals use `e = 1` and no
hidden bit. -/
@[expose] def magnitude (b : Nat) : Rat :=
  let e := expField b
  let f := b % 2 ^ 23
  let m := if e = 0 then f else f + 2 ^ 23
  let ex := if e = 0 then 1 else e
  if 150 ≤ ex then ((m * 2 ^ (ex - 150) : Nat) : Rat) else mkRat m (2 ^ (150 - ex))

/-- The exact rational value of a finite binary32 bit pattern (signed zeros both give `0`). For
non-finite patterns the value is meaningless; checkers require `isFinite` first. -/
@[expose] def decode (b : Nat) : Rat :=
  if b / 2 ^ 31 % 2 = 1 then -magnitude b else magnitude b

/-- Decodes a vector of bit patterns. -/
@[expose] def decodeList : List Nat → List Rat
  | [] => []
  | b :: bs => decode b :: decodeList bs

/-- Decodes a matrix (list of rows) of bit patterns. -/
@[expose] def decodeRows : List (List Nat) → List (List Rat)
  | [] => []
  | r :: rs => decodeList r :: decodeRows rs

/-- Unpacks `k` 32-bit fields from a packed literal, least significant field first. Generated
modules store each weight row as one `Nat` (elaborating thousands of separate numerals exhausts the
elaborator's recursion depth; one literal per row elaborates at once). -/
@[expose] def unpack : Nat → Nat → List Nat
  | 0, _ => []
  | k + 1, n => n % 2 ^ 32 :: unpack k (n / 2 ^ 32)

/-- Unpacks every row (`cols` fields each) of a packed matrix. -/
@[expose] def unpackRows (cols : Nat) : List Nat → List (List Nat)
  | [] => []
  | r :: rs => unpack cols r :: unpackRows cols rs

/-- Every pattern in the list is a finite binary32. -/
@[expose] def allFinite : List Nat → Bool
  | [] => true
  | b :: bs => isFinite b && allFinite bs

/-- Every pattern of every row is a finite binary32. -/
@[expose] def allFiniteRows : List (List Nat) → Bool
  | [] => true
  | r :: rs => allFinite r && allFiniteRows rs

/-- Fields come out least significant first. -/
theorem unpack_example : unpack 2 0xbfa666663f333333 = [0x3f333333, 0xbfa66666] := by decide +kernel

/-- `1.0f` is `0x3f800000`. -/
theorem decode_one : decode 0x3f800000 = 1 := by decide +kernel

/-- The smallest positive subnormal `0x00000001` is `2^-149`. -/
theorem decode_min_subnormal : decode 0x00000001 = mkRat 1 (2 ^ 149) := by decide +kernel

/-- `-0.1f` is `0xbdcccccd`, exactly `-13421773 / 2^27`. -/
theorem decode_neg_tenth : decode 0xbdcccccd = -mkRat 13421773 (2 ^ 27) := by decide +kernel

end TorchLean.Num.Binary32
