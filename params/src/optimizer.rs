//! The `[optimizer]` table of a model spec: Keras 3's optimizers with their defaults.
//! The update rules themselves live in `train`'s `optim.rs`.

use serde::{Deserialize, Serialize};

use crate::ParamError;

/// The `[optimizer]` table of the spec; omitted parameters take Keras's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "name", rename_all = "lowercase", deny_unknown_fields)]
pub enum OptimizerSpec {
    /// `name = "rmsprop"`: Keras `RMSprop` (the default optimizer).
    Rmsprop {
        /// Step size η, > 0 (Keras default 0.001).
        #[serde(default = "lr_001")]
        learning_rate: f64,
        /// Decay ρ of the running mean of g², in [0, 1) (Keras default 0.9).
        #[serde(default = "rho_default")]
        rho: f64,
        /// Momentum, in [0, 1) (Keras default 0); not with `centered`.
        #[serde(default)]
        momentum: f64,
        /// ε added under the square root, ≥ 0 (Keras default 1e-7).
        #[serde(default = "eps_default")]
        epsilon: f64,
        /// Divide by the variance of g (v − m²) instead of its mean square (Keras default false).
        #[serde(default)]
        centered: bool,
    },
    /// `name = "adam"`: Keras `Adam` (without amsgrad).
    Adam {
        /// Step size η, > 0 (Keras default 0.001).
        #[serde(default = "lr_001")]
        learning_rate: f64,
        /// Decay β₁ of the first moment, in [0, 1) (Keras default 0.9).
        #[serde(default = "beta1_default")]
        beta_1: f64,
        /// Decay β₂ of the second moment, in [0, 1) (Keras default 0.999).
        #[serde(default = "beta2_default")]
        beta_2: f64,
        /// ε added to √v, ≥ 0 (Keras default 1e-7).
        #[serde(default = "eps_default")]
        epsilon: f64,
    },
    /// `name = "sgd"`: Keras `SGD`, with optional (Nesterov) momentum.
    Sgd {
        /// Step size η, > 0 (Keras default 0.01).
        #[serde(default = "lr_01")]
        learning_rate: f64,
        /// Momentum μ, in [0, 1) (Keras default 0: plain gradient descent).
        #[serde(default)]
        momentum: f64,
        /// Use Nesterov momentum (Keras default false).
        #[serde(default)]
        nesterov: bool,
    },
}

fn lr_001() -> f64 {
    0.001
}
fn lr_01() -> f64 {
    0.01
}
fn rho_default() -> f64 {
    0.9
}
fn eps_default() -> f64 {
    1e-7
}
fn beta1_default() -> f64 {
    0.9
}
fn beta2_default() -> f64 {
    0.999
}

impl Default for OptimizerSpec {
    /// Keras `compile`'s default optimizer: `"rmsprop"`.
    fn default() -> Self {
        OptimizerSpec::Rmsprop {
            learning_rate: 0.001,
            rho: 0.9,
            momentum: 0.0,
            epsilon: 1e-7,
            centered: false,
        }
    }
}

impl OptimizerSpec {
    /// The optimizer with every parameter spelled out, for `summary.json`.
    pub fn describe(&self) -> serde_json::Value {
        use serde_json::json;
        match *self {
            OptimizerSpec::Rmsprop { learning_rate, rho, momentum, epsilon, centered } => json!({
                "name": "RMSprop", "learning_rate": learning_rate, "rho": rho, "momentum": momentum,
                "epsilon": epsilon, "centered": centered,
                "update": if centered { "v ← ρv + (1−ρ)g²; m ← ρm + (1−ρ)g; w ← w − η·g/√(v − m² + ε)" }
                          else { "v ← ρv + (1−ρ)g²; w ← w − η·g/√(v + ε)" },
            }),
            OptimizerSpec::Adam { learning_rate, beta_1, beta_2, epsilon } => json!({
                "name": "Adam", "learning_rate": learning_rate, "beta_1": beta_1, "beta_2": beta_2,
                "epsilon": epsilon, "amsgrad": false,
                "update": "m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²; w ← w − η·√(1−β₂ᵗ)/(1−β₁ᵗ)·m/(√v + ε)",
            }),
            OptimizerSpec::Sgd { learning_rate, momentum, nesterov } => json!({
                "name": "SGD", "learning_rate": learning_rate, "momentum": momentum, "nesterov": nesterov,
                "update": if momentum == 0.0 { "w ← w − η·g" } else if nesterov { "s ← μs − η·g; w ← w + μs − η·g" } else { "s ← μs − η·g; w ← w + s" },
            }),
        }
    }

    /// Rejects values Keras would reject or that cannot train (keys are relative to
    /// the `[optimizer]` table).
    pub fn validate(&self) -> Result<(), ParamError> {
        let check = |name: &str, v: f64, ok: bool| {
            if ok && v.is_finite() {
                Ok(())
            } else {
                Err(ParamError::new(name, format!("optimizer {name} = {v} is out of range")))
            }
        };
        match *self {
            OptimizerSpec::Rmsprop { learning_rate, rho, momentum, epsilon, centered } => {
                if centered && momentum > 0.0 {
                    return Err(ParamError::new(
                        "centered",
                        "optimizer: centered RMSprop with momentum > 0 is not supported",
                    ));
                }
                check("learning_rate", learning_rate, learning_rate > 0.0)?;
                check("rho", rho, (0.0..1.0).contains(&rho))?;
                check("momentum", momentum, (0.0..1.0).contains(&momentum))?;
                check("epsilon", epsilon, epsilon >= 0.0)
            }
            OptimizerSpec::Adam { learning_rate, beta_1, beta_2, epsilon } => {
                check("learning_rate", learning_rate, learning_rate > 0.0)?;
                check("beta_1", beta_1, (0.0..1.0).contains(&beta_1))?;
                check("beta_2", beta_2, (0.0..1.0).contains(&beta_2))?;
                check("epsilon", epsilon, epsilon >= 0.0)
            }
            OptimizerSpec::Sgd { learning_rate, momentum, .. } => {
                check("learning_rate", learning_rate, learning_rate > 0.0)?;
                check("momentum", momentum, (0.0..1.0).contains(&momentum))
            }
        }
    }
}
