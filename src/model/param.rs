//! What every family is built from: its parameters' names and shapes ([`ParamSpec`]) and the
//! elementwise activations ([`Act`]).

/// An elementwise activation of the `mlp` family (PyTorch: applied in `forward`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    Relu,
    Gelu,
    Tanh,
    Sigmoid,
    Identity,
}

impl Act {
    /// Every activation, in the order of `docs/families.md`.
    pub const ALL: [Act; 5] = [Act::Relu, Act::Gelu, Act::Tanh, Act::Sigmoid, Act::Identity];
    /// The name in specs, IR op tags and the generated Python.
    pub fn name(self) -> &'static str {
        match self {
            Act::Relu => "relu",
            Act::Gelu => "gelu",
            Act::Tanh => "tanh",
            Act::Sigmoid => "sigmoid",
            Act::Identity => "identity",
        }
    }
    /// The activation named `name`, if any.
    pub fn from_name(name: &str) -> Option<Act> {
        Act::ALL.into_iter().find(|a| a.name() == name)
    }
}

/// One parameter a family declares: its PyTorch `state_dict` name and shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamSpec {
    pub name: String,
    pub shape: Vec<usize>,
}

impl ParamSpec {
    pub(crate) fn new(name: String, shape: Vec<usize>) -> ParamSpec {
        ParamSpec { name, shape }
    }
}
