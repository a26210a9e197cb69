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
//! * `export` appends the layer's ONNX nodes through `onnx::GraphBuilder`, which
//!   takes Keras's layout and does the NHWC/NCHW bookkeeping.

mod activation;
mod conv2d;
mod dense;
mod dropout;
mod flatten;
mod max_pool2d;

pub use activation::{sigmoid, Activation, ActivationFn, ActivationLayer};
pub use conv2d::Conv2d;
pub use dense::Dense;
pub use dropout::Dropout;
pub use flatten::Flatten;
pub use max_pool2d::{MaxPool2d, PoolWindows};

use onnx::GraphBuilder;
use rand_chacha::ChaCha8Rng;

use crate::engine::tensor::Tensor;

pub use params::Padding;

/// Output length and padding before the first element along one axis, Keras/TensorFlow rule:
/// `valid`: `floor((in − k)/s) + 1`, no padding (so a 7-wide input pooled by 2 gives 3);
/// `same`: `ceil(in/s)`, total padding `max((out−1)·s + k − in, 0)` of which the smaller half
/// goes before (top/left) and the extra one after (bottom/right) — what matters for even kernels.
/// One rule for training and export: [`Padding::window`].
pub fn output_len(
    input: usize,
    kernel: usize,
    stride: usize,
    padding: Padding,
) -> Option<(usize, usize)> {
    padding.window(input, kernel, stride).map(|(out, before, _after)| (out, before))
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
    /// Takes the weights [`Layer::export`] wrote (one initializer per parameter, in
    /// [`Layer::params`] order) back, for a warm start. The default copies each as
    /// stored; a layer whose export changes the layout undoes it.
    fn import(&mut self, tensors: &[onnx::Initializer]) -> Result<(), String> {
        for ((param, _), t) in self.params_and_grads().into_iter().zip(tensors) {
            copy_weights(param, t)?;
        }
        Ok(())
    }
}

/// Copies an initializer into a parameter of the same length.
pub(crate) fn copy_weights(param: &mut [f32], t: &onnx::Initializer) -> Result<(), String> {
    if param.len() != t.values.len() {
        return Err(format!(
            "`{}` holds {} values ({:?}) where this model has {}",
            t.name,
            thousands(t.values.len()),
            t.dims,
            thousands(param.len())
        ));
    }
    param.copy_from_slice(&t.values);
    Ok(())
}

/// A count with thousands separators (`formats::thousands`), for `usize` counts.
pub fn thousands(n: usize) -> String {
    formats::thousands(n as i64)
}

/// Glorot (Xavier) uniform initialisation, Keras's default kernel initializer:
/// U(−l, l) with l = √(6 / (fan_in + fan_out)).
pub fn glorot_uniform(n: usize, fan_in: usize, fan_out: usize, rng: &mut ChaCha8Rng) -> Vec<f32> {
    use rand::Rng;
    let limit = (6.0 / (fan_in + fan_out) as f64).sqrt() as f32;
    (0..n).map(|_| rng.random_range(-limit..limit)).collect()
}

