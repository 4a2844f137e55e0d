module

public import TorchLean.Cert.Json
public import TorchLean.Cert.Goal
public import TorchLean.Num.Binary32

/-! # Reading the artifacts: payload, property and certificate from their canonical JSON

The strong binding: a certificate module restates the bytes of `payload.json`, `property.json`
and `certificate.json`, recomputes their SHA-256 (`Sha256.digest`) and reads the network, the
input box and the claim out of those bytes with the functions below. The final theorem is then
about the objects parsed from the hashed text, not about definitions the emitter wrote.

Each reader checks what the Rust reader checks for the parts it uses (format tag, family, names,
order, shapes, counts) and returns `none` otherwise, so a module built on a reader's result cannot
be about a malformed artifact.
-/

public section

namespace TorchLean.Cert

open TorchLean.IR TorchLean.Bounds

/-! ## Byte strings of the keys and tags (UTF-8) -/

namespace Bytes
/-- `"format"` -/
@[expose] def format : List Nat := [102, 111, 114, 109, 97, 116]
/-- `"family"` -/
@[expose] def family : List Nat := [102, 97, 109, 105, 108, 121]
/-- `"spec"` -/
@[expose] def spec : List Nat := [115, 112, 101, 99]
/-- `"widths"` -/
@[expose] def widths : List Nat := [119, 105, 100, 116, 104, 115]
/-- `"activations"` -/
@[expose] def activations : List Nat := [97, 99, 116, 105, 118, 97, 116, 105, 111, 110, 115]
/-- `"tensors"` -/
@[expose] def tensors : List Nat := [116, 101, 110, 115, 111, 114, 115]
/-- `"name"` -/
@[expose] def name : List Nat := [110, 97, 109, 101]
/-- `"shape"` -/
@[expose] def shape : List Nat := [115, 104, 97, 112, 101]
/-- `"f32"` -/
@[expose] def f32 : List Nat := [102, 51, 50]
/-- `"kind"` -/
@[expose] def kind : List Nat := [107, 105, 110, 100]
/-- `"input_box"` -/
@[expose] def inputBox : List Nat := [105, 110, 112, 117, 116, 95, 98, 111, 120]
/-- `"output_box"` -/
@[expose] def outputBox : List Nat := [111, 117, 116, 112, 117, 116, 95, 98, 111, 120]
/-- `"violation"` -/
@[expose] def violation : List Nat := [118, 105, 111, 108, 97, 116, 105, 111, 110]
/-- `"outputs"` -/
@[expose] def outputs : List Nat := [111, 117, 116, 112, 117, 116, 115]
/-- `"semantics"` -/
@[expose] def semantics : List Nat := [115, 101, 109, 97, 110, 116, 105, 99, 115]
/-- `"coeffs"` -/
@[expose] def coeffs : List Nat := [99, 111, 101, 102, 102, 115]
/-- `"rhs"` -/
@[expose] def rhs : List Nat := [114, 104, 115]
/-- `"strict"` -/
@[expose] def strict : List Nat := [115, 116, 114, 105, 99, 116]
/-- `"payload"` -/
@[expose] def payload : List Nat := [112, 97, 121, 108, 111, 97, 100]
/-- `"property"` -/
@[expose] def property : List Nat := [112, 114, 111, 112, 101, 114, 116, 121]
/-- `"torchlean.payload.v1"` -/
@[expose] def payloadV1 : List Nat := [116, 111, 114, 99, 104, 108, 101, 97, 110, 46, 112, 97, 121, 108, 111, 97, 100, 46, 118, 49]
/-- `"torchlean.property.v1"` -/
@[expose] def propertyV1 : List Nat := [116, 111, 114, 99, 104, 108, 101, 97, 110, 46, 112, 114, 111, 112, 101, 114, 116, 121, 46, 118, 49]
/-- `"torchlean.certificate.v1"` -/
@[expose] def certificateV1 : List Nat := [116, 111, 114, 99, 104, 108, 101, 97, 110, 46, 99, 101, 114, 116, 105, 102, 105, 99, 97, 116, 101, 46, 118, 49]
/-- `"mlp"` -/
@[expose] def mlp : List Nat := [109, 108, 112]
/-- `"relu"` -/
@[expose] def relu : List Nat := [114, 101, 108, 117]
/-- `"identity"` -/
@[expose] def identity : List Nat := [105, 100, 101, 110, 116, 105, 116, 121]
/-- `"layers."` -/
@[expose] def layers : List Nat := [108, 97, 121, 101, 114, 115, 46]
/-- `".weight"` -/
@[expose] def weight : List Nat := [46, 119, 101, 105, 103, 104, 116]
/-- `".bias"` -/
@[expose] def bias : List Nat := [46, 98, 105, 97, 115]
/-- `"violation_dnf"` -/
@[expose] def violationDnf : List Nat := [118, 105, 111, 108, 97, 116, 105, 111, 110, 95, 100, 110, 102]
/-- `"exact-rational"` -/
@[expose] def exactRational : List Nat := [101, 120, 97, 99, 116, 45, 114, 97, 116, 105, 111, 110, 97, 108]
/-- `"center"` -/
@[expose] def center : List Nat := [99, 101, 110, 116, 101, 114]
/-- `"epsilon"` -/
@[expose] def epsilon : List Nat := [101, 112, 115, 105, 108, 111, 110]
/-- `"label"` -/
@[expose] def label : List Nat := [108, 97, 98, 101, 108]
/-- `"linf_robust"` -/
@[expose] def linfRobust : List Nat := [108, 105, 110, 102, 95, 114, 111, 98, 117, 115, 116]
/-- `"sha256:"` -/
@[expose] def sha256 : List Nat := [115, 104, 97, 50, 53, 54, 58]
end Bytes

