module

public import TorchLean.Num.RoundMono
public import TorchLean.IR.DenseF32

/-! # IBP that encloses the binary32 execution

`src/bounds/ibp_f32.rs` in Lean: interval bound propagation over binary32 bit patterns, in the
declared operation order, rounding every lower end down and every upper end up. `netIv32_sound` is
the theorem a binary32 certificate rests on: every binary32 input in the box, executed as declared
(`IR/DenseF32.lean`), gives outputs in the boxes `netIv32` computes. The step behind it is
`round_rne_mem` (`Num/RoundMono.lean`): the executed operation rounds its exact result to nearest,
which lies between the directed roundings of the exact results at the interval's ends. The
propagation fails (`none`) as soon as an end is not finite, as the Rust refuses an overflowing
bound.
-/

public section

namespace TorchLean.Bounds

open TorchLean.Num.Binary32 TorchLean.IR

/-- An interval between two binary32 patterns. -/
structure Iv32 where
  /-- The lower end. -/
  lo : Nat
  /-- The upper end. -/
  hi : Nat

/-- Intervals are equal when their ends are. Written by hand: a derived instance is not exposed to
importing modules, whose kernel checks compare intervals. -/
noncomputable instance : DecidableEq Iv32 := fun a b =>
  if h : a.lo = b.lo ∧ a.hi = b.hi then
    isTrue (by cases a; cases b; simp only at h; rw [h.1, h.2])
  else isFalse (by intro e; subst e; exact h ⟨rfl, rfl⟩)

/-- A binary32 pattern lies in an interval: it is finite and its value is between the ends'. -/
@[expose] def Iv32.Mem (I : Iv32) (p : Nat) : Prop :=
  isFinite p = true ∧ decode I.lo ≤ decode p ∧ decode p ≤ decode I.hi

/-- Each pattern of a vector lies in its interval (and the lengths agree). -/
@[expose] def Box32.Mem : List Iv32 → List Nat → Prop
  | [], [] => True
  | I :: Is, p :: ps => I.Mem p ∧ Box32.Mem Is ps
  | _, _ => False

/-- The interval of two ends, if both are finite. -/
@[expose] def Iv32.ofEnds (lo hi : Nat) : Option Iv32 :=
  if isFinite lo && isFinite hi then some ⟨lo, hi⟩ else none

/-- `w · I`: the product at the end that makes it smallest rounded down, at the other rounded up. -/
@[expose] def mulIv32 (w : Nat) (I : Iv32) : Option Iv32 :=
  if 0 ≤ decode w then Iv32.ofEnds (mul .rdn w I.lo) (mul .rup w I.hi)
  else Iv32.ofEnds (mul .rdn w I.hi) (mul .rup w I.lo)

/-- `a + b`: the lower ends added rounding down, the upper ends rounding up. -/
@[expose] def addIv32 (a b : Iv32) : Option Iv32 := Iv32.ofEnds (add .rdn a.lo b.lo) (add .rup a.hi b.hi)

/-- A dot product's interval continued from `acc`, term by term as the execution adds them. -/
@[expose] def dotFromIv32 (acc : Iv32) : List Nat → List Iv32 → Option Iv32
  | w :: ws, I :: Is =>
    match mulIv32 w I with
    | some p =>
      match addIv32 acc p with
      | some a => dotFromIv32 a ws Is
      | none => none
    | none => none
  | _, _ => some acc

/-- A dot product's interval: from the first product's, `[+0, +0]` when empty. -/
@[expose] def dotIv32 : List Nat → List Iv32 → Option Iv32
  | w :: ws, I :: Is =>
    match mulIv32 w I with
    | some p => dotFromIv32 p ws Is
    | none => none
  | _, _ => some ⟨0, 0⟩

/-- An activation's interval: its value at each end (both are monotone). -/
@[expose] def actIv32 : Act → Iv32 → Iv32
  | .relu, I => ⟨relu32 I.lo, relu32 I.hi⟩
  | .identity, I => I

/-- The intervals of a layer's outputs `act (row · x + b)`. -/
@[expose] def rowsIv32 (act : Act) (B : List Iv32) : List (List Nat) → List Nat → Option (List Iv32)
  | row :: rows, b :: bs =>
    match dotIv32 row B with
    | some d =>
      match addIv32 d ⟨b, b⟩ with
      | some s =>
        match rowsIv32 act B rows bs with
        | some rest => some (actIv32 act s :: rest)
        | none => none
      | none => none
    | none => none
  | _, _ => some []

