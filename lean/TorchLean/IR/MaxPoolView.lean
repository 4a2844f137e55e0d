module

public import TorchLean.IR.Steps

/-! # Max pooling as ReLU layers

A max pool has no matrix, but `max p q = relu (q − p) + relu p − relu (−p)` is a sum of three ReLU
values of affine maps. `src/bounds/dense.rs` (`maxpool_layers`) reads a max pool with windows of
`k = kh·kw` values as `k − 1` ReLU layers and one affine layer, the fold `maxOf` computes, one
comparison per layer:

- the first layer (`maxGatherRows`) reads every window of the input and holds, per window, the
  triple `trip a b` of its first two values (whose `tripDecode` is their maximum) and `trip v v`
  for each further value `v` (whose `tripDecode` is `v`);
- each next layer (`maxLevelRows`, block-diagonal over the windows) compares the running maximum
  with the next value the same way;
- the last (`maxOutRows`) adds each window's last triple up.

So the bound engines and the leaf checkers need no rule of their own for max pooling: the ReLU
relaxation covers it. `poolData_max_eq` proves these layers compute `poolData false` on every
input of the right length.
-/

public section

namespace TorchLean.IR

/-! ## Padded rows and block-diagonal matrices -/

theorem dot_append : ∀ (r1 x1 r2 x2 : List Rat), r1.length = x1.length →
    dot (r1 ++ r2) (x1 ++ x2) = dot r1 x1 + dot r2 x2
  | [], [], r2, x2, _ => by show dot r2 x2 = 0 + dot r2 x2; grind
  | [], _ :: _, _, _, h => by simp at h
  | _ :: _, [], _, _, h => by simp at h
  | a :: r1, b :: x1, r2, x2, h => by
    simp only [List.length_cons, Nat.add_right_cancel_iff] at h
    show a * b + dot (r1 ++ r2) (x1 ++ x2) = a * b + dot r1 x1 + dot r2 x2
    rw [dot_append r1 x1 r2 x2 h]; grind

theorem dot_padRight (n : Nat) (r x y : List Rat) (h : r.length = x.length) :
    dot (r ++ List.replicate n 0) (x ++ y) = dot r x := by
  rw [dot_append r x _ y h, dot_zeros]; grind

theorem dot_padLeft (e : Nat) (r x y : List Rat) (h : x.length = e) :
    dot (List.replicate e 0 ++ r) (x ++ y) = dot r y := by
  rw [dot_append _ x r y (by simp [h]), dot_zeros]; grind

theorem dot_neg : ∀ (d x : List Rat), dot (d.map fun w => -w) x = -dot d x
  | [], _ => by show (0 : Rat) = -0; grind
  | _ :: _, [] => by show (0 : Rat) = -0; grind
  | w :: d, v :: x => by
    show -w * v + dot (d.map fun w => -w) x = -(w * v + dot d x)
    rw [dot_neg d x]; grind

/-- The rows `M` applied to each of `n` consecutive blocks of width `e`: a block-diagonal matrix. -/
@[expose] noncomputable def blockDiag (e : Nat) (M : List (List Rat)) : Nat → List (List Rat)
  | 0 => []
  | n + 1 => M.map (· ++ List.replicate (e * n) 0) ++ (blockDiag e M n).map (List.replicate e 0 ++ ·)

theorem length_blockDiag_row (e : Nat) (M : List (List Rat)) (hM : ∀ r ∈ M, r.length = e) :
    ∀ (n : Nat), ∀ r ∈ blockDiag e M n, r.length = e * n
  | 0, r, h => by simp [blockDiag] at h
  | n + 1, r, h => by
    simp only [blockDiag, List.mem_append, List.mem_map] at h
    rcases h with ⟨r', hr', rfl⟩ | ⟨r', hr', rfl⟩
    · simp only [List.length_append, List.length_replicate, hM r' hr', Nat.mul_succ]; omega
    · simp only [List.length_append, List.length_replicate, length_blockDiag_row e M hM n r' hr', Nat.mul_succ]; omega

