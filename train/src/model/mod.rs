//! A sequential model built from the spec's layer list: the layers in order, their
//! Keras names, and the clocks the profile reads.
//!
//! `build.rs` makes the layers from the spec (and runs each max-pool it can inside the
//! convolution before it), `stack.rs` is the list the model keeps them in, `weights.rs`
//! copies weights in and out (`--init-from`, restore-best-weights).

use std::time::Instant;

use formats::DatasetKind;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::engine::tensor::Tensor;
use crate::layers::Ctx;
use crate::profile::{LayerClock, LoopClock, Profile};

mod build;
mod stack;
mod weights;

pub(crate) use stack::ModelLayer;

/// Public for [`crate::Trained`]: callers run [`Model::predict`] and read the weights;
/// building, training and export stay inside the crate.
pub struct Model {
    /// What the model reads: uint8 images (scaled to [0,1] inside) or float features.
    pub input_kind: DatasetKind,
    /// One sample: `[H, W, C]` or `[D]`.
    pub input_shape: Vec<usize>,
    pub(crate) layers: Vec<ModelLayer>,
    /// Keras-style names (`dense_1`, ...), one per layer.
    pub(crate) names: Vec<String>,
    /// Time per layer, for the profile.
    pub(crate) clocks: Vec<LayerClock>,
    /// Time between the layers, kept by the training loop.
    pub(crate) loop_clock: LoopClock,
}

impl Model {
    /// One sample's output shape.
    pub fn output_shape(&self) -> Vec<usize> {
        self.layers.last().map(|l| l.output_shape()).unwrap_or_else(|| self.input_shape.clone())
    }

    /// Runs every layer; with `final_activation = false` the last layer returns its logits.
    pub(crate) fn forward(
        &mut self,
        mut x: Tensor,
        ctx: &mut Ctx,
        final_activation: bool,
    ) -> Tensor {
        let last = self.layers.len() - 1;
        let samples = x.batch() as u64;
        for (i, (layer, clock)) in self.layers.iter_mut().zip(&mut self.clocks).enumerate() {
            let start = Instant::now();
            x = layer.forward(x, ctx, final_activation || i != last);
            if ctx.training {
                clock.forward_train += start.elapsed();
                clock.train_samples += samples;
            } else {
                clock.forward_infer += start.elapsed();
                clock.infer_samples += samples;
            }
        }
        x
    }

    /// Backpropagates dL/d(output of the last forward); fills every layer's gradients
    /// and returns dL/d(input) when `need_input_grad`.
    pub(crate) fn backward(&mut self, mut grad: Tensor, need_input_grad: bool) -> Option<Tensor> {
        let samples = grad.batch() as u64;
        // Below the first layer with weights nothing needs a gradient (an MLP's Flatten):
        // that layer computes no dL/dx, and the pass stops there.
        let first_trained = self.layers.iter().position(|l| l.param_count() > 0).unwrap_or(0);
        for i in (0..self.layers.len()).rev() {
            let start = Instant::now();
            let input_grad = i > first_trained || need_input_grad;
            let result = self.layers[i].backward(grad, input_grad);
            let clock = &mut self.clocks[i];
            clock.backward += start.elapsed();
            if input_grad {
                clock.input_grad_samples += samples;
            }
            if let Some(split) = self.layers[i].take_backward_split() {
                *clock.split.get_or_insert_default() += split;
            }
            grad = result?;
        }
        need_input_grad.then_some(grad)
    }

    /// Probabilities for a batch (inference: no dropout). `x`: features `[N, D]`, or images
    /// scaled to [0, 1] and channel-planar, `[N, C, H, W]`; the result is `[N, classes]`.
    pub fn predict(&mut self, x: Tensor) -> Tensor {
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        self.forward(x, &mut Ctx { training: false, rng: &mut rng }, true)
    }

    /// Every parameter with its gradient from the last backward, layer by layer.
    pub(crate) fn params_and_grads(&mut self) -> Vec<(&mut [f32], &[f32])> {
        self.layers.iter_mut().flat_map(|l| l.params_and_grads()).collect()
    }

    /// Where the time of the forward and backward passes so far went, layer by layer.
    pub fn profile(&self, fit_s: f64) -> Profile {
        let layers = (self.layers.iter().zip(&self.clocks).zip(&self.names))
            .map(|((l, c), name)| {
                (name.clone(), l.type_name().to_string(), l.multiply_adds(), c.clone())
            })
            .collect();
        Profile::new(rayon::current_num_threads(), layers, self.loop_clock.clone(), fit_s)
    }

    /// The number of weights of every layer together.
    pub fn param_count(&self) -> usize {
        self.layers.iter().map(|l| l.param_count()).sum()
    }
}

#[cfg(test)]
mod tests;
