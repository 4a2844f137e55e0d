module

public import TorchLean.Cert.Sha256

/-! # Canonical JSON, parsed from its bytes

The artifacts are canonical JSON (RFC 8785: no whitespace, sorted keys). A certificate module in
the strong binding form parses the very bytes whose SHA-256 it recomputes, so what its theorem
talks about is what the manifest's hash names.

The parser accepts the canonical subset the artifacts use (integers only as numbers) and works on
UTF-8 bytes as `Nat`s. It recurses on a fuel argument, a bound on the recursion depth: every call
consumes a byte, so the input's length plus one is always enough (`Json.parse`).
-/

public section

namespace TorchLean.Cert

/-- A JSON value. Strings are kept as their UTF-8 bytes. -/
inductive Json where
  | null
  | bool (b : Bool)
  | num (n : Int)
  | str (s : List Nat)
  | arr (xs : List Json)
  | obj (members : List (List Nat × Json))

namespace Json

/-- The byte is an ASCII digit. -/
@[expose] def isDigit (b : Nat) : Bool := 48 ≤ b && b ≤ 57

/-- The value of a hex digit (ASCII `0-9`, `a-f`), if it is one. -/
@[expose] def hexValue (b : Nat) : Option Nat :=
  if 48 ≤ b && b ≤ 57 then some (b - 48) else if 97 ≤ b && b ≤ 102 then some (b - 87) else none

/-- The digits at the front of `bs` as a number, after `acc`, with the rest. -/
@[expose] noncomputable def digits : Nat → List Nat → Nat × List Nat
  | acc, b :: bs => if isDigit b then digits (acc * 10 + (b - 48)) bs else (acc, b :: bs)
  | acc, [] => (acc, [])

/-- A non-negative integer in canonical form (no leading zero unless it is `0`). -/
@[expose] noncomputable def natural (bs : List Nat) : Option (Nat × List Nat) :=
  match bs with
  | 48 :: rest => if rest.head?.any isDigit then none else some (0, rest)
  | b :: _ => if isDigit b then some (digits 0 bs) else none
  | [] => none

/-- The byte after a backslash in a string, decoded (`\u` is handled separately). -/
@[expose] def escape : Nat → Option Nat
  | 34 => some 34 | 92 => some 92 | 47 => some 47 | 98 => some 8
  | 102 => some 12 | 110 => some 10 | 114 => some 13 | 116 => some 9
  | _ => none

mutual
/-- A value at the front of the bytes, with the bytes after it. -/
@[expose] noncomputable def value : Nat → List Nat → Option (Json × List Nat)
  | 0, _ => none
  | fuel + 1, bs =>
    match bs with
    | 110 :: 117 :: 108 :: 108 :: rest => some (.null, rest)
    | 116 :: 114 :: 117 :: 101 :: rest => some (.bool true, rest)
    | 102 :: 97 :: 108 :: 115 :: 101 :: rest => some (.bool false, rest)
    | 34 :: rest =>
      match string fuel [] rest with
      | some (s, rest') => some (.str s, rest')
      | none => none
    | 91 :: 93 :: rest => some (.arr [], rest)
    | 91 :: rest => elements fuel [] rest
    | 123 :: 125 :: rest => some (.obj [], rest)
    | 123 :: rest => members fuel [] rest
    | 45 :: rest =>
      match natural rest with
      | some (n, rest') => if n = 0 then none else some (.num (-(n : Int)), rest')
      | none => none
    | _ =>
      match natural bs with
      | some (n, rest') => some (.num n, rest')
      | none => none

/-- The rest of a string after its opening quote (bytes so far reversed in `acc`). -/
@[expose] noncomputable def string : Nat → List Nat → List Nat → Option (List Nat × List Nat)
  | 0, _, _ => none
  | _ + 1, acc, 34 :: rest => some (acc.reverse, rest)
  | fuel + 1, acc, 92 :: 117 :: a :: b :: c :: d :: rest =>
    match hexValue a, hexValue b, hexValue c, hexValue d with
    | some a, some b, some c, some d =>
      string fuel ((Sha256.utf8 (((a * 16 + b) * 16 + c) * 16 + d)).reverse ++ acc) rest
    | _, _, _, _ => none
  | fuel + 1, acc, 92 :: e :: rest =>
    match escape e with
    | some c => string fuel (c :: acc) rest
    | none => none
  | fuel + 1, acc, b :: rest => if b < 32 then none else string fuel (b :: acc) rest
  | _ + 1, _, [] => none

/-- The rest of a non-empty array after `[` (elements so far reversed in `acc`). -/
@[expose] noncomputable def elements : Nat → List Json → List Nat → Option (Json × List Nat)
  | 0, _, _ => none
  | fuel + 1, acc, bs =>
    match value fuel bs with
    | some (v, 44 :: rest) => elements fuel (v :: acc) rest
    | some (v, 93 :: rest) => some (.arr (v :: acc).reverse, rest)
    | _ => none

/-- The rest of a non-empty object after `{` (members so far reversed in `acc`). -/
@[expose] noncomputable def members : Nat → List (List Nat × Json) → List Nat → Option (Json × List Nat)
  | 0, _, _ => none
  | fuel + 1, acc, 34 :: bs =>
    match string fuel [] bs with
    | some (k, 58 :: rest) =>
      match value fuel rest with
      | some (v, 44 :: rest') => members fuel ((k, v) :: acc) rest'
      | some (v, 125 :: rest') => some (.obj ((k, v) :: acc).reverse, rest')
      | _ => none
    | _ => none
  | _ + 1, _, _ => none
end

/-- The document: one value and nothing after it. -/
@[expose] noncomputable def parse (bs : List Nat) : Option Json :=
  match value (Sha256.lengthAcc 1 bs) bs with
  | some (v, []) => some v
  | _ => none

/-- The value of key `k` in an object (the first, canonical JSON has no duplicates). -/
@[expose] noncomputable def field (k : List Nat) : Json → Option Json
  | .obj ms => (ms.find? (fun m => m.1 == k)).map (·.2)
  | _ => none

@[expose] def asArr : Json → Option (List Json)
  | .arr xs => some xs
  | _ => none

@[expose] def asStr : Json → Option (List Nat)
  | .str s => some s
  | _ => none

@[expose] def asNat : Json → Option Nat
  | .num (.ofNat n) => some n
  | _ => none

/-- Every element through `f`, or `none` if one fails. -/
@[expose] noncomputable def mapAll {α : Type} (f : Json → Option α) : List Json → Option (List α)
  | [] => some []
  | x :: xs =>
    match f x, mapAll f xs with
    | some a, some as => some (a :: as)
    | _, _ => none

end Json

end TorchLean.Cert
