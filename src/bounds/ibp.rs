//! Exact interval bound propagation through dense layers (Lean: `TorchLean.Bounds.IBP`, proved sound
//! by `ibpLayer_sound`). The Rust rule and the Lean rule are the same function, so the boxes Rust
//! writes into a certificate are exactly the ones the Lean checker recomputes.
use super::interval::{Box, Interval};
use crate::error::{Error, Result};
use crate::model::{Activation, Mlp};
use crate::num::Q;

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

/// The boxes `[input, after layer 1, …, output]` of exact IBP through the whole network.
pub fn ibp_mlp(mlp: &Mlp, input: &Box) -> Result<Vec<Box>> {
    let widths = mlp.widths()?;
    if input.len() != widths[0] {
        return Err(Error::bad_input(format!("input box: expected {} coordinates, found {}", widths[0], input.len())));
    }
    let mut boxes = vec![input.clone()];
    for (i, l) in mlp.layers.iter().enumerate() {
        let w = l.weight_q(&format!("layers.{i}.weight"))?;
        let b = l.bias_q(&format!("layers.{i}.bias"))?;
        let next = ibp_layer(&w, &b, l.act, boxes.last().expect("boxes starts non-empty"));
        boxes.push(next);
    }
    Ok(boxes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bounds::interval::parse_box;

    #[test]
    fn demo_output_box_is_exact() {
        let boxes = ibp_mlp(&Mlp::demo(), &parse_box("-1/2:1,0:1").unwrap()).unwrap();
        let out: Vec<[String; 2]> = boxes[2].iter().map(Interval::to_strings).collect();
        // Cross-checked with Python fractions on the same f32 bits.
        assert_eq!(out, vec![[String::from("-143552238625751/140737488355328"), String::from("3918131722117449/2251799813685248")]]);
    }
}
