//! The layers, one file each, behind one trait so a model is a list of them
//! built from the spec (layers are data, not code).
//!
//! Conventions shared by every layer:
//! * tensors are `[N, ...]`, images channel-planar `[N, C, H, W]` in memory (see
//!   `engine/tensor.rs`) while `output_shape` reports Keras's `[H, W, C]`;
//! * weights are stored in Keras's layout (dense kernel `[in, out]`, conv kernel
//!   `[kh, kw, c_in, c_out]`, row-major) so export and comparison are direct;
//! * `forward` keeps what `backward` needs (its input, its output) when training;
//! * `backward` receives dL/d(output) and **overwrites** the parameter gradients
//!   with dL/d(parameters) for this batch, returning dL/d(input) when asked;
//! * `apply_activation = false` makes a layer stop at its pre-activation `z`
//!   (the logits): the losses fuse softmax/sigmoid with the cross-entropy, and
//!   the backward pass of that call then treats the activation as identity;
//! * `export` appends the layer's ONNX nodes through `common::onnx::GraphBuilder`, which
//!   takes Keras's layout and does the NHWC/NCHW bookkeeping.

mod activation;
mod conv2d;
mod dense;
mod dropout;
mod flatten;
mod max_pool2d;

pub use activation::{sigmoid, Activation, ActivationLayer};
pub use conv2d::Conv2d;
pub use dense::Dense;
pub use dropout::Dropout;
pub use flatten::Flatten;
pub use max_pool2d::MaxPool2d;

use common::onnx::GraphBuilder;
use rand_chacha::ChaCha8Rng;

use crate::engine::tensor::Tensor;

/// Keras padding modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Padding {
    Same,
    #[default]
    Valid,
}

/// The same mode in the ONNX builder's terms, so trainer and exported graph share one rule.
impl From<Padding> for common::onnx::Padding {
    fn from(p: Padding) -> Self {
        match p {
            Padding::Same => common::onnx::Padding::Same,
            Padding::Valid => common::onnx::Padding::Valid,
        }
    }
}

/// Output length and padding before the first element along one axis, Keras/TensorFlow rule:
/// `valid`: `floor((in − k)/s) + 1`, no padding (so a 7-wide input pooled by 2 gives 3);
/// `same`: `ceil(in/s)`, total padding `max((out−1)·s + k − in, 0)` of which the smaller half
/// goes before (top/left) and the extra one after (bottom/right) — what matters for even kernels.
/// One rule for training and export: [`common::onnx::window_output`].
pub fn output_len(input: usize, kernel: usize, stride: usize, padding: Padding) -> Option<(usize, usize)> {
    common::onnx::window_output(input, kernel, stride, padding.into()).map(|(out, before, _after)| (out, before))
}

/// Per-call state: training or inference, and the random stream for dropout.
pub struct Ctx<'a> {
    pub training: bool,
    pub rng: &'a mut ChaCha8Rng,
}

/// One layer of a sequential model.
pub trait Layer: Send {
    /// Keras class name, e.g. `Dense`, `Conv2D`, `MaxPooling2D`.
    fn type_name(&self) -> &'static str;
    /// Keras's default name prefix, e.g. `dense`, `conv2d`, `max_pooling2d`.
    fn name_prefix(&self) -> &'static str;
    /// One sample's output shape (without the batch axis).
    fn output_shape(&self) -> Vec<usize>;
    /// The activation the layer applies last, if it has one.
    fn activation(&self) -> Option<Activation> {
        None
    }
    fn forward(&mut self, x: Tensor, ctx: &mut Ctx, apply_activation: bool) -> Tensor;
    /// `grad` = dL/d(output of the last forward). Returns dL/d(input) when `need_input_grad`.
    fn backward(&mut self, grad: Tensor, need_input_grad: bool) -> Option<Tensor>;
    /// Parameters (kernel then bias) with their gradients from the last backward.
    fn params_and_grads(&mut self) -> Vec<(&mut [f32], &[f32])> {
        Vec::new()
    }
    /// Parameters, read-only (kernel then bias).
    fn params(&self) -> Vec<&[f32]> {
        Vec::new()
    }
    fn param_count(&self) -> usize {
        self.params().iter().map(|p| p.len()).sum()
    }
    /// How the weight count comes about, in words, ending with `= count`.
    fn formula(&self) -> String {
        "no weights = 0".into()
    }
    /// Layer settings for the summary (units, kernel size, ...).
    fn config(&self) -> serde_json::Value;
    /// Appends the ONNX nodes this layer becomes (none for dropout) to `g`.
    fn export(&self, g: &mut GraphBuilder);
}