/-- The output box of a network: each layer's box from the previous one's. -/
@[expose] def netIv32 : List Dense32 → List Iv32 → Option (List Iv32)
  | [], B => some B
  | L :: Ls, B =>
    match rowsIv32 L.act B L.weight L.bias with
    | some B' => netIv32 Ls B'
    | none => none

theorem decode_signed_zero (k : Nat) : decode (k % 2 * 2 ^ 31) = 0 := by
  cases Nat.mod_two_eq_zero_or_one k with
  | inl h => rw [h]; decide +kernel
  | inr h => rw [h]; decide +kernel

theorem isFinite_signed_zero (k : Nat) : isFinite (k % 2 * 2 ^ 31) = true := by
  cases Nat.mod_two_eq_zero_or_one k with
  | inl h => rw [h]; decide +kernel
  | inr h => rw [h]; decide +kernel

/-- A product's value and finiteness are those of its exact result rounded (an exact zero's sign
does not change its value). -/
theorem mul_eq_round (m : Mode) (a b : Nat) :
    decode (mul m a b) = decode (round m (decode a * decode b)) ∧
      isFinite (mul m a b) = isFinite (round m (decode a * decode b)) := by
  unfold mul
  dsimp only
  split
  · next h =>
    rw [h, round_zero, decode_signed_zero, isFinite_signed_zero]
    exact ⟨by decide +kernel, by decide +kernel⟩
  · exact ⟨rfl, rfl⟩

theorem zeroSum_zero (m : Mode) (a b : Nat) : decode (zeroSum m a b) = 0 ∧ isFinite (zeroSum m a b) = true := by
  unfold zeroSum
  split
  · unfold signBit; exact ⟨decode_signed_zero _, isFinite_signed_zero _⟩
  · cases m <;> exact ⟨by decide +kernel, by decide +kernel⟩

/-- A sum's value and finiteness are those of its exact result rounded. -/
theorem add_eq_round (m : Mode) (a b : Nat) :
    decode (add m a b) = decode (round m (decode a + decode b)) ∧
      isFinite (add m a b) = isFinite (round m (decode a + decode b)) := by
  unfold add
  dsimp only
  split
  · next h =>
    rw [h, round_zero, (zeroSum_zero m a b).1, (zeroSum_zero m a b).2]
    exact ⟨by decide +kernel, by decide +kernel⟩
  · exact ⟨rfl, rfl⟩

theorem Iv32.ofEnds_some {lo hi : Nat} {J : Iv32} (h : Iv32.ofEnds lo hi = some J) :
    J = ⟨lo, hi⟩ ∧ isFinite lo = true ∧ isFinite hi = true := by
  unfold Iv32.ofEnds at h
  split at h
  · next hf =>
    cases h
    simp only [Bool.and_eq_true] at hf
    exact ⟨rfl, hf.1, hf.2⟩
  · cases h

/-- An operation's result executed to nearest lies in the interval of the directed results at the
ends, once those are finite. -/
theorem rne_mem_ofEnds {lo v hi : Rat} {r : Nat} (hl : lo ≤ v) (hh : v ≤ hi)
    (hr : decode r = decode (round .rne v) ∧ isFinite r = isFinite (round .rne v))
    {a b : Nat} (ha : decode a = decode (round .rdn lo) ∧ isFinite a = isFinite (round .rdn lo))
    (hb : decode b = decode (round .rup hi) ∧ isFinite b = isFinite (round .rup hi))
    {J : Iv32} (hJ : Iv32.ofEnds a b = some J) : J.Mem r := by
  obtain ⟨e, fa, fb⟩ := Iv32.ofEnds_some hJ
  subst e
  rw [ha.2] at fa
  rw [hb.2] at fb
  have := round_rne_mem hl hh fa fb
  unfold Iv32.Mem
  rw [hr.1, hr.2, ha.1, hb.1]
  exact this

