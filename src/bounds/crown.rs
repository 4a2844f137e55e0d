//! CROWN-style backward linear relaxation for dense networks, sound over ℚ.
//!
//! Every pre-activation `z⁽ᵏ⁾ = Wₖ hₖ + bₖ` (with `h₀ = x`, `hₖ₊₁ = actₖ(z⁽ᵏ⁾)`) is bounded by
//! pushing a linear objective backwards through the network: each affine layer is substituted
//! exactly, and each ReLU with pre-activation bounds `[l, u]` is replaced by a linear lower or upper
//! line depending on the sign of the objective's coefficient:
//! - inactive (`u ≤ 0`): `h = 0`; active (`l ≥ 0`): `h = z`;
//! - unstable (`l < 0 < u`): lower line `h ≥ α z` with a chosen `α ∈ [0, 1]` (any such α is sound;
//!   the choice only affects tightness), and upper line `h ≤ s'·(z − u) + u` — slope `s'`, intercept
//!   `u·(1 − s')` — for a slope `0 ≤ s' ≤ s = u / (u − l)`.
//!
//! Why any such `s'` is sound: ReLU is convex, so on `[l, u]` it lies below every line that lies
//! above it at both ends. The line meets ReLU at `z = u` (value `u`), and at `z = l` it is
//! `u − s'(u − l) ≥ u − s(u − l) = 0 = relu(l)` because `s' ≤ s` and `u − l > 0`. With `s' = s` it
//! is the chord. With rounding (`round_bits = Some(bits)`), `s' = round_down(s, min(bits, 64))`:
//! a dyadic, so the whole pass stays dyadic and runs in the integer engine of
//! [`super::crown_dyadic`] (whose own roundings are charged to the constant, see there). Without
//! rounding, `s' = s` and the pass is exact over ℚ (slow: denominators grow).
//! With [`Arith::F64`] the same passes run in binary64 instead ([`super::crown_float`]), every
//! rounding error bounded and charged to the constant, and `s'` is kept to 53 bits.
//!
//! Finally the linear function of `x` is minimised over the input box coordinatewise. Intermediate
//! bounds are computed layer by layer the same way and intersected with IBP (both are sound). The
//! α and `s'` of every neuron are returned so a certificate can record them and a checker need not
//! trust how they were chosen.
use rayon::prelude::*;

use super::crown_dyadic::{Engine, InputBox};
use super::relax::{Relax, relax_neuron};
use super::crown_float::{self, FloatEngine};
use super::ibp::{ibp_act, round_box_outward};
use super::relax::{default_alpha, relax_with_slope, upper_slope};
use crate::num::interval::{Box, Interval};
use crate::error::{Error, Result};
use crate::bounds::dense::{Activation, Dense};
use crate::num::Q;






/// Exact decoded parameters of one layer.
struct Layer {
    w: Vec<Vec<Q>>,
    b: Vec<Q>,
    act: Activation,
}

fn layers_of(mlp: &Dense) -> Result<Vec<Layer>> {
    mlp.layers
        .iter()
        .enumerate()
        .map(|(i, l)| {
            Ok(Layer {
                w: l.weight_q(&format!("layers.{i}.weight"))?,
                b: l.bias_q(&format!("layers.{i}.bias"))?,
                act: l.act,
            })
        })
        .collect()
}

/// The relaxation data a backward pass reads: per layer, bounds, lower slopes α and upper slopes s'.
#[derive(Clone, Copy)]
struct Lines<'a> {
    pre: &'a [Box],
    alphas: &'a [Vec<Q>],
    slopes: &'a [Vec<Q>],
}

