//! Bound propagation. Every rule here has a Lean counterpart of the same name under
//! `lean/TorchLean/Bounds/` with its soundness theorem.
pub mod alpha;
pub mod attack;
pub mod bab;
pub mod crown;
mod crown_dyadic;
mod crown_float;
pub mod ibp;
pub mod ibp_f32;

