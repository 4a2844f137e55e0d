//! The data of Lean's packed CROWN checker (`lean/TorchLean/Bounds/CrownRun.lean`,
//! `Cert/PackedLeaf.lean`): integer columns per layer, field widths, and per branch-and-bound leaf
//! the ReLU lines, the hidden boxes and the passes that refute the property.
//!
//! Lean checks all of a leaf's backward passes at once, as fields of one `Nat` per neuron. The
//! emitter is not trusted. Still, it must produce data the kernel will accept, so it derives the
//! boxes with the very integer computation Lean's `finalSpec` states for one pass. It works from
//! the first hidden layer up: each neuron's two passes give its box, the box fixes the layer's
//! lines, and those lines serve every pass from higher layers. A leaf the fixed-point passes
//! cannot refute is an error, never a module that fails to build.
use ethnum::I256;
use num_bigint::BigInt;
use num_integer::Integer;
use num_traits::{One, Signed, Zero};
use rayon::prelude::*;

use std::fmt::Write;

use super::syntax::{int_list, nat_list, rat, raw_int_list, raw_nat_list, sign_list};
use crate::bounds::relax::{ReluCase, relu_case};
use crate::search::bab::Refutation;
use crate::num::interval::Box;
use crate::error::{Error, Result};
use crate::bounds::dense::{Activation, Dense};
use crate::num::Q;
use crate::property::{LinearConstraint, Vnnlib};

/// Bits every backward coefficient keeps after a layer's rounding (the `E - q` of each hidden
/// level): the relative error a floor adds is about `2^-PRECISION`.
pub const PRECISION: u32 = 64;
/// Bits of the ReLU lines' slopes and intercepts (integers over `2^SLOPE_BITS`).
pub const SLOPE_BITS: u32 = 24;
/// Headroom bits above a level's relaxed coefficients, for the constants' intercept sums and
/// for the hidden boxes' ends (a box end `z` is stored as `z · M`).
pub const HEADROOM: u32 = 24;

/// One layer's weights as integers at scale `1/Ω` (a power of two: binary32 weights are dyadic),
/// with the widths the checker uses when crossing it (Lean's `LayerPk`).
#[derive(Debug, Clone, PartialEq)]
pub struct LayerPk {
    /// Per input neuron, the column of weights over the layer's outputs (signed integers).
    pub cols: Vec<Vec<BigInt>>,
    /// The bias, one integer per output.
    pub bias: Vec<BigInt>,
    /// The integer standing for 1 at the weights' scale.
    pub omega: BigInt,
    /// The fields' bias exponent of the sums before rounding.
    pub e: u32,
    /// The rounding shift.
    pub q: u32,
    /// Slope bits of the ReLU layer below.
    pub r: u32,
    /// The bias exponent after that layer's lines.
    pub beta2: u32,
    /// The scale of that layer's box ends.
    pub m: BigInt,
}

impl LayerPk {
    /// Each column's magnitude sum.
    pub fn sums(&self) -> Vec<BigInt> {
        self.cols.iter().map(|c| c.iter().map(BigInt::abs).sum()).collect()
    }

    /// The bias column's magnitude sum, `Ω` included.
    pub fn bsum(&self) -> BigInt {
        self.bias.iter().map(BigInt::abs).sum::<BigInt>() + &self.omega
    }
}

/// The network's packed data: the top layer first, the first layer last, and the bias exponent
/// the top passes enter with.
#[derive(Debug, Clone, PartialEq)]
pub struct NetPk {
    /// Layers from the output down; `layers.last()` is the first layer (crossed without rounding).
    pub layers: Vec<LayerPk>,
    /// The starting passes' bias exponent.
    pub beta_top: u32,
    /// The scale of the output passes' coefficients.
    pub m_top: BigInt,
    /// The field width.
    pub field: u32,
}

/// One hidden layer's lines and box for one leaf (Lean's `ReluPk`, with the layer's entry of the
/// leaf's `IbpPk` list).
#[derive(Debug, Clone, PartialEq)]
pub struct ReluPk {
    pub an: Vec<BigInt>,
    pub sn: Vec<BigInt>,
    pub ics: Vec<BigInt>,
    /// The CROWN box: the ends the main run's joining passes prove.
    pub lo: Vec<BigInt>,
    pub hi: Vec<BigInt>,
    /// The IBP box over the claimed box of the layer below, where it tightens the CROWN box.
    pub ibp: Option<IbpPk>,
}

/// A hidden layer's IBP box for one leaf (Lean's `IbpPk`): ends over the layer's `M`.
#[derive(Debug, Clone, PartialEq)]
pub struct IbpPk {
    pub lo: Vec<BigInt>,
    pub hi: Vec<BigInt>,
}

impl ReluPk {
    /// The box the lines are checked against (Lean's `claimLo`/`claimHi`): the CROWN box met with
    /// the IBP box.
    pub fn claimed(&self) -> (Vec<BigInt>, Vec<BigInt>) {
        match &self.ibp {
            None => (self.lo.clone(), self.hi.clone()),
            Some(i) => (
                self.lo.iter().zip(&i.lo).map(|(a, b)| a.max(b).clone()).collect(),
                self.hi.iter().zip(&i.hi).map(|(a, b)| a.min(b).clone()).collect(),
            ),
        }
    }
}

/// A leaf's packed data: its lines and boxes (from the top hidden layer down), the input box as
/// integers over `k` (lower ends and widths), and per disjunct the refuting pass.
#[derive(Debug, Clone, PartialEq)]
pub struct LeafPk {
    pub relus: Vec<ReluPk>,
    pub k: BigInt,
    pub lower: Vec<BigInt>,
    pub widths: Vec<BigInt>,
    /// The final comparison's bias exponent.
    pub b: u32,
    /// Per disjunct: the rows' weights, the scale `M`, the pass's coefficients and constant.
    pub refs: Vec<(Vec<(usize, Q)>, BigInt, Vec<BigInt>, BigInt)>,
}

fn bits(x: &BigInt) -> u32 {
    u32::try_from(x.bits()).expect("fewer than 2^32 bits")
}

fn pow2(n: u32) -> BigInt {
    BigInt::one() << n
}

/// The integer of `q·scale`, if it is one.
fn integer_at(q: &Q, scale: &BigInt) -> Option<BigInt> {
    let v = q * Q::from_integer(scale.clone());
    v.is_integer().then(|| v.to_integer())
}

/// The layer's weights and bias as integers over their least common power-of-two denominator.
fn integer_layer(mlp: &Dense, k: usize) -> Result<(Vec<Vec<BigInt>>, Vec<BigInt>, BigInt)> {
    let l = &mlp.layers[k];
    let w: Vec<Vec<Q>> = l
        .weight
        .iter()
        .map(|row| row.iter().map(|b| b.to_rational()).collect::<Option<Vec<Q>>>())
        .collect::<Option<_>>()
        .ok_or_else(|| Error::bad_input(format!("layers.{k}.weight: expected finite binary32 values, found a NaN or infinity")))?;
    let b: Vec<Q> = l
        .bias
        .iter()
        .map(|b| b.to_rational())
        .collect::<Option<_>>()
        .ok_or_else(|| Error::bad_input(format!("layers.{k}.bias: expected finite binary32 values, found a NaN or infinity")))?;
    let omega = w.iter().flatten().chain(&b).fold(BigInt::one(), |acc, q| acc.lcm(q.denom()));
    let out = w.len();
    let inputs = w.first().map_or(0, Vec::len);
    let cols = (0..inputs)
        .map(|i| (0..out).map(|o| integer_at(&w[o][i], &omega).expect("a multiple of every denominator")).collect())
        .collect();
    let bias = b.iter().map(|q| integer_at(q, &omega).expect("a multiple of every denominator")).collect();
    Ok((cols, bias, omega))
}

