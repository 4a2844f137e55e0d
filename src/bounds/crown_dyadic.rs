//! The CROWN backward pass in block-dyadic integer arithmetic: the fast engine behind
//! [`super::crown`] when every number involved is dyadic.
//!
//! A coefficient vector is a *block*: machine integers `mᵢ` sharing one exponent, `aᵢ = mᵢ·2^e`.
//! Weights and biases (binary32, so dyadic) are exact blocks; a step `a ↦ a·W` is then an integer
//! matrix product in `i128` with the exponents added — no gcd, no allocation per entry. The bit
//! budgets below make every `i128` sum provably overflow-free.
//!
//! Coefficients are kept short by rounding them **down** (`floor`) to a fixed number of bits, and
//! the rounding is paid for in the constant, which keeps every bound sound:
//! - rounding `g` (the coefficients on `h = act(z)`, `h ∈ [hl, hu]`) to `g̃` leaves
//!   `g − g̃ = δ ∈ [0, 2^E)` per entry, and `δ·h ≥ δ·min(0, hl) ≥ 2^E·min(0, hl)`, so
//!   `g·h ≥ g̃·h + 2^E·Σ min(0, hl)` (for a ReLU `hl ≥ 0` and the term vanishes);
//! - the same argument with `z ∈ [l, u]` covers rounding the coefficients on `z` after the ReLU
//!   lines are applied: `+ 2^E·Σ min(0, l)`;
//! - an upper line's intercept `t` is only used with a negative coefficient, so it is rounded **up**
//!   (`h ≤ s'z + t ≤ s'z + t'`): the line stays an upper line.
//!
//! The constant itself is accumulated exactly as a [`Dyadic`], and the last step (onto the input
//! box, whose ends need not be dyadic) is exact over ℚ. Everything is integer arithmetic in a fixed
//! order, so results do not depend on the thread count.
use num_bigint::BigInt;
use num_integer::Integer;
use num_traits::Zero;

use crate::num::interval::{Box, Interval};
use super::relax::{ReluCase, relu_case};
use crate::bounds::dense::{Activation, Dense};
use crate::num::Q;
use crate::num::binary32::F32;
use crate::num::dyadic::Dyadic;

/// Bits kept in the coefficients on a post-activation vector before the ReLU lines apply.
const G_BITS: u32 = 62;
/// Every `i128` dot product stays below `2^BUDGET`.
const BUDGET: u32 = 125;
/// Below this coefficient precision the engine declines and the exact path runs instead.
const MIN_BITS: u32 = 16;

/// `⌈log₂ n⌉` (0 for `n ≤ 1`).
fn clog2(n: usize) -> u32 {
    usize::BITS - n.saturating_sub(1).leading_zeros()
}

fn bitlen(x: i128) -> u32 {
    128 - x.unsigned_abs().leading_zeros()
}

/// `⌊x / 2^sh⌋` for `sh ≥ 0`.
fn shr_floor(x: i128, sh: i64) -> i128 {
    if sh >= 127 { if x < 0 { -1 } else { 0 } } else { x >> sh }
}

/// Integers sharing one exponent: value `i` is `m[i]·2^exp`.
#[derive(Debug, Clone)]
struct Block {
    m: Vec<i64>,
    exp: i64,
}

impl Block {
    /// The values exactly, if each needs at most `prec` bits at the smallest exponent among them.
    fn exact(v: &[Dyadic], prec: u32) -> Option<(Block, u32)> {
        let exp = v.iter().filter(|d| !d.is_zero()).map(|d| d.exponent).min().unwrap_or(0);
        let mut width = 0;
        let m = v
            .iter()
            .map(|d| {
                let x = &d.mantissa << (d.exponent - exp).max(0) as usize;
                width = width.max(x.magnitude().bits());
                i64::try_from(x).ok()
            })
            .collect::<Option<Vec<i64>>>()?;
        (width <= u64::from(prec)).then_some((Block { m, exp }, width as u32))
    }
    /// Each value rounded down (`up == false`) or up to the common exponent at which the largest
    /// needs `prec ≤ 62` bits.
    fn rounded(v: &[Dyadic], prec: u32, up: bool) -> Block {
        Block::rounded_at(v, top_exponent(v).map_or(0, |t| t - i64::from(prec)), up)
    }
    /// Each value rounded down or up to a multiple of `2^exp` (which must leave at most 62 bits).
    fn rounded_at(v: &[Dyadic], exp: i64, up: bool) -> Block {
        let m = v
            .iter()
            .map(|d| {
                let sh = d.exponent - exp;
                let x = if sh >= 0 {
                    &d.mantissa << sh as usize
                } else if up {
                    // ⌈x⌉ = −⌊−x⌋; BigInt's `>>` rounds toward −∞.
                    -((-&d.mantissa) >> (-sh) as usize)
                } else {
                    &d.mantissa >> (-sh) as usize
                };
                i64::try_from(x).expect("at most `prec` ≤ 62 bits plus a carry")
            })
            .collect();
        Block { m, exp }
    }
}