/// The lower bound over the input box of `objective · z⁽ᵏ⁾`, substituting layers `k, k−1, …, 0`
/// backwards with the lower/upper lines chosen by coefficient sign; exact over ℚ.
fn backward_lower(layers: &[Layer], k: usize, objective: &[Q], lines: Lines<'_>, input: &Box) -> Q {
    let zero = Q::from_integer(0.into());
    let mut a: Vec<Q> = objective.to_vec();
    let mut constant = Q::from_integer(0.into());
    let mut j = k;
    loop {
        let layer = &layers[j];
        for (ai, bi) in a.iter().zip(&layer.b) {
            constant += ai * bi;
        }
        let cols = layer.w.first().map_or(0, Vec::len);
        let mut next = vec![zero.clone(); cols];
        for (ai, row) in a.iter().zip(&layer.w) {
            if *ai == zero {
                continue;
            }
            for (n, w) in next.iter_mut().zip(row) {
                *n += ai * w;
            }
        }
        a = next;
        if j == 0 {
            break;
        }
        // hⱼ = act_{j−1}(z⁽ʲ⁻¹⁾): replace it by the line that keeps the bound a lower bound.
        let prev = &layers[j - 1];
        for (i, ai) in a.iter_mut().enumerate() {
            let (lo, hi) =
                relax_with_slope(prev.act, &lines.pre[j - 1][i], &lines.alphas[j - 1][i], &lines.slopes[j - 1][i]);
            let l = if *ai >= zero { lo } else { hi };
            constant += &*ai * &l.intercept;
            *ai *= &l.slope;
        }
        j -= 1;
    }
    for (ai, iv) in a.iter().zip(input) {
        constant += if *ai >= zero { ai * &iv.lo } else { ai * &iv.hi };
    }
    constant
}

/// Bounds of every row of `objectives · z⁽ᵏ⁾` (lower via the rows, upper via their negations), in
/// the dyadic engine when it is given and the row fits it, else exactly over ℚ.
fn backward_bounds(
    layers: &[Layer],
    engine: Option<&Engine>,
    k: usize,
    objectives: &[Vec<Q>],
    lines: Lines<'_>,
    input: &Box,
) -> Vec<Interval> {
    // Rows are independent; rayon's indexed collect keeps their order, and each row is computed
    // by the same sequential integer code, so results do not depend on the thread count.
    let scaled = engine.map(|_| InputBox::new(input));
    objectives
        .par_iter()
        .map(|c| {
            let neg = negate(c);
            let fast = engine.and_then(|e| Some((e, e.objective(k, c)?, e.objective(k, &neg)?)));
            match fast {
                Some((e, pos, neg)) => {
                    let x = scaled.as_ref().expect("made with the engine");
                    Interval::new(e.lower(k, &pos, x), -e.lower(k, &neg, x))
                }
                None => Interval::new(
                    backward_lower(layers, k, c, lines, input),
                    -backward_lower(layers, k, &neg, lines, input),
                ),
            }
        })
        .collect()
}

/// The dyadic engine with the relaxations of the layers bounded so far: built when the binary64
/// engine declines, so the pass goes on where it stopped.
fn dyadic_engine(mlp: &Dense, lines: Lines<'_>) -> Option<Engine> {
    let mut e = Engine::new(mlp)?;
    for ((pre, a), s) in lines.pre.iter().zip(lines.alphas).zip(lines.slopes) {
        e.push_relaxation(pre, a, s)?;
    }
    Some(e)
}

/// All bounds from the binary64 engine, or `None` if it declined one.
fn float_bounds(f: &FloatEngine, k: usize, objectives: &[Vec<Q>]) -> Option<Vec<Interval>> {
    crown_float::bounds(f, k, objectives).into_iter().collect()
}

/// The arithmetic of the backward passes over dyadic lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Arith {
    /// Integers sharing an exponent, coefficients floored to 62 bits with the rounding charged to
    /// the constant: within about 2⁻⁶⁰ of exact, one `i128` multiply-add per weight and row.
    #[default]
    Dyadic,
    /// Binary64 with an a-priori bound on every rounding error charged to the constant (see
    /// `bounds::crown_float`): sound, looser than `Dyadic` by about `n·2⁻⁵³` relative, and a
    /// blocked matrix product for wide layers. Upper slopes are rounded down to 53 bits.
    F64,
}

impl Arith {
    pub fn name(self) -> &'static str {
        match self {
            Arith::Dyadic => "dyadic",
            Arith::F64 => "f64",
        }
    }
    /// Bits of the upper slopes: binary64 needs them to be binary64 values.
    fn slope_bits(self, bits: Option<u32>) -> Option<u32> {
        match self {
            Arith::Dyadic => bits,
            Arith::F64 => bits.map(|b| b.min(53)),
        }
    }
}