/// The network's packed data. The top passes' scale `m_top` is chosen so the property's rows
/// and right-hand sides are integers at it; each level keeps `PRECISION` bits after rounding.
pub fn net_pk(mlp: &Dense, prop: &Vnnlib) -> Result<NetPk> {
    let n = mlp.layers.len();
    if n == 0 || mlp.layers[n - 1].act != Activation::Identity || mlp.layers[..n - 1].iter().any(|l| l.act != Activation::Relu) {
        return Err(Error::bad_input(
            "model: the packed checker expects ReLU hidden layers and a linear last layer, found another activation",
        ));
    }
    // Every row coefficient and right-hand side is an integer over `den`; with CROWN's own
    // rounding the top passes then keep `PRECISION` more bits.
    let den = prop
        .violation
        .iter()
        .flatten()
        .flat_map(|c| c.coeffs.iter().chain(std::iter::once(&c.rhs)))
        .fold(BigInt::from(4), |acc, q| acc.lcm(q.denom()));
    let m_top = den << PRECISION;
    let mut top_max = BigInt::zero();
    for c in prop.violation.iter().flatten() {
        for q in c.coeffs.iter().chain(std::iter::once(&c.rhs)) {
            let v = integer_at(&(q * Q::from_integer(BigInt::from(2))), &m_top).expect("integral at m_top").abs();
            top_max = top_max.max(v);
        }
    }
    // A combination's weights are at most 1 and there are at most as many rows as the disjunct has.
    let rows = prop.violation.iter().map(Vec::len).max().unwrap_or(1).max(1);
    let beta_top = bits(&(top_max * BigInt::from(rows))) + 2;
    let mut layers = Vec::with_capacity(n);
    let mut beta = beta_top;
    // The entries' typical magnitude, as opposed to their bias `2^β` (which also covers constants
    // and box ends): the top passes' coefficients, then relaxed coefficients of `PRECISION` bits
    // times slopes of `SLOPE_BITS`. Rounding is set against it, so every level keeps about
    // `PRECISION` significant bits; the biases, which must cover the worst case, grow instead.
    let mut entry_bits = beta_top - 2;
    let mut field = 0u32;
    for k in (0..n).rev() {
        let (cols, bias, omega) = integer_layer(mlp, k)?;
        let mut pk = LayerPk { cols, bias, omega, e: 0, q: 0, r: SLOPE_BITS, beta2: 0, m: BigInt::one() };
        let a_max = pk.sums().into_iter().chain(std::iter::once(pk.bsum())).max().unwrap_or_else(BigInt::one);
        pk.e = beta + bits(&a_max);
        if k == 0 {
            pk.q = 0;
            field = field.max(pk.e + 1);
        } else {
            pk.q = (bits(&a_max) + entry_bits).saturating_sub(PRECISION).min(pk.e);
            let after = pk.e - pk.q;
            pk.beta2 = after + SLOPE_BITS + HEADROOM;
            pk.m = pow2(PRECISION + SLOPE_BITS);
            field = field.max(pk.e + 1).max(pk.beta2 + 1).max(after + SLOPE_BITS + 2);
            beta = pk.beta2;
            entry_bits = PRECISION + SLOPE_BITS;
        }
        layers.push(pk);
    }
    Ok(NetPk { layers, beta_top, m_top, field })
}

/// `Σ col_j · ys_j`.
fn col_dot(col: &[BigInt], ys: &[BigInt]) -> BigInt {
    col.iter().zip(ys).map(|(c, y)| c * y).sum()
}

fn neg_part(z: &BigInt) -> BigInt {
    if z.is_negative() { -z } else { BigInt::zero() }
}

/// `⌈a / b⌉` for `b > 0`.
fn ceil_div(a: &BigInt, b: &BigInt) -> BigInt {
    -((-a).div_floor(b))
}

/// What one pass's constant meets on its way down, so that Lean's `finalSpec` can be evaluated
/// for any starting constant without redoing the coefficients: per level the bias column's sum
/// over the pass and the intercepts' sum, then the first layer's bias sum and the coefficients'
/// share of the box's lower end.
#[derive(Debug, PartialEq)]
struct Trace {
    levels: Vec<(BigInt, BigInt)>,
    first_bias: BigInt,
    xpart: BigInt,
}

/// One pass's coefficients from the pre-activation of `levels[0]`'s layer to the input, as Lean's
/// `crossSpec`/`relaxSpec` compute them (`levels` pairs each layer above the first with the lines
/// of the layer below it).
fn trace(levels: &[(&LayerPk, &ReluPk)], first: &LayerPk, leaf: &LeafInput, ys: Vec<BigInt>) -> Trace {
    let mut ys = ys;
    let mut out = Vec::with_capacity(levels.len());
    for (l, rl) in levels {
        let d = pow2(l.q);
        let zs: Vec<BigInt> = l.cols.iter().map(|c| col_dot(c, &ys).div_floor(&d)).collect();
        let cb = col_dot(&l.bias, &ys);
        let neg: BigInt = zs.iter().zip(&rl.ics).map(|(z, ic)| ic * neg_part(z)).sum();
        ys = zs
            .iter()
            .zip(rl.an.iter().zip(&rl.sn))
            .map(|(z, (a, s))| if z.is_negative() { s * z } else { a * z })
            .collect();
        out.push((cb, neg));
    }
    let xs: Vec<BigInt> = first.cols.iter().map(|c| col_dot(c, &ys)).collect();
    let xpart = col_dot(&leaf.lower, &xs) - leaf.widths.iter().zip(&xs).map(|(w, x)| w * neg_part(x)).sum::<BigInt>();
    Trace { levels: out, first_bias: col_dot(&first.bias, &ys), xpart }
}

/// A level's integers as machine words, for [`trace_words`]: the layer's columns and bias, and
/// the lines of the ReLU layer below it. `None` when one does not fit an `i64`.
struct Words {
    cols: Vec<Vec<i64>>,
    bias: Vec<i64>,
    an: Vec<i64>,
    sn: Vec<i64>,
    ics: Vec<i64>,
}

fn words(v: &[BigInt]) -> Option<Vec<i64>> {
    v.iter().map(i64::try_from).map(Result::ok).collect()
}

impl Words {
    fn of(l: &LayerPk, r: Option<&ReluPk>) -> Option<Words> {
        let cols = l.cols.iter().map(|c| words(c)).collect::<Option<_>>()?;
        let bias = words(&l.bias)?;
        let (an, sn, ics) = match r {
            Some(r) => (words(&r.an)?, words(&r.sn)?, words(&r.ics)?),
            None => (Vec::new(), Vec::new(), Vec::new()),
        };
        Some(Words { cols, bias, an, sn, ics })
    }
}

fn wide_to_big(x: I256) -> BigInt {
    BigInt::from_signed_bytes_le(&x.to_le_bytes())
}