/// A finite binary32 as `(m, e)` with `m` odd or 0 (IEEE 754-2019 §3.4); `None` for ±∞ and NaN.
fn f32_parts(x: F32) -> Option<(i64, i64)> {
    if !x.is_finite() {
        return None;
    }
    let bits = x.to_bits();
    let exp = i64::from((bits >> 23) & 0xff);
    let frac = i64::from(bits & 0x7f_ffff);
    let (m, e) = if exp == 0 { (frac, -149) } else { (frac | 0x80_0000, exp - 150) };
    if m == 0 {
        return Some((0, 0));
    }
    let tz = m.trailing_zeros();
    let m = m >> tz;
    Some((if bits >> 31 == 1 { -m } else { m }, e + i64::from(tz)))
}

/// Binary32 values as an exact block and its width in bits, if every value fits in 63 bits at the
/// smallest exponent among them.
fn f32_block(v: &[F32]) -> Option<(Block, u32)> {
    let parts: Vec<(i64, i64)> = v.iter().map(|&x| f32_parts(x)).collect::<Option<_>>()?;
    let exp = parts.iter().filter(|p| p.0 != 0).map(|p| p.1).min().unwrap_or(0);
    let (mut width, mut m) = (0, Vec::with_capacity(parts.len()));
    for &(x, e) in &parts {
        if x == 0 {
            m.push(0);
            continue;
        }
        // |x| < 2^24, so it fits in 63 bits after a shift of at most 39.
        let sh = e - exp;
        if sh > 39 {
            return None;
        }
        let y = x << sh;
        width = width.max(64 - y.unsigned_abs().leading_zeros());
        m.push(y);
    }
    Some((Block { m, exp }, width))
}

/// The exponent `t` with `|v| < 2^t` for all values, `None` when all are 0.
fn top_exponent(v: &[Dyadic]) -> Option<i64> {
    v.iter().filter(|d| !d.is_zero()).map(|d| d.exponent + d.significant_bits() as i64).max()
}

/// `m · 2^e` as a dyadic.
fn dyadic(m: i128, e: i64) -> Dyadic {
    Dyadic::new(BigInt::from(m), e)
}

/// An exact sum of terms `m·2^e`, added up once at the end: normalising after every term (as
/// [`Dyadic`] addition does) cost more than the integer backward pass itself on ACAS-sized layers.
#[derive(Default)]
struct DyadicSum {
    terms: Vec<(BigInt, i64)>,
}

impl DyadicSum {
    fn push_i128(&mut self, m: i128, e: i64) {
        if m != 0 {
            self.terms.push((BigInt::from(m), e));
        }
    }
    /// `d · 2^shift`.
    fn push_dyadic(&mut self, d: &Dyadic, shift: i64) {
        if !d.is_zero() {
            self.terms.push((d.mantissa.clone(), d.exponent + shift));
        }
    }
    /// `(s, e)` with the sum equal to `s · 2^e`.
    fn total(&self) -> (BigInt, i64) {
        let e = self.terms.iter().map(|t| t.1).min().unwrap_or(0);
        let s = self.terms.iter().fold(BigInt::zero(), |acc, (m, te)| acc + (m << (te - e) as usize));
        (s, e)
    }
}

/// `num · 2^e / den` as a reduced fraction.
fn pow2_fraction(num: BigInt, den: BigInt, e: i64) -> Q {
    if e >= 0 { Q::new(num << e as usize, den) } else { Q::new(num, den << (-e) as usize) }
}

/// A slope `m·2^e ∈ [0, 1]` with a machine mantissa.
#[derive(Debug, Clone, Copy)]
struct Slope {
    m: u64,
    e: i64,
}

