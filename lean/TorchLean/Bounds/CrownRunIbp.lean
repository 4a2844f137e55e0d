module

public import TorchLean.Bounds.CrownRun

/-! # A packed run with no running passes: interval bounds of one layer

The packed run of `CrownRun` joins each hidden layer's box passes to the passes coming down
from above. Started with no passes at all and no levels, the same run proves a layer's box from
the box of its input alone: each neuron's two passes cross the layer once and close over that box.
That is interval arithmetic (IBP) for one affine layer, done by the checker already proved sound,
so `ibpRun_sound` needs no new arithmetic: it instantiates `runPk_sound` with an empty batch.

The branch-and-bound leaf checker uses it where interval arithmetic over the box of the layer
below is tighter than the CROWN passes (`Cert/PackedLevels.lean`).
-/

public section

namespace TorchLean.Bounds

open TorchLean.Num

/-- **The IBP run** of a layer of `lo.length` neurons: their box passes over `M` (ends `lo`, `hi`),
with bias `2^β` in fields of `B` bits, crossing `F.L` and closing over `F`'s box. -/
@[expose] noncomputable def ibpRun (B β M : Nat) (lo hi : List Int) (F : ClosePk) : Bool :=
  runPk B β (2 * lo.length) [] F (appendUnits B β M lo.length 1 0 (List.replicate lo.length 0))
    (boxConsts B β lo hi)

/-- An empty batch packs to zero. -/
theorem pk_nil {α : Type} (B β : Nat) (e : α → Int) : pk B β ([] : List α) e = 0 := by
  simp [pk, packN]

/-- **An accepted IBP run proves its passes**: every box pass ends with `finalSpec ≥ 0` over the
close `F`, given the widths fit and the ends are covered by the bias. -/
theorem ibpRun_sound {B β M : Nat} {lo hi : List Int} {F : ClosePk} (hfit : RunFit B β lo.length [] F)
    (hM : M < 2 ^ β) (hl : lo.length = hi.length) (hlob : ∀ l ∈ lo, InBias β (-l)) (hhib : ∀ h ∈ hi, InBias β h)
    (h : ibpRun B β M lo hi F = true) : ∀ e ∈ boxPasses M lo.length 0 lo hi, 0 ≤ finalSpec [] F e.1 e.2 := by
  let v : List Empty := []
  let fs : List (Empty → Int) := List.replicate lo.length (fun _ => 0)
  let P := boxPasses (M : Int) lo.length 0 lo hi
  have hA := appendUnits_pk B β M hM v lo hi hl 0 fs (by simp [fs])
  have hfs : fs.map (pk B β v) = List.replicate lo.length 0 := by
    simp [fs, v, pk_nil]
  have hv : v.length = 0 := rfl
  rw [hfs, hv, Nat.mul_zero, Nat.pow_zero] at hA
  have hK : boxConsts B β lo hi = pk B β (v.map Sum.inl ++ P.map Sum.inr) (Sum.elim (fun _ => 0) (fun e => e.2)) := by
    rw [pk_append, pk_nil, hv, Nat.mul_zero, Nat.pow_zero, Nat.one_mul, Nat.zero_add, boxConsts_pk B β M lo.length 0]
  have hn : 2 * lo.length = (v.map Sum.inl ++ P.map Sum.inr).length := by
    simp [v, P, length_boxPasses _ _ 0 lo hi hl]
  unfold ibpRun at h
  rw [hA, hK, hn] at h
  have hin : AllIn β (v.map Sum.inl ++ P.map Sum.inr)
      (Sum.elim (fun _ => 0) (fun e => e.2) :: extendFns 0 fs) := by
    intro p hp f hf
    simp only [List.mem_append, List.mem_map] at hp
    simp only [List.mem_cons] at hf
    rcases hp with ⟨p, hp, _⟩ | ⟨e, he, rfl⟩
    · simp [v] at hp
    · rcases hf with rfl | hf
      · rcases boxPasses_const _ _ 0 lo hi e he with ⟨l, hl, h⟩ | ⟨h', hh, h⟩
        · simp only [Sum.elim_inr, h]; exact hlob l hl
        · simp only [Sum.elim_inr, h]; exact hhib h' hh
      · obtain ⟨g, _, k, rfl⟩ := mem_extendFns hf
        obtain ⟨j, c, hc, hcM⟩ := boxPasses_unit _ _ 0 lo hi e he
        simp only [Sum.elim_inr, hc]
        have hMi : InBias β (M : Int) ∧ InBias β (-(M : Int)) ∧ InBias β 0 := by
          unfold InBias; omega
        rcases getD_unitAt_cases lo.length j k c with h | h <;> rw [h]
        · rcases hcM with rfl | rfl
          · exact hMi.1
          · exact hMi.2.1
        · exact hMi.2.2
  have hfit' : RunFit B β (extendFns 0 fs).length [] F := by
    rw [length_extendFns]; simpa [fs] using hfit
  obtain ⟨hpass, _⟩ := runPk_sound [] F β _ _ _ hfit' hin h
  intro e he
  have h := hpass (Sum.inr e) (by simp [P, he])
  rw [extendFns_inr] at h
  obtain ⟨j, c, hc, _⟩ := boxPasses_unit _ _ 0 lo hi e he
  have hlen : fs.length = lo.length := by simp [fs]
  rw [hlen, ← List.range_eq_range', hc, range_getD_unitAt] at h
  rw [hc]
  simpa using h

end TorchLean.Bounds
