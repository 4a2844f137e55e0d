//! The IR: a graph of typed nodes in topological order, its shapes, its parameters, and its two
//! evaluations (`docs/ir.md`).
//!
//! A [`Graph`] is built node by node by a [`GraphBuilder`] over the [`TensorStore`] of named
//! binary32 parameter tensors it will own; every node has an id, an [`Op`] (its tag, [`OpTag`], is the string
//! of artifacts), parent ids, parameter names and an inferred output shape. A built graph is
//! well-formed: ids unique, parents earlier, arities and parameter shapes checked. Errors name the
//! node: `node "fc2" (linear): expected input shape [32], found [16]`.
//!
//! # Exact evaluation
//!
//! [`Graph::eval_exact`] computes over ℚ with parameters decoded exactly from their bits. It is
//! defined for `input`, `constant`, `linear`, `conv2d`, `relu`, `identity`, `add`, `sub`, `mul`,
//! `matmul`, `reshape`, `flatten`, `transpose`, `maxpool2d`, `avgpool2d`, `concat`, `slice` and
//! `scale_rsqrt` of a perfect square; `gelu`, `tanh`, `sigmoid`, `softmax`, `layernorm` (a square
//! root), `causal_mask` (−∞) and `scale_rsqrt` of another `n` fail with
//! "op X has no exact rational semantics…".
//!
//! # Declared binary32 order
//!
//! [`Graph::eval_f32`] runs every arithmetic operation through the softfloat
//! ([`crate::num::binary32`]), rounded to nearest even ([`Graph::eval_f32_r`] takes a mode), and
//! returns the union of the IEEE flags. The order of operations is part of the semantics:
//! - **Dot products** (`linear`, `matmul`, `conv2d`): `acc = a₀·b₀`, then `acc = acc + aₖ·bₖ` for
//!   k = 1, 2, … left to right; every product is rounded, then added (no fused multiply-add). An
//!   empty dot product is +0. `linear` row r is `dot(W[r, :], x)` then `+ b[r]`: the bias is added
//!   last. `matmul` entry (i, j) is `dot(A[i, :], B[:, j])`.
//! - **conv2d**: outputs in (out channel, row, col) order; each is a dot product over
//!   (in channel, kh, kw) in that lexicographic order, starting from the first product, over the
//!   zero-padded input (padded positions are multiplied by their weight like any other), then
//!   `+ bias[o]`.
//! - **avgpool2d**: the window read row-major, summed left to right from its first element, then
//!   one division by `kh·kw`. **maxpool2d**: a running maximum from the window's first element,
//!   replaced by a later element that is greater or NaN (PyTorch's rule).
//! - **relu**: `x` if `x > 0` or `x` is NaN, else +0. `add`, `sub`, `mul`: one operation per
//!   element. `identity`, `reshape`, `flatten`, `transpose`, `concat`, `constant`: no arithmetic.
//!   `linear` on `[.., in]` is one such row product per row of the last axis.
//! - **layernorm** (per row of the last axis, n entries): `μ = (x₀ + x₁ + …) / n`,
//!   `dᵢ = xᵢ − μ`, `σ² = dot(d, d) / n`, `r = 1 / sqrt(σ² + eps)` with `eps` rounded once to
//!   binary32, `yᵢ = ((dᵢ · r) · wᵢ) + bᵢ`: all softfloat operations, so bit-exact.
//! - **tanh, sigmoid, softmax** are computed in host `f64` math (`f64::tanh`, `f64::exp`;
//!   softmax as `exp(xᵢ − max) / Σ exp(xⱼ − max)`, the sum in f64 left to right) from the exact
//!   f64 values of the inputs, and each result is rounded once to binary32. They are documented,
//!   not correctly rounded, and may differ between platforms' libm in the last bits.
//! - **gelu** is host `f64` math too: `(0.5·x)·(1 + libm::erf(x·FRAC_1_SQRT_2))`, each step an
//!   `f64` operation, rounded once (the pure-Rust `libm`, so platform-independent; not correctly
//!   rounded).
//! - **slice**, **concat**: no arithmetic. **scale_rsqrt**: `x · c` with `c` the binary32 `1/√n`
//!   correctly rounded (decided exactly over ℚ). **causal_mask**: `x + (−∞)` above the diagonal,
//!   `x + (+0)` elsewhere. Attention is the composition of these nodes (`docs/ir.md`).
mod eval;
mod graph;
mod op;
mod shape;
mod tensor;

pub use eval::Semantics;
pub use graph::{Graph, GraphBuilder, Node};
pub use op::{Arity, AttrKind, AttrValue, Conv2d, Op, OpTag, Pool2d};
pub use tensor::{Tensor, TensorStore, numel};