impl Slope {
    fn of(q: &Q) -> Option<Slope> {
        let d = Dyadic::from_rational(q)?;
        Some(Slope { m: u64::try_from(&d.mantissa).ok()?, e: d.exponent })
    }
}

/// One affine layer as exact blocks.
struct Affine {
    w: Vec<Vec<i64>>,
    w_exp: i64,
    b: Block,
    /// `|w| < 2^w_bits`.
    w_bits: u32,
    /// Bits of the coefficient vectors on this layer's output `z` (one per row of `w`).
    prec: u32,
}

/// The lines of one layer's activations over its bounds.
struct Relaxation {
    lower: Vec<Slope>,
    upper: Vec<Slope>,
    /// Upper-line intercepts, rounded up.
    intercept: Block,
    /// `Σ min(0, act(l))` and `Σ min(0, l)`: the rounding charges above.
    neg_h: Dyadic,
    neg_z: Dyadic,
    /// The post-activation box `act([l, u])`, rounded outward to one exponent, for IBP of the next
    /// layer: lower ends `m[0]`, upper ends `m[1]`.
    h_box: [Vec<i64>; 2],
    h_exp: i64,
}

/// The input box over one common denominator: `x_c ∈ [lo[c], hi[c]] / den`.
pub(super) struct InputBox {
    lo: Vec<BigInt>,
    hi: Vec<BigInt>,
    den: BigInt,
}

impl InputBox {
    pub(super) fn new(b: &Box) -> InputBox {
        let den = b.iter().flat_map(|iv| [iv.lo.denom(), iv.hi.denom()]).fold(BigInt::from(1), |d, x| d.lcm(x));
        let num = |q: &Q| q.numer() * (&den / q.denom());
        InputBox { lo: b.iter().map(|iv| num(&iv.lo)).collect(), hi: b.iter().map(|iv| num(&iv.hi)).collect(), den }
    }
}

/// A dense network prepared for the dyadic backward pass.
pub(super) struct Engine {
    layers: Vec<Affine>,
    acts: Vec<Activation>,
    relax: Vec<Relaxation>,
}

impl Engine {
    /// The exact blocks of the network's parameters, or `None` when a layer's weights span too many
    /// binades for the `i128` budget (or are not finite).
    pub(super) fn new(mlp: &Dense) -> Option<Engine> {
        let mut layers = Vec::with_capacity(mlp.layers.len());
        for l in &mlp.layers {
            let flat: Vec<F32> = l.weight.iter().flatten().copied().collect();
            let (wb, w_bits) = f32_block(&flat)?;
            let (b, b_bits) = f32_block(&l.bias)?;
            let room = BUDGET.checked_sub(w_bits.max(b_bits) + clog2(l.weight.len()))?;
            let prec = room.min(62);
            if prec < MIN_BITS {
                return None;
            }
            let cols = l.weight.first().map_or(0, Vec::len);
            let w = if cols == 0 {
                vec![Vec::new(); l.weight.len()]
            } else {
                wb.m.chunks(cols).map(<[i64]>::to_vec).collect()
            };
            layers.push(Affine { w, w_exp: wb.exp, b, w_bits, prec });
        }
        Some(Engine { layers, acts: mlp.layers.iter().map(|l| l.act).collect(), relax: Vec::new() })
    }

