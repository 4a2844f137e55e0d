module

public import TorchLean.IR.SmoothView
public import TorchLean.Bounds.Envelopes
public import TorchLean.Cert.Bab
public import TorchLean.Cert.Lowered

/-! # Leaves of networks with smooth activations: IBP through the enclosures

A network with `tanh`, `σ` or GELU is certified for every choice `σ` of the three functions within
the enclosures of `Bounds/Envelopes.lean` (`Within σ`). `envLeafOk` is the IBP leaf check
(`ibpLeafOk`) for `SDense` layers: an exact activation's image as in `ibpAct`, a smooth one's by
`envIv` over its enclosure (refused when the interval leaves the enclosure's span), each claimed box
checked to contain the computed one, then one refuted combination of rows per disjunct.
`envLeafOk_safe` proves a checked leaf safe for every such `σ`; `denoteS_of_smooth_mem` moves the
fact to the graph's denotation `denoteS σ`.
-/

public section

namespace TorchLean.Cert

open TorchLean.IR TorchLean.Bounds

/-- The enclosure of each smooth activation (`Bounds/Envelopes.lean`). -/
@[expose] noncomputable def envOf : Smooth → Env
  | .tanh => tanhEnv
  | .sigmoid => sigmoidEnv
  | .gelu => geluEnv

/-- **The functions a certificate speaks about**: each of `σ`'s three lies within its enclosure. -/
@[expose] def Within (σ : Fns) : Prop := ∀ k, InEnv (σ.apply k) (envOf k)

/-- An activation's image of `I`: monotone exact ones by their ends, smooth ones through their
enclosure when `I` lies inside its span (`none` otherwise). -/
@[expose] noncomputable def ibpSAct : SAct → Interval → Option Interval
  | .exact a, I => some (ibpAct a I)
  | .smooth k, I => if spans (envOf k) I then some (envIv I (envOf k)) else none

/-- Every enclosure is well formed (each proved once, in `Bounds/Envelopes.lean`). -/
theorem envOf_wf : ∀ k, (envOf k).wf = true
  | .tanh => tanhEnv_wf
  | .sigmoid => sigmoidEnv_wf
  | .gelu => geluEnv_wf

theorem ibpSAct_sound {σ : Fns} (hσ : Within σ) {a : SAct} {I J : Interval} (h : ibpSAct a I = some J)
    {z : Rat} (hz : I.Mem z) : J.Mem (a.eval σ z) := by
  cases a with
  | exact a =>
    simp only [ibpSAct, Option.some.injEq] at h
    subst h
    exact ibpAct_sound a hz
  | smooth k =>
    simp only [ibpSAct] at h
    split at h
    · rename_i hs
      simp only [Option.some.injEq] at h
      subst h
      exact envIv_sound (envOf_wf k) (hσ k) hs hz
    · simp at h

/-- The image of `B` under each row `act (row · x + b)`, or `none` when an activation refuses. -/
@[expose] noncomputable def ibpSRows (act : SAct) (B : Box) : List (List Rat) → List Rat → Option Box
  | row :: rows, b :: bs =>
    match ibpSAct act ((ibpDotSkip row B).add ⟨b, b⟩), ibpSRows act B rows bs with
    | some I, some Is => some (I :: Is)
    | _, _ => none
  | _, _ => some []

theorem ibpSRows_sound {σ : Fns} (hσ : Within σ) (act : SAct) (B : Box) (x : List Rat) (hx : Box.Mem B x) :
    ∀ (rows : List (List Rat)) (bs : List Rat) (C : Box), ibpSRows act B rows bs = some C →
      Box.Mem C ((layerOut .identity x rows bs).map (act.eval σ))
  | [], _, C, h => by simp only [ibpSRows, Option.some.injEq] at h; subst h; simp [layerOut, Box.Mem]
  | _ :: _, [], C, h => by simp only [ibpSRows, Option.some.injEq] at h; subst h; simp [layerOut, Box.Mem]
  | row :: rows, b :: bs, C, h => by
    simp only [ibpSRows] at h
    split at h
    · rename_i I Is hI hIs
      simp only [Option.some.injEq] at h
      subst h
      have hz : ((ibpDotSkip row B).add ⟨b, b⟩).Mem (dot row x + b) :=
        Interval.mem_add (ibpDotSkip_eq row B ▸ ibpDot_sound row B x hx) ⟨Rat.le_refl, Rat.le_refl⟩
      simp only [layerOut, List.map_cons, Box.Mem, Act.eval]
      exact ⟨ibpSAct_sound hσ hI hz, ibpSRows_sound hσ act B x hx rows bs Is hIs⟩
    · simp at h

/-- One step: the layer's image of `B` exists and lies inside the claimed `C`. -/
@[expose] noncomputable def envStep (L : SDense) (B C : Box) : Bool :=
  match ibpSRows L.act B L.weight L.bias with
  | some D => boxSubset D C
  | none => false

/-- Every step of the chain `B₀ →L₁→ B₁ →L₂→ …` checks. -/
@[expose] noncomputable def envChainOk : Box → List (SDense × Box) → Bool
  | _, [] => true
  | B, (L, C) :: rest => envStep L B C && envChainOk C rest

/-- The last box of a chain that starts at `B`. -/
@[expose] def envOut : Box → List (SDense × Box) → Box
  | B, [] => B
  | _, (_, C) :: rest => envOut C rest

/-- **A checked chain is sound** for every `σ` within the enclosures: the network maps every point
of the first box into the last. -/
theorem envChain_sound {σ : Fns} (hσ : Within σ) : ∀ (B : Box) (steps : List (SDense × Box)) (x : List Rat),
    envChainOk B steps = true → Box.Mem B x → Box.Mem (envOut B steps) (evalNetS σ (steps.map Prod.fst) x)
  | _, [], _, _, hx => hx
  | B, (L, C) :: rest, x, h, hx => by
    simp only [envChainOk, Bool.and_eq_true] at h
    have hC : Box.Mem C (L.eval σ x) := by
      have h1 := h.1
      unfold envStep at h1
      split at h1
      · rename_i D hD
        exact mem_of_boxSubset h1 (ibpSRows_sound hσ L.act B x hx L.weight L.bias D hD)
      · simp at h1
    exact envChain_sound hσ C rest _ h.2 hC

/-- The whole local check of a leaf of a network with smooth activations: its chain, then one
refuted combination of rows per disjunct. -/
@[expose] noncomputable def envLeafOk (dnf : List (List Row)) (B : Box) (steps : List (SDense × Box))
    (refs : List (List (Nat × Rat) × Rat)) : Bool :=
  envChainOk B steps && refutesAll (fun c => (ibpDot c (envOut B steps)).lo) dnf refs

/-- **A checked leaf is safe** for every `σ` within the enclosures: no input of its box violates the
property. -/
theorem envLeafOk_safe {dnf : List (List Row)} {B : Box} {steps : List (SDense × Box)}
    {refs : List (List (Nat × Rat) × Rat)} (h : envLeafOk dnf B steps refs = true) :
    ∀ σ, Within σ → ∀ x, Box.Mem B x → Safe dnf (evalNetS σ (steps.map Prod.fst) x) := by
  simp only [envLeafOk, Bool.and_eq_true] at h
  intro σ hσ x hx
  exact safe_of_refutesAll (fun c => (ibpDot_sound c _ _ (envChain_sound hσ B steps x h.1 hx)).1) dnf refs h.2

/-- **The smooth chain graph denotes the network on the box**, for every `σ`: if the dense view of
`g` with `params` is `net`, `g`'s one input has shape `s0`, and the box has `numel s0`
coordinates, then every input of the box has the denotation `evalNetS σ net x`. -/
theorem denoteS_of_smooth_mem (σ : Fns) {g : Graph} {params : List Value} {net : List SDense} {s0 : List Nat}
    {B : Box} (h : smoothNet g params = some net ∧ g.inputs = [s0] ∧ B.length = numel s0) {x : List Rat}
    (hx : Box.Mem B x) : denoteS σ g params [x] = some [evalNetS σ net x] :=
  denoteS_smoothNet σ h.2.1 h.1 (by rw [Box.length_of_mem hx, h.2.2])

end TorchLean.Cert