fn identity(n: usize) -> Vec<Vec<Q>> {
    (0..n).map(|i| (0..n).map(|j| Q::from_integer(i64::from(i == j).into())).collect()).collect()
}

fn intersect(a: &Interval, b: &Interval) -> Interval {
    Interval::new(a.lo.clone().max(b.lo.clone()), a.hi.clone().min(b.hi.clone()))
}

/// CROWN bounds of a dense network.
#[derive(Debug, Clone, PartialEq)]
pub struct Crown {
    /// Bounds of each layer's pre-activation `z⁽ᵏ⁾`; the last entry bounds the network output.
    pub pre: Vec<Box>,
    /// The lower slope α used for every neuron of every layer (only unstable ReLUs use it).
    pub alphas: Vec<Vec<Q>>,
    /// The slope `s'` of every neuron's upper line (unstable ReLUs: `h ≤ s'·(z − u) + u`; stable
    /// ones: 0 or 1; identity: 1).
    pub upper_slopes: Vec<Vec<Q>>,
}

/// The upper slope of every neuron of a layer with activation `act`.
fn upper_slopes(act: Activation, bounds: &Box, bits: Option<u32>) -> Vec<Q> {
    match act {
        Activation::Identity => vec![Q::from_integer(1.into()); bounds.len()],
        Activation::Relu => bounds.iter().map(|iv| upper_slope(iv, bits)).collect(),
    }
}

impl Crown {
    /// Lean's `Relax` of every neuron of every layer of `dense`, as this run used them: exact lines
    /// for identities and stable ReLUs; α and the upper slope `s'` of the run otherwise.
    pub fn relaxations(&self, dense: &Dense) -> Vec<Vec<Relax>> {
        dense
            .layers
            .iter()
            .enumerate()
            .map(|(k, l)| {
                self.pre[k]
                    .iter()
                    .enumerate()
                    .map(|(i, iv)| relax_neuron(l.act, iv, &self.alphas[k][i], &self.upper_slopes[k][i]))
                    .collect()
            })
            .collect()
    }
}

/// Runs CROWN layer by layer. With `round_bits`, each intermediate box is widened outward to dyadics
/// of that many significant bits (sound, and it keeps later slopes short) and the upper slopes are
/// rounded down to dyadics, so the whole pass runs in dyadic integer arithmetic.
pub fn crown_mlp(mlp: &Dense, input: &Box, round_bits: Option<u32>) -> Result<Crown> {
    relaxed_mlp(mlp, input, round_bits, Intermediate::Crown)
}

/// How the pre-activation box of each hidden layer is obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intermediate {
    /// IBP from the previous layer's box: what Lean's `CrownChain` re-checks with one `checkStep`
    /// per layer, so a certificate built on these boxes is checkable by the kernel at the cost of
    /// one interval matrix-vector product per layer.
    Ibp,
    /// A CROWN backward pass per neuron, intersected with IBP: much tighter on deep networks, but
    /// re-checking it costs one backward pass per neuron.
    Crown,
}

impl Intermediate {
    pub fn name(self) -> &'static str {
        match self {
            Intermediate::Ibp => "ibp",
            Intermediate::Crown => "crown",
        }
    }
}

/// As [`crown_mlp`], with the intermediate boxes of the given kind: the boxes, α and upper slopes a
/// final objective is bounded with (see [`crown_objectives`]).
pub fn relaxed_mlp(mlp: &Dense, input: &Box, round_bits: Option<u32>, intermediate: Intermediate) -> Result<Crown> {
    relaxed_mlp_in(mlp, input, round_bits, intermediate, Arith::Dyadic)
}