    /// Records the lines of layer `relaxed()` from its pre-activation bounds (dyadic), lower slopes
    /// and upper slopes (dyadics in `[0, 1]` with at most [`super::relax::SLOPE_BITS`] bits); `None` if one is
    /// not of that form.
    pub(super) fn push_relaxation(&mut self, pre: &Box, alphas: &[Q], upper: &[Q]) -> Option<()> {
        let k = self.relax.len();
        let act = self.acts[k];
        let zero = Q::zero();
        let one = Q::from_integer(1.into());
        let (mut lower_s, mut upper_s, mut intercepts) = (Vec::new(), Vec::new(), Vec::new());
        let (mut neg_h, mut neg_z) = (Dyadic::zero(), Dyadic::zero());
        let mut hs = Vec::with_capacity(pre.len());
        for ((iv, alpha), s) in pre.iter().zip(alphas).zip(upper) {
            let (l, u) = (Dyadic::from_rational(&iv.lo)?, Dyadic::from_rational(&iv.hi)?);
            let (lo, hi, t) = match (act, relu_case(&iv.lo, &iv.hi, &zero)) {
                (Activation::Identity, _) | (Activation::Relu, ReluCase::Active) => (one.clone(), one.clone(), Dyadic::zero()),
                (Activation::Relu, ReluCase::Inactive) => (zero.clone(), zero.clone(), Dyadic::zero()),
                (Activation::Relu, ReluCase::Unstable) => {
                    // h ≤ s'·(z − u) + u: intercept u·(1 − s').
                    let sd = Dyadic::from_rational(s)?;
                    let t = &u * &(&Dyadic::new(1.into(), 0) - &sd);
                    (alpha.clone(), s.clone(), t)
                }
            };
            let (lo, hi) = (Slope::of(&lo)?, Slope::of(&hi)?);
            lower_s.push(lo);
            upper_s.push(hi);
            intercepts.push(t);
            let relu = |x: &Dyadic| if act == Activation::Relu && x.signum() < 0 { Dyadic::zero() } else { x.clone() };
            let hl = relu(&l);
            hs.push((hl.clone(), relu(&u)));
            if hl.signum() < 0 {
                neg_h = &neg_h + &hl;
            }
            if l.signum() < 0 {
                neg_z = &neg_z + &l;
            }
        }
        let prec = BUDGET - G_BITS - clog2(pre.len());
        let intercept = Block::rounded(&intercepts, prec.min(62), true);
        let (h_box, h_exp) = match self.layers.get(k + 1) {
            Some(next) => {
                let (hl, hu): (Vec<Dyadic>, Vec<Dyadic>) = hs.into_iter().unzip();
                let top = top_exponent(&hl).max(top_exponent(&hu)).unwrap_or(0);
                let prec = BUDGET.saturating_sub(next.w_bits + clog2(pre.len())).min(62);
                let exp = top - i64::from(prec);
                ([Block::rounded_at(&hl, exp, false).m, Block::rounded_at(&hu, exp, true).m], exp)
            }
            None => ([Vec::new(), Vec::new()], 0),
        };
        self.relax.push(Relaxation { lower: lower_s, upper: upper_s, intercept, neg_h, neg_z, h_box, h_exp });
        Some(())
    }

    /// Interval bounds of `z⁽ᵏ⁾` (`k ≥ 1`) from the recorded box of layer `k − 1`, rounded outward
    /// (sound, at most a few units in the 60th bit looser than exact IBP).
    pub(super) fn ibp(&self, k: usize) -> Vec<Interval> {
        let (layer, r) = (&self.layers[k], &self.relax[k - 1]);
        layer
            .w
            .iter()
            .zip(&layer.b.m)
            .map(|(row, &b)| {
                let (mut lo, mut hi) = (0i128, 0i128);
                for ((&w, &hl), &hu) in row.iter().zip(&r.h_box[0]).zip(&r.h_box[1]) {
                    let (x, y) = if w >= 0 { (hl, hu) } else { (hu, hl) };
                    lo += i128::from(w) * i128::from(x);
                    hi += i128::from(w) * i128::from(y);
                }
                let e = layer.w_exp + r.h_exp;
                let b = dyadic(b.into(), layer.b.exp);
                Interval::new((&dyadic(lo, e) + &b).to_rational(), (&dyadic(hi, e) + &b).to_rational())
            })
            .collect()
    }

