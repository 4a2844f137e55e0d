//! Piecewise-linear enclosures of the smooth activations (Lean: `TorchLean.Bounds.Envelope`, the
//! data in `lean/TorchLean/Bounds/Envelopes.lean`).
//!
//! `tanh`, `σ` and GELU have no rational values, so a certificate about a network that uses one is
//! stated for every function within a fixed enclosure: a contiguous list of pieces, on each of which
//! the function lies between two lines. The lines of each piece are the sound CROWN lines of
//! [`crate::num::elementary`] over the piece (`docs/smooth-activations.md` derives them), so the
//! real function is within its enclosure; [`Envelope::image`] is Lean's `envIv` exactly, over the
//! same search tree of pieces, so the boxes a certificate claims are the ones the kernel
//! recomputes. The tree is what keeps the kernel's work per neuron at one path (about nine pieces)
//! rather than all of them: scanning 290 pieces per neuron exhausted the wasm heap on a 64-32-10
//! tanh network.
//!
//! Pieces: width 1/16 on `[−8, 8]` (256 pieces), then widening by doubling out to `±2^20` (a
//! pre-activation beyond that is refused, never bounded wrongly). The lines are rounded outward to
//! dyadics of [`LINE_BITS`] bits (an intercept moved down for a lower line, up for an upper one,
//! by the slope's rounding times the piece's largest `|z|`).
use std::fmt::Write;
use std::sync::OnceLock;

use num_traits::Signed;

use crate::bounds::dense::{SAct, SmoothDense};
use crate::bounds::ibp::{ibp_act, round_box_outward};
use crate::error::{Error, Result};
use crate::num::elementary::Smooth;
use crate::num::interval::{Box, Interval, dot};
use crate::num::{Q, dyadic};

/// Bits of the slopes and intercepts of the pieces' lines.
pub const LINE_BITS: u32 = 40;
/// Precision of the enclosures the lines come from.
const EVAL_BITS: u32 = 64;

/// On `[lo, hi]` the function lies between `al·z + bl` and `ah·z + bh` (Lean's `Piece`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    pub lo: Q,
    pub hi: Q,
    pub al: Q,
    pub bl: Q,
    pub ah: Q,
    pub bh: Q,
}

/// A contiguous list of pieces (Lean sees them as a balanced tree, see [`Envelope::lean_literal`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    pub pieces: Vec<Piece>,
}

fn q(n: i64, d: i64) -> Q {
    Q::new(n.into(), d.into())
}

/// The breakpoints: `±2^20, …, ±16, ±8`, then every 1/16 on `[−8, 8]`.
fn grid() -> Vec<Q> {
    let mut pts: Vec<Q> = (4..=20).rev().map(|e| -Q::from_integer(num_bigint::BigInt::from(1) << e)).collect();
    pts.pop();
    pts.extend((-128..=128).map(|k| q(k, 16)));
    pts.extend((4..=20).map(|e| Q::from_integer(num_bigint::BigInt::from(1) << e)).skip(1));
    pts
}

/// `line` moved outward: its slope rounded to `LINE_BITS` bits and its intercept shifted so the new
/// line lies below (`lower`) or above the old one on `[lo, hi]`.
fn outward(slope: &Q, icpt: &Q, lo: &Q, hi: &Q, lower: bool) -> (Q, Q) {
    let s = dyadic::round_down(slope, LINE_BITS).to_rational();
    let m = lo.abs().max(hi.abs());
    // |(s − slope)·z| ≤ |s − slope|·m on the piece.
    let shift = (&s - slope).abs() * &m;
    let b = if lower { icpt - shift } else { icpt + shift };
    let b = if lower { dyadic::round_down(&b, LINE_BITS) } else { dyadic::round_up(&b, LINE_BITS) };
    (s, b.to_rational())
}

