module

public import TorchLean.Bounds.IBP

/-! # Piecewise-linear enclosures of a function

`src/bounds/envelope.rs` encloses `tanh`, `σ` and GELU, none of which has a rational value, by
pieces: on each interval `[lo, hi]` of a contiguous list, the function lies between two lines.
A network with such an activation is certified for every function within the enclosure
(`InEnv f E`), which `docs/smooth-activations.md` and `docs/trust.md` argue the real function is.

- `envIv E I`: the hull, over the pieces that meet `I`, of their lines' extremes on the overlap;
- `envIv_sound`: for `f` within `E` and `z ∈ I` (with `I` inside the pieces' span), `f z` lies in
  `envIv E I`.
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

/-- `f` lies within the enclosure `E`: on every piece, between its two lines. -/
@[expose] def InEnv (f : Rat → Rat) (E : List Piece) : Prop :=
  ∀ p ∈ E, ∀ z, p.lo ≤ z → z ≤ p.hi → p.al * z + p.bl ≤ f z ∧ f z ≤ p.ah * z + p.bh

/-- There are pieces, and they follow each other without a gap: each ends where the next begins. -/
@[expose] def contiguous : List Piece → Bool
  | p :: q :: ps => decide (p.hi = q.lo) && contiguous (q :: ps)
  | [_] => true
  | [] => false

/-- Where the pieces begin (`0` for none). -/
@[expose] def envLo : List Piece → Rat
  | p :: _ => p.lo
  | [] => 0

/-- Where the pieces end (`0` for none). -/
@[expose] def envHi : List Piece → Rat
  | [p] => p.hi
  | _ :: ps => envHi ps
  | [] => 0

/-- Whether the piece meets `I`. -/
@[expose] def Piece.meets (p : Piece) (I : Interval) : Bool := decide (p.lo ≤ I.hi) && decide (I.lo ≤ p.hi)

/-- The least value of the lower line and the greatest of the upper line over `[a, b]`: a line's
extremes on an interval are at its ends. -/
@[expose] def Piece.over (p : Piece) (a b : Rat) : Interval :=
  ⟨min (p.al * a + p.bl) (p.al * b + p.bl), max (p.ah * a + p.bh) (p.ah * b + p.bh)⟩

/-- The smallest interval holding both. -/
@[expose] def hull (I J : Interval) : Interval := ⟨min I.lo J.lo, max I.hi J.hi⟩

/-- The enclosure's image of `I`: the hull, over the pieces that meet `I`, of their lines'
extremes on the overlap; `none` when no piece meets `I`. -/
@[expose] def envIv (I : Interval) : List Piece → Option Interval
  | [] => none
  | p :: ps =>
    if p.meets I then
      let J := p.over (max I.lo p.lo) (min I.hi p.hi)
      match envIv I ps with
      | some K => some (hull J K)
      | none => some J
    else envIv I ps

/-- An interval of the enclosure: its pieces contiguous and spanning `I`. -/
@[expose] def spans (E : List Piece) (I : Interval) : Bool :=
  contiguous E && decide (envLo E ≤ I.lo) && decide (I.hi ≤ envHi E)

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

/-- Once a member of `E`'s pieces meets `I` around `z` with `f z` between its lines, `f z` is in
`envIv I E`. -/
theorem envIv_of_piece {f : Rat → Rat} {I : Interval} {z : Rat} (hz : I.Mem z) :
    ∀ (E : List Piece) (p : Piece), p ∈ E → p.lo ≤ z → z ≤ p.hi →
      p.al * z + p.bl ≤ f z → f z ≤ p.ah * z + p.bh → ∃ K, envIv I E = some K ∧ K.Mem (f z)
  | [], _, hp, _, _, _, _ => by simp at hp
  | q :: qs, p, hp, hlo, hhi, hl, hu => by
    have hmeet : ∀ r : Piece, r.lo ≤ z → z ≤ r.hi → r.meets I = true := fun r h1 h2 => by
      simp only [Piece.meets, Bool.and_eq_true, decide_eq_true_eq]
      exact ⟨Rat.le_trans h1 hz.2, Rat.le_trans hz.1 h2⟩
    simp only [List.mem_cons] at hp
    rcases hp with rfl | hp
    · have hm := hmeet p hlo hhi
      have hJ : (p.over (max I.lo p.lo) (min I.hi p.hi)).Mem (f z) :=
        over_mem (by grind [Interval.Mem]) (by grind [Interval.Mem]) hl hu
      simp only [envIv, hm, if_true]
      split
      · exact ⟨_, rfl, hull_left hJ⟩
      · exact ⟨_, rfl, hJ⟩
    · obtain ⟨K, hK, hmem⟩ := envIv_of_piece hz qs p hp hlo hhi hl hu
      simp only [envIv, hK]
      split
      · exact ⟨_, rfl, hull_right hmem⟩
      · exact ⟨K, rfl, hmem⟩

/-- A point between a contiguous list's ends lies in one of its pieces. -/
theorem piece_of_span : ∀ (E : List Piece) (z : Rat), contiguous E = true → envLo E ≤ z → z ≤ envHi E →
    ∃ p ∈ E, p.lo ≤ z ∧ z ≤ p.hi
  | [], _, hc, _, _ => by simp [contiguous] at hc
  | [p], z, _, h1, h2 => ⟨p, by simp, h1, h2⟩
  | p :: q :: ps, z, hc, h1, h2 => by
    simp only [contiguous, Bool.and_eq_true, decide_eq_true_eq] at hc
    rcases (Rat.le_total : z ≤ p.hi ∨ p.hi ≤ z) with h | h
    · exact ⟨p, by simp, h1, h⟩
    · obtain ⟨r, hr, hr1, hr2⟩ := piece_of_span (q :: ps) z hc.2 (by simp only [envLo]; rw [← hc.1]; exact h) h2
      exact ⟨r, List.mem_cons_of_mem _ hr, hr1, hr2⟩

/-- **The enclosure's image is sound**: for `f` within `E` and `I` inside `E`'s span, every
`z ∈ I` has `f z ∈ envIv I E`. -/
theorem envIv_sound {f : Rat → Rat} {E : List Piece} (hf : InEnv f E) {I : Interval} (hs : spans E I = true)
    {z : Rat} (hz : I.Mem z) : ∃ K, envIv I E = some K ∧ K.Mem (f z) := by
  simp only [spans, Bool.and_eq_true, decide_eq_true_eq] at hs
  obtain ⟨⟨hc, hlo⟩, hhi⟩ := hs
  obtain ⟨p, hp, h1, h2⟩ := piece_of_span E z hc (Rat.le_trans hlo hz.1) (Rat.le_trans hz.2 hhi)
  obtain ⟨hl, hu⟩ := hf p hp z h1 h2
  exact envIv_of_piece hz E p hp h1 h2 hl hu

end TorchLean.Bounds
