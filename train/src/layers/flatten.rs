//! `Flatten`, Keras `layers.Flatten()`.
//!
//! Shapes: `[N, d1, d2, ...]` → `[N, d1·d2·…]`; no weights. The data is already
//! row-major NHWC, so the order is h, w, c (channels last) exactly as Keras flattens
//! — which is what makes the following `Dense` kernel line up with Keras's.
//!
//! Forward: a reshape. Backward: the gradient reshaped back to the input shape.

use super::{Ctx, ExportOp, Layer};
use crate::tensor::Tensor;

pub struct Flatten {
    pub in_shape: Vec<usize>,
}

impl Flatten {
    pub fn new(in_shape: &[usize]) -> Self {
        Flatten { in_shape: in_shape.to_vec() }
    }
}

impl Layer for Flatten {
    fn type_name(&self) -> &'static str {
        "Flatten"
    }
    fn name_prefix(&self) -> &'static str {
        "flatten"
    }
    fn output_shape(&self) -> Vec<usize> {
        vec![self.in_shape.iter().product()]
    }

    fn forward(&mut self, mut x: Tensor, _ctx: &mut Ctx, _apply_activation: bool) -> Tensor {
        let n = x.batch();
        x.shape = vec![n, x.sample_len()];
        x
    }

    fn backward(&mut self, mut grad: Tensor, need_input_grad: bool) -> Option<Tensor> {
        let mut shape = vec![grad.batch()];
        shape.extend_from_slice(&self.in_shape);
        grad.shape = shape;
        need_input_grad.then_some(grad)
    }

    fn config(&self) -> serde_json::Value {
        serde_json::json!({})
    }

    fn export(&self) -> Vec<ExportOp<'_>> {
        vec![ExportOp::Flatten]
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
        let x = Tensor::new(vec![2, 3, 3, 10], random(180, -1.0, 1.0, 1));
        let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(0);
        let y = f.forward(x.clone(), &mut Ctx { training: true, rng: &mut rng }, true);
        assert_eq!(y.shape, [2, 90]);
        assert_eq!(y.data, x.data, "row-major NHWC is already h, w, c order");
        check(&mut f, x, true);
    }
}