/// As [`relaxed_mlp`], with the backward passes in `arith` (binary64 needs `round_bits`: its lines
/// must be dyadic).
pub fn relaxed_mlp_in(
    mlp: &Dense,
    input: &Box,
    round_bits: Option<u32>,
    intermediate: Intermediate,
    arith: Arith,
) -> Result<Crown> {
    let widths = mlp.widths()?;
    if input.len() != widths[0] {
        return Err(Error::bad_input(format!("input box: expected {} coordinates, found {}", widths[0], input.len())));
    }
    let mut float = match arith {
        Arith::F64 if round_bits.is_some() => FloatEngine::new(mlp, input),
        _ => None,
    };
    // With the binary64 engine the dyadic one is built only if the former declines.
    let mut engine = if float.is_some() { None } else { round_bits.and_then(|_| Engine::new(mlp)) };
    // The exact layers are decoded only when the exact path runs.
    let mut exact: Option<Vec<Layer>> = None;
    let mut pre: Vec<Box> = Vec::with_capacity(mlp.layers.len());
    let mut alphas: Vec<Vec<Q>> = Vec::with_capacity(mlp.layers.len());
    let mut slopes: Vec<Vec<Q>> = Vec::with_capacity(mlp.layers.len());
    for k in 0..mlp.layers.len() {
        // With binary64 boxes and slopes of 53 bits the whole layer stays in binary64: the boxes
        // are already rounded to `round_bits ≥ 53`, and the lines need no rational arithmetic.
        if let Some(f) = float.as_mut()
            && round_bits.is_some_and(|b| b >= 53)
            && let Some((lo, hi)) = float_layer(f, k, intermediate)
            && let Some((a, s)) = f.push_relaxation_f64(&lo, &hi)
        {
            pre.push(lo.iter().zip(&hi).map(|(&l, &h)| Interval::new(crown_float::to_q(l), crown_float::to_q(h))).collect());
            let q = |v: &[f64]| v.iter().map(|&x| crown_float::to_q(x)).collect::<Vec<Q>>();
            alphas.push(q(&a));
            slopes.push(q(&s));
            continue;
        }
        let lines = Lines { pre: &pre, alphas: &alphas, slopes: &slopes };
        let fast = float.as_ref().and_then(|f| {
            let ibp = f.ibp(k)?;
            if k == 0 || intermediate == Intermediate::Ibp {
                return Some(ibp);
            }
            let crown = crown_float::unit_bounds(f, k)?;
            Some(crown.iter().zip(&ibp).map(|(c, i)| intersect(c, i)).collect())
        });
        if fast.is_none() && float.take().is_some() {
            engine = round_bits.and_then(|_| dyadic_engine(mlp, lines));
        }
        if engine.is_none() && float.is_none() && exact.is_none() {
            exact = Some(layers_of(mlp)?);
        }
        let layers = exact.as_deref().unwrap_or(&[]);
        let bounds: Box = if let Some(b) = fast {
            b
        } else if k == 0 {
            // The first pre-activation is affine in the input: IBP is exact per coordinate there.
            // Without the engine the exact layers were decoded just above.
            match (engine.as_ref(), exact.as_deref()) {
                (Some(e), _) => e.ibp_input(&InputBox::new(input)),
                (None, l) => {
                    let l = l.expect("decoded when the engine is absent");
                    super::ibp::ibp_layer(&l[0].w, &l[0].b, Activation::Identity, input)
                }
            }
        } else {
            let crown = match intermediate {
                Intermediate::Crown => {
                    Some(backward_bounds(layers, engine.as_ref(), k, &identity(widths[k + 1]), lines, input))
                }
                Intermediate::Ibp => None,
            };
            let ibp = match engine.as_ref() {
                Some(e) => e.ibp(k),
                None => {
                    let h: Box = pre[k - 1].iter().map(|iv| ibp_act(layers[k - 1].act, iv)).collect();
                    super::ibp::ibp_layer(&layers[k].w, &layers[k].b, Activation::Identity, &h)
                }
            };
            match crown {
                Some(crown) => crown.iter().zip(&ibp).map(|(c, i)| intersect(c, i)).collect(),
                None => ibp,
            }
        };
        let bounds = match round_bits {
            Some(bits) => round_box_outward(&bounds, bits),
            None => bounds,
        };
        alphas.push(bounds.iter().map(default_alpha).collect());
        slopes.push(upper_slopes(mlp.layers[k].act, &bounds, arith.slope_bits(round_bits)));
        let (a, s) = (alphas.last().expect("just pushed"), slopes.last().expect("just pushed"));
        if let Some(e) = engine.as_mut()
            && e.push_relaxation(&bounds, a, s).is_none()
        {
            engine = None;
        }
        let dropped = float.as_mut().is_some_and(|f| f.push_relaxation(&bounds, a, s).is_none());
        pre.push(bounds);
        if dropped {
            float = None;
            engine = round_bits.and_then(|_| dyadic_engine(mlp, Lines { pre: &pre, alphas: &alphas, slopes: &slopes }));
        }
    }
    Ok(Crown { pre, alphas, upper_slopes: slopes })
}