/-! ## Scalars -/

/-- A rational in the artifacts' text form `-?digits(/digits)?`, denominator positive. -/
@[expose] noncomputable def ratOfText (s : List Nat) : Option Rat :=
  let (neg, body) := match s with
    | 45 :: rest => (true, rest)
    | _ => (false, s)
  match Json.natural body with
  | some (n, []) => some (if neg then -(n : Rat) else n)
  | some (n, 47 :: rest) =>
    match Json.natural rest with
    | some (d, []) => if d = 0 then none else some (if neg then -((n : Rat) / d) else (n : Rat) / d)
    | _ => none
  | _ => none

/-- Hex digits as a number (at least one digit, lowercase). -/
@[expose] noncomputable def hexNat : Nat → List Nat → Option Nat
  | acc, [] => some acc
  | acc, b :: bs =>
    match Json.hexValue b with
    | some v => hexNat (acc * 16 + v) bs
    | none => none

/-- A binary32 bit pattern in the payload's form `0x` + 8 hex digits. -/
@[expose] noncomputable def bitsOfText : List Nat → Option Nat
  | [48, 120, a, b, c, d, e, f, g, h] => hexNat 0 [a, b, c, d, e, f, g, h]
  | _ => none

/-- A manifest hash `sha256:` + 64 hex digits, as the number `Sha256.digest` computes. -/
@[expose] noncomputable def digestOfText (s : List Nat) : Option Nat :=
  if s.take 7 == Bytes.sha256 && (Sha256.lengthAcc 0 (s.drop 7)) == 64 then hexNat 0 (s.drop 7) else none

/-- The decimal digits of `n` (`fuel` bounds the digit count). -/
@[expose] noncomputable def decimal : Nat → Nat → List Nat
  | 0, _ => []
  | fuel + 1, n => (if n < 10 then [] else decimal fuel (n / 10)) ++ [48 + n % 10]

/-- `xs` cut into `n` rows of `k`. -/
@[expose] noncomputable def rowsOf (k : Nat) : Nat → List Nat → List (List Nat)
  | 0, _ => []
  | n + 1, xs => xs.take k :: rowsOf k n (xs.drop k)

/-! ## Field readers -/

/-- The string field `k` of an object equals `v`. -/
@[expose] noncomputable def fieldIs (k v : List Nat) (j : Json) : Bool :=
  match j.field k with
  | some (.str s) => s == v
  | _ => false