/-- **A block-diagonal matrix acts block by block.** -/
theorem blockDiag_apply (f : Rat → Rat) (e : Nat) (M : List (List Rat)) (hM : ∀ r ∈ M, r.length = e) :
    ∀ (bs : List (List Rat)), (∀ b ∈ bs, b.length = e) →
      (blockDiag e M bs.length).map (fun r => f (dot r bs.flatten)) = bs.flatMap fun b => M.map fun r => f (dot r b)
  | [], _ => rfl
  | b :: bs, hb => by
    have hb0 : b.length = e := hb b (by simp)
    have ih := blockDiag_apply f e M hM bs (fun b' h => hb b' (List.mem_cons_of_mem _ h))
    simp only [List.length_cons, blockDiag, List.map_append, List.map_map, List.flatten_cons, List.flatMap_cons]
    congr 1
    · apply List.map_congr_left
      intro r hr
      simp only [Function.comp_apply]
      rw [dot_padRight _ r b _ (by rw [hM r hr, hb0])]
    · rw [← ih]
      apply List.map_congr_left
      intro r _
      simp only [Function.comp_apply]
      rw [dot_padLeft e r b _ hb0]

/-! ## One comparison as three ReLU values -/

/-- The three ReLU values that hold `max p q`: `relu (−p + q)`, `relu p`, `relu (−p)`. -/
@[expose] noncomputable def trip (p q : Rat) : List Rat := [Act.eval .relu (-p + q), Act.eval .relu p, Act.eval .relu (-p)]

/-- The row that reads a triple's value: `relu (−p + q) + relu p − relu (−p)`. -/
@[expose] noncomputable def tripDecode : List Rat := [1, 1, -1]

theorem length_trip (p q : Rat) : (trip p q).length = 3 := rfl

theorem dot_tripDecode (p q : Rat) : dot tripDecode (trip p q) = if p < q then q else p := by
  show 1 * Act.eval .relu (-p + q) + (1 * Act.eval .relu p + (-1 * Act.eval .relu (-p) + 0)) = if p < q then q else p
  simp only [Act.eval]
  grind

theorem dot_tripDecode_self (v : Rat) : dot tripDecode (trip v v) = v := by
  rw [dot_tripDecode]; simp

/-- One comparison of `maxOf`'s fold: the first two values replaced by the greater. -/
@[expose] noncomputable def maxStep : List Rat → List Rat
  | a :: b :: rest => (if a < b then b else a) :: rest
  | l => l

/-- `maxStep` applied `m` times. -/
@[expose] noncomputable def maxIter : Nat → List Rat → List Rat
  | 0, L => L
  | m + 1, L => maxIter m (maxStep L)

theorem maxOf_maxStep (a b : Rat) (rest : List Rat) : maxOf (maxStep (a :: b :: rest)) = maxOf (a :: b :: rest) := rfl

theorem maxIter_spec : ∀ (m : Nat) (L : List Rat), L.length = m + 2 →
    (maxIter m L).length = 2 ∧ maxOf (maxIter m L) = maxOf L
  | 0, _, h => ⟨h, rfl⟩
  | m + 1, a :: b :: rest, h => by
    simp only [List.length_cons] at h
    have := maxIter_spec m (maxStep (a :: b :: rest)) (by simp only [maxStep, List.length_cons]; omega)
    exact ⟨this.1, this.2.trans (maxOf_maxStep a b rest)⟩
  | _ + 1, [], h => by simp at h
  | _ + 1, [_], h => by simp at h

/-- A window's values after one comparison, as triples: the greater of the first two, then each
further value carried (`trip v v`). -/
@[expose] noncomputable def tripBlocks : List Rat → List (List Rat)
  | a :: b :: rest => trip a b :: rest.map fun v => trip v v
  | _ => []

/-- The same triples, flat: what a max pool's ReLU layer holds for one window. -/
@[expose] noncomputable def tripData (L : List Rat) : List Rat := (tripBlocks L).flatten

theorem tripBlocks_decode (a b : Rat) (rest : List Rat) :
    (tripBlocks (a :: b :: rest)).map (dot tripDecode) = maxStep (a :: b :: rest) := by
  simp only [tripBlocks, maxStep, List.map_cons, List.map_map, dot_tripDecode, List.cons.injEq, true_and]
  induction rest with
  | nil => rfl
  | cons v rest ih => simp only [List.map_cons, Function.comp_apply, dot_tripDecode, ite_self, ih]

