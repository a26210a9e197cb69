//! Optimizers with Keras 3's update rules and defaults (per parameter, g = gradient,
//! t = 1-based step, η = learning rate):
//!
//! * **RMSprop** (η 0.001, ρ 0.9, momentum 0, ε 1e-7, centered false):
//!   v ← ρv + (1−ρ)g²; (centered: m ← ρm + (1−ρ)g, d = v − m²; else d = v);
//!   Δ = η g / √(d + ε); with momentum μ > 0: s ← μs + Δ, w ← w − s, else w ← w − Δ.
//!   Keras 3 adds ε *inside* the square root (`keras/src/optimizers/rmsprop.py`:
//!   `ops.sqrt(velocity + epsilon)`), and so do we.
//! * **Adam** (η 0.001, β₁ 0.9, β₂ 0.999, ε 1e-7): m ← m + (g − m)(1−β₁);
//!   v ← v + (g² − v)(1−β₂); α = η √(1−β₂ᵗ)/(1−β₁ᵗ); w ← w − α m/(√v + ε) (ε outside).
//!   Every constant as Keras computes it (float32 powers, 1−β rounded from double), so
//!   each step equals Keras's to ≤ 1e-7 (test against `tests/fixtures/adam_keras.json`).
//! * **SGD** (η 0.01, momentum 0, nesterov false): with μ > 0: s ← μs − ηg and
//!   w ← w + s (nesterov: w ← w + μs − ηg); else w ← w − ηg.
//!
//! Arithmetic is f32 like Keras's float32 variables.

pub use params::OptimizerSpec;

/// An optimizer with its per-parameter state (one slot list per parameter tensor,
/// in the order the model lists them).
pub struct Optimizer {
    spec: OptimizerSpec,
    step: u64,
    slots: Vec<[Vec<f32>; 2]>,
}

impl Optimizer {
    pub fn new(spec: OptimizerSpec) -> Self {
        Optimizer { spec, step: 0, slots: Vec::new() }
    }

    /// Steps taken so far.
    pub fn step(&self) -> u64 {
        self.step
    }

    /// The per-parameter state (empty before the first step).
    pub fn slots(&self) -> &[[Vec<f32>; 2]] {
        &self.slots
    }

    /// Continues from a saved step count and state (a resumed run).
    pub fn restore(&mut self, step: u64, slots: Vec<[Vec<f32>; 2]>) {
        (self.step, self.slots) = (step, slots);
    }

