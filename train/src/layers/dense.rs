//! `Dense` (fully connected), Keras `layers.Dense(units, activation)`.
//!
//! Shapes: input `[N, D]` → output `[N, U]`; kernel `W` `[D, U]` (Keras layout,
//! row-major), bias `b` `[U]`. Weights: D·U + U.
//!
//! Forward: z = x·W + b, a = act(z) (one GEMM, `N×D` by `D×U`).
//!
//! Backward, from g = dL/da: dz = act′(z)·g (see `activation.rs`), then
//! dW = xᵀ·dz, db = Σₙ dz, dx = dz·Wᵀ (two GEMMs).
//!
//! Init: W Glorot-uniform (fan_in D, fan_out U), b = 0, as Keras.

use std::time::Instant;

use rand_chacha::ChaCha8Rng;

use onnx::GraphBuilder;

use super::{glorot_uniform, thousands, Activation, ActivationFn, Ctx, Layer};
use crate::engine::gemm::{column_sums, gemm, gemm_at_b, Mat};
use crate::engine::tensor::Tensor;
use crate::profile::{BackwardSplit, MultiplyAdds, Products};

pub struct Dense {
    pub in_dim: usize,
    pub units: usize,
    pub activation: Activation,
    /// `[in_dim, units]`, row-major.
    pub kernel: Vec<f32>,
    pub bias: Vec<f32>,
    grad_kernel: Vec<f32>,
    grad_bias: Vec<f32>,
    input: Option<Tensor>,
    output: Option<Vec<f32>>,
    applied: bool,
    /// Time of the last backward's products, for the profile.
    split: Option<BackwardSplit>,
}

impl Dense {
    pub fn new(in_dim: usize, units: usize, activation: Activation, rng: &mut ChaCha8Rng) -> Self {
        Dense {
            in_dim,
            units,
            activation,
            kernel: glorot_uniform(in_dim * units, in_dim, units, rng),
            bias: vec![0.0; units],
            grad_kernel: vec![0.0; in_dim * units],
            grad_bias: vec![0.0; units],
            input: None,
            output: None,
            applied: true,
            split: None,
        }
    }
}

impl Layer for Dense {
    fn type_name(&self) -> &'static str {
        "Dense"
    }
    fn output_shape(&self) -> Vec<usize> {
        vec![self.units]
    }
    fn activation(&self) -> Option<Activation> {
        Some(self.activation)
    }

    fn forward(&mut self, x: Tensor, ctx: &mut Ctx, apply_activation: bool) -> Tensor {
        let n = x.batch();
        assert_eq!(x.sample_len(), self.in_dim, "Dense expects {} inputs", self.in_dim);
        let mut out = vec![0.0f32; n * self.units];
        for row in out.chunks_exact_mut(self.units) {
            row.iter_mut().zip(&self.bias).for_each(|(o, b)| *o = *b);
        }
        gemm(
            Mat::rows(&x.data, n, self.in_dim),
            Mat::rows(&self.kernel, self.in_dim, self.units),
            true,
            &mut out,
        );
        self.applied = apply_activation;
        if apply_activation {
            self.activation.apply(&mut out, self.units);
        }
        if ctx.training {
            self.output = (apply_activation && self.activation.needs_output()).then(|| out.clone());
            self.input = Some(x);
        }
        Tensor::new(vec![n, self.units], out)
    }

    fn backward(&mut self, mut grad: Tensor, need_input_grad: bool) -> Option<Tensor> {
        let start = Instant::now();
        let x = self.input.as_ref().expect("backward without a training forward");
        let n = x.batch();
        if self.applied && self.activation.needs_output() {
            self.activation.backward(self.output.as_ref().unwrap(), &mut grad.data, self.units);
        }
        let dz = Mat::rows(&grad.data, n, self.units);
        let t = Instant::now();
        gemm_at_b(Mat::rows(&x.data, n, self.in_dim), dz, &mut self.grad_kernel);
        let weights = t.elapsed();
        column_sums(&grad.data, self.units, &mut self.grad_bias);
        let t = Instant::now();
        let dx = need_input_grad.then(|| {
            let mut dx = vec![0.0; n * self.in_dim];
            gemm(dz, Mat::rows(&self.kernel, self.in_dim, self.units).t(), false, &mut dx);
            Tensor::new(x.shape.clone(), dx)
        });
        self.split = Some(BackwardSplit { data: t.elapsed(), weights, total: start.elapsed() });
        dx
    }

    fn params_and_grads(&mut self) -> Vec<(&mut [f32], &[f32])> {
        vec![(&mut self.kernel, &self.grad_kernel), (&mut self.bias, &self.grad_bias)]
    }
    fn params(&self) -> Vec<&[f32]> {
        vec![&self.kernel, &self.bias]
    }

    fn formula(&self) -> String {
        format!(
            "{} inputs × {} units + {} biases = {}",
            thousands(self.in_dim),
            thousands(self.units),
            thousands(self.units),
            thousands(self.in_dim * self.units + self.units)
        )
    }

    fn config(&self) -> serde_json::Value {
        serde_json::json!({ "units": self.units, "activation": self.activation.name() })
    }

    /// `Gemm` (`MatMul` + `Add` on an image tensor), then the activation's node (none for linear).
    fn export(&self, g: &mut GraphBuilder) {
        g.dense(&self.kernel, &self.bias, self.in_dim, self.units);
        g.activation(self.activation);
    }
}