theorem length_tripData : ∀ (L : List Rat), (tripData L).length = 3 * (L.length - 1)
  | [] => rfl
  | [_] => rfl
  | a :: b :: rest => by
    simp only [tripData, tripBlocks, List.flatten_cons, List.length_append, length_trip, List.length_cons]
    induction rest with
    | nil => rfl
    | cons v rest ih => simp only [List.map_cons, List.flatten_cons, List.length_append, length_trip, List.length_cons] at ih ⊢; omega

/-! ## The layers of one comparison -/

/-- The rows of one comparison over `n` blocks of width `e`, block `i` holding the value `dot d bᵢ`:
the triple of the first two values' maximum, then a carried triple per further block. -/
@[expose] noncomputable def levelRows (e : Nat) (d : List Rat) (n : Nat) : List (List Rat) :=
  [(d.map fun w => -w) ++ d, d ++ List.replicate e 0, (d.map fun w => -w) ++ List.replicate e 0].map
      (· ++ List.replicate (e * (n - 2)) 0) ++
    (blockDiag e [List.replicate e 0, d, d.map fun w => -w] (n - 2)).map (List.replicate (2 * e) 0 ++ ·)

theorem length_levelRows_row (e : Nat) (d : List Rat) (hd : d.length = e) (n : Nat) (hn : 2 ≤ n) :
    ∀ r ∈ levelRows e d n, r.length = e * n := by
  intro r h
  have hM : ∀ r ∈ [List.replicate e 0, d, d.map fun w => -w], r.length = e := by
    intro r hr; simp only [List.mem_cons, List.not_mem_nil, or_false] at hr
    rcases hr with rfl | rfl | rfl <;> simp [hd]
  simp only [levelRows, List.mem_append, List.mem_map, List.mem_cons, List.not_mem_nil, or_false] at h
  rcases h with ⟨r', hr', rfl⟩ | ⟨r', hr', rfl⟩
  · have : e * n = e * (n - 2) + 2 * e := by rw [Nat.mul_comm 2 e, ← Nat.mul_add]; congr 1; omega
    rcases hr' with rfl | rfl | rfl <;> simp [hd, this] <;> omega
  · have : e * n = 2 * e + e * (n - 2) := by rw [Nat.mul_comm 2 e, ← Nat.mul_add]; congr 1; omega
    simp only [List.length_append, List.length_replicate, length_blockDiag_row e _ hM (n - 2) r' hr', this]

theorem carry_apply (e : Nat) (d : List Rat) : ∀ (rest : List (List Rat)),
    rest.flatMap (fun b => [List.replicate e 0, d, d.map fun w => -w].map fun r => Act.eval .relu (dot r b)) =
      ((rest.map (dot d)).map fun v => trip v v).flatten
  | [] => rfl
  | b :: rest => by
    have ih := carry_apply e d rest
    simp only [List.flatMap_cons, List.map_cons, List.map_nil, List.flatten_cons, dot_zeros, dot_neg, trip] at ih ⊢
    rw [show -dot d b + dot d b = 0 by grind, ih]