theorem mul_le_mul_of_nonpos {w a b : Rat} (hw : w ≤ 0) (hab : a ≤ b) : w * b ≤ w * a := by
  have := Rat.mul_nonneg (show 0 ≤ -w by grind) (show 0 ≤ b - a by grind)
  grind

/-- **The product interval encloses the executed product.** -/
theorem mulIv32_sound {w x : Nat} {I J : Iv32} (hx : I.Mem x) (h : mulIv32 w I = some J) :
    J.Mem (mul .rne w x) := by
  obtain ⟨_, hlo, hhi⟩ := hx
  unfold mulIv32 at h
  split at h
  · next hw =>
    exact rne_mem_ofEnds (Rat.mul_le_mul_of_nonneg_left hlo hw) (Rat.mul_le_mul_of_nonneg_left hhi hw)
      (mul_eq_round .rne w x) (mul_eq_round .rdn w I.lo) (mul_eq_round .rup w I.hi) h
  · next hw =>
    have hw' : decode w ≤ 0 := by grind
    exact rne_mem_ofEnds (mul_le_mul_of_nonpos hw' hhi) (mul_le_mul_of_nonpos hw' hlo)
      (mul_eq_round .rne w x) (mul_eq_round .rdn w I.hi) (mul_eq_round .rup w I.lo) h

/-- **The sum interval encloses the executed sum.** -/
theorem addIv32_sound {p q : Nat} {a b J : Iv32} (hp : a.Mem p) (hq : b.Mem q) (h : addIv32 a b = some J) :
    J.Mem (add .rne p q) := by
  obtain ⟨_, hp1, hp2⟩ := hp
  obtain ⟨_, hq1, hq2⟩ := hq
  unfold addIv32 at h
  exact rne_mem_ofEnds (by grind) (by grind) (add_eq_round .rne p q) (add_eq_round .rdn a.lo b.lo)
    (add_eq_round .rup a.hi b.hi) h

theorem dotFromIv32_sound : ∀ (ws : List Nat) (B : List Iv32) (xs : List Nat) (acc : Iv32) (s : Nat),
    Box32.Mem B xs → acc.Mem s → ∀ {J : Iv32}, dotFromIv32 acc ws B = some J → J.Mem (dotFrom32 s ws xs)
  | [], _, _, acc, s, _, hs, J, h => by
    unfold dotFromIv32 at h; cases h; unfold dotFrom32; exact hs
  | w :: ws, [], xs, acc, s, hB, hs, J, h => by
    cases xs with
    | nil => unfold dotFromIv32 at h; cases h; unfold dotFrom32; exact hs
    | cons _ _ => exact absurd hB (by unfold Box32.Mem; exact id)
  | w :: ws, I :: Is, [], acc, s, hB, hs, J, h => absurd hB (by unfold Box32.Mem; exact id)
  | w :: ws, I :: Is, x :: xs, acc, s, hB, hs, J, h => by
    unfold Box32.Mem at hB
    unfold dotFromIv32 at h
    unfold dotFrom32
    split at h
    · next p hp =>
      split at h
      · next a ha =>
        exact dotFromIv32_sound ws Is xs a _ hB.2 (addIv32_sound hs (mulIv32_sound hB.1 hp) ha) h
      · cases h
    · cases h

theorem zero_mem : (⟨0, 0⟩ : Iv32).Mem 0 := ⟨by decide, Rat.le_refl, Rat.le_refl⟩

/-- **The dot product interval encloses the executed dot product.** -/
theorem dotIv32_sound : ∀ (ws : List Nat) {B : List Iv32} {xs : List Nat}, Box32.Mem B xs → ∀ {J : Iv32},
    dotIv32 ws B = some J → J.Mem (dot32 ws xs)
  | [], _, _, _, J, h => by
    unfold dotIv32 at h; cases h; unfold dot32; exact zero_mem
  | w :: ws, [], xs, hB, J, h => by
    cases xs with
    | nil => unfold dotIv32 at h; cases h; unfold dot32; exact zero_mem
    | cons _ _ => exact absurd hB (by unfold Box32.Mem; exact id)
  | w :: ws, I :: Is, [], hB, J, h => absurd hB (by unfold Box32.Mem; exact id)
  | w :: ws, I :: Is, x :: xs, hB, J, h => by
    unfold Box32.Mem at hB
    unfold dot32
    cases hp : mulIv32 w I with
    | none => simp [dotIv32, hp] at h
    | some p =>
      simp only [dotIv32, hp] at h
      exact dotFromIv32_sound ws Is xs p _ hB.2 (mulIv32_sound hB.1 hp) h