fn narrow(x: I256) -> Option<i128> {
    (x >= I256::from(i128::MIN) && x <= I256::from(i128::MAX)).then(|| x.as_i128())
}

/// `Σ c_j · y_j` exactly: each product of an `i64` and an `i128` is below 2^190 in magnitude, so a
/// sum of fewer than 2^64 of them cannot overflow 256 bits.
fn dot_words(c: &[i64], ys: &[i128]) -> I256 {
    c.iter().zip(ys).fold(I256::ZERO, |acc, (&c, &y)| if c == 0 || y == 0 { acc } else { acc + I256::from(c) * I256::from(y) })
}

/// [`trace`] on machine integers, where every weight and line fits an `i64` and every coefficient
/// an `i128` (ACAS Xu: coefficients keep `PRECISION + SLOPE_BITS` bits, far below 127). It gives
/// the same integers as `trace`; `None` when a value would not fit, and then `trace` is used.
fn trace_words(levels: &[(&Words, u32)], first: &Words, leaf: &LeafInput, ys: &[BigInt]) -> Option<Trace> {
    let mut ys: Vec<i128> = ys.iter().map(|y| i128::try_from(y).ok()).collect::<Option<_>>()?;
    let mut out = Vec::with_capacity(levels.len());
    for &(w, q) in levels {
        // An arithmetic shift is the floor division by 2^q; 256 bits cannot shift by 256 or more.
        if q >= 255 {
            return None;
        }
        let zs: Vec<i128> = w.cols.iter().map(|c| narrow(dot_words(c, &ys) >> q)).collect::<Option<_>>()?;
        let cb = wide_to_big(dot_words(&w.bias, &ys));
        // `ic · (−z)` for negative `z`, negated in 256 bits (`−i128::MIN` is no `i128`).
        let neg = wide_to_big(zs.iter().zip(&w.ics).fold(I256::ZERO, |acc, (&z, &ic)| {
            if z < 0 { acc - I256::from(ic) * I256::from(z) } else { acc }
        }));
        ys = zs
            .iter()
            .zip(w.an.iter().zip(&w.sn))
            .map(|(&z, (&a, &s))| narrow(I256::from(if z < 0 { s } else { a }) * I256::from(z)))
            .collect::<Option<_>>()?;
        out.push((cb, neg));
    }
    let xs: Vec<BigInt> = first.cols.iter().map(|c| wide_to_big(dot_words(c, &ys))).collect();
    let xpart = col_dot(&leaf.lower, &xs) - leaf.widths.iter().zip(&xs).map(|(w, x)| w * neg_part(x)).sum::<BigInt>();
    Some(Trace { levels: out, first_bias: wide_to_big(dot_words(&first.bias, &ys)), xpart })
}

/// Lean's `finalSpec` of the traced pass started with constant `yc`.
fn final_value(t: &Trace, levels: &[(&LayerPk, &ReluPk)], first: &LayerPk, k: &BigInt, yc: &BigInt) -> BigInt {
    let mut c = yc.clone();
    for ((l, _), (cb, neg)) in levels.iter().zip(&t.levels) {
        c = (cb + &l.omega * &c).div_floor(&pow2(l.q));
        c = (c << l.r) - neg;
    }
    let c = &t.first_bias + &first.omega * c;
    &t.xpart + k * c
}

/// The least starting constant whose pass ends `≥ 0`. Every step of `final_value` is a
/// nondecreasing map (a floor of an affine map with positive slope), so the least constant is
/// found by inverting the steps from the last: `floor(v / d) ≥ u` iff `v ≥ u·d`, and
/// `a + s·c ≥ t` (s > 0) iff `c ≥ ⌈(t − a) / s⌉`.
fn least_constant(t: &Trace, levels: &[(&LayerPk, &ReluPk)], first: &LayerPk, k: &BigInt) -> BigInt {
    // xpart + k·c ≥ 0, then c = first_bias + Ω·c'.
    let need = ceil_div(&-&t.xpart, k);
    let mut need = ceil_div(&(need - &t.first_bias), &first.omega);
    for ((l, _), (cb, neg)) in levels.iter().zip(&t.levels).rev() {
        // ((⌊(cb + Ω·c) / 2^q⌋) << r) − neg ≥ need.
        let u = ceil_div(&(need + neg), &pow2(l.r));
        need = ceil_div(&((u << l.q) - cb), &l.omega);
    }
    debug_assert!(!final_value(t, levels, first, k, &need).is_negative());
    debug_assert!(final_value(t, levels, first, k, &(&need - 1)).is_negative());
    need
}

/// A leaf's input box as integers over one denominator `k`: lower ends and widths.
struct LeafInput {
    k: BigInt,
    lower: Vec<BigInt>,
    widths: Vec<BigInt>,
}

fn input_ints(b: &Box) -> LeafInput {
    let k = b.iter().fold(BigInt::one(), |acc, iv| acc.lcm(iv.lo.denom()).lcm(iv.hi.denom()));
    let lower = b.iter().map(|iv| integer_at(&iv.lo, &k).expect("integral at k")).collect();
    let widths = b.iter().map(|iv| integer_at(&(&iv.hi - &iv.lo), &k).expect("integral at k")).collect();
    LeafInput { k, lower, widths }
}

/// The lines of one hidden layer over its box `lo/M … hi/M`: lower slopes from `alphas` (rounded
/// down to `r` bits), upper slopes rounded up with the intercept `−s·l` rounded up, which keeps
/// the line above the ReLU at both ends.
fn lines(r: u32, m: &BigInt, lo: &[BigInt], hi: &[BigInt], alphas: &[Q]) -> (Vec<BigInt>, Vec<BigInt>, Vec<BigInt>) {
    let one = pow2(r);
    let mut an = Vec::with_capacity(lo.len());
    let mut sn = Vec::with_capacity(lo.len());
    let mut ics = Vec::with_capacity(lo.len());
    let zero = BigInt::zero();
    for ((l, h), a) in lo.iter().zip(hi).zip(alphas) {
        let case = relu_case(l, h, &zero);
        if case == ReluCase::Inactive {
            an.push(BigInt::zero());
            sn.push(BigInt::zero());
            ics.push(BigInt::zero());
        } else if case == ReluCase::Active {
            an.push(one.clone());
            sn.push(one.clone());
            ics.push(BigInt::zero());
        } else {
            let alpha = (a * Q::from_integer(one.clone())).floor().to_integer().clamp(BigInt::zero(), one.clone());
            let s = ceil_div(&(h * &one), &(h - l)).min(one.clone());
            // t = −s·l over 2^r, with l = lo / M: ⌈−s·lo / M⌉.
            let ic = ceil_div(&(-(&s * l)), m);
            an.push(alpha);
            sn.push(s);
            ics.push(ic);
        }
    }
    (an, sn, ics)
}

/// Lean's `InBias β x`: `-2^β ≤ x < 2^β`.
fn in_bias(beta: u32, x: &BigInt) -> bool {
    let p = pow2(beta);
    -&p <= *x && *x < p
}