/-- **One comparison**: the ReLU of `levelRows` over blocks `b₀, b₁, …` holding the values
`dot d bᵢ` is the triples of those values after one comparison. -/
theorem levelRows_apply (e : Nat) (d : List Rat) (hd : d.length = e) (b0 b1 : List Rat) (rest : List (List Rat))
    (h0 : b0.length = e) (h1 : b1.length = e) (hr : ∀ b ∈ rest, b.length = e) :
    (levelRows e d (rest.length + 2)).map (fun r => Act.eval .relu (dot r ((b0 ++ b1) ++ rest.flatten))) =
      tripData ((b0 :: b1 :: rest).map (dot d)) := by
  have hsub : rest.length + 2 - 2 = rest.length := by omega
  have h01 : (b0 ++ b1).length = 2 * e := by simp only [List.length_append, h0, h1]; omega
  have hM : ∀ r ∈ [List.replicate e 0, d, d.map fun w => -w], r.length = e := by
    intro r hr; simp only [List.mem_cons, List.not_mem_nil, or_false] at hr
    rcases hr with rfl | rfl | rfl <;> simp [hd]
  have hdn : (d.map fun w => -w).length = b0.length := by simp [hd, h0]
  have hpadR : ∀ r : List Rat, r.length = 2 * e →
      dot (r ++ List.replicate (e * rest.length) 0) ((b0 ++ b1) ++ rest.flatten) = dot r (b0 ++ b1) :=
    fun r h => dot_padRight _ r _ _ (by rw [h, h01])
  have t1 : dot (((d.map fun w => -w) ++ d) ++ List.replicate (e * rest.length) 0) ((b0 ++ b1) ++ rest.flatten) =
      -dot d b0 + dot d b1 := by
    rw [hpadR _ (by simp [hd]; omega), dot_append _ _ _ _ hdn, dot_neg]
  have t2 : dot ((d ++ List.replicate e 0) ++ List.replicate (e * rest.length) 0) ((b0 ++ b1) ++ rest.flatten) =
      dot d b0 := by
    rw [hpadR _ (by simp [hd]; omega), dot_append _ _ _ _ (by rw [hd, h0]), dot_zeros]; grind
  have t3 : dot (((d.map fun w => -w) ++ List.replicate e 0) ++ List.replicate (e * rest.length) 0)
      ((b0 ++ b1) ++ rest.flatten) = -dot d b0 := by
    rw [hpadR _ (by simp [hd]; omega), dot_append _ _ _ _ hdn, dot_zeros, dot_neg]; grind
  have hpadL : ∀ r, dot (List.replicate (2 * e) 0 ++ r) ((b0 ++ b1) ++ rest.flatten) = dot r rest.flatten :=
    fun r => dot_padLeft _ r _ _ h01
  simp only [levelRows, hsub, List.map_append, List.map_cons, List.map_nil, List.map_map, Function.comp_def, t1, t2, t3,
    hpadL]
  rw [blockDiag_apply _ e _ hM rest hr, carry_apply]
  rfl

/-! ## The first layer reads the windows -/

/-- The input indices of the `kh × kw` window of channel `c` with corner `(y, z)` of a `[_, h, w]`
tensor, row-major: the elements `window` reads. -/
@[expose] noncomputable def windowIdx (h w kh kw c y z : Nat) : List Nat :=
  (List.range kh).flatMap fun ki => (List.range kw).map fun kj => (c * h + y + ki) * w + z + kj

theorem window_eq (h w kh kw : Nat) (x : List Rat) (c y z : Nat) :
    window h w kh kw x c y z = (windowIdx h w kh kw c y z).map (elemAt x) := by
  simp only [window, windowIdx, List.map_flatMap, List.map_map, Function.comp_def]

theorem length_window (h w kh kw : Nat) (x : List Rat) (c y z : Nat) : (window h w kh kw x c y z).length = kh * kw := by
  rw [window_eq, List.length_map, windowIdx, length_flatMap_const _ kw (fun _ => by simp), List.length_range]

/-- The row over an input of `n` elements that applies the row `r` to the elements at `idx`. -/
@[expose] noncomputable def gatherRow (n : Nat) (idx : List Nat) (r : List Rat) : List Rat :=
  rowOfTaps (List.replicate n 0) (r.zip (idx.map some))

theorem sumList_zip (x : List Rat) : ∀ (r : List Rat) (idx : List Nat),
    sumList ((r.zip (idx.map some)).map fun t => t.1 * valAt x t.2) = dot r (idx.map (elemAt x))
  | [], _ => by simp only [List.zip_nil_left, List.map_nil, sumList_nil]; rfl
  | _ :: _, [] => by simp only [List.map_nil, List.zip_nil_right, sumList_nil]; rfl
  | w :: r, j :: idx => by
    simp only [List.map_cons, List.zip_cons_cons, sumList_cons, valAt_some, sumList_zip x r idx]
    rfl