/-- A box: a list of `[lo, hi]` pairs of rationals in text form. -/
@[expose] noncomputable def boxOf (j : Json) : Option Box :=
  match j.asArr with
  | some xs => Json.mapAll (fun i => match i with
      | .arr [.str lo, .str hi] =>
        match ratOfText lo, ratOfText hi with
        | some l, some h => some ⟨l, h⟩
        | _, _ => none
      | _ => none) xs
  | none => none

/-- A list of rationals in text form. -/
@[expose] noncomputable def ratsOf (j : Json) : Option (List Rat) :=
  match j.asArr with
  | some xs => Json.mapAll (fun x => x.asStr.bind ratOfText) xs
  | none => none

/-- A list of natural numbers. -/
@[expose] noncomputable def natsOf (j : Json) : Option (List Nat) :=
  match j.asArr with
  | some xs => Json.mapAll Json.asNat xs
  | none => none

/-- One violation row `{coeffs, rhs, strict}`. -/
@[expose] noncomputable def rowOf (j : Json) : Option Row :=
  match j.field Bytes.coeffs, j.field Bytes.rhs, j.field Bytes.strict with
  | some c, some (.str r), some (.bool s) =>
    match ratsOf c, ratOfText r with
    | some cs, some rhs => some ⟨cs, rhs, s⟩
    | _, _ => none
  | _, _, _ => none

/-! ## Payload: the MLP family -/

/-- An activation's name. -/
@[expose] noncomputable def actOf (s : List Nat) : Option Act :=
  if s == Bytes.relu then some .relu else if s == Bytes.identity then some .identity else none

/-- The tensor object `t` is named `name`, has shape `shape`, and its bit patterns are returned. -/
@[expose] noncomputable def tensorBits (name : List Nat) (shape : List Nat) (t : Json) : Option (List Nat) :=
  if fieldIs Bytes.name name t && (t.field Bytes.shape).bind natsOf == some shape then
    match (t.field Bytes.f32).bind Json.asArr with
    | some xs =>
      match Json.mapAll (fun x => x.asStr.bind bitsOfText) xs with
      | some bits => if Sha256.lengthAcc 0 bits == shape.foldr (· * ·) 1 then some bits else none
      | none => none
    | none => none
  else none

/-- One dense layer as stored by the Lean certificates: weight rows and bias as bit patterns and
the activation. -/
abbrev LayerBits := List (List Nat) × List Nat × Act

/-- Layers `i, i+1, …` of an MLP payload: widths `n :: m :: ns`, their activations, and the
tensors from `layers.i.weight` on, in order, with nothing left over. -/
@[expose] noncomputable def layersOf : Nat → List Nat → List Json → List Json → Option (List LayerBits)
  | _, [_], [], [] => some []
  | i, n :: m :: ns, .str a :: acts, w :: b :: ts =>
    let idx := Bytes.layers ++ decimal (i + 1) i
    match actOf a, tensorBits (idx ++ Bytes.weight) [m, n] w, tensorBits (idx ++ Bytes.bias) [m] b,
        layersOf (i + 1) (m :: ns) acts ts with
    | some act, some wb, some bb, some rest => some ((rowsOf n m wb, bb, act) :: rest)
    | _, _, _, _ => none
  | _, _, _, _ => none

/-- The layers of an MLP payload (`torchlean.payload.v1`, family `mlp`). -/
@[expose] noncomputable def mlpOfPayload (bytes : List Nat) : Option (List LayerBits) :=
  match Json.parse bytes with
  | some j =>
    if fieldIs Bytes.format Bytes.payloadV1 j && fieldIs Bytes.family Bytes.mlp j then
      match (j.field Bytes.spec).bind (Json.field Bytes.widths) |>.bind natsOf,
          (j.field Bytes.spec).bind (Json.field Bytes.activations) |>.bind Json.asArr,
          (j.field Bytes.tensors).bind Json.asArr with
      | some ws, some acts, some ts => layersOf 0 ws acts ts
      | _, _, _ => none
    else none
  | none => none