/// Layer `k`'s pre-activation bounds by the binary64 engine, as binary64 ends: IBP for the first
/// layer (exact per coordinate up to the charge) and with `--intermediate ibp`, else CROWN met with
/// IBP; `None` if a row overflowed.
fn float_layer(f: &FloatEngine, k: usize, intermediate: Intermediate) -> Option<(Vec<f64>, Vec<f64>)> {
    let (il, ih) = f.ibp_f64(k)?;
    if k == 0 || intermediate == Intermediate::Ibp {
        return Some((il, ih));
    }
    let (cl, ch) = crown_float::unit_bounds_f64(f, k, &ih)?;
    Some((cl.iter().zip(&il).map(|(a, b)| a.max(*b)).collect(), ch.iter().zip(&ih).map(|(a, b)| a.min(*b)).collect()))
}

/// Checks that `crown` has one α and `s'` per neuron of `mlp`, each within its sound range
/// (`α ∈ [0, 1]`, `0 ≤ s' ≤ u/(u − l)` for unstable ReLUs).
fn check_lines(mlp: &Dense, crown: &Crown) -> Result<()> {
    let zero = Q::from_integer(0.into());
    let one = Q::from_integer(1.into());
    let n = mlp.layers.len();
    if crown.pre.len() != n || crown.alphas.len() != n || crown.upper_slopes.len() != n {
        return Err(Error::bad_input(format!(
            "crown: expected {n} layers of bounds, alphas and upper slopes, found {}, {} and {}",
            crown.pre.len(),
            crown.alphas.len(),
            crown.upper_slopes.len()
        )));
    }
    for (k, layer) in mlp.layers.iter().enumerate() {
        let w = layer.bias.len();
        if crown.pre[k].len() != w || crown.alphas[k].len() != w || crown.upper_slopes[k].len() != w {
            return Err(Error::bad_input(format!("crown layer {k}: expected {w} neurons")));
        }
        if layer.act != Activation::Relu {
            continue;
        }
        for (i, ((iv, a), s)) in crown.pre[k].iter().zip(&crown.alphas[k]).zip(&crown.upper_slopes[k]).enumerate() {
            if iv.lo < zero && iv.hi > zero {
                if *a < zero || *a > one {
                    return Err(Error::bad_input(format!(
                        "crown layer {k} neuron {i}: expected α ∈ [0, 1], found {a}"
                    )));
                }
                if *s < zero || s * (&iv.hi - &iv.lo) > iv.hi {
                    return Err(Error::bad_input(format!(
                        "crown layer {k} neuron {i}: expected 0 ≤ s' ≤ u/(u − l), found {s}"
                    )));
                }
            }
        }
    }
    Ok(())
}

/// Bounds of `c · output` for each objective row `c`, using CROWN's intermediate bounds, α and s'.
pub fn crown_objectives(mlp: &Dense, input: &Box, crown: &Crown, objectives: &[Vec<Q>]) -> Result<Vec<Interval>> {
    crown_objectives_in(mlp, input, crown, objectives, Arith::Dyadic)
}