    /// The exact interval bounds of the first pre-activation `z⁽⁰⁾ = W x + b` over `input`: the
    /// same rationals as IBP over ℚ, computed as one integer dot product per end over the box's
    /// common denominator instead of one reduced fraction per term.
    pub(super) fn ibp_input(&self, input: &InputBox) -> Vec<Interval> {
        let layer = &self.layers[0];
        let num_bits = input.lo.iter().chain(&input.hi).map(|x| x.bits()).max().unwrap_or(0);
        let cols = layer.w.first().map_or(0, Vec::len);
        // i128 holds every sum when the products and their count fit in 126 bits.
        let narrow = u64::from(layer.w_bits) + num_bits + u64::from(clog2(cols)) <= 126;
        let small: Option<(Vec<i64>, Vec<i64>)> = narrow
            .then(|| {
                let conv = |v: &[BigInt]| v.iter().map(|x| i64::try_from(x).ok()).collect::<Option<Vec<i64>>>();
                Some((conv(&input.lo)?, conv(&input.hi)?))
            })
            .flatten();
        // `acc · 2^w_exp / den + b`, reduced once.
        let scale = |acc: BigInt| -> Q {
            if layer.w_exp >= 0 {
                Q::new(acc << layer.w_exp as usize, input.den.clone())
            } else {
                Q::new(acc, &input.den << (-layer.w_exp) as usize)
            }
        };
        layer
            .w
            .iter()
            .zip(&layer.b.m)
            .map(|(row, &b)| {
                let (lo, hi) = match &small {
                    Some((xl, xh)) => {
                        let (mut lo, mut hi) = (0i128, 0i128);
                        for ((&w, &l), &h) in row.iter().zip(xl).zip(xh) {
                            let (x, y) = if w >= 0 { (l, h) } else { (h, l) };
                            lo += i128::from(w) * i128::from(x);
                            hi += i128::from(w) * i128::from(y);
                        }
                        (BigInt::from(lo), BigInt::from(hi))
                    }
                    None => {
                        let (mut lo, mut hi) = (BigInt::zero(), BigInt::zero());
                        for ((&w, l), h) in row.iter().zip(&input.lo).zip(&input.hi) {
                            let (x, y) = if w >= 0 { (l, h) } else { (h, l) };
                            lo += x * w;
                            hi += y * w;
                        }
                        (lo, hi)
                    }
                };
                let b = dyadic(b.into(), layer.b.exp).to_rational();
                Interval::new(scale(lo) + &b, scale(hi) + &b)
            })
            .collect()
    }

    /// The objective row as a block for layer `k`, if it is dyadic and short enough.
    pub(super) fn objective(&self, k: usize, c: &[Q]) -> Option<(Vec<i64>, i64)> {
        let d: Vec<Dyadic> = c.iter().map(Dyadic::from_rational).collect::<Option<_>>()?;
        let (b, _) = Block::exact(&d, self.layers[k].prec)?;
        Some((b.m, b.exp))
    }

