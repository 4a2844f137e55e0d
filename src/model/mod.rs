//! Model families with named, ordered, shaped parameters.
pub mod mlp;
pub mod nnet;

pub use mlp::{Activation, DenseLayer, Mlp};