impl Envelope {
    /// The enclosure of `f`, computed once per process.
    pub fn get(f: Smooth) -> &'static Envelope {
        static ENVELOPES: [OnceLock<Envelope>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];
        let i = match f {
            Smooth::Tanh => 0,
            Smooth::Sigmoid => 1,
            Smooth::Gelu => 2,
        };
        ENVELOPES[i].get_or_init(|| Envelope::of(f))
    }

    /// The enclosure of `f` on the fixed grid.
    pub fn of(f: Smooth) -> Envelope {
        let pts = grid();
        let pieces = pts
            .windows(2)
            .map(|w| {
                let (lo, hi) = (&w[0], &w[1]);
                let (low, up) = f.relax(lo, hi, EVAL_BITS);
                let (al, bl) = outward(&low.slope, &low.icpt, lo, hi, true);
                let (ah, bh) = outward(&up.slope, &up.icpt, lo, hi, false);
                Piece { lo: lo.clone(), hi: hi.clone(), al, bl, ah, bh }
            })
            .collect();
        Envelope { pieces }
    }

    /// Lean's `envIv I E` over [`Envelope::lean_literal`]'s tree: refused when `iv` leaves the
    /// pieces' span (Lean's `spans` would be false), else the image the kernel recomputes.
    pub fn image(&self, iv: &Interval) -> Result<Interval> {
        let (first, last) = (&self.pieces[0].lo, &self.pieces[self.pieces.len() - 1].hi);
        if iv.lo < *first || iv.hi > *last {
            return Err(Error::bad_input(format!(
                "a pre-activation range [{}, {}] leaves the enclosure's span [{}, {}]",
                iv.lo, iv.hi, first, last
            )));
        }
        Ok(self.image_in(0, self.pieces.len(), iv))
    }

    /// The image over the subtree of pieces `a..b` (split at `(a + b) / 2`, as the literal is).
    fn image_in(&self, a: usize, b: usize, iv: &Interval) -> Interval {
        if b - a == 1 {
            let p = &self.pieces[a];
            let x = iv.lo.clone().max(p.lo.clone());
            let y = iv.hi.clone().min(p.hi.clone());
            let lo = (&p.al * &x + &p.bl).min(&p.al * &y + &p.bl);
            let hi = (&p.ah * &x + &p.bh).max(&p.ah * &y + &p.bh);
            return Interval::new(lo, hi);
        }
        let mid = (a + b) / 2;
        let m = &self.pieces[mid].lo;
        if iv.hi <= *m {
            self.image_in(a, mid, iv)
        } else if *m <= iv.lo {
            self.image_in(mid, b, iv)
        } else {
            let (l, r) = (self.image_in(a, mid, iv), self.image_in(mid, b, iv));
            Interval::new(l.lo.min(r.lo), l.hi.max(r.hi))
        }
    }

    /// The Lean literal of the pieces as Lean's `Env` tree: pieces `a..b` split at `(a + b) / 2`,
    /// the split point being where the right part begins.
    pub fn lean_literal(&self) -> String {
        let mut out = String::new();
        self.literal_in(0, self.pieces.len(), 1, &mut out);
        out
    }

    fn literal_in(&self, a: usize, b: usize, depth: usize, out: &mut String) {
        let r = crate::num::rational::to_canonical;
        if b - a == 1 {
            let p = &self.pieces[a];
            let _ = write!(
                out,
                ".piece ⟨{}, {}, {}, {}, {}, {}⟩",
                r(&p.lo),
                r(&p.hi),
                r(&p.al),
                r(&p.bl),
                r(&p.ah),
                r(&p.bh)
            );
            return;
        }
        let mid = (a + b) / 2;
        let indent = "  ".repeat(depth + 1);
        let _ = write!(out, ".split ({})\n{indent}(", r(&self.pieces[mid].lo));
        self.literal_in(a, mid, depth + 1, out);
        let _ = write!(out, ")\n{indent}(");
        self.literal_in(mid, b, depth + 1, out);
        out.push(')');
    }
}

/// Lean's `ibpSAct`: an exact activation's image by its ends, a smooth one's through its
/// enclosure (refused when the interval leaves the enclosure's span, as Lean's `spans` would).
pub fn act_image(act: SAct, iv: &Interval) -> Result<Interval> {
    match act {
        SAct::Exact(a) => Ok(ibp_act(a, iv)),
        SAct::Smooth(k) => Envelope::get(k).image(iv).map_err(|e| e.context(format!("the {} enclosure", k.name()))),
    }
}

/// IBP through the enclosures (the boxes of Lean's `envChainOk`): the input box, then each layer's
/// image of the box before it (`ibpSRows`: `row·x + b` exactly, then [`act_image`]), rounded
/// outward to `bits` significant bits when given. The certificate claims these boxes and the
/// kernel recomputes each image from the claimed box before it.
pub fn ibp_env_rounded(net: &SmoothDense, input: &Box, bits: Option<u32>) -> Result<Vec<Box>> {
    let widths = net.widths()?;
    if input.len() != widths[0] {
        return Err(Error::bad_input(format!("input box: expected {} coordinates, found {}", widths[0], input.len())));
    }
    let mut boxes = vec![input.clone()];
    for (i, l) in net.layers.iter().enumerate() {
        let w = l.weight_q(&format!("layers.{i}.weight"))?;
        let b = l.bias_q(&format!("layers.{i}.bias"))?;
        let prev = boxes.last().expect("boxes starts non-empty");
        let next = w
            .iter()
            .zip(&b)
            .enumerate()
            .map(|(j, (row, bj))| {
                act_image(l.act, &dot(row, prev).add(&Interval::point(bj.clone())))
                    .map_err(|e| e.context(format!("layer {i} neuron {j}")))
            })
            .collect::<Result<Box>>()?;
        boxes.push(match bits {
            Some(bits) => round_box_outward(&next, bits),
            None => next,
        });
    }
    Ok(boxes)
}

/// The text of `lean/TorchLean/Bounds/Envelopes.lean`: the enclosures of `tanh`, `σ` and GELU as
/// Lean data (generated; `tests/graph_bounds.rs` demands the committed file equal this).
pub fn envelopes_module() -> String {
    let mut s = String::new();
    let _ = writeln!(s, "module\n\npublic import TorchLean.Bounds.Envelope\n");
    let _ = writeln!(
        s,
        "/-! # The enclosures of `tanh`, `σ` and GELU (generated by torchlean; do not edit)\n\n\
         Each is a tree of contiguous pieces on which the function lies between two lines: the sound\n\
         lines of `src/num/elementary.rs` over the piece, rounded outward (`src/bounds/envelope.rs`).\n\
         Certificates about networks with these activations hold for every function within the\n\
         enclosure (`InEnv`); `docs/smooth-activations.md` says why the real function is.\n-/\n"
    );
    let _ = writeln!(s, "public section\n\nnamespace TorchLean.Bounds\n");
    for (name, f) in [("tanhEnv", Smooth::Tanh), ("sigmoidEnv", Smooth::Sigmoid), ("geluEnv", Smooth::Gelu)] {
        let _ = writeln!(s, "/-- The enclosure of `{}`. -/", f.name());
        let _ = writeln!(s, "@[expose] noncomputable def {name} : Env :=\n  {}\n", Envelope::of(f).lean_literal());
        let _ = writeln!(s, "/-- The pieces of `{name}` follow each other without a gap. -/");
        let _ = writeln!(s, "theorem {name}_wf : {name}.wf = true := by decide +kernel\n");
    }
    let _ = writeln!(s, "end TorchLean.Bounds");
    s
}