/// The leaf's packed data over box `b`, with the lower slopes `alphas` (per hidden layer, from the
/// first) and the refutations the search found, or why the fixed-point passes cannot refute it.
///
/// The hidden boxes are CROWN's alone when that refutes the leaf; otherwise, with `ibp`, they are
/// met with IBP's where it is tighter. Every IBP box costs the kernel one more packed run of two
/// passes per neuron, and on the wasm toolchain a leaf with several exhausts the worker's 4 GiB,
/// so `verify` splits a leaf rather than give it IBP boxes while its budget lasts.
pub fn leaf_pk(net: &NetPk, prop: &Vnnlib, b: &Box, alphas: &[Vec<Q>], refute: &[Refutation], ibp: bool) -> Result<LeafPk> {
    if refute.len() != prop.violation.len() {
        return Err(Error::bad_input(format!(
            "refute: expected one refutation per disjunct ({}), found {}",
            prop.violation.len(),
            refute.len()
        )));
    }
    let input = input_ints(b);
    let attempt = |ibp: bool| hidden_lines(net, &input, alphas, ibp).and_then(|r| refutations(net, prop, &input, &r, refute).map(|f| (r, f)));
    let (mut relus, refs) = match attempt(false) {
        Err(e) if ibp && matches!(e.kind(), crate::error::ErrorKind::CheckFailed) => attempt(true)?,
        other => other?,
    };
    let first = &net.layers[net.layers.len() - 1];
    let a: BigInt = input.lower.iter().map(BigInt::abs).sum::<BigInt>() + &input.k;
    let wsum: BigInt = input.widths.iter().sum();
    let b_exp = first.e + bits(&(a + wsum)) + 1;
    relus.reverse();
    Ok(LeafPk { relus, k: input.k, lower: input.lower, widths: input.widths, b: b_exp, refs })
}

/// Packed leaves already computed: `verify` computes each leaf's data to accept it while refining
/// the tree, and the emitter takes them from here rather than compute them again (on ACAS Xu the
/// packed passes are most of the run). A hit needs the same box, refutations and slopes.
#[derive(Default)]
pub struct Memo(std::sync::Mutex<std::collections::HashMap<Vec<(Q, Q)>, MemoEntry>>);

/// A remembered leaf: the refutations and slopes it was computed with, and its data.
type MemoEntry = (Vec<Refutation>, Vec<Vec<Q>>, LeafPk);

impl Memo {
    /// [`leaf_pk`] with `ibp`, remembered when it succeeds.
    pub fn leaf_pk(&self, net: &NetPk, prop: &Vnnlib, b: &Box, alphas: &[Vec<Q>], refute: &[Refutation]) -> Result<LeafPk> {
        let key: Vec<(Q, Q)> = b.iter().map(|iv| (iv.lo.clone(), iv.hi.clone())).collect();
        if let Some((r, a, l)) = self.0.lock().expect("no thread panicked holding the memo").get(&key)
            && r.as_slice() == refute
            && a.as_slice() == alphas
        {
            return Ok(l.clone());
        }
        let leaf = leaf_pk(net, prop, b, alphas, refute, true)?;
        self.0.lock().expect("no thread panicked holding the memo").insert(key, (refute.to_vec(), alphas.to_vec(), leaf.clone()));
        Ok(leaf)
    }
}

/// Per disjunct, the refuting pass: the combined row's coefficients at the top scale and the least
/// constant the run proves, or why the fixed-point passes do not refute it.
#[allow(clippy::type_complexity)]
fn refutations(
    net: &NetPk,
    prop: &Vnnlib,
    input: &LeafInput,
    relus: &[ReluPk],
    refute: &[Refutation],
) -> Result<Vec<(Vec<(usize, Q)>, BigInt, Vec<BigInt>, BigInt)>> {
    let n = net.layers.len();
    let first = &net.layers[n - 1];
    let levels: Vec<(&LayerPk, &ReluPk)> = (2..=n).rev().map(|k| (&net.layers[n - k], &relus[k - 2])).collect();
    let mut refs = Vec::with_capacity(refute.len());
    for (d, (r, conj)) in refute.iter().zip(&prop.violation).enumerate() {
        let row: LinearConstraint = r.combined(conj).map_err(|e| Error::bad_input(format!("refute[{d}]: {e}")))?;
        let ys: Vec<BigInt> = row.coeffs.iter().map(|c| integer_at(c, &net.m_top).expect("integral at m_top")).collect();
        let rhs = integer_at(&row.rhs, &net.m_top).expect("integral at m_top");
        let t = trace(&levels, first, input, ys.clone());
        let yc = least_constant(&t, &levels, first, &input.k);
        // The pass proves `ys·y ≥ −yc`, i.e. `row·y ≥ −yc / m_top`: refuted when that exceeds the
        // right-hand side (reaches it, for a strict row).
        let refuted = if row.strict { yc <= -&rhs } else { yc < -&rhs };
        if !refuted {
            return Err(Error::check_failed(format!(
                "disjunct {d}: the fixed-point CROWN bound {} does not refute the combined row (right-hand side {})",
                crate::num::rational::to_canonical(&Q::new(-&yc, net.m_top.clone())),
                crate::num::rational::to_canonical(&row.rhs)
            )));
        }
        for v in ys.iter().chain(std::iter::once(&yc)) {
            if !in_bias(net.beta_top, v) {
                return Err(Error::check_failed(format!(
                    "disjunct {d}: a starting entry beyond the top passes' {} bits",
                    net.beta_top
                )));
            }
        }
        refs.push((r.terms.clone(), net.m_top.clone(), ys, yc));
    }
    Ok(refs)
}

/// The hidden layers' boxes and lines over the input box (from the first hidden layer up), each
/// box proved by its neurons' fixed-point passes over the lines below it and, with `ibp`, met
/// with the IBP box over the layer below where that is tighter.
pub fn hidden_boxes(net: &NetPk, b: &Box, alphas: &[Vec<Q>], ibp: bool) -> Result<Vec<ReluPk>> {
    hidden_lines(net, &input_ints(b), alphas, ibp)
}

fn hidden_lines(net: &NetPk, input: &LeafInput, alphas: &[Vec<Q>], ibp: bool) -> Result<Vec<ReluPk>> {
    let n = net.layers.len();
    let first = &net.layers[n - 1];
    if alphas.len() != n - 1 {
        return Err(Error::bad_input(format!("alpha: expected {} hidden layers, found {}", n - 1, alphas.len())));
    }
    // `relus[h - 1]`: hidden layer h's lines and box (h = 1 is the first hidden layer). A pass
    // starting over layer h's pre-activation crosses (P_k, R_{k-1}) for k = h … 2, then P_1.
    let mut relus: Vec<ReluPk> = Vec::with_capacity(n - 1);
    for h in 1..n {
        let width = net.layers[n - h].cols.first().map_or(0, Vec::len);
        let joining = &net.layers[n - h - 1];
        let m = joining.m.clone();
        let levels: Vec<(&LayerPk, &ReluPk)> = (2..=h).rev().map(|k| (&net.layers[n - k], &relus[k - 2])).collect();
        let (lo, hi) = box_ends(&levels, first, input, &m, width);
        for (j, (l, u)) in lo.iter().zip(&hi).enumerate() {
            if !in_bias(joining.beta2, &-l) || !in_bias(joining.beta2, u) {
                return Err(Error::check_failed(format!(
                    "hidden layer {h}, neuron {j}: box end beyond the field's {} bits (headroom {HEADROOM})",
                    joining.beta2
                )));
            }
        }
        let ibp = match relus.last() {
            Some(below) if ibp => ibp_box(&net.layers[n - h], joining, below, &lo, &hi),
            _ => None,
        };
        let mut relu = ReluPk { an: Vec::new(), sn: Vec::new(), ics: Vec::new(), lo, hi, ibp };
        let (cl, ch) = relu.claimed();
        let (an, sn, ics) = lines(joining.r, &m, &cl, &ch, &alphas[h - 1]);
        let after = joining.e - joining.q;
        let room = pow2(after + joining.r) + pow2(after) * ics.iter().sum::<BigInt>();
        if room > pow2(joining.beta2) {
            return Err(Error::check_failed(format!(
                "hidden layer {h}: the upper lines' intercepts sum beyond the constants' headroom of {HEADROOM} bits"
            )));
        }
        (relu.an, relu.sn, relu.ics) = (an, sn, ics);
        relus.push(relu);
    }
    Ok(relus)
}

