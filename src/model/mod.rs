//! Model families with named, ordered, shaped parameters.
pub mod cnn;
pub mod family;
pub mod lower;
pub mod nnet;
pub mod onnx;
pub mod param;
pub mod pytorch;
pub mod transformer;

pub use family::{Act, Family, MlpSpec, Model, ParamSpec};
pub use lower::{act_op, lower, self_attention, tensor_store};
