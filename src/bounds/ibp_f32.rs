//! IBP that encloses the **binary32 execution** of a dense network in its declared operation order
//! (`docs/ir.md`: each dot product left to right with a separately rounded multiply and add, the
//! bias added last, then the activation; round to nearest, ties to even).
//!
//! Why it is sound: every executed operation returns `RNE(v)` for the exact result `v` of its
//! binary32 operands, and `RD(v) ≤ RNE(v) ≤ RU(v)`. If the operands lie in intervals, `v` lies
//! between the exact results at the appropriate ends (`w·x` is monotone in `x` with the sign of
//! `w`; `+` is monotone in both), and `RD`, `RU` are monotone, so rounding the lower end down and
//! the upper end up after every operation keeps the executed value inside. The input intervals are
//! rounded *inward* (`[RU(lo), RD(hi)]`): a binary32 input in `[lo, hi]` lies there. A bound that
//! overflows to infinity is refused rather than reported.
//! Lean proves this argument (`netIv32_sound` in `lean/TorchLean/Bounds/IBPF32.lean`, on
//! `round_mono` of `Num/RoundMono.lean`), and `tests/ibp_f32_vectors.rs` checks that this function
//! and the Lean one give the same bits on the demo network.
use crate::num::interval::{Box, Interval};
use crate::error::{Error, Result};
use crate::bounds::dense::{Activation, Dense};
use crate::num::Q;
use crate::num::binary32::{F32, Round};

#[derive(Clone, Copy)]
struct Iv {
    lo: F32,
    hi: F32,
}

fn is_nonneg(x: F32) -> bool {
    x.to_bits() & 0x8000_0000 == 0 || x.to_bits() == 0x8000_0000
}

fn mul(w: F32, x: Iv) -> Iv {
    let (a, b) = if is_nonneg(w) { (x.lo, x.hi) } else { (x.hi, x.lo) };
    Iv { lo: w.mul_r(a, Round::TowardNegative).value, hi: w.mul_r(b, Round::TowardPositive).value }
}

fn add(a: Iv, b: Iv) -> Iv {
    Iv { lo: a.lo.add_r(b.lo, Round::TowardNegative).value, hi: a.hi.add_r(b.hi, Round::TowardPositive).value }
}

fn point(x: F32) -> Iv {
    Iv { lo: x, hi: x }
}

fn relu(x: F32) -> F32 {
    if x.to_rational().is_some_and(|q| q > Q::from_integer(0.into())) { x } else { F32::ZERO }
}

fn to_interval(iv: Iv, what: &str) -> Result<Interval> {
    match (iv.lo.to_rational(), iv.hi.to_rational()) {
        (Some(lo), Some(hi)) => Ok(Interval::new(lo, hi)),
        _ => Err(Error::bad_input(format!(
            "{what}: the binary32 enclosure overflows ([{}, {}]); no finite bound to report",
            iv.lo.to_hex(),
            iv.hi.to_hex()
        ))),
    }
}

/// The boxes `[inputs, after layer 0, …, output]` containing every value the declared-order binary32
/// execution of `mlp` produces from binary32 inputs in `input`.
pub fn ibp_f32_mlp(mlp: &Dense, input: &Box) -> Result<Vec<Box>> {
    let stages = enclose(mlp, input)?;
    stages
        .iter()
        .enumerate()
        .map(|(k, st)| {
            let what = |i: usize| if k == 0 { format!("input {i}") } else { format!("layer {} neuron {i}", k - 1) };
            st.iter().enumerate().map(|(i, v)| to_interval(*v, &what(i))).collect::<Result<Box>>()
        })
        .collect()
}

/// The same boxes as [`ibp_f32_mlp`] as `[lo, hi]` bit patterns, exactly as computed: a zero end
/// keeps its sign, which the rational boxes cannot show and Lean's `rowsIv32` compares.
pub fn ibp_f32_bits(mlp: &Dense, input: &Box) -> Result<Vec<Vec<[F32; 2]>>> {
    Ok(enclose(mlp, input)?.into_iter().map(|st| st.into_iter().map(|v| [v.lo, v.hi]).collect()).collect())
}

/// The interval stages; every end is checked finite.
fn enclose(mlp: &Dense, input: &Box) -> Result<Vec<Vec<Iv>>> {
    let widths = mlp.widths()?;
    if input.len() != widths[0] {
        return Err(Error::bad_input(format!("input box: expected {} coordinates, found {}", widths[0], input.len())));
    }
    let x: Vec<Iv> = input
        .iter()
        .enumerate()
        .map(|(i, iv)| {
            let lo = F32::from_rational_r(&iv.lo, Round::TowardPositive).value;
            let hi = F32::from_rational_r(&iv.hi, Round::TowardNegative).value;
            match (lo.to_rational(), hi.to_rational()) {
                (Some(l), Some(h)) if l <= h => Ok(Iv { lo, hi }),
                _ => Err(Error::bad_input(format!("input box coordinate {i}: contains no finite binary32 value"))),
            }
        })
        .collect::<Result<_>>()?;
    let mut stages = vec![x];
    for (k, layer) in mlp.layers.iter().enumerate() {
        let x = stages.last().expect("the input stage");
        let mut next = Vec::with_capacity(layer.weight.len());
        for (r, (row, b)) in layer.weight.iter().zip(&layer.bias).enumerate() {
            let mut terms = row.iter().zip(x).map(|(w, xi)| mul(*w, *xi));
            let first = terms.next().unwrap_or(point(F32::ZERO));
            let acc = add(terms.fold(first, add), point(*b));
            let out = match layer.act {
                Activation::Relu => Iv { lo: relu(acc.lo), hi: relu(acc.hi) },
                Activation::Identity => acc,
            };
            to_interval(out, &format!("layer {k} neuron {r}"))?;
            next.push(out);
        }
        stages.push(next);
    }
    Ok(stages)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::num::interval::parse_box;

    #[test]
    fn demo_enclosure_is_pinned_and_contains_sampled_binary32_executions() {
        let input = parse_box("-1/2:1,0:1").unwrap();
        let boxes = ibp_f32_mlp(&Dense::demo(), &input).unwrap();
        let out: Vec<[String; 2]> = boxes[2].iter().map(Interval::to_strings).collect();
        // Cross-checked with Python fractions rounding every product and sum down / up to binary32
        // in the declared order. Exact IBP over ℚ gives [-1.02000000, 1.74000002]; this is
        // [-1.02000010, 1.74000025]: wider by the outward rounding of every operation.
        assert_eq!(out, vec![[String::from("-8556381/8388608"), String::from("3649045/2097152")]]);
        // Sampled soundness: the declared-order execution at binary32 points of the box.
        for i in 0..=12 {
            for j in 0..=12 {
                let x = [F32::from_rational(&Q::new((i - 4).into(), 8.into())).value, F32::from_rational(&Q::new(j.into(), 12.into())).value];
                let y = crate::search::attack::eval_f32(&crate::model::lower(&crate::model::Model::demo()).unwrap(), &x).unwrap();
                assert!(boxes[2][0].contains(&y[0].to_rational().unwrap()), "x = {x:?}: {y:?}");
            }
        }
    }

    #[test]
    fn overflow_is_refused() {
        let mut m = Dense::demo();
        m.layers[1].weight[0] = vec![F32(0x7f7fffff); 3];
        let err = ibp_f32_mlp(&m, &parse_box("-1/2:1,0:1").unwrap()).unwrap_err().to_string();
        assert!(err.contains("layer 1 neuron 0: the binary32 enclosure overflows"), "{err}");
    }
}
