//! Keras's default layer names, the one rule `train`'s summary, the ONNX graph and the
//! pipeline report all name layers by: a layer type's prefix, `_`, and how many layers
//! of that prefix the model has up to and including this one (`dense_1`, `dense_2`,
//! `conv2d_1`, `max_pooling2d_1`).
//!
//! ```
//! use params::{keras_names::LayerNames, LayerSpec};
//!
//! let mut names = LayerNames::default();
//! assert_eq!(names.next("dense"), "dense_1");
//! assert_eq!(names.next("conv2d"), "conv2d_1");
//! assert_eq!(names.next("dense"), "dense_2");
//! let pool = LayerSpec::MaxPool2d { pool_size: params::Size2::square(2), strides: None, padding: Default::default() };
//! assert_eq!(pool.keras_prefix(), "max_pooling2d");
//! ```

use crate::LayerSpec;

/// Keras's name prefix of a spec's layer `type` (`max_pool2d` → `max_pooling2d`; the
/// other types are their own prefix).
pub fn keras_prefix(layer_type: &str) -> &str {
    match layer_type {
        "max_pool2d" => "max_pooling2d",
        other => other,
    }
}

/// Hands out names in model order, counting each prefix from 1.
#[derive(Debug, Clone, Default)]
pub struct LayerNames {
    counts: Vec<(String, usize)>,
}

impl LayerNames {
    /// The name of the next layer with this prefix.
    pub fn next(&mut self, prefix: &str) -> String {
        let n = match self.counts.iter_mut().find(|(p, _)| p == prefix) {
            Some((_, n)) => {
                *n += 1;
                *n
            }
            None => {
                self.counts.push((prefix.to_string(), 1));
                1
            }
        };
        format!("{prefix}_{n}")
    }
}

/// The names of a model's layers, from their spec.
pub fn layer_names(layers: &[LayerSpec]) -> Vec<String> {
    let mut names = LayerNames::default();
    layers.iter().map(|l| names.next(l.keras_prefix())).collect()
}

impl LayerSpec {
    /// Keras's default name prefix of this layer (`dense`, `conv2d`, `max_pooling2d`).
    pub fn keras_prefix(&self) -> &'static str {
        keras_prefix(self.type_str())
    }
}
