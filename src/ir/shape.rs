//! Shape inference: the output shape of each op from its parents' and parameters' shapes.
//!
//! Messages state only what was expected and what was found; the graph builder adds the node
//! (`node "fc2" (linear): expected input shape [32], found [16]`).
use crate::error::{Error, Result};

use super::op::{Conv2d, Op, Pool2d};
use super::tensor::numel;

fn bad(msg: String) -> Error {
    Error::bad_input(msg)
}

fn expect_param(name: &str, found: &[usize], want: &[usize]) -> Result<()> {
    if found != want {
        return Err(bad(format!("param \"{name}\": expected shape {want:?}, found {found:?}")));
    }
    Ok(())
}

fn expect_rank(what: &str, shape: &[usize], rank: usize, layout: &str) -> Result<()> {
    if shape.len() != rank {
        return Err(bad(format!("expected {what} of rank {rank} ({layout}), found {shape:?}")));
    }
    Ok(())
}

/// `(extent + 2 padding − kernel) / stride + 1`, or an error when the window does not fit.
fn windows(axis: &str, extent: usize, kernel: usize, stride: usize, padding: usize) -> Result<usize> {
    let padded = extent + 2 * padding;
    if padded < kernel {
        return Err(bad(format!(
            "expected {axis} + 2·padding ≥ kernel {kernel}, found {axis} = {extent}, padding = {padding}"
        )));
    }
    Ok((padded - kernel) / stride + 1)
}

/// The output shape of `op` applied to parents of shapes `parents` with parameters `params`
/// (name and shape). Arity and parameter count are checked by the caller.
pub(crate) fn infer(op: &Op, parents: &[&[usize]], params: &[(&str, &[usize])]) -> Result<Vec<usize>> {
    let same = |found: &[usize], want: &[usize]| -> Result<()> {
        if found != want {
            return Err(bad(format!("expected input shape {want:?}, found {found:?}")));
        }
        Ok(())
    };
    match op {
        Op::Input { shape } => Ok(shape.clone()),
        Op::Constant => Ok(params[0].1.to_vec()),
        Op::Linear => {
            let (wn, w) = params[0];
            if w.len() != 2 {
                return Err(bad(format!("param \"{wn}\": expected a weight of rank 2 ([out, in]), found {w:?}")));
            }
            expect_param(params[1].0, params[1].1, &[w[0]])?;
            // Row-wise over the last axis: `[.., in] → [.., out]` (rank 1 is the plain `[in] → [out]`).
            let x = parents[0];
            let lead = &x[..x.len().saturating_sub(1)];
            same(x, &[lead, &[w[1]]].concat())?;
            Ok([lead, &[w[0]]].concat())
        }
        Op::Conv2d(Conv2d { in_channels, out_channels, kernel, stride, padding }) => {
            let x = parents[0];
            expect_rank("an input", x, 3, "[C, H, W]")?;
            if x[0] != *in_channels {
                return Err(bad(format!(
                    "expected input shape [{in_channels}, H, W] (in_channels = {in_channels}), found {x:?}"
                )));
            }
            expect_param(params[0].0, params[0].1, &[*out_channels, *in_channels, kernel[0], kernel[1]])?;
            expect_param(params[1].0, params[1].1, &[*out_channels])?;
            let h = windows("H", x[1], kernel[0], stride[0], padding[0])?;
            let w = windows("W", x[2], kernel[1], stride[1], padding[1])?;
            Ok(vec![*out_channels, h, w])
        }
        Op::Relu | Op::Identity | Op::Gelu | Op::Tanh | Op::Sigmoid => Ok(parents[0].to_vec()),
        Op::Add | Op::Sub | Op::Mul => {
            same(parents[1], parents[0])?;
            Ok(parents[0].to_vec())
        }
        Op::Matmul => {
            let (a, b) = (parents[0], parents[1]);
            expect_rank("a left operand", a, 2, "[m, k]")?;
            expect_rank("a right operand", b, 2, "[k, n]")?;
            if a[1] != b[0] {
                return Err(bad(format!("expected right operand shape [{}, n], found {b:?}", a[1])));
            }
            Ok(vec![a[0], b[1]])
        }
        Op::Reshape { shape } => {
            if numel(shape) != numel(parents[0]) {
                return Err(bad(format!(
                    "expected an input with as many elements as {shape:?}, found {:?}",
                    parents[0]
                )));
            }
            Ok(shape.clone())
        }
        Op::Flatten => {
            numel(parents[0]).map(|n| vec![n]).ok_or_else(|| bad("expected fewer than usize::MAX elements".into()))
        }
        Op::Transpose => {
            expect_rank("an input", parents[0], 2, "[m, n]")?;
            Ok(vec![parents[0][1], parents[0][0]])
        }
        Op::MaxPool2d(Pool2d { kernel, stride }) | Op::AvgPool2d(Pool2d { kernel, stride }) => {
            let x = parents[0];
            expect_rank("an input", x, 3, "[C, H, W]")?;
            Ok(vec![x[0], windows("H", x[1], kernel[0], stride[0], 0)?, windows("W", x[2], kernel[1], stride[1], 0)?])
        }
        Op::Softmax => {
            let x = parents[0];
            if x.last().is_none_or(|&n| n == 0) {
                return Err(bad(format!("expected an input with a non-empty last axis, found {x:?}")));
            }
            Ok(x.to_vec())
        }
        Op::LayerNorm { .. } => {
            let x = parents[0];
            let n = match x.last() {
                Some(&n) if n > 0 => n,
                _ => return Err(bad(format!("expected an input with a non-empty last axis, found {x:?}"))),
            };
            expect_param(params[0].0, params[0].1, &[n])?;
            expect_param(params[1].0, params[1].1, &[n])?;
            Ok(x.to_vec())
        }
        Op::Slice { axis, start, end } => {
            let x = parents[0];
            if *axis >= x.len() {
                return Err(bad(format!("expected axis < rank {}, found axis {axis}", x.len())));
            }
            if !(start < end && *end <= x[*axis]) {
                return Err(bad(format!(
                    "expected start < end ≤ {} (the extent of axis {axis}), found start {start}, end {end}",
                    x[*axis]
                )));
            }
            let mut out = x.to_vec();
            out[*axis] = end - start;
            Ok(out)
        }
        Op::ScaleRsqrt { .. } => Ok(parents[0].to_vec()),
        Op::CausalMask => {
            expect_rank("an input", parents[0], 2, "[m, n]")?;
            Ok(parents[0].to_vec())
        }
        Op::Concat { axis } => {
            let first = parents[0];
            if *axis >= first.len() {
                return Err(bad(format!("expected axis < rank {}, found axis {axis}", first.len())));
            }
            let mut out = first.to_vec();
            for (k, p) in parents.iter().enumerate().skip(1) {
                let fits =
                    p.len() == first.len() && p.iter().zip(first).enumerate().all(|(d, (a, b))| d == *axis || a == b);
                if !fits {
                    let want: Vec<String> = first
                        .iter()
                        .enumerate()
                        .map(|(d, n)| if d == *axis { "_".into() } else { n.to_string() })
                        .collect();
                    return Err(bad(format!("expected parent {k} of shape [{}], found {p:?}", want.join(", "))));
                }
                out[*axis] += p[*axis];
            }
            Ok(out)
        }
    }
}
