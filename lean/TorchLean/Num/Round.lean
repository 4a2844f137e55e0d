module

public import TorchLean.Num.Binary32

/-! # IEEE 754 binary32, correctly rounded encoding and arithmetic

`round m x` is the binary32 bit pattern of the rational `x` rounded in mode `m` (IEEE 754-2019
§4.3): the exact value is scaled to an integer significand `M` at the quantum `2^q` of its binade
(`q = max(E, -126) - 23` for `2^E ≤ |x| < 2^(E+1)`), `M` is rounded as the mode says, and
`(M, q)` is packed into the pattern (a carry into the next binade and the subnormal range need no
special case: the field `(q + 149)·2^23 + M` is the pattern in both). Overflow goes to infinity or
to the largest finite value as the mode says. The arithmetic ops are "round the exact result":
`add m a b = round m (decode a + decode b)`, with IEEE's signs for exact zeros. This is the
executable specification the Rust softfloat is tested against (`Num/Vectors.lean`).
-/

public section

namespace TorchLean.Num.Binary32

/-- The four rounding-direction attributes. -/
inductive Mode where
  /-- roundTiesToEven. -/
  | rne
  /-- roundTowardZero. -/
  | rtz
  /-- roundTowardPositive. -/
  | rup
  /-- roundTowardNegative. -/
  | rdn

/-- `⌊log₂ (n / d)⌋` for positive `n`, `d`. -/
@[expose] def floorLog2 (n d : Nat) : Int :=
  let e : Int := (Nat.log2 n : Int) - (Nat.log2 d : Int)
  let below : Bool := if 0 ≤ e then decide (n < d * 2 ^ e.toNat) else decide (n * 2 ^ (-e).toNat < d)
  if below then e - 1 else e

/-- `n / d` rounded to an integer: `away` rounds any remainder up, otherwise ties go to even when
`nearest`, else the remainder is dropped. -/
@[expose] def roundDiv (n d : Nat) (nearest away : Bool) : Nat :=
  let f := n / d
  let r := n % d
  if r = 0 then f
  else if away then f + 1
  else if nearest then
    (if 2 * r > d then f + 1 else if 2 * r < d then f else f + f % 2)
  else f

/-- The pattern of `|x| = n / d > 0` rounded, with sign bit `s`; `nearest`/`away` as in
`roundDiv` (the mode resolved for this sign). -/
@[expose] def roundMag (s : Nat) (n d : Nat) (nearest away : Bool) : Nat :=
  let E := floorLog2 n d
  let q : Int := max E (-126) - 23
  let M := if 0 ≤ q then roundDiv n (d * 2 ^ q.toNat) nearest away
    else roundDiv (n * 2 ^ (-q).toNat) d nearest away
  let field := (q + 149).toNat * 2 ^ 23 + M
  if field < 255 * 2 ^ 23 then s * 2 ^ 31 + field
  else if nearest || away then s * 2 ^ 31 + 0x7f800000
  else s * 2 ^ 31 + 0x7f7fffff

/-- `x` correctly rounded to binary32 in mode `m` (`0` gives `+0`). -/
@[expose] def round (m : Mode) (x : Rat) : Nat :=
  if x = 0 then 0
  else
    let neg := decide (x < 0)
    let n := x.num.natAbs
    let d := x.den
    let s := if neg then 1 else 0
    match m with
    | .rne => roundMag s n d true false
    | .rtz => roundMag s n d false false
    | .rup => roundMag s n d false (!neg)
    | .rdn => roundMag s n d false neg

/-- The sign bit of a pattern. -/
@[expose] def signBit (b : Nat) : Nat := b / 2 ^ 31 % 2

/-- An exact zero sum (IEEE 754-2019 §6.3): addends of one sign (zeros, then) keep it; addends
of opposite signs give `+0`, or `-0` in roundTowardNegative. -/
@[expose] def zeroSum (m : Mode) (a b : Nat) : Nat :=
  if signBit a = signBit b then signBit a * 2 ^ 31
  else
    match m with
    | .rdn => 0x80000000
    | _ => 0

/-- `a + b`, correctly rounded (finite operands). -/
@[expose] def add (m : Mode) (a b : Nat) : Nat :=
  let x := decode a + decode b
  if x = 0 then zeroSum m a b else round m x

/-- `a - b`, correctly rounded (finite operands). -/
@[expose] def sub (m : Mode) (a b : Nat) : Nat :=
  let x := decode a - decode b
  if x = 0 then zeroSum m a (b + 2 ^ 31 - 2 ^ 32 * signBit b) else round m x

/-- `a · b`, correctly rounded (finite operands); an exact zero has the xor of the signs. -/
@[expose] def mul (m : Mode) (a b : Nat) : Nat :=
  let x := decode a * decode b
  if x = 0 then (signBit a + signBit b) % 2 * 2 ^ 31 else round m x

/-- `a / b`, correctly rounded (finite operands, `b` not zero); an exact zero has the xor of the
signs. -/
@[expose] def div (m : Mode) (a b : Nat) : Nat :=
  let x := decode a / decode b
  if x = 0 then (signBit a + signBit b) % 2 * 2 ^ 31 else round m x

/-- `1/3` rounds to `0x3eaaaaab` to nearest, and to `0x3eaaaaaa` toward zero. -/
theorem round_third : round .rne (1 / 3) = 0x3eaaaaab ∧ round .rtz (1 / 3) = 0x3eaaaaaa := by
  decide +kernel

end TorchLean.Num.Binary32