theorem dot_gatherRow {n : Nat} {x : List Rat} (hx : x.length = n) (idx : List Nat) (r : List Rat) :
    dot (gatherRow n idx r) x = dot r (idx.map (elemAt x)) := by
  unfold gatherRow
  rw [dot_rowOfTaps x _ _ (by simp [hx]), dot_zeros, sumList_zip]; grind

/-- The cells `(channel, row, column)` of a `[c, oh, ow]` output, row-major. -/
@[expose] noncomputable def cells (c oh ow : Nat) : List (Nat × Nat × Nat) :=
  (List.range c).flatMap fun ch => (List.range oh).flatMap fun r => (List.range ow).map fun col => (ch, r, col)

theorem length_cells (c oh ow : Nat) : (cells c oh ow).length = c * (oh * ow) := length_grid c oh ow _

/-- Max pooling cell by cell. -/
theorem poolData_max_cells (c h w kh kw sh sw oh ow : Nat) (x : List Rat) :
    poolData false c h w kh kw sh sw oh ow x =
      (cells c oh ow).map fun p => maxOf (window h w kh kw x p.1 (p.2.1 * sh) (p.2.2 * sw)) := by
  simp only [poolData, cells, List.map_flatMap, List.map_map, Function.comp_def, Bool.false_eq_true, if_false]