/// The box ends over `m` that a layer's box passes prove (Lean's `boxPasses`): per neuron, the
/// least lower end of `m · z − lo ≥ 0` and upper end of `hi − m · z ≥ 0`, each pass crossing
/// `levels` and closing over `input` through `first`.
fn box_ends(levels: &[(&LayerPk, &ReluPk)], first: &LayerPk, input: &LeafInput, m: &BigInt, width: usize) -> (Vec<BigInt>, Vec<BigInt>) {
    // The same passes on machine words where everything fits: 10–20× faster than `BigInt`, and
    // these passes are most of `verify`'s time on ACAS Xu.
    let fast: Option<(Vec<Words>, Words)> = levels
        .iter()
        .map(|(l, r)| Words::of(l, Some(r)))
        .collect::<Option<Vec<_>>>()
        .zip(Words::of(first, None));
    (0..width)
        .into_par_iter()
        .map(|j| {
            let unit = |c: &BigInt| -> Vec<BigInt> { (0..width).map(|i| if i == j { c.clone() } else { BigInt::zero() }).collect() };
            let pass = |ys: Vec<BigInt>| {
                fast.as_ref()
                    .and_then(|(ws, f)| {
                        let lv: Vec<(&Words, u32)> = ws.iter().zip(levels).map(|(w, (l, _))| (w, l.q)).collect();
                        let t = trace_words(&lv, f, input, &ys);
                        debug_assert!(t.as_ref().is_none_or(|t| *t == trace(levels, first, input, ys.clone())));
                        t
                    })
                    .unwrap_or_else(|| trace(levels, first, input, ys))
            };
            let t_lo = pass(unit(m));
            let t_hi = pass(unit(&-m));
            (-least_constant(&t_lo, levels, first, &input.k), least_constant(&t_hi, levels, first, &input.k))
        })
        .unzip()
}

/// The IBP box of a hidden layer whose pre-activation `layer` computes from the ReLU of the
/// claimed box of the layer below, with the integers Lean's `layerIbpSums` and `ibpEndsOk` state:
/// per neuron, the bias (times `M'`) plus each weight times the ReLU'd end it is least (or most)
/// with, then the end over `M` rounded outward from `sum · M / (M' Ω)`. `None` when it tightens
/// no end of the CROWN box `lo … hi`.
fn ibp_box(layer: &LayerPk, joining: &LayerPk, below: &ReluPk, lo: &[BigInt], hi: &[BigInt]) -> Option<IbpPk> {
    let (cl, ch) = below.claimed();
    let relu = |x: &BigInt| if x.is_negative() { BigInt::zero() } else { x.clone() };
    let k = &layer.m;
    let mut lsum: Vec<BigInt> = layer.bias.iter().map(|b| b * k).collect();
    let mut hsum = lsum.clone();
    for (col, (l, u)) in layer.cols.iter().zip(cl.iter().zip(&ch)) {
        let (a, c) = (relu(l), relu(u));
        for (j, w) in col.iter().enumerate() {
            let (least, most) = if w.is_negative() { (&c, &a) } else { (&a, &c) };
            lsum[j] += w * least;
            hsum[j] += w * most;
        }
    }
    let den = k * &layer.omega;
    let m = &joining.m;
    let ilo: Vec<BigInt> = lsum.iter().map(|s| (m * s).div_floor(&den)).collect();
    let ihi: Vec<BigInt> = hsum.iter().map(|s| -((-(m * s)).div_floor(&den))).collect();
    let tighter = ilo.iter().zip(lo).any(|(i, c)| i > c) || ihi.iter().zip(hi).any(|(i, c)| i < c);
    tighter.then_some(IbpPk { lo: ilo, hi: ihi })
}

/// The field width that holds every field of the network's levels and of these leaves.
pub fn field_width(net: &NetPk, leaves: &[LeafPk]) -> u32 {
    leaves.iter().map(|l| l.b + 1).fold(net.field, u32::max)
}



// ---- Lean emission: the network's packed data (checked once) and each leaf's packed run ----

/// A column's nonnegative weights' magnitudes, zero where the weight is negative (Lean's `posPart`).
fn pos_col(col: &[BigInt]) -> Vec<BigInt> {
    col.iter().map(|w| if w.is_negative() { BigInt::zero() } else { w.clone() }).collect()
}

/// A column's negative weights' magnitudes, zero elsewhere (Lean's `negPart`).
fn neg_col(col: &[BigInt]) -> Vec<BigInt> {
    col.iter().map(neg_part).collect()
}

/// The Lean checker's name.
pub const CHECK: &str = "packedLeafOk";
/// The Lean theorem that makes an accepted leaf safe (`lean/TorchLean/Cert/PackedLeaf.lean`).
pub const THEOREM: &str = "packedLeafOk_safe";

