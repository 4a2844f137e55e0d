//! Bound propagation. Every rule here has a Lean counterpart of the same name under
//! `lean/TorchLean/Bounds/` with its soundness theorem.
pub mod crown;
mod crown_dyadic;
mod crown_float;
pub mod dense;
pub mod envelope;
pub mod graph_crown;
pub mod graph_ibp;
pub mod ibp;
pub mod ibp_f32;
pub mod relax;

