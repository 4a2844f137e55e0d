//! Model families with named, ordered, shaped parameters.
pub mod cnn;
pub mod family;
pub mod mlp;
pub mod nnet;
pub mod pytorch;
pub mod transformer;

pub use family::{Act, Family, MlpSpec, Model, ParamSpec};
pub use mlp::{Activation, DenseLayer, Mlp};