/// The packed checker's columns of the network and the facts about them that hold for every
/// property: for the network module, which every certificate of the payload imports. The columns
/// are `LayerPk`s with zero widths (`pkIc`); a certificate adds its own ([`emit_widths`]).
pub fn emit_network_cols(s: &mut String, mlp: &Dense, net: &NetPk) {
    let n = mlp.layers.len();
    // Rust's `net.layers[t]` is layer `n - 1 - t` (the top first); Lean names layers from the input.
    let idx = |t: usize| n - 1 - t;
    let _ = writeln!(
        *s,
        "/-! ## The packed checker's network data\n\n\
         Each layer's weights as integer columns (magnitudes, signs and magnitude sums, and split by\n\
         sign) at the scale `1/Ω`, and its bias column ending in `Ω` (`pkIc`, a `LayerPk` with zero\n\
         widths: a certificate adds its property's). `layerI_describes` checks, once, that the columns\n\
         are `layerI`'s weights; `cols_ok` that the split parts, sums and lengths agree.\n\
         The data lists are raw literals (`nat_lit`), which Lean elaborates without an instance per\n\
         numeral. -/\n"
    );
    for (t, l) in net.layers.iter().enumerate() {
        let i = idx(t);
        for (c, col) in l.cols.iter().enumerate() {
            let _ = writeln!(*s, "@[expose] noncomputable def pk{i}w{c} : List Nat := {}", raw_nat_list(col));
            let _ = writeln!(*s, "@[expose] def pk{i}s{c} : List Bool := {}", sign_list(col));
            let _ = writeln!(*s, "@[expose] noncomputable def pk{i}p{c} : List Nat := {}", raw_nat_list(&pos_col(col)));
            let _ = writeln!(*s, "@[expose] noncomputable def pk{i}n{c} : List Nat := {}", raw_nat_list(&neg_col(col)));
        }
        let names = |x: char| (0..l.cols.len()).map(|c| format!("pk{i}{x}{c}")).collect::<Vec<_>>().join(", ");
        let mut bw = l.bias.clone();
        bw.push(l.omega.clone());
        let neg_sums: Vec<BigInt> = l.cols.iter().map(|c| neg_col(c).iter().sum()).collect();
        let _ = writeln!(*s, "/-- Layer {i}'s columns for the packed checker. -/");
        let _ = writeln!(
            *s,
            "@[expose] noncomputable def pk{i}c : LayerPk :=\n  ⟨[{}], [{}], {}, {}, {}, {}, 0, 0, 0, 0, 0,\n   [{}], [{}], {}, {}, {}, {}⟩",
            names('w'),
            names('s'),
            nat_list(&l.sums()),
            nat_list(&bw),
            {
                let mut g = sign_list(&l.bias);
                g.insert_str(g.len() - 1, if l.bias.is_empty() { "false" } else { ", false" });
                g
            },
            l.bsum(),
            names('p'),
            names('n'),
            nat_list(&neg_sums),
            nat_list(&pos_col(&bw)),
            nat_list(&neg_col(&bw)),
            neg_col(&bw).iter().sum::<BigInt>()
        );
        let outputs = l.cols.first().map_or(0, Vec::len);
        // The weights are binary32 values, so their common denominator is a power of two, which
        // lets Lean compare them with the patterns on naturals (`describesB`).
        let k = l.omega.bits() - 1;
        assert_eq!(l.omega, BigInt::one() << k, "binary32 weights have a power-of-two common denominator");
        let _ = writeln!(*s, "/-- Layer {i}'s packed columns and bias are its weights and bias, at scale `1/2^{k}`. -/");
        let _ = writeln!(
            *s,
            "theorem layer{i}_describes : describesB layer{i}Weight layer{i}Bias pk{i}c {outputs} {k} {} {} = true := by decide +kernel\n",
            nat_list(&l.bias),
            sign_list(&l.bias)
        );
    }
    let tops: Vec<String> = (0..n - 1).map(|t| format!("layer{}", idx(t))).collect();
    let cols: Vec<String> = (0..n - 1).map(|t| format!("pk{}c", idx(t))).collect();
    let outputs = mlp.layers[n - 1].weight.len();
    let describes: Vec<String> = (0..n).map(|t| format!("describes_of_B layer{}_describes", idx(t))).collect();
    let _ = writeln!(*s, "/-- The packed columns describe the network. -/");
    let _ = writeln!(
        *s,
        "theorem cols_described : NetDescribed [{}] [{}] layer0 pk0c {outputs} :=\n  ⟨{}⟩\n",
        tops.join(", "),
        cols.join(", "),
        describes.join(", ")
    );
    let _ = writeln!(*s, "/-- Every layer's split parts, sums and lengths agree with its columns. -/");
    let _ = writeln!(*s, "theorem cols_ok : colsOkB {outputs} [{}] pk0c = true := by decide +kernel\n", cols.join(", "));
    let _ = writeln!(*s, "/-- The last layer is linear, every other one ReLU. -/");
    let _ = writeln!(*s, "theorem acts : NetActs [{}] layer0 := by unfold NetActs; decide\n", tops.join(", "));
    let _ = writeln!(*s, "/-- The network is its first layer below the others. -/");
    let _ = writeln!(*s, "theorem net_eq : net = layer0 :: [{}].reverse := rfl\n", tops.join(", "));
}

/// One certificate's widths on the network's columns (`pks`, `pk0`), and the facts the leaves
/// need: `described` (carried over from the network module) and `fits` (its widths decided here).
pub fn emit_widths(s: &mut String, mlp: &Dense, net: &NetPk, field: u32) {
    let n = mlp.layers.len();
    let idx = |t: usize| n - 1 - t;
    let widths = |l: &LayerPk| format!("({}, {}, {}, {}, {})", l.e, l.q, l.r, l.beta2, l.m);
    let cols: Vec<String> = (0..n - 1).map(|t| format!("pk{}c", idx(t))).collect();
    let ws: Vec<String> = net.layers[..n - 1].iter().map(widths).collect();
    let first = widths(&net.layers[n - 1]);
    let _ = writeln!(
        *s,
        "/-! ## The packed checker's widths for this property\n\n\
         The network's columns (`pkIc`) with the field widths `(E, q, r, β2, M)` of the passes crossing\n\
         them, from the top hidden layer down (`pks`), and the first layer (`pk0`). -/\n"
    );
    let _ = writeln!(
        *s,
        "@[expose] noncomputable def pks : List LayerPk :=\n  List.zipWith LayerPk.withWidths [{}]\n    [{}]\n",
        cols.join(", "),
        ws.join(", ")
    );
    let _ = writeln!(*s, "@[expose] noncomputable def pk0 : LayerPk := pk0c.withWidths {first}\n");
    let tops: Vec<String> = (0..n - 1).map(|t| format!("layer{}", idx(t))).collect();
    let outputs = mlp.layers[n - 1].weight.len();
    let _ = writeln!(*s, "/-- The packed data describe the network (the columns' description, with these widths). -/");
    let _ = writeln!(
        *s,
        "theorem described : NetDescribed [{}] pks layer0 pk0 {outputs} :=\n  netDescribed_withWidths {first} rfl cols_described\n",
        tops.join(", ")
    );
    let _ = writeln!(*s, "/-- The widths hold every field of every level at field width `{field}`. -/");
    let _ = writeln!(*s, "theorem widths_ok : widthsOkB {field} {} pks pk0 = true := by decide +kernel\n", net.beta_top);
    let _ = writeln!(*s, "/-- The field width `{field}` holds every field of every level. -/");
    let _ = writeln!(
        *s,
        "theorem fits : netFitB {field} {} {outputs} pks pk0 = true :=\n  netFitB_of_cols (colsOkB_withWidths rfl cols_ok) widths_ok\n",
        net.beta_top
    );
}

