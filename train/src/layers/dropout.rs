//! `Dropout`, Keras `layers.Dropout(rate)`.
//!
//! Shapes: any `[N, ...]` → the same; no weights.
//!
//! Forward, training: each value is kept with probability 1 − rate and then scaled by
//! 1/(1 − rate) (inverted dropout, as Keras), else set to 0. The mask is drawn from the
//! run's seeded stream, so a seeded run is reproducible. Inference: identity
//! (and the layer is left out of the ONNX graph).
//!
//! Backward: the gradient times the same mask (kept values scaled by 1/(1 − rate)).

use rand::Rng;

use onnx::GraphBuilder;

use super::{Ctx, Layer};
use crate::engine::tensor::Tensor;

pub struct Dropout {
    pub rate: f32,
    shape: Vec<usize>,
    /// 0 or 1/(1−rate) per value of the last training batch.
    mask: Option<Vec<f32>>,
}

impl Dropout {
    pub fn new(rate: f32, in_shape: &[usize]) -> Self {
        Dropout { rate, shape: in_shape.to_vec(), mask: None }
    }
}

impl Layer for Dropout {
    fn type_name(&self) -> &'static str {
        "Dropout"
    }
    fn output_shape(&self) -> Vec<usize> {
        self.shape.clone()
    }

    fn forward(&mut self, mut x: Tensor, ctx: &mut Ctx, _apply_activation: bool) -> Tensor {
        if !ctx.training || self.rate == 0.0 {
            self.mask = None;
            return x;
        }
        let keep = 1.0 - self.rate;
        let scale = 1.0 / keep;
        let mask: Vec<f32> = (0..x.data.len())
            .map(|_| if ctx.rng.random::<f32>() < keep { scale } else { 0.0 })
            .collect();
        x.data.iter_mut().zip(&mask).for_each(|(v, m)| *v *= m);
        self.mask = Some(mask);
        x
    }

    fn backward(&mut self, mut grad: Tensor, need_input_grad: bool) -> Option<Tensor> {
        if let Some(mask) = &self.mask {
            grad.data.iter_mut().zip(mask).for_each(|(g, m)| *g *= m);
        }
        need_input_grad.then_some(grad)
    }

    fn config(&self) -> serde_json::Value {
        serde_json::json!({ "rate": self.rate })
    }

    /// Nothing: inference is the identity.
    fn export(&self, _g: &mut GraphBuilder) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::gradcheck::{check, random};
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn drops_about_rate_and_scales_the_rest() {
        let mut d = Dropout::new(0.5, &[1000]);
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let y = d.forward(
            Tensor::new(vec![4, 1000], vec![1.0; 4000]),
            &mut Ctx { training: true, rng: &mut rng },
            true,
        );
        let zeros = y.data.iter().filter(|v| **v == 0.0).count();
        assert!((1800..2200).contains(&zeros), "{zeros} zeros");
        assert!(y.data.iter().all(|v| *v == 0.0 || *v == 2.0));
        let y = d.forward(
            Tensor::new(vec![1, 1000], vec![1.0; 1000]),
            &mut Ctx { training: false, rng: &mut rng },
            true,
        );
        assert!(y.data.iter().all(|v| *v == 1.0), "identity at inference");
    }

    #[test]
    fn gradient_check() {
        let mut d = Dropout::new(0.3, &[20]);
        check(&mut d, Tensor::new(vec![2, 20], random(40, -1.0, 1.0, 1)), true);
    }
}
