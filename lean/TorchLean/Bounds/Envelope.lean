module

public import TorchLean.Bounds.IBP

/-! # Piecewise-linear enclosures of a function

`src/bounds/envelope.rs` encloses `tanh`, `σ` and GELU, none of which has a rational value, by
pieces: on each interval `[lo, hi]` of a contiguous run, the function lies between two lines.
A network with such an activation is certified for every function within the enclosure
(`InEnv f E`), which `docs/smooth-activations.md` and `docs/trust.md` argue the real function is.
The pieces are stored as a search tree (`Env`), whose well-formedness (`Env.wf`: no gaps) each
enclosure proves once, so a certificate pays one path of the tree per neuron.

- `envIv I E`: at a piece, its lines' extremes on the overlap with `I`; at a split, the side `I`
  lies in, or the hull of both sides;
- `envIv_sound`: for `f` within a well-formed `E` and `z ∈ I` (with `I` inside `E`'s span), `f z`
  lies in `envIv I E`.
-/

public section

namespace TorchLean.Bounds

open TorchLean.IR

/-- A piece of an enclosure: on `[lo, hi]` the function lies between `al·z + bl` and `ah·z + bh`. -/
structure Piece where
  lo : Rat
  hi : Rat
  al : Rat
  bl : Rat
  ah : Rat
  bh : Rat

/-- An enclosure: its pieces as a search tree. `split m l r` holds the pieces of `l`, which end at
`m`, then those of `r`, which begin there, so the image of a narrow interval visits one path of the
tree (about `log₂` of the pieces) instead of every piece. -/
inductive Env where
  | piece (p : Piece)
  | split (m : Rat) (l r : Env)

/-- Where the enclosure begins. -/
@[expose] def Env.lo : Env → Rat
  | .piece p => p.lo
  | .split _ l _ => l.lo

/-- Where the enclosure ends. -/
@[expose] def Env.hi : Env → Rat
  | .piece p => p.hi
  | .split _ _ r => r.hi

/-- Each split point is where its left part ends and its right part begins: the pieces follow each
other without a gap. -/
@[expose] def Env.wf : Env → Bool
  | .piece _ => true
  | .split m l r => decide (l.hi = m) && decide (r.lo = m) && l.wf && r.wf

/-- `f` lies within the enclosure `E`: on every piece, between its two lines. -/
@[expose] def InEnv (f : Rat → Rat) : Env → Prop
  | .piece p => ∀ z, p.lo ≤ z → z ≤ p.hi → p.al * z + p.bl ≤ f z ∧ f z ≤ p.ah * z + p.bh
  | .split _ l r => InEnv f l ∧ InEnv f r

/-- The least value of the lower line and the greatest of the upper line over `[a, b]`: a line's
extremes on an interval are at its ends. -/
@[expose] def Piece.over (p : Piece) (a b : Rat) : Interval :=
  ⟨min (p.al * a + p.bl) (p.al * b + p.bl), max (p.ah * a + p.bh) (p.ah * b + p.bh)⟩

/-- The smallest interval holding both. -/
@[expose] def hull (I J : Interval) : Interval := ⟨min I.lo J.lo, max I.hi J.hi⟩

/-- The enclosure's image of `I`: at a piece, its lines' extremes on the overlap; at a split, the
side `I` lies in, or the hull of both sides' images when `I` straddles the split point. -/
@[expose] def envIv (I : Interval) : Env → Interval
  | .piece p => p.over (max I.lo p.lo) (min I.hi p.hi)
  | .split m l r =>
    if I.hi ≤ m then envIv I l
    else if m ≤ I.lo then envIv I r
    else hull (envIv I l) (envIv I r)

/-- `I` lies inside the enclosure's span. -/
@[expose] def spans (E : Env) (I : Interval) : Bool :=
  decide (E.lo ≤ I.lo) && decide (I.hi ≤ E.hi)

theorem line_ge_min (a b c z : Rat) (ha : a ≤ z) (hb : z ≤ b) : min (c * a) (c * b) ≤ c * z := by
  rcases (Rat.le_total : (0 : Rat) ≤ c ∨ c ≤ 0) with h | h
  · have := Rat.mul_le_mul_of_nonneg_left ha h
    grind
  · have := Rat.mul_le_mul_of_nonneg_left hb (show 0 ≤ -c by grind)
    grind

theorem line_le_max (a b c z : Rat) (ha : a ≤ z) (hb : z ≤ b) : c * z ≤ max (c * a) (c * b) := by
  rcases (Rat.le_total : (0 : Rat) ≤ c ∨ c ≤ 0) with h | h
  · have := Rat.mul_le_mul_of_nonneg_left hb h
    grind
  · have := Rat.mul_le_mul_of_nonneg_left ha (show 0 ≤ -c by grind)
    grind

/-- A point of the overlap: the piece's lines there lie within their extremes over it. -/
theorem over_mem {f : Rat → Rat} {p : Piece} {a b z : Rat} (ha : a ≤ z) (hb : z ≤ b)
    (hl : p.al * z + p.bl ≤ f z) (hu : f z ≤ p.ah * z + p.bh) : (p.over a b).Mem (f z) := by
  unfold Piece.over Interval.Mem
  have h1 := line_ge_min a b p.al z ha hb
  have h2 := line_le_max a b p.ah z ha hb
  constructor <;> grind

theorem hull_left {I J : Interval} {v : Rat} (h : I.Mem v) : (hull I J).Mem v := by
  unfold hull Interval.Mem at *
  grind

theorem hull_right {I J : Interval} {v : Rat} (h : J.Mem v) : (hull I J).Mem v := by
  unfold hull Interval.Mem at *
  grind

/-- **The image holds every value**: for `f` within a well-formed `E` and `z` in both `I` and
`E`'s span, `f z` lies in `envIv I E`. -/
theorem envIv_mem {f : Rat → Rat} {I : Interval} {z : Rat} (hz : I.Mem z) :
    ∀ (E : Env), E.wf = true → InEnv f E → E.lo ≤ z → z ≤ E.hi → (envIv I E).Mem (f z)
  | .piece p, _, hf, h1, h2 => by
    simp only [Env.lo, Env.hi] at h1 h2
    obtain ⟨hl, hu⟩ := hf z h1 h2
    exact over_mem (by grind [Interval.Mem]) (by grind [Interval.Mem]) hl hu
  | .split m l r, hw, hf, h1, h2 => by
    simp only [Env.wf, Bool.and_eq_true, decide_eq_true_eq] at hw
    obtain ⟨⟨⟨hl, hr⟩, hwl⟩, hwr⟩ := hw
    simp only [Env.lo] at h1
    simp only [Env.hi] at h2
    have left : z ≤ m → (envIv I l).Mem (f z) := fun h => envIv_mem hz l hwl hf.1 h1 (hl ▸ h)
    have right : m ≤ z → (envIv I r).Mem (f z) := fun h => envIv_mem hz r hwr hf.2 (hr ▸ h) h2
    simp only [envIv]
    split
    · exact left (Rat.le_trans hz.2 (by assumption))
    · split
      · exact right (Rat.le_trans (by assumption) hz.1)
      · rcases (Rat.le_total : z ≤ m ∨ m ≤ z) with h | h
        · exact hull_left (left h)
        · exact hull_right (right h)

/-- **The enclosure's image is sound**: for `f` within a well-formed `E` and `I` inside `E`'s span,
every `z ∈ I` has `f z ∈ envIv I E`. -/
theorem envIv_sound {f : Rat → Rat} {E : Env} (hw : E.wf = true) (hf : InEnv f E) {I : Interval}
    (hs : spans E I = true) {z : Rat} (hz : I.Mem z) : (envIv I E).Mem (f z) := by
  simp only [spans, Bool.and_eq_true, decide_eq_true_eq] at hs
  exact envIv_mem hz E hw hf (Rat.le_trans hs.1 hz.1) (Rat.le_trans hz.2 hs.2)

end TorchLean.Bounds
