//! `Flatten`, Keras `layers.Flatten()`.
//!
//! Shapes: `[N, d1, d2, ...]` → `[N, d1·d2·…]`; no weights. The order is Keras's, h, w, c
//! (channels last) — which is what makes the following `Dense` kernel line up with
//! Keras's (and with the exported graph).
//!
//! Forward: images are channel-planar in memory (`[N, C, H, W]`, see `engine/tensor.rs`), so
//! they are transposed to h, w, c; anything else is a reshape. Backward: the inverse.

use onnx::GraphBuilder;

use super::{Ctx, Layer};
use crate::engine::tensor::Tensor;

pub struct Flatten {
    pub in_shape: Vec<usize>,
}

impl Flatten {
    pub fn new(in_shape: &[usize]) -> Self {
        Flatten { in_shape: in_shape.to_vec() }
    }
}

/// Each sample of `len = rows·cols` values, a `rows × cols` matrix, transposed.
fn transpose_samples(data: &[f32], len: usize, rows: usize, cols: usize) -> Vec<f32> {
    let mut out = vec![0.0f32; data.len()];
    for (src, dst) in data.chunks_exact(len).zip(out.chunks_exact_mut(len)) {
        for r in 0..rows {
            for (k, v) in src[r * cols..(r + 1) * cols].iter().enumerate() {
                dst[k * rows + r] = *v;
            }
        }
    }
    out
}

impl Layer for Flatten {
    fn type_name(&self) -> &'static str {
        "Flatten"
    }
    fn output_shape(&self) -> Vec<usize> {
        vec![self.in_shape.iter().product()]
    }

    fn forward(&mut self, x: Tensor, _ctx: &mut Ctx, _apply_activation: bool) -> Tensor {
        let n = x.batch();
        let len = x.sample_len();
        let data = match self.in_shape[..] {
            [h, w, c] if c > 1 => transpose_samples(&x.data, len, c, h * w),
            _ => x.data,
        };
        Tensor::new(vec![n, len], data)
    }

    fn backward(&mut self, grad: Tensor, need_input_grad: bool) -> Option<Tensor> {
        if !need_input_grad {
            return None;
        }
        let n = grad.batch();
        let len = grad.sample_len();
        Some(match self.in_shape[..] {
            [h, w, c] => {
                let data =
                    if c > 1 { transpose_samples(&grad.data, len, h * w, c) } else { grad.data };
                Tensor::new(vec![n, c, h, w], data)
            }
            _ => Tensor::new(crate::engine::tensor::batch_shape(n, &self.in_shape), grad.data),
        })
    }

    fn config(&self) -> serde_json::Value {
        serde_json::json!({})
    }

    /// Back to NHWC and `Flatten` (h, w, c order, as here); nothing on a flat input.
    fn export(&self, g: &mut GraphBuilder) {
        g.flatten();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::gradcheck::{check, random};

    #[test]
    fn flattens_in_hwc_order_and_checks_gradient() {
        let mut f = Flatten::new(&[3, 3, 10]);
        assert_eq!(f.output_shape(), [90]);
        // Planar in, h-w-c out: value (c, y, x) = 100c + 10y + x lands at (3y + x)·10 + c.
        let sample: Vec<f32> = (0..10)
            .flat_map(|c| {
                (0..3).flat_map(move |y| (0..3).map(move |x| (100 * c + 10 * y + x) as f32))
            })
            .collect();
        let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(0);
        let y = f.forward(
            Tensor::new(vec![1, 10, 3, 3], sample.clone()),
            &mut Ctx { training: true, rng: &mut rng },
            true,
        );
        assert_eq!(y.shape, [1, 90]);
        assert_eq!(
            &y.data[..12],
            &[0.0, 100.0, 200.0, 300.0, 400.0, 500.0, 600.0, 700.0, 800.0, 900.0, 1.0, 101.0]
        );
        assert_eq!(y.data[(3 * 2 + 1) * 10 + 4], 421.0);
        let back = f.backward(y, true).unwrap();
        assert_eq!((back.shape, back.data), (vec![1, 10, 3, 3], sample));
        check(&mut f, Tensor::new(vec![2, 10, 3, 3], random(180, -1.0, 1.0, 1)), true);
        // One channel and flat inputs are plain reshapes.
        let mut f = Flatten::new(&[2, 2, 1]);
        let y = f.forward(
            Tensor::new(vec![1, 1, 2, 2], vec![1.0, 2.0, 3.0, 4.0]),
            &mut Ctx { training: true, rng: &mut rng },
            true,
        );
        assert_eq!(y.data, [1.0, 2.0, 3.0, 4.0]);
    }
}
