//! Keras activation names, shared by the layer spec, the trainer and the ONNX export.

use serde::{Deserialize, Serialize};

/// A Keras activation (`activation = "relu"`); `linear` (the default) is none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// `linear`: the identity, f(z) = z (the default: no activation).
    #[default]
    Linear,
    /// `relu`: max(z, 0).
    Relu,
    /// `sigmoid`: the logistic function 1 / (1 + e^−z).
    Sigmoid,
    /// `tanh`: the hyperbolic tangent.
    Tanh,
    /// Over the last (Keras) axis.
    Softmax,
}

impl Activation {
    /// Its Keras name (`"relu"`), as written in a spec and in `summary.json`.
    pub fn name(self) -> &'static str {
        match self {
            Activation::Linear => "linear",
            Activation::Relu => "relu",
            Activation::Sigmoid => "sigmoid",
            Activation::Tanh => "tanh",
            Activation::Softmax => "softmax",
        }
    }
}