theorem decode_relu32 (p : Nat) : decode (relu32 p) = if 0 < decode p then decode p else 0 := by
  unfold relu32
  split
  · rfl
  · decide +kernel

/-- **The activation interval encloses the executed activation.** -/
theorem actIv32_sound (act : Act) {I : Iv32} {p : Nat} (h : I.Mem p) : (actIv32 act I).Mem (act.eval32 p) := by
  cases act with
  | identity => exact h
  | relu =>
    obtain ⟨hf, h1, h2⟩ := h
    refine ⟨?_, ?_, ?_⟩
    · show isFinite (relu32 p) = true
      unfold relu32; split
      · exact hf
      · decide
    · show decode (relu32 I.lo) ≤ decode (relu32 p)
      rw [decode_relu32, decode_relu32]
      split <;> split <;> grind
    · show decode (relu32 p) ≤ decode (relu32 I.hi)
      rw [decode_relu32, decode_relu32]
      split <;> split <;> grind

theorem point_mem {b : Nat} (hb : isFinite b = true) : (⟨b, b⟩ : Iv32).Mem b := ⟨hb, Rat.le_refl, Rat.le_refl⟩

/-- **A layer's intervals enclose its binary32 execution**, for finite biases. -/
theorem rowsIv32_sound (act : Act) {B : List Iv32} {xs : List Nat} (hB : Box32.Mem B xs) :
    ∀ (rows : List (List Nat)) (bs : List Nat), allFinite bs = true → ∀ {B' : List Iv32},
      rowsIv32 act B rows bs = some B' → Box32.Mem B' (layerOut32 act xs rows bs)
  | [], bs, _, B', h => by
    unfold rowsIv32 at h; cases h; unfold layerOut32; exact True.intro
  | _ :: _, [], _, B', h => by
    unfold rowsIv32 at h; cases h; unfold layerOut32; exact True.intro
  | row :: rows, b :: bs, hf, B', h => by
    unfold allFinite at hf
    simp only [Bool.and_eq_true] at hf
    unfold rowsIv32 at h
    unfold layerOut32
    split at h
    · next d hd =>
      split at h
      · next s hs =>
        split at h
        · next rest hrest =>
          cases h
          exact ⟨actIv32_sound act (addIv32_sound (dotIv32_sound row hB hd) (point_mem hf.1) hs),
            rowsIv32_sound act hB rows bs hf.2 hrest⟩
        · cases h
      · cases h
    · cases h

/-- Every bias of every layer is a finite binary32. -/
@[expose] def biasesFinite : List Dense32 → Bool
  | [] => true
  | L :: Ls => allFinite L.bias && biasesFinite Ls

/-- **IBP encloses the binary32 execution** (`ibp_f32` in the Rust): if every input pattern lies
in its interval and the network's biases are finite, then the declared-order binary32 execution of
the network gives outputs in the intervals `netIv32` computes, and every one is finite. The
execution is `Num/Round.lean`'s model, which is IEEE's for finite operands: payload weights are
(generated modules check `allFiniteRows`), and an infinite weight is outside this theorem's reach. So a bound
proved for that box holds for what the network computes in binary32, not only over the reals. -/
theorem netIv32_sound : ∀ (net : List Dense32) {B : List Iv32} {xs : List Nat}, biasesFinite net = true →
    Box32.Mem B xs → ∀ {B' : List Iv32}, netIv32 net B = some B' → Box32.Mem B' (evalNet32 net xs)
  | [], B, xs, _, hB, B', h => by
    unfold netIv32 at h; cases h; unfold evalNet32; exact hB
  | L :: Ls, B, xs, hf, hB, B', h => by
    unfold biasesFinite at hf
    simp only [Bool.and_eq_true] at hf
    unfold netIv32 at h
    unfold evalNet32
    split at h
    · next B1 h1 => exact netIv32_sound Ls hf.2 (rowsIv32_sound L.act hB L.weight L.bias hf.1 h1) h
    · cases h

end TorchLean.Bounds
