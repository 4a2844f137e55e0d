//! The CROWN backward pass in binary64, with every rounding error bounded and charged to the
//! constant: the engine for wide layers, where the integer engine of [`super::crown_dyadic`]
//! spends one `i128` multiply-add per weight and row.
//!
//! The result is still a sound lower bound; it is not "exact to 2⁻⁶⁰" like the integer engine,
//! but looser by the charges below (relative size about `n·2⁻⁵³` of the terms involved).
//!
//! Invariant of a row: for every input `x` of the box, `objective · z⁽ᵏ⁾(x) ≥ a · z⁽ʲ⁾(x) + C`,
//! with `a` a vector of binary64 values (exact dyadics) and `C` a binary64 kept as a lower bound
//! by rounding every addition toward −∞ ([`add_down`]). Each step is exact algebra plus one
//! computed quantity whose error is bounded a priori (Higham, *Accuracy and Stability of Numerical
//! Algorithms*, 2nd ed., §3.1: a dot product of length `n` summed in any order, with or without
//! fused multiply-add, is within `γₙ·Σ|xᵢyᵢ|` of the exact value, `γₙ = nu/(1 − nu)`,
//! `u = 2⁻⁵³`, plus `n·2⁻¹⁰⁷⁵` when products underflow):
//! - substituting `z⁽ʲ⁾ = W h + b`: `g = a·W` and `a·b` are computed; with `|h_c| ≤ M_c`,
//!   `Σ_c |g_c − g̃_c|·M_c ≤ γ·Σ_r |a_r|·Σ_c |W_rc| M_c`, so the charge is `γ·Σ_r |a_r|·U_r`
//!   with `U_r ≥ Σ_c |W_rc| M_c + |b_r|` computed once per layer: one extra dot product per row
//!   and layer, not a second matrix product;
//! - a ReLU line `h ≥ α z` (coefficient `≥ 0`) or `h ≤ s' z + t` (coefficient `< 0`, `t` rounded
//!   up): the new coefficient `g·slope` is rounded once (error `≤ u·|g·slope|`, charged against
//!   `|z_c| ≤ Mz_c`) and the intercepts' dot product is charged like any other;
//! - at the input, the box ends are rounded outward to binary64 (a larger box), and the last dot
//!   product is charged the same way.
//!
//! Every charge uses `κ(n) = 2(n + 1)u ≥ γₙ/(1 − γₙ₊₁)`, which also covers the rounding of the
//! charge's own sum of non-negative terms, and an absolute term `(n + 1)·2⁻¹⁰⁰⁰·(1 + ΣM)` that
//! covers underflow with room to spare. Overflow makes a row non-finite and the row is declined.
//!
//! Reproducibility: each entry of `a·W` is the chain `s ← fma(a_r, W_rc, s)` over `r` ascending,
//! started from `+0.0`, skipping exact zeros of `a`. A fused multiply-add is correctly rounded
//! wherever it runs (the CPU's instruction, or libm's where there is none), so the value is the
//! same for every tiling, thread count and instruction set: the AVX2 and AVX-512 kernels only
//! compute more of these chains at once. The one difference is a zero's sign: a kernel that
//! multiplies a zero coefficient in turns a `−0` sum into `+0`, where skipping keeps it, and a
//! zero coefficient of either sign adds nothing to any later sum or charge. The per-row sums (constants, charges,
//! the input's dot products) run in [`LANES`] fixed lanes added in a fixed order, and the lines'
//! directed quotients and products use one fused multiply-add only to compute an exact error, so
//! they too are the same bits everywhere.
//!
//! Upper ends first: a neuron whose upper end is `≤ 0` is inactive whatever its lower end, so
//! [`unit_bounds_f64`] bounds the lower ends only of the others.
use rayon::prelude::*;

use crate::num::interval::{Box, Interval};
use super::relax::{ReluCase, relu_case};
use crate::bounds::dense::{Activation, Dense};
use crate::num::Q;
use crate::num::binary32::F32;
use crate::num::dyadic;

/// `κ(n) = 2(n + 1)·2⁻⁵³`, the relative charge of a length-`n` dot product (see the module doc).
fn kappa(n: usize) -> f64 {
    (n as f64 + 1.0) * f64::EPSILON
}

/// The absolute charge for underflow in `n` products against magnitudes summing to `mag`.
fn tiny(n: usize, mag: f64) -> f64 {
    ((n as f64 + 1.0) * (1.0 + mag) * 2f64.powi(-1000)).next_up()
}

/// `x + y` rounded toward −∞: the nearest sum, stepped down when its exact error (TwoSum) shows it
/// was rounded up. Non-finite sums are returned as they are, and the caller declines them.
pub(super) fn add_down(x: f64, y: f64) -> f64 {
    let s = x + y;
    if !s.is_finite() {
        return s;
    }
    let bp = s - x;
    let err = (x - (s - bp)) + (y - bp);
    if err < 0.0 { s.next_down() } else { s }
}

/// Above this magnitude a product's rounding error (and a quotient's remainder) is itself a binary64,
/// so one fused multiply-add computes it exactly: 2⁻⁹⁰⁰, far from the 2⁻⁹⁶⁸ where that stops.
const EXACT_ERROR_FLOOR: f64 = f64::from_bits((1023 - 900) << 52);

/// `x / y` rounded toward −∞ for `x ≥ 0`, `y > 0`: the nearest quotient, stepped down when its
/// exact remainder (`x − q·y`, one fused multiply-add) shows it was rounded up. `None` off the
/// normal range, where the remainder would not be exact.
fn div_down(x: f64, y: f64) -> Option<f64> {
    let q = x / y;
    if !(q.is_normal() && y.is_normal() && x.is_normal() && x.abs() >= EXACT_ERROR_FLOOR) {
        return None;
    }
    Some(if (-q).mul_add(y, x) < 0.0 { q.next_down() } else { q })
}