/// Finite-difference gradient checks shared by the layers' tests (and the model's).
#[cfg(test)]
pub(crate) mod gradcheck {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// Random values in [lo, hi).
    pub fn random(n: usize, lo: f32, hi: f32, seed: u64) -> Vec<f32> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        (0..n).map(|_| rng.random_range(lo..hi)).collect()
    }

    /// Central-difference step.
    pub const EPS: f32 = 1e-2;

    fn run(layer: &mut dyn Layer, x: &Tensor, training: bool) -> Tensor {
        // The same dropout mask on every call: a fresh stream with a fixed seed.
        let mut rng = ChaCha8Rng::seed_from_u64(99);
        let mut ctx = Ctx { training, rng: &mut rng };
        layer.forward(x.clone(), &mut ctx, true)
    }

    /// `|numerical − analytical| ≤ 2e-3 + 2 % of the larger`.
    pub fn close(num: f64, ana: f64, what: &str) {
        let tol = 2e-3 + 2e-2 * num.abs().max(ana.abs());
        assert!((num - ana).abs() <= tol, "{what}: numerical {num} vs analytical {ana}");
    }

    /// The outputs a ReLU cuts to zero; empty for other layers.
    fn kinks(activation: Option<Activation>, out: &Tensor) -> Vec<bool> {
        match activation {
            Some(Activation::Relu) => out.data.iter().map(|v| *v <= 0.0).collect(),
            _ => Vec::new(),
        }
    }

    /// Counts the coordinates a check compared and those it skipped because a step crossed
    /// a kink, and fails when skipping took more than a quarter of them (or left none).
    #[derive(Default)]
    pub struct Probes {
        pub compared: usize,
        pub skipped: usize,
    }

    impl Probes {
        pub fn count(&mut self, compared: bool) {
            match compared {
                true => self.compared += 1,
                false => self.skipped += 1,
            }
        }

        pub fn finish(self, what: &str) {
            assert!(
                self.compared > 0 && self.skipped * 3 <= self.compared,
                "{what}: {} coordinates compared, {} skipped at kinks",
                self.compared,
                self.skipped
            );
        }
    }

    /// Checks dL/dx and dL/dθ of `L = Σ r ⊙ layer(x)` against finite differences, at about
    /// 40 coordinates of the input and of each parameter.
    ///
    /// Central differences, except across ReLU's kink: with a fused ReLU each output is
    /// relu(z) with z affine in any one input or weight, so it is linear on either side of
    /// z = 0. An output whose z changes sign under one of the two steps takes the one-sided
    /// difference of the other step, which is its exact derivative; only a coordinate whose
    /// two steps both cross (none expected) is skipped.
    pub fn check(layer: &mut dyn Layer, x: Tensor, training: bool) {
        let name = layer.type_name();
        let activation = layer.activation();
        let out = run(layer, &x, training);
        let base = kinks(activation, &out);
        assert!(
            base.is_empty() || (base.contains(&true) && base.contains(&false)),
            "{name}: every ReLU output on one side of the kink"
        );
        let r = random(out.data.len(), -1.0, 1.0, 5);
        let dx = layer
            .backward(Tensor::new(out.shape.clone(), r.clone()), true)
            .expect("input gradient");
        assert_eq!(dx.shape, x.shape);
        let param_grads: Vec<Vec<f32>> =
            layer.params_and_grads().into_iter().map(|(_, g)| g.to_vec()).collect();
        let mut probes = Probes::default();
        let mut compare = |plus: Tensor, minus: Tensor, ana: f32, what: String| {
            let (plus_kinks, minus_kinks) = (kinks(activation, &plus), kinks(activation, &minus));
            let mut num = 0.0f64;
            for j in 0..out.data.len() {
                let (o, p, m) = (out.data[j] as f64, plus.data[j] as f64, minus.data[j] as f64);
                let crossed = |k: &[bool]| !base.is_empty() && k[j] != base[j];
                let slope = match (crossed(&plus_kinks), crossed(&minus_kinks)) {
                    (false, false) => (p - m) / (2.0 * EPS as f64),
                    (true, false) => (o - m) / EPS as f64,
                    (false, true) => (p - o) / EPS as f64,
                    (true, true) => return probes.count(false),
                };
                num += r[j] as f64 * slope;
            }
            probes.count(true);
            close(num, ana as f64, &what);
        };
        let step = (x.data.len() / 40).max(1);
        for i in (0..x.data.len()).step_by(step) {
            let mut plus = x.clone();
            plus.data[i] += EPS;
            let mut minus = x.clone();
            minus.data[i] -= EPS;
            let (plus, minus) = (run(layer, &plus, training), run(layer, &minus, training));
            compare(plus, minus, dx.data[i], format!("{name} input {i}"));
        }
        for (p, grads) in param_grads.iter().enumerate() {
            let step = (grads.len() / 40).max(1);
            for i in (0..grads.len()).step_by(step) {
                layer.params_and_grads()[p].0[i] += EPS;
                let plus = run(layer, &x, training);
                layer.params_and_grads()[p].0[i] -= 2.0 * EPS;
                let minus = run(layer, &x, training);
                layer.params_and_grads()[p].0[i] += EPS;
                compare(plus, minus, grads[i], format!("{name} parameter {p}[{i}]"));
            }
        }
        probes.finish(name);
    }
}
