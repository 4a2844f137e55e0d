//! Exact interval bound propagation through dense layers (Lean: `TorchLean.Bounds.IBP`, proved sound
//! by `ibpLayer_sound`). The Rust rule and the Lean rule are the same function, so the boxes Rust
//! writes into a certificate are exactly the ones the Lean checker recomputes.
use crate::num::interval::{Box, Interval};
use crate::error::{Error, Result};
use crate::bounds::dense::{Activation, Dense};
use crate::num::{Q, dyadic};

/// Lean `ibpAct`: both activations are monotone, so the ends map to the ends.
pub fn ibp_act(act: Activation, i: &Interval) -> Interval {
    Interval::new(act.eval(&i.lo), act.eval(&i.hi))
}

/// Lean `ibpLayer`: `act(row·x + b)` enclosed for every `x` in `input`.
pub fn ibp_layer(weight: &[Vec<Q>], bias: &[Q], act: Activation, input: &Box) -> Box {
    weight
        .iter()
        .zip(bias)
        .map(|(row, b)| {
            let zero = Interval::point(Q::from_integer(0.into()));
            let dot = row.iter().zip(input).fold(zero, |acc, (w, i)| acc.add(&i.scale(w)));
            ibp_act(act, &dot.add(&Interval::point(b.clone())))
        })
        .collect()
}

/// Rounds every interval outward to dyadics of at most `bits` significant bits (lo down, hi up).
/// The box only grows, so a certificate may claim it: the checker tests containment.
pub fn round_box_outward(b: &Box, bits: u32) -> Box {
    b.iter()
        .map(|i| Interval::new(dyadic::round_down(&i.lo, bits).to_rational(), dyadic::round_up(&i.hi, bits).to_rational()))
        .collect()
}

/// The boxes `[input, after layer 1, …, output]` of exact IBP through the whole network.
pub fn ibp_mlp(mlp: &Dense, input: &Box) -> Result<Vec<Box>> {
    ibp_mlp_rounded(mlp, input, None)
}

/// IBP whose intermediate boxes are rounded outward to `bits` significant bits (when given), so
/// numbers stay short through deep networks instead of growing with every layer.
pub fn ibp_mlp_rounded(mlp: &Dense, input: &Box, bits: Option<u32>) -> Result<Vec<Box>> {
    let widths = mlp.widths()?;
    if input.len() != widths[0] {
        return Err(Error::bad_input(format!("input box: expected {} coordinates, found {}", widths[0], input.len())));
    }
    let mut boxes = vec![input.clone()];
    for (i, l) in mlp.layers.iter().enumerate() {
        let w = l.weight_q(&format!("layers.{i}.weight"))?;
        let b = l.bias_q(&format!("layers.{i}.bias"))?;
        let next = ibp_layer(&w, &b, l.act, boxes.last().expect("boxes starts non-empty"));
        boxes.push(match bits {
            Some(bits) => round_box_outward(&next, bits),
            None => next,
        });
    }
    Ok(boxes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::num::interval::parse_box;

    #[test]
    fn rounded_boxes_contain_the_exact_ones_and_stay_short() {
        let input = parse_box("-1/2:1,0:1").unwrap();
        let exact = ibp_mlp(&Dense::demo(), &input).unwrap();
        let rounded = ibp_mlp_rounded(&Dense::demo(), &input, Some(8)).unwrap();
        for (e, r) in exact.iter().zip(&rounded) {
            for (ei, ri) in e.iter().zip(r) {
                assert!(ei.subset(ri), "{ei:?} not inside {ri:?}");
                assert!(crate::num::rational::is_dyadic(&ri.lo) && crate::num::rational::is_dyadic(&ri.hi));
            }
        }
        let out: Vec<[String; 2]> = rounded[2].iter().map(Interval::to_strings).collect();
        // Cross-checked with Python fractions rounding each box to 8 significant bits: box 1 becomes
        // [0, 205/256] × [0, 231/256] × [0, 45/32], and the output [-131/128, 7/4].
        assert_eq!(out, vec![[String::from("-131/128"), String::from("7/4")]]);
    }

    #[test]
    fn demo_output_box_is_exact() {
        let boxes = ibp_mlp(&Dense::demo(), &parse_box("-1/2:1,0:1").unwrap()).unwrap();
        let out: Vec<[String; 2]> = boxes[2].iter().map(Interval::to_strings).collect();
        // Cross-checked with Python fractions on the same f32 bits.
        assert_eq!(out, vec![[String::from("-143552238625751/140737488355328"), String::from("3918131722117449/2251799813685248")]]);
    }
}
