module

public import Init

/-! # SHA-256 (FIPS 180-4) for the strong artifact binding

The manifest names every artifact by the SHA-256 of its canonical JSON bytes. A certificate module
that restates an artifact's text proves, by kernel evaluation, that this function maps the text to
the manifest's hash, so the hash an auditor recomputes and the text the theorems are about are the
same bytes.

Words are `Nat`s below `2^32`: the kernel evaluates `Nat` arithmetic and bitwise operations on
literals natively, which `UInt32` (a structure over `BitVec`) would first have to unfold. Every
round forces its new state with `strict` so that the kernel, which does not share work between
occurrences of a term, evaluates each word once instead of once per use.
-/

public section

namespace TorchLean.Cert.Sha256

/-- Evaluate `n` to a literal before handing it to `k` (the kernel matches on the literal). -/
@[expose] noncomputable def strict {α : Sort _} (n : Nat) (k : Nat → α) : α :=
  match n with
  | 0 => k 0
  | m + 1 => k (m + 1)

/-- Addition modulo `2^32`. -/
@[expose] noncomputable def add (a b : Nat) : Nat := Nat.mod (Nat.add a b) 4294967296

/-- Rotate a 32-bit word right by `n` places (`0 < n < 32`). -/
@[expose] noncomputable def rotr (x n : Nat) : Nat :=
  Nat.lor (Nat.shiftRight x n) (Nat.mod (Nat.shiftLeft x (Nat.sub 32 n)) 4294967296)

@[expose] noncomputable def bigSigma0 (a : Nat) : Nat := Nat.xor (Nat.xor (rotr a 2) (rotr a 13)) (rotr a 22)
@[expose] noncomputable def bigSigma1 (e : Nat) : Nat := Nat.xor (Nat.xor (rotr e 6) (rotr e 11)) (rotr e 25)
@[expose] noncomputable def smallSigma0 (x : Nat) : Nat := Nat.xor (Nat.xor (rotr x 7) (rotr x 18)) (Nat.shiftRight x 3)
@[expose] noncomputable def smallSigma1 (x : Nat) : Nat := Nat.xor (Nat.xor (rotr x 17) (rotr x 19)) (Nat.shiftRight x 10)
@[expose] noncomputable def choose (e f g : Nat) : Nat := Nat.xor (Nat.land e f) (Nat.land (Nat.xor e 4294967295) g)
@[expose] noncomputable def majority (a b c : Nat) : Nat := Nat.xor (Nat.xor (Nat.land a b) (Nat.land a c)) (Nat.land b c)

/-- The 64 round constants. -/
@[expose] noncomputable def roundConstants : List Nat :=
  [0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
   0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
   0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
   0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
   0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
   0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
   0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
   0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2]

/-- The hash value between blocks. -/
structure State where
  a : Nat
  b : Nat
  c : Nat
  d : Nat
  e : Nat
  f : Nat
  g : Nat
  h : Nat

/-- The initial hash value. -/
@[expose] noncomputable def initial : State :=
  ⟨0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19⟩

/-- The 64 rounds of one block, handing the final working variables to `k`. The working
variables `a … h` and the schedule window `w0 … w15` (= `w_t … w_{t+15}`) are separate arguments,
each a literal when the call is made: a round forces its two new variables and the next schedule
word `w_{t+16} = σ1(w_{t+14}) + w_{t+9} + σ0(w_{t+1}) + w_t` before the tail call, so the kernel's
evaluation stays flat. -/
@[expose] noncomputable def rounds {α : Sort _} (a b c d e f g h : Nat)
    (w0 w1 w2 w3 w4 w5 w6 w7 w8 w9 w10 w11 w12 w13 w14 w15 : Nat)
    (k : Nat → Nat → Nat → Nat → Nat → Nat → Nat → Nat → α) : List Nat → α
  | [] => k a b c d e f g h
  | r :: rs =>
    strict (add (add (add (add h (bigSigma1 e)) (choose e f g)) r) w0) fun t1 =>
    strict (add (add (bigSigma0 a) (majority a b c)) t1) fun a' =>
    strict (add d t1) fun e' =>
    strict (add (add (add (smallSigma1 w14) w9) (smallSigma0 w1)) w0) fun w16 =>
    rounds a' a b c e' e f g w1 w2 w3 w4 w5 w6 w7 w8 w9 w10 w11 w12 w13 w14 w15 w16 k rs

/-- Compress one block of sixteen words into the hash value `s` (rounds, then feed-forward) and
hand the new hash value, every field a literal, to `k`: the next block then starts from literals
instead of re-entering this one. -/
@[expose] noncomputable def compress {α : Sort _} (s : State)
    (w0 w1 w2 w3 w4 w5 w6 w7 w8 w9 w10 w11 w12 w13 w14 w15 : Nat) (k : State → α) : α :=
  rounds s.a s.b s.c s.d s.e s.f s.g s.h w0 w1 w2 w3 w4 w5 w6 w7 w8 w9 w10 w11 w12 w13 w14 w15
    (fun a b c d e f g h =>
      strict (add s.a a) fun a => strict (add s.b b) fun b => strict (add s.c c) fun c =>
      strict (add s.d d) fun d => strict (add s.e e) fun e => strict (add s.f f) fun f =>
      strict (add s.g g) fun g => strict (add s.h h) fun h => k ⟨a, b, c, d, e, f, g, h⟩)
    roundConstants