/// `x · y` rounded toward +∞ for normal operands: the nearest product, stepped up when its exact
/// error (one fused multiply-add) shows it was rounded down.
fn mul_up(x: f64, y: f64) -> Option<f64> {
    let p = x * y;
    if x == 0.0 || y == 0.0 {
        return Some(0.0);
    }
    if !(p.is_normal() && p.abs() >= EXACT_ERROR_FLOOR) {
        return None;
    }
    Some(if x.mul_add(y, -p) > 0.0 { p.next_up() } else { p })
}

/// Lanes of running sums: term `i` goes to lane `i mod LANES` and the lanes are added in a fixed
/// order at the end. The order is the same on every machine (so are the bits), and compilers turn
/// it into vector adds; Higham's bound, which every charge here uses, holds for any order.
const LANES: usize = 8;

/// The lanes' total, in a fixed order.
#[inline(always)]
fn total(l: [f64; LANES]) -> f64 {
    ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]))
}

/// Runs `body(lane, index)` for `index` in `0..n`, each on lane `index mod LANES`: whole groups
/// of `LANES` first (which the compiler vectorizes), then the rest.
macro_rules! in_lanes {
    ($n:expr, |$v:ident, $i:ident| $body:block) => {{
        let n = $n;
        let full = n / LANES * LANES;
        let mut i0 = 0;
        while i0 < full {
            for $v in 0..LANES {
                let $i = i0 + $v;
                $body
            }
            i0 += LANES;
        }
        for $i in full..n {
            let $v = $i - full;
            $body
        }
    }};
}

/// One neuron's lines over `[l, u]`: `h ≥ lower·z`, `h ≤ upper·z + intercept`.
struct Line {
    l: f64,
    u: f64,
    lower: f64,
    upper: f64,
    intercept: f64,
}

/// `q` rounded down (`up == false`) or up to a binary64; `None` outside the normal range (where
/// the conversion would not be exact) or for values too large.
fn to_f64(q: &Q, up: bool) -> Option<f64> {
    let d = if up { dyadic::round_up(q, 53) } else { dyadic::round_down(q, 53) };
    if d.is_zero() {
        return Some(0.0);
    }
    let m = num_traits::ToPrimitive::to_f64(&d.mantissa)?;
    let v = libm::scalbn(m, i32::try_from(d.exponent).ok()?);
    v.is_normal().then_some(v)
}

/// `q` as a binary64 if it is one exactly.
fn exact_f64(q: &Q) -> Option<f64> {
    // Objective rows are mostly 0 and ±1: skip the big-integer rounding for small integers.
    if q.is_integer()
        && let Some(n) = num_traits::ToPrimitive::to_i64(q.numer())
        && n.unsigned_abs() < 1 << 53
    {
        return Some(n as f64);
    }
    let v = to_f64(q, false)?;
    (to_f64(q, true)? == v).then_some(v)
}

/// The exact value of a finite binary64, built as a dyadic: `Q::from_float` reduces with a gcd,
/// which cost as much as a layer's backward pass.
pub(super) fn to_q(x: f64) -> Q {
    assert!(x.is_finite(), "to_q of {x}");
    if x == 0.0 {
        return Q::from_integer(0.into());
    }
    let bits = x.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i64;
    let frac = (bits & ((1 << 52) - 1)) as i64;
    let (m, e) = if exp == 0 { (frac, -1074) } else { (frac | 1 << 52, exp - 1075) };
    let m = if bits >> 63 == 1 { -m } else { m };
    dyadic::Dyadic::new(m.into(), e).to_rational()
}

/// A binary32 weight as the binary64 of the same value.
#[inline(always)]
fn wf(x: F32) -> f64 {
    f64::from(f32::from_bits(x.0))
}

/// One affine layer, its weights read in place from the network (binary32, widened exactly to
/// binary64 where they are used), so building the engine copies no weight.
struct Layer<'a> {
    w: &'a [Vec<F32>],
    rows: usize,
    cols: usize,
    b: Vec<f64>,
    /// `U_r ≥ Σ_c |W_rc|·M_c + |b_r|` for `M` bounding the layer's input; set once `M` is known.
    charge: Vec<f64>,
    tiny: f64,
}

impl Layer<'_> {
    /// Sets `U` and the underflow term from upper bounds `mag` of the input's magnitudes.
    fn set_input_magnitudes(&mut self, mag: &[f64]) {
        let grow = 1.0 + kappa(self.cols + 1);
        let floor = (self.cols as f64 + 1.0) * f64::from_bits(1);
        self.charge = (0..self.rows)
            .map(|r| {
                let s: f64 = self.w[r].iter().zip(mag).map(|(&w, m)| wf(w).abs() * m).sum();
                ((s + self.b[r].abs() + floor) * grow).next_up()
            })
            .collect();
        self.tiny = tiny(self.rows, mag.iter().sum::<f64>());
    }
}

/// The lines of one layer's activations: lower slopes, upper slopes, upper intercepts (rounded up)
/// and bounds on `|z|`.
struct Relaxation {
    /// The post-activation box `act([l, u])`, rounded outward.
    h_lo: Vec<f64>,
    h_hi: Vec<f64>,
    lower: Vec<f64>,
    upper: Vec<f64>,
    intercept: Vec<f64>,
    z_mag: Vec<f64>,
    tiny: f64,
}

/// A dense network and input box prepared for the binary64 backward pass.
pub(super) struct FloatEngine<'a> {
    layers: Vec<Layer<'a>>,
    acts: Vec<Activation>,
    relax: Vec<Relaxation>,
    /// The input box rounded outward to binary64.
    lo: Vec<f64>,
    hi: Vec<f64>,
}

/// The fewest rows handed to one task; results do not depend on the split (see the module doc).
const CHUNK: usize = 64;
/// Rows with at most this many non-zero coefficients are multiplied row by row.
const SPARSE: usize = 8;

