//! The losses a model spec can name, with Keras's names and formulas.

use serde::{Deserialize, Serialize};

use crate::Activation;

/// `loss = "categorical_crossentropy"` or `"binary_crossentropy"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Loss {
    /// `categorical_crossentropy`: one-hot classes over a softmax output of one unit per class.
    CategoricalCrossentropy,
    /// `binary_crossentropy`: two classes (label 0 or 1) over one sigmoid output unit.
    BinaryCrossentropy,
}

impl Loss {
    /// Its Keras name (`"categorical_crossentropy"`), as written in a spec and in `summary.json`.
    pub fn name(self) -> &'static str {
        match self {
            Loss::CategoricalCrossentropy => "categorical_crossentropy",
            Loss::BinaryCrossentropy => "binary_crossentropy",
        }
    }

    /// The formula, as `summary.json` and the report print it.
    pub fn equation(self) -> &'static str {
        match self {
            Loss::CategoricalCrossentropy => {
                "L = −(1/N) Σᵢ wᵢ Σₖ yᵢₖ log pᵢₖ, p = softmax(z) (computed as logsumexp(z) − z_y)"
            }
            Loss::BinaryCrossentropy => {
                "L = −(1/N) Σᵢ wᵢ [yᵢ log pᵢ + (1 − yᵢ) log(1 − pᵢ)], p = σ(z) (computed as max(z,0) − z·y + log(1 + e^−|z|))"
            }
        }
    }

    /// The activation the last layer must end with.
    pub fn output_activation(self) -> Activation {
        match self {
            Loss::CategoricalCrossentropy => Activation::Softmax,
            Loss::BinaryCrossentropy => Activation::Sigmoid,
        }
    }
}