    /// A lower bound over `input` of `a · z⁽ᵏ⁾` (`a = m·2^e`), substituting layers `k, …, 0`
    /// backwards with the recorded lines (the lower line where the coefficient is `≥ 0`).
    pub(super) fn lower(&self, k: usize, objective: &(Vec<i64>, i64), input: &InputBox) -> Q {
        let (mut a, mut ea) = objective.clone();
        let mut constant = DyadicSum::default();
        let mut j = k;
        loop {
            let layer = &self.layers[j];
            let bias: i128 = a.iter().zip(&layer.b.m).map(|(&x, &y)| i128::from(x) * i128::from(y)).sum();
            constant.push_i128(bias, ea + layer.b.exp);
            let cols = layer.w.first().map_or(0, Vec::len);
            let mut g = vec![0i128; cols];
            for (&ar, row) in a.iter().zip(&layer.w) {
                if ar == 0 {
                    continue;
                }
                let ar = i128::from(ar);
                for (gc, &w) in g.iter_mut().zip(row) {
                    *gc += ar * i128::from(w);
                }
            }
            let eg = ea + layer.w_exp;
            if j == 0 {
                // Σ g_c·x_c over the box, exactly: ends are numerators over one denominator.
                let mut acc = BigInt::zero();
                for (&gc, (lo, hi)) in g.iter().zip(input.lo.iter().zip(&input.hi)) {
                    if gc != 0 {
                        acc += BigInt::from(gc) * if gc > 0 { lo } else { hi };
                    }
                }
                // constant + acc·2^eg / den as one fraction, reduced once.
                let (c, ec) = constant.total();
                let e = ec.min(eg);
                let num = (c << (ec - e) as usize) * &input.den + (acc << (eg - e) as usize);
                return pow2_fraction(num, input.den.clone(), e);
            }
            let r = &self.relax[j - 1];
            // g̃ = ⌊g⌋ to G_BITS bits, charged 2^E·Σ min(0, hl).
            let sh = i64::from(g.iter().map(|&x| bitlen(x)).max().unwrap_or(0).saturating_sub(G_BITS));
            let gt: Vec<i64> = g.iter().map(|&x| shr_floor(x, sh) as i64).collect();
            let egt = eg + sh;
            if sh > 0 {
                constant.push_dyadic(&r.neg_h, egt);
            }
            // Upper intercepts where the coefficient is negative.
            let t: i128 = gt.iter().zip(&r.intercept.m).map(|(&x, &y)| i128::from(x.min(0)) * i128::from(y)).sum();
            constant.push_i128(t, egt + r.intercept.exp);
            // Slopes, then ⌊·⌋ to the precision of layer j − 1's coefficients, charged 2^E·Σ min(0, l).
            let prods: Vec<(i128, i64)> = gt
                .iter()
                .enumerate()
                .map(|(c, &x)| {
                    let s = if x >= 0 { r.lower[c] } else { r.upper[c] };
                    (i128::from(x) * i128::from(s.m), s.e)
                })
                .collect();
            let top = prods.iter().filter(|p| p.0 != 0).map(|&(p, e)| i64::from(bitlen(p)) + e).max();
            let Some(top) = top else {
                let (c, e) = constant.total();
                return pow2_fraction(c, BigInt::from(1), e);
            };
            let target = top - i64::from(self.layers[j - 1].prec);
            let mut inexact = false;
            a = prods
                .iter()
                .map(|&(p, e)| {
                    let sh = target - e;
                    if sh <= 0 {
                        (p << (-sh)) as i64
                    } else {
                        let q = shr_floor(p, sh);
                        inexact |= sh >= 127 || (q << sh) != p;
                        q as i64
                    }
                })
                .collect();
            ea = egt + target;
            if inexact {
                constant.push_dyadic(&r.neg_z, ea);
            }
            j -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bounds::dense::DenseLayer;

    #[test]
    fn the_first_layer_box_is_exact_ibp_on_both_integer_paths() {
        // Weights across 14 binades with full 24-bit mantissas: the block exponent is 36 below 3.0.
        let w = |v: f32| F32(v.to_bits());
        let weight = vec![
            vec![w(0.75), w(-1.5e-4), w(3.0)],
            vec![w(-2.0), w(0.3), w(0.1)],
        ];
        let mlp = Dense { layers: vec![DenseLayer { weight: weight.clone(), bias: vec![w(0.5), w(-0.25)], act: Activation::Relu }] };
        let e = Engine::new(&mlp).expect("fits the budget");
        let q = |n: i64, d: i64| Q::new(n.into(), d.into());
        let wq: Vec<Vec<Q>> = weight.iter().map(|r| r.iter().map(|x| x.to_rational().unwrap()).collect()).collect();
        let bq = vec![q(1, 2), q(-1, 4)];
        // Small numerators (the i128 path), then thirds to the 45th power (numerators past i64).
        let third = Q::new(1.into(), BigInt::from(3).pow(45u32));
        for input in [
            vec![Interval::new(q(-1, 3), q(1, 2)), Interval::new(q(0, 1), q(7, 5)), Interval::new(q(-2, 1), q(-1, 7))],
            vec![Interval::new(-third.clone(), third.clone()), Interval::new(q(1, 3), q(1, 1)), Interval::new(q(0, 1), third)],
        ] {
            let want = crate::bounds::ibp::ibp_layer(&wq, &bq, Activation::Identity, &input);
            assert_eq!(e.ibp_input(&InputBox::new(&input)), want);
        }
    }

    fn d(m: i64, e: i64) -> Dyadic {
        Dyadic::new(m.into(), e)
    }

    #[test]
    fn blocks_round_outward_and_shifts_floor() {
        // 1/3-ish values: 5·2^-4 and −3·2^-10 at 4 bits: common exponent −4 (5 = 0b0101 has 3 bits,
        // top = −4 + 3 = −1, exp = −5), so 5·2^-4 = 10·2^-5 and −3·2^-10 → ⌊−3/32⌋ = −1, ⌈·⌉ = 0.
        let v = [d(5, -4), d(-3, -10)];
        let down = Block::rounded(&v, 4, false);
        let up = Block::rounded(&v, 4, true);
        assert_eq!((down.m.clone(), down.exp), (vec![10, -1], -5));
        assert_eq!((up.m, up.exp), (vec![10, 0], -5));
        assert_eq!(shr_floor(-5, 1), -3);
        assert_eq!(shr_floor(-5, 200), -1);
        assert_eq!(shr_floor(5, 200), 0);
        assert_eq!(clog2(1), 0);
        assert_eq!(clog2(50), 6);
        assert_eq!(clog2(64), 6);
        // Exact blocks refuse values that do not fit.
        assert!(Block::exact(&[d(1, 0), d(1, 70)], 62).is_none());
        assert_eq!(Block::exact(&[d(3, 2), d(1, 0)], 62).map(|(b, w)| (b.m, b.exp, w)), Some((vec![12, 1], 0, 4)));
    }
}
