//! The sizes every reader accepts, checked before anything of that size is allocated, so hostile
//! input gets a clear error instead of exhausting memory or the stack (`docs/format.md` lists them).
//! They sit far above every network and property torchlean is meant for (ACAS Xu: 6 layers of 50,
//! 5 inputs; MNIST-sized CNNs: about 10^5 weights per tensor).

/// Neurons in one layer (and coordinates of a box or an output vector).
pub const MAX_WIDTH: usize = 1 << 20;
/// Bytes of an ONNX file (read whole, then decoded).
pub const MAX_ONNX_BYTES: usize = 1 << 30;
/// Layers of a network.
pub const MAX_LAYERS: usize = 4096;
/// Elements of one tensor.
pub const MAX_TENSOR_ELEMENTS: usize = 1 << 26;
/// Disjuncts of a property's violation after expanding `and` over `or` (VNN-LIB).
pub const MAX_DNF_TERMS: usize = 100_000;
/// Coefficients of a property's violation in all (disjuncts × constraints × outputs), so an L∞
/// claim reaches 4096 outputs.
pub const MAX_VIOLATION_COEFFS: usize = 1 << 24;
/// Characters of one number in a VNN-LIB or `.nnet` file (ACAS Xu's longest has about 20).
pub const MAX_NUMBER_CHARS: usize = 1000;
/// Decimal exponent of a number written as `…e±N` (binary32 spans about 10^±45; a bound like
/// `1e-99999` cost 0.7 s of gcds for nothing).
pub const MAX_DECIMAL_EXPONENT: u64 = 1000;
/// Nesting depth of a VNN-LIB formula.
pub const MAX_NESTING: usize = 1000;
/// Significant bits a box may be rounded to (`bounds --round-bits`).
pub const MAX_ROUND_BITS: u32 = 4096;
/// Splits on one root-to-leaf path of a certificate tree (halving an input 1000 times leaves
/// nothing a search could still need to split; every walk of a tree is then safely recursive).
pub const MAX_TREE_DEPTH: usize = 1000;