/-- The first layer of a max pool: the rows `M` (over a window's `kh·kw` values) for every window,
as rows over the `[c, h, w]` input. -/
@[expose] noncomputable def maxGatherRows (c h w kh kw sh sw oh ow : Nat) (M : List (List Rat)) : List (List Rat) :=
  (cells c oh ow).flatMap fun p => M.map (gatherRow (c * h * w) (windowIdx h w kh kw p.1 (p.2.1 * sh) (p.2.2 * sw)))

theorem maxGatherRows_apply (f : Rat → Rat) (c h w kh kw sh sw oh ow : Nat) (M : List (List Rat)) (x : List Rat)
    (hx : x.length = c * h * w) :
    (maxGatherRows c h w kh kw sh sw oh ow M).map (fun r => f (dot r x)) =
      (cells c oh ow).flatMap fun p => M.map fun r => f (dot r (window h w kh kw x p.1 (p.2.1 * sh) (p.2.2 * sw))) := by
  simp only [maxGatherRows, List.map_flatMap, List.map_map, Function.comp_def, dot_gatherRow hx, window_eq]

theorem flatten_singletons : ∀ (ws : List Rat), (ws.map fun v => [v]).flatten = ws
  | [] => rfl
  | v :: ws => by simp only [List.map_cons, List.flatten_cons, flatten_singletons ws, List.singleton_append]

theorem dot_one (v : Rat) : dot [1] [v] = v := by show 1 * v + 0 = v; grind

/-- The first comparison reads a window's values directly (blocks of width 1). -/
theorem levelRows_first (w0 w1 : Rat) (ws : List Rat) :
    (levelRows 1 [1] (ws.length + 2)).map (fun r => Act.eval .relu (dot r (w0 :: w1 :: ws))) = tripData (w0 :: w1 :: ws) := by
  have h := levelRows_apply 1 [1] rfl [w0] [w1] (ws.map fun v => [v]) rfl rfl (by simp)
  have hd : ((ws.map fun v => [v]).map (dot [1])) = ws := by
    simp only [List.map_map, Function.comp_def, dot_one, List.map_id']
  rw [List.length_map, flatten_singletons] at h
  simp only [List.map_cons, dot_one, hd, List.cons_append, List.nil_append] at h
  exact h

/-! ## The layers of a max pool -/

/-- The zero bias of the rows `W`. -/
@[expose] noncomputable def zeroBias (W : List (List Rat)) : List Rat := W.map fun _ => 0

theorem layerOut_zeroBias (a : Act) (x : List Rat) : ∀ (W : List (List Rat)),
    layerOut a x W (zeroBias W) = W.map fun r => a.eval (dot r x)
  | [] => rfl
  | r :: W => by
    have := layerOut_zeroBias a x W
    simp only [zeroBias] at this ⊢
    simp only [List.map_cons, layerOut, Rat.add_zero, this]

/-- A comparison layer over `N` windows of `n` triples each. -/
@[expose] noncomputable def maxLevelRows (N n : Nat) : List (List Rat) := blockDiag (3 * n) (levelRows 3 tripDecode n) N

/-- The last layer over `N` windows: each window's triple added up. -/
@[expose] noncomputable def maxOutRows (N : Nat) : List (List Rat) := blockDiag 3 [tripDecode] N

/-- The comparisons after the first over `N` windows: `m` ReLU layers, the first over `m + 1`
triples per window. -/
@[expose] noncomputable def maxLevels (N : Nat) : Nat → List Step
  | 0 => []
  | m + 1 => [.affine (maxLevelRows N (m + 2)) (zeroBias (maxLevelRows N (m + 2))), .act .relu] ++ maxLevels N m

theorem evalSteps_reluLayer (W : List (List Rat)) (x : List Rat) (rest : List Step) :
    evalSteps (.affine W (zeroBias W) :: .act .relu :: rest) x = evalSteps rest (W.map fun r => Act.eval .relu (dot r x)) := by
  simp only [evalSteps, Step.eval, layerOut_zeroBias, List.map_map]; rfl

theorem flatMap_map_congr {α : Type} (f : α → List Rat) (g : List Rat → List Rat) (k : α → List Rat) :
    ∀ (l : List α), (∀ a ∈ l, g (f a) = k a) → (l.map f).flatMap g = (l.map k).flatten
  | [], _ => rfl
  | a :: l, h => by
    simp only [List.map_cons, List.flatMap_cons, List.flatten_cons, h a (by simp),
      flatMap_map_congr f g k l (fun b hb => h b (List.mem_cons_of_mem _ hb))]

theorem flatten_map_single {α : Type} (k : α → Rat) : ∀ (l : List α), (l.map fun a => [k a]).flatten = l.map k
  | [] => rfl
  | a :: l => by simp only [List.map_cons, List.flatten_cons, flatten_map_single k l, List.singleton_append]

theorem length_maxStep : ∀ (L : List Rat), 2 ≤ L.length → (maxStep L).length + 1 = L.length
  | _ :: _ :: _, _ => rfl
  | [], h => by simp at h
  | [_], h => by simp at h

/-- **The comparison layers**: over windows `F a` of `m + 2` values each, held as their first
comparison's triples, `maxLevels` makes the remaining `m` comparisons. -/
theorem maxLevels_apply {α : Type} (N : Nat) : ∀ (m : Nat) (l : List α) (F : α → List Rat), l.length = N →
    (∀ a ∈ l, (F a).length = m + 2) →
    evalSteps (maxLevels N m) (l.map fun a => tripData (F a)).flatten = (l.map fun a => tripData (maxIter m (F a))).flatten
  | 0, _, _, _, _ => rfl
  | m + 1, l, F, hN, hF => by
    have hw : ∀ b ∈ l.map (fun a => tripData (F a)), b.length = 3 * (m + 2) := by
      intro b hb
      obtain ⟨a, ha, rfl⟩ := List.mem_map.mp hb
      rw [length_tripData, hF a ha]; omega
    have hrows := length_levelRows_row 3 tripDecode rfl (m + 2) (by omega)
    have hstep : ∀ a ∈ l, (levelRows 3 tripDecode (m + 2)).map (fun r => Act.eval .relu (dot r (tripData (F a)))) =
        tripData (maxStep (F a)) := by
      intro a ha
      have h := hF a ha
      generalize F a = L at h ⊢
      rcases L with _ | ⟨x0, _ | ⟨x1, _ | ⟨x2, rest⟩⟩⟩
      · simp at h
      · simp at h
      · simp at h
      · simp only [List.length_cons] at h
        have hr : (rest.map fun v => trip v v).length + 2 = m + 2 := by simp only [List.length_map]; omega
        have ht : tripData (x0 :: x1 :: x2 :: rest) = (trip x0 x1 ++ trip x2 x2) ++ (rest.map fun v => trip v v).flatten := by
          simp only [tripData, tripBlocks, List.map_cons, List.flatten_cons, List.append_assoc]
        have hb : ∀ b ∈ rest.map (fun v => trip v v), b.length = 3 := by
          intro b hb
          obtain ⟨v, _, rfl⟩ := List.mem_map.mp hb
          rfl
        rw [← hr, ht, levelRows_apply 3 tripDecode rfl _ _ _ rfl rfl hb]
        congr 1
        simp only [List.map_cons, List.map_map, Function.comp_def, dot_tripDecode_self, dot_tripDecode, maxStep,
          List.map_id']
    have hlayer : (maxLevelRows N (m + 2)).map (fun r => Act.eval .relu (dot r (l.map fun a => tripData (F a)).flatten)) =
        (l.map fun a => tripData (maxStep (F a))).flatten := by
      unfold maxLevelRows
      rw [show N = (l.map fun a => tripData (F a)).length by simp [hN], blockDiag_apply _ _ _ hrows _ hw]
      exact flatMap_map_congr _ _ _ l hstep
    simp only [maxLevels, List.cons_append, List.nil_append, evalSteps_reluLayer, hlayer]
    exact maxLevels_apply N m l (fun a => maxStep (F a)) hN (fun a ha => by
      show (maxStep (F a)).length = m + 2
      have := length_maxStep (F a) (by rw [hF a ha]; omega)
      rw [hF a ha] at this; omega)

/-- The layers of a max pool with `kh × kw` windows moved by `(sh, sw)` over a `[c, h, w]` input,
into `[c, oh, ow]` (see the module doc). -/
@[expose] noncomputable def maxpoolSteps (c h w kh kw sh sw oh ow : Nat) : List Step :=
  match kh * kw with
  | 0 => []
  | 1 => [.affine (maxGatherRows c h w kh kw sh sw oh ow [[1]]) (zeroBias (maxGatherRows c h w kh kw sh sw oh ow [[1]]))]
  | m + 2 =>
    [.affine (maxGatherRows c h w kh kw sh sw oh ow (levelRows 1 [1] (m + 2)))
        (zeroBias (maxGatherRows c h w kh kw sh sw oh ow (levelRows 1 [1] (m + 2)))), .act .relu] ++
      maxLevels (c * (oh * ow)) m ++ [.affine (maxOutRows (c * (oh * ow))) (zeroBias (maxOutRows (c * (oh * ow))))]

theorem flatMap_congr_flatten {α : Type} (f k : α → List Rat) :
    ∀ (l : List α), (∀ a ∈ l, f a = k a) → l.flatMap f = (l.map k).flatten
  | [], _ => rfl
  | a :: l, h => by
    simp only [List.map_cons, List.flatMap_cons, List.flatten_cons, h a (by simp),
      flatMap_congr_flatten f k l (fun b hb => h b (List.mem_cons_of_mem _ hb))]

/-- **A max pool is its layers**: on an input of `c·h·w` elements, with windows that are not
empty, `maxpoolSteps` computes `poolData false`. -/
theorem poolData_max_eq (c h w kh kw sh sw oh ow : Nat) (x : List Rat) (hx : x.length = c * h * w) (hk : 0 < kh * kw) :
    evalSteps (maxpoolSteps c h w kh kw sh sw oh ow) x = poolData false c h w kh kw sh sw oh ow x := by
  rw [poolData_max_cells]
  have hwin := fun p : Nat × Nat × Nat => length_window h w kh kw x p.1 (p.2.1 * sh) (p.2.2 * sw)
  unfold maxpoolSteps
  split
  · omega
  · rename_i hk1
    have hpt : ∀ p : Nat × Nat × Nat, [[(1 : Rat)]].map (fun r => Act.eval .identity (dot r (window h w kh kw x p.1 (p.2.1 * sh) (p.2.2 * sw)))) =
        [maxOf (window h w kh kw x p.1 (p.2.1 * sh) (p.2.2 * sw))] := by
      intro p
      have hl := hwin p
      rw [hk1] at hl
      generalize window h w kh kw x p.1 (p.2.1 * sh) (p.2.2 * sw) = W at hl ⊢
      match W, hl with
      | [v], _ => show [1 * v + 0] = [v]; congr 1; grind
      | [], h => simp at h
      | _ :: _ :: _, h => simp at h
    simp only [evalSteps, Step.eval, layerOut_zeroBias, maxGatherRows_apply _ c h w kh kw sh sw oh ow _ x hx]
    rw [flatMap_congr_flatten _ _ _ (fun p _ => hpt p), flatten_map_single]
  · rename_i m hkm
    have hlen : ∀ p : Nat × Nat × Nat, (window h w kh kw x p.1 (p.2.1 * sh) (p.2.2 * sw)).length = m + 2 :=
      fun p => (hwin p).trans hkm
    have hfirst : ∀ W : List Rat, W.length = m + 2 →
        (levelRows 1 [1] (m + 2)).map (fun r => Act.eval .relu (dot r W)) = tripData W := by
      intro W hW
      match W, hW with
      | w0 :: w1 :: ws, hW =>
        simp only [List.length_cons] at hW
        rw [show m + 2 = ws.length + 2 by omega]
        exact levelRows_first w0 w1 ws
      | [], h => simp at h
      | [_], h => simp at h
    have hout : ∀ W : List Rat, W.length = m + 2 →
        [tripDecode].map (fun r => Act.eval .identity (dot r (tripData (maxIter m W)))) = [maxOf W] := by
      intro W hW
      obtain ⟨hl2, hmax⟩ := maxIter_spec m W hW
      rw [← hmax]
      generalize maxIter m W = I at hl2 ⊢
      match I, hl2 with
      | [p, q], _ =>
        simp only [List.map_cons, List.map_nil, tripData, tripBlocks, List.flatten_cons, List.flatten_nil,
          List.append_nil, dot_tripDecode]
        rfl
      | [], h => simp at h
      | [_], h => simp at h
      | _ :: _ :: _ :: _, h => simp at h
    have hN : (cells c oh ow).length = c * (oh * ow) := length_cells c oh ow
    have htrip : ∀ b ∈ (cells c oh ow).map (fun p => tripData (maxIter m (window h w kh kw x p.1 (p.2.1 * sh) (p.2.2 * sw)))),
        b.length = 3 := by
      intro b hb
      obtain ⟨p, _, rfl⟩ := List.mem_map.mp hb
      rw [length_tripData, (maxIter_spec m _ (hlen p)).1]
    have h1 : (cells c oh ow).flatMap (fun p => (levelRows 1 [1] (m + 2)).map
          (fun r => Act.eval .relu (dot r (window h w kh kw x p.1 (p.2.1 * sh) (p.2.2 * sw))))) =
        ((cells c oh ow).map fun p => tripData (window h w kh kw x p.1 (p.2.1 * sh) (p.2.2 * sw))).flatten :=
      flatMap_congr_flatten _ _ _ (fun p _ => hfirst _ (hlen p))
    have h2 := maxLevels_apply (c * (oh * ow)) m (cells c oh ow)
      (fun p => window h w kh kw x p.1 (p.2.1 * sh) (p.2.2 * sw)) hN (fun p _ => hlen p)
    simp only at h2
    have h3 : ((cells c oh ow).map fun p => tripData (maxIter m (window h w kh kw x p.1 (p.2.1 * sh) (p.2.2 * sw)))).flatMap
        (fun b => [tripDecode].map fun r => Act.eval .identity (dot r b)) =
        (cells c oh ow).map fun p => maxOf (window h w kh kw x p.1 (p.2.1 * sh) (p.2.2 * sw)) := by
      rw [flatMap_map_congr _ _ (fun p => [maxOf (window h w kh kw x p.1 (p.2.1 * sh) (p.2.2 * sw))]) _
        (fun p _ => hout _ (hlen p)), flatten_map_single]
    have h4 := blockDiag_apply (Act.eval .identity) 3 [tripDecode] (by simp [tripDecode]) _ htrip
    rw [List.length_map, hN] at h4
    simp only [List.cons_append, List.nil_append, evalSteps_reluLayer, evalSteps_append,
      maxGatherRows_apply _ c h w kh kw sh sw oh ow _ x hx]
    rw [h1, h2]
    simp only [evalSteps, Step.eval, layerOut_zeroBias, maxOutRows]
    rw [h4, h3]

end TorchLean.IR
