//! Losses, fused with the output activation so they are exact and stable.
//!
//! Both take the logits z (the last layer's pre-activation), integer labels and a
//! per-sample weight wᵢ (1, or the class weight), and reduce as Keras's
//! `sum_over_batch_size`: L = (1/N) Σᵢ wᵢ ℓᵢ.
//!
//! * **categorical cross-entropy from softmax**: ℓᵢ = −log pᵢ,yᵢ with p = softmax(z),
//!   computed as logsumexp(zᵢ) − zᵢ,yᵢ (max-shifted, never log 0);
//!   ∂L/∂zᵢₖ = wᵢ (pᵢₖ − [k = yᵢ]) / N.
//! * **binary cross-entropy from sigmoid**: ℓᵢ = −[yᵢ log pᵢ + (1−yᵢ) log(1−pᵢ)], p = σ(z),
//!   computed as max(z,0) − z·y + log(1 + e^(−|z|)); ∂L/∂zᵢ = wᵢ (pᵢ − yᵢ) / N.

use crate::layers::sigmoid;

pub use params::Loss;

/// One batch's loss: the weighted sum Σ wᵢℓᵢ (not yet divided by N), the number of
/// correct predictions, and ∂L/∂z for L = (1/N) Σ wᵢℓᵢ.
pub struct BatchLoss {
    pub weighted_sum: f64,
    pub correct: usize,
    pub grad: Vec<f32>,
}

/// The arithmetic of a [`Loss`] (its name, formula and serde form are `params`'s).
pub trait LossFn {
    /// Loss, accuracy count and gradient from logits `[N, K]` (K = 1 for binary).
    fn evaluate(self, logits: &[f32], width: usize, labels: &[usize], weights: &[f32])
        -> BatchLoss;
}

impl LossFn for Loss {
    fn evaluate(
        self,
        logits: &[f32],
        width: usize,
        labels: &[usize],
        weights: &[f32],
    ) -> BatchLoss {
        let n = labels.len();
        let mut grad = vec![0.0f32; logits.len()];
        let mut weighted_sum = 0.0f64;
        let mut correct = 0;
        match self {
            Loss::CategoricalCrossentropy => {
                for (i, (z, g)) in
                    logits.chunks_exact(width).zip(grad.chunks_exact_mut(width)).enumerate()
                {
                    let y = labels[i];
                    let max = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                    let sum: f64 = z.iter().map(|v| libm::exp((v - max) as f64)).sum();
                    let lse = max as f64 + libm::log(sum);
                    weighted_sum += weights[i] as f64 * (lse - z[y] as f64);
                    // argmax, first on ties (as numpy/TF argmax)
                    let best =
                        z.iter().enumerate().fold(0, |b, (k, v)| if *v > z[b] { k } else { b });
                    correct += (best == y) as usize;
                    let scale = weights[i] / n as f32;
                    for (k, (gk, zk)) in g.iter_mut().zip(z).enumerate() {
                        let p = libm::exp((*zk as f64) - lse) as f32;
                        *gk = scale * (p - (k == y) as u8 as f32);
                    }
                }
            }
            Loss::BinaryCrossentropy => {
                for (i, z) in logits.iter().enumerate() {
                    let y = labels[i] as f32;
                    let zf = *z as f64;
                    let l = zf.max(0.0) - zf * y as f64 + libm::log1p(libm::exp(-zf.abs()));
                    weighted_sum += weights[i] as f64 * l;
                    correct += ((sigmoid(*z) > 0.5) == (labels[i] == 1)) as usize;
                    grad[i] = weights[i] / n as f32 * (sigmoid(*z) - y);
                }
            }
        }
        BatchLoss { weighted_sum, correct, grad }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numeric_grad(loss: Loss, z: &[f32], width: usize, labels: &[usize], w: &[f32]) -> Vec<f64> {
        let n = labels.len() as f64;
        (0..z.len())
            .map(|i| {
                let eps = 1e-3f32;
                let mut zp = z.to_vec();
                zp[i] += eps;
                let mut zm = z.to_vec();
                zm[i] -= eps;
                let lp = loss.evaluate(&zp, width, labels, w).weighted_sum / n;
                let lm = loss.evaluate(&zm, width, labels, w).weighted_sum / n;
                (lp - lm) / (2.0 * eps as f64)
            })
            .collect()
    }

    #[test]
    fn categorical_values_and_gradient_check() {
        // Uniform logits over 4 classes: loss ln 4 whatever the label.
        let b = Loss::CategoricalCrossentropy.evaluate(&[0.0; 4], 4, &[2], &[1.0]);
        assert!((b.weighted_sum - 4f64.ln()).abs() < 1e-9);
        // Huge logits stay finite.
        let b = Loss::CategoricalCrossentropy.evaluate(&[1000.0, -1000.0], 2, &[1], &[1.0]);
        assert!((b.weighted_sum - 2000.0).abs() < 1e-6);
        let z = [0.3, -1.2, 2.0, 0.1, 0.5, 0.5, -0.7, 1.1, 0.0];
        let (labels, w) = ([2, 0, 1], [1.0, 2.5, 0.5]);
        let b = Loss::CategoricalCrossentropy.evaluate(&z, 3, &labels, &w);
        assert_eq!(b.correct, 2, "rows 0 and 2 predict classes 2 and 1; row 1 ties 1/2 → first");
        for (a, n) in
            b.grad.iter().zip(numeric_grad(Loss::CategoricalCrossentropy, &z, 3, &labels, &w))
        {
            assert!((*a as f64 - n).abs() < 1e-3, "{a} vs {n}");
        }
    }

    #[test]
    fn binary_values_and_gradient_check() {
        let b = Loss::BinaryCrossentropy.evaluate(&[0.0], 1, &[1], &[1.0]);
        assert!((b.weighted_sum - 2f64.ln()).abs() < 1e-9);
        let b = Loss::BinaryCrossentropy.evaluate(&[-500.0, 500.0], 1, &[1, 1], &[1.0, 1.0]);
        assert!((b.weighted_sum - 500.0).abs() < 1e-6, "stable for large |z|");
        assert_eq!(b.correct, 1);
        let z = [0.4, -2.0, 1.5, -0.1];
        let (labels, w) = ([1, 0, 0, 1], [1.0, 1.0, 3.0, 0.5]);
        let b = Loss::BinaryCrossentropy.evaluate(&z, 1, &labels, &w);
        for (a, n) in b.grad.iter().zip(numeric_grad(Loss::BinaryCrossentropy, &z, 1, &labels, &w))
        {
            assert!((*a as f64 - n).abs() < 1e-3, "{a} vs {n}");
        }
    }
}