/// Formats a count with thousands separators, as the summaries print them.
pub fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Glorot (Xavier) uniform initialisation, Keras's default kernel initializer:
/// U(−l, l) with l = √(6 / (fan_in + fan_out)).
pub fn glorot_uniform(n: usize, fan_in: usize, fan_out: usize, rng: &mut ChaCha8Rng) -> Vec<f32> {
    use rand::Rng;
    let limit = (6.0 / (fan_in + fan_out) as f64).sqrt() as f32;
    (0..n).map(|_| rng.random_range(-limit..limit)).collect()
}

/// Finite-difference gradient checks shared by the layers' tests.
#[cfg(test)]
pub(crate) mod gradcheck {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// Random values in [lo, hi).
    pub fn random(n: usize, lo: f32, hi: f32, seed: u64) -> Vec<f32> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        (0..n).map(|_| rng.random_range(lo..hi)).collect()
    }

    fn run(layer: &mut dyn Layer, x: &Tensor, training: bool) -> Tensor {
        // The same dropout mask on every call: a fresh stream with a fixed seed.
        let mut rng = ChaCha8Rng::seed_from_u64(99);
        let mut ctx = Ctx { training, rng: &mut rng };
        layer.forward(x.clone(), &mut ctx, true)
    }

    fn objective(out: &Tensor, r: &[f32]) -> f64 {
        out.data.iter().zip(r).map(|(o, w)| *o as f64 * *w as f64).sum()
    }

    fn close(num: f64, ana: f64, what: &str) {
        let tol = 2e-3 + 2e-2 * num.abs().max(ana.abs());
        assert!((num - ana).abs() <= tol, "{what}: numerical {num} vs analytical {ana}");
    }

    /// Checks dL/dx and dL/dθ of `L = Σ r ⊙ layer(x)` against central differences.
    pub fn check(layer: &mut dyn Layer, x: Tensor, training: bool) {
        let out = run(layer, &x, training);
        let r = random(out.data.len(), -1.0, 1.0, 5);
        let dx = layer
            .backward(Tensor::new(out.shape.clone(), r.clone()), true)
            .expect("input gradient");
        assert_eq!(dx.shape, x.shape);
        let param_grads: Vec<Vec<f32>> = layer.params_and_grads().into_iter().map(|(_, g)| g.to_vec()).collect();
        let eps = 1e-2f32;
        let step = (x.data.len() / 40).max(1);
        for i in (0..x.data.len()).step_by(step) {
            let mut plus = x.clone();
            plus.data[i] += eps;
            let mut minus = x.clone();
            minus.data[i] -= eps;
            let num = (objective(&run(layer, &plus, training), &r) - objective(&run(layer, &minus, training), &r))
                / (2.0 * eps as f64);
            close(num, dx.data[i] as f64, &format!("{} input {i}", layer.type_name()));
        }
        for (p, grads) in param_grads.iter().enumerate() {
            let step = (grads.len() / 40).max(1);
            for i in (0..grads.len()).step_by(step) {
                layer.params_and_grads()[p].0[i] += eps;
                let plus = objective(&run(layer, &x, training), &r);
                layer.params_and_grads()[p].0[i] -= 2.0 * eps;
                let minus = objective(&run(layer, &x, training), &r);
                layer.params_and_grads()[p].0[i] += eps;
                let num = (plus - minus) / (2.0 * eps as f64);
                close(num, grads[i] as f64, &format!("{} parameter {p}[{i}]", layer.type_name()));
            }
        }
    }
}