impl Products for Dense {
    fn multiply_adds(&self) -> MultiplyAdds {
        let m = (self.in_dim * self.units) as u64;
        MultiplyAdds { forward: m, backward_data: m, backward_weights: m }
    }
    fn take_backward_split(&mut self) -> Option<BackwardSplit> {
        self.split.take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::gradcheck::{check, random};
    use rand::SeedableRng;

    #[test]
    fn forward_is_x_times_kernel_plus_bias() {
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let mut d = Dense::new(2, 3, Activation::Linear, &mut rng);
        d.kernel = vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        d.bias = vec![0.5, 0.0, -1.0];
        let mut ctx = Ctx { training: false, rng: &mut rng };
        let y = d.forward(Tensor::new(vec![1, 2], vec![1.0, -1.0]), &mut ctx, true);
        assert_eq!(y.data, [1.0 - 4.0 + 0.5, 2.0 - 5.0, 3.0 - 6.0 - 1.0]);
        assert_eq!(d.param_count(), 9);
        assert_eq!(d.formula(), "2 inputs × 3 units + 3 biases = 9");
    }

    #[test]
    fn glorot_uniform_limit_and_zero_bias() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let d = Dense::new(784, 30, Activation::Relu, &mut rng);
        let limit = (6.0f32 / 814.0).sqrt();
        assert!(d.kernel.iter().all(|w| w.abs() <= limit));
        assert!(d.kernel.iter().any(|w| w.abs() > 0.9 * limit));
        assert!(d.bias.iter().all(|b| *b == 0.0));
        assert_eq!(d.param_count(), 23_550);
    }

    #[test]
    fn gradient_check() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        for act in [Activation::Linear, Activation::Tanh, Activation::Softmax, Activation::Sigmoid]
        {
            let mut d = Dense::new(5, 4, act, &mut rng);
            d.bias = random(4, -0.5, 0.5, 3);
            check(&mut d, Tensor::new(vec![3, 5], random(15, -1.0, 1.0, 4)), true);
        }
    }

    #[test]
    fn gradient_check_with_fused_relu() {
        // ReLU inside the layer: backward masks dz by the kept output (check asserts that
        // some units are cut and some pass, and skips steps that cross the kink).
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let mut d = Dense::new(6, 5, Activation::Relu, &mut rng);
        d.bias = random(5, -0.5, 0.5, 6);
        check(&mut d, Tensor::new(vec![4, 6], random(24, -1.0, 1.0, 7)), true);
    }
}
