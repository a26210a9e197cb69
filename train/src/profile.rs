//! Where a training run's time goes, layer by layer (`train --profile FILE`).
//!
//! The model times every layer's forward and backward (two `Instant`s per layer and
//! batch: nothing measurable beside the work), and the training loop times what lies
//! between the layers (batch assembly, the loss, the optimizer step). A layer that runs
//! its backward as two products also reports how its worker threads' time divided
//! between them ([`BackwardSplit`]); the profile attributes the backward wall time in
//! those shares. With the multiply-adds each layer does per sample
//! ([`MultiplyAdds`]), that gives GFLOP/s for forward, backward-data (dL/dx) and
//! backward-weights (dL/dW) per layer: the figures `scripts/bench/bench-train.sh` sets
//! against this machine's measured sgemm peak.
//!
//! ```
//! use std::time::Duration;
//! use train::profile::{LayerClock, MultiplyAdds, Profile};
//!
//! let clock = LayerClock {
//!     forward_train: Duration::from_millis(500),
//!     train_samples: 1_000_000,
//!     ..Default::default()
//! };
//! let macs = MultiplyAdds { forward: 25_000, ..Default::default() };
//! let p = Profile::new(2, vec![("dense_1".into(), "Dense".into(), macs, clock)], Default::default(), 1.0);
//! // 1e6 samples × 25,000 multiply-adds × 2 FLOP in 0.5 s = 100 GFLOP/s.
//! assert_eq!(p.layers[0].forward.gflops.round(), 100.0);
//! ```

use std::time::Duration;

use serde::Serialize;

/// Multiply-adds one sample costs in each pass (the useful ones: padding and alignment
/// work the engine does on top is not counted, so the GFLOP/s are the model's).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MultiplyAdds {
    /// The forward pass.
    pub forward: u64,
    /// dL/dx: zero when the layer has no weights or only forwards data.
    pub backward_data: u64,
    /// dL/dW.
    pub backward_weights: u64,
}

/// Thread-time of one backward, summed over the worker threads: in the input-gradient
/// product, in the weight-gradient product, and in all of the layer's work.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct BackwardSplit {
    /// In the input-gradient product (dL/dx).
    pub data: Duration,
    /// In the weight-gradient product (dL/dW).
    pub weights: Duration,
    /// In all of the backward's work.
    pub total: Duration,
}

impl std::ops::AddAssign for BackwardSplit {
    fn add_assign(&mut self, o: Self) {
        self.data += o.data;
        self.weights += o.weights;
        self.total += o.total;
    }
}

/// A layer that runs matrix products (`Conv2D`, `Dense`): what the profile asks of it
/// beside the time the model measures. Layers that only move or compare values do
/// none and are not asked.
pub trait Products {
    /// Multiply-adds per sample of each pass.
    fn multiply_adds(&self) -> MultiplyAdds;
    /// How the last backward's thread-time divided between its products (taken: the
    /// next call gives `None` until another backward).
    fn take_backward_split(&mut self) -> Option<BackwardSplit>;
}

/// What the model measured for one layer over a run.
#[derive(Debug, Default, Clone)]
pub struct LayerClock {
    /// Forward passes while training (the fit loop's batches).
    pub forward_train: Duration,
    /// Forward passes for validation (inference).
    pub forward_infer: Duration,
    /// Backward passes.
    pub backward: Duration,
    /// Samples of the training forward passes.
    pub train_samples: u64,
    /// Samples of the validation forward passes.
    pub infer_samples: u64,
    /// Samples whose dL/dx the backward computed (none for the first layer).
    pub input_grad_samples: u64,
    /// The backward's thread-time by product, summed over the run (layers with products).
    pub split: Option<BackwardSplit>,
}

/// What the training loop measured between the layers.
#[derive(Debug, Default, Clone, Serialize)]
pub struct LoopClock {
    /// Gathering, scaling and laying out each batch's rows.
    pub batches_s: f64,
    /// Loss, its gradient and accuracy.
    pub loss_s: f64,
    /// The optimizer's weight updates.
    pub optimizer_s: f64,
}

/// Seconds and the rate they give.
#[derive(Debug, Default, Clone, Copy, Serialize)]
pub struct Pass {
    /// Wall-clock seconds over the run.
    pub seconds: f64,
    /// Billions of floating-point operations per second (a multiply-add is two).
    pub gflops: f64,
}

impl Pass {
    fn new(seconds: f64, multiply_adds: u64, samples: u64) -> Self {
        let flop = 2.0 * multiply_adds as f64 * samples as f64;
        let gflops = if seconds > 0.0 { flop / seconds / 1e9 } else { 0.0 };
        Pass { seconds, gflops }
    }
}

/// Where one layer's time went.
#[derive(Debug, Clone, Serialize)]
pub struct LayerProfile {
    /// Keras-style name (`conv2d_1`).
    pub name: String,
    /// Keras class name (`Conv2D`).
    #[serde(rename = "type")]
    pub type_name: String,
    /// Per sample and pass.
    pub multiply_adds: MultiplyAdds,
    /// Training forward passes.
    pub forward: Pass,
    /// Validation passes.
    pub inference: Pass,
    /// The whole backward wall time; the three below divide it.
    pub backward_s: f64,
    /// The input-gradient product's share.
    pub backward_data: Pass,
    /// The weight-gradient product's share.
    pub backward_weights: Pass,
    /// The rest of the backward: activation derivative, bias sums, copies, reductions.
    pub backward_other_s: f64,
}

