//! Building a model from the spec's layer list, each layer from the previous one's
//! output shape, and checking that the last layer fits the loss and the classes.

use formats::DatasetKind;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::stack::{fuse_pools, ModelLayer};
use super::Model;
use crate::error::{fail, Result};
use crate::layers::{Activation, ActivationLayer, Conv2d, Dense, Dropout, Flatten, MaxPool2d};
use crate::loss::Loss;
use crate::profile::{LayerClock, LoopClock};
use crate::spec::LayerSpec;

/// A shape as the messages print it: `[28, 28, 1]`.
fn shape_str(s: &[usize]) -> String {
    format!("[{}]", s.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(", "))
}

impl Model {
    /// Builds the layers in order, each from the previous one's output shape;
    /// kernels are Glorot-uniform from a stream seeded with `seed`.
    pub(crate) fn build(
        specs: &[LayerSpec],
        input_kind: DatasetKind,
        input_shape: &[usize],
        seed: u64,
    ) -> Result<Model> {
        let mut model = Self::build_unfused(specs, input_kind, input_shape, seed)?;
        fuse_pools(&mut model.layers);
        Ok(model)
    }

    /// The model with every layer doing its own work (the fused model's reference).
    pub(crate) fn build_unfused(
        specs: &[LayerSpec],
        input_kind: DatasetKind,
        input_shape: &[usize],
        seed: u64,
    ) -> Result<Model> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut shape = input_shape.to_vec();
        let mut layers = Vec::new();
        for (i, spec) in specs.iter().enumerate() {
            let what = format!("layer {} ({})", i + 1, spec.type_str());
            let image = |shape: &[usize]| -> Result<[usize; 3]> {
                match shape {
                    [h, w, c] => Ok([*h, *w, *c]),
                    _ => fail!(
                        Model,
                        "{what} needs an image input [H, W, C]; it gets {}",
                        shape_str(shape)
                    ),
                }
            };
            let layer = match spec {
                LayerSpec::Flatten {} => ModelLayer::Other(Box::new(Flatten::new(&shape))),
                LayerSpec::Dense { units, activation } => {
                    if shape.len() != 1 {
                        fail!(Model, "{what} needs a flat input; it gets {} — add a `flatten` layer before it", shape_str(&shape));
                    }
                    ModelLayer::Dense(Box::new(Dense::new(shape[0], *units, *activation, &mut rng)))
                }
                LayerSpec::Conv2d { filters, kernel_size, strides, padding, activation } => {
                    let input = image(&shape)?;
                    let (k, s) = (*kernel_size, *strides);
                    match Conv2d::new(input, *filters, k, s, *padding, *activation, &mut rng) {
                        Some(c) => ModelLayer::Conv2d(Box::new(c)),
                        None => fail!(Model, "{what}: a {}×{} kernel does not fit the {}×{} input with padding \"valid\"", k.rows, k.cols, input[0], input[1]),
                    }
                }
                LayerSpec::MaxPool2d { pool_size, strides, padding } => {
                    let input = image(&shape)?;
                    let (p, s) = (*pool_size, strides.unwrap_or(*pool_size));
                    match MaxPool2d::new(input, p, s, *padding) {
                        Some(m) => ModelLayer::MaxPool2d(Box::new(m)),
                        None => fail!(Model, "{what}: a {}×{} pool does not fit the {}×{} input with padding \"valid\"", p.rows, p.cols, input[0], input[1]),
                    }
                }
                LayerSpec::Dropout { rate } => {
                    ModelLayer::Other(Box::new(Dropout::new(*rate as f32, &shape)))
                }
                LayerSpec::Activation { activation } => {
                    ModelLayer::Other(Box::new(ActivationLayer::new(*activation, &shape)))
                }
            };
            if layer.activation() == Some(Activation::Softmax) && layer.output_shape().len() != 1 {
                // Images are channel-planar inside the engine; softmax runs along a flat last axis.
                fail!(Model, "{what}: softmax over the channels of an image {} is not supported — add a `flatten` layer before it", shape_str(&layer.output_shape()));
            }
            shape = layer.output_shape();
            layers.push(layer);
        }
        Ok(Model {
            input_kind,
            input_shape: input_shape.to_vec(),
            names: params::keras_names::layer_names(specs),
            clocks: vec![LayerClock::default(); layers.len()],
            loop_clock: LoopClock::default(),
            layers,
        })
    }

    /// Checks that the output fits the loss and the number of classes.
    pub(crate) fn check_output(&self, loss: Loss, classes: usize) -> Result<()> {
        let out = self.output_shape();
        let last = self.layers.last().unwrap();
        let want = loss.output_activation();
        if last.activation() != Some(want) {
            fail!(
                Model,
                "loss {} needs the last layer to end with activation \"{}\", but layer {} ({}) has {}",
                loss.name(),
                want.name(),
                self.layers.len(),
                last.type_name(),
                last.activation().map(|a| format!("\"{}\"", a.name())).unwrap_or_else(|| "none".into())
            );
        }
        match loss {
            Loss::CategoricalCrossentropy if out != [classes] => fail!(
                Model,
                "the model outputs {} but the data has {classes} classes; the last layer needs units = {classes}",
                shape_str(&out)
            ),
            Loss::BinaryCrossentropy if out != [1] || classes != 2 => fail!(
                Model,
                "binary_crossentropy needs 2 classes and a last layer with units = 1; the data has {classes} classes and the model outputs {}",
                shape_str(&out)
            ),
            _ => Ok(()),
        }
    }
}
