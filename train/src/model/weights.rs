//! A model's weights in and out: a warm start from an exported `model.onnx`, the
//! non-finite check, and the copies restore-best-weights keeps.

use super::Model;
use crate::error::{fail, Error, ErrorKind, Result};

impl Model {
    /// Replaces the weights with those of `onnx_bytes`, a model `train` exported from
    /// the same layers (`train --init-from`): a warm start for fine-tuning, resuming,
    /// or reproducing a run from given initial weights. Optimizer state starts fresh.
    pub(crate) fn load_weights(&mut self, onnx_bytes: &[u8], what: &str) -> Result<()> {
        let tensors: Vec<onnx::Initializer> = onnx::read_initializers(onnx_bytes)
            .map_err(|e| Error::new(ErrorKind::Weights, format!("{what}: {e}")))?
            .into_iter()
            // The image input's 1/255 divisor is the graph's, not a layer's.
            .filter(|t| !t.name.starts_with("scale/"))
            .collect();
        let mut rest = tensors.as_slice();
        for (i, layer) in self.layers.iter_mut().enumerate() {
            let k = layer.params().len();
            if rest.len() < k {
                fail!(
                    Weights,
                    "{what} has fewer weight tensors than this model: none left for layer {} ({})",
                    i + 1,
                    layer.type_name()
                );
            }
            layer.import(&rest[..k]).map_err(|e| {
                Error::new(
                    ErrorKind::Weights,
                    format!(
                        "{what} does not fit this model at layer {} ({}): {e}",
                        i + 1,
                        layer.type_name()
                    ),
                )
            })?;
            rest = &rest[k..];
        }
        if let Some(extra) = rest.first() {
            fail!(
                Weights,
                "{what} has more weight tensors than this model (`{}` is left over)",
                extra.name
            );
        }
        if let Some((layer, tensor, value)) = self.first_non_finite_weight() {
            fail!(Weights, "{what} holds {value} in weight tensor {tensor} of layer {layer}; a model with NaN or infinite weights cannot be trained");
        }
        Ok(())
    }

    /// The first weight that is NaN or infinite: its layer's name (`dense_1`), the
    /// tensor's index within the layer and the value.
    pub(crate) fn first_non_finite_weight(&self) -> Option<(String, usize, f32)> {
        self.layers.iter().zip(&self.names).find_map(|(layer, name)| {
            layer
                .params()
                .iter()
                .enumerate()
                .find_map(|(t, p)| p.iter().find(|v| !v.is_finite()).map(|&v| (name.clone(), t, v)))
        })
    }

    /// A copy of every parameter tensor (for restore-best-weights).
    pub fn weights(&self) -> Vec<Vec<f32>> {
        self.layers.iter().flat_map(|l| l.params()).map(|p| p.to_vec()).collect()
    }

    /// Puts back weights [`Model::weights`] copied.
    pub(crate) fn set_weights(&mut self, weights: &[Vec<f32>]) {
        for ((p, _), w) in self.params_and_grads().into_iter().zip(weights) {
            p.copy_from_slice(w);
        }
    }
}