impl<'a> FloatEngine<'a> {
    /// The network's parameters and the box in binary64; `None` if a parameter is not finite or a
    /// box end is outside binary64's normal range.
    pub(super) fn new(mlp: &'a Dense, input: &Box) -> Option<FloatEngine<'a>> {
        let f = |x: &F32| {
            let v = wf(*x);
            v.is_finite().then_some(v)
        };
        let mut layers = Vec::with_capacity(mlp.layers.len());
        for l in &mlp.layers {
            let cols = l.weight.first().map_or(0, Vec::len);
            if !l.weight.iter().flatten().all(|&x| wf(x).is_finite()) {
                return None;
            }
            let b: Vec<f64> = l.bias.iter().map(f).collect::<Option<_>>()?;
            layers.push(Layer { w: &l.weight, rows: l.weight.len(), cols, b, charge: Vec::new(), tiny: 0.0 });
        }
        let lo: Vec<f64> = input.iter().map(|iv| to_f64(&iv.lo, false)).collect::<Option<_>>()?;
        let hi: Vec<f64> = input.iter().map(|iv| to_f64(&iv.hi, true)).collect::<Option<_>>()?;
        let mag: Vec<f64> = lo.iter().zip(&hi).map(|(l, h)| l.abs().max(h.abs())).collect();
        layers.first_mut()?.set_input_magnitudes(&mag);
        Some(FloatEngine { layers, acts: mlp.layers.iter().map(|l| l.act).collect(), relax: Vec::new(), lo, hi })
    }

    /// Records the lines of the next layer from its pre-activation bounds, lower slopes α and
    /// upper slopes `s'`; `None` if a slope is not exactly a binary64 or a bound is out of range.
    pub(super) fn push_relaxation(&mut self, pre: &Box, alphas: &[Q], uppers: &[Q]) -> Option<()> {
        let act = self.acts[self.relax.len()];
        let zero = Q::from_integer(0.into());
        let lines = pre
            .iter()
            .zip(alphas)
            .zip(uppers)
            .map(|((iv, alpha), s)| {
                let (l, u) = (to_f64(&iv.lo, false)?, to_f64(&iv.hi, true)?);
                let (lo, hi, t) = match (act, relu_case(&iv.lo, &iv.hi, &zero)) {
                    (Activation::Identity, _) | (Activation::Relu, ReluCase::Active) => (1.0, 1.0, 0.0),
                    (Activation::Relu, ReluCase::Inactive) => (0.0, 0.0, 0.0),
                    (Activation::Relu, ReluCase::Unstable) => {
                        // h ≤ s'·(z − u) + u: the intercept u·(1 − s'), rounded up.
                        let t = &iv.hi * (Q::from_integer(1.into()) - s);
                        (exact_f64(alpha)?, exact_f64(s)?, to_f64(&t, true)?)
                    }
                };
                Some(Line { l, u, lower: lo, upper: hi, intercept: t })
            })
            .collect::<Option<Vec<Line>>>()?;
        self.push_lines(&lines);
        Some(())
    }

    /// [`push_relaxation`](Self::push_relaxation) for bounds that are binary64 values: CROWN-Ada's
    /// lower slope, and the upper line through `(u, u)` with slope `u/(u − l)` rounded down and its
    /// intercept `u·(1 − s')` rounded up, all in binary64 (sound: any slope in `[0, u/(u − l)]`
    /// keeps the line above the ReLU on `[l, u]`). Returns the slopes; `None` where an exact step
    /// is out of binary64's normal range.
    pub(super) fn push_relaxation_f64(&mut self, lo: &[f64], hi: &[f64]) -> Option<(Vec<f64>, Vec<f64>)> {
        let act = self.acts[self.relax.len()];
        let lines = lo
            .iter()
            .zip(hi)
            .map(|(&l, &u)| {
                let (lower, upper, intercept) = match act {
                    Activation::Identity => (1.0, 1.0, 0.0),
                    Activation::Relu if l >= 0.0 => (1.0, 1.0, 0.0),
                    Activation::Relu if u <= 0.0 => (0.0, 0.0, 0.0),
                    Activation::Relu => {
                        let alpha = if u >= -l { 1.0 } else { 0.0 };
                        let s = div_down(u, -add_down(-u, l))?;
                        let t = mul_up(u, -add_down(-1.0, s))?;
                        (alpha, s.clamp(0.0, 1.0), t)
                    }
                };
                Some(Line { l, u, lower, upper, intercept })
            })
            .collect::<Option<Vec<Line>>>()?;
        self.push_lines(&lines);
        Some((lines.iter().map(|x| x.lower).collect(), lines.iter().map(|x| x.upper).collect()))
    }

    fn push_lines(&mut self, lines: &[Line]) {
        let k = self.relax.len();
        let act = self.acts[k];
        let n = lines.len();
        let (h_lo, h_hi): (Vec<f64>, Vec<f64>) = lines
            .iter()
            .map(|x| match act {
                Activation::Identity => (x.l, x.u),
                Activation::Relu => (x.l.max(0.0), x.u.max(0.0)),
            })
            .unzip();
        if let Some(next) = self.layers.get_mut(k + 1) {
            let h_mag: Vec<f64> = h_lo.iter().zip(&h_hi).map(|(l, h)| l.abs().max(h.abs())).collect();
            next.set_input_magnitudes(&h_mag);
        }
        let z_mag: Vec<f64> = lines.iter().map(|x| x.l.abs().max(x.u.abs())).collect();
        let tiny = tiny(n, z_mag.iter().sum::<f64>());
        self.relax.push(Relaxation {
            h_lo,
            h_hi,
            lower: lines.iter().map(|x| x.lower).collect(),
            upper: lines.iter().map(|x| x.upper).collect(),
            intercept: lines.iter().map(|x| x.intercept).collect(),
            z_mag,
            tiny,
        });
    }

    /// Interval bounds of `z⁽ᵏ⁾ = W h + b` from the box of `h`: the input box for `k = 0`, else
    /// the recorded post-activation box of layer `k − 1`. Each end is a dot product rounded
    /// outward by the charge of the module doc; `None` if one overflowed.
    pub(super) fn ibp(&self, k: usize) -> Option<Vec<Interval>> {
        let (lo, hi) = self.ibp_f64(k)?;
        Some(lo.iter().zip(&hi).map(|(&l, &h)| Interval::new(to_q(l), to_q(h))).collect())
    }

    /// [`ibp`](Self::ibp) as binary64 ends.
    pub(super) fn ibp_f64(&self, k: usize) -> Option<(Vec<f64>, Vec<f64>)> {
        let layer = &self.layers[k];
        let (lo, hi) = match k {
            0 => (&self.lo, &self.hi),
            _ => (&self.relax[k - 1].h_lo, &self.relax[k - 1].h_hi),
        };
        let n = layer.cols;
        let kap = kappa(n + 1);
        let mag: f64 = lo.iter().zip(hi).map(|(l, h)| l.abs().max(h.abs())).sum();
        let tiny = tiny(n + 1, mag);
        (0..layer.rows)
            .map(|r| {
                let row = &layer.w[r][..n];
                let (lo, hi) = (&lo[..n], &hi[..n]);
                let (mut dl, mut dh, mut al, mut ah) = ([0.0; LANES], [0.0; LANES], [0.0; LANES], [0.0; LANES]);
                in_lanes!(n, |v, i| {
                    let w = wf(row[i]);
                    // `w·lo` and `w·hi` ordered by the sign of `w`, as arithmetic: of `wp` and `wn`
                    // one is zero, so each sum is the one product, and the loop has no branch on
                    // the weights' random signs (`w` is finite, so `max`/`min` lose no NaN).
                    let (wp, wn) = (w.max(0.0), w.min(0.0));
                    let (x, y) = (wp * lo[i] + wn * hi[i], wp * hi[i] + wn * lo[i]);
                    dl[v] += x;
                    dh[v] += y;
                    al[v] += x.abs();
                    ah[v] += y.abs();
                });
                let b = layer.b[r];
                let (dl, dh, al, ah) = (total(dl) + b, total(dh) + b, total(al) + b.abs(), total(ah) + b.abs());
                let lo = add_down(dl, -((kap * al).next_up() + tiny).next_up());
                let hi = -add_down(-dh, -((kap * ah).next_up() + tiny).next_up());
                (lo.is_finite() && hi.is_finite()).then_some((lo, hi))
            })
            .collect::<Option<Vec<(f64, f64)>>>()
            .map(|v| v.into_iter().unzip())
    }

    /// A lower bound over the box of `row · z⁽ᵏ⁾` for each row (`rows` is row-major, `z⁽ᵏ⁾`'s width
    /// per row), or `None` for a row that overflowed. Rows run in parallel chunks.
    pub(super) fn lower(&self, k: usize, rows: &[f64]) -> Vec<Option<f64>> {
        let width = self.layers[k].rows.max(1);
        // One chunk per thread (at least CHUNK rows): each chunk packs its rows for the tiled
        // products once, so more chunks than threads only repeat that work (one thread, 64-row
        // chunks: 5.25 ms on the 784-256-256-10 MLP, one chunk: 4.4 ms).
        let per = (rows.len() / width).div_ceil(rayon::current_num_threads()).max(CHUNK);
        rows.par_chunks(per * width).flat_map_iter(|chunk| self.lower_chunk(k, chunk.to_vec())).collect()
    }

    fn lower_chunk(&self, k: usize, a: Vec<f64>) -> Vec<Option<f64>> {
        self.lower_chunk_body(k, a)
    }

    #[inline(always)]
    fn lower_chunk_body(&self, k: usize, mut a: Vec<f64>) -> Vec<Option<f64>> {
        let n_rows = a.len() / self.layers[k].rows.max(1);
        let mut c = vec![0.0f64; n_rows];
        let mut j = k;
        loop {
            let layer = &self.layers[j];
            let kap = kappa(layer.rows);
            for (i, ci) in c.iter_mut().enumerate() {
                let m = layer.rows;
                let (ar, bs, us) = (&a[i * m..(i + 1) * m], &layer.b[..m], &layer.charge[..m]);
                let (mut s, mut charge) = ([0.0; LANES], [0.0; LANES]);
                in_lanes!(m, |v, r| {
                    s[v] += ar[r] * bs[r];
                    charge[v] += ar[r].abs() * us[r];
                });
                let (s, charge) = (total(s), total(charge));
                *ci = add_down(add_down(*ci, s), -((kap * charge).next_up() + layer.tiny).next_up());
            }
            let g = matmul(&a, n_rows, layer.rows, layer.w, layer.cols);
            let n = layer.cols;
            if j == 0 {
                let kap = kappa(n);
                // `Σ max(|lo|, |hi|)` bounds every row's `Σ |end|` for the underflow term.
                let tiny = tiny(n, self.lo.iter().zip(&self.hi).map(|(l, h)| l.abs().max(h.abs())).sum());
                return c
                    .iter()
                    .enumerate()
                    .map(|(i, &ci)| {
                        let (gr, lo, hi) = (&g[i * n..(i + 1) * n], &self.lo[..n], &self.hi[..n]);
                        // `max`/`min` below would turn a NaN into 0: such a row is declined here.
                        if !gr.iter().all(|x| x.is_finite()) {
                            return None;
                        }
                        let (mut d, mut abs) = ([0.0; LANES], [0.0; LANES]);
                        in_lanes!(n, |v, c| {
                            // `g·lo` for `g ≥ 0`, else `g·hi`: one of the two products is zero.
                            let (gp, gn) = (gr[c].max(0.0), gr[c].min(0.0));
                            let p = gp * lo[c] + gn * hi[c];
                            d[v] += p;
                            abs[v] += p.abs();
                        });
                        let (d, abs) = (total(d), total(abs));
                        let charge = ((kap * abs).next_up() + tiny).next_up();
                        let v = add_down(add_down(ci, d), -charge);
                        v.is_finite().then_some(v)
                    })
                    .collect();
            }
            let r = &self.relax[j - 1];
            let kap = kappa(2 * n + 1);
            let mut next = vec![0.0f64; n_rows * n];
            for (i, ci) in c.iter_mut().enumerate() {
                let gr = &g[i * n..(i + 1) * n];
                let out = &mut next[i * n..(i + 1) * n];
                let (lower, upper, icpt, zm) = (&r.lower[..n], &r.upper[..n], &r.intercept[..n], &r.z_mag[..n]);
                let (mut t, mut charge) = ([0.0; LANES], [0.0; LANES]);
                // `max`/`min` below would turn a NaN into 0, so the finiteness test is on `g`: a
                // finite coefficient times a slope in `[0, 1]` is finite.
                let finite = gr.iter().all(|x| x.is_finite());
                in_lanes!(n, |v, col| {
                    let x = gr[col];
                    // A negative coefficient takes the upper line and its intercept. As arithmetic
                    // (of `xp` and `xn` one is zero), so the loop has no branch on the
                    // coefficients' random signs.
                    let (xp, xn) = (x.max(0.0), x.min(0.0));
                    let y = xp * lower[col] + xn * upper[col];
                    let p = xn * icpt[col];
                    out[col] = y;
                    t[v] += p;
                    charge[v] += p.abs() + y.abs() * zm[col];
                });
                let (t, charge) = (total(t), total(charge));
                *ci = add_down(add_down(*ci, t), -((kap * charge).next_up() + r.tiny).next_up());
                if !ci.is_finite() || !finite {
                    // Keep the row's non-finite constant (it is declined at the end) but stop its
                    // coefficients from spreading NaN work.
                    *ci = f64::NAN;
                    out.fill(0.0);
                }
            }
            a = next;
            j -= 1;
        }
    }
}

/// `G = A·W` for `A` (`n_rows × rows`, row-major) and `W` (`rows` rows of `cols`): each entry the
/// fused multiply-add chain over `r` ascending of `A[i][r]·W[r][c]`, from `+0.0`, skipping zero
/// `A[i][r]` (see the module doc).
fn matmul(a: &[f64], n_rows: usize, rows: usize, w: &[Vec<F32>], cols: usize) -> Vec<f64> {
    let mut g = vec![0.0f64; n_rows * cols];
    let (mut dense, mut sparse) = (Vec::new(), Vec::new());
    for i in 0..n_rows {
        let nnz = a[i * rows..(i + 1) * rows].iter().filter(|&&x| x != 0.0).count();
        if nnz <= SPARSE { sparse.push(i) } else { dense.push(i) }
    }
    if !sparse.is_empty() {
        sparse_product(a, &sparse, rows, w, cols, &mut g);
    }
    if !dense.is_empty() {
        dense_product(a, &dense, rows, w, cols, &mut g);
    }
    g
}

/// The rows `which` of `A·W` into `g` (zero on entry) one non-zero of `A` at a time, with FMA
/// instructions where the CPU has them (elsewhere `mul_add` is a libm call per entry).
fn sparse_product(a: &[f64], which: &[usize], rows: usize, w: &[Vec<F32>], cols: usize, g: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU supports AVX2 and FMA, checked just above.
        unsafe { sparse_product_avx2(a, which, rows, w, cols, g) };
        return;
    }
    sparse_product_body(a, which, rows, w, cols, g);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn sparse_product_avx2(a: &[f64], which: &[usize], rows: usize, w: &[Vec<F32>], cols: usize, g: &mut [f64]) {
    sparse_product_body(a, which, rows, w, cols, g);
}

#[inline(always)]
fn sparse_product_body(a: &[f64], which: &[usize], rows: usize, w: &[Vec<F32>], cols: usize, g: &mut [f64]) {
    for &i in which {
        let out = &mut g[i * cols..(i + 1) * cols];
        for (r, &x) in a[i * rows..(i + 1) * rows].iter().enumerate() {
            if x != 0.0 {
                for (o, &wv) in out.iter_mut().zip(&w[r]) {
                    *o = x.mul_add(wf(wv), *o);
                }
            }
        }
    }
}

/// The rows `which` of `A·W` into `g`, with the widest vector unit the CPU has (same bits, see the
/// module doc): tiles sized so the running sums fill about half the vector registers.
fn dense_product(a: &[f64], which: &[usize], rows: usize, w: &[Vec<F32>], cols: usize, g: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx512f") && std::is_x86_feature_detected!("fma") {
            // SAFETY: the CPU supports AVX-512F and FMA, checked just above.
            unsafe { dense_product_avx512(a, which, rows, w, cols, g) };
            return;
        }
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            // SAFETY: the CPU supports AVX2 and FMA, checked just above.
            unsafe { dense_product_avx2(a, which, rows, w, cols, g) };
            return;
        }
    }
    dense_product_body::<2, 4>(a, which, rows, w, cols, g);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn dense_product_avx2(a: &[f64], which: &[usize], rows: usize, w: &[Vec<F32>], cols: usize, g: &mut [f64]) {
    dense_product_body::<4, 12>(a, which, rows, w, cols, g);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,fma")]
fn dense_product_avx512(a: &[f64], which: &[usize], rows: usize, w: &[Vec<F32>], cols: usize, g: &mut [f64]) {
    dense_product_avx512_8x16(a, which, rows, w, cols, g);
}

/// What a tiled product reads: the columns `used` of `A` that are non-zero in some row of
/// `which`, `A` packed per tile of `TR` rows (`[tile][r][TR]`, zero rows padding the last tile)
/// and the strips of `TC` columns of `W` widened to binary64 once, in the order the tiles read
/// them (`[strip][r][TC]`). A zero entry where a row has a zero is multiplied in, not skipped:
/// `fma(0, w, s)` is `s` (a zero's sign aside, see the module doc), so the values are those of
/// the skipping definition.
struct Tiles {
    used: Vec<usize>,
    packed: Vec<f64>,
    wide: Vec<f64>,
    strips: usize,
}

#[inline(always)]
fn tiles<const TR: usize, const TC: usize>(a: &[f64], which: &[usize], rows: usize, w: &[Vec<F32>], cols: usize) -> Tiles {
    let used: Vec<usize> = (0..rows).filter(|&r| which.iter().any(|&i| a[i * rows + r] != 0.0)).collect();
    let nu = used.len();
    let mut packed = vec![0.0f64; which.len().div_ceil(TR) * nu * TR];
    for (t, tile) in which.chunks(TR).enumerate() {
        for (ri, &r) in used.iter().enumerate() {
            for (q, &i) in tile.iter().enumerate() {
                packed[(t * nu + ri) * TR + q] = a[i * rows + r];
            }
        }
    }
    let strips = cols / TC;
    let mut wide = vec![0.0f64; strips * nu * TC];
    for (ri, &r) in used.iter().enumerate() {
        for (st, chunk) in w[r][..strips * TC].chunks_exact(TC).enumerate() {
            for (v, &x) in chunk.iter().enumerate() {
                wide[(st * nu + ri) * TC + v] = wf(x);
            }
        }
    }
    Tiles { used, packed, wide, strips }
}

/// The columns past the last whole strip, one fused multiply-add chain per entry.
#[inline(always)]
fn remainder_columns<const TC: usize>(a: &[f64], which: &[usize], rows: usize, w: &[Vec<F32>], cols: usize, t: &Tiles, g: &mut [f64]) {
    for &i in which {
        for c in t.strips * TC..cols {
            let mut s = 0.0f64;
            for &r in &t.used {
                s = a[i * rows + r].mul_add(wf(w[r][c]), s);
            }
            g[i * cols + c] = s;
        }
    }
}

/// Rows of `A` in tiles of `TR × TC` outputs: the running sums in registers, each weight strip
/// read once per tile of rows, and the columns of `A` that are zero in every row skipped.
#[inline(always)]
fn dense_product_body<const TR: usize, const TC: usize>(
    a: &[f64],
    which: &[usize],
    rows: usize,
    w: &[Vec<F32>],
    cols: usize,
    g: &mut [f64],
) {
    let t = tiles::<TR, TC>(a, which, rows, w, cols);
    let nu = t.used.len();
    for st in 0..t.strips {
        let ws = &t.wide[st * nu * TC..(st + 1) * nu * TC];
        let c0 = st * TC;
        for (ti, tile) in which.chunks(TR).enumerate() {
            let mut acc = [[0.0f64; TC]; TR];
            let pk = &t.packed[ti * nu * TR..(ti + 1) * nu * TR];
            for (wr, ar) in ws.chunks_exact(TC).zip(pk.chunks_exact(TR)) {
                let wr: &[f64; TC] = wr.try_into().expect("TC columns");
                let ar: &[f64; TR] = ar.try_into().expect("TR rows");
                for q in 0..TR {
                    for v in 0..TC {
                        acc[q][v] = ar[q].mul_add(wr[v], acc[q][v]);
                    }
                }
            }
            for (q, &i) in tile.iter().enumerate() {
                g[i * cols + c0..i * cols + c0 + TC].copy_from_slice(&acc[q]);
            }
        }
    }
    remainder_columns::<TC>(a, which, rows, w, cols, &t, g);
}

/// [`dense_product_body`] for 8 rows × 16 columns with AVX-512 intrinsics: the sixteen running
/// sums stay in sixteen of the 32 vector registers (the generic code spills them at this size),
/// and each step is two loads, eight broadcasts and sixteen `vfmadd`s, the same `fma(a, w, s)`
/// as the generic code, so the same bits.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,fma")]
fn dense_product_avx512_8x16(a: &[f64], which: &[usize], rows: usize, w: &[Vec<F32>], cols: usize, g: &mut [f64]) {
    use std::arch::x86_64::{__m512d, _mm512_fmadd_pd, _mm512_loadu_pd, _mm512_set1_pd, _mm512_setzero_pd, _mm512_storeu_pd};
    const TR: usize = 8;
    const TC: usize = 16;
    let t = tiles::<TR, TC>(a, which, rows, w, cols);
    let nu = t.used.len();
    let mut out = [0.0f64; TR * TC];
    for st in 0..t.strips {
        let ws = &t.wide[st * nu * TC..(st + 1) * nu * TC];
        let c0 = st * TC;
        for (ti, tile) in which.chunks(TR).enumerate() {
            let pk = &t.packed[ti * nu * TR..(ti + 1) * nu * TR];
            let mut acc: [__m512d; 2 * TR] = [_mm512_setzero_pd(); 2 * TR];
            for (wr, ar) in ws.chunks_exact(TC).zip(pk.chunks_exact(TR)) {
                // SAFETY: `wr` has TC = 16 elements (chunks_exact): two unaligned loads of 8.
                let (w0, w1) = unsafe { (_mm512_loadu_pd(wr.as_ptr()), _mm512_loadu_pd(wr.as_ptr().add(8))) };
                for q in 0..TR {
                    let x = _mm512_set1_pd(ar[q]);
                    acc[2 * q] = _mm512_fmadd_pd(x, w0, acc[2 * q]);
                    acc[2 * q + 1] = _mm512_fmadd_pd(x, w1, acc[2 * q + 1]);
                }
            }
            for (q, pair) in acc.chunks_exact(2).enumerate() {
                // SAFETY: `out` has TR·TC elements; row q's 16 start at q·16.
                unsafe {
                    _mm512_storeu_pd(out.as_mut_ptr().add(q * TC), pair[0]);
                    _mm512_storeu_pd(out.as_mut_ptr().add(q * TC + 8), pair[1]);
                }
            }
            for (q, &i) in tile.iter().enumerate() {
                g[i * cols + c0..i * cols + c0 + TC].copy_from_slice(&out[q * TC..(q + 1) * TC]);
            }
        }
    }
    remainder_columns::<TC>(a, which, rows, w, cols, &t, g);
}

/// Bounds of every coordinate of `z⁽ᵏ⁾` by the binary64 pass (the rows `±eᵢ`, without building
/// them as rationals); `None` if a row overflowed.
pub(super) fn unit_bounds(engine: &FloatEngine, k: usize) -> Option<Vec<Interval>> {
    let width = engine.layers[k].rows;
    let mut flat = vec![0.0; 2 * width * width];
    for i in 0..width {
        flat[2 * i * width + i] = 1.0;
        flat[(2 * i + 1) * width + i] = -1.0;
    }
    let lower = engine.lower(k, &flat);
    (0..width).map(|i| Some(Interval::new(to_q(lower[2 * i]?), -to_q(lower[2 * i + 1]?)))).collect()
}

/// [`unit_bounds`] as binary64 ends, where a ReLU neuron's upper end `≤ 0` settles it: the upper
/// ends first, then the lower ends only of neurons the upper pass leaves above 0 and `ibp_hi` (the
/// layer's IBP upper ends, the box it is met with) does too (of an identity layer, all of them). A neuron that ends at or below 0 is
/// inactive whatever its lower end, so its relaxation, and every bound built on it, is the same;
/// its lower end is left at −∞ for the caller to meet with IBP. On the 784-256-256-10 MLP of
/// `benches/compare_auto_lirpa.py` 80 of the 256 neurons of the second layer are settled so.
pub(super) fn unit_bounds_f64(engine: &FloatEngine, k: usize, ibp_hi: &[f64]) -> Option<(Vec<f64>, Vec<f64>)> {
    let width = engine.layers[k].rows;
    let unit_rows = |which: &[usize], sign: f64| {
        let mut flat = vec![0.0; which.len() * width];
        for (row, &i) in which.iter().enumerate() {
            flat[row * width + i] = sign;
        }
        engine.lower(k, &flat)
    };
    let all: Vec<usize> = (0..width).collect();
    let hi: Vec<f64> = unit_rows(&all, -1.0).into_iter().map(|v| v.map(|v| -v)).collect::<Option<_>>()?;
    // Only a ReLU makes the lower end of a neuron at or below 0 irrelevant; an identity layer (the
    // output) needs both ends of every neuron.
    let relu = engine.acts[k] == Activation::Relu;
    let open: Vec<usize> = all.into_iter().filter(|&i| !relu || hi[i].min(ibp_hi[i]) > 0.0).collect();
    let mut lo = vec![f64::NEG_INFINITY; width];
    for (&i, v) in open.iter().zip(unit_rows(&open, 1.0)) {
        lo[i] = v?;
    }
    Some((lo, hi))
}

/// Bounds of `c · z⁽ᵏ⁾` for each objective `c` by the binary64 pass (lower from `c`, upper from
/// `−c`); `None` for an objective that is not exactly binary64 or whose pass overflowed.
pub(super) fn bounds(engine: &FloatEngine, k: usize, objectives: &[Vec<Q>]) -> Vec<Option<Interval>> {
    let width = engine.layers[k].rows;
    let rows: Vec<Option<Vec<f64>>> =
        objectives.iter().map(|c| c.iter().map(exact_f64).collect::<Option<Vec<f64>>>()).collect();
    let mut flat = Vec::with_capacity(2 * objectives.len() * width);
    for r in &rows {
        match r {
            Some(v) => {
                flat.extend_from_slice(v);
                flat.extend(v.iter().map(|x| -x));
            }
            // A zero row stands in; its result is discarded.
            None => flat.extend(std::iter::repeat_n(0.0, 2 * width)),
        }
    }
    let lower = engine.lower(k, &flat);
    rows.iter()
        .enumerate()
        .map(|(i, r)| match (r, lower[2 * i], lower[2 * i + 1]) {
            (Some(_), Some(lo), Some(neg)) => Some(Interval::new(to_q(lo), -to_q(neg))),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(n: i64, d: i64) -> Q {
        Q::new(n.into(), d.into())
    }

    #[test]
    fn add_down_never_exceeds_the_exact_sum_and_is_the_next_binary64_below_it() {
        for (x, y) in [(0.1, 0.2), (1.0, 1e-30), (-1.0, -1e-30), (1e300, -1e-300), (3.0, 4.0), (0.5, -0.25)] {
            let s = add_down(x, y);
            let exact = to_q(x) + to_q(y);
            assert!(to_q(s) <= exact, "{x} + {y}");
            assert!(to_q(s.next_up()) > exact, "{x} + {y}: not the largest binary64 below");
        }
        assert_eq!(add_down(3.0, 4.0), 7.0);
        // 1 + 2⁻⁶⁰ rounds to 1 (already below), −1 − 2⁻⁶⁰ rounds to −1 (above: step down).
        assert_eq!(add_down(1.0, 2f64.powi(-60)), 1.0);
        assert_eq!(add_down(-1.0, -(2f64.powi(-60))), (-1.0f64).next_down());
    }

    #[test]
    fn directed_quotients_and_products_bracket_the_exact_value_by_one_step() {
        // 1/3 and 2/3 are not binary64s: the quotient rounded down is below, its successor above;
        // 0.1·0.3 likewise for the product rounded up. Exact ones stay exact.
        for (x, y) in [(1.0, 3.0), (2.0, 3.0), (0.7, 0.9), (1.0, 4.0)] {
            let d = div_down(x, y).unwrap();
            let exact = to_q(x) / to_q(y);
            assert!(to_q(d) <= exact && exact < to_q(d.next_up()), "{x}/{y}");
        }
        assert_eq!(div_down(1.0, 4.0), Some(0.25));
        for (x, y) in [(0.1, 0.3), (1.0 / 3.0, 0.7), (3.0, 0.25)] {
            let p = mul_up(x, y).unwrap();
            let exact = to_q(x) * to_q(y);
            assert!(exact <= to_q(p) && to_q(p.next_down()) < exact, "{x}·{y}");
        }
        assert_eq!((mul_up(3.0, 0.25), mul_up(0.0, 5.0)), (Some(0.75), Some(0.0)));
        // Where the error would not be a binary64 they decline.
        assert_eq!((div_down(1e-300, 1e10), mul_up(1e-200, 1e-200)), (None, None));
    }

    #[test]
    fn lane_sums_have_the_bits_of_the_fixed_lane_order() {
        // 19 terms: lanes 0..7 take terms i, i + 8 (and 16..18 the third round), then the lanes
        // are added pairwise; a sum whose order matters shows the bits follow that order.
        let xs: Vec<f64> = (0..19).map(|i| if i % 2 == 0 { 1e16 } else { 1.0 + i as f64 }).collect();
        let mut lanes = [0.0; LANES];
        in_lanes!(xs.len(), |v, i| {
            lanes[v] += xs[i];
        });
        let mut want = [0.0; LANES];
        for (i, x) in xs.iter().enumerate() {
            want[if i < 16 { i % 8 } else { i - 16 }] += x;
        }
        assert_eq!(lanes, want);
        assert_eq!(total(lanes), ((want[0] + want[1]) + (want[2] + want[3])) + ((want[4] + want[5]) + (want[6] + want[7])));
    }

    #[test]
    fn to_q_is_the_exact_value() {
        for x in [0.1, -0.1, 1.0, -3.5, 1e300, -1e-300, f64::from_bits(1), f64::MAX, 0.0, -0.0] {
            assert_eq!(to_q(x), Q::from_float(x).unwrap(), "{x}");
        }
    }

    #[test]
    fn directed_conversions_bracket_the_rational() {
        let third = q(1, 3);
        let (d, u) = (to_f64(&third, false).unwrap(), to_f64(&third, true).unwrap());
        assert_eq!(u, d.next_up());
        assert!(to_q(d) < third && third < to_q(u));
        assert_eq!(exact_f64(&third), None);
        assert_eq!(exact_f64(&q(-3, 8)), Some(-0.375));
        // Subnormal results are declined rather than rounded in the wrong direction.
        assert_eq!(to_f64(&Q::new(1.into(), num_bigint::BigInt::from(1) << 1070usize), false), None);
    }

    /// Every entry of the tiled AVX2/portable product is the bits of the one-row fold, for sizes
    /// with remainders in both directions, zeros in `A`, and rows on both the sparse and dense path.
    #[test]
    fn tiled_product_has_the_bits_of_the_row_fold() {
        let (n_rows, rows, cols) = (11, 37, 21);
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        };
        let w: Vec<Vec<F32>> =
            (0..rows).map(|_| (0..cols).map(|_| F32(((next() * 3.0) as f32).to_bits())).collect()).collect();
        let mut a: Vec<f64> = (0..n_rows * rows).map(|_| next() / 7.0).collect();
        for r in 0..rows {
            if r % 5 == 0 {
                for i in 0..n_rows {
                    a[i * rows + r] = 0.0;
                }
            }
        }
        // Row 3 sparse (two entries), row 4 has scattered zeros.
        for r in 0..rows {
            a[3 * rows + r] = if r == 2 || r == 30 { 0.25 + r as f64 } else { 0.0 };
            if r % 3 == 0 {
                a[4 * rows + r] = 0.0;
            }
        }
        let g = matmul(&a, n_rows, rows, &w, cols);
        let mut portable = vec![0.0; n_rows * cols];
        let which: Vec<usize> = (0..n_rows).collect();
        dense_product_body::<4, 8>(&a, &which, rows, &w, cols, &mut portable);
        // The tile the dispatcher uses without AVX2.
        let mut narrow = vec![0.0; n_rows * cols];
        dense_product_body::<2, 4>(&a, &which, rows, &w, cols, &mut narrow);
        assert_eq!(narrow.iter().map(|x| x.to_bits()).collect::<Vec<_>>(), portable.iter().map(|x| x.to_bits()).collect::<Vec<_>>());
        for i in 0..n_rows {
            for c in 0..cols {
                let mut s = 0.0f64;
                for r in 0..rows {
                    if a[i * rows + r] != 0.0 {
                        s = a[i * rows + r].mul_add(wf(w[r][c]), s);
                    }
                }
                assert_eq!(g[i * cols + c].to_bits(), s.to_bits(), "row {i} col {c}");
                assert_eq!(portable[i * cols + c].to_bits(), s.to_bits(), "portable row {i} col {c}");
            }
        }
        // Every vector width this CPU has, called directly: the same bits again.
        #[cfg(target_arch = "x86_64")]
        for (name, run) in [
            ("avx2", std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")),
            ("avx512f", std::is_x86_feature_detected!("avx512f") && std::is_x86_feature_detected!("fma")),
        ] {
            if !run {
                continue;
            }
            let mut out = vec![0.0; n_rows * cols];
            // SAFETY: the feature was detected just above.
            unsafe {
                match name {
                    "avx2" => dense_product_avx2(&a, &which, rows, &w, cols, &mut out),
                    _ => dense_product_avx512(&a, &which, rows, &w, cols, &mut out),
                }
            }
            assert_eq!(
                out.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                portable.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                "{name}"
            );
        }
    }
}