/// As [`crown_objectives`], with the backward passes in `arith`.
pub fn crown_objectives_in(
    mlp: &Dense,
    input: &Box,
    crown: &Crown,
    objectives: &[Vec<Q>],
    arith: Arith,
) -> Result<Vec<Interval>> {
    let widths = mlp.widths()?;
    let last = mlp.layers.len() - 1;
    let out_width = widths[last + 1];
    if let Some(c) = objectives.iter().find(|c| c.len() != out_width) {
        return Err(Error::bad_input(format!("objective: expected {out_width} coefficients, found {}", c.len())));
    }
    if input.len() != widths[0] {
        return Err(Error::bad_input(format!("input box: expected {} coordinates, found {}", widths[0], input.len())));
    }
    // The output is act_last(z⁽ᴸ⁻¹⁾); for a linear last layer that is z itself.
    if mlp.layers[last].act != Activation::Identity {
        return Err(Error::bad_input("objective bounds need a linear (identity) output layer"));
    }
    check_lines(mlp, crown)?;
    if arith == Arith::F64
        && let Some(mut f) = FloatEngine::new(mlp, input)
        && (0..last).all(|k| f.push_relaxation(&crown.pre[k], &crown.alphas[k], &crown.upper_slopes[k]).is_some())
        && let Some(b) = float_bounds(&f, last, objectives)
    {
        return Ok(b);
    }
    // The dyadic engine applies when every bound and slope of the hidden layers is dyadic.
    let mut engine = Engine::new(mlp);
    for k in 0..last {
        if let Some(e) = engine.as_mut()
            && e.push_relaxation(&crown.pre[k], &crown.alphas[k], &crown.upper_slopes[k]).is_none()
        {
            engine = None;
        }
    }
    // The exact path also serves rows the engine declines (non-dyadic coefficients).
    let all_fit = engine.as_ref().is_some_and(|e| {
        objectives.iter().all(|c| e.objective(last, c).is_some() && e.objective(last, &negate(c)).is_some())
    });
    let layers = if all_fit { Vec::new() } else { layers_of(mlp)? };
    let lines = Lines { pre: &crown.pre, alphas: &crown.alphas, slopes: &crown.upper_slopes };
    Ok(backward_bounds(&layers, engine.as_ref(), last, objectives, lines, input))
}

