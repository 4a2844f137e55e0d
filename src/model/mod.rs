//! Model families with named, ordered, shaped parameters.
pub mod mlp;

pub use mlp::{Activation, DenseLayer, Mlp};