/// A run's profile, as `train --profile FILE` writes it (JSON).
#[derive(Debug, Clone, Serialize)]
pub struct Profile {
    /// Worker threads of the run.
    pub threads: usize,
    /// The kernel path that ran (`avx512`, `avx2`, `neon`, `portable`).
    pub kernels: &'static str,
    /// One entry per layer, in model order.
    pub layers: Vec<LayerProfile>,
    /// What lay between the layers.
    #[serde(rename = "loop")]
    pub loop_clock: LoopClock,
    /// The whole of `fit`.
    pub fit_s: f64,
}

impl Profile {
    /// From each layer's (name, type, multiply-adds, clock), the loop's clock and the
    /// seconds of the whole fit.
    pub fn new(
        threads: usize,
        layers: Vec<(String, String, MultiplyAdds, LayerClock)>,
        loop_clock: LoopClock,
        fit_s: f64,
    ) -> Self {
        let layers = layers
            .into_iter()
            .map(|(name, type_name, macs, c)| {
                let backward_s = c.backward.as_secs_f64();
                // Backward wall time in the shares of thread-time the layer reported; a
                // layer without a split counts wholly as "other".
                let share = |part: Duration| match c.split {
                    Some(s) if !s.total.is_zero() => {
                        backward_s * part.as_secs_f64() / s.total.as_secs_f64()
                    }
                    _ => 0.0,
                };
                let (data_s, weights_s) =
                    c.split.map_or((0.0, 0.0), |s| (share(s.data), share(s.weights)));
                LayerProfile {
                    name,
                    type_name,
                    multiply_adds: macs,
                    forward: Pass::new(
                        c.forward_train.as_secs_f64(),
                        macs.forward,
                        c.train_samples,
                    ),
                    inference: Pass::new(
                        c.forward_infer.as_secs_f64(),
                        macs.forward,
                        c.infer_samples,
                    ),
                    backward_s,
                    backward_data: Pass::new(data_s, macs.backward_data, c.input_grad_samples),
                    backward_weights: Pass::new(weights_s, macs.backward_weights, c.train_samples),
                    backward_other_s: (backward_s - data_s - weights_s).max(0.0),
                }
            })
            .collect();
        Profile {
            threads,
            kernels: crate::engine::isa::Isa::current().name(),
            layers,
            loop_clock,
            fit_s,
        }
    }

    /// Seconds spent in the layers (forward, inference, backward).
    pub fn layers_s(&self) -> f64 {
        self.layers.iter().map(|l| l.forward.seconds + l.inference.seconds + l.backward_s).sum()
    }

    /// The profile as a plain-text table (seconds over the whole run, GFLOP/s per pass).
    pub fn table(&self) -> String {
        let mut out = format!(
            "{:<16} {:>16} {:>16} {:>16} {:>16} {:>8}\n",
            "layer", "forward", "backward-data", "backward-weights", "validation", "other"
        );
        let cell = |p: &Pass| {
            if p.seconds == 0.0 {
                "-".to_string()
            } else if p.gflops == 0.0 {
                format!("{:.3} s", p.seconds)
            } else {
                format!("{:.3} s {:>4.0} GF", p.seconds, p.gflops)
            }
        };
        for l in &self.layers {
            out += &format!(
                "{:<16} {:>16} {:>16} {:>16} {:>16} {:>8}\n",
                l.name,
                cell(&l.forward),
                cell(&l.backward_data),
                cell(&l.backward_weights),
                cell(&l.inference),
                format!("{:.3} s", l.backward_other_s)
            );
        }
        let c = &self.loop_clock;
        out += &format!(
            "layers {:.2} s, batches {:.2} s, loss {:.2} s, optimizer {:.2} s, fit {:.2} s ({} threads, {} kernels; GF = GFLOP/s)\n",
            self.layers_s(),
            c.batches_s,
            c.loss_s,
            c.optimizer_s,
            self.fit_s,
            self.threads,
            self.kernels
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backward_time_is_divided_in_the_reported_shares() {
        let clock = LayerClock {
            backward: Duration::from_secs(10),
            train_samples: 1000,
            input_grad_samples: 1000,
            split: Some(BackwardSplit {
                data: Duration::from_secs(3),
                weights: Duration::from_secs(5),
                total: Duration::from_secs(10),
            }),
            ..Default::default()
        };
        let macs = MultiplyAdds {
            forward: 1_000_000,
            backward_data: 3_000_000,
            backward_weights: 5_000_000,
        };
        let p = Profile::new(
            2,
            vec![("conv2d_1".into(), "Conv2D".into(), macs, clock)],
            LoopClock::default(),
            12.0,
        );
        let l = &p.layers[0];
        assert_eq!(l.backward_data.seconds, 3.0);
        assert_eq!(l.backward_weights.seconds, 5.0);
        assert_eq!(l.backward_other_s, 2.0);
        // 1000 samples × 3e6 multiply-adds × 2 FLOP in 3 s = 2 GFLOP/s.
        assert_eq!(l.backward_data.gflops, 2.0);
        assert_eq!(l.backward_weights.gflops, 2.0);
        assert_eq!(p.layers_s(), 10.0);
    }

    #[test]
    fn a_layer_without_a_split_counts_its_backward_as_other() {
        let clock = LayerClock { backward: Duration::from_secs(2), ..Default::default() };
        let p = Profile::new(
            1,
            vec![("max_pooling2d_1".into(), "MaxPooling2D".into(), MultiplyAdds::default(), clock)],
            LoopClock::default(),
            2.0,
        );
        assert_eq!(p.layers[0].backward_other_s, 2.0);
        assert_eq!(p.layers[0].backward_data.seconds, 0.0);
        assert!(p.table().contains("max_pooling2d_1"));
    }
}
