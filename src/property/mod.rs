//! Properties a network can be verified against.
pub mod robust;
pub mod vnnlib;

pub use vnnlib::{LinearConstraint, Vnnlib, parse_vnnlib};