/-- The network the layers denote (weights decoded exactly from their bit patterns). -/
@[expose] noncomputable def netOfBits (ls : List LayerBits) : List Dense :=
  ls.map fun l => ⟨Num.Binary32.decodeRows l.1, Num.Binary32.decodeList l.2.1, l.2.2⟩

/-! ## Properties -/

/-- An `output_box` property over exact rationals: its input box and output box. -/
@[expose] noncomputable def outputBoxProperty (bytes : List Nat) : Option (Box × Box) :=
  match Json.parse bytes with
  | some j =>
    if fieldIs Bytes.format Bytes.propertyV1 j && fieldIs Bytes.kind Bytes.outputBox j &&
        fieldIs Bytes.semantics Bytes.exactRational j then
      match (j.field Bytes.inputBox).bind boxOf, (j.field Bytes.outputBox).bind boxOf with
      | some b, some o => some (b, o)
      | _, _ => none
    else none
  | none => none

/-- A `violation_dnf` property over exact rationals: its input box and the disjunction of
conjunctions of output rows that would violate it. -/
@[expose] noncomputable def violationProperty (bytes : List Nat) : Option (Box × List (List Row)) :=
  match Json.parse bytes with
  | some j =>
    if fieldIs Bytes.format Bytes.propertyV1 j && fieldIs Bytes.kind Bytes.violationDnf j &&
        fieldIs Bytes.semantics Bytes.exactRational j then
      match (j.field Bytes.inputBox).bind boxOf, (j.field Bytes.violation).bind Json.asArr with
      | some b, some ds =>
        match Json.mapAll (fun d => d.asArr.bind (Json.mapAll rowOf)) ds with
        | some dnf => some (b, dnf)
        | none => none
      | _, _ => none
    else none
  | none => none

/-- A `linf_robust` property over exact rationals: its center, radius ε, label and output count
(`Cert/Robust.lean` derives the box and the violation from them). -/
@[expose] noncomputable def linfProperty (bytes : List Nat) : Option (List Rat × Rat × Nat × Nat) :=
  match Json.parse bytes with
  | some j =>
    if fieldIs Bytes.format Bytes.propertyV1 j && fieldIs Bytes.kind Bytes.linfRobust j &&
        fieldIs Bytes.semantics Bytes.exactRational j then
      match (j.field Bytes.center).bind ratsOf, (j.field Bytes.epsilon).bind Json.asStr |>.bind ratOfText,
          (j.field Bytes.label).bind Json.asNat, (j.field Bytes.outputs).bind Json.asNat with
      | some c, some e, some l, some n => some (c, e, l, n)
      | _, _, _, _ => none
    else none
  | none => none

/-! ## Certificate references -/

/-- The hashes a certificate names for its payload and property. -/
@[expose] noncomputable def certificateRefs (bytes : List Nat) : Option (Nat × Nat) :=
  match Json.parse bytes with
  | some j =>
    if fieldIs Bytes.format Bytes.certificateV1 j then
      match (j.field Bytes.payload).bind Json.asStr |>.bind digestOfText,
          (j.field Bytes.property).bind Json.asStr |>.bind digestOfText with
      | some p, some q => some (p, q)
      | _, _ => none
    else none
  | none => none

/-! ## Equality the kernel can decide -/

/-- Intervals are equal when their ends are. Written by hand: a derived instance does not compile
on every toolchain, and the kernel only needs to evaluate it. -/
noncomputable instance : DecidableEq Interval := fun a b =>
  if h : a.lo = b.lo ∧ a.hi = b.hi then
    isTrue (by cases a; cases b; simp only at h; rw [h.1, h.2])
  else isFalse (by intro e; subst e; exact h ⟨rfl, rfl⟩)

/-- Rows are equal when their coefficients, right-hand sides and strictness are. -/
noncomputable instance : DecidableEq Row := fun a b =>
  if h : a.coeffs = b.coeffs ∧ a.rhs = b.rhs ∧ a.strict = b.strict then
    isTrue (by cases a; cases b; simp only at h; rw [h.1, h.2.1, h.2.2])
  else isFalse (by intro e; subst e; exact h ⟨rfl, rfl, rfl⟩)

end TorchLean.Cert