fn negate(c: &[Q]) -> Vec<Q> {
    c.iter().map(|v| -v.clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bounds::ibp::ibp_mlp;
    use crate::num::interval::parse_box;

    fn q(n: i64, d: i64) -> Q {
        Q::new(n.into(), d.into())
    }

    /// The dyadic engine (`Some(bits)`) and the exact pass over the same lines agree to far below the
    /// rounding of the boxes, and the engine is never tighter than exact by more than its roundings.
    #[test]
    fn dyadic_engine_is_close_to_the_exact_pass_on_the_demo() {
        use num_traits::Signed;
        let input = parse_box("-1/2:1,0:1").unwrap();
        let m = Dense::demo();
        let c = crown_mlp(&m, &input, Some(32)).unwrap();
        let layers = layers_of(&m).unwrap();
        let lines = Lines { pre: &c.pre, alphas: &c.alphas, slopes: &c.upper_slopes };
        let exact = backward_bounds(&layers, None, 1, &identity(1), lines, &input);
        let fast = crown_objectives(&m, &input, &c, &identity(1)).unwrap();
        let tol = q(1, 1 << 50);
        assert!((&exact[0].lo - &fast[0].lo).abs() <= tol && (&exact[0].hi - &fast[0].hi).abs() <= tol);
        assert!(fast[0].lo <= exact[0].lo && exact[0].hi <= fast[0].hi, "{fast:?} vs exact {exact:?}");
    }

    /// A 4-12-12-3 ReLU network with binary32 weights from a fixed xorshift stream.
    fn synthetic() -> Dense {
        use crate::bounds::dense::DenseLayer;
        use crate::num::binary32::F32;
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            F32((((seed >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 1.3).to_bits())
        };
        let dims = [4, 12, 12, 3];
        Dense {
            layers: (0..3)
                .map(|k| DenseLayer {
                    weight: (0..dims[k + 1]).map(|_| (0..dims[k]).map(|_| next()).collect()).collect(),
                    bias: (0..dims[k + 1]).map(|_| next()).collect(),
                    act: if k == 2 { Activation::Identity } else { Activation::Relu },
                })
                .collect(),
        }
    }

    /// The binary64 pass charges every rounding outward: over the same lines it is never tighter
    /// than the exact pass over ℚ, and looser by less than 2⁻³⁰ relative; a row it cannot take
    /// (1/3 is not a binary64) falls back to the dyadic engine.
    #[test]
    fn binary64_pass_contains_the_exact_pass_over_the_same_lines() {
        use num_traits::Signed;
        let input = parse_box("-1/3:1/2,0:1,1/7:2/7,-1:-1/2").unwrap();
        let m = synthetic();
        let c = relaxed_mlp_in(&m, &input, Some(64), Intermediate::Crown, Arith::F64).unwrap();
        // Slopes were kept to 53 bits, so the binary64 engine took every layer.
        assert!(c.upper_slopes.iter().flatten().all(|s| exact_f64_test(s)));
        let layers = layers_of(&m).unwrap();
        let lines = Lines { pre: &c.pre[..2], alphas: &c.alphas[..2], slopes: &c.upper_slopes[..2] };
        let rows = vec![vec![q(1, 1), q(-1, 1), q(0, 1)], vec![q(3, 4), q(0, 1), q(-5, 2)]];
        let exact = backward_bounds(&layers, None, 2, &rows, lines, &input);
        let float = crown_objectives_in(&m, &input, &c, &rows, Arith::F64).unwrap();
        let tol = |x: &Q| x.abs() / Q::from_integer((1u64 << 30).into()) + q(1, 1 << 40);
        for (e, f) in exact.iter().zip(&float) {
            assert!(f.lo <= e.lo && e.hi <= f.hi, "binary64 {f:?} not around exact {e:?}");
            assert!(&e.lo - &f.lo <= tol(&e.lo) && &f.hi - &e.hi <= tol(&e.hi), "{f:?} vs {e:?}");
        }
        let third = vec![vec![q(1, 3), q(0, 1), q(0, 1)]];
        assert_eq!(
            crown_objectives_in(&m, &input, &c, &third, Arith::F64).unwrap(),
            crown_objectives_in(&m, &input, &c, &third, Arith::Dyadic).unwrap()
        );
    }

    fn exact_f64_test(s: &Q) -> bool {
        crate::num::rational::is_dyadic(s) && crate::num::dyadic::round_down(s, 53).to_rational() == *s
    }

    /// Regression table: the binary64 pass's bits on the demo network (any change to its order of
    /// operations or its charges shows here). The exact pass over the same lines is tighter by
    /// about 29 units of 2⁻⁵² at the lower end and 49 at the upper (the charges).
    #[test]
    fn upper_ends_first_leave_only_settled_neurons_without_a_lower_end() {
        // Over a box where some second-layer neurons are inactive: the upper ends are the full
        // pass's bits; the lower ends too, except where the upper end (or IBP's) is ≤ 0.
        let m = synthetic();
        let input = parse_box("1/2:1,1/2:1,-1:-1/2,0:1/2").unwrap();
        let mut f = FloatEngine::new(&m, &input).unwrap();
        let (lo, hi) = f.ibp_f64(0).unwrap();
        f.push_relaxation_f64(&lo, &hi).unwrap();
        let (_, ih) = f.ibp_f64(1).unwrap();
        let full = crown_float::unit_bounds(&f, 1).unwrap();
        let (cl, ch) = crown_float::unit_bounds_f64(&f, 1, &ih).unwrap();
        let mut settled = 0;
        for i in 0..full.len() {
            assert_eq!(crown_float::to_q(ch[i]), full[i].hi, "neuron {i}");
            if ch[i].min(ih[i]) <= 0.0 {
                assert_eq!(cl[i], f64::NEG_INFINITY);
                settled += 1;
            } else {
                assert_eq!(crown_float::to_q(cl[i]), full[i].lo, "neuron {i}");
            }
        }
        assert_eq!(settled, 6);
    }

    #[test]
    fn an_output_below_zero_keeps_its_crown_lower_end() {
        // The identity output layer needs both ends: with the binary64 engine the output box is
        // the full pass's (met with IBP) even where an output's upper end is below 0, as on this
        // box (output 0 of the synthetic network lies below 0).
        let m = synthetic();
        let input = parse_box("1/2:1,1/2:1,-1:-1/2,0:1/2").unwrap();
        let c = relaxed_mlp_in(&m, &input, Some(64), Intermediate::Crown, Arith::F64).unwrap();
        let mut f = FloatEngine::new(&m, &input).unwrap();
        for k in 0..2 {
            let (lo, hi) = float_layer(&f, k, Intermediate::Crown).unwrap();
            f.push_relaxation_f64(&lo, &hi).unwrap();
        }
        let (il, ih) = f.ibp_f64(2).unwrap();
        let full = crown_float::unit_bounds(&f, 2).unwrap();
        let out = c.pre.last().unwrap();
        let zero = Q::from_integer(0.into());
        assert!(out.iter().any(|iv| iv.hi <= zero), "{out:?}");
        for (i, iv) in out.iter().enumerate() {
            assert_eq!(iv.lo, full[i].lo.clone().max(crown_float::to_q(il[i])), "output {i}");
            assert_eq!(iv.hi, full[i].hi.clone().min(crown_float::to_q(ih[i])), "output {i}");
        }
    }

    #[test]
    fn binary64_crown_on_the_demo_is_pinned() {
        let input = parse_box("-1/2:1,0:1").unwrap();
        let m = Dense::demo();
        let c = relaxed_mlp_in(&m, &input, Some(64), Intermediate::Crown, Arith::F64).unwrap();
        let raw = crown_objectives_in(&m, &input, &c, &identity(1), Arith::F64).unwrap();
        assert_eq!(raw[0].to_strings(), [String::from("-5269211637172173/4503599627370496"), String::from("2375056259010285/1125899906842624")]);
        let d = crown_objectives(&m, &input, &crown_mlp(&m, &input, Some(64)).unwrap(), &identity(1)).unwrap();
        assert!(raw[0].lo <= d[0].lo && d[0].hi <= raw[0].hi);
    }

    #[test]
    fn objectives_reject_unsound_slopes() {
        let input = parse_box("-1/2:1,0:1").unwrap();
        let m = Dense::demo();
        let mut c = crown_mlp(&m, &input, Some(16)).unwrap();
        let (k, i) =
            (0, c.pre[0].iter().position(|iv| iv.lo < q(0, 1) && iv.hi > q(0, 1)).expect("an unstable neuron"));
        c.upper_slopes[k][i] = q(1, 1);
        let err = crown_objectives(&m, &input, &c, &identity(1)).unwrap_err().to_string();
        assert!(err.contains("expected 0 ≤ s' ≤ u/(u − l)"), "{err}");
    }

    #[test]
    fn demo_raw_crown_matches_a_reference_and_intersection_keeps_the_tighter_ends() {
        let input = parse_box("-1/2:1,0:1").unwrap();
        let m = Dense::demo();
        let c = crown_mlp(&m, &input, None).unwrap();
        let layers = layers_of(&m).unwrap();
        let lines = Lines { pre: &c.pre[..1], alphas: &c.alphas[..1], slopes: &c.upper_slopes[..1] };
        let raw = backward_bounds(&layers, None, 1, &identity(1), lines, &input);
        // Reference: the same relaxation run in Python fractions on the same f32 bits.
        assert_eq!(
            raw[0].to_strings(),
            [
                String::from("-2634605818586071/2251799813685248"),
                String::from("151417963954423152785753/71779971890698495459328")
            ]
        );
        // On this tiny net CROWN-Ada is looser than IBP at both ends, so the reported output bound is
        // the IBP one (both are sound; their intersection is too).
        let ibp = ibp_mlp(&m, &input).unwrap();
        assert_eq!(c.pre[1][0], ibp[2][0]);
    }

    /// Soundness on samples: every exactly evaluated point of the box lies inside the CROWN bounds.
    #[test]
    fn crown_bounds_contain_sampled_outputs() {
        let input = parse_box("-1/2:1,0:1").unwrap();
        let m = Dense::demo();
        let c = crown_mlp(&m, &input, Some(16)).unwrap();
        for i in 0..=8 {
            for j in 0..=8 {
                let x = vec![q(-1, 2) + q(3 * i, 16), q(j, 8)];
                let y = m.eval_exact(&x).unwrap();
                assert!(c.pre[1][0].contains(&y[0]), "x = {x:?}: {} outside {:?}", y[0], c.pre[1][0]);
            }
        }
    }
}