/// Leaf `k`'s packed data, `leafK_ok` (one packed run) and `leafK_safe`.
pub fn emit_leaf(s: &mut String, mlp: &Dense, net: &NetPk, field: u32, k: usize, leaf: &LeafPk) {
    let n = mlp.layers.len();
    let outputs = mlp.layers[n - 1].weight.len();
    let mut relus = Vec::new();
    let mut ibps = Vec::new();
    for (h, r) in leaf.relus.iter().enumerate() {
        // `leaf.relus` runs from the top hidden layer down: entry h is Lean layer n - 2 - h.
        let j = n - 2 - h;
        let _ = writeln!(*s, "@[expose] noncomputable def leaf{k}r{j}an : List Nat := {}", raw_nat_list(&r.an));
        let _ = writeln!(*s, "@[expose] noncomputable def leaf{k}r{j}sn : List Nat := {}", raw_nat_list(&r.sn));
        let _ = writeln!(*s, "@[expose] noncomputable def leaf{k}r{j}ic : List Nat := {}", raw_nat_list(&r.ics));
        let _ = writeln!(*s, "@[expose] noncomputable def leaf{k}r{j}lo : List Int := {}", raw_int_list(&r.lo));
        let _ = writeln!(*s, "@[expose] noncomputable def leaf{k}r{j}hi : List Int := {}", raw_int_list(&r.hi));
        relus.push(format!("⟨leaf{k}r{j}an, leaf{k}r{j}sn, leaf{k}r{j}ic, leaf{k}r{j}lo, leaf{k}r{j}hi⟩"));
        ibps.push(match &r.ibp {
            None => "none".to_string(),
            Some(i) => {
                let _ = writeln!(*s, "@[expose] noncomputable def leaf{k}i{j}lo : List Int := {}", raw_int_list(&i.lo));
                let _ = writeln!(*s, "@[expose] noncomputable def leaf{k}i{j}hi : List Int := {}", raw_int_list(&i.hi));
                format!("some ⟨leaf{k}i{j}lo, leaf{k}i{j}hi⟩")
            }
        });
    }
    let _ = writeln!(*s, "/-- Leaf {k}: each hidden layer's lines and CROWN box, from the top. -/");
    let _ = writeln!(*s, "@[expose] noncomputable def leaf{k}Rs : List ReluPk := [{}]", relus.join(", "));
    let _ = writeln!(*s, "/-- Leaf {k}: each hidden layer's IBP box where it is tighter, from the top. -/");
    let _ = writeln!(*s, "@[expose] noncomputable def leaf{k}Is : List (Option IbpPk) := [{}]", ibps.join(", "));
    let mut lw: Vec<BigInt> = leaf.lower.iter().map(BigInt::abs).collect();
    lw.push(leaf.k.clone());
    let a: BigInt = lw.iter().sum();
    let lg = sign_list(&leaf.lower);
    let mut lg_full = lg.clone();
    lg_full.insert_str(lg_full.len() - 1, if leaf.lower.is_empty() { "false" } else { ", false" });
    let _ = writeln!(*s, "/-- Leaf {k}: the first layer and the input box, ends over {}. -/", leaf.k);
    let _ = writeln!(
        *s,
        "@[expose] noncomputable def leaf{k}F : ClosePk := ⟨pk0, {}, {lg_full}, {a}, {}, {}⟩",
        nat_list(&lw),
        nat_list(&leaf.widths),
        leaf.b
    );
    let refs: Vec<String> = leaf
        .refs
        .iter()
        .map(|(terms, m, ys, yc)| {
            let t: Vec<String> = terms.iter().map(|(i, w)| format!("({i}, {})", rat(w))).collect();
            format!("([{}], {m}, {}, {})", t.join(", "), int_list(ys), if yc.is_negative() { format!("({yc})") } else { yc.to_string() })
        })
        .collect();
    let _ = writeln!(
        *s,
        "set_option profiler true in\nset_option profiler.threshold 0 in\n\
         /-- Leaf {k}: every hidden box, every line and one refuting pass per disjunct, in one packed run. -/\n\
         theorem leaf{k}_ok : packedLeafOk {field} {} {outputs} violation leaf{k}Box pks leaf{k}Rs leaf{k}F {} {} {lg} leaf{k}Is [{}] = true := by\n  decide +kernel\n",
        net.beta_top,
        leaf.k,
        nat_list(&leaf.lower.iter().map(BigInt::abs).collect::<Vec<_>>()),
        refs.join(", ")
    );
    // A declaration of its own: the kernel frees its caches between declarations, and the wasm
    // worker crashed holding the IBP sums' and the main run's together.
    let _ = writeln!(
        *s,
        "set_option profiler true in\nset_option profiler.threshold 0 in\n\
         /-- Leaf {k}: every IBP box is covered by interval sums over the claimed box below. -/\n\
         theorem leaf{k}_ibp : ibpsOkB pks leaf{k}Rs leaf{k}Is = true := by\n  decide +kernel\n"
    );
    let _ = writeln!(*s, "/-- No input of leaf {k}'s box violates the property. -/");
    let _ = writeln!(
        *s,
        "theorem leaf{k}_safe : ∀ x : List Rat, Box.Mem leaf{k}Box x → Safe violation (evalNet net x) := by\n  \
         intro x hx\n  rw [net_eq]\n  exact packedLeafOk_safe (F := leaf{k}F) described fits acts leaf{k}_ok leaf{k}_ibp x hx\n"
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::num::interval::Interval;

    fn q(n: i64, d: i64) -> Q {
        Q::new(n.into(), d.into())
    }

    fn packed_small() -> (Dense, Vnnlib) {
        let root = env!("CARGO_MANIFEST_DIR");
        let p = format!("{root}/tests/data/packed-small.nnet");
        let mlp = Dense::of(&crate::model::nnet::parse_nnet(&std::fs::read_to_string(&p).unwrap(), &p).unwrap()).unwrap();
        let p = format!("{root}/tests/data/packed-small.vnnlib");
        let prop = crate::property::vnnlib::parse_vnnlib(&std::fs::read_to_string(&p).unwrap(), &p).unwrap();
        (mlp, prop)
    }

    #[test]
    fn widths_keep_precision_bits_per_level_and_grow_the_biases_by_the_headroom() {
        let (mlp, prop) = packed_small();
        let net = net_pk(&mlp, &prop).unwrap();
        let got: Vec<(u32, u32, u32)> = net.layers.iter().map(|l| (l.e, l.q, l.beta2)).collect();
        // Top (3-10-10-2's last layer) first: the top passes enter with 73 bits; each hidden level
        // keeps PRECISION = 64 bits after rounding (e − q) and adds SLOPE_BITS + HEADROOM; the first
        // layer is crossed exactly (q = 0).
        assert_eq!(got, vec![(78, 12, 114), (121, 31, 138), (145, 0, 0)]);
        assert_eq!((net.beta_top, net.field), (73, 146));
        // The row `Y_0 ≤ -8` has integer coefficients: the top scale is 4 · 2^64.
        assert_eq!(net.m_top, BigInt::from(4u128 << 64));
        assert_eq!(net.layers.iter().map(|l| l.omega.clone()).collect::<Vec<_>>(), vec![BigInt::from(8); 3]);
        assert_eq!(net.layers[0].m, BigInt::one() << 88);
    }

    #[test]
    fn lines_round_the_upper_slope_up_and_lift_the_intercept_to_stay_above_relu() {
        // Over 1/4: [-1, 1] unstable (α = 1/2), [1/2, 3/2] active, [-2, -1/4] inactive; 4 slope bits.
        let ints = |v: &[i64]| v.iter().map(|&x| BigInt::from(x)).collect::<Vec<_>>();
        let (an, sn, ics) = lines(4, &BigInt::from(4), &ints(&[-4, 2, -8]), &ints(&[4, 6, -1]), &[q(1, 2), q(1, 1), q(0, 1)]);
        assert_eq!(an, ints(&[8, 16, 0]));
        // s = 4/(4+4) = 1/2 = 8/16; t = −s·l = 1/2 = 8/16.
        assert_eq!(sn, ints(&[8, 16, 0]));
        assert_eq!(ics, ints(&[8, 0, 0]));
        // [-1, 2] over 1: s = 2/3 rounds up to 11/16, t = 11/16 · 1 (the line stays above at both ends).
        let (_, sn, ics) = lines(4, &BigInt::one(), &ints(&[-1]), &ints(&[2]), &[q(0, 1)]);
        assert_eq!((sn, ics), (ints(&[11]), ints(&[11])));
    }

    #[test]
    fn the_ibp_box_crosses_one_layer_from_the_relu_of_the_claimed_box_below() {
        // z = x0 - x1 + 1/2 over the ReLU of the claimed box below, [-1, 2] × [1/2, 3] (the CROWN
        // box [-1, 3] × [1/2, 6] met with the IBP box [-4, 2] × [-2, 3], ends over M' = 2): the ReLU
        // gives [0, 2] × [1/2, 3], so z ∈ [-5/2, 2], ends -5 and 4 over M = 2.
        let ints = |v: &[i64]| v.iter().map(|&x| BigInt::from(x)).collect::<Vec<_>>();
        let layer = LayerPk {
            cols: vec![ints(&[2]), ints(&[-2])],
            bias: ints(&[1]),
            omega: BigInt::from(2),
            e: 7,
            q: 3,
            r: 0,
            beta2: 0,
            m: BigInt::from(2),
        };
        let joining = LayerPk { cols: vec![], bias: vec![], omega: BigInt::one(), e: 0, q: 0, r: 0, beta2: 8, m: BigInt::from(2) };
        let below = ReluPk {
            an: vec![],
            sn: vec![],
            ics: vec![],
            lo: ints(&[-2, 1]),
            hi: ints(&[6, 12]),
            ibp: Some(IbpPk { lo: ints(&[-8, -4]), hi: ints(&[4, 6]) }),
        };
        assert_eq!(below.claimed(), (ints(&[-2, 1]), ints(&[4, 6])));
        // The sums over M' = 2 with Ω = 2: lower 1·2 + 2·0 − 2·6 = −10, upper 1·2 + 2·4 − 2·1 = 8;
        // over M = 2 they are −10·2/4 = −5 and 8·2/4 = 4.
        let got = ibp_box(&layer, &joining, &below, &ints(&[-6]), &ints(&[6])).unwrap();
        assert_eq!(got, IbpPk { lo: ints(&[-5]), hi: ints(&[4]) });
        // Ends that do not divide round outward: over M = 3, −30/4 → −8 and 24/4 = 6.
        let thirds = LayerPk { m: BigInt::from(3), ..joining.clone() };
        assert_eq!(ibp_box(&layer, &thirds, &below, &ints(&[-9]), &ints(&[9])).unwrap(), IbpPk { lo: ints(&[-8]), hi: ints(&[6]) });
        // An IBP box no tighter than the CROWN box is left out.
        assert_eq!(ibp_box(&layer, &joining, &below, &ints(&[-5]), &ints(&[4])), None);
    }

    #[test]
    fn the_least_constant_is_the_box_end_the_pass_proves() {
        // One input in [-2, 2], one identity output z = x: the pass `z + c ≥ 0` needs c = 2, and so
        // does `-z + c ≥ 0`.
        let first = LayerPk {
            cols: vec![vec![BigInt::one()]],
            bias: vec![BigInt::zero()],
            omega: BigInt::one(),
            e: 0,
            q: 0,
            r: 0,
            beta2: 0,
            m: BigInt::one(),
        };
        let input = input_ints(&vec![Interval::new(q(-2, 1), q(2, 1))]);
        assert_eq!((input.k.clone(), input.lower.clone(), input.widths.clone()), (BigInt::one(), vec![BigInt::from(-2)], vec![BigInt::from(4)]));
        for c in [1, -1] {
            let t = trace(&[], &first, &input, vec![BigInt::from(c)]);
            assert_eq!(least_constant(&t, &[], &first, &input.k), BigInt::from(2));
        }
    }

    #[test]
    fn word_passes_and_inverted_constants_agree_with_bigint_passes_and_the_least_constant() {
        // Every box pass of the packed-small network over its input box: the machine-word trace
        // gives the same integers as the `BigInt` one, and the inverted constant is the least
        // with a nonnegative end (one less ends negative).
        let (mlp, prop) = packed_small();
        let net = net_pk(&mlp, &prop).unwrap();
        let n = net.layers.len();
        let input = input_ints(&prop.input_box);
        let alphas = vec![vec![q(1, 2); 10]; n - 1];
        let relus = hidden_lines(&net, &input, &alphas, false).unwrap();
        let first = &net.layers[n - 1];
        let first_words = Words::of(first, None).unwrap();
        let mut passes = 0;
        for h in 1..n {
            let levels: Vec<(&LayerPk, &ReluPk)> = (2..=h).rev().map(|k| (&net.layers[n - k], &relus[k - 2])).collect();
            let words: Vec<Words> = levels.iter().map(|(l, r)| Words::of(l, Some(r)).unwrap()).collect();
            let lv: Vec<(&Words, u32)> = words.iter().zip(&levels).map(|(w, (l, _))| (w, l.q)).collect();
            let m = &net.layers[n - h - 1].m;
            for j in 0..10 {
                for sign in [1, -1] {
                    let ys: Vec<BigInt> = (0..10).map(|i| if i == j { m * sign } else { BigInt::zero() }).collect();
                    let t = trace(&levels, first, &input, ys.clone());
                    assert_eq!(trace_words(&lv, &first_words, &input, &ys).as_ref(), Some(&t));
                    let c = least_constant(&t, &levels, first, &input.k);
                    assert!(!final_value(&t, &levels, first, &input.k, &c).is_negative());
                    assert!(final_value(&t, &levels, first, &input.k, &(&c - 1)).is_negative());
                    passes += 1;
                }
            }
        }
        assert_eq!(passes, 40);
        // The first layer is crossed exactly, so the first hidden layer's box is the exact interval
        // image of [-1, 1]^3, over M = 2^88: neuron 0 in [-21/8, 17/8], neuron 1 in [-3/2, 1/2].
        let at = |n: i64, d: i64| (BigInt::from(n) << 88) / d;
        assert_eq!((&relus[0].lo[..2], &relus[0].hi[..2]), (&[at(-21, 8), at(-3, 2)][..], &[at(17, 8), at(1, 2)][..]));
    }

    #[test]
    fn word_passes_at_the_edges_of_i128_agree_or_decline() {
        // A coefficient of −2^127 crosses one level with weight 1, intercept 1 and slopes 1: the
        // intercepts' sum is 2^127 (beyond i128), which the 256-bit sum carries; a shift of 255
        // bits or more declines (the `BigInt` pass runs instead).
        let one = |v: i64| vec![BigInt::from(v)];
        let layer = |q: u32| LayerPk { cols: vec![one(1)], bias: one(0), omega: BigInt::one(), e: 0, q, r: 0, beta2: 0, m: BigInt::one() };
        let relu = ReluPk { an: one(1), sn: one(1), ics: one(1), lo: one(-1), hi: one(1), ibp: None };
        let first = layer(0);
        let input = LeafInput { k: BigInt::one(), lower: one(-1), widths: one(2) };
        let ys = vec![BigInt::from(i128::MIN)];
        let l0 = layer(0);
        let levels = [(&l0, &relu)];
        let t = trace(&levels, &first, &input, ys.clone());
        assert_eq!(t.levels[0].1, BigInt::one() << 127);
        let (w, f) = (Words::of(&l0, Some(&relu)).unwrap(), Words::of(&first, None).unwrap());
        assert_eq!(trace_words(&[(&w, 0)], &f, &input, &ys), Some(t));
        assert_eq!(trace_words(&[(&w, 255)], &f, &input, &ys), None);
        // A coefficient beyond i128 declines too.
        assert_eq!(trace_words(&[(&w, 0)], &f, &input, &[BigInt::one() << 127]), None);
    }
}
