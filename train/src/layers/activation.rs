//! Activations, used inside `Dense`/`Conv2D` (`activation = "relu"`) and as a
//! standalone `Activation` layer.
//!
//! Shapes: any `[N, ...]` → the same shape. Softmax works over the last axis.
//!
//! Forward, element-wise on `z`:
//! * `linear`: a = z; `relu`: a = max(z, 0); `sigmoid`: a = 1/(1+e^(−z));
//!   `tanh`: a = tanh z; `softmax`: aₖ = e^(zₖ−m) / Σⱼ e^(zⱼ−m), m = maxⱼ zⱼ (stable).
//!
//! Backward, from the output `a` and g = dL/da:
//! * `linear`: g; `relu`: g·[a > 0]; `sigmoid`: g·a(1−a); `tanh`: g·(1−a²);
//!   `softmax`: aₖ·(gₖ − Σⱼ gⱼaⱼ).
//!
//! `exp` and `tanh` are the `libm` crate's (pure Rust), not the platform's, so a model
//! trains to the same bits on every operating system and CPU.
//!
//! The softmax and sigmoid that end a classifier are normally fused with the loss
//! instead (see `loss.rs`), which is both exact and stable.

use onnx::{self, GraphBuilder};

use super::{Ctx, Layer};
use crate::engine::tensor::Tensor;

pub use params::Activation;

/// The arithmetic of an [`Activation`] (its name and serde form are `params`'s).
pub trait ActivationFn: Copy {
    /// Applies the activation in place; `width` = size of the last axis (softmax rows).
    fn apply(self, data: &mut [f32], width: usize);
    /// Turns `grad` = dL/da into dL/dz in place, given the activation's output `a`.
    fn backward(self, output: &[f32], grad: &mut [f32], width: usize);
    /// Whether backward needs the output kept from forward.
    fn needs_output(self) -> bool;
}

impl ActivationFn for Activation {
    fn apply(self, data: &mut [f32], width: usize) {
        match self {
            Activation::Linear => {}
            Activation::Relu => data.iter_mut().for_each(|v| *v = v.max(0.0)),
            Activation::Sigmoid => data.iter_mut().for_each(|v| *v = sigmoid(*v)),
            Activation::Tanh => data.iter_mut().for_each(|v| *v = libm::tanhf(*v)),
            Activation::Softmax => data.chunks_exact_mut(width).for_each(softmax_in_place),
        }
    }

    fn backward(self, output: &[f32], grad: &mut [f32], width: usize) {
        match self {
            Activation::Linear => {}
            Activation::Relu => grad.iter_mut().zip(output).for_each(|(g, a)| {
                if *a <= 0.0 {
                    *g = 0.0
                }
            }),
            Activation::Sigmoid => {
                grad.iter_mut().zip(output).for_each(|(g, a)| *g *= a * (1.0 - a))
            }
            Activation::Tanh => grad.iter_mut().zip(output).for_each(|(g, a)| *g *= 1.0 - a * a),
            Activation::Softmax => {
                for (g, a) in grad.chunks_exact_mut(width).zip(output.chunks_exact(width)) {
                    let dot: f32 = g.iter().zip(a).map(|(g, a)| g * a).sum();
                    g.iter_mut().zip(a).for_each(|(g, a)| *g = a * (*g - dot));
                }
            }
        }
    }

    fn needs_output(self) -> bool {
        self != Activation::Linear
    }
}

/// The logistic function, written so that neither branch overflows.
pub fn sigmoid(z: f32) -> f32 {
    if z >= 0.0 {
        1.0 / (1.0 + libm::expf(-z))
    } else {
        let e = libm::expf(z);
        e / (1.0 + e)
    }
}

/// Softmax of one row, shifted by its maximum so exp never overflows.
pub fn softmax_in_place(row: &mut [f32]) {
    let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0f32;
    row.iter_mut().for_each(|v| {
        *v = libm::expf(*v - max);
        sum += *v;
    });
    row.iter_mut().for_each(|v| *v /= sum);
}

/// A standalone `Activation` layer (Keras `layers.Activation`).
pub struct ActivationLayer {
    pub activation: Activation,
    shape: Vec<usize>,
    output: Option<Tensor>,
    applied: bool,
}

impl ActivationLayer {
    pub fn new(activation: Activation, input_shape: &[usize]) -> Self {
        ActivationLayer { activation, shape: input_shape.to_vec(), output: None, applied: true }
    }
}

impl Layer for ActivationLayer {
    fn type_name(&self) -> &'static str {
        "Activation"
    }
    fn output_shape(&self) -> Vec<usize> {
        self.shape.clone()
    }
    fn activation(&self) -> Option<Activation> {
        Some(self.activation)
    }

    fn forward(&mut self, mut x: Tensor, ctx: &mut Ctx, apply_activation: bool) -> Tensor {
        self.applied = apply_activation;
        if apply_activation {
            let width = x.last_dim();
            self.activation.apply(&mut x.data, width);
        }
        self.output =
            (ctx.training && apply_activation && self.activation.needs_output()).then(|| x.clone());
        x
    }

    fn backward(&mut self, mut grad: Tensor, need_input_grad: bool) -> Option<Tensor> {
        if self.applied && self.activation.needs_output() {
            let out = self.output.as_ref().expect("backward without a training forward");
            let width = grad.last_dim();
            self.activation.backward(&out.data, &mut grad.data, width);
        }
        need_input_grad.then_some(grad)
    }

    fn config(&self) -> serde_json::Value {
        serde_json::json!({ "activation": self.activation.name() })
    }

    /// The activation's node (none for linear).
    fn export(&self, g: &mut GraphBuilder) {
        g.activation(self.activation);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::gradcheck::{check, random};

    #[test]
    fn forward_values() {
        let mut v = vec![-1.0, 0.0, 2.0];
        Activation::Relu.apply(&mut v, 3);
        assert_eq!(v, [0.0, 0.0, 2.0]);
        let mut v = vec![1000.0, 1000.0, -1000.0];
        Activation::Softmax.apply(&mut v, 3);
        assert_eq!(v, [0.5, 0.5, 0.0]);
        assert_eq!(sigmoid(0.0), 0.5);
        assert!(sigmoid(-200.0) >= 0.0 && sigmoid(200.0) == 1.0);
    }

    #[test]
    fn gradient_check_every_activation() {
        for act in [Activation::Linear, Activation::Sigmoid, Activation::Tanh, Activation::Softmax]
        {
            let mut layer = ActivationLayer::new(act, &[2, 3]);
            check(&mut layer, Tensor::new(vec![2, 2, 3], random(12, -2.0, 2.0, 1)), true);
        }
        // relu: keep inputs away from the kink at 0, where the difference quotient is meaningless.
        let x: Vec<f32> = random(12, 0.1, 2.0, 2)
            .iter()
            .enumerate()
            .map(|(i, v)| if i % 2 == 0 { -v } else { *v })
            .collect();
        let mut layer = ActivationLayer::new(Activation::Relu, &[12]);
        check(&mut layer, Tensor::new(vec![1, 12], x), true);
    }
}