    /// Applies one update to every (parameter, gradient) pair.
    pub fn apply(&mut self, params: Vec<(&mut [f32], &[f32])>) {
        self.step += 1;
        if self.slots.len() < params.len() {
            self.slots =
                params.iter().map(|(p, _)| [vec![0.0; p.len()], vec![0.0; p.len()]]).collect();
        }
        for ((w, g), [s0, s1]) in params.into_iter().zip(self.slots.iter_mut()) {
            match self.spec {
                OptimizerSpec::Rmsprop { learning_rate, rho, momentum, epsilon, centered } => {
                    let (lr, rho, mu, eps) =
                        (learning_rate as f32, rho as f32, momentum as f32, epsilon as f32);
                    if !centered && mu == 0.0 {
                        // The usual case as one branch-free loop that vectorises: the same
                        // operations in the same order as below (sqrt and / are exact in
                        // every lane), so the same bits.
                        for ((w, &gi), s0) in w.iter_mut().zip(g).zip(s0.iter_mut()) {
                            *s0 = rho * *s0 + (1.0 - rho) * gi * gi;
                            *w -= lr * gi / (*s0 + eps).sqrt();
                        }
                        continue;
                    }
                    // s0 = velocity (mean square), s1 = average gradient (centered) or momentum.
                    for i in 0..w.len() {
                        let gi = g[i];
                        s0[i] = rho * s0[i] + (1.0 - rho) * gi * gi;
                        let denom = if centered {
                            // Centered and momentum together would need a third slot; validated out.
                            s1[i] = rho * s1[i] + (1.0 - rho) * gi;
                            s0[i] - s1[i] * s1[i] + eps
                        } else {
                            s0[i] + eps
                        };
                        let inc = lr * gi / denom.sqrt();
                        if mu > 0.0 && !centered {
                            s1[i] = mu * s1[i] + inc;
                            w[i] -= s1[i];
                        } else {
                            w[i] -= inc;
                        }
                    }
                }
                OptimizerSpec::Adam { learning_rate, beta_1, beta_2, epsilon } => {
                    // Keras 3's arithmetic (`keras/src/optimizers/adam.py`), all float32:
                    // β₁ᵗ and β₂ᵗ are powers of the float32 betas at t = float32(step), and
                    // 1 − β₁, 1 − β₂ come from Python's double `1 - self.beta_1`, rounded
                    // once (1 − f32(0.999) would be 1.3e-5 off f32(0.001)).
                    let t = self.step as f32;
                    let (b1, b2) = (beta_1 as f32, beta_2 as f32);
                    let (b1_power, b2_power) = (libm::powf(b1, t), libm::powf(b2, t));
                    let alpha = learning_rate as f32 * (1.0 - b2_power).sqrt() / (1.0 - b1_power);
                    let (one_minus_b1, one_minus_b2) =
                        ((1.0 - beta_1) as f32, (1.0 - beta_2) as f32);
                    let eps = epsilon as f32;
                    // Zipped, so the loop vectorises without bounds checks.
                    for (((w, &gi), m), v) in w.iter_mut().zip(g).zip(s0.iter_mut()).zip(s1) {
                        *m += (gi - *m) * one_minus_b1;
                        *v += (gi * gi - *v) * one_minus_b2;
                        *w -= alpha * *m / (v.sqrt() + eps);
                    }
                }
                OptimizerSpec::Sgd { learning_rate, momentum, nesterov } => {
                    let (lr, mu) = (learning_rate as f32, momentum as f32);
                    for i in 0..w.len() {
                        if mu > 0.0 {
                            s0[i] = mu * s0[i] - lr * g[i];
                            w[i] += if nesterov { mu * s0[i] - lr * g[i] } else { s0[i] };
                        } else {
                            w[i] -= lr * g[i];
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(spec: OptimizerSpec, grads: &[f32]) -> f32 {
        let mut opt = Optimizer::new(spec);
        let mut w = [1.0f32];
        for g in grads {
            opt.apply(vec![(&mut w[..], &[*g][..])]);
        }
        w[0]
    }

    #[test]
    fn rmsprop_first_steps_match_hand_computation() {
        // step 1: v = 0.1·0.25 = 0.025, Δ = 0.001·0.5/√(0.025+1e-7)
        let w = run(OptimizerSpec::default(), &[0.5]);
        let want = 1.0 - 0.001 * 0.5 / (0.025f64 + 1e-7).sqrt();
        assert!((w as f64 - want).abs() < 1e-7, "{w} vs {want}");
        let v2 = 0.9 * 0.025 + 0.1 * 0.04;
        let want2 = want - 0.001 * (-0.2) / (v2 + 1e-7f64).sqrt();
        let w = run(OptimizerSpec::default(), &[0.5, -0.2]);
        assert!((w as f64 - want2).abs() < 1e-6);
    }

    #[test]
    fn adam_first_step_is_lr_times_sign() {
        let spec =
            OptimizerSpec::Adam { learning_rate: 0.001, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7 };
        // t=1: m = 0.1g, v = 0.001g², α = 0.001·√0.001/0.1 → Δ = 0.001·g/(|g| + ε/√0.001) ≈ 0.001
        let w = run(spec.clone(), &[3.0]);
        assert!((w - (1.0 - 0.001)).abs() < 1e-6, "{w}");
        let w = run(spec, &[3.0, 3.0]);
        assert!((w - (1.0 - 0.002)).abs() < 1e-6, "{w}");
    }

    /// Keras 3's Adam from the same weights and gradients, 40 steps, two settings
    /// (`tests/fixtures/make_adam_fixture.py` made the fixture): every weight after every
    /// step within 1e-7 of Keras's.
    #[test]
    fn adam_steps_equal_keras() {
        let fixture: serde_json::Value =
            serde_json::from_str(include_str!("../tests/fixtures/adam_keras.json")).unwrap();
        let floats = |v: &serde_json::Value| -> Vec<f32> {
            v.as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_str().unwrap().parse::<f64>().unwrap() as f32)
                .collect()
        };
        let grads: Vec<Vec<f32>> =
            fixture["gradients"].as_array().unwrap().iter().map(floats).collect();
        let mut worst = 0.0f32;
        for case in fixture["cases"].as_array().unwrap() {
            let o = &case["optimizer"];
            let get =
                |key: &str, default: f64| o.get(key).and_then(|v| v.as_f64()).unwrap_or(default);
            let spec = OptimizerSpec::Adam {
                learning_rate: get("learning_rate", 0.001),
                beta_1: get("beta_1", 0.9),
                beta_2: get("beta_2", 0.999),
                epsilon: get("epsilon", 1e-7),
            };
            let mut opt = Optimizer::new(spec);
            let mut w = floats(&fixture["initial"]);
            for (step, (g, want)) in
                grads.iter().zip(case["weights"].as_array().unwrap()).enumerate()
            {
                opt.apply(vec![(&mut w[..], &g[..])]);
                for (i, (got, want)) in w.iter().zip(floats(want)).enumerate() {
                    let diff = (got - want).abs();
                    worst = worst.max(diff);
                    assert!(
                        diff <= 1e-7,
                        "{o} step {} weight {i}: {got} vs Keras {want}",
                        step + 1
                    );
                }
            }
        }
        eprintln!("Adam vs Keras: largest difference {worst:e}");
    }

    #[test]
    fn sgd_plain_momentum_and_nesterov() {
        let plain = OptimizerSpec::Sgd { learning_rate: 0.1, momentum: 0.0, nesterov: false };
        assert!((run(plain, &[1.0, 1.0]) - 0.8).abs() < 1e-6);
        let mom = OptimizerSpec::Sgd { learning_rate: 0.1, momentum: 0.9, nesterov: false };
        // s1 = −0.1, w = 0.9; s2 = −0.09 − 0.1 = −0.19, w = 0.71
        assert!((run(mom, &[1.0, 1.0]) - 0.71).abs() < 1e-6);
        let nest = OptimizerSpec::Sgd { learning_rate: 0.1, momentum: 0.9, nesterov: true };
        // s1 = −0.1, w = 1 + 0.9·(−0.1) − 0.1 = 0.81
        assert!((run(nest, &[1.0]) - 0.81).abs() < 1e-6);
    }
}