/-- Process the message's 16-word blocks in order (a trailing partial block, which padding rules
out, is ignored) and hand the final hash value to `k`. -/
@[expose] noncomputable def blocks {α : Sort _} : State → List Nat → (State → α) → α
  | s, w0 :: w1 :: w2 :: w3 :: w4 :: w5 :: w6 :: w7 :: w8 :: w9 :: w10 :: w11 :: w12 :: w13 :: w14 ::
      w15 :: rest, k =>
    compress s w0 w1 w2 w3 w4 w5 w6 w7 w8 w9 w10 w11 w12 w13 w14 w15 fun s' => blocks s' rest k
  | s, _, k => k s

/-- Big-endian 32-bit words of a byte list (its length a multiple of 4). -/
@[expose] noncomputable def words : List Nat → List Nat
  | b0 :: b1 :: b2 :: b3 :: rest => (((b0 * 256 + b1) * 256 + b2) * 256 + b3) :: words rest
  | _ => []

/-- The big-endian bytes of `n` in `k` bytes, in front of `acc`. Built from the least significant
end, so the list comes out in order without nested appends. -/
@[expose] noncomputable def bytesBEOnto (n : Nat) : Nat → List Nat → List Nat
  | 0, acc => acc
  | k + 1, acc => strict (Nat.div n 256) fun q => bytesBEOnto q k (Nat.mod n 256 :: acc)

/-- The big-endian bytes of `n` in `k` bytes. -/
@[expose] noncomputable def bytesBE (n k : Nat) : List Nat := bytesBEOnto n k []

/-- The length of a list, counted in an accumulator: the kernel evaluates it in a loop, where
`List.length` would recurse once per element. -/
@[expose] noncomputable def lengthAcc : Nat → List Nat → Nat
  | n, [] => n
  | n, _ :: rest => strict (n + 1) fun m => lengthAcc m rest

/-- The padded message: the bytes, `0x80`, zeros to 56 mod 64, and the bit length in 8 bytes. -/
@[expose] noncomputable def pad (msg : List Nat) : List Nat :=
  let len := lengthAcc 0 msg
  msg ++ [0x80] ++ List.replicate ((119 - len % 64) % 64) 0 ++ bytesBE (8 * len) 8

/-- SHA-256 of a byte list, as its eight words. -/
@[expose] noncomputable def digestWords (msg : List Nat) : List Nat :=
  blocks initial (words (pad msg)) fun h => [h.a, h.b, h.c, h.d, h.e, h.f, h.g, h.h]

/-- SHA-256 of a byte list as one 256-bit number (the manifest's 64 hex digits read as a number). -/
@[expose] noncomputable def digest (msg : List Nat) : Nat :=
  (digestWords msg).foldl (fun acc w => acc * 4294967296 + w) 0

/-- The bytes of a text stored as packed literals: `len` bytes, 32 per literal (big-endian, the
last literal holding the remainder). Modules state artifact text this way because the kernel
unfolds a long `String` literal into bytes far more slowly than it splits a number. -/
@[expose] noncomputable def unpackText : Nat → List Nat → List Nat
  | _, [] => []
  | n, p :: ps => if n ≤ 32 then bytesBE p n else bytesBEOnto p 32 (unpackText (n - 32) ps)

/-- UTF-8 bytes of a code point. -/
@[expose] noncomputable def utf8 (c : Nat) : List Nat :=
  if c < 0x80 then [c]
  else if c < 0x800 then [0xc0 + c / 64, 0x80 + c % 64]
  else if c < 0x10000 then [0xe0 + c / 4096, 0x80 + c / 64 % 64, 0x80 + c % 64]
  else [0xf0 + c / 262144, 0x80 + c / 4096 % 64, 0x80 + c / 64 % 64, 0x80 + c % 64]

/-- The UTF-8 bytes of a list of characters. -/
@[expose] noncomputable def bytesOf : List Char → List Nat
  | [] => []
  | c :: cs => utf8 c.toNat ++ bytesOf cs

/-- Packed text: one full literal of 32 bytes, then the remaining 2 in the last literal. -/
theorem unpackText_example :
    unpackText 34 [0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f, 0x2021] =
      List.range 34 := by
  decide +kernel

/-- FIPS 180-4 example: the empty message. -/
theorem digest_empty :
    digest [] = 0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 := by
  decide +kernel

/-- FIPS 180-4 example: "abc" (one block). -/
theorem digest_abc :
    digest (bytesOf "abc".toList) = 0xba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad := by
  decide +kernel

/-- FIPS 180-4 example: the 56-byte message that pads to two blocks. -/
theorem digest_two_blocks :
    digest (bytesOf "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".toList) =
      0x248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1 := by
  decide +kernel

end TorchLean.Cert.Sha256
